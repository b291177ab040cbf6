"""Plumbing shared by the transaction handlers: the services a handler uses, the refusal → channel mapping and
the access log written for every call (accepted or refused)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from dmpclient.errors import InputError, ProtocolError
from dmpclient.ids import INS
from dmpclient.sandbox._interfaces import SandboxFault, SandboxRequest
from dmpclient.sandbox.clock import SandboxClock
from dmpclient.sandbox.config import SandboxConfig
from dmpclient.sandbox.rules import BehaviourParameters, Refusal
from dmpclient.sandbox.store import (
    AuthorizationRecord,
    AuthorizationStatus,
    LogRecord,
    PatientRecord,
    ProfessionalRecord,
    SandboxStore,
)
from dmpclient.soap import SoapResponse

__all__ = ["Env", "handle"]


@dataclass
class Env:
    """What a handler works with.

    Attributes:
        store: the sandbox store.
        clock: the sandbox clock (shared with the platform).
        config: the sandbox configuration (trust anchors, SHA-1 allowance, environment kind…).
        get_parameters: the current :class:`~dmpclient.sandbox.rules.BehaviourParameters` (admin-settable).
    """

    store: SandboxStore
    clock: SandboxClock
    config: SandboxConfig
    get_parameters: Callable[[], BehaviourParameters]

    @property
    def params(self) -> BehaviourParameters:
        """The current parameters."""
        return self.get_parameters()

    def now(self) -> dt.datetime:
        """The sandbox time."""
        return self.clock.now()

    def patient(self, ins: INS | None) -> PatientRecord | None:
        """The stored patient of an INS."""
        return self.store.get_patient(ins) if ins is not None else None

    def authorization(self, patient: PatientRecord | None, professional_id: str) -> AuthorizationRecord | None:
        """The caller's authorisation on a DMP."""
        if patient is None:
            return None
        return self.store.get_authorization(patient.id, professional_id)

    def is_mt(self, patient: PatientRecord | None, professional_id: str) -> bool:
        """The caller is the patient's médecin traitant DMP (a ``VALIDE`` authorisation with the MT flag)."""
        auth = self.authorization(patient, professional_id)
        return auth is not None and auth.is_mt and auth.status is AuthorizationStatus.VALIDE


def _remember_caller(env: Env, request: SandboxRequest) -> None:
    caller = request.caller
    family, given = "", ""
    subject = (caller.subject_id or "").strip()
    if subject and " " in subject:
        given, _, family = subject.partition(" ")
    specialty = caller.specialty
    env.store.upsert_professional(
        ProfessionalRecord(
            caller.professional_id,
            family,
            given,
            caller.profession_code,
            specialty.code if specialty is not None else None,
            specialty.display_name if specialty is not None else None,
            caller.structure_id or None,
            env.now(),
        )
    )
    if caller.structure_id:
        env.store.upsert_structure(caller.structure_id, "", caller.secteur_activite, env.now())


def _log(
    env: Env, request: SandboxRequest, outcome: str, code: str | None, message: str | None, details: dict[str, Any]
) -> None:
    caller = request.caller
    env.store.log_access(
        LogRecord(
            at=env.now(),
            transaction=request.td,
            caller_id=caller.professional_id,
            patient=caller.patient.matricule if caller.patient is not None else details.pop("patient", None),
            outcome=outcome,
            code=code,
            message=message,
            details={
                "structure_id": caller.structure_id,
                "auth_mode": caller.auth_mode.value,
                "access_mode": caller.access_mode.value,
                "message_id": request.message_id,
                **details,
            },
        )
    )


def handle(
    env: Env,
    request: SandboxRequest,
    work: Callable[[dict[str, Any]], SoapResponse],
    on_refusal: Callable[[Refusal], SoapResponse],
) -> SoapResponse:
    """Run a handler body: refusals become the transaction's error answer (or a SOAP fault), malformed bodies a
    ``Sender`` fault; every call is written to the access log (after the body's own transaction, so that a
    refusal is logged although its work was rolled back)."""
    details: dict[str, Any] = {}
    try:
        response = work(details)
    except Refusal as refusal:
        _log(
            env,
            request,
            "refused",
            refusal.code,
            refusal.message_fr,
            {**details, "check": refusal.check.id, "explanation": refusal.explanation},
        )
        if refusal.fault or env.params.refusals_as_faults:
            raise SandboxFault("Sender", refusal.code, refusal.message_fr, detail=refusal.explanation) from None
        return on_refusal(refusal)
    except (ProtocolError, InputError) as exc:
        text = str(exc)
        _log(env, request, "refused", "Sender", text, details)
        raise SandboxFault("Sender", None, f"Requête invalide : {text}", detail=text) from None
    _remember_caller(env, request)
    _log(env, request, "ok", None, None, details)
    return response

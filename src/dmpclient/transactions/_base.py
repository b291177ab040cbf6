"""Shared plumbing of the sans-IO transactions (floor 3).

Every DMP transaction module follows the same four-function convention, so that the client (floor 4)
and the sandbox (floor 5) use the same code and can never disagree about the wire format::

    build_<name>_request(ctx: RequestContext, …typed input…) -> SoapRequest      # client
    parse_<name>_response(message: SoapMessage) -> <TypedResult>                   # client (raises typed errors)
    parse_<name>_request(message: SoapMessage) -> <TypedInput>                     # sandbox
    build_<name>_response(<TypedResult>, *, request: SoapMessage) -> SoapResponse  # sandbox

and registers a :class:`TransactionSpec` in :data:`TRANSACTIONS` (id, service, actions, body element),
which the sandbox uses for routing and ``dmpclient inspect`` for recognising captures.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Final

from lxml import etree

from dmpclient.context import ActingContext
from dmpclient.environments import Environment, Service
from dmpclient.errors import ConfigurationError
from dmpclient.ids import INS, OidGenerator
from dmpclient.security.signers import Signer
from dmpclient.security.vihf import SignedVihf, VihfOptions, build_vihf
from dmpclient.soap import ACTION_ALIASES, ACTIONS, RESPONSE_ACTIONS, Attachment, SoapRequest, build_request
from dmpclient.transactions.rights import RightsAction, require_right

__all__ = [
    "TRANSACTIONS",
    "RequestContext",
    "TransactionSpec",
    "register",
    "register_spec",
    "spec_for_body",
    "utc_now",
]


def utc_now() -> dt.datetime:
    """The current time, timezone-aware UTC (default clock)."""
    return dt.datetime.now(dt.UTC)


@dataclass(frozen=True, slots=True)
class TransactionSpec:
    """Static facts about one DMP transaction.

    Attributes:
        td: the DMP id (``"TD0.2"``, ``"TD3.1b"`` …).
        name: the Python name used in function names (``"test_existence"``).
        title: French title of the transaction.
        service: the service it is sent to.
        action: WS-Addressing action a client sends.
        response_action: action of the response.
        request_body: Clark name of the request body's root element.
        aliases: other actions a server must accept for it.
        discriminator: when several transactions share a body element (TD0.2 / TD1.3a share
            ``PRPA_IN201307UV02``; TD3.3a/c/d share ``SubmitObjectsRequest``), a short text saying how
            they are told apart.
    """

    td: str
    name: str
    title: str
    service: Service
    action: str
    response_action: str
    request_body: str
    aliases: tuple[str, ...] = ()
    discriminator: str | None = None


#: Every current transaction, by TD id. Filled by the transaction modules through :func:`register`.
TRANSACTIONS: Final[dict[str, TransactionSpec]] = {}


def register(spec: TransactionSpec) -> TransactionSpec:
    """Add a spec to :data:`TRANSACTIONS` (idempotent for the same spec)."""
    existing = TRANSACTIONS.get(spec.td)
    if existing is not None and existing != spec:
        raise ValueError(f"transaction {spec.td} registered twice with different specs")
    TRANSACTIONS[spec.td] = spec
    return spec


def register_spec(
    td: str, name: str, title: str, service: Service, body: str, discriminator: str | None = None
) -> TransactionSpec:
    """:func:`register` the spec of ``td`` with its actions taken from :data:`dmpclient.soap.ACTIONS`: the request
    action, its response action, and every alias that maps to it."""
    action = ACTIONS[td]
    return register(
        TransactionSpec(
            td=td,
            name=name,
            title=title,
            service=service,
            action=action,
            response_action=RESPONSE_ACTIONS[action],
            request_body=body,
            aliases=tuple(sorted(k for k, v in ACTION_ALIASES.items() if v == action)),
            discriminator=discriminator,
        )
    )


def spec_for_body(body: etree._Element) -> list[TransactionSpec]:
    """The transactions whose request body element is ``body``'s tag (several when a discriminator applies)."""
    return [s for s in TRANSACTIONS.values() if s.request_body == body.tag]


@dataclass(frozen=True)
class RequestContext:
    """Everything needed to build one request, besides the transaction's own input.

    Attributes:
        acting: who acts (professional, structure, modes, software).
        environment: where the request goes (its ``To`` and the service URL).
        signer: signs the VIHF (card signature key, ORG SIGN, or the VIHF server key) and, for TD2.1,
            the XAdES submission-set signature.
        clock: current time (VIHF instants, HL7 v3 creationTime, submission time).
        vihf_version: ``"4.0"`` (default) or ``"3.0"``.
        vihf_options: further VIHF choices (see :class:`~dmpclient.security.vihf.VihfOptions`).
        oid_generator: generates message ids and uniqueIds under the software's OID root.
        check_patients: refuse a NIA or an INS OID of another environment before building (CNDA 0.2-080).
        check_rights: refuse what the rights matrix refuses for the acting profile (PDT-INF-526/606).
        check_confidentiality: refuse forbidden TD3.3a/b confidentiality transitions (``INVISIBLE_*``).

    The three ``check_*`` flags exist so that tests can send what a careless client would and watch the
    DMP (or the sandbox) refuse it; production code leaves them on.
    """

    acting: ActingContext
    environment: Environment
    signer: Signer
    clock: Callable[[], dt.datetime] = utc_now
    vihf_version: str = "4.0"
    vihf_options: VihfOptions | None = None
    oid_generator: OidGenerator | None = field(default=None)
    check_patients: bool = True
    check_rights: bool = True
    check_confidentiality: bool = True

    @property
    def ids(self) -> OidGenerator:
        """The OID generator (one under the software's root when none was given)."""
        if self.oid_generator is not None:
            return self.oid_generator
        generator = OidGenerator(self.acting.software.oid_root, clock=lambda: self.clock().timestamp())
        object.__setattr__(self, "oid_generator", generator)
        return generator

    def require_patient(self, patient: INS) -> INS:
        """Raise unless ``patient`` may be used for DMP access here (NIA, OID per environment)."""
        if self.check_patients:
            patient.check_dmp_access(self.environment.kind)
        return patient

    def require_right(self, action: RightsAction, *, treating_physician: bool | None = None) -> None:
        """Raise :class:`~dmpclient.errors.RuleViolation` when the rights matrix refuses ``action``."""
        if self.check_rights:
            require_right(action, self.acting, treating_physician=treating_physician)

    def vihf(self, patient: INS | None) -> SignedVihf:
        """A freshly signed VIHF for one call (one token per call is the safe default, ``vihf.md`` §6)."""
        if patient is not None:
            self.require_patient(patient)
        return build_vihf(
            self.acting,
            patient,
            signer=self.signer,
            clock=self.clock,
            vihf_version=self.vihf_version,
            options=self.vihf_options,
        )

    def request(
        self,
        spec: TransactionSpec,
        body: etree._Element,
        *,
        patient: INS | None,
        attachments: Sequence[Attachment] = (),
    ) -> SoapRequest:
        """Wrap a body in an envelope with WS-Addressing and a fresh VIHF, for ``spec``'s service."""
        if self.signer is None:  # pragma: no cover - guarded by typing, kept for runtime callers
            raise ConfigurationError("a signer is required to build the VIHF", field="signer", value=None)
        return build_request(
            spec.service,
            body,
            action=spec.action,
            to=self.environment.service_url(spec.service),
            security=self.vihf(patient).element,
            attachments=list(attachments),
            transaction=spec.td,
        )

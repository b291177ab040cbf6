"""Where scenarios run: the embedded sandbox (in-process, or over real mutual TLS) or a real environment
described by a client configuration file (``dmpclient.client.settings``).

A target gives the runner, for one actor, an :class:`~dmpclient.context.ActingContext` and a
:class:`~dmpclient.client.DMPClient` whose exchange hook is the runner's. Only the sandbox target runs a
scenario's ``setup:`` and creates ``new`` patients.
"""

from __future__ import annotations

import datetime as dt
import random
import shutil
import tempfile
from collections.abc import Callable, Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any, Protocol

from dmpclient.client import DMPClient, ExchangeHook, GuardSettings
from dmpclient.client.settings import ClientSettings, Prompt
from dmpclient.context import AccessMode, ActingContext, AuthenticationMode, CardType
from dmpclient.environments import Environment
from dmpclient.ids import INS, EnvironmentKind, InsOid, nir_key
from dmpclient.scenarios.actions import PatientInfo, professional_from
from dmpclient.scenarios.model import Actor, NewPatient, Scenario, SetupOp
from dmpclient.security.certificates import TrustStore

__all__ = ["ConfigTarget", "SandboxTarget", "Target", "acting_context_for"]

_SANDBOX_IDENTITIES = {
    AuthenticationMode.DIRECTE: ("prof-auth", "prof-sign"),
    AuthenticationMode.INDIRECTE: ("ej-auth", "ej-sign"),
    AuthenticationMode.INDIRECTE_RENFORCEE: ("ej-auth", "ej-sign"),
}


def acting_context_for(base: ActingContext, actor: Actor) -> ActingContext:
    """``base`` (the configured context of the actor's mode) with the actor's card, access mode, reason,
    secret connection and professional applied."""
    professional = base.professional
    card = CardType(actor.card) if actor.card else None
    if actor.professional is not None:
        professional = professional_from(actor.professional, card_type=card or professional.card_type)
    elif card is not None:
        professional = replace(professional, card_type=card)
    return replace(
        base,
        professional=professional,
        access_mode=AccessMode(actor.access),
        access_reason=actor.reason,
        secret_connection=actor.secret_connection,
    )


class Target(Protocol):
    """What the runner needs from an environment."""

    name: str
    is_sandbox: bool
    trust_anchors: TrustStore | None
    trust_label: str | None

    def begin(self, scenario: Scenario) -> None:
        """Prepare for a scenario (sandbox: reset the store, clock and faults)."""

    def skip_reason(self, scenario: Scenario) -> str | None:
        """Why this target cannot run the scenario, or None."""

    def setup(self, op: SetupOp, args: Mapping[str, Any]) -> Any:
        """Run one setup operation (sandbox only)."""

    def new_patient(self, spec: NewPatient) -> PatientInfo:
        """Create a patient for the scenario (sandbox only)."""

    def context(self, actor: Actor) -> ActingContext:
        """The acting context of an actor."""

    def client(self, actor: Actor, guards_off: frozenset[str], hook: ExchangeHook) -> DMPClient:
        """A client for the actor's authentication mode with these guards off."""

    def now(self) -> dt.datetime:
        """The current time of the target (the sandbox's clock)."""

    def end(self) -> None:
        """After a scenario."""

    def close(self) -> None:
        """After the campaign."""


def _guards(off: frozenset[str]) -> GuardSettings:
    return GuardSettings().without(*sorted(off)) if off else GuardSettings()


class SandboxTarget:
    """The embedded sandbox: in-process transport by default, or a real HTTPS server with mutual TLS.

    Args:
        pki: a test PKI (``TestPki`` or its folder); a temporary one is created when None (≈ 3 s).
        mtls: serve over HTTPS + mTLS on 127.0.0.1 and connect to it (what a real DVx looks like).
        mask_homologation: mask the homologation number in the evidence (the test PKI's number is not a
            secret: unmasked by default, so that the VIHF signature of the evidence verifies).
    """

    is_sandbox = True

    def __init__(self, pki: Any = None, *, mtls: bool = False, mask_homologation: bool = False) -> None:
        from dmpclient.sandbox import Sandbox
        from dmpclient.security.pki import TestPki, create_test_pki

        self._tmp: Path | None = None
        if pki is None:
            self._tmp = Path(tempfile.mkdtemp(prefix="dmpclient-scenario-pki-"))
            pki = create_test_pki(self._tmp / "pki")
        elif not isinstance(pki, TestPki):
            folder = Path(pki)
            pki = (
                TestPki.load(folder) if (folder / "manifest.json").is_file() else create_test_pki(folder, softhsm=False)
            )
        self.pki: TestPki = pki
        self.mtls = mtls
        self.mask_homologation = mask_homologation
        self.sandbox = Sandbox.from_pki(pki)
        self.name = "sandbox (mTLS)" if mtls else "sandbox"
        self.trust_anchors: TrustStore | None = pki.trust_store()
        self.trust_label: str | None = "the test PKI"
        self._server: Any = self.sandbox.start() if mtls else None
        self._clients: dict[tuple[AuthenticationMode, frozenset[str]], DMPClient] = {}
        self._rng = random.Random(20240612)  # noqa: S311 - fictitious test INS numbers, not secrets

    # -- scenario lifecycle

    def skip_reason(self, scenario: Scenario) -> str | None:
        """None: the sandbox runs every scenario."""
        return None

    def begin(self, scenario: Scenario) -> None:
        """A fresh seeded store, the real-time clock, no faults, no client state."""
        self.end()
        self.sandbox.admin.reset(seed=True)
        self.sandbox.clock.reset()
        self.sandbox.faults.clear()

    def end(self) -> None:
        """Close the scenario's clients."""
        for client in self._clients.values():
            client.close()
        self._clients.clear()

    def close(self) -> None:
        """Stop everything; delete the temporary PKI."""
        self.end()
        if self._server is not None:
            self._server.stop()
            self._server = None
        self.sandbox.close()
        if self._tmp is not None:
            shutil.rmtree(self._tmp, ignore_errors=True)
            self._tmp = None

    def __enter__(self) -> SandboxTarget:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- setup

    def setup(self, op: SetupOp, args: Mapping[str, Any]) -> Any:
        """Call ``sandbox.admin.<operation>(**args)`` (``set_clock`` sets the shared clock)."""
        admin = self.sandbox.admin
        data = dict(args)
        if op.operation == "set_clock":
            return self.sandbox.clock.set(data.pop("now"), **data).isoformat()
        if op.operation == "set_authorization":
            ins = data.pop("ins")
            return admin.set_authorization(ins, str(data.pop("professional_id")), data.pop("status", None), **data)
        if op.operation in ("set_patient_state",):
            return admin.set_patient_state(data.pop("ins"), **data)
        if op.operation == "reset_searches":
            return admin.reset_searches()
        return getattr(admin, op.operation)(**data)

    def new_patient(self, spec: NewPatient) -> PatientInfo:
        """Create a patient with a fresh valid test INS and an empty DMP."""
        known = {p["ins"] if isinstance(p.get("ins"), str) else "" for p in self.sandbox.admin.list_patients()}
        while True:
            sex = "1" if spec.sex == "M" else "2"
            first13 = f"{sex}{spec.birth_date:%y%m}99{self._rng.randrange(1000):03d}{self._rng.randrange(1000):03d}"
            matricule = f"{first13}{nir_key(first13):02d}"
            if not any(matricule in k for k in known):
                break
        ins = INS.parse(matricule, InsOid.TEST)
        self.sandbox.admin.create_patient(
            ins=matricule,
            family=spec.family,
            given=spec.given,
            sex=spec.sex,
            birth_date=spec.birth_date.isoformat(),
            dmp_state=spec.dmp_state,
        )
        return PatientInfo(ins, spec.family, tuple(spec.given.split()), spec.birth_date, spec.sex, key="new")

    # -- clients

    def context(self, actor: Actor) -> ActingContext:
        """The PKI's context of the actor's mode, with the actor applied."""
        return acting_context_for(self.pki.acting_context(actor.mode), actor)

    def now(self) -> dt.datetime:
        """The sandbox clock."""
        value: dt.datetime = self.sandbox.clock.now()
        return value

    def client(self, actor: Actor, guards_off: frozenset[str], hook: ExchangeHook) -> DMPClient:
        """One client per (mode, guards), with the PKI identities of that mode."""
        mode = AuthenticationMode(actor.mode)
        key = (mode, guards_off)
        if key not in self._clients:
            tls_name, sign_name = _SANDBOX_IDENTITIES[mode]
            common: dict[str, Any] = {
                "context": self.pki.acting_context(mode),
                "signer": self.pki.signer(sign_name),
                "exchange_hook": hook,
                "mask_homologation": self.mask_homologation,
                "clock": self.sandbox.clock.now,
                "guards": _guards(guards_off),
            }
            if self._server is not None:
                env = Environment("sandbox", EnvironmentKind.TEST, self._server.soap_base)
                self._clients[key] = DMPClient(
                    env, tls=self.pki.tls_identity(tls_name), trust=self.pki.trust_store(), **common
                )
            else:
                transport = self.sandbox.transport(client_certificate=self.pki.certificate(tls_name))
                self._clients[key] = DMPClient("sandbox", transport=transport, **common)
        return self._clients[key]


class ConfigTarget:
    """A real environment (DV1, DE2, a DVx …) through a client configuration file.

    The configuration's acting context is the actor: a scenario (or step) asking for another
    authentication mode is skipped; access mode, bris de glace reason, secret connection, card type and an
    indirect-mode user are applied per call. Sandbox-only scenarios (setup, new patients, seeded ids) are
    skipped. The clients (one per set of disabled guards) live for the whole campaign, so a card PIN is
    asked once.

    Args:
        settings: the loaded configuration.
        environment: ``--env`` (None: the file's).
        prompt: asks for secrets whose environment variable is unset.
        environ: where secret environment variables are read.
        mask_homologation: override ``[client] mask_homologation``.
        transport: an httpx transport (tests).
    """

    is_sandbox = False

    def __init__(
        self,
        settings: ClientSettings,
        environment: str | None = None,
        *,
        prompt: Prompt | None = None,
        environ: Mapping[str, str] | None = None,
        mask_homologation: bool | None = None,
        transport: Any = None,
    ) -> None:
        self.settings = settings.with_environment(environment)
        self.name = self.settings.environment
        self._prompt = prompt
        self._environ = environ
        self._mask = mask_homologation
        self._transport = transport
        self._base = self.settings.acting_context(environ, prompt)
        self.trust_anchors = self.settings.trust_store()
        self.trust_label = "the configuration's trust store" if self.trust_anchors is not None else None
        self._clients: dict[frozenset[str], DMPClient] = {}
        self._now: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC)

    def skip_reason(self, scenario: Scenario) -> str | None:
        """Sandbox-only scenarios and other authentication modes are skipped."""
        if scenario.environments and self.name not in scenario.environments:
            return f"runs on {', '.join(scenario.environments)} only"
        if scenario.sandbox_only:
            return "needs the sandbox (setup, a new patient or seeded document ids)"
        modes = {scenario.actor.mode, *(s.actor.mode for s in scenario.steps if s.actor is not None)}
        mine = self._base.authentication_mode.value
        other = sorted(m for m in modes if m != mine)
        if other:
            return f"needs {', '.join(other)} authentication; the configuration is {mine}"
        return None

    def begin(self, scenario: Scenario) -> None:
        """Forget the previous scenario's feeds (EX_3.1-1090 journal)."""
        for client in self._clients.values():
            client.forget_feeds()

    def end(self) -> None:
        """Nothing to do between scenarios."""

    def setup(self, op: SetupOp, args: Mapping[str, Any]) -> Any:
        """Not possible on a real environment (the runner skips such scenarios)."""
        raise RuntimeError("setup operations need the sandbox")

    def new_patient(self, spec: NewPatient) -> PatientInfo:
        """Not possible on a real environment."""
        raise RuntimeError("new patients need the sandbox")

    def context(self, actor: Actor) -> ActingContext:
        """The configured context with the actor applied."""
        return acting_context_for(self._base, actor)

    def now(self) -> dt.datetime:
        """Wall-clock time (UTC)."""
        return self._now()

    def client(self, actor: Actor, guards_off: frozenset[str], hook: ExchangeHook) -> DMPClient:
        """The configuration's client (with these guards off)."""
        if guards_off not in self._clients:
            overrides: dict[str, Any] = {"exchange_hook": hook}
            if guards_off:
                overrides["guards"] = self.settings.guard_settings().without(*sorted(guards_off))
            if self._mask is not None:
                overrides["mask_homologation"] = self._mask
            if self._transport is not None:
                overrides["transport"] = self._transport
            client = self.settings.create_client(environ=self._environ, prompt=self._prompt, **overrides)
            assert isinstance(client, DMPClient)
            self._clients[guards_off] = client
        return self._clients[guards_off]

    def close(self) -> None:
        """Close the clients (and their signers)."""
        for client in self._clients.values():
            client.close()
        self._clients.clear()

    def __enter__(self) -> ConfigTarget:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

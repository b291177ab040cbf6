"""Helpers of the end-to-end tests (kept out of conftest.py so that test modules can import them).

* :class:`Kit` — the session's test PKI with its signers, TLS identities and trust store loaded once;
* :class:`World` — one sandbox as a test sees it (in-process or over mutual TLS), the factory of clients;
* :class:`Harness` — a sync or async client called the same way (``h.test_existence(ins)``); the async client
  runs on an event loop owned by the harness, so its connection pool survives from one call to the next;
* CDA builders for the seeded patients, and the INS of those patients (``dmpclient.sandbox.seed``).
"""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import functools
import inspect
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx

from dmpclient.cda import BuiltCda, DocumentHeaderInput, Patient, build_n1, make_sample_pdf
from dmpclient.cda.demo import DEMO_TIME
from dmpclient.client import AsyncDMPClient, DMPClient, Exchange, GuardSettings, RetryPolicy
from dmpclient.context import ActingContext, AuthenticationMode, CardType
from dmpclient.environments import SANDBOX, Environment
from dmpclient.ids import INS
from dmpclient.sandbox import Sandbox
from dmpclient.security.certificates import TrustStore
from dmpclient.security.pki import TestPki
from dmpclient.security.signers import SoftwareSigner
from dmpclient.security.tls import TlsIdentity

# ------------------------------------------------------------------------------ seeded patients (seed.py)

PAT_TROIS = INS.parse("279035121518989")  # active, empty DMP, no authorisation
PATB_QUATRE = INS.parse("207058575627097")  # 24 visible documents; Dr LIBRE is médecin traitant (VALIDE)
CONTESTE = INS.parse("153078987658513")  # no DMP: TD0.2 "NF"
FERMETURE = INS.parse("270108604926542")  # closed DMP
BLOCH = INS.parse("138080427231017")  # Dr LIBRE is INTERDIT
EXPIRE = INS.parse("241030750595179")  # Dr LIBRE's authorisation EXPIRE
VUN_UN = INS.parse("199033022011538")  # opposed to centre 15
MELANGE_SEBASTIEN = INS.parse("111068647818424")  # a minor (born 2011)
NIA = INS.parse("109076322088835", "1.2.250.1.213.1.4.9")

#: Dr Max LIBRE (the PKI's professional) and the seed's other physician.
LIBRE_ID = "899900063480"
MACHEPRO_ID = "899900062490"

#: Which certificates go with an authentication mode: (VIHF/XAdES signer, TLS client certificate).
CERTIFICATES: dict[AuthenticationMode, tuple[str, str]] = {
    AuthenticationMode.DIRECTE: ("prof-sign", "prof-auth"),
    AuthenticationMode.INDIRECTE: ("ej-sign", "ej-auth"),
    AuthenticationMode.INDIRECTE_RENFORCEE: ("ej-sign", "ej-auth"),
}

TRANSPORTS = ("inprocess", "mtls")
FLAVOURS = ("sync", "async")


# ------------------------------------------------------------------------------------------ the PKI


@dataclass(eq=False)
class Kit:
    """The session's test PKI, with the expensive objects (PKCS#12 decoding) loaded once."""

    pki: TestPki

    @functools.cached_property
    def trust(self) -> TrustStore:
        return self.pki.trust_store()

    @functools.cache  # noqa: B019 - one Kit per session
    def signer(self, name: str) -> SoftwareSigner:
        return self.pki.signer(name)

    @functools.cache  # noqa: B019 - one Kit per session
    def tls(self, name: str) -> TlsIdentity:
        return self.pki.tls_identity(name)

    def context(self, mode: AuthenticationMode | str = AuthenticationMode.DIRECTE) -> ActingContext:
        return self.pki.acting_context(mode)


def cpe_context(acting: ActingContext) -> ActingContext:
    """The same person with a CPE (secretary) card: feeds with TD2.2, cannot consult."""
    return dataclasses.replace(acting, professional=dataclasses.replace(acting.professional, card_type=CardType.CPE))


# ------------------------------------------------------------------------------------------ harness


class Harness:
    """One client, sync or async, called the same way; records what it exchanged.

    Attributes:
        exchanges: every :class:`~dmpclient.client.Exchange` the client reported (one per HTTP attempt).
        sleeps: the retry back-offs and ambiguity-check pauses the client asked for (never really slept).
    """

    def __init__(self, flavour: str, client: DMPClient | AsyncDMPClient, calls: Counter[tuple[str, str, str]],
                 mode: str) -> None:  # fmt: skip
        self.flavour = flavour
        self.client = client
        self.mode = mode
        self.exchanges: list[Exchange] = []
        self.sleeps: list[float] = []
        self._calls = calls
        self._loop = asyncio.new_event_loop() if flavour == "async" else None

    def __getattr__(self, name: str) -> Any:
        attribute = getattr(self.client, name)
        if not callable(attribute) or name.startswith("_"):
            return attribute
        self._calls[(name, self.mode, self.flavour)] += 1
        loop = self._loop
        if loop is None or not inspect.iscoroutinefunction(attribute):
            return attribute

        def run(*args: Any, **kwargs: Any) -> Any:
            return loop.run_until_complete(attribute(*args, **kwargs))

        return run

    def transactions(self) -> list[str]:
        """The transaction of each exchange so far, in order (``["TD3.1b", "TD3.3d"]`` …)."""
        return [e.transaction for e in self.exchanges]

    def forget(self) -> None:
        """Forget the recorded exchanges and sleeps."""
        self.exchanges.clear()
        self.sleeps.clear()

    def close(self) -> None:
        if isinstance(self.client, DMPClient):
            self.client.close()
            return
        assert self._loop is not None
        try:
            self._loop.run_until_complete(self.client.aclose())
        finally:
            self._loop.close()


# ------------------------------------------------------------------------------------------ world


@dataclass
class World:
    """One sandbox as a test sees it, and the factory of clients talking to it.

    Attributes:
        mode: ``inprocess`` (httpx transport calling the ASGI app, client certificate passed as the ASGI TLS
            extension) or ``mtls`` (the session's HTTPS server on 127.0.0.1, real mutual TLS).
        flavour: ``sync`` (:class:`DMPClient`) or ``async`` (:class:`AsyncDMPClient`).
        sandbox: the sandbox (its Python admin API, fault injector and clock are used directly).
        soap_base: the server's SOAP base URL (``mtls`` only).
        fault_sleeps: latencies injected through the fault injector's fake sleep (``inprocess`` only).
    """

    mode: str
    flavour: str
    kit: Kit
    sandbox: Sandbox
    calls: Counter[tuple[str, str, str]]
    soap_base: str | None = None
    fault_sleeps: list[float] = field(default_factory=list)
    _harnesses: list[Harness] = field(default_factory=list)

    @property
    def admin(self) -> Any:
        """The sandbox's Python admin API (:class:`~dmpclient.sandbox.BehaviourAdmin`)."""
        return self.sandbox.admin

    @property
    def faults(self) -> Any:
        """The sandbox's :class:`~dmpclient.sandbox.FaultInjector`."""
        return self.sandbox.faults

    @property
    def environment(self) -> Environment:
        env = SANDBOX.with_urls(webps_cps="https://wps-cps.sandbox.test")
        return env.with_urls(soap_base=self.soap_base) if self.soap_base else env

    def client(
        self,
        auth: AuthenticationMode | str = AuthenticationMode.DIRECTE,
        *,
        context: ActingContext | None = None,
        signer: str | None = None,
        tls: str | None = None,
        guards: GuardSettings | None = None,
        retries: RetryPolicy | None = None,
        exchange_hook: Callable[[Exchange], None] | None = None,
        **options: Any,
    ) -> Harness:
        """A client acting in ``auth`` mode with the matching certificates (each overridable).

        Retry back-offs are recorded, never slept; the ambiguity check runs at once.
        """
        mode = AuthenticationMode(auth)
        default_signer, default_tls = CERTIFICATES[mode]
        acting = context or self.kit.context(mode)
        sleeps: list[float] = []

        async def async_sleep(seconds: float) -> None:
            sleeps.append(seconds)

        policy = retries or RetryPolicy(backoff=0.01, jitter=0.0, ambiguous_check_delay=0.0)
        policy = dataclasses.replace(policy, sleep=sleeps.append, async_sleep=async_sleep)
        seen: list[Exchange] = []

        def hook(exchange: Exchange) -> None:
            seen.append(exchange)
            if exchange_hook is not None:
                exchange_hook(exchange)

        common: dict[str, Any] = {
            "context": acting,
            "signer": self.kit.signer(signer or default_signer),
            "retries": policy,
            "exchange_hook": hook,
            "guards": guards,
            **options,
        }
        tls_name = tls or default_tls
        if self.mode == "inprocess":
            transport = self.sandbox.transport(client_certificate=self.kit.pki.certificate(tls_name))
            common["transport"] = transport
        else:
            common["tls"] = self.kit.tls(tls_name)
            common["trust"] = self.kit.trust
        cls = DMPClient if self.flavour == "sync" else AsyncDMPClient
        harness = Harness(self.flavour, cls(self.environment, **common), self.calls, self.mode)
        harness.exchanges = seen
        harness.sleeps = sleeps
        self._harnesses.append(harness)
        return harness

    # -- CDA documents

    def patient(self, ins: INS) -> Patient:
        """The CDA patient of a seeded (or created) patient, from the sandbox's store."""
        data = self.admin.get_patient(ins.matricule)
        return Patient(
            ins=ins.matricule,
            birth_family_name=data["birth_family_name"],
            birth_given_names=tuple(data["given_names"]),
            sex=data["sex"],
            birth_date=dt.date.fromisoformat(data["birth_date"]),
        )

    def cda(
        self,
        ins: INS = PAT_TROIS,
        *,
        context: ActingContext | None = None,
        title: str = "Compte rendu de consultation",
        type_code: str = "11488-4",
    ) -> BuiltCda:
        """A fresh N1 CDA (sample PDF body) about ``ins`` by the acting professional, new uniqueId each time."""
        acting = context or self.kit.context(AuthenticationMode.DIRECTE)
        header = DocumentHeaderInput.from_context(
            acting,
            patient=self.patient(ins),
            type_code=type_code,
            title=title,
            service_start=DEMO_TIME - dt.timedelta(minutes=30),
            service_stop=DEMO_TIME - dt.timedelta(minutes=5),
            author_time=DEMO_TIME,
            effective_time=DEMO_TIME,
        )
        return build_n1(header, _sample_pdf())

    def close(self) -> None:
        for harness in self._harnesses:
            harness.close()
        self._harnesses.clear()


@functools.cache
def _sample_pdf() -> bytes:
    return make_sample_pdf()


def statuses(world: World, ins: INS) -> dict[tuple[str, int], str]:
    """``(uniqueId, version) → short status`` of every stored metadata version of a patient (admin view)."""
    return {
        (d["unique_id"], int(d["version"])): d["status"].rsplit(":", 1)[-1]
        for d in world.admin.list_documents(ins.matricule)
    }


def codes(entry: Any) -> set[str]:
    """The confidentiality codes of a DocumentEntry, as a set of strings."""
    return {c.code for c in entry.confidentiality_codes}


def admin_http(base_url: str, kit: Kit, token: str) -> httpx.Client:
    """An HTTPS client of the sandbox's admin API (mutual TLS with the EJ's certificate, bearer token)."""
    from dmpclient.security import create_ssl_context

    context = create_ssl_context(identity=kit.tls("ej-auth"), trust=kit.trust)
    return httpx.Client(
        base_url=f"{base_url}/_sandbox/admin",
        verify=context,
        headers={"Authorization": f"Bearer {token}"},
        trust_env=False,
        timeout=30.0,
    )


def client_methods() -> list[str]:
    """The public methods of :class:`DMPClient` that talk to the DMP or prepare a call (not ``close``)."""
    return sorted(
        name
        for name in dir(DMPClient)
        if not name.startswith("_") and callable(getattr(DMPClient, name)) and name not in ("close",)
    )


def iter_matrix(calls: Counter[tuple[str, str, str]]) -> Iterator[str]:
    """Lines of the coverage matrix (client method × transport × flavour, number of calls; 0 = not covered)."""
    methods = sorted(set(client_methods()) | {m for m, _, _ in calls})
    combos = [(t, f) for t in TRANSPORTS for f in FLAVOURS]
    yield f"{'method':40}" + "".join(f"{t + '/' + f:>16}" for t, f in combos)
    for method in methods:
        yield f"{method:40}" + "".join(f"{calls.get((method, t, f), 0):>16}" for t, f in combos)

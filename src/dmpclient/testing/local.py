"""A local DMP in one line: a fresh sandbox, a test PKI and a client wired to it (:func:`local_dmp`).

:class:`LocalDmp` is what tests, examples and demos hold: the client (``DMPClient`` or ``AsyncDMPClient``),
the sandbox and its admin API, the test PKI, the acting context, the named seeded patients, and helpers that
create patients and documents consistent with all of that.

The test PKI is created once per process in a temporary folder (about two seconds), or taken from the folder
named by the environment variable ``DMPCLIENT_TEST_PKI`` (created there when absent), so that several
processes can share one.
"""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import datetime as dt
import os
import shutil
import tempfile
import threading
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any, Final, Literal

from dmpclient.client import AsyncDMPClient, DMPClient, RetryPolicy
from dmpclient.context import AuthenticationMode
from dmpclient.environments import get_environment
from dmpclient.errors import InputError
from dmpclient.ids import INS, InsOid
from dmpclient.sandbox import Sandbox
from dmpclient.security import TestPki, create_test_pki
from dmpclient.testing.factories import make_context, make_document, random_birth_date, random_ins

if TYPE_CHECKING:
    from dmpclient.cda import BuiltCda, Patient
    from dmpclient.context import ActingContext
    from dmpclient.security import Signer
    from dmpclient.terminology import Code
    from dmpclient.transactions import DocumentToSubmit

__all__ = [
    "PKI_ENV",
    "SANDBOX_RETRY_POLICY",
    "SEEDED_PATIENTS",
    "LocalDmp",
    "LocalDmpSession",
    "Mode",
    "SeededPatients",
    "cached_test_pki",
    "identities_for",
    "local_dmp",
]

#: Environment variable naming a folder where the test PKI is kept (shared between processes).
PKI_ENV: Final = "DMPCLIENT_TEST_PKI"

#: How the client reaches the sandbox: ``inprocess`` (an httpx transport, no socket) or ``mtls`` (HTTPS with
#: mutual TLS on a free loopback port).
Mode = Literal["inprocess", "mtls"]
_MODES: Final = ("inprocess", "mtls")

#: The retry policy of the clients LocalDmp makes: the same rules, shorter waits (the sandbox is local and
#: has finished processing when a call fails, so an ambiguous submission is checked at once).
SANDBOX_RETRY_POLICY: Final = RetryPolicy(backoff=0.05, max_backoff=0.5, ambiguous_check_delay=0.0)

#: Which PKI entries sign the VIHF/XAdES and authenticate TLS, per authentication mode.
_IDENTITIES: Final[dict[AuthenticationMode, tuple[str, str]]] = {
    AuthenticationMode.DIRECTE: ("prof-sign", "prof-auth"),
    AuthenticationMode.INDIRECTE: ("ej-sign", "ej-auth"),
    AuthenticationMode.INDIRECTE_RENFORCEE: ("ej-sign", "ej-auth"),
}


def identities_for(mode: AuthenticationMode | str) -> tuple[str, str]:
    """The test-PKI entries ``(signer, TLS client certificate)`` the sandbox expects for an authentication mode."""
    return _IDENTITIES[AuthenticationMode(mode)]


@dataclass(frozen=True)
class SeededPatients:
    """The named patients of the sandbox's default seed (INS on the test OID ``.10`` unless noted).

    The seeded authorisations concern the test PKI's professional (Dr Max LIBRE, ``899900063480``).

    Attributes:
        with_documents: PATB-QUATRE Laurence — the 21 documents of the official TD3.1 answer and more; Dr LIBRE
            is her médecin traitant.
        empty: PAT-TROIS Dominique — an active DMP without documents, no authorisation.
        no_dmp: CONTESTE Jean — no DMP (TD0.2 answers ``exists=False``).
        closed: FERMETURE Florence — a closed DMP.
        nia: a NIA (OID ``.9``): refused by the client's guard and by the sandbox.
        blocked: BLOCH Dider — Dr LIBRE is blocked (``INTERDIT``).
        expired: EXPIRE Elvire — Dr LIBRE's authorisation expired.
        minor: TENERIFE Juan, born 2021.
        deceased: DECEDE Germaine — deceased: the DMP is read-only.
        opposed: PAT-VUN-DEUX Adam — opposed to bris de glace and centre 15 access.
        corsican: CORSE Figatellix — a NIR born in Corsica (``2B``).
        demonstration: DESMAUX Nathalie on the demonstration OID ``.11``.
        vaccinations: BON Jean — a vaccination record.
    """

    with_documents: INS = field(default_factory=lambda: INS.parse("207058575627097"))
    empty: INS = field(default_factory=lambda: INS.parse("279035121518989"))
    no_dmp: INS = field(default_factory=lambda: INS.parse("153078987658513"))
    closed: INS = field(default_factory=lambda: INS.parse("270108604926542"))
    nia: INS = field(default_factory=lambda: INS.parse("109076322088835", InsOid.NIA))
    blocked: INS = field(default_factory=lambda: INS.parse("138080427231017"))
    expired: INS = field(default_factory=lambda: INS.parse("241030750595179"))
    minor: INS = field(default_factory=lambda: INS.parse("121096322009479"))
    deceased: INS = field(default_factory=lambda: INS.parse("249127512345656"))
    opposed: INS = field(default_factory=lambda: INS.parse("116083022011613"))
    corsican: INS = field(default_factory=lambda: INS.parse("188102B17295165"))
    demonstration: INS = field(default_factory=lambda: INS.parse("255069999999934", InsOid.DEMONSTRATION))
    vaccinations: INS = field(default_factory=lambda: INS.parse("155076322000225"))

    def as_dict(self) -> dict[str, INS]:
        """Name → INS."""
        return {f.name: getattr(self, f.name) for f in fields(self)}


#: The seeded patients (one shared, immutable instance).
SEEDED_PATIENTS: Final = SeededPatients()

# ------------------------------------------------------------------------------------------ the test PKI

_PKI_LOCK = threading.Lock()
_PKI_CACHE: dict[str, TestPki] = {}


def _load_or_create(folder: Path) -> TestPki:
    if (folder / "manifest.json").is_file():
        return TestPki.load(folder)
    folder.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{folder.name}.", dir=folder.parent))
    try:
        create_test_pki(staging)
        with contextlib.suppress(OSError):
            folder.rmdir()  # an empty folder prepared by the caller
        try:
            staging.rename(folder)
        except OSError:  # another process won the race: use its PKI
            if not (folder / "manifest.json").is_file():
                raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return TestPki.load(folder)


def cached_test_pki() -> TestPki:
    """The test PKI of this process (created on first use; see :data:`PKI_ENV` to share one between processes).

    Shaped like IGC-Santé TEST: Dr Max LIBRE's card certificates, the hospital's EJ/EG certificates, the
    sandbox server certificate, expired and revoked variants (:func:`~dmpclient.security.create_test_pki`).
    """
    with _PKI_LOCK:
        named = os.environ.get(PKI_ENV, "")
        key = named or "<temporary>"
        if key not in _PKI_CACHE:
            if named:
                _PKI_CACHE[key] = _load_or_create(Path(named).expanduser().resolve())
            else:
                folder = tempfile.mkdtemp(prefix="dmpclient-test-pki-")
                atexit.register(shutil.rmtree, folder, ignore_errors=True)
                _PKI_CACHE[key] = create_test_pki(folder)
        return _PKI_CACHE[key]


def _resolve_pki(pki: TestPki | str | os.PathLike[str] | None) -> TestPki:
    if pki is None:
        return cached_test_pki()
    if isinstance(pki, TestPki):
        return pki
    return TestPki.load(pki)


# ---------------------------------------------------------------------------------------------- LocalDmp

Client = DMPClient | AsyncDMPClient


class LocalDmp:
    """A sandbox, its test PKI and clients wired to it. Made by :func:`local_dmp` (or :meth:`connect`).

    Attributes:
        client: the default client (``DMPClient``, or ``AsyncDMPClient`` with ``async_=True``).
        sandbox: the :class:`~dmpclient.sandbox.Sandbox` (``.faults``, ``.clock``, ``.admin``).
        pki: the :class:`~dmpclient.security.TestPki` whose certificates the clients use.
        context: the default client's acting context.
        url: the SOAP base URL (``https://127.0.0.1:<port>/…`` over mTLS; ``https://localhost/…`` in-process).
        mode: ``inprocess`` or ``mtls``.
        patients: the named seeded patients (:class:`SeededPatients`).
    """

    patients: Final = SEEDED_PATIENTS

    def __init__(
        self,
        sandbox: Sandbox,
        pki: TestPki,
        *,
        url: str | None = None,
        context: ActingContext | AuthenticationMode | str | None = None,
        signer: Signer | None = None,
        async_: bool = False,
        client_options: Mapping[str, Any] | None = None,
    ) -> None:
        self.sandbox = sandbox
        self.pki = pki
        self.mode: Mode = "mtls" if url is not None else "inprocess"
        self.url: str = url if url is not None else "https://localhost" + sandbox.config.services_root
        self._client_options = dict(client_options or {})
        self._clients: list[Client] = []
        self.client: Client = self.new_client(context=context, signer=signer, async_=async_)
        self.context: ActingContext = self.client.context

    @classmethod
    def connect(
        cls,
        sandbox: Sandbox,
        pki: TestPki,
        *,
        url: str | None = None,
        context: ActingContext | AuthenticationMode | str | None = None,
        signer: Signer | None = None,
        async_: bool = False,
        **client_options: Any,
    ) -> LocalDmp:
        """A view on an existing sandbox: in-process when ``url`` is None, else over mutual TLS to ``url``.

        The sandbox is not closed with the view (only the clients it made are).
        """
        return cls(sandbox, pki, url=url, context=context, signer=signer, async_=async_, client_options=client_options)

    # -- views

    @property
    def admin(self) -> Any:
        """The sandbox's admin API (patients, documents, logs, parameters, reset …)."""
        return self.sandbox.admin

    # -- clients

    def new_client(
        self,
        *,
        context: ActingContext | AuthenticationMode | str | None = None,
        signer: Signer | None = None,
        async_: bool = False,
        managed: bool = True,
        **options: Any,
    ) -> Client:
        """Another client on this sandbox, e.g. for a second actor.

        Args:
            context: an acting context, or an authentication mode (``"DIRECTE"``, ``"INDIRECTE"``,
                ``"INDIRECTE_RENFORCEE"``) for the test PKI's context of that mode; default DIRECTE.
            signer: default: the PKI key matching the mode (``prof-sign`` in DIRECTE, ``ej-sign`` otherwise);
                e.g. a SoftHSM2 ``Pkcs11Signer``.
            managed: close the client with this object (False: the caller closes it).
            options: other client constructor arguments (``guards=``, ``exchange_hook=`` …); the client's
                ``clock`` defaults to the sandbox clock and ``retries`` to :data:`SANDBOX_RETRY_POLICY`.
        """
        if context is None or isinstance(context, str | AuthenticationMode):
            acting = make_context(self.pki, context or AuthenticationMode.DIRECTE)
        else:
            acting = context
        sign_name, tls_name = identities_for(acting.authentication_mode)
        merged: dict[str, Any] = {
            "clock": self.sandbox.clock.now,
            "retries": SANDBOX_RETRY_POLICY,
            **self._client_options,
            **options,
        }
        merged["context"] = acting
        merged["signer"] = signer if signer is not None else self.pki.signer(sign_name)
        environment = get_environment("sandbox").with_urls(soap_base=self.url)
        if self.mode == "mtls":
            merged.setdefault("tls", self.pki.tls_identity(tls_name))
            merged.setdefault("trust", self.pki.trust_store())
        else:
            chain = self.pki.chain(tls_name)
            merged.setdefault(
                "transport",
                self.sandbox.transport(client_certificate=chain[0], client_chain=tuple(chain[1:-1])),
            )
        client: Client = (AsyncDMPClient if async_ else DMPClient)(environment, **merged)
        if managed:
            self._clients.append(client)
        return client

    def make_context(
        self, mode: AuthenticationMode | str = AuthenticationMode.DIRECTE, **options: Any
    ) -> ActingContext:
        """An acting context the sandbox authenticates (:func:`~dmpclient.testing.factories.make_context`)."""
        return make_context(self.pki, mode, **options)

    # -- patients

    def new_patient(
        self,
        *,
        family: str = "TESTPATIENT",
        given: str | tuple[str, ...] | None = None,
        sex: str = "F",
        birth_date: dt.date | None = None,
        authorized: bool = True,
        treating_physician: bool = False,
        oid: InsOid | str = InsOid.TEST,
        **state: Any,
    ) -> INS:
        """Create a patient with an active DMP through the admin API; returns a fresh valid random INS.

        Args:
            authorized: the default client's professional gets a ``VALIDE`` authorisation (needed to consult;
                feeding needs none).
            treating_physician: and is the patient's médecin traitant DMP.
            state: other admin fields (``dmp_state="closed"``, ``deceased_on=…``, ``minor=True`` …).
        """
        born = birth_date or random_birth_date()
        ins = random_ins(sex=sex, birth_date=born, oid=oid)
        for _ in range(50):  # a collision with an existing patient is unlikely; draw again if it happens
            try:
                self.admin.get_patient(ins)
            except KeyError:
                break
            ins = random_ins(sex=sex, birth_date=born, oid=oid)
        names = given if given is not None else (("PAUL",) if sex.upper() == "M" else ("CAMILLE",))
        fields: dict[str, Any] = {
            "ins": ins,
            "family": family,
            "given": list(names) if isinstance(names, tuple) else names,
            "sex": sex.upper(),
            "birth_date": born.isoformat(),
            **state,
        }
        professional = str(self.context.professional.id)
        if authorized or treating_physician:
            fields["authorizations"] = {professional: "VALIDE"}
        if treating_physician:
            fields["mt"] = professional
        self.admin.create_patient(**fields)
        return ins

    def cda_patient(self, ins: INS) -> Patient:
        """The CDA patient (INS traits) of a patient of the sandbox, as its store knows them."""
        from dmpclient.cda import Patient

        try:
            record = self.admin.get_patient(ins)
        except KeyError:
            raise InputError("no such patient in the sandbox", field="ins", value=str(ins)) from None
        return Patient(
            ins=ins,
            birth_family_name=record["birth_family_name"],
            birth_given_names=tuple(record["given_names"]),
            sex=record["sex"],
            birth_date=dt.date.fromisoformat(record["birth_date"]),
            used_family_name=record.get("used_family_name"),
            used_given_name=record.get("used_given_name"),
        )

    # -- documents

    def make_document(
        self,
        patient: INS | Patient,
        *,
        context: ActingContext | None = None,
        text: str | None = None,
        pdf: bytes | str | os.PathLike[str] | None = None,
        title: str | None = None,
        type_code: Code | str | None = None,
        confidentiality: tuple[Code | str, ...] | list[Code | str] = (),
        replaces: DocumentToSubmit | BuiltCda | None = None,
        **header: Any,
    ) -> DocumentToSubmit:
        """An N1 CDA document for ``patient``, written by the client's acting context, dated by the sandbox clock.

        See :func:`~dmpclient.testing.factories.make_document` for the arguments.
        """
        cda_patient = self.cda_patient(patient) if isinstance(patient, INS) else patient
        extra: dict[str, Any] = dict(header)
        if title is not None:
            extra["title"] = title
        if type_code is not None:
            extra["type_code"] = type_code
        return make_document(
            context or self.client.context,
            cda_patient,
            text=text,
            pdf=pdf,
            confidentiality=confidentiality,
            replaces=replaces,
            when=self.sandbox.clock.now(),
            **extra,
        )

    # -- state

    def reset(self, *, seed: bool = True, parameters: Mapping[str, Any] | None = None) -> None:
        """Back to a fresh sandbox: store reseeded, faults cleared, clock reset, AIR replay cache cleared,
        ``parameters`` restored when given, feeds journal of every client forgotten."""
        self.admin.reset(seed=seed)
        if parameters is not None:
            self.admin.set_parameters(**parameters)
        self.sandbox.faults.clear()
        self.sandbox.clock.reset()
        replay = getattr(getattr(self.sandbox.app, "authenticator", None), "replay", None)
        if replay is not None:
            replay.clear()
        for client in self._clients:
            client.forget_feeds()

    # -- closing

    def close(self) -> None:
        """Close the clients made by this object (an async client: see :meth:`aclose`)."""
        clients, self._clients = self._clients, []
        pending: list[AsyncDMPClient] = []
        for client in clients:
            if isinstance(client, AsyncDMPClient):
                pending.append(client)
            else:
                client.close()
        if not pending:
            return
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            asyncio.run(_aclose_all(pending))
            return
        warnings.warn(
            "LocalDmp.close() inside a running event loop cannot close async clients: use `async with "
            "local_dmp(async_=True)` or `await dmp.aclose()`",
            ResourceWarning,
            stacklevel=2,
        )

    async def aclose(self) -> None:
        """Close every client made by this object (async clients awaited)."""
        clients, self._clients = self._clients, []
        await _aclose_all([c for c in clients if isinstance(c, AsyncDMPClient)])
        for client in clients:
            if isinstance(client, DMPClient):
                client.close()

    def __repr__(self) -> str:
        return f"<LocalDmp {self.mode} {self.url} {self.context.authentication_mode.value}>"


async def _aclose_all(clients: list[AsyncDMPClient]) -> None:
    for client in clients:
        with contextlib.suppress(Exception):
            await client.aclose()


class LocalDmpSession:
    """The context manager returned by :func:`local_dmp`: ``with`` or ``async with`` it to get a :class:`LocalDmp`."""

    def __init__(
        self,
        *,
        mode: Mode,
        context: ActingContext | AuthenticationMode | str | None,
        patients: str,
        async_: bool,
        pki: TestPki | str | os.PathLike[str] | None,
        signer: Signer | None,
        sandbox_options: Mapping[str, Any] | None,
        client_options: Mapping[str, Any],
    ) -> None:
        if mode not in _MODES:
            raise InputError("mode is inprocess or mtls", field="mode", value=mode)
        if patients not in ("seeded", "empty"):
            raise InputError("patients is seeded or empty", field="patients", value=patients)
        self._mode: Mode = mode
        self._context = context
        self._seed = patients == "seeded"
        self._async = async_
        self._pki = pki
        self._signer = signer
        self._sandbox_options = dict(sandbox_options or {})
        self._client_options = dict(client_options)
        self._stack: contextlib.ExitStack | None = None
        self._dmp: LocalDmp | None = None

    def _open(self) -> LocalDmp:
        if self._stack is not None:
            raise InputError("this local_dmp() is already open", field="local_dmp", value=None)
        pki = _resolve_pki(self._pki)
        stack = contextlib.ExitStack()
        try:
            sandbox = stack.enter_context(Sandbox.from_pki(pki, seed=self._seed, **self._sandbox_options))
            url = stack.enter_context(sandbox.run()) if self._mode == "mtls" else None
            dmp = LocalDmp(
                sandbox,
                pki,
                url=url,
                context=self._context,
                signer=self._signer,
                async_=self._async,
                client_options=self._client_options,
            )
        except BaseException:
            stack.close()
            raise
        self._stack, self._dmp = stack, dmp
        return dmp

    def __enter__(self) -> LocalDmp:
        return self._open()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        stack, dmp = self._stack, self._dmp
        self._stack = self._dmp = None
        try:
            if dmp is not None:
                dmp.close()
        finally:
            if stack is not None:
                stack.close()

    async def __aenter__(self) -> LocalDmp:
        return self._open()

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        stack, dmp = self._stack, self._dmp
        self._stack = self._dmp = None
        try:
            if dmp is not None:
                await dmp.aclose()
        finally:
            if stack is not None:
                stack.close()


def local_dmp(
    *,
    mode: Mode = "inprocess",
    context: ActingContext | AuthenticationMode | str | None = None,
    patients: Literal["seeded", "empty"] = "seeded",
    async_: bool = False,
    pki: TestPki | str | os.PathLike[str] | None = None,
    signer: Signer | None = None,
    sandbox_options: Mapping[str, Any] | None = None,
    **client_options: Any,
) -> LocalDmpSession:
    """A fresh local DMP and a client wired to it, for a ``with`` (or ``async with``) block.

    ::

        with local_dmp() as dmp:
            status = dmp.client.test_existence(dmp.patients.with_documents)

    Args:
        mode: ``inprocess`` (an httpx transport into the sandbox, no socket; the client certificate is still
            presented and checked) or ``mtls`` (a real HTTPS server with mutual TLS on a free loopback port).
        context: the client's acting context, or an authentication mode for the test PKI's context of that mode
            (default DIRECTE: Dr Max LIBRE at his cabinet, signing with his "card").
        patients: ``seeded`` (the test patients and documents, see :class:`SeededPatients`) or ``empty``.
        async_: make the client an ``AsyncDMPClient`` (prefer ``async with local_dmp(async_=True)``).
        pki: a test PKI (or its folder); default :func:`cached_test_pki`.
        signer: the client's signer (default: the PKI key matching the mode), e.g. a SoftHSM2 token.
        sandbox_options: :class:`~dmpclient.sandbox.SandboxConfig` overrides (``allow_sha1=True`` …).
        client_options: client constructor arguments (``guards=``, ``exchange_hook=`` …).

    The sandbox keeps its store in memory: everything is gone when the block ends.
    """
    return LocalDmpSession(
        mode=mode,
        context=context,
        patients=patients,
        async_=async_,
        pki=pki,
        signer=signer,
        sandbox_options=sandbox_options,
        client_options=client_options,
    )

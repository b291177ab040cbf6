"""The contract between the sandbox **platform** (HTTP, TLS, routing, authentication, faults, admin transport)
and the sandbox **DMP behaviour** (SQLite store, seed data, one handler per transaction, rights, admin API).

Platform side (``app.py``, ``auth.py``, ``routing.py``, ``server.py`` …) — what it guarantees to a handler:

1. the body was read completely (large MTOM parts spooled to disk), the envelope parsed (SOAP 1.2,
   WS-Addressing ``Action``/``MessageID``/``To`` present), the transaction resolved (action, aliases, body
   element, service) — see :attr:`SandboxRequest.transaction`;
2. the VIHF was **authenticated**: exactly one signed assertion, valid signature with allowed algorithms,
   certificate chained to the configured anchors and used as the mode requires, clock window and AIR
   replay, mandatory attributes well formed (speciality of médecins/pharmaciens, resource-id INS with a
   valid key and accepted OID, never a NIA), and — over real TLS — the client certificate consistent with
   the VIHF. The result is :attr:`SandboxRequest.caller`;
3. the handler's :class:`~dmpclient.soap.SoapResponse` is streamed back with an exact ``Content-Length``;
   its ``RelatesTo`` is set to the request ``MessageID`` if the handler left it out;
4. a :class:`SandboxFault` raised by a handler becomes a SOAP 1.2 fault (HTTP 500 by default; MTOM for
   ITI-43). Any other exception becomes a ``Receiver`` fault (``DMP_SERVER_ERROR``) and is logged.

Behaviour side — what it provides (a :class:`DmpBehaviour`):

* ``handlers``: a :class:`HandlerRegistry` with one handler per TD id (``"TD0.2"``, ``"TD3.3c"`` …). A
  handler is ``def handle(request: SandboxRequest) -> SoapResponse`` (run in a worker thread) or
  ``async def`` (run on the event loop). Handlers answer the DMP's business errors themselves
  (RegistryResponse failures, HL7 v3 ``AE``/``NF`` acknowledgements, ``status`` ≠ ``DMPOk``) and raise
  :class:`SandboxFault` for the errors the DMP sends as SOAP faults (rights refusals such as
  ``DMPAccessForbidden`` when the reference says so, ``XDSDocumentUniqueIdError`` on ITI-43 …);
* ``admin``: the Python admin API (:class:`SandboxAdmin`), which the platform exposes over HTTP;
* ``clock``: the :class:`~dmpclient.sandbox.clock.SandboxClock` it reads (the one of the config);
* ``close()``: release the store.

The behaviour is built by a factory ``(config: SandboxConfig) -> DmpBehaviour``; by default
:class:`~dmpclient.sandbox.Sandbox` calls ``dmpclient.sandbox.behaviour:create_behaviour``
(:data:`~dmpclient.sandbox.config.DEFAULT_BEHAVIOUR_FACTORY`, overridable with
``SandboxConfig.behaviour_factory``).
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Awaitable, Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol, TypeAlias, runtime_checkable

from cryptography import x509
from lxml import etree

from dmpclient.context import AccessMode, AuthenticationMode, CardType
from dmpclient.environments import Service
from dmpclient.errors import DMPClientError
from dmpclient.ids import INS
from dmpclient.soap import ParsedEnvelope, SoapMessage, SoapResponse, build_response
from dmpclient.soap.mtom import Attachment
from dmpclient.transactions._base import TransactionSpec

if TYPE_CHECKING:
    from dmpclient.sandbox.clock import SandboxClock
    from dmpclient.sandbox.config import SandboxConfig
    from dmpclient.security.vihf import CodedValue, Vihf, VihfVerification

__all__ = [
    "BehaviourFactory",
    "Caller",
    "Discriminator",
    "DmpBehaviour",
    "Handler",
    "HandlerRegistry",
    "SandboxAdmin",
    "SandboxFault",
    "SandboxRequest",
]


@dataclass(frozen=True, slots=True)
class Caller:
    """Who calls, as authenticated by the platform from the VIHF (and the TLS certificate).

    Attributes:
        auth_mode: ``Authentification_mode`` (DIRECTE, INDIRECTE, INDIRECTE_RENFORCEE).
        professional_id: VIHF ``NameID`` (``8``+RPPS, ``0``+ADELI, ``<structure>/<local id>``).
        structure_id: VIHF ``Identifiant_Structure`` (Struct IdNat: ``1``+FINESS, ``499…`` cabinet …).
        secteur_activite: code part of ``Secteur_Activite`` (``SA07``), or None.
        profession: first role value (TRE_G15 profession, or a TRE_A00 code for non-PS).
        specialty: second role value (TRE_R01 savoir-faire), or None.
        card_type: in DIRECTE mode, the card guessed from the token: ``CPE`` when the NameID is
            ``<structure>/<card id>`` or the role is not a health profession (TRE_A00), ``CPF`` for a
            student profession (TRE_G16), ``CPS`` otherwise; None in INDIRECTE/AIR.
        access_mode: purpose of use (normal, bris_de_glace, centre_15).
        access_reason: bris de glace reason when the token carries one.
        secret_connection: the token carries ``INVISIBLE_REPRESENTANTS_LEGAUX`` (minor's secret connection).
        patient: the INS of ``resource-id`` (checked: key, accepted OID, never a NIA); None when absent
            (only for :attr:`SandboxConfig.patientless_transactions`).
        subject_id: ``subject-id`` (user's name in INDIRECTE/AIR), or None.
        software_name / software_version / software_id / homologation_number: the ``LPS_*`` attributes.
        tls_structure_id: Struct IdNat of the TLS client certificate (its OU), when over TLS.
        tls_professional_id: person IdNat of the TLS client certificate (its CN), when over TLS.
        signer_structure_id / signer_professional_id: the same read from the VIHF signing certificate.
    """

    auth_mode: AuthenticationMode
    professional_id: str
    structure_id: str
    secteur_activite: str | None = None
    profession: CodedValue | None = None
    specialty: CodedValue | None = None
    card_type: CardType | None = None
    access_mode: AccessMode = AccessMode.NORMAL
    access_reason: str | None = None
    secret_connection: bool = False
    patient: INS | None = None
    subject_id: str | None = None
    software_name: str | None = None
    software_version: str | None = None
    software_id: str | None = None
    homologation_number: str | None = None
    tls_structure_id: str | None = None
    tls_professional_id: str | None = None
    signer_structure_id: str | None = None
    signer_professional_id: str | None = None

    @property
    def is_direct(self) -> bool:
        """DIRECTE (card) authentication."""
        return self.auth_mode is AuthenticationMode.DIRECTE

    @property
    def is_indirect(self) -> bool:
        """INDIRECTE (structure certificate) authentication."""
        return self.auth_mode is AuthenticationMode.INDIRECTE

    @property
    def is_air(self) -> bool:
        """INDIRECTE_RENFORCEE (AIR) authentication."""
        return self.auth_mode is AuthenticationMode.INDIRECTE_RENFORCEE

    @property
    def profession_code(self) -> str | None:
        """Code of the profession (``10`` Médecin …), or None."""
        return self.profession.code if self.profession is not None else None

    @property
    def specialty_code(self) -> str | None:
        """Code of the speciality (``SM26`` …), or None."""
        return self.specialty.code if self.specialty is not None else None


@dataclass(frozen=True, eq=False)
class SandboxRequest:
    """One authenticated DMP call, as handed to a transaction handler.

    Attributes:
        transaction: the resolved transaction (TD id, service, actions, body element).
        candidates: every transaction sharing the action and body element (``TD0.2``/``TD1.3a``,
            ``TD3.3a``/``b``/``c``/``d`` …); :attr:`transaction` is the one chosen by the discriminator.
        service: the service path called.
        action: the request action, canonical spelling (aliases resolved).
        message: the received message: parsed envelope, root bytes, MTOM parts (spooled files are deleted
            after the response is sent; use :meth:`~dmpclient.soap.ReceivedPart.move_to` to keep one).
        vihf: the decoded VIHF.
        verification: the signature/certificate/time report of the VIHF (None when signatures are not
            required and the token is unsigned).
        caller: the authenticated caller summary.
        client_certificate: the TLS client certificate (None in-process or without client certificate).
        client_chain: the certificates the client sent after its leaf, if the server could read them.
        received_at: the sandbox clock when the request was complete.
        remote_address: ``"host:port"`` of the client, when known.
        path: the HTTP path called.
        headers: the HTTP request headers (lower-case names).
    """

    transaction: TransactionSpec
    candidates: tuple[TransactionSpec, ...]
    service: Service
    action: str
    message: SoapMessage
    vihf: Vihf
    verification: VihfVerification | None
    caller: Caller
    client_certificate: x509.Certificate | None = None
    client_chain: tuple[x509.Certificate, ...] = ()
    received_at: dt.datetime = field(default_factory=lambda: dt.datetime.now(dt.UTC))
    remote_address: str | None = None
    path: str = ""
    headers: tuple[tuple[str, str], ...] = ()

    @property
    def td(self) -> str:
        """The TD id of :attr:`transaction`."""
        return self.transaction.td

    @property
    def envelope(self) -> ParsedEnvelope:
        """The parsed SOAP envelope."""
        return self.message.envelope

    @property
    def payload(self) -> etree._Element:
        """The body's first element (the transaction message)."""
        payload = self.message.envelope.payload
        if payload is None:  # the platform never routes an empty body
            raise SandboxFault("Sender", None, "Le corps du message SOAP est vide")
        return payload

    @property
    def message_id(self) -> str | None:
        """The request ``wsa:MessageID`` (the response's ``RelatesTo``)."""
        return self.message.envelope.message_id

    @property
    def patient(self) -> INS | None:
        """The patient of the VIHF ``resource-id``."""
        return self.caller.patient

    def respond(
        self,
        body: etree._Element,
        *,
        attachments: Sequence[Attachment] = (),
        mtom: bool | None = None,
        status_code: int = 200,
    ) -> SoapResponse:
        """A response envelope for this request: the transaction's response action, ``RelatesTo`` set.

        Prefer the transaction module's ``build_<name>_response`` when it exists; this is the generic path.
        """
        return build_response(
            body,
            action=self.transaction.response_action,
            relates_to=self.message_id,
            attachments=attachments,
            mtom=mtom,
            status_code=status_code,
        )


class SandboxFault(DMPClientError):
    """Raised by a handler (or the platform) to answer a SOAP 1.2 fault, as the DMP does.

    Args:
        code: SOAP fault code: ``Sender`` (caller's fault), ``Receiver``, ``VersionMismatch``, ``MustUnderstand``.
        subcode: the DMP code (``DMPInvalidCertificate``, ``DMPAccessForbidden``…) or a ``{namespace}local``
            name (WS-Security / WS-Addressing standard subcodes), or None.
        reason_fr: the French message, verbatim from the reference when it gives one.
        http_status: HTTP status of the fault (500 like the DMP).
        detail: optional ``soap:Detail`` text (our English explanation) or element.
        mtom: send the fault as an MTOM package (None: only for :attr:`SandboxConfig.mtom_fault_transactions`).
    """

    def __init__(
        self,
        code: str = "Sender",
        subcode: str | Sequence[str] | None = None,
        reason_fr: str = "",
        *,
        http_status: int = 500,
        detail: str | etree._Element | None = None,
        mtom: bool | None = None,
    ) -> None:
        self.code = code
        self.subcode = subcode
        self.reason_fr = reason_fr
        self.http_status = http_status
        self.detail = detail
        self.mtom = mtom
        sub = subcode if isinstance(subcode, str) or subcode is None else "/".join(subcode)
        super().__init__(f"SOAP fault {code}{'/' + sub if sub else ''}: {reason_fr}")

    @property
    def subcodes(self) -> tuple[str, ...]:
        """The subcodes as a tuple (outermost first)."""
        if self.subcode is None:
            return ()
        return (self.subcode,) if isinstance(self.subcode, str) else tuple(self.subcode)


#: A transaction handler: sync (run in a worker thread) or async (run on the event loop).
Handler: TypeAlias = Callable[[SandboxRequest], SoapResponse | Awaitable[SoapResponse]]

#: Chooses the transaction among several sharing action and body element; returns None to let the platform's
#: built-in rules decide. Arguments: the candidates, the received message, the caller.
Discriminator: TypeAlias = Callable[[Sequence[TransactionSpec], SoapMessage, Caller], TransactionSpec | None]


class HandlerRegistry:
    """Handlers by TD id, plus an optional discriminator.

    Args:
        thread_safe: False (default) makes the platform serialise calls to **sync** handlers with one lock
            (safe for a single SQLite connection); True lets several run at once in worker threads.

    Use::

        handlers = HandlerRegistry()

        @handlers.on("TD0.2")
        def test_existence(request: SandboxRequest) -> SoapResponse: ...

        handlers.register("TD3.2", retrieve)   # or as a plain call
    """

    def __init__(self, *, thread_safe: bool = False) -> None:
        self._handlers: dict[str, Handler] = {}
        self.thread_safe = thread_safe
        self.discriminator: Discriminator | None = None
        self.lock = threading.Lock()

    def register(self, td: str, handler: Handler) -> Handler:
        """Register ``handler`` for ``td`` (replacing any previous one); returns it."""
        if not callable(handler):
            raise TypeError(f"the handler of {td} is not callable")
        self._handlers[td] = handler
        return handler

    def on(self, td: str) -> Callable[[Handler], Handler]:
        """Decorator form of :meth:`register`."""

        def decorate(handler: Handler) -> Handler:
            return self.register(td, handler)

        return decorate

    def set_discriminator(self, discriminator: Discriminator | None) -> None:
        """Install the behaviour's own discriminator (consulted before the platform's built-in rules)."""
        self.discriminator = discriminator

    def get(self, td: str) -> Handler | None:
        """The handler of ``td``, or None."""
        return self._handlers.get(td)

    def __contains__(self, td: object) -> bool:
        return td in self._handlers

    def __iter__(self) -> Iterator[str]:
        return iter(self._handlers)

    def __len__(self) -> int:
        return len(self._handlers)

    @property
    def tds(self) -> tuple[str, ...]:
        """The TD ids with a handler, sorted."""
        return tuple(sorted(self._handlers))


@runtime_checkable
class SandboxAdmin(Protocol):
    """The Python admin API of the DMP behaviour; the platform maps it to HTTP (``/_sandbox/admin/…``).

    Values returned may be pydantic models, dataclasses, mappings, sequences, enums, dates or primitives: the
    HTTP layer converts them to JSON. Raise ``LookupError`` (``KeyError``) for an unknown patient/document
    (HTTP 404) and :class:`~dmpclient.errors.InputError` / ``ValueError`` for bad input (HTTP 400).

    ===============================================  ==========================================================
    Python                                           HTTP
    ===============================================  ==========================================================
    ``create_patient(**fields)``                     ``POST /_sandbox/admin/patients`` (JSON object = fields)
    ``list_patients()``                              ``GET /_sandbox/admin/patients``
    ``get_patient(ins)``                             ``GET /_sandbox/admin/patients/{ins}``
    ``set_patient_state(ins, **changes)``            ``PATCH /_sandbox/admin/patients/{ins}`` (JSON = changes)
    ``list_documents(ins=None, **filters)``          ``GET /_sandbox/admin/documents?ins=…&<filter>=…``
    ``get_document(ref)``                            ``GET /_sandbox/admin/documents/{ref}`` (uniqueId/entryUUID)
    ``document_content(ref)``                        ``GET /_sandbox/admin/documents/{ref}/content`` (bytes)
    ``list_logs(ins=None, **filters)``               ``GET /_sandbox/admin/logs?ins=…&<filter>=…``
    ``reset(seed=True)``                             ``POST /_sandbox/admin/reset`` (JSON ``{"seed": bool}``)
    ===============================================  ==========================================================

    The platform adds its own endpoints: ``/_sandbox/admin/clock`` (the shared clock) and
    ``/_sandbox/admin/faults`` (fault injection).
    """

    def create_patient(self, **fields: Any) -> Any:
        """Create a patient (INS, birth data, DMP state…); returns the created patient."""
        ...

    def list_patients(self) -> Sequence[Any]:
        """Every patient of the store."""
        ...

    def get_patient(self, ins: str) -> Any:
        """One patient by INS matricule (or CX); ``KeyError`` when unknown."""
        ...

    def set_patient_state(self, ins: str, **changes: Any) -> Any:
        """Change a patient's DMP state (closed, deceased, oppositions, blocked PS, authorisations…)."""
        ...

    def list_documents(self, ins: str | None = None, **filters: Any) -> Sequence[Any]:
        """Documents (metadata and status), optionally for one patient and filtered."""
        ...

    def get_document(self, ref: str) -> Any:
        """One document by uniqueId or entryUUID; ``KeyError`` when unknown."""
        ...

    def document_content(self, ref: str) -> bytes:
        """The stored bytes of a document."""
        ...

    def list_logs(self, ins: str | None = None, **filters: Any) -> Sequence[Any]:
        """Access / notification logs (who did what, when), optionally for one patient."""
        ...

    def reset(self, *, seed: bool = True) -> None:
        """Empty the store (and reload the seed data when ``seed``)."""
        ...


@runtime_checkable
class DmpBehaviour(Protocol):
    """What the DMP behaviour hands to the platform (see the module docstring)."""

    @property
    def handlers(self) -> HandlerRegistry:
        """One handler per TD id."""
        ...

    @property
    def admin(self) -> SandboxAdmin:
        """The Python admin API."""
        ...

    @property
    def clock(self) -> SandboxClock:
        """The clock the behaviour reads (the config's clock)."""
        ...

    def close(self) -> None:
        """Release the store (connections, temporary files)."""
        ...


class BehaviourFactory(Protocol):
    """Builds the DMP behaviour from the sandbox configuration (``config.database``, ``config.trust``…)."""

    def __call__(self, config: SandboxConfig) -> DmpBehaviour: ...


#: JSON-ready values the admin layer accepts back from :class:`SandboxAdmin` methods (documentation alias).
AdminResult: TypeAlias = Mapping[str, Any] | Sequence[Any] | Any

"""Helpers of the sandbox **platform** tests: a test PKI per session, a minimal stub behaviour (echoes the
routed transaction and the authenticated caller), VIHF builders with targeted defects, request builders.

The stub is for the platform tests only: it does not enforce any DMP rule (that is the DMP behaviour's job,
tested elsewhere).
"""

from __future__ import annotations

import atexit
import datetime as dt
import functools
import shutil
import tempfile
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import httpx
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from lxml import etree

from dmpclient import _xml
from dmpclient._xml import NS, q
from dmpclient.ids import INS, InsOid
from dmpclient.sandbox._interfaces import HandlerRegistry, SandboxFault, SandboxRequest
from dmpclient.sandbox.clock import SandboxClock
from dmpclient.sandbox.config import SandboxConfig
from dmpclient.sandbox.routing import DEFAULT_SPECS, Router
from dmpclient.security.pki import TestPki, create_test_pki
from dmpclient.security.signers import SoftwareSigner
from dmpclient.security.vihf import VihfOptions, build_vihf, sign_assertion
from dmpclient.soap import Attachment, SoapRequest, SoapResponse, build_request, read_message
from dmpclient.transactions._base import TransactionSpec

ECHO_NS = "urn:test:dmpclient:sandbox-echo"
PATIENT = INS.parse("277076322082910")
NIA_PATIENT = INS.parse("277076322082910", oid=InsOid.NIA)
SERVICES = "/si-dmp-server/v2/services"
BASE = "https://sandbox.test" + SERVICES
SAML = NS["saml2"]
DS = NS["ds"]


# ------------------------------------------------------------------------------------------------ PKI


@functools.cache
def session_pki() -> TestPki:
    """One test PKI per test process (key generation takes a few seconds)."""
    directory = Path(tempfile.mkdtemp(prefix="dmpclient-sandbox-pki-"))
    atexit.register(shutil.rmtree, directory, ignore_errors=True)
    return create_test_pki(directory)


def make_config(pki: TestPki | None = None, **overrides: Any) -> SandboxConfig:
    """A config trusting the session PKI (or ``pki``), with overrides."""
    return SandboxConfig.from_pki(pki or session_pki(), **overrides)


# ------------------------------------------------------------------------------------------ behaviour


class StubAdmin:
    """An in-memory admin API with the shape of :class:`~dmpclient.sandbox.SandboxAdmin`."""

    def __init__(self) -> None:
        self.patients: dict[str, dict[str, Any]] = {}
        self.resets = 0

    def create_patient(self, **fields: Any) -> dict[str, Any]:
        ins = str(fields.get("ins") or "")
        INS.parse(ins)  # raises InputError (→ HTTP 400) on a bad INS
        record = {"ins": ins, "state": "active", **fields}
        self.patients[ins] = record
        return record

    def list_patients(self) -> list[dict[str, Any]]:
        return list(self.patients.values())

    def get_patient(self, ins: str) -> dict[str, Any]:
        return self.patients[ins]

    def set_patient_state(self, ins: str, **changes: Any) -> dict[str, Any]:
        self.patients[ins].update(changes)
        return self.patients[ins]

    def list_documents(self, ins: str | None = None, **filters: Any) -> list[dict[str, Any]]:
        return [{"ins": ins, "filters": filters}]

    def get_document(self, ref: str) -> dict[str, Any]:
        if ref != "1.2.3":
            raise KeyError(ref)
        return {"uniqueId": ref, "created": dt.datetime(2024, 1, 2, tzinfo=dt.UTC)}

    def document_content(self, ref: str) -> bytes:
        self.get_document(ref)
        return b"%PDF-1.4 stub"

    def list_logs(self, ins: str | None = None, **filters: Any) -> list[dict[str, Any]]:
        return [{"ins": ins, **filters}]

    def reset(self, *, seed: bool = True) -> None:
        self.patients.clear()
        self.resets += 1


class StubBehaviour:
    """Handlers for every TD that echo what the platform resolved; records every request."""

    def __init__(self, config: SandboxConfig | None = None, *, tds: Sequence[str] | None = None) -> None:
        self._clock = config.clock if config is not None else SandboxClock()
        self._handlers = HandlerRegistry()
        self._admin = StubAdmin()
        self.calls: list[SandboxRequest] = []
        self.closed = False
        self.on_call: Callable[[SandboxRequest], SoapResponse | None] | None = None
        for td in tds if tds is not None else DEFAULT_SPECS:
            self._handlers.register(td, self._echo)

    @property
    def handlers(self) -> HandlerRegistry:
        return self._handlers

    @property
    def admin(self) -> StubAdmin:
        return self._admin

    @property
    def clock(self) -> SandboxClock:
        return self._clock

    def close(self) -> None:
        self.closed = True

    def _echo(self, request: SandboxRequest) -> SoapResponse:
        self.calls.append(request)
        if self.on_call is not None:
            custom = self.on_call(request)
            if custom is not None:
                return custom
        caller = request.caller
        echo = etree.Element(f"{{{ECHO_NS}}}Echo", nsmap={"e": ECHO_NS})
        echo.set("td", request.td)
        echo.set("mode", caller.auth_mode.value)
        echo.set("professional", caller.professional_id)
        echo.set("structure", caller.structure_id)
        echo.set("patient", caller.patient.matricule if caller.patient else "")
        echo.set("card", caller.card_type.value if caller.card_type else "")
        echo.set("tls_structure", caller.tls_structure_id or "")
        echo.set("thread", threading.current_thread().name)
        for part in request.message.parts:
            item = etree.SubElement(echo, f"{{{ECHO_NS}}}Part")
            item.set("size", str(part.size))
            item.set("in_memory", str(part.in_memory).lower())
            item.set("path", str(part.path or ""))
            item.set("exists", str(bool(part.path and part.path.exists())).lower())
            item.set("sha1", part.sha1)
        return request.respond(echo)


def create_stub_behaviour(config: SandboxConfig) -> StubBehaviour:
    """Behaviour factory for ``SandboxConfig.behaviour_factory`` / ``--behaviour`` (CLI tests)."""
    return StubBehaviour(config)


# ------------------------------------------------------------------------------------------------ VIHF

Edit = Callable[[etree._Element], None]


def default_signer(mode: str) -> str:
    """The PKI entry that signs a VIHF in ``mode``."""
    return "prof-sign" if mode == "DIRECTE" else "ej-sign"


def vihf(
    mode: str = "INDIRECTE",
    *,
    patient: INS | None = PATIENT,
    signer: str | SoftwareSigner | None = None,
    now: dt.datetime | None = None,
    edit: Edit | None = None,
    algorithm: str = "rsa-sha256",
    digest: str = "sha256",
    sign: bool = True,
    pki: TestPki | None = None,
) -> etree._Element:
    """A VIHF assertion of the session PKI's acting context in ``mode``, optionally edited then (re)signed."""
    pki = pki or session_pki()
    when = now or dt.datetime.now(dt.UTC)
    the_signer = signer if isinstance(signer, SoftwareSigner) else pki.signer(signer or default_signer(mode))
    token = build_vihf(
        pki.acting_context(mode),
        patient,
        signer=the_signer,
        clock=lambda: when,
        options=VihfOptions(check_consistency=False),
    )
    if edit is None and algorithm == "rsa-sha256" and digest == "sha256" and sign:
        return token.copy_element()
    element = token.copy_element()
    signature = element.find(f"{{{DS}}}Signature")
    assert signature is not None
    element.remove(signature)
    if edit is not None:
        edit(element)
    if not sign:
        return element
    data = sign_assertion(
        element,
        the_signer,
        signature_algorithm=algorithm,
        digest_algorithm=digest,
    )
    return _xml.parse_bytes(data)


def attribute(assertion: etree._Element, name: str) -> etree._Element:
    """The ``saml2:Attribute`` named ``name`` (must exist)."""
    for attr in assertion.iter(f"{{{SAML}}}Attribute"):
        if attr.get("Name") == name:
            return attr
    raise KeyError(name)


def set_string(name: str, value: str) -> Edit:
    """Edit: set a string attribute's (first) value."""

    def edit(assertion: etree._Element) -> None:
        value_el = attribute(assertion, name).find(f"{{{SAML}}}AttributeValue")
        assert value_el is not None
        value_el.text = value

    return edit


def drop_role_values(keep: int) -> Edit:
    """Edit: keep only the first ``keep`` role values (1 removes the speciality)."""

    def edit(assertion: etree._Element) -> None:
        role = attribute(assertion, "urn:oasis:names:tc:xacml:2.0:subject:role")
        for value in role.findall(f"{{{SAML}}}AttributeValue")[keep:]:
            role.remove(value)

    return edit


def cpe_vihf(**options: Any) -> etree._Element:
    """A DIRECTE token of a CPE holder (``<structure>/<card>`` NameID, TRE_A00 role), signed with prof-sign.

    The test PKI has no CPE card: serve it with ``check_signing_certificate=False``.
    """

    def edit(assertion: etree._Element) -> None:
        name_id = assertion.find(f"{{{SAML}}}Subject/{{{SAML}}}NameID")
        assert name_id is not None
        name_id.text = "499900063480001/CPET0001"
        drop_role_values(1)(assertion)
        role = attribute(assertion, "urn:oasis:names:tc:xacml:2.0:subject:role")
        coded = role.find(f"{{{SAML}}}AttributeValue/{{{NS['hl7']}}}Role")
        assert coded is not None
        coded.set("code", "SECRETARIAT_MEDICAL")
        coded.set("codeSystem", "1.2.250.1.213.1.1.4.6")

    return vihf("DIRECTE", edit=edit, **options)


@functools.cache
def _quick_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def quick_certificate(
    subject: Sequence[tuple[x509.ObjectIdentifier, str]], *, non_repudiation: bool = True
) -> tuple[x509.Certificate, SoftwareSigner]:
    """A self-signed certificate (and its signer) outside the test PKI: untrusted by the sandbox."""
    key = _quick_key()
    name = x509.Name([x509.NameAttribute(oid, value) for oid, value in subject])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=30))
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=non_repudiation,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .sign(key, hashes.SHA256())
    )
    return cert, SoftwareSigner(key, cert)


def structure_certificate(idnat: str) -> x509.Certificate:
    """A certificate of structure ``idnat`` (OU), self-signed (for in-process TLS binding tests)."""
    cert, _ = quick_certificate(
        [(NameOID.COUNTRY_NAME, "FR"), (NameOID.ORGANIZATIONAL_UNIT_NAME, idnat), (NameOID.COMMON_NAME, "OTHER")]
    )
    return cert


# ------------------------------------------------------------------------------------------ requests


def router() -> Router:
    """The platform's router (registered transaction modules over the built-in table)."""
    return Router(SERVICES)


def spec(td: str) -> TransactionSpec:
    """The spec the platform routes for ``td``."""
    return router().specs[td]


def body_for(td: str) -> etree._Element:
    """A minimal body of transaction ``td``: the request element plus what tells shared bodies apart."""
    s = spec(td)
    root = etree.Element(s.request_body)
    hl7 = NS["hl7"]
    if td in ("TD0.2", "TD1.3a", "TD1.3b", "TD1.4"):
        reason = {"TD0.2": "TEST_EXST", "TD1.3a": "CNSLT_DATA", "TD1.3b": "MODIF_DATA", "TD1.4": "FERM"}[td]
        cap = etree.SubElement(root, f"{{{hl7}}}controlActProcess")
        etree.SubElement(cap, f"{{{hl7}}}reasonCode", code=reason, codeSystem="1.2.250.1.213.1.1.4.11")
    elif td in ("TD3.1", "TD3.1b"):
        option = etree.SubElement(root, q("query", "ResponseOption"))
        option.set("returnType", "ObjectRef" if td == "TD3.1b" else "LeafClass")
        query = etree.SubElement(root, q("rim", "AdhocQuery"))
        query.set(
            "id",
            "urn:uuid:5c4f972b-d56b-40ac-a5fc-c8ca9b40b9d4"
            if td == "TD3.1b"
            else "urn:uuid:14d4debf-8f97-4251-9a74-a90016b0af0d",
        )
    elif td in ("TD3.3c", "TD3.3d"):
        objects = etree.SubElement(root, q("rim", "RegistryObjectList"))
        assoc = etree.SubElement(objects, q("rim", "Association"))
        assoc.set("associationType", "urn:ihe:iti:2010:AssociationType:UpdateAvailabilityStatus")
        slot = etree.SubElement(assoc, q("rim", "Slot"), name="NewStatus")
        values = etree.SubElement(slot, q("rim", "ValueList"))
        status = "Deleted" if td == "TD3.3c" else "Archived"
        etree.SubElement(values, q("rim", "Value")).text = f"urn:asip:ci-sis:2010:StatusType:{status}"
    elif td in ("TD3.3a", "TD3.3b"):
        objects = etree.SubElement(root, q("rim", "RegistryObjectList"))
        etree.SubElement(objects, q("rim", "ExtrinsicObject"), lid="urn:uuid:00000000-0000-0000-0000-000000000001")
    return root


def call(
    td: str,
    token: etree._Element | None = None,
    *,
    action: str | None = None,
    to: str | None = "default",
    attachments: Sequence[Attachment] = (),
    mode: str | None = None,
    patient: INS | None = PATIENT,
) -> SoapRequest:
    """A request for ``td`` carrying ``token`` (default: a fresh INDIRECTE VIHF, DIRECTE for TD2.x)."""
    s = spec(td)
    if token is None:
        token = vihf(mode or "INDIRECTE", patient=patient)
    body = body_for(td)
    if attachments:
        document = etree.SubElement(body, q("xdsb", "Document"), id="Document01")
        from dmpclient.soap import xop_include

        document.append(xop_include(attachments[0].content_id))
    request = build_request(
        s.service,
        body,
        action=action or s.action,
        to=f"{BASE}/{s.service.value}" if to == "default" else to,
        security=token,
        attachments=attachments,
    )
    if action != "":
        return request
    # An empty wsa:Action element (PatientsSpecific.wsdl declares an empty soapAction).
    envelope = request.envelope
    action_el = envelope.find(f"{q('soap', 'Header')}/{{{NS['wsa']}}}Action")
    assert action_el is not None
    action_el.text = ""
    return SoapRequest(s.service, "", envelope, attachments=attachments)


def url_of(request: SoapRequest, base: str = BASE) -> str:
    """The service URL of a request under ``base``."""
    return f"{base}/{request.service.value}"


def post(client: httpx.Client, request: SoapRequest, base: str = BASE) -> httpx.Response:
    """POST a request (streamed body, exact Content-Length)."""
    return client.post(url_of(request, base), content=request.iter_bytes(), headers=request.headers)


def echo(response: httpx.Response) -> etree._Element:
    """The stub's Echo element of a successful response (fails on a fault)."""
    message = read_message(response.headers["content-type"], response.content)
    payload = message.envelope.payload
    assert payload is not None
    assert not message.envelope.is_fault, fault_text(response)
    assert payload.tag == f"{{{ECHO_NS}}}Echo", payload.tag
    return payload


def fault_of(response: httpx.Response) -> Any:
    """The parsed SOAP fault of a response (fails when it is not a fault)."""
    from dmpclient.soap import parse_fault

    message = read_message(response.headers["content-type"], response.content)
    assert message.envelope.is_fault, f"expected a fault, got {message.envelope.payload_tag}"
    return parse_fault(message.envelope)


def fault_text(response: httpx.Response) -> str:
    """Readable ``subcode: reason`` of a fault response (assertion messages)."""
    try:
        fault = fault_of(response)
    except AssertionError:
        return "(not a fault)"
    return f"{fault.code}/{fault.subcodes}: {fault.reason} [{fault.detail_text}]"


def raise_fault(code: str, subcode: str | None, reason: str, **kwargs: Any) -> Callable[[SandboxRequest], None]:
    """An ``on_call`` hook raising a :class:`SandboxFault`."""

    def hook(request: SandboxRequest) -> None:
        raise SandboxFault(code, subcode, reason, **kwargs)

    return hook

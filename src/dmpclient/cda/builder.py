"""Build CI-SIS CDA R2 documents (N1 and structured N3) in canonical form, in memory or streamed to a file.

Every document is written as ``<?xml version="1.0" encoding="UTF-8"?>`` immediately followed by the
**C14N 1.0 (with comments) serialization of the root element** — sorted attributes, namespace declarations
where c14n puts them, ``<a></a>`` for empty elements, LF only, no trailing newline. Consequences:

* ``canonicalize(parse(doc)) == doc[len(XML_DECLARATION):]`` (checked by the tests for every build);
* the SHA-256 of the bytes after the declaration *is* the digest of the canonical document, so a XAdES
  manifest reference can be computed while streaming (``BuiltCda.sha256``);
* the XDS ``hash`` (SHA-1) and ``size`` are those of the exact bytes written (``BuiltCda.sha1``/``size``).

N1 documents follow the kit's ``DOC_NON_STRUCTURE_CDA-R2-N1.xml``: exactly three templateIds (HL7 France,
CI-SIS, IHE XDS-SD) and ``component/nonXMLBody/text mediaType=… representation="B64"``. The base64 payload
is written in lines of 76 characters separated by LF (no trailing LF), which c14n leaves untouched; the
streaming writer (:func:`build_n1_to_file`, :func:`write_n1`) emits the canonical header, then the payload
read and encoded chunk by chunk, then the closing tags — the payload and the document are never in memory.

Ids and the clock are injectable (``ids=``, ``clock=``), so the same input gives the same bytes.
"""

from __future__ import annotations

import base64
import hashlib
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO, Final, Protocol

from lxml import etree

from dmpclient._xml import C14NMethod, canonicalize
from dmpclient.errors import Finding, InputError, Severity, ValidationFailed, errors_only
from dmpclient.ids import INS, oid_from_uuid

from ._common import (
    CISIS_TEMPLATE_ID,
    GENDER_SYSTEM,
    HL7,
    HL7_FRANCE_TEMPLATE_ID,
    PARIS,
    TYPE_ID_EXTENSION,
    TYPE_ID_ROOT,
    XDS_SD_TEMPLATE_ID,
    XML_DECLARATION,
    XSI,
    N1MediaType,
    format_ts,
    sub,
    text_sub,
)
from .header import CdaHeader
from .inputs import (
    Address,
    Author,
    DocumentHeaderInput,
    Organization,
    Patient,
    Person,
    Telecom,
)
from .pdf import PdfAClaim, PdfAScanner, pdfa_findings
from .reader import read_header

if TYPE_CHECKING:
    from dmpclient.terminology._model import Code

    from .structured import StructuredBody

__all__ = [
    "BuiltCda",
    "IdFactory",
    "build_header_element",
    "build_n1",
    "build_n1_to_file",
    "build_n3",
    "detect_media_type",
    "write_n1",
]

#: Bytes of payload encoded per step: a multiple of 57 (57 bytes = one 76-character base64 line).
DEFAULT_CHUNK_SIZE: Final = 57 * 16 * 1024  # ~ 912 KiB in, ~ 1.2 MiB out
_PLACEHOLDER: Final = "\ue000dmpclient-nonxmlbody-payload\ue000"
_SEX_DISPLAY: Final = {"M": "Masculin", "F": "Féminin", "U": "Inconnu"}


class IdFactory(Protocol):
    """Returns a new OID each call (``OidGenerator.new``, ``oid_from_uuid``…)."""

    def __call__(self) -> str: ...


Clock = Callable[[], datetime]


def _default_clock() -> datetime:
    return datetime.now(PARIS).replace(microsecond=0)


@dataclass(frozen=True, slots=True)
class BuiltCda:
    """A document produced by the builder.

    Attributes:
        unique_id: ``ClinicalDocument/id/@root`` — the future XDS uniqueId.
        size: byte length of the whole document (XDS ``size``).
        sha1: SHA-1 of the whole document, lower-case hex (XDS ``hash``).
        sha256: SHA-256 of the canonical form (the bytes after the XML declaration), lower-case hex:
            the digest a XAdES manifest reference with C14N 1.0 (with comments) carries.
        header: the header as the reader sees it (for the CDA → XDS mapping).
        media_type: N1 body media type, ``None`` for N3.
        data: the document bytes (in-memory builds), else ``None``.
        path: the file written (streamed builds), else ``None``.
        findings: warnings about the input (no PDF/A claim, text not UTF-8…).
        pdfa: the PDF/A claim of a PDF body.
    """

    unique_id: str
    size: int
    sha1: str
    sha256: str
    header: CdaHeader
    media_type: str | None = None
    data: bytes | None = None
    path: Path | None = None
    findings: tuple[Finding, ...] = field(default=())
    pdfa: PdfAClaim | None = None

    def read_bytes(self) -> bytes:
        """The document bytes (reads the file of a streamed build)."""
        if self.data is not None:
            return self.data
        if self.path is None:
            raise InputError("this build kept neither the bytes nor a path", field="BuiltCda", value=None)
        return self.path.read_bytes()

    @property
    def canonical(self) -> bytes:
        """The canonical form (bytes after the XML declaration) of an in-memory build."""
        return self.read_bytes()[len(XML_DECLARATION) :]


# ---------------------------------------------------------------------------------------------- header


@dataclass(frozen=True, slots=True)
class _Resolved:
    unique_id: str
    set_id: str
    effective_time: datetime | date


def _resolve(header: DocumentHeaderInput, ids: IdFactory | None, clock: Clock | None) -> _Resolved:
    make_id: IdFactory = ids or oid_from_uuid
    unique_id = header.unique_id or make_id()
    set_id = header.set_id or make_id()
    when = header.effective_time if header.effective_time is not None else (clock or _default_clock)()
    return _Resolved(unique_id, set_id, when)


def _code(parent: etree._Element, local: str, code: Code) -> etree._Element:
    return sub(parent, local, {"code": code.code, "codeSystem": code.code_system, "displayName": code.display})


def _ii(parent: etree._Element, root: str, extension: str | None = None) -> None:
    sub(parent, "id", {"root": root, "extension": extension})


def _addr(parent: etree._Element, addr: Address | None) -> None:
    if addr is None:
        return
    el = sub(parent, "addr", {"use": addr.use})
    for local, value in (
        ("houseNumber", addr.house_number),
        ("streetName", addr.street_name),
        ("streetAddressLine", addr.street_address_line),
        ("unitID", addr.unit_id),
        ("postalCode", addr.postal_code),
        ("city", addr.city),
        ("county", addr.county),
        ("country", addr.country),
    ):
        text_sub(el, local, value)


def _telecoms(parent: etree._Element, telecoms: tuple[Telecom, ...]) -> None:
    for t in telecoms:
        sub(parent, "telecom", {"value": t.value, "use": t.use})


def _person_name(parent: etree._Element, person: Person) -> None:
    name = sub(parent, "name")
    text_sub(name, "prefix", person.prefix)
    text_sub(name, "given", person.given_name)
    text_sub(name, "family", person.family_name)
    text_sub(name, "suffix", person.suffix)


def _organization(parent: etree._Element, local: str, org: Organization, *, industry: Code | None = None) -> None:
    el = sub(parent, local)
    if org.idnat:
        _ii(el, org.id_root, org.idnat)
    text_sub(el, "name", org.name)
    _telecoms(el, org.telecoms)
    _addr(el, org.address)
    if industry is not None:
        _code(el, "standardIndustryClassCode", industry)


def _assigned(parent: etree._Element, local: str, person: Person, org: Organization | None, *, code: bool) -> None:
    el = sub(parent, local)
    _ii(el, person.id_root, person.idnat)
    if code and person.specialty is not None:
        _code(el, "code", person.specialty)
    _addr(el, person.address)
    _telecoms(el, person.telecoms)
    _person_name(sub(el, "assignedPerson"), person)
    if org is not None:
        _organization(el, "representedOrganization", org)


def _ivl(parent: etree._Element, low: datetime | date | None, high: datetime | date | None) -> None:
    el = sub(parent, "effectiveTime")
    if low is not None:
        sub(el, "low", {"value": format_ts(low)})
    if high is not None:
        sub(el, "high", {"value": format_ts(high)})


def _patient(parent: etree._Element, patient: Patient) -> None:
    role = sub(sub(parent, "recordTarget"), "patientRole")
    ins: INS = patient.ins
    _ii(role, ins.oid.value, ins.matricule)
    if patient.ipp is not None:
        _ii(role, patient.ipp.root, patient.ipp.extension)
    _addr(role, patient.address)
    _telecoms(role, patient.telecoms)
    pat = sub(role, "patient")
    name = sub(pat, "name")
    text_sub(name, "family", patient.birth_family_name, {"qualifier": "BR"})
    text_sub(name, "given", " ".join(patient.birth_given_names))
    text_sub(name, "given", patient.first_birth_given_name, {"qualifier": "BR"})
    text_sub(name, "family", patient.used_family_name, {"qualifier": "CL"})
    text_sub(name, "given", patient.used_given_name, {"qualifier": "CL"})
    sub(
        pat,
        "administrativeGenderCode",
        {"code": patient.sex, "displayName": _SEX_DISPLAY[patient.sex], "codeSystem": GENDER_SYSTEM},
    )
    sub(pat, "birthTime", {"value": format_ts(patient.birth_date)})
    if patient.birthplace_code is not None or patient.birthplace_city is not None:
        addr = sub(sub(sub(pat, "birthplace"), "place"), "addr")
        text_sub(addr, "county", patient.birthplace_code)
        text_sub(addr, "city", patient.birthplace_city)


def _author(parent: etree._Element, author: Author, default_time: datetime | date) -> None:
    el = sub(parent, "author")
    if author.function_code is not None:
        _code(el, "functionCode", author.function_code)
    sub(el, "time", {"value": format_ts(author.time if author.time is not None else default_time)})
    _assigned(el, "assignedAuthor", author.person, author.organization, code=True)


def build_header_element(
    header: DocumentHeaderInput,
    *,
    model_template_ids: tuple[str, ...] = (XDS_SD_TEMPLATE_ID,),
    ids: IdFactory | None = None,
    clock: Clock | None = None,
) -> etree._Element:
    """The ``ClinicalDocument`` element with the whole header and no ``component`` yet.

    ``model_template_ids`` follow the two common templateIds: XDS-SD alone for N1, the model's ids for N3.
    """
    r = _resolve(header, ids, clock)
    nsmap: Any = {None: HL7, "xsi": XSI}  # lxml-stubs do not type the default-namespace key
    root = etree.Element(f"{{{HL7}}}ClinicalDocument", nsmap=nsmap)
    sub(root, "realmCode", {"code": "FR"})
    sub(root, "typeId", {"root": TYPE_ID_ROOT, "extension": TYPE_ID_EXTENSION})
    for template in (HL7_FRANCE_TEMPLATE_ID, CISIS_TEMPLATE_ID, *model_template_ids):
        sub(root, "templateId", {"root": template})
    _ii(root, r.unique_id)
    _code(root, "code", header.type_code)
    sub(root, "title").text = header.title
    sub(root, "effectiveTime", {"value": format_ts(r.effective_time)})
    _code(root, "confidentialityCode", header.confidentiality)
    sub(root, "languageCode", {"code": header.language})
    sub(root, "setId", {"root": r.set_id})
    sub(root, "versionNumber", {"value": str(header.version)})
    _patient(root, header.patient)
    for author in header.authors:
        _author(root, author, r.effective_time)
    custodian = sub(sub(root, "custodian"), "assignedCustodian")
    _organization(custodian, "representedCustodianOrganization", header.custodian)
    la = sub(root, "legalAuthenticator")
    la_time = header.legal_authenticator.time if header.legal_authenticator.time is not None else r.effective_time
    sub(la, "time", {"value": format_ts(la_time)})
    sub(la, "signatureCode", {"code": "S"})
    _assigned(la, "assignedEntity", header.legal_authenticator.person, None, code=True)
    # documentationOf / serviceEvent with exactly one performer
    se = header.service_event
    event = sub(sub(root, "documentationOf"), "serviceEvent")
    if se.id is not None:
        _ii(event, se.id.root, se.id.extension)
    if se.code is not None:
        _code(event, "code", se.code)
    _ivl(event, se.start if se.start is not None else r.effective_time, se.stop)
    performer = sub(event, "performer", {"typeCode": "PRF"})
    if se.performer.function_code is not None:
        _code(performer, "functionCode", se.performer.function_code)
    entity = sub(performer, "assignedEntity")
    p = se.performer.person
    _ii(entity, p.id_root, p.idnat)
    if p.specialty is not None:
        _code(entity, "code", p.specialty)
    _addr(entity, p.address)
    _telecoms(entity, p.telecoms)
    _person_name(sub(entity, "assignedPerson"), p)
    _organization(entity, "representedOrganization", se.performer.organization, industry=se.performer.cadre_exercice)
    if header.replaces is not None:
        related = sub(root, "relatedDocument", {"typeCode": "RPLC"})
        _ii(sub(related, "parentDocument"), header.replaces)
    # componentOf / encompassingEncounter
    enc = header.encounter
    encounter = sub(sub(root, "componentOf"), "encompassingEncounter")
    if enc.code is not None:
        _code(encounter, "code", enc.code)
    low = enc.start if enc.start is not None else (se.start if se.start is not None else r.effective_time)
    _ivl(encounter, low, enc.stop)
    if enc.responsible is not None:
        _assigned(sub(encounter, "responsibleParty"), "assignedEntity", enc.responsible, None, code=True)
    facility = sub(sub(encounter, "location"), "healthCareFacility")
    if enc.facility_id is not None:
        _ii(facility, enc.facility_id.root, enc.facility_id.extension)
    _code(facility, "code", enc.facility_code)
    return root


def _canonical(root: etree._Element) -> bytes:
    return canonicalize(root, C14NMethod.C14N10_COMMENTS)


# -------------------------------------------------------------------------------------------- N1 body

_MAGIC: Final[dict[N1MediaType, tuple[bytes, ...]]] = {
    N1MediaType.PDF: (b"%PDF-",),
    N1MediaType.RTF: (b"{\\rtf",),
    N1MediaType.JPEG: (b"\xff\xd8\xff",),
    N1MediaType.TIFF: (b"II*\x00", b"MM\x00*"),
}
_EXTENSIONS: Final[dict[str, N1MediaType]] = {
    ".pdf": N1MediaType.PDF,
    ".txt": N1MediaType.TEXT,
    ".text": N1MediaType.TEXT,
    ".rtf": N1MediaType.RTF,
    ".jpg": N1MediaType.JPEG,
    ".jpeg": N1MediaType.JPEG,
    ".tif": N1MediaType.TIFF,
    ".tiff": N1MediaType.TIFF,
}


def detect_media_type(head: bytes, filename: str | os.PathLike[str] | None = None) -> N1MediaType:
    """Guess the N1 media type from the first bytes (magic numbers), else from the file extension.

    Raises :class:`~dmpclient.errors.InputError` when neither tells (the caller should say ``media_type``).
    """
    for media, magics in _MAGIC.items():
        if head.startswith(magics):
            return media
    if filename is not None:
        ext = Path(filename).suffix.lower()
        if ext in _EXTENSIONS:
            return _EXTENSIONS[ext]
    raise InputError(
        "cannot tell the body's media type; give media_type (application/pdf, text/plain, text/rtf, "
        "image/jpeg, image/tiff)",
        field="media_type",
        value=str(filename) if filename is not None else head[:8],
        rule="CI-SIS N1 media types",
    )


def _media(media_type: str | N1MediaType | None, head: bytes, filename: str | os.PathLike[str] | None) -> N1MediaType:
    if media_type is None:
        return detect_media_type(head, filename)
    try:
        media = N1MediaType(media_type)
    except ValueError:
        raise InputError(
            "the CI-SIS accepts only application/pdf, text/plain, text/rtf, image/jpeg and image/tiff for N1",
            field="media_type",
            value=media_type,
            rule="CI-SIS N1 media types",
        ) from None
    magics = _MAGIC.get(media)
    if magics is not None and head and not head.startswith(magics):
        raise InputError(
            f"the body does not look like {media.value} (its first bytes do not match)",
            field="media_type",
            value=media.value,
            rule="N1 body content",
        )
    return media


class _HashingSink:
    """Writes to a binary sink while computing SHA-1 (all bytes) and SHA-256 (bytes after the declaration)."""

    def __init__(self, sink: BinaryIO) -> None:
        self.sink = sink
        self.sha1 = hashlib.sha1(usedforsecurity=False)
        self.sha256 = hashlib.sha256()
        self.size = 0

    def declaration(self, data: bytes) -> None:
        self.sink.write(data)
        self.sha1.update(data)
        self.size += len(data)

    def write(self, data: bytes) -> None:
        self.sink.write(data)
        self.sha1.update(data)
        self.sha256.update(data)
        self.size += len(data)


def _split_template(root: etree._Element) -> tuple[bytes, bytes]:
    canonical = _canonical(root)
    marker = _PLACEHOLDER.encode("utf-8")
    if canonical.count(marker) != 1:  # pragma: no cover - the marker is a private-use sequence
        raise InputError("the document text contains the builder's payload marker", field="header", value=None)
    before, after = canonical.split(marker)
    return before, after


def _n1_tree(
    header: DocumentHeaderInput, media: N1MediaType, ids: IdFactory | None, clock: Clock | None
) -> etree._Element:
    root = build_header_element(header, ids=ids, clock=clock)
    body = sub(sub(root, "component"), "nonXMLBody")
    sub(body, "text", {"mediaType": media.value, "representation": "B64"}).text = _PLACEHOLDER
    return root


def write_n1(
    header: DocumentHeaderInput,
    source: BinaryIO,
    sink: BinaryIO,
    *,
    media_type: str | N1MediaType | None = None,
    filename: str | os.PathLike[str] | None = None,
    ids: IdFactory | None = None,
    clock: Clock | None = None,
    chunk_size: int = DEFAULT_CHUNK_SIZE,
) -> BuiltCda:
    """Stream an N1 document: header, base64 of ``source`` read in chunks, closing tags, into ``sink``.

    Memory use is one chunk, whatever the payload size. Returns a :class:`BuiltCda` without ``data``/``path``.
    """
    if chunk_size <= 0 or chunk_size % 57:
        raise InputError("chunk_size must be a positive multiple of 57", field="chunk_size", value=chunk_size)
    first = source.read(chunk_size)
    if not first:
        raise InputError("the N1 body is empty", field="body", value=str(filename) if filename else b"", rule="N1 body")
    media = _media(media_type, first[:16], filename)
    root = _n1_tree(header, media, ids, clock)
    cda_header = read_header(root)
    before, after = _split_template(root)
    out = _HashingSink(sink)
    out.declaration(XML_DECLARATION)
    out.write(before)
    scanner = PdfAScanner() if media is N1MediaType.PDF else None
    text_check = _Utf8Check() if media is N1MediaType.TEXT else None
    chunk = first
    wrote_line = False
    payload_size = 0
    while chunk:
        if len(chunk) < chunk_size:  # short read from a pipe/socket: top up to keep 57-byte alignment
            while len(chunk) < chunk_size and (more := source.read(chunk_size - len(chunk))):
                chunk += more
        payload_size += len(chunk)
        if scanner is not None:
            scanner.feed(chunk)
        if text_check is not None:
            text_check.feed(chunk)
        encoded = base64.encodebytes(chunk)  # 76-character lines, each ending with LF
        if wrote_line:
            out.write(b"\n")
        out.write(encoded[:-1])
        wrote_line = True
        chunk = source.read(chunk_size)
    out.write(after)
    findings: list[Finding] = []
    pdfa = None
    if scanner is not None:
        report = scanner.report
        pdfa = report.pdfa
        findings.extend(pdfa_findings(report, location="component/nonXMLBody/text"))
    if text_check is not None and not text_check.ok:
        findings.append(
            Finding(
                "cda.body.text.encoding",
                "the text/plain body is not valid UTF-8; readers will probably show it wrongly",
                Severity.WARNING,
                "component/nonXMLBody/text",
            )
        )
    return BuiltCda(
        unique_id=cda_header.id.root or "",
        size=out.size,
        sha1=out.sha1.hexdigest(),
        sha256=out.sha256.hexdigest(),
        header=cda_header,
        media_type=media.value,
        findings=tuple(findings),
        pdfa=pdfa,
    )


class _Utf8Check:
    def __init__(self) -> None:
        import codecs

        self._decoder = codecs.getincrementaldecoder("utf-8")("strict")
        self.ok = True

    def feed(self, chunk: bytes) -> None:
        if not self.ok:
            return
        try:
            self._decoder.decode(chunk)
        except UnicodeDecodeError:
            self.ok = False


def build_n1(
    header: DocumentHeaderInput,
    payload: bytes,
    *,
    media_type: str | N1MediaType | None = None,
    ids: IdFactory | None = None,
    clock: Clock | None = None,
) -> BuiltCda:
    """Build an N1 document in memory (PDF, text, RTF, JPEG, TIFF body). Same bytes as the streamed build."""
    import io

    sink = io.BytesIO()
    built = write_n1(header, io.BytesIO(payload), sink, media_type=media_type, ids=ids, clock=clock)
    return _with(built, data=sink.getvalue())


def build_n1_to_file(
    header: DocumentHeaderInput,
    body_path: str | os.PathLike[str],
    out_path: str | os.PathLike[str],
    *,
    media_type: str | N1MediaType | None = None,
    ids: IdFactory | None = None,
    clock: Clock | None = None,
    chunk_size: int = DEFAULT_CHUNK_SIZE,
) -> BuiltCda:
    """Stream an N1 document from the body file ``body_path`` into ``out_path`` (written atomically).

    The media type is detected from the file (magic bytes, then extension) unless given.
    """
    target = Path(out_path)
    tmp = target.with_name(f".{target.name}.part")
    try:
        with open(body_path, "rb") as source, open(tmp, "wb") as sink:
            built = write_n1(
                header,
                source,
                sink,
                media_type=media_type,
                filename=body_path,
                ids=ids,
                clock=clock,
                chunk_size=chunk_size,
            )
        os.replace(tmp, target)
    finally:
        if tmp.exists():
            tmp.unlink()
    return _with(built, path=target)


def _with(built: BuiltCda, *, data: bytes | None = None, path: Path | None = None) -> BuiltCda:
    return BuiltCda(
        unique_id=built.unique_id,
        size=built.size,
        sha1=built.sha1,
        sha256=built.sha256,
        header=built.header,
        media_type=built.media_type,
        data=data,
        path=path,
        findings=built.findings,
        pdfa=built.pdfa,
    )


# -------------------------------------------------------------------------------------------- N3 body


def build_n3(
    header: DocumentHeaderInput,
    body: StructuredBody,
    *,
    ids: IdFactory | None = None,
    clock: Clock | None = None,
) -> BuiltCda:
    """Build a structured (N3) document: the model's templateIds follow the two common ones."""
    findings = body.findings()
    if errors_only(findings):
        raise ValidationFailed(findings, what="structured body")
    if body.document_code is not None and body.document_code.key != header.type_code.key:
        raise InputError(
            f"the {body.model_name or 'model'} requires ClinicalDocument/code {body.document_code.code}",
            field="type_code",
            value=header.type_code.code,
            rule=f"{body.model_name or 'model'} header",
        )
    make_id: IdFactory = ids or oid_from_uuid
    root = build_header_element(header, model_template_ids=body.template_ids, ids=make_id, clock=clock)
    body.append_to(root, make_id)
    canonical = _canonical(root)
    data = XML_DECLARATION + canonical
    cda_header = read_header(root)
    return BuiltCda(
        unique_id=cda_header.id.root or "",
        size=len(data),
        sha1=hashlib.sha1(data, usedforsecurity=False).hexdigest(),
        sha256=hashlib.sha256(canonical).hexdigest(),
        header=cda_header,
        data=data,
        findings=tuple(findings),
    )

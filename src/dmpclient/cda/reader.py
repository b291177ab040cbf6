"""Read CDA R2 documents: the header as a typed :class:`CdaHeader`, and the N1 payload.

Parsing goes through :mod:`dmpclient._xml` (no DTD, no entity, no network). Large N1 documents are parsed
with libxml2's huge-text mode (``huge=True``) within a size bound; the base64 body is decoded **once**,
straight from the parsed text node, in slices, either into bytes (:func:`extract_payload`) or into a file
(:func:`extract_payload_to_file`, which never builds the decoded payload in memory).
"""

from __future__ import annotations

import base64
import binascii
import os
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Final

from lxml import etree

from dmpclient._xml import DEFAULT_MAX_BYTES, parse_bytes, parse_file
from dmpclient.errors import InputError, ProtocolError
from dmpclient.terminology._model import Code

from ._common import HL7, BodyKind, all_text, is_element
from .header import (
    AuthorHeader,
    BodyInfo,
    CdaHeader,
    EncounterHeader,
    Identifier,
    LegalAuthenticatorHeader,
    OrganizationHeader,
    PatientHeader,
    PerformerHeader,
    PersonHeader,
    PersonName,
    RelatedDocument,
    ServiceEventHeader,
)

__all__ = [
    "CdaSource",
    "N1Payload",
    "extract_payload",
    "extract_payload_to_file",
    "load_cda",
    "read_header",
]

#: Largest document the reader accepts by default (a 100 MiB PDF is ~ 135 MiB once in base64).
MAX_CDA_BYTES: Final = max(DEFAULT_MAX_BYTES, 256 * 1024 * 1024)

CdaSource = etree._Element | bytes | str | os.PathLike[str]


def _h(local: str) -> str:
    return f"{{{HL7}}}{local}"


def load_cda(source: CdaSource, *, max_bytes: int = MAX_CDA_BYTES) -> etree._Element:
    """The ``ClinicalDocument`` root of a document given as element, bytes or path (str / PathLike)."""
    if isinstance(source, etree._Element):
        root = source
    elif isinstance(source, bytes | bytearray | memoryview):
        root = parse_bytes(bytes(source), max_bytes=max_bytes, huge=True, origin="CDA document")
    elif isinstance(source, str | os.PathLike):
        root = parse_file(source, max_bytes=max_bytes, huge=True)
    else:
        raise TypeError(f"expected an element, bytes or a path, got {type(source).__name__}")
    if root.tag != _h("ClinicalDocument"):
        raise ProtocolError(f"not a CDA document: the root element is {root.tag}, not {{{HL7}}}ClinicalDocument")
    return root


# ------------------------------------------------------------------------------------------ primitives


def _child(el: etree._Element | None, *path: str) -> etree._Element | None:
    cur = el
    for local in path:
        if cur is None:
            return None
        cur = cur.find(_h(local))
    return cur


def _children(el: etree._Element | None, local: str) -> list[etree._Element]:
    return [] if el is None else list(el.iterfind(_h(local)))


def _attr(el: etree._Element | None, name: str) -> str | None:
    if el is None:
        return None
    value = el.get(name)
    return value if value not in (None, "") else None


def _text(el: etree._Element | None) -> str | None:
    if el is None:
        return None
    text = all_text(el).strip()
    return " ".join(text.split()) or None


def _code(el: etree._Element | None) -> Code | None:
    code, system = _attr(el, "code"), _attr(el, "codeSystem")
    if code is None or system is None:
        return None
    return Code(code, system, _attr(el, "displayName"))


def _ii(el: etree._Element) -> Identifier:
    return Identifier(root=_attr(el, "root"), extension=_attr(el, "extension"), null_flavor=_attr(el, "nullFlavor"))


def _ids(el: etree._Element | None) -> tuple[Identifier, ...]:
    return tuple(_ii(i) for i in _children(el, "id"))


def _name(el: etree._Element | None) -> PersonName | None:
    if el is None:
        return None
    parts: dict[str, list[str]] = {"prefix": [], "given": [], "family": [], "suffix": []}
    for child in el:
        if not is_element(child):
            continue
        local = etree.QName(child).localname
        value = _text(child)
        if local in parts and value:
            parts[local].append(value)
    if not any(parts.values()):
        value = _text(el)
        return PersonName(family=(value,)) if value else None
    return PersonName(
        prefix=tuple(parts["prefix"]),
        given=tuple(parts["given"]),
        family=tuple(parts["family"]),
        suffix=tuple(parts["suffix"]),
    )


def _telecoms(el: etree._Element | None) -> tuple[str, ...]:
    return tuple(v for t in _children(el, "telecom") if (v := _attr(t, "value")))


def _person(entity: etree._Element | None, person_local: str = "assignedPerson") -> PersonHeader | None:
    if entity is None:
        return None
    return PersonHeader(
        ids=_ids(entity),
        code=_code(_child(entity, "code")),
        name=_name(_child(entity, person_local, "name")),
        telecoms=_telecoms(entity),
    )


def _organization(el: etree._Element | None) -> OrganizationHeader | None:
    if el is None:
        return None
    return OrganizationHeader(
        ids=_ids(el),
        name=_text(_child(el, "name")),
        industry_code=_code(_child(el, "standardIndustryClassCode")),
        telecoms=_telecoms(el),
    )


def _ivl(el: etree._Element | None) -> tuple[str | None, str | None, str | None]:
    if el is None:
        return None, None, None
    return _attr(_child(el, "low"), "value"), _attr(_child(el, "high"), "value"), _attr(el, "value")


# --------------------------------------------------------------------------------------------- header


def _patient(doc: etree._Element) -> PatientHeader:
    role = _child(doc, "recordTarget", "patientRole")
    patient = _child(role, "patient")
    birth_family = used_family = first_given = used_given = None
    given_list: list[str] = []
    others: list[PersonName] = []
    for name in _children(patient, "name"):
        plain_given: list[str] = []
        plain_family: list[str] = []
        for part in name:
            if not is_element(part):
                continue
            local = etree.QName(part).localname
            qualifier = part.get("qualifier")
            value = _text(part)
            if not value:
                continue
            if local == "family" and qualifier == "BR":
                birth_family = birth_family or value
            elif local == "family" and qualifier == "CL":
                used_family = used_family or value
            elif local == "given" and qualifier == "BR":
                first_given = first_given or value
            elif local == "given" and qualifier == "CL":
                used_given = used_given or value
            elif local == "given" and qualifier is None:
                plain_given.append(value)
            elif local == "family":
                plain_family.append(value)
        if birth_family is not None and plain_given and not given_list:
            given_list = [g for value in plain_given for g in value.split()]
        elif plain_given or plain_family:
            others.append(PersonName(given=tuple(plain_given), family=tuple(plain_family)))
    birthplace = _child(patient, "birthplace", "place", "addr")
    return PatientHeader(
        ids=_ids(role),
        birth_family_name=birth_family,
        first_birth_given_name=first_given,
        birth_given_names=tuple(given_list),
        used_family_name=used_family,
        used_given_name=used_given,
        other_names=tuple(others),
        sex=_attr(_child(patient, "administrativeGenderCode"), "code"),
        birth_time=_attr(_child(patient, "birthTime"), "value"),
        birthplace_code=_text(_child(birthplace, "county")),
        birthplace_city=_text(_child(birthplace, "city")),
    )


def _author(el: etree._Element) -> AuthorHeader:
    assigned = _child(el, "assignedAuthor")
    device = _child(assigned, "assignedAuthoringDevice")
    device_name = None
    if device is not None:
        device_name = _text(_child(device, "softwareName")) or _text(_child(device, "manufacturerModelName"))
    person = _person(assigned) if assigned is not None else None
    return AuthorHeader(
        time=_attr(_child(el, "time"), "value"),
        function_code=_code(_child(el, "functionCode")),
        person=person,
        device=device_name,
        organization=_organization(_child(assigned, "representedOrganization")),
    )


def _service_event(el: etree._Element) -> ServiceEventHeader:
    low, high, value = _ivl(_child(el, "effectiveTime"))
    performers = []
    for perf in _children(el, "performer"):
        entity = _child(perf, "assignedEntity")
        performers.append(
            PerformerHeader(
                type_code=_attr(perf, "typeCode"),
                function_code=_code(_child(perf, "functionCode")),
                person=_person(entity),
                organization=_organization(_child(entity, "representedOrganization")),
            )
        )
    return ServiceEventHeader(
        ids=_ids(el), code=_code(_child(el, "code")), low=low, high=high, value=value, performers=tuple(performers)
    )


def _encounter(doc: etree._Element) -> EncounterHeader | None:
    enc = _child(doc, "componentOf", "encompassingEncounter")
    if enc is None:
        return None
    low, high, value = _ivl(_child(enc, "effectiveTime"))
    facility = _child(enc, "location", "healthCareFacility")
    participants = tuple(
        p for part in _children(enc, "encounterParticipant") if (p := _person(_child(part, "assignedEntity")))
    )
    return EncounterHeader(
        ids=_ids(enc),
        code=_code(_child(enc, "code")),
        low=low,
        high=high,
        value=value,
        responsible=_person(_child(enc, "responsibleParty", "assignedEntity")),
        participants=participants,
        facility_ids=_ids(facility),
        facility_code=_code(_child(facility, "code")),
        facility_name=_text(_child(facility, "location", "name")),
    )


def _related(el: etree._Element) -> RelatedDocument:
    parent = _child(el, "parentDocument")
    set_id = _child(parent, "setId")
    version = _attr(_child(parent, "versionNumber"), "value")
    return RelatedDocument(
        type_code=_attr(el, "typeCode"),
        parent_ids=_ids(parent),
        parent_set_id=_ii(set_id) if set_id is not None else None,
        parent_version=int(version) if version and version.isdigit() else None,
    )


def _body(doc: etree._Element) -> BodyInfo:
    component = _child(doc, "component")
    non_xml = _child(component, "nonXMLBody")
    if non_xml is not None:
        text = _child(non_xml, "text")
        return BodyInfo(
            kind=BodyKind.N1, media_type=_attr(text, "mediaType"), representation=_attr(text, "representation")
        )
    structured = _child(component, "structuredBody")
    if structured is not None:
        return BodyInfo(kind=BodyKind.N3, section_count=len(_children(structured, "component")))
    return BodyInfo()


def read_header(source: CdaSource, *, max_bytes: int = MAX_CDA_BYTES) -> CdaHeader:
    """Parse the header of a CDA document (element, bytes or path) into a :class:`CdaHeader`.

    The body is not decoded: only its kind (N1/N3) and media type are reported.
    """
    doc = load_cda(source, max_bytes=max_bytes)
    doc_id = _child(doc, "id")
    type_id = _child(doc, "typeId")
    set_id = _child(doc, "setId")
    version = _attr(_child(doc, "versionNumber"), "value")
    la = _child(doc, "legalAuthenticator")
    la_entity = _child(la, "assignedEntity")
    return CdaHeader(
        realm_code=_attr(_child(doc, "realmCode"), "code"),
        type_id=_ii(type_id) if type_id is not None else None,
        template_ids=tuple(r for t in _children(doc, "templateId") if (r := _attr(t, "root"))),
        id=_ii(doc_id) if doc_id is not None else Identifier(),
        code=_code(_child(doc, "code")),
        title=_text(_child(doc, "title")),
        effective_time=_attr(_child(doc, "effectiveTime"), "value"),
        confidentiality=_code(_child(doc, "confidentialityCode")),
        language=_attr(_child(doc, "languageCode"), "code"),
        set_id=_ii(set_id) if set_id is not None else None,
        version=int(version) if version and version.isdigit() else None,
        patient=_patient(doc),
        authors=tuple(_author(a) for a in _children(doc, "author")),
        custodian=_organization(_child(doc, "custodian", "assignedCustodian", "representedCustodianOrganization")),
        legal_authenticator=LegalAuthenticatorHeader(
            time=_attr(_child(la, "time"), "value"),
            signature_code=_attr(_child(la, "signatureCode"), "code"),
            person=_person(la_entity),
            organization=_organization(_child(la_entity, "representedOrganization")),
        )
        if la is not None
        else None,
        service_events=tuple(
            _service_event(se)
            for d in _children(doc, "documentationOf")
            if (se := _child(d, "serviceEvent")) is not None
        ),
        encounter=_encounter(doc),
        related_documents=tuple(_related(r) for r in _children(doc, "relatedDocument")),
        body=_body(doc),
    )


# -------------------------------------------------------------------------------------------- payload


@dataclass(frozen=True, slots=True)
class N1Payload:
    """The decoded body of an N1 document."""

    media_type: str
    data: bytes

    @property
    def size(self) -> int:
        """Number of bytes."""
        return len(self.data)


def _n1_text(doc: etree._Element) -> tuple[str, str]:
    text_el = _child(doc, "component", "nonXMLBody", "text")
    if text_el is None:
        raise InputError("not an N1 document: no component/nonXMLBody/text", field="body", value=None)
    media = _attr(text_el, "mediaType") or "text/plain"
    representation = _attr(text_el, "representation") or "TXT"
    if text_el.find(_h("reference")) is not None:
        raise InputError(
            "the N1 body is a reference to an external file, not an embedded payload",
            field="nonXMLBody/text",
            value=text_el.find(_h("reference")).get("value"),  # type: ignore[union-attr]
        )
    content = text_el.text or ""
    if representation.upper() == "B64":
        return media, content
    # representation TXT: the text itself is the payload (UTF-8); mark it with a prefix-free sentinel
    return media, "\x00TXT" + content


_SLICE: Final = 4 * 1024 * 1024  # base64 characters decoded at a time (multiple of 4 after cleaning)


def _decode_into(content: str, sink: BinaryIO) -> int:
    if content.startswith("\x00TXT"):
        data = content[4:].encode("utf-8")
        sink.write(data)
        return len(data)
    written = 0
    carry = ""
    for start in range(0, len(content), _SLICE):
        piece = carry + "".join(content[start : start + _SLICE].split())
        cut = len(piece) - len(piece) % 4
        carry = piece[cut:]
        if cut:
            try:
                data = base64.b64decode(piece[:cut], validate=True)
            except binascii.Error as exc:
                raise InputError(
                    f"the N1 body is not valid base64: {exc}", field="nonXMLBody/text", value=None
                ) from None
            sink.write(data)
            written += len(data)
    if carry:
        raise InputError(
            "the N1 body is not valid base64 (length not a multiple of 4)", field="nonXMLBody/text", value=carry
        )
    return written


def extract_payload(source: CdaSource, *, max_bytes: int = MAX_CDA_BYTES) -> N1Payload:
    """The media type and decoded bytes of an N1 document's body (decoded once, slice by slice)."""
    import io

    media, content = _n1_text(load_cda(source, max_bytes=max_bytes))
    sink = io.BytesIO()
    _decode_into(content, sink)
    return N1Payload(media, sink.getvalue())


def extract_payload_to_file(
    source: CdaSource, out_path: str | os.PathLike[str], *, max_bytes: int = MAX_CDA_BYTES
) -> tuple[str, int]:
    """Decode the N1 body into ``out_path``; returns ``(media_type, size)``. The payload is never held whole."""
    media, content = _n1_text(load_cda(source, max_bytes=max_bytes))
    with open(Path(out_path), "wb") as sink:
        size = _decode_into(content, sink)
    return media, size

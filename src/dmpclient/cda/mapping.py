"""CDA header → XDS DocumentEntry, and the consistency check between a CDA header and given XDS metadata.

:func:`to_document_entry` follows ``cda.md`` §3 (the ANS mapping of the CDA header to XDS metadata):

=============================  ==========================================================================
XDS                            CDA
=============================  ==========================================================================
uniqueId                       ``id/@root`` (``root^extension`` when the id has one — refused by the DMP)
typeCode / classCode           ``code`` / ASS_X04(typeCode)
formatCode                     N1: media type (ASS_A12); N3: the model's templateId (:data:`MODEL_FORMAT_CODES`)
creationTime                   ``effectiveTime`` → UTC
title, languageCode            ``title``, ``languageCode``
confidentialityCode            ``confidentialityCode`` + codes set by the application (``MASQUE_PS`` …)
healthcareFacilityTypeCode     ``componentOf/encompassingEncounter/location/healthCareFacility/code``
practiceSettingCode            ``…/serviceEvent/performer/…/representedOrganization/standardIndustryClassCode``
serviceStart/StopTime          first ``serviceEvent/effectiveTime/low`` / ``high`` → UTC
eventCodeList                  ``serviceEvent/code`` of every ``documentationOf`` [I]
author (one per CDA author)    ``assignedAuthor`` id + name (XCN), ``representedOrganization`` (XON), ``code``
                               (authorSpecialty), ``functionCode/@displayName`` (authorRole)
legalAuthenticator             ``legalAuthenticator/assignedEntity`` (XCN)
patientId / sourcePatientId    the INS ``patientRole/id`` / the first other id (IPP), else the INS
sourcePatientInfo              INS traits: PID-5 birth name ``L``, used name ``D``, PID-7, PID-8
=============================  ==========================================================================

:func:`check_consistency` reports every difference between a header and a DocumentEntry — the cause of many
DMP rejections (uniqueId ≠ CDA id, typeCode, authors count EX_2.1-2020 …).
"""

# ruff: noqa: E501  (MODEL_FORMAT_CODES reads better one model per line)

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime, tzinfo
from typing import Final

from dmpclient.errors import Finding, InputError, Severity
from dmpclient.hl7v2 import CX, DTM, XTN, Precision
from dmpclient.ids import IDNPS_OID, IDNST_OID
from dmpclient.terminology import (
    TRE_A06,
    TRE_A11_IHE_FORMAT,
    Code,
    class_code_for_type,
    format_code_for_media_type,
)
from dmpclient.xds.model import Author, DocumentEntry, Organization, PatientInfo, Person

from ._common import PARIS, XDS_SD_TEMPLATE_ID, BodyKind
from .header import AuthorHeader, CdaHeader, OrganizationHeader, PersonHeader

__all__ = [
    "MODEL_FORMAT_CODES",
    "check_consistency",
    "format_code_for_header",
    "to_document_entry",
]


def _a06(code: str, display: str) -> Code:
    return Code(code, TRE_A06, display)


def _a11(code: str, display: str) -> Code:
    return Code(code, TRE_A11_IHE_FORMAT, display)


#: Model templateId → XDS formatCode for the CI-SIS models of ``cda.md`` §2 and the kit examples.
#: Codes and displays are those of JDV_J60 (``value-sets.md`` §4); the templateId → code pairing is the model
#: name matched with the J60 label [I] — the official table (ASS_A11) was not available. Models whose code is
#: not in J60 (TROD, CSE-MDE, TLM-DA) are absent: the mapping leaves formatCode empty and says so.
MODEL_FORMAT_CODES: Final[dict[str, Code]] = {
    "1.2.250.1.213.1.1.1.13": _a06("urn:asip:ci-sis:vsm:2012", "Synthèse médicale"),
    "1.2.250.1.213.1.1.1.29": _a06("urn:asip:ci-sis:ldl-ses:2017", "Lettre de Liaison à la sortie de l'établissement de santé"),
    "1.2.250.1.213.1.1.1.21": _a06("urn:asip:ci-sis:ldl-ees:2017", "Lettre de Liaison à l'entrée d'un établissement de santé"),
    "1.2.250.1.213.1.1.1.51": _a11("urn:ihe:pcc:ips:2020", "Synthèse du dossier médical"),
    "1.2.250.1.213.1.1.1.55": _a11("urn:ihe:lab:xd-lab:2008", "Compte rendu structuré d'examens de biologie médicale"),
    "1.3.6.1.4.1.19376.1.3.3": _a11("urn:ihe:lab:xd-lab:2008", "Compte rendu structuré d'examens de biologie médicale"),
    "1.2.250.1.213.1.1.1.45": _a11("urn:ihe:rad:CDA:ImagingReportStructuredHeadings:2013", "Compte-rendu d'imagerie médicale"),
    "1.2.250.1.213.1.1.1.47": _a06("urn:ans:ci-sis:img-da:2022", "Demande d'actes d'imagerie"),
    "1.2.250.1.213.1.1.1.39": _a11("urn:ihe:pharm:pre:2010", "Prescription de médicaments"),
    "1.2.250.1.213.1.1.1.37": _a06("urn:asip:ci-sis:vac:2019", "Historique des vaccinations"),
    "1.2.250.1.213.1.1.1.46": _a06("urn:asip:ci-sis:vac-note:2021", "Note de vaccination"),
    "1.2.250.1.213.1.1.1.36": _a06("urn:asip:ci-sis:hr:2019", "Données de remboursement"),
    "1.2.250.1.213.1.1.1.5.1": _a06("urn:asip:ci-sis:cse-cs8:2017", "Certificat de santé du 8ème jour de l'enfant"),
    "1.2.250.1.213.1.1.1.12.3": _a06("urn:asip:ci-sis:sne:2012", "Synthèse Salle de Naissance Enfant"),
    "1.2.250.1.213.1.1.1.30": _a06("urn:asip:ci-sis:sdm-mr:2017", "Set de Données Minimum - Maladies Rares"),
}  # fmt: skip

#: The IHE Pharmacy DIS formatCode for eDISP-MED (``1.2.250.1.213.1.1.1.54``): IHE PHARM TF [I], not in the
#: J60 version we have, so it is only used when ``strict_j60=False``.
DISPENSATION_FORMAT_CODE: Final = _a11("urn:ihe:pharm:dis:2010", "Dispensation de médicaments")

_COMMON_TEMPLATES: Final = frozenset({"2.16.840.1.113883.2.8.2.1", "1.2.250.1.213.1.1.1.1"})
_IDNPS: Final = "IDNPS"
_IDNST: Final = "IDNST"


def format_code_for_header(header: CdaHeader, *, strict_j60: bool = True) -> Code | None:
    """The XDS formatCode of a document: N1 from its media type (ASS_A12), N3 from its model templateId.

    Returns ``None`` when the model is not in :data:`MODEL_FORMAT_CODES` (an N3 model without known code).
    """
    if header.body.kind is BodyKind.N1 or (
        header.body.kind is BodyKind.NONE and XDS_SD_TEMPLATE_ID in header.template_ids
    ):
        if not header.body.media_type:
            return None
        try:
            return format_code_for_media_type(header.body.media_type)
        except InputError:
            return None
    # the most specific model template is usually the last one: search from the end
    for template in reversed(header.template_ids):
        if template in _COMMON_TEMPLATES:
            continue
        if template in MODEL_FORMAT_CODES:
            return MODEL_FORMAT_CODES[template]
        if template == "1.2.250.1.213.1.1.1.54" and not strict_j60:
            return DISPENSATION_FORMAT_CODE
    return None


# ------------------------------------------------------------------------------------------------ times


def _xds_time(ts: str | None, default_tz: tzinfo) -> tuple[datetime | None, Precision | None]:
    """A CDA TS as an aware UTC datetime plus its precision when below the second (dates stay dates)."""
    if not ts:
        return None, None
    try:
        dtm = DTM.parse(ts)
    except InputError:
        return None, None
    precision = dtm.precision
    if not dtm.has_time:  # a date is the same date in XDS: no conversion
        return dtm.to_datetime(default_tz).replace(tzinfo=UTC), precision
    when = dtm.to_datetime(default_tz).astimezone(UTC)
    if precision >= Precision.SECOND:
        return when.replace(microsecond=0), None
    return when, precision


def _xds_text(value: datetime | None, precision: Precision | None) -> str | None:
    if value is None:
        return None
    text = value.astimezone(UTC).strftime("%Y%m%d%H%M%S")
    return text[: int(precision)] if precision is not None and precision < Precision.SECOND else text


# ---------------------------------------------------------------------------------------------- people


def _person(p: PersonHeader | None, *, device: str | None = None) -> Person | None:
    if p is None:
        return None
    idnat, root = p.idnat, p.id_root
    family = p.family_name or device
    given = p.given_name
    further = " ".join(p.name.given[1:]) if p.name and len(p.name.given) > 1 else None
    if idnat is None and family is None:
        return None
    return Person(
        id=idnat,
        family_name=family,
        given_name=given,
        further_given_names=further or None,
        prefix=p.name.prefix[0] if p.name and p.name.prefix else None,
        assigning_authority=root,
        name_type_code="D",
        id_type=_IDNPS if root == IDNPS_OID else None,
    )


def _organization(org: OrganizationHeader | None) -> Organization | None:
    if org is None or not org.name:
        return None
    root = org.id_root
    return Organization(
        name=org.name, id=org.idnat, assigning_authority=root, id_type=_IDNST if root == IDNST_OID else None
    )


def _telecom(value: str) -> str | None:
    scheme, _, rest = value.partition(":")
    scheme = scheme.lower()
    if scheme == "mailto" and rest:
        return XTN.email(rest).format()
    if scheme in ("tel", "fax") and rest:
        return XTN.phone(rest, equipment_type="FX" if scheme == "fax" else "PH").format()
    return None


def _author(a: AuthorHeader) -> Author:
    person = _person(a.person, device=a.device)
    org = _organization(a.organization)
    specialty = a.person.code if a.person is not None and a.person.code is not None else None
    roles: tuple[str, ...] = ()
    if a.function_code is not None:
        roles = (a.function_code.display or a.function_code.code,)
    telecoms = tuple(t for v in (a.person.telecoms if a.person else ()) if (t := _telecom(v)))
    return Author(
        person=person,
        institutions=(org,) if org is not None else (),
        roles=roles,
        specialties=(specialty,) if specialty is not None else (),
        telecoms=telecoms,
    )


def _patient_info(header: CdaHeader) -> PatientInfo | None:
    p = header.patient
    family, first, others = p.birth_family_name, p.first_birth_given_name, None
    if p.birth_given_names:
        rest = list(p.birth_given_names)
        if first is not None and rest and rest[0] == first:
            rest = rest[1:]
        others = " ".join(rest) or None
    if family is None and p.other_names:  # documents written before the INS traits
        name = p.other_names[0]
        family = " ".join(name.family) or None
        first = first or (name.given[0] if name.given else None)
        others = others or (" ".join(name.given[1:]) or None)
    if family is None and first is None:
        return None
    birth = p.birth_time[:8] if p.birth_time and p.birth_time[:8].isdigit() else None
    return PatientInfo(
        birth_family_name=family,
        birth_given_name=first,
        other_given_names=others,
        used_family_name=p.used_family_name,
        used_given_name=p.used_given_name,
        birth_date=birth,
        sex=p.sex,
    )


# ------------------------------------------------------------------------------------------- mapping


def to_document_entry(
    header: CdaHeader,
    *,
    confidentiality_extra: Sequence[Code] = (),
    hash: str | None = None,
    size: int | None = None,
    entry_uuid: str | None = None,
    comments: str | None = None,
    mime_type: str = "text/xml",
    default_tz: tzinfo = PARIS,
    strict_j60: bool = True,
) -> DocumentEntry:
    """Map a CDA header to an XDS :class:`~dmpclient.xds.model.DocumentEntry` (``cda.md`` §3).

    Args:
        header: the header (:func:`~dmpclient.cda.read_header`, or ``BuiltCda.header``).
        confidentiality_extra: codes added after the CDA's own (``MASQUE_PS``, ``INVISIBLE_PATIENT`` …): they
            are a choice of the sending application, not part of the CDA.
        hash: SHA-1 (hex) of the exact document bytes (``BuiltCda.sha1``).
        size: byte length of the exact document bytes (``BuiltCda.size``).
        entry_uuid: the symbolic id of the entry in the submission (``Document01``…).
        default_tz: zone of CDA times written without offset (Europe/Paris).
        strict_j60: only produce formatCodes of the J60 value set we have (see :data:`DISPENSATION_FORMAT_CODE`).

    Fields the CDA cannot give (classCode of an unknown typeCode, formatCode of an unknown model) are left
    empty; the XDS validator reports them.
    """
    precisions: dict[str, Precision] = {}
    creation, prec = _xds_time(header.effective_time, default_tz)
    if prec is not None:
        precisions["creationTime"] = prec
    event = header.service_event
    start = stop = None
    if event is not None:
        start, prec = _xds_time(event.low or event.value, default_tz)
        if prec is not None:
            precisions["serviceStartTime"] = prec
        stop, prec = _xds_time(event.high, default_tz)
        if prec is not None:
            precisions["serviceStopTime"] = prec
    ins = header.patient.ins_id
    patient_id = CX.iso(ins.extension, ins.root, "NH").format() if ins and ins.extension and ins.root else None
    local = next((i for i in header.patient.local_ids if i.extension and i.root), None)
    source_patient_id = (
        CX.iso(local.extension, local.root, "PI").format() if local and local.extension and local.root else patient_id
    )
    confidentiality: list[Code] = [header.confidentiality] if header.confidentiality is not None else []
    for extra in confidentiality_extra:
        if all(extra.key != c.key for c in confidentiality):
            confidentiality.append(extra)
    la = header.legal_authenticator
    event_codes: list[Code] = []
    for se in header.service_events:
        if se.code is not None and all(se.code.key != c.key for c in event_codes):
            event_codes.append(se.code)
    return DocumentEntry(
        entry_uuid=entry_uuid,
        unique_id=header.unique_id,
        mime_type=mime_type,
        hash=hash,
        size=size,
        creation_time=creation,
        service_start_time=start,
        service_stop_time=stop,
        time_precisions=precisions,
        class_code=class_code_for_type(header.code) if header.code is not None else None,
        type_code=header.code,
        format_code=format_code_for_header(header, strict_j60=strict_j60),
        practice_setting_code=event.practice_setting if event is not None else None,
        healthcare_facility_type_code=header.encounter.facility_code if header.encounter else None,
        confidentiality_codes=tuple(confidentiality),
        event_codes=tuple(event_codes),
        title=header.title,
        comments=comments,
        language_code=header.language,
        legal_authenticator=_person(la.person) if la is not None else None,
        patient_id=patient_id,
        source_patient_id=source_patient_id,
        source_patient_info=_patient_info(header),
        authors=tuple(_author(a) for a in header.authors),
    )


# --------------------------------------------------------------------------------------- consistency


def _finding(rule: str, field: str, message: str, *, severity: Severity = Severity.ERROR, value: object = None,
             message_fr: str | None = None) -> Finding:  # fmt: skip
    return Finding(
        rule=f"cda-xds.{rule}",
        message=message,
        severity=severity,
        location=f"DocumentEntry.{field}",
        code="CDA/XDS",
        message_fr=message_fr,
        value=None if value is None else str(value),
    )


def _code_text(code: Code | None) -> str:
    return "none" if code is None else f"{code.code} ({code.code_system})"


def _same_code(a: Code | None, b: Code | None) -> bool:
    if a is None or b is None:
        return a is b
    return a.key == b.key


def _compare_code(out: list[Finding], rule: str, field: str, cda: Code | None, xds: Code | None, what: str) -> None:
    if cda is None and xds is None:
        return
    if not _same_code(cda, xds):
        out.append(
            _finding(rule, field, f"{what}: CDA {_code_text(cda)} ≠ XDS {_code_text(xds)}", value=_code_text(xds))
        )


def _compare_time(
    out: list[Finding], rule: str, field: str, slot: str, ts: str | None, entry: DocumentEntry, default_tz: tzinfo
) -> None:
    value: datetime | None = getattr(entry, field)
    expected, prec = _xds_time(ts, default_tz)
    if expected is None and value is None:
        return
    if expected is None or value is None:
        out.append(
            _finding(
                rule,
                field,
                f"{slot}: CDA {ts or 'absent'} but XDS {_xds_text(value, entry.time_precisions.get(slot)) or 'absent'}",
                value=_xds_text(value, None),
            )
        )
        return
    a = _xds_text(expected, prec) or ""
    b = _xds_text(value, entry.time_precisions.get(slot)) or ""
    n = min(len(a), len(b))
    if a[:n] != b[:n]:
        out.append(
            _finding(
                rule,
                field,
                f"{slot}: CDA {ts} is {a} in UTC, XDS has {b} (XDS times are the CDA times converted to UTC)",
                value=b,
            )
        )


def _norm(text: str | None) -> str:
    return " ".join((text or "").split()).casefold()


def _person_key(p: Person | None) -> tuple[str, str]:
    return ((p.id or "") if p else "", _norm(p.family_name) if p else "")


def check_consistency(
    header: CdaHeader, entry: DocumentEntry, *, default_tz: tzinfo = PARIS, strict_j60: bool = True
) -> list[Finding]:
    """Every difference between a CDA header and the XDS metadata sent with it (empty list: consistent).

    Checks uniqueId (= CDA id, plain OID), typeCode, classCode (ASS_X04 of the CDA typeCode), formatCode,
    title, creation/service times (UTC), confidentiality (the CDA's code first), languageCode, facility type,
    practice setting, patientId (INS), sourcePatientInfo (INS traits), legal authenticator, authors (same
    number, EX_2.1-2020, and the same people) and mimeType.
    """
    out: list[Finding] = []
    # identifiers
    if header.id.extension:
        out.append(
            _finding(
                "uniqueId.extension",
                "uniqueId",
                f"the CDA id has an extension ({header.id.extension}); the DMP refuses 'OID^extension' uniqueIds",
                value=header.unique_id,
                message_fr=None,
            )
        )
    if entry.unique_id != header.unique_id:
        out.append(
            _finding(
                "uniqueId",
                "uniqueId",
                f"uniqueId {entry.unique_id!r} differs from the CDA id {header.unique_id!r}",
                value=entry.unique_id,
            )
        )
    # codes
    _compare_code(out, "typeCode", "type_code", header.code, entry.type_code, "typeCode")
    if header.code is not None and entry.class_code is not None:
        expected_class = class_code_for_type(header.code)
        if expected_class is not None and not _same_code(expected_class, entry.class_code):
            out.append(
                _finding(
                    "classCode",
                    "class_code",
                    f"classCode {_code_text(entry.class_code)} is not ASS_X04({header.code.code}) = "
                    f"{_code_text(expected_class)}",
                    value=entry.class_code.code,
                )
            )
    expected_format = format_code_for_header(header, strict_j60=strict_j60)
    if expected_format is not None and not _same_code(expected_format, entry.format_code):
        out.append(
            _finding(
                "formatCode",
                "format_code",
                f"formatCode {_code_text(entry.format_code)} does not match the document "
                f"({header.body.kind.value}{' ' + header.body.media_type if header.body.media_type else ''}): "
                f"expected {_code_text(expected_format)}",
                value=entry.format_code.code if entry.format_code else None,
            )
        )
    event = header.service_event
    _compare_code(
        out,
        "healthcareFacilityTypeCode",
        "healthcare_facility_type_code",
        header.encounter.facility_code if header.encounter else None,
        entry.healthcare_facility_type_code,
        "healthcareFacilityTypeCode (CDA healthCareFacility/code)",
    )
    _compare_code(
        out,
        "practiceSettingCode",
        "practice_setting_code",
        event.practice_setting if event else None,
        entry.practice_setting_code,
        "practiceSettingCode (CDA performer standardIndustryClassCode)",
    )
    if header.confidentiality is not None:
        first = entry.confidentiality_codes[0] if entry.confidentiality_codes else None
        if not _same_code(header.confidentiality, first):
            out.append(
                _finding(
                    "confidentialityCode",
                    "confidentiality_codes",
                    f"the first confidentialityCode is {_code_text(first)}, the CDA says "
                    f"{_code_text(header.confidentiality)}",
                    value=first.code if first else None,
                )
            )
    # texts
    if (header.title or "") != (entry.title or ""):
        out.append(_finding("title", "title", f"title {entry.title!r} ≠ CDA title {header.title!r}", value=entry.title))
    if header.language and entry.language_code and header.language.lower() != entry.language_code.lower():
        out.append(
            _finding(
                "languageCode",
                "language_code",
                f"languageCode {entry.language_code} ≠ CDA {header.language}",
                value=entry.language_code,
            )
        )
    if entry.mime_type not in ("text/xml", "application/xslt+xml"):
        out.append(
            _finding(
                "mimeType",
                "mime_type",
                f"a CDA document has mimeType text/xml, not {entry.mime_type}",
                value=entry.mime_type,
            )
        )
    # times
    _compare_time(out, "creationTime", "creation_time", "creationTime", header.effective_time, entry, default_tz)
    if event is not None:
        _compare_time(
            out,
            "serviceStartTime",
            "service_start_time",
            "serviceStartTime",
            event.low or event.value,
            entry,
            default_tz,
        )
        _compare_time(out, "serviceStopTime", "service_stop_time", "serviceStopTime", event.high, entry, default_tz)
    # patient
    out.extend(_patient_findings(header, entry))
    # people
    la = header.legal_authenticator
    expected_la = _person(la.person) if la is not None else None
    if expected_la is None and entry.legal_authenticator is not None:
        out.append(_finding("legalAuthenticator", "legal_authenticator", "the CDA has no legalAuthenticator"))
    elif expected_la is not None and (
        entry.legal_authenticator is None or _person_key(entry.legal_authenticator) != _person_key(expected_la)
    ):
        got = entry.legal_authenticator.format() if entry.legal_authenticator else "absent"
        out.append(
            _finding(
                "legalAuthenticator",
                "legal_authenticator",
                f"legalAuthenticator {got} ≠ CDA {expected_la.id} {expected_la.family_name}",
                value=got,
            )
        )
    out.extend(_author_findings(header.authors, entry.authors))
    return out


def _patient_findings(header: CdaHeader, entry: DocumentEntry) -> Iterable[Finding]:
    ins = header.patient.ins_id
    if ins is not None and ins.extension:
        cx = entry.patient_cx
        authority = cx.assigning_authority.universal_id if cx and cx.assigning_authority else None
        if cx is None or cx.id != ins.extension or authority != ins.root:
            yield _finding(
                "patientId",
                "patient_id",
                f"patientId {entry.patient_id!r} is not the CDA INS {ins.extension} ({ins.root})",
                value=entry.patient_id,
            )
    expected = _patient_info(header)
    got = entry.source_patient_info
    if expected is None:
        return
    if got is None:
        yield _finding(
            "sourcePatientInfo",
            "source_patient_info",
            "sourcePatientInfo is missing; it carries the INS traits of the CDA (PID-5, PID-7, PID-8)",
            message_fr="Le champ 'sourcePatientInfo PID5' est obligatoire",
        )
        return
    for label, a, b in (
        ("PID-5 birth family name", expected.birth_family_name, got.birth_family_name),
        ("PID-5 first birth given name", expected.birth_given_name, got.birth_given_name),
        ("PID-7 birth date", expected.birth_date, got.birth_date),
        ("PID-8 sex", expected.sex, got.sex),
    ):
        if a and _norm(a) != _norm(b):
            yield _finding(
                "sourcePatientInfo",
                "source_patient_info",
                f"sourcePatientInfo {label} is {b!r}, the CDA says {a!r}",
                value=b,
            )


def _author_findings(cda_authors: Sequence[AuthorHeader], xds_authors: Sequence[Author]) -> Iterable[Finding]:
    if len(cda_authors) != len(xds_authors):
        yield Finding(
            rule="cda-xds.authors.count",
            message=f"the CDA has {len(cda_authors)} author(s), the XDS metadata {len(xds_authors)}: "
            "the number of authors must be identical (EX_2.1-2020)",
            severity=Severity.ERROR,
            location="DocumentEntry.authors",
            code="EX_2.1-2020",
            value=str(len(xds_authors)),
        )
    expected = [_author(a) for a in cda_authors]
    if len(cda_authors) != len(xds_authors):
        return  # the parts are compared only when the authors pair up
    for rule, xds_what, cda_what, values in _AUTHOR_PARTS:
        want = sorted(v for a in expected for v in values(a))
        got = sorted(v for a in xds_authors for v in values(a))
        if want != got:
            yield _finding(rule, "authors", f"XDS {xds_what} {got} ≠ CDA {cda_what} {want}", value=",".join(got))


#: What the author comparison looks at: (rule, XDS name, CDA name, the values of one author).
_AUTHOR_PARTS: Final[tuple[tuple[str, str, str, Callable[[Author], Iterable[str]]], ...]] = (
    (
        "authors.person",
        "authorPerson ids",
        "assignedAuthor ids",
        lambda a: [a.person.id or ""] if a.person is not None else [],
    ),
    (
        "authors.institution",
        "authorInstitution ids",
        "representedOrganization ids",
        lambda a: [o.id or "" for o in a.institutions],
    ),
    ("authors.specialty", "authorSpecialty", "author/code", lambda a: [s.code for s in a.specialties]),
)

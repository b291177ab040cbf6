"""DMP profile layer (``xds-metadata.md`` §9 checklist): identifiers, value sets, forbidden codes,
confidentiality, signature entry, author ⇄ acting-context consistency, metadata and status updates."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from typing import Final

from dmpclient.context import ActingContext
from dmpclient.errors import InputError, NIARefused, Severity
from dmpclient.ids import INS, MAX_UNIQUE_ID_LENGTH, EnvironmentKind, InsOid, is_oid
from dmpclient.terminology import (
    CONFIDENTIALITY_NORMAL,
    INVISIBLE_REPRESENTANTS_LEGAUX,
    SIGNATURE_EVENT_CODE,
    SIGNATURE_FORMAT_CODE,
    SIGNATURE_TYPE_CODE,
    TRE_A03,
    Code,
    ValueSet,
    class_code_for_type,
    is_legacy_type_code,
    lps_forbidden,
    value_set,
)
from dmpclient.xds.constants import DMP_REPOSITORY_UNIQUE_ID
from dmpclient.xds.model import (
    IDNPS_OID,
    IDNST_OID,
    AssociationType,
    Author,
    AvailabilityStatus,
    DocumentEntry,
    Person,
)
from dmpclient.xds.validation._base import (
    Collector,
    DmpParameters,
    FacilityPracticeTable,
    RequestKind,
    association_name,
    document_name,
    is_signature_entry,
    submission_set_name,
)
from dmpclient.xds.validation._confidentiality import check_confidentiality_codes, transition_into
from dmpclient.xds.validation._ihe import SubmissionView

__all__ = ["check_dmp", "check_metadata_update_into"]

_VACCINATION_NOTE: Final = Code("87273-9", "2.16.840.1.113883.6.1")
_CDA_MIME_TYPES: Final = frozenset({"text/xml", "application/xslt+xml"})
_UNUSED_CONFIDENTIALITY: Final = frozenset({"R", "V"})
_DMP_ASSOCIATIONS: Final = frozenset(
    {
        AssociationType.HAS_MEMBER,
        AssociationType.RPLC,
        AssociationType.SIGNS,
        AssociationType.UPDATE_AVAILABILITY_STATUS,
    }
)
_A = AvailabilityStatus
#: Allowed (OriginalStatus, NewStatus) of TD3.3c/d; Deprecated → Archived is [?] (warning).
_TRANSITIONS: Final = frozenset(
    {
        (_A.APPROVED.value, _A.ARCHIVED.value),
        (_A.ARCHIVED.value, _A.APPROVED.value),
        (_A.APPROVED.value, _A.DELETED.value),
        (_A.ARCHIVED.value, _A.DELETED.value),
    }
)
_UNCERTAIN_TRANSITIONS: Final = frozenset({(_A.DEPRECATED.value, _A.ARCHIVED.value)})


def _vs(name: str) -> ValueSet | None:
    try:
        return value_set(name)
    except (InputError, LookupError):
        return None


def check_dmp(
    view: SubmissionView,
    c: Collector,
    *,
    context: ActingContext | None,
    environment: EnvironmentKind,
    params: DmpParameters,
    facility_practice: FacilityPracticeTable,
    previous: Mapping[str, DocumentEntry] | None,
) -> None:
    """Every DMP-layer rule on a submission."""
    sub = view.submission
    ss = sub.submission_set
    ss_name = submission_set_name(ss)
    _check_patient_ids(view, c, environment)
    if ss.unique_id:
        _check_unique_id(ss.unique_id, f"{ss_name}.uniqueId", c)
    if ss.source_id and not is_oid(ss.source_id):
        c.add(
            "dmp.sourceId.oid",
            f"sourceId {ss.source_id!r} is not an OID (the OID of the sending software instance)",
            location=f"{ss_name}.sourceId",
            value=ss.source_id,
        )
    if not ss.authors:
        c.add("dmp.author.required", "the SubmissionSet has no author (the sending user)", location=f"{ss_name}.author")
    for i, author in enumerate(ss.authors):
        _check_author(author, f"{ss_name}.author[{i}]", c)
    if ss.content_type_code is not None:
        _check_in_value_set(
            ss.content_type_code, "J59", "dmp.contentTypeCode.valueSet", f"{ss_name}.contentTypeCode", c
        )
    if ss.time_precisions:
        _precision(ss_name, ss.time_precisions, c)
    signatures: list[DocumentEntry] = []
    for i, entry in enumerate(sub.documents):
        name = document_name(entry, i)
        signature = is_signature_entry(entry)
        if signature:
            signatures.append(entry)
        _check_entry(entry, name, signature, view, c, context=context, params=params, facility=facility_practice)
        if view.kind is RequestKind.METADATA_UPDATE:
            _check_update_entry(entry, name, c, previous=previous, params=params, view=view)
    _check_association_rules(view, c)
    if view.kind is RequestKind.FEED:
        _check_signature(view, signatures, c)
        if context is not None:
            _check_context(view, context, c)


# ------------------------------------------------------------------------------------------ identity


def _check_patient_ids(view: SubmissionView, c: Collector, environment: EnvironmentKind) -> None:
    sub = view.submission
    seen: set[str] = set()
    candidates = [(sub.submission_set.patient_id, f"{submission_set_name(sub.submission_set)}.patientId")]
    candidates += [(d.patient_id, f"{document_name(d, i)}.patientId") for i, d in enumerate(sub.documents)]
    for value, where in candidates:
        if not value or value in seen:
            continue
        seen.add(value)
        try:
            ins = INS.from_cx(value)
        except InputError as exc:
            c.add("dmp.patientId.ins", f"patientId is not a valid INS CX: {exc.reason}", location=where, value=value)
            continue
        if ins.oid is InsOid.NIA:
            c.add(
                "dmp.patientId.nia",
                "a NIA (temporary INS, OID 1.2.250.1.213.1.4.9) cannot be used on the DMP; qualify the INS first",
                location=where,
                value=value,
            )
            continue
        try:
            ins.check_dmp_access(environment)
        except NIARefused:  # pragma: no cover - handled above
            continue
        except InputError as exc:
            c.add("dmp.patientId.environment", exc.reason, location=where, value=value)


def _check_unique_id(uid: str, where: str, c: Collector) -> None:
    if "^" in uid or not is_oid(uid):
        c.add(
            "dmp.uniqueId.form",
            f"uniqueId {uid!r} must be a plain OID (no OID^extension; 2.25.<uuid> or <software root>.<n>)",
            location=where,
            value=uid,
        )
    if len(uid) > MAX_UNIQUE_ID_LENGTH:
        c.add(
            "dmp.uniqueId.length",
            f"uniqueId has {len(uid)} characters, at most {MAX_UNIQUE_ID_LENGTH}",
            location=where,
            value=uid,
        )


def _check_person_names(person: Person, where: str, c: Collector) -> None:
    missing = [
        label
        for label, value in (("family name", person.family_name), ("given name", person.given_name))
        if not (value or "").strip()
    ]
    if missing:
        c.add(
            "dmp.author.names",
            f"{' and '.join(missing)} empty for {person.id or 'a person'}",
            location=where,
            value=person.format() if person.id or person.family_name else None,
        )


def _check_author(author: Author, where: str, c: Collector) -> None:
    if author.person is not None:
        _check_person_names(author.person, f"{where}.authorPerson", c)
        p = author.person
        if not p.id or p.assigning_authority != IDNPS_OID:
            c.add(
                "dmp.author.identifiers",
                f"authorPerson id {p.id!r} is not an IdNat under {IDNPS_OID} (authority {p.assigning_authority!r})",
                location=f"{where}.authorPerson",
                value=p.id,
            )
    for j, org in enumerate(author.institutions):
        if not org.id or org.assigning_authority != IDNST_OID:
            c.add(
                "dmp.author.identifiers",
                f"authorInstitution {org.name!r} has no structure IdNat under {IDNST_OID}",
                location=f"{where}.authorInstitution[{j}]",
                value=org.id,
            )
    for j, spec in enumerate(author.specialties):
        _check_in_value_set(spec, "J56", "dmp.authorSpecialty.valueSet", f"{where}.authorSpecialty[{j}]", c)


def _check_in_value_set(code: Code, name: str, rule: str, where: str, c: Collector) -> bool:
    vs = _vs(name)
    if vs is None or code in vs:
        return True
    c.add(
        rule,
        f"{code.code} ({code.code_system}) is not in {vs.name} (version {vs.version})",
        location=where,
        value=code.code,
        code=code.code,
    )
    return False


# ------------------------------------------------------------------------------------------- entries


def _check_entry(
    entry: DocumentEntry,
    name: str,
    signature: bool,
    view: SubmissionView,
    c: Collector,
    *,
    context: ActingContext | None,
    params: DmpParameters,
    facility: FacilityPracticeTable,
) -> None:
    if entry.unique_id:
        _check_unique_id(entry.unique_id, f"{name}.uniqueId", c)
    if not (entry.title or "").strip():
        c.add("dmp.title.required", "the DocumentEntry has no title", location=f"{name}.title")
    info = entry.source_patient_info
    if info is None or not (info.birth_family_name or "").strip():
        what = "the signature entry" if signature else "the DocumentEntry"
        c.add(
            "dmp.sourcePatientInfo.pid5",
            f"{what} has no sourcePatientInfo PID-5 (birth name); empty values are refused since SI-DMP v38–39",
            location=f"{name}.sourcePatientInfo",
        )
    if entry.legal_authenticator is None:
        c.add("dmp.legalAuthenticator.required", "the DocumentEntry has no legalAuthenticator", location=name)
    else:
        _check_person_names(entry.legal_authenticator, f"{name}.legalAuthenticator", c)
    if not entry.authors:
        c.add("dmp.author.required", "the DocumentEntry has no author", location=f"{name}.author")
    for i, author in enumerate(entry.authors):
        _check_author(author, f"{name}.author[{i}]", c)
    _check_codes(entry, name, signature, c)
    _check_confidentiality(entry, name, signature, c, context=context, params=params, kind=view.kind)
    if entry.healthcare_facility_type_code is not None and entry.practice_setting_code is not None:
        _check_facility_practice(entry.healthcare_facility_type_code, entry.practice_setting_code, name, facility, c)
    if view.kind is RequestKind.FEED:
        if not signature and entry.mime_type not in _CDA_MIME_TYPES:
            c.add(
                "dmp.mimeType.allowed",
                f"mimeType {entry.mime_type!r}: the DMP takes CDA documents (text/xml, application/xslt+xml)",
                location=f"{name}.mimeType",
                value=entry.mime_type,
            )
        if entry.repository_unique_id and entry.repository_unique_id != DMP_REPOSITORY_UNIQUE_ID:
            c.add(
                "dmp.repositoryUniqueId",
                f"repositoryUniqueId {entry.repository_unique_id!r} is set by the DMP "
                f"({DMP_REPOSITORY_UNIQUE_ID}); leave it out of a submission",
                location=f"{name}.repositoryUniqueId",
                value=entry.repository_unique_id,
            )
    if entry.time_precisions:
        _precision(name, entry.time_precisions, c)


def _precision(name: str, precisions: Mapping[str, object], c: Collector) -> None:
    for slot in sorted(precisions):
        c.add(
            "dmp.time.precision",
            f"{slot} is not given to the second (YYYYMMDDhhmmss)",
            location=f"{name}.{slot}",
        )


def _check_codes(entry: DocumentEntry, name: str, signature: bool, c: Collector) -> None:
    if entry.class_code is not None:
        cls = entry.class_code
        known = _check_in_value_set(cls, "J57", "dmp.classCode.valueSet", f"{name}.classCode", c)
        reason = lps_forbidden(cls) if known and cls.code_system == TRE_A03 else None
        if reason:
            c.add("dmp.classCode.forbidden", reason, location=f"{name}.classCode", value=cls.code, code=cls.code)
    if entry.type_code is not None:
        tc = entry.type_code
        reason = lps_forbidden(tc)
        if reason:
            c.add("dmp.typeCode.forbidden", reason, location=f"{name}.typeCode", value=tc.code, code=tc.code)
        vs = _vs("J66")
        if vs is not None and tc not in vs:
            legacy = is_legacy_type_code(tc)
            detail = (
                "a legacy code the DMP still returns but that is no longer produced"
                if legacy
                else "unknown to the built-in tables"
            )
            c.add(
                "dmp.typeCode.valueSet",
                f"typeCode {tc.code} ({tc.code_system}) is not in {vs.name}: {detail} (J66 content is uncertain, "
                "so this is a warning)",
                location=f"{name}.typeCode",
                value=tc.code,
                code=tc.code,
            )
        expected = class_code_for_type(tc)
        if expected is not None and entry.class_code is not None and expected.key != entry.class_code.key:
            c.add(
                "dmp.classCode.typeCode",
                f"classCode {entry.class_code.code} does not match typeCode {tc.code}: ASS_X04 gives "
                f"{expected.code} ({expected.display or expected.code_system})",
                location=f"{name}.classCode",
                value=entry.class_code.code,
            )
    if entry.format_code is not None:
        _check_in_value_set(entry.format_code, "J60", "dmp.formatCode.valueSet", f"{name}.formatCode", c)
    if entry.healthcare_facility_type_code is not None:
        _check_in_value_set(
            entry.healthcare_facility_type_code,
            "J61",
            "dmp.healthcareFacilityTypeCode.valueSet",
            f"{name}.healthcareFacilityTypeCode",
            c,
        )
    if entry.practice_setting_code is not None:
        _check_in_value_set(
            entry.practice_setting_code, "J62", "dmp.practiceSettingCode.valueSet", f"{name}.practiceSettingCode", c
        )
    for i, code in enumerate(entry.confidentiality_codes):
        where = f"{name}.confidentialityCode[{i}]"
        if code.key == (CONFIDENTIALITY_NORMAL.code_system, code.code) and code.code in _UNUSED_CONFIDENTIALITY:
            c.add(
                "dmp.confidentialityCode.valueSet",
                f"confidentialityCode {code.code} (HL7) is not used by the DMP: J58 = N + MASQUE_PS + INVISIBLE_*",
                location=where,
                value=code.code,
                code=code.code,
            )
        else:
            _check_in_value_set(code, "J58", "dmp.confidentialityCode.valueSet", where, c)


def _check_confidentiality(
    entry: DocumentEntry,
    name: str,
    signature: bool,
    c: Collector,
    *,
    context: ActingContext | None,
    params: DmpParameters,
    kind: RequestKind,
) -> None:
    where = f"{name}.confidentialityCode"
    if not entry.confidentiality_codes:
        return  # ihe.documentEntry.required
    check_confidentiality_codes(entry.confidentiality_codes, c, where, params=params, signature=signature)
    if entry.has_confidentiality(INVISIBLE_REPRESENTANTS_LEGAUX) and params.fonctions_gestion_mineurs:
        _check_minor(entry, name, c, params)
    secret = context is not None and context.secret_connection and kind is RequestKind.FEED
    if secret and not signature and not entry.has_confidentiality(INVISIBLE_REPRESENTANTS_LEGAUX):
        c.add(
            "dmp.confidentiality.secretConnection",
            "in a secret connection the document must be INVISIBLE_REPRESENTANTS_LEGAUX",
            location=where,
        )
    if entry.type_code is not None and entry.type_code.key == _VACCINATION_NOTE.key:
        others = [x.code for x in entry.confidentiality_codes if x.key != CONFIDENTIALITY_NORMAL.key]
        if others:
            c.add(
                "dmp.vaccination.confidentiality",
                f"a vaccination note (87273-9) has confidentiality N only, got also {', '.join(others)}",
                location=where,
                value=", ".join(others),
            )
        if context is not None and context.secret_connection:
            c.add(
                "dmp.vaccination.secretConnection",
                "a vaccination note cannot be fed in a secret connection",
                location=f"{name}.typeCode",
                value=entry.type_code.code,
            )


def _age(born: date, on: date) -> int:
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))


def _check_minor(entry: DocumentEntry, name: str, c: Collector, params: DmpParameters) -> None:
    info = entry.source_patient_info
    born = info.birth_date_value if info is not None and info.birth_date and len(info.birth_date) == 8 else None
    if born is None:
        return
    when: datetime | None = entry.creation_time
    on = when.date() if when is not None else date.today()
    age = _age(born, on)
    if age >= params.age_majorite:
        c.add(
            "dmp.confidentiality.minors",
            f"INVISIBLE_REPRESENTANTS_LEGAUX on a patient aged {age} (born {info.birth_date if info else '?'}); "
            f"it is meant for minors (age-majorite {params.age_majorite})",
            location=f"{name}.confidentialityCode",
            value=INVISIBLE_REPRESENTANTS_LEGAUX.code,
        )


def _check_facility_practice(secteur: Code, cadre: Code, name: str, table: FacilityPracticeTable, c: Collector) -> None:
    allowed = table.allowed(secteur.code)
    if allowed is None or cadre.code in allowed:
        return
    c.add(
        "dmp.facility.practice",
        f"secteur d'activité {secteur.code} with cadre d'exercice {cadre.code} is not a known pair "
        f"(expected one of {', '.join(sorted(allowed))})",
        location=f"{name}.practiceSettingCode",
        value=f"{secteur.code}/{cadre.code}",
    )


# ---------------------------------------------------------------------------------------- signature


def _check_signature(view: SubmissionView, signatures: list[DocumentEntry], c: Collector) -> None:
    sub = view.submission
    if not signatures:
        c.add(
            "dmp.signature.missing",
            "the feed has no signature entry (XAdES of the SubmissionSet, classCode Digital Signature)",
            location=submission_set_name(sub.submission_set),
        )
        return
    if len(signatures) > 1:
        c.add(
            "dmp.signature.count",
            f"{len(signatures)} signature entries; one XAdES signature covers the whole SubmissionSet",
            location=", ".join(s.entry_uuid or "?" for s in signatures),
        )
    for sig in signatures:
        index = sub.documents.index(sig)
        name = document_name(sig, index)
        problems: list[str] = []
        if sig.type_code is None or sig.type_code.key != SIGNATURE_TYPE_CODE.key:
            problems.append(f"typeCode must be E1762/ASTM, got {sig.type_code.code if sig.type_code else None!r}")
        fc = sig.format_code
        if fc is None or fc.key != SIGNATURE_FORMAT_CODE.key:
            problems.append(f"formatCode must be {SIGNATURE_FORMAT_CODE.code} (URN), got {fc.code if fc else None!r}")
        elif fc.display != SIGNATURE_FORMAT_CODE.display:
            problems.append(f"formatCode display must be exactly 'Default Signature Style', got {fc.display!r}")
        if not any(e.key == SIGNATURE_EVENT_CODE.key for e in sig.event_codes):
            problems.append(f"eventCodeList must hold {SIGNATURE_EVENT_CODE.code} ({SIGNATURE_EVENT_CODE.code_system})")
        if sig.mime_type != "text/xml":
            problems.append(f"mimeType must be text/xml, got {sig.mime_type!r}")
        for problem in problems:
            c.add("dmp.signature.codes", problem, location=name)
        linked = any(
            a.type is AssociationType.SIGNS and a.source == sig.entry_uuid and a.target == view.ss_id
            for a in sub.associations
        )
        if not linked:
            c.add(
                "dmp.signature.signs",
                f"no signs association from {sig.entry_uuid!r} to the SubmissionSet {view.ss_id!r}",
                location=name,
            )


# ------------------------------------------------------------------------------------------ context


def _check_context(view: SubmissionView, context: ActingContext, c: Collector) -> None:
    sub = view.submission
    structure = context.structure.id.idnat
    professional = context.professional.id.value
    by_structure = context.is_cpe or not context.is_direct
    for i, entry in enumerate(sub.documents):
        if is_signature_entry(entry):
            continue
        name = document_name(entry, i)
        if by_structure:
            institutions = {org.id for a in entry.authors for org in a.institutions}
            if structure not in institutions:
                c.add(
                    "dmp.context.institution",
                    f"the VIHF structure {structure} is not the authorInstitution of any author "
                    f"(found {', '.join(sorted(x or '?' for x in institutions)) or 'none'})",
                    location=f"{name}.author",
                    value=structure,
                )
        else:
            people = {a.person.id for a in entry.authors if a.person is not None}
            if entry.legal_authenticator is not None:
                people.add(entry.legal_authenticator.id)
            if professional not in people:
                c.add(
                    "dmp.context.author",
                    f"the acting professional {professional} is neither an authorPerson nor the legalAuthenticator",
                    location=f"{name}.author",
                    value=professional,
                )
    ss = sub.submission_set
    if by_structure:
        ok = any(org.id == structure for a in ss.authors for org in a.institutions)
        expected = f"structure {structure}"
    else:
        ok = any(a.person is not None and a.person.id == professional for a in ss.authors)
        expected = f"professional {professional}"
    if ss.authors and not ok:
        c.add(
            "dmp.context.submissionSetAuthor",
            f"the SubmissionSet author should be the sending user ({expected})",
            location=f"{submission_set_name(ss)}.author",
        )


# ------------------------------------------------------------------------------------- associations


def _check_association_rules(view: SubmissionView, c: Collector) -> None:
    for i, a in enumerate(view.submission.associations):
        name = association_name(a, i)
        if not isinstance(a.type, AssociationType):
            continue
        if a.type not in _DMP_ASSOCIATIONS:
            c.add(
                "dmp.association.allowed",
                f"association type {a.type.name} is not used by the DMP",
                location=f"{name}.associationType",
                value=a.type.value,
            )
        if a.type is AssociationType.RPLC and not a.target.startswith("urn:uuid:"):
            c.add(
                "dmp.rplc.target",
                f"RPLC target {a.target!r} must be the entryUUID (urn:uuid:…) of the current version, "
                "fetched by TD3.1b just before",
                location=f"{name}.targetObject",
                value=a.target,
            )
        if a.type is AssociationType.UPDATE_AVAILABILITY_STATUS:
            if not a.target.startswith("urn:uuid:"):
                c.add(
                    "dmp.statusUpdate.target",
                    f"UpdateAvailabilityStatus target {a.target!r} must be a registry entryUUID (urn:uuid:…)",
                    location=f"{name}.targetObject",
                    value=a.target,
                )
            old, new = str(a.original_status or ""), str(a.new_status or "")
            if old and new and (old, new) not in _TRANSITIONS:
                uncertain = (old, new) in _UNCERTAIN_TRANSITIONS
                c.add(
                    "dmp.statusUpdate.transition",
                    f"status change {old.rsplit(':', 1)[-1]} → {new.rsplit(':', 1)[-1]} is "
                    + ("not known to be allowed [?]" if uncertain else "not allowed"),
                    location=name,
                    value=f"{old} → {new}",
                    severity=Severity.WARNING if uncertain else None,
                )


# ------------------------------------------------------------------------------------------ updates


def _check_update_entry(
    entry: DocumentEntry,
    name: str,
    c: Collector,
    *,
    previous: Mapping[str, DocumentEntry] | None,
    params: DmpParameters,
    view: SubmissionView,
) -> None:
    status = entry.availability_status
    if status is not None and str(status) != AvailabilityStatus.APPROVED.value:
        c.add(
            "dmp.update.status",
            f"the new metadata version must be Approved, got {str(status)!r}",
            location=f"{name}.status",
            value=status,
        )
    if previous is None or not entry.logical_id:
        return
    old = previous.get(entry.logical_id)
    if old is None:
        return
    check_metadata_update_into(old, entry, c, name, params=params)
    versions = [
        a.previous_version
        for a in view.submission.associations
        if a.type is AssociationType.HAS_MEMBER and a.target == entry.entry_uuid and a.previous_version
    ]
    if old.version and versions and versions[0] != old.version:
        c.add(
            "ihe.update.previousVersion",
            f"PreviousVersion {versions[0]} is not the current version {old.version}",
            location=f"{name}.PreviousVersion",
            value=versions[0],
        )


_COMPARED: Final = (
    "unique_id",
    "mime_type",
    "creation_time",
    "service_start_time",
    "service_stop_time",
    "class_code",
    "type_code",
    "format_code",
    "practice_setting_code",
    "healthcare_facility_type_code",
    "event_codes",
    "title",
    "comments",
    "language_code",
    "legal_authenticator",
    "patient_id",
    "source_patient_id",
    "source_patient_info",
    "reference_ids",
)


def _comparable(value: object) -> object:
    if isinstance(value, Code):
        return value.key
    if isinstance(value, tuple):
        return tuple(_comparable(v) for v in value)
    return value


def _author_key(author: Author) -> object:
    return author.model_dump(exclude={"extra_slots"})


def check_metadata_update_into(
    old: DocumentEntry,
    new: DocumentEntry,
    c: Collector,
    name: str,
    *,
    params: DmpParameters,
    combinations: bool = False,
) -> None:
    """Compare a new metadata version with the current one (TD3.3a/b)."""
    if [_author_key(a) for a in old.authors] != [_author_key(a) for a in new.authors]:
        c.add(
            "dmp.update.authorChanged",
            "a metadata update changed author data; only confidentiality codes may change",
            location=f"{name}.author",
        )
    changed = [f for f in _COMPARED if _comparable(getattr(old, f)) != _comparable(getattr(new, f))]
    if changed:
        c.add(
            "dmp.update.fieldChanged",
            f"a metadata update may only change confidentiality codes; changed: {', '.join(changed)}",
            location=name,
            value=", ".join(changed),
        )
    if old.logical_id and new.logical_id and old.logical_id != new.logical_id:
        c.add(
            "ihe.update.logicalId",
            f"lid {new.logical_id} is not the logicalId {old.logical_id} of the document",
            location=f"{name}.lid",
            value=new.logical_id,
        )
    transition_into(
        old.confidentiality_codes,
        new.confidentiality_codes,
        c,
        f"{name}.confidentialityCode",
        params=params,
        combinations=combinations,
    )

"""Every validation rule has a negative case (the rule fires) and a positive case (it does not).

Table-driven: each :class:`Case` builds a request that breaks exactly the rule under test (``bad``) and a
request that satisfies it (``good`` — the valid base request unless the rule needs a specific shape, e.g. a
status update). A meta-test checks that the table covers the whole catalogue.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from dataclasses import replace as dc_replace
from typing import Any

import pytest
from lxml import etree

from dmpclient import _xml
from dmpclient.context import AuthenticationMode, CardType
from dmpclient.errors import Finding, Severity
from dmpclient.hl7v2 import Precision
from dmpclient.ids import EnvironmentKind
from dmpclient.terminology import (
    CONFIDENTIALITY_NORMAL,
    INVISIBLE_PATIENT,
    INVISIBLE_REPRESENTANTS_LEGAUX,
    MASQUE_PS,
    SIGNATURE_FORMAT_CODE,
    Code,
)
from dmpclient.xds.model import (
    AdhocQueryRequest,
    Association,
    AssociationType,
    Author,
    AvailabilityStatus,
    DocumentPart,
    Organization,
    ProvideAndRegisterRequest,
    SubmissionRequest,
)
from dmpclient.xds.queries import FindDocuments, GetDocuments
from dmpclient.xds.validation import RULES, DmpParameters, FacilityPracticeTable, validate

from .validation_factories import (
    CONSULTATION,
    INS_CX,
    LID,
    LOINC,
    OTHER_INS_CX,
    REGISTRY_ENTRY,
    ROOT,
    TRE_A03,
    TRE_A05,
    context,
    current_version,
    document,
    feed,
    feed_xml,
    metadata_update,
    parts_for,
    person,
    provide_and_register,
    signature_entry,
    status_update,
    submission_set,
)

RIM = "urn:oasis:names:tc:ebxml-regrep:xsd:rim:3.0"
NS = {"rim": RIM}
Built = tuple[Any, dict[str, Any]]


# ------------------------------------------------------------------------------------------ builders


def base() -> Built:
    return feed(), {"context": context()}


def with_doc(**changes: Any) -> Built:
    return feed([document(1, **changes)]), {"context": context()}


def with_sig(**changes: Any) -> Built:
    return feed(signature=signature_entry(**changes)), {"context": context()}


def with_ss(**changes: Any) -> Built:
    request = feed()
    request.submission_set = submission_set(**changes)
    return request, {"context": context()}


def with_association(association: Association) -> Built:
    request = feed()
    request.associations.append(association)
    return request, {"context": context()}


def without_associations(predicate: Callable[[Association], bool]) -> Built:
    request = feed()
    request.associations = [a for a in request.associations if not predicate(a)]
    return request, {"context": context()}


def edit_xml(edit: Callable[[etree._Element], None]) -> Built:
    root = feed_xml()
    edit(root)
    return _xml.to_bytes(root), {"context": context()}


def xml_base() -> Built:
    return _xml.to_bytes(feed_xml()), {"context": context()}


def _doc_el(root: etree._Element, doc_id: str = "Document01") -> etree._Element:
    found: list[etree._Element] = root.xpath(f"//rim:ExtrinsicObject[@id='{doc_id}']", namespaces=NS)
    return found[0]


def _slot_value(root: etree._Element, slot: str, doc_id: str = "Document01") -> etree._Element:
    found: list[etree._Element] = _doc_el(root, doc_id).xpath(
        f"rim:Slot[@name='{slot}']/rim:ValueList/rim:Value", namespaces=NS
    )
    return found[0]


def _add_value(root: etree._Element, slot: str, text: str) -> None:
    value = _slot_value(root, slot)
    extra = etree.SubElement(value.getparent(), f"{{{RIM}}}Value")
    extra.text = text


def _set_value(root: etree._Element, slot: str, text: str) -> None:
    _slot_value(root, slot).text = text


def _second_submission_set(root: etree._Element) -> None:
    package: etree._Element = root.xpath("//rim:RegistryPackage", namespaces=NS)[0]
    clone = etree.fromstring(etree.tostring(package))
    clone.set("id", "SubmissionSet02")
    package.addnext(clone)


def _empty_coding_scheme(root: etree._Element) -> None:
    values: list[etree._Element] = _doc_el(root).xpath(
        "rim:Classification[@nodeRepresentation='10']/rim:Slot[@name='codingScheme']/rim:ValueList/rim:Value",
        namespaces=NS,
    )
    values[0].text = ""


def _unknown_classification(root: etree._Element) -> None:
    etree.SubElement(
        _doc_el(root),
        f"{{{RIM}}}Classification",
        classificationScheme="urn:uuid:00000000-1111-2222-3333-444444444444",
        classifiedObject="Document01",
        id="claX",
        nodeRepresentation="x",
    )


def _foreign_owner(root: etree._Element) -> None:
    cl: etree._Element = _doc_el(root).xpath("rim:Classification", namespaces=NS)[0]
    cl.set("classifiedObject", "SomethingElse")


def pnr(request: SubmissionRequest, parts: list[DocumentPart]) -> Built:
    return ProvideAndRegisterRequest(submission=request, documents=parts), {"context": context()}


def pnr_missing_part() -> Built:
    request = feed()
    return pnr(request, [p for p in parts_for(request) if p.id != "Document01"])


def pnr_extra_part() -> Built:
    request = feed()
    return pnr(request, [*parts_for(request), DocumentPart(id="Ghost", content_id="cid-ghost")])


def pnr_case_only() -> Built:
    request = feed([document(1, document_id="document01")])
    return pnr(request, parts_for(request))


def status(original: str | None = None, new: str | None = None, target: str = REGISTRY_ENTRY) -> Built:
    return status_update(original, new, target), {}


def status_without_new() -> Built:
    request = status_update()
    request.associations = [request.associations[0].model_copy(update={"new_status": None})]
    return request, {}


def update(**kwargs: Any) -> Built:
    return metadata_update(**kwargs), {"previous": {LID: current_version()}}


def update_with(previous: Any = None, **changes: Any) -> Built:
    new = document(
        1,
        logical_id=LID,
        availability_status=AvailabilityStatus.APPROVED,
        confidentiality_codes=(CONFIDENTIALITY_NORMAL, MASQUE_PS),
    ).replace_fields(**changes)
    return metadata_update(new), {"previous": {LID: previous or current_version()}}


def query(request: AdhocQueryRequest) -> Built:
    return request, {}


def find_query(**slots: list[str]) -> AdhocQueryRequest:
    good = FindDocuments(patient_id=INS_CX).to_adhoc_query()
    merged = {**good.slots, **slots}
    return good.model_copy(update={"slots": {k: v for k, v in merged.items() if v}})


def feed_two(**changes: Any) -> Built:
    return feed([document(1), document(2, **changes)]), {"context": context()}


def with_context(built: Built, **ctx: Any) -> Built:
    request, kwargs = built
    return request, {**kwargs, "context": context(**ctx)}


def with_params(built: Built, **params: Any) -> Built:
    request, kwargs = built
    return request, {**kwargs, "params": DmpParameters(**params)}


MINOR = document(1).source_patient_info.model_copy(update={"birth_date": "20150101"})  # type: ignore[union-attr]
RL = (CONFIDENTIALITY_NORMAL, INVISIBLE_REPRESENTANTS_LEGAUX)
VACCINATION = {"type_code": Code("87273-9", LOINC, "Note de vaccination"), "class_code": Code("52", TRE_A03)}
INDIRECT = {"mode": AuthenticationMode.INDIRECTE}


# ------------------------------------------------------------------------------------------ the table


@dataclass(frozen=True)
class Case:
    rule: str
    bad: Callable[[], Built]
    good: Callable[[], Built] = field(default=base)
    note: str = ""


CASES: list[Case] = [
    # ---------------------------------------------------------------------------------------- IHE
    Case("ihe.submissionSet.count", lambda: edit_xml(_second_submission_set), xml_base),
    Case("ihe.submissionSet.required", lambda: with_ss(source_id=None)),
    Case("ihe.documentEntry.required", lambda: with_doc(language_code=None)),
    Case(
        "ihe.id.duplicate",
        lambda: with_association(
            Association(
                id="Document01", type=AssociationType.HAS_MEMBER, source="SubmissionSet01", target="Signature01"
            )
        ),
    ),
    Case("ihe.uniqueId.duplicate", lambda: feed_two(unique_id=f"{ROOT}.3.1"), lambda: feed_two()),
    Case(
        "ihe.patientId.mismatch",
        lambda: with_doc(patient_id=OTHER_INS_CX),
        # the extra ^^<date> component of the official examples is the same patient
        lambda: with_doc(patient_id=INS_CX + "^^20100907"),
    ),
    Case("ihe.hasMember.missing", lambda: without_associations(lambda a: a.target == "Document01")),
    Case(
        "ihe.hasMember.submissionSetStatus",
        lambda: feed_with_membership_status(None),
        lambda: feed_with_membership_status("Original"),
    ),
    Case(
        "ihe.association.type",
        lambda: with_association(
            Association(id="x", type="urn:x:Weird", source="SubmissionSet01", target="Document01")
        ),
    ),
    Case(
        "ihe.association.reference",
        lambda: with_association(Association(id="x", type=AssociationType.RPLC, source="Document01", target="Old")),
        lambda: with_association(
            Association(id="x", type=AssociationType.RPLC, source="Document01", target=REGISTRY_ENTRY)
        ),
    ),
    Case(
        "ihe.association.shape",
        lambda: with_association(
            Association(id="x", type=AssociationType.SIGNS, source="SubmissionSet01", target="Signature01")
        ),
    ),
    Case("ihe.cardinality", lambda: edit_xml(lambda r: _add_value(r, "legalAuthenticator", "8123^X^Y")), xml_base),
    Case("ihe.time.format", lambda: edit_xml(lambda r: _set_value(r, "creationTime", "2024-06-12")), xml_base),
    Case(
        "ihe.hash.format",
        lambda: with_doc(hash="DA39A3EE5E6B4B0D3255BFEF95601890AFD80709"),
        lambda: with_doc(hash="da39a3ee5e6b4b0d3255bfef95601890afd80709", size=0),
    ),
    Case("ihe.size.format", lambda: with_doc(size=-1), lambda: with_doc(size=4267)),
    Case("ihe.code.incomplete", lambda: edit_xml(_empty_coding_scheme), xml_base),
    Case("ihe.author.identity", lambda: with_doc(authors=(Author(roles=("Médecin",)),))),
    Case("ihe.mimeType.format", lambda: with_doc(mime_type="pdf"), lambda: with_doc(mime_type="application/xslt+xml")),
    Case("ihe.metadata.unreadable", lambda: edit_xml(lambda r: _set_value(r, "legalAuthenticator", "^^^")), xml_base),
    Case("ihe.metadata.unknown", lambda: edit_xml(_unknown_classification), xml_base),
    Case("ihe.classification.owner", lambda: edit_xml(_foreign_owner), xml_base),
    Case("ihe.document.missing", pnr_missing_part, lambda: provide_and_register_built()),
    Case("ihe.document.metadataMissing", pnr_extra_part, lambda: provide_and_register_built()),
    Case("ihe.document.idCase", pnr_case_only, lambda: provide_and_register_built()),
    Case("ihe.statusUpdate.slots", status_without_new, status),
    Case("ihe.update.previousVersion", lambda: update(previous_version=None), update),
    Case("ihe.update.logicalId", lambda: update_with(logical_id="Document01-v1"), update),
    Case("ihe.query.unknown", lambda: query(AdhocQueryRequest(query_id="urn:uuid:0000")), lambda: query(find_query())),
    Case(
        "ihe.query.parameter",
        lambda: query(find_query(**{"$XDSDocumentEntryPatientId": []})),
        lambda: query(find_query()),
    ),
    Case(
        "ihe.query.format",
        lambda: query(find_query(**{"$XDSDocumentEntryCreationTimeFrom": ["0240206000000"]})),
        lambda: query(find_query(**{"$XDSDocumentEntryCreationTimeFrom": ["20240206000000"]})),
    ),
    # ---------------------------------------------------------------------------------------- DMP
    Case(
        "dmp.patientId.ins",
        lambda: with_all_patients("277076322082911^^^&1.2.250.1.213.1.4.10&ISO^NH"),
        lambda: with_all_patients(OTHER_INS_CX),
    ),
    Case(
        "dmp.patientId.environment",
        lambda: (feed(), {"context": context(), "environment": EnvironmentKind.PRODUCTION}),
        lambda: with_all_patients("277076322082910^^^&1.2.250.1.213.1.4.11&ISO^NH"),
    ),
    Case("dmp.patientId.nia", lambda: with_all_patients("277076322082910^^^&1.2.250.1.213.1.4.9&ISO^NH")),
    Case("dmp.uniqueId.form", lambda: with_doc(unique_id=f"{ROOT}.3.1^EXT"), lambda: with_doc(unique_id="2.25.1234")),
    Case(
        "dmp.uniqueId.length",
        lambda: with_doc(unique_id="1.2." + "1" * 70),
        lambda: with_doc(unique_id="1." + "2" * 62),
    ),
    Case("dmp.sourceId.oid", lambda: with_ss(source_id="LPS-GIE")),
    Case("dmp.title.required", lambda: with_doc(title="  ")),
    Case("dmp.sourcePatientInfo.pid5", lambda: with_sig(source_patient_info=None)),
    Case("dmp.legalAuthenticator.required", lambda: with_doc(legal_authenticator=None)),
    Case("dmp.author.required", lambda: with_doc(authors=())),
    Case("dmp.author.names", lambda: with_doc(legal_authenticator=person(given=None))),
    Case(
        "dmp.author.identifiers",
        lambda: with_doc(
            authors=(
                Author(
                    person=person(), institutions=(Organization(name="CABINET", id="123", assigning_authority="1.2.3"),)
                ),
            )
        ),
    ),
    Case("dmp.classCode.valueSet", lambda: with_doc(class_code=Code("77", TRE_A03))),
    Case(
        "dmp.typeCode.valueSet",
        lambda: with_doc(type_code=Code("27899-4", LOINC, "CR d'acte diagnostique (autre)")),
        note="legacy code of the TD2.1 example: a warning",
    ),
    Case("dmp.formatCode.valueSet", lambda: with_doc(format_code=Code("urn:x:bogus", "1.3.6.1.4.1.19376.1.2.3"))),
    Case(
        "dmp.confidentialityCode.valueSet",
        lambda: with_doc(confidentiality_codes=(CONFIDENTIALITY_NORMAL, Code("R", "2.16.840.1.113883.5.25"))),
        note="R and V are in J08 but not used by the DMP",
    ),
    Case("dmp.contentTypeCode.valueSet", lambda: with_ss(content_type_code=Code("ZZ", "1.2.250.1.213.2.2"))),
    Case(
        "dmp.healthcareFacilityTypeCode.valueSet",
        lambda: with_doc(healthcare_facility_type_code=Code("SA99", "1.2.250.1.71.4.2.4")),
    ),
    Case(
        "dmp.practiceSettingCode.valueSet",
        lambda: with_doc(practice_setting_code=Code("NOWHERE", "1.2.250.1.213.1.1.4.9")),
    ),
    Case(
        "dmp.authorSpecialty.valueSet",
        lambda: with_doc(authors=(Author(person=person(), specialties=(Code("G15_99", "1.2.250.1.213.1.1.4.5"),)),)),
    ),
    Case("dmp.typeCode.forbidden", lambda: with_doc(type_code=Code("DOCPAT03", TRE_A05))),
    Case("dmp.classCode.forbidden", lambda: with_doc(class_code=Code("90", TRE_A03))),
    Case("dmp.classCode.typeCode", lambda: with_doc(class_code=Code("11", TRE_A03))),
    Case("dmp.confidentiality.normal", lambda: with_doc(confidentiality_codes=(MASQUE_PS,))),
    Case("dmp.confidentiality.order", lambda: with_doc(confidentiality_codes=(MASQUE_PS, CONFIDENTIALITY_NORMAL))),
    Case(
        "dmp.confidentiality.duplicate",
        lambda: with_doc(confidentiality_codes=(CONFIDENTIALITY_NORMAL, MASQUE_PS, MASQUE_PS)),
    ),
    Case(
        "dmp.confidentiality.count",
        lambda: with_doc(
            confidentiality_codes=(
                CONFIDENTIALITY_NORMAL,
                MASQUE_PS,
                INVISIBLE_PATIENT,
                INVISIBLE_REPRESENTANTS_LEGAUX,
                Code("MASQUE_PSOCIAL", "1.2.250.1.213.1.1.4.13"),
            ),
            source_patient_info=MINOR,
        ),
    ),
    Case(
        "dmp.confidentiality.cumul",
        lambda: with_doc(confidentiality_codes=(CONFIDENTIALITY_NORMAL, INVISIBLE_PATIENT, MASQUE_PS)),
        # allowed when the parameters file says so (the signature entry of the base is exempt anyway)
        lambda: with_params(
            with_doc(confidentiality_codes=(CONFIDENTIALITY_NORMAL, INVISIBLE_PATIENT, MASQUE_PS)),
            cumul_invisible_patient_masque_ps=True,
        ),
    ),
    Case(
        "dmp.confidentiality.minors",
        lambda: with_doc(confidentiality_codes=RL),  # born in 1977: not a minor
        lambda: with_doc(confidentiality_codes=RL, source_patient_info=MINOR),
    ),
    Case(
        "dmp.confidentiality.secretConnection",
        lambda: with_context(base(), secret=True),
        lambda: with_context(with_doc(confidentiality_codes=RL, source_patient_info=MINOR), secret=True),
    ),
    Case(
        "dmp.confidentiality.invisibleAdded",
        lambda: update_with(confidentiality_codes=(CONFIDENTIALITY_NORMAL, INVISIBLE_PATIENT)),
        lambda: update_with(
            previous=current_version(confidentiality_codes=(CONFIDENTIALITY_NORMAL, INVISIBLE_PATIENT)),
            confidentiality_codes=(CONFIDENTIALITY_NORMAL,),
        ),
    ),
    Case(
        "dmp.vaccination.confidentiality",
        lambda: with_doc(**VACCINATION, confidentiality_codes=(CONFIDENTIALITY_NORMAL, MASQUE_PS)),
        lambda: with_doc(**VACCINATION),
    ),
    Case(
        "dmp.vaccination.secretConnection",
        lambda: with_context(with_doc(**VACCINATION, confidentiality_codes=RL, source_patient_info=MINOR), secret=True),
        lambda: with_doc(**VACCINATION),
    ),
    Case("dmp.signature.missing", lambda: (feed_without_signature(), {"context": context()})),
    Case("dmp.signature.count", lambda: (feed([document(1), signature_entry(2)]), {"context": context()})),
    Case("dmp.signature.codes", lambda: with_sig(format_code=SIGNATURE_FORMAT_CODE.with_display("Signature"))),
    Case("dmp.signature.signs", lambda: without_associations(lambda a: a.type is AssociationType.SIGNS)),
    Case(
        "dmp.facility.practice",
        lambda: with_doc(practice_setting_code=Code("ETABLISSEMENT", "1.2.250.1.213.1.1.4.9")),
        lambda: with_table(),
    ),
    Case(
        "dmp.context.institution",
        lambda: with_context(base(), structure="10B0127189", **INDIRECT),
        lambda: with_context(base(), **INDIRECT),
    ),
    Case("dmp.context.author", lambda: with_context(base(), professional="899900038839")),
    Case(
        "dmp.context.submissionSetAuthor",
        lambda: with_ss(authors=(Author(person=person("899900038839"), institutions=()),)),
    ),
    Case("dmp.mimeType.allowed", lambda: with_doc(mime_type="application/pdf")),
    Case(
        "dmp.repositoryUniqueId",
        lambda: with_doc(repository_unique_id="1.2.3"),
        lambda: with_doc(repository_unique_id="1.2.250.1.213.4.1.1.1.2"),
    ),
    Case("dmp.time.precision", lambda: with_doc(time_precisions={"serviceStartTime": Precision.DAY})),
    Case(
        "dmp.association.allowed",
        lambda: with_association(
            Association(id="x", type=AssociationType.APND, source="Document01", target=REGISTRY_ENTRY)
        ),
        lambda: with_association(
            Association(id="x", type=AssociationType.RPLC, source="Document01", target=REGISTRY_ENTRY)
        ),
    ),
    Case(
        "dmp.rplc.target",
        lambda: with_association(
            Association(id="x", type=AssociationType.RPLC, source="Document01", target="1.2.250.1.999.3.0")
        ),
        lambda: with_association(
            Association(id="x", type=AssociationType.RPLC, source="Document01", target=REGISTRY_ENTRY)
        ),
    ),
    Case(
        "dmp.query.limits",
        lambda: query(GetDocuments(unique_ids=[f"1.2.{i}" for i in range(21)]).to_adhoc_query(limits=None)),
        lambda: query(GetDocuments(unique_ids=[f"1.2.{i}" for i in range(20)]).to_adhoc_query()),
    ),
    Case(
        "dmp.statusUpdate.transition",
        lambda: status(AvailabilityStatus.DEPRECATED, AvailabilityStatus.DELETED),
        lambda: status(AvailabilityStatus.ARCHIVED, AvailabilityStatus.DELETED),
    ),
    Case("dmp.statusUpdate.target", lambda: status(target="Document01"), status),
    Case("dmp.update.status", lambda: update_with(availability_status=AvailabilityStatus.DEPRECATED), update),
    Case(
        "dmp.update.authorChanged",
        lambda: update_with(previous=current_version(authors=(Author(person=person("899900038839")),))),
        update,
    ),
    Case("dmp.update.fieldChanged", lambda: update_with(title="Nouveau titre"), update),
]


def feed_with_membership_status(value: str | None) -> Built:
    request = feed()
    request.associations = [
        a.model_copy(update={"submission_set_status": value}) if a.target == "Document01" else a
        for a in request.associations
    ]
    return request, {"context": context()}


def provide_and_register_built() -> Built:
    return provide_and_register(), {"context": context()}


def with_all_patients(cx: str) -> Built:
    request = feed([document(1, patient_id=cx)], signature=signature_entry(patient_id=cx))
    request.submission_set = submission_set(patient_id=cx)
    return request, {"context": context()}


def feed_without_signature() -> SubmissionRequest:
    request = SubmissionRequest(submission_set=submission_set())
    request.add_document(document(1))
    return request


def with_table() -> Built:
    table = FacilityPracticeTable({"SA07": frozenset({"AMBULATOIRE", "ETABLISSEMENT"})})
    request, kwargs = with_doc(practice_setting_code=Code("ETABLISSEMENT", "1.2.250.1.213.1.1.4.9"))
    return request, {**kwargs, "facility_practice": table}


def _findings(built: Built) -> list[Finding]:
    request, kwargs = built
    return validate(request, **kwargs)


IDS = [c.rule for c in CASES]


def test_the_table_covers_every_rule_of_the_catalogue() -> None:
    assert sorted(IDS) == sorted(RULES)
    assert len(IDS) == len(set(IDS))


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_rule_fires_on_its_negative_case(case: Case) -> None:
    findings = [f for f in _findings(case.bad()) if f.rule == case.rule]
    rule = RULES[case.rule]
    assert findings, f"{case.rule} did not fire"
    first = findings[0]
    assert first.code == rule.code
    assert first.message
    if rule.message_fr and "{" not in rule.message_fr:
        assert first.message_fr == rule.message_fr
    if case.rule != "dmp.statusUpdate.transition":
        assert first.severity is rule.severity


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_rule_is_silent_on_its_positive_case(case: Case) -> None:
    findings = [f for f in _findings(case.good()) if f.rule == case.rule]
    assert findings == []


@pytest.mark.parametrize("builder", [base, xml_base, provide_and_register_built, status, update])
def test_the_base_requests_are_clean(builder: Callable[[], Built]) -> None:
    assert _findings(builder()) == []


def test_forbidden_type_code_uses_the_dmp_french_message() -> None:
    findings = [
        f for f in _findings(with_doc(type_code=Code("DOCPAT03", TRE_A05))) if f.rule == "dmp.typeCode.forbidden"
    ]
    assert findings[0].message_fr == "Le code 'DOCPAT03' ne fait pas partie du domaine d'affinité"
    assert findings[0].location == "Document01.typeCode"
    assert "EX_2.1-1010" in findings[0].message


def test_ihe_profile_skips_the_dmp_rules() -> None:
    request, kwargs = with_doc(type_code=Code("DOCPAT03", TRE_A05), title="")
    assert validate(request, "ihe", **kwargs) == []
    assert {f.rule for f in validate(request, "dmp", **kwargs)} >= {"dmp.typeCode.forbidden", "dmp.title.required"}


def test_deprecated_to_archived_is_only_a_warning() -> None:
    request, kwargs = status(AvailabilityStatus.DEPRECATED, AvailabilityStatus.ARCHIVED)
    findings = [f for f in validate(request, **kwargs) if f.rule == "dmp.statusUpdate.transition"]
    assert [f.severity for f in findings] == [Severity.WARNING]


def test_signature_entry_is_exempt_from_the_cumul_rule_only() -> None:
    # the official convention N + MASQUE_PS + INVISIBLE_PATIENT on the signature entry ...
    assert not [f for f in _findings(base()) if f.rule.startswith("dmp.confidentiality")]
    # ... but N first still applies to it
    request, kwargs = with_sig(confidentiality_codes=(MASQUE_PS, CONFIDENTIALITY_NORMAL))
    assert "dmp.confidentiality.order" in {f.rule for f in validate(request, **kwargs)}


def test_context_rules_need_a_context() -> None:
    request, _ = with_context(base(), professional="899900038839")
    assert not [f for f in validate(request) if f.rule.startswith("dmp.context")]


def test_cpe_is_checked_by_structure() -> None:
    request, _ = base()
    cpe = context()
    cpe = dc_replace(cpe, professional=dc_replace(cpe.professional, card_type=CardType.CPE))
    assert cpe.is_cpe
    assert not [f for f in validate(request, context=cpe) if f.rule.startswith("dmp.context")]
    other = dc_replace(cpe, structure=context(structure="10B0127189").structure)
    assert "dmp.context.institution" in {f.rule for f in validate(request, context=other)}


def test_unknown_profile_is_an_input_error() -> None:
    with pytest.raises(ValueError, match="profile"):
        validate(feed(), "strict")


def test_locations_name_the_object_and_the_field() -> None:
    request, kwargs = with_doc(title="")
    finding = next(f for f in validate(request, **kwargs) if f.rule == "dmp.title.required")
    assert finding.location == "Document01.title"
    assert finding.to_dict()["code"] == "XDSRegistryMetadataError"


def test_consultation_fixture_is_what_the_table_assumes() -> None:
    assert CONSULTATION.code == "11488-4"

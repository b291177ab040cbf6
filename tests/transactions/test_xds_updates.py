"""TD3.3a/b (ITI-57 new metadata version) and TD3.3c/d (UpdateAvailabilityStatus): requests against the
official examples and the C# kit template, example responses, state machines, sandbox side."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from lxml import etree

from dmpclient import _xml
from dmpclient.errors import InputError, ProtocolError, RegistryError, RuleViolation, ValidationFailed
from dmpclient.ids import INS
from dmpclient.security.pki import TestPki
from dmpclient.soap import read_message
from dmpclient.terminology import CONFIDENTIALITY_NORMAL, INVISIBLE_PATIENT, INVISIBLE_REPRESENTANTS_LEGAUX, MASQUE_PS
from dmpclient.transactions._base import TRANSACTIONS, RequestContext, spec_for_body
from dmpclient.transactions.registry import (
    ALLOWED_STATUS_TRANSITIONS,
    TD3_3A,
    TD3_3B,
    TD3_3C,
    TD3_3D,
    build_archive_request,
    build_delete_request,
    build_unarchive_request,
    build_update_availability_status_request,
    build_update_availability_status_response,
    build_update_document_metadata_request,
    build_update_document_metadata_response,
    classify_update,
    new_confidentiality,
    parse_update_availability_status_request,
    parse_update_availability_status_response,
    parse_update_document_metadata_request,
    parse_update_document_metadata_response,
)
from dmpclient.transactions.repository import build_registry_error_response, registry_error
from dmpclient.xds.model import AssociationType, AvailabilityStatus, Code, DocumentEntry, PatientInfo, Person

from .structural import assert_same_structure, drop, same_if, skip
from .xds_support import (
    EXAMPLE_INS,
    XDS_IGNORES,
    body_of,
    example_author,
    example_root,
    make_context,
    normalized,
    patient_cx,
    received,
    ss_info,
    with_namespaces,
)

TARGET = "urn:uuid:fe5287a2-ae6a-11eb-8f5d-0050569e422e"
TEMPLATE_INS = INS.parse("279035121518989")
LID = "urn:uuid:4f196ae8-5549-11e9-9478-0050569e422e"
CURRENT = "urn:uuid:0b7cd1c4-5b1a-4c55-9a3e-6d3c2f0e5a11"


@pytest.fixture
def ctx(pki: TestPki) -> RequestContext:
    return make_context(pki)


def template_entry(**changes: object) -> DocumentEntry:
    """The current version of the C# kit template's document (version 5, only N), as a TD3.1 would return it."""
    t = dt.datetime(2019, 4, 2, 15, 14, 11, tzinfo=dt.UTC)
    entry = DocumentEntry(
        entry_uuid=CURRENT,
        logical_id=LID,
        version="5",
        availability_status=AvailabilityStatus.APPROVED,
        unique_id="1.2.250.1.999.1.1.7898.4.9956570602",
        creation_time=t,
        service_start_time=t,
        service_stop_time=t,
        hash="2c0b4b3964c9056675d427b4204f40ca4132a9c1",
        size=4267,
        repository_unique_id="1.2.250.1.213.4.1.1.1.2",
        language_code="fr-FR",
        legal_authenticator=Person.dmp("899900063480", "MAX", "LIBRE"),
        source_patient_id="0456789999^^^&1.2.250.1.999.1.1.7898.2&ISO^PI",
        source_patient_info=PatientInfo(
            birth_family_name="PAT-TROIS", birth_given_name="DOMINIQUE", birth_date="19790328", sex="F"
        ),
        title="Document 1",
        comments="commentaire sur document",
        authors=(example_author(),),
        class_code=Code("10", "1.2.250.1.213.1.1.4.1", "Compte rendu"),
        type_code=Code("34874-8", "2.16.840.1.113883.6.1", "CR opératoire"),
        confidentiality_codes=(CONFIDENTIALITY_NORMAL,),
        event_codes=(Code("18724-5", "2.16.840.1.113883.6.1", "HLA"),),
        format_code=Code(
            "urn:ihe:iti:xds-sd:text:2008", "1.3.6.1.4.1.19376.1.2.3", "Document à corps non structuré en texte brut"
        ),
        healthcare_facility_type_code=Code("SA01", "1.2.250.1.71.4.2.4", "Etablissement public de santé"),
        practice_setting_code=Code("ETABLISSEMENT", "1.2.250.1.213.1.1.4.9", "Etablissement de santé"),
        patient_id=TEMPLATE_INS.to_cx(),
    )
    return entry.replace_fields(**changes) if changes else entry


def _template(official_examples: Path) -> etree._Element:
    """The kit template (no namespace at all) with the ebRIM namespaces, ordered as the ebRIM writers order
    objects (RegistryPackage, ExtrinsicObjects, Associations): the template puts the HasMember first."""
    raw = _xml.parse_file(official_examples / "kit-templates" / "td3.3a-masquage.kit-template.xml")
    tree = with_namespaces(raw, _xml.NS["rim"], {"SubmitObjectsRequest": _xml.NS["lcm"]})
    rol = tree[0]
    association = rol.find(_xml.q("rim", "Association"))
    assert association is not None
    rol.remove(association)
    rol.append(association)
    for slot in tree.iter(_xml.q("rim", "Slot")):
        if slot.get("name") == "sourcePatientInfo":  # ours writes PID-5 first; value order is not significant
            values = slot[0]
            ordered = sorted(values, key=lambda v: v.text or "")
            for v in ordered:
                values.remove(v)
            for v in sorted(ordered, key=lambda v: not (v.text or "").startswith("PID-5")):
                values.append(v)
    return tree


def test_td33a_request_matches_the_kit_template_where_it_is_a_message(
    ctx: RequestContext, official_examples: Path
) -> None:
    # The template's MASQUE_PS display differs from TRE_A07's: the typed input carries the template's.
    masque = Code("MASQUE_PS", "1.2.250.1.213.1.1.4.13", "Document masqué aux professionnels de santé")
    request = build_update_document_metadata_request(
        ctx, template_entry(), [CONFIDENTIALITY_NORMAL, masque], submission_set=ss_info("Compte rendu", None)
    )
    assert request.transaction == "TD3.3a"
    ignore = (
        *XDS_IGNORES,
        same_if(patient_cx(TEMPLATE_INS), "rim:ExternalIdentifier/@value"),
        # The template (a C# sample, not a captured message) points the entry's classifications and external
        # ids at the logicalId; ebRIM requires the object's own id, which ours uses ("Document01").
        drop("rim:ExtrinsicObject/rim:Classification/@classifiedObject"),
        drop("rim:ExtrinsicObject/rim:ExternalIdentifier/@registryObject"),
        # isOpaque="false" is the ebRIM default, copied from a registry answer by the template.
        drop("rim:ExtrinsicObject/@isOpaque"),
        # VersionInfo is assigned by the registry (ITI-57); the template's versionName="1" even contradicts
        # its own PreviousVersion=5. We do not send it.
        skip("rim:ExtrinsicObject/rim:VersionInfo"),
    )
    assert_same_structure(
        normalized(body_of(request.envelope)), normalized(_template(official_examples)), ignore=ignore
    )


def test_td33a_new_version_is_a_full_copy_with_only_the_confidentiality_changed(ctx: RequestContext) -> None:
    current = template_entry()
    request = build_update_document_metadata_request(
        ctx, current, new_confidentiality(current.confidentiality_codes, masked=True), submission_set=ss_info()
    )
    got = parse_update_document_metadata_request(received(request))
    (update,) = got.updates
    assert (update.logical_id, update.previous_version) == (LID, "5")
    assert update.association.submission_set_status == "Original"
    new = update.entry
    assert new.availability_status is AvailabilityStatus.APPROVED
    assert new.entry_uuid == "Document01"
    assert [c.code for c in new.confidentiality_codes] == ["N", "MASQUE_PS"]
    for field in ("unique_id", "hash", "size", "authors", "type_code", "title", "patient_id", "source_patient_info"):
        assert getattr(new, field) == getattr(current, field), field
    assert got.submission.submission_set.content_type_code is not None
    assert got.transaction({LID: current}) is TD3_3A
    assert classify_update(received(request), previous={LID: current}) is TD3_3A


def test_td33b_makes_visible_to_the_patient_and_is_irreversible(ctx: RequestContext) -> None:
    current = template_entry(confidentiality_codes=(CONFIDENTIALITY_NORMAL, INVISIBLE_PATIENT))
    codes = new_confidentiality(current.confidentiality_codes, visible_to_patient=True)
    assert [c.code for c in codes] == ["N"]
    request = build_update_document_metadata_request(ctx, current, codes, submission_set=ss_info())
    assert request.transaction == "TD3.3b"
    assert classify_update(received(request), previous={LID: current}) is TD3_3B
    visible = template_entry()
    with pytest.raises(ValidationFailed) as info:
        build_update_document_metadata_request(
            ctx, visible, [CONFIDENTIALITY_NORMAL, INVISIBLE_PATIENT], submission_set=ss_info()
        )
    assert [f.rule for f in info.value.findings] == ["dmp.confidentiality.invisibleAdded"]
    with pytest.raises(RuleViolation):
        new_confidentiality(visible.confidentiality_codes, visible_to_legal_representatives=False)


def test_td33a_refuses_forbidden_combinations_and_no_change(ctx: RequestContext) -> None:
    current = template_entry(confidentiality_codes=(CONFIDENTIALITY_NORMAL, INVISIBLE_PATIENT))
    with pytest.raises(ValidationFailed) as info:  # INVISIBLE_PATIENT + MASQUE_PS (EX_2.1-1050)
        build_update_document_metadata_request(
            ctx, current, new_confidentiality(current.confidentiality_codes, masked=True), submission_set=ss_info()
        )
    assert "dmp.confidentiality.cumul" in {f.rule for f in info.value.findings}
    with pytest.raises(InputError, match="do not change"):
        build_update_document_metadata_request(ctx, current, current.confidentiality_codes, submission_set=ss_info())


def test_td33a_needs_the_registry_ids_of_the_current_version(ctx: RequestContext) -> None:
    masked = [CONFIDENTIALITY_NORMAL, MASQUE_PS]
    with pytest.raises(InputError, match="versionName"):
        build_update_document_metadata_request(ctx, template_entry(version=None), masked, submission_set=ss_info())
    with pytest.raises(InputError) as info:
        build_update_document_metadata_request(
            ctx, template_entry(entry_uuid="Document01"), masked, submission_set=ss_info()
        )
    assert info.value.rule == "RG_3130"
    with pytest.raises(RuleViolation):
        build_update_document_metadata_request(
            ctx, template_entry(availability_status=AvailabilityStatus.DEPRECATED), masked, submission_set=ss_info()
        )
    with pytest.raises(InputError, match="another patient"):
        build_update_document_metadata_request(
            ctx, template_entry(), masked, submission_set=ss_info(), patient=EXAMPLE_INS
        )


def test_new_confidentiality_unmask_and_legal_representatives() -> None:
    codes = (CONFIDENTIALITY_NORMAL, MASQUE_PS, INVISIBLE_REPRESENTANTS_LEGAUX)
    assert [c.code for c in new_confidentiality(codes, masked=False)] == ["N", "INVISIBLE_REPRESENTANTS_LEGAUX"]
    assert [c.code for c in new_confidentiality(codes, visible_to_legal_representatives=True)] == ["N", "MASQUE_PS"]
    assert [c.code for c in new_confidentiality(["N"], masked=True)] == ["N", "MASQUE_PS"]


@pytest.mark.parametrize(
    ("name", "build", "status"),
    [
        ("td3.3c-supprimer.request.xml", "delete", AvailabilityStatus.ARCHIVED),
        ("td3.3d-archiver.request.xml", "archive", AvailabilityStatus.APPROVED),
    ],
)
def test_td33cd_requests_have_the_structure_of_the_official_examples(
    ctx: RequestContext, official_examples: Path, name: str, build: str, status: AvailabilityStatus
) -> None:
    info = ss_info("Compte rendu", None)
    if build == "delete":
        request = build_delete_request(ctx, EXAMPLE_INS, TARGET, current_status=status, submission_set=info)
        assert request.transaction == "TD3.3c"
    else:
        request = build_archive_request(ctx, EXAMPLE_INS, TARGET, submission_set=info)
        assert request.transaction == "TD3.3d"
    example = example_root(official_examples, name)
    assert_same_structure(normalized(request.envelope), normalized(example), ignore=XDS_IGNORES)


@pytest.mark.parametrize("name", ["td3.3c-supprimer.response.xml", "td3.3d-archiver.response.xml"])
def test_td33_example_responses_parse_to_success(official_examples: Path, name: str) -> None:
    message = read_message("application/soap+xml", (official_examples / name).read_bytes())
    assert parse_update_availability_status_response(message).ok
    assert parse_update_document_metadata_response(message).ok


def test_status_state_machine() -> None:
    a, r, d, x = (
        AvailabilityStatus.APPROVED,
        AvailabilityStatus.ARCHIVED,
        AvailabilityStatus.DELETED,
        AvailabilityStatus.DEPRECATED,
    )
    assert {(a, r), (r, a), (a, d), (r, d)} == ALLOWED_STATUS_TRANSITIONS
    assert (x, d) not in ALLOWED_STATUS_TRANSITIONS
    assert (d, a) not in ALLOWED_STATUS_TRANSITIONS


def test_unarchive_and_refused_transitions(ctx: RequestContext) -> None:
    request = build_unarchive_request(ctx, EXAMPLE_INS, TARGET, submission_set=ss_info())
    assert request.transaction == "TD3.3d"
    change = parse_update_availability_status_request(received(request)).changes[0]
    assert (change.entry_uuid, change.original_status, change.new_status) == (
        TARGET,
        AvailabilityStatus.ARCHIVED,
        AvailabilityStatus.APPROVED,
    )
    assert change.spec is TD3_3D
    with pytest.raises(RuleViolation):  # a deprecated version cannot be deleted directly
        build_delete_request(
            ctx, EXAMPLE_INS, TARGET, current_status=AvailabilityStatus.DEPRECATED, submission_set=ss_info()
        )
    with pytest.raises(InputError) as info:  # an entryUUID fetched by TD3.1b, not a uniqueId
        build_archive_request(ctx, EXAMPLE_INS, "1.2.250.1.999.1.1.7898.3.1", submission_set=ss_info())
    assert info.value.rule == "RG_3130"
    with pytest.raises(InputError):
        build_update_availability_status_request(
            ctx, EXAMPLE_INS, TARGET, original_status="Approved", new_status="Gone", submission_set=ss_info()
        )
    forced = build_update_availability_status_request(
        ctx,
        EXAMPLE_INS,
        TARGET,
        original_status=AvailabilityStatus.DEPRECATED,
        new_status=AvailabilityStatus.ARCHIVED,
        submission_set=ss_info(),
        check=False,
    )
    assert forced.transaction == "TD3.3d"


def test_sandbox_side_of_td33cd(ctx: RequestContext) -> None:
    request = received(build_delete_request(ctx, EXAMPLE_INS, TARGET, submission_set=ss_info()))
    assert classify_update(request) is TD3_3C
    got = parse_update_availability_status_request(request)
    assert [(c.entry_uuid, c.new_status) for c in got.changes] == [(TARGET, AvailabilityStatus.DELETED)]
    assert got.submission.associations[0].type is AssociationType.UPDATE_AVAILABILITY_STATUS
    response = build_update_availability_status_response(request=request)
    assert response.action == "urn:ihe:iti:2010:UpdateDocumentSet-Response"
    assert parse_update_availability_status_response(received(response), transaction="TD3.3c").ok
    with pytest.raises(ProtocolError, match="lid"):
        parse_update_document_metadata_request(request)


def test_td33_failure_keeps_the_dmp_message(ctx: RequestContext) -> None:
    current = template_entry()
    request = received(
        build_update_document_metadata_request(
            ctx, current, [CONFIDENTIALITY_NORMAL, MASQUE_PS], submission_set=ss_info()
        )
    )
    text = "Les données d'un auteur ne peuvent pas être modifiées"
    response = build_registry_error_response(registry_error("XDSRegistryMetadataError", text), request=request)
    with pytest.raises(RegistryError) as info:
        parse_update_document_metadata_response(received(response))
    assert (info.value.code, info.value.message_fr, info.value.transaction) == (
        "XDSRegistryMetadataError",
        text,
        "TD3.3a",
    )
    ok = build_update_document_metadata_response(request=request)
    assert parse_update_document_metadata_response(received(ok)).ok


def test_td33_specs_share_the_body_and_are_registered() -> None:
    specs = {s.td for s in spec_for_body(etree.Element(_xml.q("lcm", "SubmitObjectsRequest")))}
    assert specs == {"TD3.3a", "TD3.3b", "TD3.3c", "TD3.3d"}
    assert all(TRANSACTIONS[td].discriminator for td in specs)
    assert TRANSACTIONS["TD3.3c"] is TD3_3C
    assert TD3_3A.action == "urn:ihe:iti:2010:UpdateDocumentSet"

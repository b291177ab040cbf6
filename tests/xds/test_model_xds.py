"""The XDS model: values (XCN, XON, PID), times, identifiers, helpers."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from pydantic import ValidationError

from dmpclient._models import InvalidInput
from dmpclient.errors import InputError, InvalidIdentifier, InvalidValue, RegistryError, RegistryErrorItem
from dmpclient.hl7v2 import XCN
from dmpclient.xds import (
    AssociationType,
    AvailabilityStatus,
    Code,
    DocumentEntry,
    Organization,
    ParsedMessage,
    PatientInfo,
    Person,
    RegistryResponse,
    ResponseStatus,
    SubmissionRequest,
)
from dmpclient.xds.model import Association, MessageKind, format_cwe, parse_cwe

from .xds_core_factories import INS_CX, entry, submission, submission_set

MASQUE_PS = Code("MASQUE_PS", "1.2.250.1.213.1.1.4.13", "Masqué aux professionnels de santé")


# ------------------------------------------------------------------------------------ Person / XCN


def test_person_dmp_form_matches_the_official_xcn() -> None:
    person = Person.dmp("899900063480", "MAX", "LIBRE")
    assert person.format() == "899900063480^MAX^LIBRE^^^^^^&1.2.250.1.71.4.2.1&ISO^D^^^IDNPS"


def test_person_from_xcn_reads_every_component() -> None:
    person = Person.from_xcn("00B2800585^OPTOLUNE0058^SEBASTIEN^JEAN^^DR^^^&1.2.250.1.71.4.2.1&ISO^D^^^IDNPS")
    assert (person.id, person.family_name, person.given_name) == ("00B2800585", "OPTOLUNE0058", "SEBASTIEN")
    assert person.further_given_names == "JEAN"
    assert person.prefix == "DR"
    assert person.assigning_authority == "1.2.250.1.71.4.2.1"
    assert person.id_type == "IDNPS"
    assert Person.from_xcn(person.to_xcn()) == person


def test_person_from_malformed_xcn_raises() -> None:
    with pytest.raises(InputError):
        Person.from_xcn("^^^^^^^^&1.2.250.1.71.4.2.1&ISO")


def test_person_escapes_delimiters() -> None:
    person = Person.dmp("899900063480", "O^BRIEN", "ANNE")
    text = person.format()
    assert "O\\S\\BRIEN" in text
    assert Person.from_xcn(XCN.parse(text)).family_name == "O^BRIEN"


# ------------------------------------------------------------------------------- Organization / XON


def test_organization_dmp_form_matches_the_official_xon() -> None:
    org = Organization.dmp("CABINET DR LIBRE", "499900063480001")
    assert org.format() == "CABINET DR LIBRE^^^^^&1.2.250.1.71.4.2.2&ISO^IDNST^^^499900063480001"
    assert Organization.from_xon(org.format()) == org


def test_organization_reads_an_old_style_id_in_component_3() -> None:
    org = Organization.from_xon("HOPITAL^^12345")
    assert org.id == "12345"


def test_organization_needs_a_name() -> None:
    with pytest.raises(InvalidInput) as err:
        Organization(name="")
    assert (err.value.field, err.value.value, err.value.rule) == ("Organization.name", "", "string_too_short")
    assert Organization(name="X").name == "X"


def test_cwe_round_trip_and_refusal() -> None:
    code = parse_cwe("G15_10/SM26^Médecin - Qualifié en Médecine Générale (SM)^1.2.250.1.213.1.1.4.5")
    assert code.key == ("1.2.250.1.213.1.1.4.5", "G15_10/SM26")
    assert parse_cwe(format_cwe(code)) == code
    with pytest.raises(InputError):
        parse_cwe("Cardiologie")


# ------------------------------------------------------------------------------ PatientInfo / PID


def test_patient_info_parses_the_official_values() -> None:
    info, issues = PatientInfo.from_slot_values(["PID-7|19790328", "PID-8|F", "PID-5|PAT-TROIS^DOMINIQUE^^^^^L"])
    assert issues == []
    assert (info.birth_family_name, info.birth_given_name) == ("PAT-TROIS", "DOMINIQUE")
    assert info.birth_date == "19790328"
    assert info.birth_date_value is not None
    assert info.birth_date_value.year == 1979
    assert info.sex == "F"
    assert info.to_slot_values() == ["PID-5|PAT-TROIS^DOMINIQUE^^^^^L", "PID-7|19790328", "PID-8|F"]


def test_patient_info_keeps_used_name_and_unknown_lines() -> None:
    values = ["PID-5|MARTIN^JEANNE^ALICE^^^^L", "PID-5|DURAND^JEANNE^^^^^D", "PID-11|1 RUE X^^PARIS", "garbage"]
    info, issues = PatientInfo.from_slot_values(values)
    assert info.other_given_names == "ALICE"
    assert (info.used_family_name, info.used_given_name) == ("DURAND", "JEANNE")
    assert info.other == ("PID-11|1 RUE X^^PARIS", "garbage")
    assert [i.value for i in issues] == ["garbage"]
    again, _ = PatientInfo.from_slot_values(info.to_slot_values())
    assert again == info


def test_patient_info_without_pid5_is_never_written_empty() -> None:
    with pytest.raises(InputError) as err:
        PatientInfo().to_slot_values()
    assert "PID5" in (err.value.rule or "")
    with pytest.raises(InputError):
        PatientInfo(birth_date="19770707", sex="F").to_slot_values()


def test_patient_info_flags_a_bad_birth_date_on_read_and_refuses_it_on_build() -> None:
    info, issues = PatientInfo.from_slot_values(["PID-5|A^B^^^^^L", "PID-7|hier"])
    assert info.birth_date is None
    assert issues
    assert issues[0].field == "sourcePatientInfo"
    with pytest.raises(InvalidInput) as err:
        PatientInfo(birth_family_name="A", birth_date="07/07/1977")
    assert (err.value.field, err.value.value, err.value.rule) == ("PatientInfo.birth_date", "07/07/1977", "value_error")
    assert "PID-7 must be YYYY[MM[DD]]" in str(err.value)


# ------------------------------------------------------------------------------------- times


def test_naive_datetimes_are_refused() -> None:
    naive = datetime(2024, 1, 1, 12, 0)
    with pytest.raises(InvalidValue, match="timezone-aware") as err:
        DocumentEntry(creation_time=naive)
    assert (err.value.field, err.value.value, err.value.rule) == ("creation_time", naive, "XDS DTM UTC")
    assert isinstance(err.value.__cause__, ValidationError)
    with pytest.raises(InvalidValue, match="timezone-aware"):
        submission_set(submission_time=naive)
    assert DocumentEntry(creation_time=naive.replace(tzinfo=UTC)).creation_time is not None


def test_aware_datetimes_in_any_zone_are_accepted() -> None:
    paris = timezone(timedelta(hours=2))
    e = DocumentEntry(creation_time=datetime(2023, 9, 19, 8, 58, 23, tzinfo=paris))
    assert e.creation_time is not None
    assert e.creation_time.astimezone(UTC).hour == 6


# ------------------------------------------------------------------------------- identifiers


def test_ins_property_parses_the_patient_id() -> None:
    assert entry().ins.matricule == "277076322082910"
    assert entry(patient_id=INS_CX + "^^20100907").ins.oid.value == "1.2.250.1.213.1.4.10"


def test_ins_property_raises_on_a_malformed_cx_but_patient_cx_does_not() -> None:
    bad = entry(patient_id="^^^&1.2.250.1.213.1.4.10&ISO^NH")
    with pytest.raises(InputError):
        _ = bad.ins
    with pytest.raises(InvalidIdentifier):
        _ = entry(patient_id="277076322082911^^^&1.2.250.1.213.1.4.10&ISO^NH").ins
    assert bad.patient_cx is None
    assert entry().patient_cx is not None


def test_unknown_status_strings_are_kept_known_ones_become_enums() -> None:
    known = DocumentEntry(availability_status="urn:asip:ci-sis:2010:StatusType:Archived")
    assert known.availability_status is AvailabilityStatus.ARCHIVED
    other = DocumentEntry(availability_status="urn:example:Status:Weird")
    assert other.availability_status == "urn:example:Status:Weird"
    assoc = Association(type="urn:ihe:iti:2007:AssociationType:signs", source="a", target="b")
    assert assoc.type is AssociationType.SIGNS


def test_extra_fields_are_forbidden() -> None:
    with pytest.raises(InvalidInput) as err:
        DocumentEntry(unknown_field="x")  # type: ignore[call-arg]
    assert (err.value.field, err.value.value, err.value.rule) == ("DocumentEntry.unknown_field", "x", "extra_forbidden")


# ---------------------------------------------------------------------------------- helpers


def test_with_confidentiality_puts_normal_first_and_dedupes() -> None:
    e = entry().with_confidentiality(MASQUE_PS, MASQUE_PS)
    assert [c.code for c in e.confidentiality_codes] == ["N", "MASQUE_PS"]
    assert e.has_confidentiality(MASQUE_PS)
    assert not entry().has_confidentiality("MASQUE_PS")
    assert entry().with_confidentiality().confidentiality_codes[0].code == "N"


def test_add_document_assigns_symbolic_ids_and_has_member() -> None:
    request = submission(documents=2)
    assert [d.entry_uuid for d in request.documents] == ["Document01", "Document02"]
    assert request.submission_set.entry_uuid == "SubmissionSet01"
    members = request.associations_of_type(AssociationType.HAS_MEMBER)
    assert [(a.source, a.target, a.submission_set_status) for a in members] == [
        ("SubmissionSet01", "Document01", "Original"),
        ("SubmissionSet01", "Document02", "Original"),
    ]
    assert len({a.id for a in request.associations}) == 2


def test_add_document_refuses_a_duplicate_id() -> None:
    request = submission(documents=1)
    with pytest.raises(InputError):
        request.add_document(entry(2, entry_uuid="Document01"))


def test_replace_creates_the_rplc_association_to_the_entry_uuid() -> None:
    request = SubmissionRequest(submission_set=submission_set())
    old = "urn:uuid:7953af1a-ba1c-11eb-816f-0050569e422e"
    new = request.replace(entry(2), old)
    (rplc,) = request.associations_of_type(AssociationType.RPLC)
    assert (rplc.source, rplc.target) == (new.entry_uuid, old)
    assert len(request.associations_of_type(AssociationType.HAS_MEMBER)) == 1


def test_replace_refuses_a_unique_id_or_symbolic_target() -> None:
    request = SubmissionRequest(submission_set=submission_set())
    with pytest.raises(InputError) as err:
        request.replace(entry(2), "1.2.250.1.999.1.1.7898.3.1")
    assert err.value.rule == "RG_3130"


# ----------------------------------------------------------------------------------- responses


def test_registry_response_raise_for_status() -> None:
    ok = RegistryResponse(status="urn:oasis:names:tc:ebxml-regrep:ResponseStatusType:Success")
    assert ok.status is ResponseStatus.SUCCESS
    assert ok.raise_for_status() is ok
    item = RegistryErrorItem("XDSRegistryMetadataError", "Le champ 'sourcePatientInfo PID5' est obligatoire")
    failed = RegistryResponse(status=ResponseStatus.FAILURE, errors=(item,))
    with pytest.raises(RegistryError) as err:
        failed.raise_for_status(transaction="TD2.1")
    assert err.value.code == "XDSRegistryMetadataError"
    assert err.value.message_fr == "Le champ 'sourcePatientInfo PID5' est obligatoire"
    assert err.value.transaction == "TD2.1"


def test_parsed_message_requires_its_payload() -> None:
    with pytest.raises(ValidationError):
        ParsedMessage(kind=MessageKind.REGISTRY_RESPONSE)
    ok = ParsedMessage(kind=MessageKind.REGISTRY_RESPONSE, registry_response=RegistryResponse(status="x"))
    assert isinstance(ok.payload(), RegistryResponse)

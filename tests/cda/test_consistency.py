"""CDA header ⇄ XDS metadata consistency checker: one test per kind of difference."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from dmpclient._xml import parse_file
from dmpclient.cda import CdaHeader, read_header
from dmpclient.cda.mapping import check_consistency, to_document_entry
from dmpclient.hl7v2 import Precision
from dmpclient.terminology import Code
from dmpclient.xds import parse_message
from dmpclient.xds.model import Author, DocumentEntry, PatientInfo, Person


@pytest.fixture(scope="module")
def header(cda_kit: Path) -> CdaHeader:
    return read_header(cda_kit / "ExemplesCDA" / "DOC_NON_STRUCTURE_CDA-R2-N1.xml")


@pytest.fixture
def entry(header: CdaHeader) -> DocumentEntry:
    return to_document_entry(header)


def rules(header: CdaHeader, entry: DocumentEntry, **changes: Any) -> list[str]:
    return [f.rule for f in check_consistency(header, entry.replace_fields(**changes))]


def test_the_mapping_of_every_kit_example_is_consistent(cda_kit: Path) -> None:
    for path in sorted((cda_kit / "ExemplesCDA").glob("*.xml")):
        h = read_header(path)
        assert check_consistency(h, to_document_entry(h)) == [], path.name


def test_consistent_entry_gives_no_finding(header: CdaHeader, entry: DocumentEntry) -> None:
    assert check_consistency(header, entry) == []


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"unique_id": "1.2.250.1.999.1"}, "cda-xds.uniqueId"),
        ({"type_code": Code("11488-4", "2.16.840.1.113883.6.1")}, "cda-xds.typeCode"),
        ({"class_code": Code("11", "1.2.250.1.213.1.1.4.1")}, "cda-xds.classCode"),
        ({"format_code": Code("urn:ihe:iti:xds-sd:text:2008", "1.3.6.1.4.1.19376.1.2.3")}, "cda-xds.formatCode"),
        ({"format_code": None}, "cda-xds.formatCode"),
        ({"healthcare_facility_type_code": Code("SA01", "1.2.250.1.71.4.2.4")}, "cda-xds.healthcareFacilityTypeCode"),
        ({"practice_setting_code": Code("ETABLISSEMENT", "1.2.250.1.213.1.1.4.9")}, "cda-xds.practiceSettingCode"),
        ({"confidentiality_codes": (Code("R", "2.16.840.1.113883.5.25"),)}, "cda-xds.confidentialityCode"),
        ({"title": "Autre titre"}, "cda-xds.title"),
        ({"language_code": "en-US"}, "cda-xds.languageCode"),
        ({"mime_type": "application/pdf"}, "cda-xds.mimeType"),
        ({"creation_time": datetime(2021, 4, 1, 13, 47, 45, tzinfo=UTC)}, "cda-xds.creationTime"),
        ({"service_start_time": datetime(2021, 1, 4, 13, 47, tzinfo=UTC)}, "cda-xds.serviceStartTime"),
        ({"service_stop_time": None}, "cda-xds.serviceStopTime"),
        ({"patient_id": "277076322082910^^^&1.2.250.1.213.1.4.10&ISO^NH"}, "cda-xds.patientId"),
        ({"source_patient_info": None}, "cda-xds.sourcePatientInfo"),
        (
            {
                "source_patient_info": PatientInfo(
                    birth_family_name="PAT-TROIS", birth_given_name="DOMINIQUE", birth_date="19790329", sex="F"
                )
            },
            "cda-xds.sourcePatientInfo",
        ),
        ({"legal_authenticator": Person.dmp("801234534765", "CAMPARINI", "Marcel")}, "cda-xds.legalAuthenticator"),
        ({"legal_authenticator": None}, "cda-xds.legalAuthenticator"),
    ],
)
def test_each_kind_of_difference_is_found(
    header: CdaHeader, entry: DocumentEntry, changes: dict[str, Any], expected: str
) -> None:
    assert rules(header, entry, **changes) == [expected]


def test_author_count_difference_is_ex_2_1_2020(header: CdaHeader, entry: DocumentEntry) -> None:
    extra = Author(person=Person.dmp("899900063480", "LIBRE", "MAX"))
    [finding] = check_consistency(header, entry.replace_fields(authors=(*entry.authors, extra)))
    assert finding.rule == "cda-xds.authors.count"
    assert finding.code == "EX_2.1-2020"
    assert "1 author(s), the XDS metadata 2" in finding.message


def test_author_person_institution_and_specialty_differences(header: CdaHeader, entry: DocumentEntry) -> None:
    [author] = entry.authors
    other_person = author.model_copy(update={"person": Person.dmp("899900063480", "LIBRE", "MAX")})
    assert rules(header, entry, authors=(other_person,)) == ["cda-xds.authors.person"]
    no_institution = author.model_copy(update={"institutions": ()})
    assert rules(header, entry, authors=(no_institution,)) == ["cda-xds.authors.institution"]
    other_specialty = author.model_copy(update={"specialties": (Code("G15_10/SM26", "1.2.250.1.213.1.1.4.5"),)})
    assert rules(header, entry, authors=(other_specialty,)) == ["cda-xds.authors.specialty"]


def test_times_compare_in_utc_at_the_xds_precision(header: CdaHeader, entry: DocumentEntry) -> None:
    # the same instant written with a date precision in XDS is accepted
    same_day = entry.replace_fields(
        service_start_time=datetime(2021, 1, 4, tzinfo=UTC), time_precisions={"serviceStartTime": Precision.DAY}
    )
    assert check_consistency(header, same_day) == []
    # local time sent as if it were UTC: the classic one-hour error
    [finding] = check_consistency(
        header, entry.replace_fields(creation_time=datetime(2021, 4, 1, 13, 47, 45, tzinfo=UTC))
    )
    assert "20210401124745" in finding.message
    assert "20210401134745" in finding.message


def test_cda_id_with_extension_is_reported() -> None:
    h = read_header(b'<ClinicalDocument xmlns="urn:hl7-org:v3"><id root="1.2.3" extension="42"/></ClinicalDocument>')
    found = check_consistency(h, to_document_entry(h))
    assert [f.rule for f in found] == ["cda-xds.uniqueId.extension"]


def test_official_td21_example_is_inconsistent_where_the_reference_says(official_examples: Path) -> None:
    """The GIE example pairs a CDA and metadata that disagree (uniqueId, times, title …): all found."""
    message = parse_message(parse_file(official_examples / "td2.1-alimentation.request.soap-part.xml"))
    assert message.submission is not None
    [entry] = [d for d in message.submission.documents if d.type_code and d.type_code.code == "27899-4"]
    h = read_header(official_examples / "td2.1-document-me2.cda.xml")
    found = {f.rule for f in check_consistency(h, entry)}
    assert {
        "cda-xds.uniqueId",
        "cda-xds.title",
        "cda-xds.creationTime",
        "cda-xds.healthcareFacilityTypeCode",
        "cda-xds.sourcePatientInfo",
    } <= found
    assert "cda-xds.typeCode" not in found
    assert "cda-xds.patientId" not in found

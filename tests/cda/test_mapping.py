"""CDA header → XDS DocumentEntry: table-driven over the 25 kit examples, plus field-level checks.

The expected values are written from the reference, not computed by our code:

* typeCode: the example's ``ClinicalDocument/code`` (``cda.md`` §2 table);
* classCode: ASS_X04 as tabulated in ``value-sets.md`` §3;
* healthcareFacilityTypeCode / practiceSettingCode: read by hand in each file
  (``healthCareFacility/code`` and the ``documentationOf`` performer's ``standardIndustryClassCode``);
* formatCode: ``cda.md`` §3–4 (N1 PDF → ``urn:ihe:iti:xds-sd:pdf:2008``) and the model codes of J60
  (``value-sets.md`` §4); ``None`` where the reference gives no code for the model (TROD, CSE-MDE, TLM-DA,
  eDISP-MED).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest

from dmpclient.cda import build_n1, build_n3, ldl_ses_body, read_header
from dmpclient.cda.demo import demo_header, demo_ldl_ses
from dmpclient.cda.mapping import MODEL_FORMAT_CODES, format_code_for_header, to_document_entry
from dmpclient.hl7v2 import Precision
from dmpclient.terminology import MASQUE_PS, Code

PDF = "urn:ihe:iti:xds-sd:pdf:2008"

# file: (typeCode, classCode, healthcareFacilityTypeCode, practiceSettingCode, formatCode)
EXPECTED: dict[str, tuple[str, str, str, str, str | None]] = {
    "01_Modèles_contenus_CDA.xml": ("60591-5", "11", "SA04", "ETABLISSEMENT", "urn:asip:ci-sis:vsm:2012"),
    "BIO-CR-BIO_2021.01_CDA-R2-Niveau-1.xml": ("11502-2", "10", "SA25", "AMBULATOIRE", PDF),
    "BIO-CR-BIO_2024.01_CR-2nde-intention-PDF.xml": ("11502-2", "10", "SA25", "AMBULATOIRE", "urn:ihe:lab:xd-lab:2008"),
    "BIO-CR-BIO_2024.01_Microbiologie_V2.xml": ("11502-2", "10", "SA25", "AMBULATOIRE", "urn:ihe:lab:xd-lab:2008"),
    "BIO-CR-BIO_2024.01_TSH_1.xml": ("11502-2", "10", "SA25", "AMBULATOIRE", "urn:ihe:lab:xd-lab:2008"),
    "BIO-TROD_2024.01_COVID-19.xml": ("96173-0", "52", "SA33", "DEPISTAGE", None),
    "CNAM-HR_2021.01_sans-info.xml": ("REMB", "60", "SA24", "AMO", "urn:asip:ci-sis:hr:2019"),
    "CSE-CS8_2024.01.xml": ("CERT_DECL", "52", "SA03", "ETABLISSEMENT", "urn:asip:ci-sis:cse-cs8:2017"),
    "CSE-MDE_2023.01.xml": ("29274-8", "10", "SA05", "ETABLISSEMENT", None),
    "DOC_NON_STRUCTURE_CDA-R2-N1.xml": ("11502-2", "10", "SA07", "AMBULATOIRE", PDF),
    "IMG-DA-IMG_2024.01_Radiographie_ChevilleGenou.xml": (
        "55115-0",
        "42",
        "SA01",
        "ETABLISSEMENT",
        "urn:ans:ci-sis:img-da:2022",
    ),
    "IMG_CR_IMG_2024.01.xml": (
        "18748-4",
        "31",
        "SA08",
        "AMBULATOIRE",
        "urn:ihe:rad:CDA:ImagingReportStructuredHeadings:2013",
    ),
    "IMG_CR_IMG_2024.01_CDA-R2-Niveau-1.xml": ("18748-4", "31", "SA08", "AMBULATOIRE", PDF),
    "IPS-FR_2024.01.xml": ("60591-5", "11", "SA04", "ETABLISSEMENT", "urn:ihe:pcc:ips:2020"),
    "LDL-EES_2022.01.xml": ("18761-7", "11", "SA01", "ETABLISSEMENT", "urn:asip:ci-sis:ldl-ees:2017"),
    "LDL-SES_2022.01.xml": ("11490-0", "10", "SA01", "ETABLISSEMENT", "urn:asip:ci-sis:ldl-ses:2017"),
    "OBP-SNE_2024.01.xml": ("57075-4", "11", "SA04", "ETABLISSEMENT", "urn:asip:ci-sis:sne:2012"),
    "SDM-MR_2024.01_nouveau-ne.xml": ("34133-9", "11", "SA01", "ETABLISSEMENT", "urn:asip:ci-sis:sdm-mr:2017"),
    "TLM-CR_2022.01.xml": ("85208-7", "10", "SA03", "ETABLISSEMENT", PDF),
    "TLM-DA_2022.01_TCG.xml": ("75496-0", "10", "SA03", "ETABLISSEMENT", None),
    "VAC-NOTE_2023.01.xml": ("87273-9", "52", "SA07", "AMBULATOIRE", "urn:asip:ci-sis:vac-note:2021"),
    "VAC_2023.01.xml": ("11369-6", "52", "SA24", "AMO", "urn:asip:ci-sis:vac:2019"),
    "VSM_1.4_2022.01.xml": ("SYNTH", "11", "SA04", "ETABLISSEMENT", "urn:asip:ci-sis:vsm:2012"),
    "eDISP-MED_2024.01.xml": ("60593-1", "43", "SA33", "AMBULATOIRE", None),
    "eP-MED-DM_2024.01_PosoStruct.xml": ("57833-6", "42", "SA07", "AMBULATOIRE", "urn:ihe:pharm:pre:2010"),
}


def test_table_covers_every_kit_example(cda_kit: Path) -> None:
    assert sorted(EXPECTED) == sorted(p.name for p in (cda_kit / "ExemplesCDA").glob("*.xml"))


@pytest.mark.parametrize(("name", "expected"), sorted(EXPECTED.items()))
def test_kit_example_maps_to_the_reference_codes(
    cda_kit: Path, name: str, expected: tuple[str, str, str, str, str | None]
) -> None:
    type_code, class_code, facility, practice, format_code = expected
    entry = to_document_entry(read_header(cda_kit / "ExemplesCDA" / name))
    assert entry.type_code is not None
    assert entry.type_code.code == type_code
    assert entry.class_code is not None
    assert (entry.class_code.code, entry.class_code.code_system) == (class_code, "1.2.250.1.213.1.1.4.1")
    assert entry.healthcare_facility_type_code is not None
    assert (entry.healthcare_facility_type_code.code, entry.healthcare_facility_type_code.code_system) == (
        facility,
        "1.2.250.1.71.4.2.4",
    )
    assert entry.practice_setting_code is not None
    assert (entry.practice_setting_code.code, entry.practice_setting_code.code_system) == (
        practice,
        "1.2.250.1.213.1.1.4.9",
    )
    if format_code is None:
        assert entry.format_code is None
    else:
        assert entry.format_code is not None
        assert entry.format_code.code == format_code
        expected_system = "1.2.250.1.213.1.1.4.2.282" if format_code.startswith("urn:a") else "1.3.6.1.4.1.19376.1.2.3"
        assert entry.format_code.code_system == expected_system


def test_n1_kit_example_maps_every_field(cda_kit: Path) -> None:
    h = read_header(cda_kit / "ExemplesCDA" / "DOC_NON_STRUCTURE_CDA-R2-N1.xml")
    e = to_document_entry(h, hash="ab" * 20, size=448271, entry_uuid="Document01", confidentiality_extra=[MASQUE_PS])
    assert e.unique_id == "1.3.6.1.4.1.19376.1.2.20.12345.1.1"
    assert (e.hash, e.size, e.entry_uuid, e.mime_type) == ("ab" * 20, 448271, "Document01", "text/xml")
    assert e.title == "Compte rendu d'examens biologiques"
    assert e.language_code == "fr-FR"
    # 20210401134745+0100 → 12:47:45 UTC; 20210104134700+0100 → 12:47:00; 20210104135500+0100 → 12:55:00
    assert e.creation_time == datetime(2021, 4, 1, 12, 47, 45, tzinfo=UTC)
    assert e.service_start_time == datetime(2021, 1, 4, 12, 47, tzinfo=UTC)
    assert e.service_stop_time == datetime(2021, 1, 4, 12, 55, tzinfo=UTC)
    assert e.time_precisions == {}
    assert [c.code for c in e.confidentiality_codes] == ["N", "MASQUE_PS"]
    assert [c.code for c in e.event_codes] == ["18723-7"]
    assert e.patient_id == "279035121518989^^^&1.2.250.1.213.1.4.10&ISO^NH"
    assert e.source_patient_id == "1234567890121^^^&1.2.3.4.567.8.9.10&ISO^PI"
    info = e.source_patient_info
    assert info is not None
    assert info.to_slot_values() == [
        "PID-5|PAT-TROIS^DOMINIQUE^MARIE-LOUISE^^^^L",
        "PID-5|PAT-TROIS^DOMINIQUE^^^^^D",
        "PID-7|19790328",
        "PID-8|F",
    ]
    [author] = e.authors
    assert author.person is not None
    assert author.person.format() == "801234534765^CAMPARINI^Marcel^^^M^^^&1.2.250.1.71.4.2.1&ISO^D^^^IDNPS"
    assert [o.format() for o in author.institutions] == [
        "Laboratoire des charmes^^^^^&1.2.250.1.71.4.2.2&ISO^IDNST^^^1120459876"
    ]
    assert [s.code for s in author.specialties] == ["G15_10/SM03"]
    assert author.telecoms == ("^WPN^PH^^^^^^^^^0174589607",)
    assert e.legal_authenticator is not None
    assert e.legal_authenticator.format() == "807505123456^Camparini^Marcel^^^^^^&1.2.250.1.71.4.2.1&ISO^D^^^IDNPS"


def test_date_only_times_keep_their_precision(official_examples: Path) -> None:
    h = read_header(official_examples / "td2.1-document-me2.cda.xml")
    e = to_document_entry(h)
    assert e.service_start_time == datetime(2019, 2, 21, tzinfo=UTC)
    assert e.time_precisions == {"serviceStartTime": Precision.DAY}
    assert e.creation_time == datetime(2019, 2, 21, 12, 34, 45, tzinfo=UTC)
    assert e.format_code is not None
    assert e.format_code.code == "urn:ihe:iti:xds-sd:text:2008"
    # no INS traits (old header): PID-5 falls back to the unqualified name
    assert e.source_patient_info is not None
    assert (e.source_patient_info.birth_family_name, e.source_patient_info.birth_given_name) == (
        "patb-quatre",
        "LAURENCE",
    )
    assert e.source_patient_id == "0456789999^^^&1.2.250.1.999.1.1.7898.2&ISO^PI"


def test_function_code_becomes_the_author_role(cda_kit: Path) -> None:
    h = read_header(cda_kit / "ExemplesCDA" / "eDISP-MED_2024.01.xml")
    e = to_document_entry(h)
    assert len(e.authors) == len(h.authors) == 2
    for cda_author, xds_author in zip(h.authors, e.authors, strict=True):
        if cda_author.function_code is not None:
            assert xds_author.roles == (cda_author.function_code.display or cda_author.function_code.code,)
        else:
            assert xds_author.roles == ()


def test_built_documents_map_with_their_digests(ids: Callable[[], str]) -> None:
    built = build_n1(demo_header(), b"%PDF-1.4 tiny", ids=ids)
    e = to_document_entry(built.header, hash=built.sha1, size=built.size)
    assert e.unique_id == built.unique_id
    assert e.hash == built.sha1
    assert e.size == built.size
    assert e.format_code is not None
    assert e.format_code.code == PDF
    assert e.class_code is not None
    assert e.class_code.code == "10"
    assert e.creation_time == datetime(2024, 6, 12, 11, 54, 23, tzinfo=UTC)
    n3 = build_n3(demo_header(type_code="11490-0", title="LDL"), ldl_ses_body(demo_ldl_ses()), ids=ids)
    assert format_code_for_header(n3.header) == MODEL_FORMAT_CODES["1.2.250.1.213.1.1.1.29"]


def test_cda_id_with_extension_is_mapped_as_root_caret_extension() -> None:
    h = read_header(b'<ClinicalDocument xmlns="urn:hl7-org:v3"><id root="1.2.3" extension="42"/></ClinicalDocument>')
    e = to_document_entry(h)
    assert e.unique_id == "1.2.3^42"
    assert e.patient_id is None
    assert e.source_patient_info is None
    assert e.class_code is None


def test_unknown_model_has_no_format_code_unless_asked(cda_kit: Path) -> None:
    h = read_header(cda_kit / "ExemplesCDA" / "eDISP-MED_2024.01.xml")
    assert format_code_for_header(h) is None
    relaxed = format_code_for_header(h, strict_j60=False)
    assert relaxed == Code("urn:ihe:pharm:dis:2010", "1.3.6.1.4.1.19376.1.2.3", "Dispensation de médicaments")

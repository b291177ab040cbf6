"""The CDA reader: every kit example and the official N1 parse; header details; N1 payload extraction."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from dmpclient.cda import BodyKind, CdaHeader, extract_payload, extract_payload_to_file, load_cda, read_header
from dmpclient.errors import InputError, ProtocolError, XMLSecurityError

KIT_EXAMPLES = [
    "01_Modèles_contenus_CDA.xml",
    "BIO-CR-BIO_2021.01_CDA-R2-Niveau-1.xml",
    "BIO-CR-BIO_2024.01_CR-2nde-intention-PDF.xml",
    "BIO-CR-BIO_2024.01_Microbiologie_V2.xml",
    "BIO-CR-BIO_2024.01_TSH_1.xml",
    "BIO-TROD_2024.01_COVID-19.xml",
    "CNAM-HR_2021.01_sans-info.xml",
    "CSE-CS8_2024.01.xml",
    "CSE-MDE_2023.01.xml",
    "DOC_NON_STRUCTURE_CDA-R2-N1.xml",
    "IMG-DA-IMG_2024.01_Radiographie_ChevilleGenou.xml",
    "IMG_CR_IMG_2024.01.xml",
    "IMG_CR_IMG_2024.01_CDA-R2-Niveau-1.xml",
    "IPS-FR_2024.01.xml",
    "LDL-EES_2022.01.xml",
    "LDL-SES_2022.01.xml",
    "OBP-SNE_2024.01.xml",
    "SDM-MR_2024.01_nouveau-ne.xml",
    "TLM-CR_2022.01.xml",
    "TLM-DA_2022.01_TCG.xml",
    "VAC-NOTE_2023.01.xml",
    "VAC_2023.01.xml",
    "VSM_1.4_2022.01.xml",
    "eDISP-MED_2024.01.xml",
    "eP-MED-DM_2024.01_PosoStruct.xml",
]
BAD_INS_KEY = {"CSE-CS8_2024.01.xml", "CSE-MDE_2023.01.xml", "OBP-SNE_2024.01.xml", "SDM-MR_2024.01_nouveau-ne.xml"}
N1_EXAMPLES = {
    "BIO-CR-BIO_2021.01_CDA-R2-Niveau-1.xml",
    "DOC_NON_STRUCTURE_CDA-R2-N1.xml",
    "IMG_CR_IMG_2024.01_CDA-R2-Niveau-1.xml",
    "TLM-CR_2022.01.xml",
}


def test_the_kit_has_the_25_examples(cda_kit: Path) -> None:
    assert sorted(p.name for p in (cda_kit / "ExemplesCDA").glob("*.xml")) == sorted(KIT_EXAMPLES)


@pytest.mark.parametrize("name", KIT_EXAMPLES)
def test_every_kit_example_header_parses(cda_kit: Path, name: str) -> None:
    h = read_header(cda_kit / "ExemplesCDA" / name)
    assert h.realm_code == "FR"
    assert h.template_ids[:2] == ("2.16.840.1.113883.2.8.2.1", "1.2.250.1.213.1.1.1.1") or (
        "1.2.250.1.213.1.1.1.1" in h.template_ids
    )
    assert h.id.root
    assert h.code is not None
    assert h.title
    assert h.effective_time
    assert h.effective_time[:4].isdigit()
    assert h.confidentiality is not None
    assert h.confidentiality.code == "N"
    assert h.language == "fr-FR"
    assert h.set_id is not None
    assert h.version is not None
    assert h.version >= 1
    assert h.patient.ins_id is not None
    # four newborn/child examples carry made-up matricules whose key is wrong: the reader keeps the id and
    # reports no INS value object (a validator flags it)
    assert (h.patient.ins is None) == (name in BAD_INS_KEY)
    assert h.patient.birth_family_name
    assert h.patient.first_birth_given_name
    assert h.patient.sex in ("F", "M", "U")
    assert h.patient.birth_time
    assert h.authors
    assert all(a.time for a in h.authors)
    assert h.custodian is not None
    assert h.custodian.idnat
    assert h.legal_authenticator is not None
    assert h.legal_authenticator.signature_code == "S"
    assert h.service_event is not None
    assert len(h.service_event.performers) == 1
    assert h.encounter is not None
    assert h.encounter.facility_code is not None
    expected_kind = BodyKind.N1 if name in N1_EXAMPLES else BodyKind.N3
    assert h.body.kind is expected_kind
    if expected_kind is BodyKind.N1:
        assert h.body.media_type == "application/pdf"
        assert h.template_ids[-1] == "1.3.6.1.4.1.19376.1.2.20"
    else:
        assert h.body.section_count > 0


def test_n1_kit_example_header_in_detail(cda_kit: Path) -> None:
    h = read_header(cda_kit / "ExemplesCDA" / "DOC_NON_STRUCTURE_CDA-R2-N1.xml")
    assert h.template_ids == ("2.16.840.1.113883.2.8.2.1", "1.2.250.1.213.1.1.1.1", "1.3.6.1.4.1.19376.1.2.20")
    assert h.unique_id == "1.3.6.1.4.1.19376.1.2.20.12345.1.1"
    assert (h.code.code, h.code.code_system) == ("11502-2", "2.16.840.1.113883.6.1")  # type: ignore[union-attr]
    assert h.title == "Compte rendu d'examens biologiques"
    assert h.effective_time == "20210401134745+0100"
    assert h.set_id is not None
    assert h.set_id.root == "1.3.6.1.4.1.19376.1.2.20.12345.1"
    p = h.patient
    assert [str(i) for i in p.ids] == ["279035121518989@1.2.250.1.213.1.4.10", "1234567890121@1.2.3.4.567.8.9.10"]
    assert (p.birth_family_name, p.first_birth_given_name) == ("PAT-TROIS", "DOMINIQUE")
    assert p.birth_given_names == ("DOMINIQUE", "MARIE-LOUISE")
    assert (p.used_family_name, p.used_given_name) == ("PAT-TROIS", "DOMINIQUE")
    assert (p.sex, p.birth_time, p.birthplace_code, p.birthplace_city) == ("F", "19790328", "51215", "DOMPREMY")
    [author] = h.authors
    assert author.time == "20210104160527+0100"
    assert author.person is not None
    assert author.person.idnat == "801234534765"
    assert author.person.code is not None
    assert author.person.code.code == "G15_10/SM03"
    assert author.person.name is not None
    assert author.person.name.family == ("CAMPARINI",)
    assert author.organization is not None
    assert author.organization.name == "Laboratoire des charmes"
    assert h.legal_authenticator is not None
    assert h.legal_authenticator.person is not None
    assert h.legal_authenticator.person.idnat == "807505123456"
    event = h.service_event
    assert event is not None
    assert (event.low, event.high) == ("20210104134700+0100", "20210104135500+0100")
    assert event.code is not None
    assert event.code.code == "18723-7"
    assert event.practice_setting is not None
    assert event.practice_setting.code == "AMBULATOIRE"
    assert h.encounter is not None
    assert h.encounter.low == "20200701134745"
    assert h.encounter.facility_code is not None
    assert h.encounter.facility_code.code == "SA07"
    assert h.related_documents == ()


def test_replacement_examples_expose_the_replaced_document(cda_kit: Path) -> None:
    h = read_header(cda_kit / "ExemplesCDA" / "IMG_CR_IMG_2024.01_CDA-R2-Niveau-1.xml")
    assert h.version == 2
    [related] = h.related_documents
    assert related.type_code == "RPLC"
    assert h.replaced_id is not None
    assert h.replaced_id == related.parent_ids[0].root


def test_official_td21_document_parses_despite_its_old_header(official_examples: Path) -> None:
    h = read_header(official_examples / "td2.1-document-me2.cda.xml")  # starts with a BOM
    assert h.unique_id == "1.2.250.1.999.1.1.7898.4.9956570902"
    assert h.body.kind is BodyKind.N1
    assert h.body.media_type == "text/plain"
    assert h.set_id is None
    assert h.version is None
    p = h.patient
    assert p.birth_family_name is None  # no BR qualifier (family qualifier="SP")
    assert p.display_name == "patb-quatre LAURENCE"
    assert h.service_event is not None
    assert h.service_event.performers == ()
    assert h.authors[0].person is not None
    assert h.authors[0].person.code is None


@pytest.mark.parametrize("name", sorted(N1_EXAMPLES))
def test_n1_payload_of_kit_examples_is_a_pdf(cda_kit: Path, name: str, tmp_path: Path) -> None:
    path = cda_kit / "ExemplesCDA" / name
    payload = extract_payload(path)
    assert payload.media_type == "application/pdf"
    assert payload.data.startswith(b"%PDF-")
    assert payload.data.rstrip().endswith(b"%%EOF")
    media, size = extract_payload_to_file(path, tmp_path / "out.pdf")
    assert (media, size) == ("application/pdf", payload.size)
    assert hashlib.sha1((tmp_path / "out.pdf").read_bytes()).digest() == hashlib.sha1(payload.data).digest()


def test_text_payload_of_the_official_example(official_examples: Path) -> None:
    payload = extract_payload(official_examples / "td2.1-document-me2.cda.xml")
    assert payload.media_type == "text/plain"
    assert payload.data.startswith(b"<?xml")


def test_payload_of_a_structured_document_is_refused(cda_kit: Path) -> None:
    with pytest.raises(InputError, match="not an N1"):
        extract_payload(cda_kit / "ExemplesCDA" / "VSM_1.4_2022.01.xml")


def test_invalid_base64_is_reported() -> None:
    doc = (
        b'<ClinicalDocument xmlns="urn:hl7-org:v3"><id root="1.2.3"/><component><nonXMLBody>'
        b'<text mediaType="text/plain" representation="B64">AB$D</text></nonXMLBody></component></ClinicalDocument>'
    )
    with pytest.raises(InputError, match="base64"):
        extract_payload(doc)


def test_not_a_cda_is_refused() -> None:
    with pytest.raises(ProtocolError, match="not a CDA"):
        read_header(b"<foo/>")


def test_doctype_is_refused_by_the_hardened_parser() -> None:
    with pytest.raises(XMLSecurityError):
        read_header(b'<!DOCTYPE x [<!ENTITY a "b">]><ClinicalDocument xmlns="urn:hl7-org:v3"/>')


def test_header_of_a_minimal_document_is_lenient() -> None:
    h = read_header(b'<ClinicalDocument xmlns="urn:hl7-org:v3"><id root="1.2.3" extension="X"/></ClinicalDocument>')
    assert isinstance(h, CdaHeader)
    assert h.unique_id == "1.2.3^X"
    assert h.body.kind is BodyKind.NONE
    assert h.patient.ins is None


def test_load_cda_accepts_an_element(cda_kit: Path) -> None:
    root = load_cda(cda_kit / "ExemplesCDA" / "VSM_1.4_2022.01.xml")
    assert load_cda(root) is root

"""The factories of ``dmpclient.testing.factories``: valid test identifiers, contexts and N1 documents."""

from __future__ import annotations

import datetime as dt

import pytest

from dmpclient.cda import sample_pdf_path
from dmpclient.cda.reader import extract_payload
from dmpclient.context import AccessMode, AuthenticationMode
from dmpclient.errors import InputError, InvalidIdentifier
from dmpclient.ids import INS, InsOid, ProfessionalId, ProfessionalIdType, StructureId, luhn_is_valid
from dmpclient.security import TestPki
from dmpclient.terminology import MASQUE_PS
from dmpclient.testing import cached_test_pki
from dmpclient.testing.factories import (
    make_cda_patient,
    make_context,
    make_document,
    make_professional,
    make_structure,
    random_birth_date,
    random_ins,
    random_rpps,
)


@pytest.fixture(scope="module")
def pki() -> TestPki:
    return cached_test_pki()


def test_random_ins_is_valid_and_carries_sex_and_birth_month() -> None:
    ins = random_ins(sex="M", birth_date=dt.date(1975, 11, 3))
    assert INS.parse(ins.matricule, ins.oid) == ins  # key checked by INS
    assert ins.matricule.startswith("17511")
    assert ins.oid is InsOid.TEST
    assert random_ins(sex="F").sex_digit == "2"
    assert random_ins(sex="U").sex_digit in ("1", "2")


def test_random_ins_draws_differ_and_keep_the_requested_oid_and_department() -> None:
    draws = {random_ins().matricule for _ in range(200)}
    assert len(draws) == 200
    corsican = random_ins(department="2B", oid=InsOid.DEMONSTRATION)
    assert corsican.matricule[5:7] == "2B"
    assert corsican.oid is InsOid.DEMONSTRATION


@pytest.mark.parametrize(("options", "field"), [({"sex": "X"}, "sex"), ({"department": "750"}, "department")])
def test_random_ins_refuses_bad_input(options: dict[str, str], field: str) -> None:
    with pytest.raises(InputError) as refused:
        random_ins(**options)
    assert refused.value.field == field


def test_random_birth_dates_are_adults_unless_asked() -> None:
    today = dt.date(2025, 6, 15)
    for _ in range(100):
        born = random_birth_date(today=today)
        age = today.year - born.year - ((today.month, today.day) < (born.month, born.day))
        assert 25 <= age <= 85
    leap = random_birth_date(today=dt.date(2024, 2, 29))  # 29 February has no twin in most years
    assert dt.date(1938, 3, 1) <= leap <= dt.date(1999, 2, 28)
    child = random_birth_date(min_age=5, max_age=10, today=today)
    assert dt.date(2014, 6, 15) < child <= dt.date(2020, 6, 15)
    with pytest.raises(InputError):
        random_birth_date(min_age=30, max_age=20)


def test_random_rpps_passes_luhn_and_is_in_the_test_range() -> None:
    for _ in range(50):
        number = random_rpps()
        assert len(number) == 11
        assert number.startswith("9990")
        assert luhn_is_valid(number)
    assert not luhn_is_valid(number[:-1] + str((int(number[-1]) + 1) % 10))


def test_make_professional_is_a_physician_with_an_rpps_idnat_by_default() -> None:
    professional = make_professional(family="MARTIN", given="LEA")
    assert professional.id.id_type is ProfessionalIdType.RPPS
    assert ProfessionalId.parse(str(professional.id)) == professional.id
    assert (professional.family_name, professional.given_name) == ("MARTIN", "LEA")
    assert professional.is_physician
    assert professional.specialty is not None
    nurse = make_professional(profession="60", profession_display="Infirmier", specialty=None)
    assert not nurse.is_physician
    assert nurse.specialty is None
    assert make_professional(rpps="99900063480").id.value == "899900063480"
    with pytest.raises(InvalidIdentifier):
        make_professional(rpps="99900063481")  # bad Luhn digit


def test_make_structure_cabinet_and_etablissement() -> None:
    cabinet = make_structure("CABINET MARTIN")
    assert cabinet.name == "CABINET MARTIN"
    assert cabinet.id.idnat.startswith("4")
    assert cabinet.id.idnat.endswith("001")
    assert StructureId.parse(cabinet.id.idnat) == cabinet.id
    assert cabinet.secteur_activite.code == "SA07"
    hospital = make_structure(kind="etablissement")
    assert hospital.id.idnat.startswith("10B")
    assert hospital.legal_entity is not None
    assert hospital.legal_entity.idnat.startswith("11B")
    assert hospital.cadre_exercice is not None
    assert hospital.cadre_exercice.code == "ETABLISSEMENT"
    assert make_structure(kind="etablissement", secteur_activite="SA03").secteur_activite.code == "SA03"
    with pytest.raises(InputError) as refused:
        make_structure(kind="pharmacie")
    assert refused.value.field == "kind"


def test_make_context_follows_the_pki_and_accepts_overrides(pki: TestPki) -> None:
    direct = make_context(pki)
    assert direct.authentication_mode is AuthenticationMode.DIRECTE
    assert str(direct.professional.id) == "8" + pki.identities.professional_id[1:]
    indirect = make_context(pki, "INDIRECTE", professional=make_professional(family="NOUVEAU"))
    assert indirect.professional.family_name == "NOUVEAU"
    assert indirect.structure.id.idnat == pki.identities.eg_id
    emergency = make_context(pki, access_mode="bris_de_glace")
    assert emergency.access_mode is AccessMode.BRIS_DE_GLACE
    assert emergency.access_reason
    secret = make_context(pki, secret_connection=True)
    assert secret.secret_connection


def test_make_cda_patient_derives_sex_and_birth_from_the_ins() -> None:
    ins = INS.parse("279035121518989")
    patient = make_cda_patient(ins, family="PAT-TROIS")
    assert (patient.sex, patient.birth_date, patient.birth_given_names) == ("F", dt.date(1979, 3, 1), ("CAMILLE",))
    explicit = make_cda_patient(ins, given="ANNE MARIE", sex="F", birth_date=dt.date(1979, 3, 28))
    assert explicit.birth_given_names == ("ANNE", "MARIE")


def test_make_document_text_pdf_and_default_bodies(pki: TestPki) -> None:
    context = make_context(pki)
    patient = make_cda_patient(random_ins())
    text = make_document(context, patient, text="Examen normal.")
    assert text.source.media_type == "text/plain"
    assert extract_payload(text.content).data == b"Examen normal."
    pdf = make_document(context, patient, pdf=sample_pdf_path())
    assert extract_payload(pdf.content).data == sample_pdf_path().read_bytes()
    first, second = make_document(context, patient), make_document(context, patient)
    assert first.source.media_type == "application/pdf"
    assert extract_payload(first.content).data != extract_payload(second.content).data
    assert first.source.unique_id != second.source.unique_id


def test_make_document_metadata_comes_from_the_context(pki: TestPki) -> None:
    context = make_context(pki, "INDIRECTE")
    patient = make_cda_patient(random_ins())
    when = dt.datetime(2024, 2, 1, 9, 30, tzinfo=dt.UTC)
    document = make_document(
        context, patient, title="Lettre", type_code="11490-0", confidentiality=["MASQUE_PS"], when=when
    )
    entry = document.metadata()
    assert entry.title == "Lettre"
    assert entry.type_code.code == "11490-0"
    assert entry.creation_time == when
    assert MASQUE_PS.code in [c.code for c in entry.confidentiality_codes]
    assert entry.authors[0].institutions[0].id == context.structure.id.idnat
    assert entry.ins == patient.ins


def test_make_document_replacement_keeps_the_set_id_and_bumps_the_version(pki: TestPki) -> None:
    context = make_context(pki)
    patient = make_cda_patient(random_ins())
    first = make_document(context, patient)
    second = make_document(context, patient, replaces=first)
    assert first.header is not None
    assert second.header is not None
    assert second.header.set_id == first.header.set_id
    assert second.header.version == 2
    (related,) = second.header.related_documents
    assert related.type_code == "RPLC"
    assert [i.root for i in related.parent_ids] == [first.source.unique_id]
    third = make_document(context, patient, replaces=second.source)
    assert third.header is not None
    assert third.header.version == 3


@pytest.mark.parametrize(
    ("options", "field"),
    [
        ({"text": "x", "pdf": b"%PDF"}, "text"),
        ({"confidentiality": ["SECRET"]}, "confidentiality"),
        ({"when": dt.datetime(2024, 1, 1)}, "when"),
    ],
)
def test_make_document_refuses_bad_input(pki: TestPki, options: dict[str, object], field: str) -> None:
    with pytest.raises(InputError) as refused:
        make_document(make_context(pki), make_cda_patient(random_ins()), **options)  # type: ignore[arg-type]
    assert refused.value.field == field

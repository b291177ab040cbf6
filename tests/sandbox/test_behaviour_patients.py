"""DMP behaviour of the patient and authorisation services: TD0.2, TD1.3a, TD0.3, TD0.4, TD0.5, TD1.6.

Every check is shown twice: the sandbox refuses the faulty request with the DMP's code and message, and accepts
the corrected one.
"""

from __future__ import annotations

import copy
import datetime as dt

import pytest
from behaviour_support import (
    BLOCH,
    CONTESTE,
    DESMAUX,
    EXPIRE,
    FERMETURE,
    HOPITAL,
    MACHEPRO,
    MAXIMOP,
    PAT_TROIS,
    PATB4,
    VUN_UN,
    Harness,
    error_of,
    professional,
)

from dmpclient._xml import q
from dmpclient.context import AccessMode, AuthenticationMode, CardType
from dmpclient.errors import DMPStatusError, HL7AcknowledgementError
from dmpclient.ids import INS
from dmpclient.soap import SoapRequest
from dmpclient.transactions import habilitations as th
from dmpclient.transactions import patients as tp
from dmpclient.transactions import patients_specific as tl
from dmpclient.transactions import pdq


def _with_body_ins(request: SoapRequest, ins: INS) -> SoapRequest:
    """The same TD0.2/TD1.3a request naming another patient in the body (the VIHF is untouched)."""
    envelope = copy.deepcopy(request.envelope)
    value = next(envelope.iter(q("hl7", "patientIdentifier"))).find(q("hl7", "value"))
    assert value is not None
    value.set("extension", ins.matricule)
    value.set("root", ins.oid.value)
    return SoapRequest(request.service, request.action, envelope, transaction=request.transaction)


# ----------------------------------------------------------------------------------------------- TD0.2


def test_td02_patient_without_dmp_answers_nf_not_an_error(h: Harness) -> None:
    nf = tp.parse_test_existence_response(h.call(tp.build_test_existence_request(h.ctx(), CONTESTE)).ok_message)
    ok = tp.parse_test_existence_response(h.call(tp.build_test_existence_request(h.ctx(), PAT_TROIS)).ok_message)
    assert (nf.exists, nf.query_response_code) == (False, "NF")
    assert (ok.exists, ok.query_response_code, ok.patient_status) == (True, "OK", "active")


def test_td02_closed_dmp_is_terminated_with_date_and_motif(h: Harness) -> None:
    closed = tp.parse_test_existence_response(h.call(tp.build_test_existence_request(h.ctx(), MAXIMOP)).ok_message)
    assert closed.closed
    assert closed.patient_status == "terminated"
    assert closed.closing is not None
    assert closed.closing.reason_text == "Je ne veux plus de DMP"
    assert closed.closing.closed_on is not None
    assert closed.closing.closed_on.startswith("20230301")
    h.admin.set_patient_state(MAXIMOP.matricule, dmp_state="active")
    reopened = tp.parse_test_existence_response(h.call(tp.build_test_existence_request(h.ctx(), MAXIMOP)).ok_message)
    assert not reopened.closed
    assert reopened.closing is None


@pytest.mark.parametrize(
    ("patient", "expected", "mt"),
    [(PATB4, "VALIDE", True), (BLOCH, "INTERDIT", False), (EXPIRE, "EXPIRE", False), (PAT_TROIS, "NON_EXISTE", False)],
)
def test_td02_authorisation_and_statut_mt_per_caller(h: Harness, patient: INS, expected: str, mt: bool) -> None:
    result = tp.parse_test_existence_response(h.call(tp.build_test_existence_request(h.ctx(), patient)).ok_message)
    assert result.authorization == expected
    assert result.treating_physician is mt
    # another professional sees their own authorisation, not Dr LIBRE's
    other = h.ctx(who=professional(MACHEPRO))
    theirs = tp.parse_test_existence_response(h.call(tp.build_test_existence_request(other, patient)).ok_message)
    assert theirs.treating_physician is False
    assert theirs.authorization == ("VALIDE" if patient in (PATB4, BLOCH) else "NON_EXISTE")


def test_td02_observations_ens_and_internet_account(h: Harness) -> None:
    h.admin.set_patient_state(PAT_TROIS.matricule, ens_attached=False)
    result = tp.parse_test_existence_response(h.call(tp.build_test_existence_request(h.ctx(), PAT_TROIS)).ok_message)
    assert result.attached_to_ens is False
    assert result.internet_account_open is True
    h.admin.set_patient_state(PAT_TROIS.matricule, ens_attached=True)
    result = tp.parse_test_existence_response(h.call(tp.build_test_existence_request(h.ctx(), PAT_TROIS)).ok_message)
    assert result.attached_to_ens is True


def test_td02_body_ins_must_be_the_vihf_resource_id(h: Harness) -> None:
    good = tp.build_test_existence_request(h.ctx(), PATB4)
    refused = error_of(tp.parse_test_existence_response, h.call(_with_body_ins(good, PAT_TROIS)).ok_message)
    assert isinstance(refused, HL7AcknowledgementError)
    assert refused.code == "DMPInvalidResourceId"
    assert refused.message_fr is not None
    assert refused.message_fr.startswith("Le champ Resource_id est incorrect")
    assert tp.parse_test_existence_response(h.call(good).ok_message).exists


def test_td02_demonstration_oid_is_a_different_patient(h: Harness) -> None:
    on_demo = tp.parse_test_existence_response(h.call(tp.build_test_existence_request(h.ctx(), DESMAUX)).ok_message)
    on_test = tp.parse_test_existence_response(
        h.call(tp.build_test_existence_request(h.ctx(), INS.parse(DESMAUX.matricule))).ok_message
    )
    assert on_demo.exists
    assert on_demo.ins == DESMAUX
    assert not on_test.exists


def test_td02_every_call_is_in_the_access_log(h: Harness) -> None:
    h.call(tp.build_test_existence_request(h.ctx(), CONTESTE))
    h.call(_with_body_ins(tp.build_test_existence_request(h.ctx(), PATB4), PAT_TROIS))
    log = h.admin.list_logs(transaction="TD0.2")
    assert [(r["patient"], r["outcome"]) for r in log] == [(CONTESTE.matricule, "ok"), (PATB4.matricule, "refused")]
    assert log[1]["code"] == "DMPInvalidResourceId"
    assert log[1]["check"] == "patient.resource-id"


# ---------------------------------------------------------------------------------------------- TD1.3a


def test_td13a_oppositions_deceased_and_nf(h: Harness) -> None:
    data = tp.parse_administrative_data_response(
        h.call(tp.build_administrative_data_request(h.ctx(), VUN_UN)).ok_message
    )
    assert data.opposition_acces_urgence is True
    assert data.opposition_bris_de_glace is False
    assert data.deceased is False
    h.admin.set_patient_state(VUN_UN.matricule, opposition_centre_15=False, deceased_on="2026-01-02")
    data = tp.parse_administrative_data_response(
        h.call(tp.build_administrative_data_request(h.ctx(), VUN_UN)).ok_message
    )
    assert data.opposition_acces_urgence is False
    assert data.deceased is True
    nf = tp.parse_administrative_data_response(
        h.call(tp.build_administrative_data_request(h.ctx(), CONTESTE)).ok_message
    )
    assert not nf.exists


# ----------------------------------------------------------------------------------------------- TD0.3


def test_td03_add_then_already_present(h: Harness) -> None:
    first = th.parse_set_authorization_response(
        h.call(th.build_set_authorization_request(h.ctx(), PAT_TROIS)).ok_message
    )
    again = th.parse_set_authorization_response(
        h.call(th.build_set_authorization_request(h.ctx(), PAT_TROIS)).ok_message
    )
    assert first.status == "DMPOk"
    assert first.context != again.context
    assert again.context == "Autorisation déjà présente aucune action effectuée"
    assert h.admin.list_authorizations(PAT_TROIS.matricule)[0]["status"] == "VALIDE"


def test_td03_renews_an_expired_authorisation(h: Harness) -> None:
    h.call(th.build_set_authorization_request(h.ctx(), EXPIRE))
    result = tp.parse_test_existence_response(h.call(tp.build_test_existence_request(h.ctx(), EXPIRE)).ok_message)
    assert result.authorization == "VALIDE"


def test_td03_blocked_professional_cannot_authorise_himself(h: Harness) -> None:
    refused = error_of(
        th.parse_set_authorization_response, h.call(th.build_set_authorization_request(h.ctx(), BLOCH)).ok_message
    )
    assert isinstance(refused, DMPStatusError)
    assert refused.code == "DMPAccessForbidden"
    h.admin.set_authorization(BLOCH.matricule, "899900063480", None)  # the patient lifts the block
    assert (
        th.parse_set_authorization_response(
            h.call(th.build_set_authorization_request(h.ctx(), BLOCH)).ok_message
        ).status
        == "DMPOk"
    )


@pytest.mark.parametrize(
    ("mode", "access"),
    [
        (AuthenticationMode.INDIRECTE, AccessMode.NORMAL),
        (AuthenticationMode.DIRECTE, AccessMode.BRIS_DE_GLACE),
        (AuthenticationMode.DIRECTE, AccessMode.CENTRE_15),
    ],
)
def test_td03_refused_in_indirect_mode_bris_de_glace_and_regulation(
    h: Harness, mode: AuthenticationMode, access: AccessMode
) -> None:
    ctx = h.ctx(
        mode=mode, access=access, who=professional(card=None) if mode is not AuthenticationMode.DIRECTE else None
    )
    refused = error_of(
        th.parse_set_authorization_response, h.call(th.build_set_authorization_request(ctx, PAT_TROIS)).ok_message
    )
    assert refused.code == "DMPAccessDeniedByRightsService"
    assert refused.message_fr is not None
    assert "Se déclarer autorisé" in refused.message_fr
    assert h.admin.list_authorizations(PAT_TROIS.matricule) == []
    ok = h.call(th.build_set_authorization_request(h.ctx(), PAT_TROIS)).ok_message
    assert th.parse_set_authorization_response(ok).status == "DMPOk"


def test_td03_only_the_mt_removes_the_mt_role(h: Harness) -> None:
    other = h.ctx(who=professional(MACHEPRO))
    refused = error_of(
        th.parse_set_authorization_response,
        h.call(th.build_set_authorization_request(other, PATB4, "SUPPRESSION", "MEDECIN_TRAITANT")).ok_message,
    )
    assert refused.code == "DMPAccessDeniedByRightsService"
    done = th.parse_set_authorization_response(
        h.call(th.build_set_authorization_request(h.ctx(), PATB4, "SUPPRESSION", "MEDECIN_TRAITANT")).ok_message
    )
    assert done.status == "DMPOk"
    assert [
        a["mt"] for a in h.admin.list_authorizations(PATB4.matricule) if a["professional_id"] == "899900063480"
    ] == [False]


def test_td03_suppression_removes_the_authorisation(h: Harness) -> None:
    nothing = th.parse_set_authorization_response(
        h.call(th.build_set_authorization_request(h.ctx(), PAT_TROIS, "SUPPRESSION")).ok_message
    )
    assert nothing.context == "Aucune autorisation présente aucune action effectuée"
    h.call(th.build_set_authorization_request(h.ctx(), PAT_TROIS))
    removed = th.parse_set_authorization_response(
        h.call(th.build_set_authorization_request(h.ctx(), PAT_TROIS, "SUPPRESSION")).ok_message
    )
    assert removed.status == "DMPOk"
    assert h.admin.list_authorizations(PAT_TROIS.matricule) == []


def test_td03_on_a_closed_dmp_is_refused(h: Harness) -> None:
    refused = error_of(
        th.parse_set_authorization_response, h.call(th.build_set_authorization_request(h.ctx(), FERMETURE)).ok_message
    )
    assert refused.code == "DMPClosed"


# ----------------------------------------------------------------------------------------------- TD1.6


def test_td16_lists_active_and_blocked_professionals(h: Harness) -> None:
    every = th.parse_list_authorizations_response(
        h.call(th.build_list_authorizations_request(h.ctx(who=professional(MACHEPRO)), BLOCH, "TOUTE")).ok_message
    )
    assert {(i.national_id, i.mode) for i in every} == {("899900063480", "INTERDITE"), ("899900062490", "ACTIVE")}
    active = th.parse_list_authorizations_response(
        h.call(th.build_list_authorizations_request(h.ctx(), PATB4, "ACTIVE")).ok_message
    )
    mt = next(i for i in active if i.national_id == "899900063480")
    assert mt.is_treating_physician
    assert mt.speciality_codes == ("G15_10/SM26",)
    other = next(i for i in active if i.national_id == "899900062490")
    assert (other.last_name, other.first_name) == ("MACHEPRO", "ULYSSE")


def test_td16_refused_in_bris_de_glace(h: Harness) -> None:
    ctx = h.ctx(access=AccessMode.BRIS_DE_GLACE)
    refused = error_of(
        th.parse_list_authorizations_response, h.call(th.build_list_authorizations_request(ctx, PATB4)).ok_message
    )
    assert refused.code == "DMPAccessDeniedByRightsService"
    assert len(
        th.parse_list_authorizations_response(h.call(th.build_list_authorizations_request(h.ctx(), PATB4)).ok_message)
    )


# ----------------------------------------------------------------------------------------------- TD0.4


def test_td04_lastautorization_since_a_date(h: Harness) -> None:
    before = tl.parse_patient_list_response(
        h.call(tl.build_patient_list_request(h.ctx(), "20230101", "LASTAUTORIZATION")).ok_message
    )
    assert PATB4.matricule in {i.ins.extension for i in before if i.ins}
    assert BLOCH.matricule not in {i.ins.extension for i in before if i.ins}  # INTERDIT is not an authorisation
    h.call(th.build_set_authorization_request(h.ctx(), PAT_TROIS))
    since_now = tl.parse_patient_list_response(
        h.call(tl.build_patient_list_request(h.ctx(), h.clock.now() - dt.timedelta(minutes=1))).ok_message
    )
    assert [i.ins.extension for i in since_now if i.ins] == [PAT_TROIS.matricule]


def test_td04_lastdoc_and_mt_flag(h: Harness) -> None:
    items = tl.parse_patient_list_response(
        h.call(tl.build_patient_list_request(h.ctx(), "20240301", "LASTDOC")).ok_message
    )
    by_ins = {i.ins.extension: i for i in items if i.ins}
    assert PATB4.matricule in by_ins
    assert by_ins[PATB4.matricule].treating_physician
    assert "116095280720767" in by_ins  # ALOT has a document of 2025
    later = tl.parse_patient_list_response(
        h.call(tl.build_patient_list_request(h.ctx(), "20250601", "LASTDOC")).ok_message
    )
    assert PATB4.matricule not in {i.ins.extension for i in later if i.ins}


def test_td04_refused_to_an_establishment_certificate_in_regulation(h: Harness) -> None:
    ctx = h.ctx(mode=AuthenticationMode.INDIRECTE, access=AccessMode.CENTRE_15, who=professional(card=None))
    refused = error_of(
        tl.parse_patient_list_response, h.call(tl.build_patient_list_request(ctx, "20240101")).ok_message
    )
    assert refused.code == "DMPAccessDeniedByRightsService"
    normal = h.ctx(mode=AuthenticationMode.INDIRECTE, who=professional(card=None), structure=HOPITAL)
    assert (
        tl.parse_patient_list_response(h.call(tl.build_patient_list_request(normal, "20240101")).ok_message).status
        == "DMPOk"
    )


# ----------------------------------------------------------------------------------------------- TD0.5


def test_td05_only_in_regulation_mode(h: Harness) -> None:
    search = pdq.PatientSearch(family="PAT-VUN")
    refused = error_of(
        pdq.parse_patient_search_response, h.call(pdq.build_patient_search_request(h.ctx(), search)).ok_message
    )
    assert isinstance(refused, HL7AcknowledgementError)
    assert refused.code == "DMPAccessDeniedByRightsService"
    result = pdq.parse_patient_search_response(
        h.call(pdq.build_patient_search_request(h.ctx(access=AccessMode.CENTRE_15), search)).ok_message
    )
    by_ins = {c.ins.extension: c for c in result if c.ins}
    assert set(by_ins) == {"199033022011538", "116083022011613"}
    assert by_ins["199033022011538"].opposition_acces_urgence is True


def test_td05_by_birth_date_and_sex_and_not_found(h: Harness) -> None:
    c15 = h.ctx(access=AccessMode.CENTRE_15)
    found = pdq.parse_patient_search_response(
        h.call(
            pdq.build_patient_search_request(
                c15, pdq.PatientSearch(family="DUCHAMPS", birth_date="19040128", gender="F")
            )
        ).ok_message
    )
    assert [c.ins.extension for c in found if c.ins] == ["104016331311312"]
    none = pdq.parse_patient_search_response(
        h.call(pdq.build_patient_search_request(c15, pdq.PatientSearch(family="DUCHAMPS", gender="M"))).ok_message
    )
    assert len(none) == 0
    assert none.query_response_code == "NF"


def test_td05_too_many_results_answers_ae(h: Harness) -> None:
    c15 = h.ctx(access=AccessMode.CENTRE_15)
    refused = error_of(
        pdq.parse_patient_search_response,
        h.call(pdq.build_patient_search_request(c15, pdq.PatientSearch(gender="M"))).ok_message,
    )
    assert isinstance(refused, pdq.TooManyResults)
    h.admin.set_parameters(td05_max_results=500)
    many = pdq.parse_patient_search_response(
        h.call(pdq.build_patient_search_request(c15, pdq.PatientSearch(gender="M"))).ok_message
    )
    assert len(many) > 20


def test_td05_cpe_card_is_refused_even_in_regulation(h: Harness) -> None:
    cpe = professional(
        ("499900063480001/CPE0001", "SECRETAIRE", "ANNE"),
        profession="SECRETARIAT_MEDICAL",
        specialty=None,
        card=CardType.CPE,
    )
    ctx = h.ctx(who=cpe, access=AccessMode.CENTRE_15)
    refused = error_of(
        pdq.parse_patient_search_response,
        h.call(pdq.build_patient_search_request(ctx, pdq.PatientSearch(family="DUCHAMPS"))).ok_message,
    )
    assert refused.code == "DMPAccessDeniedByRightsService"


def test_td04_cpe_sees_the_authorisations_of_its_structure(h: Harness) -> None:
    cpe = h.ctx(
        who=professional(
            ("499900063480001/CPE0001", "SECRETAIRE", "ANNE"),
            profession="SECRETARIAT_MEDICAL",
            specialty=None,
            card=CardType.CPE,
        )
    )
    items = tl.parse_patient_list_response(h.call(tl.build_patient_list_request(cpe, "20230101")).ok_message)
    found = {i.ins.extension for i in items if i.ins}
    assert PATB4.matricule in found  # Dr LIBRE's authorisation, same cabinet (note 2)
    other_structure = h.ctx(
        who=professional(
            ("499900099997001/CPE0002", "SECRETAIRE", "LEA"),
            profession="SECRETARIAT_MEDICAL",
            specialty=None,
            card=CardType.CPE,
        ),
        structure=HOPITAL,
    )
    alone = tl.parse_patient_list_response(
        h.call(tl.build_patient_list_request(other_structure, "20230101")).ok_message
    )
    assert len(alone) == 0

"""Patient-level transactions end to end: TD0.2, TD1.3a, TD0.3 / TD1.6, TD0.4, TD0.5, TD0.9 URLs.

Every test runs in-process and over mutual TLS, with the sync and the async client (see conftest.py).
"""

from __future__ import annotations

import datetime as dt

import pytest

from dmpclient.context import AccessMode
from dmpclient.errors import NIARefused, RuleViolation
from dmpclient.ids import INS
from dmpclient.transactions.patients import AuthorizationStatus
from dmpclient.transactions.pdq import PatientSearchResult

from .support import (
    BLOCH,
    CONTESTE,
    EXPIRE,
    FERMETURE,
    LIBRE_ID,
    MACHEPRO_ID,
    NIA,
    PAT_TROIS,
    PATB_QUATRE,
    World,
)

# ------------------------------------------------------------------------------------------ TD0.2


def test_td02_no_dmp_is_nf_not_an_error(world: World) -> None:
    dmp = world.client()
    result = dmp.test_existence(CONTESTE)
    assert result.exists is False
    assert result.query_response_code == "NF"
    assert result.authorization is None
    assert dmp.transactions() == ["TD0.2"]


def test_td02_seeded_treating_physician_is_valide_and_mt(world: World) -> None:
    result = world.client().test_existence(PATB_QUATRE)
    assert result.exists is True
    assert result.authorization is AuthorizationStatus.VALIDE
    assert result.treating_physician is True
    assert result.closed is False
    assert result.can_consult
    assert result.can_feed
    assert result.patient_ids[0].extension == PATB_QUATRE.matricule
    assert result.traits is not None
    assert result.traits.name is not None
    assert "PATB-QUATRE" in {f.value for f in result.traits.name.families}


@pytest.mark.parametrize(
    ("ins", "status", "consult"),
    [(EXPIRE, AuthorizationStatus.EXPIRE, False), (BLOCH, AuthorizationStatus.INTERDIT, False)],
    ids=["EXPIRE", "INTERDIT"],
)
def test_td02_expired_and_blocked_authorisations(
    world: World, ins: INS, status: AuthorizationStatus, consult: bool
) -> None:
    result = world.client().test_existence(ins)
    assert result.exists is True
    assert result.authorization is status
    assert result.treating_physician is False
    assert result.can_consult is consult
    assert result.blocked is (status is AuthorizationStatus.INTERDIT)


def test_td02_closed_dmp_is_terminated(world: World) -> None:
    result = world.client().test_existence(FERMETURE)
    assert result.exists is True
    assert result.closed is True
    assert result.patient_status == "terminated"
    assert result.closing is not None
    assert result.closing.reason_code == "FERMETURE_DEMANDE_PATIENT"
    assert result.can_feed is False


def test_td02_state_changed_through_the_admin_api(world: World) -> None:
    dmp = world.client()
    assert dmp.test_existence(PAT_TROIS).closed is False
    world.admin.set_patient_state(PAT_TROIS.matricule, dmp_state="closed")
    assert dmp.test_existence(PAT_TROIS).patient_status == "terminated"


def test_nia_refused_by_the_client_before_sending(world: World) -> None:
    dmp = world.client()
    with pytest.raises(NIARefused):
        dmp.test_existence(NIA)
    assert dmp.exchanges == []


# ------------------------------------------------------------------------------------------ TD1.3a


def test_td13a_administrative_data(world: World) -> None:
    dmp = world.client()
    data = dmp.get_administrative_data(PATB_QUATRE)
    assert data.exists is True
    assert data.traits is not None
    assert data.traits.birth_time == "19070525"
    assert data.closed is False
    assert dmp.get_administrative_data(CONTESTE).query_response_code == "NF"
    closed = dmp.get_administrative_data(FERMETURE)
    assert closed.closed is True
    assert closed.patient_status == "terminated"
    assert dmp.transactions() == ["TD1.3a"] * 3


# ------------------------------------------------------------------------------------------ TD0.3 / TD1.6


def _authorised_ids(items: object) -> set[str]:
    return {i.national_id for i in items if i.national_id}  # type: ignore[attr-defined]


def test_td03_add_listed_by_td16_then_removed(world: World) -> None:
    dmp = world.client()
    before = dmp.test_existence(PAT_TROIS)
    assert before.authorization is not AuthorizationStatus.VALIDE

    added = dmp.authorize(PAT_TROIS)
    assert added.status == "DMPOk"
    assert added.context == "Autorisation ajoutée"
    assert dmp.test_existence(PAT_TROIS).authorization is AuthorizationStatus.VALIDE
    listed = dmp.list_authorizations(PAT_TROIS)
    assert listed.status == "DMPOk"
    assert LIBRE_ID in _authorised_ids(listed)
    mine = next(i for i in listed if i.national_id == LIBRE_ID)
    assert mine.last_name == "LIBRE"
    assert not mine.blocked

    again = dmp.authorize(PAT_TROIS)
    assert again.context == "Autorisation déjà présente aucune action effectuée"  # [V] DMP wording

    removed = dmp.remove_authorization(PAT_TROIS)
    assert removed.status == "DMPOk"
    assert LIBRE_ID not in _authorised_ids(dmp.list_authorizations(PAT_TROIS))
    assert dmp.test_existence(PAT_TROIS).authorization is not AuthorizationStatus.VALIDE


def test_td03_treating_physician_role(world: World) -> None:
    dmp = world.client()
    dmp.authorize(PAT_TROIS, as_treating_physician=True)
    assert dmp.test_existence(PAT_TROIS).treating_physician is True
    dmp.remove_authorization(PAT_TROIS, treating_physician_role=True)
    after = dmp.test_existence(PAT_TROIS)
    assert after.treating_physician is False
    assert after.authorization is AuthorizationStatus.VALIDE


def test_td03_set_authorization_low_level(world: World) -> None:
    dmp = world.client()
    assert dmp.set_authorization(PAT_TROIS, "AJOUT").context == "Autorisation ajoutée"
    assert dmp.set_authorization(PAT_TROIS, "SUPPRESSION").status == "DMPOk"
    assert [a["professional_id"] for a in world.admin.list_authorizations(PAT_TROIS.matricule)] == []


def test_td16_lists_other_professionals_and_the_blocked_one(world: World) -> None:
    listed = world.client().list_authorizations(BLOCH)
    assert MACHEPRO_ID in _authorised_ids(listed)
    blocked = [i for i in listed if i.national_id == LIBRE_ID]
    assert all(i.blocked for i in blocked)


# ------------------------------------------------------------------------------------------ TD0.4


def test_td04_lists_by_last_authorisation_and_by_last_document(world: World) -> None:
    dmp = world.client()
    since = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=10)
    assert PAT_TROIS.matricule not in {p.ins.extension for p in dmp.list_patients(since) if p.ins}

    dmp.authorize(PAT_TROIS)
    by_auth = dmp.list_patients(since, "LASTAUTORIZATION")
    assert PAT_TROIS.matricule in {p.ins.extension for p in by_auth if p.ins}
    by_doc = dmp.list_patients(since, "LASTDOC")
    assert PAT_TROIS.matricule not in {p.ins.extension for p in by_doc if p.ins}  # no document yet

    dmp.submit(PAT_TROIS, [world.cda(PAT_TROIS)])
    by_doc = dmp.list_patients(since, "LASTDOC")
    item = next(p for p in by_doc if p.ins and p.ins.extension == PAT_TROIS.matricule)
    assert item.last_add_at is not None  # naive (the DMP's dates carry no zone); the sandbox writes UTC
    assert item.last_add_at >= since.replace(microsecond=0, tzinfo=None)
    assert item.first_name == "DOMINIQUE"


# ------------------------------------------------------------------------------------------ TD0.5


def test_td05_search_in_centre_15(world: World) -> None:
    regulation = world.kit.context().with_access(AccessMode.CENTRE_15)
    dmp = world.client(context=regulation)
    found = dmp.search_patients(family="PATB-QUATRE", birth_date="19070525")
    assert isinstance(found, PatientSearchResult)
    assert [c.ins.extension for c in found.candidates if c.ins] == [PATB_QUATRE.matricule]
    opposed = dmp.search_patients(family="PAT-VUN-UN")
    assert opposed.candidates
    assert opposed.candidates[0].opposition_acces_urgence is True


def test_td05_refused_outside_regulation_before_sending(world: World) -> None:
    dmp = world.client()
    with pytest.raises(RuleViolation) as caught:
        dmp.search_patients(family="PATB-QUATRE")
    assert caught.value.rule == "PDT-INF-526"
    assert dmp.exchanges == []


# ------------------------------------------------------------------------------------------ TD0.9


def test_td09_webps_url(world: World) -> None:
    url = world.client().webps_url("TableauDeBord", PATB_QUATRE)
    assert url.startswith("https://wps-cps.sandbox.test/")
    assert PATB_QUATRE.matricule in url

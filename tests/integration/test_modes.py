"""Authentication modes end to end: INDIRECTE (ORG certificates, TLS ⇄ VIHF structure check), AIR, CPE (TD2.2).

Every test runs in-process (the client certificate handed to the app as the ASGI TLS extension) and over real
mutual TLS, with the sync and the async client.
"""

from __future__ import annotations

import pytest

from dmpclient.client import GuardSettings
from dmpclient.context import AuthenticationMode
from dmpclient.errors import ErrorChannel, RegistryError, RuleViolation, SoapFaultError

from .support import PAT_TROIS, PATB_QUATRE, World, cpe_context

INDIRECTE = AuthenticationMode.INDIRECTE
AIR = AuthenticationMode.INDIRECTE_RENFORCEE


# ------------------------------------------------------------------------------------------ INDIRECTE


@pytest.mark.parametrize("certificate", ["ej-auth", "eg-auth"])
def test_indirect_mode_feeds_with_an_org_certificate(world: World, certificate: str) -> None:
    acting = world.kit.context(INDIRECTE)
    dmp = world.client(INDIRECTE, tls=certificate)
    assert dmp.test_existence(PAT_TROIS).exists
    built = world.cda(context=acting)
    result = dmp.submit(PAT_TROIS, [built])
    assert result.transaction == "TD2.1"
    assert dmp.find_document_reference(PAT_TROIS, built.unique_id).found
    stored = world.admin.list_documents(PAT_TROIS.matricule, unique_id=built.unique_id)
    assert len(stored) == 1
    assert any(str(acting.structure.id) in institution for institution in stored[0]["institutions"])


def test_indirect_mode_client_certificate_of_another_structure_is_refused(world: World) -> None:
    acting = world.kit.context(INDIRECTE)
    dmp = world.client(INDIRECTE, tls="prof-auth")  # the cabinet's card, not the hospital's AUTH_CLI
    with pytest.raises(SoapFaultError) as caught:
        dmp.submit(PAT_TROIS, [world.cda(context=acting)])
    error = caught.value
    assert error.channel is ErrorChannel.SOAP_FAULT
    assert error.code == "FailedAuthentication"
    assert error.message_fr == "Erreur d'authentification de la personne morale"
    assert error.http_status == 500
    assert error.transaction == "TD2.1"
    assert world.admin.list_documents(PAT_TROIS.matricule) == []  # nothing stored, not ambiguous


def test_direct_mode_client_certificate_must_be_the_card(world: World) -> None:
    dmp = world.client(tls="ej-auth")
    with pytest.raises(SoapFaultError) as caught:
        dmp.test_existence(PATB_QUATRE)
    assert caught.value.code == "FailedAuthentication"
    assert caught.value.message_fr == "Erreur d'authentification de la personne physique"


def test_indirect_mode_cannot_authorise(world: World) -> None:
    dmp = world.client(INDIRECTE)
    with pytest.raises(RuleViolation) as caught:
        dmp.authorize(PAT_TROIS)
    assert caught.value.rule == "PDT-INF-526"
    assert dmp.exchanges == []


# ------------------------------------------------------------------------------------------ AIR


def test_air_consults(world: World) -> None:
    dmp = world.client(AIR)
    assert dmp.test_existence(PATB_QUATRE).exists
    found = dmp.find_documents(PATB_QUATRE)
    assert len(found.documents) > 20
    first = found.documents[0]
    assert dmp.retrieve(PATB_QUATRE, first).sha1 == first.hash
    tokens = [e.vihf for e in dmp.exchanges]
    assert len(set(tokens)) == len(tokens)  # single-use tokens: a new VIHF per call


def test_air_feeding_refused_by_the_client_guard(world: World) -> None:
    dmp = world.client(AIR)
    with pytest.raises(RuleViolation) as caught:
        dmp.submit(PAT_TROIS, [world.cda(context=world.kit.context(AIR))])
    assert caught.value.rule == "PDT-INF-606"
    assert dmp.exchanges == []


def test_air_feeding_refused_by_the_sandbox_when_the_guard_is_off(world: World) -> None:
    dmp = world.client(AIR, guards=GuardSettings().without("rights"))
    with pytest.raises(RegistryError) as caught:
        dmp.submit(PAT_TROIS, [world.cda(context=world.kit.context(AIR))])
    error = caught.value
    assert error.code == "DMPAccessDeniedByRightsService"
    assert error.message_fr is not None
    assert error.message_fr.startswith("Action « Alimentation d'un DMP » non autorisée pour ce profil (AIR")
    assert error.transaction == "TD2.1"
    assert world.admin.list_documents(PAT_TROIS.matricule) == []


def test_air_retry_sends_a_fresh_single_use_token(world: World) -> None:
    world.faults.add_drop(transaction="TD0.2", process=True, count=1)  # the token was used, then the line broke
    dmp = world.client(AIR)
    assert dmp.test_existence(PATB_QUATRE).exists
    first, second = dmp.exchanges
    assert (first.outcome, second.outcome) == ("transport-error", "ok")
    assert first.vihf != second.vihf
    assert first.message_id != second.message_id


# ------------------------------------------------------------------------------------------ CPE


def test_cpe_feeds_with_td22_and_cannot_search(world: World) -> None:
    secretary = cpe_context(world.kit.context())
    dmp = world.client(context=secretary)
    built = world.cda(context=secretary)
    result = dmp.submit(PAT_TROIS, [built])
    assert result.transaction == "TD2.2"
    assert dmp.transactions() == ["TD2.2"]
    assert dmp.find_document_reference(PAT_TROIS, built.unique_id).found  # TD3.1b is allowed
    with pytest.raises(RuleViolation) as caught:
        dmp.find_documents(PAT_TROIS, user_initiated=True)
    assert caught.value.rule == "PDT-INF-526"
    assert dmp.transactions() == ["TD2.2", "TD3.1b"]

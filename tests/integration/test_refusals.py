"""Refusals end to end: each DMP error channel surfaces as its typed error with the DMP's code and French message.

Channels (``errors.md``): SOAP fault (authentication, certificates), XDS ``RegistryResponse`` (TD2.x/TD3.x),
HL7 v3 acknowledgement ``AE`` (TD0.5), proprietary ``status`` (TD0.3/TD0.4/TD1.6); the HTTP channel (a proxy
page) is in ``test_reliability.py``. Every test runs in-process and over mutual TLS, sync and async.
"""

from __future__ import annotations

import pytest

from dmpclient.client import GuardSettings
from dmpclient.context import AccessMode
from dmpclient.errors import (
    DMPStatusError,
    ErrorChannel,
    HL7AcknowledgementError,
    RegistryError,
    SoapFaultError,
    ValidationFailed,
)
from dmpclient.transactions.pdq import TooManyResults

from .support import BLOCH, FERMETURE, PAT_TROIS, PATB_QUATRE, VUN_UN, World

# ------------------------------------------------------------------------------------------ SOAP fault


@pytest.mark.parametrize(
    ("signer", "reason"),
    [("prof-sign-expired", "is not valid at"), ("prof-sign-revoked", "is revoked since")],
    ids=["expired", "revoked"],
)
def test_soap_fault_invalid_vihf_signing_certificate(world: World, signer: str, reason: str) -> None:
    dmp = world.client(signer=signer)
    with pytest.raises(SoapFaultError) as caught:
        dmp.test_existence(PATB_QUATRE)
    error = caught.value
    assert error.channel is ErrorChannel.SOAP_FAULT
    assert error.code == "DMPInvalidCertificate"
    assert error.message_fr is not None
    assert error.message_fr.startswith("Le certificat ayant signé le VIHF est invalide : ")
    assert reason in error.message_fr
    assert error.http_status == 500
    assert error.transaction == "TD0.2"
    assert error.message_id == dmp.exchanges[0].message_id
    assert len(dmp.exchanges) == 1  # a SOAP fault is never retried
    exchange = dmp.exchanges[0]
    assert (exchange.outcome, exchange.dmp_code) == ("dmp-error", "DMPInvalidCertificate")


# ------------------------------------------------------------------------------------------ RegistryResponse


def test_registry_error_forbidden_type_code(world: World) -> None:
    guarded = world.client()
    with pytest.raises(ValidationFailed) as local:  # the client's metadata guard, before sending
        guarded.submit(PAT_TROIS, [world.cda(type_code="DOCPAT03")])
    assert any(f.code == "DOCPAT03" or "DOCPAT03" in str(f) for f in local.value.findings)
    assert guarded.exchanges == []

    dmp = world.client(guards=GuardSettings().without("metadata"))
    with pytest.raises(RegistryError) as caught:
        dmp.submit(PAT_TROIS, [world.cda(type_code="DOCPAT03")])
    error = caught.value
    assert error.channel is ErrorChannel.REGISTRY
    assert error.code == "XDSRegistryMetadataError"
    assert error.message_fr == "Le code 'DOCPAT03' ne fait pas partie du domaine d'affinité"
    assert error.location is not None
    assert error.location.endswith("typeCode")
    assert error.transaction == "TD2.1"
    assert error.http_status == 200
    assert world.admin.list_documents(PAT_TROIS.matricule) == []  # atomic: nothing stored


def test_registry_error_closed_dmp(world: World) -> None:
    dmp = world.client()
    with pytest.raises(RegistryError) as caught:
        dmp.submit(FERMETURE, [world.cda(FERMETURE)])
    assert caught.value.code == "DMPClosed"
    assert caught.value.message_fr == "Le DMP du patient est fermé"


def test_registry_error_blocked_professional(world: World) -> None:
    with pytest.raises(RegistryError) as caught:
        world.client().find_documents(BLOCH)
    assert caught.value.code == "DMPAccessForbidden"
    assert caught.value.message_fr == "Le patient a interdit l'accès à son DMP à ce professionnel"
    assert caught.value.transaction == "TD3.1"


def test_registry_error_opposition_to_centre_15(world: World) -> None:
    regulation = world.kit.context().with_access(AccessMode.CENTRE_15)
    with pytest.raises(RegistryError) as caught:
        world.client(context=regulation).find_documents(VUN_UN)
    assert caught.value.code == "DMPAccessForbidden"
    assert caught.value.message_fr == "Le patient s'est opposé à l'accès à son DMP en mode centre 15"


def test_registry_error_over_solicitation_threshold(world: World) -> None:
    world.admin.set_parameters(search_threshold=2)
    dmp = world.client()
    dmp.find_documents(PATB_QUATRE)
    dmp.find_documents(PATB_QUATRE)
    with pytest.raises(RegistryError) as caught:
        dmp.find_documents(PATB_QUATRE)
    assert caught.value.code == "DMPAccessDeniedByExcededThreshold"
    assert caught.value.message_fr == "Seuil de sollicitation dépassé : trop de recherches sur ce DMP"
    assert len(dmp.exchanges) == 3  # business refusals are never retried


# ------------------------------------------------------------------------------------------ HL7 v3 AE


def test_hl7_acknowledgement_too_many_results(world: World) -> None:
    world.admin.set_parameters(td05_max_results=1)
    regulation = world.kit.context().with_access(AccessMode.CENTRE_15)
    with pytest.raises(TooManyResults) as caught:
        world.client(context=regulation).search_patients(family="PAT", approximate=True)
    error = caught.value
    assert isinstance(error, HL7AcknowledgementError)
    assert error.channel is ErrorChannel.HL7V3
    assert error.type_code == "AE"
    assert error.code == "DMPTooManyResults"
    assert error.message_fr == "Trop de résultats : veuillez affiner les critères de recherche."
    assert error.transaction == "TD0.5"


# ------------------------------------------------------------------------------------------ proprietary status


def test_proprietary_status_blocked_professional_cannot_authorise(world: World) -> None:
    dmp = world.client()
    with pytest.raises(DMPStatusError) as caught:
        dmp.authorize(BLOCH)
    error = caught.value
    assert error.channel is ErrorChannel.STATUS
    assert error.code == "DMPAccessForbidden"
    assert error.message_fr == "Le patient a interdit l'accès à son DMP à ce professionnel"
    assert error.transaction == "TD0.3"
    statuses = {a["professional_id"]: a["status"] for a in world.admin.list_authorizations(BLOCH.matricule)}
    assert statuses.get("899900063480") == "INTERDIT"  # unchanged

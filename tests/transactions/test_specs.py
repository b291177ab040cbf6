"""The TransactionSpec registry entries of the patient / authorisation transactions (sandbox routing)."""

from __future__ import annotations

import pytest

from dmpclient._xml import q
from dmpclient.environments import Service
from dmpclient.soap import canonical_action, response_action
from dmpclient.transactions import TRANSACTIONS

EXPECTED = {
    "TD0.2": (Service.PATIENTS, "urn:hl7-org:v3:PRPA_IN201307UV02", q("hl7", "PRPA_IN201307UV02")),
    "TD1.3a": (Service.PATIENTS, "urn:hl7-org:v3:PRPA_IN201307UV02", q("hl7", "PRPA_IN201307UV02")),
    "TD0.5": (Service.PATIENTS_PDQ, "urn:hl7-org:v3:PRPA_IN201305UV02", q("hl7", "PRPA_IN201305UV02")),
    "TD0.3": (
        Service.HABILITATIONS,
        "urn:si-dmp-habilitations:HabilitationsEndPoint:setAuthorization",
        q("hab", "setAuthorization"),
    ),
    "TD1.6": (
        Service.HABILITATIONS,
        "urn:si-dmp-habilitations:HabilitationsEndPoint:listAuthorizationByPatient",
        q("hab", "listAuthorizationByPatient"),
    ),
    "TD0.4": (
        Service.PATIENTS_SPECIFIC,
        "urn:si-dmp-patients:PatientSpecificEndPoint:patientList",
        q("pat", "patientList"),
    ),
}


@pytest.mark.parametrize("td", sorted(EXPECTED))
def test_spec(td: str) -> None:
    spec = TRANSACTIONS[td]
    service, action, body = EXPECTED[td]
    assert (spec.service, spec.action, spec.request_body) == (service, action, body)
    assert spec.response_action == response_action(action)
    for alias in spec.aliases:
        assert canonical_action(alias) == action
    assert canonical_action("", body_tag=body) == action


def test_shared_body_needs_a_discriminator() -> None:
    shared = [s for s in TRANSACTIONS.values() if s.request_body == q("hl7", "PRPA_IN201307UV02")]
    assert {s.td for s in shared} == {"TD0.2", "TD1.3a"}
    assert all(s.discriminator for s in shared)


def test_retired_transactions_are_not_offered() -> None:
    assert not {"TD0.0", "TD1.1", "TD1.2", "TD1.3b", "TD1.4", "TD1.5"} & set(TRANSACTIONS)


def test_specs_carry_the_aliases_a_server_accepts() -> None:
    assert TRANSACTIONS["TD0.3"].aliases == ("urn:hl7-org:v3:setAuthorization",)
    assert TRANSACTIONS["TD1.6"].aliases == ("urn:hl7-org:v3:listAuthorizationByPatient",)
    assert TRANSACTIONS["TD0.5"].aliases == ("urn:ihe:iti:pdqv3:2007:PDQSupplier_Service:findCandidatesQuery",)
    assert TRANSACTIONS["TD0.2"].aliases == TRANSACTIONS["TD0.4"].aliases == ()

"""``local_dmp()`` and ``LocalDmp``: a fresh sandbox, the test PKI and a client wired to it."""

from __future__ import annotations

import asyncio
import datetime as dt
import warnings
from collections.abc import Iterator
from pathlib import Path

import pytest

from dmpclient.client import AsyncDMPClient, DMPClient
from dmpclient.context import AuthenticationMode
from dmpclient.errors import InputError, NIARefused, RuleViolation
from dmpclient.ids import INS, InsOid
from dmpclient.security import TestPki
from dmpclient.testing import SEEDED_PATIENTS, LocalDmp, cached_test_pki, local_dmp
from dmpclient.testing import local as local_module

#: name → DMP state the seed gives that patient.
EXPECTED_STATES = {
    "with_documents": "active",
    "empty": "active",
    "no_dmp": "none",
    "closed": "closed",
    "nia": "active",
    "blocked": "active",
    "expired": "active",
    "minor": "active",
    "deceased": "active",
    "opposed": "active",
    "corsican": "active",
    "demonstration": "active",
    "vaccinations": "active",
}


@pytest.fixture
def dmp() -> Iterator[LocalDmp]:
    """A fresh in-process LocalDmp (overrides the plugin's `dmp` in this module)."""
    with local_dmp() as local:
        yield local


def test_the_default_is_an_in_process_sandbox_with_a_direct_mode_client(dmp: LocalDmp) -> None:
    assert isinstance(dmp.client, DMPClient)
    assert dmp.mode == "inprocess"
    assert dmp.url == "https://localhost/si-dmp-server/v2/services"
    assert dmp.context.authentication_mode is AuthenticationMode.DIRECTE
    assert str(dmp.context.professional.id) == dmp.pki.identities.professional_id
    status = dmp.client.test_existence(INS.parse("207058575627097"))
    assert status.exists
    assert status.authorization == "VALIDE"
    assert status.treating_physician


def test_every_named_patient_is_seeded_in_the_state_its_name_says(dmp: LocalDmp) -> None:
    patients = dmp.patients.as_dict()
    assert set(patients) == set(EXPECTED_STATES)
    for name, ins in patients.items():
        assert dmp.admin.get_patient(ins)["dmp_state"] == EXPECTED_STATES[name], name
    assert dmp.patients.nia.oid is InsOid.NIA
    assert dmp.patients.demonstration.oid is InsOid.DEMONSTRATION
    assert dmp.patients is SEEDED_PATIENTS


def test_named_patients_answer_as_their_names_say(dmp: LocalDmp) -> None:
    client = dmp.client
    assert not client.test_existence(dmp.patients.no_dmp).exists
    assert client.test_existence(dmp.patients.closed).closed
    assert client.test_existence(dmp.patients.blocked).blocked
    assert client.test_existence(dmp.patients.expired).authorization == "EXPIRE"
    with pytest.raises(NIARefused):
        client.test_existence(dmp.patients.nia)
    found = client.find_documents(dmp.patients.with_documents, user_initiated=True)
    assert len(found.documents) >= 21


def test_an_empty_sandbox_has_no_patients() -> None:
    with local_dmp(patients="empty") as dmp:
        assert dmp.admin.list_patients() == []
        assert not dmp.client.test_existence(dmp.patients.with_documents).exists


def test_new_patient_has_a_valid_random_test_ins_and_an_authorised_active_dmp(dmp: LocalDmp) -> None:
    ins = dmp.new_patient(family="DURAND", given=("ANNE", "MARIE"), sex="F", birth_date=dt.date(1980, 5, 17))
    assert ins.oid is InsOid.TEST
    assert INS.parse(ins.matricule) == ins  # the key is valid
    assert ins.matricule[:5] == "28005"
    record = dmp.admin.get_patient(ins)
    assert (record["birth_family_name"], record["given_names"], record["dmp_state"]) == (
        "DURAND",
        ["ANNE", "MARIE"],
        "active",
    )
    status = dmp.client.test_existence(ins)
    assert status.exists
    assert status.authorization == "VALIDE"
    assert not status.treating_physician
    assert dmp.new_patient() != dmp.new_patient()


def test_new_patient_without_authorisation_or_as_treating_physician(dmp: LocalDmp) -> None:
    stranger = dmp.new_patient(authorized=False)
    assert dmp.client.test_existence(stranger).authorization != "VALIDE"
    mine = dmp.new_patient(treating_physician=True, sex="M")
    assert mine.sex_digit == "1"
    assert dmp.client.test_existence(mine).treating_physician
    closed = dmp.new_patient(dmp_state="closed")
    assert dmp.client.test_existence(closed).closed


def test_cda_patient_reads_the_traits_from_the_store(dmp: LocalDmp) -> None:
    patient = dmp.cda_patient(dmp.patients.with_documents)
    assert (patient.birth_family_name, patient.birth_given_names, patient.sex) == ("PATB-QUATRE", ("LAURENCE",), "F")
    assert patient.birth_date == dt.date(1907, 5, 25)
    with pytest.raises(InputError):
        dmp.cda_patient(INS.parse("279035121518989", InsOid.DEMONSTRATION))


def test_a_document_made_for_a_patient_is_submitted_retrieved_and_replaced(dmp: LocalDmp) -> None:
    ins = dmp.new_patient()
    first = dmp.make_document(ins, title="Consultation du 1er mars")
    result = dmp.client.submit(ins, first)
    assert result.document_unique_ids == (first.source.unique_id,)
    assert first.header is not None
    assert first.header.title == "Consultation du 1er mars"
    back = dmp.client.retrieve(ins, first.source.unique_id)
    assert back.read_bytes() == first.content
    second = dmp.make_document(ins, text="Version corrigée", replaces=first)
    dmp.client.replace(ins, first.source.unique_id, second)
    statuses = {d["unique_id"]: d["status"] for d in dmp.admin.list_documents(str(ins))}
    assert statuses[first.source.unique_id].endswith("Deprecated")
    assert statuses[second.source.unique_id].endswith("Approved")


def test_documents_are_dated_by_the_sandbox_clock(dmp: LocalDmp) -> None:
    dmp.sandbox.clock.set("2024-03-01T10:00:00Z", frozen=True)
    document = dmp.make_document(dmp.new_patient())
    assert document.metadata().creation_time == dt.datetime(2024, 3, 1, 10, 0, tzinfo=dt.UTC)


def test_the_client_follows_the_sandbox_clock(dmp: LocalDmp) -> None:
    """The client's guard window uses the sandbox clock: advancing it lifts the no-search-after-feed guard."""
    ins = dmp.new_patient()
    dmp.client.submit(ins, dmp.make_document(ins))
    with pytest.raises(InputError) as refused:
        dmp.client.find_documents(ins)
    assert refused.value.rule == "EX_3.1-1090"
    dmp.sandbox.clock.advance(dt.timedelta(minutes=16))
    assert len(dmp.client.find_documents(ins).documents) == 1


@pytest.mark.parametrize("mode", ["INDIRECTE", AuthenticationMode.INDIRECTE_RENFORCEE])
def test_indirect_modes_use_the_hospital_certificates(mode: str) -> None:
    with local_dmp(context=mode) as dmp:
        assert dmp.context.authentication_mode == mode
        assert dmp.context.structure.id.idnat == dmp.pki.identities.eg_id
        assert dmp.client.test_existence(dmp.patients.with_documents).authorization == "VALIDE"


def test_a_context_with_another_structure_is_refused_before_sending() -> None:
    from dmpclient.testing import make_context, make_structure

    pki = cached_test_pki()
    stranger = make_context(pki, "INDIRECTE", structure=make_structure(kind="etablissement"))
    with local_dmp(context=stranger) as dmp:
        with pytest.raises(RuleViolation) as refused:
            dmp.client.test_existence(dmp.patients.with_documents)
        assert dmp.admin.list_logs(kind="access") == []  # nothing reached the sandbox
    assert refused.value.rule == "VIHF structure = certificate structure"


def test_mtls_mode_serves_real_https_with_mutual_tls() -> None:
    with local_dmp(mode="mtls") as dmp:
        assert dmp.mode == "mtls"
        assert dmp.url.startswith("https://127.0.0.1:")
        assert dmp.client.test_existence(dmp.patients.with_documents).exists
        second = dmp.new_client(context="INDIRECTE")
        assert second.test_existence(dmp.patients.closed).closed


def test_reset_reloads_the_seed_and_clears_faults_and_clock(dmp: LocalDmp) -> None:
    ins = dmp.new_patient()
    dmp.sandbox.faults.add_drop(transaction="TD0.2", count=5)
    dmp.sandbox.clock.set("2020-01-01T00:00:00Z", frozen=True)
    dmp.admin.set_parameters(**{"cumul-invisible_patient-masque_ps": True})
    initial = {"cumul-invisible_patient-masque_ps": False}
    dmp.reset(parameters=initial)
    with pytest.raises(KeyError):
        dmp.admin.get_patient(ins)
    assert dmp.sandbox.faults.rules == []
    assert not dmp.sandbox.clock.frozen
    assert dmp.admin.get_parameters()["cumul-invisible_patient-masque_ps"] is False
    assert dmp.client.test_existence(dmp.patients.with_documents).exists


def test_async_client_in_async_with() -> None:
    async def main() -> tuple[bool, bool]:
        async with local_dmp(async_=True) as dmp:
            assert isinstance(dmp.client, AsyncDMPClient)
            status = await dmp.client.test_existence(dmp.patients.closed)
            ins = dmp.new_patient()
            document = dmp.make_document(ins)
            await dmp.client.submit(ins, document)
            back = await dmp.client.retrieve(ins, document.source.unique_id)
            return status.closed, back.read_bytes() == document.content

    assert asyncio.run(main()) == (True, True)


def test_async_client_in_a_sync_with_is_closed_outside_a_loop() -> None:
    with local_dmp(async_=True) as dmp:
        client = dmp.client
        assert isinstance(client, AsyncDMPClient)
        assert asyncio.run(client.test_existence(dmp.patients.no_dmp)).exists is False
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        dmp.close()  # already closed: nothing left, no warning


def test_closing_async_clients_inside_a_loop_warns() -> None:
    async def main() -> None:
        with local_dmp(async_=True):
            pass

    with pytest.warns(ResourceWarning, match="async with"):
        asyncio.run(main())


@pytest.mark.parametrize(("option", "value"), [("mode", "tls"), ("patients", "some")])
def test_bad_options_are_refused_with_the_field(option: str, value: str) -> None:
    with pytest.raises(InputError) as refused:
        local_dmp(**{option: value})  # type: ignore[arg-type]
    assert refused.value.field == option


def test_a_session_cannot_be_opened_twice() -> None:
    session = local_dmp()
    with session, pytest.raises(InputError), session:
        pass


def test_the_pki_is_created_once_per_process() -> None:
    assert cached_test_pki() is cached_test_pki()


def test_the_pki_folder_can_be_shared_through_the_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = tmp_path / "shared-pki"
    monkeypatch.setenv(local_module.PKI_ENV, str(folder))
    created = cached_test_pki()
    assert (folder / "manifest.json").is_file()
    assert created.directory == folder.resolve()
    assert [p.name for p in tmp_path.iterdir()] == ["shared-pki"]  # the staging folder is gone
    again = local_module._load_or_create(folder)
    assert again.entries.keys() == created.entries.keys()
    with local_dmp(pki=folder) as dmp:
        assert isinstance(dmp.pki, TestPki)
        assert dmp.client.test_existence(dmp.patients.with_documents).exists

"""The behaviour as a whole: the factory and the DmpBehaviour protocol, the seed, the Python admin API, the
parameters, and one end-to-end pass through the platform's in-process ASGI application."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import httpx
import pytest
from behaviour_support import PAT_TROIS, PATB4, Harness, session_pki

from dmpclient.cda import read_header
from dmpclient.cda.mapping import check_consistency
from dmpclient.errors import InputError
from dmpclient.ids import INS
from dmpclient.sandbox._interfaces import DmpBehaviour, SandboxAdmin
from dmpclient.sandbox.behaviour import SandboxBehaviour, create_behaviour
from dmpclient.sandbox.config import SandboxConfig
from dmpclient.sandbox.seed import SEED_DOCUMENTS, SEED_PATIENTS, seed_unique_id
from dmpclient.sandbox.store import DmpState
from dmpclient.soap import read_message
from dmpclient.transactions import patients as tp


def test_factory_builds_a_behaviour_of_the_platform_protocol() -> None:
    behaviour = create_behaviour(SandboxConfig.from_pki(session_pki()))
    try:
        assert isinstance(behaviour, DmpBehaviour)
        assert isinstance(behaviour.admin, SandboxAdmin)
        assert set(behaviour.handlers.tds) == {
            "TD0.2",
            "TD0.3",
            "TD0.4",
            "TD0.5",
            "TD1.3a",
            "TD1.6",
            "TD2.1",
            "TD2.2",
            "TD3.1",
            "TD3.1b",
            "TD3.2",
            "TD3.3a",
            "TD3.3b",
            "TD3.3c",
            "TD3.3d",
        }
        assert behaviour.handlers.thread_safe
        assert behaviour.handlers.discriminator is not None
        assert behaviour.clock is behaviour.config.clock
    finally:
        behaviour.close()


def test_seed_profiles() -> None:
    empty = SandboxBehaviour(SandboxConfig(require_signature=False, seed=False))
    assert empty.admin.list_patients() == []
    full = SandboxBehaviour(SandboxConfig(require_signature=False))
    patients = {p["ins"]: p for p in full.admin.list_patients()}
    assert len(patients) == len(SEED_PATIENTS)
    assert patients["153078987658513"]["dmp_state"] == "none"
    assert patients["202096615708958"]["close_reason"] == "Je ne veux plus de DMP"
    assert patients["255069999999934"]["oid"] == "1.2.250.1.213.1.4.11"
    assert patients["109076322088835"]["oid"] == "1.2.250.1.213.1.4.9"
    assert patients["188102B17295165"]["dmp_state"] == "active"
    assert patients["116083022011613"]["opposition_bris_de_glace"]
    assert patients["116083022011613"]["opposition_centre_15"]
    blocked = full.admin.get_patient("138080427231017")["authorizations"]
    assert {(a["professional_id"], a["status"]) for a in blocked} >= {("899900063480", "INTERDIT")}
    assert full.seeded is not None
    assert full.seeded.documents == len(SEED_DOCUMENTS)


def test_seed_for_another_professional() -> None:
    config = SandboxConfig(require_signature=False, behaviour_options={"seed_professional_id": "899900062490"})
    behaviour = SandboxBehaviour(config)
    statuses = {a["professional_id"]: a["status"] for a in behaviour.admin.list_authorizations("138080427231017")}
    assert statuses == {"899900062490": "INTERDIT"}


def test_seeded_documents_are_consistent_cdas() -> None:
    behaviour = SandboxBehaviour(SandboxConfig(require_signature=False))
    for doc in SEED_DOCUMENTS[:8]:
        info = behaviour.admin.get_document(seed_unique_id(doc.key))
        data = behaviour.admin.document_content(seed_unique_id(doc.key))
        entry = behaviour.store.latest_by_unique_id(seed_unique_id(doc.key))
        assert entry is not None
        assert info["hash"] == entry.metadata.hash
        assert check_consistency(read_header(data), entry.metadata) == []


def test_admin_patients_and_states() -> None:
    h = Harness()
    try:
        created = h.admin.create_patient(
            ins="294096322025871",
            family="INSFAMILLETROIS",
            given="JEANNE",
            sex="F",
            birth_date="1994-09-04",
            oid="1.2.250.1.213.1.4.11",
        )
        assert created["oid"] == "1.2.250.1.213.1.4.11"
        new = h.admin.create_patient(
            ins="177123022010212",
            birth_family_name="PAT-PLUSDEUX",
            given_names=["PAUL"],
            sex="M",
            birth_date="1977-12-09",
            dmp_state="closed",
            close_reason="test",
        )
        assert new["dmp_state"] == "closed"
        assert new["closed_at"]
        with pytest.raises(InputError):
            h.admin.create_patient(ins="155013022010439", family="X", given="Y", sex="Q", birth_date="2000-01-01")
        with pytest.raises(KeyError):
            h.admin.get_patient("123456789012345")
        with pytest.raises(InputError):
            h.admin.set_patient_state(PAT_TROIS.matricule, colour="blue")
        h.admin.set_patient_state(PAT_TROIS.matricule, authorizations={"899900062490": "VALIDE"}, mt="899900062490")
        auths = {a["professional_id"]: a for a in h.admin.list_authorizations(PAT_TROIS.matricule)}
        assert auths["899900062490"]["mt"]
        assert auths["899900062490"]["status"] == "VALIDE"
        h.admin.set_patient_state(PAT_TROIS.matricule, dmp_state="none")
        nf = tp.parse_test_existence_response(h.call(tp.build_test_existence_request(h.ctx(), PAT_TROIS)).ok_message)
        assert not nf.exists
        record = h.store.get_patient(PAT_TROIS)
        assert record is not None
        assert record.dmp_state is DmpState.NONE
    finally:
        h.close()


def test_admin_documents_logs_clock_parameters_and_reset() -> None:
    h = Harness()
    try:
        docs = h.admin.list_documents(PATB4.matricule, status="approved", latest=True)
        assert len(docs) == 24
        info = h.admin.get_document(seed_unique_id("patb4-unmasked"))
        assert [v["version"] for v in info["versions"]] == [1, 2]
        assert info["history"]
        assert info["metadata"]["unique_id"] == seed_unique_id("patb4-unmasked")
        with pytest.raises(KeyError):
            h.admin.get_document("1.2.3")
        h.call(tp.build_test_existence_request(h.ctx(), PATB4))
        assert h.admin.list_logs(PATB4.matricule)[-1]["transaction"] == "TD0.2"
        assert h.admin.set_clock("2019-06-26T08:09:00Z", frozen=True)["now"].startswith("2019-06-26T08:09:00")
        assert h.clock.now() == dt.datetime(2019, 6, 26, 8, 9, tzinfo=dt.UTC)
        params = h.admin.set_parameters(**{"age-majorite": 16, "fonctions-gestion-mineurs": False})
        assert params["age-majorite"] == 16
        assert params["fonctions-gestion-mineurs"] is False
        summary = h.admin.reset(seed=False)
        assert summary["patients"] == 0
        assert h.admin.list_patients() == []
        assert h.admin.get_parameters()["age-majorite"] == 16  # parameters survive a reset
        h.admin.reset()
        assert len(h.admin.list_patients()) == len(SEED_PATIENTS)
    finally:
        h.close()


def test_file_database_keeps_state_and_parameters(tmp_path: Path) -> None:
    config = SandboxConfig(require_signature=False, database=tmp_path / "db.sqlite", documents_dir=tmp_path / "docs")
    first = SandboxBehaviour(config)
    first.admin.set_patient_state(PAT_TROIS.matricule, dmp_state="closed")
    first.admin.set_parameters(search_threshold=7)
    first.close()
    second = SandboxBehaviour(config)
    assert second.seeded is None  # not seeded again
    assert second.admin.get_patient(PAT_TROIS.matricule)["dmp_state"] == "closed"
    assert second.parameters.search_threshold == 7
    assert any((tmp_path / "docs").iterdir())
    second.close()


def test_end_to_end_through_the_platform_app() -> None:
    from dmpclient.sandbox.server import Sandbox

    pki = session_pki()
    with Sandbox.from_pki(pki) as sandbox:
        assert isinstance(sandbox.behaviour, SandboxBehaviour)
        h = Harness()
        try:
            request = tp.build_test_existence_request(h.ctx(), PATB4)
        finally:
            h.close()
        url = "https://sandbox.test" + sandbox.config.services_root + "/patients"
        with httpx.Client(transport=sandbox.transport()) as client:
            response = client.post(url, content=request.body_bytes(), headers=request.headers)
        message = read_message(response.headers["content-type"], response.content)
        result = tp.parse_test_existence_response(message)
        assert result.exists
        assert result.authorization == "VALIDE"
        assert result.treating_physician
        assert result.ins == INS.parse(PATB4.matricule)
        assert sandbox.admin.list_logs(PATB4.matricule)[-1]["outcome"] == "ok"

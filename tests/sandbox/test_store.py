"""The sandbox store: records, transactions (atomic, nested, files rolled back), thread safety, persistence;
and the atomicity of a whole TD2.1 submission (a failure injected mid-way leaves nothing behind)."""

from __future__ import annotations

import datetime as dt
import threading
from pathlib import Path

import pytest
from behaviour_support import PAT_TROIS, Harness

from dmpclient.ids import INS, InsOid
from dmpclient.sandbox.store import (
    AuthorizationRecord,
    AuthorizationStatus,
    DmpState,
    EntryRecord,
    LogRecord,
    PatientRecord,
    SandboxStore,
    StoreError,
    SubmissionSetRecord,
)
from dmpclient.transactions import repository as tr
from dmpclient.xds.model import DocumentEntry, SubmissionSet

NOW = dt.datetime(2026, 1, 2, 3, 4, 5, tzinfo=dt.UTC)


def _patient(store: SandboxStore, matricule: str = "279035121518989", oid: InsOid = InsOid.TEST) -> PatientRecord:
    return store.add_patient(
        PatientRecord(
            0, INS.parse(matricule, oid), "PAT-TROIS", ("DOMINIQUE",), "F", dt.date(1979, 3, 28), created_at=NOW
        )
    )


def _lot(patient_id: int, uid: str = "1.2.3.1") -> SubmissionSetRecord:
    ss = SubmissionSet(
        entry_uuid="urn:uuid:00000000-0000-4000-8000-000000000001",
        unique_id=uid,
        patient_id="279035121518989^^^&1.2.250.1.213.1.4.10&ISO^NH",
        submission_time=NOW,
    )
    return SubmissionSetRecord(ss.entry_uuid or "", uid, patient_id, NOW, ss, created_at=NOW)


def test_patients_are_keyed_by_matricule_and_oid() -> None:
    store = SandboxStore()
    test = _patient(store)
    demo = _patient(store, oid=InsOid.DEMONSTRATION)
    assert test.id != demo.id
    assert store.get_patient(INS.parse("279035121518989")) == store.patient_by_id(test.id)
    with pytest.raises(StoreError):
        _patient(store)
    updated = store.update_patient(test.id, dmp_state=DmpState.CLOSED, close_reason="motif", closed_at=NOW)
    assert store.get_patient(test.ins) == updated
    assert updated.dmp_state is DmpState.CLOSED
    with pytest.raises(StoreError):
        store.update_patient(test.id, nonsense=1)


def test_minor_status_follows_the_birth_date_and_the_override() -> None:
    store = SandboxStore()
    p = store.add_patient(
        PatientRecord(0, INS.parse("121096322009479"), "TENERIFE", ("JUAN",), "M", dt.date(2021, 9, 19))
    )
    assert p.is_minor(dt.date(2026, 1, 1))
    assert not p.is_minor(dt.date(2040, 1, 1))
    assert not p.is_minor(dt.date(2030, 1, 1), age_of_majority=8)
    forced = store.update_patient(p.id, minor=False)
    assert not forced.is_minor(dt.date(2026, 1, 1))


def test_rollback_removes_rows_and_content_files(tmp_path: Path) -> None:
    store = SandboxStore(documents_dir=tmp_path)
    patient = _patient(store)
    before = store.counts()

    def failing_unit() -> None:
        with store.transaction():
            store.insert_submission_set(_lot(patient.id))
            store.put_content("1.2.3.2", b"<ClinicalDocument/>", mime_type="text/xml", sha1="x", size=19)
            assert list(tmp_path.iterdir())  # the file exists inside the transaction
            raise RuntimeError("injected")

    with pytest.raises(RuntimeError, match="injected"):
        failing_unit()
    assert store.counts() == before
    assert list(tmp_path.iterdir()) == []
    with store.transaction():
        store.put_content("1.2.3.2", b"<ClinicalDocument/>", mime_type="text/xml", sha1="x", size=19)
    content = store.get_content("1.2.3.2")
    assert content is not None
    assert content.path is not None
    assert content.read_bytes() == b"<ClinicalDocument/>"


def test_nested_transactions_join_the_outer_one() -> None:
    store = SandboxStore()
    patient = _patient(store)

    def outer() -> None:
        with store.transaction():
            with store.transaction():
                store.insert_submission_set(_lot(patient.id))
            assert store.submission_set_by_unique_id("1.2.3.1") is not None
            raise ValueError("outer fails")

    with pytest.raises(ValueError, match="outer fails"):
        outer()
    assert store.submission_set_by_unique_id("1.2.3.1") is None


def test_blob_storage_without_documents_folder() -> None:
    store = SandboxStore()
    store.put_content("1.2.3.9", b"abc", mime_type="text/xml", sha1="a9993e364706816aba3e25717850c26c9cd0d89d", size=3)
    content = store.get_content("1.2.3.9")
    assert content is not None
    assert content.path is None
    assert content.data == b"abc"


def test_entry_versions_and_status() -> None:
    store = SandboxStore()
    patient = _patient(store)
    meta = DocumentEntry(unique_id="1.2.3.5", title="t", patient_id=patient.ins.to_cx())
    v1 = store.insert_entry(
        EntryRecord(
            "urn:uuid:1",
            "urn:uuid:1",
            1,
            "1.2.3.5",
            patient.id,
            "urn:oasis:names:tc:ebxml-regrep:StatusType:Approved",
            True,
            meta,
        )
    )
    assert v1.metadata.entry_uuid == "urn:uuid:1"
    assert v1.metadata.version == "1"
    store.set_latest("urn:uuid:1", False)
    store.set_entry_status("urn:uuid:1", "urn:oasis:names:tc:ebxml-regrep:StatusType:Deprecated")
    store.insert_entry(
        EntryRecord(
            "urn:uuid:2",
            "urn:uuid:1",
            2,
            "1.2.3.5",
            patient.id,
            "urn:oasis:names:tc:ebxml-regrep:StatusType:Approved",
            True,
            meta,
        )
    )
    latest = store.latest_by_unique_id("1.2.3.5")
    assert latest is not None
    assert (latest.entry_uuid, latest.version, latest.logical_id) == (
        "urn:uuid:2",
        2,
        "urn:uuid:1",
    )
    old = store.get_entry("urn:uuid:1")
    assert old is not None
    assert old.metadata.availability_status == old.status
    assert old.status.endswith("Deprecated")
    assert [v.version for v in store.versions_of("urn:uuid:1")] == [1, 2]


def test_authorisations() -> None:
    store = SandboxStore()
    patient = _patient(store)
    store.set_authorization(AuthorizationRecord(patient.id, "899900063480", AuthorizationStatus.VALIDE, True, NOW, NOW))
    store.set_authorization(AuthorizationRecord(patient.id, "899900062490", AuthorizationStatus.INTERDIT))
    assert {a.professional_id for a in store.authorizations_of(["899900063480", "899900062490"])} == {
        "899900063480",
        "899900062490",
    }
    auth = store.get_authorization(patient.id, "899900063480")
    assert auth is not None
    assert auth.is_mt
    assert store.delete_authorization(patient.id, "899900063480")
    assert not store.delete_authorization(patient.id, "899900063480")


def test_concurrent_writers_from_threads() -> None:
    store = SandboxStore()
    patient = _patient(store)
    errors: list[BaseException] = []

    def work(n: int) -> None:
        try:
            for i in range(40):
                with store.transaction():
                    store.log_access(LogRecord(NOW, "TD0.2", f"p{n}", patient.ins.matricule, "ok"))
                    store.record_search(f"p{n}", patient.id, NOW + dt.timedelta(seconds=i))
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    counts = store.counts()
    assert counts["access_log"] == 240
    assert counts["searches"] == 240
    assert store.count_searches("p3", patient.id, NOW + dt.timedelta(seconds=30)) == 10


def test_file_database_persists(tmp_path: Path) -> None:
    db = tmp_path / "sandbox.sqlite"
    with SandboxStore(db) as store:
        _patient(store)
        store.set_setting("k", {"a": 1})
    with SandboxStore(db) as again:
        assert again.get_patient(INS.parse("279035121518989")) is not None
        assert again.get_setting("k") == {"a": 1}


def test_reset_empties_everything(tmp_path: Path) -> None:
    store = SandboxStore(documents_dir=tmp_path)
    _patient(store)
    store.put_content("1.2", b"x", mime_type="text/xml", sha1="s", size=1)
    store.reset()
    assert set(store.counts().values()) == {0}
    assert list(tmp_path.iterdir()) == []


# ------------------------------------------------------------------------------- submission atomicity


def test_failed_submission_leaves_nothing_behind(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    h = Harness(documents_dir=tmp_path / "docs")
    try:
        before = h.store.counts()
        files_before = sorted((tmp_path / "docs").iterdir())
        prepared = h.submission(PAT_TROIS)
        calls = {"n": 0}
        original = h.store.insert_association

        def failing(*args: object, **kwargs: object) -> None:
            calls["n"] += 1
            if calls["n"] == 2:  # after the lot, both documents, their contents and one association
                raise RuntimeError("disk full (injected)")
            original(*args, **kwargs)  # type: ignore[arg-type]

        monkeypatch.setattr(h.store, "insert_association", failing)
        with pytest.raises(RuntimeError, match="injected"):
            h.call(prepared.request)
        assert h.store.counts()["access_log"] == before["access_log"] + 0
        after = h.store.counts()
        for table in ("submission_sets", "entries", "contents", "associations", "status_history"):
            assert after[table] == before[table], table
        assert sorted((tmp_path / "docs").iterdir()) == files_before
        assert h.store.latest_by_unique_id(prepared.document_unique_ids[0]) is None
        monkeypatch.setattr(h.store, "insert_association", original)
        reply = h.call(prepared.request)
        assert tr.parse_provide_and_register_response(reply.ok_message).response.ok
        assert h.store.counts()["entries"] == before["entries"] + 2
        assert len(list((tmp_path / "docs").iterdir())) == len(files_before) + 2
    finally:
        h.close()

"""Every client method, sync and async, against the fake DMP built from the sandbox-side functions."""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable
from pathlib import Path

import pytest

from dmpclient.cda import BuiltCda
from dmpclient.context import ActingContext
from dmpclient.errors import InputError, ProtocolError, RuleViolation, SoapFaultError
from dmpclient.transactions import pdq
from dmpclient.transactions.habilitations import AuthorizationListMode
from dmpclient.transactions.patients import AuthorizationStatus
from dmpclient.transactions.submission import SubmissionSetInfo
from dmpclient.xds.model import AvailabilityStatus, Code
from dmpclient.xds.queries import GetDocuments, current_version

from .fake_dmp import FakeDMP
from .support import PATIENT, Harness, centre_15, new_cda


def _body(h: Harness, index: int = -1) -> bytes:
    return h.requests[index].content


def test_test_existence_reads_the_authorization(dmp: Harness, fake: FakeDMP) -> None:
    fake.authorization = AuthorizationStatus.EXPIRE.value
    result = dmp.test_existence(PATIENT)
    assert result.exists
    assert result.authorization == AuthorizationStatus.EXPIRE
    assert result.needs_authorization
    assert fake.seen == ["TD0.2"]
    assert b"TEST_EXST" in _body(dmp)
    assert dmp.requests[0].url.path == "/si-dmp-server/v2/services/patients"


def test_administrative_data(dmp: Harness, fake: FakeDMP) -> None:
    assert dmp.get_administrative_data(PATIENT).deceased is False
    assert fake.seen == ["TD1.3a"]
    assert b"CNSLT_DATA" in _body(dmp)


def test_authorize_and_remove(dmp: Harness, fake: FakeDMP) -> None:
    assert dmp.authorize(PATIENT).context == "Action AJOUT effectuée"
    assert dmp.remove_authorization(PATIENT).context == "Action SUPPRESSION effectuée"
    assert dmp.set_authorization(PATIENT, "AJOUT", "MEDECIN_TRAITANT").status == "DMPOk"
    assert b"MEDECIN_TRAITANT" in _body(dmp)
    assert fake.seen == ["TD0.3"] * 3


def test_list_authorizations_sends_the_mode(dmp: Harness) -> None:
    assert len(dmp.list_authorizations(PATIENT)) == 1
    assert len(dmp.list_authorizations(PATIENT, AuthorizationListMode.INTERDITE)) == 0
    assert b"INTERDITE" in _body(dmp)


def test_list_patients_by_last_document(dmp: Harness) -> None:
    result = dmp.list_patients(dt.datetime(2025, 1, 2, 3, 4, 5, tzinfo=dt.UTC), "LASTDOC")
    assert result.context == "LASTDOC"
    assert result[0].last_name == "PAT-TROIS"
    assert b"20250102030405" in _body(dmp)


def test_search_patients_with_a_per_call_centre_15_context(dmp: Harness, fake: FakeDMP, acting: ActingContext) -> None:
    def answer(td: str, message: object) -> object:
        if td != "TD0.5":
            return None
        found = pdq.PatientSearchResult(candidates=(pdq.PatientCandidate(match_percentage=97),), total=1)
        return pdq.build_patient_search_response(found, request=message)  # type: ignore[arg-type]

    fake.transaction_of = lambda message: "TD0.5"  # type: ignore[method-assign]
    fake.interceptor = answer  # type: ignore[assignment]
    result = dmp.search_patients(family="PAT-TROIS", birth_date="1979", context=centre_15(acting))
    assert result[0].match_percentage == 97
    assert b"centre_15" in _body(dmp)  # the per-call context is the one in the VIHF
    with pytest.raises(RuleViolation):
        dmp.search_patients(family="PAT-TROIS")  # the client's context is in normal mode
    assert len(dmp.requests) == 1


def test_submit_then_follow_by_unique_id(dmp: Harness, fake: FakeDMP, cda: BuiltCda) -> None:
    result = dmp.submit(PATIENT, [cda])
    assert result.transaction == "TD2.1"
    assert result.document_unique_ids == (cda.unique_id,)
    assert result.message_id is not None
    assert result.message_id.startswith("urn:uuid:")
    assert next(s.entry.unique_id for s in fake.documents) == cda.unique_id
    assert fake.documents[0].entry.hash == cda.sha1
    ref = dmp.find_document_reference(PATIENT, cda.unique_id)
    assert ref.found
    assert ref.entry_uuid == fake.documents[0].entry.entry_uuid
    assert fake.seen == ["TD2.1", "TD3.1b"]


def test_submit_several_documents_in_one_lot(dmp: Harness, fake: FakeDMP) -> None:
    docs = [new_cda(), new_cda()]
    result = dmp.submit(PATIENT, docs, submission_set=SubmissionSetInfo(Code("04", "1.2.250.1.213.2.2")))
    assert set(result.document_unique_ids) == {d.unique_id for d in docs}
    assert fake.seen == ["TD2.1"]
    assert b'code="04"' in _body(dmp) or b'nodeRepresentation="04"' in _body(dmp)


def test_submit_a_cda_file_path(dmp: Harness, fake: FakeDMP, cda_file: BuiltCda) -> None:
    assert cda_file.path is not None
    result = dmp.submit(PATIENT, cda_file.path)
    assert result.unique_id == cda_file.unique_id
    stored = fake.documents[0].content
    assert isinstance(stored, Path)
    assert stored.read_bytes() == cda_file.path.read_bytes()


def test_default_content_type_is_the_structure_secteur(dmp: Harness, cda: BuiltCda) -> None:
    dmp.submit(PATIENT, [cda])
    assert b'nodeRepresentation="SA07"' in _body(dmp)


def test_retrieve_to_a_file_and_in_memory(dmp: Harness, fake: FakeDMP, cda: BuiltCda, tmp_path: Path) -> None:
    dmp.submit(PATIENT, [cda])
    target = tmp_path / "out.xml"
    doc = dmp.retrieve(PATIENT, cda.unique_id, to=target)
    assert target.read_bytes() == cda.read_bytes()
    assert doc.sha1 == cda.sha1
    memory = dmp.retrieve(PATIENT, cda.unique_id)
    assert memory.read_bytes() == cda.read_bytes()
    assert fake.seen == ["TD2.1", "TD3.2", "TD3.2"]


def test_retrieve_checks_the_hash_of_a_given_entry(dmp: Harness, fake: FakeDMP, cda: BuiltCda) -> None:
    dmp.submit(PATIENT, [cda])
    good = fake.documents[0].entry
    assert dmp.retrieve(PATIENT, good).size == cda.size
    bad = good.replace_fields(hash="0" * 40)
    with pytest.raises(ProtocolError, match="XDSNonIdenticalHash"):
        dmp.retrieve(PATIENT, bad)
    assert dmp.exchanges[-1].outcome == "protocol-error"


def test_retrieve_of_an_unknown_document_is_the_dmp_fault(dmp: Harness) -> None:
    with pytest.raises(SoapFaultError) as caught:
        dmp.retrieve(PATIENT, "1.2.250.1.999.1.1.7898.3.1")
    assert caught.value.code == "XDSDocumentUniqueIdError"
    assert caught.value.transaction == "TD3.2"
    assert caught.value.http_status == 500


def test_find_documents_and_query(dmp: Harness, fake: FakeDMP, cda: BuiltCda) -> None:
    dmp.submit(PATIENT, [cda])
    dmp.forget_feeds()
    found = dmp.find_documents(PATIENT)
    assert cda.unique_id in [d.unique_id for d in found.documents]
    assert len(found.documents) == 2  # the document and the lot's XAdES signature document
    refs = dmp.query(PATIENT, GetDocuments(unique_ids=(cda.unique_id,), return_type="ObjectRef"))
    assert len(refs.object_refs) == 1
    assert fake.seen == ["TD2.1", "TD3.1", "TD3.1b"]


def test_find_documents_by_submission_time_runs_the_recipe(dmp: Harness, fake: FakeDMP, cda: BuiltCda) -> None:
    dmp.submit(PATIENT, [cda])
    start = dt.datetime.now(dt.UTC) - dt.timedelta(days=1)
    found = dmp.find_documents(PATIENT, submitted_from=start, user_initiated=True)
    assert cda.unique_id in [d.unique_id for d in found.documents]
    assert fake.seen == ["TD2.1", "TD3.1", "TD3.1", "TD3.1"]  # FindSubmissionSets, GetAssociations, GetDocuments
    later = dmp.find_documents(PATIENT, submitted_from=dt.datetime.now(dt.UTC) + dt.timedelta(days=1),
                               user_initiated=True)  # fmt: skip
    assert later.documents == ()
    with pytest.raises(InputError):
        dmp.find_documents(PATIENT, submitted_from=start, type_codes=["11488-4"], user_initiated=True)


def test_get_documents_and_get_document_entry(dmp: Harness, cda: BuiltCda) -> None:
    dmp.submit(PATIENT, [cda])
    entry = dmp.get_document_entry(PATIENT, cda.unique_id, user_initiated=True)
    assert entry is not None
    assert entry.unique_id == cda.unique_id
    assert dmp.get_document_entry(PATIENT, "1.2.250.1.999.1.1.7898.3.9", user_initiated=True) is None
    assert len(dmp.get_documents(PATIENT, [cda.unique_id], user_initiated=True).documents) == 1


def test_run_recipe_drives_an_xds_queries_recipe(dmp: Harness, fake: FakeDMP, cda: BuiltCda) -> None:
    dmp.submit(PATIENT, [cda])
    entry = dmp.run_recipe(PATIENT, current_version(cda.unique_id), user_initiated=True)
    assert entry is not None
    assert entry.unique_id == cda.unique_id


def test_visibility_changes(dmp: Harness, fake: FakeDMP, cda: BuiltCda) -> None:
    dmp.submit(PATIENT, [cda])
    dmp.hide_from_professionals(PATIENT, cda.unique_id)
    current = dmp.get_document_entry(PATIENT, cda.unique_id, user_initiated=True)
    assert current is not None
    assert [c.code for c in current.confidentiality_codes] == ["N", "MASQUE_PS"]
    assert current.version == "2"
    dmp.unhide_for_professionals(PATIENT, current)  # an entry: no search before the update
    assert fake.seen[-1] == "TD3.3"
    assert fake.seen[-2] == "TD3.1"
    latest = dmp.get_document_entry(PATIENT, cda.unique_id, user_initiated=True)
    assert latest is not None
    assert [c.code for c in latest.confidentiality_codes] == ["N"]
    tds = [x.transaction for x in dmp.exchanges if x.transaction.startswith("TD3.3")]
    assert tds == ["TD3.3a", "TD3.3a"]


def test_make_visible_to_patient_is_td3_3b(dmp: Harness, fake: FakeDMP) -> None:
    from dmpclient.terminology import INVISIBLE_PATIENT, INVISIBLE_REPRESENTANTS_LEGAUX

    doc = new_cda()
    from dmpclient.transactions.submission import DocumentToSubmit

    dmp.submit(PATIENT, [DocumentToSubmit.from_cda(doc, confidentiality=[INVISIBLE_PATIENT])])
    dmp.make_visible_to_patient(PATIENT, doc.unique_id)
    assert dmp.exchanges[-1].transaction == "TD3.3b"
    minor = new_cda()
    dmp.submit(PATIENT, [minor])
    stored = next(s for s in fake.documents if s.entry.unique_id == minor.unique_id)
    # as if it had been fed in a minor's secret connection
    stored.entry = stored.entry.with_confidentiality(INVISIBLE_REPRESENTANTS_LEGAUX)
    dmp.make_visible_to_legal_representatives(PATIENT, minor.unique_id)
    assert dmp.exchanges[-1].transaction == "TD3.3b"


def test_archive_unarchive_delete_each_do_a_td3_1b_first(dmp: Harness, fake: FakeDMP, cda: BuiltCda) -> None:
    dmp.submit(PATIENT, [cda])
    dmp.archive(PATIENT, cda.unique_id)
    assert fake.documents[0].entry.availability_status == AvailabilityStatus.ARCHIVED
    dmp.unarchive(PATIENT, cda.unique_id)
    assert fake.documents[0].entry.availability_status == AvailabilityStatus.APPROVED
    dmp.delete(PATIENT, cda.unique_id)
    assert fake.documents[0].entry.availability_status == AvailabilityStatus.DELETED
    assert fake.seen == ["TD2.1", "TD3.1b", "TD3.3", "TD3.1b", "TD3.3", "TD3.1b", "TD3.3"]
    assert [x.transaction for x in dmp.exchanges][2::2] == ["TD3.3d", "TD3.3d", "TD3.3c"]
    assert b"OriginalStatus" in _body(dmp)


def test_delete_of_an_unknown_document_is_refused_after_td3_1b(dmp: Harness, fake: FakeDMP) -> None:
    with pytest.raises(RuleViolation, match=r"TD3\.1b found nothing"):
        dmp.delete(PATIENT, "1.2.250.1.999.1.1.7898.3.77")
    assert fake.seen == ["TD3.1b"]


def test_replace_uses_the_current_entry_uuid(dmp: Harness, fake: FakeDMP, cda: BuiltCda) -> None:
    dmp.submit(PATIENT, [cda])
    old_uuid = fake.documents[0].entry.entry_uuid
    assert old_uuid is not None
    new = new_cda()
    result = dmp.replace(PATIENT, cda.unique_id, new)
    assert result.replaced == {new.unique_id: old_uuid}
    assert fake.seen == ["TD2.1", "TD3.1b", "TD2.1"]
    assert old_uuid.encode() in _body(dmp)
    assert b"urn:ihe:iti:2007:AssociationType:RPLC" in _body(dmp)


def test_webps_url(make_client: Callable[..., Harness], mode: str) -> None:
    from dmpclient.environments import DV1

    dmp = make_client(mode, environment=DV1)
    url = dmp.webps_url("Documents", PATIENT)
    assert url == "https://wps-cps.dev1.dmp.gouv.fr/AccesDirect/Documents/279035121518989/1.2.250.1.213.1.4.10"
    assert dmp.requests == []


def test_sync_and_async_send_the_same_request_shape(make_client: Callable[..., Harness], cda: BuiltCda) -> None:
    sync, asynchronous = make_client("sync"), make_client("async")
    sync.test_existence(PATIENT)
    asynchronous.test_existence(PATIENT)
    a, b = sync.requests[0], asynchronous.requests[0]
    assert a.url == b.url
    assert a.headers["content-type"] == b.headers["content-type"]
    assert hashlib.sha1(a.content).hexdigest() != hashlib.sha1(b.content).hexdigest()  # fresh ids per call
    assert int(a.headers["content-length"]) == len(a.content)
    assert int(b.headers["content-length"]) == len(b.content)

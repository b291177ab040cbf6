"""Document transactions end to end: TD2.1 → TD3.1 / TD3.1b → TD3.2 → replace (RPLC) → TD3.3a/b → TD3.3c/d.

Every test runs in-process and over mutual TLS, with the sync and the async client (see conftest.py).
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest

from dmpclient.client import GuardSettings, SubmitResult
from dmpclient.errors import InputError, RegistryError, RuleViolation
from dmpclient.terminology import INVISIBLE_PATIENT, INVISIBLE_REPRESENTANTS_LEGAUX
from dmpclient.transactions.submission import DocumentToSubmit
from dmpclient.xds.model import AvailabilityStatus, DocumentEntry, ResponseStatus
from dmpclient.xds.queries import FindDocuments, GetDocuments, current_version, td3_1b

from .support import MELANGE_SEBASTIEN, PAT_TROIS, PATB_QUATRE, Harness, World, codes, statuses

APPROVED = AvailabilityStatus.APPROVED
ARCHIVED = AvailabilityStatus.ARCHIVED
DEPRECATED = AvailabilityStatus.DEPRECATED


def _fed(world: World, dmp: Harness, *documents: DocumentToSubmit) -> SubmitResult:
    """Authorise Dr LIBRE on PAT-TROIS and feed one fresh CDA (or the given documents)."""
    dmp.authorize(PAT_TROIS)
    result: SubmitResult = dmp.submit(PAT_TROIS, list(documents) or [DocumentToSubmit.from_cda(world.cda())])
    return result


def _entry(dmp: Harness, unique_id: str) -> DocumentEntry:
    entry: DocumentEntry | None = dmp.get_document_entry(PAT_TROIS, unique_id, user_initiated=True)
    assert entry is not None, unique_id
    return entry


def _ids(response: object, status: AvailabilityStatus | None = None) -> set[str]:
    return {
        d.unique_id
        for d in response.documents  # type: ignore[attr-defined]
        if d.unique_id and (status is None or str(d.availability_status) == status.value)
    }


# ------------------------------------------------------------------------------- TD2.1 → TD3.x


def test_submit_find_entry_reference_retrieve(world: World, tmp_path: Path) -> None:
    dmp = world.client()
    built = world.cda(title="CR de consultation — intégration")
    dmp.authorize(PAT_TROIS)
    result = dmp.submit(PAT_TROIS, [built])
    assert result.transaction == "TD2.1"
    assert result.document_unique_ids == (built.unique_id,)
    assert result.response.status is ResponseStatus.SUCCESS
    assert dmp.transactions()[-1] == "TD2.1"

    # EX_3.1-1090: no automatic search right after a feed — refused before anything is sent.
    sent = len(dmp.exchanges)
    with pytest.raises(RuleViolation) as caught:
        dmp.find_documents(PAT_TROIS)
    assert caught.value.rule == "EX_3.1-1090"
    assert len(dmp.exchanges) == sent

    found = dmp.find_documents(PAT_TROIS, user_initiated=True)
    assert _ids(found) == {built.unique_id}

    entry = _entry(dmp, built.unique_id)
    assert entry.hash == built.sha1
    assert entry.size == built.size
    assert str(entry.availability_status) == APPROVED.value
    assert entry.version == "1"
    assert entry.logical_id == entry.entry_uuid
    assert entry.title == "CR de consultation — intégration"

    reference = dmp.find_document_reference(PAT_TROIS, built.unique_id)  # TD3.1b: never blocked after a feed
    assert reference.found
    assert reference.entry_uuid == entry.entry_uuid

    in_memory = dmp.retrieve(PAT_TROIS, entry)  # hash and size checked against the entry
    assert in_memory.read_bytes() == built.read_bytes()
    assert in_memory.sha1 == built.sha1
    assert in_memory.mime_type == "text/xml"
    target = tmp_path / "back.cda.xml"
    on_disk = dmp.retrieve(PAT_TROIS, built.unique_id, to=target)
    assert target.read_bytes() == built.read_bytes()
    assert on_disk.size == built.size


def test_forgetting_a_feed_lifts_the_search_guard(world: World) -> None:
    dmp = world.client()
    uid = _fed(world, dmp).unique_id
    with pytest.raises(RuleViolation):
        dmp.get_document_entry(PAT_TROIS, uid)
    dmp.forget_feeds(PAT_TROIS)
    entry = dmp.get_document_entry(PAT_TROIS, uid)
    assert entry is not None
    assert entry.unique_id == uid


def test_several_documents_in_one_lot(world: World) -> None:
    dmp = world.client()
    first, second = world.cda(title="Premier"), world.cda(title="Second")
    result = _fed(world, dmp, DocumentToSubmit.from_cda(first), DocumentToSubmit.from_cda(second))
    assert result.document_unique_ids == (first.unique_id, second.unique_id)
    got = dmp.get_documents(PAT_TROIS, list(result.document_unique_ids), user_initiated=True)
    assert {d.title for d in got.documents} == {"Premier", "Second"}
    lot = {d["submission_set"] for d in world.admin.list_documents(PAT_TROIS.matricule, signatures=False)}
    assert len(lot) == 1


def test_replace_deprecates_the_previous_version(world: World) -> None:
    dmp = world.client()
    old = _fed(world, dmp).unique_id
    old_entry = _entry(dmp, old)
    new = world.cda(title="CR v2")
    replaced = dmp.replace(PAT_TROIS, old, new, previous_entry=old_entry)
    assert replaced.replaced == {new.unique_id: old_entry.entry_uuid}
    assert dmp.transactions()[-2:] == ["TD3.1b", "TD2.1"]  # current entryUUID fetched just before (RG_3130)

    assert statuses(world, PAT_TROIS)[(old, 1)] == "Deprecated"
    approved = dmp.find_documents(PAT_TROIS, user_initiated=True)
    assert _ids(approved) == {new.unique_id}
    deprecated = dmp.find_documents(PAT_TROIS, status=[DEPRECATED.value], user_initiated=True)
    assert _ids(deprecated) == {old}
    latest = dmp.run_recipe(PAT_TROIS, current_version(old), user_initiated=True)  # follows RPLC
    assert latest is not None
    assert latest.unique_id == new.unique_id

    with pytest.raises(RuleViolation) as caught:  # acting on a replaced document: act on the current one
        dmp.hide_from_professionals(PAT_TROIS, old)
    assert caught.value.rule == "RG_3130"


def test_hide_and_unhide_are_new_versions_with_the_same_logical_id(world: World) -> None:
    dmp = world.client()
    uid = _fed(world, dmp).unique_id
    v1 = _entry(dmp, uid)

    assert dmp.hide_from_professionals(PAT_TROIS, uid).status is ResponseStatus.SUCCESS
    assert dmp.transactions()[-2:] == ["TD3.1", "TD3.3a"]  # current version fetched first
    v2 = _entry(dmp, uid)
    assert "MASQUE_PS" in codes(v2)
    assert v2.entry_uuid != v1.entry_uuid
    assert v2.logical_id == v1.logical_id
    assert v2.version == "2"

    dmp.unhide_for_professionals(PAT_TROIS, v2)  # a DocumentEntry: no search first
    assert dmp.transactions()[-1] == "TD3.3a"
    v3 = _entry(dmp, uid)
    assert "MASQUE_PS" not in codes(v3)
    assert v3.logical_id == v1.logical_id
    assert v3.version == "3"
    assert len({v1.entry_uuid, v2.entry_uuid, v3.entry_uuid}) == 3
    history = statuses(world, PAT_TROIS)
    assert [history[(uid, n)] for n in (1, 2, 3)] == ["Deprecated", "Deprecated", "Approved"]

    # the professionals' view: the updated document is still retrievable and unchanged
    assert dmp.retrieve(PAT_TROIS, v3).sha1 == v1.hash


def test_make_visible_to_patient_is_irreversible(world: World) -> None:
    dmp = world.client()
    built = world.cda(title="Annonce diagnostique")
    uid = _fed(world, dmp, DocumentToSubmit.from_cda(built, confidentiality=[INVISIBLE_PATIENT])).unique_id
    assert "INVISIBLE_PATIENT" in codes(_entry(dmp, uid))

    assert dmp.make_visible_to_patient(PAT_TROIS, uid).status is ResponseStatus.SUCCESS
    assert dmp.transactions()[-1] == "TD3.3b"
    visible = _entry(dmp, uid)
    assert "INVISIBLE_PATIENT" not in codes(visible)
    assert visible.version == "2"

    sent = len(dmp.exchanges)
    with pytest.raises(RuleViolation):  # the client guard: INVISIBLE_* never comes back
        dmp.update_confidentiality(PAT_TROIS, visible, ["N", "INVISIBLE_PATIENT"])
    assert len(dmp.exchanges) == sent
    assert "INVISIBLE_PATIENT" not in codes(_entry(dmp, uid))


def test_make_visible_to_legal_representatives(world: World) -> None:
    dmp = world.client()
    minor = MELANGE_SEBASTIEN
    dmp.authorize(minor)
    built = world.cda(minor, title="Consultation confidentielle")
    doc = DocumentToSubmit.from_cda(built, confidentiality=[INVISIBLE_REPRESENTANTS_LEGAUX])
    uid = dmp.submit(minor, [doc]).unique_id
    entry = dmp.get_document_entry(minor, uid, user_initiated=True)
    assert entry is not None
    assert "INVISIBLE_REPRESENTANTS_LEGAUX" in codes(entry)
    dmp.make_visible_to_legal_representatives(minor, entry)
    after = dmp.get_document_entry(minor, uid, user_initiated=True)
    assert after is not None
    assert "INVISIBLE_REPRESENTANTS_LEGAUX" not in codes(after)
    assert dmp.transactions()[-2] == "TD3.3b"


def test_update_confidentiality_low_level(world: World) -> None:
    dmp = world.client()
    uid = _fed(world, dmp).unique_id
    dmp.update_confidentiality(PAT_TROIS, uid, ["N", "MASQUE_PS"])
    assert codes(_entry(dmp, uid)) == {"N", "MASQUE_PS"}


def test_archive_unarchive_delete_takes_deprecated_versions_along(world: World) -> None:
    dmp = world.client()
    old = _fed(world, dmp).unique_id
    new = world.cda(title="CR v2")
    dmp.replace(PAT_TROIS, old, new)

    assert dmp.archive(PAT_TROIS, new.unique_id).status is ResponseStatus.SUCCESS
    assert dmp.transactions()[-2:] == ["TD3.1b", "TD3.3d"]
    archived = dmp.find_documents(PAT_TROIS, status=[ARCHIVED.value], user_initiated=True)
    assert _ids(archived) == {new.unique_id}
    assert _ids(dmp.find_documents(PAT_TROIS, user_initiated=True)) == set()

    dmp.unarchive(PAT_TROIS, new.unique_id)
    assert _ids(dmp.find_documents(PAT_TROIS, user_initiated=True)) == {new.unique_id}

    assert dmp.delete(PAT_TROIS, new.unique_id).status is ResponseStatus.SUCCESS
    assert dmp.transactions()[-1] == "TD3.3c"
    everything = [APPROVED.value, DEPRECATED.value, ARCHIVED.value]
    assert _ids(dmp.find_documents(PAT_TROIS, status=everything, user_initiated=True)) == set()
    after = statuses(world, PAT_TROIS)
    assert after[(new.unique_id, 1)] == "Deleted"
    assert after[(old, 1)] == "Deleted"  # the version it replaced is deleted with it


def test_update_status_and_deleting_an_archived_document(world: World) -> None:
    dmp = world.client()
    uid = _fed(world, dmp).unique_id
    dmp.update_status(PAT_TROIS, uid, ARCHIVED)
    with pytest.raises(RegistryError) as caught:  # TD3.1b does not tell the status: Approved assumed
        dmp.delete(PAT_TROIS, uid)
    assert caught.value.code == "XDSMetadataUpdateOperationError"
    assert caught.value.message_fr is not None
    assert "statut d'origine" in caught.value.message_fr
    dmp.delete(PAT_TROIS, uid, current_status=ARCHIVED)
    assert statuses(world, PAT_TROIS)[(uid, 1)] == "Deleted"


def test_status_short_names_are_accepted_or_refused_as_input_errors(world: World) -> None:
    dmp = world.client()
    uid = _fed(world, dmp).unique_id
    dmp.archive(PAT_TROIS, uid)
    refused_field: str | None = None
    try:
        dmp.delete(PAT_TROIS, uid, current_status="Archived")
    except InputError as exc:  # refusing it as an input error naming the field would do too
        refused_field = exc.field
    if refused_field is None:
        assert statuses(world, PAT_TROIS)[(uid, 1)] == "Deleted"
    else:
        assert refused_field == "current_status"


# ------------------------------------------------------------------------------- TD3.1 queries


def test_query_typed_stored_queries(world: World) -> None:
    dmp = world.client()
    found = dmp.query(PATB_QUATRE, FindDocuments(patient_id=PATB_QUATRE, type_codes=["11488-4^^2.16.840.1.113883.6.1"]))
    assert found.documents
    assert {d.type_code.code for d in found.documents if d.type_code} == {"11488-4"}
    uid = next(iter(_ids(found)))
    reference = dmp.query(PATB_QUATRE, td3_1b(uid))
    assert dmp.transactions()[-1] == "TD3.1b"
    assert [r.id for r in reference.object_refs] == [d.entry_uuid for d in found.documents if d.unique_id == uid]


def test_documents_submitted_between_recipe(world: World) -> None:
    dmp = world.client()
    before = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=5)
    uid = _fed(world, dmp).unique_id
    after = dt.datetime.now(dt.UTC) + dt.timedelta(minutes=5)
    dmp.forget()
    window = dmp.find_documents(PAT_TROIS, submitted_from=before, submitted_to=after, user_initiated=True)
    assert _ids(window) == {uid}
    assert dmp.transactions()[:2] == ["TD3.1", "TD3.1"]
    assert len(dmp.exchanges) == 3
    past = dmp.find_documents(
        PAT_TROIS, submitted_from="20000101000000", submitted_to="20010101000000", user_initiated=True
    )
    assert _ids(past) == set()


def test_batching_above_twenty_unique_ids(world: World) -> None:
    dmp = world.client()
    everything = [APPROVED.value, ARCHIVED.value]
    unique_ids = sorted(_ids(dmp.find_documents(PATB_QUATRE, status=everything)))
    assert len(unique_ids) > 20  # the seed holds the 21 entries of the official TD3.1 answer and more

    dmp.forget()
    merged = dmp.get_documents(PATB_QUATRE, unique_ids)
    assert _ids(merged) == set(unique_ids)
    assert dmp.transactions() == ["TD3.1", "TD3.1"]  # 20 + the rest

    dmp.forget()
    split = dmp.query(PATB_QUATRE, GetDocuments(unique_ids=tuple(unique_ids)))  # split and merged by the client
    assert _ids(split) == set(unique_ids)
    assert len(dmp.exchanges) == 2


def test_sandbox_refuses_more_than_twenty_unique_ids_when_batching_is_off(world: World) -> None:
    reader = world.client()
    unique_ids = sorted(_ids(reader.find_documents(PATB_QUATRE, status=[APPROVED.value, ARCHIVED.value])))
    dmp = world.client(guards=GuardSettings().without("query_limits"))
    with pytest.raises(RegistryError) as caught:
        dmp.query(PATB_QUATRE, GetDocuments(unique_ids=tuple(unique_ids)))
    assert caught.value.code == "XDSRegistryError"
    assert caught.value.location == "$XDSDocumentEntryUniqueId"
    assert caught.value.transaction == "TD3.1"
    assert len(dmp.exchanges) == 1


def test_query_limit_refusal_message_is_french(world: World) -> None:
    unique_ids = tuple(f"1.2.250.1.999.1.1.7898.9.{n}" for n in range(21))
    dmp = world.client(guards=GuardSettings().without("query_limits"))
    with pytest.raises(RegistryError) as caught:
        dmp.query(PATB_QUATRE, GetDocuments(unique_ids=unique_ids))
    message = caught.value.message_fr or ""
    assert "20" in message
    assert not re.search(r"\b(the|values|accepts|per)\b", message), message

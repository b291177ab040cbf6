"""DMP behaviour of the registry and retrieval: TD3.1 / TD3.1b (stored queries), TD3.2 (retrieve), TD3.3a/b
(confidentiality, new metadata versions) and TD3.3c/d (delete, archive, unarchive)."""

from __future__ import annotations

import copy
import datetime as dt
from collections.abc import Callable
from pathlib import Path

import pytest
from behaviour_support import (
    ALOT,
    ATTRIBUT,
    BLOCH,
    CABINET,
    CONTESTE,
    EXPIRE,
    FERMETURE,
    HALL,
    HOPITAL,
    LOT,
    MACHEPRO,
    PAT_TROIS,
    PATB4,
    PATB_TROIS,
    URGENCE,
    VUN_DEUX,
    VUN_UN,
    Harness,
    error_of,
    professional,
)

from dmpclient._xml import q
from dmpclient.context import AccessMode, AuthenticationMode, CardType, Structure
from dmpclient.errors import DMPError, RegistryError
from dmpclient.ids import INS
from dmpclient.sandbox.seed import seed_entry_uuid, seed_unique_id
from dmpclient.sandbox.store import EntryRecord
from dmpclient.soap import SoapRequest, parse_envelope
from dmpclient.terminology import Code
from dmpclient.transactions import registry as tg
from dmpclient.transactions import repository as tr
from dmpclient.transactions._base import RequestContext
from dmpclient.xds import ebrim
from dmpclient.xds.model import AdhocQueryRequest, DocumentEntry, Person, QueryResponse, SubmissionRequest
from dmpclient.xds.queries import (
    FindDocuments,
    FindSubmissionSets,
    GetAssociations,
    GetDocuments,
    GetDocumentsAndAssociations,
    GetRelatedDocuments,
    GetSubmissionSetAndContents,
    StoredQueryId,
    td3_1b,
)

APPROVED = "urn:oasis:names:tc:ebxml-regrep:StatusType:Approved"
ARCHIVED = "urn:asip:ci-sis:2010:StatusType:Archived"
DEPRECATED = "urn:oasis:names:tc:ebxml-regrep:StatusType:Deprecated"
DELETED = "urn:asip:ci-sis:2010:StatusType:Deleted"
OTHER_PS = ("899900099997", "AUTRE", "PAUL")


def search(h: Harness, ctx: RequestContext, patient: INS, query: object) -> QueryResponse:
    reply = h.call(tg.build_registry_stored_query_request(ctx, patient, query, limits=None))  # type: ignore[arg-type]
    return tg.parse_registry_stored_query_response(reply.ok_message)


def search_error(h: Harness, ctx: RequestContext, patient: INS, query: object) -> RegistryError:
    reply = h.call(tg.build_registry_stored_query_request(ctx, patient, query, limits=None))  # type: ignore[arg-type]
    error = error_of(tg.parse_registry_stored_query_response, reply.ok_message)
    assert isinstance(error, RegistryError)
    return error


def uids(response: QueryResponse) -> set[str]:
    return {d.unique_id or "" for d in response.documents}


def update_ok(h: Harness, request: SoapRequest) -> None:
    assert tg.parse_update_availability_status_response(h.call(request).ok_message).ok


def update_error(h: Harness, request: SoapRequest) -> DMPError:
    return error_of(tg.parse_update_availability_status_response, h.call(request).ok_message)


def other_ps(h: Harness, patient: INS) -> RequestContext:
    """A physician with a valid authorisation who authored nothing and is not the MT."""
    h.admin.set_authorization(patient.matricule, OTHER_PS[0], "VALIDE")
    return h.ctx(who=professional(OTHER_PS), structure=Structure.create("499900099997001", "CABINET AUTRE"))


# ------------------------------------------------------------------------------------- TD3.1 access


def test_consultation_needs_a_valid_authorisation(h: Harness) -> None:
    for patient in (PAT_TROIS, EXPIRE):
        error = search_error(h, h.ctx(), patient, FindDocuments(patient_id=patient))
        assert error.code == "DMPAccessDeniedByRightsService"
        assert error.message_fr is not None
        assert "autorisation" in error.message_fr
    h.admin.set_authorization(PAT_TROIS.matricule, "899900063480", "VALIDE")
    assert search(h, h.ctx(), PAT_TROIS, FindDocuments(patient_id=PAT_TROIS)).ok


def test_blocked_professional_is_refused_even_in_bris_de_glace(h: Harness) -> None:
    for access in (AccessMode.NORMAL, AccessMode.BRIS_DE_GLACE):
        error = search_error(h, h.ctx(access=access), BLOCH, FindDocuments(patient_id=BLOCH))
        assert error.code == "DMPAccessForbidden"
    other = h.ctx(who=professional(MACHEPRO))  # authorised on BLOCH
    assert search(h, other, BLOCH, FindDocuments(patient_id=BLOCH)).ok


def test_bris_de_glace_and_centre_15_bypass_the_authorisation(h: Harness) -> None:
    assert search_error(h, h.ctx(), URGENCE, FindDocuments(patient_id=URGENCE)).code == "DMPAccessDeniedByRightsService"
    for access in (AccessMode.BRIS_DE_GLACE, AccessMode.CENTRE_15):
        assert search(h, h.ctx(access=access), URGENCE, FindDocuments(patient_id=URGENCE)).documents


def test_oppositions_to_emergency_access(h: Harness) -> None:
    c15 = h.ctx(access=AccessMode.CENTRE_15)
    bdg = h.ctx(access=AccessMode.BRIS_DE_GLACE)
    error = search_error(h, c15, VUN_UN, FindDocuments(patient_id=VUN_UN))
    assert error.code == "DMPAccessForbidden"
    assert error.message_fr is not None
    assert "centre 15" in error.message_fr
    assert search(h, bdg, VUN_UN, FindDocuments(patient_id=VUN_UN)).ok  # PAT-VUN-UN opposed centre 15 only
    assert search_error(h, bdg, VUN_DEUX, FindDocuments(patient_id=VUN_DEUX)).code == "DMPAccessForbidden"
    h.admin.set_patient_state(VUN_DEUX.matricule, opposition_bris_de_glace=False)
    assert search(h, bdg, VUN_DEUX, FindDocuments(patient_id=VUN_DEUX)).ok


def test_no_dmp_and_closed_dmp(h: Harness) -> None:
    assert search_error(h, h.ctx(), CONTESTE, FindDocuments(patient_id=CONTESTE)).code == "XDSUnknownPatientId"
    assert search_error(h, h.ctx(), FERMETURE, FindDocuments(patient_id=FERMETURE)).code == "DMPClosed"


def test_cpe_searches_references_of_its_structure_only(h: Harness) -> None:
    cpe = h.ctx(
        who=professional(
            ("499900063480001/CPE0001", "SECRETAIRE", "ANNE"),
            profession="SECRETARIAT_MEDICAL",
            specialty=None,
            card=CardType.CPE,
        )
    )
    error = search_error(h, cpe, PATB4, FindDocuments(patient_id=PATB4))
    assert error.code == "DMPAccessDeniedByRightsService"
    refs = search(h, cpe, PATB4, td3_1b(seed_unique_id("patb4-v2"))).object_refs
    assert [r.id for r in refs] == [seed_entry_uuid("patb4-v2")]


def test_air_consults_and_pe_cannot(h: Harness) -> None:
    air = h.ctx(mode=AuthenticationMode.INDIRECTE_RENFORCEE, who=professional(card=None))
    assert search(h, air, PATB4, FindDocuments(patient_id=PATB4)).documents
    pe = h.ctx(
        mode=AuthenticationMode.INDIRECTE_RENFORCEE,
        who=professional(
            ("10B0156832/PE01", "AGENT", "LEA"), profession="SECRETARIAT_MEDICAL", specialty=None, card=None
        ),
    )
    h.admin.set_authorization(PATB4.matricule, "10B0156832/PE01", "VALIDE")
    assert search_error(h, pe, PATB4, FindDocuments(patient_id=PATB4)).code == "DMPAccessDeniedByRightsService"


# --------------------------------------------------------------------------------- TD3.1 visibility


def test_official_example_documents_and_masked_ones(h: Harness) -> None:
    mt = search(h, h.ctx(), PATB4, FindDocuments(patient_id=PATB4))
    assert len(mt.documents) == 24  # 21 of the official TD3.1 example + masked + replacement + unmasked v2
    assert seed_unique_id("patb4-masked") in uids(mt)  # MT: note D "oui"
    author = search(h, h.ctx(who=professional(MACHEPRO)), PATB4, FindDocuments(patient_id=PATB4))
    assert seed_unique_id("patb4-masked") in uids(author)  # note 6: own documents
    other = search(h, other_ps(h, PATB4), PATB4, FindDocuments(patient_id=PATB4))
    assert uids(mt) - uids(other) == {seed_unique_id("patb4-masked")}
    invisible = [d for d in mt.documents if any(c.code == "INVISIBLE_PATIENT" for c in d.confidentiality_codes)]
    assert len(invisible) == 3


def test_masked_documents_in_emergency_only_when_the_patient_allowed_it(h: Harness) -> None:
    bdg = h.ctx(access=AccessMode.BRIS_DE_GLACE)
    allowed = search(h, bdg, PATB_TROIS, FindDocuments(patient_id=PATB_TROIS))
    assert seed_unique_id("patb3-masked") in uids(allowed)
    not_allowed = search(h, bdg, URGENCE, FindDocuments(patient_id=URGENCE))
    assert seed_unique_id("urgence-masked") not in uids(not_allowed)
    assert uids(not_allowed)


def test_statuses_archived_deprecated_and_metadata_versions(h: Harness) -> None:
    ctx = h.ctx()
    archived = search(h, ctx, PATB4, FindDocuments(patient_id=PATB4, status=["archived"]))
    assert uids(archived) == {seed_unique_id("patb4-archived")}
    deprecated = search(h, ctx, PATB4, FindDocuments(patient_id=PATB4, status=["deprecated"]))
    assert uids(deprecated) == {seed_unique_id("patb4-v1"), seed_unique_id("patb4-unmasked")}
    versions = {d.unique_id: d for d in search(h, ctx, PATB4, FindDocuments(patient_id=PATB4)).documents}
    unmasked = versions[seed_unique_id("patb4-unmasked")]
    assert unmasked.version == "2"
    assert unmasked.logical_id == seed_entry_uuid("patb4-unmasked", 1)
    assert unmasked.entry_uuid == seed_entry_uuid("patb4-unmasked", 2)


def test_signature_entries_are_not_returned(h: Harness) -> None:
    prepared = h.submission(PATB4)
    assert tr.parse_provide_and_register_response(h.call(prepared.request).ok_message).response.ok
    found = uids(search(h, h.ctx(), PATB4, FindDocuments(patient_id=PATB4)))
    assert prepared.document_unique_ids[0] in found
    assert prepared.signature_unique_id not in found
    h.admin.set_parameters(hide_signatures=False)
    assert prepared.signature_unique_id in uids(search(h, h.ctx(), PATB4, FindDocuments(patient_id=PATB4)))


def test_filters_times_codes_and_confidentiality(h: Harness) -> None:
    ctx = h.ctx()
    dated = search(h, ctx, ALOT, FindDocuments(patient_id=ALOT, creation_time_from="2019", creation_time_to="20230101"))
    assert uids(dated) == {seed_unique_id("alot-2"), seed_unique_id("alot-3")}
    labs = search(h, ctx, PATB4, FindDocuments(patient_id=PATB4, type_codes=[("11502-2", "2.16.840.1.113883.6.1")]))
    assert uids(labs) == {seed_unique_id("patb4-39")}
    invisible = search(
        h,
        ctx,
        PATB4,
        FindDocuments(patient_id=PATB4, confidentiality_codes=[("INVISIBLE_PATIENT", "1.2.250.1.213.1.1.4.13")]),
    )
    assert uids(invisible) == {seed_unique_id("patb4-kit-1"), seed_unique_id("patb4-kit-2"), seed_unique_id("patb4-28")}
    by_author = search(h, ctx, PATB4, FindDocuments(patient_id=PATB4, author_persons=["899900062490^MACHEPRO%"]))
    assert seed_unique_id("patb4-24") in uids(by_author)
    assert seed_unique_id("patb4-v2") not in uids(by_author)


# ------------------------------------------------------------------------------ TD3.1 parameters


def _adhoc(query_id: str, slots: dict[str, list[str]], return_type: str = "LeafClass") -> AdhocQueryRequest:
    return AdhocQueryRequest(query_id=query_id, slots=slots, return_type=return_type)


def test_unknown_stored_query(h: Harness) -> None:
    error = search_error(h, h.ctx(), PATB4, _adhoc("urn:uuid:00000000-0000-4000-8000-000000000000", {}))
    assert error.code == "XDSUnknownStoredQuery"
    assert search(
        h,
        h.ctx(),
        PATB4,
        _adhoc(
            StoredQueryId.FIND_DOCUMENTS.value,
            {"$XDSDocumentEntryStatus": ["('urn:oasis:names:tc:ebxml-regrep:StatusType:Approved')"]},
        ),
    ).documents


def test_missing_parameter(h: Harness) -> None:
    error = search_error(h, h.ctx(), PATB4, _adhoc(StoredQueryId.GET_ASSOCIATIONS.value, {}))
    assert error.code == "XDSStoredQueryMissingParam"
    assert error.location == "$uuid"
    found = search(h, h.ctx(), PATB4, GetAssociations(uuids=[seed_entry_uuid("patb4-v2")]))
    assert {a.type.name for a in found.associations} == {"HAS_MEMBER", "RPLC"}  # type: ignore[union-attr]


def test_malformed_time_parameter(h: Harness) -> None:
    slots = {
        "$XDSDocumentEntryPatientId": [f"'{PATB4.to_cx()}'"],
        "$XDSDocumentEntryStatus": ["('urn:oasis:names:tc:ebxml-regrep:StatusType:Approved')"],
        "$XDSDocumentEntryCreationTimeFrom": ["0240206000000"],
    }
    error = search_error(h, h.ctx(), PATB4, _adhoc(StoredQueryId.FIND_DOCUMENTS.value, slots))
    assert (error.code, error.message_fr) == ("XDSRegistryError", "Le format du paramètre est incorrect")
    slots["$XDSDocumentEntryCreationTimeFrom"] = ["20100101000000"]
    assert search(h, h.ctx(), PATB4, _adhoc(StoredQueryId.FIND_DOCUMENTS.value, slots)).ok


@pytest.mark.parametrize(
    ("param", "limit", "make"),
    [
        ("$XDSDocumentEntryUniqueId", 20, lambda i: f"1.2.3.{i}"),
        ("$XDSDocumentEntryEntryUUID", 88, lambda i: f"urn:uuid:00000000-0000-4000-8000-{i:012d}"),
    ],
)
def test_value_count_limits(h: Harness, param: str, limit: int, make: Callable[[int], str]) -> None:
    def query(n: int) -> AdhocQueryRequest:
        values = "(" + ",".join(f"'{make(i)}'" for i in range(n)) + ")"
        return _adhoc(StoredQueryId.GET_DOCUMENTS_AND_ASSOCIATIONS.value, {param: [values]})

    assert search_error(h, h.ctx(), PATB4, query(limit + 1)).code == "XDSRegistryError"
    assert search(h, h.ctx(), PATB4, query(limit)).ok


def test_uuid_limit_of_get_associations(h: Harness) -> None:
    values = "(" + ",".join(f"'urn:uuid:00000000-0000-4000-8000-{i:012d}'" for i in range(1001)) + ")"
    assert search_error(h, h.ctx(), PATB4, _adhoc(StoredQueryId.GET_ASSOCIATIONS.value, {"$uuid": [values]})).code == (
        "XDSRegistryError"
    )


def test_patient_id_may_be_omitted_but_not_differ(h: Harness) -> None:
    status = {"$XDSDocumentEntryStatus": ["('urn:oasis:names:tc:ebxml-regrep:StatusType:Approved')"]}
    assert len(search(h, h.ctx(), PATB4, _adhoc(StoredQueryId.FIND_DOCUMENTS.value, status)).documents) == 24
    error = search_error(h, h.ctx(), PATB4, FindDocuments(patient_id=ALOT))
    assert error.code == "DMPInvalidResourceId"


# ----------------------------------------------------------------------- threshold and notifications


def test_over_solicitation_threshold_does_not_block_feeding(h: Harness) -> None:
    h.admin.set_parameters(search_threshold=3, search_window_seconds=60)
    for _ in range(3):
        assert search(h, h.ctx(), PATB4, FindDocuments(patient_id=PATB4)).ok
    error = search_error(h, h.ctx(), PATB4, FindDocuments(patient_id=PATB4))
    assert error.code == "DMPAccessDeniedByExcededThreshold"
    assert tr.parse_provide_and_register_response(h.call(h.submission(PATB4).request).ok_message).response.ok
    assert search(h, h.ctx(who=professional(MACHEPRO)), PATB4, FindDocuments(patient_id=PATB4)).ok  # another caller
    h.clock.advance(61)
    assert search(h, h.ctx(), PATB4, FindDocuments(patient_id=PATB4)).ok


def test_every_td31_notifies_the_patient_td31b_does_not(h: Harness) -> None:
    search(h, h.ctx(), PATB4, FindDocuments(patient_id=PATB4))
    search(h, h.ctx(), PATB4, td3_1b(seed_unique_id("patb4-v2")))
    search(h, h.ctx(access=AccessMode.BRIS_DE_GLACE), PATB4, FindDocuments(patient_id=PATB4))
    notes = h.admin.notifications(PATB4.matricule)
    assert [(n["transaction"], n["access_mode"]) for n in notes] == [("TD3.1", "normal"), ("TD3.1", "bris_de_glace")]
    assert notes[0]["caller_id"] == "899900063480"


# ------------------------------------------------------------------------------------- other queries


def test_td31b_gives_the_current_entry_uuid(h: Harness) -> None:
    refs = search(h, h.ctx(), PATB4, td3_1b(seed_unique_id("patb4-unmasked"))).object_refs
    assert [r.id for r in refs] == [seed_entry_uuid("patb4-unmasked", 2)]


def test_submission_sets_related_documents_and_contents(h: Harness) -> None:
    ctx = h.ctx()
    lots = search(h, ctx, ALOT, FindSubmissionSets(patient_id=ALOT, submission_time_from="2022"))
    assert len(lots.submission_sets) == 2
    lot_uuid = lots.submission_sets[0].entry_uuid or ""
    contents = search(h, ctx, ALOT, GetSubmissionSetAndContents(uuid=lot_uuid))
    assert len(contents.documents) == 1
    assert len(contents.submission_sets) == 1
    related = search(h, ctx, PATB4, GetRelatedDocuments(uuid=seed_entry_uuid("patb4-v2")))
    assert uids(related) == {seed_unique_id("patb4-v2"), seed_unique_id("patb4-v1")}
    both = search(h, ctx, PATB4, GetDocumentsAndAssociations(unique_ids=[seed_unique_id("patb4-v2")]))
    assert len(both.documents) == 1
    assert {a.type.name for a in both.associations} == {"HAS_MEMBER", "RPLC"}
    # another patient's objects are never returned
    assert not search(h, ctx, ALOT, GetDocuments(uuids=[seed_entry_uuid("patb4-v2")])).documents


# ------------------------------------------------------------------------------------------------ TD3.2


def retrieve(h: Harness, ctx: RequestContext, patient: INS, uid: str, **kwargs: str) -> tr.RetrieveResult:
    return tr.parse_retrieve_document_set_response(
        h.call(tr.build_retrieve_document_set_request(ctx, patient, uid, **kwargs)).ok_message
    )


def retrieve_error(h: Harness, ctx: RequestContext, patient: INS, uid: str, **kwargs: str) -> DMPError:
    reply = h.call(tr.build_retrieve_document_set_request(ctx, patient, uid, **kwargs))
    return error_of(tr.parse_retrieve_document_set_response, reply.ok_message)


def test_retrieve_returns_the_stored_bytes(h: Harness) -> None:
    uid = seed_unique_id("patb4-24")
    result = retrieve(h, h.ctx(), PATB4, uid)
    assert result.documents[0].read_bytes() == h.admin.document_content(uid)


def test_retrieve_by_entry_uuid_is_a_soap_fault(h: Harness) -> None:
    request = tr.build_retrieve_document_set_request(h.ctx(), PATB4, seed_unique_id("patb4-24"))
    envelope = copy.deepcopy(request.envelope)
    target = next(envelope.iter(q("xdsb", "DocumentUniqueId")))
    target.text = seed_entry_uuid("patb4-24")
    reply = h.call(SoapRequest(request.service, request.action, envelope, transaction="TD3.2"))
    assert reply.fault is not None
    assert reply.fault.subcodes == ("XDSDocumentUniqueIdError",)
    assert retrieve(h, h.ctx(), PATB4, seed_unique_id("patb4-24")).documents


def test_retrieve_unknown_document_and_repository(h: Harness) -> None:
    assert retrieve_error(h, h.ctx(), PATB4, "1.2.3.4.5").code == "XDSMissingDocument"
    error = retrieve_error(h, h.ctx(), PATB4, seed_unique_id("patb4-24"), repository_unique_id="1.2.3")
    assert error.code == "XDSUnknownRepositoryId"
    assert retrieve_error(h, h.ctx(), PATB4, seed_unique_id("alot-1")).code == "XDSMissingDocument"  # other DMP


def test_retrieve_masked_document(h: Harness) -> None:
    uid = seed_unique_id("patb4-masked")
    assert retrieve(h, h.ctx(), PATB4, uid).documents  # MT
    assert retrieve(h, h.ctx(who=professional(MACHEPRO)), PATB4, uid).documents  # author (note 6)
    error = retrieve_error(h, other_ps(h, PATB4), PATB4, uid)
    assert error.code == "DMPAccessDeniedByRightsService"
    bdg = h.ctx(access=AccessMode.BRIS_DE_GLACE)
    assert retrieve_error(h, bdg, URGENCE, seed_unique_id("urgence-masked")).code == "DMPAccessDeniedByRightsService"
    assert retrieve(h, bdg, PATB_TROIS, seed_unique_id("patb3-masked")).documents  # note 7: the patient allowed it


def test_occupational_physician_reads_nothing(h: Harness) -> None:
    work = h.ctx(structure=Structure.create("499900099989001", "SERVICE DE SANTE AU TRAVAIL", secteur_activite="SA13"))
    assert retrieve_error(h, work, PATB4, seed_unique_id("patb4-24")).code == "DMPAccessDeniedByRightsService"
    assert retrieve(h, h.ctx(), PATB4, seed_unique_id("patb4-24")).documents


def test_retrieve_needs_the_consultation_rights(h: Harness) -> None:
    assert retrieve_error(h, h.ctx(), BLOCH, "1.2.3.4").code == "DMPAccessForbidden"
    assert retrieve_error(h, h.ctx(), PAT_TROIS, "1.2.3.4").code == "DMPAccessDeniedByRightsService"


def test_retrieve_streams_from_the_documents_folder(tmp_path: Path) -> None:
    h = Harness(documents_dir=tmp_path / "docs")
    try:
        uid = seed_unique_id("patb4-24")
        content = h.store.get_content(uid)
        assert content is not None
        assert content.path is not None
        assert content.path.parent == tmp_path / "docs"
        reply = h.call(tr.build_retrieve_document_set_request(h.ctx(), PATB4, uid))
        assert reply.response is not None
        assert reply.response.attachments[0].source == content.path
        assert tr.parse_retrieve_document_set_response(reply.ok_message).documents[0].read_bytes() == (
            content.path.read_bytes()
        )
    finally:
        h.close()


# ------------------------------------------------------------------------------------------- TD3.3c/d


def test_archive_unarchive_own_document(h: Harness) -> None:
    uuid = seed_entry_uuid("hall-1")
    update_ok(h, tg.build_archive_request(h.ctx(), HALL, uuid, submission_set=LOT))
    assert h.store.get_entry(uuid).status == ARCHIVED  # type: ignore[union-attr]
    update_ok(h, tg.build_unarchive_request(h.ctx(), HALL, uuid, submission_set=LOT))
    history = h.admin.document_history(uuid)
    assert [c["new_status"].rsplit(":", 1)[1] for c in history] == ["Approved", "Archived", "Approved"]


def test_only_own_documents_unless_mt(h: Harness) -> None:
    theirs = seed_entry_uuid("hall-other")
    error = update_error(h, tg.build_archive_request(h.ctx(), HALL, theirs, submission_set=LOT))
    assert error.code == "DMPAccessDeniedByRightsService"
    assert "auteur" in (error.message_fr or "")
    # the MT archives any document (526 column D: "oui"), but deletes only his own (note 8)
    update_ok(h, tg.build_archive_request(h.ctx(), PATB4, seed_entry_uuid("patb4-24"), submission_set=LOT))
    delete = tg.build_delete_request(h.ctx(), PATB4, seed_entry_uuid("patb4-25"), submission_set=LOT)
    assert update_error(h, delete).code == "DMPAccessDeniedByRightsService"


def test_structure_deletes_its_documents_in_indirect_mode(h: Harness) -> None:
    indirect = h.ctx(mode=AuthenticationMode.INDIRECTE, who=professional(card=None))
    prepared = h.submission(PAT_TROIS, [h.cda(PAT_TROIS, ctx=indirect)], ctx=indirect)
    assert tr.parse_provide_and_register_response(h.call(prepared.request).ok_message).response.ok
    uuid = h.current_uuid(prepared.document_unique_ids[0])
    foreign = h.ctx(
        mode=AuthenticationMode.INDIRECTE,
        who=professional(card=None),
        structure=Structure.create(
            "10B0130811", "AUTRE HOPITAL", secteur_activite="SA01", cadre_exercice="ETABLISSEMENT", finess_level="EG"
        ),
    )
    assert update_error(h, tg.build_delete_request(foreign, PAT_TROIS, uuid, submission_set=LOT)).code == (
        "DMPAccessDeniedByRightsService"
    )
    update_ok(h, tg.build_delete_request(indirect, PAT_TROIS, uuid, submission_set=LOT))


def test_original_status_and_transitions(h: Harness) -> None:
    uuid = seed_entry_uuid("hall-1")
    wrong_original = tg.build_update_availability_status_request(
        h.ctx(), HALL, uuid, original_status=ARCHIVED, new_status=DELETED, submission_set=LOT
    )
    assert update_error(h, wrong_original).code == "XDSMetadataUpdateOperationError"
    forbidden = tg.build_update_availability_status_request(
        h.ctx(),
        HALL,
        uuid,
        original_status=APPROVED,
        new_status=APPROVED,
        submission_set=LOT,
        check=False,
        validate=False,
    )
    error = update_error(h, forbidden)
    assert error.code == "XDSMetadataUpdateOperationError"
    assert "Approved → Approved" in (error.message_fr or "")
    update_ok(h, tg.build_delete_request(h.ctx(), HALL, uuid, submission_set=LOT))
    undelete = tg.build_update_availability_status_request(
        h.ctx(),
        HALL,
        uuid,
        original_status=DELETED,
        new_status=APPROVED,
        submission_set=LOT,
        check=False,
        validate=False,
    )
    assert update_error(h, undelete).code == "XDSMetadataUpdateOperationError"


def test_stale_entry_uuid_and_deprecated_document(h: Harness) -> None:
    stale = tg.build_archive_request(h.ctx(), PATB4, seed_entry_uuid("patb4-unmasked", 1), submission_set=LOT)
    assert update_error(h, stale).code == "XDSMetadataVersionError"
    update_ok(h, tg.build_archive_request(h.ctx(), PATB4, seed_entry_uuid("patb4-unmasked", 2), submission_set=LOT))
    deprecated = tg.build_delete_request(h.ctx(), PATB4, seed_entry_uuid("patb4-v1"), submission_set=LOT)
    assert update_error(h, deprecated).code == "XDSRegistryDeprecatedDocumentError"
    unknown = tg.build_delete_request(
        h.ctx(), PATB4, "urn:uuid:00000000-0000-4000-8000-000000000009", submission_set=LOT
    )
    assert update_error(h, unknown).code == "UnresolvedReferenceException"


def test_deleting_the_current_version_deletes_its_deprecated_versions(h: Harness) -> None:
    update_ok(h, tg.build_delete_request(h.ctx(), PATB4, seed_entry_uuid("patb4-v2"), submission_set=LOT))
    for key in ("patb4-v2", "patb4-v1"):
        assert h.store.get_entry(seed_entry_uuid(key)).status == DELETED  # type: ignore[union-attr]
    # deleted documents can still be read by a professional (rights matrix row "Documents supprimés")
    assert retrieve(h, h.ctx(), PATB4, seed_unique_id("patb4-v1")).documents


def _patient_document(h: Harness) -> str:
    """A patient-authored document (classCode 90) stored directly in PATB-QUATRE's DMP."""
    base = h.store.get_entry(seed_entry_uuid("patb4-24"))
    assert base is not None
    meta = base.metadata.replace_fields(
        class_code=Code("90", "1.2.250.1.213.1.1.4.1", "Expression personnelle du patient"),
        practice_setting_code=Code("EXP_PATIENT", "1.2.250.1.213.1.1.4.9", "Expression patient"),
        unique_id="1.2.250.1.999.1.1.9900.9.1",
    )
    uuid = "urn:uuid:11111111-2222-4333-8444-555555555555"
    h.store.insert_entry(
        EntryRecord(
            uuid, uuid, 1, "1.2.250.1.999.1.1.9900.9.1", base.patient_id, APPROVED, True, meta, created_at=h.clock.now()
        )
    )
    return uuid


def test_patient_documents_archived_by_the_mt_only(h: Harness) -> None:
    uuid = _patient_document(h)
    author = h.ctx(who=professional(MACHEPRO))  # the XDS author, but not the MT
    assert update_error(h, tg.build_archive_request(author, PATB4, uuid, submission_set=LOT)).message_fr == (
        "Seul le médecin traitant peut effectuer cette action sur un document du patient"
    )
    update_ok(h, tg.build_archive_request(h.ctx(), PATB4, uuid, submission_set=LOT))


def test_bris_de_glace_cannot_archive_as_non_physician(h: Harness) -> None:
    nurse = h.ctx(
        access=AccessMode.BRIS_DE_GLACE,
        who=professional(("899900099971", "INFIRMIERE", "IRMA"), profession="60", specialty=None),
    )
    mine = h.submission(URGENCE, [h.cda(URGENCE, ctx=nurse)], ctx=nurse)
    assert tr.parse_provide_and_register_response(h.call(mine.request).ok_message).response.ok
    uuid = h.current_uuid(mine.document_unique_ids[0])
    assert update_error(h, tg.build_archive_request(nurse, URGENCE, uuid, submission_set=LOT)).code == (
        "DMPAccessDeniedByRightsService"
    )
    normal = h.ctx(who=professional(("899900099971", "INFIRMIERE", "IRMA"), profession="60", specialty=None))
    update_ok(h, tg.build_archive_request(normal, URGENCE, uuid, submission_set=LOT))


# ------------------------------------------------------------------------------------------- TD3.3a/b


def current(h: Harness, key_or_uid: str) -> DocumentEntry:
    uid = key_or_uid if key_or_uid[0].isdigit() else seed_unique_id(key_or_uid)
    entry = h.store.latest_by_unique_id(uid)
    assert entry is not None
    return entry.metadata


def metadata_ok(h: Harness, request: SoapRequest) -> str:
    reply = h.call(request)
    assert tg.parse_update_document_metadata_response(reply.ok_message).ok
    return reply.td


def metadata_error(h: Harness, request: SoapRequest) -> DMPError:
    return error_of(tg.parse_update_document_metadata_response, h.call(request).ok_message)


def edited(
    ctx: RequestContext, request: SoapRequest, patient: INS, edit: Callable[[SubmissionRequest], None]
) -> SoapRequest:
    """The same ITI-57 request with its metadata edited (client-side guards bypassed)."""
    payload = parse_envelope(request.envelope).payload
    assert payload is not None
    submission = ebrim.from_submit_objects_request(payload)
    edit(submission)
    return ctx.request(tg.TD3_3A, ebrim.to_submit_objects_request(submission), patient=patient)


def test_mask_and_unmask_create_new_metadata_versions(h: Harness) -> None:
    before = current(h, "hall-1")
    assert (
        metadata_ok(
            h, tg.build_update_document_metadata_request(h.ctx(), before, ["N", "MASQUE_PS"], submission_set=LOT)
        )
        == "TD3.3a"
    )
    masked = current(h, "hall-1")
    assert masked.version == "2"
    assert masked.entry_uuid != before.entry_uuid
    assert masked.logical_id == before.logical_id
    assert [c.code for c in masked.confidentiality_codes] == ["N", "MASQUE_PS"]
    assert h.store.get_entry(before.entry_uuid or "").status == DEPRECATED  # type: ignore[union-attr]
    metadata_ok(h, tg.build_update_document_metadata_request(h.ctx(), masked, ["N"], submission_set=LOT))
    assert current(h, "hall-1").version == "3"


def test_previous_version_must_be_the_current_one(h: Harness) -> None:
    before = current(h, "hall-1")
    metadata_ok(h, tg.build_update_document_metadata_request(h.ctx(), before, ["N", "MASQUE_PS"], submission_set=LOT))
    stale = tg.build_update_document_metadata_request(h.ctx(), before, ["N", "MASQUE_PS"], submission_set=LOT)
    error = metadata_error(h, stale)
    assert error.code == "XDSMetadataVersionError"
    metadata_ok(h, tg.build_update_document_metadata_request(h.ctx(), current(h, "hall-1"), ["N"], submission_set=LOT))


def test_author_data_cannot_change(h: Harness) -> None:
    ctx = h.ctx()
    request = tg.build_update_document_metadata_request(
        ctx, current(h, "hall-1"), ["N", "MASQUE_PS"], submission_set=LOT
    )

    def rename_author(sub: SubmissionRequest) -> None:
        doc = sub.documents[0]
        author = doc.authors[0]
        assert author.person is not None
        renamed = author.model_copy(update={"person": Person.dmp(author.person.id or "", "DUPONT", "JEAN")})
        sub.documents[0] = doc.replace_fields(authors=(renamed,))

    error = metadata_error(h, edited(ctx, request, HALL, rename_author))
    assert (error.code, error.message_fr) == (
        "XDSRegistryMetadataError",
        "Les données d'un auteur ne peuvent pas être modifiées",
    )

    def retitle(sub: SubmissionRequest) -> None:
        sub.documents[0] = sub.documents[0].replace_fields(title="Nouveau titre")

    error = metadata_error(h, edited(ctx, request, HALL, retitle))
    assert error.code == "XDSRegistryMetadataError"
    assert "confidentialité" in (error.message_fr or "")
    metadata_ok(h, request)


def test_invisible_codes_are_only_removable(h: Harness) -> None:
    ctx = h.ctx()
    visible = tg.build_update_document_metadata_request(
        ctx, current(h, "attribut-invisible"), ["N"], submission_set=LOT
    )
    assert metadata_ok(h, visible) == "TD3.3b"
    back = tg.build_update_document_metadata_request(
        ctx, current(h, "attribut-invisible"), ["N", "MASQUE_PS"], submission_set=LOT
    )

    def make_invisible(sub: SubmissionRequest) -> None:
        doc = sub.documents[0]
        sub.documents[0] = doc.replace_fields(
            confidentiality_codes=(
                Code("N", "2.16.840.1.113883.5.25", "Normal"),
                Code("INVISIBLE_PATIENT", "1.2.250.1.213.1.1.4.13", "Non visible par le patient"),
            )
        )

    error = metadata_error(h, edited(ctx, back, ATTRIBUT, make_invisible))
    assert error.code == "XDSRegistryMetadataError"
    assert "INVISIBLE_PATIENT" in (error.message_fr or "")
    metadata_ok(h, back)


def test_masking_someone_elses_document(h: Harness) -> None:
    theirs = current(h, "attribut-other")  # by Dr MACHEPRO
    assert (
        metadata_ok(
            h, tg.build_update_document_metadata_request(h.ctx(), theirs, ["N", "MASQUE_PS"], submission_set=LOT)
        )
        == "TD3.3a"
    )
    # masking is "oui" for any PS (526 rows TD3.3a), unmasking is note 8 — own documents only
    masked = current(h, "attribut-other")
    error = metadata_error(h, tg.build_update_document_metadata_request(h.ctx(), masked, ["N"], submission_set=LOT))
    assert error.code == "DMPAccessDeniedByRightsService"
    author = h.ctx(who=professional(MACHEPRO), structure=HOPITAL)
    metadata_ok(h, tg.build_update_document_metadata_request(author, masked, ["N"], submission_set=LOT))


def test_no_confidentiality_change_in_bris_de_glace(h: Harness) -> None:
    bdg = h.ctx(access=AccessMode.BRIS_DE_GLACE)
    request = tg.build_update_document_metadata_request(
        bdg, current(h, "urgence-1"), ["N", "MASQUE_PS"], submission_set=LOT
    )
    assert metadata_error(h, request).code == "DMPAccessDeniedByRightsService"
    h.admin.set_authorization(URGENCE.matricule, "899900063480", "VALIDE")
    metadata_ok(
        h,
        tg.build_update_document_metadata_request(
            h.ctx(), current(h, "urgence-1"), ["N", "MASQUE_PS"], submission_set=LOT
        ),
    )


def test_td33_lot_unique_id_and_cabinet_context(h: Harness) -> None:
    request = tg.build_archive_request(h.ctx(structure=CABINET), HALL, seed_entry_uuid("hall-2"), submission_set=LOT)
    update_ok(h, request)
    lot = parse_envelope(request.envelope).payload
    assert lot is not None
    ids = [
        e.get("value")
        for e in lot.iter(q("rim", "ExternalIdentifier"))
        if e.get("identificationScheme") == "urn:uuid:96fdda7c-d067-4183-912e-bf5ee74998a8"
    ]
    assert h.store.submission_set_by_unique_id(ids[0] or "") is not None
    assert dt.datetime.now(dt.UTC).year >= 2024


def test_reference_ids_and_submission_sets_of_documents(h: Harness) -> None:
    from dmpclient.transactions.submission import DocumentToSubmit
    from dmpclient.xds.queries import FindDocumentsByReferenceId, GetSubmissionSets

    built = h.cda(PATB4)
    accession = "ACC-2026-1^^^&1.2.250.1.999.1.1.7898.5&ISO^urn:ihe:iti:xds:2013:accession"
    entry = DocumentToSubmit.from_cda(built).metadata().replace_fields(reference_ids=(accession,))
    prepared = h.submission(PATB4, [DocumentToSubmit(built, entry=entry)])
    assert tr.parse_provide_and_register_response(h.call(prepared.request).ok_message).response.ok
    found = search(h, h.ctx(), PATB4, FindDocumentsByReferenceId(patient_id=PATB4, reference_ids=[accession]))
    assert uids(found) == {built.unique_id}
    uuid = h.current_uuid(built.unique_id)
    lots = search(h, h.ctx(), PATB4, GetSubmissionSets(uuids=[uuid]))
    assert [s.unique_id for s in lots.submission_sets] == [prepared.submission_set_unique_id]

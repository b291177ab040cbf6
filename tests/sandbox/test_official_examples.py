"""The official GIE request examples (``../shared/fixtures/dmp-official-examples``), processed by the sandbox.

What the examples are, and therefore what the sandbox can do with them:

* every request example embeds the **unsigned** VIHF 3.0 of 26/06/2019 (assertion ``_ce088e5a…``, Dr Max LIBRE,
  cabinet ``499900063480001``, PATB-QUATRE ``207058575627097``, normal access). They are processed with the
  sandbox clock set to their ``IssueInstant`` and ``require_signature=False`` (an unsigned token is refused
  otherwise, which the platform tests show); SHA-1 is allowed. The answers are compared with the official
  responses where the seed holds the same facts (TD0.2, TD0.3);
* the three **signed** VIHF examples (2019–2020, IGC-Santé TEST certificates, RSA-SHA1) cannot be accepted: their
  SignatureValue verifies but the assertion digest does not — the assertions were edited after signing
  (``dmp-official-examples/README.md`` "Signature verification"). The sandbox refuses them for that reason
  (before the certificate chain, which is not ours anyway);
* the **TD2.1** example's XAdES signature verifies (SignedInfo references, SignatureValue, as of its 2019
  SigningTime with SHA-1) but its manifest does not describe the lot sent with it: it references the uniqueIds
  ``…7898.3.9956570900`` / ``…7898.4.9956570902`` while the submission's document is ``…7898.3.1622814651504``,
  and even mapped onto the CDA part its digest does not match. The sandbox refuses the submission with
  ``XDSRegistryMetadataError`` « La signature du lot de soumission est invalide » — what the DMP would answer;
* TD3.2 and TD3.3c/d target documents of the GIE test DMP (uniqueId ``1.2.250.1.999.1.1.7898.1.995657292``,
  entryUUID ``urn:uuid:fe5287a2-ae6a-11eb-8f5d-0050569e422e``) which the seed does not reuse (own uniqueIds):
  the sandbox answers ``XDSMissingDocument`` / ``UnresolvedReferenceException``; once such a document is placed
  in the store with those ids, the requests succeed like the official responses;
* TD0.5's VIHF is in **normal** access mode: TD0.5 is reserved to régulation (PDT-INF-526), so the sandbox answers
  ``AE`` ``DMPAccessDeniedByRightsService`` (the official response, hand-made, shows a candidate).
"""

from __future__ import annotations

import copy
import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest
from behaviour_support import PATB4, Harness, error_of

from dmpclient import _xml
from dmpclient.environments import Service
from dmpclient.sandbox.auth import AuthError
from dmpclient.sandbox.seed import seed_entry_uuid
from dmpclient.sandbox.store import EntryRecord
from dmpclient.security import xmldsig
from dmpclient.security.xades import verify_submission_signature
from dmpclient.soap import SoapMessage, read_capture, read_message
from dmpclient.transactions import habilitations as th
from dmpclient.transactions import patients as tp
from dmpclient.transactions import patients_specific as tl
from dmpclient.transactions import pdq
from dmpclient.transactions import registry as tg
from dmpclient.transactions import repository as tr

EXAMPLE_TIME = dt.datetime(2019, 6, 26, 8, 9, tzinfo=dt.UTC)  # IssueInstant 2019-06-26T08:08:55.469Z + 5 s
WSSE = "{http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd}Security"
EXAMPLE_UNIQUE_ID = "1.2.250.1.999.1.1.7898.1.995657292"
EXAMPLE_ENTRY_UUID = "urn:uuid:fe5287a2-ae6a-11eb-8f5d-0050569e422e"


@pytest.fixture
def h() -> Iterator[Harness]:
    harness = Harness(now=EXAMPLE_TIME, require_signature=False, allow_sha1=True)
    yield harness
    harness.close()


def read(examples: Path, name: str) -> SoapMessage:
    return read_message("application/soap+xml", (examples / name).read_bytes())


def test_examples_carry_the_unsigned_2019_vihf(official_examples: Path) -> None:
    message = read(official_examples, "td0.2-test-existence.request.xml")
    assertion = message.envelope.assertion
    assert assertion is not None
    assert assertion.get("IssueInstant") == "2019-06-26T08:08:55.469Z"
    assert assertion.find("{http://www.w3.org/2000/09/xmldsig#}Signature") is None


def test_td02_gives_the_official_answer(h: Harness, official_examples: Path) -> None:
    reply = h.call_message(read(official_examples, "td0.2-test-existence.request.xml"), Service.PATIENTS)
    ours = tp.parse_test_existence_response(reply.ok_message)
    official = tp.parse_test_existence_response(read(official_examples, "td0.2-test-existence.response.xml"))
    assert (ours.exists, ours.authorization, ours.treating_physician, ours.patient_status) == (
        official.exists,
        official.authorization,
        official.treating_physician,
        official.patient_status,
    )
    assert ours.ins == official.ins == PATB4
    assert ours.attached_to_ens is not None
    assert official.attached_to_ens is False


def test_td03_gives_the_official_answer(h: Harness, official_examples: Path) -> None:
    reply = h.call_message(read(official_examples, "td0.3-mise-a-jour-autorisation.request.xml"), Service.HABILITATIONS)
    ours = th.parse_set_authorization_response(reply.ok_message)
    official = th.parse_set_authorization_response(
        read(official_examples, "td0.3-mise-a-jour-autorisation.response.xml")
    )
    assert (ours.status, ours.context) == (official.status, official.context)


def test_td13a_td16_td04(h: Harness, official_examples: Path) -> None:
    admin = tp.parse_administrative_data_response(
        h.call_message(
            read(official_examples, "td1.3a-consultation-donnees-administratives.request.xml"), Service.PATIENTS
        ).ok_message
    )
    assert admin.exists
    assert admin.ins == PATB4
    assert admin.opposition_bris_de_glace is False
    listing = th.parse_list_authorizations_response(
        h.call_message(
            read(official_examples, "td1.6-liste-ps-autorises-bloques.request.xml"), Service.HABILITATIONS
        ).ok_message
    )
    assert {i.national_id for i in listing} == {"899900063480", "899900062490"}
    patients = tl.parse_patient_list_response(
        h.call_message(
            read(official_examples, "td0.4-liste-dmp-autorises.request.xml"), Service.PATIENTS_SPECIFIC
        ).ok_message
    )
    assert patients.status == "DMPOk"
    assert len(patients)


def test_td05_in_normal_mode_is_refused(official_examples: Path) -> None:
    harness = Harness(now=dt.datetime(2019, 4, 4, 8, 15, 30, tzinfo=dt.UTC), require_signature=False, allow_sha1=True)
    try:
        reply = harness.call_message(
            read(official_examples, "td0.5-recherche-patient-sans-ins.request.xml"), Service.PATIENTS_PDQ
        )
        error = error_of(pdq.parse_patient_search_response, reply.ok_message)
        assert error.code == "DMPAccessDeniedByRightsService"
        assert "Recherche d'un patient sans INS" in (error.message_fr or "")
    finally:
        harness.close()


def test_td31_finds_the_seeded_documents(h: Harness, official_examples: Path) -> None:
    reply = h.call_message(read(official_examples, "td3.1-recherche-documents.request.xml"), Service.REGISTRY)
    ours = tg.parse_registry_stored_query_response(reply.ok_message)
    official = tg.parse_registry_stored_query_response(
        read(official_examples, "td3.1-recherche-documents.response.xml")
    )
    assert len(official.documents) == 21
    assert len(ours.documents) == 24
    titles = sorted(d.title or "" for d in official.documents)
    assert titles == sorted(d.title or "" for d in ours.documents if (d.title or "") in titles)


def _place_example_document(h: Harness, status: str) -> None:
    """Put a document with the GIE example's uniqueId and entryUUID in PATB-QUATRE's DMP, written by Dr LIBRE
    (the example's caller: an author, as TD3.3c/d require, note 8)."""
    base = h.store.get_entry(seed_entry_uuid("patb4-v2"))
    assert base is not None
    content = h.store.get_content(base.unique_id)
    assert content is not None
    meta = base.metadata.replace_fields(unique_id=EXAMPLE_UNIQUE_ID)
    h.store.put_content(
        EXAMPLE_UNIQUE_ID, content.read_bytes(), mime_type="text/xml", sha1=content.sha1, size=content.size
    )
    h.store.insert_entry(
        EntryRecord(
            EXAMPLE_ENTRY_UUID,
            EXAMPLE_ENTRY_UUID,
            1,
            EXAMPLE_UNIQUE_ID,
            base.patient_id,
            status,
            True,
            meta,
            created_at=EXAMPLE_TIME,
        )
    )


def test_td32_example_document(h: Harness, official_examples: Path) -> None:
    message = read(official_examples, "td3.2-consultation-document.request.xml")
    missing = error_of(tr.parse_retrieve_document_set_response, h.call_message(message, Service.REPOSITORY).ok_message)
    assert missing.code == "XDSMissingDocument"
    _place_example_document(h, "urn:oasis:names:tc:ebxml-regrep:StatusType:Approved")
    again = read(official_examples, "td3.2-consultation-document.request.xml")
    result = tr.parse_retrieve_document_set_response(h.call_message(again, Service.REPOSITORY).ok_message)
    assert [d.unique_id for d in result.documents] == [EXAMPLE_UNIQUE_ID]


@pytest.mark.parametrize(
    ("name", "status", "expected"),
    [
        (
            "td3.3d-archiver.request.xml",
            "urn:oasis:names:tc:ebxml-regrep:StatusType:Approved",
            "urn:asip:ci-sis:2010:StatusType:Archived",
        ),
        (
            "td3.3c-supprimer.request.xml",
            "urn:asip:ci-sis:2010:StatusType:Archived",
            "urn:asip:ci-sis:2010:StatusType:Deleted",
        ),
    ],
)
def test_td33_examples(h: Harness, official_examples: Path, name: str, status: str, expected: str) -> None:
    unknown = error_of(
        tg.parse_update_availability_status_response,
        h.call_message(read(official_examples, name), Service.REGISTRY).ok_message,
    )
    assert unknown.code == "UnresolvedReferenceException"
    _place_example_document(h, status)
    response = tg.parse_update_availability_status_response(
        h.call_message(read(official_examples, name), Service.REGISTRY).ok_message
    )
    assert response.ok
    assert h.store.get_entry(EXAMPLE_ENTRY_UUID).status == expected  # type: ignore[union-attr]


@pytest.mark.parametrize(
    "name", ["vihf-directe-signe.xml", "vihf-indirecte-signe.xml", "vihf-indirecte-renforcee-signe.xml"]
)
def test_signed_vihf_examples_were_edited_after_signing(official_examples: Path, name: str) -> None:
    token = _xml.parse_file(official_examples / name)
    when = dt.datetime.fromisoformat((token.get("IssueInstant") or "").replace("Z", "+00:00"))
    harness = Harness(now=when, allow_sha1=True)  # signatures required, clock at the token's date
    try:
        envelope = _xml.parse_bytes((official_examples / "td0.2-test-existence.request.xml").read_bytes())
        security = next(envelope.iter(WSSE))
        security.replace(security[0], copy.deepcopy(token))
        message = read_message("application/soap+xml", _xml.to_bytes(envelope))
        with pytest.raises(AuthError) as info:
            harness.call_message(message, Service.PATIENTS)
        detail = str(info.value.detail)
        assert info.value.reason_fr == "La signature du VIHF est invalide"
        assert "digest" in detail
        assert "modified after signing" in detail
    finally:
        harness.close()


def test_td21_example_signature_does_not_describe_its_lot(h: Harness, official_examples: Path) -> None:
    message = read_capture((official_examples / "td2.1-alimentation.request.multipart").read_bytes())
    received = tr.parse_provide_and_register_request(message)
    report = received.verify_signature(trust_anchors=None, at=None, allowed_algorithms=xmldsig.LEGACY_ALLOWED)
    assert report.signature_ok  # SignedInfo references and SignatureValue verify as of the 2019 SigningTime
    assert report.signing_time is not None
    assert report.signing_time.year == 2019
    assert [r.status for r in report.manifest_references] == ["missing-document", "missing-document"]
    # mapped onto the CDA part, the document reference still does not match
    cda = received.documents[0].read_bytes()
    reference = report.manifest_references[0].uri.removeprefix("urn:oid:")
    assert received.signature_bytes is not None
    direct = verify_submission_signature(
        received.signature_bytes, {reference: cda}, trust_anchors=None, allowed_algorithms=xmldsig.LEGACY_ALLOWED
    )
    assert next(r for r in direct.manifest_references if r.unique_id == reference).status == "mismatch"
    # the sandbox answers what the DMP would: the signature of the lot is invalid
    reply = h.call_message(
        read_capture((official_examples / "td2.1-alimentation.request.multipart").read_bytes()), Service.REPOSITORY
    )
    error = error_of(tr.parse_provide_and_register_response, reply.ok_message)
    assert error.code == "XDSRegistryMetadataError"
    assert (error.message_fr or "").startswith("La signature du lot de soumission est invalide")
    assert any("no document 1.2.250.1.999.1.1.7898.3.9956570900" in (e.code_context or "") for e in error.errors)

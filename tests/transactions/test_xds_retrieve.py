"""TD3.2 (ITI-43): request against the official example, the example answer in MTOM, streaming to disk,
faults inside MTOM, registry failures and the sandbox side."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest

from dmpclient.errors import InputError, ProtocolError, RegistryError, SoapFaultError
from dmpclient.security.pki import TestPki
from dmpclient.soap import Attachment, MtomWriter, read_message
from dmpclient.transactions._base import TRANSACTIONS, RequestContext
from dmpclient.transactions.repository import (
    TD3_2,
    DocumentContent,
    build_retrieve_document_set_fault,
    build_retrieve_document_set_request,
    build_retrieve_document_set_response,
    parse_retrieve_document_set_request,
    parse_retrieve_document_set_response,
    registry_error,
)

from .structural import assert_same_structure
from .xds_support import EXAMPLE_INS, XDS_IGNORES, example_root, make_context, received

UNIQUE_ID = "1.2.250.1.999.1.1.7898.1.995657292"
REPOSITORY = "1.2.250.1.213.4.1.1.1.2"


@pytest.fixture
def ctx(pki: TestPki) -> RequestContext:
    return make_context(pki)


def test_td32_request_has_the_structure_of_the_official_example(ctx: RequestContext, official_examples: Path) -> None:
    request = build_retrieve_document_set_request(ctx, EXAMPLE_INS, UNIQUE_ID)
    example = example_root(official_examples, "td3.2-consultation-document.request.xml")
    assert_same_structure(request.envelope, example, ignore=XDS_IGNORES)
    assert request.transaction == "TD3.2"
    assert request.service.value == "repository"
    assert TRANSACTIONS["TD3.2"] is TD3_2
    assert TD3_2.response_action == "urn:ihe:iti:2007:RetrieveDocumentSetResponse"


def test_td32_refuses_an_entry_uuid_before_the_dmp_does(ctx: RequestContext) -> None:
    with pytest.raises(InputError) as info:
        build_retrieve_document_set_request(ctx, EXAMPLE_INS, "urn:uuid:7953af1a-ba1c-11eb-816f-0050569e422e")
    assert info.value.rule == "ITI-43 DocumentUniqueId"
    with pytest.raises(InputError):
        build_retrieve_document_set_request(ctx, EXAMPLE_INS, [])


def test_official_answer_in_mtom_gives_the_document(official_examples: Path) -> None:
    # The example file is the root part only; the DMP sends it as MTOM with the document as a part whose
    # Content-ID the (URL-encoded) href names.
    root = (official_examples / "td3.2-consultation-document.response.xml").read_bytes()
    cda = (official_examples / "td2.1-document-me2.cda.xml").read_bytes()
    cid = "b857abb7-a2c3-4db8-bd69-d5ff76826e72-2@urn:ihe:iti:xds-b:2007"
    package = MtomWriter(root, [Attachment(cid, source=cda)], action="urn:ihe:iti:2007:RetrieveDocumentSetResponse")
    message = read_message(package.content_type, package.body_bytes())
    result = parse_retrieve_document_set_response(message)
    doc = result.single()
    assert (doc.unique_id, doc.repository_unique_id, doc.mime_type) == (UNIQUE_ID, REPOSITORY, "text/xml")
    assert doc.read_bytes() == cda
    assert doc.sha1 == hashlib.sha1(cda).hexdigest()
    assert doc.size == len(cda)
    assert result.response.ok
    assert result.errors == ()


def test_an_include_to_a_missing_part_is_refused(official_examples: Path) -> None:
    root = (official_examples / "td3.2-consultation-document.response.xml").read_bytes()
    with pytest.raises(ProtocolError, match="not a part of this message"):
        read_message("application/soap+xml", root)


def test_sandbox_streams_a_file_and_the_client_spools_it(ctx: RequestContext, tmp_path: Path) -> None:
    stored = tmp_path / "stored.bin"
    data = os.urandom(3 * 1024 * 1024 + 17)
    stored.write_bytes(data)
    request = received(build_retrieve_document_set_request(ctx, EXAMPLE_INS, UNIQUE_ID))
    asked = parse_retrieve_document_set_request(request)
    assert [(d.repository_unique_id, d.document_unique_id) for d in asked.documents] == [(REPOSITORY, UNIQUE_ID)]
    response = build_retrieve_document_set_response(
        [DocumentContent(UNIQUE_ID, stored, mime_type="text/xml")], request=request
    )
    assert response.is_mtom
    assert isinstance(response.attachments[0].source, Path)
    assert response.action == "urn:ihe:iti:2007:RetrieveDocumentSetResponse"
    assert response.relates_to == request.envelope.message_id
    message = read_message(response.content_type, response.iter_bytes(), memory_threshold=256 * 1024)
    doc = parse_retrieve_document_set_response(message).single()
    assert doc.part is not None
    assert not doc.part.in_memory
    target = doc.move_to(tmp_path / "retrieved.bin")
    assert target.read_bytes() == data
    assert doc.sha1 == hashlib.sha1(data).hexdigest()


def test_fault_inside_mtom_is_a_typed_error(ctx: RequestContext) -> None:
    request = received(build_retrieve_document_set_request(ctx, EXAMPLE_INS, UNIQUE_ID))
    fault = build_retrieve_document_set_fault(
        "XDSDocumentUniqueIdError", "Le document demandé n'existe pas", request=request
    )
    assert fault.is_mtom
    assert fault.status_code == 500
    with pytest.raises(SoapFaultError) as info:
        parse_retrieve_document_set_response(received(fault))
    exc = info.value
    assert exc.code == "XDSDocumentUniqueIdError"
    assert exc.message_fr == "Le document demandé n'existe pas"
    assert exc.transaction == "TD3.2"
    assert exc.explanation
    assert "entryUUID" in exc.explanation


def test_registry_failure_and_partial_success(ctx: RequestContext) -> None:
    other = "1.2.250.1.999.1.1.7898.1.995657293"
    request = received(build_retrieve_document_set_request(ctx, EXAMPLE_INS, [UNIQUE_ID, other]))
    missing = registry_error("XDSDocumentUniqueIdError", "Document inconnu", location=other)
    failure = build_retrieve_document_set_response([], request=request, errors=[missing])
    assert failure.is_mtom
    with pytest.raises(RegistryError) as info:
        parse_retrieve_document_set_response(received(failure))
    assert (info.value.code, info.value.location) == ("XDSDocumentUniqueIdError", other)
    assert info.value.status == "urn:oasis:names:tc:ebxml-regrep:ResponseStatusType:Failure"
    partial = build_retrieve_document_set_response(
        [DocumentContent(UNIQUE_ID, b"<ClinicalDocument/>")], request=request, errors=[missing]
    )
    result = parse_retrieve_document_set_response(received(partial))
    assert [d.unique_id for d in result.documents] == [UNIQUE_ID]
    assert result.document(UNIQUE_ID).read_bytes() == b"<ClinicalDocument/>"
    assert [e.error_code for e in result.errors] == ["XDSDocumentUniqueIdError"]
    with pytest.raises(KeyError):
        result.document(other)

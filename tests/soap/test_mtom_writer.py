"""MTOM writer: exact headers, exact Content-Length, streaming from files, boundary collisions."""

from __future__ import annotations

import asyncio
import tracemalloc
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from lxml import etree

from dmpclient.environments import DV1, Service
from dmpclient.errors import InvalidValue
from dmpclient.soap import (
    ACTIONS,
    Attachment,
    MtomWriter,
    SoapRequest,
    build_envelope,
    build_request,
    cid_href,
    new_content_id,
    parse_content_type,
    read_message,
    xop_include,
)
from dmpclient.soap import mtom as mtom_module

ITI41 = ACTIONS["TD2.1"]


async def _collect(iterator: object) -> list[bytes]:
    return [chunk async for chunk in iterator]  # type: ignore[attr-defined]


def test_content_type_is_exactly_the_reference_one(provide_body: Callable[..., etree._Element]) -> None:
    att = Attachment("doc1@dmpclient", source=b"%PDF-1.4")
    request = build_request(
        Service.REPOSITORY, provide_body([att]), action=ITI41, attachments=[att], boundary="MIMEBoundary_test"
    )
    assert request.is_mtom
    assert request.content_type == (
        'multipart/related; type="application/xop+xml"; boundary="MIMEBoundary_test"; '
        'start="<root.message@dmpclient>"; start-info="application/soap+xml"; '
        'action="urn:ihe:iti:2007:ProvideAndRegisterDocumentSet-b"'
    )
    body = request.body_bytes()
    head, _, rest = body.partition(b"\r\n\r\n")
    assert head.split(b"\r\n") == [
        b"--MIMEBoundary_test",
        b'Content-Type: application/xop+xml; charset=UTF-8; type="application/soap+xml; '
        b'action=\\"urn:ihe:iti:2007:ProvideAndRegisterDocumentSet-b\\""',
        b"Content-Transfer-Encoding: binary",
        b"Content-ID: <root.message@dmpclient>",
    ]
    assert rest.startswith(b"<soap:Envelope")
    assert (
        b"\r\n--MIMEBoundary_test\r\nContent-Type: application/octet-stream\r\n"
        b"Content-Transfer-Encoding: binary\r\nContent-ID: <doc1@dmpclient>\r\n\r\n%PDF-1.4\r\n"
        b"--MIMEBoundary_test--\r\n"
    ) in body
    assert body.endswith(b"%PDF-1.4\r\n--MIMEBoundary_test--\r\n")
    assert request.headers == {"Content-Type": request.content_type, "Content-Length": str(len(body))}
    assert "SOAPAction" not in request.headers
    media, params = parse_content_type(request.content_type)
    assert media == "multipart/related"
    assert params["start"] == "<root.message@dmpclient>"


def test_non_mtom_content_type() -> None:
    request = build_request(Service.REGISTRY, etree.Element("{urn:x}Q"), action=ACTIONS["TD3.1"], to="https://h")
    assert not request.is_mtom
    assert request.content_type == 'application/soap+xml; charset=UTF-8; action="urn:ihe:iti:2007:RegistryStoredQuery"'
    assert request.content_length == len(request.body_bytes()) == len(request.root_bytes)
    assert request.body_bytes().startswith(b"<soap:Envelope")


def test_random_boundary_differs_per_message(provide_body: Callable[..., etree._Element]) -> None:
    boundaries = set()
    for _ in range(5):
        att = Attachment.from_bytes(b"x")
        boundaries.add(build_request(Service.REPOSITORY, provide_body([att]), action=ITI41, attachments=[att]).boundary)
    writers = {MtomWriter(b"<e/>", action=None).boundary for _ in range(5)}
    assert len(boundaries | writers) == 10


@pytest.mark.parametrize("chunk_size", [1, 7, 1000, 64 * 1024])
def test_content_length_is_exact_sync_and_async(
    tmp_path: Path, nasty_payload: Callable[[int], bytes], provide_body: Callable[..., etree._Element], chunk_size: int
) -> None:
    file_path = tmp_path / "doc.pdf"
    file_path.write_bytes(nasty_payload(50_000))
    atts = [
        Attachment.from_bytes(nasty_payload(10_001)),
        Attachment.from_file(file_path, content_type="application/pdf"),
        Attachment.from_bytes(b""),
    ]
    request = build_request(Service.REPOSITORY, provide_body(atts), action=ITI41, attachments=atts)
    sync_chunks = list(request.iter_bytes(chunk_size))
    async_chunks = asyncio.run(_collect(request.aiter_bytes(chunk_size)))
    assert sum(map(len, sync_chunks)) == request.content_length
    assert b"".join(async_chunks) == b"".join(sync_chunks)
    assert max(map(len, sync_chunks)) <= max(chunk_size, 400)  # headers may be one small chunk
    assert request.content_length == len(request.body_bytes())
    # a second stream is identical (a retry re-sends the same bytes)
    assert b"".join(request.iter_bytes(chunk_size)) == b"".join(sync_chunks)


def test_large_file_is_streamed_not_loaded(tmp_path: Path, provide_body: Callable[..., etree._Element]) -> None:
    size = 20 * 1024 * 1024
    path = tmp_path / "big.bin"
    with path.open("wb") as handle:
        block = bytes(range(256)) * 4096  # 1 MiB
        for _ in range(20):
            handle.write(block)
    att = Attachment.from_file(path)
    assert att.size == size
    request = build_request(Service.REPOSITORY, provide_body([att]), action=ITI41, attachments=[att])
    chunks = 0
    total = 0
    biggest = 0
    tracemalloc.start()
    try:
        for chunk in request.iter_bytes(64 * 1024):
            chunks += 1
            total += len(chunk)
            biggest = max(biggest, len(chunk))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert total == request.content_length
    assert chunks >= size // (64 * 1024)
    assert biggest <= 64 * 1024
    assert peak < 2 * 1024 * 1024  # a few chunks, never the 20 MiB file


def test_writer_avoids_a_boundary_found_in_bytes_sources(
    monkeypatch: pytest.MonkeyPatch, provide_body: Callable[..., etree._Element]
) -> None:
    colliding = "MIMEBoundary_collide"
    payload = b"head\r\n--" + colliding.encode() + b"\r\nContent-ID: <x>\r\n\r\nfake\r\n--" + colliding.encode() + b"--"
    candidates: Iterator[str] = iter([colliding, "MIMEBoundary_fresh"])
    monkeypatch.setattr(mtom_module, "new_boundary", lambda: next(candidates))
    att = Attachment.from_bytes(payload)
    request = build_request(Service.REPOSITORY, provide_body([att]), action=ITI41, attachments=[att])
    assert request.is_mtom
    assert 'boundary="MIMEBoundary_fresh"' in request.content_type
    message = read_message(request.content_type, request.body_bytes())
    assert len(message.parts) == 1
    assert message.parts[0].read_bytes() == payload


def test_writer_checks_the_root_too(monkeypatch: pytest.MonkeyPatch) -> None:
    candidates = iter(["inroot", "MIMEBoundary_ok"])
    monkeypatch.setattr(mtom_module, "new_boundary", lambda: next(candidates))
    assert MtomWriter(b"<e>inroot</e>", action=None).boundary == "MIMEBoundary_ok"


def test_explicit_colliding_or_invalid_boundary_is_refused() -> None:
    att = Attachment("a@b", source=b"xx--MIMEBoundary_fixed")
    with pytest.raises(InvalidValue) as info:
        MtomWriter(b"<e/>", [att], action=None, boundary="MIMEBoundary_fixed")
    assert info.value.rule == "RFC 2046"
    for bad in ["", "has space ", "x" * 71, 'quote"']:
        with pytest.raises(InvalidValue):
            MtomWriter(b"<e/>", action=None, boundary=bad)


def test_file_containing_the_boundary_is_detected_while_streaming(tmp_path: Path) -> None:
    path = tmp_path / "evil.bin"
    # the boundary straddles two 8-byte chunks
    path.write_bytes(b"0123456789ABC" + b"MIMEBoundary_fixed" + b"tail")
    writer = MtomWriter(b"<e/>", [Attachment("a@b", source=path)], action=None, boundary="MIMEBoundary_fixed")
    with pytest.raises(InvalidValue) as info:
        list(writer.iter_bytes(8))
    assert info.value.field == "attachments[0].source"
    clean = tmp_path / "clean.bin"
    clean.write_bytes(b"0123456789ABC" + b"MIMEBoundary_fixeX" + b"tail")
    ok = MtomWriter(b"<e/>", [Attachment("a@b", source=clean)], action=None, boundary="MIMEBoundary_fixed")
    assert sum(map(len, ok.iter_bytes(8))) == ok.content_length


def test_file_changing_size_is_detected(tmp_path: Path) -> None:
    path = tmp_path / "doc.bin"
    path.write_bytes(b"a" * 100)
    writer = MtomWriter(b"<e/>", [Attachment("a@b", source=path)], action=None)
    path.write_bytes(b"a" * 50)
    with pytest.raises(InvalidValue, match="shrank"):
        list(writer.iter_bytes())
    path.write_bytes(b"a" * 150)
    with pytest.raises(InvalidValue, match="grew"):
        list(writer.iter_bytes())
    path.write_bytes(b"b" * 100)
    assert len(writer.body_bytes()) == writer.content_length


def test_attachment_validation(tmp_path: Path) -> None:
    assert Attachment("<abc@x>", source=b"12").content_id == "abc@x"
    assert Attachment("abc@x", source=bytearray(b"12")).size == 2  # type: ignore[arg-type]
    with pytest.raises(InvalidValue) as info:
        Attachment("abc@x", source=b"12", size=3)
    assert info.value.rule == "exact Content-Length"
    for bad in ["", "a b@x", "a\r\nX-Evil: 1", "é@x", "a>b"]:
        with pytest.raises(InvalidValue):
            Attachment(bad, source=b"1")
    with pytest.raises(InvalidValue):
        Attachment("a@x", "text/plain\r\nX: y", source=b"1")
    with pytest.raises(InvalidValue):
        Attachment("a@x", source=tmp_path / "missing.pdf")
    with pytest.raises(InvalidValue):
        Attachment("a@x", source=tmp_path)  # a directory
    with pytest.raises(InvalidValue):
        Attachment("a@x", source=12)  # type: ignore[arg-type]
    path = tmp_path / "f.pdf"
    path.write_bytes(b"%PDF")
    att = Attachment.from_file(str(path), content_type="application/pdf")
    assert (att.size, att.source, att.content_type) == (4, path, "application/pdf")
    assert att.content_id.endswith("@dmpclient")
    assert att.href == cid_href(att.content_id)


def test_cid_helpers() -> None:
    assert cid_href("abc-2@urn:ihe:iti:xds-b:2007") == "cid:abc-2@urn%3Aihe%3Aiti%3Axds-b%3A2007"
    assert cid_href("<x/y@z>") == "cid:x%2Fy@z"
    include = xop_include("doc@dmpclient")
    assert include.tag == "{http://www.w3.org/2004/08/xop/include}Include"
    assert include.get("href") == "cid:doc@dmpclient"
    cid = new_content_id()
    assert cid.endswith("@dmpclient")
    assert cid != new_content_id()


def test_duplicate_content_ids_are_refused() -> None:
    with pytest.raises(InvalidValue):
        MtomWriter(b"<e/>", [Attachment("a@b", source=b"1"), Attachment("a@b", source=b"2")], action=None)
    with pytest.raises(InvalidValue):
        MtomWriter(b"<e/>", [Attachment("root.message@dmpclient", source=b"1")], action=None)


def test_soap_request_consistency_checks(provide_body: Callable[..., etree._Element]) -> None:
    att = Attachment.from_bytes(b"doc")
    envelope = build_envelope(provide_body([att]), action=ITI41, to=None)
    with pytest.raises(InvalidValue) as info:
        SoapRequest(Service.REPOSITORY, "urn:other", envelope, [att])
    assert info.value.field == "action"
    with pytest.raises(InvalidValue) as info:
        SoapRequest(Service.REPOSITORY, ITI41, envelope, [])  # include without attachment
    assert info.value.rule == "XOP"
    with pytest.raises(InvalidValue):
        SoapRequest(Service.REPOSITORY, ITI41, envelope, [att, Attachment.from_bytes(b"unused")])
    with pytest.raises(InvalidValue):
        SoapRequest(Service.REPOSITORY, ITI41, envelope, [att], mtom=False)
    with pytest.raises(InvalidValue):
        SoapRequest(Service.REPOSITORY, ITI41, envelope, [att], message_id="urn:uuid:other")
    with pytest.raises(InvalidValue):
        SoapRequest(Service.REPOSITORY, ITI41, etree.Element("{urn:x}NotSoap"), [att])
    request = SoapRequest("repository", ITI41, envelope, [att], transaction="TD2.1")  # type: ignore[arg-type]
    assert request.service is Service.REPOSITORY
    assert request.message_id is not None
    assert request.message_id.startswith("urn:uuid:")
    assert request.url(DV1) == "https://lps.dev1.dmp.gouv.fr/si-dmp-server/v2/services/repository"


def test_envelope_is_serialized_once_and_with_to(provide_body: Callable[..., etree._Element]) -> None:
    request = build_request(Service.REGISTRY, etree.Element("{urn:x}Q"), action="urn:a")
    before = request.body_bytes()
    payload = request.envelope[1][0]
    payload.append(etree.Element("{urn:x}late"))
    assert request.body_bytes() == before  # later changes are not sent
    payload.remove(payload[-1])
    moved = request.with_to("https://dmp/services/registry")
    assert b"https://dmp/services/registry</To>" in moved.body_bytes()
    assert moved.message_id == request.message_id
    assert b"<To xmlns" in request.body_bytes()
    assert b"https://dmp" not in request.body_bytes()


def test_mtom_forced_without_attachments() -> None:
    request = build_request(Service.REPOSITORY, etree.Element("{urn:x}Q"), action="urn:a", mtom=True)
    assert request.is_mtom
    message = read_message(request.content_type, request.body_bytes())
    assert message.is_mtom
    assert message.parts == ()
    assert message.envelope.action == "urn:a"

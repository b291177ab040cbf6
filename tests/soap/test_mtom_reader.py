"""MTOM reader: round trips, boundaries in payloads, spooling, XOP resolution, tolerant captures."""

from __future__ import annotations

import asyncio
import base64
import hashlib
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree

from dmpclient import _xml
from dmpclient._xml import q
from dmpclient.environments import Service
from dmpclient.errors import ProtocolError, SoapFaultError, XMLSyntaxError
from dmpclient.soap import (
    ACTIONS,
    Attachment,
    MtomReader,
    MtomWriter,
    SoapVersion,
    aread_message,
    build_request,
    build_response,
    fault_response,
    parse_content_type,
    raise_for_fault,
    read_capture,
    read_message,
    resolve_xop,
    xop_include,
)

ITI41 = ACTIONS["TD2.1"]
BOUNDARY = b"MIMEBoundary_known"
CT = f'multipart/related; type="application/xop+xml"; boundary="{BOUNDARY.decode()}"; start="<root@x>"'
ROOT_HEADERS = [b'Content-Type: application/xop+xml; type="application/soap+xml"', b"Content-ID: <root@x>"]


def _chunks(data: bytes, size: int) -> Iterator[bytes]:
    for start in range(0, len(data), size):
        yield data[start : start + size]


async def _achunks(data: bytes, size: int) -> AsyncIterator[bytes]:
    for chunk in _chunks(data, size):
        yield chunk


# ----------------------------------------------------------------------------------- round trip


@pytest.mark.parametrize("chunk_size", [1, 3, 7777, 1 << 20])
def test_writer_reader_round_trip(
    tmp_path: Path,
    nasty_payload: Callable[[int], bytes],
    provide_body: Callable[..., etree._Element],
    chunk_size: int,
) -> None:
    file_path = tmp_path / "doc.bin"
    file_path.write_bytes(nasty_payload(3000 if chunk_size < 10 else 300_000))
    payloads = [nasty_payload(2000), b"", b"\r\n", b"--", file_path.read_bytes()]
    atts = [Attachment.from_bytes(p) for p in payloads[:-1]] + [Attachment.from_file(file_path)]
    request = build_request(Service.REPOSITORY, provide_body(atts), action=ITI41, attachments=atts, transaction="TD2.1")
    wire = request.body_bytes()
    message = read_message(request.content_type, _chunks(wire, chunk_size), spool_dir=tmp_path)
    assert message.is_mtom
    assert message.size == request.content_length
    assert message.envelope.action == ITI41
    assert message.root_bytes == request.root_bytes
    assert [p.content_id for p in message.parts] == [a.content_id for a in atts]
    for part, payload in zip(message.parts, payloads, strict=True):
        assert part.read_bytes() == payload
        assert part.size == len(payload)
        assert part.sha1 == hashlib.sha1(payload).hexdigest()
        assert part.transfer_encoding == "binary"
    assert message.envelope.payload is not None
    documents = list(message.envelope.payload)
    mapping = resolve_xop(message)
    assert [mapping[d] for d in documents] == list(message.parts)
    assert message.part_for(documents[0][0]) is message.parts[0]  # the include itself works too
    assert message.warnings == ()
    message.close()


def test_async_round_trip_and_extra_digest(provide_body: Callable[..., etree._Element]) -> None:
    atts = [Attachment.from_bytes(b"\r\n--x\r\n" * 1000)]
    request = build_request(Service.REPOSITORY, provide_body(atts), action=ITI41, attachments=atts)
    message = asyncio.run(
        aread_message(request.content_type, request.aiter_bytes(100), digests=("sha256",), memory_threshold=10)
    )
    part = message.parts[0]
    assert part.digests["sha256"] == hashlib.sha256(atts[0].source).hexdigest()  # type: ignore[arg-type]
    assert part.read_bytes() == atts[0].source
    assert not part.in_memory
    message.close()
    assert asyncio.run(aread_message(request.content_type, _achunks(request.body_bytes(), 13))).parts[0].size == 7000


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(payload=st.binary(max_size=3000), chunk=st.integers(min_value=1, max_value=700))
def test_round_trip_property(payload: bytes, chunk: int) -> None:
    att = Attachment("p@x", source=payload)
    writer = MtomWriter(
        b'<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope"><s:Body/></s:Envelope>', [att], action="urn:a"
    )
    message = read_message(writer.content_type, _chunks(writer.body_bytes(), chunk))
    assert message.parts[0].read_bytes() == payload


# ------------------------------------------------------------------------- boundary in payload


def test_boundary_without_crlf_prefix_does_not_split(make_multipart: Callable[..., bytes]) -> None:
    tricky = (
        b"a--" + BOUNDARY + b"\r\n"  # not at a line start
        b"\n--" + BOUNDARY + b"\r\n"  # bare LF before it
        b"\r--" + BOUNDARY + b"--\r\n"  # bare CR before the closing form
        b"\r\n--" + BOUNDARY + b"X\r\n"  # CRLF but a longer token
        b"end"
    )
    root = b'<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope"><s:Body/></s:Envelope>'
    body = make_multipart(BOUNDARY, [(ROOT_HEADERS, root), ([b"Content-ID: <d@x>"], tricky)])
    for size in (1, 5, 64, len(body)):
        message = read_message(CT, _chunks(body, size))
        assert len(message.parts) == 1
        assert message.parts[0].read_bytes() == tricky


def test_preamble_and_epilogue_are_ignored(make_multipart: Callable[..., bytes]) -> None:
    root = b'<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope"><s:Body/></s:Envelope>'
    body = b"This is a preamble\r\n" + make_multipart(BOUNDARY, [(ROOT_HEADERS, root)]) + b"epilogue"
    message = read_message(CT, _chunks(body, 4))
    assert message.root_bytes == root
    with pytest.raises(ProtocolError, match="no MIME boundary"):
        read_message(CT, b"x" * 70_000)


# ---------------------------------------------------------------------------------- spooling


def test_spooling_above_threshold(tmp_path: Path, provide_body: Callable[..., etree._Element]) -> None:
    big, small = b"B" * 5000, b"S" * 1000
    atts = [Attachment.from_bytes(big), Attachment.from_bytes(small)]
    request = build_request(Service.REPOSITORY, provide_body(atts), action=ITI41, attachments=atts)
    spool = tmp_path / "spool"
    spool.mkdir()
    message = read_message(request.content_type, request.iter_bytes(512), spool_dir=spool, memory_threshold=1000)
    spooled, kept = message.parts
    assert not spooled.in_memory
    assert spooled.path is not None
    assert spooled.path.parent == spool
    assert spooled.path.read_bytes() == big
    assert kept.in_memory
    assert kept.path is None
    assert kept.read_bytes() == small
    with spooled.open() as handle:
        assert handle.read(3) == b"BBB"
    assert b"".join(spooled.iter_bytes(1000)) == big
    copy = spooled.save(tmp_path / "copy.bin")
    assert copy.read_bytes() == big
    assert spooled.path.exists()
    kept.save(tmp_path / "kept.bin")
    assert (tmp_path / "kept.bin").read_bytes() == small
    message.close()
    assert list(spool.iterdir()) == []  # temporary file deleted
    with pytest.raises(ProtocolError):
        spooled.read_bytes()


def test_move_to_keeps_the_file(tmp_path: Path, provide_body: Callable[..., etree._Element]) -> None:
    atts = [Attachment.from_bytes(b"M" * 4000)]
    request = build_request(Service.REPOSITORY, provide_body(atts), action=ITI41, attachments=atts)
    spool = tmp_path / "spool"
    spool.mkdir()
    with read_message(request.content_type, request.body_bytes(), spool_dir=spool, memory_threshold=100) as message:
        dest = message.parts[0].move_to(tmp_path / "retrieved.pdf")
        assert message.parts[0].path == dest
        assert list(spool.iterdir()) == []
    assert dest.read_bytes() == b"M" * 4000  # closing the message does not delete a moved file


def test_temporary_files_are_deleted_on_error(tmp_path: Path, provide_body: Callable[..., etree._Element]) -> None:
    atts = [Attachment.from_bytes(b"Z" * 5000)]
    request = build_request(Service.REPOSITORY, provide_body(atts), action=ITI41, attachments=atts)
    wire = request.body_bytes()
    spool = tmp_path / "spool"
    spool.mkdir()
    with pytest.raises(ProtocolError, match="truncated"):
        read_message(request.content_type, _chunks(wire[:-30], 1000), spool_dir=spool, memory_threshold=10)
    assert list(spool.iterdir()) == []
    reader = MtomReader(request.content_type, spool_dir=spool, memory_threshold=10)
    reader.feed(wire[:-30])
    assert len(list(spool.iterdir())) == 1
    reader.abort()
    assert list(spool.iterdir()) == []


# ------------------------------------------------------------------------------------- XOP


@pytest.mark.parametrize(
    "href",
    ["http://evil.example/doc", "file:///etc/passwd", "cid:absent@x", "doc@x", "cid:root@x", ""],
)
def test_bad_xop_includes_are_rejected(
    href: str, envelope_with_href: Callable[[str], bytes], make_multipart: Callable[..., bytes]
) -> None:
    body = make_multipart(BOUNDARY, [(ROOT_HEADERS, envelope_with_href(href)), ([b"Content-ID: <doc@x>"], b"d")])
    with pytest.raises(ProtocolError):
        read_message(CT, body)


def test_good_xop_include_resolves(
    envelope_with_href: Callable[[str], bytes], make_multipart: Callable[..., bytes]
) -> None:
    body = make_multipart(BOUNDARY, [(ROOT_HEADERS, envelope_with_href("CID:doc@x")), ([b"Content-ID: <doc@x>"], b"d")])
    message = read_message(CT, body)
    ((document, part),) = message.xop.items()
    assert document.tag == q("xdsb", "Document")
    assert part.read_bytes() == b"d"
    assert message.get_part("<doc@x>") is part
    assert message.get_part("cid:doc%40x") is part
    assert message.get_part("nope") is None


def test_xop_include_in_a_plain_soap_body_is_rejected(envelope_with_href: Callable[[str], bytes]) -> None:
    with pytest.raises(ProtocolError, match="not a part of this message"):
        read_message("application/soap+xml; charset=UTF-8", envelope_with_href("cid:doc@x"))


@pytest.mark.shared
def test_url_encoded_cid_of_the_td32_example_resolves(official_examples: Path) -> None:
    root = (official_examples / "td3.2-consultation-document.response.xml").read_bytes()
    cid = "b857abb7-a2c3-4db8-bd69-d5ff76826e72-2@urn:ihe:iti:xds-b:2007"  # what CXF puts in Content-ID
    document = b"<ClinicalDocument/>\r\n--uuid:not-the-boundary\r\n"
    writer = MtomWriter(
        root,
        [Attachment(cid, "application/octet-stream", source=document)],
        action="urn:ihe:iti:2007:RetrieveDocumentSetResponse",
    )
    message = read_message(writer.content_type, writer.iter_bytes(100))
    ((element, part),) = message.xop.items()
    assert etree.QName(element).localname == "Document"
    assert part.content_id == cid
    assert part.read_bytes() == document
    include = element[0]
    assert "%3A" in include.get("href", "")


# ------------------------------------------------------------------------ plain SOAP & faults


@pytest.mark.shared
def test_plain_soap_response_has_no_parts(official_examples: Path) -> None:
    raw = (official_examples / "td3.1-recherche-documents.response.xml").read_bytes()
    message = read_message("application/soap+xml; charset=UTF-8", _chunks(raw, 4096))
    assert not message.is_mtom
    assert message.parts == ()
    assert message.xop == {}
    assert message.envelope.action == "urn:ihe:iti:2007:RegistryStoredQueryResponse"
    assert message.root_bytes == raw
    assert message.line_ending == ""


def test_unexpected_content_type_or_non_xml_body() -> None:
    with pytest.raises(ProtocolError, match="Bad Gateway"):
        read_message("text/html", b"<html>502 Bad Gateway</html>")
    with pytest.raises(XMLSyntaxError):
        read_message("application/soap+xml", b"not xml")
    with pytest.raises(ProtocolError, match="boundary"):
        MtomReader("multipart/related; type=application/xop+xml")


def test_iti43_fault_wrapped_in_mtom() -> None:
    response = fault_response("Sender", "DMPAccessForbidden", "Accès refusé", relates_to="urn:uuid:r", mtom=True)
    assert response.is_mtom
    assert response.status_code == 500
    assert response.is_fault
    message = read_message(response.content_type, response.iter_bytes(10))
    assert message.is_mtom
    assert message.envelope.is_fault
    with pytest.raises(SoapFaultError) as info:
        raise_for_fault(message, transaction="TD3.2")
    assert (info.value.code, info.value.message_fr, info.value.message_id) == (
        "DMPAccessForbidden",
        "Accès refusé",
        "urn:uuid:r",
    )


def test_sandbox_response_round_trip() -> None:
    body = etree.Element(q("xdsb", "RetrieveDocumentSetResponse"))
    doc = etree.SubElement(etree.SubElement(body, q("xdsb", "DocumentResponse")), q("xdsb", "Document"))
    att = Attachment.from_bytes(b"%PDF-1.7 binary \x00\xff\r\n")
    doc.append(xop_include(att.content_id))
    response = build_response(
        body, action="urn:ihe:iti:2007:RetrieveDocumentSetResponse", relates_to="urn:uuid:req", attachments=[att]
    )
    assert response.status_code == 200
    assert response.is_mtom
    assert not response.is_fault
    assert response.relates_to == "urn:uuid:req"
    assert (response.action or "").endswith("Response")
    message = read_message(response.content_type, response.body_bytes())
    assert message.envelope.relates_to == "urn:uuid:req"
    assert message.part_for(message.envelope.envelope.find(f".//{q('xdsb', 'Document')}")).read_bytes() == att.source  # type: ignore[arg-type,union-attr]


# ----------------------------------------------------------------------- transfer encodings


def test_base64_and_8bit_parts_are_decoded(make_multipart: Callable[..., bytes]) -> None:
    payload = bytes(range(256)) * 20
    encoded = base64.encodebytes(payload)  # with line breaks every 76 chars
    root = b'<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope"><s:Body/></s:Envelope>'
    body = make_multipart(
        BOUNDARY,
        [
            ([*ROOT_HEADERS, b"Content-Transfer-Encoding: 8bit"], root),
            ([b"Content-ID: <b64@x>", b"Content-Transfer-Encoding: BASE64"], encoded),
            ([b"Content-ID: <raw@x>", b"Content-Transfer-Encoding: 8bit"], b"caf\xc3\xa9"),
        ],
    )
    for size in (1, 77, 10_000):
        message = read_message(CT, _chunks(body, size))
        b64, raw = message.parts
        assert b64.read_bytes() == payload
        assert b64.size == len(payload)
        assert b64.sha1 == hashlib.sha1(payload).hexdigest()
        assert raw.read_bytes() == b"caf\xc3\xa9"


@pytest.mark.parametrize(
    ("encoding", "data"),
    [(b"quoted-printable", b"a=3Db"), (b"base64", b"!!!!"), (b"base64", b"QUJD\r\nR")],
)
def test_bad_transfer_encodings(encoding: bytes, data: bytes, make_multipart: Callable[..., bytes]) -> None:
    root = b'<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope"><s:Body/></s:Envelope>'
    body = make_multipart(
        BOUNDARY, [(ROOT_HEADERS, root), ([b"Content-ID: <p@x>", b"Content-Transfer-Encoding: " + encoding], data)]
    )
    with pytest.raises(ProtocolError):
        read_message(CT, body)


# ------------------------------------------------------------------------------ MIME errors


def test_mime_structure_errors(make_multipart: Callable[..., bytes]) -> None:
    root = b'<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope"><s:Body/></s:Envelope>'
    dup = make_multipart(
        BOUNDARY, [(ROOT_HEADERS, root), ([b"Content-ID: <d@x>"], b"1"), ([b"Content-ID: <d@x>"], b"2")]
    )
    with pytest.raises(ProtocolError, match="duplicate"):
        read_message(CT, dup)
    no_root = make_multipart(BOUNDARY, [([b"Content-ID: <other@x>"], root)])
    with pytest.raises(ProtocolError, match="root"):
        read_message(CT, no_root)
    ok = make_multipart(BOUNDARY, [(ROOT_HEADERS, root)])
    with pytest.raises(ProtocolError, match="exceeds"):
        read_message(CT, ok, max_size=len(ok) - 1)
    assert read_message(CT, ok, max_size=len(ok)).root_bytes == root
    many = make_multipart(BOUNDARY, [(ROOT_HEADERS, root)] + [([b"Content-ID: <%d@x>" % i], b"") for i in range(5)])
    reader = MtomReader(CT, max_parts=3)
    with pytest.raises(ProtocolError, match="parts"):
        reader.feed(many)
    with pytest.raises(ProtocolError):
        reader.feed(b"more")  # closed after an error


def test_root_found_by_start_even_when_not_first(make_multipart: Callable[..., bytes]) -> None:
    root = b'<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope"><s:Body/></s:Envelope>'
    body = make_multipart(BOUNDARY, [([b"Content-ID: <d@x>"], b"first"), (ROOT_HEADERS, root)])
    message = read_message(CT, body)
    assert message.root_bytes == root
    assert [p.content_id for p in message.parts] == ["d@x"]
    # without start=, the first part is the root
    no_start = CT.replace('; start="<root@x>"', "")
    body2 = make_multipart(BOUNDARY, [(ROOT_HEADERS, root), ([b"Content-ID: <d@x>"], b"x")])
    assert read_message(no_start, body2).root_bytes == root


def test_read_message_refuses_async_iterables() -> None:
    with pytest.raises(TypeError):
        read_message(CT, _achunks(b"x", 1))  # type: ignore[arg-type]


def test_parse_content_type_handles_escapes() -> None:
    media, params = parse_content_type(
        'Multipart/Related; TYPE="application/xop+xml"; boundary=uuid:abc; flag; '
        'start-info="application/soap+xml"; action="urn:a\\"b"; type="ignored"'
    )
    assert media == "multipart/related"
    assert params == {
        "type": "application/xop+xml",
        "boundary": "uuid:abc",
        "start-info": "application/soap+xml",
        "action": 'urn:a"b',
    }
    _, inner = parse_content_type(
        parse_content_type('application/xop+xml; type="application/soap+xml; action=\\"urn:x\\""')[1]["type"]
    )
    assert inner == {"action": "urn:x"}


# ------------------------------------------------------------------------- tolerant captures


@pytest.mark.shared
def test_official_bare_lf_multipart_needs_the_tolerant_reader(official_examples: Path) -> None:
    raw = (official_examples / "td2.1-alimentation.request.multipart").read_bytes()
    content_type = 'multipart/related; boundary="----=_Part_9_20030738.1554380517598"; type="application/xop+xml"'
    with pytest.raises(ProtocolError, match="LF"):
        read_message(content_type, raw)  # the strict streaming path stays strict
    for ct in (None, content_type):
        message = read_capture(raw, ct)
        assert message.line_ending == "LF"
        assert message.is_mtom
        assert len(message.parts) + 1 == 3  # SOAP root, CDA, XAdES
        assert message.root_headers[2] == ("Content-ID", "<rootpart@soapui.org>")
        assert message.envelope.version is SoapVersion.SOAP11
        assert message.envelope.action == ITI41
        assert message.root_bytes == (official_examples / "td2.1-alimentation.request.soap-part.xml").read_bytes()
        cda, xades = message.parts
        assert cda.content_id == "WS_DMP_TD2.1-DocumentME2.xml"
        assert cda.content_type.startswith("text/xml; charset=Cp1252")
        assert _xml.parse_bytes(cda.read_bytes()).tag == q("hl7", "ClinicalDocument")
        assert cda.read_bytes().endswith(b"</ClinicalDocument>\n")  # the LF before the boundary is the delimiter's
        assert xades.read_bytes() == (official_examples / "td2.1-signature-xades.xml").read_bytes()
        assert xades.sha1 == hashlib.sha1(xades.read_bytes()).hexdigest()
        assert sorted(p.content_id for p in message.xop.values()) == sorted(p.content_id for p in message.parts)  # type: ignore[type-var]
        assert any("bare LF" in w for w in message.warnings)
        assert any("SOAP 1.1" in w for w in message.warnings)
        assert any("DocumentRepository_ProvideAndRegisterDocumentSet-b" in w for w in message.warnings)


def test_capture_with_crlf_goes_through_the_strict_reader(provide_body: Callable[..., etree._Element]) -> None:
    atts = [Attachment.from_bytes(b"\n--" + b"x" * 10)]
    request = build_request(Service.REPOSITORY, provide_body(atts), action=ITI41, attachments=atts)
    message = read_capture(request.body_bytes())  # no Content-Type: boundary sniffed
    assert message.line_ending == "CRLF"
    assert message.warnings == ()
    assert message.parts[0].read_bytes() == atts[0].source
    plain = read_capture(build_request(Service.REGISTRY, etree.Element("{urn:x}Q"), action="urn:q").body_bytes())
    assert not plain.is_mtom
    assert plain.envelope.action == "urn:q"
    with pytest.raises(ProtocolError, match="not a part"):
        read_capture(request.root_bytes)  # the XOP root alone: its include points nowhere


def test_tolerant_reader_errors(make_multipart: Callable[..., bytes]) -> None:
    root = b'<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope"><s:Body/></s:Envelope>'
    lf = make_multipart(BOUNDARY, [([b"Content-ID: <r@x>"], root), ([b"Content-ID: <d@x>"], b"a\nb")], eol=b"\n")
    message = read_capture(lf)
    assert message.parts[0].read_bytes() == b"a\nb"
    with pytest.raises(ProtocolError, match="truncated"):
        read_capture(lf[:-20])
    with pytest.raises(ProtocolError, match="exceeds"):
        read_capture(lf, max_size=10)
    with pytest.raises(ProtocolError, match="does not occur"):
        read_capture(lf, 'multipart/related; boundary="other"')
    no_blank = b"--" + BOUNDARY + b"\nContent-ID: <r@x>\n--" + BOUNDARY + b"--\n"
    with pytest.raises(ProtocolError, match="blank line"):
        read_capture(no_blank)

"""Fixtures of the soap tests: small XDS-like bodies and a hand-written multipart builder."""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence

import pytest
from lxml import etree

from dmpclient._xml import q
from dmpclient.soap import Attachment, xop_include


@pytest.fixture
def rng() -> random.Random:
    """A seeded random generator (reproducible payloads)."""
    return random.Random(20240607)


@pytest.fixture
def nasty_payload(rng: random.Random) -> Callable[[int], bytes]:
    """Random binary payloads salted with CR, LF, CRLF and boundary-looking lines."""

    def make(size: int) -> bytes:
        pieces = [
            b"\r",
            b"\n",
            b"\r\n",
            b"\r\n\r\n",
            b"--",
            b"\r\n--",
            b"--MIMEBoundary_",
            b"\r\n--MIMEBoundary_0123456789abcdef0123456789abcdef\r\n",
            b"\r\n--MIMEBoundary_0123456789abcdef0123456789abcdef--\r\n",
            b"\n--uuid:deadbeef\n",
            b"Content-ID: <fake@x>\r\n\r\n",
        ]
        out = bytearray()
        while len(out) < size:
            if rng.random() < 0.3:
                out += rng.choice(pieces)
            else:
                out += rng.randbytes(rng.randint(1, 300))
        return bytes(out[:size])

    return make


@pytest.fixture
def provide_body() -> Callable[[Sequence[Attachment]], etree._Element]:
    """A ProvideAndRegisterDocumentSetRequest-shaped body with one xdsb:Document per attachment."""

    def make(attachments: Sequence[Attachment]) -> etree._Element:
        body = etree.Element(q("xdsb", "ProvideAndRegisterDocumentSetRequest"), nsmap={"xdsb": q("xdsb", "")[1:-1]})
        for index, att in enumerate(attachments):
            doc = etree.SubElement(body, q("xdsb", "Document"), id=f"doc{index}")
            doc.append(xop_include(att.content_id))
        return body

    return make


def multipart(boundary: bytes, parts: Sequence[tuple[Sequence[bytes], bytes]], *, eol: bytes = b"\r\n") -> bytes:
    """Hand-written multipart body (for inputs the writer refuses to produce)."""
    out = bytearray()
    for index, (headers, data) in enumerate(parts):
        if index:
            out += eol
        out += b"--" + boundary + eol
        for header in headers:
            out += header + eol
        out += eol + data
    out += eol + b"--" + boundary + b"--" + eol
    return bytes(out)


@pytest.fixture
def make_multipart() -> Callable[..., bytes]:
    """The :func:`multipart` helper as a fixture."""
    return multipart


SIMPLE_ENVELOPE = (
    b'<soap:Envelope xmlns:soap="http://www.w3.org/2003/05/soap-envelope"><soap:Header>'
    b'<Action xmlns="http://www.w3.org/2005/08/addressing">urn:ihe:iti:2007:RetrieveDocumentSetResponse</Action>'
    b"</soap:Header><soap:Body>"
    b'<x:RetrieveDocumentSetResponse xmlns:x="urn:ihe:iti:xds-b:2007"><x:DocumentResponse><x:Document>'
    b'<xop:Include xmlns:xop="http://www.w3.org/2004/08/xop/include" href="HREF"/>'
    b"</x:Document></x:DocumentResponse></x:RetrieveDocumentSetResponse></soap:Body></soap:Envelope>"
)


@pytest.fixture
def envelope_with_href() -> Callable[[str], bytes]:
    """A minimal ITI-43-like response envelope whose single xop:Include has the given href."""

    def make(href: str) -> bytes:
        return SIMPLE_ENVELOPE.replace(b"HREF", href.encode())

    return make

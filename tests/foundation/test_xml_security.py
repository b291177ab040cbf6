"""dmpclient._xml: the hardened parser against an attack corpus.

Every attack must end in a typed error (XMLSecurityError / XMLSyntaxError) and must not read a file or
open a connection. File access is observed with Linux inotify (no strace, no timing): an ``IN_OPEN``
event is queued by the kernel synchronously when anything opens the watched file.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import socket
import struct
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from lxml import etree

from dmpclient import _xml
from dmpclient._xml import NS, parse_bytes, parse_file, parse_text, q, to_bytes
from dmpclient.errors import DMPClientError, XMLError, XMLSecurityError, XMLSyntaxError

MARKER = "MARKER-6f1d0c2a-secret"

_IN_ACCESS = 0x001
_IN_OPEN = 0x020


class OpenWatch:
    """Counts open/read events on the files of a directory (inotify)."""

    def __init__(self, directory: Path) -> None:
        libc = ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True)
        self.fd = libc.inotify_init1(os.O_NONBLOCK | os.O_CLOEXEC)
        if self.fd < 0:
            raise OSError(ctypes.get_errno(), "inotify_init1")
        if libc.inotify_add_watch(self.fd, str(directory).encode(), _IN_OPEN | _IN_ACCESS) < 0:
            raise OSError(ctypes.get_errno(), "inotify_add_watch")

    def events(self) -> list[str]:
        """Names of the files opened or read since the last call."""
        names: list[str] = []
        while True:
            try:
                data = os.read(self.fd, 65536)
            except BlockingIOError:
                return names
            offset = 0
            while offset < len(data):
                _wd, _mask, _cookie, length = struct.unpack_from("iIII", data, offset)
                raw = data[offset + 16 : offset + 16 + length]
                names.append(raw.rstrip(b"\0").decode())
                offset += 16 + length

    def close(self) -> None:
        os.close(self.fd)


@pytest.fixture
def secrets_dir(tmp_path: Path) -> Path:
    """A folder with a secret file, an external DTD and a DTD defining an entity; nothing else."""
    folder = tmp_path / "secrets"
    folder.mkdir()
    (folder / "secret.txt").write_text(MARKER, encoding="utf-8")
    (folder / "ext.dtd").write_text(f'<!ENTITY e "{MARKER}">', encoding="utf-8")
    return folder


@pytest.fixture
def watch(secrets_dir: Path) -> Iterator[OpenWatch]:
    if not sys.platform.startswith("linux"):
        pytest.skip("file-access observation uses Linux inotify")
    w = OpenWatch(secrets_dir)
    # Positive control: the watch does see an open.
    (secrets_dir / "secret.txt").read_bytes()
    assert "secret.txt" in w.events()
    yield w
    w.close()


def refuse(data: bytes, watch: OpenWatch | None = None, **kwargs: object) -> XMLSecurityError:
    """Parse ``data``, expect XMLSecurityError, check that the marker and no file access leaked."""
    with pytest.raises(XMLSecurityError) as info:
        parse_bytes(data, **kwargs)  # type: ignore[arg-type]
    assert MARKER not in str(info.value)
    if watch is not None:
        assert watch.events() == [], "the parser opened a file"
    return info.value


# --------------------------------------------------------------------------------------- entity bombs

BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<lolz>&lol9;</lolz>"""


def test_billion_laughs() -> None:
    error = refuse(BILLION_LAUGHS)
    assert isinstance(error, XMLError)
    assert isinstance(error, DMPClientError)


def test_quadratic_blowup() -> None:
    entity = b"x" * 50_000
    data = b'<!DOCTYPE r [<!ENTITY a "' + entity + b'">]><r>' + b"&a;" * 5_000 + b"</r>"
    refuse(data)


def test_doctype_alone_is_refused() -> None:
    error = refuse(b"<!DOCTYPE r><r/>")
    assert "DOCTYPE" in str(error)


def test_undeclared_entity_is_refused() -> None:
    refuse(b"<r>&nbsp;</r>")


def test_predefined_and_character_references_still_work() -> None:
    root = parse_bytes(b"<r a='&quot;'>&lt;&amp;&#233;&#x20AC;</r>")
    assert root.text == "<&é€"
    assert root.get("a") == '"'


# ------------------------------------------------------------------------------- external resources


@pytest.mark.parametrize("exists", [True, False])
def test_external_entity_to_local_file(secrets_dir: Path, watch: OpenWatch, exists: bool) -> None:
    target = secrets_dir / ("secret.txt" if exists else "does-not-exist.txt")
    data = f'<!DOCTYPE r [<!ENTITY x SYSTEM "{target.as_uri()}">]><r>&x;</r>'.encode()
    refuse(data, watch)


def test_external_dtd_to_local_file(secrets_dir: Path, watch: OpenWatch) -> None:
    uri = (secrets_dir / "ext.dtd").as_uri()
    refuse(f'<!DOCTYPE r SYSTEM "{uri}"><r>&e;</r>'.encode(), watch)
    refuse(f'<!DOCTYPE r SYSTEM "{uri}"><r/>'.encode(), watch)
    refuse(f'<!DOCTYPE r PUBLIC "-//X//DTD X//EN" "{uri}"><r/>'.encode(), watch)


def test_external_dtd_relative_to_base_url(secrets_dir: Path, watch: OpenWatch) -> None:
    base = (secrets_dir / "doc.xml").as_uri()
    refuse(b'<!DOCTYPE r SYSTEM "ext.dtd"><r>&e;</r>', watch, base_url=base)


def test_external_dtd_in_utf16(secrets_dir: Path, watch: OpenWatch) -> None:
    uri = (secrets_dir / "ext.dtd").as_uri()
    refuse(f'<!DOCTYPE r SYSTEM "{uri}"><r>&e;</r>'.encode("utf-16"), watch)


def test_parse_file_does_not_follow_a_sibling_dtd(secrets_dir: Path, tmp_path: Path) -> None:
    doc = tmp_path / "doc.xml"
    doc.write_bytes(b'<!DOCTYPE r SYSTEM "secrets/ext.dtd"><r>&e;</r>')
    w = OpenWatch(secrets_dir) if sys.platform.startswith("linux") else None
    with pytest.raises(XMLSecurityError) as info:
        parse_file(doc)
    assert MARKER not in str(info.value)
    assert str(doc) in str(info.value)
    if w is not None:
        assert w.events() == []
        w.close()


def test_parameter_entities(secrets_dir: Path, watch: OpenWatch) -> None:
    uri = (secrets_dir / "ext.dtd").as_uri()
    refuse(f'<!DOCTYPE r [<!ENTITY % p SYSTEM "{uri}"> %p;]><r>&e;</r>'.encode(), watch)
    refuse(b"<!DOCTYPE r [<!ENTITY % p \"<!ENTITY e 'x'>\"> %p;]><r>&e;</r>", watch)


def test_external_dtd_over_http_port_9() -> None:
    error = refuse(b'<!DOCTYPE r SYSTEM "http://127.0.0.1:9/x.dtd"><r/>')
    assert "127.0.0.1:9" in str(error)


def test_external_dtd_over_http_opens_no_connection() -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as server:
        server.bind(("127.0.0.1", 0))
        server.listen(8)
        port = server.getsockname()[1]
        refuse(f'<!DOCTYPE r SYSTEM "http://127.0.0.1:{port}/x.dtd"><r/>'.encode())
        refuse(f'<!DOCTYPE r [<!ENTITY x SYSTEM "http://127.0.0.1:{port}/e">]><r>&x;</r>'.encode())
        # A completed TCP handshake would be waiting in the accept queue; there is none.
        server.setblocking(False)
        with pytest.raises(BlockingIOError):
            server.accept()


def test_refusal_also_applies_in_other_threads(secrets_dir: Path, watch: OpenWatch) -> None:
    uri = (secrets_dir / "ext.dtd").as_uri()
    errors: list[BaseException] = []

    def work() -> None:
        try:
            parse_bytes(f'<!DOCTYPE r SYSTEM "{uri}"><r/>'.encode())
        except BaseException as exc:
            errors.append(exc)

    thread = threading.Thread(target=work)
    thread.start()
    thread.join()
    assert len(errors) == 1
    assert isinstance(errors[0], XMLSecurityError)
    assert watch.events() == []


def test_plain_lxml_would_read_the_external_dtd(secrets_dir: Path, watch: OpenWatch) -> None:
    """Documents why _xml installs a refusing resolver.

    With the options _xml uses (``load_dtd=False`` but ``collect_ids=False``), lxml 6.1 / libxml2 2.14
    read the external DTD file; the DOCTYPE check after parsing came too late to prevent the read.
    """
    parser = etree.XMLParser(resolve_entities=False, load_dtd=False, no_network=True, collect_ids=False)
    uri = (secrets_dir / "ext.dtd").as_uri()
    etree.fromstring(f'<!DOCTYPE r SYSTEM "{uri}"><r/>'.encode(), parser=parser)
    opened = watch.events()
    if not opened:
        pytest.skip("this lxml/libxml2 no longer loads the external subset with load_dtd=False")
    assert "ext.dtd" in opened


def test_xinclude_is_not_processed(secrets_dir: Path, watch: OpenWatch) -> None:
    href = (secrets_dir / "secret.txt").as_uri()
    data = (f'<r xmlns:xi="http://www.w3.org/2001/XInclude"><xi:include href="{href}" parse="text"/></r>').encode()
    root = parse_bytes(data)
    assert MARKER not in to_bytes(root).decode()
    assert root[0].tag == "{http://www.w3.org/2001/XInclude}include"
    assert watch.events() == []


# ------------------------------------------------------------------------------------------ size limits


def test_max_bytes() -> None:
    data = b"<r>" + b"a" * 2000 + b"</r>"
    error = refuse(data, max_bytes=1000)
    assert "1000" in str(error)
    assert parse_bytes(data, max_bytes=len(data)).text == "a" * 2000


def test_max_bytes_parse_file(tmp_path: Path) -> None:
    path = tmp_path / "big.xml"
    path.write_bytes(b"<r>" + b"a" * 2000 + b"</r>")
    with pytest.raises(XMLSecurityError) as info:
        parse_file(path, max_bytes=1000)
    assert str(path) in str(info.value)
    assert parse_file(path).text == "a" * 2000


def test_max_bytes_parse_text() -> None:
    with pytest.raises(XMLSecurityError):
        parse_text("<r>" + "é" * 600 + "</r>", max_bytes=1000)  # 1207 bytes once encoded


@pytest.mark.slow
def test_huge_text_node_needs_huge_mode() -> None:
    data = b"<r>" + b"a" * (10 * 1024 * 1024 + 1) + b"</r>"
    with pytest.raises(XMLSecurityError) as info:
        parse_bytes(data)
    assert "huge" in str(info.value).lower()
    root = parse_bytes(data, huge=True, max_bytes=len(data))
    assert root.text is not None
    assert len(root.text) == 10 * 1024 * 1024 + 1
    with pytest.raises(XMLSecurityError):
        parse_bytes(data, huge=True, max_bytes=len(data) - 1)  # huge mode stays bounded


# ---------------------------------------------------------------------------------------- well-formedness


@pytest.mark.parametrize("data", [b"<r><a></r>", b"", b"not xml", b"<r>", b"<r/><r/>", b"<a:r/>"])
def test_malformed_xml(data: bytes) -> None:
    with pytest.raises(XMLSyntaxError) as info:
        parse_bytes(data, origin="payload.xml")
    assert "payload.xml" in str(info.value)
    assert not isinstance(info.value, XMLSecurityError)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(XMLSyntaxError) as info:
        parse_file(tmp_path / "nope.xml")
    assert "cannot read" in str(info.value)


def test_bytes_required() -> None:
    with pytest.raises(TypeError):
        parse_bytes("<r/>")  # type: ignore[arg-type]


def test_parse_text_drops_encoding_declaration() -> None:
    root = parse_text('\ufeff<?xml version="1.0" encoding="ISO-8859-1"?><r>é</r>')
    assert root.text == "é"


def test_parse_bytes_honours_declared_encoding() -> None:
    root = parse_bytes('<?xml version="1.0" encoding="ISO-8859-1"?><r>é</r>'.encode("latin-1"))
    assert root.text == "é"


def test_comments_pis_and_cdata_kept() -> None:
    data = b"<r><!--c--><?pi x?><![CDATA[<a>]]></r>"
    assert to_bytes(parse_bytes(data)) == data


def test_to_bytes_no_pretty_print_no_tail() -> None:
    root = parse_bytes(b"<r><a>1</a>tail<b/></r>")
    assert to_bytes(root[0]) == b"<a>1</a>"
    assert to_bytes(root, xml_declaration=True).startswith(b"<?xml version='1.0' encoding='UTF-8'?>\n<r>")


def test_namespace_table() -> None:
    assert q("rim", "Slot") == "{urn:oasis:names:tc:ebxml-regrep:xsd:rim:3.0}Slot"
    assert NS["soap"] == "http://www.w3.org/2003/05/soap-envelope"
    assert NS["saml2"] == "urn:oasis:names:tc:SAML:2.0:assertion"
    assert NS["hl7"] == "urn:hl7-org:v3"
    assert len(set(NS.values())) == len(NS)
    with pytest.raises(KeyError):
        q("nope", "x")


def test_parser_objects_are_per_thread() -> None:
    mine = _xml._parser(False)
    assert _xml._parser(False) is mine
    assert _xml._parser(True) is not mine
    other: list[etree.XMLParser] = []
    thread = threading.Thread(target=lambda: other.append(_xml._parser(False)))
    thread.start()
    thread.join()
    assert other[0] is not mine

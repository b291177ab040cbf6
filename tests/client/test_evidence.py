"""EvidenceWriter: the documented folder layout, byte-exact parts, hashes and metadata."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from dmpclient.cda import BuiltCda
from dmpclient.errors import DMPError
from dmpclient.evidence import EXCHANGE_FORMAT, EvidenceWriter, read_exchange

from .support import PATIENT, Harness


def _folders(root: Path) -> list[str]:
    return sorted(p.name for p in root.iterdir())


def test_layout_of_a_feed_and_a_retrieve(
    make_client: Callable[..., Harness], mode: str, tmp_path: Path, cda_file: BuiltCda
) -> None:
    root = tmp_path / "evidence"
    dmp = make_client(mode, exchange_hook=EvidenceWriter(root))
    dmp.test_existence(PATIENT)
    dmp.submit(PATIENT, [cda_file])
    dmp.retrieve(PATIENT, cda_file.unique_id, to=tmp_path / "got.xml")
    assert _folders(root) == ["001-TD0.2-ok", "002-TD2.1-ok", "003-TD3.2-ok"]

    feed = root / "002-TD2.1-ok"
    names = sorted(p.name for p in feed.iterdir())
    assert names[:2] == ["exchange.json", "request.http"]
    assert {"request.root.xml", "response.http", "response.root.xml", "vihf.xml"} <= set(names)
    parts = sorted(feed.glob("request.part-*"))
    assert len(parts) == 2  # the CDA, then the XAdES signature
    assert cda_file.path is not None
    assert parts[0].read_bytes() == cda_file.path.read_bytes()
    assert b"SignedProperties" in parts[1].read_bytes()
    assert (feed / "request.http").read_bytes().startswith(b"POST /si-dmp-server/v2/services/repository HTTP/1.1\r\n")
    assert (feed / "response.http").read_bytes().startswith(b"HTTP/1.1 200 OK\r\n")

    meta = read_exchange(feed)
    assert meta["format"] == EXCHANGE_FORMAT
    assert meta["transaction"] == "TD2.1"
    assert meta["outcome"] == "ok"
    assert meta["attempt"] == 1
    assert meta["message_id"].startswith("urn:uuid:")
    document = meta["request"]["parts"][0]
    assert document["sha1"] == cda_file.sha1
    assert document["size"] == cda_file.size
    assert document["source"] == str(cda_file.path)
    root_file = feed / meta["request"]["root"]["file"]
    assert hashlib.sha256(root_file.read_bytes()).hexdigest() == meta["request"]["root"]["sha256"]
    assert meta["response"]["status"] == 200
    assert meta["error"] is None
    assert meta["vihf"]["file"] == "vihf.xml"
    assert meta["masked_homologation"] is True

    got = root / "003-TD3.2-ok"
    received = sorted(got.glob("response.part-*"))
    assert len(received) == 1
    assert received[0].read_bytes() == cda_file.path.read_bytes()
    assert read_exchange(got)["response"]["parts"][0]["sha1"] == cda_file.sha1


def test_errors_numbering_and_options(make_client: Callable[..., Harness], mode: str, tmp_path: Path) -> None:
    root = tmp_path / "ev"
    (root / "007-TD0.2-ok").mkdir(parents=True)  # an earlier session

    def handler(request: httpx.Request, body: bytes) -> httpx.Response:
        return httpx.Response(500, headers={"content-type": "text/html"}, content=b"<html>down</html>")

    dmp = make_client(mode, handler, exchange_hook=EvidenceWriter(root, label="0.2-010"))
    with pytest.raises(DMPError, match="HTTP 500"):
        dmp.test_existence(PATIENT)
    assert _folders(root) == ["007-TD0.2-ok", "008-0.2-010-TD0.2-dmp-error"]
    meta = json.loads((root / "008-0.2-010-TD0.2-dmp-error" / "exchange.json").read_text())
    assert meta["dmp_code"] == "HTTP 500"
    assert meta["error"]["channel"] == "http"
    assert meta["error"]["http_status"] == 500
    assert (root / "008-0.2-010-TD0.2-dmp-error" / "response.body.txt").read_bytes() == b"<html>down</html>"


def test_transport_errors_have_no_response_files(
    make_client: Callable[..., Harness], mode: str, tmp_path: Path
) -> None:
    def handler(request: httpx.Request, body: bytes) -> httpx.Response:
        raise httpx.ConnectError("refused")

    dmp = make_client(mode, handler, exchange_hook=EvidenceWriter(tmp_path))
    with pytest.raises(Exception, match="cannot connect"):
        dmp.authorize(PATIENT)
    folder = tmp_path / "001-TD0.3-transport-error"
    assert not (folder / "response.http").exists()
    meta = read_exchange(folder)
    assert meta["response"] is None
    assert meta["error"]["type"] == "ConnectFailed"


def test_copy_documents_false_only_describes_parts(
    make_client: Callable[..., Harness], mode: str, tmp_path: Path, cda: BuiltCda
) -> None:
    dmp = make_client(mode, exchange_hook=EvidenceWriter(tmp_path, copy_documents=False))
    dmp.submit(PATIENT, [cda])
    folder = tmp_path / "001-TD2.1-ok"
    assert not list(folder.glob("request.part-*"))
    part = read_exchange(folder)["request"]["parts"][0]
    assert part["file"] is None
    assert part["sha1"] == cda.sha1


def test_read_exchange_checks_the_format(tmp_path: Path) -> None:
    (tmp_path / "exchange.json").write_text('{"format": "other"}')
    with pytest.raises(ValueError, match="dmpclient-exchange/1"):
        read_exchange(tmp_path)

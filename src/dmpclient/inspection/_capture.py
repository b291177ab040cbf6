"""Reading what the user hands to ``inspect``: a raw body, or a file with an HTTP start line and headers.

A capture file may hold (the three forms seen in support tickets and evidence folders):

* the body only (the official TD2.1 example: a bare MIME package), with the Content-Type given apart or
  sniffed from the first boundary line;
* an HTTP request or response: start line (``POST /… HTTP/1.1`` / ``HTTP/1.1 200 OK``), header block, blank
  line, body — what ``dmpclient.evidence`` writes in ``request.http`` / ``response.http``;
* a header block without start line (``Content-Type: …`` lines, blank line, body).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final, Literal

from dmpclient.errors import DMPClientError
from dmpclient.soap.mtom import parse_content_type

__all__ = [
    "EXCHANGE_FORMAT",
    "Note",
    "RawCapture",
    "is_evidence",
    "load_evidence",
    "resolve_content_type",
    "split_http",
]

_HEAD_LIMIT: Final = 64 * 1024
_REQUEST_LINE: Final = re.compile(r"^(GET|POST|PUT|HEAD|DELETE|OPTIONS|PATCH) +(\S+) +HTTP/\d(?:\.\d)?$")
_STATUS_LINE: Final = re.compile(r"^HTTP/\d(?:\.\d)? +(\d{3})(?: +.*)?$")
_HEADER_LINE: Final = re.compile(r"^[!#$%&'*+.^_`|~0-9A-Za-z-]+:")

Status = Literal["passed", "failed", "warning", "skipped"]


@dataclass(frozen=True, slots=True)
class Note:
    """A check produced while reading the capture (turned into a report check by the caller)."""

    name: str
    status: Status
    message: str


@dataclass(slots=True)
class RawCapture:
    """The capture split into HTTP facts and body bytes."""

    body: bytes
    content_type: str | None = None
    content_type_source: str | None = None
    start_line: str | None = None
    headers: tuple[tuple[str, str], ...] = ()
    direction: Literal["request", "response"] | None = None
    http_status: int | None = None
    path: str | None = None
    notes: list[Note] = field(default_factory=list)

    def header(self, name: str) -> str | None:
        """The first HTTP header ``name`` (case-insensitive), or None."""
        lowered = name.lower()
        return next((v for n, v in self.headers if n.lower() == lowered), None)


def _lines(head: bytes) -> tuple[list[str], int] | None:
    """Header lines and the offset of the body, or None when ``head`` holds no blank line."""
    pos = 0
    lines: list[str] = []
    while True:
        end = head.find(b"\n", pos)
        if end < 0:
            return None
        line = head[pos:end].rstrip(b"\r").decode("latin-1")
        pos = end + 1
        if not line.strip():
            return lines, pos
        lines.append(line)


def _dechunk(body: bytes) -> bytes | None:
    out = bytearray()
    pos = 0
    while True:
        end = body.find(b"\r\n", pos)
        if end < 0:
            return None
        size_text = body[pos:end].split(b";", 1)[0].strip()
        try:
            size = int(size_text, 16)
        except ValueError:
            return None
        pos = end + 2
        if size == 0:
            return bytes(out)
        if pos + size > len(body):
            return None
        out += body[pos : pos + size]
        pos += size + 2


def split_http(data: bytes, *, path: str | None = None) -> RawCapture:
    """Separate an HTTP start line and header block from the body, when the capture has them.

    Nothing is raised: a body without headers is returned as is (``headers`` empty).
    """
    start = len(data) - len(data.lstrip(b"\r\n"))
    head = data[start : start + _HEAD_LIMIT]
    first_end = head.find(b"\n")
    first = head[: first_end if first_end >= 0 else len(head)].rstrip(b"\r").decode("latin-1")
    request = _REQUEST_LINE.match(first)
    status = _STATUS_LINE.match(first)
    looks_like_headers = bool(_HEADER_LINE.match(first)) and not first.startswith(("--", "<"))
    if not (request or status or looks_like_headers):
        return RawCapture(body=data, path=path)
    split = _lines(head)
    if split is None:
        if request or status:
            return RawCapture(
                body=data,
                path=path,
                notes=[Note("http", "failed", "an HTTP start line but no blank line after the header block")],
            )
        return RawCapture(body=data, path=path)
    lines, offset = split
    start_line: str | None = None
    if request or status:
        start_line = lines.pop(0)
    headers: list[tuple[str, str]] = []
    for line in lines:
        if line[:1] in (" ", "\t") and headers:
            name, value = headers[-1]
            headers[-1] = (name, f"{value} {line.strip()}")
            continue
        name, sep, value = line.partition(":")
        if not sep:
            return RawCapture(body=data, path=path)  # not a header block after all
        headers.append((name.strip(), value.strip()))
    capture = RawCapture(
        body=data[start + offset :],
        start_line=start_line,
        headers=tuple(headers),
        direction="request" if request else "response" if status else None,
        http_status=int(status.group(1)) if status else None,
        path=path,
    )
    where = "HTTP start line and headers" if start_line else "header block"
    capture.notes.append(Note("http", "passed", f"{where} read ({len(headers)} headers); the body follows"))
    _transfer_checks(capture)
    return capture


def _transfer_checks(capture: RawCapture) -> None:
    encoding = (capture.header("transfer-encoding") or "").lower()
    if "chunked" in encoding:
        body = _dechunk(capture.body)
        if body is None:
            capture.notes.append(Note("transfer-encoding", "failed", "Transfer-Encoding chunked, but not decodable"))
        else:
            capture.body = body
            capture.notes.append(
                Note(
                    "transfer-encoding",
                    "warning",
                    "the body was sent with Transfer-Encoding chunked (decoded); whether the DMP accepts chunked "
                    "requests is unknown — send an exact Content-Length",
                )
            )
        return
    length = capture.header("content-length")
    if length is None:
        return
    try:
        declared = int(length)
    except ValueError:
        capture.notes.append(Note("content-length", "warning", f"Content-Length {length!r} is not a number"))
        return
    actual = len(capture.body)
    if declared == actual:
        capture.notes.append(Note("content-length", "passed", f"Content-Length {declared} equals the body size"))
        return
    hint = ""
    if actual > declared and capture.body[declared:].strip(b"\r\n") == b"":
        capture.body = capture.body[:declared]
        hint = " (trailing line ends after the body ignored)"
        capture.notes.append(Note("content-length", "passed", f"Content-Length {declared}{hint}"))
        return
    if capture.body.count(b"\r\n") == 0 and b"\n" in capture.body and declared > actual:
        hint = "; the capture has bare LF line ends: was it rewritten by a tool that drops CR?"
    capture.notes.append(
        Note(
            "content-length",
            "warning",
            f"Content-Length {declared} but the body holds {actual} bytes{hint}",
        )
    )


def resolve_content_type(
    capture: RawCapture, content_type: str | None, headers: Mapping[str, str] | None
) -> tuple[str | None, str | None]:
    """The Content-Type to read the body with, and where it came from (``argument``, ``headers``,
    ``capture``); None when nothing gives one (the reader then sniffs a boundary)."""
    given_headers = {k.lower(): v for k, v in (headers or {}).items()}
    from_file = capture.header("content-type")
    candidates = [
        ("argument", content_type),
        ("headers", given_headers.get("content-type")),
        ("capture", from_file),
    ]
    chosen = next(((src, value) for src, value in candidates if value and value.strip()), None)
    if chosen is None:
        return None, None
    source, value = chosen
    if source != "capture" and from_file and _media_key(from_file) != _media_key(value):
        capture.notes.append(
            Note(
                "content-type",
                "warning",
                f"the Content-Type given ({value!r}) differs from the one in the capture ({from_file!r}); "
                "the one given was used",
            )
        )
    return value, source


def _media_key(value: str) -> tuple[str, str | None]:
    media, params = parse_content_type(value)
    return media, params.get("boundary")


# ------------------------------------------------------------------------------------ evidence folders

#: ``format`` of the ``exchange.json`` written by :mod:`dmpclient.evidence`.
EXCHANGE_FORMAT: Final = "dmpclient-exchange/1"


def is_evidence(path: Path) -> bool:
    """True for an evidence folder, or its ``request.http`` / ``response.http`` (headers only, root apart)."""
    if path.is_dir():
        return (path / "exchange.json").is_file() or (path / "request.root.xml").is_file()
    side = path.name.removesuffix(".http")
    return path.suffix == ".http" and side in ("request", "response") and (path.parent / f"{side}.root.xml").is_file()


def load_evidence(path: Path, side: Literal["request", "response"]) -> RawCapture:
    """Re-assemble the body of one side of an evidence folder written by :class:`dmpclient.evidence.EvidenceWriter`.

    The folder holds ``<side>.http`` (start line and headers), ``<side>.root.xml`` (the envelope) and
    ``<side>.part-N.<cid>`` (each MTOM part, byte for byte), described in ``exchange.json``. The package is
    written again with the boundary and root Content-ID of the recorded Content-Type — for our own requests
    that is the byte stream that was sent. Each file is checked against the SHA-1 recorded at capture time.
    """
    import hashlib
    import json

    from dmpclient.soap.mtom import Attachment, MtomWriter, normalize_content_id

    folder = path if path.is_dir() else path.parent
    if not path.is_dir():
        side = "response" if path.name.startswith("response") else "request"
    notes: list[Note] = []
    meta: dict[str, object] = {}
    meta_file = folder / "exchange.json"
    if meta_file.is_file():
        try:
            loaded = json.loads(meta_file.read_text(encoding="utf-8"))
        except ValueError as exc:
            notes.append(Note("evidence", "warning", f"exchange.json is not readable JSON: {exc}"))
        else:
            if isinstance(loaded, dict) and loaded.get("format") == EXCHANGE_FORMAT:
                meta = loaded
            else:
                notes.append(Note("evidence", "warning", f"exchange.json is not a {EXCHANGE_FORMAT} file"))
    head_file = folder / f"{side}.http"
    head = split_http(head_file.read_bytes() + b"\r\n" if head_file.is_file() else b"", path=str(folder))
    root_file = folder / f"{side}.root.xml"
    if not root_file.is_file() and (folder / f"{side}.body.txt").is_file():
        root_file = folder / f"{side}.body.txt"  # a non-SOAP answer (an HTML error page …)
    root = root_file.read_bytes()
    recorded = meta.get(side) if isinstance(meta.get(side), dict) else {}
    assert isinstance(recorded, dict)
    declared_root = recorded.get("root")
    if isinstance(declared_root, dict) and declared_root.get("sha1"):
        ok = hashlib.sha1(root, usedforsecurity=False).hexdigest() == declared_root["sha1"]
        notes.append(
            Note(
                "evidence root",
                "passed" if ok else "failed",
                f"{side}.root.xml " + ("matches" if ok else "differs from") + " the SHA-1 recorded in exchange.json",
            )
        )
    attachments: list[Attachment] = []
    missing: list[str] = []
    for item in recorded.get("parts") or []:
        if not isinstance(item, dict):
            continue
        cid = normalize_content_id(str(item.get("content_id") or ""))
        name = item.get("file")
        file = folder / str(name) if name else None
        if file is None or not file.is_file():
            missing.append(cid)
            continue
        digest = hashlib.sha1(usedforsecurity=False)
        with file.open("rb") as handle:
            while chunk := handle.read(1024 * 1024):
                digest.update(chunk)
        ok = digest.hexdigest() == item.get("sha1")
        notes.append(
            Note(
                f"evidence part {item.get('index')}",
                "passed" if ok else "failed",
                f"{name} " + ("matches" if ok else "differs from") + " the SHA-1 recorded in exchange.json",
            )
        )
        attachments.append(Attachment(cid, str(item.get("content_type") or "application/octet-stream"), source=file))
    if missing:
        notes.append(
            Note(
                "evidence parts",
                "warning",
                f"parts not copied into the folder (copy_documents=False?): {', '.join(missing)}; give them with "
                "documents={Content-ID: file}",
            )
        )
    content_type = head.header("content-type") or str(recorded.get("content_type") or "") or None
    media, params = parse_content_type(content_type or "")
    if media.startswith("multipart/") and attachments and not missing:
        start = params.get("start")
        kwargs: dict[str, str] = {"root_content_id": normalize_content_id(start)} if start else {}
        try:
            writer = MtomWriter(
                root, attachments, action=params.get("action"), boundary=params.get("boundary"), **kwargs
            )
        except DMPClientError:
            writer = MtomWriter(root, attachments, action=params.get("action"), **kwargs)
        body, content_type = writer.body_bytes(), writer.content_type
    else:
        body = root
        if media.startswith("multipart/"):
            content_type = "application/soap+xml"
    notes.insert(
        0,
        Note(
            "evidence",
            "passed",
            f"evidence folder {folder.name}: {side} re-assembled from {side}.http, {side}.root.xml and "
            f"{len(attachments)} part file(s)",
        ),
    )
    return RawCapture(
        body=body,
        content_type=content_type,
        content_type_source="capture",
        start_line=head.start_line,
        headers=head.headers,
        direction=side,
        http_status=head.http_status,
        path=str(folder),
        notes=notes,
    )

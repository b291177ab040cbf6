"""Evidence: every exchange with the DMP written as files, for the GIE support and CNDA / Ségur proofs.

:class:`EvidenceWriter` is an exchange hook (``DMPClient(…, exchange_hook=EvidenceWriter("evidence/"))``).
Each HTTP exchange (each attempt, each redirect) becomes one folder, numbered in order::

    evidence/
      001-TD0.2-ok/
        request.http            start line + request headers (Authorization/Cookie masked)
        request.root.xml        the SOAP envelope as sent (homologation number masked)
        vihf.xml                the VIHF assertion of the request (masked the same way)
        response.http           status line + response headers
        response.root.xml       the SOAP envelope received (or response.body.txt: a non-SOAP answer)
        exchange.json           metadata: transaction, URL, MessageID, timings, sizes, SHA-1/SHA-256 of every
                                file, outcome, the DMP's code and French message
      002-TD2.1-ok/
        request.part-1.<cid>    each MTOM part after the root, byte for byte (the CDA, the XAdES signature)
        request.part-2.<cid>
        …
      003-TD3.2-ok/
        response.part-1.<cid>   each MTOM part received (the document)

Folder name: ``NNN-<TD>-<outcome>`` with the outcome of :class:`dmpclient.client.Outcome` (``ok``,
``dmp-error``, ``transport-error``, ``protocol-error``, ``redirect``). Numbers continue after the highest
folder already present, so one directory can collect a whole homologation session. The CNDA asks for the
request and the response of each test and, for feeding, all MIME parts: they are here, unmodified except for
the masked homologation number (build the client with ``mask_homologation=False`` to keep it, e.g. for a
VIHF signature check by the reviewer). ``exchange.json`` has the format ``dmpclient-exchange/1`` (see
:data:`EXCHANGE_FORMAT` and ``docs/client/evidence.md``).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import threading
from collections.abc import Iterable
from pathlib import Path
from typing import IO, Any, Final
from urllib.parse import urlsplit

from dmpclient.client._exchange import Exchange, SentPart
from dmpclient.errors import DMPClientError, DMPError
from dmpclient.soap import ReceivedPart

__all__ = ["EXCHANGE_FORMAT", "EvidenceWriter", "read_exchange"]

#: ``format`` field of ``exchange.json``.
EXCHANGE_FORMAT: Final = "dmpclient-exchange/1"
_FOLDER_RE: Final = re.compile(r"^(\d+)-")
_SAFE_RE: Final = re.compile(r"[^A-Za-z0-9._@-]+")
_CHUNK: Final = 1024 * 1024


def _safe(text: str, limit: int = 80) -> str:
    return _SAFE_RE.sub("_", text)[:limit].strip("._") or "part"


def _http_lines(start: str, headers: Iterable[tuple[str, str]]) -> bytes:
    lines = [start, *(f"{n}: {v}" for n, v in headers), "", ""]
    return "\r\n".join(lines).encode("latin-1", "replace")


class _Hashing:
    def __init__(self) -> None:
        self.sha1 = hashlib.sha1(usedforsecurity=False)
        self.sha256 = hashlib.sha256()
        self.size = 0

    def update(self, data: bytes) -> None:
        self.sha1.update(data)
        self.sha256.update(data)
        self.size += len(data)

    def describe(self, file: str | None) -> dict[str, Any]:
        return {"file": file, "size": self.size, "sha1": self.sha1.hexdigest(), "sha256": self.sha256.hexdigest()}


def _write_bytes(path: Path, data: bytes) -> dict[str, Any]:
    path.write_bytes(data)
    h = _Hashing()
    h.update(data)
    return h.describe(path.name)


def _copy_stream(source: IO[bytes], path: Path | None) -> _Hashing:
    h = _Hashing()
    if path is None:
        while chunk := source.read(_CHUNK):
            h.update(chunk)
        return h
    with path.open("wb") as out:
        while chunk := source.read(_CHUNK):
            h.update(chunk)
            out.write(chunk)
    return h


def _error_dict(error: BaseException | None) -> dict[str, Any] | None:
    if error is None:
        return None
    data: dict[str, Any] = {"type": type(error).__name__, "message": str(error)}
    if isinstance(error, DMPError):
        data.update(
            channel=error.channel.value,
            code=error.code,
            message_fr=error.message_fr,
            http_status=error.http_status,
            location=error.location,
        )
    elif isinstance(error, DMPClientError):
        for attr in ("rule", "field", "url", "sent", "phase"):
            value = getattr(error, attr, None)
            if value is not None:
                data[attr] = value
    return data


class EvidenceWriter:
    """An exchange hook writing each exchange into ``directory`` (layout in the module docstring).

    Args:
        directory: created when missing; numbering continues after the folders already there.
        copy_documents: copy the MTOM parts (documents). When False, parts are only described in
            ``exchange.json`` (size, hashes, the source path of file-backed request parts).
        label: an extra word in folder names (e.g. the CNDA test id ``2.1-900``): ``NNN-<label>-<TD>-<outcome>``.

    Thread-safe: concurrent exchanges get distinct numbers. :attr:`written` lists the folders written.
    """

    def __init__(self, directory: str | os.PathLike[str], *, copy_documents: bool = True, label: str | None = None):
        self.directory = Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True)
        self.copy_documents = copy_documents
        self.label = label
        self.written: list[Path] = []
        self._lock = threading.Lock()
        numbers = [int(m.group(1)) for p in self.directory.iterdir() if p.is_dir() and (m := _FOLDER_RE.match(p.name))]
        self._next = max(numbers, default=0) + 1

    def _folder(self, exchange: Exchange) -> Path:
        with self._lock:
            number = self._next
            self._next += 1
        parts = [f"{number:03d}"]
        if self.label:
            parts.append(_safe(self.label, 40))
        parts += [_safe(exchange.transaction, 20), exchange.outcome]
        folder = self.directory / "-".join(parts)
        folder.mkdir()
        with self._lock:
            self.written.append(folder)
        return folder

    def __call__(self, exchange: Exchange) -> None:
        """Write one exchange."""
        folder = self._folder(exchange)
        target = urlsplit(exchange.url)
        path = target.path + (f"?{target.query}" if target.query else "")
        request_headers = list(exchange.request_headers)
        if not any(n.lower() == "host" for n, _ in request_headers) and target.netloc:
            request_headers.insert(0, ("Host", target.netloc))
        (folder / "request.http").write_bytes(
            _http_lines(f"{exchange.method} {path or '/'} {exchange.http_version or 'HTTP/1.1'}", request_headers)
        )
        request: dict[str, Any] = {
            "content_type": exchange.request_content_type,
            "size": exchange.request_size,
            "root": _write_bytes(folder / "request.root.xml", exchange.request_root),
            "parts": [self._sent_part(folder, i, p) for i, p in enumerate(exchange.request_parts, 1)],
        }
        vihf = _write_bytes(folder / "vihf.xml", exchange.vihf) if exchange.vihf is not None else None
        response: dict[str, Any] | None = None
        if exchange.response_status is not None:
            version = exchange.http_version or "HTTP/1.1"
            status_line = f"{version} {exchange.response_status} {exchange.response_reason or ''}".rstrip()
            (folder / "response.http").write_bytes(_http_lines(status_line, exchange.response_headers))
            response = {
                "status": exchange.response_status,
                "reason": exchange.response_reason,
                "http_version": exchange.http_version,
                "content_type": exchange.header("content-type"),
                "size": exchange.response_size,
                "root": None,
                "parts": [self._received_part(folder, i, p) for i, p in enumerate(exchange.response_parts, 1)],
            }
            if exchange.response_root is not None:
                name = "response.root.xml" if _is_soap(exchange.header("content-type")) else "response.body.txt"
                response["root"] = _write_bytes(folder / name, exchange.response_root)
        meta = {
            "format": EXCHANGE_FORMAT,
            "sequence": exchange.sequence,
            "folder": folder.name,
            "transaction": exchange.transaction,
            "attempt": exchange.attempt,
            "outcome": exchange.outcome,
            "method": exchange.method,
            "url": exchange.url,
            "message_id": exchange.message_id,
            "started_at": exchange.started_at.isoformat(),
            "ended_at": exchange.ended_at.isoformat(),
            "duration_ms": round(exchange.duration * 1000, 3),
            "request": request,
            "vihf": vihf,
            "response": response,
            "redirect_to": exchange.redirect_to,
            "error": _error_dict(exchange.error),
            "dmp_code": exchange.dmp_code,
            "dmp_message": exchange.dmp_message,
            "masked_homologation": exchange.masked_homologation,
        }
        (folder / "exchange.json").write_text(json.dumps(meta, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")

    def _sent_part(self, folder: Path, index: int, part: SentPart) -> dict[str, Any]:
        name = f"request.part-{index}.{_safe(part.content_id)}"
        dest = folder / name if self.copy_documents else None
        if part.data is not None:
            if dest is not None:
                dest.write_bytes(part.data)
            h = _Hashing()
            h.update(part.data)
        else:
            assert part.path is not None
            with part.path.open("rb") as source:
                h = _copy_stream(source, dest)
        info = h.describe(name if dest is not None else None)
        info.update(
            index=index,
            content_id=part.content_id,
            content_type=part.content_type,
            source=str(part.path) if part.path is not None else None,
        )
        return info

    def _received_part(self, folder: Path, index: int, part: ReceivedPart) -> dict[str, Any]:
        name = f"response.part-{index}.{_safe(part.content_id or str(index))}"
        dest = folder / name if self.copy_documents else None
        if dest is not None and part.path is not None:
            shutil.copyfile(part.path, dest)
            with dest.open("rb") as source:
                h = _copy_stream(source, None)
        else:
            with part.open() as source:
                h = _copy_stream(source, dest)
        info = h.describe(name if dest is not None else None)
        info.update(index=index, content_id=part.content_id, content_type=part.content_type)
        return info


def _is_soap(content_type: str | None) -> bool:
    media = (content_type or "").split(";", 1)[0].strip().lower()
    return (
        media.startswith("multipart/")
        or media in ("application/soap+xml", "text/xml", "application/xml")
        or (media.endswith("+xml"))
    )


def read_exchange(folder: str | os.PathLike[str]) -> dict[str, Any]:
    """The ``exchange.json`` of an evidence folder, checked for its format."""
    data: dict[str, Any] = json.loads((Path(folder) / "exchange.json").read_text(encoding="utf-8"))
    if data.get("format") != EXCHANGE_FORMAT:
        raise ValueError(f"not a {EXCHANGE_FORMAT} file: {folder}")
    return data

"""MTOM/XOP: a streaming writer, a streaming (sans-IO) reader, and a tolerant reader for captures.

Reference: ``envelope-and-transport.md`` §5 and ``library-notes.md`` ("MTOM/XOP building and parsing").

Writer rules: the package is written by hand (never with the stdlib ``email`` package, which rewrites bare
LF to CRLF inside binary parts), with CRLF MIME line ends, ``Content-Transfer-Encoding: binary``, the
exact ``Content-Length`` computed before the first byte, documents streamed from bytes or files in chunks,
and a random boundary that is checked against every in-memory source.

Reader rules: python-multipart's streaming parser splits the parts; the root part (the SOAP envelope) is
kept in memory and parsed through :mod:`dmpclient._xml`; the other parts are hashed (SHA-1) while they
arrive and kept in memory up to a threshold, spooled to a temporary file above it. Every ``xop:Include``
must point with a ``cid:`` URL (URL-decoded per RFC 2392) to a part of the same message. A plain
``application/soap+xml`` body is accepted too (no parts). Captures with bare-LF line ends (the official
TD2.1 example) are read by :func:`read_capture`, a bounded non-streaming splitter.
"""

from __future__ import annotations

import binascii
import contextlib
import hashlib
import io
import os
import re
import secrets
import shutil
import tempfile
import uuid
import weakref
from collections.abc import AsyncIterable, AsyncIterator, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import IO, Any, Final, Protocol
from urllib.parse import quote, unquote

from lxml import etree
from python_multipart.exceptions import FormParserError
from python_multipart.multipart import MultipartParser, MultipartState

from dmpclient import _xml
from dmpclient._xml import NS
from dmpclient.errors import InvalidValue, ProtocolError
from dmpclient.soap.envelope import ParsedEnvelope, SoapVersion, parse_envelope

__all__ = [
    "DEFAULT_CHUNK_SIZE",
    "DEFAULT_MAX_CAPTURE_SIZE",
    "DEFAULT_MAX_MESSAGE_SIZE",
    "DEFAULT_MEMORY_THRESHOLD",
    "ROOT_CONTENT_ID",
    "XOP_NS",
    "Attachment",
    "MtomReader",
    "MtomWriter",
    "OutgoingBody",
    "PlainBody",
    "ReceivedPart",
    "SoapMessage",
    "aread_message",
    "cid_href",
    "content_id_from_href",
    "format_content_type",
    "new_boundary",
    "new_content_id",
    "normalize_content_id",
    "parse_content_type",
    "read_capture",
    "read_message",
    "resolve_xop",
    "xop_include",
]

XOP_NS: Final = NS["xop"]
XOP_INCLUDE: Final = f"{{{XOP_NS}}}Include"
#: Content-ID of the root part written by dmpclient (without angle brackets).
ROOT_CONTENT_ID: Final = "root.message@dmpclient"
DEFAULT_CHUNK_SIZE: Final = 64 * 1024
#: Parts up to this size stay in memory; larger ones are spooled to a temporary file.
DEFAULT_MEMORY_THRESHOLD: Final = 1024 * 1024
#: Upper bound of a streamed message (all parts, MIME framing included).
DEFAULT_MAX_MESSAGE_SIZE: Final = 1024 * 1024 * 1024
#: Upper bound of a capture read by the non-streaming tolerant reader.
DEFAULT_MAX_CAPTURE_SIZE: Final = 256 * 1024 * 1024
DEFAULT_MAX_PARTS: Final = 1000
_MAX_PREAMBLE: Final = 64 * 1024
_CRLF: Final = b"\r\n"
_XML_MEDIA_TYPES: Final = frozenset({"application/soap+xml", "text/xml", "application/xml", "application/xop+xml"})


# -------------------------------------------------------------------------------- header helpers


def parse_content_type(value: str) -> tuple[str, dict[str, str]]:
    """Split a MIME ``Content-Type`` value into the lower-cased media type and its parameters.

    Parameter names are lower-cased; quoted-string values are unquoted (backslash escapes removed), so
    ``type="application/soap+xml; action=\\"urn:x\\""`` gives ``application/soap+xml; action="urn:x"``.
    The first occurrence of a repeated parameter wins.
    """
    semi = value.find(";")
    media = (value if semi < 0 else value[:semi]).strip().lower()
    params: dict[str, str] = {}
    n = len(value)
    i = n if semi < 0 else semi + 1
    while i < n:
        while i < n and value[i] in " \t;":
            i += 1
        if i >= n:
            break
        eq = value.find("=", i)
        nxt = value.find(";", i)
        if eq < 0 or (0 <= nxt < eq):  # a parameter without value: skip it
            i = n if nxt < 0 else nxt
            continue
        name = value[i:eq].strip().lower()
        i = eq + 1
        while i < n and value[i] in " \t":
            i += 1
        if i < n and value[i] == '"':
            i += 1
            chars: list[str] = []
            while i < n and value[i] != '"':
                if value[i] == "\\" and i + 1 < n:
                    i += 1
                chars.append(value[i])
                i += 1
            text = "".join(chars)
            nxt = value.find(";", i)
            i = n if nxt < 0 else nxt
        else:
            nxt = value.find(";", i)
            end = n if nxt < 0 else nxt
            text = value[i:end].strip()
            i = end
        if name and name not in params:
            params[name] = text
    return media, params


def _check_header_text(value: str, field_name: str) -> None:
    if any(ord(c) < 0x20 and c != "\t" for c in value) or "\x7f" in value:
        raise InvalidValue("control characters are not allowed in a MIME header", field=field_name, value=value)
    try:
        value.encode("ascii")
    except UnicodeEncodeError:
        raise InvalidValue("a MIME header value must be ASCII", field=field_name, value=value) from None


def _quoted(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def format_content_type(media_type: str, params: Iterable[tuple[str, str]]) -> str:
    """``media/type; name="value"; …`` with every value quoted (backslash-escaped)."""
    return "; ".join([media_type, *(f"{name}={_quoted(val)}" for name, val in params)])


# ---------------------------------------------------------------------------------- content ids

# RFC 3986 unreserved + sub-delims + "@" stay as is; ":" "/" "%" and the rest are percent-encoded, which
# is what Apache CXF (the DMP) does: cid:…-2@urn%3Aihe%3Aiti%3Axds-b%3A2007.
_CID_SAFE: Final = "!$&'()*+,;=-._~@"
_CID_FORBIDDEN: Final = frozenset('<>"\\ \t')


def new_content_id(domain: str = "dmpclient") -> str:
    """A fresh Content-ID ``<uuid4>@<domain>`` (without angle brackets)."""
    return f"{uuid.uuid4()}@{domain}"


def normalize_content_id(value: str) -> str:
    """A Content-ID header value without surrounding whitespace and angle brackets."""
    text = value.strip()
    if text.startswith("<") and text.endswith(">"):
        text = text[1:-1].strip()
    return text


def _check_content_id(value: str, field_name: str) -> str:
    cid = normalize_content_id(value)
    if not cid:
        raise InvalidValue("a Content-ID must not be empty", field=field_name, value=value, rule="RFC 2392")
    bad = [c for c in cid if c in _CID_FORBIDDEN or not (0x21 <= ord(c) <= 0x7E)]
    if bad:
        raise InvalidValue(
            f"character {bad[0]!r} is not allowed in a Content-ID", field=field_name, value=value, rule="RFC 2392"
        )
    return cid


def cid_href(content_id: str) -> str:
    """The ``cid:`` URL of a Content-ID (RFC 2392: URL-encoded, no angle brackets)."""
    return "cid:" + quote(_check_content_id(content_id, "content_id"), safe=_CID_SAFE)


def content_id_from_href(href: str | None) -> str:
    """The Content-ID an ``xop:Include/@href`` refers to (``cid:`` scheme, URL-decoded, brackets stripped).

    Raises:
        ProtocolError: no href, or a scheme other than ``cid:`` (``http:``, ``file:`` … are refused: an
            include must point to a part of the same message).
    """
    if href is None or not href.strip():
        raise ProtocolError("xop:Include without href")
    text = href.strip()
    if text[:4].lower() != "cid:":
        raise ProtocolError(f"xop:Include href {text!r} is not a cid: URL; only parts of the same message are allowed")
    return normalize_content_id(unquote(text[4:]))


def xop_include(content_id: str) -> etree._Element:
    """``<xop:Include href="cid:…"/>`` for a part (put it as the only child of e.g. ``xdsb:Document``)."""
    el = etree.Element(XOP_INCLUDE, nsmap={"xop": XOP_NS})
    el.set("href", cid_href(content_id))
    return el


def new_boundary() -> str:
    """A random MIME boundary (128 random bits; only RFC 2046 ``bchars``)."""
    return f"MIMEBoundary_{secrets.token_hex(16)}"


_BOUNDARY_RE: Final = re.compile(r"^[0-9A-Za-z'()+_,\-./:=?]{1,70}$")


# ------------------------------------------------------------------------------------------ writer


@dataclass(frozen=True)
class Attachment:
    """A document to send as an MTOM part.

    Attributes:
        content_id: Content-ID without angle brackets (``new_content_id()``); referenced from the envelope
            with :func:`xop_include`.
        content_type: media type of the part (the DMP's own traces use ``application/octet-stream``).
        source: the exact bytes, or a file path read in chunks while sending (never loaded whole).
        size: exact size in bytes; computed (``len`` or ``stat``) when omitted, checked when given.
    """

    content_id: str
    content_type: str = "application/octet-stream"
    source: bytes | Path = field(default=b"", kw_only=True)
    size: int = field(default=-1, kw_only=True)

    def __post_init__(self) -> None:
        object.__setattr__(self, "content_id", _check_content_id(self.content_id, "attachment.content_id"))
        _check_header_text(self.content_type, "attachment.content_type")
        source: Any = self.source
        if isinstance(source, bytearray | memoryview):
            source = bytes(source)
            object.__setattr__(self, "source", source)
        elif isinstance(source, str | os.PathLike):
            source = Path(source)
            object.__setattr__(self, "source", source)
        if isinstance(source, bytes):
            actual = len(source)
        elif isinstance(source, Path):
            try:
                actual = source.stat().st_size
            except OSError as exc:
                raise InvalidValue(
                    f"cannot read the file: {exc.strerror}", field="attachment.source", value=source
                ) from None
            if not source.is_file():
                raise InvalidValue("not a regular file", field="attachment.source", value=source)
        else:
            raise InvalidValue("the source must be bytes or a file path", field="attachment.source", value=source)
        if self.size == -1:
            object.__setattr__(self, "size", actual)
        elif self.size != actual:
            raise InvalidValue(
                f"declared size {self.size} differs from the actual size {actual}",
                field="attachment.size",
                value=self.size,
                rule="exact Content-Length",
            )

    @classmethod
    def from_bytes(
        cls, data: bytes, *, content_id: str | None = None, content_type: str = "application/octet-stream"
    ) -> Attachment:
        """An attachment from bytes, with a fresh Content-ID unless one is given."""
        return cls(content_id or new_content_id(), content_type, source=data)

    @classmethod
    def from_file(
        cls,
        path: str | os.PathLike[str],
        *,
        content_id: str | None = None,
        content_type: str = "application/octet-stream",
    ) -> Attachment:
        """An attachment streamed from a file, with a fresh Content-ID unless one is given."""
        return cls(content_id or new_content_id(), content_type, source=Path(path))

    @property
    def href(self) -> str:
        """The ``cid:`` URL of this part."""
        return cid_href(self.content_id)


class OutgoingBody(Protocol):
    """What the client needs to send a body: type, exact length, and a fresh byte stream per call."""

    root: bytes
    """The serialized envelope (root part)."""

    @property
    def content_type(self) -> str:
        """HTTP ``Content-Type``."""
        ...

    @property
    def content_length(self) -> int:
        """Exact number of bytes :meth:`iter_bytes` yields."""
        ...

    def iter_bytes(self, chunk_size: int = DEFAULT_CHUNK_SIZE) -> Iterator[bytes]:
        """A new iterator over the body bytes."""
        ...

    def aiter_bytes(self, chunk_size: int = DEFAULT_CHUNK_SIZE) -> AsyncIterator[bytes]:
        """A new async iterator over the body bytes."""
        ...


def _slices(data: bytes, chunk_size: int) -> Iterator[bytes]:
    if len(data) <= chunk_size:
        if data:
            yield data
        return
    view = memoryview(data)
    for start in range(0, len(data), chunk_size):
        yield bytes(view[start : start + chunk_size])


def _check_chunk_size(chunk_size: int) -> None:
    if chunk_size < 1:
        raise InvalidValue("the chunk size must be positive", field="chunk_size", value=chunk_size)


class PlainBody:
    """A non-MTOM SOAP 1.2 body: ``application/soap+xml; charset=UTF-8; action="…"``."""

    def __init__(self, root: bytes, *, action: str | None) -> None:
        """Wrap serialized envelope bytes; ``action`` goes into the Content-Type."""
        if action is not None:
            _check_header_text(action, "action")
        self.root = root
        self.action = action
        params = [("action", action)] if action else []
        self.content_type = "application/soap+xml; charset=UTF-8" + "".join(f"; {n}={_quoted(v)}" for n, v in params)
        self.content_length = len(root)

    def iter_bytes(self, chunk_size: int = DEFAULT_CHUNK_SIZE) -> Iterator[bytes]:
        """The envelope bytes in slices of ``chunk_size``."""
        _check_chunk_size(chunk_size)
        return _slices(self.root, chunk_size)

    async def aiter_bytes(self, chunk_size: int = DEFAULT_CHUNK_SIZE) -> AsyncIterator[bytes]:
        """Async variant of :meth:`iter_bytes`."""
        for chunk in self.iter_bytes(chunk_size):
            yield chunk

    def body_bytes(self) -> bytes:
        """The whole body."""
        return self.root


class MtomWriter:
    """A streaming MTOM/XOP package writer (multipart/related, XOP 1.0, SOAP 1.2 MTOM).

    The layout is fixed at construction — boundary, headers, exact :attr:`content_length` — so that the
    HTTP headers can be sent before the first byte of the body. Each call of :meth:`iter_bytes` or
    :meth:`aiter_bytes` produces a fresh stream (a retry can re-send), reading files chunk by chunk.
    """

    def __init__(
        self,
        root: bytes,
        attachments: Sequence[Attachment] = (),
        *,
        action: str | None,
        boundary: str | None = None,
        root_content_id: str = ROOT_CONTENT_ID,
    ) -> None:
        """Lay out the package.

        Args:
            root: the serialized SOAP envelope (with its ``xop:Include`` elements).
            attachments: the parts after the root, in order.
            action: the WS-Addressing action, repeated in the MIME ``action`` parameters.
            boundary: a fixed boundary (tests, reproducible captures); random when omitted.
            root_content_id: Content-ID of the root part.

        Raises:
            InvalidValue: duplicate Content-IDs, invalid boundary, or a given boundary found in a source.
        """
        if action is not None:
            _check_header_text(action, "action")
        self.root = root
        self.attachments = tuple(attachments)
        self.action = action
        self.root_content_id = _check_content_id(root_content_id, "root_content_id")
        seen = {self.root_content_id}
        for index, att in enumerate(self.attachments):
            if att.content_id in seen:
                raise InvalidValue(
                    "duplicate Content-ID in the package",
                    field=f"attachments[{index}].content_id",
                    value=att.content_id,
                )
            seen.add(att.content_id)
        in_memory = [root, *(a.source for a in self.attachments if isinstance(a.source, bytes))]
        if boundary is None:
            for _ in range(16):
                boundary = new_boundary()
                if not any(boundary.encode("ascii") in data for data in in_memory):
                    break
            else:  # pragma: no cover - 16 collisions of 128 random bits
                raise InvalidValue("could not find a MIME boundary absent from the content", field="boundary")
        else:
            if not _BOUNDARY_RE.match(boundary) or boundary.endswith(" "):
                raise InvalidValue("not a valid MIME boundary", field="boundary", value=boundary, rule="RFC 2046")
            if any(boundary.encode("ascii") in data for data in in_memory):
                raise InvalidValue(
                    "the boundary occurs in the content", field="boundary", value=boundary, rule="RFC 2046"
                )
        self.boundary: str = boundary
        self._boundary_bytes = boundary.encode("ascii")

        root_type = "application/soap+xml" + (f"; action={_quoted(action)}" if action else "")
        self._root_head = (
            f"--{boundary}\r\n"
            f"Content-Type: application/xop+xml; charset=UTF-8; type={_quoted(root_type)}\r\n"
            "Content-Transfer-Encoding: binary\r\n"
            f"Content-ID: <{self.root_content_id}>\r\n"
            "\r\n"
        ).encode("ascii")
        self._part_heads = [
            (
                f"\r\n--{boundary}\r\n"
                f"Content-Type: {att.content_type}\r\n"
                "Content-Transfer-Encoding: binary\r\n"
                f"Content-ID: <{att.content_id}>\r\n"
                "\r\n"
            ).encode("ascii")
            for att in self.attachments
        ]
        self._tail = f"\r\n--{boundary}--\r\n".encode("ascii")
        params = [
            ("type", "application/xop+xml"),
            ("boundary", boundary),
            ("start", f"<{self.root_content_id}>"),
            ("start-info", "application/soap+xml"),
        ]
        if action:
            params.append(("action", action))
        self.content_type: str = format_content_type("multipart/related", params)
        self.content_length: int = (
            len(self._root_head)
            + len(root)
            + sum(len(h) + a.size for h, a in zip(self._part_heads, self.attachments, strict=True))
            + len(self._tail)
        )

    def iter_bytes(self, chunk_size: int = DEFAULT_CHUNK_SIZE) -> Iterator[bytes]:
        """A new stream of the package: root part, then each document in chunks, then the closing line.

        Raises (while iterating):
            InvalidValue: a file changed size since the attachment was created, or contains the boundary.
        """
        _check_chunk_size(chunk_size)
        return self._generate(chunk_size)

    def _generate(self, chunk_size: int) -> Iterator[bytes]:
        yield self._root_head
        yield from _slices(self.root, chunk_size)
        for index, (head, att) in enumerate(zip(self._part_heads, self.attachments, strict=True)):
            yield head
            if isinstance(att.source, bytes):
                yield from _slices(att.source, chunk_size)
            else:
                yield from self._file_chunks(index, att, att.source, chunk_size)
        yield self._tail

    def _file_chunks(self, index: int, att: Attachment, path: Path, chunk_size: int) -> Iterator[bytes]:
        needle = self._boundary_bytes
        overlap = len(needle) - 1
        carry = b""
        remaining = att.size
        where = f"attachments[{index}].source"
        with path.open("rb") as handle:
            while remaining > 0:
                chunk = handle.read(min(chunk_size, remaining))
                if not chunk:
                    raise InvalidValue(
                        f"the file shrank while being sent ({att.size - remaining} of {att.size} bytes read)",
                        field=where,
                        value=path,
                        rule="exact Content-Length",
                    )
                remaining -= len(chunk)
                window = carry + chunk if carry else chunk
                if needle in window:
                    raise InvalidValue("the file contains the MIME boundary", field=where, value=path, rule="RFC 2046")
                carry = window[-overlap:] if overlap else b""
                yield chunk
            if handle.read(1):
                raise InvalidValue(
                    f"the file grew while being sent (more than {att.size} bytes)",
                    field=where,
                    value=path,
                    rule="exact Content-Length",
                )

    async def aiter_bytes(self, chunk_size: int = DEFAULT_CHUNK_SIZE) -> AsyncIterator[bytes]:
        """Async variant of :meth:`iter_bytes` (local file reads of ``chunk_size`` bytes block briefly)."""
        for chunk in self.iter_bytes(chunk_size):
            yield chunk

    def body_bytes(self) -> bytes:
        """The whole package in memory (small messages, evidence capture)."""
        return b"".join(self.iter_bytes())


# ------------------------------------------------------------------------------------------ reader


def _unlink_quietly(path: str) -> None:
    with contextlib.suppress(FileNotFoundError):
        os.unlink(path)


class ReceivedPart:
    """A non-root MIME part received in an MTOM package.

    The content is hashed while it arrives; it stays in memory up to the reader's threshold and is
    spooled to a temporary file above it (deleted by :meth:`discard`, by closing the
    :class:`SoapMessage`, or when the object is garbage-collected — unless :meth:`move_to` took it).

    Attributes:
        content_id: Content-ID without angle brackets (None when the part has none).
        headers: the part headers as ``(name, value)`` pairs, in order.
        content_type: the part's ``Content-Type`` (``application/octet-stream`` when absent).
        transfer_encoding: ``binary``, ``8bit``, ``7bit`` or ``base64`` (decoded on arrival).
        size: number of content bytes (after transfer decoding).
        digests: hex digests computed while receiving (``{"sha1": …}`` by default).
    """

    def __init__(
        self,
        headers: Sequence[tuple[str, str]],
        *,
        spool_dir: str | os.PathLike[str] | None = None,
        memory_threshold: int = DEFAULT_MEMORY_THRESHOLD,
        digests: Sequence[str] = ("sha1",),
    ) -> None:
        """Create an empty part (the readers do this; use :func:`read_message`)."""
        self.headers: tuple[tuple[str, str], ...] = tuple(headers)
        cid = self.header("content-id")
        self.content_id: str | None = normalize_content_id(cid) if cid else None
        self.content_type: str = self.header("content-type") or "application/octet-stream"
        self.transfer_encoding: str = (self.header("content-transfer-encoding") or "binary").strip().lower()
        self.size = 0
        self.digests: dict[str, str] = {}
        self._hashers = {name: hashlib.new(name) for name in ("sha1", *digests)}
        self._spool_dir = spool_dir
        self._threshold = memory_threshold
        self._buffer: bytearray | None = bytearray()
        self._handle: IO[bytes] | None = None
        self._path: Path | None = None
        self._finalizer: weakref.finalize[Any, Any] | None = None
        self._owned = True

    def header(self, name: str) -> str | None:
        """The first header ``name`` (case-insensitive), or None."""
        lowered = name.lower()
        return next((v for n, v in self.headers if n.lower() == lowered), None)

    @property
    def media_type(self) -> str:
        """The lower-cased media type of :attr:`content_type`, without parameters."""
        return parse_content_type(self.content_type)[0]

    @property
    def sha1(self) -> str:
        """Lower-case hex SHA-1 of the content (the XDS ``hash``)."""
        return self.digests["sha1"]

    @property
    def in_memory(self) -> bool:
        """True when the content is held in memory (not spooled)."""
        return self._path is None

    @property
    def path(self) -> Path | None:
        """The file holding the content when spooled (or after :meth:`move_to`), else None."""
        return self._path

    # -- receiving

    def _write(self, data: bytes | memoryview) -> None:
        if not data:
            return
        for hasher in self._hashers.values():
            hasher.update(data)
        self.size += len(data)
        if self._handle is not None:
            self._handle.write(data)
            return
        assert self._buffer is not None
        self._buffer += data
        if len(self._buffer) > self._threshold:
            handle = tempfile.NamedTemporaryFile(  # noqa: SIM115 - closed in _finish/discard
                prefix="dmpclient-part-", suffix=".bin", dir=self._spool_dir, delete=False
            )
            self._path = Path(handle.name)
            self._finalizer = weakref.finalize(self, _unlink_quietly, handle.name)
            handle.write(self._buffer)
            self._buffer = None
            self._handle = handle

    def _finish(self) -> None:
        if self._handle is not None:
            self._handle.close()
            self._handle = None
        self.digests = {name: h.hexdigest() for name, h in self._hashers.items()}

    # -- using

    def open(self) -> IO[bytes]:
        """A binary file object over the content (a file when spooled, ``BytesIO`` otherwise)."""
        if self._buffer is not None:
            return io.BytesIO(self._buffer)
        if self._path is None:
            raise ProtocolError("the part was discarded")
        return self._path.open("rb")

    def read_bytes(self) -> bytes:
        """The whole content (loads a spooled part into memory)."""
        if self._buffer is not None:
            return bytes(self._buffer)
        if self._path is None:
            raise ProtocolError("the part was discarded")
        return self._path.read_bytes()

    def iter_bytes(self, chunk_size: int = DEFAULT_CHUNK_SIZE) -> Iterator[bytes]:
        """The content in chunks (without loading a spooled part)."""
        with self.open() as handle:
            while chunk := handle.read(chunk_size):
                yield chunk

    def save(self, dest: str | os.PathLike[str]) -> Path:
        """Copy the content to ``dest`` (the temporary file, if any, stays owned by this part)."""
        target = Path(dest)
        if self._buffer is not None:
            target.write_bytes(self._buffer)
        elif self._path is not None:
            shutil.copyfile(self._path, target)
        else:
            raise ProtocolError("the part was discarded")
        return target

    def move_to(self, dest: str | os.PathLike[str]) -> Path:
        """Move the content to ``dest`` (a rename when spooled); the part then reads from ``dest``."""
        target = Path(dest)
        if self._buffer is not None:
            target.write_bytes(self._buffer)
            self._buffer = None
        elif self._path is not None:
            shutil.move(str(self._path), str(target))
            if self._finalizer is not None:
                self._finalizer.detach()
                self._finalizer = None
        else:
            raise ProtocolError("the part was discarded")
        self._path = target
        self._owned = False
        return target

    def discard(self) -> None:
        """Free the memory or delete the temporary file (a file placed by :meth:`move_to` is kept)."""
        if self._handle is not None:
            self._handle.close()
            self._handle = None
        self._buffer = None
        if self._finalizer is not None:
            self._finalizer()
            self._finalizer = None
        if self._owned:
            self._path = None

    def __repr__(self) -> str:
        where = "memory" if self.in_memory else str(self._path)
        return f"<ReceivedPart cid={self.content_id!r} type={self.content_type!r} size={self.size} in {where}>"


@dataclass(eq=False)
class SoapMessage:
    """A received SOAP message: the parsed envelope and, for MTOM, its parts.

    Attributes:
        content_type: the HTTP ``Content-Type`` it was read with.
        media_type: ``multipart/related``, ``application/soap+xml`` …
        params: the Content-Type parameters (lower-case names, unquoted values).
        envelope: the parsed root envelope.
        root_bytes: the exact bytes of the envelope (evidence, signature checks).
        root_headers: MIME headers of the root part (empty for a non-MTOM body).
        parts: the other parts, in order.
        xop: each element that held an ``xop:Include`` (e.g. ``xdsb:Document``) → its part.
        is_mtom: True for a multipart package.
        size: bytes received.
        line_ending: ``"CRLF"`` or ``"LF"`` (tolerant reader) for a multipart package, else ``""``.
        warnings: defects noticed but tolerated (bare LF, SOAP 1.1 in a SOAP 1.2 part, action mismatch).
    """

    content_type: str
    media_type: str
    params: Mapping[str, str]
    envelope: ParsedEnvelope
    root_bytes: bytes
    root_headers: tuple[tuple[str, str], ...] = ()
    parts: tuple[ReceivedPart, ...] = ()
    xop: Mapping[etree._Element, ReceivedPart] = field(default_factory=dict)
    is_mtom: bool = False
    size: int = 0
    line_ending: str = ""
    warnings: tuple[str, ...] = ()

    @property
    def action(self) -> str | None:
        """WS-Addressing Action, falling back to the MIME ``action`` parameter."""
        return self.envelope.action or self.params.get("action")

    def get_part(self, content_id: str) -> ReceivedPart | None:
        """The part with this Content-ID (brackets and URL-encoding tolerated), or None."""
        wanted = normalize_content_id(unquote(content_id.removeprefix("cid:")))
        return next((p for p in self.parts if p.content_id in (wanted, content_id)), None)

    def part_for(self, element: etree._Element) -> ReceivedPart | None:
        """The part an element refers to (the element holding the ``xop:Include``, or the include itself)."""
        if element.tag == XOP_INCLUDE:
            parent = element.getparent()
            if parent is None:
                return None
            element = parent
        return self.xop.get(element)

    def close(self) -> None:
        """Discard every part (temporary files are deleted)."""
        for part in self.parts:
            part.discard()

    def __enter__(self) -> SoapMessage:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def resolve_xop(message: SoapMessage) -> dict[etree._Element, ReceivedPart]:
    """Map each element holding an ``xop:Include`` (``xdsb:Document`` …) to the part it refers to.

    The reader already resolved and checked every include (``cid:`` URL, URL-decoded, part of the same
    message); this returns a fresh dict of that mapping.
    """
    return dict(message.xop)


def _resolve(
    root: etree._Element, parts: Sequence[ReceivedPart], root_cid: str | None
) -> dict[etree._Element, ReceivedPart]:
    by_cid = {p.content_id: p for p in parts if p.content_id is not None}
    mapping: dict[etree._Element, ReceivedPart] = {}
    for include in root.iter(XOP_INCLUDE):
        cid = content_id_from_href(include.get("href"))
        if root_cid is not None and cid == root_cid:
            raise ProtocolError(f"xop:Include refers to the root part <{cid}>")
        part = by_cid.get(cid)
        if part is None:
            raise ProtocolError(f"xop:Include refers to cid:{cid}, which is not a part of this message")
        parent = include.getparent()
        if parent is None:  # pragma: no cover - an envelope child always has a parent
            raise ProtocolError("xop:Include without parent")
        if parent in mapping:
            raise ProtocolError(f"{parent.tag} holds more than one xop:Include")
        mapping[parent] = part
    return mapping


class _Base64Decoder:
    def __init__(self) -> None:
        self._pending = b""

    def feed(self, data: bytes | memoryview) -> bytes:
        buf = self._pending + bytes(data).translate(None, b" \t\r\n")
        usable = len(buf) - len(buf) % 4
        self._pending = buf[usable:]
        try:
            return binascii.a2b_base64(buf[:usable], strict_mode=True)
        except binascii.Error as exc:
            raise ProtocolError(f"invalid base64 content in a MIME part: {exc}") from None

    def close(self) -> None:
        if self._pending:
            raise ProtocolError("truncated base64 content in a MIME part")


class _Assembler:
    """Turns a sequence of parts (headers, data, end) into a :class:`SoapMessage`; shared by both readers."""

    def __init__(
        self,
        content_type: str,
        media_type: str,
        params: dict[str, str],
        *,
        spool_dir: str | os.PathLike[str] | None,
        memory_threshold: int,
        max_root_size: int,
        max_parts: int,
        digests: Sequence[str],
    ) -> None:
        self.content_type = content_type
        self.media_type = media_type
        self.params = params
        start = params.get("start")
        self.start = normalize_content_id(start) if start else None
        self.spool_dir = spool_dir
        self.memory_threshold = memory_threshold
        self.max_root_size = max_root_size
        self.max_parts = max_parts
        self.digests = tuple(digests)
        self.parts: list[ReceivedPart] = []
        self.root: bytearray | None = None
        self.root_headers: tuple[tuple[str, str], ...] = ()
        self.root_cid: str | None = None
        self._count = 0
        self._current: ReceivedPart | None = None
        self._in_root = False
        self._decoder: _Base64Decoder | None = None

    def start_part(self, headers: Sequence[tuple[str, str]]) -> None:
        self._count += 1
        if self._count > self.max_parts:
            raise ProtocolError(f"more than {self.max_parts} MIME parts")
        lookup = {n.lower(): v for n, v in reversed(headers)}
        cid = normalize_content_id(lookup["content-id"]) if lookup.get("content-id") else None
        encoding = (lookup.get("content-transfer-encoding") or "binary").strip().lower()
        if encoding not in ("binary", "8bit", "7bit", "base64"):
            raise ProtocolError(f"unsupported Content-Transfer-Encoding {encoding!r} (MTOM uses binary)")
        self._decoder = _Base64Decoder() if encoding == "base64" else None
        is_root = self.root is None and (cid == self.start if self.start else True)
        if is_root:
            self.root = bytearray()
            self.root_headers = tuple(headers)
            self.root_cid = cid
            self._in_root = True
            return
        self._in_root = False
        if cid is not None and (cid == self.root_cid or any(p.content_id == cid for p in self.parts)):
            raise ProtocolError(f"duplicate Content-ID <{cid}> in the MTOM package")
        part = ReceivedPart(
            headers, spool_dir=self.spool_dir, memory_threshold=self.memory_threshold, digests=self.digests
        )
        self.parts.append(part)
        self._current = part

    def write(self, data: bytes | memoryview) -> None:
        if self._decoder is not None:
            data = self._decoder.feed(data)
        if self._in_root:
            assert self.root is not None
            if len(self.root) + len(data) > self.max_root_size:
                raise ProtocolError(f"the root part exceeds {self.max_root_size} bytes")
            self.root += data
        elif self._current is not None:
            self._current._write(data)

    def end_part(self) -> None:
        if self._decoder is not None:
            self._decoder.close()
            self._decoder = None
        if self._current is not None:
            self._current._finish()
        self._current = None
        self._in_root = False

    def abort(self) -> None:
        for part in self.parts:
            part.discard()

    def finish(self, *, size: int, is_mtom: bool, line_ending: str, warnings: list[str]) -> SoapMessage:
        if self.root is None:
            if self.start:
                raise ProtocolError(f"no MIME part has the root Content-ID <{self.start}> named by start=")
            raise ProtocolError("the message has no root part")
        root_bytes = bytes(self.root)
        envelope = parse_envelope(root_bytes, max_bytes=self.max_root_size)
        mapping = _resolve(envelope.envelope, self.parts, self.root_cid)
        warnings = [*warnings, *self._diagnose(envelope)]
        return SoapMessage(
            content_type=self.content_type,
            media_type=self.media_type,
            params=MappingProxyType(dict(self.params)),
            envelope=envelope,
            root_bytes=root_bytes,
            root_headers=self.root_headers,
            parts=tuple(self.parts),
            xop=MappingProxyType(mapping),
            is_mtom=is_mtom,
            size=size,
            line_ending=line_ending,
            warnings=tuple(warnings),
        )

    def _diagnose(self, envelope: ParsedEnvelope) -> list[str]:
        notes: list[str] = []
        root_type = next((v for n, v in self.root_headers if n.lower() == "content-type"), None)
        declared_action: str | None = self.params.get("action")
        says_soap12 = (
            self.media_type == "application/soap+xml" or self.params.get("start-info") == "application/soap+xml"
        )
        if root_type:
            _, root_params = parse_content_type(root_type)
            inner_type, inner = parse_content_type(root_params.get("type", ""))
            says_soap12 = says_soap12 or inner_type == "application/soap+xml"
            declared_action = inner.get("action") or root_params.get("action") or declared_action
        if says_soap12 and envelope.version is SoapVersion.SOAP11:
            notes.append("SOAP 1.1 envelope in a part typed application/soap+xml (SOAP 1.2)")
        if declared_action and envelope.action and declared_action != envelope.action:
            notes.append(f"MIME action {declared_action!r} differs from wsa:Action {envelope.action!r}")
        return notes


class MtomReader:
    """Incremental, sans-IO reader of a SOAP response or request body (MTOM package or plain SOAP).

    Feed the body as it arrives with :meth:`feed`, then call :meth:`close` to get the :class:`SoapMessage`.
    On any error the temporary files already written are deleted. Use :meth:`abort` if you stop early.
    """

    def __init__(
        self,
        content_type: str,
        *,
        spool_dir: str | os.PathLike[str] | None = None,
        memory_threshold: int = DEFAULT_MEMORY_THRESHOLD,
        max_size: int | None = DEFAULT_MAX_MESSAGE_SIZE,
        max_root_size: int = _xml.DEFAULT_MAX_BYTES,
        max_parts: int = DEFAULT_MAX_PARTS,
        digests: Sequence[str] = ("sha1",),
    ) -> None:
        """Prepare to read a body of the given HTTP ``Content-Type``.

        Args:
            content_type: the HTTP ``Content-Type`` header value.
            spool_dir: where large parts are spooled (system temp dir by default).
            memory_threshold: parts up to this size stay in memory.
            max_size: refuse bodies larger than this (None: unbounded).
            max_root_size: refuse a root part (envelope) larger than this.
            max_parts: refuse packages with more parts.
            digests: hashlib names computed on each part besides SHA-1 (e.g. ``("sha256",)``).

        Raises:
            ProtocolError: ``multipart/related`` without a boundary.
        """
        self.content_type = content_type
        media, params = parse_content_type(content_type or "")
        self.media_type = media
        self.is_mtom = media.startswith("multipart/")
        self._max_size = max_size
        self._size = 0
        self._closed = False
        self._assembler = _Assembler(
            content_type,
            media,
            params,
            spool_dir=spool_dir,
            memory_threshold=memory_threshold,
            max_root_size=max_root_size,
            max_parts=max_parts,
            digests=digests,
        )
        self._plain = bytearray()
        self._parser: MultipartParser | None = None
        self._preamble: bytearray | None = None
        if self.is_mtom:
            boundary = params.get("boundary")
            if not boundary:
                raise ProtocolError(f"{media} without a boundary parameter")
            self._dash_boundary = b"--" + boundary.encode("latin-1")
            self._header_name = bytearray()
            self._header_value = bytearray()
            self._headers: list[tuple[str, str]] = []
            self._ended = False
            try:
                self._parser = MultipartParser(
                    boundary.encode("latin-1"),
                    callbacks={
                        "on_part_begin": self._on_part_begin,
                        "on_header_field": self._on_header_field,
                        "on_header_value": self._on_header_value,
                        "on_header_end": self._on_header_end,
                        "on_headers_finished": self._on_headers_finished,
                        "on_part_data": self._on_part_data,
                        "on_part_end": self._on_part_end,
                        "on_end": self._on_end,
                    },
                    max_header_count=64,
                )
            except FormParserError as exc:
                raise ProtocolError(f"unusable multipart boundary: {exc}") from None
            self._preamble = bytearray()

    # -- python-multipart callbacks

    def _on_part_begin(self) -> None:
        self._headers = []

    def _on_header_field(self, data: bytes, start: int, end: int) -> None:
        self._header_name += data[start:end]

    def _on_header_value(self, data: bytes, start: int, end: int) -> None:
        self._header_value += data[start:end]

    def _on_header_end(self) -> None:
        self._headers.append(
            (self._header_name.decode("latin-1").strip(), self._header_value.decode("latin-1").strip())
        )
        self._header_name = bytearray()
        self._header_value = bytearray()

    def _on_headers_finished(self) -> None:
        self._assembler.start_part(self._headers)

    def _on_part_data(self, data: bytes, start: int, end: int) -> None:
        self._assembler.write(memoryview(data)[start:end])

    def _on_part_end(self) -> None:
        self._assembler.end_part()

    def _on_end(self) -> None:
        self._ended = True

    # -- feeding

    def feed(self, chunk: bytes) -> None:
        """Process the next chunk of the body.

        Raises:
            ProtocolError: malformed MIME, size limits, bad transfer encoding, duplicate Content-IDs.
        """
        if self._closed:
            raise ProtocolError("the reader is closed")
        if not chunk:
            return
        try:
            self._size += len(chunk)
            if self._max_size is not None and self._size > self._max_size:
                raise ProtocolError(f"the message exceeds {self._max_size} bytes")
            if self._parser is None:
                if self._size > self._assembler.max_root_size:
                    raise ProtocolError(f"the SOAP body exceeds {self._assembler.max_root_size} bytes")
                self._plain += chunk
                return
            if self._preamble is not None:
                data = self._skip_preamble(chunk)
                if data is None:
                    return
                chunk = data
            self._write(chunk)
        except BaseException:
            self.abort()
            raise

    def _skip_preamble(self, chunk: bytes) -> bytes | None:
        assert self._preamble is not None
        self._preamble += chunk
        buf = self._preamble
        index = buf.find(self._dash_boundary)
        while index > 0 and buf[index - 1] != 0x0A:
            index = buf.find(self._dash_boundary, index + 1)
        if index < 0:
            if len(buf) > _MAX_PREAMBLE:
                raise ProtocolError("no MIME boundary found at the start of the multipart body")
            return None
        self._preamble = None
        return bytes(buf[index:])

    def _write(self, data: bytes) -> None:
        assert self._parser is not None
        try:
            self._parser.write(data)
        except FormParserError as exc:
            hint = ""
            if "CR" in str(exc) or "LF" in str(exc):
                hint = " (bare LF line ends? read captures with dmpclient.soap.read_capture)"
            raise ProtocolError(f"malformed MTOM multipart body: {exc}{hint}") from None

    def close(self) -> SoapMessage:
        """Finish reading and return the message (envelope parsed, every ``xop:Include`` resolved).

        Raises:
            ProtocolError: truncated package, no root part, unresolvable ``xop:Include``.
            SoapProtocolError: the root is not a SOAP envelope.
            XMLSyntaxError / XMLSecurityError: the root is not (safe) XML.
        """
        if self._closed:
            raise ProtocolError("the reader is already closed")
        self._closed = True
        try:
            if self._parser is None:
                return self._close_plain()
            if self._preamble is not None or not self._ended or self._parser.state != MultipartState.END:
                raise ProtocolError("truncated MTOM body: the closing boundary is missing")
            return self._assembler.finish(size=self._size, is_mtom=True, line_ending="CRLF", warnings=[])
        except BaseException:
            self.abort()
            raise

    def _close_plain(self) -> SoapMessage:
        media = self.media_type
        body = bytes(self._plain)
        if media and media not in _XML_MEDIA_TYPES and not media.endswith("+xml"):
            snippet = body[:200].decode("utf-8", "replace")
            raise ProtocolError(f"unexpected response Content-Type {self.content_type!r}: {snippet!r}")
        assembler = self._assembler
        assembler.root = bytearray(body)
        return assembler.finish(size=self._size, is_mtom=False, line_ending="", warnings=[])

    def abort(self) -> None:
        """Stop reading and delete any temporary file written so far."""
        self._closed = True
        self._assembler.abort()


def _reader_kwargs(
    spool_dir: str | os.PathLike[str] | None,
    memory_threshold: int,
    max_size: int | None,
    digests: Sequence[str],
) -> dict[str, Any]:
    return {"spool_dir": spool_dir, "memory_threshold": memory_threshold, "max_size": max_size, "digests": digests}


def read_message(
    content_type: str,
    body: bytes | Iterable[bytes],
    *,
    spool_dir: str | os.PathLike[str] | None = None,
    memory_threshold: int = DEFAULT_MEMORY_THRESHOLD,
    max_size: int | None = DEFAULT_MAX_MESSAGE_SIZE,
    digests: Sequence[str] = ("sha1",),
) -> SoapMessage:
    """Read a SOAP message (MTOM package or plain SOAP) from bytes or an iterator of chunks.

    With httpx: ``read_message(response.headers["content-type"], response.iter_bytes())`` inside
    ``client.stream(...)``. See :class:`MtomReader` for the arguments and errors; use
    :func:`aread_message` for async iterables and :func:`read_capture` for bare-LF captures.
    """
    if isinstance(body, AsyncIterable):
        raise TypeError("read_message needs a synchronous body; use aread_message for async iterables")
    reader = MtomReader(content_type, **_reader_kwargs(spool_dir, memory_threshold, max_size, digests))
    try:
        if isinstance(body, bytes | bytearray | memoryview):
            reader.feed(bytes(body))
        else:
            for chunk in body:
                reader.feed(chunk)
        return reader.close()
    except BaseException:
        reader.abort()
        raise


async def aread_message(
    content_type: str,
    body: bytes | AsyncIterable[bytes] | Iterable[bytes],
    *,
    spool_dir: str | os.PathLike[str] | None = None,
    memory_threshold: int = DEFAULT_MEMORY_THRESHOLD,
    max_size: int | None = DEFAULT_MAX_MESSAGE_SIZE,
    digests: Sequence[str] = ("sha1",),
) -> SoapMessage:
    """Async variant of :func:`read_message` (``response.aiter_bytes()``, an ASGI request body …).

    Spooling writes go to a local temporary file synchronously (short blocking writes of one chunk).
    """
    reader = MtomReader(content_type, **_reader_kwargs(spool_dir, memory_threshold, max_size, digests))
    try:
        if isinstance(body, bytes | bytearray | memoryview):
            reader.feed(bytes(body))
        elif isinstance(body, AsyncIterable):
            async for chunk in body:
                reader.feed(chunk)
        else:
            for chunk in body:
                reader.feed(chunk)
        return reader.close()
    except BaseException:
        reader.abort()
        raise


# ---------------------------------------------------------------------------------- tolerant path


def _sniff_boundary(data: bytes) -> str | None:
    start = len(data) - len(data.lstrip(b"\r\n \t"))
    if not data.startswith(b"--", start):
        return None
    end = data.find(b"\n", start)
    if end < 0:
        return None
    line = data[start + 2 : end].rstrip(b"\r \t")
    return line.decode("latin-1") if line else None


def _header_lines(block: bytes) -> list[tuple[str, str]]:
    headers: list[tuple[str, str]] = []
    for raw in block.split(b"\n"):
        line = raw.rstrip(b"\r").decode("latin-1")
        if not line.strip():
            continue
        if line[0] in " \t" and headers:  # folded header
            name, value = headers[-1]
            headers[-1] = (name, f"{value} {line.strip()}")
            continue
        name, sep, value = line.partition(":")
        if not sep or not name.strip():
            raise ProtocolError(f"malformed MIME header line {line!r}")
        headers.append((name.strip(), value.strip()))
    return headers


def read_capture(
    data: bytes,
    content_type: str | None = None,
    *,
    spool_dir: str | os.PathLike[str] | None = None,
    memory_threshold: int = DEFAULT_MEMORY_THRESHOLD,
    max_size: int = DEFAULT_MAX_CAPTURE_SIZE,
    digests: Sequence[str] = ("sha1",),
) -> SoapMessage:
    """Read a captured message tolerantly (``dmpclient inspect``): CRLF or bare-LF MIME line ends.

    The boundary is taken from ``content_type`` or, when it is missing, from the first line of the body
    (captures often lack the HTTP headers, like the official TD2.1 example). A CRLF package goes through
    the strict streaming reader; a bare-LF one through a bounded, non-streaming splitter whose parts are
    then handled exactly like streamed ones (hashing, spooling, XOP resolution). The defect is reported
    in :attr:`SoapMessage.warnings`. Never use this for network responses.

    Raises:
        ProtocolError: larger than ``max_size``, no boundary, malformed MIME, unresolvable ``xop:Include``.
    """
    if len(data) > max_size:
        raise ProtocolError(f"the capture exceeds {max_size} bytes")
    kwargs = _reader_kwargs(spool_dir, memory_threshold, None, digests)
    if content_type is None or not content_type.strip():
        sniffed = _sniff_boundary(data)
        content_type = (
            format_content_type("multipart/related", [("boundary", sniffed)]) if sniffed else "application/soap+xml"
        )
    media, params = parse_content_type(content_type)
    boundary = params.get("boundary")
    if not media.startswith("multipart/") or not boundary:
        return read_message(content_type, data, **kwargs)
    dash = b"--" + boundary.encode("latin-1")
    first = data.find(dash)
    while first > 0 and data[first - 1] != 0x0A:
        first = data.find(dash, first + 1)
    if first < 0:
        raise ProtocolError("the boundary of the Content-Type does not occur in the capture")
    eol_at = first + len(dash)
    if data.startswith(_CRLF, eol_at) or data.startswith(b"--", eol_at):
        return read_message(content_type, data, **kwargs)
    assembler = _Assembler(
        content_type,
        media,
        params,
        spool_dir=spool_dir,
        memory_threshold=memory_threshold,
        max_root_size=_xml.DEFAULT_MAX_BYTES,
        max_parts=DEFAULT_MAX_PARTS,
        digests=digests,
    )
    try:
        _split_lf(data, first, dash, assembler)
        return assembler.finish(
            size=len(data),
            is_mtom=True,
            line_ending="LF",
            warnings=["bare LF MIME line ends instead of CRLF (RFC 2046 defect; read by the tolerant reader)"],
        )
    except BaseException:
        assembler.abort()
        raise


def _split_lf(data: bytes, first: int, dash: bytes, assembler: _Assembler) -> None:
    """Split a bare-LF multipart body starting at the first boundary line ``first``."""
    delimiter = b"\n" + dash
    pos = first + len(dash)
    while True:
        # after a boundary: "--" closes, else optional padding then the line end
        if data.startswith(b"--", pos):
            return
        line_end = data.find(b"\n", pos)
        if line_end < 0 or data[pos:line_end].strip(b" \t\r"):
            raise ProtocolError("malformed MIME boundary line in the capture")
        start = line_end + 1
        end = data.find(delimiter, start)
        while end >= 0:
            after = end + len(delimiter)
            if data.startswith(b"--", after) or after == len(data) or data[after] in b" \t\r\n":
                break
            end = data.find(delimiter, end + 1)
        if end < 0:
            raise ProtocolError("truncated multipart capture: the closing boundary is missing")
        part = data[start:end]
        if part.startswith((b"\n", _CRLF)):
            head, body = b"", part[1 if part.startswith(b"\n") else 2 :]
        else:
            sep = part.find(b"\n\n")
            sep_crlf = part.find(b"\r\n\r\n")
            if sep < 0 and sep_crlf < 0:
                raise ProtocolError("a MIME part of the capture has no blank line after its headers")
            if sep_crlf >= 0 and (sep < 0 or sep_crlf < sep):
                head, body = part[:sep_crlf], part[sep_crlf + 4 :]
            else:
                head, body = part[:sep], part[sep + 2 :]
        assembler.start_part(_header_lines(head))
        assembler.write(body)
        assembler.end_part()
        pos = end + len(delimiter)

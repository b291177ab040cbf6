"""The MIME parts of a capture (and documents given next to it), indexed by Content-ID and by element."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote

from lxml import etree

from dmpclient.errors import ProtocolError
from dmpclient.inspection._model import CheckStatus, PartInfo
from dmpclient.inspection._record import Recorder
from dmpclient.soap import ReceivedPart, SoapMessage, content_id_from_href
from dmpclient.soap.mtom import XOP_INCLUDE, normalize_content_id

__all__ = ["Content", "Contents", "index_contents"]


def _norm(cid: str) -> str:
    return normalize_content_id(unquote(cid.removeprefix("cid:")))


@dataclass(eq=False)
class Content:
    """A part of the capture, or an external file standing in for a part that is not in it."""

    info: PartInfo
    part: ReceivedPart | None = None
    path: Path | None = None
    data: bytes | None = None

    def source(self) -> bytes | Path:
        """The content as a file (spooled part, external file) or bytes."""
        if self.part is not None:
            return self.part.path if self.part.path is not None else self.part.read_bytes()
        if self.data is not None:
            return self.data
        assert self.path is not None
        return self.path

    def read_bytes(self) -> bytes:
        """The whole content."""
        src = self.source()
        return src if isinstance(src, bytes) else src.read_bytes()


@dataclass
class Contents:
    """Every part, by Content-ID and by the element holding its ``xop:Include``."""

    items: list[Content] = field(default_factory=list)
    by_element: dict[etree._Element, Content] = field(default_factory=dict)
    external: dict[str, Path] = field(default_factory=dict)

    def by_cid(self, cid: str | None) -> Content | None:
        """The part with this Content-ID (brackets and URL-encoding tolerated)."""
        if not cid:
            return None
        wanted = _norm(cid)
        return next((c for c in self.items if c.info.content_id in (wanted, cid)), None)

    def external_by_unique_id(self, unique_id: str) -> Path | None:
        """A document given by uniqueId next to the capture."""
        return self.external.get(unique_id) or self.external.get(f"urn:oid:{unique_id}")


def _external_content(cid: str, path: Path) -> Content:
    digest = hashlib.sha1(usedforsecurity=False)
    size = 0
    with path.open("rb") as handle:
        while chunk := handle.read(1024 * 1024):
            digest.update(chunk)
            size += len(chunk)
    info = PartInfo(
        content_id=cid, size=size, sha1=digest.hexdigest(), origin="external", content_type="(external file)"
    )
    return Content(info=info, path=path)


def _describe(element: etree._Element) -> str:
    name = etree.QName(element).localname
    ident = element.get("id") or element.get("Id")
    return f"{name} id={ident}" if ident else name


def index_contents(
    rec: Recorder, message: SoapMessage, external: Mapping[str, Path] | None, *, xop_resolved: bool
) -> Contents:
    """Index the parts, resolve ``xop:Include`` elements (with external documents as a fallback) and record
    the ``parts`` checks."""
    contents = Contents(external={k: Path(v) for k, v in (external or {}).items()})
    by_part: dict[int, Content] = {}
    first = 1
    if message.is_mtom:
        root_cid = next((v for n, v in message.root_headers if n.lower() == "content-id"), None)
        root_type = next((v for n, v in message.root_headers if n.lower() == "content-type"), None)
        root_encoding = next((v for n, v in message.root_headers if n.lower() == "content-transfer-encoding"), None)
        root = PartInfo(
            index=1,
            content_id=normalize_content_id(root_cid) if root_cid else None,
            content_type=root_type or "application/xop+xml",
            transfer_encoding=root_encoding,
            size=len(message.root_bytes),
            sha1=hashlib.sha1(message.root_bytes, usedforsecurity=False).hexdigest(),
            role="root",
            referenced_by="SOAP envelope",
        )
        contents.items.append(Content(info=root, data=message.root_bytes))
        first = 2
    for index, part in enumerate(message.parts, first):
        info = PartInfo(
            index=index,
            content_id=part.content_id,
            content_type=part.content_type,
            transfer_encoding=part.transfer_encoding,
            size=part.size,
            sha1=part.sha1,
        )
        content = Content(info=info, part=part)
        contents.items.append(content)
        by_part[id(part)] = content
    for element, part in message.xop.items():
        content = by_part[id(part)]
        contents.by_element[element] = content
        content.info.referenced_by = _describe(element)
        content.info.role = "attachment"
    missing: list[str] = []
    if not xop_resolved:
        for include in message.envelope.envelope.iter(XOP_INCLUDE):
            parent = include.getparent()
            try:
                cid = content_id_from_href(include.get("href"))
            except ProtocolError as exc:
                missing.append(str(exc))
                continue
            if parent is None:
                continue
            path = contents.external.get(cid)
            if path is None:
                missing.append(f"cid:{cid} ({_describe(parent)})")
                continue
            content = _external_content(cid, path)
            content.info.referenced_by = _describe(parent)
            content.info.role = "attachment"
            contents.items.append(content)
            contents.by_element[parent] = content
    if missing:
        rec.add(
            "parts",
            "xop",
            CheckStatus.FAILED,
            f"xop:Include points to parts that are not in the capture: {', '.join(missing)} (give them with "
            "documents={Content-ID: file})",
        )
    elif contents.by_element:
        rec.add(
            "parts",
            "xop",
            CheckStatus.PASSED,
            f"every xop:Include points to a cid: part of this message ({len(contents.by_element)})",
        )
    for content in contents.items:
        if content.info.referenced_by is None and content.info.origin == "capture" and content.info.role != "root":
            rec.add(
                "parts",
                f"part {content.info.index}",
                CheckStatus.WARNING,
                f"part <{content.info.content_id}> is not referenced by any xop:Include",
            )
    return contents

"""PDF bodies of N1 documents: detect the PDF/A claim, and generate a tiny sample PDF.

The CI-SIS asks for a **PDF/A-1** body in N1 documents (``cda.md`` §1, §4). Converting a PDF to PDF/A is a
job for a real PDF library; dmpclient only *reports* what a file claims: the ``pdfaid:part`` and
``pdfaid:conformance`` properties of its XMP metadata packet. PDF/A forbids compressing the document's
metadata stream, so the claim of a real PDF/A file is readable as plain bytes, and a streaming scan is
enough (:class:`PdfAScanner`, used while a 100 MiB body is being base64-encoded).

:func:`make_sample_pdf` writes a small deterministic one-page PDF that follows the PDF/A-1b rules we know
how to follow without a PDF library: XMP metadata with the PDF/A identification schema, uncompressed
metadata stream, file identifier, binary comment line, no font at all (the text is drawn as little squares
of a built-in 5×7 bitmap font, in a calibrated ``CalGray`` colour space), no Info dictionary to keep in sync.
It has not been checked with veraPDF: treat it as a *PDF/A-claiming* sample for tests and demos.
"""

from __future__ import annotations

import hashlib
import os
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Final

from dmpclient.errors import Finding, Severity

__all__ = [
    "PdfAClaim",
    "PdfAScanner",
    "PdfReport",
    "inspect_pdf",
    "make_sample_pdf",
    "pdfa_findings",
]

_PART_RE: Final = re.compile(rb"pdfaid:part\s*(?:=\s*[\"']\s*([0-9]+)\s*[\"']|>\s*([0-9]+)\s*<)")
_CONF_RE: Final = re.compile(rb"pdfaid:conformance\s*(?:=\s*[\"']\s*([A-Za-z]+)\s*[\"']|>\s*([A-Za-z]+)\s*<)")
_VERSION_RE: Final = re.compile(rb"^%PDF-([0-9]\.[0-9])")
_OVERLAP: Final = 512  # bytes kept from one chunk to the next so that a property split by a chunk edge is found


@dataclass(frozen=True, slots=True)
class PdfAClaim:
    """What the XMP metadata of a PDF claims: ``part`` (1, 2, 3, 4) and ``conformance`` (A, B, U, E, F…)."""

    part: int
    conformance: str | None = None

    def __str__(self) -> str:
        return f"PDF/A-{self.part}{(self.conformance or '').lower()}"


@dataclass(frozen=True, slots=True)
class PdfReport:
    """Result of :func:`inspect_pdf`.

    Attributes:
        is_pdf: the bytes start with ``%PDF-``.
        version: the header version (``"1.4"``), when present.
        pdfa: the PDF/A claim found in the XMP metadata, or ``None``.
        size: number of bytes inspected.
    """

    is_pdf: bool
    version: str | None
    pdfa: PdfAClaim | None
    size: int

    def findings(self, location: str = "body") -> list[Finding]:
        """Warnings/errors about this PDF as an N1 body (see :func:`pdfa_findings`)."""
        return pdfa_findings(self, location=location)


class PdfAScanner:
    """Incremental PDF/A claim detector: feed the file chunk by chunk, then read :attr:`report`.

    Memory use is bounded (one chunk plus a few hundred bytes of overlap), whatever the file size.
    """

    def __init__(self) -> None:
        self._tail = b""
        self._first = b""
        self._size = 0
        self._part: int | None = None
        self._conformance: str | None = None

    def feed(self, chunk: bytes) -> None:
        """Scan the next chunk of the file."""
        if not chunk:
            return
        if len(self._first) < 16:
            self._first = (self._first + chunk)[:16]
        self._size += len(chunk)
        if self._part is not None and self._conformance is not None:
            return
        window = self._tail + chunk
        if self._part is None:
            m = _PART_RE.search(window)
            if m:
                self._part = int(m.group(1) or m.group(2))
        if self._conformance is None:
            m = _CONF_RE.search(window)
            if m:
                self._conformance = (m.group(1) or m.group(2)).decode("ascii").upper()
        self._tail = window[-_OVERLAP:]

    @property
    def report(self) -> PdfReport:
        """What was found so far."""
        m = _VERSION_RE.match(self._first)
        claim = PdfAClaim(self._part, self._conformance) if self._part is not None else None
        return PdfReport(
            is_pdf=self._first.startswith(b"%PDF-"),
            version=m.group(1).decode("ascii") if m else None,
            pdfa=claim,
            size=self._size,
        )


def inspect_pdf(source: bytes | str | os.PathLike[str] | BinaryIO, *, chunk_size: int = 1 << 20) -> PdfReport:
    """Report whether ``source`` is a PDF and which PDF/A level its XMP metadata claims.

    ``source`` is the file content, a path, or a binary file object (read to its end, in chunks).
    The claim is *what the file says*, not a conformance check (use veraPDF for that).
    """
    scanner = PdfAScanner()
    if isinstance(source, bytes | bytearray | memoryview):
        data = bytes(source)
        for start in range(0, len(data), chunk_size):
            scanner.feed(data[start : start + chunk_size])
        return scanner.report
    if isinstance(source, str | os.PathLike):
        with open(source, "rb") as fh:
            return inspect_pdf(fh, chunk_size=chunk_size)
    while chunk := source.read(chunk_size):
        scanner.feed(chunk)
    return scanner.report


def pdfa_findings(report: PdfReport, *, location: str = "body") -> list[Finding]:
    """Findings about a PDF used as an N1 body: not a PDF (error), no PDF/A claim, not PDF/A-1 (warnings)."""
    if not report.is_pdf:
        return [
            Finding(
                "cda.body.pdf.header",
                "the body declared application/pdf does not start with %PDF-",
                Severity.ERROR,
                location,
            )
        ]
    if report.pdfa is None:
        return [
            Finding(
                "cda.body.pdfa.absent",
                "no PDF/A claim (XMP pdfaid:part) found in the PDF; the CI-SIS expects a PDF/A-1 body — "
                "convert it with a PDF/A tool before sending (dmpclient does not convert)",
                Severity.WARNING,
                location,
            )
        ]
    if report.pdfa.part != 1:
        return [
            Finding(
                "cda.body.pdfa.part",
                f"the PDF claims {report.pdfa}; the CI-SIS volet Structuration minimale asks for PDF/A-1",
                Severity.WARNING,
                location,
                value=str(report.pdfa),
            )
        ]
    return []


# ------------------------------------------------------------------------------------ sample PDF writer

# 5×7 bitmap font: each glyph is 7 rows of 5 bits (bit 4 = leftmost column).
_FONT: Final[dict[str, tuple[int, ...]]] = {
    "A": (0x0E, 0x11, 0x11, 0x1F, 0x11, 0x11, 0x11),
    "B": (0x1E, 0x11, 0x11, 0x1E, 0x11, 0x11, 0x1E),
    "C": (0x0E, 0x11, 0x10, 0x10, 0x10, 0x11, 0x0E),
    "D": (0x1E, 0x11, 0x11, 0x11, 0x11, 0x11, 0x1E),
    "E": (0x1F, 0x10, 0x10, 0x1E, 0x10, 0x10, 0x1F),
    "F": (0x1F, 0x10, 0x10, 0x1E, 0x10, 0x10, 0x10),
    "G": (0x0E, 0x11, 0x10, 0x17, 0x11, 0x11, 0x0F),
    "H": (0x11, 0x11, 0x11, 0x1F, 0x11, 0x11, 0x11),
    "I": (0x0E, 0x04, 0x04, 0x04, 0x04, 0x04, 0x0E),
    "J": (0x07, 0x02, 0x02, 0x02, 0x02, 0x12, 0x0C),
    "K": (0x11, 0x12, 0x14, 0x18, 0x14, 0x12, 0x11),
    "L": (0x10, 0x10, 0x10, 0x10, 0x10, 0x10, 0x1F),
    "M": (0x11, 0x1B, 0x15, 0x15, 0x11, 0x11, 0x11),
    "N": (0x11, 0x11, 0x19, 0x15, 0x13, 0x11, 0x11),
    "O": (0x0E, 0x11, 0x11, 0x11, 0x11, 0x11, 0x0E),
    "P": (0x1E, 0x11, 0x11, 0x1E, 0x10, 0x10, 0x10),
    "Q": (0x0E, 0x11, 0x11, 0x11, 0x15, 0x12, 0x0D),
    "R": (0x1E, 0x11, 0x11, 0x1E, 0x14, 0x12, 0x11),
    "S": (0x0F, 0x10, 0x10, 0x0E, 0x01, 0x01, 0x1E),
    "T": (0x1F, 0x04, 0x04, 0x04, 0x04, 0x04, 0x04),
    "U": (0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x0E),
    "V": (0x11, 0x11, 0x11, 0x11, 0x11, 0x0A, 0x04),
    "W": (0x11, 0x11, 0x11, 0x15, 0x15, 0x15, 0x0A),
    "X": (0x11, 0x11, 0x0A, 0x04, 0x0A, 0x11, 0x11),
    "Y": (0x11, 0x11, 0x0A, 0x04, 0x04, 0x04, 0x04),
    "Z": (0x1F, 0x01, 0x02, 0x04, 0x08, 0x10, 0x1F),
    "0": (0x0E, 0x11, 0x13, 0x15, 0x19, 0x11, 0x0E),
    "1": (0x04, 0x0C, 0x04, 0x04, 0x04, 0x04, 0x0E),
    "2": (0x0E, 0x11, 0x01, 0x02, 0x04, 0x08, 0x1F),
    "3": (0x1F, 0x02, 0x04, 0x02, 0x01, 0x11, 0x0E),
    "4": (0x02, 0x06, 0x0A, 0x12, 0x1F, 0x02, 0x02),
    "5": (0x1F, 0x10, 0x1E, 0x01, 0x01, 0x11, 0x0E),
    "6": (0x06, 0x08, 0x10, 0x1E, 0x11, 0x11, 0x0E),
    "7": (0x1F, 0x01, 0x02, 0x04, 0x08, 0x08, 0x08),
    "8": (0x0E, 0x11, 0x11, 0x0E, 0x11, 0x11, 0x0E),
    "9": (0x0E, 0x11, 0x11, 0x0F, 0x01, 0x02, 0x0C),
    " ": (0, 0, 0, 0, 0, 0, 0),
    ".": (0, 0, 0, 0, 0, 0x0C, 0x0C),
    ",": (0, 0, 0, 0, 0x0C, 0x04, 0x08),
    ":": (0, 0x0C, 0x0C, 0, 0x0C, 0x0C, 0),
    "-": (0, 0, 0, 0x1F, 0, 0, 0),
    "/": (0, 0x01, 0x02, 0x04, 0x08, 0x10, 0),
    "'": (0x04, 0x04, 0x08, 0, 0, 0, 0),
    "(": (0x02, 0x04, 0x08, 0x08, 0x08, 0x04, 0x02),
    ")": (0x08, 0x04, 0x02, 0x02, 0x02, 0x04, 0x08),
    "!": (0x04, 0x04, 0x04, 0x04, 0x04, 0, 0x04),
    "?": (0x0E, 0x11, 0x01, 0x02, 0x04, 0, 0x04),
    "+": (0, 0x04, 0x04, 0x1F, 0x04, 0x04, 0),
    "=": (0, 0, 0x1F, 0, 0x1F, 0, 0),
    "_": (0, 0, 0, 0, 0, 0, 0x1F),
    "#": (0x0A, 0x0A, 0x1F, 0x0A, 0x1F, 0x0A, 0x0A),
    "*": (0, 0x04, 0x15, 0x0E, 0x15, 0x04, 0),
    "%": (0x18, 0x19, 0x02, 0x04, 0x08, 0x13, 0x03),
    "@": (0x0E, 0x11, 0x17, 0x15, 0x17, 0x10, 0x0E),
}

_DEFAULT_LINES: Final = (
    "DMPCLIENT - DOCUMENT DE DEMONSTRATION",
    "",
    "CE PDF EST UN EXEMPLE GENERE PAR DMPCLIENT.",
    "IL NE CONTIENT AUCUNE DONNEE DE SANTE.",
)

_PAGE_W: Final = 595  # A4 in points
_PAGE_H: Final = 842


def _plain(text: str) -> str:
    """Upper case ASCII for the bitmap font (accents removed, unknown characters as '?')."""
    decomposed = unicodedata.normalize("NFKD", text)
    ascii_text = "".join(c for c in decomposed if not unicodedata.combining(c)).upper()
    return "".join(c if c in _FONT else "?" for c in ascii_text)


def _draw_text(lines: Iterable[str], *, pixel: float = 1.5, left: float = 60.0, top: float = 770.0) -> bytes:
    ops: list[str] = ["q", "/CS0 cs 0 sc"]
    advance = 6 * pixel
    line_height = 10 * pixel
    for row, line in enumerate(lines):
        base_y = top - row * line_height
        for col, char in enumerate(_plain(line)):
            glyph = _FONT[char]
            x0 = left + col * advance
            for gy, bits in enumerate(glyph):
                gx = 0
                while gx < 5:  # one rectangle per horizontal run of set pixels
                    if not bits & (0x10 >> gx):
                        gx += 1
                        continue
                    run = 1
                    while gx + run < 5 and bits & (0x10 >> (gx + run)):
                        run += 1
                    x = x0 + gx * pixel
                    y = base_y - gy * pixel
                    ops.append(f"{x:g} {y:g} {run * pixel:g} {pixel:g} re")
                    gx += run
        ops.append("f")
    # a frame around the page content, so that the page is visibly "a document"
    ops.append(f"0.5 w /CS0 CS 0.4 SC 40 40 {_PAGE_W - 80} {_PAGE_H - 80} re S")
    ops.append("Q")
    return ("\n".join(ops) + "\n").encode("ascii")


def _xmp(title: str, created: str, pdfa: tuple[int, str] | None) -> bytes:
    def esc(s: str) -> str:
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")

    pdfa_part = ""
    if pdfa is not None:
        pdfa_part = (
            '<rdf:Description rdf:about="" xmlns:pdfaid="http://www.aiim.org/pdfa/ns/id/">'
            f"<pdfaid:part>{pdfa[0]}</pdfaid:part><pdfaid:conformance>{esc(pdfa[1])}</pdfaid:conformance>"
            "</rdf:Description>"
        )
    packet = (
        '<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>'
        '<x:xmpmeta xmlns:x="adobe:ns:meta/">'
        '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
        '<rdf:Description rdf:about="" xmlns:dc="http://purl.org/dc/elements/1.1/">'
        "<dc:format>application/pdf</dc:format>"
        f'<dc:title><rdf:Alt><rdf:li xml:lang="x-default">{esc(title)}</rdf:li></rdf:Alt></dc:title>'
        "</rdf:Description>"
        '<rdf:Description rdf:about="" xmlns:xmp="http://ns.adobe.com/xap/1.0/">'
        f"<xmp:CreateDate>{created}</xmp:CreateDate><xmp:ModifyDate>{created}</xmp:ModifyDate>"
        f"<xmp:MetadataDate>{created}</xmp:MetadataDate><xmp:CreatorTool>dmpclient</xmp:CreatorTool>"
        "</rdf:Description>"
        '<rdf:Description rdf:about="" xmlns:pdf="http://ns.adobe.com/pdf/1.3/">'
        "<pdf:Producer>dmpclient</pdf:Producer>"
        "</rdf:Description>"
        f"{pdfa_part}"
        "</rdf:RDF></x:xmpmeta>"
        '<?xpacket end="w"?>'
    )
    return packet.encode("utf-8")


def make_sample_pdf(
    lines: Sequence[str] = _DEFAULT_LINES,
    *,
    title: str = "dmpclient sample document",
    created: str = "2024-01-01T00:00:00Z",
    pdfa: tuple[int, str] | None = (1, "B"),
) -> bytes:
    """A small deterministic one-page PDF with XMP metadata claiming PDF/A (``pdfa=None``: no claim).

    Args:
        lines: text lines drawn on the page (upper-case ASCII bitmap font; accents are dropped).
        title: ``dc:title`` of the XMP metadata.
        created: ``xmp:CreateDate`` (ISO 8601).
        pdfa: ``(part, conformance)`` written as ``pdfaid:part`` / ``pdfaid:conformance``, or ``None``.
    """
    content = _draw_text(lines)
    xmp = _xmp(title, created, pdfa)
    objects: list[bytes] = [
        b"<< /Type /Catalog /Pages 2 0 R /Metadata 5 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        (
            f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 {_PAGE_W} {_PAGE_H}] "
            "/Resources << /ColorSpace << /CS0 [/CalGray << /WhitePoint [0.9505 1 1.089] /Gamma 2.2 >>] >> >> "
            "/Contents 4 0 R >>"
        ).encode("ascii"),
        b"<< /Length " + str(len(content)).encode() + b" >>\nstream\n" + content + b"endstream",
        b"<< /Type /Metadata /Subtype /XML /Length " + str(len(xmp)).encode() + b" >>\nstream\n" + xmp + b"\nendstream",
    ]
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets: list[int] = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n".encode() + body + b"\nendobj\n"
    xref_at = len(out)
    out += f"xref\n0 {len(objects) + 1}\n".encode()
    out += b"0000000000 65535 f \n"
    for offset in offsets:
        out += f"{offset:010d} 00000 n \n".encode()
    file_id = hashlib.md5(bytes(out), usedforsecurity=False).hexdigest().upper()
    out += (
        f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R /ID [<{file_id}> <{file_id}>] >>\n"
        f"startxref\n{xref_at}\n%%EOF\n"
    ).encode("ascii")
    return bytes(out)


def sample_pdf_path() -> Path:
    """Path of the sample PDF bundled with the package (``dmpclient/cda/samples/sample.pdf``)."""
    return Path(__file__).with_name("samples") / "sample.pdf"


__all__ += ["sample_pdf_path"]

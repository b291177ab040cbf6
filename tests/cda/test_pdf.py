"""PDF/A claim detection and the bundled sample PDF."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest

from dmpclient.cda.pdf import (
    PdfAClaim,
    PdfAScanner,
    inspect_pdf,
    make_sample_pdf,
    pdfa_findings,
    sample_pdf_path,
)


def test_sample_pdf_claims_pdfa_1b() -> None:
    report = inspect_pdf(make_sample_pdf())
    assert report.is_pdf
    assert report.version == "1.4"
    assert report.pdfa == PdfAClaim(1, "B")
    assert str(report.pdfa) == "PDF/A-1b"
    assert pdfa_findings(report) == []


def test_pdf_without_xmp_claim_gives_a_warning() -> None:
    report = inspect_pdf(make_sample_pdf(pdfa=None))
    assert report.is_pdf
    assert report.pdfa is None
    [finding] = pdfa_findings(report)
    assert finding.rule == "cda.body.pdfa.absent"
    assert finding.severity.value == "warning"


def test_pdfa_2_claim_is_reported_with_a_warning() -> None:
    report = inspect_pdf(make_sample_pdf(pdfa=(2, "U")))
    assert report.pdfa == PdfAClaim(2, "U")
    [finding] = pdfa_findings(report)
    assert finding.rule == "cda.body.pdfa.part"


def test_attribute_form_of_the_xmp_properties_is_read() -> None:
    data = b"%PDF-1.7\n<rdf:Description pdfaid:part=\"3\" pdfaid:conformance='a'/>\n%%EOF"
    assert inspect_pdf(data).pdfa == PdfAClaim(3, "A")


def test_not_a_pdf_is_an_error() -> None:
    report = inspect_pdf(b"GIF89a....")
    assert not report.is_pdf
    [finding] = pdfa_findings(report)
    assert finding.is_error


@pytest.mark.parametrize("chunk_size", [1, 7, 64, 1 << 20])
def test_claim_split_across_chunks_is_found(chunk_size: int) -> None:
    data = make_sample_pdf()
    assert inspect_pdf(io.BytesIO(data), chunk_size=chunk_size).pdfa == PdfAClaim(1, "B")


def test_scanner_counts_bytes_and_reads_only_the_header_version() -> None:
    scanner = PdfAScanner()
    scanner.feed(b"%PDF-1.5\n")
    scanner.feed(b"x" * 1000)
    assert scanner.report.size == 1009
    assert scanner.report.version == "1.5"


def test_sample_pdf_is_well_formed_enough() -> None:
    data = make_sample_pdf()
    # every xref offset points at the "<n> 0 obj" it announces
    xref = data.rindex(b"\nxref\n") + 1
    start = int(re.search(rb"startxref\n(\d+)\n", data).group(1))  # type: ignore[union-attr]
    assert start == xref
    entries = re.findall(rb"(\d{10}) 00000 n \n", data)
    for number, offset in enumerate(entries, start=1):
        assert data[int(offset) :].startswith(f"{number} 0 obj".encode())
    # stream lengths are exact
    for m in re.finditer(rb"/Length (\d+) >>\nstream\n", data):
        end = m.end() + int(m.group(1))
        assert data[end:].lstrip(b"\n").startswith(b"endstream")
    assert b"/ID [<" in data
    assert data.endswith(b"%%EOF\n")


def test_bundled_sample_is_the_generator_output() -> None:
    path = sample_pdf_path()
    assert path.is_file(), "src/dmpclient/cda/samples/sample.pdf is missing: run examples/cda/make_sample_pdf.py"
    assert path.read_bytes() == make_sample_pdf(), "regenerate it with examples/cda/make_sample_pdf.py"


def test_sample_pdf_is_deterministic_and_depends_on_its_text(tmp_path: Path) -> None:
    assert make_sample_pdf() == make_sample_pdf()
    assert make_sample_pdf(["A"]) != make_sample_pdf(["B"])

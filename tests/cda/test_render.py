"""HTML rendering: content, escaping, no active content, embedded bodies."""

from __future__ import annotations

import base64
import re
from collections.abc import Callable
from html.parser import HTMLParser
from pathlib import Path

import pytest

from dmpclient.cda import (
    Content,
    ItemList,
    LineBreak,
    Paragraph,
    Section,
    StructuredBody,
    Table,
    build_n1,
    build_n3,
    ldl_ses_body,
    make_sample_pdf,
    read_header,
    render_html,
)
from dmpclient.cda.demo import demo_header, demo_ldl_ses
from dmpclient.cda.render import CSP
from dmpclient.terminology import Code

IdFactory = Callable[[], str]
EVIL = '<script>alert("x")</script><img src=x onerror=alert(1)>'


class _Collector(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def parse(page: str) -> _Collector:
    c = _Collector()
    c.feed(page)
    return c


def assert_safe(page: str) -> None:
    """No script, no event handler, no URL other than data:, exactly one CSP meta."""
    c = parse(page)
    names = [t for t, _ in c.tags]
    assert "script" not in names
    assert "iframe" not in names
    assert "base" not in names
    assert "form" not in names
    for tag, attrs in c.tags:
        for name, value in attrs.items():
            assert not name.startswith("on"), (tag, name)
            assert name != "style", tag
            if name in ("href", "src", "data", "action"):
                assert value is not None, (tag, name)
                assert value.startswith("data:"), (tag, name, value)
    csp = [a for t, a in c.tags if t == "meta" and a.get("http-equiv") == "Content-Security-Policy"]
    assert [a["content"] for a in csp] == [CSP]
    assert "script-src 'none'" in CSP
    assert "default-src 'none'" in CSP


def test_n3_page_shows_header_and_sections(ids: IdFactory) -> None:
    built = build_n3(demo_header(type_code="11490-0", title="Lettre de liaison"), ldl_ses_body(demo_ldl_ses()), ids=ids)
    page = render_html(built.read_bytes())
    assert_safe(page)
    text = " ".join(parse(page).text)
    assert "PAT-TROIS DOMINIQUE" in text
    assert "28/03/1979" in text
    assert "12/06/2024 13:54" in text  # local time, from 20240612135423+0200
    assert "Synthèse médicale du séjour" in text
    assert "AMOXICILLINE 1 g" in text
    assert "Normal" in text
    tags = [t for t, _ in parse(page).tags]
    assert tags.count("section") == 6
    assert "table" in tags
    assert "ul" in tags


def test_dates_are_shown_in_the_requested_time_zone(ids: IdFactory) -> None:
    from zoneinfo import ZoneInfo

    built = build_n1(demo_header(), b"texte", media_type="text/plain", ids=ids)
    page = render_html(built.read_bytes(), tz=ZoneInfo("America/Cayenne"))
    assert "12/06/2024 08:54" in page


def test_script_in_title_and_narrative_is_escaped(ids: IdFactory) -> None:
    header = demo_header(title=f"Titre {EVIL}")
    body = StructuredBody(
        template_ids=(),
        sections=(
            Section(
                ("1.2.3",),
                Code("42349-1", "2.16.840.1.113883.6.1"),
                f"Section {EVIL}",
                (
                    Paragraph("avant ", Content(EVIL, "c1"), LineBreak(), " après"),
                    ItemList(items=(EVIL,)),
                    Table(rows=((EVIL, Content("x", "c2")),), header=(EVIL,)),
                ),
            ),
        ),
    )
    built = build_n3(header, body, ids=ids)
    page = render_html(built.read_bytes())
    assert_safe(page)
    assert "<script" not in page
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in page
    # <title>, h1, section h2, paragraph content, list item, table header, table cell
    assert page.count("&lt;img src=x onerror=alert(1)&gt;") == 7
    assert "<title>Titre &lt;script&gt;" in page


def test_foreign_markup_in_the_narrative_is_rendered_as_text() -> None:
    doc = (
        b'<ClinicalDocument xmlns="urn:hl7-org:v3" xmlns:h="http://www.w3.org/1999/xhtml"><id root="1.2.3"/>'
        b"<title>T</title><component><structuredBody><component><section><title>S</title><text>"
        b'<paragraph styleCode="Bold xss" onclick="alert(1)">gras</paragraph>'
        b'<h:script>alert(2)</h:script><linkHtml href="https://evil.example/">lien</linkHtml>'
        b'<renderMultiMedia referencedObject="IMG1"/><table><tr><td colspan="2" onmouseover="x">c</td>'
        b'<td colspan="9999999">d</td></tr></table><unknownTag>inconnu</unknownTag>'
        b"</text></section></component></structuredBody></component></ClinicalDocument>"
    )
    page = render_html(doc)
    assert_safe(page)
    assert '<p class="bold">gras</p>' in page
    assert "alert(2)" in page
    assert "<h:script" not in page
    assert "evil.example" not in page
    assert "lien" in page
    assert "[multimédia : IMG1]" in page
    assert '<td colspan="2">c</td>' in page
    assert "<td>d</td>" in page
    assert "inconnu" in page


def test_n1_pdf_is_embedded_as_a_data_url(ids: IdFactory) -> None:
    pdf = make_sample_pdf()
    built = build_n1(demo_header(), pdf, ids=ids)
    page = render_html(built.read_bytes())
    assert_safe(page)
    [(_, attrs)] = [(t, a) for t, a in parse(page).tags if t == "object"]
    assert attrs["type"] == "application/pdf"
    data = attrs["data"]
    assert data is not None
    assert data.startswith("data:application/pdf;base64,")
    assert base64.b64decode(data.split(",", 1)[1]) == pdf


@pytest.mark.parametrize(
    ("media_type", "payload", "tag"),
    [
        ("image/jpeg", b"\xff\xd8\xff\xe0fake-jpeg", "img"),
        ("text/plain", "Ligne 1 <b>pas du html</b>\nLigne 2 é".encode(), "pre"),
        ("text/rtf", rb"{\rtf1 x}", "a"),
        ("image/tiff", b"II*\x00tiff", "a"),
    ],
)
def test_other_n1_bodies(ids: IdFactory, media_type: str, payload: bytes, tag: str) -> None:
    built = build_n1(demo_header(), payload, media_type=media_type, ids=ids)
    page = render_html(built.read_bytes())
    assert_safe(page)
    assert tag in [t for t, _ in parse(page).tags]
    if media_type == "text/plain":
        assert "Ligne 1 &lt;b&gt;pas du html&lt;/b&gt;\nLigne 2 é" in page


def test_header_only_rendering(cda_kit: Path) -> None:
    header = read_header(cda_kit / "ExemplesCDA" / "VSM_1.4_2022.01.xml")
    page = render_html(header)
    assert_safe(page)
    assert "PAT-TROIS DOMINIQUE" in page
    assert "<section" not in page


@pytest.mark.parametrize("name", ["VSM_1.4_2022.01.xml", "IPS-FR_2024.01.xml", "TLM-CR_2022.01.xml"])
def test_kit_examples_render_safely(cda_kit: Path, name: str) -> None:
    page = render_html(cda_kit / "ExemplesCDA" / name)
    assert_safe(page)
    assert re.search(r"<h1>[^<]+</h1>", page)


def test_style_block_matches_its_csp_hash() -> None:
    import hashlib

    page = render_html(read_header(b'<ClinicalDocument xmlns="urn:hl7-org:v3"><id root="1.2.3"/></ClinicalDocument>'))
    css = page.split("<style>", 1)[1].split("</style>", 1)[0]
    digest = base64.b64encode(hashlib.sha256(css.encode()).digest()).decode()
    assert f"'sha256-{digest}'" in CSP

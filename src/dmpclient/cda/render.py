"""Render a CDA document as a self-contained HTML page for the professional who reads it.

Safe by construction:

* the page is written by a tiny allow-list writer (:class:`_Html`): only the tags and attributes listed in
  ``_ALLOWED`` can be emitted, every text and attribute value is escaped, and nothing from the document ever
  becomes a tag name, an attribute name, a script, a style or a URL;
* the narrative block is *mapped* (``paragraph`` → ``p``, ``list``/``item`` → ``ul``/``ol``/``li``,
  ``table`` parts → the same HTML table parts, ``content`` → ``span``, ``br``, ``sub``, ``sup``, ``caption``);
  ``renderMultiMedia`` becomes a textual reference; ``linkHtml`` keeps its text but not its ``href``; any other
  element is rendered as its escaped text;
* the only URLs in the page are ``data:`` URLs the renderer builds itself from the N1 payload
  (re-encoded, so the base64 alphabet is guaranteed);
* a strict Content-Security-Policy ``<meta>`` forbids scripts, external loads, forms and base URLs; the
  one ``<style>`` block is allowed by its SHA-256 hash.

Dates are shown in local time (Europe/Paris by default, EX_3.1-1070).
"""

from __future__ import annotations

import base64
import hashlib
import html
import os
from datetime import tzinfo
from typing import Final

from lxml import etree

from dmpclient.errors import InputError

from ._common import HL7, PARIS, BodyKind, all_text, is_element
from .header import CdaHeader, PersonHeader, ts_to_datetime
from .reader import _decode_into, _n1_text, load_cda, read_header

__all__ = ["CSP", "render_html"]

_CSS: Final = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,Arial,sans-serif;margin:0;color:#1b1b1b;background:#f6f6f6}
header.cda{background:#003a70;color:#fff;padding:12px 20px}
header.cda h1{margin:0;font-size:1.4em}
.meta{display:grid;grid-template-columns:repeat(auto-fit,minmax(260px,1fr));gap:8px 24px;padding:12px 20px;
background:#fff;border-bottom:1px solid #ddd}
.meta dt{font-weight:600;font-size:.85em;color:#555}
.meta dd{margin:0 0 6px 0}
main{padding:12px 20px}
section.cda{background:#fff;border:1px solid #ddd;border-radius:4px;padding:8px 16px;margin:0 0 12px 0}
section.cda h2{font-size:1.15em;margin:4px 0 8px 0;color:#003a70}
section.cda h3{font-size:1.05em;margin:8px 0 6px 0}
table{border-collapse:collapse;margin:6px 0}
td,th{border:1px solid #bbb;padding:3px 6px;text-align:left;vertical-align:top}
th{background:#eef2f7}
.embedded{width:100%;height:80vh;border:1px solid #bbb;background:#fff}
img.embedded{height:auto;max-width:100%}
pre.embedded{white-space:pre-wrap;height:auto;padding:8px}
.bold{font-weight:bold}.italics{font-style:italic}.underline{text-decoration:underline}
.ref{color:#666;font-style:italic}
.warning{background:#fff3cd;border:1px solid #e0c36b;padding:6px 10px;margin:8px 0}
footer{color:#666;font-size:.8em;padding:8px 20px}
""".strip()

_CSS_HASH: Final = base64.b64encode(hashlib.sha256(_CSS.encode("utf-8")).digest()).decode("ascii")

#: The Content-Security-Policy of every rendered page.
CSP: Final = (
    "default-src 'none'; "
    f"style-src 'sha256-{_CSS_HASH}'; "
    "img-src data:; object-src data:; frame-src data:; media-src data:; "
    "script-src 'none'; base-uri 'none'; form-action 'none'"
)

# tag → allowed attributes (every value escaped; href/src/data only ever receive our own data: URLs)
_ALLOWED: Final[dict[str, frozenset[str]]] = {
    "html": frozenset({"lang"}),
    "head": frozenset(),
    "meta": frozenset({"charset", "http-equiv", "content", "name"}),
    "title": frozenset(),
    "style": frozenset(),
    "body": frozenset(),
    "header": frozenset({"class"}),
    "main": frozenset(),
    "footer": frozenset(),
    "section": frozenset({"class"}),
    "h1": frozenset(),
    "h2": frozenset(),
    "h3": frozenset(),
    "h4": frozenset(),
    "p": frozenset({"class"}),
    "div": frozenset({"class"}),
    "span": frozenset({"class"}),
    "dl": frozenset({"class"}),
    "dt": frozenset(),
    "dd": frozenset(),
    "ul": frozenset(),
    "ol": frozenset(),
    "li": frozenset(),
    "table": frozenset(),
    "caption": frozenset(),
    "thead": frozenset(),
    "tbody": frozenset(),
    "tfoot": frozenset(),
    "tr": frozenset(),
    "th": frozenset({"colspan", "rowspan"}),
    "td": frozenset({"colspan", "rowspan"}),
    "br": frozenset(),
    "sub": frozenset(),
    "sup": frozenset(),
    "pre": frozenset({"class"}),
    "img": frozenset({"src", "alt", "class"}),
    "object": frozenset({"data", "type", "class", "title"}),
    "a": frozenset({"href", "download"}),
}
_VOID: Final = frozenset({"meta", "br", "img"})
_URL_ATTRIBUTES: Final = frozenset({"href", "src", "data"})
_DISPLAYABLE_IMAGES: Final = frozenset({"image/jpeg", "image/png", "image/gif"})


class _Html:
    """Allow-list HTML writer: tags/attributes outside ``_ALLOWED`` raise, all text is escaped."""

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.stack: list[str] = []

    def open(self, tag: str, attrs: dict[str, str] | None = None) -> None:
        allowed = _ALLOWED.get(tag)
        if allowed is None:
            raise InputError("tag not allowed in rendered HTML", field="html", value=tag)
        rendered = []
        for name, value in (attrs or {}).items():
            if name not in allowed:
                raise InputError("attribute not allowed in rendered HTML", field=f"html.{tag}", value=name)
            if name in _URL_ATTRIBUTES and not value.startswith("data:"):
                raise InputError("only data: URLs are allowed", field=f"html.{tag}.{name}", value=value[:40])
            rendered.append(f' {name}="{html.escape(value, quote=True)}"')
        self.parts.append(f"<{tag}{''.join(rendered)}>")
        if tag not in _VOID:
            self.stack.append(tag)

    def close(self, tag: str) -> None:
        if not self.stack or self.stack[-1] != tag:
            raise InputError("unbalanced HTML", field="html", value=tag)
        self.stack.pop()
        self.parts.append(f"</{tag}>")

    def text(self, text: str | None) -> None:
        if text:
            self.parts.append(html.escape(text, quote=True))

    def raw_css(self) -> None:
        # the only unescaped text: our constant style sheet (its hash is in the CSP)
        self.parts.append(_CSS)

    def element(self, tag: str, text: str | None, attrs: dict[str, str] | None = None) -> None:
        self.open(tag, attrs)
        self.text(text)
        self.close(tag)

    def result(self) -> str:
        if self.stack:
            raise InputError("unclosed HTML elements", field="html", value=list(self.stack))
        return "".join(self.parts)


# --------------------------------------------------------------------------------------------- helpers


def _local(ts: str | None, tz: tzinfo) -> str | None:
    if not ts:
        return None
    when = ts_to_datetime(ts, tz)
    if when is None:
        return ts
    digits = len(ts.split("+")[0].split("-")[0].split(".")[0])
    if digits <= 8:
        return when.strftime("%d/%m/%Y") if digits == 8 else ts
    return when.astimezone(tz).strftime("%d/%m/%Y %H:%M")


def _person(p: PersonHeader | None) -> str | None:
    if p is None:
        return None
    name = p.name.display if p.name else None
    parts = [name or p.idnat or "?"]
    if p.code is not None and p.code.display:
        parts.append(f"({p.code.display})")
    return " ".join(parts)


_SEX: Final = {"F": "Féminin", "M": "Masculin", "U": "Inconnu"}
_CONFIDENTIALITY: Final = {"N": "Normal", "R": "Restreint", "V": "Très restreint"}


def _dl(out: _Html, rows: list[tuple[str, str | None]]) -> None:
    out.open("dl", {"class": "meta"})
    for label, value in rows:
        if value:
            out.open("div")
            out.element("dt", label)
            out.element("dd", value)
            out.close("div")
    out.close("dl")


def _header_summary(out: _Html, h: CdaHeader, tz: tzinfo) -> None:
    p = h.patient
    ins = p.ins_id
    birth = _local(p.birth_time, tz)
    patient_line = p.display_name or "?"
    if p.birth_family_name and p.used_family_name and p.used_family_name != p.birth_family_name:
        patient_line += f" (né(e) {p.birth_family_name})"
    authors = "; ".join(
        a
        for a in (
            " — ".join(x for x in (_person(author.person) or author.device, _org(author.organization)) if x)
            for author in h.authors
        )
        if a
    )
    event = h.service_event
    service = None
    if event is not None:
        low, high = _local(event.low or event.value, tz), _local(event.high, tz)
        service = f"{low or '?'} → {high}" if high else low
    encounter_facility = h.encounter.facility_code.display if h.encounter and h.encounter.facility_code else None
    confidentiality = None
    if h.confidentiality is not None:
        c = h.confidentiality
        confidentiality = _CONFIDENTIALITY.get(c.code, c.display or c.code)
    _dl(
        out,
        [
            ("Patient", patient_line),
            ("Sexe", _SEX.get(p.sex or "", p.sex)),
            ("Date de naissance", birth),
            ("INS", f"{ins.extension} ({ins.root})" if ins else None),
            ("Type de document", (h.code.display or h.code.code) if h.code else None),
            ("Date du document", _local(h.effective_time, tz)),
            ("Date de l'acte", service),
            ("Auteur(s)", authors),
            (
                "Responsable",
                _person(h.legal_authenticator.person) if h.legal_authenticator else None,
            ),
            ("Structure", h.custodian.name if h.custodian else None),
            ("Secteur d'activité", encounter_facility),
            ("Confidentialité", confidentiality),
            ("Version", str(h.version) if h.version is not None else None),
            ("Remplace", h.replaced_id),
            ("Identifiant", h.unique_id),
        ],
    )


def _org(org: object) -> str | None:
    name = getattr(org, "name", None)
    return name if isinstance(name, str) else None


# ------------------------------------------------------------------------------------------- narrative

_TAG_MAP: Final = {
    "paragraph": "p",
    "content": "span",
    "sub": "sub",
    "sup": "sup",
    "caption": "caption",
    "thead": "thead",
    "tbody": "tbody",
    "tfoot": "tfoot",
    "tr": "tr",
    "th": "th",
    "td": "td",
    "item": "li",
    "table": "table",
}
_STYLE_CLASSES: Final = {"bold": "bold", "italics": "italics", "underline": "underline", "emphasis": "italics"}


def _local_name(el: etree._Element) -> str | None:
    if not is_element(el):
        return None
    q = etree.QName(el)
    return q.localname if q.namespace == HL7 else None


def _style_class(el: etree._Element) -> dict[str, str]:
    codes = (el.get("styleCode") or "").split()
    classes = sorted({_STYLE_CLASSES[c.lower()] for c in codes if c.lower() in _STYLE_CLASSES})
    return {"class": " ".join(classes)} if classes else {}


def _span_attr(el: etree._Element, name: str) -> dict[str, str]:
    value = el.get(name)
    return {name: value} if value and value.isdigit() and 0 < int(value) < 1000 else {}


def _narrative(out: _Html, el: etree._Element) -> None:
    """Write the children of a narrative element (``section/text`` or below)."""
    out.text(el.text)
    for child in el:
        local = _local_name(child)
        if local is None:  # comment, PI, foreign element
            if is_element(child):
                out.text(all_text(child))
        elif local == "br":
            out.open("br")
        elif local == "list":
            tag = "ol" if (child.get("listType") or "").lower() == "ordered" else "ul"
            out.open(tag)
            _narrative(out, child)
            out.close(tag)
        elif local == "renderMultiMedia":
            out.element("span", f"[multimédia : {child.get('referencedObject') or '?'}]", {"class": "ref"})
        elif local in ("linkHtml", "footnote", "footnoteRef"):
            out.open("span", {"class": "ref"} if local != "linkHtml" else None)
            _narrative(out, child)
            out.close("span")
        elif local in _TAG_MAP:
            tag = _TAG_MAP[local]
            attrs: dict[str, str] = {}
            if tag in ("p", "span"):
                attrs = _style_class(child)
            elif tag in ("td", "th"):
                attrs = {**_span_attr(child, "colspan"), **_span_attr(child, "rowspan")}
            out.open(tag, attrs or None)
            _narrative(out, child)
            out.close(tag)
        else:  # unknown or disallowed narrative element (col, colgroup …): its text only
            out.text(all_text(child))
        out.text(child.tail)


def _sections(out: _Html, parent: etree._Element, depth: int) -> None:
    for component in parent.iterfind(f"{{{HL7}}}component"):
        section = component.find(f"{{{HL7}}}section")
        if section is None:
            continue
        out.open("section", {"class": "cda"})
        title = section.find(f"{{{HL7}}}title")
        title_text = all_text(title).strip() if title is not None else None
        code = section.find(f"{{{HL7}}}code")
        out.element("h2" if depth == 0 else "h3", title_text or (code.get("displayName") if code is not None else None))
        text = section.find(f"{{{HL7}}}text")
        if text is not None:
            out.open("div")
            _narrative(out, text)
            out.close("div")
        _sections(out, section, depth + 1)
        out.close("section")


# ------------------------------------------------------------------------------------------------ body


def _n1_body(out: _Html, root: etree._Element) -> None:
    import io

    try:
        media, content = _n1_text(root)
        sink = io.BytesIO()
        _decode_into(content, sink)
    except InputError as exc:
        out.element("p", f"Corps du document illisible : {exc}", {"class": "warning"})
        return
    data = sink.getvalue()
    media = media.split(";")[0].strip().lower()
    url = f"data:{media};base64,{base64.b64encode(data).decode('ascii')}"
    out.open("section", {"class": "cda"})
    out.element("h2", "Document")
    if media == "application/pdf":
        out.open("object", {"data": url, "type": "application/pdf", "class": "embedded", "title": "Document PDF"})
        out.open("p")
        out.text("Le navigateur n'affiche pas le PDF : ")
        out.element("a", "télécharger le document", {"href": url, "download": "document.pdf"})
        out.close("p")
        out.close("object")
    elif media in _DISPLAYABLE_IMAGES:
        out.open("img", {"src": url, "alt": "Document (image)", "class": "embedded"})
    elif media == "text/plain":
        out.element("pre", data.decode("utf-8", errors="replace"), {"class": "embedded"})
    else:
        extension = {"text/rtf": "rtf", "image/tiff": "tiff"}.get(media, "bin")
        out.open("p")
        out.text(f"Document au format {media} : ")
        out.element("a", "télécharger", {"href": url, "download": f"document.{extension}"})
        out.close("p")
    out.close("section")


# --------------------------------------------------------------------------------------------- public


def render_html(
    doc: bytes | str | os.PathLike[str] | etree._Element | CdaHeader,
    *,
    tz: tzinfo = PARIS,
    lang: str = "fr",
) -> str:
    """A self-contained, script-free HTML page showing a CDA document.

    Args:
        doc: the document (bytes, a path, a parsed ``ClinicalDocument``) or just its :class:`CdaHeader`
            (then only the header summary is shown).
        tz: time zone used to show dates (Europe/Paris by default).
        lang: ``<html lang>``.
    """
    root: etree._Element | None
    if isinstance(doc, CdaHeader):
        header, root = doc, None
    else:
        root = load_cda(doc)
        header = read_header(root)
    out = _Html()
    out.parts.append("<!DOCTYPE html>")
    out.open("html", {"lang": lang})
    out.open("head")
    out.open("meta", {"charset": "utf-8"})
    out.open("meta", {"http-equiv": "Content-Security-Policy", "content": CSP})
    out.open("meta", {"name": "referrer", "content": "no-referrer"})
    out.element("title", header.title or "Document CDA")
    out.open("style")
    out.raw_css()
    out.close("style")
    out.close("head")
    out.open("body")
    out.open("header", {"class": "cda"})
    out.element("h1", header.title or "Document sans titre")
    out.close("header")
    _header_summary(out, header, tz)
    out.open("main")
    if root is not None:
        if header.body.kind is BodyKind.N1:
            _n1_body(out, root)
        elif header.body.kind is BodyKind.N3:
            structured = root.find(f"{{{HL7}}}component/{{{HL7}}}structuredBody")
            if structured is not None:
                _sections(out, structured, 0)
        else:
            out.element("p", "Document sans corps.", {"class": "warning"})
    out.close("main")
    out.open("footer")
    out.text(f"Niveau {header.body.kind.value} — rendu par dmpclient")
    out.close("footer")
    out.close("body")
    out.close("html")
    return out.result()

"""Structured (N3) bodies: sections with a narrative block and coded entries.

A :class:`StructuredBody` carries the model's templateIds (written after the two common ones), the
document code the model requires, and its :class:`Section` list. Each section has templateIds, a code, a
title, a narrative block (paragraphs, lists, tables, ``content`` with an ``ID`` that entries reference)
and entries (:class:`Observation`, :class:`MedicationEntry`, :class:`RawEntry`).

This is a deliberately small API: enough for the CI-SIS models built on IHE PCC sections with simple
observations — see :mod:`dmpclient.cda.ldl_ses` for the *lettre de liaison à la sortie* (LDL-SES).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime

from lxml import etree

from dmpclient._xml import parse_bytes
from dmpclient.errors import Finding, InputError
from dmpclient.terminology._model import Code

from ._common import HL7, XSI, format_ts, sub
from .inputs import Author

__all__ = [
    "Block",
    "BooleanValue",
    "CodedValue",
    "Content",
    "Entry",
    "ItemList",
    "LineBreak",
    "MedicationEntry",
    "Observation",
    "Paragraph",
    "QuantityValue",
    "RawEntry",
    "Section",
    "StructuredBody",
    "Table",
    "TextValue",
]

When = datetime | date
IdSource = Callable[[], str]


# ------------------------------------------------------------------------------------------- narrative


@dataclass(frozen=True, slots=True)
class Content:
    """``<content ID="…">text</content>``: a span of narrative an entry can point at (``#ID``)."""

    text: str
    id: str | None = None


@dataclass(frozen=True, slots=True)
class LineBreak:
    """``<br/>``."""


Inline = str | Content | LineBreak


@dataclass(frozen=True, slots=True)
class Paragraph:
    """``<paragraph>`` made of text, :class:`Content` and :class:`LineBreak` parts."""

    parts: tuple[Inline, ...]

    def __init__(self, *parts: Inline) -> None:
        object.__setattr__(self, "parts", tuple(parts))


@dataclass(frozen=True, slots=True)
class ItemList:
    """``<list>`` of items (each a string, a :class:`Content`, or a tuple of inline parts)."""

    items: tuple[Inline | tuple[Inline, ...], ...]
    ordered: bool = False


@dataclass(frozen=True, slots=True)
class Table:
    """``<table>`` with an optional header row and body rows of cells (string or :class:`Content`)."""

    rows: tuple[tuple[Inline, ...], ...]
    header: tuple[str, ...] = ()


Block = str | Paragraph | ItemList | Table


def _inline(parent: etree._Element, part: Inline) -> None:
    if isinstance(part, LineBreak):
        sub(parent, "br")
        return
    if isinstance(part, Content):
        el = sub(parent, "content", {"ID": part.id})
        el.text = part.text
        return
    # plain text: append to the parent's text or the last child's tail
    if len(parent):
        last = parent[-1]
        last.tail = (last.tail or "") + part
    else:
        parent.text = (parent.text or "") + part


def _blocks(text_el: etree._Element, blocks: Sequence[Block]) -> None:
    for block in blocks:
        if isinstance(block, str):
            sub(text_el, "paragraph").text = block
        elif isinstance(block, Paragraph):
            p = sub(text_el, "paragraph")
            for part in block.parts:
                _inline(p, part)
        elif isinstance(block, ItemList):
            lst = sub(text_el, "list", {"listType": "ordered" if block.ordered else None})
            for item in block.items:
                li = sub(lst, "item")
                for part in item if isinstance(item, tuple) else (item,):
                    _inline(li, part)
        elif isinstance(block, Table):
            table = sub(text_el, "table", {"border": "1"})
            if block.header:
                tr = sub(sub(table, "thead"), "tr")
                for h in block.header:
                    sub(tr, "th").text = h
            tbody = sub(table, "tbody")
            for row in block.rows:
                tr = sub(tbody, "tr")
                for cell in row:
                    _inline(sub(tr, "td"), cell)
        else:  # pragma: no cover - typed API
            raise InputError("unknown narrative block", field="section.narrative", value=type(block).__name__)


# --------------------------------------------------------------------------------------------- entries


@dataclass(frozen=True, slots=True)
class CodedValue:
    """An observation value of type ``CD`` (or ``CE``)."""

    code: Code
    xsi_type: str = "CD"


@dataclass(frozen=True, slots=True)
class TextValue:
    """An observation value of type ``ST``."""

    text: str


@dataclass(frozen=True, slots=True)
class BooleanValue:
    """An observation value of type ``BL``."""

    value: bool


@dataclass(frozen=True, slots=True)
class QuantityValue:
    """An observation value of type ``PQ`` (UCUM unit)."""

    value: str
    unit: str


ObservationValue = CodedValue | TextValue | BooleanValue | QuantityValue


class _Ctx:
    def __init__(self, ids: IdSource) -> None:
        self.ids = ids


def _xsi_type(el: etree._Element, type_name: str) -> None:
    el.set(f"{{{XSI}}}type", type_name)


def _code_el(parent: etree._Element, local: str, code: Code) -> etree._Element:
    return sub(parent, local, {"code": code.code, "codeSystem": code.code_system, "displayName": code.display})


def _entry_author(parent: etree._Element, author: Author, default_time: When | None) -> None:
    el = sub(parent, "author")
    when = author.time if author.time is not None else default_time
    if when is not None:
        sub(el, "time", {"value": format_ts(when)})
    assigned = sub(el, "assignedAuthor")
    p = author.person
    sub(assigned, "id", {"root": p.id_root, "extension": p.idnat})
    if p.specialty is not None:
        _code_el(assigned, "code", p.specialty)
    person = sub(sub(assigned, "assignedPerson"), "name")
    if p.given_name:
        sub(person, "given").text = p.given_name
    sub(person, "family").text = p.family_name
    if author.organization is not None and author.organization.idnat:
        org = sub(assigned, "representedOrganization")
        sub(org, "id", {"root": author.organization.id_root, "extension": author.organization.idnat})
        if author.organization.name:
            sub(org, "name").text = author.organization.name


@dataclass(frozen=True, slots=True)
class Observation:
    """An ``observation`` entry (IHE PCC simple observation and its CI-SIS specialisations).

    ``text_reference`` is the ``ID`` of a :class:`Content` of the section narrative (written ``#ID``).
    """

    template_ids: tuple[str, ...]
    code: Code
    value: ObservationValue | None = None
    effective_time: When | None = None
    text_reference: str | None = None
    status: str = "completed"
    mood: str = "EVN"
    author: Author | None = None

    def to_element(self, entry: etree._Element, ctx: _Ctx) -> None:
        """Append the ``observation`` to an ``entry``."""
        obs = sub(entry, "observation", {"classCode": "OBS", "moodCode": self.mood})
        for t in self.template_ids:
            sub(obs, "templateId", {"root": t})
        sub(obs, "id", {"root": ctx.ids()})
        _code_el(obs, "code", self.code)
        if self.text_reference:
            sub(sub(obs, "text"), "reference", {"value": f"#{self.text_reference}"})
        sub(obs, "statusCode", {"code": self.status})
        if self.effective_time is not None:
            sub(obs, "effectiveTime", {"value": format_ts(self.effective_time)})
        else:
            sub(obs, "effectiveTime", {"nullFlavor": "UNK"})
        v = self.value
        if isinstance(v, CodedValue):
            el = _code_el(obs, "value", v.code)
            _xsi_type(el, v.xsi_type)
        elif isinstance(v, TextValue):
            el = sub(obs, "value")
            _xsi_type(el, "ST")
            el.text = v.text
        elif isinstance(v, BooleanValue):
            el = sub(obs, "value", {"value": "true" if v.value else "false"})
            _xsi_type(el, "BL")
        elif isinstance(v, QuantityValue):
            el = sub(obs, "value", {"value": v.value, "unit": v.unit})
            _xsi_type(el, "PQ")
        if self.author is not None:
            _entry_author(obs, self.author, self.effective_time)


#: Code system of the French drug specialities (CIS), required in ``manufacturedMaterial/code``.
CIS_SYSTEM = "1.2.250.1.213.2.3.1"

#: templateIds of the CI-SIS medication entry (``FR-Traitement``) and of its product.
MEDICATION_TEMPLATE_IDS = (
    "1.2.250.1.213.1.1.3.42",
    "2.16.840.1.113883.10.20.1.24",
    "1.3.6.1.4.1.19376.1.5.3.1.4.7",
    "1.3.6.1.4.1.19376.1.5.3.1.4.7.1",
)
PRODUCT_TEMPLATE_IDS = ("1.2.250.1.213.1.1.3.43", "2.16.840.1.113883.10.20.1.53", "1.3.6.1.4.1.19376.1.5.3.1.4.7.2")


@dataclass(frozen=True, slots=True)
class MedicationEntry:
    """A ``substanceAdministration`` entry (CI-SIS FR-Traitement): a drug, its dates, a dose per intake.

    ``product`` is the drug code: a CIS code (``1.2.250.1.213.2.3.1``) goes in ``manufacturedMaterial/code``;
    any other system (ATC …) is written as a ``translation`` of a ``code nullFlavor="OTH"``, as the CI-SIS
    entry FR-Produit-de-sante requires. ``name`` is the label, ``text_reference`` the ``ID`` of the narrative
    :class:`Content` describing the treatment.
    """

    product: Code
    name: str
    text_reference: str
    start: When | None = None
    stop: When | None = None
    dose: QuantityValue | None = None
    period_days: int | None = None
    """Intake every ``period_days`` days (``PIVL_TS``)."""

    def to_element(self, entry: etree._Element, ctx: _Ctx) -> None:
        """Append the ``substanceAdministration`` to an ``entry``."""
        sa = sub(entry, "substanceAdministration", {"classCode": "SBADM", "moodCode": "EVN"})
        for t in MEDICATION_TEMPLATE_IDS:
            sub(sa, "templateId", {"root": t})
        sub(sa, "id", {"root": ctx.ids()})
        sub(sa, "code", {"code": "DRUG", "codeSystem": "2.16.840.1.113883.5.4", "displayName": "Médicament"})
        sub(sub(sa, "text"), "reference", {"value": f"#{self.text_reference}"})
        sub(sa, "statusCode", {"code": "completed"})
        ivl = sub(sa, "effectiveTime")
        _xsi_type(ivl, "IVL_TS")
        if self.start is not None:
            sub(ivl, "low", {"value": format_ts(self.start)})
        else:
            sub(ivl, "low", {"nullFlavor": "UNK"})
        if self.stop is not None:
            sub(ivl, "high", {"value": format_ts(self.stop)})
        if self.period_days is not None:
            pivl = sub(sa, "effectiveTime", {"operator": "A"})
            _xsi_type(pivl, "PIVL_TS")
            sub(pivl, "period", {"value": str(self.period_days), "unit": "d"})
        if self.dose is not None:
            dq = sub(sa, "doseQuantity")
            sub(dq, "low", {"value": self.dose.value, "unit": self.dose.unit})
            sub(dq, "high", {"value": self.dose.value, "unit": self.dose.unit})
        product = sub(sub(sa, "consumable"), "manufacturedProduct")
        for t in PRODUCT_TEMPLATE_IDS:
            sub(product, "templateId", {"root": t})
        material = sub(product, "manufacturedMaterial")
        if self.product.code_system == CIS_SYSTEM:
            code = _code_el(material, "code", self.product)
            sub(sub(code, "originalText"), "reference", {"value": f"#{self.text_reference}"})
        else:  # the CI-SIS wants CIS in code; another system (ATC…) goes in a translation
            code = sub(material, "code", {"nullFlavor": "OTH"})
            sub(sub(code, "originalText"), "reference", {"value": f"#{self.text_reference}"})
            _code_el(code, "translation", self.product)
        sub(material, "name").text = self.name


@dataclass(frozen=True, slots=True)
class RawEntry:
    """An entry given as XML (an ``observation``, ``act``, ``organizer``… in the ``urn:hl7-org:v3`` namespace).

    Escape hatch for entries this API does not model; the XML is parsed with the hardened parser.
    """

    xml: bytes

    def to_element(self, entry: etree._Element, ctx: _Ctx) -> None:
        """Append a copy of the parsed XML to an ``entry``."""
        el = parse_bytes(self.xml, origin="RawEntry")
        if etree.QName(el).namespace != HL7:
            raise InputError("a raw entry must be in the urn:hl7-org:v3 namespace", field="entry", value=el.tag)
        entry.append(el)


Entry = Observation | MedicationEntry | RawEntry


# -------------------------------------------------------------------------------------- sections, body


@dataclass(frozen=True, slots=True)
class Section:
    """A ``section``: templateIds, code, title, narrative block, entries and sub-sections."""

    template_ids: tuple[str, ...]
    code: Code
    title: str
    narrative: tuple[Block, ...] = ()
    entries: tuple[Entry, ...] = ()
    subsections: tuple[Section, ...] = ()
    with_id: bool = True

    def to_element(self, parent: etree._Element, ctx: _Ctx) -> None:
        """Append ``component/section`` to ``parent`` (a ``structuredBody`` or a ``section``)."""
        section = sub(sub(parent, "component"), "section")
        for t in self.template_ids:
            sub(section, "templateId", {"root": t})
        if self.with_id:
            sub(section, "id", {"root": ctx.ids()})
        _code_el(section, "code", self.code)
        sub(section, "title").text = self.title
        text_el = sub(section, "text")
        _blocks(text_el, self.narrative)
        for entry in self.entries:
            entry.to_element(sub(section, "entry"), ctx)
        for child in self.subsections:
            child.to_element(section, ctx)

    def content_ids(self) -> set[str]:
        """``ID`` values of the narrative."""
        found: set[str] = set()

        def visit(part: object) -> None:
            if isinstance(part, Content) and part.id:
                found.add(part.id)
            elif isinstance(part, Paragraph):
                for p in part.parts:
                    visit(p)
            elif isinstance(part, ItemList):
                for item in part.items:
                    for p in item if isinstance(item, tuple) else (item,):
                        visit(p)
            elif isinstance(part, Table):
                for row in part.rows:
                    for cell in row:
                        visit(cell)

        for block in self.narrative:
            visit(block)
        return found


@dataclass(frozen=True, slots=True)
class StructuredBody:
    """The ``structuredBody`` of an N3 document and the model it implements.

    Attributes:
        template_ids: the model's templateIds (after HL7 France and CI-SIS).
        document_code: the ``ClinicalDocument/code`` the model requires, checked at build time.
        sections: the sections, in order.
    """

    template_ids: tuple[str, ...]
    sections: tuple[Section, ...]
    document_code: Code | None = None
    model_name: str | None = None
    ids: IdSource | None = field(default=None, compare=False)

    def append_to(self, root: etree._Element, ids: IdSource) -> None:
        """Append ``component/structuredBody`` with every section to the ``ClinicalDocument``."""
        body = sub(sub(root, "component"), "structuredBody")
        ctx = _Ctx(ids)
        for section in self.sections:
            section.to_element(body, ctx)

    def findings(self) -> list[Finding]:
        """Problems the API can see by itself: entries pointing at an ``ID`` absent from the narrative."""
        out: list[Finding] = []
        seen: set[str] = set()
        for index, section in enumerate(self.sections):
            ids = section.content_ids()
            dup = ids & seen
            seen |= ids
            for d in sorted(dup):
                out.append(Finding("cda.narrative.duplicate-id", f"narrative ID {d!r} is used twice", location=d))
            for entry in section.entries:
                ref = getattr(entry, "text_reference", None)
                if ref and ref not in ids:
                    out.append(
                        Finding(
                            "cda.entry.reference",
                            f"an entry of section {index + 1} ({section.title!r}) references #{ref}, "
                            "which is not a content ID of its narrative",
                            location=f"structuredBody/component[{index + 1}]/section",
                            value=ref,
                        )
                    )
        return out

"""Constants and small helpers shared by the CDA builder, reader, mapping and renderer."""

from __future__ import annotations

from datetime import date, datetime, tzinfo
from enum import StrEnum
from typing import Final
from zoneinfo import ZoneInfo

from lxml import etree

from dmpclient._xml import NS
from dmpclient.errors import InvalidValue

__all__ = [
    "CISIS_TEMPLATE_ID",
    "CONFIDENTIALITY_SYSTEM",
    "HL7",
    "HL7_FRANCE_TEMPLATE_ID",
    "INS_OIDS",
    "LOINC",
    "PARIS",
    "XDS_SD_TEMPLATE_ID",
    "XML_DECLARATION",
    "BodyKind",
    "N1MediaType",
    "all_text",
    "format_ts",
    "is_element",
]

HL7: Final = NS["hl7"]
XSI: Final = NS["xsi"]
#: The XML declaration written before the canonical form of every document we build.
XML_DECLARATION: Final = b'<?xml version="1.0" encoding="UTF-8"?>'

HL7_FRANCE_TEMPLATE_ID: Final = "2.16.840.1.113883.2.8.2.1"
CISIS_TEMPLATE_ID: Final = "1.2.250.1.213.1.1.1.1"
#: IHE XDS-SD: the third (and last) templateId of an N1 document.
XDS_SD_TEMPLATE_ID: Final = "1.3.6.1.4.1.19376.1.2.20"
TYPE_ID_ROOT: Final = "2.16.840.1.113883.1.3"
TYPE_ID_EXTENSION: Final = "POCD_HD000040"
LOINC: Final = "2.16.840.1.113883.6.1"
CONFIDENTIALITY_SYSTEM: Final = "2.16.840.1.113883.5.25"
GENDER_SYSTEM: Final = "2.16.840.1.113883.5.1"
#: Host of documents produced by the patient (custodian root accepted besides IDNST).
PATIENT_HOST_ROOT: Final = "1.2.250.1.213.4.1"
#: INS OIDs (production, NIA, test, demonstration) — a patientRole/id with one of these roots is an INS.
INS_OIDS: Final = frozenset(
    {"1.2.250.1.213.1.4.8", "1.2.250.1.213.1.4.9", "1.2.250.1.213.1.4.10", "1.2.250.1.213.1.4.11"}
)
#: Historical INS-C root, still seen in old documents.
INS_C_OID: Final = "1.2.250.1.213.1.4.2"

#: Default time zone for naive datetimes and for display (the DMP is French).
PARIS: Final[tzinfo] = ZoneInfo("Europe/Paris")


class N1MediaType(StrEnum):
    """Media types of a non-structured (N1) body accepted by the CI-SIS (``cda.md`` §1)."""

    PDF = "application/pdf"
    TEXT = "text/plain"
    RTF = "text/rtf"
    JPEG = "image/jpeg"
    TIFF = "image/tiff"


class BodyKind(StrEnum):
    """Level of a CDA document: N1 (``nonXMLBody``) or N3 (``structuredBody``)."""

    N1 = "N1"
    N3 = "N3"
    NONE = "none"


def format_ts(value: datetime | date, *, default_tz: tzinfo = PARIS, field: str = "time") -> str:
    """CDA ``TS``: ``YYYYMMDD`` for a date, ``YYYYMMDDhhmmss±hhmm`` (local time with offset) for a datetime.

    A naive datetime is taken as local time in ``default_tz`` (Europe/Paris by default).
    """
    if isinstance(value, datetime):
        aware = (
            value if value.tzinfo is not None and value.utcoffset() is not None else value.replace(tzinfo=default_tz)
        )
        offset = aware.utcoffset()
        assert offset is not None
        minutes = int(offset.total_seconds() // 60)
        sign = "-" if minutes < 0 else "+"
        hh, mm = divmod(abs(minutes), 60)
        return aware.strftime("%Y%m%d%H%M%S") + f"{sign}{hh:02d}{mm:02d}"
    if isinstance(value, date):
        return value.strftime("%Y%m%d")
    raise InvalidValue("expected a date or a datetime", field=field, value=value, rule="CDA TS")


def is_element(node: etree._Element) -> bool:
    """True for elements (not comments or processing instructions, whose ``tag`` is not a string)."""
    tag: object = node.tag
    return isinstance(tag, str)


def all_text(node: etree._Element) -> str:
    """Concatenated text content of an element and its descendants."""
    return "".join(str(t) for t in node.itertext())


def sub(parent: etree._Element, local: str, attrib: dict[str, str | None] | None = None) -> etree._Element:
    """Append an ``urn:hl7-org:v3`` child; ``None`` attribute values are left out."""
    child = etree.SubElement(parent, f"{{{HL7}}}{local}")
    if attrib:
        for key, val in attrib.items():
            if val is not None:
                child.set(key, val)
    return child


def text_sub(parent: etree._Element, local: str, text: str | None, attrib: dict[str, str | None] | None = None) -> None:
    """Append a child with text content, when ``text`` is not empty."""
    if text is None or text == "":
        return
    sub(parent, local, attrib).text = text

"""HL7 v2 datatypes used inside XDS metadata: HD, CX, XCN, XON, XTN and DTM.

XDS carries HL7 v2 values as strings (``patientId`` is a CX, ``authorPerson`` an XCN …). Each type here
is an immutable dataclass with ``parse(text)`` and ``format()``; escaping follows HL7 v2 with the default
encoding characters (``|^~\\&``): ``\\F\\`` ``\\S\\`` ``\\R\\`` ``\\E\\`` ``\\T\\``. Empty components are
kept as ``None``; trailing empty components are not written.

Dates: :class:`DTM` keeps the precision (year … fraction of a second) and the UTC offset, and converts
CDA local times (``20230919085823+0200``) to the XDS form (UTC ``YYYYMMDDhhmmss``).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta, timezone, tzinfo
from enum import IntEnum
from typing import Final, Self

from dmpclient.errors import InvalidValue

__all__ = [
    "CX",
    "DTM",
    "HD",
    "XCN",
    "XON",
    "XTN",
    "Precision",
    "cda_ts_to_xds",
    "escape",
    "format_xds_time",
    "join_components",
    "parse_xds_time",
    "split_components",
    "unescape",
]

FIELD_SEP: Final = "|"
COMPONENT_SEP: Final = "^"
REPETITION_SEP: Final = "~"
ESCAPE_CHAR: Final = "\\"
SUBCOMPONENT_SEP: Final = "&"

_ESCAPES: Final = {
    "|": "\\F\\",
    "^": "\\S\\",
    "~": "\\R\\",
    "\\": "\\E\\",
    "&": "\\T\\",
}
_UNESCAPES: Final = {"F": "|", "S": "^", "R": "~", "E": "\\", "T": "&"}
#: Line breaks cannot appear raw in an HL7 v2 value: they are written as hexadecimal escapes.
_HEX_ESCAPES: Final = {"\r": "\\X0D\\", "\n": "\\X0A\\"}


def escape(text: str) -> str:
    """Escape the HL7 v2 delimiters of a leaf value (and CR/LF as ``\\X0D\\`` / ``\\X0A\\``)."""
    return "".join(_ESCAPES.get(ch) or _HEX_ESCAPES.get(ch, ch) for ch in text)


def _unhex(seq: str) -> str | None:
    """Decode a ``Xhh…`` escape (UTF-8 bytes); ``None`` when it is not valid hexadecimal text."""
    try:
        return bytes.fromhex(seq[1:]).decode("utf-8")
    except ValueError:
        return None


def unescape(text: str) -> str:
    """Undo :func:`escape`: delimiters and ``\\Xhh…\\`` hexadecimal escapes are decoded; other escape
    sequences (``\\H\\``, ``\\.br\\`` …) are kept as written."""
    if ESCAPE_CHAR not in text:
        return text
    out: list[str] = []
    i = 0
    while i < len(text):
        ch = text[i]
        if ch == ESCAPE_CHAR:
            end = text.find(ESCAPE_CHAR, i + 1)
            if end == -1:
                raise InvalidValue(
                    "unterminated HL7 v2 escape sequence", field="hl7v2", value=text, rule="HL7 v2 escape"
                )
            seq = text[i + 1 : end]
            decoded = _UNESCAPES.get(seq) or (_unhex(seq) if seq[:1] == "X" and len(seq) > 1 else None)
            out.append(text[i : end + 1] if decoded is None else decoded)
            i = end + 1
        else:
            out.append(ch)
            i += 1
    return "".join(out)


def _split_unescaped(text: str, sep: str) -> list[str]:
    """Split on ``sep`` — escape sequences never contain a raw delimiter, so a plain split is exact."""
    return text.split(sep)


def split_components(text: str) -> list[str]:
    """Split a field into its (still escaped) components."""
    return _split_unescaped(text, COMPONENT_SEP)


def join_components(parts: Sequence[str]) -> str:
    """Join already-escaped components, dropping trailing empty ones."""
    items = list(parts)
    while items and items[-1] == "":
        items.pop()
    return COMPONENT_SEP.join(items)


def _leaf(raw: str | None) -> str | None:
    if raw is None or raw == "":
        return None
    return unescape(raw)


def _out(value: str | None) -> str:
    return "" if value is None else escape(value)


def _component(parts: list[str], index: int) -> str:
    return parts[index] if index < len(parts) else ""


def _require_str(text: object, type_name: str) -> str:
    if not isinstance(text, str):
        raise InvalidValue(
            f"an HL7 v2 {type_name} is a string", field=type_name, value=text, rule=f"HL7 v2 {type_name}"
        )
    if "\r" in text or "\n" in text:
        raise InvalidValue(
            f"line breaks are not allowed in an HL7 v2 {type_name} (escape them as \\X0D\\ / \\X0A\\)",
            field=type_name,
            value=text,
            rule=f"HL7 v2 {type_name}",
        )
    return text


# ------------------------------------------------------------------------------------------------ HD


@dataclass(frozen=True, slots=True)
class HD:
    """Hierarchic designator: namespace id, universal id (an OID) and its type (``ISO``)."""

    namespace_id: str | None = None
    universal_id: str | None = None
    universal_id_type: str | None = None

    @classmethod
    def iso(cls, oid: str) -> HD:
        """An ``&<oid>&ISO`` designator."""
        return cls(None, oid, "ISO")

    @classmethod
    def parse(cls, text: str, *, separator: str = SUBCOMPONENT_SEP) -> HD:
        """Parse ``ns&oid&ISO`` (inside a component) or ``ns^oid^ISO`` (as a field, ``separator='^'``)."""
        _require_str(text, "HD")
        parts = _split_unescaped(text, separator)
        if len(parts) > 3:
            raise InvalidValue("an HD has at most 3 parts", field="HD", value=text, rule="HL7 v2 HD")
        return cls(_leaf(_component(parts, 0)), _leaf(_component(parts, 1)), _leaf(_component(parts, 2)))

    def format(self, *, separator: str = SUBCOMPONENT_SEP) -> str:
        """Inverse of :meth:`parse`."""
        parts = [_out(self.namespace_id), _out(self.universal_id), _out(self.universal_id_type)]
        while parts and parts[-1] == "":
            parts.pop()
        return separator.join(parts)

    def is_empty(self) -> bool:
        """True when every part is empty."""
        return not (self.namespace_id or self.universal_id or self.universal_id_type)


def _hd(raw: str) -> HD | None:
    if raw == "":
        return None
    return HD.parse(raw)


def _hd_out(value: HD | None) -> str:
    return "" if value is None else value.format()


# ------------------------------------------------------------------------------------------------ CX


@dataclass(frozen=True, slots=True)
class CX:
    """Extended composite id: ``id^check^scheme^&authority&ISO^type^facility^effective^expiration``.

    >>> CX.parse("207058575627097^^^&1.2.250.1.213.1.4.10&ISO^NH").assigning_authority.universal_id
    '1.2.250.1.213.1.4.10'
    """

    id: str
    check_digit: str | None = None
    check_digit_scheme: str | None = None
    assigning_authority: HD | None = None
    identifier_type_code: str | None = None
    assigning_facility: HD | None = None
    effective_date: str | None = None
    expiration_date: str | None = None
    extra_components: tuple[str, ...] = field(default=())
    """Components after the 8th, kept escaped as read (round-trip)."""

    @classmethod
    def parse(cls, text: str) -> CX:
        """Parse a CX string; the id (component 1) is required."""
        _require_str(text, "CX")
        parts = split_components(text)
        ident = _leaf(parts[0])
        if not ident:
            raise InvalidValue("a CX needs an id in component 1", field="CX", value=text, rule="HL7 v2 CX")
        return cls(
            id=ident,
            check_digit=_leaf(_component(parts, 1)),
            check_digit_scheme=_leaf(_component(parts, 2)),
            assigning_authority=_hd(_component(parts, 3)),
            identifier_type_code=_leaf(_component(parts, 4)),
            assigning_facility=_hd(_component(parts, 5)),
            effective_date=_leaf(_component(parts, 6)),
            expiration_date=_leaf(_component(parts, 7)),
            extra_components=tuple(parts[8:]),
        )

    def format(self) -> str:
        """Inverse of :meth:`parse`."""
        return join_components(
            [
                _out(self.id),
                _out(self.check_digit),
                _out(self.check_digit_scheme),
                _hd_out(self.assigning_authority),
                _out(self.identifier_type_code),
                _hd_out(self.assigning_facility),
                _out(self.effective_date),
                _out(self.expiration_date),
                *self.extra_components,
            ]
        )

    @classmethod
    def iso(cls, ident: str, oid: str, type_code: str | None = None) -> CX:
        """``id^^^&oid&ISO^type`` — the form the DMP uses (INS with ``NH``, IPP with ``PI``)."""
        return cls(ident, assigning_authority=HD.iso(oid), identifier_type_code=type_code)

    def __str__(self) -> str:
        return self.format()


# ----------------------------------------------------------------------------------------------- XCN


@dataclass(frozen=True, slots=True)
class XCN:
    """Extended composite id and name of a person (XDS ``authorPerson``, ``legalAuthenticator``).

    The DMP form is ``<IdNat>^<family>^<given>^^^^^^&1.2.250.1.71.4.2.1&ISO^D^^^IDNPS``.
    """

    id: str | None = None
    family_name: str | None = None
    given_name: str | None = None
    further_given_names: str | None = None
    suffix: str | None = None
    prefix: str | None = None
    degree: str | None = None
    source_table: str | None = None
    assigning_authority: HD | None = None
    name_type_code: str | None = None
    check_digit: str | None = None
    check_digit_scheme: str | None = None
    identifier_type_code: str | None = None
    extra_components: tuple[str, ...] = field(default=())

    @classmethod
    def parse(cls, text: str) -> XCN:
        """Parse an XCN; needs an id or a family name."""
        _require_str(text, "XCN")
        p = split_components(text)
        value = cls(
            id=_leaf(_component(p, 0)),
            family_name=_leaf(_component(p, 1).split(SUBCOMPONENT_SEP)[0]) if _component(p, 1) else None,
            given_name=_leaf(_component(p, 2)),
            further_given_names=_leaf(_component(p, 3)),
            suffix=_leaf(_component(p, 4)),
            prefix=_leaf(_component(p, 5)),
            degree=_leaf(_component(p, 6)),
            source_table=_leaf(_component(p, 7)),
            assigning_authority=_hd(_component(p, 8)),
            name_type_code=_leaf(_component(p, 9)),
            check_digit=_leaf(_component(p, 10)),
            check_digit_scheme=_leaf(_component(p, 11)),
            identifier_type_code=_leaf(_component(p, 12)),
            extra_components=tuple(p[13:]),
        )
        if not value.id and not value.family_name:
            raise InvalidValue(
                "an XCN needs an id (component 1) or a family name", field="XCN", value=text, rule="HL7 v2 XCN"
            )
        return value

    def format(self) -> str:
        """Inverse of :meth:`parse`."""
        return join_components(
            [
                _out(self.id),
                _out(self.family_name),
                _out(self.given_name),
                _out(self.further_given_names),
                _out(self.suffix),
                _out(self.prefix),
                _out(self.degree),
                _out(self.source_table),
                _hd_out(self.assigning_authority),
                _out(self.name_type_code),
                _out(self.check_digit),
                _out(self.check_digit_scheme),
                _out(self.identifier_type_code),
                *self.extra_components,
            ]
        )

    def __str__(self) -> str:
        return self.format()


# ----------------------------------------------------------------------------------------------- XON


@dataclass(frozen=True, slots=True)
class XON:
    """Extended composite name and id of an organisation (XDS ``authorInstitution``).

    The DMP form is ``<name>^^^^^&1.2.250.1.71.4.2.2&ISO^IDNST^^^<structure IdNat>``.
    """

    organization_name: str | None = None
    type_code: str | None = None
    id_number: str | None = None
    check_digit: str | None = None
    check_digit_scheme: str | None = None
    assigning_authority: HD | None = None
    identifier_type_code: str | None = None
    assigning_facility: HD | None = None
    name_representation_code: str | None = None
    organization_identifier: str | None = None
    extra_components: tuple[str, ...] = field(default=())

    @classmethod
    def parse(cls, text: str) -> XON:
        """Parse an XON; needs a name."""
        _require_str(text, "XON")
        p = split_components(text)
        value = cls(
            organization_name=_leaf(_component(p, 0)),
            type_code=_leaf(_component(p, 1)),
            id_number=_leaf(_component(p, 2)),
            check_digit=_leaf(_component(p, 3)),
            check_digit_scheme=_leaf(_component(p, 4)),
            assigning_authority=_hd(_component(p, 5)),
            identifier_type_code=_leaf(_component(p, 6)),
            assigning_facility=_hd(_component(p, 7)),
            name_representation_code=_leaf(_component(p, 8)),
            organization_identifier=_leaf(_component(p, 9)),
            extra_components=tuple(p[10:]),
        )
        if not value.organization_name:
            raise InvalidValue(
                "an XON needs an organisation name (component 1)", field="XON", value=text, rule="HL7 v2 XON"
            )
        return value

    def format(self) -> str:
        """Inverse of :meth:`parse`."""
        return join_components(
            [
                _out(self.organization_name),
                _out(self.type_code),
                _out(self.id_number),
                _out(self.check_digit),
                _out(self.check_digit_scheme),
                _hd_out(self.assigning_authority),
                _out(self.identifier_type_code),
                _hd_out(self.assigning_facility),
                _out(self.name_representation_code),
                _out(self.organization_identifier),
                *self.extra_components,
            ]
        )

    @property
    def identifier(self) -> str | None:
        """Component 10 (organization identifier) or, for old writers, component 3."""
        return self.organization_identifier or self.id_number

    def __str__(self) -> str:
        return self.format()


# ----------------------------------------------------------------------------------------------- XTN


@dataclass(frozen=True, slots=True)
class XTN:
    """Telecommunication address (XDS ``authorTelecommunication``): phone or e-mail.

    E-mail: ``^NET^Internet^name@example.org``; phone: ``^WPN^PH^^^^^^^^^+33123456789``.
    """

    telephone_number: str | None = None
    use_code: str | None = None
    equipment_type: str | None = None
    email_address: str | None = None
    country_code: str | None = None
    area_code: str | None = None
    local_number: str | None = None
    extension: str | None = None
    any_text: str | None = None
    extension_prefix: str | None = None
    speed_dial_code: str | None = None
    unformatted_number: str | None = None
    extra_components: tuple[str, ...] = field(default=())

    @classmethod
    def email(cls, address: str, use_code: str = "NET") -> XTN:
        """An Internet address."""
        return cls(use_code=use_code, equipment_type="Internet", email_address=address)

    @classmethod
    def phone(cls, number: str, use_code: str = "WPN", equipment_type: str = "PH") -> XTN:
        """A phone number in the unformatted component (12)."""
        return cls(use_code=use_code, equipment_type=equipment_type, unformatted_number=number)

    @classmethod
    def parse(cls, text: str) -> XTN:
        """Parse an XTN; needs an address (component 1, 4, 7 or 12)."""
        _require_str(text, "XTN")
        p = split_components(text)
        names = (
            "telephone_number",
            "use_code",
            "equipment_type",
            "email_address",
            "country_code",
            "area_code",
            "local_number",
            "extension",
            "any_text",
            "extension_prefix",
            "speed_dial_code",
            "unformatted_number",
        )
        values = {name: _leaf(_component(p, i)) for i, name in enumerate(names)}
        value = cls(**values, extra_components=tuple(p[12:]))
        if not (value.telephone_number or value.email_address or value.local_number or value.unformatted_number):
            raise InvalidValue(
                "an XTN needs a phone number or an e-mail address", field="XTN", value=text, rule="HL7 v2 XTN"
            )
        return value

    def format(self) -> str:
        """Inverse of :meth:`parse`."""
        return join_components(
            [
                _out(self.telephone_number),
                _out(self.use_code),
                _out(self.equipment_type),
                _out(self.email_address),
                _out(self.country_code),
                _out(self.area_code),
                _out(self.local_number),
                _out(self.extension),
                _out(self.any_text),
                _out(self.extension_prefix),
                _out(self.speed_dial_code),
                _out(self.unformatted_number),
                *self.extra_components,
            ]
        )

    def __str__(self) -> str:
        return self.format()


# ----------------------------------------------------------------------------------------------- DTM


class Precision(IntEnum):
    """Precision of a :class:`DTM`, by the number of digits written before any fraction."""

    YEAR = 4
    MONTH = 6
    DAY = 8
    HOUR = 10
    MINUTE = 12
    SECOND = 14
    FRACTION = 15


_DTM_RE: Final = re.compile(
    r"^(?P<digits>[0-9]{4}(?:[0-9]{2}){0,5})(?:\.(?P<fraction>[0-9]{1,4}))?(?P<offset>[+-][0-9]{4})?$"
)


@dataclass(frozen=True, slots=True)
class DTM:
    """An HL7 v2 / CDA ``TS`` date-time with its precision and optional UTC offset.

    >>> DTM.parse("20230919085823+0200").to_xds()
    '20230919065823'
    >>> DTM.parse("20240612").to_xds()
    '20240612'
    """

    year: int
    month: int | None = None
    day: int | None = None
    hour: int | None = None
    minute: int | None = None
    second: int | None = None
    fraction: str | None = None
    offset_minutes: int | None = None
    """UTC offset in minutes (``+0200`` → 120); ``None`` when the value carries no offset."""

    def __post_init__(self) -> None:
        try:
            self._as_naive()
        except ValueError as exc:
            raise InvalidValue(
                f"not a valid date-time: {exc}", field="DTM", value=self._digits(), rule="HL7 v2 DTM"
            ) from None
        if self.offset_minutes is not None and not -24 * 60 < self.offset_minutes < 24 * 60:
            raise InvalidValue(
                "UTC offset out of range (more than 24 hours)",
                field="DTM.offset_minutes",
                value=self.offset_minutes,
                rule="HL7 v2 DTM",
            )
        for outer, inner in (
            (self.month, self.day),
            (self.day, self.hour),
            (self.hour, self.minute),
            (self.minute, self.second),
            (self.second, self.fraction),
        ):
            if outer is None and inner is not None:
                raise InvalidValue(
                    "precision must be contiguous (no day without month …)", field="DTM", value=self, rule="HL7 v2 DTM"
                )

    # -- construction

    @classmethod
    def parse(cls, text: str) -> DTM:
        """Parse ``YYYY[MM[DD[HH[MM[SS[.S{1,4}]]]]]][+/-ZZZZ]``."""
        _require_str(text, "DTM")
        m = _DTM_RE.match(text.strip())
        if not m:
            raise InvalidValue(
                "expected YYYY[MM[DD[HH[MM[SS[.SSSS]]]]]][+/-ZZZZ]", field="DTM", value=text, rule="HL7 v2 DTM"
            )
        digits = m.group("digits")
        fraction = m.group("fraction")
        if fraction is not None and len(digits) != 14:
            raise InvalidValue("a fraction of a second needs seconds", field="DTM", value=text, rule="HL7 v2 DTM")
        numbers: list[int | None] = [int(digits[i : i + 2]) for i in range(4, len(digits), 2)]
        numbers += [None] * (5 - len(numbers))
        offset = m.group("offset")
        offset_minutes = None
        if offset is not None:
            sign = -1 if offset[0] == "-" else 1
            hh, mm = int(offset[1:3]), int(offset[3:5])
            if mm >= 60:
                raise InvalidValue("invalid UTC offset minutes", field="DTM", value=text, rule="HL7 v2 DTM")
            offset_minutes = sign * (hh * 60 + mm)
        month, day, hour, minute, second = numbers
        return cls(int(digits[:4]), month, day, hour, minute, second, fraction, offset_minutes)

    @classmethod
    def from_datetime(cls, value: datetime | date, precision: Precision = Precision.SECOND) -> DTM:
        """From a datetime (its offset is kept when it is aware) or a date (day precision at most)."""
        if not isinstance(value, datetime):
            if precision > Precision.DAY:
                precision = Precision.DAY
            return cls._truncate(value.year, value.month, value.day, None, None, None, None, None, precision)
        offset = value.utcoffset()
        offset_minutes = None if offset is None else int(offset.total_seconds() // 60)
        fraction = f"{value.microsecond // 100:04d}" if precision is Precision.FRACTION else None
        return cls._truncate(
            value.year,
            value.month,
            value.day,
            value.hour,
            value.minute,
            value.second,
            fraction,
            offset_minutes if precision > Precision.DAY else None,
            precision,
        )

    @classmethod
    def _truncate(
        cls,
        year: int,
        month: int | None,
        day: int | None,
        hour: int | None,
        minute: int | None,
        second: int | None,
        fraction: str | None,
        offset_minutes: int | None,
        precision: Precision,
    ) -> DTM:
        keep = (precision - 4) // 2
        m, d, h, mi, se = (v if i < keep else None for i, v in enumerate((month, day, hour, minute, second)))
        frac = fraction if precision is Precision.FRACTION else None
        return cls(year, m, d, h, mi, se, frac, offset_minutes)

    # -- properties

    @property
    def precision(self) -> Precision:
        """How much of the value is given."""
        if self.fraction is not None:
            return Precision.FRACTION
        for prec, value in (
            (Precision.SECOND, self.second),
            (Precision.MINUTE, self.minute),
            (Precision.HOUR, self.hour),
            (Precision.DAY, self.day),
            (Precision.MONTH, self.month),
        ):
            if value is not None:
                return prec
        return Precision.YEAR

    @property
    def has_time(self) -> bool:
        """True when an hour is given."""
        return self.hour is not None

    def _digits(self) -> str:
        text = f"{self.year:04d}"
        for v in (self.month, self.day, self.hour, self.minute, self.second):
            if v is None:
                break
            text += f"{v:02d}"
        return text

    def _as_naive(self) -> datetime:
        micro = int((self.fraction or "0").ljust(6, "0")[:6])
        return datetime(
            self.year, self.month or 1, self.day or 1, self.hour or 0, self.minute or 0, self.second or 0, micro
        )

    # -- output

    def format(self) -> str:
        """The HL7 v2 text, with the fraction and offset when present."""
        text = self._digits()
        if self.fraction is not None:
            text += "." + self.fraction
        if self.offset_minutes is not None:
            sign = "-" if self.offset_minutes < 0 else "+"
            hh, mm = divmod(abs(self.offset_minutes), 60)
            text += f"{sign}{hh:02d}{mm:02d}"
        return text

    def to_datetime(self, default_tz: tzinfo | None = None) -> datetime:
        """An aware datetime (missing parts filled with their minimum).

        A value without offset needs ``default_tz`` (for instance ``ZoneInfo("Europe/Paris")``).
        """
        naive = self._as_naive()
        if self.offset_minutes is not None:
            return naive.replace(tzinfo=timezone(timedelta(minutes=self.offset_minutes)))
        if default_tz is None:
            raise InvalidValue(
                "the value has no UTC offset; give default_tz to interpret it",
                field="DTM",
                value=self.format(),
                rule="CI-SIS: local time with offset",
            )
        return naive.replace(tzinfo=default_tz)

    def to_utc(self, default_tz: tzinfo | None = None) -> DTM:
        """The same instant in UTC (offset +0000), same precision. Dates without time are returned as is."""
        if not self.has_time:
            return replace(self, offset_minutes=None)
        try:
            utc = self.to_datetime(default_tz).astimezone(UTC)
        except OverflowError:
            raise InvalidValue(
                "the UTC time falls outside years 1-9999", field="DTM", value=self.format(), rule="HL7 v2 DTM"
            ) from None
        return DTM._truncate(
            utc.year, utc.month, utc.day, utc.hour, utc.minute, utc.second, self.fraction, 0, self.precision
        )

    def to_xds(self, default_tz: tzinfo | None = None) -> str:
        """XDS form: UTC, no offset, no fraction (``YYYYMMDDhhmmss`` or shorter for dates)."""
        utc = self.to_utc(default_tz)
        return utc._digits()

    def __str__(self) -> str:
        return self.format()

    def with_precision(self, precision: Precision) -> Self:
        """Truncate to ``precision`` (cannot add precision)."""
        if precision > self.precision:
            raise InvalidValue(
                "cannot increase the precision of a DTM", field="DTM", value=self.format(), rule="HL7 v2 DTM"
            )
        return DTM._truncate(  # type: ignore[return-value]
            self.year,
            self.month,
            self.day,
            self.hour,
            self.minute,
            self.second,
            self.fraction,
            self.offset_minutes if precision > Precision.DAY else None,
            precision,
        )


def format_xds_time(value: datetime) -> str:
    """Aware datetime → XDS ``YYYYMMDDhhmmss`` in UTC. Naive datetimes are refused."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise InvalidValue(
            "XDS times are UTC: give a timezone-aware datetime", field="time", value=value, rule="XDS DTM UTC"
        )
    u = value.astimezone(UTC)
    return f"{u.year:04d}{u.month:02d}{u.day:02d}{u.hour:02d}{u.minute:02d}{u.second:02d}"  # strftime %Y is unpadded


def parse_xds_time(text: str) -> datetime:
    """XDS DTM (UTC, any precision from year to second) → aware UTC datetime."""
    dtm = DTM.parse(text)
    if dtm.offset_minutes not in (None, 0):
        return dtm.to_datetime().astimezone(UTC)
    return dtm._as_naive().replace(tzinfo=UTC)


def cda_ts_to_xds(ts: str, default_tz: tzinfo | None = None) -> str:
    """Convert a CDA ``TS`` (local time with offset) to the XDS UTC form.

    >>> cda_ts_to_xds("20230919085823+0200")
    '20230919065823'
    """
    return DTM.parse(ts).to_xds(default_tz)

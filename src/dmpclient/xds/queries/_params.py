"""Encoding and decoding of ITI-18 stored-query parameter values (``transactions.md`` §5).

IHE writes every parameter value as text inside ``Slot/ValueList/Value``:

* strings in single quotes, a quote inside doubled: ``'O''Brien'``;
* lists in parentheses: ``('a','b')`` — the values of one ``Value`` are OR-ed; for the parameters that
  allow it (``$XDSDocumentEntryEventCodeList``, ``$XDSDocumentEntryConfidentialityCode``) several
  ``Value`` elements are AND-ed;
* codes as ``'code^^codingScheme'``;
* times as UTC ``YYYYMMDDhhmmss`` (any prefix precision), **unquoted**;
* integers unquoted.

A malformed time is refused by the DMP with "Le format du paramètre est incorrect" (DevBox DMP-413), so
every value is checked here, before anything is sent.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Final, Protocol, runtime_checkable

from dmpclient.errors import InputError, NIARefused
from dmpclient.hl7v2 import CX, DTM, format_xds_time
from dmpclient.ids import INS, InsOid
from dmpclient.terminology._model import Code

__all__ = [
    "ASSOCIATION_TYPES",
    "STATUS_URNS",
    "CodeLike",
    "MissingQueryParameter",
    "QueryParameterError",
    "decode_code",
    "decode_list",
    "decode_string",
    "decode_time",
    "encode_code",
    "encode_list",
    "encode_string",
    "encode_time",
    "normalize_association_type",
    "normalize_code",
    "normalize_status",
]

_PARAM_FORMAT_FR: Final = "Le format du paramètre est incorrect"


class QueryParameterError(InputError):
    """A stored-query parameter has a value that the registry would refuse.

    ``field`` is the ITI-18 parameter name (``$XDSDocumentEntryPatientId`` …).
    """


class MissingQueryParameter(QueryParameterError):
    """A parameter that the stored query requires is missing (IHE ``XDSStoredQueryMissingParam``)."""


@runtime_checkable
class _HasCode(Protocol):
    @property
    def code(self) -> str: ...

    @property
    def code_system(self) -> str: ...


#: What a code parameter accepts: a :class:`Code` (or any object with ``code`` and ``code_system``),
#: a ``(code, code_system)`` tuple, or the wire text ``code^^codingScheme``.
CodeLike = Code | tuple[str, str] | str

#: availabilityStatus URNs by short name (JDV_J52 plus the IHE Submitted status).
STATUS_URNS: Final[dict[str, str]] = {
    "approved": "urn:oasis:names:tc:ebxml-regrep:StatusType:Approved",
    "deprecated": "urn:oasis:names:tc:ebxml-regrep:StatusType:Deprecated",
    "submitted": "urn:oasis:names:tc:ebxml-regrep:StatusType:Submitted",
    "archived": "urn:asip:ci-sis:2010:StatusType:Archived",
    "deleted": "urn:asip:ci-sis:2010:StatusType:Deleted",
}

#: Association type URNs by short name (ITI TF-3 §4.2.2 and ITI-57).
ASSOCIATION_TYPES: Final[dict[str, str]] = {
    "hasmember": "urn:oasis:names:tc:ebxml-regrep:AssociationType:HasMember",
    "rplc": "urn:ihe:iti:2007:AssociationType:RPLC",
    "xfrm": "urn:ihe:iti:2007:AssociationType:XFRM",
    "apnd": "urn:ihe:iti:2007:AssociationType:APND",
    "xfrm_rplc": "urn:ihe:iti:2007:AssociationType:XFRM_RPLC",
    "signs": "urn:ihe:iti:2007:AssociationType:signs",
    "issnapshotof": "urn:ihe:iti:2010:AssociationType:IsSnapshotOf",
    "updateavailabilitystatus": "urn:ihe:iti:2010:AssociationType:UpdateAvailabilityStatus",
}

_UUID_URN_RE: Final = re.compile(
    r"^urn:uuid:[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"
)
_XDS_TIME_RE: Final = re.compile(r"^[0-9]{4}(?:[0-9]{2}){0,5}$")


def _error(message: str, param: str, value: object, *, rule: str = "ITI-18 parameter format") -> QueryParameterError:
    return QueryParameterError(
        message, field=param, value=value, rule=rule, hint=f"DMP message: « {_PARAM_FORMAT_FR} »"
    )


# ------------------------------------------------------------------------------------------- strings


def encode_string(value: str, *, param: str = "parameter") -> str:
    """``'value'`` with every ``'`` doubled. Empty strings and line breaks are refused."""
    if not isinstance(value, str) or not value:
        raise _error("an empty string is not a valid parameter value", param, value)
    if "\r" in value or "\n" in value:
        raise _error("line breaks are not allowed in a parameter value", param, value)
    return "'" + value.replace("'", "''") + "'"


def encode_list(values: Iterable[str], *, param: str = "parameter", quoted: bool = True) -> str:
    """``('a','b')`` (or ``(1,2)`` with ``quoted=False``); an empty list is refused."""
    items = list(values)
    if not items:
        raise MissingQueryParameter("an empty list is not a valid parameter value", field=param, value=items)
    inner = ",".join(encode_string(v, param=param) if quoted else str(v) for v in items)
    return f"({inner})"


def _scan_string(text: str, start: int, param: str) -> tuple[str, int]:
    """Read a quoted string starting at ``text[start] == "'"``; return (value, index after it)."""
    out: list[str] = []
    i = start + 1
    while i < len(text):
        ch = text[i]
        if ch == "'":
            if i + 1 < len(text) and text[i + 1] == "'":
                out.append("'")
                i += 2
                continue
            return "".join(out), i + 1
        out.append(ch)
        i += 1
    raise _error("unterminated quoted string", param, text)


def decode_string(text: str, *, param: str = "parameter") -> str:
    """Inverse of :func:`encode_string`. A lone value in parentheses (``('x')``) is accepted too."""
    stripped = text.strip()
    if stripped.startswith("("):
        values = decode_list(stripped, param=param)
        if len(values) != 1:
            raise _error("expected a single value", param, text)
        return values[0]
    if not stripped.startswith("'"):
        raise _error("a string parameter is written in single quotes", param, text)
    value, end = _scan_string(stripped, 0, param)
    if end != len(stripped):
        raise _error("unexpected text after the quoted string", param, text)
    return value


def decode_list(text: str, *, param: str = "parameter") -> list[str]:
    """Inverse of :func:`encode_list`: ``('a','b')`` → ``['a', 'b']``.

    Tolerant like registries are: unquoted items (``(1,2)``) and a bare quoted string (``'a'``) are read too.
    """
    stripped = text.strip()
    if stripped.startswith("'"):
        return [decode_string(stripped, param=param)]
    if not (stripped.startswith("(") and stripped.endswith(")")):
        raise _error("a list parameter is written in parentheses: ('a','b')", param, text)
    body = stripped[1:-1]
    values: list[str] = []
    i = 0
    while i < len(body):
        ch = body[i]
        if ch in " \t":
            i += 1
            continue
        if ch == "'":
            value, i = _scan_string(body, i, param)
            values.append(value)
        else:
            end = body.find(",", i)
            end = len(body) if end == -1 else end
            token = body[i:end].strip()
            if not token:
                raise _error("empty list item", param, text)
            values.append(token)
            i = end
        while i < len(body) and body[i] in " \t":
            i += 1
        if i < len(body):
            if body[i] != ",":
                raise _error("list items are separated by commas", param, text)
            i += 1
    if not values:
        raise _error("empty list", param, text)
    return values


# --------------------------------------------------------------------------------------------- codes


def normalize_code(value: CodeLike | object, *, param: str = "parameter") -> Code:
    """A :class:`Code` from any :data:`CodeLike` (``code^^scheme`` text, tuple, Code-like object)."""
    if isinstance(value, Code):
        return value
    if isinstance(value, str):
        code, sep, scheme = value.partition("^^")
        if not sep or not code or not scheme or "^" in scheme:
            raise _error("a code is written 'code^^codingScheme'", param, value)
        return Code(code, scheme)
    if isinstance(value, tuple) and len(value) == 2 and all(isinstance(v, str) and v for v in value):
        return Code(value[0], value[1])
    if isinstance(value, _HasCode):
        return Code(value.code, value.code_system)
    raise _error("expected a Code, a (code, code_system) tuple or 'code^^codingScheme'", param, value)


def encode_code(value: CodeLike, *, param: str = "parameter") -> str:
    """``code^^codingScheme`` (unquoted; lists quote it)."""
    code = normalize_code(value, param=param)
    if "^" in code.code:
        raise _error("a code value cannot contain '^'", param, code.code)
    return f"{code.code}^^{code.code_system}"


def decode_code(text: str, *, param: str = "parameter") -> Code:
    """``code^^codingScheme`` → :class:`Code`."""
    return normalize_code(text, param=param)


# --------------------------------------------------------------------------------------------- times


def encode_time(value: datetime | str, *, param: str = "parameter") -> str:
    """UTC ``YYYYMMDDhhmmss``: from an aware datetime, or a string already in that form (any precision).

    Naive datetimes and strings with an offset are refused (the DMP expects UTC).
    """
    if isinstance(value, datetime):
        if value.tzinfo is None or value.utcoffset() is None:
            raise _error("query times are UTC: give a timezone-aware datetime", param, value, rule="XDS DTM UTC")
        return format_xds_time(value)
    if isinstance(value, str):
        text = value.strip()
        if not _XDS_TIME_RE.match(text):
            raise _error("expected UTC YYYY[MM[DD[hh[mm[ss]]]]] (digits only, no offset)", param, value)
        try:
            DTM.parse(text)
        except InputError:
            raise _error("not a valid date-time", param, value) from None
        return text
    raise _error("expected an aware datetime or an XDS time string", param, value)


def decode_time(text: str, *, param: str = "parameter") -> str:
    """Check and return an unquoted XDS time (quotes, sent by some clients, are tolerated)."""
    stripped = text.strip()
    if stripped.startswith("'"):
        stripped = decode_string(stripped, param=param)
    return encode_time(stripped, param=param)


# ------------------------------------------------------------------------------------ special values


def normalize_status(value: str, *, param: str = "parameter") -> str:
    """A status URN from a URN or a short name (``approved``, ``Archived`` …)."""
    if not isinstance(value, str) or not value:
        raise _error("empty status", param, value)
    if value.startswith("urn:"):
        if value not in STATUS_URNS.values():
            raise _error(
                "unknown availabilityStatus (Approved, Deprecated, Submitted, Archived, Deleted)",
                param,
                value,
                rule="JDV_J52",
            )
        return value
    found = STATUS_URNS.get(value.lower())
    if found is None:
        raise _error("unknown availabilityStatus short name", param, value, rule="JDV_J52")
    return found


def normalize_association_type(value: str, *, param: str = "$AssociationTypes") -> str:
    """An association type URN from a URN or a short name (``RPLC``, ``HasMember`` …)."""
    if not isinstance(value, str) or not value:
        raise _error("empty association type", param, value)
    if value.startswith("urn:"):
        if value not in ASSOCIATION_TYPES.values():
            raise _error("unknown association type", param, value, rule="ITI TF-3 association types")
        return value
    found = ASSOCIATION_TYPES.get(value.lower())
    if found is None:
        raise _error("unknown association type short name", param, value, rule="ITI TF-3 association types")
    return found


def check_uuid(value: str, *, param: str) -> str:
    """An entryUUID must be ``urn:uuid:<UUID>`` (a uniqueId here is a classic mistake)."""
    if not isinstance(value, str) or not _UUID_URN_RE.match(value):
        raise QueryParameterError(
            "expected an entryUUID 'urn:uuid:xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx'",
            field=param,
            value=value,
            rule="ITI-18 entryUUID",
            hint="a uniqueId (OID) goes in the uniqueId parameter of the query",
        )
    uuid.UUID(value[9:])
    return value


def check_unique_id(value: str, *, param: str) -> str:
    """A uniqueId: non-empty, not an entryUUID (the other parameter)."""
    if not isinstance(value, str) or not value.strip():
        raise _error("empty uniqueId", param, value)
    if value.startswith("urn:uuid:"):
        raise QueryParameterError(
            "an entryUUID was given where a uniqueId (OID) is expected",
            field=param,
            value=value,
            rule="ITI-18 uniqueId",
            hint="entryUUIDs go in the entryUUID parameter of the query",
        )
    return value


def check_patient_id(value: str | INS, *, param: str) -> str:
    """The patient id as a CX ``<id>^^^&<OID>&ISO^NH``; an :class:`INS` is converted; a NIA is refused."""
    if isinstance(value, INS):
        value = value.to_cx()
    if not isinstance(value, str) or not value:
        raise MissingQueryParameter("the patient id is required", field=param, value=value, rule="ITI-18")
    try:
        cx = CX.parse(value)
    except InputError:
        raise _error("not an HL7 CX identifier", param, value, rule="INS CX") from None
    authority = cx.assigning_authority
    if authority is None or not authority.universal_id:
        raise _error("the CX has no assigning authority (expected <id>^^^&<OID>&ISO^NH)", param, value, rule="INS CX")
    if authority.universal_id == InsOid.NIA.value:
        raise NIARefused(
            "a NIA (temporary INS) cannot be used to access the DMP",
            field=param,
            value=value,
            rule="CNDA 0.2-080",
        )
    return value


def as_tuple(values: str | Sequence[str] | None) -> tuple[str, ...]:
    """A single string or a sequence of strings as a tuple (``None`` → empty)."""
    if values is None:
        return ()
    if isinstance(values, str):
        return (values,)
    return tuple(values)

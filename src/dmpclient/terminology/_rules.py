"""DMP rules and constants built on the tables: type → class (ASS_X04), media type → formatCode (ASS_A12),
codes an LPS may never send (EX_2.1-1010), the signature document's codes, statuses, and ``describe``."""

from __future__ import annotations

import re
from enum import StrEnum
from typing import Final

from dmpclient.errors import InvalidValue
from dmpclient.terminology._builtin import MEDIA_TYPE_SYSTEM
from dmpclient.terminology._model import Code, CodeMap, ValueSet
from dmpclient.terminology._names import strip_oid
from dmpclient.terminology._oids import (
    ASTM,
    DICOM_EVENT_SOURCE,
    HL7_CONFIDENTIALITY,
    LOINC,
    TRE_A03,
    TRE_A05,
    TRE_A07,
    TRE_A11_IHE_FORMAT,
    URN,
)
from dmpclient.terminology._registry import Terminology, default_terminology

__all__ = [
    "CONFIDENTIALITY_NORMAL",
    "INVISIBLE_PATIENT",
    "INVISIBLE_REPRESENTANTS_LEGAUX",
    "MASQUE_PS",
    "SIGNATURE_CLASS_CODE",
    "SIGNATURE_EVENT_CODE",
    "SIGNATURE_FORMAT_CODE",
    "SIGNATURE_TYPE_CODE",
    "AvailabilityStatus",
    "class_code_for_type",
    "describe",
    "format_code_for_media_type",
    "is_legacy_type_code",
    "lps_forbidden",
    "media_type_for_format_code",
    "value_set",
    "value_set_names",
]

# ------------------------------------------------------------------------------------------------ constants

#: confidentialityCode ``N`` (always first on a DMP document).
CONFIDENTIALITY_NORMAL: Final = Code("N", HL7_CONFIDENTIALITY, "Normal")
#: Hidden from health professionals (reversible, TD3.3a).
MASQUE_PS: Final = Code("MASQUE_PS", TRE_A07, "Masqué aux professionnels de santé")
#: Not visible to the patient (removable only, irreversible once removed).
INVISIBLE_PATIENT: Final = Code("INVISIBLE_PATIENT", TRE_A07, "Non visible par le patient")
#: Not visible to the patient's legal representatives (minors; also the VIHF secret-connection code, J64).
INVISIBLE_REPRESENTANTS_LEGAUX: Final = Code(
    "INVISIBLE_REPRESENTANTS_LEGAUX", TRE_A07, "Non visible par les représentants légaux du patient"
)
#: classCode of the XAdES signature document.
SIGNATURE_CLASS_CODE: Final = Code("urn:oid:1.3.6.1.4.1.19376.1.2.1.1.1", URN, "Digital Signature")
#: typeCode of the XAdES signature document.
SIGNATURE_TYPE_CODE: Final = Code("E1762", ASTM, "Full Document")
#: formatCode of the XAdES signature document — the display name must be exactly this (DevBox fix DMP-415).
SIGNATURE_FORMAT_CODE: Final = Code("http://www.w3.org/2000/09/xmldsig#", URN, "Default Signature Style")
#: eventCodeList entry of the XAdES signature document.
SIGNATURE_EVENT_CODE: Final = Code("1.2.840.10065.1.12.1.14", DICOM_EVENT_SOURCE, "Source")


class AvailabilityStatus(StrEnum):
    """XDS availabilityStatus values used by the DMP (JDV_J52) plus IHE ``Submitted``."""

    APPROVED = "urn:oasis:names:tc:ebxml-regrep:StatusType:Approved"
    DEPRECATED = "urn:oasis:names:tc:ebxml-regrep:StatusType:Deprecated"
    ARCHIVED = "urn:asip:ci-sis:2010:StatusType:Archived"
    DELETED = "urn:asip:ci-sis:2010:StatusType:Deleted"
    SUBMITTED = "urn:oasis:names:tc:ebxml-regrep:StatusType:Submitted"

    @classmethod
    def _missing_(cls, value: object) -> AvailabilityStatus | None:
        # Accept the short names people write ("Archived", "approved") besides the URNs.
        if isinstance(value, str):
            short = value.rsplit(":", 1)[-1].strip().lower()
            for member in cls:
                if member.value.rsplit(":", 1)[-1].lower() == short:
                    return member
        return None

    @classmethod
    def parse(cls, value: AvailabilityStatus | str, *, field: str = "availabilityStatus") -> AvailabilityStatus:
        """A status from its URN or short name (``"Archived"``); :class:`InvalidValue` naming ``field`` else."""
        try:
            return cls(value)
        except ValueError:
            raise InvalidValue(
                "unknown availability status (Approved, Deprecated, Archived, Deleted, Submitted or their URNs)",
                field=field,
                value=value,
                rule="JDV_J52",
            ) from None


# ------------------------------------------------------------------------------------------------ lookups


def _active(terminology: Terminology | None) -> Terminology:
    return terminology if terminology is not None else default_terminology()


def value_set(name: str, *, terminology: Terminology | None = None) -> ValueSet:
    """The active value set called ``name``: short id (``"J57"``, ``"J07"``, ``"TRE_R248"``, ``"TRE_A07"``,
    ``"J52"``), NOS name (``"JDV_J57-ClassCode-DMP"``), kit file stem (``"JDV_J07_XdsTypeCode_CISIS"``),
    FHIR id or OID.

    Raises:
        InvalidValue: unknown name.
    """
    return _active(terminology).get(name)


def value_set_names(*, terminology: Terminology | None = None) -> list[str]:
    """Names of every active value set."""
    return _active(terminology).names()


def _code_map(name: str, terminology: Terminology | None) -> CodeMap:
    return _active(terminology).code_map(name)


def class_code_for_type(
    type_code: Code | str,
    code_system: str | None = None,
    *,
    terminology: Terminology | None = None,
) -> Code | None:
    """The classCode the correspondence table ASS_X04 gives for a typeCode, with the J57 display name.

    ``type_code`` is a :class:`Code` or a bare code (then ``code_system`` narrows it; without it the code must
    be unambiguous). Returns ``None`` for a typeCode ASS_X04 does not know (e.g. ``101881-1``).

    >>> class_code_for_type("11490-0").code
    '10'
    """
    active = _active(terminology)
    mapping = active.code_map("ASS_X04")
    if isinstance(type_code, Code):
        target = mapping.target(type_code)
    else:
        target = mapping.target(type_code.strip(), strip_oid(code_system) if code_system else None)
    if target is None:
        return None
    j57 = active.find("J57")
    display = j57.display(target.code, target.code_system) if j57 is not None else None
    return target.with_display(display or target.display)


def _normalize_media_type(media_type: str) -> str:
    return media_type.split(";", 1)[0].strip().lower()


def format_code_for_media_type(media_type: str, *, terminology: Terminology | None = None) -> Code:
    """The XDS formatCode of an N1 (non-structured) CDA body by its media type (ASS_A12), e.g.
    ``application/pdf`` → ``urn:ihe:iti:xds-sd:pdf:2008`` (code system ``1.3.6.1.4.1.19376.1.2.3``).

    Raises:
        InvalidValue: a media type the DMP does not accept for an N1 body; the message lists the allowed ones.
    """
    mapping = _code_map("ASS_A12", terminology)
    target = mapping.target(_normalize_media_type(media_type), MEDIA_TYPE_SYSTEM)
    if target is None:
        allowed = sorted(code for _, code in mapping.entries)
        raise InvalidValue(
            f"media type not allowed for an N1 document body; allowed: {', '.join(allowed)}",
            field="mediaType",
            value=media_type,
            rule="ASS_A12",
        )
    return target


def media_type_for_format_code(code: Code | str, *, terminology: Terminology | None = None) -> str | None:
    """The N1 media type of an IHE formatCode (reverse of :func:`format_code_for_media_type`), or ``None``."""
    mapping = _code_map("ASS_A12", terminology)
    if isinstance(code, Code):
        if code.code_system != TRE_A11_IHE_FORMAT:
            return None
        wanted = code.code
    else:
        wanted = code.strip()
    for (_, media), target in mapping.entries.items():
        if target.code == wanted:
            return media
    return None


def is_legacy_type_code(code: Code | str, *, terminology: Terminology | None = None) -> bool:
    """True for a typeCode that left JDV_J07 but that the DMP still returns (accept on read, never produce)."""
    legacy = _active(terminology).find("LEGACY_TYPE_CODES")
    if legacy is None:
        return False
    return code in legacy if isinstance(code, Code) else code.strip() in legacy


# ------------------------------------------------------------------------------------------------ EX_2.1-1010

_RULE: Final = "EX_2.1-1010"
_CLASS_REASONS: Final[dict[str, str]] = {
    "60": "reimbursement data, fed by the Assurance Maladie only",
    "90": "documents the patient adds to his own record",
}


def _shown(code: Code, terminology: Terminology | None) -> str:
    """``code (display)`` with the display given, else the one of the tables."""
    display = code.display
    if not display:
        hits = _active(terminology).containing(code.code, code.code_system)
        display = next((c.display for _, c in hits if c.display), None)
    return f"{code.code} ({display})" if display else code.code


_DOCPAT = re.compile(r"^DOCPAT\d+$")
_EXPPAT = re.compile(r"^EXPPAT_\d+$")


def lps_forbidden(code: Code, *, terminology: Terminology | None = None) -> str | None:
    """Why an LPS may not send this classCode or typeCode (rule EX_2.1-1010), or ``None`` when it may.

    Forbidden: classCodes ``60`` and ``90``; typeCodes ``DOCPAT*`` and ``EXPPAT_*`` (the patient's own
    documents), ``REMB`` (reimbursement data), ``11369-6`` (vaccination history, single per DMP and produced by
    the SI-DMP), and any other typeCode whose ASS_X04 class is 60 or 90. The explanation starts with the rule id.

    >>> lps_forbidden(Code("DOCPAT03", "1.2.250.1.213.1.1.4.12")).startswith("EX_2.1-1010: ")
    True
    """
    shown = _shown(code, terminology)
    if code.code_system == TRE_A03 and code.code in _CLASS_REASONS:
        return f"{_RULE}: classCode {shown} is reserved ({_CLASS_REASONS[code.code]}); an LPS may not send it"
    if code.code_system == TRE_A05 and (_DOCPAT.match(code.code) or _EXPPAT.match(code.code)):
        return (
            f"{_RULE}: typeCode {shown} is reserved to documents the patient adds through Mon espace santé; "
            f"an LPS may not send it (the DMP answers « Le code '{code.code}' ne fait pas partie du domaine "
            "d'affinité »)"
        )
    if code.code_system == TRE_A05 and code.code == "REMB":
        return (
            f"{_RULE}: typeCode {shown} is reimbursement data, fed by the Assurance Maladie only; "
            "an LPS may not send it"
        )
    if code.code_system == LOINC and code.code == "11369-6":
        return (
            f"{_RULE}: typeCode {shown} (vaccination history) is single per DMP and produced by the SI-DMP; "
            "an LPS sends vaccination notes (87273-9) instead"
        )
    derived = class_code_for_type(code, terminology=terminology)
    if derived is not None and derived.code_system == TRE_A03 and derived.code in _CLASS_REASONS:
        return (
            f"{_RULE}: typeCode {shown} belongs to classCode {derived.code} (ASS_X04), "
            f"{_CLASS_REASONS[derived.code]}; an LPS may not send it"
        )
    return None


# ------------------------------------------------------------------------------------------------ describe


def describe(code: Code, *, terminology: Terminology | None = None) -> str:
    """A human description of a code: its known display names and the value sets that contain it; an unknown
    code is flagged, never rejected (REC_GEN-1370: the DMP may return codes newer than our tables).

    >>> describe(Code("ZZZ", "1.2.3"))
    'ZZZ @ 1.2.3: unknown code (in no loaded value set; kept as received)'
    """
    hits = _active(terminology).containing(code.code, code.code_system)
    head = f"{code.code} @ {code.code_system}"
    if not hits:
        given = f"; display given: « {code.display} »" if code.display else ""
        return f"{head}: unknown code (in no loaded value set; kept as received{given})"
    displays = list(dict.fromkeys(c.display for _, c in hits if c.display))
    names = ", ".join(dict.fromkeys(vs.name for vs, _ in hits))
    label = " / ".join(f"« {d} »" for d in displays) if displays else "(no display name)"
    text = f"{head} {label} — in {names}"
    if code.display and displays and code.display not in displays:
        text += f"; display given differs: « {code.display} »"
    return text

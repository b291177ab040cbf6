"""Identities as value objects: INS, national ids of professionals and structures, OIDs and uniqueIds.

Everything here is pure: parse, format, validate. Errors are :class:`~dmpclient.errors.InvalidIdentifier`
(or :class:`~dmpclient.errors.NIARefused`) naming the field, the value and the rule.

Reference: ``xds-metadata.md`` §2–3, ``vihf.md`` §2 and §4, ``test-data.md`` §1.
"""

from __future__ import annotations

import re
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Final

from dmpclient.errors import InvalidIdentifier, NIARefused, RuleViolation

__all__ = [
    "IDNPS_OID",
    "IDNST_OID",
    "INS",
    "MAX_UNIQUE_ID_LENGTH",
    "EnvironmentKind",
    "FinessLevel",
    "InsKind",
    "InsOid",
    "OidGenerator",
    "ProfessionalId",
    "ProfessionalIdType",
    "StructureId",
    "StructureIdType",
    "is_oid",
    "luhn_is_valid",
    "nir_key",
    "oid_from_uuid",
    "validate_oid",
    "validate_unique_id",
]

#: OID of the national identifiers of persons (IdNat PS, "IDNPS").
IDNPS_OID: Final = "1.2.250.1.71.4.2.1"
#: OID of the national identifiers of structures (IdNat structure, "IDNST").
IDNST_OID: Final = "1.2.250.1.71.4.2.2"
#: Longest uniqueId accepted (IHE limits an OID used as uniqueId to 64 characters).
MAX_UNIQUE_ID_LENGTH: Final = 64


# ---------------------------------------------------------------------------------------------- OIDs

_OID_RE: Final = re.compile(r"^[0-2](\.(0|[1-9][0-9]*))+$")


def is_oid(value: str) -> bool:
    """True when ``value`` is a dotted-decimal OID (first arc 0–2, no leading zeros, ≥ 2 arcs)."""
    return bool(_OID_RE.fullmatch(value))


def validate_oid(value: str, *, field: str = "oid") -> str:
    """Return ``value`` if it is an OID, else raise :class:`InvalidIdentifier`."""
    if not isinstance(value, str) or not is_oid(value):
        raise InvalidIdentifier(
            "not an OID (dotted decimal arcs, first arc 0, 1 or 2, no leading zeros)",
            field=field,
            value=value,
            rule="OID syntax",
        )
    return value


def validate_unique_id(value: str, *, field: str = "uniqueId") -> str:
    """Check a document / submission-set uniqueId as the DMP wants it.

    The DMP accepts a plain OID only — no ``OID^extension`` (EX_2.1-1130) — at most 64 characters.
    """
    if isinstance(value, str) and "^" in value:
        raise InvalidIdentifier(
            "the DMP refuses 'OID^extension' uniqueIds; use a plain OID (e.g. 2.25.<uuid> or <root>.<n>)",
            field=field,
            value=value,
            rule="EX_2.1-1130",
        )
    validate_oid(value, field=field)
    if len(value) > MAX_UNIQUE_ID_LENGTH:
        raise InvalidIdentifier(
            f"longer than {MAX_UNIQUE_ID_LENGTH} characters ({len(value)})",
            field=field,
            value=value,
            rule="uniqueId length",
        )
    return value


def oid_from_uuid(value: uuid.UUID | None = None) -> str:
    """``2.25.<UUID as integer>`` (ITU-T X.667); a random UUID when none is given. At most 44 characters."""
    u = value if value is not None else uuid.uuid4()
    return f"2.25.{u.int}"


class OidGenerator:
    """Generates unique OIDs ``<root>.<branch>.<sequence>`` under a software instance root.

    The sequence is the clock in milliseconds × 1000 plus a counter, and never goes backwards: within a
    process every value is strictly greater than the previous one, even when the clock stands still or is
    set back (NTP). The DMP requires uniqueIds under the software's own arc or ``2.25.<uuid>``
    (EX_GEN-1350). The generator is thread-safe; the clock is injectable for tests.

    >>> gen = OidGenerator("1.2.250.1.999.1.1.7898", clock=lambda: 1700000000.0)
    >>> gen.new(1)
    '1.2.250.1.999.1.1.7898.1.1700000000000000'
    >>> gen.new(1)
    '1.2.250.1.999.1.1.7898.1.1700000000000001'
    """

    def __init__(self, root: str, *, clock: Callable[[], float] | None = None) -> None:
        self.root = validate_oid(root, field="root")
        self._clock = clock or time.time
        self._lock = threading.Lock()
        self._last = -1

    def new(self, branch: int | None = None) -> str:
        """Return a new OID, optionally under ``<root>.<branch>``."""
        with self._lock:
            self._last = max(int(self._clock() * 1000) * 1000, self._last + 1)
            sequence = self._last
        base = self.root if branch is None else f"{self.root}.{int(branch)}"
        return validate_unique_id(f"{base}.{sequence}", field="generated uniqueId")


# -------------------------------------------------------------------------------------------- checks


def _digits(text: str) -> bool:
    """True for a non-empty string of ASCII digits (``str.isdigit`` also accepts ``²`` and ``٣``)."""
    return text.isascii() and text.isdigit()


def luhn_is_valid(digits: str) -> bool:
    """Luhn (mod 10) check of a string of ASCII digits (RPPS, SIREN, SIRET, FINESS)."""
    if not _digits(digits):
        return False
    total = 0
    for index, ch in enumerate(reversed(digits)):
        d = int(ch)
        if index % 2 == 1:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return total % 10 == 0


def nir_key(first13: str) -> int:
    """INS/NIR key of the first 13 characters: 97 − (number mod 97), with ``2A``→19, ``2B``→18 (Corsica)."""
    if len(first13) != 13:
        raise InvalidIdentifier(
            "the key is computed on exactly 13 characters", field="matricule", value=first13, rule="INS length"
        )
    dept = first13[5:7].upper()
    number = first13[:5] + {"2A": "19", "2B": "18"}.get(dept, dept) + first13[7:]
    if not _digits(number):
        raise InvalidIdentifier(
            "only digits are allowed, except 2A/2B in positions 6-7 (Corsica)",
            field="matricule",
            value=first13,
            rule="INS format",
        )
    return 97 - int(number) % 97


# ----------------------------------------------------------------------------------------------- INS


class InsOid(StrEnum):
    """The OIDs of INS identifiers (``xds-metadata.md`` §2.1)."""

    PRODUCTION = "1.2.250.1.213.1.4.8"
    """INS-NIR, real patients (production only)."""
    NIA = "1.2.250.1.213.1.4.9"
    """INS-NIA, temporary number: DMP access refused."""
    TEST = "1.2.250.1.213.1.4.10"
    """INS-NIR of test patients (test environments)."""
    DEMONSTRATION = "1.2.250.1.213.1.4.11"
    """INS-NIR of demonstration patients (test environments)."""
    INS_C = "1.2.250.1.213.1.4.2"
    """Historical computed INS-C; still returned by TD0.2/TD0.4, never sent."""


class InsKind(StrEnum):
    """Whether the matricule is a NIR (permanent) or a NIA (temporary)."""

    NIR = "NIR"
    NIA = "NIA"


class EnvironmentKind(StrEnum):
    """Production or test: decides which INS OIDs the DMP accepts."""

    PRODUCTION = "production"
    TEST = "test"


_ACCEPTED_OIDS: Final[dict[EnvironmentKind, frozenset[InsOid]]] = {
    EnvironmentKind.PRODUCTION: frozenset({InsOid.PRODUCTION}),
    EnvironmentKind.TEST: frozenset({InsOid.TEST, InsOid.DEMONSTRATION}),
}

_MATRICULE_RE: Final = re.compile(r"^[0-9]{5}(?:[0-9]{2}|2[AB])[0-9]{6}[0-9]{2}$", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class INS:
    """A patient's INS: the 15-character matricule (13 + key) and the OID saying what it is.

    >>> ins = INS.parse("277076322082910")
    >>> ins.to_cx()
    '277076322082910^^^&1.2.250.1.213.1.4.10&ISO^NH'
    >>> INS.from_cx(ins.to_cx()) == ins
    True
    """

    matricule: str
    oid: InsOid = InsOid.TEST

    def __post_init__(self) -> None:
        m = self.matricule.upper() if isinstance(self.matricule, str) else self.matricule
        object.__setattr__(self, "matricule", m)
        _check_matricule(m)

    @classmethod
    def parse(cls, value: str, oid: InsOid | str = InsOid.TEST) -> INS:
        """Parse a matricule (spaces allowed) with its OID; raises :class:`InvalidIdentifier`."""
        if not isinstance(value, str):
            raise InvalidIdentifier("an INS matricule is a string", field="ins", value=value, rule="INS format")
        compact = re.sub(r"\s+", "", value)
        try:
            ins_oid = InsOid(oid)
        except ValueError:
            raise InvalidIdentifier(
                "not an INS OID (expected 1.2.250.1.213.1.4.8, .9, .10 or .11)",
                field="ins.oid",
                value=oid,
                rule="INS OID",
            ) from None
        if ins_oid is InsOid.INS_C:
            raise InvalidIdentifier(
                "INS-C is a historical read-only identifier; it cannot identify a patient in a request",
                field="ins.oid",
                value=oid,
                rule="INS OID",
            )
        return cls(compact, ins_oid)

    @classmethod
    def from_cx(cls, cx: str) -> INS:
        """Parse the HL7 CX form ``<matricule>^^^&<OID>&ISO^NH`` (extra trailing components tolerated)."""
        from dmpclient.hl7v2 import CX  # local import: hl7v2 and ids are both floor 1

        parsed = CX.parse(cx)
        authority = parsed.assigning_authority
        if authority is None or not authority.universal_id:
            raise InvalidIdentifier(
                "the CX has no assigning authority OID (expected <matricule>^^^&<OID>&ISO^NH)",
                field="patientId",
                value=cx,
                rule="INS CX",
            )
        if authority.universal_id_type and authority.universal_id_type != "ISO":
            raise InvalidIdentifier(
                "the assigning authority type must be ISO", field="patientId", value=cx, rule="INS CX"
            )
        if parsed.identifier_type_code not in (None, "", "NH"):
            raise InvalidIdentifier("an INS CX has identifier type NH", field="patientId", value=cx, rule="INS CX")
        return cls.parse(parsed.id, authority.universal_id)

    @property
    def key(self) -> str:
        """The two-digit key (last two characters)."""
        return self.matricule[13:]

    @property
    def kind(self) -> InsKind:
        """NIR or NIA, from the OID."""
        return InsKind.NIA if self.oid is InsOid.NIA else InsKind.NIR

    @property
    def sex_digit(self) -> str:
        """First character of the matricule (1 male, 2 female for a NIR)."""
        return self.matricule[0]

    def to_cx(self) -> str:
        """HL7 CX form used in XDS ``patientId`` and the VIHF ``resource-id``."""
        return f"{self.matricule}^^^&{self.oid.value}&ISO^NH"

    def check_dmp_access(self, environment: EnvironmentKind = EnvironmentKind.TEST) -> INS:
        """Raise unless this INS may be used to access a DMP in ``environment``.

        * a NIA is always refused (:class:`NIARefused`, CNDA test 0.2-080);
        * production accepts only ``.8``; test environments accept ``.10`` and ``.11``.
        """
        if self.kind is InsKind.NIA:
            raise NIARefused(
                "a NIA (temporary INS) cannot be used to access the DMP; qualify the patient's INS first",
                field="ins",
                value=self.to_cx(),
                rule="CNDA 0.2-080",
            )
        accepted = _ACCEPTED_OIDS[EnvironmentKind(environment)]
        if self.oid not in accepted:
            names = ", ".join(sorted(o.value for o in accepted))
            raise RuleViolation(
                f"INS OID {self.oid.value} is not accepted in the {EnvironmentKind(environment).value} "
                f"environment (accepted: {names})",
                field="ins.oid",
                value=self.oid.value,
                rule="INS OID per environment",
            )
        return self

    def __str__(self) -> str:
        return self.matricule


def _check_matricule(m: object) -> None:
    if not isinstance(m, str) or len(m) != 15:
        length = len(m) if isinstance(m, str) else "?"
        raise InvalidIdentifier(
            f"an INS matricule has exactly 15 characters (13 + 2-digit key), got {length}",
            field="ins",
            value=m,
            rule="INS length",
        )
    if not _MATRICULE_RE.fullmatch(m):
        raise InvalidIdentifier(
            "only digits are allowed, except 2A/2B in positions 6-7 (Corsica)",
            field="ins",
            value=m,
            rule="INS format",
        )
    expected = nir_key(m[:13])
    if int(m[13:]) != expected:
        raise InvalidIdentifier(
            f"wrong key {m[13:]}: expected {expected:02d} (97 − first 13 digits mod 97)",
            field="ins",
            value=m,
            rule="INS key",
        )


# --------------------------------------------------------------------------------- national ids (IdNat)


class ProfessionalIdType(StrEnum):
    """Kinds of person national id (IdNat PS)."""

    RPPS = "8"
    """``8`` + RPPS number (11 digits, Luhn)."""
    ADELI = "0"
    """``0`` + ADELI number (9 characters)."""
    INTERNAL = "internal"
    """``<structure IdNat>/<internal id>``: staff without RPPS/ADELI, CPE card holders."""


_ADELI_RE: Final = re.compile(r"^[0-9]{2}[0-9]{7}$|^2[AB][0-9]{7}$", re.IGNORECASE)
_INTERNAL_RE: Final = re.compile(r"^([0-6])([0-9A-Za-z]{1,20})/([^/^&~|\\\s][^/^&~|\\\x00-\x1f]{0,59})$")


@dataclass(frozen=True, slots=True)
class ProfessionalId:
    """National identifier of a person acting on the DMP (VIHF NameID, XCN id, CDA ``assignedAuthor/id``).

    >>> ProfessionalId.parse("899900063480").id_type
    <ProfessionalIdType.RPPS: '8'>
    """

    value: str

    def __post_init__(self) -> None:
        self._kind()  # validates

    @classmethod
    def parse(cls, value: str) -> ProfessionalId:
        """Parse an IdNat of a person; raises :class:`InvalidIdentifier`."""
        if not isinstance(value, str):
            raise InvalidIdentifier("an IdNat is a string", field="professional.id", value=value, rule="IdNat PS")
        return cls(value.strip())

    @classmethod
    def rpps(cls, rpps: str) -> ProfessionalId:
        """IdNat from an 11-digit RPPS number."""
        return cls("8" + rpps)

    @classmethod
    def adeli(cls, adeli: str) -> ProfessionalId:
        """IdNat from a 9-character ADELI number."""
        return cls("0" + adeli)

    @classmethod
    def internal(cls, structure: StructureId | str, local_id: str) -> ProfessionalId:
        """IdNat of staff without RPPS/ADELI, or of a CPE card: ``<structure IdNat>/<local id>``."""
        struct = structure.idnat if isinstance(structure, StructureId) else structure
        return cls(f"{struct}/{local_id}")

    def _kind(self) -> ProfessionalIdType:
        v = self.value
        if not isinstance(v, str) or not v:
            raise InvalidIdentifier("empty national id", field="professional.id", value=v, rule="IdNat PS")
        if "/" in v:
            if not _INTERNAL_RE.fullmatch(v):
                raise InvalidIdentifier(
                    "an internal IdNat is <structure IdNat>/<local id> (prefix 0-6, no HL7 delimiters)",
                    field="professional.id",
                    value=v,
                    rule="IdNat PS internal",
                )
            return ProfessionalIdType.INTERNAL
        if v[0] == "8":
            number = v[1:]
            if len(number) != 11 or not _digits(number):
                raise InvalidIdentifier(
                    "an RPPS IdNat is 8 followed by 11 digits", field="professional.id", value=v, rule="RPPS"
                )
            if not luhn_is_valid(number):
                raise InvalidIdentifier(
                    "the RPPS number fails its Luhn check digit",
                    field="professional.id",
                    value=v,
                    rule="RPPS Luhn",
                )
            return ProfessionalIdType.RPPS
        if v[0] == "0":
            if not _ADELI_RE.fullmatch(v[1:]):
                raise InvalidIdentifier(
                    "an ADELI IdNat is 0 followed by the 9-character ADELI number",
                    field="professional.id",
                    value=v,
                    rule="ADELI",
                )
            return ProfessionalIdType.ADELI
        raise InvalidIdentifier(
            "unknown IdNat prefix: expected 8 (RPPS), 0 (ADELI) or <structure>/<internal id>",
            field="professional.id",
            value=v,
            rule="IdNat PS prefix",
        )

    @property
    def id_type(self) -> ProfessionalIdType:
        """RPPS, ADELI or internal."""
        return self._kind()

    @property
    def number(self) -> str:
        """The RPPS / ADELI number without prefix, or the whole internal id."""
        return self.value if self.id_type is ProfessionalIdType.INTERNAL else self.value[1:]

    @property
    def structure_part(self) -> str | None:
        """For internal ids, the structure IdNat before the ``/``."""
        return self.value.split("/", 1)[0] if "/" in self.value else None

    def __str__(self) -> str:
        return self.value


class StructureIdType(StrEnum):
    """Kinds of structure national id (IdNat structure), by prefix."""

    ADELI_CABINET = "0"
    FINESS = "1"
    SIREN = "2"
    SIRET = "3"
    RPPS_CABINET = "4"


class FinessLevel(StrEnum):
    """FINESS of the legal entity (EJ) or of a site (EG)."""

    EJ = "EJ"
    EG = "EG"


_FINESS_RE: Final = re.compile(r"^[0-9][0-9AB][0-9]{7}$", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class StructureId:
    """National identifier of a structure (VIHF ``Identifiant_Structure``, XON id, CDA organisation id).

    ``finess_level`` says whether a FINESS is the legal entity (EJ, carried by the ORG certificates since
    2023) or the site (EG, used in the VIHF and the documents); it cannot be derived from the number.

    >>> StructureId.parse("10B0127189", finess_level="EG").number
    '0B0127189'
    """

    id_type: StructureIdType
    number: str
    finess_level: FinessLevel | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "id_type", StructureIdType(self.id_type))
        if self.finess_level is not None:
            object.__setattr__(self, "finess_level", FinessLevel(self.finess_level))
            if self.id_type is not StructureIdType.FINESS:
                raise InvalidIdentifier(
                    "finess_level applies to FINESS identifiers only",
                    field="structure.finess_level",
                    value=self.finess_level,
                    rule="FINESS EJ/EG",
                )
        _check_structure_number(self.id_type, self.number)

    @classmethod
    def parse(cls, idnat: str, *, finess_level: FinessLevel | str | None = None) -> StructureId:
        """Parse a structure IdNat (prefix + number)."""
        if not isinstance(idnat, str) or len(idnat) < 2:
            raise InvalidIdentifier(
                "too short for a structure IdNat", field="structure.id", value=idnat, rule="IdNat structure"
            )
        try:
            id_type = StructureIdType(idnat[0])
        except ValueError:
            raise InvalidIdentifier(
                "unknown structure IdNat prefix: 0 ADELI cabinet, 1 FINESS, 2 SIREN, 3 SIRET, 4 RPPS cabinet",
                field="structure.id",
                value=idnat,
                rule="IdNat structure prefix",
            ) from None
        try:
            level = FinessLevel(finess_level) if finess_level is not None else None
        except ValueError:
            raise InvalidIdentifier(
                "a FINESS level is EJ (legal entity) or EG (site)",
                field="structure.finess_level",
                value=finess_level,
                rule="FINESS EJ/EG",
            ) from None
        return cls(id_type, idnat[1:], level)

    @classmethod
    def finess(cls, number: str, level: FinessLevel | str) -> StructureId:
        """A FINESS structure id, EJ or EG."""
        return cls(StructureIdType.FINESS, number, FinessLevel(level))

    @property
    def idnat(self) -> str:
        """Prefix + number, as written in the VIHF and the XON."""
        return self.id_type.value + self.number

    def __str__(self) -> str:
        return self.idnat


def _check_structure_number(id_type: StructureIdType, number: str) -> None:
    field = "structure.id"
    value = id_type.value + number if isinstance(number, str) else number
    if not isinstance(number, str) or not number:
        raise InvalidIdentifier("empty structure number", field=field, value=value, rule="IdNat structure")
    if id_type is StructureIdType.FINESS:
        if not _FINESS_RE.fullmatch(number):
            raise InvalidIdentifier(
                "a FINESS number has 9 characters (digits; B allowed in position 2 for test numbers)",
                field=field,
                value=value,
                rule="FINESS",
            )
        # Real FINESS numbers end with a Luhn key; test numbers (0B…, 1B…) and Corsica cannot be checked.
        if _digits(number) and not luhn_is_valid(number):
            raise InvalidIdentifier("the FINESS number fails its Luhn key", field=field, value=value, rule="FINESS key")
    elif id_type is StructureIdType.SIREN:
        if len(number) != 9 or not _digits(number) or not luhn_is_valid(number):
            raise InvalidIdentifier("a SIREN has 9 digits with a Luhn key", field=field, value=value, rule="SIREN")
    elif id_type is StructureIdType.SIRET:
        ok = len(number) == 14 and _digits(number)
        # La Poste's SIRETs (SIREN 356000000) use "sum of digits multiple of 5" instead of Luhn.
        if ok and number.startswith("356000000"):
            ok = sum(int(c) for c in number) % 5 == 0
        elif ok:
            ok = luhn_is_valid(number)
        if not ok:
            raise InvalidIdentifier("a SIRET has 14 digits with a Luhn key", field=field, value=value, rule="SIRET")
    elif id_type is StructureIdType.RPPS_CABINET:
        if len(number) < 12 or not _digits(number) or not luhn_is_valid(number[:11]):
            raise InvalidIdentifier(
                "an RPPS cabinet id is the 11-digit RPPS (Luhn) followed by the rank",
                field=field,
                value=value,
                rule="RPPS cabinet",
            )
    elif id_type is StructureIdType.ADELI_CABINET and not (
        9 <= len(number) <= 14 and number.isascii() and number.isalnum()
    ):
        raise InvalidIdentifier(
            "an ADELI cabinet id is the ADELI number followed by the rank",
            field=field,
            value=value,
            rule="ADELI cabinet",
        )

"""Shared pieces of the validator: profiles, request kinds, DMP parameters, the finding collector."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Final

from dmpclient.errors import Finding, InputError, Severity
from dmpclient.terminology import SIGNATURE_CLASS_CODE, SIGNATURE_FORMAT_CODE, SIGNATURE_TYPE_CODE
from dmpclient.xds.model import Association, DocumentEntry, SubmissionSet
from dmpclient.xds.validation._catalogue import RULES, Layer

__all__ = [
    "DEFAULT_FACILITY_PRACTICE",
    "Collector",
    "DmpParameters",
    "FacilityPracticeTable",
    "Profile",
    "RequestKind",
    "association_name",
    "document_name",
    "is_signature_entry",
    "submission_set_name",
]


class Profile(StrEnum):
    """Which rules to apply: ``ihe`` (ITI TF-3 only) or ``dmp`` (IHE + DMP profile)."""

    IHE = "ihe"
    DMP = "dmp"

    @property
    def layers(self) -> frozenset[Layer]:
        """The rule layers of the profile."""
        return frozenset({Layer.IHE}) if self is Profile.IHE else frozenset({Layer.IHE, Layer.DMP})


class RequestKind(StrEnum):
    """What a submission is, which decides the rules that apply."""

    FEED = "feed"
    """TD2.1 / TD2.2 (ITI-41): new documents (and replacements) with the signature entry."""
    METADATA_UPDATE = "metadata-update"
    """TD3.3a / TD3.3b (ITI-57): a new metadata version of a document (confidentiality change)."""
    STATUS_UPDATE = "status-update"
    """TD3.3c / TD3.3d (ITI-57): UpdateAvailabilityStatus (delete, archive, unarchive)."""


@dataclass(frozen=True, slots=True)
class DmpParameters:
    """The values of the DMP parameters file (*fichier des paramètres*, ``transactions.md`` §9) that matter here.

    Attributes:
        cumul_invisible_patient_masque_ps: ``cumul-invisible_patient-masque_ps`` — may a document be both
            INVISIBLE_PATIENT and MASQUE_PS (EX_2.1-1050)?
        fonctions_gestion_mineurs: ``fonctions-gestion-mineurs`` — minors management (INVISIBLE_REPRESENTANTS_LEGAUX).
        age_majorite: ``age-majorite`` — age of majority, for INVISIBLE_REPRESENTANTS_LEGAUX.
    """

    cumul_invisible_patient_masque_ps: bool = False
    fonctions_gestion_mineurs: bool = True
    age_majorite: int = 18


@dataclass(frozen=True, slots=True)
class FacilityPracticeTable:
    """Which cadres d'exercice (practiceSettingCode) go with a secteur d'activité (healthcareFacilityTypeCode).

    The DMP checks their coherence (EX_GEN-1377) but the full pairing is not public [?]: this table holds the
    pairs we are sure of or find plausible. A secteur absent from the table is not checked; a secteur in the
    table with another cadre gives a warning. Replace it with :meth:`with_pairs` when the guide's table is known.
    """

    pairs: Mapping[str, frozenset[str]] = field(default_factory=dict)

    def allowed(self, secteur: str) -> frozenset[str] | None:
        """The cadres known for ``secteur``, or ``None`` when the secteur is not in the table."""
        return self.pairs.get(secteur)

    def with_pairs(self, extra: Mapping[str, Iterable[str]], *, replace: bool = False) -> FacilityPracticeTable:
        """A copy with more pairs (or with ``extra`` only, when ``replace``)."""
        base: dict[str, frozenset[str]] = {} if replace else dict(self.pairs)
        for secteur, cadres in extra.items():
            base[secteur] = (base.get(secteur, frozenset()) | frozenset(cadres)) if not replace else frozenset(cadres)
        return FacilityPracticeTable(base)


_HOSPITAL: Final = frozenset({"ETABLISSEMENT", "HAD", "PALLIATIF", "SAMU_SMUR", "DEPISTAGE", "AMBULATOIRE"})
_PRACTICE: Final = frozenset({"AMBULATOIRE", "DEPISTAGE", "SAD", "MAD"})

#: Default pairing [I]: établissements de santé (SA01–SA04) ↔ ETABLISSEMENT and hospital settings (and
#: AMBULATOIRE for their outpatient consultations); cabinets and centres (SA05, SA07–SA09, SA52 maison de
#: santé) ↔ AMBULATOIRE-like settings (xds-metadata §3: "SA07 ↔ AMBULATOIRE, SA01 ↔ ETABLISSEMENT");
#: patient expression and referenced digital services pair with themselves.
DEFAULT_FACILITY_PRACTICE: Final = FacilityPracticeTable(
    {
        "SA01": _HOSPITAL,
        "SA02": _HOSPITAL,
        "SA03": _HOSPITAL,
        "SA04": _HOSPITAL,
        "SA05": _PRACTICE,
        "SA07": _PRACTICE,
        "SA08": _PRACTICE,
        "SA09": _PRACTICE,
        "SA52": _PRACTICE,
        "EXP_PATIENT": frozenset({"EXP_PATIENT"}),
        "SNR": frozenset({"SNR"}),
    }
)


class Collector:
    """Accumulates findings for the rules of the active layers."""

    def __init__(self, layers: frozenset[Layer]) -> None:
        self.layers = layers
        self.findings: list[Finding] = []

    def active(self, rule_id: str) -> bool:
        """True when the rule's layer is part of the profile."""
        return RULES[rule_id].layer in self.layers

    def add(
        self,
        rule_id: str,
        message: str,
        *,
        location: str | None = None,
        value: object = None,
        severity: Severity | None = None,
        **fmt: str,
    ) -> None:
        """Record a finding of ``rule_id`` (ignored when the rule's layer is not active)."""
        rule = RULES[rule_id]
        if rule.layer not in self.layers:
            return
        text = message
        if rule.requirement and rule.requirement not in text:
            text += f" [{rule.requirement}]"
        message_fr = rule.message_fr.format(**fmt) if rule.message_fr else None
        self.findings.append(
            Finding(
                rule=rule_id,
                message=text,
                severity=severity or rule.severity,
                location=location,
                code=rule.code,
                message_fr=message_fr,
                value=None if value is None else str(value),
            )
        )


def document_name(entry: DocumentEntry, index: int) -> str:
    """How a DocumentEntry is named in locations: its id, else ``DocumentEntry[i]``."""
    return entry.entry_uuid or f"DocumentEntry[{index}]"


def submission_set_name(ss: SubmissionSet) -> str:
    """How the SubmissionSet is named in locations."""
    return ss.entry_uuid or "SubmissionSet"


def association_name(assoc: Association, index: int) -> str:
    """How an association is named in locations."""
    return assoc.id or f"Association[{index}]"


def is_signature_entry(entry: DocumentEntry) -> bool:
    """True for the XAdES signature entry (its classCode, typeCode or formatCode says so)."""
    for code, expected in (
        (entry.class_code, SIGNATURE_CLASS_CODE),
        (entry.type_code, SIGNATURE_TYPE_CODE),
        (entry.format_code, SIGNATURE_FORMAT_CODE),
    ):
        if code is not None and code.key == expected.key:
            return True
    return False


def check_profile(profile: Profile | str) -> Profile:
    """Parse a profile name, raising :class:`InputError` for an unknown one."""
    try:
        return Profile(profile)
    except ValueError:
        raise InputError("unknown validation profile (ihe or dmp)", field="profile", value=profile) from None

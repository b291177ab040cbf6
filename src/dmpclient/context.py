"""Who acts: the professional, the structure, the authentication and access modes, the software.

Most DMP rejections in the field come from inconsistencies between the VIHF, the XDS authors, the CDA
authors and the TLS certificate (structure id, FINESS EJ/EG, professional id). dmpclient therefore
describes the acting party **once**, as an :class:`ActingContext`, and derives the VIHF attributes, the
XDS ``author`` and the CDA ``author`` from it. Nobody types the structure id twice.

Reference: ``vihf.md`` §2–4 and §7, ``xds-metadata.md`` §3, ``rights-matrix.md`` §3.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Final

from dmpclient.errors import InputError, InvalidValue, RuleViolation
from dmpclient.ids import IDNPS_OID, IDNST_OID, FinessLevel, ProfessionalId, StructureId, validate_oid
from dmpclient.terminology._model import Code

__all__ = [
    "AUTHOR_SPECIALTY_SYSTEM",
    "CADRE_EXERCICE_SYSTEM",
    "NON_PS_SYSTEM",
    "PROFESSION_SYSTEM",
    "SAVOIR_FAIRE_SYSTEM",
    "SECTEUR_ACTIVITE_SYSTEM",
    "AccessMode",
    "ActingContext",
    "AuthenticationMode",
    "CardType",
    "Professional",
    "SoftwareIdentity",
    "Structure",
]

#: TRE_G15 professions (first value of the VIHF role).
PROFESSION_SYSTEM: Final = "1.2.250.1.71.1.2.7"
#: TRE_R01 savoir-faire / speciality (second value of the VIHF role).
SAVOIR_FAIRE_SYSTEM: Final = "1.2.250.1.71.4.2.5"
#: TRE_R02 secteur d'activité (VIHF ``Secteur_Activite``, XDS healthcareFacilityTypeCode).
SECTEUR_ACTIVITE_SYSTEM: Final = "1.2.250.1.71.4.2.4"
#: TRE_A01 cadre d'exercice (XDS practiceSettingCode).
CADRE_EXERCICE_SYSTEM: Final = "1.2.250.1.213.1.1.4.9"
#: TRE_A02 profession/savoir-faire as used in XDS authorSpecialty and CDA author/code.
AUTHOR_SPECIALTY_SYSTEM: Final = "1.2.250.1.213.1.1.4.5"
#: TRE_A00 producers that are not health professionals (SECRETARIAT_MEDICAL, AUTOMATE …).
NON_PS_SYSTEM: Final = "1.2.250.1.213.1.1.4.6"

#: Professions for which the VIHF must carry a speciality (else "Aucune spécialité dans le vihf…").
_SPECIALTY_REQUIRED: Final = frozenset({"10", "21"})


class AuthenticationMode(StrEnum):
    """VIHF ``Authentification_mode``."""

    DIRECTE = "DIRECTE"
    """Professional card (CPS, CPE, CPF) or Pro Santé Connect."""
    INDIRECTE = "INDIRECTE"
    """Structure certificate (ORG AUTH_CLI / ORG SIGN)."""
    INDIRECTE_RENFORCEE = "INDIRECTE_RENFORCEE"
    """AIR: reinforced indirect authentication (hospitals): consultation only, tokens live 30 s."""


class AccessMode(StrEnum):
    """VIHF purpose of use (TRE_R248 *ModeAcces*, ``1.2.250.1.213.1.1.4.248``)."""

    NORMAL = "normal"
    BRIS_DE_GLACE = "bris_de_glace"
    CENTRE_15 = "centre_15"

    @property
    def display(self) -> str:
        """The TRE_R248 display name."""
        return _ACCESS_DISPLAY[self]

    def as_code(self) -> Code:
        """As a :class:`Code` of TRE_R248."""
        return Code(self.value, "1.2.250.1.213.1.1.4.248", self.display)


_ACCESS_DISPLAY: Final = {
    AccessMode.NORMAL: "Accès normal",
    AccessMode.BRIS_DE_GLACE: "Accès en bris de glace",
    AccessMode.CENTRE_15: "Accès par un centre de régulation médicale",
}


class CardType(StrEnum):
    """Card used in direct authentication (rights differ: a CPE feeds with TD2.2 and cannot consult)."""

    CPS = "CPS"
    CPE = "CPE"
    CPF = "CPF"


def _non_empty(value: str, field_name: str, rule: str = "RG_2230") -> str:
    if not isinstance(value, str) or not value.strip():
        raise InvalidValue("must not be empty", field=field_name, value=value, rule=rule)
    return value.strip()


@dataclass(frozen=True, slots=True)
class Professional:
    """The person acting: national id, names, profession and speciality.

    Attributes:
        id: national id (``8``+RPPS, ``0``+ADELI, or ``<structure>/<local id>``).
        family_name / given_name: never empty (RG_2230; PDT-INF-617 for non-nominative CPE cards).
        profession: TRE_G15 code (``10`` Médecin, ``21`` Pharmacien, ``60`` Infirmier …) or a TRE_A00
            code for non-professionals (``SECRETARIAT_MEDICAL``).
        specialty: TRE_R01 savoir-faire (``SM26``); mandatory for médecins and pharmaciens in the VIHF.
        author_specialty: the XDS ``authorSpecialty`` / CDA ``author/code`` (TRE_A02, ``G15_10/SM26``);
            derived from profession and speciality when not given.
        card_type: the card used in direct mode.
        telecoms: e-mail or phone numbers (HL7 XTN text or plain strings).
    """

    id: ProfessionalId
    family_name: str
    given_name: str
    profession: Code
    specialty: Code | None = None
    author_specialty: Code | None = None
    card_type: CardType | None = None
    prefix: str | None = None
    telecoms: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        given: object = self.id
        if not isinstance(given, ProfessionalId):  # accept a plain IdNat string at run time
            object.__setattr__(self, "id", ProfessionalId.parse(str(given)))
        object.__setattr__(self, "family_name", _non_empty(self.family_name, "professional.family_name"))
        object.__setattr__(self, "given_name", _non_empty(self.given_name, "professional.given_name"))

    @classmethod
    def create(
        cls,
        idnat: str,
        family_name: str,
        given_name: str,
        *,
        profession: str = "10",
        profession_display: str | None = None,
        specialty: str | None = None,
        specialty_display: str | None = None,
        author_specialty_display: str | None = None,
        card_type: CardType | None = CardType.CPS,
    ) -> Professional:
        """Convenience constructor from plain strings (TRE_G15 profession, TRE_R01 speciality)."""
        system = PROFESSION_SYSTEM if profession.isdigit() else NON_PS_SYSTEM
        spec = Code(specialty, SAVOIR_FAIRE_SYSTEM, specialty_display) if specialty else None
        prof = cls(
            id=ProfessionalId.parse(idnat),
            family_name=family_name,
            given_name=given_name,
            profession=Code(profession, system, profession_display),
            specialty=spec,
            card_type=card_type,
        )
        if author_specialty_display and prof.derived_author_specialty is not None:
            return replace(prof, author_specialty=prof.derived_author_specialty.with_display(author_specialty_display))
        return prof

    @property
    def is_physician(self) -> bool:
        """Profession ``10`` (Médecin) of TRE_G15."""
        return self.profession.key == (PROFESSION_SYSTEM, "10")

    @property
    def is_health_professional(self) -> bool:
        """True for TRE_G15 professions (not TRE_A00 non-PS producers)."""
        return self.profession.code_system == PROFESSION_SYSTEM

    @property
    def derived_author_specialty(self) -> Code | None:
        """``author_specialty``, or ``G15_<profession>[/<speciality>]`` of TRE_A02 when derivable."""
        if self.author_specialty is not None:
            return self.author_specialty
        if self.profession.code_system == NON_PS_SYSTEM:
            return Code(self.profession.code, NON_PS_SYSTEM, self.profession.display)
        if self.profession.code_system != PROFESSION_SYSTEM:
            return None
        code = f"G15_{self.profession.code}"
        if self.specialty is not None:
            code += f"/{self.specialty.code}"
        return Code(code, AUTHOR_SPECIALTY_SYSTEM)

    def check_for_vihf(self) -> None:
        """Raise when the VIHF would be refused: physicians and pharmacists need a speciality."""
        needs = self.profession.code in _SPECIALTY_REQUIRED and self.profession.code_system == PROFESSION_SYSTEM
        if needs and self.specialty is None:
            raise RuleViolation(
                "médecins and pharmaciens must carry their speciality (TRE_R01) in the VIHF role",
                field="professional.specialty",
                value=None,
                rule="VIHF role speciality",
                hint="DMP message: « Aucune spécialité dans le vihf. Spécialité obligatoire pour les Médecins… »",
            )

    @property
    def id_root(self) -> str:
        """OID of the id (IDNPS)."""
        return IDNPS_OID

    @property
    def display_name(self) -> str:
        """``GIVEN FAMILY`` for humans and the VIHF subject-id."""
        return f"{self.given_name} {self.family_name}"


@dataclass(frozen=True, slots=True)
class Structure:
    """The structure on whose behalf the professional acts.

    Attributes:
        id: structure IdNat (VIHF ``Identifiant_Structure``, XDS authorInstitution, CDA organisation).
            In EJ/EG mode this is the **EG** (site).
        name: the organisation name.
        secteur_activite: TRE_R02 code (``SA07`` cabinet, ``SA01`` établissement public) → VIHF
            ``Secteur_Activite`` and XDS healthcareFacilityTypeCode.
        cadre_exercice: TRE_A01 code (``AMBULATOIRE``, ``ETABLISSEMENT``) → practiceSettingCode.
        legal_entity: the FINESS **EJ** that holds the ORG certificates (indirect mode, since 2023).
    """

    id: StructureId
    name: str
    secteur_activite: Code
    cadre_exercice: Code | None = None
    legal_entity: StructureId | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "name", _non_empty(self.name, "structure.name", rule="XON name"))
        if self.legal_entity is not None and self.legal_entity.finess_level not in (None, FinessLevel.EJ):
            raise InvalidValue(
                "the legal entity of a structure is a FINESS EJ",
                field="structure.legal_entity",
                value=self.legal_entity.idnat,
                rule="FINESS EJ/EG",
            )

    @classmethod
    def create(
        cls,
        idnat: str,
        name: str,
        *,
        secteur_activite: str = "SA07",
        secteur_display: str | None = None,
        cadre_exercice: str | None = "AMBULATOIRE",
        cadre_display: str | None = None,
        finess_level: FinessLevel | str | None = None,
        legal_entity: str | None = None,
    ) -> Structure:
        """Convenience constructor from plain strings."""
        return cls(
            id=StructureId.parse(idnat, finess_level=finess_level),
            name=name,
            secteur_activite=Code(secteur_activite, SECTEUR_ACTIVITE_SYSTEM, secteur_display),
            cadre_exercice=Code(cadre_exercice, CADRE_EXERCICE_SYSTEM, cadre_display) if cadre_exercice else None,
            legal_entity=StructureId.parse(legal_entity, finess_level=FinessLevel.EJ) if legal_entity else None,
        )

    @property
    def id_root(self) -> str:
        """OID of the id (IDNST)."""
        return IDNST_OID

    @property
    def certificate_structure_id(self) -> StructureId:
        """The structure id that the ORG certificates carry: the EJ when one is given, else :attr:`id`."""
        return self.legal_entity or self.id


@dataclass(frozen=True, slots=True)
class SoftwareIdentity:
    """The sending software, as the CNDA homologated it (EX_GEN-1180, EX_GEN-1490).

    Attributes:
        name: ``LPS_Nom`` — the name shown in the software's "À propos".
        version: ``LPS_Version``.
        homologation_number: ``LPS_ID_HOMOLOGATION_DMP`` given by the CNDA; confidential.
        instance_id: ``LPS_ID`` — id of the installation (optional).
        oid_root: the software instance's OID arc; uniqueIds, HL7 v3 message ids and the XDS ``sourceId``
            are built under it.
    """

    name: str
    version: str
    homologation_number: str
    oid_root: str
    instance_id: str | None = None

    def __post_init__(self) -> None:
        for attr in ("name", "version", "homologation_number"):
            _non_empty(getattr(self, attr), f"software.{attr}", rule="VIHF LPS attributes")
        validate_oid(self.oid_root, field="software.oid_root")


@dataclass(frozen=True, slots=True)
class ActingContext:
    """Everything the DMP needs to know about who acts, described once.

    The VIHF (``dmpclient.security``), the XDS authors (``dmpclient.xds``) and the CDA authors
    (``dmpclient.cda``) are derived from it.

    Attributes:
        professional: the authenticated user (in indirect mode, the user behind the structure).
        structure: the structure the user acts for (EG in EJ/EG mode).
        authentication_mode: DIRECTE, INDIRECTE or INDIRECTE_RENFORCEE (AIR).
        software: the sending software.
        access_mode: normal, bris de glace or centre 15.
        access_reason: the reason typed by the user for bris de glace.
        secret_connection: a minor asked for a secret connection (documents become invisible to the
            legal representatives); asked each time, never remembered (EX_0.1-1115).
        subject_id: VIHF ``subject-id`` text; defaults to the user's name.
    """

    professional: Professional
    structure: Structure
    authentication_mode: AuthenticationMode
    software: SoftwareIdentity
    access_mode: AccessMode = AccessMode.NORMAL
    access_reason: str | None = None
    secret_connection: bool = False
    subject_id: str | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "authentication_mode", AuthenticationMode(self.authentication_mode))
        object.__setattr__(self, "access_mode", AccessMode(self.access_mode))
        if self.access_mode is AccessMode.BRIS_DE_GLACE and not (self.access_reason or "").strip():
            raise RuleViolation(
                "bris de glace needs the reason typed by the professional",
                field="access_reason",
                value=self.access_reason,
                rule="EX_0.2-1040",
            )
        if self.access_mode is not AccessMode.BRIS_DE_GLACE and self.access_reason:
            raise InputError(
                "an access reason is only given in bris de glace mode",
                field="access_reason",
                value=self.access_reason,
                rule="VIHF purpose of use",
            )

    @property
    def is_direct(self) -> bool:
        """Direct authentication (card)."""
        return self.authentication_mode is AuthenticationMode.DIRECTE

    @property
    def is_air(self) -> bool:
        """Reinforced indirect authentication (AIR)."""
        return self.authentication_mode is AuthenticationMode.INDIRECTE_RENFORCEE

    @property
    def is_cpe(self) -> bool:
        """Direct mode with a CPE (secretary) card: feeds with TD2.2, cannot consult."""
        return self.is_direct and self.professional.card_type is CardType.CPE

    @property
    def vihf_subject_id(self) -> str:
        """The VIHF ``subject-id`` text."""
        return self.subject_id or self.professional.display_name

    def with_access(self, mode: AccessMode, reason: str | None = None) -> ActingContext:
        """A copy in another access mode (bris de glace is never persistent, EX_0.2-1040)."""
        return replace(self, access_mode=mode, access_reason=reason)

    def with_secret_connection(self, secret: bool = True) -> ActingContext:
        """A copy with/without the secret connection of a minor."""
        return replace(self, secret_connection=secret)

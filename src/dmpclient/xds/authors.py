"""XDS authors derived from the acting context (``xds-metadata.md`` §3).

The acting party is described once (:class:`~dmpclient.context.ActingContext`); the XDS ``author`` of a
document, the submission-set author (the sending user, CNDA test 2.1-900), the ``legalAuthenticator`` and
the healthcareFacilityTypeCode / practiceSettingCode are derived from it here, so that they cannot
disagree with the VIHF (« Aucun AuthorInstitution ne correspond à l'utilisateur du VIHF »).
"""

from __future__ import annotations

from dmpclient.context import ActingContext, Professional, Structure
from dmpclient.hl7v2 import XTN
from dmpclient.xds.model import Author, Code, Organization, Person

__all__ = [
    "author_from",
    "document_author",
    "facility_codes",
    "legal_authenticator",
    "organization_from_structure",
    "person_from_professional",
    "submission_set_author",
    "telecom_xtn",
]


def person_from_professional(professional: Professional) -> Person:
    """``<IdNat>^<family>^<given>^^^^^^&1.2.250.1.71.4.2.1&ISO^D^^^IDNPS`` as a :class:`Person`."""
    return Person.dmp(
        str(professional.id), professional.family_name, professional.given_name, prefix=professional.prefix
    )


def organization_from_structure(structure: Structure) -> Organization:
    """``<name>^^^^^&1.2.250.1.71.4.2.2&ISO^IDNST^^^<structure IdNat>`` as an :class:`Organization`."""
    return Organization.dmp(structure.name, structure.id.idnat)


def telecom_xtn(value: str) -> str:
    """An XTN text from an XTN (kept) or a plain e-mail address / phone number."""
    if "^" in value:
        return value
    if "@" in value:
        return XTN.email(value).format()
    return XTN.phone(value).format()


def author_from(professional: Professional, structure: Structure | None, *, roles: tuple[str, ...] = ()) -> Author:
    """An XDS author: authorPerson, authorInstitution (absent without structure), authorSpecialty, telecoms."""
    specialty = professional.derived_author_specialty
    return Author(
        person=person_from_professional(professional),
        institutions=(organization_from_structure(structure),) if structure is not None else (),
        roles=roles,
        specialties=(specialty,) if specialty is not None else (),
        telecoms=tuple(telecom_xtn(t) for t in professional.telecoms),
    )


def document_author(context: ActingContext, professional: Professional | None = None) -> Author:
    """The author of a document: ``professional`` (default: the acting one) in the acting structure."""
    return author_from(professional or context.professional, context.structure)


def submission_set_author(context: ActingContext) -> Author:
    """The submission-set author: the **sending** user and structure (CNDA test 2.1-900)."""
    return author_from(context.professional, context.structure)


def legal_authenticator(professional: Professional | ActingContext) -> Person:
    """The ``legalAuthenticator`` XCN of a professional (or of the acting one)."""
    if isinstance(professional, ActingContext):
        professional = professional.professional
    return person_from_professional(professional)


def facility_codes(structure: Structure | ActingContext) -> tuple[Code, Code | None]:
    """``(healthcareFacilityTypeCode, practiceSettingCode)`` from the structure's secteur d'activité and cadre
    d'exercice (the practice setting is ``None`` when the structure has no cadre d'exercice)."""
    if isinstance(structure, ActingContext):
        structure = structure.structure
    return structure.secteur_activite, structure.cadre_exercice

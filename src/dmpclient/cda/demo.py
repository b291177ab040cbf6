"""Fictitious identities and ready-made document inputs for demos, examples and tests.

Everything here is **test data** published for DMP integration tests (``test-data.md``): the INS
``279035121518989`` (PAT-TROIS, INS-NIR *test* OID ``1.2.250.1.213.1.4.10``), the test RPPS
``899900063480`` and the test RPPS cabinet ``499900063480001``. Never send them to production.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from typing import Final

from dmpclient.context import ActingContext, AuthenticationMode, Professional, SoftwareIdentity, Structure
from dmpclient.terminology._model import Code

from .inputs import Address, DocumentHeaderInput, InstanceId, Patient
from .ldl_ses import DischargeTreatment, LdlSesContent, ModaliteEntree, ModaliteSortie

__all__ = ["DEMO_TIME", "demo_context", "demo_header", "demo_ldl_ses", "demo_patient"]

#: A fixed instant (12 June 2024, 13:54:23 in Paris) so that demo documents are reproducible.
DEMO_TIME: Final = datetime(2024, 6, 12, 13, 54, 23, tzinfo=timezone(timedelta(hours=2)))


def demo_context() -> ActingContext:
    """Dr Max LIBRE, general practitioner, in his cabinet (test identities of the GIE examples)."""
    professional = Professional.create(
        "899900063480",
        "LIBRE",
        "MAX",
        profession="10",
        profession_display="Médecin",
        specialty="SM26",
        specialty_display="Qualifié en Médecine Générale (SM)",
        author_specialty_display="Médecin - Qualifié en Médecine Générale (SM)",
    )
    structure = Structure.create(
        "499900063480001",
        "CABINET DR LIBRE",
        secteur_activite="SA07",
        secteur_display="Cabinet individuel",
        cadre_exercice="AMBULATOIRE",
        cadre_display="Ambulatoire",
    )
    software = SoftwareIdentity(
        name="dmpclient-demo", version="0.1", homologation_number="DEMO-0000", oid_root="1.2.250.1.999.1.1.7898"
    )
    return ActingContext(professional, structure, AuthenticationMode.DIRECTE, software)


def demo_patient() -> Patient:
    """PAT-TROIS Dominique Marie-Louise, born 28/03/1979 in Dompremy (51215), INS test OID."""
    return Patient(
        ins="279035121518989",
        birth_family_name="PAT-TROIS",
        birth_given_names=("DOMINIQUE", "MARIE-LOUISE"),
        used_family_name="PAT-TROIS",
        used_given_name="DOMINIQUE",
        sex="F",
        birth_date=date(1979, 3, 28),
        birthplace_code="51215",
        birthplace_city="DOMPREMY",
        ipp=InstanceId(root="1.2.250.1.999.1.1.7898.2", extension="0456789999"),
        address=Address(house_number="28", street_name="Avenue de Breteuil", postal_code="75007", city="PARIS"),
    )


def demo_header(
    *,
    type_code: Code | str = "11488-4",
    title: str = "Compte rendu de consultation",
    unique_id: str | None = None,
    set_id: str | None = None,
    effective_time: datetime = DEMO_TIME,
) -> DocumentHeaderInput:
    """A complete header for a consultation report (LOINC ``11488-4``) by :func:`demo_context`."""
    return DocumentHeaderInput.from_context(
        demo_context(),
        patient=demo_patient(),
        type_code=type_code,
        title=title,
        service_start=effective_time - timedelta(minutes=30),
        service_stop=effective_time - timedelta(minutes=5),
        author_time=effective_time,
        unique_id=unique_id,
        set_id=set_id,
        effective_time=effective_time,
    )


def demo_ldl_ses() -> LdlSesContent:
    """The content of a short discharge letter (LDL-SES)."""
    return LdlSesContent(
        status_date=DEMO_TIME.date(),
        reason="Pneumopathie communautaire avec désaturation.",
        admission_date=date(2024, 6, 3),
        admission_mode=ModaliteEntree.URGENCE,
        discharge_date=date(2024, 6, 12),
        discharge_mode=ModaliteSortie.DOMICILE,
        synthesis="Pneumopathie franche lobaire aiguë droite traitée par amoxicilline, évolution favorable.",
        adverse_events="Aucun",
        mdro_search_done=True,
        mdro_identified="Aucun",
        transfusion=False,
        blood_derivatives=False,
        treatments=(
            DischargeTreatment(
                product=Code("J01CA04", "2.16.840.1.113883.6.73", "Amoxicilline"),
                name="AMOXICILLINE 1 g",
                dose="1 comprimé",
                dose_quantity=("1", "{tbl}"),
                frequency="3 fois / jour",
                period_days=1,
                route="orale",
                start=date(2024, 6, 12),
                stop=date(2024, 6, 19),
            ),
        ),
        pending_results="Radiographie thoracique de contrôle à 6 semaines.",
        follow_up=("Consultation chez le médecin traitant sous 7 jours.",),
    )

"""The *lettre de liaison à la sortie d'un établissement de soins* (LDL-SES, CI-SIS model 2022.01).

Why this model: LOINC ``11490-0`` is the document every hospital stay must end with (Ségur wave 1 made it
a DMP feed obligation of hospital software), so it is the structured document most sent to the DMP by
establishments; its model schematron (``CI-SIS_LDL-SES_2022.01.sch``) checks the document code, the
patient's birth date, the service event date and four mandatory sections, which this module produces
following the kit example ``LDL-SES_2022.01.xml``:

====================================  ============================================  =========
Section                                templateIds (last = CI-SIS)                   card.
====================================  ============================================  =========
FR-Statut-du-document-LDL-SES          ``1.2.250.1.213.1.1.2.35(.1)``                1..1
FR-Raison-de-la-recommandation         ``1.3.6.1.4.1.19376.1.5.3.1.3.1`` + ``…2.127``  1..1
FR-Resultats-evenements-LDL-SES        ``…1.3.1.1.13.7`` + ``1.2.250.1.213.1.1.2.163(.1)``  1..1
FR-Traitements-a-la-sortie             ``…1.5.3.1.3.22`` + ``1.2.250.1.213.1.1.2.146``  1..1
FR-Resultats-examens (narrative)       ``…1.5.3.1.3.27`` + ``1.2.250.1.213.1.1.2.150``  0..1
FR-Plan-de-soins (narrative)           ``…1.5.3.1.3.36`` + ``1.2.250.1.213.1.1.2.158``  0..1
====================================  ============================================  =========
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Final

from pydantic import ConfigDict, Field

from dmpclient._models import InputModel
from dmpclient.terminology._model import Code

from ._common import LOINC
from .inputs import Author, CodeLike
from .structured import (
    BooleanValue,
    CodedValue,
    Content,
    ItemList,
    MedicationEntry,
    Observation,
    QuantityValue,
    Section,
    StructuredBody,
    Table,
    TextValue,
)

__all__ = [
    "LDL_SES_CODE",
    "LDL_SES_TEMPLATE_ID",
    "DischargeTreatment",
    "DocumentStatus",
    "LdlSesContent",
    "ModaliteEntree",
    "ModaliteSortie",
    "ldl_ses_body",
]

#: templateId of the LDL-SES model (after the HL7 France and CI-SIS ones).
LDL_SES_TEMPLATE_ID: Final = "1.2.250.1.213.1.1.1.29"
#: ``ClinicalDocument/code`` required by the model.
LDL_SES_CODE: Final = Code("11490-0", LOINC, "Lettre de liaison à la sortie d'un établissement de soins")

SNOMED: Final = "2.16.840.1.113883.6.96"
TA_ASIP: Final = "1.2.250.1.213.1.1.4.322"
_SIMPLE_OBS: Final = ("1.3.6.1.4.1.19376.1.5.3.1.4.13", "1.2.250.1.213.1.1.3.48")


class DocumentStatus(StrEnum):
    """JDV_StatutDoc_CISIS (SNOMED CT): the status the letter declares."""

    IN_PROGRESS = "385651009"
    DONE = "398166005"
    APPROVED = "9571008"
    CLOSED = "29179001"


_STATUS_DISPLAY: Final = {
    DocumentStatus.IN_PROGRESS: "en cours d'exécution",
    DocumentStatus.DONE: "réalisé",
    DocumentStatus.APPROVED: "approuvé",
    DocumentStatus.CLOSED: "clôturé",
}


class ModaliteEntree:
    """JDV_ModaliteEntree_CISIS (``1.2.250.1.213.1.1.5.73``)."""

    URGENCE: Final = Code("183452005", SNOMED, "hospitalisation en urgence")
    PROGRAMMEE: Final = Code("8715000", SNOMED, "hospitalisation programmée")
    TRANSFERT: Final = Code("107724000", SNOMED, "transfert du patient")
    AUTRE: Final = Code("GEN-092.06.07", TA_ASIP, "Autre modalité d'entrée")


class ModaliteSortie:
    """JDV_ModaliteSortie_CISIS (``1.2.250.1.213.1.1.5.74``), most used values."""

    DOMICILE: Final = Code("160849004", SNOMED, "retour au domicile")
    HAD: Final = Code("127", "1.2.250.1.213.1.6.1.8", "Hospitalisation à Domicile")
    EHPAD: Final = Code("500", "1.2.250.1.213.1.6.1.8", "Etablissement d'hébergement pour personnes âgées dépendantes")
    AUTRE_ES: Final = Code("GEN-092.06.01", TA_ASIP, "Autre établissement de santé")
    AUTRE: Final = Code("GEN-092.06.03", TA_ASIP, "Autre destination")


class DischargeTreatment(InputModel):
    """One treatment at discharge (FR-Traitement entry + a table row)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    product: CodeLike
    """Drug code: CIS (``1.2.250.1.213.2.3.1``), ATC (``2.16.840.1.113883.6.73``)…"""
    name: str
    dose: str | None = None
    """Dose per intake as written for people (``1 comprimé``)."""
    dose_quantity: tuple[str, str] | None = None
    """``(value, UCUM unit)`` of one intake, e.g. ``("1", "{tbl}")``."""
    frequency: str | None = None
    period_days: int | None = None
    route: str | None = None
    start: date | None = None
    stop: date | None = None
    comment: str | None = None


class LdlSesContent(InputModel):
    """What the letter says (the header comes from :class:`~dmpclient.cda.inputs.DocumentHeaderInput`)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    status: DocumentStatus = DocumentStatus.DONE
    status_date: date | datetime
    reason: str = Field(min_length=1)
    """Motif de l'hospitalisation (free text)."""
    admission_date: date | datetime
    admission_mode: CodeLike = ModaliteEntree.PROGRAMMEE
    discharge_date: date | datetime
    discharge_mode: CodeLike = ModaliteSortie.DOMICILE
    synthesis: str = Field(min_length=1)
    """Synthèse médicale du séjour."""
    adverse_events: str | None = None
    mdro_search_done: bool = False
    """Recherche de micro-organismes multi-résistants ou émergents effectuée."""
    mdro_identified: str | None = None
    transfusion: bool = False
    transfusion_accidents: str | None = None
    blood_derivatives: bool = False
    blood_derivatives_adverse_events: str | None = None
    treatments: tuple[DischargeTreatment, ...] = ()
    pending_results: str | None = None
    """Résultats d'examens / autres informations attendus (narrative only)."""
    follow_up: tuple[str, ...] = ()
    """Suites à donner (narrative only)."""
    author: Author | None = None
    """Author of the synthesis entries (optional)."""


def _fr(d: date | datetime) -> str:
    return d.strftime("%d/%m/%Y")


def _yes_no(b: bool) -> str:
    return "Oui" if b else "Non"


def ldl_ses_body(content: LdlSesContent) -> StructuredBody:
    """The structured body of an LDL-SES letter (give it to :func:`~dmpclient.cda.build_n3`)."""
    c = content
    status_display = _STATUS_DISPLAY[c.status]
    status = Section(
        template_ids=("1.2.250.1.213.1.1.2.35", "1.2.250.1.213.1.1.2.35.1"),
        code=Code("33557-0", LOINC, "Etat d'achèvement"),
        title="Statut du document",
        narrative=(Table(rows=(("Statut du document", Content(status_display.capitalize(), "statutDoc")),)),),
        entries=(
            Observation(
                template_ids=(*_SIMPLE_OBS, "1.2.250.1.213.1.1.3.48.16", "1.2.250.1.213.1.1.3.48.16.1"),
                code=Code("GEN-065", TA_ASIP, "Statut du document"),
                value=CodedValue(Code(c.status.value, SNOMED, status_display)),
                effective_time=c.status_date,
                text_reference="statutDoc",
            ),
        ),
    )
    reason = Section(
        template_ids=("1.3.6.1.4.1.19376.1.5.3.1.3.1", "1.2.250.1.213.1.1.2.127"),
        code=Code("42349-1", LOINC, "Raison de la recommandation"),
        title="Motif de l'hospitalisation",
        narrative=(c.reason,),
        with_id=False,
    )
    rows: list[tuple[str, Content]] = [
        (
            "Modalité et date d'entrée en hospitalisation",
            Content(f"{_fr(c.admission_date)}, {c.admission_mode.display or c.admission_mode.code}", "modaliteE"),
        ),
        (
            "Modalité et date de sortie d'hospitalisation",
            Content(f"{_fr(c.discharge_date)}, {c.discharge_mode.display or c.discharge_mode.code}", "modaliteS"),
        ),
        ("Synthèse médicale", Content(c.synthesis, "synthese")),
    ]
    entries: list[Observation] = [
        Observation(
            (*_SIMPLE_OBS, "1.2.250.1.213.1.1.3.48.6"),
            Code("ORG-070", TA_ASIP, "Modalité d'entrée"),
            CodedValue(c.admission_mode, "CE"),
            c.admission_date,
            "modaliteE",
            author=c.author,
        ),
        Observation(
            (*_SIMPLE_OBS, "1.2.250.1.213.1.1.3.48.7"),
            Code("ORG-074", TA_ASIP, "Modalité de sortie"),
            CodedValue(c.discharge_mode, "CE"),
            c.discharge_date,
            "modaliteS",
        ),
        Observation(
            (*_SIMPLE_OBS, "1.2.250.1.213.1.1.3.48.9"),
            Code("MED-142", TA_ASIP, "Synthèse médicale"),
            TextValue(c.synthesis),
            c.discharge_date,
            "synthese",
            author=c.author,
        ),
    ]

    def optional_text(template: str, code: str, display: str, label: str, ref: str, text: str | None) -> None:
        if text:
            rows.append((label, Content(text, ref)))
            entries.append(
                Observation(
                    (*_SIMPLE_OBS, template), Code(code, TA_ASIP, display), TextValue(text), c.discharge_date, ref
                )
            )

    def flag(template: str, code: str, display: str, ref: str, value: bool) -> None:
        rows.append((display, Content(_yes_no(value), ref)))
        entries.append(
            Observation(
                (*_SIMPLE_OBS, template), Code(code, TA_ASIP, display), BooleanValue(value), c.discharge_date, ref
            )
        )

    optional_text(
        "1.2.250.1.213.1.1.3.48.3",
        "MED-143",
        "Evènements indésirables survenus pendant l'hospitalisation",
        "Evénements indésirables survenus pendant l'hospitalisation",
        "evtIndesirable",
        c.adverse_events,
    )
    flag(
        "1.2.250.1.213.1.1.3.48.8",
        "MED-309",
        "Recherche de microorganismes multi-résistants ou émergents effectuée",
        "rechercheBMR",
        c.mdro_search_done,
    )
    optional_text(
        "1.2.250.1.213.1.1.3.48.5",
        "MED-144",
        "Identification de micro-organismes multirésistants",
        "Identification de micro-organismes multirésistants",
        "identBMR",
        c.mdro_identified,
    )
    flag("1.2.250.1.213.1.1.3.48.10", "MED-145", "Transfusion de produits sanguins", "transfusion", c.transfusion)
    optional_text(
        "1.2.250.1.213.1.1.3.48.1",
        "MED-146",
        "Accidents transfusionnels",
        "Accidents transfusionnels",
        "accidentsTransfu",
        c.transfusion_accidents,
    )
    flag("1.2.250.1.213.1.1.3.48.2", "MED-147", "Administration de dérivés du sang", "derivesSang", c.blood_derivatives)
    optional_text(
        "1.2.250.1.213.1.1.3.48.4",
        "MED-148",
        "Evènements indésirables suite à l'administration de dérivés du sang",
        "Evènements indésirables suite à l'administration de dérivés du sang",
        "evtDerivesSang",
        c.blood_derivatives_adverse_events,
    )
    events = Section(
        template_ids=(
            "1.3.6.1.4.1.19376.1.5.3.1.1.21.2.9",
            "1.3.6.1.4.1.19376.1.7.3.1.1.13.7",
            "1.2.250.1.213.1.1.2.163",
            "1.2.250.1.213.1.1.2.163.1",
        ),
        code=Code("42545-4", LOINC, "Evènements observés"),
        title="Synthèse médicale du séjour",
        narrative=(Table(rows=tuple(rows)),),
        entries=tuple(entries),
    )
    treatment_rows = []
    treatment_entries = []
    for index, t in enumerate(c.treatments, start=1):
        ref = f"MED-{index:03d}"
        treatment_rows.append(
            (
                _fr(t.start) if t.start else "",
                _fr(t.stop) if t.stop else "",
                Content(t.name, ref),
                t.dose or "",
                t.frequency or "",
                t.route or "",
                t.comment or "",
            )
        )
        treatment_entries.append(
            MedicationEntry(
                product=t.product,
                name=t.name,
                text_reference=ref,
                start=t.start,
                stop=t.stop,
                dose=QuantityValue(*t.dose_quantity) if t.dose_quantity else None,
                period_days=t.period_days,
            )
        )
    if treatment_rows:
        narrative: tuple[Table | str, ...] = (
            Table(
                header=("Date de début", "Date de fin", "Médicament", "Dose", "Fréquence", "Voie", "Commentaire"),
                rows=tuple(treatment_rows),
            ),
        )
    else:
        narrative = ("Aucun traitement à la sortie.",)
    treatments = Section(
        template_ids=("1.3.6.1.4.1.19376.1.5.3.1.3.22", "1.2.250.1.213.1.1.2.146"),
        code=Code("10183-2", LOINC, "Traitements à la sortie"),
        title="Traitements à la sortie",
        narrative=narrative,
        entries=tuple(treatment_entries),
    )
    sections = [status, reason, events, treatments]
    if c.pending_results:
        sections.append(
            Section(
                template_ids=("1.3.6.1.4.1.19376.1.5.3.1.3.27", "1.2.250.1.213.1.1.2.150"),
                code=Code("30954-2", LOINC, "Résultats d'examens"),
                title="Résultats d'examens / Autres informations attendus",
                narrative=(c.pending_results,),
            )
        )
    if c.follow_up:
        sections.append(
            Section(
                template_ids=(
                    "2.16.840.1.113883.10.20.1.10",
                    "1.3.6.1.4.1.19376.1.5.3.1.3.36",
                    "1.2.250.1.213.1.1.2.158",
                ),
                code=Code("18776-5", LOINC, "Plan de soins"),
                title="Suites à donner",
                narrative=(ItemList(items=tuple(c.follow_up)),),
            )
        )
    return StructuredBody(
        template_ids=(LDL_SES_TEMPLATE_ID,),
        sections=tuple(sections),
        document_code=LDL_SES_CODE,
        model_name="LDL-SES",
    )

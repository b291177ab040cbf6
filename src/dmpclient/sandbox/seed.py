"""Seed data of the sandbox: the test patients of ``test-data.md`` and a realistic set of existing documents.

Everything here is **fictitious test data** published for DMP integration tests (GIE SESAM-Vitale test
set, CNDA test book), written as Python facts: INS, names, birth dates, sex and DMP state (``test-data.md``
§2, §3 and §7), the test professionals and structures of the official examples (§4), and document
metadata whose codes, titles and dates are taken from the official TD3.1 response (21 DocumentEntries of
PATB-QUATRE ``207058575627097``) — with our own uniqueIds and small N1 CDA contents generated with
:mod:`dmpclient.cda` (the package never needs ``../shared``).

Seeding is fast: the CDA contents are built once per process (about half a second) and cached; a fresh
in-memory sandbox per test only inserts rows. ``seed(store, profile="empty")`` loads nothing.

Patient states: ``none`` (no DMP, TD0.2 ``NF``), ``active``, ``closed`` (date and motif). Cases covered:
no DMP (CONTESTE), closed (FERMETURE, MAXIMOP « Je ne veux plus de DMP », PAT-FERM-*), opposition to
centre 15 (PAT-VUN-UN) and to centre 15 + bris de glace (PAT-VUN-DEUX), PS blocked (BLOCH → ``INTERDIT`` for
the configured professional), authorisation expired (EXPIRE → ``EXPIRE``), demonstration OID ``.11``
(DESMAUX), a NIA on ``.9`` (``109076322088835``, refused by the platform and the handlers), minors (TENERIFE
2021, PAT-VUN-DEUX 2016, URGENCE 2013, MELANGE SEBASTIEN 2011…), Corsican NIR (``188102B17295165``), a
deceased patient (Cas 15, our own INS), documents masked to professionals, INVISIBLE_PATIENT, archived,
deprecated by a replacement and with two metadata versions.
"""

from __future__ import annotations

import datetime as dt
import functools
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Final, Literal

from dmpclient.cda import (
    Author,
    DocumentHeaderInput,
    Encounter,
    InstanceId,
    LegalAuthenticator,
    Organization,
    Patient,
    Performer,
    Person,
    ServiceEvent,
    build_n1,
)
from dmpclient.cda.mapping import to_document_entry
from dmpclient.ids import IDNST_OID, INS, InsOid
from dmpclient.sandbox.store import (
    AuthorizationRecord,
    AuthorizationStatus,
    DmpState,
    EntryRecord,
    PatientRecord,
    ProfessionalRecord,
    SandboxStore,
    StatusChange,
    SubmissionSetRecord,
)
from dmpclient.terminology import INVISIBLE_PATIENT, MASQUE_PS, Code
from dmpclient.xds.constants import DMP_REPOSITORY_UNIQUE_ID
from dmpclient.xds.model import Association, AssociationType, DocumentEntry, SubmissionSet
from dmpclient.xds.model import Author as XdsAuthor
from dmpclient.xds.model import Organization as XdsOrganization
from dmpclient.xds.model import Person as XdsPerson

__all__ = [
    "DEFAULT_SEED_PROFESSIONAL",
    "SEED_DOCUMENTS",
    "SEED_PATIENTS",
    "SEED_PROFESSIONALS",
    "SEED_ROOT",
    "SEED_VACCINATIONS",
    "SeedDocument",
    "SeedPatient",
    "SeedProfessional",
    "SeedSummary",
    "seed",
    "seed_entry_uuid",
    "seed_unique_id",
]

#: OID arc of the seed's uniqueIds (test placeholder arc ``1.2.250.1.999``, like the official examples):
#: documents ``<root>.1.<n>``, lots ``<root>.2.<n>``, IPP domain ``<root>.3``.
SEED_ROOT: Final = "1.2.250.1.999.1.1.9900"
#: The professional the seed's authorisation cases are about (the test PKI's default: Dr Max LIBRE).
DEFAULT_SEED_PROFESSIONAL: Final = "899900063480"
_NS: Final = uuid.UUID("6f1c2b1e-5d0a-4d6e-9a51-2c0f3f9e8b10")
_UTC = dt.UTC
_LOINC: Final = "2.16.840.1.113883.6.1"
_TRE_A05: Final = "1.2.250.1.213.1.1.4.12"
_CIM10: Final = "2.16.840.1.113883.6.3"
_CCAM: Final = "1.2.250.1.213.2.5"
_SECTEUR: Final = "1.2.250.1.71.4.2.4"
_CADRE: Final = "1.2.250.1.213.1.1.4.9"
_SPECIALTY: Final = "1.2.250.1.213.1.1.4.5"
_CONTENT_TYPE: Final = Code("04", "1.2.250.1.213.2.2", "Hospitalisation de jour")


# -------------------------------------------------------------------------------------------- facts


@dataclass(frozen=True)
class SeedPatient:
    """A test patient as published (``test-data.md`` §2–§3), plus the sandbox flags of its case."""

    ins: str
    family: str
    given: tuple[str, ...]
    birth_date: dt.date
    sex: Literal["M", "F"]
    state: DmpState = DmpState.ACTIVE
    oid: InsOid = InsOid.TEST
    used_family: str | None = None
    used_given: str | None = None
    closed_on: dt.date | None = None
    close_reason: str | None = None
    deceased_on: dt.date | None = None
    opposition_bdg: bool = False
    opposition_c15: bool = False
    masked_in_emergency: bool = False
    ens_attached: bool = True
    usage: str = ""


def _p(
    ins: str, family: str, given: str, born: str, sex: Literal["M", "F"], state: str = "active", **kw: object
) -> SeedPatient:
    return SeedPatient(
        ins=ins,
        family=family,
        given=tuple(given.split("|")),
        birth_date=dt.date.fromisoformat(born),
        sex=sex,
        state=DmpState(state),
        **kw,  # type: ignore[arg-type]
    )


_CLOSED = "Fermeture à la demande du patient"

#: The seeded patients (INS on ``.10`` unless noted). ``none`` = no DMP (``non créé``), ``closed`` = ``fermé``.
SEED_PATIENTS: Final[tuple[SeedPatient, ...]] = (
    # test-data.md §2 — CNDA reference patients
    _p("153078987658513", "CONTESTE", "JEAN", "1953-07-24", "M", "none", usage="no DMP: TD0.2 NF"),
    _p("277076322082910", "NESSI", "RUTH|ISABELLE", "1977-07-14", "F", used_family="DE VINCI", usage="INSi test"),
    _p("255069999999934", "DESMAUX", "NATHALIE", "1955-06-15", "F", oid=InsOid.DEMONSTRATION, usage="demo OID .11"),
    _p("109076322088835", "PROVISOIRE", "MATRICULE", "2009-07-01", "M", oid=InsOid.NIA, usage="NIA: refused"),
    _p("199013417202273", "INSFAMILLEQUATRE", "JUMEAUDEUX", "1999-01-15", "M", "none"),
    _p("199013417202372", "INSFAMILLEQUATRE", "JUMEAUTROIS", "1999-01-15", "M"),
    _p("199013417202471", "INSFAMILLEQUATRE", "JUMEAUQUATRE", "1999-01-15", "M"),
    _p("199013417202174", "INSFAMILLEQUATRE", "JUMEAUUN", "1999-01-15", "M"),
    _p("167112622170459", "INSFAMILLEQUATRE", "ARTHUR", "1967-11-14", "M"),
    _p("207100486108281", "PETRA", "DIDIER", "2007-10-23", "M", usage="TD1.6, TD3.1, TD3.2"),
    _p("235061058692768", "ATTRIBUT", "MONIQUE", "1935-06-07", "F", usage="TD3.3 attribute changes"),
    _p("116095280720767", "ALOT", "CECILE", "1916-09-01", "F", usage="searches by date"),
    _p(
        "202096615708958",
        "MAXIMOP",
        "NADINE",
        "2002-09-18",
        "F",
        "closed",
        used_family="INSFAMILLEQUATRE",
        closed_on=dt.date(2023, 3, 1),
        close_reason="Je ne veux plus de DMP",
    ),
    # test-data.md §3 — conformité and DOCS rows
    _p("104016331311312", "DUCHAMPS", "PATRICIA", "1904-01-28", "F", usage="TD0.5"),
    _p("174062622110739", "INSFAMILLENEUF", "THIERRY", "1974-06-07", "M"),
    _p("103076322036972", "INSFAMILLENEUF", "LAURENT", "2003-07-06", "M", "none"),
    _p("173052622110178", "INSFAMILLEHUIT", "JEAN", "1973-05-07", "M"),
    _p("284049532614938", "MELANGE", "AURELIE", "1984-04-16", "F"),
    _p("192025226929462", "MELANGE", "BERTRAND", "1992-02-27", "M"),
    _p("111068647818424", "MELANGE", "SEBASTIEN", "2011-06-19", "M", usage="minor: INVISIBLE_REPRESENTANTS_LEGAUX"),
    _p("277093867564852", "TOME", "ZARAH", "1977-09-09", "F"),
    _p("101072B99900114", "INS-FAMILLE-ONZE", "CORSE", "2001-07-14", "M", "none", usage="Corsican NIR, no DMP"),
    _p("294096322025871", "INSFAMILLETROIS", "JEANNE", "1994-09-04", "F", "none"),
    _p("148026322000195", "ENS-GRUBER", "HANS", "1948-02-21", "M", usage="DMP attached to Mon espace santé"),
    _p("146026322000196", "ENS-GRUBER", "SIMON", "1946-02-21", "M", ens_attached=False),
    _p("211046322000147", "AIRTRIBUT", "PAULINE", "2011-04-24", "F", usage="AIR"),
    _p("109016322000249", "MEUHES", "ALI", "2009-01-29", "M", usage="AIR"),
    _p("111126322000725", "PARHASARD", "GASPARD", "2011-12-11", "M"),
    _p("155076322000225", "BON", "JEAN", "1955-07-14", "M", usage="vaccination record (CVA)"),
    _p(
        "270108604926542",
        "FERMETURE",
        "FLORENCE",
        "1970-10-12",
        "F",
        "closed",
        closed_on=dt.date(2022, 5, 2),
        close_reason=_CLOSED,
    ),
    _p("265025544371476", "AUTORISEPAS", "HELENE", "1965-02-26", "F", usage="no authorisation"),
    _p("148115530271002", "DUPRE", "CORINNE", "1948-11-09", "F", usage="TD0.2, 2.1, 2.2, 3.2, 3.3"),
    _p("157069329642881", "ENCHAINE", "IRENE", "1957-06-28", "F", usage="authorisations"),
    _p("213102288044517", "URGENCE", "CLARENCE", "2013-10-16", "M", usage="bris de glace"),
    _p("138080427231017", "BLOCH", "DIDER", "1938-08-23", "M", usage="PS blocked: INTERDIT"),
    _p("241030750595179", "EXPIRE", "ELVIRE", "1941-03-01", "F", usage="authorisation expired"),
    _p("287080883795737", "HALL", "ANNIE", "1987-08-20", "F", usage="feed, replace, delete"),
    _p("178101062506892", "RECHERCHE", "MARJORIE", "1978-10-23", "F", usage="consultation"),
    _p("121096322009479", "TENERIFE", "JUAN", "2021-09-19", "M", usage="minor"),
    _p("134076322009786", "CURIE", "MARIE", "1934-07-04", "F", usage="imaging"),
    _p("283084121661677", "PATB-UN", "CHRISTIAN", "1983-08-02", "M"),
    _p("184119313757269", "PAT-VINGT", "OLIVIER", "1984-11-17", "M"),
    # test-data.md §3 — jeu d'essai
    _p("207058575627097", "PATB-QUATRE", "LAURENCE", "1907-05-25", "F", usage="21 documents of the official TD3.1"),
    _p("259034974395339", "PATB-CINQ", "THIERRY", "1959-03-10", "M"),
    _p("278018476906186", "PATB-SIX", "BRIGITTE", "1978-01-30", "F"),
    _p("227023187597832", "PATB-SEPT", "FREDERIC", "1927-02-04", "M"),
    _p("279035121518989", "PAT-TROIS", "DOMINIQUE|MARIE-LOUISE", "1979-03-28", "F", usage="empty DMP (demo)"),
    _p("133061764035249", "PAT-QUATRE", "ISABELLE", "1933-06-07", "F"),
    _p("109119319795014", "PAT-CINQ", "MICHEL", "1909-11-27", "M"),
    _p("162018885045327", "PAT-SIX", "ALAIN", "1962-01-13", "M"),
    _p("229032857590484", "PAT-SEPT", "PIERRE", "1929-03-30", "M"),
    _p("274075176079430", "PAT-HUIT", "FRANCOISE", "1974-07-02", "F"),
    _p("188102B17295165", "CORSE", "FIGATELLIX", "1988-10-12", "M", usage="Corsican NIR (2B)"),
    _p(
        "228111439061774",
        "PAT-ONZE",
        "PATRICK",
        "1928-11-06",
        "M",
        "closed",
        closed_on=dt.date(2021, 1, 4),
        close_reason=_CLOSED,
    ),
    _p(
        "260093022011258",
        "PAT-FERM-UN",
        "MICHELINE",
        "1960-09-11",
        "F",
        "closed",
        closed_on=dt.date(2022, 9, 1),
        close_reason=_CLOSED,
    ),
    _p(
        "175113022011383",
        "PAT-FERM-DEUX",
        "THOMAS",
        "1975-11-11",
        "M",
        "closed",
        closed_on=dt.date(2022, 9, 1),
        close_reason=_CLOSED,
    ),
    _p(
        "194063022011441",
        "PAT-FERM-TROIS",
        "NALA",
        "1994-06-24",
        "F",
        "closed",
        closed_on=dt.date(2022, 9, 1),
        close_reason=_CLOSED,
    ),
    _p(
        "199033022011538",
        "PAT-VUN-UN",
        "NEO",
        "1999-03-31",
        "M",
        used_family="USUEL-VUN-UN",
        opposition_c15=True,
        usage="opposed to centre 15",
    ),
    _p(
        "116083022011613",
        "PAT-VUN-DEUX",
        "ADAM",
        "2016-08-23",
        "M",
        used_family="JENSEN",
        opposition_c15=True,
        opposition_bdg=True,
        usage="opposed to centre 15 and bris de glace",
    ),
    _p(
        "211066322074514",
        "PATB-TROIS",
        "SOPHIE",
        "2011-06-07",
        "F",
        masked_in_emergency=True,
        usage="masked documents readable in emergency",
    ),
    _p("107103022020113", "PAT-EXPPAT", "GERALT", "2007-10-26", "M", masked_in_emergency=True),
    _p("289083022020283", "PAT-VAC", "SAMUS", "1989-08-06", "F"),
    _p("173082622170111", "INS-FAMILLE-UN", "JEAN-MICHEL", "1973-08-07", "M"),
    _p("275043413723745", "CONJOINTE", "ROSEANNE", "1975-04-04", "F", "none"),
    _p("215023022010722", "PAT-PLUSSEPT", "LEA", "2015-02-13", "F", "none"),
    # a deceased patient (CNDA Cas 15: INS given by the CNDA only; ours, with a valid key) [I]
    _p(
        "249127512345656",
        "DECEDE",
        "GERMAINE",
        "1949-12-01",
        "F",
        deceased_on=dt.date(2025, 2, 14),
        usage="deceased (Cas 15)",
    ),
)


@dataclass(frozen=True)
class SeedProfessional:
    """A test professional and the structure they act for in the seeded documents."""

    id: str
    family: str
    given: str
    specialty: str
    specialty_display: str
    structure_id: str
    structure_name: str
    secteur: tuple[str, str]
    cadre: tuple[str, str]


SEED_PROFESSIONALS: Final[dict[str, SeedProfessional]] = {
    "libre": SeedProfessional(
        "899900063480",
        "LIBRE",
        "MAX",
        "G15_10/SM26",
        "Médecin - Qualifié en Médecine Générale (SM)",
        "499900063480001",
        "CABINET DR LIBRE",
        ("SA07", "Cabinet individuel"),
        ("AMBULATOIRE", "Ambulatoire"),
    ),
    "kit": SeedProfessional(
        "899900063480",
        "Kit",
        "Editeur",
        "G15_10/SM04",
        "Médecin - Anatomie et cytologie pathologiques (SM)",
        "10B0127189",
        "HOPITAL DES 3 VALLEES00771",
        ("SA01", "Etablissement public de santé"),
        ("ETABLISSEMENT", "Etablissement de santé"),
    ),
    "machepro": SeedProfessional(
        "899900062490",
        "MACHEPRO",
        "ULYSSE",
        "G15_10/SM26",
        "Médecin - Qualifié en Médecine Générale (SM)",
        "10B0041968",
        "ETABLISEMENT DE SANTE DE TEST 2013",
        ("SA01", "Etablissement public de santé"),
        ("ETABLISSEMENT", "Etablissement de santé"),
    ),
    "chugene": SeedProfessional(
        "30B0041968/XXX123",
        "CHU-GENE",
        "ALAIN",
        "G15_10/SM26",
        "Médecin - Qualifié en Médecine Générale (SM)",
        "10B0041968",
        "ETABLISEMENT DE SANTE DE TEST 2013",
        ("SA01", "Etablissement public de santé"),
        ("ETABLISSEMENT", "Etablissement de santé"),
    ),
}


@dataclass(frozen=True)
class SeedDocument:
    """Metadata facts of one seeded document (one CDA, possibly several metadata versions).

    Attributes:
        key: stable key (uniqueId ``SEED_ROOT.1.<n>`` and entryUUIDs derive from it).
        patient: the patient's matricule.
        author / legal: keys of :data:`SEED_PROFESSIONALS`.
        type_code: (code, system, display).
        facility / practice: healthcareFacilityTypeCode / practiceSettingCode (code, display).
        confidentiality: extra codes of the **current** version (after ``N``).
        history: extra codes of earlier metadata versions, oldest first (each one a Deprecated version).
        status: ``approved``, ``archived``, ``deprecated`` (replaced by :attr:`replaced_by`) or ``deleted``.
        replaces: key of the document this one replaces (RPLC).
        body: ``text`` or ``pdf`` (the N1 body, which decides the formatCode).
    """

    key: str
    n: int
    patient: str
    author: str
    legal: str
    type_code: tuple[str, str, str]
    title: str
    created: dt.datetime
    service_start: dt.datetime
    service_stop: dt.datetime
    facility: tuple[str, str]
    practice: tuple[str, str]
    events: tuple[tuple[str, str, str], ...] = ()
    confidentiality: tuple[str, ...] = ()
    history: tuple[tuple[str, ...], ...] = ()
    status: Literal["approved", "archived", "deprecated", "deleted"] = "approved"
    replaces: str | None = None
    comments: str | None = None
    body: Literal["text", "pdf"] = "text"
    submitted: dt.datetime | None = None


def _t(text: str) -> dt.datetime:
    return dt.datetime.strptime(text, "%Y%m%d%H%M%S").replace(tzinfo=_UTC)


def _q(
    n: int,
    type_code: tuple[str, str, str],
    created: str,
    start: str,
    stop: str,
    facility: tuple[str, str],
    practice: tuple[str, str],
    event: tuple[str, str, str] | None,
    *,
    invisible: bool = False,
    body: Literal["text", "pdf"] = "text",
) -> SeedDocument:
    """One of the documents of the official TD3.1 response (codes, titles and dates as facts)."""
    return SeedDocument(
        key=f"patb4-{n}",
        n=n,
        patient="207058575627097",
        author="machepro",
        legal="chugene",
        type_code=type_code,
        title=f"document {n}",
        created=_t(created),
        service_start=_t(start),
        service_stop=_t(stop),
        facility=facility,
        practice=practice,
        events=(event,) if event else (),
        confidentiality=("INVISIBLE_PATIENT",) if invisible else (),
        comments=f"document {n}  - ici le commentaire",
        body=body,
    )


_ETAB = ("ETABLISSEMENT", "Etablissement de santé")
_AMBU = ("AMBULATOIRE", "Ambulatoire")
_CABINET = ("SA07", "Cabinet individuel")
_SA01 = ("SA01", "Etablissement public de santé")
_CR_CONSULT = ("11488-4", _LOINC, "CR ou fiche de consultation ou de visite")

#: The seeded documents.
SEED_DOCUMENTS: Final[tuple[SeedDocument, ...]] = (
    # PATB-QUATRE — the official TD3.1 response (2 by "Kit Editeur", 19 by MACHEPRO)
    *(
        SeedDocument(
            key=f"patb4-kit-{i}",
            n=90 + i,
            patient="207058575627097",
            author="kit",
            legal="chugene",
            type_code=("27899-4", _LOINC, "CR d'acte diagnostique (autre)"),
            title="Titre du document de TEST KIT EDITEUR CSharp",
            created=_t("20100319183244"),
            service_start=_t("20100319183244"),
            service_stop=_t("20100319183244"),
            facility=_SA01,
            practice=_ETAB,
            events=(("H33", _CIM10, "Décollement et déchirement de la rétine"),),
            confidentiality=("INVISIBLE_PATIENT",),
            comments="commentaire du document de TEST KIT EDITEUR CSharp",
        )
        for i in (1, 2)
    ),
    _q(
        24,
        ("52040-3", _LOINC, "Document encapsulant une image d'illustration non DICOM"),
        "20100320150000",
        "20100319183244",
        "20100319183244",
        ("SA24", "Organisme de sécurité sociale"),
        ("SAMU_SMUR", "SAMU/SMUR"),
        ("AHPA018", _CCAM, "Section de nerf spinal superficiel avec déroutement, par abord direct"),
    ),
    _q(
        25,
        ("29551-9", _LOINC, "Prescription de médicaments"),
        "20100321170000",
        "20100319183244",
        "20100320123000",
        ("SA25", "Laboratoire de biologie médicale"),
        _AMBU,
        ("BJQP005", _CCAM, "Vidéonystagmoscopie"),
    ),
    _q(
        26,
        ("52521-2", _LOINC, "Prescription de soins"),
        "20100320020000",
        "20100319183245",
        "20100420123000",
        ("SA26", "Ministère ou Service déconcentré"),
        ("DEPISTAGE", "Dépistage"),
        ("BDQP004", _CCAM, "Microscopie spéculaire de la cornée"),
    ),
    _q(
        28,
        ("29550-1", _LOINC, "Dispensation médicamenteuse"),
        "20100103083000",
        "20100101081542",
        "20100101123000",
        ("SA28", "Association ou organisme humanitaire"),
        ("SAD", "Soins à domicile"),
        ("BAFA018", _CCAM, "Résection cutanée suprasourcilière unilatérale"),
        invisible=True,
    ),
    _q(
        30,
        ("18776-5", _LOINC, "Plan personnalisé de soins"),
        "20100319220000",
        "20100319183244",
        "20100319183244",
        ("SA30", "Autre établissement sanitaire"),
        _ETAB,
        ("BDEA002", _CCAM, "Épikératophakie"),
    ),
    _q(
        31,
        ("PROT_ALD", _TRE_A05, "Protocole de soins ALD"),
        "20100319230000",
        "20100319183244",
        "20100319183244",
        ("SA31", "Répartition et Distribution de médicaments et dispositifs médicaux"),
        ("PALLIATIF", "Soins palliatifs"),
        ("CDRP001", _CCAM, "Électrostimulation des acouphènes"),
    ),
    _q(
        29,
        ("DISP_AUT", _TRE_A05, "Dispensation (autre)"),
        "20100321170000",
        "20100319183244",
        "20100319183244",
        ("SA29", "Laboratoire d'analyses et de biologie médicale"),
        ("HAD", "Hospitalisation à domicile"),
        ("BBLD003", _CCAM, "Sondage des voies lacrymales"),
    ),
    _q(
        33,
        _CR_CONSULT,
        "20100320010000",
        "20100319183244",
        "20100320123000",
        ("SA33", "Pharmacie d'officine"),
        _AMBU,
        ("DKRP004", _CCAM, "Épreuve d'effort sur tapis roulant ou bicyclette ergométrique"),
    ),
    _q(
        34,
        ("11506-3", _LOINC, "CR ou fiche de suivi de soins par auxiliaire médical"),
        "20100320020000",
        "20100319183245",
        "20100420123000",
        ("SA34", "Centre de dialyse"),
        ("DEPISTAGE", "Dépistage"),
        ("DEKA001", _CCAM, "Changement d'un générateur de stimulation cardiaque implantable"),
    ),
    _q(
        32,
        ("CERT_DECL", _TRE_A05, "Certificat, déclaration"),
        "20100320000000",
        "20100319183244",
        "20100319183244",
        ("SA32", "Fabrication, Exploitation et Importation de médicaments et dispositifs médicaux"),
        ("SAMU_SMUR", "SAMU/SMUR"),
        None,
    ),
    _q(
        35,
        ("11493-4", _LOINC, "CR hospitalier (séjour)"),
        "20090319223246",
        "20090319183246",
        "20090420123000",
        ("SA35", "Para-pharmacie"),
        ("MAD", "Maintien à domicile"),
        ("DGKA027", _CCAM, "Remplacement de l'aorte thoracique descendante pour rupture d'anévrisme"),
    ),
    _q(
        21,
        ("29554-3", _LOINC, "CR d'acte thérapeutique à visée préventive"),
        "20100104083000",
        "20100101081542",
        "20100101123000",
        ("SA21", "Etablissement d'hébergement et de réadaptation"),
        ("HAD", "Hospitalisation à domicile"),
        ("AZQP001", _CCAM, "Actimétrie de longue durée"),
    ),
    _q(
        22,
        ("SYNTH", _TRE_A05, "Synthèse"),
        "20100320120000",
        "20100319183244",
        "20100319183244",
        ("SA22", "Recherche"),
        _ETAB,
        ("ACFA004", _CCAM, "Exérèse de tumeur du clivus, par craniotomie"),
        body="pdf",
    ),
    _q(
        23,
        ("34133-9", _LOINC, "Synthèse d'épisode de soins"),
        "20100320140000",
        "20100319183244",
        "20100319183244",
        ("SA23", "Assurance privée"),
        ("PALLIATIF", "Soins palliatifs"),
        ("ADNH002", _CCAM, "tidou"),
    ),
    _q(
        38,
        ("15507-7", _LOINC, "CR de passage aux urgences"),
        "20100320100000",
        "20100319183244",
        "20100319183244",
        ("SA38", "Pharmacie minière"),
        _ETAB,
        ("HHFE006", _CCAM, "Séance de mucosectomie rectocolique, par endoscopie"),
    ),
    _q(
        36,
        ("11490-0", _LOINC, "Lettre de liaison à la sortie d'un établissement de soins"),
        "20100320060000",
        "20100101081542",
        "20100101123000",
        ("SA36", "Centre anti-cancer"),
        ("SAD", "Soins à domicile"),
        ("EBCA007", _CCAM, "Suture de plaie de l'artère carotide interne extracrânienne, par cervicotomie"),
        body="pdf",
    ),
    _q(
        37,
        ("46241-6", _LOINC, "CR d'admission"),
        "20100320080000",
        "20100319183244",
        "20100319183244",
        ("SA37", "Centre de transfusion sanguine"),
        ("HAD", "Hospitalisation à domicile"),
        ("BACA005", _CCAM, "Suture d'une plaie cutanée d'une paupière, avec atteinte du bord libre"),
    ),
    _q(
        39,
        ("11502-2", _LOINC, "CR d'examens biologiques"),
        "20100320120000",
        "20100319183244",
        "20100319183244",
        ("SA29", "Laboratoire d'analyses et de biologie médicale"),
        _AMBU,
        ("18719-5", _LOINC, "Biochimie"),
    ),
    _q(
        40,
        ("11526-1", _LOINC, "CR d'anatomie et de cytologie pathologiques"),
        "20100320140000",
        "20100319183244",
        "20100319183244",
        ("SA02", "Hôpital militaire du Service de santé des armées"),
        ("SAMU_SMUR", "SAMU/SMUR"),
        ("QAPA001", _CCAM, "Section de bride congénitale médiane du cou, avec plastie"),
    ),
    # PATB-QUATRE — the states the official example does not show
    SeedDocument(
        "patb4-masked",
        101,
        "207058575627097",
        "machepro",
        "machepro",
        _CR_CONSULT,
        "CR de consultation masqué aux professionnels",
        _t("20230612090000"),
        _t("20230612083000"),
        _t("20230612085000"),
        _SA01,
        _ETAB,
        confidentiality=("MASQUE_PS",),
    ),
    SeedDocument(
        "patb4-archived",
        102,
        "207058575627097",
        "libre",
        "libre",
        _CR_CONSULT,
        "CR de consultation archivé",
        _t("20220105100000"),
        _t("20220105093000"),
        _t("20220105095000"),
        _CABINET,
        _AMBU,
        status="archived",
    ),
    SeedDocument(
        "patb4-v1",
        103,
        "207058575627097",
        "libre",
        "libre",
        _CR_CONSULT,
        "CR de consultation (version 1)",
        _t("20240301100000"),
        _t("20240301093000"),
        _t("20240301095000"),
        _CABINET,
        _AMBU,
        status="deprecated",
    ),
    SeedDocument(
        "patb4-v2",
        104,
        "207058575627097",
        "libre",
        "libre",
        _CR_CONSULT,
        "CR de consultation (version 2, remplace la version 1)",
        _t("20240302100000"),
        _t("20240301093000"),
        _t("20240301095000"),
        _CABINET,
        _AMBU,
        replaces="patb4-v1",
    ),
    SeedDocument(
        "patb4-unmasked",
        105,
        "207058575627097",
        "libre",
        "libre",
        ("11490-0", _LOINC, "Lettre de liaison à la sortie d'un établissement de soins"),
        "Lettre de liaison démasquée",
        _t("20240410120000"),
        _t("20240408080000"),
        _t("20240410110000"),
        _CABINET,
        _AMBU,
        history=(("MASQUE_PS",),),
        body="pdf",
    ),
    # other patients
    *(
        SeedDocument(
            f"petra-{i}",
            110 + i,
            "207100486108281",
            "libre",
            "libre",
            _CR_CONSULT,
            f"CR de consultation {day}",
            _t(f"{day}100000"),
            _t(f"{day}093000"),
            _t(f"{day}095000"),
            _CABINET,
            _AMBU,
        )
        for i, day in enumerate(("20220114", "20230921", "20250603"), start=1)
    ),
    SeedDocument(
        "attribut-1",
        120,
        "235061058692768",
        "libre",
        "libre",
        _CR_CONSULT,
        "CR de consultation",
        _t("20240115100000"),
        _t("20240115093000"),
        _t("20240115095000"),
        _CABINET,
        _AMBU,
    ),
    SeedDocument(
        "attribut-masked",
        121,
        "235061058692768",
        "libre",
        "libre",
        _CR_CONSULT,
        "CR de consultation masqué",
        _t("20240116100000"),
        _t("20240116093000"),
        _t("20240116095000"),
        _CABINET,
        _AMBU,
        confidentiality=("MASQUE_PS",),
    ),
    SeedDocument(
        "attribut-invisible",
        122,
        "235061058692768",
        "libre",
        "libre",
        _CR_CONSULT,
        "CR de consultation invisible au patient",
        _t("20240117100000"),
        _t("20240117093000"),
        _t("20240117095000"),
        _CABINET,
        _AMBU,
        confidentiality=("INVISIBLE_PATIENT",),
    ),
    SeedDocument(
        "attribut-other",
        123,
        "235061058692768",
        "machepro",
        "machepro",
        _CR_CONSULT,
        "CR de consultation d'un autre auteur",
        _t("20240118100000"),
        _t("20240118093000"),
        _t("20240118095000"),
        _SA01,
        _ETAB,
    ),
    SeedDocument(
        "dupre-1",
        130,
        "148115530271002",
        "libre",
        "libre",
        _CR_CONSULT,
        "CR de consultation",
        _t("20240520100000"),
        _t("20240520093000"),
        _t("20240520095000"),
        _CABINET,
        _AMBU,
    ),
    SeedDocument(
        "dupre-2",
        131,
        "148115530271002",
        "machepro",
        "machepro",
        ("11490-0", _LOINC, "Lettre de liaison à la sortie d'un établissement de soins"),
        "Lettre de liaison",
        _t("20240601160000"),
        _t("20240525080000"),
        _t("20240601150000"),
        _SA01,
        _ETAB,
        body="pdf",
    ),
    SeedDocument(
        "hall-1",
        140,
        "287080883795737",
        "libre",
        "libre",
        _CR_CONSULT,
        "CR de consultation à remplacer",
        _t("20250110100000"),
        _t("20250110093000"),
        _t("20250110095000"),
        _CABINET,
        _AMBU,
    ),
    SeedDocument(
        "hall-2",
        141,
        "287080883795737",
        "libre",
        "libre",
        _CR_CONSULT,
        "CR de consultation à supprimer",
        _t("20250111100000"),
        _t("20250111093000"),
        _t("20250111095000"),
        _CABINET,
        _AMBU,
    ),
    SeedDocument(
        "hall-other",
        142,
        "287080883795737",
        "machepro",
        "machepro",
        _CR_CONSULT,
        "CR de consultation d'un autre auteur",
        _t("20250112100000"),
        _t("20250112093000"),
        _t("20250112095000"),
        _SA01,
        _ETAB,
    ),
    *(
        SeedDocument(
            f"recherche-{i}",
            150 + i,
            "178101062506892",
            author,
            author,
            type_code,
            title,
            _t(f"{day}100000"),
            _t(f"{day}093000"),
            _t(f"{day}095000"),
            facility,
            practice,
            body="pdf" if body == "pdf" else "text",
        )
        for i, (author, type_code, title, day, facility, practice, body) in enumerate(
            (
                ("libre", _CR_CONSULT, "CR de consultation", "20231003", _CABINET, _AMBU, "text"),
                (
                    "machepro",
                    ("11502-2", _LOINC, "CR d'examens biologiques"),
                    "CR de biologie",
                    "20231105",
                    _SA01,
                    _ETAB,
                    "pdf",
                ),
                (
                    "machepro",
                    ("11490-0", _LOINC, "Lettre de liaison à la sortie d'un établissement de soins"),
                    "Lettre de liaison",
                    "20240212",
                    _SA01,
                    _ETAB,
                    "pdf",
                ),
            ),
            start=1,
        )
    ),
    *(
        SeedDocument(
            f"alot-{i}",
            160 + i,
            "116095280720767",
            "libre",
            "libre",
            _CR_CONSULT,
            f"CR de consultation du {day[6:]}/{day[4:6]}/{day[:4]}",
            _t(f"{day}100000"),
            _t(f"{day}093000"),
            _t(f"{day}095000"),
            _CABINET,
            _AMBU,
        )
        for i, day in enumerate(("20150302", "20190715", "20221130", "20250508"), start=1)
    ),
    SeedDocument(
        "urgence-1",
        170,
        "213102288044517",
        "libre",
        "libre",
        _CR_CONSULT,
        "CR de consultation",
        _t("20240903100000"),
        _t("20240903093000"),
        _t("20240903095000"),
        _CABINET,
        _AMBU,
    ),
    SeedDocument(
        "urgence-masked",
        171,
        "213102288044517",
        "machepro",
        "machepro",
        _CR_CONSULT,
        "CR de consultation masqué",
        _t("20240904100000"),
        _t("20240904093000"),
        _t("20240904095000"),
        _SA01,
        _ETAB,
        confidentiality=("MASQUE_PS",),
    ),
    SeedDocument(
        "patb3-masked",
        175,
        "211066322074514",
        "machepro",
        "machepro",
        _CR_CONSULT,
        "CR de consultation masqué (lisible en urgence)",
        _t("20240905100000"),
        _t("20240905093000"),
        _t("20240905095000"),
        _SA01,
        _ETAB,
        confidentiality=("MASQUE_PS",),
    ),
    SeedDocument(
        "vun2-masked",
        176,
        "116083022011613",
        "machepro",
        "machepro",
        _CR_CONSULT,
        "CR de consultation masqué",
        _t("20240906100000"),
        _t("20240906093000"),
        _t("20240906095000"),
        _SA01,
        _ETAB,
        confidentiality=("MASQUE_PS",),
    ),
    SeedDocument(
        "desmaux-1",
        180,
        "255069999999934",
        "machepro",
        "machepro",
        _CR_CONSULT,
        "CR de consultation",
        _t("20240320100000"),
        _t("20240320093000"),
        _t("20240320095000"),
        _SA01,
        _ETAB,
    ),
    SeedDocument(
        "tome-1",
        185,
        "277093867564852",
        "machepro",
        "machepro",
        _CR_CONSULT,
        "CR de consultation",
        _t("20240420100000"),
        _t("20240420093000"),
        _t("20240420095000"),
        _SA01,
        _ETAB,
    ),
    SeedDocument(
        "deces-1",
        190,
        "249127512345656",
        "machepro",
        "machepro",
        _CR_CONSULT,
        "CR de consultation",
        _t("20250110100000"),
        _t("20250110093000"),
        _t("20250110095000"),
        _SA01,
        _ETAB,
    ),
)

#: Vaccinations already in the complete vaccination record (CVA) of BON Jean: (matricule, CIS code, date).
SEED_VACCINATIONS: Final[tuple[tuple[str, str, str], ...]] = (
    ("155076322000225", "68747507", "20090928"),
    ("155076322000225", "60139327", "20190415"),
    ("289083022020283", "68747507", "20200110"),
)


# ---------------------------------------------------------------------------------------- building


def seed_unique_id(key: str) -> str:
    """The uniqueId of a seeded document."""
    return f"{SEED_ROOT}.1.{_BY_KEY[key].n}"


def seed_entry_uuid(key: str, version: int = 1) -> str:
    """The (deterministic) entryUUID of a metadata version of a seeded document."""
    return f"urn:uuid:{uuid.uuid5(_NS, f'{key}#v{version}')}"


_BY_KEY: Final = {d.key: d for d in SEED_DOCUMENTS}
_BY_INS: Final = {p.ins: p for p in SEED_PATIENTS}


def _xds_person(p: SeedProfessional) -> XdsPerson:
    return XdsPerson.dmp(p.id, p.family, p.given)


def _cda_person(p: SeedProfessional) -> Person:
    return Person(
        idnat=p.id,
        family_name=p.family,
        given_name=p.given,
        specialty=Code(p.specialty, _SPECIALTY, p.specialty_display),
    )


def _cda_org(p: SeedProfessional) -> Organization:
    return Organization(idnat=p.structure_id, name=p.structure_name)


def _cda_patient(sp: SeedPatient) -> Patient:
    return Patient(
        ins=INS.parse(sp.ins, sp.oid).to_cx(),
        birth_family_name=sp.family,
        birth_given_names=sp.given,
        used_family_name=sp.used_family,
        used_given_name=sp.used_given,
        sex=sp.sex,
        birth_date=sp.birth_date,
        ipp=InstanceId(root=f"{SEED_ROOT}.3", extension=f"IPP{sp.ins[-6:]}"),
    )


def _pdf_body(title: str) -> bytes:
    from dmpclient.cda import make_sample_pdf

    return make_sample_pdf((title, "Document de test du bac a sable dmpclient."), title=title)


@dataclass(frozen=True)
class _Built:
    data: bytes
    entry: DocumentEntry


@functools.cache
def _built(key: str) -> _Built:
    """Build (once per process) the CDA of a seeded document and its DocumentEntry (current version)."""
    d = _BY_KEY[key]
    author = SEED_PROFESSIONALS[d.author]
    legal = SEED_PROFESSIONALS[d.legal]
    patient = _BY_INS[d.patient]
    org = _cda_org(author)
    person = _cda_person(author)
    type_code = Code(d.type_code[0], d.type_code[1], d.type_code[2])
    replaced = _BY_KEY[d.replaces] if d.replaces else None
    header = DocumentHeaderInput(
        type_code=type_code,
        title=d.title,
        patient=_cda_patient(patient),
        authors=(Author(person=person, time=d.created, organization=org),),
        custodian=org,
        legal_authenticator=LegalAuthenticator(person=_cda_person(legal), time=d.created),
        service_event=ServiceEvent(
            performer=Performer(
                person=person, organization=org, cadre_exercice=Code(d.practice[0], _CADRE, d.practice[1])
            ),
            start=d.service_start,
            stop=d.service_stop,
        ),
        encounter=Encounter(
            facility_code=Code(d.facility[0], _SECTEUR, d.facility[1]),
            start=d.service_start,
            facility_id=InstanceId(root=IDNST_OID, extension=author.structure_id),
        ),
        unique_id=seed_unique_id(key),
        effective_time=d.created,
        set_id=f"{SEED_ROOT}.4.{replaced.n if replaced else d.n}",
        version=2 if replaced else 1,
        replaces=seed_unique_id(replaced.key) if replaced else None,
    )
    if d.body == "pdf":
        built = build_n1(header, _pdf_body(d.title), media_type="application/pdf")
    else:
        text = f"{d.title}\n\nDocument de test du bac à sable dmpclient ({d.key}).\n"
        built = build_n1(header, text.encode("utf-8"), media_type="text/plain")
    data = built.read_bytes()
    extras = tuple(_CONF[c] for c in d.confidentiality)
    entry = to_document_entry(
        built.header, confidentiality_extra=extras, hash=built.sha1, size=built.size, comments=d.comments
    )
    entry = entry.replace_fields(
        event_codes=tuple(Code(c, s, n) for c, s, n in d.events),
        repository_unique_id=DMP_REPOSITORY_UNIQUE_ID,
        authors=tuple(
            XdsAuthor(
                person=_xds_person(author),
                institutions=(XdsOrganization.dmp(author.structure_name, author.structure_id),),
                specialties=(Code(author.specialty, _SPECIALTY, author.specialty_display),),
            )
            for _ in (0,)
        ),
        legal_authenticator=_xds_person(legal),
    )
    return _Built(data, entry)


_CONF: Final = {"MASQUE_PS": MASQUE_PS, "INVISIBLE_PATIENT": INVISIBLE_PATIENT}
_STATUS: Final = {
    "approved": "urn:oasis:names:tc:ebxml-regrep:StatusType:Approved",
    "archived": "urn:asip:ci-sis:2010:StatusType:Archived",
    "deprecated": "urn:oasis:names:tc:ebxml-regrep:StatusType:Deprecated",
    "deleted": "urn:asip:ci-sis:2010:StatusType:Deleted",
}


def _seed_lot(d: SeedDocument, patient_id: int, ins: INS, version: int) -> SubmissionSetRecord:
    author = SEED_PROFESSIONALS[d.author]
    when = d.submitted or d.created + dt.timedelta(hours=1)
    when += dt.timedelta(minutes=version - 1)
    unique_id = f"{SEED_ROOT}.2.{d.n}.{version}"
    ss = SubmissionSet(
        entry_uuid=f"urn:uuid:{uuid.uuid5(_NS, f'{d.key}#lot{version}')}",
        unique_id=unique_id,
        source_id=SEED_ROOT,
        submission_time=when,
        content_type_code=_CONTENT_TYPE,
        authors=(
            XdsAuthor(
                person=_xds_person(author),
                institutions=(XdsOrganization.dmp(author.structure_name, author.structure_id),),
            ),
        ),
        patient_id=ins.to_cx(),
        availability_status=_STATUS["approved"],
    )
    return SubmissionSetRecord(
        ss.entry_uuid or "", unique_id, patient_id, when, ss, caller_id=author.id, transaction="seed", created_at=when
    )


# ------------------------------------------------------------------------------------------- seeding


@dataclass(frozen=True)
class SeedSummary:
    """What :func:`seed` loaded."""

    profile: str
    patients: int = 0
    documents: int = 0
    entries: int = 0
    authorizations: int = 0
    professional_id: str | None = None
    keys: tuple[str, ...] = field(default=())


def _authorizations(professional_id: str) -> list[tuple[str, str, AuthorizationStatus, bool, str | None]]:
    """(matricule, professional, status, MT, structure) rows of the seed (the configured professional's cases win
    over the other professionals' rows)."""
    libre = SEED_PROFESSIONALS["libre"]
    other = SEED_PROFESSIONALS["machepro"]
    rows: dict[tuple[str, str], tuple[AuthorizationStatus, bool, str | None]] = {
        ("207058575627097", other.id): (AuthorizationStatus.VALIDE, False, other.structure_id),
        ("138080427231017", other.id): (AuthorizationStatus.VALIDE, False, other.structure_id),
    }
    mine: dict[str, tuple[AuthorizationStatus, bool]] = {
        "207058575627097": (AuthorizationStatus.VALIDE, True),
        "138080427231017": (AuthorizationStatus.INTERDIT, False),
        "241030750595179": (AuthorizationStatus.EXPIRE, False),
    }
    for matricule in (
        "207100486108281",
        "235061058692768",
        "148115530271002",
        "287080883795737",
        "178101062506892",
        "116095280720767",
        "277093867564852",
        "255069999999934",
        "249127512345656",
    ):
        mine[matricule] = (AuthorizationStatus.VALIDE, False)
    for matricule, (status, mt) in mine.items():
        rows[(matricule, professional_id)] = (status, mt, libre.structure_id)
    return [(m, p, status, mt, structure) for (m, p), (status, mt, structure) in rows.items()]


def seed(
    store: SandboxStore,
    profile: str = "default",
    *,
    professional_id: str = DEFAULT_SEED_PROFESSIONAL,
    patients: Sequence[SeedPatient] = SEED_PATIENTS,
    documents: Sequence[SeedDocument] = SEED_DOCUMENTS,
) -> SeedSummary:
    """Load the seed into ``store`` (in one transaction).

    Args:
        profile: ``"default"`` (patients, professionals, authorisations, documents, vaccinations) or
            ``"empty"`` (nothing).
        professional_id: the professional whose authorisations the seed's cases are about: BLOCH blocks them
            (``INTERDIT``), EXPIRE's authorisation expired, PATB-QUATRE has them as médecin traitant, the
            patients with documents authorise them (``VALIDE``).
    """
    if profile == "empty":
        return SeedSummary(profile)
    if profile != "default":
        raise ValueError(f"unknown seed profile {profile!r} (default, empty)")
    created = dt.datetime(2024, 1, 2, 9, 0, tzinfo=_UTC)
    ids: dict[str, int] = {}
    entries = 0
    with store.transaction():
        for sp in patients:
            ins = INS.parse(sp.ins, sp.oid)
            record = store.add_patient(
                PatientRecord(
                    id=0,
                    ins=ins,
                    birth_family_name=sp.family,
                    given_names=sp.given,
                    sex=sp.sex,
                    birth_date=sp.birth_date,
                    used_family_name=sp.used_family,
                    used_given_name=sp.used_given,
                    dmp_state=sp.state,
                    closed_at=dt.datetime.combine(sp.closed_on, dt.time(9), _UTC) if sp.closed_on else None,
                    close_reason=sp.close_reason,
                    deceased_on=sp.deceased_on,
                    opposition_bris_de_glace=sp.opposition_bdg,
                    opposition_centre_15=sp.opposition_c15,
                    masked_in_emergency=sp.masked_in_emergency,
                    ens_attached=sp.ens_attached,
                    extra={"usage": sp.usage} if sp.usage else {},
                    created_at=created,
                )
            )
            ids[sp.ins] = record.id
        for key, p in SEED_PROFESSIONALS.items():
            if key == "kit":
                continue
            store.upsert_professional(
                ProfessionalRecord(
                    p.id, p.family, p.given, "10", p.specialty.split("/")[-1], p.specialty_display, p.structure_id
                )
            )
            store.upsert_structure(p.structure_id, p.structure_name, p.secteur[0])
        authorizations = 0
        for matricule, prof, status, mt, structure in _authorizations(professional_id):
            if matricule not in ids:
                continue
            store.set_authorization(AuthorizationRecord(ids[matricule], prof, status, mt, created, created, structure))
            authorizations += 1
        keys: list[str] = []
        for d in documents:
            if d.patient not in ids:
                continue
            entries += _seed_document(store, d, ids[d.patient])
            keys.append(d.key)
        for matricule, cis, day in SEED_VACCINATIONS:
            if matricule in ids:
                store.add_vaccination(ids[matricule], cis, day, "CVA")
    return SeedSummary(
        profile,
        patients=len(ids),
        documents=len(keys),
        entries=entries,
        authorizations=authorizations,
        professional_id=professional_id,
        keys=tuple(keys),
    )


def _seed_document(store: SandboxStore, d: SeedDocument, patient_id: int) -> int:
    built = _built(d.key)
    current = built.entry
    ins = current.ins
    versions = [*d.history, d.confidentiality]
    lid = seed_entry_uuid(d.key, 1)
    uid = seed_unique_id(d.key)
    store.put_content(uid, built.data, mime_type="text/xml", sha1=current.hash or "", size=current.size or 0)
    for index, extras in enumerate(versions, start=1):
        latest = index == len(versions)
        lot = _seed_lot(d, patient_id, ins, index)
        store.insert_submission_set(lot)
        meta = current.with_confidentiality(*(_CONF[c] for c in extras))
        status = _STATUS[d.status] if latest else _STATUS["deprecated"]
        entry_uuid = seed_entry_uuid(d.key, index)
        store.insert_entry(
            EntryRecord(
                entry_uuid,
                lid,
                index,
                uid,
                patient_id,
                status,
                latest,
                meta,
                lot.entry_uuid,
                created_at=lot.submission_time,
            )
        )
        store.insert_association(
            Association(
                id=f"urn:uuid:{uuid.uuid5(_NS, f'{d.key}#hm{index}')}",
                type=AssociationType.HAS_MEMBER,
                source=lot.entry_uuid,
                target=entry_uuid,
                submission_set_status="Original",
                previous_version=str(index - 1) if index > 1 else None,
            ),
            submission_set_uuid=lot.entry_uuid,
            at=lot.submission_time,
        )
        store.add_status_change(
            StatusChange(
                lot.submission_time or _t("20240101000000"),
                lid,
                entry_uuid,
                None,
                _STATUS["approved"],
                "seed",
                SEED_PROFESSIONALS[d.author].id,
            )
        )
        if not latest:
            store.add_status_change(
                StatusChange(
                    lot.submission_time or _t("20240101000000"),
                    lid,
                    entry_uuid,
                    _STATUS["approved"],
                    _STATUS["deprecated"],
                    "seed",
                    SEED_PROFESSIONALS[d.author].id,
                    "new metadata version",
                )
            )
        elif d.status != "approved":
            store.add_status_change(
                StatusChange(
                    (lot.submission_time or _t("20240101000000")) + dt.timedelta(days=1),
                    lid,
                    entry_uuid,
                    _STATUS["approved"],
                    status,
                    "seed",
                    SEED_PROFESSIONALS[d.author].id,
                )
            )
    if d.replaces:
        lot = _seed_lot(d, patient_id, ins, len(versions))
        target = _BY_KEY[d.replaces]
        store.insert_association(
            Association(
                id=f"urn:uuid:{uuid.uuid5(_NS, f'{d.key}#rplc')}",
                type=AssociationType.RPLC,
                source=seed_entry_uuid(d.key, 1),
                target=seed_entry_uuid(target.key, len(target.history) + 1),
            ),
            submission_set_uuid=lot.entry_uuid,
            at=lot.submission_time,
        )
    return len(versions)

"""Facts transcribed by hand from the ANS terminology publications (NOS) and the GIE example messages.

These are the DMP-specific value sets that the ANS kit does not carry (J57, J58, J59, J60, J52, TRE_A07,
TRE_R248) and the correspondence tables ASS_X04 (typeCode → classCode) and ASS_A12 (N1 media type →
formatCode). Every block names its source; dates are the ``date`` of the published resource.
Codes and labels are kept verbatim (French).
"""

from __future__ import annotations

from typing import Final

from dmpclient.terminology._oids import (
    ASTM,
    HL7_CONFIDENTIALITY,
    LOINC,
    TRE_A00,
    TRE_A03,
    TRE_A05,
    TRE_A06,
    TRE_A07,
    TRE_A09_DICOM,
    TRE_A11_IHE_FORMAT,
    TRE_R02,
    TRE_R209,
    TRE_R248,
    URN,
)

Row = tuple[str, str, str | None]

IG_NOS_COMMIT: Final = "b8b0cc32cc5e1471d417d6d3a3dd17bfb0fce3e9"
IG_TERMINOLOGIE_COMMIT: Final = "1cc4d5563cac5ed60f43aa97d4a2b685ee3e2bb2"


def nos_source(file: str) -> str:
    """Source string for a file of ``ansforge/IG-NOS`` ``ig/allNos2/`` (FHIR, content 2019-2022)."""
    return f"ansforge/IG-NOS @ {IG_NOS_COMMIT[:12]} ig/allNos2/{file} (FHIR)"


# --------------------------------------------------------------------------------------------- J57

J57_SOURCE: Final = (
    nos_source("ValueSet-JDV-J57-ClassCode-DMP.json")
    + "; code 95 label from CodeSystem-TRE-A03-ClasseDocument.json (2020-12-17); codes 95 and 99 used by"
    " ASS_X04 (ansforge/ig-terminlogie-de-sante @ 1cc4d5563cac, 2025-04-15)"
)
J57_ROWS: Final[tuple[Row, ...]] = (
    ("10", TRE_A03, "Compte rendu"),
    ("11", TRE_A03, "Synthèse"),
    ("31", TRE_A03, "Imagerie médicale"),
    ("42", TRE_A03, "Prescription"),
    ("43", TRE_A03, "Dispensation"),
    ("44", TRE_A03, "Plan de soins, protocole de soins"),
    ("45", TRE_A03, "Traitement administré"),
    ("52", TRE_A03, "Certificat, déclaration"),
    ("60", TRE_A03, "Données de remboursement"),
    ("90", TRE_A03, "Autres documents déposés par le patient"),
    ("95", TRE_A03, "Document de gestion"),
    ("99", TRE_A03, None),
    ("urn:oid:1.3.6.1.4.1.19376.1.2.1.1.1", URN, "Digital Signature"),
)

# --------------------------------------------------------------------------------------------- J58

J58_SOURCE: Final = nos_source("ValueSet-JDV-J58-ConfidentialityCode-DMP.json")
J58_ROWS: Final[tuple[Row, ...]] = (
    ("N", HL7_CONFIDENTIALITY, "Normal"),
    ("R", HL7_CONFIDENTIALITY, "Restreint"),
    ("V", HL7_CONFIDENTIALITY, "Très restreint"),
    ("INVISIBLE_PATIENT", TRE_A07, "Non visible par le patient"),
    ("INVISIBLE_REPRESENTANTS_LEGAUX", TRE_A07, "Non visible par les représentants légaux du patient"),
    ("MASQUE_PS", TRE_A07, "Masqué aux professionnels de santé"),
)

# --------------------------------------------------------------------------------------------- TRE_A07

TRE_A07_SOURCE: Final = nos_source("CodeSystem-TRE-A07-StatutVisibiliteDocument.json") + ", labels 'LibelleAdapte'"
TRE_A07_ROWS: Final[tuple[Row, ...]] = (
    ("INVISIBLE_PATIENT", TRE_A07, "Non visible par le patient"),
    ("INVISIBLE_REPRESENTANTS_LEGAUX", TRE_A07, "Non visible par les représentants légaux du patient"),
    ("MASQUE_PS", TRE_A07, "Masqué aux professionnels de santé"),
    ("MASQUE_PSOCIAL", TRE_A07, "Masqué aux professionnels du domaine social"),
    ("MASQUE_PT", TRE_A07, "Masqué aux personnes tierces"),
)

# --------------------------------------------------------------------------------------------- TRE_R248

TRE_R248_SOURCE: Final = (
    nos_source("CodeSystem-TRE-R248-ModeAcces.json")
    + "; code system OID as written in the GIE VIHF examples (vihf-*.xml)"
)
TRE_R248_ROWS: Final[tuple[Row, ...]] = (
    ("normal", TRE_R248, "Accès normal"),
    ("bris_de_glace", TRE_R248, "Accès en bris de glace"),
    ("centre_15", TRE_R248, "Accès par un centre de régulation médicale"),
)

# --------------------------------------------------------------------------------------------- J52

J52_SOURCE: Final = (
    "ANS IG Terminologies de Santé (ansforge/IG-terminologie-de-sante) v1.12.0, "
    "ValueSet JDV_J52_AvailabilityStatus_CISIS version 20200424120000"
)
J52_ROWS: Final[tuple[Row, ...]] = (
    ("urn:oasis:names:tc:ebxml-regrep:StatusType:Approved", URN, "Version à jour"),
    ("urn:oasis:names:tc:ebxml-regrep:StatusType:Deprecated", URN, "Version obsolète"),
    ("urn:asip:ci-sis:2010:StatusType:Archived", URN, "Version archivée et à jour"),
    ("urn:asip:ci-sis:2010:StatusType:Deleted", URN, "Version dépubliée"),
)

# --------------------------------------------------------------------------------------------- J59 / TRE_R209

J59_SOURCE: Final = nos_source("ValueSet-JDV-J59-ContentTypeCode-DMP.json")
TRE_R209_ROWS: Final[tuple[Row, ...]] = (
    ("03", TRE_R209, "Hospitalisation complète (non compris hospitalisation de semaine)"),
    ("04", TRE_R209, "Hospitalisation de jour"),
    ("07", TRE_R209, "Consultations, soins externes"),
    ("08", TRE_R209, "Bloc opératoire (y compris obstétrical et gynécologique)"),
    (
        "09",
        TRE_R209,
        "Autres unités médico-techniques (anesthésiologie, explor fonct, rééduc et réadapt fonct, pharmacie)",
    ),
    ("11", TRE_R209, "Hébergement complet ou internat (non compris internat de semaine)"),
    ("13", TRE_R209, "Semi-internat"),
    ("14", TRE_R209, "Externat"),
    ("15", TRE_R209, "Placement en famille d'accueil (strictement social)"),
    ("16", TRE_R209, "Prestations sur le lieu de vie (non compris placement familial)"),
    ("17", TRE_R209, "Internat de semaine"),
    ("18", TRE_R209, "Hébergement de nuit en structure éclatée"),
    ("19", TRE_R209, "Traitement et cure ambulatoire"),
    ("20", TRE_R209, "Hospitalisation de semaine"),
    ("21", TRE_R209, "Accueil de Jour (sans distinction entre semi-internat et externat)"),
    ("22", TRE_R209, "Accueil de nuit"),
    ("25", TRE_R209, "Hébergement temporaire de week-end ou de vacances"),
    ("26", TRE_R209, "Analyses médicales biologiques"),
    ("27", TRE_R209, "Accueil modulable/séquentiel"),
    ("28", TRE_R209, "Consultations dentaires et soins dentaires"),
    ("33", TRE_R209, "Recherche"),
    ("37", TRE_R209, "Accueil et prise en charge en appartement thérapeutique"),
    ("40", TRE_R209, "Accueil temporaire avec hébergement"),
    ("42", TRE_R209, "Equipe mobile de rue"),
    ("43", TRE_R209, "Tous modes d'accueil avec hébergement"),
    ("44", TRE_R209, "Accueil temporaire de jour"),
    ("45", TRE_R209, "Accueil temporaire (avec et sans hébergement)"),
    ("46", TRE_R209, "Tous modes d'accueil (avec et sans hébergement)"),
    ("47", TRE_R209, "Accueil de jour et accompagnement en milieu ordinaire"),
    ("48", TRE_R209, "Tous modes d'accueil et d'accompagnement"),
    ("50", TRE_R209, "Protection juridique"),
    ("52", TRE_R209, "Accompagnement social personnalisé"),
    ("60", TRE_R209, "Consultations et actes"),
    ("97", TRE_R209, "Autre type d'activité"),
)
J59_R02_ROWS: Final[tuple[Row, ...]] = (
    ("SA05", TRE_R02, "Centre de santé"),
    ("SA06", TRE_R02, "Autre structure du Service de santé des armées"),
    ("SA07", TRE_R02, "Cabinet individuel"),
    ("SA08", TRE_R02, "Cabinet de groupe"),
    ("SA09", TRE_R02, "Exercice en société"),
    ("SA10", TRE_R02, "Transporteur sanitaire"),
    ("SA11", TRE_R02, "Entreprise d'intérim"),
    ("SA12", TRE_R02, "Etablissement de soins et prévention"),
    ("SA13", TRE_R02, "Prévention et soins en entreprise"),
    ("SA14", TRE_R02, "Etablissements scolaires, universitaires et de formation hors champ FINESS"),
    ("SA15", TRE_R02, "PMI et Planification familiale"),
    ("SA16", TRE_R02, "Etablissement pour personnes handicapées"),
    ("SA17", TRE_R02, "Etablissement pour personnes âgées"),
    ("SA18", TRE_R02, "Etablissement aide à la famille"),
    ("SA19", TRE_R02, "Etablissements FINESS de formation aux professions sanitaires et sociales"),
    ("SA20", TRE_R02, "Etablissement pour la protection de l'enfance"),
    ("SA21", TRE_R02, "Etablissement d'hébergement et de réadaptation"),
    ("SA22", TRE_R02, "Recherche"),
    ("SA23", TRE_R02, "Assurance privée"),
    ("SA24", TRE_R02, "Organisme de sécurité sociale"),
    ("SA25", TRE_R02, "Laboratoire de biologie médicale"),
    ("SA26", TRE_R02, "Ministère ou Service déconcentré"),
    ("SA27", TRE_R02, "Collectivité territoriale"),
    ("SA28", TRE_R02, "Association ou organisme humanitaire"),
    ("SA29", TRE_R02, "Laboratoire d'analyses et de biologie médicale"),
    ("SA30", TRE_R02, "Autre établissement sanitaire"),
    ("SA31", TRE_R02, "Répartition et Distribution de médicaments et dispositifs médicaux"),
    ("SA32", TRE_R02, "Fabrication, Exploitation et Importation de médicaments et dispositifs médicaux"),
    ("SA33", TRE_R02, "Pharmacie d'officine"),
    ("SA34", TRE_R02, "Centre de dialyse"),
    ("SA35", TRE_R02, "Para-pharmacie"),
    ("SA36", TRE_R02, "Centre anti-cancer"),
    ("SA37", TRE_R02, "Centre de transfusion sanguine"),
    ("SA38", TRE_R02, "Pharmacie minière"),
    ("SA39", TRE_R02, "Pharmacie mutualiste"),
    ("SA40", TRE_R02, "Secteur privé, praticien hospitalier temps plein"),
    ("SA41", TRE_R02, "Autre établissement du domaine social ou médico-social"),
    ("SA42", TRE_R02, "Appareillage médical"),
    ("SA43", TRE_R02, "Secteur non défini"),
    ("SA44", TRE_R02, "Recrutement ou Gestion RH"),
    ("SA45", TRE_R02, "Communication, Marketing, Consulting, Média"),
    (
        "SA46",
        TRE_R02,
        "Fabrication, Exploitation, Importation, Répartition, Distribution médicaments et dispositifs médicaux",
    ),
    ("SA47", TRE_R02, "Incendie et secours"),
    ("SA48", TRE_R02, "Entreprise industrielle et tertiaire hors industrie pharmaceutique"),
    ("SA49", TRE_R02, "Entité Outre-Mer"),
    ("SA50", TRE_R02, "Structure d'urgence hors établissement hospitalier"),
    ("SA51", TRE_R02, "Structure de coopération avec autorisation de soins"),
    ("SA52", TRE_R02, "Maison de santé ou Pôle de santé"),
    ("SA53", TRE_R02, "Siège administratif d'un établissement de santé"),
    ("SA54", TRE_R02, "Centre de dépistage et de prévention"),
    ("SA55", TRE_R02, "Laboratoire pharmaceutique préparant et délivrant des allergènes"),
    ("SA56", TRE_R02, "Propharmacie"),
    ("SA57", TRE_R02, "Structure de coopération avec mission de coordination de soins"),
    ("SA58", TRE_R02, "Entreprise de taxis"),
    ("SA59", TRE_R02, "Laboratoire de biologie médicale hors catégorie standard"),
    ("SA60", TRE_R02, "Centres médicaux SNCF"),
    ("SA61", TRE_R02, "Structure Dispensatrice à domicile d'Oxygène à usage médical"),
    ("SA62", TRE_R02, "Ordres des professionnels de santé"),
    ("SA63", TRE_R02, "Communauté Professionnelle Territoriale de Santé"),
)
J59_ROWS: Final[tuple[Row, ...]] = (
    ("EXP_PATIENT", TRE_A00, "Expression personnelle du patient"),
    *TRE_R209_ROWS,
    *J59_R02_ROWS,
)

# --------------------------------------------------------------------------------------------- J60

J60_SOURCE: Final = nos_source("ValueSet-JDV-J60-FormatCode-DMP.json")
J60_ROWS: Final[tuple[Row, ...]] = (
    ("urn:ans:ci-sis:bio-ep-bio:2022", TRE_A06, "Prescription d'actes de biologie médicale"),
    ("urn:ans:ci-sis:img-da:2022", TRE_A06, "Demande d'actes d'imagerie"),
    ("urn:asip:ci-sis:aunv:2013", TRE_A06, "Fiche d'admission en unité neuro-vasculaire"),
    ("urn:asip:ci-sis:avk:2009", TRE_A06, "Fiche patient à risque en cardiologie - Traitement AVK"),
    ("urn:asip:ci-sis:crgm:2018", TRE_A06, "Compte rendu de génétique moléculaire"),
    ("urn:asip:ci-sis:crrtn:2013", TRE_A06, "Compte-rendu de rétinographie"),
    ("urn:asip:ci-sis:cse-cs24:2017", TRE_A06, "Certificat de santé du 24ème mois de l'enfant"),
    ("urn:asip:ci-sis:cse-cs8:2017", TRE_A06, "Certificat de santé du 8ème jour de l'enfant"),
    ("urn:asip:ci-sis:cse-cs9:2017", TRE_A06, "Certificat de santé du 9ème mois de l'enfant"),
    (
        "urn:asip:ci-sis:d2lm-fidd:2017",
        TRE_A06,
        "Seconde lecture de mammographie - Fiche d'interprétation du bilan de diagnostic différé",
    ),
    ("urn:asip:ci-sis:d2lm-fin:2017", TRE_A06, "Seconde lecture de mammographie - Fiche d'interprétation nationale"),
    ("urn:asip:ci-sis:dci:2009", TRE_A06, "Fiche patient à risque en cardiologie - Défibrillateur cardiaque interne"),
    ("urn:asip:ci-sis:dlu:2015", TRE_A06, "Document de liaison d'urgence"),
    ("urn:asip:ci-sis:dlu-dlu-dom:2022", TRE_A06, "Document de liaison d'urgence DOM"),
    (
        "urn:asip:ci-sis:dlu-fludr-dom:2022",
        TRE_A06,
        "Fiche de liaison d'urgence - Retour des urgences vers le domicile",
    ),
    (
        "urn:asip:ci-sis:dlu-fludt-dom:2022",
        TRE_A06,
        "Fiche de liaison d'urgence - Transfert du domicile vers les urgences",
    ),
    ("urn:asip:ci-sis:eunv:2013", TRE_A06, "Fiche d'épisode de soin en unité neuro-vasculaire"),
    ("urn:asip:ci-sis:fludr:2017", TRE_A06, "Fiche de liaison d'urgence - Retour des urgences vers l'EHPAD"),
    ("urn:asip:ci-sis:fludt:2017", TRE_A06, "Fiche de liaison d'urgence - Transfert de l'EHPAD vers les urgences"),
    ("urn:asip:ci-sis:frcp:2011", TRE_A06, "Fiche de réunion de concertation pluridisciplinaire"),
    ("urn:asip:ci-sis:hr:2019", TRE_A06, "Données de remboursement"),
    ("urn:asip:ci-sis:idap:2011", TRE_A06, "Information et directives anticipées du patient"),
    ("urn:asip:ci-sis:ldl-ees:2017", TRE_A06, "Lettre de Liaison à l'entrée d'un établissement de santé"),
    ("urn:asip:ci-sis:ldl-ses:2017", TRE_A06, "Lettre de Liaison à la sortie de l'établissement de santé"),
    (
        "urn:asip:ci-sis:pavc:2016",
        TRE_A06,
        "Compte-rendu de consultation d'évaluation pluri-professionnelle post AVC",
    ),
    ("urn:asip:ci-sis:pps-cancer:2017", TRE_A06, "Programme Personnalisé de Soins - Cancer"),
    ("urn:asip:ci-sis:pps-paerpa:2017", TRE_A06, "Plan Personnalisé de Santé - PAERPA"),
    (
        "urn:asip:ci-sis:ppv:2009",
        TRE_A06,
        "Fiche patient à risque en cardiologie - Porteur d'une prothèse valvulaire",
    ),
    (
        "urn:asip:ci-sis:psc:2009",
        TRE_A06,
        "Fiche patient à risque en cardiologie - Porteur d'un stimulateur cardiaque",
    ),
    ("urn:asip:ci-sis:sap:2012", TRE_A06, "Synthèse antepartum"),
    ("urn:asip:ci-sis:sce:2012", TRE_A06, "Synthèse Suites de Couches Enfant"),
    ("urn:asip:ci-sis:scm:2012", TRE_A06, "Synthèse Suites de Couches Mère"),
    ("urn:asip:ci-sis:sdm-mr:2017", TRE_A06, "Set de Données Minimum - Maladies Rares"),
    ("urn:asip:ci-sis:sne:2012", TRE_A06, "Synthèse Salle de Naissance Enfant"),
    ("urn:asip:ci-sis:snm:2012", TRE_A06, "Synthèse Salle de Naissance Mère"),
    ("urn:asip:ci-sis:sunv:2013", TRE_A06, "Fiche de sortie d'unité neuro-vasculaire"),
    (
        "urn:asip:ci-sis:tap:2009",
        TRE_A06,
        "Fiche patient à risque en cardiologie - Traitement antiagrégant plaquettaire, stent",
    ),
    ("urn:asip:ci-sis:vac:2019", TRE_A06, "Historique des vaccinations"),
    ("urn:asip:ci-sis:vsm:2012", TRE_A06, "Synthèse médicale"),
    ("urn:asipSante:modelesHorsProfils:2011", TRE_A06, "Document non référencé IHE ou CI-SIS"),
    ("urn:asip:ci-sis:cr-cpa:2020", TRE_A06, "Compte rendu de consultation pré-anesthésique"),
    ("urn:asip:ci-sis:cr-anest:2020", TRE_A06, "Compte rendu d'anesthésie"),
    ("urn:asip:ci-sis:vac-note:2021", TRE_A06, "Note de vaccination"),
    ("urn:ihe:iti:dsg:detached:2014", TRE_A11_IHE_FORMAT, "Signature détachée"),
    ("urn:ihe:iti:xds-sd:pdf:2008", TRE_A11_IHE_FORMAT, "Document à corps non structuré en Pdf/A-1"),
    ("urn:ihe:iti:xds-sd:text:2008", TRE_A11_IHE_FORMAT, "Document à corps non structuré en texte brut"),
    ("urn:ihe:iti-fr:xds-sd:jpeg:2010", TRE_A11_IHE_FORMAT, "Document à corps non structuré en format jpeg"),
    ("urn:ihe:iti-fr:xds-sd:rtf:2010", TRE_A11_IHE_FORMAT, "Document à corps non structuré en format rtf"),
    ("urn:ihe:iti-fr:xds-sd:tiff:2010", TRE_A11_IHE_FORMAT, "Document à corps non structuré en format tiff"),
    ("urn:ihe:lab:xd-lab:2008", TRE_A11_IHE_FORMAT, "Compte rendu structuré d'examens de biologie médicale"),
    (
        "urn:ihe:pat:apsr:all:2010",
        TRE_A11_IHE_FORMAT,
        "Compte rendu d'anatomie et de cytologie pathologiques - Modèle générique",
    ),
    (
        "urn:ihe:pat:apsr:breast:2010",
        TRE_A11_IHE_FORMAT,
        "Compte rendu d'anatomie et de cytologie pathologiques - Sein",
    ),
    (
        "urn:ihe:pat:apsr:cervix:2010",
        TRE_A11_IHE_FORMAT,
        "Compte rendu d'anatomie et de cytologie pathologiques - Col de l'utérus",
    ),
    (
        "urn:ihe:pat:apsr:colon:2010",
        TRE_A11_IHE_FORMAT,
        "Compte rendu d'anatomie et de cytologie pathologiques - Côlon",
    ),
    (
        "urn:ihe:pat:apsr:endometrium:2010",
        TRE_A11_IHE_FORMAT,
        "Compte rendu d'anatomie et de cytologie pathologiques - Corps utérin",
    ),
    (
        "urn:ihe:pat:apsr:esophagus:2010",
        TRE_A11_IHE_FORMAT,
        "Compte rendu d'anatomie et de cytologie pathologiques - Oesophage",
    ),
    (
        "urn:ihe:pat:apsr:kidney:2010",
        TRE_A11_IHE_FORMAT,
        "Compte rendu d'anatomie et de cytologie pathologiques - Rein",
    ),
    (
        "urn:ihe:pat:apsr:larynx:2010",
        TRE_A11_IHE_FORMAT,
        "Compte rendu d'anatomie et de cytologie pathologiques - Larynx",
    ),
    (
        "urn:ihe:pat:apsr:lip_oral_cavity:2010",
        TRE_A11_IHE_FORMAT,
        "Compte rendu d'anatomie et de cytologie pathologiques - Cavité buccale",
    ),
    ("urn:ihe:pat:apsr:liver:2010", TRE_A11_IHE_FORMAT, "Compte rendu d'anatomie et de cytologie pathologiques - Foie"),
    (
        "urn:ihe:pat:apsr:lung:2010",
        TRE_A11_IHE_FORMAT,
        "Compte rendu d'anatomie et de cytologie pathologiques - Poumon",
    ),
    (
        "urn:ihe:pat:apsr:ovary:2010",
        TRE_A11_IHE_FORMAT,
        "Compte rendu d'anatomie et de cytologie pathologiques - Ovaires",
    ),
    (
        "urn:ihe:pat:apsr:pancreas:2010",
        TRE_A11_IHE_FORMAT,
        "Compte rendu d'anatomie et de cytologie pathologiques - Pancréas",
    ),
    (
        "urn:ihe:pat:apsr:pharynx:2010",
        TRE_A11_IHE_FORMAT,
        "Compte rendu d'anatomie et de cytologie pathologiques - Pharynx",
    ),
    (
        "urn:ihe:pat:apsr:prostate:2010",
        TRE_A11_IHE_FORMAT,
        "Compte rendu d'anatomie et de cytologie pathologiques - Prostate",
    ),
    (
        "urn:ihe:pat:apsr:salivary_gland:2010",
        TRE_A11_IHE_FORMAT,
        "Compte rendu d'anatomie et de cytologie pathologiques - Glandes salivaires",
    ),
    (
        "urn:ihe:pat:apsr:skin:2010",
        TRE_A11_IHE_FORMAT,
        "Compte rendu d'anatomie et de cytologie pathologiques - Mélanome cutané",
    ),
    (
        "urn:ihe:pat:apsr:stomach:2010",
        TRE_A11_IHE_FORMAT,
        "Compte rendu d'anatomie et de cytologie pathologiques - Estomac",
    ),
    (
        "urn:ihe:pat:apsr:testis:2010",
        TRE_A11_IHE_FORMAT,
        "Compte rendu d'anatomie et de cytologie pathologiques - Testicule",
    ),
    (
        "urn:ihe:pat:apsr:thyroid:2010",
        TRE_A11_IHE_FORMAT,
        "Compte rendu d'anatomie et de cytologie pathologiques - Thyroïde",
    ),
    (
        "urn:ihe:pat:apsr:urinary_bladder:2010",
        TRE_A11_IHE_FORMAT,
        "Compte rendu d'anatomie et de cytologie pathologiques - Vessie",
    ),
    ("urn:ihe:pcc:ips:2020", TRE_A11_IHE_FORMAT, "Synthèse du dossier médical"),
    ("urn:ihe:pharm:pre:2010", TRE_A11_IHE_FORMAT, "Prescription de médicaments"),
    ("urn:ihe:eyecare:geneyeevalcn:2014", TRE_A11_IHE_FORMAT, "CR de consultation en ophtalmologie"),
    (
        "urn:ihe:rad:CDA:ImagingReportStructuredHeadings:2013",
        TRE_A11_IHE_FORMAT,
        "Compte-rendu d'imagerie médicale",
    ),
    (
        "1.2.840.10008.5.1.4.1.1.88.59",
        TRE_A09_DICOM,
        "Document de Référence d'Objets d'un Examen d'imagerie selon profil IHE RAD XDS-I",
    ),
    ("http://www.w3.org/2000/09/xmldsig#", URN, "Default Signature Style"),
)

# --------------------------------------------------------------------------------------------- ASS_X04

ASS_X04_SOURCE: Final = (
    f"ansforge/ig-terminlogie-de-sante @ {IG_TERMINOLOGIE_COMMIT[:12]} "
    "DM/input/fsh/Done/GitHub/ASS-X04-CorrespondanceType-Classe-CISIS.fsh (FHIR ConceptMap, version 20250415120000)"
)
#: LOINC typeCode -> TRE_A03 classCode.
ASS_X04_LOINC: Final[tuple[tuple[str, str], ...]] = (
    ("10213-7", "10"), ("11369-6", "52"), ("11488-4", "10"), ("11490-0", "10"), ("11493-4", "10"),
    ("11502-2", "10"), ("11505-5", "10"), ("11506-3", "10"), ("11526-1", "10"), ("11528-7", "10"),
    ("15507-7", "10"), ("15508-5", "10"), ("18748-4", "31"), ("18761-7", "11"), ("18776-5", "44"),
    ("24611-6", "10"), ("27899-4", "10"), ("28617-9", "10"), ("28653-4", "10"), ("29274-8", "10"),
    ("29550-1", "43"), ("29551-9", "42"), ("29554-3", "10"), ("34112-3", "10"), ("34120-6", "10"),
    ("34133-9", "11"), ("34749-2", "10"), ("34794-8", "10"), ("34842-5", "11"), ("34874-8", "10"),
    ("34875-5", "10"), ("34876-3", "10"), ("39256-3", "10"), ("46241-6", "10"), ("47420-5", "10"),
    ("51851-4", "95"), ("51969-4", "10"), ("52040-3", "31"), ("52063-5", "42"), ("52521-2", "42"),
    ("55115-0", "42"), ("56445-0", "11"), ("56446-8", "95"), ("57055-6", "11"), ("57057-2", "11"),
    ("57075-4", "11"), ("57828-6", "42"), ("57832-8", "42"), ("57833-6", "42"), ("59283-2", "10"),
    ("59284-0", "95"), ("60280-5", "11"), ("60568-3", "10"), ("60591-5", "11"), ("60593-1", "43"),
    ("61357-0", "42"), ("67851-6", "10"), ("68599-0", "11"), ("68814-3", "10"), ("68817-6", "11"),
    ("70004-7", "10"), ("74207-2", "11"), ("74465-6", "90"), ("75468-9", "42"), ("75482-0", "10"),
    ("75492-9", "10"), ("75497-8", "10"), ("75496-0", "10"), ("77436-4", "10"), ("77604-7", "44"),
    ("78341-5", "11"), ("78489-2", "11"), ("78513-9", "10"), ("78601-2", "10"), ("80565-5", "45"),
    ("80771-9", "44"), ("80788-3", "44"), ("80820-4", "11"), ("83836-7", "11"), ("83869-8", "44"),
    ("83901-9", "11"), ("83981-1", "10"), ("85208-7", "10"), ("86531-1", "95"), ("87273-9", "52"),
    ("89233-1", "10"), ("89235-6", "11"), ("88348-8", "11"), ("89601-9", "52"), ("93024-8", "10"),
    ("96349-6", "10"), ("96874-3", "52"), ("96173-0", "52"),
)  # fmt: skip
#: TRE_A05 typeCode -> TRE_A03 classCode.
ASS_X04_TRE_A05: Final[tuple[tuple[str, str], ...]] = (
    ("ATTEST-ASS-COMPL", "95"), ("ATTEST-HEBGT", "95"), ("ATTEST-RESID", "95"), ("ATTEST-DROITS-AM", "95"),
    ("AUTORIS-SOINS", "95"), ("BIL_AUTO", "10"), ("CERT_DECL", "52"), ("DISP_AUT", "43"), ("EXPPAT_1", "90"),
    ("EXPPAT_2", "90"), ("EXPORT_DUI", "11"), ("EXPPAT_3", "90"), ("DOCPAT01", "11"), ("DOCPAT02", "42"),
    ("DOCPAT03", "10"), ("DOCPAT04", "31"), ("DOCPAT05", "10"), ("DOCPAT06", "10"), ("DOCPAT07", "52"),
    ("DOCPAT08", "11"), ("DOCPAT09", "95"), ("IMG-KOS", "31"), ("PROT_ALD", "44"), ("REMB", "60"),
    ("SYNTH", "11"), ("PRESC-AAT", "42"), ("PIECE-IDENTITE", "95"), ("PRESC-BIO", "42"), ("PRESC-KINE", "42"),
    ("PRESC-INF", "42"), ("PRESC-PEDI", "42"), ("PRESC-ORTHOPHO", "42"), ("PRESC-ORTHOPTIE", "42"),
    ("FEUILLE-DE-STYLE", "99"), ("FICHE-CONTACTS", "95"),
)  # fmt: skip
#: ASTM typeCode -> URN classCode (the signature document).
ASS_X04_ASTM: Final[tuple[tuple[str, str, str], ...]] = (("E1762", "urn:oid:1.3.6.1.4.1.19376.1.2.1.1.1", URN),)
ASS_X04_SYSTEMS: Final = {"LOINC": LOINC, "TRE_A05": TRE_A05, "ASTM": ASTM}

#: typeCodes that ASS_X04 still maps but that left JDV_J07 (2024): accepted on read, never produced.
LEGACY_TYPE_CODES: Final[tuple[str, ...]] = (
    "10213-7", "11493-4", "11526-1", "11528-7", "24611-6", "27899-4", "29550-1", "29551-9",
    "29554-3", "34876-3", "39256-3", "46241-6", "52063-5", "52521-2", "68814-3", "75497-8",
)  # fmt: skip
#: Labels of legacy type codes as the DMP itself returns them (GIE example td3.1-recherche-documents.response.xml
#: and td2.1-alimentation.request); the other legacy codes have no French label in the sources read.
LEGACY_TYPE_LABELS: Final[dict[str, str]] = {
    "11493-4": "CR hospitalier (séjour)",
    "11526-1": "CR d'anatomie et de cytologie pathologiques",
    "27899-4": "CR d'acte diagnostique (autre)",
    "29550-1": "Dispensation médicamenteuse",
    "29551-9": "Prescription de médicaments",
    "29554-3": "CR d'acte thérapeutique à visée préventive",
    "46241-6": "CR d'admission",
    "52521-2": "Prescription de soins",
}
LEGACY_SOURCE: Final = (
    ASS_X04_SOURCE + "; labels from the GIE example messages (td3.1-recherche-documents.response.xml, "
    "td2.1-alimentation.request) where the DMP returns them"
)

# --------------------------------------------------------------------------------------------- ASS_A12

ASS_A12_SOURCE: Final = (
    "ansforge/ig-terminlogie-de-sante DM/input/fsh/Done/GitHub/"
    "ASS-A12-CorresMediaTypeCDANonStructure-XdsFormatCode-CISIS.fsh (ConceptMap version 5.0.0)"
)
#: N1 body media type -> IHE formatCode (TRE_A11).
ASS_A12: Final[tuple[tuple[str, str], ...]] = (
    ("application/pdf", "urn:ihe:iti:xds-sd:pdf:2008"),
    ("text/plain", "urn:ihe:iti:xds-sd:text:2008"),
    ("text/rtf", "urn:ihe:iti-fr:xds-sd:rtf:2010"),
    ("image/jpeg", "urn:ihe:iti-fr:xds-sd:jpeg:2010"),
    ("image/tiff", "urn:ihe:iti-fr:xds-sd:tiff:2010"),
)

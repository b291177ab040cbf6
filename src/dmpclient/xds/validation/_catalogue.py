"""The rule catalogue: every rule the XDS validator applies, with its layer, severity, XDS code and sources.

The catalogue is data: the validator looks rules up here (severity, code, French wording), the
documentation table is generated from it (:func:`rule_table`), and the tests check that every rule has a
positive and a negative case.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Final

from dmpclient.errors import Severity

__all__ = ["RULES", "Layer", "Rule", "rule_table"]


class Layer(StrEnum):
    """Which profile a rule belongs to (``dmp`` = ``ihe`` + DMP rules)."""

    IHE = "ihe"
    DMP = "dmp"


# XDS error codes (IHE ITI TF-3 Table 4.2.4.1-2, as enumerated by IPF; errors.md §2.4).
META: Final = "XDSRegistryMetadataError"
REPO_META: Final = "XDSRepositoryMetadataError"
DUP_UID: Final = "XDSRegistryDuplicateUniqueIdInMessage"
PID_MISMATCH: Final = "XDSPatientIdDoesNotMatch"
MISSING_DOC: Final = "XDSMissingDocument"
MISSING_DOC_META: Final = "XDSMissingDocumentMetadata"
UNKNOWN_PATIENT: Final = "XDSUnknownPatientId"
UPDATE_ERROR: Final = "XDSMetadataUpdateError"
UPDATE_OP_ERROR: Final = "XDSMetadataUpdateOperationError"
VERSION_ERROR: Final = "XDSMetadataVersionError"
UNRESOLVED: Final = "UnresolvedReferenceException"

E = Severity.ERROR
W = Severity.WARNING

#: The DMP's French message for a code outside its affinity domain (seen for typeCode DOCPAT03).
FR_CODE_OUTSIDE_DOMAIN: Final = "Le code '{code}' ne fait pas partie du domaine d'affinité"


@dataclass(frozen=True, slots=True)
class Rule:
    """One validation rule.

    Attributes:
        id: stable id (``ihe.hasMember.missing``, ``dmp.typeCode.forbidden``).
        layer: ``ihe`` or ``dmp``.
        severity: default severity of its findings.
        code: XDS error code given to its findings.
        summary: what the rule checks, in English.
        source: where it comes from (requirement ids, reference marks).
        message_fr: the DMP's French wording (a ``str.format`` template) when the reference gives one.
        requirement: the CNDA/DMP requirement id (``EX_2.1-1010``) when known.
    """

    id: str
    layer: Layer
    severity: Severity
    code: str
    summary: str
    source: str
    message_fr: str | None = None
    requirement: str | None = None


def _r(
    rule_id: str,
    severity: Severity,
    code: str,
    summary: str,
    source: str,
    message_fr: str | None = None,
    requirement: str | None = None,
) -> Rule:
    layer = Layer.IHE if rule_id.startswith("ihe.") else Layer.DMP
    return Rule(rule_id, layer, severity, code, summary, source, message_fr, requirement)


_ALL: Final[tuple[Rule, ...]] = (
    # ------------------------------------------------------------------------------------- IHE layer
    _r("ihe.submissionSet.count", E, META, "exactly one SubmissionSet per request", "ITI TF-3 4.1.3; xds-metadata §5"),
    _r(
        "ihe.submissionSet.required",
        E,
        META,
        "SubmissionSet has uniqueId, sourceId, patientId, submissionTime, contentTypeCode",
        "ITI TF-3 4.2.3.3; xds-metadata §5",
    ),
    _r(
        "ihe.documentEntry.required",
        E,
        META,
        "DocumentEntry has patientId, uniqueId, class/type/format/facility/practice codes, confidentialityCode, "
        "creationTime, languageCode, mimeType, sourcePatientId",
        "ITI TF-3 4.2.3.2 (ITI-41 column); xds-metadata §4",
    ),
    _r("ihe.id.duplicate", E, META, "object ids (@id) are unique in the message", "ebRIM 3.0; xds-metadata §9"),
    _r(
        "ihe.uniqueId.duplicate",
        E,
        DUP_UID,
        "uniqueIds of the SubmissionSet and DocumentEntries are unique in the message",
        "ITI TF-3 4.2.4; xds-metadata §9",
    ),
    _r(
        "ihe.patientId.mismatch",
        E,
        PID_MISMATCH,
        "patientId identical on the SubmissionSet and every DocumentEntry",
        "ITI TF-3 4.1.4; xds-metadata §9",
    ),
    _r(
        "ihe.hasMember.missing",
        E,
        META,
        "every DocumentEntry is linked to the SubmissionSet by a HasMember association",
        "ITI TF-3 4.2.2.1; xds-metadata §5",
    ),
    _r(
        "ihe.hasMember.submissionSetStatus",
        W,
        META,
        "SubmissionSet → DocumentEntry HasMember carries SubmissionSetStatus Original/Reference "
        "(the DMP also accepted its absence in a DevBox trace)",
        "ITI TF-3 4.2.2.1.1; transactions §4 [V GIE-EX, V2 DBX-LOGS]",
    ),
    _r("ihe.association.type", E, META, "association type is an IHE association type", "ITI TF-3 4.2.2"),
    _r(
        "ihe.association.reference",
        E,
        UNRESOLVED,
        "association source/target is an object of the message or a registry entryUUID (urn:uuid:)",
        "ebRIM 3.0; ITI TF-3 4.2.2",
    ),
    _r(
        "ihe.association.shape",
        E,
        META,
        "HasMember from the SubmissionSet, RPLC from a new DocumentEntry, signs from a DocumentEntry to the "
        "SubmissionSet, UpdateAvailabilityStatus from the SubmissionSet",
        "ITI TF-3 4.2.2; ITI-57",
    ),
    _r("ihe.cardinality", E, META, "single-valued attributes have one value", "ITI TF-3 4.2.3; xds-metadata §9"),
    _r("ihe.time.format", E, META, "times are HL7 DTM in UTC (YYYY[MM[DD[hh[mm[ss]]]]])", "ITI TF-3 4.2.3.1.5"),
    _r("ihe.hash.format", E, REPO_META, "hash is the SHA-1 in 40 lower-case hex characters", "ITI TF-3 4.2.3.2.11"),
    _r("ihe.size.format", E, REPO_META, "size is a non-negative integer", "ITI TF-3 4.2.3.2.20"),
    _r("ihe.code.incomplete", E, META, "a coded value has a code and a codingScheme", "ITI TF-3 4.2.3.1.2"),
    _r(
        "ihe.author.identity",
        E,
        META,
        "an author has an authorPerson or an authorInstitution",
        "ITI TF-3 4.2.3.1.4",
    ),
    _r("ihe.mimeType.format", E, REPO_META, "mimeType is type/subtype", "ITI TF-3 4.2.3.2.13"),
    _r(
        "ihe.metadata.unreadable",
        E,
        META,
        "a value could not be read (malformed CX, XCN, XON, sourcePatientInfo …)",
        "ITI TF-3 4.2.3.1",
    ),
    _r("ihe.metadata.unknown", W, META, "unknown classification or external identifier", "ITI TF-3 4.2.3"),
    _r(
        "ihe.classification.owner",
        E,
        META,
        "classifiedObject / registryObject name the object that holds them (may be omitted)",
        "ebRIM 3.0; xds-metadata §9",
    ),
    _r("ihe.document.missing", E, MISSING_DOC, "every DocumentEntry has its xdsb:Document (ITI-41)", "ITI TF-2b 3.41"),
    _r(
        "ihe.document.metadataMissing",
        E,
        MISSING_DOC_META,
        "every xdsb:Document has a DocumentEntry (ITI-41)",
        "ITI TF-2b 3.41",
    ),
    _r(
        "ihe.document.idCase",
        W,
        MISSING_DOC,
        "xdsb:Document/@id equals the ExtrinsicObject id exactly (ids are case-sensitive)",
        "ITI TF-2b 3.41; official TD2.1 example",
    ),
    _r(
        "ihe.statusUpdate.slots",
        E,
        UPDATE_OP_ERROR,
        "UpdateAvailabilityStatus carries OriginalStatus and NewStatus with known status URNs",
        "ITI-57 §3.57.4.1.3.3.2; transactions §7.1",
    ),
    _r(
        "ihe.update.previousVersion",
        E,
        VERSION_ERROR,
        "a metadata update (new version) has a HasMember with an integer PreviousVersion",
        "ITI-57 §3.57.4.1.3.3.1; transactions §7.2",
    ),
    _r(
        "ihe.update.logicalId",
        E,
        UPDATE_ERROR,
        "the new version of a DocumentEntry carries the logicalId (lid, urn:uuid) of the document",
        "ITI-57; transactions §7.2",
    ),
    _r(
        "ihe.query.unknown",
        E,
        "XDSUnknownStoredQuery",
        "AdhocQuery id is a known stored query",
        "ITI TF-2a 3.18.4.1.2.3",
    ),
    _r(
        "ihe.query.parameter",
        E,
        "XDSStoredQueryMissingParam",
        "the parameters a stored query requires are present (exactly one of the alternatives)",
        "ITI TF-2a 3.18.4.1.2.3; errors §2.3 (DMP-146)",
    ),
    _r(
        "ihe.query.format",
        E,
        "XDSRegistryError",
        "stored query parameters are known and correctly encoded (quotes, lists, code^^scheme, UTC times)",
        "ITI TF-2a 3.18.4.1.2.3; errors §2.3 (DMP-413)",
        message_fr="Le format du paramètre est incorrect",
    ),
    # ------------------------------------------------------------------------------------- DMP layer
    _r(
        "dmp.patientId.ins",
        E,
        META,
        "patientId is an INS CX <matricule>^^^&<OID>&ISO^NH with a valid key",
        "xds-metadata §2.1 [V GIE-EX]",
    ),
    _r(
        "dmp.patientId.environment",
        E,
        UNKNOWN_PATIENT,
        "INS OID allowed in the environment (production .8; test .10/.11)",
        "xds-metadata §2.1",
    ),
    _r("dmp.patientId.nia", E, UNKNOWN_PATIENT, "a NIA (temporary INS, OID .9) is refused", "CNDA 0.2-080"),
    _r(
        "dmp.uniqueId.form",
        E,
        META,
        "uniqueId is a plain OID, no OID^extension",
        "xds-metadata §2.2 [V2 CDT]",
        requirement="EX_2.1-1130",
    ),
    _r("dmp.uniqueId.length", E, META, "uniqueId has at most 64 characters", "IHE OID length [I]"),
    _r("dmp.sourceId.oid", E, META, "SubmissionSet sourceId is the OID of the software instance", "xds-metadata §2.2"),
    _r(
        "dmp.title.required",
        E,
        META,
        "DocumentEntry title is not empty",
        "xds-metadata §4 [V2 CDT]",
        requirement="EX_2.1-1020",
    ),
    _r(
        "dmp.sourcePatientInfo.pid5",
        E,
        META,
        "sourcePatientInfo holds a non-empty PID-5 (also on the signature entry, since SI-DMP v38–39)",
        "xds-metadata §2.1; xades-signature §3 [V2 DBX]",
        message_fr="Le champ 'sourcePatientInfo PID5' est obligatoire",
    ),
    _r(
        "dmp.legalAuthenticator.required",
        E,
        META,
        "DocumentEntry has a legalAuthenticator",
        "xds-metadata §3 [V2 CDT; V GIE-EX]",
    ),
    _r("dmp.author.required", E, META, "DocumentEntry and SubmissionSet have at least one author", "xds-metadata §3"),
    _r(
        "dmp.author.names",
        E,
        META,
        "authorPerson and legalAuthenticator have non-empty family and given names",
        "xds-metadata §3 [V PDT-INF-617]",
        requirement="RG_2230",
    ),
    _r(
        "dmp.author.identifiers",
        W,
        META,
        "authorPerson id is an IdNat under 1.2.250.1.71.4.2.1, authorInstitution id under 1.2.250.1.71.4.2.2",
        "xds-metadata §3 [V GIE-EX]",
    ),
    _r(
        "dmp.classCode.valueSet",
        E,
        META,
        "classCode in JDV_J57-ClassCode-DMP",
        "value-sets §2",
        message_fr=FR_CODE_OUTSIDE_DOMAIN,
    ),
    _r(
        "dmp.typeCode.valueSet",
        W,
        META,
        "typeCode in JDV_J66-TypeCode-DMP (content uncertain: J07 + legacy ASS_X04 codes accepted, others warned)",
        "value-sets §3 [?]",
        message_fr=FR_CODE_OUTSIDE_DOMAIN,
    ),
    _r(
        "dmp.formatCode.valueSet",
        E,
        META,
        "formatCode in JDV_J60-FormatCode-DMP",
        "value-sets §4",
        message_fr=FR_CODE_OUTSIDE_DOMAIN,
    ),
    _r(
        "dmp.confidentialityCode.valueSet",
        E,
        META,
        "confidentialityCode in JDV_J58-ConfidentialityCode-DMP (N + TRE_A07 codes; R and V unused)",
        "value-sets §5",
        message_fr=FR_CODE_OUTSIDE_DOMAIN,
    ),
    _r(
        "dmp.contentTypeCode.valueSet",
        E,
        META,
        "contentTypeCode in JDV_J59-ContentTypeCode-DMP",
        "value-sets §6",
        message_fr=FR_CODE_OUTSIDE_DOMAIN,
    ),
    _r(
        "dmp.healthcareFacilityTypeCode.valueSet",
        W,
        META,
        "healthcareFacilityTypeCode in JDV_J61 (content [?]: checked against J02, warning only)",
        "value-sets §7 [?]",
        message_fr=FR_CODE_OUTSIDE_DOMAIN,
    ),
    _r(
        "dmp.practiceSettingCode.valueSet",
        W,
        META,
        "practiceSettingCode in JDV_J62 (content [?]: checked against J04, warning only)",
        "value-sets §8 [?]",
        message_fr=FR_CODE_OUTSIDE_DOMAIN,
    ),
    _r(
        "dmp.authorSpecialty.valueSet",
        W,
        META,
        "authorSpecialty in JDV_J01-XdsAuthorSpecialty-CISIS (J56 content unknown)",
        "value-sets §9",
    ),
    _r(
        "dmp.typeCode.forbidden",
        E,
        META,
        "typeCode not produced by an LPS (DOCPAT*, EXPPAT_*, REMB, 11369-6, class 60/90 types)",
        "transactions §4 [V2 CDT, DBX FAQ]",
        message_fr=FR_CODE_OUTSIDE_DOMAIN,
        requirement="EX_2.1-1010",
    ),
    _r(
        "dmp.classCode.forbidden",
        E,
        META,
        "classCode 60 (remboursement) and 90 (documents du patient) are not produced by an LPS",
        "transactions §4 [V2 CDT]",
        message_fr=FR_CODE_OUTSIDE_DOMAIN,
        requirement="EX_2.1-1010",
    ),
    _r(
        "dmp.classCode.typeCode",
        E,
        META,
        "classCode is the ASS_X04 class of the typeCode",
        "value-sets §3 [V ASS_X04]",
    ),
    _r(
        "dmp.confidentiality.normal",
        E,
        META,
        "confidentiality codes include N; INVISIBLE_* / MASQUE_PS never alone",
        "xds-metadata §6.2 [V2 DBX DMP-177]",
    ),
    _r("dmp.confidentiality.order", E, META, "N is the first confidentiality code", "xds-metadata §6.2 [V2 CDT]"),
    _r("dmp.confidentiality.duplicate", E, META, "no confidentiality code twice", "xds-metadata §4"),
    _r("dmp.confidentiality.count", E, META, "1 to 4 confidentiality codes", "xds-metadata §4"),
    _r(
        "dmp.confidentiality.cumul",
        E,
        META,
        "INVISIBLE_PATIENT with MASQUE_PS only when the parameter cumul-invisible_patient-masque_ps is true "
        "(the signature entry is exempt)",
        "xds-metadata §6.2 [V2 CDT; V GIE-EX]",
        requirement="EX_2.1-1050",
    ),
    _r(
        "dmp.confidentiality.minors",
        E,
        META,
        "INVISIBLE_REPRESENTANTS_LEGAUX only when minors management (fonctions-gestion-mineurs) is on",
        "xds-metadata §6.2 [V2 CDT]",
    ),
    _r(
        "dmp.confidentiality.secretConnection",
        E,
        META,
        "in a minor's secret connection every document carries INVISIBLE_REPRESENTANTS_LEGAUX",
        "xds-metadata §6.2 [V2 CDT]",
    ),
    _r(
        "dmp.confidentiality.invisibleAdded",
        E,
        META,
        "INVISIBLE_PATIENT / INVISIBLE_REPRESENTANTS_LEGAUX are set only at feeding time and never added back",
        "transactions §7.2 [V2 CDT; V PDT-INF-526]",
    ),
    _r(
        "dmp.vaccination.confidentiality",
        E,
        META,
        "a vaccination note (typeCode 87273-9) has confidentiality N only",
        "transactions §4 [V2 DBX FAQ]",
        requirement="EX_2.1-2000",
    ),
    _r(
        "dmp.vaccination.secretConnection",
        E,
        META,
        "no vaccination note in a secret connection",
        "transactions §4 [V2 DBX FAQ]",
    ),
    _r(
        "dmp.signature.missing",
        E,
        META,
        "a feed carries the XAdES signature entry (classCode urn:oid:1.3.6.1.4.1.19376.1.2.1.1.1)",
        "xades-signature §3 [V GIE-EX]",
    ),
    _r("dmp.signature.count", E, META, "one signature entry per submission set", "xades-signature §3 [V GIE-EX]"),
    _r(
        "dmp.signature.codes",
        E,
        META,
        "signature entry: typeCode E1762/ASTM, formatCode xmldsig# 'Default Signature Style', event code "
        "1.2.840.10065.1.12.1.14, mimeType text/xml",
        "xades-signature §3 [V GIE-EX; V2 DBX DMP-415]",
    ),
    _r(
        "dmp.signature.signs",
        E,
        META,
        "a signs association goes from the signature entry to the SubmissionSet",
        "xades-signature §3 [V GIE-EX]",
    ),
    _r(
        "dmp.facility.practice",
        W,
        META,
        "secteur d'activité (healthcareFacilityTypeCode) coherent with the cadre d'exercice (practiceSettingCode); "
        "the full pairing is [?]: configurable table",
        "xds-metadata §3 [V2 CDT]",
        requirement="EX_GEN-1377",
    ),
    _r(
        "dmp.context.institution",
        E,
        META,
        "indirect mode or CPE: the VIHF Identifiant_Structure is the authorInstitution of a document author",
        "vihf §4 [V2 CDT, DBX FAQ]",
        message_fr="Aucun AuthorInstitution ne correspond à l'utilisateur du VIHF",
    ),
    _r(
        "dmp.context.author",
        E,
        META,
        "direct mode (not CPE): the acting professional is an authorPerson or the legalAuthenticator",
        "vihf §4 [V2 CDT]",
        requirement="EX_2.1-1140",
    ),
    _r(
        "dmp.context.submissionSetAuthor",
        W,
        META,
        "the SubmissionSet author is the sending user (direct) or structure (indirect)",
        "xds-metadata §3 (CNDA test 2.1-900) [V2 CDT]",
    ),
    _r(
        "dmp.mimeType.allowed",
        W,
        META,
        "mimeType text/xml (CDA) or application/xslt+xml (self-presenting CDA)",
        "xds-metadata §4 [V GIE-EX; V2 ANS-MAP]",
    ),
    _r(
        "dmp.repositoryUniqueId",
        W,
        REPO_META,
        "repositoryUniqueId is set by the DMP (absent from a submission or 1.2.250.1.213.4.1.1.1.2)",
        "xds-metadata §4 [V GIE-EX]",
    ),
    _r(
        "dmp.time.precision",
        W,
        META,
        "times to the second (YYYYMMDDhhmmss), as the DMP stores them",
        "xds-metadata §8 [V GIE-EX; V2 DBX]",
    ),
    _r(
        "dmp.association.allowed",
        W,
        META,
        "association types used by the DMP: HasMember, RPLC, signs, UpdateAvailabilityStatus",
        "transactions §4, §7 [I]",
    ),
    _r(
        "dmp.rplc.target",
        E,
        META,
        "RPLC targets the registry entryUUID (urn:uuid:) of the current version, fetched by TD3.1b",
        "xds-metadata §7 [V2 CDT]",
        requirement="RG_3130",
    ),
    _r(
        "dmp.query.limits",
        E,
        "XDSRegistryError",
        "at most 20 $XDSDocumentEntryUniqueId, 88 $XDSDocumentEntryEntryUUID, 1000 $uuid values per query",
        "transactions §5 [V2 DBX]",
    ),
    _r(
        "dmp.statusUpdate.transition",
        E,
        UPDATE_OP_ERROR,
        "allowed OriginalStatus → NewStatus: Approved ↔ Archived, Approved/Archived → Deleted "
        "(Deprecated → Archived is [?]: warning)",
        "xds-metadata §6.1; transactions §7.1 [V GIE-EX; V2 CDT]",
    ),
    _r(
        "dmp.statusUpdate.target",
        E,
        UPDATE_OP_ERROR,
        "UpdateAvailabilityStatus targets a registry entryUUID (urn:uuid:)",
        "transactions §7.1 [V GIE-EX]",
    ),
    _r(
        "dmp.update.status",
        E,
        UPDATE_ERROR,
        "the new version of a metadata update is Approved",
        "transactions §7.2 [V kit template]",
    ),
    _r(
        "dmp.update.authorChanged",
        E,
        META,
        "a metadata update (TD3.3a/b) does not change author data",
        "transactions §7.2 [V2 DBX DMP-468]",
        message_fr="Les données d'un auteur ne peuvent pas être modifiées",
    ),
    _r(
        "dmp.update.fieldChanged",
        E,
        META,
        "a metadata update (TD3.3a/b) changes only the confidentiality codes",
        "transactions §7.2 [V2 DRIMBOX, DBX]",
    ),
)

#: Rule id → :class:`Rule`.
RULES: Final[dict[str, Rule]] = {rule.id: rule for rule in _ALL}


def rule_table() -> list[dict[str, str]]:
    """The catalogue as rows (id, layer, severity, code, summary, French message, requirement, source)."""
    return [
        {
            "id": r.id,
            "layer": r.layer.value,
            "severity": r.severity.value,
            "code": r.code,
            "summary": r.summary,
            "message_fr": r.message_fr or "",
            "requirement": r.requirement or "",
            "source": r.source,
        }
        for r in _ALL
    ]

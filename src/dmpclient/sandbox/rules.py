"""The checks the sandbox applies, shared by the transaction handlers: rights, patient state, authorisation,
visibility of documents, authorship, confidentiality and status transitions, over-solicitation threshold.

Every refusal is a :class:`Refusal` naming the check (:data:`CHECKS`), the DMP code and the French message —
verbatim when the reference gives one, otherwise a sandbox choice marked ``[I]`` in :data:`CHECKS` and in
``docs/sandbox/behaviour.md``. Handlers turn a refusal into the transaction's channel: an HL7 v3 ``AE``
acknowledgement (TD0.2, TD1.3a, TD0.5), a proprietary ``status`` (TD0.3, TD0.4, TD1.6), an XDS
``RegistryResponse`` failure (TD2.x, TD3.x) — or a SOAP fault when :attr:`BehaviourParameters.refusals_as_faults`
is on.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Final, Literal

from dmpclient.context import (
    AccessMode,
    ActingContext,
    CardType,
    Professional,
    SoftwareIdentity,
    Structure,
)
from dmpclient.errors import DMPClientError, Finding, InputError
from dmpclient.ids import INS, InsKind, ProfessionalId, StructureId
from dmpclient.sandbox._interfaces import Caller
from dmpclient.sandbox.store import (
    AuthorizationRecord,
    AuthorizationStatus,
    DmpState,
    EntryRecord,
    PatientRecord,
)
from dmpclient.terminology import Code
from dmpclient.transactions.rights import RightDecision, RightsAction, UserProfile, check_right
from dmpclient.xds.validation import DmpParameters

__all__ = [
    "APPROVED",
    "ARCHIVED",
    "CHECKS",
    "DELETED",
    "DEPRECATED",
    "BehaviourParameters",
    "Check",
    "Refusal",
    "acting_context_of",
    "caller_key",
    "check_author",
    "check_body_patient",
    "check_consultation",
    "check_patient_for",
    "check_reading",
    "is_author",
    "is_patient_document",
    "parameter_name",
    "profile_of",
    "require_right",
    "visible_in_search",
]

APPROVED: Final = "urn:oasis:names:tc:ebxml-regrep:StatusType:Approved"
DEPRECATED: Final = "urn:oasis:names:tc:ebxml-regrep:StatusType:Deprecated"
ARCHIVED: Final = "urn:asip:ci-sis:2010:StatusType:Archived"
DELETED: Final = "urn:asip:ci-sis:2010:StatusType:Deleted"


# ------------------------------------------------------------------------------------------ catalogue


@dataclass(frozen=True, slots=True)
class Check:
    """One check of the sandbox: its DMP code, its French message (a ``str.format`` template) and the source.

    ``mark`` is the reference mark of the *answer* (code and message): ``V``/``V2`` when the reference gives
    them, ``I`` when they are a sandbox choice.
    """

    id: str
    code: str
    message_fr: str
    mark: str
    source: str
    summary: str


def _c(cid: str, code: str, message_fr: str, mark: str, source: str, summary: str) -> Check:
    return Check(cid, code, message_fr, mark, source, summary)


#: Every check of the behaviour, by id (the docs page lists them).
CHECKS: Final[dict[str, Check]] = {
    c.id: c
    for c in (
        _c(
            "patient.resource-id",
            "DMPInvalidResourceId",
            "Le champ Resource_id est incorrect : {value}",
            "V2/I",
            "errors.md §2.1 (message); transactions.md §2.2",
            "the body INS (TD0.2/TD1.3a, XDS patientId, query patientId) is the VIHF resource-id (code [I])",
        ),
        _c(
            "patient.nia",
            "DMPInvalidResourceId",
            "Le champ Resource_id est incorrect : {value}",
            "V2/I",
            "test-data.md §1; CNDA 0.2-080",
            "a NIA (OID .9) is refused",
        ),
        _c(
            "patient.unknown",
            "XDSUnknownPatientId",
            "Le patient {value} n'a pas de DMP",
            "V2/I",
            "errors.md §2.2",
            "no DMP for the INS (TD0.2 answers NF instead)",
        ),
        _c(
            "patient.closed",
            "DMPClosed",
            "Le DMP du patient est fermé",
            "I",
            "errors.md §2.2 (DMP_FERME / DMPClosed)",
            "closed DMP: no feed, no search, no update",
        ),
        _c(
            "patient.deceased",
            "DMPAccessDeniedByRightsService",
            "Le patient est décédé : le DMP est en lecture seule",
            "I",
            "test-data.md §2 (Cas 15) [?]",
            "deceased patient: read-only (parameter deceased_policy)",
        ),
        _c(
            "patient.opposition",
            "DMPAccessForbidden",
            "Le patient s'est opposé à l'accès à son DMP en mode {value}",
            "V2/I",
            "rights-matrix.md §4; CNDA 3.1-240/250",
            "opposition to bris de glace / centre 15 access",
        ),
        _c(
            "authorization.blocked",
            "DMPAccessForbidden",
            "Le patient a interdit l'accès à son DMP à ce professionnel",
            "I",
            "transactions.md §2.2",
            "PS blocked by the patient (INTERDIT): no consultation",
        ),
        _c(
            "authorization.missing",
            "DMPAccessDeniedByRightsService",
            "Le professionnel n'est pas autorisé à consulter ce DMP (autorisation {value})",
            "I",
            "transactions.md §2.2",
            "consultation needs a VALIDE authorisation (normal mode; not in centre 15; "
            "bris de glace bypasses it); feeding needs none (SC.DMP/CONF.05)",
        ),
        _c(
            "rights.matrix",
            "DMPAccessDeniedByRightsService",
            "Action « {value} » non autorisée pour ce profil ({detail})",
            "V/I",
            "rights-matrix.md (PDT-INF-526 / 606); code from PDT-INF-527 §2.9",
            "rights by authentication mode, card and profile",
        ),
        _c(
            "rights.author",
            "DMPAccessDeniedByRightsService",
            "Seul un auteur du document peut effectuer cette action ({value})",
            "I",
            "rights-matrix.md notes 6, 8, 9; EX_2.1-1140",
            "own documents only (person; structure in indirect mode or with a CPE)",
        ),
        _c(
            "rights.patient-document",
            "DMPAccessDeniedByRightsService",
            "Seul le médecin traitant peut effectuer cette action sur un document du patient",
            "I",
            "rights-matrix.md note *",
            "patient documents: MT only",
        ),
        _c(
            "threshold",
            "DMPAccessDeniedByExcededThreshold",
            "Seuil de sollicitation dépassé : trop de recherches sur ce DMP",
            "V2/I",
            "errors.md §2.2; EX_3.1-2035",
            "over-solicitation (searches by one caller on one patient in a window)",
        ),
        _c(
            "td0.3.present",
            "DMPOk",
            "Autorisation déjà présente aucune action effectuée",
            "V",
            "GIE-EX td0.3 response",
            "AJOUT on an existing authorisation",
        ),
        _c(
            "td0.3.absent",
            "DMPOk",
            "Aucune autorisation présente aucune action effectuée",
            "I",
            "by analogy with the verified message",
            "SUPPRESSION without authorisation",
        ),
        _c(
            "td0.5.too-many",
            "DMPTooManyResults",
            "Trop de résultats : veuillez affiner les critères de recherche.",
            "V2/I",
            "transactions.md §2.4",
            "TD0.5: too many candidates → AE",
        ),
        _c(
            "td2.1.metadata",
            "XDSRegistryMetadataError",
            "{value}",
            "V/V2/I",
            "xds-metadata.md §9; dmpclient.xds.validation (code and French message per rule)",
            "XDS metadata with the DMP profile: codes, forbidden codes (« Le code 'DOCPAT03' ne fait pas partie du "
            "domaine d'affinité »), author ⇄ VIHF (« Aucun AuthorInstitution ne correspond à l'utilisateur du VIHF »)",
        ),
        _c(
            "query.parameter",
            "XDSRegistryError",
            "Le format du paramètre est incorrect",
            "V2",
            "errors.md §2.3–2.4; transactions.query_error",
            "stored query: unknown id (XDSUnknownStoredQuery), "
            "missing parameter (XDSStoredQueryMissingParam), malformed value, limits 20/88/1000 (XDSRegistryError)",
        ),
        _c(
            "td2.1.signature",
            "XDSRegistryMetadataError",
            "La signature du lot de soumission est invalide : {value}",
            "I",
            "xades-signature.md §5",
            "XAdES signature and manifest re-hash",
        ),
        _c(
            "td2.1.hash",
            "XDSNonIdenticalHash",
            "Le hash du document {value} ne correspond pas à son contenu",
            "V2/I",
            "errors.md §2.4",
            "hash of each document",
        ),
        _c(
            "td2.1.size",
            "XDSNonIdenticalSize",
            "La taille du document {value} ne correspond pas à son contenu",
            "V2/I",
            "errors.md §2.4",
            "size of each document",
        ),
        _c(
            "td2.1.duplicate-document",
            "XDSNonIdenticalHash",
            "Le document {value} existe déjà avec un contenu différent",
            "V2/I",
            "errors.md §2.4",
            "uniqueId of a document already stored with other content",
        ),
        _c(
            "td2.1.duplicate-same",
            "XDSDuplicateUniqueIdInRegistry",
            "Le document {value} existe déjà",
            "I",
            "errors.md §2.4",
            "uniqueId of a document already stored (same content)",
        ),
        _c(
            "td2.1.duplicate-lot",
            "XDSDuplicateUniqueIdInRegistry",
            "Le lot de soumission {value} existe déjà",
            "V2/I",
            "errors.md §2.4",
            "uniqueId of a submission set already stored",
        ),
        _c(
            "td2.1.cda",
            "XDSRegistryMetadataError",
            "Incohérence entre l'en-tête CDA et les métadonnées : {value}",
            "I",
            "cda.md §3",
            "CDA header ⇄ XDS metadata",
        ),
        _c(
            "td2.1.cda-unreadable",
            "XDSRegistryMetadataError",
            "Le document {value} n'est pas un CDA lisible",
            "I",
            "xds-metadata.md §4",
            "the document is a CDA R2",
        ),
        _c(
            "td2.1.vaccination",
            "DMPFragmentCVAError",
            "La date et le code CIS de cette vaccination sont deja presents dans le CVA complet",
            "V2",
            "errors.md §2.3",
            "vaccination note: (CIS, date) unique in the vaccination record",
        ),
        _c(
            "td2.1.rplc-target",
            "UnresolvedReferenceException",
            "Le document remplacé {value} est introuvable",
            "I",
            "errors.md §2.4",
            "RPLC target exists",
        ),
        _c(
            "td2.1.rplc-deprecated",
            "XDSRegistryDeprecatedDocumentError",
            "Le document remplacé {value} n'est pas la version courante",
            "V2/I",
            "errors.md §2.4; RG_3130",
            "RPLC targets the current version",
        ),
        _c(
            "td2.1.rplc-patient",
            "XDSPatientIdDoesNotMatch",
            "Le document remplacé {value} appartient à un autre patient",
            "V2/I",
            "errors.md §2.4",
            "RPLC within the same DMP",
        ),
        _c(
            "td2.1.rplc-visibility",
            "XDSRegistryMetadataError",
            "Un document visible du patient ne peut pas être rendu invisible par un remplacement",
            "I",
            "xds-metadata.md §7",
            "a replacement cannot make a visible document invisible again",
        ),
        _c(
            "td2.1.size-limit",
            "XDSRepositoryError",
            "Le document {value} dépasse la taille maximale autorisée",
            "I",
            "transactions.md §4 [?]",
            "maximum document size (setting; none by default)",
        ),
        _c(
            "td3.2.entry-uuid",
            "XDSDocumentUniqueIdError",
            "L'identifiant {value} n'est pas un uniqueId de document",
            "V2/I",
            "errors.md §2.3 (SOAP fault)",
            "TD3.2 by uniqueId only",
        ),
        _c(
            "td3.2.repository",
            "XDSUnknownRepositoryId",
            "Entrepôt inconnu : {value}",
            "V2/I",
            "errors.md §2.4",
            "repositoryUniqueId is the DMP's",
        ),
        _c(
            "td3.2.missing",
            "XDSMissingDocument",
            "Document introuvable : {value}",
            "V2/I",
            "errors.md §2.4",
            "unknown (or invisible) document",
        ),
        _c(
            "td3.3.unknown",
            "UnresolvedReferenceException",
            "Document introuvable : {value}",
            "I",
            "errors.md §2.4",
            "UpdateAvailabilityStatus / metadata update target exists",
        ),
        _c(
            "td3.3.version",
            "XDSMetadataVersionError",
            "La version {value} n'est pas la version courante du document",
            "V2/I",
            "errors.md §2.4",
            "PreviousVersion / the updated entryUUID is the current version",
        ),
        _c(
            "td3.3.deprecated",
            "XDSRegistryDeprecatedDocumentError",
            "Une version obsolète ne peut pas être modifiée directement ({value})",
            "V2/I",
            "xds-metadata.md §6.1",
            "a deprecated version cannot be deleted or archived directly",
        ),
        _c(
            "td3.3.original-status",
            "XDSMetadataUpdateOperationError",
            "Le statut d'origine {value} ne correspond pas au statut du document",
            "I",
            "ITI-57",
            "OriginalStatus equals the current status",
        ),
        _c(
            "td3.3.transition",
            "XDSMetadataUpdateOperationError",
            "Changement de statut non autorisé : {value}",
            "I",
            "xds-metadata.md §6.1",
            "Approved ↔ Archived, Approved/Archived → Deleted",
        ),
        _c(
            "td3.3.author-data",
            "XDSRegistryMetadataError",
            "Les données d'un auteur ne peuvent pas être modifiées",
            "V2",
            "errors.md §2.3 (DMP-468)",
            "TD3.3a/b change confidentiality only (author data)",
        ),
        _c(
            "td3.3.field",
            "XDSRegistryMetadataError",
            "Seule la confidentialité d'un document peut être modifiée ({value})",
            "I",
            "transactions.md §7.2",
            "TD3.3a/b change confidentiality only (other fields)",
        ),
        _c(
            "td3.3.invisible",
            "XDSRegistryMetadataError",
            "Le code {value} ne peut être positionné qu'à l'alimentation",
            "I",
            "transactions.md §7.2",
            "INVISIBLE_* only removable",
        ),
    )
}


class Refusal(DMPClientError):
    """A request the DMP refuses, with the check that refused it.

    Attributes:
        check: the :class:`Check`.
        code: the DMP code answered (the check's unless overridden).
        message_fr: the French message (formatted).
        explanation: our English explanation.
        location: the field / object concerned.
        findings: every finding behind an XDS refusal (one RegistryError each).
        fault: answer a SOAP fault whatever the transaction (XDSDocumentUniqueIdError on ITI-43).
    """

    def __init__(
        self,
        check: str,
        explanation: str,
        *,
        value: object = "",
        detail: str = "",
        location: str | None = None,
        findings: Sequence[Finding] = (),
        fault: bool = False,
        code: str | None = None,
        message_fr: str | None = None,
    ) -> None:
        self.check = CHECKS[check]
        self.code = code or self.check.code
        self.message_fr = message_fr or self.check.message_fr.format(value=value, detail=detail)
        self.explanation = explanation
        self.location = location
        self.findings = list(findings)
        self.fault = fault
        super().__init__(f"{self.code}: {self.message_fr} — {explanation}")


# ---------------------------------------------------------------------------------------- parameters


@dataclass(frozen=True)
class BehaviourParameters:
    """The DMP parameters and the sandbox's own choices (admin-settable; ``docs/sandbox/behaviour.md``).

    Attributes:
        dmp: the DMP parameters file values (``cumul-invisible_patient-masque_ps``, minors management, age of
            majority).
        search_threshold: searches (TD3.1) one caller may make on one patient within ``search_window``
            before ``DMPAccessDeniedByExcededThreshold`` (the real figures are not public [?]); 0 disables.
        search_window: the sliding window of the threshold.
        deceased_policy: ``read-only`` (consultation only) or ``open`` for a deceased patient's DMP [?].
        refusals_as_faults: answer rights and patient-state refusals as SOAP faults instead of the
            transaction's business channel [?].
        td05_max_results: TD0.5 candidates above which the answer is ``AE`` (too many results) [?].
        occupational_secteurs: secteurs d'activité of an occupational physician (médecin du travail) [?].
        notify_reference_searches: also log a patient notification for TD3.1b (off: only TD3.1 notifies).
        verify_signature: verify the XAdES submission-set signature of TD2.1/TD2.2.
        signature_time: ``now`` (sandbox clock) or ``signing-time`` (the signature's SigningTime: old captures).
        max_document_size: largest document accepted (bytes), None: no limit [?].
        hide_signatures: signature documents are not returned by FindDocuments [I].
    """

    dmp: DmpParameters = field(default_factory=DmpParameters)
    search_threshold: int = 100
    search_window: dt.timedelta = dt.timedelta(minutes=10)
    deceased_policy: Literal["read-only", "open"] = "read-only"
    refusals_as_faults: bool = False
    td05_max_results: int = 20
    occupational_secteurs: frozenset[str] = frozenset({"SA13"})
    notify_reference_searches: bool = False
    verify_signature: bool = True
    signature_time: Literal["now", "signing-time"] = "now"
    max_document_size: int | None = None
    hide_signatures: bool = True

    def replace(self, **changes: Any) -> BehaviourParameters:
        """A copy with some values changed (``cumul_invisible_patient_masque_ps``, ``fonctions_gestion_mineurs``
        and ``age_majorite`` go to :attr:`dmp`)."""
        dmp_keys = {"cumul_invisible_patient_masque_ps", "fonctions_gestion_mineurs", "age_majorite"}
        dmp_changes = {k: changes.pop(k) for k in list(changes) if k in dmp_keys}
        dmp = replace(self.dmp, **dmp_changes) if dmp_changes else self.dmp
        if "search_window" in changes and not isinstance(changes["search_window"], dt.timedelta):
            changes["search_window"] = dt.timedelta(seconds=float(changes["search_window"]))
        if "occupational_secteurs" in changes:
            changes["occupational_secteurs"] = frozenset(changes["occupational_secteurs"])
        unknown = set(changes) - set(BehaviourParameters.__dataclass_fields__)
        if unknown:
            raise InputError("unknown sandbox parameter", field="parameters", value=sorted(unknown))
        return replace(self, dmp=dmp, **changes)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict (admin API), with the DMP parameter names of the parameters file."""
        return {
            "cumul-invisible_patient-masque_ps": self.dmp.cumul_invisible_patient_masque_ps,
            "fonctions-gestion-mineurs": self.dmp.fonctions_gestion_mineurs,
            "age-majorite": self.dmp.age_majorite,
            "search_threshold": self.search_threshold,
            "search_window_seconds": self.search_window.total_seconds(),
            "deceased_policy": self.deceased_policy,
            "refusals_as_faults": self.refusals_as_faults,
            "td05_max_results": self.td05_max_results,
            "occupational_secteurs": sorted(self.occupational_secteurs),
            "notify_reference_searches": self.notify_reference_searches,
            "verify_signature": self.verify_signature,
            "signature_time": self.signature_time,
            "max_document_size": self.max_document_size,
            "hide_signatures": self.hide_signatures,
        }


_PARAMETER_FILE_NAMES: Final = {
    "cumul-invisible_patient-masque_ps": "cumul_invisible_patient_masque_ps",
    "fonctions-gestion-mineurs": "fonctions_gestion_mineurs",
    "age-majorite": "age_majorite",
    "search_window_seconds": "search_window",
}


def parameter_name(name: str) -> str:
    """Python name of a parameter given in the DMP parameters-file spelling (``age-majorite``) or ours."""
    return _PARAMETER_FILE_NAMES.get(name, name.replace("-", "_"))


# -------------------------------------------------------------------------------------------- callers


def caller_key(caller: Caller) -> str:
    """Who counts as "the same caller" for the threshold: the professional at a structure."""
    return f"{caller.professional_id}@{caller.structure_id}"


def is_physician(caller: Caller) -> bool:
    """Profession 10 (Médecin)."""
    return caller.profession_code == "10"


def is_health_professional(caller: Caller) -> bool:
    """A TRE_G15 profession (not a TRE_A00 non-PS role)."""
    prof = caller.profession
    return prof is not None and prof.code_system == "1.2.250.1.71.1.2.7"


def profile_of(caller: Caller, *, is_mt: bool, params: BehaviourParameters) -> UserProfile:
    """The rights-matrix profile of a caller (MT from the authorisation store)."""
    occupational = is_physician(caller) and (caller.secteur_activite or "") in params.occupational_secteurs
    card = caller.card_type if caller.is_direct else None
    if caller.is_direct and card is None:
        card = CardType.CPS
    return UserProfile(
        authentication_mode=caller.auth_mode,
        card_type=card,
        physician=is_physician(caller),
        treating_physician=is_mt,
        occupational_physician=occupational,
        health_professional=is_health_professional(caller) and card is not CardType.CPE,
    )


def require_right(action: RightsAction, caller: Caller, *, is_mt: bool, params: BehaviourParameters) -> RightDecision:
    """The matrix decision; raises :class:`Refusal` (``rights.matrix``) when the cell is ``non``."""
    decision = check_right(action, profile_of(caller, is_mt=is_mt, params=params), caller.access_mode)
    if not decision.allowed:
        detail = f"{decision.column or caller.auth_mode.value + '/' + caller.access_mode.value}, {decision.source}"
        raise Refusal("rights.matrix", decision.explain(), value=action.label_fr, detail=detail)
    return decision


def acting_context_of(caller: Caller) -> ActingContext:
    """An :class:`~dmpclient.context.ActingContext` rebuilt from the caller, for the XDS validator's
    author ⇄ VIHF rules (names are not in the VIHF: placeholders)."""
    try:
        pid = ProfessionalId.parse(caller.professional_id)
    except InputError:
        pid = ProfessionalId.parse("899900099997")
    profession = caller.profession
    prof_code = (
        Code(profession.code, profession.code_system, profession.display_name)
        if profession
        else Code("10", "1.2.250.1.71.1.2.7")
    )
    specialty = caller.specialty
    spec_code = Code(specialty.code, specialty.code_system, specialty.display_name) if specialty else None
    professional = Professional(
        id=pid,
        family_name="?",
        given_name="?",
        profession=prof_code,
        specialty=spec_code,
        card_type=caller.card_type if caller.is_direct else None,
    )
    try:
        sid = StructureId.parse(caller.structure_id)
    except InputError:
        sid = StructureId.parse("499900099997001")
    structure = Structure(sid, "?", Code(caller.secteur_activite or "SA07", "1.2.250.1.71.4.2.4"))
    software = SoftwareIdentity(
        name=caller.software_name or "?",
        version=caller.software_version or "?",
        homologation_number=caller.homologation_number or "?",
        oid_root="1.2.250.1.999",
    )
    mode = caller.access_mode
    return ActingContext(
        professional=professional,
        structure=structure,
        authentication_mode=caller.auth_mode,
        software=software,
        access_mode=mode,
        access_reason=(caller.access_reason or "bris de glace") if mode is AccessMode.BRIS_DE_GLACE else None,
        secret_connection=caller.secret_connection,
    )


# -------------------------------------------------------------------------------------------- patients


def check_body_patient(ins: INS | None, caller: Caller, *, what: str = "INS") -> None:
    """The patient named in the body is the one of the VIHF ``resource-id`` (and never a NIA)."""
    if ins is None:
        return
    if ins.kind is InsKind.NIA:
        raise Refusal(
            "patient.nia", "a NIA (temporary INS) cannot be used to access the DMP", value=ins.to_cx(), location=what
        )
    if caller.patient is not None and caller.patient != ins:
        raise Refusal(
            "patient.resource-id",
            f"the {what} {ins.to_cx()} differs from the VIHF resource-id {caller.patient.to_cx()}",
            value=caller.patient.to_cx(),
            location=what,
        )


def check_patient_for(
    patient: PatientRecord | None,
    *,
    ins: INS,
    writing: bool,
    params: BehaviourParameters,
) -> PatientRecord:
    """The patient has an open DMP (and, for a write, is not deceased under the read-only policy)."""
    if patient is None or patient.dmp_state is DmpState.NONE:
        raise Refusal("patient.unknown", f"no DMP for {ins.to_cx()}", value=ins.matricule, location="patientId")
    if patient.dmp_state is DmpState.CLOSED:
        raise Refusal("patient.closed", f"the DMP of {ins.matricule} is closed ({patient.close_reason or 'no motif'})")
    if writing and patient.deceased and params.deceased_policy == "read-only":
        raise Refusal("patient.deceased", f"the patient died on {patient.deceased_on}: the DMP is read-only")
    return patient


def check_consultation(patient: PatientRecord, caller: Caller, authorization: AuthorizationRecord | None) -> None:
    """Consultation (TD3.1, TD3.2): oppositions to emergency access, blocked PS, authorisation status.

    Normal mode needs a ``VALIDE`` authorisation; bris de glace bypasses it (but not a block); centre 15 checks
    no authorisation (``transactions.md`` §2.2).
    """
    mode = caller.access_mode
    if mode is AccessMode.BRIS_DE_GLACE and patient.opposition_bris_de_glace:
        raise Refusal("patient.opposition", "the patient opposed bris de glace access", value="bris de glace")
    if mode is AccessMode.CENTRE_15 and patient.opposition_centre_15:
        raise Refusal("patient.opposition", "the patient opposed centre 15 (régulation) access", value="centre 15")
    if mode is AccessMode.CENTRE_15:
        return
    status = authorization.status if authorization is not None else None
    if status is AuthorizationStatus.INTERDIT:
        raise Refusal("authorization.blocked", f"{caller.professional_id} is blocked by the patient (INTERDIT)")
    if mode is AccessMode.BRIS_DE_GLACE:
        return
    if status is not AuthorizationStatus.VALIDE:
        shown = status.value if status is not None else "NON_EXISTE"
        raise Refusal(
            "authorization.missing",
            f"{caller.professional_id} has no valid authorisation on this DMP ({shown}); declare it with TD0.3",
            value=shown,
        )


# ------------------------------------------------------------------------------------------- documents


def is_author(entry: EntryRecord, caller: Caller) -> bool:
    """The caller authored the document: as a person (direct mode with a CPS/CPF) or as a structure (indirect,
    AIR, CPE: an authorInstitution is the VIHF structure)."""
    if caller.is_direct and caller.card_type is not CardType.CPE:
        people = set(entry.author_person_ids)
        if entry.metadata.legal_authenticator is not None and entry.metadata.legal_authenticator.id:
            people.add(entry.metadata.legal_authenticator.id)
        return caller.professional_id in people
    return caller.structure_id in set(entry.author_institution_ids)


def is_patient_document(entry: EntryRecord) -> bool:
    """A document of the patient (classCode 90, practice setting EXP_PATIENT)."""
    meta = entry.metadata
    return (meta.class_code is not None and meta.class_code.code == "90") or (
        meta.practice_setting_code is not None and meta.practice_setting_code.code == "EXP_PATIENT"
    )


def _has(entry: EntryRecord, code: str) -> bool:
    return code in entry.confidentiality


def visible_in_search(
    entry: EntryRecord, caller: Caller, *, patient: PatientRecord, is_mt: bool, params: BehaviourParameters
) -> bool:
    """Whether a DocumentEntry appears in the caller's search results (documents the caller may not read are
    absent, not signalled: ``rights-matrix.md`` §4).

    Masked documents (``MASQUE_PS``): authors (note 6), the MT, and in bris de glace / centre 15 only when the
    patient allowed it (note 7). Signature entries are hidden (:attr:`BehaviourParameters.hide_signatures`).
    """
    if entry.is_signature and params.hide_signatures:
        return False
    if not _has(entry, "MASQUE_PS"):
        return True
    return _masked_readable(entry, caller, patient=patient, is_mt=is_mt, params=params)[0]


def _masked_readable(
    entry: EntryRecord, caller: Caller, *, patient: PatientRecord, is_mt: bool, params: BehaviourParameters
) -> tuple[bool, RightDecision]:
    decision = check_right(
        RightsAction.TD3_2_MASKED, profile_of(caller, is_mt=is_mt, params=params), caller.access_mode
    )
    if not decision.allowed:
        return False, decision
    if "6" in decision.notes and not is_author(entry, caller):
        return False, decision
    if "7" in decision.notes and not (patient.masked_in_emergency or is_author(entry, caller)):
        return False, decision
    return True, decision


def check_reading(
    entry: EntryRecord, caller: Caller, *, patient: PatientRecord, is_mt: bool, params: BehaviourParameters
) -> None:
    """TD3.2: every category the document falls into must be readable (rights matrix rows TD3.2)."""
    profile = profile_of(caller, is_mt=is_mt, params=params)
    actions = [RightsAction.TD3_2_NOT_MASKED]
    if entry.status == ARCHIVED:
        actions.append(RightsAction.TD3_2_ARCHIVED)
    if entry.status == DEPRECATED:
        actions.append(RightsAction.TD3_2_DEPRECATED)
    if entry.status == DELETED:
        actions.append(RightsAction.TD3_2_DELETED)
    if _has(entry, "INVISIBLE_PATIENT") or _has(entry, "INVISIBLE_REPRESENTANTS_LEGAUX"):
        actions.append(RightsAction.TD3_2_INVISIBLE)
    for action in actions:
        decision = check_right(action, profile, caller.access_mode)
        if not decision.allowed:
            raise Refusal(
                "rights.matrix",
                decision.explain(),
                value=action.label_fr,
                detail=f"{decision.column}, {decision.source}",
            )
    if _has(entry, "MASQUE_PS"):
        ok, decision = _masked_readable(entry, caller, patient=patient, is_mt=is_mt, params=params)
        if not ok:
            raise Refusal(
                "rights.matrix",
                decision.explain(),
                value=RightsAction.TD3_2_MASKED.label_fr,
                detail=f"{decision.column or '-'}, {decision.source}",
            )


def check_author(entry: EntryRecord, caller: Caller, decision: RightDecision, *, is_mt: bool, what: str) -> None:
    """Restriction notes of an allowed cell: ``8`` own documents, ``9`` the structure's documents, ``*`` patient
    documents (MT only)."""
    if "*" in decision.notes and is_patient_document(entry) and not is_mt:
        raise Refusal("rights.patient-document", f"{what}: a patient document, only the MT may do this")
    if ("8" in decision.notes or "9" in decision.notes) and not is_author(entry, caller):
        who = caller.structure_id if ("9" in decision.notes or not caller.is_direct) else caller.professional_id
        raise Refusal("rights.author", f"{what}: {who} is not an author of {entry.unique_id}", value=what)

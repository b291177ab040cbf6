"""What the DMP's error codes and French messages mean, and what to do (reference ``errors.md`` §2).

Facts only: the codes and messages are the DMP's (kept verbatim); the explanations summarise the reference.
"""

from __future__ import annotations

from typing import Final

__all__ = ["CODE_EXPLANATIONS", "MESSAGE_EXPLANATIONS", "explain"]

#: DMP / IHE code → cause and what to do.
CODE_EXPLANATIONS: Final[dict[str, str]] = {
    "DMPInvalidCertificate": "the VIHF was signed with the card's authentication key instead of its signature key "
    "(or with an unsuitable certificate): sign the VIHF with the signature certificate (vihf.md §3)",
    "DMPAccessForbidden": "bris de glace or centre 15 access to a patient who opposed it: tell the user, do not "
    "retry in that mode",
    "DMPAccessDeniedByRightsService": "the rights service refused the action for this profile and mode "
    "(rights-matrix.md)",
    "DMPAccessDeniedByExcededThreshold": "over-solicitation (too many searches): stop automatic searches; feeding "
    "must not be blocked (EX_3.1-2035)",
    "DMPFragmentCVAError": "this vaccination (same CIS code and date) is already in the vaccination record",
    "XDSUnknownPatientId": "unknown patient: run TD0.2 before acting on a patient",
    "XDSDocumentUniqueIdError": "TD3.2 needs the document uniqueId, not its entryUUID",
    "XDSRegistryMetadataError": "a metadata rule is broken: run the DMP-profile validation "
    "(dmpclient xds validate) and read the French codeContext",
    "XDSRepositoryMetadataError": "a metadata rule is broken on the repository side: run the DMP-profile validation",
    "XDSNonIdenticalHash": "the XDS hash is not the SHA-1 of the exact bytes of the MIME part (or the uniqueId was "
    "already used for other content): never re-encode a document after hashing it",
    "XDSNonIdenticalSize": "the XDS size is not the byte count of the MIME part",
    "XDSMissingDocument": "a DocumentEntry has no xdsb:Document / MIME part",
    "XDSMissingDocumentMetadata": "an xdsb:Document has no DocumentEntry",
    "XDSDuplicateUniqueIdInRegistry": "a uniqueId already used (the lot sent twice?): check with TD3.1b before "
    "re-sending",
    "XDSRegistryDuplicateUniqueIdInMessage": "two objects of the message share a uniqueId",
    "XDSPatientIdDoesNotMatch": "the objects of the submission are about different patients",
    "XDSRegistryError": "generic registry error; for stored queries, often the DMP value-count limits (20 / 88 / 1000)",
    "XDSStoredQueryMissingParam": "a required stored-query parameter is missing or empty (e.g. $uuid)",
    "XDSUnknownStoredQuery": "unknown stored query id",
    "XDSRegistryDeprecatedDocumentError": "the target is not the current version: fetch the current entryUUID "
    "with TD3.1b",
    "XDSMetadataVersionError": "the update does not follow the current version: fetch it again with TD3.1b",
    "XDSMetadataUpdateError": "the metadata update is not allowed",
}

#: A fragment of a French DMP message → cause and what to do.
MESSAGE_EXPLANATIONS: Final[dict[str, str]] = {
    "VIHF expiré": "clock skew or reused token: synchronise the workstation clock (NTP) and sign one VIHF per call",
    "Resource_id est incorrect": "the VIHF resource-id is not <matricule INS 15>^^^&<INS OID>&ISO^NH with a "
    "valid key and OID",
    "Aucune spécialité dans le vihf": "médecins and pharmaciens must carry their speciality (TRE_R01) as the "
    "second role value",
    "Structure introuvable ou Inactive": "direct mode: Identifiant_Structure must be the card's structure of the "
    "chosen activity",
    "PS et Structure non liés": "direct mode: Identifiant_Structure must be the card's structure of the chosen "
    "activity",
    "Erreur d'authentification de la personne morale": "indirect mode: the VIHF structure differs from the TLS "
    "certificate's structure",
    "Aucun AuthorInstitution ne correspond": "feeding: Identifiant_Structure must equal the authorInstitution id "
    "of one document author",
    "sourcePatientInfo PID5": "the signature entry needs a non-empty sourcePatientInfo (PID-5) since SI-DMP v38-39",
    "ne fait pas partie du domaine d'affinité": "a code outside the DMP value set (typeCode …): update the value "
    "sets (dmpclient terminology)",
    "Le format du paramètre est incorrect": "a stored-query parameter is malformed (e.g. a time parameter)",
    "Not a valid signature certificate": "the VIHF was signed with an authentication certificate: use the "
    "signature certificate",
}


def explain(code: str | None, message: str | None = None) -> str | None:
    """The explanation for a DMP code, else for a known fragment of its French message, else None."""
    if code and code in CODE_EXPLANATIONS:
        return CODE_EXPLANATIONS[code]
    if message:
        for fragment, text in MESSAGE_EXPLANATIONS.items():
            if fragment.lower() in message.lower():
                return text
    return None

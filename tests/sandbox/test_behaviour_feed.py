"""DMP behaviour of TD2.1 / TD2.2 (alimentation): every check refuses the faulty submission with the DMP's code
and message and accepts the corrected one; accepted submissions are stored as the registry would."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from behaviour_support import (
    BLOCH,
    BON,
    CABINET,
    CONTESTE,
    DECEDE,
    FERMETURE,
    HALL,
    HOPITAL,
    MACHEPRO,
    MELANGE_SEBASTIEN,
    PAT_TROIS,
    PATB4,
    Harness,
    error_of,
    professional,
)

from dmpclient._xml import q
from dmpclient.cda import RawEntry, Section, StructuredBody, build_n3
from dmpclient.cda.inputs import DocumentHeaderInput, Patient
from dmpclient.context import AuthenticationMode, CardType
from dmpclient.errors import RegistryError
from dmpclient.ids import INS, OidGenerator
from dmpclient.security.pki import create_test_pki
from dmpclient.soap import SoapRequest, parse_envelope
from dmpclient.terminology import INVISIBLE_PATIENT, INVISIBLE_REPRESENTANTS_LEGAUX, MASQUE_PS, Code
from dmpclient.transactions import repository as tr
from dmpclient.transactions._base import RequestContext
from dmpclient.transactions.repository import TD2_1
from dmpclient.transactions.submission import DocumentToSubmit, PreparedSubmission
from dmpclient.xds import ebrim
from dmpclient.xds.model import AssociationType, SubmissionRequest


def accepted(h: Harness, request: SoapRequest) -> None:
    reply = h.call(request)
    assert tr.parse_provide_and_register_response(reply.ok_message).response.ok


def refused(h: Harness, request: SoapRequest) -> RegistryError:
    reply = h.call(request)
    error = error_of(tr.parse_provide_and_register_response, reply.ok_message)
    assert isinstance(error, RegistryError)
    return error


def _contents(prepared: PreparedSubmission) -> dict[str, str]:
    payload = parse_envelope(prepared.request.envelope).payload
    assert payload is not None
    out = {}
    for doc in payload.iterfind(q("xdsb", "Document")):
        include = doc.find(q("xop", "Include"))
        assert include is not None
        out[doc.get("id") or ""] = include.get("href", "")[len("cid:") :]
    return out


def rebuild(
    ctx: RequestContext,
    prepared: PreparedSubmission,
    submission: SubmissionRequest | None = None,
    *,
    patient: INS | None = None,
) -> SoapRequest:
    """The same submission (or an edited one) in a new envelope, with a fresh VIHF (for ``patient``)."""
    sub = submission or prepared.submission
    cids = _contents(prepared)
    contents = {e.content_id or "": cids[e.content_id or ""] for e in sub.documents}
    attachments = [a for a in prepared.attachments if a.content_id in contents.values()]
    body = ebrim.to_provide_and_register(sub, contents)
    return ctx.request(TD2_1, body, patient=patient or sub.submission_set.ins, attachments=attachments)


def _tamper(data: bytes) -> bytes:
    """The same CDA with another body (« de TEST » instead of « de test »: same base64 length)."""
    changed = data.replace(b"IGRlIHRlc3Qu", b"IGRlIFRFU1Qu")
    assert changed != data
    return changed


def stored_entries(h: Harness, ins: INS) -> int:
    patient = h.store.get_patient(ins)
    assert patient is not None
    return len(h.store.entries_of(patient.id))


# ------------------------------------------------------------------------------------------- accepted


def test_accepted_submission_is_stored_with_registry_ids(h: Harness) -> None:
    prepared = h.submission(PAT_TROIS)
    accepted(h, prepared.request)
    uid = prepared.document_unique_ids[0]
    entry = h.store.latest_by_unique_id(uid)
    assert entry is not None
    assert entry.entry_uuid.startswith("urn:uuid:")
    assert entry.logical_id == entry.entry_uuid
    assert entry.version == 1
    assert entry.metadata.repository_unique_id == "1.2.250.1.213.4.1.1.1.2"
    assert entry.metadata.hash == prepared.documents[0].hash
    content = h.store.get_content(uid)
    assert content is not None
    assert content.sha1 == entry.metadata.hash
    signature = h.store.latest_by_unique_id(prepared.signature_unique_id)
    assert signature is not None
    assert signature.is_signature
    lot = h.store.submission_set_by_unique_id(prepared.submission_set_unique_id)
    assert lot is not None
    assert lot.entry_uuid.startswith("urn:uuid:")
    kinds = sorted(a.type.name for a in h.store.associations_touching([lot.entry_uuid]))  # type: ignore[union-attr]
    assert kinds == ["HAS_MEMBER", "HAS_MEMBER", "SIGNS"]


def test_feeding_needs_no_authorisation_even_for_a_blocked_professional(h: Harness) -> None:
    # PAT-TROIS: NON_EXISTE; BLOCH: INTERDIT — SC.DMP/CONF.05: no authorisation to feed
    accepted(h, h.submission(PAT_TROIS).request)
    accepted(h, h.submission(BLOCH).request)


# ------------------------------------------------------------------------------------------ rights


def test_air_cannot_feed(h: Harness) -> None:
    air = h.ctx(mode=AuthenticationMode.INDIRECTE_RENFORCEE, who=professional(card=None))
    error = refused(h, h.submission(PAT_TROIS, [h.cda(PAT_TROIS, ctx=air)], ctx=air).request)
    assert error.code == "DMPAccessDeniedByRightsService"
    assert error.message_fr is not None
    assert "Alimentation d'un DMP" in error.message_fr
    indirect = h.ctx(mode=AuthenticationMode.INDIRECTE, who=professional(card=None))
    accepted(h, h.submission(PAT_TROIS, [h.cda(PAT_TROIS, ctx=indirect)], ctx=indirect).request)


def test_cpe_feeds_with_td22_for_its_structure(h: Harness) -> None:
    cpe = professional(
        ("499900063480001/CPE0001", "SECRETAIRE", "ANNE"),
        profession="SECRETARIAT_MEDICAL",
        specialty=None,
        card=CardType.CPE,
    )
    cpe_ctx = h.ctx(who=cpe)
    doctor_cda = h.cda(PAT_TROIS)  # written by Dr LIBRE at the cabinet, sent by his secretary
    prepared = h.submission(PAT_TROIS, [doctor_cda], ctx=cpe_ctx)
    reply = h.call(prepared.request)
    assert reply.td == "TD2.2"
    assert tr.parse_provide_and_register_response(reply.ok_message).response.ok
    # a document of another structure: « Aucun AuthorInstitution ne correspond à l'utilisateur du VIHF »
    hospital_doc = h.cda(PAT_TROIS, ctx=h.ctx(mode=AuthenticationMode.INDIRECTE, who=professional(card=None)))
    error = refused(h, h.submission(PAT_TROIS, [hospital_doc], ctx=cpe_ctx, validate=False).request)
    assert error.message_fr == "Aucun AuthorInstitution ne correspond à l'utilisateur du VIHF"


def test_author_institution_must_be_the_vihf_structure_in_indirect_mode(h: Harness) -> None:
    indirect = h.ctx(mode=AuthenticationMode.INDIRECTE, who=professional(card=None))
    cabinet_doc = h.cda(PAT_TROIS)  # authorInstitution = the cabinet, VIHF structure = the hospital
    error = refused(h, h.submission(PAT_TROIS, [cabinet_doc], ctx=indirect, validate=False).request)
    assert error.code == "XDSRegistryMetadataError"
    assert error.message_fr == "Aucun AuthorInstitution ne correspond à l'utilisateur du VIHF"
    accepted(h, h.submission(PAT_TROIS, [h.cda(PAT_TROIS, ctx=indirect)], ctx=indirect).request)


def test_direct_mode_acting_professional_must_be_an_author(h: Harness) -> None:
    other = h.ctx(who=professional(MACHEPRO))
    doc = h.cda(PAT_TROIS)  # authored by Dr LIBRE, sent with Dr MACHEPRO's card
    error = refused(h, h.submission(PAT_TROIS, [doc], ctx=other, validate=False).request)
    assert error.code == "XDSRegistryMetadataError"
    assert any(
        "899900062490 is neither an authorPerson nor the legalAuthenticator" in (e.code_context or "")
        for e in error.errors
    )
    accepted(h, h.submission(PAT_TROIS, [h.cda(PAT_TROIS, ctx=other)], ctx=other).request)


# ----------------------------------------------------------------------------------------- patient


def test_vihf_resource_id_must_be_the_submission_patient(h: Harness) -> None:
    ctx = h.ctx()
    prepared = h.submission(PAT_TROIS, ctx=ctx)
    error = refused(h, rebuild(ctx, prepared, patient=PATB4))
    assert error.code == "DMPInvalidResourceId"
    assert error.message_fr == f"Le champ Resource_id est incorrect : {PATB4.to_cx()}"
    accepted(h, rebuild(ctx, prepared))


def test_patient_without_dmp_closed_or_deceased(h: Harness) -> None:
    assert refused(h, h.submission(CONTESTE).request).code == "XDSUnknownPatientId"
    assert refused(h, h.submission(FERMETURE).request).code == "DMPClosed"
    deceased = refused(h, h.submission(DECEDE).request)
    assert deceased.code == "DMPAccessDeniedByRightsService"
    assert "décédé" in (deceased.message_fr or "")
    h.admin.set_parameters(deceased_policy="open")
    accepted(h, h.submission(DECEDE).request)
    h.admin.set_patient_state(FERMETURE.matricule, dmp_state="active")
    accepted(h, h.submission(FERMETURE).request)


# ------------------------------------------------------------------------------- contents, signature


def test_hash_and_size_must_match_the_parts(h: Harness) -> None:
    ctx = h.ctx()
    built = h.cda(PAT_TROIS)
    prepared = h.submission(PAT_TROIS, [built], ctx=ctx)

    def edited(**changes: Any) -> SubmissionRequest:
        sub = prepared.submission.model_copy(deep=True)
        sub.documents = [d.replace_fields(**changes) if d.unique_id == built.unique_id else d for d in sub.documents]
        return sub

    assert refused(h, rebuild(ctx, prepared, edited(hash="0" * 40))).code == "XDSNonIdenticalHash"
    assert refused(h, rebuild(ctx, prepared, edited(size=built.size + 1))).code == "XDSNonIdenticalSize"
    accepted(h, rebuild(ctx, prepared))
    assert stored_entries(h, PAT_TROIS) == 2  # the document and its signature, nothing from the refusals


def test_signature_is_required(h: Harness) -> None:
    ctx = h.ctx()
    prepared = h.submission(PAT_TROIS, ctx=ctx)
    sub = prepared.submission.model_copy(deep=True)
    signature_id = next(d.entry_uuid for d in sub.documents if d.unique_id == prepared.signature_unique_id)
    sub.documents = [d for d in sub.documents if d.entry_uuid != signature_id]
    sub.associations = [a for a in sub.associations if signature_id not in (a.source, a.target)]
    error = refused(h, rebuild(ctx, prepared, sub))
    assert error.code == "XDSRegistryMetadataError"
    assert any("signature" in (e.code_context or "").lower() for e in error.errors)
    accepted(h, rebuild(ctx, prepared))


def test_manifest_reference_is_rehashed_against_the_received_part(h: Harness) -> None:
    original = h.cda(PAT_TROIS)
    tampered = _tamper(original.read_bytes())
    assert tampered != original.read_bytes()
    # metadata hash and size match the tampered bytes; the manifest still carries the original's digest
    doc = DocumentToSubmit(tampered, manifest_digest=bytes.fromhex(original.sha256), canonical=True)
    error = refused(h, h.submission(PAT_TROIS, [doc], validate=False).request)
    assert error.code == "XDSRegistryMetadataError"
    assert error.message_fr is not None
    assert error.message_fr.startswith("La signature du lot de soumission est invalide")
    assert any(e.location == f"urn:oid:{original.unique_id}" for e in error.errors)
    accepted(h, h.submission(PAT_TROIS, [DocumentToSubmit(tampered, canonical=True)]).request)


def test_signature_from_an_untrusted_key_is_refused(h: Harness, tmp_path: Path) -> None:
    other_pki = create_test_pki(tmp_path / "other-pki")
    ctx = h.ctx()
    foreign = RequestContext(
        acting=ctx.acting,
        environment=ctx.environment,
        signer=other_pki.signer("prof-sign"),
        clock=ctx.clock,
        vihf_options=ctx.vihf_options,
        oid_generator=ctx.oid_generator,
    )
    prepared = h.submission(PAT_TROIS, ctx=foreign)
    # the VIHF must come from the trusted PKI (that is the platform's check): re-wrap with ours
    error = refused(h, rebuild(ctx, prepared))
    assert error.code == "XDSRegistryMetadataError"
    assert "signature" in (error.message_fr or "")
    accepted(h, h.submission(PAT_TROIS, ctx=ctx).request)


def test_signature_check_can_be_switched_off(h: Harness) -> None:
    original = h.cda(PAT_TROIS)
    doc = DocumentToSubmit(
        _tamper(original.read_bytes()), manifest_digest=bytes.fromhex(original.sha256), canonical=True
    )
    h.admin.set_parameters(verify_signature=False)
    accepted(h, h.submission(PAT_TROIS, [doc], validate=False).request)


# -------------------------------------------------------------------------------------- metadata, CDA


def test_forbidden_type_code_docpat(h: Harness) -> None:
    built = h.cda(PAT_TROIS)
    entry = (
        DocumentToSubmit.from_cda(built)
        .metadata()
        .replace_fields(
            type_code=Code("DOCPAT03", "1.2.250.1.213.1.1.4.12", "Document du patient"),
            class_code=Code("90", "1.2.250.1.213.1.1.4.1", "Expression personnelle du patient"),
        )
    )
    error = refused(h, h.submission(PAT_TROIS, [DocumentToSubmit(built, entry=entry)], validate=False).request)
    assert error.code == "XDSRegistryMetadataError"
    assert "Le code 'DOCPAT03' ne fait pas partie du domaine d'affinité" in {e.code_context for e in error.errors}
    accepted(h, h.submission(PAT_TROIS, [built]).request)


def test_cda_header_and_metadata_must_agree(h: Harness) -> None:
    built = h.cda(PAT_TROIS, title="Compte rendu de consultation")
    entry = DocumentToSubmit.from_cda(built).metadata().replace_fields(title="Un autre titre")
    error = refused(h, h.submission(PAT_TROIS, [DocumentToSubmit(built, entry=entry)], validate=False).request)
    assert error.code == "XDSRegistryMetadataError"
    assert error.message_fr is not None
    assert error.message_fr.startswith("Incohérence entre l'en-tête CDA")
    assert "title" in error.message_fr
    accepted(h, h.submission(PAT_TROIS, [built]).request)


def test_invisible_patient_with_masque_ps_follows_the_parameter(h: Harness) -> None:
    both = [INVISIBLE_PATIENT, MASQUE_PS]
    error = refused(h, h.submission(PAT_TROIS, validate=False, confidentiality=both).request)
    assert error.code == "XDSRegistryMetadataError"
    h.admin.set_parameters(**{"cumul-invisible_patient-masque_ps": True})
    accepted(h, h.submission(PAT_TROIS, validate=False, confidentiality=both).request)


# ------------------------------------------------------------------------------------------- duplicates


def test_document_unique_id_reused(h: Harness) -> None:
    built = h.cda(PAT_TROIS)
    accepted(h, h.submission(PAT_TROIS, [built]).request)
    same = refused(h, h.submission(PAT_TROIS, [built]).request)
    assert same.code == "XDSDuplicateUniqueIdInRegistry"
    other_content = DocumentToSubmit(_tamper(built.read_bytes()), canonical=True)
    assert refused(h, h.submission(PAT_TROIS, [other_content]).request).code == "XDSNonIdenticalHash"


class _FixedLot(OidGenerator):
    """Gives the same submission-set uniqueId every time (branch 1)."""

    def new(self, branch: int | None = None) -> str:
        return "1.2.250.1.999.1.1.7898.77.1.42" if branch == 1 else super().new(branch)


def test_submission_set_unique_id_reused(h: Harness) -> None:
    ctx = RequestContext(
        acting=h.ctx().acting,
        environment=h.ctx().environment,
        signer=h.ctx().signer,
        clock=h.clock.now,
        vihf_options=h.ctx().vihf_options,
        oid_generator=_FixedLot("1.2.250.1.999.1.1.7898.77"),
    )
    accepted(h, h.submission(PAT_TROIS, [h.cda(PAT_TROIS, ctx=ctx)], ctx=ctx).request)
    error = refused(h, h.submission(PAT_TROIS, [h.cda(PAT_TROIS, ctx=ctx)], ctx=ctx).request)
    assert error.code == "XDSDuplicateUniqueIdInRegistry"
    assert error.message_fr == "Le lot de soumission 1.2.250.1.999.1.1.7898.77.1.42 existe déjà"


# ------------------------------------------------------------------------------------------- replacement


def test_replacement_deprecates_the_previous_version(h: Harness) -> None:
    from dmpclient.sandbox.seed import seed_unique_id

    old_uid = seed_unique_id("hall-1")
    old = h.store.latest_by_unique_id(old_uid)
    assert old is not None
    new = h.cda(HALL, replaces=old_uid, set_id="1.2.250.1.999.1.1.9900.4.140")
    accepted(h, h.submission(HALL, [new], replaces={0: old.entry_uuid}).request)
    replaced = h.store.get_entry(old.entry_uuid)
    assert replaced is not None
    assert replaced.status.endswith(":Deprecated")
    current = h.store.latest_by_unique_id(new.unique_id)
    assert current is not None
    assert current.status.endswith(":Approved")
    rplc = h.store.associations_of_type(AssociationType.RPLC, target=old.entry_uuid)
    assert [a.source for a in rplc] == [current.entry_uuid]
    # the same target again: it is no longer the current version
    again = h.cda(HALL, replaces=old_uid, set_id="1.2.250.1.999.1.1.9900.4.140")
    error = refused(h, h.submission(HALL, [again], replaces={0: old.entry_uuid}).request)
    assert error.code == "XDSRegistryDeprecatedDocumentError"


def test_only_an_author_replaces(h: Harness) -> None:
    from dmpclient.sandbox.seed import seed_unique_id

    theirs = h.store.latest_by_unique_id(seed_unique_id("hall-other"))  # by Dr MACHEPRO
    assert theirs is not None
    new = h.cda(HALL, replaces=theirs.unique_id, set_id="1.2.250.1.999.1.1.9900.4.142")
    error = refused(h, h.submission(HALL, [new], replaces={0: theirs.entry_uuid}).request)
    assert error.code == "DMPAccessDeniedByRightsService"
    assert error.message_fr == "Seul un auteur du document peut effectuer cette action (remplacement)"
    machepro = h.ctx(who=professional(MACHEPRO), structure=CABINET)
    by_author = h.cda(HALL, ctx=machepro, replaces=theirs.unique_id, set_id="1.2.250.1.999.1.1.9900.4.142")
    accepted(h, h.submission(HALL, [by_author], ctx=machepro, replaces={0: theirs.entry_uuid}).request)


def test_replacement_target_must_exist_and_belong_to_the_patient(h: Harness) -> None:
    from dmpclient.sandbox.seed import seed_unique_id

    unknown = h.cda(HALL, replaces=seed_unique_id("hall-1"), set_id="1.2.3.4.5")
    error = refused(
        h, h.submission(HALL, [unknown], replaces={0: "urn:uuid:00000000-0000-4000-8000-000000000001"}).request
    )
    assert error.code == "UnresolvedReferenceException"
    foreign = h.store.latest_by_unique_id(seed_unique_id("patb4-v2"))
    assert foreign is not None
    error = refused(
        h,
        h.submission(
            HALL, [h.cda(HALL, replaces=foreign.unique_id, set_id="1.2.3.4.5")], replaces={0: foreign.entry_uuid}
        ).request,
    )
    assert error.code == "XDSPatientIdDoesNotMatch"


def test_replacement_cannot_make_a_visible_document_invisible(h: Harness) -> None:
    from dmpclient.sandbox.seed import seed_unique_id

    old = h.store.latest_by_unique_id(seed_unique_id("hall-1"))
    assert old is not None
    new = h.cda(HALL, replaces=old.unique_id, set_id="1.2.3.4.6")
    error = refused(
        h, h.submission(HALL, [new], replaces={0: old.entry_uuid}, confidentiality=[INVISIBLE_PATIENT]).request
    )
    assert error.code == "XDSRegistryMetadataError"
    assert error.message_fr == "Un document visible du patient ne peut pas être rendu invisible par un remplacement"
    accepted(h, h.submission(HALL, [new], replaces={0: old.entry_uuid}).request)


# --------------------------------------------------------------------------------- minors, vaccination


def test_secret_connection_of_a_minor_forces_invisible_to_legal_representatives(h: Harness) -> None:
    secret = h.ctx(secret=True)
    prepared = h.submission(MELANGE_SEBASTIEN, [h.cda(MELANGE_SEBASTIEN)], ctx=secret, validate=False)
    accepted(h, prepared.request)
    entry = h.store.latest_by_unique_id(prepared.document_unique_ids[0])
    assert entry is not None
    assert "INVISIBLE_REPRESENTANTS_LEGAUX" in entry.confidentiality
    # a normal connection: nothing is forced
    plain = h.submission(MELANGE_SEBASTIEN)
    accepted(h, plain.request)
    stored = h.store.latest_by_unique_id(plain.document_unique_ids[0])
    assert stored is not None
    assert "INVISIBLE_REPRESENTANTS_LEGAUX" not in stored.confidentiality
    explicit = h.submission(MELANGE_SEBASTIEN, confidentiality=[INVISIBLE_REPRESENTANTS_LEGAUX])
    accepted(h, explicit.request)


def _vaccination_note(h: Harness, patient: INS, cis: str, day: str) -> Any:
    record = h.store.get_patient(patient)
    assert record is not None
    acting = h.ctx().acting
    when = h.clock.now() - dt.timedelta(hours=1)
    header = DocumentHeaderInput.from_context(
        acting,
        patient=Patient(
            ins=patient.to_cx(),
            birth_family_name=record.birth_family_name,
            birth_given_names=record.given_names,
            sex=record.sex,  # type: ignore[arg-type]
            birth_date=record.birth_date,
        ),
        type_code="87273-9",
        title="Note de vaccination",
        service_start=when,
        author_time=when,
        effective_time=when,
        unique_id=OidGenerator("1.2.250.1.999.1.1.7898.78").new(3),
    )
    entry = (
        '<substanceAdministration xmlns="urn:hl7-org:v3" classCode="SBADM" moodCode="EVN">'
        f'<effectiveTime value="{day}"/><consumable><manufacturedProduct><manufacturedMaterial>'
        f'<code code="{cis}" codeSystem="1.2.250.1.213.2.3.1" displayName="VACCIN"/>'
        "</manufacturedMaterial></manufacturedProduct></consumable></substanceAdministration>"
    ).encode()
    body = StructuredBody(
        template_ids=("1.2.250.1.213.1.1.1.46",),
        sections=(
            Section(
                ("1.3.6.1.4.1.19376.1.5.3.1.3.23",),
                Code("11369-6", "2.16.840.1.113883.6.1"),
                "Vaccinations",
                entries=(RawEntry(entry),),
            ),
        ),
    )
    return build_n3(header, body)


def test_vaccination_already_in_the_record(h: Harness) -> None:
    duplicate = _vaccination_note(h, BON, "68747507", "20090928")  # already in BON Jean's CVA (seed)
    error = refused(h, h.submission(BON, [duplicate]).request)
    assert error.code == "DMPFragmentCVAError"
    assert error.message_fr == "La date et le code CIS de cette vaccination sont deja presents dans le CVA complet"
    fresh = _vaccination_note(h, BON, "68747507", "20240115")
    accepted(h, h.submission(BON, [fresh]).request)
    again = _vaccination_note(h, BON, "68747507", "20240115")
    assert refused(h, h.submission(BON, [again]).request).code == "DMPFragmentCVAError"


def test_maximum_document_size_setting(h: Harness) -> None:
    h.admin.set_parameters(max_document_size=100)
    error = refused(h, h.submission(PAT_TROIS).request)
    assert error.code == "XDSRepositoryError"
    h.admin.set_parameters(max_document_size=None)
    accepted(h, h.submission(PAT_TROIS).request)


def test_refusals_as_soap_faults_when_configured(h: Harness) -> None:
    h.admin.set_parameters(refusals_as_faults=True)
    reply = h.call(h.submission(CONTESTE).request)
    assert reply.fault is not None
    assert reply.fault.subcodes == ("XDSUnknownPatientId",)
    assert reply.fault.reason_fr.startswith("Le patient 153078987658513")


def test_structure_hospital_document_in_direct_mode_is_accepted(h: Harness) -> None:
    hospital_doctor = h.ctx(structure=HOPITAL)
    accepted(h, h.submission(PAT_TROIS, [h.cda(PAT_TROIS, ctx=hospital_doctor)], ctx=hospital_doctor).request)

"""Handlers of the ``habilitations`` service: TD0.3 (mise à jour de l'autorisation) and TD1.6 (liste des PS
autorisés / bloqués). The patient is the VIHF ``resource-id`` (the bodies carry no INS)."""

from __future__ import annotations

from typing import Any

from dmpclient.sandbox._interfaces import SandboxRequest
from dmpclient.sandbox.handlers._base import Env, handle
from dmpclient.sandbox.rules import CHECKS, Refusal, check_patient_for, require_right
from dmpclient.sandbox.store import AuthorizationRecord, AuthorizationStatus
from dmpclient.soap import SoapResponse
from dmpclient.transactions import habilitations as tx
from dmpclient.transactions.rights import RightsAction

__all__ = ["list_authorizations", "set_authorization"]


def _format(value: Any) -> str | None:
    return value.strftime("%Y%m%d%H%M%S") if value is not None else None


def set_authorization(env: Env, request: SandboxRequest) -> SoapResponse:
    """TD0.3: ``AJOUT`` (declare oneself authorised; the MT role sets the médecin traitant flag of a
    physician), ``SUPPRESSION`` (remove one's authorisation; with role ``MEDECIN_TRAITANT``: stop being MT).

    Refused: a blocked PS (``INTERDIT`` cannot be lifted by the PS), the modes and profiles the rights matrix
    refuses (indirect mode, bris de glace, régulation…). An existing authorisation answers ``DMPOk`` « Autorisation
    déjà présente aucune action effectuée » (official example).
    """

    def work(details: dict[str, Any]) -> SoapResponse:
        body = tx.parse_set_authorization_request(request.message)
        caller = request.caller
        ins = caller.patient
        patient = check_patient_for(env.patient(ins), ins=ins, writing=False, params=env.params) if ins else None
        if patient is None:
            raise Refusal("patient.unknown", "TD0.3 needs the patient in the VIHF resource-id", value="")
        auth = env.authorization(patient, caller.professional_id)
        mt = env.is_mt(patient, caller.professional_id)
        details["action"] = f"{body.action.value}{'/' + body.role.value if body.role else ''}"
        require_right(body.rights_action, caller, is_mt=mt, params=env.params)
        now = env.now()
        store = env.store
        if auth is not None and auth.status is AuthorizationStatus.INTERDIT:
            raise Refusal("authorization.blocked", f"{caller.professional_id} is blocked by the patient")
        wants_mt = body.role is tx.AuthorizationRole.MEDECIN_TRAITANT
        if body.action is tx.AuthorizationAction.AJOUT:
            if auth is not None and auth.status is AuthorizationStatus.VALIDE and (auth.is_mt or not wants_mt):
                context = CHECKS["td0.3.present"].message_fr
            else:
                is_mt = (wants_mt and caller.profession_code == "10") or (auth is not None and auth.is_mt)
                store.set_authorization(
                    AuthorizationRecord(
                        patient.id,
                        caller.professional_id,
                        AuthorizationStatus.VALIDE,
                        is_mt,
                        now if auth is None or auth.status is not AuthorizationStatus.VALIDE else auth.started_at,
                        now,
                        caller.structure_id or None,
                    )
                )
                context = "Autorisation ajoutée"
        elif wants_mt:
            if not mt or auth is None:
                context = CHECKS["td0.3.absent"].message_fr
            else:
                store.set_authorization(
                    AuthorizationRecord(
                        patient.id, caller.professional_id, auth.status, False, auth.started_at, now, auth.structure_id
                    )
                )
                context = "Statut de médecin traitant supprimé"
        elif auth is None:
            context = CHECKS["td0.3.absent"].message_fr
        else:
            store.delete_authorization(patient.id, caller.professional_id)
            context = "Autorisation supprimée"
        details["context"] = context
        return tx.build_set_authorization_response(
            tx.AuthorizationUpdate(status="DMPOk", context=context), request=request.message
        )

    def refuse(r: Refusal) -> SoapResponse:
        return tx.build_set_authorization_error(request.message, status=r.code, context=r.message_fr)

    return handle(env, request, work, refuse)


def list_authorizations(env: Env, request: SandboxRequest) -> SoapResponse:
    """TD1.6: the professionals authorised (``ACTIVE``) and/or blocked (``INTERDITE``) on the DMP; an expired
    authorisation is in neither list [I]. Normal access mode only (rights matrix)."""

    def work(details: dict[str, Any]) -> SoapResponse:
        mode = tx.parse_list_authorizations_request(request.message)
        caller = request.caller
        ins = caller.patient
        patient = check_patient_for(env.patient(ins), ins=ins, writing=False, params=env.params) if ins else None
        if patient is None:
            raise Refusal("patient.unknown", "TD1.6 needs the patient in the VIHF resource-id", value="")
        require_right(
            RightsAction.TD1_6_LIST_AUTHORIZATIONS,
            caller,
            is_mt=env.is_mt(patient, caller.professional_id),
            params=env.params,
        )
        wanted = {
            tx.AuthorizationListMode.ACTIVE: {AuthorizationStatus.VALIDE},
            tx.AuthorizationListMode.INTERDITE: {AuthorizationStatus.INTERDIT},
            tx.AuthorizationListMode.TOUTE: {AuthorizationStatus.VALIDE, AuthorizationStatus.INTERDIT},
        }[mode]
        items: list[tx.AuthorizationListItem] = []
        for auth in env.store.list_authorizations(patient.id):
            if auth.status not in wanted:
                continue
            prof = env.store.get_professional(auth.professional_id)
            specialty = f"G15_{prof.profession}/{prof.specialty_code}" if prof and prof.specialty_code else None
            items.append(
                tx.AuthorizationListItem(
                    national_id=auth.professional_id,
                    first_name=prof.given_name if prof else None,
                    last_name=prof.family_name if prof else None,
                    speciality_codes=(specialty,) if specialty else (),
                    speciality_labels=(prof.specialty_display,) if prof and prof.specialty_display else (),
                    start_of_authorization=_format(auth.started_at),
                    last_action_date=_format(auth.last_action_at),
                    mode="ACTIVE" if auth.status is AuthorizationStatus.VALIDE else "INTERDITE",
                    specific_rights=("MEDECIN_TRAITANT",) if auth.is_mt else (),
                )
            )
        details["count"] = len(items)
        return tx.build_list_authorizations_response(tx.AuthorizationList(items=tuple(items)), request=request.message)

    def refuse(r: Refusal) -> SoapResponse:
        return tx.build_list_authorizations_error(request.message, status=r.code, context=r.message_fr)

    return handle(env, request, work, refuse)

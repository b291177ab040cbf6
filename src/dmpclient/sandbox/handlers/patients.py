"""Handlers of the patient services: TD0.2 (test d'existence), TD1.3a (données administratives) — ``patients``;
TD0.4 (liste des DMP autorisés) — ``patientsSpecific``; TD0.5 (recherche sans INS) — ``patientsPDQ``."""

from __future__ import annotations

import datetime as dt
from typing import Any

from dmpclient.errors import InputError
from dmpclient.ids import INS
from dmpclient.sandbox._interfaces import SandboxRequest
from dmpclient.sandbox.handlers._base import Env, handle
from dmpclient.sandbox.rules import (
    DEPRECATED,
    Refusal,
    check_body_patient,
    require_right,
)
from dmpclient.sandbox.store import AuthorizationStatus, DmpState, PatientRecord
from dmpclient.soap import SoapResponse
from dmpclient.transactions import patients as tx
from dmpclient.transactions import patients_specific as tx_list
from dmpclient.transactions import pdq as tx_pdq
from dmpclient.transactions.rights import RightsAction

__all__ = ["administrative_data", "find_patients", "patient_list", "test_existence"]

_ENS_SYSTEM = "1.2.250.1.213.4.1.2.3"
_CLOSING_SYSTEM = "1.2.250.1.213.4.1.2.4"


def _traits(p: PatientRecord) -> tx.PatientTraits:
    name = tx.PersonName.create(
        p.used_family_name or p.birth_family_name,
        p.given_names[:1] if not p.used_given_name else (p.used_given_name,),
        birth_family=p.birth_family_name,
    )
    return tx.PatientTraits(name=name, gender=p.sex, birth_time=p.birth_date.strftime("%Y%m%d"))


def _dossier(p: PatientRecord) -> dict[str, Any]:
    data: dict[str, Any] = {
        "exists": True,
        "patient_ids": (tx.PatientIdentifier.of(p.ins),),
        "patient_status": "terminated" if p.dmp_state is DmpState.CLOSED else "active",
        "traits": _traits(p),
    }
    if p.dmp_state is DmpState.CLOSED:
        data["closing"] = tx.ClosingInfo(
            closed_on=p.closed_at.strftime("%Y%m%d%H%M%S") if p.closed_at else None,
            reason_code="FERMETURE_DEMANDE_PATIENT",
            reason_code_system=_CLOSING_SYSTEM,
            reason_text=p.close_reason,
        )
    return data


def _body_ins(query: tx.PatientQuery, request: SandboxRequest) -> INS:
    try:
        ins = query.ins
    except InputError:
        raise Refusal(
            "patient.resource-id",
            f"patientIdentifier {query.patient_id.extension}^{query.patient_id.root} is not a valid INS",
            value=f"{query.patient_id.extension}^^^&{query.patient_id.root}&ISO^NH",
            location="patientIdentifier",
        ) from None
    check_body_patient(ins, request.caller, what="patientIdentifier")
    return ins


def test_existence(env: Env, request: SandboxRequest) -> SoapResponse:
    """TD0.2: ``NF`` without a DMP; ``terminated`` with closing date and motif for a closed one; the caller's
    ``AUTORISATION`` (``VALIDE``/``EXPIRE``/``INTERDIT``/``NON_EXISTE``) and ``STATUT_MT``; observations
    ``RATTACHEMENT_ENS`` and ``COMPTE_INTERNET_OUVERT``."""

    def work(details: dict[str, Any]) -> SoapResponse:
        query = tx.parse_test_existence_request(request.message)
        ins = _body_ins(query, request)
        caller = request.caller
        patient = env.patient(ins)
        mt = env.is_mt(patient, caller.professional_id)
        require_right(RightsAction.TD0_2_EXISTENCE, caller, is_mt=mt, params=env.params)
        if patient is None or patient.dmp_state is DmpState.NONE:
            details["result"] = "NF"
            result = tx.ExistenceResult(exists=False)
        else:
            auth = env.authorization(patient, caller.professional_id)
            status = auth.status.value if auth is not None else tx.AuthorizationStatus.NON_EXISTE.value
            details["result"] = f"{'terminated' if patient.dmp_state is DmpState.CLOSED else 'OK'}/{status}"
            result = tx.ExistenceResult(
                **_dossier(patient),
                authorization=tx.AuthorizationStatus(status),
                treating_physician=mt,
                observations=(
                    tx.AdministrativeObservation.boolean(
                        "COMPTE_INTERNET_OUVERT", patient.internet_account, code_system=tx.INTERNET_ACCOUNT_SYSTEM
                    ),
                    tx.AdministrativeObservation.boolean("RATTACHEMENT_ENS", patient.ens_attached),
                ),
            )
        return tx.build_test_existence_response(result, request=request.message, clock=env.now)

    def refuse(r: Refusal) -> SoapResponse:
        return tx.build_test_existence_error(request.message, code=r.code, text=r.message_fr)

    return handle(env, request, work, refuse)


def administrative_data(env: Env, request: SandboxRequest) -> SoapResponse:
    """TD1.3a: the TD0.2 data plus ``deceasedInd``, address, legal representatives, birthplace and the
    oppositions ``OPPOSITION_BRIS_DE_GLACE`` / ``OPPOSITION_ACCES_URGENCE``."""

    def work(details: dict[str, Any]) -> SoapResponse:
        query = tx.parse_administrative_data_request(request.message)
        ins = _body_ins(query, request)
        caller = request.caller
        patient = env.patient(ins)
        require_right(
            RightsAction.TD1_3A_ADMINISTRATIVE_DATA,
            caller,
            is_mt=env.is_mt(patient, caller.professional_id),
            params=env.params,
        )
        if patient is None or patient.dmp_state is DmpState.NONE:
            details["result"] = "NF"
            return tx.build_administrative_data_response(
                tx.AdministrativeData(exists=False), request=request.message, clock=env.now
            )
        extra = patient.extra
        address = extra.get("address")
        reps = extra.get("legal_representatives") or []
        result = tx.AdministrativeData(
            **_dossier(patient),
            deceased=patient.deceased,
            address=tx.Address(**address) if isinstance(address, dict) else None,
            legal_representatives=tuple(tx.LegalRepresentative(**r) for r in reps if isinstance(r, dict)),
            birthplace=tx.Address(city=extra["birthplace"]) if extra.get("birthplace") else tx.Address(),
            observations=(
                tx.AdministrativeObservation.boolean("OPPOSITION_BRIS_DE_GLACE", patient.opposition_bris_de_glace),
                tx.AdministrativeObservation.boolean("OPPOSITION_ACCES_URGENCE", patient.opposition_centre_15),
                tx.AdministrativeObservation.boolean("RATTACHEMENT_ENS", patient.ens_attached),
            ),
        )
        details["result"] = "OK"
        return tx.build_administrative_data_response(result, request=request.message, clock=env.now)

    def refuse(r: Refusal) -> SoapResponse:
        return tx.build_administrative_data_error(request.message, code=r.code, text=r.message_fr)

    return handle(env, request, work, refuse)


# --------------------------------------------------------------------------------------------- TD0.4


def _parse_start(value: str) -> dt.datetime:
    fmt = {8: "%Y%m%d", 12: "%Y%m%d%H%M", 14: "%Y%m%d%H%M%S"}[len(value)]
    return dt.datetime.strptime(value, fmt).replace(tzinfo=dt.UTC)


def _dmp_date(value: dt.datetime | None) -> str | None:
    return value.astimezone(dt.UTC).strftime("%Y%m%d%H%M%S") if value is not None else None


def patient_list(env: Env, request: SandboxRequest) -> SoapResponse:
    """TD0.4: the DMPs the caller is authorised on, with a new authorisation (``LASTAUTORIZATION``) or a new
    document (``LASTDOC``) since ``startDate``. With a CPE: the authorisations of the PS of the same structure
    (note 2); with an establishment certificate: the new authorisations of the structure's PS (note 3)."""

    def work(details: dict[str, Any]) -> SoapResponse:
        query = tx_list.parse_patient_list_request(request.message)
        caller = request.caller
        decision = require_right(RightsAction.TD0_4_PATIENT_LIST, caller, is_mt=False, params=env.params)
        since = _parse_start(query.start_date)
        store = env.store
        professionals = [caller.professional_id]
        if "2" in decision.notes or "3" in decision.notes or not caller.is_direct:
            professionals = sorted({caller.professional_id, *store.professionals_of_structure(caller.structure_id)})
        by_date = query.date_type is tx_list.PatientListDateType.LASTAUTORIZATION or "3" in decision.notes
        items: list[tx_list.PatientListItem] = []
        seen: set[int] = set()
        for auth in store.authorizations_of(professionals):
            if auth.status is not AuthorizationStatus.VALIDE or auth.patient_id in seen:
                continue
            patient = store.patient_by_id(auth.patient_id)
            if patient is None or patient.dmp_state is not DmpState.ACTIVE:
                continue
            entries = [e for e in store.entries_of(patient.id, include_signatures=False) if e.status != DEPRECATED]
            last_add = max((e.created_at for e in entries if e.created_at), default=None)
            if by_date and (auth.started_at is None or auth.started_at < since):
                continue
            if query.date_type is tx_list.PatientListDateType.LASTDOC and (last_add is None or last_add < since):
                continue
            seen.add(patient.id)
            items.append(
                tx_list.PatientListItem(
                    patient_ids=(tx.PatientIdentifier.of(patient.ins),),
                    last_name=patient.used_family_name or patient.birth_family_name,
                    patronymical_name=patient.birth_family_name,
                    first_name=patient.first_given_name,
                    civility="M" if patient.sex == "M" else "MME",
                    date_of_birth=patient.birth_date.strftime("%Y%m%d"),
                    treating_physician=auth.is_mt and auth.professional_id == caller.professional_id,
                    message=False,
                    last_access_date=None,
                    last_update_date=_dmp_date(last_add),
                    last_add_date=_dmp_date(last_add),
                )
            )
        details["count"] = len(items)
        return tx_list.build_patient_list_response(tx_list.PatientList(items=tuple(items)), request=request.message)

    def refuse(r: Refusal) -> SoapResponse:
        return tx_list.build_patient_list_error(request.message, status=r.code, context=r.message_fr)

    return handle(env, request, work, refuse)


# --------------------------------------------------------------------------------------------- TD0.5


def find_patients(env: Env, request: SandboxRequest) -> SoapResponse:
    """TD0.5 (régulation only): DMPs matching names, birth date and sex; ``OPPOSITION_ACCES_URGENCE`` shown per
    candidate; more than :attr:`~dmpclient.sandbox.rules.BehaviourParameters.td05_max_results` → ``AE``."""

    def work(details: dict[str, Any]) -> SoapResponse:
        search = tx_pdq.parse_patient_search_request(request.message)
        caller = request.caller
        require_right(RightsAction.TD0_5_SEARCH_WITHOUT_INS, caller, is_mt=False, params=env.params)
        found = env.store.search_patients(family_name=search.family, given_name=search.given, sex=search.gender)
        if search.birth_date:
            found = [p for p in found if p.birth_date.strftime("%Y%m%d").startswith(search.birth_date)]
        if search.city or search.postal_code:
            found = [p for p in found if _address_matches(p, search.city, search.postal_code)]
        details["count"] = len(found)
        if len(found) > env.params.td05_max_results:
            raise Refusal("td0.5.too-many", f"{len(found)} candidates (more than {env.params.td05_max_results})")
        candidates = tuple(
            tx_pdq.PatientCandidate(
                patient_ids=(tx.PatientIdentifier.of(p.ins),),
                patient_status="terminated" if p.dmp_state is DmpState.CLOSED else "active",
                traits=_traits(p),
                match_percentage=100,
                observations=(
                    tx.AdministrativeObservation.boolean("OPPOSITION_ACCES_URGENCE", p.opposition_centre_15),
                ),
            )
            for p in found
        )
        result = tx_pdq.PatientSearchResult(
            candidates=candidates,
            query_response_code="OK" if candidates else "NF",
            total=len(candidates),
            current=len(candidates),
            remaining=0,
        )
        return tx_pdq.build_patient_search_response(result, request=request.message, clock=env.now)

    def refuse(r: Refusal) -> SoapResponse:
        if r.check.id == "td0.5.too-many":
            return tx_pdq.build_too_many_results_response(request.message)
        return tx_pdq.build_patient_search_error(request.message, code=r.code, text=r.message_fr)

    return handle(env, request, work, refuse)


def _address_matches(p: PatientRecord, city: str | None, postal_code: str | None) -> bool:
    raw = p.extra.get("address")
    address: dict[str, Any] = raw if isinstance(raw, dict) else {}
    if city and str(address.get("city", "")).upper() != city.upper():
        return False
    return not (postal_code and str(address.get("postal_code", "")) != postal_code)

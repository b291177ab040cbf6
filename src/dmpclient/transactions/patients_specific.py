"""TD0.4 — liste des DMP autorisés (``patientList`` on the ``patientsSpecific`` service, namespace
``urn:si-dmp-patients``).

The DMPs the user is authorised on, since a date: ``dateType`` ``LASTAUTORIZATION`` (new authorisations)
or ``LASTDOC`` (new documents). ``psOwnerId`` was added by ``PatientsSpecific.wsdl`` 1.0.2 (11/06/2024)
without documented meaning [?]; it is passed through as given. No patient: the VIHF has no ``resource-id``.

Restrictions (PDT-INF-526 notes 2 and 3, 606 note 3): with a CPE the list is limited to PS of the same
structure; with an establishment certificate to new authorisations by date; not in régulation mode with an
establishment certificate (the DMP enforces them; the client guard only refuses what the matrix refuses).

Four-function convention: ``build_patient_list_request`` / ``parse_patient_list_response`` (client),
``parse_patient_list_request`` / ``build_patient_list_response`` / ``build_patient_list_error`` (sandbox).
"""

from __future__ import annotations

import datetime as dt
import re
from enum import StrEnum
from typing import Final

from lxml import etree
from pydantic import BaseModel, ConfigDict, field_validator

from dmpclient._models import InputModel
from dmpclient._xml import NS, q
from dmpclient.environments import Service
from dmpclient.errors import InvalidValue, ProtocolError
from dmpclient.soap import SoapMessage, SoapRequest, SoapResponse
from dmpclient.transactions import rights
from dmpclient.transactions._base import RequestContext, register_spec
from dmpclient.transactions._hl7v3 import format_ts
from dmpclient.transactions._proprietary import (
    StatusList,
    children,
    new_body,
    parse_status_list,
    request_body,
    status_error_response,
    status_list_response,
    sub,
    sub_present,
    text,
)
from dmpclient.transactions.habilitations import parse_dmp_datetime
from dmpclient.transactions.patients import PatientIdentifier

__all__ = [
    "PAT_NS",
    "TD0_4",
    "PatientList",
    "PatientListDateType",
    "PatientListItem",
    "PatientListQuery",
    "build_patient_list_error",
    "build_patient_list_request",
    "build_patient_list_response",
    "parse_patient_list_request",
    "parse_patient_list_response",
]

#: Namespace of the ``patientsSpecific`` service.
PAT_NS: Final = NS["pat"]

TD0_4: Final = register_spec(
    "TD0.4", "patient_list", "Liste des DMP autorisés", Service.PATIENTS_SPECIFIC, q("pat", "patientList")
)

_MODEL = ConfigDict(frozen=True, extra="forbid")
_DATE_RE: Final = re.compile(r"^[0-9]{8}([0-9]{4}([0-9]{2})?)?$")


class PatientListDateType(StrEnum):
    """``dateType`` (``dateTypeEnum``; the DMP's spelling ``LASTAUTORIZATION`` is kept)."""

    LASTAUTORIZATION = "LASTAUTORIZATION"
    """DMPs with a new authorisation since the date."""
    LASTDOC = "LASTDOC"
    """DMPs with a new document since the date."""


class PatientListQuery(InputModel):
    """TD0.4 request body.

    Attributes:
        start_date: ``yyyyMMddHHmmss`` (8, 12 or 14 digits accepted).
        date_type: what the date filters.
        ps_owner_id: optional ``psOwnerId`` (WSDL 1.0.2; meaning not documented [?]).
    """

    model_config = _MODEL

    start_date: str
    date_type: PatientListDateType
    ps_owner_id: str | None = None

    @field_validator("start_date")
    @classmethod
    def _check_date(cls, value: str) -> str:
        if not _DATE_RE.match(value):
            raise ValueError("startDate must be yyyyMMdd[HHmm[ss]] digits")
        return value


class PatientListItem(BaseModel):
    """One DMP of the TD0.4 answer (``patientlistData``). Dates are the DMP's strings, kept as sent.

    Attributes:
        patient_ids: INS-C and INS (``nationalId`` / ``nationalIdType``).
        treating_physician: ``MT`` — the user is the patient's médecin traitant DMP.
        message: ``message`` flag as returned (meaning not documented publicly [?]).
    """

    model_config = _MODEL

    patient_ids: tuple[PatientIdentifier, ...] = ()
    last_name: str | None = None
    patronymical_name: str | None = None
    first_name: str | None = None
    civility: str | None = None
    date_of_birth: str | None = None
    treating_physician: bool = False
    message: bool = False
    last_access_date: str | None = None
    last_update_date: str | None = None
    last_add_date: str | None = None

    @property
    def ins(self) -> PatientIdentifier | None:
        """The INS identifier (not the INS-C), when returned."""
        return next((p for p in self.patient_ids if p.ins is not None), None)

    @property
    def last_access_at(self) -> dt.datetime | None:
        """:attr:`last_access_date` as a naive datetime."""
        return parse_dmp_datetime(self.last_access_date)

    @property
    def last_add_at(self) -> dt.datetime | None:
        """:attr:`last_add_date` as a naive datetime."""
        return parse_dmp_datetime(self.last_add_date)


class PatientList(StatusList[PatientListItem]):
    """TD0.4 result: the items (iterable, indexable, sized), status and context."""


def _start_date(value: dt.datetime | dt.date | str) -> str:
    if isinstance(value, dt.datetime):
        return format_ts(value)
    if isinstance(value, dt.date):
        return value.strftime("%Y%m%d") + "000000"
    return value


def build_patient_list_request(
    ctx: RequestContext,
    since: dt.datetime | dt.date | str,
    date_type: PatientListDateType | str = PatientListDateType.LASTAUTORIZATION,
    *,
    ps_owner_id: str | None = None,
) -> SoapRequest:
    """TD0.4 ``patientList`` (no patient; the VIHF has no ``resource-id``).

    Args:
        since: start date (an aware datetime is written in UTC, ``yyyyMMddHHmmss``; a string is sent as is).
        date_type: ``LASTAUTORIZATION`` or ``LASTDOC``.
        ps_owner_id: optional ``psOwnerId``.

    Raises:
        InvalidValue: malformed date.
        RuleViolation: refused by the rights matrix (establishment certificate in régulation mode…).
    """
    try:
        query = PatientListQuery(
            start_date=_start_date(since), date_type=PatientListDateType(date_type), ps_owner_id=ps_owner_id
        )
    except ValueError as exc:
        raise InvalidValue(str(exc).splitlines()[0], field="since", value=since, rule="TD0.4 startDate") from None
    ctx.require_right(rights.RightsAction.TD0_4_PATIENT_LIST)
    body = new_body(PAT_NS, "patientList")
    sub(body, "startDate", query.start_date)
    sub(body, "dateType", query.date_type.value)
    if query.ps_owner_id is not None:
        sub(body, "psOwnerId", query.ps_owner_id)
    return ctx.request(TD0_4, body, patient=None)


def parse_patient_list_request(message: SoapMessage) -> PatientListQuery:
    """Sandbox: read a ``patientList`` body.

    Raises:
        ProtocolError: not a ``patientList``, or missing / invalid ``startDate`` or ``dateType``.
    """
    body = request_body(message, PAT_NS, "patientList", transaction=TD0_4.td)
    try:
        return PatientListQuery(
            start_date=text(body, "startDate") or "",
            date_type=PatientListDateType(text(body, "dateType") or ""),
            ps_owner_id=text(body, "psOwnerId"),
        )
    except ValueError as exc:
        raise ProtocolError(f"TD0.4: invalid patientList request: {str(exc).splitlines()[0]}") from None


def _bool(value: str | None) -> bool:
    return (value or "").strip().lower() in ("true", "1")


def parse_patient_list_response(message: SoapMessage) -> PatientList:
    """Client: read a ``patientListResponse``.

    Raises:
        SoapFaultError: SOAP fault.
        DMPStatusError: status ≠ ``DMPOk`` (context verbatim).
    """
    return parse_status_list(
        message,
        PAT_NS,
        "patientListResponse",
        "patientlistData",
        transaction=TD0_4.td,
        item=_patient_item,
        result=PatientList,
    )


def _patient_item(node: etree._Element) -> PatientListItem:
    ids = tuple(
        PatientIdentifier(root=text(i, "nationalIdType") or "", extension=text(i, "nationalId") or "")
        for i in children(node, "patientIdentifier")
    )
    return PatientListItem(
        patient_ids=ids,
        last_name=text(node, "lastName"),
        patronymical_name=text(node, "patronymicalName"),
        first_name=text(node, "firstName"),
        civility=text(node, "civility"),
        date_of_birth=text(node, "dateOfBirth"),
        treating_physician=_bool(text(node, "MT")),
        message=_bool(text(node, "message")),
        last_access_date=text(node, "lastAccessDate"),
        last_update_date=text(node, "lastUpdateDate"),
        last_add_date=text(node, "lastAddDate"),
    )


def _fill_patient(node: etree._Element, item: PatientListItem) -> None:
    for pid in item.patient_ids:
        holder = sub(node, "patientIdentifier")
        sub(holder, "nationalId", pid.extension)
        sub(holder, "nationalIdType", pid.root)
    sub_present(
        node,
        (
            ("lastName", item.last_name),
            ("patronymicalName", item.patronymical_name),
            ("firstName", item.first_name),
            ("civility", item.civility),
            ("dateOfBirth", item.date_of_birth),
        ),
    )
    sub(node, "MT", "true" if item.treating_physician else "false")
    sub(node, "message", "true" if item.message else "false")
    sub_present(
        node,
        (
            ("lastAccessDate", item.last_access_date),
            ("lastUpdateDate", item.last_update_date),
            ("lastAddDate", item.last_add_date),
        ),
    )


def build_patient_list_response(result: PatientList, *, request: SoapMessage) -> SoapResponse:
    """Sandbox: the ``patientListResponse`` (elements in the WSDL's order)."""
    return status_list_response(
        request,
        PAT_NS,
        "patientListResponse",
        "patientlistData",
        result,
        action=TD0_4.response_action,
        context=result.context,
        fill=_fill_patient,
    )


def build_patient_list_error(request: SoapMessage, *, status: str, context: str | None) -> SoapResponse:
    """Sandbox: a TD0.4 refusal (``status`` ≠ ``DMPOk`` + French ``context``)."""
    return status_error_response(
        request, PAT_NS, "patientListResponse", action=TD0_4.response_action, status=status, context=context
    )

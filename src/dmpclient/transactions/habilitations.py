"""TD0.3 (mise à jour de l'autorisation: ``setAuthorization``) and TD1.6 (liste des PS autorisés / bloqués:
``listAuthorizationByPatient``) on the ``habilitations`` service (namespace ``urn:si-dmp-habilitations``).

The patient is identified **only** by the VIHF ``resource-id``: the bodies carry no INS
(``transactions.md`` §3). So the client passes the INS (it goes into the VIHF), and the sandbox reads the
patient from the VIHF, not from what :func:`parse_set_authorization_request` returns.

Usage rules enforced before sending (``rights-matrix.md``, PDT-INF-526/606): TD0.3 only in normal access
mode and never with an establishment certificate (indirect mode); "supprimer son autorisation" not with a
CPE; "se supprimer MT" (``SUPPRESSION`` + role ``MEDECIN_TRAITANT``) only by the MT. TD1.6 in normal mode
only, not with a CPE or an establishment certificate. The consent rules (EX_0.3-1010/1030/1040: AJOUT only
after the patient's consent and an explicit user action) are the caller's job.

Four-function convention: ``build_set_authorization_request`` / ``parse_set_authorization_response``
(client), ``parse_set_authorization_request`` / ``build_set_authorization_response`` (sandbox), and the same
with ``list_authorizations``; ``build_*_error`` give a ``status`` ≠ ``DMPOk`` response.
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Final

from lxml import etree
from pydantic import BaseModel, ConfigDict

from dmpclient._models import InputModel
from dmpclient._xml import NS, q
from dmpclient.environments import Service
from dmpclient.errors import ProtocolError
from dmpclient.ids import IDNPS_OID, INS
from dmpclient.soap import SoapMessage, SoapRequest, SoapResponse
from dmpclient.transactions import rights
from dmpclient.transactions._base import RequestContext, register_spec
from dmpclient.transactions._proprietary import (
    DMP_OK,
    StatusList,
    new_body,
    output_of,
    parse_status_list,
    request_body,
    status_error_response,
    status_list_response,
    status_response,
    sub,
    sub_present,
    text,
    texts,
)

__all__ = [
    "HAB_NS",
    "TD0_3",
    "TD1_6",
    "AuthorizationAction",
    "AuthorizationList",
    "AuthorizationListItem",
    "AuthorizationListMode",
    "AuthorizationRole",
    "AuthorizationUpdate",
    "SetAuthorizationInput",
    "build_list_authorizations_error",
    "build_list_authorizations_request",
    "build_list_authorizations_response",
    "build_set_authorization_error",
    "build_set_authorization_request",
    "build_set_authorization_response",
    "parse_dmp_datetime",
    "parse_list_authorizations_request",
    "parse_list_authorizations_response",
    "parse_set_authorization_request",
    "parse_set_authorization_response",
]

#: Namespace of the ``habilitations`` service.
HAB_NS: Final = NS["hab"]

TD0_3: Final = register_spec(
    "TD0.3",
    "set_authorization",
    "Mise à jour de l'autorisation",
    Service.HABILITATIONS,
    q("hab", "setAuthorization"),
)
TD1_6: Final = register_spec(
    "TD1.6",
    "list_authorizations",
    "Liste des PS autorisés / bloqués sur un DMP",
    Service.HABILITATIONS,
    q("hab", "listAuthorizationByPatient"),
)

_MODEL = ConfigDict(frozen=True, extra="forbid")


class AuthorizationAction(StrEnum):
    """``setAuthorization/action`` (``actionType``)."""

    AJOUT = "AJOUT"
    """Declare oneself authorised (after the patient's consent)."""
    SUPPRESSION = "SUPPRESSION"
    """Remove one's authorisation (or, with role MEDECIN_TRAITANT, stop being the MT)."""


class AuthorizationRole(StrEnum):
    """``setAuthorization/role`` (``roleType``; its only value)."""

    MEDECIN_TRAITANT = "MEDECIN_TRAITANT"


class AuthorizationListMode(StrEnum):
    """``listAuthorizationByPatient/mode`` (``modeType``)."""

    ACTIVE = "ACTIVE"
    """Authorised professionals."""
    INTERDITE = "INTERDITE"
    """Professionals blocked by the patient."""
    TOUTE = "TOUTE"
    """Both."""


class SetAuthorizationInput(InputModel):
    """TD0.3 request body: the action and the optional MT role (no patient: it is in the VIHF)."""

    model_config = _MODEL

    action: AuthorizationAction
    role: AuthorizationRole | None = None

    @property
    def rights_action(self) -> rights.RightsAction:
        """The row of the rights matrix this request falls under."""
        if self.action is AuthorizationAction.AJOUT:
            return rights.RightsAction.TD0_3_DECLARE
        if self.role is AuthorizationRole.MEDECIN_TRAITANT:
            return rights.RightsAction.TD0_3_REMOVE_MT
        return rights.RightsAction.TD0_3_REMOVE


class AuthorizationUpdate(BaseModel):
    """TD0.3 result: the status (``DMPOk``) and the DMP's context text, verbatim.

    The DMP answers ``DMPOk`` also when nothing changed (example: "Autorisation déjà présente aucune action
    effectuée"); :attr:`context` tells.
    """

    model_config = _MODEL

    status: str = DMP_OK
    context: str | None = None


class AuthorizationListItem(BaseModel):
    """One professional of TD1.6 (``listOfAuthorizationByPatient``).

    Dates are the DMP's ``yyyyMMddHHmmss`` strings, kept as sent (see :func:`parse_dmp_datetime`).
    Unknown ``mode`` values are kept (REC_GEN-1370).
    """

    model_config = _MODEL

    national_id: str | None = None
    national_id_type: str | None = IDNPS_OID
    first_name: str | None = None
    last_name: str | None = None
    speciality_codes: tuple[str, ...] = ()
    speciality_labels: tuple[str, ...] = ()
    start_of_authorization: str | None = None
    last_action_date: str | None = None
    mode: str | None = None
    specific_rights: tuple[str, ...] = ()

    @property
    def blocked(self) -> bool:
        """``mode`` = ``INTERDITE``: the patient blocked this professional."""
        return self.mode == AuthorizationListMode.INTERDITE

    @property
    def is_treating_physician(self) -> bool:
        """The professional holds the ``MEDECIN_TRAITANT`` specific right."""
        return AuthorizationRole.MEDECIN_TRAITANT.value in self.specific_rights

    @property
    def started_at(self) -> dt.datetime | None:
        """:attr:`start_of_authorization` as a datetime (None when absent or unreadable)."""
        return parse_dmp_datetime(self.start_of_authorization)

    @property
    def last_action_at(self) -> dt.datetime | None:
        """:attr:`last_action_date` as a datetime."""
        return parse_dmp_datetime(self.last_action_date)


class AuthorizationList(StatusList[AuthorizationListItem]):
    """TD1.6 result: the list (iterable, indexable, sized) plus the status and context of the answer."""


def parse_dmp_datetime(value: str | None) -> dt.datetime | None:
    """A DMP date string (``yyyyMMdd[HHmm[ss]]``) as a naive datetime; None when absent or unreadable.

    The zone is not stated by the DMP ([?]); the value is returned naive.
    """
    if not value:
        return None
    for fmt in ("%Y%m%d%H%M%S", "%Y%m%d%H%M", "%Y%m%d"):
        try:
            return dt.datetime.strptime(value.strip(), fmt)
        except ValueError:
            continue
    return None


# ------------------------------------------------------------------------------------------- TD0.3


def build_set_authorization_request(
    ctx: RequestContext,
    ins: INS,
    action: AuthorizationAction | str = AuthorizationAction.AJOUT,
    role: AuthorizationRole | str | None = None,
    *,
    treating_physician: bool | None = None,
) -> SoapRequest:
    """TD0.3 ``setAuthorization`` (patient in the VIHF only).

    Args:
        ctx: the request context.
        ins: the patient (VIHF ``resource-id``).
        action: ``AJOUT`` (after consent) or ``SUPPRESSION``.
        role: ``MEDECIN_TRAITANT`` to become MT (with AJOUT) or stop being MT (with SUPPRESSION).
        treating_physician: whether the user is the MT (TD0.2 ``STATUT_MT``), for the rights check of
            "se supprimer MT"; None = unknown (only refused when refused for both).

    Raises:
        RuleViolation: the rights matrix refuses the action for this user and access mode (PDT-INF-526/606).
        NIARefused: the INS is a NIA.
    """
    request = SetAuthorizationInput(
        action=AuthorizationAction(action), role=AuthorizationRole(role) if role is not None else None
    )
    ctx.require_patient(ins)
    ctx.require_right(request.rights_action, treating_physician=treating_physician)
    body = new_body(HAB_NS, "setAuthorization")
    sub(body, "action", request.action.value)
    if request.role is not None:
        sub(body, "role", request.role.value)
    return ctx.request(TD0_3, body, patient=ins)


def parse_set_authorization_request(message: SoapMessage) -> SetAuthorizationInput:
    """Sandbox: read a ``setAuthorization`` body (the patient is in the VIHF).

    Raises:
        ProtocolError: not a ``setAuthorization``, missing or unknown ``action`` / ``role``.
    """
    body = request_body(message, HAB_NS, "setAuthorization", transaction=TD0_3.td)
    action = text(body, "action")
    role = text(body, "role")
    try:
        return SetAuthorizationInput(
            action=AuthorizationAction(action or ""), role=AuthorizationRole(role) if role else None
        )
    except ValueError:
        raise ProtocolError(f"TD0.3: invalid action {action!r} or role {role!r}") from None


def parse_set_authorization_response(message: SoapMessage) -> AuthorizationUpdate:
    """Client: read a ``setAuthorizationResponse``.

    Raises:
        SoapFaultError: SOAP fault.
        DMPStatusError: status ≠ ``DMPOk`` (context verbatim).
    """
    _, status, context = output_of(message, HAB_NS, "setAuthorizationResponse", transaction=TD0_3.td)
    return AuthorizationUpdate(status=status, context=context)


def build_set_authorization_response(result: AuthorizationUpdate, *, request: SoapMessage) -> SoapResponse:
    """Sandbox: the ``setAuthorizationResponse``."""
    return status_response(
        request,
        HAB_NS,
        "setAuthorizationResponse",
        action=TD0_3.response_action,
        status=result.status,
        context=result.context,
    )


def build_set_authorization_error(request: SoapMessage, *, status: str, context: str | None) -> SoapResponse:
    """Sandbox: a TD0.3 refusal (``status`` ≠ ``DMPOk`` + French ``context``)."""
    return status_error_response(
        request, HAB_NS, "setAuthorizationResponse", action=TD0_3.response_action, status=status, context=context
    )


# ------------------------------------------------------------------------------------------- TD1.6


def build_list_authorizations_request(
    ctx: RequestContext,
    ins: INS,
    mode: AuthorizationListMode | str = AuthorizationListMode.TOUTE,
) -> SoapRequest:
    """TD1.6 ``listAuthorizationByPatient`` (element ``mode``; patient in the VIHF only).

    Raises:
        RuleViolation: not allowed for this user / access mode (normal mode only; no CPE, no establishment
            certificate).
        NIARefused: the INS is a NIA.
    """
    list_mode = AuthorizationListMode(mode)
    ctx.require_patient(ins)
    ctx.require_right(rights.RightsAction.TD1_6_LIST_AUTHORIZATIONS)
    body = new_body(HAB_NS, "listAuthorizationByPatient")
    sub(body, "mode", list_mode.value)
    return ctx.request(TD1_6, body, patient=ins)


def parse_list_authorizations_request(message: SoapMessage) -> AuthorizationListMode:
    """Sandbox: the requested mode (``TOUTE`` when the optional element is absent).

    Raises:
        ProtocolError: not a ``listAuthorizationByPatient`` or unknown mode.
    """
    body = request_body(message, HAB_NS, "listAuthorizationByPatient", transaction=TD1_6.td)
    mode = text(body, "mode")
    try:
        return AuthorizationListMode(mode) if mode else AuthorizationListMode.TOUTE
    except ValueError:
        raise ProtocolError(f"TD1.6: unknown mode {mode!r} (ACTIVE, INTERDITE or TOUTE)") from None


def parse_list_authorizations_response(message: SoapMessage) -> AuthorizationList:
    """Client: read a ``listAuthorizationByPatientResponse``.

    Raises:
        SoapFaultError: SOAP fault.
        DMPStatusError: status ≠ ``DMPOk`` (context verbatim).
    """
    return parse_status_list(
        message,
        HAB_NS,
        "listAuthorizationByPatientResponse",
        "listOfAuthorizationByPatient",
        transaction=TD1_6.td,
        item=_authorization_item,
        result=AuthorizationList,
    )


def _authorization_item(node: etree._Element) -> AuthorizationListItem:
    return AuthorizationListItem(
        national_id=text(node, "nationalId"),
        national_id_type=text(node, "nationalIdType"),
        first_name=text(node, "firstName"),
        last_name=text(node, "lastName"),
        speciality_codes=texts(node, "codeSpeciality"),
        speciality_labels=texts(node, "libSpeciality"),
        start_of_authorization=text(node, "startOfAuthorization"),
        last_action_date=text(node, "lastActionDate"),
        mode=text(node, "mode"),
        specific_rights=texts(node, "specificRight"),
    )


def _fill_authorization(node: etree._Element, item: AuthorizationListItem) -> None:
    sub_present(
        node,
        (
            ("nationalId", item.national_id),
            ("nationalIdType", item.national_id_type),
            ("firstName", item.first_name),
            ("lastName", item.last_name),
        ),
    )
    for code in item.speciality_codes:
        sub(node, "codeSpeciality", code)
    for label in item.speciality_labels:
        sub(node, "libSpeciality", label)
    sub_present(
        node,
        (
            ("startOfAuthorization", item.start_of_authorization),
            ("lastActionDate", item.last_action_date),
            ("mode", item.mode),
        ),
    )
    for right in item.specific_rights:
        sub(node, "specificRight", right)


def build_list_authorizations_response(result: AuthorizationList, *, request: SoapMessage) -> SoapResponse:
    """Sandbox: the ``listAuthorizationByPatientResponse`` (elements in the WSDL's order)."""
    return status_list_response(
        request,
        HAB_NS,
        "listAuthorizationByPatientResponse",
        "listOfAuthorizationByPatient",
        result,
        action=TD1_6.response_action,
        context=result.context if result.context is not None else "",
        fill=_fill_authorization,
    )


def build_list_authorizations_error(request: SoapMessage, *, status: str, context: str | None) -> SoapResponse:
    """Sandbox: a TD1.6 refusal (``status`` ≠ ``DMPOk`` + French ``context``)."""
    return status_error_response(
        request,
        HAB_NS,
        "listAuthorizationByPatientResponse",
        action=TD1_6.response_action,
        status=status,
        context=context,
    )

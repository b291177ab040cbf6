"""WS-Addressing constants, message ids and the DMP action table (reference ``transactions.md`` §1).

The DMP uses WS-Addressing 1.0 (``http://www.w3.org/2005/08/addressing``) on every call: ``Action``,
``MessageID``, ``To`` and ``ReplyTo`` on requests, ``RelatesTo`` on responses.

Some actions exist in several spellings (the official examples, the WSDLs and older notes disagree).
A client sends the examples' value (:data:`ACTIONS`); a server accepts every alias
(:func:`canonical_action`) and, when the action is empty (``PatientsSpecific.wsdl`` declares an empty
``soapAction``), dispatches on the body element (:data:`BODY_ACTIONS`).
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping
from types import MappingProxyType
from typing import Final

from dmpclient._xml import NS, q
from dmpclient.errors import InvalidValue

__all__ = [
    "ACTIONS",
    "ACTION_ALIASES",
    "ANONYMOUS",
    "BODY_ACTIONS",
    "FAULT_ACTION",
    "RESPONSE_ACTIONS",
    "WSA_NS",
    "canonical_action",
    "is_known_request_action",
    "is_uuid_urn",
    "new_message_id",
    "response_action",
]

#: WS-Addressing 1.0 namespace.
WSA_NS: Final = NS["wsa"]

#: The anonymous endpoint (``ReplyTo/Address`` of requests, ``To`` of responses).
ANONYMOUS: Final = "http://www.w3.org/2005/08/addressing/anonymous"

#: Default WS-Addressing action of a SOAP fault (W3C WS-Addressing 1.0 SOAP binding §6).
FAULT_ACTION: Final = "http://www.w3.org/2005/08/addressing/soap/fault"

_UUID_URN = re.compile(r"^urn:uuid:[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")


def new_message_id() -> str:
    """A fresh WS-Addressing MessageID: ``urn:uuid:<random UUID v4>``."""
    return f"urn:uuid:{uuid.uuid4()}"


def is_uuid_urn(value: str) -> bool:
    """True when ``value`` has the ``urn:uuid:<uuid>`` shape used by the DMP for MessageIDs."""
    return bool(_UUID_URN.match(value))


_HAB = "urn:si-dmp-habilitations:HabilitationsEndPoint:"
_PAT = "urn:si-dmp-patients:PatientSpecificEndPoint:"

#: Request action per transaction, as sent in the official examples (what a client sends).
ACTIONS: Final[Mapping[str, str]] = MappingProxyType(
    {
        "TD0.2": "urn:hl7-org:v3:PRPA_IN201307UV02",
        "TD0.3": _HAB + "setAuthorization",
        "TD0.4": _PAT + "patientList",
        "TD0.5": "urn:hl7-org:v3:PRPA_IN201305UV02",
        "TD1.3a": "urn:hl7-org:v3:PRPA_IN201307UV02",
        "TD1.3b": "urn:hl7-org:v3:PRPA_IN201314UV02",
        "TD1.4": "urn:hl7-org:v3:PRPA_IN201314UV02",
        "TD1.6": _HAB + "listAuthorizationByPatient",
        "TD2.1": "urn:ihe:iti:2007:ProvideAndRegisterDocumentSet-b",
        "TD2.2": "urn:ihe:iti:2007:ProvideAndRegisterDocumentSet-b",
        "TD3.1": "urn:ihe:iti:2007:RegistryStoredQuery",
        "TD3.1b": "urn:ihe:iti:2007:RegistryStoredQuery",
        "TD3.2": "urn:ihe:iti:2007:RetrieveDocumentSet",
        "TD3.3a": "urn:ihe:iti:2010:UpdateDocumentSet",
        "TD3.3b": "urn:ihe:iti:2010:UpdateDocumentSet",
        "TD3.3c": "urn:ihe:iti:2010:UpdateDocumentSet",
        "TD3.3d": "urn:ihe:iti:2010:UpdateDocumentSet",
    }
)

#: Response action for each request action (official examples and WSDL ``wsaw:Action``).
RESPONSE_ACTIONS: Final[Mapping[str, str]] = MappingProxyType(
    {
        "urn:hl7-org:v3:PRPA_IN201307UV02": "urn:hl7-org:v3:PRPA_IN201308UV02",
        "urn:hl7-org:v3:PRPA_IN201305UV02": "urn:hl7-org:v3:PRPA_IN201306UV02",
        "urn:hl7-org:v3:PRPA_IN201314UV02": "urn:hl7-org:v3:PRPA_IN201314ResponseUV02",
        _HAB + "setAuthorization": _HAB + "setAuthorizationResponse",
        _HAB + "listAuthorizationByPatient": _HAB + "listAuthorizationByPatientResponse",
        _PAT + "patientList": _PAT + "patientListResponse",
        "urn:ihe:iti:2007:ProvideAndRegisterDocumentSet-b": "urn:ihe:iti:2007:ProvideAndRegisterDocumentSet-bResponse",
        "urn:ihe:iti:2007:RegistryStoredQuery": "urn:ihe:iti:2007:RegistryStoredQueryResponse",
        "urn:ihe:iti:2007:RetrieveDocumentSet": "urn:ihe:iti:2007:RetrieveDocumentSetResponse",
        "urn:ihe:iti:2010:UpdateDocumentSet": "urn:ihe:iti:2010:UpdateDocumentSet-Response",
    }
)

#: Other spellings seen in the WSDLs, the GIE C# sample, older notes and the TD2.1 example's MIME
#: ``action`` parameter, mapped to the examples' value (``transactions.md`` §1, "Conflicting action
#: strings"). A server accepts them; a client never sends them.
ACTION_ALIASES: Final[Mapping[str, str]] = MappingProxyType(
    {
        "urn:hl7-org:v3:setAuthorization": _HAB + "setAuthorization",
        "urn:hl7-org:v3:listAuthorizationByPatient": _HAB + "listAuthorizationByPatient",
        "urn:ihe:iti:pdqv3:2007:PDQSupplier_Service:findCandidatesQuery": "urn:hl7-org:v3:PRPA_IN201305UV02",
        "urn:ihe:iti:xds-b:2007:RegistryStoredQuery-b": "urn:ihe:iti:2007:RegistryStoredQuery",
        "urn:ihe:iti:xds-b:2007:RegistryStoredQuery": "urn:ihe:iti:2007:RegistryStoredQuery",
        "urn:ihe:iti:xds-b:2007:ProvideAndRegisterDocumentSet-b": "urn:ihe:iti:2007:ProvideAndRegisterDocumentSet-b",
        "urn:ihe:iti:xds-b:2007:RetrieveDocumentSet": "urn:ihe:iti:2007:RetrieveDocumentSet",
        "urn:ihe:iti:xds-b:2007:RetrieveDocumentSet-b": "urn:ihe:iti:2007:RetrieveDocumentSet",
        "DocumentRepository_ProvideAndRegisterDocumentSet-b": "urn:ihe:iti:2007:ProvideAndRegisterDocumentSet-b",
        "DocumentRepository_RetrieveDocumentSet": "urn:ihe:iti:2007:RetrieveDocumentSet",
        "DocumentRegistry_RegistryStoredQuery": "urn:ihe:iti:2007:RegistryStoredQuery",
    }
)

#: Request action implied by the body element, for requests whose action is empty or missing.
BODY_ACTIONS: Final[Mapping[str, str]] = MappingProxyType(
    {
        q("hl7", "PRPA_IN201307UV02"): "urn:hl7-org:v3:PRPA_IN201307UV02",
        q("hl7", "PRPA_IN201305UV02"): "urn:hl7-org:v3:PRPA_IN201305UV02",
        q("hl7", "PRPA_IN201314UV02"): "urn:hl7-org:v3:PRPA_IN201314UV02",
        q("hab", "setAuthorization"): _HAB + "setAuthorization",
        q("hab", "listAuthorizationByPatient"): _HAB + "listAuthorizationByPatient",
        q("pat", "patientList"): _PAT + "patientList",
        q("xdsb", "ProvideAndRegisterDocumentSetRequest"): "urn:ihe:iti:2007:ProvideAndRegisterDocumentSet-b",
        q("query", "AdhocQueryRequest"): "urn:ihe:iti:2007:RegistryStoredQuery",
        q("xdsb", "RetrieveDocumentSetRequest"): "urn:ihe:iti:2007:RetrieveDocumentSet",
        q("lcm", "SubmitObjectsRequest"): "urn:ihe:iti:2010:UpdateDocumentSet",
    }
)

_KNOWN_REQUEST_ACTIONS: Final = frozenset(RESPONSE_ACTIONS)


def canonical_action(action: str | None, *, body_tag: str | None = None) -> str | None:
    """The examples' spelling of a request action (server side: accept every known alias).

    Args:
        action: the WS-Addressing ``Action`` (or the MIME ``action`` parameter) as received.
        body_tag: Clark name of the body's first element; used when ``action`` is empty or missing.

    Returns:
        The canonical action; an unknown non-empty action is returned unchanged (stripped); ``None``
        when the action is empty and the body does not tell.
    """
    value = (action or "").strip()
    if value:
        return ACTION_ALIASES.get(value, value)
    if body_tag is not None:
        return BODY_ACTIONS.get(body_tag)
    return None


def response_action(request_action: str) -> str:
    """The action a DMP response carries for a request action (aliases accepted).

    Unknown actions get ``Response`` appended (the WS-Addressing default rule).

    Raises:
        InvalidValue: the action is empty.
    """
    canonical = canonical_action(request_action)
    if not canonical:
        raise InvalidValue("an action is required", field="action", value=request_action, rule="WS-Addressing")
    return RESPONSE_ACTIONS.get(canonical, canonical + "Response")


def is_known_request_action(action: str) -> bool:
    """True when ``action`` (or an alias of it) is a current DMP request action."""
    return canonical_action(action) in _KNOWN_REQUEST_ACTIONS

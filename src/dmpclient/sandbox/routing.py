"""Routing: which transaction a request is, from the service path, the action and the body element.

Sources, in order (``transactions.md`` §1, ``envelope-and-transport.md`` §2):

1. the WS-Addressing ``Action`` (aliases accepted through :func:`~dmpclient.soap.canonical_action`); when it
   is empty — ``PatientsSpecific.wsdl`` declares an empty soapAction — the MIME ``action`` parameter, then
   the body element (:data:`~dmpclient.soap.BODY_ACTIONS`);
2. the body element must be the transaction's request element;
3. the service of the URL must be the transaction's service (an action sent to another service is answered
   like an unknown operation: ``wsa:ActionNotSupported``);
4. several transactions share action and body (TD0.2/TD1.3a, TD1.3b/TD1.4, TD2.1/TD2.2, TD3.1/TD3.1b,
   TD3.3a/b/c/d): the behaviour's discriminator is asked first, then the built-in rules of
   :func:`builtin_discriminator`.

The transaction table is :data:`dmpclient.transactions._base.TRANSACTIONS` (filled when the transaction
modules are imported: :func:`load_transactions`), completed by built-in defaults derived from the action
table of :mod:`dmpclient.soap.addressing` for any TD a module has not registered yet.
"""

from __future__ import annotations

import importlib
import logging
import pkgutil
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType
from typing import Final

from lxml import etree

from dmpclient._xml import NS, q
from dmpclient.context import CardType
from dmpclient.environments import Service
from dmpclient.sandbox._interfaces import Caller, Discriminator, SandboxFault
from dmpclient.soap import ACTION_ALIASES, ACTIONS, BODY_ACTIONS, RESPONSE_ACTIONS, SoapMessage, canonical_action
from dmpclient.transactions._base import TRANSACTIONS, TransactionSpec

__all__ = [
    "ACTION_NOT_SUPPORTED",
    "DEFAULT_SPECS",
    "Route",
    "Router",
    "builtin_discriminator",
    "load_transactions",
]

log = logging.getLogger("dmpclient.sandbox")

#: WS-Addressing fault subcode for an action the endpoint does not serve (W3C WS-A SOAP binding §6.4.2).
ACTION_NOT_SUPPORTED: Final = f"{{{NS['wsa']}}}ActionNotSupported"

_SERVICES: Final[Mapping[str, Service]] = MappingProxyType(
    {
        "TD0.2": Service.PATIENTS,
        "TD0.3": Service.HABILITATIONS,
        "TD0.4": Service.PATIENTS_SPECIFIC,
        "TD0.5": Service.PATIENTS_PDQ,
        "TD1.3a": Service.PATIENTS,
        "TD1.3b": Service.PATIENTS,
        "TD1.4": Service.PATIENTS,
        "TD1.6": Service.HABILITATIONS,
        "TD2.1": Service.REPOSITORY,
        "TD2.2": Service.REPOSITORY,
        "TD3.1": Service.REGISTRY,
        "TD3.1b": Service.REGISTRY,
        "TD3.2": Service.REPOSITORY,
        "TD3.3a": Service.REGISTRY,
        "TD3.3b": Service.REGISTRY,
        "TD3.3c": Service.REGISTRY,
        "TD3.3d": Service.REGISTRY,
    }
)
_NAMES: Final = {
    "TD0.2": ("test_existence", "Test d'existence du DMP et vérification de l'autorisation"),
    "TD0.3": ("set_authorization", "Mise à jour de l'autorisation"),
    "TD0.4": ("patient_list", "Liste des DMP autorisés"),
    "TD0.5": ("find_patients", "Recherche d'un patient sans INS"),
    "TD1.3a": ("get_patient_data", "Consultation des données administratives"),
    "TD1.3b": ("update_patient_data", "Modification des données administratives"),
    "TD1.4": ("close_dmp", "Fermeture du DMP"),
    "TD1.6": ("list_authorizations", "Liste des PS autorisés / bloqués sur un DMP"),
    "TD2.1": ("submit", "Alimentation"),
    "TD2.2": ("submit_cpe", "Alimentation par une CPE"),
    "TD3.1": ("find_documents", "Recherche de documents"),
    "TD3.1b": ("find_reference", "Recherche de la référence d'un document"),
    "TD3.2": ("retrieve", "Consultation d'un document"),
    "TD3.3a": ("hide", "Masquer / démasquer aux PS"),
    "TD3.3b": ("make_visible", "Rendre visible au patient / aux représentants légaux"),
    "TD3.3c": ("delete", "Supprimer"),
    "TD3.3d": ("archive", "Archiver / désarchiver"),
}
_BODY_OF_ACTION: Final = {action: tag for tag, action in BODY_ACTIONS.items()}


def _default_specs() -> dict[str, TransactionSpec]:
    specs = {}
    for td, action in ACTIONS.items():
        name, title = _NAMES[td]
        specs[td] = TransactionSpec(
            td=td,
            name=name,
            title=title,
            service=_SERVICES[td],
            action=action,
            response_action=RESPONSE_ACTIONS[action],
            request_body=_BODY_OF_ACTION[action],
            aliases=tuple(sorted(alias for alias, target in ACTION_ALIASES.items() if target == action)),
        )
    return specs


#: Built-in specs for every current TD, used when a transaction module has not registered its own.
DEFAULT_SPECS: Final[Mapping[str, TransactionSpec]] = MappingProxyType(_default_specs())

_loaded = False


def load_transactions() -> Mapping[str, TransactionSpec]:
    """Import every ``dmpclient.transactions`` module (they register their specs) and return the table."""
    global _loaded
    if not _loaded:
        import dmpclient.transactions as package

        for info in pkgutil.iter_modules(package.__path__):
            if info.name.startswith("_"):
                continue
            try:
                importlib.import_module(f"{package.__name__}.{info.name}")
            except Exception:  # a module under construction must not take the sandbox down
                log.exception("cannot import dmpclient.transactions.%s", info.name)
        _loaded = True
    return MappingProxyType(dict(TRANSACTIONS))


@dataclass(frozen=True, slots=True)
class Route:
    """A resolved route: the service, the canonical action and the candidate transactions (≥ 1)."""

    service: Service
    action: str
    candidates: tuple[TransactionSpec, ...]


def _fault(reason: str, subcode: str | None = None, detail: str | None = None) -> SandboxFault:
    return SandboxFault("Sender", subcode, reason, detail=detail)


class Router:
    """Maps a service path and a received message to the transaction(s) it may be.

    Args:
        services_root: the path of the services (``/si-dmp-server/v2/services`` with any prefix).
        specs: the transaction table (default: :func:`load_transactions` over :data:`DEFAULT_SPECS`).
    """

    def __init__(self, services_root: str, specs: Mapping[str, TransactionSpec] | None = None) -> None:
        self.services_root = "/" + services_root.strip("/")
        if specs is None:
            merged = dict(DEFAULT_SPECS)
            merged.update(load_transactions())
            specs = merged
        self.specs: Mapping[str, TransactionSpec] = MappingProxyType(dict(specs))
        self._by_action: dict[str, list[TransactionSpec]] = {}
        for spec in self.specs.values():
            for action in {spec.action, *spec.aliases}:
                canonical = canonical_action(action) or action
                bucket = self._by_action.setdefault(canonical, [])
                if spec not in bucket:
                    bucket.append(spec)

    def service_for_path(self, path: str) -> Service | None:
        """The service named by ``path`` (``…/services/registry``), or None when it is not a service path."""
        root = self.services_root
        if not path.startswith(root + "/"):
            return None
        name = path[len(root) + 1 :].strip("/")
        try:
            return Service(name)
        except ValueError:
            return None

    def service_path(self, service: Service) -> str:
        """The HTTP path of a service."""
        return f"{self.services_root}/{service.value}"

    def resolve(self, service: Service, message: SoapMessage) -> Route:
        """The route of a message received on ``service``.

        Raises:
            SandboxFault: empty body, unknown action, body not the action's message, or an action of another
                service (``wsa:ActionNotSupported``).
        """
        envelope = message.envelope
        tag = envelope.payload_tag
        if tag is None:
            raise _fault("Le corps du message SOAP est vide", detail="the SOAP Body has no element")
        raw = envelope.action or message.params.get("action") or _root_part_action(message)
        action = canonical_action(raw, body_tag=tag)
        if action is None:
            raise _fault(
                f"Message non reconnu : {etree.QName(tag).localname}",
                ACTION_NOT_SUPPORTED,
                detail=f"no action and no transaction whose request element is {tag}",
            )
        by_action = self._by_action.get(action, [])
        if not by_action:
            raise _fault(
                f"L'action {raw} n'est pas supportée",
                ACTION_NOT_SUPPORTED,
                detail=f"unknown action {raw!r}",
            )
        by_body = [s for s in by_action if s.request_body == tag]
        if not by_body:
            expected = sorted({etree.QName(s.request_body).localname for s in by_action})
            raise _fault(
                f"Le message {etree.QName(tag).localname} ne correspond pas à l'action {action}",
                detail=f"action {action} expects {', '.join(expected)}; the body holds {tag}",
            )
        here = [s for s in by_body if s.service is service]
        if not here:
            expected_services = sorted({s.service.value for s in by_body})
            raise _fault(
                f"L'action {action} n'est pas supportée par le service {service.value}",
                ACTION_NOT_SUPPORTED,
                detail=f"{', '.join(s.td for s in by_body)} is served by {', '.join(expected_services)}",
            )
        return Route(service, action, tuple(here))

    def choose(
        self,
        route: Route,
        message: SoapMessage,
        caller: Caller,
        discriminator: Discriminator | None = None,
        *,
        handled: Sequence[str] = (),
    ) -> TransactionSpec:
        """Pick the transaction among the route's candidates (behaviour's discriminator, then built-in rules).

        Args:
            handled: TD ids that have a handler; when the rules cannot decide, the first candidate with a
                handler wins.
        """
        candidates = route.candidates
        if len(candidates) == 1:
            return candidates[0]
        if discriminator is not None:
            chosen = discriminator(candidates, message, caller)
            if chosen is not None and chosen in candidates:
                return chosen
        chosen = builtin_discriminator(candidates, message, caller)
        if chosen is not None:
            return chosen
        return next((c for c in candidates if c.td in handled), candidates[0])


def _root_part_action(message: SoapMessage) -> str | None:
    from dmpclient.soap import parse_content_type

    root_type = next((v for n, v in message.root_headers if n.lower() == "content-type"), None)
    if not root_type:
        return None
    _, params = parse_content_type(root_type)
    inner = params.get("type")
    if inner:
        _, inner_params = parse_content_type(inner)
        if inner_params.get("action"):
            return inner_params["action"]
    return params.get("action")


_REASON_TD: Final = {
    "TEST_EXST": "TD0.2",
    "CNSLT_DATA": "TD1.3a",
    "MODIF_DATA": "TD1.3b",
    "FERM": "TD1.4",
}
_GET_DOCUMENTS: Final = "urn:uuid:5c4f972b-d56b-40ac-a5fc-c8ca9b40b9d4"
_UPDATE_AVAILABILITY: Final = "urn:ihe:iti:2010:AssociationType:UpdateAvailabilityStatus"


def _slot_values(parent: etree._Element, name: str) -> list[str]:
    for slot in parent.iterfind(q("rim", "Slot")):
        if slot.get("name") == name:
            return [(v.text or "").strip() for v in slot.iterfind(f"{q('rim', 'ValueList')}/{q('rim', 'Value')}")]
    return []


def builtin_discriminator(
    candidates: Sequence[TransactionSpec], message: SoapMessage, caller: Caller
) -> TransactionSpec | None:
    """The platform's rules for transactions sharing action and body element.

    * HL7 v3 ``controlActProcess/reasonCode``: ``TEST_EXST`` → TD0.2, ``CNSLT_DATA`` → TD1.3a,
      ``MODIF_DATA`` → TD1.3b, ``FERM`` → TD1.4;
    * ITI-41: a CPE (DIRECTE, card guessed from the VIHF) → TD2.2, otherwise TD2.1;
    * ITI-18: ``GetDocuments`` with ``returnType="ObjectRef"`` → TD3.1b, otherwise TD3.1;
    * ITI-57: ``UpdateAvailabilityStatus`` to ``…Deleted`` → TD3.3c, to another status → TD3.3d; a new
      metadata version → TD3.3a (TD3.3b needs the previous version: the behaviour's discriminator decides).

    Returns None when no rule applies (or the rule's TD is not among the candidates).
    """
    by_td = {c.td: c for c in candidates}
    payload = message.envelope.payload
    if payload is None:
        return None
    tag = payload.tag
    td: str | None = None
    if tag in (q("hl7", "PRPA_IN201307UV02"), q("hl7", "PRPA_IN201314UV02")):
        reason = payload.find(f"{q('hl7', 'controlActProcess')}/{q('hl7', 'reasonCode')}")
        code = reason.get("code") if reason is not None else None
        td = _REASON_TD.get(code or "")
    elif tag == q("xdsb", "ProvideAndRegisterDocumentSetRequest"):
        td = "TD2.2" if caller.is_direct and caller.card_type is CardType.CPE else "TD2.1"
    elif tag == q("query", "AdhocQueryRequest"):
        option = payload.find(q("query", "ResponseOption"))
        query = payload.find(q("rim", "AdhocQuery"))
        object_ref = option is not None and option.get("returnType") == "ObjectRef"
        get_documents = query is not None and query.get("id") == _GET_DOCUMENTS
        td = "TD3.1b" if object_ref and get_documents else "TD3.1"
    elif tag == q("lcm", "SubmitObjectsRequest"):
        objects = payload.find(q("rim", "RegistryObjectList"))
        statuses: list[str] = []
        if objects is not None:
            for association in objects.iterfind(q("rim", "Association")):
                if association.get("associationType") == _UPDATE_AVAILABILITY:
                    statuses.extend(_slot_values(association, "NewStatus"))
        if statuses:
            td = "TD3.3c" if any(s.endswith(":Deleted") for s in statuses) else "TD3.3d"
        elif objects is not None and objects.find(q("rim", "ExtrinsicObject")) is not None:
            td = "TD3.3a"
    return by_td.get(td) if td else None

"""Which DMP transaction a captured message belongs to (request or response).

The registry of the transaction modules (:data:`dmpclient.transactions._base.TRANSACTIONS`) is the source of
truth: every ``dmpclient.transactions`` module is imported so that it registers. The few messages no module
offers — legacy TD1.3b/TD1.4, retired TD1.5a/b/d, the INSi teleservice of the same example package, and any
current transaction whose module is not loadable — come from :data:`FALLBACK`. Responses, which the specs do
not describe, are recognised through :data:`RESPONSE_BODIES` and the response actions.

Recognition uses the WS-Addressing action (aliases accepted), the body element and, where several
transactions share a body, the discriminator: the HL7 v3 reasonCode (TD0.2/TD1.3a, TD1.3b/TD1.4, echoed in
the responses), the stored query (TD3.1/TD3.1b), the ITI-57 content (TD3.3a/b/c/d), the card type in the
VIHF (TD2.1/TD2.2).
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Final, Literal

from lxml import etree

from dmpclient._xml import NS, q
from dmpclient.soap import ACTIONS, RESPONSE_ACTIONS, SoapMessage, canonical_action

__all__ = [
    "FALLBACK",
    "RESPONSE_BODIES",
    "Known",
    "Recognition",
    "known_transactions",
    "recognise",
    "transaction_function",
]

_HL7 = NS["hl7"]
_INSI_PREFIX: Final = "http://www.cnamts.fr/INSi"
_INSI_ACTION_PREFIX: Final = "urn:ServiceIdentiteCertifiee:"
_PAT = "urn:si-dmp-patients:PatientSpecificEndPoint:"


@dataclass(frozen=True, slots=True)
class Known:
    """What inspection knows about one transaction."""

    td: str
    title: str
    status: str = "current"
    name: str | None = None
    request_body: str | None = None
    action: str | None = None
    aliases: tuple[str, ...] = ()
    module: str | None = None


#: Transactions that no module registers (legacy, retired, not DMP) or that a module may not offer yet.
FALLBACK: Final[tuple[Known, ...]] = (
    Known(
        "TD0.4",
        "Liste des DMP autorisés",
        name="patient_list",
        request_body=q("pat", "patientList"),
        action=ACTIONS["TD0.4"],
    ),
    Known(
        "TD0.5",
        "Recherche d'un patient sans INS",
        name="find_patients",
        request_body=q("hl7", "PRPA_IN201305UV02"),
        action=ACTIONS["TD0.5"],
        aliases=("urn:ihe:iti:pdqv3:2007:PDQSupplier_Service:findCandidatesQuery",),
    ),
    Known(
        "TD1.3b",
        "Modification des données administratives",
        status="legacy",
        request_body=q("hl7", "PRPA_IN201314UV02"),
        action=ACTIONS["TD1.3b"],
    ),
    Known(
        "TD1.4",
        "Fermeture du DMP",
        status="legacy",
        request_body=q("hl7", "PRPA_IN201314UV02"),
        action=ACTIONS["TD1.4"],
    ),
    Known(
        "TD1.5a",
        "Création du compte internet patient",
        status="retired",
        request_body=q("pat", "createPatientAccess"),
        action=_PAT + "createPatientAccess",
    ),
    Known(
        "TD1.5b",
        "Ajout d'un canal OTP",
        status="retired",
        request_body=q("pat", "patientOTPUpdate"),
        action=_PAT + "patientOTPUpdate",
    ),
    Known(
        "TD1.5d",
        "Mise à jour du compte internet patient",
        status="retired",
        request_body=q("pat", "updatePatientAccess"),
        action=_PAT + "updatePatientAccess",
    ),
    Known("INSi", "Téléservice INSi (not a DMP transaction)", status="not-dmp"),
)

#: Response body element per transaction (the specs only describe requests).
RESPONSE_BODIES: Final[dict[str, tuple[str, ...]]] = {
    "TD0.2": (q("hl7", "PRPA_IN201308UV02"),),
    "TD1.3a": (q("hl7", "PRPA_IN201308UV02"),),
    "TD0.3": (q("hab", "setAuthorizationResponse"),),
    "TD0.4": (q("pat", "patientListResponse"),),
    "TD0.5": (q("hl7", "PRPA_IN201306UV02"),),
    "TD1.3b": (q("gdp", "PRPA_IN201314UV02_Response"), q("hl7", "PRPA_IN201315UV02"), q("hl7", "PRPA_IN201316UV02")),
    "TD1.4": (q("gdp", "PRPA_IN201314UV02_Response"), q("hl7", "PRPA_IN201315UV02"), q("hl7", "PRPA_IN201316UV02")),
    "TD1.5a": (q("pat", "createPatientAccessResponse"),),
    "TD1.5b": (q("pat", "patientOTPUpdateResponse"),),
    "TD1.5d": (q("pat", "updatePatientAccessResponse"),),
    "TD1.6": (q("hab", "listAuthorizationByPatientResponse"),),
    "TD2.1": (q("rs", "RegistryResponse"),),
    "TD2.2": (q("rs", "RegistryResponse"),),
    "TD3.1": (q("query", "AdhocQueryResponse"),),
    "TD3.1b": (q("query", "AdhocQueryResponse"),),
    "TD3.2": (q("xdsb", "RetrieveDocumentSetResponse"),),
    "TD3.3a": (q("rs", "RegistryResponse"),),
    "TD3.3b": (q("rs", "RegistryResponse"),),
    "TD3.3c": (q("rs", "RegistryResponse"),),
    "TD3.3d": (q("rs", "RegistryResponse"),),
}

_REASON_CODES: Final = {"TEST_EXST": "TD0.2", "CNSLT_DATA": "TD1.3a", "MODIF_DATA": "TD1.3b", "FERM": "TD1.4"}
_GET_DOCUMENTS: Final = "urn:uuid:5c4f972b-d56b-40ac-a5fc-c8ca9b40b9d4"
_RESPONSE_TAGS: Final = frozenset(t for tags in RESPONSE_BODIES.values() for t in tags)

_loaded: list[str] = []
_load_errors: dict[str, str] = {}


def _load_modules() -> None:
    """Import every transaction module once, so that each registers its specs."""
    if _loaded:
        return
    import dmpclient.transactions as package

    for info in pkgutil.iter_modules(package.__path__):
        if info.name.startswith("_"):
            continue
        full = f"{package.__name__}.{info.name}"
        try:
            importlib.import_module(full)
            _loaded.append(full)
        except Exception as exc:  # a module being written must not break inspection of the others
            _load_errors[full] = f"{type(exc).__name__}: {exc}"
    _loaded.append("")


def known_transactions() -> dict[str, Known]:
    """Every transaction inspection can recognise: the registered specs first, then :data:`FALLBACK`."""
    _load_modules()
    from dmpclient.transactions._base import TRANSACTIONS

    out: dict[str, Known] = {}
    for spec in TRANSACTIONS.values():
        out[spec.td] = Known(
            spec.td,
            spec.title,
            name=spec.name,
            request_body=spec.request_body,
            action=spec.action,
            aliases=spec.aliases,
        )
    for known in FALLBACK:
        out.setdefault(known.td, known)
    return out


def transaction_function(known: Known, direction: Literal["request", "response"]) -> Callable[..., Any] | None:
    """``parse_<name>_<direction>`` from a loaded transaction module, when one exists."""
    if known.name is None:
        return None
    _load_modules()
    import sys

    wanted = f"parse_{known.name}_{direction}"
    for module_name in _loaded:
        module = sys.modules.get(module_name) if module_name else None
        func = getattr(module, wanted, None) if module is not None else None
        if callable(func):
            return func  # type: ignore[no-any-return]
    return None


def load_errors() -> dict[str, str]:
    """Transaction modules that could not be imported (name → error), for the report details."""
    _load_modules()
    return dict(_load_errors)


@dataclass
class Recognition:
    """The outcome: direction, candidates (best first), the chosen one and the reasons."""

    direction: Literal["request", "response", "unknown"]
    candidates: list[str]
    td: str | None
    reasons: list[str]
    warnings: list[str]


def _local(el: etree._Element | None) -> str:
    return etree.QName(el).localname if el is not None and isinstance(el.tag, str) else ""


def _is_insi(tag: str | None) -> bool:
    """A body element of the INSi teleservice (namespace ``http://www.cnamts.fr/INSi…``)."""
    return tag is not None and tag.startswith(f"{{{_INSI_PREFIX}")


def _reason_code(payload: etree._Element) -> str | None:
    for el in payload.iter(f"{{{_HL7}}}reasonCode"):
        code = el.get("code")
        if code:
            return code
    return None


def direction_of(
    message: SoapMessage, hint: Literal["request", "response"] | None
) -> Literal["request", "response", "unknown"]:
    """Request or response, from the HTTP start line when there is one, else from the message."""
    if hint is not None:
        return hint
    env = message.envelope
    tag = env.payload_tag
    if env.is_fault or env.relates_to or tag in _RESPONSE_TAGS:
        return "response"
    action = canonical_action(env.action)
    if action in RESPONSE_ACTIONS.values() or (action or "").endswith("Response"):
        return "response"
    if env.assertion is not None or action in RESPONSE_ACTIONS:
        return "request"
    if tag is not None and any(k.request_body == tag for k in known_transactions().values()):
        return "request"
    if _is_insi(tag):
        return "response" if _local(env.payload) == "RESULTAT" else "request"
    return "unknown"


def recognise(
    message: SoapMessage,
    hint: Literal["request", "response"] | None,
    *,
    vihf_name_id: str | None = None,
    vihf_mode: str | None = None,
) -> Recognition:
    """Recognise the transaction of a message (see the module docstring)."""
    direction = direction_of(message, hint)
    known = known_transactions()
    env = message.envelope
    payload = env.payload
    tag = env.payload_tag
    reasons: list[str] = []
    warnings: list[str] = []
    raw_action = env.action or message.params.get("action")
    action = canonical_action(raw_action)
    if _is_insi(tag) or (raw_action or "").startswith(_INSI_ACTION_PREFIX):
        reasons.append("INSi teleservice message (namespace http://www.cnamts.fr/INSi…): not a DMP transaction")
        return Recognition(direction, ["INSi"], "INSi", reasons, warnings)
    if direction == "unknown":
        reasons.append(f"neither a known request nor a known response (action {raw_action!r}, body {tag})")
        return Recognition(direction, [], None, reasons, warnings)

    if direction == "request":
        by_action = [k.td for k in known.values() if action and (action == k.action or action in k.aliases)]
        by_body = [k.td for k in known.values() if tag is not None and k.request_body == tag]
    else:
        if env.is_fault:
            reasons.append(
                "a SOAP fault does not say which transaction it answers"
                + (f" (RelatesTo {env.relates_to} names the request)" if env.relates_to else "")
            )
            return Recognition(direction, [], None, reasons, warnings)
        by_action = []
        if action:
            for k in known.values():
                if k.action is None:
                    continue
                expected = RESPONSE_ACTIONS.get(k.action, k.action + "Response")
                if action == expected:
                    by_action.append(k.td)
                elif action.startswith(k.action + ":Fault"):
                    by_action.append(k.td)
                    warnings.append(f"fault-style action {raw_action!r} on a response that is not a SOAP fault")
        by_body = [td for td, tags in RESPONSE_BODIES.items() if tag in tags and td in known]

    candidates = _intersect(by_action, by_body, raw_action, tag, reasons, warnings)
    if not candidates:
        reasons.append(f"no known transaction has the action {raw_action!r} and the body element {tag}")
        return Recognition(direction, [], None, reasons, warnings)
    if len(candidates) == 1:
        return Recognition(direction, candidates, candidates[0], reasons, warnings)
    td = _discriminate(message, payload, direction, candidates, reasons, vihf_name_id, vihf_mode)
    if td is not None and td in candidates:
        candidates = [td, *(c for c in candidates if c != td)]
    return Recognition(direction, candidates, td, reasons, warnings)


def _intersect(
    by_action: Sequence[str],
    by_body: Sequence[str],
    action: str | None,
    tag: str | None,
    reasons: list[str],
    warnings: list[str],
) -> list[str]:
    if by_action and by_body:
        both = [td for td in by_body if td in by_action]
        if both:
            reasons.append(f"action {action!r} and body element {_local_name(tag)}")
            return both
        warnings.append(
            f"the action {action!r} belongs to {'/'.join(by_action)} but the body element {_local_name(tag)} to "
            f"{'/'.join(by_body)}; recognised from the body"
        )
        return list(by_body)
    if by_body:
        if action:
            warnings.append(f"unknown action {action!r}; recognised from the body element {_local_name(tag)}")
        else:
            warnings.append(f"no WS-Addressing action; recognised from the body element {_local_name(tag)}")
        return list(by_body)
    if by_action:
        reasons.append(f"action {action!r} (the body element {_local_name(tag)} is not the expected one)")
        warnings.append(f"the body element {_local_name(tag)} is not the one of {'/'.join(by_action)}")
        return list(by_action)
    return []


def _local_name(tag: str | None) -> str:
    return etree.QName(tag).localname if tag else "(none)"


def _discriminate(
    message: SoapMessage,
    payload: etree._Element | None,
    direction: str,
    candidates: list[str],
    reasons: list[str],
    vihf_name_id: str | None,
    vihf_mode: str | None,
) -> str | None:
    if payload is None:
        return None
    name = _local(payload)
    if name in (
        "PRPA_IN201307UV02",
        "PRPA_IN201308UV02",
        "PRPA_IN201314UV02",
        "PRPA_IN201314UV02_Response",
        "PRPA_IN201315UV02",
        "PRPA_IN201316UV02",
    ):
        code = _reason_code(payload)
        td = _REASON_CODES.get(code or "")
        if td in candidates:
            reasons.append(f"controlActProcess/reasonCode {code}")
            return td
        reasons.append(f"reasonCode {code!r} does not tell {'/'.join(candidates)} apart")
        return None
    if {"TD2.1", "TD2.2"} >= set(candidates):
        cpe = bool(vihf_name_id and "/" in vihf_name_id and (vihf_mode or "").upper() == "DIRECTE")
        if direction == "request":
            reasons.append(
                "VIHF NameID of a CPE card (<structure>/<card>): TD2.2"
                if cpe
                else "VIHF of a CPS/structure, not a CPE card: TD2.1 (TD2.2 is the same message under a CPE card)"
            )
            return "TD2.2" if cpe else "TD2.1"
        reasons.append("TD2.1 and TD2.2 get the same answer; TD2.1 assumed")
        return "TD2.1"
    if name == "AdhocQueryRequest":
        return _query_transaction(payload, reasons)
    if name == "AdhocQueryResponse":
        leaf = any(_local(el) in ("ExtrinsicObject", "RegistryPackage") for el in payload.iter())
        if leaf:
            reasons.append("the answer lists metadata (LeafClass): TD3.1")
            return "TD3.1"
        reasons.append("an answer with object references only (or none) fits TD3.1b and a TD3.1 in ObjectRef mode")
        return None
    if name == "SubmitObjectsRequest":
        return _update_transaction(message, candidates, reasons)
    if name == "RegistryResponse" and direction == "response":
        reasons.append(
            "a RegistryResponse to UpdateDocumentSet does not say which TD3.3 it answers; inspect the request"
        )
        return None
    return None


def _query_transaction(payload: etree._Element, reasons: list[str]) -> str:
    query = payload.find(q("rim", "AdhocQuery"))
    response_option = payload.find(q("query", "ResponseOption"))
    return_type = response_option.get("returnType") if response_option is not None else None
    query_id = query.get("id") if query is not None else None
    slots = {s.get("name") for s in (query.iterfind(q("rim", "Slot")) if query is not None else ())}
    if query_id == _GET_DOCUMENTS and return_type == "ObjectRef" and "$XDSDocumentEntryUniqueId" in slots:
        reasons.append("GetDocuments by uniqueId in ObjectRef mode (RG_3130): TD3.1b")
        return "TD3.1b"
    reasons.append(f"stored query {query_id} ({return_type}): TD3.1")
    return "TD3.1"


def _update_transaction(message: SoapMessage, candidates: list[str], reasons: list[str]) -> str | None:
    try:
        from dmpclient.transactions.registry import classify_update

        spec = classify_update(message)
    except Exception as exc:  # a half-written or refused update: say why and stay undecided
        reasons.append(f"the ITI-57 content could not be classified: {exc}")
        return None
    if spec.td == "TD3.3a":
        reasons.append(
            "a new metadata version: TD3.3a (TD3.3b when it removes an INVISIBLE_* code from the current "
            "version, which only the registry knows)"
        )
    elif spec.td == "TD3.3c":
        reasons.append("UpdateAvailabilityStatus to Deleted: TD3.3c")
    else:
        reasons.append("UpdateAvailabilityStatus to Archived/Approved: TD3.3d")
    return spec.td if spec.td in candidates else None

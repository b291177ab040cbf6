"""Decoding what the DMP answered: SOAP fault, RegistryResponse, HL7 v3 acknowledgement, proprietary status.

Reference ``errors.md`` §1: four channels. The DMP's code and French message are kept verbatim
(:attr:`Check.code`, :attr:`Check.message_fr`); known codes get an explanation (:mod:`._codes`).
"""

from __future__ import annotations

from typing import Final

from lxml import etree

from dmpclient._xml import NS
from dmpclient.inspection._codes import explain
from dmpclient.inspection._model import CheckStatus
from dmpclient.inspection._record import Recorder
from dmpclient.soap import SoapMessage, parse_fault

__all__ = ["check_answer"]

_RS: Final = NS["rs"]
_HL7: Final = NS["hl7"]
_SUCCESS: Final = "urn:oasis:names:tc:ebxml-regrep:ResponseStatusType:Success"
_PARTIAL: Final = "urn:oasis:names:tc:ebxml-regrep:ResponseStatusType:PartialSuccess"
_OK_STATUSES: Final = frozenset({"DMPOk", "DMPOK"})
_ACK_OK: Final = frozenset({"AA", "CA"})
_SECTION: Final = "answer"


def _local(el: etree._Element) -> str:
    return etree.QName(el).localname if isinstance(el.tag, str) else ""


def _with_explanation(message: str, code: str | None, message_fr: str | None) -> str:
    text = explain(code, message_fr)
    return f"{message}. Meaning: {text}" if text else message


def _parent_is_output(el: etree._Element) -> bool:
    parent = el.getparent()
    return parent is not None and _local(parent) == "output"


def check_answer(rec: Recorder, message: SoapMessage) -> bool:
    """Record the checks of the DMP's answer; False when no status of any channel was found."""
    env = message.envelope
    if env.is_fault:
        _fault(rec, message)
        return True
    payload = env.payload
    if payload is None:
        rec.add(_SECTION, "body", CheckStatus.FAILED, "the SOAP Body is empty")
        return True
    found = _registry(rec, payload)
    found = _hl7(rec, payload) or found
    found = _proprietary(rec, payload) or found
    if not found:
        rec.add(_SECTION, "status", CheckStatus.SKIPPED, f"no DMP status found in {_local(payload)}")
    return found


def _fault(rec: Recorder, message: SoapMessage) -> None:
    fault = parse_fault(message.envelope)
    code = fault.most_specific_code
    text = f"SOAP fault {code}" + (f" ({fault.code})" if fault.subcodes else "")
    rec.add(
        _SECTION,
        "soap-fault",
        CheckStatus.FAILED,
        _with_explanation(text, code, fault.reason),
        details={
            "code": fault.code,
            "subcodes": list(fault.subcodes),
            "reason": fault.reason,
            "reasons": [list(r) for r in fault.reasons],
            "detail": fault.detail_text,
        },
        code=code,
        message_fr=fault.reason,
    )


def _registry(rec: Recorder, payload: etree._Element) -> bool:
    holders = [payload] if _local(payload) in ("RegistryResponse", "AdhocQueryResponse") else []
    holders += [el for el in payload.iter(f"{{{_RS}}}RegistryResponse") if el is not payload]
    if not holders:
        return False
    for holder in holders:
        status = (holder.get("status") or "").strip()
        short = status.rsplit(":", 1)[-1] or "(none)"
        errors = list(holder.iter(f"{{{_RS}}}RegistryError"))
        where = _local(holder)
        if status == _SUCCESS:
            rec.add(
                _SECTION, "registry-status", CheckStatus.PASSED, f"{where} status Success", details={"status": status}
            )
        elif status == _PARTIAL:
            rec.add(
                _SECTION,
                "registry-status",
                CheckStatus.WARNING,
                f"{where} status PartialSuccess",
                details={"status": status},
            )
        else:
            rec.add(
                _SECTION, "registry-status", CheckStatus.FAILED, f"{where} status {short}", details={"status": status}
            )
        for index, err in enumerate(errors, 1):
            code = err.get("errorCode")
            context = err.get("codeContext")
            severity = err.get("severity") or ""
            warning = severity.endswith(":Warning")
            rec.add(
                _SECTION,
                f"registry-error {index}",
                CheckStatus.WARNING if warning else CheckStatus.FAILED,
                _with_explanation(
                    f"RegistryError {code}" + (f" at {err.get('location')}" if err.get("location") else ""),
                    code,
                    context,
                ),
                details={
                    "errorCode": code,
                    "codeContext": context,
                    "location": err.get("location"),
                    "severity": severity,
                },
                code=code,
                message_fr=context,
            )
    return True


def _hl7(rec: Recorder, payload: etree._Element) -> bool:
    ack = next(payload.iter(f"{{{_HL7}}}acknowledgement"), None)
    query_ack = next(payload.iter(f"{{{_HL7}}}queryResponseCode"), None)
    if ack is None and query_ack is None:
        return False
    if ack is not None:
        type_code = ack.get("typeCode")
        if type_code is None:
            type_el = ack.find(f"{{{_HL7}}}typeCode")
            type_code = type_el.get("code") if type_el is not None else None
        details = []
        for d in ack.iter(f"{{{_HL7}}}acknowledgementDetail"):
            code_el = d.find(f"{{{_HL7}}}code")
            text_el = d.find(f"{{{_HL7}}}text")
            details.append(
                {
                    "code": code_el.get("code") if code_el is not None else None,
                    "text": "".join(str(t) for t in text_el.itertext()).strip() if text_el is not None else None,
                    "typeCode": d.get("typeCode"),
                }
            )
        first = details[0] if details else {}
        if (type_code or "") in _ACK_OK:
            rec.add(
                _SECTION,
                "hl7-acknowledgement",
                CheckStatus.PASSED,
                f"HL7 v3 acknowledgement {type_code} (accepted)",
                details={"typeCode": type_code, "details": details},
            )
        else:
            code = first.get("code")
            text = first.get("text")
            rec.add(
                _SECTION,
                "hl7-acknowledgement",
                CheckStatus.FAILED,
                _with_explanation(
                    f"HL7 v3 acknowledgement {type_code or '(none)'}" + (f": {code}" if code else ""), code, text
                ),
                details={"typeCode": type_code, "details": details},
                code=code,
                message_fr=text,
            )
    if query_ack is not None:
        code = (query_ack.get("code") or "").strip()
        if code == "OK":
            rec.add(_SECTION, "hl7-query", CheckStatus.PASSED, "queryResponseCode OK (data found)")
        elif code == "NF":
            rec.add(
                _SECTION,
                "hl7-query",
                CheckStatus.PASSED,
                "queryResponseCode NF (nothing found): for TD0.2 the patient has no DMP — not an error",
            )
        else:
            rec.add(
                _SECTION, "hl7-query", CheckStatus.FAILED, f"queryResponseCode {code or '(none)'}", code=code or None
            )
    return True


def _proprietary(rec: Recorder, payload: etree._Element) -> bool:
    status_el = next((el for el in payload.iter() if _local(el) == "status" and _parent_is_output(el)), None)
    if status_el is None:
        return False
    status = (status_el.text or "").strip()
    parent = status_el.getparent()
    context_el = next((el for el in parent if _local(el) == "context"), None) if parent is not None else None
    context = context_el.text if context_el is not None and context_el.text else None
    if status in _OK_STATUSES:
        rec.add(
            _SECTION,
            "status",
            CheckStatus.PASSED,
            f"status {status}",
            details={"status": status, "context": context},
            message_fr=context,
        )
    else:
        rec.add(
            _SECTION,
            "status",
            CheckStatus.FAILED,
            _with_explanation(f"status {status or '(empty)'} (not DMPOk)", status, context),
            details={"status": status, "context": context},
            code=status or None,
            message_fr=context,
        )
    return True

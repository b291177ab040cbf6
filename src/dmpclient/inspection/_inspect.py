"""``inspect_capture``: read a captured DMP exchange and explain it, section by section."""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from types import MappingProxyType
from typing import Any, Final, Literal

from cryptography import x509

from dmpclient.errors import DMPClientError, DMPError, InputError, ProtocolError, XMLError
from dmpclient.ids import EnvironmentKind, InsOid
from dmpclient.inspection._answer import check_answer
from dmpclient.inspection._capture import RawCapture, is_evidence, load_evidence, resolve_content_type, split_http
from dmpclient.inspection._contents import Contents, index_contents
from dmpclient.inspection._model import (
    CheckStatus,
    DocumentInfo,
    EnvelopeInfo,
    InspectionReport,
    TransactionInfo,
    XadesInfo,
)
from dmpclient.inspection._recognise import (
    Known,
    Recognition,
    known_transactions,
    load_errors,
    recognise,
    transaction_function,
)
from dmpclient.inspection._record import Recorder, jsonable
from dmpclient.inspection._submission import check_metadata, check_submission
from dmpclient.inspection._vihf import check_vihf, check_vihf_authors, decode_vihf
from dmpclient.security import xmldsig
from dmpclient.security.certificates import TrustStore
from dmpclient.security.vihf import Vihf
from dmpclient.soap import SoapMessage, parse_content_type, parse_envelope, read_capture
from dmpclient.soap.mtom import XOP_INCLUDE

__all__ = ["AT_ISSUE_INSTANT", "inspect_capture"]

#: ``at=AT_ISSUE_INSTANT``: check the VIHF as of its IssueInstant and the XAdES signer as of its SigningTime.
AT_ISSUE_INSTANT: Final = "issue-instant"

_XDS_REQUESTS: Final = frozenset({"ProvideAndRegisterDocumentSetRequest", "SubmitObjectsRequest", "AdhocQueryRequest"})
_MTOM_TRANSACTIONS: Final = frozenset({"TD2.1", "TD2.2"})

At = dt.datetime | Literal["issue-instant"] | None


def _utc(value: dt.datetime) -> dt.datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=dt.UTC)


def inspect_capture(
    body: bytes | str | os.PathLike[str],
    *,
    content_type: str | None = None,
    headers: Mapping[str, str] | None = None,
    at: At = None,
    trust_anchors: TrustStore | Sequence[x509.Certificate] | None = None,
    allow_sha1: bool = True,
    documents: Mapping[str, str | os.PathLike[str]] | None = None,
    side: Literal["request", "response"] = "request",
) -> InspectionReport:
    """Explain a captured DMP request or response, check by check.

    Args:
        body: the capture: bytes, or a path. A file may start with an HTTP start line and headers or be the
            bare body. An evidence folder written by :class:`dmpclient.evidence.EvidenceWriter` (or its
            ``request.http`` / ``response.http``) is re-assembled from its files.
        content_type: the HTTP ``Content-Type`` when the capture has no headers (a bare-LF MIME package
            without it is still read: its boundary is sniffed from the first line).
        headers: HTTP headers kept apart from the body (``Content-Type`` is taken from them).
        at: when to check certificates and the VIHF validity window: a datetime (naive = UTC), ``None`` for
            now, or ``"issue-instant"`` (:data:`AT_ISSUE_INSTANT`) for each artefact's own date (the VIHF's
            IssueInstant, the XAdES SigningTime) — how an old capture is checked.
        trust_anchors: the trust anchors of the signers' chains (IGC-Santé TEST roots, a test PKI); without
            them the chains are reported as not checked.
        allow_sha1: accept RSA-SHA1 / SHA-1 (old captures, the official examples), reported as a warning.
        documents: documents that are not in the capture, by Content-ID (to resolve an ``xop:Include`` of a
            root-only capture) or by uniqueId (a manifest reference checked against a file).
        side: for an evidence folder, which side to inspect.

    Returns the :class:`~dmpclient.inspection.InspectionReport`; problems of the capture are failed checks,
    never exceptions.

    Raises:
        OSError: the file cannot be read.
        InputError: an invalid argument (``at``).
    """
    if isinstance(at, str) and at != AT_ISSUE_INSTANT:
        raise InputError("at is a datetime, None (now) or 'issue-instant'", field="at", value=at)
    if side not in ("request", "response"):
        raise InputError("side is 'request' or 'response'", field="side", value=side)
    if isinstance(body, bytes | bytearray | memoryview):
        raw, source = split_http(bytes(body)), None
    else:
        path = Path(body)
        source = str(path)
        raw = load_evidence(path, side) if is_evidence(path) else split_http(path.read_bytes(), path=source)
    return _Inspection(
        raw,
        source=source,
        content_type=content_type,
        headers=headers,
        at=at,
        trust_anchors=trust_anchors,
        allow_sha1=allow_sha1,
        documents={k: Path(v) for k, v in (documents or {}).items()},
    ).run()


class _Inspection:
    def __init__(
        self,
        raw: RawCapture,
        *,
        source: str | None,
        content_type: str | None,
        headers: Mapping[str, str] | None,
        at: At,
        trust_anchors: TrustStore | Sequence[x509.Certificate] | None,
        allow_sha1: bool,
        documents: Mapping[str, Path],
    ) -> None:
        self.raw = raw
        self.source = source
        self.content_type = content_type
        self.headers = headers
        self.trust = trust_anchors
        self.allowed = xmldsig.LEGACY_ALLOWED if allow_sha1 else xmldsig.DEFAULT_ALLOWED
        self.documents = documents
        self.rec = Recorder()
        self.at_mode: Literal["now", "fixed", "issue-instant"]
        if at == AT_ISSUE_INSTANT:
            self.at_mode, self.at = "issue-instant", None
        elif isinstance(at, dt.datetime):
            self.at_mode, self.at = "fixed", _utc(at)
        else:
            self.at_mode, self.at = "now", dt.datetime.now(dt.UTC)
        self.envelope = EnvelopeInfo(size=len(raw.body))
        self.transaction = TransactionInfo()
        self.contents = Contents()
        self.document_infos: list[DocumentInfo] = []
        self.vihf: Vihf | None = None
        self.xades: XadesInfo | None = None

    # ------------------------------------------------------------------------------------------ run

    def run(self) -> InspectionReport:
        raw = self.raw
        if self.headers and not raw.headers:
            raw.headers = tuple(self.headers.items())
        content_type, ct_source = resolve_content_type(raw, self.content_type, self.headers)
        for note in raw.notes:
            self.rec.add("capture", note.name, note.status, note.message)
        self.envelope = EnvelopeInfo(
            content_type=content_type,
            content_type_source=ct_source,
            http_start_line=raw.start_line,
            http_headers=list(raw.headers),
            size=len(raw.body),
        )
        message, xop_resolved = self._read(raw, content_type)
        if message is not None:
            try:
                self._inspect(message, raw, xop_resolved)
            finally:
                message.close()
        return self._report()

    def _report(self) -> InspectionReport:
        sections = self.rec.sections()
        return InspectionReport(
            ok=not any(c.failed for s in sections for c in s.checks),
            source=self.source,
            at=self.at,
            at_mode=self.at_mode,
            envelope=self.envelope,
            transaction=self.transaction,
            parts=[c.info for c in self.contents.items],
            documents=self.document_infos,
            vihf=self.vihf.to_dict() if self.vihf is not None else None,
            xades=self.xades,
            sections=sections,
        )

    # --------------------------------------------------------------------------------------- reading

    def _read(self, raw: RawCapture, content_type: str | None) -> tuple[SoapMessage | None, bool]:
        try:
            message = read_capture(raw.body, content_type)
        except ProtocolError as exc:
            media = parse_content_type(content_type or "")[0]
            if (
                "xop:Include" in str(exc)
                and not media.startswith("multipart/")
                and not raw.body.lstrip().startswith(b"--")
            ):
                return self._read_root_only(raw, content_type, exc), False
            self.rec.add("capture", "read", CheckStatus.FAILED, f"the capture is not a readable SOAP message: {exc}")
            return None, False
        except XMLError as exc:
            self.rec.add("capture", "read", CheckStatus.FAILED, f"the SOAP envelope is not (safe) XML: {exc}")
            return None, False
        self.envelope.content_type = self.envelope.content_type or message.content_type
        self.envelope.content_type_source = self.envelope.content_type_source or (
            "sniffed" if message.is_mtom else "default"
        )
        return message, True

    def _read_root_only(self, raw: RawCapture, content_type: str | None, exc: Exception) -> SoapMessage | None:
        """A plain SOAP body whose ``xop:Include`` parts were not captured (the official TD3.2 response)."""
        try:
            envelope = parse_envelope(raw.body)
        except (XMLError, ProtocolError) as err:
            self.rec.add("capture", "read", CheckStatus.FAILED, f"the capture is not a readable SOAP message: {err}")
            return None
        ct = content_type or "application/soap+xml"
        media, params = parse_content_type(ct)
        self.rec.add(
            "capture",
            "read",
            CheckStatus.WARNING,
            f"root part only: {exc}; the envelope is inspected without its attachments",
        )
        return SoapMessage(
            content_type=ct,
            media_type=media,
            params=MappingProxyType(params),
            envelope=envelope,
            root_bytes=raw.body,
            size=len(raw.body),
        )

    # ------------------------------------------------------------------------------------ the checks

    def _inspect(self, message: SoapMessage, raw: RawCapture, xop_resolved: bool) -> None:
        env = message.envelope
        self._capture_checks(message)
        assertion = env.assertion
        decoded = decode_vihf(assertion)
        recognition = recognise(
            message,
            raw.direction,
            vihf_name_id=decoded.name_id if decoded else None,
            vihf_mode=decoded.authentification_mode if decoded else None,
        )
        known = known_transactions().get(recognition.td or "")
        self._transaction_checks(recognition, known, message)
        self._addressing_checks(message, recognition.direction)
        has_xop = next(env.envelope.iter(XOP_INCLUDE), None) is not None
        if message.parts or has_xop:
            self.contents = index_contents(self.rec, message, self.documents, xop_resolved=xop_resolved)
        if recognition.td in _MTOM_TRANSACTIONS and recognition.direction == "request" and not message.is_mtom:
            self.rec.add(
                "parts",
                "mtom",
                CheckStatus.WARNING,
                f"{recognition.td} is sent as MTOM/XOP (EX_2.1-1260); this body is not multipart",
            )
        not_dmp = recognition.td == "INSi"
        if recognition.direction == "request" and not not_dmp:
            if assertion is None:
                self.rec.add(
                    "vihf",
                    "present",
                    CheckStatus.FAILED,
                    "no VIHF: wsse:Security carries no saml2:Assertion (every DMP call needs one)",
                )
            else:
                vihf_at = None if self.at_mode == "issue-instant" else self.at
                self.vihf = check_vihf(self.rec, assertion, at=vihf_at, trust_anchors=self.trust, allowed=self.allowed)
        payload_name = etree_local(env.payload_tag)
        if recognition.direction == "request" and payload_name in _XDS_REQUESTS:
            check_metadata(self.rec, message, self._environment(message))
        if recognition.direction == "request" and payload_name == "ProvideAndRegisterDocumentSetRequest":
            xades_at = None if self.at_mode == "issue-instant" else self.at
            submission, self.document_infos, self.xades = check_submission(
                self.rec, message, self.contents, at=xades_at, trust_anchors=self.trust, allowed=self.allowed
            )
            if submission is not None and self.vihf is not None:
                check_vihf_authors(self.rec, self.vihf, submission)
        if recognition.direction == "response" and not not_dmp:
            check_answer(self.rec, message)
        if known is not None and recognition.direction in ("request", "response") and not not_dmp:
            self._typed_summary(known, message, recognition.direction)

    def _environment(self, message: SoapMessage) -> EnvironmentKind:
        """Production when the patient's INS carries the production OID, else test."""
        text = message.root_bytes
        return EnvironmentKind.PRODUCTION if f"&{InsOid.PRODUCTION.value}&".encode() in text else EnvironmentKind.TEST

    def _capture_checks(self, message: SoapMessage) -> None:
        env = message.envelope
        info = self.envelope
        info.mtom = message.is_mtom
        info.line_ending = message.line_ending or None
        info.soap_version = env.version.value
        info.payload = env.payload_tag
        info.action = env.action
        info.mime_action = _mime_action(message)
        info.message_id = env.message_id
        info.to = env.to
        info.relates_to = env.relates_to
        kind = (
            f"MTOM package ({len(message.parts)} parts besides the envelope)" if message.is_mtom else "plain SOAP body"
        )
        self.rec.add(
            "capture",
            "read",
            CheckStatus.PASSED,
            f"{kind}, {info.size} bytes, Content-Type {info.content_type or '(none)'} "
            f"({info.content_type_source or 'none given'})",
        )
        notes = list(message.warnings)
        for note in notes:
            if "bare LF" in note:
                name = "line-ends"
            elif "SOAP 1.1" in note:
                name = "soap-version"
            elif "action" in note:
                name = "action-consistency"
            else:
                name = "reader"
            self.rec.add("capture", name, CheckStatus.WARNING, note)
        if env.version.value == "1.1" and not any("SOAP 1.1" in n for n in notes):
            self.rec.add(
                "capture",
                "soap-version",
                CheckStatus.WARNING,
                "SOAP 1.1 envelope: the DMP speaks SOAP 1.2 (envelope-and-transport.md §1)",
            )
        elif env.version.value == "1.2":
            self.rec.add("capture", "soap-version", CheckStatus.PASSED, "SOAP 1.2 envelope")

    def _addressing_checks(self, message: SoapMessage, direction: str) -> None:
        env = message.envelope
        if direction == "unknown" or self.transaction.td == "INSi":
            return
        if env.action:
            self.rec.add("capture", "wsa:Action", CheckStatus.PASSED, f"wsa:Action {env.action}")
        else:
            self.rec.add("capture", "wsa:Action", CheckStatus.WARNING, "no wsa:Action header")
        if env.message_id:
            self.rec.add("capture", "wsa:MessageID", CheckStatus.PASSED, f"wsa:MessageID {env.message_id}")
        else:
            self.rec.add(
                "capture", "wsa:MessageID", CheckStatus.WARNING, "no wsa:MessageID (the CNDA memento requires it)"
            )
        if direction == "request":
            if env.to:
                self.rec.add("capture", "wsa:To", CheckStatus.PASSED, f"wsa:To {env.to}")
            else:
                self.rec.add(
                    "capture",
                    "wsa:To",
                    CheckStatus.WARNING,
                    "wsa:To is empty or missing (like the GIE examples); the CNDA memento requires the endpoint URL",
                )
        elif env.relates_to:
            self.rec.add("capture", "wsa:RelatesTo", CheckStatus.PASSED, f"wsa:RelatesTo {env.relates_to}")
        else:
            self.rec.add("capture", "wsa:RelatesTo", CheckStatus.WARNING, "no wsa:RelatesTo on the response")

    def _transaction_checks(self, recognition: Recognition, known: Known | None, message: SoapMessage) -> None:
        self.transaction = TransactionInfo(
            direction=recognition.direction,
            td=recognition.td,
            name=known.name if known else None,
            title=known.title if known else None,
            status=known.status if known else None,
            candidates=recognition.candidates,
            reasons=recognition.reasons,
        )
        details: dict[str, Any] = {"candidates": recognition.candidates, "reasons": recognition.reasons}
        errors = load_errors()
        if errors:
            details["modules_not_loaded"] = errors
        if recognition.td is not None and known is not None:
            label = f"{recognition.direction} of {known.td} — {known.title}"
            why = "; ".join(recognition.reasons)
            self.rec.add(
                "transaction",
                "recognised",
                CheckStatus.PASSED,
                f"{label}" + (f" ({why})" if why else ""),
                details=details,
            )
            if known.status in ("legacy", "retired"):
                self.rec.add(
                    "transaction",
                    "status",
                    CheckStatus.WARNING,
                    f"{known.td} is {known.status}: "
                    + (
                        "only for DMPs not attached to Mon espace santé (PDT-INF-526 note 10)"
                        if known.status == "legacy"
                        else "removed from the DMP WSDLs (2024); not offered"
                    ),
                )
        elif recognition.candidates:
            self.rec.add(
                "transaction",
                "recognised",
                CheckStatus.WARNING,
                f"{recognition.direction} of {' or '.join(recognition.candidates)}: " + "; ".join(recognition.reasons),
                details=details,
            )
        else:
            self.rec.add(
                "transaction",
                "recognised",
                CheckStatus.WARNING,
                "unknown transaction: " + "; ".join(recognition.reasons),
                details=details,
            )
        for warning in recognition.warnings:
            self.rec.add("transaction", "action", CheckStatus.WARNING, warning)

    def _typed_summary(self, known: Known, message: SoapMessage, direction: Literal["request", "response"]) -> None:
        if direction == "request" and known.td in _MTOM_TRANSACTIONS:
            return  # the documents and signature sections say more than the typed view
        func = transaction_function(known, direction)
        if func is None:
            return
        name = f"parse_{known.name}_{direction}"
        try:
            result = func(message)
        except DMPError:
            return  # the answer section decoded it
        except (DMPClientError, ValueError) as exc:
            side = "the sandbox" if direction == "request" else "the client"
            self.rec.add(
                "transaction", "typed", CheckStatus.WARNING, f"{name} ({side}'s parser) refuses this message: {exc}"
            )
            return
        except Exception as exc:  # a transaction module being written must not break the report
            self.rec.add("transaction", "typed", CheckStatus.SKIPPED, f"{name} failed: {type(exc).__name__}: {exc}")
            return
        self.rec.add(
            "transaction",
            "typed",
            CheckStatus.PASSED,
            f"{name} reads it ({type(result).__name__})",
            details={"summary": jsonable(result)},
        )


def etree_local(tag: str | None) -> str:
    """Local name of a Clark name."""
    if not tag:
        return ""
    return tag.rsplit("}", 1)[-1]


def _mime_action(message: SoapMessage) -> str | None:
    for name, value in message.root_headers:
        if name.lower() == "content-type":
            _, params = parse_content_type(value)
            inner = parse_content_type(params.get("type", ""))[1]
            return inner.get("action") or params.get("action") or message.params.get("action")
    return message.params.get("action")

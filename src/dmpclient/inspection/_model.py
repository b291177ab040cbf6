"""The inspection report: checks grouped by section, and what was decoded on the way (pydantic models)."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Any, Final, Literal

from pydantic import BaseModel, ConfigDict, Field

from dmpclient.security.reports import CertificateInfo

__all__ = [
    "SECTION_TITLES",
    "Check",
    "CheckStatus",
    "DocumentInfo",
    "EnvelopeInfo",
    "InspectionReport",
    "PartInfo",
    "ReferenceRow",
    "Section",
    "TransactionInfo",
    "XadesInfo",
]


class CheckStatus(StrEnum):
    """Outcome of one check."""

    PASSED = "passed"
    FAILED = "failed"
    WARNING = "warning"
    SKIPPED = "skipped"

    @property
    def symbol(self) -> str:
        """``✓`` passed, ``✗`` failed, ``!`` warning, ``–`` skipped."""
        return {"passed": "✓", "failed": "✗", "warning": "!", "skipped": "–"}[self.value]


_RANK: Final = {CheckStatus.FAILED: 3, CheckStatus.WARNING: 2, CheckStatus.PASSED: 1, CheckStatus.SKIPPED: 0}

#: Section name → title, in report order.
SECTION_TITLES: Final[dict[str, str]] = {
    "capture": "Capture and SOAP envelope",
    "transaction": "Transaction",
    "parts": "MTOM parts",
    "vihf": "VIHF (SAML token)",
    "metadata": "XDS metadata (DMP profile)",
    "documents": "Documents (hash, size, CDA header)",
    "signature": "XAdES submission-set signature",
    "answer": "DMP answer",
}


class Check(BaseModel):
    """One check of the report.

    Attributes:
        name: short stable name inside its section (``"hash Document01"``, ``"reference #IHEManifest"``).
        status: passed, failed, warning or skipped.
        message: English explanation naming the values seen.
        details: structured data (digests, certificate, decoded values …) for ``--json`` and ``--verbose``.
        code: the DMP / IHE / rule code when there is one (``XDSNonIdenticalHash``, ``DMPInvalidCertificate``).
        message_fr: the DMP's French wording, verbatim, when the reference or the message gives one.
        section: the section the check belongs to (not serialized: the JSON groups checks by section).
    """

    model_config = ConfigDict(frozen=True)

    name: str
    status: CheckStatus
    message: str
    details: dict[str, Any] = {}
    code: str | None = None
    message_fr: str | None = None
    section: str = Field(default="", exclude=True)

    @property
    def failed(self) -> bool:
        """True for a failed check."""
        return self.status is CheckStatus.FAILED


class Section(BaseModel):
    """The checks of one topic (``capture``, ``transaction``, ``parts``, ``vihf``, ``metadata``, ``documents``,
    ``signature``, ``answer``)."""

    name: str
    title: str
    checks: list[Check] = []

    @property
    def status(self) -> CheckStatus:
        """The worst status of the section (skipped when it holds only skipped checks or none)."""
        if not self.checks:
            return CheckStatus.SKIPPED
        return max((c.status for c in self.checks), key=lambda s: _RANK[s])


class TransactionInfo(BaseModel):
    """What the capture was recognised as.

    Attributes:
        direction: ``request``, ``response`` or ``unknown``.
        td: the DMP transaction id (``TD2.1``), None when it cannot be told (see ``candidates``/``reasons``).
        name: the Python name of the transaction functions (``provide_and_register``), when known.
        title: French title (``Alimentation``).
        status: ``current``, ``legacy`` (TD1.3b/TD1.4), ``retired`` (TD1.5x) or ``not-dmp`` (INSi).
        candidates: every transaction the message could be (one when recognised without ambiguity).
        reasons: how it was recognised, or why it could not be.
    """

    direction: Literal["request", "response", "unknown"] = "unknown"
    td: str | None = None
    name: str | None = None
    title: str | None = None
    status: str | None = None
    candidates: list[str] = []
    reasons: list[str] = []

    @property
    def recognised(self) -> bool:
        """True when one transaction was identified."""
        return self.td is not None


class EnvelopeInfo(BaseModel):
    """The transport facts of the capture."""

    content_type: str | None = None
    content_type_source: str | None = None
    http_start_line: str | None = None
    http_headers: list[tuple[str, str]] = []
    size: int = 0
    mtom: bool = False
    line_ending: str | None = None
    soap_version: str | None = None
    payload: str | None = None
    action: str | None = None
    mime_action: str | None = None
    message_id: str | None = None
    to: str | None = None
    relates_to: str | None = None


class PartInfo(BaseModel):
    """One MIME part (the root envelope excluded), or a document supplied next to the capture.

    Attributes:
        role: ``document``, ``signature`` (the XAdES document), ``attachment`` (referenced by an
            ``xop:Include`` outside a submission) or ``unreferenced`` (no ``xop:Include`` points at it).
        referenced_by: the element holding the ``xop:Include`` (``xdsb:Document id=…``).
        origin: ``capture`` (a MIME part) or ``external`` (given with ``documents=``).
    """

    index: int | None = None
    content_id: str | None = None
    content_type: str = "application/octet-stream"
    transfer_encoding: str | None = None
    size: int = 0
    sha1: str = ""
    role: str = "unreferenced"
    referenced_by: str | None = None
    unique_id: str | None = None
    origin: Literal["capture", "external"] = "capture"


class DocumentInfo(BaseModel):
    """One DocumentEntry of a submission and the part its ``xdsb:Document`` points to.

    The chain is: XDS ``uniqueId`` ⇄ ``ExtrinsicObject/@id`` (``entry_id``) ⇄ ``xdsb:Document/@id``
    (``document_id``) ⇄ ``xop:Include`` ``cid:`` (``content_id``) ⇄ MIME part (``part_index``).
    """

    entry_id: str | None = None
    unique_id: str | None = None
    role: Literal["document", "signature"] = "document"
    mime_type: str | None = None
    document_id: str | None = None
    content_id: str | None = None
    part_index: int | None = None
    inline: bool = False
    hash: str | None = None
    size: int | None = None
    actual_sha1: str | None = None
    actual_size: int | None = None
    is_cda: bool = False


class ReferenceRow(BaseModel):
    """One ``ds:Reference`` of the XAdES signature, as declared, as found and as recomputed.

    Attributes:
        role: ``signed-info`` (the Manifest and SignedProperties references) or ``manifest``.
        target: what it covers (``Manifest``, ``SignedProperties``, ``submission set``, ``document <uid>``).
        transforms: declared transform URIs.
        canonicalization: the canonicalisation the digest was recomputed with, by name (``inclusive C14N 1.0
            without comments`` …; ``raw bytes`` when there is no transform).
        digest_method: declared digest algorithm, by name (``SHA-1``, ``SHA-256``).
        digest_found / digest_computed: base64.
        status: ``ok``, ``mismatch``, ``placeholder`` (the submission set's ``AA==``), ``missing-document``,
            ``unresolved``, ``refused-algorithm``, ``error``, ``not-checked``.
        matched: when the digest differs, the processing that would have produced it (``inclusive C14N 1.0
            without comments, SHA-1``, ``the raw bytes, SHA-256``), else None.
        tried: the processings tried when looking for ``matched``.
        compared_with: the document the digest was compared with (uniqueId / Content-ID), for manifest rows.
    """

    role: Literal["signed-info", "manifest"]
    target: str
    uri: str
    transforms: list[str] = []
    canonicalization: str | None = None
    digest_method: str | None = None
    digest_found: str | None = None
    digest_computed: str | None = None
    status: str
    matched: str | None = None
    tried: list[str] = []
    compared_with: str | None = None
    message: str = ""


class XadesInfo(BaseModel):
    """The XAdES signature of a TD2.1 / TD2.2 lot, as decoded."""

    signature_id: str | None = None
    signing_time: dt.datetime | None = None
    checked_at: dt.datetime | None = None
    signature_method: str | None = None
    signed_info_c14n: str | None = None
    certificate: CertificateInfo | None = None
    references: list[ReferenceRow] = []


class InspectionReport(BaseModel):
    """Everything ``dmpclient inspect`` found in a capture.

    Attributes:
        ok: no check failed (warnings and skipped checks do not make it false).
        source: the file inspected, when known.
        at: the time certificates and validity windows were checked at (None with ``at="issue-instant"``:
            each artefact as of its own date).
        at_mode: ``now``, ``fixed`` or ``issue-instant``.
        envelope: transport facts (content type, HTTP headers, SOAP version, WS-Addressing).
        transaction: the recognised transaction and direction.
        parts: the MIME parts (root excluded), in order, then any external document used.
        documents: for a TD2.1/TD2.2 request, each DocumentEntry and its part.
        vihf: every decoded VIHF attribute (``Vihf.to_dict()``), None when the message carries none.
        xades: the XAdES signature, reference by reference, for a TD2.1/TD2.2 request.
        sections: the checks, grouped by section, in report order.
    """

    ok: bool
    source: str | None = None
    at: dt.datetime | None = None
    at_mode: Literal["now", "fixed", "issue-instant"] = "now"
    envelope: EnvelopeInfo = EnvelopeInfo()
    transaction: TransactionInfo = TransactionInfo()
    parts: list[PartInfo] = []
    documents: list[DocumentInfo] = []
    vihf: dict[str, Any] | None = None
    xades: XadesInfo | None = None
    sections: list[Section] = []

    @property
    def checks(self) -> list[Check]:
        """Every check, in report order (each knows its :attr:`Check.section`)."""
        return [c for s in self.sections for c in s.checks]

    @property
    def failures(self) -> list[Check]:
        """The failed checks."""
        return [c for c in self.checks if c.failed]

    @property
    def warnings(self) -> list[Check]:
        """The checks reported as warnings."""
        return [c for c in self.checks if c.status is CheckStatus.WARNING]

    def section(self, name: str) -> Section | None:
        """The section called ``name``, or None when the capture did not need it."""
        return next((s for s in self.sections if s.name == name), None)

    def summary(self) -> dict[str, int]:
        """How many checks per status."""
        counts = {s.value: 0 for s in CheckStatus}
        for c in self.checks:
            counts[c.status.value] += 1
        return counts

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict: the fields above, each section with its ``status`` and checks, plus ``summary``
        (counts per status) and ``failed`` (``"section/name: message"`` lines)."""
        data = self.model_dump(mode="json")
        for section, dumped in zip(self.sections, data["sections"], strict=True):
            dumped["status"] = section.status.value
        data["summary"] = self.summary()
        data["failed"] = [f"{c.section}/{c.name}: {c.message}" for c in self.failures]
        return data

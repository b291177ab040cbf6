"""Explain a captured DMP exchange, check by check, for support and homologation (``dmpclient inspect``).

:func:`inspect_capture` reads a request or a response — the bare body (with its Content-Type, or a MIME
package whose boundary is sniffed, bare-LF line ends tolerated) or a file with an HTTP start line and
headers — and returns an :class:`InspectionReport`:

* **capture**: HTTP headers, Content-Length, MIME framing, SOAP version, WS-Addressing, MIME/WS-A action;
* **transaction**: which TD (action, body element, discriminator), request or response, typed summary;
* **parts**: every MTOM part (Content-ID, type, size, SHA-1) and the ``xop:Include`` that points to it;
* **vihf**: every attribute, the DMP's value rules, the signature (algorithms, reference, digest, value),
  the certificate (subject, issuer, validity, KeyUsage, chain) and the validity window as of ``at``;
* **metadata**: the DMP-profile XDS validation of the request (every finding with its XDS code);
* **documents**: XDS uniqueId ⇄ ``xdsb:Document`` ⇄ Content-ID ⇄ part, ``hash``/``size`` against the exact
  bytes, CDA header ⇄ metadata;
* **signature**: the XAdES signature reference by reference — declared algorithms, digest found, digest
  recomputed under the declared canonicalisation and, when they differ, the processing that would have
  matched (or every processing tried), the ``AA==`` submission-set placeholder;
* **answer**: SOAP fault, RegistryResponse errors, HL7 v3 acknowledgement, proprietary status — the DMP's
  code and French message verbatim, with an explanation for known codes.

Floor 3: uses ``soap``, ``security``, ``xds``, ``cda`` (floor 2) and the transaction registry (floor 3).
"""

from __future__ import annotations

from dmpclient.inspection._inspect import AT_ISSUE_INSTANT, inspect_capture
from dmpclient.inspection._model import (
    SECTION_TITLES,
    Check,
    CheckStatus,
    DocumentInfo,
    EnvelopeInfo,
    InspectionReport,
    PartInfo,
    ReferenceRow,
    Section,
    TransactionInfo,
    XadesInfo,
)

__all__ = [
    "AT_ISSUE_INSTANT",
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
    "inspect_capture",
]

"""Typed results of the client operations that are not plain transaction results."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from dmpclient.errors import Finding, RegistryErrorItem
from dmpclient.xds.model import RegistryResponse

__all__ = ["SubmitResult"]


@dataclass(frozen=True)
class SubmitResult:
    """The DMP accepted a TD2.1 / TD2.2.

    Attributes:
        transaction: ``"TD2.1"`` or ``"TD2.2"`` (CPE card).
        submission_set_unique_id: the lot's uniqueId.
        document_unique_ids: each document's uniqueId, in order — keep them to follow the documents
            (never search right after a feed, EX_3.1-1090).
        signature_unique_id: the XAdES signature document's uniqueId.
        replaced: document uniqueId → entryUUID it replaced (RPLC).
        response: the DMP's ``RegistryResponse`` (Success; warnings in its errors).
        findings: local validation warnings (none are errors: errors stop the submission).
        message_id: WS-Addressing MessageID of the request.
    """

    transaction: str
    submission_set_unique_id: str
    document_unique_ids: tuple[str, ...]
    signature_unique_id: str
    response: RegistryResponse
    replaced: Mapping[str, str] = field(default_factory=dict)
    findings: tuple[Finding, ...] = ()
    message_id: str | None = None

    @property
    def warnings(self) -> tuple[RegistryErrorItem, ...]:
        """Warnings the DMP attached to the accepted submission."""
        return tuple(e for e in self.response.errors if not e.is_error)

    @property
    def unique_id(self) -> str:
        """The uniqueId of the first (usually only) document."""
        return self.document_unique_ids[0]

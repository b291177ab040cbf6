"""Shared definitions of the schematron compiler: namespaces, errors, compile notes."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from lxml import etree

from dmpclient.errors import ConfigurationError, DMPClientError, Severity

__all__ = [
    "DMP_NS",
    "SCH_NS",
    "SVRL_NS",
    "XSL_NS",
    "CompileNote",
    "SchematronError",
    "ValidationEngineMissing",
    "is_element",
    "text_of",
]

SCH_NS: Final = "http://purl.oclc.org/dsdl/schematron"
XSL_NS: Final = "http://www.w3.org/1999/XSL/Transform"
SVRL_NS: Final = "http://purl.oclc.org/dsdl/svrl"
#: Namespace of the helper functions and attributes our compiler adds to the generated XSLT and SVRL.
DMP_NS: Final = "urn:dmpclient:schematron"


class SchematronError(DMPClientError):
    """A schematron cannot be loaded or compiled (missing include, unknown abstract pattern, XSLT error …).

    Attributes:
        path: the schematron file concerned, when known.
    """

    def __init__(self, message: str, *, path: str | None = None) -> None:
        self.path = path
        super().__init__(f"{path}: {message}" if path else message)


class ValidationEngineMissing(ConfigurationError):
    """The optional XSLT engine (saxonche, extra ``validation``) is not installed."""


@dataclass(frozen=True, slots=True)
class CompileNote:
    """Something the compiler noticed and worked around (case-fixed include, missing value-set file …).

    Attributes:
        kind: ``include-case``, ``resource-case``, ``resource-missing``, ``resource-mapped``,
            ``duplicate-variable``, ``query-binding``.
        message: English explanation naming the file or variable.
        severity: how the validator reports it (missing value sets are warnings, the rest info).
        subject: the href, file or variable concerned.
    """

    kind: str
    message: str
    severity: Severity = Severity.INFO
    subject: str | None = None

    def to_dict(self) -> dict[str, str | None]:
        """Plain dict (disk cache, JSON output)."""
        return {"kind": self.kind, "message": self.message, "severity": self.severity.value, "subject": self.subject}

    @classmethod
    def from_dict(cls, data: dict[str, str | None]) -> CompileNote:
        """Inverse of :meth:`to_dict`."""
        return cls(
            kind=str(data["kind"]),
            message=str(data["message"]),
            severity=Severity(data.get("severity") or "info"),
            subject=data.get("subject"),
        )


def is_element(node: etree._Element) -> bool:
    """True for elements (comments and processing instructions have a non-string ``tag``)."""
    tag: object = node.tag
    return isinstance(tag, str)


def text_of(node: etree._Element) -> str:
    """All text content of ``node``, as one string."""
    return "".join(t for t in node.itertext() if isinstance(t, str))

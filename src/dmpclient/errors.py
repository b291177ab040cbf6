"""The exception hierarchy of dmpclient, and the ``Finding`` record used by every validator.

Every error raised by the library derives from :class:`DMPClientError`. The tree is::

    DMPClientError
    ├── InputError (also ValueError)          bad input, before anything is sent
    │   ├── InvalidInput                       a public model refused its input (every problem kept)
    │   ├── InvalidIdentifier                  INS, IdNat, OID, uniqueId
    │   ├── InvalidValue                       HL7 v2 datatypes, dates, codes …
    │   ├── RuleViolation                      a DMP / CNDA rule the client enforces (carries the rule id)
    │   │   └── NIARefused                     a NIA (temporary INS) used for DMP access
    │   └── ConfigurationError                 missing or inconsistent configuration
    ├── ValidationFailed                        a validator returned error findings
    ├── XMLError                                XML could not be parsed safely
    │   ├── XMLSecurityError                   DTD, entity, oversized input …
    │   └── XMLSyntaxError                     malformed XML
    ├── SecurityError
    │   ├── SignatureError                     a signature does not verify
    │   ├── CertificateError                   certificate untrusted / expired / wrong usage
    │   └── TokenError                         PKCS#11 / signer problems (never carries the PIN)
    ├── TransportError                          network problems (connect, TLS, timeout …)
    │   └── AmbiguousSubmission                a submission may or may not have been stored
    ├── ProtocolError                           the peer answered something we cannot understand
    └── DMPError                                the DMP refused the request (business error)
        ├── SoapFaultError                      SOAP 1.2 fault
        ├── RegistryError                       XDS RegistryResponse failure
        ├── HL7AcknowledgementError             HL7 v3 acknowledgement AE / AR
        └── DMPStatusError                      proprietary ``status`` other than ``DMPOk``

Errors carry data, not just text: an :class:`InputError` names the field, the value and the rule; a
:class:`DMPError` keeps the DMP's code and its French message verbatim. Secrets (PINs, private keys) are
never stored in an exception.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Final, TypedDict

__all__ = [
    "AmbiguousSubmission",
    "CertificateError",
    "ConfigurationError",
    "DMPClientError",
    "DMPError",
    "DMPStatusError",
    "ErrorChannel",
    "Finding",
    "HL7AcknowledgementError",
    "InputError",
    "InputProblem",
    "InvalidIdentifier",
    "InvalidInput",
    "InvalidValue",
    "NIARefused",
    "ProtocolError",
    "RegistryError",
    "RegistryErrorItem",
    "RuleViolation",
    "SecurityError",
    "Severity",
    "SignatureError",
    "SoapFaultError",
    "TokenError",
    "TransportError",
    "ValidationFailed",
    "XMLError",
    "XMLSecurityError",
    "XMLSyntaxError",
    "errors_only",
]

_MAX_VALUE_REPR = 120


def _show(value: object) -> str:
    """Render a value for an error message: repr, shortened so that a huge input cannot flood logs."""
    text = repr(value)
    if len(text) > _MAX_VALUE_REPR:
        text = text[: _MAX_VALUE_REPR - 3] + "..."
    return text


class DMPClientError(Exception):
    """Base class of every exception raised by dmpclient."""


# --------------------------------------------------------------------------------------------- input


class InputError(DMPClientError, ValueError):
    """Bad input detected before anything is sent.

    Attributes:
        field: dotted name of the offending field (``"patient.ins"``, ``"documents[0].typeCode"``).
        value: the value seen (shortened in the message, kept whole in the attribute).
        rule: a short rule name or id (``"INS key"``, ``"EX_2.1-1010"``).
        hint: what to do about it, when we know.
    """

    def __init__(
        self,
        message: str,
        *,
        field: str | None = None,
        value: object = None,
        rule: str | None = None,
        hint: str | None = None,
    ) -> None:
        self.field = field
        self.value = value
        self.rule = rule
        self.hint = hint
        self.reason = message
        super().__init__(self._compose())

    def _compose(self) -> str:
        parts = []
        if self.field is not None:
            parts.append(f"{self.field}={_show(self.value)}")
        parts.append(self.reason)
        text = ": ".join(parts)
        if self.rule:
            text += f" [rule: {self.rule}]"
        if self.hint:
            text += f" — {self.hint}"
        return text


class InputProblem(TypedDict):
    """One problem of an :class:`InvalidInput`.

    Keys:
        loc: dotted path with the model name (``"DocumentEntry.authors[0].person.id"``).
        input: the value seen, shortened (numbers, booleans and ``None`` as they are; other values as text of at
            most 120 characters); ``None`` for a missing field.
        rule: pydantic's error type (``"missing"``, ``"string_too_short"`` …), or the rule of our own error when a
            validator raised one.
        message: what is wrong.
    """

    loc: str
    input: object
    rule: str
    message: str


_FIRST: Final = object()


class InvalidInput(InputError):
    """Bad input to a model of the public API; every problem is kept in :attr:`errors`.

    ``field``, ``value`` and ``rule`` are those of the first problem (``value`` kept whole); the message has one
    line per problem. The pydantic ``ValidationError`` it comes from is its ``__cause__``.

    Attributes:
        errors: every problem, in pydantic's order.
        model: name of the model that refused the input (``"DocumentEntry"``), when known.
    """

    def __init__(
        self,
        errors: Sequence[InputProblem],
        *,
        value: object = _FIRST,
        model: str | None = None,
        hint: str | None = None,
    ) -> None:
        if not errors:
            raise ValueError("InvalidInput needs at least one problem")
        self.errors: list[InputProblem] = list(errors)
        self.model = model
        first = self.errors[0]
        super().__init__(
            first["message"],
            field=first["loc"],
            value=first["input"] if value is _FIRST else value,
            rule=first["rule"],
            hint=hint,
        )

    def _compose(self) -> str:
        lines = [super()._compose()]
        lines.extend(_line(p) for p in self.errors[1:])
        return "\n".join(lines)

    def __reduce__(self) -> tuple[Any, ...]:
        return (_rebuild, (type(self), self.errors, self.model, self.hint), self.__dict__)


def _rebuild(cls: type[InvalidInput], errors: list[InputProblem], model: str | None, hint: str | None) -> InvalidInput:
    return cls(errors, model=model, hint=hint)


def _line(problem: InputProblem) -> str:
    return f"{problem['loc']}={_show(problem['input'])}: {problem['message']} [rule: {problem['rule']}]"


class InvalidIdentifier(InputError):
    """An identifier (INS, IdNat, OID, uniqueId, UUID) is malformed or fails its check."""


class InvalidValue(InputError):
    """A value does not have the expected format (HL7 v2 datatype, date, code …)."""


class RuleViolation(InputError):
    """The request would break a DMP or CNDA rule that the client enforces before sending.

    ``rule`` carries the requirement id when the reference gives one (``EX_3.1-1090`` …).
    """


class NIARefused(RuleViolation):
    """A NIA (temporary INS, OID ``1.2.250.1.213.1.4.9``) was used for DMP access (CNDA test 0.2-080)."""


class ConfigurationError(InputError):
    """The configuration is missing something or is inconsistent."""


# ------------------------------------------------------------------------------------------ findings


class Severity(StrEnum):
    """Severity of a :class:`Finding`."""

    ERROR = "error"
    WARNING = "warning"
    INFO = "info"


@dataclass(frozen=True, slots=True)
class Finding:
    """One result of a validator (XDS metadata, CDA header, schematron, XAdES report …).

    Attributes:
        rule: stable id of the rule that produced it (``"dmp.typeCode.forbidden"``, a schematron
            assert id, ``"EX_2.1-1010"``).
        message: English explanation, naming the value seen.
        severity: error, warning or info.
        location: where (object id + field, XPath …).
        code: error code of the domain (XDS ``XDSRegistryMetadataError``; schematron assert id …).
        message_fr: the DMP's own French wording when one is known, verbatim.
        value: the offending value, when there is one.
    """

    rule: str
    message: str
    severity: Severity = Severity.ERROR
    location: str | None = None
    code: str | None = None
    message_fr: str | None = None
    value: str | None = None

    @property
    def is_error(self) -> bool:
        """True for :attr:`Severity.ERROR` findings."""
        return self.severity is Severity.ERROR

    def __str__(self) -> str:
        where = f" at {self.location}" if self.location else ""
        code = f" ({self.code})" if self.code else ""
        text = f"{self.severity.value}{code}{where}: {self.message}"
        if self.message_fr:
            text += f" — « {self.message_fr} »"
        return text

    def to_dict(self) -> dict[str, Any]:
        """Plain dict for JSON output."""
        return {
            "rule": self.rule,
            "severity": self.severity.value,
            "message": self.message,
            "location": self.location,
            "code": self.code,
            "message_fr": self.message_fr,
            "value": self.value,
        }


def errors_only(findings: Iterable[Finding]) -> list[Finding]:
    """Keep only the findings of severity error."""
    return [f for f in findings if f.is_error]


class ValidationFailed(DMPClientError):
    """A validator produced at least one error finding; all findings are in :attr:`findings`."""

    def __init__(self, findings: Sequence[Finding], *, what: str = "validation") -> None:
        self.findings = list(findings)
        self.what = what
        errors = errors_only(self.findings)
        head = f"{what} failed with {len(errors)} error(s)"
        lines = [head, *(f"  - {f}" for f in errors[:20])]
        if len(errors) > 20:
            lines.append(f"  … and {len(errors) - 20} more")
        super().__init__("\n".join(lines))


# ----------------------------------------------------------------------------------------------- xml


class XMLError(DMPClientError):
    """XML input could not be parsed."""


class XMLSecurityError(XMLError):
    """XML input was refused for safety (DTD, entity declaration, size limit …)."""


class XMLSyntaxError(XMLError):
    """XML input is not well-formed."""


# ------------------------------------------------------------------------------------------ security


class SecurityError(DMPClientError):
    """Base class for signature, certificate and token errors."""


class SignatureError(SecurityError):
    """A signature is invalid, uses a refused algorithm, or points at the wrong element."""


class CertificateError(SecurityError):
    """A certificate is untrusted, expired, revoked-looking, or has the wrong usage."""


class TokenError(SecurityError):
    """A signer (PKCS#11 token, key file) cannot be opened or used. Never carries the PIN."""


# ----------------------------------------------------------------------------------------- transport


class TransportError(DMPClientError):
    """The request could not be exchanged with the server (DNS, connect, TLS, timeout, reset).

    Attributes:
        url: the URL called.
        transaction: the DMP transaction (``"TD2.1"`` …) when known.
        sent: True when the request body was (possibly) fully sent before the failure.
    """

    def __init__(
        self,
        message: str,
        *,
        url: str | None = None,
        transaction: str | None = None,
        sent: bool = False,
    ) -> None:
        self.url = url
        self.transaction = transaction
        self.sent = sent
        super().__init__(message)


class AmbiguousSubmission(TransportError):
    """A submission failed after it was sent: the DMP may or may not have stored it.

    The client never resends blindly; it checks by uniqueId first and reports what it found in
    :attr:`found` (``True`` stored, ``False`` not stored, ``None`` could not be checked).
    """

    def __init__(
        self,
        message: str,
        *,
        unique_ids: Sequence[str] = (),
        found: bool | None = None,
        url: str | None = None,
        transaction: str | None = None,
    ) -> None:
        self.unique_ids = list(unique_ids)
        self.found = found
        super().__init__(message, url=url, transaction=transaction, sent=True)


class ProtocolError(DMPClientError):
    """The peer answered something that is not a valid message of the expected kind."""


# ---------------------------------------------------------------------------------------- DMP errors


class ErrorChannel(StrEnum):
    """Where a DMP error came from (see ``errors.md`` of the reference)."""

    SOAP_FAULT = "soap-fault"
    REGISTRY = "registry-response"
    HL7V3 = "hl7v3-acknowledgement"
    STATUS = "proprietary-status"
    HTTP = "http"


class DMPError(DMPClientError):
    """The DMP refused the request.

    Attributes:
        channel: the error channel.
        code: the DMP/IHE code (``DMPAccessForbidden``, ``XDSRegistryMetadataError`` …).
        message_fr: the DMP's French message, verbatim.
        transaction: ``"TD3.1"`` …
        http_status: HTTP status of the response.
        message_id: WS-Addressing MessageID of the request.
        location: location/field given by the DMP, if any.
    """

    channel: ErrorChannel = ErrorChannel.HTTP

    def __init__(
        self,
        code: str | None,
        message_fr: str | None,
        *,
        transaction: str | None = None,
        http_status: int | None = None,
        message_id: str | None = None,
        location: str | None = None,
        explanation: str | None = None,
    ) -> None:
        self.code = code
        self.message_fr = message_fr
        self.transaction = transaction
        self.http_status = http_status
        self.message_id = message_id
        self.location = location
        self.explanation = explanation
        super().__init__(self._compose())

    def _compose(self) -> str:
        head = f"{self.transaction}: " if self.transaction else ""
        text = f"{head}DMP refused the request ({self.channel.value}): {self.code or 'no code'}"
        if self.message_fr:
            text += f" — « {self.message_fr} »"
        if self.location:
            text += f" at {self.location}"
        if self.explanation:
            text += f". {self.explanation}"
        return text


class SoapFaultError(DMPError):
    """A SOAP 1.2 fault: ``code`` is the most specific subcode (the DMP code) when there is one."""

    channel = ErrorChannel.SOAP_FAULT

    def __init__(
        self,
        code: str | None,
        message_fr: str | None,
        *,
        fault_code: str | None = None,
        subcodes: Sequence[str] = (),
        detail: str | None = None,
        **kwargs: Any,
    ) -> None:
        self.fault_code = fault_code
        self.subcodes = list(subcodes)
        self.detail = detail
        super().__init__(code, message_fr, **kwargs)


@dataclass(frozen=True, slots=True)
class RegistryErrorItem:
    """One ``rs:RegistryError`` of a RegistryResponse."""

    error_code: str
    code_context: str | None = None
    location: str | None = None
    severity: str = "urn:oasis:names:tc:ebxml-regrep:ErrorSeverityType:Error"
    value: str | None = None

    @property
    def is_error(self) -> bool:
        """True unless the severity is Warning."""
        return not self.severity.endswith(":Warning")


class RegistryError(DMPError):
    """An XDS ``RegistryResponse`` with status Failure (or PartialSuccess)."""

    channel = ErrorChannel.REGISTRY

    def __init__(
        self,
        errors: Sequence[RegistryErrorItem],
        *,
        status: str | None = None,
        **kwargs: Any,
    ) -> None:
        self.errors = list(errors)
        self.status = status
        first = next((e for e in self.errors if e.is_error), self.errors[0] if self.errors else None)
        code = first.error_code if first else None
        message = first.code_context if first else None
        location = first.location if first else None
        kwargs.setdefault("location", location)
        super().__init__(code, message, **kwargs)


class HL7AcknowledgementError(DMPError):
    """An HL7 v3 acknowledgement ``AE``/``AR`` (TD0.2, TD0.5, TD1.3a)."""

    channel = ErrorChannel.HL7V3

    def __init__(self, code: str | None, message_fr: str | None, *, type_code: str, **kwargs: Any) -> None:
        self.type_code = type_code
        super().__init__(code, message_fr, **kwargs)


class DMPStatusError(DMPError):
    """A proprietary response (TD0.3, TD0.4, TD1.6) whose ``status`` is not ``DMPOk``."""

    channel = ErrorChannel.STATUS

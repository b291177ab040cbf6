"""Report building blocks shared by the VIHF and XAdES verifiers (pydantic models, ``to_dict()`` ready)."""

from __future__ import annotations

import datetime as dt
import warnings
from collections.abc import Callable, Sequence
from typing import Any, Final

from cryptography import x509
from cryptography.x509.oid import ExtendedKeyUsageOID
from pydantic import BaseModel, ConfigDict

from dmpclient.errors import Finding, Severity
from dmpclient.security.certificates import TrustStore, certificate_fingerprint, dn_string, verify_chain

__all__ = ["KEY_USAGE_FIELDS", "CertificateInfo", "Check", "chain_check", "checks_to_findings"]


class Check(BaseModel):
    """One verification step: its name, whether it passed, and why.

    ``ok`` is ``None`` when the step was not performed (for instance the chain check without trust anchors).
    """

    model_config = ConfigDict(frozen=True)

    name: str
    ok: bool | None
    message: str
    severity: Severity = Severity.ERROR

    @property
    def failed(self) -> bool:
        """True when the step ran and failed with severity error."""
        return self.ok is False and self.severity is Severity.ERROR


def checks_to_findings(checks: list[Check], *, prefix: str, location: str | None = None) -> list[Finding]:
    """Failed or skipped checks as :class:`~dmpclient.errors.Finding` records."""
    findings = []
    for c in checks:
        if c.ok is True:
            continue
        severity = c.severity if c.ok is False else Severity.INFO
        findings.append(Finding(rule=f"{prefix}.{c.name}", message=c.message, severity=severity, location=location))
    return findings


def chain_check(
    cert: x509.Certificate,
    trust: TrustStore | Sequence[x509.Certificate] | None,
    at: dt.datetime,
    add: Callable[[str, bool | None, str, Severity], object],
) -> None:
    """The ``certificate-chain`` step of the VIHF and XAdES verifiers, reported through ``add``.

    Without anchors it is reported as not checked (``ok`` None, severity info).
    """
    if trust is None:
        add("certificate-chain", None, "no trust anchors configured: chain not checked", Severity.INFO)
        return
    store = trust if isinstance(trust, TrustStore) else TrustStore(tuple(trust))
    result = verify_chain(cert, store, at=at, raise_on_failure=False)
    add(
        "certificate-chain",
        result.ok,
        "chains to a trust anchor" if result.ok else result.reason or "untrusted",
        Severity.ERROR,
    )


class CertificateInfo(BaseModel):
    """What a report shows about a certificate."""

    model_config = ConfigDict(frozen=True)

    subject: str | None = None
    issuer: str | None = None
    serial_number: str | None = None
    not_before: dt.datetime | None = None
    not_after: dt.datetime | None = None
    sha256: str
    key_usage: list[str] = []
    extended_key_usage: list[str] = []
    parse_error: str | None = None

    @classmethod
    def from_der(
        cls, der: bytes, cert: x509.Certificate | None = None, parse_error: str | None = None
    ) -> CertificateInfo:
        """Describe a certificate (``cert`` may be None when cryptography cannot parse the DER)."""
        if cert is None:
            return cls(sha256=certificate_fingerprint(der), parse_error=parse_error or "unparseable certificate")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return cls(
                subject=dn_string(cert.subject),
                issuer=dn_string(cert.issuer),
                serial_number=str(cert.serial_number),
                not_before=cert.not_valid_before_utc,
                not_after=cert.not_valid_after_utc,
                sha256=certificate_fingerprint(der),
                key_usage=key_usages(cert),
                extended_key_usage=extended_key_usages(cert),
            )

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict."""
        return self.model_dump(mode="json")


#: The boolean fields of :class:`cryptography.x509.KeyUsage` (besides encipher_only / decipher_only).
KEY_USAGE_FIELDS: Final = (
    "digital_signature",
    "content_commitment",
    "key_encipherment",
    "data_encipherment",
    "key_agreement",
    "key_cert_sign",
    "crl_sign",
)


_EKU_NAMES = {
    ExtendedKeyUsageOID.CLIENT_AUTH: "clientAuth",
    ExtendedKeyUsageOID.SERVER_AUTH: "serverAuth",
    ExtendedKeyUsageOID.EMAIL_PROTECTION: "emailProtection",
    ExtendedKeyUsageOID.CODE_SIGNING: "codeSigning",
    ExtendedKeyUsageOID.TIME_STAMPING: "timeStamping",
    ExtendedKeyUsageOID.OCSP_SIGNING: "OCSPSigning",
}


def key_usages(cert: x509.Certificate) -> list[str]:
    """Key usage names (``content_commitment`` is reported as ``nonRepudiation``)."""
    try:
        ku = cert.extensions.get_extension_for_class(x509.KeyUsage).value
    except x509.ExtensionNotFound:
        return []
    names = []
    for f in KEY_USAGE_FIELDS:
        if getattr(ku, f):
            names.append("nonRepudiation" if f == "content_commitment" else _camel(f))
    return names


def extended_key_usages(cert: x509.Certificate) -> list[str]:
    """Extended key usage names (``clientAuth``, ``emailProtection``…) or dotted OIDs."""
    try:
        eku = cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    except x509.ExtensionNotFound:
        return []
    return [_EKU_NAMES.get(oid, oid.dotted_string) for oid in eku]


def _camel(snake: str) -> str:
    head, *rest = snake.split("_")
    return head + "".join(p.title() for p in rest)

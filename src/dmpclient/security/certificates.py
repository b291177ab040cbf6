"""Certificates: trust stores, chain verification, distinguished names as the DMP writes them.

* :class:`TrustStore` — the pinned anchors (IGC-Santé roots for real environments, the test PKI root for the
  sandbox), optional intermediates and CRLs. Never the operating-system store.
* :func:`verify_chain` — a small, explicit path validation (issuer name + signature, validity at a given
  time, CA flags, CRL lookup). It accepts what the DMP's test certificates contain (SHA-1 signed roots,
  negative serial numbers), which strict web-PKI verifiers refuse.
* :func:`dn_string` / :func:`parse_dn` / :func:`same_dn` — the VIHF ``Issuer`` is the signer's subject DN,
  written like the official examples (RFC 4514, most specific RDN first, unknown attribute types as
  ``OID=#hex``), compared structurally, never as strings (``vihf.md`` §4).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import warnings
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final, cast

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.x509.oid import NameOID

from dmpclient.errors import CertificateError

__all__ = [
    "ChainResult",
    "TrustStore",
    "certificate_fingerprint",
    "dn_string",
    "parse_dn",
    "same_dn",
    "verify_chain",
]

_KEYWORDS: Final[dict[x509.ObjectIdentifier, str]] = {
    NameOID.COMMON_NAME: "CN",
    NameOID.COUNTRY_NAME: "C",
    NameOID.LOCALITY_NAME: "L",
    NameOID.STATE_OR_PROVINCE_NAME: "ST",
    NameOID.ORGANIZATION_NAME: "O",
    NameOID.ORGANIZATIONAL_UNIT_NAME: "OU",
    NameOID.STREET_ADDRESS: "STREET",
    NameOID.DOMAIN_COMPONENT: "DC",
    NameOID.USER_ID: "UID",
}
# Parsing also accepts the common names of other attribute types.
_PARSE_KEYWORDS: Final[dict[str, str]] = {
    **{k: oid.dotted_string for oid, k in _KEYWORDS.items()},
    "SN": NameOID.SURNAME.dotted_string,
    "SURNAME": NameOID.SURNAME.dotted_string,
    "GN": NameOID.GIVEN_NAME.dotted_string,
    "GIVENNAME": NameOID.GIVEN_NAME.dotted_string,
    "T": NameOID.TITLE.dotted_string,
    "TITLE": NameOID.TITLE.dotted_string,
    "SERIALNUMBER": NameOID.SERIAL_NUMBER.dotted_string,
    "EMAILADDRESS": NameOID.EMAIL_ADDRESS.dotted_string,
    "E": NameOID.EMAIL_ADDRESS.dotted_string,
}


def certificate_fingerprint(cert: x509.Certificate | bytes, algorithm: str = "sha256") -> str:
    """Hex fingerprint (lower case, no separators) of a certificate or of its DER bytes."""
    der = cert if isinstance(cert, bytes) else cert.public_bytes(serialization.Encoding.DER)
    return hashlib.new(algorithm, der).hexdigest()


# --------------------------------------------------------------------------------------- DN strings


def _escape(value: str) -> str:
    out = []
    for i, ch in enumerate(value):
        if ch in ',+"\\<>;=' or (ch == "#" and i == 0) or (ch == " " and (i == 0 or i == len(value) - 1)):
            out.append("\\" + ch)
        elif ch == "\x00":
            out.append("\\00")
        else:
            out.append(ch)
    return "".join(out)


def _der_string(attribute: x509.NameAttribute[Any]) -> bytes:
    tag = int(attribute._type.value)  # the ASN.1 string type read from the certificate
    value = attribute.value
    if isinstance(value, bytes):
        raw = value
    elif tag == 30:  # BMPString
        raw = value.encode("utf-16-be")
    elif tag == 28:  # UniversalString
        raw = value.encode("utf-32-be")
    elif tag == 20:  # TeletexString
        raw = value.encode("latin-1", errors="replace")
    else:
        raw = value.encode("utf-8")
    n = len(raw)
    if n < 0x80:
        length = bytes([n])
    else:
        body = n.to_bytes((n.bit_length() + 7) // 8, "big")
        length = bytes([0x80 | len(body)]) + body
    return bytes([tag]) + length + raw


def dn_string(name: x509.Name) -> str:
    """RFC 4514 string of a name, most specific RDN first, ``+`` inside multi-valued RDNs.

    Attribute types without an RFC 4514 keyword are written as ``OID=#<hex DER>``, exactly as the GIE
    examples (``CN=899900038839+2.5.4.4=#14045452414c+…,OU=…,O=TEST,C=FR``).
    """
    parts = []
    for rdn in reversed(name.rdns):
        items = []
        for attribute in rdn:
            keyword = _KEYWORDS.get(attribute.oid)
            if keyword is not None and isinstance(attribute.value, str):
                items.append(f"{keyword}={_escape(attribute.value)}")
            else:
                items.append(f"{attribute.oid.dotted_string}=#{_der_string(attribute).hex()}")
        parts.append("+".join(items))
    return ",".join(parts)


def _decode_hex_value(hex_text: str) -> str:
    try:
        data = bytes.fromhex(hex_text)
    except ValueError:
        return "#" + hex_text.lower()
    if len(data) < 2:
        return "#" + hex_text.lower()
    tag = data[0]
    length = data[1]
    start = 2
    if length & 0x80:
        count = length & 0x7F
        length = int.from_bytes(data[2 : 2 + count], "big")
        start = 2 + count
    raw = data[start : start + length]
    codecs = {12: "utf-8", 19: "ascii", 22: "ascii", 20: "latin-1", 30: "utf-16-be", 28: "utf-32-be", 26: "ascii"}
    codec = codecs.get(tag)
    if codec is None:
        return "#" + hex_text.lower()
    return raw.decode(codec, errors="replace")


def parse_dn(text: str) -> list[list[tuple[str, str]]]:
    """Parse an RFC 4514 / RFC 2253 string into RDNs of ``(OID, value)`` pairs, most specific first.

    ``#hex`` values are decoded when they hold an ASN.1 string; keywords are mapped to OIDs.
    """
    rdns: list[list[tuple[str, str]]] = []
    current: list[tuple[str, str]] = []
    i, n = 0, len(text)
    while i < n:
        while i < n and text[i] == " ":
            i += 1
        eq = text.find("=", i)
        if eq == -1:
            raise CertificateError(f"not a distinguished name: {text!r}")
        attr_type = text[i:eq].strip()
        i = eq + 1
        value_chars: list[str] = []
        hex_form = i < n and text[i] == "#"
        while i < n and text[i] not in ",+;":
            ch = text[i]
            if ch == "\\" and i + 1 < n:
                nxt = text[i + 1]
                if i + 2 < n and all(c in "0123456789abcdefABCDEF" for c in text[i + 1 : i + 3]):
                    value_chars.append(chr(int(text[i + 1 : i + 3], 16)))
                    i += 3
                    continue
                value_chars.append(nxt)
                i += 2
                continue
            value_chars.append(ch)
            i += 1
        raw_value = "".join(value_chars).strip()
        key = attr_type.upper()
        oid = _PARSE_KEYWORDS.get(key, attr_type[4:] if key.startswith("OID.") else attr_type)
        value = _decode_hex_value(raw_value[1:]) if hex_form else raw_value
        current.append((oid, value))
        if i >= n or text[i] in ",;":
            rdns.append(current)
            current = []
        i += 1
    if current:
        rdns.append(current)
    return rdns


def _normalise(rdns: Sequence[Sequence[tuple[str, str]]]) -> list[frozenset[tuple[str, str]]]:
    return [frozenset((oid, " ".join(value.split()).casefold()) for oid, value in rdn) for rdn in rdns]


def same_dn(a: str | x509.Name, b: str | x509.Name) -> bool:
    """Structural DN comparison: same RDNs in the same order, values compared case- and space-insensitively."""

    def rdns(x: str | x509.Name) -> list[list[tuple[str, str]]]:
        if isinstance(x, x509.Name):
            return [
                [
                    (attr.oid.dotted_string, attr.value if isinstance(attr.value, str) else attr.value.hex())
                    for attr in rdn
                ]
                for rdn in reversed(x.rdns)
            ]
        return parse_dn(x)

    return _normalise(rdns(a)) == _normalise(rdns(b))


# ------------------------------------------------------------------------------------------ trust store


def _load_pem_or_der(data: bytes) -> list[x509.Certificate]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if b"-----BEGIN" in data:
            return list(x509.load_pem_x509_certificates(data))
        return [x509.load_der_x509_certificate(data)]


@dataclass(frozen=True)
class TrustStore:
    """Pinned trust material: anchors (roots), optional intermediates and CRLs.

    Build it from objects, or with :meth:`from_pem` (bytes or files). It is used both for signature
    verification (:func:`verify_chain`) and for TLS (``create_ssl_context(trust=…)``).
    """

    anchors: tuple[x509.Certificate, ...]
    intermediates: tuple[x509.Certificate, ...] = ()
    crls: tuple[x509.CertificateRevocationList, ...] = field(default=())

    def __post_init__(self) -> None:
        if not self.anchors:
            raise CertificateError("a trust store needs at least one anchor certificate")

    @classmethod
    def from_pem(
        cls,
        anchors: bytes | str | os.PathLike[str] | Sequence[bytes | str | os.PathLike[str]],
        *,
        intermediates: bytes | str | os.PathLike[str] | Sequence[bytes | str | os.PathLike[str]] = (),
        crls: bytes | str | os.PathLike[str] | Sequence[bytes | str | os.PathLike[str]] = (),
    ) -> TrustStore:
        """Load anchors (and intermediates, CRLs) from PEM/DER bytes or file paths (one or several)."""
        return cls(
            anchors=tuple(c for item in _items(anchors) for c in _load_pem_or_der(_bytes(item))),
            intermediates=tuple(c for item in _items(intermediates) for c in _load_pem_or_der(_bytes(item))),
            crls=tuple(_load_crl(_bytes(item)) for item in _items(crls)),
        )

    @classmethod
    def from_bundle(cls, sources: Sequence[bytes | str | os.PathLike[str]]) -> TrustStore:
        """Load PEM bundles: self-signed certificates become anchors, the others intermediates."""
        certs = [c for item in sources for c in _load_pem_or_der(_bytes(item))]
        anchors = tuple(c for c in certs if c.subject == c.issuer)
        return cls(anchors=anchors, intermediates=tuple(c for c in certs if c.subject != c.issuer))

    def anchors_pem(self) -> str:
        """The anchors as concatenated PEM (for ``SSLContext.load_verify_locations(cadata=…)``)."""
        return "".join(c.public_bytes(serialization.Encoding.PEM).decode("ascii") for c in self.anchors)

    def with_intermediates(self, certs: Iterable[x509.Certificate]) -> TrustStore:
        """A copy with more intermediates."""
        return TrustStore(self.anchors, (*self.intermediates, *certs), self.crls)


def _items(value: object) -> list[bytes | str | os.PathLike[str]]:
    if isinstance(value, bytes | str | os.PathLike):
        return [value]
    return list(cast("Iterable[bytes | str | os.PathLike[str]]", value))


def _bytes(item: bytes | str | os.PathLike[str]) -> bytes:
    return item if isinstance(item, bytes) else Path(item).read_bytes()


def _load_crl(data: bytes) -> x509.CertificateRevocationList:
    if b"-----BEGIN" in data:
        return x509.load_pem_x509_crl(data)
    return x509.load_der_x509_crl(data)


# -------------------------------------------------------------------------------------- verification


@dataclass(frozen=True, slots=True)
class ChainResult:
    """Outcome of :func:`verify_chain`: the path found (subjects, leaf first) or the reason it failed."""

    ok: bool
    path: tuple[str, ...] = ()
    reason: str | None = None


def _utc(value: dt.datetime) -> dt.datetime:
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


def _issued_by(cert: x509.Certificate, issuer: x509.Certificate) -> bool:
    if cert.issuer != issuer.subject:
        return False
    try:
        cert.verify_directly_issued_by(issuer)
    except Exception:
        return False
    return True


def _is_ca(cert: x509.Certificate) -> bool:
    try:
        bc = cert.extensions.get_extension_for_class(x509.BasicConstraints).value
    except x509.ExtensionNotFound:
        return cert.version is x509.Version.v1  # old v1 roots
    return bool(bc.ca)


def verify_chain(
    certificate: x509.Certificate,
    trust: TrustStore,
    *,
    at: dt.datetime | None = None,
    extra_certificates: Sequence[x509.Certificate] = (),
    raise_on_failure: bool = True,
) -> ChainResult:
    """Check that ``certificate`` chains to an anchor of ``trust`` and every link is valid at ``at``.

    Checks: issuer name and signature of each link, validity period of every certificate of the path at
    ``at`` (default now), CA flag of issuers, revocation in the trust store's CRLs.

    Raises:
        CertificateError: when ``raise_on_failure`` and the chain does not verify (the reason says why).
    """
    when = _utc(at or dt.datetime.now(dt.UTC))
    pool = [*trust.intermediates, *extra_certificates]
    path = [certificate]
    reason: str | None = None
    current = certificate
    for _ in range(10):
        anchor = next((a for a in trust.anchors if _issued_by(current, a)), None)
        if anchor is not None:
            if anchor != current:
                path.append(anchor)
            break
        if current in trust.anchors:
            break
        issuer = next((c for c in pool if c != current and _issued_by(current, c)), None)
        if issuer is None:
            reason = (
                f"no trusted issuer found for {current.subject.rfc4514_string()!r} "
                f"(issuer {current.issuer.rfc4514_string()!r})"
            )
            break
        path.append(issuer)
        current = issuer
    else:
        reason = "certificate chain too long"
    if reason is None:
        for index, cert in enumerate(path):
            if index > 0 and not _is_ca(cert):
                reason = f"{cert.subject.rfc4514_string()!r} is not a CA certificate"
                break
            if not (cert.not_valid_before_utc <= when <= cert.not_valid_after_utc):
                reason = (
                    f"certificate {cert.subject.rfc4514_string()!r} is not valid at {when.isoformat()} "
                    f"(valid {cert.not_valid_before_utc.isoformat()} to {cert.not_valid_after_utc.isoformat()})"
                )
                break
            revoked = _revocation(cert, path[index + 1] if index + 1 < len(path) else None, trust.crls)
            if revoked is not None:
                reason = f"certificate {cert.subject.rfc4514_string()!r} is revoked since {revoked.isoformat()}"
                break
    subjects = tuple(c.subject.rfc4514_string() for c in path)
    if reason is not None:
        if raise_on_failure:
            raise CertificateError(reason)
        return ChainResult(False, subjects, reason)
    return ChainResult(True, subjects, None)


def _revocation(
    cert: x509.Certificate, issuer: x509.Certificate | None, crls: Sequence[x509.CertificateRevocationList]
) -> dt.datetime | None:
    for crl in crls:
        if crl.issuer != cert.issuer:
            continue
        if issuer is not None and not crl.is_signature_valid(issuer.public_key()):  # type: ignore[arg-type]
            continue
        entry = crl.get_revoked_certificate_by_serial_number(cert.serial_number)
        if entry is not None:
            return entry.revocation_date_utc
    return None

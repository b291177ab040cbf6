"""TLS for the DMP: client identities and ``ssl.SSLContext`` factories (``envelope-and-transport.md`` §6).

* :class:`TlsIdentity` — the client certificate of mutual TLS: the structure's ORG AUTH_CLI, or a card's
  authentication certificate exported by the vendor's middleware, from PKCS#12 or PEM. A PKCS#12 key is
  handed to OpenSSL without touching the disk (``memfd`` on Linux; elsewhere a 0600 temporary file holding
  the key **encrypted** with a one-time password, deleted right after loading).
* :func:`create_ssl_context` — TLS ≥ 1.2 (1.2 only by default: "Le protocole supporté est : TLS 1.2"), the
  four LPS cipher suites of PDT-INF-579, SNI, host name checked against the SAN, a **pinned** trust store
  (never the operating-system store), and optional certificate fingerprint pinning checked during the
  handshake.
* :func:`create_server_ssl_context` — for the sandbox: requires client certificates issued by the test CA.

With httpx always pass the returned context: ``httpx.Client(verify=ctx)``. Never pass a path as ``verify``
together with ``cert=``: httpx 0.28 silently drops the client certificate (``library-notes.md``).

Python's ``ssl`` cannot use a key held by a PKCS#11 token: TLS with a CPS card's authentication key needs an
external TLS terminator (stunnel with the card's PKCS#11 module) — see ``docs/security/tls-and-pki.md``.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import secrets
import ssl
import sys
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any, Final

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import pkcs12

from dmpclient.errors import ConfigurationError, TokenError
from dmpclient.security.certificates import TrustStore
from dmpclient.security.signers import load_certificates

__all__ = [
    "DMP_LPS_CIPHERS",
    "DmpSSLContext",
    "TlsFailure",
    "TlsFailureKind",
    "TlsIdentity",
    "check_peer_fingerprint",
    "create_server_ssl_context",
    "create_ssl_context",
    "explain_tls_error",
    "normalise_fingerprint",
]

#: The four TLS 1.2 suites allowed for LPS web services (PDT-INF-579 v4, 10/07/2025), OpenSSL names.
DMP_LPS_CIPHERS: Final = (
    "ECDHE-RSA-AES256-GCM-SHA384:ECDHE-RSA-AES128-GCM-SHA256:ECDHE-RSA-CHACHA20-POLY1305:ECDHE-RSA-AES256-SHA384"
)


@dataclass(frozen=True, repr=False)
class TlsIdentity:
    """A client (or server) certificate with its private key and chain, kept in memory.

    Attributes:
        certificate: the leaf certificate.
        chain: the intermediates sent after the leaf (not the root).
    """

    certificate: x509.Certificate
    key: rsa.RSAPrivateKey
    chain: tuple[x509.Certificate, ...] = ()

    @classmethod
    def from_pkcs12(cls, source: bytes | str | os.PathLike[str], password: bytes | str | None) -> TlsIdentity:
        """Load a PKCS#12 file or bytes (the password is used once and not kept)."""
        data = source if isinstance(source, bytes) else Path(source).read_bytes()
        pwd = password.encode() if isinstance(password, str) else password
        try:
            key, cert, extra = pkcs12.load_key_and_certificates(data, pwd)
        except (ValueError, TypeError):
            raise TokenError("cannot open the PKCS#12 (wrong password or corrupted file)") from None
        if key is None or cert is None or not isinstance(key, rsa.RSAPrivateKey):
            raise TokenError("the PKCS#12 must hold an RSA private key and its certificate")
        return cls(cert, key, tuple(c for c in extra if c.subject != c.issuer))

    @classmethod
    def from_pem(
        cls,
        cert: bytes | str | os.PathLike[str],
        key: bytes | str | os.PathLike[str],
        password: bytes | str | None = None,
    ) -> TlsIdentity:
        """Load a PEM certificate (optionally followed by its chain) and a PEM private key."""
        certs = load_certificates(cert)
        key_data = key if isinstance(key, bytes) else Path(key).read_bytes()
        pwd = password.encode() if isinstance(password, str) else password
        try:
            private = serialization.load_pem_private_key(key_data, pwd)
        except (ValueError, TypeError):
            raise TokenError("cannot load the private key (wrong password or not PEM)") from None
        if not isinstance(private, rsa.RSAPrivateKey):
            raise TokenError("the DMP cipher suites need an RSA key")
        numbers = private.public_key().public_numbers()
        leaf = next((c for c in certs if _rsa_numbers(c) == numbers), None)
        if leaf is None:
            raise TokenError("no certificate matches the private key")
        return cls(leaf, private, tuple(c for c in certs if c != leaf and c.subject != c.issuer))

    def load_into(self, context: ssl.SSLContext) -> None:
        """Load the certificate chain and key into ``context`` without writing the clear key to disk."""
        one_time = secrets.token_urlsafe(24).encode()
        pem = self.certificate.public_bytes(serialization.Encoding.PEM) + b"".join(
            c.public_bytes(serialization.Encoding.PEM) for c in self.chain
        )
        pem += self.key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.BestAvailableEncryption(one_time),
        )
        with _transient_file(pem) as path:
            context.load_cert_chain(path, password=one_time)

    def __repr__(self) -> str:
        return f"TlsIdentity(subject={self.certificate.subject.rfc4514_string()!r})"


def _rsa_numbers(cert: x509.Certificate) -> rsa.RSAPublicNumbers | None:
    public = cert.public_key()
    return public.public_numbers() if isinstance(public, rsa.RSAPublicKey) else None


@contextlib.contextmanager
def _transient_file(data: bytes) -> Iterator[str]:
    """A path readable by OpenSSL that holds ``data``: a memfd on Linux, else a 0600 temp file deleted at once."""
    memfd = getattr(os, "memfd_create", None)
    if memfd is not None and sys.platform.startswith("linux"):
        fd = memfd("dmpclient-tls", getattr(os, "MFD_CLOEXEC", 0))
        try:
            os.write(fd, data)
            yield f"/proc/self/fd/{fd}"
        finally:
            os.close(fd)
        return
    handle, name = tempfile.mkstemp(prefix="dmpclient-", suffix=".pem")
    try:
        os.chmod(name, 0o600)
        with os.fdopen(handle, "wb") as f:
            f.write(data)
        yield name
    finally:
        with contextlib.suppress(OSError):
            os.unlink(name)


# ------------------------------------------------------------------------------------ fingerprints


def normalise_fingerprint(value: str) -> str:
    """``AB:CD:…`` or ``abcd…`` → lower-case hex without separators (SHA-256, 64 characters)."""
    compact = value.replace(":", "").replace(" ", "").lower()
    if len(compact) != 64 or any(c not in "0123456789abcdef" for c in compact):
        raise ConfigurationError(
            "a pinned fingerprint is the SHA-256 of the DER certificate (64 hex digits)",
            field="pinned_fingerprints",
            value=value,
            rule="SHA-256 fingerprint",
        )
    return compact


class PinMismatchError(ssl.SSLCertVerificationError):
    """The server certificate is trusted by the CA store but its fingerprint is not pinned."""


def check_peer_fingerprint(peer_der: bytes | None, pins: Iterable[str]) -> str:
    """Check a peer certificate (DER) against pinned SHA-256 fingerprints; return its fingerprint.

    Raises:
        PinMismatchError: (an ``ssl.SSLCertVerificationError``) no certificate or an unpinned one.
    """
    wanted = {normalise_fingerprint(p) for p in pins}
    if peer_der is None:
        raise PinMismatchError("the server sent no certificate to check against the pinned fingerprints")
    actual = hashlib.sha256(peer_der).hexdigest()
    if wanted and actual not in wanted:
        raise PinMismatchError(f"server certificate fingerprint {actual} is not pinned")
    return actual


class _PinnedSSLSocket(ssl.SSLSocket):
    def do_handshake(self, block: bool = False) -> None:
        super().do_handshake(block)
        pins = getattr(self.context, "pinned_fingerprints", ())
        if pins:
            check_peer_fingerprint(self.getpeercert(binary_form=True), pins)


class _PinnedSSLObject(ssl.SSLObject):
    def do_handshake(self) -> None:
        super().do_handshake()
        pins = getattr(self.context, "pinned_fingerprints", ())
        if pins:
            check_peer_fingerprint(self.getpeercert(binary_form=True), pins)


class DmpSSLContext(ssl.SSLContext):
    """An ``SSLContext`` that also checks pinned certificate fingerprints at the end of every handshake."""

    pinned_fingerprints: frozenset[str] = frozenset()
    sslsocket_class = _PinnedSSLSocket
    sslobject_class = _PinnedSSLObject


def _base_context(protocol: int, *, tls_max_1_2: bool, ciphers: str | None) -> DmpSSLContext:
    ctx = DmpSSLContext(protocol)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    if tls_max_1_2:
        ctx.maximum_version = ssl.TLSVersion.TLSv1_2
    if ciphers:
        ctx.set_ciphers(ciphers)
    ctx.options |= ssl.OP_NO_COMPRESSION
    return ctx


def create_ssl_context(
    *,
    identity: TlsIdentity | None = None,
    trust: TrustStore,
    pinned_fingerprints: Iterable[str] | None = None,
    tls_max_1_2: bool = True,
    ciphers: str | None = DMP_LPS_CIPHERS,
    check_hostname: bool = True,
) -> DmpSSLContext:
    """A client ``SSLContext`` for the DMP web services.

    Args:
        identity: the client certificate (ORG AUTH_CLI, or the card's authentication certificate exported as
            PKCS#12); None for no client certificate.
        trust: the pinned anchors of the environment (IGC-Santé roots, or the test PKI for the sandbox). The
            operating-system store is never loaded.
        pinned_fingerprints: SHA-256 fingerprints of accepted server certificates (REC_0.X-1100), checked at
            the end of each handshake (the connection fails with an ``ssl.SSLCertVerificationError``).
        tls_max_1_2: cap at TLS 1.2 (the only version the DMP LPS access supports); False allows 1.3.
        ciphers: OpenSSL cipher string for TLS 1.2 (default: the four LPS suites).
        check_hostname: verify the server name against the certificate's SAN (keep True; SNI is always sent).
    """
    ctx = _base_context(ssl.PROTOCOL_TLS_CLIENT, tls_max_1_2=tls_max_1_2, ciphers=ciphers)
    ctx.verify_mode = ssl.CERT_REQUIRED
    ctx.check_hostname = check_hostname
    ctx.load_verify_locations(cadata=trust.anchors_pem())
    if trust.crls:
        _load_crls(ctx, trust)
    if pinned_fingerprints:
        ctx.pinned_fingerprints = frozenset(normalise_fingerprint(p) for p in pinned_fingerprints)
    if identity is not None:
        identity.load_into(ctx)
    return ctx


def create_server_ssl_context(
    *,
    identity: TlsIdentity,
    client_trust: TrustStore | None,
    require_client_certificate: bool = True,
    tls_max_1_2: bool = True,
    ciphers: str | None = DMP_LPS_CIPHERS,
) -> DmpSSLContext:
    """A server ``SSLContext`` for the sandbox: presents ``identity`` and requires client certificates
    issued under ``client_trust`` (the test PKI root)."""
    ctx = _base_context(ssl.PROTOCOL_TLS_SERVER, tls_max_1_2=tls_max_1_2, ciphers=ciphers)
    identity.load_into(ctx)
    if client_trust is not None:
        ctx.load_verify_locations(cadata=client_trust.anchors_pem())
        if client_trust.crls:
            _load_crls(ctx, client_trust)
        ctx.verify_mode = ssl.CERT_REQUIRED if require_client_certificate else ssl.CERT_OPTIONAL
    elif require_client_certificate:
        raise ConfigurationError(
            "requiring client certificates needs a client trust store", field="client_trust", value=None
        )
    return ctx


def _load_crls(ctx: ssl.SSLContext, trust: TrustStore) -> None:
    # CRLs are public data: a temporary file is fine (load_verify_locations(cadata=) takes certificates only).
    pem = b"".join(crl.public_bytes(serialization.Encoding.PEM) for crl in trust.crls)
    with _transient_file(pem) as path:
        ctx.load_verify_locations(cafile=path)
    ctx.verify_flags |= ssl.VERIFY_CRL_CHECK_LEAF


def peer_certificate(stream_or_ssl: Any) -> x509.Certificate | None:
    """The peer certificate of an ``ssl.SSLSocket``/``SSLObject`` (or an httpx network stream)."""
    obj = stream_or_ssl
    get_extra = getattr(obj, "get_extra_info", None)
    if get_extra is not None:
        obj = get_extra("ssl_object")
    der = obj.getpeercert(binary_form=True) if obj is not None else None
    return x509.load_der_x509_certificate(der) if der else None


# ------------------------------------------------------------------------------------ error explanation


class TlsFailureKind(StrEnum):
    """Why a TLS handshake failed, in terms a DMP integrator can act on."""

    HOSTNAME_MISMATCH = "hostname-mismatch"
    UNKNOWN_CA = "unknown-ca"
    CERTIFICATE_EXPIRED = "certificate-expired"
    CERTIFICATE_REVOKED = "certificate-revoked"
    CLIENT_CERTIFICATE_REJECTED = "client-certificate-rejected"
    CLIENT_CERTIFICATE_MISSING = "client-certificate-missing"
    PIN_MISMATCH = "pin-mismatch"
    PROTOCOL = "protocol-or-cipher"
    OTHER = "other"


@dataclass(frozen=True, slots=True)
class TlsFailure:
    """A classified TLS failure: kind, a plain explanation, and the original OpenSSL text."""

    kind: TlsFailureKind
    explanation: str
    detail: str


_HINTS: Final[dict[TlsFailureKind, str]] = {
    TlsFailureKind.HOSTNAME_MISMATCH: "the server certificate does not name this host in its SAN",
    TlsFailureKind.UNKNOWN_CA: "the server certificate does not chain to the pinned trust store of this environment",
    TlsFailureKind.CERTIFICATE_EXPIRED: "a certificate of the handshake has expired",
    TlsFailureKind.CERTIFICATE_REVOKED: "a certificate of the handshake is revoked",
    TlsFailureKind.CLIENT_CERTIFICATE_REJECTED: "the server refused our client certificate (untrusted, expired or "
    "wrong usage: use the ORG AUTH_CLI or the card's authentication certificate)",
    TlsFailureKind.CLIENT_CERTIFICATE_MISSING: "the server requires a client certificate (mutual TLS); none was sent",
    TlsFailureKind.PIN_MISMATCH: "the server certificate is not one of the pinned fingerprints",
    TlsFailureKind.PROTOCOL: "no common TLS version or cipher suite (the DMP accepts TLS 1.2, four ECDHE-RSA suites)",
    TlsFailureKind.OTHER: "TLS handshake failed",
}


def explain_tls_error(exc: BaseException) -> TlsFailure | None:
    """Classify an ``ssl`` error (or an httpx ``ConnectError`` wrapping one); None when it is not TLS."""
    chain: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and len(chain) < 8:
        chain.append(current)
        current = current.__cause__ or current.__context__
    texts = " | ".join(str(e) for e in chain)
    low = texts.lower()
    if any(isinstance(e, PinMismatchError) for e in chain) or "is not pinned" in low:
        kind = TlsFailureKind.PIN_MISMATCH
    elif "hostname mismatch" in low or "ip address mismatch" in low or "doesn't match" in low:
        kind = TlsFailureKind.HOSTNAME_MISMATCH
    elif "certificate has expired" in low:
        kind = TlsFailureKind.CERTIFICATE_EXPIRED
    elif "certificate revoked" in low and "alert" not in low:
        kind = TlsFailureKind.CERTIFICATE_REVOKED
    elif "unable to get local issuer" in low or "self-signed certificate" in low or "unable to get issuer" in low:
        kind = TlsFailureKind.UNKNOWN_CA
    elif "certificate required" in low or "peer did not return a certificate" in low:
        kind = TlsFailureKind.CLIENT_CERTIFICATE_MISSING
    elif any(
        a in low
        for a in (
            "alert certificate expired",
            "alert unknown ca",
            "alert bad certificate",
            "alert certificate revoked",
            "alert certificate unknown",
            "alert unsupported certificate",
        )
    ):
        kind = TlsFailureKind.CLIENT_CERTIFICATE_REJECTED
    elif "alert handshake failure" in low:
        kind = TlsFailureKind.CLIENT_CERTIFICATE_MISSING if "no shared cipher" not in low else TlsFailureKind.PROTOCOL
    elif (
        "no shared cipher" in low
        or "unsupported protocol" in low
        or "wrong version number" in low
        or "no protocols" in low
    ):
        kind = TlsFailureKind.PROTOCOL
    elif any(isinstance(e, ssl.SSLError) for e in chain) or "ssl" in low:
        kind = TlsFailureKind.OTHER
    else:
        return None
    return TlsFailure(kind, _HINTS[kind], texts[:500])

"""Mutual TLS with our SSLContext against a local threaded ssl server (loopback), and clean failures."""

from __future__ import annotations

import datetime as dt
import socket
import ssl
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import httpx
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

from dmpclient.errors import ConfigurationError, TokenError
from dmpclient.security.certificates import TrustStore, certificate_fingerprint
from dmpclient.security.pki import TestPki
from dmpclient.security.tls import (
    DMP_LPS_CIPHERS,
    TlsFailureKind,
    TlsIdentity,
    create_server_ssl_context,
    create_ssl_context,
    explain_tls_error,
)


@dataclass
class Server:
    """A tiny HTTPS server: one thread, one request per connection, records what it saw."""

    context: ssl.SSLContext
    port: int = 0
    peers: list[str] = field(default_factory=list)
    ciphers: list[tuple[str, str, int]] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


@contextmanager
def serve(context: ssl.SSLContext) -> Iterator[Server]:
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    listener.settimeout(0.2)
    server = Server(context, listener.getsockname()[1])
    stop = threading.Event()

    def loop() -> None:
        while not stop.is_set():
            try:
                raw, _ = listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            raw.settimeout(5)
            try:
                with context.wrap_socket(raw, server_side=True) as conn:
                    peer = conn.getpeercert()
                    if peer:
                        server.peers.append(dict(x[0] for x in peer["subject"]).get("organizationalUnitName", "?"))
                    cipher = conn.cipher()
                    if cipher:
                        server.ciphers.append(cipher)
                    data = b""
                    while b"\r\n\r\n" not in data:
                        chunk = conn.recv(4096)
                        if not chunk:
                            break
                        data += chunk
                    conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok")
            except (ssl.SSLError, OSError) as exc:
                server.errors.append(str(exc))
                raw.close()

    thread = threading.Thread(target=loop, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        stop.set()
        thread.join(timeout=5)
        listener.close()


def server_context(pki: TestPki, name: str = "dmp-server") -> ssl.SSLContext:
    return create_server_ssl_context(identity=pki.tls_identity(name), client_trust=pki.trust_store(with_crls=False))


def get(ctx: ssl.SSLContext, url: str, **extensions: object) -> httpx.Response:
    with httpx.Client(verify=ctx, timeout=5) as client:
        return client.get(url, extensions=extensions or None)


def failure(ctx: ssl.SSLContext, url: str, **extensions: object) -> TlsFailureKind:
    with pytest.raises(httpx.ConnectError) as caught:
        get(ctx, url, **extensions)
    explained = explain_tls_error(caught.value)
    assert explained is not None, repr(caught.value)
    assert explained.detail
    return explained.kind


@pytest.mark.slow
def test_mutual_tls_with_httpx_and_our_context(pki: TestPki) -> None:
    ctx = create_ssl_context(identity=pki.tls_identity("ej-auth"), trust=pki.trust_store())
    with serve(server_context(pki)) as server:
        response = get(ctx, f"https://localhost:{server.port}/")
        assert response.status_code == 200
        assert response.text == "ok"
        response = get(ctx, f"https://127.0.0.1:{server.port}/")  # IP SAN
        assert response.status_code == 200
    assert server.peers == ["11B0062640", "11B0062640"]  # the server saw our ORG AUTH_CLI
    name, version, _ = server.ciphers[0]
    assert version == "TLSv1.2"
    assert name in DMP_LPS_CIPHERS.split(":")


def test_context_settings(pki: TestPki) -> None:
    ctx = create_ssl_context(trust=pki.trust_store())
    assert ctx.minimum_version is ssl.TLSVersion.TLSv1_2
    assert ctx.maximum_version is ssl.TLSVersion.TLSv1_2
    assert ctx.verify_mode is ssl.CERT_REQUIRED
    assert ctx.check_hostname
    tls12 = {c["name"] for c in ctx.get_ciphers() if c["protocol"] == "TLSv1.2"}
    assert tls12 == set(DMP_LPS_CIPHERS.split(":"))
    # pinned store only: the OS store is never loaded
    assert [c["subject"] for c in ctx.get_ca_certs()] == [
        (
            (("countryName", "FR"),),
            (("organizationName", "ASIP-SANTE"),),
            (("organizationalUnitName", "0002 187512751"),),
            (("organizationalUnitName", "IGC-SANTE TEST"),),
            (("commonName", "TEST AC RACINE IGC-SANTE ELEMENTAIRE"),),
        )
    ]
    assert (
        create_ssl_context(trust=pki.trust_store(), tls_max_1_2=False).maximum_version
        is ssl.TLSVersion.MAXIMUM_SUPPORTED
    )


@pytest.mark.slow
def test_wrong_hostname_fails_cleanly(pki: TestPki) -> None:
    ctx = create_ssl_context(identity=pki.tls_identity("ej-auth"), trust=pki.trust_store())
    with serve(server_context(pki)) as server:
        kind = failure(ctx, f"https://localhost:{server.port}/", sni_hostname="dmp.example.org")
    assert kind is TlsFailureKind.HOSTNAME_MISMATCH


def _foreign_root() -> x509.Certificate:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "SOME OTHER ROOT")])
    now = dt.datetime.now(dt.UTC)
    return (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(1)
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=10))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )


@pytest.mark.slow
def test_unknown_ca_fails_cleanly(pki: TestPki) -> None:
    ctx = create_ssl_context(identity=pki.tls_identity("ej-auth"), trust=TrustStore((_foreign_root(),)))
    with serve(server_context(pki)) as server:
        assert failure(ctx, f"https://localhost:{server.port}/") is TlsFailureKind.UNKNOWN_CA


@pytest.mark.slow
def test_expired_server_certificate_fails_cleanly(pki: TestPki) -> None:
    ctx = create_ssl_context(identity=pki.tls_identity("ej-auth"), trust=pki.trust_store())
    with serve(server_context(pki, "dmp-server-expired")) as server:
        assert failure(ctx, f"https://localhost:{server.port}/") is TlsFailureKind.CERTIFICATE_EXPIRED


@pytest.mark.slow
def test_expired_client_certificate_is_refused_by_the_server(pki: TestPki) -> None:
    ctx = create_ssl_context(identity=pki.tls_identity("ej-auth-expired"), trust=pki.trust_store())
    with serve(server_context(pki)) as server:
        assert failure(ctx, f"https://localhost:{server.port}/") is TlsFailureKind.CLIENT_CERTIFICATE_REJECTED
    assert any("certificate has expired" in e for e in server.errors)


@pytest.mark.slow
def test_missing_client_certificate_fails_cleanly(pki: TestPki) -> None:
    ctx = create_ssl_context(trust=pki.trust_store())
    with serve(server_context(pki)) as server:
        assert failure(ctx, f"https://localhost:{server.port}/") is TlsFailureKind.CLIENT_CERTIFICATE_MISSING
    assert server.errors


@pytest.mark.slow
def test_fingerprint_pinning_is_checked_during_the_handshake(pki: TestPki) -> None:
    good = certificate_fingerprint(pki.certificate("dmp-server"))
    pinned = create_ssl_context(
        identity=pki.tls_identity("ej-auth"), trust=pki.trust_store(), pinned_fingerprints=[good.upper()]
    )
    wrong = create_ssl_context(
        identity=pki.tls_identity("ej-auth"), trust=pki.trust_store(), pinned_fingerprints=["00" * 32]
    )
    with serve(server_context(pki)) as server:
        assert get(pinned, f"https://localhost:{server.port}/").status_code == 200
        assert failure(wrong, f"https://localhost:{server.port}/") is TlsFailureKind.PIN_MISMATCH
    with pytest.raises(ConfigurationError, match="SHA-256"):
        create_ssl_context(trust=pki.trust_store(), pinned_fingerprints=["abc"])


@pytest.mark.slow
def test_revoked_client_certificate_with_crl_on_the_server(pki: TestPki) -> None:
    """CRLs of the trust store are enforced by OpenSSL on the leaf (server side here)."""
    server_ctx = create_server_ssl_context(identity=pki.tls_identity("dmp-server"), client_trust=pki.trust_store())
    ctx = create_ssl_context(identity=pki.tls_identity("ej-auth-revoked"), trust=pki.trust_store())
    with serve(server_ctx) as server:
        assert failure(ctx, f"https://localhost:{server.port}/") is TlsFailureKind.CLIENT_CERTIFICATE_REJECTED
    assert any("revoked" in e for e in server.errors), server.errors


def test_identity_loading(pki: TestPki) -> None:
    entry = pki.entry("ej-auth")
    from_p12 = TlsIdentity.from_pkcs12(pki.path(entry.p12 or ""), pki.password)
    from_pem = TlsIdentity.from_pem(pki.path(entry.chain), pki.path(entry.key))
    assert from_p12.certificate == from_pem.certificate == pki.certificate("ej-auth")
    assert [c.subject for c in from_p12.chain] == [c.subject for c in from_pem.chain]  # intermediate only, no root
    assert len(from_p12.chain) == 1
    assert "PRIVATE" not in repr(from_p12)
    assert "key" not in repr(from_p12).lower().replace("tlsidentity", "")
    with pytest.raises(TokenError, match="PKCS#12"):
        TlsIdentity.from_pkcs12(pki.path(entry.p12 or ""), "wrong")
    with pytest.raises(TokenError, match="no certificate matches"):
        TlsIdentity.from_pem(pki.path(pki.entry("ej-sign").cert), pki.path(entry.key))


def test_pkcs12_key_never_written_in_clear(pki: TestPki, monkeypatch: pytest.MonkeyPatch) -> None:
    """Without memfd the key goes to a 0600 temp file, encrypted with a one-time password, deleted at once."""
    import os

    from dmpclient.security import tls

    written: list[tuple[str, bytes]] = []
    real_fdopen = os.fdopen

    class Spy:
        def __init__(self, f: object, name: str) -> None:
            self.f, self.name = f, name

        def __enter__(self) -> Spy:
            return self

        def __exit__(self, *a: object) -> None:
            self.f.__exit__(*a)  # type: ignore[attr-defined]

        def write(self, data: bytes) -> int:
            written.append((self.name, data))
            return self.f.write(data)  # type: ignore[attr-defined,no-any-return]

    monkeypatch.delattr(os, "memfd_create", raising=False)
    created: list[str] = []
    real_mkstemp = tls.tempfile.mkstemp

    def mkstemp(**kw: str) -> tuple[int, str]:
        fd, name = real_mkstemp(**kw)
        created.append(name)
        return fd, name

    monkeypatch.setattr(tls.tempfile, "mkstemp", mkstemp)
    monkeypatch.setattr(tls.os, "fdopen", lambda fd, mode: Spy(real_fdopen(fd, mode), "tmp"))
    ctx = create_ssl_context(identity=pki.tls_identity("ej-auth"), trust=pki.trust_store())
    assert isinstance(ctx, ssl.SSLContext)
    keys = [data for _, data in written if b"PRIVATE KEY" in data]
    assert keys, "the fallback path was not exercised"
    data = keys[0]
    assert b"ENCRYPTED PRIVATE KEY" in data
    assert b"BEGIN PRIVATE KEY" not in data
    clear = pki.path(pki.entry("ej-auth").key).read_bytes()
    assert clear.splitlines()[1] not in data
    assert created
    assert not any(os.path.exists(name) for name in created)


def test_server_context_requires_a_client_trust_store(pki: TestPki) -> None:
    with pytest.raises(ConfigurationError, match="client trust store"):
        create_server_ssl_context(identity=pki.tls_identity("dmp-server"), client_trust=None)
    ctx = server_context(pki)
    assert ctx.verify_mode is ssl.CERT_REQUIRED


def test_explain_ignores_non_tls_errors() -> None:
    assert explain_tls_error(ValueError("nothing to do with TLS")) is None

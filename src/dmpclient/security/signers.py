"""Signers: one protocol for "sign these bytes with RSA PKCS#1 v1.5", a software-key implementation.

Every XML signature of dmpclient (VIHF, XAdES) goes through a :class:`Signer`. Two implementations:

* :class:`SoftwareSigner`: a key from PEM or PKCS#12, loaded **once** (an RSA PEM load costs ≈ 50 ms;
  ``library-notes.md``);
* :class:`dmpclient.security.pkcs11.Pkcs11Signer`: a key held by a PKCS#11 token (the CPS card through
  the ANS Cryptolib module, or SoftHSM2 in tests).

Both produce byte-identical signatures for the same key and input (PKCS#1 v1.5 is deterministic).
"""

from __future__ import annotations

import hashlib
import os
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Final, Protocol, runtime_checkable

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.serialization import pkcs12

from dmpclient.errors import InputError, TokenError

__all__ = [
    "SIGNATURE_ALGORITHMS",
    "Signer",
    "SoftwareSigner",
    "digest_info",
    "load_certificates",
]

#: Short names of the RSA signature algorithms → hash name (hashlib).
SIGNATURE_ALGORITHMS: Final[dict[str, str]] = {
    "rsa-sha1": "sha1",
    "rsa-sha256": "sha256",
    "rsa-sha384": "sha384",
    "rsa-sha512": "sha512",
}

# DER prefixes of the PKCS#1 v1.5 DigestInfo (RFC 8017 §9.2 note 1), followed by the raw digest.
_DIGEST_INFO_PREFIX: Final[dict[str, bytes]] = {
    "sha1": bytes.fromhex("3021300906052b0e03021a05000414"),
    "sha256": bytes.fromhex("3031300d060960864801650304020105000420"),
    "sha384": bytes.fromhex("3041300d060960864801650304020205000430"),
    "sha512": bytes.fromhex("3051300d060960864801650304020305000440"),
}

_CRYPTO_HASHES: Final[dict[str, type[hashes.HashAlgorithm]]] = {
    "sha1": hashes.SHA1,
    "sha256": hashes.SHA256,
    "sha384": hashes.SHA384,
    "sha512": hashes.SHA512,
}


def hash_name(algorithm: str) -> str:
    """The hash name (``sha256``) of a signature algorithm short name (``rsa-sha256``)."""
    try:
        return SIGNATURE_ALGORITHMS[algorithm]
    except KeyError:
        raise InputError(
            "unsupported signature algorithm",
            field="algorithm",
            value=algorithm,
            rule=f"one of {', '.join(SIGNATURE_ALGORITHMS)}",
        ) from None


def crypto_hash(name: str) -> hashes.HashAlgorithm:
    """A cryptography hash object for a hashlib name."""
    return _CRYPTO_HASHES[name]()


def digest_info(data: bytes, algorithm: str = "rsa-sha256") -> bytes:
    """The DER ``DigestInfo`` of ``data`` (what a raw ``CKM_RSA_PKCS`` token signs)."""
    name = hash_name(algorithm)
    return _DIGEST_INFO_PREFIX[name] + hashlib.new(name, data).digest()


@runtime_checkable
class Signer(Protocol):
    """Something that signs bytes with RSA PKCS#1 v1.5 and exposes its certificate chain.

    Attributes:
        certificate: the signing certificate (``cryptography.x509.Certificate``).
        chain: certificates from the signing certificate up to the root, **leaf first** (the leaf is
            ``chain[0]``); the root may be absent when unknown.
    """

    @property
    def certificate(self) -> x509.Certificate:
        """The signing certificate."""
        ...

    @property
    def chain(self) -> list[x509.Certificate]:
        """The chain, leaf first."""
        ...

    def sign(self, data: bytes, algorithm: str = "rsa-sha256") -> bytes:
        """Sign ``data`` (hashing included) with RSA PKCS#1 v1.5 and return the raw signature."""
        ...


def _read(source: bytes | str | os.PathLike[str]) -> bytes:
    if isinstance(source, bytes | bytearray):
        return bytes(source)
    return Path(source).read_bytes()


def load_certificates(source: bytes | str | os.PathLike[str]) -> list[x509.Certificate]:
    """Load one or more certificates from PEM or DER bytes, or from a file."""
    data = _read(source)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # negative serials of old IGC-Santé test certificates
        if b"-----BEGIN" in data:
            return list(x509.load_pem_x509_certificates(data))
        return [x509.load_der_x509_certificate(data)]


def order_chain(
    leaf: x509.Certificate, others: Sequence[x509.Certificate], *, keep_unrelated: bool = True
) -> list[x509.Certificate]:
    """Leaf first, then each issuer found among ``others`` (by subject name, never the current certificate
    again); the unrelated ones are appended when ``keep_unrelated`` (software keys), dropped otherwise (tokens)."""
    chain = [leaf]
    pool = [c for c in others if c != leaf]
    current = leaf
    while pool:
        issuer = next((c for c in pool if c.subject == current.issuer and c != current), None)
        if issuer is None:
            break
        chain.append(issuer)
        pool.remove(issuer)
        current = issuer
    return chain + pool if keep_unrelated else chain


class SoftwareSigner:
    """A signer over a software RSA key, loaded once and kept in memory.

    >>> signer = SoftwareSigner.from_pkcs12("org-sign.p12", b"password")  # doctest: +SKIP
    >>> signature = signer.sign(b"data")  # doctest: +SKIP
    """

    __slots__ = ("_certificate", "_chain", "_key")

    def __init__(
        self,
        key: rsa.RSAPrivateKey,
        certificate: x509.Certificate,
        chain: Sequence[x509.Certificate] = (),
    ) -> None:
        if not isinstance(key, rsa.RSAPrivateKey):
            raise TokenError("only RSA keys are supported (the DMP signs with RSA PKCS#1 v1.5)")
        if key.public_key().public_numbers() != _rsa_public_numbers(certificate):
            raise TokenError("the private key does not match the certificate")
        self._key = key
        self._certificate = certificate
        self._chain = order_chain(certificate, list(chain))

    @classmethod
    def from_pem(
        cls,
        key: bytes | str | os.PathLike[str],
        cert: bytes | str | os.PathLike[str],
        password: bytes | str | None = None,
        *,
        chain: bytes | str | os.PathLike[str] | Sequence[x509.Certificate] | None = None,
    ) -> SoftwareSigner:
        """Load a PEM private key and a PEM certificate (file paths or bytes).

        ``cert`` may contain the whole chain (leaf first or in any order); ``chain`` adds more certificates.
        """
        pwd = password.encode() if isinstance(password, str) else password
        try:
            private = serialization.load_pem_private_key(_read(key), pwd)
        except (ValueError, TypeError) as exc:
            raise TokenError(f"cannot load the private key: {_safe_reason(exc)}") from None
        certs = load_certificates(cert)
        extra: list[x509.Certificate] = []
        if isinstance(chain, bytes | str | os.PathLike):
            extra = load_certificates(chain)
        elif chain is not None:
            extra = list(chain)
        leaf = _find_leaf(private, certs)
        if not isinstance(private, rsa.RSAPrivateKey):
            raise TokenError("only RSA keys are supported")
        return cls(private, leaf, [*certs, *extra])

    @classmethod
    def from_pkcs12(cls, source: bytes | str | os.PathLike[str], password: bytes | str | None) -> SoftwareSigner:
        """Load a PKCS#12 (``.p12``/``.pfx``) file or bytes: key, certificate and bundled chain."""
        pwd = password.encode() if isinstance(password, str) else password
        try:
            key, cert, extra = pkcs12.load_key_and_certificates(_read(source), pwd)
        except (ValueError, TypeError) as exc:
            raise TokenError(f"cannot open the PKCS#12: {_safe_reason(exc)}") from None
        if key is None or cert is None:
            raise TokenError("the PKCS#12 holds no private key or no certificate")
        if not isinstance(key, rsa.RSAPrivateKey):
            raise TokenError("only RSA keys are supported")
        return cls(key, cert, list(extra))

    @property
    def certificate(self) -> x509.Certificate:
        """The signing certificate."""
        return self._certificate

    @property
    def chain(self) -> list[x509.Certificate]:
        """Leaf first."""
        return list(self._chain)

    @property
    def private_key(self) -> rsa.RSAPrivateKey:
        """The key object (for TLS identities built from the same material)."""
        return self._key

    def sign(self, data: bytes, algorithm: str = "rsa-sha256") -> bytes:
        """RSA PKCS#1 v1.5 signature of ``data`` hashed with the algorithm's hash."""
        return self._key.sign(data, padding.PKCS1v15(), crypto_hash(hash_name(algorithm)))

    def __repr__(self) -> str:
        return f"SoftwareSigner(subject={self._certificate.subject.rfc4514_string()!r})"


def _rsa_public_numbers(certificate: x509.Certificate) -> rsa.RSAPublicNumbers | None:
    public = certificate.public_key()
    return public.public_numbers() if isinstance(public, rsa.RSAPublicKey) else None


def _find_leaf(private: object, certs: Sequence[x509.Certificate]) -> x509.Certificate:
    if not certs:
        raise TokenError("no certificate given")
    if isinstance(private, rsa.RSAPrivateKey):
        numbers = private.public_key().public_numbers()
        for cert in certs:
            if _rsa_public_numbers(cert) == numbers:
                return cert
    raise TokenError("no certificate matches the private key")


def _safe_reason(exc: BaseException) -> str:
    """An exception's message reduced to its first line (never a secret: we pass none to it)."""
    text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    return text[:200]

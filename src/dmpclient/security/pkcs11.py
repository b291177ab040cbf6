"""PKCS#11 signer: a key held by a token (CPS card through the ANS Cryptolib, SoftHSM2 in tests).

Needs the optional extra ``dmpclient[pkcs11]`` (python-pkcs11). The PIN is given to :meth:`Pkcs11Signer.open`,
used for ``C_Login`` and dropped: it is never stored on the object, never shown by ``repr`` and never put in
an exception.

A CPS3 card exposes two key pairs: the **authentication** pair (``CKA_ID`` ending ``0x20``, used for TLS)
and the **signature** pair (``CKA_ID`` ending ``0x10``, KeyUsage nonRepudiation), which signs the VIHF and
the XAdES lot. Signing with the authentication key makes the DMP answer ``DMPInvalidCertificate`` « Le
certificat ayant signé le VIHF est invalide : Not a valid signature certificate » (``vihf.md`` §4).

Tokens that cannot hash (``CKM_RSA_PKCS`` only) are supported with ``raw_rsa=True``: the DER DigestInfo is
built here and signed raw; the signature is byte-identical to ``CKM_SHA256_RSA_PKCS``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from dmpclient.errors import ConfigurationError, TokenError
from dmpclient.security.signers import digest_info, hash_name, load_certificates, order_chain

__all__ = [
    "CPS_AUTHENTICATION_KEY_ID",
    "CPS_SIGNATURE_KEY_ID",
    "SOFTHSM2_MODULE_CANDIDATES",
    "Pkcs11Signer",
    "SoftHsmToken",
    "find_softhsm2_module",
    "init_softhsm_token",
]

#: ``CKA_ID`` of the signature key pair of our CPS-like test tokens (a CPS3 card's ends with 0x10).
CPS_SIGNATURE_KEY_ID: Final = bytes.fromhex("10")
#: ``CKA_ID`` of the authentication key pair (a CPS3 card's ends with 0x20).
CPS_AUTHENTICATION_KEY_ID: Final = bytes.fromhex("20")

#: Where SoftHSM2's PKCS#11 module usually lives.
SOFTHSM2_MODULE_CANDIDATES: Final = (
    "/usr/lib/softhsm/libsofthsm2.so",
    "/usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so",
    "/usr/lib/aarch64-linux-gnu/softhsm/libsofthsm2.so",
    "/usr/local/lib/softhsm/libsofthsm2.so",
    "/opt/homebrew/lib/softhsm/libsofthsm2.so",
)

_MECH_BY_HASH: Final = {"sha1": "SHA1_RSA_PKCS", "sha256": "SHA256_RSA_PKCS", "sha384": "SHA384_RSA_PKCS"}


#: SOFTHSM2_CONF seen when each PKCS#11 module was (re)initialised by this process.
_CONF_AT_INIT: dict[str, str | None] = {}


def find_softhsm2_module() -> str | None:
    """Path of ``libsofthsm2.so`` (``SOFTHSM2_MODULE`` environment variable first), or None."""
    env = os.environ.get("SOFTHSM2_MODULE")
    if env and Path(env).exists():
        return env
    return next((p for p in SOFTHSM2_MODULE_CANDIDATES if Path(p).exists()), None)


def _import_pkcs11() -> Any:
    try:
        import pkcs11
    except ImportError:  # pragma: no cover - depends on the environment
        raise ConfigurationError(
            "python-pkcs11 is not installed", field="pkcs11", rule="pip install dmpclient[pkcs11]"
        ) from None
    return pkcs11


class Pkcs11Signer:
    """A :class:`~dmpclient.security.signers.Signer` over a private key held by a PKCS#11 token.

    Open it with :meth:`open`; close it with :meth:`close` or use it as a context manager. One session is
    kept open (logged in) for the lifetime of the object; calls to :meth:`sign` are serialised with a lock
    (PKCS#11 sessions are not thread-safe).
    """

    def __init__(
        self,
        *,
        session: Any,
        key: Any,
        certificate: x509.Certificate,
        chain: Sequence[x509.Certificate],
        raw_rsa: bool,
        description: str,
    ) -> None:
        self._session = session
        self._key = key
        self._certificate = certificate
        self._chain = [certificate, *[c for c in chain if c != certificate]]
        self._raw_rsa = raw_rsa
        self._description = description
        self._lock = threading.Lock()

    @classmethod
    def open(
        cls,
        module_path: str | os.PathLike[str],
        *,
        token_label: str | None = None,
        key_label: str | None = None,
        key_id: bytes | None = None,
        certificate: x509.Certificate | bytes | None = None,
        pin: str | bytes | None = None,
        raw_rsa: bool = False,
        chain: Sequence[x509.Certificate] = (),
    ) -> Pkcs11Signer:
        """Open a token, log in and select the signing key.

        Args:
            module_path: the PKCS#11 module (``libsofthsm2.so``, the ANS Cryptolib ``libcps3_pkcs11_lux.so``…).
            token_label: the token to use (default: the only token present).
            key_label: select the private key by ``CKA_LABEL``.
            key_id: select the private key by ``CKA_ID``.
            certificate: select the key matching this certificate (object or DER/PEM); also used as the
                signing certificate when the token holds none.
            pin: the user PIN (used for ``C_Login``, then forgotten).
            raw_rsa: sign with ``CKM_RSA_PKCS`` over a DigestInfo built here (tokens that cannot hash).
            chain: extra CA certificates (issuer, root) when the token does not hold them.

        Raises:
            TokenError: module, token, login or key selection failed (the PIN never appears).
        """
        pkcs11 = _import_pkcs11()
        cert_obj = _as_certificate(certificate) if certificate is not None else None
        try:
            lib = pkcs11.lib(str(module_path))
        except Exception as exc:
            raise TokenError(f"cannot load the PKCS#11 module {module_path}: {type(exc).__name__}") from None
        try:
            conf = os.environ.get("SOFTHSM2_CONF")
            if _CONF_AT_INIT.setdefault(str(module_path), conf) != conf:
                # SoftHSM2 read another SOFTHSM2_CONF when it was initialised: a token of the same label in
                # the old configuration would be found instead of the wanted one.
                lib.reinitialize()
                _CONF_AT_INIT[str(module_path)] = conf
            tokens = list(lib.get_tokens(token_label=token_label))
            if not tokens:
                # A card inserted, or a token created, after the module was loaded is only listed once the
                # module is re-initialised (SoftHSM2 also re-reads SOFTHSM2_CONF then). Sessions other signers
                # of this process hold on the module are closed by it: open signers for a call, not for ever.
                lib.reinitialize()
                tokens = list(lib.get_tokens(token_label=token_label))
        except Exception as exc:
            raise TokenError(f"cannot list PKCS#11 tokens: {type(exc).__name__}") from None
        if not tokens:
            raise TokenError(f"no PKCS#11 token {'labelled ' + repr(token_label) if token_label else 'present'}")
        if len(tokens) > 1:
            labels = ", ".join(repr(t.label) for t in tokens)
            raise TokenError(f"several PKCS#11 tokens present ({labels}): pass token_label")
        token = tokens[0]
        try:
            session = token.open(user_pin=pin) if pin is not None else token.open()
        except pkcs11.PinIncorrect:
            raise TokenError(f"PKCS#11 login to token {token.label!r} failed: incorrect PIN") from None
        except pkcs11.UserAlreadyLoggedIn:
            # Login state is per application: another session of this process is already logged in.
            session = token.open()
        except pkcs11.PinLocked:
            raise TokenError(f"PKCS#11 token {token.label!r}: PIN locked") from None
        except Exception as exc:
            raise TokenError(f"PKCS#11 login to token {token.label!r} failed: {type(exc).__name__}") from None
        del pin
        try:
            key, leaf, others = _select_key(pkcs11, session, key_label=key_label, key_id=key_id, certificate=cert_obj)
        except TokenError:
            session.close()
            raise
        except Exception as exc:
            session.close()
            raise TokenError(f"PKCS#11 key selection failed: {type(exc).__name__}: {exc}") from None
        description = (
            f"token={token.label!r}, key={_key_name(key)!r}, mechanism={'RSA_PKCS' if raw_rsa else 'SHA*_RSA_PKCS'}"
        )
        return cls(
            session=session,
            key=key,
            certificate=leaf,
            chain=order_chain(leaf, [*others, *chain], keep_unrelated=False),
            raw_rsa=raw_rsa,
            description=description,
        )

    @property
    def certificate(self) -> x509.Certificate:
        """The signing certificate."""
        return self._certificate

    @property
    def chain(self) -> list[x509.Certificate]:
        """Leaf first."""
        return list(self._chain)

    @property
    def raw_rsa(self) -> bool:
        """True when signing with ``CKM_RSA_PKCS`` over a locally built DigestInfo."""
        return self._raw_rsa

    def sign(self, data: bytes, algorithm: str = "rsa-sha256") -> bytes:
        """RSA PKCS#1 v1.5 signature of ``data`` computed by the token."""
        pkcs11 = _import_pkcs11()
        name = hash_name(algorithm)
        with self._lock:
            if self._session is None:
                raise TokenError("the PKCS#11 signer is closed")
            try:
                if self._raw_rsa:
                    return bytes(self._key.sign(digest_info(data, algorithm), mechanism=pkcs11.Mechanism.RSA_PKCS))
                mech = getattr(pkcs11.Mechanism, _MECH_BY_HASH.get(name, "SHA512_RSA_PKCS"))
                return bytes(self._key.sign(data, mechanism=mech))
            except Exception as exc:
                raise TokenError(f"PKCS#11 signature failed: {type(exc).__name__}") from None

    def close(self) -> None:
        """Close the session (logs out)."""
        with self._lock:
            if self._session is not None:
                try:
                    self._session.close()
                finally:
                    self._session = None
                    self._key = None

    def __enter__(self) -> Pkcs11Signer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        state = "closed" if self._session is None else "open"
        return f"Pkcs11Signer({self._description}, {state})"


def _key_name(key: Any) -> str:
    try:
        return str(key.label)
    except Exception:
        return "?"


def _as_certificate(value: x509.Certificate | bytes) -> x509.Certificate:
    if isinstance(value, x509.Certificate):
        return value
    return load_certificates(value)[0]


def _modulus(cert: x509.Certificate) -> int | None:
    public = cert.public_key()
    return public.public_numbers().n if isinstance(public, rsa.RSAPublicKey) else None


def _select_key(
    pkcs11: Any,
    session: Any,
    *,
    key_label: str | None,
    key_id: bytes | None,
    certificate: x509.Certificate | None,
) -> tuple[Any, x509.Certificate, list[x509.Certificate]]:
    attr = pkcs11.Attribute
    token_certs: list[tuple[bytes, x509.Certificate]] = []
    for obj in session.get_objects({attr.CLASS: pkcs11.ObjectClass.CERTIFICATE}):
        try:
            token_certs.append((bytes(obj[attr.ID] or b""), x509.load_der_x509_certificate(bytes(obj[attr.VALUE]))))
        except Exception:  # noqa: S112 - unreadable certificate objects are skipped
            continue
    query: dict[Any, Any] = {attr.CLASS: pkcs11.ObjectClass.PRIVATE_KEY, attr.KEY_TYPE: pkcs11.KeyType.RSA}
    if key_label is not None:
        query[attr.LABEL] = key_label
    if key_id is not None:
        query[attr.ID] = key_id
    keys = list(session.get_objects(query))
    if certificate is not None:
        wanted = _modulus(certificate)
        keys = [k for k in keys if _int(k[attr.MODULUS]) == wanted]
    if not keys:
        raise TokenError("no matching RSA private key on the token (check key_label / key_id / certificate)")
    if len(keys) > 1:
        names = ", ".join(repr(_key_name(k)) for k in keys)
        raise TokenError(f"several private keys match ({names}): pass key_label, key_id or certificate")
    key = keys[0]
    modulus = _int(key[attr.MODULUS])
    leaf = certificate
    if leaf is None:
        leaf = next((c for _, c in token_certs if _modulus(c) == modulus), None)
    if leaf is None:
        raise TokenError("the token holds no certificate for the selected key: pass certificate=")
    if _modulus(leaf) != modulus:
        raise TokenError("the certificate does not match the selected key")
    others = [c for _, c in token_certs if c != leaf]
    return key, leaf, others


def _int(value: Any) -> int:
    return int.from_bytes(bytes(value), "big")


# ------------------------------------------------------------------------------ SoftHSM2 test tokens


@dataclass(frozen=True, slots=True)
class SoftHsmToken:
    """A SoftHSM2 token created by :func:`init_softhsm_token` (tests, demos, ``dmpclient pki init``).

    Attributes:
        conf: the ``softhsm2.conf`` to export as ``SOFTHSM2_CONF`` before loading the module.
        module: the PKCS#11 module path.
        token_label: the token label.
        pin: the user PIN (a **test** token: it is written in the PKI manifest on purpose).
    """

    conf: Path
    module: str
    token_label: str
    pin: str

    def environ(self) -> dict[str, str]:
        """Environment variables to set before the module is loaded."""
        return {"SOFTHSM2_CONF": str(self.conf)}


def init_softhsm_token(
    directory: str | os.PathLike[str],
    *,
    token_label: str,
    pin: str,
    so_pin: str,
    keys: Sequence[tuple[str, bytes, rsa.RSAPrivateKey, x509.Certificate]],
    ca_certificates: Sequence[x509.Certificate] = (),
    softhsm2_util: str = "softhsm2-util",
    module: str | None = None,
) -> SoftHsmToken:
    """Create a SoftHSM2 token in ``directory`` and import key pairs and certificates into it.

    ``keys`` holds ``(label, CKA_ID, private key, certificate)`` tuples; private keys are imported as
    sensitive and non-extractable. The import runs in a child Python process so that it does not depend on
    (or disturb) a PKCS#11 module already loaded by this process with another ``SOFTHSM2_CONF``.
    """
    module = module or find_softhsm2_module()
    if module is None:
        raise ConfigurationError("libsofthsm2.so not found", field="softhsm2", rule="apt-get install softhsm2")
    root = Path(directory)
    tokens = root / "tokens"
    tokens.mkdir(parents=True, exist_ok=True)
    conf = root / "softhsm2.conf"
    conf.write_text(
        f"directories.tokendir = {tokens}\nobjectstore.backend = file\nlog.level = ERROR\nslots.removable = false\n",
        encoding="utf-8",
    )
    env = {**os.environ, "SOFTHSM2_CONF": str(conf)}
    try:
        subprocess.run(  # noqa: S603 - fixed argument list, no shell
            [softhsm2_util, "--init-token", "--free", "--label", token_label, "--so-pin", so_pin, "--pin", pin],
            env=env,
            check=True,
            capture_output=True,
        )
    except (OSError, subprocess.CalledProcessError) as exc:
        raise TokenError(f"softhsm2-util --init-token failed: {type(exc).__name__}") from None
    job = {
        "module": module,
        "token_label": token_label,
        "pin": pin,
        "keys": [
            {
                "label": label,
                "id": key_id.hex(),
                "key": key.private_bytes(
                    serialization.Encoding.DER,
                    serialization.PrivateFormat.TraditionalOpenSSL,
                    serialization.NoEncryption(),
                ).hex(),
                "cert": cert.public_bytes(serialization.Encoding.DER).hex(),
                "subject": cert.subject.public_bytes().hex(),
            }
            for label, key_id, key, cert in keys
        ],
        "cas": [
            {"cert": c.public_bytes(serialization.Encoding.DER).hex(), "subject": c.subject.public_bytes().hex()}
            for c in ca_certificates
        ],
    }
    proc = subprocess.run(
        [sys.executable, "-m", "dmpclient.security._softhsm_import"],
        input=json.dumps(job).encode(),
        env=env,
        capture_output=True,
        check=False,
    )
    if proc.returncode != 0:
        reason = proc.stderr.decode(errors="replace").strip().splitlines()[-1:] or ["unknown error"]
        raise TokenError(f"importing keys into SoftHSM2 failed: {reason[0][:200]}")
    return SoftHsmToken(conf=conf, module=module, token_label=token_label, pin=pin)

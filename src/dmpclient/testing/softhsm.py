"""A SoftHSM2 token holding the test PKI professional's keys: a "CPS card" for tests of PKCS#11 signing.

SoftHSM2 reads ``SOFTHSM2_CONF`` when the PKCS#11 module is initialised; a token created later, or in another
configuration, is listed only after a re-initialisation, which :meth:`~dmpclient.security.Pkcs11Signer.open`
does when a token is missing. :func:`activate_softhsm_token` exports ``SOFTHSM2_CONF`` and checks that the token
is really reachable.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Final

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from dmpclient.errors import ConfigurationError, TokenError
from dmpclient.security import TestPki
from dmpclient.security.pkcs11 import (
    CPS_AUTHENTICATION_KEY_ID,
    CPS_SIGNATURE_KEY_ID,
    find_softhsm2_module,
    init_softhsm_token,
)

if TYPE_CHECKING:
    from dmpclient.security import Pkcs11Signer

__all__ = [
    "AUTHENTICATION_KEY_LABEL",
    "SIGNATURE_KEY_LABEL",
    "SoftHsmTestToken",
    "activate_softhsm_token",
    "create_softhsm_token",
    "softhsm_missing",
]

#: Labels of the two key pairs in the token (those of a CPS card's PKCS#11 view, as the test PKI uses).
SIGNATURE_KEY_LABEL: Final = "CPS signature"
AUTHENTICATION_KEY_LABEL: Final = "CPS authentification"
_TEST_PIN: Final = "123456"
_TEST_SO_PIN: Final = "12345678"


@dataclass(frozen=True)
class SoftHsmTestToken:
    """A SoftHSM2 token with the professional's signature and authentication keys (test material).

    Attributes:
        conf: the ``softhsm2.conf`` of the token (exported as ``SOFTHSM2_CONF``).
        module: the PKCS#11 module (``libsofthsm2.so``).
        token_label / pin: the token and its user PIN (a test PIN, written here on purpose).
        signature_key_label / authentication_key_label: the key pairs' labels.
    """

    conf: Path
    module: str
    token_label: str
    pin: str
    signature_key_label: str = SIGNATURE_KEY_LABEL
    authentication_key_label: str = AUTHENTICATION_KEY_LABEL

    def open_signer(self, key: str = "signature") -> Pkcs11Signer:
        """A logged-in :class:`~dmpclient.security.Pkcs11Signer` on the ``signature`` (or ``authentication``)
        key; close it (``with``) when done."""
        from dmpclient.security import Pkcs11Signer

        if key not in ("signature", "authentication"):
            raise ConfigurationError("key is signature or authentication", field="key", value=key)
        label = self.signature_key_label if key == "signature" else self.authentication_key_label
        return Pkcs11Signer.open(self.module, token_label=self.token_label, key_label=label, pin=self.pin)


def softhsm_missing() -> str | None:
    """Why a SoftHSM2 token cannot be made here (None when everything is installed)."""
    if shutil.which("softhsm2-util") is None:
        return "'softhsm2-util' not found on PATH (apt-get install softhsm2)"
    if find_softhsm2_module() is None:
        return "libsofthsm2.so not found (apt-get install softhsm2, or set SOFTHSM2_MODULE)"
    if importlib.util.find_spec("pkcs11") is None:
        return "Python module 'pkcs11' missing (pip install dmpclient[pkcs11])"
    return None


def _private_key(pki: TestPki, name: str) -> rsa.RSAPrivateKey:
    key = serialization.load_pem_private_key(pki.path(pki.entry(name).key).read_bytes(), password=None)
    if not isinstance(key, rsa.RSAPrivateKey):  # pragma: no cover - the test PKI makes RSA keys
        raise ConfigurationError("the test PKI key is not RSA", field="key", value=name)
    return key


def create_softhsm_token(
    pki: TestPki,
    directory: str | os.PathLike[str],
    *,
    token_label: str = "CPS TEST",  # noqa: S107 - a label, not a secret
) -> SoftHsmTestToken:
    """Create a SoftHSM2 token in ``directory`` with the PKI's ``prof-sign`` and ``prof-auth`` key pairs and
    their certificates (keys imported as sensitive, non-extractable).

    Raises:
        ConfigurationError / TokenError: SoftHSM2 or python-pkcs11 missing, or the import failed.
    """
    missing = softhsm_missing()
    if missing is not None:
        raise ConfigurationError(missing, field="softhsm2", value=None)
    chain = pki.chain("prof-sign")
    token = init_softhsm_token(
        directory,
        token_label=token_label,
        pin=_TEST_PIN,
        so_pin=_TEST_SO_PIN,
        keys=[
            (SIGNATURE_KEY_LABEL, CPS_SIGNATURE_KEY_ID, _private_key(pki, "prof-sign"), chain[0]),
            (
                AUTHENTICATION_KEY_LABEL,
                CPS_AUTHENTICATION_KEY_ID,
                _private_key(pki, "prof-auth"),
                pki.chain("prof-auth")[0],
            ),
        ],
        ca_certificates=chain[1:],
    )
    return SoftHsmTestToken(conf=Path(token.conf), module=token.module, token_label=token.token_label, pin=token.pin)


def activate_softhsm_token(token: SoftHsmTestToken) -> None:
    """Export ``SOFTHSM2_CONF`` for ``token`` and check that this process sees it.

    Raises:
        TokenError: the token is not reachable; ``SOFTHSM2_CONF`` is then restored.
    """
    previous = os.environ.get("SOFTHSM2_CONF")
    os.environ["SOFTHSM2_CONF"] = str(token.conf)
    try:
        with token.open_signer():
            pass
    except TokenError as exc:
        if previous is None:
            os.environ.pop("SOFTHSM2_CONF", None)
        else:
            os.environ["SOFTHSM2_CONF"] = previous
        raise TokenError(f"the SoftHSM2 test token is not reachable ({exc}) with SOFTHSM2_CONF={token.conf}") from None

"""Security: signers (software key, PKCS#11 token), VIHF token, XAdES submission-set signature, TLS, test PKI.

Modules:

* :mod:`dmpclient.security.signers` — the :class:`Signer` protocol and :class:`SoftwareSigner`;
* :mod:`dmpclient.security.pkcs11` — :class:`Pkcs11Signer` (CPS card, SoftHSM2), extra ``pkcs11``;
* :mod:`dmpclient.security.xmldsig` — our small XML-DSig core (digests, c14n, algorithm allow-lists);
* :mod:`dmpclient.security.vihf` — build, parse and verify the VIHF;
* :mod:`dmpclient.security.xades` — build and verify the XAdES submission-set signature;
* :mod:`dmpclient.security.tls` — TLS identities and ``ssl.SSLContext`` factories;
* :mod:`dmpclient.security.certificates` — trust stores, chain verification, DN strings;
* :mod:`dmpclient.security.pki` — a local test PKI shaped like IGC-Santé TEST.

Heavy submodules are imported lazily: ``from dmpclient.security import build_vihf`` works without loading
python-pkcs11.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from dmpclient.security.certificates import TrustStore, verify_chain
    from dmpclient.security.pkcs11 import Pkcs11Signer
    from dmpclient.security.pki import TestPki, create_test_pki
    from dmpclient.security.signers import Signer, SoftwareSigner
    from dmpclient.security.tls import TlsIdentity, create_server_ssl_context, create_ssl_context
    from dmpclient.security.vihf import SignedVihf, Vihf, VihfVerification, build_vihf, parse_vihf, verify_vihf
    from dmpclient.security.xades import (
        DmpXadesProfile,
        ManifestDocument,
        XadesReport,
        build_submission_signature,
        verify_submission_signature,
    )

__all__ = [
    "DmpXadesProfile",
    "ManifestDocument",
    "Pkcs11Signer",
    "SignedVihf",
    "Signer",
    "SoftwareSigner",
    "TestPki",
    "TlsIdentity",
    "TrustStore",
    "Vihf",
    "VihfVerification",
    "XadesReport",
    "build_submission_signature",
    "build_vihf",
    "create_server_ssl_context",
    "create_ssl_context",
    "create_test_pki",
    "parse_vihf",
    "verify_chain",
    "verify_submission_signature",
    "verify_vihf",
]

_WHERE = {
    "TrustStore": "certificates",
    "verify_chain": "certificates",
    "Pkcs11Signer": "pkcs11",
    "TestPki": "pki",
    "create_test_pki": "pki",
    "Signer": "signers",
    "SoftwareSigner": "signers",
    "TlsIdentity": "tls",
    "create_ssl_context": "tls",
    "create_server_ssl_context": "tls",
    "SignedVihf": "vihf",
    "Vihf": "vihf",
    "VihfVerification": "vihf",
    "build_vihf": "vihf",
    "parse_vihf": "vihf",
    "verify_vihf": "vihf",
    "DmpXadesProfile": "xades",
    "ManifestDocument": "xades",
    "XadesReport": "xades",
    "build_submission_signature": "xades",
    "verify_submission_signature": "xades",
}


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module 'dmpclient.security' has no attribute {name!r}")
    return getattr(importlib.import_module(f"dmpclient.security.{module}"), name)

"""dmpclient — feed and consult the French DMP (Dossier Médical Partagé) from Python.

The names below are the public surface; each is imported on first use, so that ``import dmpclient`` (and
the ``dmpclient`` command) stay fast. The subpackages are public too: :mod:`dmpclient.ids`,
:mod:`dmpclient.terminology`, :mod:`dmpclient.xds`, :mod:`dmpclient.cda`, :mod:`dmpclient.security`,
:mod:`dmpclient.soap`, :mod:`dmpclient.transactions`, :mod:`dmpclient.client`, :mod:`dmpclient.sandbox`,
:mod:`dmpclient.inspection`, :mod:`dmpclient.evidence`.

>>> from dmpclient import INS
>>> INS.parse("277076322082910").to_cx()
'277076322082910^^^&1.2.250.1.213.1.4.10&ISO^NH'
"""

from __future__ import annotations

import importlib
from importlib.metadata import PackageNotFoundError, version
from typing import TYPE_CHECKING, Any, Final

try:
    __version__ = version("dmpclient")
except PackageNotFoundError:  # pragma: no cover - running from a source tree without install
    __version__ = "0+unknown"

#: public name → module that defines it.
_EXPORTS: Final[dict[str, str]] = {
    # client (floor 4)
    "DMPClient": "dmpclient.client",
    "AsyncDMPClient": "dmpclient.client",
    "GuardSettings": "dmpclient.client",
    "RetryPolicy": "dmpclient.client",
    "Exchange": "dmpclient.client",
    "SubmitResult": "dmpclient.client",
    "ClientSettings": "dmpclient.client.settings",
    "load_settings": "dmpclient.client.settings",
    "EvidenceWriter": "dmpclient.evidence",
    # who acts, where
    "ActingContext": "dmpclient.context",
    "Professional": "dmpclient.context",
    "Structure": "dmpclient.context",
    "SoftwareIdentity": "dmpclient.context",
    "AuthenticationMode": "dmpclient.context",
    "AccessMode": "dmpclient.context",
    "CardType": "dmpclient.context",
    "Environment": "dmpclient.environments",
    "Service": "dmpclient.environments",
    "get_environment": "dmpclient.environments",
    # identities and codes
    "INS": "dmpclient.ids",
    "InsOid": "dmpclient.ids",
    "ProfessionalId": "dmpclient.ids",
    "StructureId": "dmpclient.ids",
    "FinessLevel": "dmpclient.ids",
    "OidGenerator": "dmpclient.ids",
    "Code": "dmpclient.terminology",
    "ValueSet": "dmpclient.terminology",
    # documents and metadata
    "DocumentHeaderInput": "dmpclient.cda",
    "Patient": "dmpclient.cda",
    "BuiltCda": "dmpclient.cda",
    "build_n1": "dmpclient.cda",
    "build_n1_to_file": "dmpclient.cda",
    "read_header": "dmpclient.cda",
    "render_html": "dmpclient.cda",
    "validate_cda": "dmpclient.cda.validation",
    "DocumentEntry": "dmpclient.xds",
    "SubmissionSet": "dmpclient.xds",
    "DocumentToSubmit": "dmpclient.transactions",
    "SubmissionSetInfo": "dmpclient.transactions",
    "ExistenceResult": "dmpclient.transactions",
    "AuthorizationStatus": "dmpclient.transactions",
    # security
    "SoftwareSigner": "dmpclient.security",
    "Pkcs11Signer": "dmpclient.security",
    "TlsIdentity": "dmpclient.security",
    "TrustStore": "dmpclient.security",
    "create_ssl_context": "dmpclient.security",
    "create_test_pki": "dmpclient.security",
    # support
    "inspect_capture": "dmpclient.inspection",
    # errors
    "DMPClientError": "dmpclient.errors",
    "InputError": "dmpclient.errors",
    "RuleViolation": "dmpclient.errors",
    "NIARefused": "dmpclient.errors",
    "ValidationFailed": "dmpclient.errors",
    "Finding": "dmpclient.errors",
    "TransportError": "dmpclient.errors",
    "AmbiguousSubmission": "dmpclient.errors",
    "DMPError": "dmpclient.errors",
    "SoapFaultError": "dmpclient.errors",
    "RegistryError": "dmpclient.errors",
    "HL7AcknowledgementError": "dmpclient.errors",
    "DMPStatusError": "dmpclient.errors",
    "SignatureError": "dmpclient.errors",
    "CertificateError": "dmpclient.errors",
}

__all__ = ["__version__", *_EXPORTS]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'dmpclient' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)


if TYPE_CHECKING:  # pragma: no cover - static view of the lazy names
    from dmpclient.cda import (
        BuiltCda,
        DocumentHeaderInput,
        Patient,
        build_n1,
        build_n1_to_file,
        read_header,
        render_html,
    )
    from dmpclient.cda.validation import validate_cda
    from dmpclient.client import AsyncDMPClient, DMPClient, Exchange, GuardSettings, RetryPolicy, SubmitResult
    from dmpclient.client.settings import ClientSettings, load_settings
    from dmpclient.context import (
        AccessMode,
        ActingContext,
        AuthenticationMode,
        CardType,
        Professional,
        SoftwareIdentity,
        Structure,
    )
    from dmpclient.environments import Environment, Service, get_environment
    from dmpclient.errors import (
        AmbiguousSubmission,
        CertificateError,
        DMPClientError,
        DMPError,
        DMPStatusError,
        Finding,
        HL7AcknowledgementError,
        InputError,
        NIARefused,
        RegistryError,
        RuleViolation,
        SignatureError,
        SoapFaultError,
        TransportError,
        ValidationFailed,
    )
    from dmpclient.evidence import EvidenceWriter
    from dmpclient.ids import INS, FinessLevel, InsOid, OidGenerator, ProfessionalId, StructureId
    from dmpclient.inspection import inspect_capture
    from dmpclient.security import (
        Pkcs11Signer,
        SoftwareSigner,
        TlsIdentity,
        TrustStore,
        create_ssl_context,
        create_test_pki,
    )
    from dmpclient.terminology import Code, ValueSet
    from dmpclient.transactions import AuthorizationStatus, DocumentToSubmit, ExistenceResult, SubmissionSetInfo
    from dmpclient.xds import DocumentEntry, SubmissionSet

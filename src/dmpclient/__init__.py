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
    "TestPki": "dmpclient.security",
    # support
    "inspect_capture": "dmpclient.inspection",
    # errors
    "DMPClientError": "dmpclient.errors",
    "InputError": "dmpclient.errors",
    "InvalidInput": "dmpclient.errors",
    "InvalidIdentifier": "dmpclient.errors",
    "InvalidValue": "dmpclient.errors",
    "ConfigurationError": "dmpclient.errors",
    "TokenError": "dmpclient.errors",
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


if TYPE_CHECKING:  # pragma: no cover - static view of the lazy names ("X as X": explicit re-exports)
    from dmpclient.cda import (
        BuiltCda as BuiltCda,
    )
    from dmpclient.cda import (
        DocumentHeaderInput as DocumentHeaderInput,
    )
    from dmpclient.cda import (
        Patient as Patient,
    )
    from dmpclient.cda import (
        build_n1 as build_n1,
    )
    from dmpclient.cda import (
        build_n1_to_file as build_n1_to_file,
    )
    from dmpclient.cda import (
        read_header as read_header,
    )
    from dmpclient.cda import (
        render_html as render_html,
    )
    from dmpclient.cda.validation import (
        validate_cda as validate_cda,
    )
    from dmpclient.client import (
        AsyncDMPClient as AsyncDMPClient,
    )
    from dmpclient.client import (
        DMPClient as DMPClient,
    )
    from dmpclient.client import (
        Exchange as Exchange,
    )
    from dmpclient.client import (
        GuardSettings as GuardSettings,
    )
    from dmpclient.client import (
        RetryPolicy as RetryPolicy,
    )
    from dmpclient.client import (
        SubmitResult as SubmitResult,
    )
    from dmpclient.client.settings import (
        ClientSettings as ClientSettings,
    )
    from dmpclient.client.settings import (
        load_settings as load_settings,
    )
    from dmpclient.context import (
        AccessMode as AccessMode,
    )
    from dmpclient.context import (
        ActingContext as ActingContext,
    )
    from dmpclient.context import (
        AuthenticationMode as AuthenticationMode,
    )
    from dmpclient.context import (
        CardType as CardType,
    )
    from dmpclient.context import (
        Professional as Professional,
    )
    from dmpclient.context import (
        SoftwareIdentity as SoftwareIdentity,
    )
    from dmpclient.context import (
        Structure as Structure,
    )
    from dmpclient.environments import (
        Environment as Environment,
    )
    from dmpclient.environments import (
        Service as Service,
    )
    from dmpclient.environments import (
        get_environment as get_environment,
    )
    from dmpclient.errors import (
        AmbiguousSubmission as AmbiguousSubmission,
    )
    from dmpclient.errors import (
        CertificateError as CertificateError,
    )
    from dmpclient.errors import (
        ConfigurationError as ConfigurationError,
    )
    from dmpclient.errors import (
        DMPClientError as DMPClientError,
    )
    from dmpclient.errors import (
        DMPError as DMPError,
    )
    from dmpclient.errors import (
        DMPStatusError as DMPStatusError,
    )
    from dmpclient.errors import (
        Finding as Finding,
    )
    from dmpclient.errors import (
        HL7AcknowledgementError as HL7AcknowledgementError,
    )
    from dmpclient.errors import (
        InputError as InputError,
    )
    from dmpclient.errors import (
        InvalidIdentifier as InvalidIdentifier,
    )
    from dmpclient.errors import (
        InvalidInput as InvalidInput,
    )
    from dmpclient.errors import (
        InvalidValue as InvalidValue,
    )
    from dmpclient.errors import (
        NIARefused as NIARefused,
    )
    from dmpclient.errors import (
        RegistryError as RegistryError,
    )
    from dmpclient.errors import (
        RuleViolation as RuleViolation,
    )
    from dmpclient.errors import (
        SignatureError as SignatureError,
    )
    from dmpclient.errors import (
        SoapFaultError as SoapFaultError,
    )
    from dmpclient.errors import (
        TokenError as TokenError,
    )
    from dmpclient.errors import (
        TransportError as TransportError,
    )
    from dmpclient.errors import (
        ValidationFailed as ValidationFailed,
    )
    from dmpclient.evidence import (
        EvidenceWriter as EvidenceWriter,
    )
    from dmpclient.ids import (
        INS as INS,
    )
    from dmpclient.ids import (
        FinessLevel as FinessLevel,
    )
    from dmpclient.ids import (
        InsOid as InsOid,
    )
    from dmpclient.ids import (
        OidGenerator as OidGenerator,
    )
    from dmpclient.ids import (
        ProfessionalId as ProfessionalId,
    )
    from dmpclient.ids import (
        StructureId as StructureId,
    )
    from dmpclient.inspection import (
        inspect_capture as inspect_capture,
    )
    from dmpclient.security import (
        Pkcs11Signer as Pkcs11Signer,
    )
    from dmpclient.security import (
        SoftwareSigner as SoftwareSigner,
    )
    from dmpclient.security import (
        TestPki as TestPki,
    )
    from dmpclient.security import (
        TlsIdentity as TlsIdentity,
    )
    from dmpclient.security import (
        TrustStore as TrustStore,
    )
    from dmpclient.security import (
        create_ssl_context as create_ssl_context,
    )
    from dmpclient.security import (
        create_test_pki as create_test_pki,
    )
    from dmpclient.terminology import (
        Code as Code,
    )
    from dmpclient.terminology import (
        ValueSet as ValueSet,
    )
    from dmpclient.transactions import (
        AuthorizationStatus as AuthorizationStatus,
    )
    from dmpclient.transactions import (
        DocumentToSubmit as DocumentToSubmit,
    )
    from dmpclient.transactions import (
        ExistenceResult as ExistenceResult,
    )
    from dmpclient.transactions import (
        SubmissionSetInfo as SubmissionSetInfo,
    )
    from dmpclient.xds import (
        DocumentEntry as DocumentEntry,
    )
    from dmpclient.xds import (
        SubmissionSet as SubmissionSet,
    )

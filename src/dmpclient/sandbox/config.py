"""Configuration of the sandbox: one frozen object read by the platform (routing, authentication, server)
and by the DMP behaviour (store, seed data).

Build it from a test PKI with :meth:`SandboxConfig.from_pki`, which sets the trust anchors and the FINESS
EJ ↔ EG map of the PKI's hospital; override any field with keyword arguments or :meth:`SandboxConfig.replace`.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Final, Literal

from dmpclient.environments import SERVICES_PATH
from dmpclient.errors import ConfigurationError
from dmpclient.ids import EnvironmentKind
from dmpclient.sandbox.clock import SandboxClock
from dmpclient.security.certificates import TrustStore

if TYPE_CHECKING:
    from dmpclient.sandbox._interfaces import DmpBehaviour
    from dmpclient.security.pki import TestPki

__all__ = ["DEFAULT_BEHAVIOUR_FACTORY", "MIB", "SandboxConfig"]

MIB: Final = 1024 * 1024
#: Where :class:`~dmpclient.sandbox.Sandbox` finds the DMP behaviour when none is given ("module:function").
DEFAULT_BEHAVIOUR_FACTORY: Final = "dmpclient.sandbox.behaviour:create_behaviour"


def _frozen_map(value: Mapping[str, Any] | None) -> Mapping[str, Any]:
    return MappingProxyType(dict(value or {}))


@dataclass(frozen=True, eq=False)
class SandboxConfig:
    """Everything configurable in the sandbox. Defaults are strict, like the real DMP.

    **Where**

    Attributes:
        path_prefix: prefix before the services path, e.g. ``"/024"`` like a dedicated DVx
            (``/024/si-dmp-server/v2/services/…``); ``""`` by default.
        services_path: the services path (``/si-dmp-server/v2/services``).

    **Store** (read by the DMP behaviour)

    Attributes:
        database: SQLite file; None keeps the store in memory.
        documents_dir: where document bytes are kept (None: the behaviour decides, e.g. in the database).
        seed: load the test patients and documents of ``test-data.md`` at start.
        behaviour_options: free options for the behaviour (documented by it).
        behaviour_factory: ``"module:function"`` or a callable ``(config) -> DmpBehaviour`` used by
            :class:`~dmpclient.sandbox.Sandbox` when no behaviour is passed.

    **VIHF and TLS checks** (``vihf.md`` §3–6)

    Attributes:
        trust: anchors (and intermediates, CRLs) the VIHF signing certificates must chain to — the test PKI.
            Required while ``require_signature`` is true.
        client_trust: anchors for TLS client certificates (default: ``trust``).
        require_signature: refuse unsigned VIHF (the official examples' embedded tokens are unsigned).
        allow_sha1: accept RSA-SHA1 / SHA-1 signatures (old captures; the GIE examples).
        max_clock_skew: tolerated skew between the caller's clock and the sandbox clock.
        max_age: oldest accepted ``IssueInstant`` for non-AIR tokens (not public [?]; default 1 hour).
        air_lifetime: lifetime of AIR (INDIRECTE_RENFORCEE) tokens (EX_AIR-040: 30 s).
        air_single_use: refuse a second use of the same AIR assertion ID (replay cache).
        replay_all_modes: also refuse a reused assertion ID in DIRECTE/INDIRECTE (off: not forbidden, ``vihf.md`` §6).
        require_issuer_match: ``Issuer`` must equal the signing certificate's subject.
        accepted_vihf_versions: ``VIHF_Version`` values accepted.
        check_signing_certificate: DIRECTE / INDIRECTE tokens must be signed with a signature certificate
            (KeyUsage nonRepudiation) of the acting person (DIRECTE: CN = NameID) or structure (OU).
        check_tls_binding: over real TLS, the client certificate must match the VIHF (structure in
            INDIRECTE/AIR, person in DIRECTE).
        require_client_certificate: the TLS handshake requires a client certificate (the network server).
        ej_eg: FINESS EJ IdNat → the EG IdNats it owns (``"11B0062640": {"10B0156832"}``); a certificate
            on the EJ then authenticates VIHF whose ``Identifiant_Structure`` is one of its EG.
        environment_kind: which INS OIDs the sandbox accepts (test: ``.10`` and ``.11``).
        patientless_transactions: transactions whose VIHF may omit ``resource-id``.

    **SOAP**

    Attributes:
        allow_soap11: accept SOAP 1.1 envelopes (default: answer a ``VersionMismatch`` fault).
        require_addressing: require ``wsa:Action``, ``wsa:MessageID`` and ``wsa:To`` (CNDA memento).
        allow_empty_to: accept an empty ``wsa:To`` (the GIE examples send one).
        max_request_size: largest request body accepted (bytes, MIME framing included).
        memory_threshold: MTOM parts above this size are spooled to disk.
        spool_dir: where they are spooled (system temporary folder by default).
        fault_action: ``"wsa"`` (W3C fault action) or ``"operation"`` (``<request action>:Fault:SoapFault``,
            what the DMP's CXF sends).
        mtom_fault_transactions: transactions whose faults are sent as MTOM (ITI-43 does, ``errors.md`` §1).

    **Run**

    Attributes:
        clock: the sandbox clock (shared by the platform and the behaviour).
        admin: expose the HTTP admin API (``/_sandbox/admin/…``).
        admin_token: bearer token of the HTTP admin API (generated when ``admin`` and None).
        fault_seed: seed of the random generator used by probabilistic fault injection.
        pki: folder of the test PKI the configuration was made from (:meth:`from_pki`); the HTTPS server takes
            its ``dmp-server`` certificate from there when no server identity is given.
    """

    path_prefix: str = ""
    services_path: str = SERVICES_PATH

    database: str | os.PathLike[str] | None = None
    documents_dir: str | os.PathLike[str] | None = None
    seed: bool = True
    behaviour_options: Mapping[str, Any] = field(default_factory=dict)
    behaviour_factory: str | Callable[[SandboxConfig], DmpBehaviour] | None = None

    trust: TrustStore | None = None
    client_trust: TrustStore | None = None
    require_signature: bool = True
    allow_sha1: bool = False
    max_clock_skew: dt.timedelta = dt.timedelta(minutes=5)
    max_age: dt.timedelta | None = dt.timedelta(hours=1)
    air_lifetime: dt.timedelta = dt.timedelta(seconds=30)
    air_single_use: bool = True
    replay_all_modes: bool = False
    require_issuer_match: bool = True
    accepted_vihf_versions: frozenset[str] = frozenset({"3.0", "4.0"})
    check_signing_certificate: bool = True
    check_tls_binding: bool = True
    require_client_certificate: bool = True
    ej_eg: Mapping[str, frozenset[str]] = field(default_factory=dict)
    environment_kind: EnvironmentKind = EnvironmentKind.TEST
    patientless_transactions: frozenset[str] = frozenset({"TD0.4", "TD0.5"})

    allow_soap11: bool = False
    require_addressing: bool = True
    allow_empty_to: bool = True
    max_request_size: int = 512 * MIB
    memory_threshold: int = 1 * MIB
    spool_dir: str | os.PathLike[str] | None = None
    fault_action: Literal["wsa", "operation"] = "wsa"
    mtom_fault_transactions: frozenset[str] = frozenset({"TD3.2"})

    clock: SandboxClock = field(default_factory=SandboxClock)
    admin: bool = False
    admin_token: str | None = None
    fault_seed: int | None = None
    pki: str | os.PathLike[str] | None = None

    def __post_init__(self) -> None:
        prefix = self.path_prefix.rstrip("/")
        if prefix and not prefix.startswith("/"):
            prefix = "/" + prefix
        object.__setattr__(self, "path_prefix", prefix)
        services = "/" + self.services_path.strip("/")
        object.__setattr__(self, "services_path", services)
        object.__setattr__(self, "behaviour_options", _frozen_map(self.behaviour_options))
        object.__setattr__(
            self,
            "ej_eg",
            MappingProxyType({str(k): frozenset(v) for k, v in dict(self.ej_eg).items()}),
        )
        object.__setattr__(self, "accepted_vihf_versions", frozenset(self.accepted_vihf_versions))
        object.__setattr__(self, "patientless_transactions", frozenset(self.patientless_transactions))
        object.__setattr__(self, "mtom_fault_transactions", frozenset(self.mtom_fault_transactions))
        object.__setattr__(self, "environment_kind", EnvironmentKind(self.environment_kind))
        if self.fault_action not in ("wsa", "operation"):
            raise ConfigurationError(
                "fault_action is 'wsa' or 'operation'", field="fault_action", value=self.fault_action
            )
        if self.max_request_size <= 0 or self.memory_threshold < 0:
            raise ConfigurationError("sizes must be positive", field="max_request_size", value=self.max_request_size)
        if self.require_signature and self.trust is None:
            raise ConfigurationError(
                "the sandbox verifies VIHF signatures against trust anchors: give trust= (e.g. "
                "SandboxConfig.from_pki(pki)) or require_signature=False",
                field="trust",
                value=None,
                rule="VIHF trust",
            )

    # ------------------------------------------------------------------------------------ helpers

    @property
    def services_root(self) -> str:
        """Path of the services (prefix + services path), e.g. ``/si-dmp-server/v2/services``."""
        return self.path_prefix + self.services_path

    @property
    def tls_client_trust(self) -> TrustStore | None:
        """Anchors for TLS client certificates (``client_trust`` or ``trust``)."""
        return self.client_trust or self.trust

    def eg_of(self, ej: str) -> frozenset[str]:
        """The EG IdNats attached to an EJ IdNat in :attr:`ej_eg`."""
        return self.ej_eg.get(ej, frozenset())

    def replace(self, **changes: Any) -> SandboxConfig:
        """A copy with some fields changed (the clock object is shared unless replaced)."""
        return dataclasses.replace(self, **changes)

    @classmethod
    def from_pki(cls, pki: TestPki | str | os.PathLike[str], **overrides: Any) -> SandboxConfig:
        """A configuration trusting a test PKI (:func:`~dmpclient.security.create_test_pki`).

        Sets ``trust`` (root, intermediates, CRLs), ``ej_eg`` = the PKI hospital's EJ → EG, and ``pki``.
        """
        from dmpclient.security.pki import TestPki

        loaded = pki if isinstance(pki, TestPki) else TestPki.load(Path(pki))
        ids = loaded.identities
        values: dict[str, Any] = {
            "trust": loaded.trust_store(),
            "ej_eg": {ids.ej_id: frozenset({ids.eg_id})},
            "pki": loaded.directory,
        }
        values.update(overrides)
        return cls(**values)

"""Client configuration shared by the sync and async clients: environment, TLS, defaults, the base class.

:class:`ClientBase` holds the constructor both clients share (one place for the long argument list and its
checks); the subclasses only open their httpx client (:meth:`ClientBase._open`) and run effects.
"""

from __future__ import annotations

import datetime as dt
import ssl
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Final

import httpx

from dmpclient import __version__
from dmpclient.client._core import Engine, ProgressCallback
from dmpclient.client._exchange import ExchangeHook
from dmpclient.client._guards import GuardSettings
from dmpclient.client._ops import Operations
from dmpclient.client._retry import RetryPolicy
from dmpclient.context import ActingContext
from dmpclient.environments import Environment, get_environment
from dmpclient.errors import ConfigurationError
from dmpclient.ids import INS, OidGenerator
from dmpclient.security.certificates import TrustStore
from dmpclient.security.signers import Signer
from dmpclient.security.tls import TlsIdentity, create_ssl_context
from dmpclient.security.vihf import VihfOptions
from dmpclient.terminology import Code
from dmpclient.transactions._base import utc_now
from dmpclient.transactions.webps import WebPsPage
from dmpclient.xds.validation import DmpParameters

__all__ = ["DEFAULT_TIMEOUT", "USER_AGENT", "ClientBase", "resolve_environment", "resolve_ssl_context"]

#: Default timeouts: 15 s to connect, 120 s to read/write a chunk (a TD2.1 may take the DMP a while).
DEFAULT_TIMEOUT: Final = httpx.Timeout(120.0, connect=15.0, pool=30.0)
#: ``User-Agent`` sent with every request.
USER_AGENT: Final = f"dmpclient/{__version__}"
#: One pool per client: keep-alive connections kept (the DMP front end is one host per environment).
DEFAULT_LIMITS: Final = httpx.Limits(max_connections=10, max_keepalive_connections=5, keepalive_expiry=30.0)


def resolve_environment(environment: Environment | str) -> Environment:
    """A preset by name, or the given :class:`~dmpclient.environments.Environment`."""
    if isinstance(environment, Environment):
        return environment
    return get_environment(environment)


def resolve_ssl_context(
    environment: Environment,
    *,
    tls: TlsIdentity | None,
    trust: TrustStore | None,
    ssl_context: ssl.SSLContext | None,
    pinned_fingerprints: Sequence[str],
    transport_given: bool,
) -> ssl.SSLContext | None:
    """The ``SSLContext`` of the client: the given one, or one built from the pinned trust store.

    Raises:
        ConfigurationError: HTTPS without a trust store (the operating-system store is never used,
            EX_0.X-1070), or TLS material given together with a ready ``ssl_context``.
    """
    if ssl_context is not None:
        if tls is not None or trust is not None or pinned_fingerprints:
            raise ConfigurationError(
                "give either ssl_context or tls/trust/pinned_fingerprints, not both",
                field="ssl_context",
                value="SSLContext",
            )
        return ssl_context
    if trust is not None:
        return create_ssl_context(identity=tls, trust=trust, pinned_fingerprints=pinned_fingerprints or None)
    if transport_given or environment.soap_base.startswith("http://"):
        return None
    raise ConfigurationError(
        "HTTPS needs a pinned trust store (IGC-Santé roots of the environment, or the test PKI for the sandbox)",
        field="trust",
        value=None,
        rule="EX_0.X-1070",
        hint="pass trust=TrustStore.from_pem(...) (and tls=TlsIdentity... for mutual TLS), or ssl_context=",
    )


class ClientBase:
    """What :class:`~dmpclient.client.DMPClient` and :class:`~dmpclient.client.AsyncDMPClient` share.

    Args:
        environment: a preset name (``sandbox``, ``dv1``, ``de2``, ``df1``, ``production``) or an
            :class:`~dmpclient.environments.Environment` (URLs overridable with ``Environment.with_urls``).
        context: who acts by default (a per-call ``context=`` overrides it).
        signer: signs the VIHF and the XAdES submission-set signature (card signature key, ORG SIGN …).
        tls: client certificate for mutual TLS (ORG AUTH_CLI, or a card's authentication certificate).
        trust: the pinned trust store of the environment (never the operating-system store).
        ssl_context: a ready ``ssl.SSLContext`` instead of ``tls``/``trust``.
        pinned_fingerprints: SHA-256 fingerprints of the accepted server certificates (REC_0.X-1100).
        transport: an httpx transport (``httpx.MockTransport``, ``httpx.ASGITransport`` …): tests and the
            in-process sandbox. Sync client: ``httpx.BaseTransport``; async: ``httpx.AsyncBaseTransport``.
        timeout: httpx timeout (seconds or ``httpx.Timeout``).
        retries: the retry policy of idempotent calls.
        exchange_hook: receives every :class:`~dmpclient.client.Exchange` (see ``dmpclient.evidence``).
        mask_homologation: mask ``LPS_ID_HOMOLOGATION_DMP`` in exchanges (EX_GEN-1490); default True.
        clock: current time (VIHF, submission time, guard windows, exchange times).
        vihf_options / vihf_version: VIHF choices.
        parameters: the DMP parameters file values (confidentiality combinations, minors).
        max_document_size: refuse larger documents before sending (the DMP's limit is not public).
        guards: which client-side guards are on.
        proxy: an explicit HTTP(S) proxy URL (environment variables are not read).
        spool_dir: where received documents larger than ``memory_threshold`` are spooled.
        memory_threshold: received parts up to this size stay in memory.
        oid_generator: the uniqueId generator (default: one under the software's OID root).
        content_type_code: the submission sets' contentTypeCode (JDV_J59) when a call gives none (default:
            the structure's secteur d'activité when J59 lists it, else ``07`` Consultations, soins externes).
        close_signer: close the signer (a PKCS#11 session) when the client is closed — for signers the
            client owns (``ClientSettings.create_client`` sets it).
        progress: called with a :class:`~dmpclient.client.TransferProgress` for every chunk sent or received
            (progress bars of large submissions and retrievals); it must be quick and must not raise.
    """

    def __init__(
        self,
        environment: Environment | str = "sandbox",
        *,
        context: ActingContext,
        signer: Signer,
        tls: TlsIdentity | None = None,
        trust: TrustStore | None = None,
        ssl_context: ssl.SSLContext | None = None,
        pinned_fingerprints: Sequence[str] = (),
        transport: Any = None,
        timeout: httpx.Timeout | float = DEFAULT_TIMEOUT,
        retries: RetryPolicy | None = None,
        exchange_hook: ExchangeHook | None = None,
        mask_homologation: bool = True,
        clock: Callable[[], dt.datetime] = utc_now,
        vihf_options: VihfOptions | None = None,
        vihf_version: str = "4.0",
        parameters: DmpParameters | None = None,
        max_document_size: int | None = None,
        guards: GuardSettings | None = None,
        proxy: str | None = None,
        spool_dir: str | Path | None = None,
        memory_threshold: int = 1024 * 1024,
        oid_generator: OidGenerator | None = None,
        content_type_code: Code | None = None,
        close_signer: bool = False,
        progress: ProgressCallback | None = None,
    ) -> None:
        if not isinstance(context, ActingContext):
            raise ConfigurationError("context must be an ActingContext", field="context", value=type(context).__name__)
        if not isinstance(signer, Signer):
            raise ConfigurationError("signer must be a Signer", field="signer", value=type(signer).__name__)
        if max_document_size is not None and max_document_size < 1:
            raise ConfigurationError("must be positive", field="max_document_size", value=max_document_size)
        env = resolve_environment(environment)
        self.environment: Environment = env
        """The environment the client talks to."""
        self.exchange_hook = exchange_hook
        self._close_signer = close_signer
        engine = Engine(
            retries=retries or RetryPolicy(),
            exchange_hook=exchange_hook,
            mask_homologation=mask_homologation,
            clock=clock,
            spool_dir=str(spool_dir) if spool_dir is not None else None,
            memory_threshold=memory_threshold,
            progress=progress,
        )
        self._ops = Operations(
            environment=env,
            context=context,
            signer=signer,
            engine=engine,
            guards=guards or GuardSettings(),
            parameters=parameters or DmpParameters(),
            max_document_size=max_document_size,
            clock=clock,
            vihf_version=vihf_version,
            vihf_options=vihf_options,
            oid_generator=oid_generator,
            content_type_code=content_type_code,
        )
        verify = resolve_ssl_context(
            env,
            tls=tls,
            trust=trust,
            ssl_context=ssl_context,
            pinned_fingerprints=pinned_fingerprints,
            transport_given=transport is not None,
        )
        self._http_options: dict[str, Any] = {
            "timeout": timeout if isinstance(timeout, httpx.Timeout) else httpx.Timeout(timeout),
            "follow_redirects": False,
            "trust_env": False,
            "headers": {"User-Agent": USER_AGENT},
            "limits": DEFAULT_LIMITS,
        }
        if verify is not None:
            self._http_options["verify"] = verify
        if proxy is not None:
            self._http_options["proxy"] = proxy
        if transport is not None:
            self._check_transport(transport)
            self._http_options["transport"] = transport
        self._open()

    # -- subclass hooks

    def _check_transport(self, transport: Any) -> None:  # pragma: no cover - overridden
        raise NotImplementedError

    def _open(self) -> None:  # pragma: no cover - overridden
        raise NotImplementedError

    def _release_signer(self) -> None:
        if self._close_signer:
            close = getattr(self._ops.signer, "close", None)
            if callable(close):
                close()
            self._close_signer = False

    # -- shared read-only facts

    @property
    def signer(self) -> Signer:
        """The signer of the VIHF and XAdES signatures."""
        return self._ops.signer

    @property
    def context(self) -> ActingContext:
        """The default acting context."""
        return self._ops.context

    @property
    def guards(self) -> GuardSettings:
        """The guard settings."""
        return self._ops.guards

    @property
    def retries(self) -> RetryPolicy:
        """The retry policy."""
        return self._ops.engine.retries

    def webps_url(self, page: WebPsPage | str, ins: INS | None = None, *, context: ActingContext | None = None) -> str:
        """TD0.9: the URL of a Web-PS page (``TableauDeBord``, ``Documents`` …) on a patient (no network I/O).

        The host is the environment's ``webps_cps``; a NIA is refused; the rights matrix is checked (no TD0.9
        with an establishment certificate). Pro Santé Connect and AIR accesses (TD0.10) are POSTed forms: see
        :mod:`dmpclient.transactions.webps`.
        """
        return self._ops.webps_url(page, ins, context=context)

    def forget_feeds(self, ins: INS | None = None) -> None:
        """Forget recorded feeds (of one patient, or all) for the EX_3.1-1090 guard."""
        self._ops.journal.forget(ins)

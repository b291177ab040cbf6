"""Client settings from a TOML file: environment and URLs, TLS identity, trust store, signer, acting context.

Secrets are **never** read from the file nor from the command line: a PKCS#12 password, a key password or a
card PIN comes from an environment variable *named* in the file (``password_env = "DMP_TLS_PASSWORD"``) or,
when that variable is unset and the caller allows it, from an interactive prompt. A secret-looking key
(``password``, ``pin`` …) in the file is refused. Relative paths are relative to the file's folder.

Example ``dmpclient.toml`` (every table is documented in ``docs/client/configuration.md``)::

    environment = "dv1"

    [urls]                       # optional: override the preset's URLs (EX_GEN-1221/1222)
    soap_base = "https://lps.dev1.dmp.gouv.fr/si-dmp-server/v2/services"

    [tls]                        # mutual TLS client certificate (ORG AUTH_CLI, or a card's exported one)
    pkcs12 = "certs/auth-cli.p12"
    password_env = "DMP_TLS_PASSWORD"

    [trust]                      # pinned trust store of the environment (never the OS store)
    anchors = ["trust/igc-sante-test-root.pem"]
    intermediates = ["trust/igc-sante-test-organisations.pem"]
    pinned_fingerprints = []

    [signer]                     # VIHF + XAdES signer: pkcs12 | pem | pkcs11
    kind = "pkcs11"
    module = "/usr/local/lib/libcps3_pkcs11_lux.so"
    token_label = "CPS3"
    key_label = "Signature"
    pin_env = "CPS_PIN"

    [software]
    name = "MonLogiciel"
    version = "3.2.1"
    homologation_number_env = "DMP_HOMOLOGATION_NUMBER"
    oid_root = "1.2.250.1.999.1.1.7898"

    [professional]
    id = "899900063480"
    family_name = "LIBRE"
    given_name = "MAX"
    profession = "10"
    specialty = "SM26"

    [structure]
    id = "499900063480001"
    name = "CABINET DR LIBRE"
    secteur_activite = "SA07"

    [context]
    authentication_mode = "DIRECTE"
"""

from __future__ import annotations

import datetime as dt
import os
import tomllib
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, Final, Literal

from pydantic import BaseModel, ConfigDict, Field

from dmpclient._models import InputModel, InvalidInput
from dmpclient.client._async import AsyncDMPClient
from dmpclient.client._config import DEFAULT_TIMEOUT, resolve_environment
from dmpclient.client._guards import GuardSettings
from dmpclient.client._retry import RetryPolicy
from dmpclient.client._sync import DMPClient
from dmpclient.context import (
    AccessMode,
    ActingContext,
    AuthenticationMode,
    CardType,
    Professional,
    SoftwareIdentity,
    Structure,
)
from dmpclient.environments import Environment
from dmpclient.errors import ConfigurationError, InputError
from dmpclient.security.certificates import TrustStore
from dmpclient.security.signers import Signer, SoftwareSigner
from dmpclient.security.tls import TlsIdentity
from dmpclient.terminology import Code
from dmpclient.xds.validation import DmpParameters

__all__ = [
    "CONFIG_ENV",
    "DEFAULT_CONFIG",
    "SECRET_KEYS",
    "ClientSettings",
    "Prompt",
    "default_config_path",
    "load_settings",
]

#: Environment variable naming the configuration file.
CONFIG_ENV: Final = "DMPCLIENT_CONFIG"
#: File looked for in the current folder when nothing else is given.
DEFAULT_CONFIG: Final = "dmpclient.toml"
#: Keys that would hold a secret: refused in the file (name an environment variable with ``<key>_env``).
SECRET_KEYS: Final = frozenset(
    {"password", "pin", "key_password", "so_pin", "passphrase", "secret", "user_pin", "pkcs12_password"}
)

#: ``prompt(label) -> secret``: asks a human (the CLI passes a hidden-input prompt).
Prompt = Callable[[str], str]

_STRICT = ConfigDict(extra="forbid", frozen=True)


class UrlSettings(InputModel):
    """``[urls]`` / ``[environments.<name>]``: URL overrides of the environment preset."""

    model_config = _STRICT

    soap_base: str | None = None
    webps_cps: str | None = None
    webps_psc: str | None = None


class TlsSettings(InputModel):
    """``[tls]``: the mutual-TLS client certificate (PKCS#12, or PEM certificate + key)."""

    model_config = _STRICT

    pkcs12: Path | None = None
    password_env: str | None = None
    cert: Path | None = None
    key: Path | None = None
    key_password_env: str | None = None


class TrustSettings(InputModel):
    """``[trust]``: the pinned trust store of the environment."""

    model_config = _STRICT

    anchors: list[Path] = Field(default_factory=list)
    intermediates: list[Path] = Field(default_factory=list)
    crls: list[Path] = Field(default_factory=list)
    pinned_fingerprints: list[str] = Field(default_factory=list)


class SignerSettings(InputModel):
    """``[signer]``: the key that signs the VIHF and the XAdES lot signature."""

    model_config = _STRICT

    kind: Literal["pkcs12", "pem", "pkcs11"] = "pkcs12"
    pkcs12: Path | None = None
    password_env: str | None = None
    cert: Path | None = None
    key: Path | None = None
    key_password_env: str | None = None
    module: Path | None = None
    token_label: str | None = None
    key_label: str | None = None
    key_id: str | None = None
    certificate: Path | None = None
    pin_env: str | None = None
    raw_rsa: bool = False


class SoftwareSettings(InputModel):
    """``[software]``: the homologated software (EX_GEN-1180; the number is confidential, EX_GEN-1490)."""

    model_config = _STRICT

    name: str
    version: str
    oid_root: str
    homologation_number: str | None = None
    homologation_number_env: str | None = None
    instance_id: str | None = None


class ProfessionalSettings(InputModel):
    """``[professional]``: the user."""

    model_config = _STRICT

    id: str
    family_name: str
    given_name: str
    profession: str = "10"
    profession_display: str | None = None
    specialty: str | None = None
    specialty_display: str | None = None
    card_type: CardType | None = CardType.CPS


class StructureSettings(InputModel):
    """``[structure]``: the structure the user acts for."""

    model_config = _STRICT

    id: str
    name: str
    secteur_activite: str = "SA07"
    secteur_display: str | None = None
    cadre_exercice: str | None = "AMBULATOIRE"
    finess_level: str | None = None
    legal_entity: str | None = None


class ContextSettings(InputModel):
    """``[context]``: modes. Bris de glace is never configured (never persistent, EX_0.2-1040)."""

    model_config = _STRICT

    authentication_mode: AuthenticationMode = AuthenticationMode.DIRECTE
    access_mode: Literal["normal", "centre_15"] = "normal"
    subject_id: str | None = None


class ClientOptions(InputModel):
    """``[client]``: transport and behaviour options."""

    model_config = _STRICT

    timeout: float = DEFAULT_TIMEOUT.read or 120.0
    connect_timeout: float = DEFAULT_TIMEOUT.connect or 15.0
    max_document_size: int | None = None
    mask_homologation: bool = True
    content_type_code: str | None = None
    content_type_system: str | None = None
    proxy: str | None = None
    spool_dir: Path | None = None
    vihf_version: Literal["3.0", "4.0"] = "4.0"


class RetrySettings(InputModel):
    """``[retries]``: see :class:`~dmpclient.client.RetryPolicy`."""

    model_config = _STRICT

    max_attempts: int = 3
    backoff: float = 0.5
    multiplier: float = 2.0
    max_backoff: float = 8.0
    jitter: float = 0.5
    ambiguous_check_delay: float = 5.0


class GuardOptions(InputModel):
    """``[guards]``: see :class:`~dmpclient.client.GuardSettings` (all on by default)."""

    model_config = _STRICT

    nia: bool = True
    rights: bool = True
    query_after_feed: bool = True
    query_after_feed_window_minutes: float = 15.0
    query_limits: bool = True
    confidentiality: bool = True
    vaccination: bool = True
    document_size: bool = True
    metadata: bool = True


class ParameterSettings(InputModel):
    """``[parameters]``: values of the DMP parameters file (*fichier des paramètres*)."""

    model_config = _STRICT

    cumul_invisible_patient_masque_ps: bool = False
    fonctions_gestion_mineurs: bool = True
    age_majorite: int = 18


class ClientSettings(InputModel):
    """The whole configuration file. Load it with :func:`load_settings` (or :meth:`load`)."""

    model_config = _STRICT

    environment: str = "sandbox"
    urls: UrlSettings = Field(default_factory=UrlSettings)
    environments: dict[str, UrlSettings] = Field(default_factory=dict)
    tls: TlsSettings | None = None
    trust: TrustSettings | None = None
    signer: SignerSettings
    software: SoftwareSettings
    professional: ProfessionalSettings
    structure: StructureSettings
    context: ContextSettings = Field(default_factory=ContextSettings)
    client: ClientOptions = Field(default_factory=ClientOptions)
    retries: RetrySettings = Field(default_factory=RetrySettings)
    guards: GuardOptions = Field(default_factory=GuardOptions)
    parameters: ParameterSettings = Field(default_factory=ParameterSettings)
    source: Path | None = Field(default=None, exclude=True)

    # ------------------------------------------------------------------------------------- loading

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> ClientSettings:
        """Read and check a TOML file; relative paths become relative to its folder."""
        file = Path(path)
        try:
            data = tomllib.loads(file.read_text(encoding="utf-8"))
        except OSError as exc:
            raise ConfigurationError(
                f"cannot read the configuration: {exc.strerror}", field="config", value=str(file)
            ) from None
        except tomllib.TOMLDecodeError as exc:
            raise ConfigurationError(f"not valid TOML: {exc}", field="config", value=str(file)) from None
        return cls.from_mapping(data, base=file.parent, source=file)

    @classmethod
    def from_mapping(
        cls, data: Mapping[str, Any], *, base: Path | None = None, source: Path | None = None
    ) -> ClientSettings:
        """Build from already-parsed TOML data (tests, embedding)."""
        _refuse_secrets(data, "")
        try:
            settings = cls.model_validate(dict(data))
        except InputError as exc:
            # Every problem stays reachable: the InvalidInput (all of them) is the cause.
            problems = exc.errors if isinstance(exc, InvalidInput) else []
            where = (exc.field or "").removeprefix(f"{cls.__name__}.").removeprefix(cls.__name__)
            raise ConfigurationError(
                f"{exc.reason} ({max(len(problems), 1)} problem(s) in the configuration)",
                field=where or None,
                value=exc.value,
                rule="dmpclient.toml",
            ) from exc
        settings = settings._rebased(base) if base is not None else settings
        return settings.model_copy(update={"source": source})

    def _rebased(self, base: Path) -> ClientSettings:
        def fix(model: BaseModel | None) -> Any:
            if model is None:
                return None
            updates: dict[str, Any] = {}
            for name, value in model:
                if isinstance(value, Path) and not value.is_absolute():
                    updates[name] = base / value
                elif isinstance(value, list) and value and all(isinstance(v, Path) for v in value):
                    updates[name] = [v if v.is_absolute() else base / v for v in value]
            return model.model_copy(update=updates)

        return self.model_copy(
            update={
                "tls": fix(self.tls),
                "trust": fix(self.trust),
                "signer": fix(self.signer),
                "client": fix(self.client),
            }
        )

    def with_environment(self, name: str | None) -> ClientSettings:
        """A copy targeting another environment (``--env``); ``[urls]`` only applies to the file's own one."""
        if name is None or name == self.environment:
            return self
        urls = self.environments.get(name, UrlSettings())
        return self.model_copy(update={"environment": name, "urls": urls})

    # ------------------------------------------------------------------------------------ resolving

    def resolve_environment(self) -> Environment:
        """The environment with the URL overrides applied."""
        urls = self.environments.get(self.environment, self.urls)
        try:
            env = resolve_environment(self.environment)
        except ConfigurationError:
            if not urls.soap_base:
                raise
            from dmpclient.ids import EnvironmentKind

            env = Environment(self.environment, EnvironmentKind.TEST, urls.soap_base)
        return env.with_urls(soap_base=urls.soap_base, webps_cps=urls.webps_cps, webps_psc=urls.webps_psc)

    def acting_context(self, environ: Mapping[str, str] | None = None, prompt: Prompt | None = None) -> ActingContext:
        """The acting context described by ``[professional]``, ``[structure]``, ``[software]``, ``[context]``."""
        p, s, sw, c = self.professional, self.structure, self.software, self.context
        number = sw.homologation_number
        if sw.homologation_number_env:
            number = _secret(sw.homologation_number_env, "homologation number", environ, prompt)
        if not number:
            raise ConfigurationError(
                "the homologation number is needed (homologation_number_env or homologation_number)",
                field="software.homologation_number_env",
                value=None,
                rule="LPS_ID_HOMOLOGATION_DMP",
            )
        professional = Professional.create(
            p.id,
            p.family_name,
            p.given_name,
            profession=p.profession,
            profession_display=p.profession_display,
            specialty=p.specialty,
            specialty_display=p.specialty_display,
            card_type=p.card_type,
        )
        structure = Structure.create(
            s.id,
            s.name,
            secteur_activite=s.secteur_activite,
            secteur_display=s.secteur_display,
            cadre_exercice=s.cadre_exercice,
            finess_level=s.finess_level,
            legal_entity=s.legal_entity,
        )
        software = SoftwareIdentity(
            name=sw.name,
            version=sw.version,
            homologation_number=number,
            oid_root=sw.oid_root,
            instance_id=sw.instance_id,
        )
        return ActingContext(
            professional=professional,
            structure=structure,
            authentication_mode=c.authentication_mode,
            software=software,
            access_mode=AccessMode(c.access_mode),
            subject_id=c.subject_id,
        )

    def tls_identity(
        self, environ: Mapping[str, str] | None = None, prompt: Prompt | None = None
    ) -> TlsIdentity | None:
        """The TLS client identity of ``[tls]`` (None without a ``[tls]`` table)."""
        t = self.tls
        if t is None:
            return None
        if t.pkcs12 is not None:
            password = (
                _secret(t.password_env, f"password of {t.pkcs12.name}", environ, prompt) if t.password_env else None
            )
            return TlsIdentity.from_pkcs12(t.pkcs12, password)
        if t.cert is not None and t.key is not None:
            password = _secret(t.key_password_env, "TLS key password", environ, prompt) if t.key_password_env else None
            return TlsIdentity.from_pem(t.cert, t.key, password)
        raise ConfigurationError("[tls] needs pkcs12, or cert and key", field="tls", value=None)

    def trust_store(self) -> TrustStore | None:
        """The pinned trust store of ``[trust]`` (None without anchors)."""
        t = self.trust
        if t is None or not t.anchors:
            return None
        return TrustStore.from_pem(list(t.anchors), intermediates=list(t.intermediates), crls=list(t.crls))

    def create_signer(self, environ: Mapping[str, str] | None = None, prompt: Prompt | None = None) -> Signer:
        """The signer of ``[signer]`` (a PKCS#11 token is opened and logged in: close it when done)."""
        g = self.signer
        if g.kind == "pkcs12":
            if g.pkcs12 is None:
                raise ConfigurationError(
                    "[signer] kind pkcs12 needs pkcs12 = <file>", field="signer.pkcs12", value=None
                )
            password = (
                _secret(g.password_env, f"password of {g.pkcs12.name}", environ, prompt) if g.password_env else None
            )
            return SoftwareSigner.from_pkcs12(g.pkcs12, password)
        if g.kind == "pem":
            if g.key is None or g.cert is None:
                raise ConfigurationError("[signer] kind pem needs cert and key", field="signer.key", value=None)
            password = (
                _secret(g.key_password_env, "signing key password", environ, prompt) if g.key_password_env else None
            )
            return SoftwareSigner.from_pem(g.key, g.cert, password=password)
        if g.module is None:
            raise ConfigurationError(
                "[signer] kind pkcs11 needs module = <PKCS#11 library>", field="signer.module", value=None
            )
        from dmpclient.security.pkcs11 import Pkcs11Signer

        pin = _secret(g.pin_env, "card PIN", environ, prompt) if g.pin_env else None
        certificate = g.certificate.read_bytes() if g.certificate is not None else None
        return Pkcs11Signer.open(
            g.module,
            token_label=g.token_label,
            key_label=g.key_label,
            key_id=bytes.fromhex(g.key_id) if g.key_id else None,
            certificate=certificate,
            pin=pin,
            raw_rsa=g.raw_rsa,
        )

    def guard_settings(self) -> GuardSettings:
        """``[guards]`` as :class:`~dmpclient.client.GuardSettings`."""
        data = self.guards.model_dump()
        window = dt.timedelta(minutes=data.pop("query_after_feed_window_minutes"))
        return GuardSettings(query_after_feed_window=window, **data)

    def retry_policy(self) -> RetryPolicy:
        """``[retries]`` as :class:`~dmpclient.client.RetryPolicy`."""
        return RetryPolicy(**self.retries.model_dump())

    def content_type_code(self) -> Code | None:
        """``[client] content_type_code`` (JDV_J59) as a code, or None."""
        code = self.client.content_type_code
        if code is None:
            return None
        if self.client.content_type_system:
            return Code(code, self.client.content_type_system)
        from dmpclient.terminology import value_set

        known = value_set("J59").lookup(code)
        if known is None:
            raise ConfigurationError(
                "not a JDV_J59 contentTypeCode (give content_type_system for a code outside the built-in table)",
                field="client.content_type_code",
                value=code,
            )
        return known

    def client_options(self) -> dict[str, Any]:
        """The keyword arguments of the client constructors that do not hold secrets."""
        import httpx

        c = self.client
        return {
            "timeout": httpx.Timeout(c.timeout, connect=c.connect_timeout),
            "retries": self.retry_policy(),
            "guards": self.guard_settings(),
            "parameters": DmpParameters(**self.parameters.model_dump()),
            "max_document_size": c.max_document_size,
            "mask_homologation": c.mask_homologation,
            "proxy": c.proxy,
            "spool_dir": c.spool_dir,
            "vihf_version": c.vihf_version,
            "content_type_code": self.content_type_code(),
            "pinned_fingerprints": list(self.trust.pinned_fingerprints) if self.trust else [],
        }

    def create_client(
        self,
        *,
        asynchronous: bool = False,
        environ: Mapping[str, str] | None = None,
        prompt: Prompt | None = None,
        **overrides: Any,
    ) -> DMPClient | AsyncDMPClient:
        """A ready :class:`~dmpclient.client.DMPClient` (or :class:`~dmpclient.client.AsyncDMPClient`).

        Args:
            asynchronous: build the async client.
            environ: where secret environment variables are read (default ``os.environ``).
            prompt: asks for a secret whose variable is unset (default: no prompt, a ConfigurationError).
            overrides: constructor arguments that win over the file (``exchange_hook=``, ``transport=`` …).

        The client owns the signer it opened (a PKCS#11 session is closed with the client).
        """
        options: dict[str, Any] = {
            "context": self.acting_context(environ, prompt),
            "signer": self.create_signer(environ, prompt),
            "tls": self.tls_identity(environ, prompt),
            "trust": self.trust_store(),
            "close_signer": True,
            **self.client_options(),
        }
        options.update(overrides)
        if options.get("ssl_context") is not None:
            options.pop("tls", None)
            options.pop("trust", None)
            options["pinned_fingerprints"] = ()
        cls = AsyncDMPClient if asynchronous else DMPClient
        return cls(self.resolve_environment(), **options)


def _refuse_secrets(data: Mapping[str, Any], where: str) -> None:
    for key, value in data.items():
        path = f"{where}.{key}" if where else key
        if key.lower() in SECRET_KEYS:
            raise ConfigurationError(
                "secrets are never read from the configuration file",
                field=path,
                value="***",
                rule="secrets from environment variables only",
                hint=f'remove it and name an environment variable instead: {key}_env = "MY_VARIABLE"',
            )
        if isinstance(value, Mapping):
            _refuse_secrets(value, path)


def _secret(variable: str | None, label: str, environ: Mapping[str, str] | None, prompt: Prompt | None) -> str:
    if not variable:
        raise ConfigurationError(f"no environment variable named for the {label}", field=label, value=None)
    env = os.environ if environ is None else environ
    value = env.get(variable)
    if value:
        return value
    if prompt is not None:
        answer = prompt(f"{label} (environment variable {variable} is not set)")
        if answer:
            return answer
    raise ConfigurationError(
        f"the {label} is read from the environment variable {variable}, which is not set",
        field=variable,
        value=None,
        rule="secrets from environment variables only",
    )


def default_config_path(environ: Mapping[str, str] | None = None, cwd: Path | None = None) -> Path | None:
    """``$DMPCLIENT_CONFIG`` when set, else ``./dmpclient.toml`` when it exists, else None."""
    env = os.environ if environ is None else environ
    named = env.get(CONFIG_ENV)
    if named:
        return Path(named)
    candidate = (cwd or Path.cwd()) / DEFAULT_CONFIG
    return candidate if candidate.is_file() else None


def load_settings(
    path: str | os.PathLike[str] | None = None, *, environ: Mapping[str, str] | None = None
) -> ClientSettings:
    """Load the configuration: ``path``, else ``$DMPCLIENT_CONFIG``, else ``./dmpclient.toml``.

    Raises:
        ConfigurationError: no file found, unreadable, invalid, or a secret written in it.
    """
    file = Path(path) if path is not None else default_config_path(environ)
    if file is None:
        raise ConfigurationError(
            f"no configuration: pass --config FILE, set ${CONFIG_ENV}, or create ./{DEFAULT_CONFIG}",
            field="config",
            value=None,
            hint="see docs/client/configuration.md",
        )
    return ClientSettings.load(file)

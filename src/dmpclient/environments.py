"""DMP environments and their URLs (reference ``envelope-and-transport.md`` §7).

Hosts change (EX_GEN-1221/1222): every URL of a preset can be overridden with :meth:`Environment.with_urls`
or by building an :class:`Environment` directly.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Final

from dmpclient.errors import ConfigurationError
from dmpclient.ids import EnvironmentKind

__all__ = [
    "DE2",
    "DF1",
    "DV1",
    "PRESETS",
    "PRODUCTION",
    "SANDBOX",
    "SERVICES_PATH",
    "Environment",
    "Service",
    "get_environment",
]


class Service(StrEnum):
    """The DMP web services (path segment after the SOAP base)."""

    PATIENTS = "patients"
    PATIENTS_SPECIFIC = "patientsSpecific"
    PATIENTS_PDQ = "patientsPDQ"
    HABILITATIONS = "habilitations"
    REGISTRY = "registry"
    REPOSITORY = "repository"


#: The path every DMP front end serves the services under.
SERVICES_PATH: Final = "/si-dmp-server/v2/services"


@dataclass(frozen=True, slots=True)
class Environment:
    """A DMP environment: where the SOAP services and the Web-PS live, and whether it is production.

    Attributes:
        name: ``sandbox``, ``dv1``, ``de2``, ``df1``, ``production`` or a custom name.
        kind: production or test (decides which INS OIDs are accepted).
        soap_base: base URL of the services, without trailing slash
            (``https://lps2.dmp.gouv.fr/si-dmp-server/v2/services``).
        webps_cps: Web-PS host for CPS card access (TD0.9).
        webps_psc: Web-PS host for Pro Santé Connect access.
    """

    name: str
    kind: EnvironmentKind
    soap_base: str
    webps_cps: str | None = None
    webps_psc: str | None = None

    def __post_init__(self) -> None:
        base = self.soap_base.rstrip("/")
        if not base.startswith(("https://", "http://")):
            raise ConfigurationError(
                "the SOAP base must be an http(s) URL", field="environment.soap_base", value=self.soap_base
            )
        if base.startswith("http://") and self.kind is EnvironmentKind.PRODUCTION:
            raise ConfigurationError(
                "production requires HTTPS", field="environment.soap_base", value=self.soap_base, rule="TLS"
            )
        object.__setattr__(self, "soap_base", base)

    def service_url(self, service: Service | str) -> str:
        """Full URL of a service (``…/services/registry``)."""
        return f"{self.soap_base}/{Service(service).value}"

    def with_urls(
        self, *, soap_base: str | None = None, webps_cps: str | None = None, webps_psc: str | None = None
    ) -> Environment:
        """A copy with some URLs overridden."""
        return replace(
            self,
            soap_base=soap_base or self.soap_base,
            webps_cps=webps_cps or self.webps_cps,
            webps_psc=webps_psc or self.webps_psc,
        )

    @property
    def is_production(self) -> bool:
        """True for the production environment."""
        return self.kind is EnvironmentKind.PRODUCTION


PRODUCTION: Final = Environment(
    "production",
    EnvironmentKind.PRODUCTION,
    "https://lps2.dmp.gouv.fr" + SERVICES_PATH,
    "https://wps-cps.dmp.monespacesante.fr",
    "https://wps-psc.dmp.monespacesante.fr",
)
DV1: Final = Environment(
    "dv1",
    EnvironmentKind.TEST,
    "https://lps.dev1.dmp.gouv.fr" + SERVICES_PATH,
    "https://wps-cps.dev1.dmp.gouv.fr",
    "https://wps-psc.dev1.dmp.gouv.fr",
)
DE2: Final = Environment(
    "de2",
    EnvironmentKind.TEST,
    "https://lps.de2.dmp.gouv.fr" + SERVICES_PATH,
    "https://wps-cps.de2.dmp.gouv.fr",
    "https://wps-psc.de2.dmp.gouv.fr",
)
DF1: Final = Environment(
    "df1",
    EnvironmentKind.TEST,
    "https://lps.df1.dmp.gouv.fr" + SERVICES_PATH,
    "https://wps-cps.df1.dmp.gouv.fr",
    "https://wps-psc.df1.dmp.gouv.fr",
)
#: The embedded sandbox; the real port is chosen at start-up, see ``dmpclient.sandbox``.
SANDBOX: Final = Environment("sandbox", EnvironmentKind.TEST, "https://localhost" + SERVICES_PATH)

PRESETS: Final[dict[str, Environment]] = {e.name: e for e in (SANDBOX, DV1, DE2, DF1, PRODUCTION)}


def get_environment(name: str) -> Environment:
    """A preset by name (case-insensitive)."""
    try:
        return PRESETS[name.lower()]
    except KeyError:
        raise ConfigurationError(
            f"unknown environment; presets are {', '.join(PRESETS)}", field="environment", value=name
        ) from None

"""dmpclient.environments: presets, service URLs, overrides (envelope-and-transport.md §7)."""

from __future__ import annotations

import pytest

from dmpclient.environments import (
    DE2,
    DF1,
    DV1,
    PRESETS,
    PRODUCTION,
    SANDBOX,
    SERVICES_PATH,
    Environment,
    Service,
    get_environment,
)
from dmpclient.errors import ConfigurationError
from dmpclient.ids import EnvironmentKind


@pytest.mark.parametrize(
    ("env", "base"),
    [
        (PRODUCTION, "https://lps2.dmp.gouv.fr/si-dmp-server/v2/services"),
        (DV1, "https://lps.dev1.dmp.gouv.fr/si-dmp-server/v2/services"),
        (DE2, "https://lps.de2.dmp.gouv.fr/si-dmp-server/v2/services"),
        (DF1, "https://lps.df1.dmp.gouv.fr/si-dmp-server/v2/services"),
    ],
)
def test_presets_match_the_reference(env: Environment, base: str) -> None:
    assert env.soap_base == base
    assert env.soap_base.endswith(SERVICES_PATH)
    assert env.webps_cps is not None
    assert env.webps_cps.startswith("https://wps-cps.")
    assert env.webps_psc is not None
    assert env.webps_psc.startswith("https://wps-psc.")


def test_kinds() -> None:
    assert PRODUCTION.is_production
    assert PRODUCTION.kind is EnvironmentKind.PRODUCTION
    for env in (DV1, DE2, DF1, SANDBOX):
        assert env.kind is EnvironmentKind.TEST
        assert not env.is_production


def test_production_web_ps_hosts() -> None:
    assert PRODUCTION.webps_cps == "https://wps-cps.dmp.monespacesante.fr"
    assert PRODUCTION.webps_psc == "https://wps-psc.dmp.monespacesante.fr"


@pytest.mark.parametrize(
    ("service", "last"),
    [
        (Service.PATIENTS, "patients"),
        (Service.PATIENTS_SPECIFIC, "patientsSpecific"),
        (Service.PATIENTS_PDQ, "patientsPDQ"),
        (Service.HABILITATIONS, "habilitations"),
        (Service.REGISTRY, "registry"),
        (Service.REPOSITORY, "repository"),
    ],
)
def test_service_urls(service: Service, last: str) -> None:
    assert DV1.service_url(service) == f"https://lps.dev1.dmp.gouv.fr/si-dmp-server/v2/services/{last}"
    assert DV1.service_url(last) == DV1.service_url(service)


def test_retired_or_unknown_service_refused() -> None:
    with pytest.raises(ValueError):
        DV1.service_url("patientCertif")


def test_overrides_strip_trailing_slash() -> None:
    # DE2/DF1 URLs are published with a trailing slash; hosts change (EX_GEN-1221/1222).
    env = DE2.with_urls(soap_base="https://lps.de3.dmp.gouv.fr/si-dmp-server/v2/services/")
    assert env.soap_base == "https://lps.de3.dmp.gouv.fr/si-dmp-server/v2/services"
    assert env.service_url(Service.REGISTRY) == "https://lps.de3.dmp.gouv.fr/si-dmp-server/v2/services/registry"
    assert env.webps_cps == DE2.webps_cps  # untouched
    assert DE2.soap_base == "https://lps.de2.dmp.gouv.fr/si-dmp-server/v2/services"  # preset unchanged
    custom = Environment("dvx-024", EnvironmentKind.TEST, "https://dev.lps2.dmp.gouv.fr/024/si-dmp-server/v2/services")
    assert custom.service_url("repository").endswith("/024/si-dmp-server/v2/services/repository")


def test_http_only_for_test_environments() -> None:
    local = SANDBOX.with_urls(soap_base="http://127.0.0.1:8443" + SERVICES_PATH)
    assert local.service_url("registry") == "http://127.0.0.1:8443/si-dmp-server/v2/services/registry"


def test_production_must_be_https() -> None:
    with pytest.raises(ConfigurationError) as info:
        PRODUCTION.with_urls(soap_base="http://lps2.dmp.gouv.fr" + SERVICES_PATH)
    assert info.value.field == "environment.soap_base"
    assert info.value.rule == "TLS"


@pytest.mark.parametrize("base", ["ftp://x", "lps2.dmp.gouv.fr", ""])
def test_base_must_be_http_url(base: str) -> None:
    with pytest.raises(ConfigurationError) as info:
        Environment("x", EnvironmentKind.TEST, base)
    assert info.value.field == "environment.soap_base"
    assert info.value.value == base


def test_get_environment() -> None:
    assert get_environment("DV1") is DV1
    assert get_environment("production") is PRODUCTION
    assert set(PRESETS) == {"sandbox", "dv1", "de2", "df1", "production"}
    with pytest.raises(ConfigurationError) as info:
        get_environment("dv2")
    assert info.value.value == "dv2"
    assert "dv1" in str(info.value)

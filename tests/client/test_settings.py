"""The TOML client configuration: loading, secrets from the environment only, building a client."""

from __future__ import annotations

import asyncio
import datetime as dt
import os
from pathlib import Path
from typing import Any

import httpx
import pytest

from dmpclient.client import AsyncDMPClient, DMPClient
from dmpclient.client.settings import (
    CONFIG_ENV,
    ClientSettings,
    default_config_path,
    load_settings,
)
from dmpclient.errors import ConfigurationError
from dmpclient.security.pki import TestPki

from .fake_dmp import FakeDMP
from .support import PATIENT, write_config


@pytest.fixture
def environ(pki: TestPki) -> dict[str, str]:
    return {
        "TEST_TLS_PASSWORD": pki.password,
        "TEST_SIGNER_PASSWORD": pki.password,
        "TEST_HOMOLOGATION": "ABC-123456-tmp1",
    }


def test_load_and_create_a_working_client(pki: TestPki, tmp_path: Path, environ: dict[str, str]) -> None:
    config = write_config(pki, tmp_path)
    settings = load_settings(config)
    assert settings.source == config
    assert settings.signer.pkcs12 is not None
    assert settings.signer.pkcs12.is_absolute()
    fake = FakeDMP()
    try:
        client = settings.create_client(environ=environ, transport=httpx.MockTransport(fake.sync_handler))
        assert isinstance(client, DMPClient)
        with client:
            assert client.environment.soap_base == "https://127.0.0.1:9/si-dmp-server/v2/services"
            assert client.context.software.homologation_number == "ABC-123456-tmp1"
            assert client.guards.query_after_feed_window == dt.timedelta(minutes=5)
            assert client.guards.rights is False
            assert client.retries.max_attempts == 4
            assert client.test_existence(PATIENT).exists
    finally:
        fake.close()
    assert fake.seen == ["TD0.2"]


def test_the_async_client_and_a_real_ssl_context(pki: TestPki, tmp_path: Path, environ: dict[str, str]) -> None:
    settings = load_settings(write_config(pki, tmp_path))
    client = settings.create_client(asynchronous=True, environ=environ)  # no transport: a pinned SSLContext
    assert isinstance(client, AsyncDMPClient)
    asyncio.run(client.aclose())


@pytest.mark.parametrize(
    ("table", "key"),
    [("[tls]", "password"), ("[signer]", "pin"), ("[client.extra]", "key_password")],
)
def test_secrets_in_the_file_are_refused(pki: TestPki, tmp_path: Path, table: str, key: str) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(f'environment = "sandbox"\n{table}\n{key} = "hunter2"\n', encoding="utf-8")
    with pytest.raises(ConfigurationError, match="never read from the configuration") as caught:
        load_settings(path)
    assert caught.value.field is not None
    assert caught.value.field.endswith(key)
    assert "hunter2" not in str(caught.value)


def test_missing_secret_variable_and_prompt(pki: TestPki, tmp_path: Path, environ: dict[str, str]) -> None:
    settings = load_settings(write_config(pki, tmp_path))
    partial = {k: v for k, v in environ.items() if k != "TEST_SIGNER_PASSWORD"}
    with pytest.raises(ConfigurationError, match="TEST_SIGNER_PASSWORD"):
        settings.create_signer(partial)
    asked: list[str] = []

    def prompt(label: str) -> str:
        asked.append(label)
        return pki.password

    signer = settings.create_signer(partial, prompt)
    assert signer.certificate == pki.certificate("prof-sign")
    assert asked
    assert "TEST_SIGNER_PASSWORD" in asked[0]


def test_homologation_number_is_required(pki: TestPki, tmp_path: Path, environ: dict[str, str]) -> None:
    settings = load_settings(write_config(pki, tmp_path))
    with pytest.raises(ConfigurationError, match="TEST_HOMOLOGATION"):
        settings.acting_context({})


def test_unknown_keys_and_bris_de_glace_are_refused(pki: TestPki, tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError) as caught:
        load_settings(write_config(pki, tmp_path, "\n[client]\ntimout = 3\n"))
    assert caught.value.field == "client.timout"
    with pytest.raises(ConfigurationError) as caught:
        load_settings(write_config(pki, tmp_path, '\n[context]\naccess_mode = "bris_de_glace"\n'))
    assert caught.value.field == "context.access_mode"


def test_environment_switch_and_per_environment_urls(pki: TestPki, tmp_path: Path) -> None:
    extra = '\n[environments.de2]\nsoap_base = "https://lps.de2.example/si-dmp-server/v2/services"\n'
    settings = load_settings(write_config(pki, tmp_path, extra))
    assert settings.resolve_environment().soap_base.startswith("https://127.0.0.1:9")
    assert settings.with_environment("dv1").resolve_environment().soap_base == (
        "https://lps.dev1.dmp.gouv.fr/si-dmp-server/v2/services"
    )
    assert settings.with_environment("de2").resolve_environment().soap_base.startswith("https://lps.de2.example")
    with pytest.raises(ConfigurationError):
        settings.with_environment("nowhere").resolve_environment()


def test_content_type_code_setting(pki: TestPki, tmp_path: Path) -> None:
    settings = load_settings(write_config(pki, tmp_path, '\n[client]\ncontent_type_code = "04"\n'))
    code = settings.content_type_code()
    assert code is not None
    assert code.code == "04"
    assert code.code_system == "1.2.250.1.213.2.2"
    bad = load_settings(write_config(pki, tmp_path, '\n[client]\ncontent_type_code = "ZZ"\n'))
    with pytest.raises(ConfigurationError, match="J59"):
        bad.content_type_code()


def test_default_config_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert default_config_path({}, cwd=tmp_path) is None
    (tmp_path / "dmpclient.toml").write_text("")
    assert default_config_path({}, cwd=tmp_path) == tmp_path / "dmpclient.toml"
    assert default_config_path({CONFIG_ENV: "/etc/dmp.toml"}, cwd=tmp_path) == Path("/etc/dmp.toml")
    empty = tmp_path / "empty"
    empty.mkdir()
    monkeypatch.chdir(empty)
    with pytest.raises(ConfigurationError, match="no configuration"):
        load_settings(environ={})
    with pytest.raises(ConfigurationError, match="cannot read"):
        load_settings(tmp_path / "missing.toml")


def test_invalid_toml(tmp_path: Path) -> None:
    path = tmp_path / "x.toml"
    path.write_text("environment = ")
    with pytest.raises(ConfigurationError, match="not valid TOML"):
        ClientSettings.load(path)


def test_pkcs11_signer_pin_from_the_environment(tmp_path_factory: pytest.TempPathFactory, house: Any) -> None:
    """A CPS-like SoftHSM2 token: the PIN comes from an environment variable and never reaches an exchange."""
    import importlib.util
    import shutil

    from dmpclient.security.pkcs11 import find_softhsm2_module
    from dmpclient.security.pki import create_test_pki

    ok = shutil.which("softhsm2-util") and find_softhsm2_module() and importlib.util.find_spec("pkcs11")
    house.require(bool(ok), "SoftHSM2 / python-pkcs11 not installed")
    pin = "739104826"
    token_pki = create_test_pki(tmp_path_factory.mktemp("pki-hsm"), softhsm=True, softhsm_pin=pin)
    assert token_pki.softhsm is not None
    os.environ["SOFTHSM2_CONF"] = token_pki.softhsm.conf  # Pkcs11Signer.open re-reads it when needed
    folder = tmp_path_factory.mktemp("cfg")
    info = token_pki.softhsm
    signer_table = (
        f'[signer]\nkind = "pkcs11"\nmodule = "{info.module}"\ntoken_label = "{info.token_label}"\n'
        f'key_label = "{info.signature_key_label}"\npin_env = "TEST_CPS_PIN"\n'
        f'certificate = "{token_pki.path(token_pki.entry("prof-sign").cert)}"'
    )
    settings = load_settings(write_config(token_pki, folder, tls=False, signer=signer_table))
    environ = {"TEST_CPS_PIN": pin, "TEST_HOMOLOGATION": "ABC-123456-tmp1"}
    fake = FakeDMP()
    exchanges: list[Any] = []
    client = settings.create_client(
        environ=environ, transport=httpx.MockTransport(fake.sync_handler), exchange_hook=exchanges.append
    )
    try:
        with client:
            client.test_existence(PATIENT)
    finally:
        fake.close()
    assert client.signer._session is None  # type: ignore[attr-defined]  # the owned PKCS#11 session was closed
    assert exchanges
    assert exchanges[0].ok
    for ex in exchanges:
        for blob in (ex.request_root, ex.vihf or b"", repr(ex.request_headers).encode()):
            assert pin.encode() not in blob

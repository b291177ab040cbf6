"""Fixtures of the CLI tests: a test PKI, a client configuration and the embedded sandbox reached in-process.

``dmp`` runs ``dmpclient …`` (click's CliRunner) with ``--config`` pointing at a configuration for the sandbox;
the transaction commands' client talks to a fresh in-process sandbox through a transport that can be told to
fail (``dmp.fail_next(exc)``) to provoke transport errors.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from click.testing import CliRunner, Result

from dmpclient.cli import cli
from dmpclient.cli import transactions as commands
from dmpclient.client.settings import ClientSettings
from dmpclient.sandbox import Sandbox
from dmpclient.security.pki import TestPki, create_test_pki

#: Seeded patients of the sandbox (dmpclient.sandbox.seed).
PAT_TROIS = "279035121518989"  # active DMP, no document, Dr LIBRE not authorised
PATB_QUATRE = "207058575627097"  # 24 visible documents; Dr LIBRE is médecin traitant
BLOCH = "138080427231017"  # Dr LIBRE is blocked (INTERDIT)
NO_DMP = "153078987658513"  # no DMP


@pytest.fixture(scope="session")
def cli_pki(tmp_path_factory: pytest.TempPathFactory) -> TestPki:
    """One test PKI for the CLI tests."""
    return create_test_pki(tmp_path_factory.mktemp("pki-cli"))


def write_config(pki: TestPki, folder: Path) -> Path:
    """A dmpclient.toml for the sandbox, Dr LIBRE in DIRECTE mode, no retry waits."""
    rel = os.path.relpath(pki.directory, folder)
    text = f"""
environment = "sandbox"

[tls]
pkcs12 = "{rel}/{pki.entry("prof-auth").p12}"
password_env = "CLI_TEST_TLS_PASSWORD"

[trust]
anchors = ["{rel}/ca/root.cert.pem"]
intermediates = ["{rel}/ca/organisations.cert.pem", "{rel}/ca/personnes.cert.pem"]

[signer]
kind = "pkcs12"
pkcs12 = "{rel}/{pki.entry("prof-sign").p12}"
password_env = "CLI_TEST_SIGNER_PASSWORD"

[software]
name = "MonLogiciel"
version = "3.2.1"
oid_root = "1.2.250.1.999.1.1.7898"
homologation_number_env = "CLI_TEST_HOMOLOGATION"

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

[retries]
max_attempts = 1
backoff = 0
jitter = 0
ambiguous_check_delay = 0
"""
    path = folder / "dmpclient.toml"
    path.write_text(text, encoding="utf-8")
    return path


class FailingTransport(httpx.BaseTransport):
    """Delegates to ``inner`` unless a failure is queued; records the requests."""

    def __init__(self, inner: httpx.BaseTransport) -> None:
        self.inner = inner
        self.failures: list[Exception] = []
        self.requests: list[httpx.Request] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if self.failures:
            raise self.failures.pop(0)
        return self.inner.handle_request(request)


@dataclass
class CliDmp:
    """Runs ``dmpclient`` against the sandbox."""

    sandbox: Sandbox
    config: Path
    transport: FailingTransport
    folder: Path
    runner: CliRunner = field(default_factory=CliRunner)

    def run(self, *args: str, config: bool = True, input: bytes | str | None = None) -> Result:
        """``dmpclient ARGS --config FILE`` (``config=False``: without ``--config``)."""
        extra = ["--config", str(self.config)] if config else []
        return self.runner.invoke(cli, [*args, *extra], input=input, catch_exceptions=False)

    def fail_next(self, *failures: Exception) -> None:
        """The next requests fail with these exceptions (before reaching the sandbox)."""
        self.transport.failures.extend(failures)

    @property
    def requests(self) -> list[httpx.Request]:
        return self.transport.requests


@pytest.fixture
def dmp(cli_pki: TestPki, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[CliDmp]:
    """A fresh in-process sandbox and a configuration pointing at it."""
    monkeypatch.setenv("CLI_TEST_TLS_PASSWORD", cli_pki.password)
    monkeypatch.setenv("CLI_TEST_SIGNER_PASSWORD", cli_pki.password)
    monkeypatch.setenv("CLI_TEST_HOMOLOGATION", "ABC-123456-tmp1")
    monkeypatch.delenv("DMPCLIENT_CONFIG", raising=False)
    sandbox = Sandbox.from_pki(cli_pki)
    transport = FailingTransport(sandbox.transport(client_certificate=cli_pki.certificate("prof-auth")))
    real = commands.create_client

    def create(settings: ClientSettings, **overrides: Any) -> Any:
        return real(settings, transport=transport, **overrides)

    monkeypatch.setattr(commands, "create_client", create)
    # No real waiting between the submissions of a folder.
    monkeypatch.setattr(commands, "_sleep", lambda seconds: None)
    yield CliDmp(sandbox, write_config(cli_pki, tmp_path), transport, tmp_path)
    sandbox.close()

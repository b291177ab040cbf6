"""``dmpclient sandbox serve`` and ``dmpclient sandbox pki`` (the server runs in a subprocess with the test stub
behaviour; the DMP behaviour has its own tests)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from click.testing import CliRunner
from platform_support import call, echo, post, session_pki, vihf

from dmpclient.cli import cli
from dmpclient.security.tls import create_ssl_context

HERE = Path(__file__).resolve().parent


def _read_json(process: subprocess.Popen[str]) -> dict[str, Any]:
    assert process.stdout is not None
    text = ""
    for line in process.stdout:
        text += line
        try:
            data = json.loads(text)
        except ValueError:
            continue
        assert isinstance(data, dict)
        return data
    raise AssertionError(f"no JSON on stdout; stderr: {process.stderr.read() if process.stderr else ''}")


@pytest.fixture
def serve(tmp_path: Path) -> Iterator[Any]:
    processes: list[subprocess.Popen[str]] = []

    def start(*args: str) -> tuple[subprocess.Popen[str], dict[str, Any]]:
        env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(HERE), os.environ.get("PYTHONPATH", "")])}
        process = subprocess.Popen(
            [
                sys.executable,
                "-c",
                "from dmpclient.cli import main; main()",
                "sandbox",
                "serve",
                "--behaviour",
                "platform_support:create_stub_behaviour",
                "--json",
                *args,
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )
        processes.append(process)
        return process, _read_json(process)

    yield start
    for process in processes:
        if process.poll() is None:
            process.kill()
            process.wait(10)


def test_serve_existing_pki_then_ctrl_c(serve: Any) -> None:
    pki = session_pki()
    process, info = serve("--pki", str(pki.directory), "--port", "0")
    assert info["ok"] is True
    assert info["pki_created"] is False
    assert info["soap_base"].startswith("https://127.0.0.1:")
    assert info["soap_base"].endswith("/si-dmp-server/v2/services")
    assert info["ca_file"].endswith("trust-anchors.pem")
    assert info["admin_token"] is None
    context = create_ssl_context(identity=pki.tls_identity("ej-auth"), trust=pki.trust_store())
    with httpx.Client(verify=context) as client:
        assert echo(post(client, call("TD0.2", vihf("INDIRECTE")), info["soap_base"])).get("td") == "TD0.2"
        assert client.get(info["base_url"] + "/_sandbox/admin/").status_code == 404
    process.send_signal(signal.SIGINT)
    assert process.wait(20) == 0


def test_serve_creates_the_pki_and_exposes_the_admin_api(serve: Any, tmp_path: Path) -> None:
    pki_dir = tmp_path / "pki"
    process, info = serve(
        "--pki", str(pki_dir), "--admin", "--clock", "2020-01-02T03:04:05Z", "--frozen", "--prefix", "/024"
    )
    assert info["pki_created"] is True
    assert (pki_dir / "manifest.json").exists()
    assert "/024/si-dmp-server/v2/services" in info["soap_base"]
    assert info["clock"] == "2020-01-02T03:04:05+00:00"
    from dmpclient.security.pki import TestPki

    pki = TestPki.load(pki_dir)
    context = create_ssl_context(identity=pki.tls_identity("ej-auth"), trust=pki.trust_store())
    with httpx.Client(verify=context) as client:
        headers = {"Authorization": f"Bearer {info['admin_token']}"}
        clock = client.get(info["admin_url"] + "clock", headers=headers)
        assert clock.json()["result"]["now"] == "2020-01-02T03:04:05+00:00"
        assert client.get(info["admin_url"] + "clock").status_code == 401
    process.send_signal(signal.SIGTERM)
    assert process.wait(20) == 0


def test_admin_refused_on_a_public_address(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["sandbox", "serve", "--pki", str(tmp_path / "p"), "--admin", "--host", "0.0.0.0"])
    assert result.exit_code == 2
    assert "loopback" in result.output
    assert not (tmp_path / "p").exists()


def test_frozen_needs_clock(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["sandbox", "serve", "--pki", str(tmp_path / "p"), "--frozen"])
    assert result.exit_code == 2


def test_non_pki_folder_is_refused(tmp_path: Path) -> None:
    (tmp_path / "stuff.txt").write_text("hello")
    result = CliRunner().invoke(cli, ["sandbox", "serve", "--pki", str(tmp_path), "--json"])
    assert result.exit_code == 2
    assert json.loads(result.output)["ok"] is False


def test_sandbox_pki_shortcut(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["sandbox", "pki", str(tmp_path / "pki"), "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert "dmp-server" in data["entries"]
    assert "ej-auth" in data["entries"]
    again = CliRunner().invoke(cli, ["sandbox", "pki", str(tmp_path / "pki")])
    assert again.exit_code == 2  # refuses to overwrite an existing PKI (a usage error: ConfigurationError)


def test_help_has_examples() -> None:
    result = CliRunner().invoke(cli, ["sandbox", "serve", "--help"])
    assert result.exit_code == 0
    assert "Examples:" in result.output
    assert "--pki" in result.output

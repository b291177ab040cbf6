"""CLI: ``dmpclient pki init``, ``vihf show`` / ``build``, ``xades verify`` / ``sign``."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from dmpclient.cli import cli
from dmpclient.ids import INS
from dmpclient.security.pki import TestPki
from dmpclient.security.vihf import build_vihf

OFFICIAL_CDA_UID = "1.2.250.1.999.1.1.7898.4.9956570902"


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


@pytest.mark.slow
def test_pki_init_then_vihf_show(runner: CliRunner, tmp_path: Path) -> None:
    directory = tmp_path / "pki"
    result = runner.invoke(cli, ["pki", "init", str(directory), "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["ok"] is True
    assert "prof-sign" in data["entries"]
    assert (directory / "manifest.json").is_file()
    assert (directory / "trust-anchors.pem").is_file()
    again = runner.invoke(cli, ["pki", "init", str(directory)])
    assert again.exit_code == 2  # a usage error (ConfigurationError): --force is needed
    assert "already holds" in again.output

    token = tmp_path / "token.xml"
    built = runner.invoke(cli, ["vihf", "build", "--pki", str(directory), "-o", str(token)])
    assert built.exit_code == 0, built.output
    shown = runner.invoke(cli, ["vihf", "show", str(token), "--trust", str(directory / "trust-bundle.pem"), "--json"])
    assert shown.exit_code == 0, shown.output
    report = json.loads(shown.output)
    assert report["ok"] is True
    assert report["vihf"]["name_id"] == "899900063480"
    assert report["verification"]["ok"] is True
    human = runner.invoke(cli, ["vihf", "show", str(token)])
    assert human.exit_code == 0
    assert "profession" in human.output
    assert "valid" in human.output
    listing = runner.invoke(cli, ["pki", "show", str(directory)])
    assert listing.exit_code == 0
    assert "ej-auth" in listing.output


def test_vihf_show_tampered_token_exits_1(runner: CliRunner, pki: TestPki, tmp_path: Path) -> None:
    token = build_vihf(pki.acting_context(), INS.parse("277076322082910"), signer=pki.signer("prof-sign"))
    path = tmp_path / "t.xml"
    path.write_bytes(token.to_bytes().replace(b">499900063480001<", b">499900063480002<"))
    result = runner.invoke(cli, ["vihf", "show", str(path), "--json"])
    assert result.exit_code == 1
    checks = {c["name"]: c["ok"] for c in json.loads(result.output)["verification"]["checks"]}
    assert checks["digest"] is False


@pytest.mark.shared
def test_vihf_show_official_examples(runner: CliRunner, official_examples: Path) -> None:
    unsigned = runner.invoke(
        cli, ["vihf", "show", str(official_examples / "vihf-directe-non-signe.xml"), "--no-verify"]
    )
    assert unsigned.exit_code == 0
    assert "DIRECTE" in unsigned.output
    signed = runner.invoke(
        cli,
        [
            "vihf",
            "show",
            str(official_examples / "vihf-indirecte-signe.xml"),
            "--at",
            "issue",
            "--allow-sha1",
            "--json",
        ],
    )
    assert signed.exit_code == 1  # edited after signing: digest mismatch
    checks = {c["name"]: c["ok"] for c in json.loads(signed.output)["verification"]["checks"]}
    assert checks["signature-value"] is True
    assert checks["digest"] is False
    envelope = runner.invoke(
        cli, ["vihf", "show", str(official_examples / "td0.2-test-existence.request.xml"), "--no-verify", "--json"]
    )
    assert envelope.exit_code == 0
    assert json.loads(envelope.output)["vihf"]["identifiant_structure"] == "499900063480001"


@pytest.mark.shared
def test_xades_verify_official_example(runner: CliRunner, official_examples: Path) -> None:
    args = [
        "xades",
        "verify",
        str(official_examples / "td2.1-signature-xades.xml"),
        "--document",
        f"{OFFICIAL_CDA_UID}={official_examples / 'td2.1-document-me2.cda.xml'}",
        "--allow-sha1",
        "--json",
    ]
    result = runner.invoke(cli, args)
    assert result.exit_code == 1
    report = json.loads(result.output)
    assert [r["status"] for r in report["signed_info_references"]] == ["ok", "ok"]
    assert [r["status"] for r in report["manifest_references"]] == ["placeholder", "mismatch"]
    human = runner.invoke(cli, args[:-1])
    assert "placeholder" in human.output
    assert "mismatch" in human.output


def test_xades_sign_then_verify(runner: CliRunner, pki: TestPki, tmp_path: Path) -> None:
    doc = tmp_path / "cda.xml"
    doc.write_bytes(b"<ClinicalDocument xmlns='urn:hl7-org:v3'><title>t</title></ClinicalDocument>")
    out = tmp_path / "sig.xml"
    signed = runner.invoke(
        cli,
        [
            "xades",
            "sign",
            "--pki",
            str(pki.directory),
            "--submission-set",
            "1.2.3.1",
            "--signature-id",
            "1.2.3.3",
            "--document",
            f"1.2.3.2={doc}",
            "-o",
            str(out),
        ],
    )
    assert signed.exit_code == 0, signed.output
    ok = runner.invoke(
        cli, ["xades", "verify", str(out), "--document", f"urn:oid:1.2.3.2={doc}", "--submission-set", "1.2.3.1"]
    )
    assert ok.exit_code == 0, ok.output
    bad = runner.invoke(cli, ["xades", "verify", str(out), "--document", "1.2.3.2"])
    assert bad.exit_code == 2

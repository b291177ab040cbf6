"""The transaction commands (``dmpclient exists/authorize/…/delete``) over the fake DMP."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from click.testing import CliRunner, Result

from dmpclient.cda import make_sample_pdf
from dmpclient.cli import cli
from dmpclient.cli import transactions as commands
from dmpclient.client.settings import ClientSettings
from dmpclient.security.pki import TestPki
from dmpclient.xds.model import AvailabilityStatus

from .fake_dmp import FakeDMP
from .support import write_config

INS_TEXT = "279035121518989"


@pytest.fixture
def setup(
    pki: TestPki, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fake: FakeDMP
) -> Iterator[tuple[Callable[..., Result], list[httpx.Request]]]:
    config = write_config(pki, tmp_path)
    monkeypatch.setenv("TEST_TLS_PASSWORD", pki.password)
    monkeypatch.setenv("TEST_SIGNER_PASSWORD", pki.password)
    monkeypatch.setenv("TEST_HOMOLOGATION", "ABC-123456-tmp1")
    seen: list[httpx.Request] = []
    failures: list[Exception] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        if failures:
            raise failures.pop(0)
        return fake.sync_handler(request)

    real = commands.create_client

    def create(settings: ClientSettings, **overrides: Any) -> Any:
        return real(settings, transport=httpx.MockTransport(handler), **overrides)

    monkeypatch.setattr(commands, "create_client", create)
    runner = CliRunner()

    def run(*args: str, fail_with: tuple[Exception, ...] = ()) -> Result:
        failures.extend(fail_with)
        return runner.invoke(cli, [*args, "--config", str(config)], catch_exceptions=False)

    return run, seen


def _json(result: Result) -> Any:
    return json.loads(result.stdout)


def test_exists(setup: tuple[Callable[..., Result], list[httpx.Request]]) -> None:
    run, seen = setup
    result = run("exists", INS_TEXT)
    assert result.exit_code == 0, result.output
    assert "open" in result.stdout
    assert "VALIDE" in result.stdout
    data = _json(run("exists", INS_TEXT, "--json"))
    assert data["ok"]
    assert data["exists"]
    assert data["can_consult"]
    assert len(seen) == 2


def test_exit_codes(setup: tuple[Callable[..., Result], list[httpx.Request]]) -> None:
    run, seen = setup
    refused = run("exists", f"{INS_TEXT}^^^&1.2.250.1.213.1.4.9&ISO^NH", "--json")
    assert refused.exit_code == 1
    assert _json(refused)["details"]["rule"] == "CNDA 0.2-080"
    network = run("exists", INS_TEXT, fail_with=tuple(httpx.ConnectError("refused") for _ in range(4)))
    assert network.exit_code == 3
    assert len(seen) == 4  # [retries] max_attempts = 4 in the configuration
    assert "cannot connect" in network.output
    usage = run("patients")
    assert usage.exit_code == 2


def test_authorize_asks_for_consent(setup: tuple[Callable[..., Result], list[httpx.Request]], fake: FakeDMP) -> None:
    run, seen = setup
    assert run("authorize", INS_TEXT).exit_code == 2  # no terminal, no --yes: nothing sent
    assert seen == []
    ok = run("authorize", INS_TEXT, "--yes", "--mt", "--json")
    assert ok.exit_code == 0
    assert _json(ok)["status"] == "DMPOk"
    assert b"MEDECIN_TRAITANT" in seen[-1].content
    assert run("authorize", INS_TEXT, "--remove").exit_code == 0
    assert fake.seen == ["TD0.3", "TD0.3"]


def test_patients_and_authorizations(setup: tuple[Callable[..., Result], list[httpx.Request]]) -> None:
    run, seen = setup
    listed = run("patients", "--since", "2025-01-01", "--by", "lastdoc", "--json")
    assert listed.exit_code == 0
    assert _json(listed)["count"] == 1
    assert b"LASTDOC" in seen[-1].content
    assert b"20250101" in seen[-1].content
    table = run("authorizations", INS_TEXT, "--mode", "active")
    assert table.exit_code == 0
    assert "LIBRE" in table.stdout
    assert b"<ns0:mode>ACTIVE</ns0:mode>" in seen[-1].content or b">ACTIVE<" in seen[-1].content


def test_submit_a_pdf_find_get_and_update(
    setup: tuple[Callable[..., Result], list[httpx.Request]], fake: FakeDMP, tmp_path: Path
) -> None:
    run, seen = setup
    pdf = tmp_path / "scan.pdf"
    pdf.write_bytes(make_sample_pdf())
    missing = run("submit", INS_TEXT, str(pdf))
    assert missing.exit_code == 2
    assert "--type" in missing.output
    traits = ["--family", "PAT-TROIS", "--given", "DOMINIQUE MARIE-LOUISE", "--birth-date", "1979-03-28", "--sex", "F"]
    sent = run("submit", INS_TEXT, str(pdf), "--type", "11488-4", "--title", "CR de consultation", *traits, "--json")
    assert sent.exit_code == 0, sent.output
    uid = _json(sent)["document_unique_ids"][0]
    stored = next(s for s in fake.documents if s.entry.unique_id == uid)
    assert stored.entry.title == "CR de consultation"

    found = run("find", INS_TEXT, "--json")  # a CLI search is a user action: not blocked after the feed
    assert found.exit_code == 0, found.output
    assert uid in [d["unique_id"] for d in _json(found)["documents"]]
    table = run("find", INS_TEXT, "--type", "11488-4", "--from", "2024-01-01", "--status", "archived")
    assert table.exit_code == 0
    assert "0 document(s)" in table.stdout
    query = seen[-1].content
    assert b"11488-4^^2.16.840.1.113883.6.1" in query
    assert b"StatusType:Archived" in query
    assert b"$XDSDocumentEntryServiceStartTimeFrom" in query

    target = tmp_path / "got.xml"
    got = run("get", INS_TEXT, uid, "-o", str(target), "--json")
    assert got.exit_code == 0
    assert _json(got)["sha1"] == stored.entry.hash
    assert isinstance(stored.content, Path)
    assert target.read_bytes() == stored.content.read_bytes()

    assert run("hide", INS_TEXT, uid).exit_code == 2  # confirmation needed (EX_3.3-1030)
    for command in ("hide", "unhide", "archive", "unarchive"):
        assert run(command, INS_TEXT, uid, "--yes").exit_code == 0, command
    assert run("delete", INS_TEXT, uid, "--yes", "--json").exit_code == 0
    current = [s for s in fake.documents if s.entry.unique_id == uid][-1]
    assert current.entry.availability_status == AvailabilityStatus.DELETED


def test_submit_a_cda_file_with_evidence(
    setup: tuple[Callable[..., Result], list[httpx.Request]], tmp_path: Path
) -> None:
    from .support import new_cda

    run, _seen = setup
    doc = new_cda()
    path = tmp_path / "doc.cda.xml"
    path.write_bytes(doc.read_bytes())
    evidence = tmp_path / "evidence"
    result = run("submit", INS_TEXT, str(path), "--evidence", str(evidence), "-v")
    assert result.exit_code == 0, result.output
    assert doc.unique_id in result.stdout
    assert [p.name for p in evidence.iterdir()] == ["001-TD2.1-ok"]
    assert "TD2.1 attempt 1" in result.stderr


def test_env_switch(setup: tuple[Callable[..., Result], list[httpx.Request]]) -> None:
    run, seen = setup
    assert run("exists", INS_TEXT, "--env", "dv1").exit_code == 0
    assert seen[-1].url.host == "lps.dev1.dmp.gouv.fr"


def test_help_has_examples() -> None:
    runner = CliRunner()
    for name in ("exists", "authorize", "patients", "authorizations", "submit", "find", "get", "hide", "delete"):
        out = runner.invoke(cli, [name, "--help"]).output
        for needed in ("Examples:", "--env", "--json", "--config", "--evidence"):
            assert needed in out, (name, needed)

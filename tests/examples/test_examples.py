"""Every example under ``examples/`` runs as a script (a fresh interpreter, an in-process sandbox, no network)
and says what it should; the pytest example passes under ``-p dmpclient.testing.plugin``."""

from __future__ import annotations

import csv
import importlib.util
import itertools
import os
import re
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

from dmpclient.cda import extract_payload, make_sample_pdf
from dmpclient.testing import PKI_ENV, cached_test_pki

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"
SCRIPTS = ("feed_pdf", "search_and_retrieve", "replace_document", "visibility_changes", "bulk_backfeed")


def run(script: str, *args: str, cwd: Path, stdin: str | None = "") -> subprocess.CompletedProcess[str]:
    """Run an example in a fresh interpreter; the test PKI of this session is shared (it takes seconds)."""
    env = {**os.environ, PKI_ENV: str(cached_test_pki().directory), "NO_COLOR": "1"}
    env.pop("DMPCLIENT_CONFIG", None)
    return subprocess.run(
        [sys.executable, str(EXAMPLES / f"{script}.py"), *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=env,
        input=stdin,
        timeout=300,
    )


def load(script: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(f"example_{script}", EXAMPLES / f"{script}.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("script", SCRIPTS)
def test_every_example_has_a_docstring_saying_how_to_run_it(script: str) -> None:
    module = load(script)
    assert module.__doc__ is not None
    assert f"python examples/{script}.py" in module.__doc__
    assert "--env" in module.__doc__
    assert "--config" in module.__doc__
    done = run(script, "--help", cwd=ROOT)
    assert done.returncode == 0
    assert "--env" in done.stdout
    assert "--config" in done.stdout


def test_feed_pdf(tmp_path: Path) -> None:
    pdf = tmp_path / "report.pdf"
    pdf.write_bytes(make_sample_pdf(["COMPTE RENDU", "TEST"]))
    kept = tmp_path / "kept.cda.xml"
    done = run("feed_pdf", str(pdf), "--title", "CR opératoire", "--keep", str(kept), cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "exists=True closed=False authorization=VALIDE" in done.stdout
    unique_id = re.search(r"TD2.1 submitted 1 document: (\S+)", done.stdout)
    assert unique_id is not None
    assert f"uniqueId {unique_id.group(1)}" in done.stdout
    assert "TD3.1b the DMP has it: found=True" in done.stdout
    assert extract_payload(kept).data == pdf.read_bytes()  # the PDF went in as the N1 body


def test_feed_pdf_refuses_a_patient_without_dmp(tmp_path: Path) -> None:
    done = run("feed_pdf", "--ins", "153078987658513", cwd=tmp_path)
    assert done.returncode == 1
    assert "exists=False" in done.stdout
    assert "no open DMP" in done.stderr
    assert "TD2.1" not in done.stdout


def test_search_and_retrieve(tmp_path: Path) -> None:
    done = run("search_and_retrieve", "--out", "out", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    found = re.search(r"TD3.1 found (\d+) document", done.stdout)
    assert found is not None
    assert int(found.group(1)) >= 21  # the official TD3.1 answer's entries, and more
    retrieved = re.search(r"TD3.2 retrieved (\S+): (\d+) bytes", done.stdout)
    assert retrieved is not None
    unique_id = retrieved.group(1)
    cda = tmp_path / "out" / f"{unique_id}.cda.xml"
    assert cda.stat().st_size == int(retrieved.group(2))
    pdf = tmp_path / "out" / f"{unique_id}.pdf"
    assert pdf.read_bytes().startswith(b"%PDF")
    assert pdf.read_bytes() == extract_payload(cda).data


def test_search_and_retrieve_with_criteria(tmp_path: Path) -> None:
    done = run("search_and_retrieve", "--type-code", "11490-0", "--since", "2024-01-01", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    rows = [line for line in done.stdout.splitlines() if re.match(r"\d{4}-\d\d-\d\d \d\d:\d\d ", line)]
    assert rows
    assert all(row.split()[2] == "11490-0" and row >= "2024-01-01" for row in rows)
    bad = run("search_and_retrieve", "--type-code", "NOPE", cwd=tmp_path)
    assert bad.returncode != 0
    assert "not a DMP document type" in bad.stderr


def test_replace_document(tmp_path: Path) -> None:
    done = run("replace_document", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    first = re.search(r"version 1 fed: (\S+) \(setId (\S+)\)", done.stdout)
    second = re.search(r"CDA version 2: uniqueId (\S+), setId (\S+)", done.stdout)
    assert first is not None
    assert second is not None
    assert first.group(2) == second.group(2)  # same setId
    assert "refused before sending [dmp.confidentiality.invisibleAdded]" in done.stdout
    assert f"TD3.1 {first.group(1)}: Deprecated" in done.stdout
    assert f"TD3.1 {second.group(1)}: Approved" in done.stdout


def test_visibility_changes_with_confirmation(tmp_path: Path) -> None:
    done = run("visibility_changes", "--yes", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    lines = [line for line in done.stdout.splitlines() if line.startswith(("now:", "TD3.3"))]
    assert lines == [
        "now: N, INVISIBLE_PATIENT",
        "TD3.3b visible to the patient: N",
        "TD3.3a hidden from professionals: N, MASQUE_PS",
        "TD3.3a shown to professionals again: N",
    ]
    assert "refused before sending [dmp.confidentiality.invisibleAdded]" in done.stdout
    assert "DMP: refused too — XDSRegistryMetadataError" in done.stdout


def test_visibility_changes_stops_without_confirmation(tmp_path: Path) -> None:
    done = run("visibility_changes", cwd=tmp_path, stdin="")
    assert done.returncode == 0, done.stderr
    assert "no answer (not a terminal; use --yes)" in done.stdout
    assert "TD3.3" not in done.stdout  # nothing irreversible, nothing changed


def test_bulk_backfeed_demo_retries_through_the_outage(tmp_path: Path) -> None:
    done = run("bulk_backfeed", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "fed 8, rejected 1, pending 0, retries 3" in done.stdout
    assert "rejected conteste-2019.pdf: no DMP" in done.stdout
    assert done.stdout.count("retry    ") == 3
    assert "TD3.1b check: not stored" in done.stdout
    assert "DMP_SERVER_ERROR" in done.stdout
    fed = re.findall(r"^fed      (\S+) -> (\S+)$", done.stdout, re.MULTILINE)
    assert len({unique_id for _, unique_id in fed}) == 8


def _history(folder: Path) -> None:
    folder.mkdir()
    rows = []
    for index in range(3):
        name = f"doc-{index}.pdf"
        (folder / name).write_bytes(make_sample_pdf([f"DOCUMENT {index}"]))
        rows.append(
            {
                "file": name,
                "ins": "277076322082910",
                "family": "NESSI",
                "given": "RUTH ISABELLE",
                "sex": "F",
                "birth_date": "1977-07-14",
                "title": f"Document {index}",
                "type_code": "11488-4",
                "date": f"201{index}-01-15",
            }
        )
    with (folder / "manifest.csv").open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)


def test_bulk_backfeed_of_a_folder_keeps_a_journal_and_skips_what_was_fed(tmp_path: Path) -> None:
    folder = tmp_path / "history"
    _history(folder)
    first = run("bulk_backfeed", str(folder), "--no-outage", cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    assert "fed 3, rejected 0, pending 0, retries 0" in first.stdout
    journal = (folder / "backfeed-journal.jsonl").read_text(encoding="utf-8").splitlines()
    assert len(journal) == 3
    assert all('"status": "fed"' in line for line in journal)
    second = run("bulk_backfeed", str(folder), "--no-outage", cwd=tmp_path)
    assert second.returncode == 0, second.stderr
    assert "skipped 3 file(s) already fed" in second.stdout
    assert "fed 0, rejected 0, pending 0" in second.stdout


def test_bulk_backfeed_refuses_a_rate_of_five_per_second(tmp_path: Path) -> None:
    done = run("bulk_backfeed", "--rate", "5", cwd=tmp_path)
    assert done.returncode == 2
    assert "below 5" in done.stderr


def test_the_rate_limiter_spaces_the_starts() -> None:
    limiter_class = load("bulk_backfeed").RateLimiter
    now = [100.0]
    slept: list[float] = []

    def sleep(seconds: float) -> None:
        slept.append(round(seconds, 6))
        now[0] += seconds

    limiter = limiter_class(4.0, clock=lambda: now[0], sleep=sleep)
    starts = []
    for _ in range(5):
        limiter.wait()
        starts.append(now[0])
    assert [round(b - a, 6) for a, b in itertools.pairwise(starts)] == [0.25] * 4
    now[0] += 10  # an idle pause: no waiting after it
    limiter.wait()
    assert slept == [0.25] * 4
    for rate in (0, 5, 6.5):
        with pytest.raises(ValueError, match="below 5"):
            limiter_class(rate)


def test_the_pytest_example_passes_under_the_plugin() -> None:
    env = {**os.environ, PKI_ENV: str(cached_test_pki().directory)}
    command = [sys.executable, "-m", "pytest", "examples/test_with_plugin.py", "-p", "dmpclient.testing.plugin"]
    done = subprocess.run(
        [*command, "-p", "no:cacheprovider", "-q"], capture_output=True, text=True, cwd=ROOT, env=env, timeout=300
    )
    assert done.returncode == 0, done.stdout + done.stderr
    passed = re.search(r"(\d+) passed", done.stdout)
    assert passed is not None
    assert int(passed.group(1)) >= 9  # the SoftHSM2 test may skip locally when SoftHSM2 is missing
    assert "failed" not in done.stdout


def test_an_example_runs_against_a_configured_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The --config branch: a dmpclient.toml describing TLS, signer and context, against a sandbox over real
    mutual TLS standing in for DV1 (passwords from environment variables, never from the file)."""
    from dmpclient.testing import local_dmp

    pki = cached_test_pki()
    ids = pki.identities
    config = tmp_path / "dmpclient.toml"
    with local_dmp(mode="mtls", pki=pki) as dmp:
        config.write_text(
            f"""
environment = "sandbox"
[urls]
soap_base = "{dmp.url}"
[tls]
pkcs12 = "{pki.path(pki.entry("prof-auth").p12 or "")}"
password_env = "TEST_P12_PASSWORD"
[trust]
anchors = ["{pki.path("ca/root.cert.pem")}"]
intermediates = ["{pki.path("ca/organisations.cert.pem")}", "{pki.path("ca/personnes.cert.pem")}"]
[signer]
kind = "pkcs12"
pkcs12 = "{pki.path(pki.entry("prof-sign").p12 or "")}"
password_env = "TEST_P12_PASSWORD"
[software]
name = "{ids.software_name}"
version = "{ids.software_version}"
homologation_number_env = "TEST_HOMOLOGATION"
oid_root = "{ids.software_oid_root}"
[professional]
id = "{ids.professional_id}"
family_name = "{ids.professional_family}"
given_name = "{ids.professional_given}"
specialty = "{ids.specialty}"
[structure]
id = "{ids.cabinet_id}"
name = "{ids.cabinet_name}"
""",
            encoding="utf-8",
        )
        monkeypatch.setenv("TEST_P12_PASSWORD", pki.password)
        monkeypatch.setenv("TEST_HOMOLOGATION", ids.homologation_number)
        done = run(
            "feed_pdf",
            *("--config", str(config), "--ins", "279035121518989", "--family", "PAT-TROIS"),
            *("--given", "DOMINIQUE MARIE-LOUISE", "--sex", "F", "--birth-date", "1979-03-28"),
            cwd=tmp_path,
        )
        assert done.returncode == 0, done.stdout + done.stderr
        assert f"environment sandbox at {dmp.url}" in done.stdout
        unique_id = re.search(r"TD2.1 submitted 1 document: (\S+)", done.stdout)
        assert unique_id is not None
        stored = {d["unique_id"] for d in dmp.admin.list_documents("279035121518989")}
        assert unique_id.group(1) in stored  # it went over mTLS into this sandbox

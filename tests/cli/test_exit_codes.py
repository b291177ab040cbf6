"""Every command exits with the documented codes: each reachable code provoked for each command.

0 ok · 1 validation error or refusal (client guard or DMP) · 2 usage (click, unreadable input, configuration) ·
3 transport · 4 internal error. With ``--json`` an error is ``{"ok": false, "error", "exit_code", "details"}`` on
stdout and nothing on stderr; without, the message is on stderr and stdout is empty.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from click.testing import CliRunner, Result

from dmpclient.cda import build_n1, make_sample_pdf
from dmpclient.cda.demo import demo_header
from dmpclient.cli import cli
from dmpclient.client import DMPClient
from dmpclient.security.pki import TestPki

from .conftest import BLOCH, NO_DMP, PAT_TROIS, PATB_QUATRE, CliDmp

SEEDED_UID = "1.2.250.1.999.1.1.9900.1.24"  # a visible document of PATB-QUATRE
TRAITS = ("--family", "PAT-TROIS", "--given", "DOMINIQUE MARIE-LOUISE", "--birth-date", "1979-03-28", "--sex", "F")
NIA_CX = "109076322088835^^^&1.2.250.1.213.1.4.9&ISO^NH"


def invoke(*args: str, input: bytes | str | None = None) -> Result:
    return CliRunner().invoke(cli, list(args), input=input, catch_exceptions=False)


def json_error(result: Result, code: int) -> dict[str, Any]:
    """The JSON error document of a failed ``--json`` run (checked against the convention)."""
    assert result.exit_code == code, result.output
    data: dict[str, Any] = json.loads(result.stdout)
    assert data["ok"] is False
    assert data["exit_code"] == code
    assert isinstance(data["error"], str)
    assert data["error"]
    assert isinstance(data["details"], dict)
    assert result.stderr == ""
    return data


def human_error(result: Result, code: int) -> str:
    """The stderr message of a failed run without ``--json`` (stdout empty)."""
    assert result.exit_code == code, result.output
    assert result.stdout == ""
    assert "error" in result.stderr
    return result.stderr


def boom(*args: Any, **kwargs: Any) -> Any:
    raise RuntimeError("boom")


# --------------------------------------------------------------------------- commands that talk to a DMP


def _pdf(folder: Path) -> Path:
    path = folder / "scan.pdf"
    path.write_bytes(make_sample_pdf())
    return path


def _cda(folder: Path) -> Path:
    path = folder / "doc.cda.xml"
    path.write_bytes(build_n1(demo_header(), make_sample_pdf()).read_bytes())
    return path


def _fed(dmp: CliDmp) -> str:
    """Authorise Dr LIBRE on PAT-TROIS and feed a document; its uniqueId."""
    assert dmp.run("authorize", PAT_TROIS, "--yes").exit_code == 0
    sent = dmp.run("submit", PAT_TROIS, str(_pdf(dmp.folder)), "--type", "11488-4", *TRAITS, "--json")
    assert sent.exit_code == 0, sent.output
    uid: str = json.loads(sent.stdout)["document_unique_ids"][0]
    return uid


Args = Callable[[CliDmp], list[str]]

#: The exceptions of a refusal: by a client guard (input rules) or by the DMP.
REFUSALS = {"NIARefused", "RuleViolation", "InputError", "ValidationFailed", "DMPError", "SoapFaultError",
            "RegistryError", "DMPStatusError", "HL7AcknowledgementError"}  # fmt: skip

#: command → (arguments of a successful run, arguments of a refusal (exit 1), DMPClient method, usage error args)
DMP_CASES: dict[str, tuple[Args, Args, str, list[str]]] = {
    "exists": (lambda d: [PATB_QUATRE], lambda d: [NIA_CX], "test_existence", []),
    "authorize": (lambda d: [PAT_TROIS, "--yes"], lambda d: [BLOCH, "--yes"], "authorize", [PAT_TROIS]),
    "patients": (lambda d: ["--since", "2000-01-01"], lambda d: ["--since", "2000-01-01"], "list_patients", []),
    "authorizations": (
        lambda d: [PATB_QUATRE],
        lambda d: [NO_DMP],
        "list_authorizations",
        [PATB_QUATRE, "--mode", "x"],
    ),
    "submit": (
        lambda d: [PAT_TROIS, str(_cda(d.folder))],
        lambda d: [PAT_TROIS, str(_pdf(d.folder)), "--type", "DOCPAT03", *TRAITS],
        "submit",
        [PAT_TROIS, "missing.pdf"],
    ),
    "find": (lambda d: [PATB_QUATRE], lambda d: [BLOCH], "find_documents", [PATB_QUATRE, "--from", "yesterday"]),
    "get": (
        lambda d: [PATB_QUATRE, SEEDED_UID, "-o", str(d.folder / "got.xml")],
        lambda d: [PATB_QUATRE, "1.2.3.4.5", "-o", str(d.folder / "none.xml")],
        "retrieve",
        [PATB_QUATRE],
    ),
    "hide": (
        lambda d: [PAT_TROIS, _fed(d), "--yes"],
        lambda d: [PATB_QUATRE, "1.2.3.4.5", "--yes"],
        "hide_from_professionals",
        [PATB_QUATRE, SEEDED_UID],
    ),
    "unhide": (
        lambda d: [PAT_TROIS, _fed(d), "--yes"],
        lambda d: [PATB_QUATRE, "1.2.3.4.5", "--yes"],
        "unhide_for_professionals",
        [PATB_QUATRE, SEEDED_UID],
    ),
    "archive": (
        lambda d: [PAT_TROIS, _fed(d), "--yes"],
        lambda d: [PATB_QUATRE, "1.2.3.4.5", "--yes"],
        "archive",
        [PATB_QUATRE, SEEDED_UID],
    ),
    "delete": (
        lambda d: [PAT_TROIS, _fed(d), "--yes"],
        lambda d: [PATB_QUATRE, "1.2.3.4.5", "--yes"],
        "delete",
        [PATB_QUATRE, SEEDED_UID],
    ),
}


def _unhide_ok(dmp: CliDmp) -> list[str]:
    uid = _fed(dmp)
    assert dmp.run("hide", PAT_TROIS, uid, "--yes").exit_code == 0
    return [PAT_TROIS, uid, "--yes"]


def _unarchive_ok(dmp: CliDmp) -> list[str]:
    uid = _fed(dmp)
    assert dmp.run("archive", PAT_TROIS, uid, "--yes").exit_code == 0
    return [PAT_TROIS, uid, "--yes"]


DMP_CASES["unhide"] = (_unhide_ok, *DMP_CASES["unhide"][1:])
DMP_CASES["unarchive"] = (
    _unarchive_ok,
    lambda d: [PATB_QUATRE, "1.2.3.4.5", "--yes"],
    "unarchive",
    [PATB_QUATRE, SEEDED_UID],
)


@pytest.mark.parametrize("command", sorted(DMP_CASES))
def test_dmp_command_exit_codes(command: str, dmp: CliDmp, monkeypatch: pytest.MonkeyPatch) -> None:
    ok_args, refused_args, method, usage_args = DMP_CASES[command]

    good = ok_args(dmp)
    ok = dmp.run(command, *good, "--json")
    assert ok.exit_code == 0, ok.output
    assert json.loads(ok.stdout)["ok"] is True

    bad = refused_args(dmp)
    if command == "patients":  # no business refusal to provoke: the DMP answers a SOAP fault
        dmp.sandbox.faults.add_http_error(500, transaction="TD0.4", count=2)
    refused = json_error(dmp.run(command, *bad, "--json"), 1)
    assert refused["details"]["type"] in REFUSALS, refused
    human_error(dmp.run(command, *bad), 1)

    usage = dmp.run(command, *usage_args)
    assert usage.exit_code == 2, usage.output
    json_error(dmp.run(command, *usage_args, "--json"), 2)
    absent = str(dmp.folder / "absent.toml")
    missing_config = dmp.run(command, *good, "--json", "--config", absent, config=False)
    assert json_error(missing_config, 2)["details"]["type"] == "ConfigurationError"

    dmp.fail_next(httpx.ConnectError("connection refused"))
    transport = json_error(dmp.run(command, *good, "--json"), 3)
    assert "connect" in transport["error"].lower()
    dmp.fail_next(httpx.ConnectError("connection refused"))
    human_error(dmp.run(command, *good), 3)

    monkeypatch.setattr(DMPClient, method, boom)
    internal = json_error(dmp.run(command, *good, "--json"), 4)
    assert internal["details"]["type"] == "RuntimeError"
    assert "internal error" in internal["error"]
    assert "Traceback" not in human_error(dmp.run(command, *good), 4)
    assert "Traceback" in dmp.run(command, *good, "-v").stderr


def test_a_secret_missing_from_the_environment_is_a_usage_error(dmp: CliDmp, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CLI_TEST_SIGNER_PASSWORD")
    result = json_error(dmp.run("exists", PATB_QUATRE, "--json"), 2)
    assert result["details"]["field"] == "CLI_TEST_SIGNER_PASSWORD"
    assert dmp.requests == []


# ------------------------------------------------------------------------------------- offline commands


@pytest.fixture
def files(tmp_path: Path, cli_pki: TestPki) -> dict[str, Path]:
    """Inputs of the offline commands: a CDA, a TOML description, a VIHF, a XAdES signature, garbage, a folder."""
    from dmpclient.ids import INS
    from dmpclient.security.vihf import build_vihf
    from dmpclient.security.xades import ManifestDocument, build_submission_signature

    cda = _cda(tmp_path)
    garbage = tmp_path / "garbage.xml"
    garbage.write_bytes(b"<not xml")
    description = tmp_path / "desc.toml"
    description.write_text(
        """type_code = "11488-4"
title = "Compte rendu"
[patient]
ins = "279035121518989^^^&1.2.250.1.213.1.4.10&ISO^NH"
birth_family_name = "PAT-TROIS"
birth_given_names = "DOMINIQUE MARIE-LOUISE"
sex = "F"
birth_date = "1979-03-28"
[author]
idnat = "899900063480"
family_name = "LIBRE"
given_name = "MAX"
profession = "10"
specialty = "SM26"
[structure]
idnat = "499900063480001"
name = "CABINET DR LIBRE"
secteur_activite = "SA07"
""",
        encoding="utf-8",
    )
    vihf = tmp_path / "vihf.xml"
    token = build_vihf(cli_pki.acting_context(), INS.parse(PAT_TROIS), signer=cli_pki.signer("prof-sign"))
    vihf.write_bytes(token.to_bytes())
    signature = tmp_path / "signature.xml"
    signature.write_bytes(
        build_submission_signature(
            submission_set_unique_id="1.2.3.1",
            documents=[ManifestDocument("1.2.3.2", cda)],
            signer=cli_pki.signer("prof-sign"),
            signature_unique_id="1.2.3.3",
        )
    )
    empty = tmp_path / "empty"
    empty.mkdir()
    pdf = _pdf(tmp_path)
    return {"cda": cda, "garbage": garbage, "description": description, "vihf": vihf, "signature": signature,
            "empty": empty, "pdf": pdf, "pki": cli_pki.directory, "dir": tmp_path}  # fmt: skip


F = dict[str, Path]
Case = Callable[[F], list[str]]

#: command path → {exit code: arguments}, and "4": the attribute to break ("module:attr") for an internal error.
OFFLINE: dict[str, dict[Any, Any]] = {
    "ins check": {0: lambda f: ["277076322082910"], 1: lambda f: ["277076322082911"],
                  2: lambda f: ["277076322082910", "--env", "staging"], 4: "dmpclient.ids:INS.parse"},
    "terminology list": {0: lambda f: [], 2: lambda f: ["extra"], 4: "dmpclient.cli.terminology:default_terminology"},
    "terminology show": {0: lambda f: ["J57"], 1: lambda f: ["NO-SUCH-TABLE"], 2: lambda f: [],
                         4: "dmpclient.cli.terminology:default_terminology"},
    "terminology lookup": {0: lambda f: ["11490-0"], 1: lambda f: ["NO-SUCH-CODE"], 2: lambda f: [],
                           4: "dmpclient.cli.terminology:default_terminology"},
    "terminology type-class": {0: lambda f: ["11490-0"], 1: lambda f: ["101881-1"], 2: lambda f: [],
                               4: "dmpclient.cli.terminology:class_code_for_type"},
    "terminology update": {0: lambda f: [str(f["empty"]), "--dest", str(f["dir"] / "terms")],
                           2: lambda f: [str(f["dir"] / "absent")], 4: "dmpclient.cli.terminology:update_terminology"},
    "cda build": {0: lambda f: [str(f["description"]), "--body", str(f["pdf"]), "-o", str(f["dir"] / "b.xml")],
                  1: lambda f: [str(f["garbage"]), "--body", str(f["pdf"])],
                  2: lambda f: [str(f["description"])],
                  4: "dmpclient.cda:build_n1_to_file"},
    "cda render": {0: lambda f: [str(f["cda"]), "-o", str(f["dir"] / "r.html")], 1: lambda f: [str(f["garbage"])],
                   2: lambda f: [str(f["dir"] / "absent.xml")], 4: "dmpclient.cda:render_html"},
    "cda validate": {0: lambda f: [str(f["cda"])], 1: lambda f: [str(f["garbage"])],
                     2: lambda f: [str(f["dir"] / "absent.xml")], 4: "dmpclient.cda.validation:validate_cda_report"},
    "pki show": {0: lambda f: [str(f["pki"])], 2: lambda f: [str(f["empty"])],
                 4: "dmpclient.security.pki:TestPki.load"},
    "pki init": {2: lambda f: [str(f["pki"])], 4: "dmpclient.security.pki:create_test_pki"},
    "vihf show": {0: lambda f: [str(f["vihf"]), "--pki", str(f["pki"])], 1: lambda f: [str(f["signature"])],
                  2: lambda f: [str(f["vihf"]), "--at", "yesterday"], 4: "dmpclient.security.vihf:parse_vihf"},
    "vihf build": {0: lambda f: ["--pki", str(f["pki"]), "-o", str(f["dir"] / "t.xml")],
                   2: lambda f: ["--pki", str(f["dir"] / "absent")], 4: "dmpclient.security.vihf:build_vihf"},
    "xades verify": {0: lambda f: [str(f["signature"]), "--document", f"1.2.3.2={f['cda']}", "--pki", str(f["pki"])],
                     1: lambda f: [str(f["signature"]), "--document", f"1.2.3.2={f['pdf']}"],
                     2: lambda f: [str(f["signature"]), "--document", "1.2.3.2"],
                     4: "dmpclient.security.xades:verify_submission_signature"},
    "xades sign": {0: lambda f: ["--pki", str(f["pki"]), "--submission-set", "1.2.3.1", "--signature-id", "1.2.3.3",
                                 "--document", f"1.2.3.2={f['cda']}", "-o", str(f["dir"] / "s.xml")],
                   2: lambda f: ["--pki", str(f["pki"])], 4: "dmpclient.security.xades:build_submission_signature"},
    "inspect": {1: lambda f: [str(f["vihf"])], 2: lambda f: [str(f["dir"] / "absent")],
                4: "dmpclient.inspection:inspect_capture"},
    "sandbox pki": {2: lambda f: [str(f["pki"])], 4: "dmpclient.security.pki:create_test_pki"},
    "sandbox serve": {2: lambda f: ["--pki", str(f["pki"]), "--frozen"], 4: "dmpclient.sandbox.server:serve"},
}  # fmt: skip
OFFLINE["xds parse"] = {
    0: lambda f: [str(_xds_message(f["dir"]))],
    1: lambda f: [str(f["garbage"])],
    2: lambda f: [str(f["dir"] / "absent.xml")],
    4: "dmpclient.cli.xds:parse_message",
}
OFFLINE["xds validate"] = {
    0: lambda f: [str(_xds_message(f["dir"]))],
    1: lambda f: [str(f["garbage"])],
    2: lambda f: [str(f["dir"] / "absent.xml")],
    4: "dmpclient.cli.xds_validate:validate",
}


def _xds_message(folder: Path) -> Path:
    """A valid TD2.1 ProvideAndRegisterDocumentSetRequest body (the XDS tests' factory)."""
    from dmpclient import _xml

    from ..xds.validation_factories import feed_xml

    path = folder / "feed.xml"
    path.write_bytes(_xml.to_bytes(feed_xml()))
    return path


def _break(monkeypatch: pytest.MonkeyPatch, target: str) -> None:
    module_name, _, attr = target.partition(":")
    module = __import__(module_name, fromlist=["_"])
    owner: Any = module
    *path, last = attr.split(".")
    for name in path:
        owner = getattr(owner, name)
    monkeypatch.setattr(owner, last, boom)


@pytest.mark.parametrize("command", sorted(OFFLINE))
def test_offline_command_exit_codes(command: str, files: F, monkeypatch: pytest.MonkeyPatch) -> None:
    cases = OFFLINE[command]
    words = command.split()
    for code in (0, 1, 2):
        if code not in cases:
            continue
        args = cases[code](files)
        result = invoke(*words, *args, "--json")
        if code == 0:
            assert result.exit_code == 0, result.output
            assert json.loads(result.stdout)["ok"] is True
        else:
            assert result.exit_code == code, (code, result.output)
            assert json.loads(result.stdout)["ok"] is False
            plain = invoke(*words, *args)
            assert plain.exit_code == code
    _break(monkeypatch, cases[4])
    if command in ("pki init", "sandbox pki"):
        args = [str(files["dir"] / "new-pki")]
    elif command == "sandbox serve":
        args = ["--pki", str(files["pki"])]
    else:
        args = cases[min(code for code in cases if isinstance(code, int) and code != 4)](files)
    data = json_error(invoke(*words, *args, "--json"), 4)
    assert data["details"]["type"] == "RuntimeError"

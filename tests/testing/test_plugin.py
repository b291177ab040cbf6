"""The pytest plugin, exercised the way a vendor uses it: generated test files run by pytester under
``-p dmpclient.testing.plugin``."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.testing.test_quick_is_short import PLUGIN_FIXTURES

PLUGIN = ("-p", "dmpclient.testing.plugin")
#: Unrelated plugins installed with the dev extras cost seconds per inner session; the plugin needs none.
QUIET = ("-p", "no:cacheprovider", "-p", "no:hypothesispytest", "-p", "no:benchmark", "-p", "no:pytest_cov")
QUICK = Path(__file__).with_name("test_plugin_quick.py")

EVERY_FIXTURE = """
import pytest

from dmpclient.client import AsyncDMPClient, DMPClient
from dmpclient.context import ActingContext, Professional, Structure
from dmpclient.ids import INS
from dmpclient.security import TestPki
from dmpclient.testing import LocalDmp
from dmpclient.transactions import DocumentToSubmit

SEEN = {}


@pytest.fixture
def anyio_backend():
    return "asyncio"  # anyio's documented way to pick one backend (else: every installed one)


def test_pki_is_one_per_session_first(test_pki):
    assert isinstance(test_pki, TestPki)
    SEEN["pki"] = test_pki


def test_pki_is_one_per_session_second(test_pki):
    assert test_pki is SEEN["pki"]


def test_dmp_sandbox_is_fresh_first(dmp_sandbox):
    assert isinstance(dmp_sandbox, LocalDmp) and dmp_sandbox.mode == "inprocess"
    dmp_sandbox.admin.set_patient_state(dmp_sandbox.patients.with_documents, dmp_state="closed")
    SEEN["sandbox"] = dmp_sandbox.sandbox


def test_dmp_sandbox_is_fresh_second(dmp_sandbox):
    assert dmp_sandbox.sandbox is not SEEN["sandbox"]
    assert dmp_sandbox.client.test_existence(dmp_sandbox.patients.with_documents).closed is False


def test_dmp_sandbox_server_is_reset_first(dmp_sandbox_server):
    assert dmp_sandbox_server.mode == "mtls" and dmp_sandbox_server.url.startswith("https://127.0.0.1:")
    dmp_sandbox_server.admin.set_patient_state(dmp_sandbox_server.patients.with_documents, dmp_state="closed")
    dmp_sandbox_server.sandbox.faults.add_drop(transaction="TD0.2", count=10)
    SEEN["server"] = (dmp_sandbox_server.sandbox, dmp_sandbox_server.url)


def test_dmp_sandbox_server_is_reset_second(dmp_sandbox_server):
    assert (dmp_sandbox_server.sandbox, dmp_sandbox_server.url) == SEEN["server"]  # one server per session
    assert dmp_sandbox_server.client.test_existence(dmp_sandbox_server.patients.with_documents).closed is False


def test_dmp_is_the_in_process_sandbox_by_default(dmp, dmp_sandbox, dmp_client):
    assert dmp is dmp_sandbox
    assert isinstance(dmp_client, DMPClient) and dmp_client is dmp.client


@pytest.mark.dmp_mode("mtls")
def test_the_mode_marker_selects_the_server(dmp, dmp_client):
    assert dmp.mode == "mtls"
    assert dmp_client.test_existence(dmp.patients.no_dmp).exists is False


@pytest.mark.dmp_context("INDIRECTE")
def test_the_context_marker_sets_the_client_mode(dmp_client):
    assert dmp_client.context.authentication_mode == "INDIRECTE"
    assert dmp_client.test_existence(INS.parse("207058575627097")).authorization == "VALIDE"


@pytest.mark.dmp_patients("empty")
def test_the_patients_marker_empties_the_store(dmp):
    assert dmp.admin.list_patients() == []


@pytest.mark.anyio
async def test_async_dmp_client(async_dmp_client, dmp):
    assert isinstance(async_dmp_client, AsyncDMPClient)
    assert async_dmp_client is not dmp.client
    status = await async_dmp_client.test_existence(dmp.patients.closed)
    assert status.closed


def test_make_patient_and_make_document(dmp_client, make_patient, make_document):
    patient = make_patient(family="MARTIN", sex="M")
    assert isinstance(patient, INS) and patient.sex_digit == "1"
    document = make_document(patient, title="Bilan", confidentiality=["MASQUE_PS"])
    assert isinstance(document, DocumentToSubmit)
    assert document.metadata().title == "Bilan"
    assert dmp_client.submit(patient, document).document_unique_ids == (document.source.unique_id,)


def test_make_context_professional_structure(make_context, make_professional, make_structure, dmp):
    doctor = make_professional(family="NOUVEAU")
    assert isinstance(doctor, Professional)
    assert isinstance(make_structure(kind="etablissement"), Structure)
    context = make_context("INDIRECTE", professional=doctor)
    assert isinstance(context, ActingContext)
    client = dmp.new_client(context=context)
    assert client.test_existence(dmp.patients.with_documents).exists
"""


def _run(pytester: pytest.Pytester, *args: str) -> pytest.RunResult:
    # The plugin module is already imported by this process: pytest cannot assert-rewrite it again.
    return pytester.runpytest(*PLUGIN, *QUIET, "-W", "ignore::pytest.PytestAssertRewriteWarning", *args)


def test_generated_tests_using_every_fixture_pass(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_vendor=EVERY_FIXTURE)
    result = _run(pytester, "--strict-markers")
    result.assert_outcomes(passed=13)


def test_every_fixture_is_listed(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_empty="def test_nothing():\n    pass\n")
    result = _run(pytester, "--fixtures")
    listed = {line.split()[0] for line in result.outlines if line and not line.startswith((" ", "-", "="))}
    assert listed >= PLUGIN_FIXTURES
    assert "_dmp_session_server" not in listed  # private: shown only with -v


def test_the_vendor_quick_test_passes_in_both_modes(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_quick=QUICK.read_text(encoding="utf-8"))
    _run(pytester).assert_outcomes(passed=1)
    result = _run(pytester, "--dmp-mode", "mtls")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(["dmpclient: sandbox mode mtls (--dmp-mode)"])


@pytest.mark.parametrize(("ini", "expected"), [("", "inprocess"), ("dmp_mode = mtls", "mtls")])
def test_the_mode_comes_from_the_ini_file(pytester: pytest.Pytester, ini: str, expected: str) -> None:
    pytester.makeini(f"[pytest]\n{ini}\n")
    pytester.makepyfile(f"def test_mode(dmp):\n    assert dmp.mode == {expected!r}\n")
    _run(pytester).assert_outcomes(passed=1)


def test_the_command_line_wins_over_the_ini_and_the_marker_over_both(pytester: pytest.Pytester) -> None:
    pytester.makeini("[pytest]\ndmp_mode = mtls\n")
    pytester.makepyfile(
        "import pytest\n"
        "def test_option(dmp):\n    assert dmp.mode == 'inprocess'\n"
        "@pytest.mark.dmp_mode('mtls')\n"
        "def test_marker(dmp):\n    assert dmp.mode == 'mtls'\n"
    )
    _run(pytester, "--dmp-mode", "inprocess").assert_outcomes(passed=2)


def test_a_bad_mode_is_a_usage_error(pytester: pytest.Pytester) -> None:
    pytester.makepyfile("def test_x(dmp):\n    pass\n")
    result = _run(pytester, "--dmp-mode", "tcp")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*--dmp-mode*invalid choice*"])


def test_a_bad_marker_value_errors_the_test_with_the_choices(pytester: pytest.Pytester) -> None:
    pytester.makepyfile("import pytest\n@pytest.mark.dmp_context('CPS')\ndef test_x(dmp_client):\n    pass\n")
    result = _run(pytester)
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*dmp_context takes one of DIRECTE, INDIRECTE, INDIRECTE_RENFORCEE*"])


def test_the_markers_are_registered(pytester: pytest.Pytester) -> None:
    result = _run(pytester, "--markers")
    result.stdout.fnmatch_lines(["@pytest.mark.dmp_mode(mode):*", "@pytest.mark.dmp_context(mode):*"])
    result.stdout.fnmatch_lines(["@pytest.mark.dmp_patients(profile):*"])


def test_without_the_plugin_the_fixtures_do_not_exist(pytester: pytest.Pytester) -> None:
    """The generated files really depend on the plugin (guards the tests above against a leaking conftest)."""
    pytester.makepyfile("def test_x(dmp_client):\n    pass\n")
    result = pytester.runpytest(*QUIET, "-p", "no:dmpclient", "-p", "no:dmpclient.testing.plugin")
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*fixture 'dmp_client' not found*"])


def test_loading_the_plugin_does_not_import_the_sdk() -> None:
    """The plugin loads with every pytest run of a project that installs dmpclient: it must stay light."""
    import subprocess
    import sys

    code = "import sys, dmpclient.testing.plugin; print(sorted(m for m in sys.modules if m.startswith('dmpclient.')))"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "['dmpclient.testing', 'dmpclient.testing.plugin']"


def test_the_context_marker_knows_every_authentication_mode() -> None:
    from dmpclient.context import AuthenticationMode
    from dmpclient.testing import plugin

    assert tuple(m.value for m in AuthenticationMode) == plugin._AUTH_MODES

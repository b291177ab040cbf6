"""The ``softhsm_token`` fixture: a SoftHSM2 "card" with the professional's keys — skip without SoftHSM2 locally,
fail in CI."""

from __future__ import annotations

from types import ModuleType

import pytest

from dmpclient.errors import ConfigurationError
from dmpclient.testing import PKI_ENV, cached_test_pki
from dmpclient.testing.softhsm import create_softhsm_token, softhsm_missing

QUIET = ("-p", "no:cacheprovider", "-p", "no:hypothesispytest", "-p", "no:benchmark", "-p", "no:pytest_cov")
PLUGIN = ("-p", "dmpclient.testing.plugin", "-W", "ignore::pytest.PytestAssertRewriteWarning")

SIGNS_A_FEED = """
import os

from dmpclient.security import Pkcs11Signer


def test_the_token_signs_a_feed(softhsm_token, dmp, make_patient, make_document):
    assert os.environ["SOFTHSM2_CONF"] == str(softhsm_token.conf)
    with softhsm_token.open_signer() as signer:
        assert isinstance(signer, Pkcs11Signer)
        assert signer.certificate == dmp.pki.certificate("prof-sign")
        client = dmp.new_client(signer=signer)
        patient = make_patient()
        document = make_document(patient)
        assert client.submit(patient, document).document_unique_ids == (document.source.unique_id,)
        assert client.retrieve(patient, document.source.unique_id).read_bytes() == document.content


def test_the_authentication_key_is_there_too(softhsm_token):
    with softhsm_token.open_signer("authentication") as signer:
        assert signer.sign(b"challenge")
"""

USES_THE_TOKEN = "def test_x(softhsm_token):\n    pass\n"


def test_softhsm_missing_names_what_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", "")
    reason = softhsm_missing()
    assert reason is not None
    assert "softhsm2-util" in reason
    assert "apt-get install softhsm2" in reason
    with pytest.raises(ConfigurationError, match="softhsm2-util"):
        create_softhsm_token(cached_test_pki(), "unused")


def test_the_token_signs_in_a_fresh_process(
    pytester: pytest.Pytester, house: ModuleType, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A fresh interpreter: SoftHSM2 reads SOFTHSM2_CONF once per process (this one may hold another token)."""
    house.require(softhsm_missing() is None, softhsm_missing() or "")
    monkeypatch.setenv(PKI_ENV, str(cached_test_pki().directory))  # reuse this session's PKI
    monkeypatch.delenv("SOFTHSM2_CONF", raising=False)
    pytester.makepyfile(test_token=SIGNS_A_FEED)
    result = pytester.runpytest_subprocess(*PLUGIN, *QUIET)
    result.assert_outcomes(passed=2)


@pytest.mark.parametrize(("ci", "outcome"), [("", "skipped"), ("true", "errors")])
def test_missing_softhsm_skips_locally_and_fails_in_ci(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, ci: str, outcome: str
) -> None:
    monkeypatch.setenv("PATH", "")
    monkeypatch.setenv("CI", ci)
    pytester.makepyfile(test_token=USES_THE_TOKEN)
    result = pytester.runpytest(*PLUGIN, *QUIET, "-rs")
    result.assert_outcomes(**{outcome: 1})
    result.stdout.fnmatch_lines(["*'softhsm2-util' not found on PATH (apt-get install softhsm2)*"])
    if ci:
        result.stdout.fnmatch_lines(["*CI=true and a test requirement is missing*"])

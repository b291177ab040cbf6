"""The official GIE example messages through the validator (they predate some current rules: explained here)."""

from __future__ import annotations

from pathlib import Path

import pytest

from dmpclient import _xml
from dmpclient.errors import Severity, ValidationFailed
from dmpclient.xds.ebrim import parse_message
from dmpclient.xds.validation import RequestKind, assert_valid, detect_kind, validate

from .validation_factories import context

pytestmark = pytest.mark.shared

TD21 = "td2.1-alimentation.request.soap-part.xml"


def _rules(findings: list) -> dict[str, Severity]:  # type: ignore[type-arg]
    return {f.rule: f.severity for f in findings}


def test_td21_example_has_only_the_explained_dmp_findings(official_examples: Path) -> None:
    # The context is the one of the VIHF embedded in the example (direct CPS, 899900063480 / 499900063480001).
    findings = validate(official_examples / TD21, "dmp", context=context())
    assert _rules(findings) == {
        # Since SI-DMP v38–39 (March 2026) the signature entry needs a non-empty sourcePatientInfo PID-5; the
        # 2021 example has none — the only error.
        "dmp.sourcePatientInfo.pid5": Severity.ERROR,
        # typeCode 27899-4 left JDV_J07 (2024); the DMP still returns it (legacy) but J66 is uncertain: warning.
        "dmp.typeCode.valueSet": Severity.WARNING,
        # xdsb:Document id="documentME2" vs ExtrinsicObject id="DocumentME2": equal only when case is ignored.
        "ihe.document.idCase": Severity.WARNING,
    }
    (error,) = [f for f in findings if f.severity is Severity.ERROR]
    assert error.location == "Signature01.sourcePatientInfo"
    assert error.message_fr == "Le champ 'sourcePatientInfo PID5' est obligatoire"
    assert error.code == "XDSRegistryMetadataError"


def test_td21_example_is_ihe_valid(official_examples: Path) -> None:
    findings = validate(official_examples / TD21, "ihe")
    assert [f.rule for f in findings if f.is_error] == []


def test_td21_example_fails_assert_valid_for_the_signature_pid5(official_examples: Path) -> None:
    with pytest.raises(ValidationFailed) as err:
        assert_valid((official_examples / TD21).read_bytes())
    assert [f.rule for f in err.value.findings if f.is_error] == ["dmp.sourcePatientInfo.pid5"]


@pytest.mark.parametrize(
    ("name", "kind"),
    [
        ("td3.3c-supprimer.request.xml", RequestKind.STATUS_UPDATE),
        ("td3.3d-archiver.request.xml", RequestKind.STATUS_UPDATE),
    ],
)
def test_status_update_examples_are_clean(official_examples: Path, name: str, kind: RequestKind) -> None:
    message = parse_message((official_examples / name).read_bytes())
    assert message.submission is not None
    assert detect_kind(message.submission, provide_and_register=False) is kind
    assert validate(official_examples / name) == []


def test_td31_request_is_a_valid_query(official_examples: Path) -> None:
    assert validate(official_examples / "td3.1-recherche-documents.request.xml") == []


def test_kit_template_defects_are_reported(official_examples: Path) -> None:
    # The C# sample's TD3.3a template is a template, not a message: two classifications share one id, and its
    # classifications name the old entry (the lid) as classifiedObject instead of the new object's id.
    findings = validate(official_examples / "kit-templates" / "td3.3a-masquage.kit-template.xml")
    assert {f.rule for f in findings} == {"ihe.id.duplicate", "ihe.classification.owner"}
    message = parse_message((official_examples / "kit-templates" / "td3.3a-masquage.kit-template.xml").read_bytes())
    assert message.submission is not None
    assert detect_kind(message.submission, provide_and_register=False) is RequestKind.METADATA_UPDATE


def test_responses_are_not_validated(official_examples: Path) -> None:
    with pytest.raises(ValueError, match="nothing to validate"):
        validate(official_examples / "td3.1-recherche-documents.response.xml")


def test_xml_text_and_elements_are_accepted(official_examples: Path) -> None:
    text = (official_examples / "td3.3d-archiver.request.xml").read_text(encoding="utf-8")
    assert validate(text) == []
    assert validate(_xml.parse_text(text)) == []
    message = parse_message(text.encode())
    assert validate(message) == []

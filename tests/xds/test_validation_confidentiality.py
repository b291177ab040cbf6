"""Confidentiality transitions (TD3.3a/b), metadata updates compared with the current version, request kinds."""

from __future__ import annotations

import pytest

from dmpclient.terminology import CONFIDENTIALITY_NORMAL, INVISIBLE_PATIENT, MASQUE_PS, Code
from dmpclient.xds.model import Author, SubmissionRequest
from dmpclient.xds.validation import (
    DmpParameters,
    RequestKind,
    check_confidentiality_transition,
    check_metadata_update,
    detect_kind,
    validate,
)

from .validation_factories import LID, current_version, feed, metadata_update, person, status_update, submission_set


def _rules(findings: list) -> list[str]:  # type: ignore[type-arg]
    return [f.rule for f in findings]


@pytest.mark.parametrize(
    ("old", "new"),
    [
        (["N"], ["N", "MASQUE_PS"]),  # hide from professionals
        (["N", "MASQUE_PS"], ["N"]),  # show again: reversible without limit
        (["N", "INVISIBLE_PATIENT"], ["N"]),  # make visible to the patient
        (["N", "INVISIBLE_REPRESENTANTS_LEGAUX"], ["N"]),  # make visible to the legal representatives
        (["N", "INVISIBLE_PATIENT"], ["N", "INVISIBLE_PATIENT"]),  # unchanged
    ],
)
def test_allowed_transitions(old: list[str], new: list[str]) -> None:
    assert check_confidentiality_transition(old, new) == []


@pytest.mark.parametrize("code", ["INVISIBLE_PATIENT", "INVISIBLE_REPRESENTANTS_LEGAUX"])
def test_invisible_codes_can_never_be_added(code: str) -> None:
    findings = check_confidentiality_transition(["N"], ["N", code], location="Doc.confidentialityCode")
    assert _rules(findings) == ["dmp.confidentiality.invisibleAdded"]
    assert findings[0].value == code
    assert findings[0].location == "Doc.confidentialityCode"


def test_the_new_combination_is_checked_too() -> None:
    assert _rules(
        check_confidentiality_transition(["N", "INVISIBLE_PATIENT"], ["N", "INVISIBLE_PATIENT", "MASQUE_PS"])
    ) == ["dmp.confidentiality.cumul"]
    allowed = DmpParameters(cumul_invisible_patient_masque_ps=True)
    assert (
        check_confidentiality_transition(
            ["N", "INVISIBLE_PATIENT"], ["N", "INVISIBLE_PATIENT", "MASQUE_PS"], params=allowed
        )
        == []
    )
    assert _rules(check_confidentiality_transition(["N"], ["MASQUE_PS"])) == ["dmp.confidentiality.normal"]


def test_codes_may_be_given_as_code_objects() -> None:
    assert check_confidentiality_transition([CONFIDENTIALITY_NORMAL], [CONFIDENTIALITY_NORMAL, MASQUE_PS]) == []
    assert _rules(
        check_confidentiality_transition([CONFIDENTIALITY_NORMAL], [CONFIDENTIALITY_NORMAL, INVISIBLE_PATIENT])
    ) == ["dmp.confidentiality.invisibleAdded"]


def test_metadata_update_may_change_confidentiality_only() -> None:
    old = current_version()
    assert check_metadata_update(old, old.with_confidentiality(MASQUE_PS)) == []
    renamed = old.with_confidentiality(MASQUE_PS).replace_fields(
        title="Autre", class_code=Code("11", "1.2.250.1.213.1.1.4.1")
    )
    findings = check_metadata_update(old, renamed)
    assert _rules(findings) == ["dmp.update.fieldChanged"]
    assert findings[0].value == "class_code, title"


def test_metadata_update_refuses_author_changes_with_the_dmp_message() -> None:
    old = current_version()
    new = old.replace_fields(authors=(Author(person=person("899900038839")),))
    (finding,) = check_metadata_update(old, new)
    assert finding.rule == "dmp.update.authorChanged"
    assert finding.message_fr == "Les données d'un auteur ne peuvent pas être modifiées"
    assert finding.code == "XDSRegistryMetadataError"


def test_display_names_and_registry_fields_do_not_count_as_changes() -> None:
    old = current_version(hash="da39a3ee5e6b4b0d3255bfef95601890afd80709", size=10)
    assert old.class_code is not None
    new = old.replace_fields(class_code=old.class_code.with_display("CR"), hash=None, size=None, version="2")
    assert check_metadata_update(old, new) == []


def test_metadata_update_checks_the_logical_id_and_invisible_codes() -> None:
    old = current_version()
    new = old.replace_fields(logical_id="urn:uuid:00000000-0000-0000-0000-000000000001").with_confidentiality(
        INVISIBLE_PATIENT
    )
    assert sorted(_rules(check_metadata_update(old, new))) == [
        "dmp.confidentiality.invisibleAdded",
        "ihe.update.logicalId",
    ]


def test_validate_checks_previous_version_number_against_the_current_one() -> None:

    request = metadata_update(previous_version="4")
    findings = validate(request, previous={LID: current_version(version="5")})
    assert _rules(findings) == ["ihe.update.previousVersion"]
    assert findings[0].code == "XDSMetadataVersionError"


@pytest.mark.parametrize(
    ("request_", "pnr", "kind"),
    [
        (feed(), True, RequestKind.FEED),
        (feed(), None, RequestKind.FEED),
        (metadata_update(), None, RequestKind.METADATA_UPDATE),
        (metadata_update(), False, RequestKind.METADATA_UPDATE),
        (status_update(), None, RequestKind.STATUS_UPDATE),
        (SubmissionRequest(submission_set=submission_set()), False, RequestKind.STATUS_UPDATE),
    ],
)
def test_detect_kind(request_: SubmissionRequest, pnr: bool | None, kind: RequestKind) -> None:
    assert detect_kind(request_, provide_and_register=pnr) is kind

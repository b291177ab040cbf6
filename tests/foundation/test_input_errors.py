"""Bad input to the public models raises dmpclient's typed errors, never a raw ``pydantic.ValidationError``."""

from __future__ import annotations

import pickle
from datetime import UTC, date, datetime
from typing import Any

import pytest
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from dmpclient._models import InputModel, InvalidInput, input_error
from dmpclient.cda import DocumentHeaderInput, LdlSesContent, Patient
from dmpclient.cda.demo import demo_header, demo_patient
from dmpclient.cda.inputs import Performer
from dmpclient.client.settings import ClientSettings
from dmpclient.errors import (
    ConfigurationError,
    InputError,
    InvalidIdentifier,
    InvalidValue,
    RuleViolation,
)
from dmpclient.security.vihf import CodedValue, Vihf, VihfOptions
from dmpclient.security.xades import DmpXadesProfile, SigningCertificateVersion
from dmpclient.terminology import Code, ValueSet
from dmpclient.transactions.habilitations import AuthorizationAction, SetAuthorizationInput
from dmpclient.transactions.patients_specific import PatientListQuery
from dmpclient.transactions.pdq import PatientSearch
from dmpclient.transactions.rights import UserProfile
from dmpclient.xds import CodeFlag, DocumentEntry, SubmissionRequest, SubmissionSet

NOW = datetime(2024, 5, 1, 10, 0, tzinfo=UTC)


def _triple(err: InputError) -> tuple[str | None, object, str | None]:
    return err.field, err.value, err.rule


def _settings_data(**changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "signer": {"kind": "pkcs12"},
        "software": {"name": "LPS", "version": "1", "oid_root": "1.2.250.1.999"},
        "professional": {"id": "899900063480", "family_name": "LIBRE", "given_name": "MAX"},
        "structure": {"id": "499900063480001", "name": "CABINET"},
    }
    data.update(changes)
    return data


# ------------------------------------------------------------------------------ the error itself


def test_one_bad_field_names_model_path_value_and_rule() -> None:
    with pytest.raises(InvalidInput) as caught:
        DocumentEntry(creation_time="not a date")
    err = caught.value
    assert _triple(err) == ("DocumentEntry.creation_time", "not a date", "datetime_from_date_parsing")
    assert isinstance(err, InputError)
    assert isinstance(err, ValueError)
    assert isinstance(err.__cause__, ValidationError)
    assert err.model == "DocumentEntry"
    assert len(err.errors) == 1
    assert DocumentEntry(creation_time=NOW).creation_time == NOW


def test_every_problem_is_kept_and_listed_one_per_line() -> None:
    with pytest.raises(InvalidInput) as caught:
        DocumentEntry(creation_time="not a date", size="big", title=3)
    err = caught.value
    assert [(p["loc"], p["input"], p["rule"]) for p in err.errors] == [
        ("DocumentEntry.size", "big", "int_parsing"),
        ("DocumentEntry.creation_time", "not a date", "datetime_from_date_parsing"),
        ("DocumentEntry.title", 3, "string_type"),
    ]
    lines = str(err).splitlines()
    assert len(lines) == 3
    assert lines[0].startswith("DocumentEntry.size='big': ")
    assert lines[2] == "DocumentEntry.title=3: Input should be a valid string [rule: string_type]"
    cause = err.__cause__
    assert isinstance(cause, ValidationError)
    assert cause.error_count() == 3


def test_nested_problems_get_the_full_dotted_path() -> None:
    with pytest.raises(InvalidInput) as caught:
        SubmissionRequest(
            submission_set=SubmissionSet(),
            documents=[{"creation_time": "never"}, {"class_code": {"code": "10"}}],
        )
    locs = [p["loc"] for p in caught.value.errors]
    assert locs == [
        "SubmissionRequest.documents[0].creation_time",
        "SubmissionRequest.documents[1].class_code.code_system",
    ]
    assert caught.value.errors[1]["input"] is None  # a missing field has no value
    assert caught.value.errors[1]["rule"] == "missing"


def test_long_inputs_are_shortened_in_errors_but_kept_whole_in_value() -> None:
    long = "x" * 500
    with pytest.raises(InvalidInput) as caught:
        DocumentEntry(size=long)
    err = caught.value
    assert err.value == long
    shown = err.errors[0]["input"]
    assert isinstance(shown, str)
    assert len(shown) == 120
    assert shown.endswith("...")
    assert len(str(err)) < 400


def test_a_missing_criterion_is_a_model_level_problem() -> None:
    with pytest.raises(InvalidInput) as caught:
        PatientSearch()
    assert caught.value.field == "PatientSearch"
    assert caught.value.rule == "value_error"
    assert caught.value.reason == "give at least one search criterion"
    assert PatientSearch(family="DUPONT").family == "DUPONT"


def test_the_error_survives_pickling() -> None:
    with pytest.raises(InvalidInput) as caught:
        Code("", "1.2.3")
    again = pickle.loads(pickle.dumps(caught.value))
    assert type(again) is InvalidInput
    assert _triple(again) == _triple(caught.value)
    assert again.errors == caught.value.errors
    assert str(again) == str(caught.value)


def test_input_error_helper_converts_a_plain_pydantic_error() -> None:
    class Plain(BaseModel):
        n: int

    with pytest.raises(ValidationError) as caught:
        Plain(n="x")
    err = input_error(caught.value)
    assert isinstance(err, InvalidInput)
    assert _triple(err) == ("Plain.n", "x", "int_parsing")


# ------------------------------------------------------------------------ our own validator errors


class _Guarded(InputModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    count: int = 0
    label: str = Field(default="x", min_length=1)

    @model_validator(mode="after")
    def _rule(self) -> _Guarded:
        if self.count > 9:
            raise RuleViolation("at most 9", field="count", value=self.count, rule="EX_TEST-0001")
        return self


def test_a_model_validator_raising_rule_violation_surfaces_as_rule_violation() -> None:
    with pytest.raises(RuleViolation) as caught:
        _Guarded(count=10)
    err = caught.value
    assert _triple(err) == ("count", 10, "EX_TEST-0001")
    assert isinstance(err.__cause__, ValidationError)
    assert _Guarded(count=9).count == 9


def test_our_error_nested_in_a_model_keeps_its_type_and_gets_a_location_note() -> None:
    class Holder(InputModel):
        items: list[_Guarded]

    with pytest.raises(RuleViolation) as caught:
        Holder(items=[{"count": 1}, {"count": 12}])
    assert caught.value.rule == "EX_TEST-0001"
    assert "location: Holder.items[1]" in getattr(caught.value, "__notes__", [])


def test_our_error_mixed_with_other_problems_is_one_entry_of_invalid_input() -> None:
    with pytest.raises(InvalidInput) as caught:
        Patient.model_validate({**demo_patient().model_dump(), "birthplace_code": "123", "sex": "X"})
    problems = {p["loc"]: p for p in caught.value.errors}
    assert problems["Patient.birthplace_code"]["rule"] == "INS traits: lieu de naissance"
    assert problems["Patient.birthplace_code"]["input"] == "123"
    assert problems["Patient.sex"]["rule"] == "literal_error"


def test_real_validators_keep_their_error_types() -> None:
    data = demo_patient().model_dump()
    with pytest.raises(InvalidValue) as bad_place:
        Patient.model_validate({**data, "birthplace_code": "123"})
    assert _triple(bad_place.value) == ("patient.birthplace_code", "123", "INS traits: lieu de naissance")
    with pytest.raises(InvalidIdentifier):
        Patient.model_validate({**data, "ins": "279035121518988"})  # wrong INS key
    header = demo_header().model_dump()
    with pytest.raises(InputError) as replacement:
        DocumentHeaderInput.model_validate({**header, "replaces": "1.2.250.1.999.1"})
    assert type(replacement.value) is InputError
    assert _triple(replacement.value) == ("version", 1, "CI-SIS §3.5.5.11")


def test_a_model_built_inside_a_validator_reports_its_problems_under_the_outer_path() -> None:
    performer = demo_header().service_event.performer
    with pytest.raises(InvalidInput) as caught:
        Performer(person=performer.person, organization=performer.organization, cadre_exercice={"code": ""})
    assert [(p["loc"], p["rule"]) for p in caught.value.errors] == [
        ("Performer.cadre_exercice.code", "string_too_short"),
        ("Performer.cadre_exercice.code_system", "missing"),
    ]
    assert caught.value.value == ""


# ------------------------------------------------------------------------ every way of constructing


def test_validate_json_strings_and_assignment_raise_invalid_input() -> None:
    with pytest.raises(InvalidInput) as from_json:
        Code.model_validate_json('{"code": "10"')
    assert from_json.value.rule == "json_invalid"
    assert Code.model_validate_json('{"code": "10", "code_system": "1.2"}').key == ("1.2", "10")
    with pytest.raises(InvalidInput) as from_strings:
        PatientListQuery.model_validate_strings({"start_date": "20240101", "date_type": "HIER"})
    assert _triple(from_strings.value) == ("PatientListQuery.date_type", "HIER", "enum")
    code = Code("10", "1.2")
    with pytest.raises(InvalidInput) as frozen:
        code.code = "11"  # type: ignore[misc]
    assert _triple(frozen.value) == ("Code.code", "11", "frozen_instance")
    request = SubmissionRequest(submission_set=SubmissionSet())
    with pytest.raises(InvalidInput) as assigned:
        request.documents = "nope"  # type: ignore[assignment]
    assert assigned.value.field == "SubmissionRequest.documents"
    request.documents = [DocumentEntry()]
    assert len(request.documents) == 1


def test_nested_codes_in_plain_pydantic_models_keep_pydantic_behaviour() -> None:
    # Result models stay plain pydantic; a nested Code is validated by pydantic's core with a structured loc.
    with pytest.raises(ValidationError) as caught:
        CodeFlag(field="classCode", code={"code": ""}, value_set="J06")
    assert [e["loc"] for e in caught.value.errors()] == [("code", "code"), ("code", "code_system")]


# ------------------------------------------------------------------------------- one per package


@pytest.mark.parametrize(
    ("build", "expected"),
    [
        pytest.param(lambda: Code("10", ""), ("Code.code_system", "", "string_too_short"), id="terminology.Code"),
        pytest.param(
            lambda: ValueSet.of("J", [("1", "1.2", None), ("1", "1.2", None)], oid=None, version="1", source="t"),
            ("ValueSet.concepts", (Code("1", "1.2"), Code("1", "1.2")), "value_error"),
            id="terminology.ValueSet",
        ),
        pytest.param(
            lambda: SubmissionSet(submission_time="2024-13-45"),
            ("SubmissionSet.submission_time", "2024-13-45", "datetime_from_date_parsing"),
            id="xds.SubmissionSet",
        ),
        pytest.param(
            lambda: Patient.model_validate({**demo_patient().model_dump(), "birth_date": "28/03/1979"}),
            ("Patient.birth_date", "28/03/1979", "date_from_datetime_parsing"),
            id="cda.Patient",
        ),
        pytest.param(
            lambda: LdlSesContent(
                status_date=date(2024, 1, 2),
                reason="",
                admission_date=date(2024, 1, 1),
                discharge_date=date(2024, 1, 2),
                synthesis="ok",
            ),
            ("LdlSesContent.reason", "", "string_too_short"),
            id="cda.LdlSesContent",
        ),
        pytest.param(
            lambda: PatientListQuery(start_date="2024", date_type="LASTDOC"),
            ("PatientListQuery.start_date", "2024", "value_error"),
            id="transactions.PatientListQuery",
        ),
        pytest.param(
            lambda: SetAuthorizationInput(action="AJOUTER"),
            ("SetAuthorizationInput.action", "AJOUTER", "enum"),
            id="transactions.SetAuthorizationInput",
        ),
        pytest.param(
            lambda: UserProfile(physician="maybe"),
            ("UserProfile.physician", "maybe", "bool_parsing"),
            id="transactions.UserProfile",
        ),
        pytest.param(
            lambda: VihfOptions(reason_placement="nowhere"),
            ("VihfOptions.reason_placement", "nowhere", "enum"),
            id="security.VihfOptions",
        ),
        pytest.param(
            lambda: Vihf(assertion_id="_1", issue_instant=NOW, issuer="CN=x", name_id=""),
            ("Vihf.name_id", "", "string_too_short"),
            id="security.Vihf",
        ),
        pytest.param(
            lambda: CodedValue(code="10", code_system=""),
            ("CodedValue.code_system", "", "string_too_short"),
            id="security.CodedValue",
        ),
        pytest.param(
            lambda: DmpXadesProfile(signing_certificate="v3"),
            ("DmpXadesProfile.signing_certificate", "v3", "enum"),
            id="security.DmpXadesProfile",
        ),
        pytest.param(
            lambda: ClientSettings.model_validate(_settings_data(signer={"kind": "smartcard"})),
            ("ClientSettings.signer.kind", "smartcard", "literal_error"),
            id="client.ClientSettings",
        ),
    ],
)
def test_each_switched_package_raises_invalid_input(build: Any, expected: tuple[str, object, str]) -> None:
    with pytest.raises(InvalidInput) as caught:
        build()
    assert _triple(caught.value) == expected
    assert isinstance(caught.value.__cause__, ValidationError)


def test_valid_inputs_of_each_package_still_build() -> None:
    assert ValueSet.of("J", [("1", "1.2", None), ("2", "1.2", None)], oid=None, version="1", source="t").codes() == [
        "1",
        "2",
    ]
    assert PatientListQuery(start_date="20240101", date_type="LASTDOC").start_date == "20240101"
    assert SetAuthorizationInput(action="AJOUT").action is AuthorizationAction.AJOUT
    assert UserProfile(physician=True).physician
    assert DmpXadesProfile(signing_certificate="v2").signing_certificate is SigningCertificateVersion.V2
    assert ClientSettings.model_validate(_settings_data()).signer.kind == "pkcs12"
    assert (
        LdlSesContent(
            status_date=date(2024, 1, 2),
            reason="chute",
            admission_date=date(2024, 1, 1),
            discharge_date=date(2024, 1, 2),
            synthesis="ok",
        ).reason
        == "chute"
    )


def test_settings_loader_keeps_its_configuration_error_with_every_problem_as_cause() -> None:
    data = _settings_data(signer={"kind": "smartcard"}, client={"timout": 3})
    with pytest.raises(ConfigurationError) as caught:
        ClientSettings.from_mapping(data)
    err = caught.value
    assert _triple(err) == ("signer.kind", "smartcard", "dmpclient.toml")
    assert "2 problem(s)" in str(err)
    cause = err.__cause__
    assert isinstance(cause, InvalidInput)
    assert [p["loc"] for p in cause.errors] == ["ClientSettings.signer.kind", "ClientSettings.client.timout"]

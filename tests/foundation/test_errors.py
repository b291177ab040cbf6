"""dmpclient.errors: messages carry field/value/rule, findings, registry errors, French messages verbatim."""

from __future__ import annotations

import json

import pytest

from dmpclient import errors as errors_module
from dmpclient.errors import (
    AmbiguousSubmission,
    ConfigurationError,
    DMPClientError,
    DMPError,
    DMPStatusError,
    ErrorChannel,
    Finding,
    HL7AcknowledgementError,
    InputError,
    InvalidIdentifier,
    InvalidValue,
    NIARefused,
    RegistryError,
    RegistryErrorItem,
    RuleViolation,
    Severity,
    SoapFaultError,
    TransportError,
    ValidationFailed,
    errors_only,
)

WARNING = "urn:oasis:names:tc:ebxml-regrep:ErrorSeverityType:Warning"


def test_input_error_message_names_field_value_rule_hint() -> None:
    exc = InputError("wrong key", field="patient.ins", value="277076322082911", rule="INS key", hint="check it")
    assert str(exc) == "patient.ins='277076322082911': wrong key [rule: INS key] — check it"
    assert (exc.field, exc.value, exc.rule, exc.hint, exc.reason) == (
        "patient.ins",
        "277076322082911",
        "INS key",
        "check it",
        "wrong key",
    )


def test_input_error_without_field_or_rule() -> None:
    assert str(InputError("just text")) == "just text"
    assert str(InputError("x", rule="R")) == "x [rule: R]"


def test_long_values_are_shortened_in_the_message_only() -> None:
    value = "A" * 10_000
    exc = InvalidValue("too long", field="title", value=value, rule="R")
    assert len(str(exc)) < 200
    assert "..." in str(exc)
    assert exc.value == value  # kept whole in the attribute


@pytest.mark.parametrize(
    ("cls", "parent"),
    [
        (InvalidIdentifier, InputError),
        (InvalidValue, InputError),
        (RuleViolation, InputError),
        (NIARefused, RuleViolation),
        (ConfigurationError, InputError),
        (InputError, ValueError),
        (InputError, DMPClientError),
        (ValidationFailed, DMPClientError),
        (errors_module.XMLSecurityError, errors_module.XMLError),
        (errors_module.XMLSyntaxError, errors_module.XMLError),
        (errors_module.SignatureError, errors_module.SecurityError),
        (errors_module.CertificateError, errors_module.SecurityError),
        (errors_module.TokenError, errors_module.SecurityError),
        (AmbiguousSubmission, TransportError),
        (SoapFaultError, DMPError),
        (RegistryError, DMPError),
        (HL7AcknowledgementError, DMPError),
        (DMPStatusError, DMPError),
        (errors_module.ProtocolError, DMPClientError),
    ],
)
def test_hierarchy(cls: type, parent: type) -> None:
    assert issubclass(cls, parent)


def test_every_public_exception_derives_from_the_base() -> None:
    for name in errors_module.__all__:
        obj = getattr(errors_module, name)
        if isinstance(obj, type) and issubclass(obj, BaseException):
            assert issubclass(obj, DMPClientError), name


# -------------------------------------------------------------------------------------------- findings


def test_finding_to_dict_is_json() -> None:
    f = Finding(
        rule="EX_2.1-1050",
        message="INVISIBLE_PATIENT with MASQUE_PS",
        severity=Severity.ERROR,
        location="DocumentEntry[0].confidentialityCode",
        code="XDSRegistryMetadataError",
        message_fr="La combinaison de codes de confidentialité est interdite",
        value="MASQUE_PS",
    )
    d = f.to_dict()
    assert d == {
        "rule": "EX_2.1-1050",
        "severity": "error",
        "message": "INVISIBLE_PATIENT with MASQUE_PS",
        "location": "DocumentEntry[0].confidentialityCode",
        "code": "XDSRegistryMetadataError",
        "message_fr": "La combinaison de codes de confidentialité est interdite",
        "value": "MASQUE_PS",
    }
    assert json.loads(json.dumps(d, ensure_ascii=False)) == d


def test_finding_str_and_severity() -> None:
    f = Finding("r", "bad", location="here", code="C", message_fr="« Texte »")
    assert str(f) == "error (C) at here: bad — « « Texte » »"
    assert f.is_error
    assert not Finding("r", "meh", Severity.WARNING).is_error
    assert errors_only([f, Finding("w", "w", Severity.WARNING), Finding("i", "i", Severity.INFO)]) == [f]


def test_validation_failed_lists_errors_only() -> None:
    findings = [Finding("r1", "first problem"), Finding("w1", "just a warning", Severity.WARNING)]
    exc = ValidationFailed(findings, what="XDS metadata")
    text = str(exc)
    assert text.splitlines()[0] == "XDS metadata failed with 1 error(s)"
    assert "first problem" in text
    assert "just a warning" not in text
    assert exc.findings == findings  # all findings kept


def test_validation_failed_truncates_long_lists() -> None:
    findings = [Finding(f"r{i}", f"problem {i}") for i in range(25)]
    lines = str(ValidationFailed(findings)).splitlines()
    assert lines[0] == "validation failed with 25 error(s)"
    assert len(lines) == 1 + 20 + 1
    assert lines[-1] == "  … and 5 more"


# ------------------------------------------------------------------------------------------ DMP errors

FR_MESSAGE = "Aucun AuthorInstitution ne correspond à l'utilisateur du VIHF"


def test_dmp_error_keeps_french_message_verbatim() -> None:
    exc = DMPError("DMPAccessForbidden", FR_MESSAGE, transaction="TD2.1", http_status=200, message_id="urn:uuid:1")
    assert exc.message_fr == FR_MESSAGE
    assert f"« {FR_MESSAGE} »" in str(exc)
    assert str(exc).startswith("TD2.1: DMP refused the request (http): DMPAccessForbidden")
    assert exc.channel is ErrorChannel.HTTP


def test_soap_fault() -> None:
    msg = "Le certificat ayant signé le VIHF est invalide : Not a valid signature certificate"
    exc = SoapFaultError(
        "DMPInvalidCertificate", msg, fault_code="soap:Sender", subcodes=["DMPInvalidCertificate"], detail="d"
    )
    assert exc.channel is ErrorChannel.SOAP_FAULT
    assert exc.code == "DMPInvalidCertificate"
    assert exc.message_fr == msg
    assert exc.subcodes == ["DMPInvalidCertificate"]
    assert "soap-fault" in str(exc)


def test_registry_error_picks_first_error_item() -> None:
    items = [
        RegistryErrorItem("XDSWarning", "un avertissement", severity=WARNING),
        RegistryErrorItem("XDSRegistryMetadataError", "Le champ 'sourcePatientInfo PID5' est obligatoire", "loc1"),
        RegistryErrorItem("XDSOther", "second", "loc2"),
    ]
    exc = RegistryError(items, status="urn:oasis:names:tc:ebxml-regrep:ResponseStatusType:Failure")
    assert exc.code == "XDSRegistryMetadataError"
    assert exc.message_fr == "Le champ 'sourcePatientInfo PID5' est obligatoire"
    assert exc.location == "loc1"
    assert exc.errors == items
    assert not items[0].is_error
    assert items[1].is_error


def test_registry_error_only_warnings_and_empty() -> None:
    only_warning = RegistryError([RegistryErrorItem("W", "w", severity=WARNING)])
    assert only_warning.code == "W"
    empty = RegistryError([])
    assert empty.code is None
    assert "no code" in str(empty)


def test_registry_error_explicit_location_wins() -> None:
    exc = RegistryError([RegistryErrorItem("X", "m", "from-item")], location="explicit")
    assert exc.location == "explicit"


def test_hl7_and_status_errors() -> None:
    ack = HL7AcknowledgementError("DMPPatientNotFound", "Patient inconnu", type_code="AE")
    assert ack.type_code == "AE"
    assert ack.channel is ErrorChannel.HL7V3
    status = DMPStatusError("DMPKO", "Refus")
    assert status.channel is ErrorChannel.STATUS


def test_transport_errors() -> None:
    exc = TransportError("timeout", url="https://x", transaction="TD3.1")
    assert (exc.url, exc.transaction, exc.sent) == ("https://x", "TD3.1", False)
    amb = AmbiguousSubmission("reset after upload", unique_ids=["1.2.3"], found=None, transaction="TD2.1")
    assert amb.sent is True
    assert amb.unique_ids == ["1.2.3"]
    assert amb.found is None

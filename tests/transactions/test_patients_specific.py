"""TD0.4 (patientList): liste des DMP autorisés."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest

from dmpclient.context import AccessMode
from dmpclient.errors import DMPStatusError, InvalidValue, ProtocolError, RuleViolation, SoapFaultError
from dmpclient.ids import INS
from dmpclient.soap import fault_response, read_message
from dmpclient.transactions._base import RequestContext
from dmpclient.transactions.patients import PatientIdentifier
from dmpclient.transactions.patients_specific import (
    TD0_4,
    PatientList,
    PatientListDateType,
    PatientListItem,
    PatientListQuery,
    build_patient_list_error,
    build_patient_list_request,
    build_patient_list_response,
    parse_patient_list_request,
    parse_patient_list_response,
)

from .conftest import Example, received
from .structural import REQUEST_IGNORES, assert_same_structure

pytestmark = pytest.mark.shared


def test_td04_request_has_the_structure_of_the_official_example(ctx: RequestContext, example: Example) -> None:
    request = build_patient_list_request(ctx, "20101010202010", PatientListDateType.LASTDOC)
    official = example("td0.4-liste-dmp-autorises.request.xml")
    assert_same_structure(request.envelope, official.envelope.envelope, ignore=REQUEST_IGNORES)
    assert request.action == official.envelope.action
    assert request.service.value == "patientsSpecific"


def test_td04_vihf_has_no_patient(ctx: RequestContext) -> None:
    from dmpclient.security.vihf import parse_vihf

    message = received(build_patient_list_request(ctx, dt.date(2024, 1, 1)))
    assert message.envelope.assertion is not None
    assert parse_vihf(message.envelope.assertion).resource_id is None


@pytest.mark.parametrize(
    ("since", "expected"),
    [
        (dt.datetime(2024, 3, 4, 5, 6, 7, tzinfo=dt.UTC), "20240304050607"),
        (dt.datetime(2024, 3, 4, 6, 6, 7, tzinfo=dt.timezone(dt.timedelta(hours=1))), "20240304050607"),
        (dt.date(2024, 3, 4), "20240304000000"),
        ("20240304", "20240304"),
    ],
)
def test_td04_request_round_trip(ctx: RequestContext, since: dt.date | str, expected: str) -> None:
    request = build_patient_list_request(ctx, since, "LASTAUTORIZATION", ps_owner_id="899900063480")
    assert parse_patient_list_request(received(request)) == PatientListQuery(
        start_date=expected, date_type=PatientListDateType.LASTAUTORIZATION, ps_owner_id="899900063480"
    )


@pytest.mark.parametrize("since", ["2024-03-04", "2024030", "yesterday"])
def test_td04_malformed_dates_are_refused(ctx: RequestContext, since: str) -> None:
    with pytest.raises(InvalidValue, match="startDate"):
        build_patient_list_request(ctx, since)


def test_td04_unknown_date_type_is_refused(ctx: RequestContext) -> None:
    with pytest.raises(ValueError, match="LASTCONSULT"):
        build_patient_list_request(ctx, "20240101", "LASTCONSULT")


def test_td04_establishment_certificate_in_regulation_mode_is_refused(make_ctx: Callable[..., RequestContext]) -> None:
    with pytest.raises(RuleViolation):
        build_patient_list_request(make_ctx("INDIRECTE", access=AccessMode.CENTRE_15), "20240101")
    assert build_patient_list_request(make_ctx("INDIRECTE"), "20240101").action == TD0_4.action


def test_td04_official_response_parses(example: Example) -> None:
    result = parse_patient_list_response(example("td0.4-liste-dmp-autorises.response.xml"))
    assert len(result) == 2
    first, second = result
    assert first.patient_ids == (
        PatientIdentifier(root="1.2.250.1.213.1.4.2", extension="0740724093302701701806"),
        PatientIdentifier(root="1.2.250.1.213.1.4.10", extension="153078987658513"),
    )
    assert first.ins is not None
    assert first.ins.ins == INS.parse("153078987658513")
    assert (first.last_name, first.first_name, first.date_of_birth) == ("PAT-TROIS", "DOMINIQUE", "19790328")
    assert first.treating_physician is False
    assert second.treating_physician is True
    assert first.message is False
    assert first.last_access_date == "20210601094105"
    assert first.last_access_at == dt.datetime(2021, 6, 1, 9, 41, 5)
    assert first.last_add_date == "20210525134735"
    assert second.last_name == "patb-quatre"
    assert result.status == "DMPOk"
    assert result.context is None


def test_td04_sandbox_response_has_the_official_shape_and_round_trips(ctx: RequestContext, example: Example) -> None:
    official = example("td0.4-liste-dmp-autorises.response.xml")
    result = parse_patient_list_response(official)
    ours = build_patient_list_response(result, request=example("td0.4-liste-dmp-autorises.request.xml"))
    assert_same_structure(ours.envelope, official.envelope.envelope)
    richer = PatientList(
        items=(
            *result.items,
            PatientListItem(
                patient_ids=(PatientIdentifier(root="1.2.250.1.213.1.4.10", extension="277076322082910"),),
                last_name="DUPONT",
                patronymical_name="MARTIN",
                first_name="JEANNE",
                civility="MME",
                date_of_birth="19770701",
                message=True,
            ),
        ),
        context="2 nouveaux dossiers",
    )
    request = received(build_patient_list_request(ctx, "20240101"))
    assert parse_patient_list_response(received(build_patient_list_response(richer, request=request))) == richer


def test_td04_empty_list_is_not_an_error(ctx: RequestContext) -> None:
    request = received(build_patient_list_request(ctx, "20240101"))
    parsed = parse_patient_list_response(received(build_patient_list_response(PatientList(), request=request)))
    assert len(parsed) == 0
    assert list(parsed) == []


def test_td04_status_error_and_fault(ctx: RequestContext) -> None:
    request = received(build_patient_list_request(ctx, "20240101"))
    response = build_patient_list_error(request, status="DMPAccessDeniedByRightsService", context="Refusé (règle 3)")
    with pytest.raises(DMPStatusError) as info:
        parse_patient_list_response(received(response))
    assert (info.value.code, info.value.message_fr) == ("DMPAccessDeniedByRightsService", "Refusé (règle 3)")
    with pytest.raises(SoapFaultError):
        parse_patient_list_response(received(fault_response("Receiver", "DMP_SERVER_ERROR", "Erreur interne")))


def test_td04_sandbox_refuses_a_request_without_date_type(ctx: RequestContext) -> None:
    data = received(build_patient_list_request(ctx, "20240101")).root_bytes.replace(
        b"<dateType>LASTAUTORIZATION</dateType>", b""
    )
    with pytest.raises(ProtocolError, match=r"TD0\.4"):
        parse_patient_list_request(read_message("application/soap+xml", data))

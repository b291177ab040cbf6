"""TD0.2 (test d'existence) and TD1.3a (données administratives): builders, parsers, sandbox side, errors."""

from __future__ import annotations

import pytest

from dmpclient.errors import HL7AcknowledgementError, NIARefused, ProtocolError, RuleViolation, SoapFaultError
from dmpclient.ids import INS, InsOid
from dmpclient.security.vihf import parse_vihf
from dmpclient.soap import fault_response, read_message
from dmpclient.transactions import TRANSACTIONS, spec_for_body
from dmpclient.transactions._base import RequestContext
from dmpclient.transactions.patients import (
    TD0_2,
    TD1_3A,
    AdministrativeData,
    AdministrativeObservation,
    AuthorizationStatus,
    ClosingInfo,
    ExistenceResult,
    PatientIdentifier,
    PatientTraits,
    PersonName,
    build_administrative_data_error,
    build_administrative_data_request,
    build_administrative_data_response,
    build_test_existence_error,
    build_test_existence_request,
    build_test_existence_response,
    parse_administrative_data_request,
    parse_administrative_data_response,
    parse_test_existence_request,
    parse_test_existence_response,
    patients_transaction,
)

from .conftest import Example, received
from .structural import REQUEST_IGNORES, VOLATILE, assert_same_structure, structural_differences

pytestmark = pytest.mark.shared

EXAMPLE_INS = INS.parse("207058575627097")
RESPONSE_IGNORES = (*VOLATILE,)


# --------------------------------------------------------------------------------------- TD0.2 build


def test_td02_request_has_the_structure_of_the_official_example(ctx: RequestContext, example: Example) -> None:
    request = build_test_existence_request(ctx, EXAMPLE_INS)
    official = example("td0.2-test-existence.request.xml")
    assert_same_structure(request.envelope, official.envelope.envelope, ignore=REQUEST_IGNORES)
    assert request.action == official.envelope.action == "urn:hl7-org:v3:PRPA_IN201307UV02"
    assert request.service.value == "patients"
    assert received(request).envelope.to == ctx.environment.service_url("patients")


def test_td02_request_is_not_the_example_when_the_patient_differs(ctx: RequestContext, example: Example) -> None:
    other = INS.parse("277076322082910")
    request = build_test_existence_request(ctx, other)
    official = example("td0.2-test-existence.request.xml")
    diffs = structural_differences(request.envelope, official.envelope.envelope, ignore=REQUEST_IGNORES)
    assert any("patientIdentifier" in d and "@extension" in d for d in diffs)


def test_td02_patient_is_in_the_body_and_in_the_vihf(ctx: RequestContext) -> None:
    message = received(build_test_existence_request(ctx, EXAMPLE_INS))
    assert message.envelope.assertion is not None
    assert parse_vihf(message.envelope.assertion).resource_id == EXAMPLE_INS.to_cx()
    assert parse_test_existence_request(message).ins == EXAMPLE_INS


def test_td02_nia_is_refused_before_anything_is_built(ctx: RequestContext) -> None:
    nia = INS("277076322082910", InsOid.NIA)
    with pytest.raises(NIARefused):
        build_test_existence_request(ctx, nia)


def test_td02_production_ins_is_refused_in_a_test_environment(ctx: RequestContext) -> None:
    with pytest.raises(RuleViolation, match="not accepted"):
        build_test_existence_request(ctx, INS("277076322082910", InsOid.PRODUCTION))


def test_td02_and_td13a_share_the_body_and_are_told_apart_by_reason_code(ctx: RequestContext) -> None:
    td02 = received(build_test_existence_request(ctx, EXAMPLE_INS))
    td13 = received(build_administrative_data_request(ctx, EXAMPLE_INS))
    assert {s.td for s in spec_for_body(td02.envelope.payload)} >= {"TD0.2", "TD1.3a"}  # type: ignore[arg-type]
    assert patients_transaction(td02) is TD0_2
    assert patients_transaction(td13) is TD1_3A
    assert TRANSACTIONS["TD0.2"] is TD0_2
    with pytest.raises(ProtocolError, match="reasonCode"):
        parse_test_existence_request(td13)
    with pytest.raises(ProtocolError, match="reasonCode"):
        parse_administrative_data_request(td02)


# --------------------------------------------------------------------------------------- TD0.2 parse


def test_td02_official_response_parses_into_the_expected_result(example: Example) -> None:
    result = parse_test_existence_response(example("td0.2-test-existence.response.xml"))
    assert result.exists is True
    assert result.query_response_code == "OK"
    assert result.authorization is AuthorizationStatus.VALIDE
    assert result.authorization_known
    assert result.treating_physician is True
    assert result.closed is False
    assert result.patient_status == "active"
    assert result.ins == EXAMPLE_INS
    assert result.ins_c == "1197854176879056415520"
    assert result.traits is not None
    assert result.traits.authoritative is False
    assert result.traits.name is not None
    assert result.traits.name.family == "patb-quatre"
    assert result.traits.name.given == ("LAURENCE",)
    assert result.traits.name.prefix == "M"
    assert result.traits.gender == "M"
    assert result.traits.birth_time == "19070525"
    assert [t.value for t in result.traits.telecoms] == ["mailto:alain@gmail.com", "tel:0102030405"]
    assert result.internet_account_open is True
    assert result.attached_to_ens is False
    assert result.can_consult
    assert result.can_feed
    assert not result.needs_authorization
    assert not result.blocked


@pytest.mark.parametrize(
    ("authorization", "closed", "consult", "feed", "needs"),
    [
        (AuthorizationStatus.VALIDE, False, True, True, False),
        (AuthorizationStatus.EXPIRE, False, False, True, True),
        (AuthorizationStatus.NON_EXISTE, False, False, True, True),
        (AuthorizationStatus.INTERDIT, False, False, True, False),
        (AuthorizationStatus.VALIDE, True, False, False, False),
        ("SUSPENDU", False, False, True, False),
    ],
)
def test_helper_properties(authorization: str, closed: bool, consult: bool, feed: bool, needs: bool) -> None:
    result = ExistenceResult(exists=True, authorization=authorization, closed=closed)
    assert (result.can_consult, result.can_feed, result.needs_authorization) == (consult, feed, needs)
    assert result.patient_status == ("terminated" if closed else "active")


def test_nf_is_not_an_error_and_nothing_is_allowed(ctx: RequestContext) -> None:
    request = received(build_test_existence_request(ctx, EXAMPLE_INS))
    result = ExistenceResult(exists=False, authorization=AuthorizationStatus.NON_EXISTE)
    parsed = parse_test_existence_response(received(build_test_existence_response(result, request=request)))
    assert parsed == result
    assert parsed.query_response_code == "NF"
    assert not parsed.exists
    assert not parsed.can_feed
    assert not parsed.needs_authorization


# ------------------------------------------------------------------------------------ TD0.2 sandbox


def test_td02_sandbox_response_to_the_official_request_has_the_official_shape(example: Example) -> None:
    official_request = example("td0.2-test-existence.request.xml")
    official_response = example("td0.2-test-existence.response.xml")
    result = parse_test_existence_response(official_response)
    ours = build_test_existence_response(result, request=official_request)
    assert_same_structure(ours.envelope, official_response.envelope.envelope, ignore=RESPONSE_IGNORES)
    assert ours.relates_to == official_request.envelope.message_id


def test_td02_round_trip_keeps_every_field(ctx: RequestContext, example: Example) -> None:
    request = received(build_test_existence_request(ctx, EXAMPLE_INS))
    result = parse_test_existence_response(example("td0.2-test-existence.response.xml"))
    assert parse_test_existence_response(received(build_test_existence_response(result, request=request))) == result


def test_td02_closed_dmp_round_trip_with_closing_info(ctx: RequestContext) -> None:
    request = received(build_test_existence_request(ctx, EXAMPLE_INS))
    result = ExistenceResult(
        exists=True,
        closed=True,
        authorization=AuthorizationStatus.VALIDE,
        treating_physician=False,
        patient_ids=(PatientIdentifier.of(EXAMPLE_INS),),
        closing=ClosingInfo(
            closed_on="20240102",
            reason_code="FERMETURE_DEMANDE_PATIENT",
            reason_code_system="1.2.250.1.213.4.1.2.4",
            reason_text="Fermeture à la demande du patient",
        ),
        traits=PatientTraits(name=PersonName.create("DUPONT", "JEAN", birth_family="MARTIN")),
    )
    parsed = parse_test_existence_response(received(build_test_existence_response(result, request=request)))
    assert parsed == result
    assert parsed.closed
    assert parsed.patient_status == "terminated"
    assert not parsed.can_feed
    assert not parsed.can_consult
    assert parsed.traits is not None
    assert parsed.traits.name is not None
    assert parsed.traits.name.birth_family == "MARTIN"


def test_td02_tolerates_unknown_authorization_values_and_extra_observations(ctx: RequestContext) -> None:
    request = received(build_test_existence_request(ctx, EXAMPLE_INS))
    extra = AdministrativeObservation(code="NOUVELLE_INFO", code_system="1.2.3.4", value_type="ST", value="x")
    result = ExistenceResult(
        exists=True,
        authorization="SUSPENDU",
        observations=(AdministrativeObservation.boolean("RATTACHEMENT_ENS", True), extra),
    )
    parsed = parse_test_existence_response(received(build_test_existence_response(result, request=request)))
    assert parsed.authorization == "SUSPENDU"
    assert not parsed.authorization_known
    assert parsed.observation("NOUVELLE_INFO") == extra
    assert parsed.attached_to_ens is True
    assert not parsed.can_consult


def test_td02_unknown_attention_line_is_kept(example: Example) -> None:
    official = example("td0.2-test-existence.response.xml")
    data = official.root_bytes.replace(
        b"<acknowledgement ",
        b'<attentionLine><keyWordText code="NOUVEAU" codeSystem="1.2.3"/>'
        b'<value xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:type="BL" value="true"/>'
        b"</attentionLine><acknowledgement ",
        1,
    )
    result = parse_test_existence_response(read_message("application/soap+xml", data))
    assert [a.keyword for a in result.other_attention_lines] == ["NOUVEAU"]
    assert result.authorization is AuthorizationStatus.VALIDE


# --------------------------------------------------------------------------------------- errors


@pytest.mark.parametrize("type_code", ["AE", "AR"])
def test_td02_acknowledgement_error_carries_code_and_french_text(ctx: RequestContext, type_code: str) -> None:
    request = received(build_test_existence_request(ctx, EXAMPLE_INS))
    text = "Impossible d'effectuer un test d'existence : Structure introuvable ou Inactive"
    response = build_test_existence_error(
        request, code="DMPAccessDeniedByRightsService", text=text, type_code=type_code
    )  # type: ignore[arg-type]
    with pytest.raises(HL7AcknowledgementError) as info:
        parse_test_existence_response(received(response))
    assert info.value.code == "DMPAccessDeniedByRightsService"
    assert info.value.message_fr == text
    assert info.value.type_code == type_code
    assert info.value.transaction == "TD0.2"
    assert info.value.message_id == request.envelope.message_id


def test_official_response_turned_into_ae_is_an_error(example: Example) -> None:
    data = example("td0.2-test-existence.response.xml").root_bytes.replace(
        b'<acknowledgement typeCode="AA">',
        '<acknowledgement typeCode="AE"><acknowledgementDetail typeCode="E"><code code="DMPFound"/>'
        "<text>Le DMP existe déjà</text></acknowledgementDetail>".encode(),
    )
    # the detail goes after targetMessage in the schema; the tolerant reader does not care
    with pytest.raises(HL7AcknowledgementError) as info:
        parse_test_existence_response(read_message("application/soap+xml", data))
    assert (info.value.code, info.value.message_fr) == ("DMPFound", "Le DMP existe déjà")


def test_query_response_code_ae_is_an_error_even_with_aa(example: Example) -> None:
    data = example("td0.2-test-existence.response.xml").root_bytes.replace(
        b'<queryResponseCode code="OK"/>', b'<queryResponseCode code="AE"/>'
    )
    with pytest.raises(HL7AcknowledgementError, match=r"TD0\.2"):
        parse_test_existence_response(read_message("application/soap+xml", data))


def test_soap_fault_is_a_soap_fault_error(ctx: RequestContext) -> None:
    request = received(build_test_existence_request(ctx, EXAMPLE_INS))
    fault = fault_response(
        "Sender",
        "DMPInvalidCertificate",
        "Le certificat ayant signé le VIHF est invalide : Not a valid signature certificate",
        relates_to=request.envelope.message_id,
    )
    with pytest.raises(SoapFaultError) as info:
        parse_test_existence_response(received(fault))
    assert info.value.code == "DMPInvalidCertificate"
    assert info.value.message_fr is not None
    assert info.value.message_fr.startswith("Le certificat")


def test_wrong_body_is_a_protocol_error(example: Example) -> None:
    with pytest.raises(ProtocolError, match="PRPA_IN201308UV02"):
        parse_test_existence_response(example("td0.3-mise-a-jour-autorisation.response.xml"))


# ------------------------------------------------------------------------------------------ TD1.3a


def test_td13a_request_has_the_structure_of_the_official_example(ctx: RequestContext, example: Example) -> None:
    request = build_administrative_data_request(ctx, EXAMPLE_INS)
    official = example("td1.3a-consultation-donnees-administratives.request.xml")
    assert_same_structure(request.envelope, official.envelope.envelope, ignore=REQUEST_IGNORES)
    assert parse_administrative_data_request(received(request)).ins == EXAMPLE_INS


def test_td13a_official_response_parses_into_the_expected_result(example: Example) -> None:
    data = parse_administrative_data_response(example("td1.3a-consultation-donnees-administratives.response.xml"))
    assert data.exists
    assert not data.closed
    assert data.ins == EXAMPLE_INS
    assert data.deceased is False
    assert data.address is not None
    assert data.address.street_address_lines == ("1, rue du Chat qui pêche",)
    assert (data.address.postal_code, data.address.city) == ("75005", "Paris")
    assert len(data.legal_representatives) == 1
    rep = data.legal_representatives[0]
    assert rep.relationship == "FTH"
    assert rep.name is not None
    assert (rep.name.prefix, rep.name.given, rep.name.family) == ("M", ("Jean",), "REPLEG")
    assert rep.address is not None
    assert rep.address.additional_locators == ("Residence du Parc",)
    assert [t.use for t in rep.telecoms] == ["HP", "MC", None]
    assert data.birthplace is not None
    assert data.birthplace.is_empty
    assert data.opposition_bris_de_glace is False
    assert data.opposition_acces_urgence is False
    assert data.traits is not None
    assert len(data.traits.telecoms) == 4
    assert data.traits.authoritative is False


def test_td13a_sandbox_response_to_the_official_request_has_the_official_shape(example: Example) -> None:
    official_request = example("td1.3a-consultation-donnees-administratives.request.xml")
    official_response = example("td1.3a-consultation-donnees-administratives.response.xml")
    result = parse_administrative_data_response(official_response)
    ours = build_administrative_data_response(result, request=official_request)
    assert_same_structure(ours.envelope, official_response.envelope.envelope, ignore=RESPONSE_IGNORES)


def test_td13a_round_trip_and_oppositions(ctx: RequestContext) -> None:
    request = received(build_administrative_data_request(ctx, EXAMPLE_INS))
    result = AdministrativeData(
        exists=True,
        patient_ids=(PatientIdentifier.of(EXAMPLE_INS),),
        deceased=True,
        observations=(
            AdministrativeObservation.boolean("OPPOSITION_BRIS_DE_GLACE", True),
            AdministrativeObservation.boolean("OPPOSITION_ACCES_URGENCE", False),
        ),
    )
    parsed = parse_administrative_data_response(received(build_administrative_data_response(result, request=request)))
    assert parsed == result
    assert parsed.opposition_bris_de_glace is True
    assert parsed.opposition_acces_urgence is False


def test_td13a_error_channel(ctx: RequestContext) -> None:
    request = received(build_administrative_data_request(ctx, EXAMPLE_INS))
    response = build_administrative_data_error(request, code="DMPClosed", text="Le DMP est fermé", type_code="AR")
    with pytest.raises(HL7AcknowledgementError) as info:
        parse_administrative_data_response(received(response))
    assert (info.value.code, info.value.message_fr, info.value.type_code) == ("DMPClosed", "Le DMP est fermé", "AR")
    assert info.value.transaction == "TD1.3a"

"""TD0.3 (setAuthorization) and TD1.6 (listAuthorizationByPatient)."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

import pytest

from dmpclient.context import AccessMode, CardType
from dmpclient.errors import DMPStatusError, InvalidValue, NIARefused, ProtocolError, RuleViolation, SoapFaultError
from dmpclient.ids import INS, InsOid
from dmpclient.security.vihf import parse_vihf
from dmpclient.soap import fault_response, read_message
from dmpclient.transactions._base import RequestContext
from dmpclient.transactions.habilitations import (
    AuthorizationAction,
    AuthorizationList,
    AuthorizationListItem,
    AuthorizationListMode,
    AuthorizationRole,
    AuthorizationUpdate,
    SetAuthorizationInput,
    build_list_authorizations_error,
    build_list_authorizations_request,
    build_list_authorizations_response,
    build_set_authorization_error,
    build_set_authorization_request,
    build_set_authorization_response,
    parse_list_authorizations_request,
    parse_list_authorizations_response,
    parse_set_authorization_request,
    parse_set_authorization_response,
)

from .conftest import Example, received
from .structural import REQUEST_IGNORES, assert_same_structure

pytestmark = pytest.mark.shared

INS_ = INS.parse("207058575627097")


def with_card(ctx: RequestContext, card: CardType) -> RequestContext:
    prof = dataclasses.replace(ctx.acting.professional, card_type=card)
    return dataclasses.replace(ctx, acting=dataclasses.replace(ctx.acting, professional=prof))


# -------------------------------------------------------------------------------------------- TD0.3


def test_td03_request_has_the_structure_of_the_official_example(ctx: RequestContext, example: Example) -> None:
    request = build_set_authorization_request(ctx, INS_, AuthorizationAction.AJOUT)
    official = example("td0.3-mise-a-jour-autorisation.request.xml")
    assert_same_structure(request.envelope, official.envelope.envelope, ignore=REQUEST_IGNORES)
    assert request.action == official.envelope.action
    assert request.service.value == "habilitations"


def test_td03_patient_is_only_in_the_vihf(ctx: RequestContext) -> None:
    message = received(build_set_authorization_request(ctx, INS_, "AJOUT"))
    assert INS_.matricule.encode() not in message.root_bytes.split(b"<soap:Body>")[1]
    assert message.envelope.assertion is not None
    assert parse_vihf(message.envelope.assertion).resource_id == INS_.to_cx()


@pytest.mark.parametrize(
    ("action", "role"),
    [
        (AuthorizationAction.AJOUT, None),
        (AuthorizationAction.AJOUT, AuthorizationRole.MEDECIN_TRAITANT),
        (AuthorizationAction.SUPPRESSION, None),
        (AuthorizationAction.SUPPRESSION, AuthorizationRole.MEDECIN_TRAITANT),
    ],
)
def test_td03_request_round_trip(
    ctx: RequestContext, action: AuthorizationAction, role: AuthorizationRole | None
) -> None:
    message = received(build_set_authorization_request(ctx, INS_, action, role))
    assert parse_set_authorization_request(message) == SetAuthorizationInput(action=action, role=role)


def test_td03_official_response_and_round_trip(ctx: RequestContext, example: Example) -> None:
    result = parse_set_authorization_response(example("td0.3-mise-a-jour-autorisation.response.xml"))
    assert result == AuthorizationUpdate(status="DMPOk", context="Autorisation déjà présente aucune action effectuée")
    request = received(build_set_authorization_request(ctx, INS_))
    response = build_set_authorization_response(result, request=request)
    assert parse_set_authorization_response(received(response)) == result
    official = example("td0.3-mise-a-jour-autorisation.response.xml")
    ours = build_set_authorization_response(result, request=example("td0.3-mise-a-jour-autorisation.request.xml"))
    assert_same_structure(ours.envelope, official.envelope.envelope)


def test_td03_status_error_keeps_the_context_verbatim(ctx: RequestContext) -> None:
    request = received(build_set_authorization_request(ctx, INS_))
    context = "  Le PS est bloqué par le patient : aucune autorisation possible "
    response = build_set_authorization_error(request, status="DMPAccessDeniedByRightsService", context=context)
    with pytest.raises(DMPStatusError) as info:
        parse_set_authorization_response(received(response))
    assert info.value.code == "DMPAccessDeniedByRightsService"
    assert info.value.message_fr == context
    assert info.value.transaction == "TD0.3"
    assert info.value.message_id == request.envelope.message_id


def test_td03_error_builder_refuses_dmpok(ctx: RequestContext) -> None:
    request = received(build_set_authorization_request(ctx, INS_))
    with pytest.raises(InvalidValue):
        build_set_authorization_error(request, status="DMPOk", context=None)


def test_dmpok_upper_case_spelling_is_success(example: Example) -> None:
    data = example("td0.3-mise-a-jour-autorisation.response.xml").root_bytes.replace(b">DMPOk<", b">DMPOK<")
    assert parse_set_authorization_response(read_message("application/soap+xml", data)).status == "DMPOK"


def test_td03_soap_fault(ctx: RequestContext) -> None:
    request = received(build_set_authorization_request(ctx, INS_))
    fault = fault_response("Sender", "DMPAccessForbidden", "Accès interdit", relates_to=request.envelope.message_id)
    with pytest.raises(SoapFaultError) as info:
        parse_set_authorization_response(received(fault))
    assert info.value.code == "DMPAccessForbidden"


def test_td03_never_with_an_establishment_certificate(make_ctx: Callable[..., RequestContext]) -> None:
    with pytest.raises(RuleViolation, match="PDT-INF-526"):
        build_set_authorization_request(make_ctx("INDIRECTE"), INS_, "AJOUT")


@pytest.mark.parametrize("access", [AccessMode.CENTRE_15, AccessMode.BRIS_DE_GLACE])
def test_td03_only_in_normal_mode(make_ctx: Callable[..., RequestContext], access: AccessMode) -> None:
    reason = "patient inconscient" if access is AccessMode.BRIS_DE_GLACE else None
    with pytest.raises(RuleViolation):
        build_set_authorization_request(make_ctx(access=access, reason=reason), INS_, "AJOUT")


def test_td03_cpe_may_declare_but_not_remove(ctx: RequestContext) -> None:
    cpe = with_card(ctx, CardType.CPE)
    assert (
        parse_set_authorization_request(received(build_set_authorization_request(cpe, INS_, "AJOUT"))).action == "AJOUT"
    )
    with pytest.raises(RuleViolation):
        build_set_authorization_request(cpe, INS_, "SUPPRESSION")


def test_td03_remove_mt_only_by_the_mt(ctx: RequestContext) -> None:
    with pytest.raises(RuleViolation, match="Se supprimer MT"):
        build_set_authorization_request(ctx, INS_, "SUPPRESSION", "MEDECIN_TRAITANT", treating_physician=False)
    request = build_set_authorization_request(ctx, INS_, "SUPPRESSION", "MEDECIN_TRAITANT", treating_physician=True)
    assert parse_set_authorization_request(received(request)).role is AuthorizationRole.MEDECIN_TRAITANT
    # unknown MT status: left to the DMP
    build_set_authorization_request(ctx, INS_, "SUPPRESSION", "MEDECIN_TRAITANT", treating_physician=None)


def test_td03_nia_and_bad_values_are_refused(ctx: RequestContext) -> None:
    with pytest.raises(NIARefused):
        build_set_authorization_request(ctx, INS("277076322082910", InsOid.NIA))
    with pytest.raises(ValueError, match="MODIFICATION"):
        build_set_authorization_request(ctx, INS_, "MODIFICATION")


def test_td03_sandbox_refuses_unknown_action(ctx: RequestContext) -> None:
    data = received(build_set_authorization_request(ctx, INS_)).root_bytes.replace(b">AJOUT<", b">AUTRE<")
    with pytest.raises(ProtocolError, match="invalid action"):
        parse_set_authorization_request(read_message("application/soap+xml", data))


# -------------------------------------------------------------------------------------------- TD1.6


def test_td16_request_has_the_structure_of_the_official_example(ctx: RequestContext, example: Example) -> None:
    request = build_list_authorizations_request(ctx, INS_, AuthorizationListMode.TOUTE)
    official = example("td1.6-liste-ps-autorises-bloques.request.xml")
    assert_same_structure(request.envelope, official.envelope.envelope, ignore=REQUEST_IGNORES)
    assert request.action == official.envelope.action


@pytest.mark.parametrize("mode", list(AuthorizationListMode))
def test_td16_request_round_trip(ctx: RequestContext, mode: AuthorizationListMode) -> None:
    assert parse_list_authorizations_request(received(build_list_authorizations_request(ctx, INS_, mode))) is mode


def test_td16_official_response_parses(example: Example) -> None:
    result = parse_list_authorizations_response(example("td1.6-liste-ps-autorises-bloques.response.xml"))
    assert len(result) == 1
    item = result[0]
    assert item.national_id == "899900063480"
    assert item.national_id_type == "1.2.250.1.71.4.2.1"
    assert (item.first_name, item.last_name) == ("MAX", "LIBRE")
    assert item.speciality_codes == ("G15_10/SM26",)
    assert item.speciality_labels == ("Médecin - Qualifié en Médecine générale (SM)",)
    assert item.start_of_authorization == "20210601135804"
    assert item.started_at is not None
    assert item.started_at.hour == 13
    assert item.mode == "ACTIVE"
    assert not item.blocked
    assert not item.is_treating_physician
    assert result.status == "DMPOk"
    assert result.context is None
    assert [i.national_id for i in result] == ["899900063480"]


def test_td16_sandbox_response_has_the_official_shape_and_round_trips(ctx: RequestContext, example: Example) -> None:
    official = example("td1.6-liste-ps-autorises-bloques.response.xml")
    result = parse_list_authorizations_response(official)
    ours = build_list_authorizations_response(result, request=example("td1.6-liste-ps-autorises-bloques.request.xml"))
    assert_same_structure(ours.envelope, official.envelope.envelope)
    richer = AuthorizationList(
        items=(
            *result.items,
            AuthorizationListItem(
                national_id="810000000001",
                first_name="ANNE",
                last_name="BLOQUEE",
                speciality_codes=("G15_10/SM26", "G15_10/SM04"),
                speciality_labels=("a", "b"),
                mode="INTERDITE",
                specific_rights=("MEDECIN_TRAITANT",),
            ),
        )
    )
    request = received(build_list_authorizations_request(ctx, INS_))
    parsed = parse_list_authorizations_response(received(build_list_authorizations_response(richer, request=request)))
    assert parsed == richer
    assert parsed[1].blocked
    assert parsed[1].is_treating_physician


def test_td16_unknown_mode_value_is_kept(example: Example) -> None:
    data = example("td1.6-liste-ps-autorises-bloques.response.xml").root_bytes.replace(
        b"<ns1:mode>ACTIVE</ns1:mode>", b"<ns1:mode>SUSPENDUE</ns1:mode>"
    )
    assert parse_list_authorizations_response(read_message("application/soap+xml", data))[0].mode == "SUSPENDUE"


def test_td16_status_error(ctx: RequestContext) -> None:
    request = received(build_list_authorizations_request(ctx, INS_))
    response = build_list_authorizations_error(request, status="DMPAccessForbidden", context="Accès refusé")
    with pytest.raises(DMPStatusError) as info:
        parse_list_authorizations_response(received(response))
    assert (info.value.code, info.value.message_fr, info.value.transaction) == (
        "DMPAccessForbidden",
        "Accès refusé",
        "TD1.6",
    )


@pytest.mark.parametrize("mode", ["INDIRECTE", "CPE", "centre_15", "bris_de_glace"])
def test_td16_refused_outside_normal_mode_cpe_and_certificates(
    make_ctx: Callable[..., RequestContext], ctx: RequestContext, mode: str
) -> None:
    if mode == "INDIRECTE":
        context = make_ctx("INDIRECTE")
    elif mode == "CPE":
        context = with_card(ctx, CardType.CPE)
    else:
        context = make_ctx(access=AccessMode(mode), reason="urgence vitale" if mode == "bris_de_glace" else None)
    with pytest.raises(RuleViolation):
        build_list_authorizations_request(context, INS_)


def test_td16_unknown_mode_in_request_is_a_protocol_error(ctx: RequestContext) -> None:
    data = received(build_list_authorizations_request(ctx, INS_)).root_bytes.replace(b">TOUTE<", b">TOUS<")
    with pytest.raises(ProtocolError, match="unknown mode"):
        parse_list_authorizations_request(read_message("application/soap+xml", data))

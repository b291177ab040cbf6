"""Routing of the sandbox platform: every transaction by action, alias and body element; wrong service,
unknown action and mismatched body answered with faults; built-in and behaviour discriminators."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from lxml import etree
from platform_support import (
    PATIENT,
    StubBehaviour,
    body_for,
    call,
    cpe_vihf,
    echo,
    fault_of,
    make_config,
    post,
    router,
    spec,
    vihf,
)

from dmpclient.context import AuthenticationMode, CardType
from dmpclient.sandbox import Caller, create_app, make_transport
from dmpclient.sandbox.routing import ACTION_NOT_SUPPORTED, DEFAULT_SPECS, builtin_discriminator, load_transactions
from dmpclient.soap import ACTION_ALIASES, SoapMessage, SoapRequest, build_envelope, parse_envelope

ALL_TDS = sorted(router().specs)


@pytest.fixture(scope="module")
def client() -> Iterator[httpx.Client]:
    config = make_config()
    transport = make_transport(create_app(StubBehaviour(config), config))
    with httpx.Client(transport=transport) as c:
        yield c
    transport.close()


def _client_for(behaviour: StubBehaviour) -> httpx.Client:
    config = make_config(clock=behaviour.clock)
    return httpx.Client(transport=make_transport(create_app(behaviour, config)))


def _patientless(td: str) -> bool:
    return td in ("TD0.4", "TD0.5")


def test_every_current_transaction_is_known() -> None:
    assert set(DEFAULT_SPECS) <= set(router().specs)
    registered = load_transactions()
    for td, registered_spec in registered.items():
        assert router().specs[td] == registered_spec  # a module's own spec wins over the built-in one


@pytest.mark.parametrize("td", [td for td in ALL_TDS if td not in ("TD2.2", "TD3.3b")])
def test_each_transaction_routes_to_its_handler(client: httpx.Client, td: str) -> None:
    response = post(client, call(td, patient=None if _patientless(td) else PATIENT))
    assert response.status_code == 200
    assert echo(response).get("td") == td
    assert response.headers["content-type"].startswith("application/soap+xml")
    assert int(response.headers["content-length"]) == len(response.content)


@pytest.mark.parametrize(
    ("alias", "td"),
    [
        (alias, next(s.td for s in DEFAULT_SPECS.values() if s.action == target))
        for alias, target in ACTION_ALIASES.items()
    ],
)
def test_action_aliases_are_accepted(client: httpx.Client, alias: str, td: str) -> None:
    response = post(client, call(td, action=alias, patient=None if _patientless(td) else PATIENT))
    assert response.status_code == 200
    assert echo(response).get("td") == td


@pytest.mark.parametrize("td", ["TD0.4", "TD0.3", "TD3.2"])
def test_empty_action_falls_back_to_the_body_element(client: httpx.Client, td: str) -> None:
    response = post(client, call(td, action="", patient=None if _patientless(td) else PATIENT))
    assert echo(response).get("td") == td


def test_empty_action_with_an_unknown_body_is_refused(client: httpx.Client) -> None:
    request = call("TD0.4", action="", patient=None)
    envelope = request.envelope
    body = envelope.find("{http://www.w3.org/2003/05/soap-envelope}Body")
    assert body is not None
    body[0].tag = "{urn:example}Unknown"
    bad = SoapRequest(request.service, "", envelope)
    response = post(client, bad)
    assert response.status_code == 500
    fault = fault_of(response)
    assert fault.qualified_subcodes == (ACTION_NOT_SUPPORTED,)


@pytest.mark.parametrize(
    ("td", "wrong_service"),
    [("TD3.2", "registry"), ("TD3.1", "repository"), ("TD0.2", "habilitations"), ("TD0.4", "patients")],
)
def test_action_sent_to_another_service_is_refused(client: httpx.Client, td: str, wrong_service: str) -> None:
    request = call(td, patient=None if _patientless(td) else PATIENT)
    response = client.post(
        f"https://sandbox.test/si-dmp-server/v2/services/{wrong_service}",
        content=request.body_bytes(),
        headers=request.headers,
    )
    assert response.status_code == 500
    fault = fault_of(response)
    assert fault.code == "Sender"
    assert fault.qualified_subcodes == (ACTION_NOT_SUPPORTED,)
    assert f"n'est pas supportée par le service {wrong_service}" in (fault.reason or "")
    # the same request on its own service is served
    assert echo(post(client, request)).get("td") == td


def test_unknown_action_is_refused(client: httpx.Client) -> None:
    response = post(client, call("TD3.2", action="urn:example:NoSuchOperation"))
    fault = fault_of(response)
    assert response.status_code == 500
    assert fault.qualified_subcodes == (ACTION_NOT_SUPPORTED,)
    assert "urn:example:NoSuchOperation" in (fault.reason or "")


def test_body_not_matching_the_action_is_refused(client: httpx.Client) -> None:
    response = post(client, call("TD3.2", action=spec("TD3.1").action))
    fault = fault_of(response)
    assert fault.code == "Sender"
    assert "ne correspond pas à l'action" in (fault.reason or "")


def test_relates_to_is_the_request_message_id(client: httpx.Client) -> None:
    request = call("TD0.2")
    response = post(client, request)
    parsed = parse_envelope(response.content)
    assert parsed.relates_to == request.message_id
    assert parsed.action == spec("TD0.2").response_action


def test_relates_to_is_added_when_the_handler_forgets_it() -> None:
    behaviour = StubBehaviour(make_config())

    def forgetful(request):  # type: ignore[no-untyped-def]
        from dmpclient.soap import build_response

        return build_response(etree.Element("{urn:x}Done"), action="urn:x:done", relates_to=None)

    behaviour.on_call = forgetful
    with _client_for(behaviour) as client:
        request = call("TD0.2")
        parsed = parse_envelope(post(client, request).content)
    assert parsed.relates_to == request.message_id
    assert parsed.payload_tag == "{urn:x}Done"


# ------------------------------------------------------------------------------ discriminators


def _message(td: str) -> SoapMessage:
    envelope = build_envelope(body_for(td), action=spec(td).action, to="x", security=vihf())
    return SoapMessage("application/soap+xml", "application/soap+xml", {}, parse_envelope(envelope), b"")


def _caller(mode: AuthenticationMode = AuthenticationMode.INDIRECTE, card: CardType | None = None) -> Caller:
    return Caller(auth_mode=mode, professional_id="899900063480", structure_id="10B0156832", card_type=card)


@pytest.mark.parametrize("td", ["TD0.2", "TD1.3a", "TD3.1", "TD3.1b", "TD3.3a", "TD3.3c", "TD3.3d"])
def test_builtin_discriminator(td: str) -> None:
    candidates = [s for s in router().specs.values() if s.request_body == spec(td).request_body]
    assert len(candidates) > 1
    chosen = builtin_discriminator(candidates, _message(td), _caller())
    assert chosen is not None
    assert chosen.td == td


def test_feed_with_a_cpe_token_routes_to_td2_2() -> None:
    config = make_config(check_signing_certificate=False)  # the test PKI has no CPE card certificate
    transport = make_transport(create_app(StubBehaviour(config), config))
    with httpx.Client(transport=transport) as client:
        cpe = echo(post(client, call("TD2.1", cpe_vihf())))
        cps = echo(post(client, call("TD2.1", vihf("DIRECTE"))))
    transport.close()
    assert (cpe.get("td"), cpe.get("card")) == ("TD2.2", "CPE")
    assert (cps.get("td"), cps.get("card")) == ("TD2.1", "CPS")


def test_td3_3b_needs_the_behaviours_discriminator(client: httpx.Client) -> None:
    # A new metadata version is TD3.3a for the built-in rules; only the store knows it removes INVISIBLE_*.
    assert echo(post(client, call("TD3.3b"))).get("td") == "TD3.3a"


def test_cpe_feed_is_td2_2_and_cps_feed_is_td2_1() -> None:
    candidates = [router().specs["TD2.1"], router().specs["TD2.2"]]
    message = _message("TD2.1")
    cpe = builtin_discriminator(candidates, message, _caller(AuthenticationMode.DIRECTE, CardType.CPE))
    cps = builtin_discriminator(candidates, message, _caller(AuthenticationMode.DIRECTE, CardType.CPS))
    indirect = builtin_discriminator(candidates, message, _caller())
    assert (cpe and cpe.td, cps and cps.td, indirect and indirect.td) == ("TD2.2", "TD2.1", "TD2.1")


def test_the_behaviours_discriminator_is_asked_first() -> None:
    behaviour = StubBehaviour(make_config())
    asked = []

    def pick(candidates, message, caller):  # type: ignore[no-untyped-def]
        asked.append([c.td for c in candidates])
        return next(c for c in candidates if c.td == "TD3.3b")

    behaviour.handlers.set_discriminator(pick)
    with _client_for(behaviour) as client:
        assert echo(post(client, call("TD3.3a"))).get("td") == "TD3.3b"
        # a single-candidate transaction never asks
        assert echo(post(client, call("TD3.2"))).get("td") == "TD3.2"
    assert asked == [["TD3.3a", "TD3.3b", "TD3.3c", "TD3.3d"]]


def test_transaction_without_handler_is_a_receiver_fault() -> None:
    behaviour = StubBehaviour(make_config(), tds=["TD0.2"])
    with _client_for(behaviour) as client:
        response = post(client, call("TD3.2"))
        assert echo(post(client, call("TD0.2"))).get("td") == "TD0.2"
    fault = fault_of(response)
    assert (response.status_code, fault.code, fault.subcodes) == (500, "Receiver", ("DMP_SERVER_ERROR",))
    assert "TD3.2" in (fault.reason or "")

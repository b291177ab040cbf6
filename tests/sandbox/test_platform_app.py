"""The sandbox ASGI application: envelope rules (SOAP 1.2, WS-Addressing, mustUnderstand), fault shapes,
size limits, non-SOAP endpoints, the in-process transport (sync and async) and the clock."""

from __future__ import annotations

import asyncio
import copy
import datetime as dt
from collections.abc import Iterator

import httpx
import pytest
from lxml import etree
from platform_support import (
    BASE,
    StubBehaviour,
    call,
    echo,
    fault_of,
    make_config,
    post,
    raise_fault,
    url_of,
)

from dmpclient._xml import NS, to_bytes
from dmpclient.sandbox import SandboxFault, create_app, make_transport
from dmpclient.sandbox.app import SandboxApp
from dmpclient.sandbox.clock import SandboxClock, parse_instant
from dmpclient.soap import SoapRequest, parse_envelope, read_message

SOAP = NS["soap"]
SOAP11 = NS["soap11"]
WSA = NS["wsa"]


@pytest.fixture
def app() -> SandboxApp:
    config = make_config()
    return create_app(StubBehaviour(config), config)


@pytest.fixture
def client(app: SandboxApp) -> Iterator[httpx.Client]:
    transport = make_transport(app)
    with httpx.Client(transport=transport) as c:
        yield c
    transport.close()


def _raw(client: httpx.Client, request: SoapRequest, envelope: etree._Element) -> httpx.Response:
    body = to_bytes(envelope)
    return client.post(url_of(request), content=body, headers={"Content-Type": request.content_type})


# ------------------------------------------------------------------------------------ envelope rules


def test_soap11_envelope_gets_a_version_mismatch_fault(client: httpx.Client) -> None:
    request = call("TD0.2")
    envelope = copy.deepcopy(request.envelope)
    for el in envelope.iter():
        if isinstance(el.tag, str) and el.tag.startswith(f"{{{SOAP}}}"):
            el.tag = el.tag.replace(SOAP, SOAP11)
    text = to_bytes(envelope).replace(SOAP.encode(), SOAP11.encode())
    response = client.post(url_of(request), content=text, headers={"Content-Type": "text/xml; charset=UTF-8"})
    assert response.status_code == 500
    fault = fault_of(response)
    assert fault.code == "VersionMismatch"
    assert "SOAP 1.2" in (fault.reason or "")


def test_soap11_accepted_when_configured() -> None:
    config = make_config(allow_soap11=True)
    transport = make_transport(create_app(StubBehaviour(config), config))
    request = call("TD0.2")
    text = to_bytes(request.envelope).replace(SOAP.encode(), SOAP11.encode())
    with httpx.Client(transport=transport) as client:
        response = client.post(url_of(request), content=text, headers={"Content-Type": "text/xml; charset=UTF-8"})
    transport.close()
    assert echo(response).get("td") == "TD0.2"


@pytest.mark.parametrize("header", ["MessageID", "To", "Action"])
def test_missing_addressing_headers(client: httpx.Client, header: str) -> None:
    request = call("TD3.2")
    envelope = copy.deepcopy(request.envelope)
    el = envelope.find(f"{{{SOAP}}}Header/{{{WSA}}}{header}")
    assert el is not None
    el.getparent().remove(el)
    response = _raw(client, request, envelope)
    fault = fault_of(response)
    assert response.status_code == 500
    assert fault.qualified_subcodes == (f"{{{WSA}}}MessageAddressingHeaderRequired",)
    assert fault.reason == f"L'en-tête WS-Addressing {header} est obligatoire"
    assert echo(post(client, request)).get("td") == "TD3.2"


def test_empty_to_follows_the_configuration() -> None:
    request = call("TD3.2", to=None)  # empty wsa:To, like the GIE examples
    for allow, ok in ((True, True), (False, False)):
        config = make_config(allow_empty_to=allow)
        transport = make_transport(create_app(StubBehaviour(config), config))
        with httpx.Client(transport=transport) as client:
            response = post(client, request)
        transport.close()
        assert (response.status_code == 200) is ok


def test_not_understood_mandatory_header(client: httpx.Client) -> None:
    request = call("TD3.2")
    envelope = copy.deepcopy(request.envelope)
    header = envelope.find(f"{{{SOAP}}}Header")
    assert header is not None
    extra = etree.SubElement(header, "{urn:example}Mandatory")
    extra.set(f"{{{SOAP}}}mustUnderstand", "true")
    fault = fault_of(_raw(client, request, envelope))
    assert fault.code == "MustUnderstand"
    # the GIE examples' unprefixed mustUnderstand is not SOAP's: ignored
    extra.attrib.pop(f"{{{SOAP}}}mustUnderstand")
    extra.set("mustUnderstand", "true")
    assert echo(_raw(client, request, envelope)).get("td") == "TD3.2"


def test_malformed_xml_and_mime(client: httpx.Client) -> None:
    response = client.post(
        f"{BASE}/registry", content=b"<soap:Envelope", headers={"Content-Type": "application/soap+xml"}
    )
    fault = fault_of(response)
    assert (response.status_code, fault.code, fault.reason) == (500, "Sender", "Message XML mal formé")
    response = client.post(
        f"{BASE}/repository", content=b"--x\r\nbroken", headers={"Content-Type": 'multipart/related; boundary="x"'}
    )
    assert fault_of(response).reason.startswith("Message MTOM invalide")


def test_request_larger_than_the_limit() -> None:
    config = make_config(max_request_size=2000)
    transport = make_transport(create_app(StubBehaviour(config), config))
    request = call("TD3.2")
    assert request.content_length > 2000  # the VIHF alone is larger
    with httpx.Client(transport=transport) as client:
        response = post(client, request)
        streamed = client.post(
            url_of(request), content=iter([request.body_bytes()]), headers={"Content-Type": request.content_type}
        )
    transport.close()
    assert response.status_code == 413
    assert streamed.status_code == 413  # chunked: refused while reading
    assert "trop volumineux" in (fault_of(response).reason or "")


# ------------------------------------------------------------------------------------- handler faults


def test_handler_fault_becomes_a_soap_fault(app: SandboxApp, client: httpx.Client) -> None:
    app.behaviour.on_call = raise_fault("Sender", "DMPAccessForbidden", "Accès refusé", detail="opposition")  # type: ignore[attr-defined]
    request = call("TD3.1")
    response = post(client, request)
    fault = fault_of(response)
    assert (response.status_code, fault.code, fault.subcodes, fault.reason) == (
        500,
        "Sender",
        ("DMPAccessForbidden",),
        "Accès refusé",
    )
    assert parse_envelope(response.content).relates_to == request.message_id
    assert response.headers["content-type"].startswith("application/soap+xml")


def test_iti43_faults_come_as_mtom(app: SandboxApp, client: httpx.Client) -> None:
    app.behaviour.on_call = raise_fault("Sender", "XDSDocumentUniqueIdError", "uniqueId inconnu")  # type: ignore[attr-defined]
    response = post(client, call("TD3.2"))
    assert response.headers["content-type"].startswith("multipart/related")
    assert fault_of(response).subcodes == ("XDSDocumentUniqueIdError",)
    plain = post(client, call("TD3.1"))
    assert plain.headers["content-type"].startswith("application/soap+xml")


def test_fault_action_styles() -> None:
    for style, expected in (
        ("wsa", "http://www.w3.org/2005/08/addressing/soap/fault"),
        ("operation", "urn:ihe:iti:2007:RegistryStoredQuery:Fault:SoapFault"),
    ):
        config = make_config(fault_action=style)
        behaviour = StubBehaviour(config)
        behaviour.on_call = raise_fault("Sender", "X", "non")
        transport = make_transport(create_app(behaviour, config))
        with httpx.Client(transport=transport) as client:
            assert parse_envelope(post(client, call("TD3.1")).content).action == expected
        transport.close()


def test_unexpected_handler_error_is_a_receiver_fault(app: SandboxApp, client: httpx.Client) -> None:
    def boom(request):  # type: ignore[no-untyped-def]
        raise RuntimeError("disk on fire")

    app.behaviour.on_call = boom  # type: ignore[attr-defined]
    response = post(client, call("TD3.1"))
    fault = fault_of(response)
    assert (fault.code, fault.subcodes, fault.reason) == (
        "Receiver",
        ("DMP_SERVER_ERROR",),
        "Erreur interne du serveur",
    )
    assert "disk on fire" in (fault.detail_text or "")


def test_sandbox_fault_status_is_kept() -> None:
    fault = SandboxFault("Sender", "DMPX", "raison", http_status=403)
    assert fault.subcodes == ("DMPX",)
    assert fault.http_status == 403
    assert "DMPX" in str(fault)


# ---------------------------------------------------------------------------------- other endpoints


def test_get_on_a_service_path_is_405_with_its_transactions(client: httpx.Client) -> None:
    response = client.get(f"{BASE}/registry")
    assert response.status_code == 405
    assert response.headers["allow"] == "POST"
    assert "TD3.1" in response.text
    assert "TD3.3c" in response.text
    assert "TD3.2" not in response.text


def test_unknown_paths(client: httpx.Client) -> None:
    assert client.post(f"{BASE}/patientCertif", content=b"").status_code == 404
    assert client.get("https://sandbox.test/elsewhere").status_code == 404
    assert client.get("https://sandbox.test/_sandbox/admin/patients").status_code == 404  # admin off


def test_health(client: httpx.Client) -> None:
    data = client.get("https://sandbox.test/_sandbox/health").json()
    assert data["status"] == "ok"
    assert "TD2.1" in data["transactions"]
    assert client.get("https://sandbox.test/health").status_code == 200


def test_path_prefix() -> None:
    config = make_config(path_prefix="024")
    transport = make_transport(create_app(StubBehaviour(config), config))
    request = call("TD3.2")
    with httpx.Client(transport=transport) as client:
        prefixed = client.post(
            "https://sandbox.test/024/si-dmp-server/v2/services/repository",
            content=request.body_bytes(),
            headers=request.headers,
        )
        plain = post(client, request)
    transport.close()
    assert echo(prefixed).get("td") == "TD3.2"
    assert plain.status_code == 404


# ------------------------------------------------------------------------------- in-process transport


def test_transport_serves_sync_and_async_clients(app: SandboxApp) -> None:
    transport = make_transport(app)
    request = call("TD3.2")
    with httpx.Client(transport=transport) as client:
        sync_td = echo(post(client, request)).get("td")

    async def main() -> list[str]:
        async with httpx.AsyncClient(transport=transport) as aclient:
            requests = [call("TD3.2"), call("TD0.2"), call("TD3.1")]
            responses = await asyncio.gather(
                *(aclient.post(url_of(r), content=r.aiter_bytes(), headers=r.headers) for r in requests)
            )
        return [echo(r).get("td") for r in responses]

    async_tds = asyncio.run(main())
    transport.close()
    assert sync_td == "TD3.2"
    assert async_tds == ["TD3.2", "TD0.2", "TD3.1"]


def test_app_also_runs_under_httpx_asgi_transport(app: SandboxApp) -> None:
    async def main() -> str:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app)) as client:
            request = call("TD3.2")
            response = await client.post(url_of(request), content=request.body_bytes(), headers=request.headers)
        return echo(response).get("td") or ""

    assert asyncio.run(main()) == "TD3.2"


def test_transport_streams_responses(app: SandboxApp) -> None:
    transport = make_transport(app)
    request = call("TD3.2")
    with (
        httpx.Client(transport=transport) as client,
        client.stream("POST", url_of(request), content=request.iter_bytes(), headers=request.headers) as response,
    ):
        message = read_message(response.headers["content-type"], response.iter_bytes())
    transport.close()
    assert message.envelope.payload is not None
    assert message.envelope.payload.get("td") == "TD3.2"


def test_sync_handlers_run_in_worker_threads(app: SandboxApp, client: httpx.Client) -> None:
    assert echo(post(client, call("TD3.2"))).get("thread") != "MainThread"


def test_async_handlers_run_on_the_event_loop() -> None:
    config = make_config()
    behaviour = StubBehaviour(config, tds=[])
    seen = []

    async def handler(request):  # type: ignore[no-untyped-def]
        seen.append(request.td)
        return request.respond(etree.Element("{urn:x}Async"))

    behaviour.handlers.register("TD3.2", handler)
    transport = make_transport(create_app(behaviour, config))
    with httpx.Client(transport=transport) as client:
        payload = parse_envelope(post(client, call("TD3.2")).content).payload_tag
    transport.close()
    assert (seen, payload) == (["TD3.2"], "{urn:x}Async")


# ----------------------------------------------------------------------------------------------- clock


def test_clock_set_freeze_advance_reset() -> None:
    real = dt.datetime(2030, 1, 1, tzinfo=dt.UTC)
    clock = SandboxClock(source=lambda: real)
    assert clock.now() == real
    clock.set("2019-06-26T08:08:55Z")
    assert clock.now() == dt.datetime(2019, 6, 26, 8, 8, 55, tzinfo=dt.UTC)
    clock.freeze()
    clock.advance(60)
    assert clock.now() == dt.datetime(2019, 6, 26, 8, 9, 55, tzinfo=dt.UTC)
    assert clock.frozen
    clock.unfreeze()
    assert not clock.frozen
    assert clock.reset() == real
    assert parse_instant("20190626080855") == dt.datetime(2019, 6, 26, 8, 8, 55, tzinfo=dt.UTC)
    with pytest.raises(ValueError, match="ISO 8601"):
        parse_instant("yesterday")


def test_request_time_comes_from_the_sandbox_clock() -> None:
    when = dt.datetime.now(dt.UTC) - dt.timedelta(days=400)
    config = make_config(clock=SandboxClock(when, frozen=True), check_signing_certificate=True)
    behaviour = StubBehaviour(config)
    transport = make_transport(create_app(behaviour, config))
    from platform_support import vihf

    with httpx.Client(transport=transport) as client:
        response = post(client, call("TD3.2", vihf(now=when)))
    transport.close()
    # the PKI did not exist 400 days ago: the signing certificate is not valid at the sandbox time
    assert fault_of(response).subcodes == ("DMPInvalidCertificate",)

"""httpx integration: the request body is streamed with an exact Content-Length; responses are streamed back."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path

import httpx
from lxml import etree

from dmpclient._xml import q
from dmpclient.environments import DV1, Service
from dmpclient.soap import (
    ACTIONS,
    Attachment,
    SoapRequest,
    SoapResponse,
    aread_message,
    build_request,
    build_response,
    read_message,
    response_action,
    xop_include,
)

ITI41 = ACTIONS["TD2.1"]


def _request(tmp_path: Path, provide_body: Callable[..., etree._Element]) -> SoapRequest:
    pdf = tmp_path / "doc.pdf"
    pdf.write_bytes(b"%PDF-1.7\r\n" + bytes(range(256)) * 2000 + b"\n--tail")
    atts = [Attachment.from_file(pdf, content_type="application/pdf"), Attachment.from_bytes(b"<Signature/>")]
    return build_request(
        Service.REPOSITORY, provide_body(atts), action=ITI41, to=DV1.service_url(Service.REPOSITORY), attachments=atts
    )


def _server_response(request: httpx.Request, received: bytes) -> tuple[dict[str, str], SoapResponse]:
    message = read_message(request.headers["content-type"], received)
    body = etree.Element(q("xdsb", "RetrieveDocumentSetResponse"))
    doc = etree.SubElement(body, q("xdsb", "Document"))
    echo = Attachment.from_bytes(message.parts[0].read_bytes())
    doc.append(xop_include(echo.content_id))
    response = build_response(
        body,
        action=response_action(message.envelope.action or ""),
        relates_to=message.envelope.message_id,
        attachments=[echo],
    )
    return response.headers, response


def test_sync_client_streams_the_request_with_exact_length(
    tmp_path: Path, provide_body: Callable[..., etree._Element]
) -> None:
    soap_request = _request(tmp_path, provide_body)
    seen: dict[str, object] = {}
    produced = 0

    def counting() -> Iterator[bytes]:
        nonlocal produced
        for chunk in soap_request.iter_bytes(16 * 1024):
            produced += 1
            yield chunk

    def handler(request: httpx.Request) -> httpx.Response:
        received = request.content
        seen["length"] = len(received)
        seen["headers"] = dict(request.headers)
        headers, response = _server_response(request, received)
        return httpx.Response(200, headers=headers, content=response.iter_bytes(1000))

    url = soap_request.url(DV1)
    with (
        httpx.Client(transport=httpx.MockTransport(handler)) as client,
        client.stream("POST", url, content=counting(), headers=soap_request.headers) as http_response,
    ):
        message = read_message(http_response.headers["content-type"], http_response.iter_bytes())
    assert produced > 5  # it was streamed in chunks
    assert seen["length"] == soap_request.content_length
    headers = seen["headers"]
    assert isinstance(headers, dict)
    assert headers["content-length"] == str(soap_request.content_length)
    assert headers["content-type"] == soap_request.content_type
    assert "transfer-encoding" not in headers
    assert "soapaction" not in headers
    assert message.envelope.relates_to == soap_request.message_id
    assert message.envelope.action == "urn:ihe:iti:2007:ProvideAndRegisterDocumentSet-bResponse"
    assert message.parts[0].read_bytes() == Path(soap_request.attachments[0].source).read_bytes()  # type: ignore[arg-type]


def test_async_client_round_trip(tmp_path: Path, provide_body: Callable[..., etree._Element]) -> None:
    soap_request = _request(tmp_path, provide_body)
    seen: dict[str, int] = {}

    async def handler(request: httpx.Request) -> httpx.Response:
        received = await request.aread()
        seen["length"] = len(received)
        headers, response = _server_response(request, received)

        async def stream() -> AsyncIterator[bytes]:
            async for chunk in response.aiter_bytes(777):
                yield chunk

        return httpx.Response(200, headers=headers, content=stream())

    async def main() -> None:
        async with (
            httpx.AsyncClient(transport=httpx.MockTransport(handler)) as client,
            client.stream(
                "POST", soap_request.url(DV1), content=soap_request.aiter_bytes(), headers=soap_request.headers
            ) as http_response,
        ):
            message = await aread_message(http_response.headers["content-type"], http_response.aiter_bytes())
        assert message.envelope.relates_to == soap_request.message_id
        assert message.parts[0].size == soap_request.attachments[0].size

    asyncio.run(main())
    assert seen["length"] == soap_request.content_length

"""A TD2.1 that failed after sending is never re-sent: TD3.1b on each uniqueId, then AmbiguousSubmission(found=…)."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest

from dmpclient.cda import BuiltCda
from dmpclient.client import ConnectFailed, RetryPolicy
from dmpclient.errors import AmbiguousSubmission, RegistryError, RegistryErrorItem
from dmpclient.soap import read_message
from dmpclient.transactions import repository

from .fake_dmp import FakeDMP, to_httpx
from .support import PATIENT, Harness, new_cda


def _after_sending(
    fake: FakeDMP, *, store: bool, error: Exception
) -> Callable[[httpx.Request, bytes], httpx.Response | None]:
    """On the first TD2.1: read the whole body, store it (or not), then fail like a timeout/reset."""

    def handler(request: httpx.Request, body: bytes) -> httpx.Response | None:
        if b"ProvideAndRegisterDocumentSetRequest" not in body:
            return None
        if store:
            fake.handle(read_message(request.headers["content-type"], body))
        raise error

    return handler


@pytest.mark.parametrize("error", [httpx.ReadTimeout("timed out"), httpx.RemoteProtocolError("server disconnected")])
def test_stored_despite_the_failure(
    make_client: Callable[..., Harness], mode: str, fake: FakeDMP, error: Exception
) -> None:
    docs = [new_cda(), new_cda()]
    dmp = make_client(
        mode, _after_sending(fake, store=True, error=error), retries=RetryPolicy(ambiguous_check_delay=2.5)
    )
    with pytest.raises(AmbiguousSubmission) as caught:
        dmp.submit(PATIENT, docs)
    assert caught.value.found is True
    assert caught.value.unique_ids == [d.unique_id for d in docs]
    assert caught.value.transaction == "TD2.1"
    assert caught.value.sent is True
    assert "Nothing was re-sent" in str(caught.value)
    assert fake.seen == ["TD2.1", "TD3.1b", "TD3.1b"]  # never a second TD2.1
    assert dmp.sleeps == [2.5]  # the pause before checking
    assert [x.transaction for x in dmp.exchanges] == ["TD2.1", "TD3.1b", "TD3.1b"]


def test_not_stored(make_client: Callable[..., Harness], mode: str, fake: FakeDMP, cda: BuiltCda) -> None:
    dmp = make_client(mode, _after_sending(fake, store=False, error=httpx.ReadTimeout("timed out")))
    with pytest.raises(AmbiguousSubmission) as caught:
        dmp.submit(PATIENT, [cda])
    assert caught.value.found is False
    assert [r.url.path.rsplit("/", 1)[1] for r in dmp.requests] == ["repository", "registry"]


def test_the_check_itself_fails(make_client: Callable[..., Harness], mode: str, fake: FakeDMP, cda: BuiltCda) -> None:
    def handler(request: httpx.Request, body: bytes) -> httpx.Response | None:
        if b"ProvideAndRegisterDocumentSetRequest" in body:
            raise httpx.WriteTimeout("stalled")
        raise httpx.ConnectError("down")

    dmp = make_client(mode, handler, retries=RetryPolicy(max_attempts=2, ambiguous_check_delay=0))
    with pytest.raises(AmbiguousSubmission) as caught:
        dmp.submit(PATIENT, [cda])
    assert caught.value.found is None
    assert "check failed" in str(caught.value)
    # one TD2.1, then the TD3.1b with its retry — still no second TD2.1
    assert sum(b"ProvideAndRegister" in r.content for r in dmp.requests) == 1
    assert len(dmp.requests) == 3


def test_a_truncated_answer_is_ambiguous(make_client: Callable[..., Harness], mode: str, fake: FakeDMP) -> None:
    def handler(request: httpx.Request, body: bytes) -> httpx.Response | None:
        if b"ProvideAndRegisterDocumentSetRequest" not in body:
            return None
        answer = fake.handle(read_message(request.headers["content-type"], body))
        whole = answer.body_bytes()
        headers = dict(answer.headers)
        headers["content-type"] = 'multipart/related; type="application/xop+xml"; boundary="B"; start="<r>"'
        cut = b"--B\r\nContent-Type: application/xop+xml\r\nContent-ID: <r>\r\n\r\n" + whole[: len(whole) // 2]
        headers["content-length"] = str(len(cut))
        return httpx.Response(200, headers=headers, content=cut)

    doc = new_cda()
    dmp = make_client(mode, handler)
    with pytest.raises(AmbiguousSubmission) as caught:
        dmp.submit(PATIENT, [doc])
    assert caught.value.found is True
    assert fake.seen == ["TD2.1", "TD3.1b"]
    assert dmp.exchanges[0].outcome == "transport-error"


def test_a_gateway_timeout_is_ambiguous(make_client: Callable[..., Harness], mode: str, fake: FakeDMP) -> None:
    def handler(request: httpx.Request, body: bytes) -> httpx.Response | None:
        if b"ProvideAndRegisterDocumentSetRequest" in body:
            return httpx.Response(504, headers={"content-type": "text/html"}, content=b"<h1>Gateway Timeout</h1>")
        return None

    dmp = make_client(mode, handler)
    with pytest.raises(AmbiguousSubmission) as caught:
        dmp.submit(PATIENT, [new_cda()])
    assert caught.value.found is False


def test_a_connect_error_is_not_ambiguous(make_client: Callable[..., Harness], mode: str, fake: FakeDMP) -> None:
    def handler(request: httpx.Request, body: bytes) -> httpx.Response | None:
        raise httpx.ConnectError("refused")

    dmp = make_client(mode, handler)
    with pytest.raises(ConnectFailed):
        dmp.submit(PATIENT, [new_cda()])
    assert len(dmp.requests) == 1  # no check, no retry: nothing reached the DMP


def test_a_refusal_by_the_dmp_is_not_ambiguous(make_client: Callable[..., Harness], mode: str) -> None:
    def handler(request: httpx.Request, body: bytes) -> httpx.Response | None:
        message = read_message(request.headers["content-type"], body)
        error = RegistryErrorItem("XDSRegistryMetadataError", "Le code 'DOCPAT03' ne fait pas partie du domaine")
        return to_httpx(repository.build_registry_error_response(error, request=message))

    dmp = make_client(mode, handler)
    with pytest.raises(RegistryError) as caught:
        dmp.submit(PATIENT, [new_cda()])
    assert caught.value.code == "XDSRegistryMetadataError"
    assert caught.value.transaction == "TD2.1"
    assert len(dmp.requests) == 1

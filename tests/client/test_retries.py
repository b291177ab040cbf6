"""Retries (idempotent calls, transport failures only), error mapping, HTTP statuses, redirects."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest

from dmpclient.client import (
    ConnectFailed,
    ConnectionLost,
    GatewayUnavailable,
    RedirectRefused,
    RequestTimeout,
    RetryPolicy,
    TlsHandshakeFailed,
)
from dmpclient.client._retry import IDEMPOTENT_TRANSACTIONS, is_retryable
from dmpclient.errors import ConfigurationError, DMPError, ErrorChannel, ProtocolError, SoapFaultError
from dmpclient.soap import fault_response, parse_envelope

from .support import PATIENT, Harness


def failing(*errors: Exception) -> Callable[[httpx.Request, bytes], httpx.Response | None]:
    """A handler raising the given errors on the first calls, then letting the fake answer."""
    pending = list(errors)

    def handler(request: httpx.Request, body: bytes) -> httpx.Response | None:
        if pending:
            raise pending.pop(0)
        return None

    return handler


def test_idempotent_calls_are_retried_on_transport_failures(make_client: Callable[..., Harness], mode: str) -> None:
    dmp = make_client(mode, failing(httpx.ConnectError("refused"), httpx.ReadTimeout("slow")))
    assert dmp.test_existence(PATIENT).exists
    assert len(dmp.requests) == 3
    assert len(dmp.sleeps) == 2
    assert [x.outcome for x in dmp.exchanges] == ["transport-error", "transport-error", "ok"]
    assert [x.attempt for x in dmp.exchanges] == [1, 2, 3]
    # each retry is a new message: fresh MessageID and VIHF (an AIR token is single use)
    ids = {parse_envelope(r.content).message_id for r in dmp.requests}
    assertions = {parse_envelope(r.content).assertion.get("ID") for r in dmp.requests}  # type: ignore[union-attr]
    assert len(ids) == 3
    assert len(assertions) == 3


def test_retries_stop_after_max_attempts(make_client: Callable[..., Harness], mode: str) -> None:
    errors = [httpx.ReadTimeout("slow") for _ in range(5)]
    dmp = make_client(mode, failing(*errors), retries=RetryPolicy(max_attempts=3))
    with pytest.raises(RequestTimeout) as caught:
        dmp.list_authorizations(PATIENT)
    assert caught.value.phase == "read"
    assert caught.value.transaction == "TD1.6"
    assert caught.value.url is not None
    assert caught.value.url.endswith("/habilitations")
    assert len(dmp.requests) == 3


def test_non_idempotent_calls_are_not_retried(make_client: Callable[..., Harness], mode: str) -> None:
    dmp = make_client(mode, failing(httpx.ConnectError("refused")))
    with pytest.raises(ConnectFailed) as caught:
        dmp.authorize(PATIENT)
    assert caught.value.sent is False
    assert len(dmp.requests) == 1
    assert dmp.sleeps == []


def test_soap_faults_are_not_retried(make_client: Callable[..., Harness], mode: str) -> None:
    def handler(request: httpx.Request, body: bytes) -> httpx.Response:
        fault = fault_response("Sender", "DMPInvalidCertificate", "Le certificat ayant signé le VIHF est invalide")
        return httpx.Response(500, headers=fault.headers, content=fault.body_bytes())

    dmp = make_client(mode, handler)
    with pytest.raises(SoapFaultError) as caught:
        dmp.test_existence(PATIENT)
    assert caught.value.code == "DMPInvalidCertificate"
    assert caught.value.message_fr == "Le certificat ayant signé le VIHF est invalide"
    assert caught.value.transaction == "TD0.2"
    assert caught.value.http_status == 500
    assert len(dmp.requests) == 1
    assert dmp.exchanges[0].dmp_code == "DMPInvalidCertificate"


def test_http_errors_without_soap_are_dmp_errors_of_the_http_channel(
    make_client: Callable[..., Harness], mode: str
) -> None:
    def handler(request: httpx.Request, body: bytes) -> httpx.Response:
        return httpx.Response(500, headers={"content-type": "text/html"}, content=b"<html>Maintenance</html>")

    dmp = make_client(mode, handler)
    with pytest.raises(DMPError) as caught:
        dmp.test_existence(PATIENT)
    assert caught.value.channel is ErrorChannel.HTTP
    assert caught.value.http_status == 500
    assert caught.value.code == "HTTP 500"
    assert "Maintenance" in (caught.value.message_fr or "")
    assert len(dmp.requests) == 1  # HTTP answers are never retried


def test_gateway_errors_without_soap_are_retried_for_idempotent_calls(
    make_client: Callable[..., Harness], mode: str
) -> None:
    answers = iter([503, 502])

    def handler(request: httpx.Request, body: bytes) -> httpx.Response | None:
        status = next(answers, None)
        if status is None:
            return None  # the fake DMP answers the third attempt
        return httpx.Response(status, headers={"content-type": "text/html"}, content=b"<html>Proxy</html>")

    dmp = make_client(mode, handler)
    assert dmp.test_existence(PATIENT).exists
    assert len(dmp.requests) == 3
    assert len(dmp.sleeps) == 2


def test_gateway_errors_exhaust_the_attempts_as_a_transport_error(
    make_client: Callable[..., Harness], mode: str
) -> None:
    def handler(request: httpx.Request, body: bytes) -> httpx.Response:
        return httpx.Response(503, headers={"content-type": "text/html"}, content=b"<html>Proxy</html>")

    dmp = make_client(mode, handler, retries=RetryPolicy(max_attempts=2))
    with pytest.raises(GatewayUnavailable) as caught:
        dmp.test_existence(PATIENT)
    assert caught.value.status == 503
    assert caught.value.transaction == "TD0.2"
    assert len(dmp.requests) == 2


def test_a_success_status_with_a_non_soap_body_is_a_protocol_error(
    make_client: Callable[..., Harness], mode: str
) -> None:
    dmp = make_client(mode, lambda r, b: httpx.Response(200, headers={"content-type": "text/plain"}, content=b"hi"))
    with pytest.raises(ProtocolError, match="unexpected Content-Type"):
        dmp.test_existence(PATIENT)
    assert len(dmp.requests) == 1


def test_tls_configuration_failures_are_not_retried(make_client: Callable[..., Harness], mode: str) -> None:
    error = httpx.ConnectError("[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: unable to get local issuer")
    dmp = make_client(mode, failing(error, error, error))
    with pytest.raises(TlsHandshakeFailed) as caught:
        dmp.test_existence(PATIENT)
    assert caught.value.failure is not None
    assert caught.value.failure.kind.value == "unknown-ca"
    assert len(dmp.requests) == 1


def test_retrieve_retries_after_a_reset(make_client: Callable[..., Harness], mode: str) -> None:
    from .support import new_cda

    state = {"calls": 0}
    doc = new_cda()

    def handler(request: httpx.Request, body: bytes) -> httpx.Response | None:
        state["calls"] += 1
        if b"RetrieveDocumentSetRequest" in body and state["calls"] == 2:
            raise httpx.ReadError("connection reset by peer")
        return None

    dmp = make_client(mode, handler)
    dmp.submit(PATIENT, [doc])
    assert dmp.retrieve(PATIENT, doc.unique_id).read_bytes() == doc.read_bytes()
    assert [x.transaction for x in dmp.exchanges] == ["TD2.1", "TD3.2", "TD3.2"]
    assert isinstance(dmp.exchanges[1].error, ConnectionLost)


def test_redirects_are_followed_over_https_only(make_client: Callable[..., Harness], mode: str) -> None:
    moved = "https://lps.moved.example/si-dmp-server/v2/services/patients"

    def handler(request: httpx.Request, body: bytes) -> httpx.Response | None:
        if request.url.host == "localhost":
            return httpx.Response(307, headers={"location": moved})
        return None

    dmp = make_client(mode, handler)
    assert dmp.test_existence(PATIENT).exists
    assert [str(r.url) for r in dmp.requests] == [
        "https://localhost/si-dmp-server/v2/services/patients",
        moved,
    ]
    assert dmp.requests[0].content == dmp.requests[1].content  # the same request, re-POSTed
    assert [x.outcome for x in dmp.exchanges] == ["redirect", "ok"]
    assert dmp.exchanges[0].redirect_to == moved


def test_a_redirect_to_http_is_refused(make_client: Callable[..., Harness], mode: str) -> None:
    dmp = make_client(mode, lambda r, b: httpx.Response(302, headers={"location": "http://evil.example/x"}))
    with pytest.raises(RedirectRefused, match="only HTTPS"):
        dmp.test_existence(PATIENT)
    assert len(dmp.requests) == 1


def test_redirect_loops_stop(make_client: Callable[..., Harness], mode: str) -> None:
    dmp = make_client(mode, lambda r, b: httpx.Response(308, headers={"location": "/elsewhere"}))
    with pytest.raises(RedirectRefused, match="redirects"):
        dmp.test_existence(PATIENT)
    assert len(dmp.requests) == 6


# ----------------------------------------------------------------------------------------- policy


def test_backoff_is_exponential_bounded_and_jittered() -> None:
    fixed = RetryPolicy(backoff=0.5, multiplier=2, max_backoff=3, jitter=0.5, random=lambda: 0.5)
    assert [fixed.delay(n) for n in (1, 2, 3, 4)] == [0.5, 1.0, 2.0, 3.0]
    low = RetryPolicy(backoff=1, jitter=0.5, random=lambda: 0.0)
    high = RetryPolicy(backoff=1, jitter=0.5, max_backoff=10, random=lambda: 0.999999)
    assert low.delay(1) == pytest.approx(0.5)
    assert high.delay(1) == pytest.approx(1.5, abs=1e-5)
    assert RetryPolicy(max_backoff=2, random=lambda: 0.999999).delay(10) <= 2


def test_policy_validation_and_no_retry() -> None:
    with pytest.raises(ConfigurationError):
        RetryPolicy(max_attempts=0)
    with pytest.raises(ConfigurationError):
        RetryPolicy(jitter=2)
    none = RetryPolicy.none()
    assert none.max_attempts == 1
    assert none.ambiguous_check_delay == 0
    assert not none.should_retry(ConnectFailed("x"), attempt=1, idempotent=True)


def test_what_is_idempotent_and_retryable() -> None:
    assert {"TD0.3", "TD2.1", "TD2.2", "TD3.3a", "TD3.3c"}.isdisjoint(IDEMPOTENT_TRANSACTIONS)
    assert {"TD0.2", "TD3.1", "TD3.1b", "TD3.2"} <= IDEMPOTENT_TRANSACTIONS
    assert is_retryable(RequestTimeout("t", phase="read", url=None, transaction=None, sent=True))
    assert is_retryable(TlsHandshakeFailed("x", failure=None, url=None, transaction=None))
    assert not is_retryable(RedirectRefused("x"))
    assert not is_retryable(ValueError("x"))

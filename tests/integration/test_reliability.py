"""Reliability end to end with the sandbox's fault injector: retries, ambiguous submissions, truncation, latency.

What is checked is behaviour, never durations: in-process the injector's latency sleep is recorded instead of
slept and the client's back-offs are recorded too (see ``World.client``); over mutual TLS a timeout is produced
with a latency well above a small read timeout. Every test runs in-process and over mTLS, sync and async,
except the timeout tests (an in-process transport has no socket, hence no read timeout).
"""

from __future__ import annotations

import logging

import httpx
import pytest

from dmpclient.client import ConnectionLost, GatewayUnavailable, RequestTimeout, RetryPolicy
from dmpclient.errors import AmbiguousSubmission, DMPError, SoapFaultError

from .support import PAT_TROIS, PATB_QUATRE, World

NO_RETRY = RetryPolicy.none()


def _outcomes(dmp: object) -> list[tuple[str, str]]:
    return [(e.transaction, e.outcome) for e in dmp.exchanges]  # type: ignore[attr-defined]


# ------------------------------------------------------------------------------------------ idempotent reads


def test_idempotent_call_retried_after_a_dropped_connection(world: World) -> None:
    world.faults.add_drop(transaction="TD0.2", count=1)
    dmp = world.client()
    assert dmp.test_existence(PATB_QUATRE).exists
    assert _outcomes(dmp) == [("TD0.2", "transport-error"), ("TD0.2", "ok")]
    first, second = dmp.exchanges
    assert (first.attempt, second.attempt) == (1, 2)
    assert isinstance(first.error, ConnectionLost)
    assert first.error.sent
    assert first.message_id != second.message_id  # a retry is a new message (fresh MessageID and VIHF)
    assert len(dmp.sleeps) == 1  # one back-off, recorded not slept


def test_retrieve_retried_after_a_truncated_answer(world: World) -> None:
    dmp = world.client()
    entry = dmp.find_documents(PATB_QUATRE).documents[0]
    world.faults.add_truncate(transaction="TD3.2", count=1, keep_bytes=200)
    document = dmp.retrieve(PATB_QUATRE, entry)
    assert document.sha1 == entry.hash
    assert _outcomes(dmp)[-2:] == [("TD3.2", "transport-error"), ("TD3.2", "ok")]


def test_retries_are_bounded(world: World) -> None:
    world.faults.add_drop(transaction="TD1.6", count=10)
    dmp = world.client(retries=RetryPolicy(max_attempts=3, backoff=0.01, jitter=0.0))
    with pytest.raises(ConnectionLost) as caught:
        dmp.list_authorizations(PATB_QUATRE)
    assert caught.value.transaction == "TD1.6"
    assert [e.attempt for e in dmp.exchanges] == [1, 2, 3]
    assert len(dmp.sleeps) == 2


def test_truncated_answer_is_a_typed_transport_error(world: World) -> None:
    world.faults.add_truncate(transaction="TD0.2", count=1, keep_bytes=100)
    dmp = world.client(retries=NO_RETRY)
    with pytest.raises(ConnectionLost) as caught:
        dmp.test_existence(PATB_QUATRE)
    error = caught.value
    assert error.transaction == "TD0.2"
    assert error.sent is True
    assert error.url is not None
    assert error.url.endswith("/services/patients")
    assert "received 100 bytes" in str(error)
    assert not isinstance(error.__cause__, DMPError)


# ------------------------------------------------------------------------------------------ HTTP 503


def test_http_503_proxy_page_is_a_gateway_transport_error(world: World) -> None:
    world.faults.add_http_error(503, soap_body=False, transaction="TD0.2", count=1)
    dmp = world.client(retries=NO_RETRY)
    with pytest.raises(GatewayUnavailable) as caught:
        dmp.test_existence(PATB_QUATRE)
    error = caught.value
    assert error.status == 503  # a proxy page, not the DMP: a transport error, retried for idempotent calls
    assert error.transaction == "TD0.2"
    assert _outcomes(dmp) == [("TD0.2", "transport-error")]


def test_http_503_soap_fault_is_typed_and_not_retried(world: World) -> None:
    world.faults.add_http_error(503, soap_body=True, transaction="TD0.2", count=1)
    dmp = world.client()
    with pytest.raises(SoapFaultError) as caught:
        dmp.test_existence(PATB_QUATRE)
    assert caught.value.code == "DMP_SERVER_ERROR"
    assert caught.value.message_fr == "Service temporairement indisponible"
    assert caught.value.http_status == 503
    assert len(dmp.exchanges) == 1


def test_idempotent_call_retried_after_http_503(world: World) -> None:
    world.faults.add_http_error(503, soap_body=False, transaction="TD0.2", count=1)
    dmp = world.client()
    assert dmp.test_existence(PATB_QUATRE).exists
    assert _outcomes(dmp) == [("TD0.2", "transport-error"), ("TD0.2", "ok")]


# ------------------------------------------------------------------------------------------ non-idempotent


def test_td03_is_not_retried(world: World) -> None:
    world.faults.add_drop(transaction="TD0.3", count=1, process=True)
    dmp = world.client()
    with pytest.raises(ConnectionLost) as caught:
        dmp.authorize(PAT_TROIS)
    assert caught.value.sent is True
    assert _outcomes(dmp) == [("TD0.3", "transport-error")]
    assert [a["status"] for a in world.admin.list_authorizations(PAT_TROIS.matricule)] == ["VALIDE"]  # it was done


def test_td33_is_not_retried(world: World) -> None:
    dmp = world.client()
    dmp.authorize(PAT_TROIS)
    uid = dmp.submit(PAT_TROIS, [world.cda()]).unique_id
    world.faults.add_drop(transaction="TD3.3d", count=1, process=True)
    dmp.forget()
    with pytest.raises(ConnectionLost):
        dmp.archive(PAT_TROIS, uid)
    assert _outcomes(dmp) == [("TD3.1b", "ok"), ("TD3.3d", "transport-error")]
    assert world.admin.list_documents(PAT_TROIS.matricule, unique_id=uid)[0]["status"].endswith("Archived")


# ------------------------------------------------------------------------------------------ ambiguous TD2.1


def _feed_ambiguously(world: World, **fault: object) -> tuple[AmbiguousSubmission, str, list[tuple[str, str]]]:
    dmp = world.client()
    dmp.authorize(PAT_TROIS)
    built = world.cda()
    kind = fault.pop("kind")
    getattr(world.faults, f"add_{kind}")(transaction="TD2.1", count=1, **fault)
    dmp.forget()
    with pytest.raises(AmbiguousSubmission) as caught:
        dmp.submit(PAT_TROIS, [built])
    return caught.value, built.unique_id, _outcomes(dmp)


def test_td21_dropped_after_the_sandbox_stored_it_is_found(world: World) -> None:
    error, uid, outcomes = _feed_ambiguously(world, kind="drop", process=True)
    assert error.found is True
    assert error.unique_ids == [uid]
    assert error.transaction == "TD2.1"
    assert error.sent is True
    assert isinstance(error.__cause__, ConnectionLost)
    assert outcomes == [("TD2.1", "transport-error"), ("TD3.1b", "ok")]  # checked, never re-sent
    assert len(world.admin.list_documents(PAT_TROIS.matricule, unique_id=uid)) == 1


def test_td21_dropped_before_storing_is_not_found_and_can_be_sent_again(world: World) -> None:
    error, uid, outcomes = _feed_ambiguously(world, kind="drop", process=False)
    assert error.found is False
    assert error.unique_ids == [uid]
    assert outcomes == [("TD2.1", "transport-error"), ("TD3.1b", "ok")]
    assert world.admin.list_documents(PAT_TROIS.matricule) == []


def test_td21_truncated_answer_is_checked_and_found(world: World) -> None:
    error, _uid, outcomes = _feed_ambiguously(world, kind="truncate")
    assert error.found is True
    assert outcomes == [("TD2.1", "transport-error"), ("TD3.1b", "ok")]


@pytest.mark.parametrize(("process", "found"), [(False, False), (True, True)], ids=["not-stored", "stored"])
def test_td21_gateway_503_is_ambiguous(world: World, process: bool, found: bool) -> None:
    error, _uid, outcomes = _feed_ambiguously(world, kind="http_error", status=503, soap_body=False, process=process)
    assert error.found is found
    assert [t for t, _ in outcomes] == ["TD2.1", "TD3.1b"]


def test_td21_unverifiable_when_the_check_fails_too(world: World) -> None:
    world.faults.add_drop(transaction="TD3.1b", count=10)
    error, _uid, outcomes = _feed_ambiguously(world, kind="drop", process=True)
    assert error.found is None
    assert outcomes[0] == ("TD2.1", "transport-error")
    assert {t for t, _ in outcomes[1:]} == {"TD3.1b"}
    assert len(outcomes) == 4


def test_td21_not_stored_then_resent_succeeds(world: World) -> None:
    dmp = world.client()
    dmp.authorize(PAT_TROIS)
    built = world.cda()
    world.faults.add_drop(transaction="TD2.1", count=1)
    with pytest.raises(AmbiguousSubmission) as caught:
        dmp.submit(PAT_TROIS, [built])
    assert caught.value.found is False
    assert dmp.submit(PAT_TROIS, [built]).unique_id == built.unique_id  # the same document, sent again
    assert len(world.admin.list_documents(PAT_TROIS.matricule, unique_id=built.unique_id)) == 1


# ------------------------------------------------------------------------------------------ latency


def test_latency_within_the_timeout_is_fine(world: World) -> None:
    delay = 0.05
    world.faults.add_latency(delay, transaction="TD0.2", count=1)
    dmp = world.client(timeout=httpx.Timeout(30.0))
    before = world.faults.to_dict()["injected"]
    assert dmp.test_existence(PATB_QUATRE).exists
    assert world.faults.to_dict()["injected"] == before + 1
    assert len(dmp.exchanges) == 1
    if world.mode == "inprocess":
        assert world.fault_sleeps == [delay]  # recorded by the injected sleep, not slept


@pytest.mark.parametrize("mode", ["mtls"])
def test_latency_beyond_the_read_timeout_is_a_timeout_error(world: World) -> None:
    world.faults.add_latency(2.0, transaction="TD1.6", count=1)
    dmp = world.client(retries=NO_RETRY, timeout=httpx.Timeout(10.0, read=0.25))
    with pytest.raises(RequestTimeout) as caught:
        dmp.list_authorizations(PATB_QUATRE)
    assert caught.value.phase == "read"
    assert caught.value.transaction == "TD1.6"
    assert _outcomes(dmp) == [("TD1.6", "transport-error")]


@pytest.mark.parametrize("mode", ["mtls"])
def test_idempotent_call_retried_after_a_timeout(world: World) -> None:
    world.faults.add_latency(2.0, transaction="TD1.6", count=1)
    dmp = world.client(timeout=httpx.Timeout(10.0, read=0.25))
    assert dmp.list_authorizations(PATB_QUATRE).status == "DMPOk"
    assert _outcomes(dmp) == [("TD1.6", "transport-error"), ("TD1.6", "ok")]
    assert isinstance(dmp.exchanges[0].error, RequestTimeout)


# ------------------------------------------------------------------------------------------ sandbox hygiene


def test_an_injected_drop_is_not_logged_as_a_handler_error(world: World, caplog: pytest.LogCaptureFixture) -> None:
    world.faults.add_drop(transaction="TD0.2", count=1)
    with caplog.at_level(logging.ERROR, logger="dmpclient.sandbox"):
        assert world.client().test_existence(PATB_QUATRE).exists
    assert [r.getMessage() for r in caplog.records if r.name.startswith("dmpclient.sandbox")] == []

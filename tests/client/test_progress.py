"""The client's public ``progress=`` callback: every chunk sent and received is reported."""

from __future__ import annotations

from collections.abc import Callable

from dmpclient.client import TransferProgress

from .support import PATIENT, Harness


def test_progress_reports_the_request_and_the_answer(make_client: Callable[..., Harness], mode: str) -> None:
    events: list[TransferProgress] = []
    dmp = make_client(mode, progress=events.append)
    assert dmp.test_existence(PATIENT).exists
    sent = [e for e in events if e.direction == "send"]
    received = [e for e in events if e.direction == "receive"]
    assert sent
    assert received
    assert {e.transaction for e in events} == {"TD0.2"}
    assert sent[-1].done == sent[-1].total  # the whole request body, whose size is known in advance
    assert [e.done for e in sent] == sorted(e.done for e in sent)
    assert received[-1].done > 0
    assert all(e.total is None or e.done <= e.total for e in received)

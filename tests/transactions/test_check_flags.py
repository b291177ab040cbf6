"""The ``RequestContext.check_*`` flags: on by default, off only to let tests watch the DMP refuse."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

import pytest

from dmpclient.context import AccessMode
from dmpclient.errors import NIARefused, RuleViolation
from dmpclient.ids import INS, InsOid
from dmpclient.transactions._base import RequestContext
from dmpclient.transactions.patients import build_test_existence_request
from dmpclient.transactions.pdq import PatientSearch, build_patient_search_request

NIA = INS.parse("109076322088835", InsOid.NIA)


def test_nia_refused_by_default(ctx: RequestContext) -> None:
    with pytest.raises(NIARefused) as info:
        build_test_existence_request(ctx, NIA)
    assert info.value.rule == "CNDA 0.2-080"


def test_nia_sent_when_patient_checks_are_off(ctx: RequestContext) -> None:
    request = build_test_existence_request(dataclasses.replace(ctx, check_patients=False), NIA)
    assert b"109076322088835" in request.root_bytes


def test_rights_refused_by_default_and_sent_when_off(make_ctx: Callable[..., RequestContext]) -> None:
    ctx = make_ctx()
    assert ctx.acting.access_mode is AccessMode.NORMAL  # TD0.5 is for régulation (centre 15) only
    search = PatientSearch(family="PATB-QUATRE")
    with pytest.raises(RuleViolation):
        build_patient_search_request(ctx, search)
    request = build_patient_search_request(dataclasses.replace(ctx, check_rights=False), search)
    assert b"PATB-QUATRE" in request.root_bytes

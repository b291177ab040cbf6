"""Client-side guards: each refuses before anything is sent, and lets the request through when corrected/overridden."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest

from dmpclient.cda import BuiltCda
from dmpclient.client import QUERY_AFTER_FEED_RULE, VACCINATION_RULE, GuardSettings
from dmpclient.context import ActingContext, AuthenticationMode
from dmpclient.errors import ConfigurationError, NIARefused, RuleViolation, ValidationFailed
from dmpclient.ids import INS, InsOid
from dmpclient.security.pki import TestPki
from dmpclient.terminology import INVISIBLE_PATIENT, MASQUE_PS
from dmpclient.transactions.submission import DocumentToSubmit
from dmpclient.xds.model import DocumentEntry
from dmpclient.xds.queries import GetDocuments, td3_1b
from dmpclient.xds.validation import DmpParameters

from .fake_dmp import FakeDMP
from .support import PATIENT, Clock, Harness, centre_15, cpe, new_cda, variant


def _stored(dmp: Harness, fake: FakeDMP, cda: BuiltCda) -> DocumentEntry:
    dmp.submit(PATIENT, [cda])
    dmp.forget_feeds()
    return next(s.entry for s in fake.documents if s.entry.unique_id == cda.unique_id)


# ---------------------------------------------------------------------------------------------- NIA


def test_nia_is_refused_before_sending(dmp: Harness) -> None:
    nia = INS.parse("279035121518989", InsOid.NIA)
    with pytest.raises(NIARefused) as caught:
        dmp.test_existence(nia)
    assert caught.value.rule == "CNDA 0.2-080"
    assert dmp.requests == []
    dmp.test_existence(PATIENT)
    assert len(dmp.requests) == 1


def test_a_production_ins_is_refused_in_a_test_environment(dmp: Harness) -> None:
    with pytest.raises(RuleViolation, match="not accepted in the test"):
        dmp.test_existence(INS.parse("279035121518989", InsOid.PRODUCTION))
    assert dmp.requests == []


# ------------------------------------------------------------------------------------------- rights


def test_air_cannot_feed(make_client: Callable[..., Harness], mode: str, pki: TestPki, cda: BuiltCda) -> None:
    air = pki.acting_context(AuthenticationMode.INDIRECTE_RENFORCEE)
    dmp = make_client(mode, context=air, signer=pki.signer("ej-sign"))
    with pytest.raises(RuleViolation) as caught:
        dmp.submit(PATIENT, [cda])
    assert caught.value.rule == "PDT-INF-606"
    assert dmp.requests == []
    lax = make_client(
        mode, context=air, signer=pki.signer("ej-sign"), guards=GuardSettings(rights=False, metadata=False)
    )
    lax.submit(PATIENT, [cda])  # the sandbox/DMP must refuse by itself: the client let it through
    assert len(lax.requests) == 1


def test_a_cpe_cannot_search_metadata_but_may_search_a_reference(dmp: Harness, acting: ActingContext) -> None:
    secretary = cpe(acting)
    with pytest.raises(RuleViolation, match="Rechercher les métadonnées"):
        dmp.find_documents(PATIENT, context=secretary)
    assert dmp.requests == []
    dmp.find_document_reference(PATIENT, "1.2.250.1.999.1.1.7898.3.1", context=secretary)
    assert len(dmp.requests) == 1


def test_td0_5_only_in_centre_15(dmp: Harness, acting: ActingContext) -> None:
    with pytest.raises(RuleViolation, match=r"TD0\.5"):
        dmp.search_patients(family="PAT-TROIS")
    assert dmp.requests == []


def test_td0_3_not_with_an_establishment_certificate(
    make_client: Callable[..., Harness], mode: str, pki: TestPki
) -> None:
    indirect = pki.acting_context(AuthenticationMode.INDIRECTE)
    dmp = make_client(mode, context=indirect, signer=pki.signer("ej-sign"))
    with pytest.raises(RuleViolation, match=r"TD0\.3"):
        dmp.authorize(PATIENT)
    assert dmp.requests == []
    dmp.test_existence(PATIENT)  # TD0.2 is allowed for everybody
    assert len(dmp.requests) == 1


def test_centre_15_context_is_accepted_for_td0_5(dmp: Harness, fake: FakeDMP, acting: ActingContext) -> None:
    from dmpclient.transactions import pdq

    fake.transaction_of = lambda message: "TD0.5"  # type: ignore[method-assign]
    fake.interceptor = lambda td, m: pdq.build_patient_search_response(pdq.PatientSearchResult(), request=m)
    assert len(dmp.search_patients(family="X", context=centre_15(acting))) == 0
    assert len(dmp.requests) == 1


# ---------------------------------------------------------------------------------- EX_3.1-1090


def test_no_search_right_after_a_feed(make_client: Callable[..., Harness], mode: str, cda: BuiltCda) -> None:
    clock = Clock()
    dmp = make_client(mode, clock=clock)
    dmp.submit(PATIENT, [cda])
    for attempt in (
        lambda: dmp.find_documents(PATIENT),
        lambda: dmp.query(PATIENT, GetDocuments(unique_ids=(cda.unique_id,))),
        lambda: dmp.get_document_entry(PATIENT, cda.unique_id),
        lambda: dmp.get_documents(PATIENT, [cda.unique_id]),
    ):
        with pytest.raises(RuleViolation) as caught:
            attempt()
        assert caught.value.rule == QUERY_AFTER_FEED_RULE
    assert len(dmp.requests) == 1  # only the TD2.1
    # TD3.1b is never affected
    assert dmp.find_document_reference(PATIENT, cda.unique_id).found
    assert dmp.query(PATIENT, td3_1b(cda.unique_id)).object_refs
    # an explicit user request is
    assert dmp.find_documents(PATIENT, user_initiated=True).documents
    # another patient is not concerned
    other = INS.parse("277076322082910")
    dmp.find_documents(other)
    # after the window, allowed again
    clock.advance(minutes=16)
    assert dmp.find_documents(PATIENT).documents
    assert len(dmp.requests) == 6


def test_the_after_feed_guard_can_be_switched_off(
    make_client: Callable[..., Harness], mode: str, cda: BuiltCda
) -> None:
    dmp = make_client(mode, guards=GuardSettings(query_after_feed=False))
    dmp.submit(PATIENT, [cda])
    assert dmp.find_documents(PATIENT).documents


def test_a_shorter_window(make_client: Callable[..., Harness], mode: str, cda: BuiltCda) -> None:
    clock = Clock()
    dmp = make_client(mode, clock=clock, guards=GuardSettings(query_after_feed_window=dt.timedelta(seconds=30)))
    dmp.submit(PATIENT, [cda])
    clock.advance(seconds=20)
    with pytest.raises(RuleViolation):
        dmp.find_documents(PATIENT)
    clock.advance(seconds=11)
    dmp.find_documents(PATIENT)


# ------------------------------------------------------------------------------------ query limits


def _uids(n: int) -> list[str]:
    return [f"1.2.250.1.999.1.1.7898.3.{i}" for i in range(1, n + 1)]


def test_over_limit_queries_are_batched_and_merged(dmp: Harness, fake: FakeDMP) -> None:
    docs = [new_cda() for _ in range(3)]
    dmp.submit(PATIENT, docs)
    dmp.forget_feeds()
    ids = _uids(22) + [d.unique_id for d in docs]
    result = dmp.query(PATIENT, GetDocuments(unique_ids=ids))
    assert len(dmp.requests) == 1 + 2  # the TD2.1, then 20 + 5
    assert {d.unique_id for d in result.documents} == {d.unique_id for d in docs}
    counts = [r.content.count(b"<rim:Value>") + r.content.count(b"<Value>") for r in dmp.requests[1:]]
    assert counts
    assert all(c >= 1 for c in counts)


def test_without_the_limits_guard_the_query_goes_as_given(make_client: Callable[..., Harness], mode: str) -> None:
    dmp = make_client(mode, guards=GuardSettings(query_limits=False))
    dmp.query(PATIENT, GetDocuments(unique_ids=_uids(25)))
    assert len(dmp.requests) == 1
    assert dmp.requests[0].content.count(b"1.2.250.1.999.1.1.7898.3.") == 25


def test_get_documents_batches_by_20(dmp: Harness) -> None:
    dmp.get_documents(PATIENT, _uids(45), user_initiated=True)
    assert len(dmp.requests) == 3


# ------------------------------------------------------------------------------------ confidentiality


def test_invisible_patient_cannot_be_added_back(dmp: Harness, fake: FakeDMP, cda: BuiltCda) -> None:
    entry = _stored(dmp, fake, cda)
    sent = len(dmp.requests)
    with pytest.raises(RuleViolation, match="irreversible") as caught:
        dmp.update_confidentiality(PATIENT, entry, ["N", "INVISIBLE_PATIENT"])
    assert caught.value.rule == "dmp.confidentiality.invisibleAdded"
    assert len(dmp.requests) == sent
    dmp.update_confidentiality(PATIENT, entry, ["N", "MASQUE_PS"])
    assert len(dmp.requests) == sent + 1


def test_forbidden_combination_unless_the_parameter_allows_it(
    make_client: Callable[..., Harness], mode: str, fake: FakeDMP
) -> None:
    doc = new_cda()
    dmp = make_client(mode)
    dmp.submit(PATIENT, [DocumentToSubmit.from_cda(doc, confidentiality=[INVISIBLE_PATIENT])])
    entry = fake.documents[0].entry
    before = len(dmp.requests)
    with pytest.raises(RuleViolation) as caught:
        dmp.update_confidentiality(PATIENT, entry, ["N", "INVISIBLE_PATIENT", "MASQUE_PS"])
    assert caught.value.rule == "EX_2.1-1050"
    assert len(dmp.requests) == before
    allowed = make_client(mode, parameters=DmpParameters(cumul_invisible_patient_masque_ps=True))
    allowed.update_confidentiality(PATIENT, entry, ["N", "INVISIBLE_PATIENT", "MASQUE_PS"])
    assert len(allowed.requests) == 1


def test_a_replacement_cannot_make_a_visible_document_invisible(dmp: Harness, fake: FakeDMP, cda: BuiltCda) -> None:
    entry = _stored(dmp, fake, cda)
    sent = len(dmp.requests)
    hidden = DocumentToSubmit.from_cda(new_cda(), confidentiality=[INVISIBLE_PATIENT])
    with pytest.raises(RuleViolation):
        dmp.replace(PATIENT, cda.unique_id, hidden, previous_entry=entry)
    assert len(dmp.requests) == sent
    dmp.replace(PATIENT, cda.unique_id, new_cda(), previous_entry=entry)
    assert len(dmp.requests) == sent + 2  # TD3.1b + TD2.1


# --------------------------------------------------------------------------------------- vaccination


def _vaccination_note(*codes: object) -> DocumentToSubmit:
    return DocumentToSubmit.from_cda(new_cda(type_code="87273-9", title="Note de vaccination"), confidentiality=codes)


def test_vaccination_note_is_n_only(make_client: Callable[..., Harness], mode: str) -> None:
    dmp = make_client(mode, guards=GuardSettings(metadata=False))
    with pytest.raises(RuleViolation) as caught:
        dmp.submit(PATIENT, [_vaccination_note(MASQUE_PS)])
    assert caught.value.rule == VACCINATION_RULE
    assert dmp.requests == []
    dmp.submit(PATIENT, [_vaccination_note()])
    assert len(dmp.requests) == 1


def test_vaccination_note_never_in_a_secret_connection(
    make_client: Callable[..., Harness], mode: str, acting: ActingContext
) -> None:
    dmp = make_client(mode, guards=GuardSettings(metadata=False))
    with pytest.raises(RuleViolation, match="secret connection"):
        dmp.submit(PATIENT, [_vaccination_note()], context=variant(acting, secret_connection=True))
    assert dmp.requests == []


def test_vaccination_rules_also_come_from_the_metadata_validation(dmp: Harness) -> None:
    with pytest.raises(ValidationFailed) as caught:
        dmp.submit(PATIENT, [_vaccination_note(MASQUE_PS)])
    assert any(f.rule == "dmp.vaccination.confidentiality" for f in caught.value.findings)
    assert dmp.requests == []


def test_a_vaccination_note_cannot_be_hidden(dmp: Harness, fake: FakeDMP) -> None:
    dmp.submit(PATIENT, [_vaccination_note()])
    entry = next(s.entry for s in fake.documents if s.entry.type_code and s.entry.type_code.code == "87273-9")
    with pytest.raises(RuleViolation) as caught:
        dmp.hide_from_professionals(PATIENT, entry)
    assert caught.value.rule == VACCINATION_RULE
    assert len(dmp.requests) == 1


# ---------------------------------------------------------------------------------------- size limit


def test_document_size_limit(make_client: Callable[..., Harness], mode: str, cda: BuiltCda) -> None:
    small = make_client(mode, max_document_size=1000)
    with pytest.raises(RuleViolation) as caught:
        small.submit(PATIENT, [cda])
    assert caught.value.rule == "max_document_size"
    assert small.requests == []
    unlimited = make_client(mode)
    unlimited.submit(PATIENT, [cda])
    lax = make_client(mode, max_document_size=1000, guards=GuardSettings(document_size=False))
    lax.submit(PATIENT, [new_cda()])
    assert len(unlimited.requests) == len(lax.requests) == 1


# ---------------------------------------------------------------------------------------- settings


def test_guard_settings_helpers() -> None:
    off = GuardSettings.disabled()
    assert not any((off.nia, off.rights, off.query_after_feed, off.query_limits, off.confidentiality))
    assert not any((off.vaccination, off.document_size, off.metadata))
    some = GuardSettings().without("rights", "nia")
    assert (some.rights, some.nia, some.vaccination) == (False, False, True)
    with pytest.raises(ConfigurationError):
        GuardSettings().without("query_after_feed_window")
    with pytest.raises(ConfigurationError):
        GuardSettings(query_after_feed_window=dt.timedelta(seconds=-1))

"""The PDT-INF-526 / PDT-INF-606 rights matrices as data.

The table-driven tests read the two tables of ``../shared/reference/rights-matrix.md`` (an independent
transcription of the sheets) and check every cell against :func:`check_right`; the named tests pin the
cases the CNDA and the sandbox rely on.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from dmpclient.context import AccessMode, AuthenticationMode, CardType
from dmpclient.errors import RuleViolation
from dmpclient.transactions._base import RequestContext
from dmpclient.transactions.rights import (
    MATRIX_526,
    MATRIX_606,
    NOTES_526,
    NOTES_606,
    RightsAction,
    UserProfile,
    check_right,
    require_right,
)

A = RightsAction
AIR = AuthenticationMode.INDIRECTE_RENFORCEE
NORMAL, REG, BDG = AccessMode.NORMAL, AccessMode.CENTRE_15, AccessMode.BRIS_DE_GLACE

PS = UserProfile(physician=False)
MED = UserProfile(physician=True)
MT = UserProfile(physician=True, treating_physician=True)
WORK = UserProfile(physician=True, occupational_physician=True)
CPE = UserProfile(card_type=CardType.CPE, health_professional=False)
ES = UserProfile(authentication_mode=AuthenticationMode.INDIRECTE, card_type=None, physician=True)
AIR_PS = UserProfile(authentication_mode=AIR, card_type=None)
AIR_MED = UserProfile(authentication_mode=AIR, card_type=None, physician=True)
AIR_MT = UserProfile(authentication_mode=AIR, card_type=None, physician=True, treating_physician=True)
AIR_PE = UserProfile(authentication_mode=AIR, card_type=None, health_professional=False)

COLUMNS_526 = [
    (PS, NORMAL), (PS, REG), (PS, BDG), (MED, NORMAL), (MED, REG), (MED, BDG), (WORK, NORMAL),
    (MT, NORMAL), (MT, BDG), (CPE, NORMAL), (ES, NORMAL), (ES, REG),
]  # fmt: skip
COLUMNS_606 = [
    (AIR_PS, NORMAL), (AIR_PS, REG), (AIR_PS, BDG), (AIR_MED, NORMAL), (AIR_MED, REG), (AIR_MED, BDG),
    (AIR_MT, NORMAL), (AIR_MT, BDG), (AIR_PE, NORMAL),
]  # fmt: skip


def _action(td: str, label: str) -> RightsAction:
    text = label.lower()
    if td == "TD0.3":
        return A.TD0_3_DECLARE if "déclarer" in text else A.TD0_3_REMOVE_MT if "mt" in text.split() else A.TD0_3_REMOVE
    if td == "TD3.1":
        return A.TD3_1B_SEARCH_REFERENCE if "référence" in text else A.TD3_1_SEARCH_METADATA
    if td == "TD3.2":
        for key, action in (
            ("non masqués", A.TD3_2_NOT_MASKED), ("masqués", A.TD3_2_MASKED), ("non visibles", A.TD3_2_INVISIBLE),
            ("archiv", A.TD3_2_ARCHIVED), ("obsol", A.TD3_2_DEPRECATED), ("supprim", A.TD3_2_DELETED),
        ):  # fmt: skip
            if key in text:
                return action
    if td == "TD3.3a":
        return A.TD3_3A_UNMASK if "démasquer" in text else A.TD3_3A_MASK
    if td == "TD3.3d":
        return A.TD3_3D_UNARCHIVE if "désarchiver" in text else A.TD3_3D_ARCHIVE
    return RightsAction(td)


def _rows(shared: Path, section: str) -> list[tuple[RightsAction, list[str]]]:
    """(action, cells) of a reference table; a note on the row label (TD0.0's (11)) is added to its cells."""
    text = (shared / "reference" / "rights-matrix.md").read_text(encoding="utf-8")
    body = text.split(section, 1)[1].split("\n## ", 1)[0]
    rows = []
    for line in body.splitlines():
        if not line.startswith("| TD"):
            continue
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if cells[0] == "TD":  # header row
            continue
        row_notes = "".join(f" ({n})" for n in re.findall(r"\((\d+)\)", cells[1]))
        rows.append((_action(cells[0], cells[1]), [c + row_notes if "oui" in c else c for c in cells[2:]]))
    return rows


def _expected(cell: str) -> tuple[bool, tuple[str, ...]]:
    clean = cell.replace("*", "").strip()
    allowed = clean.startswith("oui")
    return allowed, tuple(re.findall(r"\((\d+)\)", clean))


def _check_row(
    action: RightsAction, cells: list[str], columns: list[tuple[UserProfile, AccessMode]], source: str
) -> None:
    assert len(cells) == len(columns), f"{action}: {len(cells)} cells in the reference"
    problems = []
    star = action in (A.TD3_3D_ARCHIVE, A.TD3_3D_UNARCHIVE, A.TD3_3C_DELETE)
    for cell, (profile, mode) in zip(cells, columns, strict=True):
        decision = check_right(action, profile, mode)
        allowed, notes = _expected(cell)
        got_notes = tuple(n for n in decision.notes if n != "*")
        if (decision.allowed, got_notes, decision.source) != (allowed, notes, source):
            problems.append(f"{decision.column}: reference «{cell}», got {decision.cell} from {decision.source}")
        if star and allowed and "*" not in decision.notes:
            problems.append(f"{decision.column}: the patient-document note (*) is missing")
    assert not problems, f"{action}: " + "; ".join(problems)


@pytest.mark.shared
def test_every_row_of_the_reference_526_table(shared: Path) -> None:
    rows = _rows(shared, "## 1. PDT-INF-526")
    assert {a for a, _ in rows} == set(MATRIX_526) == set(RightsAction) - {A.TD0_10_WEBPS_AIR}
    for action, cells in rows:
        _check_row(action, cells, COLUMNS_526, "PDT-INF-526")


@pytest.mark.shared
def test_every_row_of_the_reference_606_table(shared: Path) -> None:
    rows = _rows(shared, "## 2. PDT-INF-606")
    assert {a for a, _ in rows} == set(MATRIX_606)
    assert set(RightsAction) - set(MATRIX_606) == {A.TD0_0_IDENTITY, A.TD0_9_WEBPS, A.TD0_3_REMOVE_MT}
    for action, cells in rows:
        _check_row(action, cells, COLUMNS_606, "PDT-INF-606")


def test_every_note_used_is_defined() -> None:
    for matrix, notes in ((MATRIX_526, NOTES_526), (MATRIX_606, NOTES_606)):
        used = {n for row in matrix.values() for cell in row.values() for n in cell.notes}
        assert used <= set(notes)


# ------------------------------------------------------------------------------------- named cases


@pytest.mark.parametrize("profile", [AIR_PS, AIR_MED, AIR_MT, AIR_PE])
@pytest.mark.parametrize("mode", [NORMAL, REG, BDG])
@pytest.mark.parametrize("action", [A.TD2_1_FEED, A.TD2_2_FEED_CPE])
def test_air_cannot_feed(profile: UserProfile, mode: AccessMode, action: RightsAction) -> None:
    decision = check_right(action, profile, mode)
    assert not decision.allowed
    assert decision.source == "PDT-INF-606"


def test_the_same_physician_can_feed_outside_air() -> None:
    assert check_right(A.TD2_1_FEED, MED, NORMAL).allowed


def test_cpe_cannot_search_metadata_but_may_find_a_reference_with_note_5() -> None:
    assert not check_right(A.TD3_1_SEARCH_METADATA, CPE).allowed
    reference = check_right(A.TD3_1B_SEARCH_REFERENCE, CPE)
    assert reference.allowed
    assert reference.notes == ("5",)
    assert reference.note is not None
    assert "reference search" in reference.note


@pytest.mark.parametrize("profile", [PS, MED, ES, AIR_PS, AIR_MED])
def test_td05_only_in_regulation(profile: UserProfile) -> None:
    assert check_right(A.TD0_5_SEARCH_WITHOUT_INS, profile, REG).allowed
    assert not check_right(A.TD0_5_SEARCH_WITHOUT_INS, profile, NORMAL).allowed
    if profile is not ES:
        assert not check_right(A.TD0_5_SEARCH_WITHOUT_INS, profile, BDG).allowed


@pytest.mark.parametrize("mode", [NORMAL, REG, BDG])
@pytest.mark.parametrize("action", [A.TD0_3_DECLARE, A.TD0_3_REMOVE, A.TD0_3_REMOVE_MT])
def test_td03_never_with_an_establishment_certificate(mode: AccessMode, action: RightsAction) -> None:
    assert not check_right(action, ES, mode).allowed


@pytest.mark.parametrize("profile", [PS, MED, MT])
def test_masked_documents_in_bris_de_glace_only_with_note_7(profile: UserProfile) -> None:
    decision = check_right(A.TD3_2_MASKED, profile, BDG)
    assert decision.allowed
    assert decision.notes == ("7",)
    assert decision.note is not None
    assert "only if the patient allowed it" in decision.note


def test_masked_documents_in_normal_mode_are_own_documents_except_for_the_mt() -> None:
    assert check_right(A.TD3_2_MASKED, MED, NORMAL).notes == ("6",)
    assert check_right(A.TD3_2_MASKED, MT, NORMAL).notes == ()
    assert not check_right(A.TD3_2_MASKED, WORK, NORMAL).allowed


def test_where_the_sheets_disagree_each_mode_follows_its_own_sheet() -> None:
    assert check_right(A.TD3_3D_ARCHIVE, MED, NORMAL).notes == ("*", "8")
    assert check_right(A.TD3_3D_ARCHIVE, AIR_MED, NORMAL).notes == ("*",)
    assert check_right(A.TD3_3A_UNMASK, MT, NORMAL).allowed
    assert check_right(A.TD3_3A_UNMASK, AIR_MT, NORMAL).notes == ()


def test_rows_absent_from_606() -> None:
    remove_mt = check_right(A.TD0_3_REMOVE_MT, AIR_MT, NORMAL)
    assert remove_mt.allowed
    assert remove_mt.source == "PDT-INF-526"
    assert remove_mt.inferred is not None
    assert "PDT-INF-526 column D" in remove_mt.inferred
    assert not check_right(A.TD0_3_REMOVE_MT, AIR_MED, NORMAL).allowed
    assert not check_right(A.TD0_9_WEBPS, AIR_MED).allowed
    assert check_right(A.TD0_10_WEBPS_AIR, AIR_MED).allowed
    assert not check_right(A.TD0_10_WEBPS_AIR, MED).allowed
    assert check_right(A.TD0_9_WEBPS, MED).allowed


def test_inferred_columns() -> None:
    mt_regulation = check_right(A.TD3_2_DELETED, MT, REG)
    assert mt_regulation.allowed
    assert mt_regulation.column == "Médecin non MT — régulation"
    assert mt_regulation.inferred is not None
    cpe_bdg = check_right(A.TD0_2_EXISTENCE, CPE, BDG)
    assert not cpe_bdg.allowed
    assert cpe_bdg.cell is None
    assert cpe_bdg.inferred is not None
    assert not check_right(A.TD0_2_EXISTENCE, ES, BDG).allowed
    assert not check_right(A.TD0_2_EXISTENCE, AIR_PE, REG).allowed
    # an occupational physician in AIR needs the 606 médecin cell AND the 526 column C
    assert check_right(A.TD3_2_NOT_MASKED, AIR_MED, NORMAL).allowed
    air_work = UserProfile(authentication_mode=AIR, card_type=None, physician=True, occupational_physician=True)
    assert not check_right(A.TD3_2_NOT_MASKED, air_work, NORMAL).allowed
    assert check_right(A.TD3_3A_MASK, air_work, NORMAL).allowed


def test_explain_names_the_action_the_column_the_sheet_and_the_restriction() -> None:
    text = check_right(A.TD3_2_MASKED, MED, BDG).explain()
    assert "TD3.2" in text
    assert "masqués" in text
    assert "Médecin non MT — bris de glace" in text
    assert "PDT-INF-526" in text
    assert "oui (7)" in text
    assert "(7)" in text.split("Restrictions:")[1]


def test_require_right_uses_the_acting_context(ctx: RequestContext, make_ctx: object) -> None:
    decision = require_right(A.TD3_1_SEARCH_METADATA, ctx.acting)
    assert decision.allowed
    with pytest.raises(RuleViolation) as info:
        require_right(A.TD0_3_REMOVE_MT, ctx.acting, treating_physician=False)
    assert info.value.rule == "PDT-INF-526"
    assert require_right(A.TD0_3_REMOVE_MT, ctx.acting, treating_physician=None).allowed
    assert require_right(A.TD0_3_REMOVE_MT, ctx.acting, treating_physician=True).allowed


def test_profile_from_context(ctx: RequestContext) -> None:
    profile = UserProfile.from_context(ctx.acting, treating_physician=True)
    assert profile == UserProfile(physician=True, treating_physician=True, card_type=CardType.CPS)

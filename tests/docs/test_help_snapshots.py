"""Snapshot test of ``dmpclient --help`` and of every subcommand's ``--help`` (issue 8).

The help of each command that exists when the test runs is rendered through click's ``CliRunner`` at a fixed
width and compared with ``tests/docs/snapshots/<command path>.txt``. A missing or stale snapshot fails with the
command and a diff. To accept the current help (after a deliberate change, or for a new command)::

    DMPCLIENT_UPDATE_SNAPSHOTS=1 python -m pytest tests/docs/test_help_snapshots.py

which rewrites the snapshots and deletes those of commands that no longer exist.
"""

from __future__ import annotations

import difflib
import os
from pathlib import Path

import pytest
from cli_docs_support import load_generator
from click.testing import CliRunner

SNAPSHOTS = Path(__file__).resolve().parent / "snapshots"
UPDATE = os.environ.get("DMPCLIENT_UPDATE_SNAPSHOTS", "") not in ("", "0")
HOW_TO_UPDATE = "DMPCLIENT_UPDATE_SNAPSHOTS=1 python -m pytest tests/docs/test_help_snapshots.py"

GEN = load_generator()
PATHS = [doc.path for doc in GEN.walk()]


def snapshot_file(path: tuple[str, ...]) -> Path:
    return SNAPSHOTS / ("_".join(("dmpclient", *path)) + ".txt")


def render_help(path: tuple[str, ...]) -> str:
    from dmpclient.cli import cli

    result = CliRunner().invoke(cli, [*path, "--help"], prog_name="dmpclient", terminal_width=GEN.WIDTH)
    assert result.exit_code == 0, f"`dmpclient {' '.join(path)} --help` exited {result.exit_code}: {result.output}"
    return result.output


def compare(path: tuple[str, ...], actual: str, expected: str | None) -> str | None:
    """None when the snapshot matches, else the failure message."""
    command = " ".join(("dmpclient", *path, "--help"))
    if expected is None:
        return f"no help snapshot for `{command}` ({snapshot_file(path).name}); create it with: {HOW_TO_UPDATE}"
    if actual == expected:
        return None
    diff = "\n".join(
        difflib.unified_diff(expected.splitlines(), actual.splitlines(), "snapshot", "current", lineterm="")
    )
    return f"the help of `{command}` changed; if intended, update with: {HOW_TO_UPDATE}\n{diff}"


@pytest.mark.parametrize("path", PATHS, ids=lambda p: " ".join(("dmpclient", *p)))
def test_help_matches_snapshot(path: tuple[str, ...]) -> None:
    actual = render_help(path)
    target = snapshot_file(path)
    if UPDATE:
        SNAPSHOTS.mkdir(exist_ok=True)
        target.write_text(actual, encoding="utf-8")
        return
    expected = target.read_text(encoding="utf-8") if target.exists() else None
    problem = compare(path, actual, expected)
    assert problem is None, problem


def test_no_snapshot_without_a_command() -> None:
    known = {snapshot_file(p).name for p in PATHS}
    orphans = sorted(f.name for f in SNAPSHOTS.glob("*.txt") if f.name not in known)
    if UPDATE:
        for name in orphans:
            (SNAPSHOTS / name).unlink()
        return
    assert not orphans, f"snapshots of commands that no longer exist: {orphans}; remove them with: {HOW_TO_UPDATE}"


def test_every_command_is_covered() -> None:
    assert () in PATHS
    assert ("ins", "check") in PATHS
    assert len(PATHS) == len(set(PATHS))


def test_rendering_does_not_depend_on_the_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "40")
    narrow = render_help(("ins", "check"))
    monkeypatch.setenv("COLUMNS", "250")
    assert render_help(("ins", "check")) == narrow


def test_compare_reports_missing_and_stale_snapshots() -> None:
    assert compare(("ins",), "a\n", "a\n") is None
    missing = compare(("ins",), "a\n", None)
    assert missing is not None
    assert "no help snapshot for `dmpclient ins --help`" in missing
    assert HOW_TO_UPDATE in missing
    stale = compare(("ins",), "new line\n", "old line\n")
    assert stale is not None
    assert "-old line" in stale
    assert "+new line" in stale

"""The rule table of docs/xds/validation.md lists every rule of the catalogue."""

from __future__ import annotations

from pathlib import Path

from dmpclient.xds.validation import RULES

DOC = Path(__file__).resolve().parents[2] / "docs" / "xds" / "validation.md"


def test_every_rule_is_documented_with_its_code() -> None:
    text = DOC.read_text(encoding="utf-8")
    rows = {line.split("|")[1].strip().strip("`"): line for line in text.splitlines() if line.startswith("| `")}
    assert set(RULES) <= set(rows)
    for rule_id, rule in RULES.items():
        assert f"`{rule.code}`" in rows[rule_id]
        assert rule.severity.value in rows[rule_id]

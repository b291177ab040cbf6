"""Run the Python snippets of the documentation that are marked as tested.

A fenced ```python block immediately preceded by a ``<!-- test -->`` line is executed, in a fresh namespace,
by this test; blocks without the marker are illustrative. A marked block must be self-contained (imports
included) and should assert what it shows, so that a page that drifts from the code fails here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import pytest

DOCS = Path(__file__).resolve().parents[2] / "docs"
MARKER = "<!-- test -->"
_FENCE_OPEN = re.compile(r"^(?P<fence>`{3,}|~{3,})\s*python\b.*$")


@dataclass(frozen=True)
class Snippet:
    """One marked block: the page, the line of its opening fence, its code."""

    page: Path
    line: int
    code: str

    @property
    def id(self) -> str:
        return f"{self.page.relative_to(DOCS)}:{self.line}"


def extract_snippets(text: str, page: Path) -> list[Snippet]:
    """The marked ```python blocks of a Markdown text (the marker line must directly precede the fence)."""
    lines = text.splitlines()
    found: list[Snippet] = []
    i = 0
    while i < len(lines):
        if lines[i].strip() == MARKER and i + 1 < len(lines):
            match = _FENCE_OPEN.match(lines[i + 1].strip())
            if match is None:
                raise ValueError(f"{page}:{i + 1}: {MARKER} must be followed by a ```python fence")
            fence = match.group("fence")
            body: list[str] = []
            j = i + 2
            while j < len(lines) and lines[j].strip() != fence:
                body.append(lines[j])
                j += 1
            if j >= len(lines):
                raise ValueError(f"{page}:{i + 2}: unclosed fence")
            found.append(Snippet(page, i + 2, "\n".join(body) + "\n"))
            i = j + 1
            continue
        i += 1
    return found


def all_snippets() -> list[Snippet]:
    snippets: list[Snippet] = []
    for page in sorted(DOCS.rglob("*.md")):
        snippets.extend(extract_snippets(page.read_text(encoding="utf-8"), page))
    return snippets


SNIPPETS = all_snippets()


def test_snippets_are_found() -> None:
    assert len(SNIPPETS) >= 5, "the docs should carry tested snippets"


@pytest.mark.parametrize("snippet", SNIPPETS, ids=lambda s: s.id)
def test_snippet_runs(snippet: Snippet) -> None:
    # Pad with blank lines so that a traceback points at the line of the page.
    code = compile("\n" * snippet.line + snippet.code, str(snippet.page), "exec")
    exec(code, {"__name__": f"docs_snippet_{snippet.line}"})


def test_extractor_reads_marked_blocks_only() -> None:
    text = "intro\n<!-- test -->\n```python\nx = 1\n```\n\n```python\ny = 2\n```\n"
    found = extract_snippets(text, DOCS / "x.md")
    assert [s.code for s in found] == ["x = 1\n"]
    assert found[0].line == 3


def test_extractor_refuses_a_marker_without_fence() -> None:
    with pytest.raises(ValueError, match="must be followed"):
        extract_snippets("<!-- test -->\ntext\n", DOCS / "x.md")


def test_a_failing_snippet_fails() -> None:
    (snippet,) = extract_snippets("<!-- test -->\n```python\nassert 1 == 2\n```\n", DOCS / "x.md")
    with pytest.raises(AssertionError):
        test_snippet_runs(snippet)

"""The troubleshooting page covers every known DMP code and French message, and every sandbox message.

Sources of truth: the sandbox's check catalogue (``dmpclient.sandbox.rules.CHECKS``) and authentication faults
(``dmpclient.sandbox.auth.AUTH_FAULTS``), the French messages of the XDS validation rules and of the VIHF
checks, and the tables of the reference ``errors.md`` (needs ``../shared``). Placeholders (``{value}`` …) are
written ``…`` on the page.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

PAGE = Path(__file__).resolve().parents[2] / "docs" / "troubleshooting.md"
_PLACEHOLDER = re.compile(r"\{[a-z_]+\}|<value>")


def page_text() -> str:
    return PAGE.read_text(encoding="utf-8")


def as_written(template: str) -> str:
    """A message template as the page writes it: placeholders become ``…``."""
    return _PLACEHOLDER.sub("…", template)


def missing(messages: list[str], text: str) -> list[str]:
    return [m for m in messages if m.strip("… ") and m not in text]


def test_placeholders_are_written_as_ellipsis() -> None:
    assert as_written("Le document {value} existe déjà") == "Le document … existe déjà"
    assert as_written("Le champ Resource_id est incorrect : <value>") == "Le champ Resource_id est incorrect : …"


def test_missing_reports_absent_messages_only() -> None:
    assert missing(["présent", "absent", "…"], "texte présent") == ["absent"]


def test_every_sandbox_check_is_on_the_page() -> None:
    from dmpclient.sandbox.rules import CHECKS

    text = page_text()
    absent = missing([as_written(c.message_fr) for c in CHECKS.values()], text)
    assert not absent, f"sandbox messages missing from docs/troubleshooting.md: {absent}"
    codes = sorted({c.code for c in CHECKS.values()} - {"DMPOk"})
    assert not [c for c in codes if f"`{c}`" not in text], "sandbox codes missing from docs/troubleshooting.md"


def test_every_sandbox_authentication_fault_is_on_the_page() -> None:
    from dmpclient.sandbox.auth import AUTH_FAULTS

    text = page_text()
    absent = missing([as_written(reason) for _, reason in AUTH_FAULTS.values()], text)
    assert not absent, f"authentication faults missing from docs/troubleshooting.md: {absent}"
    subcodes = {subcode.rpartition("}")[2] for subcode, _ in AUTH_FAULTS.values()}
    assert not [s for s in sorted(subcodes) if f"`{s}`" not in text]


def test_every_french_message_of_the_xds_rules_is_on_the_page() -> None:
    from dmpclient.xds.validation import RULES

    messages = [as_written(r.message_fr) for r in RULES.values() if r.message_fr]
    assert messages, "the XDS rules carry French messages"
    assert not missing(messages, page_text())


def _reference_rows(errors_md: str) -> list[str]:
    """First cells of the table rows of sections 2.1–2.3 of ``errors.md``."""
    section = errors_md.split("### 2.1", 1)[1].split("### 2.4", 1)[0]
    rows = [line for line in section.splitlines() if line.startswith("| ") and not line.startswith("| Code")]
    return [row.split(" | ")[0].lstrip("| ") for row in rows if not set(row) <= set("|- ")]


def reference_codes_and_messages(errors_md: str) -> tuple[list[str], list[str]]:
    codes: list[str] = []
    messages: list[str] = []
    for cell in _reference_rows(errors_md):
        codes += re.findall(r"`([^`]+)`", cell)
        messages += [as_written(m) for m in re.findall(r'"([^"]+)"', cell)]
    section_24 = errors_md.split("### 2.4", 1)[1].split("## 3.", 1)[0]
    codes += re.findall(r"`((?:XDS|Invalid|Unresolved|Unmodifiable|Local)[A-Za-z]+)`", section_24)
    return codes, messages


def test_reference_parser_reads_codes_and_messages() -> None:
    sample = (
        "### 2.1 A\n\n| Code / message (verbatim) | Cause |\n|---|---|\n"
        '| `DMPX` — "Le champ est incorrect : <value>" | c |\n'
        "### 2.4 B\n`XDSFoo`, `InvalidDocumentContent`\n## 3. C\n"
    )
    codes, messages = reference_codes_and_messages(sample)
    assert codes == ["DMPX", "XDSFoo", "InvalidDocumentContent"]
    assert messages == ["Le champ est incorrect : …"]


def test_every_code_and_message_of_the_reference_is_on_the_page(shared: Path) -> None:
    errors_md = (shared / "reference" / "errors.md").read_text(encoding="utf-8")
    codes, messages = reference_codes_and_messages(errors_md)
    assert len(codes) > 40
    assert len(messages) > 10
    text = page_text()
    assert not [c for c in codes if c not in text], "reference codes missing from docs/troubleshooting.md"
    assert not missing(messages, text), "reference messages missing from docs/troubleshooting.md"


@pytest.mark.parametrize(
    "cls",
    ["SoapFaultError", "RegistryError", "HL7AcknowledgementError", "DMPStatusError", "AmbiguousSubmission"],
)
def test_the_error_classes_named_exist(cls: str) -> None:
    import dmpclient.errors

    assert hasattr(dmpclient.errors, cls)
    assert f"`{cls}`" in page_text()

"""``docs/cli.md`` is generated from the click tree by ``tools/gen_cli_docs.py`` and must be up to date."""

from __future__ import annotations

import click
import pytest
from cli_docs_support import REPO, load_generator

GEN = load_generator()


def test_cli_reference_is_up_to_date(capsys: pytest.CaptureFixture[str]) -> None:
    status = GEN.main(["--check"])
    err = capsys.readouterr().err
    assert status == 0, f"docs/cli.md is stale; run `python tools/gen_cli_docs.py`.\n{err}"


def test_check_mode_detects_a_stale_page(tmp_path, capsys: pytest.CaptureFixture[str]) -> None:  # type: ignore[no-untyped-def]
    stale = tmp_path / "cli.md"
    stale.write_text("# CLI reference\n\nold\n", encoding="utf-8")
    assert GEN.main(["--check", "-o", str(stale)]) == 1
    assert "is stale" in capsys.readouterr().err
    assert GEN.main(["-o", str(stale)]) == 0
    assert GEN.main(["--check", "-o", str(stale)]) == 0


def test_every_command_has_a_section() -> None:
    text = (REPO / "docs" / "cli.md").read_text(encoding="utf-8")
    for doc in GEN.walk():
        assert f"`{doc.name}` {{#{doc.anchor}}}" in text


def test_generator_documents_options_arguments_and_exit_codes() -> None:
    @click.group()
    def root() -> None:
        """Root."""

    @root.command()
    @click.argument("file")
    @click.option("--level", type=int, default=3, help="How deep.")
    @click.option("--name", required=True, help="Who | what.")
    @click.option("--json", "as_json", is_flag=True, help="JSON.")
    def run(file: str, level: int, name: str, as_json: bool) -> None:
        """Run it. Exit code 1 when FILE is empty."""

    @root.command(hidden=True)
    def secret() -> None:
        """Hidden."""

    page = GEN.render(root)
    assert "`dmpclient run` {#dmpclient-run}" in page
    assert "secret" not in page
    assert "| `FILE` | argument |  | required |" in page
    assert "| `--level` | integer | `3` | How deep. |" in page
    assert "| `--name` | text |  | **required.** Who \\| what. |" in page
    assert "| `--json` | flag |  | JSON. |" in page
    assert "Exit code 1 when FILE is empty. Otherwise, the [standard exit codes](#exit-codes)." in page
    assert "Usage: dmpclient run [OPTIONS] FILE" in page

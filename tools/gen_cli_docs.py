"""Generate ``docs/cli.md``, the CLI reference, from the click command tree of ``dmpclient.cli.cli``.

Every command and subcommand that exists when the script runs is documented: its ``--help`` text (rendered
by click at a fixed width, so the output does not depend on the terminal), a table of its options and
arguments, and its exit codes. Commands registered lazily whose module is absent are not listed, exactly as
``dmpclient --help`` does::

    python tools/gen_cli_docs.py            # write docs/cli.md
    python tools/gen_cli_docs.py --check    # exit 1 when docs/cli.md is stale (used by tests/docs)
    python tools/gen_cli_docs.py -o -       # print to stdout
"""

from __future__ import annotations

import argparse
import difflib
import re
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import click

REPO = Path(__file__).resolve().parents[1]
TARGET = REPO / "docs" / "cli.md"
PROG = "dmpclient"
#: The width help is rendered at, in docs/cli.md and in the help snapshots (tests/docs/test_help_snapshots.py).
WIDTH = 100

_EXIT_SENTENCE = re.compile(r"[^.\n]*\bexit(?:s| code| codes| status)?\b[^.]*\.?", re.IGNORECASE)


@dataclass(frozen=True)
class CommandDoc:
    """One command of the tree: its path (``("ins", "check")``), the command and its click context."""

    path: tuple[str, ...]
    command: click.Command
    context: click.Context

    @property
    def name(self) -> str:
        return " ".join((PROG, *self.path))

    @property
    def anchor(self) -> str:
        return "-".join((PROG, *self.path)).lower()


def make_context(command: click.Command, name: str, parent: click.Context | None) -> click.Context:
    """A click context as ``command.make_context`` builds it, at the fixed width (no terminal size involved).

    The command's ``context_settings`` apply (the root sets ``help_option_names=["-h", "--help"]``), exactly
    as when the command runs.
    """
    settings = {**command.context_settings, "terminal_width": WIDTH}
    settings.setdefault("max_content_width", WIDTH)
    return click.Context(command, info_name=name, parent=parent, **settings)


def walk(root: click.Command | None = None) -> Iterator[CommandDoc]:
    """Every visible command, depth first, in the order ``--help`` lists them."""
    if root is None:
        from dmpclient.cli import cli

        root = cli
    yield from _walk(root, (), make_context(root, PROG, None))


def _walk(command: click.Command, path: tuple[str, ...], ctx: click.Context) -> Iterator[CommandDoc]:
    yield CommandDoc(path, command, ctx)
    if isinstance(command, click.Group):
        for name in command.list_commands(ctx):
            sub = command.get_command(ctx, name)
            if sub is None or sub.hidden:
                continue
            yield from _walk(sub, (*path, name), make_context(sub, name, ctx))


def help_text(doc: CommandDoc) -> str:
    """The ``--help`` output of a command at the fixed width."""
    return doc.command.get_help(doc.context).rstrip() + "\n"


def _cell(text: str) -> str:
    """Text for a Markdown table cell: one line, ``|`` and ``[ ]`` escaped (no accidental links)."""
    text = " ".join(text.split())
    for char in "|[]":
        text = text.replace(char, "\\" + char)
    return text


def _param_row(param: click.Parameter, ctx: click.Context) -> tuple[str, str, str, str]:
    if isinstance(param, click.Option):
        names = ", ".join(f"`{n}`" for n in (*param.opts, *param.secondary_opts))
        kind = "flag" if param.is_flag else param.type.name
        if param.multiple:
            kind += ", repeatable"
        default = ""
        value = param.get_default(ctx, call=False)
        unset = type(value).__name__ == "Sentinel"  # click ≥ 8.3 marks "no default" with a sentinel
        if param.show_default is not False and not param.is_flag and not unset and value not in (None, (), ""):
            default = "computed" if callable(value) else f"`{value}`"
        text = _cell(param.help or "")
        if param.required:
            text = "**required.** " + text
        return names, kind, default, text
    assert isinstance(param, click.Argument)
    name = f"`{param.human_readable_name}`"
    kind = "argument" + (", repeatable" if param.nargs == -1 else "")
    return name, kind, "", "required" if param.required else "optional"


def parameters_table(doc: CommandDoc) -> str:
    rows = [
        _param_row(p, doc.context)
        for p in doc.command.get_params(doc.context)
        # The help option is left out whatever click calls it (its parameter name changed in click 8.5).
        if not getattr(p, "hidden", False) and "--help" not in getattr(p, "opts", ())
    ]
    if not rows:
        return ""
    lines = ["| Parameter | Type | Default | Description |", "|---|---|---|---|"]
    lines += [f"| {a} | {b} | {c} | {d} |" for a, b, c, d in rows]
    return "\n".join(lines) + "\n"


def exit_codes(doc: CommandDoc) -> str:
    """What the command's own help says about exit codes, or the standard codes."""
    text = " ".join((doc.command.help or "").split())
    sentences = [s.strip() for s in _EXIT_SENTENCE.findall(text) if s.strip()]
    if isinstance(doc.command, click.Group) and not doc.path:
        return "see [Exit codes](#exit-codes).\n"
    if sentences:
        return " ".join(sentences) + " Otherwise, the [standard exit codes](#exit-codes).\n"
    return "the [standard exit codes](#exit-codes).\n"


def render(root: click.Command | None = None) -> str:
    """The whole Markdown page."""
    from dmpclient.cli._common import EXIT_INTERNAL, EXIT_INVALID, EXIT_OK, EXIT_TRANSPORT, EXIT_USAGE

    docs = list(walk(root))
    out: list[str] = [
        "# CLI reference",
        "",
        "<!-- Generated by tools/gen_cli_docs.py from the click command tree: do not edit by hand.",
        "     Regenerate with `python tools/gen_cli_docs.py`; tests/docs/test_cli_docs.py fails when stale. -->",
        "",
        "The `dmpclient` command is installed with the package. Every command has `--help` with examples;",
        "commands that print results accept `--json`. This page is generated from the commands themselves,",
        f"with help rendered at {WIDTH} columns.",
        "",
        "## Exit codes",
        "",
        "| Code | Meaning |",
        "|---|---|",
        f"| {EXIT_OK} | success |",
        f"| {EXIT_INVALID} | validation error, or a refusal (by a client-side guard or by the DMP) |",
        f"| {EXIT_USAGE} | usage error: unknown option, unreadable file |",
        f"| {EXIT_TRANSPORT} | transport error: network, TLS, timeout |",
        f"| {EXIT_INTERNAL} | internal error |",
        "",
        "## Commands",
        "",
        "| Command | Summary |",
        "|---|---|",
    ]
    for doc in docs[1:]:
        summary = _cell(doc.command.get_short_help_str(limit=200))
        out.append(f"| [`{doc.name}`](#{doc.anchor}) | {summary} |")
    out.append("")
    for doc in docs:
        level = "#" * min(2 + len(doc.path), 4) if doc.path else "##"
        out += [f"{level} `{doc.name}` {{#{doc.anchor}}}", "", "```text", help_text(doc).rstrip(), "```", ""]
        table = parameters_table(doc)
        if table:
            out += [table]
        out += [f"**Exit codes**: {exit_codes(doc)}"]
    return "\n".join(out).rstrip() + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--check", action="store_true", help="only compare; exit 1 when docs/cli.md is stale")
    parser.add_argument("-o", "--output", default=str(TARGET), help="where to write ('-' for stdout)")
    args = parser.parse_args(argv)
    text = render()
    target = Path(args.output)
    if args.check:
        current = target.read_text(encoding="utf-8") if target.exists() else ""
        if current == text:
            return 0
        diff = difflib.unified_diff(current.splitlines(), text.splitlines(), str(target), "generated", lineterm="", n=1)
        sys.stderr.write(f"{target} is stale: run `python tools/gen_cli_docs.py`\n")
        sys.stderr.write("\n".join(list(diff)[:60]) + "\n")
        return 1
    if args.output == "-":
        sys.stdout.write(text)
    else:
        target.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

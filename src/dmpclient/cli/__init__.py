"""The ``dmpclient`` command line.

Commands live in one module each under ``dmpclient.cli`` and are loaded lazily, so that ``dmpclient
--help`` stays fast and a command's heavy imports (lxml schemas, saxonche, httpx) happen only when it runs.

Exit codes (every command): 0 success, 1 validation error or business refusal, 2 usage error (also an
unreadable input file or a missing/inconsistent configuration), 3 transport error (network, TLS, timeout),
4 internal error. With ``--json`` a usage error is printed as JSON on stdout too. The conventions are in
``docs/client/cli.md`` and ``dmpclient.cli._common``.
"""

from __future__ import annotations

import importlib
import importlib.util
from typing import Any, Final

import click

from dmpclient import __version__

__all__ = ["LAZY_COMMANDS", "cli", "main"]

#: command name → ("module", "attribute", "one-line help"). A command whose module is absent is not listed.
LAZY_COMMANDS: Final[dict[str, tuple[str, str, str]]] = {
    "ins": ("dmpclient.cli.ins", "ins", "Check and convert INS identifiers."),
    "terminology": ("dmpclient.cli.terminology", "terminology", "Show and update the DMP value sets."),
    "xds": ("dmpclient.cli.xds", "xds", "Parse and validate XDS metadata messages."),
    "cda": ("dmpclient.cli.cda", "cda", "Build, validate and render CI-SIS CDA documents."),
    "pki": ("dmpclient.cli.pki", "pki", "Create a local test PKI shaped like IGC-Santé."),
    "vihf": ("dmpclient.cli.vihf", "vihf", "Decode and check VIHF tokens."),
    "xades": ("dmpclient.cli.xades", "xades", "Verify XAdES submission-set signatures."),
    "inspect": ("dmpclient.cli.inspect", "inspect_command", "Explain a captured DMP exchange."),
    "exists": ("dmpclient.cli.transactions", "exists", "TD0.2: test whether a patient has a DMP."),
    "authorize": ("dmpclient.cli.transactions", "authorize", "TD0.3: declare or remove your authorisation."),
    "patients": ("dmpclient.cli.transactions", "patients", "TD0.4: list the DMPs you are authorised on."),
    "authorizations": ("dmpclient.cli.transactions", "authorizations", "TD1.6: list authorisations on a DMP."),
    "submit": ("dmpclient.cli.transactions", "submit", "TD2.1: submit documents to a DMP."),
    "find": ("dmpclient.cli.transactions", "find", "TD3.1: search documents."),
    "get": ("dmpclient.cli.transactions", "get", "TD3.2: retrieve a document."),
    "hide": ("dmpclient.cli.transactions", "hide", "TD3.3a: hide a document from professionals."),
    "unhide": ("dmpclient.cli.transactions", "unhide", "TD3.3a: show a hidden document to professionals."),
    "archive": ("dmpclient.cli.transactions", "archive", "TD3.3d: archive a document."),
    "unarchive": ("dmpclient.cli.transactions", "unarchive", "TD3.3d: unarchive a document."),
    "delete": ("dmpclient.cli.transactions", "delete", "TD3.3c: delete a document."),
    "sandbox": ("dmpclient.cli.sandbox", "sandbox", "Run the embedded DMP sandbox."),
    "demo": ("dmpclient.cli.demo", "demo", "Run a feed-and-consult story against the embedded sandbox."),
    "scenario": ("dmpclient.cli.scenario", "scenario", "Run homologation scenarios and write evidence."),
}


_JSON_KEY: Final = "dmpclient.json"


class LazyGroup(click.Group):
    """A click group whose subcommands are imported on first use; usage errors become JSON under ``--json``."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        words = args[: args.index("--")] if "--" in args else args
        ctx.meta[_JSON_KEY] = "--json" in words
        return super().parse_args(ctx, args)

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except click.UsageError as exc:
            if not ctx.meta.get(_JSON_KEY):
                raise
            from dmpclient.cli._common import print_json

            command = exc.ctx.command_path if exc.ctx is not None else ctx.command_path
            print_json(
                {
                    "ok": False,
                    "error": exc.format_message(),
                    "exit_code": exc.exit_code,
                    "details": {"type": type(exc).__name__, "command": command},
                }
            )
            raise SystemExit(exc.exit_code) from None

    def list_commands(self, ctx: click.Context) -> list[str]:
        names = set(super().list_commands(ctx))
        names.update(name for name, (module, _, _) in LAZY_COMMANDS.items() if _module_exists(module))
        return sorted(names)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        command = super().get_command(ctx, cmd_name)
        if command is not None:
            return command
        entry = LAZY_COMMANDS.get(cmd_name)
        if entry is None or not _module_exists(entry[0]):
            return None
        module = importlib.import_module(entry[0])
        found: Any = getattr(module, entry[1])
        if not isinstance(found, click.Command):  # pragma: no cover - programming error
            raise TypeError(f"{entry[0]}.{entry[1]} is not a click command")
        return found

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        # Use the one-line help of the registry so that --help does not import every command.
        rows = []
        for name in self.list_commands(ctx):
            if name in LAZY_COMMANDS:
                rows.append((name, LAZY_COMMANDS[name][2]))
            else:
                cmd = super().get_command(ctx, name)
                if cmd is not None and not cmd.hidden:
                    rows.append((name, cmd.get_short_help_str()))
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)


def _module_exists(name: str) -> bool:
    try:
        return importlib.util.find_spec(name) is not None
    except ModuleNotFoundError:  # pragma: no cover - parent package missing
        return False


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="dmpclient")
def cli() -> None:
    """dmpclient — feed and consult the French DMP (Dossier Médical Partagé).

    \b
    Common options (every command):
      --json            one JSON object on stdout, errors included:
                        {"ok": false, "error": ..., "exit_code": N, "details": {...}}
      -v, --verbose     more detail (repeatable); the traceback of an internal error
    Commands that talk to a DMP (exists, authorize, patients, authorizations, submit,
    find, get, hide, unhide, archive, unarchive, delete, scenario run):
      --env NAME        sandbox, dv1, de2, df1, production, or one named in the configuration
      --config FILE     TOML configuration (default: $DMPCLIENT_CONFIG, else ./dmpclient.toml)
      --evidence DIR    write every exchange as files
    Same thing, same name: --pki DIR, --trust PEM, --at TIME|issue-instant, -o/--out FILE.
    Secrets (PKCS#12 passwords, card PINs) come from environment variables or a hidden
    prompt, never from options. Progress bars go to stderr, only on a terminal, never
    with --json.

    \b
    Exit codes:
      0  ok
      1  validation error, or refusal by a client guard or by the DMP
      2  usage error: bad option or argument, unreadable input file, missing or
         inconsistent configuration
      3  transport error: network, TLS, timeout, ambiguous submission
      4  internal error (a bug: run again with -v and report it)

    \b
    Examples:
      dmpclient ins check 277076322082910
      dmpclient demo
      dmpclient find 279035121518989 --env dv1 --config ./dmpclient.toml
      dmpclient submit 279035121518989 ./history/ --rate 4/s --json
      dmpclient COMMAND --help
    """


def main() -> None:
    """Console-script entry point."""
    cli(prog_name="dmpclient")

"""Shared helpers of the CLI commands: the common options, output (rich or JSON), error → exit code mapping,
progress bars, rate limiting and secrets.

Conventions every command follows (``docs/client/cli.md``):

* ``--json`` prints one JSON object on stdout with a boolean ``ok``; an error is
  ``{"ok": false, "error": "…", "exit_code": N, "details": {…}}``. Human output goes to stdout, human errors to
  stderr.
* ``-v/--verbose`` (repeatable) adds detail; on an internal error it prints the traceback.
* Commands that talk to a DMP take ``--env NAME`` and ``--config FILE`` (:func:`connection_options`); offline
  commands that depend on the environment kind take ``--env NAME|KIND`` (:data:`env_kind_option`).
* Same thing, same option: ``--pki DIR``, ``--trust PEM``, ``--at TIME|issue-instant``, ``-o/--out FILE``.
* Secrets never come from options: environment variables or a hidden prompt (:func:`secret`).
* Exit codes: :data:`EXIT_OK` 0, :data:`EXIT_INVALID` 1 (validation error, refusal by a guard or by the DMP),
  :data:`EXIT_USAGE` 2 (bad options, unreadable input file, missing or inconsistent configuration),
  :data:`EXIT_TRANSPORT` 3 (network, TLS, timeout, ambiguous submission), :data:`EXIT_INTERNAL` 4 (a bug).
* Progress bars go to stderr, only when stderr is a terminal and ``--json`` is off (:func:`progress_wanted`).
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import os
import re
import ssl
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, Final, Literal, NoReturn, ParamSpec, TypeVar

import click
from rich.console import Console
from rich.markup import escape

from dmpclient.errors import (
    ConfigurationError,
    DMPClientError,
    DMPError,
    Finding,
    InputError,
    ProtocolError,
    TransportError,
    ValidationFailed,
    XMLError,
)

__all__ = [
    "AT_METAVAR",
    "EXIT_CODES",
    "EXIT_INTERNAL",
    "EXIT_INVALID",
    "EXIT_OK",
    "EXIT_TRANSPORT",
    "EXIT_USAGE",
    "Bar",
    "RateLimiter",
    "at_option",
    "config_option",
    "connection_options",
    "console",
    "env_kind_option",
    "env_option",
    "err_console",
    "evidence_option",
    "exit_code_for",
    "fail",
    "handle_errors",
    "json_option",
    "load_trust",
    "out_option",
    "parse_at",
    "parse_rate",
    "pki_option",
    "print_findings",
    "print_json",
    "print_table",
    "progress_wanted",
    "resolve_env_kind",
    "secret",
    "stderr_is_terminal",
    "trust_options",
    "verbose_option",
]

EXIT_OK: Final = 0
EXIT_INVALID: Final = 1
EXIT_USAGE: Final = 2
EXIT_TRANSPORT: Final = 3
EXIT_INTERNAL: Final = 4

#: The documented exit codes (root ``--help``, ``docs/client/cli.md``).
EXIT_CODES: Final[dict[int, str]] = {
    EXIT_OK: "ok",
    EXIT_INVALID: "validation error, or refusal by a client guard or by the DMP",
    EXIT_USAGE: "usage error: bad option or argument, unreadable input file, missing or inconsistent configuration",
    EXIT_TRANSPORT: "transport error: network, TLS, timeout, ambiguous submission",
    EXIT_INTERNAL: "internal error (a bug: run again with -v for the traceback and report it)",
}

console = Console(highlight=False, soft_wrap=True)
err_console = Console(stderr=True, highlight=False, soft_wrap=True)

P = ParamSpec("P")
R = TypeVar("R")
F = TypeVar("F", bound=Callable[..., Any])


# ------------------------------------------------------------------------------------------ options

json_option = click.option(
    "--json", "as_json", is_flag=True, help="Machine-readable JSON on stdout (errors too); no progress bar."
)
verbose_option = click.option(
    "-v", "--verbose", count=True, help="More detail (repeat for more); the traceback of an internal error."
)

env_option = click.option(
    "--env",
    "env",
    default=None,
    metavar="NAME",
    help="Environment: sandbox, dv1, de2, df1, production, or one named in the configuration "
    "(default: the configuration's).",
)
config_option = click.option(
    "--config",
    "config",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    metavar="FILE",
    help="Client configuration (TOML). Default: $DMPCLIENT_CONFIG, else ./dmpclient.toml.",
)
evidence_option = click.option(
    "--evidence",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    metavar="DIR",
    help="Write every exchange (all MIME parts, headers, timings) into this folder.",
)


def connection_options(func: F) -> F:
    """``--env``, ``--config``, ``--evidence``, ``-v/--verbose``, ``--json``: the options of a command that talks to
    a DMP (keywords ``env``, ``config``, ``evidence``, ``verbose``, ``as_json``)."""
    func = json_option(func)
    func = verbose_option(func)
    func = evidence_option(func)
    func = config_option(func)
    return env_option(func)


def out_option(help: str, *, required: bool = False) -> Callable[[F], F]:
    """``-o/--out FILE`` (keyword ``output``)."""
    return click.option(
        "-o",
        "--out",
        "output",
        type=click.Path(dir_okay=False, path_type=Path),
        required=required,
        metavar="FILE",
        help=help,
    )


def pki_option(help: str, *, required: bool = False, exists: bool = True, name: str = "pki_dir") -> Callable[[F], F]:
    """``--pki DIR``: a test PKI made by ``dmpclient pki init``."""
    return click.option(
        "--pki",
        name,
        required=required,
        type=click.Path(file_okay=False, exists=exists, path_type=Path),
        metavar="DIR",
        help=help,
    )


def trust_options(func: F) -> F:
    """``--trust PEM`` (repeatable) and ``--pki DIR`` (keywords ``trust``, ``trust_pki``); see :func:`load_trust`."""
    func = pki_option("Trust the CAs (and CRLs) of a test PKI made by 'dmpclient pki init'.", name="trust_pki")(func)
    return click.option(
        "--trust",
        "trust",
        multiple=True,
        type=click.Path(dir_okay=False, exists=True, path_type=Path),
        metavar="PEM",
        help="PEM bundle: self-signed certificates are anchors, others intermediates (repeatable). "
        "Without --trust/--pki the chain is not checked.",
    )(func)


def load_trust(trust: tuple[Path, ...], trust_pki: Path | None) -> Any:
    """The ``TrustStore`` of ``--trust`` / ``--pki`` (None when neither is given)."""
    from dmpclient.security.certificates import TrustStore
    from dmpclient.security.pki import TestPki

    if trust_pki is not None:
        store = TestPki.load(trust_pki).trust_store()
        if trust:
            extra = TrustStore.from_bundle(list(trust))
            store = TrustStore(
                (*store.anchors, *extra.anchors), (*store.intermediates, *extra.intermediates), store.crls
            )
        return store
    return TrustStore.from_bundle(list(trust)) if trust else None


#: The metavar of every ``--at``.
AT_METAVAR: Final = "TIME|issue-instant"
_OWN_DATE_WORDS: Final = frozenset({"issue-instant", "issue", "own-date", "signing-time"})


def parse_at(value: str | None) -> dt.datetime | Literal["issue-instant", "now"] | None:
    """An ``--at`` value: None (not given), ``"now"``, ``"issue-instant"`` (each artefact's own date: the VIHF
    IssueInstant, the XAdES SigningTime; aliases ``issue``, ``signing-time``, ``own-date``), or an aware datetime
    (ISO 8601; naive = UTC). Raises ``click.BadParameter`` (exit 2) otherwise."""
    if value is None:
        return None
    word = value.strip().lower()
    if word == "now":
        return "now"
    if word in _OWN_DATE_WORDS:
        return "issue-instant"
    try:
        parsed = dt.datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        raise click.BadParameter(
            f"{value!r} is neither an ISO 8601 date/time, 'now' nor 'issue-instant'", param_hint="--at"
        ) from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)


def at_option(default_text: str) -> Callable[[F], F]:
    """``--at TIME|issue-instant`` (keyword ``at``, a string checked by :func:`parse_at`)."""
    return click.option(
        "--at",
        "at",
        default=None,
        metavar=AT_METAVAR,
        help="Check certificates and validity windows as of this ISO 8601 time (naive = UTC), 'now', or "
        "'issue-instant' for each artefact's own date (VIHF IssueInstant, XAdES SigningTime). "
        f"Default: {default_text}.",
    )


def resolve_env_kind(value: str) -> Any:
    """An :class:`~dmpclient.ids.EnvironmentKind` from a preset name (``dv1`` → test) or a kind (``test``)."""
    from dmpclient.environments import PRESETS
    from dmpclient.ids import EnvironmentKind

    name = value.strip().lower()
    if name in PRESETS:
        return PRESETS[name].kind
    try:
        return EnvironmentKind(name)
    except ValueError:
        choices = ", ".join([*PRESETS, *(k.value for k in EnvironmentKind if k.value not in PRESETS)])
        raise click.BadParameter(f"{value!r} is not one of {choices}", param_hint="--env") from None


def _env_kind_callback(ctx: click.Context, param: click.Parameter, value: str | None) -> Any:
    return None if value is None else resolve_env_kind(value)


def env_kind_option(default: str | None, help: str) -> Callable[[F], F]:
    """``--env NAME|KIND`` of an offline command (keyword ``environment``, an ``EnvironmentKind`` or None)."""
    return click.option(
        "--env",
        "environment",
        default=default,
        show_default=default is not None,
        metavar="NAME|KIND",
        callback=_env_kind_callback,
        help=help + " NAME: sandbox, dv1, de2, df1, production; or KIND: test, production.",
    )


# ------------------------------------------------------------------------------------------- output


def print_json(data: Any) -> None:
    """Write ``data`` as indented JSON on stdout (non-ASCII kept readable)."""
    sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=2, default=str) + "\n")
    sys.stdout.flush()


def print_findings(findings: list[Finding]) -> None:
    """Human-readable list of findings, errors in red, warnings in yellow."""
    if not findings:
        console.print("[green]no findings[/green]")
        return
    colours = {"error": "red", "warning": "yellow", "info": "cyan"}
    for f in findings:
        colour = colours.get(f.severity.value, "white")
        # Texts are escaped: "[rule: …]" or an XPath "[1]" would otherwise be eaten as rich markup.
        where = f" [dim]{escape(f.location)}[/dim]" if f.location else ""
        code = f" ({escape(f.code)})" if f.code else ""
        console.print(f"[{colour}]{f.severity.value}[/{colour}]{code}{where}: {escape(f.message)}", markup=True)
        if f.message_fr:
            console.print(f"    « {f.message_fr} »", markup=False)


def print_table(table: Any) -> None:
    """Print a rich table on stdout: fitted to a terminal, never cut when stdout is a pipe or a file."""
    if console.is_terminal:
        console.print(table)
        return
    from rich.measure import Measurement

    needed = Measurement.get(console, console.options.update_width(100_000), table).maximum
    Console(file=sys.stdout, width=max(console.width, needed), highlight=False, soft_wrap=True).print(table)


# ------------------------------------------------------------------------------------ errors → codes


def exit_code_for(exc: BaseException) -> int:
    """Map an exception to the documented exit code."""
    if isinstance(exc, TransportError):
        return EXIT_TRANSPORT
    if isinstance(exc, ConfigurationError):
        return EXIT_USAGE
    if isinstance(exc, InputError | ValidationFailed | DMPError | XMLError | ProtocolError | DMPClientError):
        return EXIT_INVALID
    if isinstance(exc, ConnectionError | TimeoutError | ssl.SSLError):
        return EXIT_TRANSPORT
    if isinstance(exc, OSError):
        return EXIT_USAGE
    return EXIT_INTERNAL


def fail(message: str, code: int = EXIT_INVALID, *, as_json: bool = False, data: Any = None) -> NoReturn:
    """Print an error (stderr, or JSON ``{"ok": false, "error", "exit_code", "details"}`` on stdout) and exit."""
    if as_json:
        print_json({"ok": False, "error": message, "exit_code": code, "details": data if data is not None else {}})
    else:
        err_console.print(f"[red]error:[/red] {escape(message)}", markup=True)
        hint = data.get("hint") if isinstance(data, dict) else None
        if hint and hint not in message:
            err_console.print(f"  hint: {escape(str(hint))}", markup=True)
    raise SystemExit(code)


def _error_details(exc: DMPClientError) -> dict[str, Any]:
    details: dict[str, Any] = {"type": type(exc).__name__}
    for attr in ("field", "value", "rule", "hint", "code", "message_fr", "transaction", "http_status", "location"):
        if hasattr(exc, attr) and getattr(exc, attr) is not None:
            details[attr] = getattr(exc, attr)
    if isinstance(exc, ValidationFailed):
        details["findings"] = [f.to_dict() for f in exc.findings]
    return details


def _os_error_message(exc: OSError) -> str:
    if exc.filename:
        return f"{exc.strerror or exc}: {exc.filename}"
    return str(exc) or type(exc).__name__


def handle_errors(func: Callable[P, R]) -> Callable[P, R]:
    """Decorator: turn exceptions into a clear message and the documented exit code.

    Library errors → 1, 2 (configuration) or 3 (transport); ``OSError`` → 2 (an unreadable or unwritable file) or
    3 (connection, timeout, TLS); anything else → 4 with the traceback under ``-v``. Click's own exceptions and
    ``SystemExit`` pass through. The wrapped command should take ``as_json`` (JSON errors) and ``verbose``.
    """

    @functools.wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        as_json = bool(kwargs.get("as_json", False))
        try:
            return func(*args, **kwargs)
        except (click.exceptions.ClickException, click.exceptions.Exit, click.exceptions.Abort):
            raise
        except DMPClientError as exc:
            fail(str(exc), exit_code_for(exc), as_json=as_json, data=_error_details(exc))
        except OSError as exc:
            data = {"type": type(exc).__name__}
            if exc.filename:
                data["file"] = str(exc.filename)
            fail(_os_error_message(exc), exit_code_for(exc), as_json=as_json, data=data)
        except Exception as exc:
            if kwargs.get("verbose") and not as_json:
                err_console.print_exception()
            fail(
                f"internal error: {type(exc).__name__}: {exc}",
                EXIT_INTERNAL,
                as_json=as_json,
                data={"type": type(exc).__name__, "hint": "a bug in dmpclient: run again with -v and report it"},
            )

    return wrapper


# ------------------------------------------------------------------------------------------ secrets


def secret(variable: str, label: str, *, default: str | None = None) -> str:
    """A secret from the environment variable ``variable``, else a hidden prompt on a terminal, else ``default``.

    Secrets are never taken from command-line options (they would land in shell histories and process lists).

    Raises:
        ConfigurationError: no value, no terminal and no default (exit code 2).
    """
    value = os.environ.get(variable)
    if value:
        return value
    if default is not None:
        return default
    if sys.stdin.isatty():
        answer: str = click.prompt(f"{label} (${variable} is not set)", hide_input=True, err=True)
        if answer:
            return answer
    raise ConfigurationError(
        f"the {label} is read from the environment variable {variable}, which is not set",
        field=variable,
        value=None,
        rule="secrets from environment variables or a prompt only",
    )


# ------------------------------------------------------------------------------------------ progress


def stderr_is_terminal() -> bool:
    """Whether stderr is a terminal (tests replace this function)."""
    return bool(err_console.is_terminal)


def progress_wanted(as_json: bool) -> bool:
    """Progress bars only for people: never with ``--json``, never when stderr is not a terminal."""
    return not as_json and stderr_is_terminal()


class Bar:
    """A rich progress bar on stderr, or nothing (``enabled=False``); ``kind`` is ``"items"`` or ``"bytes"``."""

    def __init__(self, enabled: bool, description: str, total: float | None = None, *, kind: str = "items") -> None:
        self.enabled = enabled
        self._progress: Any = None
        self._task: Any = None
        if not enabled:
            return
        from rich import progress as rp

        columns: list[Any] = [rp.TextColumn("{task.description}"), rp.BarColumn()]
        if kind == "bytes":
            columns += [rp.DownloadColumn(), rp.TransferSpeedColumn(), rp.TimeRemainingColumn()]
        else:
            columns += [rp.MofNCompleteColumn(), rp.TimeElapsedColumn(), rp.TimeRemainingColumn()]
        self._progress = rp.Progress(*columns, console=err_console, transient=False)
        self._task = self._progress.add_task(description, total=total)

    def start(self) -> Bar:
        if self._progress is not None:
            self._progress.start()
        return self

    def advance(self, amount: float = 1) -> None:
        if self._progress is not None:
            self._progress.advance(self._task, amount)

    def update(
        self, *, description: str | None = None, total: float | None = None, completed: float | None = None
    ) -> None:
        if self._progress is not None:
            fields: dict[str, Any] = {}
            if description is not None:
                fields["description"] = description
            if total is not None:
                fields["total"] = total
            if completed is not None:
                fields["completed"] = completed
            self._progress.update(self._task, **fields)

    def stop(self) -> None:
        if self._progress is not None:
            self._progress.stop()
            self._progress = None

    def __enter__(self) -> Bar:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


# ---------------------------------------------------------------------------------------- rate limit

_RATE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(?:/\s*(s|sec|second|m|min|minute|h|hour))?\s*$", re.IGNORECASE)
_PER = {"s": 1.0, "sec": 1.0, "second": 1.0, "m": 60.0, "min": 60.0, "minute": 60.0, "h": 3600.0, "hour": 3600.0}


def parse_rate(value: str, param_hint: str = "--rate") -> float:
    """``"4"``, ``"4/s"``, ``"120/min"``, ``"3000/h"`` → operations per second (> 0)."""
    match = _RATE.match(value)
    if match is None:
        raise click.BadParameter(f"{value!r}: expected N/s, N/min or N/h (N > 0)", param_hint=param_hint)
    per_second = float(match.group(1)) / _PER[(match.group(2) or "s").lower()]
    if per_second <= 0:
        raise click.BadParameter(f"{value!r}: the rate must be positive", param_hint=param_hint)
    return per_second


class RateLimiter:
    """Spaces calls at least ``1 / per_second`` seconds apart (the first call does not wait)."""

    def __init__(
        self,
        per_second: float,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.interval = 1.0 / per_second
        self._clock = clock
        self._sleep = sleep
        self._next: float | None = None

    def wait(self) -> float:
        """Block until the next call is allowed; return the time waited (seconds)."""
        now = self._clock()
        waited = 0.0
        if self._next is not None and now < self._next:
            waited = self._next - now
            self._sleep(waited)
            now = self._next
        self._next = now + self.interval
        return waited

"""Shared helpers of the CLI commands: output (rich or JSON), error → exit code mapping, common options."""

from __future__ import annotations

import functools
import json
import sys
from collections.abc import Callable
from typing import Any, Final, NoReturn, ParamSpec, TypeVar

import click
from rich.console import Console
from rich.markup import escape

from dmpclient.errors import (
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
    "EXIT_INTERNAL",
    "EXIT_INVALID",
    "EXIT_OK",
    "EXIT_TRANSPORT",
    "EXIT_USAGE",
    "console",
    "err_console",
    "exit_code_for",
    "fail",
    "handle_errors",
    "json_option",
    "print_findings",
    "print_json",
    "verbose_option",
]

EXIT_OK: Final = 0
EXIT_INVALID: Final = 1
EXIT_USAGE: Final = 2
EXIT_TRANSPORT: Final = 3
EXIT_INTERNAL: Final = 4

console = Console(highlight=False, soft_wrap=True)
err_console = Console(stderr=True, highlight=False, soft_wrap=True)

P = ParamSpec("P")
R = TypeVar("R")

json_option = click.option("--json", "as_json", is_flag=True, help="Machine-readable JSON on stdout.")
verbose_option = click.option("-v", "--verbose", count=True, help="More detail (repeat for more).")


def print_json(data: Any) -> None:
    """Write ``data`` as indented JSON on stdout (non-ASCII kept readable)."""
    sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=2, default=str) + "\n")


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


def exit_code_for(exc: BaseException) -> int:
    """Map an exception to the documented exit code."""
    if isinstance(exc, TransportError):
        return EXIT_TRANSPORT
    if isinstance(exc, InputError | ValidationFailed | DMPError | XMLError | ProtocolError | DMPClientError):
        return EXIT_INVALID
    return EXIT_INTERNAL


def fail(message: str, code: int = EXIT_INVALID, *, as_json: bool = False, data: Any = None) -> NoReturn:
    """Print an error (stderr, or JSON on stdout) and exit with ``code``."""
    if as_json:
        payload = {"ok": False, "error": message}
        if data is not None:
            payload["details"] = data
        print_json(payload)
    else:
        err_console.print(f"[red]error:[/red] {escape(message)}", markup=True)
    raise SystemExit(code)


def _error_details(exc: DMPClientError) -> dict[str, Any]:
    details: dict[str, Any] = {"type": type(exc).__name__}
    for attr in ("field", "value", "rule", "hint", "code", "message_fr", "transaction", "http_status", "location"):
        if hasattr(exc, attr) and getattr(exc, attr) is not None:
            details[attr] = getattr(exc, attr)
    if isinstance(exc, ValidationFailed):
        details["findings"] = [f.to_dict() for f in exc.findings]
    return details


def handle_errors(func: Callable[P, R]) -> Callable[P, R]:
    """Decorator: turn library exceptions into a clear message and the documented exit code.

    The wrapped command must accept ``as_json`` as a keyword (from :data:`json_option`) for JSON errors.
    """

    @functools.wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        as_json = bool(kwargs.get("as_json", False))
        try:
            return func(*args, **kwargs)
        except DMPClientError as exc:
            fail(str(exc), exit_code_for(exc), as_json=as_json, data=_error_details(exc))
        except OSError as exc:
            fail(f"{exc.strerror or exc}: {exc.filename}" if exc.filename else str(exc), EXIT_USAGE, as_json=as_json)

    return wrapper

"""Collecting checks while inspecting, and turning typed results into JSON-ready summaries."""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Final

from lxml import etree
from pydantic import BaseModel

from dmpclient.errors import Finding, Severity
from dmpclient.inspection._model import SECTION_TITLES, Check, CheckStatus, Section
from dmpclient.security.reports import Check as SecurityCheck

__all__ = ["Recorder", "jsonable"]

_MAX_ITEMS: Final = 25
_MAX_TEXT: Final = 500
_MAX_DEPTH: Final = 6


class Recorder:
    """Accumulates checks per section; :meth:`sections` returns them in report order."""

    def __init__(self) -> None:
        self._checks: dict[str, list[Check]] = {name: [] for name in SECTION_TITLES}

    def add(
        self,
        section: str,
        name: str,
        status: CheckStatus | str,
        message: str,
        *,
        details: Mapping[str, Any] | None = None,
        code: str | None = None,
        message_fr: str | None = None,
    ) -> Check:
        """Record one check."""
        check = Check(
            name=name,
            status=CheckStatus(status),
            message=message,
            details=jsonable(dict(details or {})),
            code=code,
            message_fr=message_fr,
            section=section,
        )
        self._checks.setdefault(section, []).append(check)
        return check

    def add_security_check(self, section: str, check: SecurityCheck, *, prefix: str = "") -> Check:
        """Record a step of the VIHF / XAdES verifiers (``ok`` None → skipped, a warning-severity failure → warning)."""
        if check.ok is True:
            status = CheckStatus.PASSED
        elif check.ok is None:
            status = CheckStatus.SKIPPED
        else:
            status = CheckStatus.FAILED if check.severity is Severity.ERROR else CheckStatus.WARNING
        return self.add(section, f"{prefix}{check.name}", status, check.message)

    def add_finding(self, section: str, finding: Finding, *, name: str | None = None) -> Check:
        """Record a validator finding: error → failed, warning → warning, info → passed (as a note)."""
        status = {
            Severity.ERROR: CheckStatus.FAILED,
            Severity.WARNING: CheckStatus.WARNING,
            Severity.INFO: CheckStatus.PASSED,
        }[finding.severity]
        message = finding.message if finding.severity is not Severity.INFO else f"note: {finding.message}"
        details = {"rule": finding.rule, "location": finding.location, "value": finding.value}
        return self.add(
            section,
            name or finding.rule,
            status,
            message,
            details={k: v for k, v in details.items() if v is not None},
            code=finding.code,
            message_fr=finding.message_fr,
        )

    def has(self, section: str) -> bool:
        """True when the section holds at least one check."""
        return bool(self._checks.get(section))

    def sections(self) -> list[Section]:
        """The non-empty sections, in report order."""
        return [
            Section(name=name, title=SECTION_TITLES.get(name, name), checks=checks)
            for name, checks in self._checks.items()
            if checks
        ]


def jsonable(value: Any, depth: int = 0) -> Any:
    """A JSON-ready copy of a typed result (pydantic models, dataclasses, enums, dates, bytes), bounded in size.

    Elements, files and other opaque objects become short descriptions; long lists and texts are cut.
    """
    if depth > _MAX_DEPTH:
        return "…"
    if value is None or isinstance(value, bool | int | float):
        return value
    if isinstance(value, str):
        return value if len(value) <= _MAX_TEXT else value[:_MAX_TEXT] + "…"
    if isinstance(value, enum.Enum):
        return jsonable(value.value, depth)
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, bytes | bytearray | memoryview):
        return f"<{len(value)} bytes>"
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, etree._Element):
        return f"<element {etree.QName(value).localname if isinstance(value.tag, str) else '?'}>"
    if isinstance(value, BaseModel):
        return jsonable(value.model_dump(mode="python", exclude_none=True), depth + 1)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        out: dict[str, Any] = {}
        for f in dataclasses.fields(value):
            item = getattr(value, f.name)
            if f.name in ("message", "part") or type(item).__name__ in ("SoapMessage", "ReceivedPart"):
                continue
            if item is None or item == () or item == []:
                continue
            out[f.name] = jsonable(item, depth + 1)
        return out
    if isinstance(value, Mapping):
        items = list(value.items())
        result = {str(k): jsonable(v, depth + 1) for k, v in items[:_MAX_ITEMS]}
        if len(items) > _MAX_ITEMS:
            result["…"] = f"{len(items) - _MAX_ITEMS} more"
        return result
    if isinstance(value, list | tuple | set | frozenset):
        seq = list(value)
        converted = [jsonable(v, depth + 1) for v in seq[:_MAX_ITEMS]]
        if len(seq) > _MAX_ITEMS:
            converted.append(f"… {len(seq) - _MAX_ITEMS} more")
        return converted
    text = str(value)
    return text if len(text) <= _MAX_TEXT else text[:_MAX_TEXT] + "…"

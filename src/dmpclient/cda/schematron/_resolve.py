"""File resolution for schematron includes and value-set files, tolerant of Windows-cased references.

The ANS kit was written on Windows: a dozen ``include/@href`` differ from the real file names only by
letter case (kit defect #2 in ``cda.md`` §6). :func:`resolve_path` first tries the exact path, then walks
the path component by component and accepts a *unique* case-insensitive match.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

__all__ = ["Resolution", "resolve_path"]


@dataclass(frozen=True, slots=True)
class Resolution:
    """Result of :func:`resolve_path`.

    Attributes:
        requested: the normalized path that was asked for.
        path: the existing file found, or ``None``.
        case_fixed: True when ``path`` differs from ``requested`` by letter case only.
    """

    requested: Path
    path: Path | None
    case_fixed: bool = False

    @property
    def found(self) -> bool:
        """True when an existing file was found."""
        return self.path is not None


@lru_cache(maxsize=4096)
def _listing(directory: str) -> dict[str, list[str]]:
    """Lower-cased entry name → real entry names of a directory (cached; the kit is read-only)."""
    table: dict[str, list[str]] = {}
    try:
        for name in os.listdir(directory):
            table.setdefault(name.lower(), []).append(name)
    except OSError:
        return {}
    return table


def resolve_path(base_dir: Path, href: str, *, case_insensitive: bool = True) -> Resolution:
    """Resolve ``href`` (relative or absolute, ``/`` separators) against ``base_dir``.

    ``..`` segments are normalized lexically first. When the exact file does not exist and
    ``case_insensitive`` is true, each missing component is looked up case-insensitively in its parent
    directory; a component with several case-insensitive matches is ambiguous and gives no result.
    """
    href = href.strip()
    if href.startswith("file:"):
        from urllib.parse import unquote, urlparse

        href = unquote(urlparse(href).path)
    requested = Path(os.path.normpath(base_dir / href))
    if requested.is_file():
        return Resolution(requested, requested)
    if not case_insensitive:
        return Resolution(requested, None)
    parts = requested.parts
    current = Path(parts[0])
    fixed = False
    for part in parts[1:]:
        exact = current / part
        if exact.exists():
            current = exact
            continue
        matches = _listing(str(current)).get(part.lower(), [])
        if len(matches) != 1:
            return Resolution(requested, None)
        current = current / matches[0]
        fixed = True
    if not current.is_file():
        return Resolution(requested, None)
    return Resolution(requested, current, case_fixed=fixed)

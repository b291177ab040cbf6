"""The terminology registry: value sets and code maps by name, short id or OID; the active (default) registry
= built-ins overlaid with the user's updated files; and the update procedure (EX_GEN-1360)."""

from __future__ import annotations

import logging
import os
import re
import tempfile
import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final, Literal

from dmpclient.errors import InvalidValue
from dmpclient.terminology._builtin import BUILTIN_ALIASES, builtin_code_maps, builtin_value_sets
from dmpclient.terminology._loaders import dump_json, load_directory_report, load_json
from dmpclient.terminology._model import Code, CodeMap, ValueSet
from dmpclient.terminology._names import normalize_name, short_id, strip_oid

__all__ = [
    "Terminology",
    "UpdateReport",
    "builtin_terminology",
    "default_terminology",
    "reset_default_terminology",
    "set_default_terminology",
    "update_from_directory",
    "update_terminology",
    "user_terminology_dir",
]

log = logging.getLogger("dmpclient.terminology")

ENV_DIR: Final = "DMPCLIENT_TERMINOLOGY_DIR"
Origin = Literal["builtin", "user", "added"]
Table = ValueSet | CodeMap


@dataclass
class _Entry:
    item: Table
    origin: Origin
    aliases: tuple[str, ...] = ()
    oid_key: str | None = field(init=False)
    short: str | None = field(init=False)
    name_key: str = field(init=False)

    def __post_init__(self) -> None:
        self.oid_key = strip_oid(self.item.oid) if self.item.oid else None
        self.short = short_id(self.item.name)
        self.name_key = normalize_name(self.item.name)

    def keys(self) -> tuple[list[str], list[str]]:
        """(primary keys: name and OID; secondary keys: short id and aliases), normalized."""
        primary = [self.name_key] + ([self.oid_key] if self.oid_key else [])
        secondary = [normalize_name(a) for a in self.aliases] + ([self.short] if self.short else [])
        return primary, secondary


def _identity_match(a: Table, b: Table) -> bool:
    """Same table: same OID, or same NOS short id, or same normalized name."""
    return _same_identity(_Entry(a, "added"), _Entry(b, "added"))


def _same_identity(a: _Entry, b: _Entry) -> bool:
    if a.oid_key and b.oid_key and a.oid_key == b.oid_key:
        return True
    if a.short and b.short:
        return a.short == b.short
    return a.name_key == b.name_key


class _IdentityIndex:
    """Finds the entry with the same identity as a table in O(1): by OID, then short id, then name."""

    def __init__(self, entries: list[_Entry]) -> None:
        self.by_oid: dict[str, int] = {}
        self.by_short: dict[str, int] = {}
        self.by_name: dict[str, int] = {}
        for pos, entry in enumerate(entries):
            self.put(pos, entry)

    def put(self, pos: int, entry: _Entry) -> None:
        if entry.oid_key:
            self.by_oid.setdefault(entry.oid_key, pos)
        if entry.short:
            self.by_short.setdefault(entry.short, pos)
        self.by_name.setdefault(entry.name_key, pos)

    def find(self, probe: _Entry) -> int | None:
        if probe.oid_key and probe.oid_key in self.by_oid:
            return self.by_oid[probe.oid_key]
        if probe.short:
            return self.by_short.get(probe.short)
        return self.by_name.get(probe.name_key)


def is_newer(candidate: Table, current: Table) -> bool:
    """True when ``candidate``'s version date is later than ``current``'s (a dated version beats an undated one;
    an undated candidate never counts as newer)."""
    new, old = _table_date(candidate), _table_date(current)
    if new is None:
        return False
    return old is None or new > old


def _table_date(table: Table) -> str | None:
    if isinstance(table, ValueSet):
        found = table.date
        return found.isoformat() if found else None
    digits = table.version.replace("-", "")[:8]
    return digits if len(digits) == 8 and digits.isdigit() else None


class Terminology:
    """A registry of value sets and code maps, found by NOS name, kit file stem, FHIR id, short id or OID.

    >>> t = builtin_terminology()
    >>> t.get("J57").oid == t.get("JDV_J57-ClassCode-DMP").oid == t.get("urn:oid:1.2.250.1.213.1.1.5.6").oid
    True
    """

    def __init__(
        self,
        value_sets: Iterable[ValueSet] = (),
        code_maps: Iterable[CodeMap] = (),
        *,
        aliases: dict[str, tuple[str, ...]] | None = None,
        origin: Origin = "added",
    ) -> None:
        self._entries: list[_Entry] = []
        self._maps: list[_Entry] = []
        extra = aliases or {}
        for vs in value_sets:
            self._entries.append(_Entry(vs, origin, extra.get(vs.name, ())))
        for cm in code_maps:
            self._maps.append(_Entry(cm, origin, extra.get(cm.name, ())))
        self._reindex()

    # -- indexes

    def _reindex(self) -> None:
        self._index = self._build_index(self._entries)
        self._map_index = self._build_index(self._maps)
        self._ident = _IdentityIndex(self._entries)
        self._map_ident = _IdentityIndex(self._maps)

    @staticmethod
    def _build_index(entries: list[_Entry]) -> dict[str, int]:
        index: dict[str, int] = {}
        for pos, entry in enumerate(entries):
            for key in entry.keys()[0]:
                index.setdefault(key, pos)
        for pos, entry in enumerate(entries):
            for key in entry.keys()[1]:
                index.setdefault(key, pos)
        return index

    # -- queries

    def find(self, name: str) -> ValueSet | None:
        """The value set called ``name`` (any accepted form), or ``None``."""
        pos = self._index.get(normalize_name(name))
        item = self._entries[pos].item if pos is not None else None
        return item if isinstance(item, ValueSet) else None

    def get(self, name: str) -> ValueSet:
        """The value set called ``name``: short id (``J57``, ``TRE_R248``), NOS name, kit file stem, FHIR id or OID.

        Raises:
            InvalidValue: no such value set (the message lists a few known names).
        """
        found = self.find(name)
        if found is None:
            known = ", ".join(self.short_names()[:12])
            raise InvalidValue(
                f"unknown value set (known: {known}, …; see `dmpclient terminology list`)",
                field="value_set",
                value=name,
            )
        return found

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and self.find(name) is not None

    def names(self) -> list[str]:
        """Names of every value set, in registration order."""
        return [e.item.name for e in self._entries]

    def short_names(self) -> list[str]:
        """Short id (``J57``) when the name has one, else the name."""
        return [short_id(n) or n for n in self.names()]

    def value_sets(self) -> list[ValueSet]:
        """Every value set, in registration order."""
        return [e.item for e in self._entries if isinstance(e.item, ValueSet)]

    def code_maps(self) -> list[CodeMap]:
        """Every code map (ASS_X04, ASS_A12 …)."""
        return [e.item for e in self._maps if isinstance(e.item, CodeMap)]

    def code_map(self, name: str) -> CodeMap:
        """The code map called ``name`` (``ASS_X04``, its NOS name or OID).

        Raises:
            InvalidValue: unknown code map.
        """
        pos = self._map_index.get(normalize_name(name))
        item = self._maps[pos].item if pos is not None else None
        if not isinstance(item, CodeMap):
            raise InvalidValue("unknown code map", field="code_map", value=name)
        return item

    def origin(self, name: str) -> Origin | None:
        """Where the value set ``name`` comes from: ``builtin``, ``user`` (updated file) or ``added``."""
        pos = self._index.get(normalize_name(name))
        return self._entries[pos].origin if pos is not None else None

    def containing(self, code: str, code_system: str | None = None) -> list[tuple[ValueSet, Code]]:
        """Every value set that contains ``code`` (in ``code_system`` when given), with the matching concept."""
        found: list[tuple[ValueSet, Code]] = []
        for vs in self.value_sets():
            if code_system is not None:
                hit = vs.lookup(code, strip_oid(code_system))
                if hit is not None:
                    found.append((vs, hit))
            else:
                found.extend((vs, c) for c in vs.concepts if c.code == code)
        return found

    def match(self, table: Table) -> Table | None:
        """The registered table with the same identity (OID, short id or name) as ``table``."""
        pos = self._find_identity(_Entry(table, "added"))
        if pos is None:
            return None
        return (self._entries if isinstance(table, ValueSet) else self._maps)[pos].item

    def _find_identity(self, probe: _Entry) -> int | None:
        ident = self._ident if isinstance(probe.item, ValueSet) else self._map_ident
        return ident.find(probe)

    def __iter__(self) -> Iterator[ValueSet]:
        return iter(self.value_sets())

    def __len__(self) -> int:
        return len(self._entries)

    def __repr__(self) -> str:
        return f"<Terminology {len(self._entries)} value sets, {len(self._maps)} code maps>"

    # -- changes

    def add(self, table: Table, *, aliases: Iterable[str] = (), origin: Origin = "added") -> None:
        """Register ``table``, replacing the table of the same identity (its aliases are kept)."""
        self._put(_Entry(table, origin, tuple(aliases)))
        self._reindex()

    def _put(self, entry: _Entry) -> None:
        """Insert or replace without rebuilding the name index (callers reindex)."""
        is_vs = isinstance(entry.item, ValueSet)
        entries = self._entries if is_vs else self._maps
        ident = self._ident if is_vs else self._map_ident
        pos = ident.find(entry)
        if pos is not None:
            old = entries[pos]
            entry.aliases = tuple(dict.fromkeys(old.aliases + entry.aliases))
            entries[pos] = entry
            ident.put(pos, entry)
        else:
            entries.append(entry)
            ident.put(len(entries) - 1, entry)

    def copy(self) -> Terminology:
        """An independent copy (tables are immutable and shared)."""
        new = Terminology()
        new._entries = [_Entry(e.item, e.origin, e.aliases) for e in self._entries]
        new._maps = [_Entry(e.item, e.origin, e.aliases) for e in self._maps]
        new._reindex()
        return new

    def merged_with(
        self,
        tables: Iterable[Table] | Terminology,
        *,
        only_newer: bool = False,
        origin: Origin = "added",
    ) -> Terminology:
        """A new registry: this one overlaid with ``tables``.

        A table replaces the registered one of the same identity (same OID, NOS short id or name) — always, or
        with ``only_newer=True`` only when its version date is later. Unmatched tables are added.
        """
        items: Iterable[Table] = (
            [*tables.value_sets(), *tables.code_maps()] if isinstance(tables, Terminology) else tables
        )
        new = self.copy()
        for table in items:
            probe = _Entry(table, origin)
            pos = new._find_identity(probe)
            if pos is not None and only_newer:
                current = (new._entries if isinstance(table, ValueSet) else new._maps)[pos].item
                if not is_newer(table, current):
                    continue
            new._put(probe)
        new._reindex()
        return new


# ------------------------------------------------------------------------------------------------ active registry

_lock = threading.RLock()
_builtin: Terminology | None = None
_active: Terminology | None = None


def builtin_terminology() -> Terminology:
    """A copy of the built-in tables only (no user files)."""
    global _builtin
    with _lock:
        if _builtin is None:
            _builtin = Terminology(builtin_value_sets(), builtin_code_maps(), aliases=BUILTIN_ALIASES, origin="builtin")
        return _builtin.copy()


def user_terminology_dir() -> Path:
    """Where updated official tables are stored: ``$DMPCLIENT_TERMINOLOGY_DIR``, else
    ``$XDG_DATA_HOME/dmpclient/terminology``, else ``~/.local/share/dmpclient/terminology``."""
    env = os.environ.get(ENV_DIR)
    if env:
        return Path(env).expanduser()
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "dmpclient" / "terminology"


def _user_files(directory: Path) -> dict[Path, ValueSet]:
    if not directory.is_dir():
        return {}
    tables: dict[Path, ValueSet] = {}
    for path in sorted(directory.glob("*.json")):
        try:
            tables[path] = load_json(path)
        except (InvalidValue, OSError) as exc:  # a broken file must not break reading the DMP's answers
            log.warning("ignoring unreadable terminology file %s: %s", path, exc)
    return tables


def default_terminology() -> Terminology:
    """The active registry: built-ins overlaid with the files stored by :func:`update_from_directory` (user files
    win), unless :func:`set_default_terminology` installed another one. Built once, then cached."""
    global _active
    with _lock:
        if _active is None:
            _active = builtin_terminology().merged_with(
                list(_user_files(user_terminology_dir()).values()), origin="user"
            )
        return _active


def set_default_terminology(terminology: Terminology | None) -> None:
    """Install ``terminology`` as the active registry (``None``: back to built-ins + user files)."""
    global _active
    with _lock:
        _active = terminology


def reset_default_terminology() -> None:
    """Forget the cached active registry; the next :func:`default_terminology` re-reads the user directory."""
    set_default_terminology(None)


# ------------------------------------------------------------------------------------------------ update


@dataclass
class UpdateReport:
    """What :func:`update_terminology` did.

    Attributes:
        stored: value sets written to ``dest`` (newer than what was active, or ``force``).
        ignored: ``(value set, reason)`` for loaded value sets that were not newer.
        skipped_files: ``(file, reason)`` for files that are not value sets or could not be read.
        dest: the directory written to.
    """

    dest: Path
    stored: list[ValueSet] = field(default_factory=list)
    ignored: list[tuple[ValueSet, str]] = field(default_factory=list)
    skipped_files: list[tuple[Path, str]] = field(default_factory=list)


def _file_name(vs: ValueSet) -> str:
    safe = re.sub(r"[^A-Za-z0-9._-]+", "_", vs.name).strip("._") or "valueset"
    return f"{safe}.{vs.oid}.json" if vs.oid else f"{safe}.json"


def _write_atomic(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".tmp-", suffix=".json", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def update_terminology(
    src: str | os.PathLike[str],
    dest: str | os.PathLike[str] | None = None,
    *,
    force: bool = False,
) -> UpdateReport:
    """Load the official files under ``src`` (IHE SVS XML or FHIR JSON, recursively) and store, as normalized
    JSON in ``dest`` (default :func:`user_terminology_dir`), every value set that is newer than the one active
    for that directory (built-in or previously stored), or all of them with ``force=True``.

    Among several loaded versions of the same value set the newest is kept. The active registry is reset so
    that :func:`default_terminology` picks the new files up.
    """
    target = Path(dest).expanduser() if dest is not None else user_terminology_dir()
    report = UpdateReport(dest=target)
    loaded, report.skipped_files = load_directory_report(src)
    newest: list[_Entry] = []
    seen = _IdentityIndex([])
    for vs in loaded:
        probe = _Entry(vs, "user")
        pos = seen.find(probe)
        if pos is None:
            newest.append(probe)
            seen.put(len(newest) - 1, probe)
            continue
        other = newest[pos].item
        assert isinstance(other, ValueSet)
        if is_newer(vs, other):
            report.ignored.append((other, f"a newer version ({vs.version}) is in the same directory"))
            newest[pos] = probe
        else:
            report.ignored.append((vs, f"a newer or equal version ({other.version}) is in the same directory"))
    stored_files = _user_files(target)
    stored_entries = [_Entry(vs, "user") for vs in stored_files.values()]
    stored_paths = list(stored_files)
    active = builtin_terminology().merged_with(list(stored_files.values()), origin="user")
    for probe in newest:
        candidate = probe.item
        assert isinstance(candidate, ValueSet)
        current = active.match(candidate)
        if current is not None and not force and not is_newer(candidate, current):
            reason = f"not newer than the active version {current.version} ({current.name})"
            report.ignored.append((candidate, reason))
            continue
        for path, old in zip(stored_paths, stored_entries, strict=True):
            if _same_identity(old, probe) and path.exists():
                path.unlink()
        _write_atomic(target / _file_name(candidate), dump_json(candidate))
        report.stored.append(candidate)
    reset_default_terminology()
    return report


def update_from_directory(
    src: str | os.PathLike[str],
    dest: str | os.PathLike[str] | None = None,
    *,
    force: bool = False,
) -> list[ValueSet]:
    """Store the newer official value sets found under ``src`` (see :func:`update_terminology`) and return them.

    A file whose value set matches a built-in (same OID, short id or name) replaces it only when its version
    date is later, or with ``force=True``.
    """
    return update_terminology(src, dest, force=force).stored

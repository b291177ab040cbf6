"""Paths, ``${…}`` variables and result assertions of the scenarios.

* **Paths** — ``documents[0].type``, ``items[*].national_id``, ``unique_ids``: names (attributes, mapping
  keys, or the *view* fields of :func:`view_fields`), ``[n]`` indexes and ``[*]`` projections.
* **Variables** — ``${doc1.unique_id}`` in any string of ``params`` or ``expect.result``; a string that is
  exactly one reference keeps the referenced value's type (a list stays a list); ``$${`` writes a literal
  ``${``.
* **Assertions** — a path maps to a value (equality) or to a mapping of operators (:data:`OPERATORS`); the
  ``each`` / ``any`` / ``none`` operators take a value, an operator mapping or a mapping of sub-paths.
"""

from __future__ import annotations

import datetime as dt
import enum
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

from dmpclient.scenarios.model import OPERATORS

__all__ = [
    "STATUS_SHORT",
    "AssertionCheck",
    "PathError",
    "ResultView",
    "VariableError",
    "check_assertions",
    "plain",
    "references",
    "resolve_path",
    "substitute",
    "validate_assertions",
    "view_fields",
]

#: XDS availability statuses by their short names (what scenarios write).
STATUS_SHORT: Final = {
    "urn:oasis:names:tc:ebxml-regrep:StatusType:Approved": "approved",
    "urn:oasis:names:tc:ebxml-regrep:StatusType:Deprecated": "deprecated",
    "urn:asip:ci-sis:2010:StatusType:Archived": "archived",
    "urn:asip:ci-sis:2010:StatusType:Deleted": "deleted",
    "urn:oasis:names:tc:ebxml-regrep:StatusType:Submitted": "submitted",
}

_TOKEN_RE: Final = re.compile(r"\.?([A-Za-z_][A-Za-z0-9_-]*)|\[(\d+|\*)\]")
_VAR_RE: Final = re.compile(r"\$\$\{|\$\{([^}]*)\}")
_MISSING: Final = object()


class PathError(LookupError):
    """A path does not resolve (unknown name, index out of range)."""


class VariableError(LookupError):
    """A ``${…}`` reference cannot be resolved."""


@dataclass(frozen=True)
class ResultView:
    """A typed result with extra fields the runner computed (a submission's built documents …).

    Path lookups look in :attr:`extras` first, then in :attr:`value`.
    """

    value: Any
    extras: Mapping[str, Any] = field(default_factory=dict)


# ------------------------------------------------------------------------------------------------ views


def _codes(codes: Iterable[Any]) -> list[str]:
    return [str(getattr(c, "code", c)) for c in codes]


def view_fields(obj: Any) -> dict[str, Any]:
    """Convenience fields of known result types (computed, looked up before attributes).

    * DocumentEntry: ``status`` (short), ``type`` / ``class`` / ``format`` (codes), ``confidentiality``
      (codes), ``masked``, ``invisible_to_patient``, ``invisible_to_legal_representatives``;
    * QueryResponse: ``count``, ``unique_ids``, ``titles``, ``types``, ``statuses``;
    * proprietary lists (TD1.6, TD0.4) and PDQ results: ``count``.
    """
    from dmpclient.xds.model import DocumentEntry, QueryResponse

    if isinstance(obj, DocumentEntry):
        conf = _codes(obj.confidentiality_codes)
        status = str(obj.availability_status) if obj.availability_status is not None else None
        return {
            "status": STATUS_SHORT.get(status or "", status),
            "type": obj.type_code.code if obj.type_code else None,
            "class": obj.class_code.code if obj.class_code else None,
            "format": obj.format_code.code if obj.format_code else None,
            "confidentiality": conf,
            "masked": "MASQUE_PS" in conf,
            "invisible_to_patient": "INVISIBLE_PATIENT" in conf,
            "invisible_to_legal_representatives": "INVISIBLE_REPRESENTANTS_LEGAUX" in conf,
        }
    if isinstance(obj, QueryResponse):
        docs = obj.documents
        return {
            "count": len(docs),
            "unique_ids": [d.unique_id for d in docs],
            "titles": [d.title for d in docs],
            "types": [d.type_code.code if d.type_code else None for d in docs],
            "statuses": [view_fields(d)["status"] for d in docs],
        }
    items = getattr(obj, "items", None)
    if isinstance(items, tuple):
        return {"count": len(items)}
    candidates = getattr(obj, "candidates", None)
    if isinstance(candidates, tuple):
        return {"count": len(candidates)}
    return {}


# ------------------------------------------------------------------------------------------------ paths


def _tokens(path: str) -> list[str | int]:
    out: list[str | int] = []
    pos = 0
    text = path.strip()
    while pos < len(text):
        m = _TOKEN_RE.match(text, pos)
        if m is None or (pos == 0 and text.startswith(".")):
            raise PathError(f"malformed path {path!r} at {text[pos:]!r}")
        name, index = m.groups()
        if name is not None:
            out.append(name)
        else:
            out.append(-1 if index == "*" else int(index))
        pos = m.end()
    if not out:
        raise PathError("empty path")
    return out


def _step(obj: Any, token: str | int) -> Any:
    if isinstance(token, int):
        if isinstance(obj, ResultView):
            obj = obj.value
        if isinstance(obj, Mapping) or not isinstance(obj, Sequence) or isinstance(obj, str | bytes):
            items = getattr(obj, "items", None)
            if isinstance(items, tuple):
                obj = items
            else:
                raise PathError(f"[{token}] on a {type(obj).__name__}, not a list")
        if token >= len(obj):
            raise PathError(f"[{token}] out of range (the list has {len(obj)} item(s))")
        return obj[token]
    if isinstance(obj, ResultView):
        if token in obj.extras:
            return obj.extras[token]
        obj = obj.value
    if isinstance(obj, Mapping):
        if token in obj:
            return obj[token]
        raise PathError(f"no key {token!r} (keys: {', '.join(map(str, obj)) or 'none'})")
    extras = view_fields(obj)
    if token in extras:
        return extras[token]
    if obj is None:
        raise PathError(f"{token!r} of a null value")
    value = getattr(obj, token, _MISSING)
    if value is _MISSING or callable(value):
        names = sorted({*extras, *(n for n in getattr(type(obj), "model_fields", {}))})
        known = f" (fields: {', '.join(names)})" if names else ""
        raise PathError(f"{type(obj).__name__} has no field {token!r}{known}")
    return value


def resolve_path(obj: Any, path: str) -> Any:
    """The value at ``path`` in ``obj`` (``[*]`` maps the rest of the path over a list)."""
    return _walk(obj, _tokens(path), path)


def _walk(obj: Any, tokens: Sequence[str | int], path: str) -> Any:
    for i, token in enumerate(tokens):
        if token == -1:
            seq = obj.value if isinstance(obj, ResultView) else obj
            if isinstance(getattr(seq, "items", None), tuple):
                seq = seq.items
            if not isinstance(seq, Sequence) or isinstance(seq, str | bytes):
                raise PathError(f"[*] on a {type(seq).__name__}, not a list")
            rest = tokens[i + 1 :]
            return [_walk(item, rest, path) if rest else item for item in seq]
        obj = _step(obj, token)
    return obj


# -------------------------------------------------------------------------------------------- variables


def references(value: Any) -> list[str]:
    """Every ``${…}`` expression in a (nested) value."""
    out: list[str] = []
    if isinstance(value, str):
        out.extend(m.group(1).strip() for m in _VAR_RE.finditer(value) if m.group(1) is not None)
    elif isinstance(value, Mapping):
        for v in value.values():
            out.extend(references(v))
    elif isinstance(value, list | tuple):
        for v in value:
            out.extend(references(v))
    return out


def _lookup(expr: str, scope: Mapping[str, Any]) -> Any:
    tokens = _tokens(expr)
    head = tokens[0]
    if not isinstance(head, str) or head not in scope:
        known = ", ".join(sorted(scope)) or "none"
        raise VariableError(f"${{{expr}}}: no variable {head!r} (defined here: {known})")
    try:
        return _walk(scope[head], tokens[1:], expr) if len(tokens) > 1 else scope[head]
    except PathError as exc:
        raise VariableError(f"${{{expr}}}: {exc}") from None


def _text(value: Any) -> str:
    value = plain(value)
    return value if isinstance(value, str) else str(value)


def substitute(value: Any, scope: Mapping[str, Any]) -> Any:
    """``value`` with every ``${…}`` replaced (recursively in mappings and lists)."""
    if isinstance(value, str):
        whole = _VAR_RE.fullmatch(value)
        if whole is not None and whole.group(1) is not None:
            found = _lookup(whole.group(1).strip(), scope)
            return found.value if isinstance(found, ResultView) else found

        def repl(m: re.Match[str]) -> str:
            if m.group(1) is None:
                return "${"
            return _text(_lookup(m.group(1).strip(), scope))

        return _VAR_RE.sub(repl, value)
    if isinstance(value, Mapping):
        return {k: substitute(v, scope) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [substitute(v, scope) for v in value]
    return value


# ------------------------------------------------------------------------------------------- assertions


def plain(value: Any) -> Any:
    """A JSON-friendly, comparable form: enums → value, codes → code, dates → ISO text, tuples → lists."""
    if isinstance(value, ResultView):
        return plain(value.value)
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, bool | int | float | str) or value is None:
        return value
    if isinstance(value, dt.datetime):
        return value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if hasattr(value, "code") and hasattr(value, "code_system") and isinstance(value.code, str):
        return value.code
    if isinstance(value, Mapping):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [plain(v) for v in value]
    dump = getattr(value, "model_dump", None)
    if callable(dump):
        return plain(dump(mode="json"))
    return str(value)


def _equal(actual: Any, expected: Any) -> bool:
    a, e = plain(actual), plain(expected)
    if a == e:
        return True
    if isinstance(a, str) and isinstance(e, int | float) and not isinstance(e, bool):
        return a == str(e)
    if isinstance(e, str) and isinstance(a, int | float) and not isinstance(a, bool):
        return str(a) == e
    if isinstance(a, str) and isinstance(e, str) and a in STATUS_SHORT:
        return STATUS_SHORT[a] == e
    return False


def _order(actual: Any, expected: Any, op: str) -> bool:
    a, e = plain(actual), plain(expected)
    try:
        if op == "gt":
            return bool(a > e)
        if op == "ge":
            return bool(a >= e)
        if op == "lt":
            return bool(a < e)
        return bool(a <= e)
    except TypeError:
        return False


def _contains(container: Any, item: Any) -> bool:
    c = plain(container)
    if isinstance(c, str):
        return isinstance(plain(item), str) and plain(item) in c
    if isinstance(c, list):
        return any(_equal(x, item) for x in c)
    return False


def _length(value: Any) -> int | None:
    v = plain(value)
    return len(v) if isinstance(v, list | str | dict) else None


@dataclass(frozen=True)
class AssertionCheck:
    """One assertion and how it went."""

    path: str
    op: str
    expected: Any
    actual: Any
    ok: bool
    message: str = ""

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready."""
        return {
            "path": self.path,
            "op": self.op,
            "expected": plain(self.expected),
            "actual": plain(self.actual),
            "ok": self.ok,
            "message": self.message,
        }

    def line(self) -> str:
        """``path op expected`` — and what was found when it failed."""
        head = f"{self.path} {self.op} {_show(self.expected)}"
        if self.ok:
            return head
        return f"{head}: got {_show(self.actual)}" + (f" ({self.message})" if self.message else "")


def _show(value: Any, limit: int = 160) -> str:
    text = repr(plain(value))
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _is_operator_map(value: Any) -> bool:
    return isinstance(value, Mapping) and bool(value) and all(k in OPERATORS for k in value)


def validate_assertions(spec: Any, where: str) -> list[tuple[str, str]]:
    """Static problems of an assertion mapping: ``(field, message)`` pairs (empty when valid)."""
    problems: list[tuple[str, str]] = []
    if not isinstance(spec, Mapping):
        return [(where, "result: is a mapping of paths to expected values")]
    for path, expected in spec.items():
        here = f"{where}.{path}"
        try:
            _tokens(str(path))
        except PathError as exc:
            problems.append((here, str(exc)))
            continue
        problems.extend(_validate_expected(expected, here))
    return problems


def _validate_expected(expected: Any, here: str) -> list[tuple[str, str]]:
    if not isinstance(expected, Mapping):
        return []
    keys = list(expected)
    ops = [k for k in keys if k in OPERATORS]
    if ops and len(ops) != len(keys):
        others = [k for k in keys if k not in OPERATORS]
        return [(here, f"unknown operator(s) {others} mixed with operators (known: {', '.join(sorted(OPERATORS))})")]
    if not ops:
        return validate_assertions(expected, here)  # a mapping of sub-paths
    problems: list[tuple[str, str]] = []
    for op, value in expected.items():
        if op in ("each", "any", "none"):
            problems.extend(_validate_expected(value, f"{here}.{op}"))
        elif op in ("len", "min_len", "max_len") and not (isinstance(value, int) and not isinstance(value, bool)):
            if not (isinstance(value, str) and "${" in value):
                problems.append((f"{here}.{op}", "expects an integer"))
        elif op in ("in", "not_in") and not isinstance(value, list | tuple) and not str(value).startswith("${"):
            problems.append((f"{here}.{op}", "expects a list"))
        elif op == "matches":
            try:
                re.compile(str(value))
            except re.error as exc:
                problems.append((f"{here}.{op}", f"not a regular expression: {exc}"))
        elif op == "exists" and not isinstance(value, bool):
            problems.append((f"{here}.{op}", "expects true or false"))
    return problems


def check_assertions(obj: Any, spec: Mapping[str, Any], *, prefix: str = "") -> list[AssertionCheck]:
    """Evaluate an assertion mapping (already substituted) against ``obj``."""
    checks: list[AssertionCheck] = []
    for path, expected in spec.items():
        full = f"{prefix}{path}"
        try:
            actual = resolve_path(obj, str(path))
        except PathError as exc:
            if _is_operator_map(expected) and expected.get("exists") is False:
                checks.append(AssertionCheck(full, "exists", False, None, True))
            else:
                checks.append(AssertionCheck(full, "exists", True, None, False, str(exc)))
            continue
        checks.extend(_check_value(actual, expected, full))
    return checks


def _check_value(actual: Any, expected: Any, path: str) -> list[AssertionCheck]:
    if not isinstance(expected, Mapping):
        return [AssertionCheck(path, "eq", expected, actual, _equal(actual, expected))]
    if not _is_operator_map(expected):
        return check_assertions(actual, expected, prefix=f"{path}.")
    out: list[AssertionCheck] = []
    for op, value in expected.items():
        out.extend(_apply(op, actual, value, path))
    return out


_SIMPLE: Final[dict[str, Callable[[Any, Any], bool]]] = {
    "eq": _equal,
    "ne": lambda a, e: not _equal(a, e),
    "in": lambda a, e: any(_equal(a, x) for x in (e if isinstance(e, list | tuple) else [e])),
    "not_in": lambda a, e: not any(_equal(a, x) for x in (e if isinstance(e, list | tuple) else [e])),
    "contains": _contains,
    "not_contains": lambda a, e: not _contains(a, e),
    "matches": lambda a, e: isinstance(plain(a), str) and re.search(str(e), plain(a)) is not None,
    "exists": lambda a, e: (a is not None) == bool(e),
}


def _apply(op: str, actual: Any, value: Any, path: str) -> list[AssertionCheck]:
    if op in _SIMPLE:
        return [AssertionCheck(path, op, value, actual, _SIMPLE[op](actual, value))]
    if op in ("gt", "ge", "lt", "le"):
        return [AssertionCheck(path, op, value, actual, _order(actual, value, op))]
    if op in ("len", "min_len", "max_len"):
        n = _length(actual)
        want = int(value)
        ok = n is not None and (n == want if op == "len" else n >= want if op == "min_len" else n <= want)
        return [AssertionCheck(path, op, want, n, ok, "" if n is not None else "not a list or text")]
    # each / any / none
    seq = plain(actual) if not isinstance(actual, list | tuple) else actual
    if not isinstance(seq, list | tuple):
        return [AssertionCheck(path, op, value, actual, False, "not a list")]
    results = [(i, _check_value(item, value, f"{path}[{i}]")) for i, item in enumerate(seq)]
    passing = [i for i, checks in results if all(c.ok for c in checks)]
    if op == "each":
        failed = [c for _, checks in results for c in checks if not c.ok]
        if not failed:
            return [AssertionCheck(path, "each", value, f"{len(seq)} item(s)", True)]
        return failed
    if op == "any":
        ok = bool(passing)
        return [AssertionCheck(path, "any", value, f"{len(passing)}/{len(seq)} item(s) match", ok)]
    ok = not passing
    return [AssertionCheck(path, "none", value, f"{len(passing)}/{len(seq)} item(s) match", ok)]

"""Base class of the models users construct: bad input raises our typed error, never pydantic's.

Every pydantic model of the public API that a user fills in (codes, XDS metadata, CDA header inputs,
transaction inputs, VIHF and XAdES options, client settings) derives from :class:`InputModel`. Building one
with bad data raises :class:`InvalidInput` — an :class:`~dmpclient.errors.InputError`, hence a
:class:`ValueError` — instead of :class:`pydantic.ValidationError`:

* ``field`` / ``value`` / ``rule`` describe the first problem (``"DocumentEntry.creation_time"``, the value
  seen, pydantic's error type such as ``"datetime_from_date_parsing"``);
* ``errors`` keeps **every** problem (:class:`InputProblem`: ``loc``, ``input``, ``rule``, ``message``), and the
  message lists them one per line;
* the pydantic ``ValidationError`` stays available as ``__cause__``.

When the only problem is one of our own errors raised by a validator (an :class:`~dmpclient.errors.InputError`
subclass such as :class:`~dmpclient.errors.RuleViolation` or :class:`~dmpclient.errors.InvalidIdentifier`), that
very exception is raised, with its own ``field``/``value``/``rule``; a note gives the location in the model when
it differs from its ``field``. Mixed with other problems, it becomes one entry of an :class:`InvalidInput`
(its rule, value and message are kept).

Construction means ``Model(...)``, :meth:`~InputModel.model_validate`, :meth:`~InputModel.model_validate_json`,
:meth:`~InputModel.model_validate_strings`, and assignment (frozen models, ``validate_assignment``).
``model_copy(update=…)`` does not validate (pydantic's behaviour) and ``model_construct`` never does (it is
what tolerant readers may use). Nested models are validated by pydantic's core as usual: their problems are
reported by the outermost model with a dotted path (``"SubmissionRequest.documents[0].creation_time"``).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final, Self

from pydantic import BaseModel, ValidationError

from dmpclient.errors import InputError, InputProblem, InvalidInput

__all__ = ["InputModel", "InputProblem", "InvalidInput", "input_error"]

_MAX_INPUT: Final = 120
#: Tags pydantic puts in a ``loc`` for union members and wrapped validators (not field names).
_TAG_RE: Final = re.compile(r"^[a-z][a-z0-9_-]*\[.*\]$", re.DOTALL)
_TYPE_TAGS: Final = frozenset(
    {"str", "int", "float", "bool", "bytes", "none", "list", "tuple", "dict", "set", "frozenset", "date", "datetime"}
)
_MSG_PREFIXES: Final = ("Value error, ", "Assertion failed, ")


def _shorten_text(text: str) -> str:
    return text if len(text) <= _MAX_INPUT else text[: _MAX_INPUT - 3] + "..."


def _shorten(value: object) -> object:
    """The value for :attr:`InputProblem.input`: small scalars as they are, anything else as short text."""
    if value is None or isinstance(value, bool | int | float):
        return value
    if isinstance(value, str):
        return _shorten_text(value)
    return _shorten_text(repr(value))


def _path(model: str | None, loc: Sequence[int | str]) -> str:
    text = model or ""
    for part in loc:
        if isinstance(part, int):
            text += f"[{part}]"
        elif _TAG_RE.match(part) or part in _TYPE_TAGS:
            continue
        else:
            text += f".{part}" if text else part
    return text


def _relative(loc: str, model: str | None) -> str:
    """``loc`` of a nested :class:`InvalidInput` problem without its model name (``".code_system"``, ``"[0]"``)."""
    if model and loc == model:
        return ""
    if model and loc.startswith((model + ".", model + "[")):
        return loc[len(model) :]
    return "." + loc if loc else ""


def _message(msg: str) -> str:
    for prefix in _MSG_PREFIXES:
        if msg.startswith(prefix):
            return msg[len(prefix) :]
    return msg


@dataclass(slots=True)
class _Item:
    problem: InputProblem
    raw: object
    own: InputError | None = None


def _items(exc: ValidationError, model: str | None) -> list[_Item]:
    items: list[_Item] = []
    for err in exc.errors(include_url=False):
        path = _path(model, err["loc"])
        inner = (err.get("ctx") or {}).get("error")
        if isinstance(inner, InvalidInput):
            # A model built inside a validator (``Code.model_validate`` in a CDA input …): keep its problems.
            for i, p in enumerate(inner.errors):
                loc = (path + _relative(p["loc"], inner.model)) or p["loc"]
                items.append(
                    _Item(
                        InputProblem(loc=loc, input=p["input"], rule=p["rule"], message=p["message"]),
                        inner.value if i == 0 else p["input"],
                    )
                )
        elif isinstance(inner, InputError):
            problem = InputProblem(
                loc=path, input=_shorten(inner.value), rule=inner.rule or err["type"], message=inner.reason
            )
            items.append(_Item(problem, inner.value, inner))
        else:
            raw = None if err["type"] == "missing" else err.get("input")
            problem = InputProblem(loc=path, input=_shorten(raw), rule=err["type"], message=_message(err["msg"]))
            items.append(_Item(problem, raw))
    return items


def input_error(exc: ValidationError, *, model: str | None = None) -> InputError:
    """Our typed error for a pydantic ``ValidationError`` (raise it ``from exc``).

    Args:
        exc: the pydantic error.
        model: the model name to start the paths with (default: pydantic's ``title``, the model's name).

    Returns:
        The :class:`~dmpclient.errors.InputError` one of our validators raised when it is the only problem
        (unchanged, with a note giving its location inside the model), else an :class:`InvalidInput` with every problem.
    """
    root = model if model is not None else exc.title
    items = _items(exc, root)
    if not items:  # pragma: no cover - pydantic never raises an empty ValidationError
        items = [_Item(InputProblem(loc=root, input=None, rule="invalid", message=str(exc)), None)]
    if len(items) == 1 and items[0].own is not None:
        own, where = items[0].own, items[0].problem["loc"]
        if own.field is None:
            own.field = where
        if own.field != where and where != root:
            own.add_note(f"location: {where}")
        return own
    return InvalidInput([i.problem for i in items], value=items[0].raw, model=root)


class InputModel(BaseModel):
    """A pydantic model filled in by users: bad input raises :class:`InvalidInput` (or our own error).

    Fields, defaults, validators and configuration are those of the subclass; only the error type changes.
    """

    def __init__(self, /, **data: Any) -> None:
        __tracebackhide__ = True
        try:
            super().__init__(**data)
        except ValidationError as exc:
            raise input_error(exc, model=type(self).__name__) from exc

    # Nested validation stays in pydantic's core (no call to ``__init__``), so that a problem deep inside is
    # reported once by the outermost model, with its full path.
    __init__.__pydantic_base_init__ = True  # type: ignore[attr-defined]

    @classmethod
    def model_validate(cls, obj: Any, **kwargs: Any) -> Self:
        """Validate ``obj`` (a mapping or an instance); raises :class:`InvalidInput` on bad input."""
        __tracebackhide__ = True
        try:
            return super().model_validate(obj, **kwargs)
        except ValidationError as exc:
            raise input_error(exc, model=cls.__name__) from exc

    @classmethod
    def model_validate_json(cls, json_data: str | bytes | bytearray, **kwargs: Any) -> Self:
        """Validate JSON text; raises :class:`InvalidInput` on bad input (malformed JSON included)."""
        __tracebackhide__ = True
        try:
            return super().model_validate_json(json_data, **kwargs)
        except ValidationError as exc:
            raise input_error(exc, model=cls.__name__) from exc

    @classmethod
    def model_validate_strings(cls, obj: Any, **kwargs: Any) -> Self:
        """Validate a mapping of strings (environment, form data); raises :class:`InvalidInput` on bad input."""
        __tracebackhide__ = True
        try:
            return super().model_validate_strings(obj, **kwargs)
        except ValidationError as exc:
            raise input_error(exc, model=cls.__name__) from exc

    if not TYPE_CHECKING:  # keep attribute checks of type checkers (frozen fields, unknown names)

        def __setattr__(self, name: str, value: Any) -> None:
            try:
                super().__setattr__(name, value)
            except ValidationError as exc:
                raise input_error(exc, model=type(self).__name__) from exc

        def __delattr__(self, name: str) -> None:
            try:
                super().__delattr__(name)
            except ValidationError as exc:
                raise input_error(exc, model=type(self).__name__) from exc

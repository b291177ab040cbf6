"""Cached value-set lookup for the XDS codec (private); the terminology constants themselves are imported
straight from :mod:`dmpclient.terminology`, their one home."""

from __future__ import annotations

from dmpclient.errors import InputError
from dmpclient.terminology import Terminology, ValueSet, default_terminology, value_set

__all__ = ["find_value_set"]


_cache: tuple[Terminology | None, dict[str, ValueSet | None]] = (None, {})


def find_value_set(name: str) -> ValueSet | None:
    """The active value set ``name`` (``"J57"`` …), or ``None`` when the terminology does not know it.

    Cached per active terminology object: installing another terminology invalidates the cache.
    """
    global _cache
    active = default_terminology()
    owner, found = _cache
    if owner is not active:
        found = {}
        _cache = (active, found)
    if name not in found:
        try:
            found[name] = value_set(name, terminology=active)
        except (InputError, KeyError, LookupError):
            found[name] = None
    return found[name]

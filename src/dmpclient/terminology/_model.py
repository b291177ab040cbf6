"""Codes and value sets: the model shared by the built-in tables and the loaders."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from datetime import date
from typing import Any

from pydantic import ConfigDict, Field, PrivateAttr, field_validator

from dmpclient._models import InputModel

__all__ = ["Code", "CodeMap", "ValueSet"]


class Code(InputModel):
    """A coded value: ``code`` in ``code_system`` (an OID, or a literal such as ``URN`` / ``ASTM``).

    ``display`` is informative: two codes are *the same concept* when :attr:`key` is equal, whatever
    their display names. Instances are immutable and hashable.

    >>> Code(code="10", code_system="1.2.250.1.213.1.1.4.1", display="Compte rendu").key
    ('1.2.250.1.213.1.1.4.1', '10')
    """

    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=True)

    code: str = Field(min_length=1)
    code_system: str = Field(min_length=1)
    display: str | None = None

    def __init__(
        self, code: str | None = None, code_system: str | None = None, display: str | None = None, **data: Any
    ) -> None:
        # Positional construction Code("10", "1.2.250.1.213.1.1.4.1", "Compte rendu") is convenient.
        if code is not None:
            data["code"] = code
        if code_system is not None:
            data["code_system"] = code_system
        if display is not None:
            data["display"] = display
        super().__init__(**data)

    # Nested codes (``{"code": …}`` inside another model) are validated by pydantic's core, not by this method:
    # problems are then reported by the outer model with their full path.
    __init__.__pydantic_base_init__ = True  # type: ignore[attr-defined]

    @property
    def key(self) -> tuple[str, str]:
        """``(code_system, code)``: identity of the concept."""
        return (self.code_system, self.code)

    def same_concept(self, other: Code) -> bool:
        """True when both codes have the same system and code."""
        return self.key == other.key

    def with_display(self, display: str | None) -> Code:
        """A copy with another display name."""
        return Code(self.code, self.code_system, display)

    def __str__(self) -> str:
        shown = f" ({self.display})" if self.display else ""
        return f"{self.code}@{self.code_system}{shown}"


class ValueSet(InputModel):
    """A named list of codes (a French *jeu de valeurs*, JDV), with provenance.

    Attributes:
        name: the NOS name (``JDV_J57-ClassCode-DMP``) or a descriptive name.
        oid: the value set OID, when it has one.
        version: version or date of the content (``2024-09-27``).
        source: where the facts come from (file, repository and commit, or ``"reference"``).
        concepts: the codes.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str
    oid: str | None = None
    version: str
    source: str
    concepts: tuple[Code, ...]
    description: str | None = None

    _by_key: dict[tuple[str, str], Code] = PrivateAttr(default_factory=dict)
    _by_code: dict[str, list[Code]] = PrivateAttr(default_factory=dict)

    @field_validator("concepts")
    @classmethod
    def _no_duplicates(cls, value: tuple[Code, ...]) -> tuple[Code, ...]:
        seen: set[tuple[str, str]] = set()
        for c in value:
            if c.key in seen:
                raise ValueError(f"duplicate code {c.code!r} in {c.code_system!r}")
            seen.add(c.key)
        return value

    def model_post_init(self, context: Any, /) -> None:
        """Build the lookup indexes once."""
        self._by_key = {c.key: c for c in self.concepts}
        for c in self.concepts:
            self._by_code.setdefault(c.code, []).append(c)

    # -- queries

    def __len__(self) -> int:
        return len(self.concepts)

    def __iter__(self) -> Iterator[Code]:  # type: ignore[override]
        return iter(self.concepts)

    def __contains__(self, item: object) -> bool:
        """Membership by :class:`Code` (system + code), ``(system, code)`` tuple or bare code string."""
        if isinstance(item, Code):
            return item.key in self._index_key()
        if isinstance(item, tuple) and len(item) == 2:
            return item in self._index_key()
        if isinstance(item, str):
            return item in self._index_code()
        return False

    def lookup(self, code: str, code_system: str | None = None) -> Code | None:
        """The concept for ``code`` (in ``code_system`` when given); ``None`` when absent or ambiguous."""
        if code_system is not None:
            return self._index_key().get((code_system, code))
        matches = self._index_code().get(code, [])
        return matches[0] if len(matches) == 1 else None

    def display(self, code: str, code_system: str | None = None) -> str | None:
        """Display name of a code, or ``None``."""
        found = self.lookup(code, code_system)
        return found.display if found else None

    @property
    def code_systems(self) -> frozenset[str]:
        """Every code system used by the concepts."""
        return frozenset(c.code_system for c in self.concepts)

    @property
    def date(self) -> date | None:
        """:attr:`version` as a date when it is one (``YYYY-MM-DD`` or ``YYYYMMDD…``)."""
        text = self.version.replace("-", "")[:8]
        if len(text) == 8 and text.isdigit():
            try:
                return date(int(text[:4]), int(text[4:6]), int(text[6:8]))
            except ValueError:
                return None
        return None

    def codes(self) -> list[str]:
        """The bare codes, in order."""
        return [c.code for c in self.concepts]

    def _index_key(self) -> Mapping[tuple[str, str], Code]:
        return self._by_key

    def _index_code(self) -> Mapping[str, list[Code]]:
        return self._by_code

    @classmethod
    def of(
        cls,
        name: str,
        codes: Iterable[tuple[str, str, str | None]],
        *,
        oid: str | None,
        version: str,
        source: str,
        description: str | None = None,
    ) -> ValueSet:
        """Build from ``(code, code_system, display)`` triples."""
        return cls(
            name=name,
            oid=oid,
            version=version,
            source=source,
            description=description,
            concepts=tuple(Code(c, s, d) for c, s, d in codes),
        )


class CodeMap(InputModel):
    """A correspondence table between two code lists (e.g. ASS_X04 typeCode → classCode).

    ``entries`` maps a source key ``(system, code)`` to the target :class:`Code`.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str
    oid: str | None = None
    version: str
    source: str
    entries: dict[tuple[str, str], Code]
    description: str | None = None

    def target(self, code: str | Code, code_system: str | None = None) -> Code | None:
        """Target of a source code; with a bare code and no system, unique matches only."""
        if isinstance(code, Code):
            return self.entries.get(code.key)
        if code_system is not None:
            return self.entries.get((code_system, code))
        found = [v for (s, c), v in self.entries.items() if c == code]
        return found[0] if len(found) == 1 else None

    def __len__(self) -> int:
        return len(self.entries)

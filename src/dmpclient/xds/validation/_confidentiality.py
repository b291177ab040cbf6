"""Confidentiality codes: the allowed combinations and the allowed changes (``xds-metadata.md`` §6.2,
``transactions.md`` §7.2).

* ``N`` always, first; ``MASQUE_PS`` / ``INVISIBLE_*`` never alone;
* ``INVISIBLE_PATIENT`` + ``MASQUE_PS`` forbidden while ``cumul-invisible_patient-masque_ps`` is false
  (EX_2.1-1050), except on the signature entry (the DMP's own convention, official TD2.1 example);
* ``INVISIBLE_REPRESENTANTS_LEGAUX`` only when minors management is on;
* changes: ``MASQUE_PS`` can be set and removed at will; ``INVISIBLE_*`` can only be removed — once removed
  it can never be set again, and it can only be set at feeding time.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Final

from dmpclient.errors import Finding
from dmpclient.terminology import (
    CONFIDENTIALITY_NORMAL,
    INVISIBLE_PATIENT,
    INVISIBLE_REPRESENTANTS_LEGAUX,
    MASQUE_PS,
    Code,
)
from dmpclient.xds.validation._base import Collector, DmpParameters, Profile

__all__ = ["check_confidentiality_codes", "check_confidentiality_transition", "normalize_confidentiality"]

_BY_NAME: Final[dict[str, Code]] = {
    c.code: c for c in (CONFIDENTIALITY_NORMAL, MASQUE_PS, INVISIBLE_PATIENT, INVISIBLE_REPRESENTANTS_LEGAUX)
}
_INVISIBLE: Final = (INVISIBLE_PATIENT, INVISIBLE_REPRESENTANTS_LEGAUX)
MAX_CONFIDENTIALITY_CODES: Final = 4


def normalize_confidentiality(codes: Iterable[Code | str]) -> list[Code]:
    """Codes as :class:`Code`; bare strings ``N``, ``MASQUE_PS``, ``INVISIBLE_*`` get their code system."""
    out: list[Code] = []
    for c in codes:
        if isinstance(c, Code):
            out.append(c)
        else:
            out.append(_BY_NAME.get(c, Code(c, "unknown")))
    return out


def _has(codes: list[Code], wanted: Code) -> bool:
    return any(c.key == wanted.key for c in codes)


def check_confidentiality_codes(
    codes: Iterable[Code | str],
    collector: Collector,
    where: str,
    *,
    params: DmpParameters,
    signature: bool = False,
) -> None:
    """The combination rules on one entry's confidentiality codes (DMP layer)."""
    items = normalize_confidentiality(codes)
    shown = ", ".join(c.code for c in items) or "(none)"
    if len(items) > MAX_CONFIDENTIALITY_CODES:
        collector.add(
            "dmp.confidentiality.count",
            f"{len(items)} confidentiality codes ({shown}); the DMP takes 1 to {MAX_CONFIDENTIALITY_CODES}",
            location=where,
            value=shown,
        )
    keys = [c.key for c in items]
    duplicates = sorted({c.code for c in items if keys.count(c.key) > 1})
    if duplicates:
        collector.add(
            "dmp.confidentiality.duplicate",
            f"confidentiality code(s) {', '.join(duplicates)} given more than once",
            location=where,
            value=shown,
        )
    if not _has(items, CONFIDENTIALITY_NORMAL):
        alone = [c.code for c in items if c.key != CONFIDENTIALITY_NORMAL.key]
        detail = f"{', '.join(alone)} never go(es) without N" if alone else "no confidentiality code at all"
        collector.add(
            "dmp.confidentiality.normal",
            f"confidentiality codes lack N (Normal, 2.16.840.1.113883.5.25): {detail}",
            location=where,
            value=shown,
        )
    elif items[0].key != CONFIDENTIALITY_NORMAL.key:
        collector.add(
            "dmp.confidentiality.order",
            f"N must be the first confidentiality code, got {shown}",
            location=where,
            value=shown,
        )
    if (
        _has(items, INVISIBLE_PATIENT)
        and _has(items, MASQUE_PS)
        and not params.cumul_invisible_patient_masque_ps
        and not signature
    ):
        collector.add(
            "dmp.confidentiality.cumul",
            "INVISIBLE_PATIENT and MASQUE_PS together are refused while the DMP parameter "
            "cumul-invisible_patient-masque_ps is false",
            location=where,
            value=shown,
        )
    if _has(items, INVISIBLE_REPRESENTANTS_LEGAUX) and not params.fonctions_gestion_mineurs:
        collector.add(
            "dmp.confidentiality.minors",
            "INVISIBLE_REPRESENTANTS_LEGAUX while minors management (fonctions-gestion-mineurs) is off",
            location=where,
            value=shown,
        )


def transition_into(
    old_codes: Iterable[Code | str],
    new_codes: Iterable[Code | str],
    collector: Collector,
    where: str,
    *,
    params: DmpParameters,
    combinations: bool = True,
) -> None:
    """Check the change ``old_codes`` → ``new_codes`` into ``collector`` (and the new combination)."""
    old = normalize_confidentiality(old_codes)
    new = normalize_confidentiality(new_codes)
    for code in _INVISIBLE:
        if _has(new, code) and not _has(old, code):
            collector.add(
                "dmp.confidentiality.invisibleAdded",
                f"{code.code} can only be set when the document is fed; once removed it can never be set again "
                "(irreversible visibility)",
                location=where,
                value=code.code,
            )
    if combinations:
        check_confidentiality_codes(new, collector, where, params=params)


def check_confidentiality_transition(
    old_codes: Iterable[Code | str],
    new_codes: Iterable[Code | str],
    *,
    params: DmpParameters | None = None,
    location: str | None = "confidentialityCode",
) -> list[Finding]:
    """Findings for changing a document's confidentiality codes from ``old_codes`` to ``new_codes``
    (TD3.3a/b, and replacements: a document visible to the patient cannot be made invisible again).

    ``MASQUE_PS`` may come and go; ``INVISIBLE_PATIENT`` / ``INVISIBLE_REPRESENTANTS_LEGAUX`` may only be
    removed (``dmp.confidentiality.invisibleAdded``); the new set must be a valid combination. Codes are
    :class:`~dmpclient.terminology.Code` objects or bare strings (``"N"``, ``"MASQUE_PS"`` …). Used by the
    client guard before TD3.3a/b and by the sandbox.

    Examples:
        >>> [f.rule for f in check_confidentiality_transition(["N"], ["N", "INVISIBLE_PATIENT"])]
        ['dmp.confidentiality.invisibleAdded']
        >>> check_confidentiality_transition(["N", "INVISIBLE_PATIENT"], ["N"])
        []
    """
    collector = Collector(Profile.DMP.layers)
    transition_into(
        old_codes, new_codes, collector, location or "confidentialityCode", params=params or DmpParameters()
    )
    return collector.findings

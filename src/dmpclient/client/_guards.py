"""Client-side guards: the CNDA/DMP rules the client enforces **before anything is sent**.

Each guard raises a clear typed error (mostly :class:`~dmpclient.errors.RuleViolation` carrying the rule
id) and can be switched off through :class:`GuardSettings` — e.g. to check that the sandbox refuses by
itself what the client would have refused.

=========================  ==================================================================================
guard                      what it refuses
=========================  ==================================================================================
``nia``                    a NIA (temporary INS) or an INS OID of the wrong environment (CNDA 0.2-080)
``rights``                 what the rights matrix forbids to the acting profile (PDT-INF-526 / 606)
``query_after_feed``       a TD3.1 on a patient within ``query_after_feed_window`` after a feed of that
                           patient (EX_3.1-1090), unless the call says ``user_initiated=True``
``query_limits``           queries over the DMP value-count limits are **split and merged** (not refused)
``confidentiality``        adding back ``INVISIBLE_*`` (irreversible), forbidden combinations (EX_2.1-1050)
``vaccination``            vaccination notes (87273-9) not ``N``-only, or fed in a secret connection
                           (EX_2.1-2000…2035)
``document_size``          a document larger than the client's ``max_document_size``
``metadata``               the DMP-profile validation of the TD2.1 metadata (``ValidationFailed``)
=========================  ==================================================================================
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, fields, replace
from typing import Any, Final

from dmpclient.context import ActingContext
from dmpclient.environments import Environment
from dmpclient.errors import ConfigurationError, RuleViolation, errors_only
from dmpclient.ids import INS
from dmpclient.terminology import CONFIDENTIALITY_NORMAL
from dmpclient.xds.model import Code, DocumentEntry
from dmpclient.xds.validation import RULES, DmpParameters, check_confidentiality_transition

__all__ = [
    "QUERY_AFTER_FEED_RULE",
    "VACCINATION_NOTE",
    "VACCINATION_RULE",
    "FeedJournal",
    "GuardSettings",
    "check_confidentiality_change",
    "check_document_sizes",
    "check_not_after_feed",
    "check_patient",
    "check_vaccination_notes",
]

#: The rule the "no automatic TD3.1 after a feed" guard enforces (CNDA book numbering).
QUERY_AFTER_FEED_RULE: Final = "EX_3.1-1090"
#: The vaccination-note requirements of the guide.
VACCINATION_RULE: Final = "EX_2.1-2000…2035"
#: typeCode of a *note de vaccination* (LOINC 87273-9).
VACCINATION_NOTE: Final = Code("87273-9", "2.16.840.1.113883.6.1")


@dataclass(frozen=True)
class GuardSettings:
    """Which client-side guards are on (all by default) and their parameters.

    Attributes:
        nia: refuse a NIA and INS OIDs of another environment before building anything.
        rights: apply the rights matrix to the acting profile (``dmpclient.transactions.rights``).
        query_after_feed: refuse a TD3.1 on a patient fed less than ``query_after_feed_window`` ago
            (EX_3.1-1090) unless ``user_initiated=True``; TD3.1b is never affected.
        query_after_feed_window: how long after a feed the refusal lasts [I] (default 15 minutes).
        query_limits: split queries over the DMP value-count limits (20 uniqueIds, 88 entryUUIDs, 1000
            ``$uuid``) and merge the answers; when off, a query is sent as given.
        confidentiality: check TD3.3a/b changes (``INVISIBLE_*`` never added back, allowed combinations).
        vaccination: vaccination notes are ``N`` only and never sent in a secret connection.
        document_size: refuse documents larger than the client's ``max_document_size`` (no limit when None).
        metadata: validate TD2.1 metadata against the DMP profile before signing (``ValidationFailed``).
    """

    nia: bool = True
    rights: bool = True
    query_after_feed: bool = True
    query_after_feed_window: dt.timedelta = dt.timedelta(minutes=15)
    query_limits: bool = True
    confidentiality: bool = True
    vaccination: bool = True
    document_size: bool = True
    metadata: bool = True

    def __post_init__(self) -> None:
        if self.query_after_feed_window < dt.timedelta(0):
            raise ConfigurationError(
                "the window must not be negative",
                field="guards.query_after_feed_window",
                value=self.query_after_feed_window,
            )

    @classmethod
    def disabled(cls) -> GuardSettings:
        """Every guard off (to test a server's own refusals). Input checks of floor 1–3 still apply."""
        flags: dict[str, Any] = {f.name: False for f in fields(cls) if f.type in ("bool", bool)}
        return cls(**flags)

    def without(self, *names: str) -> GuardSettings:
        """A copy with the named guards switched off (``settings.without("rights", "nia")``)."""
        known = {f.name for f in fields(self) if f.type in ("bool", bool)}
        unknown = [n for n in names if n not in known]
        if unknown:
            raise ConfigurationError(
                f"unknown guard; guards are {', '.join(sorted(known))}", field="guards", value=unknown
            )
        flags: dict[str, Any] = dict.fromkeys(names, False)
        return replace(self, **flags)


class FeedJournal:
    """When each patient was last fed by this client (for the EX_3.1-1090 guard). Thread-safe."""

    def __init__(self) -> None:
        self._last: dict[tuple[str, str], dt.datetime] = {}
        self._lock = threading.Lock()

    @staticmethod
    def _key(ins: INS) -> tuple[str, str]:
        return (ins.matricule, ins.oid.value)

    def record(self, ins: INS, when: dt.datetime) -> None:
        """Note a feed of ``ins`` at ``when``."""
        with self._lock:
            self._last[self._key(ins)] = when

    def last_feed(self, ins: INS) -> dt.datetime | None:
        """When ``ins`` was last fed, or None."""
        with self._lock:
            return self._last.get(self._key(ins))

    def forget(self, ins: INS | None = None) -> None:
        """Forget one patient (or everybody)."""
        with self._lock:
            if ins is None:
                self._last.clear()
            else:
                self._last.pop(self._key(ins), None)


def check_patient(ins: INS, environment: Environment) -> INS:
    """Refuse a NIA (:class:`~dmpclient.errors.NIARefused`) and an INS OID of another environment."""
    if not isinstance(ins, INS):
        raise RuleViolation("the patient must be an INS", field="ins", value=ins, rule="INS")
    return ins.check_dmp_access(environment.kind)


def check_not_after_feed(
    journal: FeedJournal, ins: INS, now: dt.datetime, settings: GuardSettings, *, what: str
) -> None:
    """Refuse a TD3.1 on a patient fed less than the window ago (EX_3.1-1090)."""
    last = journal.last_feed(ins)
    if last is None:
        return
    elapsed = now - last
    if elapsed < settings.query_after_feed_window:
        raise RuleViolation(
            f"{what} refused: this patient was fed {int(elapsed.total_seconds())} s ago; a search right after a "
            "feed is forbidden (every TD3.1 notifies the patient)",
            field="ins",
            value=ins.to_cx(),
            rule=QUERY_AFTER_FEED_RULE,
            hint="follow a submission with the uniqueIds you generated (get_document_entry / TD3.1b), or pass "
            "user_initiated=True when the user explicitly asked for this search",
        )


def check_document_sizes(entries: Iterable[DocumentEntry], max_size: int | None) -> None:
    """Refuse documents larger than ``max_size`` bytes (the DMP's own limit is not public)."""
    if max_size is None:
        return
    for index, entry in enumerate(entries):
        if entry.size is not None and entry.size > max_size:
            raise RuleViolation(
                f"document of {entry.size} bytes exceeds the configured maximum of {max_size} bytes",
                field=f"documents[{index}].size",
                value=entry.size,
                rule="max_document_size",
                hint="the DMP's own limit is not published; the limit is a client setting",
            )


def _is_vaccination_note(entry: DocumentEntry) -> bool:
    return entry.type_code is not None and entry.type_code.key == VACCINATION_NOTE.key


def check_vaccination_notes(entries: Sequence[DocumentEntry], acting: ActingContext) -> None:
    """Vaccination notes: confidentiality ``N`` only, never in a secret connection (EX_2.1-2000…2035)."""
    for index, entry in enumerate(entries):
        if not _is_vaccination_note(entry):
            continue
        if acting.secret_connection:
            raise RuleViolation(
                "a vaccination note cannot be sent in a minor's secret connection",
                field=f"documents[{index}].typeCode",
                value=VACCINATION_NOTE.code,
                rule=VACCINATION_RULE,
            )
        others = [c.code for c in entry.confidentiality_codes if c.key != CONFIDENTIALITY_NORMAL.key]
        if others:
            raise RuleViolation(
                "a vaccination note (87273-9) has confidentiality N only",
                field=f"documents[{index}].confidentialityCode",
                value=others,
                rule=VACCINATION_RULE,
            )


def check_confidentiality_change(
    entry: DocumentEntry, new_codes: Sequence[Code], params: DmpParameters, *, vaccination: bool = True
) -> None:
    """TD3.3a/b: ``INVISIBLE_*`` is never added back (irreversible), the new combination is allowed, and a
    vaccination note stays ``N`` only."""
    if vaccination and _is_vaccination_note(entry):
        extra = [c.code for c in new_codes if c.key != CONFIDENTIALITY_NORMAL.key]
        if extra:
            raise RuleViolation(
                "a vaccination note (87273-9) keeps confidentiality N only",
                field="confidentialityCode",
                value=extra,
                rule=VACCINATION_RULE,
            )
    findings = errors_only(check_confidentiality_transition(entry.confidentiality_codes, new_codes, params=params))
    if findings:
        first = findings[0]
        rule = RULES.get(first.rule)
        raise RuleViolation(
            first.message,
            field="confidentialityCode",
            value=[c.code for c in new_codes],
            rule=(rule.requirement if rule and rule.requirement else None) or first.rule,
            hint=f"current codes: {', '.join(c.code for c in entry.confidentiality_codes) or '(none)'}",
        )

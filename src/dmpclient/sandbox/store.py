"""The sandbox store: SQLite (a file or ``:memory:``), transactional and thread-safe.

What it holds (``docs/sandbox/behaviour.md``): patients (INS + OID, identity traits, DMP state, oppositions,
Mon espace santé attachment, minor flag), the professionals and structures seen, authorisations per
professional (``VALIDE`` / ``EXPIRE`` / ``INTERDIT``, médecin traitant flag), submission sets, DocumentEntries
(one row per **metadata version**: the model's JSON plus indexed columns), the documents' contents (files in
a directory or BLOBs in the database), associations, the status history, the access and notification logs,
the searches counted for the over-solicitation threshold, the vaccinations of the vaccination record, and
the sandbox settings.

Every write happens in a transaction (``BEGIN IMMEDIATE``); :meth:`SandboxStore.transaction` nests (a
handler opens one and every store call inside it joins it), and a failure rolls back everything, including
the content files written in the meantime: a failed submission leaves nothing behind. One connection is
shared by the server's threads behind a re-entrant lock.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import shutil
import sqlite3
import threading
import uuid
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from enum import StrEnum
from pathlib import Path
from typing import Any, Final

from dmpclient.errors import ConfigurationError, InputError
from dmpclient.ids import INS
from dmpclient.soap import ReceivedPart
from dmpclient.xds.model import Association, DocumentEntry, SubmissionSet

__all__ = [
    "AuthorizationRecord",
    "AuthorizationStatus",
    "ContentRecord",
    "DmpState",
    "EntryRecord",
    "LogRecord",
    "PatientRecord",
    "ProfessionalRecord",
    "SandboxStore",
    "StatusChange",
    "StoreError",
    "SubmissionSetRecord",
]

APPROVED: Final = "urn:oasis:names:tc:ebxml-regrep:StatusType:Approved"


class StoreError(InputError):
    """A store operation was refused (unknown patient, duplicate key …)."""


class DmpState(StrEnum):
    """State of a patient's DMP."""

    NONE = "none"
    """No DMP (TD0.2 ``NF``)."""
    ACTIVE = "active"
    """The DMP exists (``active``)."""
    CLOSED = "closed"
    """Closed (TD0.2 ``terminated``, with date and motif)."""


class AuthorizationStatus(StrEnum):
    """A professional's authorisation on a DMP (TD0.2 ``AUTORISATION``; ``NON_EXISTE`` when no row)."""

    VALIDE = "VALIDE"
    EXPIRE = "EXPIRE"
    INTERDIT = "INTERDIT"


def _iso(value: dt.datetime | dt.date | None) -> str | None:
    return None if value is None else value.isoformat()


def _dt(value: str | None) -> dt.datetime | None:
    if value is None:
        return None
    parsed = dt.datetime.fromisoformat(value)
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)


def _date(value: str | None) -> dt.date | None:
    return None if value is None else dt.date.fromisoformat(value)


def _bars(values: Iterable[str]) -> str:
    """``|a|b|`` so that ``LIKE '%|a|%'`` finds a value."""
    items = [v for v in values if v]
    return "|" + "|".join(items) + "|" if items else ""


# ------------------------------------------------------------------------------------------- records


@dataclass(frozen=True)
class PatientRecord:
    """A test patient and the state of their DMP.

    Attributes:
        id: row id.
        ins: the INS (matricule + OID); the DMP is found by both.
        birth_family_name / given_names / sex / birth_date: INS identity traits.
        used_family_name / used_given_name: nom / prénom utilisés.
        dmp_state: none, active or closed.
        closed_at / close_reason: date and motif of a closed DMP (« Je ne veux plus de DMP » …).
        deceased_on: date of death (Cas 15), or None.
        opposition_bris_de_glace / opposition_centre_15: the patient opposed emergency access.
        masked_in_emergency: the patient allowed reading masked documents in bris de glace / centre 15
            (rights-matrix note 7).
        ens_attached: the DMP is attached to Mon espace santé (``RATTACHEMENT_ENS``).
        internet_account: ``COMPTE_INTERNET_OUVERT``.
        minor: force the minor status (None: computed from the birth date and the age of majority).
        extra: address, birthplace, legal representatives, telecoms … (TD1.3a).
    """

    id: int
    ins: INS
    birth_family_name: str
    given_names: tuple[str, ...]
    sex: str
    birth_date: dt.date
    used_family_name: str | None = None
    used_given_name: str | None = None
    dmp_state: DmpState = DmpState.ACTIVE
    closed_at: dt.datetime | None = None
    close_reason: str | None = None
    deceased_on: dt.date | None = None
    opposition_bris_de_glace: bool = False
    opposition_centre_15: bool = False
    masked_in_emergency: bool = False
    ens_attached: bool = True
    internet_account: bool = True
    minor: bool | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    created_at: dt.datetime | None = None

    @property
    def first_given_name(self) -> str:
        """Premier prénom de naissance."""
        return self.given_names[0] if self.given_names else ""

    @property
    def deceased(self) -> bool:
        """True when a date of death is recorded."""
        return self.deceased_on is not None

    def age_on(self, day: dt.date) -> int:
        """Age in whole years on ``day``."""
        years = day.year - self.birth_date.year
        if (day.month, day.day) < (self.birth_date.month, self.birth_date.day):
            years -= 1
        return years

    def is_minor(self, day: dt.date, age_of_majority: int = 18) -> bool:
        """Minor on ``day`` (the :attr:`minor` override wins)."""
        if self.minor is not None:
            return self.minor
        return self.age_on(day) < age_of_majority

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict (admin API)."""
        return {
            "id": self.id,
            "ins": self.ins.matricule,
            "oid": self.ins.oid.value,
            "birth_family_name": self.birth_family_name,
            "given_names": list(self.given_names),
            "used_family_name": self.used_family_name,
            "used_given_name": self.used_given_name,
            "sex": self.sex,
            "birth_date": self.birth_date.isoformat(),
            "dmp_state": self.dmp_state.value,
            "closed_at": _iso(self.closed_at),
            "close_reason": self.close_reason,
            "deceased_on": _iso(self.deceased_on),
            "opposition_bris_de_glace": self.opposition_bris_de_glace,
            "opposition_centre_15": self.opposition_centre_15,
            "masked_in_emergency": self.masked_in_emergency,
            "ens_attached": self.ens_attached,
            "internet_account": self.internet_account,
            "minor": self.minor,
            "extra": self.extra,
        }


@dataclass(frozen=True)
class ProfessionalRecord:
    """A professional seen by the sandbox (from the VIHF of their calls, or created by the admin API)."""

    id: str
    family_name: str = ""
    given_name: str = ""
    profession: str | None = None
    specialty_code: str | None = None
    specialty_display: str | None = None
    structure_id: str | None = None
    last_seen: dt.datetime | None = None


@dataclass(frozen=True)
class AuthorizationRecord:
    """One professional's authorisation on one DMP.

    Attributes:
        status: VALIDE, EXPIRE or INTERDIT (blocked by the patient).
        is_mt: the professional is the patient's médecin traitant DMP (``STATUT_MT``).
        started_at: start of the authorisation (TD1.6 ``startOfAuthorization``).
        last_action_at: last change (TD1.6 ``lastActionDate``).
        structure_id: the structure the authorisation was given through (CPE: "donnée à la structure").
    """

    patient_id: int
    professional_id: str
    status: AuthorizationStatus
    is_mt: bool = False
    started_at: dt.datetime | None = None
    last_action_at: dt.datetime | None = None
    structure_id: str | None = None


@dataclass(frozen=True)
class SubmissionSetRecord:
    """A stored submission set (a TD2.1 lot, or the lot of a TD3.3 update)."""

    entry_uuid: str
    unique_id: str
    patient_id: int
    submission_time: dt.datetime | None
    metadata: SubmissionSet
    caller_id: str | None = None
    transaction: str | None = None
    created_at: dt.datetime | None = None


@dataclass(frozen=True)
class EntryRecord:
    """One metadata version of a DocumentEntry as stored.

    Attributes:
        entry_uuid: registry id of this version (changes at every metadata version).
        logical_id: ``lid``, the entryUUID of version 1 (stable).
        version: metadata version (1, 2 …).
        unique_id: the document's uniqueId (same for every metadata version).
        status: availabilityStatus URN of this version.
        is_latest: the latest metadata version of the document.
        metadata: the full DocumentEntry as the registry returns it.
        submission_set_uuid: the lot that created this version.
        is_signature: the XAdES signature entry of a lot.
    """

    entry_uuid: str
    logical_id: str
    version: int
    unique_id: str
    patient_id: int
    status: str
    is_latest: bool
    metadata: DocumentEntry
    submission_set_uuid: str | None = None
    is_signature: bool = False
    created_at: dt.datetime | None = None

    @property
    def confidentiality(self) -> tuple[str, ...]:
        """The confidentiality codes (``N``, ``MASQUE_PS`` …)."""
        return tuple(c.code for c in self.metadata.confidentiality_codes)

    @property
    def author_person_ids(self) -> tuple[str, ...]:
        """IdNat of every authorPerson."""
        return tuple(a.person.id for a in self.metadata.authors if a.person is not None and a.person.id)

    @property
    def author_institution_ids(self) -> tuple[str, ...]:
        """IdNat of every authorInstitution."""
        return tuple(i.id for a in self.metadata.authors for i in a.institutions if i.id)


@dataclass(frozen=True)
class ContentRecord:
    """A document's content: a file of the documents directory, or a BLOB."""

    unique_id: str
    mime_type: str
    size: int
    sha1: str
    path: Path | None = None
    data: bytes | None = None

    def read_bytes(self) -> bytes:
        """The whole content."""
        if self.data is not None:
            return self.data
        if self.path is None:  # pragma: no cover - one of the two is always set
            raise StoreError("content without data", field="content", value=self.unique_id)
        return self.path.read_bytes()


@dataclass(frozen=True)
class StatusChange:
    """One line of a document's status history."""

    at: dt.datetime
    logical_id: str
    entry_uuid: str
    old_status: str | None
    new_status: str
    transaction: str | None
    caller_id: str | None
    reason: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict."""
        return {
            "at": _iso(self.at),
            "logical_id": self.logical_id,
            "entry_uuid": self.entry_uuid,
            "old_status": self.old_status,
            "new_status": self.new_status,
            "transaction": self.transaction,
            "caller_id": self.caller_id,
            "reason": self.reason,
        }


@dataclass(frozen=True)
class LogRecord:
    """One line of the access log or of the notification log."""

    at: dt.datetime
    transaction: str | None
    caller_id: str | None
    patient: str | None
    outcome: str
    code: str | None = None
    message: str | None = None
    details: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict."""
        return {
            "at": _iso(self.at),
            "transaction": self.transaction,
            "caller_id": self.caller_id,
            "patient": self.patient,
            "outcome": self.outcome,
            "code": self.code,
            "message": self.message,
            **self.details,
        }


# -------------------------------------------------------------------------------------------- schema

_SCHEMA: Final = """
CREATE TABLE IF NOT EXISTS patients (
    id INTEGER PRIMARY KEY,
    matricule TEXT NOT NULL,
    oid TEXT NOT NULL,
    birth_family_name TEXT NOT NULL,
    given_names TEXT NOT NULL,
    used_family_name TEXT,
    used_given_name TEXT,
    sex TEXT NOT NULL,
    birth_date TEXT NOT NULL,
    dmp_state TEXT NOT NULL,
    closed_at TEXT,
    close_reason TEXT,
    deceased_on TEXT,
    opposition_bdg INTEGER NOT NULL DEFAULT 0,
    opposition_c15 INTEGER NOT NULL DEFAULT 0,
    masked_in_emergency INTEGER NOT NULL DEFAULT 0,
    ens_attached INTEGER NOT NULL DEFAULT 1,
    internet_account INTEGER NOT NULL DEFAULT 1,
    minor INTEGER,
    extra TEXT NOT NULL DEFAULT '{}',
    created_at TEXT,
    UNIQUE (matricule, oid)
);
CREATE TABLE IF NOT EXISTS professionals (
    id TEXT PRIMARY KEY,
    family_name TEXT NOT NULL DEFAULT '',
    given_name TEXT NOT NULL DEFAULT '',
    profession TEXT,
    specialty_code TEXT,
    specialty_display TEXT,
    structure_id TEXT,
    last_seen TEXT
);
CREATE TABLE IF NOT EXISTS structures (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL DEFAULT '',
    secteur TEXT,
    last_seen TEXT
);
CREATE TABLE IF NOT EXISTS authorizations (
    patient_id INTEGER NOT NULL REFERENCES patients(id),
    professional_id TEXT NOT NULL,
    status TEXT NOT NULL,
    is_mt INTEGER NOT NULL DEFAULT 0,
    started_at TEXT,
    last_action_at TEXT,
    structure_id TEXT,
    PRIMARY KEY (patient_id, professional_id)
);
CREATE TABLE IF NOT EXISTS submission_sets (
    entry_uuid TEXT PRIMARY KEY,
    unique_id TEXT NOT NULL UNIQUE,
    patient_id INTEGER NOT NULL REFERENCES patients(id),
    submission_time TEXT,
    source_id TEXT,
    author_persons TEXT NOT NULL DEFAULT '',
    author_institutions TEXT NOT NULL DEFAULT '',
    metadata TEXT NOT NULL,
    caller_id TEXT,
    transaction_id TEXT,
    created_at TEXT
);
CREATE INDEX IF NOT EXISTS ss_patient ON submission_sets(patient_id, submission_time);
CREATE TABLE IF NOT EXISTS entries (
    entry_uuid TEXT PRIMARY KEY,
    logical_id TEXT NOT NULL,
    version INTEGER NOT NULL,
    unique_id TEXT NOT NULL,
    patient_id INTEGER NOT NULL REFERENCES patients(id),
    status TEXT NOT NULL,
    is_latest INTEGER NOT NULL,
    is_signature INTEGER NOT NULL DEFAULT 0,
    type_code TEXT,
    type_system TEXT,
    class_code TEXT,
    format_code TEXT,
    creation_time TEXT,
    service_start TEXT,
    service_stop TEXT,
    confidentiality TEXT NOT NULL DEFAULT '',
    author_persons TEXT NOT NULL DEFAULT '',
    author_institutions TEXT NOT NULL DEFAULT '',
    hash TEXT,
    size INTEGER,
    repository_unique_id TEXT,
    submission_set_uuid TEXT,
    metadata TEXT NOT NULL,
    created_at TEXT,
    UNIQUE (unique_id, version)
);
CREATE INDEX IF NOT EXISTS entries_patient ON entries(patient_id, status);
CREATE INDEX IF NOT EXISTS entries_lid ON entries(logical_id, version);
CREATE INDEX IF NOT EXISTS entries_uid ON entries(unique_id);
CREATE TABLE IF NOT EXISTS contents (
    unique_id TEXT PRIMARY KEY,
    mime_type TEXT NOT NULL,
    size INTEGER NOT NULL,
    sha1 TEXT NOT NULL,
    path TEXT,
    data BLOB
);
CREATE TABLE IF NOT EXISTS associations (
    id TEXT PRIMARY KEY,
    type TEXT NOT NULL,
    source TEXT NOT NULL,
    target TEXT NOT NULL,
    submission_set_uuid TEXT,
    status TEXT NOT NULL,
    metadata TEXT NOT NULL,
    created_at TEXT
);
CREATE INDEX IF NOT EXISTS assoc_source ON associations(source);
CREATE INDEX IF NOT EXISTS assoc_target ON associations(target);
CREATE TABLE IF NOT EXISTS status_history (
    id INTEGER PRIMARY KEY,
    at TEXT NOT NULL,
    logical_id TEXT NOT NULL,
    entry_uuid TEXT NOT NULL,
    old_status TEXT,
    new_status TEXT NOT NULL,
    transaction_id TEXT,
    caller_id TEXT,
    reason TEXT
);
CREATE INDEX IF NOT EXISTS history_lid ON status_history(logical_id);
CREATE TABLE IF NOT EXISTS access_log (
    id INTEGER PRIMARY KEY,
    at TEXT NOT NULL,
    transaction_id TEXT,
    caller_id TEXT,
    patient TEXT,
    outcome TEXT NOT NULL,
    code TEXT,
    message TEXT,
    details TEXT NOT NULL DEFAULT '{}'
);
CREATE TABLE IF NOT EXISTS notifications (
    id INTEGER PRIMARY KEY,
    at TEXT NOT NULL,
    transaction_id TEXT,
    caller_id TEXT,
    patient TEXT,
    message TEXT,
    details TEXT NOT NULL DEFAULT '{}'
);
CREATE TABLE IF NOT EXISTS searches (
    id INTEGER PRIMARY KEY,
    at TEXT NOT NULL,
    caller_key TEXT NOT NULL,
    patient_id INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS searches_key ON searches(caller_key, patient_id, at);
CREATE TABLE IF NOT EXISTS vaccinations (
    id INTEGER PRIMARY KEY,
    patient_id INTEGER NOT NULL,
    cis_code TEXT NOT NULL,
    vaccination_date TEXT NOT NULL,
    unique_id TEXT NOT NULL,
    active INTEGER NOT NULL DEFAULT 1
);
CREATE INDEX IF NOT EXISTS vacc_patient ON vaccinations(patient_id, cis_code, vaccination_date);
CREATE TABLE IF NOT EXISTS settings (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
"""

_TABLES: Final = (
    "patients",
    "professionals",
    "structures",
    "authorizations",
    "submission_sets",
    "entries",
    "contents",
    "associations",
    "status_history",
    "access_log",
    "notifications",
    "searches",
    "vaccinations",
    "settings",
)


class _Txn:
    """Book-keeping of the outermost transaction of a thread (files to delete on rollback)."""

    def __init__(self) -> None:
        self.depth = 0
        self.created_files: list[Path] = []


class SandboxStore:
    """The sandbox database.

    Args:
        path: a SQLite file, or ``":memory:"`` (default).
        documents_dir: where document contents are written (one file each, streamed back by TD3.2); when
            None they are stored as BLOBs in the database.

    Thread-safe: one connection behind a re-entrant lock; :meth:`transaction` holds the lock from
    ``BEGIN IMMEDIATE`` to ``COMMIT``/``ROLLBACK``.
    """

    def __init__(
        self, path: str | os.PathLike[str] = ":memory:", *, documents_dir: str | os.PathLike[str] | None = None
    ):
        self.path = str(path)
        self.documents_dir = Path(documents_dir) if documents_dir is not None else None
        if self.documents_dir is not None:
            self.documents_dir.mkdir(parents=True, exist_ok=True)
        self._lock = threading.RLock()
        self._local = threading.local()
        self._conn = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
        self._conn.row_factory = sqlite3.Row
        self._conn.execute("PRAGMA foreign_keys = ON")
        if self.path != ":memory:":
            self._conn.execute("PRAGMA journal_mode = WAL")
            self._conn.execute("PRAGMA synchronous = NORMAL")
        self._conn.executescript(_SCHEMA)

    # ---------------------------------------------------------------------------------- plumbing

    def close(self) -> None:
        """Close the connection."""
        with self._lock:
            self._conn.close()

    def __enter__(self) -> SandboxStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _txn(self) -> _Txn:
        txn: _Txn | None = getattr(self._local, "txn", None)
        if txn is None:
            txn = _Txn()
            self._local.txn = txn
        return txn

    @property
    def in_transaction(self) -> bool:
        """True inside :meth:`transaction` on this thread."""
        return self._txn().depth > 0

    @contextlib.contextmanager
    def transaction(self) -> Iterator[SandboxStore]:
        """An atomic unit of work (``BEGIN IMMEDIATE`` … ``COMMIT``); nested calls join the outer one.

        Any exception rolls back every statement and deletes the content files written since ``BEGIN``.
        """
        with self._lock:
            txn = self._txn()
            if txn.depth > 0:
                txn.depth += 1
                try:
                    yield self
                finally:
                    txn.depth -= 1
                return
            self._conn.execute("BEGIN IMMEDIATE")
            txn.depth = 1
            txn.created_files = []
            try:
                yield self
            except BaseException:
                self._conn.execute("ROLLBACK")
                for path in txn.created_files:
                    with contextlib.suppress(OSError):
                        path.unlink()
                raise
            else:
                self._conn.execute("COMMIT")
            finally:
                txn.depth = 0
                txn.created_files = []

    def _exec(self, sql: str, params: Sequence[Any] | dict[str, Any] = ()) -> sqlite3.Cursor:
        with self._lock:
            return self._conn.execute(sql, params)

    def _all(self, sql: str, params: Sequence[Any] | dict[str, Any] = ()) -> list[sqlite3.Row]:
        with self._lock:
            return list(self._conn.execute(sql, params).fetchall())

    def _one(self, sql: str, params: Sequence[Any] | dict[str, Any] = ()) -> sqlite3.Row | None:
        with self._lock:
            row: sqlite3.Row | None = self._conn.execute(sql, params).fetchone()
            return row

    def _insert(self, table: str, values: Mapping[str, Any]) -> sqlite3.Cursor:
        """``INSERT INTO table(column, …) VALUES (:column, …)`` in a transaction (``table``/columns: ours, fixed)."""
        columns = ", ".join(values)
        marks = ", ".join(f":{name}" for name in values)
        with self.transaction():
            return self._exec(f"INSERT INTO {table}({columns}) VALUES ({marks})", dict(values))  # noqa: S608

    def reset(self) -> None:
        """Empty every table and delete the stored content files (the admin ``reset``)."""
        with self.transaction():
            for table in reversed(_TABLES):  # children before the patients they reference
                self._exec(f"DELETE FROM {table}")  # noqa: S608 - fixed table names
        if self.documents_dir is not None:
            for child in self.documents_dir.iterdir():
                if child.is_dir():
                    shutil.rmtree(child, ignore_errors=True)
                else:
                    with contextlib.suppress(OSError):
                        child.unlink()

    def counts(self) -> dict[str, int]:
        """Number of rows per table (admin, tests)."""
        out: dict[str, int] = {}
        for table in _TABLES:
            row = self._one(f"SELECT COUNT(*) AS n FROM {table}")  # noqa: S608 - fixed table names
            out[table] = int(row["n"]) if row else 0
        return out

    # ---------------------------------------------------------------------------------- settings

    def get_setting(self, key: str, default: Any = None) -> Any:
        """A stored setting (JSON value), or ``default``."""
        row = self._one("SELECT value FROM settings WHERE key = ?", (key,))
        return json.loads(row["value"]) if row else default

    def set_setting(self, key: str, value: Any) -> None:
        """Store a setting (JSON-serialisable value)."""
        with self.transaction():
            self._exec(
                "INSERT INTO settings(key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                (key, json.dumps(value)),
            )

    # ---------------------------------------------------------------------------------- patients

    @staticmethod
    def _patient(row: sqlite3.Row) -> PatientRecord:
        minor = row["minor"]
        return PatientRecord(
            id=row["id"],
            ins=INS.parse(row["matricule"], row["oid"]),
            birth_family_name=row["birth_family_name"],
            given_names=tuple(json.loads(row["given_names"])),
            used_family_name=row["used_family_name"],
            used_given_name=row["used_given_name"],
            sex=row["sex"],
            birth_date=dt.date.fromisoformat(row["birth_date"]),
            dmp_state=DmpState(row["dmp_state"]),
            closed_at=_dt(row["closed_at"]),
            close_reason=row["close_reason"],
            deceased_on=_date(row["deceased_on"]),
            opposition_bris_de_glace=bool(row["opposition_bdg"]),
            opposition_centre_15=bool(row["opposition_c15"]),
            masked_in_emergency=bool(row["masked_in_emergency"]),
            ens_attached=bool(row["ens_attached"]),
            internet_account=bool(row["internet_account"]),
            minor=None if minor is None else bool(minor),
            extra=json.loads(row["extra"]),
            created_at=_dt(row["created_at"]),
        )

    @staticmethod
    def _patient_columns(record: PatientRecord) -> dict[str, Any]:
        """The columns of a patient row that :meth:`update_patient` may change (all but ids and created_at)."""
        return {
            "birth_family_name": record.birth_family_name,
            "given_names": json.dumps(list(record.given_names)),
            "used_family_name": record.used_family_name,
            "used_given_name": record.used_given_name,
            "sex": record.sex,
            "birth_date": record.birth_date.isoformat(),
            "dmp_state": DmpState(record.dmp_state).value,
            "closed_at": _iso(record.closed_at),
            "close_reason": record.close_reason,
            "deceased_on": _iso(record.deceased_on),
            "opposition_bdg": int(record.opposition_bris_de_glace),
            "opposition_c15": int(record.opposition_centre_15),
            "masked_in_emergency": int(record.masked_in_emergency),
            "ens_attached": int(record.ens_attached),
            "internet_account": int(record.internet_account),
            "minor": None if record.minor is None else int(record.minor),
            "extra": json.dumps(record.extra),
        }

    def add_patient(self, record: PatientRecord) -> PatientRecord:
        """Insert a patient (``record.id`` is ignored); raises :class:`StoreError` when the INS exists."""
        with self.transaction():
            if self.get_patient(record.ins) is not None:
                raise StoreError("a patient with this INS already exists", field="ins", value=record.ins.to_cx())
            cur = self._insert(
                "patients",
                {
                    "matricule": record.ins.matricule,
                    "oid": record.ins.oid.value,
                    **self._patient_columns(record),
                    "created_at": _iso(record.created_at),
                },
            )
            return replace(record, id=int(cur.lastrowid or 0))

    def update_patient(self, patient_id: int, **changes: Any) -> PatientRecord:
        """Change fields of a patient (names of :class:`PatientRecord`); returns the updated record."""
        current = self.patient_by_id(patient_id)
        if current is None:
            raise StoreError("no such patient", field="patient_id", value=patient_id)
        unknown = set(changes) - set(PatientRecord.__dataclass_fields__) - {"id", "ins"}
        if unknown or "id" in changes or "ins" in changes:
            raise StoreError("unknown or read-only patient field", field="changes", value=sorted(changes))
        updated = replace(current, **changes)
        columns = self._patient_columns(updated)
        assignments = ", ".join(f"{name} = :{name}" for name in columns)
        with self.transaction():
            self._exec(f"UPDATE patients SET {assignments} WHERE id = :id", {**columns, "id": patient_id})  # noqa: S608
        return replace(updated, dmp_state=DmpState(updated.dmp_state))

    def get_patient(self, ins: INS) -> PatientRecord | None:
        """The patient with this INS (matricule **and** OID), or None."""
        row = self._one("SELECT * FROM patients WHERE matricule = ? AND oid = ?", (ins.matricule, ins.oid.value))
        return self._patient(row) if row else None

    def find_patient_by_matricule(self, matricule: str) -> list[PatientRecord]:
        """Patients with this matricule under any OID."""
        return [self._patient(r) for r in self._all("SELECT * FROM patients WHERE matricule = ?", (matricule.upper(),))]

    def patient_by_id(self, patient_id: int) -> PatientRecord | None:
        """The patient with this row id, or None."""
        row = self._one("SELECT * FROM patients WHERE id = ?", (patient_id,))
        return self._patient(row) if row else None

    def list_patients(self) -> list[PatientRecord]:
        """Every patient, by row id."""
        return [self._patient(r) for r in self._all("SELECT * FROM patients ORDER BY id")]

    def search_patients(
        self,
        *,
        family_name: str | None = None,
        given_name: str | None = None,
        birth_date: dt.date | None = None,
        sex: str | None = None,
    ) -> list[PatientRecord]:
        """Patients with a DMP matching demographic traits (TD0.5): names match birth or used names,
        case-insensitively, as a prefix."""
        out: list[PatientRecord] = []
        for p in self.list_patients():
            if p.dmp_state is DmpState.NONE:
                continue
            if family_name:
                wanted = family_name.strip().upper()
                names = [p.birth_family_name.upper(), (p.used_family_name or "").upper()]
                if not any(n.startswith(wanted) for n in names if n):
                    continue
            if given_name:
                wanted = given_name.strip().upper()
                names = [g.upper() for g in p.given_names] + [(p.used_given_name or "").upper()]
                if not any(n.startswith(wanted) for n in names if n):
                    continue
            if birth_date is not None and p.birth_date != birth_date:
                continue
            if sex and p.sex.upper() != sex.upper():
                continue
            out.append(p)
        return out

    # ------------------------------------------------------------------------- professionals, structures

    def upsert_professional(self, record: ProfessionalRecord) -> None:
        """Record (or refresh) a professional; empty fields do not overwrite known ones."""
        with self.transaction():
            self._exec(
                """INSERT INTO professionals(id, family_name, given_name, profession, specialty_code,
                   specialty_display, structure_id, last_seen) VALUES (?,?,?,?,?,?,?,?)
                   ON CONFLICT(id) DO UPDATE SET
                     family_name = COALESCE(NULLIF(excluded.family_name, ''), family_name),
                     given_name = COALESCE(NULLIF(excluded.given_name, ''), given_name),
                     profession = COALESCE(excluded.profession, profession),
                     specialty_code = COALESCE(excluded.specialty_code, specialty_code),
                     specialty_display = COALESCE(excluded.specialty_display, specialty_display),
                     structure_id = COALESCE(excluded.structure_id, structure_id),
                     last_seen = COALESCE(excluded.last_seen, last_seen)""",
                (
                    record.id,
                    record.family_name,
                    record.given_name,
                    record.profession,
                    record.specialty_code,
                    record.specialty_display,
                    record.structure_id,
                    _iso(record.last_seen),
                ),
            )

    def get_professional(self, professional_id: str) -> ProfessionalRecord | None:
        """A known professional, or None."""
        row = self._one("SELECT * FROM professionals WHERE id = ?", (professional_id,))
        if row is None:
            return None
        return ProfessionalRecord(
            id=row["id"],
            family_name=row["family_name"],
            given_name=row["given_name"],
            profession=row["profession"],
            specialty_code=row["specialty_code"],
            specialty_display=row["specialty_display"],
            structure_id=row["structure_id"],
            last_seen=_dt(row["last_seen"]),
        )

    def upsert_structure(
        self, structure_id: str, name: str = "", secteur: str | None = None, at: dt.datetime | None = None
    ) -> None:
        """Record (or refresh) a structure."""
        with self.transaction():
            self._exec(
                """INSERT INTO structures(id, name, secteur, last_seen) VALUES (?,?,?,?)
                   ON CONFLICT(id) DO UPDATE SET name = COALESCE(NULLIF(excluded.name, ''), name),
                   secteur = COALESCE(excluded.secteur, secteur),
                   last_seen = COALESCE(excluded.last_seen, last_seen)""",
                (structure_id, name, secteur, _iso(at)),
            )

    def structure_name(self, structure_id: str) -> str | None:
        """The name of a known structure."""
        row = self._one("SELECT name FROM structures WHERE id = ?", (structure_id,))
        return str(row["name"]) if row else None

    # ----------------------------------------------------------------------------- authorisations

    @staticmethod
    def _authorization(row: sqlite3.Row) -> AuthorizationRecord:
        return AuthorizationRecord(
            patient_id=row["patient_id"],
            professional_id=row["professional_id"],
            status=AuthorizationStatus(row["status"]),
            is_mt=bool(row["is_mt"]),
            started_at=_dt(row["started_at"]),
            last_action_at=_dt(row["last_action_at"]),
            structure_id=row["structure_id"],
        )

    def get_authorization(self, patient_id: int, professional_id: str) -> AuthorizationRecord | None:
        """The professional's authorisation on the patient's DMP, or None (``NON_EXISTE``)."""
        row = self._one(
            "SELECT * FROM authorizations WHERE patient_id = ? AND professional_id = ?", (patient_id, professional_id)
        )
        return self._authorization(row) if row else None

    def set_authorization(self, record: AuthorizationRecord) -> None:
        """Create or replace an authorisation."""
        with self.transaction():
            self._exec(
                """INSERT INTO authorizations(patient_id, professional_id, status, is_mt, started_at, last_action_at,
                   structure_id) VALUES (?,?,?,?,?,?,?)
                   ON CONFLICT(patient_id, professional_id) DO UPDATE SET status = excluded.status,
                   is_mt = excluded.is_mt, started_at = excluded.started_at, last_action_at = excluded.last_action_at,
                   structure_id = excluded.structure_id""",
                (
                    record.patient_id,
                    record.professional_id,
                    AuthorizationStatus(record.status).value,
                    int(record.is_mt),
                    _iso(record.started_at),
                    _iso(record.last_action_at),
                    record.structure_id,
                ),
            )

    def delete_authorization(self, patient_id: int, professional_id: str) -> bool:
        """Remove an authorisation; True when there was one."""
        with self.transaction():
            cur = self._exec(
                "DELETE FROM authorizations WHERE patient_id = ? AND professional_id = ?", (patient_id, professional_id)
            )
            return cur.rowcount > 0

    def list_authorizations(self, patient_id: int) -> list[AuthorizationRecord]:
        """Every authorisation on a DMP."""
        rows = self._all("SELECT * FROM authorizations WHERE patient_id = ? ORDER BY started_at", (patient_id,))
        return [self._authorization(r) for r in rows]

    def authorizations_of(self, professional_ids: Sequence[str]) -> list[AuthorizationRecord]:
        """The authorisations held by these professionals (TD0.4)."""
        if not professional_ids:
            return []
        marks = ",".join("?" for _ in professional_ids)
        rows = self._all(
            f"SELECT * FROM authorizations WHERE professional_id IN ({marks}) ORDER BY patient_id",  # noqa: S608
            list(professional_ids),
        )
        return [self._authorization(r) for r in rows]

    def professionals_of_structure(self, structure_id: str) -> list[str]:
        """Ids of the professionals seen acting for a structure."""
        return [r["id"] for r in self._all("SELECT id FROM professionals WHERE structure_id = ?", (structure_id,))]

    # ---------------------------------------------------------------------------- submission sets

    def insert_submission_set(self, record: SubmissionSetRecord) -> None:
        """Store a submission set; its uniqueId must be new (else :class:`sqlite3.IntegrityError`)."""
        ss = record.metadata
        persons = [a.person.id for a in ss.authors if a.person is not None and a.person.id]
        institutions = [i.id for a in ss.authors for i in a.institutions if i.id]
        self._insert(
            "submission_sets",
            {
                "entry_uuid": record.entry_uuid,
                "unique_id": record.unique_id,
                "patient_id": record.patient_id,
                "submission_time": _iso(record.submission_time),
                "source_id": ss.source_id,
                "author_persons": _bars(persons),
                "author_institutions": _bars(institutions),
                "metadata": ss.model_dump_json(),
                "caller_id": record.caller_id,
                "transaction_id": record.transaction,
                "created_at": _iso(record.created_at),
            },
        )

    @staticmethod
    def _submission_set(row: sqlite3.Row) -> SubmissionSetRecord:
        return SubmissionSetRecord(
            entry_uuid=row["entry_uuid"],
            unique_id=row["unique_id"],
            patient_id=row["patient_id"],
            submission_time=_dt(row["submission_time"]),
            metadata=SubmissionSet.model_validate_json(row["metadata"]),
            caller_id=row["caller_id"],
            transaction=row["transaction_id"],
            created_at=_dt(row["created_at"]),
        )

    def submission_set_by_unique_id(self, unique_id: str) -> SubmissionSetRecord | None:
        """A lot by uniqueId."""
        row = self._one("SELECT * FROM submission_sets WHERE unique_id = ?", (unique_id,))
        return self._submission_set(row) if row else None

    def get_submission_set(self, entry_uuid: str) -> SubmissionSetRecord | None:
        """A lot by entryUUID."""
        row = self._one("SELECT * FROM submission_sets WHERE entry_uuid = ?", (entry_uuid,))
        return self._submission_set(row) if row else None

    def submission_sets_of(self, patient_id: int) -> list[SubmissionSetRecord]:
        """Every lot of a patient, oldest first."""
        rows = self._all(
            "SELECT * FROM submission_sets WHERE patient_id = ? ORDER BY submission_time, created_at", (patient_id,)
        )
        return [self._submission_set(r) for r in rows]

    # ----------------------------------------------------------------------------------- entries

    @staticmethod
    def _entry(row: sqlite3.Row) -> EntryRecord:
        return EntryRecord(
            entry_uuid=row["entry_uuid"],
            logical_id=row["logical_id"],
            version=row["version"],
            unique_id=row["unique_id"],
            patient_id=row["patient_id"],
            status=row["status"],
            is_latest=bool(row["is_latest"]),
            metadata=DocumentEntry.model_validate_json(row["metadata"]),
            submission_set_uuid=row["submission_set_uuid"],
            is_signature=bool(row["is_signature"]),
            created_at=_dt(row["created_at"]),
        )

    def insert_entry(self, record: EntryRecord) -> EntryRecord:
        """Store one metadata version; the model's status/ids are aligned on the record's columns."""
        meta = record.metadata.replace_fields(
            entry_uuid=record.entry_uuid,
            logical_id=record.logical_id,
            version=str(record.version),
            availability_status=record.status,
        )
        stored = replace(record, metadata=meta)
        self._insert(
            "entries",
            {
                "entry_uuid": stored.entry_uuid,
                "logical_id": stored.logical_id,
                "version": stored.version,
                "unique_id": stored.unique_id,
                "patient_id": stored.patient_id,
                "status": stored.status,
                "is_latest": int(stored.is_latest),
                "is_signature": int(stored.is_signature),
                "type_code": meta.type_code.code if meta.type_code else None,
                "type_system": meta.type_code.code_system if meta.type_code else None,
                "class_code": meta.class_code.code if meta.class_code else None,
                "format_code": meta.format_code.code if meta.format_code else None,
                "creation_time": _iso(meta.creation_time),
                "service_start": _iso(meta.service_start_time),
                "service_stop": _iso(meta.service_stop_time),
                "confidentiality": _bars(stored.confidentiality),
                "author_persons": _bars(stored.author_person_ids),
                "author_institutions": _bars(stored.author_institution_ids),
                "hash": meta.hash,
                "size": meta.size,
                "repository_unique_id": meta.repository_unique_id,
                "submission_set_uuid": stored.submission_set_uuid,
                "metadata": meta.model_dump_json(),
                "created_at": _iso(stored.created_at),
            },
        )
        return stored

    def get_entry(self, entry_uuid: str) -> EntryRecord | None:
        """A metadata version by entryUUID."""
        row = self._one("SELECT * FROM entries WHERE entry_uuid = ?", (entry_uuid,))
        return self._entry(row) if row else None

    def entries_by_unique_id(self, unique_id: str) -> list[EntryRecord]:
        """Every metadata version of a document, oldest first."""
        rows = self._all("SELECT * FROM entries WHERE unique_id = ? ORDER BY version", (unique_id,))
        return [self._entry(r) for r in rows]

    def latest_by_unique_id(self, unique_id: str) -> EntryRecord | None:
        """The latest metadata version of a document."""
        row = self._one("SELECT * FROM entries WHERE unique_id = ? AND is_latest = 1", (unique_id,))
        return self._entry(row) if row else None

    def versions_of(self, logical_id: str) -> list[EntryRecord]:
        """Every metadata version with this logicalId, oldest first."""
        rows = self._all("SELECT * FROM entries WHERE logical_id = ? ORDER BY version", (logical_id,))
        return [self._entry(r) for r in rows]

    def entries_of(
        self,
        patient_id: int,
        *,
        statuses: Iterable[str] | None = None,
        latest_only: bool = False,
        include_signatures: bool = True,
    ) -> list[EntryRecord]:
        """A patient's entries, filtered by status; oldest first."""
        sql = "SELECT * FROM entries WHERE patient_id = ?"
        params: list[Any] = [patient_id]
        wanted = list(statuses) if statuses is not None else None
        if wanted is not None:
            if not wanted:
                return []
            sql += f" AND status IN ({','.join('?' for _ in wanted)})"
            params.extend(wanted)
        if latest_only:
            sql += " AND is_latest = 1"
        if not include_signatures:
            sql += " AND is_signature = 0"
        sql += " ORDER BY created_at, rowid"
        return [self._entry(r) for r in self._all(sql, params)]

    def entries_of_submission_set(self, submission_set_uuid: str) -> list[EntryRecord]:
        """The entries created by a lot."""
        rows = self._all("SELECT * FROM entries WHERE submission_set_uuid = ? ORDER BY rowid", (submission_set_uuid,))
        return [self._entry(r) for r in rows]

    def set_entry_status(self, entry_uuid: str, status: str) -> None:
        """Change the availabilityStatus of one metadata version (column and JSON)."""
        record = self.get_entry(entry_uuid)
        if record is None:
            raise StoreError("no such entry", field="entryUUID", value=entry_uuid)
        meta = record.metadata.replace_fields(availability_status=status)
        with self.transaction():
            self._exec(
                "UPDATE entries SET status = ?, metadata = ? WHERE entry_uuid = ?",
                (status, meta.model_dump_json(), entry_uuid),
            )

    def set_latest(self, entry_uuid: str, latest: bool) -> None:
        """Mark a metadata version as the latest one (or not)."""
        with self.transaction():
            self._exec("UPDATE entries SET is_latest = ? WHERE entry_uuid = ?", (int(latest), entry_uuid))

    # ----------------------------------------------------------------------------------- contents

    def put_content(
        self,
        unique_id: str,
        source: bytes | Path | ReceivedPart,
        *,
        mime_type: str,
        sha1: str,
        size: int,
    ) -> ContentRecord:
        """Store a document's content (file or BLOB, per :attr:`documents_dir`), inside the transaction.

        A file written here is deleted again if the transaction rolls back.
        """
        with self.transaction():
            path: Path | None = None
            data: bytes | None = None
            if self.documents_dir is None:
                data = source.read_bytes() if isinstance(source, ReceivedPart | Path) else source
            else:
                path = self.documents_dir / f"{uuid.uuid4().hex}.bin"
                self._txn().created_files.append(path)
                if isinstance(source, ReceivedPart):
                    source.save(path)
                elif isinstance(source, Path):
                    shutil.copyfile(source, path)
                else:
                    path.write_bytes(source)
            relative = path.name if path is not None else None
            self._insert(
                "contents",
                {
                    "unique_id": unique_id,
                    "mime_type": mime_type,
                    "size": size,
                    "sha1": sha1,
                    "path": relative,
                    "data": data,
                },
            )
            return ContentRecord(unique_id, mime_type, size, sha1, path, data)

    def get_content(self, unique_id: str) -> ContentRecord | None:
        """A document's content record (a file path to stream, or the bytes)."""
        row = self._one("SELECT * FROM contents WHERE unique_id = ?", (unique_id,))
        if row is None:
            return None
        path = None
        if row["path"] is not None:
            if self.documents_dir is None:
                raise ConfigurationError("content stored on disk but no documents_dir", field="documents_dir")
            path = self.documents_dir / row["path"]
        return ContentRecord(row["unique_id"], row["mime_type"], row["size"], row["sha1"], path, row["data"])

    # ------------------------------------------------------------------------------- associations

    def insert_association(
        self, association: Association, *, submission_set_uuid: str | None, at: dt.datetime | None = None
    ) -> None:
        """Store an association (its ``id`` must be a registry id)."""
        if not association.id:
            raise StoreError("an association needs an id", field="association.id", value=None)
        self._insert(
            "associations",
            {
                "id": association.id,
                "type": str(association.type),
                "source": association.source,
                "target": association.target,
                "submission_set_uuid": submission_set_uuid,
                "status": str(association.status or APPROVED),
                "metadata": association.model_dump_json(),
                "created_at": _iso(at),
            },
        )

    def associations_touching(self, uuids: Sequence[str]) -> list[Association]:
        """Associations whose source or target is one of ``uuids``."""
        if not uuids:
            return []
        out: dict[str, Association] = {}
        for chunk_start in range(0, len(uuids), 400):
            chunk = list(uuids[chunk_start : chunk_start + 400])
            marks = ",".join("?" for _ in chunk)
            rows = self._all(
                f"SELECT metadata FROM associations WHERE source IN ({marks}) OR target IN ({marks}) "  # noqa: S608
                "ORDER BY rowid",
                chunk + chunk,
            )
            for r in rows:
                a = Association.model_validate_json(r["metadata"])
                out[a.id or ""] = a
        return list(out.values())

    def associations_of_type(
        self, kind: str, *, source: str | None = None, target: str | None = None
    ) -> list[Association]:
        """Associations of one type, optionally by source or target."""
        sql = "SELECT metadata FROM associations WHERE type = ?"
        params: list[Any] = [kind]
        if source is not None:
            sql += " AND source = ?"
            params.append(source)
        if target is not None:
            sql += " AND target = ?"
            params.append(target)
        return [Association.model_validate_json(r["metadata"]) for r in self._all(sql + " ORDER BY rowid", params)]

    # ----------------------------------------------------------------------------- status history

    def add_status_change(self, change: StatusChange) -> None:
        """Append to a document's status history."""
        self._insert(
            "status_history",
            {
                "at": _iso(change.at),
                "logical_id": change.logical_id,
                "entry_uuid": change.entry_uuid,
                "old_status": change.old_status,
                "new_status": change.new_status,
                "transaction_id": change.transaction,
                "caller_id": change.caller_id,
                "reason": change.reason,
            },
        )

    def status_history(self, logical_ids: Sequence[str]) -> list[StatusChange]:
        """The status history of documents (by logicalId), oldest first."""
        if not logical_ids:
            return []
        marks = ",".join("?" for _ in logical_ids)
        rows = self._all(
            f"SELECT * FROM status_history WHERE logical_id IN ({marks}) ORDER BY id",  # noqa: S608
            list(logical_ids),
        )
        return [
            StatusChange(
                at=_dt(r["at"]) or dt.datetime.now(dt.UTC),
                logical_id=r["logical_id"],
                entry_uuid=r["entry_uuid"],
                old_status=r["old_status"],
                new_status=r["new_status"],
                transaction=r["transaction_id"],
                caller_id=r["caller_id"],
                reason=r["reason"],
            )
            for r in rows
        ]

    # --------------------------------------------------------------------------------------- logs

    def log_access(self, record: LogRecord) -> None:
        """Append to the access log (every handled call, accepted or refused).

        Written outside the caller's transaction semantics: call it after the transaction so that a
        refusal is logged even though its work was rolled back.
        """
        self._insert("access_log", self._log_columns(record, outcome=record.outcome, code=record.code))

    def log_notification(self, record: LogRecord) -> None:
        """Append to the patient notification log (« le patient sera notifié », every TD3.1)."""
        self._insert("notifications", self._log_columns(record))

    @staticmethod
    def _log_columns(record: LogRecord, **extra: Any) -> dict[str, Any]:
        """The columns of an access-log (with ``outcome``, ``code``) or notification row."""
        return {
            "at": _iso(record.at),
            "transaction_id": record.transaction,
            "caller_id": record.caller_id,
            "patient": record.patient,
            **extra,
            "message": record.message,
            "details": json.dumps(record.details),
        }

    @staticmethod
    def _log(row: sqlite3.Row, *, outcome: str | None = None) -> LogRecord:
        return LogRecord(
            at=_dt(row["at"]) or dt.datetime.now(dt.UTC),
            transaction=row["transaction_id"],
            caller_id=row["caller_id"],
            patient=row["patient"],
            outcome=outcome or row["outcome"],
            code=row["code"] if "code" in row.keys() else None,  # noqa: SIM118 - sqlite3.Row has no __contains__
            message=row["message"],
            details=json.loads(row["details"]),
        )

    def _log_rows(self, table: str, patient: str | None) -> list[sqlite3.Row]:
        """The rows of a log table, oldest first (optionally for one patient matricule)."""
        if patient is None:
            return self._all(f"SELECT * FROM {table} ORDER BY id")  # noqa: S608 - fixed table names
        return self._all(f"SELECT * FROM {table} WHERE patient = ? ORDER BY id", (patient,))  # noqa: S608

    def access_log(self, *, patient: str | None = None, limit: int | None = None) -> list[LogRecord]:
        """The access log, oldest first (optionally for one patient matricule)."""
        rows = self._log_rows("access_log", patient)
        if limit is not None:
            rows = rows[-limit:]
        return [self._log(r) for r in rows]

    def notifications(self, *, patient: str | None = None) -> list[LogRecord]:
        """The notification log, oldest first (optionally for one patient matricule)."""
        return [self._log(r, outcome="notified") for r in self._log_rows("notifications", patient)]

    def record_search(self, caller_key: str, patient_id: int, at: dt.datetime) -> None:
        """Count one search (TD3.1) of a caller on a patient, for the over-solicitation threshold."""
        self._insert("searches", {"at": _iso(at), "caller_key": caller_key, "patient_id": patient_id})

    def count_searches(self, caller_key: str, patient_id: int, since: dt.datetime) -> int:
        """Searches of a caller on a patient since ``since``."""
        row = self._one(
            "SELECT COUNT(*) AS n FROM searches WHERE caller_key = ? AND patient_id = ? AND at >= ?",
            (caller_key, patient_id, _iso(since)),
        )
        return int(row["n"]) if row else 0

    def clear_searches(self) -> None:
        """Forget the counted searches (admin)."""
        with self.transaction():
            self._exec("DELETE FROM searches")

    # ------------------------------------------------------------------------------- vaccinations

    def vaccination_exists(
        self, patient_id: int, cis_code: str, day: str, *, except_unique_ids: Sequence[str] = ()
    ) -> bool:
        """True when the patient's vaccination record holds (CIS code, date) from another active note."""
        rows = self._all(
            "SELECT unique_id FROM vaccinations WHERE patient_id = ? AND cis_code = ? AND vaccination_date = ? "
            "AND active = 1",
            (patient_id, cis_code, day),
        )
        return any(r["unique_id"] not in except_unique_ids for r in rows)

    def add_vaccination(self, patient_id: int, cis_code: str, day: str, unique_id: str) -> None:
        """Record a vaccination of a note."""
        self._insert(
            "vaccinations",
            {"patient_id": patient_id, "cis_code": cis_code, "vaccination_date": day, "unique_id": unique_id},
        )

    def deactivate_vaccinations(self, unique_ids: Sequence[str]) -> None:
        """The notes were replaced or deleted: their vaccinations leave the record."""
        with self.transaction():
            for uid in unique_ids:
                self._exec("UPDATE vaccinations SET active = 0 WHERE unique_id = ?", (uid,))

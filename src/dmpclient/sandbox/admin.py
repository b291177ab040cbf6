"""The Python admin API of the sandbox's DMP behaviour (the platform maps it to ``/_sandbox/admin/…``).

Everything returned is JSON-ready (dicts, lists, strings). Unknown patients and documents raise
:class:`KeyError` (HTTP 404); bad input raises :class:`~dmpclient.errors.InputError` (HTTP 400).

Patients are named by their INS: a matricule (``"207058575627097"``, the test OID ``.10`` first, then any
OID) or a CX (``"255069999999934^^^&1.2.250.1.213.1.4.11&ISO^NH"``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from dmpclient.errors import InputError
from dmpclient.ids import INS, InsOid
from dmpclient.sandbox.rules import BehaviourParameters, parameter_name
from dmpclient.sandbox.store import (
    AuthorizationRecord,
    AuthorizationStatus,
    DmpState,
    EntryRecord,
    PatientRecord,
    SandboxStore,
)

if TYPE_CHECKING:
    from dmpclient.sandbox.clock import SandboxClock

__all__ = ["BehaviourAdmin"]

_BOOL_FIELDS = frozenset(
    {
        "opposition_bris_de_glace",
        "opposition_centre_15",
        "masked_in_emergency",
        "ens_attached",
        "internet_account",
    }
)


def _date(value: Any, field: str) -> dt.date | None:
    if value is None or (isinstance(value, dt.date) and not isinstance(value, dt.datetime)):
        return value
    if isinstance(value, dt.datetime):
        return value.date()
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        raise InputError("expected an ISO date (YYYY-MM-DD)", field=field, value=value) from None


def _datetime(value: Any, field: str) -> dt.datetime | None:
    if value is None or isinstance(value, dt.datetime):
        return value if value is None or value.tzinfo else value.replace(tzinfo=dt.UTC)
    try:
        parsed = dt.datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        raise InputError("expected an ISO date-time", field=field, value=value) from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)


def _bool(value: Any, field: str) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "false", "1", "0", "yes", "no"):
        return value.lower() in ("true", "1", "yes")
    raise InputError("expected a boolean", field=field, value=value)


def _entry_dict(entry: EntryRecord) -> dict[str, Any]:
    meta = entry.metadata
    return {
        "entry_uuid": entry.entry_uuid,
        "logical_id": entry.logical_id,
        "version": entry.version,
        "unique_id": entry.unique_id,
        "status": entry.status,
        "latest": entry.is_latest,
        "signature": entry.is_signature,
        "title": meta.title,
        "type_code": meta.type_code.code if meta.type_code else None,
        "class_code": meta.class_code.code if meta.class_code else None,
        "confidentiality": list(entry.confidentiality),
        "creation_time": meta.creation_time.isoformat() if meta.creation_time else None,
        "authors": list(entry.author_person_ids),
        "institutions": list(entry.author_institution_ids),
        "hash": meta.hash,
        "size": meta.size,
        "submission_set": entry.submission_set_uuid,
    }


class BehaviourAdmin:
    """The admin API (implements :class:`~dmpclient.sandbox.SandboxAdmin` plus sandbox extras).

    Args:
        store: the store.
        clock: the sandbox clock.
        get_parameters / set_parameters: read and replace the behaviour parameters.
        reseed: ``(profile) -> summary`` — empty the store and load a seed profile.
    """

    def __init__(
        self,
        store: SandboxStore,
        clock: SandboxClock,
        get_parameters: Callable[[], BehaviourParameters],
        set_parameters: Callable[[BehaviourParameters], None],
        reseed: Callable[[str], Any],
    ) -> None:
        self.store = store
        self.clock = clock
        self._get_parameters = get_parameters
        self._set_parameters = set_parameters
        self._reseed = reseed

    # --------------------------------------------------------------------------------------- patients

    def _ins(self, ins: str | INS, oid: str | None = None) -> INS:
        if isinstance(ins, INS):
            return ins
        text = str(ins).strip()
        if "^" in text:
            return INS.from_cx(text)
        return INS.parse(text, oid or InsOid.TEST)

    def _patient(self, ins: str | INS) -> PatientRecord:
        if isinstance(ins, INS) or "^" in str(ins):
            found = self.store.get_patient(self._ins(ins))
        else:
            candidates = self.store.find_patient_by_matricule(str(ins).strip())
            candidates.sort(key=lambda p: p.ins.oid is not InsOid.TEST)
            found = candidates[0] if candidates else None
        if found is None:
            raise KeyError(f"no patient with INS {ins}")
        return found

    def create_patient(self, **fields: Any) -> dict[str, Any]:
        """Create a patient. Fields: ``ins`` (matricule or CX), ``oid`` (default ``.10``), ``birth_family_name``
        (or ``family``), ``given_names`` (or ``given``: a string or a list), ``sex``, ``birth_date`` (ISO), and any
        state field of :meth:`set_patient_state` (``dmp_state`` defaults to ``active``)."""
        data = dict(fields)
        if "ins" not in data:
            raise InputError("the patient needs an INS", field="ins", value=None)
        ins = self._ins(data.pop("ins"), data.pop("oid", None))
        family = data.pop("birth_family_name", None) or data.pop("family", None)
        given = data.pop("given_names", None) or data.pop("given", None)
        if not family or not given:
            raise InputError("birth_family_name and given_names are required", field="birth_family_name", value=family)
        sex = str(data.pop("sex", "")).upper()
        if sex not in ("M", "F", "U"):
            raise InputError("sex is M, F or U", field="sex", value=sex)
        birth = _date(data.pop("birth_date", None), "birth_date")
        if birth is None:
            raise InputError("the birth date is required", field="birth_date", value=None)
        givens = tuple(given.split()) if isinstance(given, str) else tuple(str(g) for g in given)
        record = PatientRecord(
            id=0,
            ins=ins,
            birth_family_name=str(family),
            given_names=givens,
            sex=sex,
            birth_date=birth,
            created_at=self.clock.now(),
        )
        created = self.store.add_patient(record)
        if data:
            return self.set_patient_state(created.ins, **data)
        return created.to_dict()

    def list_patients(self) -> list[dict[str, Any]]:
        """Every patient."""
        return [p.to_dict() for p in self.store.list_patients()]

    def get_patient(self, ins: str | INS) -> dict[str, Any]:
        """One patient, with its authorisations."""
        p = self._patient(ins)
        out = p.to_dict()
        out["authorizations"] = self.list_authorizations(p.ins)
        return out

    def set_patient_state(self, ins: str | INS, **changes: Any) -> dict[str, Any]:
        """Change a patient. Fields: ``dmp_state`` (``none``/``active``/``closed``), ``closed_at``,
        ``close_reason``, ``deceased_on``, ``opposition_bris_de_glace``, ``opposition_centre_15``,
        ``masked_in_emergency``, ``ens_attached``, ``internet_account``, ``minor`` (bool or None), names, ``extra``;
        and ``authorizations`` = ``{professional_id: "VALIDE"|"EXPIRE"|"INTERDIT"|None}``, ``mt`` = a professional
        id (made médecin traitant) or None (no MT)."""
        p = self._patient(ins)
        data = dict(changes)
        authorizations = data.pop("authorizations", None)
        mt = data.pop("mt", ...)
        patient_changes: dict[str, Any] = {}
        for key, value in data.items():
            if key == "dmp_state":
                state = DmpState(value)
                patient_changes["dmp_state"] = state
                if state is DmpState.CLOSED and "closed_at" not in data and p.closed_at is None:
                    patient_changes["closed_at"] = self.clock.now()
                if state is not DmpState.CLOSED:
                    patient_changes.setdefault("closed_at", None)
            elif key == "closed_at":
                patient_changes[key] = _datetime(value, key)
            elif key in ("deceased_on",) or key == "birth_date":
                patient_changes[key] = _date(value, key)
            elif key in _BOOL_FIELDS:
                patient_changes[key] = _bool(value, key)
            elif key == "minor":
                patient_changes[key] = None if value is None else _bool(value, key)
            elif key == "given_names":
                patient_changes[key] = tuple(value.split()) if isinstance(value, str) else tuple(value)
            elif key in ("birth_family_name", "used_family_name", "used_given_name", "close_reason", "sex"):
                patient_changes[key] = value
            elif key == "extra":
                if not isinstance(value, Mapping):
                    raise InputError("extra is an object", field="extra", value=value)
                patient_changes[key] = {**p.extra, **value}
            else:
                raise InputError("unknown patient field", field=key, value=value)
        with self.store.transaction():
            if patient_changes:
                p = self.store.update_patient(p.id, **patient_changes)
            if authorizations is not None:
                if not isinstance(authorizations, Mapping):
                    raise InputError(
                        "authorizations is {professional_id: status}", field="authorizations", value=authorizations
                    )
                for prof, status in authorizations.items():
                    self.set_authorization(p.ins, str(prof), status)
            if mt is not ...:
                for auth in self.store.list_authorizations(p.id):
                    if auth.is_mt and auth.professional_id != mt:
                        self.store.set_authorization(
                            AuthorizationRecord(
                                p.id,
                                auth.professional_id,
                                auth.status,
                                False,
                                auth.started_at,
                                self.clock.now(),
                                auth.structure_id,
                            )
                        )
                if mt is not None:
                    self.set_authorization(p.ins, str(mt), "VALIDE", mt=True)
        return self.get_patient(p.ins)

    def set_authorization(
        self,
        ins: str | INS,
        professional_id: str,
        status: str | None,
        *,
        mt: bool | None = None,
        structure_id: str | None = None,
    ) -> dict[str, Any] | None:
        """Set (or remove, ``status=None``) a professional's authorisation; ``mt`` sets the médecin traitant flag."""
        p = self._patient(ins)
        now = self.clock.now()
        current = self.store.get_authorization(p.id, professional_id)
        if status is None:
            self.store.delete_authorization(p.id, professional_id)
            return None
        try:
            value = AuthorizationStatus(str(status).upper())
        except ValueError:
            raise InputError("status is VALIDE, EXPIRE or INTERDIT", field="status", value=status) from None
        record = AuthorizationRecord(
            p.id,
            professional_id,
            value,
            bool(mt) if mt is not None else (current.is_mt if current else False),
            current.started_at if current and current.started_at else now,
            now,
            structure_id or (current.structure_id if current else None),
        )
        self.store.set_authorization(record)
        return self._auth_dict(record)

    @staticmethod
    def _auth_dict(a: AuthorizationRecord) -> dict[str, Any]:
        return {
            "professional_id": a.professional_id,
            "status": a.status.value,
            "mt": a.is_mt,
            "started_at": a.started_at.isoformat() if a.started_at else None,
            "last_action_at": a.last_action_at.isoformat() if a.last_action_at else None,
            "structure_id": a.structure_id,
        }

    def list_authorizations(self, ins: str | INS) -> list[dict[str, Any]]:
        """A patient's authorisations."""
        p = self._patient(ins)
        return [self._auth_dict(a) for a in self.store.list_authorizations(p.id)]

    # -------------------------------------------------------------------------------------- documents

    def list_documents(self, ins: str | None = None, **filters: Any) -> list[dict[str, Any]]:
        """Documents (one item per metadata version). Filters: ``status`` (a short name or URN), ``latest``
        (bool), ``unique_id``, ``type_code``, ``confidentiality`` (a code present), ``signatures`` (include the
        signature entries, default True)."""
        patients = [self._patient(ins)] if ins is not None else self.store.list_patients()
        out: list[dict[str, Any]] = []
        status = filters.get("status")
        for p in patients:
            for e in self.store.entries_of(p.id):
                if status and not e.status.lower().endswith(":" + str(status).lower()) and e.status != status:
                    continue
                if "latest" in filters and e.is_latest != _bool(filters["latest"], "latest"):
                    continue
                if filters.get("unique_id") and e.unique_id != filters["unique_id"]:
                    continue
                if filters.get("type_code") and (
                    e.metadata.type_code is None or e.metadata.type_code.code != filters["type_code"]
                ):
                    continue
                if filters.get("confidentiality") and filters["confidentiality"] not in e.confidentiality:
                    continue
                if "signatures" in filters and not _bool(filters["signatures"], "signatures") and e.is_signature:
                    continue
                item = _entry_dict(e)
                item["patient"] = p.ins.matricule
                out.append(item)
        return out

    def _entry(self, ref: str) -> EntryRecord:
        entry = self.store.get_entry(ref) if ref.startswith("urn:uuid:") else self.store.latest_by_unique_id(ref)
        if entry is None:
            raise KeyError(f"no document {ref}")
        return entry

    def get_document(self, ref: str) -> dict[str, Any]:
        """One document by uniqueId (latest version) or entryUUID: its metadata (JSON of the DocumentEntry), every
        metadata version, its associations and its status history."""
        entry = self._entry(ref)
        versions = self.store.versions_of(entry.logical_id)
        uuids = [v.entry_uuid for v in versions]
        return {
            **_entry_dict(entry),
            "metadata": entry.metadata.model_dump(mode="json"),
            "versions": [_entry_dict(v) for v in versions],
            "associations": [a.model_dump(mode="json") for a in self.store.associations_touching(uuids)],
            "history": [c.to_dict() for c in self.store.status_history([entry.logical_id])],
        }

    def document_history(self, ref: str) -> list[dict[str, Any]]:
        """The status history of a document."""
        return [c.to_dict() for c in self.store.status_history([self._entry(ref).logical_id])]

    def document_content(self, ref: str) -> bytes:
        """The stored bytes of a document."""
        entry = self._entry(ref)
        content = self.store.get_content(entry.unique_id)
        if content is None:
            raise KeyError(f"no content for {ref}")
        return content.read_bytes()

    # ------------------------------------------------------------------------------------------- logs

    def list_logs(self, ins: str | None = None, **filters: Any) -> list[dict[str, Any]]:
        """The access log (``kind="access"``, default) or the patient notifications (``kind="notifications"``);
        filters ``transaction``, ``outcome``, ``caller_id``, ``limit``."""
        kind = str(filters.get("kind", "access"))
        matricule = self._patient(ins).ins.matricule if ins is not None else None
        if kind == "notifications":
            records = self.store.notifications(patient=matricule)
        elif kind == "access":
            records = self.store.access_log(patient=matricule)
        else:
            raise InputError("kind is access or notifications", field="kind", value=kind)
        out = []
        for r in records:
            if filters.get("transaction") and r.transaction != filters["transaction"]:
                continue
            if filters.get("outcome") and r.outcome != filters["outcome"]:
                continue
            if filters.get("caller_id") and r.caller_id != filters["caller_id"]:
                continue
            out.append(r.to_dict())
        if filters.get("limit") is not None:
            out = out[-int(filters["limit"]) :]
        return out

    def notifications(self, ins: str | None = None) -> list[dict[str, Any]]:
        """The patient notifications (« le patient sera notifié »: one per TD3.1)."""
        return self.list_logs(ins, kind="notifications")

    def access_log(self, ins: str | None = None, **filters: Any) -> list[dict[str, Any]]:
        """The access log."""
        return self.list_logs(ins, kind="access", **filters)

    # ------------------------------------------------------------------------------- clock, parameters

    def get_clock(self) -> dict[str, Any]:
        """The sandbox clock."""
        return self.clock.to_dict()

    def set_clock(self, instant: dt.datetime | str, *, frozen: bool = False) -> dict[str, Any]:
        """Set the sandbox clock (e.g. to the date of an old capture)."""
        self.clock.set(instant, frozen=frozen)
        return self.clock.to_dict()

    def get_parameters(self) -> dict[str, Any]:
        """The DMP parameters and the sandbox's choices."""
        return self._get_parameters().to_dict()

    def set_parameters(self, **changes: Any) -> dict[str, Any]:
        """Change parameters; names of the DMP parameters file (``cumul-invisible_patient-masque_ps``,
        ``fonctions-gestion-mineurs``, ``age-majorite``) or of :class:`~dmpclient.sandbox.rules.BehaviourParameters`."""
        renamed = {parameter_name(k): v for k, v in changes.items()}
        self._set_parameters(self._get_parameters().replace(**renamed))
        return self.get_parameters()

    def reset_searches(self) -> None:
        """Forget the searches counted for the over-solicitation threshold."""
        self.store.clear_searches()

    def reset(self, *, seed: bool = True, profile: str | None = None) -> dict[str, Any]:
        """Empty the store; load the default seed (``seed=True``) or ``profile``."""
        summary = self._reseed(profile or ("default" if seed else "empty"))
        return {
            "profile": getattr(summary, "profile", None),
            "patients": getattr(summary, "patients", 0),
            "documents": getattr(summary, "documents", 0),
        }

    def stats(self) -> dict[str, int]:
        """Row counts of the store."""
        return self.store.counts()

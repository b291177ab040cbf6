"""The step actions: one DMP transaction (or client helper) each, with its parameters.

Every action calls the public client API (:class:`~dmpclient.client.DMPClient`) — what a vendor's software
would call — and returns the typed result, plus extra view fields for ``${…}`` references and assertions.
The table is :data:`ACTIONS`; ``docs/scenarios.md`` lists each action with its parameters.
"""

from __future__ import annotations

import datetime as dt
import struct
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Final, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from dmpclient.cda import BuiltCda, DocumentHeaderInput, Patient, build_n1, make_sample_pdf, read_header
from dmpclient.client import DMPClient
from dmpclient.context import ActingContext, Professional
from dmpclient.ids import INS
from dmpclient.scenarios.expressions import STATUS_SHORT, ResultView
from dmpclient.scenarios.model import CodeSpec, DocumentSpec, ProfessionalSpec, ScenarioError
from dmpclient.terminology import INVISIBLE_PATIENT, INVISIBLE_REPRESENTANTS_LEGAUX, MASQUE_PS, Code, value_set
from dmpclient.transactions.submission import DocumentToSubmit

__all__ = ["ACTIONS", "ActionSpec", "PatientInfo", "StepContext", "build_document", "professional_from"]

_PARAMS = ConfigDict(frozen=True, extra="forbid")
_STATUS_URN: Final = {short: urn for urn, short in STATUS_SHORT.items()}
_CONF: Final = {c.code: c for c in (MASQUE_PS, INVISIBLE_PATIENT, INVISIBLE_REPRESENTANTS_LEGAUX)}


@dataclass(frozen=True)
class PatientInfo:
    """A resolved patient: the INS and the identity traits used in generated CDA headers."""

    ins: INS
    family: str
    given: tuple[str, ...]
    birth_date: dt.date
    sex: Literal["M", "F", "U"]
    key: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready (and the ``${patient.…}`` variable)."""
        return {
            "ins": self.ins.to_cx(),
            "matricule": self.ins.matricule,
            "oid": self.ins.oid.value,
            "family": self.family,
            "given": " ".join(self.given),
            "birth_date": self.birth_date.isoformat(),
            "sex": self.sex,
            "key": self.key,
        }


@dataclass
class StepContext:
    """What an action needs to run."""

    client: DMPClient
    context: ActingContext
    patient: PatientInfo | None
    params: Any
    now: Callable[[], dt.datetime]
    base_dir: Path | None = None

    @property
    def ins(self) -> INS:
        """The step's patient's INS."""
        if self.patient is None:
            raise ScenarioError("this action needs a patient", field="patient")
        return self.patient.ins

    @property
    def who(self) -> PatientInfo:
        """The step's patient."""
        if self.patient is None:
            raise ScenarioError("this action needs a patient", field="patient")
        return self.patient


@dataclass(frozen=True)
class ActionSpec:
    """One action: its parameters model, what it sends and the function running it."""

    name: str
    transactions: str
    summary: str
    params: type[BaseModel]
    run: Callable[[StepContext], Any]


# ---------------------------------------------------------------------------------------------- helpers


def professional_from(spec: ProfessionalSpec, card_type: Any = None) -> Professional:
    """A :class:`~dmpclient.context.Professional` from a scenario's professional spec."""
    kwargs: dict[str, Any] = {}
    if card_type is not None:
        kwargs["card_type"] = card_type
    return Professional.create(
        spec.id,
        spec.family_name,
        spec.given_name,
        profession=spec.profession,
        profession_display=spec.profession_display,
        specialty=spec.specialty,
        specialty_display=spec.specialty_display,
        **kwargs,
    )


def _type_code(value: str | CodeSpec) -> Code | str:
    if isinstance(value, CodeSpec):
        return Code(value.code, value.system, value.display)
    return value


def _tiff(text: str) -> bytes:
    """A 1×1 white bilevel baseline TIFF (little endian) carrying ``text`` as ImageDescription."""
    desc = text.encode("ascii", "replace") + b"\x00"
    entries: list[tuple[int, int, int, int]] = []
    n = 9
    ifd_offset = 8
    data_offset = ifd_offset + 2 + n * 12 + 4
    strip_offset = data_offset + len(desc)
    entries = [
        (256, 3, 1, 1),  # ImageWidth
        (257, 3, 1, 1),  # ImageLength
        (259, 3, 1, 1),  # Compression: none
        (262, 3, 1, 0),  # PhotometricInterpretation: WhiteIsZero
        (270, 2, len(desc), data_offset),  # ImageDescription
        (273, 4, 1, strip_offset),  # StripOffsets
        (277, 3, 1, 1),  # SamplesPerPixel
        (278, 3, 1, 1),  # RowsPerStrip
        (279, 4, 1, 1),  # StripByteCounts
    ]
    out = bytearray(b"II*\x00" + struct.pack("<I", ifd_offset) + struct.pack("<H", n))
    for tag, kind, count, value in entries:
        packed = struct.pack("<H", value) + b"\x00\x00" if kind == 3 else struct.pack("<I", value)
        out += struct.pack("<HHI", tag, kind, count) + packed
    out += struct.pack("<I", 0) + desc + b"\x00"
    return bytes(out)


def _body(doc: DocumentSpec, base_dir: Path | None) -> tuple[bytes, str]:
    body = doc.body
    text = body.text or f"{doc.title}\n\nDocument de test généré par un scénario dmpclient.\n"
    if body.kind == "pdf":
        return make_sample_pdf((doc.title, "Scenario dmpclient"), title=doc.title), "application/pdf"
    if body.kind == "text":
        return text.encode("utf-8"), "text/plain"
    if body.kind == "rtf":
        escaped = "".join(c if ord(c) < 128 else f"\\u{ord(c)}?" for c in text).replace("\n", "\\par\n")
        return ("{\\rtf1\\ansi\\deff0 {\\fonttbl {\\f0 Arial;}}\n" + escaped + "\n}\n").encode("ascii"), "text/rtf"
    if body.kind == "tiff":
        return _tiff(doc.title), "image/tiff"
    assert body.file is not None
    path = Path(body.file)
    if not path.is_absolute() and base_dir is not None:
        path = base_dir / path
    from dmpclient.cda import detect_media_type

    data = path.read_bytes()
    return data, str(detect_media_type(data[:64], filename=path.name))


def build_document(doc: DocumentSpec, ctx: StepContext) -> tuple[DocumentToSubmit, BuiltCda]:
    """Build the N1 CDA of a document spec for the step's patient, written by the acting professional (or the
    spec's author) for the acting structure."""
    acting = ctx.context
    if doc.author is not None:
        acting = replace(acting, professional=professional_from(doc.author))
    now = ctx.now()
    start = doc.service_start or now - dt.timedelta(minutes=30)
    stop = doc.service_stop or max(start, now - dt.timedelta(minutes=5))
    p = ctx.who
    patient = Patient(
        ins=p.ins.to_cx(),
        birth_family_name=p.family,
        birth_given_names=p.given,
        sex=p.sex,
        birth_date=p.birth_date,
    )
    extra: dict[str, Any] = {}
    if doc.unique_id:
        extra["unique_id"] = doc.unique_id
    header = DocumentHeaderInput.from_context(
        acting,
        patient=patient,
        type_code=_type_code(doc.type_code),
        title=doc.title,
        service_start=start,
        service_stop=stop,
        author_time=now,
        effective_time=now,
        **extra,
    )
    payload, media = _body(doc, ctx.base_dir)
    built = build_n1(header, payload, media_type=media)
    codes = [_CONF[c] for c in doc.confidentiality if c in _CONF]
    return DocumentToSubmit.from_cda(built, confidentiality=codes), built


def _describe_built(built: BuiltCda, doc: DocumentSpec) -> dict[str, Any]:
    return {
        "unique_id": built.unique_id,
        "sha1": built.sha1,
        "size": built.size,
        "title": doc.title,
        "type_code": doc.type_code.code if isinstance(doc.type_code, CodeSpec) else doc.type_code,
        "confidentiality": ["N", *doc.confidentiality],
        "media_type": _body_kind(doc),
    }


def _body_kind(doc: DocumentSpec) -> str:
    return {"pdf": "application/pdf", "text": "text/plain", "rtf": "text/rtf", "tiff": "image/tiff"}.get(
        doc.body.kind, "file"
    )


def _codes(values: list[str] | str | None, value_sets: tuple[str, ...], field: str) -> list[Code | str]:
    """Codes of a query: ``code^^system`` as given, a bare code looked up in its value sets."""
    if values is None:
        return []
    out: list[Code | str] = []
    for value in [values] if isinstance(values, str) else values:
        if "^^" in value:
            out.append(value)
            continue
        found = next((c for c in (value_set(n).lookup(value) for n in value_sets) if c is not None), None)
        if found is None:
            raise ScenarioError(
                f"{value!r} is not in {' / '.join(value_sets)}; write it 'code^^codingScheme'", field=field, value=value
            )
        out.append(found)
    return out


def _statuses(values: list[str] | str | None) -> list[str]:
    items = [values] if isinstance(values, str) else list(values or ["approved"])
    out = []
    for v in items:
        urn = _STATUS_URN.get(v.lower(), v)
        if urn not in STATUS_SHORT:
            raise ScenarioError(
                f"unknown status {v!r} (approved, archived, deprecated, deleted, or a URN)", field="status", value=v
            )
        out.append(urn)
    return out


# ----------------------------------------------------------------------------------------------- params


class NoParams(BaseModel):
    """No parameter."""

    model_config = _PARAMS


class AuthorizeParams(BaseModel):
    """TD0.3 AJOUT."""

    model_config = _PARAMS
    as_treating_physician: bool = False


class RemoveAuthorizationParams(BaseModel):
    """TD0.3 SUPPRESSION."""

    model_config = _PARAMS
    treating_physician_role: bool = False


class ListPatientsParams(BaseModel):
    """TD0.4."""

    model_config = _PARAMS
    since: str
    date_type: Literal["LASTAUTORIZATION", "LASTDOC"] = "LASTAUTORIZATION"


class ListAuthorizationsParams(BaseModel):
    """TD1.6."""

    model_config = _PARAMS
    mode: Literal["TOUTE", "ACTIVE", "INTERDITE"] = "TOUTE"


class SearchPatientsParams(BaseModel):
    """TD0.5 criteria."""

    model_config = _PARAMS
    family: str | None = None
    given: str | None = None
    birth_date: str | None = None
    gender: Literal["M", "F", "U"] | None = None
    postal_code: str | None = None
    city: str | None = None
    approximate: bool = False


class SubmitParams(BaseModel):
    """TD2.1: ``document`` (one) or ``documents`` (a lot of several)."""

    model_config = _PARAMS
    document: DocumentSpec | None = None
    documents: list[DocumentSpec] | None = None

    @model_validator(mode="after")
    def _one(self) -> SubmitParams:
        if (self.document is None) == (self.documents is None):
            raise ValueError("give document: (one) or documents: (a list), not both")
        if self.documents is not None and not self.documents:
            raise ValueError("documents: needs at least one document")
        return self

    @property
    def specs(self) -> list[DocumentSpec]:
        """The documents, in order."""
        return [self.document] if self.document is not None else list(self.documents or [])


class ReplaceParams(BaseModel):
    """TD3.1b + TD2.1 RPLC."""

    model_config = _PARAMS
    previous: str
    document: DocumentSpec = DocumentSpec(title="Compte rendu de consultation (nouvelle version)")


class FindParams(BaseModel):
    """TD3.1 FindDocuments (or the submission-date recipe with ``submitted_from`` / ``submitted_to``)."""

    model_config = _PARAMS
    status: list[str] | str = "approved"
    type_codes: list[str] | str | None = None
    class_codes: list[str] | str | None = None
    practice_setting_codes: list[str] | str | None = None
    healthcare_facility_type_codes: list[str] | str | None = None
    format_codes: list[str] | str | None = None
    confidentiality_codes: list[str] | str | None = None
    creation_time_from: str | None = None
    creation_time_to: str | None = None
    service_start_time_from: str | None = None
    service_start_time_to: str | None = None
    service_stop_time_from: str | None = None
    service_stop_time_to: str | None = None
    submitted_from: str | None = None
    submitted_to: str | None = None
    author_persons: list[str] | str | None = None
    user_initiated: bool = True


class UniqueIdParams(BaseModel):
    """A document by uniqueId."""

    model_config = _PARAMS
    unique_id: str


class EntryParams(BaseModel):
    """TD3.1 GetDocuments of one document."""

    model_config = _PARAMS
    unique_id: str
    user_initiated: bool = True


class GetDocumentsParams(BaseModel):
    """TD3.1 GetDocuments."""

    model_config = _PARAMS
    unique_ids: list[str] | str
    user_initiated: bool = True


class DeleteParams(BaseModel):
    """TD3.3c."""

    model_config = _PARAMS
    unique_id: str
    current_status: str | None = None


class ConfidentialityParams(BaseModel):
    """TD3.3a/b with explicit codes."""

    model_config = _PARAMS
    unique_id: str
    confidentiality: list[str] = Field(min_length=1)

    @field_validator("confidentiality", mode="before")
    @classmethod
    def _listify(cls, value: Any) -> Any:
        return [value] if isinstance(value, str) else value


# ---------------------------------------------------------------------------------------------- running


def _when(text: str | None) -> dt.datetime | str | None:
    """ISO 8601 (date or datetime; naive = UTC) → aware datetime; other text is passed as is."""
    if text is None:
        return None
    try:
        value = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return text
    return value if value.tzinfo is not None else value.replace(tzinfo=dt.UTC)


def _test_existence(c: StepContext) -> Any:
    return c.client.test_existence(c.ins, context=c.context)


def _administrative(c: StepContext) -> Any:
    return c.client.get_administrative_data(c.ins, context=c.context)


def _authorize(c: StepContext) -> Any:
    return c.client.authorize(c.ins, as_treating_physician=c.params.as_treating_physician, context=c.context)


def _remove(c: StepContext) -> Any:
    p = c.params
    return c.client.remove_authorization(c.ins, treating_physician_role=p.treating_physician_role, context=c.context)


def _list_patients(c: StepContext) -> Any:
    since = _when(c.params.since)
    return c.client.list_patients(since or c.params.since, c.params.date_type, context=c.context)


def _list_authorizations(c: StepContext) -> Any:
    return c.client.list_authorizations(c.ins, c.params.mode, context=c.context)


def _search_patients(c: StepContext) -> Any:
    criteria = {k: v for k, v in c.params.model_dump().items() if v not in (None, False)}
    return c.client.search_patients(context=c.context, **criteria)


def _submit(c: StepContext) -> Any:
    specs: list[DocumentSpec] = c.params.specs
    built = [build_document(spec, c) for spec in specs]
    result = c.client.submit(c.ins, [b[0] for b in built], context=c.context)
    docs = [_describe_built(b[1], spec) for b, spec in zip(built, specs, strict=True)]
    return ResultView(result, {"documents": docs, "unique_id": result.unique_id})


def _replace(c: StepContext) -> Any:
    spec: DocumentSpec = c.params.document
    document, built = build_document(spec, c)
    result = c.client.replace(c.ins, c.params.previous, document, context=c.context)
    return ResultView(result, {"documents": [_describe_built(built, spec)], "unique_id": result.unique_id})


def _find(c: StepContext) -> Any:
    p: FindParams = c.params
    if p.submitted_from is not None or p.submitted_to is not None:
        others = p.model_dump(exclude={"status", "submitted_from", "submitted_to", "user_initiated"}, exclude_none=True)
        if others:
            raise ScenarioError(
                "with submitted_from/submitted_to only status may be given", field="params", value=sorted(others)
            )
        return c.client.find_documents(
            c.ins,
            submitted_from=_when(p.submitted_from),
            submitted_to=_when(p.submitted_to),
            status=_statuses(p.status),
            user_initiated=p.user_initiated,
            context=c.context,
        )
    criteria: dict[str, Any] = {"status": _statuses(p.status)}
    for name, vs in (
        ("type_codes", ("J66", "J07")),
        ("class_codes", ("J57",)),
        ("practice_setting_codes", ("J62", "J04")),
        ("healthcare_facility_type_codes", ("J61", "J02")),
        ("format_codes", ("J60",)),
        ("confidentiality_codes", ("J58", "TRE_A07")),
    ):
        value = getattr(p, name)
        if value is not None:
            criteria[name] = _codes(value, vs, f"params.{name}")
    for name in (
        "creation_time_from",
        "creation_time_to",
        "service_start_time_from",
        "service_start_time_to",
        "service_stop_time_from",
        "service_stop_time_to",
    ):
        value = getattr(p, name)
        if value is not None:
            criteria[name] = _when(value)
    if p.author_persons is not None:
        criteria["author_persons"] = p.author_persons
    return c.client.find_documents(c.ins, user_initiated=p.user_initiated, context=c.context, **criteria)


def _get_documents(c: StepContext) -> Any:
    ids = [c.params.unique_ids] if isinstance(c.params.unique_ids, str) else list(c.params.unique_ids)
    return c.client.get_documents(c.ins, ids, user_initiated=c.params.user_initiated, context=c.context)


def _get_entry(c: StepContext) -> Any:
    entry = c.client.get_document_entry(
        c.ins, c.params.unique_id, user_initiated=c.params.user_initiated, context=c.context
    )
    return ResultView(entry, {"found": entry is not None})


def _find_reference(c: StepContext) -> Any:
    return c.client.find_document_reference(c.ins, c.params.unique_id, context=c.context)


def _retrieve(c: StepContext) -> Any:
    doc = c.client.retrieve(c.ins, c.params.unique_id, context=c.context)
    extras: dict[str, Any] = {"sha1": doc.sha1, "size": doc.size}
    try:
        header = read_header(doc.read_bytes())
    except Exception:  # a non-CDA content: no header fields
        header = None
    if header is not None:
        extras.update(
            title=header.title,
            type=header.code.code if header.code else None,
            confidentiality=header.confidentiality.code if header.confidentiality else None,
            body_media_type=header.body.media_type,
        )
    return ResultView(doc, extras)


def _hide(c: StepContext) -> Any:
    return c.client.hide_from_professionals(c.ins, c.params.unique_id, context=c.context)


def _unhide(c: StepContext) -> Any:
    return c.client.unhide_for_professionals(c.ins, c.params.unique_id, context=c.context)


def _visible_patient(c: StepContext) -> Any:
    return c.client.make_visible_to_patient(c.ins, c.params.unique_id, context=c.context)


def _visible_rl(c: StepContext) -> Any:
    return c.client.make_visible_to_legal_representatives(c.ins, c.params.unique_id, context=c.context)


def _confidentiality(c: StepContext) -> Any:
    return c.client.update_confidentiality(c.ins, c.params.unique_id, c.params.confidentiality, context=c.context)


def _archive(c: StepContext) -> Any:
    return c.client.archive(c.ins, c.params.unique_id, context=c.context)


def _unarchive(c: StepContext) -> Any:
    return c.client.unarchive(c.ins, c.params.unique_id, context=c.context)


def _delete(c: StepContext) -> Any:
    current = c.params.current_status
    status = _statuses(current)[0] if current else None
    return c.client.delete(c.ins, c.params.unique_id, current_status=status, context=c.context)


def _a(name: str, tds: str, summary: str, params: type[BaseModel], run: Callable[[StepContext], Any]) -> ActionSpec:
    return ActionSpec(name, tds, summary, params, run)


#: Every action a step may use.
ACTIONS: Final[dict[str, ActionSpec]] = {
    a.name: a
    for a in (
        _a("test_existence", "TD0.2", "test d'existence + autorisation", NoParams, _test_existence),
        _a("get_administrative_data", "TD1.3a", "données administratives", NoParams, _administrative),
        _a("authorize", "TD0.3", "se déclarer autorisé (AJOUT)", AuthorizeParams, _authorize),
        _a("remove_authorization", "TD0.3", "supprimer son autorisation", RemoveAuthorizationParams, _remove),
        _a("list_patients", "TD0.4", "DMP autorisés depuis une date", ListPatientsParams, _list_patients),
        _a("list_authorizations", "TD1.6", "PS autorisés / bloqués", ListAuthorizationsParams, _list_authorizations),
        _a("search_patients", "TD0.5", "recherche sans INS (régulation)", SearchPatientsParams, _search_patients),
        _a("submit", "TD2.1 / TD2.2", "alimentation (N1 générés)", SubmitParams, _submit),
        _a("replace", "TD3.1b + TD2.1", "remplacement (RPLC)", ReplaceParams, _replace),
        _a("find", "TD3.1", "recherche de documents", FindParams, _find),
        _a("get_documents", "TD3.1", "métadonnées par uniqueId", GetDocumentsParams, _get_documents),
        _a("get_document_entry", "TD3.1", "version courante d'un document", EntryParams, _get_entry),
        _a("find_reference", "TD3.1b", "référence (entryUUID) d'un document", UniqueIdParams, _find_reference),
        _a("retrieve", "TD3.2", "consultation d'un document", UniqueIdParams, _retrieve),
        _a("hide", "TD3.1 + TD3.3a", "masquer aux PS", UniqueIdParams, _hide),
        _a("unhide", "TD3.1 + TD3.3a", "démasquer aux PS", UniqueIdParams, _unhide),
        _a("make_visible_to_patient", "TD3.1 + TD3.3b", "rendre visible au patient", UniqueIdParams, _visible_patient),
        _a(
            "make_visible_to_legal_representatives",
            "TD3.1 + TD3.3b",
            "rendre visible aux représentants légaux",
            UniqueIdParams,
            _visible_rl,
        ),
        _a(
            "update_confidentiality",
            "TD3.1 + TD3.3a/b",
            "confidentialité explicite",
            ConfidentialityParams,
            _confidentiality,
        ),
        _a("archive", "TD3.1b + TD3.3d", "archiver", UniqueIdParams, _archive),
        _a("unarchive", "TD3.1b + TD3.3d", "désarchiver", UniqueIdParams, _unarchive),
        _a("delete", "TD3.1b + TD3.3c", "supprimer", DeleteParams, _delete),
    )
}

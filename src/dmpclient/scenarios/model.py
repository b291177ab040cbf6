"""The scenario model: a scripted sequence of DMP transactions with expected outcomes.

A scenario (YAML file, or a Python module exposing ``SCENARIO``) says who acts (:class:`Actor`), on which
patient (:class:`PatientRef`), what the sandbox must look like first (:class:`SetupOp`, sandbox only), and
the ordered :class:`Step` list: one DMP transaction each (``action`` + ``params``), an optional ``save``
name for later ``${name.path}`` references, and what must happen (:class:`Expect`: success with
assertions on the typed result, or a refusal by a client guard or by the DMP).

Format reference: ``docs/scenarios.md``. Loading and validation: :mod:`dmpclient.scenarios.loader`.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import re
from pathlib import Path
from typing import Any, Final, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from dmpclient.errors import InputError

__all__ = [
    "ACTOR_PRESETS",
    "FORMAT",
    "OPERATORS",
    "SETUP_OPERATIONS",
    "Actor",
    "BodySpec",
    "CodeSpec",
    "DocumentSpec",
    "Expect",
    "NewPatient",
    "PatientRef",
    "ProfessionalSpec",
    "Scenario",
    "ScenarioError",
    "SetupOp",
    "Step",
]

#: Value of the optional ``format`` key of a scenario file.
FORMAT: Final = "dmpclient-scenario/1"
#: Names of scenarios, steps and saved variables.
IDENT_RE: Final = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
SAVE_RE: Final = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")

#: Assertion operators of :attr:`Expect.result` (see ``docs/scenarios.md``).
OPERATORS: Final = frozenset(
    {
        "eq",
        "ne",
        "in",
        "not_in",
        "contains",
        "not_contains",
        "len",
        "min_len",
        "max_len",
        "gt",
        "ge",
        "lt",
        "le",
        "matches",
        "each",
        "any",
        "none",
        "exists",
    }
)

#: Operations allowed in ``setup:`` (methods of the sandbox admin API).
SETUP_OPERATIONS: Final = frozenset(
    {"create_patient", "set_patient_state", "set_authorization", "set_parameters", "set_clock", "reset_searches"}
)

_FROZEN = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=True)
_AUTH_ALIASES: Final = {
    "direct": "direct",
    "directe": "direct",
    "indirect": "indirect",
    "indirecte": "indirect",
    "air": "air",
    "indirecte_renforcee": "air",
    "indirect-renforcee": "air",
}
_CONFIDENTIALITY: Final = frozenset({"N", "MASQUE_PS", "INVISIBLE_PATIENT", "INVISIBLE_REPRESENTANTS_LEGAUX"})


class ScenarioError(InputError):
    """A scenario file (or a ``SCENARIO`` object) is not valid, or a step cannot be prepared.

    Attributes:
        source: the file (or shipped name) the scenario came from.
        step: the step, as ``steps[2] (find-archived)``, when the problem is in a step.
        field / value / rule / hint: as for :class:`~dmpclient.errors.InputError`; ``field`` is the dotted
            path inside the scenario (``steps[2].expect.result.count``).
    """

    def __init__(
        self,
        message: str,
        *,
        source: str | None = None,
        step: str | None = None,
        field: str | None = None,
        value: object = None,
        rule: str | None = "scenario format",
        hint: str | None = None,
    ) -> None:
        self.source = source
        self.step = step
        super().__init__(message, field=field, value=value, rule=rule, hint=hint)

    def _compose(self) -> str:
        head = f"{self.source}: " if self.source else ""
        if self.step:
            head += f"{self.step}: "
        return head + super()._compose()


# ----------------------------------------------------------------------------------------------- actor


class ProfessionalSpec(BaseModel):
    """A professional other than the configured one (indirect mode users, CDA authors).

    In direct mode the sandbox (and the DMP) checks that the card's certificate is the VIHF user, so a
    different professional only makes sense with an establishment certificate or as a document author.
    """

    model_config = _FROZEN

    id: str
    family_name: str
    given_name: str
    profession: str = "10"
    profession_display: str | None = None
    specialty: str | None = "SM26"
    specialty_display: str | None = None


class Actor(BaseModel):
    """Who acts: authentication mode, card, access mode, secret connection, optionally another professional.

    Presets (a plain string instead of a mapping): ``direct`` / ``direct-cps`` (the physician's CPS),
    ``direct-cpe`` (a CPE card), ``indirect`` (establishment certificate), ``air`` (authentification
    indirecte renforcée), ``regulation`` (a regulating physician's CPS, access mode centre 15),
    ``bris-de-glace`` (direct, with a reason).
    """

    model_config = _FROZEN

    authentication: Literal["direct", "indirect", "air"] = "direct"
    card: Literal["CPS", "CPE", "CPF"] | None = None
    access: Literal["normal", "bris_de_glace", "centre_15"] = "normal"
    reason: str | None = None
    secret_connection: bool = False
    professional: ProfessionalSpec | None = None

    @field_validator("authentication", mode="before")
    @classmethod
    def _auth(cls, value: Any) -> Any:
        if isinstance(value, str):
            return _AUTH_ALIASES.get(value.strip().lower().replace(" ", "_"), value)
        return value

    @field_validator("access", mode="before")
    @classmethod
    def _access(cls, value: Any) -> Any:
        if isinstance(value, str):
            lowered = value.strip().lower().replace("-", "_")
            return {"regulation": "centre_15", "bdg": "bris_de_glace"}.get(lowered, lowered)
        return value

    @model_validator(mode="after")
    def _coherent(self) -> Actor:
        if self.access == "bris_de_glace" and not (self.reason or "").strip():
            raise ValueError("bris de glace needs the reason typed by the professional (reason:) — EX_0.2-1040")
        if self.access != "bris_de_glace" and self.reason:
            raise ValueError("reason: is only given in bris de glace access")
        if self.card is not None and self.authentication != "direct":
            raise ValueError("card: is only given in direct authentication")
        return self

    @property
    def mode(self) -> str:
        """The VIHF ``Authentification_mode`` (``DIRECTE``, ``INDIRECTE``, ``INDIRECTE_RENFORCEE``)."""
        return {"direct": "DIRECTE", "indirect": "INDIRECTE", "air": "INDIRECTE_RENFORCEE"}[self.authentication]

    def describe(self) -> str:
        """One line for humans: ``direct CPS, normal`` …"""
        parts = [self.authentication + (f" {self.card}" if self.card else "")]
        parts.append(self.access if self.access != "bris_de_glace" else f"bris de glace « {self.reason} »")
        if self.secret_connection:
            parts.append("secret connection")
        if self.professional is not None:
            parts.append(f"as {self.professional.id}")
        return ", ".join(parts)


#: The actor presets (a plain string in ``actor:``).
ACTOR_PRESETS: Final[dict[str, dict[str, Any]]] = {
    "direct": {},
    "direct-cps": {"card": "CPS"},
    "direct-cpe": {"card": "CPE"},
    "indirect": {"authentication": "indirect"},
    "air": {"authentication": "air"},
    "regulation": {"access": "centre_15"},
    "bris-de-glace": {"access": "bris_de_glace", "reason": "Urgence vitale : patient inconscient"},
}


def actor_from(value: Any, base: Actor | None = None) -> Actor:
    """An :class:`Actor` from a preset name, a mapping (merged onto ``base``) or an Actor."""
    if isinstance(value, Actor):
        return value
    if isinstance(value, str):
        preset = ACTOR_PRESETS.get(value.strip().lower())
        if preset is None:
            raise ValueError(f"unknown actor preset {value!r} (known: {', '.join(ACTOR_PRESETS)})")
        return Actor.model_validate(preset)
    if isinstance(value, dict):
        data = dict(value)
        preset_name = data.pop("preset", None)
        start: dict[str, Any] = {}
        if preset_name is not None:
            start = actor_from(preset_name).model_dump(exclude_unset=True)
        elif base is not None:
            start = base.model_dump(exclude_unset=True)
            if "access" in data and "reason" not in data:
                start.pop("reason", None)
        start.update(data)
        return Actor.model_validate(start)
    raise ValueError("actor: is a preset name or a mapping")


# --------------------------------------------------------------------------------------------- patient


class NewPatient(BaseModel):
    """A patient created in the sandbox for the scenario (an empty DMP), with a generated valid INS."""

    model_config = _FROZEN

    family: str = "SCENARIO"
    given: str = "TEST"
    birth_date: dt.date = dt.date(1980, 1, 15)
    sex: Literal["M", "F"] = "F"
    dmp_state: Literal["active", "none", "closed"] = "active"


class PatientRef(BaseModel):
    """The patient of a scenario or a step.

    String forms: a 15-character INS matricule (test OID ``.10`` unless ``oid`` says otherwise), ``new``, or
    the key of a seeded test patient: the birth family name (``PATB-QUATRE``) or ``FAMILY GIVEN`` when the
    family name is shared (``MELANGE SEBASTIEN``).
    """

    model_config = _FROZEN

    key: str | None = None
    ins: str | None = None
    oid: str | None = None
    family: str | None = None
    given: str | None = None
    birth_date: dt.date | None = None
    sex: Literal["M", "F", "U"] | None = None
    new: NewPatient | None = None

    @model_validator(mode="before")
    @classmethod
    def _shorthand(cls, value: Any) -> Any:
        if isinstance(value, str):
            text = value.strip()
            if text.lower() == "new":
                return {"new": {}}
            compact = re.sub(r"\s+", "", text)
            if len(compact) == 15 and compact[:13].replace("A", "").replace("B", "").isdigit():
                return {"ins": compact}
            return {"key": text}
        if isinstance(value, dict) and value.get("new") is None and "new" in value:
            return {**value, "new": {}}
        return value

    @model_validator(mode="after")
    def _one(self) -> PatientRef:
        given = [n for n in ("key", "ins", "new") if getattr(self, n) is not None]
        if len(given) != 1:
            raise ValueError("a patient is given by exactly one of key (seeded name), ins, or new")
        return self


# ------------------------------------------------------------------------------------------- documents


class CodeSpec(BaseModel):
    """A code with its system (``{code: DOCPAT03, system: 1.2.250.1.213.1.1.4.12}``)."""

    model_config = _FROZEN

    code: str
    system: str
    display: str | None = None


class BodySpec(BaseModel):
    """The N1 body of a generated document: ``pdf`` (the sample PDF), ``text``, ``rtf``, ``tiff`` or ``file``."""

    model_config = _FROZEN

    kind: Literal["pdf", "text", "rtf", "tiff", "file"] = "pdf"
    text: str | None = None
    file: str | None = None

    @model_validator(mode="before")
    @classmethod
    def _shorthand(cls, value: Any) -> Any:
        return {"kind": value} if isinstance(value, str) else value

    @model_validator(mode="after")
    def _file(self) -> BodySpec:
        if (self.kind == "file") != (self.file is not None):
            raise ValueError("file: is given with kind: file (a path relative to the scenario file), and only then")
        return self


class DocumentSpec(BaseModel):
    """A document to build (an N1 CI-SIS CDA) and submit.

    Attributes:
        type_code: a LOINC code of JDV_J07 (bare) or ``{code, system, display}``.
        title: the document title (EX_2.1-1020…1040: meaningful, not truncated).
        body: see :class:`BodySpec` (default: the sample PDF).
        confidentiality: codes added to ``N``: ``MASQUE_PS``, ``INVISIBLE_PATIENT``,
            ``INVISIBLE_REPRESENTANTS_LEGAUX``.
        service_start / service_stop: the act's dates (default: 30 and 5 minutes before now).
        author: the CDA/XDS author when it is not the acting professional (e.g. CDT 2.1-900).
        unique_id: force the document's uniqueId (default: a fresh ``2.25.<uuid>``).
    """

    model_config = _FROZEN

    type_code: str | CodeSpec = "11488-4"
    title: str = Field("Compte rendu de consultation", min_length=1)
    body: BodySpec = BodySpec()
    confidentiality: tuple[str, ...] = ()
    service_start: dt.datetime | None = None
    service_stop: dt.datetime | None = None
    author: ProfessionalSpec | None = None
    unique_id: str | None = None

    @field_validator("confidentiality", mode="before")
    @classmethod
    def _codes(cls, value: Any) -> Any:
        return [value] if isinstance(value, str) else value

    @field_validator("confidentiality")
    @classmethod
    def _known(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        unknown = [c for c in value if c not in _CONFIDENTIALITY]
        if unknown:
            raise ValueError(
                f"unknown confidentiality code(s) {unknown} (known: {', '.join(sorted(_CONFIDENTIALITY))})"
            )
        return value


# ------------------------------------------------------------------------------------------ expectation


class Expect(BaseModel):
    """What a step must produce.

    ``outcome: success`` (the default) with ``result`` assertions on the typed result (dotted paths →
    a value, or a mapping of :data:`OPERATORS`); or ``outcome: refused`` with any of ``by`` (``client``:
    a guard refused before anything was sent; ``dmp``: the DMP answered a refusal), ``rule`` (the
    client rule id: ``EX_3.1-1090``, ``CNDA 0.2-080``, ``dmp.typeCode.forbidden`` …), ``code`` (the DMP
    code), ``channel`` (``soap-fault``, ``registry-response``, ``hl7v3-acknowledgement``,
    ``proprietary-status``, ``http``) and ``message`` (a fragment of the French message or of the error
    text). ``transactions`` lists the transactions the step must have sent, in order (``[]``: nothing).
    The outcome is inferred as ``refused`` when a refusal field is given.
    """

    model_config = _FROZEN

    outcome: Literal["success", "refused"] = "success"
    result: dict[str, Any] = Field(default_factory=dict)
    by: Literal["client", "dmp"] | None = None
    rule: str | None = None
    code: str | None = None
    channel: (
        Literal["soap-fault", "registry-response", "hl7v3-acknowledgement", "proprietary-status", "http"] | None
    ) = None
    message: str | None = None
    transactions: tuple[str, ...] | None = None

    @model_validator(mode="before")
    @classmethod
    def _shorthand(cls, value: Any) -> Any:
        if isinstance(value, str):
            return {"outcome": value}
        if isinstance(value, dict) and "outcome" not in value:
            refusal = any(value.get(k) is not None for k in ("by", "rule", "code", "channel", "message"))
            return {**value, "outcome": "refused" if refusal else "success"}
        return value

    @model_validator(mode="after")
    def _coherent(self) -> Expect:
        refusal = [k for k in ("by", "rule", "code", "channel", "message") if getattr(self, k) is not None]
        if self.outcome == "success" and refusal:
            raise ValueError(f"{', '.join(refusal)} describe a refusal; they need outcome: refused")
        if self.outcome == "refused" and self.result:
            raise ValueError("result: assertions apply to a success; a refusal is described by by/rule/code/message")
        if self.by == "client" and (self.code or self.channel):
            raise ValueError("code/channel are the DMP's; a client refusal is described by rule/message")
        return self

    def describe(self) -> str:
        """One line for humans."""
        if self.outcome == "success":
            extra = f" with {len(self.result)} assertion(s)" if self.result else ""
            return "success" + extra
        parts = [f"refused{' by ' + self.by if self.by else ''}"]
        for key in ("rule", "code", "channel"):
            value = getattr(self, key)
            if value:
                parts.append(f"{key}={value}")
        if self.message:
            parts.append(f"message~«{self.message}»")
        return " ".join(parts)


# ------------------------------------------------------------------------------------------ setup, step


class SetupOp(BaseModel):
    """One sandbox admin operation run before the steps (``{set_patient_state: {dmp_state: closed}}``).

    ``ins`` defaults to the scenario's patient for the patient operations. Only against the sandbox: a
    scenario with a setup is skipped on a real environment.
    """

    model_config = _FROZEN

    operation: str
    args: dict[str, Any] = Field(default_factory=dict)

    @model_validator(mode="before")
    @classmethod
    def _single_key(cls, value: Any) -> Any:
        if isinstance(value, dict) and "operation" not in value:
            if len(value) != 1:
                raise ValueError("a setup item is a mapping with exactly one operation name")
            ((name, args),) = value.items()
            return {"operation": name, "args": args or {}}
        if isinstance(value, str):
            return {"operation": value}
        return value

    @field_validator("operation")
    @classmethod
    def _known(cls, value: str) -> str:
        if value not in SETUP_OPERATIONS:
            raise ValueError(f"unknown setup operation {value!r} (known: {', '.join(sorted(SETUP_OPERATIONS))})")
        return value


class Step(BaseModel):
    """One DMP transaction of a scenario.

    Attributes:
        id: the step's name (folder ``NN-<id>`` of the evidence); default: the action, numbered if repeated.
        title: a sentence for the summary.
        cdt: the CNDA test ids this step demonstrates.
        action: the transaction (see :data:`dmpclient.scenarios.actions.ACTIONS`).
        params: the action's parameters (``${name.path}`` references allowed in strings).
        actor / patient: overrides of the scenario's.
        guards_off: client guards switched off for this step (``metadata``, ``rights`` …), to show the DMP's
            own refusal.
        save: keep the result under this name for later ``${name.path}`` references.
        expect: the expected outcome.
    """

    model_config = _FROZEN

    id: str | None = None
    title: str | None = None
    cdt: tuple[str, ...] = ()
    action: str
    params: dict[str, Any] = Field(default_factory=dict)
    actor: Actor | None = None
    patient: PatientRef | None = None
    guards_off: tuple[str, ...] = ()
    save: str | None = None
    expect: Expect = Expect()

    @field_validator("cdt", "guards_off", mode="before")
    @classmethod
    def _listify(cls, value: Any) -> Any:
        return [value] if isinstance(value, str) else value

    @field_validator("id")
    @classmethod
    def _ident(cls, value: str | None) -> str | None:
        if value is not None and not IDENT_RE.match(value):
            raise ValueError("a step id is letters, digits, '.', '_' and '-' (starting with a letter or digit)")
        return value

    @field_validator("save")
    @classmethod
    def _save(cls, value: str | None) -> str | None:
        if value is not None and not SAVE_RE.match(value):
            raise ValueError("a saved name is a Python-like identifier (letters, digits, '_')")
        return value


class Scenario(BaseModel):
    """A homologation scenario. Build it from YAML with :func:`~dmpclient.scenarios.load_scenario`, or in
    Python (a module exposing ``SCENARIO = Scenario(...)``); :func:`~dmpclient.scenarios.check_scenario`
    validates the steps' parameters and variables.

    Attributes:
        name: the scenario's name (evidence folder; ``scenario run NAME``).
        title: one line.
        description: free text (Markdown) copied into the summary.
        cdt: the CNDA Phase-2 test ids it demonstrates (steps may add their own).
        profile: ``alimentation``, ``consultation``, ``air`` or ``commun``.
        requirements: requirement ids (``EX_…``, ``REC_…``, ``SC.DMP/…``) the scenario shows the software
            meets.
        actor: the default actor (:class:`Actor` or a preset name).
        patient: the default patient.
        environments: where it may run (``sandbox``, or any environment name); empty = anywhere.
        setup: sandbox admin operations before the steps.
        steps: the steps, in order.
    """

    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=True)

    format: Literal["dmpclient-scenario/1"] = FORMAT
    name: str
    title: str = Field(min_length=1)
    description: str = ""
    cdt: tuple[str, ...] = ()
    profile: Literal["alimentation", "consultation", "air", "commun"] = "commun"
    requirements: tuple[str, ...] = ()
    actor: Actor = Actor()
    patient: PatientRef | None = None
    environments: tuple[str, ...] = ()
    setup: tuple[SetupOp, ...] = ()
    steps: tuple[Step, ...] = Field(min_length=1)
    source: str | None = Field(default=None, exclude=True)

    @field_validator("cdt", "requirements", "environments", mode="before")
    @classmethod
    def _listify(cls, value: Any) -> Any:
        return [value] if isinstance(value, str) else value

    @field_validator("actor", mode="before")
    @classmethod
    def _actor(cls, value: Any) -> Any:
        return actor_from(value)

    @model_validator(mode="before")
    @classmethod
    def _step_actors(cls, data: Any) -> Any:
        """Step ``actor:`` mappings are overrides merged onto the scenario's actor."""
        if not isinstance(data, dict) or not isinstance(data.get("steps"), list):
            return data
        try:
            base = actor_from(data.get("actor", "direct"))
        except ValueError:
            return data  # reported by the actor field
        steps = []
        for step in data["steps"]:
            if isinstance(step, dict) and step.get("actor") is not None and not isinstance(step["actor"], Actor):
                with contextlib.suppress(ValueError):  # else reported by the step's actor field
                    step = {**step, "actor": actor_from(step["actor"], base)}
            steps.append(step)
        return {**data, "steps": steps}

    @field_validator("name")
    @classmethod
    def _ident(cls, value: str) -> str:
        if not IDENT_RE.match(value):
            raise ValueError("a scenario name is letters, digits, '.', '_' and '-' (starting with a letter or digit)")
        return value

    @property
    def all_cdt(self) -> tuple[str, ...]:
        """The scenario's CDT ids then the steps' own, without repeats."""
        seen: dict[str, None] = dict.fromkeys(self.cdt)
        for step in self.steps:
            seen.update(dict.fromkeys(step.cdt))
        return tuple(seen)

    @property
    def sandbox_only(self) -> bool:
        """True when the scenario needs the sandbox (setup, a new patient, seeded document ids, or
        ``environments: [sandbox]``)."""
        if self.setup or (self.environments and set(self.environments) <= {"sandbox"}):
            return True
        patients = [self.patient, *(s.patient for s in self.steps)]
        if any(p is not None and p.new is not None for p in patients):
            return True
        from dmpclient.scenarios.expressions import references

        refs = [r for s in self.steps for r in (*references(s.params), *references(s.expect.result))]
        return any(r == "seed" or r.startswith(("seed.", "seed[")) for r in refs)

    def step_ids(self) -> list[str]:
        """The effective step ids (given, else the action numbered when repeated)."""
        out: list[str] = []
        counts: dict[str, int] = {}
        for step in self.steps:
            base = step.id or step.action
            counts[base] = counts.get(base, 0) + 1
            out.append(base if step.id or counts[base] == 1 else f"{base}-{counts[base]}")
        return out

    @property
    def source_path(self) -> Path | None:
        """The scenario file, when it came from one."""
        return Path(self.source) if self.source else None

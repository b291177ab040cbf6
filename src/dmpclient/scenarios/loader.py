"""Load and validate scenarios: YAML files (``yaml.safe_load`` only), Python modules exposing ``SCENARIO``,
and the scenarios shipped with the package.

Every problem is a :class:`~dmpclient.scenarios.model.ScenarioError` naming the file, the step and the field
(``td3.1.yaml: steps[2] (archived): steps[2].params.status='archve': unknown status …``).
"""

from __future__ import annotations

import datetime as dt
import functools
import importlib
import importlib.resources
import importlib.util
import sys
from collections.abc import Iterable, Mapping
from dataclasses import fields
from pathlib import Path
from typing import Any, Final

from pydantic import BaseModel, ValidationError

from dmpclient.client import GuardSettings
from dmpclient.errors import InvalidIdentifier
from dmpclient.ids import INS, InsOid
from dmpclient.scenarios.actions import ACTIONS, PatientInfo
from dmpclient.scenarios.cdt import CDT_TESTS
from dmpclient.scenarios.expressions import references, validate_assertions
from dmpclient.scenarios.model import PatientRef, Scenario, ScenarioError

__all__ = [
    "BUILTIN_VARIABLES",
    "GUARD_NAMES",
    "PATIENTLESS_ACTIONS",
    "check_scenario",
    "find_scenario",
    "load_scenario",
    "parse_scenario",
    "resolve_patient",
    "scenarios_with_cdt",
    "seeded_patients",
    "shipped_dir",
    "shipped_scenarios",
]

#: Variables every scenario may reference: ``${patient.matricule}``, ``${actor.professional_id}``,
#: ``${run.started_at}``, ``${now}``, ``${today}``, ``${seed.<document key>}`` (sandbox only).
BUILTIN_VARIABLES: Final = frozenset({"patient", "actor", "run", "now", "today", "seed"})
#: The client guards a step may switch off (``guards_off:``).
GUARD_NAMES: Final = frozenset(f.name for f in fields(GuardSettings) if f.type in ("bool", bool))
#: Actions that do not act on one patient.
PATIENTLESS_ACTIONS: Final = frozenset({"list_patients", "search_patients"})
_OIDS: Final = {"test": InsOid.TEST, ".10": InsOid.TEST, "demo": InsOid.DEMONSTRATION, ".11": InsOid.DEMONSTRATION}
_OIDS_MORE: Final = {"nia": InsOid.NIA, ".9": InsOid.NIA, "production": InsOid.PRODUCTION, ".8": InsOid.PRODUCTION}


def _yaml() -> Any:
    """PyYAML, imported lazily (``safe_load`` only: no Python object construction)."""
    return importlib.import_module("yaml")


# ---------------------------------------------------------------------------------------------- patients


@functools.cache
def seeded_patients() -> dict[str, PatientInfo]:
    """The sandbox's seeded test patients (``test-data.md``) by key: birth family name when unique, and
    ``FAMILY GIVEN`` (first given name) always; also by matricule."""
    from dmpclient.sandbox.seed import SEED_PATIENTS

    out: dict[str, PatientInfo] = {}
    families: dict[str, int] = {}
    for p in SEED_PATIENTS:
        families[p.family.upper()] = families.get(p.family.upper(), 0) + 1
    for p in SEED_PATIENTS:
        info = PatientInfo(INS.parse(p.ins, p.oid), p.family, p.given, p.birth_date, p.sex, key=p.family)
        out[f"{p.family} {p.given[0]}".upper()] = info
        out[p.ins] = info
        if families[p.family.upper()] == 1:
            out[p.family.upper()] = info
    return out


def _oid(value: str | None) -> InsOid:
    if value is None:
        return InsOid.TEST
    lowered = value.strip().lower()
    if lowered in _OIDS or lowered in _OIDS_MORE:
        return {**_OIDS, **_OIDS_MORE}[lowered]
    return InsOid(value)


def resolve_patient(ref: PatientRef) -> PatientInfo:
    """The patient a reference names (a ``new`` patient gets its INS from the runner, not here).

    Raises:
        ScenarioError: unknown key, invalid INS, or traits missing for an INS outside the seed.
    """
    directory = seeded_patients()
    if ref.key is not None:
        info = directory.get(" ".join(ref.key.upper().split()))
        if info is None:
            close = sorted(k for k in directory if not k[:1].isdigit() and k.split()[0] == ref.key.upper().split()[0])
            hint = f"did you mean {', '.join(close)}?" if close else "give the INS (ins:) or a seeded name"
            raise ScenarioError(
                "no seeded test patient with this name (or the name is shared: add the given name)",
                field="patient",
                value=ref.key,
                hint=hint,
            )
        return info
    if ref.ins is None:
        raise ScenarioError("a new patient is created by the runner", field="patient", value="new")
    try:
        oid = _oid(ref.oid)
        ins = INS.parse(ref.ins, oid)
    except (InvalidIdentifier, ValueError) as exc:
        raise ScenarioError(str(exc), field="patient.ins", value=ref.ins) from None
    known = directory.get(ins.matricule)
    if known is not None and known.ins.oid is ins.oid:
        return PatientInfo(
            ins,
            ref.family or known.family,
            tuple((ref.given or " ".join(known.given)).split()),
            ref.birth_date or known.birth_date,
            ref.sex or known.sex,
            key=known.key,
        )
    return PatientInfo(
        ins,
        ref.family or "",
        tuple((ref.given or "").split()),
        ref.birth_date or dt.date(1900, 1, 1),
        ref.sex or "U",
    )


# -------------------------------------------------------------------------------------------- validation


def _step_label(scenario: Scenario, index: int) -> str:
    return f"steps[{index}] ({scenario.step_ids()[index]})"


def _fail(scenario: Scenario, message: str, *, index: int | None = None, **kwargs: Any) -> ScenarioError:
    return ScenarioError(
        message,
        source=scenario.source or scenario.name,
        step=_step_label(scenario, index) if index is not None else None,
        **kwargs,
    )


def _validation_message(exc: ValidationError) -> tuple[str, str, Any]:
    first = exc.errors()[0]
    where = ".".join(str(p) for p in first["loc"] if not str(p).startswith("function-"))
    message = str(first["msg"]).removeprefix("Value error, ")
    more = len(exc.errors()) - 1
    if more:
        message += f" (and {more} more problem(s))"
    return where, message, first.get("input")


def _params_model(action: str) -> type[BaseModel]:
    return ACTIONS[action].params


def check_scenario(scenario: Scenario) -> Scenario:
    """Validate what the model alone cannot: CDT ids, step ids, actions and their parameters, guard names,
    patients, ``${…}`` references and assertion paths. Returns the scenario.

    Raises:
        ScenarioError: the first problem, naming the file, the step and the field.
    """
    for cdt in scenario.cdt:
        if cdt not in CDT_TESTS:
            raise _fail(scenario, "not a test id of the CNDA test book 2.10c", field="cdt", value=cdt)
    ids = scenario.step_ids()
    seen: dict[str, int] = {}
    for index, sid in enumerate(ids):
        if sid in seen:
            raise _fail(scenario, f"duplicate step id (also steps[{seen[sid]}])", index=index, field="id", value=sid)
        seen[sid] = index
    if scenario.patient is not None and scenario.patient.new is None:
        try:
            resolve_patient(scenario.patient)
        except ScenarioError as exc:
            raise _fail(scenario, exc.reason, field=exc.field, value=exc.value, hint=exc.hint) from None
    saved: set[str] = set()
    seed_keys = _seed_keys()
    for index, step in enumerate(scenario.steps):
        where = f"steps[{index}]"
        for cdt in step.cdt:
            if cdt not in CDT_TESTS:
                raise _fail(
                    scenario, "not a test id of the CNDA test book", index=index, field=f"{where}.cdt", value=cdt
                )
        if step.action not in ACTIONS:
            raise _fail(
                scenario,
                f"unknown action (known: {', '.join(ACTIONS)})",
                index=index,
                field=f"{where}.action",
                value=step.action,
            )
        try:
            _params_model(step.action).model_validate(step.params)
        except ValidationError as exc:
            loc, message, value = _validation_message(exc)
            raise _fail(
                scenario, message, index=index, field=f"{where}.params.{loc}".rstrip("."), value=value
            ) from None
        unknown_guards = [g for g in step.guards_off if g not in GUARD_NAMES]
        if unknown_guards:
            raise _fail(
                scenario,
                f"unknown guard (known: {', '.join(sorted(GUARD_NAMES))})",
                index=index,
                field=f"{where}.guards_off",
                value=unknown_guards,
            )
        patient = step.patient or scenario.patient
        if patient is None and step.action not in PATIENTLESS_ACTIONS:
            raise _fail(scenario, "this action needs a patient (scenario or step patient:)", index=index, field=where)
        if step.patient is not None and step.patient.new is None:
            try:
                resolve_patient(step.patient)
            except ScenarioError as exc:
                raise _fail(
                    scenario, exc.reason, index=index, field=f"{where}.patient", value=exc.value, hint=exc.hint
                ) from None
        if step.action in ("submit", "replace") and patient is not None and patient.new is None:
            info = resolve_patient(patient)
            if not info.family or not info.given:
                raise _fail(
                    scenario,
                    "feeding builds a CDA: give the patient's traits (family, given, birth_date, sex) for an INS "
                    "outside the seeded test patients",
                    index=index,
                    field=f"{where}.patient",
                    value=info.ins.matricule,
                )
        for problem_field, message in validate_assertions(step.expect.result, f"{where}.expect.result"):
            raise _fail(scenario, message, index=index, field=problem_field)
        for part, value in (("params", step.params), ("expect.result", step.expect.result)):
            for expr in references(value):
                head = expr.split(".", 1)[0].split("[", 1)[0]
                if head not in BUILTIN_VARIABLES and head not in saved:
                    raise _fail(
                        scenario,
                        f"${{{expr}}} refers to {head!r}, which no earlier step saves "
                        f"(saved so far: {', '.join(sorted(saved)) or 'none'}; built-in: "
                        f"{', '.join(sorted(BUILTIN_VARIABLES))})",
                        index=index,
                        field=f"{where}.{part}",
                        value=expr,
                    )
                if head == "seed":
                    key = expr.split(".", 1)[1] if "." in expr else ""
                    if key not in seed_keys:
                        raise _fail(
                            scenario,
                            "no seeded document with this key (see dmpclient.sandbox.seed.SEED_DOCUMENTS)",
                            index=index,
                            field=f"{where}.{part}",
                            value=expr,
                        )
        if step.save is not None:
            if step.save in BUILTIN_VARIABLES:
                raise _fail(scenario, "this name is a built-in variable", index=index, field=f"{where}.save")
            saved.add(step.save)
    return scenario


@functools.cache
def _seed_keys() -> frozenset[str]:
    from dmpclient.sandbox.seed import SEED_DOCUMENTS

    return frozenset(d.key for d in SEED_DOCUMENTS)


# ----------------------------------------------------------------------------------------------- loading


def _plain_dates(value: Any) -> Any:
    """YAML dates and timestamps → ISO text (pydantic parses them back where a date is expected)."""
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, Mapping):
        return {str(k) if not isinstance(k, str) else k: _plain_dates(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain_dates(v) for v in value]
    return value


def parse_scenario(data: Any, *, source: str | None = None) -> Scenario:
    """Validate a scenario from already-parsed data (a mapping) and check it (:func:`check_scenario`)."""
    if isinstance(data, Scenario):
        scenario = data if source is None else data.model_copy(update={"source": source})
        return check_scenario(scenario)
    if not isinstance(data, Mapping):
        raise ScenarioError("a scenario is a mapping (name, title, steps …)", source=source, value=type(data).__name__)
    raw = _plain_dates(dict(data))
    if source is not None and "name" not in raw:
        raw["name"] = Path(source).stem
    try:
        scenario = Scenario.model_validate({**raw, "source": source})
    except ValidationError as exc:
        loc, message, value = _validation_message(exc)
        step = None
        first = exc.errors()[0]["loc"]
        if len(first) >= 2 and first[0] == "steps" and isinstance(first[1], int):
            steps = raw.get("steps") or []
            item = steps[first[1]] if first[1] < len(steps) else {}
            label = item.get("id") or item.get("action") if isinstance(item, Mapping) else None
            step = f"steps[{first[1]}]" + (f" ({label})" if label else "")
        raise ScenarioError(message, source=source, step=step, field=loc or None, value=value) from None
    return check_scenario(scenario)


def _load_yaml(path: Path, source: str) -> Scenario:
    yaml = _yaml()
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ScenarioError(f"cannot read the file: {exc.strerror}", source=source) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" (line {mark.line + 1}, column {mark.column + 1})" if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise ScenarioError(f"not valid YAML{where}: {problem}", source=source) from None
    return parse_scenario(data, source=source)


def _load_python(path: Path, source: str) -> Scenario:
    name = f"dmpclient_scenario_{abs(hash(str(path.resolve())))}"
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise ScenarioError("cannot import this Python file", source=source)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    except ScenarioError as exc:
        raise ScenarioError(exc.reason, source=source, step=exc.step, field=exc.field, value=exc.value) from None
    except ValidationError as exc:
        loc, message, value = _validation_message(exc)
        raise ScenarioError(message, source=source, field=loc or None, value=value) from None
    finally:
        sys.modules.pop(name, None)
    found = getattr(module, "SCENARIO", None)
    if found is None:
        raise ScenarioError("a Python scenario module defines SCENARIO (a dmpclient.scenarios.Scenario)", source=source)
    if not isinstance(found, Scenario | Mapping):
        raise ScenarioError("SCENARIO must be a Scenario (or a mapping)", source=source, value=type(found).__name__)
    return parse_scenario(found, source=source)


def load_scenario(path: str | Path) -> Scenario:
    """Load a scenario file: ``.yaml`` / ``.yml`` (safe YAML) or ``.py`` (a module exposing ``SCENARIO``)."""
    file = Path(path)
    source = str(path)
    if not file.is_file():
        raise ScenarioError("no such scenario file", source=source)
    if file.suffix.lower() in (".yaml", ".yml"):
        return _load_yaml(file, source)
    if file.suffix.lower() == ".py":
        return _load_python(file, source)
    raise ScenarioError("a scenario file is .yaml, .yml or .py", source=source, value=file.suffix)


# ----------------------------------------------------------------------------------------------- shipped


def shipped_dir() -> Path:
    """The folder of the scenarios shipped with dmpclient (package data)."""
    return Path(str(importlib.resources.files("dmpclient.scenarios").joinpath("shipped")))


@functools.cache
def _shipped() -> tuple[Scenario, ...]:
    out = []
    for file in sorted(shipped_dir().glob("*.yaml")):
        scenario = _load_yaml(file, f"shipped/{file.name}")
        out.append(scenario)
    return tuple(out)


def shipped_scenarios() -> list[Scenario]:
    """Every shipped scenario, by file name order."""
    return list(_shipped())


def find_scenario(name_or_path: str | Path) -> Scenario:
    """A scenario file, or a shipped scenario by name (``td0.2-test-existence``) or CDT id (``0.2-010``:
    only when exactly one shipped scenario carries it)."""
    text = str(name_or_path)
    path = Path(text)
    if path.suffix.lower() in (".yaml", ".yml", ".py") or path.is_file():
        return load_scenario(path)
    shipped = shipped_scenarios()
    for scenario in shipped:
        if scenario.name == text:
            return scenario
    tagged = [s for s in shipped if text in s.all_cdt]
    if len(tagged) == 1:
        return tagged[0]
    if len(tagged) > 1:
        raise ScenarioError(
            f"several shipped scenarios carry this CDT id: {', '.join(s.name for s in tagged)}", source=text
        )
    names = ", ".join(s.name for s in shipped)
    raise ScenarioError(
        "no scenario file and no shipped scenario with this name", source=text, hint=f"shipped: {names}"
    )


def scenarios_with_cdt(test_id: str, scenarios: Iterable[Scenario] | None = None) -> list[Scenario]:
    """The scenarios carrying a CDT id."""
    return [s for s in (scenarios if scenarios is not None else shipped_scenarios()) if test_id in s.all_cdt]

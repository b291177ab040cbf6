"""Run scenarios against a target and write the evidence folders.

Layout (documented in ``docs/homologation.md``)::

    <out>/<campaign>/                      campaign = UTC start time, 20260612T135423Z
      campaign.json, campaign.md           index of the scenarios run, CDT coverage
      <scenario>/
        scenario.yaml                      the scenario as run
        setup.json                         the sandbox setup operations and their answers (when any)
        summary.json, summary.md           expected vs actual per step, verdicts, evidence files
        <NN>-<step>/
          step.json                        action, resolved parameters, actor, patient, times, expected,
                                           actual, assertion checks, verdict, diff
          <NNN>-<TD>-<outcome>/            one folder per HTTP exchange (dmpclient.evidence.EvidenceWriter):
            request.http, request.root.xml, request.part-N.<cid>, vihf.xml,
            response.http, response.root.xml, response.part-N.<cid>, exchange.json,
            vihf.json                      the decoded VIHF: attributes, value rules, signature verification
            signature-report.json          TD2.1 / TD2.2: the XAdES signature, documents and metadata report
"""

from __future__ import annotations

import datetime as dt
import json
import traceback
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final, Literal

from pydantic import ValidationError

from dmpclient.client import Exchange
from dmpclient.errors import DMPClientError, DMPError, InputError, ProtocolError, TransportError, ValidationFailed
from dmpclient.evidence import EvidenceWriter
from dmpclient.scenarios.actions import ACTIONS, PatientInfo, StepContext
from dmpclient.scenarios.expressions import (
    AssertionCheck,
    PathError,
    ResultView,
    VariableError,
    check_assertions,
    plain,
    substitute,
)
from dmpclient.scenarios.loader import resolve_patient
from dmpclient.scenarios.model import Actor, Expect, PatientRef, Scenario, ScenarioError, Step
from dmpclient.scenarios.targets import Target

__all__ = [
    "CAMPAIGN_FORMAT",
    "SCENARIO_FORMAT",
    "STEP_FORMAT",
    "ActualOutcome",
    "CampaignResult",
    "ScenarioResult",
    "ScenarioRunner",
    "StepResult",
    "Verdict",
    "run_scenarios",
]

STEP_FORMAT: Final = "dmpclient-scenario-step/1"
SCENARIO_FORMAT: Final = "dmpclient-scenario-result/1"
CAMPAIGN_FORMAT: Final = "dmpclient-scenario-campaign/1"
Verdict = Literal["passed", "failed", "error", "skipped"]
_PATIENT_OPS: Final = frozenset({"set_patient_state", "set_authorization"})


def _iso(value: dt.datetime | None) -> str | None:
    return value.astimezone(dt.UTC).isoformat().replace("+00:00", "Z") if value is not None else None


def _utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _verdict_counts(verdicts: Iterable[Verdict]) -> dict[str, int]:
    """How many of each verdict (every verdict present, zero included)."""
    out = {"passed": 0, "failed": 0, "error": 0, "skipped": 0}
    for verdict in verdicts:
        out[verdict] += 1
    return out


# ------------------------------------------------------------------------------------------- outcomes


@dataclass
class ActualOutcome:
    """What a step actually produced.

    Attributes:
        kind: ``success``, ``refused`` (by a client guard or by the DMP) or ``error`` (transport, protocol,
            a scenario problem found at run time, an unexpected exception).
        by: ``client`` or ``dmp`` for a refusal.
        rules: the client rule ids (``RuleViolation.rule``; for ``ValidationFailed`` every finding's rule,
            requirement and code).
        code / channel / message_fr: the DMP's refusal.
        message: the error text.
        error_type: the exception class.
        summary: a short description of a success (``3 document(s)`` …).
    """

    kind: Literal["success", "refused", "error"]
    by: Literal["client", "dmp"] | None = None
    rules: list[str] = field(default_factory=list)
    code: str | None = None
    channel: str | None = None
    message_fr: str | None = None
    message: str | None = None
    error_type: str | None = None
    summary: str | None = None
    traceback: str | None = None
    transport: bool = False

    def describe(self) -> str:
        """One line for humans."""
        if self.kind == "success":
            return "success" + (f" ({self.summary})" if self.summary else "")
        if self.kind == "refused" and self.by == "dmp":
            text = f"refused by dmp: {self.code or 'no code'} ({self.channel})"
            return text + (f" « {self.message_fr} »" if self.message_fr else "")
        if self.kind == "refused":
            rule = f" rule {self.rules[0]}" if self.rules else ""
            return f"refused by client:{rule} — {self.message}"
        return f"error: {self.error_type}: {self.message}"

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready."""
        return {
            "kind": self.kind,
            "by": self.by,
            "rules": self.rules,
            "code": self.code,
            "channel": self.channel,
            "message_fr": self.message_fr,
            "message": self.message,
            "error_type": self.error_type,
            "summary": self.summary,
            "traceback": self.traceback,
            "transport": self.transport,
        }


def _client_rules(exc: BaseException) -> list[str]:
    rules: list[str] = []
    if isinstance(exc, InputError) and exc.rule:
        rules.append(exc.rule)
    if isinstance(exc, ValidationFailed):
        from dmpclient.xds.validation import RULES

        for f in exc.findings:
            if not f.is_error:
                continue
            rules.append(f.rule)
            known = RULES.get(f.rule)
            if known is not None and known.requirement:
                rules.append(known.requirement)
            if f.code:
                rules.append(f.code)
    return list(dict.fromkeys(rules))


def classify(exc: BaseException) -> ActualOutcome:
    """The :class:`ActualOutcome` of an exception raised by an action."""
    if isinstance(exc, ScenarioError | VariableError | PathError):
        return ActualOutcome("error", message=str(exc), error_type=type(exc).__name__)
    if isinstance(exc, DMPError):
        return ActualOutcome(
            "refused",
            by="dmp",
            code=exc.code,
            channel=exc.channel.value,
            message_fr=exc.message_fr,
            message=str(exc),
            error_type=type(exc).__name__,
        )
    if isinstance(exc, InputError | ValidationFailed):
        return ActualOutcome(
            "refused", by="client", rules=_client_rules(exc), message=str(exc), error_type=type(exc).__name__
        )
    if isinstance(exc, TransportError | ProtocolError | DMPClientError):
        return ActualOutcome(
            "error", message=str(exc), error_type=type(exc).__name__, transport=isinstance(exc, TransportError)
        )
    return ActualOutcome(
        "error",
        message=str(exc) or type(exc).__name__,
        error_type=type(exc).__name__,
        traceback="".join(traceback.format_exception(exc)),
    )


def _summary_of(value: Any) -> str | None:
    inner = value.value if isinstance(value, ResultView) else value
    docs = getattr(inner, "documents", None)
    if isinstance(docs, tuple) and hasattr(inner, "status"):
        return f"{len(docs)} document(s)"
    ids = getattr(inner, "document_unique_ids", None)
    if isinstance(ids, tuple):
        return f"{len(ids)} document(s) stored"
    exists = getattr(inner, "exists", None)
    if isinstance(exists, bool):
        auth = getattr(inner, "authorization", None)
        text = f"exists={exists}"
        if auth is not None:
            text += f", authorization={plain(auth)}"
        return text
    items = getattr(inner, "items", None)
    if isinstance(items, tuple):
        return f"{len(items)} item(s)"
    sha1 = getattr(inner, "sha1", None)
    if isinstance(sha1, str):
        return f"{getattr(inner, 'size', '?')} bytes, SHA-1 {sha1}"
    status = getattr(inner, "status", None)
    if status is not None:
        return f"status {plain(status)}"
    return None


def match_refusal(expect: Expect, actual: ActualOutcome) -> list[AssertionCheck]:
    """The checks of an expected refusal against an actual one."""
    checks: list[AssertionCheck] = []
    if expect.by is not None:
        checks.append(AssertionCheck("refused.by", "eq", expect.by, actual.by, expect.by == actual.by))
    if expect.rule is not None:
        ok = expect.rule in actual.rules
        checks.append(AssertionCheck("refused.rule", "in", expect.rule, actual.rules, ok))
    if expect.code is not None:
        checks.append(AssertionCheck("refused.code", "eq", expect.code, actual.code, expect.code == actual.code))
    if expect.channel is not None:
        ok = expect.channel == actual.channel
        checks.append(AssertionCheck("refused.channel", "eq", expect.channel, actual.channel, ok))
    if expect.message is not None:
        haystack = " ".join(filter(None, (actual.message_fr, actual.message))).casefold()
        ok = expect.message.casefold() in haystack
        checks.append(
            AssertionCheck("refused.message", "contains", expect.message, actual.message_fr or actual.message, ok)
        )
    return checks


# --------------------------------------------------------------------------------------------- results


@dataclass
class StepResult:
    """The result of one step (also written as ``step.json``)."""

    index: int
    id: str
    action: str
    title: str | None
    cdt: tuple[str, ...]
    folder: str
    expected: Expect
    actual: ActualOutcome
    verdict: Verdict
    checks: list[AssertionCheck] = field(default_factory=list)
    diff: list[str] = field(default_factory=list)
    exchanges: list[dict[str, Any]] = field(default_factory=list)
    params: Any = None
    actor: dict[str, Any] = field(default_factory=dict)
    patient: dict[str, Any] | None = None
    started_at: dt.datetime | None = None
    ended_at: dt.datetime | None = None
    duration_ms: float = 0.0
    guards_off: tuple[str, ...] = ()

    @property
    def transactions(self) -> list[str]:
        """The transactions sent, in order (one per exchange)."""
        return [str(e["transaction"]) for e in self.exchanges]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready (``step.json``)."""
        return {
            "format": STEP_FORMAT,
            "index": self.index,
            "id": self.id,
            "folder": self.folder,
            "title": self.title,
            "cdt": list(self.cdt),
            "action": self.action,
            "action_transactions": ACTIONS[self.action].transactions if self.action in ACTIONS else None,
            "params": plain(self.params),
            "actor": self.actor,
            "patient": self.patient,
            "guards_off": list(self.guards_off),
            "started_at": _iso(self.started_at),
            "ended_at": _iso(self.ended_at),
            "duration_ms": round(self.duration_ms, 3),
            "expected": self.expected.model_dump(mode="json", exclude_defaults=True)
            | {"outcome": self.expected.outcome},
            "expected_text": self.expected.describe(),
            "actual": self.actual.to_dict(),
            "actual_text": self.actual.describe(),
            "checks": [c.to_dict() for c in self.checks],
            "verdict": self.verdict,
            "diff": self.diff,
            "transactions": self.transactions,
            "exchanges": self.exchanges,
        }


@dataclass
class ScenarioResult:
    """The result of one scenario (``summary.json``)."""

    scenario: Scenario
    environment: str
    folder: Path
    verdict: Verdict
    steps: list[StepResult] = field(default_factory=list)
    started_at: dt.datetime | None = None
    ended_at: dt.datetime | None = None
    skip_reason: str | None = None
    error: str | None = None
    setup: list[dict[str, Any]] = field(default_factory=list)
    actor: dict[str, Any] = field(default_factory=dict)
    patient: dict[str, Any] | None = None

    @property
    def ok(self) -> bool:
        """Passed or skipped."""
        return self.verdict in ("passed", "skipped")

    def counts(self) -> dict[str, int]:
        """Steps per verdict."""
        return _verdict_counts(s.verdict for s in self.steps)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready (``summary.json``)."""
        from dmpclient.scenarios.cdt import CDT_TESTS

        sc = self.scenario
        return {
            "format": SCENARIO_FORMAT,
            "name": sc.name,
            "title": sc.title,
            "source": sc.source,
            "profile": sc.profile,
            "cdt": [{"id": i, "title": CDT_TESTS[i].title if i in CDT_TESTS else None} for i in sc.all_cdt],
            "requirements": list(sc.requirements),
            "environment": self.environment,
            "folder": self.folder.name,
            "verdict": self.verdict,
            "skip_reason": self.skip_reason,
            "error": self.error,
            "started_at": _iso(self.started_at),
            "ended_at": _iso(self.ended_at),
            "actor": self.actor,
            "patient": self.patient,
            "setup": self.setup,
            "counts": self.counts(),
            "steps": [s.to_dict() for s in self.steps],
        }


@dataclass
class CampaignResult:
    """Several scenarios run together (``campaign.json``)."""

    folder: Path
    environment: str
    scenarios: list[ScenarioResult] = field(default_factory=list)
    started_at: dt.datetime | None = None
    ended_at: dt.datetime | None = None

    @property
    def ok(self) -> bool:
        """Every scenario passed or was skipped."""
        return all(s.ok for s in self.scenarios)

    @property
    def exit_code(self) -> int:
        """0 all passed/skipped; 1 a scenario failed (or hit a scenario problem); 3 only transport errors."""
        if self.ok:
            return 0
        bad = [s for s in self.scenarios if not s.ok]
        transport_only = all(
            s.verdict == "error"
            and s.error is None
            and all(st.actual.transport for st in s.steps if st.verdict in ("failed", "error"))
            for s in bad
        )
        return 3 if transport_only else 1

    def counts(self) -> dict[str, int]:
        """Scenarios per verdict."""
        return _verdict_counts(s.verdict for s in self.scenarios)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready (``campaign.json``)."""
        return {
            "format": CAMPAIGN_FORMAT,
            "folder": str(self.folder),
            "environment": self.environment,
            "started_at": _iso(self.started_at),
            "ended_at": _iso(self.ended_at),
            "ok": self.ok,
            "counts": self.counts(),
            "scenarios": [
                {
                    "name": s.scenario.name,
                    "title": s.scenario.title,
                    "cdt": list(s.scenario.all_cdt),
                    "verdict": s.verdict,
                    "skip_reason": s.skip_reason,
                    "error": s.error,
                    "folder": s.folder.name,
                    "steps": s.counts(),
                    "failures": [
                        {"step": st.folder, "diff": st.diff} for st in s.steps if st.verdict in ("failed", "error")
                    ],
                }
                for s in self.scenarios
            ],
        }


# ---------------------------------------------------------------------------------------------- runner


def _safe_name(text: str) -> str:
    return "".join(c if c.isalnum() or c in "._-" else "_" for c in text)[:80]


def _write_json(path: Path, data: Any) -> None:
    path.write_text(json.dumps(data, ensure_ascii=False, indent=2, default=str) + "\n", encoding="utf-8")


def _dump_yaml(data: Any) -> str:
    import importlib

    yaml: Any = importlib.import_module("yaml")
    text: str = yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=110)
    return text


class ScenarioRunner:
    """Runs scenarios on a :class:`~dmpclient.scenarios.targets.Target` and writes their evidence.

    Args:
        target: where to run (sandbox or a configured environment).
        out: the evidence root; each campaign gets ``<out>/<UTC timestamp>/``.
        campaign: the campaign folder name (default: the UTC start time).
        reports: write ``vihf.json`` and ``signature-report.json`` next to each exchange (default True).
    """

    def __init__(self, target: Target, out: str | Path, *, campaign: str | None = None, reports: bool = True):
        self.target = target
        self.out = Path(out)
        self.campaign_name = campaign
        self.reports = reports
        self._writer: EvidenceWriter | None = None
        self._exchanges: list[dict[str, Any]] = []

    # -- the exchange hook given to every client

    def hook(self, exchange: Exchange) -> None:
        """Write the exchange into the current step's folder and remember it."""
        writer = self._writer
        if writer is None:
            return
        writer(exchange)
        self._exchanges.append(
            {
                "sequence": exchange.sequence,
                "folder": writer.written[-1].name if writer.written else None,
                "transaction": exchange.transaction,
                "attempt": exchange.attempt,
                "outcome": exchange.outcome,
                "http_status": exchange.response_status,
                "message_id": exchange.message_id,
                "dmp_code": exchange.dmp_code,
                "dmp_message": exchange.dmp_message,
                "started_at": _iso(exchange.started_at),
                "duration_ms": round(exchange.duration * 1000, 3),
            }
        )

    # -- campaign

    def _campaign_folder(self, started: dt.datetime) -> Path:
        base = self.campaign_name or started.strftime("%Y%m%dT%H%M%SZ")
        folder = self.out / base
        n = 2
        while folder.exists():
            folder = self.out / f"{base}-{n}"
            n += 1
        folder.mkdir(parents=True)
        return folder

    def run(
        self,
        scenarios: Sequence[Scenario],
        *,
        fail_fast: bool = False,
        progress: Callable[[ScenarioResult], None] | None = None,
    ) -> CampaignResult:
        """Run scenarios in order; write each one's folder and the campaign index. ``progress`` is called with
        each scenario's result as soon as it is written."""
        from dmpclient.scenarios.report import write_campaign_index

        started = _utc_now()
        folder = self._campaign_folder(started)
        campaign = CampaignResult(folder, self.target.name, started_at=started)
        used: set[str] = set()
        for scenario in scenarios:
            name = _safe_name(scenario.name)
            while name in used:
                name += "_"
            used.add(name)
            result = self.run_scenario(scenario, folder / name)
            campaign.scenarios.append(result)
            if progress is not None:
                progress(result)
            if fail_fast and not result.ok:
                break
        campaign.ended_at = _utc_now()
        write_campaign_index(campaign)
        return campaign

    # -- one scenario

    def run_scenario(self, scenario: Scenario, folder: Path) -> ScenarioResult:
        """Run one scenario into ``folder`` (created) and write its summary."""
        from dmpclient.scenarios.report import write_scenario_summary

        folder.mkdir(parents=True, exist_ok=True)
        (folder / "scenario.yaml").write_text(
            _dump_yaml(scenario.model_dump(mode="json", exclude_defaults=True)), encoding="utf-8"
        )
        result = ScenarioResult(scenario, self.target.name, folder, "passed", started_at=_utc_now())
        reason = self.target.skip_reason(scenario)
        if reason is not None:
            result.verdict = "skipped"
            result.skip_reason = reason
            result.ended_at = _utc_now()
            write_scenario_summary(result)
            return result
        try:
            self.target.begin(scenario)
            self._run_steps(scenario, result)
        except Exception as exc:  # a setup or target problem: the scenario could not run
            result.verdict = "error"
            result.error = f"{type(exc).__name__}: {exc}"
        finally:
            self.target.end()
        result.ended_at = _utc_now()
        if result.verdict == "passed":
            verdicts = {s.verdict for s in result.steps}
            result.verdict = "failed" if "failed" in verdicts else "error" if "error" in verdicts else "passed"
        write_scenario_summary(result)
        return result

    def _patient(self, ref: PatientRef | None) -> PatientInfo | None:
        if ref is None:
            return None
        if ref.new is not None:
            return self.target.new_patient(ref.new)
        return resolve_patient(ref)

    def _run_steps(self, scenario: Scenario, result: ScenarioResult) -> None:
        patient = self._patient(scenario.patient)
        base_context = self.target.context(scenario.actor)
        result.actor = _actor_dict(scenario.actor, base_context)
        result.patient = patient.to_dict() if patient is not None else None
        started = self.target.now()
        builtins: dict[str, Any] = {
            "patient": patient.to_dict() if patient is not None else {},
            "actor": result.actor,
            "run": {"started_at": _iso(started), "date": started.date().isoformat()},
        }
        if self.target.is_sandbox:
            from dmpclient.sandbox.seed import SEED_DOCUMENTS, seed_unique_id

            builtins["seed"] = {d.key: seed_unique_id(d.key) for d in SEED_DOCUMENTS}
        # setup (sandbox only)
        for op in scenario.setup:
            args = dict(substitute(op.args, builtins))
            if op.operation in _PATIENT_OPS and "ins" not in args:
                if patient is None:
                    raise ScenarioError(f"setup {op.operation} needs ins: (the scenario has no patient)")
                args["ins"] = patient.ins.matricule
            answer = self.target.setup(op, args)
            result.setup.append({"operation": op.operation, "args": plain(args), "result": plain(answer)})
        if scenario.setup:
            _write_json(result.folder / "setup.json", result.setup)
        saved: dict[str, Any] = {}
        ids = scenario.step_ids()
        for index, step in enumerate(scenario.steps):
            now = self.target.now()
            scope = {**builtins, "now": _iso(now), "today": now.date().isoformat(), **saved}
            step_result = self._run_step(scenario, index, ids[index], step, patient, scope, result.folder)
            result.steps.append(step_result)
            if step.save is not None and step_result.actual.kind == "success":
                saved[step.save] = self._last_value

    _last_value: Any = None

    def _run_step(
        self,
        scenario: Scenario,
        index: int,
        step_id: str,
        step: Step,
        scenario_patient: PatientInfo | None,
        scope: Mapping[str, Any],
        scenario_folder: Path,
    ) -> StepResult:
        folder_name = f"{index + 1:02d}-{_safe_name(step_id)}"
        folder = scenario_folder / folder_name
        folder.mkdir(parents=True, exist_ok=True)
        actor = step.actor or scenario.actor
        spec = ACTIONS[step.action]
        started = _utc_now()
        self._writer = EvidenceWriter(folder)
        self._exchanges = []
        self._last_value = None
        params: Any = step.params
        patient: PatientInfo | None = scenario_patient
        actor_info: dict[str, Any] = {"description": actor.describe()}
        try:
            if step.patient is not None:
                patient = self._patient(step.patient)
            params = substitute(step.params, scope)
            try:
                typed = spec.params.model_validate(params)
            except ValidationError as exc:
                first = exc.errors()[0]
                where = ".".join(str(p) for p in first["loc"])
                raise ScenarioError(
                    str(first["msg"]).removeprefix("Value error, "),
                    field=f"params.{where}",
                    value=first.get("input"),
                ) from None
            context = self.target.context(actor)
            actor_info = _actor_dict(actor, context)
            client = self.target.client(actor, frozenset(step.guards_off), self.hook)
            base_dir = scenario.source_path.parent if scenario.source_path is not None else None
            ctx = StepContext(
                client=client,
                context=context,
                patient=patient,
                params=typed,
                now=self.target.now,
                base_dir=base_dir,
            )
            value = spec.run(ctx)
            self._last_value = value
            actual = ActualOutcome("success", summary=_summary_of(value))
        except Exception as exc:
            actual = classify(exc)
            value = None
        finally:
            self._writer = None
        ended = _utc_now()
        exchanges = list(self._exchanges)
        verdict, checks, diff = self._judge(step.expect, actual, value, scope, exchanges)
        result = StepResult(
            index=index + 1,
            id=step_id,
            action=step.action,
            title=step.title,
            cdt=step.cdt,
            folder=folder_name,
            expected=step.expect,
            actual=actual,
            verdict=verdict,
            checks=checks,
            diff=diff,
            exchanges=exchanges,
            params=params,
            actor=actor_info,
            patient=patient.to_dict() if patient is not None else None,
            started_at=started,
            ended_at=ended,
            duration_ms=(ended - started).total_seconds() * 1000,
            guards_off=step.guards_off,
        )
        if self.reports:
            from dmpclient.scenarios.report import write_exchange_reports

            for exchange in exchanges:
                if exchange.get("folder"):
                    write_exchange_reports(folder / str(exchange["folder"]), self.target)
        _write_json(folder / "step.json", result.to_dict())
        return result

    @staticmethod
    def _judge(
        expect: Expect,
        actual: ActualOutcome,
        value: Any,
        scope: Mapping[str, Any],
        exchanges: Iterable[Mapping[str, Any]],
    ) -> tuple[Verdict, list[AssertionCheck], list[str]]:
        checks: list[AssertionCheck] = []
        diff: list[str] = []
        sent = [str(e["transaction"]) for e in exchanges]
        if expect.transactions is not None:
            ok = list(expect.transactions) == sent
            checks.append(AssertionCheck("transactions", "eq", list(expect.transactions), sent, ok))
        if actual.kind == "error":
            diff = [f"expected: {expect.describe()}", f"actual:   {actual.describe()}"]
            return "error", checks, diff
        if expect.outcome != actual.kind:
            diff = [f"expected: {expect.describe()}", f"actual:   {actual.describe()}"]
            return "failed", checks, diff
        if actual.kind == "success":
            try:
                spec = substitute(expect.result, scope)
            except VariableError as exc:
                return "error", checks, [f"expect.result: {exc}"]
            checks.extend(check_assertions(value, spec))
        else:
            checks.extend(match_refusal(expect, actual))
        failed = [c for c in checks if not c.ok]
        if failed:
            diff = [f"{c.line()}" for c in failed]
            diff.append(f"actual: {actual.describe()}")
            return "failed", checks, diff
        return "passed", checks, diff


def _actor_dict(actor: Actor, context: Any) -> dict[str, Any]:
    prof = context.professional
    structure = context.structure
    return {
        "description": actor.describe(),
        "authentication_mode": context.authentication_mode.value,
        "access_mode": context.access_mode.value,
        "access_reason": context.access_reason,
        "secret_connection": context.secret_connection,
        "card_type": prof.card_type.value if prof.card_type is not None else None,
        "professional_id": prof.id.idnat if hasattr(prof.id, "idnat") else str(prof.id),
        "professional": prof.display_name,
        "structure_id": structure.id.idnat,
        "structure": structure.name,
    }


def run_scenarios(
    scenarios: Sequence[Scenario], target: Target, out: str | Path, *, fail_fast: bool = False
) -> CampaignResult:
    """Run ``scenarios`` on ``target`` and write the evidence under ``out`` (see the module docstring)."""
    return ScenarioRunner(target, out).run(scenarios, fail_fast=fail_fast)

"""Homologation scenarios (floor 5): scripted DMP transactions with expected outcomes, and their evidence.

A scenario — a YAML file, or a Python module exposing ``SCENARIO`` — says who acts, on which patient, and
the ordered steps (one DMP transaction each, through the public :class:`~dmpclient.client.DMPClient`)
with what must happen: success with assertions on the typed result, or a refusal by a client guard (rule
id) or by the DMP (code, channel, French message). The runner plays it against the embedded sandbox
(in-process or over mutual TLS) or a real environment (``--config``) and writes an evidence folder per
step: every HTTP exchange with all its MIME parts (:class:`dmpclient.evidence.EvidenceWriter`), the decoded
and verified VIHF, the XAdES signature report of each TD2.1, timestamps, expected vs actual — plus a
``summary.md`` / ``summary.json`` per scenario and a campaign index.

Scenarios for the CNDA test families ship with the package (``dmpclient scenario list``), tagged with the
Phase-2 test ids of the CNDA test book (:data:`~dmpclient.scenarios.cdt.CDT_TESTS`).

Quick use::

    from dmpclient.scenarios import SandboxTarget, find_scenario, run_scenarios

    with SandboxTarget() as sandbox:
        campaign = run_scenarios([find_scenario("td0.2-test-existence")], sandbox, "evidence/")
    print(campaign.folder, campaign.ok)

Documentation: ``docs/scenarios.md`` (format, shipped scenarios), ``docs/homologation.md`` (the CNDA
process, evidence layout, what the SDK checks, what remains the vendor's job).
"""

from __future__ import annotations

from dmpclient.scenarios.actions import ACTIONS, ActionSpec, PatientInfo
from dmpclient.scenarios.cdt import CDT_TESTS, CDT_VERSION, CdtTest, cdt_test
from dmpclient.scenarios.expressions import AssertionCheck, ResultView, check_assertions, resolve_path, substitute
from dmpclient.scenarios.loader import (
    check_scenario,
    find_scenario,
    load_scenario,
    parse_scenario,
    scenarios_with_cdt,
    seeded_patients,
    shipped_dir,
    shipped_scenarios,
)
from dmpclient.scenarios.model import (
    ACTOR_PRESETS,
    FORMAT,
    OPERATORS,
    SETUP_OPERATIONS,
    Actor,
    BodySpec,
    CodeSpec,
    DocumentSpec,
    Expect,
    NewPatient,
    PatientRef,
    ProfessionalSpec,
    Scenario,
    ScenarioError,
    SetupOp,
    Step,
)
from dmpclient.scenarios.runner import (
    ActualOutcome,
    CampaignResult,
    ScenarioResult,
    ScenarioRunner,
    StepResult,
    run_scenarios,
)
from dmpclient.scenarios.targets import ConfigTarget, SandboxTarget, Target

__all__ = [
    "ACTIONS",
    "ACTOR_PRESETS",
    "CDT_TESTS",
    "CDT_VERSION",
    "FORMAT",
    "OPERATORS",
    "SETUP_OPERATIONS",
    "ActionSpec",
    "Actor",
    "ActualOutcome",
    "AssertionCheck",
    "BodySpec",
    "CampaignResult",
    "CdtTest",
    "CodeSpec",
    "ConfigTarget",
    "DocumentSpec",
    "Expect",
    "NewPatient",
    "PatientInfo",
    "PatientRef",
    "ProfessionalSpec",
    "ResultView",
    "SandboxTarget",
    "Scenario",
    "ScenarioError",
    "ScenarioResult",
    "ScenarioRunner",
    "SetupOp",
    "Step",
    "StepResult",
    "Target",
    "cdt_test",
    "check_assertions",
    "check_scenario",
    "find_scenario",
    "load_scenario",
    "parse_scenario",
    "resolve_path",
    "run_scenarios",
    "scenarios_with_cdt",
    "seeded_patients",
    "shipped_dir",
    "shipped_scenarios",
    "substitute",
]

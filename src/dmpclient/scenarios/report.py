"""Evidence reports: the decoded VIHF and the signature report of each exchange, the scenario summary
(``summary.md`` / ``summary.json``) and the campaign index (``campaign.md`` / ``campaign.json``)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

from dmpclient.scenarios.cdt import CDT_TESTS, CDT_VERSION

if TYPE_CHECKING:
    from dmpclient.scenarios.runner import CampaignResult, ScenarioResult, StepResult
    from dmpclient.scenarios.targets import Target

__all__ = [
    "SIGNATURE_REPORT_FORMAT",
    "VIHF_REPORT_FORMAT",
    "write_campaign_index",
    "write_exchange_reports",
    "write_scenario_summary",
]

VIHF_REPORT_FORMAT: Final = "dmpclient-vihf-report/1"
SIGNATURE_REPORT_FORMAT: Final = "dmpclient-signature-report/1"
_MARK: Final = {"passed": "✅ passed", "failed": "❌ failed", "error": "⚠️ error", "skipped": "⏭️ skipped"}
_VENDOR_JOB: Final = (
    "Screenshots or videos of the software's screens (untruncated), as the CNDA asks for every Phase-2 test — "
    "e.g. the DMP's error messages shown to the user (PRE_ERR), the confirmation dialogs (EX_3.3-1030…1050), "
    "the document states (EX_3.1-1080), the warning on invisible documents (EX_3.2-1025).",
    "The statements on every EX_ and REC_ requirement of the « Phase 2 Déclarations » sheet.",
    "The attestation of the Phase 1 prerequisites (run on DV1 with the software itself).",
)


def _write_json(path: Path, data: Any) -> None:
    path.write_text(json.dumps(data, ensure_ascii=False, indent=2, default=str) + "\n", encoding="utf-8")


# --------------------------------------------------------------------------------------------- exchanges


def write_exchange_reports(folder: Path, target: Target) -> None:
    """Write ``vihf.json`` (every exchange with a VIHF) and ``signature-report.json`` (TD2.1 / TD2.2
    requests) into an exchange folder. Problems are written into the reports, never raised."""
    meta_file = folder / "exchange.json"
    try:
        meta = json.loads(meta_file.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return
    if (folder / "vihf.xml").is_file():
        _write_json(folder / "vihf.json", _vihf_report(folder, meta, target))
    if meta.get("transaction") in ("TD2.1", "TD2.2"):
        _write_json(folder / "signature-report.json", _signature_report(folder, target))


def _vihf_report(folder: Path, meta: dict[str, Any], target: Target) -> dict[str, Any]:
    from dmpclient.security.vihf import parse_vihf, verify_vihf

    data = (folder / "vihf.xml").read_bytes()
    report: dict[str, Any] = {
        "format": VIHF_REPORT_FORMAT,
        "exchange": folder.name,
        "masked_homologation": meta.get("masked_homologation"),
        "trust": target.trust_label,
    }
    try:
        vihf = parse_vihf(data)
        report["attributes"] = vihf.to_dict()
        report["value_rules"] = [f.to_dict() for f in vihf.check()]
        verification = verify_vihf(
            data, trust_anchors=target.trust_anchors, at=vihf.issue_instant, raise_on_failure=False
        )
        report["verification"] = verification.to_dict()
        report["ok"] = verification.ok
        if meta.get("masked_homologation") and not verification.ok:
            report["note"] = (
                "the homologation number was masked in the evidence (EX_GEN-1490), so the digest of the "
                "assertion no longer matches; build the client with mask_homologation=False (scenario run "
                "--no-mask) to keep a verifiable VIHF"
            )
    except Exception as exc:  # the report says what went wrong
        report["ok"] = False
        report["error"] = f"{type(exc).__name__}: {exc}"
    return report


def _signature_report(folder: Path, target: Target) -> dict[str, Any]:
    from dmpclient.inspection import AT_ISSUE_INSTANT, inspect_capture

    out: dict[str, Any] = {"format": SIGNATURE_REPORT_FORMAT, "exchange": folder.name, "trust": target.trust_label}
    try:
        report = inspect_capture(folder, side="request", at=AT_ISSUE_INSTANT, trust_anchors=target.trust_anchors)
    except Exception as exc:
        out["ok"] = False
        out["error"] = f"{type(exc).__name__}: {exc}"
        return out
    full = report.to_dict()
    sections = {s["name"]: s for s in full.get("sections", [])}
    signature = sections.get("signature")
    out["ok"] = signature is not None and signature.get("status") not in ("failed",)
    out["xades"] = full.get("xades")
    out["signature"] = signature
    out["documents"] = sections.get("documents")
    out["metadata"] = sections.get("metadata")
    out["inspection_summary"] = full.get("summary")
    out["inspection_failed"] = full.get("failed")
    return out


# ----------------------------------------------------------------------------------------------- summary


def _md(text: Any) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def _cdt_line(ids: Any) -> str:
    parts = []
    for i in ids:
        test = CDT_TESTS.get(i)
        parts.append(f"`{i}` {test.title}" if test else f"`{i}`")
    return "; ".join(parts) or "—"


def _files(step_folder: Path, exchange: dict[str, Any]) -> str:
    folder = step_folder / str(exchange.get("folder"))
    if not folder.is_dir():
        return ""
    return ", ".join(sorted(p.name for p in folder.iterdir() if p.is_file()))


def _step_detail(result: ScenarioResult, step: StepResult) -> list[str]:
    lines = [f"### {step.index:02d} — {_md(step.title or step.id)}", ""]
    if step.cdt:
        lines.append(f"- CNDA tests: {_cdt_line(step.cdt)}")
    lines.append(f"- Action: `{step.action}` — actor: {_md(step.actor.get('description', ''))}")
    if step.patient:
        lines.append(f"- Patient: {step.patient['family']} {step.patient['given']}, INS `{step.patient['matricule']}`")
    if step.guards_off:
        lines.append(f"- Client guards switched off: {', '.join(step.guards_off)}")
    lines.append(f"- Expected: {_md(step.expected.describe())}")
    lines.append(f"- Actual: {_md(step.actual.describe())}")
    lines.append(f"- Result: {_MARK[step.verdict]}")
    if step.checks:
        lines.append("- Checks:")
        lines.extend(f"  - {'✓' if c.ok else '✗'} `{_md(c.line())}`" for c in step.checks)
    if step.diff:
        lines += ["", "```diff", *(f"- {d}" if d.startswith("expected") else f"+ {d}" for d in step.diff), "```"]
    if step.exchanges:
        lines.append("- Evidence:")
        for e in step.exchanges:
            lines.append(
                f"  - `{step.folder}/{e['folder']}/` — {e['transaction']} HTTP {e['http_status']} "
                f"{e['outcome']}{(' ' + str(e['dmp_code'])) if e.get('dmp_code') else ''}: "
                f"{_files(result.folder / step.folder, e)}"
            )
    else:
        lines.append(f"- Evidence: `{step.folder}/step.json` — no request was sent")
    lines.append("")
    return lines


def write_scenario_summary(result: ScenarioResult) -> None:
    """Write ``summary.json`` and ``summary.md`` into the scenario's folder."""
    _write_json(result.folder / "summary.json", result.to_dict())
    sc = result.scenario
    counts = result.counts()
    lines = [
        f"# {_md(sc.title)}",
        "",
        "| | |",
        "|---|---|",
        f"| Scenario | `{sc.name}`{f' ({sc.source})' if sc.source else ''} |",
        f"| CNDA tests ({CDT_VERSION}) | {_cdt_line(sc.all_cdt)} |",
        f"| Profile | {sc.profile} |",
    ]
    if sc.requirements:
        lines.append(f"| Requirements | {', '.join(sc.requirements)} |")
    lines.append(f"| Environment | {result.environment} |")
    if result.actor:
        a = result.actor
        lines.append(
            f"| Actor | {_md(a['description'])} — {_md(a['professional'])} ({a['professional_id']}), "
            f"{_md(a['structure'])} ({a['structure_id']}) |"
        )
    if result.patient:
        p = result.patient
        lines.append(f"| Patient | {p['family']} {p['given']}, INS `{p['matricule']}` ({p['oid']}) |")
    lines.append(f"| Started / ended (UTC) | {result.to_dict()['started_at']} / {result.to_dict()['ended_at']} |")
    total = len(result.steps)
    lines.append(f"| Result | {_MARK[result.verdict]} ({counts['passed']}/{total} step(s) passed) |")
    lines.append("")
    if sc.description:
        lines += [sc.description.strip(), ""]
    if result.skip_reason:
        lines += [f"Skipped: {result.skip_reason}.", ""]
    if result.error:
        lines += [f"The scenario could not run: `{_md(result.error)}`", ""]
    if result.setup:
        lines += ["## Sandbox setup", ""]
        lines += [f"- `{s['operation']}` {json.dumps(s['args'], ensure_ascii=False)}" for s in result.setup]
        lines.append("")
    if result.steps:
        lines += [
            "## Steps",
            "",
            "| # | Step | CDT | Sent | Expected | Actual | Result |",
            "|---|---|---|---|---|---|---|",
        ]
        for st in result.steps:
            lines.append(
                f"| {st.index:02d} | [{_md(st.id)}]({st.folder}/step.json) | {', '.join(st.cdt) or '—'} | "
                f"{', '.join(st.transactions) or 'nothing'} | {_md(st.expected.describe())} | "
                f"{_md(st.actual.describe())} | {_MARK[st.verdict]} |"
            )
        lines += ["", "## Details", ""]
        for st in result.steps:
            lines += _step_detail(result, st)
    lines += ["## Not in this evidence (the vendor's part)", ""]
    lines += [f"- {t}" for t in _VENDOR_JOB]
    lines.append("")
    (result.folder / "summary.md").write_text("\n".join(lines), encoding="utf-8")


def write_campaign_index(campaign: CampaignResult) -> None:
    """Write ``campaign.json`` and ``campaign.md`` into the campaign folder."""
    _write_json(campaign.folder / "campaign.json", campaign.to_dict())
    counts = campaign.counts()
    data = campaign.to_dict()
    lines = [
        f"# Scenario campaign {campaign.folder.name}",
        "",
        f"Environment: **{campaign.environment}** — started {data['started_at']}, ended {data['ended_at']} (UTC).",
        "",
        f"{counts['passed']} passed, {counts['failed']} failed, {counts['error']} error(s), {counts['skipped']} "
        "skipped.",
        "",
        "| Scenario | CNDA tests | Steps | Result |",
        "|---|---|---|---|",
    ]
    for s in campaign.scenarios:
        c = s.counts()
        extra = f" — {_md(s.skip_reason)}" if s.skip_reason else f" — {_md(s.error)}" if s.error else ""
        lines.append(
            f"| [{s.scenario.name}]({s.folder.name}/summary.md) | {', '.join(s.scenario.all_cdt) or '—'} | "
            f"{c['passed']}/{len(s.steps)} | {_MARK[s.verdict]}{extra} |"
        )
    coverage: dict[str, list[str]] = {}
    for s in campaign.scenarios:
        for cdt in s.scenario.all_cdt:
            coverage.setdefault(cdt, []).append(f"{s.scenario.name} ({s.verdict})")
    if coverage:
        lines += ["", f"## CNDA test coverage ({CDT_VERSION})", "", "| Test | Title | Scenario |", "|---|---|---|"]
        for cdt in sorted(coverage, key=_cdt_order):
            test = CDT_TESTS.get(cdt)
            lines.append(f"| `{cdt}` | {_md(test.title) if test else ''} | {', '.join(coverage[cdt])} |")
    failures = [(s, st) for s in campaign.scenarios for st in s.steps if st.verdict in ("failed", "error")]
    if failures:
        lines += ["", "## Failures", ""]
        for s, st in failures:
            lines += [f"### {s.scenario.name} / {st.folder}", "", "```diff"]
            lines += [f"- {d}" if d.startswith("expected") else f"+ {d}" for d in st.diff]
            lines += ["```", ""]
    lines.append("")
    (campaign.folder / "campaign.md").write_text("\n".join(lines), encoding="utf-8")


def _cdt_order(test_id: str) -> tuple[Any, ...]:
    head, _, tail = test_id.partition("-")
    parts = tuple(int(p) if p.isdigit() else 0 for p in head.replace("a", "").split("."))
    return (*parts, tail)

"""JSON output, in the reference's shape (``items``, ``summary``, ``version``, ``root``) plus ``code``."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from specledger.baseline import BaselineOutcome, is_known, outcome_of
from specledger.report import RenderOptions
from specledger.validate import ItemReport
from specledger.workspace import Workspace


def root_data(workspace: Workspace) -> dict[str, str]:
    return {"path": str(workspace.root), "source": "nearest"}


def item_data(report: ItemReport, strict: bool, baselined: bool = False) -> dict[str, Any]:
    """One item; with a baseline, each issue says whether the baseline holds it."""
    issues = [f.to_data() for f in report.findings]
    if baselined:
        for index, issue in enumerate(issues):
            issue["baselined"] = is_known(report, index)
    return {
        "id": report.id,
        "type": report.type,
        "valid": report.valid(strict),
        "issues": issues,
    }


def baseline_data(outcome: BaselineOutcome) -> dict[str, Any]:
    return {
        "path": outcome.path,
        "known": outcome.known,
        "new": outcome.new,
        "gone": [fp.to_data(count) for fp, count in outcome.gone],
    }


def summary_data(reports: Sequence[ItemReport], strict: bool) -> dict[str, Any]:
    def counts(items: Sequence[ItemReport]) -> dict[str, int]:
        passed = sum(1 for r in items if r.valid(strict))
        return {"items": len(items), "passed": passed, "failed": len(items) - passed}

    by_type = {t: counts([r for r in reports if r.type == t]) for t in ("change", "spec")
               if any(r.type == t for r in reports)}
    return {"totals": counts(reports), "byType": by_type}


def render(reports: Sequence[ItemReport], workspace: Workspace, opts: RenderOptions) -> str:
    outcome = outcome_of(opts)
    items = [item_data(r, opts.strict, outcome is not None) for r in reports]
    summary = summary_data(reports, opts.strict)
    if outcome is not None:
        summary["baseline"] = baseline_data(outcome)
    payload: dict[str, Any]
    if opts.findings_only:
        found = [i for i in items if i["issues"]]
        payload = {
            "report": {"kind": "validation-findings", "version": "1.0", "scope": opts.scope,
                       "returnedItems": len(found), "totalItems": len(items)},
            "itemFindings": found,
            "summary": summary,
            "root": root_data(workspace),
        }
    else:
        payload = {"items": items, "summary": summary, "version": "1.0",
                   "root": root_data(workspace)}
    return json.dumps(payload, indent=2, ensure_ascii=False)

"""JSON output, in the reference's shape (``items``, ``summary``, ``version``, ``root``) plus ``code``."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from specledger.report import RenderOptions
from specledger.validate import ItemReport
from specledger.workspace import Workspace


def root_data(workspace: Workspace) -> dict[str, str]:
    return {"path": str(workspace.root), "source": "nearest"}


def item_data(report: ItemReport, strict: bool) -> dict[str, Any]:
    return {
        "id": report.id,
        "type": report.type,
        "valid": report.valid(strict),
        "issues": [f.to_data() for f in report.findings],
    }


def summary_data(reports: Sequence[ItemReport], strict: bool) -> dict[str, Any]:
    def counts(items: Sequence[ItemReport]) -> dict[str, int]:
        passed = sum(1 for r in items if r.valid(strict))
        return {"items": len(items), "passed": passed, "failed": len(items) - passed}

    by_type = {t: counts([r for r in reports if r.type == t]) for t in ("change", "spec")
               if any(r.type == t for r in reports)}
    return {"totals": counts(reports), "byType": by_type}


def render(reports: Sequence[ItemReport], workspace: Workspace, opts: RenderOptions) -> str:
    items = [item_data(r, opts.strict) for r in reports]
    payload: dict[str, Any]
    if opts.findings_only:
        found = [i for i in items if i["issues"]]
        payload = {
            "report": {"kind": "validation-findings", "version": "1.0", "scope": opts.scope,
                       "returnedItems": len(found), "totalItems": len(items)},
            "itemFindings": found,
            "summary": summary_data(reports, opts.strict),
            "root": root_data(workspace),
        }
    else:
        payload = {"items": items, "summary": summary_data(reports, opts.strict), "version": "1.0",
                   "root": root_data(workspace)}
    return json.dumps(payload, indent=2, ensure_ascii=False)

"""JSON output, in the reference's shape (``items``, ``summary``, ``version``, ``root``) plus ``code``."""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from specledger.report import RenderOptions, is_known
from specledger.validate import ItemReport
from specledger.workspace import Workspace

if TYPE_CHECKING:
    from specledger.baseline import BaselineOutcome


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
    outcome = opts.baseline
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
    return dumps(payload, "itemFindings" if opts.findings_only else "items")


_PLAIN_ITEM = '    {\n      "id": %s,\n      "type": %s,\n      "valid": %s,\n      "issues": []\n    }'


def dumps(payload: dict[str, Any], list_key: str) -> str:
    """``json.dumps(payload, indent=2, ensure_ascii=False)``, byte for byte, written faster.

    The standard encoder writes indented JSON in pure Python; on a run of thousands of items that
    was a tenth of a warm run. Items are written from templates with the same string encoder
    (their findings are flat objects of strings and numbers); any other shape goes through
    ``json.dumps``, indented one level more; the
    rest of the payload is the standard encoder's, with the list spliced in where a one-off marker
    stood. ``tests/core/test_json_output.py`` compares the two.
    """
    items = payload.get(list_key)
    if not isinstance(items, list) or not items:
        return json.dumps(payload, indent=2, ensure_ascii=False)
    marker = f"specledger-items-{os.urandom(8).hex()}"
    skeleton = json.dumps({**payload, list_key: marker}, indent=2, ensure_ascii=False)
    if skeleton.count(marker) != 1:
        return json.dumps(payload, indent=2, ensure_ascii=False)
    encode = json.encoder.encode_basestring  # what json.dumps uses with ensure_ascii=False
    rendered = []
    for item in items:
        text = None
        if (type(item) is dict and list(item) == _PLAIN_KEYS and type(item["id"]) is str
                and type(item["type"]) is str and type(item["valid"]) is bool and type(item["issues"]) is list):
            head = (encode(item["id"]), encode(item["type"]), "true" if item["valid"] else "false")
            if not item["issues"]:
                text = _PLAIN_ITEM % head
            else:
                issues = [_flat_object(issue, "        ") for issue in item["issues"]]
                written = [issue for issue in issues if issue is not None]
                if len(written) == len(issues):
                    text = _ITEM_HEAD % head + ",\n".join(written) + _ITEM_TAIL
        if text is None:
            text = "    " + json.dumps(item, indent=2, ensure_ascii=False).replace("\n", "\n    ")
        rendered.append(text)
    return skeleton.replace(f'"{marker}"', "[\n" + ",\n".join(rendered) + "\n  ]")


_PLAIN_KEYS = ["id", "type", "valid", "issues"]
_ITEM_HEAD = '    {\n      "id": %s,\n      "type": %s,\n      "valid": %s,\n      "issues": [\n'
_ITEM_TAIL = "\n      ]\n    }"


def _flat_object(value: Any, pad: str) -> str | None:
    """A dict of strings, integers, booleans and nulls as ``json.dumps(indent=2)`` writes it at
    ``pad``; ``None`` for anything else (the caller then uses ``json.dumps``)."""
    if type(value) is not dict:
        return None
    if not value:
        return pad + "{}"
    encode = json.encoder.encode_basestring
    lines = []
    for key, member in value.items():
        kind = type(member)
        if type(key) is not str:
            return None
        if kind is str:
            text = encode(member)
        elif kind is bool:
            text = "true" if member else "false"
        elif kind is int:
            text = int.__repr__(member)
        elif member is None:
            text = "null"
        else:
            return None
        lines.append(f"{pad}  {encode(key)}: {text}")
    return pad + "{\n" + ",\n".join(lines) + "\n" + pad + "}"

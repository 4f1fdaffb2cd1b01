"""Human output: ``path:line: LEVEL message [code]`` grouped by item, then a summary line."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from specledger.escape import printable
from specledger.findings import Finding, Level
from specledger.report import RenderOptions, is_known
from specledger.validate import ItemReport
from specledger.workspace import Workspace

if TYPE_CHECKING:
    from specledger.baseline import BaselineOutcome

COLORS = {Level.ERROR: "\x1b[31m", Level.WARNING: "\x1b[33m", Level.INFO: "\x1b[36m"}
GREEN, BOLD, RESET = "\x1b[32m", "\x1b[1m", "\x1b[0m"


def _paint(text: str, color: str, on: bool) -> str:
    return f"{color}{text}{RESET}" if on else text


def new_findings(report: ItemReport) -> list[Finding]:
    """The report's findings that no baseline covers (all of them when the run has no baseline)."""
    return [f for i, f in enumerate(report.findings) if not is_known(report, i)]


def render(reports: Sequence[ItemReport], workspace: Workspace, opts: RenderOptions) -> str:
    lines: list[str] = []
    for report in reports:
        valid = report.valid(opts.strict)
        shown = new_findings(report)  # known findings are counted in the summary, not listed
        if opts.findings_only and not shown:
            continue
        mark = _paint("ok  ", GREEN, opts.color) if valid else _paint("FAIL", COLORS[Level.ERROR], opts.color)
        lines.append(f"{mark} {report.type} {_paint(printable(report.id), BOLD, opts.color)}")
        for f in shown:
            where = printable(f"{f.path}:{f.line}" if f.line else f.path)
            level = _paint(f.level.value, COLORS[f.level], opts.color)
            lines.append(f"  {where}: {level} {printable(f.message)} [{f.code}]")
    lines.append(summary_line(reports, opts))
    lines.extend(baseline_lines(opts.baseline))
    return "\n".join(lines)


def summary_line(reports: Sequence[ItemReport], opts: RenderOptions) -> str:
    passed = sum(1 for r in reports if r.valid(opts.strict))
    failed = len(reports) - passed
    counts = {lv: sum(1 for r in reports for f in new_findings(r) if f.level is lv) for lv in Level}
    summary = (f"{len(reports)} item(s): {passed} valid, {failed} invalid; "
               f"{counts[Level.ERROR]} error(s), {counts[Level.WARNING]} warning(s), {counts[Level.INFO]} note(s)")
    if opts.strict:
        summary += " (strict: warnings fail)"
    return summary


def baseline_lines(outcome: BaselineOutcome | None) -> list[str]:
    """What the baseline accepted and what is gone from it (nothing when the run has no baseline)."""
    if outcome is None:
        return []
    line = (f"baseline {printable(outcome.path)}: {outcome.known} known finding(s) remain (not listed), "
            f"{outcome.new} new")
    if not outcome.gone:
        return [line]
    out = [f"{line}; {outcome.gone_count} no longer found, tighten it with `spec baseline --prune`:"]
    for fp, count in outcome.gone:
        times = f" (x{count})" if count > 1 else ""
        out.append(f"  gone: {printable(fp.describe())}{times}")
    return out

"""Human output: ``path:line: LEVEL message [code]`` grouped by item, then a summary line."""

from __future__ import annotations

from collections.abc import Sequence

from specledger.escape import printable
from specledger.findings import Level
from specledger.report import RenderOptions
from specledger.validate import ItemReport
from specledger.workspace import Workspace

COLORS = {Level.ERROR: "\x1b[31m", Level.WARNING: "\x1b[33m", Level.INFO: "\x1b[36m"}
GREEN, BOLD, RESET = "\x1b[32m", "\x1b[1m", "\x1b[0m"


def _paint(text: str, color: str, on: bool) -> str:
    return f"{color}{text}{RESET}" if on else text


def render(reports: Sequence[ItemReport], workspace: Workspace, opts: RenderOptions) -> str:
    lines: list[str] = []
    for report in reports:
        valid = report.valid(opts.strict)
        if opts.findings_only and not report.findings:
            continue
        mark = _paint("ok  ", GREEN, opts.color) if valid else _paint("FAIL", COLORS[Level.ERROR], opts.color)
        lines.append(f"{mark} {report.type} {_paint(printable(report.id), BOLD, opts.color)}")
        for f in report.findings:
            where = printable(f"{f.path}:{f.line}" if f.line else f.path)
            level = _paint(f.level.value, COLORS[f.level], opts.color)
            lines.append(f"  {where}: {level} {printable(f.message)} [{f.code}]")
    lines.append(summary_line(reports, opts))
    return "\n".join(lines)


def summary_line(reports: Sequence[ItemReport], opts: RenderOptions) -> str:
    passed = sum(1 for r in reports if r.valid(opts.strict))
    failed = len(reports) - passed
    counts = {lv: sum(1 for r in reports for f in r.findings if f.level is lv) for lv in Level}
    summary = (f"{len(reports)} item(s): {passed} valid, {failed} invalid; "
               f"{counts[Level.ERROR]} error(s), {counts[Level.WARNING]} warning(s), {counts[Level.INFO]} note(s)")
    if opts.strict:
        summary += " (strict: warnings fail)"
    return summary

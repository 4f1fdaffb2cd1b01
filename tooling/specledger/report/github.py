"""GitHub Actions workflow commands: one annotation per finding, then a plain summary."""

from __future__ import annotations

from collections.abc import Sequence

from specledger.escape import printable_lines
from specledger.findings import Level
from specledger.report import RenderOptions, is_known, text
from specledger.validate import ItemReport
from specledger.workspace import Workspace

COMMANDS = {Level.ERROR: "error", Level.WARNING: "warning", Level.INFO: "notice"}


def escape_data(value: str) -> str:
    """``value`` made safe as a workflow command's message: one log line, no terminal controls.

    Control, separator and bidi-control characters first become visible escapes
    (``printable_lines``); the command's own escapes then carry ``%`` and the line breaks that
    remain (LF, CRLF) as ``%25``, ``%0D`` and ``%0A``, which the runner turns back into a line
    break inside the annotation after it has read the command's line, so none can start another.
    """
    return printable_lines(value).replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(value: str) -> str:
    """``value`` made safe as a property (``file=``, ``title=``): as ``escape_data``, and ``:`` and ``,``."""
    return escape_data(value).replace(":", "%3A").replace(",", "%2C")


def render(reports: Sequence[ItemReport], workspace: Workspace, opts: RenderOptions) -> str:
    lines = []
    for report in reports:
        for index, f in enumerate(report.findings):
            if is_known(report, index):
                continue  # the baseline holds it: no annotation, only the count below
            props = [f"file={escape_property(f.path)}"]
            if f.line:
                props.append(f"line={f.line}")
            props.append(f"title={escape_property(f'{f.code} ({report.type} {report.id})')}")
            lines.append(f"::{COMMANDS[f.level]} {','.join(props)}::{escape_data(f.message)}")
    lines.append(text.summary_line(reports, opts))
    lines.extend(text.baseline_lines(opts.baseline))
    return "\n".join(lines)

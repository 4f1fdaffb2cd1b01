"""``spec baseline [--out FILE] [--prune]``: record today's findings so CI fails only on new ones."""

from __future__ import annotations

from pathlib import Path

import click

from specledger.cli.common import handles_errors, open_workspace
from specledger.errors import SpecledgerError
from specledger.escape import printable
from specledger.workspace import Workspace


def baseline_target(workspace: Workspace, out: Path | None) -> tuple[Path, str]:
    """The baseline file (``--out`` relative to the current folder, else the default at the root)."""
    from specledger.baseline import DEFAULT_NAME

    path = Path.cwd() / out if out is not None else workspace.root / DEFAULT_NAME
    return path, workspace.rel(path)


@click.command("baseline")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Where to write the baseline (default: .spec-baseline.json at the workspace root).")
@click.option("--prune", is_flag=True,
              help="Only drop what is no longer found from the existing baseline; never add new findings.")
@handles_errors
def baseline(out: Path | None, prune: bool) -> None:
    """Record the current findings of every change and spec as known.

    With a baseline at the default place (or `spec validate --baseline FILE`), `spec validate`
    fails only on findings the baseline does not hold, says how many known ones remain, and lists
    those that are gone. A finding is identified by its item, file, code and the requirement or
    section it is about, never by its line, so edits elsewhere do not make it new.

    Exit status: 0 written, 2 usage error or unreadable files.
    """
    from specledger import baseline as core
    from specledger.fsio import replace_atomically
    from specledger.validate import Validator

    workspace = open_workspace()
    path, shown = baseline_target(workspace, out)
    old = core.load(path, shown) if prune else None  # a missing or damaged file stops here (exit 2)
    validator = Validator(workspace)
    reports = validator.bulk(changes=True, specs=True)
    broken = next((f for r in reports for f in r.findings if f.environment), None)
    if broken is not None:
        raise SpecledgerError(f"cannot record a baseline while a file cannot be read: {broken.message}",
                              path=broken.path, code="baseline_incomplete")
    current = core.record(reports, core.AnchorIndex(workspace, validator))
    result = core.prune(old, current) if old is not None else current
    target = workspace.confine(path, what="the baseline file", allow_links=False)
    data = core.dump(result)
    try:
        replace_atomically(target, data)
    except OSError as err:
        raise SpecledgerError(f"cannot write the baseline: {err.strerror or err}", path=shown,
                              code="baseline_unwritable") from err
    if old is not None:
        dropped = old.total - result.total
        click.echo(f"pruned {printable(shown)}: {dropped} finding(s) no longer found were dropped; "
                   f"{result.total} remain")
    else:
        click.echo(f"recorded {result.total} finding(s) of {len(reports)} item(s) in {printable(shown)}")

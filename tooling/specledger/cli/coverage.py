"""``spec coverage``: which scenarios of the specs have tests, and whether those tests pass."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import click

from specledger.cli.common import EXIT_FINDINGS, EXIT_OK, handles_errors, open_workspace
from specledger.errors import SpecledgerError
from specledger.escape import printable
from specledger.report.jsonout import root_data
from specledger.traceability import (
    LINKS_FILE,
    CoverageReport,
    build_index,
    coverage,
    links_data,
    load_links,
    load_run,
)

DEFAULT_RUN = ".spec-coverage.json"
MARKS = {"passing": "ok  ", "failing": "FAIL", "skipped": "skip", "untested": "none"}


def _report_data(report: CoverageReport) -> dict[str, Any]:
    return {
        "percent": round(report.percent, 2),
        "scenarios": [
            {"capability": s.ref.capability, "requirement": s.ref.requirement, "scenario": s.ref.scenario,
             "line": s.ref.line, "status": s.status, "suspect": s.suspect, "covered": s.covered,
             "tests": [{"nodeid": link.test, "outcome": link.outcome, "link": link.state} for link in s.links]}
            for s in report.scenarios
        ],
        "stale": [{"nodeid": test, "scenario": key} for test, key in report.stale],
    }


def _render_text(report: CoverageReport, fail_under: float | None) -> None:
    capability = requirement = None
    for entry in report.scenarios:
        ref = entry.ref
        if ref.capability != capability:
            capability, requirement = ref.capability, None
            click.echo(printable(f"{ref.capability}"))
        if ref.requirement != requirement:
            requirement = ref.requirement
            click.echo(printable(f"  {ref.requirement}"))
        suspect = " (suspect: its text changed since the link was confirmed)" if entry.suspect else ""
        tests = f"  [{len(entry.links)} test(s)]" if entry.links else ""
        click.echo(printable(f"    {MARKS[entry.status]} {ref.scenario}{tests}{suspect}"))
    for test, key in report.stale:
        click.echo(printable(f"stale: {test} names {key}, which the specs no longer have"), err=True)
    covered = sum(s.covered for s in report.scenarios)
    line = f"{covered} of {len(report.scenarios)} scenario(s) covered by passing tests: {report.percent:.1f}%"
    if fail_under is not None:
        line += f" (required: {fail_under:g}%)"
    click.echo(line)


@click.command("coverage")
@click.option("--from", "source", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help=f"The run record written by pytest --spec-coverage FILE (default: {DEFAULT_RUN} at the root).")
@click.option("--fail-under", type=click.FloatRange(0, 100), default=None, metavar="N",
              help="Exit 1 when fewer than N percent of the scenarios are covered.")
@click.option("--confirm", is_flag=True,
              help=f"Record the links of the tests in the run record at today's scenario text in {LINKS_FILE} "
              "(clears their suspect links; links of tests that did not run are kept).")
@click.option("--json", "as_json", is_flag=True, help="JSON on stdout.")
@handles_errors
def coverage_command(source: Path | None, fail_under: float | None, confirm: bool, as_json: bool) -> None:
    """Show, per capability and requirement, which scenarios have passing, failing, skipped or no tests.

    Tests name their scenario with @pytest.mark.scenario("capability", "Scenario title"); run
    them with --spec-coverage FILE, then read FILE here. A scenario counts as covered when a
    linked test passed and no link to it is suspect: a link is suspect when the scenario's text
    changed after the link was confirmed (spec coverage --confirm, kept in .spec-links.json).

    \b
    Examples:
      pytest --spec-coverage .spec-coverage.json
      spec coverage --fail-under 100
      spec coverage --confirm          after reviewing that the tests still verify the new text
    """
    workspace = open_workspace()
    run_path = source if source is not None else workspace.root / DEFAULT_RUN
    links_path = workspace.root / LINKS_FILE
    run = load_run(run_path)
    previous = load_links(links_path)
    report = coverage(build_index(workspace), run, previous)
    if confirm:
        from specledger.fsio import replace_atomically

        target = workspace.confine(links_path, what=LINKS_FILE, allow_links=False)
        confirmed = links_data(report, previous, {nodeid for nodeid, _, _ in run})
        data = json.dumps(confirmed, indent=1, sort_keys=True) + "\n"
        try:
            replace_atomically(target, data.encode("utf-8"))
        except OSError as err:
            raise SpecledgerError(f"cannot write it: {err.strerror or err}", path=LINKS_FILE,
                                  code="coverage_write_failed") from err
        click.echo(f"confirmed {len(confirmed['links'])} link(s) in {LINKS_FILE}", err=True)
        report = coverage(build_index(workspace), load_run(run_path), load_links(links_path))
    if as_json:
        click.echo(json.dumps({"coverage": _report_data(report), "root": root_data(workspace)}, indent=2))
    else:
        _render_text(report, fail_under)
    below = fail_under is not None and report.percent + 1e-9 < fail_under
    sys.exit(EXIT_FINDINGS if below else EXIT_OK)

"""``spec validate``: check changes and specs against the schemas and rules."""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

import click

from specledger.cli.common import (
    EXIT_FINDINGS,
    EXIT_OK,
    EXIT_USAGE,
    complete_items,
    handles_errors,
    open_workspace,
    progress_on_stderr,
    use_color,
)
from specledger.errors import SpecledgerError
from specledger.items import resolve
from specledger.report import RenderOptions, reporters
from specledger.validate import ItemReport, Validator
from specledger.workspace import BASELINE_NAME, Workspace

if TYPE_CHECKING:
    from specledger.baseline import BaselineOutcome


@click.command("validate")
@click.argument("item", required=False, shell_complete=complete_items)
@click.option("--all", "all_items", is_flag=True, help="Validate every change and every spec.")
@click.option("--changes", is_flag=True, help="Validate every open change.")
@click.option("--specs", is_flag=True, help="Validate every main spec.")
@click.option("--archived", is_flag=True, help="Check archived changes for unfinished tasks.")
@click.option("--type", "item_type", type=click.Choice(["change", "spec"]), help="Say what ITEM is when ambiguous.")
@click.option("--strict", is_flag=True, help="Warnings fail too.")
@click.option("--json", "as_json", is_flag=True, help="JSON on stdout (same as --format json).")
@click.option("--format", "fmt", type=click.Choice(["text", "json", "github"]), default=None,
              help="Output format: text (default), json, or github (workflow annotations).")
@click.option("--report", "report_kind", type=click.Choice(["full", "findings"]), default="full",
              help="findings: only the items that have findings (bulk runs).")
@click.option("--concurrency", type=int, default=None, hidden=True, help="Accepted for compatibility; ignored.")
@click.option("--no-interactive", is_flag=True, hidden=True, help="Accepted for compatibility; never interactive.")
@click.option("--baseline", "baseline_file", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Fail only on findings not in this baseline (default: .spec-baseline.json at the root, if any).")
@click.option("--no-baseline", is_flag=True, help="Ignore any baseline: every finding counts.")
@click.option("--no-cache", is_flag=True,
              help="Validate every item afresh, without reading or updating the cache of earlier bulk runs "
              "(.specledger_cache/; SPECLEDGER_NO_CACHE=1 does the same).")
@click.option("--changed-since", "changed_since", metavar="REF", default=None,
              help="Only the changes and specs whose files differ from the git REF (and changes whose "
              "deltas target a changed spec); implies --all unless --changes or --specs is given.")
@click.pass_context
@handles_errors
def validate(ctx: click.Context, item: str | None, all_items: bool, changes: bool, specs: bool, archived: bool,
             item_type: str | None, strict: bool, as_json: bool, fmt: str | None, report_kind: str,
             concurrency: int | None, no_interactive: bool, baseline_file: Path | None, no_baseline: bool,
             no_cache: bool, changed_since: str | None) -> None:
    """Validate ITEM (a change or a spec), or many with --all, --changes or --specs.

    \b
    Examples:
      spec validate add-login            one change (proposal, tasks, design, deltas)
      spec validate --all --strict       everything; warnings fail too (CI)
      spec validate --changes --format github
      spec validate --all --no-baseline  every finding, known or not
      spec validate --changed-since origin/main --strict   only what a branch touches

    With a baseline (see `spec baseline`), only findings it does not hold fail the run; known
    ones are counted, and those no longer found are listed so the baseline can be pruned.

    Bulk runs keep a cache of results in .specledger_cache/ (ignored by git), keyed by the
    contents of every file an item's verdict depends on, so an unchanged item is not checked
    again; the findings are the same with or without it (--no-cache).

    Exit status: 0 valid, 1 findings, 2 usage or unreadable files.
    """
    if as_json and fmt not in (None, "json"):
        raise SpecledgerError(f"--json and --format {fmt} ask for two different outputs; give one of them",
                              code="invalid_output_format")
    fmt = fmt or ("json" if as_json else "text")
    as_json = fmt == "json"
    if changed_since is not None and (item or archived):
        raise SpecledgerError("--changed-since selects items itself; give no ITEM and no --archived",
                              code="invalid_item")
    if changed_since is not None and not (changes or specs):
        all_items = True
    bulk = all_items or changes or specs or archived
    if item and bulk:
        raise SpecledgerError("give either an ITEM or one of --all/--changes/--specs/--archived, not both",
                              code="invalid_item")
    if not item and not bulk:
        raise SpecledgerError("nothing to validate", code="invalid_item",
                              hint="give a change or spec name, or --all, --changes or --specs")
    if report_kind == "findings" and not bulk:
        raise SpecledgerError("--report findings applies to bulk runs (--all, --changes, --specs)",
                              code="invalid_validation_report_request")
    if baseline_file is not None and no_baseline:
        raise SpecledgerError("--baseline and --no-baseline contradict each other; give one of them",
                              code="invalid_baseline_request")
    if baseline_file is not None and archived:
        raise SpecledgerError("--baseline does not apply to --archived (archived changes are never recorded)",
                              code="invalid_baseline_request")
    workspace = open_workspace()
    validator = Validator(workspace)
    started = time.perf_counter()
    scope = "item"
    if item:
        kind = resolve(workspace, item, item_type)  # type: ignore[arg-type]
        reports = [validator.change(item) if kind == "change" else validator.spec(item)]
    elif archived:
        scope = "archived"
        reports = _archived(validator)
    else:
        want_changes = all_items or changes or item_type == "change"
        want_specs = all_items or specs or item_type == "spec"
        if item_type and not all_items:
            want_changes, want_specs = item_type == "change" or changes, item_type == "spec" or specs
        scope = "all" if (want_changes and want_specs) else ("changes" if want_changes else "specs")
        only = None
        if changed_since is not None:
            from specledger.changed import changed_items

            only = changed_items(workspace, changed_since)
        cache = None
        if not no_cache:
            from specledger.cache import ValidationCache, disabled_by_environment

            cache = None if disabled_by_environment() else ValidationCache.open(workspace)
        with progress_on_stderr(enabled=not as_json, label="validating") as tick:
            reports = validator.bulk(changes=want_changes, specs=want_specs, only=only, progress=tick, cache=cache)
    outcome = None
    if not no_baseline and not archived:
        reports, outcome = _with_baseline(workspace, validator, reports, baseline_file,
                                          (kind, item) if item else None, scope)
    opts = RenderOptions(strict=strict, color=use_color(ctx) and fmt == "text",
                         findings_only=report_kind == "findings", scope=scope, baseline=outcome)
    output = reporters()[fmt](reports, workspace, opts)
    click.echo(output)
    if not as_json:
        click.echo(f"validated in {time.perf_counter() - started:.2f}s", err=True)
    if any(r.environment_error for r in reports):
        sys.exit(EXIT_USAGE)
    sys.exit(EXIT_OK if all(r.valid(strict) for r in reports) else EXIT_FINDINGS)


def _with_baseline(workspace: Workspace, validator: Validator, reports: list[ItemReport], given: Path | None,
                   item: tuple[str, str] | None, scope: str) -> tuple[list[ItemReport], BaselineOutcome | None]:
    """Mark the reports' findings known or new against the baseline, when there is one."""
    if given is not None:
        path = Path.cwd() / given
    else:
        path = workspace.root / BASELINE_NAME
        if not path.exists() and not path.is_symlink():
            return reports, None
    from specledger import baseline as core  # only runs that have a baseline pay for its import

    shown = workspace.rel(path)
    loaded = core.load(path, shown)
    covers = core.item_scope(*item) if item is not None else core.run_scope(scope)
    marked, outcome = core.apply(reports, loaded, core.AnchorIndex(workspace, validator), covers, shown)
    return list(marked), outcome


def _archived(validator: Validator) -> list[ItemReport]:
    from specledger.findings import error
    from specledger.parse.tasks import task_progress

    ws = validator.ws
    reports = []
    if ws.archive_dir.is_dir():
        for entry in sorted(p for p in ws.archive_dir.iterdir() if p.is_dir() and not p.name.startswith(".")):
            report = ItemReport(entry.name, "change", entry)
            done, total = task_progress(entry)
            if done < total:
                report.findings.append(error("archived-tasks-incomplete",
                                             f"{total - done} task(s) still open ({done}/{total} done)",
                                             ws.rel(entry / "tasks.md")))
            reports.append(report)
    return reports

"""``spec archive CHANGE``: merge a finished change's deltas into the specs and file it away.

The command only parses flags, asks for confirmation where a person must decide, and renders
the result; the work is ``specledger.archive.plan.build_plan`` (every new byte, validated in
memory) and ``specledger.archive.apply.apply_plan`` (crash-safe writes).
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import click

from specledger.archive.apply import ApplyResult, apply_plan, preview
from specledger.archive.journal import ArchiveLock
from specledger.archive.plan import ArchivePlan, build_plan
from specledger.archive.targets import archive_path_problems, destination, raise_first, resolve_change_dir
from specledger.cli.common import EXIT_FINDINGS, EXIT_OK, complete_changes, handles_errors, open_workspace, use_color
from specledger.errors import RefusedError, SpecledgerError
from specledger.escape import printable, printable_lines
from specledger.findings import Level
from specledger.traceability import suspects_of_plan
from specledger.workspace import Workspace

if TYPE_CHECKING:
    from specledger.validate import Validator


@dataclass(frozen=True)
class ArchiveOptions:
    """The command's flags, as the core-facing code reads them."""

    change: str | None
    yes: bool
    dry_run: bool
    skip_specs: bool
    no_validate: bool
    as_json: bool
    no_generate: bool = False


@dataclass
class Gates:
    """What a dry run found the real run would stop at: refusals, or questions it would ask."""

    refusals: list[RefusedError] = field(default_factory=list)
    questions: list[str] = field(default_factory=list)


def _interactive() -> bool:
    """A person can answer a prompt only when stdin is a terminal; never prompt otherwise."""
    return sys.stdin.isatty()


def _say(opts: ArchiveOptions, text: str) -> None:
    """Progress and warnings: stderr, so that stdout stays the product (and valid JSON)."""
    click.echo(printable(text), err=True)


def _confirm(
    opts: ArchiveOptions, question: str, *, refusal: RefusedError, default: bool, gates: Gates
) -> None:
    """Go on when ``--yes`` was given or a person says so; otherwise refuse with ``refusal``.

    A dry run never asks and never stops here: it records, in ``gates``, what the real run
    would do at this point, so that its verdict and exit code are the real run's.
    """
    if opts.yes:
        return
    if opts.dry_run:
        if opts.as_json or not _interactive():
            gates.refusals.append(refusal)
        else:
            gates.questions.append(question)
        return
    if opts.as_json or not _interactive():
        raise refusal
    if not click.confirm(question, default=default, err=True):
        raise RefusedError("archive cancelled; nothing was changed", code="archive_cancelled")


def _validate(validator: Validator, opts: ArchiveOptions, name: str) -> None:
    """Full validation; refuses on ERRORs. Planning then reuses what the validator read."""
    report = validator.change(name)
    shown = [f for f in report.findings if f.level in (Level.ERROR, Level.WARNING)]
    if not opts.as_json:
        for finding in shown:
            where = finding.path or ""
            if getattr(finding, "line", None):
                where = f"{where}:{finding.line}"
            _say(opts, f"  [{finding.level}] {where}: {finding.message}")
    if report.environment_error:
        unreadable = next(f for f in report.findings if f.environment)
        raise SpecledgerError(
            f"cannot archive change '{name}': {unreadable.message}",
            path=unreadable.path,
            code="archive_unreadable",
        )
    if not report.valid(False):
        errors = sum(1 for f in report.findings if f.level is Level.ERROR)
        raise RefusedError(
            f"change '{name}' has {errors} validation error(s); fix them before archiving",
            code="archive_validation_failed",
            hint=f"run 'spec validate {name}' for details "
            "(--no-validate skips this check; not recommended)",
        )


def _check_tasks(opts: ArchiveOptions, name: str, change_dir: Any, gates: Gates) -> None:
    from specledger.parse.tasks import task_progress

    done, total = task_progress(change_dir)
    if not opts.as_json:
        status = (
            "no tasks" if total == 0 else ("complete" if done == total else f"{done}/{total} tasks")
        )
        _say(opts, f"Task status: {status}")
    left = total - done
    if left <= 0:
        return
    if opts.yes:
        if not opts.as_json:
            _say(opts, f"Warning: {left} incomplete task(s); archiving anyway because of --yes.")
        return
    _confirm(
        opts,
        f"{left} incomplete task(s) in change '{name}'. Archive anyway?",
        refusal=RefusedError(
            f"{left} incomplete task(s) in change '{name}'",
            code="archive_tasks_incomplete",
            hint="finish the tasks, or pass --yes to archive anyway",
        ),
        default=False,
        gates=gates,
    )


def _warn(message: str) -> None:
    click.echo(f"Warning: {printable(message)}", err=True)


def _render_suspects(suspects: list[tuple[str, str]]) -> None:
    if suspects:
        click.echo(f"{len(suspects)} test link(s) become suspect (the scenario text they were confirmed "
                   "against changes); review them, then run 'spec coverage --confirm':", err=True)
        for test, scenario in suspects:
            click.echo(printable(f"  {test} -> {scenario}"), err=True)


def _render_text(workspace: Workspace, plan: ArchivePlan, result: ApplyResult, color: bool) -> None:
    for line in result.recovered:
        click.echo(f"spec: {printable(line)}", err=True)
    _render_plan_summary(workspace, plan, color)
    for warning in plan.warnings:
        click.echo(f"Warning: {printable(warning)}", err=True)
    for output in result.generated:
        click.echo(printable(f"Regenerated {output}"))
    if result.cleanup_pending:
        click.echo("Note: some working files remain; the next spec command removes them.", err=True)
    click.echo(printable(f"Change '{plan.change}' archived as '{result.archived_as}'."))


def _render_plan_summary(workspace: Workspace, plan: ArchivePlan, color: bool) -> None:
    if plan.skip_specs:
        click.echo("Spec updates skipped (skip_specs).")
        return
    changed = [u for u in plan.specs if u.action != "unchanged"]
    if not changed:
        click.echo("Specs already in sync; no spec file changes.")
        return
    click.echo("Specs to update:")
    for update in changed:
        click.echo(printable(f"  {update.spec_id}: {update.action} ({workspace.rel(update.path)})"))
        for sign, count, label in (
            ("+", update.added, "added"),
            ("~", update.modified, "modified"),
            ("-", update.removed, "removed"),
            ("→", update.renamed, "renamed"),
        ):
            if count:
                text = f"    {sign} {count} {label}"
                click.echo(
                    click.style(text, fg="green" if sign == "+" else None) if color else text
                )
    t = plan.totals()
    click.echo(f"Totals: + {t['added']}, ~ {t['modified']}, - {t['removed']}, → {t['renamed']}")


def _json_payload(
    workspace: Workspace, plan: ArchivePlan, result: ApplyResult | None
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "change": plan.change,
        "archivedAs": plan.archive_dir.name,
        "path": str(plan.archive_dir),
        "specsUpdated": result.specs_updated
        if result is not None
        else bool(plan.writes or plan.deletes),
    }
    if not plan.skip_specs:
        body["totals"] = plan.totals()
    body["warnings"] = list(plan.warnings)
    body["generated"] = [o.spec_id for o in plan.outputs]
    body["staleOutputs"] = list(plan.stale_outputs)
    body["suspectTests"] = [{"test": test, "scenario": key}
                            for test, key in suspects_of_plan(workspace, plan, body["warnings"].append)]
    if result is None:
        body["dryRun"] = True
        body["diffs"] = [
            {"spec": spec_id, "diff": diff} for spec_id, diff in preview(workspace, plan)
        ]
    return {"archive": body, "root": {"path": str(workspace.root), "source": workspace.source}}


def run_archive(opts: ArchiveOptions, color: bool) -> int:
    """Archive one change as ``opts`` says; returns the exit code or raises ``SpecledgerError``."""
    workspace = open_workspace()
    if not opts.change:
        raise SpecledgerError(
            "which change? name it: spec archive CHANGE",
            code="archive_change_name_required",
            hint="'spec list' shows the open changes",
        )
    name = opts.change
    change_dir = resolve_change_dir(workspace, name)

    gates = Gates()
    if opts.no_validate:
        if not opts.as_json:
            _say(opts, "Warning: skipping validation may archive specs that fail validation.")
        _confirm(
            opts,
            "Archive without validating?",
            refusal=RefusedError(
                "archiving without validation needs confirmation",
                code="archive_confirmation_required",
                hint="pass --yes together with --no-validate",
            ),
            default=False,
            gates=gates,
        )
    from specledger.parse.metadata import read_metadata
    from specledger.validate import Validator  # the validator is heavy; only load it here

    meta = read_metadata(change_dir)
    skip = opts.skip_specs or meta.skip_specs
    validator = Validator(workspace)
    # Where archive would write is checked first, so its refusal names the exact problem.
    spec_ids = () if skip else tuple(d.id for d in validator.delta_files(name)[0])
    raise_first(archive_path_problems(workspace, name, destination(workspace, name), spec_ids))
    if not opts.no_validate:
        _validate(validator, opts, name)
    _check_tasks(opts, name, change_dir, gates)

    if opts.skip_specs and not opts.as_json:
        _say(opts, "Skipping spec updates (--skip-specs).")

    # Hold the lock from planning to writing: no other archive may change a spec in between.
    with ArchiveLock(workspace) as lock:
        plan = build_plan(workspace, name, skip_specs=skip, validator=validator, generate=not opts.no_generate)
        if plan.writes or plan.deletes:
            count = len(plan.writes) + len(plan.deletes)
            also = f" and {len(plan.outputs)} generated file(s)" if plan.outputs else ""
            _confirm(
                opts,
                f"Update {count} spec file(s){also} and archive change '{name}'?",
                refusal=RefusedError(
                    f"updating {count} spec file(s) needs confirmation",
                    code="archive_confirmation_required",
                    hint="rerun with --yes",
                ),
                default=True,
                gates=gates,
            )
        if opts.dry_run:
            return _dry_run(workspace, plan, gates, opts, color)
        result = apply_plan(workspace, plan, lock=lock)

    if opts.as_json:
        click.echo(json.dumps(_json_payload(workspace, plan, result), indent=2))
    else:
        _render_text(workspace, plan, result, color)
        _render_suspects(suspects_of_plan(workspace, plan, _warn))
    _render_stale(plan)
    return EXIT_OK


def _render_stale(plan: ArchivePlan) -> None:
    """With --no-generate: say which generated files the archive left stale (stderr, every format)."""
    if plan.stale_outputs:
        listed = ", ".join(plan.stale_outputs)
        click.echo(printable(f"spec: stale: --no-generate left these generated files stale: {listed}; "
                             "run 'spec generate' to bring them up to date"), err=True)


def _dry_run(workspace: Workspace, plan: ArchivePlan, gates: Gates, opts: ArchiveOptions, color: bool) -> int:
    """Show what archive would write, then the verdict the real run would give, with its exit code."""
    refusal = gates.refusals[0] if gates.refusals else None
    if opts.as_json:
        payload = _json_payload(workspace, plan, None)
        payload["archive"]["verdict"] = (
            {"archived": False, "code": refusal.code, "message": refusal.message}
            if refusal
            else {"archived": True, "asks": gates.questions}
        )
        click.echo(json.dumps(payload, indent=2))
        _render_stale(plan)
    else:
        _render_stale(plan)
        _render_plan_summary(workspace, plan, color)
        for _spec_id, diff in preview(workspace, plan):
            click.echo(printable_lines(diff), nl=False)
        _render_suspects(suspects_of_plan(workspace, plan, _warn))
        if refusal is not None:
            hint = f" ({refusal.hint})" if refusal.hint else ""
            click.echo(printable(f"Dry run: archive would refuse: {refusal.message}{hint}; nothing was written."))
        else:
            for question in gates.questions:
                click.echo(printable(f"Dry run: archive would first ask: {question}"))
            click.echo(printable(
                f"Dry run: change '{plan.change}' would be archived as '{plan.archive_dir.name}'; "
                "nothing was written."
            ))
    return EXIT_FINDINGS if refusal is not None else EXIT_OK


@click.command("archive")
@click.argument("change", required=False, shell_complete=complete_changes)
@click.option("-y", "--yes", is_flag=True, help="Do not ask: archive even with incomplete tasks.")
@click.option(
    "--dry-run",
    is_flag=True,
    help="Print the diff of every spec archive would write and the verdict the real run would give "
    "(same exit code); write nothing.",
)
@click.option(
    "--skip-specs", is_flag=True, help="Move the change into the archive without touching specs."
)
@click.option(
    "--no-validate",
    is_flag=True,
    help="Skip validation (not recommended; needs --yes with --json).",
)
@click.option("--no-generate", is_flag=True,
              help="Do not rewrite the files generated from the specs it changes; name them as stale instead.")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON on stdout.")
@click.pass_context
@handles_errors
def archive(
    ctx: click.Context,
    change: str | None,
    yes: bool,
    dry_run: bool,
    skip_specs: bool,
    no_validate: bool,
    no_generate: bool,
    as_json: bool,
) -> None:
    """Merge CHANGE's delta specs into the specs and move it to changes/archive/.

    Every new spec text is computed and validated before the first write, and the writes are
    crash-safe: after an interruption, the next spec command finishes or undoes the archive.
    Files generated from a spec it changes ([[tool.specledger.generate]]) are rewritten in the
    same transaction, unless --no-generate.

    Exit codes (a dry run exits as the real run would): 0 archived, 1 refused (validation,
    incomplete tasks without --yes, destination exists, merge refused), 2 usage or environment
    error.
    """
    opts = ArchiveOptions(change, yes, dry_run, skip_specs, no_validate, as_json, no_generate)
    sys.exit(run_archive(opts, use_color(ctx)))

"""``spec generate [--check | --dry-run]``: render the [[tool.specledger.generate]] targets."""

from __future__ import annotations

import sys

import click

from specledger.cli.common import EXIT_FINDINGS, EXIT_USAGE, handles_errors, open_workspace


@click.command("generate")
@click.option(
    "--check",
    is_flag=True,
    help="Write nothing; print a diff for each stale or missing file and exit 1 if there is one.",
)
@click.option(
    "--dry-run", is_flag=True, help="Write nothing; print the diffs a real run would apply."
)
@handles_errors
def generate(check: bool, dry_run: bool) -> None:
    """Render generated files (config, env example, docs) from the specs.

    Targets are the [[tool.specledger.generate]] tables of pyproject.toml; templates run in
    jinja2's sandbox and every path must stay inside the project. Everything is rendered before
    anything is written, and then every changed file is written or none is (a read-only folder
    leaves all outputs as they were). Written files and diffs go to stdout, the summary to stderr.
    """
    from specledger import generate as core  # local: keeps jinja2 out of other commands' start-up

    if check and dry_run:
        click.echo("spec: error: --check and --dry-run cannot be combined", err=True)
        sys.exit(EXIT_USAGE)
    workspace = open_workspace()
    if not core.has_targets(workspace):
        click.echo(
            "spec: no [[tool.specledger.generate]] targets configured; nothing to do", err=True
        )
        return
    if check or dry_run:
        outcomes = core.check_generated(workspace)
        for outcome in outcomes:
            if outcome.diff:
                click.echo(outcome.diff, nl=False)
        pending = [o for o in outcomes if o.status != "unchanged"]
        for outcome in pending:
            click.echo(f"spec: {outcome.output} is {outcome.status}", err=True)
        if check and pending:
            click.echo(
                f"spec: {len(pending)} generated file(s) out of date; run `spec generate`", err=True
            )
            sys.exit(EXIT_FINDINGS)
        if not pending:
            click.echo(f"spec: {len(outcomes)} generated file(s) up to date", err=True)
        return
    outcomes = core.generate(workspace)
    for outcome in outcomes:
        if outcome.status != "unchanged":
            click.echo(f"{outcome.status} {outcome.output}")
    unchanged = sum(1 for o in outcomes if o.status == "unchanged")
    click.echo(f"spec: {len(outcomes) - unchanged} written, {unchanged} unchanged", err=True)

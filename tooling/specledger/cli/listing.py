"""``spec list``: open changes with their task progress, or specs with their requirement counts."""

from __future__ import annotations

import json
import time

import click

from specledger.cli.common import handles_errors, open_workspace, use_color
from specledger.errors import SpecledgerError
from specledger.escape import printable
from specledger.inventory import archived_summaries, change_summaries, spec_summaries
from specledger.report.jsonout import root_data
from specledger.workspace import Workspace


def _ago(stamp: float) -> str:
    seconds = max(0, int(time.time() - stamp))
    for size, unit in ((86400, "d"), (3600, "h"), (60, "m")):
        if seconds >= size:
            return f"{seconds // size}{unit} ago"
    return "just now"


@click.command("list")
@click.option("--specs", is_flag=True, help="List specs instead of changes.")
@click.option("--changes", is_flag=True, help="List changes (the default).")
@click.option("--archived", is_flag=True, help="List archived changes: date, name, tasks, capabilities touched.")
@click.option("--sort", type=click.Choice(["recent", "name"]), default="recent", show_default=True,
              help="Order of the changes.")
@click.option("--json", "as_json", is_flag=True, help="JSON on stdout.")
@click.option("--long", "long_", is_flag=True, hidden=True, help="Accepted for compatibility.")
@click.pass_context
@handles_errors
def list_command(ctx: click.Context, specs: bool, changes: bool, archived: bool, sort: str, as_json: bool,
                 long_: bool) -> None:
    """List open changes with task progress (a change whose tasks are all done is marked complete).

    \b
    Examples:
      spec list                 changes, most recently edited first
      spec list --sort name
      spec list --specs --json  specs with their requirement counts
      spec list --archived      archived changes, newest first
    """
    if specs and archived:
        raise SpecledgerError("--specs and --archived list different things; give one of them",
                              code="invalid_list_request")
    workspace = open_workspace()
    color = use_color(ctx)
    if archived:
        _list_archived(workspace, as_json)
        return
    if specs:
        rows = spec_summaries(workspace)
        if as_json:
            click.echo(json.dumps({"specs": rows, "root": root_data(workspace)}, indent=2))
            return
        if not rows:
            click.echo("No specs found.")
            return
        click.echo("Specs:")
        width = max(len(r["id"]) for r in rows)
        for row in rows:
            click.echo(f"  {printable(row['id']):<{width}}  requirements {row['requirementCount']}")
        return
    summaries = change_summaries(workspace, sort)
    if as_json:
        click.echo(json.dumps({"changes": [c.to_data() for c in summaries], "root": root_data(workspace)}, indent=2))
        return
    if not summaries:
        click.echo("No active changes found.")
        return
    click.echo("Changes:")
    width = max(len(c.name) for c in summaries)
    for change in summaries:
        if change.status == "complete":
            status = "✓ complete" if not color else "\x1b[32m✓ complete\x1b[0m"
        elif change.status == "no-tasks":
            status = "no tasks"
        else:
            status = f"{change.done}/{change.total} tasks"
        click.echo(f"  {printable(change.name):<{width}}  {status:<14}  {_ago(change.last_modified)}")


def _list_archived(workspace: Workspace, as_json: bool) -> None:
    rows = archived_summaries(workspace)
    if as_json:
        click.echo(json.dumps({"archived": [r.to_data() for r in rows], "root": root_data(workspace)}, indent=2))
        return
    if not rows:
        click.echo("No archived changes found.")
        return
    click.echo("Archived changes:")
    width = max(len(printable(r.name)) for r in rows)
    for row in rows:
        tasks = "no tasks" if row.total == 0 else f"{row.done}/{row.total} tasks"
        touched = ", ".join(row.capabilities) or "no spec changes"
        click.echo(printable(f"  {row.date or '(undated)':<10}  {row.name:<{width}}  {tasks:<12}  {touched}"))

"""``spec new change NAME``: scaffold a change."""

from __future__ import annotations

import json

import click

from specledger.cli.common import handles_errors, open_workspace
from specledger.scaffold import new_change


@click.group("new")
def new() -> None:
    """Create new artifacts."""


@new.command("change")
@click.argument("name")
@click.option("--description", help="Text for the proposal's Why section.")
@click.option("--capability", "capabilities", multiple=True, metavar="CAP",
              help="Also write a delta skeleton specs/CAP/spec.md (repeatable).")
@click.option("--json", "as_json", is_flag=True, help="JSON on stdout.")
@handles_errors
def change(name: str, description: str | None, capabilities: tuple[str, ...], as_json: bool) -> None:
    """Create changes/NAME/ with .openspec.yaml, proposal, tasks, design and delta skeletons.

    Every blank the scaffold leaves is a WARNING (placeholder-unfilled) until it is replaced,
    so `spec validate NAME --strict` fails on an unfinished scaffold.

    \b
    Example:
      spec new change add-login --capability auth \\
        --description "Users cannot sign in with their company account yet."
    """
    workspace = open_workspace()
    created = new_change(workspace, name, description, capabilities=tuple(dict.fromkeys(capabilities)))
    if as_json:
        click.echo(json.dumps({"change": created.name, "path": str(created.path),
                               "files": [workspace.rel(p) for p in created.files]}, indent=2))
        return
    for path in created.files:
        click.echo(f"created {workspace.rel(path)}")
    click.echo(f"next: fill in the blanks (`spec validate {created.name} --strict` lists each one), and write "
               f"the deltas under {workspace.rel(created.path)}/specs/<capability>/spec.md", err=True)

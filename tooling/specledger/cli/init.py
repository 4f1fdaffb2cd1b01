"""``spec init [PATH]``: set up a workspace."""

from __future__ import annotations

import json
from pathlib import Path

import click

from specledger.cli.common import handles_errors
from specledger.escape import printable
from specledger.scaffold import init_workspace


@click.command("init")
@click.argument("path", required=False, type=click.Path(file_okay=False, path_type=Path))
@click.option("--openspec", "openspec", is_flag=True,
              help="Use OpenSpec's layout (openspec/specs, openspec/changes) instead of pyproject.toml.")
@click.option("--json", "as_json", is_flag=True, help="JSON on stdout.")
@handles_errors
def init(path: Path | None, openspec: bool, as_json: bool) -> None:
    """Set up a workspace in PATH (default: the current folder).

    Creates specs/ and changes/ (with changes/archive/) and a [tool.specledger] table in
    pyproject.toml, or with --openspec the openspec/ folders. Safe to run again: it never
    overwrites anything and only adds what is missing.

    \b
    Examples:
      spec init
      spec init path/to/repo --openspec
    """
    result = init_workspace(path or Path.cwd(), openspec=openspec)
    if as_json:
        click.echo(json.dumps({"root": str(result.root), "created": list(result.created),
                               "kept": list(result.kept)}, indent=2))
        return
    for item in result.created:
        click.echo(printable(f"created {item}"))
    for item in result.kept:
        click.echo(printable(f"kept    {item} (already there)"))
    if not result.created:
        click.echo("nothing to do: the workspace is already set up")
    click.echo("next: spec new change <name>; add '.specledger-archive.journal*' to .gitignore", err=True)

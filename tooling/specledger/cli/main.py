"""The ``spec`` command group. Commands live in their own modules and are loaded on demand."""

from __future__ import annotations

import importlib
import sys
from typing import Any

import click

from specledger import __version__

# command name -> (module, attribute); loaded lazily so `spec list` never imports jinja2 or the archiver.
COMMANDS: dict[str, tuple[str, str]] = {
    "validate": ("specledger.cli.validate", "validate"),
    "list": ("specledger.cli.listing", "list_command"),
    "show": ("specledger.cli.show", "show"),
    "archive": ("specledger.cli.archive", "archive"),
    "generate": ("specledger.cli.generate", "generate"),
    "new": ("specledger.cli.new", "new"),
}


class LazyGroup(click.Group):
    """A group whose subcommands are imported only when invoked (keeps start-up fast)."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        target = COMMANDS.get(cmd_name)
        if target is None:
            return None
        module = importlib.import_module(target[0])
        command: click.Command = getattr(module, target[1])
        return command


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "-V", "--version", prog_name="spec")
@click.option("--no-color", is_flag=True, help="Never colour the output (NO_COLOR is honoured too).")
@click.pass_context
def cli(ctx: click.Context, no_color: bool) -> None:
    """Validate, list, show, generate from and archive spec-driven changes.

    Works on this project's layout ([tool.specledger] in pyproject.toml) and on any
    OpenSpec repository (openspec/specs, openspec/changes).

    Exit codes: 0 valid, 1 findings or refusal, 2 usage, configuration or environment error.
    """
    ctx.ensure_object(dict)
    ctx.obj["no_color"] = no_color


def main(argv: list[str] | None = None) -> Any:
    """Console-script entry point."""
    try:
        return cli.main(args=argv, prog_name="spec", standalone_mode=True)
    except KeyboardInterrupt:  # pragma: no cover - interactive only
        click.echo("interrupted", err=True)
        sys.exit(130)

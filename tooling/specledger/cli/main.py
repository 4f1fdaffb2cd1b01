"""The ``spec`` command group. Commands live in their own modules and are loaded on demand."""

from __future__ import annotations

import errno
import importlib
import io
import json
import os
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
    "init": ("specledger.cli.init", "init"),
    "completion": ("specledger.cli.completion", "completion"),
    "coverage": ("specledger.cli.coverage", "coverage_command"),
    "docs": ("specledger.cli.docs", "docs"),
    "baseline": ("specledger.cli.baseline", "baseline"),
    "fix": ("specledger.cli.fix", "fix"),
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


def _stream_usable(stream: Any) -> bool:
    try:
        return stream is not None and os.fstat(stream.fileno()) is not None
    except (OSError, ValueError, io.UnsupportedOperation):
        return False


def _prepare_streams() -> None:
    """Make output survive any encoding, and refuse to run with nowhere to put the product.

    A character the output encoding cannot hold (``PYTHONIOENCODING=latin-1``) is written as a
    backslash escape instead of aborting the command. With standard output closed the command's
    product (findings, JSON) would vanish, so the command does not run at all (exit 2).
    """
    for stream in (sys.stdout, sys.stderr):
        if isinstance(stream, io.TextIOWrapper):
            stream.reconfigure(errors="backslashreplace")
    if not _stream_usable(sys.stdout):
        if _stream_usable(sys.stderr):
            sys.stderr.write("spec: error: standard output is closed; nothing was done\n")
        sys.exit(2)


def _report_output_failure(err: OSError) -> None:
    """Standard output failed part-way (a full disk, a closed pipe): say so on stderr, exit 2."""
    try:
        sys.stdout = None  # nothing more can be written there; stop the interpreter retrying at exit
        if err.errno == errno.EPIPE:
            sys.exit(2)  # the reader went away on purpose (``spec list | head``): no message
        sys.stderr.write(f"spec: error: cannot write the output: {err.strerror or err}\n")
        sys.stderr.flush()
    except (OSError, ValueError):
        pass
    sys.exit(2)


def _report_file_failure(err: OSError) -> None:
    """A file-system call no command caught failed on a named file: name it (exit 2)."""
    try:
        from specledger.escape import printable

        sys.stderr.write(f"spec: error: {printable(str(err.filename))}: {err.strerror or err}\n")
        sys.stderr.flush()
    except (OSError, ValueError):
        pass
    sys.exit(2)


def _wants_json(argv: list[str]) -> bool:
    """Whether the command line asked for JSON (so a usage error is reported as JSON too)."""
    for index, arg in enumerate(argv):
        if arg == "--":
            return False
        if arg == "--json" or arg == "--format=json" or (arg == "--format" and argv[index + 1 : index + 2] == ["json"]):
            return True
    return False


def _usage_error(err: click.ClickException, as_json: bool) -> int:
    """Print a click usage error (on stderr; also as JSON on stdout when JSON was asked for)."""
    if as_json:
        code = "usage" if isinstance(err, click.UsageError) else "error"
        click.echo(json.dumps({"status": [{"severity": "error", "code": code, "message": err.format_message()}]},
                              indent=2))
    err.show()
    return err.exit_code


def main(argv: list[str] | None = None) -> Any:
    """Console-script entry point."""
    _prepare_streams()
    args = list(sys.argv[1:] if argv is None else argv)
    try:
        try:
            code = cli.main(args=args, prog_name="spec", standalone_mode=False)
        except click.ClickException as err:
            code = _usage_error(err, _wants_json(args))
        except click.Abort:
            click.echo("Aborted!", err=True)
            code = 1
        finally:
            # Buffered output is written here, so a full device fails now, while we can report it.
            if sys.stdout is not None:
                sys.stdout.flush()
    except OSError as err:
        if err.filename is None:
            _report_output_failure(err)
        _report_file_failure(err)
    except KeyboardInterrupt:  # pragma: no cover - interactive only
        click.echo("interrupted", err=True)
        sys.exit(130)
    sys.exit(code if isinstance(code, int) else 0)

"""What every command shares: finding the workspace and turning core errors into exit codes."""

from __future__ import annotations

import contextlib
import functools
import json
import os
import sys
import time
from collections.abc import Callable, Iterator
from typing import Any, ParamSpec, TypeVar

import click

from specledger.errors import RefusedError, SpecledgerError
from specledger.escape import printable
from specledger.workspace import Workspace, find_workspace

P = ParamSpec("P")
R = TypeVar("R")

EXIT_OK = 0
EXIT_FINDINGS = 1
EXIT_USAGE = 2


def open_workspace() -> Workspace:
    """Find the workspace from the current directory and finish any interrupted archive first.

    Every command goes through here, so the first ``spec`` command after a crash restores the
    tree to the state before or after the interrupted archive.
    """
    workspace = find_workspace()
    from specledger.archive.names import journal_present

    if journal_present(workspace.changes_dir):
        from specledger.archive.journal import recover  # only then: keeps start-up light

        for line in recover(workspace):
            click.echo(f"spec: {printable(line)}", err=True)
    return workspace


def use_color(ctx: click.Context | None = None) -> bool:
    """Colour only on a terminal, never with NO_COLOR or --no-color."""
    if os.environ.get("NO_COLOR"):  # set and not empty, as no-color.org says
        return False
    root = ctx.find_root() if ctx is not None else None
    if root is not None and isinstance(root.obj, dict) and root.obj.get("no_color"):
        return False
    return sys.stdout.isatty()


def fail(err: SpecledgerError, *, as_json: bool) -> None:
    """Report a core error and exit: 1 for a refusal, 2 for usage or environment errors."""
    code = EXIT_FINDINGS if isinstance(err, RefusedError) else EXIT_USAGE
    if as_json:
        payload: dict[str, Any] = {"severity": "error", "code": err.code, "message": err.message}
        if err.path is not None:
            payload["path"] = str(err.path)
        if err.line is not None:
            payload["line"] = err.line
        if err.hint:
            payload["fix"] = err.hint
        click.echo(json.dumps({"status": [payload]}, indent=2))
    click.echo(f"spec: error: {err}", err=True)
    sys.exit(code)


def handles_errors(func: Callable[P, R]) -> Callable[P, R]:
    """Turn a ``SpecledgerError`` escaping a command into a message and an exit code."""

    @functools.wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return func(*args, **kwargs)
        except SpecledgerError as err:
            fail(err, as_json=bool(kwargs.get("as_json")))
            raise AssertionError("unreachable") from err

    return wrapper


def complete_items(ctx: click.Context, param: click.Parameter, incomplete: str) -> list[str]:
    """Shell completion for an ITEM argument: open change names and spec ids.

    Completion must never fail or print: outside a workspace, or on any error, it offers nothing.
    """
    return _complete(incomplete, changes=True, specs=True)


def complete_changes(ctx: click.Context, param: click.Parameter, incomplete: str) -> list[str]:
    """Shell completion for a CHANGE argument: open change names."""
    return _complete(incomplete, changes=True, specs=False)


def _complete(incomplete: str, *, changes: bool, specs: bool) -> list[str]:
    try:
        workspace = find_workspace()
        names = (workspace.change_names() if changes else []) + (workspace.spec_ids() if specs else [])
    except (SpecledgerError, OSError):
        return []
    return sorted({n for n in names if n.startswith(incomplete)})


PROGRESS_AFTER = 1.0  # seconds: shorter runs never show progress
PROGRESS_EVERY = 0.1


@contextlib.contextmanager
def progress_on_stderr(*, enabled: bool, label: str) -> Iterator[Callable[[int, int], None]]:
    """A ``tick(done, total)`` that shows ``label done/total`` on stderr during long runs.

    Only on a terminal (never when stderr is a file or a pipe, never for JSON), only once the
    run has taken more than a second, at most ten times a second, and erased when done, so
    stdout (the product) and logs are never touched.
    """
    stream = sys.stderr
    shown = enabled and stream is not None and stream.isatty()
    started = time.monotonic()
    last = [0.0]
    drawn = [False]

    def tick(done: int, total: int) -> None:
        if not shown:
            return
        now = time.monotonic()
        if now - started < PROGRESS_AFTER or now - last[0] < PROGRESS_EVERY:
            return
        last[0] = now
        drawn[0] = True
        stream.write(f"\r{label} {done}/{total}")
        stream.flush()

    try:
        yield tick
    finally:
        if drawn[0]:
            stream.write("\r\x1b[K")
            stream.flush()

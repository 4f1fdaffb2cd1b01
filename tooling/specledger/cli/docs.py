"""``spec docs build|serve|changelog``: the reviewer site and the Markdown changelog."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from specledger.cli.common import handles_errors, open_workspace


def _out_path(out: str | None) -> Path | None:
    return Path(out).absolute() if out is not None else None


@click.group("docs")
def docs() -> None:
    """Reviewer docs: a static site of specs, open changes (with redlines) and history."""


@docs.command("build")
@click.option("--out", "out", type=click.Path(file_okay=False), default=None,
              help="Site folder inside the workspace (default: site/ at the workspace root).")
@handles_errors
def build(out: str | None) -> None:
    """Build the site and print the path of its index page.

    The folder must be inside the workspace and apart from the specs and changes folders
    (exit 2 otherwise). Pages the previous build wrote and this one does not are removed;
    nothing else in the folder is touched. Works from file:// and offline.
    """
    from specledger.escape import printable
    from specledger.site import build_site

    workspace = open_workspace()
    result = build_site(workspace, _out_path(out))
    click.echo(f"spec: {len(result.written)} written, {result.unchanged} unchanged, "
               f"{len(result.removed)} removed", err=True)
    click.echo(printable(str(result.index)))  # the workspace's folder name is anyone's choice


@docs.command("serve")
@click.option("--out", "out", type=click.Path(file_okay=False), default=None,
              help="Site folder inside the workspace (default: site/ at the workspace root).")
@click.option("--port", type=click.IntRange(0, 65535), default=8000, show_default=True,
              help="Port on 127.0.0.1 (0: any free port).")
@click.option("--interval", type=click.FloatRange(0.1, 60.0), default=1.0, show_default=True,
              help="Seconds between checks for changed files.")
@handles_errors
def serve(out: str | None, port: int, interval: float) -> None:
    """Build the site, serve it on 127.0.0.1 and rebuild when a spec or change changes.

    Stop it with Ctrl-C.
    """
    from specledger.errors import SpecledgerError
    from specledger.escape import printable
    from specledger.site import build_site
    from specledger.site.output import check_out_dir, default_out
    from specledger.site.serve import Preview

    workspace = open_workspace()
    target = _out_path(out)
    folder = check_out_dir(workspace, target if target is not None else default_out(workspace))

    def say(text: str) -> None:
        click.echo(printable(f"spec: {text}"), err=True)

    try:  # the port first: a port in use is refused before anything is built or written
        preview = Preview(workspace, folder, lambda: build_site(workspace, target), port=port,
                          interval=interval, on_rebuild=say)
    except OSError as err:
        raise SpecledgerError(f"cannot listen on 127.0.0.1:{port}: {err.strerror or err}",
                              code="serve_port_unavailable") from err
    try:
        result = build_site(workspace, target)
    except BaseException:
        preview.server.server_close()
        raise
    say(f"serving {result.out} at {preview.url} (Ctrl-C stops)")
    sys.stderr.flush()
    try:
        preview.serve_forever()
    except KeyboardInterrupt:
        say("stopped")


@docs.command("changelog")
@handles_errors
def changelog() -> None:
    """Print the archived changes as Markdown release notes (newest first) on stdout."""
    from specledger.escape import printable_lines
    from specledger.history import build_history
    from specledger.site.changelog import changelog_markdown
    from specledger.site.shown import Shown
    from specledger.validate import Validator

    workspace = open_workspace()
    markdown = changelog_markdown(build_history(Validator(workspace)), Shown(workspace))
    click.echo(printable_lines(markdown), nl=False)  # Why paragraphs and names are the repository's text

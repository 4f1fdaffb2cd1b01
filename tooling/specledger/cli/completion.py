"""``spec completion SHELL``: the shell script that completes commands, options and item names."""

from __future__ import annotations

import click

SHELLS = ("bash", "zsh", "fish")


@click.command("completion")
@click.argument("shell", type=click.Choice(SHELLS))
def completion(shell: str) -> None:
    """Print the completion script for SHELL; it completes commands, options, change and spec names.

    \b
    Install it once:
      bash:  spec completion bash > ~/.local/share/bash-completion/completions/spec
      zsh:   spec completion zsh > "${fpath[1]}/_spec"
      fish:  spec completion fish > ~/.config/fish/completions/spec.fish
    """
    from click.shell_completion import get_completion_class

    from specledger.cli.main import cli

    cls = get_completion_class(shell)
    assert cls is not None  # every name in SHELLS is one click ships
    click.echo(cls(cli, {}, "spec", "_SPEC_COMPLETE").source())

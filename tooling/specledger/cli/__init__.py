"""The ``spec`` command line: a thin shell over the core (one module per command)."""

from __future__ import annotations

import sys
from typing import Any


def main(argv: list[str] | None = None) -> Any:
    """Console-script entry point.

    ``spec --version`` (or ``-V``) alone is answered here, with the line click's version option
    prints, without importing click (most of that command's time); everything else, and any
    output problem, goes to the command group in ``specledger.cli.main``.
    """
    args = sys.argv[1:] if argv is None else argv
    if args in (["--version"], ["-V"]):
        from specledger import __version__

        try:
            sys.stdout.write(f"spec, version {__version__}\n")
            sys.stdout.flush()
        except (AttributeError, OSError, ValueError):
            pass  # closed or failing output: the command group reports it as it does for any command
        else:
            sys.exit(0)
    from specledger.cli.main import main as run

    return run(argv)

"""Placeholder until the crash-safe journal lands: nothing to recover."""

from __future__ import annotations

from collections.abc import Iterator

from specledger.workspace import Workspace


def recover(workspace: Workspace) -> Iterator[str]:
    """Finish or undo an interrupted archive; yields one line per action taken."""
    return iter(())

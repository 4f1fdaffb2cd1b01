"""Resolving an item name given on the command line to a change or a spec."""

from __future__ import annotations

from typing import Literal

from specledger.errors import SpecledgerError
from specledger.workspace import Workspace

Kind = Literal["change", "spec"]


def resolve(workspace: Workspace, name: str, kind: Kind | None = None) -> Kind:
    """Which kind of item ``name`` is; raises a usage error when unknown or ambiguous."""
    is_change = name in workspace.change_names()
    is_spec = workspace.has_spec(name)
    if (kind == "change" and is_change) or (kind == "spec" and is_spec):
        return kind
    if kind is None:
        if is_change and is_spec:
            raise SpecledgerError(
                f"'{name}' is both a change and a spec",
                code="ambiguous_item",
                hint="add --type change or --type spec",
            )
        if is_change:
            return "change"
        if is_spec:
            return "spec"
    candidates = []
    if kind in (None, "change"):
        candidates += workspace.change_names()
    if kind in (None, "spec"):
        candidates += workspace.spec_ids()
    import difflib  # only for the error: keeps it out of every run's start-up

    close = difflib.get_close_matches(name, candidates, n=3, cutoff=0.5)
    what = f"{kind} " if kind else "change or spec "
    hint = f"did you mean: {', '.join(close)}?" if close else "run `spec list` or `spec list --specs` to see the names"
    raise SpecledgerError(f"unknown {what}'{name}'", code="unknown_item", hint=hint)


def archived_folder(workspace: Workspace, name: str) -> str | None:
    """The archive folder ``name`` names: a folder name (``2026-11-29-add-login``) or the change
    name inside it (``add-login``; the newest wins when it was archived twice). None otherwise."""
    from specledger.archive.targets import has_date_prefix

    folder = workspace.archive_dir
    if not name or "/" in name or name.startswith(".") or not folder.is_dir():
        return None
    if (folder / name).is_dir() and not (folder / name).is_symlink():
        return name
    matches = sorted(entry.name for entry in folder.iterdir()
                     if entry.is_dir() and not entry.is_symlink() and has_date_prefix(entry.name)
                     and entry.name[11:] == name)
    return matches[-1] if matches else None

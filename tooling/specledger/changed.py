"""Which changes and specs differ from a git ref: ``spec validate --changed-since REF``.

Asks ``git`` (a subprocess; no git library) for the files that differ between REF and the work
tree, plus untracked files, and maps each to the item it belongs to: ``changes/<name>/...`` to
change ``name``, ``specs/<id>/spec.md`` to spec ``id``. A main spec that changed also brings in
every open change with a delta for it, since their verdicts depend on it.
"""

from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass
from pathlib import Path

from specledger.errors import SpecledgerError
from specledger.workspace import ARCHIVE_DIRNAME, Workspace

GIT_TIMEOUT = 60.0


@dataclass(frozen=True)
class ChangedItems:
    changes: frozenset[str]
    specs: frozenset[str]


def _git(workspace: Workspace, *args: str) -> str:
    try:
        proc = subprocess.run(
            ["git", "-C", str(workspace.root), *args],
            capture_output=True, timeout=GIT_TIMEOUT, check=False,
            env={**os.environ, "GIT_OPTIONAL_LOCKS": "0", "LC_ALL": "C"},
        )
    except FileNotFoundError as err:
        raise SpecledgerError("--changed-since needs git, and git is not installed", code="git_missing") from err
    except subprocess.TimeoutExpired as err:
        raise SpecledgerError(f"git did not answer within {GIT_TIMEOUT:.0f} s", code="git_failed") from err
    if proc.returncode != 0:
        message = proc.stderr.decode("utf-8", "replace").strip().splitlines()
        raise SpecledgerError(f"git {args[0]} failed: {message[-1] if message else proc.returncode}",
                              code="git_failed")
    return proc.stdout.decode("utf-8", "surrogateescape")


def changed_items(workspace: Workspace, ref: str) -> ChangedItems:
    """The open changes and main specs whose files differ from ``ref`` (exit 2 on any git problem)."""
    if ref.startswith("-") or "\x00" in ref:
        raise SpecledgerError(f"'{ref}' is not a git revision", code="git_bad_ref")
    try:
        _git(workspace, "rev-parse", "--is-inside-work-tree")
    except SpecledgerError as err:
        raise SpecledgerError(f"--changed-since works only inside a git checkout ({err.message})",
                              path=str(workspace.root), code="not_a_git_checkout") from err
    try:
        _git(workspace, "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}")
    except SpecledgerError as err:
        raise SpecledgerError(f"unknown git ref '{ref}'", code="git_bad_ref",
                              hint="give a branch, tag or commit, e.g. origin/main") from err
    top = Path(_git(workspace, "rev-parse", "--show-toplevel").strip())
    listed = _git(workspace, "diff", "--name-only", "-z", "--no-renames", ref, "--")
    listed += _git(workspace, "ls-files", "--others", "--exclude-standard", "-z", "--full-name")
    changes: set[str] = set()
    specs: set[str] = set()
    open_changes = set(workspace.change_names())
    for name in filter(None, listed.split("\0")):
        path = top / name
        for folder, bucket in ((workspace.changes_dir, changes), (workspace.specs_dir, specs)):
            try:
                parts = path.relative_to(folder).parts
            except ValueError:
                continue
            if bucket is changes and parts and parts[0] in open_changes and parts[0] != ARCHIVE_DIRNAME:
                changes.add(parts[0])
            elif bucket is specs and len(parts) >= 2 and parts[-1] == "spec.md":
                specs.add("/".join(parts[:-1]))
    for change in open_changes - changes:
        deltas = workspace.change_dir(change) / "specs"
        if any(deltas.joinpath(*spec_id.split("/"), "spec.md").is_file() for spec_id in specs):
            changes.add(change)
    return ChangedItems(frozenset(changes), frozenset(specs))


__all__ = ["ChangedItems", "changed_items"]

"""The archive plan: every byte archive will write, computed and validated before the first write.

``build_plan`` is pure with respect to the tree: it reads the change and the main specs and
returns an ``ArchivePlan``; ``specledger.archive.apply`` carries the plan out crash-safely.
"""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from specledger.workspace import Workspace

SpecAction = Literal["create", "update", "delete", "unchanged"]


@dataclass(frozen=True)
class SpecUpdate:
    """What archive does to one main spec."""

    spec_id: str
    path: Path  # absolute path of the main spec
    action: SpecAction
    old_text: str | None  # None when the spec does not exist yet
    new_text: str | None  # None when the spec is deleted (retired capability)
    new_bytes: bytes | None  # exactly what is written (line endings of the target kept)
    added: int = 0
    modified: int = 0
    removed: int = 0
    renamed: int = 0


@dataclass(frozen=True)
class ArchivePlan:
    """Everything ``apply_plan`` needs; nothing in it refers to mutable state."""

    change: str
    change_dir: Path  # absolute, the open change folder
    archive_dir: Path  # absolute, changes/archive/YYYY-MM-DD-<name>
    specs: tuple[SpecUpdate, ...] = ()
    warnings: tuple[str, ...] = ()
    skip_specs: bool = False

    @property
    def writes(self) -> tuple[SpecUpdate, ...]:
        return tuple(s for s in self.specs if s.action in ("create", "update"))

    @property
    def deletes(self) -> tuple[SpecUpdate, ...]:
        return tuple(s for s in self.specs if s.action == "delete")

    def totals(self) -> dict[str, int]:
        return {
            "added": sum(s.added for s in self.specs),
            "modified": sum(s.modified for s in self.specs),
            "removed": sum(s.removed for s in self.specs),
            "renamed": sum(s.renamed for s in self.specs),
        }


def archive_name(change: str, today: _dt.date) -> str:
    """``YYYY-MM-DD-<change>``, or the name unchanged when it already starts with a date."""
    import re

    if re.match(r"^\d{4}-\d{2}-\d{2}-", change):
        return change
    return f"{today.isoformat()}-{change}"


def build_plan(
    workspace: Workspace,
    change: str,
    *,
    skip_specs: bool = False,
    today: _dt.date | None = None,
) -> ArchivePlan:
    """Compute every new spec text for archiving ``change``; raise ``RefusedError`` if archive must refuse.

    Raises ``SpecledgerError`` (exit 2) for unsafe names or a missing change folder.
    """
    raise NotImplementedError("build_plan is being written by the lead")


__all__ = ["ArchivePlan", "SpecUpdate", "archive_name", "build_plan", "field"]

"""What ``list`` and ``show`` report: change progress, spec sizes, parsed deltas and requirements."""

from __future__ import annotations

import contextlib
import datetime as _dt
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from specledger.errors import SpecledgerError
from specledger.escape import printable
from specledger.parse.delta import read_delta
from specledger.parse.files import UnreadableFile, read_markdown, read_text
from specledger.parse.spec import read_spec
from specledger.parse.tasks import task_progress
from specledger.workspace import Workspace


@dataclass(frozen=True)
class ChangeSummary:
    name: str
    done: int
    total: int
    last_modified: float  # POSIX timestamp of the newest file in the change

    @property
    def status(self) -> str:
        if self.total == 0:
            return "no-tasks"
        return "complete" if self.done == self.total else "in-progress"

    def to_data(self) -> dict[str, Any]:
        stamp = _dt.datetime.fromtimestamp(self.last_modified, tz=_dt.UTC).isoformat().replace("+00:00", "Z")
        return {"name": self.name, "completedTasks": self.done, "totalTasks": self.total,
                "lastModified": stamp, "status": self.status}


def _newest_mtime(folder: Path) -> float:
    newest = 0.0
    for dirpath, dirnames, filenames in os.walk(folder):
        dirnames[:] = [d for d in dirnames if not d.startswith(".")]
        for name in filenames:
            try:
                newest = max(newest, os.stat(os.path.join(dirpath, name)).st_mtime)
            except OSError:
                continue
    if newest == 0.0:
        with contextlib.suppress(OSError):
            newest = folder.stat().st_mtime
    return newest


def change_summaries(workspace: Workspace, sort: str = "recent") -> list[ChangeSummary]:
    out = []
    for name in workspace.change_names():
        folder = workspace.change_dir(name)
        done, total = task_progress(folder)
        out.append(ChangeSummary(name, done, total, _newest_mtime(folder)))
    if sort == "recent":
        out.sort(key=lambda c: (-c.last_modified, c.name))
    else:
        out.sort(key=lambda c: (c.name.lower(), c.name))
    return out


@dataclass(frozen=True)
class ArchivedSummary:
    folder: str  # e.g. 2026-11-29-add-login
    name: str  # the change name, without its date
    date: str | None  # YYYY-MM-DD, None for a folder without a date prefix
    done: int
    total: int
    capabilities: tuple[str, ...]  # the specs its deltas touched

    def to_data(self) -> dict[str, Any]:
        return {"folder": self.folder, "name": self.name, "date": self.date, "completedTasks": self.done,
                "totalTasks": self.total, "capabilities": list(self.capabilities)}


def archived_summaries(workspace: Workspace) -> list[ArchivedSummary]:
    """Archived changes, newest first: from the one history module, plus each one's task progress."""
    from specledger.history import build_history
    from specledger.validate import Validator

    out = []
    for item in build_history(Validator(workspace)).archived:
        done, total = task_progress(item.path)
        out.append(ArchivedSummary(item.folder, item.change, item.date, done, total,
                                   tuple(sorted({d.id for d in item.deltas}))))
    out.reverse()
    return out


def spec_summaries(workspace: Workspace) -> list[dict[str, Any]]:
    out = []
    for spec_id in workspace.spec_ids():
        count = 0
        path = workspace.spec_path(spec_id)
        try:
            spec = read_spec(spec_id, path, read_markdown(path))
            count = len(spec.requirements or []) if spec.purpose is not None else 0
        except UnreadableFile:
            count = 0
        out.append({"id": spec_id, "requirementCount": count})
    return out


def spec_details(workspace: Workspace, spec_id: str, *, scenarios: bool = True,
                 requirement: int | None = None) -> dict[str, Any]:
    path = workspace.spec_path(spec_id)
    try:
        spec = read_spec(spec_id, path, read_markdown(path))
    except UnreadableFile as err:
        raise SpecledgerError(f"cannot read the spec: {err.reason}", path=workspace.rel(path),
                              code="unreadable") from err
    reqs = spec.requirements or []
    items = [{"text": r.text, "scenarios": [{"rawText": s.text} for s in r.scenarios] if scenarios else []}
             for r in reqs]
    if requirement is not None:
        if not 1 <= requirement <= len(items):
            raise SpecledgerError(f"requirement {requirement} does not exist; '{spec_id}' has {len(items)}",
                                  code="invalid_requirement")
        items = [items[requirement - 1]]
    return {"id": spec_id, "title": spec.title, "overview": spec.purpose or "", "requirementCount": len(reqs),
            "requirements": items, "metadata": {"version": "1.0.0", "format": "openspec"}}


def change_details(workspace: Workspace, name: str) -> dict[str, Any]:
    from specledger.validate import Validator

    folder = workspace.change_dir(name)
    title = name
    proposal = folder / "proposal.md"
    if proposal.is_file():
        try:
            from specledger.parse.proposal import read_proposal

            title = read_proposal(proposal, read_markdown(proposal)).title or name
        except UnreadableFile:
            pass
    deltas_out: list[dict[str, Any]] = []
    delta_files, _ = Validator(workspace).delta_files(name)
    for delta_file in delta_files:
        delta = delta_file.delta
        if delta is None:
            continue
        for op, blocks in (("ADDED", delta.added), ("MODIFIED", delta.modified)):
            for block in blocks:
                deltas_out.append({
                    "spec": delta.id, "operation": op,
                    "description": f"{'Add' if op == 'ADDED' else 'Modify'} requirement: {block.name}",
                    "requirement": {"text": "\n".join(block.body),
                                    "scenarios": [{"rawText": s.text} for s in block.scenarios]},
                    "requirements": [{"text": "\n".join(block.body),
                                      "scenarios": [{"rawText": s.text} for s in block.scenarios]}],
                })
        for removed, _line in delta.removed:
            deltas_out.append({"spec": delta.id, "operation": "REMOVED",
                               "description": f"Remove requirement: {removed}",
                               "requirement": {"text": removed, "scenarios": []}, "requirements": []})
        for rename in delta.renamed:
            deltas_out.append({"spec": delta.id, "operation": "RENAMED",
                               "description": f"Rename requirement: {rename.old} -> {rename.new}",
                               "requirement": {"text": rename.new, "scenarios": []}, "requirements": [],
                               "rename": {"from": rename.old, "to": rename.new}})
    return {"id": name, "title": title, "deltaCount": len(deltas_out), "deltas": deltas_out}


def proposal_text(workspace: Workspace, name: str) -> str:
    path = workspace.change_dir(name) / "proposal.md"
    if not path.exists():
        return f"(change '{printable(name)}' has no proposal.md)\n"
    try:
        return read_text(path)
    except UnreadableFile as err:
        raise SpecledgerError(f"cannot read it: {err.reason}", path=workspace.rel(path), code="unreadable") from err


__all__ = ["read_delta"]

"""Requirement history: what each archived change did to each requirement, and when.

The archived deltas under ``changes/archive/`` are the record. They are read once, through the
same ``Validator`` that validates open changes (so an archived delta is read exactly as archive
read it), and replayed in date order: ADDED starts a requirement's lineage, MODIFIED and
RENAMED extend it (a rename carries the lineage to the new name), REMOVED ends it. The site,
``spec docs changelog`` and ``spec show --history`` all ask this module; none reads the archive
on its own.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from specledger.findings import Finding
from specledger.parse.files import UnreadableFile, read_markdown
from specledger.parse.proposal import read_proposal
from specledger.workspace import ARCHIVE_DIRNAME

if TYPE_CHECKING:
    from specledger.model import Delta
    from specledger.validate import DeltaFile, Validator

EventKind = Literal["ADDED", "MODIFIED", "REMOVED", "RENAMED"]

_DATED_RE = re.compile(r"^(\d{4}-\d{2}-\d{2})-(.+)$")


@dataclass(frozen=True)
class Event:
    """One thing one archived change did to one requirement."""

    kind: EventKind
    spec_id: str
    name: str  # the requirement's name after the event (the new name for RENAMED)
    archive: str  # folder name under changes/archive/
    date: str | None  # YYYY-MM-DD from the folder name, None when it has no date prefix
    path: str  # the delta spec that records it, relative to the workspace root
    line: int
    old_name: str | None = None  # RENAMED: the name before
    text: str | None = None  # ADDED / MODIFIED: the requirement block as recorded
    before: str | None = None  # MODIFIED: the block as the previous event recorded it, when known


@dataclass
class Lineage:
    """One requirement followed through renames, from the archive's point of view."""

    spec_id: str
    name: str  # its current name (or the name it had when removed)
    events: list[Event] = field(default_factory=list)
    removed: bool = False

    @property
    def last_text(self) -> str | None:
        return next((e.text for e in reversed(self.events) if e.text is not None), None)


@dataclass
class ArchivedChange:
    """An archived change folder and what could be read of it."""

    folder: str  # e.g. 2026-11-29-add-login
    change: str  # the name without the date prefix
    date: str | None
    path: Path
    title: str
    why: str | None
    deltas: list[DeltaFile]
    findings: list[Finding]
    events: list[Event] = field(default_factory=list)


@dataclass
class History:
    """Every archived change, oldest first, and every requirement lineage they describe."""

    archived: list[ArchivedChange]
    lineages: list[Lineage]
    _live: dict[tuple[str, str], Lineage] = field(default_factory=dict, repr=False)

    def of(self, spec_id: str, name: str) -> Lineage | None:
        """The lineage of the requirement currently called ``name`` in ``spec_id`` (None if unrecorded)."""
        return self._live.get((spec_id, name))

    def removed_from(self, spec_id: str) -> list[Lineage]:
        """Requirements of ``spec_id`` that an archived change removed, in removal order."""
        return [lin for lin in self.lineages if lin.spec_id == spec_id and lin.removed]


def split_folder_name(folder: str) -> tuple[str | None, str]:
    """``(date, change)`` from an archive folder name such as ``2026-11-29-add-login``."""
    match = _DATED_RE.match(folder)
    if match is None:
        return None, folder
    return match.group(1), match.group(2)


def archived_folders(validator: Validator) -> list[str]:
    """Names of the archived change folders, oldest first (undated ones last, by name)."""
    archive = validator.ws.archive_dir
    if not archive.is_dir():
        return []
    names = []
    for entry in os.scandir(archive):
        if entry.name.startswith(".") or not entry.is_dir(follow_symlinks=False):
            continue
        names.append(entry.name)

    def order(name: str) -> tuple[int, str, str]:
        date, _ = split_folder_name(name)
        return (0, date, name) if date else (1, "", name)

    return sorted(names, key=order)


def _read_archived(validator: Validator, folder: str) -> ArchivedChange:
    from specledger.validate import unreadable_finding

    ws = validator.ws
    path = ws.archive_dir / folder
    date, change = split_folder_name(folder)
    findings: list[Finding] = []
    title, why = change, None
    proposal = path / "proposal.md"
    if proposal.is_file():
        try:
            read = read_proposal(proposal, read_markdown(proposal))
            title, why = read.title or change, read.why
        except UnreadableFile as err:
            findings.append(unreadable_finding(err, ws))
    # The validator's delta reader takes a name under the changes folder; an archived change is
    # one level further down, so its name there is archive/<folder>.
    deltas, placement = validator.delta_files(f"{ARCHIVE_DIRNAME}/{folder}")
    findings.extend(placement)  # unreadable delta files are among these
    return ArchivedChange(folder, change, date, path, title, why, deltas, findings)


class _Replay:
    """Lineages as the archived deltas are applied one after another."""

    def __init__(self) -> None:
        self.lineages: list[Lineage] = []
        self.live: dict[tuple[str, str], Lineage] = {}

    def take(self, spec_id: str, name: str) -> Lineage:
        """The live lineage of ``name``, or a new one (the requirement predates the archive)."""
        found = self.live.pop((spec_id, name), None)
        if found is None:
            found = Lineage(spec_id, name)
            self.lineages.append(found)
        return found

    def apply(self, item: ArchivedChange, delta: Delta, rel: str) -> None:
        spec_id = delta.id

        def record(lineage: Lineage, kind: EventKind, name: str, line: int, *, old_name: str | None = None,
                   text: str | None = None, before: str | None = None) -> None:
            made = Event(kind, spec_id, name, item.folder, item.date, rel, line, old_name, text, before)
            lineage.events.append(made)
            item.events.append(made)

        # The order archive applies a delta in: RENAMED, REMOVED, MODIFIED, ADDED.
        for rename in delta.renamed:
            lineage = self.take(spec_id, rename.old)
            lineage.name = rename.new
            record(lineage, "RENAMED", rename.new, rename.line, old_name=rename.old)
            self.live[(spec_id, rename.new)] = lineage
        for name, line in delta.removed:
            lineage = self.take(spec_id, name)
            lineage.removed = True
            record(lineage, "REMOVED", name, line)
        for block in delta.modified:
            lineage = self.take(spec_id, block.name)
            record(lineage, "MODIFIED", block.name, block.line, text=block.text(), before=lineage.last_text)
            self.live[(spec_id, block.name)] = lineage
        for block in delta.added:
            lineage = self.take(spec_id, block.name)
            lineage.removed = False
            record(lineage, "ADDED", block.name, block.line, text=block.text())
            self.live[(spec_id, block.name)] = lineage


def build_history(validator: Validator) -> History:
    """Read every archived change once and replay its deltas into requirement lineages."""
    archived = [_read_archived(validator, folder) for folder in archived_folders(validator)]
    replay = _Replay()
    for item in archived:
        for delta_file in item.deltas:
            if delta_file.delta is not None:
                replay.apply(item, delta_file.delta, validator.ws.rel(delta_file.path))
    return History(archived, replay.lineages, replay.live)


__all__ = ["ArchivedChange", "Event", "History", "Lineage", "archived_folders", "build_history",
           "split_folder_name"]

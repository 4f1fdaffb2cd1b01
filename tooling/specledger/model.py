"""The typed model of OpenSpec artifacts. ``to_data()`` gives the plain data the JSON Schemas check."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from specledger.markdown import Document


@dataclass(slots=True)
class Scenario:
    name: str
    line: int
    text: str

    def to_data(self) -> dict[str, Any]:
        return {"name": self.name, "line": self.line, "text": self.text}


@dataclass(slots=True)
class Requirement:
    """A requirement as the section-tree reading of a main spec sees it."""

    title: str  # the heading text, e.g. "Requirement: Send email"
    line: int
    text: str
    scenarios: list[Scenario]

    def to_data(self) -> dict[str, Any]:
        return {
            "title": self.title,
            "name": re.sub(r"^Requirement:\s*", "", self.title, flags=re.IGNORECASE),
            "line": self.line,
            "text": self.text,
            "scenarios": [s.to_data() for s in self.scenarios],
        }


@dataclass(slots=True)
class Block:
    """A ``### Requirement:`` block as the block reader (archive, deltas) sees it."""

    name: str
    line: int  # 1-based line of the header
    lines: list[str]  # the header line and everything up to the next block or ## header
    body: list[str]  # trimmed, non-blank, non-fenced lines before the first heading
    scenarios: list[Scenario]  # #### headers with a body
    empty_scenario_headers: int = 0  # #### headers with nothing under them

    @property
    def header(self) -> str:
        return self.lines[0]

    def text(self) -> str:
        """The block as written, trailing blank lines dropped."""
        lines = list(self.lines)
        while lines and not lines[-1].strip():
            lines.pop()
        return "\n".join(lines)

    def to_data(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "line": self.line,
            "body": "\n".join(self.body),
            "scenarios": [s.to_data() for s in self.scenarios],
        }


@dataclass
class Spec:
    """A main spec (``specs/<id>/spec.md``)."""

    id: str
    path: Path
    doc: Document
    title: str
    purpose: str | None
    purpose_line: int | None
    requirements: list[Requirement] | None  # None: no Requirements section

    def to_data(self) -> dict[str, Any]:
        data: dict[str, Any] = {"id": self.id, "title": self.title}
        if self.purpose is not None:
            data["purpose"] = self.purpose
        if self.requirements is not None:
            data["requirements"] = [r.to_data() for r in self.requirements]
        return data


@dataclass
class Rename:
    old: str
    new: str
    line: int


@dataclass
class Delta:
    """A delta spec (``changes/<name>/specs/<id>/spec.md``)."""

    id: str
    path: Path
    doc: Document
    added: list[Block] = field(default_factory=list)
    modified: list[Block] = field(default_factory=list)
    removed: list[tuple[str, int]] = field(default_factory=list)
    renamed: list[Rename] = field(default_factory=list)
    section_titles: list[tuple[str, int]] = field(default_factory=list)  # delta sections found
    purpose: str | None = None
    purpose_line: int | None = None
    # what the reader noticed while reading (turned into findings by the rules)
    stray_headers: list[tuple[str, str, int]] = field(default_factory=list)  # (section, header, line)
    orphans: list[tuple[str, str | None, int]] = field(default_factory=list)  # (name, section, line)
    unpaired: list[tuple[str, str, int]] = field(default_factory=list)  # ("FROM"|"TO", name, line)

    @property
    def operation_count(self) -> int:
        return len(self.added) + len(self.modified) + len(self.removed) + len(self.renamed)

    def to_data(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "sections": [t for t, _ in self.section_titles],
            "added": [b.to_data() for b in self.added],
            "modified": [b.to_data() for b in self.modified],
            "removed": [{"name": n, "line": ln} for n, ln in self.removed],
            "renamed": [{"from": r.old, "to": r.new, "line": r.line} for r in self.renamed],
        }


@dataclass
class Proposal:
    path: Path
    title: str | None
    why: str | None
    why_line: int | None
    what_changes: str | None
    what_line: int | None

    def to_data(self) -> dict[str, Any]:
        data: dict[str, Any] = {}
        if self.why is not None:
            data["why"] = self.why
        if self.what_changes is not None:
            data["whatChanges"] = self.what_changes
        return data


@dataclass
class Task:
    line: int
    done: bool
    text: str
    task_id: str | None
    group: str | None  # the "N" of the enclosing "## N." heading


@dataclass
class Tasks:
    path: Path
    tasks: list[Task]
    list_items: int  # list items that are not checkboxes
    first_list_item_line: int | None

    @property
    def done(self) -> int:
        return sum(1 for t in self.tasks if t.done)

    @property
    def total(self) -> int:
        return len(self.tasks)

    def to_data(self) -> dict[str, Any]:
        return {
            "tasks": [{"line": t.line, "done": t.done, "text": t.text} for t in self.tasks],
            "listItems": self.list_items,
        }


@dataclass
class Design:
    path: Path
    doc: Document
    sections: list[str]

    def to_data(self) -> dict[str, Any]:
        return {"sections": self.sections, "text": self.doc.text.strip()}


@dataclass(frozen=True)
class ChangeMetadata:
    schema: str | None = None
    skip_specs: bool = False
    retire_capabilities: bool = False
    present: bool = False

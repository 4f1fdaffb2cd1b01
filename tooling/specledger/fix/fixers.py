"""The fixer table: each fixer is one mechanical, meaning-preserving rewrite with a stable code.

A fixer looks at a ``Draft`` (a file's lines without their endings, the endings, and whether the
file is a main spec or a delta spec) and returns ``Edit``s: a new content for a line, a new ending
for a line, or both. Fixers never add or remove lines and never write words of their own: each
edit only moves ``#`` marks, spacing, the case of a fixed keyword, list markers and ``**``, or line
endings. The planner proves every result before anything is written (``specledger.fix.proof``).

Patterns here run on file content, so each is linear: fixed prefixes and single whitespace runs
between literals, never two quantifiers over the same characters side by side.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Literal

from specledger.markdown import Document, js_trim, parse
from specledger.model import Block
from specledger.parse.blocks import ANY_HEADING_RE, REQUIREMENT_PREFIX_RE, normalize_name, split_requirements
from specledger.parse.delta import read_delta

FileKind = Literal["spec", "delta"]

DELTA_HEADER_RE = re.compile(r"^##[ \t]*(added|modified|removed|renamed)[ \t]+requirements[ \t]*$", re.IGNORECASE)
SPEC_SECTION_RE = re.compile(r"^##[ \t]*(purpose|requirements)[ \t]*$", re.IGNORECASE)
DELTA_SECTION_RE = re.compile(r"^##[ \t]*(purpose)[ \t]*$", re.IGNORECASE)
MISLEVELLED_SCENARIO_RE = re.compile(r"^(?:###|#####|######)[ \t]+scenario:", re.IGNORECASE)
# "- **Scenario:** name", "- **Scenario**: name" and "- **Scenario: name**" (list marker at column 0)
SCENARIO_BULLET_RE = re.compile(r"^[-*+][ \t]+\*\*scenario(?::\*\*|\*\*:|:)", re.IGNORECASE)
CANONICAL_SECTION = {"purpose": "Purpose", "requirements": "Requirements"}


@dataclass(frozen=True)
class Draft:
    """A file being fixed: ``lines[i]`` ends with ``endings[i]`` (the last ending may be empty)."""

    kind: FileKind
    lines: tuple[str, ...]
    endings: tuple[str, ...]

    @cached_property
    def document(self) -> Document:
        """The text parsed by the core reader (fences, headings), line for line."""
        return parse("\n".join(self.lines))


@dataclass(frozen=True)
class Edit:
    index: int  # 0-based line
    content: str | None = None  # new content of the line, or None to keep it
    ending: str | None = None  # new line ending, or None to keep it


@dataclass(frozen=True)
class Fixer:
    code: str  # stable: shown with every fix and in --json
    summary: str  # what it does, in a few words
    kinds: tuple[FileKind, ...]
    clears: tuple[str, ...]  # validate finding codes the defect typically causes
    find: Callable[[Draft], list[Edit]]


def _blocks(draft: Draft, doc: Document) -> list[Block]:
    """The requirement blocks the core readers see (ADDED/MODIFIED of a delta; a spec's Requirements)."""
    if draft.kind == "delta":
        delta = read_delta("", Path("spec.md"), doc)
        return [*delta.added, *delta.modified]
    return list(split_requirements(doc).blocks)


def _header_edits(draft: Draft, pattern: re.Pattern[str], canonical_of: Callable[[re.Match[str]], str]) -> list[Edit]:
    """One edit per ``##`` line outside fences that ``pattern`` matches and is not yet canonical."""
    doc = draft.document
    edits = []
    for i, line in enumerate(draft.lines):
        if doc.fenced[i] or not line.startswith("##"):
            continue
        match = pattern.match(line)
        if match:
            canonical = canonical_of(match)
            if line != canonical:
                edits.append(Edit(i, canonical))
    return edits


def delta_headers(draft: Draft) -> list[Edit]:
    """``##ADDED Requirements``, ``## added  requirements`` -> ``## ADDED Requirements``."""
    return _header_edits(draft, DELTA_HEADER_RE, lambda m: f"## {m.group(1).upper()} Requirements")


def section_headers(draft: Draft) -> list[Edit]:
    """``##Purpose``, ``## requirements`` -> ``## Purpose``, ``## Requirements`` (deltas: Purpose only)."""
    pattern = SPEC_SECTION_RE if draft.kind == "spec" else DELTA_SECTION_RE
    return _header_edits(draft, pattern, lambda m: f"## {CANONICAL_SECTION[m.group(1).lower()]}")


def _requirement_rest(line: str) -> str | None:
    match = REQUIREMENT_PREFIX_RE.match(line)
    if match is None:
        return None
    rest = line[match.end() :]
    return rest if normalize_name(rest) else None  # a nameless header is not ours to name


def requirement_prefix(draft: Draft) -> list[Edit]:
    """``###Requirement:Name``, ``### requirement: Name`` -> ``### Requirement: Name`` (name kept)."""
    doc = draft.document
    edits = []
    for i, line in enumerate(draft.lines):
        if doc.fenced[i] or not line.startswith("###"):
            continue
        rest = _requirement_rest(line)
        if rest is None:
            continue
        canonical = "### Requirement: " + rest.lstrip(" \t")
        if line != canonical:
            edits.append(Edit(i, canonical))
    return edits


def requirement_closing_hashes(draft: Draft) -> list[Edit]:
    """``### Requirement: Name ##`` -> ``### Requirement: Name`` (the name the readers match is kept)."""
    doc = draft.document
    edits = []
    for i, line in enumerate(draft.lines):
        if doc.fenced[i] or not line.startswith("###") or not line.rstrip().endswith("#"):
            continue
        rest = _requirement_rest(line)
        if rest is None:
            continue
        name = normalize_name(rest)
        if name != js_trim(rest):
            lead = rest[: len(rest) - len(rest.lstrip(" \t"))]
            edits.append(Edit(i, line[: len(line) - len(rest)] + lead + name))
    return edits


def scenario_levels(draft: Draft) -> list[Edit]:
    """``### Scenario: x`` / ``##### Scenario: x`` inside a requirement -> ``#### Scenario: x``."""
    doc = draft.document
    edits = []
    for block in _blocks(draft, doc):
        start = block.line - 1
        for i in range(start + 1, start + len(block.lines)):
            line = draft.lines[i]
            if not doc.fenced[i] and line.startswith("###") and MISLEVELLED_SCENARIO_RE.match(line):
                edits.append(Edit(i, "#### " + line.lstrip("#").lstrip(" \t")))
    return edits


def _bullet_scenario(line: str) -> str | None:
    """The heading a ``- **Scenario:** name`` bullet stands for, else ``None``."""
    match = SCENARIO_BULLET_RE.match(line)
    if match is None:
        return None
    marker = match.group(0)
    rest = line[match.end() :].strip()
    if marker.endswith(":") and not marker.endswith("**:"):  # "- **Scenario: name**"
        if not rest.endswith("**") or len(rest) <= 2:
            return None
        rest = rest[:-2].strip()
    if not rest or "**" in rest:
        return None
    return "#### Scenario: " + rest


def scenario_bullets(draft: Draft) -> list[Edit]:
    """``- **Scenario:** x`` in a requirement's text -> ``#### Scenario: x`` (its steps stay below it)."""
    doc = draft.document
    edits = []
    for block in _blocks(draft, doc):
        start = block.line - 1
        for i in range(start + 1, start + len(block.lines)):
            line = draft.lines[i]
            if doc.fenced[i]:
                continue
            if ANY_HEADING_RE.match(line):
                break  # only the requirement's own text: a bullet inside a scenario belongs to it
            heading = _bullet_scenario(line)
            if heading is not None:
                edits.append(Edit(i, heading))
    return edits


def dominant_ending(endings: tuple[str, ...]) -> str:
    """The most used line ending (ties: the one used first); LF for a file without any."""
    used = [e for e in endings if e]
    if not used:
        return "\n"
    counts = Counter(used)
    best = max(counts.values())
    return next(e for e in used if counts[e] == best)


def mixed_endings(draft: Draft) -> list[Edit]:
    """Lines ending in LF, CRLF and CR mixed in one file -> all in the file's dominant ending."""
    used = {e for e in draft.endings if e}
    if len(used) < 2:
        return []
    target = dominant_ending(draft.endings)
    return [Edit(i, ending=target) for i, e in enumerate(draft.endings) if e and e != target]


def final_newline(draft: Draft) -> list[Edit]:
    """A file whose last line has no ending gets the file's dominant one."""
    if draft.endings[-1] or not draft.lines[-1]:
        return []
    return [Edit(len(draft.lines) - 1, ending=dominant_ending(draft.endings))]


# Applied in this order; tests replace entries to prove that a wrong fixer is refused.
FIXERS: dict[str, Fixer] = {
    fixer.code: fixer
    for fixer in (
        Fixer("delta-header-form", "delta section header in canonical case and spacing", ("delta",),
              ("delta-no-sections", "delta-orphan-requirement", "delta-empty"), delta_headers),
        Fixer("section-header-form", "## Purpose / ## Requirements header in canonical case and spacing",
              ("spec", "delta"), ("spec-purpose-missing", "spec-requirements-missing"),
              section_headers),
        Fixer("requirement-header-form", '"### Requirement: " prefix in canonical case and spacing',
              ("spec", "delta"), (), requirement_prefix),
        Fixer("requirement-header-hashes", "closing # run removed from a requirement header", ("spec", "delta"),
              (), requirement_closing_hashes),
        Fixer("scenario-header-level", "scenario heading moved to level 4 (####)", ("spec", "delta"),
              ("delta-requirement-no-scenario", "delta-stray-header", "requirement-no-scenario"), scenario_levels),
        Fixer("scenario-bullet", "scenario bullet turned into a #### heading", ("spec", "delta"),
              ("delta-requirement-no-scenario", "requirement-no-scenario"), scenario_bullets),
        Fixer("line-endings-mixed", "line endings made uniform (the file's dominant one)", ("spec", "delta"), (),
              mixed_endings),
        Fixer("final-newline-missing", "final line ending added", ("spec", "delta"), (), final_newline),
    )
}

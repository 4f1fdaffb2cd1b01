"""The requirement-block reading of a markdown document (what archive and delta checks use).

A block starts at a ``### Requirement: <name>`` line (case-insensitive, the space after ``###``
optional) and runs to the next such line or the next ``## `` heading. Lines inside fenced code
never start or end anything.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from specledger.markdown import Document, js_trim
from specledger.model import Block, Scenario

REQUIREMENT_HEADER_RE = re.compile(r"^###\s*Requirement:\s*(.+?)\s*$", re.IGNORECASE)
NAMELESS_REQUIREMENT_RE = re.compile(r"^###\s*Requirement:\s*$", re.IGNORECASE)
H2_RE = re.compile(r"^##\s+")
H3_RE = re.compile(r"^###\s+(.+?)\s*$")
ANY_HEADING_RE = re.compile(r"^#{1,6}\s")
SCENARIO_RE = re.compile(r"^####\s+(.+?)\s*$")
REQUIREMENTS_SECTION_RE = re.compile(r"^##\s+Requirements\s*$", re.IGNORECASE)
ATX_CLOSING_RE = re.compile(r"[ \t]+#+$")


def normalize_name(raw: str) -> str:
    """A requirement name as matched: trailing ATX ``#`` run removed, trimmed."""
    return js_trim(ATX_CLOSING_RE.sub("", js_trim(raw)))


def fold_name(name: str) -> str:
    """Lower-case and collapse whitespace: only for near-miss detection."""
    return " ".join(name.lower().split())


def requirement_name(line: str) -> str | None:
    match = REQUIREMENT_HEADER_RE.match(line)
    if not match:
        return None
    name = normalize_name(match.group(1))
    return name or None


def read_block(doc: Document, start: int, end: int) -> Block:
    """The block whose header is on line ``start`` (0-based), ending before ``end``."""
    name = requirement_name(doc.lines[start]) or ""
    lines = doc.lines[start:end]
    body: list[str] = []
    scenarios: list[Scenario] = []
    empty_scenarios = 0
    in_body = True
    i = start + 1
    while i < end:
        line = doc.lines[i]
        if not doc.fenced[i] and ANY_HEADING_RE.match(line):
            in_body = False
            match = SCENARIO_RE.match(line)
            if match:
                j = i + 1
                content: list[str] = []
                while j < end and (doc.fenced[j] or not ANY_HEADING_RE.match(doc.lines[j])):
                    if doc.lines[j].strip():
                        content.append(doc.lines[j].rstrip())
                    j += 1
                if content:
                    scenarios.append(Scenario(js_trim(match.group(1)), i + 1, "\n".join(content)))
                else:
                    empty_scenarios += 1
                i = j
                continue
        elif in_body and not doc.fenced[i]:
            stripped = js_trim(line)
            if stripped:
                body.append(stripped)
        i += 1
    return Block(name, start + 1, lines, body, scenarios, empty_scenarios)


@dataclass
class SpecLayout:
    """A main spec split for rewriting: before / ``## Requirements`` / preamble / blocks / after."""

    header_index: int | None  # 0-based line of "## Requirements", None if absent
    end_index: int  # one past the section's last line
    preamble: list[str]
    blocks: list[Block]


def split_requirements(doc: Document) -> SpecLayout:
    """Locate the ``## Requirements`` section and its blocks (the first such section wins).

    The layout is computed once per document and shared (callers must not mutate it).
    """
    cached: SpecLayout | None = doc.__dict__.get("_layout")
    if cached is None:
        cached = _split_requirements(doc)
        doc.__dict__["_layout"] = cached
    return cached


def _split_requirements(doc: Document) -> SpecLayout:
    header = None
    for i, line in enumerate(doc.lines):
        if not doc.fenced[i] and REQUIREMENTS_SECTION_RE.match(line):
            header = i
            break
    if header is None:
        return SpecLayout(None, len(doc.lines), [], [])
    end = len(doc.lines)
    starts: list[int] = []
    for i in range(header + 1, len(doc.lines)):
        if doc.fenced[i]:
            continue
        line = doc.lines[i]
        if H2_RE.match(line):
            end = i
            break
        if REQUIREMENT_HEADER_RE.match(line):
            starts.append(i)
    preamble_end = starts[0] if starts else end
    blocks = [read_block(doc, s, starts[k + 1] if k + 1 < len(starts) else end) for k, s in enumerate(starts)]
    return SpecLayout(header, end, doc.lines[header + 1 : preamble_end], blocks)

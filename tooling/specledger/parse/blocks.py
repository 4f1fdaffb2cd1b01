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

# Every pattern here runs on file content, so each must run in linear time: none ends in
# ``(.+?)\s*$`` (which retries the whole trailing run of spaces at every character, quadratic in
# a long line) or puts two ``\s*`` side by side. Names are cut out with str.strip() instead,
# which trims exactly what ``\s`` matches.
REQUIREMENT_PREFIX_RE = re.compile(r"^###\s*Requirement:", re.IGNORECASE)
NAMELESS_REQUIREMENT_RE = re.compile(r"^###\s*Requirement:\s*$", re.IGNORECASE)
H2_RE = re.compile(r"^##\s+")
H3_RE = re.compile(r"^###\s.")  # "### " and at least one more character
ANY_HEADING_RE = re.compile(r"^#{1,6}\s")
SCENARIO_RE = re.compile(r"^####\s.")  # "#### " and at least one more character
REQUIREMENTS_SECTION_RE = re.compile(r"^##\s+Requirements\s*$", re.IGNORECASE)


def requirement_header_rest(line: str) -> str | None:
    """What follows ``Requirement:`` on a requirement header line (not empty), else ``None``.

    A header needs at least one character after the colon, even a space: ``### Requirement: ``
    starts a (nameless) block, ``### Requirement:`` does not, as in the reference.
    """
    if line[:3] != "###":
        return None  # the pattern needs "###" first: spares the regex on every other line
    match = REQUIREMENT_PREFIX_RE.match(line)
    if match is None or match.end() == len(line):
        return None
    return line[match.end() :]


def is_requirement_header(line: str) -> bool:
    """Whether the line starts a requirement block (named or not)."""
    return requirement_header_rest(line) is not None


def normalize_name(raw: str) -> str:
    """A requirement name as matched: trailing ATX ``#`` run removed, trimmed."""
    name = js_trim(raw)
    # A closing "#" run counts only after a space or tab (CommonMark); done with str methods
    # because the pattern "[ \t]+#+$" is quadratic on a long run of spaces.
    without_hashes = name.rstrip("#")
    if without_hashes != name:
        before = without_hashes.rstrip(" \t")
        if len(before) < len(without_hashes):
            name = before
    return js_trim(name)


def fold_name(name: str) -> str:
    """Lower-case and collapse whitespace: only for near-miss detection."""
    return " ".join(name.lower().split())


def requirement_name(line: str) -> str | None:
    """The requirement's name when the line is a named requirement header, else ``None``."""
    rest = requirement_header_rest(line)
    if rest is None:
        return None
    return normalize_name(rest) or None


def block_name(header: str) -> str:
    """The name of the block a requirement header line starts ("" for a nameless one)."""
    return requirement_name(header) or ""


def read_block(doc: Document, start: int, end: int) -> Block:
    """The block whose header is on line ``start`` (0-based), ending before ``end``."""
    name = block_name(doc.lines[start])
    lines = doc.lines[start:end]
    body: list[str] = []
    scenarios: list[Scenario] = []
    empty_scenarios = 0
    in_body = True
    i = start + 1
    all_lines, fenced = doc.lines, doc.fenced
    # Every heading pattern starts with "#": the cheap first-character test spares the regex on
    # all other lines.
    while i < end:
        line = all_lines[i]
        if line[:1] == "#" and not fenced[i] and ANY_HEADING_RE.match(line):
            in_body = False
            if SCENARIO_RE.match(line):
                j = i + 1
                content: list[str] = []
                while j < end:
                    text = all_lines[j]
                    if text[:1] == "#" and not fenced[j] and ANY_HEADING_RE.match(text):
                        break
                    if text.strip():
                        content.append(text.rstrip())
                    j += 1
                if content:
                    scenarios.append(Scenario(js_trim(line[4:]), i + 1, "\n".join(content)))
                else:
                    empty_scenarios += 1
                i = j
                continue
        elif in_body and not fenced[i]:
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
    return doc.memo("_layout", _split_requirements)


@dataclass(frozen=True)
class RequirementSpans:
    """Where a spec's ``## Requirements`` section and its blocks sit, without reading the blocks."""

    header_index: int | None  # 0-based line of "## Requirements", None if absent
    end_index: int  # one past the section's last line
    starts: list[int]  # 0-based header line of each block, in order

    def block_end(self, k: int) -> int:
        """One past the last line of block ``k``."""
        return self.starts[k + 1] if k + 1 < len(self.starts) else self.end_index

    @property
    def preamble_end(self) -> int:
        """One past the last line between the section's heading and its first block."""
        return self.starts[0] if self.starts else self.end_index


def requirement_spans(doc: Document) -> RequirementSpans:
    """The lines ``split_requirements`` cuts a document at (computed once per document)."""
    return doc.memo("_spans", _requirement_spans)


def _requirement_spans(doc: Document) -> RequirementSpans:
    lines, marks = doc.lines, doc.marks  # every pattern here starts with "#": only marked lines can match
    position = next((k for k, i in enumerate(marks) if REQUIREMENTS_SECTION_RE.match(lines[i])), None)
    if position is None:
        return RequirementSpans(None, len(lines), [])
    end = len(lines)
    starts: list[int] = []
    for i in marks[position + 1 :]:
        line = lines[i]
        if H2_RE.match(line):
            end = i
            break
        if is_requirement_header(line):
            starts.append(i)
    return RequirementSpans(marks[position], end, starts)


def _split_requirements(doc: Document) -> SpecLayout:
    spans = requirement_spans(doc)
    header, starts = spans.header_index, spans.starts
    if header is None:
        return SpecLayout(None, spans.end_index, [], [])
    blocks = [read_block(doc, start, spans.block_end(k)) for k, start in enumerate(starts)]
    return SpecLayout(header, spans.end_index, doc.lines[header + 1 : spans.preamble_end], blocks)

"""Delta spec reader: ``## ADDED|MODIFIED|REMOVED|RENAMED Requirements`` sections."""

from __future__ import annotations

import re
from pathlib import Path

from specledger.markdown import Document, js_trim
from specledger.model import Delta, Rename
from specledger.parse.blocks import (
    H3_RE,
    NAMELESS_REQUIREMENT_RE,
    normalize_name,
    read_block,
    requirement_name,
)

H2_TITLE_RE = re.compile(r"^##\s+(.+)$")
DELTA_KINDS = {
    "added requirements": "ADDED",
    "modified requirements": "MODIFIED",
    "removed requirements": "REMOVED",
    "renamed requirements": "RENAMED",
}
DELTA_HEADER_RE = re.compile(r"^##\s+(ADDED|MODIFIED|REMOVED|RENAMED)\s+Requirements", re.IGNORECASE | re.MULTILINE)
# Only the fixed prefix of a bullet is matched by a pattern (linear: no two optional whitespace
# runs side by side); the name after "Requirement:" is cut out by ``_bullet_name``.
REMOVED_BULLET_RE = re.compile(r"^\s*[-*+]\s*`?###\s*Requirement:", re.IGNORECASE)
FROM_RE = re.compile(r"^\s*(?:[-*+]\s*)?FROM:\s*`?###\s*Requirement:", re.IGNORECASE)
TO_RE = re.compile(r"^\s*(?:[-*+]\s*)?TO:\s*`?###\s*Requirement:", re.IGNORECASE)
SECTION_NAMES = {
    "ADDED": "ADDED Requirements",
    "MODIFIED": "MODIFIED Requirements",
    "REMOVED": "REMOVED Requirements",
    "RENAMED": "RENAMED Requirements",
}


def _bullet_name(pattern: re.Pattern[str], line: str) -> str | None:
    """The raw name after a bullet's ``Requirement:`` (one closing backtick dropped), else ``None``.

    The bullet needs at least one character after the colon; what it holds is the rest of the
    line, trimmed, without the backtick that closes an inline-code span.
    """
    match = pattern.match(line)
    if match is None or match.end() == len(line):
        return None
    name = line[match.end() :].strip()
    if len(name) >= 2 and name.endswith("`"):
        name = name[:-1]
    return name


def has_delta_header(text: str) -> bool:
    return DELTA_HEADER_RE.search(text) is not None


def read_delta(spec_id: str, path: Path, doc: Document) -> Delta:
    """Read every delta section of a delta spec, in document order (repeated sections merge)."""
    delta = Delta(spec_id, path, doc)
    # (kind or None, title, header index, end index) for each "## " section
    sections: list[tuple[str | None, str, int, int]] = []
    starts = [
        (i, js_trim(m.group(1)))
        for i, line in enumerate(doc.lines)
        if line[:1] == "#" and not doc.fenced[i] and (m := H2_TITLE_RE.match(line))
    ]
    for k, (i, title) in enumerate(starts):
        end = starts[k + 1][0] if k + 1 < len(starts) else len(doc.lines)
        sections.append((DELTA_KINDS.get(title.lower()), title, i, end))
        if title.lower() == "purpose":
            text = js_trim("\n".join(doc.lines[i + 1 : end]))
            if text and delta.purpose is None:
                delta.purpose, delta.purpose_line = text, i + 1
    first = starts[0][0] if starts else len(doc.lines)
    for i in range(first):
        name = requirement_name(doc.lines[i]) if doc.lines[i][:1] == "#" and not doc.fenced[i] else None
        if name:
            delta.orphans.append((name, None, i + 1))
    for kind, title, start, end in sections:
        if kind is None:
            for i in range(start + 1, end):
                name = requirement_name(doc.lines[i]) if doc.lines[i][:1] == "#" and not doc.fenced[i] else None
                if name:
                    delta.orphans.append((name, title, i + 1))
            continue
        delta.section_titles.append((title, start + 1))
        if kind in ("ADDED", "MODIFIED"):
            _read_blocks(doc, delta, kind, start, end)
        elif kind == "REMOVED":
            _read_removed(doc, delta, start, end)
        else:
            _read_renamed(doc, delta, start, end)
    return delta


def _read_blocks(doc: Document, delta: Delta, kind: str, start: int, end: int) -> None:
    heads: list[int] = []
    for i in range(start + 1, end):
        line = doc.lines[i]
        if line[:1] != "#" or doc.fenced[i]:
            continue  # every header pattern starts with "#"
        if requirement_name(line):
            heads.append(i)
        elif NAMELESS_REQUIREMENT_RE.match(line) or (H3_RE.match(line) and not line.startswith("####")):
            delta.stray_headers.append((SECTION_NAMES[kind], js_trim(line[3:]), i + 1))
    target = delta.added if kind == "ADDED" else delta.modified
    for k, head in enumerate(heads):
        block_end = heads[k + 1] if k + 1 < len(heads) else end
        target.append(read_block(doc, head, block_end))


def _read_removed(doc: Document, delta: Delta, start: int, end: int) -> None:
    for i in range(start + 1, end):
        if doc.fenced[i]:
            continue
        line = doc.lines[i]
        name = requirement_name(line)
        if name is None:
            bullet = _bullet_name(REMOVED_BULLET_RE, line)
            name = normalize_name(bullet) if bullet is not None else None
        if name:
            delta.removed.append((name, i + 1))


def _read_renamed(doc: Document, delta: Delta, start: int, end: int) -> None:
    pending: tuple[str, int] | None = None
    for i in range(start + 1, end):
        if doc.fenced[i]:
            continue
        line = doc.lines[i]
        old_name = _bullet_name(FROM_RE, line)
        new_name = _bullet_name(TO_RE, line) if old_name is None else None
        if old_name is not None:
            if pending is not None:
                delta.unpaired.append(("FROM", pending[0], pending[1]))
            pending = (normalize_name(old_name), i + 1)
        elif new_name is not None:
            new = normalize_name(new_name)
            if pending is None:
                delta.unpaired.append(("TO", new, i + 1))
            else:
                delta.renamed.append(Rename(pending[0], new, pending[1]))
                pending = None
    if pending is not None:
        delta.unpaired.append(("FROM", pending[0], pending[1]))

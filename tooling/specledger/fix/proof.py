"""The round-trip check every fix must pass before it is written (mdformat's ``is_md_equal``, for specs).

Both texts are parsed by the core readers and compared:

1. every word of the file stays, in order (case aside): nothing is added, lost or moved;
2. the requirement headers name the same requirements, in the same order;
3. every requirement the readers saw before is still seen, in the same section, with the same
   statement and every scenario it had (same title, same steps, same order). Two changes are what
   the fixes are for and are allowed: a requirement the readers could not see (under a broken
   section header) becomes visible, and a requirement gains scenarios the readers could not see
   (a mis-levelled heading, or a ``- **Scenario:**`` bullet whose lines leave the statement's end
   and come back, word for word, as the first new scenarios);
4. a Purpose that was read stays the same; REMOVED and RENAMED entries stay.

``check`` returns ``None`` when the new text means what the old one did, else the reason.
"""

from __future__ import annotations

import re
from pathlib import Path

from specledger.fix.fixers import FileKind
from specledger.markdown import Document, parse
from specledger.model import Block, Scenario
from specledger.parse.blocks import requirement_name, split_requirements
from specledger.parse.delta import read_delta
from specledger.parse.spec import read_spec

WORD_RE = re.compile(r"\w+")


def words(text: str) -> list[str]:
    return WORD_RE.findall(text.casefold())


def _word_problem(before: str, after: str) -> str | None:
    old, new = words(before), words(after)
    if old == new:
        return None
    at = next((i for i, (a, b) in enumerate(zip(old, new, strict=False)) if a != b), min(len(old), len(new)))
    was = old[at] if at < len(old) else "(end of file)"
    now = new[at] if at < len(new) else "(end of file)"
    return f'the words of the file would change (word {at + 1}: "{was}" would become "{now}")'


def _header_names(doc: Document) -> list[str]:
    return [name for i, line in enumerate(doc.lines)
            if not doc.fenced[i] and (name := requirement_name(line)) is not None]


def _scenario_words(scenarios: list[Scenario]) -> list[str]:
    return [w for s in scenarios for w in words(s.name) + words(s.text)]


def _requirement_problem(where: str, old: Block, new: Block) -> str | None:
    """``None`` when ``new`` is ``old`` with only invisible scenarios made visible."""
    moved = 0  # scenarios at the start of new.scenarios that came out of old's statement
    if new.body != old.body:
        kept = len(new.body)
        if kept >= len(old.body) or old.body[:kept] != new.body:
            return f'the text of requirement "{old.name}" ({where}) would change'
        tail = words("\n".join(old.body[kept:]))
        taken: list[str] = []
        while moved < len(new.scenarios) and len(taken) < len(tail):
            taken += _scenario_words([new.scenarios[moved]])
            moved += 1
        if taken != tail:
            return (f'lines leaving the text of requirement "{old.name}" ({where}) do not come back as its '
                    "first scenarios, word for word")
    remaining = iter(new.scenarios[moved:])
    for scenario in old.scenarios:
        if not any(s.name == scenario.name and s.text == scenario.text for s in remaining):
            return f'scenario "{scenario.name}" of requirement "{old.name}" ({where}) would change or be lost'
    return None


def _blocks_problem(where: str, old_blocks: list[Block], new_blocks: list[Block]) -> str | None:
    used = [False] * len(new_blocks)
    for old in old_blocks:
        match = next((k for k, b in enumerate(new_blocks) if not used[k] and b.name == old.name), None)
        if match is None:
            return f'requirement "{old.name}" ({where}) would no longer be read'
        used[match] = True
        problem = _requirement_problem(where, old, new_blocks[match])
        if problem:
            return problem
    return None


def _delta_problem(before: Document, after: Document) -> str | None:
    old, new = read_delta("", Path("spec.md"), before), read_delta("", Path("spec.md"), after)
    for where, old_blocks, new_blocks in (("ADDED", old.added, new.added), ("MODIFIED", old.modified, new.modified)):
        problem = _blocks_problem(where, old_blocks, new_blocks)
        if problem:
            return problem
    missing_removed = [n for n, _ in old.removed if n not in {m for m, _ in new.removed}]
    if missing_removed:
        return f'REMOVED "{missing_removed[0]}" would no longer be read'
    new_renames = {(r.old, r.new) for r in new.renamed}
    lost = [r for r in old.renamed if (r.old, r.new) not in new_renames]
    if lost:
        return f'RENAMED "{lost[0].old}" -> "{lost[0].new}" would no longer be read'
    if old.purpose is not None and old.purpose != new.purpose:
        return "the Purpose would change"
    return None


def _spec_problem(before: Document, after: Document) -> str | None:
    problem = _blocks_problem("Requirements", split_requirements(before).blocks, split_requirements(after).blocks)
    if problem:
        return problem
    old_purpose = read_spec("", Path("spec.md"), before).purpose
    if old_purpose is not None and old_purpose != read_spec("", Path("spec.md"), after).purpose:
        return "the Purpose would change"
    return None


def check(kind: FileKind, before: str, after: str) -> str | None:
    """Why ``after`` does not mean what ``before`` means, or ``None`` when it does."""
    problem = _word_problem(before, after)
    if problem:
        return problem
    old_doc, new_doc = parse(before), parse(after)
    if _header_names(old_doc) != _header_names(new_doc):
        return "the requirement headers would name different requirements"
    return _delta_problem(old_doc, new_doc) if kind == "delta" else _spec_problem(old_doc, new_doc)

"""The merge of one delta into one main spec: pure text in, text out.

Order of operations: RENAMED, then REMOVED, then MODIFIED, then ADDED. Renamed and modified
blocks keep their position, removed blocks are dropped, added blocks are appended in delta
order; the text before, around and after the requirements is kept.
"""

from __future__ import annotations

import bisect
import re
from collections import Counter, deque
from collections.abc import Iterator
from dataclasses import dataclass, field

from specledger.markdown import Document, parse
from specledger.model import Block, Delta
from specledger.parse.blocks import fold_name, split_requirements

FENCE_RE = re.compile(r"^\s{0,3}(`{3,}|~{3,})")


@dataclass(frozen=True)
class Conflict:
    """One reason archive must refuse a delta, at a line of the delta file when there is one."""

    message: str
    line: int | None = None


class MergeError(Exception):
    """Archive must refuse this delta: every conflict found, each naming the spec and requirement."""

    def __init__(self, conflicts: list[Conflict] | str) -> None:
        listed = [Conflict(conflicts)] if isinstance(conflicts, str) else list(conflicts)
        self.conflicts = sorted(listed, key=lambda c: c.line or 0)  # in the order of the file
        super().__init__("; ".join(c.message for c in self.conflicts))


@dataclass
class MergeResult:
    added: int = 0
    modified: int = 0
    removed: int = 0
    renamed: int = 0
    warnings: list[str] = field(default_factory=list)
    # The spec as archive would leave it, holding only the requirements this delta wrote (see
    # ``focused_text``); None when that shortcut does not apply. Filled only when asked for.
    focused: str | None = None
    # What ``text`` is composed from, until it is first asked for (validation often never does)
    _parts: tuple[Document, int, int, list[str], list[Block | None]] | None = field(default=None, repr=False)
    _text: str | None = field(default=None, repr=False)

    @property
    def text(self) -> str:
        """The spec as archive would write it: LF line endings, exactly one final newline."""
        if self._text is None:
            assert self._parts is not None, "a merge result has its text or its parts"
            self._text = _recompose(*self._parts)
            self._parts = None
        return self._text


def header_of(name: str) -> str:
    return f"### Requirement: {name}"


def prechecks(delta: Delta) -> list[str]:
    """Conflicts inside one delta that make it unmergeable (each becomes a finding or a refusal)."""
    return [c.message for c in precheck_conflicts(delta)]


def precheck_conflicts(delta: Delta) -> list[Conflict]:
    """``prechecks`` with the delta line of each conflict (its second occurrence, for duplicates)."""
    problems: list[Conflict] = []
    added_lines = {b.name: b.line for b in delta.added}
    modified_lines = {b.name: b.line for b in delta.modified}
    removed_lines = dict(delta.removed)
    for kind, entries in (
        ("ADDED", [(b.name, b.line) for b in delta.added]),
        ("MODIFIED", [(b.name, b.line) for b in delta.modified]),
        ("REMOVED", list(delta.removed)),
        ("RENAMED FROM", [(r.old, r.line) for r in delta.renamed]),
        ("RENAMED TO", [(r.new, r.line) for r in delta.renamed]),
    ):
        counts = Counter(name for name, _ in entries)
        seen: set[str] = set()
        reported: set[str] = set()
        label = f"as a {kind}" if kind.startswith("RENAMED") else f"in {kind}"
        for name, line in entries:
            if name in seen and name not in reported:
                problems.append(Conflict(f'"{name}" appears {counts[name]} times {label}', line))
                reported.add(name)
            seen.add(name)
    added, modified, removed = set(added_lines), set(modified_lines), set(removed_lines)
    removed_folded = {fold_name(n): n for n in removed}
    for name in sorted(modified & removed):
        problems.append(Conflict(f'"{name}" is both MODIFIED and REMOVED', removed_lines[name]))
    for name in sorted(modified & added):
        problems.append(Conflict(f'"{name}" is both MODIFIED and ADDED', added_lines[name]))
    for name in sorted(added & removed):
        problems.append(Conflict(f'"{name}" is both ADDED and REMOVED', removed_lines[name]))
    for rename in delta.renamed:
        if rename.old in modified:
            problems.append(Conflict(
                f'MODIFIED uses the old name "{rename.old}"; after the RENAMED it is "{rename.new}"',
                modified_lines[rename.old]))
        if rename.new in added:
            problems.append(Conflict(f'RENAMED target "{rename.new}" is also ADDED', added_lines[rename.new]))
        if removed_folded.get(fold_name(rename.old)) is not None:
            problems.append(Conflict(f'"{rename.old}" is both RENAMED and REMOVED', rename.line))
    return problems


def _near_miss(name: str, names: list[str]) -> str | None:
    folded = fold_name(name)
    return next((n for n in names if n != name and fold_name(n) == folded), None)


# A run of blank lines (spaces only) after a first one. Linear: each repetition starts at a
# newline and its class stops at the next one, so no character is tried twice by one match.
_BLANK_RUN_RE = re.compile(r"^([^\S\n]*)(?:\n[^\S\n]*)+$", re.MULTILINE)


def collapse_blank_runs(text: str) -> str:
    """``text`` with each run of blank lines outside fenced code cut to its first line."""
    if "```" in text or "~~~" in text:
        return "\n".join(_collapse_blank_runs(text.split("\n")))
    return _BLANK_RUN_RE.sub(r"\1", text)  # no fence: every run goes, and a regex is far cheaper


def _collapse_blank_runs(lines: list[str]) -> list[str]:
    out: list[str] = []
    fence: str | None = None
    for line in lines:
        match = FENCE_RE.match(line) if ("```" in line or "~~~" in line) else None
        if fence is None and match:
            fence = match.group(1)
        elif fence is not None and match and match.group(1)[0] == fence[0] and len(match.group(1)) >= len(fence):
            fence = None
        if fence is None and not line.strip() and out and not out[-1].strip():
            continue
        out.append(line)
    return out


def skeleton(spec_id: str, purpose: str) -> str:
    return f"# {spec_id} Specification\n\n## Purpose\n{purpose}\n\n## Requirements\n"


def merge_delta(spec_id: str, current: Document | None, delta: Delta, change: str, *,
                focus: bool = False) -> MergeResult:
    """Apply ``delta`` to the current main spec (``None`` when the capability is new).

    Raises ``MergeError`` when archive must refuse; never touches the filesystem. With ``focus``,
    ``result.focused`` is filled as ``focused_text`` says.
    """
    base_doc = current
    result = MergeResult()
    conflicts: list[Conflict] = []
    for side, name, line in delta.unpaired:
        other = "TO" if side == "FROM" else "FROM"
        conflicts.append(Conflict(f'{spec_id}: RENAMED {side} "{name}" on line {line} has no matching {other}: line',
                                  line))
    for name, section, line in delta.orphans:
        where = f'under "## {section}"' if section else "above the first ## section"
        result.warnings.append(
            f'{spec_id}: requirement "{name}" (line {line}) is {where}, not in a delta section; not applied')
    conflicts.extend(Conflict(f"{spec_id}: {c.message}", c.line) for c in precheck_conflicts(delta))
    if conflicts:
        # Conflicts inside the delta make its operations ambiguous: report them before judging
        # the operations against the spec.
        raise MergeError(conflicts)
    if delta.operation_count == 0:
        raise MergeError(f"{spec_id}: the delta has no ADDED, MODIFIED, REMOVED or RENAMED requirement to apply")

    if current is None:
        if delta.modified or delta.renamed:
            raise MergeError(
                f"{spec_id}: the main spec does not exist, so only ADDED requirements can create it "
                "(MODIFIED and RENAMED need an existing spec)"
            )
        if delta.removed:
            result.warnings.append(f"{spec_id}: {len(delta.removed)} REMOVED requirement(s) ignored for a new spec")
        # (a change folder's name that is not UTF-8 goes into the text as the escapes `spec list` shows)
        named = change.encode("utf-8", "backslashreplace").decode("utf-8")
        purpose = delta.purpose or f"TBD - created by archiving change {named}. Update Purpose after archive."
        current = parse(skeleton(spec_id, purpose))
    else:
        from specledger.rules.spec import structure_findings

        structural = structure_findings(current, "spec.md")
        if structural:
            first = structural[0]
            raise MergeError(
                f"{spec_id}: the main spec is structurally invalid and cannot be updated until fixed "
                f"(line {first.line}: {first.message})"
            )

    layout = split_requirements(current)
    if layout.header_index is None:
        raise MergeError(f"{spec_id}: the main spec has no '## Requirements' section to merge into")
    blocks: list[Block | None] = list(layout.blocks)

    def names() -> list[str]:
        return [b.name for b in blocks if b is not None]

    def index_of(name: str) -> int | None:
        return next((i for i, b in enumerate(blocks) if b is not None and b.name == name), None)

    for rename in delta.renamed:
        at = index_of(rename.old)
        if at is None:
            if index_of(rename.new) is not None:
                continue  # already renamed
            near = _near_miss(rename.old, names())
            hint = f', but "{header_of(near)}" exists; fix the header to match it exactly' if near else ""
            conflicts.append(Conflict(f'{spec_id}: RENAMED source "{header_of(rename.old)}" not found{hint}',
                                      rename.line))
            continue
        if index_of(rename.new) is not None:
            conflicts.append(Conflict(f'{spec_id}: RENAMED target "{header_of(rename.new)}" already exists',
                                      rename.line))
            continue
        near = _near_miss(rename.new, names())
        if near is not None and near != rename.old:
            conflicts.append(Conflict(
                f'{spec_id}: RENAMED target "{header_of(rename.new)}" differs from the existing '
                f'"{header_of(near)}" only in case or spacing; choose a distinct name', rename.line))
            continue
        old = blocks[at]
        assert old is not None
        blocks[at] = Block(rename.new, old.line, [header_of(rename.new), *old.lines[1:]], old.body, old.scenarios,
                           old.empty_scenario_headers)
        result.renamed += 1

    for name, line in delta.removed:
        at = index_of(name)
        if at is None:
            near = _near_miss(name, names())
            if near is not None:
                conflicts.append(Conflict(
                    f'{spec_id}: REMOVED "{header_of(name)}" not found, but "{header_of(near)}" exists; '
                    "fix the header to match it exactly", line))
                continue
            result.warnings.append(f'{spec_id}: REMOVED requirement "{name}" is not in the spec; already removed')
            continue
        blocks[at] = None
        result.removed += 1

    for block in delta.modified:
        at = index_of(block.name)
        if at is None:
            near = _near_miss(block.name, names())
            hint = f', but "{header_of(near)}" exists; fix the header to match it exactly' if near else ""
            conflicts.append(Conflict(
                f'{spec_id}: MODIFIED "{header_of(block.name)}" not found in the main spec{hint}', block.line))
            continue
        old = blocks[at]
        assert old is not None
        missing = list((Counter(s.name for s in old.scenarios) - Counter(s.name for s in block.scenarios)).elements())
        if missing:
            listed = ", ".join(f'"{m}"' for m in missing)
            conflicts.append(Conflict(
                f'{spec_id}: MODIFIED "{block.name}" would drop scenario(s) the main spec has: {listed}; '
                "copy them into the MODIFIED block (it replaces the whole requirement)", block.line))
            continue
        if old.text().strip() != block.text().strip():
            result.modified += 1
        blocks[at] = block

    for block in delta.added:
        at = index_of(block.name)
        if at is not None:
            existing = blocks[at]
            assert existing is not None
            if existing.text().strip() == block.text().strip():
                continue  # already there, identical
            conflicts.append(Conflict(
                f'{spec_id}: ADDED "{header_of(block.name)}" already exists with different text', block.line))
            continue
        near = _near_miss(block.name, names())
        if near is not None:
            conflicts.append(Conflict(
                f'{spec_id}: ADDED "{header_of(block.name)}" differs from the existing "{header_of(near)}" '
                "only in case or spacing; use MODIFIED with that exact header, or choose a distinct name",
                block.line))
            continue
        blocks.append(block)
        result.added += 1

    if conflicts:
        raise MergeError(conflicts)

    result._parts = (current, layout.header_index, layout.end_index, layout.preamble, blocks)
    if focus and base_doc is not None:
        result.focused = focused_text(base_doc, blocks)
    return result


# -- the focused spec ----------------------------------------------------------------------------
#
# Checking the spec a delta produces is most of what validating a change costs, and most of that
# spec is the current one, unchanged and already checked. ``focused_text`` gives the produced
# spec without the requirements the delta left alone: the text before, around and after them
# stays, so every whole-spec rule sees what it sees in the full text. It does so only where each
# requirement reads the same wherever it stands (see ``_isolated``), so that a rule's finding on
# a written requirement is the same in both texts, and a finding on an unchanged one is one the
# current spec already has. The validator uses it only to learn that the produced spec has no
# new finding; when it has one, the full text is checked for the exact message, line and order.

_FOCUS_TITLES = ("purpose", "requirements")


def focused_text(current: Document, blocks: list[Block | None]) -> str | None:
    """The produced spec with only the blocks the delta wrote (or one kept block, when it wrote
    none but some remain); ``None`` when requirements might not read the same in both texts."""
    layout = split_requirements(current)
    if layout.header_index is None or not _isolated(current):
        return None
    originals = {id(b) for b in layout.blocks}
    kept = [b for b in blocks if b is not None]
    names = [b.name for b in kept]
    if len(set(names)) != len(names):
        return None  # a duplicate's message names a line, which differs between the texts
    written = [b for b in kept if id(b) not in originals]
    if not all(_block_isolated(b.lines) for b in written):
        return None
    chosen: list[Block | None] = list(written or kept[:1])
    return _recompose(current, layout.header_index, layout.end_index, layout.preamble, chosen)


def _isolated(doc: Document) -> bool:
    """Whether the current spec's requirements section is made of self-contained blocks (memoised).

    The text has no fence. The section-tree reading and the block reading agree on the
    ``## Requirements`` section; inside it every heading is level 3 or deeper and none is titled
    Purpose or Requirements (those readers take the first such heading anywhere) or has no title
    at all (the only finding whose message names a requirement by its position, the schema's on
    an empty text, needs one, and a removal before it would change that message); every block
    starts with a level-3 heading; the section ends at a real heading of level 1 or 2 (or at the
    end); and the Purpose section does not reach into it.
    """
    return doc.memo("_isolated", _check_isolated)


def _check_isolated(doc: Document) -> bool:
    if "```" in doc.text or "~~~" in doc.text:
        return False  # a fence can swallow the text after it: nothing is local any more
    layout = split_requirements(doc)
    header, end = layout.header_index, layout.end_index
    if header is None:
        return False
    sections = doc.find_sections("Requirements")
    if not sections or sections[0].line - 1 != header:
        return False
    if end < len(doc.lines):
        closing = doc.heading_at(end)
        if closing is None or closing.level > 2:
            return False
    purposes = doc.find_sections("Purpose")
    if purposes and purposes[0].start <= header < purposes[0].end:
        return False
    for heading in doc.headings:
        if header < heading.line - 1 < end and (heading.level < 3 or heading.title.lower() in _FOCUS_TITLES
                                                or not heading.title):
            return False  # (a heading without a title is a requirement the schema reports by its index)
    for block in layout.blocks:
        first = doc.heading_at(block.line - 1)
        if first is None or first.level != 3:
            return False
    return True


def _block_isolated(lines: list[str]) -> bool:
    """Whether a written block reads the same wherever it stands (see ``_isolated``)."""
    from specledger.markdown import HEADING_RE, js_trim
    from specledger.parse.blocks import H2_RE, is_requirement_header

    for index, line in enumerate(lines):
        if "```" in line or "~~~" in line:
            return False  # (see _check_isolated)
        if line[:1] != "#":
            continue
        match = HEADING_RE.match(line)
        if index == 0:
            if match is None or len(match.group(1)) != 3:
                return False
        elif is_requirement_header(line) or H2_RE.match(line):
            return False
        if match is not None and (len(match.group(1)) < 3 or js_trim(match.group(2)).lower() in _FOCUS_TITLES):
            return False
    return True


def _recompose(doc: Document, header: int, end: int, preamble: list[str], blocks: list[Block | None]) -> str:
    before = "\n".join(doc.lines[:header]).rstrip()
    after = "\n".join(doc.lines[end:]).strip()
    parts = ["\n".join(preamble).strip(), *(b.text().strip() for b in blocks if b is not None)]
    middle = "\n\n".join(p for p in parts if p)
    head = doc.lines[header]
    pieces = [p for p in (before, f"{head}\n\n{middle}" if middle else head, after) if p]
    return collapse_blank_runs("\n\n".join(pieces)).rstrip() + "\n"


_LINE_END_RE = re.compile(r"(\r\n|\r|\n)")

# The most (old lines x new lines) handed to difflib at once. difflib compares up to about that
# many pairs of lines (~20 ms on one shared core for 500 x 500 identical lines, measured); a
# larger middle is aligned in O(n log n) instead (see ``_kept_lines``).
_DIFFLIB_BUDGET = 250_000


def encode_like(text: str, old_raw: str, bom: bool) -> bytes:
    """The bytes to write for LF ``text`` replacing ``old_raw``, keeping its line endings line by line.

    A file with one kind of line ending gets it everywhere. In a file that mixes them, each line
    kept from the old text keeps its own ending and each new line gets the most common one, so
    archive never rewrites the endings of lines it did not change.

    Which lines were kept is found by aligning the old lines with the new, and difflib alone is
    quadratic (a 75 KB spec with mixed endings took 45 s to archive). So the lines both texts
    start and end with are paired first, and difflib aligns only what lies between them, when that
    is small (``_DIFFLIB_BUDGET``): an archive usually changes one stretch of a spec, which difflib
    aligns as it always did. A larger middle is aligned as patience diff does, in O(n log n):
    lines found exactly once on each side anchor it, the stretches between anchors are aligned the
    same way, and one still too large for difflib is matched greedily in order. Where a repeated
    line makes the alignment a guess, the guess may differ from difflib's; every ending written is
    still the most common one or one the old file had for that text (or CR, for a blank line after
    a lone CR: LF there would make one CRLF of the two and lose the blank line).
    """
    pieces = _LINE_END_RE.split(old_raw.removeprefix("\ufeff"))
    contents, endings = pieces[0::2], pieces[1::2]
    kinds = Counter(endings)
    if len(kinds) <= 1:
        return encode(text, next(iter(kinds), "\n"), bom)
    dominant = kinds.most_common(1)[0][0]
    lines = text.split("\n")
    chosen = [dominant] * len(lines)
    # Only lines that end are aligned: the text after the last newline gets no ending anyway
    for old, new in _kept_lines(contents, lines, (0, len(endings)), (0, len(lines) - 1)):
        chosen[new] = endings[old]
    for at in range(len(lines) - 2):
        if chosen[at] == "\r" and chosen[at + 1] == "\n" and not lines[at + 1]:
            chosen[at + 1] = "\r"  # CR then LF would read as one CRLF, and the blank line would be lost
    body = "".join(line + ending for line, ending in zip(lines[:-1], chosen[:-1], strict=True)) + lines[-1]
    return (("\ufeff" if bom else "") + body).encode("utf-8")


def _kept_lines(old: list[str], new: list[str], old_span: tuple[int, int], new_span: tuple[int, int],
                between_anchors: bool = False) -> Iterator[tuple[int, int]]:
    """Pairs (old index, new index) of equal lines within the spans, in order in both.

    O(n log n) outside difflib, which is never given more than ``_DIFFLIB_BUDGET`` pairs at once:
    a middle too large for it is cut at anchors, once; a stretch between them that is still too
    large is matched greedily.
    """
    (old_lo, old_hi), (new_lo, new_hi) = old_span, new_span
    while old_lo < old_hi and new_lo < new_hi and old[old_lo] == new[new_lo]:
        yield old_lo, new_lo
        old_lo, new_lo = old_lo + 1, new_lo + 1
    tail = 0
    while old_lo < old_hi - tail and new_lo < new_hi - tail and old[old_hi - 1 - tail] == new[new_hi - 1 - tail]:
        tail += 1
    old_hi, new_hi = old_hi - tail, new_hi - tail
    pairs = (old_hi - old_lo) * (new_hi - new_lo)
    if 0 < pairs <= _DIFFLIB_BUDGET:
        import difflib  # only for files that mix line endings

        matcher = difflib.SequenceMatcher(None, old[old_lo:old_hi], new[new_lo:new_hi], autojunk=False)
        for old_at, new_at, size in matcher.get_matching_blocks():
            yield from ((old_lo + old_at + k, new_lo + new_at + k) for k in range(size))
    elif pairs and between_anchors:
        yield from _greedy_pairs(old, new, (old_lo, old_hi), (new_lo, new_hi))
    elif pairs:
        old_from, new_from = old_lo, new_lo
        for old_at, new_at in _anchors(old, new, (old_lo, old_hi), (new_lo, new_hi)):
            yield from _kept_lines(old, new, (old_from, old_at), (new_from, new_at), between_anchors=True)
            yield old_at, new_at
            old_from, new_from = old_at + 1, new_at + 1
        yield from _kept_lines(old, new, (old_from, old_hi), (new_from, new_hi), between_anchors=True)
    yield from ((old_hi + k, new_hi + k) for k in range(tail))


def _anchors(old: list[str], new: list[str], old_span: tuple[int, int],
             new_span: tuple[int, int]) -> list[tuple[int, int]]:
    """Lines found exactly once in each span, as (old index, new index): the longest run in order in both."""
    once_old, once_new = _once(old, *old_span), _once(new, *new_span)
    pairs = [(once_old[line], at) for line, at in once_new.items() if line in once_old]  # by new index
    # Longest increasing subsequence of old indices (patience sorting): ends[k] is the pair ending
    # the best run of length k + 1 so far, and before[p] the pair preceding pair p in its run
    ends: list[int] = []
    end_keys: list[int] = []
    before: list[int] = []
    for index, (old_at, _new_at) in enumerate(pairs):
        length = bisect.bisect_left(end_keys, old_at)
        before.append(ends[length - 1] if length else -1)
        if length == len(ends):
            ends.append(index)
            end_keys.append(old_at)
        else:
            ends[length], end_keys[length] = index, old_at
    run: list[tuple[int, int]] = []
    at = ends[-1] if ends else -1
    while at >= 0:
        run.append(pairs[at])
        at = before[at]
    return run[::-1]


def _once(lines: list[str], lo: int, hi: int) -> dict[str, int]:
    """The lines of ``lines[lo:hi]`` found there exactly once, with their index."""
    seen: dict[str, int] = {}
    for at in range(lo, hi):
        seen[lines[at]] = -1 if lines[at] in seen else at
    return {line: at for line, at in seen.items() if at >= 0}


def _greedy_pairs(old: list[str], new: list[str], old_span: tuple[int, int],
                  new_span: tuple[int, int]) -> Iterator[tuple[int, int]]:
    """Each new line paired with the next old line of the same text after the last one paired."""
    where: dict[str, deque[int]] = {}
    for at in range(*old_span):
        where.setdefault(old[at], deque()).append(at)
    after = old_span[0]
    for new_at in range(*new_span):
        queue = where.get(new[new_at])
        while queue and queue[0] < after:
            queue.popleft()
        if queue:
            after = queue.popleft() + 1
            yield after - 1, new_at


def encode(text: str, newline: str, bom: bool) -> bytes:
    """The bytes to write: LF text converted to the target's line endings."""
    if newline != "\n":
        text = text.replace("\n", newline)
    return (("\ufeff" if bom else "") + text).encode("utf-8")

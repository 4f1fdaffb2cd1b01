"""The redline of a change: the archive plan rendered, requirement by requirement.

The plan (``specledger.archive.plan``) already holds, for every spec a change touches, the text
before and the text archive would write. This module only lines the two up: requirement blocks
are paired by name (following the delta's renames), unpaired old blocks are removed, unpaired
new ones added, and a paired block whose text differs is marked word by word. It computes no
spec text of its own.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal, NamedTuple, Protocol

from markupsafe import Markup, escape

from specledger.archive.plan import SpecUpdate
from specledger.markdown import Document, parse
from specledger.model import Delta
from specledger.parse.blocks import block_name, requirement_spans, split_requirements
from specledger.site.markup import whole_html, word_diff_html

BlockKind = Literal["added", "modified", "removed", "renamed", "unchanged"]


class RedlineBlock(NamedTuple):
    """One requirement in a redline (a tuple: a redline holds thousands, made fast)."""

    kind: BlockKind
    name: str  # the name it has after archive (the old name for a removed one)
    old_name: str | None  # the name before, when renamed
    header: Markup  # the "### Requirement:" line, marked when renamed
    body: Markup  # the rest of the block, marked where it changes


@dataclass(frozen=True)
class Redline:
    """One spec as archiving would leave it, with what changes marked."""

    spec_id: str
    action: str  # create / update / delete / unchanged (the plan's word)
    head: Markup  # title, Purpose and the "## Requirements" line
    blocks: tuple[RedlineBlock, ...]
    tail: Markup  # whatever follows the requirements section
    head_changed: bool = False
    tail_changed: bool = False

    def count(self, kind: BlockKind) -> int:
        return sum(1 for b in self.blocks if b.kind == kind)


class _Named(Protocol):
    """A requirement block as a redline needs it: a ``Block``, or a ``_Span`` of a produced spec."""

    @property
    def name(self) -> str: ...

    @property
    def lines(self) -> list[str]: ...


@dataclass(frozen=True)
class _Span:
    name: str
    lines: list[str]


@dataclass(frozen=True)
class _Side:
    head: str
    blocks: Sequence[_Named]
    tail: str


def _side(text: str | None, parsed: Document | None = None) -> _Side:
    if text is None:
        return _Side("", (), "")
    if parsed is not None and parsed.text == text:
        doc = parsed  # the current spec, whose blocks the validator has read already
        layout = split_requirements(doc)
        header, end, preamble = layout.header_index, layout.end_index, layout.preamble
        blocks: Sequence[_Named] = layout.blocks
    else:
        # The spec archive would write: only where its blocks start and end is needed, not
        # their scenarios and bodies (``read_block``), which a redline never looks at.
        doc = parse(text)
        spans = requirement_spans(doc)
        header, end = spans.header_index, spans.end_index
        preamble = doc.lines[header + 1 : spans.preamble_end] if header is not None else []
        blocks = [_Span(block_name(doc.lines[start]), doc.lines[start : spans.block_end(k)])
                  for k, start in enumerate(spans.starts)]
    if header is None:
        return _Side(text.rstrip("\n"), (), "")
    head = "\n".join([*doc.lines[: header + 1], *preamble]).rstrip()
    tail = "\n".join(doc.lines[end:]).strip("\n")
    return _Side(head, blocks, tail)


def _body(block: _Named) -> str:
    """The block after its header line, without the blank lines around it (``Block.text`` minus line one)."""
    lines = block.lines
    end = len(lines)
    while end > 1 and not lines[end - 1].strip():
        end -= 1
    return "\n".join(lines[1:end]).strip("\n")


class Reuse:
    """What the redlines rendered in one process share: the unchanged requirements of main specs.

    Most requirements of a spec that a change touches are left as they are, and a large
    repository has many changes touching the same spec: an unchanged requirement is the same
    text, escaped the same way, in redline after redline. Keyed by the main spec's own block
    (which the validator keeps while it runs), held here so that its id is not reused.
    """

    def __init__(self) -> None:
        self._bodies: dict[int, tuple[_Named, Markup]] = {}
        self._html: dict[tuple[str, str, str | None, str], str] = {}

    def unchanged_body(self, block: _Named) -> Markup:
        kept = self._bodies.get(id(block))
        if kept is None or kept[0] is not block:
            kept = self._bodies[id(block)] = (block, escape(_body(block)))
        return kept[1]

    def block_html(self, block: RedlineBlock, anchor: str, link: str | None) -> str:
        """``block_html``, kept for unchanged requirements."""
        if block.kind != "unchanged":
            return block_html(block, anchor, link)
        key = (block.name, anchor, link, block.body)
        html = self._html.get(key)
        if html is None:
            html = self._html[key] = block_html(block, anchor, link)
        return html


def block_html(block: RedlineBlock, anchor: str, link: str | None) -> str:
    """One requirement of a redline, as the change page shows it (HTML).

    ``anchor`` is its id on the page and ``link`` where its current text is, if anywhere (both
    escaped here too, though ``specledger.site.pages`` makes them of slugs and percent-quoted
    paths). Made here rather than in the page's template: a large site has thousands of blocks,
    and jinja2's work per expression (an attribute lookup and an escape for each value) was most
    of the change pages' template time.
    """
    kind, header, body = block.kind, block.header, block.body
    anchor = escape(anchor)
    link = escape(link) if link else None
    if kind == "unchanged":
        current = f' \u00b7 <a href="{link}">current</a>' if link else ""
        return (f'<details class="block block-unchanged" id="{anchor}" data-kind="unchanged">\n'
                f"<summary>{escape(block.name)}{current}</summary>\n"
                f'<pre class="src">{header}\n{body}</pre>\n</details>\n')
    current = f' \u00b7 <a href="{link}">current text</a>' if link else ""
    return (f'<div class="block block-{kind}" id="{anchor}" data-kind="{kind}">\n'
            f'<p class="block-label"><span class="kind kind-{kind}">{kind.upper()}</span>{current}</p>\n'
            f'<pre class="src">{header}\n{body}</pre>\n</div>\n')


def _header(name: str) -> str:
    return f"### Requirement: {name}"


@lru_cache(maxsize=4096)
def _header_html(name: str) -> Markup:
    """The header line of ``name``, escaped (the same requirement is in redline after redline)."""
    return escape(_header(name))


def _text_diff(old: str, new: str, *, created: bool, deleted: bool) -> Markup:
    if created:
        return whole_html(new, "ins")
    if deleted:
        return whole_html(old, "del")
    return word_diff_html(old, new)


def redline(update: SpecUpdate, delta: Delta | None, current: Document | None = None,
            reuse: Reuse | None = None) -> Redline:
    """Line up ``update.old_text`` and ``update.new_text`` requirement by requirement.

    ``current`` is the main spec as the validator already parsed it; it is used for the old
    side when its text is the plan's old text, so that text is not parsed twice. ``reuse``
    keeps what redlines of one process have in common.
    """
    reuse = reuse or Reuse()
    created = update.old_text is None
    deleted = update.new_text is None
    old, new = _side(update.old_text, current), _side(update.new_text, current)
    renames = {r.old: r.new for r in delta.renamed} if delta is not None else {}

    waiting: dict[str, list[_Named]] = {}
    for block in new.blocks:
        waiting.setdefault(block.name, []).append(block)

    def claim(name: str) -> _Named | None:
        queue = waiting.get(name)
        return queue.pop(0) if queue else None

    blocks: list[RedlineBlock] = []
    paired: set[int] = set()
    for before in old.blocks:
        target = renames.get(before.name)
        after = claim(target) if target is not None else None
        if after is None:
            after = claim(before.name)
        if after is None:
            blocks.append(RedlineBlock("removed", before.name, None, whole_html(_header(before.name), "del"),
                                       whole_html(_body(before), "del")))
            continue
        paired.add(id(after))
        if after.lines == before.lines:  # most blocks of a spec a change touches are untouched
            blocks.append(RedlineBlock("unchanged", after.name, None, _header_html(after.name),
                                       reuse.unchanged_body(before)))
            continue
        new_body, old_body = _body(after), _body(before)
        if after.name != before.name:
            header = Markup(f"### Requirement: <del>{escape(before.name)}</del><ins>{escape(after.name)}</ins>")
            blocks.append(RedlineBlock("renamed", after.name, before.name, header, word_diff_html(old_body, new_body)))
        elif old_body != new_body:
            blocks.append(RedlineBlock("modified", after.name, None, _header_html(after.name),
                                       word_diff_html(old_body, new_body)))
        else:  # the same body, with other blank lines around it
            blocks.append(RedlineBlock("unchanged", after.name, None, _header_html(after.name), escape(new_body)))
    for after in new.blocks:
        if id(after) not in paired:
            blocks.append(RedlineBlock("added", after.name, None, whole_html(_header(after.name), "ins"),
                                       whole_html(_body(after), "ins")))
    return Redline(
        update.spec_id,
        update.action,
        _text_diff(old.head, new.head, created=created, deleted=deleted),
        tuple(blocks),
        _text_diff(old.tail, new.tail, created=created, deleted=deleted),
        head_changed=old.head != new.head,
        tail_changed=old.tail != new.tail,
    )


@dataclass(frozen=True)
class RecordedEntry:
    """One entry of an archived delta, marked the way a redline marks it."""

    kind: BlockKind
    name: str
    old_name: str | None
    header: Markup
    body: Markup
    previous_known: bool  # MODIFIED: whether the archive holds the text it replaced


def recorded_entries(delta: Delta, previous: dict[tuple[str, int], str | None] | None = None) -> list[RecordedEntry]:
    """An archived delta as redline entries (the spec before it is not kept, so no full redline).

    ``previous`` maps (requirement name, delta line) of a MODIFIED entry to the text the
    archive recorded for it before this change, when there is one: the body is then marked
    word by word against it.
    """
    entries: list[RecordedEntry] = []
    known = previous or {}
    for rename in delta.renamed:
        header = Markup(f"### Requirement: <del>{escape(rename.old)}</del><ins>{escape(rename.new)}</ins>")
        entries.append(RecordedEntry("renamed", rename.new, rename.old, header, Markup(""), True))
    for name, _line in delta.removed:
        entries.append(RecordedEntry("removed", name, None, whole_html(_header(name), "del"), Markup(""), True))
    for block in delta.modified:
        prior = known.get((block.name, block.line))
        body = _body(block)
        if prior is not None:
            prior_body = "\n".join(prior.split("\n")[1:]).strip("\n")
            marked = word_diff_html(prior_body, body)
        else:
            marked = Markup(escape(body))
        entries.append(RecordedEntry("modified", block.name, None, Markup(escape(_header(block.name))), marked,
                                     prior is not None))
    for block in delta.added:
        entries.append(RecordedEntry("added", block.name, None, whole_html(_header(block.name), "ins"),
                                     whole_html(_body(block), "ins"), True))
    return entries


__all__ = ["RecordedEntry", "Redline", "RedlineBlock", "Reuse", "block_html", "recorded_entries", "redline"]

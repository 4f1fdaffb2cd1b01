"""Turning user-written text into safe HTML: markdown, anchors and word-level redlines.

Everything a repository's authors wrote passes through here before it reaches a template, and
leaves as ``Markup`` only after escaping: markdown-it-py runs with raw HTML disabled (a
``<script>`` in a spec is shown as text, never executed) and its own link check (no
``javascript:`` URLs); ``simple_markdown``, which writes the same bytes for plain documents,
accepts no ``<`` outside a code span and escapes all it copies; word diffs escape every token
they emit.
"""

from __future__ import annotations

import difflib
import re
from functools import cache, lru_cache
from typing import TYPE_CHECKING

from markupsafe import Markup, escape

from specledger.site.simple_markdown import Block, simple_blocks

if TYPE_CHECKING:
    from markdown_it import MarkdownIt
    from markdown_it.token import Token

# Linear-time: alternatives of single character classes, each repeated greedily. A word or a
# punctuation character carries the spaces after it: the diff then matches words, not the
# spaces between them (half the tokens, and no token as common as " "), which is about twice as
# fast and marks a run of changed words as one edit instead of word by word.
_TOKEN_RE = re.compile(r"\w+[ \t]*|[^\w\s][ \t]*|\s+")
_SLUG_DROP_RE = re.compile(r"[^\w]+")
_CHECKBOX_RE = re.compile(r"^\[([ xX]?)\]\s")
# Word diffs are quadratic in the worst case; past this many tokens a side is shown whole.
MAX_DIFF_TOKENS = 4000
MAX_DIFF_LINES = 2000


@cache
def _parser(extended: bool = True) -> MarkdownIt:
    # imported here: a site whose documents are all plain (``simple_markdown``) never needs it
    from markdown_it import MarkdownIt

    # "commonmark" with html off: raw HTML blocks and inline tags become escaped text.
    parser = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})
    if extended:
        parser.enable("table")
        parser.enable("strikethrough")
    return parser


def _parser_for(text: str) -> MarkdownIt:
    """The plain parser when ``text`` cannot hold a table or a strikethrough (same output, less work)."""
    return _parser("|" in text or "~" in text)


def _mark_checkboxes(tokens: list[Token]) -> None:
    """Show ``[ ]`` / ``[x]`` at the start of a list item as a box, the way readers expect."""
    for index, token in enumerate(tokens):
        if token.type != "inline" or not token.children or index < 2:
            continue
        if tokens[index - 2].type != "list_item_open":
            continue
        first = token.children[0]
        if first.type != "text":
            continue
        match = _CHECKBOX_RE.match(first.content)
        if match:
            box = "\u2611 " if match.group(1) in ("x", "X") else "\u2610 "
            first.content = box + first.content[match.end():]


def _shift_headings(tokens: list[Token], shift: int) -> None:
    for token in tokens:
        if token.type in ("heading_open", "heading_close"):
            token.tag = f"h{max(1, min(6, int(token.tag[1:]) + shift))}"


def markdown_blocks(text: str, *, shift: int = 0, top: int | None = None) -> list[Block]:
    """``text`` (markdown) as its top-level blocks of HTML, with any raw HTML in it escaped.

    ``shift`` lowers every heading by that many levels, so a document's ``#`` title sits under
    the page's own headings. ``top`` instead lowers (or raises) them so that the document's
    highest heading becomes ``h<top>``, whatever level it was written at: a proposal that starts
    at ``## Why`` then skips no level under the page's own ``h2``. A plain document is written by
    ``simple_blocks``, any other by :func:`markdown_it_blocks`; the bytes are the same.
    """
    simple = simple_blocks(text, shift if top is None else 0)
    if simple is None:
        return markdown_it_blocks(text, shift=shift, top=top)
    if top is not None:
        levels = [int(block.heading[1]) for block in simple if block.heading is not None]
        if levels and min(levels) != top:
            simple = [_retagged(block, top - min(levels)) for block in simple]
    return simple


def _retagged(block: Block, shift: int) -> Block:
    """A heading block of ``simple_blocks`` (``<hN>...</hN>``) moved ``shift`` levels; others as they are."""
    if block.heading is None:
        return block
    tag = f"h{max(1, min(6, int(block.heading[1]) + shift))}"
    inner = block.html[len(block.heading) + 2 : -(len(block.heading) + 4)]  # between <hN> and </hN>\n
    return Block(block.line, tag, f"<{tag}>{inner}</{tag}>\n")


def markdown_it_blocks(text: str, *, shift: int = 0, top: int | None = None) -> list[Block]:
    """:func:`markdown_blocks` by markdown-it, whatever the document.

    Each top-level block is rendered on its own, which gives the bytes rendering the whole token
    stream gives: the renderer only looks across a block's edge at a hidden token, and no
    top-level token is hidden.
    """
    parser = _parser_for(text)
    tokens = parser.parse(text)
    _mark_checkboxes(tokens)
    if top is not None:
        levels = [int(token.tag[1:]) for token in tokens if token.type == "heading_open"]
        shift = top - min(levels) if levels else 0
    if shift:
        _shift_headings(tokens, shift)
    blocks: list[Block] = []
    start = 0
    for index, token in enumerate(tokens):
        if index > start and token.level == 0 and token.nesting >= 0 and token.map is not None:
            blocks.append(_block(parser, tokens[start:index]))
            start = index
    if start < len(tokens):
        blocks.append(_block(parser, tokens[start:]))
    return blocks


def _block(parser: MarkdownIt, tokens: list[Token]) -> Block:
    first = tokens[0]
    heading = first.tag if first.type == "heading_open" else None
    line = first.map[0] if first.map is not None else 0
    return Block(line, heading, parser.renderer.render(tokens, parser.options, {}))


def markdown_html(text: str, *, shift: int = 0, top: int | None = None) -> Markup:
    """``text`` (markdown) as HTML, with any raw HTML in it escaped (see :func:`markdown_blocks`)."""
    return blocks_html(markdown_blocks(text, shift=shift, top=top))


def markdown_sections(text: str, starts: list[int]) -> list[list[Block]]:
    """``text``'s blocks, cut at the given 0-based line indices (ascending).

    Returns ``len(starts) + 1`` lists: what precedes ``starts[0]``, then one list per start. A
    block belongs to the section in which its first line falls; parsing a whole spec once is
    much cheaper than parsing each requirement on its own.
    """
    sections: list[list[Block]] = [[] for _ in range(len(starts) + 1)]
    current = 0
    for block in markdown_blocks(text):
        while current < len(starts) and block.line >= starts[current]:
            current += 1
        sections[current].append(block)
    return sections


def drop_leading_heading(blocks: list[Block], tag: str | None = None) -> list[Block]:
    """``blocks`` without a first heading (of level ``tag`` when given): the page shows its own."""
    if blocks and blocks[0].heading is not None and (tag is None or blocks[0].heading == tag):
        return blocks[1:]
    return blocks


def blocks_html(blocks: list[Block]) -> Markup:
    """The HTML of blocks from :func:`markdown_blocks` (already escaped there)."""
    return Markup("".join(block.html for block in blocks))


@lru_cache(maxsize=8192)
def slug(text: str) -> str:
    """A fragment-safe form of ``text``: lower case, runs of non-word characters become ``-``.

    (Kept for the names a large site slugs on page after page.)"""
    value = _SLUG_DROP_RE.sub("-", text.lower()).strip("-_")
    return value or "item"


class Anchors:
    """Unique ids within one page: the first ``x`` is ``x``, the next ``x-2``, and so on.

    An id already taken (a literal ``x-2`` earlier on the page, say) is skipped.
    """

    def __init__(self) -> None:
        self._used: set[str] = set()
        # wanted -> the first suffix not yet tried for it: every ``wanted-k`` below it is taken,
        # so counting up from 2 again for each duplicate (quadratic in the number of duplicates
        # of one name) is never needed. A taken id ``x-k`` is passed over at most once, for the
        # one ``x`` it is a suffix of, so taking n ids costs O(n) in all.
        self._next: dict[str, int] = {}

    def take(self, wanted: str) -> str:
        if wanted not in self._used:
            self._used.add(wanted)
            return wanted
        number = self._next.get(wanted, 2)
        candidate = f"{wanted}-{number}"
        while candidate in self._used:
            number += 1
            candidate = f"{wanted}-{number}"
        self._next[wanted] = number + 1
        self._used.add(candidate)
        return candidate


def tokens(text: str) -> list[str]:
    """The units of a word diff: a word or a punctuation character with the spaces and tabs
    after it, or any other run of whitespace (line breaks)."""
    return _TOKEN_RE.findall(text)


def word_diff_html(old: str, new: str) -> Markup:
    """``new`` with the words that differ from ``old`` marked ``<del>`` (gone) and ``<ins>`` (new).

    Lines are matched first and only the lines that changed are compared word by word: most of
    a modified requirement (its scenarios) is usually untouched, and a word diff over the whole
    block spends its time matching the same spaces and bullets again and again.
    """
    if old == new:
        return Markup(escape(new))
    a_lines, b_lines = old.splitlines(keepends=True), new.splitlines(keepends=True)
    if len(a_lines) > MAX_DIFF_LINES or len(b_lines) > MAX_DIFF_LINES:
        return whole_html(old, "del") + whole_html(new, "ins")
    out: list[str] = []
    matcher = difflib.SequenceMatcher(None, a_lines, b_lines, autojunk=False)
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op == "equal":
            out.append(str(escape("".join(a_lines[i1:i2]))))
        else:
            out.append(str(_words_diff_html("".join(a_lines[i1:i2]), "".join(b_lines[j1:j2]))))
    return Markup("".join(out))


def _words_diff_html(old: str, new: str) -> Markup:
    a, b = tokens(old), tokens(new)
    if len(a) > MAX_DIFF_TOKENS or len(b) > MAX_DIFF_TOKENS:
        return whole_html(old, "del") + whole_html(new, "ins")
    out: list[str] = []
    matcher = difflib.SequenceMatcher(None, a, b, autojunk=False)
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op == "equal":
            out.append(str(escape("".join(a[i1:i2]))))
            continue
        gone, added = "".join(a[i1:i2]), "".join(b[j1:j2])
        # spaces that end both sides of a replaced run are not part of the change
        kept = len(gone) - len(gone.rstrip(" \t"))
        kept = min(kept, len(added) - len(added.rstrip(" \t"))) if gone and added else 0
        if kept and gone[-kept:] == added[-kept:]:
            gone, added, after = gone[:-kept], added[:-kept], gone[-kept:]
        else:
            after = ""
        if gone:
            out.append(f"<del>{escape(gone)}</del>")
        if added:
            out.append(f"<ins>{escape(added)}</ins>")
        out.append(after)
    return Markup("".join(out))


def whole_html(text: str, tag: str) -> Markup:
    """``text`` escaped and wrapped whole in ``<ins>`` or ``<del>`` (nothing for empty text)."""
    if not text:
        return Markup("")
    if tag not in ("ins", "del"):
        raise ValueError(f"not a redline mark: {tag}")
    return Markup(f"<{tag}>{escape(text)}</{tag}>")


__all__ = ["Anchors", "Block", "blocks_html", "drop_leading_heading", "markdown_blocks", "markdown_html",
           "markdown_it_blocks", "markdown_sections", "slug", "tokens", "whole_html", "word_diff_html"]

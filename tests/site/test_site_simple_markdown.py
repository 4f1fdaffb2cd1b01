"""The markdown the site writes itself is exactly what markdown-it writes, or it is not written at all."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from markdown_it import MarkdownIt
from site_support import ARCHIVE_ONE, ARCHIVE_TWO, BILLING_SPEC, CURRENT_SPEC
from specledger.site.markup import markdown_blocks, markdown_it_blocks
from specledger.site.simple_markdown import simple_blocks

REPO = Path(__file__).resolve().parents[2]

# Line starts that open (or nearly open) every kind of block, and inline pieces that are plain,
# nearly plain, or one character away from another construct.
STARTS = ["", "- ", "1. ", "2. ", "3) ", "10. ", "# ", "## ", "###### ", "####### ", "#", " ", "  ", "   ",
          "    ", "> ", "* ", "+ ", "-", "- - ", "--- ", "===", "=", "- [ ] ", "- [x] ", "- [X] ", "- [] ",
          "- [ ]  ", "[ ] ", "1.", "**", "***", "___", "_", "  - ", "  1. ", "- # ", "- 1. ", "1. [ ] ", "`",
          "``", ":", "\u00a0", "<", "&"]
PIECES = ["word", "The system SHALL", "1.1", "x", "é名", " ", "  ", ".", ",", ":", "(", ")", '"', "'", ">", "!", "#",
          "**WHEN**", "**a b**", "**a**b**", "a**b**c", "**x**", "** x**", "**x **", "*x*", "***x***", "**",
          "*", "_x_", "snake_case", "__x__", "`code`", "`a*b_c`", "` x`", "`x `", "`<b>&`", "`", "``x``", "~",
          "~~x~~", "|", "[ ]", "[x]", "[link](u)", "<b>", "&amp;", "\\", "\\*", "\t", "\u00a0", "\u2028", "\x00",
          "\r", "http://e.com", "a@b.c", "2. item"]
# What the site writes itself, and the lines around it: most documents made of these are
# accepted, so they are compared rather than refused.
PLAIN_STARTS = ["", "", "", "", "- ", "- ", "- ", "1. ", "4. ", "2) ", "# ", "## ", "#### ", "- [ ] ", "- [x] ", "  "]
PLAIN_PIECES = ["word", "The system SHALL", "1.1", "é名", ".", ",", ":", "(x)", '"q"', "it's", "a > b", "!", "#1",
                "**WHEN**", "**a b**", "a**b**c", "**x**", "`code`", "`a*b_c`", "`<b>&`", "`~`"]


def _line(starts: list[str], pieces: list[str], joiner: str, least: int) -> st.SearchStrategy[str]:
    return st.tuples(st.sampled_from(starts), st.lists(st.sampled_from(pieces), min_size=least, max_size=6)).map(
        lambda parts: parts[0] + joiner.join(parts[1]))


noisy_line = _line(STARTS, PIECES, "", 0)
plain_line = st.one_of(st.just(""), _line(PLAIN_STARTS, PLAIN_PIECES, " ", 1))
documents = st.lists(noisy_line, max_size=12).map("\n".join)
plain_documents = st.tuples(_line(PLAIN_STARTS[:4], PLAIN_PIECES, " ", 1), st.lists(
    st.one_of(plain_line, plain_line, plain_line, plain_line, plain_line, noisy_line), max_size=11),
).map(lambda doc: "\n".join([doc[0], *doc[1]]))


def _same_as_markdown_it(text: str, shift: int = 0) -> bool:
    """True when the site writes ``text`` itself; then its blocks must be markdown-it's."""
    simple = simple_blocks(text, shift)
    if simple is None:
        return False
    assert simple == markdown_it_blocks(text, shift=shift), text
    return True


@settings(max_examples=2000, deadline=None)
@given(text=st.one_of(documents, plain_documents), shift=st.sampled_from([0, 2, 5]))
@example(text="- a\nb\n- c", shift=0)
@example(text="- a\n\n  b", shift=0)
@example(text="a\n---", shift=0)
@example(text="- [ ]  x", shift=0)
@example(text="3. a\n4. b\n\n# h", shift=2)
@example(text="**WHEN****a b** x**a**b**c**", shift=0)
@example(text="1. a\n   b\n2) c", shift=0)
def test_what_the_site_writes_itself_is_what_markdown_it_writes(text: str, shift: int) -> None:
    _same_as_markdown_it(text, shift)
    _same_as_markdown_it(text + "\n", shift)


@settings(max_examples=1000, deadline=None)
@given(text=st.one_of(documents, plain_documents), top=st.sampled_from([1, 3, 6]))
@example(text="## Why\nBecause.\n\n#### Detail\nx", top=3)
@example(text="> ## quoted\n\n### after", top=3)
def test_headings_placed_at_a_level_are_the_same_whichever_writer(text: str, top: int) -> None:
    """``top`` gives the document's highest heading that level, the others keeping their distance
    below it (at most h6), in what the site writes itself as in what markdown-it writes."""
    blocks = markdown_blocks(text, top=top)
    assert blocks == markdown_it_blocks(text, top=top), text
    # every heading counts, a quoted one too: the highest of them is the one placed at ``top``
    written = [int(t.tag[1:]) for t in MarkdownIt("commonmark").enable("table").parse(text) if t.type == "heading_open"]
    levels = [int(b.heading[1]) for b in markdown_it_blocks(text) if b.heading is not None]
    placed = [int(b.heading[1]) for b in blocks if b.heading is not None]
    if written:
        assert placed == [max(1, min(6, level - min(written) + top)) for level in levels]
        assert min(written) not in levels or min(placed) == top


@pytest.mark.parametrize("text", [
    CURRENT_SPEC, BILLING_SPEC, ARCHIVE_ONE, ARCHIVE_TWO,
    "## Why\nBecause.\n\n## What Changes\n- one `spec validate` flag\n- two\n",
    "## 1. Group\n- [ ] 1.1 first **WHEN** done\n- [x] 1.2 second\n  continued\n## 2. Next\n1. a\n2. b\n",
])
def test_common_documents_are_written_by_the_site_and_match(text: str) -> None:
    if "<script>" in text:
        assert simple_blocks(text) is None  # raw HTML is markdown-it's to escape
    else:
        assert _same_as_markdown_it(text), "a plain document went to markdown-it"


def test_our_own_specs_and_changes_render_the_same_either_way() -> None:
    written = 0
    for path in sorted([*(REPO / "specs").rglob("*.md"), *(REPO / "changes").rglob("*.md")]):
        text = path.read_text(encoding="utf-8")
        written += _same_as_markdown_it(text) + _same_as_markdown_it(text, 2)
    assert written > 0

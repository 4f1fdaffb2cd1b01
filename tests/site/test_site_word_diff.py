"""The word-level redline: dropping its insertions gives the old text back, dropping its deletions the new."""

from __future__ import annotations

import html
import re

from hypothesis import given, settings
from hypothesis import strategies as st
from specledger.site.markup import word_diff_html

WORDS = st.sampled_from(["The", "system", "SHALL", "send", "an", "email", "<b>", "&", "\n", " ", "  ", ".", "-",
                         "#### Scenario: x\n", "- **WHEN** y\n", "naïve", "名前"])
TEXT = st.lists(WORDS, max_size=40).map("".join)


def _without(marked: str, tag: str) -> str:
    other = "del" if tag == "ins" else "ins"
    kept = re.sub(rf"<{tag}>.*?</{tag}>", "", marked, flags=re.S)
    return html.unescape(re.sub(rf"</?{other}>", "", kept))


@settings(max_examples=300, deadline=None)
@given(old=TEXT, new=TEXT)
def test_redline_holds_both_texts(old: str, new: str) -> None:
    marked = str(word_diff_html(old, new))
    assert _without(marked, "ins") == old
    assert _without(marked, "del") == new
    assert "<b>" not in re.sub(r"</?(ins|del)>", "", marked)  # user text is escaped


def test_only_the_changed_line_is_marked() -> None:
    old = "The system SHALL send an email.\n\n#### Scenario: sent\n- **WHEN** x\n"
    new = "The system SHALL send one email.\n\n#### Scenario: sent\n- **WHEN** x\n"
    marked = str(word_diff_html(old, new))
    assert marked == ("The system SHALL send <del>an</del><ins>one</ins> email.\n\n"
                      "#### Scenario: sent\n- **WHEN** x\n")

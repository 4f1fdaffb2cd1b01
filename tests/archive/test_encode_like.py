"""``encode_like`` keeps each kept line's ending in a mixed file, and its work grows linearly.

The alignment of old and new lines used to be difflib over the whole file, quadratic: a 75 KB
spec with mixed endings took about 45 s to archive. These tests pin the promise (kept lines keep their
ending, new lines get the most common one) on hand-made files and on random edits, and count what
is handed to difflib instead of timing it.
"""

from __future__ import annotations

import difflib
import re
from collections import Counter
from collections.abc import Callable, Hashable, Sequence
from typing import Any
from unittest import mock

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st
from specledger.archive import merge
from specledger.archive.merge import encode_like

_ENDING_RE = re.compile(r"(\r\n|\r|\n)")
_SEQUENCE_MATCHER = difflib.SequenceMatcher  # the real one, for the recorder below
# The most pairs of lines difflib may be given at once: "a few hundred thousand"
_MOST_PAIRS = 300_000

# A line of the new text: ("kept", index of the old line it is) or ("new", its text)
Origin = tuple[str, Any]


def _lines_of(data: bytes) -> list[tuple[str, str]]:
    """Each line of ``data`` with its ending ("" for text after the last one)."""
    pieces = _ENDING_RE.split(data.decode("utf-8").removeprefix("\ufeff"))
    return list(zip(pieces[0::2], [*pieces[1::2], ""], strict=True))


def _check(old: list[str], endings: list[str], tail: str, new: list[Origin], final_newline: bool,
           bom: bool = False) -> bytes:
    """``encode_like`` for ``new`` over the old file, checked line by line against the promise."""
    old_raw = "".join(line + ending for line, ending in zip(old, endings, strict=True)) + tail
    texts = [old[where] if kind == "kept" else where for kind, where in new]
    text = "\n".join(texts) + ("\n" if final_newline else "")
    written = encode_like(text, old_raw, bom)

    assert written.startswith("\ufeff".encode()) == bom
    decoded = written.decode("utf-8").removeprefix("\ufeff")
    assert decoded.replace("\r\n", "\n").replace("\r", "\n") == text
    counts = Counter(endings)
    usual = {ending for ending, n in counts.items() if n == max(counts.values())} or {"\n"}
    got = _lines_of(written)
    for at, ((kind, where), (line, ending)) in enumerate(zip(new, got, strict=False)):
        if ending:  # (not the last line of a text without a final newline)
            allowed = _readable({endings[where]} if kind == "kept" else usual, got, at)
            assert ending in allowed, f"{kind} line {line!r} got {ending!r}, not one of {allowed}"
    return written


def _readable(allowed: set[str], lines: list[tuple[str, str]], at: int) -> set[str]:
    """``allowed`` for line ``at``, CR instead of LF for a blank line after a lone CR (CR then LF
    would read as one CRLF and lose the blank line)."""
    if at and lines[at - 1][1] == "\r" and not lines[at][0] and "\n" in allowed:
        return allowed - {"\n"} | {"\r"}
    return allowed


@pytest.mark.parametrize(("old_raw", "text", "want"), [
    # a changed line gets the usual ending; the lines around it keep theirs
    ("a\r\nb\nc\r\n", "a\nB\nc\n", b"a\r\nB\r\nc\r\n"),
    # LF is the usual one here: a kept CRLF line stays CRLF, an inserted line is LF
    ("a\nb\r\nc\nd\n", "a\nb\nnew\nc\nd\n", b"a\nb\r\nnew\nc\nd\n"),
    # a lone CR is an ending too, and is kept
    ("a\rb\r\nc\r\n", "a\nb\nc\nd\n", b"a\rb\r\nc\r\nd\r\n"),
    # a deleted line takes nothing with it
    ("a\nb\r\nc\r\n", "a\nc\n", b"a\nc\r\n"),
    # text without a final newline ends without one
    ("a\nb\r\nc\r\n", "a\nb\nc", b"a\nb\r\nc"),
    # a blank line after a lone CR does not take LF: CR + LF would read as one CRLF and lose it
    ("a\rb\nc\n", "a\n\nb\nc\n", b"a\r\rb\nc\n"),
    # one kind of ending: everywhere
    ("a\r\nb\r\n", "a\nx\nb\n", b"a\r\nx\r\nb\r\n"),
    # the old blank line is not paired with the empty text after the final newline (difflib over
    # the whole text did that, and the kept line "a" lost its LF)
    ("\r\na\nc\r\n", "b\na\nd\n", b"b\r\na\nd\r\n"),
])
def test_hand_made_mixed_files(old_raw: str, text: str, want: bytes) -> None:
    assert encode_like(text, old_raw, False) == want


def test_bom_is_written_when_asked() -> None:
    assert encode_like("a\nb\n", "\ufeffa\nb\r\nc\r\n", True) == "\ufeffa\nb\r\n".encode()


def _requirement(index: int, body: str = "The system SHALL work.") -> list[str]:
    return [f"### Requirement: R{index}", body, "", "#### Scenario: S", "- **WHEN** x", "- **THEN** y", ""]


def _spec(count: int, filler: int = 0) -> list[str]:
    """A spec of ``count`` requirements, the second one followed by ``filler`` identical lines."""
    lines = ["# cap Specification", "", "## Purpose", "Exercise the line endings.", "", "## Requirements", ""]
    for index in range(count):
        lines += _requirement(index)
        if index == 1:
            lines[-1:-1] = ["x"] * filler
    return lines


def _edited(old: list[str], change: Callable[[int, str], str | None]) -> list[Origin]:
    """Every old line kept, except where ``change`` returns a new text to put in its place."""
    new: list[Origin] = []
    for index, line in enumerate(old):
        replacement = change(index, line)
        new.append(("kept", index) if replacement is None else ("new", replacement))
    return new


def test_large_spec_with_the_pathological_filler() -> None:
    # the reported file: CRLF but for its first three lines, thousands of identical lines
    old = _spec(2, filler=5000)
    endings = ["\n"] * 3 + ["\r\n"] * (len(old) - 3)
    first_body = old.index("The system SHALL work.")
    new = _edited(old, lambda i, _line: "The system SHALL work harder." if i == first_body else None)
    _check(old, endings, "", new, final_newline=True)


def test_large_spec_changed_in_many_places() -> None:
    # changes spread over the file: the middle is too large for difflib, anchors align it
    old = _spec(400)
    endings = ["\n" if index % 7 == 0 else "\r\n" for index in range(len(old))]

    def change(index: int, line: str) -> str | None:
        if line.startswith("### Requirement: R") and int(line.rsplit("R", 1)[1]) % 40 == 0:
            return line + " (renamed)"
        return "- **THEN** z" if line == "- **THEN** y" and index % 3 == 0 else None

    new = _edited(old, change)
    new[len(new) // 2:len(new) // 2] = [("new", line) for line in _requirement(999)]
    assert (len(old) - 20) ** 2 > merge._DIFFLIB_BUDGET  # (from the first change to the last)
    _check(old, endings, "", new, final_newline=True)


# Random files and random edits. Old lines here are all different and inserted lines are new
# texts ("+..."), so which line is kept is never ambiguous. Budgets of 4 and 0 pairs send these
# small inputs down the anchored and greedy paths too.
_OLD_LINE = st.text(alphabet="ab #-*", max_size=5)
_ENDING = st.sampled_from(["\n", "\r\n", "\r"])
_INSERTED = st.sampled_from(["+", "+a", "+b", "+ ", "+#"])


@st.composite
def _edits(draw: st.DrawFn) -> tuple[list[str], list[str], str, list[Origin], bool, bool]:
    old = draw(st.lists(_OLD_LINE, unique=True, max_size=40))
    endings = draw(st.lists(_ENDING, min_size=len(old), max_size=len(old)))
    # a lone CR then a blank line ending in LF is one CRLF in a file: such lines cannot be told apart
    assume(not any(endings[at:at + 2] == ["\r", "\n"] and not old[at + 1] for at in range(len(old) - 1)))
    tail = draw(st.sampled_from(["", "~tail"]))  # text after the old file's last ending
    new: list[Origin] = [("kept", index) for index in range(len(old))]
    for _ in range(draw(st.integers(0, 6))):
        start = draw(st.integers(0, len(new)))
        stop = draw(st.integers(start, min(len(new), start + 5)))
        new[start:stop] = [("new", text) for text in draw(st.lists(_INSERTED, max_size=5))]
    return old, endings, tail, new, draw(st.booleans()), draw(st.booleans())


@pytest.mark.parametrize("budget", [merge._DIFFLIB_BUDGET, 4, 0])
@given(case=_edits())
def test_kept_lines_keep_their_endings(budget: int, case: tuple[list[str], list[str], str, list[Origin], bool,
                                                                 bool]) -> None:
    with mock.patch.object(merge, "_DIFFLIB_BUDGET", budget):
        _check(*case)


@pytest.mark.parametrize("budget", [merge._DIFFLIB_BUDGET, 4, 0])
@given(old=st.lists(st.sampled_from(["", "a", "b", "- x"]), max_size=40), data=st.data())
def test_repeated_lines_get_an_ending_they_had(budget: int, old: list[str], data: st.DataObject) -> None:
    # Repeated lines make "which copy was kept" a guess; whatever the guess, every ending written
    # is the usual one or one the old file had for that same text, and nothing else changes.
    endings = data.draw(st.lists(_ENDING, min_size=len(old), max_size=len(old)))
    old_raw = "".join(line + ending for line, ending in zip(old, endings, strict=True))
    read = _lines_of(old_raw.encode())[:-1]  # as a reader sees it: a lone CR, then LF, is one CRLF
    old, endings = [line for line, _ in read], [ending for _, ending in read]
    new = list(old)
    for _ in range(data.draw(st.integers(0, 4))):
        start = data.draw(st.integers(0, len(new)))
        new[start:start + data.draw(st.integers(0, 3))] = data.draw(
            st.lists(st.sampled_from(["", "a", "b", "- x", "new"]), max_size=3))
    text = "".join(line + "\n" for line in new)
    with mock.patch.object(merge, "_DIFFLIB_BUDGET", budget):
        written = encode_like(text, old_raw, False)
        assert encode_like(old_raw.replace("\r\n", "\n").replace("\r", "\n"), old_raw, False) == old_raw.encode()
    counts = Counter(endings)
    usual = {ending for ending, n in counts.items() if n == max(counts.values())} or {"\n"}
    had: dict[str, set[str]] = {}
    for line, ending in zip(old, endings, strict=True):
        had.setdefault(line, set()).add(ending)
    lines = _lines_of(written)
    assert [line for line, _ in lines] == [*new, ""]
    for at, (line, ending) in enumerate(lines[:-1]):
        assert ending in _readable(usual | had.get(line, set()), lines, at)


class _Recorder:
    """Stands in for ``difflib.SequenceMatcher``: records how many pairs of lines each call may
    compare, and refuses more than ``_MOST_PAIRS`` before difflib spends quadratic time on them."""

    def __init__(self) -> None:
        self.pairs: list[int] = []

    def __call__(self, isjunk: Callable[[Hashable], bool] | None = None, a: Sequence[Hashable] = "",
                 b: Sequence[Hashable] = "", autojunk: bool = True) -> difflib.SequenceMatcher[Hashable]:
        self.pairs.append(len(a) * len(b))
        assert len(a) * len(b) <= _MOST_PAIRS, f"difflib was given {len(a)} x {len(b)} lines"
        return _SEQUENCE_MATCHER(isjunk, a, b, autojunk)


def _pathological(size: int) -> tuple[str, str]:
    old = _spec(2, filler=size)
    first_body = old.index("The system SHALL work.")
    new = [("The system SHALL work harder." if index == first_body else line) for index, line in enumerate(old)]
    old_raw = "\n".join(old[:3]) + "\n" + "".join(line + "\r\n" for line in old[3:])
    return "".join(line + "\n" for line in new), old_raw


def _spread(size: int) -> tuple[str, str]:
    old = _spec(size // 7)
    new = [line + " (changed)" if line.startswith("### Requirement: R") and line.endswith("0") else line
           for line in old]
    old_raw = "".join(line + ("\n" if index % 5 == 0 else "\r\n") for index, line in enumerate(old))
    return "".join(line + "\n" for line in new), old_raw


def _anchorless(size: int) -> tuple[str, str]:
    # nothing found once on both sides, changes at both ends: only the greedy match is left
    old = ["a", *(["x", ""] * (size // 2)), "b"]
    new = ["c", *(["x", ""] * (size // 2)), "d"]
    old_raw = "".join(line + ("\n" if index % 3 == 0 else "\r\n") for index, line in enumerate(old))
    return "".join(line + "\n" for line in new), old_raw


def _blocks(size: int) -> tuple[str, str]:
    # stretches of 300 repeated lines between unique headings, each changed at both ends: every
    # stretch goes to difflib on its own
    old: list[str] = []
    new: list[str] = []
    for index in range(size // 300):
        old += [f"## H{index}", "y", *["x"] * 300, "z"]
        new += [f"## H{index}", "w", *["x"] * 300, "v"]
    old_raw = "".join(line + ("\n" if index % 3 == 0 else "\r\n") for index, line in enumerate(old))
    return "".join(line + "\n" for line in new), old_raw


@pytest.mark.parametrize("shape", [_pathological, _spread, _anchorless, _blocks])
def test_difflib_work_grows_linearly(shape: Callable[[int], tuple[str, str]],
                                     monkeypatch: pytest.MonkeyPatch) -> None:
    totals = []
    for size in (4000, 8000):
        recorder = _Recorder()
        monkeypatch.setattr(difflib, "SequenceMatcher", recorder)
        text, old_raw = shape(size)
        written = encode_like(text, old_raw, False)
        assert written.decode().replace("\r\n", "\n") == text
        totals.append(sum(recorder.pairs))
    assert totals[1] <= 2.5 * max(totals[0], 1_000), f"doubling the file took difflib from {totals}"

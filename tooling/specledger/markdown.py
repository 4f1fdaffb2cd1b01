"""Markdown source -> lines and a section tree, with 1-based line numbers.

Each file is parsed once. markdown-it-py finds the fenced code blocks (block rules only, which
is cheap); headings are then read the way OpenSpec reads them (``^#{1,6}\\s+title`` on a line
outside any fence), so that our verdicts agree with the reference. A UTF-8 BOM is dropped and
CRLF / CR line endings become LF; the original ending style is remembered so that rewriting a
file keeps it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import cache
from typing import TYPE_CHECKING, NamedTuple, TypeVar, cast

if TYPE_CHECKING:
    from markdown_it import MarkdownIt

# Linear on any line: the "#" run is bounded, and ".+" runs to the end of a line that holds no
# newline, so "$" matches at once and nothing is retried (see tests/core/test_linear_time.py).
HEADING_RE = re.compile(r"^(#{1,6})\s+(.+)$")

T = TypeVar("T")


@cache
def _fence_parser() -> MarkdownIt:
    from markdown_it import MarkdownIt  # only files with a fence need it: keeps it out of start-up

    parser = MarkdownIt("zero").enable(["fence"])
    parser.disable(["code", "inline", "text_join"], ignoreInvalid=True)
    return parser


def js_trim(text: str) -> str:
    """Trim the way JavaScript's ``String.prototype.trim`` does (U+FEFF included)."""
    stripped = text.strip()
    if stripped[:1] != "\ufeff" and stripped[-1:] != "\ufeff":
        return stripped  # the common case: the two calls below would change nothing
    return stripped.strip("\ufeff").strip()


class Heading(NamedTuple):
    level: int
    title: str  # trimmed heading text
    line: int  # 1-based
    raw: str  # the whole line as written


@dataclass(slots=True)
class Section:
    """A heading and everything under it up to the next heading of the same or a higher level."""

    heading: Heading | None  # None for the document root
    start: int  # index (0-based) of the first line after the heading
    end: int  # index one past the last line of the section (children included)
    body_end: int  # index one past the section's own text (before its first child)
    children: list[Section] = field(default_factory=list)

    @property
    def level(self) -> int:
        return self.heading.level if self.heading else 0

    @property
    def title(self) -> str:
        return self.heading.title if self.heading else ""

    @property
    def line(self) -> int:
        return self.heading.line if self.heading else 1


@dataclass
class Document:
    """A markdown file read into lines, fence flags and headings."""

    text: str  # normalised: no BOM, LF line endings
    lines: list[str]
    fenced: list[bool]  # per line: inside (or delimiting) a fenced code block
    headings: list[Heading]
    newline: str = "\n"  # the file's own line ending ("\n", "\r\n" or "\r")
    had_bom: bool = False
    _tree: Section | None = field(default=None, repr=False)
    # 0-based indexes of the lines outside fences that start with "#": every heading-like pattern
    # the readers look for starts with "#", so they scan these instead of every line
    marks: list[int] = field(default_factory=list, repr=False)

    @property
    def tree(self) -> Section:
        if self._tree is None:
            self._tree = _build_tree(self)
        return self._tree

    def memo(self, key: str, compute: Callable[[Document], T]) -> T:
        """``compute(self)``, worked out once per document and kept with it under ``key``.

        For readings of a document that several rules share (its requirement blocks, say); each
        ``key`` must name one computation.
        """
        store = self.__dict__
        if key not in store:
            store[key] = compute(self)
        return cast(T, store[key])

    def heading_at(self, index: int) -> Heading | None:
        """The heading on line ``index`` (0-based), if that line is one."""
        return self._heading_by_index.get(index)

    @property
    def _heading_by_index(self) -> dict[int, Heading]:
        cached: dict[int, Heading] | None = self.__dict__.get("_hbi")
        if cached is None:
            cached = {h.line - 1: h for h in self.headings}
            self.__dict__["_hbi"] = cached
        return cached

    def section_text(self, section: Section, *, own_only: bool = False) -> str:
        """The section's text (without its heading), trimmed."""
        end = section.body_end if own_only else section.end
        return js_trim("\n".join(self.lines[section.start : end]))

    def walk(self) -> Iterator[Section]:
        return iter(self._sections)

    @property
    def _sections(self) -> list[Section]:
        """Every section, the root first, in document order (computed once)."""
        cached: list[Section] | None = self.__dict__.get("_all_sections")
        if cached is None:
            cached = []
            stack = [self.tree]
            while stack:
                node = stack.pop()
                cached.append(node)
                stack.extend(reversed(node.children))
            self.__dict__["_all_sections"] = cached
        return cached

    def find_sections(self, title: str) -> list[Section]:
        """Sections at any depth whose title equals ``title`` case-insensitively."""
        wanted = title.lower()
        return [s for s in self._sections if s.heading is not None and s.heading.title.lower() == wanted]


def detect_newline(raw: str) -> str:
    if "\r\n" in raw:
        return "\r\n"
    if "\r" in raw:
        return "\r"
    return "\n"


def parse(raw: str) -> Document:
    """Read markdown text (already decoded) into a ``Document``."""
    had_bom = raw.startswith("\ufeff")
    if had_bom:
        raw = raw[1:]
    newline = detect_newline(raw)
    text = raw.replace("\r\n", "\n").replace("\r", "\n")
    lines = text.split("\n")
    fenced = [False] * len(lines)
    if "```" in text or "~~~" in text:
        for token in _fence_parser().parse(text):
            if token.type == "fence" and token.map is not None:
                start, end = token.map
                for i in range(start, min(end, len(lines))):
                    fenced[i] = True
    headings = []
    marks = [i for i, line in enumerate(lines) if line[:1] == "#" and not fenced[i]]
    for index in marks:
        line = lines[index]
        match = HEADING_RE.match(line)
        if match:
            headings.append(Heading(len(match.group(1)), js_trim(match.group(2)), index + 1, line))
    return Document(text, lines, fenced, headings, newline, had_bom, marks=marks)


def _build_tree(doc: Document) -> Section:
    count = len(doc.lines)
    root = Section(None, 0, count, count)
    stack = [root]
    levels = [0]  # the heading level of each section on the stack (0: the root)
    for heading in doc.headings:
        index = heading.line - 1
        level = heading.level
        while levels[-1] >= level and len(stack) > 1:
            closed = stack.pop()
            levels.pop()
            closed.end = index
            if not closed.children:
                closed.body_end = index
        parent = stack[-1]
        if not parent.children:
            parent.body_end = index
        node = Section(heading, index + 1, count, count, [])
        parent.children.append(node)
        stack.append(node)
        levels.append(level)
    return root


def body_lines(doc: Document, start: int, end: int) -> list[str]:
    """Non-blank, non-fenced lines in ``[start, end)``, trimmed."""
    out = []
    for i in range(start, end):
        if doc.fenced[i]:
            continue
        stripped = js_trim(doc.lines[i])
        if stripped:
            out.append(stripped)
    return out

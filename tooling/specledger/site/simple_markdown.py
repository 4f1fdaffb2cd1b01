"""The markdown most specs and changes are written in, rendered without markdown-it, byte for byte.

Specs, proposals and task lists are nearly all ATX headings, paragraphs and tight lists whose
lines hold plain words, ``**strong**`` words, ``code`` spans and task boxes. For such a document
the HTML that markdown-it (CommonMark, raw HTML off) makes is simple enough to write directly, at
a small fraction of the cost of its token stream, which was most of a site build's time.
``simple_blocks`` returns ``None`` for a document with anything else in it, or with anything it
is not sure about (a line indented where a block starts, a ``_`` or ``[`` outside a code span,
a table, a loose list, a line that could be a setext underline...); the caller then asks
markdown-it. The rules only ever accept text whose rendering is beyond doubt, and
``tests/site/test_site_simple_markdown.py`` checks every accepted document against markdown-it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# Refused anywhere: tabs and control characters (markdown-it rewrites NUL and CR), backtick
# runs that could open a fence or a longer code span, and "|" (it makes the page use the parser
# with tables, which could read a line as a delimiter row).
_REFUSED_RE = re.compile(r"[\x00-\x09\x0b-\x1f|]|``")
# Refused outside code spans: escapes, entities, autolinks, links, strikethrough.
_REFUSED_TEXT_RE = re.compile(r"[\\&<\[\]~]")
_HEADING_RE = re.compile(r"(#{1,6}) ([^#\s][^#]*)")
# What can open a block other than a paragraph, or end a paragraph, at the start of a line:
# a heading, list marker, block quote, thematic break, setext underline.
_BLOCK_START_RE = re.compile(r"[#>+=_-]|\*(?!\*[^\W_])|\d+[.)](?: |$)")
_ORDERED_RE = re.compile(r"(\d{1,9})([.)]) (?=\S)")
_TASK_RE = re.compile(r"\[([ xX])\] (?=\S)")
_CODE_RE = re.compile(r"`([^`\s](?:[^`]*[^`\s])?)`")
# **words**: runs of exactly two that flank a letter or digit on the inside, so each opens or
# closes whatever stands outside it; no other * or _ may be left in the line.
_STRONG_RE = re.compile(r"(?<!\*)\*\*([^\W_](?:[^*_`]*[^\W_])?)\*\*(?!\*)")
_TASK_BOXES = {" ": "\u2610 ", "x": "\u2611 ", "X": "\u2611 "}


_SPECIAL_RE = re.compile(r'[&<>"]')


def _escape(raw: str) -> str:
    """``&``, ``<``, ``>`` and ``"`` as entities, the way markdown-it escapes text (``'`` is kept).

    Written here rather than imported so that a site whose documents are all plain never imports
    markdown-it (about 20 ms of a build's start-up). Most text has none of them: one search
    spares the four replaces.
    """
    if _SPECIAL_RE.search(raw) is None:
        return raw
    return raw.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")


@dataclass(frozen=True)
class Block:
    """A top-level block of a document: its first line (0-based), its heading tag, its HTML."""

    line: int
    heading: str | None  # "h1".."h6" for a heading, else None
    html: str


def _inline(text: str) -> str | None:
    """One line of a paragraph, heading or list item as markdown-it's inline HTML, or None."""
    if "`" not in text:
        return _words(text)
    out: list[str] = []
    pos = 0
    for code in _CODE_RE.finditer(text):
        words = _words(text[pos:code.start()])
        if words is None:
            return None
        out.append(words)
        out.append(f"<code>{_escape(code.group(1))}</code>")
        pos = code.end()
    words = _words(text[pos:])
    if words is None:
        return None
    out.append(words)
    return "".join(out)


def _words(text: str) -> str | None:
    """Text outside code spans: plain words and ``**strong**`` ones."""
    if "`" in text or _REFUSED_TEXT_RE.search(text):
        return None  # a backtick that closes no code span, or a construct not written here
    if "*" not in text:
        return None if "_" in text else _escape(text)
    rest = _STRONG_RE.sub("", text)
    if "*" in rest or "_" in rest:
        return None
    out: list[str] = []
    pos = 0
    for strong in _STRONG_RE.finditer(text):
        out.append(_escape(text[pos:strong.start()]))
        out.append(f"<strong>{_escape(strong.group(1))}</strong>")
        pos = strong.end()
    out.append(_escape(text[pos:]))
    return "".join(out)


def _continues(line: str) -> bool:
    """Whether ``line`` can only continue the paragraph before it (lazily or indented)."""
    text = line.lstrip(" ")
    return bool(text) and not text[0].isspace() and _BLOCK_START_RE.match(text) is None


def _heading(line: str, shift: int) -> tuple[str, str] | None:
    match = _HEADING_RE.fullmatch(line)
    content = _inline(match.group(2)) if match is not None else None
    if match is None or content is None:
        return None
    tag = f"h{min(6, len(match.group(1)) + shift)}"
    return tag, f"<{tag}>{content}</{tag}>\n"


def _marker(line: str) -> tuple[str, int, str] | None:
    """(list kind, first number, marker) of a list item line; kind is "-" or the ordered delimiter."""
    if line.startswith("- "):
        return "-", 0, "- "
    ordered = _ORDERED_RE.match(line)
    return (ordered.group(2), int(ordered.group(1)), ordered.group(0)) if ordered is not None else None


def _item(lines: list[str]) -> str | None:
    """One tight list item: its first line without the marker, then its continuation lines."""
    content, box = lines[0], ""
    task = _TASK_RE.match(content)
    if task is not None:
        box, content = _TASK_BOXES[task.group(1)], content[task.end():]
    elif content[0].isspace() or _BLOCK_START_RE.match(content):
        return None  # a block of its own inside the item
    parts = [_inline(content), *(_inline(line.lstrip(" ")) for line in lines[1:])]
    if any(part is None for part in parts):
        return None
    return f"<li>{box}" + "\n".join(part or "" for part in parts) + "</li>\n"


def _list(lines: list[str], start: int) -> tuple[Block, int] | None:
    """The tight list that starts at ``lines[start]``, and the index of the line after it."""
    first = _marker(lines[start])
    if first is None:
        return None
    kind, number, _ = first
    items: list[str] = []
    index, count = start, len(lines)
    while index < count:
        marker = _marker(lines[index])
        if marker is None or marker[0] != kind:
            break
        body = [lines[index][len(marker[2]):]]
        index += 1
        while index < count and lines[index] and lines[index][0] != "#" and _marker(lines[index]) is None:
            if not _continues(lines[index]):
                return None
            body.append(lines[index])
            index += 1
        item = _item(body)
        if item is None:
            return None
        items.append(item)
    after = index
    while after < count and not lines[after]:
        after += 1
    follows = lines[after] if after < count else ""
    if follows and ((follows[0] != "#") if after == index else (_marker(follows) is not None or follows[0] == "-")):
        # only a heading may follow an item without a blank line between (a list of another
        # kind would start); after one, a list of this kind would make it loose
        return None
    tag = "ul" if kind == "-" else "ol"
    opening = f'<ol start="{number}">' if tag == "ol" and number != 1 else f"<{tag}>"
    return Block(start, None, f"{opening}\n" + "".join(items) + f"</{tag}>\n"), index


def simple_blocks(text: str, shift: int = 0) -> list[Block] | None:
    """``text``'s top-level blocks as markdown-it renders them, or None when it is not that simple.

    ``shift`` lowers every heading by that many levels (at most to ``h6``).
    """
    if _REFUSED_RE.search(text):
        return None
    lines = text.split("\n")
    if any(line and line[-1].isspace() for line in lines):
        return None  # trailing spaces can be a hard break, and markdown-it strips the others
    blocks: list[Block] = []
    index, count = 0, len(lines)
    while index < count:
        line = lines[index]
        if not line:
            index += 1
        elif line[0].isspace():
            return None  # indentation where a block starts is structure
        elif line[0] == "#":
            heading = _heading(line, shift)
            if heading is None:
                return None
            blocks.append(Block(index, *heading))
            index += 1
        elif _marker(line) is not None:
            found = _list(lines, index)
            if found is None:
                return None
            blocks.append(found[0])
            index = found[1]
        else:
            start, parts = index, []
            while index < count and lines[index] and lines[index][0] != "#" and not lines[index].startswith("- "):
                if not _continues(lines[index]):
                    return None
                parts.append(_inline(lines[index].lstrip(" ")))
                index += 1
            if any(part is None for part in parts):
                return None
            blocks.append(Block(start, None, "<p>" + "\n".join(part or "" for part in parts) + "</p>\n"))
    return blocks


__all__ = ["Block", "simple_blocks"]

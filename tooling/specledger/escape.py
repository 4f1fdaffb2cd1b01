"""Make user-written text safe to print on a terminal or in a CI log.

Names and messages in specledger's text output come from repositories the user did not write:
a folder name or a requirement title may hold a newline followed by ``::warning ...`` (a GitHub
Actions workflow command), an ANSI escape sequence that rewrites the terminal, or a bidirectional
override that makes text read differently than it is. ``printable`` turns every such character
into a visible escape, in one pass over the text (``str.translate``), so the cost is linear.

Two shapes of text, two functions:

- ``printable`` for a single-line field (a name, a path, a message): everything, newlines
  included, becomes visible, so the field can never split the line it is printed on.
- ``printable_lines`` for text printed as it stands, line by line (a proposal, a unified diff,
  Markdown): its line structure stays, and only what is inside a line is escaped.
"""

from __future__ import annotations


def _escape_table() -> dict[int, str]:
    table: dict[int, str] = {}
    for code in (*range(0x00, 0x20), 0x7F, *range(0x80, 0xA0)):
        table[code] = f"\\x{code:02x}"
    table[ord("\t")] = "\\t"
    table[ord("\n")] = "\\n"
    table[ord("\r")] = "\\r"
    # Line and paragraph separators, and the bidirectional embeddings, overrides and isolates.
    for code in (0x2028, 0x2029, *range(0x202A, 0x202F), *range(0x2066, 0x206A), 0x200E, 0x200F, 0xFEFF):
        table[code] = f"\\u{code:04x}"
    return table


_TABLE = _escape_table()
# Inside multi-line text a newline is structure, and a tab stays a tab: it only moves the cursor
# right, cannot hide or rewrite anything, and is ordinary in code blocks and diffs, so escaping it
# would change the output of ordinary files for no safety gained. CR is kept only as half of a
# CRLF line ending (see ``printable_lines``); a lone CR returns to the start of the line and could
# overwrite what was printed, so it is escaped.
_LINES_TABLE = {code: shown for code, shown in _TABLE.items() if code not in (ord("\n"), ord("\t"))}


def printable(text: str) -> str:
    """``text`` with control, line-separator and bidi-control characters shown as escapes."""
    return text.translate(_TABLE)


def printable_lines(text: str) -> str:
    """Multi-line ``text`` as ``printable`` shows each of its lines, with its line structure kept.

    LF and CRLF line endings and tabs are left as they are; every other control, separator or
    bidi-control character (VT, FF, U+2028 and a CR that does not end a line among them) becomes a
    visible escape, so the lines printed are exactly the text's lines. Ordinary text comes back
    unchanged.
    """
    return "\r\n".join(part.translate(_LINES_TABLE) for part in text.split("\r\n"))


__all__ = ["printable", "printable_lines"]

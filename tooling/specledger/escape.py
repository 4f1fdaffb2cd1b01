"""Make user-written text safe to print on one line of a terminal or a CI log.

Names and messages in specledger's text output come from repositories the user did not write:
a folder name or a requirement title may hold a newline followed by ``::warning ...`` (a GitHub
Actions workflow command), an ANSI escape sequence that rewrites the terminal, or a bidirectional
override that makes text read differently than it is. ``printable`` turns every such character
into a visible escape, in one pass over the text (``str.translate``), so the cost is linear.
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


def printable(text: str) -> str:
    """``text`` with control, line-separator and bidi-control characters shown as escapes."""
    return text.translate(_TABLE)


__all__ = ["printable"]

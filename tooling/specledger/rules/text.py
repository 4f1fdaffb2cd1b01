"""Text measures that must agree with the reference (a JavaScript program)."""

from __future__ import annotations

import re

SHALL_RE = re.compile(r"\b(SHALL|MUST)\b", re.ASCII)


def js_length(text: str) -> int:
    """Length in UTF-16 code units, as JavaScript's ``.length`` counts it."""
    # surrogatepass: a name from a file name that is not UTF-8 holds lone surrogates, which
    # JavaScript counts as one unit each (strict encoding would raise)
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


def has_keyword(text: str) -> bool:
    return SHALL_RE.search(text) is not None

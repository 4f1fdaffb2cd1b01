"""Proposal reader: ``## Why`` and ``## What Changes``."""

from __future__ import annotations

import re
from pathlib import Path

from specledger.markdown import Document
from specledger.model import Proposal

CHANGE_PREFIX_RE = re.compile(r"^Change:\s*", re.IGNORECASE)


def read_proposal(path: Path, doc: Document) -> Proposal:
    title = next((h.title for h in doc.headings if h.level == 1), None)
    if title is not None:
        title = CHANGE_PREFIX_RE.sub("", title) or None
    why = doc.find_sections("Why")
    what = doc.find_sections("What Changes")
    return Proposal(
        path=path,
        title=title,
        why=doc.section_text(why[0]) if why else None,
        why_line=why[0].line if why else None,
        what_changes=doc.section_text(what[0]) if what else None,
        what_line=what[0].line if what else None,
    )

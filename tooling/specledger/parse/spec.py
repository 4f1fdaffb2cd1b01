"""Main spec reader: the section-tree reading (what list, show and the schema checks see)."""

from __future__ import annotations

import re
from pathlib import Path

from specledger.markdown import Document, Section, body_lines, js_trim
from specledger.model import Requirement, Scenario, Spec

METADATA_LINE_RE = re.compile(r"^\*\*[^*]+\*\*:")


def _requirement(doc: Document, section: Section) -> Requirement:
    lines = body_lines(doc, section.start, section.body_end)
    kept = [ln for ln in lines if not METADATA_LINE_RE.match(ln)]
    text = "\n".join(kept or lines) or section.title
    scenarios = []
    for child in section.children:
        steps = doc.section_text(child)
        if steps:
            scenarios.append(Scenario(child.title, child.line, steps))
    return Requirement(section.title, section.line, text, scenarios)


def read_spec(spec_id: str, path: Path, doc: Document) -> Spec:
    """Read a main spec into the model (never raises: missing parts are ``None``)."""
    title = next((h.title for h in doc.headings if h.level == 1), spec_id)
    purpose_sections = doc.find_sections("Purpose")
    purpose = doc.section_text(purpose_sections[0]) if purpose_sections else None
    requirement_sections = doc.find_sections("Requirements")
    requirements = None
    if requirement_sections:
        requirements = [_requirement(doc, child) for child in requirement_sections[0].children]
    return Spec(
        id=spec_id,
        path=path,
        doc=doc,
        title=js_trim(title),
        purpose=purpose or None,
        purpose_line=purpose_sections[0].line if purpose_sections else None,
        requirements=requirements,
    )

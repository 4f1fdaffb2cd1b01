"""Rules for main specs (``specs/<id>/spec.md``)."""

from __future__ import annotations

import re

from specledger import schemas
from specledger.findings import Finding, Level, error, info, warning
from specledger.markdown import Document
from specledger.model import Spec
from specledger.parse.blocks import is_requirement_header, requirement_name, split_requirements
from specledger.parse.spec import read_spec
from specledger.rules.text import has_keyword, js_length

DELTA_HEADER_LINE_RE = re.compile(r"^##\s+(ADDED|MODIFIED|REMOVED|RENAMED)\s+Requirements\s*$", re.IGNORECASE)
PLACEHOLDER_RE = re.compile(r"^TBD - created by archiving change .+\. Update Purpose after archive\.$")
MARKER_RE = re.compile(r"^(?:TBD|TODO)(?![A-Za-z0-9_])|^(?:tbd|todo)(?=[\s.,:;!?\-)]*$|[.,:;!?\-)])", re.IGNORECASE)


def _is_placeholder(purpose: str) -> bool:
    if PLACEHOLDER_RE.match(purpose):
        return True
    if re.match(r"^(TBD|TODO)(?![A-Za-z0-9_])", purpose):
        return True
    return re.match(r"^(tbd|todo)(?=[^\w\s]|\s*$)", purpose, re.IGNORECASE) is not None


def structure_findings(doc: Document, path: str) -> list[Finding]:
    """Structural errors that make a main spec unsafe to update (delta headers, stray or duplicate blocks)."""
    cache: dict[str, list[Finding]] = doc.memo("_structure", lambda _doc: {})
    if path not in cache:
        cache[path] = _structure_findings(doc, path)
    return list(cache[path])


def _structure_findings(doc: Document, path: str) -> list[Finding]:
    found: list[Finding] = []
    layout = split_requirements(doc)
    first, last = (layout.header_index, layout.end_index) if layout.header_index is not None else (0, 0)
    lines = doc.lines
    for i in doc.marks:  # both patterns start with "#": only lines marked by the parser can match
        line = lines[i]
        if DELTA_HEADER_LINE_RE.match(line):
            found.append(error(
                "spec-delta-header",
                f'"{line.strip()}" is a delta header; it belongs in a change\'s delta spec, and here it cuts '
                "the '## Requirements' section short",
                path, i + 1,
            ))
        elif is_requirement_header(line) and not first <= i < last:
            found.append(error(
                "spec-requirement-outside",
                f'"{line.strip()}" is outside the \'## Requirements\' section, so validate, list and archive '
                "do not see it",
                path, i + 1,
            ))
    seen: dict[str, int] = {}
    for block in layout.blocks:
        if block.name in seen:
            found.append(error(
                "spec-requirement-duplicate",
                f'requirement "{block.name}" is declared twice (first on line {seen[block.name]}); '
                "names must be unique",
                path, block.line,
            ))
        else:
            seen[block.name] = block.line
    return sorted(found, key=lambda f: f.line or 0)


def check_spec(spec: Spec, path: str) -> list[Finding]:
    """Every rule for a main spec, in the reference's order."""
    doc = spec.doc
    if spec.purpose is None:
        return [error("spec-purpose-missing",
                      "the spec has no '## Purpose' section (or it is empty); a spec needs '## Purpose' and "
                      "'## Requirements'", path)]
    if spec.requirements is None:
        return [error("spec-requirements-missing",
                      "the spec has no '## Requirements' section; a spec needs '## Purpose' and '## Requirements'",
                      path)]
    data = spec.to_data()
    data["purposeLength"] = js_length(spec.purpose)
    for _index, requirement in enumerate(data["requirements"]):
        requirement["textLength"] = js_length(requirement["text"])
    findings: list[Finding] = []
    deferred: list[Finding] = []
    for item in schemas.check("spec", data):
        line = None
        if len(item.path) >= 2 and item.path[0] == "requirements":
            line = spec.requirements[int(item.path[1])].line
        finding = Finding(Level(item.level), item.code, item.message, path, line)
        if item.code == "spec-purpose-short":
            continue  # decided below, after the placeholder check
        (deferred if item.code == "requirement-long" else findings).append(finding)
    findings.extend(structure_findings(doc, path))
    if _is_placeholder(spec.purpose):
        findings.append(warning(
            "spec-purpose-placeholder",
            "the Purpose is still a placeholder (TBD/TODO, or the sentence archive writes for a new capability); "
            "write what this capability is for, in the main spec itself",
            path, spec.purpose_line,
        ))
    elif js_length(spec.purpose) < 50:
        findings.append(warning("spec-purpose-short",
                                "the Purpose is shorter than 50 characters; say what this capability is for",
                                path, spec.purpose_line))
    findings.extend(deferred)
    for block in split_requirements(doc).blocks:
        findings.extend(keyword_findings("spec", block.name, block.header, block.body, path, block.line))
    return findings


def keyword_findings(kind: str, name: str, header: str, body: list[str], path: str, line: int) -> list[Finding]:
    """SHALL/MUST in the requirement body: ERROR when the body is empty, WARNING when it lacks the keyword."""
    label = f'requirement "{name}"' if kind == "spec" else f'{kind} "{name}"'
    in_header = has_keyword(header)
    text = "\n".join(body)
    if not text:
        if kind != "spec":
            return []  # deltas report an empty body through the schema
        msg = f"{label} has no text under its header; it must state a SHALL or MUST"
        if in_header:
            msg = f"{label} has SHALL/MUST only in its header; put the statement on the line below the header"
        return [error("requirement-empty", msg, path, line)]
    if has_keyword(text):
        return []
    msg = f"{label} should state a SHALL or MUST (upper case) in its text"
    if in_header:
        msg = f"{label} has SHALL/MUST only in its header; put the statement in the text below the header"
    return [warning("requirement-no-shall", msg, path, line)]


def check_spec_text(spec_id: str, text: str, path: str) -> list[Finding]:
    """Rules for a spec given as text (used on the specs archive is about to write)."""
    from pathlib import Path

    from specledger.markdown import parse

    return check_spec(read_spec(spec_id, Path(path), parse(text)), path)


__all__ = ["check_spec", "check_spec_text", "info", "keyword_findings", "requirement_name", "structure_findings"]

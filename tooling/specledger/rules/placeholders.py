"""Text left as the scaffold wrote it: a WARNING on each line that still holds a blank to fill.

The blanks are ``PLACEHOLDERS`` below, one table for the scaffold's templates and this rule,
so a new blank in a template is caught without a change here. Fenced code is skipped (an example
of a scaffold is not a forgotten blank). Each line is searched with ``str.find`` for a handful
of fixed strings: linear in the size of the file.
"""

from __future__ import annotations

from specledger.findings import Finding, warning
from specledger.markdown import Document

# Every blank the scaffold (``specledger.scaffold``) leaves, by the name its templates use. Each is parenthesised and
# specific enough that no real text would contain it.
PLACEHOLDERS: dict[str, str] = {
    "why": "(why this change is needed: the problem or opportunity, in 50 to 1000 characters)",
    "what": "(list what this change adds, modifies or removes)",
    "specs": "(capabilities under specs/)",
    "code": "(folders and modules)",
    "task": "(first task)",
    "context": "(background, constraints, the people involved)",
    "goals": "(what this design sets out to achieve)",
    "non_goals": "(what it deliberately leaves out)",
    "decision": "(each decision, with the alternatives considered and why this one)",
    "risks": "(what could go wrong, and how it is mitigated)",
    "purpose": "(what this capability is for, in a sentence or two)",
    "requirement": "(name of the requirement)",
    "behaviour": "(what the system does, in one sentence).",
    "scenario": "(name of a situation)",
    "when": "(something happens)",
    "then": "(what the system does in response)",
}

_TEXTS = tuple(sorted(set(PLACEHOLDERS.values()), key=len, reverse=True))


def check_placeholders(doc: Document, path: str) -> list[Finding]:
    """One ``placeholder-unfilled`` WARNING per line that still holds scaffold text."""
    found: list[Finding] = []
    if "(" not in doc.text:
        return found
    for index, line in enumerate(doc.lines):
        if doc.fenced[index] or "(" not in line:
            continue
        blank = next((text for text in _TEXTS if text in line), None)
        if blank is not None:
            found.append(warning(
                "placeholder-unfilled",
                f"this line still holds the scaffold's blank {blank!r}; replace it with the real text",
                path, index + 1))
    return found


__all__ = ["check_placeholders"]

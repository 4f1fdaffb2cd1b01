"""The round-trip check on its own: real fixes pass, and each way of changing meaning is caught."""

from __future__ import annotations

from pathlib import Path

import pytest
from adopt_support import SEEDERS, clean_repo
from specledger.fix import fix_text, proof


@pytest.mark.parametrize(("code", "rel", "defect"), SEEDERS, ids=[f"{c}:{r.split('/')[-2]}" for c, r, _ in SEEDERS])
def test_every_real_fix_passes_the_check(tmp_path: Path, code: str, rel: str, defect: object) -> None:
    clean = clean_repo(tmp_path)[rel].decode()
    broken = defect(clean)  # type: ignore[operator]
    kind = "delta" if "/changes/" in rel else "spec"
    assert proof.check(kind, broken, clean) is None
    fixed, applied, refusal = fix_text(kind, broken)
    assert refusal is None and fixed == clean
    assert code in {a.code for a in applied}


DELTA = """\
## ADDED Requirements

### Requirement: R
The system SHALL x.
Note here.
### Scenario: B
- **WHEN** b

#### Scenario: A
- **WHEN** a

## REMOVED Requirements
- `### Requirement: Old`

## RENAMED Requirements
- FROM: `### Requirement: Before`
- TO: `### Requirement: After`
"""


@pytest.mark.parametrize(("old", "new", "reason"), [
    # "Note here." leaves the statement, but what comes back as the first new scenario is B
    ("Note here.\n### Scenario: B", "#### Note here.\n#### Scenario: B", "do not come back as its first scenarios"),
    ("#### Scenario: A\n- **WHEN** a", "#### Scenario: A\n  - **WHEN** a", 'scenario "Scenario: A"'),
    ("- `### Requirement: Old`", "`### Requirement: Old`", 'REMOVED "Old" would no longer be read'),
    ("- FROM: `###", "- FROM `###", 'RENAMED "Before" -> "After" would no longer be read'),
    ("## ADDED Requirements", "## ADDED Requirement", "the words of the file would change"),
    ("### Requirement: R", "#### Requirement: R", "headers would name different requirements"),
])
def test_each_change_of_meaning_is_refused(old: str, new: str, reason: str) -> None:
    assert proof.check("delta", DELTA, DELTA) is None
    changed = DELTA.replace(old, new, 1)
    assert changed != DELTA
    problem = proof.check("delta", DELTA, changed)
    assert problem is not None and reason in problem


def test_a_purpose_that_was_read_must_stay() -> None:
    spec = ("# s\n\n## Purpose\nKeep it.\nMore.\n\n## Requirements\n\n### Requirement: R\nThe system SHALL r.\n\n"
            "#### Scenario: S\n- **WHEN** s\n")
    assert proof.check("spec", spec, spec.replace("Keep it.\nMore.", "Keep it.\n## More.")) is not None
    delta = "## Purpose\nKeep it.\nMore.\n\n" + DELTA
    assert "Purpose" in (proof.check("delta", delta, delta.replace("Keep it.\nMore.", "Keep it.\n## More.")) or "")

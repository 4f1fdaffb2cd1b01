"""The public conformance cases (recorded from the reference, with our deliberate deviations)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
SHARED = Path(os.environ.get("SPECLEDGER_SHARED") or REPO.parent / "shared")  # make exports SPECLEDGER_SHARED
CHECK = SHARED / "conformance" / "check.py"
CASES = SHARED / "conformance" / "cases"
SPEC_BIN = Path(sys.executable).parent / "spec"


def _cases(with_archive: bool) -> list[str]:
    if not CASES.is_dir():
        return ["<missing>"]
    out = []
    for case in sorted(p for p in CASES.iterdir() if p.is_dir()):
        steps = json.loads((case / "expect.json").read_text())["steps"]
        if any(s["args"][:1] == ["archive"] for s in steps) == with_archive:
            out.append(case.name)
    return out


@pytest.mark.parametrize("case", _cases(with_archive=False))
def test_conformance_case(case: str) -> None:
    assert CHECK.is_file(), f"the shared conformance checker is missing at {CHECK}: CI lays shared/ beside the clone"
    proc = subprocess.run([sys.executable, str(CHECK), "--bin", str(SPEC_BIN), "-v", case],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr

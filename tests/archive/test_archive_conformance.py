"""The public conformance cases that run ``archive`` must hold against our CLI."""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
SHARED = Path(os.environ.get("SPECLEDGER_SHARED") or REPO.parent / "shared") / "conformance"  # make exports it
SPEC = REPO / ".venv" / "bin" / "spec"


def _archive_cases() -> list[str]:
    cases = SHARED / "cases"
    if not cases.is_dir():
        return []
    return sorted(
        d.name
        for d in cases.iterdir()
        if (d / "cmd.txt").is_file()
        and any(line.startswith("archive") for line in (d / "cmd.txt").read_text().splitlines())
    )


def test_conformance_suite_is_present() -> None:
    assert (SHARED / "check.py").is_file(), f"conformance cases missing: expected {SHARED}"
    assert _archive_cases(), "no conformance case runs archive"


@pytest.mark.parametrize("case", _archive_cases() or ["<missing>"])
def test_archive_conformance_case(case: str) -> None:
    assert case != "<missing>", f"conformance cases missing: expected {SHARED}/cases"
    proc = subprocess.run(
        [sys.executable, str(SHARED / "check.py"), "--bin", shlex.quote(str(SPEC)), "-v", case],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr

"""Validation spread over processes gives exactly the findings of one process."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
SHARED = Path(os.environ.get("SPECLEDGER_SHARED") or REPO.parent / "shared")
SPEC_BIN = Path(sys.executable).parent / "spec"


def validate(root: Path, jobs: str, *args: str) -> tuple[int, object]:
    proc = subprocess.run([str(SPEC_BIN), "validate", *args, "--json"], cwd=root, capture_output=True, text=True,
                          timeout=300, env={**os.environ, "SPECLEDGER_JOBS": jobs}, check=False)
    assert "Traceback" not in proc.stderr, proc.stderr
    return proc.returncode, json.loads(proc.stdout)


@pytest.mark.slow
def test_parallel_and_serial_findings_are_identical(tmp_path: Path) -> None:
    generator = SHARED / "bench" / "gen_large.py"
    assert generator.is_file(), f"the repository generator is missing at {generator}"
    subprocess.run([sys.executable, str(generator), str(tmp_path / "repo"), "--changes", "160", "--specs", "64"],
                   check=True, capture_output=True)
    root = tmp_path / "repo"
    for args in (["--all", "--strict"], ["--changes"], ["--specs"]):
        serial = validate(root, "1", *args)
        parallel = validate(root, "2", *args)
        assert serial == parallel, args
    _, data = serial
    assert isinstance(data, dict) and len(data["items"]) == 64
    _, data = validate(root, "2", "--all", "--strict")
    assert isinstance(data, dict) and len(data["items"]) == 224
    issues = [i["code"] for item in data["items"] for i in item["issues"]]
    assert "change-overlap" in issues  # found across processes: each side in another worker


@pytest.mark.parametrize("jobs", ["3"])
def test_conformance_cases_hold_in_parallel(jobs: str) -> None:
    """Every public case, with validation forced through worker processes even for few items."""
    check = SHARED / "conformance" / "check.py"
    proc = subprocess.run([sys.executable, str(check), "--bin", str(SPEC_BIN)], capture_output=True, text=True,
                          timeout=600, env={**os.environ, "SPECLEDGER_JOBS": jobs}, check=False)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-2000:]
    summary = proc.stdout.strip().splitlines()[-1]
    held, _, total = summary.removeprefix("conformance: ").partition(" of ")
    assert held == total.split()[0], summary

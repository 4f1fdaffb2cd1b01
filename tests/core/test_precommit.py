"""The pre-commit hooks, through ``pre-commit try-repo`` on this repository in a throwaway git repo.

pre-commit installs the hooks' environment the way it would for any user: it builds this
repository (with its uncommitted changes) into a fresh virtualenv, from the package registry
the rest of ``make test`` uses; nothing else is fetched (the hook repository is a local path).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
PRE_COMMIT = Path(sys.executable).with_name("pre-commit")

SPEC = """\
# notifications Specification

## Purpose
How users hear about the events that matter to them, by e-mail or by text message.

## Requirements

### Requirement: Email delivery
The system SHALL send an e-mail for each event.

#### Scenario: Event happens
- **WHEN** an event occurs
- **THEN** an e-mail is sent
"""


def run(cwd: Path, *args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=900, check=False)


@pytest.mark.slow
def test_try_repo_runs_both_hooks(tmp_path: Path) -> None:
    assert PRE_COMMIT.is_file(), "pre-commit is in the test extra (make venv installs it)"
    work = tmp_path / "work"
    (work / "openspec/specs/notifications").mkdir(parents=True)
    (work / "openspec/changes").mkdir()
    (work / "openspec/specs/notifications/spec.md").write_text(SPEC)
    env = {**os.environ, "PRE_COMMIT_HOME": str(tmp_path / "cache"), "GIT_AUTHOR_NAME": "t",
           "GIT_AUTHOR_EMAIL": "t@example.com", "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.com",
           "NO_COLOR": "1"}
    env.pop("VIRTUAL_ENV", None)
    for step in (["git", "init", "-q"], ["git", "add", "-A"]):
        subprocess.run(step, cwd=work, env=env, check=True)

    ok = run(work, str(PRE_COMMIT), "try-repo", str(REPO), "spec-validate", "--all-files", env=env)
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert "spec validate --all --strict" in ok.stdout and "Passed" in ok.stdout

    generate = run(work, str(PRE_COMMIT), "try-repo", str(REPO), "spec-generate-check", "--all-files", env=env)
    assert generate.returncode == 0, generate.stdout + generate.stderr

    # a requirement without SHALL is a warning: --strict makes the hook fail, naming the file
    spec = work / "openspec/specs/notifications/spec.md"
    spec.write_text(SPEC.replace("The system SHALL send", "The system sends"))
    subprocess.run(["git", "add", "-A"], cwd=work, env=env, check=True)
    bad = run(work, str(PRE_COMMIT), "try-repo", str(REPO), "spec-validate", "--all-files", env=env)
    assert bad.returncode == 1, bad.stdout + bad.stderr
    assert "Failed" in bad.stdout
    assert "openspec/specs/notifications/spec.md" in bad.stdout
    shutil.rmtree(tmp_path / "cache", ignore_errors=True)

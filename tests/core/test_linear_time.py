"""No input shape makes `spec` super-linear: the time at 8x the size stays far below 64x.

Each shape is a line kind that once made a regular expression backtrack over a long run of
spaces (quadratic in the run's length). The command runs in-process through the real CLI at run
length N and 8N; linear code takes about 8x as long at 8N (less, as start-up weighs in at N),
quadratic code about 64x. The check fails above 30x, a margin wide enough for a loaded machine.
CPU time of this process is measured (not wall-clock), best of a few runs, so that other
processes on the machine do not count. bench/pathological.py gives the same shapes' seconds per
MB as whole processes.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner
from specledger.cli.main import cli

N = 1000  # run length at the small size; the large size is 8N
LIMIT = 30.0  # linear: ~8 at most; quadratic: ~64
REPEAT = 3
LINES = 3

SPEC_HEAD = (
    "# cap Specification\n\n## Purpose\nThis capability exists to exercise the parser on long lines of one kind.\n\n"
    "## Requirements\n\n"
)
PROPOSAL = (
    "# Change: patho\n\n## Why\nTo measure how long spec takes on pathological input, line by line.\n\n"
    "## What Changes\n- Nothing real.\n"
)
DELTA_OK = (
    "## ADDED Requirements\n\n### Requirement: Ok\nThe system SHALL work.\n\n#### Scenario: S\n"
    "- **WHEN** x\n- **THEN** y\n"
)


def _requirement(header: str, scenario: str = "#### Scenario: S") -> str:
    return f"{header}\nThe system SHALL work.\n\n{scenario}\n- **WHEN** x\n- **THEN** y\n"


def _change(files: dict[str, str]) -> dict[str, str | bytes]:
    out: dict[str, str | bytes] = {
        "openspec/changes/patho/proposal.md": PROPOSAL,
        "openspec/changes/patho/tasks.md": "## 1. Do\n- [ ] 1.1 It\n",
        "openspec/changes/patho/specs/cap/spec.md": DELTA_OK,
    }
    out.update({f"openspec/changes/patho/{k}": v for k, v in files.items()})
    return out


def requirement_header(n: int) -> dict[str, str | bytes]:
    header = "### Requirement: a" + " " * n + "b"
    blocks = [_requirement(header) for _ in range(LINES)]
    return {"openspec/specs/cap/spec.md": SPEC_HEAD + "\n".join(blocks),
            **_change({"specs/cap/spec.md": "## ADDED Requirements\n\n" + "\n".join(blocks)})}


def closing_hashes(n: int) -> dict[str, str | bytes]:
    header = "### Requirement: a" + " \t" * (n // 2) + "x #"
    return {"openspec/specs/cap/spec.md": SPEC_HEAD + "\n".join(_requirement(header) for _ in range(LINES))}


def scenario_header(n: int) -> dict[str, str | bytes]:
    blocks = [_requirement(f"### Requirement: R{i}", "#### a" + " " * n + "b") for i in range(LINES)]
    return {"openspec/specs/cap/spec.md": SPEC_HEAD + "\n".join(blocks),
            **_change({"specs/cap/spec.md": "## ADDED Requirements\n\n" + "\n".join(blocks)})}


def removed_bullet(n: int) -> dict[str, str | bytes]:
    lines = "\n".join("- `### Requirement: a" + " " * n + "b" for _ in range(LINES))
    return _change({"specs/cap/spec.md": DELTA_OK + "\n## REMOVED Requirements\n" + lines + "\n"})


def renamed_lines(n: int) -> dict[str, str | bytes]:
    lines = [" " * n + "x", "- FROM: `### Requirement: a" + " " * n + "b`",
             "- TO: `### Requirement: c" + " " * n + "d`"]
    return _change({"specs/cap/spec.md": DELTA_OK + "\n## RENAMED Requirements\n" + "\n".join(lines) + "\n"})


def task_brackets(n: int) -> dict[str, str | bytes]:
    lines = ["- [" + " " * n, "1. [" + " " * n + "x", "* [" + " " * n + "](y"]
    return _change({"tasks.md": "## 1. Group\n" + "\n".join(lines) + "\n"})


SHAPES: list[tuple[str, Callable[[int], dict[str, str | bytes]], list[str]]] = [
    ("requirement-header", requirement_header, ["validate", "--all", "--json"]),
    ("requirement-header", requirement_header, ["list", "--specs"]),
    ("requirement-header", requirement_header, ["show", "patho", "--json"]),
    ("closing-hashes", closing_hashes, ["validate", "--all"]),
    ("scenario-header", scenario_header, ["validate", "--all"]),
    ("removed-bullet", removed_bullet, ["validate", "--all"]),
    ("renamed-lines", renamed_lines, ["validate", "--all"]),
    ("task-brackets", task_brackets, ["list"]),
    ("task-brackets", task_brackets, ["validate", "--all"]),
]


def _cpu_seconds(args: list[str]) -> float:
    best = float("inf")
    for _ in range(REPEAT):
        start = time.process_time()
        result = CliRunner().invoke(cli, args, catch_exceptions=False, env={"NO_COLOR": "1"})
        best = min(best, time.process_time() - start)
        assert result.exit_code in (0, 1), result.output
    return best


@pytest.mark.parametrize(("shape", "build", "args"), SHAPES, ids=[f"{s[0]}:{s[2][0]}" for s in SHAPES])
def test_growth_is_not_quadratic(
    repo: Callable[[dict[str, str | bytes]], Path],
    shape: str,
    build: Callable[[int], dict[str, str | bytes]],
    args: list[str],
) -> None:
    repo(build(N))
    small = _cpu_seconds(args)
    repo(build(8 * N))  # same file names: the larger content replaces the smaller
    large = _cpu_seconds(args)
    ratio = large / max(small, 1e-4)
    assert ratio < LIMIT, f"{shape}: `spec {' '.join(args)}` took {ratio:.0f}x as long at 8x the size"

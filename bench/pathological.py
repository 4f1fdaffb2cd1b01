#!/usr/bin/env python3
"""Time per MB of `spec` on pathological inputs, at growing sizes, to show it stays linear.

    python bench/pathological.py [--sizes 1,2,4] [--repeat 3] [--timeout 120] [--shape NAME ...] [--output FILE]

Each shape is a repository whose one pathological file holds a few very long lines (or very
many short ones) of a kind that once made a regular expression backtrack quadratically: a
requirement header with a run of spaces inside its name, a task line of ``- [`` and spaces, and
so on. Every shape is laid out at each size (in MB of that file), and its commands are run as
whole processes (``python -m specledger``, so ``PYTHONPATH`` can point the bench at another
tree). Printed per shape and size: the least CPU time of --repeat runs minus the start-up CPU
time of the same command on an empty repository (measured in this run), the seconds per MB, and
the growth ratio against the previous size. Linear code gives a ratio near the size ratio (2
for doubling sizes); quadratic code gives its square (4).
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

LINES = 20  # long lines per file: the run inside each line is what grows
NOISE = 0.05  # CPU seconds: below this, a net time is mostly start-up jitter and no growth ratio is given

SPEC_HEAD = (
    "# cap Specification\n\n## Purpose\nThis capability exists to exercise the parser on long lines of one kind.\n\n"
    "## Requirements\n\n"
)
PROPOSAL = (
    "# Change: pathological\n\n## Why\nTo measure how long spec takes on pathological input, line by line.\n\n"
    "## What Changes\n- Nothing real.\n"
)
DELTA_OK = (
    "## ADDED Requirements\n\n### Requirement: Ok\nThe system SHALL work.\n\n#### Scenario: S\n"
    "- **WHEN** x\n- **THEN** y\n"
)


def _run(n: int) -> str:
    return " " * n


def _spec(blocks: list[str]) -> str:
    return SPEC_HEAD + "\n".join(blocks)


def _requirement(header: str, body: str = "The system SHALL work.", scenario: str = "#### Scenario: S") -> str:
    return f"{header}\n{body}\n\n{scenario}\n- **WHEN** x\n- **THEN** y\n"


def _change(files: dict[str, str]) -> dict[str, str]:
    base = {
        "openspec/changes/patho/proposal.md": PROPOSAL,
        "openspec/changes/patho/tasks.md": "## 1. Do\n- [ ] 1.1 It\n",
        "openspec/changes/patho/specs/cap/spec.md": DELTA_OK,
    }
    base.update({f"openspec/changes/patho/{k}": v for k, v in files.items()})
    return base


def requirement_header_spaces(n: int) -> dict[str, str]:
    """``### Requirement: a`` + n spaces + ``b``, in a main spec and in a delta."""
    header = f"### Requirement: a{_run(n)}b"
    delta = "## ADDED Requirements\n\n" + "\n".join(_requirement(header) for _ in range(LINES))
    return {
        "openspec/specs/cap/spec.md": _spec([_requirement(header) for _ in range(LINES)]),
        **_change({"specs/cap/spec.md": delta}),
    }


def requirement_header_tabs_hash(n: int) -> dict[str, str]:
    """A header whose name ends in tabs and spaces before a closing ``#`` run (the ATX trimming)."""
    run = " \t" * (n // 2)
    header = f"### Requirement: a{run}x #"
    return {"openspec/specs/cap/spec.md": _spec([_requirement(header) for _ in range(LINES)])}


def scenario_header_spaces(n: int) -> dict[str, str]:
    """``#### a`` + n spaces + ``b`` as scenario headings."""
    blocks = [_requirement(f"### Requirement: R{i}", scenario=f"#### a{_run(n)}b") for i in range(LINES)]
    delta = "## ADDED Requirements\n\n" + "\n".join(blocks)
    return {"openspec/specs/cap/spec.md": _spec(blocks), **_change({"specs/cap/spec.md": delta})}


def removed_bullet_spaces(n: int) -> dict[str, str]:
    """``- `### Requirement: a`` + n spaces + ``b`` bullets under REMOVED."""
    lines = "\n".join(f"- `### Requirement: a{_run(n)}b" for _ in range(LINES))
    return _change({"specs/cap/spec.md": DELTA_OK + "\n## REMOVED Requirements\n" + lines + "\n"})


def renamed_space_lines(n: int) -> dict[str, str]:
    """Lines of n spaces and ``x`` under RENAMED, and FROM/TO lines with long names."""
    lines = [f"{_run(n)}x" for _ in range(LINES // 2)]
    lines += [f"- FROM: `### Requirement: a{_run(n)}b`" for _ in range(LINES // 4)]
    lines += [f"- TO: `### Requirement: c{_run(n)}d`" for _ in range(LINES // 4)]
    return _change({"specs/cap/spec.md": DELTA_OK + "\n## RENAMED Requirements\n" + "\n".join(lines) + "\n"})


def task_bracket_spaces(n: int) -> dict[str, str]:
    """``- [`` + n spaces (no closing bracket) and ``1. [`` + spaces + ``x``, in tasks.md."""
    lines = [f"- [{_run(n)}" for _ in range(LINES // 2)] + [f"1. [{_run(n)}x" for _ in range(LINES // 2)]
    return _change({"tasks.md": "## 1. Group\n" + "\n".join(lines) + "\n"})


def long_when_lines(n: int) -> dict[str, str]:
    """Scenarios whose ``**WHEN**`` lines are n characters long, and long ``**Key**:`` body lines."""
    when = "- **WHEN** " + "word " * (n // 5)
    body = "**" + "a" * n + "*x\nThe system SHALL work."  # almost a "**Key**:" line
    blocks = [
        f"### Requirement: R{i}\n{body}\n\n#### Scenario: S\n{when}\n- **THEN** y\n" for i in range(LINES)
    ]
    return {"openspec/specs/cap/spec.md": _spec(blocks),
            **_change({"specs/cap/spec.md": "## ADDED Requirements\n\n" + "\n".join(blocks)})}


def heading_runs(n: int) -> dict[str, str]:
    """Very many short heading lines of every level (n of them per long-line equivalent)."""
    count = max(1, n * LINES // 12)
    lines = [("#" * (1 + i % 6)) + f" h{i % 7}" for i in range(count)]
    return {"openspec/specs/cap/spec.md": SPEC_HEAD + "\n".join(lines) + "\n"}


def hash_runs(n: int) -> dict[str, str]:
    """Lines made of n ``#`` characters, and of ``#`` + n spaces."""
    lines = ["#" * n for _ in range(LINES // 2)] + ["###" + _run(n) for _ in range(LINES // 2)]
    return {"openspec/specs/cap/spec.md": SPEC_HEAD + "\n".join(lines) + "\n",
            **_change({"specs/cap/spec.md": DELTA_OK + "\n".join(lines) + "\n"})}


def unclosed_fences(n: int) -> dict[str, str]:
    """Many fence openers with backticks in their info string (never a fence), and one unclosed."""
    count = max(1, n * LINES // 10)
    lines = ["```a`b" if i % 2 else "- [ ] 1.1 t" for i in range(count)] + ["```", "x"]
    return _change({"tasks.md": "\n".join(lines) + "\n"})


@dataclass(frozen=True)
class Shape:
    name: str
    build: Callable[[int], dict[str, str]]
    commands: tuple[tuple[str, ...], ...]


VALIDATE = ("validate", "--all", "--json")
SHAPES = [
    Shape("requirement-header-spaces", requirement_header_spaces, (VALIDATE, ("list", "--specs"), ("show", "cap"))),
    Shape("requirement-header-tabs-hash", requirement_header_tabs_hash, (VALIDATE,)),
    Shape("scenario-header-spaces", scenario_header_spaces, (VALIDATE, ("show", "patho", "--json"))),
    Shape("removed-bullet-spaces", removed_bullet_spaces, (VALIDATE, ("show", "patho", "--json"))),
    Shape("renamed-space-lines", renamed_space_lines, (VALIDATE,)),
    Shape("task-bracket-spaces", task_bracket_spaces, (("list",), VALIDATE)),
    Shape("long-when-lines", long_when_lines, (VALIDATE, ("show", "cap", "--json"))),
    Shape("heading-runs", heading_runs, (VALIDATE, ("list", "--specs"))),
    Shape("hash-runs", hash_runs, (VALIDATE,)),
    Shape("unclosed-fences", unclosed_fences, (("list",), VALIDATE)),
]


def lay_out(root: Path, files: dict[str, str]) -> int:
    """Write the repository; returns the size in bytes of its largest file (the pathological one)."""
    (root / "openspec" / "specs").mkdir(parents=True, exist_ok=True)
    (root / "openspec" / "changes").mkdir(parents=True, exist_ok=True)
    largest = 0
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        data = text.encode("utf-8")
        path.write_bytes(data)
        largest = max(largest, len(data))
    return largest


def timed(command: tuple[str, ...], cwd: Path, repeat: int, timeout: float) -> float | None:
    """Least CPU time (user + system, from wait4) of ``repeat`` runs; None when one exceeds ``timeout``.

    CPU time rather than wall-clock: on a machine shared with other work, waiting for a core is
    not the command's cost, and the ratios between sizes would drift with the load.
    """
    best = float("inf")
    for _ in range(repeat):
        with tempfile.TemporaryFile() as err:
            proc = subprocess.Popen([sys.executable, "-m", "specledger", *command], cwd=cwd,
                                    stdout=subprocess.DEVNULL, stderr=err)
            deadline = time.monotonic() + timeout
            while True:
                pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
                if pid:
                    break
                if time.monotonic() > deadline:
                    proc.kill()
                    os.wait4(proc.pid, 0)
                    proc.returncode = -9
                    return None
                time.sleep(0.005)
            proc.returncode = os.waitstatus_to_exitcode(status)
            err.seek(0)
            stderr = err.read()
        if proc.returncode not in (0, 1):
            raise SystemExit(f"`spec {' '.join(command)}` exited {proc.returncode}: {stderr.decode()[-400:]}")
        if b"Traceback" in stderr:
            raise SystemExit(f"`spec {' '.join(command)}` printed a traceback")
        best = min(best, usage.ru_utime + usage.ru_stime)
    return best


def size_to_run(shape: Shape, megabytes: float) -> int:
    """The run length that makes the shape's pathological file about ``megabytes`` MB."""
    target = megabytes * 1_000_000
    small = lay_size(shape, 1000)
    large = lay_size(shape, 2000)
    per_unit = max(1e-9, (large - small) / 1000)
    return max(1, int(1000 + (target - small) / per_unit))


def lay_size(shape: Shape, n: int) -> int:
    return max(len(text.encode("utf-8")) for text in shape.build(n).values())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1,2,4", help="sizes in MB of the pathological file")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--timeout", type=float, default=120.0, help="seconds before a run counts as a blow-up")
    parser.add_argument("--shape", action="append", help="only these shapes (repeatable)")
    parser.add_argument("--output", type=Path, help="also write the report to this file")
    args = parser.parse_args()
    if args.output is not None:
        report = io.StringIO()
        with contextlib.redirect_stdout(_Tee(sys.stdout, report)):
            code = _report(args)
        args.output.write_text(report.getvalue(), encoding="utf-8")
        return code
    return _report(args)


class _Tee(io.TextIOBase):
    """Writes to two text streams: the terminal and the report kept for --output."""

    def __init__(self, *streams: TextIO) -> None:
        self.streams = streams

    def write(self, text: str) -> int:
        for stream in self.streams:
            stream.write(text)
        return len(text)


def _report(args: argparse.Namespace) -> int:
    sizes = [float(s) for s in args.sizes.split(",")]
    shapes = [s for s in SHAPES if not args.shape or s.name in args.shape]
    code = os.environ.get("PYTHONPATH") or "the installed specledger"
    print(f"code under test: {code}; python {sys.version.split()[0]}; CPU seconds, least of {args.repeat} runs, "
          f"minus the start-up CPU time on an empty repository; load average {os.getloadavg()[0]:.1f}\n")
    with tempfile.TemporaryDirectory() as tmp:
        empty = Path(tmp) / "empty"
        lay_out(empty, {"openspec/specs/cap/spec.md": _spec([_requirement("### Requirement: R")]),
                        **_change({})})
        startup: dict[tuple[str, ...], float] = {}
        for shape in shapes:
            for command in shape.commands:
                if command not in startup:
                    startup[command] = timed(command, empty, args.repeat, args.timeout) or 0.0
        print("start-up (empty repository): " + ", ".join(f"spec {' '.join(c)} {t:.2f}s" for c, t in startup.items()))
        print()
        header = f"{'shape':30} {'command':26} {'MB':>6} {'seconds':>9} {'s/MB':>8} {'growth':>8}"
        print(header)
        print("-" * len(header))
        worst = 0.0
        blow_ups = 0
        for shape in shapes:
            for command in shape.commands:
                previous: tuple[float, float] | None = None
                for megabytes in sizes:
                    root = Path(tmp) / f"{shape.name}-{megabytes}"
                    if not root.exists():
                        size = lay_out(root, shape.build(size_to_run(shape, megabytes)))
                    else:
                        size = lay_size(shape, size_to_run(shape, megabytes))
                    seconds = timed(command, root, args.repeat, args.timeout)
                    mb = size / 1_000_000
                    label = " ".join(command)
                    if seconds is None:
                        print(f"{shape.name:30} {label:26} {mb:6.2f} {'>' + str(int(args.timeout)) + 's':>9} "
                              f"{'-':>8} {'blow-up':>8}")
                        blow_ups += 1
                        break
                    net = max(seconds - startup[command], 0.001)
                    growth = ""
                    if previous is not None and previous[1] < NOISE:
                        growth = "(noise)"  # too fast to compare: start-up jitter dominates
                    elif previous is not None:
                        ratio = net / previous[1]
                        size_ratio = mb / previous[0]
                        growth = f"{ratio:.1f}x"
                        # growth against what linear time would give for this size step
                        worst = max(worst, ratio / size_ratio)
                    print(f"{shape.name:30} {label:26} {mb:6.2f} {net:9.3f} {net / mb:8.3f} {growth:>8}")
                    previous = (mb, net)
        print()
        print(f"largest growth relative to the size step: {worst:.1f} (1 is linear; doubling sizes, quadratic gives 2)")
        print(f"runs over the {args.timeout:.0f} s timeout: {blow_ups}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

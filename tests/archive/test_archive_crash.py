"""The crash-safety promise, checked from outside: kill or fail archive at every mutating call.

For each mutating system call the archive makes (counted in a clean run under strace), a fresh
copy of the tree is archived again with that call turned into a SIGKILL (or an error); then one
more ``spec`` command runs, and the tree must equal, byte for byte, the state before or the
state after the archive. No timing is asserted; the counts are printed (run with ``-s``).
"""

from __future__ import annotations

import shutil
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from faults import KILLED, PYTHON, SPEC, STRACE, Call, mutating_calls, run_injected, run_plain
from scenario import (
    CLI_CHANGE,
    GENERATE_CHANGE,
    describe_difference,
    make_cli_tree,
    make_generate_tree,
    make_tree,
    snapshot,
)

pytestmark = pytest.mark.slow

DRIVER = Path(__file__).with_name("scenario.py")
# One more spec command: every command recovers first; this one then fails (exit 2) on the name.
RECOVER = [str(SPEC), "archive", "no-such-change"]

if STRACE is None:  # fail loudly rather than silently losing the crash-safety check
    pytest.fail(
        "strace is required for the fault-injection tests (apt-get install strace)", pytrace=False
    )


# Two archives: the hand-built plan (every kind of step: update, nested create, retire with
# pruning, new archive folder) applied by a driver, and the real command end to end.
SCENARIOS = {
    "plan": (make_tree, lambda root: [str(PYTHON), str(DRIVER), str(root)]),
    "cli": (make_cli_tree, lambda root: [str(SPEC), "archive", CLI_CHANGE, "--yes", "--json"]),
    # a spec and the file generated from it, rewritten in one transaction
    "cli-generate": (make_generate_tree, lambda root: [str(SPEC), "archive", GENERATE_CHANGE, "--yes", "--json"]),
}


def _states(
    tmp: Path, scenario: str
) -> tuple[dict[str, bytes | str], dict[str, bytes | str], list[Call]]:
    """Before and after snapshots of a clean archive, and the calls it makes."""
    make, argv = SCENARIOS[scenario]
    root = tmp / "clean"
    make(root)
    before = snapshot(root)
    calls, proc = mutating_calls(argv(root), root, tmp / "strace.log")
    assert proc.returncode == 0, proc.stderr
    return before, snapshot(root), calls


def _over_all_points(
    tmp: Path, scenario: str, calls: list[Call], check: Callable[[Path, Call], str | None]
) -> list[str]:
    """Run ``check`` for every call in a fresh copy of the tree, two at a time."""
    make = SCENARIOS[scenario][0]

    def one(i_call: tuple[int, Call]) -> str | None:
        i, call = i_call
        root = tmp / f"point-{i}"
        make(root)
        try:
            return check(root, call)
        finally:
            shutil.rmtree(root, ignore_errors=True)

    with ThreadPoolExecutor(max_workers=2) as pool:
        return [r for r in pool.map(one, enumerate(calls)) if r]


@pytest.mark.parametrize("scenario", sorted(SCENARIOS))
def test_kill_at_every_mutating_call_leaves_before_or_after(tmp_path: Path, scenario: str) -> None:
    started = time.monotonic()
    argv = SCENARIOS[scenario][1]
    before, after, calls = _states(tmp_path, scenario)
    assert before != after
    outcomes = {"before": 0, "after": 0}

    def check(root: Path, call: Call) -> str | None:
        proc = run_injected(argv(root), root, call, "signal=KILL")
        if proc.returncode not in KILLED:
            return f"{call}: not killed (exit {proc.returncode}): {proc.stderr[-300:]}"
        rec = run_plain(RECOVER, root)
        if rec.returncode != 2 or "Traceback" in rec.stderr:
            return f"{call}: recovery command exit {rec.returncode}: {rec.stderr[-500:]}"
        state = snapshot(root)
        if state == before:
            outcomes["before"] += 1
        elif state == after:
            outcomes["after"] += 1
        else:
            return f"{call}: neither before nor after: {describe_difference(state, after)}"
        return None

    failures = _over_all_points(tmp_path, scenario, calls, check)
    elapsed = time.monotonic() - started
    print(
        f"\n{scenario}: kill points: {len(calls)}; held: {len(calls) - len(failures)}; "
        f"ended before: {outcomes['before']}, after: {outcomes['after']}; {elapsed:.1f}s"
    )
    assert not failures, "\n".join(failures)
    # Both outcomes must occur, or the kills did not straddle the commit point.
    assert outcomes["before"] and outcomes["after"]


@pytest.mark.parametrize("errno_name", ["ENOSPC", "EIO"])
def test_failed_call_changes_nothing_partially(tmp_path: Path, errno_name: str) -> None:
    """A write that fails (disk full, I/O error) at any point: whole before, or whole after."""
    before, after, calls = _states(tmp_path, "plan")
    # Output to stdout/stderr failing is not a file-system fault of the archive: skip those calls.
    points = [c for c in calls if not (c.name.startswith("write") and c.fd in (1, 2))]
    counts = {"before": 0, "after": 0}

    def check(root: Path, call: Call) -> str | None:
        proc = run_injected(
            [str(PYTHON), str(DRIVER), str(root)], root, call, f"error={errno_name}"
        )
        if "Traceback" in proc.stderr:
            return f"{call}: traceback: {proc.stderr[-500:]}"
        state = snapshot(root)
        if proc.returncode == 2:
            # refused in-process: must already be exactly the old tree, with a clear message
            if state != before:
                return f"{call}: failed but changed the tree: {describe_difference(state, before)}"
            if "nothing was changed" not in proc.stderr and "undone" not in proc.stderr:
                return f"{call}: unclear message: {proc.stderr[-300:]}"
            counts["before"] += 1
            return None
        if proc.returncode != 0:
            return f"{call}: exit {proc.returncode}: {proc.stderr[-300:]}"
        # Archived: a failed clean-up call may leave working files for the next command.
        run_plain(RECOVER, root)
        if snapshot(root) != after:
            return (
                f"{call}: archived but tree differs: {describe_difference(snapshot(root), after)}"
            )
        counts["after"] += 1
        return None

    failures = _over_all_points(tmp_path, "plan", points, check)
    print(f"\n{errno_name} points: {len(points)}; held: {len(points) - len(failures)}; {counts}")
    assert not failures, "\n".join(failures)
    assert counts["before"]

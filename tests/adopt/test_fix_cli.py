"""``spec fix`` through the CLI, on real files: what it fixes, what it leaves, and what it refuses."""

from __future__ import annotations

import json
import os
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import pytest
from adopt_support import SEEDERS, clean_repo, run, run_json, seed, tree
from specledger.fix import fix_text, fixers
from specledger.fix.fixers import Draft, Edit, Fixer


def test_fix_clears_every_seeded_defect_and_validate_then_passes(root: Path) -> None:
    clean = clean_repo(root)
    assert run("validate", "--all", "--strict").exit_code == 0
    touched = seed(root)
    assert {code for code, _, _ in SEEDERS} == set(fixers.FIXERS)  # every fixer has a defect seeded
    assert run("validate", "--all", "--strict").exit_code == 1

    result = run("fix")
    assert result.exit_code == 0, result.output
    for code, rel, _ in SEEDERS:
        assert f"{rel}:" in result.stdout and f"[{code}]" in result.stdout, (code, rel)
    fixes = len(SEEDERS) + 1  # the bullet defect turns both scenarios of a requirement into bullets
    assert f"fixed {fixes} problem(s) in {len(touched)} file(s)" in result.stderr

    assert tree(root) == clean  # byte for byte what the generator wrote: no defect left, nothing else touched
    assert run("validate", "--all", "--strict").exit_code == 0
    again = run("fix", "--dry-run")
    assert again.exit_code == 0 and again.stdout == ""
    assert "would fix 0 problem(s)" in again.stderr


def test_fix_of_one_item_touches_only_its_files(root: Path) -> None:
    clean = clean_repo(root)
    seed(root)
    seeded = tree(root)
    assert run("fix", "change-0").exit_code == 0
    after = tree(root)
    changed = {rel for rel in after if after[rel] != seeded[rel]}
    delta = "openspec/changes/change-0/specs/cap-0/spec.md"
    assert changed == {delta}
    assert after[delta] == clean[delta]
    assert run("fix", "--type", "spec").exit_code == 0
    specs_only = tree(root)
    assert {rel for rel in specs_only if specs_only[rel] != after[rel]} == {
        rel for rel in after if rel.startswith("openspec/specs/") and after[rel] != clean[rel]}
    assert all(specs_only[rel] == clean[rel] for rel in specs_only if rel.startswith("openspec/specs/"))


UNFIXABLE_SPEC = """\
# cap-x Specification

## Purpose
This capability covers the webhook retries of the billing platform area.

## Requirements

### Requirement: Retries
The system retries failed webhooks.

#### Scenario: Retry
- **WHEN** a delivery fails
- **THEN** it is retried

### Requirement: Empty
"""

UNFIXABLE_DELTA = """\
## ADDED Requirements

### Requirement: No scenario at all
The system SHALL log every delivery.

### Requirement: Fixable scenario ##
The system SHALL sign every delivery.

### Scenario: Signed
- **WHEN** a delivery is sent
- **THEN** it carries a signature
"""


def _codes(report: dict[str, object]) -> list[tuple[str, str, str]]:
    items = report["items"]
    assert isinstance(items, list)
    return sorted((i["id"], f["code"], f["path"]) for i in items for f in i["issues"])


def test_fix_changes_nothing_but_the_fixable(root: Path) -> None:
    spec = root / "openspec/specs/cap-x/spec.md"
    delta = root / "openspec/changes/add-x/specs/cap-x/spec.md"
    proposal = root / "openspec/changes/add-x/proposal.md"
    spec.parent.mkdir(parents=True)
    delta.parent.mkdir(parents=True)
    spec.write_text(UNFIXABLE_SPEC)
    delta.write_text(UNFIXABLE_DELTA)
    proposal.write_text("## Why\nToo short.\n")
    before_tree = tree(root)
    _, before = run_json("validate", "--all", "--json")

    result = run("fix")
    assert result.exit_code == 0, result.output
    after_tree = tree(root)
    assert after_tree["openspec/specs/cap-x/spec.md"] == before_tree["openspec/specs/cap-x/spec.md"]
    assert after_tree["openspec/changes/add-x/proposal.md"] == before_tree["openspec/changes/add-x/proposal.md"]
    old_lines = UNFIXABLE_DELTA.splitlines()
    new_lines = delta.read_text().splitlines()
    changed = [(a, b) for a, b in zip(old_lines, new_lines, strict=True) if a != b]
    assert changed == [("### Requirement: Fixable scenario ##", "### Requirement: Fixable scenario"),
                       ("### Scenario: Signed", "#### Scenario: Signed")]

    _, after = run_json("validate", "--all", "--json")
    delta_rel = "openspec/changes/add-x/specs/cap-x/spec.md"
    cleared = Counter({("add-x", "delta-stray-header", delta_rel): 1,
                       ("add-x", "delta-requirement-no-scenario", delta_rel): 1})
    assert Counter(_codes(before)) - cleared == Counter(_codes(after))
    assert Counter(_codes(after)) + cleared == Counter(_codes(before))  # the cleared ones were really there
    assert any(code == "requirement-no-shall" for _, code, _ in _codes(after))  # no SHALL was invented
    assert any(code == "requirement-empty" for _, code, _ in _codes(after))


def _broken(edit_line: Callable[[str], str | None]) -> Fixer:
    def find(draft: Draft) -> list[Edit]:
        return [Edit(i, new) for i, line in enumerate(draft.lines) if (new := edit_line(line)) is not None]

    return Fixer("broken", "a fixer that changes meaning", ("spec", "delta"), (), find)


@pytest.mark.parametrize("edit_line", [
    pytest.param(lambda line: "#####" + line[4:] if line.startswith("#### Scenario:") else None,
                 id="hides-a-scenario"),
    pytest.param(lambda line: line.replace("SHALL handle", "SHALL") if "SHALL handle" in line else None,
                 id="drops-a-word"),
    pytest.param(lambda line: line + " again" if line.startswith("### Requirement:") else None,
                 id="renames-a-requirement"),
    pytest.param(lambda line: "#" + line if line.startswith("### Requirement:") else None,
                 id="demotes-a-requirement-header"),
    pytest.param(lambda line: "#### " + line if line.startswith("The system SHALL") else None,
                 id="turns-a-statement-into-a-heading"),
])
def test_fix_refused_when_the_round_trip_check_fails(root: Path, monkeypatch: pytest.MonkeyPatch,
                                                     edit_line: Callable[[str], str | None]) -> None:
    clean_repo(root)
    seed(root)
    before = tree(root)
    stamps = {p: os.stat(p).st_mtime_ns for p in root.rglob("*.md")}
    monkeypatch.setattr(fixers, "FIXERS", {**fixers.FIXERS, "broken": _broken(edit_line)})

    result = run("fix")
    assert result.exit_code == 1
    assert "refused: " in result.stderr
    assert "openspec/specs/cap-0/spec.md: refused" in result.stderr  # the file is named
    assert tree(root) == before  # nothing written
    assert {p: os.stat(p).st_mtime_ns for p in root.rglob("*.md")} == stamps
    data = json.loads(run("fix", "--json", "--dry-run").stdout)
    assert {f["status"] for f in data["files"]} == {"refused"}


def test_fix_refuses_to_write_through_a_symlink_leaving_the_workspace(root: Path, tmp_path: Path) -> None:
    clean_repo(root)
    seed(root)
    outside = tmp_path / "outside.md"
    outside.write_text("##ADDED Requirements\n\n### Requirement: Outside\nThe system SHALL stay.\n\n"
                       "#### Scenario: s\n- **WHEN** a\n- **THEN** b\n")
    link = root / "openspec/changes/change-0/specs/linked/spec.md"
    link.parent.mkdir(parents=True)
    link.symlink_to(outside)
    outside_before = outside.read_bytes()
    before = tree(root)

    result = run("fix")
    assert result.exit_code == 2, result.output
    assert "openspec/changes/change-0/specs/linked/spec.md" in result.stderr
    assert outside.read_bytes() == outside_before
    assert tree(root) == before  # confinement is checked for every file before the first write


def test_dry_run_prints_the_diff_and_writes_nothing(root: Path) -> None:
    clean_repo(root)
    seed(root)
    before = tree(root)
    result = run("fix", "--dry-run")
    assert result.exit_code == 0
    assert tree(root) == before
    assert "--- a/openspec/specs/cap-0/spec.md\n+++ b/openspec/specs/cap-0/spec.md\n" in result.stdout
    assert "-##  requirements\n+## Requirements\n" in result.stdout
    assert "\\ No newline at end of file\n" in result.stdout
    assert "[section-header-form]" in result.stderr
    data = json.loads(run("fix", "--dry-run", "--json").stdout)
    assert data["dryRun"] is True and tree(root) == before
    by_path = {f["path"]: f for f in data["files"]}
    assert by_path["openspec/specs/cap-0/spec.md"]["status"] == "would-fix"
    assert {f["code"] for f in by_path["openspec/specs/cap-0/spec.md"]["fixes"]} == {
        "section-header-form", "line-endings-mixed"}


def test_fix_keeps_bom_crlf_and_permissions(root: Path) -> None:
    spec = root / "openspec/specs/cap-b/spec.md"
    spec.parent.mkdir(parents=True)
    text = ("# b\n\n##Purpose\nThis capability keeps the byte order mark and CRLF endings intact.\n\n"
            "## Requirements\n\n### Requirement: Keep\nThe system SHALL keep bytes.\n\n"
            "#### Scenario: Kept\n- **WHEN** fixed\n- **THEN** kept\n")
    spec.write_bytes(("\ufeff" + text.replace("\n", "\r\n")).encode())
    spec.chmod(0o640)
    assert run("fix").exit_code == 0
    assert spec.read_bytes() == ("\ufeff" + text.replace("##Purpose", "## Purpose").replace("\n", "\r\n")).encode()
    assert spec.stat().st_mode & 0o777 == 0o640


def test_an_unreadable_spec_is_skipped_and_named(root: Path) -> None:
    spec = root / "openspec/specs/bin/spec.md"
    spec.parent.mkdir(parents=True)
    spec.write_bytes(b"## Purpose\n\xff\xfe\n")
    result = run("fix")
    assert result.exit_code == 0
    assert "openspec/specs/bin/spec.md: not fixed" in result.stderr


PATHOLOGICAL: dict[str, Callable[[int], str]] = {
    "spaces-after-hashes": lambda n: "##" + " \t" * n + "added",
    "spaces-between-words": lambda n: "##" + " " * n + "ADDED" + " " * n + "Requirements" + " " * n + "x",
    "bullet-of-stars": lambda n: "- **Scenario" + "*" * n,
    "closing-hashes": lambda n: "### Requirement: x" + " #" * n + " " * n,
    "scenario-spaces": lambda n: "###" + " " * n + "Scenario",
}


@pytest.mark.parametrize("make_line", PATHOLOGICAL.values(), ids=PATHOLOGICAL.keys())
def test_fix_time_grows_linearly_on_pathological_lines(make_line: Callable[[int], str]) -> None:
    """8x the run length must cost far less than 64x (quadratic); the same check as tests/core/test_linear_time.

    CPU time of this process, best of three, so other processes on the machine do not count.
    """

    def cost(n: int) -> float:
        text = "## ADDED Requirements\n\n### Requirement: a\nThe system SHALL a.\n" + (make_line(n) + "\n") * 3
        best = float("inf")
        for _ in range(3):
            started = time.process_time()
            fix_text("delta", text)
            fix_text("spec", text)
            best = min(best, time.process_time() - started)
        return best

    small, large = cost(1000), cost(8000)
    assert large < max(small, 0.001) * 30

"""No item ever carries the same finding twice, and each missing part of a document has its own code."""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path

from click.testing import CliRunner, Result
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from specledger.cli.main import cli

Repo = Callable[[dict[str, str | bytes]], Path]

FRAGMENTS = [
    "# Title", "## Purpose", "The purpose of this capability is told here in more than fifty characters.",
    "## Requirements", "## ADDED Requirements", "## MODIFIED Requirements", "## REMOVED Requirements",
    "## RENAMED Requirements", "### Requirement: A", "### Requirement: A", "### Requirement: B",
    "### Requirement: ", "### Requirement:", "### Other", "#### Scenario: S", "#### Scenario: S", "#### ",
    "- **WHEN** x", "- **THEN** y", "The system SHALL do it.", "should", "```", "- `### Requirement: A`",
    "- `### Requirement: A`", "- FROM: `### Requirement: A`", "- TO: `### Requirement: C`",
    "- TO: `### Requirement: C`", "- [ ]", "- [ ]", "- [x] 1.1 done", "- [ ] 1.1 again", "- item",
    "## 1. Group", "## 2. Group", "## Why", "## What Changes", "## Context", "TBD", "", "",
]
documents = st.lists(st.sampled_from(FRAGMENTS), max_size=25).map(lambda parts: "\n".join(parts) + "\n")
metadata = st.sampled_from([
    None, "schema: spec-driven\n", "schema: spec-driven\nskip_specs: true\n", "schema: nope\nskip_specs: 3\n",
    "schema: [\n", "- 1\n", "created: 2026-13-45\nretire_capabilities: maybe\n",
])
change = st.fixed_dictionaries({
    "proposal.md": st.one_of(st.none(), documents),
    "tasks.md": st.one_of(st.none(), documents),
    "design.md": st.one_of(st.none(), documents),
    "specs/cap/spec.md": st.one_of(st.none(), documents),
    "specs/other/spec.md": st.one_of(st.none(), documents),
    ".openspec.yaml": metadata,
})
repositories = st.fixed_dictionaries({
    "specs": st.dictionaries(st.sampled_from(["cap", "other"]), documents, max_size=2),
    "changes": st.dictionaries(st.sampled_from(["one", "two"]), change, max_size=2),
})


@contextlib.contextmanager
def laid_out(layout: dict[str, dict[str, object]]) -> Iterator[Path]:
    """A fresh repository per example (the conftest's fixture is one per test), as the current directory."""
    here = Path.cwd()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        (root / "openspec" / "specs").mkdir(parents=True)
        (root / "openspec" / "changes").mkdir(parents=True)
        for cap, text in layout["specs"].items():
            path = root / "openspec" / "specs" / cap / "spec.md"
            path.parent.mkdir(parents=True)
            path.write_text(str(text), encoding="utf-8")
        for name, files in layout["changes"].items():
            folder = root / "openspec" / "changes" / name
            folder.mkdir(parents=True)
            assert isinstance(files, dict)
            for rel, text in files.items():
                if text is not None:
                    (folder / rel).parent.mkdir(parents=True, exist_ok=True)
                    (folder / rel).write_text(text, encoding="utf-8")
        os.chdir(root)
        try:
            yield root
        finally:
            os.chdir(here)


def run(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args), catch_exceptions=False, env={"NO_COLOR": "1"})


def duplicates(result: Result) -> list[tuple[str, tuple[object, ...]]]:
    out = []
    for item in json.loads(result.stdout)["items"]:
        keys = [(i["code"], i["path"], i.get("line"), i["message"]) for i in item["issues"]]
        out += [(item["id"], key) for key, count in Counter(keys).items() if count > 1]
    return out


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(repositories)
def test_no_item_carries_a_finding_twice(layout: dict[str, dict[str, object]]) -> None:
    with laid_out(layout):
        result = run("validate", "--all", "--json")
        assert result.exit_code in (0, 1), result.output
        assert duplicates(result) == []


def test_proposal_missing_both_sections_gets_both_codes(repo: Repo) -> None:
    repo({
        "openspec/changes/c/proposal.md": "# Change: nothing here\n\nSome text but no sections.\n",
        "openspec/changes/c/.openspec.yaml": "schema: spec-driven\nskip_specs: true\n",
    })
    result = run("validate", "c", "--json")
    codes = [i["code"] for i in json.loads(result.stdout)["items"][0]["issues"]]
    assert codes.count("proposal-why-missing") == 1
    assert codes.count("proposal-what-missing") == 1


def test_spec_missing_both_sections_is_one_finding_each(repo: Repo) -> None:
    from specledger import schemas

    codes = [f.code for f in schemas.check("spec", {"id": "x", "title": "x"})]
    assert codes == ["spec-purpose-missing", "spec-requirements-missing"]
    repo({"openspec/specs/x/spec.md": "# x\n\nno sections\n"})
    result = run("validate", "x", "--json")
    assert duplicates(result) == []


def test_two_empty_tasks_are_two_findings_on_their_lines(repo: Repo) -> None:
    repo({
        "openspec/changes/c/proposal.md": "## Why\n" + "w" * 60 + "\n\n## What Changes\n- x\n",
        "openspec/changes/c/tasks.md": "## 1. Do\n- [ ]\n- [x] 1.1 done\n- [ ]\n",
        "openspec/changes/c/.openspec.yaml": "schema: spec-driven\nskip_specs: true\n",
    })
    result = run("validate", "c", "--json")
    empty = [i for i in json.loads(result.stdout)["items"][0]["issues"] if i["code"] == "task-empty"]
    assert [i.get("line") for i in empty] == [2, 4]

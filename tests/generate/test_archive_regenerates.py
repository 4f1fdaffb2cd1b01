"""Archive rewrites the files generated from the specs it changes, in the same transaction."""

from __future__ import annotations

import json
import re

from generate_support import Project

REQUIREMENT = "### Requirement: Configuration through environment variables"
WHY = "Queues fill up during bursts, so the runtime should hold more events before it drops any."


def settings_block(project: Project) -> str:
    """The settings requirement of the copied spec, whole, as a MODIFIED delta must carry it."""
    text = project.spec.read_text(encoding="utf-8")
    start = text.index(REQUIREMENT)
    end = text.index("\n### Requirement:", start + 1)
    return text[start:end].strip() + "\n"


def open_change(project: Project, name: str, block: str) -> None:
    folder = project.root / "changes" / name
    (folder / "specs/error-tracking").mkdir(parents=True)
    (folder / "proposal.md").write_text(f"# Change: {name}\n\n## Why\n{WHY}\n\n## What Changes\n- A bigger queue.\n")
    (folder / "tasks.md").write_text("## 1. Do\n- [x] 1.1 Raise the default\n")
    (folder / "specs/error-tracking/spec.md").write_text(f"## MODIFIED Requirements\n\n{block}")


def bigger_queue(project: Project) -> str:
    return settings_block(project).replace("| `10000` | integer >= 100 |", "| `50000` | integer >= 100 |")


def test_archive_leaves_generate_check_passing(generated: Project) -> None:
    open_change(generated, "bigger-queue", bigger_queue(generated))
    assert generated.run("validate", "bigger-queue", "--strict").exit_code == 0
    dry = generated.run("archive", "bigger-queue", "--yes", "--dry-run")
    assert dry.exit_code == 0
    assert "+++ b/runtime/config/error_tracking.toml" in dry.stdout  # the generated file's diff too
    before = generated.outputs()
    result = generated.run("archive", "bigger-queue", "--yes", "--json")
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)["archive"]
    assert set(payload["generated"]) >= {"runtime/config/error_tracking.toml", "docs/bugsink-setup.md"}
    assert payload["staleOutputs"] == []
    assert generated.run("generate", "--check").exit_code == 0
    config = (generated.root / "runtime/config/error_tracking.toml").read_text()
    assert re.search(r"50000", config) and before != generated.outputs()


def test_no_generate_names_the_stale_files(generated: Project) -> None:
    open_change(generated, "bigger-queue", bigger_queue(generated))
    before = generated.outputs()
    result = generated.run("archive", "bigger-queue", "--yes", "--no-generate")
    assert result.exit_code == 0, result.output
    assert "--no-generate left these generated files stale" in result.stderr
    assert "runtime/config/error_tracking.toml" in result.stderr
    assert generated.outputs() == before
    check = generated.run("generate", "--check")
    assert check.exit_code == 1


def test_a_delta_that_breaks_generation_fails_validate_and_archive(generated: Project) -> None:
    broken = settings_block(generated).replace("| `10000` | integer >= 100 |", "| `ten thousand` | integer >= 100 |")
    open_change(generated, "broken-queue", broken)
    checked = generated.run("validate", "broken-queue", "--json")
    assert checked.exit_code == 1
    codes = [i["code"] for i in json.loads(checked.stdout)["items"][0]["issues"]]
    assert "archive-generate-fails" in codes
    before_spec = generated.spec.read_bytes()
    before = generated.outputs()
    result = generated.run("archive", "broken-queue", "--yes", "--no-validate", "--json")
    assert result.exit_code == 1
    assert json.loads(result.stdout)["status"][0]["code"] == "archive_generate_failed"
    assert generated.spec.read_bytes() == before_spec and generated.outputs() == before
    assert (generated.root / "changes/broken-queue").is_dir()

"""Whatever markdown a repository holds, the build ends cleanly and its links still resolve."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from site_support import broken_links, make_repo
from specledger.cli.main import cli

FRAGMENTS = [
    "## Purpose\n", "## Requirements\n", "## ADDED Requirements\n", "## MODIFIED Requirements\n",
    "## REMOVED Requirements\n", "## RENAMED Requirements\n", "### Requirement: Send email\n",
    "### Requirement: send  EMAIL\n", "### Requirement: <b>x</b>\n", "### Requirement: Ünïcode 名前\n",
    "### Requirement:\n", "#### Scenario: s\n", "- **WHEN** x\n- **THEN** y\n", "The system SHALL work.\n",
    "```\n### Requirement: fenced\n```\n", "<script>alert(1)</script>\n", "[x](javascript:alert(1))\n",
    "- FROM: `### Requirement: Send email`\n", "- TO: `### Requirement: Send mail`\n", "- [ ] 1.1 task\n",
    "| a | b |\n|---|---|\n| 1 | 2 |\n", "\n", "# Title\n", "\ufeff", "\r\n",
]

markdown = st.lists(st.sampled_from(FRAGMENTS), max_size=14).map("".join)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(spec=markdown, delta=markdown, archived=markdown, proposal=markdown)
def test_any_markdown_builds_and_links_resolve(monkeypatch: pytest.MonkeyPatch, spec: str, delta: str,
                                               archived: str, proposal: str) -> None:
    root = Path(tempfile.mkdtemp(prefix="site-prop-"))
    try:
        make_repo(root, {
            "openspec/specs/cap/spec.md": spec,
            "openspec/changes/archive/2026-01-01-old/specs/cap/spec.md": archived,
            "openspec/changes/open/proposal.md": proposal,
            "openspec/changes/open/tasks.md": proposal,
            "openspec/changes/open/specs/cap/spec.md": delta,
            "openspec/changes/open/specs/other/spec.md": delta,
        })
        monkeypatch.chdir(root)
        result = CliRunner().invoke(cli, ["docs", "build"], catch_exceptions=False)
        assert result.exit_code == 0, result.stderr
        site = root / "site"
        assert broken_links(site) == []
        for page in site.rglob("*.html"):
            text = page.read_text(encoding="utf-8")
            assert "<script>alert" not in text and 'href="javascript:' not in text, page
    finally:
        shutil.rmtree(root)

"""Property tests: random markdown never raises out of the parser, the validator or the merge."""

from __future__ import annotations

from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from specledger.archive.merge import MergeError, merge_delta
from specledger.markdown import parse
from specledger.parse.delta import read_delta
from specledger.parse.proposal import read_proposal
from specledger.parse.spec import read_spec
from specledger.parse.tasks import read_tasks
from specledger.rules.change import check_design, check_proposal, check_tasks
from specledger.rules.delta import check_delta
from specledger.rules.spec import check_spec

FRAGMENTS = [
    "# Title", "## Purpose", "## Requirements", "## ADDED Requirements", "## MODIFIED Requirements",
    "## REMOVED Requirements", "## RENAMED Requirements", "## added requirements", "### Requirement: A",
    "### Requirement: B", "###Requirement: a", "### Requirement:", "### Other", "#### Scenario: S",
    "##### Scenario: T", "- **WHEN** x", "- **THEN** y", "The system SHALL do it.", "must not", "```", "~~~",
    "````md", "- FROM: `### Requirement: A`", "- TO: `### Requirement: C`", "- `### Requirement: B`",
    "- [ ] 1.1 task", "- [x] 2.1 done", "## 1. Group", "", "", "TBD", "**Key**: value", "\ufeff", "\r",
    "## Why", "## What Changes", "text é ẞ 😀",
]

documents = st.lists(st.one_of(st.sampled_from(FRAGMENTS), st.text(max_size=30)), max_size=40).map("\n".join)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(documents)
def test_parser_and_rules_never_raise(text: str) -> None:
    doc = parse(text)
    assert len(doc.lines) == len(doc.fenced)
    for heading in doc.headings:
        assert 1 <= heading.line <= len(doc.lines)
        assert not doc.fenced[heading.line - 1]
    path = Path("x.md")
    spec = read_spec("cap", path, doc)
    for finding in check_spec(spec, "x.md"):
        assert finding.line is None or 1 <= finding.line <= len(doc.lines)
    delta = read_delta("cap", path, doc)
    check_delta(delta, "x.md")
    check_proposal(read_proposal(path, doc), "x.md")
    check_tasks(read_tasks(path, doc), "x.md")
    check_design(path, doc, "x.md")


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(documents, documents)
def test_merge_raises_only_merge_error(main: str, delta_text: str) -> None:
    delta = read_delta("cap", Path("d.md"), parse(delta_text))
    for current in (parse(main), None):
        try:
            result = merge_delta("cap", current, delta, "change")
        except MergeError as err:
            assert str(err).startswith("cap")
        else:
            assert result.text.endswith("\n") and not result.text.endswith("\n\n")
            # the merged text is a spec the reader can read again
            read_spec("cap", Path("s.md"), parse(result.text))

"""Checking only what a delta wrote gives the findings that checking the whole produced spec gives.

``spec validate`` checks the spec each delta would leave behind. Most of it is the current spec,
unchanged and already checked, so the validator first checks a focused text (the produced spec
with only the requirements the delta wrote, see ``archive.merge.focused_text``) and reads the
whole text only when that shows something new. These tests compare every finding of a change,
with the shortcut on and off, on generated specs and deltas built from the lines that could
make a requirement read differently in the two texts: fences, stray headings of every level,
headings titled Purpose or Requirements, requirement headers that are not headings, blank runs.
A second property checks the regular expression that collapses blank runs against the loop it
stands in for.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from specledger import validate as validate_module
from specledger.archive.merge import _collapse_blank_runs, collapse_blank_runs, focused_text, merge_delta
from specledger.markdown import parse
from specledger.parse.blocks import split_requirements
from specledger.parse.delta import read_delta
from specledger.validate import Validator
from specledger.workspace import find_workspace

NAMES = ["Alpha", "Beta", "Gamma", "Delta one"]
BODY_LINES = [
    "The system SHALL work.", "The system works.", "", "", "   ", "\t", "\u00a0", "**Status**: draft",
    "#### Scenario: ok", "#### Scenario: ok", "- **WHEN** x", "- **THEN** y", "#### Scenario: bare",
    "### Notes", "#### Purpose", "### Requirements", "## ", "# Top", "## Other", "###Requirement: Hidden",
    "```", "~~~", "    ```", "##### Deep", "####", "#tag", "### ", "###  ", "## ADDED Requirements",
    "x" * 510,
]
AFTER_LINES = ["## Notes", "## ", "After.", "", "# End", "### Requirement: Late", "#### Scenario: late", "- **THEN** z",
         "###  "]
PURPOSES = ["Purpose long enough to say what this capability is for, in fifty characters or more.",
            "Too short.", "TBD", ""]


def _block(name: str, body: list[str]) -> list[str]:
    return [f"### Requirement: {name}", *body]


bodies = st.lists(st.sampled_from(BODY_LINES), max_size=7)
CLEAN = ["The system SHALL work.", "", "#### Scenario: ok", "- **WHEN** x", "- **THEN** y"]
# Bodies that once fooled a shortcut that lacked one of its guards, drawn often on purpose.
some_body = st.one_of(
    st.just(CLEAN), st.just(CLEAN),
    st.just(["The system SHALL work."]),  # no scenario: gains one if it ends up last before a stray one
    st.just([*CLEAN, "###  ", "#### Sub"]),  # a heading without a title or text: the schema's generic message
    # names its index
    bodies,
)
AFTER = st.one_of(
    st.lists(st.sampled_from(AFTER_LINES), max_size=4),
    st.just(["## ", "#### Scenario: late", "- **THEN** z"]),  # "## " ends the blocks but is no heading
    st.just(["# End", "The system SHALL z."]),
)


@st.composite
def base_specs(draw: st.DrawFn) -> str:
    lines = ["# cap Specification", ""]
    if draw(st.booleans()) or draw(st.booleans()):
        lines += ["## Purpose", draw(st.sampled_from(PURPOSES)), ""]
    lines += draw(st.lists(st.sampled_from(BODY_LINES), max_size=2))
    lines += ["## Requirements", ""]
    lines += draw(st.lists(st.sampled_from(BODY_LINES), max_size=2))  # preamble
    for name in draw(st.lists(st.sampled_from(NAMES), unique=True, max_size=4)):
        lines += [*_block(name, draw(some_body)), ""]
    lines += draw(AFTER)
    return "\n".join(lines) + "\n"


@st.composite
def deltas(draw: st.DrawFn) -> str:
    lines: list[str] = []
    added = draw(st.lists(st.sampled_from([*NAMES, "Epsilon", "Zeta"]), unique=True, max_size=2))
    if added:
        lines.append("## ADDED Requirements")
        for name in added:
            lines += [*_block(name, draw(some_body)), ""]
    modified = draw(st.lists(st.sampled_from(NAMES), unique=True, max_size=2))
    if modified:
        lines.append("## MODIFIED Requirements")
        for name in modified:
            lines += [*_block(name, draw(some_body)), ""]
    removed = draw(st.lists(st.sampled_from(NAMES), unique=True, max_size=2))
    if removed:
        lines += ["## REMOVED Requirements", *(f"### Requirement: {n}" for n in removed), ""]
    if draw(st.booleans()) or draw(st.booleans()):
        old, new = draw(st.sampled_from(NAMES)), draw(st.sampled_from(["Omega", "Omega", *NAMES]))
        lines += ["## RENAMED Requirements", f"- FROM: `### Requirement: {old}`", f"- TO: `### Requirement: {new}`", ""]
    if not lines:
        lines = ["## ADDED Requirements", *_block("Epsilon", ["The system SHALL work."])]
    return "\n".join(lines) + "\n"


PROPOSAL = "# Change\n\n## Why\nA reason long enough to pass the length rule of the proposal.\n\n## What Changes\n- x\n"


def _findings(root: Path, focused: bool, monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, str, str, str | None]]:
    monkeypatch.setattr(validate_module, "FOCUSED_CHECK", focused)
    report = Validator(find_workspace(root)).change("c")
    return [(f.level.name, f.code, f.message, f.path) for f in report.findings]


def _archive_errors(root: Path, focused: bool, monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, str]]:
    """The ERRORs archive's plan finds in each spec it would write (what makes it refuse)."""
    from specledger.archive.merge import MergeError

    monkeypatch.setattr(validate_module, "FOCUSED_CHECK", focused)
    validator = Validator(find_workspace(root))
    errors: list[tuple[str, str]] = []
    for delta_file in validator.delta_files("c")[0]:
        if delta_file.delta is None:
            continue
        try:
            result = validator.merged("c", delta_file.delta)
        except MergeError:
            continue
        current = validator.main_doc(delta_file.id)
        errors += [(f.code, f.message) for f in validator.result_errors(delta_file.id, current, result)]
    return errors


def _write_repo(root: Path, base: str, delta: str) -> None:
    (root / "openspec" / "specs" / "cap").mkdir(parents=True)
    (root / "openspec" / "specs" / "cap" / "spec.md").write_text(base, encoding="utf-8")
    change = root / "openspec" / "changes" / "c"
    (change / "specs" / "cap").mkdir(parents=True)
    (change / "proposal.md").write_text(PROPOSAL, encoding="utf-8")
    (change / "specs" / "cap" / "spec.md").write_text(delta, encoding="utf-8")


def _spec(*blocks: list[str], after: tuple[str, ...] = ()) -> str:
    head = ["# cap", "", "## Purpose", PURPOSES[0], "", "## Requirements", ""]
    return "\n".join([*head, *(line for block in blocks for line in [*block, ""]), *after]) + "\n"


# A renamed requirement without a scenario is last in the focused text, where it takes the stray
# scenario after a "## " line that only the block reader treats as the section's end.
STRAY_SCENARIO = (_spec(_block("Alpha", ["The system SHALL work."]), _block("Beta", CLEAN),
                        after=("## ", "#### Scenario: late", "- **THEN** z")),
                  "## RENAMED Requirements\n- FROM: `### Requirement: Alpha`\n- TO: `### Requirement: Omega`\n")
# A title-less heading's schema message names its index, which the removal of Alpha shifts.
SHIFTED_INDEX = (_spec(_block("Alpha", CLEAN), _block("Beta", [*CLEAN, "###  ", "#### Sub"])),
                 "\n".join(["## REMOVED Requirements", "### Requirement: Alpha", "", "## ADDED Requirements",
                            *_block("Gamma", CLEAN)]) + "\n")


@pytest.mark.scenario("validation", "Checking only what a change writes agrees with checking the whole spec")
@settings(max_examples=1000, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(base=base_specs(), delta=deltas())
@example(base=STRAY_SCENARIO[0], delta=STRAY_SCENARIO[1])
@example(base=SHIFTED_INDEX[0], delta=SHIFTED_INDEX[1])
def test_findings_and_archive_refusals_are_the_same_with_and_without_the_focused_check(
        base: str, delta: str, monkeypatch: pytest.MonkeyPatch) -> None:
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        _write_repo(root, base, delta)
        assert _findings(root, True, monkeypatch) == _findings(root, False, monkeypatch)
        assert _archive_errors(root, True, monkeypatch) == _archive_errors(root, False, monkeypatch)


def _focused(base: str, delta: str) -> str | None:
    parsed = read_delta("cap", Path("delta.md"), parse(delta))
    return merge_delta("cap", parse(base), parsed, "c", focus=True).focused


CLEAN_BASE = "\n".join(["# cap", "", "## Purpose", PURPOSES[0], "", "## Requirements", "",
                        *_block("Alpha", CLEAN), "", *_block("Beta", CLEAN), ""]) + "\n"


def test_the_focused_text_keeps_only_what_the_delta_wrote() -> None:
    delta = "\n".join(["## MODIFIED Requirements", *_block("Beta", ["The system SHALL work harder.", *CLEAN[1:]])])
    text = _focused(CLEAN_BASE, delta)
    assert text is not None
    assert "Requirement: Beta" in text and "work harder" in text
    assert "Requirement: Alpha" not in text  # left alone by the delta: not checked again
    assert "## Purpose" in text  # the whole-spec rules still see the frame


def test_a_delta_that_only_removes_keeps_one_requirement_in_the_focused_text() -> None:
    text = _focused(CLEAN_BASE, "## REMOVED Requirements\n### Requirement: Alpha\n")
    assert text is not None and "Requirement: Beta" in text  # else it would read as "no requirements"


@pytest.mark.parametrize("line", ["```", "# Top", "#### Purpose", "### Requirements", "~~~"])
def test_the_focused_text_is_refused_where_a_requirement_may_read_differently(line: str) -> None:
    delta = "\n".join(["## ADDED Requirements", *_block("Gamma", [*CLEAN, line, "more"])])
    assert _focused(CLEAN_BASE, delta) is None


def test_the_shortcut_answers_a_clean_change_and_defers_a_finding(monkeypatch: pytest.MonkeyPatch,
                                                                   tmp_path: Path) -> None:
    """Clean: the focused text alone decides. A new finding: the whole text gives its message."""
    calls: list[bool] = []
    original = Validator._nothing_new

    def spy(self: Validator, *args: object) -> bool:
        calls.append(original(self, *args))  # type: ignore[arg-type]
        return calls[-1]

    monkeypatch.setattr(Validator, "_nothing_new", spy)
    clean = tmp_path / "clean"
    _write_repo(clean, CLEAN_BASE, "\n".join(["## ADDED Requirements", *_block("Gamma", CLEAN)]))
    assert _findings(clean, True, monkeypatch) == []
    assert calls == [True]
    calls.clear()
    weak = tmp_path / "weak"
    weaker = _block("Alpha", ["The system works.", *CLEAN[1:]])  # no SHALL any more
    _write_repo(weak, CLEAN_BASE, "\n".join(["## MODIFIED Requirements", *weaker]))
    found = _findings(weak, True, monkeypatch)
    assert calls == [False]
    assert found == _findings(weak, False, monkeypatch)
    assert any(f[1].startswith("archive-result-") and '"Alpha"' in f[2] for f in found), found


LINE_KINDS = ["", " ", "\t", "\u00a0", "\x1c", "\x85", "\u2028", "\u3000", "\u200b", "x", " x ", "```", "~~~",
              "  ```x", "    ~~~", "````", "\f"]


@settings(max_examples=1500, deadline=None)
@given(st.lists(st.sampled_from(LINE_KINDS), max_size=14))
def test_collapsing_blank_runs_by_regex_matches_the_line_loop(lines: list[str]) -> None:
    text = "\n".join(lines)
    assert collapse_blank_runs(text) == "\n".join(_collapse_blank_runs(text.split("\n")))


@settings(max_examples=1500, deadline=None)
@given(st.lists(st.sampled_from([k for k in LINE_KINDS if "`" not in k and "~" not in k]), max_size=14))
def test_the_regex_path_itself_matches_the_line_loop(lines: list[str]) -> None:
    """Without fences the regex answers; this is the case the property above must really exercise."""
    text = "\n".join(lines)
    assert "```" not in text and "~~~" not in text
    assert collapse_blank_runs(text) == "\n".join(_collapse_blank_runs(text.split("\n")))


def test_focused_text_is_none_for_a_new_capability() -> None:
    delta = "\n".join(["## ADDED Requirements", *_block("Gamma", CLEAN)])
    parsed = read_delta("cap", Path("delta.md"), parse(delta))
    assert merge_delta("cap", None, parsed, "c", focus=True).focused is None
    fenced = CLEAN_BASE.replace("- **THEN** y", "```\n- **THEN** y\n```", 1)
    assert focused_text(parse(fenced), list(split_requirements(parse(fenced)).blocks)) is None
    assert focused_text(parse(CLEAN_BASE), list(split_requirements(parse(CLEAN_BASE)).blocks)) is not None


BLANK_RUN_SHAPES = {
    "one long line of spaces": lambda n: " " * n + "x",
    "many blank lines": lambda n: "  \n" * (n // 3) + "x",
    "blank and text lines in turn": lambda n: " \nx\n" * (n // 4),
    "indented lines": lambda n: ("\n" + " " * 100) * (n // 101) + "x",
}


@pytest.mark.parametrize("shape", sorted(BLANK_RUN_SHAPES))
def test_collapsing_blank_runs_is_linear(shape: str) -> None:
    """The regex runs on spec content: 8x the input must not cost anywhere near 64x (CPU time,
    best of three, as tests/core/test_linear_time.py measures)."""
    import time

    make = BLANK_RUN_SHAPES[shape]

    def cost(size: int) -> float:
        text = make(size)
        best = float("inf")
        for _ in range(3):
            start = time.process_time()
            collapse_blank_runs(text)
            best = min(best, time.process_time() - start)
        return max(best, 1e-4)

    # small sizes: a quadratic pattern already takes seconds at the larger one
    assert cost(8 * 5_000) / cost(5_000) < 30

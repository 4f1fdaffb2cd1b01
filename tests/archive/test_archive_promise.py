"""The promise, as a property: when ``spec validate CHANGE --strict`` passes, ``spec archive
CHANGE --yes`` succeeds and ``spec validate --all --strict`` passes afterwards.

Main specs and deltas are generated over a small pool of requirement names, so that deltas often
touch, rename, remove or collide with what exists; the invalid ones must be caught by validate,
and every valid one must archive cleanly. About three in four generated changes pass validate;
the test counts them and fails when fewer than ``MIN_KEPT`` of ``EXAMPLES`` do, so the property
cannot quietly shrink to a few cases.
"""

from __future__ import annotations

import contextlib
import json
import tempfile
from pathlib import Path

from click.testing import CliRunner
from hypothesis import event, given, settings
from hypothesis import strategies as st
from specledger.cli.main import cli

NAMES = ["Alpha", "Beta", "Gamma", "Delta Route", "Epsilon", "Zeta"]
SCENARIOS = ["Happy path", "Failure", "Retry", "Timeout"]
PURPOSE = (
    "Describes the generated capability used to check that validate tells the truth about archive."
)
WHY = "Generated change that exercises the merge so that validate and archive are checked to agree."


def requirement(name: str, scenarios: list[str], variant: int = 0) -> str:
    out = [
        f"### Requirement: {name}",
        f"The system SHALL handle {name.lower()} (variant {variant}).",
        "",
    ]
    for scenario in scenarios:
        out += [
            f"#### Scenario: {scenario}",
            "- **WHEN** it happens",
            "- **THEN** it is handled",
            "",
        ]
    return "\n".join(out)


@st.composite
def cases(draw: st.DrawFn) -> tuple[dict[str, str], dict[str, str]]:
    """(main specs, delta specs), each as {capability: text}."""
    mains: dict[str, dict[str, list[str]]] = {}
    for cap in draw(st.lists(st.sampled_from(["alpha", "beta"]), unique=True, max_size=2)):
        reqs = draw(st.lists(st.sampled_from(NAMES), unique=True, min_size=1, max_size=4))
        mains[cap] = {
            r: draw(st.lists(st.sampled_from(SCENARIOS), unique=True, min_size=1, max_size=2))
            for r in reqs
        }
    deltas: dict[str, str] = {}
    for cap in draw(
        st.lists(st.sampled_from(["alpha", "beta", "gamma"]), unique=True, min_size=1, max_size=2)
    ):
        existing = mains.get(cap, {})
        # Mostly plausible operations (on names that exist, in disjoint groups), and now and then
        # a wild one (any name, any section) that validate has to reject.
        order = draw(st.permutations(sorted(existing))) if existing else []
        wild = st.lists(st.sampled_from(NAMES), unique=True, max_size=1)
        n_ren, n_rem, n_mod = (draw(st.integers(0, 1)) for _ in range(3))
        renamed_from = order[:n_ren]
        removed = order[n_ren : n_ren + n_rem] + (
            draw(wild) if draw(st.integers(0, 9)) == 0 else []
        )
        modified_from = order[n_ren + n_rem : n_ren + n_rem + n_mod]
        modified = [f"{n} Renamed" if n in renamed_from else n for n in modified_from]
        modified += draw(wild) if draw(st.integers(0, 9)) == 0 else []
        fresh = [n for n in NAMES if n not in existing]
        added = draw(st.lists(st.sampled_from(fresh), unique=True, max_size=2)) if fresh else []
        added += draw(wild) if draw(st.integers(0, 9)) == 0 else []
        if not (added or modified or removed or renamed_from):
            # a delta with no operation only teaches validate what it already refuses
            added = [draw(st.sampled_from(fresh))]
        parts: list[str] = []
        # hypothesis favours the ends of a range, so the rare case is a middle value
        if cap not in mains and draw(st.integers(0, 9)) != 5:
            parts.append(f"## Purpose\n{PURPOSE}\n")
        if added:
            parts.append(
                "## ADDED Requirements\n\n"
                + "\n".join(
                    requirement(
                        n,
                        draw(
                            st.lists(
                                st.sampled_from(SCENARIOS), unique=True, min_size=1, max_size=2
                            )
                        ),
                    )
                    for n in dict.fromkeys(added)
                )
            )
        if modified:
            blocks = []
            for n in dict.fromkeys(modified):
                base = n.removesuffix(" Renamed")
                kept = list(existing.get(base, []))
                if (
                    draw(st.integers(0, 5)) == 0
                ):  # now and then drop a scenario: validate must catch it
                    kept = kept[1:]
                extra = draw(st.lists(st.sampled_from(SCENARIOS), unique=True, max_size=1))
                blocks.append(
                    requirement(n, list(dict.fromkeys(kept + extra)) or ["Happy path"], variant=1)
                )
            parts.append("## MODIFIED Requirements\n\n" + "\n".join(blocks))
        if removed:
            parts.append(
                "## REMOVED Requirements\n\n"
                + "\n".join(f"### Requirement: {n}\n" for n in dict.fromkeys(removed))
            )
        if renamed_from:
            parts.append(
                "## RENAMED Requirements\n\n"
                + "\n".join(
                    f"- FROM: `### Requirement: {a}`\n- TO: `### Requirement: {a} Renamed`\n"
                    for a in renamed_from
                )
            )
        if parts:
            deltas[cap] = "\n".join(parts) + "\n"
    main_texts = {
        cap: f"# {cap} Specification\n\n## Purpose\n{PURPOSE}\n\n## Requirements\n\n"
        + "\n".join(requirement(n, s) for n, s in reqs.items())
        for cap, reqs in mains.items()
    }
    return main_texts, deltas


def write_tree(root: Path, mains: dict[str, str], deltas: dict[str, str]) -> None:
    for cap, text in mains.items():
        (root / "openspec/specs" / cap).mkdir(parents=True)
        (root / "openspec/specs" / cap / "spec.md").write_text(text)
    change = root / "openspec/changes/generated"
    change.mkdir(parents=True)
    (change / "proposal.md").write_text(
        f"# Generated\n\n## Why\n{WHY}\n\n## What Changes\n- Generated deltas.\n"
    )
    (change / "tasks.md").write_text("## 1. Work\n\n- [x] 1.1 Do it\n")
    for cap, text in deltas.items():
        (change / "specs" / cap).mkdir(parents=True)
        (change / "specs" / cap / "spec.md").write_text(text)


# The generator aims at mostly valid changes; the rest exercise validate's refusals. The run
# counts what it kept, so a generator or a validator that drifts into rejecting nearly every
# example fails here instead of letting the property pass on a handful of cases.
EXAMPLES = 300
MIN_KEPT = 180  # about 225 are kept; the spread over runs is about 8


def check_case(case: tuple[dict[str, str], dict[str, str]]) -> bool:
    """Validate the generated change; when it passes, archive it and validate everything again.

    Returns whether validate passed (the example was kept for the promise).
    """
    mains, deltas = case
    runner = CliRunner()
    with tempfile.TemporaryDirectory(prefix="promise-") as tmp:
        root = Path(tmp)
        write_tree(root, mains, deltas)
        with contextlib.chdir(root):
            validated = runner.invoke(
                cli, ["validate", "generated", "--strict", "--json"], catch_exceptions=False
            )
            if validated.exit_code != 0:
                codes = sorted({i["code"] for item in json.loads(validated.stdout)["items"]
                                for i in item["issues"]})
                event(f"refused by validate: {', '.join(codes)}")
                return False
            event("kept: validate passed")
            archived = runner.invoke(cli, ["archive", "generated", "--yes"], catch_exceptions=False)
            assert archived.exit_code == 0, archived.output + archived.stderr
            after = runner.invoke(cli, ["validate", "--all", "--strict"], catch_exceptions=False)
            assert after.exit_code == 0, after.output + after.stderr
    return True


def test_strict_validate_implies_archive_succeeds_and_leaves_valid_specs() -> None:
    outcomes: list[bool] = []

    @settings(max_examples=EXAMPLES, deadline=None, database=None)
    @given(cases())
    def check(case: tuple[dict[str, str], dict[str, str]]) -> None:
        outcomes.append(check_case(case))

    check()
    kept = sum(outcomes)
    print(f"validate-implies-archive: {kept} of {len(outcomes)} examples kept")
    assert len(outcomes) >= EXAMPLES
    assert kept >= MIN_KEPT, f"only {kept} of {len(outcomes)} generated changes passed validate"

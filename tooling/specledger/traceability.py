"""Scenarios linked to the tests that verify them: the index, the run record, links and coverage.

A test names the scenario it verifies with ``@pytest.mark.scenario(capability, scenario)`` (a
requirement title may be added to tell apart two scenarios of one name). Identity is the
capability plus the scenario title, plus the requirement title only when needed, so a
requirement renamed by a RENAMED delta keeps its scenarios' links.

Three files meet here:

* the **index**: every scenario of every main spec, read through the ``Validator`` (the block
  reading archive uses), each with a fingerprint of its text;
* the **run record** that the pytest plugin writes (``--spec-coverage FILE``): which test
  exercised which scenario, and whether it passed, failed or was skipped;
* the **links file** (``.spec-links.json``, committed), written by ``spec coverage --confirm``:
  for each link, the fingerprint of the scenario text it was last confirmed against. When the
  text changes after that, the link is *suspect* until someone confirms it again.
"""

from __future__ import annotations

import difflib
import hashlib
import json
import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from specledger.errors import SpecledgerError
from specledger.parse.files import UnreadableFile, read_regular
from specledger.workspace import Workspace

if TYPE_CHECKING:
    from specledger.archive.plan import ArchivePlan

RUN_FORMAT = "specledger-scenario-run/1"
LINKS_FORMAT = "specledger-scenario-links/1"
LINKS_FILE = ".spec-links.json"
MAX_RECORD_BYTES = 64 * 1024 * 1024

Outcome = Literal["passed", "failed", "skipped"]
Status = Literal["passing", "failing", "skipped", "untested"]


def scenario_title(heading: str) -> str:
    """``Scenario: Event happens`` -> ``Event happens`` (the title a marker uses)."""
    head, sep, rest = heading.partition(":")
    return rest.strip() if sep and head.strip().lower() == "scenario" else heading.strip()


def fingerprint(text: str) -> str:
    """A short hash of a scenario's text, blind to whitespace and line endings."""
    return hashlib.sha256(" ".join(text.split()).encode("utf-8")).hexdigest()[:16]


@dataclass(frozen=True)
class ScenarioRef:
    """One scenario of one main spec."""

    capability: str
    requirement: str
    scenario: str
    line: int
    fingerprint: str

    @property
    def key(self) -> str:
        """The identity used in the run record and the links file."""
        return f"{self.capability} / {self.requirement} / {self.scenario}"


@dataclass
class ScenarioIndex:
    """Every scenario of the workspace's main specs, by capability."""

    by_capability: dict[str, list[ScenarioRef]]

    def all(self) -> list[ScenarioRef]:
        return [ref for cap in sorted(self.by_capability) for ref in self.by_capability[cap]]

    def resolve(self, capability: str, scenario: str, requirement: str | None = None) -> ScenarioRef:
        """The scenario a marker names; ``SpecledgerError`` with the closest match otherwise."""
        refs = self.by_capability.get(capability)
        if refs is None:
            close = difflib.get_close_matches(capability, sorted(self.by_capability), n=1)
            hint = f"did you mean '{close[0]}'?" if close else f"capabilities: {', '.join(sorted(self.by_capability))}"
            raise SpecledgerError(f"no capability '{capability}'", code="scenario_unknown", hint=hint)
        found = [r for r in refs if r.scenario == scenario and (requirement is None or r.requirement == requirement)]
        if len(found) == 1:
            return found[0]
        if len(found) > 1:
            names = ", ".join(f"'{r.requirement}'" for r in found)
            raise SpecledgerError(
                f"'{scenario}' names a scenario in several requirements of {capability} ({names})",
                code="scenario_ambiguous", hint="give the requirement title as the third argument of the marker")
        choices = [r.scenario for r in refs if requirement is None or r.requirement == requirement]
        close = difflib.get_close_matches(scenario, choices, n=1, cutoff=0.4)
        where = f"requirement '{requirement}' of {capability}" if requirement else capability
        if requirement is not None and not any(r.requirement == requirement for r in refs):
            reqs = sorted({r.requirement for r in refs})
            close_req = difflib.get_close_matches(requirement, reqs, n=1)
            raise SpecledgerError(f"no requirement '{requirement}' in {capability}", code="scenario_unknown",
                                  hint=f"did you mean '{close_req[0]}'?" if close_req else None)
        raise SpecledgerError(f"no scenario '{scenario}' in {where}", code="scenario_unknown",
                              hint=f"did you mean '{close[0]}'?" if close else None)


def build_index(workspace: Workspace) -> ScenarioIndex:
    """Read every main spec once (through the validator) and list its scenarios."""
    from specledger.parse.blocks import split_requirements
    from specledger.parse.files import UnreadableFile
    from specledger.validate import Validator

    validator = Validator(workspace)
    by_capability: dict[str, list[ScenarioRef]] = {}
    for spec_id in workspace.spec_ids():
        try:
            doc = validator.main_doc(spec_id)
        except UnreadableFile:
            continue  # validate reports it; coverage has nothing to say about it
        if doc is None:
            continue
        refs: list[ScenarioRef] = []
        for block in split_requirements(doc).blocks:
            for scenario in block.scenarios:
                refs.append(ScenarioRef(spec_id, block.name, scenario_title(scenario.name), scenario.line,
                                        fingerprint(scenario.text)))
        by_capability[spec_id] = refs
    return ScenarioIndex(by_capability)


# -- the run record --------------------------------------------------------------------------------


@dataclass
class TestRecord:
    """One test, the scenarios it names, and how it ended."""

    nodeid: str
    outcome: Outcome
    scenarios: list[ScenarioRef] = field(default_factory=list)


def run_record_data(tests: Iterable[TestRecord]) -> dict[str, Any]:
    return {
        "format": RUN_FORMAT,
        "tests": [
            {"nodeid": t.nodeid, "outcome": t.outcome,
             "scenarios": [{"capability": s.capability, "requirement": s.requirement, "scenario": s.scenario,
                            "fingerprint": s.fingerprint} for s in t.scenarios]}
            for t in sorted(tests, key=lambda t: t.nodeid)
        ],
    }


def _read_record(path: Path, what: str) -> bytes | None:
    """The bytes of a run record or links file; ``None`` when there is none.

    Anything but a regular file of at most ``MAX_RECORD_BYTES`` is a ``SpecledgerError`` naming
    the file (read as ``parse.files.read_regular`` reads: no blocking on a FIFO, nothing past the
    cap). A symbolic link is followed, as for every file specledger only reads (a spec, a
    template); ``spec coverage --confirm`` still refuses to write through one.
    """
    try:
        raw = read_regular(path, MAX_RECORD_BYTES)
    except UnreadableFile as err:
        if not os.path.lexists(path):
            return None
        raise SpecledgerError(f"the {what} {err.reason}", path=str(path), code="coverage_file_unreadable") from err
    if len(raw) > MAX_RECORD_BYTES:
        raise SpecledgerError(f"the {what} is larger than {MAX_RECORD_BYTES // (1024 * 1024)} MiB; "
                              "refusing to read it", path=str(path), code="coverage_file_invalid")
    return raw


def _parse_json(path: Path, what: str, raw: bytes) -> Any:
    try:
        return json.loads(raw.decode("utf-8"))
    except (ValueError, UnicodeDecodeError, RecursionError) as err:
        raise SpecledgerError(f"the {what} is not valid JSON ({str(err)[:120]})", path=str(path),
                              code="coverage_file_invalid") from err


def load_run(path: Path) -> list[tuple[str, Outcome, list[dict[str, str]]]]:
    """(nodeid, outcome, scenarios) for each test of a run record."""
    raw = _read_record(path, "scenario run record")
    if raw is None:
        raise SpecledgerError("no scenario run record here", path=str(path), code="coverage_file_missing",
                              hint="run the tests with --spec-coverage FILE first")
    data = _parse_json(path, "scenario run record", raw)
    try:
        if data.get("format") != RUN_FORMAT:
            raise ValueError(f"unknown format {data.get('format')!r}")
        out = []
        for test in data["tests"]:
            outcome = test["outcome"]
            if outcome not in ("passed", "failed", "skipped"):
                raise ValueError(f"unknown outcome {outcome!r}")
            scenarios = [{k: str(s[k]) for k in ("capability", "requirement", "scenario")} for s in test["scenarios"]]
            out.append((str(test["nodeid"]), outcome, scenarios))
        return out
    except (AttributeError, KeyError, TypeError, ValueError) as err:
        raise SpecledgerError(f"the scenario run record is damaged ({err})", path=str(path),
                              code="coverage_file_invalid") from err


def load_links(path: Path) -> dict[tuple[str, str], str]:
    """``{(nodeid, scenario key): confirmed fingerprint}``; empty when the file does not exist."""
    raw = _read_record(path, "links file")
    if raw is None:
        return {}
    data = _parse_json(path, "links file", raw)
    try:
        if data.get("format") != LINKS_FORMAT:
            raise ValueError(f"unknown format {data.get('format')!r}")
        return {(str(link["test"]), str(link["scenario"])): str(link["fingerprint"]) for link in data["links"]}
    except (AttributeError, KeyError, TypeError, ValueError) as err:
        raise SpecledgerError(f"the links file is damaged ({err})", path=str(path),
                              code="coverage_file_invalid") from err


# -- coverage ---------------------------------------------------------------------------------------


@dataclass
class Link:
    test: str
    outcome: Outcome
    state: Literal["confirmed", "suspect", "new"]


@dataclass
class ScenarioCoverage:
    ref: ScenarioRef
    links: list[Link] = field(default_factory=list)

    @property
    def status(self) -> Status:
        outcomes = {link.outcome for link in self.links}
        if "failed" in outcomes:
            return "failing"
        if "passed" in outcomes:
            return "passing"
        return "skipped" if outcomes else "untested"

    @property
    def suspect(self) -> bool:
        return any(link.state == "suspect" for link in self.links)

    @property
    def covered(self) -> bool:
        """Counted as covered: a passing test and no suspect link."""
        return self.status == "passing" and not self.suspect


@dataclass
class CoverageReport:
    scenarios: list[ScenarioCoverage]
    stale: list[tuple[str, str]]  # (test, scenario key) in the run but no longer in the specs

    @property
    def percent(self) -> float:
        if not self.scenarios:
            return 100.0
        return 100.0 * sum(s.covered for s in self.scenarios) / len(self.scenarios)


def _ref_key(capability: str, requirement: str, scenario: str) -> str:
    return f"{capability} / {requirement} / {scenario}"


def coverage(index: ScenarioIndex, run: list[tuple[str, Outcome, list[dict[str, str]]]],
             links: dict[tuple[str, str], str]) -> CoverageReport:
    """Join the index with a run record and the confirmed links."""
    refs = index.all()
    table = {ref.key: ScenarioCoverage(ref) for ref in refs}
    # grouped in one pass: a requirement renamed since the run is found by its scenario title alone
    by_scenario: dict[tuple[str, str], list[ScenarioRef]] = {}
    for ref in refs:
        by_scenario.setdefault((ref.capability, ref.scenario), []).append(ref)
    stale: list[tuple[str, str]] = []
    for nodeid, outcome, scenarios in run:
        for named in scenarios:
            key = _ref_key(named["capability"], named["requirement"], named["scenario"])
            entry = table.get(key)
            if entry is None:
                # the requirement may have been renamed since the run: the scenario title still identifies it
                same = by_scenario.get((named["capability"], named["scenario"]), [])
                entry = table[same[0].key] if len(same) == 1 else None
            if entry is None:
                stale.append((nodeid, key))
                continue
            confirmed = links.get((nodeid, _link_key(entry.ref)))
            state: Literal["confirmed", "suspect", "new"] = (
                "new" if confirmed is None else ("confirmed" if confirmed == entry.ref.fingerprint else "suspect"))
            entry.links.append(Link(nodeid, outcome, state))
    return CoverageReport(list(table.values()), stale)


def _link_key(ref: ScenarioRef) -> str:
    """How the links file names a scenario: capability and scenario title (requirement-free, so a
    RENAMED requirement keeps its links), unless the title is used twice in the capability."""
    return f"{ref.capability} / {ref.scenario}"


def links_data(report: CoverageReport, previous: dict[tuple[str, str], str] | None = None,
               ran: set[str] | None = None) -> dict[str, Any]:
    """The links file for ``--confirm``: every link of the run, at the scenario text of today.

    With ``previous`` (the links file as it was) and ``ran`` (the tests in the run record), the
    links of tests that did not run are kept as they were, so that confirming after running a
    few tests does not forget the others; only links to scenarios that no longer exist go.
    """
    fresh = {(link.test, _link_key(entry.ref)): entry.ref.fingerprint
             for entry in report.scenarios for link in entry.links}
    if previous is not None and ran is not None:
        existing = {_link_key(entry.ref) for entry in report.scenarios}
        for (test, scenario), fingerprint in previous.items():
            if test not in ran and scenario in existing:
                fresh.setdefault((test, scenario), fingerprint)
    links = sorted(({"test": test, "scenario": scenario, "fingerprint": fingerprint}
                    for (test, scenario), fingerprint in fresh.items()),
                   key=lambda item: (item["scenario"], item["test"]))
    return {"format": LINKS_FORMAT, "links": links}


def index_from_texts(texts: dict[str, str]) -> ScenarioIndex:
    """The scenarios of spec texts held in memory (e.g. what an archive plan would write)."""
    from specledger.markdown import parse
    from specledger.parse.blocks import split_requirements

    by_capability: dict[str, list[ScenarioRef]] = {}
    for spec_id, text in texts.items():
        by_capability[spec_id] = [
            ScenarioRef(spec_id, block.name, scenario_title(scenario.name), scenario.line, fingerprint(scenario.text))
            for block in split_requirements(parse(text)).blocks for scenario in block.scenarios]
    return ScenarioIndex(by_capability)


def suspects_after(before: ScenarioIndex, after: ScenarioIndex,
                   links: dict[tuple[str, str], str]) -> list[tuple[str, str]]:
    """(test, scenario) links that become suspect when the specs go from ``before`` to ``after``:
    the link was confirmed against a scenario text that changes."""
    changed: set[str] = set()
    for capability, refs in after.by_capability.items():
        old = {r.scenario: r.fingerprint for r in before.by_capability.get(capability, [])}
        changed.update(_link_key(r) for r in refs if r.scenario in old and old[r.scenario] != r.fingerprint)
    return sorted((test, key) for (test, key), confirmed in links.items() if key in changed)


def suspects_of_plan(workspace: Workspace, plan: ArchivePlan, warn: Callable[[str], None]) -> list[tuple[str, str]]:
    """(test, scenario) links an archive plan makes suspect: it changes the scenario text they confirmed.

    Never fails and never blocks, since this runs after the archive is done: a links file that
    cannot be read (a pipe, a device, a folder, too large, damaged) is described to ``warn``,
    naming the file, and nothing is listed; ``spec coverage`` refuses the file itself.
    """
    try:
        links = load_links(workspace.root / LINKS_FILE)
    except SpecledgerError as err:
        warn(f"{err.path}: {err.message}; the test links this archive makes suspect cannot be listed")
        return []
    if not links:
        return []
    changed = [u for u in plan.specs if u.action == "update" and u.old_text is not None and u.new_text is not None]
    before = index_from_texts({u.spec_id: u.old_text for u in changed if u.old_text is not None})
    after = index_from_texts({u.spec_id: u.new_text for u in changed if u.new_text is not None})
    return suspects_after(before, after, links)


__all__ = [
    "LINKS_FILE",
    "CoverageReport",
    "ScenarioIndex",
    "ScenarioRef",
    "TestRecord",
    "build_index",
    "coverage",
    "fingerprint",
    "index_from_texts",
    "links_data",
    "load_links",
    "load_run",
    "run_record_data",
    "suspects_after",
    "suspects_of_plan",
]

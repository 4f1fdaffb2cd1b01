"""The pytest plugin: ``@pytest.mark.scenario(capability, scenario[, requirement])``.

Registered through the ``pytest11`` entry point, so any project with specledger installed can
link its tests to its spec scenarios. At collection every marker is resolved against the
workspace's main specs (found from pytest's root folder); one that names no scenario stops the
run with the closest match, so a renamed scenario cannot silently orphan its tests. With
``--spec-coverage FILE`` the plugin writes which scenarios each test exercised and how the test
ended; ``spec coverage --from FILE`` reads it.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from specledger.errors import SpecledgerError
from specledger.traceability import Outcome, ScenarioIndex, ScenarioRef, TestRecord, run_record_data

_SCENARIOS = pytest.StashKey[list[ScenarioRef]]()


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("specledger")
    group.addoption("--spec-coverage", metavar="FILE", default=None,
                    help="write which spec scenarios the tests exercised, and how they ended, to FILE (JSON)")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "scenario(capability, scenario, requirement=None): this test verifies that scenario of "
        "specs/<capability>/spec.md (checked at collection; see spec coverage)",
    )
    config.pluginmanager.register(ScenarioRecorder(config), "specledger-scenarios")


def _marker_args(marker: pytest.Mark) -> tuple[str, str, str | None]:
    args = list(marker.args)
    requirement = marker.kwargs.get("requirement")
    if len(args) == 3 and requirement is None:
        requirement = args.pop()
    if len(args) != 2 or not all(isinstance(a, str) for a in args) or not isinstance(requirement, str | None):
        raise ValueError("use @pytest.mark.scenario(capability, scenario) or (capability, scenario, requirement)")
    return args[0], args[1], requirement


class ScenarioRecorder:
    """Resolves the markers at collection and records each marked test's outcome."""

    def __init__(self, config: pytest.Config) -> None:
        self.config = config
        self.index: ScenarioIndex | None = None
        self.records: dict[str, TestRecord] = {}

    def _index(self) -> ScenarioIndex:
        if self.index is None:
            from specledger.traceability import build_index
            from specledger.workspace import find_workspace

            try:
                self.index = build_index(find_workspace(Path(self.config.rootpath)))
            except SpecledgerError as err:
                raise pytest.UsageError(f"scenario markers need a specledger workspace: {err}") from err
        return self.index

    def pytest_collection_modifyitems(self, items: list[pytest.Item]) -> None:
        problems: list[str] = []
        for item in items:
            markers = list(item.iter_markers("scenario"))
            if not markers:
                continue
            refs: list[ScenarioRef] = []
            for marker in markers:
                try:
                    capability, scenario, requirement = _marker_args(marker)
                    refs.append(self._index().resolve(capability, scenario, requirement))
                except (ValueError, SpecledgerError) as err:
                    problems.append(f"{item.nodeid}: scenario marker {marker.args!r}: {err}")
            item.stash[_SCENARIOS] = refs
            self.records[item.nodeid] = TestRecord(item.nodeid, "skipped", refs)  # until it runs
        if problems:
            raise pytest.UsageError("scenario markers that name no scenario:\n  " + "\n  ".join(problems))

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        """Fold setup, call and teardown into one outcome: failed beats skipped beats passed."""
        record = self.records.get(report.nodeid)
        if record is None:
            return
        xfail = hasattr(report, "wasxfail")
        if report.when == "setup" and record.outcome == "skipped" and report.passed:
            record.outcome = "passed"  # it runs now; the call and teardown decide from here
        if report.failed and not xfail:
            record.outcome = "failed"
        elif (report.skipped or xfail) and record.outcome != "failed":
            record.outcome = "skipped"

    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        target = self.config.getoption("--spec-coverage")
        if not target:
            return
        from specledger.fsio import replace_atomically

        path = Path(target)
        if not path.is_absolute():
            path = Path(self.config.invocation_params.dir) / path
        data = json.dumps(run_record_data(self.records.values()), indent=1, sort_keys=True) + "\n"
        replace_atomically(path, data.encode("utf-8"))


__all__ = ["Outcome", "ScenarioRecorder"]

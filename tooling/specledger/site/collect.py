"""Gather what the site shows from the core: validator reports, archive plans and history.

Nothing here reads a spec or a delta on its own: specs and deltas come from the ``Validator``
(which read them once to validate), archive plans from ``Validator.bulk(plans=True)`` (built
where each change was validated), history from ``specledger.history``. The only files read here
are a change's proposal, design and tasks, for display.

``collect`` gathers what every page needs; what a change's own page needs (its texts, deltas
and redlines) is made by ``change_parts`` when that page is rendered, so that a large site makes
it in the page-rendering worker processes instead of in this one.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from functools import partial
from pathlib import Path

from specledger.archive.plan import ArchivePlan, build_plan
from specledger.errors import SpecledgerError
from specledger.findings import Finding, Level
from specledger.history import History, build_history
from specledger.markdown import Document
from specledger.model import Block
from specledger.parse.blocks import split_requirements
from specledger.parse.files import UnreadableFile, read_markdown
from specledger.parse.proposal import read_proposal
from specledger.parse.spec import read_spec
from specledger.parse.tasks import TASKS_FILE, read_tasks
from specledger.site.redline import Redline, redline
from specledger.validate import DeltaFile, ItemReport, Validator
from specledger.workspace import Workspace


@dataclass
class ChangeTexts:
    """The human-written files of a change folder (None when absent or unreadable)."""

    proposal: str | None
    design: str | None
    tasks: str | None
    title: str
    why: str | None
    done: int
    total: int


@dataclass
class SpecInfo:
    id: str
    rel: str
    title: str
    doc: Document | None
    blocks: list[Block]
    findings: list[Finding]


@dataclass
class OpenChange:
    name: str
    rel: str
    folder: Path
    findings: list[Finding]
    plan: ArchivePlan | None = None
    plan_problem: str | None = None  # why archive would refuse, when it would

    @property
    def errors(self) -> int:
        return sum(1 for f in self.findings if f.level is Level.ERROR)

    @property
    def warnings(self) -> int:
        return sum(1 for f in self.findings if f.level is Level.WARNING)

    @property
    def skip_specs(self) -> bool:
        return self.plan is not None and self.plan.skip_specs

    def redline_specs(self) -> list[str]:
        """The specs this change's redlines show, in the plan's order."""
        return [update.spec_id for update in self.plan.specs] if self.plan is not None else []


@dataclass
class ChangeParts:
    """What an open change's own page shows: its texts, its deltas and its redlines."""

    texts: ChangeTexts
    deltas: list[DeltaFile]
    redlines: list[Redline]

    def touched_specs(self) -> list[str]:
        return sorted({d.id for d in self.deltas})


@dataclass
class SiteData:
    """Everything the pages are made from, sorted."""

    workspace: Workspace
    validator: Validator  # holds what it read; asked again for each change's deltas
    specs: list[SpecInfo]
    changes: list[OpenChange]
    history: History


def _read(path: Path) -> Document | None:
    if not path.is_file():
        return None
    try:
        return read_markdown(path)
    except UnreadableFile:
        return None  # the validator's report already carries a file-unreadable finding


def change_texts(folder: Path, name: str) -> ChangeTexts:
    """Proposal, design and tasks of a change folder (open or archived), read for display."""
    proposal, design, tasks = _read(folder / "proposal.md"), _read(folder / "design.md"), _read(folder / TASKS_FILE)
    title, why = name, None
    if proposal is not None:
        read = read_proposal(folder / "proposal.md", proposal)
        title, why = read.title or name, read.why
    done = total = 0
    if tasks is not None:
        parsed = read_tasks(folder / TASKS_FILE, tasks)
        done, total = parsed.done, parsed.total
    return ChangeTexts(
        proposal.text if proposal else None, design.text if design else None, tasks.text if tasks else None,
        title, why, done, total,
    )


@dataclass
class _SpecRead:
    """A main spec as the pages show it, before the validator's findings on it are known."""

    rel: str
    title: str
    doc: Document | None
    blocks: list[Block]


def _read_spec(validator: Validator, spec_id: str) -> _SpecRead:
    ws = validator.ws
    path = ws.spec_path(spec_id)
    try:
        doc = validator.main_doc(spec_id)
    except UnreadableFile:
        doc = None
    if doc is None:
        return _SpecRead(ws.rel(path), spec_id, None, [])
    return _SpecRead(ws.rel(path), read_spec(spec_id, path, doc).title, doc, list(split_requirements(doc).blocks))


def _read_specs(validator: Validator, spec_ids: list[str], into: dict[str, _SpecRead]) -> None:
    for spec_id in spec_ids:
        into[spec_id] = _read_spec(validator, spec_id)


def _open_change(validator: Validator, name: str, report: ItemReport) -> OpenChange:
    ws = validator.ws
    folder = ws.change_dir(name)
    change = OpenChange(name, ws.rel(folder), folder, report.findings)
    known = validator.plans.get(name)
    if isinstance(known, str):
        change.plan_problem = known
    elif known is not None:
        change.plan = known
    else:
        try:
            change.plan = build_plan(ws, name, validator=validator)
        except SpecledgerError as err:
            change.plan_problem = err.message
    return change


def change_parts(validator: Validator, change: OpenChange, docs: Mapping[str, Document | None]) -> ChangeParts:
    """A change's texts, deltas and redlines (one per spec its archive plan touches, in plan order).

    The deltas come from ``validator``, which reads them now unless it validated the change
    itself (a large run validates in worker processes). ``docs`` holds the main specs as the
    validator parsed them, by id; a redline whose spec is not among them parses the plan's old
    text itself.
    """
    texts = change_texts(change.folder, change.name)
    deltas, _ = validator.delta_files(change.name)
    redlines = []
    if change.plan is not None:
        for update in change.plan.specs:
            delta = next((d.delta for d in deltas if d.id == update.spec_id), None)
            redlines.append(redline(update, delta, docs.get(update.spec_id)))
    return ChangeParts(texts, deltas, redlines)


class _Meanwhile:
    """Steps this process takes while a bulk validation runs in worker processes.

    A large validation runs in forked workers, and this process only waits for their results;
    ``Validator.bulk`` calls its ``progress`` here as each batch of them arrives. Each call takes
    one step, so that what is needed after the validation (the main specs parsed, the history
    read, the templates compiled) is mostly done by then, instead of afterwards with a core
    idle. ``rest`` takes the steps left (all of them when the validation ran here).
    """

    def __init__(self, steps: Iterable[Callable[[], object]]) -> None:
        self._steps = deque(steps)

    def __call__(self, _done: int, _total: int) -> None:
        if self._steps:
            self._steps.popleft()()

    def rest(self) -> None:
        while self._steps:
            self._steps.popleft()()


SPECS_PER_STEP = 20


def collect(workspace: Workspace, meanwhile: Iterable[Callable[[], object]] = ()) -> SiteData:
    """Validate everything once and derive the site's data from that one reading.

    ``meanwhile``: steps of the caller's own (compiling templates, say) to take in this process
    while the validation runs in worker processes (see ``_Meanwhile``).
    """
    validator = Validator(workspace)
    spec_ids = workspace.spec_ids()
    read: dict[str, _SpecRead] = {}
    history: list[History] = []
    steps = [*meanwhile, lambda: history.append(build_history(validator))]
    steps += [partial(_read_specs, validator, spec_ids[i:i + SPECS_PER_STEP], read)
              for i in range(0, len(spec_ids), SPECS_PER_STEP)]
    pauses = _Meanwhile(steps)
    reports = validator.bulk(changes=True, specs=True, plans=True, progress=pauses)
    pauses.rest()
    by_key = {(r.type, r.id): r for r in reports}
    specs = []
    for spec_id in spec_ids:
        got = read[spec_id]
        specs.append(SpecInfo(spec_id, got.rel, got.title, got.doc, got.blocks, by_key[("spec", spec_id)].findings))
    changes = [_open_change(validator, n, by_key[("change", n)]) for n in workspace.change_names()]
    return SiteData(workspace, validator, specs, changes, history[0])


__all__ = ["ChangeParts", "ChangeTexts", "OpenChange", "SiteData", "SpecInfo", "change_parts", "change_texts",
           "collect"]

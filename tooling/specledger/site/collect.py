"""Gather what the site shows from the core: validator reports, archive plans and history.

Nothing here reads a spec or a delta on its own: specs and deltas come from the ``Validator``
(which read them once to validate), redlines from ``build_plan`` handed that same validator,
history from ``specledger.history``. The only files read here are a change's proposal, design
and tasks, for display.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from specledger.archive.plan import ArchivePlan, build_plan
from specledger.errors import SpecledgerError
from specledger.findings import Finding, Level
from specledger.history import History, build_history
from specledger.markdown import Document
from specledger.model import Block, Delta
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
    texts: ChangeTexts
    findings: list[Finding]
    deltas: list[DeltaFile]
    skip_specs: bool = False
    plan_problem: str | None = None  # why archive would refuse, when it would
    redlines: list[Redline] = field(default_factory=list)

    @property
    def errors(self) -> int:
        return sum(1 for f in self.findings if f.level is Level.ERROR)

    @property
    def warnings(self) -> int:
        return sum(1 for f in self.findings if f.level is Level.WARNING)

    def touched_specs(self) -> list[str]:
        return sorted({d.id for d in self.deltas})

    def delta_for(self, spec_id: str) -> Delta | None:
        return next((d.delta for d in self.deltas if d.id == spec_id), None)


@dataclass
class SiteData:
    """Everything the pages are made from, sorted."""

    workspace: Workspace
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


def _spec_info(validator: Validator, spec_id: str, report: ItemReport) -> SpecInfo:
    ws = validator.ws
    path = ws.spec_path(spec_id)
    try:
        doc = validator.main_doc(spec_id)
    except UnreadableFile:
        doc = None
    if doc is None:
        return SpecInfo(spec_id, ws.rel(path), spec_id, None, [], report.findings)
    title = read_spec(spec_id, path, doc).title
    return SpecInfo(spec_id, ws.rel(path), title, doc, list(split_requirements(doc).blocks), report.findings)


def _open_change(validator: Validator, name: str, report: ItemReport) -> OpenChange:
    ws = validator.ws
    folder = ws.change_dir(name)
    deltas, _ = validator.delta_files(name)
    change = OpenChange(name, ws.rel(folder), change_texts(folder, name), report.findings, deltas)
    plan: ArchivePlan | None = None
    known = validator.plans.get(name)
    if isinstance(known, str):
        change.plan_problem = known
    elif known is not None:
        plan = known
    else:
        try:
            plan = build_plan(ws, name, validator=validator)
        except SpecledgerError as err:
            change.plan_problem = err.message
    if plan is not None:
        change.skip_specs = plan.skip_specs
        for update in plan.specs:
            try:
                current = validator.main_doc(update.spec_id)
            except UnreadableFile:
                current = None
            change.redlines.append(redline(update, change.delta_for(update.spec_id), current))
    return change


def collect(workspace: Workspace) -> SiteData:
    """Validate everything once and derive the site's data from that one reading."""
    validator = Validator(workspace)
    reports = validator.bulk(changes=True, specs=True, plans=True)
    by_key = {(r.type, r.id): r for r in reports}
    specs = [_spec_info(validator, s, by_key[("spec", s)]) for s in workspace.spec_ids()]
    changes = [_open_change(validator, n, by_key[("change", n)]) for n in workspace.change_names()]
    return SiteData(workspace, specs, changes, build_history(validator))


__all__ = ["ChangeTexts", "OpenChange", "SiteData", "SpecInfo", "change_texts", "collect"]

"""Gather what the site shows from the core: validator reports, archive plans and history.

Nothing here reads a spec or a delta on its own: specs and deltas come from the ``Validator``
(which read them once to validate), archive plans from ``Validator.bulk(use_plan=...)``, which
builds each where the change was validated and hands it over there, history from
``specledger.history``. The only files read here are a change's proposal, design and tasks, for
display.

An open change's own page (its texts, deltas and redlines, ``change_parts``) is rendered where
the change was validated, in the validation's worker processes for a large site, while its
deltas and merges are at hand; ``collect`` keeps each page with what the other pages need of
the change (``ChangePage``).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

from specledger.archive.plan import ArchivePlan
from specledger.findings import Finding, Level
from specledger.history import History, build_history
from specledger.markdown import Document
from specledger.model import Block
from specledger.parse.blocks import split_requirements
from specledger.parse.files import UnreadableFile, read_markdown
from specledger.parse.proposal import read_proposal
from specledger.parse.spec import read_spec
from specledger.parse.tasks import TASKS_FILE, read_tasks
from specledger.site.redline import Redline, Reuse, redline
from specledger.site.shown import Shown
from specledger.validate import DeltaFile, PlanUse, Validator
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
    withheld: list[str] = field(default_factory=list)  # files not shown: they resolve outside the workspace


@dataclass
class SpecInfo:
    id: str
    rel: str
    title: str
    doc: Document | None
    blocks: list[Block]
    findings: list[Finding]
    withheld: bool = False  # the spec file resolves outside the workspace: its text is not shown


@dataclass(frozen=True)
class ChangeFacts:
    """What the other pages show of an open change, found where its own page is rendered."""

    title: str
    done: int
    total: int
    touched: list[str]  # the specs it has delta files for
    # per delta: the spec, the requirements it adds, and (requirement, KIND, detail) per entry
    proposals: list[tuple[str, list[str], list[tuple[str, str, str]]]]


@dataclass(frozen=True)
class PlanSummary:
    """What a change's archive plan shows beyond the change's own page."""

    problem: str | None  # why archive would refuse the change, when it would
    skip_specs: bool
    redline_specs: list[str]  # the specs its redlines show, in the plan's order

    @classmethod
    def of(cls, plan: ArchivePlan | str) -> PlanSummary:
        if isinstance(plan, str):
            return cls(plan, False, [])
        return cls(None, plan.skip_specs, [update.spec_id for update in plan.specs])


@dataclass(frozen=True)
class ChangePage:
    """An open change's page, rendered where the change was validated, and what else it found.

    The page holds two slots (see ``specledger.site.render``) for the change's status and
    findings, which the overlap check across all changes may still add to.
    """

    page: bytes
    facts: ChangeFacts
    plan: PlanSummary


@dataclass
class OpenChange:
    name: str
    rel: str
    folder: Path
    findings: list[Finding]  # all of them, the overlap check's included
    rendered: ChangePage

    @property
    def plan(self) -> PlanSummary:
        return self.rendered.plan

    @property
    def errors(self) -> int:
        return sum(1 for f in self.findings if f.level is Level.ERROR)

    @property
    def warnings(self) -> int:
        return sum(1 for f in self.findings if f.level is Level.WARNING)


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


def change_texts(folder: Path, name: str, shown: Shown,
                 kept: Callable[[Path], Document | None] | None = None) -> ChangeTexts:
    """Proposal, design and tasks of a change folder (open or archived), read for display; a file
    ``shown`` refuses is left out (and named in ``withheld``).

    ``kept`` gives a file as the validator already read it, when it did (``Validator.kept_doc``).
    """
    withheld: list[str] = []

    def read(path: Path) -> Document | None:
        if not shown(path):
            withheld.append(path.name)
            return None
        doc = kept(path) if kept is not None else None
        return doc if doc is not None else _read(path)

    proposal_path, tasks_path = folder / "proposal.md", folder / TASKS_FILE
    proposal, design, tasks = read(proposal_path), read(folder / "design.md"), read(tasks_path)
    title, why = name, None
    if proposal is not None:
        found = proposal.memo("_proposal", partial(read_proposal, proposal_path))
        title, why = found.title or name, found.why
    done = total = 0
    if tasks is not None:
        parsed = tasks.memo("_tasks", partial(read_tasks, tasks_path))
        done, total = parsed.done, parsed.total
    return ChangeTexts(
        proposal.text if proposal else None, design.text if design else None, tasks.text if tasks else None,
        title, why, done, total, withheld,
    )


@dataclass
class _SpecRead:
    """A main spec as the pages show it, before the validator's findings on it are known."""

    rel: str
    title: str
    doc: Document | None
    blocks: list[Block]
    withheld: bool = False


def _read_spec(validator: Validator, spec_id: str, shown: Shown) -> _SpecRead:
    ws = validator.ws
    path = ws.spec_path(spec_id)
    if not shown(path):
        return _SpecRead(ws.rel(path), spec_id, None, [], withheld=True)
    doc = main_doc_or_none(validator, spec_id)
    if doc is None:
        return _SpecRead(ws.rel(path), spec_id, None, [])
    return _SpecRead(ws.rel(path), read_spec(spec_id, path, doc).title, doc, spec_blocks(doc))


def _read_specs(validator: Validator, spec_ids: list[str], into: dict[str, _SpecRead], shown: Shown) -> None:
    for spec_id in spec_ids:
        into[spec_id] = _read_spec(validator, spec_id, shown)


def change_parts(validator: Validator, name: str, folder: Path, plan: ArchivePlan | str, shown: Shown,
                 reuse: Reuse | None = None) -> ChangeParts:
    """A change's texts, deltas and redlines (one per spec its archive plan touches, in plan order).

    Called where the change was validated (see ``Validator.bulk``'s ``use_plan``): its deltas and
    the main specs come from ``validator``, as it read them to validate. ``reuse``: see
    ``specledger.site.redline.Reuse``.
    """
    texts = change_texts(folder, name, shown, partial(validator.kept_doc, name))
    deltas, _ = validator.delta_files(name)
    redlines = []
    if not isinstance(plan, str):
        by_spec = {d.id: d for d in deltas}
        for update in plan.specs:
            delta_file = by_spec.get(update.spec_id)
            # a redline shows the spec's text and the delta's: both must be the repository's own
            hidden = [p for p in (update.path, delta_file.path if delta_file else None) if p and not shown(p)]
            if hidden:
                texts.withheld.extend(validator.ws.rel(p) for p in hidden)
                continue
            redlines.append(redline(update, delta_file.delta if delta_file else None,
                                    main_doc_or_none(validator, update.spec_id), reuse))
    return ChangeParts(texts, deltas, redlines)


def change_facts(parts: ChangeParts) -> ChangeFacts:
    proposals = []
    for delta_file in parts.deltas:
        delta = delta_file.delta
        if delta is None:
            continue
        marks = [(b.name, "MODIFIED", "") for b in delta.modified]
        marks += [(n, "REMOVED", "") for n, _ in delta.removed]
        marks += [(r.old, "RENAMED", f"to \u201c{r.new}\u201d") for r in delta.renamed]
        marks += [(b.name, "ADDED", "") for b in delta.added]
        proposals.append((delta_file.id, [b.name for b in delta.added], marks))
    texts = parts.texts
    return ChangeFacts(texts.title, texts.done, texts.total, parts.touched_specs(), proposals)


def main_doc_or_none(validator: Validator, spec_id: str) -> Document | None:
    """The main spec as ``validator`` parsed it; None when it does not exist or cannot be read."""
    try:
        return validator.main_doc(spec_id)
    except UnreadableFile:
        return None  # the validator's report already carries a file-unreadable finding


def spec_blocks(doc: Document | None) -> list[Block]:
    """The requirement blocks of a main spec, in order (none when it is missing or unreadable)."""
    return list(split_requirements(doc).blocks) if doc is not None else []


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


def collect(workspace: Workspace, make_page: PlanUse, meanwhile: Iterable[Callable[[], object]] = ()) -> SiteData:
    """Validate everything once and derive the site's data from that one reading.

    ``make_page`` renders each open change's page where the change was validated, from its
    archive plan, and returns a ``ChangePage`` (see ``Validator.bulk``'s ``use_plan``).
    ``meanwhile``: steps of the caller's own to take in this process while the validation runs
    in worker processes (see ``_Meanwhile``).
    """
    validator = Validator(workspace)
    spec_ids = workspace.spec_ids()
    read: dict[str, _SpecRead] = {}
    history: list[History] = []
    steps = [*meanwhile, lambda: history.append(build_history(validator))]
    shown = Shown(workspace)
    steps += [partial(_read_specs, validator, spec_ids[i:i + SPECS_PER_STEP], read, shown)
              for i in range(0, len(spec_ids), SPECS_PER_STEP)]
    pauses = _Meanwhile(steps)
    reports = validator.bulk(changes=True, specs=True, use_plan=make_page, progress=pauses)
    pauses.rest()
    by_key = {(r.type, r.id): r for r in reports}
    specs = []
    for spec_id in spec_ids:
        got = read[spec_id]
        specs.append(SpecInfo(spec_id, got.rel, got.title, got.doc, got.blocks, by_key[("spec", spec_id)].findings,
                              got.withheld))
    changes = []
    for name in workspace.change_names():
        folder = workspace.change_dir(name)
        rendered = validator.plan_uses[name]
        assert isinstance(rendered, ChangePage), "make_page returns a ChangePage"
        changes.append(OpenChange(name, workspace.rel(folder), folder, by_key[("change", name)].findings, rendered))
    return SiteData(workspace, validator, specs, changes, history[0])


__all__ = ["ChangeFacts", "ChangePage", "ChangeParts", "ChangeTexts", "OpenChange", "PlanSummary", "SiteData",
           "SpecInfo", "change_facts", "change_parts", "change_texts", "collect", "main_doc_or_none", "spec_blocks"]

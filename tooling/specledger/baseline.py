"""Baselines: the findings a repository already had when it adopted specledger.

A baseline is a set of finding fingerprints with a count each. A fingerprint is the item (type
and id), the file, the finding's stable code and an *anchor*: the requirement the finding is
about (``requirement:<name>``), else the nearest heading above it (``section:<title>``), else
``file``. It never holds a line number, so an edit above a finding does not make it new.

``spec validate`` with a baseline marks each finding it can match as known (up to the count
recorded for its fingerprint); only the others can fail the run. Fingerprints that no longer
match anything are reported as gone, so the baseline can be tightened (``spec baseline --prune``).
Only ERROR and WARNING findings are recorded: notes never fail a run, and a file that cannot be
read at all is an environment problem, never something to accept.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

from specledger.errors import SpecledgerError
from specledger.findings import Finding, Level
from specledger.parse.files import MAX_FILE_BYTES, UnreadableFile, read_markdown, read_regular
from specledger.validate import ItemReport, Validator
from specledger.workspace import BASELINE_NAME, Workspace

if TYPE_CHECKING:
    from specledger.markdown import Document

FORMAT = "specledger-baseline"
VERSION = 1
DEFAULT_NAME = BASELINE_NAME
RECORDED_LEVELS = frozenset({Level.ERROR, Level.WARNING})
_ITEM_TYPES = ("change", "spec")
_ENTRY_KEYS = {"type", "id", "path", "code", "anchor", "count"}


@dataclass(frozen=True, order=True)
class Fingerprint:
    """What a finding is, independent of where its line happens to be today."""

    type: str
    id: str
    path: str
    code: str
    anchor: str

    def to_data(self, count: int) -> dict[str, Any]:
        return {"type": self.type, "id": self.id, "path": self.path, "code": self.code, "anchor": self.anchor,
                "count": count}

    def describe(self) -> str:
        kind, _, name = self.anchor.partition(":")
        where = f'{kind} "{name}"' if name else self.anchor
        return f"{self.type} {self.id}: {self.path} {where} [{self.code}]"


@dataclass(frozen=True)
class Baseline:
    """A loaded (or freshly recorded) baseline: fingerprint -> how many findings it accepts."""

    counts: dict[Fingerprint, int]
    path: Path | None = None

    @property
    def total(self) -> int:
        return sum(self.counts.values())


@dataclass
class BaselinedReport(ItemReport):
    """An item report whose findings are each marked known (in the baseline) or new."""

    known: tuple[bool, ...] = ()

    def is_known(self, index: int) -> bool:
        return index < len(self.known) and self.known[index]

    def valid(self, strict: bool = False) -> bool:
        bad = {Level.ERROR, Level.WARNING} if strict else {Level.ERROR}
        return not any(f.level in bad and not self.is_known(i) for i, f in enumerate(self.findings))


@dataclass(frozen=True)
class BaselineOutcome:
    """What matching a run's findings against a baseline found."""

    path: str  # the baseline file as shown to the user
    known: int  # findings matched by the baseline
    new: int  # recordable findings (ERROR/WARNING) the baseline does not cover
    gone: tuple[tuple[Fingerprint, int], ...] = field(default_factory=tuple)  # in scope, no longer found

    @property
    def gone_count(self) -> int:
        return sum(n for _, n in self.gone)


# -- fingerprints ------------------------------------------------------------------------------
def line_anchors(doc: Document) -> list[str]:
    """The anchor of every line of ``doc`` (0-based), computed in one pass.

    A line belongs to the requirement block it is in (from a ``### Requirement:`` header to the
    next one or the next ``#``/``##`` heading, as the block reader cuts them), else to the nearest
    heading above it.
    """
    from specledger.parse.blocks import requirement_name  # only runs that have a baseline need it

    anchors: list[str] = []
    requirement: str | None = None
    section: str | None = None
    for index, line in enumerate(doc.lines):
        if not doc.fenced[index] and line.startswith("#"):
            heading = doc.heading_at(index)
            name = requirement_name(line)
            if name is not None:
                requirement = name
            elif heading is not None and heading.level <= 2:
                requirement = None
            if heading is not None:
                section = heading.title
        if requirement is not None:
            anchors.append(f"requirement:{requirement}")
        else:
            anchors.append(f"section:{section}" if section is not None else "file")
    return anchors


class AnchorIndex:
    """Finds the anchor of a finding, reading each file at most once (the validator's copy first)."""

    def __init__(self, workspace: Workspace, validator: Validator) -> None:
        self.ws = workspace
        self.validator = validator
        self._docs: dict[str, Document | None] = {}
        self._anchors: dict[str, list[str]] = {}

    def remember_item(self, report: ItemReport) -> None:
        """Offer the documents the validator already parsed for this item."""
        if report.type == "change":
            deltas, _ = self.validator.delta_files(report.id)
            for delta_file in deltas:
                if delta_file.delta is not None:
                    self._docs.setdefault(self.ws.rel(delta_file.path), delta_file.delta.doc)
        else:
            try:
                doc = self.validator.main_doc(report.id)
            except UnreadableFile:
                doc = None
            self._docs.setdefault(self.ws.rel(self.ws.spec_path(report.id)), doc)

    def _doc(self, rel: str) -> Document | None:
        if rel not in self._docs:
            try:
                self._docs[rel] = read_markdown(self.ws.root / rel)
            except (UnreadableFile, OSError, ValueError):
                self._docs[rel] = None
        return self._docs[rel]

    def anchor(self, finding: Finding) -> str:
        if finding.line is None:
            return "file"
        if finding.path not in self._anchors:
            doc = self._doc(finding.path)
            self._anchors[finding.path] = line_anchors(doc) if doc is not None else []
        anchors = self._anchors[finding.path]
        return anchors[finding.line - 1] if 0 < finding.line <= len(anchors) else "file"


def recordable(finding: Finding) -> bool:
    return finding.level in RECORDED_LEVELS and not finding.environment


def fingerprints(reports: Sequence[ItemReport], index: AnchorIndex) -> list[list[Fingerprint | None]]:
    """For each report, each finding's fingerprint (``None`` for findings a baseline never holds)."""
    out: list[list[Fingerprint | None]] = []
    for report in reports:
        if any(recordable(f) and f.line is not None for f in report.findings):
            index.remember_item(report)
        out.append([Fingerprint(report.type, report.id, f.path, f.code, index.anchor(f)) if recordable(f) else None
                    for f in report.findings])
    return out


def record(reports: Sequence[ItemReport], index: AnchorIndex) -> Baseline:
    """A baseline accepting exactly the recordable findings of ``reports``."""
    counts: Counter[Fingerprint] = Counter()
    for prints in fingerprints(reports, index):
        counts.update(p for p in prints if p is not None)
    return Baseline(dict(counts))


def prune(old: Baseline, current: Baseline) -> Baseline:
    """``old`` without what is no longer found: each count lowered to what ``current`` still has."""
    kept = {fp: min(n, current.counts.get(fp, 0)) for fp, n in old.counts.items()}
    return Baseline({fp: n for fp, n in kept.items() if n > 0}, old.path)


Scope = Callable[[Fingerprint], bool]


def apply(reports: Sequence[ItemReport], baseline: Baseline, index: AnchorIndex, scope: Scope,
          shown_path: str) -> tuple[list[BaselinedReport], BaselineOutcome]:
    """Mark each finding known or new; list the baseline entries in ``scope`` that matched nothing."""
    remaining = Counter(baseline.counts)
    marked: list[BaselinedReport] = []
    known_total = new_total = 0
    for report, prints in zip(reports, fingerprints(reports, index), strict=True):
        flags: list[bool] = []
        for fp in prints:
            hit = False
            if fp is not None:
                hit = remaining[fp] > 0
                if hit:
                    remaining[fp] -= 1
                    known_total += 1
                else:
                    new_total += 1
            flags.append(hit)
        marked.append(BaselinedReport(report.id, report.type, report.path, list(report.findings), known=tuple(flags)))
    gone = tuple(sorted((fp, n) for fp, n in remaining.items() if n > 0 and scope(fp)))
    return marked, BaselineOutcome(shown_path, known_total, new_total, gone)


def item_scope(item_type: str, item_id: str) -> Scope:
    return lambda fp: fp.type == item_type and fp.id == item_id


def types_scope(types: Iterable[str]) -> Scope:
    wanted = frozenset(types)
    return lambda fp: fp.type in wanted


def run_scope(scope: str) -> Scope:
    """The entries a bulk run can vouch for: ``all``, ``changes`` or ``specs``."""
    return types_scope({"all": ("change", "spec"), "changes": ("change",), "specs": ("spec",)}.get(scope, ()))


# -- the file ----------------------------------------------------------------------------------
def dump(baseline: Baseline) -> bytes:
    """The baseline file's bytes: sorted, stable, one trailing newline (so diffs stay small)."""
    data = {
        "format": FORMAT,
        "version": VERSION,
        "findings": [fp.to_data(n) for fp, n in sorted(baseline.counts.items())],
    }
    return (json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False) + "\n").encode("utf-8")


def _invalid(path: Path, shown: str, message: str, line: int | None = None, code: str = "baseline_invalid") -> NoReturn:
    raise SpecledgerError(message, path=shown, line=line, code=code,
                          hint=f"re-create it with `spec baseline --out {shown}`")


def load(path: Path, shown: str) -> Baseline:
    """Read a baseline file; anything else (unreadable, not JSON, not ours) is a usage error."""
    try:
        raw = read_regular(path, MAX_FILE_BYTES)  # (a FIFO or a device there would block or never end)
    except UnreadableFile as err:
        raise SpecledgerError(f"cannot read the baseline: it {err.reason}", path=shown,
                              code="baseline_unreadable") from err
    if len(raw) > MAX_FILE_BYTES:
        _invalid(path, shown, "the baseline is larger than any baseline specledger writes")
    try:
        data = json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        _invalid(path, shown, "the baseline is not UTF-8 text")
    except json.JSONDecodeError as err:
        _invalid(path, shown, f"the baseline is not valid JSON: {err.msg} (column {err.colno})", err.lineno)
    except RecursionError:
        _invalid(path, shown, "the baseline is nested too deeply to be a baseline")
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        _invalid(path, shown, f'not a specledger baseline (no "format": "{FORMAT}")', code="baseline_foreign")
    if data.get("version") != VERSION:
        _invalid(path, shown, f"baseline version {data.get('version')!r} is not supported (expected {VERSION})",
                 code="baseline_foreign")
    entries = data.get("findings")
    if not isinstance(entries, list):
        _invalid(path, shown, '"findings" must be a list')
    counts: Counter[Fingerprint] = Counter()
    for number, entry in enumerate(entries, start=1):
        problem = _entry_problem(entry)
        if problem:
            _invalid(path, shown, f"finding #{number} of the baseline {problem}")
        counts[Fingerprint(entry["type"], entry["id"], entry["path"], entry["code"], entry["anchor"])] += entry["count"]
    return Baseline(dict(counts), path)


def _entry_problem(entry: object) -> str | None:
    if not isinstance(entry, dict):
        return "is not an object"
    if set(entry) != _ENTRY_KEYS:
        return f"must have exactly the keys {', '.join(sorted(_ENTRY_KEYS))}"
    if entry["type"] not in _ITEM_TYPES:
        return 'has a "type" other than "change" or "spec"'
    for key in ("id", "path", "code", "anchor"):
        if not isinstance(entry[key], str) or not entry[key]:
            return f'has a "{key}" that is not a non-empty string'
    count = entry["count"]
    if not isinstance(count, int) or isinstance(count, bool) or count < 1:
        return 'has a "count" that is not a positive integer'
    return None


__all__ = [
    "DEFAULT_NAME",
    "AnchorIndex",
    "Baseline",
    "BaselineOutcome",
    "BaselinedReport",
    "Fingerprint",
    "apply",
    "dump",
    "item_scope",
    "line_anchors",
    "load",
    "prune",
    "record",
    "run_scope",
    "types_scope",
]

"""Validation of changes and specs: reads each file once and runs the schemas and rules.

The API the CLI and ``archive`` use: ``Validator(workspace)`` with ``change(name)``,
``spec(id)`` and ``bulk(...)``, each returning ``ItemReport``s. Unreadable files become ERROR
findings (flagged ``environment``), so one broken file never hides the findings in others.
"""

from __future__ import annotations

import contextlib
import gc
import os
import threading
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from specledger.archive.targets import archive_path_problems, destination
from specledger.findings import Finding, Level, error, info, warning
from specledger.parse.files import UnreadableFile, read_markdown, read_text
from specledger.workspace import Workspace

# The parsers and rules are imported where they are used: a warm run answered from the cache
# (see specledger.cache) never needs them, and their import is a fair part of its time.
if TYPE_CHECKING:
    from specledger.archive.merge import MergeError, MergeResult
    from specledger.archive.plan import ArchivePlan
    from specledger.cache import ValidationCache
    from specledger.changed import ChangedItems
    from specledger.markdown import Document
    from specledger.model import Delta

ItemType = Literal["change", "spec"]
Touched = list[tuple[str, str, str]]  # (spec id, requirement name, delta path)
# Takes a change's archive plan (or why archive would refuse it) where the change was validated:
# (validator, change name, its report before the overlap check, plan or refusal) -> a result
PlanUse = Callable[["Validator", str, "ItemReport", "ArchivePlan | str"], Any]


@dataclass
class ItemReport:
    id: str
    type: ItemType
    path: Path
    findings: list[Finding] = field(default_factory=list)
    # for the cache: where the path findings sit in ``findings`` (start, end), the spec ids they
    # were computed for, and the spec ids of the change's deltas
    parts: tuple[int, int, list[str], list[str]] | None = field(default=None, repr=False, compare=False)
    # the item's key in the validation cache (None: not cacheable or no cache), and whether the
    # findings came from it
    cache_key: str | None = field(default=None, repr=False, compare=False)
    cached: bool = field(default=False, repr=False, compare=False)

    def valid(self, strict: bool = False) -> bool:
        bad = {Level.ERROR, Level.WARNING} if strict else {Level.ERROR}
        return not any(f.level in bad for f in self.findings)

    @property
    def environment_error(self) -> bool:
        return any(f.environment for f in self.findings)


def unreadable_finding(err: UnreadableFile, workspace: Workspace) -> Finding:
    return Finding(Level.ERROR, "file-unreadable", f"cannot read this file: {err.reason}", workspace.rel(err.path),
                   None, environment=err.environment)


@dataclass
class DeltaFile:
    id: str
    path: Path
    delta: Delta | None  # None when unreadable


class Validator:
    """Validates items of one workspace, reading every file at most once."""

    def __init__(self, workspace: Workspace) -> None:
        self.ws = workspace
        self._main: dict[str, Document | UnreadableFile | None] = {}
        self._deltas: dict[str, tuple[list[DeltaFile], list[Finding]]] = {}
        self._spec_findings: dict[str, list[Finding]] = {}
        self._generated_specs: set[Path] | None = None
        # what archive would do with each delta, computed once and shared with the planner
        self._merged: dict[tuple[str, str], MergeResult | MergeError] = {}
        self._checked: dict[tuple[str, str], list[Finding]] = {}
        # a change's proposal, tasks and design as read to validate it, by change and file name
        self._change_docs: dict[str, dict[str, Document]] = {}
        self.plan_uses: dict[str, Any] = {}  # what bulk(use_plan=...) returned, by change
        self._path_memo: dict[Any, Any] = {}  # archive_path_problems' answers for shared paths
        self.cache: ValidationCache | None = None  # set by bulk() while it looks items up

    # -- reading ---------------------------------------------------------------------------
    def main_doc(self, spec_id: str) -> Document | None:
        """The current main spec, ``None`` when it does not exist (raises when unreadable)."""
        if spec_id not in self._main:
            path = self.ws.spec_path(spec_id)
            try:
                self._main[spec_id] = read_markdown(path) if (path.exists() or path.is_symlink()) else None
            except UnreadableFile as err:
                self._main[spec_id] = err
        value = self._main[spec_id]
        if isinstance(value, UnreadableFile):
            raise value
        return value

    def delta_files(self, change: str) -> tuple[list[DeltaFile], list[Finding]]:
        """The change's delta specs, plus findings for files in the wrong place or unreadable."""
        if change not in self._deltas:
            self._deltas[change] = self._read_delta_files(change)
        return self._deltas[change]

    def _read_delta_files(self, change: str) -> tuple[list[DeltaFile], list[Finding]]:
        findings: list[Finding] = []
        specs_root = self.ws.change_dir(change) / "specs"
        files: list[DeltaFile] = []
        if not specs_root.is_dir():
            return files, findings
        self._walk_deltas(str(specs_root), (), files, findings)
        files.sort(key=lambda f: f.id)
        return files, findings

    def _walk_deltas(self, folder: str, rel_parts: tuple[str, ...], files: list[DeltaFile],
                     findings: list[Finding]) -> None:
        """One folder of a change's ``specs/``, then its sub-folders, as ``os.walk`` would go:
        names in code-point order, dot entries skipped, linked folders not entered (a warning), an
        unreadable folder skipped (a scandir walk: this runs for every change of a bulk run)."""
        from specledger.parse.delta import has_delta_header, read_delta

        try:
            with os.scandir(folder) as listing:
                entries = list(listing)
        except OSError:
            return
        subfolders: list[str] = []
        names: list[str] = []
        for entry in entries:
            if entry.name.startswith("."):
                continue
            try:
                is_folder = entry.is_dir()  # follows a link, as os.walk sorts entries
            except OSError:
                is_folder = False
            (subfolders if is_folder else names).append(entry.name)
        for name in sorted(names):
            path = Path(folder, name)
            if name == "spec.md" and rel_parts:
                spec_id = "/".join(rel_parts)
                try:
                    files.append(DeltaFile(spec_id, path, read_delta(spec_id, path, read_markdown(path))))
                except UnreadableFile as err:
                    findings.append(unreadable_finding(err, self.ws))
                    files.append(DeltaFile(spec_id, path, None))
            elif name == "spec.md":
                findings.append(error(
                    "delta-misplaced",
                    "a delta spec at specs/spec.md has no capability folder and is ignored by archive; "
                    "move it to specs/<capability>/spec.md", self.ws.rel(path)))
            elif name.endswith(".md"):
                try:
                    text = read_text(path)  # bounded, and never blocks on a FIFO
                except UnreadableFile:
                    continue
                if has_delta_header(text):
                    findings.append(error(
                        "delta-misplaced",
                        "this file has delta sections but is not a specs/<capability>/spec.md, so archive "
                        "ignores it; move its requirements into specs/<capability>/spec.md", self.ws.rel(path)))
        for name in sorted(subfolders):
            inner = os.path.join(folder, name)
            if not os.path.islink(inner):
                self._walk_deltas(inner, (*rel_parts, name), files, findings)
                continue
            # Not followed (a link may lead anywhere, even back up the tree), as OpenSpec does
            # not either; but said, so that a delta nobody will merge is not a silent surprise.
            findings.append(warning(
                "delta-folder-linked",
                "this folder is a symbolic link, which specledger does not follow: no delta spec in it "
                "is validated and archive would not merge any; replace the link with a real folder",
                self.ws.rel(Path(inner))))

    # -- items -----------------------------------------------------------------------------
    def spec(self, spec_id: str) -> ItemReport:
        path = self.ws.spec_path(spec_id)
        report = ItemReport(spec_id, "spec", path)
        try:
            doc = self.main_doc(spec_id)
        except UnreadableFile as err:
            report.findings.append(unreadable_finding(err, self.ws))
            return report
        if doc is None:
            report.findings.append(error("spec-missing", "the spec file does not exist", self.ws.rel(path)))
            return report
        report.findings.extend(self.spec_findings(spec_id, doc))
        return report

    def spec_findings(self, spec_id: str, doc: Document) -> list[Finding]:
        """The rules' findings for the current main spec (computed once per run)."""
        if spec_id not in self._spec_findings:
            from specledger.parse.spec import read_spec
            from specledger.rules.spec import check_spec

            path = self.ws.spec_path(spec_id)
            self._spec_findings[spec_id] = check_spec(read_spec(spec_id, path, doc), self.ws.rel(path))
        return self._spec_findings[spec_id]

    def change(self, name: str) -> ItemReport:
        from specledger.parse.metadata import load_metadata  # imports yaml
        from specledger.parse.proposal import read_proposal
        from specledger.parse.tasks import read_tasks
        from specledger.rules.change import check_design, check_proposal, check_tasks
        from specledger.rules.delta import check_delta
        from specledger.rules.placeholders import check_placeholders

        ws = self.ws
        change_dir = ws.change_dir(name)
        report = ItemReport(name, "change", change_dir)
        out = report.findings
        rel_dir = ws.rel(change_dir)

        proposal_path = change_dir / "proposal.md"
        if not proposal_path.exists() and not proposal_path.is_symlink():
            out.append(error("proposal-missing", "the change has no proposal.md (with '## Why' and '## What Changes')",
                             f"{rel_dir}/proposal.md"))
        else:
            try:
                doc = self._keep(name, proposal_path)
                out.extend(check_proposal(doc.memo("_proposal", partial(read_proposal, proposal_path)),
                                          ws.rel(proposal_path)))
                out.extend(check_placeholders(doc, ws.rel(proposal_path)))
            except UnreadableFile as err:
                out.append(unreadable_finding(err, ws))

        deltas, placement = self.delta_files(name)
        meta, meta_problem, skip_requested = load_metadata(change_dir, (ws.root / "openspec" / "schemas",))
        file_findings: list[Finding] = []
        for delta_file in deltas:
            delta = delta_file.delta
            if delta is None:
                continue
            rel = ws.rel(delta_file.path)
            found = check_delta(delta, rel)
            found.extend(check_placeholders(delta.doc, rel))
            if delta.section_titles and delta.operation_count == 0:
                titles = [t for t, _ in delta.section_titles]
                found.append(error("delta-empty",
                                   f"delta sections ({', '.join(titles)}) hold no requirement entry; write "
                                   '"### Requirement: <name>" blocks (REMOVED may use bullets)', rel))
            elif not delta.section_titles:
                found.append(error("delta-no-sections",
                                   'no delta section found: use "## ADDED Requirements" (or MODIFIED, REMOVED, '
                                   "RENAMED); notes that are not deltas do not belong under specs/", rel))
            if not any(f.level is Level.ERROR for f in found):
                found.extend(self._archive_findings(delta, rel, name, meta.retire_capabilities))
            file_findings.extend(found)
        out.extend(file_findings)
        out.extend(placement)

        path_specs = [] if meta.skip_specs else [d.id for d in deltas]
        path_start = len(out)
        out.extend(self._path_findings(name, path_specs))
        path_end = len(out)

        operations = sum(d.delta.operation_count for d in deltas if d.delta is not None)
        meta_rel = f"{rel_dir}/.openspec.yaml"
        if meta_problem and skip_requested:
            out.append(error("metadata-invalid",
                             f"skip_specs is set but .openspec.yaml is not valid change metadata, so it is not "
                             f"honoured: {meta_problem}", meta_rel, meta_problem.line))
        elif meta_problem:
            out.append(warning("metadata-invalid", f".openspec.yaml is not valid change metadata: {meta_problem}",
                               meta_rel, meta_problem.line))
        if meta.skip_specs and not meta_problem:
            spec_files = [p for p in _visible_files(change_dir / "specs")]
            if spec_files:
                out.append(error("skip-specs-conflict",
                                 "skip_specs is set in .openspec.yaml but there are files under specs/; remove "
                                 "skip_specs or the spec files", meta_rel))
            elif operations == 0:
                out.append(info("skip-specs", "skip_specs is set: this change declares no spec changes", meta_rel))
        elif operations == 0 and not deltas and not any(f.level is Level.ERROR for f in placement):
            out.append(error("change-no-deltas",
                             "the change has no delta: add specs/<capability>/spec.md with '## ADDED Requirements' "
                             "(or MODIFIED, REMOVED, RENAMED), or set 'skip_specs: true' in .openspec.yaml for a "
                             "change that alters no spec", rel_dir))

        tasks_path = change_dir / "tasks.md"
        if tasks_path.exists() or tasks_path.is_symlink():
            try:
                tasks_doc = self._keep(name, tasks_path)
                out.extend(check_tasks(tasks_doc.memo("_tasks", partial(read_tasks, tasks_path)), ws.rel(tasks_path)))
                out.extend(check_placeholders(tasks_doc, ws.rel(tasks_path)))
            except UnreadableFile as err:
                out.append(unreadable_finding(err, ws))
        design_path = change_dir / "design.md"
        if design_path.exists() or design_path.is_symlink():
            try:
                design_doc = self._keep(name, design_path)
                out.extend(check_design(design_path, design_doc, ws.rel(design_path)))
                out.extend(check_placeholders(design_doc, ws.rel(design_path)))
            except UnreadableFile as err:
                out.append(unreadable_finding(err, ws))
        report.parts = (path_start, path_end, path_specs, [d.id for d in deltas])
        return report

    def _keep(self, change: str, path: Path) -> Document:
        """Read one of ``change``'s files, keeping it until the change is forgotten (``_forget``)."""
        doc = read_markdown(path)
        self._change_docs.setdefault(change, {})[path.name] = doc
        return doc

    def kept_doc(self, change: str, path: Path) -> Document | None:
        """``change``'s proposal, tasks or design (``path``) as validating it read it, while it is
        kept (from ``use_plan``, say); None when it was not read or could not be."""
        kept = self._change_docs.get(change)
        doc = kept.get(path.name) if kept is not None else None
        return doc if doc is not None and path.parent == self.ws.change_dir(change) else None

    def _path_findings(self, change: str, spec_ids: list[str]) -> list[Finding]:
        """Archive's own path checks (links, confinement, destination, stray files), as findings."""
        problems = archive_path_problems(self.ws, change, destination(self.ws, change), spec_ids,
                                         shared=self._path_memo)
        return [error(p.code.replace("_", "-"), p.message + (f" ({p.hint})" if p.hint else ""),
                      str(p.path) if p.path is not None else self.ws.rel(self.ws.change_dir(change)))
                for p in problems]

    def merged(self, change: str, delta: Delta) -> MergeResult:
        """``merge_delta`` of ``change``'s delta against the current main spec, computed once.

        Raises the ``MergeError`` (or ``UnreadableFile``) it raised the first time.
        """
        from specledger.archive.merge import MergeError, merge_delta

        key = (change, delta.id)
        if key not in self._merged:
            try:
                self._merged[key] = merge_delta(delta.id, self.main_doc(delta.id), delta, change, focus=FOCUSED_CHECK)
            except MergeError as err:
                self._merged[key] = err
        value = self._merged[key]
        if isinstance(value, MergeError):
            raise value
        return value

    def checked_text(self, spec_id: str, text: str) -> list[Finding]:
        """The spec rules' findings for ``text`` as the main spec ``spec_id`` (memoised)."""
        key = (spec_id, text)
        if key not in self._checked:
            from specledger.rules.spec import check_spec_text

            self._checked[key] = check_spec_text(spec_id, text, self.ws.rel(self.ws.spec_path(spec_id)))
        return self._checked[key]

    def _nothing_new(self, spec_id: str, current: Document, focused: str) -> bool:
        """Whether the spec archive would write has no finding the current one lacks, judged on
        the focused text (``merge.focused_text``): the requirements the delta wrote, checked in
        the current spec's frame. ``False`` means "check the whole text", never "there is a finding".

        A clean focused text answers alone (the common case: the current spec's own findings are
        not even needed). A finding whose message depends on a requirement's position (the
        schema's generic ones) cannot be compared across texts, so it is never judged here.
        """
        found = [f for f in self.checked_text(spec_id, focused) if f.level is not Level.INFO]
        if not found:
            return True
        before = self.spec_findings(spec_id, current)
        if any(f.code.startswith("schema-") for f in (*before, *found)):
            return False
        known = {(f.code, f.message) for f in before}
        return all((f.code, f.message) in known for f in found)

    def result_errors(self, spec_id: str, current: Document | None, result: MergeResult) -> list[Finding]:
        """The ERRORs of the spec archive would write (``result``), the focused text answering when
        it can: with no ERROR in it nor in the current spec, the whole text has none either."""
        focused = result.focused
        if (current is not None and focused is not None
                and not any(f.level is Level.ERROR for f in self.checked_text(spec_id, focused))
                and not any(f.level is Level.ERROR for f in self.spec_findings(spec_id, current))):
            return []
        return [f for f in self.checked_text(spec_id, result.text) if f.level is Level.ERROR]

    def generated_specs(self) -> set[Path]:
        """The resolved paths of the specs that ``spec generate`` renders files from."""
        if self._generated_specs is None and not self.ws.config.get("generate"):
            self._generated_specs = set()  # nothing is generated: spare the import of jinja2
        if self._generated_specs is None:
            from specledger.errors import SpecledgerError
            from specledger.generate import spec_paths

            try:
                self._generated_specs = spec_paths(self.ws)
            except SpecledgerError:
                self._generated_specs = set()  # `spec generate` reports a broken configuration
        return self._generated_specs

    def _generate_findings(self, spec_id: str, result: MergeResult, rel: str) -> list[Finding]:
        """Archive regenerates the files generated from a spec it writes: report it here if that fails."""
        generated = self.generated_specs()
        if not generated:
            return []
        path = self.ws.spec_path(spec_id).resolve()
        if path not in generated:
            return []
        from specledger.errors import SpecledgerError
        from specledger.generate import render_all  # imports jinja2: only for generated specs

        try:
            render_all(self.ws, {path: result.text})
        except SpecledgerError as err:
            return [error("archive-generate-fails",
                          f"after archive, the files generated from {self.ws.rel(path)} could not be rendered: "
                          f"{err.message}" + (f" ({err.path}:{err.line})" if err.line else ""), rel)]
        return []

    def _archive_findings(self, delta: Delta, rel: str, change: str, retire: bool) -> list[Finding]:
        """What archive would do with this delta: refusals are ERRORs here, not surprises later."""
        try:
            current = self.main_doc(delta.id)
        except UnreadableFile as err:
            return [unreadable_finding(err, self.ws)]
        from specledger.archive.merge import MergeError

        found: list[Finding] = []
        if current is None and delta.added and not delta.purpose:
            found.append(warning("new-capability-no-purpose",
                                 f"this delta creates the new capability '{delta.id}' but has no '## Purpose'; "
                                 "archive would write a placeholder Purpose that fails --strict", rel))
        try:
            result = self.merged(change, delta)
        except MergeError as err:
            refusals = [error("archive-would-refuse", f"archive would refuse this delta: {c.message}", rel, c.line)
                        for c in err.conflicts]
            return [*found, *refusals]
        found.extend(self._generate_findings(delta.id, result, rel))
        if current is not None and result.focused is not None and self._nothing_new(delta.id, current, result.focused):
            return found
        main_rel = self.ws.rel(self.ws.spec_path(delta.id))
        before: set[tuple[str, str]] | None = None  # the current spec's own findings, read when needed
        for finding in self.checked_text(delta.id, result.text):
            if finding.level is Level.INFO:
                continue
            if before is None:
                before = set()
                if current is not None:
                    before = {(f.code, f.message) for f in self.spec_findings(delta.id, current)}
            if (finding.code, finding.message) in before:
                continue
            if finding.code == "spec-no-requirements" and retire:
                continue  # the capability is retired: archive deletes the spec
            if finding.code == "spec-purpose-placeholder" and any(f.code == "new-capability-no-purpose" for f in found):
                continue
            level = finding.level
            found.append(Finding(level, "archive-result-" + ("invalid" if level is Level.ERROR else "warning"),
                                 f"after archive, {main_rel} would have: {finding.message}", rel))
        return found

    def bulk(self, *, changes: bool, specs: bool, only: ChangedItems | None = None,
             progress: Callable[[int, int], None] | None = None, use_plan: PlanUse | None = None,
             cache: ValidationCache | None = None) -> list[ItemReport]:
        """Validate every open change and/or main spec (or only those in ``only``).

        Large runs are spread over the machine's cores (see ``parallel_jobs``); the findings are
        the same either way. With ``use_plan``, each change's archive plan (or why archive would
        refuse) is built where the change was validated, reusing its merges, and handed to
        ``use_plan`` there, while what the change read (its deltas, its merges) is still at hand;
        what it returns is kept in ``self.plan_uses`` by change name (from a worker process, it
        must pickle). The reviewer site renders each change's page that way. The overlap check
        still looks at every open change, so a selected change is warned about one it overlaps
        even when that one is not selected. With a ``cache`` (see :mod:`specledger.cache`), items whose inputs are
        unchanged since a run that stored them are not validated again; the findings are the
        same either way.
        """
        change_names = self.ws.change_names() if changes else []
        spec_ids = self.ws.spec_ids() if specs else []
        if only is not None:
            selected_changes = [n for n in change_names if n in only.changes]
            spec_ids = [s for s in spec_ids if s in only.specs]
        else:
            selected_changes = change_names
        items = [("change", n) for n in selected_changes] + [("spec", s) for s in spec_ids]
        done: Done = []
        keys: dict[tuple[str, str], str] = {}
        if cache is not None and use_plan is None:
            # Looking items up is cheap next to validating them, and faster in this process than
            # spread over workers; only the items the cache does not hold are validated below.
            self.cache = cache
            try:
                items = self._answer_from_cache(items, keys, done)
            finally:
                self.cache = None
        total, cached = len(items) + len(done), len(done)

        def advance(count: int, _total: int) -> None:
            if progress is not None:
                progress(cached + count, total)

        jobs = parallel_jobs(len(items))
        with _collector_paused():
            if jobs > 1:
                fresh = _validate_in_processes(self.ws, items, jobs, advance, use_plan)
            else:
                fresh = []
                for kind, name in items:
                    fresh.append(self._item(kind, name, use_plan))
                    advance(len(fresh), len(items))
            return self._finish(done, fresh, keys, cache, plans=use_plan is not None, changes=changes,
                                whole=changes and specs and only is None, change_names=change_names)

    def _finish(self, done: Done, fresh: Done, keys: dict[tuple[str, str], str], cache: ValidationCache | None, *,
                plans: bool, changes: bool, whole: bool, change_names: list[str]) -> list[ItemReport]:
        """Store what was validated, add the overlap warnings, and sort (still without the cycle
        collector: its passes over every report doubled this step at 5,000 changes)."""
        for report, _, _ in fresh:
            report.cache_key = keys.get((report.type, report.id))
        done.extend(fresh)
        if cache is not None and not plans:
            self._to_cache(done, cache)
            cache.save(keep_others=not whole)
        reports = [report for report, _, _ in done]
        if plans:
            self.plan_uses.update((report.id, used) for report, _, used in done if report.type == "change")
        if changes:
            touched = {report.id: entries for report, entries, _ in done if report.type == "change"}
            for name in change_names:
                if name not in touched:  # not selected (--changed-since): read its deltas here
                    touched[name] = self.touched(name)
            add_overlap_findings([r for r in reports if r.type == "change"], touched, change_names)
        reports.sort(key=lambda r: (r.id.lower(), r.id, r.type))
        return reports

    def _answer_from_cache(self, items: list[tuple[str, str]], keys: dict[tuple[str, str], str],
                           done: Done) -> list[tuple[str, str]]:
        """Answer the items the cache holds (into ``done``); return the others, noting their keys.

        Looking up means reading and hashing every file of the repository: large runs spread it
        over the cores like validation (``PARALLEL_LOOKUP_MIN``).
        """
        missing = []
        jobs = parallel_jobs(len(items), minimum=PARALLEL_LOOKUP_MIN)
        if jobs > 1:
            looked = _look_up_in_processes(self.ws, self.cache, items, jobs)
        else:
            looked = [(kind, name, *self._from_cache(kind, name)) for kind, name in items]
        for kind, name, key, hit in looked:
            if hit is not None:
                done.append((hit[0], hit[1], None))
                continue
            if key is not None:
                keys[(kind, name)] = key
            missing.append((kind, name))
        return missing

    def _from_cache(self, kind: str, name: str) -> tuple[str | None, tuple[ItemReport, Touched] | None]:
        """The item's cache key, and its report when the cache holds it (path findings made afresh)."""
        cache = self.cache
        if cache is None:
            return None, None
        key = cache.change_key(name) if kind == "change" else cache.spec_key(name)
        entry = cache.lookup(key) if key is not None else None
        if entry is None:
            return key, None
        if kind == "change":
            path = self.ws.change_dir(name)
            findings = [*entry.before, *self._path_findings(name, entry.path_specs), *entry.after]
            report = ItemReport(name, "change", path, findings, cache_key=key, cached=True)
        else:
            report = ItemReport(name, "spec", self.ws.spec_path(name), list(entry.before), cache_key=key, cached=True)
        return key, (report, entry.touched)

    def _to_cache(self, done: Done, cache: ValidationCache) -> None:
        """Keep the entries this run used, and store the items it validated that can be cached."""
        from specledger.cache import Entry

        for report, touched, _ in done:
            key = report.cache_key
            if key is None:
                continue
            if report.cached:
                cache.keep(key)
                continue
            if report.environment_error:
                continue
            if report.type == "spec":
                cache.put(key, Entry(list(report.findings), [], [], []))
                continue
            if report.parts is None:
                continue
            start, end, path_specs, delta_ids = report.parts
            generated = self.generated_specs()
            if generated and any(self.ws.spec_path(s).resolve() in generated for s in delta_ids):
                continue  # its findings depend on templates too
            cache.put(key, Entry(report.findings[:start], report.findings[end:], path_specs, touched))

    def _item(self, kind: str, name: str, use_plan: PlanUse | None) -> tuple[ItemReport, Touched, Any]:
        if kind != "change":
            return self.spec(name), [], None
        report = self.change(name)
        used = None
        if use_plan is not None:
            from specledger.archive.plan import build_plan
            from specledger.errors import SpecledgerError

            plan: ArchivePlan | str
            try:
                plan = build_plan(self.ws, name, validator=self, shared_paths=self._path_memo)
            except SpecledgerError as err:
                plan = err.message
            used = use_plan(self, name, report, plan)
        touched = self.touched(name)
        self._forget(name)
        return report, touched, used

    def _forget(self, change: str) -> None:
        """Drop what was kept only for ``change`` (its deltas, merges and their checks), so that a
        bulk run's memory does not grow with the number of changes; asked again, it is recomputed."""
        self._deltas.pop(change, None)
        self._change_docs.pop(change, None)
        for key in [k for k in self._merged if k[0] == change]:
            merged = self._merged.pop(key)
            # ``_text``, not ``text``: reading ``text`` would compose a text nobody asked for
            for text in (getattr(merged, "_text", None), getattr(merged, "focused", None)):
                if text is not None:
                    self._checked.pop((key[1], text), None)

    def touched(self, change: str) -> Touched:
        """(spec id, requirement name, delta path) for every requirement ``change``'s deltas touch."""
        deltas, _ = self.delta_files(change)
        return [(d.id, name, self.ws.rel(d.path)) for d in deltas if d.delta is not None
                for name in sorted(touched_requirements(d.delta))]


Done = list[tuple[ItemReport, "Touched", Any]]  # (report, what it touches, what use_plan returned)

# Check the spec a delta produces through its focused text when that is exact (see
# ``Validator._nothing_new``); off only to compare both ways in tests.
FOCUSED_CHECK = True

PARALLEL_MIN_ITEMS = 200  # below this, starting worker processes costs more than it saves
PARALLEL_CHUNK = 25


def parallel_jobs(items: int, minimum: int = PARALLEL_MIN_ITEMS) -> int:
    """How many processes validate ``items`` items: all cores for large runs, else one.

    ``SPECLEDGER_JOBS`` overrides it (``1`` turns parallelism off). Only where ``fork`` exists:
    the workers inherit the loaded modules instead of importing them again. Never from a process
    that runs other threads, unless ``SPECLEDGER_JOBS`` asks for it.
    """
    wanted = os.environ.get("SPECLEDGER_JOBS", "").strip()
    if wanted:
        try:
            return max(1, min(int(wanted), 64))
        except ValueError:
            return 1
    if items < minimum:
        return 1
    import multiprocessing

    if "fork" not in multiprocessing.get_all_start_methods():
        return 1
    if threading.active_count() > 1:
        return 1  # forking a process that runs other threads (``spec docs serve``) can deadlock the child
    return max(1, min(os.cpu_count() or 1, 8))


@contextlib.contextmanager
def _collector_paused() -> Iterator[None]:
    """Pause Python's cycle collector while a bulk run validates.

    The parsed documents a run keeps (every main spec) are many small objects without cycles; with
    the collector on, each of its passes walks all of them again, so a run's time grew faster than
    its size (a third of the CPU time at 5,000 changes). Nothing a run makes needs the collector:
    its data holds no reference cycles, and what little cyclic garbage exceptions leave is freed
    when the collector resumes. Forked workers inherit the paused collector.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


_PLAN_USE: list[PlanUse | None] = [None]  # the bulk run's use_plan, which forked workers inherit


def _validate_chunk(args: tuple[Workspace, list[tuple[str, str]]]) -> Done:
    workspace, chunk = args
    validator = _worker_validator(workspace)
    use_plan = _PLAN_USE[0]
    return [validator._item(kind, name, use_plan) for kind, name in chunk]


_WORKER: dict[str, Validator] = {}


def _worker_validator(workspace: Workspace) -> Validator:
    """One validator per worker process, so main specs are read once per worker, not per chunk."""
    key = str(workspace.root)
    if key not in _WORKER:
        _WORKER[key] = Validator(workspace)
    return _WORKER[key]


def _preload() -> None:
    """Import what validating needs before forking, so that each worker inherits it (once per run,
    instead of once per worker), and build the compiled schema validators."""
    import specledger.archive.merge
    import specledger.parse.delta
    import specledger.parse.metadata
    import specledger.parse.proposal
    import specledger.parse.spec
    import specledger.parse.tasks
    import specledger.rules.change
    import specledger.rules.delta
    import specledger.rules.placeholders
    import specledger.rules.spec  # noqa: F401
    from specledger import schemas

    for kind in schemas.KINDS:
        schemas.is_valid(kind, {})


PARALLEL_LOOKUP_MIN = 2000  # below this, forking costs about what spreading the lookups saves
Looked = list[tuple[str, str, "str | None", "tuple[ItemReport, Touched] | None"]]
_LOOKUP_CACHE: list[ValidationCache | None] = [None]  # the cache forked lookup workers inherit


def _look_up_chunk(args: tuple[Workspace, list[tuple[str, str]]]) -> Looked:
    workspace, chunk = args
    validator = _worker_validator(workspace)
    validator.cache = _LOOKUP_CACHE[0]
    return [(kind, name, *validator._from_cache(kind, name)) for kind, name in chunk]


def _look_up_in_processes(workspace: Workspace, cache: ValidationCache | None, items: list[tuple[str, str]],
                          jobs: int) -> Looked:
    import multiprocessing

    chunk = max(50, len(items) // (jobs * 8))
    chunks = [items[i:i + chunk] for i in range(0, len(items), chunk)]
    _LOOKUP_CACHE[0] = cache
    try:
        with multiprocessing.get_context("fork").Pool(jobs) as pool:
            return [entry for result in pool.imap(_look_up_chunk, [(workspace, c) for c in chunks])
                    for entry in result]
    finally:
        _LOOKUP_CACHE[0] = None


def _validate_in_processes(workspace: Workspace, items: list[tuple[str, str]], jobs: int,
                           progress: Callable[[int, int], None] | None, use_plan: PlanUse | None = None) -> Done:
    import multiprocessing

    _preload()

    # Each chunk costs the parent a round trip (about a millisecond of its CPU, taken from the
    # workers on a small machine): large runs send fewer, larger chunks, still small enough that
    # the last one does not keep a worker busy long after the other has finished.
    size = max(PARALLEL_CHUNK, len(items) // (jobs * 32))
    chunks = [items[i:i + size] for i in range(0, len(items), size)]
    done: Done = []
    _PLAN_USE[0] = use_plan  # inherited, not pickled: it may be any callable
    try:
        with multiprocessing.get_context("fork").Pool(jobs) as pool:
            for result in pool.imap(_validate_chunk, [(workspace, chunk) for chunk in chunks]):
                done.extend(result)
                if progress is not None:
                    progress(len(done), len(items))
    finally:
        _PLAN_USE[0] = None
    return done


def _visible_files(folder: Path) -> Iterable[Path]:
    if not folder.is_dir():
        return []
    out: list[Path] = []
    for dirpath, dirnames, filenames in os.walk(folder):
        dirnames[:] = [d for d in dirnames if not d.startswith(".")]
        out.extend(Path(dirpath) / f for f in filenames if not f.startswith("."))
    return out


def touched_requirements(delta: Delta) -> set[str]:
    names = {b.name for b in delta.added} | {b.name for b in delta.modified} | {n for n, _ in delta.removed}
    for rename in delta.renamed:
        names |= {rename.old, rename.new}
    return names


def add_overlap_findings(reports: list[ItemReport], touched: dict[str, list[tuple[str, str, str]]],
                         all_changes: list[str]) -> None:
    """Warn on both sides when two open changes touch the same requirement of the same capability.

    ``touched`` holds, for each of ``all_changes``, what ``Validator.touched`` returns; only
    ``reports`` get findings.
    """
    users_of: dict[tuple[str, str], list[tuple[str, str]]] = {}
    for change_name in all_changes:
        for spec_id, name, rel in touched.get(change_name, []):
            users_of.setdefault((spec_id, name), []).append((change_name, rel))
    from bisect import bisect_left, bisect_right

    by_id = {r.id: r for r in reports}
    for (spec_id, name), users in sorted(users_of.items()):
        if len(users) < 2:
            continue
        names = sorted(c for c, _ in users)  # once per requirement, not once per user
        for change, rel in users:
            if change not in by_id:
                continue
            others = ", ".join(names[:bisect_left(names, change)] + names[bisect_right(names, change):])
            by_id[change].findings.append(warning(
                "change-overlap",
                f'requirement "{name}" of {spec_id} is also changed by open change(s) {others}; archive one, '
                "then refresh the other against the updated spec", rel))


def validate_change(workspace: Workspace, name: str) -> ItemReport:
    return Validator(workspace).change(name)


def validate_spec(workspace: Workspace, spec_id: str) -> ItemReport:
    return Validator(workspace).spec(spec_id)


__all__ = ["ItemReport", "Validator", "validate_change", "validate_spec"]

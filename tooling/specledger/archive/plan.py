"""The archive plan: every byte archive will write, computed and validated before the first write.

``build_plan`` is pure with respect to the tree: it reads the change and the main specs and
returns an ``ArchivePlan``; ``specledger.archive.apply`` carries the plan out crash-safely.
"""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from specledger.archive.targets import archive_name, archive_path_problems, raise_first, resolve_change_dir
from specledger.errors import RefusedError, SpecledgerError
from specledger.workspace import Workspace

if TYPE_CHECKING:
    from specledger.validate import Validator

SpecAction = Literal["create", "update", "delete", "unchanged"]


@dataclass(frozen=True)
class SpecUpdate:
    """What archive does to one main spec."""

    spec_id: str
    path: Path  # absolute path of the main spec
    action: SpecAction
    old_text: str | None  # None when the spec does not exist yet
    new_text: str | None  # None when the spec is deleted (retired capability)
    new_bytes: bytes | None  # exactly what is written (line endings of the target kept)
    added: int = 0
    modified: int = 0
    removed: int = 0
    renamed: int = 0


@dataclass(frozen=True)
class ArchivePlan:
    """Everything ``apply_plan`` needs; nothing in it refers to mutable state."""

    change: str
    change_dir: Path  # absolute, the open change folder
    archive_dir: Path  # absolute, changes/archive/YYYY-MM-DD-<name>
    specs: tuple[SpecUpdate, ...] = ()
    warnings: tuple[str, ...] = ()
    skip_specs: bool = False
    # Files generated from the specs ([[tool.specledger.generate]]) that the new spec texts
    # change: written in the same transaction, so no archive leaves them stale. ``spec_id``
    # holds the output's path relative to the root.
    outputs: tuple[SpecUpdate, ...] = ()
    stale_outputs: tuple[str, ...] = ()  # with --no-generate: the outputs left stale

    @property
    def writes(self) -> tuple[SpecUpdate, ...]:
        return tuple(s for s in self.specs if s.action in ("create", "update"))

    @property
    def file_writes(self) -> tuple[SpecUpdate, ...]:
        """Every file the archive writes: specs, then generated outputs."""
        return (*self.writes, *self.outputs)

    @property
    def deletes(self) -> tuple[SpecUpdate, ...]:
        return tuple(s for s in self.specs if s.action == "delete")

    def totals(self) -> dict[str, int]:
        return {
            "added": sum(s.added for s in self.specs),
            "modified": sum(s.modified for s in self.specs),
            "removed": sum(s.removed for s in self.specs),
            "renamed": sum(s.renamed for s in self.specs),
        }


def _encoded(path: Path, text: str, newline: str, bom: bool) -> bytes:
    """``text`` encoded as the spec at ``path`` is: its BOM, and its line endings line by line.

    Only a file holding a CR is read again, to see whether it mixes endings (the parsed document
    keeps one ending for the whole file); every other file is plain LF.
    """
    from specledger.archive.merge import encode, encode_like

    if newline == "\n":
        return encode(text, newline, bom)
    try:
        raw = path.read_bytes().decode("utf-8")
    except (OSError, UnicodeDecodeError):
        return encode(text, newline, bom)  # apply compares the file with the plan again anyway
    return encode_like(text, raw, bom)


def plan_outputs(workspace: Workspace, specs: tuple[SpecUpdate, ...]) -> tuple[SpecUpdate, ...]:
    """The generated files that change when ``specs`` are written (``RefusedError`` if they break).

    Only outputs of targets reading a spec this archive writes or deletes are considered; the
    configuration itself is ``spec generate``'s to report, so a broken one renders nothing here.
    """
    if not workspace.config.get("generate"):
        return ()  # no generated file (and no need to import the generator)
    from specledger.generate import render_all, spec_paths
    from specledger.generate.output import current_text

    try:
        read = spec_paths(workspace)
    except SpecledgerError:
        return ()
    texts = {u.path.resolve(): u.new_text for u in specs if u.action in ("create", "update", "delete")}
    if not read & set(texts):
        return ()
    try:
        rendered = render_all(workspace, {path: texts[path] for path in read & set(texts)})
    except SpecledgerError as err:
        raise RefusedError(f"the specs this archive would write break a generated file: {err.message}",
                           path=err.path, line=err.line, code="archive_generate_failed",
                           hint="fix the delta, or archive with --no-generate and fix the spec later") from err
    outputs = []
    for item in rendered:
        old = current_text(item.path, item.output)
        if old != item.text:
            outputs.append(SpecUpdate(item.output, workspace.root / item.output,
                                      "create" if old is None else "update", old, item.text,
                                      item.text.encode("utf-8")))
    return tuple(outputs)


def build_plan(
    workspace: Workspace,
    change: str,
    *,
    skip_specs: bool = False,
    today: _dt.date | None = None,
    validator: Validator | None = None,
    generate: bool = True,
    shared_paths: dict[Any, Any] | None = None,
) -> ArchivePlan:
    """Compute every new spec text for archiving ``change``; raise ``RefusedError`` if archive must refuse.

    Raises ``SpecledgerError`` (exit 2) for unsafe names or a missing change folder. Pass the
    ``validator`` that already validated the change to reuse the files it has read, and, from a
    read-only run that plans many changes (the reviewer site), ``shared_paths`` to remember the
    path checks they have in common (see ``archive_path_problems``); archive itself passes none.
    """
    from specledger.archive.merge import MergeError, encode
    from specledger.parse.metadata import read_metadata
    from specledger.validate import Validator

    change_dir = resolve_change_dir(workspace, change)
    target = workspace.archive_dir / archive_name(change, today or _dt.date.today())
    meta = read_metadata(change_dir, (workspace.root / "openspec" / "schemas",))
    if skip_specs or meta.skip_specs:
        raise_first(archive_path_problems(workspace, change, target, (), shared=shared_paths))
        return ArchivePlan(change, change_dir, target, skip_specs=True)

    validator = validator or Validator(workspace)
    deltas, placement = validator.delta_files(change)
    raise_first(archive_path_problems(workspace, change, target, (d.id for d in deltas), shared=shared_paths))
    if not deltas:
        raise RefusedError(
            "the change has no delta spec, so archiving it would record nothing; add "
            "specs/<capability>/spec.md, or set 'skip_specs: true' in .openspec.yaml (or pass --skip-specs)",
            code="archive_no_deltas")
    updates: list[SpecUpdate] = []
    warnings: list[str] = []
    for delta_file in deltas:
        if delta_file.delta is None:
            rel = workspace.rel(delta_file.path)
            # the validator's finding on the file says why (its encoding, say)
            why = next((f.message.removeprefix("cannot read this file") for f in placement
                        if f.code == "file-unreadable" and f.path == rel), "")
            raise SpecledgerError(f"cannot read this delta spec{why}", path=rel, code="unreadable")
        delta = delta_file.delta
        spec_path = workspace.spec_path(delta.id)
        try:
            current = validator.main_doc(delta.id)
        except Exception as err:  # UnreadableFile
            raise SpecledgerError(f"cannot read the main spec: {err}", path=workspace.rel(spec_path),
                                  code="unreadable") from err
        try:
            result = validator.merged(change, delta)
        except MergeError as err:
            listed = "; ".join(f"line {c.line}: {c.message}" if c.line else c.message for c in err.conflicts)
            raise RefusedError(f"{len(err.conflicts)} conflict(s): {listed}; no files were changed",
                               path=workspace.rel(delta_file.path), line=err.conflicts[0].line,
                               code="archive_spec_update_failed") from err
        warnings.extend(result.warnings)
        counts = dict(added=result.added, modified=result.modified, removed=result.removed, renamed=result.renamed)
        problems = validator.result_errors(delta.id, current, result)
        if problems and meta.retire_capabilities and all(f.code == "spec-no-requirements" for f in problems):
            updates.append(SpecUpdate(delta.id, spec_path, "delete", current.text if current else None, None, None,
                                      **counts))
            continue
        if problems:
            listed = "; ".join(f"{f.message}" for f in problems[:3])
            hint = None
            if any(f.code == "spec-no-requirements" for f in problems):
                hint = "to retire the capability, set 'retire_capabilities: true' in the change's .openspec.yaml"
            raise RefusedError(f"the spec archive would write for '{delta.id}' fails validation: {listed}; "
                               "no files were changed", path=workspace.rel(spec_path),
                               code="archive_spec_validation_failed", hint=hint)
        if current is None:
            updates.append(SpecUpdate(delta.id, spec_path, "create", None, result.text,
                                      encode(result.text, "\n", False), **counts))
        elif not any(counts.values()):
            updates.append(SpecUpdate(delta.id, spec_path, "unchanged", current.text, current.text, None, **counts))
        else:
            updates.append(SpecUpdate(delta.id, spec_path, "update", current.text, result.text,
                                      _encoded(spec_path, result.text, current.newline, current.had_bom),
                                      **counts))
    if not generate:
        try:
            stale = tuple(o.spec_id for o in plan_outputs(workspace, tuple(updates)))
        except RefusedError as err:
            stale = (f"(the generated files cannot be rendered from the new specs: {err.message})",)
        return ArchivePlan(change, change_dir, target, tuple(updates), tuple(warnings), stale_outputs=stale)
    outputs = plan_outputs(workspace, tuple(updates))
    if outputs:  # the change's own paths were checked above
        raise_first(archive_path_problems(workspace, change, target, (), outputs=[o.path for o in outputs]))
    return ArchivePlan(change, change_dir, target, tuple(updates), tuple(warnings), outputs=outputs)


__all__ = ["ArchivePlan", "SpecUpdate", "archive_name", "build_plan", "field"]

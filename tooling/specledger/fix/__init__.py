"""``spec fix``: mechanical, meaning-preserving rewrites of spec files, planned in memory, proven, then written.

``plan_fixes`` reads each main spec and delta spec once, runs the fixer table
(``specledger.fix.fixers.FIXERS``) over it and proves the result with ``specledger.fix.proof``;
nothing is written. ``write_fixes`` confines every target to the workspace (no symbolic link on
the way) before the first write, then replaces each proven file atomically (temp file, fsync,
rename), as archive does. A file whose result fails the proof is refused and left untouched.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from specledger.errors import SpecledgerError
from specledger.escape import printable
from specledger.fix import fixers, proof
from specledger.fix.fixers import Draft, Edit, FileKind, Fixer
from specledger.items import resolve
from specledger.parse.files import UnreadableFile, read_text
from specledger.validate import Validator
from specledger.workspace import Workspace

LINE_BREAK_RE = re.compile(r"\r\n|\r|\n")
ENDING_NAMES = {"\n": "LF", "\r\n": "CRLF", "\r": "CR", "": "none"}


@dataclass(frozen=True)
class AppliedFix:
    """One fix in one file, for the user: which code, where, and what became what."""

    code: str
    line: int  # 1-based; for line-ending fixes the first line changed
    summary: str
    before: str
    after: str
    lines: int = 1  # how many lines the fix touched (line-ending fixes touch many)
    clears: tuple[str, ...] = ()


@dataclass(frozen=True)
class FileFix:
    """The plan for one file. ``new_text`` is exactly what would be written."""

    path: Path
    rel: str
    kind: FileKind
    item_type: str
    item_id: str
    old_text: str
    new_text: str
    fixes: tuple[AppliedFix, ...] = ()
    refusal: str | None = None  # why the result cannot be written (the proof failed)
    skipped: str | None = None  # why the file was not looked at (its content cannot be read)

    @property
    def changes(self) -> bool:
        return self.refusal is None and self.skipped is None and self.new_text != self.old_text

    def diff(self) -> str:
        """A unified diff from the file as it is to the fixed text (line endings as written)."""
        lines = difflib.unified_diff(_split_keepends(self.old_text), _split_keepends(self.new_text),
                                     fromfile=f"a/{printable(self.rel)}", tofile=f"b/{printable(self.rel)}")
        return "".join(line if line.endswith(("\n", "\r")) else line + "\n\\ No newline at end of file\n"
                       for line in lines)


@dataclass(frozen=True)
class FixTarget:
    path: Path
    kind: FileKind
    item_type: str
    item_id: str


def _split_keepends(text: str) -> list[str]:
    out, pos = [], 0
    for match in LINE_BREAK_RE.finditer(text):
        out.append(text[pos : match.end()])
        pos = match.end()
    if pos < len(text):
        out.append(text[pos:])
    return out


def split_lines(text: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Lines and their endings, cut exactly where the markdown reader cuts them."""
    lines, endings, pos = [], [], 0
    for match in LINE_BREAK_RE.finditer(text):
        lines.append(text[pos : match.start()])
        endings.append(match.group())
        pos = match.end()
    lines.append(text[pos:])
    endings.append("")
    return tuple(lines), tuple(endings)


def _record(fixer: Fixer, draft: Draft, edits: list[Edit]) -> list[AppliedFix]:
    out: list[AppliedFix] = []
    ending_edits = [e for e in edits if e.ending is not None]
    for edit in edits:
        if edit.content is not None:
            out.append(AppliedFix(fixer.code, edit.index + 1, fixer.summary, draft.lines[edit.index], edit.content,
                                  clears=fixer.clears))
    if ending_edits:
        first = ending_edits[0]
        olds = sorted({ENDING_NAMES.get(draft.endings[e.index], "?") for e in ending_edits})
        out.append(AppliedFix(fixer.code, first.index + 1, fixer.summary, "/".join(olds),
                              ENDING_NAMES.get(first.ending or "", "?"), len(ending_edits), fixer.clears))
    return out


def fix_text(kind: FileKind, text: str) -> tuple[str, tuple[AppliedFix, ...], str | None]:
    """Run every fixer over ``text``; return the new text, the fixes, and a refusal (or ``None``)."""
    bom = "\ufeff" if text.startswith("\ufeff") else ""
    lines, endings = split_lines(text[len(bom) :])
    draft = Draft(kind, lines, endings)
    applied: list[AppliedFix] = []
    for fixer in fixers.FIXERS.values():
        if kind not in fixer.kinds:
            continue
        edits = fixer.find(draft)
        if not edits:
            continue
        if any(not 0 <= e.index < len(draft.lines) for e in edits):
            return text, (), f"the {fixer.code} fixer pointed outside the file"
        applied.extend(_record(fixer, draft, edits))
        new_lines, new_endings = list(draft.lines), list(draft.endings)
        for edit in edits:
            if edit.content is not None:
                new_lines[edit.index] = edit.content
            if edit.ending is not None:
                new_endings[edit.index] = edit.ending
        draft = Draft(kind, tuple(new_lines), tuple(new_endings))
    new_text = bom + "".join(line + ending for line, ending in zip(draft.lines, draft.endings, strict=True))
    if new_text == text:
        return text, (), None
    problem = proof.check(kind, text, new_text)
    if problem:
        return text, tuple(applied), f"refused: {problem}; the file was left as it is"
    return new_text, tuple(applied), None


def targets(workspace: Workspace, validator: Validator, item: str | None,
            item_type: Literal["change", "spec"] | None) -> list[FixTarget]:
    """The spec files ``spec fix`` looks at: one item's, or every open change's deltas and every main spec."""
    changes: list[str]
    specs: list[str]
    if item:
        kind = resolve(workspace, item, item_type)
        changes, specs = ([item], []) if kind == "change" else ([], [item])
    else:  # everything, or every item of the one --type given
        changes = workspace.change_names() if item_type in (None, "change") else []
        specs = workspace.spec_ids() if item_type in (None, "spec") else []
    out: list[FixTarget] = []
    for change in changes:
        deltas, _ = validator.delta_files(change)
        out.extend(FixTarget(d.path, "delta", "change", change) for d in deltas)
    out.extend(FixTarget(workspace.spec_path(s), "spec", "spec", s) for s in specs)
    return out


def plan_fixes(workspace: Workspace, item: str | None = None,
               item_type: Literal["change", "spec"] | None = None) -> list[FileFix]:
    """Every file's fixed text, computed and proven in memory. Writes nothing."""
    validator = Validator(workspace)
    plans: list[FileFix] = []
    for target in targets(workspace, validator, item, item_type):
        rel = workspace.rel(target.path)
        try:
            text = read_text(target.path)
        except UnreadableFile as err:
            if err.environment:
                raise SpecledgerError(f"cannot read this file: {err.reason}", path=rel, code="unreadable") from err
            plans.append(FileFix(target.path, rel, target.kind, target.item_type, target.item_id, "", "",
                                 skipped=err.reason))
            continue
        new_text, applied, refusal = fix_text(target.kind, text)
        plans.append(FileFix(target.path, rel, target.kind, target.item_type, target.item_id, text, new_text,
                             applied, refusal))
    return plans


def write_fixes(workspace: Workspace, plans: list[FileFix]) -> list[FileFix]:
    """Write every proven change; return the files written.

    Every target is confined first (inside the root, no symbolic link on the way: a link could
    send the write anywhere), so a refusal there leaves every file untouched. A file that changed
    on disk since it was planned is not overwritten.
    """
    from specledger.errors import RefusedError
    from specledger.fsio import replace_atomically

    pending = [p for p in plans if p.changes]
    confined = [(p, workspace.confine(p.path, what=f"the file to fix ({p.rel})", allow_links=False))
                for p in pending]
    written: list[FileFix] = []
    for plan, target in confined:
        try:
            if read_text(target) != plan.old_text:
                raise RefusedError("the file changed while it was being fixed; run spec fix again", path=plan.rel,
                                   code="fix_file_changed")
            replace_atomically(target, plan.new_text.encode("utf-8"))
        except UnreadableFile as err:
            raise SpecledgerError(f"cannot read this file again: {err.reason}", path=plan.rel,
                                  code="unreadable") from err
        except OSError as err:
            raise SpecledgerError(f"cannot write the fixed file: {err.strerror or err}", path=plan.rel,
                                  code="fix_unwritable") from err
        written.append(plan)
    return written


__all__ = ["AppliedFix", "FileFix", "fix_text", "plan_fixes", "split_lines", "write_fixes"]

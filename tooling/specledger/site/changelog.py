"""``spec docs changelog``: the archived changes as Markdown release notes, newest first."""

from __future__ import annotations

from specledger.escape import printable
from specledger.history import History
from specledger.site.shown import Shown


def _quoted(names: list[str]) -> str:
    return ", ".join(f"\u201c{printable(name)}\u201d" for name in names)


def changelog_markdown(history: History, shown: Shown) -> str:
    """Markdown listing every archived change with its Why and what it did to which requirement.

    Like the site, it shows nothing read from a file ``shown`` refuses (one that resolves outside
    the workspace): such a change is listed by its folder name, without its Why or those events.
    """
    lines = ["# Changelog", ""]
    if not history.archived:
        lines += ["Nothing archived yet.", ""]
    root = shown.workspace.root
    for item in reversed(history.archived):
        title, why = (item.title, item.why) if shown(item.path / "proposal.md") else (item.folder, None)
        # one-line fields (names from folders and headings) are escaped, so that a newline in one
        # cannot start a heading of its own; the Why is text, printed escaped line by line
        lines += [f"## {item.date or 'undated'}: {printable(title)}", "",
                  f"Archived as `{printable(item.folder)}`.", ""]
        if why:
            lines += [why.strip(), ""]
        by_spec: dict[str, dict[str, list[str]]] = {}
        for event in item.events:
            if not shown(root / event.path):
                continue
            bucket = by_spec.setdefault(event.spec_id, {})
            label = f"{event.old_name} \u2192 {event.name}" if event.kind == "RENAMED" else event.name
            bucket.setdefault(event.kind, []).append(label)
        for spec_id in sorted(by_spec):
            parts = [f"{verb} {_quoted(by_spec[spec_id][kind])}"
                     for kind, verb in (("ADDED", "added"), ("MODIFIED", "modified"), ("RENAMED", "renamed"),
                                        ("REMOVED", "removed"))
                     if kind in by_spec[spec_id]]
            lines.append(f"- **{printable(spec_id)}**: {'; '.join(parts)}")
        if by_spec:
            lines.append("")
    return "\n".join(lines).rstrip("\n") + "\n"


__all__ = ["changelog_markdown"]

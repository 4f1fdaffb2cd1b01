"""``spec docs changelog``: the archived changes as Markdown release notes, newest first."""

from __future__ import annotations

from specledger.history import History


def _quoted(names: list[str]) -> str:
    return ", ".join(f"\u201c{name}\u201d" for name in names)


def changelog_markdown(history: History) -> str:
    """Markdown listing every archived change with its Why and what it did to which requirement."""
    lines = ["# Changelog", ""]
    if not history.archived:
        lines += ["Nothing archived yet.", ""]
    for item in reversed(history.archived):
        lines += [f"## {item.date or 'undated'}: {item.title}", "", f"Archived as `{item.folder}`.", ""]
        if item.why:
            lines += [item.why.strip(), ""]
        by_spec: dict[str, dict[str, list[str]]] = {}
        for event in item.events:
            bucket = by_spec.setdefault(event.spec_id, {})
            label = f"{event.old_name} \u2192 {event.name}" if event.kind == "RENAMED" else event.name
            bucket.setdefault(event.kind, []).append(label)
        for spec_id in sorted(by_spec):
            parts = [f"{verb} {_quoted(by_spec[spec_id][kind])}"
                     for kind, verb in (("ADDED", "added"), ("MODIFIED", "modified"), ("RENAMED", "renamed"),
                                        ("REMOVED", "removed"))
                     if kind in by_spec[spec_id]]
            lines.append(f"- **{spec_id}**: {'; '.join(parts)}")
        if by_spec:
            lines.append("")
    return "\n".join(lines).rstrip("\n") + "\n"


__all__ = ["changelog_markdown"]

"""Rules for one delta spec, without looking at the main specs."""

from __future__ import annotations

from collections import Counter

from specledger import schemas
from specledger.findings import Finding, Level, error, info, warning
from specledger.model import Delta
from specledger.parse.blocks import fold_name
from specledger.rules.spec import keyword_findings


def check_delta(delta: Delta, path: str) -> list[Finding]:
    """Findings for one delta file, in the reference's order."""
    found: list[Finding] = []
    for stray_section, header, header_line in delta.stray_headers:
        if header.lower().startswith("requirement:"):
            msg = f'"### {header}" in {stray_section} has no requirement name and is ignored; name it'
        else:
            msg = (f'"### {header}" in {stray_section} is not a "### Requirement:" header and is ignored; '
                   f'write "### Requirement: {header}" if it is meant as one')
        found.append(info("delta-stray-header", msg, path, header_line))
    for side, unpaired_name, unpaired_line in delta.unpaired:
        other = "TO" if side == "FROM" else "FROM"
        found.append(error("delta-rename-unpaired",
                           f'RENAMED {side}: "{unpaired_name}" has no {other}: line; write each rename as a '
                           "FROM: line followed by its TO: line", path, unpaired_line))
    for orphan, section, orphan_line in delta.orphans:
        where = f'under "## {section}", which is not a delta section' if section else "above the first '## ' section"
        found.append(warning("delta-orphan-requirement",
                             f'requirement "{orphan}" is {where}, so it is ignored; move it under "## ADDED '
                             'Requirements" (or MODIFIED, REMOVED, RENAMED)', path, orphan_line))

    data = delta.to_data()
    schema_items = list(schemas.check("delta", data))
    by_block: dict[tuple[str, int], list[Finding]] = {}
    for item in schema_items:
        kind = str(item.path[0]).upper() if item.path else ""
        line: int | None = None
        if len(item.path) >= 2 and item.path[0] in ("added", "modified"):
            blocks = delta.added if item.path[0] == "added" else delta.modified
            line = blocks[int(item.path[1])].line
        message = item.message.replace("{kind}", kind)
        key = (str(item.path[0]) if item.path else "", int(item.path[1]) if len(item.path) > 1 else -1)
        by_block.setdefault(key, []).append(Finding(Level(item.level), item.code, message, path, line))

    for kind, blocks in (("ADDED", delta.added), ("MODIFIED", delta.modified)):
        for name, count in Counter(b.name for b in blocks).items():
            if count > 1:
                found.append(error("delta-duplicate", f'"{name}" appears {count} times in {kind}', path))
        for index, block in enumerate(blocks):
            block_findings = by_block.get((kind.lower(), index), [])
            found.extend(f for f in block_findings if f.code == "delta-requirement-empty")
            found.extend(keyword_findings(kind, block.name, block.header, block.body, path, block.line))
            for finding in block_findings:
                if finding.code == "delta-requirement-no-scenario" and block.empty_scenario_headers:
                    finding = Finding(finding.level, finding.code,
                                      finding.message + " (a scenario heading with nothing under it does not count)",
                                      path, finding.line)
                if finding.code != "delta-requirement-empty":
                    found.append(finding)
    for name, count in Counter(n for n, _ in delta.removed).items():
        if count > 1:
            found.append(error("delta-duplicate", f'"{name}" appears {count} times in REMOVED', path))
    for label, rename_names in (("FROM", [r.old for r in delta.renamed]), ("TO", [r.new for r in delta.renamed])):
        for name, count in Counter(rename_names).items():
            if count > 1:
                found.append(error("delta-duplicate", f'"{name}" appears {count} times as a RENAMED {label}', path))

    added = {b.name for b in delta.added}
    modified = {b.name for b in delta.modified}
    removed = {n for n, _ in delta.removed}
    for a, b, names in (("MODIFIED", "REMOVED", modified & removed), ("MODIFIED", "ADDED", modified & added),
                        ("ADDED", "REMOVED", added & removed)):
        for both in sorted(names):
            found.append(error("delta-conflict", f'"{both}" is in both {a} and {b}', path))
    removed_folded = {fold_name(n): n for n in removed}
    for rename in delta.renamed:
        if rename.old in modified:
            found.append(error("delta-conflict",
                               f'MODIFIED uses the old name "{rename.old}"; after the rename it is "{rename.new}"',
                               path, rename.line))
        if rename.new in added:
            found.append(error("delta-conflict", f'RENAMED target "{rename.new}" is also ADDED', path, rename.line))
        spelled = removed_folded.get(fold_name(rename.old))
        if spelled is not None:
            extra = f' (REMOVED spells it "{spelled}")' if spelled != rename.old else ""
            found.append(error("delta-conflict", f'"{rename.old}" is both RENAMED and REMOVED{extra}', path,
                               rename.line))
    return found

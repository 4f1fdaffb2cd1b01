"""Rules for a change's own documents: proposal, tasks and design."""

from __future__ import annotations

from pathlib import Path

from specledger import schemas
from specledger.findings import Finding, Level, warning
from specledger.markdown import Document
from specledger.model import Design, Proposal, Tasks
from specledger.rules.text import js_length


def _from_schema(kind: str, data: dict[str, object], path: str, line: int | None = None) -> list[Finding]:
    return [Finding(Level(i.level), i.code, i.message, path, line) for i in schemas.check(kind, data)]


def check_proposal(proposal: Proposal, path: str) -> list[Finding]:
    data: dict[str, object] = dict(proposal.to_data())
    if proposal.why:
        data["whyLength"] = js_length(proposal.why)
    return [
        Finding(f.level, f.code, f.message, f.path, proposal.why_line if f.code.startswith("proposal-why-") and
                f.code != "proposal-why-missing" else f.line)
        for f in _from_schema("proposal", data, path)
    ]


def _task_line(tasks: Tasks, schema_path: tuple[str | int, ...]) -> int | None:
    """The line of the task a schema error points into (``tasks/<i>/...``), else ``None``."""
    if len(schema_path) >= 2 and schema_path[0] == "tasks" and isinstance(schema_path[1], int):
        index = schema_path[1]
        if 0 <= index < len(tasks.tasks):
            return tasks.tasks[index].line
    return None


def check_tasks(tasks: Tasks, path: str) -> list[Finding]:
    # each schema finding points at its task's line: two empty checkboxes are two findings
    found = [Finding(Level(i.level), i.code, i.message, path, _task_line(tasks, i.path))
             for i in schemas.check("tasks", tasks.to_data())]
    if not tasks.tasks and tasks.list_items:
        found.append(warning(
            "tasks-no-checkboxes",
            "no line here is a checkbox, so this change counts 0 tasks and nothing can be flagged as unfinished; "
            'write each task as "- [ ] 1.1 Description"', path, tasks.first_list_item_line))
    seen: dict[str, int] = {}
    for task in tasks.tasks:
        if task.task_id is None:
            continue
        leading = task.task_id.split(".")[0]
        if task.group is not None and leading != task.group:
            found.append(warning(
                "task-numbering",
                f'task "{task.task_id}" is under group {task.group} but its number points to group {leading}; '
                "move or renumber it", path, task.line))
        if task.task_id in seen:
            found.append(warning(
                "task-duplicate-id",
                f'task id "{task.task_id}" is used twice (first on line {seen[task.task_id]})', path, task.line))
        else:
            seen[task.task_id] = task.line
    return found


def check_design(path: Path, doc: Document, rel: str) -> list[Finding]:
    design = Design(path, doc, [h.title for h in doc.headings if h.level == 2])
    return _from_schema("design", design.to_data(), rel)

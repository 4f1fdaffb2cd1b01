"""Task list reader: checkboxes and their progress.

A task is a list item holding a checkbox (``- [ ]``, ``* [x]``, ``+ [ ]``, ``1. [x]``, ``1) []``,
indented or not); it is done when the box holds ``x`` or ``X``. Unlike the reference, a checkbox
inside a fenced code block is an example, not a task.
"""

from __future__ import annotations

import re
from pathlib import Path

from specledger.markdown import Document
from specledger.model import Task, Tasks

# Inside the brackets: spaces, at most one mark, spaces. The mark and the spaces after it form one
# optional group so that no two whitespace runs sit side by side; "[" + spaces (a real pattern in
# broken files) must not be retried at every split of the run, which is quadratic.
TASK_RE = re.compile(r"^\s*(?:[-*+]|\d{1,9}[.)])\s*\[(?:\s*(?:([^\]\s])\s*)?\](?![(\[])|\s+\])\s*(.*)")
LIST_ITEM_RE = re.compile(r"^\s*(?:[-*+]|\d{1,9}[.)])\s+\S")
GROUP_RE = re.compile(r"^##\s+(\d+)\.")
TASK_ID_RE = re.compile(r"^(\d+(?:\.\d+)+)\.?(?:\s|$)")

TASKS_FILE = "tasks.md"


def read_tasks(path: Path, doc: Document) -> Tasks:
    tasks: list[Task] = []
    list_items = 0
    first_item: int | None = None
    group: str | None = None
    for index, line in enumerate(doc.lines):
        if doc.fenced[index]:
            continue
        group_match = GROUP_RE.match(line)
        if group_match:
            group = group_match.group(1)
            continue
        if line.startswith("#"):
            group = None if line.startswith("## ") or line.startswith("# ") else group
            continue
        match = TASK_RE.match(line)
        if match:
            text = match.group(2).strip()
            id_match = TASK_ID_RE.match(text)
            tasks.append(
                Task(
                    line=index + 1,
                    done=(match.group(1) or "") in ("x", "X"),
                    text=text,
                    task_id=id_match.group(1) if id_match else None,
                    group=group,
                )
            )
        elif LIST_ITEM_RE.match(line):
            list_items += 1
            if first_item is None:
                first_item = index + 1
    return Tasks(path, tasks, list_items, first_item)


def task_progress(change_dir: Path) -> tuple[int, int]:
    """(done, total) for a change folder; (0, 0) when it has no tasks.md.

    A tasks.md that cannot be read at all (a folder, a symlink loop, no permission) is an
    environment error, exit 2, in every command that counts tasks; one whose text is not
    UTF-8 counts no task here and is a finding of ``spec validate``.
    """
    from specledger.errors import SpecledgerError
    from specledger.parse.files import UnreadableFile, read_markdown

    path = change_dir / TASKS_FILE
    if not path.exists() and not path.is_symlink():
        return (0, 0)
    try:
        tasks = read_tasks(path, read_markdown(path))
    except UnreadableFile as err:
        if err.environment:
            raise SpecledgerError(f"cannot read the task list: {err.reason}", path=str(path),
                                  code="tasks_unreadable") from err
        return (0, 0)
    return (tasks.done, tasks.total)

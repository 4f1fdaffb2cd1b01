"""``spec new change``: a new change folder with a proposal and a task list to fill in."""

from __future__ import annotations

import contextlib
import datetime as _dt
import re
from dataclasses import dataclass
from pathlib import Path

import jinja2

from specledger.archive.targets import DATE_PREFIX_LEN, check_change_name, name_max
from specledger.errors import RefusedError, SpecledgerError
from specledger.fsio import write_file_durably
from specledger.workspace import Workspace

NAME_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")


@dataclass(frozen=True)
class NewChange:
    name: str
    path: Path
    files: tuple[Path, ...]


def new_change(workspace: Workspace, name: str, description: str | None = None,
               today: _dt.date | None = None) -> NewChange:
    """Create ``changes/<name>/`` with ``.openspec.yaml``, ``proposal.md`` and ``tasks.md``."""
    if not NAME_RE.match(name):
        raise SpecledgerError(f"invalid change name {name!r}: use lower-case words joined by hyphens, "
                              "e.g. add-login", code="invalid_change_name")
    if name == "archive":
        raise SpecledgerError("'archive' is reserved for archived changes", code="invalid_change_name")
    # Archive will add a date in front of the name, so leave room for it now.
    check_change_name(name, limit=name_max(workspace.changes_dir) - DATE_PREFIX_LEN,
                      why=", so that archive can put the date in front of it")
    folder = workspace.change_dir(name)
    if folder.exists() or folder.is_symlink():
        raise RefusedError(f"a change named '{name}' already exists", path=workspace.rel(folder),
                           code="change_exists")
    workspace.confine(folder, what="the new change folder", allow_links=False)
    env = jinja2.Environment(loader=jinja2.PackageLoader("specledger", "templates"),
                             undefined=jinja2.StrictUndefined, keep_trailing_newline=True, autoescape=False)
    title = name.replace("-", " ").capitalize()
    why = description or "(why this change is needed: the problem or opportunity, in 50 to 1000 characters)"
    contents = {
        ".openspec.yaml": f"schema: spec-driven\ncreated: {(today or _dt.date.today()).isoformat()}\n",
        "proposal.md": env.get_template("new-change/proposal.md.j2").render(title=title, why=why),
        "tasks.md": env.get_template("new-change/tasks.md.j2").render(),
    }
    written: list[Path] = []
    try:
        folder.mkdir(parents=True)
        for filename, text in contents.items():
            path = folder / filename
            write_file_durably(path, text.encode("utf-8"))
            written.append(path)
    except OSError as err:
        # Leave nothing half-made: remove what this call created, then report.
        for path in written:
            with contextlib.suppress(OSError):
                path.unlink()
        with contextlib.suppress(OSError):
            folder.rmdir()
        raise SpecledgerError(f"cannot create the change: {err.strerror or err}", path=workspace.rel(folder),
                              code="change_not_created") from err
    return NewChange(name, folder, tuple(written))

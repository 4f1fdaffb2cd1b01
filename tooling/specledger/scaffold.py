"""``spec new change`` and ``spec init``: a change to fill in, and a workspace to start from.

The scaffold's blanks are the texts in ``PLACEHOLDERS``. The same table drives the
``placeholder-unfilled`` rule (``specledger.rules.placeholders``), so text a person forgot to
replace is a WARNING naming its file and line, and ``validate --strict`` never passes a scaffold
as it was generated.
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import os
import re
from dataclasses import dataclass
from pathlib import Path

from specledger.archive.targets import DATE_PREFIX_LEN, check_change_name, name_max
from specledger.errors import RefusedError, SpecledgerError
from specledger.fsio import write_file_durably
from specledger.rules.placeholders import PLACEHOLDERS
from specledger.workspace import Workspace

NAME_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
CAPABILITY_RE = re.compile(r"^[a-z0-9]+(?:[-_][a-z0-9]+)*(?:/[a-z0-9]+(?:[-_][a-z0-9]+)*)*$")

@dataclass(frozen=True)
class NewChange:
    name: str
    path: Path
    files: tuple[Path, ...]


def new_change(workspace: Workspace, name: str, description: str | None = None,
               today: _dt.date | None = None, capabilities: tuple[str, ...] = ()) -> NewChange:
    """Create ``changes/<name>/`` with ``.openspec.yaml``, proposal, tasks, design and delta skeletons.

    One delta skeleton is written per capability in ``capabilities`` (with a Purpose section
    when the capability has no main spec yet).
    """
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
    for capability in capabilities:
        if not CAPABILITY_RE.match(capability):
            raise SpecledgerError(f"invalid capability {capability!r}: use lower-case words joined by hyphens, "
                                  "nested with '/', e.g. auth or billing/invoices", code="invalid_capability")
    import jinja2  # only the scaffold needs templates; validate imports this module for its blanks

    env = jinja2.Environment(loader=jinja2.PackageLoader("specledger", "templates"),
                             undefined=jinja2.StrictUndefined, keep_trailing_newline=True, autoescape=False)
    title = name.replace("-", " ").capitalize()
    why = description or PLACEHOLDERS["why"]
    listed = ", ".join(capabilities)
    contents = {
        ".openspec.yaml": f"schema: spec-driven\ncreated: {(today or _dt.date.today()).isoformat()}\n",
        "proposal.md": env.get_template("new-change/proposal.md.j2").render(
            title=title, why=why, capabilities=listed, fill=PLACEHOLDERS),
        "tasks.md": env.get_template("new-change/tasks.md.j2").render(fill=PLACEHOLDERS),
        "design.md": env.get_template("new-change/design.md.j2").render(fill=PLACEHOLDERS),
    }
    delta = env.get_template("new-change/delta.md.j2")
    for capability in capabilities:
        new_capability = not workspace.spec_path(capability).exists()
        contents[f"specs/{capability}/spec.md"] = delta.render(new_capability=new_capability, fill=PLACEHOLDERS)
    written: list[Path] = []
    made: list[Path] = []
    try:
        folder.mkdir(parents=True)
        made.append(folder)
        for filename, text in contents.items():
            path = folder / filename
            for parent in reversed(path.relative_to(folder).parents[:-1]):
                if not (folder / parent).is_dir():
                    (folder / parent).mkdir()
                    made.append(folder / parent)
            write_file_durably(path, text.encode("utf-8"))
            written.append(path)
    except OSError as err:
        # Leave nothing half-made: remove what this call created, then report.
        for path in written:
            with contextlib.suppress(OSError):
                path.unlink()
        for made_dir in reversed(made):
            with contextlib.suppress(OSError):
                made_dir.rmdir()
        raise SpecledgerError(f"cannot create the change: {err.strerror or err}", path=workspace.rel(folder),
                              code="change_not_created") from err
    return NewChange(name, folder, tuple(written))


@dataclass(frozen=True)
class InitResult:
    root: Path
    created: tuple[str, ...]  # paths relative to the root, folders ending in "/"
    kept: tuple[str, ...]  # what was already there and left as it was


TOOL_TABLE = (
    "[tool.specledger]\n"
    'specs_dir = "specs"      # relative to this file\n'
    'changes_dir = "changes"  # archived changes go to changes/archive/\n'
)


def init_workspace(path: Path, *, openspec: bool = False) -> InitResult:
    """Set up a workspace at ``path``: idempotent, never overwrites, says what it did.

    The default layout is ``specs/`` and ``changes/`` beside a ``pyproject.toml`` holding a
    ``[tool.specledger]`` table (added to an existing file, after the text already there);
    ``openspec`` makes OpenSpec's ``openspec/specs`` and ``openspec/changes`` instead. Every
    path is checked (no symbolic link, nothing outside ``path``) before the first write.
    """
    import tomllib

    from specledger.fsio import replace_atomically

    if path.is_symlink():
        raise SpecledgerError(f"is a symbolic link to {os.readlink(path)}; name the real folder if that is "
                              "where the workspace belongs", path=str(path), code="init_symlink")
    if path.exists() and not path.is_dir():
        raise SpecledgerError("is not a folder", path=str(path), code="init_not_a_folder")
    root = Path(os.path.realpath(path))
    workspace = Workspace(root, root / "specs", root / "changes", "init")
    new_pyproject: str | None = None
    if openspec:
        folders = ["openspec/specs", "openspec/changes", "openspec/changes/archive"]
    else:
        pyproject = root / "pyproject.toml"
        workspace.confine(pyproject, what="pyproject.toml", allow_links=False)
        text, table = "", None
        try:
            if pyproject.exists():
                text = pyproject.read_bytes().decode("utf-8")
                table = tomllib.loads(text).get("tool", {}).get("specledger")
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError, RecursionError) as err:
            raise SpecledgerError(f"cannot add [tool.specledger]: the file cannot be read as TOML ({err})",
                                  path=str(pyproject), code="config_invalid") from err
        if table is None:
            sep = ("\n" if not text.endswith("\n") else "") + "\n" if text else ""
            new_pyproject = text + sep + TOOL_TABLE
            tomllib.loads(new_pyproject)  # what we write must read back
        specs = str(table.get("specs_dir", "specs")) if isinstance(table, dict) else "specs"
        changes = str(table.get("changes_dir", "changes")) if isinstance(table, dict) else "changes"
        folders = [specs, changes, f"{changes}/archive"]
    targets = [workspace.confine(root / rel, what=f"the folder {rel}", allow_links=False) for rel in folders]

    created: list[str] = []
    kept: list[str] = []
    try:
        if not root.exists():
            root.mkdir()
            created.append(f"{path}/")
        if new_pyproject is not None:
            existed = (root / "pyproject.toml").exists()
            replace_atomically(root / "pyproject.toml", new_pyproject.encode("utf-8"))
            created.append("pyproject.toml [tool.specledger]" if existed else "pyproject.toml")
        elif not openspec:
            kept.append("pyproject.toml [tool.specledger]")
        for rel, folder in zip(folders, targets, strict=True):
            if folder.is_dir():
                kept.append(f"{rel}/")
            else:
                folder.mkdir(parents=True)
                created.append(f"{rel}/")
    except OSError as err:
        raise SpecledgerError(f"cannot set up the workspace: {err.strerror or err}; created so far: "
                              f"{', '.join(created) or 'nothing'}", path=str(path), code="init_failed") from err
    return InitResult(root, tuple(created), tuple(kept))

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
from specledger.errors import RefusedError, SpecledgerError, WorkspaceError
from specledger.fsio import write_file_durably
from specledger.rules.placeholders import PLACEHOLDERS
from specledger.workspace import Workspace, workspace_at

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
    ``openspec`` makes OpenSpec's ``openspec/specs`` and ``openspec/changes`` instead. An
    existing ``[tool.specledger]`` table is read by the workspace loader itself, so what every
    other command would refuse is refused here too; that and every path (no symbolic link,
    nothing outside ``path``) are checked before the first write.
    """
    from specledger.fsio import replace_atomically

    if path.is_symlink():
        raise SpecledgerError(f"is a symbolic link to {os.readlink(path)}; name the real folder if that is "
                              "where the workspace belongs", path=str(path), code="init_symlink")
    if path.exists() and not path.is_dir():
        raise SpecledgerError("is not a folder", path=str(path), code="init_not_a_folder")
    root = Path(os.path.realpath(path))
    workspace = Workspace(root, root / "specs", root / "changes", "init")
    pyproject = root / "pyproject.toml"
    configured = _configured_layout(workspace, openspec=openspec)
    new_pyproject: bytes | None = None
    if openspec:
        names = ["openspec/specs", "openspec/changes"]
    elif configured is not None:
        names = [configured.config.get("specs_dir", "specs"), configured.config.get("changes_dir", "changes")]
    else:
        new_pyproject = _with_tool_table(pyproject)
        names = ["specs", "changes"]  # what TOOL_TABLE says
    names.append(f"{names[1]}/archive")
    targets = [workspace.confine(root / name, what=f"the folder {name}", allow_links=False) for name in names]
    if configured is not None and not openspec:
        loaded = (configured.specs_dir, configured.changes_dir)
        for key, target, folder in zip(("specs_dir", "changes_dir"), targets[:2], loaded, strict=True):
            if target != folder:  # a link followed by "..": confine reads it lexically, the loader does not
                raise SpecledgerError(f"[tool.specledger] {key} passes through a symbolic link to {folder}",
                                      path=pyproject, code="init_symlink")

    created: list[str] = []
    kept: list[str] = []
    try:
        if not root.exists():
            root.mkdir()
            created.append(f"{path}/")
        if new_pyproject is not None:
            existed = pyproject.exists()
            replace_atomically(pyproject, new_pyproject)
            created.append("pyproject.toml [tool.specledger]" if existed else "pyproject.toml")
        elif not openspec:
            kept.append("pyproject.toml [tool.specledger]")
        for folder in targets:
            rel = workspace.rel(folder)
            if folder.is_dir():
                kept.append(f"{rel}/")
            else:
                folder.mkdir(parents=True)
                created.append(f"{rel}/")
    except OSError as err:
        raise SpecledgerError(f"cannot set up the workspace: {err.strerror or err}; created so far: "
                              f"{', '.join(created) or 'nothing'}", path=str(path), code="init_failed") from err
    return InitResult(root, tuple(created), tuple(kept))


def _configured_layout(workspace: Workspace, *, openspec: bool) -> Workspace | None:
    """The layout ``pyproject.toml``'s ``[tool.specledger]`` gives, as every other command reads it.

    ``None`` when there is no such table. A table the workspace loader refuses is refused here
    (``WorkspaceError``), with ``--openspec`` too: commands read that table before ``openspec/``.
    """
    pyproject = workspace.root / "pyproject.toml"
    if not openspec:
        workspace.confine(pyproject, what="pyproject.toml", allow_links=False)
    try:
        if not openspec and os.path.lexists(pyproject) and not pyproject.is_file():
            # a table cannot be added to it (and reading a FIFO would block for ever)
            raise WorkspaceError("is not a regular file, so [tool.specledger] cannot be added to it",
                                 path=pyproject, code="config_unreadable")
        found = workspace_at(workspace.root)
    except OSError as err:
        raise WorkspaceError(f"cannot read the file: {err.strerror or err}", path=pyproject,
                             code="config_unreadable") from err
    return found if found is not None and found.source == "pyproject" else None


def _with_tool_table(pyproject: Path) -> bytes:
    """``pyproject``'s bytes (none if it is missing) followed by ``TOOL_TABLE``, checked before writing.

    The file has already been through the workspace loader and has no ``[tool.specledger]``;
    the result must read back, the way the loader reads it, with ``TOOL_TABLE``'s table in it.
    """
    import io
    import tomllib

    try:
        data = pyproject.read_bytes() if pyproject.exists() else b""
        text = data.decode("utf-8")
    except (OSError, UnicodeDecodeError) as err:
        raise WorkspaceError(f"cannot read the file: {err}", path=pyproject, code="config_unreadable") from err
    sep = ("\n" if not text.endswith("\n") else "") + "\n" if text else ""
    new = (text + sep + TOOL_TABLE).encode("utf-8")
    try:
        # read as the loader reads the file (text mode: "\r\n" and a lone "\r" become "\n")
        tool = tomllib.loads(io.TextIOWrapper(io.BytesIO(new), encoding="utf-8").read()).get("tool")
    except (tomllib.TOMLDecodeError, RecursionError, ValueError):
        tool = None
    if not isinstance(tool, dict) or tool.get("specledger") != tomllib.loads(TOOL_TABLE)["tool"]["specledger"]:
        raise WorkspaceError(
            "[tool.specledger] cannot be added: `tool` in this file is not a table it can go in (a value "
            "such as tool = \"x\", an inline table or an array of tables)",
            path=pyproject,
            code="config_invalid",
            hint="add a [tool.specledger] table by hand, or make `tool` a table",
        )
    return new

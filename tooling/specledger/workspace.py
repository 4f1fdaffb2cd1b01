"""Find the workspace root and its layout (specs and changes folders) and list what is in it.

Two layouts are recognised, nearest ancestor first:

* a ``pyproject.toml`` with a ``[tool.specledger]`` table (``specs_dir``, ``changes_dir``, both
  relative to that file; defaults ``specs`` and ``changes``);
* an ``openspec/`` folder holding ``specs/`` or ``changes/`` (OpenSpec's layout).
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from specledger.errors import SpecledgerError, WorkspaceError

ARCHIVE_DIRNAME = "archive"
BASELINE_NAME = ".spec-baseline.json"  # at the root; see specledger.baseline
MAX_CONFIG_PATH = 1024  # bytes; longer configured folders are refused before any system call
_GIT_PART = os.sep + ".git"  # (a quick test before splitting a path into its parts)


class UnsafePathError(SpecledgerError):
    """A path that would be written, renamed or deleted resolves outside the workspace root."""


@dataclass(frozen=True)
class Workspace:
    """Where a repository keeps its specs and changes."""

    root: Path
    specs_dir: Path
    changes_dir: Path
    source: str  # "pyproject" or "openspec"
    config: Mapping[str, Any] = field(default_factory=dict)

    @property
    def archive_dir(self) -> Path:
        return self.changes_dir / ARCHIVE_DIRNAME

    def rel(self, path: Path) -> str:
        """``path`` relative to the root, with forward slashes (for messages and output)."""
        text, root = str(path), str(self.root)
        if os.sep == "/" and text.startswith(root) and text[len(root) : len(root) + 1] == "/" and root != "/":
            return text[len(root) + 1 :]  # what relative_to gives, without building Path parts
        try:
            return path.relative_to(self.root).as_posix()
        except ValueError:
            return str(path)

    def has_spec(self, spec_id: str) -> bool:
        """Whether ``spec_id`` is one of ``spec_ids()``, walking only the folders on its path."""
        parts = spec_id.split("/")
        if not spec_id or any(not part or part.startswith(".") for part in parts):
            return False
        folder = str(self.specs_dir)
        names = [*parts, "spec.md"]
        for depth, name in enumerate(names):
            try:
                with os.scandir(folder) as entries:
                    entry = next((e for e in entries if e.name == name), None)
            except (OSError, ValueError):
                return False
            if entry is None:
                return False
            if depth == len(names) - 1:
                return not entry.is_dir(follow_symlinks=False)  # what discover_spec_ids counts as a spec
            if not entry.is_dir(follow_symlinks=False):
                return False
            folder = entry.path
        return False

    def spec_ids(self) -> list[str]:
        """Capability ids of the main specs, in code-point order."""
        return sorted(discover_spec_ids(self.specs_dir))

    def change_names(self) -> list[str]:
        """Names of the open changes (every folder under changes/ except archive), sorted."""
        if not self.changes_dir.is_dir():
            return []
        names = []
        for entry in os.scandir(self.changes_dir):
            if entry.name == ARCHIVE_DIRNAME or entry.name.startswith("."):
                continue
            if entry.is_dir(follow_symlinks=False):
                names.append(entry.name)
        return sorted(names)

    def confine(self, path: Path, *, what: str = "path", allow_links: bool = True,
                known_dirs: set[str] | None = None) -> Path:
        """Return ``path`` resolved (every symlink followed), refusing it unless it stays in the root.

        The single confinement check: every path that specledger writes, renames or deletes goes
        through here before the first write. With ``allow_links`` a symlink *inside* the
        workspace that points to another place inside it is accepted (it is just another name
        for something the repository owns) and one whose target lies outside the root is
        refused; a dangling link is judged by where it points, since a write through it would
        create its target there. Without ``allow_links`` (archive, which renames and deletes
        files and must be able to undo that exactly) no symbolic link may stand anywhere on the
        path below the root.

        ``known_dirs`` (for read-only runs that check many paths, such as ``spec validate``)
        remembers the folders already found not to be links, so each is looked at once.
        """
        return Path(self.confined_path(path, what=what, allow_links=allow_links, known_dirs=known_dirs))

    def confined_path(self, path: Path, *, what: str = "path", allow_links: bool = True,
                      known_dirs: set[str] | None = None) -> str:
        """``confine``, giving the resolved path as a string (for checks that need no ``Path``)."""
        try:
            absolute = os.path.abspath(path)
            real = self._realpath(absolute, known_dirs)
            # A path that resolves to itself has no link on it (a link that resolved to its own
            # place would be a loop, which nothing can be written through): walk it only if not.
            if not allow_links and real != absolute:
                self._refuse_links(Path(absolute), what, self.rel(path))
        except (OSError, ValueError) as err:  # a NUL byte, a name too long for the system
            raise UnsafePathError(
                f"{what} cannot be resolved: {err}", path=self.rel(path), code="path_unresolvable"
            ) from err
        root = str(self.root)
        if real != root and not real.startswith(root if root.endswith(os.sep) else root + os.sep):
            raise UnsafePathError(
                f"{what} resolves to {real}, outside the workspace {self.root}; "
                "specledger never writes outside the workspace",
                path=self.rel(path),
                code="path_outside_workspace",
                hint="replace the symbolic link on the way with a real folder or file" if real != absolute else None,
            )
        if _GIT_PART in real.casefold():
            below = real[len(root):].casefold().split(os.sep)
            if ".git" in below:
                raise UnsafePathError(
                    f"{what} resolves to {real}, inside a .git folder; specledger never writes into "
                    "version control's own files (a hook placed there would run code)",
                    path=self.rel(path),
                    code="path_inside_git",
                )
        return real

    def _realpath(self, absolute: str, known_dirs: set[str] | None = None) -> str:
        """``os.path.realpath(absolute)``, looking only at the components below the root.

        The root is already resolved, so a path below it that has no link under the root is its
        own real path; only then is the walk up from ``/`` that ``realpath`` does skipped. Any
        link found (or a root that is not resolved) falls back to ``realpath`` itself.
        """
        root = str(self.root)
        if not absolute.startswith(root + os.sep) or root == os.sep or not self._root_is_real():
            return os.path.realpath(absolute)
        here = root
        for part in absolute[len(root) + 1 :].split(os.sep):
            here = here + os.sep + part
            if known_dirs is not None and here in known_dirs:
                continue
            try:
                mode = os.lstat(here).st_mode
            except OSError:
                return absolute  # nothing further down exists (or can be looked at), so no link either
            if stat.S_ISLNK(mode):
                return os.path.realpath(absolute)
            if known_dirs is not None and stat.S_ISDIR(mode):
                known_dirs.add(here)
        return absolute

    def _root_is_real(self) -> bool:
        known: bool | None = self.__dict__.get("_root_real")
        if known is None:
            known = os.path.realpath(self.root) == str(self.root)
            object.__setattr__(self, "_root_real", known)
        return known

    def _refuse_links(self, path: Path, what: str, shown: str) -> None:
        try:
            parts = path.relative_to(self.root).parts
        except ValueError:
            raise UnsafePathError(
                f"{what} is not below the workspace root {self.root}",
                path=shown,
                code="path_outside_workspace",
            ) from None
        here = self.root
        for part in parts:
            here = here / part
            if os.path.islink(here):
                raise UnsafePathError(
                    f"{what} passes through the symbolic link {self.rel(here)} "
                    f"(to {os.readlink(here)}); specledger writes, renames and deletes only through real "
                    "folders here",
                    path=shown,
                    code="path_through_symlink",
                    hint="replace the link with the folder or file it points to",
                )

    def spec_path(self, spec_id: str) -> Path:
        return self.specs_dir.joinpath(*spec_id.split("/"), "spec.md")

    def change_dir(self, name: str) -> Path:
        return self.changes_dir / name


def discover_spec_ids(specs_dir: Path) -> Iterator[str]:
    """Yield the ids of every ``spec.md`` below ``specs_dir`` (not the one at its top).

    Dot entries are skipped and symlinked folders are not followed, as the reference does;
    the walk therefore cannot loop.
    """
    if not specs_dir.is_dir():
        return
    stack: list[tuple[Path, tuple[str, ...]]] = [(specs_dir, ())]
    while stack:
        folder, parts = stack.pop()
        try:
            entries = list(os.scandir(folder))
        except OSError:
            continue
        for entry in entries:
            if entry.name.startswith("."):
                continue
            if entry.is_dir(follow_symlinks=False):
                stack.append((Path(entry.path), (*parts, entry.name)))
            elif entry.name == "spec.md" and parts:
                yield "/".join(parts)


def _read_pyproject(path: Path) -> Mapping[str, Any] | None:
    import tomllib  # only where a pyproject.toml is found: keeps it out of other repositories' start-up

    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as err:
        raise WorkspaceError(f"cannot read the file: {err}", path=path, code="config_unreadable") from err
    except tomllib.TOMLDecodeError as err:
        raise WorkspaceError(f"not valid TOML: {err}", path=path, code="config_invalid") from err
    except RecursionError as err:  # arrays or tables nested thousands deep
        raise WorkspaceError("not usable TOML: nested too deeply", path=path, code="config_invalid") from err
    except ValueError as err:  # an integer past Python's int-string conversion limit
        raise WorkspaceError(f"not valid TOML: {str(err)[:80]}", path=path, code="config_invalid") from err
    tool = data.get("tool")
    if not isinstance(tool, dict):
        return None
    table = tool.get("specledger")
    if table is None:
        return None
    if not isinstance(table, dict):
        raise WorkspaceError("[tool.specledger] must be a table", path=path, code="config_invalid")
    return table


def _configured_dir(table: Mapping[str, Any], key: str, default: str, pyproject: Path) -> Path:
    value = table.get(key, default)
    if not isinstance(value, str) or not value.strip():
        raise WorkspaceError(
            f"[tool.specledger] {key} must be a non-empty path string", path=pyproject, code="config_invalid"
        )
    too_long_name = any(len(part.encode("utf-8", "surrogateescape")) > 255 for part in value.split("/"))
    if "\x00" in value or too_long_name or len(value.encode("utf-8", "surrogateescape")) > MAX_CONFIG_PATH:
        raise WorkspaceError(
            f"[tool.specledger] {key} must be a plain relative path (no NUL byte, at most "
            f"{MAX_CONFIG_PATH} bytes, each folder name at most 255)",
            path=pyproject,
            code="config_invalid",
        )
    try:
        folder = (pyproject.parent / value).resolve()
    except (OSError, ValueError, RuntimeError) as err:  # RuntimeError: a symlink loop (Python < 3.13)
        raise WorkspaceError(
            f"[tool.specledger] {key} = {value!r} cannot be resolved: {err}", path=pyproject, code="config_invalid"
        ) from err
    root = pyproject.parent.resolve()
    if folder != root and root not in folder.parents:
        raise WorkspaceError(
            f"[tool.specledger] {key} = {value!r} points outside the project", path=pyproject, code="config_invalid"
        )
    return folder


def find_workspace(start: Path | None = None) -> Workspace:
    """Walk up from ``start`` (default: the current directory) to the nearest workspace root."""
    try:
        here = (start or Path.cwd()).resolve()
    except OSError as err:  # the current folder was deleted under us
        raise WorkspaceError(
            f"the current folder cannot be used: {err.strerror or err}",
            code="no_workspace",
            hint="cd into an existing folder of the repository",
        ) from err
    for folder in (here, *here.parents):
        try:
            found = workspace_at(folder)
        except OSError as err:
            raise WorkspaceError(
                f"cannot look for a workspace here: {err.strerror or err}", path=folder, code="config_unreadable"
            ) from err
        if found is not None:
            return found
    raise WorkspaceError(
        f"no specledger workspace found from {here}",
        code="no_workspace",
        hint="run inside a repository with an openspec/ folder (holding specs/ or changes/), "
        "or a pyproject.toml with a [tool.specledger] table",
    )


def workspace_at(folder: Path) -> Workspace | None:
    """The workspace rooted at ``folder``, or None when ``folder`` is not a root.

    Raises ``WorkspaceError`` for a ``[tool.specledger]`` table that no command can use (``spec
    init`` asks here before it writes, so it accepts exactly what the other commands accept).
    """
    pyproject = folder / "pyproject.toml"
    if pyproject.is_file():
        table = _read_pyproject(pyproject)
        if table is not None:
            return Workspace(
                root=folder,
                specs_dir=_configured_dir(table, "specs_dir", "specs", pyproject),
                changes_dir=_configured_dir(table, "changes_dir", "changes", pyproject),
                source="pyproject",
                config=table,
            )
    openspec = folder / "openspec"
    if (openspec / "specs").is_dir() or (openspec / "changes").is_dir():
        return Workspace(
            root=folder,
            specs_dir=openspec / "specs",
            changes_dir=openspec / "changes",
            source="openspec",
        )
    return None

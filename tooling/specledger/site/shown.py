"""What the reviewer site may show: the text of files that belong to the repository, and no other."""

from __future__ import annotations

import os
import stat
from pathlib import Path

from specledger.errors import SpecledgerError
from specledger.workspace import Workspace


class Shown:
    """Whether the site may show what a repository file holds: only when the file resolves inside
    the workspace.

    A repository can make any of its files a symbolic link to a file elsewhere on the machine
    (``design.md`` -> a key in the home folder, say); the validator reads through it, but the site,
    which is built to be published, shows no text that does not belong to the repository. The
    check is the workspace's own confinement check, asked only where a link stands: a file or
    folder that is not a link is inside exactly when its folder is (one build asks about every
    file, and the full check of each cost a build 0.03 s).
    """

    def __init__(self, workspace: Workspace) -> None:
        self.workspace = workspace
        self._dirs: set[str] = set()  # folders the workspace's check found to be real
        self._answers: dict[str, bool] = {}  # by file and by folder

    def __call__(self, path: Path) -> bool:
        name = str(path)
        known = self._answers.get(name)
        if known is None:
            known = self._inside(os.path.dirname(name))
            if known:
                try:
                    is_link = stat.S_ISLNK(os.lstat(name).st_mode)
                except OSError:
                    is_link = False  # nothing there to show
                if is_link:
                    known = self._confined(name)
            self._answers[name] = known
        return known

    def _inside(self, folder: str) -> bool:
        """Whether ``folder`` resolves inside the workspace: a folder that is not a link is inside
        exactly when its parent is, so each is looked at once (an ``lstat``) below the root."""
        known = self._answers.get(folder)
        if known is None:
            root = str(self.workspace.root)
            parent = os.path.dirname(folder)
            if folder == root:
                known = True
            elif not folder.startswith(root + os.sep) or parent == folder or not self._inside(parent):
                known = self._confined(folder)  # (outside the root as named: only a link can bring it in)
            else:
                try:
                    known = not stat.S_ISLNK(os.lstat(folder).st_mode) or self._confined(folder)
                except OSError:
                    known = True  # nothing there to show
            self._answers[folder] = known
        return known

    def _confined(self, name: str) -> bool:
        try:
            self.workspace.confined_path(Path(name), what="a file the site shows", known_dirs=self._dirs)
        except SpecledgerError:
            return False
        return True


__all__ = ["Shown"]

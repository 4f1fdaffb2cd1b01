"""The names of archive's own files (journal, staged and backup copies), apart from the journal code.

Every command checks for an interrupted archive and ``validate`` checks archive's paths; both need
only these names, so they do not import the journal machinery (hashing, locking, JSON) unless a
journal is actually there.
"""

from __future__ import annotations

import os
from pathlib import Path

JOURNAL_NAME = ".specledger-archive.journal"
TEMP_SUFFIX = ".specledger-new"
BACKUP_SUFFIX = ".specledger-old"


def temp_path(target: Path) -> Path:
    """Where the new text of ``target`` is staged: beside it, so the final rename is atomic."""
    return target.with_name(f".{target.name}{TEMP_SUFFIX}")


def backup_path(target: Path) -> Path:
    """Where the old text of ``target`` is kept (a hard link: no data is copied)."""
    return target.with_name(f".{target.name}{BACKUP_SUFFIX}")


def journal_present(changes_dir: Path) -> bool:
    """Whether an archive left its journal (or the journal's temporary file) in ``changes_dir``."""
    journal = os.path.join(changes_dir, JOURNAL_NAME)
    return os.path.lexists(journal) or os.path.lexists(journal + ".tmp")

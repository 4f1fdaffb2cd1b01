"""Errors that stop a command before it can produce findings (exit code 2)."""

from __future__ import annotations

from pathlib import Path

from specledger.escape import printable


class SpecledgerError(Exception):
    """A usage, configuration or environment problem: the command cannot do its job.

    The CLI prints it as ``path:line: message`` and exits with status 2. ``code`` is a stable
    identifier for JSON output.
    """

    def __init__(
        self,
        message: str,
        *,
        path: Path | str | None = None,
        line: int | None = None,
        code: str = "error",
        hint: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.path = path
        self.line = line
        self.code = code
        self.hint = hint

    def __str__(self) -> str:
        """One line (plus a hint line), with control characters from names shown as escapes."""
        where = ""
        if self.path is not None:
            where = f"{self.path}:{self.line}: " if self.line else f"{self.path}: "
        text = printable(f"{where}{self.message}")
        if self.hint:
            text += f"\n  hint: {printable(self.hint)}"
        return text


class WorkspaceError(SpecledgerError):
    """No workspace could be found, or its configuration is broken."""


class RefusedError(SpecledgerError):
    """The command understood the request and refuses it (exit code 1), e.g. archive blocked."""

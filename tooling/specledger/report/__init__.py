"""Reporters: render validation reports as text, JSON or CI annotations. Chosen by ``--format``."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from specledger.validate import ItemReport
from specledger.workspace import Workspace

if TYPE_CHECKING:
    from specledger.baseline import BaselineOutcome


@dataclass(frozen=True)
class RenderOptions:
    strict: bool
    color: bool
    findings_only: bool = False  # --report findings
    scope: str = "item"
    baseline: BaselineOutcome | None = None  # set when the run compared with a baseline


Reporter = Callable[[Sequence[ItemReport], Workspace, RenderOptions], str]


def reporters() -> dict[str, Reporter]:
    from specledger.report import github, jsonout, text

    return {"text": text.render, "json": jsonout.render, "github": github.render}

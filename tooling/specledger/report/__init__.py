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


def is_known(report: ItemReport, index: int) -> bool:
    """Whether finding ``index`` of ``report`` is covered by a baseline (False without one).

    Only reports marked against a baseline (``specledger.baseline.BaselinedReport``) answer; asked
    by name, so that runs without a baseline never import that module.
    """
    check = getattr(report, "is_known", None)
    return check is not None and bool(check(index))


def reporters() -> dict[str, Reporter]:
    from specledger.report import github, jsonout, text

    return {"text": text.render, "json": jsonout.render, "github": github.render}

"""``spec generate``: spec data -> jinja2 templates -> files, with a ``--check`` mode for CI.

Everything is rendered in memory first; only when every target rendered cleanly is anything
written (each file atomically), so a bad input never leaves a half-updated set of files.
"""

from __future__ import annotations

from specledger.errors import SpecledgerError
from specledger.generate.extract import SpecData, read_spec_data
from specledger.generate.output import Outcome, Rendered, compare, write_changed
from specledger.generate.render import build_context, make_environment, render_target
from specledger.generate.targets import Target, load_targets, templates_dir
from specledger.workspace import Workspace

__all__ = ["Outcome", "Rendered", "Target", "check_generated", "generate", "render_all"]


def render_all(workspace: Workspace) -> list[Rendered]:
    """Render every configured target; raises ``SpecledgerError`` at the first bad input."""
    targets = load_targets(workspace)
    env = make_environment(templates_dir(workspace))
    specs: dict[str, SpecData] = {}
    rendered: list[Rendered] = []
    for target in targets:
        if target.spec not in specs:
            specs[target.spec] = read_spec_data(workspace.root / target.spec, target.spec)
        context = build_context(specs[target.spec], target.spec, target)
        text = render_target(env, target, context, workspace.root)
        rendered.append(Rendered(target.output, workspace.root / target.output, text))
    return rendered


def check_generated(workspace: Workspace) -> list[Outcome]:
    """Compare every target with the tree (``--check``): nothing is written."""
    return compare(render_all(workspace))


def generate(workspace: Workspace, *, dry_run: bool = False) -> list[Outcome]:
    """Render every target, then write the ones that changed (or, with ``dry_run``, report them)."""
    rendered = render_all(workspace)
    if dry_run:
        return compare(rendered)
    return write_changed(rendered)


def has_targets(workspace: Workspace) -> bool:
    """Whether the workspace declares any generated file."""
    try:
        return bool(load_targets(workspace))
    except SpecledgerError:
        return True  # let the real call report the configuration error

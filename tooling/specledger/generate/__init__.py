"""``spec generate``: spec data -> jinja2 templates -> files, with a ``--check`` mode for CI.

Everything is rendered in memory first, and every output path is confined to the workspace
before that; only when every target rendered cleanly is anything written, and then all files or
none (see :mod:`specledger.generate.output`), so a bad input or a read-only folder never leaves
a half-updated set of files.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from specledger.errors import SpecledgerError
from specledger.generate.extract import SpecData, read_spec_data
from specledger.generate.output import (
    Outcome,
    Rendered,
    compare,
    require_regular_file,
    write_changed,
)
from specledger.generate.render import (
    build_context,
    check_env_defaults,
    make_environment,
    render_target,
)
from specledger.generate.targets import CONFIG_FILE, Target, load_targets, templates_dir
from specledger.workspace import Workspace

__all__ = ["Outcome", "Rendered", "Target", "check_generated", "generate", "render_all", "spec_paths"]


def render_all(workspace: Workspace, spec_texts: Mapping[Path, str | None] | None = None) -> list[Rendered]:
    """Render every configured target; raises ``SpecledgerError`` at the first bad input.

    ``spec_texts`` replaces the text of some specs (keyed by their resolved path; ``None`` for
    a spec that will no longer exist): archive renders from the specs it is about to write.
    """
    overrides = dict(spec_texts or {})
    targets = load_targets(workspace)
    env = make_environment(workspace, templates_dir(workspace))
    paths = _output_paths(workspace, targets)
    specs: dict[str, SpecData] = {}
    rendered: list[Rendered] = []
    for target in targets:
        if target.spec not in specs:
            spec_path = workspace.root / target.spec
            resolved = spec_path.resolve()
            text = overrides.get(resolved)
            exists = text is not None if resolved in overrides else require_regular_file(spec_path, target.spec, "spec")
            if not exists:
                raise SpecledgerError(
                    "the spec file does not exist", path=target.spec, code="generate_no_spec"
                )
            data = read_spec_data(spec_path, target.spec, text)
            check_env_defaults(data, target.spec)
            specs[target.spec] = data
        context = build_context(specs[target.spec], target.spec, target)
        text = render_target(env, target, context, workspace.root)
        rendered.append(Rendered(target.output, paths[target.output], text))
    return rendered


def _output_paths(workspace: Workspace, targets: list[Target]) -> dict[str, Path]:
    """Each output confined to the workspace (before anything renders); two outputs that are one
    file through a link are refused, as the second write would silently replace the first."""
    paths: dict[str, Path] = {}
    by_path: dict[Path, str] = {}
    for target in targets:
        path = workspace.confine(workspace.root / target.output, what=f"output {target.output}")
        if path in by_path:
            raise SpecledgerError(
                f"outputs {by_path[path]} and {target.output} are the same file "
                f"({workspace.rel(path)}) through a symbolic link",
                path=CONFIG_FILE,
                line=target.line,
                code="config_invalid",
            )
        by_path[path] = target.output
        paths[target.output] = path
    return paths


def check_generated(workspace: Workspace) -> list[Outcome]:
    """Compare every target with the tree (``--check``): nothing is written."""
    return compare(render_all(workspace))


def generate(workspace: Workspace, *, dry_run: bool = False) -> list[Outcome]:
    """Render every target, then write the ones that changed (or, with ``dry_run``, report them)."""
    rendered = render_all(workspace)
    if dry_run:
        return compare(rendered)
    return write_changed(workspace, rendered)


def spec_paths(workspace: Workspace) -> set[Path]:
    """The resolved paths of every spec a generate target reads (nothing when none is declared)."""
    return {(workspace.root / target.spec).resolve() for target in load_targets(workspace)}


def has_targets(workspace: Workspace) -> bool:
    """Whether the workspace declares any generated file."""
    try:
        return bool(load_targets(workspace))
    except SpecledgerError:
        return True  # let the real call report the configuration error

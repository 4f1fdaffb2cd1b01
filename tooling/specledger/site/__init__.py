"""The reviewer site: specs, open changes with their redlines, archived changes and history.

``render_site`` computes every file in memory (deterministic: same tree, same bytes);
``write_site`` writes them, each path confined to the workspace and replaced atomically.
"""

from __future__ import annotations

from specledger.site.output import BuildResult, build_site, default_out, render_site, write_site

__all__ = ["BuildResult", "build_site", "default_out", "render_site", "write_site"]

"""Shape the site's data for the templates and render every page in memory.

Templates get pre-shaped, sorted data (hrefs computed here, relative to the page, so the site
works from ``file://``); they only lay it out. Rendering returns ``{relative path: bytes}`` and
writes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any
from urllib.parse import quote

import jinja2
from markupsafe import Markup

from specledger.findings import Finding, Level
from specledger.history import ArchivedChange, Event, History, Lineage
from specledger.model import Delta
from specledger.parse.blocks import split_requirements
from specledger.site.collect import OpenChange, SiteData, SpecInfo, change_texts
from specledger.site.markup import (
    Anchors,
    drop_leading_heading,
    markdown_html,
    markdown_sections,
    render_tokens,
    slug,
)
from specledger.site.redline import recorded_entries

TEMPLATE_PACKAGE = "specledger"
TEMPLATE_DIR = "templates/site"
STYLESHEET = "style.css"


def spec_page(spec_id: str) -> str:
    return f"specs/{spec_id}.html"


def change_page(name: str) -> str:
    return f"changes/{name}.html"


def archive_page(folder: str) -> str:
    return f"archive/{folder}.html"


def href(page: str, target: str, anchor: str | None = None) -> str:
    """A link from ``page`` to ``target`` (both site-relative), relative so it works from disk."""
    # Every page path is plain (no "." or ".." parts), so climbing to the site root and down
    # again is always right, and much cheaper than posixpath.relpath on thousands of links.
    rel = "../" * page.count("/") + target
    return quote(rel) + (f"#{quote(anchor)}" if anchor else "")


@cache
def environment() -> jinja2.Environment:
    """The site's jinja2 environment: packaged templates, autoescape on, undefined is an error."""
    return jinja2.Environment(
        loader=jinja2.PackageLoader(TEMPLATE_PACKAGE, TEMPLATE_DIR),
        undefined=jinja2.StrictUndefined,
        autoescape=True,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


def stylesheet() -> bytes:
    return resources.files(TEMPLATE_PACKAGE).joinpath(TEMPLATE_DIR, STYLESHEET).read_bytes()


def findings_data(findings: list[Finding]) -> list[dict[str, Any]]:
    ordered = sorted(findings, key=lambda f: (list(Level).index(f.level), f.path, f.line or 0, f.code, f.message))
    return [{"level": f.level.value.lower(), "label": f.level.value, "code": f.code,
             "where": f"{f.path}:{f.line}" if f.line else f.path, "message": f.message} for f in ordered]


def status_of(errors: int, warnings: int) -> dict[str, str]:
    if errors:
        text = f"{errors} error{'s' * (errors != 1)}"
        if warnings:
            text += f", {warnings} warning{'s' * (warnings != 1)}"
        return {"css": "error", "text": text}
    if warnings:
        return {"css": "warning", "text": f"valid, {warnings} warning{'s' * (warnings != 1)}"}
    return {"css": "ok", "text": "valid"}


def _md(text: str | None, shift: int = 2) -> Markup | None:
    return markdown_html(text, shift=shift) if text else None


@dataclass
class Site:
    """The data plus the lookups every page needs (anchors, lineages, which pages exist)."""

    data: SiteData

    def __post_init__(self) -> None:
        self.specs = {s.id: s for s in self.data.specs}
        # one anchor per requirement block, in order; a requirement's links go to its first block
        self.block_anchors: dict[str, list[str]] = {}
        self.anchors: dict[str, dict[str, str]] = {}
        for spec in self.data.specs:
            taken = Anchors()
            listed = [taken.take(f"r-{slug(block.name)}") for block in spec.blocks]
            self.block_anchors[spec.id] = listed
            names: dict[str, str] = {}
            for block, anchor in zip(spec.blocks, listed, strict=True):
                names.setdefault(block.name, anchor)
            self.anchors[spec.id] = names
        self.lineage_of: dict[int, Lineage] = {}
        for lineage in self.data.history.lineages:
            for event in lineage.events:
                self.lineage_of[id(event)] = lineage
        # (change, spec) -> the id of that spec's redline on the change page
        self.redline_anchor: dict[tuple[str, str], str] = {}
        for change in self.data.changes:
            taken = Anchors()
            for red in change.redlines:
                self.redline_anchor[(change.name, red.spec_id)] = taken.take(f"s-{slug(red.spec_id)}")
        # spec -> (open change, its delta for that spec), in change order
        self.deltas_for: dict[str, list[tuple[str, Delta]]] = {}
        for change in self.data.changes:
            for delta_file in change.deltas:
                if delta_file.delta is not None:
                    self.deltas_for.setdefault(delta_file.id, []).append((change.name, delta_file.delta))
        # (spec, requirement) -> open changes that would touch it
        self.pending: dict[tuple[str, str], list[tuple[str, str, str]]] = {}
        for change in self.data.changes:
            for delta_file in change.deltas:
                delta = delta_file.delta
                if delta is None:
                    continue
                marks = [(b.name, "MODIFIED", "") for b in delta.modified]
                marks += [(n, "REMOVED", "") for n, _ in delta.removed]
                marks += [(r.old, "RENAMED", f"to \u201c{r.new}\u201d") for r in delta.renamed]
                marks += [(b.name, "ADDED", "") for b in delta.added]
                for name, kind, detail in marks:
                    self.pending.setdefault((delta.id, name), []).append((change.name, kind, detail))

    @property
    def history(self) -> History:
        return self.data.history

    def requirement_href(self, page: str, spec_id: str, name: str) -> str | None:
        anchor = self.anchors.get(spec_id, {}).get(name)
        return href(page, spec_page(spec_id), anchor) if anchor else None

    def spec_href(self, page: str, spec_id: str) -> str | None:
        return href(page, spec_page(spec_id)) if spec_id in self.specs else None

    def current_href(self, page: str, event: Event) -> str | None:
        """Where the requirement an event is about lives today, if it still does."""
        lineage = self.lineage_of.get(id(event))
        if lineage is None or lineage.removed:
            return None
        return self.requirement_href(page, lineage.spec_id, lineage.name)

    def common(self, page: str, title: str) -> dict[str, Any]:
        return {"title": title, "site_name": self.data.workspace.root.name,
                "index": href(page, "index.html"), "changelog": href(page, "changelog.html"),
                "style": href(page, STYLESHEET)}


def _event_data(site: Site, page: str, event: Event) -> dict[str, Any]:
    detail = ""
    if event.kind == "RENAMED":
        detail = f"from \u201c{event.old_name}\u201d"
    return {"kind": event.kind.lower(), "label": event.kind, "date": event.date or "undated",
            "archive": event.archive, "href": href(page, archive_page(event.archive)), "detail": detail}


def index_context(site: Site) -> dict[str, Any]:
    page = "index.html"
    specs = []
    for spec in site.data.specs:
        errors = sum(1 for f in spec.findings if f.level is Level.ERROR)
        warnings = sum(1 for f in spec.findings if f.level is Level.WARNING)
        specs.append({"id": spec.id, "title": spec.title, "href": href(page, spec_page(spec.id)),
                      "count": len(spec.blocks), "status": status_of(errors, warnings)})
    changes = []
    for change in site.data.changes:
        changes.append({
            "name": change.name, "title": change.texts.title, "href": href(page, change_page(change.name)),
            "done": change.texts.done, "total": change.texts.total,
            "status": status_of(change.errors, change.warnings),
            "touched": [{"id": s, "href": site.spec_href(page, s)} for s in change.touched_specs()],
        })
    archived = [{"folder": a.folder, "title": a.title, "date": a.date or "undated",
                 "href": href(page, archive_page(a.folder)),
                 "touched": [{"id": s, "href": site.spec_href(page, s)} for s in sorted({d.id for d in a.deltas})]}
                for a in reversed(site.history.archived)]
    return {**site.common(page, "Specs and changes"), "specs": specs, "changes": changes, "archived": archived}


@dataclass(frozen=True)
class SpecHtml:
    """A main spec rendered from one markdown parse, cut where the requirement blocks start."""

    head: Markup  # before "## Requirements", without the title
    preamble: Markup  # between "## Requirements" and the first requirement
    bodies: list[Markup]  # each requirement without its header line
    tail: Markup  # after the requirements section


def spec_html(spec: SpecInfo) -> SpecHtml:
    if spec.doc is None:
        return SpecHtml(Markup(""), Markup(""), [], Markup(""))
    layout = split_requirements(spec.doc)
    if layout.header_index is None:
        (whole,) = markdown_sections(spec.doc.text, [])
        return SpecHtml(render_tokens(drop_leading_heading(whole, "h1")), Markup(""), [], Markup(""))
    starts = [layout.header_index, *(b.line - 1 for b in spec.blocks), layout.end_index]
    head, preamble, *rest = markdown_sections(spec.doc.text, starts)
    bodies, tail = rest[:-1], rest[-1]
    return SpecHtml(render_tokens(drop_leading_heading(head, "h1")), render_tokens(drop_leading_heading(preamble)),
                    [render_tokens(drop_leading_heading(b)) for b in bodies], render_tokens(tail))


def spec_context(site: Site, spec: SpecInfo) -> dict[str, Any]:
    page = spec_page(spec.id)
    rendered = spec_html(spec)
    requirements = []
    for index, block in enumerate(spec.blocks):
        lineage = site.history.of(spec.id, block.name)
        events = [_event_data(site, page, e) for e in lineage.events] if lineage else []
        pending = [{"change": c, "href": href(page, change_page(c)), "kind": k.lower(), "label": k, "detail": d}
                   for c, k, d in site.pending.get((spec.id, block.name), []) if k != "ADDED"]
        requirements.append({"name": block.name, "anchor": site.block_anchors[spec.id][index],
                             "body": rendered.bodies[index], "history": events, "pending": pending})
    removed = []
    for lineage in site.history.removed_from(spec.id):
        removed.append({"name": lineage.name, "history": [_event_data(site, page, e) for e in lineage.events]})
    proposed = []
    for name, delta in site.deltas_for.get(spec.id, []):
        proposed.append({"change": name, "href": href(page, change_page(name)),
                         "redline": href(page, change_page(name), site.redline_anchor.get((name, spec.id), "redlines")),
                         "added": [b.name for b in delta.added]})
    return {**site.common(page, spec.title), "spec": {"id": spec.id, "title": spec.title, "rel": spec.rel},
            "head": rendered.head, "preamble": rendered.preamble, "tail": rendered.tail,
            "requirements": requirements, "removed": removed,
            "proposed": proposed, "findings": findings_data(spec.findings)}


def change_context(site: Site, change: OpenChange) -> dict[str, Any]:
    page = change_page(change.name)
    anchors = Anchors()
    for red in change.redlines:
        anchors.take(site.redline_anchor[(change.name, red.spec_id)])
    redlines = []
    for red in change.redlines:
        spec_anchor = site.redline_anchor[(change.name, red.spec_id)]
        blocks = []
        for block in red.blocks:
            link = None
            if block.kind != "added":
                link = site.requirement_href(page, red.spec_id, block.old_name or block.name)
            blocks.append({"kind": block.kind, "name": block.name, "header": block.header, "body": block.body,
                           "anchor": anchors.take(f"{spec_anchor}-r-{slug(block.name)}"), "link": link})
        counts = {k: red.count(k) for k in ("added", "modified", "removed", "renamed")}
        redlines.append({"spec_id": red.spec_id, "anchor": spec_anchor, "href": site.spec_href(page, red.spec_id),
                         "action": red.action, "head": red.head, "tail": red.tail, "blocks": blocks,
                         "head_changed": red.head_changed, "tail_changed": red.tail_changed,
                         "counts": counts})
    texts = change.texts
    return {**site.common(page, texts.title),
            "change": {"name": change.name, "title": texts.title, "rel": change.rel, "archived": False,
                       "date": None, "done": texts.done, "total": texts.total,
                       "status": status_of(change.errors, change.warnings)},
            "proposal": _md(texts.proposal), "design": _md(texts.design), "tasks": _md(texts.tasks),
            "findings": findings_data(change.findings), "plan_problem": change.plan_problem,
            "skip_specs": change.skip_specs, "redlines": redlines, "recorded": []}


def archived_context(site: Site, item: ArchivedChange) -> dict[str, Any]:
    page = archive_page(item.folder)
    texts = change_texts(item.path, item.change)
    previous = {(e.name, e.line, e.path): e.before for e in item.events if e.kind == "MODIFIED"}
    recorded = []
    anchors = Anchors()
    for delta_file in item.deltas:
        if delta_file.delta is None:
            continue
        rel = site.data.workspace.rel(delta_file.path)
        known = {(name, line): text for (name, line, path), text in previous.items() if path == rel}
        entries = []
        for entry in recorded_entries(delta_file.delta, known):
            link = None if entry.kind == "removed" else site.requirement_href(page, delta_file.id, entry.name)
            entries.append({"kind": entry.kind, "header": entry.header, "body": entry.body, "link": link,
                            "previous_known": entry.previous_known})
        recorded.append({"spec_id": delta_file.id, "anchor": anchors.take(f"s-{slug(delta_file.id)}"),
                         "href": site.spec_href(page, delta_file.id), "entries": entries})
    errors = sum(1 for f in item.findings if f.level is Level.ERROR)
    warnings = sum(1 for f in item.findings if f.level is Level.WARNING)
    return {**site.common(page, texts.title),
            "change": {"name": item.folder, "title": texts.title, "rel": site.data.workspace.rel(item.path),
                       "archived": True, "date": item.date or "undated", "done": texts.done, "total": texts.total,
                       "status": status_of(errors, warnings)},
            "proposal": _md(texts.proposal), "design": _md(texts.design), "tasks": _md(texts.tasks),
            "findings": findings_data(item.findings), "plan_problem": None, "skip_specs": False,
            "redlines": [], "recorded": recorded}


def changelog_entries(site: Site, page: str) -> list[dict[str, Any]]:
    """Archived changes, newest first, with what each did per spec (shared by page and Markdown)."""
    out = []
    for item in reversed(site.history.archived):
        specs: dict[str, dict[str, list[dict[str, Any]]]] = {}
        for event in item.events:
            bucket = specs.setdefault(event.spec_id, {"added": [], "modified": [], "renamed": [], "removed": []})
            bucket[event.kind.lower()].append({"name": event.name, "old_name": event.old_name,
                                               "href": site.current_href(page, event)})
        out.append({"folder": item.folder, "title": item.title, "date": item.date or "undated",
                    "href": href(page, archive_page(item.folder)), "why": _md(item.why), "why_text": item.why,
                    "specs": [{"id": s, "href": site.spec_href(page, s), **specs[s]} for s in sorted(specs)]})
    return out


def render_pages(data: SiteData) -> dict[str, bytes]:
    """Every file of the site, by path relative to the site folder.

    Large sites are rendered by forked worker processes, one slice of the pages each (the data
    is inherited, only the bytes come back); the pages are the same either way.
    """
    from specledger.validate import parallel_jobs

    site = Site(data)
    jobs: list[tuple[str, int]] = [("spec", i) for i in range(len(data.specs))]
    jobs += [("change", i) for i in range(len(data.changes))]
    jobs += [("archived", i) for i in range(len(site.history.archived))]
    files: dict[str, bytes] = {STYLESHEET: stylesheet()}
    files.update(_render_jobs(site, [("index", 0), ("changelog", 0)]))
    workers = parallel_jobs(len(jobs))
    if workers <= 1:
        files.update(_render_jobs(site, jobs))
        return files
    import multiprocessing

    _FORKED["site"] = site
    try:
        slices = [jobs[i::workers] for i in range(workers)]
        with multiprocessing.get_context("fork").Pool(workers) as pool:
            for part in pool.map(_render_slice, slices):
                files.update(part)
    finally:
        _FORKED.clear()
    return dict(sorted(files.items()))


_FORKED: dict[str, Site] = {}  # the site a forked renderer inherits from its parent


def _render_slice(jobs: list[tuple[str, int]]) -> dict[str, bytes]:
    return _render_jobs(_FORKED["site"], jobs)


def _render_jobs(site: Site, jobs: list[tuple[str, int]]) -> dict[str, bytes]:
    env = environment()
    data = site.data
    files: dict[str, bytes] = {}

    def render(template: str, page: str, context: dict[str, Any]) -> None:
        files[page] = env.get_template(template).render(**context).encode("utf-8")

    for kind, index in jobs:
        if kind == "index":
            render("index.html.j2", "index.html", index_context(site))
        elif kind == "changelog":
            page = "changelog.html"
            render("changelog.html.j2", page, {**site.common(page, "Changelog"),
                                               "entries": changelog_entries(site, page)})
        elif kind == "spec":
            spec = data.specs[index]
            render("spec.html.j2", spec_page(spec.id), spec_context(site, spec))
        elif kind == "change":
            change = data.changes[index]
            render("change.html.j2", change_page(change.name), change_context(site, change))
        else:
            item = site.history.archived[index]
            render("change.html.j2", archive_page(item.folder), archived_context(site, item))
    return files


__all__ = ["Site", "archive_page", "change_page", "changelog_entries", "href", "render_pages", "spec_page"]

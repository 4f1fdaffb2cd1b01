"""Shape the site's data for the templates: one context per page.

Templates get pre-shaped, sorted data (hrefs computed here, relative to the page, so the site
works from ``file://``); they only lay it out. ``specledger.site.render`` renders them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import cache
from typing import Any
from urllib.parse import quote

from markupsafe import Markup

from specledger.findings import Finding, Level
from specledger.history import ArchivedChange, Event, History, Lineage
from specledger.model import Block
from specledger.parse.blocks import split_requirements
from specledger.site.collect import ChangeParts, PlanSummary, SiteData, SpecInfo, change_texts
from specledger.site.markup import (
    Anchors,
    blocks_html,
    drop_leading_heading,
    markdown_html,
    markdown_sections,
    slug,
)
from specledger.site.redline import Reuse, recorded_entries
from specledger.site.shown import Shown
from specledger.site.templating import STYLESHEET, findings_html


def page_stem(name: str) -> str:
    """The file name (without ``.html``) of the page of the spec, change or archived change ``name``.

    A folder name that is not valid UTF-8 reaches us with lone surrogates (``'ch-\\udcff'`` for
    the byte 0xff). The site shows such a name as the CLI does, backslash-escaped (``ch-\\udcff``:
    ``render`` encodes pages with ``backslashreplace``), and names its page the same way, so the
    file name is valid UTF-8 (which macOS, git hosts and zip readers expect) and its link an
    ordinary percent-quoted one that a browser and ``http.server`` map back to the file. So that
    the escaped form of one name can never be the name of another (a folder may be called
    ``ch-\\udcff`` literally), a backslash in a name is doubled in its page's name; every other
    name is its page's name unchanged.
    """
    if name.isascii() and "\\" not in name:  # nearly every name: nothing to escape
        return name
    return name.replace("\\", "\\\\").encode("utf-8", "backslashreplace").decode("utf-8")


def spec_page(spec_id: str) -> str:
    return f"specs/{page_stem(spec_id)}.html"


def change_page(name: str) -> str:
    return f"changes/{page_stem(name)}.html"


def archive_page(folder: str) -> str:
    return f"archive/{page_stem(folder)}.html"


def href(page: str, target: str, anchor: str | None = None) -> str:
    """A link from ``page`` to ``target`` (both site-relative), relative so it works from disk."""
    # Every page path is plain (no "." or ".." parts), so climbing to the site root and down
    # again is always right, and much cheaper than posixpath.relpath on thousands of links.
    rel = "../" * page.count("/") + target
    return _quoted(rel) + (f"#{_quoted(anchor)}" if anchor else "")


@cache
def _quoted(text: str) -> str:
    # The same few hundred targets and anchors are linked from page after page. Page names
    # hold no lone surrogate (see ``page_stem``) nor do anchors (slugs); were one to come here
    # all the same, it is quoted escaped, as ``page_stem`` names a page, rather than raise.
    return quote(text, errors="backslashreplace")


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


def _md(text: str | None) -> Markup | None:
    """A change's text under a page section's ``h2``: its highest heading becomes an ``h3``."""
    return markdown_html(text, top=3) if text else None


class Links:
    """What a page needs to link to specs and their requirements: which specs exist, and the
    anchor of each requirement (computed once per spec, from its blocks, the same way wherever
    a page is rendered)."""

    def __init__(self, site_name: str, spec_ids: Iterable[str], blocks_of: Callable[[str], list[Block]]) -> None:
        self.site_name = site_name
        self.spec_ids = set(spec_ids)
        self._blocks_of = blocks_of
        self._anchors: dict[str, tuple[list[str], dict[str, str]]] = {}

    def anchors(self, spec_id: str) -> tuple[list[str], dict[str, str]]:
        """The anchor of each requirement block of a spec, in order, and by requirement name (a
        requirement's links go to its first block)."""
        if spec_id not in self._anchors:
            blocks = self._blocks_of(spec_id) if spec_id in self.spec_ids else []
            taken = Anchors()
            listed = [taken.take(f"r-{slug(block.name)}") for block in blocks]
            names: dict[str, str] = {}
            for block, anchor in zip(blocks, listed, strict=True):
                names.setdefault(block.name, anchor)
            self._anchors[spec_id] = listed, names
        return self._anchors[spec_id]

    def requirement_href(self, page: str, spec_id: str, name: str) -> str | None:
        anchor = self.anchors(spec_id)[1].get(name)
        return href(page, spec_page(spec_id), anchor) if anchor else None

    def spec_href(self, page: str, spec_id: str) -> str | None:
        return href(page, spec_page(spec_id)) if spec_id in self.spec_ids else None

    def common(self, page: str, title: str) -> dict[str, Any]:
        return {"title": title, "site_name": self.site_name,
                "index": href(page, "index.html"), "changelog": href(page, "changelog.html"),
                "style": href(page, STYLESHEET)}


def redline_anchors(spec_ids: list[str]) -> dict[str, str]:
    """The id of each spec's redline on a change page, by spec (``spec_ids`` in page order)."""
    taken = Anchors()
    return {spec_id: taken.take(f"s-{slug(spec_id)}") for spec_id in spec_ids}


class Site(Links):
    """The data plus the lookups every page needs (anchors, lineages, what open changes propose)."""

    def __init__(self, data: SiteData) -> None:
        self.data = data
        self.shown = Shown(data.workspace)
        self.specs = {s.id: s for s in data.specs}
        # (a bound method of a dict of its own, not a function of self: a reference cycle would
        # leave the whole site's data to the cycle collector, at exit)
        blocks = {s.id: s.blocks for s in data.specs}
        super().__init__(data.workspace.root.name, self.specs, blocks.__getitem__)
        self.lineage_of: dict[int, Lineage] = {}
        # spec -> its requirements an archived change removed, as History.removed_from lists them
        # (grouped in one pass here, not one pass over every lineage per spec page)
        self.removed_from: dict[str, list[Lineage]] = {}
        for lineage in data.history.lineages:
            for event in lineage.events:
                self.lineage_of[id(event)] = lineage
            if lineage.removed:
                self.removed_from.setdefault(lineage.spec_id, []).append(lineage)
        # (change, spec) -> the id of that spec's redline on the change page
        self.redline_anchor: dict[tuple[str, str], str] = {}
        # spec -> (open change, the requirements it would add)
        self.deltas_for: dict[str, list[tuple[str, list[str]]]] = {}
        # (spec, requirement) -> open changes that would touch it
        self.pending: dict[tuple[str, str], list[tuple[str, str, str]]] = {}
        for change in data.changes:
            for spec_id, anchor in redline_anchors(change.plan.redline_specs).items():
                self.redline_anchor[(change.name, spec_id)] = anchor
            for spec_id, added, marks in change.rendered.facts.proposals:
                self.deltas_for.setdefault(spec_id, []).append((change.name, added))
                for name, kind, detail in marks:
                    self.pending.setdefault((spec_id, name), []).append((change.name, kind, detail))

    @property
    def history(self) -> History:
        return self.data.history

    def archived_title(self, item: ArchivedChange) -> tuple[str, str | None]:
        """An archived change's title and Why, as its proposal gives them when the site may show
        that file (else its folder name, and no Why)."""
        if self.shown(item.path / "proposal.md"):
            return item.title, item.why
        return item.folder, None

    def event_shown(self, event: Event) -> bool:
        """Whether the delta file that records ``event`` is one the site may show."""
        return self.shown(self.data.workspace.root / event.path)

    def current_href(self, page: str, event: Event) -> str | None:
        """Where the requirement an event is about lives today, if it still does."""
        lineage = self.lineage_of.get(id(event))
        if lineage is None or lineage.removed:
            return None
        return self.requirement_href(page, lineage.spec_id, lineage.name)


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
        facts = change.rendered.facts
        changes.append({
            "name": change.name, "title": facts.title, "href": href(page, change_page(change.name)),
            "done": facts.done, "total": facts.total,
            "status": status_of(change.errors, change.warnings),
            "touched": [{"id": s, "href": site.spec_href(page, s)} for s in facts.touched],
        })
    archived = [{"folder": a.folder, "title": site.archived_title(a)[0], "date": a.date or "undated",
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
        return SpecHtml(blocks_html(drop_leading_heading(whole, "h1")), Markup(""), [], Markup(""))
    starts = [layout.header_index, *(b.line - 1 for b in spec.blocks), layout.end_index]
    head, preamble, *rest = markdown_sections(spec.doc.text, starts)
    bodies, tail = rest[:-1], rest[-1]
    return SpecHtml(blocks_html(drop_leading_heading(head, "h1")), blocks_html(drop_leading_heading(preamble)),
                    [blocks_html(drop_leading_heading(b)) for b in bodies], blocks_html(tail))


def spec_context(site: Site, spec: SpecInfo) -> dict[str, Any]:
    page = spec_page(spec.id)
    rendered = spec_html(spec)
    block_anchors, first_anchor = site.anchors(spec.id)
    requirements: list[dict[str, Any]] = []
    listed: dict[str, bool] = {}  # name -> whether its first block lists open changes
    for index, block in enumerate(spec.blocks):
        anchor = block_anchors[index]
        if block.name in listed:
            # History and open changes belong to a name, not to a block: a spec that repeats a
            # name N times, with M events or open-change entries on it, would otherwise list
            # N x M of them. A later block of the name points to the first, where they are.
            requirements.append({"name": block.name, "anchor": anchor, "body": rendered.bodies[index],
                                 "history": [], "pending": [],
                                 "elsewhere": {"anchor": first_anchor[block.name], "pending": listed[block.name]}})
            continue
        pending = [{"change": c, "href": href(page, change_page(c)), "kind": k.lower(), "label": k, "detail": d}
                   for c, k, d in site.pending.get((spec.id, block.name), []) if k != "ADDED"]
        listed[block.name] = bool(pending)
        lineage = site.history.of(spec.id, block.name)
        events = [_event_data(site, page, e) for e in lineage.events if site.event_shown(e)] if lineage else []
        requirements.append({"name": block.name, "anchor": anchor,
                             "body": rendered.bodies[index], "history": events, "pending": pending,
                             "elsewhere": None})
    removed = []
    for lineage in site.removed_from.get(spec.id, []):
        shown_events = [_event_data(site, page, e) for e in lineage.events if site.event_shown(e)]
        if shown_events:  # (a requirement known only from a file the site does not show is left out)
            removed.append({"name": lineage.name, "history": shown_events})
    proposed = []
    for name, added in site.deltas_for.get(spec.id, []):
        proposed.append({"change": name, "href": href(page, change_page(name)),
                         "redline": href(page, change_page(name), site.redline_anchor.get((name, spec.id), "redlines")),
                         "added": added})
    return {**site.common(page, spec.title),
            "spec": {"id": spec.id, "title": spec.title, "rel": spec.rel, "withheld": spec.withheld},
            "head": rendered.head, "preamble": rendered.preamble, "tail": rendered.tail,
            "requirements": requirements, "removed": removed,
            "proposed": proposed, "findings": findings_data(spec.findings)}


def change_context(links: Links, name: str, rel: str, parts: ChangeParts, plan: PlanSummary,
                   status: Markup, findings: Markup, reuse: Reuse | None = None) -> dict[str, Any]:
    """An open change's page (``rel``: its folder); ``status`` and ``findings`` are its status
    badge and findings list, as HTML; ``reuse``: see ``specledger.site.redline.Reuse``."""
    reuse = reuse or Reuse()
    page = change_page(name)
    spec_anchors = redline_anchors(plan.redline_specs)
    anchors = Anchors()
    for red in parts.redlines:
        anchors.take(spec_anchors[red.spec_id])
    redlines = []
    for red in parts.redlines:
        spec_anchor = spec_anchors[red.spec_id]
        blocks = []
        for block in red.blocks:
            link = None
            if block.kind != "added":
                link = links.requirement_href(page, red.spec_id, block.old_name or block.name)
            blocks.append(reuse.block_html(block, anchors.take(f"{spec_anchor}-r-{slug(block.name)}"), link))
        counts = {k: red.count(k) for k in ("added", "modified", "removed", "renamed")}
        summary = ", ".join(f"{n} {kind}" for kind, n in counts.items() if n) or "no requirement changed"
        redlines.append({"spec_id": red.spec_id, "anchor": spec_anchor, "href": links.spec_href(page, red.spec_id),
                         "action": red.action, "head": red.head, "tail": red.tail, "blocks": Markup("".join(blocks)),
                         "head_changed": red.head_changed, "tail_changed": red.tail_changed,
                         "counts": counts, "summary": summary})
    texts = parts.texts
    return {**links.common(page, texts.title),
            "change": {"name": name, "title": texts.title, "rel": rel, "archived": False,
                       "date": None, "done": texts.done, "total": texts.total},
            "status_html": status, "findings_html": findings,
            "proposal": _md(texts.proposal), "design": _md(texts.design), "tasks": _md(texts.tasks),
            "withheld": texts.withheld,
            "plan_problem": plan.problem, "skip_specs": plan.skip_specs, "redlines": redlines, "recorded": []}


def archived_context(site: Site, item: ArchivedChange) -> dict[str, Any]:
    page = archive_page(item.folder)
    texts = change_texts(item.path, item.change, site.shown)
    # delta file -> (name, line) -> the text a MODIFIED entry replaced (grouped once: not one
    # pass over every event of the change per delta file)
    previous: dict[str, dict[tuple[str, int], str | None]] = {}
    for event in item.events:
        if event.kind == "MODIFIED":
            previous.setdefault(event.path, {})[(event.name, event.line)] = event.before
    recorded = []
    anchors = Anchors()
    for delta_file in item.deltas:
        if delta_file.delta is None:
            continue
        rel = site.data.workspace.rel(delta_file.path)
        if not site.shown(delta_file.path):
            texts.withheld.append(rel)
            continue
        entries = []
        for entry in recorded_entries(delta_file.delta, previous.get(rel, {})):
            link = None if entry.kind == "removed" else site.requirement_href(page, delta_file.id, entry.name)
            entries.append({"kind": entry.kind, "header": entry.header, "body": entry.body, "link": link,
                            "previous_known": entry.previous_known})
        recorded.append({"spec_id": delta_file.id, "anchor": anchors.take(f"s-{slug(delta_file.id)}"),
                         "href": site.spec_href(page, delta_file.id), "entries": entries})
    return {**site.common(page, texts.title),
            "change": {"name": item.folder, "title": texts.title, "rel": site.data.workspace.rel(item.path),
                       "archived": True, "date": item.date or "undated", "done": texts.done, "total": texts.total},
            "status_html": Markup(""), "findings_html": findings_html(findings_data(item.findings)),
            "proposal": _md(texts.proposal), "design": _md(texts.design), "tasks": _md(texts.tasks),
            "withheld": texts.withheld,
            "plan_problem": None, "skip_specs": False, "redlines": [], "recorded": recorded}


def changelog_entries(site: Site, page: str) -> list[dict[str, Any]]:
    """Archived changes, newest first, with what each did per spec (shared by page and Markdown)."""
    out = []
    for item in reversed(site.history.archived):
        specs: dict[str, dict[str, list[dict[str, Any]]]] = {}
        for event in item.events:
            if not site.event_shown(event):
                continue
            bucket = specs.setdefault(event.spec_id, {"added": [], "modified": [], "renamed": [], "removed": []})
            bucket[event.kind.lower()].append({"name": event.name, "old_name": event.old_name,
                                               "href": site.current_href(page, event)})
        title, why = site.archived_title(item)
        out.append({"folder": item.folder, "title": title, "date": item.date or "undated",
                    "href": href(page, archive_page(item.folder)), "why": _md(why), "why_text": why,
                    "specs": [{"id": s, "href": site.spec_href(page, s), **specs[s]} for s in sorted(specs)]})
    return out


__all__ = ["Links", "Site", "archive_page", "archived_context", "change_context", "change_page", "changelog_entries",
           "href", "index_context", "page_stem", "redline_anchors", "spec_context", "spec_page"]

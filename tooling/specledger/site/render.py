"""Render every page of the site, in two rounds, in forked workers for a large site.

Open changes come first: each change page makes its own texts, deltas and redlines, and sends
back, with its bytes, what the other pages show of the change (``ChangeFacts``). The index, the
changelog, the spec pages (which list the open changes touching each requirement) and the
archived changes' pages follow. A large site renders both rounds in one pool of forked worker
processes, in slices of pages: a worker inherits the data and the compiled templates and sends
back bytes, which ``emit_pages`` hands to the caller's sink as each slice arrives (a first build
writes them into its staging folder while the workers render the next slices). The pages are
the same either way. Nothing here writes a file itself.
"""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import cache
from importlib import resources
from typing import Any

import jinja2

from specledger.site.collect import SiteData, change_parts
from specledger.site.pages import (
    STYLESHEET,
    ChangeFacts,
    Site,
    archive_page,
    archived_context,
    change_context,
    change_facts,
    change_page,
    changelog_entries,
    index_context,
    spec_context,
    spec_page,
)

TEMPLATE_PACKAGE = "specledger"
TEMPLATE_DIR = "templates/site"
TEMPLATES = ("index.html.j2", "changelog.html.j2", "spec.html.j2", "change.html.j2")

Sink = Callable[[str, bytes], None]  # takes a rendered file: its path in the site folder, its bytes
Job = tuple[str, int]  # ("change" | "spec" | "archived", index in its list), or ("index" | "changelog", 0)
Rendered = tuple[dict[str, bytes], dict[str, ChangeFacts]]


class _Environment(jinja2.Environment):
    """Looks ``x.name`` up as a key first when ``x`` is a dict, as the page contexts all are.

    jinja2 tries the attribute first, and the ``AttributeError`` every dict raises on the way
    made up a third of the templates' time. The templates never call a dict method, so nothing else
    changes; a name neither key nor attribute is still an error (``StrictUndefined``).
    """

    def getattr(self, obj: Any, attribute: str) -> Any:
        if type(obj) is dict and attribute in obj:
            return obj[attribute]
        return super().getattr(obj, attribute)


@cache
def environment() -> jinja2.Environment:
    """The site's jinja2 environment: packaged templates, autoescape on, undefined is an error."""
    return _Environment(
        loader=jinja2.PackageLoader(TEMPLATE_PACKAGE, TEMPLATE_DIR),
        undefined=jinja2.StrictUndefined,
        autoescape=True,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        auto_reload=False,  # the templates are package data: no stat of each one on every page
    )


@cache
def templates() -> dict[str, jinja2.Template]:
    env = environment()
    return {name: env.get_template(name) for name in TEMPLATES}


def stylesheet() -> bytes:
    return resources.files(TEMPLATE_PACKAGE).joinpath(TEMPLATE_DIR, STYLESHEET).read_bytes()


def render_pages(data: SiteData) -> dict[str, bytes]:
    """Every file of the site, by path relative to the site folder."""
    return dict(sorted(_render_all(data, None).items()))


def emit_pages(data: SiteData, sink: Sink) -> list[str]:
    """Render every file of the site and hand each to ``sink`` (path relative to the site folder,
    bytes) as soon as it is rendered; returns the paths, sorted.

    ``sink`` runs in this process: when a large site renders in forked workers, it takes each
    slice of pages as its worker sends it back, while the workers render the next ones. (Only
    this process creates files: two processes creating files in one folder at once cost the
    kernel far more, when the file system has many recently freed inodes to pass over.)
    """
    return sorted(_render_all(data, sink))


def _render_all(data: SiteData, sink: Sink | None) -> dict[str, bytes]:
    """The files by path; with a ``sink``, each file was handed to it and its bytes are not kept."""
    from specledger.validate import parallel_jobs

    site = Site(data)
    first: list[Job] = [("change", i) for i in range(len(data.changes))]
    then: list[Job] = [("index", 0), ("changelog", 0)]  # the largest first
    then += [("spec", i) for i in range(len(data.specs))]
    then += [("archived", i) for i in range(len(site.history.archived))]
    templates()  # compiled once, here, rather than in every worker
    with _renderer(site, sink, parallel_jobs(len(first) + len(then))) as render:
        files, facts = render(first, None)
        found = [(change.name, facts[change.name]) for change in data.changes]
        for name, change_found in found:
            site.record(name, change_found)
        files.update(render(then, found)[0])
    files[STYLESHEET] = _emit(sink, STYLESHEET, stylesheet())
    return files


def _emit(sink: Sink | None, path: str, page: bytes) -> bytes:
    if sink is None:
        return page
    sink(path, page)
    return b""


def _render(template: str, context: dict[str, Any]) -> bytes:
    return templates()[template].render(**context).encode("utf-8")


def _render_jobs(site: Site, sink: Sink | None, jobs: list[Job]) -> Rendered:
    data = site.data
    files: dict[str, bytes] = {}
    facts: dict[str, ChangeFacts] = {}
    for kind, index in jobs:
        if kind == "change":
            change = data.changes[index]
            parts = change_parts(data.validator, change, site.docs)
            facts[change.name] = change_facts(parts)
            path, page = change_page(change.name), _render("change.html.j2", change_context(site, change, parts))
        elif kind == "spec":
            spec = data.specs[index]
            path, page = spec_page(spec.id), _render("spec.html.j2", spec_context(site, spec))
        elif kind == "index":
            path, page = "index.html", _render("index.html.j2", index_context(site))
        elif kind == "changelog":
            path = "changelog.html"
            page = _render("changelog.html.j2", {**site.common(path, "Changelog"),
                                                 "entries": changelog_entries(site, path)})
        else:
            item = site.history.archived[index]
            path, page = archive_page(item.folder), _render("change.html.j2", archived_context(site, item))
        files[path] = _emit(sink, path, page)
    return files, facts


Found = list[tuple[str, ChangeFacts]]  # what the change pages found, in change order
Render = Callable[[list[Job], Found | None], Rendered]
SLICES_PER_WORKER = 4  # small enough that a worker slowed by other load does not hold up the rest


_FORKED: list[Site] = []  # the site a forked renderer inherits from its parent


@contextmanager
def _renderer(site: Site, sink: Sink | None, workers: int) -> Iterator[Render]:
    """Renders jobs here, or spread over ``workers`` forked processes, one pool for both rounds.

    A worker forked before the change pages rendered is handed what they found (``Found``) with
    the next round's jobs, and records it as this process did.
    """
    # Frozen objects are left out of every collection: the collector no longer walks the data
    # again and again while the pages are made, and a forked worker's never touches (and so
    # never copies) the data it inherits.
    gc.freeze()
    try:
        if workers <= 1:
            yield lambda jobs, _found: _render_jobs(site, sink, jobs)
            return
        import multiprocessing

        _FORKED.append(site)
        with multiprocessing.get_context("fork").Pool(workers) as pool:

            def render(jobs: list[Job], found: Found | None) -> Rendered:
                count = workers * SLICES_PER_WORKER
                slices = [(jobs[i::count], found) for i in range(count)]
                files: dict[str, bytes] = {}
                facts: dict[str, ChangeFacts] = {}
                for part_files, part_facts in pool.imap_unordered(_render_slice, slices):
                    files.update((path, _emit(sink, path, page)) for path, page in part_files.items())
                    facts.update(part_facts)
                return files, facts

            yield render
    finally:
        gc.unfreeze()
        _FORKED.clear()


def _render_slice(task: tuple[list[Job], Found | None]) -> Rendered:
    jobs, found = task
    (site,) = _FORKED
    if found and not site.facts:  # once per worker, which may take several slices
        for name, facts in found:
            site.record(name, facts)
    return _render_jobs(site, None, jobs)


__all__ = ["Sink", "emit_pages", "environment", "render_pages", "stylesheet", "templates"]

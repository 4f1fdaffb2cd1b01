"""Render every page of the site: the open changes' pages where they are validated, then the rest.

An open change's page is rendered where the change is validated (``ChangePageMaker``, which
``collect`` hands to ``Validator.bulk`` as its ``use_plan``): in the validation's forked worker
processes for a large site, while the change's deltas, merges and main specs are at hand, so
nothing is read, parsed or merged twice and no archive plan is sent between processes. Its
status and findings are left as two slots, because the overlap check, which runs once every
change is validated, may still add to them; ``fill_slots`` fills them in this process.

The other pages (the index, the changelog, the spec pages, which list the open changes
touching each requirement, and the archived changes' pages) need what every open change
proposes, so they come after. A large site renders them in forked workers, in slices: a worker
inherits the data and the compiled templates and sends back bytes, which ``emit_pages`` hands to
the caller's sink as each slice arrives, while this process fills in the change pages and hands
them over too. The pages are the same either way. Nothing here writes a file itself.
"""

from __future__ import annotations

import gc
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from markupsafe import Markup

from specledger.site.collect import (
    ChangePage,
    OpenChange,
    PlanSummary,
    SiteData,
    change_facts,
    change_parts,
    main_doc_or_none,
    spec_blocks,
)
from specledger.site.pages import (
    Links,
    Site,
    archive_page,
    archived_context,
    change_context,
    change_page,
    changelog_entries,
    findings_data,
    index_context,
    spec_context,
    spec_page,
    status_of,
)
from specledger.site.redline import Reuse
from specledger.site.shown import Shown
from specledger.site.templating import (
    STYLESHEET,
    encode_page,
    findings_html,
    render,
    status_html,
    stylesheet,
    templates,
)

if TYPE_CHECKING:
    from specledger.archive.plan import ArchivePlan
    from specledger.validate import ItemReport, Validator
    from specledger.workspace import Workspace

Sink = Callable[[str, bytes], None]  # takes a rendered file: its path in the site folder, its bytes
Job = tuple[str, int]  # ("spec" | "archived", index in its list), or ("index" | "changelog", 0)


class ChangePageMaker:
    """Renders an open change's page from its archive plan, where the change was validated.

    Used as ``Validator.bulk``'s ``use_plan``: a forked worker calls its own copy, with the
    worker's validator, and the returned ``ChangePage`` is sent back. The templates are compiled
    when it is made, before any worker is forked, so that each worker inherits them.
    """

    def __init__(self, workspace: Workspace) -> None:
        self.workspace = workspace
        templates()
        # Random, so that no text of the repository can stand for a slot (and every user text
        # is escaped on the way to a page anyway, so none can hold an HTML comment).
        token = os.urandom(16).hex()  # (the secrets module would load OpenSSL for this)
        self.status_slot = f"<!--specledger-status-{token}-->"
        self.findings_slot = f"<!--specledger-findings-{token}-->"
        self._links: Links | None = None  # made in each process that renders, from its validator
        self._shown = Shown(workspace)
        self._reuse = Reuse()

    def __call__(self, validator: Validator, name: str, _report: ItemReport, plan: ArchivePlan | str) -> ChangePage:
        if self._links is None:
            self._links = Links(self.workspace.root.name, self.workspace.spec_ids(),
                                lambda spec_id: spec_blocks(main_doc_or_none(validator, spec_id)))
        folder = self.workspace.change_dir(name)
        parts = change_parts(validator, name, folder, plan, self._shown, self._reuse)
        summary = PlanSummary.of(plan)
        context = change_context(self._links, name, self.workspace.rel(folder), parts, summary,
                                 Markup(self.status_slot), Markup(self.findings_slot), self._reuse)
        return ChangePage(render("change.html.j2", context), change_facts(parts), summary)

    def fill_slots(self, change: OpenChange) -> bytes:
        """The change's page with its status and all its findings in their slots."""
        page = change.rendered.page
        filled = []
        for slot, html in ((self.status_slot, status_html(status_of(change.errors, change.warnings))),
                           (self.findings_slot, findings_html(findings_data(change.findings)))):
            before, found, page = page.partition(slot.encode("ascii"))
            if not found:
                raise AssertionError(f"the page of {change.name} has no slot {slot}")  # a bug, not an input
            filled += [before, encode_page(html)]
        return b"".join([*filled, page])


def render_pages(data: SiteData, maker: ChangePageMaker) -> dict[str, bytes]:
    """Every file of the site, by path relative to the site folder."""
    return dict(sorted(_render_all(data, maker, None).items()))


def emit_pages(data: SiteData, maker: ChangePageMaker, sink: Sink) -> list[str]:
    """Render every file of the site and hand each to ``sink`` (path relative to the site folder,
    bytes) as soon as it is rendered; returns the paths, sorted.

    ``sink`` runs in this process: when a large site renders in forked workers, it takes each
    slice of pages as its worker sends it back, while the workers render the next ones. (Only
    this process creates files: two processes creating files in one folder at once cost the
    kernel far more, when the file system has many recently freed inodes to pass over.)
    """
    return sorted(_render_all(data, maker, sink))


# A spec page takes about 0.35 ms of CPU and forking the workers about 8 ms before the first
# one starts (both measured on the 500-change benchmark repository): below this many pages,
# spreading them saves next to nothing.
PARALLEL_MIN_PAGES = 100


def _render_all(data: SiteData, maker: ChangePageMaker, sink: Sink | None) -> dict[str, bytes]:
    """The files by path; with a ``sink``, each file was handed to it and its bytes are not kept."""
    from specledger.validate import parallel_jobs

    site = Site(data)
    jobs: list[Job] = [("index", 0), ("changelog", 0)]  # the largest first
    jobs += [("spec", i) for i in range(len(data.specs))]
    jobs += [("archived", i) for i in range(len(site.history.archived))]
    files: dict[str, bytes] = {}

    def change_pages() -> None:
        for change in data.changes:
            path = change_page(change.name)
            files[path] = _emit(sink, path, maker.fill_slots(change))

    with _renderer(site, sink, parallel_jobs(len(jobs), minimum=PARALLEL_MIN_PAGES)) as render_jobs:
        files.update(render_jobs(jobs, change_pages))
    files[STYLESHEET] = _emit(sink, STYLESHEET, stylesheet())
    return files


def _emit(sink: Sink | None, path: str, page: bytes) -> bytes:
    if sink is None:
        return page
    sink(path, page)
    return b""


def _render_jobs(site: Site, sink: Sink | None, jobs: list[Job]) -> dict[str, bytes]:
    data = site.data
    files: dict[str, bytes] = {}
    for kind, index in jobs:
        if kind == "spec":
            spec = data.specs[index]
            path, page = spec_page(spec.id), render("spec.html.j2", spec_context(site, spec))
        elif kind == "index":
            path, page = "index.html", render("index.html.j2", index_context(site))
        elif kind == "changelog":
            path = "changelog.html"
            page = render("changelog.html.j2", {**site.common(path, "Changelog"),
                                                "entries": changelog_entries(site, path)})
        else:
            item = site.history.archived[index]
            path, page = archive_page(item.folder), render("change.html.j2", archived_context(site, item))
        files[path] = _emit(sink, path, page)
    return files


# Renders jobs, taking the given step of this process's own meanwhile.
Render = Callable[[list[Job], Callable[[], None]], dict[str, bytes]]
SLICES_PER_WORKER = 4  # small enough that a worker slowed by other load does not hold up the rest


_FORKED: list[Site] = []  # the site a forked renderer inherits from its parent


@contextmanager
def _renderer(site: Site, sink: Sink | None, workers: int) -> Iterator[Render]:
    """Renders jobs here, or spread over ``workers`` forked processes."""
    # Frozen objects are left out of every collection: the collector no longer walks the data
    # again and again while the pages are made, and a forked worker's never touches (and so
    # never copies) the data it inherits.
    gc.freeze()
    try:
        if workers <= 1:

            def here(jobs: list[Job], meanwhile: Callable[[], None]) -> dict[str, bytes]:
                files = _render_jobs(site, sink, jobs)
                meanwhile()
                return files

            yield here
            return
        import multiprocessing

        _FORKED.append(site)
        with multiprocessing.get_context("fork").Pool(workers) as pool:

            def spread(jobs: list[Job], meanwhile: Callable[[], None]) -> dict[str, bytes]:
                count = workers * SLICES_PER_WORKER
                results = pool.imap_unordered(_render_slice, [jobs[i::count] for i in range(count)])
                meanwhile()  # the workers have their slices and render them in the meantime
                files: dict[str, bytes] = {}
                for part in results:
                    files.update((path, _emit(sink, path, page)) for path, page in part.items())
                return files

            yield spread
    finally:
        gc.unfreeze()
        _FORKED.clear()


def _render_slice(jobs: list[Job]) -> dict[str, bytes]:
    (site,) = _FORKED
    return _render_jobs(site, None, jobs)


__all__ = ["ChangePageMaker", "Sink", "emit_pages", "render_pages"]

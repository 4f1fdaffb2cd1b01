"""A real browser (Debian's chromium, driven by Playwright) reads the site from disk."""

from __future__ import annotations

import itertools
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from site_support import Repo

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]


def _require_chromium() -> None:
    if CHROMIUM.exists():
        return
    if os.environ.get("CI"):
        pytest.fail(f"{CHROMIUM} is missing under CI: install Debian's chromium package (make test does)")
    pytest.skip(f"{CHROMIUM} is not installed (apt-get install chromium); the browser test needs it")


@contextmanager
def _page(width: int, height: int, errors: list[str]) -> Iterator[Any]:
    """A chromium page of that size whose console errors and page errors go into ``errors``."""
    _require_chromium()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=ARGS, headless=True)
        try:
            page = browser.new_page(viewport={"width": width, "height": height})
            page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
            page.on("pageerror", lambda exc: errors.append(str(exc)))
            yield page
        finally:
            browser.close()


def test_index_to_change_page_shows_the_redline(repo: Repo, tmp_path: Path) -> None:
    site = repo.build()
    errors: list[str] = []
    with _page(1200, 900, errors) as page:
        page.goto((site / "index.html").as_uri())
        assert page.title().startswith("Specs and changes")

        # the filter box is the one script: typing hides the rows that do not match
        page.fill("#filter", "rework")
        visible = page.locator("#changes tr.filterable:visible")
        assert visible.count() == 1

        page.click("text=rework-notifications")
        page.wait_for_load_state("load")
        assert page.url.endswith("/changes/rework-notifications.html")
        for kind in ("added", "modified", "removed", "renamed"):
            block = page.locator(f'[data-kind="{kind}"]')
            assert block.count() == 1 and block.first.is_visible(), kind
        assert page.locator('[data-kind="added"] ins').first.is_visible()
        assert page.locator('[data-kind="removed"] del').first.is_visible()
        # raw HTML in the proposal stayed text: its onerror never ran
        assert page.evaluate("window.__pwned === undefined")
        shot = tmp_path / "change-page.png"
        page.screenshot(path=str(shot), full_page=True)
        assert shot.stat().st_size > 10_000
    assert errors == []


def _overflow(page) -> int:  # type: ignore[no-untyped-def]
    """How far the page is wider than the window (0: no sideways scrolling)."""
    return int(page.evaluate("document.documentElement.scrollWidth - window.innerWidth"))


def test_pages_fit_a_phone_print_light_and_mark_changes_beyond_colour(repo: Repo) -> None:
    """On a 390px-wide phone no page scrolls sideways; a page printed from a dark-mode browser
    keeps the light colours; added text is underlined as removed text is struck through; the
    filter still applies when the reader comes back to the index; and a proposal that starts at
    ``##`` skips no heading level under the page's own."""
    site = repo.build()
    errors: list[str] = []
    with _page(390, 800, errors) as page:
        pages = sorted(p for p in site.rglob("*.html"))
        assert len(pages) > 5
        for path in pages:
            page.goto(path.as_uri())
            assert _overflow(page) <= 0, path.relative_to(site)

        page.goto((site / "index.html").as_uri())
        page.fill("#filter", "rework")
        assert page.locator("#changes tr.filterable:visible").count() == 1
        assert "rows match" in page.locator("#filter-status").inner_text()
        page.click("text=rework-notifications")
        page.wait_for_load_state("load")
        page.go_back()
        page.wait_for_load_state("load")
        if page.input_value("#filter"):  # (a browser that restores the typed text must filter by it)
            assert page.locator("#changes tr.filterable:visible").count() == 1
        page.fill("#filter", "no-such-thing-anywhere")
        assert page.locator("#filter-status").inner_text() == "nothing matches"

        page.goto((site / "changes/rework-notifications.html").as_uri())
        assert page.locator(".redline .counts").first.inner_text() == "1 added, 1 modified, 1 removed, 1 renamed"
        ins = page.locator('[data-kind="added"] ins').first
        assert "underline" in ins.evaluate("e => getComputedStyle(e).textDecorationLine")
        page.emulate_media(color_scheme="dark")
        dark = ins.evaluate("e => getComputedStyle(e).color")
        page.emulate_media(color_scheme="dark", media="print")
        printed = ins.evaluate("e => getComputedStyle(e).color")
        page.emulate_media(color_scheme="light", media="screen")
        assert printed == ins.evaluate("e => getComputedStyle(e).color") != dark

        headings = "main h1, main h2, main h3, main h4, main h5, main h6"
        levels = page.evaluate(f"() => Array.from(document.querySelectorAll('{headings}'))"
                               ".map(h => Number(h.tagName[1]))")
        assert levels[0] == 1
        assert all(b <= a + 1 for a, b in itertools.pairwise(levels)), levels
    assert errors == []

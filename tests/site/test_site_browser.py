"""A real browser (Debian's chromium, driven by Playwright) reads the site from disk."""

from __future__ import annotations

import os
from pathlib import Path

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


def test_index_to_change_page_shows_the_redline(repo: Repo, tmp_path: Path) -> None:
    _require_chromium()
    from playwright.sync_api import sync_playwright

    site = repo.build()
    errors: list[str] = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=ARGS, headless=True)
        try:
            page = browser.new_page(viewport={"width": 1200, "height": 900})
            page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
            page.on("pageerror", lambda exc: errors.append(str(exc)))
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
        finally:
            browser.close()
    assert errors == []

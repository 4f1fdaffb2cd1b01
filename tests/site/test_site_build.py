"""The built HTML: links resolve, anchors exist, redlines mark every delta kind, history is right."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from site_support import SCRIPT, Repo, broken_links, read_page
from specledger.markdown import parse
from specledger.parse.blocks import split_requirements
from specledger.site.markup import slug


def _block(page: str, kind: str) -> list[str]:
    """The inner HTML of each redline block of ``kind`` (the blocks hold no nested div)."""
    return re.findall(rf'<div class="block block-{kind}"[^>]*data-kind="{kind}">(.*?)</div>', page, re.S)


def test_every_internal_link_and_anchor_resolves(repo: Repo) -> None:
    site = repo.build()
    pages = sorted(p.relative_to(site).as_posix() for p in site.rglob("*.html"))
    assert {"index.html", "changelog.html", "specs/notifications.html", "specs/billing.html",
            "changes/rework-notifications.html", "changes/add-webhooks.html", "changes/bad-rename.html",
            "archive/2026-01-10-add-notifications.html", "archive/2026-02-20-tune-notifications.html"} <= set(pages)
    assert broken_links(site) == []
    # links were actually checked: the index reaches every page
    index = read_page(site / "index.html")
    assert len(index.links) >= len(pages)


def test_every_requirement_has_its_anchor(repo: Repo) -> None:
    site = repo.build()
    for spec in ("notifications", "billing"):
        text = (repo.root / f"openspec/specs/{spec}/spec.md").read_text(encoding="utf-8")
        names = [b.name for b in split_requirements(parse(text)).blocks]
        page = read_page(site / f"specs/{spec}.html")
        assert names, spec
        for name in names:
            assert f"r-{slug(name)}" in page.ids, (spec, name)
    assert "r-send-sms" in read_page(site / "specs/notifications.html").ids


def test_redline_marks_each_delta_kind(repo: Repo) -> None:
    site = repo.build()
    page = (site / "changes/rework-notifications.html").read_text(encoding="utf-8")
    added, modified = _block(page, "added"), _block(page, "modified")
    removed, renamed = _block(page, "removed"), _block(page, "renamed")
    assert len(added) == len(modified) == len(removed) == len(renamed) == 1
    assert "<ins>### Requirement: Push notifications</ins>" in added[0] and "<del>" not in added[0]
    assert "<del>### Requirement: Old channel</del>" in removed[0] and "<ins>" not in removed[0]
    assert "<del>Send SMS</del><ins>Send text message</ins>" in renamed[0]
    # word-level marks inside the modified requirement, not the whole block replaced
    assert "<del>an</del><ins>one</ins>" in modified[0]
    assert re.search(r"<ins> ?batch ?</ins>", modified[0])
    assert "The system SHALL send " in modified[0]
    # the unchanged requirements are there, folded
    assert page.count('data-kind="unchanged"') == 2
    # a new capability's redline is one big insertion, Purpose included
    created = (site / "changes/add-webhooks.html").read_text(encoding="utf-8")
    assert re.search(r"<ins># webhooks Specification\s+## Purpose\s+Integrators receive events", created)
    assert _block(created, "added")


def test_refused_change_shows_why_instead_of_a_redline(repo: Repo) -> None:
    site = repo.build()
    page = (site / "changes/bad-rename.html").read_text(encoding="utf-8")
    assert "Archive would refuse this change" in page
    assert "Yearly invoice" in page
    assert "archive-would-refuse" in page  # the validator's finding, on the page
    index = (site / "index.html").read_text(encoding="utf-8")
    assert re.search(r'bad-rename</a>.*?status-error', index, re.S)


def _history(page: str, anchor: str) -> list[tuple[str, str, str]]:
    article = re.search(rf'<article class="requirement" id="{anchor}">(.*?)</article>', page, re.S)
    assert article, anchor
    return re.findall(r'<li><span class="kind kind-\w+">(\w+)</span> ([\d-]+|undated) by <a href="[^"]+">([^<]+)</a>',
                      article.group(1))


def test_history_entries_match_the_archive(repo: Repo) -> None:
    site = repo.build()
    page = (site / "specs/notifications.html").read_text(encoding="utf-8")
    one, two = "2026-01-10-add-notifications", "2026-02-20-tune-notifications"
    assert _history(page, "r-send-email") == [("ADDED", "2026-01-10", one)]
    assert _history(page, "r-send-sms") == [("ADDED", "2026-01-10", one), ("MODIFIED", "2026-02-20", two)]
    assert _history(page, "r-do-not-disturb") == [("ADDED", "2026-01-10", one), ("RENAMED", "2026-02-20", two)]
    assert "from \u201cQuiet hours\u201d" in page
    assert _history(page, "r-digest") == []
    removed = page[page.index('id="removed"'):]
    assert "Legacy fax" in removed and f">{two}</a>" in removed
    # open changes that would touch a requirement are flagged on it
    sms = re.search(r'id="r-send-sms">(.*?)</article>', page, re.S)
    assert sms and "RENAMED</span> by open change" in sms.group(1) and "rework-notifications" in sms.group(1)
    # the archived change's page marks the MODIFIED text against what the archive held before
    archived = (site / f"archive/{two}.html").read_text(encoding="utf-8")
    assert re.search(r"an SMS ?<ins> ?within one minute ?</ins> ?when", archived)


def test_changelog_markdown_lists_the_archive(repo: Repo) -> None:
    result = repo.run("docs", "changelog")
    assert result.exit_code == 0, result.stderr
    text = result.stdout
    assert text.index("## 2026-02-20: Tune notifications") < text.index("## 2026-01-10: Add notifications")
    assert ("- **notifications**: modified \u201cSend SMS\u201d; "
            "renamed \u201cQuiet hours \u2192 Do not disturb\u201d; removed \u201cLegacy fax\u201d") in text
    assert "SMS must be fast" in text


def test_user_html_is_escaped_never_run(repo: Repo) -> None:
    site = repo.build()
    spec_page = (site / "specs/notifications.html").read_text(encoding="utf-8")
    assert "&lt;script&gt;window.__pwned = 1;" in spec_page
    assert SCRIPT not in spec_page
    change_page = (site / "changes/rework-notifications.html").read_text(encoding="utf-8")
    assert "&lt;img src=x onerror=" in change_page and "<img" not in change_page
    for path in site.rglob("*.html"):
        scripts = read_page(path).scripts
        assert scripts == (1 if path.name == "index.html" and path.parent == site else 0), path


def test_same_input_same_bytes(repo: Repo) -> None:
    first = repo.build("--out", "site-a")
    second = repo.build("--out", "site-b")

    def files(folder: Path) -> dict[str, bytes]:
        return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}

    assert files(first) == files(second)
    again = repo.run("docs", "build", "--out", "site-a")
    assert "0 written" in again.stderr


def test_links_hold_for_nested_specs_and_awkward_names(repo: Repo) -> None:
    weird = "fix #12 at 100% ?"
    nested = repo.root / "openspec/specs/platform/auth/spec.md"
    nested.parent.mkdir(parents=True)
    nested.write_text("# auth\n\n## Purpose\nSign-in for every account, with a second factor when asked.\n\n"
                      "## Requirements\n\n### Requirement: Sign in\nThe system SHALL sign users in.\n\n"
                      "#### Scenario: ok\n- **WHEN** valid\n- **THEN** in\n", encoding="utf-8")
    change = repo.root / "openspec/changes" / weird
    (change / "specs/platform/auth").mkdir(parents=True)
    (change / "proposal.md").write_text("# Change: weird\n\n## Why\nA name with characters a URL must escape, "
                                        "to prove links survive it.\n\n## What Changes\n- x\n", encoding="utf-8")
    (change / "specs/platform/auth/spec.md").write_text(
        "## MODIFIED Requirements\n\n### Requirement: Sign in\nThe system SHALL sign users in quickly.\n\n"
        "#### Scenario: ok\n- **WHEN** valid\n- **THEN** in\n", encoding="utf-8")
    site = repo.build()
    assert (site / "specs/platform/auth.html").is_file()
    assert (site / f"changes/{weird}.html").is_file()
    assert broken_links(site) == []
    index = (site / "index.html").read_text(encoding="utf-8")
    assert 'href="changes/fix%20%2312%20at%20100%25%20%3F.html"' in index


def test_forked_workers_build_the_same_bytes(repo: Repo, monkeypatch: pytest.MonkeyPatch) -> None:
    """Validation, plans and pages spread over worker processes give the site one process gives."""

    def files(folder: Path) -> dict[str, bytes]:
        return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}

    monkeypatch.setenv("SPECLEDGER_JOBS", "1")
    serial = repo.build("--out", "site-serial")
    monkeypatch.setenv("SPECLEDGER_JOBS", "3")  # forced, although the repository is small
    parallel = repo.build("--out", "site-parallel")
    assert files(serial) == files(parallel)
    assert len(files(parallel)) > 5


OVERLAPPING = "\n".join([
    "## MODIFIED Requirements", "",
    "### Requirement: Monthly invoice", "The system SHALL issue one invoice per month, on its first day.", "",
    "#### Scenario: Monthly invoice works", "- **WHEN** it is used", "- **THEN** it behaves", "",
])


@pytest.mark.parametrize("jobs", ["1", "3"])
def test_a_change_page_shows_the_findings_found_after_it_was_rendered(
        repo: Repo, monkeypatch: pytest.MonkeyPatch, jobs: str) -> None:
    """A change page is rendered where the change is validated, before the overlap check across
    all changes runs; the warnings that check adds, and the status they change, are on the page."""
    for name in ("invoice-day", "invoice-time"):
        folder = repo.root / "openspec/changes" / name
        (folder / "specs/billing").mkdir(parents=True)
        (folder / "proposal.md").write_text(f"# Change: {name}\n\n## Why\nCustomers ask on which day each invoice "
                                            "is issued, and our support team cannot tell them.\n\n"
                                            "## What Changes\n- Dates.\n", encoding="utf-8")
        (folder / "specs/billing/spec.md").write_text(OVERLAPPING, encoding="utf-8")
    monkeypatch.setenv("SPECLEDGER_JOBS", jobs)
    site = repo.build("--out", f"site-{jobs}")
    for name, other in (("invoice-day", "invoice-time"), ("invoice-time", "invoice-day")):
        page = (site / f"changes/{name}.html").read_text(encoding="utf-8")
        findings = page.split('<section id="findings">')[1].split("</section>")[0]
        assert "change-overlap" in findings and other in findings, name
        # alone, each change is valid without a warning: the status came with the overlap check
        assert '<span class="status status-warning">valid, 1 warning</span>' in page
        assert "<!--specledger-" not in page  # every slot filled
    index = (site / "index.html").read_text(encoding="utf-8")
    assert index.count("valid, 1 warning") >= 2
    for page in site.rglob("*.html"):
        assert "<!--specledger-" not in page.read_text(encoding="utf-8"), page

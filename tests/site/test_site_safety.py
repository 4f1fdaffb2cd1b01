"""Where the site may be written, bad input, and `spec show --diff`."""

from __future__ import annotations

import errno
import os
import pty
import subprocess
import sys
from pathlib import Path

import pytest
from site_support import Repo, broken_links, read_page
from specledger.site import output
from specledger.site.output import MANIFEST


def _tree(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


@pytest.mark.parametrize("where", ["outside", "root", "specs", "changes", "parent-of-specs"])
def test_out_folder_must_be_its_own_place_in_the_workspace(repo: Repo, tmp_path: Path, where: str) -> None:
    out = {"outside": str(tmp_path / "elsewhere"), "root": ".", "specs": "openspec/specs",
           "changes": "openspec/changes/site", "parent-of-specs": "openspec"}[where]
    before = _tree(repo.root)
    result = repo.run("docs", "build", "--out", out)
    assert result.exit_code == 2, result.stderr
    assert "spec: error:" in result.stderr and "Traceback" not in result.stderr
    assert _tree(repo.root) == before
    assert not (tmp_path / "elsewhere").exists()


def test_symlink_out_of_the_workspace_is_refused(repo: Repo, tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (repo.root / "site").symlink_to(outside)
    result = repo.run("docs", "build")
    assert result.exit_code == 2
    assert "outside the workspace" in result.stderr
    assert list(outside.iterdir()) == []


def test_symlinked_page_folder_inside_the_site_is_refused(repo: Repo, tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (repo.root / "site").mkdir()
    (repo.root / "site" / "specs").symlink_to(outside)
    result = repo.run("docs", "build")
    assert result.exit_code == 2
    assert list(outside.iterdir()) == []
    assert not (repo.root / "site" / "index.html").exists()  # refused before the first write


def test_rebuild_removes_only_pages_it_wrote(repo: Repo) -> None:
    site = repo.build()
    (site / "notes.txt").write_text("mine", encoding="utf-8")
    assert (site / "changes/add-webhooks.html").is_file()
    import shutil

    shutil.rmtree(repo.root / "openspec/changes/add-webhooks")
    result = repo.run("docs", "build")
    assert result.exit_code == 0
    assert "1 removed" in result.stderr
    assert not (site / "changes/add-webhooks.html").exists()
    assert (site / "notes.txt").read_text(encoding="utf-8") == "mine"
    assert "changes/add-webhooks.html" not in (site / MANIFEST).read_text(encoding="utf-8")


def test_first_build_appears_whole_and_rebuilds_keep_what_is_not_theirs(repo: Repo) -> None:
    old_umask = os.umask(0o077)  # pages are world-readable whatever the umask
    try:
        site = repo.build("--out", "public/review")
    finally:
        os.umask(old_umask)
    assert sorted(p.name for p in (repo.root / "public").iterdir()) == ["review"]  # no temporary folder left
    pages = [p for p in site.rglob("*") if p.is_file()]
    assert len(pages) > 5 and {p.stat().st_mode & 0o777 for p in pages} == {0o644}
    index = site / "index.html"
    index.chmod(0o600)
    (repo.root / "openspec/changes/add-webhooks/proposal.md").write_text(
        "## Why\nWebhooks, now with a reason long enough to pass.\n\n## What Changes\n- more\n", encoding="utf-8")
    result = repo.run("docs", "build", "--out", "public/review")
    assert result.exit_code == 0 and "0 removed" in result.stderr
    assert 0 < int(result.stderr.split("spec: ")[1].split()[0]) < len(pages)  # only the pages that changed
    assert index.stat().st_mode & 0o777 == 0o600
    assert not [p for p in site.rglob("*.tmp")]


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_a_first_build_that_cannot_write_a_page_leaves_nothing(repo: Repo, monkeypatch: pytest.MonkeyPatch,
                                                               jobs: str) -> None:
    """Pages are written as they are rendered (as each worker's slice arrives): a failure still leaves no folder."""
    write_new = output._write_new

    def full_disk(path: Path, data: bytes) -> None:
        if path.name == "index.html":
            raise OSError(errno.ENOSPC, "No space left on device", str(path))
        write_new(path, data)

    monkeypatch.setattr(output, "_write_new", full_disk)
    monkeypatch.setenv("SPECLEDGER_JOBS", jobs)
    result = repo.run("docs", "build", "--out", "public/review")
    assert result.exit_code == 2  # the environment's failure, not the repository's
    assert "cannot write the site: No space left on device" in result.stderr
    assert list((repo.root / "public").iterdir()) == []  # neither the site nor its staging folder


def test_bad_input_becomes_findings_on_the_pages(repo: Repo) -> None:
    root = repo.root
    (root / "openspec/specs/broken").mkdir()
    (root / "openspec/specs/broken/spec.md").write_bytes(b"# broken\n\xff\xfe not utf-8\n")
    (root / "openspec/changes/odd").mkdir()
    (root / "openspec/changes/odd/proposal.md").write_bytes(b"\x00\x01binary")
    (root / "openspec/changes/odd/specs/billing").mkdir(parents=True)
    (root / "openspec/changes/odd/specs/billing/spec.md").write_text(
        "## RENAMED Requirements\n- FROM: `### Requirement: Monthly invoice`\n", encoding="utf-8")
    (root / "openspec/changes/no-spec-folder").mkdir()
    site = repo.build()
    broken = (site / "specs/broken.html").read_text(encoding="utf-8")
    assert "file-unreadable" in broken and "not valid UTF-8" in broken
    odd = (site / "changes/odd.html").read_text(encoding="utf-8")
    assert "binary file" in odd and "Archive would refuse this change" in odd
    assert "proposal-missing" in (site / "changes/no-spec-folder.html").read_text(encoding="utf-8")


def _odd_folder(parent: Path, name: bytes) -> Path:
    """``parent``/``name``, created, for a name that is not valid UTF-8 (Linux takes any bytes)."""
    folder = parent / os.fsdecode(name)
    try:
        folder.mkdir(parents=True)
    except (OSError, UnicodeEncodeError) as err:  # a file system that wants UTF-8 names (APFS)
        pytest.skip(f"this file system refuses a name that is not UTF-8: {err}")
    return folder


WHY = "## Why\nA folder name that is not UTF-8 must not bring the site down.\n\n## What Changes\n- x\n"
MODIFY_INVOICE = ("## MODIFIED Requirements\n\n### Requirement: Monthly invoice\n"
                  "The system SHALL issue one invoice per month, on its first day.\n\n"
                  "#### Scenario: Monthly invoice works\n- **WHEN** it is used\n- **THEN** it behaves\n")


@pytest.mark.parametrize("jobs", ["1", "3"])
def test_folder_names_that_are_not_utf8_are_shown_escaped_and_linked(
        repo: Repo, monkeypatch: pytest.MonkeyPatch, jobs: str) -> None:
    """A change, spec and archived change whose folder names hold the byte 0xff: the site builds,
    shows each name as `spec list` does (``ch-\\udcff``), writes its page under that name (valid
    UTF-8) and every link reaches it. A folder literally called ``ch-\\udcff`` keeps a page of its own."""
    changes = repo.root / "openspec/changes"
    billing = (repo.root / "openspec/specs/billing/spec.md").read_text(encoding="utf-8")
    (_odd_folder(repo.root / "openspec/specs", b"cap-\xff") / "spec.md").write_text(
        billing.replace("# billing", "# odd"), encoding="utf-8")
    for folder in (_odd_folder(changes, b"ch-\xff"), _odd_folder(changes, b"ch-\\udcff")):
        (folder / "proposal.md").write_text(WHY, encoding="utf-8")
        (folder / "specs/billing").mkdir(parents=True)
        (folder / "specs/billing/spec.md").write_text(MODIFY_INVOICE, encoding="utf-8")
    archived = _odd_folder(changes / "archive", b"2026-03-01-ch-\xff")
    (archived / "proposal.md").write_text(WHY, encoding="utf-8")
    (_odd_folder(archived / "specs", b"cap-\xff") / "spec.md").write_text(MODIFY_INVOICE, encoding="utf-8")

    monkeypatch.setenv("SPECLEDGER_JOBS", jobs)
    # (the real command, not CliRunner: its capture does not take the CLI's backslash escapes)
    listed = subprocess.run([sys.executable, "-m", "specledger", "list"], cwd=repo.root, capture_output=True,
                            check=True)
    assert b"  ch-\\udcff " in listed.stdout
    site = repo.build("--out", f"site-{jobs}")
    names = {p.relative_to(site).as_posix() for p in site.rglob("*.html")}
    for name in names:
        name.encode("utf-8")  # no page is named by a lone surrogate: every name is valid UTF-8
    odd = {"changes/ch-\\udcff.html", "specs/cap-\\udcff.html", "archive/2026-03-01-ch-\\udcff.html"}
    assert odd | {"changes/ch-\\\\udcff.html"} <= names  # the literal name's backslash is doubled
    assert broken_links(site) == []
    index = read_page(site / "index.html")
    assert {"changes/ch-%5Cudcff.html", "specs/cap-%5Cudcff.html", "archive/2026-03-01-ch-%5Cudcff.html",
            "changes/ch-%5C%5Cudcff.html"} <= set(index.links)  # so broken_links followed them
    text = (site / "index.html").read_text(encoding="utf-8")
    assert ">ch-\\udcff</a>" in text and ">cap-\\udcff</a>" in text
    page = (site / "changes/ch-\\udcff.html").read_text(encoding="utf-8")
    assert "<code>openspec/changes/ch-\\udcff</code>" in page
    history = (site / "specs/cap-\\udcff.html").read_text(encoding="utf-8")
    assert 'href="../archive/2026-03-01-ch-%5Cudcff.html">2026-03-01-ch-\\udcff</a>' in history
    assert "2026-03-01-ch-\\udcff" in (site / "changelog.html").read_text(encoding="utf-8")


def test_show_diff_is_the_plan_as_unified_diffs_and_writes_nothing(repo: Repo) -> None:
    before = _tree(repo.root)
    result = repo.run("show", "rework-notifications", "--diff")
    assert result.exit_code == 0, result.stderr
    out = result.stdout
    assert out.startswith("--- a/openspec/specs/notifications/spec.md\n+++ b/openspec/specs/notifications/spec.md\n")
    assert "-### Requirement: Old channel\n" in out
    assert "+### Requirement: Push notifications\n" in out
    assert "-### Requirement: Send SMS\n+### Requirement: Send text message\n" in out
    assert "\x1b[" not in out
    assert _tree(repo.root) == before
    created = repo.run("show", "add-webhooks", "--diff")
    assert created.stdout.startswith("--- /dev/null\n+++ b/openspec/specs/webhooks/spec.md\n")
    refused = repo.run("show", "bad-rename", "--diff")
    assert refused.exit_code == 1 and "Yearly invoice" in refused.stderr
    wrong = repo.run("show", "billing", "--diff")
    assert wrong.exit_code == 2


def _on_a_terminal(args: list[str], cwd: Path, env: dict[str, str]) -> str:
    """Run the CLI with a pseudo-terminal as stdout and return what it printed."""
    main, child = pty.openpty()
    proc = subprocess.Popen([sys.executable, "-m", "specledger", *args], cwd=cwd, env=env, stdout=child,
                            stderr=subprocess.DEVNULL)
    os.close(child)
    chunks = []
    while True:
        try:
            data = os.read(main, 65536)
        except OSError:
            break
        if not data:
            break
        chunks.append(data)
    proc.wait(timeout=60)
    os.close(main)
    return b"".join(chunks).decode("utf-8", "replace")


def test_show_diff_colours_only_a_terminal_without_no_color(repo: Repo) -> None:
    env = {k: v for k, v in os.environ.items() if k != "NO_COLOR"}
    coloured = _on_a_terminal(["show", "rework-notifications", "--diff"], repo.root, env)
    assert "\x1b[32m+### Requirement: Push notifications" in coloured
    assert "\x1b[31m-### Requirement: Old channel" in coloured
    plain = _on_a_terminal(["show", "rework-notifications", "--diff"], repo.root, {**env, "NO_COLOR": "1"})
    assert "+### Requirement: Push notifications" in plain and "\x1b[" not in plain
    flag = _on_a_terminal(["--no-color", "show", "rework-notifications", "--diff"], repo.root, env)
    assert "\x1b[" not in flag


def test_show_history_reads_the_shared_history(repo: Repo) -> None:
    result = repo.run("show", "notifications", "--history")
    assert result.exit_code == 0, result.stderr
    lines = result.stdout.splitlines()
    at = lines.index("Do not disturb")
    assert lines[at + 1].split() == ["2026-01-10", "ADDED", "2026-01-10-add-notifications"]
    assert lines[at + 2].split()[:3] == ["2026-02-20", "RENAMED", "2026-02-20-tune-notifications"]


SECRET = "TOPSECRET-4242"


def _link_outside(link: Path, target: Path, text: str) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(text, encoding="utf-8")
    link.parent.mkdir(parents=True, exist_ok=True)
    if link.exists():
        link.unlink()
    link.symlink_to(target)


@pytest.mark.parametrize("jobs", ["1", "3"])
def test_no_page_shows_a_file_that_links_out_of_the_workspace(
        repo: Repo, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, jobs: str) -> None:
    """A repository may link any of its files to one elsewhere on the machine; the site, built to
    be published, shows none of their text: not in a change page, a spec page, a redline, the
    index, the changelog or `spec docs changelog`. A link that stays inside is shown as before."""
    elsewhere = tmp_path / "home"
    changes = repo.root / "openspec/changes"
    _link_outside(changes / "rework-notifications/design.md", elsewhere / "design.md",
                  f"## Context\nThe key is {SECRET}.\n")
    _link_outside(changes / "add-webhooks/specs/webhooks/spec.md", elsewhere / "delta.md",
                  "## Purpose\nHooks.\n\n## ADDED Requirements\n\n"
                  f"### Requirement: Leak {SECRET}\nThe system SHALL leak.\n\n"
                  "#### Scenario: leaks\n- **WHEN** it is used\n- **THEN** it behaves\n")
    billing = (repo.root / "openspec/specs/billing/spec.md").read_text(encoding="utf-8")
    _link_outside(repo.root / "openspec/specs/billing/spec.md", elsewhere / "billing.md",
                  billing.replace("issue one invoice per month", f"issue one invoice per month to {SECRET}"))
    archived = changes / "archive/2026-02-20-tune-notifications"
    _link_outside(archived / "proposal.md", elsewhere / "proposal.md",
                  f"# Change: Tune {SECRET}\n\n## Why\nBecause {SECRET} said so, and for a long enough reason.\n")
    # a link that stays inside the repository is the repository's own text
    (repo.root / "notes").mkdir()
    (repo.root / "notes/design.md").write_text("## Context\nShared design notes, kept inside.\n", encoding="utf-8")
    (changes / "add-webhooks/design.md").symlink_to(repo.root / "notes/design.md")

    monkeypatch.setenv("SPECLEDGER_JOBS", jobs)
    site = repo.build("--out", f"site-{jobs}")
    assert broken_links(site) == []  # no link to a requirement of a spec whose text is not shown
    for page in site.rglob("*"):
        if page.is_file():
            assert SECRET not in page.read_text(encoding="utf-8"), page
    rework = (site / "changes/rework-notifications.html").read_text(encoding="utf-8")
    assert "Not shown:</strong> <code>design.md</code>" in rework
    webhooks = (site / "changes/add-webhooks.html").read_text(encoding="utf-8")
    assert "openspec/changes/add-webhooks/specs/webhooks/spec.md" in webhooks.split("Not shown:")[1]
    assert "Shared design notes, kept inside." in webhooks
    spec = (site / "specs/billing.html").read_text(encoding="utf-8")
    assert "Not shown:</strong> <code>openspec/specs/billing/spec.md</code>" in spec
    assert "2026-02-20-tune-notifications" in (site / "changelog.html").read_text(encoding="utf-8")
    notes = repo.run("docs", "changelog")
    assert notes.exit_code == 0 and SECRET not in notes.stdout
    assert "2026-02-20-tune-notifications" in notes.stdout

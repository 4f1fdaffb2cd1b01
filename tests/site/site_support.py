"""A small OpenSpec repository with a history, open changes of every delta kind, and hostile text."""

from __future__ import annotations

import html.parser
import posixpath
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote, urlsplit

from click.testing import CliRunner, Result
from specledger.cli.main import cli


def requirement(name: str, body: str, scenarios: tuple[str, ...] = ("works",)) -> str:
    parts = [f"### Requirement: {name}", body, ""]
    for scenario in scenarios:
        parts += [f"#### Scenario: {name} {scenario}", "- **WHEN** it is used", "- **THEN** it behaves", ""]
    return "\n".join(parts)


SMS_V1 = "The system SHALL send an SMS when the user opted in."
SMS_V2 = "The system SHALL send an SMS within one minute when the user opted in."
EMAIL_NOW = "The system SHALL send an email for each event that the user subscribed to."
EMAIL_NEXT = "The system SHALL send one email per event batch that the user subscribed to."
SCRIPT = '<script>window.__pwned = 1; alert("owned")</script>'

CURRENT_SPEC = "\n".join([
    "# notifications Specification",
    "",
    "## Purpose",
    "Users are told about events that matter to them, by email or SMS, as they choose.",
    "",
    "## Requirements",
    "",
    requirement("Send email", EMAIL_NOW),
    requirement("Send SMS", SMS_V2),
    requirement("Old channel", "The system SHALL keep the pager gateway for old accounts."),
    requirement("Do not disturb", "The system SHALL hold notifications during the user's quiet hours."),
    requirement("Digest", f"The system SHALL send a daily digest. Raw HTML stays text: {SCRIPT}"),
])

BILLING_SPEC = "\n".join([
    "# billing Specification", "", "## Purpose", "Invoices are produced once a month for every account.", "",
    "## Requirements", "", requirement("Monthly invoice", "The system SHALL issue one invoice per month."),
])

ARCHIVE_ONE = "\n".join([
    "## ADDED Requirements", "",
    requirement("Send email", EMAIL_NOW),
    requirement("Send SMS", SMS_V1),
    requirement("Old channel", "The system SHALL keep the pager gateway for old accounts."),
    requirement("Quiet hours", "The system SHALL hold notifications during the user's quiet hours."),
    requirement("Legacy fax", "The system SHALL fax a copy to accounts that ask for it."),
])

ARCHIVE_TWO = "\n".join([
    "## RENAMED Requirements", "- FROM: `### Requirement: Quiet hours`", "- TO: `### Requirement: Do not disturb`", "",
    "## REMOVED Requirements", "### Requirement: Legacy fax", "",
    "## MODIFIED Requirements", "", requirement("Send SMS", SMS_V2),
])

OPEN_DELTA = "\n".join([
    "## ADDED Requirements", "",
    requirement("Push notifications", "The system SHALL push a notification to each registered device."),
    "## MODIFIED Requirements", "", requirement("Send email", EMAIL_NEXT),
    "## REMOVED Requirements", "### Requirement: Old channel", "",
    "## RENAMED Requirements", "- FROM: `### Requirement: Send SMS`", "- TO: `### Requirement: Send text message`", "",
])

NEW_CAPABILITY_DELTA = "\n".join([
    "## Purpose", "Integrators receive events as signed HTTP requests.", "",
    "## ADDED Requirements", "", requirement("Webhook delivery", "The system SHALL POST each event to every webhook."),
])

PROPOSAL = """\
# Change: Rework notifications

## Why
Users asked for push notifications and batching; the pager gateway has had no traffic for a year.

## What Changes
- Add push, batch email, drop the pager, rename SMS to text message.
- Raw HTML in a proposal is shown, not run: <img src=x onerror="window.__pwned=2">
"""

FILES: dict[str, str] = {
    "openspec/specs/notifications/spec.md": CURRENT_SPEC,
    "openspec/specs/billing/spec.md": BILLING_SPEC,
    "openspec/changes/archive/2026-01-10-add-notifications/proposal.md":
        "# Change: Add notifications\n\n## Why\nPeople miss events that matter to them; tell them by email or SMS.\n\n"
        "## What Changes\n- Email and SMS.\n",
    "openspec/changes/archive/2026-01-10-add-notifications/specs/notifications/spec.md": ARCHIVE_ONE,
    "openspec/changes/archive/2026-02-20-tune-notifications/proposal.md":
        "# Change: Tune notifications\n\n## Why\n"
        "SMS must be fast, the fax is gone, and quiet hours get a clearer name.\n\n## What Changes\n- Tune.\n",
    "openspec/changes/archive/2026-02-20-tune-notifications/specs/notifications/spec.md": ARCHIVE_TWO,
    "openspec/changes/rework-notifications/proposal.md": PROPOSAL,
    "openspec/changes/rework-notifications/tasks.md":
        "## 1. Build\n- [x] 1.1 Push\n- [x] 1.2 Batch\n- [ ] 1.3 Drop the pager\n",
    "openspec/changes/rework-notifications/design.md": "## Context\nBatching happens in the queue.\n",
    "openspec/changes/rework-notifications/specs/notifications/spec.md": OPEN_DELTA,
    "openspec/changes/add-webhooks/proposal.md":
        "# Change: Add webhooks\n\n## Why\nIntegrators need machine-readable events without polling our API.\n\n"
        "## What Changes\n- Webhooks.\n",
    "openspec/changes/add-webhooks/specs/webhooks/spec.md": NEW_CAPABILITY_DELTA,
    "openspec/changes/bad-rename/proposal.md":
        "# Change: Bad rename\n\n## Why\nThis change renames a requirement that does not exist, on purpose.\n\n"
        "## What Changes\n- Nothing real.\n",
    "openspec/changes/bad-rename/specs/billing/spec.md":
        "## RENAMED Requirements\n- FROM: `### Requirement: Yearly invoice`\n- TO: `### Requirement: Annual invoice`\n",
}


def make_repo(root: Path, files: dict[str, str] | None = None) -> Path:
    for rel, text in (files or FILES).items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root


@dataclass
class Page:
    ids: set[str] = field(default_factory=set)
    links: list[str] = field(default_factory=list)
    scripts: int = 0


class _Reader(html.parser.HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.page = Page()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if values.get("id"):
            self.page.ids.add(str(values["id"]))
        for attr in ("href", "src"):
            if values.get(attr) is not None:
                self.page.links.append(str(values[attr]))
        if tag == "script":
            self.page.scripts += 1


def read_page(path: Path) -> Page:
    reader = _Reader()
    reader.feed(path.read_text(encoding="utf-8"))
    reader.close()
    return reader.page


def broken_links(site: Path) -> list[str]:
    """Every internal link or fragment in the built site that points nowhere."""
    pages = {p.relative_to(site).as_posix(): read_page(p) for p in site.rglob("*.html")}
    problems = []
    for rel, page in sorted(pages.items()):
        for link in page.links:
            parts = urlsplit(link)
            if parts.scheme or parts.netloc:
                problems.append(f"{rel}: external link {link}")
                continue
            target = rel if not parts.path else posixpath.normpath(
                posixpath.join(posixpath.dirname(rel), unquote(parts.path)))
            if not (site / target).is_file():
                problems.append(f"{rel}: {link} -> missing file {target}")
                continue
            if parts.fragment:
                fragment = unquote(parts.fragment)
                if target not in pages or fragment not in pages[target].ids:
                    problems.append(f"{rel}: {link} -> no id {fragment!r} in {target}")
    return problems


@dataclass
class Repo:
    root: Path
    runner: CliRunner

    def run(self, *args: str) -> Result:
        return self.runner.invoke(cli, list(args), catch_exceptions=False)

    def build(self, *args: str) -> Path:
        result = self.run("docs", "build", *args)
        assert result.exit_code == 0, result.stderr
        return Path(result.stdout.strip()).parent

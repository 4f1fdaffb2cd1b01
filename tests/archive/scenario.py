"""A small OpenSpec tree and a hand-built archive plan over it, shared by the archive tests.

The plan exercises every kind of step apply makes: an update (CRLF kept), a new capability in a
new folder, a new nested capability, a retired capability whose folder is pruned, and the move
of the change folder into an archive folder that does not exist yet. It is built by hand so that
apply and the journal are tested independently of the merge.
"""

from __future__ import annotations

import os
from pathlib import Path

from specledger.archive.plan import ArchivePlan, SpecUpdate
from specledger.workspace import Workspace, find_workspace

CHANGE = "add-webhooks"
ARCHIVED_AS = "2025-01-02-add-webhooks"

OLD_NOTIFY = (
    "# notifications Specification\r\n\r\n## Purpose\r\nHow users hear about events.\r\n\r\n"
    "## Requirements\r\n\r\n### Requirement: Email\r\nThe system SHALL send e-mail.\r\n\r\n"
    "#### Scenario: Sent\r\n- **WHEN** an event\r\n- **THEN** an e-mail\r\n"
)
NEW_NOTIFY = OLD_NOTIFY + (
    "\r\n### Requirement: Webhook\r\nThe system SHALL POST events.\r\n\r\n"
    "#### Scenario: Posted\r\n- **WHEN** an event\r\n- **THEN** a POST\r\n"
)
OLD_FAX = (
    "# fax Specification\n\n## Purpose\nFaxes.\n\n"
    "## Requirements\n\n### Requirement: Fax\nIt SHALL fax.\n"
)
NEW_HOOKS = "# webhooks Specification\n\n## Purpose\nWebhook delivery.\n\n## Requirements\n"
NEW_INVOICES = "# billing/invoices Specification\n\n## Purpose\nInvoices.\n\n## Requirements\n"

FILES: dict[str, bytes] = {
    "openspec/specs/notifications/spec.md": OLD_NOTIFY.encode(),
    "openspec/specs/fax/spec.md": OLD_FAX.encode(),
    "openspec/specs/billing/README.md": b"billing notes\n",
    f"openspec/changes/{CHANGE}/proposal.md": b"# Add webhooks\n\n## Why\nBecause.\n",
    f"openspec/changes/{CHANGE}/tasks.md": b"- [x] 1.1 Do it\n",
    f"openspec/changes/{CHANGE}/specs/webhooks/spec.md": b"## ADDED Requirements\n",
    "openspec/changes/other/proposal.md": b"# Other\n",
}


def make_tree(root: Path) -> Workspace:
    """Write the scenario's files under ``root`` and return its workspace."""
    for rel, data in FILES.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    return find_workspace(root)


def build_scenario_plan(ws: Workspace) -> ArchivePlan:
    """The hand-built plan for the scenario tree."""
    specs = ws.specs_dir
    return ArchivePlan(
        change=CHANGE,
        change_dir=ws.change_dir(CHANGE),
        archive_dir=ws.archive_dir / ARCHIVED_AS,
        specs=(
            SpecUpdate(
                "notifications",
                specs / "notifications/spec.md",
                "update",
                OLD_NOTIFY,
                NEW_NOTIFY,
                NEW_NOTIFY.encode(),
                added=1,
            ),
            SpecUpdate(
                "webhooks",
                specs / "webhooks/spec.md",
                "create",
                None,
                NEW_HOOKS,
                NEW_HOOKS.encode(),
                added=1,
            ),
            SpecUpdate(
                "billing/invoices",
                specs / "billing/invoices/spec.md",
                "create",
                None,
                NEW_INVOICES,
                NEW_INVOICES.encode(),
                added=1,
            ),
            SpecUpdate("fax", specs / "fax/spec.md", "delete", OLD_FAX, None, None, removed=1),
        ),
    )


CLI_CHANGE = "add-webhook-delivery"
WHY = "Customers want events pushed to their own systems instead of polling the API every minute."
CLI_FILES: dict[str, bytes] = {
    "openspec/specs/notifications/spec.md": (
        b"# notifications Specification\n\n## Purpose\n"
        b"Describes how the platform notifies users about account and billing events.\n\n"
        b"## Requirements\n\n### Requirement: Email Delivery\n"
        b"The system SHALL send an e-mail for every billing event.\n\n"
        b"#### Scenario: Invoice issued\n- **WHEN** an invoice is issued\n"
        b"- **THEN** an e-mail is sent\n"
    ),
    f"openspec/changes/{CLI_CHANGE}/proposal.md": (
        f"# Add webhook delivery\n\n## Why\n{WHY}\n\n## What Changes\n- Webhooks for events.\n"
    ).encode(),
    f"openspec/changes/{CLI_CHANGE}/tasks.md": (
        b"## 1. Build\n\n- [x] 1.1 Deliver webhooks\n- [ ] 1.2 Document\n"
    ),
    f"openspec/changes/{CLI_CHANGE}/specs/notifications/spec.md": (
        b"## ADDED Requirements\n\n### Requirement: Webhook Delivery\n"
        b"The system SHALL POST a JSON payload to each registered webhook.\n\n"
        b"#### Scenario: Event posted\n- **WHEN** a billing event occurs\n"
        b"- **THEN** each webhook gets a POST\n"
    ),
    f"openspec/changes/{CLI_CHANGE}/specs/webhooks/spec.md": (
        b"## Purpose\nLets customers register HTTPS endpoints that receive platform events.\n\n"
        b"## ADDED Requirements\n\n### Requirement: Registration\n"
        b"The system SHALL let a customer register an HTTPS endpoint.\n\n"
        b"#### Scenario: Registered\n- **WHEN** a customer submits an https URL\n"
        b"- **THEN** it is stored\n"
    ),
}


def make_cli_tree(root: Path) -> Workspace:
    """A tree whose change passes ``spec validate --strict``, for tests of the real command."""
    for rel, data in CLI_FILES.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    return find_workspace(root)


def snapshot(root: Path) -> dict[str, bytes | str]:
    """Every entry under ``root``: folders as ``"<dir>"``, links as their target, files as bytes."""
    out: dict[str, bytes | str] = {}
    for dirpath, dirnames, filenames in os.walk(root):
        for name in dirnames:
            full = Path(dirpath, name)
            out[full.relative_to(root).as_posix()] = (
                f"<link {os.readlink(full)}>" if full.is_symlink() else "<dir>"
            )
        for name in filenames:
            full = Path(dirpath, name)
            rel = full.relative_to(root).as_posix()
            out[rel] = f"<link {os.readlink(full)}>" if full.is_symlink() else full.read_bytes()
    return out


def describe_difference(got: dict[str, bytes | str], want: dict[str, bytes | str]) -> str:
    """A short human account of how two snapshots differ (for assertion messages)."""
    missing = sorted(set(want) - set(got))
    extra = sorted(set(got) - set(want))
    changed = sorted(k for k in set(got) & set(want) if got[k] != want[k])
    return f"missing {missing}, unexpected {extra}, changed {changed}"


if __name__ == "__main__":  # the fault-injection driver: apply the plan in a fresh process
    import sys

    from specledger.archive.apply import apply_plan
    from specledger.errors import SpecledgerError

    workspace = find_workspace(Path(sys.argv[1]))
    try:
        apply_plan(workspace, build_scenario_plan(workspace))
    except SpecledgerError as err:
        print(f"error: {err}", file=sys.stderr)
        sys.exit(2)
    print("archived")


GENERATE_CHANGE = "bigger-queue"
_SETTINGS = "### Requirement: Configuration through environment variables"


def make_generate_tree(root: Path) -> Workspace:
    """A pyproject workspace whose spec feeds a generated file, and a change that edits its table.

    Archiving it rewrites the spec and the generated TOML in one transaction.
    """
    from specledger.generate import generate

    repo = Path(__file__).resolve().parents[2]
    spec = (repo / "specs/error-tracking/spec.md").read_text(encoding="utf-8")
    (root / "specs/error-tracking").mkdir(parents=True)
    (root / "specs/error-tracking/spec.md").write_text(spec, encoding="utf-8")
    (root / "pyproject.toml").write_text(
        '[tool.specledger]\nspecs_dir = "specs"\nchanges_dir = "changes"\n\n'
        '[[tool.specledger.generate]]\nspec = "specs/error-tracking/spec.md"\n'
        'template = "runtime-config.toml.j2"\noutput = "config/error_tracking.toml"\n', encoding="utf-8")
    workspace = find_workspace(root)
    generate(workspace)
    start = spec.index(_SETTINGS)
    block = spec[start:spec.index("\n### Requirement:", start + 1)].strip() + "\n"
    block = block.replace("| `10000` | integer >= 100 |", "| `50000` | integer >= 100 |")
    change = root / "changes" / GENERATE_CHANGE
    (change / "specs/error-tracking").mkdir(parents=True)
    (change / "proposal.md").write_text(f"# Change: bigger queue\n\n## Why\n{WHY}\n\n## What Changes\n- More room.\n")
    (change / "tasks.md").write_text("- [x] 1.1 Raise the default\n")
    (change / "specs/error-tracking/spec.md").write_text(f"## MODIFIED Requirements\n\n{block}")
    return workspace

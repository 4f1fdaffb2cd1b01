from __future__ import annotations

import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest

GOOD_SPEC = """\
# notifications Specification

## Purpose
Users are told about events that matter to them, by email or SMS, as they choose.

## Requirements

### Requirement: Send email
The system SHALL send an email for each event.

#### Scenario: Event happens
- **WHEN** an event occurs
- **THEN** an email is sent
"""

GOOD_PROPOSAL = """\
# Change: Add webhooks

## Why
Integrators need machine-readable notifications without polling our API every minute.

## What Changes
- Add webhook delivery.
"""

GOOD_DELTA = """\
## ADDED Requirements

### Requirement: Webhook delivery
The system SHALL POST a JSON payload to each registered webhook.

#### Scenario: Webhook registered
- **WHEN** an event occurs
- **THEN** every webhook receives a POST
"""


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Callable[[dict[str, str | bytes]], Path]:
    """Lay out an OpenSpec repository from ``{relative path: content}`` and chdir into it."""

    def make(files: dict[str, str | bytes]) -> Path:
        root = tmp_path / "repo"
        (root / "openspec" / "specs").mkdir(parents=True, exist_ok=True)
        (root / "openspec" / "changes").mkdir(parents=True, exist_ok=True)
        for rel, content in files.items():
            path = root / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            if isinstance(content, bytes):
                path.write_bytes(content)
            else:
                path.write_text(textwrap.dedent(content), encoding="utf-8")
        monkeypatch.chdir(root)
        return root

    return make


@pytest.fixture
def good_files() -> dict[str, str | bytes]:
    return {
        "openspec/specs/notifications/spec.md": GOOD_SPEC,
        "openspec/changes/add-webhooks/proposal.md": GOOD_PROPOSAL,
        "openspec/changes/add-webhooks/tasks.md": "## 1. Build\n- [x] 1.1 Write it\n- [ ] 1.2 Test it\n",
        "openspec/changes/add-webhooks/specs/notifications/spec.md": GOOD_DELTA,
    }

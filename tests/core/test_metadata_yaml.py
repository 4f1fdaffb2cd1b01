"""`.openspec.yaml` is read as plain, bounded data: hostile YAML is a finding with a line, never a crash."""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from specledger.cli.main import cli
from specledger.parse.metadata import MAX_METADATA_BYTES, load_metadata
from specledger.parse.plain_yaml import MAX_ALIASES, MAX_DEPTH

Repo = Callable[[dict[str, str | bytes]], Path]
Files = Callable[[str], dict[str, str | bytes]]
META = "openspec/changes/add-webhooks/.openspec.yaml"

BOMB = (
    "schema: spec-driven\n"
    "a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n"
    "b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
    "c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]\n"
    "d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c]\n"
    "skip_specs: [*d, *d, *d, *d, *d, *d, *d, *d, *d]\n"
)

# (name, file content, the line the problem is on, a fragment of its message)
HOSTILE = [
    ("alias-bomb", BOMB, 4, "aliases"),  # the 17th alias is on line 4
    ("impossible-date", "schema: spec-driven\ncreated: 2026-13-45\n", 2, "'created' must be a real date"),
    ("february-30", "schema: spec-driven\n\ncreated: 2026-02-30\n", 3, "'created' must be a real date"),
    ("explicit-timestamp", "schema: spec-driven\ncreated: !!timestamp 2026-99-99\n", 2, "'created'"),
    ("deep-flow-list", "schema: spec-driven\nx: " + "[" * 5000 + "]" * 5000 + "\n", 2, "nested"),
    ("deep-flow-map", "schema: spec-driven\nx: " + "{a: " * 3000 + "1" + "}" * 3000 + "\n", 2, "nested"),
    ("deep-block", "schema: spec-driven\n" + "".join(" " * i + f"k{i}:\n" for i in range(60)), 17, "nested"),
    ("deep-dashes", "- " * 3000 + "x\n", 1, "nested"),
    ("huge-integer", "schema: spec-driven\nretire_capabilities: " + "9" * 5000 + "\n", 2, "cannot read this value"),
    ("explicit-int", "schema: spec-driven\nskip_specs: !!int 'abc'\n", 2, "cannot read this value"),
    ("bad-base64", "schema: spec-driven\nx: !!binary a\n", 2, "not valid YAML"),
    ("control-char", "schema: spec-driven\nx: \x07\n", 2, "not valid YAML"),
    ("two-documents", "schema: spec-driven\n---\nschema: x\n", 2, "not valid YAML"),
    ("unhashable-key", "schema: spec-driven\n? [a]\n: 1\n", 2, "not valid YAML"),
    ("not-a-mapping", "\n- schema\n- spec-driven\n", 2, "expected a mapping"),
    ("schema-path", "schema: ../../../../etc\n", 1, "unknown schema"),
    ("schema-too-long", "schema: " + "a" * 400 + "\n", 1, "unknown schema"),
    ("skip-not-bool", "schema: spec-driven\n\n\nskip_specs: 'yes please'\n", 4, "'skip_specs' must be true or false"),
    ("broken-syntax", "schema: [spec-driven\nskip_specs: true\n", 2, "not valid YAML"),
]


def _tree_hash(root: Path) -> str:
    digest = hashlib.sha256()
    for path in sorted(root.rglob("*")):
        digest.update(str(path.relative_to(root)).encode())
        if path.is_file() and not path.is_symlink():
            digest.update(path.read_bytes())
    return digest.hexdigest()


def _run(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args), catch_exceptions=False, env={"NO_COLOR": "1"})


@pytest.fixture
def change_with(good_files: dict[str, str | bytes]) -> Callable[[str], dict[str, str | bytes]]:
    """The conftest's valid repository, its change given this metadata file (written byte for byte)."""

    def make(metadata: str) -> dict[str, str | bytes]:
        files = {k: v for k, v in good_files.items() if not k.endswith("tasks.md")}
        files[META] = metadata.encode("utf-8")
        return files

    return make


@pytest.mark.parametrize(("name", "content", "line", "fragment"), HOSTILE, ids=[h[0] for h in HOSTILE])
def test_hostile_metadata_is_a_finding_with_its_line(
    repo: Repo, change_with: Files, name: str, content: str, line: int, fragment: str
) -> None:
    root = repo(change_with(content))
    _, problem, _ = load_metadata(root / "openspec/changes/add-webhooks")
    assert problem is not None and fragment in problem, (name, problem)
    assert problem.line == line, (name, problem)
    assert len(problem) < 400  # a hostile value is never echoed whole

    before = _tree_hash(root)
    result = _run("validate", "add-webhooks", "--json", "--strict")
    assert result.exit_code == 1, result.output
    issues = json.loads(result.stdout)["items"][0]["issues"]
    found = [i for i in issues if i["code"] == "metadata-invalid"]
    assert len(found) == 1 and found[0]["path"] == META and fragment in found[0]["message"], issues
    assert _tree_hash(root) == before


@pytest.mark.parametrize("content", [BOMB, "schema: spec-driven\nskip_specs: true\ncreated: 2026-13-45\n"])
def test_archive_refuses_hostile_metadata_naming_file_and_line(repo: Repo, change_with: Files, content: str) -> None:
    root = repo(change_with(content))
    before = _tree_hash(root)
    result = _run("archive", "add-webhooks", "--yes")
    assert result.exit_code in (1, 2), result.output
    assert ".openspec.yaml:" in result.output + result.stderr
    assert _tree_hash(root) == before


@pytest.mark.parametrize(
    "content",
    [
        "schema: spec-driven\ncreated: 2026-01-15\n",
        "schema: spec-driven\ncreated: '2026-01-15'\n",
        "schema: spec-driven\ncreated: 2026-01-15 10:30:00\n",
        "schema: spec-driven\ncreated: 2026-01-15T10:30:00Z\n",
        "schema: spec-driven\nskip_specs: false\nretire_capabilities: false\n",
        "a: &a [x]\nb: [" + ", ".join(["*a"] * MAX_ALIASES) + "]\nschema: spec-driven\n",
        "schema: spec-driven\nx: " + "[" * (MAX_DEPTH - 1) + "]" * (MAX_DEPTH - 1) + "\n",
    ],
)
def test_ordinary_metadata_stays_valid(repo: Repo, change_with: Files, content: str) -> None:
    root = repo(change_with(content))
    meta, problem, _ = load_metadata(root / "openspec/changes/add-webhooks")
    assert problem is None and meta.schema == "spec-driven"


def test_created_stays_text(repo: Repo, change_with: Files) -> None:
    """No timestamp is built: a date is checked as the text it was written as."""
    root = repo(change_with("schema: spec-driven\ncreated: 2026-01-15\nskip_specs: true\n"))
    meta, problem, requested = load_metadata(root / "openspec/changes/add-webhooks")
    assert problem is None and meta.skip_specs and requested


@pytest.mark.parametrize("kind", ["fifo", "too-large", "invalid-utf8", "directory"])
def test_metadata_that_is_not_a_small_text_file(repo: Repo, change_with: Files, kind: str) -> None:
    root = repo(change_with("schema: spec-driven\n"))
    path = root / META
    path.unlink()
    if kind == "fifo":
        os.mkfifo(path)  # reading it would block forever
    elif kind == "too-large":
        path.write_text("schema: spec-driven\n#" + "x" * MAX_METADATA_BYTES + "\n")
    elif kind == "invalid-utf8":
        path.write_bytes(b"schema: spec-driven\nx: \xff\n")
    else:
        path.mkdir()
    _, problem, _ = load_metadata(root / "openspec/changes/add-webhooks")
    assert problem is not None
    if kind == "invalid-utf8":
        assert problem.line == 2
    result = _run("validate", "add-webhooks")
    assert result.exit_code in (0, 1), result.output
    assert "metadata-invalid" in result.output

"""Fuzzing the real CLI: random bytes, markdown and YAML in every artifact and in the config.

Every file a repository can hold (proposal.md, tasks.md, design.md, delta specs, main specs,
.openspec.yaml) and the ``[tool.specledger]`` table of pyproject.toml get random content, then
``validate --all``, ``list``, ``list --specs`` and ``show <item>`` run through click's CliRunner
with exceptions not caught, so a traceback fails the test. Each run must exit 0, 1 or 2 and leave
the tree as it was. Some lines carry a long run of one character (spaces, tabs, ``#``, ``[``):
hypothesis' per-example deadline, generous for a loaded machine, then catches an input that makes
a command super-linear (the quadratic patterns of the past took minutes on such lines).
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import hashlib
import json
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from specledger.cli.main import cli

# Generous: a normal example runs its commands in well under a second; a quadratic pattern on a
# 30,000 to 60,000-character run takes from half a minute to minutes per command.
DEADLINE = _dt.timedelta(seconds=15)

FRAGMENTS = [
    "# Title", "# Change: x", "## Purpose", "## Requirements", "## ADDED Requirements", "## MODIFIED Requirements",
    "## REMOVED Requirements", "## RENAMED Requirements", "## added requirements", "### Requirement: A",
    "### Requirement: B", "###Requirement: a", "### Requirement:", "### Requirement: ", "### Other",
    "#### Scenario: S", "##### Scenario: T", "- **WHEN** x", "- **THEN** y", "The system SHALL do it.",
    "must not", "```", "~~~", "````md", "- FROM: `### Requirement: A`", "- TO: `### Requirement: C`",
    "- `### Requirement: B`", "- [ ] 1.1 task", "- [x] 2.1 done", "- [ ]", "1) [X] 3.1 t", "## 1. Group",
    "", "", "TBD", "**Key**: value", "\ufeff", "\r", "\r\n", "## Why", "## What Changes", "## Context",
    "text é ẞ 😀", "\u2028", "\x0b", "\x85",
]
RUN_PREFIXES = ["### Requirement: a", "#### a", "- [", "1. [", "- `### Requirement: a", "- FROM: `### Requirement: a",
                "", "#", "**", "- **WHEN** ", "```"]
# (prefix, run character, suffix) known to have needed care: drawn 3 times in 4, so that the
# deadline meets them in most runs rather than once in a thousand random combinations
RUN_SHAPES = [
    ("### Requirement: a", " ", "b"), ("### Requirement: a", "\t", "x #"), ("#### a", " ", "b"), ("- [", " ", ""),
    ("1. [", "\u00a0", "x"), ("- `### Requirement: a", " ", "b"), ("- FROM: `### Requirement: a", " ", "b`"),
    ("", " ", "x"), ("###", " ", ""), ("", "#", ""), ("**", "a", "*x"),
]


@st.composite
def long_run_lines(draw: st.DrawFn) -> str:
    """A line with a long run of one character inside it: the shape that exposes backtracking."""
    if draw(st.integers(min_value=0, max_value=3)) > 0:
        prefix, char, suffix = draw(st.sampled_from(RUN_SHAPES))
    else:
        prefix = draw(st.sampled_from(RUN_PREFIXES))
        char = draw(st.sampled_from([" ", "\t", "#", "[", "`", "*", "\u00a0", "-"]))
        suffix = draw(st.sampled_from(["", "b", "x #", "]", "`", "**:"]))
    length = draw(st.one_of(st.integers(min_value=0, max_value=200), st.integers(min_value=30_000, max_value=60_000)))
    return prefix + char * length + suffix


markdown = st.lists(
    st.one_of(st.sampled_from(FRAGMENTS), st.text(max_size=30), long_run_lines(), long_run_lines()), max_size=30
).map("\n".join)

yaml_values = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), st.text(max_size=20),
              st.dates().map(str)),
    lambda children: st.one_of(st.lists(children, max_size=4),
                               st.dictionaries(st.text(max_size=8), children, max_size=4)),
    max_leaves=20,
)
yaml_mappings = st.fixed_dictionaries(
    {},
    optional={"schema": yaml_values | st.just("spec-driven"), "created": yaml_values,
              "skip_specs": yaml_values | st.booleans(), "retire_capabilities": yaml_values | st.booleans()},
)
HOSTILE_YAML = [
    "a: &a [x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a]\nc: [*b, *b, *b, *b, *b, *b, *b, *b]\n",
    "schema: spec-driven\ncreated: 2026-13-45\n", "x: " + "[" * 3000, "- " * 2000, "created: !!timestamp x\n",
    "skip_specs: " + "9" * 5000 + "\n", "schema: spec-driven\n\tbad: tab\n", "? [a]\n: b\n", "%YAML 9.9\n---\na: 1\n",
]
yaml_text = st.one_of(
    yaml_values.map(lambda v: yaml.safe_dump(v, allow_unicode=True)),
    yaml_mappings.map(lambda v: yaml.safe_dump(v, allow_unicode=True)),
    st.sampled_from(HOSTILE_YAML),
    st.text(alphabet="abc:-[]{}&*!|>'\"# \n\t", max_size=60),
)
random_bytes = st.binary(max_size=300)
# Not content but a kind of file: a FIFO (reading it would wait forever) or a link to a device.
SPECIAL = ["<fifo>", "<dev-zero>"]
special = st.sampled_from(SPECIAL)
# each file gets content of every kind, its own kind more often
md_content = st.one_of(markdown, markdown, yaml_text, random_bytes, special)
hostile_yaml = st.sampled_from(HOSTILE_YAML)
yaml_content = st.one_of(hostile_yaml, yaml_text, hostile_yaml, markdown, random_bytes, special)


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    return json.dumps(str(value))  # a TOML basic string (a lone surrogate makes it invalid TOML: fine too)


toml_scalars = st.one_of(
    st.sampled_from(["specs", "changes", "openspec/specs", "openspec/changes", "", ".", "a\x00b", "x" * 300,
                     "templates", "nested/deeper", "spec.md"]),
    st.text(max_size=12), st.integers(min_value=-(10**30), max_value=10**30), st.booleans(),
)
toml_values = st.one_of(
    toml_scalars,
    st.lists(toml_scalars, max_size=3),
    st.integers(min_value=1, max_value=3000).map(lambda depth: "[" * depth + "]" * depth),  # raw deep array
)


@st.composite
def pyprojects(draw: st.DrawFn) -> bytes | None:
    """No pyproject.toml (half the time), random bytes, or a ``[tool.specledger]`` table.

    Most tables point at the openspec folders, so that the artifacts are still read; the rest
    hold random values for every key, which usually leaves nothing to read (or is exit 2).
    """
    kind = draw(st.sampled_from(["none", "none", "none", "none", "pointing", "pointing", "random", "bytes"]))
    if kind == "none":
        return None
    if kind == "bytes":
        return draw(random_bytes)
    keys: dict[str, Any] = {}
    if kind == "pointing":
        keys = {"specs_dir": "openspec/specs", "changes_dir": "openspec/changes"}
    keys.update(draw(st.dictionaries(
        st.sampled_from(["specs_dir", "changes_dir", "templates_dir", "other", "generate"]), toml_values,
        max_size=4 if kind == "random" else 1)))
    lines = ["[project]", 'name = "x"', "", "[tool.specledger]"]
    for key, value in keys.items():
        raw = value if isinstance(value, str) and value.startswith("[[") else _toml_value(value)
        lines.append(f"{key} = {raw}")
    return ("\n".join(lines) + "\n").encode("utf-8", "surrogatepass")


change_files = st.fixed_dictionaries({}, optional={
    "proposal.md": md_content, "tasks.md": md_content, "design.md": md_content, "specs/cap/spec.md": md_content,
    "specs/new/spec.md": md_content, "specs/spec.md": md_content, "specs/cap/notes.md": md_content,
    ".openspec.yaml": yaml_content,
})
repositories = st.fixed_dictionaries({
    "specs": st.dictionaries(st.sampled_from(["cap", "other", "nested/cap"]), md_content, max_size=3),
    "changes": st.dictionaries(st.sampled_from(["one", "two"]), change_files, max_size=2),
    "pyproject": pyprojects(),
})


def _write(path: Path, data: str | bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    if data == "<fifo>":
        os.mkfifo(path)
        return
    if data == "<dev-zero>":
        path.symlink_to("/dev/zero")
        return
    path.write_bytes(data if isinstance(data, bytes) else data.encode("utf-8", "surrogatepass"))


CACHE_FILES = {".gitignore", "CACHEDIR.TAG", "key", "validate.json"}


def _tree_hash(root: Path) -> str:
    """The tree's names and contents, except validate's own cache folder (which may only hold
    the cache's files: anything else in it fails here)."""
    digest = hashlib.sha256()
    for path in sorted(root.rglob("*")):
        if ".specledger_cache" in path.parts:
            assert path.name in CACHE_FILES or path.name == ".specledger_cache", path
            continue
        digest.update(str(path.relative_to(root)).encode("utf-8", "surrogateescape"))
        if path.is_file() and not path.is_symlink():
            digest.update(path.read_bytes())
    return digest.hexdigest()


@contextlib.contextmanager
def laid_out(layout: dict[str, Any]) -> Iterator[Path]:
    """A fresh repository per example, as the current directory (the conftest's is one per test)."""
    here = Path.cwd()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "repo"
        (root / "openspec" / "specs").mkdir(parents=True)
        (root / "openspec" / "changes").mkdir(parents=True)
        for cap, data in layout["specs"].items():
            _write(root / "openspec" / "specs" / cap / "spec.md", data)
        for name, files in layout["changes"].items():
            (root / "openspec" / "changes" / name).mkdir(parents=True, exist_ok=True)
            for rel, data in files.items():
                _write(root / "openspec" / "changes" / name / rel, data)
        if layout["pyproject"] is not None:
            _write(root / "pyproject.toml", layout["pyproject"])
        os.chdir(root)
        try:
            yield root
        finally:
            os.chdir(here)


def _commands(layout: dict[str, Any]) -> list[list[str]]:
    commands = [["validate", "--all", "--json"], ["validate", "--all"], ["list"], ["list", "--specs", "--json"]]
    for name in layout["changes"]:
        commands += [["show", name, "--json", "--type", "change"], ["show", name, "--type", "change"]]
    for cap in layout["specs"]:
        commands += [["show", cap, "--json", "--type", "spec"], ["validate", cap, "--type", "spec"]]
    return commands


@settings(max_examples=120, deadline=DEADLINE,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.large_base_example])
@given(repositories)
def test_every_command_ends_in_0_1_or_2_without_a_traceback(layout: dict[str, Any]) -> None:
    with laid_out(layout) as root:
        before = _tree_hash(root.parent)
        for args in _commands(layout):
            result = CliRunner().invoke(cli, args, catch_exceptions=False, env={"NO_COLOR": "1"})
            assert result.exit_code in (0, 1, 2), (args, result.exit_code, result.output[-500:])
            assert "Traceback" not in result.output + result.stderr, (args, result.stderr[-2000:])
            if args[-1] == "--json" and result.exit_code != 2:
                json.loads(result.stdout)  # the product stays parseable whatever the input
        assert _tree_hash(root.parent) == before, "a read-only command changed the tree"


def test_fifo_and_device_files_are_refused_not_waited_on() -> None:
    """A FIFO would block a plain open() forever and /dev/zero never ends: both are exit 2, named."""
    layout: dict[str, Any] = {
        "specs": {"cap": "<dev-zero>"},
        "changes": {"one": {"proposal.md": "<fifo>", "tasks.md": "<fifo>", ".openspec.yaml": "<fifo>"}},
        "pyproject": None,
    }
    with laid_out(layout):
        for args, named in ((["validate", "--all"], "proposal.md"), (["list"], "tasks.md"),
                            (["show", "one", "--type", "change"], "proposal.md"),
                            (["show", "cap", "--json"], "spec.md"), (["validate", "cap"], "spec.md")):
            result = CliRunner().invoke(cli, args, catch_exceptions=False, env={"NO_COLOR": "1"})
            assert result.exit_code == 2, (args, result.output)
            assert named in result.output + result.stderr, (args, result.output, result.stderr)

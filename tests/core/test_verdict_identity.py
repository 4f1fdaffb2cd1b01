"""Speed never changes an answer: the findings of ``spec validate`` are the same whether items are
checked in one process or several, and whether they come from the cache or are checked afresh.

Compared on the generated repository and on every conformance case tree, in full (every finding
of every item, the summary and the exit code), not only the verdicts.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[2]
SHARED = Path(os.environ.get("SPECLEDGER_SHARED") or REPO.parent / "shared")
SPEC_BIN = Path(sys.executable).parent / "spec"
CASES = sorted((SHARED / "conformance" / "cases").glob("*/tree"))


def validate(root: Path, *args: str, jobs: str = "1") -> tuple[int, Any]:
    env = {**os.environ, "SPECLEDGER_JOBS": jobs}
    env.pop("SPECLEDGER_NO_CACHE", None)
    proc = subprocess.run([str(SPEC_BIN), "validate", *args, "--json"], cwd=root, capture_output=True, text=True,
                          timeout=120, env=env, check=False)
    assert "Traceback" not in proc.stderr, proc.stderr
    return proc.returncode, json.loads(proc.stdout)


def every_way(root: Path, *args: str) -> dict[str, tuple[int, Any]]:
    """The answer of one process without the cache, several processes, a cold and a warm cache."""
    shutil.rmtree(root / ".specledger_cache", ignore_errors=True)
    answers = {
        "serial": validate(root, *args, "--no-cache", jobs="1"),
        "parallel": validate(root, *args, "--no-cache", jobs="2"),
        "cache-cold": validate(root, *args, jobs="1"),
        "cache-warm": validate(root, *args, jobs="1"),
        "cache-warm-parallel": validate(root, *args, jobs="2"),
    }
    return answers


def assert_all_equal(answers: dict[str, tuple[int, Any]]) -> None:
    reference = answers["serial"]
    for way, answer in answers.items():
        assert answer == reference, f"{way} differs from one process without the cache"


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    generator = SHARED / "bench" / "gen_large.py"
    assert generator.is_file(), f"the repository generator is missing at {generator}"
    root = tmp_path_factory.mktemp("generated") / "repo"
    subprocess.run([sys.executable, str(generator), str(root), "--changes", "250", "--specs", "100"],
                   check=True, capture_output=True)
    return root


@pytest.mark.slow
@pytest.mark.scenario("validation", "Cached, parallel and fresh runs agree")
@pytest.mark.parametrize("args", [("--all", "--strict"), ("--changes",), ("--specs",)])
def test_generated_repository_same_findings_every_way(generated: Path, args: tuple[str, ...]) -> None:
    answers = every_way(generated, *args)
    assert_all_equal(answers)
    _code, data = answers["serial"]
    assert data["items"]
    if "--specs" not in args:  # a comparison with substance: the changes overlap, so there are findings
        assert any(item["issues"] for item in data["items"])
    assert (generated / ".specledger_cache" / "validate.json").is_file()


@pytest.mark.slow
@pytest.mark.scenario("validation", "An edit after a warm run is seen")
def test_edits_after_a_warm_run_are_seen(generated: Path) -> None:
    """The cache is keyed by content: a change's own files, and the main specs it merges into."""
    every_way(generated, "--all")
    change = generated / "openspec" / "changes" / "change-0003"
    touched = sorted((change / "specs").iterdir())[0].name
    main_spec = generated / "openspec" / "specs" / touched / "spec.md"
    original = main_spec.read_text()
    try:
        # break the main spec a change merges into: the change's verdict depends on it
        main_spec.write_text(original.replace("## Requirements", "## Requirement list"))
        assert_all_equal(every_way(generated, "--all"))
        code, data = validate(generated, "--all")
        assert code == 1
        by_id = {(i["type"], i["id"]): i for i in data["items"]}
        assert not by_id[("spec", touched)]["valid"]
        assert not by_id[("change", "change-0003")]["valid"]
    finally:
        main_spec.write_text(original)
    _code, data = validate(generated, "--all")
    assert {(i["type"], i["id"]): i["valid"] for i in data["items"]}[("change", "change-0003")]


@pytest.mark.scenario("validation", "Cached, parallel and fresh runs agree")
@pytest.mark.parametrize("tree", CASES, ids=[p.parent.name for p in CASES])
def test_conformance_trees_same_findings_every_way(tree: Path, tmp_path: Path) -> None:
    root = tmp_path / "tree"
    shutil.copytree(tree, root, symlinks=True)
    answers = every_way(root, "--all", "--strict")
    assert_all_equal(answers)


@pytest.mark.scenario("validation", "A cache that came with the checkout is ignored")
def test_a_cache_that_came_with_the_checkout_is_not_trusted(tmp_path: Path) -> None:
    """A forged cache (one that says a broken change is fine) committed into a repository is ignored."""
    first = tmp_path / "first"
    spec = first / "openspec" / "specs" / "cap" / "spec.md"
    spec.parent.mkdir(parents=True)
    spec.write_text("# cap\n\n## Purpose\n" + "p" * 60 + "\n\n## Requirements\n\n### Requirement: R\n"
                    "The system SHALL r.\n\n#### Scenario: S\n- **WHEN** x\n- **THEN** y\n")
    code, _clean = validate(first, "--all")
    assert code == 0
    cache = first / ".specledger_cache" / "validate.json"
    header, _, payload = cache.read_bytes().partition(b"\n")

    # a second checkout: same files, the spec broken, and the first one's cache copied in with an
    # entry for the broken spec's key that claims it has no finding
    second = tmp_path / "second"
    shutil.copytree(first, second)
    broken = second / "openspec" / "specs" / "cap" / "spec.md"
    broken.write_text(broken.read_text().replace("## Purpose", "## Porpoise"))
    code, honest = validate(second, "--all", "--no-cache")
    assert code == 1
    entries = json.loads(payload)
    forged = {key: [[], [], [], []] for key in entries}
    from specledger.cache import ValidationCache, sign
    from specledger.workspace import find_workspace

    forged_key = ValidationCache.open(find_workspace(second))
    assert forged_key is not None
    forged[str(forged_key.spec_key("cap"))] = [[], [], [], []]
    # the forger knows the key (it came with the checkout) and signs the forged entries with it
    key = (first / ".specledger_cache" / "key").read_bytes()
    shutil.copy(first / ".specledger_cache" / "key", second / ".specledger_cache" / "key")
    body = json.dumps(forged).encode()
    signed = {**json.loads(header), "mac": sign(key, body)}
    (second / ".specledger_cache" / "validate.json").write_bytes(json.dumps(signed).encode() + b"\n" + body)
    assert validate(second, "--all") == (1, honest)
    # the same forgery against the key file the run itself made is accepted: the test can fail
    own = second / ".specledger_cache"
    own_header = json.loads((own / "validate.json").read_bytes().partition(b"\n")[0])
    own_key = (own / "key").read_bytes()
    accepted = {**own_header, "mac": sign(own_key, body)}
    (own / "validate.json").write_bytes(json.dumps(accepted).encode() + b"\n" + body)
    assert validate(second, "--all")[0] == 0


def test_a_linked_cache_folder_is_left_alone(tmp_path: Path) -> None:
    """The cache is written only through real folders inside the workspace, or not at all."""
    root = tmp_path / "repo"
    spec = root / "openspec" / "specs" / "cap" / "spec.md"
    spec.parent.mkdir(parents=True)
    spec.write_text("# cap\n\n## Purpose\nshort\n\n## Requirements\n")
    outside = tmp_path / "outside"
    outside.mkdir()
    os.symlink(outside, root / ".specledger_cache")
    code, data = validate(root, "--all")
    assert code == 1 and data["items"][0]["issues"]
    assert list(outside.iterdir()) == []  # nothing written through the link
    (root / ".specledger_cache").unlink()
    assert validate(root, "--all") == (code, data)
    assert (root / ".specledger_cache" / "validate.json").is_file()  # a real folder is used


def test_a_cache_write_that_fails_leaves_nothing_behind(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A full disk in the middle of writing the cache: no temporary file stays, and no error."""
    from specledger import cache as cache_module
    from specledger.cache import Entry, ValidationCache
    from specledger.workspace import find_workspace

    spec = tmp_path / "openspec" / "specs" / "cap" / "spec.md"
    spec.parent.mkdir(parents=True)
    spec.write_text("# cap\n\n## Purpose\nshort\n\n## Requirements\n")
    cache = ValidationCache.open(find_workspace(tmp_path))
    assert cache is not None
    key = cache.spec_key("cap")
    assert key is not None
    cache.put(key, Entry([], [], [], []))
    real_write = cache_module._write_new

    def write_then_fail(path: Path, data: bytes) -> None:
        if path.name.startswith(".validate.json."):
            real_write(path, data[: len(data) // 2])
            raise OSError(28, "No space left on device")
        real_write(path, data)

    monkeypatch.setattr(cache_module, "_write_new", write_then_fail)
    cache.save(keep_others=False)  # no exception
    left = sorted(p.name for p in (tmp_path / ".specledger_cache").iterdir())
    assert left == [".gitignore", "CACHEDIR.TAG", "key"]


@pytest.mark.parametrize("hostile", ["validate.json fifo", "key fifo", "validate.json to /dev/zero",
                                     "key to /dev/zero"])
def test_a_cache_file_that_is_not_a_plain_file_is_ignored(tmp_path: Path, hostile: str) -> None:
    """A FIFO or a link where a cache file should be (as a checkout may bring) cannot hang the run."""
    root = tmp_path / "repo"
    spec = root / "openspec" / "specs" / "cap" / "spec.md"
    spec.parent.mkdir(parents=True)
    spec.write_text("# cap\n\n## Purpose\nshort\n\n## Requirements\n")
    expected = validate(root, "--all", "--no-cache")
    assert validate(root, "--all") == expected  # a cache is made
    name, _, kind = hostile.partition(" ")
    target = root / ".specledger_cache" / name
    target.unlink()
    if kind == "fifo":
        os.mkfifo(target)
    else:
        os.symlink("/dev/zero", target)
    assert validate(root, "--all") == expected
    assert validate(root, "--all") == expected

"""Bad input gets a clear message naming the file, never a traceback, and hides nothing else."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from specledger.cli.main import cli

Repo = Callable[[dict[str, str | bytes]], Path]
DELTA = "openspec/changes/add-webhooks/specs/notifications/spec.md"
SPEC = "openspec/specs/notifications/spec.md"


def run(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args), catch_exceptions=False, env={"NO_COLOR": "1"})


def issues(result: Result) -> dict[str, list[dict[str, object]]]:
    data = json.loads(result.stdout)
    return {f"{i['type']}:{i['id']}": i["issues"] for i in data["items"]}


def test_invalid_utf8_names_file_and_line(repo: Repo, good_files: dict[str, str | bytes]) -> None:
    good_files["openspec/specs/weak/spec.md"] = str(good_files[SPEC]).replace(
        "Users are told about events that matter to them, by email or SMS, as they choose.", "Short.")
    good_files[SPEC] = b"# x\n\n## Purpose\nok\n\xff\xfe broken\n"
    repo(good_files)
    result = run("validate", "--all", "--json")
    assert result.exit_code == 1
    found = issues(result)["spec:notifications"]
    assert found[0]["code"] == "file-unreadable"
    assert found[0]["path"] == SPEC
    assert "line 5: not valid UTF-8" in str(found[0]["message"])
    # the change depends on that spec, so it says so too; an unrelated spec is still judged
    assert issues(result)["change:add-webhooks"][0]["code"] == "file-unreadable"
    assert [i["code"] for i in issues(result)["spec:weak"]] == ["spec-purpose-short"]


@pytest.mark.scenario("validation", "A binary spec")
def test_binary_spec(repo: Repo, good_files: dict[str, str | bytes]) -> None:
    good_files[SPEC] = b"\x89PNG\r\n\x1a\n\x00\x00\x00IHDR"
    good_files["openspec/changes/add-webhooks/proposal.md"] = "# x\n"  # a finding elsewhere must still show
    repo(good_files)
    result = run("validate", "--all", "--json")
    found = issues(result)
    assert "binary file" in str(found["spec:notifications"][0]["message"])
    assert any(i["code"] == "proposal-why-missing" for i in found["change:add-webhooks"])


def test_directory_named_proposal(repo: Repo, good_files: dict[str, str | bytes]) -> None:
    del good_files["openspec/changes/add-webhooks/proposal.md"]
    root = repo(good_files)
    (root / "openspec/changes/add-webhooks/proposal.md").mkdir()
    result = run("validate", "add-webhooks")
    assert result.exit_code == 2  # the filesystem, not the content, is wrong
    assert "proposal.md: ERROR cannot read this file: is a directory" in result.stdout


def _unprivileged() -> list[str]:
    """A command prefix under which the kernel applies file modes to the ``spec`` process.

    A normal user needs none. As root (CI), the process runs as ``nobody`` when ``nobody`` can run
    the venv's interpreter; when it cannot (a pyenv under /root, which is mode 0700), it stays root
    but without CAP_DAC_OVERRIDE and CAP_DAC_READ_SEARCH, the two capabilities that let root ignore
    a file's mode. Either way the EACCES comes from the kernel, not from the test.
    """
    if os.geteuid() != 0:
        return []
    setpriv = shutil.which("setpriv")
    assert setpriv is not None, "setpriv (util-linux) is needed to run this test as root"
    as_nobody = [setpriv, "--reuid=nobody", "--regid=nogroup", "--clear-groups"]
    probe = subprocess.run([*as_nobody, sys.executable, "-c", "import specledger"],
                           capture_output=True, check=False, timeout=60)
    if probe.returncode == 0:
        return as_nobody
    return [setpriv, "--bounding-set=-dac_override,-dac_read_search"]


@pytest.fixture
def open_tree(good_files: dict[str, str | bytes]) -> Iterator[Path]:
    """The good repository in a folder anyone may traverse (pytest's own tmp folders are 0700)."""
    root = Path(tempfile.mkdtemp(prefix="specledger-unreadable-"))
    try:
        for rel, content in good_files.items():
            path = root / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(content if isinstance(content, bytes) else content.encode())
        for folder, _, files in os.walk(root):
            os.chmod(folder, 0o755)
            for name in files:
                os.chmod(os.path.join(folder, name), 0o644)
        yield root
    finally:
        shutil.rmtree(root)


@pytest.mark.scenario("validation", "A file the user cannot read")
def test_unreadable_file(open_tree: Path) -> None:
    """A spec its reader may not open: exit 2 naming it, and the change that merges into it still shown."""
    (open_tree / SPEC).chmod(0)
    spec = Path(sys.executable).with_name("spec")
    result = subprocess.run([*_unprivileged(), str(spec), "validate", "--all"], cwd=open_tree,
                            env=dict(os.environ, NO_COLOR="1", PYTHONDONTWRITEBYTECODE="1"),
                            capture_output=True, text=True, check=False, timeout=120)
    assert result.returncode == 2, result.stdout + result.stderr
    assert f"{SPEC}: ERROR cannot read this file: permission denied" in result.stdout
    assert "FAIL change add-webhooks" in result.stdout  # it merges into that spec: reported, not hidden
    assert "Traceback" not in result.stderr


def test_symlink_loop(repo: Repo, good_files: dict[str, str | bytes]) -> None:
    del good_files[SPEC]
    root = repo(good_files)
    loop = root / SPEC
    loop.parent.mkdir(parents=True, exist_ok=True)
    os.symlink(loop, loop)
    result = run("validate", "notifications")
    assert result.exit_code == 2
    assert "symbolic link loop" in result.stdout


def test_symlinked_folder_loop_in_specs_is_not_followed(repo: Repo, good_files: dict[str, str | bytes]) -> None:
    root = repo(good_files)
    os.symlink(root / "openspec/specs", root / "openspec/specs/notifications/again")
    result = run("list", "--specs", "--json")
    assert result.exit_code == 0
    assert [s["id"] for s in json.loads(result.stdout)["specs"]] == ["notifications"]


def test_a_linked_delta_folder_is_named_not_silently_skipped(repo: Repo, good_files: dict[str, str | bytes]) -> None:
    """A folder under a change's specs/ that is a symbolic link is not followed (as OpenSpec does not
    follow it), and the change says so: what it holds would never be merged."""
    delta = good_files.pop(DELTA)
    good_files["openspec/changes/add-webhooks/kept/notifications/spec.md"] = delta
    root = repo(good_files)
    linked = root / "openspec/changes/add-webhooks/specs/notifications"
    linked.parent.mkdir(parents=True)
    os.symlink("../kept/notifications", linked)
    result = run("validate", "add-webhooks", "--json")
    assert result.exit_code == 1
    found = {i["code"]: i for i in issues(result)["change:add-webhooks"]}
    assert found["delta-folder-linked"]["level"] == "WARNING"
    assert found["delta-folder-linked"]["path"] == "openspec/changes/add-webhooks/specs/notifications"
    assert "change-no-deltas" in found  # the warning explains the error, it does not replace it

    (root / "openspec/changes/add-webhooks/specs/real").mkdir()
    (root / "openspec/changes/add-webhooks/specs/real/spec.md").write_text(str(delta), encoding="utf-8")
    result = run("validate", "add-webhooks", "--json")
    codes = [i["code"] for i in issues(result)["change:add-webhooks"]]
    assert "delta-folder-linked" in codes and "change-no-deltas" not in codes


@pytest.mark.parametrize("name", ["proposal.md", "tasks.md", "design.md"])
def test_empty_change_files(repo: Repo, good_files: dict[str, str | bytes], name: str) -> None:
    good_files[f"openspec/changes/add-webhooks/{name}"] = ""
    repo(good_files)
    result = run("validate", "add-webhooks", "--strict", "--json")
    codes = [i["code"] for i in issues(result)["change:add-webhooks"]]
    expected = {"proposal.md": "proposal-why-missing", "tasks.md": None, "design.md": "design-empty"}[name]
    if expected is None:
        assert result.exit_code == 0, codes  # an empty task list is no task, not an error
    else:
        assert result.exit_code == 1
        assert expected in codes


def test_empty_spec_and_delta(repo: Repo, good_files: dict[str, str | bytes]) -> None:
    good_files[SPEC] = ""
    good_files[DELTA] = ""
    repo(good_files)
    found = issues(run("validate", "--all", "--json"))
    assert [i["code"] for i in found["spec:notifications"]] == ["spec-purpose-missing"]
    assert "delta-no-sections" in [i["code"] for i in found["change:add-webhooks"]]


def test_five_megabyte_spec(repo: Repo, good_files: dict[str, str | bytes]) -> None:
    block = (
        "### Requirement: Item {n}\nThe system SHALL handle item {n}.\n\n#### Scenario: Item {n}\n"
        "- **WHEN** item {n} arrives\n- **THEN** it is handled\n\n"
    )
    body = "".join(block.format(n=n) for n in range(40_000))
    text = "# big\n\n## Purpose\nA very large spec that exercises the parser on megabytes of input.\n\n" \
           "## Requirements\n\n" + body
    assert len(text.encode()) > 5_000_000
    good_files[SPEC] = text
    repo(good_files)
    data = json.loads(run("list", "--specs", "--json").stdout)
    assert data["specs"] == [{"id": "notifications", "requirementCount": 40_000}]
    assert run("validate", "notifications", "--strict").exit_code == 0


def test_bom_and_crlf(repo: Repo, good_files: dict[str, str | bytes]) -> None:
    good_files[SPEC] = ("\ufeff" + str(good_files[SPEC])).replace("\n", "\r\n").encode()
    good_files["openspec/changes/add-webhooks/proposal.md"] = str(
        good_files["openspec/changes/add-webhooks/proposal.md"]).replace("\n", "\r\n").encode()
    repo(good_files)
    assert run("validate", "--all", "--strict").exit_code == 0


def test_broken_pyproject_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "pyproject.toml").write_text("[tool.specledger\nspecs_dir=")
    monkeypatch.chdir(tmp_path)
    result = run("validate", "--all")
    assert result.exit_code == 2
    assert "pyproject.toml" in result.stderr and "not valid TOML" in result.stderr


def test_config_pointing_outside(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "pyproject.toml").write_text('[tool.specledger]\nspecs_dir = "../elsewhere"\n')
    monkeypatch.chdir(tmp_path)
    result = run("list")
    assert result.exit_code == 2
    assert "points outside the project" in result.stderr


def _req(name: str, verb: str = "SHALL post") -> str:
    return f"### Requirement: {name}\nThe system {verb} it.\n\n#### Scenario: Ok\n- **WHEN** a\n- **THEN** b\n"


RENAME = "## RENAMED Requirements\n\n- FROM: `### Requirement: {old}`\n- TO: `### Requirement: {new}`\n"
NOT_A_SECTION = 'move it under "## ADDED Requirements" (or MODIFIED, REMOVED, RENAMED)'

# Each mistake a delta can hold, with the finding it must give: level, code, line and the whole
# message, so that a rule that stops firing, fires at the wrong line or loses its advice fails.
DELTA_MISTAKES = {
    "stray header": (
        "## ADDED Requirements\n\n### Something\nThe system SHALL x.\n\n" + _req("Hook"),
        [("INFO", "delta-stray-header", 3, '"### Something" in ADDED Requirements is not a "### Requirement:" '
          'header and is ignored; write "### Requirement: Something" if it is meant as one')],
    ),
    "nameless requirement": (
        "## ADDED Requirements\n\n### Requirement:\nThe system SHALL x.\n\n" + _req("Hook"),
        [("INFO", "delta-stray-header", 3,
          '"### Requirement:" in ADDED Requirements has no requirement name and is ignored; name it')],
    ),
    "rename without TO": (
        "## RENAMED Requirements\n\n- FROM: `### Requirement: Send email`\n",
        [("ERROR", "delta-rename-unpaired", 3, 'RENAMED FROM: "Send email" has no TO: line; write each rename '
          "as a FROM: line followed by its TO: line")],
    ),
    "rename without FROM": (
        "## RENAMED Requirements\n\n- TO: `### Requirement: Send mail`\n",
        [("ERROR", "delta-rename-unpaired", 3, 'RENAMED TO: "Send mail" has no FROM: line; write each rename '
          "as a FROM: line followed by its TO: line")],
    ),
    "requirement above every section": (
        _req("Early") + "\n## ADDED Requirements\n\n" + _req("Hook"),
        [("WARNING", "delta-orphan-requirement", 1,
          f"requirement \"Early\" is above the first '## ' section, so it is ignored; {NOT_A_SECTION}")],
    ),
    "requirement under another section": (
        "## ADDED Requirements\n\n" + _req("Hook") + "\n## Notes\n\n" + _req("Late"),
        [("WARNING", "delta-orphan-requirement", 12, 'requirement "Late" is under "## Notes", which is not a '
          f"delta section, so it is ignored; {NOT_A_SECTION}")],
    ),
    "added twice": (
        "## ADDED Requirements\n\n" + _req("Hook") + "\n" + _req("Hook"),
        [("ERROR", "delta-duplicate", None, '"Hook" appears 2 times in ADDED')],
    ),
    "removed twice": (
        "## REMOVED Requirements\n\n### Requirement: Send SMS\n\n### Requirement: Send SMS\n",
        [("ERROR", "delta-duplicate", None, '"Send SMS" appears 2 times in REMOVED')],
    ),
    "renamed twice": (
        RENAME.format(old="Send SMS", new="Text")
        + "- FROM: `### Requirement: Send SMS`\n- TO: `### Requirement: Text`\n",
        [("ERROR", "delta-duplicate", None, '"Send SMS" appears 2 times as a RENAMED FROM'),
         ("ERROR", "delta-duplicate", None, '"Text" appears 2 times as a RENAMED TO')],
    ),
    "modified and removed, modified and added": (
        "## ADDED Requirements\n\n" + _req("Send SMS") + "\n## MODIFIED Requirements\n\n" + _req("Send SMS")
        + "\n" + _req("Send email") + "\n## REMOVED Requirements\n\n### Requirement: Send email\n",
        [("ERROR", "delta-conflict", None, '"Send email" is in both MODIFIED and REMOVED'),
         ("ERROR", "delta-conflict", None, '"Send SMS" is in both MODIFIED and ADDED')],
    ),
    "added and removed": (
        "## ADDED Requirements\n\n" + _req("Hook") + "\n## REMOVED Requirements\n\n### Requirement: Hook\n",
        [("ERROR", "delta-conflict", None, '"Hook" is in both ADDED and REMOVED')],
    ),
    "rename against the other sections": (
        "## ADDED Requirements\n\n" + _req("Text") + "\n## MODIFIED Requirements\n\n" + _req("Send SMS")
        + "\n## REMOVED Requirements\n\n### Requirement: send sms\n\n" + RENAME.format(old="Send SMS", new="Text"),
        [("ERROR", "delta-conflict", 25, 'MODIFIED uses the old name "Send SMS"; after the rename it is "Text"'),
         ("ERROR", "delta-conflict", 25, 'RENAMED target "Text" is also ADDED'),
         ("ERROR", "delta-conflict", 25, '"Send SMS" is both RENAMED and REMOVED (REMOVED spells it "send sms")')],
    ),
    "empty scenario heading": (
        "## ADDED Requirements\n\n### Requirement: Hook\nThe system SHALL post it.\n\n#### Scenario: Nothing\n",
        [("ERROR", "delta-requirement-no-scenario", 3, "ADDED \"Hook\" has no scenario: add a '#### Scenario: "
          "<name>' heading with its steps (a scenario heading with nothing under it does not count)")],
    ),
    "no SHALL": (
        "## ADDED Requirements\n\n" + _req("Hook", "posts"),
        [("WARNING", "requirement-no-shall", 3, 'ADDED "Hook" should state a SHALL or MUST (upper case) in its text')],
    ),
}


@pytest.mark.parametrize("mistake", sorted(DELTA_MISTAKES))
def test_each_delta_mistake_gets_its_finding(
    repo: Repo, good_files: dict[str, str | bytes], mistake: str
) -> None:
    text, expected = DELTA_MISTAKES[mistake]
    good_files[SPEC] = f"{good_files[SPEC]}\n{_req('Send SMS')}"
    good_files[DELTA] = text
    repo(good_files)
    result = run("validate", "add-webhooks", "--json")
    found = issues(result)["change:add-webhooks"]
    # every finding of the delta and requirement rules, and no other (an unpaired rename also
    # leaves its section empty, which delta-empty reports: not what these cases are about)
    got = [(i["level"], i["code"], i.get("line"), i["message"]) for i in found
           if str(i["code"]).startswith(("delta-", "requirement-")) and i["code"] != "delta-empty"]
    assert got == expected
    assert all(i["path"] == DELTA for i in found if str(i["code"]).startswith("delta-"))
    assert result.exit_code == (1 if any(level == "ERROR" for level, *_ in expected) else 0)


def _spec(purpose: str, requirements: str) -> str:
    return f"# notifications Specification\n\n## Purpose\n{purpose}\n\n## Requirements\n\n{requirements}"


EMAIL = "### Requirement: Send email\nThe system SHALL send an email for each event.\n\n"
EMAIL_SCENARIO = "#### Scenario: Event happens\n- **WHEN** an event occurs\n- **THEN** an email is sent\n"
PURPOSE_50 = "p" * 50  # the shortest Purpose that is long enough

# Each mistake a main spec can hold, with its exact finding (None: no finding at all).
SPEC_MISTAKES = {
    "no Requirements section": (
        f"# notifications Specification\n\n## Purpose\n{PURPOSE_50}\n",
        ("ERROR", "spec-requirements-missing", None,
         "the spec has no '## Requirements' section; a spec needs '## Purpose' and '## Requirements'"),
    ),
    "Purpose one character short": (
        _spec("p" * 49, EMAIL + EMAIL_SCENARIO),
        ("WARNING", "spec-purpose-short", 3,
         "the Purpose is shorter than 50 characters; say what this capability is for"),
    ),
    "Purpose just long enough": (_spec(PURPOSE_50, EMAIL + EMAIL_SCENARIO), None),
    "Purpose a placeholder": (
        _spec("TBD", EMAIL + EMAIL_SCENARIO),
        ("WARNING", "spec-purpose-placeholder", 3, "the Purpose is still a placeholder (TBD/TODO, or the sentence "
         "archive writes for a new capability); write what this capability is for, in the main spec itself"),
    ),
    "no SHALL": (
        _spec(PURPOSE_50, EMAIL.replace("SHALL send", "sends") + EMAIL_SCENARIO),
        ("WARNING", "requirement-no-shall", 8,
         'requirement "Send email" should state a SHALL or MUST (upper case) in its text'),
    ),
    "no scenario": (
        _spec(PURPOSE_50, EMAIL),
        ("ERROR", "requirement-no-scenario", 8,
         "requirement \"Send email\" has no scenario (a '#### Scenario:' heading with steps under it)"),
    ),
    "long requirement": (
        _spec(PURPOSE_50, EMAIL.replace("for each event.", "send " * 100) + EMAIL_SCENARIO),
        ("INFO", "requirement-long", 8,
         'requirement "Send email" is longer than 500 characters; consider splitting it'),
    ),
}


@pytest.mark.scenario("validation", "A spec without a Requirements section")
@pytest.mark.parametrize("mistake", sorted(SPEC_MISTAKES))
def test_each_spec_mistake_gets_its_finding(
    repo: Repo, good_files: dict[str, str | bytes], mistake: str
) -> None:
    text, expected = SPEC_MISTAKES[mistake]
    good_files[SPEC] = text
    del good_files[DELTA]  # the change would add findings of its own about this spec
    repo(good_files)
    result = run("validate", "notifications", "--type", "spec", "--json")
    got = [(i["level"], i["code"], i.get("line"), i["message"]) for i in issues(result)["spec:notifications"]]
    assert got == ([expected] if expected else [])
    assert all(i["path"] == SPEC for i in issues(result)["spec:notifications"])
    assert result.exit_code == (1 if expected and expected[0] == "ERROR" else 0)


def test_a_task_id_used_twice_points_at_both_lines(repo: Repo, good_files: dict[str, str | bytes]) -> None:
    good_files["openspec/changes/add-webhooks/tasks.md"] = "## 1. Build\n\n- [x] 1.1 Do\n- [ ] 1.1 Again\n"
    repo(good_files)
    result = run("validate", "add-webhooks", "--json")
    assert [(i["level"], i["code"], i.get("line"), i["path"], i["message"])
            for i in issues(result)["change:add-webhooks"]] == [
        ("WARNING", "task-duplicate-id", 4, "openspec/changes/add-webhooks/tasks.md",
         'task id "1.1" is used twice (first on line 3)')]


def test_a_change_named_with_a_byte_that_is_not_utf8_validates_and_archives(
        repo: Repo, good_files: dict[str, str | bytes]) -> None:
    """Linux allows any byte in a folder name. A change so named that creates a spec is checked,
    shown and archived; the new spec's placeholder Purpose names it with the escape `spec list`
    shows (the spec text is UTF-8), and its length is counted as the reference counts it."""
    root = repo(good_files)
    name = os.fsdecode(b"ch-\xff")
    folder = root / "openspec/changes" / name
    (root / "openspec/changes/add-webhooks").rename(folder)
    (folder / "specs/notifications").rename(folder / "specs/brand-new")
    (folder / "specs/brand-new/spec.md").write_text(
        "## ADDED Requirements\n\n### Requirement: Fresh\nThe system SHALL start fresh.\n\n"
        "#### Scenario: Fresh start\n- **WHEN** it starts\n- **THEN** it is fresh\n", encoding="utf-8")
    spec = Path(sys.executable).with_name("spec")
    env = dict(os.environ, NO_COLOR="1", PYTHONDONTWRITEBYTECODE="1")
    for args in (["validate", "--all"], ["show", name, "--diff"], ["docs", "build"], ["archive", name, "--yes"]):
        done = subprocess.run([str(spec), *args], cwd=root, env=env, capture_output=True, check=False, timeout=120)
        assert done.returncode == 0, (args, done.stdout, done.stderr)
        assert b"Traceback" not in done.stderr
    created = (root / "openspec/specs/brand-new/spec.md").read_text(encoding="utf-8")
    assert "TBD - created by archiving change ch-\\udcff. Update Purpose after archive." in created


def test_lengths_count_a_lone_surrogate_as_javascript_does() -> None:
    """A name from a file name that is not UTF-8 holds lone surrogates: one UTF-16 unit each."""
    from specledger.rules.text import js_length

    assert js_length(os.fsdecode(b"ch-\xff")) == 4
    assert js_length("a\U0001F600") == 3  # a character outside the BMP is two units

"""The CLI as a user drives it, through click's CliRunner (stdout and stderr kept apart)."""

from __future__ import annotations

import json
import os
import pty
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from specledger.cli.main import cli
from specledger.report import github

SPEC = Path(sys.executable).with_name("spec")  # the venv's console script

Repo = Callable[[dict[str, str | bytes]], Path]


def run(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args), catch_exceptions=False, env={"NO_COLOR": "1"})


def test_validate_valid_change_exits_zero(repo: Repo, good_files: dict[str, str | bytes]) -> None:
    repo(good_files)
    result = run("validate", "add-webhooks", "--strict")
    assert result.exit_code == 0, result.output
    assert "ok   change add-webhooks" in result.stdout


def test_validate_json_keeps_reference_shape(repo: Repo, good_files: dict[str, str | bytes]) -> None:
    repo(good_files)
    result = run("validate", "--all", "--json")
    data = json.loads(result.stdout)
    assert {i["id"]: i["valid"] for i in data["items"]} == {"add-webhooks": True, "notifications": True}
    assert data["summary"]["totals"] == {"items": 2, "passed": 2, "failed": 0}
    assert set(data["summary"]["byType"]) == {"change", "spec"}
    assert data["version"] == "1.0"


def test_text_output_points_at_file_and_line(repo: Repo, good_files: dict[str, str | bytes]) -> None:
    good_files["openspec/changes/add-webhooks/specs/notifications/spec.md"] = (
        "## ADDED Requirements\n\n### Requirement: Webhook delivery\nThe system posts payloads.\n\n"
        "#### Scenario: Posted\n- **WHEN** x\n- **THEN** y\n"
    )
    repo(good_files)
    result = run("validate", "add-webhooks", "--strict")
    assert result.exit_code == 1
    assert ("openspec/changes/add-webhooks/specs/notifications/spec.md:3: WARNING" in result.stdout)
    assert "[requirement-no-shall]" in result.stdout
    assert "1 invalid" in result.stdout


# A change folder name may hold any byte but "/" and NUL: these five characters each end or
# split a GitHub workflow command if they are not escaped.
ODD_CHANGE = "a%b,c:d\r\ne"
ODD_CHANGE_IN_PROPERTY = "a%25b%2Cc%3Ad%0D%0Ae"


def test_github_escaping_of_data_and_properties() -> None:
    """The workflow-command escapes, exactly: data escapes %, CR and LF; a property also , and :."""
    assert github.escape_data("100% a,b: c\r\nd") == "100%25 a,b: c%0D%0Ad"
    assert github.escape_property("100% a,b: c\r\nd") == "100%25 a%2Cb%3A c%0D%0Ad"
    assert github.escape_property("%2C") == "%252C"  # escaped once, never read back as an escape


def test_github_format_escapes_annotations(repo: Repo, good_files: dict[str, str | bytes]) -> None:
    good_files[f"openspec/changes/{ODD_CHANGE}/proposal.md"] = good_files.pop(
        "openspec/changes/add-webhooks/proposal.md")
    good_files[f"openspec/changes/{ODD_CHANGE}/specs/notifications/spec.md"] = (
        "## ADDED Requirements\n\n### Requirement: 100% up, always: yes\nThe system posts payloads.\n\n"
        "#### Scenario: Posted\n- **WHEN** x\n- **THEN** y\n"
    )
    del good_files["openspec/changes/add-webhooks/specs/notifications/spec.md"]
    del good_files["openspec/changes/add-webhooks/tasks.md"]
    repo(good_files)
    result = run("validate", "--changes", "--format", "github")
    assert result.exit_code == 0, result.output  # warnings only, not strict
    annotations = [ln for ln in result.stdout.split("\n") if ln.startswith("::")]
    assert annotations[0] == (
        f"::warning file=openspec/changes/{ODD_CHANGE_IN_PROPERTY}/specs/notifications/spec.md,line=3,"
        f"title=requirement-no-shall (change {ODD_CHANGE_IN_PROPERTY})"
        '::ADDED "100%25 up, always: yes" should state a SHALL or MUST (upper case) in its text'
    )
    # every annotation is one line with exactly two "::" (the command's own) and no raw CR
    assert all(ln.count("::") == 2 and "\r" not in ln for ln in annotations)


def _spec_on_a_terminal(root: Path, *args: str, env: dict[str, str]) -> bytes:
    """Run the real ``spec`` with stdout on a pseudo-terminal; return what it printed there."""
    primary, secondary = pty.openpty()
    try:
        proc = subprocess.run([str(SPEC), *args], cwd=root, env=env, stdout=secondary,
                              stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL, timeout=120,
                              check=False)
        os.close(secondary)
        secondary = -1
        assert proc.returncode == 1
        chunks = []
        while True:
            try:
                chunk = os.read(primary, 65536)
            except OSError:  # EIO: the terminal's other end is closed and drained
                break
            if not chunk:
                break
            chunks.append(chunk)
        return b"".join(chunks)
    finally:
        os.close(primary)
        if secondary >= 0:
            os.close(secondary)


def test_colour_on_a_terminal_only_and_never_when_switched_off(
    repo: Repo, good_files: dict[str, str | bytes]
) -> None:
    good_files["openspec/changes/add-webhooks/proposal.md"] = "# x\n"
    root = repo(good_files)
    env = {k: v for k, v in os.environ.items() if k != "NO_COLOR"}
    on_tty = _spec_on_a_terminal(root, "validate", "--all", env=env)
    assert b"\x1b[" in on_tty and b"FAIL" in on_tty
    assert b"\x1b[" not in _spec_on_a_terminal(root, "validate", "--all", env={**env, "NO_COLOR": "1"})
    no_color = _spec_on_a_terminal(root, "--no-color", "validate", "--all", env=env)
    assert b"\x1b[" not in no_color and b"FAIL" in no_color
    piped = subprocess.run([str(SPEC), "validate", "--all"], cwd=root, env=env, capture_output=True,
                           timeout=120, check=False)
    assert piped.returncode == 1 and b"FAIL" in piped.stdout
    assert b"\x1b[" not in piped.stdout
    # click.echo strips colour off a terminal by itself; with that switched off (color=True), our own
    # terminal check must still keep it out of output that is not a terminal
    unstripped = CliRunner().invoke(cli, ["validate", "--all"], env={"NO_COLOR": None}, color=True)
    assert unstripped.exit_code == 1 and "FAIL" in unstripped.stdout
    assert "\x1b[" not in unstripped.stdout


def test_unknown_item_suggests_nearest(repo: Repo, good_files: dict[str, str | bytes]) -> None:
    repo(good_files)
    result = run("validate", "add-webhook")
    assert result.exit_code == 2
    assert "unknown change or spec 'add-webhook'" in result.stderr
    assert "did you mean: add-webhooks" in result.stderr


def test_ambiguous_item_needs_type(repo: Repo, good_files: dict[str, str | bytes]) -> None:
    good_files["openspec/changes/notifications/proposal.md"] = good_files["openspec/changes/add-webhooks/proposal.md"]
    good_files["openspec/changes/notifications/specs/notifications/spec.md"] = good_files[
        "openspec/changes/add-webhooks/specs/notifications/spec.md"]
    repo(good_files)
    result = run("validate", "notifications")
    assert result.exit_code == 2
    assert "both a change and a spec" in result.stderr
    assert run("validate", "notifications", "--type", "spec").exit_code == 0


def test_nothing_to_validate_is_a_usage_error(repo: Repo, good_files: dict[str, str | bytes]) -> None:
    repo(good_files)
    result = run("validate")
    assert result.exit_code == 2
    assert "nothing to validate" in result.stderr


def test_unknown_option_is_a_usage_error(repo: Repo, good_files: dict[str, str | bytes]) -> None:
    repo(good_files)
    assert CliRunner().invoke(cli, ["validate", "--bogus"]).exit_code == 2


def test_no_workspace(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    result = run("list")
    assert result.exit_code == 2
    assert "no specledger workspace found" in result.stderr


def test_list_shows_progress_and_complete(repo: Repo, good_files: dict[str, str | bytes]) -> None:
    good_files["openspec/changes/done-one/proposal.md"] = good_files["openspec/changes/add-webhooks/proposal.md"]
    good_files["openspec/changes/done-one/tasks.md"] = "- [x] 1.1 a\n- [X] 1.2 b\n"
    repo(good_files)
    result = run("list", "--sort", "name")
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert lines[0] == "Changes:"
    assert "add-webhooks" in lines[1] and "1/2 tasks" in lines[1]
    assert "done-one" in lines[2] and "complete" in lines[2]
    data = json.loads(run("list", "--json").stdout)
    statuses = {c["name"]: (c["completedTasks"], c["totalTasks"], c["status"]) for c in data["changes"]}
    assert statuses == {"add-webhooks": (1, 2, "in-progress"), "done-one": (2, 2, "complete")}


@pytest.mark.scenario("validation", "A checkbox in a code example")
def test_fenced_checkboxes_are_not_tasks(repo: Repo, good_files: dict[str, str | bytes]) -> None:
    good_files["openspec/changes/add-webhooks/tasks.md"] = (
        "- [x] 1.1 real\n\n```markdown\n- [ ] an example, not a task\n```\n+ [ ] 1.2 other\n1. [x] 1.3 numbered\n"
    )
    repo(good_files)
    data = json.loads(run("list", "--json").stdout)
    assert data["changes"][0]["completedTasks"] == 2
    assert data["changes"][0]["totalTasks"] == 3


def test_list_specs_counts_requirements(repo: Repo, good_files: dict[str, str | bytes]) -> None:
    repo(good_files)
    data = json.loads(run("list", "--specs", "--json").stdout)
    assert data["specs"] == [{"id": "notifications", "requirementCount": 1}]


def test_show_change_json_and_spec_filters(repo: Repo, good_files: dict[str, str | bytes]) -> None:
    repo(good_files)
    change = json.loads(run("show", "add-webhooks", "--json").stdout)
    assert change["title"] == "Add webhooks"
    assert change["deltaCount"] == 1
    assert change["deltas"][0]["operation"] == "ADDED"
    spec = json.loads(run("show", "notifications", "--json", "--no-scenarios").stdout)
    assert spec["requirements"][0]["scenarios"] == []
    assert run("show", "notifications", "--json", "-r", "5").exit_code == 2
    text = run("show", "add-webhooks")
    assert text.stdout.startswith("# Change: Add webhooks")


def test_nested_capabilities(repo: Repo, good_files: dict[str, str | bytes]) -> None:
    spec = good_files.pop("openspec/specs/notifications/spec.md")
    good_files["openspec/specs/billing/invoices/spec.md"] = spec
    good_files["openspec/specs/spec.md"] = "ignored: a spec.md at the top of specs/ is not a capability"
    repo(good_files)
    data = json.loads(run("list", "--specs", "--json").stdout)
    assert [s["id"] for s in data["specs"]] == ["billing/invoices"]
    assert run("validate", "billing/invoices", "--strict").exit_code == 0


def test_overlapping_changes_are_reported(repo: Repo, good_files: dict[str, str | bytes]) -> None:
    modified = (
        "## MODIFIED Requirements\n\n### Requirement: Send email\nThe system SHALL send an email per event.\n\n"
        "#### Scenario: Event happens\n- **WHEN** an event occurs\n- **THEN** an email is sent\n"
    )
    for name in ("one", "two"):
        good_files[f"openspec/changes/{name}/proposal.md"] = good_files["openspec/changes/add-webhooks/proposal.md"]
        good_files[f"openspec/changes/{name}/specs/notifications/spec.md"] = modified
    repo(good_files)
    data = json.loads(run("validate", "--changes", "--json").stdout)
    codes = {i["id"]: [x["code"] for x in i["issues"]] for i in data["items"]}
    assert "change-overlap" in codes["one"] and "change-overlap" in codes["two"]
    assert "change-overlap" not in codes["add-webhooks"]
    # one change alone is not compared with anything
    assert run("validate", "one", "--strict").exit_code == 0


def test_pyproject_layout(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                          good_files: dict[str, str | bytes]) -> None:
    (tmp_path / "pyproject.toml").write_text('[tool.specledger]\nspecs_dir = "docs/specs"\n')
    (tmp_path / "docs/specs/a").mkdir(parents=True)
    (tmp_path / "docs/specs/a/spec.md").write_text(str(good_files["openspec/specs/notifications/spec.md"]))
    (tmp_path / "sub").mkdir()
    monkeypatch.chdir(tmp_path / "sub")
    result = run("validate", "--specs", "--strict")
    assert result.exit_code == 0, result.output
    assert "docs/specs/a/spec.md" not in result.stdout  # valid: no findings to point at
    assert "ok   spec a" in result.stdout


def test_new_change_scaffold(repo: Repo, good_files: dict[str, str | bytes]) -> None:
    root = repo(good_files)
    result = run("new", "change", "add-login", "--description", "x" * 60)
    assert result.exit_code == 0, result.output
    folder = root / "openspec/changes/add-login"
    assert (folder / ".openspec.yaml").read_text().startswith("schema: spec-driven\ncreated: ")
    assert "x" * 60 in (folder / "proposal.md").read_text()
    # the scaffold's only error is the deltas still to write; every blank it leaves is a warning
    issues = json.loads(run("validate", "add-login", "--json").stdout)["items"][0]["issues"]
    assert [i["code"] for i in issues if i["level"] == "ERROR"] == ["change-no-deltas"]
    blanks = [i for i in issues if i["level"] == "WARNING"]
    assert blanks and all(i["code"] == "placeholder-unfilled" and i["line"] for i in blanks)
    assert run("new", "change", "add-login").exit_code == 1
    assert run("new", "change", "../escape").exit_code == 2
    assert not (root / "openspec/escape").exists()


def test_retiring_a_capability_leaves_no_empty_folder(repo: Repo, good_files: dict[str, str | bytes]) -> None:
    """The README's promise: a retired capability's folders go, up to the first one still in use."""
    spec = str(good_files.pop("openspec/specs/notifications/spec.md"))
    good_files["openspec/specs/billing/invoices/fax/spec.md"] = spec
    good_files["openspec/specs/billing/README.md"] = "billing notes, not a spec\n"
    good_files["openspec/changes/add-webhooks/.openspec.yaml"] = "schema: spec-driven\nretire_capabilities: true\n"
    good_files["openspec/changes/add-webhooks/tasks.md"] = "- [x] 1.1 Done\n"
    del good_files["openspec/changes/add-webhooks/specs/notifications/spec.md"]
    good_files["openspec/changes/add-webhooks/specs/billing/invoices/fax/spec.md"] = (
        "## REMOVED Requirements\n\n### Requirement: Send email\n"
    )
    root = repo(good_files)
    assert run("validate", "add-webhooks", "--strict").exit_code == 0
    result = run("archive", "add-webhooks", "--yes")
    assert result.exit_code == 0, result.output
    assert not (root / "openspec/specs/billing/invoices").exists()  # fax/ and invoices/ emptied: gone
    assert (root / "openspec/specs/billing/README.md").is_file()  # billing/ still holds a file: kept


def test_findings_report_lists_only_items_with_findings(repo: Repo, good_files: dict[str, str | bytes]) -> None:
    """``--report findings``: the reference's findings-only JSON, every key checked."""
    good_files["openspec/changes/add-webhooks/proposal.md"] = "# x\n"
    root = repo(good_files)
    result = run("validate", "--all", "--json", "--report", "findings")
    assert result.exit_code == 1
    proposal = "openspec/changes/add-webhooks/proposal.md"
    assert json.loads(result.stdout) == {
        "report": {"kind": "validation-findings", "version": "1.0", "scope": "all",
                   "returnedItems": 1, "totalItems": 2},
        "itemFindings": [{"id": "add-webhooks", "type": "change", "valid": False, "issues": [
            {"level": "ERROR", "code": "proposal-why-missing", "path": proposal,
             "message": "the proposal has no '## Why' section (or it is empty): say why this change is needed"},
            {"level": "ERROR", "code": "proposal-what-missing", "path": proposal,
             "message": "the proposal has no '## What Changes' section (or it is empty): list what the change does"},
        ]}],
        "summary": {"totals": {"items": 2, "passed": 1, "failed": 1},
                    "byType": {"change": {"items": 1, "passed": 0, "failed": 1},
                               "spec": {"items": 1, "passed": 1, "failed": 0}}},
        "root": {"path": str(root), "source": "nearest"},
    }


@pytest.mark.parametrize("flag", ["--version", "-V"])
def test_the_version_fast_path_prints_what_click_prints(flag: str, tmp_path: Path) -> None:
    """`spec --version` is answered without importing click; its line must stay click's."""
    expected = run(flag).output
    script = Path(sys.executable).parent / "spec"
    proc = subprocess.run([str(script), flag], capture_output=True, text=True, cwd=tmp_path, check=False)
    assert (proc.returncode, proc.stdout, proc.stderr) == (0, expected, "")
    code = (f"import sys\nfrom specledger.cli import main\nsys.argv = ['spec', {flag!r}]\n"
            "try:\n    main()\nexcept SystemExit:\n    pass\nprint('click' in sys.modules)")
    probe = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert probe.stdout.splitlines()[-1] == "False"


def test_the_version_fast_path_with_stdout_closed_says_so(tmp_path: Path) -> None:
    script = Path(sys.executable).parent / "spec"
    proc = subprocess.run([str(script), "--version"], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                          cwd=tmp_path, check=False, close_fds=True, preexec_fn=lambda: os.close(1))
    assert proc.returncode == 2
    assert "standard output is closed" in proc.stderr


def test_a_file_error_no_command_caught_names_the_file_not_the_output(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capfd: pytest.CaptureFixture[str]) -> None:
    """An OSError on a named file that escapes a command is reported as that file's error (exit 2),
    not as a failure to write the output."""
    from specledger.cli.main import main
    from specledger.workspace import Workspace

    (tmp_path / "openspec/changes").mkdir(parents=True)
    monkeypatch.chdir(tmp_path)

    def refuse(self: Workspace) -> list[str]:
        raise PermissionError(13, "Permission denied", str(tmp_path / "openspec/changes"))

    monkeypatch.setattr(Workspace, "change_names", refuse)
    with pytest.raises(SystemExit) as exited:
        main(["list"])
    assert exited.value.code == 2
    err = capfd.readouterr().err
    assert f"spec: error: {tmp_path / 'openspec/changes'}: Permission denied" in err
    assert "cannot write the output" not in err

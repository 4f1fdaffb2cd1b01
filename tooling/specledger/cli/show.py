"""``spec show``: a change (its proposal, its parsed deltas, or its redline) or a spec (its requirements)."""

from __future__ import annotations

import json
from typing import Any

import click

from specledger.cli.common import complete_items, handles_errors, open_workspace, use_color
from specledger.errors import SpecledgerError
from specledger.escape import printable, printable_lines
from specledger.inventory import change_details, proposal_text, spec_details
from specledger.items import archived_folder, resolve
from specledger.report.jsonout import root_data
from specledger.workspace import Workspace

_DIFF_STYLES = (("+++", {"bold": True}), ("---", {"bold": True}), ("@@", {"fg": "cyan"}),
                ("+", {"fg": "green"}), ("-", {"fg": "red"}))


def _colour_diff(diff: str) -> str:
    out = []
    for line in diff.splitlines(keepends=True):
        style = next((st for prefix, st in _DIFF_STYLES if line.startswith(prefix)), None)
        body, end = (line[:-1], "\n") if line.endswith("\n") else (line, "")
        out.append((click.style(body, **style) if style else body) + end)
    return "".join(out)


def _show_diff(workspace: Workspace, name: str, as_json: bool, color: bool) -> None:
    """The change's redline as unified diffs, from the same plan archive would carry out."""
    from specledger.archive.apply import preview
    from specledger.archive.plan import build_plan

    plan = build_plan(workspace, name)
    diffs = preview(workspace, plan)
    if as_json:
        payload = {"id": name, "skipSpecs": plan.skip_specs, "diffs": [{"spec": s, "diff": d} for s, d in diffs],
                   "root": root_data(workspace)}
        click.echo(json.dumps(payload, indent=2, ensure_ascii=False))
        return
    if plan.skip_specs:
        click.echo(printable(f"spec: change '{name}' declares no spec changes (skip_specs)"), err=True)
    elif not diffs:
        click.echo(printable(f"spec: archiving '{name}' would change no spec text"), err=True)
    for _spec_id, diff in diffs:
        # The headers name the file through printable() already (``preview``); the lines carry
        # the specs' own text, escaped within each line so the diff keeps its shape.
        shown = printable_lines(diff)
        click.echo(_colour_diff(shown) if color else shown, nl=False)


def _show_history(workspace: Workspace, spec_id: str, as_json: bool) -> None:
    """Each requirement of the spec with what archived changes did to it."""
    from specledger.history import build_history
    from specledger.parse.blocks import split_requirements
    from specledger.parse.files import UnreadableFile
    from specledger.validate import Validator

    validator = Validator(workspace)
    try:
        doc = validator.main_doc(spec_id)
    except UnreadableFile as err:
        raise SpecledgerError(f"cannot read the spec: {err.reason}", path=workspace.rel(err.path),
                              code="unreadable") from err
    history = build_history(validator)
    names = [b.name for b in split_requirements(doc).blocks] if doc is not None else []
    rows: list[dict[str, Any]] = []
    first: dict[str, int] = {}  # name -> its first requirement's number (1-based)
    for number, name in enumerate(names, start=1):
        if name in first:
            # A name the spec repeats (an error `validate` reports) has one lineage: listed once,
            # so that N copies of a name with M events print N + M lines, not N x M.
            rows.append({"requirement": name, "history": [], "same_as": first[name]})
            continue
        first[name] = number
        lineage = history.of(spec_id, name)
        events = lineage.events if lineage else []
        rows.append({"requirement": name, "history": [
            {"kind": e.kind, "date": e.date, "archive": e.archive, **({"from": e.old_name} if e.old_name else {})}
            for e in events]})
    if as_json:
        click.echo(json.dumps({"id": spec_id, "requirements": rows, "root": root_data(workspace)}, indent=2,
                              ensure_ascii=False))
        return
    for row in rows:
        click.echo(printable(row["requirement"]))
        if "same_as" in row:
            click.echo(f"  (the same name as requirement {row['same_as']}; its history is listed there)")
        elif not row["history"]:
            click.echo("  (no archived change records it)")
        for event in row["history"]:
            extra = f" from \u201c{event['from']}\u201d" if "from" in event else ""
            click.echo(printable(f"  {event['date'] or 'undated'}  {event['kind']:<8} {event['archive']}{extra}"))


@click.command("show")
@click.argument("item", shell_complete=complete_items)
@click.option("--json", "as_json", is_flag=True, help="JSON on stdout.")
@click.option("--type", "item_type", type=click.Choice(["change", "spec"]), help="Say what ITEM is when ambiguous.")
@click.option("--deltas-only", "--requirements-only", "deltas_only", is_flag=True,
              help="For a change: only the parsed deltas.")
@click.option("--requirements", is_flag=True, help="For a spec: requirements only (no overview).")
@click.option("--no-scenarios", is_flag=True, help="For a spec: leave scenarios out.")
@click.option("-r", "--requirement", type=int, default=None, help="For a spec: only requirement N (1-based).")
@click.option("--diff", is_flag=True,
              help="For a change: a unified diff of every spec archive would change (writes nothing).")
@click.option("--history", is_flag=True, help="For a spec: what archived changes did to each requirement.")
@click.option("--no-interactive", is_flag=True, hidden=True, help="Accepted for compatibility.")
@click.pass_context
@handles_errors
def show(ctx: click.Context, item: str, as_json: bool, item_type: str | None, deltas_only: bool,
         requirements: bool, no_scenarios: bool, requirement: int | None, diff: bool, history: bool,
         no_interactive: bool) -> None:
    """Show a change or a spec.

    \b
    Examples:
      spec show add-login                 the change's proposal
      spec show add-login --json          its parsed deltas as JSON
      spec show notifications --json -r 2
      spec show add-login --diff          what archiving it would change, as diffs
      spec show notifications --history   when each requirement was added or changed
    """
    workspace = open_workspace()
    try:
        kind = resolve(workspace, item, item_type)  # type: ignore[arg-type]
    except SpecledgerError as err:
        folder = archived_folder(workspace, item) if item_type != "spec" and err.code == "unknown_item" else None
        if folder is None:
            raise
        if diff or history or requirements or no_scenarios or requirement is not None:
            raise SpecledgerError("an archived change shows its proposal (or --json, --deltas-only); "
                                  "--diff and the spec options do not apply", code="invalid_option") from err
        _show_archived(workspace, folder, as_json, deltas_only)
        return
    if diff and kind != "change":
        raise SpecledgerError("--diff applies to changes, not specs", code="invalid_option")
    if history and kind != "spec":
        raise SpecledgerError("--history applies to specs, not changes", code="invalid_option")
    if kind == "change":
        if diff:
            _show_diff(workspace, item, as_json, use_color(ctx))
            return
        if requirements or no_scenarios or requirement is not None:
            raise SpecledgerError("--requirements, --no-scenarios and -r apply to specs, not changes",
                                  code="invalid_option")
        if as_json or deltas_only:
            data = change_details(workspace, item)
            if deltas_only and not as_json:
                for delta in data["deltas"]:
                    click.echo(printable(f"{delta['operation']:<9} {delta['spec']}: {delta['description']}"))
                return
            if deltas_only:
                data = {"id": data["id"], "title": data["title"], "deltaCount": data["deltaCount"],
                        "deltas": data["deltas"]}
            click.echo(json.dumps({**data, "root": root_data(workspace)}, indent=2, ensure_ascii=False))
        else:
            click.echo(printable_lines(proposal_text(workspace, item)), nl=False)
        return
    if history:
        _show_history(workspace, item, as_json)
        return
    data = spec_details(workspace, item, scenarios=not no_scenarios, requirement=requirement)
    if requirements:
        data = {"id": data["id"], "requirementCount": data["requirementCount"], "requirements": data["requirements"]}
    if as_json:
        click.echo(json.dumps({**data, "root": root_data(workspace)}, indent=2, ensure_ascii=False))
        return
    _show_spec_text(workspace, item, overview=not requirements, scenarios=not no_scenarios, only=requirement)


def _show_archived(workspace: Workspace, folder: str, as_json: bool, deltas_only: bool) -> None:
    """An archived change: its proposal, or its recorded deltas."""
    from specledger.workspace import ARCHIVE_DIRNAME

    if as_json or deltas_only:
        data = change_details(workspace, f"{ARCHIVE_DIRNAME}/{folder}")
        data["id"] = folder
        if deltas_only and not as_json:
            for delta in data["deltas"]:
                click.echo(printable(f"{delta['operation']:<9} {delta['spec']}: {delta['description']}"))
            return
        click.echo(json.dumps({**data, "archived": True, "root": root_data(workspace)}, indent=2, ensure_ascii=False))
        return
    click.echo(printable(f"(archived as {workspace.rel(workspace.archive_dir / folder)})"), err=True)
    click.echo(printable_lines(proposal_text(workspace, f"{ARCHIVE_DIRNAME}/{folder}")), nl=False)


def _scenario_marks(workspace: Workspace, spec_id: str) -> dict[str, str]:
    """Scenario title -> a mark from the last test run (untested, failing, suspect), when there is one."""
    from specledger.cli.coverage import DEFAULT_RUN
    from specledger.traceability import LINKS_FILE, build_index, coverage, load_links, load_run

    run = workspace.root / DEFAULT_RUN
    if not run.is_file():
        return {}
    try:
        report = coverage(build_index(workspace), load_run(run), load_links(workspace.root / LINKS_FILE))
    except SpecledgerError:
        return {}
    marks = {}
    for entry in report.scenarios:
        if entry.ref.capability != spec_id:
            continue
        if entry.suspect:
            marks[entry.ref.scenario] = "suspect: its text changed since its tests were confirmed"
        elif entry.status != "passing":
            marks[entry.ref.scenario] = {"untested": "untested", "failing": "its tests fail",
                                         "skipped": "its tests were skipped"}[entry.status]
    return marks


def _show_spec_text(workspace: Workspace, spec_id: str, *, overview: bool, scenarios: bool, only: int | None) -> None:
    """The spec as a reader expects it: title, Purpose, then each requirement with its scenarios."""
    from specledger.parse.blocks import split_requirements
    from specledger.parse.files import UnreadableFile, read_markdown
    from specledger.parse.spec import read_spec
    from specledger.traceability import scenario_title

    path = workspace.spec_path(spec_id)
    try:
        doc = read_markdown(path)
    except UnreadableFile as err:
        raise SpecledgerError(f"cannot read the spec: {err.reason}", path=workspace.rel(path),
                              code="unreadable") from err
    spec = read_spec(spec_id, path, doc)
    blocks = split_requirements(doc).blocks
    marks = _scenario_marks(workspace, spec_id) if scenarios else {}
    lines = [spec.title, ""]
    if overview and spec.purpose:
        lines += ["Purpose", *(f"  {line}" for line in spec.purpose.splitlines()), ""]
    for number, block in enumerate(blocks, start=1):
        if only is not None and number != only:
            continue
        lines.append(f"Requirement {number}: {block.name}")
        lines += [f"  {line}" for line in block.body]
        if scenarios:
            for scenario in block.scenarios:
                title = scenario_title(scenario.name)
                mark = f"  [{marks[title]}]" if title in marks else ""
                lines += ["", f"  Scenario: {title}{mark}"]
                lines += [f"    {line.rstrip()}" for line in scenario.text.splitlines() if line.strip()]
        lines.append("")
    click.echo("\n".join(printable(line) for line in lines).rstrip() + "\n", nl=False)

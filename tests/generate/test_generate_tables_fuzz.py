"""Issue 9, item 5: any Default or Type cell in the settings table, and any Default in the
deployment table, ends in exit 0 (and files every reader accepts) or exit 2 with the spec's file
and the row's line; never a traceback, never a partial write."""

from __future__ import annotations

import tomllib

from generate_support import OUTPUTS, SPEC_REL, Project, difference, snapshot
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

QUEUE_ROW = "| `SENTRY_TRANSPORT_QUEUE_SIZE` | `10000` | integer >= 100 |"
PORT_ROW = "| `RUNTIME_PORT` | `8080` | no |"

cell_text = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="|`\r\n"),
    max_size=30,
)
numbers = st.one_of(
    st.integers(min_value=-(10**80), max_value=10**80).map(str),
    st.integers(min_value=4000, max_value=6000).map(lambda n: "9" * n),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.sampled_from(["1e999", "-1e999", "nan", "inf", "0x10", "1_000", "\u0661\u0660\u0660", "+0"]),
)
defaults = st.one_of(numbers, cell_text)
types = st.one_of(
    st.sampled_from(["integer", "float", "boolean", "string", "dsn", "one of: a, b"]),
    st.builds(lambda k, op, n: f"{k} {op} {n}", st.sampled_from(["integer", "float"]),
              st.sampled_from([">=", "<="]), numbers),
    st.builds(lambda k, lo, hi: f"{k} {lo}..{hi}", st.sampled_from(["integer", "float"]),
              numbers, numbers),
    cell_text,
)  # fmt: skip


def _row_line(project: Project, start: str) -> int:
    lines = project.spec.read_text(encoding="utf-8").split("\n")
    return next(n for n, line in enumerate(lines, start=1) if line.startswith(start))


@settings(
    max_examples=150,
    deadline=5_000,  # generous: one generate takes ~50 ms; a super-linear blow-up takes far longer
    suppress_health_check=[HealthCheck.function_scoped_fixture],  # the spec is reset per example
)
@given(default=defaults, kind=types, env_default=defaults, which=st.sampled_from(["setting", "env"]))
def test_any_table_value_ends_in_files_or_a_located_error(
    generated: Project, default: str, kind: str, env_default: str, which: str
) -> None:
    original = generated.spec.read_text(encoding="utf-8")
    try:
        if which == "setting":
            edited = original.replace(QUEUE_ROW, f"| `SENTRY_TRANSPORT_QUEUE_SIZE` | {default} | {kind} |")
            start = "| `SENTRY_TRANSPORT_QUEUE_SIZE`"
        else:
            edited = original.replace(PORT_ROW, f"| `RUNTIME_PORT` | {env_default} | no |")
            start = "| `RUNTIME_PORT`"
        generated.spec.write_text(edited, encoding="utf-8")
        before = snapshot(generated.root)
        result = generated.run("generate")  # catch_exceptions=False: a traceback fails the test
        assert result.exit_code in (0, 2), result.stderr
        event(f"{which}: exit {result.exit_code}")
        if result.exit_code == 2:
            assert f"spec: error: {SPEC_REL}:{_row_line(generated, start)}: " in result.stderr
            assert len(result.stderr) < 1000
            after = snapshot(generated.root)
            assert after == before, difference(before, after)
        else:
            tomllib.loads((generated.root / OUTPUTS[0]).read_text(encoding="utf-8"))
    finally:
        generated.spec.write_text(original, encoding="utf-8")

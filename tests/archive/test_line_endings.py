"""Archive keeps a spec's line endings line by line: a mixed file is not turned all CRLF."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from scenario import CLI_CHANGE, make_cli_tree
from specledger.archive.merge import encode_like
from specledger.cli.main import cli

SPEC = "openspec/specs/notifications/spec.md"


def test_mixed_endings_survive_archive(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    make_cli_tree(tmp_path)
    spec = tmp_path / SPEC
    lines = spec.read_bytes().decode().split("\n")[:-1]
    # CRLF on most lines, LF on the Purpose text and on the scenario's last line
    endings = ["\n" if ("Describes how" in line or "e-mail is sent" in line) else "\r\n" for line in lines]
    old = "".join(line + end for line, end in zip(lines, endings, strict=True)).encode()
    spec.write_bytes(old)
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(cli, ["archive", CLI_CHANGE, "--yes"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    new = spec.read_bytes()
    kept = dict(zip(lines, endings, strict=True))
    for raw in new.split(b"\n")[:-1]:
        line = raw.decode()
        text = line.removesuffix("\r")
        ending = "\r\n" if line.endswith("\r") else "\n"
        if text in kept and text.strip():
            assert ending == kept[text], f"{text!r} changed its line ending"
        elif text.strip():
            assert ending == "\r\n", f"new line {text!r} did not get the file's usual ending"
    assert b"### Requirement: Webhook Delivery\r\n" in new


@pytest.mark.parametrize(("old", "want"), [
    ("a\r\nb\r\n", b"a\r\nb\r\nc\r\n"),  # one kind: everywhere
    ("a\nb\n", b"a\nb\nc\n"),
    ("a\r\nb\nx\r\n", b"a\r\nb\nc\r\n"),  # mixed: kept lines keep theirs, the new one gets CRLF
])
def test_encode_like(old: str, want: bytes) -> None:
    assert encode_like("a\nb\nc\n", old, False) == want

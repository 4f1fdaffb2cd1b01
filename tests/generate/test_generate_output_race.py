"""A generated file swapped for a FIFO after it was checked is refused, not waited on."""

from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest
from specledger.errors import SpecledgerError
from specledger.generate import output


def test_a_fifo_that_slipped_past_the_check_is_refused_at_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fifo = tmp_path / "settings.toml"
    os.mkfifo(fifo)
    monkeypatch.setattr(output, "require_regular_file", lambda *args: True)  # the check ran before the swap
    outcome: list[object] = []

    def read() -> None:
        try:
            outcome.append(output.current_text(fifo, "settings.toml"))
        except SpecledgerError as err:
            outcome.append(err)

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    reader.join(timeout=20)
    if reader.is_alive():  # free the blocked reader before failing
        os.close(os.open(fifo, os.O_WRONLY | os.O_NONBLOCK))
        pytest.fail("reading the generated file waited on the FIFO")
    (error,) = outcome
    assert isinstance(error, SpecledgerError)
    assert error.message == "cannot read the generated file: it is not a regular file (a FIFO, socket or device)"

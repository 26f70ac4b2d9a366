"""Progress bars appear on a terminal only, and never with --quiet."""

from __future__ import annotations

import io
import sys
from pathlib import Path

import pytest

from rekrut._progress import progress
from rekrut.cli import main

pytest.importorskip("tqdm")


class FakeTerminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_bar_on_a_terminal_only(monkeypatch: pytest.MonkeyPatch) -> None:
    terminal = FakeTerminal()
    monkeypatch.setattr(sys, "stderr", terminal)
    assert list(progress(range(5), total=5, desc="work", enabled=True)) == list(range(5))
    assert "work" in terminal.getvalue()
    pipe = io.StringIO()
    monkeypatch.setattr(sys, "stderr", pipe)
    assert list(progress(range(5), enabled=True)) == list(range(5))
    assert pipe.getvalue() == ""


def test_library_default_is_silent(monkeypatch: pytest.MonkeyPatch) -> None:
    terminal = FakeTerminal()
    monkeypatch.setattr(sys, "stderr", terminal)
    list(progress(range(3)))
    assert terminal.getvalue() == ""


@pytest.mark.parametrize(("flags", "shown"), [([], True), (["--quiet"], False)])
def test_cli_power_progress(
    examples: Path, monkeypatch: pytest.MonkeyPatch, flags: list[str], shown: bool
) -> None:
    terminal = FakeTerminal()
    monkeypatch.setattr(sys, "stderr", terminal)
    args = ["power", str(examples / "admin_ordlyd.toml"), "--lift", "0.2", "--postings", "60"]
    assert main([*args, "--replicates", "100", "--seed", "1", *flags]) == 0
    assert ("simulating" in terminal.getvalue()) is shown

"""Output files: one line and exit 2 when they cannot be written, no temporary file left."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

import rekrut as rk
from rekrut import io
from rekrut.cli import main

DEMO = Path(__file__).resolve().parents[1] / "src" / "rekrut" / "_examples" / "sosu_kanaltest.toml"


def _blocked(tmp_path: Path) -> dict[str, Path]:
    folder = tmp_path / "taken.html"
    folder.mkdir()
    (tmp_path / "plain").write_text("x", encoding="utf-8")
    return {
        "existing folder": folder,
        "parent is a file": tmp_path / "plain" / "r.md",
        "virtual file system": Path("/proc/rekrut-report.html"),
    }


@pytest.mark.parametrize("case", ["existing folder", "parent is a file", "virtual file system"])
@pytest.mark.parametrize("command", ["report", "simulate", "demo"])
def test_unwritable_outputs_are_one_line_and_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], case: str, command: str
) -> None:
    target = _blocked(tmp_path)[case]
    if command == "demo" and case == "existing folder":
        target = tmp_path / "plain"  # the demo writes into a folder: a file is in the way
    argv = {
        "report": ["report", str(DEMO), "--out", str(target)],
        "simulate": ["simulate", str(DEMO), "--postings", "20", "--out", str(target)],
        "demo": ["demo", "--out", str(target)],
    }[command]
    if command == "report" and target.suffix not in (".html", ".md"):
        argv[-1] = str(target / "r.html")
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert err.startswith("rekrut: error: ")
    # refused before writing (a folder where the file goes, a missing or non-folder parent) or
    # when the file system refuses the write: either way the line names the path and the cause
    assert any(
        cause in err
        for cause in (
            "cannot write the file",
            "this is a folder",
            "does not exist",
            "this is a file",
        )
    )
    assert not list(tmp_path.rglob(".*.tmp"))


def test_fsync_comes_before_the_rename(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    events: list[str] = []
    real_fsync, real_replace = os.fsync, Path.replace

    def fsync(fd: int) -> None:
        events.append("fsync")
        real_fsync(fd)

    def replace(self: Path, target: Path) -> Path:
        events.append("rename")
        return real_replace(self, target)

    monkeypatch.setattr(os, "fsync", fsync)
    monkeypatch.setattr(Path, "replace", replace)
    io.write_text_atomic(tmp_path / "a.txt", "hello")
    assert events[:2] == ["fsync", "rename"]
    assert (tmp_path / "a.txt").read_text(encoding="utf-8") == "hello"


def test_a_failed_write_leaves_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(fd: int) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", broken)
    with pytest.raises(rk.OutputError, match="No space left on device"):
        io.write_text_atomic(tmp_path / "a.txt", "x" * 1000)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.slow
def test_killed_report_writes_leave_no_partial_file(tmp_path: Path) -> None:
    """SIGTERM at random moments of `rekrut report`: the report is whole or absent, and no
    temporary file stays behind."""
    gen = random.Random(21)
    env = {**os.environ, "PYTHONPATH": str(DEMO.parents[2])}
    out = tmp_path / "r.html"
    killed = 0
    deadline = time.monotonic() + 25
    while time.monotonic() < deadline:
        out.unlink(missing_ok=True)
        process = subprocess.Popen(
            [sys.executable, "-m", "rekrut.cli", "report", str(DEMO), "--out", str(out)],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        time.sleep(gen.uniform(0.5, 4.0))
        process.send_signal(signal.SIGTERM)
        code = process.wait(timeout=60)
        killed += code != 0
        assert not list(tmp_path.glob(".*.tmp")), "a temporary file was left behind"
        if out.exists():
            assert out.read_text(encoding="utf-8").rstrip().endswith("</html>")
    assert killed > 0  # some runs were stopped mid-way


def test_sigterm_during_a_write_removes_the_temporary_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_fsync = os.fsync

    def terminated(fd: int) -> None:  # the signal arrives while the file is being written
        real_fsync(fd)
        os.kill(os.getpid(), signal.SIGTERM)

    monkeypatch.setattr(os, "fsync", terminated)
    out = tmp_path / "postings.csv"
    with pytest.raises(SystemExit) as info:
        main(["simulate", str(DEMO), "--postings", "50", "--out", str(out)])
    assert info.value.code == 128 + signal.SIGTERM
    assert list(tmp_path.iterdir()) == []
    assert signal.getsignal(signal.SIGTERM) is signal.SIG_DFL  # restored after the command


def _strict(text: str) -> object:
    def refuse(name: str) -> None:
        raise AssertionError(f"bare {name} in JSON output")

    return json.loads(text, parse_constant=refuse)


@pytest.mark.parametrize(
    "argv",
    [
        ["analyze", str(DEMO), "--format", "json", "--quiet"],
        ["analyze", str(DEMO), "--format", "json", "--method", "sequential", "--quiet"],
        ["check", str(DEMO), "--replications", "20", "--format", "json", "--quiet"],
        ["monitor", str(DEMO), "--format", "json"],
        ["peers", "751", "--kpis", "example", "--format", "json"],
    ],
)
def test_json_output_is_strict_json(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    assert main(argv) == 0
    _strict(capsys.readouterr().out)


def test_the_api_never_creates_a_missing_folder(tmp_path: Path) -> None:
    import rekrut as rk
    from rekrut.errors import OutputError

    result = rk.analyze(DEMO, rng=1)
    with pytest.raises(OutputError, match="does not exist; create it first"):
        rk.report.write_report(result, tmp_path / "missing" / "rapport.md")
    assert not (tmp_path / "missing").exists()

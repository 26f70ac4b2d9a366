"""The documentation runs: tutorial code blocks execute, and the reference matches the code."""

from __future__ import annotations

import inspect
import re
from pathlib import Path

import pytest

import rekrut as rk

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
RUNNABLE = sorted([DOCS / "getting-started.md", *(DOCS / "tutorials").glob("*.md")])
BLOCK = re.compile(r"```python\n(.*?)```", re.DOTALL)


@pytest.mark.parametrize("page", RUNNABLE, ids=lambda p: p.name)
def test_every_code_block_of_the_page_runs(page: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    blocks = BLOCK.findall(page.read_text(encoding="utf-8"))
    assert blocks, f"{page} has no python code block"
    monkeypatch.chdir(ROOT)
    namespace: dict[str, object] = {"__name__": "__docs__"}
    for number, code in enumerate(blocks, start=1):
        try:
            exec(compile(code, f"{page.name}[block {number}]", "exec"), namespace)
        except Exception as exc:  # pragma: no cover - the message is the point
            raise AssertionError(f"{page.name}, code block {number} failed: {exc!r}") from exc


def test_the_readme_examples_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # run where a new user would, beside the examples, so that written files land in tmp_path
    (tmp_path / "experiments").symlink_to(ROOT / "experiments")
    monkeypatch.chdir(tmp_path)
    blocks = BLOCK.findall((ROOT / "README.md").read_text(encoding="utf-8"))
    assert blocks
    namespace: dict[str, object] = {"__name__": "__readme__"}
    for number, code in enumerate(blocks, start=1):
        exec(compile(code, f"README.md[block {number}]", "exec"), namespace)
    assert (tmp_path / "rapport.html").exists()


def test_metric_reference_lists_every_metric_in_both_languages() -> None:
    text = (DOCS / "reference" / "metrics.md").read_text(encoding="utf-8")
    for metric in rk.METRICS.values():
        assert f"`{metric.id}`" in text
        assert metric.label_da in text
        assert metric.label_en in text


PUBLIC_MODULES = (
    "rekrut",
    "rekrut.stats",
    "rekrut.power",
    "rekrut.peers",
    "rekrut.disclosure",
    "rekrut.report",
    "rekrut.sequential",
    "rekrut.profiles",
    "rekrut.data",
    "rekrut.analysis",
    "rekrut.meta",
)


def _public_callables() -> list[tuple[str, object]]:
    import importlib

    found = []
    for module_name in PUBLIC_MODULES:
        module = importlib.import_module(module_name)
        for name in module.__all__:
            obj = getattr(module, name)
            if inspect.isfunction(obj) or inspect.isclass(obj):
                found.append((f"{module_name}.{name}", obj))
    return found


@pytest.mark.parametrize(
    ("name", "obj"), _public_callables(), ids=lambda v: v if isinstance(v, str) else ""
)
def test_public_api_is_documented(name: str, obj: object) -> None:
    doc = inspect.getdoc(obj) or ""
    assert doc, f"{name} has no docstring"
    if inspect.isfunction(obj):
        assert ">>>" in doc, f"{name} has no example"

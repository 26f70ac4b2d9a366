"""The numerical core depends on numpy, scipy and statsmodels only: no pandas, pydantic or I/O."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

STATS = Path(__file__).resolve().parents[2] / "src" / "rekrut" / "stats"
ALLOWED_THIRD_PARTY = {"numpy", "scipy", "statsmodels"}
FORBIDDEN_CALLS = {"open", "print", "input"}


def _modules() -> list[Path]:
    return sorted(STATS.glob("*.py"))


@pytest.mark.parametrize("path", _modules(), ids=lambda p: p.name)
def test_imports_are_numeric_only(path: Path) -> None:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:  # relative import inside rekrut.stats
                continue
            names = [node.module or ""]
        else:
            continue
        for name in names:
            top = name.split(".")[0]
            if top == "rekrut":
                assert name.startswith("rekrut.stats"), f"{path.name} imports {name}"
            else:
                assert top in sys.stdlib_module_names or top in ALLOWED_THIRD_PARTY, (
                    f"{path.name} imports {name}"
                )
                assert top not in {"os", "io", "pathlib", "subprocess"}, (
                    f"{path.name} imports {name}"
                )


@pytest.mark.parametrize("path", _modules(), ids=lambda p: p.name)
def test_no_printing_or_file_access(path: Path) -> None:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    calls = {
        node.func.id
        for node in ast.walk(tree)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
    }
    assert not calls & FORBIDDEN_CALLS, f"{path.name} calls {calls & FORBIDDEN_CALLS}"

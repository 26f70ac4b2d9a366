"""The layers of the package point down, nothing imports in a circle, and the core is used through
its public names (as ``tests/stats/test_purity.py`` keeps the core itself pure)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src" / "rekrut"

# Lowest first; a module may import modules of its own layer or below, never above.
LAYERS: dict[str, int] = {
    "rekrut._version": 0,
    "rekrut._deprecation": 0,
    "rekrut._progress": 0,
    "rekrut._format": 0,
    "rekrut._escape": 0,
    "rekrut._seeds": 0,
    "rekrut.errors": 0,
    "rekrut.notes": 0,
    "rekrut.messages": 0,
    "rekrut.metrics": 0,
    "rekrut.methods": 0,
    "rekrut.profiles": 0,
    "rekrut.model": 0,
    "rekrut.io": 0,
    "rekrut._json": 0,
    "rekrut.data": 1,
    "rekrut._statbank": 1,
    "rekrut._terms": 1,
    "rekrut.stats": 2,
    "rekrut.disclosure": 2,
    "rekrut._simulation": 2,
    "rekrut.simulation": 2,
    "rekrut._ad_history": 2,
    "rekrut.analysis": 3,
    "rekrut.sequential": 3,
    "rekrut.peers": 3,
    "rekrut.power": 3,
    "rekrut._power_analytic": 3,
    "rekrut._power_sim": 3,
    "rekrut._adjustment": 3,
    "rekrut.adjustment": 3,
    "rekrut.allocation": 3,
    "rekrut._allocation": 3,
    "rekrut.calibration": 3,
    "rekrut.meta": 3,
    "rekrut._initiative": 3,
    "rekrut._panel": 3,
    "rekrut._words": 3,
    "rekrut._retention": 3,
    "rekrut._observational": 3,
    "rekrut._hours": 3,
    "rekrut._words_plot": 3,
    "rekrut._words_suggest": 3,
    "rekrut._init": 3,
    "rekrut.report": 4,
    "rekrut.cli": 5,
    "rekrut": 6,
}


def _module_name(path: Path) -> str:
    parts = ["rekrut", *path.relative_to(SRC).with_suffix("").parts]
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


MODULES = {_module_name(p): p for p in sorted(SRC.rglob("*.py"))}


def _imports(name: str) -> set[str]:
    """Every rekrut module ``name`` imports, at the top or inside a function, typing included."""
    path = MODULES[name]
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            # `from package import module` imports that module
            targets = [base, *(f"{base}.{alias.name}" for alias in node.names)]
        else:
            continue
        found |= {t for t in targets if t in MODULES}
    found.discard(name)
    return found


def _layer(name: str) -> int:
    while name not in LAYERS:
        name = name.rpartition(".")[0]
    return LAYERS[name]


def _owner(name: str) -> str:
    """The layer entry a module belongs to (``rekrut.analysis._cells`` -> ``rekrut.analysis``)."""
    while name not in LAYERS:
        name = name.rpartition(".")[0]
    return name


GRAPH = {name: _imports(name) for name in MODULES}


def test_every_module_has_a_layer() -> None:
    assert all(_owner(name) for name in MODULES)


@pytest.mark.parametrize("name", sorted(MODULES))
def test_imports_point_down(name: str) -> None:
    upward = sorted(t for t in GRAPH[name] if _layer(t) > _layer(name))
    assert not upward, f"{name} (layer {_layer(name)}) imports {upward} from above"


@pytest.mark.parametrize("name", sorted(MODULES))
def test_no_private_core_modules_outside_the_core(name: str) -> None:
    if name.startswith("rekrut.stats"):
        return
    private = sorted(t for t in GRAPH[name] if t.startswith("rekrut.stats._"))
    assert not private, f"{name} imports {private}; use the public names of rekrut.stats"


def test_modules_below_the_root_do_not_import_the_root() -> None:
    offenders = sorted(name for name, targets in GRAPH.items() if "rekrut" in targets)
    assert not offenders


def _cycle() -> list[str] | None:
    """A cycle among modules, ignoring a package's own imports of its submodules."""
    state: dict[str, int] = {}
    stack: list[str] = []

    def edges(name: str) -> set[str]:
        # a package's __init__ importing its own submodules is how packages are built
        return {t for t in GRAPH[name] if not t.startswith(name + ".")}

    def visit(name: str) -> list[str] | None:
        state[name] = 1
        stack.append(name)
        for target in sorted(edges(name)):
            if state.get(target) == 1:
                return [*stack[stack.index(target) :], target]
            if target not in state and (found := visit(target)):
                return found
        stack.pop()
        state[name] = 2
        return None

    for name in sorted(GRAPH):
        if name not in state and (found := visit(name)):
            return found
    return None


def test_no_import_cycle() -> None:
    cycle = _cycle()
    assert cycle is None, " -> ".join(cycle or [])


def test_the_checker_sees_a_cycle() -> None:
    GRAPH["rekrut.errors"].add("rekrut.model")
    try:
        assert _cycle() is not None
    finally:
        GRAPH["rekrut.errors"].discard("rekrut.model")


FILE_CALLS = {"open", "read_text", "write_text", "read_bytes", "write_bytes", "read_csv"}
FILE_CALLS |= {"read_parquet", "read_excel", "read_json"}


@pytest.mark.parametrize("name", sorted(set(MODULES) - {"rekrut.io"}))
def test_only_io_opens_files(name: str) -> None:
    tree = ast.parse(MODULES[name].read_text(encoding="utf-8"))
    calls = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            func = node.func
            # methods (path.read_text, pd.read_csv) and the builtin open; rekrut.io's own
            # functions are called by bare name
            if isinstance(func, ast.Attribute):
                calls.add(func.attr)
            elif isinstance(func, ast.Name) and func.id == "open":
                calls.add("open")
    assert not calls & FILE_CALLS, f"{name} calls {sorted(calls & FILE_CALLS)}; use rekrut.io"

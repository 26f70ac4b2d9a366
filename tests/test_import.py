"""``import rekrut`` stays light: heavy dependencies load only when a method first needs them."""

from __future__ import annotations

import json
import subprocess
import sys

HEAVY = ("scipy.stats", "statsmodels", "matplotlib")


def _loaded_after(code: str) -> dict[str, bool]:
    probe = (
        f"{code}\nimport json, sys\nprint(json.dumps({{m: m in sys.modules for m in {HEAVY!r}}}))"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    ).stdout
    loaded: dict[str, bool] = json.loads(out.splitlines()[-1])
    return loaded


def test_import_rekrut_loads_no_heavy_dependency() -> None:
    assert _loaded_after("import rekrut") == dict.fromkeys(HEAVY, False)


def test_import_rekrut_stats_loads_no_heavy_dependency() -> None:
    code = "import rekrut.stats\nfrom rekrut.stats import Comparison, compare_proportions"
    assert _loaded_after(code) == dict.fromkeys(HEAVY, False)


def test_cli_help_loads_no_heavy_dependency() -> None:
    code = "from rekrut.cli import main\ntry:\n    main(['--help'])\nexcept SystemExit:\n    pass"
    assert _loaded_after(code) == dict.fromkeys(HEAVY, False)


def test_a_method_loads_scipy_stats_when_first_called() -> None:
    code = "from rekrut import stats\nstats.compare_proportions(3, 10, 5, 10)"
    assert _loaded_after(code)["scipy.stats"]

"""Shared fixtures: a small experiment and the bundled example experiments."""

from __future__ import annotations

from pathlib import Path

import pytest

import rekrut as rk

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "src" / "rekrut" / "_examples"
REAL_DATA = ROOT.parent / "shared" / "real-data"


@pytest.fixture
def two_arm() -> rk.Experiment:
    """Jobnet (control) against Facebook, every catalogue metric."""
    return rk.Experiment.model_validate(
        {
            "id": "t",
            "control": "A",
            "metrics": list(rk.METRICS),
            "arms": [
                {"id": "A", "channel": "jobnet"},
                {"id": "B", "channel": "facebook"},
            ],
            "channels": [{"id": "facebook", "kind": "social", "cost": {"per_click_dkk": 5}}],
        }
    )


@pytest.fixture
def examples() -> Path:
    return EXAMPLES


@pytest.fixture
def real_data() -> Path:
    if not REAL_DATA.is_dir():
        pytest.skip(f"the shared real data are not beside the repository ({REAL_DATA})")
    return REAL_DATA

"""``analyze(method="sequential", by=...)``: many groups monitored at once, each on its own."""

from __future__ import annotations

import numpy as np
import pandas as pd

import rekrut as rk
from rekrut.data import cumulative_summary

EXPERIMENT = rk.Experiment.model_validate(
    {
        "id": "grupper",
        "control": "A",
        "metrics": ["applications_per_posting", "qualified_share", "fill_rate"],
        "arms": [
            {"id": "A", "channel": "jobnet"},
            {"id": "B", "channel": "facebook"},
            {"id": "C", "channel": "linkedin"},
        ],
    }
)


def _data() -> pd.DataFrame:
    data = rk.simulate(EXPERIMENT, postings=240, rng=5)
    region = np.array(["nord", "syd", "øst"])[np.arange(len(data)) % 3]
    # the first postings are all "syd", so groups appear in a different order than sorted
    region[:5] = "syd"
    return data.assign(region=region)


def test_grouped_sequential_equals_one_run_per_group() -> None:
    data = _data()
    grouped = rk.analyze(EXPERIMENT, data, method="sequential", by=["region"]).table
    for region, rows in grouped.groupby("region", sort=False):
        alone = rk.analyze(EXPERIMENT, data[data["region"] == region], method="sequential").table
        for column in ("p_value", "diff", "diff_ci_low", "diff_ci_high", "lift_ci_low"):
            np.testing.assert_allclose(rows[column], alone[column], rtol=1e-12, err_msg=column)
        assert (rows["method"] == "msprt").all()


def test_cumulative_looks_have_every_group_at_every_look() -> None:
    data = _data()
    looks = cumulative_summary(EXPERIMENT, data, by=["region"])
    n_looks = looks.groups["look"].nunique()
    assert looks.by == ("look", "region")
    assert len(looks.groups) == 3 * n_looks
    n = looks.moments["applications_per_posting"].n.reshape(n_looks, 3, 3)
    assert (np.diff(n, axis=0) >= 0).all()  # cumulative within each group
    per_group = data.groupby("region").size()
    last = dict(zip(looks.groups["region"].iloc[-3:], n[-1].sum(axis=1), strict=True))
    assert last == {r: float(per_group[r]) for r in last}

"""The same sufficient statistics from every dataframe engine, computed inside the engine."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import rekrut as rk
from rekrut.data import SUFFICIENT_COLUMNS, load_postings

pl = pytest.importorskip("polars")
pa = pytest.importorskip("pyarrow")
duckdb = pytest.importorskip("duckdb")


@pytest.fixture
def example(examples: Path) -> tuple[rk.Experiment, pd.DataFrame]:
    exp = rk.load_experiment(examples / "sosu_kanaltest.toml")
    return exp, pd.read_csv(examples / "sosu_kanaltest.csv")


def _engines(raw: pd.DataFrame, tmp_path: Path) -> dict[str, object]:
    parquet = tmp_path / "postings.parquet"
    raw.to_parquet(parquet)
    return {
        "polars": pl.from_pandas(raw),
        "polars-lazy": pl.from_pandas(raw).lazy(),
        "pyarrow": pa.Table.from_pandas(raw),
        "duckdb": duckdb.connect().read_parquet(str(parquet)),
        "parquet-path": parquet,
    }


def _sorted(table: pd.DataFrame, by: list[str]) -> pd.DataFrame:
    return table.sort_values([*by, "arm", "metric"]).reset_index(drop=True)


@pytest.mark.parametrize("by", [[], ["job_category"]])
def test_every_engine_gives_the_pandas_statistics(
    example: tuple[rk.Experiment, pd.DataFrame], tmp_path: Path, by: list[str]
) -> None:
    exp, raw = example
    reference = _sorted(rk.summarize(exp, raw, by=by).table, by)
    for name, native in _engines(raw, tmp_path).items():
        got = _sorted(rk.summarize(exp, native, by=by).table, by)
        assert got[["arm", "metric"]].equals(reference[["arm", "metric"]]), name
        np.testing.assert_allclose(
            got[list(SUFFICIENT_COLUMNS)].to_numpy(dtype=float),
            reference[list(SUFFICIENT_COLUMNS)].to_numpy(dtype=float),
            rtol=1e-12,
            err_msg=name,
        )


def test_per_posting_methods_give_the_same_answer_from_every_engine(
    example: tuple[rk.Experiment, pd.DataFrame], tmp_path: Path
) -> None:
    # time to hire, the bootstrap and regression adjustment read postings, not sums: they must
    # see the same postings (and the derived 'filled') whatever holds the table
    exp, raw = example

    def numbers(table: pd.DataFrame) -> np.ndarray:
        return table.select_dtypes("number").to_numpy(dtype=float)

    options = {"ratio_interval": "bootstrap", "n_resamples": 300, "rng": 5}
    reference = rk.analyze(exp, raw, **options).table  # type: ignore[arg-type]
    adjusted = rk.adjust(exp, raw, covariates=["month"]).table
    for name, native in _engines(raw, tmp_path).items():
        got = rk.analyze(exp, native, **options).table  # type: ignore[arg-type]
        np.testing.assert_allclose(numbers(got), numbers(reference), rtol=1e-10, err_msg=name)
        again = rk.adjust(exp, native, covariates=["month"]).table
        np.testing.assert_allclose(numbers(again), numbers(adjusted), rtol=1e-10, err_msg=name)


def test_parquet_path_stays_in_duckdb(
    example: tuple[rk.Experiment, pd.DataFrame], tmp_path: Path
) -> None:
    exp, raw = example
    path = tmp_path / "p.parquet"
    raw.to_parquet(path)
    postings = load_postings(exp, path)
    assert postings.frame is None
    assert postings.source == str(path)


def test_engine_checks_name_the_column(example: tuple[rk.Experiment, pd.DataFrame]) -> None:
    exp, raw = example
    bad = raw.copy()
    bad.loc[5, "hires"] = 99
    with pytest.raises(rk.DataError, match="hires exceeds applications in 1 row") as info:
        rk.summarize(exp, pl.from_pandas(bad))
    assert info.value.column == "hires"
    bad = raw.copy()
    bad.loc[3, "arm"] = "tiktok"
    with pytest.raises(rk.DataError, match="unknown arm 'tiktok'"):
        rk.summarize(exp, pl.from_pandas(bad))
    with pytest.raises(rk.DataError, match="metric cost_per_hire needs it"):
        rk.summarize(exp, pl.from_pandas(raw.drop(columns="cost_dkk")))
    negative = raw.copy()
    negative.loc[0, "applications"] = -1
    with pytest.raises(rk.DataError, match="must not be negative"):
        rk.summarize(exp, pa.Table.from_pandas(negative))


def test_pyspark_local_mode_gives_the_pandas_statistics(
    example: tuple[rk.Experiment, pd.DataFrame],
    spark,  # type: ignore[no-untyped-def]
) -> None:
    exp, raw = example
    reference = _sorted(rk.summarize(exp, raw, by=["job_category"]).table, ["job_category"])
    # Rows as plain records: PySpark's own pandas conversion warns on pandas 3.
    records = [
        {k: (None if isinstance(v, float) and np.isnan(v) else v) for k, v in row.items()}
        for row in raw.to_dict("records")
    ]
    native = spark.createDataFrame(records)
    got = _sorted(rk.summarize(exp, native, by=["job_category"]).table, ["job_category"])
    np.testing.assert_allclose(
        got[list(SUFFICIENT_COLUMNS)].to_numpy(dtype=float),
        reference[list(SUFFICIENT_COLUMNS)].to_numpy(dtype=float),
        rtol=1e-12,
    )

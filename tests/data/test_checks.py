"""One table of broken posting tables, run through every engine: the same check catches each."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import rekrut as rk
from rekrut.cli import main
from rekrut.data import load_postings

pl = pytest.importorskip("polars")
pa = pytest.importorskip("pyarrow")
duckdb = pytest.importorskip("duckdb")


def _set(column: str, value: object, row: int = 4) -> Callable[[pd.DataFrame], pd.DataFrame]:
    def apply(raw: pd.DataFrame) -> pd.DataFrame:
        out = raw.copy()
        if isinstance(value, str) and out[column].dtype != object:
            out[column] = out[column].astype(object)
        elif isinstance(value, float):
            out[column] = out[column].astype(float)
        out.loc[row, column] = value
        return out

    return apply


def _as_text(raw: pd.DataFrame) -> pd.DataFrame:
    out = raw.copy()
    out["applications"] = out["applications"].astype(str)
    out.loc[4, "applications"] = "mange"
    return out


def _repeat_id(raw: pd.DataFrame) -> pd.DataFrame:
    out = raw.copy()
    same = out.index[(out["arm"] == out.loc[0, "arm"]) & (out.index > 0)][0]
    out.loc[same, "posting_id"] = out.loc[0, "posting_id"]
    return out


# case -> (break the table, column named, what the message says)
BAD = {
    "negative count": (_set("applications", -3), "applications", "must not be negative"),
    "qualified > applications": (_set("qualified", 500), "qualified", "exceeds applications"),
    "fractional count": (_set("hires", 0.5), "hires", "whole number"),
    "NaN count": (_set("applications", np.nan), "applications", "blank"),
    "infinite cost": (_set("cost_dkk", np.inf), "cost_dkk", "not a (finite )?number"),
    "1e300 applications": (_set("applications", 1e300), "applications", "beyond any recruitment"),
    "1e300 cost": (_set("cost_dkk", 1e300), "cost_dkk", "beyond any recruitment"),
    "unknown arm": (_set("arm", "tiktok"), "arm", "unknown arm 'tiktok'"),
    "text in a number column": (_as_text, "applications", "not a number"),
    "duplicate posting id": (_repeat_id, "posting_id", "appears twice in this arm"),
}

ENGINES: dict[str, Callable[[pd.DataFrame, Path], object]] = {
    "pandas": lambda raw, _: raw,
    "csv": lambda raw, tmp: _written(raw, tmp / "p.csv", "csv"),
    "polars": lambda raw, _: pl.from_pandas(raw),
    "polars-lazy": lambda raw, _: pl.from_pandas(raw).lazy(),
    "pyarrow": lambda raw, _: pa.Table.from_pandas(raw),
    "duckdb": lambda raw, tmp: duckdb.connect().read_parquet(str(_written(raw, tmp / "d.parquet"))),
    "parquet": lambda raw, tmp: _written(raw, tmp / "p.parquet"),
}


def _written(raw: pd.DataFrame, path: Path, kind: str = "parquet") -> Path:
    if kind == "csv":
        raw.to_csv(path, index=False)
    else:
        raw.to_parquet(path)
    return path


@pytest.fixture(scope="module")
def example() -> tuple[rk.Experiment, pd.DataFrame]:
    root = Path(__file__).resolve().parents[2] / "src" / "rekrut" / "_examples"
    return rk.load_experiment(root / "sosu_kanaltest.toml"), pd.read_csv(
        root / "sosu_kanaltest.csv"
    )


@pytest.mark.parametrize("engine", list(ENGINES))
@pytest.mark.parametrize("case", list(BAD))
def test_every_engine_refuses_every_bad_case(
    example: tuple[rk.Experiment, pd.DataFrame], tmp_path: Path, case: str, engine: str
) -> None:
    exp, raw = example
    breaker, column, message = BAD[case]
    if engine == "csv" and case.startswith("1e300"):
        # written as 1e+300: the CSV reader takes no exponents (an export never writes them)
        message = "is not a number"
    native = ENGINES[engine](breaker(raw), tmp_path)
    with pytest.raises(rk.DataError, match=message) as info:
        load_postings(exp, native)
    assert info.value.column == column


@pytest.mark.parametrize("engine", ["polars", "duckdb", "parquet"])
def test_engines_count_the_bad_rows(
    example: tuple[rk.Experiment, pd.DataFrame], tmp_path: Path, engine: str
) -> None:
    exp, raw = example
    bad = raw.copy()
    bad.loc[[2, 7, 11], "applications"] = -1
    with pytest.raises(rk.DataError, match="must not be negative in 3 rows"):
        load_postings(exp, ENGINES[engine](bad, tmp_path))


def test_validate_refuses_a_broken_parquet_file(
    example: tuple[rk.Experiment, pd.DataFrame],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    exp, raw = example
    path = _written(_set("cost_dkk", np.inf)(raw), tmp_path / "bad.parquet")
    toml = (
        Path(__file__).resolve().parents[2] / "src" / "rekrut" / "_examples" / "sosu_kanaltest.toml"
    )
    code = main(["validate", str(toml), "--data", str(path)])
    err = capsys.readouterr().err
    assert code == 2
    assert err.count("\n") == 1
    assert "cost_dkk" in err
    assert exp.id


@pytest.mark.slow
@pytest.mark.parametrize("case", list(BAD))
def test_pyspark_refuses_every_bad_case(
    example: tuple[rk.Experiment, pd.DataFrame],
    spark,  # type: ignore[no-untyped-def]
    case: str,
) -> None:
    exp, raw = example
    breaker, column, message = BAD[case]
    broken = breaker(raw)
    records = [
        {k: (None if isinstance(v, float) and np.isnan(v) else v) for k, v in row.items()}
        for row in broken.to_dict("records")
    ]
    with pytest.raises(rk.DataError, match=message if case != "NaN count" else "blank") as info:
        load_postings(exp, spark.createDataFrame(records))
    assert info.value.column == column


def test_an_infinite_arm_weight_is_refused() -> None:
    from rekrut.model import experiment_from_mapping

    with pytest.raises(rk.ExperimentError, match="finite number") as info:
        experiment_from_mapping(
            {
                "id": "x",
                "control": "A",
                "arms": [
                    {"id": "A", "channel": "jobnet", "weight": float("inf")},
                    {"id": "B", "channel": "facebook"},
                ],
            }
        )
    assert info.value.column == "arms[1].weight"  # counted from 1, as a user does

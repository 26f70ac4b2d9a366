"""Validation gives the same table and the same errors whatever dtypes the user's columns have.

A table may arrive with text as Python objects, pandas ``str``/``string`` (Arrow) or
categoricals, and counts as numpy integers, floats, pandas nullable ``Int64`` or Arrow integers;
validation checks the distinct values of text columns and whole numeric columns at once, so these
tests pin that every form gives what a plain object column gives.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd
import pytest

import rekrut as rk
from rekrut.data import validate_postings

ROWS = {
    "posting_id": ["p1", "p2", "p3", "p4", "p5"],
    "arm": ["A", "A", "B", "B", "B"],
    "published": ["2025-01-02", "2025-01-03", "2025-02-01", None, "2025-02-01"],
    "applications": [10, 0, 25, 7, 3],
    "qualified": [4, 0, 9, 2, 3],
    "hires": [1, 0, 1, 0, 2],
    "cost_dkk": [0.0, 0.0, 1200.5, 300.0, 50.0],
    "reposted": [0, 1, 0, 0, 0],
}

TEXT = ["posting_id", "arm"]
COUNTS = ["applications", "qualified", "hires", "reposted"]

Convert = Callable[[pd.DataFrame], pd.DataFrame]


def as_object(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.astype(object)


def as_categorical(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.astype(dict.fromkeys(TEXT, "category"))


def as_arrow_strings(frame: pd.DataFrame) -> pd.DataFrame:
    pytest.importorskip("pyarrow")
    return frame.astype(dict.fromkeys(TEXT, "string[pyarrow]"))


def as_nullable(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.astype(dict.fromkeys(COUNTS, "Int64") | {"cost_dkk": "Float64"})


def as_arrow_numbers(frame: pd.DataFrame) -> pd.DataFrame:
    pytest.importorskip("pyarrow")
    return frame.astype(dict.fromkeys(COUNTS, "int64[pyarrow]"))


def as_dates(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.assign(published=pd.to_datetime(frame["published"]))


CONVERSIONS = [as_categorical, as_arrow_strings, as_nullable, as_arrow_numbers, as_dates]


@pytest.fixture
def experiment() -> rk.Experiment:
    return rk.Experiment.model_validate(
        {
            "id": "t",
            "control": "A",
            "metrics": ["applications_per_posting", "qualified_share", "cost_per_hire"],
            "arms": [
                {"id": "A", "channel": "jobnet"},
                {"id": "B", "channel": "facebook", "variant": "kort"},
            ],
        }
    )


def comparable(frame: pd.DataFrame) -> pd.DataFrame:
    """Values only: text as Python strings (None if blank), numbers as float64."""
    text = {c: frame[c].astype(object).where(frame[c].notna(), None) for c in frame if c in TEXT}
    numbers = {c: frame[c].astype(np.float64) for c in frame if frame[c].dtype.kind in "iuf"}
    return frame.assign(**text, **numbers).astype(
        {c: object for c in ("variant", "channel") if c in frame}
    )


def outcome(frame: pd.DataFrame, experiment: rk.Experiment) -> object:
    try:
        return comparable(validate_postings(experiment, frame).frame)
    except rk.DataError as error:
        return (str(error), error.row, error.column)


@pytest.mark.parametrize("convert", CONVERSIONS)
def test_every_dtype_gives_the_same_table(convert: Convert, experiment: rk.Experiment) -> None:
    expected = outcome(as_object(pd.DataFrame(ROWS)), experiment)
    got = outcome(convert(pd.DataFrame(ROWS)), experiment)
    assert isinstance(got, pd.DataFrame)
    assert isinstance(expected, pd.DataFrame)
    pd.testing.assert_frame_equal(got, expected, check_dtype=False)
    assert got["cost_dkk"].tolist() == [0.0, 0.0, 1200.5, 300.0, 50.0]
    assert got["filled"].tolist() == [1.0, 0.0, 1.0, 0.0, 1.0]


BAD_CELLS = [
    ("applications", 1, -1, 2, "must not be negative"),
    ("hires", 2, 30, 3, r"hires \(30\) exceeds applications \(25\)"),
    ("arm", 3, "C", 4, "unknown arm 'C'"),
    ("arm", 0, None, 1, "the arm is blank"),
    ("posting_id", 4, "p3", 5, "posting 'p3' appears twice in this arm"),
    ("posting_id", 4, " p3 ", 5, "posting 'p3' appears twice in this arm"),
    ("reposted", 1, 2, 2, "must be 0 or 1"),
    ("cost_dkk", 3, None, 4, "blank"),
    ("qualified", 1, None, 2, "blank"),
]


@pytest.mark.parametrize(("column", "index", "value", "row", "message"), BAD_CELLS)
@pytest.mark.parametrize("convert", [as_object, *CONVERSIONS])
def test_every_dtype_gives_the_same_error(
    convert: Convert,
    experiment: rk.Experiment,
    column: str,
    index: int,
    value: object,
    row: int,
    message: str,
) -> None:
    bad = pd.DataFrame(ROWS).astype({column: object})
    bad.loc[index, column] = value
    try:
        frame = convert(bad)
    except (TypeError, ValueError):
        pytest.skip("this dtype cannot hold the bad value")
    with pytest.raises(rk.DataError, match=message) as info:
        validate_postings(experiment, frame)
    assert (info.value.file, info.value.row, info.value.column) == ("table", row, column)


def test_fractional_and_text_counts_are_named_with_their_value(
    experiment: rk.Experiment,
) -> None:
    for value, message in [
        (2.5, r"whole number in 1 row \(first: 2.5\)"),
        ("ti", "'ti' is not a number"),
    ]:
        bad = pd.DataFrame(ROWS).astype({"applications": object})
        bad.loc[2, "applications"] = value
        for frame in (bad, bad.astype({"applications": "category"})):
            with pytest.raises(rk.DataError, match=message) as info:
                validate_postings(experiment, frame)
            assert (info.value.row, info.value.column) == (3, "applications")


def test_whitespace_around_arm_labels_is_accepted(experiment: rk.Experiment) -> None:
    padded = pd.DataFrame(ROWS).assign(arm=[" A", "A ", "\tB", "B", " B "])
    for frame in (padded, padded.astype({"arm": "category"}), as_object(padded)):
        data = validate_postings(experiment, frame)
        assert data.frame["arm"].tolist() == ["A", "A", "B", "B", "B"]
        assert data.frame["channel"].tolist() == ["jobnet"] * 2 + ["facebook"] * 3


def test_the_first_bad_row_is_named(experiment: rk.Experiment) -> None:
    frame = pd.DataFrame(ROWS).assign(applications=[10, 0, -3, 7, -1])
    with pytest.raises(rk.DataError, match=r"negative in 2 rows \(first: -3\)") as info:
        validate_postings(experiment, frame)
    assert info.value.row == 3
    # the unknown label seen last in table order but first among distinct values is not named
    arms = pd.Categorical(["A", "A", "X", "B", "Y"], categories=["Y", "X", "A", "B"])
    with pytest.raises(rk.DataError, match="unknown arm 'X'") as info:
        validate_postings(experiment, pd.DataFrame(ROWS).assign(arm=arms))
    assert info.value.row == 3


def test_first_bad_row_in_a_long_table(experiment: rk.Experiment) -> None:
    """Rows are scanned in blocks; a bad row far down, and one in a later block, are found."""
    n = 700_000
    frame = pd.DataFrame(
        {
            "arm": np.where(np.arange(n) % 2 == 0, "A", "B"),
            "applications": np.ones(n, dtype=np.int64),
            "qualified": np.zeros(n, dtype=np.int64),
            "hires": np.zeros(n, dtype=np.int64),
            "cost_dkk": np.zeros(n),
        }
    )
    frame.loc[[650_001, 690_000], "qualified"] = 2
    with pytest.raises(rk.DataError, match=r"qualified \(2\) exceeds applications") as info:
        validate_postings(experiment, frame)
    assert info.value.row == 650_002


def test_numeric_columns_are_not_copied(experiment: rk.Experiment) -> None:
    """A table of millions of rows is not doubled in memory: numpy counts are checked in place."""
    frame = pd.DataFrame(ROWS)
    out = validate_postings(experiment, frame).frame
    for column in ("applications", "cost_dkk"):
        assert np.shares_memory(out[column].to_numpy(), frame[column].to_numpy())
    assert isinstance(out["arm"].dtype, pd.CategoricalDtype)


def test_text_numbers_dates_and_flags_are_parsed_per_value(experiment: rk.Experiment) -> None:
    text = pd.DataFrame(
        {
            "arm": ["A", "B", "A", "B"],
            "applications": ["3", " 4 ", "3", ""],
            "qualified": ["1", "0", "1", "0"],
            "hires": ["1", "0", "1", "0"],
            "cost_dkk": ["1250,50", "99", "1250,50", "0"],
            "reposted": ["ja", "nej", "Yes", "0"],
            "published": ["2025-01-02", "2025/01/03", "2025-01-02", "  "],
        }
    )
    with pytest.raises(rk.DataError, match="blank") as info:
        validate_postings(experiment, text)
    assert (info.value.row, info.value.column) == (4, "applications")
    text = text.assign(applications=["3", " 4 ", "3", "0"])
    out = validate_postings(experiment, text).frame
    assert out["applications"].tolist() == [3.0, 4.0, 3.0, 0.0]
    assert out["cost_dkk"].tolist() == [1250.5, 99.0, 1250.5, 0.0]
    assert out["reposted"].tolist() == [1.0, 0.0, 1.0, 0.0]
    assert out["published"].tolist()[:3] == [
        pd.Timestamp("2025-01-02"),
        pd.Timestamp("2025-01-03"),
        pd.Timestamp("2025-01-02"),
    ]
    assert pd.isna(out["published"].iloc[3])
    with pytest.raises(rk.DataError, match="'someday' is not a date") as info:
        validate_postings(experiment, text.assign(published=["2025-01-02", "someday", "x", ""]))
    assert info.value.row == 2


def test_mixed_python_values_keep_their_own_text(experiment: rk.Experiment) -> None:
    """1, 1.0 and True are equal in Python but not as text: True is still not a count."""
    frame = pd.DataFrame(ROWS).astype({"applications": object})
    frame.loc[1, "applications"] = True
    frame.loc[0, "applications"] = 1
    with pytest.raises(rk.DataError, match="True is not a number") as info:
        validate_postings(experiment, frame)
    assert info.value.row == 2


def test_variant_and_channel_columns_of_any_dtype() -> None:
    exp = rk.Experiment.model_validate(
        {
            "id": "t",
            "control": "A",
            "arms": [
                {"id": "A", "channel": "jobnet", "variant": "standard"},
                {"id": "B", "channel": "jobnet", "variant": "fuldtid"},
                {"id": "C", "channel": "facebook", "variant": "fuldtid"},
            ],
        }
    )
    frame = pd.DataFrame(
        {
            "variant": ["standard", " fuldtid", "fuldtid", "fuldtid"],
            "channel": ["jobnet", "jobnet", "facebook ", "jobnet"],
            "applications": [1, 2, 3, 4],
        }
    )
    for form in (frame, frame.astype({"variant": "category", "channel": "category"})):
        assert validate_postings(exp, form).frame["arm"].tolist() == ["A", "B", "C", "B"]
    frame.loc[3, "channel"] = "tiktok"
    with pytest.raises(rk.DataError, match="no arm has variant and channel") as info:
        validate_postings(exp, frame.astype({"channel": "category"}))
    assert (info.value.row, info.value.column) == (4, "variant")


def test_arms_stay_categorical_through_analysis(experiment: rk.Experiment) -> None:
    data = rk.simulate(experiment, postings=120, rng=5)
    plain = rk.analyze(experiment, data, rng=1).table
    categorical = rk.analyze(experiment, data.astype({"arm": "category"}), rng=1).table
    pd.testing.assert_frame_equal(plain, categorical)


@pytest.mark.parametrize(
    "ids",
    [
        ["p1", "p2", "p3", "p4", "p1"],  # one length: hashed by whole words
        ["p1", "p22", "p333", "p4444", "p1"],  # several lengths: hashed byte by byte
        ["p1", "", None, "ø-ü", "p1"],
    ],
)
@pytest.mark.parametrize("dtype", ["str", "string[pyarrow]", "category", object])
def test_repeated_posting_ids_are_found_in_any_dtype(
    experiment: rk.Experiment, ids: list[str | None], dtype: object
) -> None:
    pytest.importorskip("pyarrow")
    arms = ["A", "B", "B", "B", "A"]
    frame = pd.DataFrame(ROWS).assign(posting_id=pd.Series(ids, dtype=dtype), arm=arms)
    with pytest.raises(rk.DataError, match="posting 'p1' appears twice") as info:
        validate_postings(experiment, frame)
    assert info.value.row == 5
    # the same id in two arms is one posting in two channels: allowed
    validate_postings(experiment, frame.assign(arm=["A", "B", "B", "B", "B"]))
    # a sliced table (Arrow data with an offset) is read from the right place
    tail = pd.concat([frame.iloc[:1], frame]).iloc[1:]
    with pytest.raises(rk.DataError, match="appears twice") as info:
        validate_postings(experiment, tail)
    assert info.value.row == 5


def test_equal_hashes_of_different_ids_are_not_repeats(
    experiment: rk.Experiment, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Ids are compared exactly where their hashes meet, so a hash collision is never an error."""
    from rekrut.data import _postings

    monkeypatch.setattr(_postings, "_text_hashes", lambda text: np.zeros(len(text[1]) - 1, "u8"))
    frame = pd.DataFrame(ROWS).astype({"posting_id": "str"})
    validate_postings(experiment, frame)
    frame.loc[3, "posting_id"] = "p1"
    frame.loc[4, "posting_id"] = "p3"
    with pytest.raises(rk.DataError, match="posting 'p3' appears twice") as info:
        validate_postings(experiment, frame)
    assert info.value.row == 5


def test_padded_posting_ids_are_stripped(experiment: rk.Experiment) -> None:
    ids = pd.Series(["p1", "p2\xa0", " p3", "p4", "p5"], dtype="str")
    out = validate_postings(experiment, pd.DataFrame(ROWS).assign(posting_id=ids)).frame
    assert out["posting_id"].tolist() == ["p1", "p2", "p3", "p4", "p5"]
    clean = pd.DataFrame(ROWS).astype({"posting_id": "str"})
    assert validate_postings(experiment, clean).frame["posting_id"] is not None

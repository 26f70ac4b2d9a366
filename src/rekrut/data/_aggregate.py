"""One-pass aggregation of a posting table to sufficient statistics shaped groups x arms.

Every catalogue metric is ``sum(x) / sum(y)`` over units. A plan lists the distinct sums the
metrics need (metrics share sums: every per-posting metric's unit count, a numerator used by two
metrics, and with a denominator of 1 the y-sums are the unit count and the x-sum), each a product
of columns masked where a value is unknown. The plan is evaluated where the table lives:

* a validated pandas table (float columns, NaN for blanks) by ``numpy.bincount`` over integer
  cell codes — no grouped copies of the table;
* any other engine (polars, pyarrow, DuckDB, PySpark) by the same sums as narwhals expressions,
  so only a few numbers per arm leave the engine (the data contract is checked when the table
  is loaded, by the same expressions for every engine: :mod:`rekrut.data._checks`).

Both return arrays of shape (groups, arms); groups keep the order in which they first appear.
"""

from __future__ import annotations

import functools
import operator
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import narwhals as nw
import numpy as np
import pandas as pd

from rekrut.data._postings import COUNT_COLUMNS
from rekrut.metrics import Metric, get_metric

__all__ = ["FUNNEL_COLUMNS", "STAT_NAMES", "Aggregate", "Moments", "aggregate", "aggregate_pandas"]

STAT_NAMES = ("n", "sum_x", "sum_y", "sum_xx", "sum_yy", "sum_xy")
"""The sufficient statistics of ``sum(x) / sum(y)`` over units."""

FUNNEL_COLUMNS = (*COUNT_COLUMNS, "cost_dkk")
"""Columns whose plain totals per arm describe the funnel (blank cells count as 0)."""

FloatArray = np.ndarray[Any, np.dtype[np.float64]]


@dataclass(frozen=True, slots=True)
class Moments:
    """Sufficient statistics of one metric: arrays of one shape, usually (groups, arms).

    ``n`` counts the units where both x and y are known; ``sum_xx``, ``sum_yy`` and ``sum_xy``
    are NaN for arm totals (one row per arm carries no second moments).
    """

    n: FloatArray
    sum_x: FloatArray
    sum_y: FloatArray
    sum_xx: FloatArray
    sum_yy: FloatArray
    sum_xy: FloatArray

    def take(self, index: Any, axis: int = -1) -> Moments:
        """The statistics of the arms (or groups) at ``index`` along ``axis``."""
        return Moments(*(np.take(getattr(self, s), index, axis=axis) for s in STAT_NAMES))

    def cumsum(self, axis: int = 0) -> Moments:
        """Running totals along ``axis`` (statistics are additive over units)."""
        return Moments(*(np.cumsum(getattr(self, s), axis=axis) for s in STAT_NAMES))


@dataclass(frozen=True, slots=True)
class Aggregate:
    """Sums per group and arm.

    Attributes
    ----------
    groups
        One row per group with the grouping columns (one row and no columns without groups).
    moments
        Per metric id, the statistics shaped (groups, arms).
    units
        Randomised units per group and arm, shaped (groups, arms).
    funnel
        Plain totals of the funnel columns present, per column shaped (groups, arms).
    rows
        Table rows per group and arm, shaped (groups, arms).
    labels
        The arm labels found in the table (with None for a blank arm).
    """

    groups: pd.DataFrame
    moments: dict[str, Moments]
    units: FloatArray
    funnel: dict[str, FloatArray]
    rows: FloatArray
    labels: frozenset[Any]


@dataclass(frozen=True, slots=True)
class _Term:
    """One factor of a sum: a column (or the constant 1, or the derived flag 'filled')."""

    key: str
    column: str | None
    nullable: bool
    may_be_nan: bool


_ONE = _Term("1", None, nullable=False, may_be_nan=False)


def _term(column: str, per_posting: bool, integer: set[str]) -> _Term:
    if column == "filled" and per_posting:  # a 0/1 flag of the hires: never blank or NaN
        return _Term("filled", "filled", nullable=False, may_be_nan=False)
    return _Term(column, column, nullable=True, may_be_nan=column not in integer)


@dataclass(frozen=True, slots=True)
class _Sum:
    """One distinct sum: the product of ``factors`` over rows where every ``mask`` term is known."""

    factors: tuple[_Term, ...]
    mask: tuple[_Term, ...]


class _Plan:
    """The distinct sums to compute, and which sum each metric's statistic is."""

    def __init__(self) -> None:
        self.sums: dict[str, _Sum] = {}
        self.aliases: dict[tuple[Any, ...], str] = {}
        self.wanted: dict[str, dict[str, str]] = {}  # metric id -> statistic -> sum name

    def add(self, factors: tuple[_Term, ...], mask: tuple[_Term, ...]) -> str:
        """The name of the sum of ``factors`` over rows where every ``mask`` term is known."""
        # the constant 1 is no factor: a count of rows is one sum however it is written
        key = (tuple(f.key for f in factors if f is not _ONE), tuple(m.key for m in mask))
        # a plain alias per distinct sum (engines differ in which characters names may hold)
        name = self.aliases.setdefault(key, f"__sum{len(self.aliases)}")
        self.sums.setdefault(name, _Sum(tuple(f for f in factors if f is not _ONE), mask))
        return name

    def column_total(self, term: _Term) -> str:
        """The plain total of one column (unknown cells count as nothing)."""
        return self.add((term,), (term,) if term.nullable or term.may_be_nan else ())


def _plan(metrics: Sequence[Metric], totals: bool, integer: set[str]) -> _Plan:
    plan = _Plan()
    for metric in metrics:
        x = _term(metric.numerator, not totals, integer)
        if metric.per_posting:
            y = _term("postings", False, integer) if totals else _ONE
        else:
            y = _term(metric.denominator, not totals, integer)
        unit = _term("postings", False, integer) if totals else _ONE
        mask = tuple(t for t in (x, y) if t.nullable or t.may_be_nan)
        names = {
            "n": plan.add((unit,), mask),
            "sum_x": plan.add((x,), mask),
            "sum_xx": plan.add((x, x), mask),
        }
        if y is _ONE:  # y = 1 on every known row
            names.update(sum_y=names["n"], sum_yy=names["n"], sum_xy=names["sum_x"])
        else:
            names.update(
                sum_y=plan.add((y,), mask),
                sum_yy=plan.add((y, y), mask),
                sum_xy=plan.add((x, y), mask),
            )
        plan.wanted[metric.id] = names
    return plan


def _extras(
    plan: _Plan, columns: set[str], totals: bool, integer: set[str], unit_column: str | None
) -> tuple[str, str, dict[str, str]]:
    """Add the row count, the randomised units and the funnel totals to the plan.

    They share sums with the metrics where they coincide (the rows of a per-posting metric, a
    numerator's total), so no engine computes a sum twice.
    """
    rows = plan.add((), ())
    units = unit_column or ("postings" if totals else None)
    unit_sum = plan.column_total(_term(units, False, integer)) if units else rows
    funnel = {
        c: plan.column_total(_term(c, False, integer)) for c in FUNNEL_COLUMNS if c in columns
    }
    if not totals:
        funnel["postings"] = rows
        if "filled" not in funnel and "hires" in columns:  # the derived 0/1 flag
            funnel["filled"] = plan.column_total(_term("filled", True, integer))
    return rows, unit_sum, funnel


def _metrics(metric_ids: Sequence[str]) -> list[Metric]:
    # durations are compared on unit-level data, not on sums
    return [m for m in (get_metric(i) for i in metric_ids) if m.kind != "duration"]


def _moments(plan: _Plan, values: dict[str, FloatArray], totals: bool) -> dict[str, Moments]:
    out = {}
    for metric_id, names in plan.wanted.items():
        stats = {s: values[names[s]] for s in STAT_NAMES}
        if totals:  # one row per arm: no second moments
            nan = np.full_like(stats["n"], np.nan)
            stats.update(sum_xx=nan, sum_yy=nan, sum_xy=nan)
        out[metric_id] = Moments(**stats)
    return out


# --- pandas: numpy.bincount over cell codes -------------------------------------------------


_CHUNK_ROWS = 1 << 19
"""Rows per chunk of a pandas table: the float copies of one chunk's columns stay small."""


def _factorize(values: pd.Series) -> tuple[np.ndarray, Any]:
    """Codes in order of appearance, missing values as one more value (NaN) at the end.

    (pandas' own ``use_na_sentinel=False`` is about twice as slow on text.)
    """
    codes, uniques = pd.factorize(values)
    missing = codes < 0
    if missing.any():
        codes = np.where(missing, len(uniques), codes)
        # renumber so that the missing value takes its place in the order of appearance
        codes, order = pd.factorize(codes)
        labels = np.append(np.asarray(uniques, dtype=object), np.nan)
        return codes, pd.Index(labels[order], dtype=object)
    return codes, uniques


class _GroupCoder:
    """Numbers the groups of a table chunk by chunk, in order of first appearance."""

    def __init__(self, by: Sequence[str]) -> None:
        self.by = list(by)
        self.values: list[pd.Index] = [pd.Index([], dtype=object) for _ in self.by]
        self.keys: list[np.ndarray] = [np.zeros(0, dtype=np.intp) for _ in self.by]
        self.count = 0 if self.by else 1
        self.firsts: list[pd.DataFrame] = []

    def codes(self, chunk: pd.DataFrame) -> np.ndarray:
        """The group id of every row of ``chunk``."""
        if not self.by:
            return np.zeros(len(chunk), dtype=np.intp)
        if len(self.by) == 1:  # the groups are the column's values
            return self._single(chunk)
        combined = np.zeros(len(chunk), dtype=np.intp)
        value_ids = []
        for j, column in enumerate(self.by):
            codes, uniques = _factorize(chunk[column])
            value_ids.append(self._value_ids(j, uniques)[codes])
            # re-factorised after each column, so the combined code stays below the row count
            combined, _ = pd.factorize(combined * max(len(uniques), 1) + codes)
        # codes count up in order of appearance: a group starts where the running maximum rises
        previous = np.maximum.accumulate(np.r_[-1, combined[:-1]])
        firsts = np.flatnonzero(combined > previous)
        local = [ids[firsts] for ids in value_ids]
        known = pd.MultiIndex.from_arrays(self.keys).get_indexer(pd.MultiIndex.from_arrays(local))
        new = known < 0
        known[new] = self.count + np.arange(int(new.sum()))
        if new.any():
            self.count += int(new.sum())
            self.keys = [np.r_[k, v[new]] for k, v in zip(self.keys, local, strict=True)]
            self.firsts.append(chunk[self.by].iloc[firsts[new]])
        return known.astype(np.intp)[combined]

    def _single(self, chunk: pd.DataFrame) -> np.ndarray:
        codes, uniques = _factorize(chunk[self.by[0]])
        ids = self._value_ids(0, uniques)
        new = ids >= self.count
        if new.any():
            previous = np.maximum.accumulate(np.r_[-1, codes[:-1]])
            firsts = np.flatnonzero(codes > previous)  # first row of each local value
            self.firsts.append(chunk[self.by].iloc[firsts[new]])
            self.count = len(self.values[0])
        result: np.ndarray = ids[codes]
        return result

    def _value_ids(self, column: int, uniques: Any) -> np.ndarray:
        """Ids of a chunk's distinct values of one grouping column, new values numbered on."""
        known = self.values[column]
        if not len(known):
            self.values[column] = pd.Index(uniques)
            return np.arange(len(uniques), dtype=np.intp)
        ids = known.get_indexer(uniques)
        new = ids < 0
        if new.any():
            ids[new] = len(known) + np.arange(int(new.sum()))
            self.values[column] = known.append(pd.Index(uniques[new]))
        return ids.astype(np.intp)

    def groups(self) -> pd.DataFrame:
        """One row per group with its values, in order of first appearance."""
        if not self.by:
            return pd.DataFrame(index=pd.RangeIndex(1))
        if not self.firsts:
            return pd.DataFrame({c: [] for c in self.by})
        return pd.concat(self.firsts).reset_index(drop=True)


def _floats(values: pd.Series) -> FloatArray:
    return values.to_numpy(np.float64, na_value=np.nan)


def _arm_codes(values: pd.Series, arms: Sequence[str]) -> np.ndarray:
    """The position of each row's arm in ``arms`` (-1 for any other label)."""
    codes, uniques = pd.factorize(values)
    position = np.array([arms.index(u) if u in arms else -1 for u in uniques], dtype=np.intp)
    return position[codes] if len(codes) else np.zeros(0, dtype=np.intp)


def _chunk_sums(chunk: pd.DataFrame, plan: _Plan) -> dict[str, FloatArray | None]:
    """Per distinct sum, the value each row adds (None: every row adds 1)."""
    cache: dict[str, FloatArray] = {}

    def column(term: _Term) -> FloatArray:
        assert term.column is not None
        if term.key not in cache:
            if term.key == "filled" and not term.nullable:
                cache[term.key] = (_floats(chunk["hires"]) > 0).astype(np.float64)
            else:
                cache[term.key] = _floats(chunk[term.column])
        return cache[term.key]

    weights: dict[str, FloatArray | None] = {}
    masks: dict[tuple[_Term, ...], np.ndarray] = {}
    for name, spec in plan.sums.items():
        product: FloatArray | None = None
        for factor in spec.factors:
            product = column(factor) if product is None else product * column(factor)
        if spec.mask:
            known = masks.get(spec.mask)
            if known is None:  # metrics share masks: each is computed once per chunk
                known = functools.reduce(operator.and_, [~np.isnan(column(t)) for t in spec.mask])
                masks[spec.mask] = known
            product = known.astype(np.float64) if product is None else np.where(known, product, 0.0)
        weights[name] = product
    return weights


def aggregate_pandas(
    frame: pd.DataFrame,
    metric_ids: Sequence[str],
    arms: Sequence[str],
    *,
    by: Sequence[str] = (),
    unit_column: str | None = None,
) -> Aggregate:
    """Sum the statistics of a validated pandas posting table (see :func:`aggregate`).

    The table must already be checked by :func:`rekrut.data.validate_postings` (every arm
    known, numbers valid, NaN or missing for blanks). It is read in chunks of rows, so the
    memory used beyond the table stays small whatever its length.
    """
    columns = set(frame.columns)
    totals = "postings" in columns
    # integer columns hold no NaN (a nullable one only when it has no missing value)
    integer = {
        str(c)
        for c, dtype in frame.dtypes.items()
        if pd.api.types.is_integer_dtype(dtype)
        and (isinstance(dtype, np.dtype) or not frame[c].hasnans)
    }
    plan = _plan(_metrics(metric_ids), totals, integer)
    rows, unit_sum, funnel = _extras(plan, columns, totals, integer, unit_column)
    coder = _GroupCoder(by)
    sums: dict[str, list[FloatArray]] = {}
    for start in range(0, max(len(frame), 1), _CHUNK_ROWS):
        chunk = frame.iloc[start : start + _CHUNK_ROWS]
        groups = coder.codes(chunk)
        arm = _arm_codes(chunk["arm"], arms)
        cells = groups * len(arms) + arm
        for name, weights in _chunk_sums(chunk, plan).items():
            counted = np.bincount(cells, weights=weights, minlength=coder.count * len(arms))
            sums.setdefault(name, []).append(counted.astype(np.float64))
    shape = (coder.count, len(arms))

    def total(name: str) -> FloatArray:
        padded = [np.pad(v, (0, shape[0] * shape[1] - len(v))) for v in sums[name]]
        return np.sum(padded, axis=0, dtype=np.float64).reshape(shape)

    values = {name: total(name) for name in plan.sums}
    extras = (rows, unit_sum, funnel)
    return _result(plan, values, totals, coder.groups(), extras, frozenset(arms))


def _result(
    plan: _Plan,
    values: dict[str, FloatArray],
    totals: bool,
    groups: pd.DataFrame,
    extras: tuple[str, str, dict[str, str]],
    labels: frozenset[Any] | None = None,
) -> Aggregate:
    rows, unit_sum, funnel = extras
    return Aggregate(
        groups,
        _moments(plan, values, totals),
        values[unit_sum],
        {c: values[name] for c, name in funnel.items()},
        values[rows],
        frozenset() if labels is None else labels,
    )


# --- other engines: narwhals expressions ----------------------------------------------------


def _flag(expr: nw.Expr) -> nw.Expr:
    return nw.when(expr).then(1.0).otherwise(0.0)


def _expr(term: _Term) -> nw.Expr:
    if term is _ONE:
        return nw.lit(1.0)
    if term.key == "filled" and not term.nullable:
        return _flag(nw.col("hires") > 0)
    assert term.column is not None
    return nw.col(term.column).cast(nw.Float64())


def _sum_expr(spec: _Sum) -> nw.Expr:
    factors = [_expr(f) for f in spec.factors]
    expr = functools.reduce(operator.mul, factors) if factors else nw.lit(1.0)
    unknown = [_expr(t).is_null() for t in spec.mask if t.nullable]
    unknown += [_expr(t).is_nan() for t in spec.mask if t.may_be_nan]
    if unknown:
        expr = nw.when(~functools.reduce(operator.or_, unknown)).then(expr).otherwise(0.0)
    return expr


def aggregate(
    native: Any,
    metric_ids: Sequence[str],
    arms: Sequence[str],
    *,
    by: Sequence[str] = (),
    arm: nw.Expr | None = None,
    unit_column: str | None = None,
) -> Aggregate:
    """Sum the sufficient statistics of ``metric_ids`` per group and arm in one pass.

    Parameters
    ----------
    native
        Any table narwhals accepts (pandas, polars, pyarrow, DuckDB relation, PySpark …).
    metric_ids
        Catalogue metrics to summarise (durations are skipped: they need unit-level data).
    arms
        The experiment's arm ids: the order of the arms axis.
    by
        Grouping columns.
    arm
        Expression giving the arm id (default: the ``arm`` column).
    unit_column
        Column whose sum counts the randomised units (default: rows, or ``postings`` for totals).
    """
    frame = nw.from_native(native)
    lazy = frame.lazy() if isinstance(frame, nw.DataFrame) else frame
    schema = lazy.collect_schema()
    columns = set(schema.names())
    integer = {name for name, dtype in schema.items() if dtype.is_integer()}
    totals = "postings" in columns
    plan = _plan(_metrics(metric_ids), totals, integer)
    extras = _extras(plan, columns, totals, integer, unit_column)
    sums = {name: _sum_expr(spec) for name, spec in plan.sums.items()}
    arm_expr = (arm if arm is not None else nw.col("arm")).cast(nw.String())
    summed = (
        lazy.select(
            *[nw.col(c) for c in by],
            arm_expr.alias("__arm"),
            *[expr.alias(name) for name, expr in sums.items()],
        )
        .group_by([*by, "__arm"])
        .agg(*[nw.col(c).sum() for c in sums])
        .collect()
        .to_pandas()
    )
    labels = frozenset(None if pd.isna(a) else a for a in summed["__arm"])
    known = summed[summed["__arm"].isin(list(arms))].reset_index(drop=True)
    coder = _GroupCoder(by)
    group_codes = coder.codes(known)
    groups = coder.groups()
    arm_codes = pd.Categorical(known["__arm"], categories=list(arms)).codes.astype(np.intp)
    shape = (len(groups), len(arms))

    def place(name: str) -> FloatArray:
        out = np.zeros(shape)
        out[group_codes, arm_codes] = known[name].to_numpy(np.float64)
        return out

    values = {name: place(name) for name in plan.sums}
    return _result(plan, values, totals, groups, extras, labels)

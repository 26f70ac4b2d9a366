"""Benchmark a municipality against comparable municipalities ("sammenlignelige kommuner").

* :func:`municipalities` — the bundled reference of the 98 kommuner;
* :func:`find` — nearest neighbours on standardised structural covariates, or a given list;
* :func:`compare` — KPIs per job category against the peers: peer median and percentile,
  empirical-Bayes shrunk estimates with intervals, funnel-plot limits and a plain verdict, with
  small cells suppressed before the table leaves;
* :func:`synthetic_kpis` — the seeded generator of the bundled synthetic KPI table;
* :func:`evaluate` — an initiative in one municipality against a synthetic control or
  difference-in-differences from the others, with placebo inference.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd
from scipy import stats

from rekrut._initiative import InitiativeEvaluation, evaluate_panel, metric_panel, parse_periods
from rekrut._panel import PANEL_INITIATIVES, example_panel, kpi_frame, synthetic_panel
from rekrut._statbank import read_statbank
from rekrut.disclosure import DEFAULT_MIN_COUNT, CubeSuppression, blank, protect_cube
from rekrut.errors import DataError, InputError, UnknownNameError, unknown_name
from rekrut.io import read_resource_table, to_pandas
from rekrut.model import normalize_kommunekode

__all__ = [
    "DEFAULT_COVARIATES",
    "KPI_COLUMNS",
    "PANEL_INITIATIVES",
    "InitiativeEvaluation",
    "PeerComparison",
    "PeerSet",
    "compare",
    "evaluate",
    "example_kpis",
    "example_panel",
    "find",
    "municipalities",
    "read_statbank",
    "synthetic_kpis",
    "synthetic_panel",
    "validate_kpis",
]

DEFAULT_COVARIATES = ("log_density", "log_population", "share_0_17", "share_65plus", "share_80plus")
"""Population and density enter on the log scale: they span three orders of magnitude, and a
municipality of 50,000 is as different from one of 25,000 as 100,000 is from 50,000."""

KPI_COLUMNS = (
    "postings",
    "applications",
    "qualified",
    "hires",
    "failed",
    "reposts",
    "early_leavers",
    "cost_dkk",
)


def municipalities() -> pd.DataFrame:
    """The bundled reference table of the 98 municipalities (sources in the docs).

    Examples
    --------
    >>> table = municipalities()
    >>> len(table), table.loc[table["kommunekode"] == "159", "name"].item()
    (98, 'Gladsaxe')
    """
    return _with_logs(read_resource_table("kommuner.csv", {"kommunekode": str}))


def _with_logs(table: pd.DataFrame) -> pd.DataFrame:
    out = table.copy()
    if "population" in out.columns:
        out["log_population"] = np.log(out["population"].astype(float))
    if "density_per_km2" in out.columns:
        out["log_density"] = np.log(out["density_per_km2"].astype(float))
    return out


def _code(value: Any, column: str = "municipality") -> str:
    try:
        return normalize_kommunekode(value)
    except ValueError as exc:
        raise InputError(str(exc), column=column) from None


@dataclass(frozen=True, slots=True)
class PeerSet:
    """A municipality's peers with why each is close.

    ``table``: ``kommunekode, name, region, distance`` and one ``contribution_<covariate>`` per
    covariate (its share of the squared distance: small means alike on that covariate).
    """

    municipality: str
    table: pd.DataFrame
    covariates: tuple[str, ...]

    @property
    def codes(self) -> list[str]:
        """The peers' codes, nearest first."""
        return list(self.table["kommunekode"])

    def to_dict(self) -> dict[str, Any]:
        """Return JSON-safe values."""
        return {
            "municipality": self.municipality,
            "covariates": list(self.covariates),
            "peers": _records(self.table),
        }


def _records(table: pd.DataFrame) -> list[dict[str, Any]]:
    """Rows as JSON-safe dicts: blanks and infinite values (a cost per hire of no hires) as None."""
    numbers = table.select_dtypes("number").columns
    finite = table.notna()
    finite[numbers] = np.isfinite(table[numbers].astype(float))
    records = table.astype(object).where(finite, None).to_dict("records")
    return [{str(k): v for k, v in row.items()} for row in records]


def find(
    municipality: str | int,
    *,
    k: int = 10,
    covariates: Sequence[str] | None = None,
    weights: Mapping[str, float] | None = None,
    reference: pd.DataFrame | None = None,
    peers: Sequence[str | int] | None = None,
) -> PeerSet:
    """The ``k`` municipalities most like ``municipality`` on standardised covariates.

    Parameters
    ----------
    municipality
        Kommunekode (``"0159"``, ``"159"`` and ``159`` are the same).
    k
        Number of peers.
    covariates
        Reference columns to compare on (default :data:`DEFAULT_COVARIATES`).
    weights
        Optional weight per covariate (default 1).
    reference
        Your own reference table with ``kommunekode`` and the covariates (default: bundled).
    peers
        A given list of peer codes instead of nearest neighbours (distances still reported).

    Notes
    -----
    Each covariate is standardised to mean 0 and standard deviation 1 across the reference, and
    the distance is the weighted Euclidean distance :math:`\\sqrt{\\sum_j w_j (z_{ij} - z_{0j})^2}`.

    Examples
    --------
    >>> peer_set = find("0159", k=5)
    >>> peer_set.table["region"].value_counts().index[0]
    'Region Hovedstaden'
    """
    table = _with_logs(reference) if reference is not None else municipalities()
    table = table.assign(kommunekode=table["kommunekode"].map(lambda c: _code(c, "kommunekode")))
    code = _code(municipality)
    if code not in set(table["kommunekode"]):
        raise InputError(
            f"unknown municipality {code}; the reference has {len(table)} municipalities",
            column="municipality",
        )
    chosen = tuple(covariates or DEFAULT_COVARIATES)
    for name in chosen:
        if name not in table.columns:
            raise DataError("the covariate is missing from the reference table", column=name)
        if table[name].isna().any():
            row = int(np.flatnonzero(table[name].isna().to_numpy())[0]) + 1
            raise DataError("the covariate is blank", row=row, column=name)
    if k < 1 or k >= len(table):
        raise InputError(f"k must be between 1 and {len(table) - 1}, got {k}", column="k")
    values = table[list(chosen)].to_numpy(dtype=float)
    z = (values - values.mean(axis=0)) / values.std(axis=0)
    w = np.array([float((weights or {}).get(name, 1.0)) for name in chosen])
    me = z[table["kommunekode"].to_numpy() == code][0]
    parts = w * (z - me) ** 2
    distance = np.sqrt(parts.sum(axis=1))
    frame = table[["kommunekode", "name", "region"]].assign(distance=distance)
    for j, name in enumerate(chosen):
        frame[f"contribution_{name}"] = np.where(
            distance > 0, parts[:, j] / np.maximum(distance**2, 1e-12), 0.0
        )
    frame = frame[frame["kommunekode"] != code]
    if peers is not None:
        wanted = [_code(p, "peers") for p in peers]
        unknown = [p for p in wanted if p not in set(frame["kommunekode"])]
        if unknown:
            raise InputError(f"unknown peer municipality {unknown[0]}", column="peers")
        frame = frame.set_index("kommunekode").loc[wanted].reset_index()
    else:
        frame = frame.nsmallest(k, "distance")
    return PeerSet(code, frame.reset_index(drop=True), chosen)


def validate_kpis(
    kpis: Any,
    *,
    source: str | None = None,
    reference: pd.DataFrame | None = None,
    columns: Sequence[str] = KPI_COLUMNS,
) -> pd.DataFrame:
    """Check a KPI table (one row per municipality x job_category x period) and normalise it.

    ``columns`` names the KPI columns the table must have (default: all of them).

    Raises
    ------
    DataError
        Naming the row (header = row 1 for files) and column of the first problem.

    Examples
    --------
    >>> bad = example_kpis().head(3).assign(failed=[1, 999, 2])
    >>> validate_kpis(bad)
    Traceback (most recent call last):
    ...
    rekrut.errors.DataError: KPI table, row 2, column failed: failed exceeds postings
    """
    kpis = to_pandas(kpis, "KPI table")
    where = source or "KPI table"

    def row_of(i: int) -> int:
        return i + 2 if source else i + 1

    if len(kpis) == 0:
        raise DataError("the table has no rows", file=where)
    for column in ("kommunekode", "job_category", "period", *columns):
        if column not in kpis.columns:
            raise DataError("the column is missing", file=where, column=column)
    out: pd.DataFrame = kpis.copy()
    known = set((reference if reference is not None else municipalities())["kommunekode"].map(str))
    codes = []
    for i, value in enumerate(out["kommunekode"]):
        try:
            code = normalize_kommunekode(value)
        except ValueError:
            raise DataError(
                f"{value!r} is not a kommunekode", file=where, row=row_of(i), column="kommunekode"
            ) from None
        if code not in known:
            raise DataError(
                f"unknown municipality {code}", file=where, row=row_of(i), column="kommunekode"
            )
        codes.append(code)
    out["kommunekode"] = codes
    for column in columns:
        numbers = pd.to_numeric(out[column], errors="coerce")
        bad = numbers.isna() | (numbers < 0) | ~np.isfinite(numbers.fillna(0).astype(float))
        if column != "cost_dkk":
            bad |= numbers != np.floor(numbers.fillna(0))
        if bad.any():
            i = int(np.flatnonzero(bad.to_numpy())[0])
            shown = out[column].iloc[i]
            raise DataError(
                f"{repr(shown) if isinstance(shown, str) else float(numbers.iloc[i])} must be a finite, "
                f"non-negative {'amount' if column == 'cost_dkk' else 'whole number'}",
                file=where,
                row=row_of(i),
                column=column,
            )
        out[column] = numbers.astype(float)
    for small, large in (
        ("failed", "postings"),
        ("reposts", "postings"),
        ("early_leavers", "hires"),
        ("qualified", "applications"),
        ("hires", "applications"),
    ):
        if small not in columns or large not in columns:
            continue
        broken = out[small] > out[large]
        if broken.any():
            i = int(np.flatnonzero(broken.to_numpy())[0])
            raise DataError(f"{small} exceeds {large}", file=where, row=row_of(i), column=small)
    return out


# metric -> (numerator, denominator, kind, lower_is_better)
_KPIS: dict[str, tuple[str, str, str, bool]] = {
    "applications_per_posting": ("applications", "postings", "rate", False),
    "fill_rate": ("filled", "postings", "proportion", False),
    "repost_rate": ("reposts", "postings", "proportion", True),
    "retention_12m": ("retained", "hires", "proportion", False),
    "cost_per_hire": ("cost_dkk", "hires", "cost", True),
}


@dataclass(frozen=True, slots=True)
class PeerComparison:
    """KPIs of a municipality and its peers, after small-cell suppression.

    ``table``: one row per metric and municipality (the focal one first) with ``value``,
    ``shrunk`` and its interval, ``funnel_low_95/high_95/low_998/high_998`` (limits around the
    peer-group level for that denominator), ``peer_median``, ``percentile`` (share of peers
    with a lower value), ``verdict`` (``above``, ``in_line`` or ``below`` the 95 % limits) and
    ``better`` (direction-aware). ``notes`` lists what was suppressed.
    """

    municipality: str
    table: pd.DataFrame
    notes: tuple[str, ...]
    peers: PeerSet

    def to_dict(self) -> dict[str, Any]:
        """Return JSON-safe values."""
        return {
            "municipality": self.municipality,
            "peers": self.peers.codes,
            "table": _records(self.table),
            "notes": list(self.notes),
        }


def _check_known(kind: str, value: str, values: pd.Series, column: str) -> None:
    known = sorted({str(v) for v in values.dropna().unique()})
    if value not in known:
        raise UnknownNameError(unknown_name(kind, value, known), column=column)


def compare(
    kpis: Any,
    municipality: str | int,
    *,
    job_category: str | None = None,
    period: str | None = None,
    by: str | Sequence[str] = (),
    peers: PeerSet | Sequence[str | int] | None = None,
    k: int = 10,
    metrics: Sequence[str] = tuple(_KPIS),
    min_count: int = DEFAULT_MIN_COUNT,
    credible_level: float = 0.95,
) -> PeerComparison:
    """Compare a municipality's KPIs with its peers', honestly and without disclosing people.

    Shrunk estimates pool every municipality in the KPI slice (empirical Bayes: Beta–Binomial for
    shares, Gamma–Poisson for applicants per posting and hires per posting behind cost per hire),
    so small municipalities are not ranked on noise. Funnel limits follow Spiegelhalter (2005,
    *Statistics in Medicine* 24:1185, doi:10.1002/sim.1970) with the between-municipality
    variance of the fitted prior added (his random-effects funnel). Rows about fewer than
    ``min_count`` hires or applicants (for retention: early leavers or those who stayed) are
    suppressed with everything derived from them, funnel limits included; suppression is
    decided once over every aggregate any query of this KPI table can show, with
    complementary cells hidden so that no total minus visible cells, within one call or across
    calls with other ``job_category``, ``period`` or ``by``, recovers a hidden count
    (:func:`rekrut.disclosure.protect_cube`). Peer summaries use unsuppressed peers only.

    ``job_category`` and ``period`` select one slice (rows outside it are left out; with
    neither, all rows of a municipality are summed). ``by`` names columns of the KPI table
    (e.g. ``"job_category"``) to compare within each of their values in one call: each slice
    gets its own prior, limits and peer summaries, and the table gains the ``by`` columns.
    Slices without the municipality are left out with a note.

    Examples
    --------
    >>> res = compare(synthetic_kpis(seed=1), "159", job_category="sosu_assistent", period="2025")
    >>> res.table.iloc[0][["kommunekode", "metric"]].tolist()
    ['159', 'applications_per_posting']
    >>> every = compare(synthetic_kpis(seed=1), "159", period="2025", by="job_category")
    >>> every.table.groupby("job_category").size().to_dict()
    {'paedagog': 55, 'sosu_assistent': 55, 'sygeplejerske': 55}
    """
    unknown = [m for m in metrics if m not in _KPIS]
    if unknown:
        raise InputError(f"unknown KPI {unknown[0]!r}; known: {', '.join(_KPIS)}", column="metrics")
    kpis = to_pandas(kpis, "KPI table")
    keys = [by] if isinstance(by, str) else list(by)
    for key in keys:
        if key not in kpis.columns or key in ("kommunekode", *KPI_COLUMNS):
            raise InputError(f"the KPI table has no slice column {key!r} to compare by", column=key)
    reference = municipalities()
    data = validate_kpis(kpis, reference=reference)
    code = _code(municipality)
    peer_set = peers if isinstance(peers, PeerSet) else find(code, k=k, peers=peers)
    protection = _protection(data, [code, *peer_set.codes], min_count)
    if job_category is not None:
        _check_known("job category", job_category, data["job_category"], "job_category")
        data = data[data["job_category"] == job_category]
    if period is not None:
        _check_known("period", str(period), data["period"].astype(str), "period")
        data = data[data["period"].astype(str) == str(period)]
    data = data.groupby([*keys, "kommunekode"], as_index=False, sort=False)[list(KPI_COLUMNS)].sum()
    data = data.assign(
        filled=data["postings"] - data["failed"], retained=data["hires"] - data["early_leavers"]
    )
    slices: Iterable[tuple[Any, pd.DataFrame]] = (
        data.groupby(keys, sort=True) if keys else [((), data)]
    )
    parts: list[dict[str, np.ndarray]] = []
    notes: list[str] = []
    for key, part in slices:
        label = dict(zip(keys, key, strict=True))
        if code not in set(part["kommunekode"]):
            if keys:
                where = ", ".join(f"{c}={v}" for c, v in label.items())
                notes.append(f"{where}: no rows for municipality {code}; left out")
            continue
        found = _slice_table(part, metrics, credible_level)
        if found:
            rows = len(found["metric"])
            parts.append({**{c: np.full(rows, v, dtype=object) for c, v in label.items()}, **found})
    if not parts:
        raise InputError(
            f"the KPI table has no rows for municipality {code} in this slice", column="kommunekode"
        )
    merged = {c: np.concatenate([part[c] for part in parts]) for c in parts[0]}
    keep = np.isin(merged["kommunekode"].astype(str), [code, *peer_set.codes])
    table = pd.DataFrame({c: values[keep] for c, values in merged.items()})
    names = reference.set_index("kommunekode")["name"]
    table.insert(len(keys) + 2, "name", table["kommunekode"].map(names))
    table["role"] = np.where(table["kommunekode"] == code, "municipality", "peer")
    derived = [
        "postings",
        "applications",
        "hires",
        "value",
        "shrunk",
        "shrunk_ci_low",
        "shrunk_ci_high",
    ]
    fixed = {"job_category": job_category, "period": None if period is None else str(period)}
    hidden = _hidden_rows(
        table, protection, keys, {d: v for d, v in fixed.items() if v is not None}
    )
    why = f"a count of people below {min_count} here or in a total it adds to"
    safe = blank(
        table,
        hidden,
        blank_columns=[*derived, *_FUNNEL],
        reasons=[why] * len(table),
        label_columns=[*keys, "kommunekode", "metric"],
    )
    out = _verdicts(safe.table, [*keys, "metric"])
    order = {m: i for i, m in enumerate(metrics)}
    out = out.assign(
        _metric=out["metric"].map(order), _role=out["role"].map({"municipality": 0, "peer": 1})
    )
    out = out.sort_values([*keys, "_metric", "_role"], kind="stable")
    out = out.drop(columns=["_metric", "_role"]).reset_index(drop=True)
    return PeerComparison(code, out, (*notes, *safe.notes), peer_set)


_FUNNEL = ("funnel_low_95", "funnel_high_95", "funnel_low_998", "funnel_high_998")


def _protection(
    data: pd.DataFrame, units: Sequence[str], min_count: int
) -> tuple[CubeSuppression, CubeSuppression]:
    """Suppression over every aggregate a comparison can show, decided once from the whole table.

    The cube spans every slice column of the KPI table (job category, period and any other), so
    a query summing over a column and one breaking it down agree on what is hidden. The first
    pattern protects hires and applicants (every KPI of a hidden cell is blanked), the second,
    nested in it, protects early leavers and those who stayed (retention only).
    """
    dims = [c for c in data.columns if c not in ("kommunekode", *KPI_COLUMNS)]
    people = data.assign(retained=data["hires"] - data["early_leavers"])
    common: dict[str, Any] = {"unit": "kommunekode", "dims": dims, "min_count": min_count}
    cells = protect_cube(people, counts=["hires", "applications"], units=units, **common)
    staying = protect_cube(
        people, counts=["early_leavers", "retained"], units=units, within=cells, **common
    )
    return cells, staying


def _hidden_rows(
    table: pd.DataFrame,
    protection: tuple[CubeSuppression, CubeSuppression],
    keys: Sequence[str],
    fixed: Mapping[str, str],
) -> np.ndarray:
    """Whether each row of the comparison shows a hidden cube cell."""
    cells, staying = protection
    hidden = np.zeros(len(table), dtype=bool)
    labels = table[list(keys)].to_numpy(dtype=object) if keys else np.empty((len(table), 0))
    for i, (unit, metric) in enumerate(zip(table["kommunekode"], table["metric"], strict=True)):
        cell = {**fixed, **dict(zip(keys, labels[i], strict=True))}
        pattern = staying if metric == "retention_12m" else cells
        hidden[i] = pattern.status(unit, cell) != "shown"
    return hidden


def _slice_table(
    data: pd.DataFrame, metrics: Sequence[str], credible_level: float
) -> dict[str, np.ndarray]:
    """Raw and shrunk KPIs with funnel limits for every municipality of one slice (columns)."""
    col = {c: data[c].to_numpy() for c in (*KPI_COLUMNS, "filled", "retained", "kommunekode")}
    columns: dict[str, list[np.ndarray]] = {}
    rows = col["kommunekode"].size
    for metric in metrics:
        _, den, _, lower = _KPIS[metric]
        used = col[den] > 0
        estimates = _estimates(col, metric, used, credible_level) if used.any() else {}
        # Every municipality gets a row, estimable or not: a missing row would tell a zero.
        found = {
            "metric": np.full(rows, metric, dtype=object),
            "kommunekode": col["kommunekode"],
            "postings": col["postings"],
            "applications": col["applications"],
            "hires": col["hires"],
            **{name: _scatter(estimates.get(name), used) for name in _ESTIMATES},
            "lower_is_better": np.full(rows, lower),
        }
        for name, values in found.items():
            columns.setdefault(name, []).append(np.asarray(values))
    return {name: np.concatenate(parts) for name, parts in columns.items()}


_ESTIMATES = ("value", "shrunk", "shrunk_ci_low", "shrunk_ci_high", *_FUNNEL)


def _estimates(
    col: Mapping[str, np.ndarray], metric: str, used: np.ndarray, credible_level: float
) -> dict[str, np.ndarray]:
    """Raw and shrunk values with funnel limits for the municipalities with a denominator."""
    from rekrut.stats import pool_beta_binomial, pool_gamma_poisson

    z95, z998 = stats.norm.isf(0.025), stats.norm.isf(0.001)
    num, den, kind, _ = _KPIS[metric]
    postings = col["postings"][used]
    if kind == "proportion":
        trials = col[den][used]
        fit = pool_beta_binomial(col[num][used], trials, credible_level=credible_level)
        a, b = float(fit.prior_a), float(fit.prior_b)
        level, tau2 = a / (a + b), a * b / ((a + b) ** 2 * (a + b + 1))
        within = level * (1 - level) / trials
        value, shrunk, low, high = fit.raw, fit.mean, fit.ci_low, fit.ci_high
    else:
        counts = col["hires" if kind == "cost" else num][used]
        fit = pool_gamma_poisson(counts, postings, credible_level=credible_level)
        a, b = float(fit.prior_a), float(fit.prior_b)
        level, tau2 = a / b, a / b**2
        within = level / postings
        value, shrunk, low, high = fit.raw, fit.mean, fit.ci_low, fit.ci_high
        if kind == "cost":
            per_posting = col["cost_dkk"][used] / postings
            with np.errstate(divide="ignore", invalid="ignore"):
                value, shrunk = per_posting / fit.raw, per_posting / fit.mean
                low, high = per_posting / fit.ci_high, per_posting / fit.ci_low
            within = np.full(postings.size, np.nan)
    spread95, spread998 = z95 * np.sqrt(within + tau2), z998 * np.sqrt(within + tau2)
    return {
        "value": value,
        "shrunk": shrunk,
        "shrunk_ci_low": low,
        "shrunk_ci_high": high,
        "funnel_low_95": level - spread95,
        "funnel_high_95": level + spread95,
        "funnel_low_998": level - spread998,
        "funnel_high_998": level + spread998,
    }


def _scatter(values: np.ndarray | None, used: np.ndarray) -> np.ndarray:
    out = np.full(used.size, np.nan)
    if values is not None:
        out[used] = values
    return out


def _verdicts(table: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    out = table.copy()
    shown = out[(out["role"] == "peer") & ~out["suppressed"].astype(bool)]
    group_of = out.groupby(keys, sort=False).ngroup().to_numpy()
    shown_group = group_of[np.flatnonzero(out.index.isin(shown.index))]
    values = shown["value"].to_numpy(dtype=float)
    median = np.full(len(out), np.nan)
    percentile = np.full(len(out), np.nan)
    mine = out["value"].to_numpy(dtype=float)
    for g, positions in enumerate(_positions(group_of)):
        peer_values = np.sort(values[shown_group == g])
        peer_values = peer_values[~np.isnan(peer_values)]
        if peer_values.size:
            median[positions] = np.median(peer_values)
            share = np.searchsorted(peer_values, mine[positions], side="left") / peer_values.size
            percentile[positions] = np.where(np.isnan(mine[positions]), np.nan, share)
    out["peer_median"] = median
    out["percentile"] = percentile
    value = out["value"].astype(float)
    above = value > out["funnel_high_95"]
    below = value < out["funnel_low_95"]
    verdict = pd.Series(
        np.where(above, "above", np.where(below, "below", "in_line")), index=out.index
    )
    out["verdict"] = verdict.astype(object).where(value.notna(), None)
    better = pd.Series(np.where(out["lower_is_better"], below, above), index=out.index)
    out["better"] = better.astype(object).where(value.notna() & (above | below), None)
    return out


def _positions(groups: np.ndarray) -> list[np.ndarray]:
    """Row positions of each group number 0, 1, ... (as numbered by ``ngroup``)."""
    order = np.argsort(groups, kind="stable")
    bounds = np.flatnonzero(np.diff(groups[order])) + 1
    return np.split(order, bounds) if groups.size else []


def example_kpis() -> pd.DataFrame:
    """The bundled SYNTHETIC KPI table (``synthetic_kpis(seed=2026)``), for demos and docs.

    Examples
    --------
    >>> example_kpis()["period"].unique().tolist()
    ['2024', '2025']
    """
    return read_resource_table("kpi_synthetic.csv", {"kommunekode": str, "period": str})


def synthetic_kpis(
    *,
    seed: int = 2026,
    job_categories: Sequence[str] = ("sosu_assistent", "sygeplejerske", "paedagog"),
    periods: Sequence[str] = ("2024", "2025"),
) -> pd.DataFrame:
    """A SYNTHETIC KPI table for all 98 municipalities (not real data).

    Postings scale with population; levels follow the simulator's job profiles (fill rates
    from STAR's failed-recruitment figures, applicants from Moderniseringsstyrelsen's medians,
    retention from KRL turnover; see :data:`rekrut.profiles.JOB_PROFILES`), with
    municipality-level variation drawn from Beta and Gamma distributions.

    Examples
    --------
    >>> table = synthetic_kpis(seed=1, job_categories=("paedagog",), periods=("2025",))
    >>> len(table), sorted(table.columns)[:3]
    (98, ['applications', 'cost_dkk', 'early_leavers'])
    """
    from rekrut.profiles import JOB_PROFILES

    rng = np.random.default_rng(seed)
    ref = municipalities()
    rows = []
    for category in job_categories:
        profile = JOB_PROFILES[category]
        for period in periods:
            n = len(ref)
            postings = rng.poisson(ref["population"].to_numpy() / 2500.0) + 1
            rate = rng.gamma(8.0, profile.applications_mean / 8.0, n)
            applications = rng.poisson(rate * postings)
            fill = rng.beta(profile.fill_rate * 30, (1 - profile.fill_rate) * 30, n)
            filled = rng.binomial(postings, fill)
            hires = np.minimum(filled + rng.binomial(filled, 0.1), applications)
            failed = postings - np.minimum(filled, hires)
            qualified = rng.binomial(applications, profile.qualified_share)
            qualified = np.maximum(qualified, np.minimum(hires, applications))
            counts = {"postings": postings, "applications": applications}
            counts |= {"qualified": qualified, "hires": hires, "failed": failed}
            rows.append(kpi_frame(rng, ref["kommunekode"], profile, category, period, counts))
    return pd.concat(rows, ignore_index=True)


def evaluate(
    panel: Any,
    municipality: str | int,
    *,
    start: str,
    metric: str = "fill_rate",
    method: Literal["synthetic_control", "did"] = "synthetic_control",
    job_category: str | None = None,
    donors: PeerSet | Sequence[str | int] | None = None,
    exclude: Sequence[str | int] = (),
    confidence_level: float = 0.95,
    source: str | None = None,
) -> InitiativeEvaluation:
    """An initiative in ``municipality`` from ``start`` on, against comparable municipalities.

    ``panel`` is a KPI table with several periods (``2025``, ``2025-01`` or ``2025Q1``). The
    metric per municipality and period (job categories summed unless ``job_category`` is
    given) is compared with a synthetic control (weighted donors that track the municipality
    before ``start``) or difference-in-differences (all donors alike). The p-value and
    interval come from placebo runs with each donor as the treated municipality. ``donors``
    (default: every other municipality) and ``exclude`` (municipalities with initiatives of
    their own) choose the comparison pool. ``source`` names the file the panel came from in
    error messages (rows then count the header). Methods and assumptions:
    :func:`rekrut.stats.placebo_synthetic_control`, :func:`rekrut.stats.did_regression`.

    Examples
    --------
    >>> res = evaluate(example_panel(), "0751", start="2023Q1", metric="fill_rate")
    >>> res.summary[["municipality", "method", "start"]].iloc[0].tolist()
    ['751', 'synthetic_control', '2023Q1']
    """
    if metric not in _KPIS:
        raise InputError(f"unknown KPI {metric!r}; known: {', '.join(_KPIS)}", column="metric")
    numerator, denominator = _KPIS[metric][:2]
    needed = {"filled": ("postings", "failed"), "retained": ("hires", "early_leavers")}
    columns = sorted({*needed.get(numerator, (numerator,)), denominator})
    data = validate_kpis(panel, columns=columns, source=source)
    try:  # one format throughout, or the row that breaks it
        parse_periods(data["period"].tolist())
    except DataError as exc:
        row = None if exc.row is None else exc.row + (1 if source else 0)
        raise DataError(exc.message, file=source, row=row, column=exc.column) from None
    wide = metric_panel(data, numerator, denominator, job_category=job_category)
    pool = donors.codes if isinstance(donors, PeerSet) else donors
    return evaluate_panel(
        wide,
        _code(municipality),
        metric=metric,
        start=start,
        method=method,
        donors=None if pool is None else [_code(c, "donors") for c in pool],
        exclude=[_code(c, "exclude") for c in exclude],
        confidence_level=confidence_level,
    )

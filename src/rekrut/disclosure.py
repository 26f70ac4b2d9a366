"""Disclosure control: counts about people are suppressed before anything leaves rekrut.

A row whose underlying count of people (hires, applicants) is below a threshold has that count
and every value derived from it blanked, and the output says what was suppressed and why
(:func:`suppress`, primary suppression within one table).

When the same data can be published at several levels of aggregation (a municipality's hires per
job category, per period, and in total), a suppressed cell could be recovered by subtracting the
visible cells from their total, within one query or across two. :func:`protect_cube` decides
suppression once for every aggregate any query can publish (the cube of all slice columns and
their margins) and adds complementary suppression until no hidden cell is determined by the
visible ones through any combination of the additivity relations; every query then shows only
cells the cube leaves visible.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

__all__ = [
    "ALL",
    "DEFAULT_MIN_COUNT",
    "CubeSuppression",
    "Suppressed",
    "blank",
    "protect_cube",
    "suppress",
]

DEFAULT_MIN_COUNT = 5
"""Cells about fewer than 5 people are suppressed (the usual rule of Danish statistics)."""

ALL = "*"
"""The margin of a slice column in a cube cell: summed over all its values."""


@dataclass(frozen=True, slots=True)
class Suppressed:
    """A table after suppression, with the reasons."""

    table: pd.DataFrame
    notes: tuple[str, ...]


def suppress(
    table: pd.DataFrame,
    *,
    count_columns: Sequence[str],
    blank_columns: Sequence[str],
    min_count: int = DEFAULT_MIN_COUNT,
    label_columns: Sequence[str] = (),
) -> Suppressed:
    """Blank every row in which any of ``count_columns`` is below ``min_count``.

    Parameters
    ----------
    table
        One row per cell (e.g. municipality x metric).
    count_columns
        Counts of people that decide suppression (e.g. ``hires``, ``applications``).
    blank_columns
        Columns blanked in a suppressed row: the counts themselves and everything derived from
        them (rates, shrunk estimates, intervals).
    min_count
        Rows with a count below this are suppressed.
    label_columns
        Columns naming the row in the notes.

    Examples
    --------
    >>> t = pd.DataFrame({"kommune": ["A", "B"], "hires": [12, 3], "rate": [0.4, 0.1]})
    >>> out = suppress(t, count_columns=["hires"], blank_columns=["hires", "rate"],
    ...                label_columns=["kommune"])
    >>> out.table["rate"].tolist(), out.notes
    ([0.4, nan], ('B: suppressed (hires below 5)',))
    """
    if min_count < 1:
        raise ValueError(f"min_count must be at least 1, got {min_count!r}")
    missing = [c for c in (*count_columns, *blank_columns) if c not in table.columns]
    if missing:
        raise ValueError(f"suppress: no column {missing[0]!r} in the table")
    out = table.copy()
    small = np.zeros(len(out), dtype=bool)
    reasons: list[list[str]] = [[] for _ in range(len(out))]
    for column in count_columns:
        below = (out[column].to_numpy(dtype=float) < min_count) & out[column].notna().to_numpy()
        small |= below
        for i in np.flatnonzero(below):
            reasons[i].append(column)
    texts = [f"{', '.join(r)} below {min_count}" for r in reasons]
    return blank(
        out, small, blank_columns=blank_columns, reasons=texts, label_columns=label_columns
    )


def blank(
    table: pd.DataFrame,
    hidden: np.ndarray,
    *,
    blank_columns: Sequence[str],
    reasons: Sequence[str],
    label_columns: Sequence[str] = (),
) -> Suppressed:
    """Blank ``blank_columns`` in the ``hidden`` rows, add ``suppressed`` and one note per row.

    ``reasons`` has one text per row (used for hidden rows only).

    Examples
    --------
    >>> t = pd.DataFrame({"kommune": ["A", "B"], "rate": [0.4, 0.1]})
    >>> out = blank(t, np.array([False, True]), blank_columns=["rate"],
    ...             reasons=["", "a small total"], label_columns=["kommune"])
    >>> out.table["rate"].tolist(), out.notes
    ([0.4, nan], ('B: suppressed (a small total)',))
    """
    out = table.copy()
    for column in blank_columns:
        out[column] = (
            out[column].astype(object).where(~hidden, None)
            if out[column].dtype == object
            else out[column].where(~hidden, np.nan)
        )
    out["suppressed"] = hidden
    notes = tuple(
        f"{' '.join(str(out.iloc[i][c]) for c in label_columns) or f'row {i + 1}'}: suppressed "
        f"({reasons[int(i)]})"
        for i in np.flatnonzero(hidden)
    )
    return Suppressed(out, notes)


@dataclass(frozen=True, slots=True)
class CubeSuppression:
    """Which aggregates of a table may be shown, for each unit (e.g. municipality).

    ``hidden[unit]`` and ``primary[unit]`` are boolean arrays over the unit's cube: one axis per
    slice column with one position per value the unit has (in ``levels[unit]``) and a last
    position for the margin (:data:`ALL`). ``primary`` marks cells with a small count;
    ``hidden`` adds the complementary suppression.
    """

    dims: tuple[str, ...]
    levels: Mapping[Hashable, tuple[tuple[str, ...], ...]]
    hidden: Mapping[Hashable, np.ndarray]
    primary: Mapping[Hashable, np.ndarray]

    def status(self, unit: Hashable, cell: Mapping[str, Any]) -> str:
        """``"shown"``, ``"primary"`` or ``"complementary"`` for one cell.

        ``cell`` maps slice columns to values; a column left out (or given as :data:`ALL`) is
        summed over. A cell the unit has no rows for is shown (it is known to be empty).
        """
        if unit not in self.hidden:
            return "shown"
        index = []
        for dim, values in zip(self.dims, self.levels[unit], strict=True):
            value = cell.get(dim, ALL)
            if value == ALL:
                index.append(len(values))
            elif str(value) in values:
                index.append(values.index(str(value)))
            else:
                return "shown"
        at = tuple(index)
        if self.primary[unit][at]:
            return "primary"
        return "complementary" if self.hidden[unit][at] else "shown"


def protect_cube(
    table: pd.DataFrame,
    *,
    unit: str,
    dims: Sequence[str],
    counts: Sequence[str],
    min_count: int = DEFAULT_MIN_COUNT,
    units: Sequence[Hashable] | None = None,
    within: CubeSuppression | None = None,
) -> CubeSuppression:
    """Suppress every aggregate of ``counts`` that is small or would let one be recovered.

    For each unit, the cube holds every combination of the ``dims`` values and their margins
    (sums over one or more ``dims``) — every aggregate a query selecting or summing over the
    ``dims`` can publish. A cell is suppressed if any of its ``counts`` is below ``min_count``
    (primary) or if it is needed to protect such a cell (complementary): first, every
    additivity relation (a margin and its parts) with exactly one hidden member, or whose hidden
    members sum to zero in a count, gets one more (the smallest shown part, else the margin);
    then, while linear algebra finds a hidden cell whose value follows from the visible cells
    through any combination of relations, or a linear programme (counts being at least zero)
    confines one to a single value, one more member of a relation through it is hidden. Cells the unit has no rows for are known
    to be empty and stay shown.

    Parameters
    ----------
    table
        One row per finest cell (or finer), with the ``unit`` column, the ``dims`` and ``counts``.
    unit
        Column naming the unit (relations never cross units).
    dims
        Slice columns a query can select or sum over.
    counts
        Counts of people protected.
    min_count
        Counts below this (zero included) are small.
    units
        Units to protect (default: every unit in the table).
    within
        An earlier pattern on the same ``unit`` and ``dims`` whose hidden cells stay hidden.

    Examples
    --------
    >>> t = pd.DataFrame({"kommune": ["A"] * 3, "category": ["x", "y", "z"],
    ...                   "hires": [3, 40, 50]})
    >>> cube = protect_cube(t, unit="kommune", dims=["category"], counts=["hires"])
    >>> [cube.status("A", {"category": c}) for c in ["x", "y", "z", ALL]]
    ['primary', 'complementary', 'shown', 'shown']
    """
    if min_count < 1:
        raise ValueError(f"min_count must be at least 1, got {min_count!r}")
    dims = tuple(dims)
    keys = table[list(dims)].astype(str) if dims else pd.DataFrame(index=table.index)
    wanted = list(pd.unique(table[unit])) if units is None else list(units)
    levels: dict[Hashable, tuple[tuple[str, ...], ...]] = {}
    hidden: dict[Hashable, np.ndarray] = {}
    primary: dict[Hashable, np.ndarray] = {}
    for name in wanted:
        rows = (table[unit] == name).to_numpy()
        if not rows.any():
            continue
        mine = tuple(tuple(sorted(pd.unique(keys.loc[rows, d]))) for d in dims)
        values, present = _cube(table.loc[rows, list(counts)], keys.loc[rows], mine)
        small = present & (values < min_count).any(axis=-1)
        start = small.copy()
        if within is not None and name in within.hidden:
            start |= within.hidden[name] & present
        levels[name], primary[name] = mine, small
        hidden[name] = _complete(start, present, values)
    return CubeSuppression(dims, levels, hidden, primary)


def _cube(
    counts: pd.DataFrame, keys: pd.DataFrame, levels: tuple[tuple[str, ...], ...]
) -> tuple[np.ndarray, np.ndarray]:
    """Counts (last axis: one per count column) and presence over the cube with margins."""
    shape = tuple(len(v) for v in levels)
    values = np.zeros((*shape, counts.shape[1]))
    present = np.zeros(shape, dtype=bool)
    position = tuple(
        np.searchsorted(np.asarray(v, dtype=object), keys[d].to_numpy(dtype=object))
        for d, v in zip(keys.columns, levels, strict=True)
    )
    np.add.at(values, position, counts.to_numpy(dtype=float))
    present[position] = True
    for axis in range(len(shape)):
        values = np.concatenate([values, values.sum(axis=axis, keepdims=True)], axis=axis)
        present = np.concatenate([present, present.any(axis=axis, keepdims=True)], axis=axis)
    return values, present


def _relations(shape: tuple[int, ...]) -> list[np.ndarray]:
    """Flat cell ids of every additivity relation: the parts, then their margin last."""
    ids = np.arange(int(np.prod(shape))).reshape(shape)
    return [
        row
        for axis in range(len(shape))
        for row in np.moveaxis(ids, axis, -1).reshape(-1, shape[axis])
    ]


def _complete(hidden: np.ndarray, present: np.ndarray, values: np.ndarray) -> np.ndarray:
    """Add complementary suppression until no hidden cell follows from the shown ones."""
    shape = hidden.shape
    out, known = hidden.ravel().copy(), present.ravel()
    flat = values.reshape(known.size, -1)
    relations = [rel[known[rel]] for rel in _relations(shape)]
    relations = [rel for rel in relations if rel.size > 1]
    size = flat.min(axis=1)
    while True:
        weak = [rel for rel in relations if _exposed(out[rel], flat[rel])]
        if weak:
            out[_partner(weak[0], out, size)] = True
            continue
        found = _determined(relations, out, known)
        if found is None:
            found = _pinned(relations, out, known, flat)
        if found is None:
            return out.reshape(shape)
        through = [rel for rel in relations if found in rel and not out[rel].all()]
        if (
            not through
        ):  # pragma: no cover - a determined cell lies on a relation with a shown member
            return known.reshape(shape)
        out[_partner(through[0], out, size)] = True


def _exposed(hidden: np.ndarray, values: np.ndarray) -> bool:
    """A relation gives its hidden members away: one alone, or all zero in some count (then
    non-negativity fixes each of them at zero)."""
    if not hidden.any() or hidden.all():
        return False
    return bool(hidden.sum() == 1 or (values[hidden].sum(axis=0) == 0).any())


def _partner(relation: np.ndarray, hidden: np.ndarray, size: np.ndarray) -> int:
    """The shown member to hide with the hidden ones: the smallest part, else the margin.

    Shown cells are never small, so a partner adds at least ``min_count`` to the hidden sum of
    its relation (a zero beside a small cell would let non-negativity show both).
    """
    shown = [int(i) for i in relation if not hidden[i]]
    margin = int(relation[-1])
    return min(shown, key=lambda i: (i == margin, size[i], i))


def _system(
    relations: list[np.ndarray], hidden: np.ndarray, known: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """The hidden cells and the relations as a matrix over them (margin +1, parts -1)."""
    unknown = np.flatnonzero(hidden & known)
    column = {int(c): j for j, c in enumerate(unknown)}
    matrix = np.zeros((len(relations), unknown.size))
    for r, rel in enumerate(relations):
        for position, cell in enumerate(rel):
            if int(cell) in column:
                matrix[r, column[int(cell)]] = 1.0 if position == rel.size - 1 else -1.0
    return unknown, matrix


def _determined(relations: list[np.ndarray], hidden: np.ndarray, known: np.ndarray) -> int | None:
    """A hidden cell whose value the relations fix given the shown cells, if any.

    The relations restricted to the hidden cells form a matrix ``A``; the shown cells move to the
    right-hand side. Hidden cell ``i`` is fixed exactly when the unit vector ``e_i`` lies in the
    row space of ``A``: its squared projection on the right singular vectors equals 1.
    """
    unknown, matrix = _system(relations, hidden, known)
    if unknown.size == 0:
        return None
    _, singular, vt = np.linalg.svd(matrix, full_matrices=True)
    rank = int((singular > 1e-9 * max(1.0, singular.max(initial=0.0))).sum())
    reach = (vt[:rank] ** 2).sum(axis=0)
    fixed = np.flatnonzero(reach > 1 - 1e-9)
    return int(unknown[fixed[0]]) if fixed.size else None


def _pinned(
    relations: list[np.ndarray], hidden: np.ndarray, known: np.ndarray, values: np.ndarray
) -> int | None:
    """A hidden cell that the relations and non-negativity confine to one value, if any.

    For each count, a linear programme finds the smallest and the largest value of every hidden
    cell consistent with the shown cells, the relations and counts being at least 0 (the
    attack on suppressed tables of Fellegi 1972 and Cox 1980); a range narrower than one
    person gives the cell away even when no subtraction does (hidden zeros beside each other).
    Without a hidden zero in a count the shown values lie inside the non-negative region, and
    linear algebra has already answered: that count needs no programme.
    """
    from scipy.optimize import linprog

    unknown, matrix = _system(relations, hidden, known)
    if unknown.size == 0:
        return None
    shown = known & ~hidden
    for count in range(values.shape[1]):
        if (values[unknown, count] > 0).all():
            continue  # an inner point: every hidden cell can move either way along a free direction
        rhs = np.array([_shown_sum(rel, shown, values[:, count]) for rel in relations])
        for j, cell in enumerate(unknown):
            goal = np.zeros(unknown.size)
            goal[j] = 1.0
            low = linprog(goal, A_eq=matrix, b_eq=rhs, bounds=(0, None))
            high = linprog(-goal, A_eq=matrix, b_eq=rhs, bounds=(0, None))
            if low.status == 0 and high.status == 0 and -high.fun - low.fun < 0.5:
                return int(cell)
    return None


def _shown_sum(relation: np.ndarray, shown: np.ndarray, values: np.ndarray) -> float:
    """What the hidden members of a relation must add up to: minus its shown members, signed."""
    signs = np.where(np.arange(relation.size) == relation.size - 1, 1.0, -1.0)
    visible = shown[relation]
    return float(-(signs[visible] * values[relation][visible]).sum())

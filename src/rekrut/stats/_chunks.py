"""Run a per-cell computation over many cells a chunk of cells at a time.

The exact Bayesian computations of :mod:`rekrut.stats._posteriors` hold quadrature nodes,
weights and integrands for every cell at once, about 2.5 to 5 KB of working memory per cell
(one million cells needed 3 to 5 GiB). Every output of a cell depends only on that cell's
parameters, so the same computation over consecutive slices of the flattened cells, written
into preallocated outputs, gives the same numbers with the memory of one slice.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

CHUNK_CELLS = 16_384
"""Cells computed at once: about 40 to 80 MiB of working memory in the exact computations."""


def by_chunks(
    kernel: Callable[[slice], tuple[np.ndarray, ...]], size: int
) -> tuple[np.ndarray, ...]:
    """Outputs of ``kernel`` over ``size`` flattened cells, :data:`CHUNK_CELLS` at a time.

    Parameters
    ----------
    kernel : callable
        Takes a slice of the flattened cells and returns a tuple of arrays whose first axis
        runs over those cells. Called once with ``slice(0, size)`` when every cell fits in one
        chunk (its outputs are returned as they are), else once per chunk, in order.
    size : int
        The number of cells.

    Returns
    -------
    tuple of numpy.ndarray
        The outputs of every chunk, concatenated along the first axis.

    Examples
    --------
    >>> values = np.arange(5.0)
    >>> (out,) = by_chunks(lambda cells: (2.0 * values[cells],), values.size)
    >>> out.tolist()
    [0.0, 2.0, 4.0, 6.0, 8.0]
    """
    step = max(1, int(CHUNK_CELLS))
    if size <= step:
        return kernel(slice(0, size))
    out: tuple[np.ndarray, ...] = ()
    for start in range(0, size, step):
        cells = slice(start, min(start + step, size))
        parts = kernel(cells)
        if not out:
            out = tuple(np.empty((size, *p.shape[1:]), dtype=p.dtype) for p in parts)
        for whole, part in zip(out, parts, strict=True):
            whole[cells] = part
    return out

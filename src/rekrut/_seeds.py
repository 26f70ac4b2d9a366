"""Seeds: every random method is reproducible by default, and says which seed it used.

When no ``rng`` is given, the seed is derived from what the method is about: the SHA-256 of the
experiment id, a label of the method and its inputs (for an analysis: the per-arm sufficient
statistics of every metric; for a simulation: the settings), reduced to 63 bits. The same
experiment and data therefore give the same numbers on every run and every machine, and
different data give unrelated draws. A seed given as a whole number is used as it is; a
:class:`numpy.random.Generator` is used as it is and no seed is recorded (it cannot be known).
"""

from __future__ import annotations

import hashlib
from typing import Any

import numpy as np

__all__ = ["derive_seed", "resolve_rng"]


def derive_seed(*parts: Any) -> int:
    """A 63-bit seed from the parts (text, numbers, arrays, or sequences of them).

    Examples
    --------
    >>> derive_seed("sosu-kanaltest-2026", np.array([1.0, 2.0])) == derive_seed(
    ...     "sosu-kanaltest-2026", np.array([1.0, 2.0]))
    True
    >>> derive_seed("a") != derive_seed("b")
    True
    """
    digest = hashlib.sha256()
    for part in parts:
        _feed(digest, part)
    return int.from_bytes(digest.digest()[:8], "big") >> 1


def _feed(digest: Any, part: Any) -> None:
    if isinstance(part, np.ndarray):
        array = np.ascontiguousarray(part, dtype=np.float64)
        digest.update(f"array{array.shape}".encode())
        digest.update(np.nan_to_num(array, nan=-1.5e308).tobytes())
    elif isinstance(part, list | tuple):
        digest.update(f"seq{len(part)}".encode())
        for item in part:
            _feed(digest, item)
    else:
        digest.update(f"{type(part).__name__}:{part!r}\x00".encode())


def resolve_rng(
    rng: np.random.Generator | int | None, *parts: Any
) -> tuple[np.random.Generator, int | None]:
    """The generator to draw from and the seed to record.

    ``None`` derives the seed from ``parts`` (see the module docs); a whole number is the seed;
    a generator is used as it is (seed ``None``: it cannot be known).

    Examples
    --------
    >>> gen, seed = resolve_rng(None, "x")
    >>> seed == derive_seed("x")
    True
    >>> resolve_rng(7)[1]
    7
    """
    if isinstance(rng, np.random.Generator):
        return rng, None
    if rng is None:
        seed = derive_seed(*parts)
    elif isinstance(rng, bool) or not isinstance(rng, int | np.integer):
        raise ValueError(f"rng must be a whole number, a numpy Generator or None, got {rng!r}")
    else:
        seed = int(rng)
    return np.random.default_rng(seed), seed

"""A progress bar for long work, shown only to a person watching a terminal.

Library functions show nothing unless asked (``progress=True``); even then the bar appears only
when standard error is a terminal and tqdm (the ``progress`` extra) is installed.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable, Iterator
from typing import TypeVar

__all__ = ["progress"]

T = TypeVar("T")


def progress(
    items: Iterable[T], *, total: int | None = None, desc: str = "", enabled: bool = False
) -> Iterator[T]:
    """Yield ``items``, with a tqdm bar on a terminal when ``enabled``.

    Examples
    --------
    >>> list(progress(range(3), enabled=True))  # not a terminal under doctest: no bar
    [0, 1, 2]
    """
    if not enabled or not sys.stderr.isatty():
        yield from items
        return
    try:
        from tqdm import tqdm
    except ImportError:  # pragma: no cover - the progress extra is not installed
        yield from items
        return
    yield from tqdm(items, total=total, desc=desc, leave=False, file=sys.stderr)

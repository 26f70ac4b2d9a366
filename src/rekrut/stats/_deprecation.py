"""Old names of rekrut 0.1 kept for one release: thin aliases that warn and forward."""

from __future__ import annotations

import functools
import warnings
from collections.abc import Callable, Iterator
from typing import Any, ParamSpec, TypeVar

_P = ParamSpec("_P")
_R = TypeVar("_R")
_F = TypeVar("_F", bound=Callable[..., Any])

REMOVAL = "0.3"


def deprecated_alias(old: str, new: Callable[_P, _R]) -> Callable[_P, _R]:
    """Return ``new`` under the name ``old``, warning on every call that ``old`` is deprecated."""

    @functools.wraps(new)
    def alias(*args: _P.args, **kwargs: _P.kwargs) -> _R:
        msg = (
            f"rekrut.stats.{old} is deprecated and will be removed in rekrut {REMOVAL}; "
            f"use rekrut.stats.{new.__name__} instead"
        )
        warnings.warn(msg, DeprecationWarning, stacklevel=2)
        return new(*args, **kwargs)

    alias.__name__ = alias.__qualname__ = old
    alias.__doc__ = f"Deprecated alias of :func:`{new.__name__}` (renamed in rekrut 0.2)."
    return alias


def renamed_keywords(**renames: str) -> Callable[[_F], _F]:
    """Accept the old keyword names in ``renames`` (old=new) with a ``DeprecationWarning``."""

    def decorate(func: _F) -> _F:
        @functools.wraps(func)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            for old in renames.keys() & kwargs.keys():
                new = renames[old]
                if new in kwargs:
                    msg = f"{func.__name__}() got both {old!r} (deprecated) and {new!r}"
                    raise TypeError(msg)
                msg = (
                    f"{func.__name__}(): the keyword {old!r} is deprecated and will be removed in "
                    f"rekrut {REMOVAL}; use {new!r} instead"
                )
                warnings.warn(msg, DeprecationWarning, stacklevel=2)
                kwargs[new] = kwargs.pop(old)
            return func(*args, **kwargs)

        return wrapper  # type: ignore[return-value]

    return decorate


def unpack_deprecated(owner: str, names: tuple[str, ...], values: tuple[_R, ...]) -> Iterator[_R]:
    """Iterate a result that was a tuple in rekrut 0.1, warning that unpacking is deprecated."""
    msg = (
        f"{owner} returned a tuple in rekrut 0.1; unpacking its result is deprecated and will be "
        f"removed in rekrut {REMOVAL}; read the fields {', '.join(names)} instead"
    )
    warnings.warn(msg, DeprecationWarning, stacklevel=3)
    return iter(values)

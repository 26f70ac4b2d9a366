"""Heavy scipy submodules, imported on first attribute access.

``scipy.stats`` alone takes about a second and a half to import; loading it only when a test is
first computed keeps ``import rekrut`` fast. Modules write::

    if TYPE_CHECKING:
        from scipy import stats
    else:
        stats = lazy_module("scipy.stats")

so type checkers still see the real module.
"""

from __future__ import annotations

import importlib
from types import ModuleType
from typing import Any


class _LazyModule:
    __slots__ = ("_name",)

    def __init__(self, name: str) -> None:
        self._name = name

    def __getattr__(self, attr: str) -> Any:
        module: ModuleType = importlib.import_module(self._name)
        return getattr(module, attr)

    def __repr__(self) -> str:
        return f"<lazy module {self._name!r}>"


def lazy_module(name: str) -> Any:
    """Return a stand-in for module ``name`` that imports it when an attribute is first read."""
    return _LazyModule(name)

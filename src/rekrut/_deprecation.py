"""Old names that keep working for one release, with a ``DeprecationWarning`` naming the new one."""

from __future__ import annotations

import importlib
import warnings
from typing import Any

__all__ = ["RENAMED_ATTRIBUTES", "moved_module_attribute"]

RENAMED_ATTRIBUTES: dict[str, str] = {
    "rekrut.simulation.JOB_PROFILES": "rekrut.profiles.JOB_PROFILES",
    "rekrut.simulation.JobProfile": "rekrut.profiles.JobProfile",
    "rekrut.simulation.EFFECT_KEYS": "rekrut.profiles.EFFECT_KEYS",
    "rekrut.messages.Note": "rekrut.notes.Note",
    "rekrut.messages.NOTES": "rekrut.notes.NOTES",
    "rekrut.messages.Lang": "rekrut.notes.Lang",
}
"""Names whose new home is not the package root."""


def moved_module_attribute(old_module: str, new_module: str, name: str) -> Any:
    """Return ``name`` from its new home, warning that ``old_module.name`` is deprecated.

    Examples
    --------
    >>> import warnings
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     simulate = moved_module_attribute("rekrut.simulation", "rekrut._simulation",
    ...                                       "simulate")
    >>> str(caught[0].message)
    'rekrut.simulation.simulate is deprecated and will be removed in 0.3; use rekrut.simulate'
    """
    old = f"{old_module}.{name}"
    target = RENAMED_ATTRIBUTES.get(old)
    module = importlib.import_module(new_module)
    if target is None:
        if name not in getattr(module, "__all__", ()):
            raise AttributeError(f"module {old_module!r} has no attribute {name!r}")
        target = f"rekrut.{name}"
    warnings.warn(
        f"{old} is deprecated and will be removed in 0.3; use {target}",
        DeprecationWarning,
        stacklevel=3,
    )
    home, _, attribute = target.rpartition(".")
    return getattr(importlib.import_module(home), attribute)

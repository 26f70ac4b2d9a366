"""Deprecated module path, kept for one release: use ``rekrut.adjust``, ``rekrut.factorial``, ``rekrut.AdjustedEffects`` and ``rekrut.FactorialEffects``."""

from __future__ import annotations

from typing import Any

from rekrut._deprecation import moved_module_attribute

__all__: list[str] = []


def __getattr__(name: str) -> Any:
    return moved_module_attribute("rekrut.adjustment", "rekrut._adjustment", name)

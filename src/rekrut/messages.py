"""Deprecated module path, kept for one release: the notes live in :mod:`rekrut.notes`."""

from __future__ import annotations

from typing import Any

from rekrut._deprecation import moved_module_attribute

__all__: list[str] = []


def __getattr__(name: str) -> Any:
    return moved_module_attribute("rekrut.messages", "rekrut.notes", name)

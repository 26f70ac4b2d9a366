"""Deprecated module path, kept for one release: the notes live in :mod:`rekrut.notes`."""

from __future__ import annotations

import warnings

from rekrut.notes import NOTES, Lang, Note

__all__ = ["NOTES", "Lang", "Note"]

warnings.warn(
    "rekrut.messages is deprecated and will be removed in 0.3; use rekrut.notes",
    DeprecationWarning,
    stacklevel=2,
)

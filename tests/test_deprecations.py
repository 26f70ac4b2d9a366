"""Old module paths keep working for one release, each with a DeprecationWarning naming the new
home, and give the same objects."""

from __future__ import annotations

import importlib

import pytest

import rekrut as rk
from rekrut.profiles import EFFECT_KEYS, JOB_PROFILES


@pytest.mark.parametrize(
    ("module", "name", "new"),
    [
        ("rekrut.allocation", "allocate", rk.allocate),
        ("rekrut.allocation", "Allocation", rk.Allocation),
        ("rekrut.adjustment", "adjust", rk.adjust),
        ("rekrut.adjustment", "factorial", rk.factorial),
        ("rekrut.simulation", "simulate", rk.simulate),
        ("rekrut.simulation", "JOB_PROFILES", JOB_PROFILES),
        ("rekrut.simulation", "EFFECT_KEYS", EFFECT_KEYS),
    ],
)
def test_old_module_paths_warn_and_give_the_same_object(
    module: str, name: str, new: object
) -> None:
    old = importlib.import_module(module)
    with pytest.warns(DeprecationWarning, match=rf"{module}\.{name} is deprecated"):
        assert getattr(old, name) is new


def test_an_unknown_name_on_an_old_path_is_an_attribute_error() -> None:
    old = importlib.import_module("rekrut.allocation")
    with pytest.raises(AttributeError, match="no attribute 'nothing'"):
        _ = old.nothing


def test_the_old_notes_module_warns() -> None:
    from rekrut.notes import Note

    old = importlib.import_module("rekrut.messages")
    with pytest.warns(DeprecationWarning, match=r"use rekrut\.notes\.Note"):
        assert old.Note is Note

"""The method catalogue: every code a result can carry has a Danish and an English label."""

from __future__ import annotations

import re
import typing
from pathlib import Path

import pytest

from rekrut.methods import METHODS, method_label
from rekrut.stats import MethodCode

SRC = Path(__file__).resolve().parents[1] / "src" / "rekrut"


def test_every_method_code_has_both_labels() -> None:
    codes = set(typing.get_args(MethodCode))
    assert codes == set(METHODS)
    for code in codes:
        assert method_label(code, "da")
        assert method_label(code, "en")
        assert method_label(code, "da") != code


def test_every_code_written_in_the_source_is_a_method_code() -> None:
    # a method set by hand outside the type checker's reach must still be in the catalogue
    written = set()
    for path in SRC.rglob("*.py"):
        written |= set(re.findall(r'method(?::\s*MethodCode)?\s*=\s*"([a-z_]+)"', path.read_text()))
    written -= {"bounded", "holm", "bh", "none", "frequentist", "bayesian", "sequential"}
    assert written <= set(typing.get_args(MethodCode))


def test_unknown_code_is_a_clear_value_error() -> None:
    with pytest.raises(ValueError, match="unknown method code 'delta method, Welch t'"):
        method_label("delta method, Welch t", "da")
    with pytest.raises(ValueError, match="lang must be"):
        method_label("welch", "de")  # type: ignore[arg-type]


def test_methods_imports_nothing_from_rekrut() -> None:
    text = (SRC / "methods.py").read_text()
    assert not re.search(r"^\s*(from|import) rekrut", text, re.M)

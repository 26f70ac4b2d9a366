"""Hostile names through both report formats and the CLI: nothing in them becomes markup."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import rekrut as rk
from rekrut._escape import markdown_text, terminal_text
from rekrut.report import render_report

markdown = pytest.importorskip("markdown")
pytest.importorskip("matplotlib")

BIDI = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f"
ATTACKS = [
    "<script>alert(1)</script>",
    '<img src=x onerror="alert(1)">',
    "[klik her](javascript:alert(1))",
    "![](https://evil.example/pixel.png)",
    "<https://evil.example>",
    "titel\n# Indsprøjtet overskrift\n<b>fed</b>",
    "a | b | c",
    "$\\frac{1}{0}$ og $ 5",
    "abc\u202edcba\u2066x\u2069",
    "`kode` *fed* _skrå_ ~~streg~~",
    "- punkt\n---\n1. liste",
    "\x1b[31mrød\x1b[0m",
]


class _Elements(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.attrs: list[tuple[str, str | None]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self.attrs += attrs


def _elements(html: str) -> _Elements:
    parser = _Elements()
    # the plot's glyphs differ with the text drawn; the plot is checked by its own test
    parser.feed(re.sub(r"<svg.*?</svg>", "<svg></svg>", html, flags=re.DOTALL))
    return parser


def _result(name: str) -> rk.AnalysisResult:
    arms = [name or "x", f"{name}-B"]
    exp = rk.Experiment.model_validate(
        {
            "id": "fuzz",
            "title": name,
            "hypothesis": name,
            "job_category": name,
            "control": arms[0],
            "metrics": ["applications_per_posting", "fill_rate"],
            "arms": [
                {"id": arms[0], "channel": "jobnet", "variant": name or "v"},
                {"id": arms[1], "channel": "facebook"},
            ],
        }
    )
    data = pd.DataFrame(
        {
            "arm": [arms[0]] * 6 + [arms[1]] * 6,
            "applications": [3, 5, 8, 2, 9, 4, 7, 6, 12, 3, 8, 10],
            "hires": [1, 0, 1, 1, 0, 1, 1, 1, 0, 1, 1, 1],
        }
    )
    return rk.analyze(exp, data)


@pytest.fixture(scope="module")
def benign() -> tuple[_Elements, _Elements]:
    result = _result("Almindelig titel")
    rendered = markdown.markdown(render_report(result, kind="md"), extensions=["tables"])
    return _elements(rendered), _elements(render_report(result, kind="html"))


def _check(name: str, benign: tuple[_Elements, _Elements]) -> None:
    result = _result(name)
    md_text = render_report(result, kind="md", lang="en")
    html_text = render_report(result, kind="html", lang="en")
    for text in (md_text, html_text):
        assert not set(BIDI) & set(text)
        assert "\x1b" not in text
    md_html = _elements(markdown.markdown(md_text, extensions=["tables"]))
    assert sorted(md_html.tags) == sorted(benign[0].tags)  # no element from the name
    assert md_html.attrs == benign[0].attrs
    html = _elements(html_text)
    assert sorted(html.tags) == sorted(benign[1].tags)
    assert not any(v and re.match(r"\s*(javascript|https?):", v) for _, v in html.attrs)


@pytest.mark.parametrize("name", ATTACKS)
def test_known_attacks_stay_text(name: str, benign: tuple[_Elements, _Elements]) -> None:
    _check(name, benign)


@settings(
    max_examples=10, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    name=st.text(
        alphabet=st.sampled_from(list("<>&\"'[]()!#*_`|\\$-+=\n\r\t:/ .1aZæ") + list(BIDI)),
        min_size=1,
        max_size=30,
    ).filter(lambda s: s.strip() and s.strip() == s)
)
def test_generated_names_stay_text(name: str, benign: tuple[_Elements, _Elements]) -> None:
    _check(name, benign)


def test_markdown_escape_renders_the_text_back() -> None:
    for name in [*ATTACKS[:4], "a | b", "5. januar 2026", "+40 %"]:
        rendered = markdown.markdown(markdown_text(name))
        assert "<script" not in rendered
        assert "<a " not in rendered
        assert "<img" not in rendered


def test_cli_tables_show_controls_visibly() -> None:
    assert terminal_text("A\x1b[2J\u202e") == "A\\u001b[2J\\u202e"

"""Reports a director can read: self-contained HTML and Markdown, in Danish or English.

``write_report`` renders an :class:`~rekrut.analysis.AnalysisResult` and writes it atomically;
``result_html`` and ``forest_plot`` serve notebooks. Needs the ``report`` extra (jinja2,
matplotlib).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from rekrut._escape import markdown_text, visible_controls
from rekrut.io import write_text_atomic
from rekrut.notes import Lang
from rekrut.report._evaluation import meta_forest_plot, render_evaluation, twin_plot
from rekrut.report._plots import cost_plot, figure_svg, forest_plot
from rekrut.report._portfolio import render_portfolio, write_portfolio

if TYPE_CHECKING:
    from rekrut.analysis import AnalysisResult

__all__ = [
    "cost_plot",
    "forest_plot",
    "meta_forest_plot",
    "render_evaluation",
    "render_portfolio",
    "render_report",
    "result_html",
    "twin_plot",
    "write_evaluation",
    "write_portfolio",
    "write_report",
]

_TEMPLATES = Path(__file__).parent / "templates"


def _md_escape(value: Any) -> Any:
    from markupsafe import Markup

    return Markup(markdown_text(value))


def _finalize(kind: str) -> Any:
    """Every ``{{ value }}`` of a template passes here: text not marked safe is escaped for
    Markdown (HTML is autoescaped by jinja2 after this, with direction controls made visible)."""
    from markupsafe import Markup

    def finalize(value: Any) -> Any:
        if isinstance(value, Markup):
            return value
        return markdown_text(value) if kind == "md" else visible_controls(value)

    return finalize


def _environment(kind: str) -> Any:
    import jinja2

    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(_TEMPLATES),
        autoescape=kind == "html",
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        finalize=_finalize(kind),
    )
    env.filters["md"] = _md_escape
    env.filters["keep"] = _keep_together
    return env


def _keep_together(value: Any) -> str:
    """Numbers stay with their unit across a line break: ``1.299\u00a0kr.``, ``+50\u00a0%``."""
    text = str(value)
    return text.replace(" kr.", "\u00a0kr.").replace(" %", "\u00a0%").replace("DKK ", "DKK\u00a0")


def _check_options(kind: str, lang: str) -> None:
    if kind not in ("html", "md"):
        raise ValueError(f"kind must be 'html' or 'md', got {kind!r}")
    if lang not in ("da", "en"):
        raise ValueError(f"lang must be 'da' or 'en', got {lang!r}")


def _kind_of(path: Path, what: str) -> str:
    """``html`` or ``md`` from the file's suffix, or a ValueError naming the file."""
    kinds = {".html": "html", ".htm": "html", ".md": "md", ".markdown": "md"}
    suffix = path.suffix.lower()
    if suffix not in kinds:
        raise ValueError(f"the {what} file must end in .html or .md, got {path.name!r}")
    return kinds[suffix]


def render_report(
    result: AnalysisResult,
    *,
    kind: str = "html",
    lang: Lang = "da",
    peers: Any = None,
    title: str | None = None,
    retention: Any = None,
) -> str:
    """Render the report as HTML (``kind="html"``) or Markdown (``kind="md"``) text.

    ``retention``: a :func:`rekrut.retention` result of the experiment's hires, shown as
    retention curves and 3-, 6- and 12-month retention per arm.

    Examples
    --------
    >>> import rekrut as rk
    >>> from rekrut.cli import demo_experiment_path
    >>> text = render_report(rk.analyze(demo_experiment_path()), kind="md", lang="en")
    >>> "## Decision" in text and "## Methods" in text
    True
    """
    _check_options(kind, lang)
    from rekrut.report._build import build_context

    context = build_context(result, lang, peers=peers, title=title, retention=retention)
    if kind == "html":
        context["forest_svg"] = figure_svg(forest_plot(result, lang=lang))
        if retention is not None:
            context["retention"]["svg"] = figure_svg(retention.plot(lang=lang))
        costs = cost_plot(result, lang=lang)
        context["cost_svg"] = None if costs is None else figure_svg(costs)
    template = _environment(kind).get_template(f"report.{kind}.j2")
    return str(template.render(**context))


def write_report(
    result: AnalysisResult,
    path: str | Path,
    *,
    lang: Lang = "da",
    peers: Any = None,
    title: str | None = None,
    retention: Any = None,
) -> Path:
    """Write the report to ``path`` (``.html`` or ``.md``) atomically and return the path.

    The whole report is rendered before anything is written, and the file appears in one
    rename, so a failure never leaves a partial report.

    Examples
    --------
    >>> import tempfile, pathlib, rekrut as rk
    >>> from rekrut.cli import demo_experiment_path
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> write_report(rk.analyze(demo_experiment_path()), folder / "rapport.md").name
    'rapport.md'
    """
    path = Path(path)
    kind = _kind_of(path, "report")
    text = render_report(
        result, kind=kind, lang=lang, peers=peers, title=title, retention=retention
    )
    return write_text_atomic(path, text)


def result_html(result: AnalysisResult) -> str:
    """A compact HTML view of the result for notebooks: the decision table first, the full
    table folded (the result's own ``_repr_html_``).

    Examples
    --------
    >>> import rekrut as rk
    >>> from rekrut.cli import demo_experiment_path
    >>> result_html(rk.analyze(demo_experiment_path())).startswith("<div><strong>")
    True
    """
    return result._repr_html_()


def write_evaluation(evaluation: Any, path: str | Path, *, lang: Lang = "da") -> Path:
    """Write the report of an initiative evaluation (``.html`` or ``.md``) atomically.

    Examples
    --------
    >>> import tempfile, pathlib, rekrut as rk
    >>> res = rk.peers.evaluate(rk.peers.example_panel(), "751", start="2023Q1")
    >>> write_evaluation(res, pathlib.Path(tempfile.mkdtemp()) / "indsats.md").name
    'indsats.md'
    """
    path = Path(path)
    kinds = {".html": "html", ".htm": "html", ".md": "md", ".markdown": "md"}
    if path.suffix.lower() not in kinds:
        raise ValueError(f"the report file must end in .html or .md, got {path.name!r}")
    text = render_evaluation(evaluation, kind=kinds[path.suffix.lower()], lang=lang)
    return write_text_atomic(path, text)

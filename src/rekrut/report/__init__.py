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
from rekrut.report._plots import figure_svg, forest_plot

if TYPE_CHECKING:
    from rekrut.analysis import AnalysisResult

__all__ = ["forest_plot", "render_report", "result_html", "write_report"]

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
    return env


def render_report(
    result: AnalysisResult,
    *,
    kind: str = "html",
    lang: Lang = "da",
    peers: Any = None,
    title: str | None = None,
) -> str:
    """Render the report as HTML (``kind="html"``) or Markdown (``kind="md"``) text.

    Examples
    --------
    >>> import rekrut as rk
    >>> from rekrut.cli import demo_experiment_path
    >>> text = render_report(rk.analyze(demo_experiment_path()), kind="md", lang="en")
    >>> "## Conclusion" in text and "## Methods" in text
    True
    """
    if kind not in ("html", "md"):
        raise ValueError(f"kind must be 'html' or 'md', got {kind!r}")
    if lang not in ("da", "en"):
        raise ValueError(f"lang must be 'da' or 'en', got {lang!r}")
    from rekrut.report._build import build_context

    context = build_context(result, lang, peers=peers, title=title)
    if kind == "html":
        fig = forest_plot(result, lang=lang)
        context["forest_svg"] = figure_svg(fig)
    template = _environment(kind).get_template(f"report.{kind}.j2")
    return str(template.render(**context))


def write_report(
    result: AnalysisResult,
    path: str | Path,
    *,
    lang: Lang = "da",
    peers: Any = None,
    title: str | None = None,
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
    suffix = path.suffix.lower()
    kinds = {".html": "html", ".htm": "html", ".md": "md", ".markdown": "md"}
    if suffix not in kinds:
        raise ValueError(f"the report file must end in .html or .md, got {path.name!r}")
    text = render_report(result, kind=kinds[suffix], lang=lang, peers=peers, title=title)
    return write_text_atomic(path, text)


def result_html(result: AnalysisResult) -> str:
    """A compact HTML table of the result for notebooks.

    Examples
    --------
    >>> import rekrut as rk
    >>> from rekrut.cli import demo_experiment_path
    >>> result_html(rk.analyze(demo_experiment_path())).startswith("<div><strong>")
    True
    """
    import html

    shown = result.table.copy()
    for column in shown.select_dtypes(exclude=["number", "bool"]).columns:
        shown[column] = shown[column].map(visible_controls, na_action="ignore")
    table = shown.to_html(index=False, float_format=lambda v: f"{v:.4g}", border=0)
    head = f"{result.experiment.title or result.experiment.id} — {result.method}"
    head = html.escape(visible_controls(head))
    notes = "".join(f"<li>{html.escape(visible_controls(n))}</li>" for n in result.note_texts("en"))
    return (
        f"<div><strong>{head}</strong>{table}" + (f"<ul>{notes}</ul>" if notes else "") + "</div>"
    )

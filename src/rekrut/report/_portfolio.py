"""The annual overview: every experiment of the year in one document, for directors and politicians.

Per experiment: what was tested, for which target group, what was learned, what it cost and what
was decided, from the same decisions the single reports open with; with a KPI table, the trend of
the municipality's KPIs per period against comparable municipalities.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any

from rekrut.analysis._decision import action_label, capitalised, effect_text, next_text
from rekrut.errors import InputError
from rekrut.io import write_text_atomic
from rekrut.metrics import get_metric
from rekrut.notes import Lang
from rekrut.report._build import municipality_label
from rekrut.report._format import fmt_date, fmt_dkk, fmt_number, fmt_percent
from rekrut.report._text import job_category_label, t

if TYPE_CHECKING:
    from rekrut.analysis import AnalysisResult
    from rekrut.model import Experiment

__all__ = ["render_portfolio", "write_portfolio"]


def _result(item: AnalysisResult | Experiment | str | Path) -> AnalysisResult:
    from rekrut.analysis import AnalysisResult, analyze

    return item if isinstance(item, AnalysisResult) else analyze(item)


def _entry(result: AnalysisResult, lang: Lang) -> dict[str, Any]:
    exp = result.experiment
    totals = result.summary.totals()
    spend = float(totals["cost_dkk"].sum()) if "cost_dkk" in totals.columns else float("nan")
    learned, decided, steps = [], [], []
    for d in result.decisions():
        arm = exp.arm_name(d.arm, lang)
        learned.append(f"{arm}: {effect_text(result, d, lang)}" if d.action != "no_data" else arm)
        decided.append(f"{arm}: {action_label(d.action, lang)}")
        steps.append(capitalised(next_text(result, d, lang)))
    target = job_category_label(exp.job_category, lang)
    if exp.municipality:
        target += f", {municipality_label(exp.municipality, lang)}"
    return {
        "title": exp.title or exp.id,
        "id": exp.id,
        "period": f"{fmt_date(exp.start, lang)} – {fmt_date(exp.end, lang)}",
        "tested": ", ".join(exp.arm_name(a.id, lang) for a in exp.arms),
        "control": exp.arm_name(exp.control, lang),
        "target": target,
        "primary": get_metric(exp.primary_metric).label(lang).lower(),
        "learned": learned,
        "cost": fmt_dkk(spend, lang),
        "postings": fmt_number(float(result.summary.units.sum()), lang, 0),
        "decided": decided,
        "steps": steps,
        "synthetic": exp.simulation is not None,
    }


def _trend(kpis: Any, results: Sequence[AnalysisResult], lang: Lang) -> list[dict[str, Any]]:
    """Per municipality and job category of the experiments: each KPI per period against the
    median of comparable municipalities."""
    import rekrut.peers as peers

    seen: dict[tuple[str, str | None], None] = {}
    for r in results:
        if r.experiment.municipality is not None:
            seen[(r.experiment.municipality, r.experiment.job_category)] = None
    out = []
    for code, category in seen:
        heading = f"{municipality_label(code, lang)} · {job_category_label(category, lang)}"
        try:
            comparison = peers.compare(kpis, code, job_category=category, by="period")
        except InputError:
            out.append({"heading": heading, "rows": [], "missing": True})
            continue
        own = comparison.table[comparison.table["role"] == "municipality"]
        rows = []
        for record in own.to_dict("records"):
            row = SimpleNamespace(**{str(k): v for k, v in record.items()})
            metric = get_metric(str(row.metric))
            shown = fmt_percent if metric.kind == "proportion" else None

            def value(v: float, shown: Any = shown, metric: Any = metric) -> str:
                if shown is not None:
                    return str(shown(v, lang))
                return fmt_dkk(v, lang) if metric.kind == "ratio" else fmt_number(v, lang, 1)

            rows.append(
                {
                    "period": str(row.period),
                    "metric": metric.label(lang),
                    "value": value(float(row.value)),
                    "peer_median": value(float(row.peer_median)),
                    "verdict": t(f"verdict_{row.verdict}", lang)
                    if isinstance(row.verdict, str)
                    else "–",
                }
            )
        rows.sort(key=lambda r: (r["metric"], r["period"]))
        out.append({"heading": heading, "rows": rows, "missing": False})
    return out


def render_portfolio(
    experiments: Sequence[AnalysisResult | Experiment | str | Path],
    *,
    kind: str = "html",
    lang: Lang = "da",
    kpis: Any = None,
    title: str | None = None,
) -> str:
    """Render the annual overview of ``experiments`` (results, experiments or experiment files)
    as HTML or Markdown; ``kpis`` (a KPI table) adds the KPI trend against comparable
    municipalities.

    Examples
    --------
    >>> from rekrut.cli import demo_experiment_path
    >>> text = render_portfolio([demo_experiment_path()], kind="md", lang="en")
    >>> "## Kanaltest: SOSU-assistenter" in text and "Decided" in text
    True
    """
    from rekrut.report import _check_options, _environment

    _check_options(kind, lang)
    if not experiments:
        raise ValueError("give at least one experiment for the overview")
    from rekrut._version import __version__

    results = [_result(item) for item in experiments]
    context = {
        "lang": lang,
        "t": lambda key, **kw: t(key, lang, **kw),
        "title": title or t("portfolio_title", lang),
        "entries": [_entry(r, lang) for r in results],
        "trend": [] if kpis is None else _trend(kpis, results, lang),
        "version": __version__,
    }
    return str(_environment(kind).get_template(f"portfolio.{kind}.j2").render(**context))


def write_portfolio(
    experiments: Sequence[AnalysisResult | Experiment | str | Path],
    path: str | Path,
    *,
    lang: Lang = "da",
    kpis: Any = None,
    title: str | None = None,
) -> Path:
    """Write the annual overview to ``path`` (``.html`` or ``.md``) atomically.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from rekrut.cli import demo_experiment_path
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> write_portfolio([demo_experiment_path()], folder / "aarsrapport.md").name
    'aarsrapport.md'
    """
    from rekrut.report import _kind_of

    path = Path(path)
    text = render_portfolio(
        experiments, kind=_kind_of(path, "overview"), lang=lang, kpis=kpis, title=title
    )
    return write_text_atomic(path, text)

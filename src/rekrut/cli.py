"""The ``rekrut`` command: a thin layer over the Python API.

Exit codes: 0 on success, 2 on bad input (one line naming the file, row and column), 1 on an
unexpected failure.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import signal
import sys
from collections.abc import Callable, Iterator, Sequence
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

from rekrut._escape import terminal_text, text_columns
from rekrut.errors import ExperimentError, InputError, OutputError
from rekrut.notes import Lang

if TYPE_CHECKING:
    import pandas as pd

    from rekrut.analysis import AnalysisResult
    from rekrut.model import Experiment

__all__ = ["DEMO_EXPERIMENT", "demo_experiment_path", "main"]

DEMO_EXPERIMENT = "sosu_kanaltest.toml"


def demo_experiment_path() -> Path:
    """Return the path of the bundled demo experiment file."""
    return Path(str(resources.files("rekrut") / "_examples" / DEMO_EXPERIMENT))


def _emit(text: str) -> None:
    # user text (arm names, titles) may hold escape sequences or direction controls
    text = terminal_text(text, keep_lines=True)
    sys.stdout.write(text if text.endswith("\n") else text + "\n")


def _json(payload: Any) -> str:
    """JSON with every NaN or infinity as null: bare NaN and Infinity are not JSON."""
    return json.dumps(_finite(payload), indent=2, ensure_ascii=False, allow_nan=False)


def _finite(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_finite(v) for v in value]
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def _table(frame: pd.DataFrame) -> str:
    """A table as text, with line breaks and controls inside its cells written visibly."""
    return str(text_columns(frame, terminal_text).to_string(index=False))


def _experiment(args: argparse.Namespace) -> Experiment:
    from rekrut.model import load_experiment

    return load_experiment(args.experiment, allow_outside=args.allow_outside)


def _experiment_and_data(args: argparse.Namespace) -> tuple[Experiment, Any]:
    return _experiment(args), args.data


def _metrics(names: Sequence[str] | None) -> list[str] | None:
    """The ``--metric`` values, each checked against the catalogue (a typo is named)."""
    from rekrut.metrics import get_metric

    return [get_metric(name).id for name in names] if names else None


def _output_file(path: str) -> Path:
    """An output path whose folder exists: rekrut writes the file, never a missing folder."""
    out = Path(path)
    _existing_folder(out.parent, path)
    if out.is_dir():
        raise InputError("this is a folder; give a file name", file=path)
    return out


def _existing_folder(folder: Path, path: str) -> None:
    if not folder.is_dir():
        raise InputError(f"the folder {str(folder)!r} does not exist; create it first", file=path)


def _table_text(result: AnalysisResult) -> str:
    shown = result.table.copy()
    for column in shown.select_dtypes("number").columns:
        shown[column] = shown[column].map(lambda v: f"{v:.4g}")
    lines = [_table(shown)]
    lines += [f"note: {text}" for text in result.note_texts("en")]
    return "\n".join(lines)


def _cmd_validate(args: argparse.Namespace) -> int:
    from rekrut.data import load_postings

    experiment, data = _experiment_and_data(args)
    postings = load_postings(experiment, data)
    rows = len(postings.frame) if postings.frame is not None else "all"
    kind = "per-posting rows" if postings.granularity == "postings" else "arm totals"
    _emit(f"OK: experiment {experiment.id!r} with {len(experiment.arms)} arms; {rows} {kind}.")
    for note in postings.notes:
        _emit(f"note: {note.text('en')}")
    return 0


def _cmd_analyze(args: argparse.Namespace) -> int:
    from rekrut.analysis import analyze

    experiment, data = _experiment_and_data(args)
    if experiment.design == "observational":
        if args.method != "frequentist" or args.by:
            raise ExperimentError(
                "an observational design is analysed by adjusted regression (rekrut.observe); "
                "--method and --by do not apply: put the grouping columns in adjust_for",
                file=args.experiment,
                column="design",
            )
        return _observational(experiment, data, args.format)
    result = analyze(
        experiment,
        data,
        method=args.method,
        by=args.by or None,
        ratio_interval=args.ratio_interval,
        progress=not args.quiet,
        rng=args.seed,
    )
    _emit(result.to_json() if args.format == "json" else _table_text(result))
    return 0


def _observational(experiment: Experiment, data: Any, output: str) -> int:
    """``rekrut analyze`` of an observational design: adjusted associations, balance, overlap."""
    from rekrut._observational import observe

    result = observe(experiment, data)
    if output == "json":
        _emit(result.to_json())
        return 0
    shown = result.table.drop(columns=["control"]).copy()
    for column in ("ratio", "ci_low", "ci_high", "e_value", "e_value_ci"):
        shown[column] = shown[column].map(lambda v: f"{v:.3f}")
    shown["p_value"] = shown["p_value"].map(lambda v: f"{v:.2g}")
    imbalanced = result.balance[result.balance["imbalanced"]]
    lines = [
        f"Not randomised: associations against {experiment.control!r}, adjusted for "
        f"{', '.join(result.covariates) or 'nothing'}.",
        shown.to_string(index=False),
    ]
    if not imbalanced.empty:
        lines += ["Imbalanced covariates (|standardised difference| > 0.1):",
                  imbalanced.round(3).to_string(index=False)]  # fmt: skip
    if not result.overlap.empty:
        lines += ["Groups without comparable postings:", result.overlap.to_string(index=False)]
    lines += [f"note: {text}" for text in result.note_texts("en")]
    _emit("\n".join(lines))
    return 0


def _cmd_check(args: argparse.Namespace) -> int:
    from rekrut.calibration import check_calibration

    experiment, data = _experiment_and_data(args)
    result = check_calibration(
        experiment,
        data,
        replications=args.replications,
        method=args.method,
        by=args.by or None,
        metrics=_metrics(args.metric),
        rng=args.seed,
        progress=not args.quiet,
    )
    if args.format == "json":
        _emit(_json(result.to_dict()))
        return 0
    table = result.table
    shown = table[[*result.by, "metric", "arm", "method"]].copy()
    shown["false_pos"] = [
        f"{k}/{n}" for k, n in zip(table["false_positives"], table["replications"], strict=True)
    ]
    shown["rate"] = [
        f"{r:.3f} ± {s:.3f}" for r, s in zip(table["rate"], table["mc_se"], strict=True)
    ]
    shown["band"] = [
        f"{lo:.3f}-{hi:.3f}" for lo, hi in zip(table["band_low"], table["band_high"], strict=True)
    ]
    shown["verdict"] = table["verdict"]
    shown["coverage"] = table["coverage"].map(lambda v: f"{v:.3f}")
    shown["coverage_verdict"] = table["coverage_verdict"]
    rule = (
        "raw p-value <= alpha" if result.method != "bayesian" else "P(better) outside [a/2, 1-a/2]"
    )
    lines = [
        f"A/A check of {result.experiment_id!r}: {result.replications} re-randomisations of "
        f"{result.postings} postings, method {result.method}.",
        f"False positive: {rule}, alpha {result.nominal:.3g}. Rate ± Monte Carlo standard "
        "error; band: where a calibrated method's rate falls 99 times in 100.",
        _table(shown),
    ]
    lines += [f"note: {text}" for text in result.note_texts("en")]
    _emit("\n".join(lines))
    return 0


def _cmd_simulate(args: argparse.Namespace) -> int:
    from rekrut._simulation import simulate
    from rekrut.io import write_text_atomic

    experiment = _experiment(args)
    if args.out:
        _output_file(args.out)
    spec = experiment.simulation
    postings = args.postings if args.postings is not None else (spec.postings if spec else None)
    if postings is None:
        raise InputError("give --postings (the experiment file has no [simulation] table)")
    try:
        table = simulate(
            experiment,
            postings=postings,
            effects=spec.effects if spec else None,
            job_category=spec.job_category if spec else None,
            as_of=spec.as_of if spec else None,
            rng=args.seed if args.seed is not None else (spec.seed if spec else None),
        )
    except ValueError as exc:
        raise InputError(str(exc), file=args.experiment) from None
    text = _csv_text(table)
    if args.out:
        write_text_atomic(args.out, text)
        _emit(f"wrote {len(table)} synthetic postings to {args.out}")
    else:
        _emit(text)
    return 0


def _cmd_power(args: argparse.Namespace) -> int:
    if args.baseline is not None:
        return _analytic_power(args)
    if args.experiment is None:
        raise InputError("give an experiment file (power by simulation) or --metric and --baseline")
    if args.lift is None:
        raise InputError("give --lift, the true relative effect to simulate")
    return _simulated_power(args)


def _analytic_power(args: argparse.Namespace) -> int:
    import rekrut.power as power
    from rekrut.metrics import get_metric

    metric = get_metric(args.metric).id if args.metric else "applications_per_posting"
    try:
        if args.postings_per_arm is not None and args.lift is None:
            result = power.minimum_detectable_lift(
                metric,
                args.baseline,
                args.postings_per_arm,
                power=args.power,
                alpha=args.alpha,
                treatments=args.treatments,
            )
        elif args.postings_per_arm is not None:
            result = power.power_at(
                metric,
                args.baseline,
                args.postings_per_arm,
                lift=args.lift,
                alpha=args.alpha,
                treatments=args.treatments,
                postings_per_week=args.per_week,
            )
        else:
            result = power.postings_needed(
                metric,
                args.baseline,
                lift=args.lift,
                diff=args.diff,
                power=args.power,
                alpha=args.alpha,
                treatments=args.treatments,
                postings_per_week=args.per_week,
            )
    except ValueError as exc:
        raise InputError(str(exc)) from None
    payload = result.to_dict()
    text = str(result)
    if args.looks:
        plan = power.sequential_plan(result, looks=args.looks, spending=args.spending)
        payload["sequential"] = plan.to_dict()
        text += "\n" + str(plan).capitalize() + "."
    _emit(_json(payload) if args.format == "json" else text)
    return 0


def _simulated_power(args: argparse.Namespace) -> int:
    from rekrut._power_sim import effects_for_lift, simulate_power
    from rekrut.metrics import get_metric

    experiment = _experiment(args)
    metric = get_metric(args.metric).id if args.metric else experiment.primary_metric
    try:
        effects = effects_for_lift(experiment, metric, args.lift)
    except ValueError as exc:
        raise InputError(f"--metric {metric}: {exc}") from None
    postings = args.postings if args.postings is not None else _planned_postings(experiment)
    try:
        result = simulate_power(
            experiment,
            postings=postings,
            effects=effects,
            replicates=args.replicates,
            metrics=[metric],
            batch_size=max(1, min(500, args.replicates // 10)),
            progress=not args.quiet,
            rng=args.seed,
        )
    except ValueError as exc:
        raise InputError(str(exc)) from None
    if args.format == "json":
        _emit(_json(result.to_dict()))
    else:
        shown = _table(result.table.round(3))
        _emit(
            f"Power by simulation: {args.replicates} experiments of {postings} postings, "
            f"true lift {args.lift:+.0%} on {metric}, alpha {result.alpha}.\n{shown}"
        )
    return 0


def _planned_postings(experiment: Experiment) -> int:
    if experiment.planned_postings is None:
        raise InputError("give --postings (the experiment file has no planned_postings)")
    return experiment.planned_postings * len(experiment.arms)


def _csv_text(table: pd.DataFrame) -> str:
    out = table.copy()
    if "published" in out.columns:
        out["published"] = out["published"].dt.strftime("%Y-%m-%d")
    return out.to_csv(index=False, float_format="%.10g", lineterminator="\n")


def _cmd_report(args: argparse.Namespace) -> int:
    from rekrut.analysis import analyze
    from rekrut.report import write_report

    if args.portfolio:
        return _portfolio(args)
    if args.experiment is None:
        raise InputError("give an experiment file, or --portfolio with one or more")
    experiment, data = _experiment_and_data(args)
    if Path(args.out).suffix.lower() not in (".html", ".htm", ".md", ".markdown"):
        raise InputError("the report file must end in .html or .md", file=args.out)
    _output_file(args.out)
    result = analyze(experiment, data, method=args.method, rng=args.seed)
    path = write_report(
        result,
        args.out,
        lang=args.lang,
        peers=_report_peers(experiment, args.kpis),
        retention=_report_retention(args.hires),
    )
    _emit(f"wrote {path}")
    return 0


def _report_retention(hires_path: str | None) -> Any:
    """The retention of the experiment's hires, from a hire table (``--hires``)."""
    if hires_path is None:
        return None
    from rekrut._retention import retention
    from rekrut.io import read_table

    try:
        return retention(read_table(hires_path), source=hires_path)
    except ValueError as exc:
        if isinstance(exc, InputError):
            raise
        raise InputError(str(exc), file=hires_path) from None


def _portfolio(args: argparse.Namespace) -> int:
    """The annual overview of several experiments (``rekrut report --portfolio A.toml B.toml``)."""
    import rekrut.peers as peers
    from rekrut.io import read_table
    from rekrut.report import write_portfolio

    if Path(args.out).suffix.lower() not in (".html", ".htm", ".md", ".markdown"):
        raise InputError("the overview file must end in .html or .md", file=args.out)
    if args.experiment is not None or args.data is not None:
        raise InputError("with --portfolio, list every experiment file after it (no --data)")
    kpis = None
    if args.kpis is not None:
        kpis = peers.example_kpis() if args.kpis == "example" else read_table(args.kpis)
        peers.validate_kpis(kpis, source=None if args.kpis == "example" else args.kpis)
    path = write_portfolio(args.portfolio, args.out, lang=args.lang, kpis=kpis)
    _emit(f"wrote {path}")
    return 0


def _cmd_monitor(args: argparse.Namespace) -> int:
    from rekrut.sequential import monitor

    experiment, data = _experiment_and_data(args)
    result = monitor(
        experiment, data, metrics=_metrics(args.metric), every=args.every, spending=args.spending
    )
    if args.format == "json":
        _emit(_json(result.to_dict()))
    else:
        shown = result.table.copy()
        shown["look"] = shown["look"].dt.strftime("%Y-%m-%d")
        _emit(_table(shown.round(4)))
    return 0


# Columns of a peer comparison that are not slice (``--by``) columns.
_PEER_OUTPUT = frozenset(
    ["metric", "kommunekode", "name", "value", "shrunk", "shrunk_ci_low", "shrunk_ci_high",
     "postings", "applications", "hires", "lower_is_better", "role", "suppressed",
     "peer_median", "percentile", "verdict", "better"]
    + [f"funnel_{side}_{level}" for side in ("low", "high") for level in (95, 998)]
)  # fmt: skip


def _cmd_peers(args: argparse.Namespace) -> int:
    import rekrut.peers as peers
    from rekrut.io import read_table

    given = [
        f"--{name.replace('_', '-')}"
        for name in ("job_category", "period", "by")
        if getattr(args, name)
    ]
    if given and not args.kpis:
        raise InputError(
            f"{given[0]} compares KPIs: give them with --kpis FILE (or --kpis example)"
        )
    found = peers.find(args.municipality, k=args.k)
    payload: dict[str, Any] = {"peers": found.to_dict()}
    text = [_table(found.table.round(3))]
    if args.kpis:
        kpis = read_table(args.kpis) if args.kpis != "example" else peers.example_kpis()
        source = None if args.kpis == "example" else args.kpis
        peers.validate_kpis(kpis, source=source)
        comparison = peers.compare(
            kpis,
            found.municipality,
            job_category=args.job_category,
            period=args.period,
            by=[c.strip() for c in args.by.split(",")] if args.by else (),
            peers=found,
        )
        payload["comparison"] = comparison.to_dict()
        by = [c for c in comparison.table.columns if c not in _PEER_OUTPUT]
        columns = [
            *by,
            "metric",
            "kommunekode",
            "name",
            "value",
            "shrunk",
            "peer_median",
            "percentile",
            "verdict",
        ]
        text += ["", _table(comparison.table[columns].round(3))]
        text += [f"note: {note}" for note in comparison.notes]
    _emit(_json(payload) if args.format == "json" else "\n".join(text))
    return 0


def _cmd_evaluate(args: argparse.Namespace) -> int:
    import rekrut.peers as peers
    from rekrut.io import read_table

    panel = peers.example_panel() if args.panel == "example" else read_table(args.panel)
    result = peers.evaluate(
        panel,
        args.municipality,
        start=args.start,
        metric=args.metric,
        method=args.method,
        job_category=args.job_category,
        exclude=args.exclude or (),
        confidence_level=args.confidence_level,
        source=None if args.panel == "example" else args.panel,
    )
    if args.out:
        from rekrut.report import write_evaluation

        try:
            write_evaluation(result, args.out, lang=args.lang)
        except ValueError as exc:
            raise InputError(str(exc), column="--out") from None
    if args.format == "json":
        _emit(result.to_json())
        return 0
    summary = result.summary.T.rename(columns={0: ""})
    lines = [summary.to_string(), "", result.weights.head(10).round(3).to_string(index=False)]
    _emit("\n".join([*lines, *(f"note: {text}" for text in result.note_texts("en"))]))
    return 0


def _cmd_words(args: argparse.Namespace) -> int:
    from rekrut._words import words
    from rekrut.io import read_table

    if args.suggest and not args.out:
        raise InputError("--suggest needs --out, the experiment file to write")
    try:
        result = words(
            read_table(args.data),
            text=args.text,
            metric=args.metric,
            controls=args.control or (),
            language=args.language,
            min_postings=args.min_postings,
            max_ngram=args.max_ngram,
            source=args.data,
        )
        written = (
            result.suggest(args.suggest, args.out, lift=args.lift, channel=args.channel)
            if args.suggest
            else None
        )
    except ValueError as exc:
        if isinstance(exc, InputError):
            raise
        raise InputError(str(exc)) from None
    if args.format == "json":
        payload = result.to_dict()
        payload["table"] = payload["table"][: args.top]
        payload["suggestion"] = None if written is None else str(written)
        _emit(json.dumps(payload, indent=2, ensure_ascii=False, allow_nan=False))
        return 0
    shown = result.table.head(args.top).copy()
    for column in ("ratio", "ci_low", "ci_high"):
        shown[column] = shown[column].map(lambda v: f"{v:.3f}")
    for column in ("p_value", "q_value"):
        shown[column] = shown[column].map(lambda v: f"{v:.2g}")
    lines = [
        f"{result.candidates} terms in {result.postings} postings; the {len(shown)} with the "
        f"strongest evidence (associations to test):",
        shown.to_string(index=False),
        *(f"note: {text}" for text in result.note_texts("en")),
    ]
    if written is not None:
        lines.append(f"wrote {written}")
    _emit("\n".join(lines))
    return 0


def _cmd_retention(args: argparse.Namespace) -> int:
    from rekrut._retention import retention
    from rekrut.io import read_table, write_text_atomic

    try:
        result = retention(read_table(args.hires), by=args.by, as_of=args.as_of, source=args.hires)
    except ValueError as exc:
        if isinstance(exc, InputError):
            raise
        raise InputError(str(exc)) from None
    if args.plot:
        if Path(args.plot).suffix.lower() != ".svg":
            raise InputError("the curve picture must end in .svg", file=args.plot)
        from rekrut.report._plots import figure_svg

        write_text_atomic(args.plot, figure_svg(result.plot(lang=args.lang)))
    if args.format == "json":
        _emit(result.to_json())
        return 0
    lines = [result.table.round(3).to_string(index=False)]
    if result.log_rank is not None:
        lines += [
            f"log-rank: chi2 = {result.log_rank['statistic']:.3g} on "
            f"{result.log_rank['df']:.0f} df, p = {result.log_rank['p_value']:.2g}",
            result.comparison.round(3).to_string(index=False),
        ]
    _emit("\n".join(lines))
    return 0


def _report_peers(experiment: Experiment, kpis_path: str | None) -> Any:
    """The peer table for the report: the experiment's municipality against its peers."""
    if kpis_path is None:
        return None
    import rekrut.peers as peers
    from rekrut.io import read_table

    if experiment.municipality is None:
        raise InputError(
            "--kpis needs the experiment file to name its municipality", column="municipality"
        )
    kpis = peers.example_kpis() if kpis_path == "example" else read_table(kpis_path)
    peers.validate_kpis(kpis, source=None if kpis_path == "example" else kpis_path)
    comparison = peers.compare(kpis, experiment.municipality, job_category=experiment.job_category)
    columns = ["metric", "name", "value", "shrunk", "peer_median", "percentile", "verdict"]
    return comparison.table[columns].round(3)


def _cmd_init(args: argparse.Namespace) -> int:
    from rekrut._init import propose_experiment, write_proposal

    out = _output_file(args.out)
    if out.exists():
        raise InputError("the file exists; rekrut init never overwrites a file", file=args.out)
    proposal = propose_experiment(args.data, out, sheet=args.sheet)
    write_proposal(proposal, out)
    lines = [f"wrote {out}; it validates against {args.data}. Check before you analyse:"]
    lines += [f"  - {check}" for check in proposal.checks]
    _emit("\n".join(lines))
    return 0


def _cmd_demo(args: argparse.Namespace) -> int:
    from rekrut.analysis import analyze
    from rekrut.io import write_text_atomic

    path = demo_experiment_path()
    out = Path(args.out)
    _existing_folder(out.parent, args.out)
    if out.exists() and not out.is_dir():
        raise InputError("this is a file; give a folder for the demo's results", file=args.out)
    result = analyze(path)
    try:
        out.mkdir(exist_ok=True)  # the demo's own folder, under a parent that exists
    except OSError as exc:
        raise OutputError(f"cannot write the file: {exc.strerror}", file=args.out) from None
    write_text_atomic(out / "results.json", result.to_json())
    write_text_atomic(out / "results.csv", result.table.to_csv(index=False, lineterminator="\n"))
    written = ["results.json", "results.csv"]
    written += _demo_report(result, out, args.lang)
    _emit(_table_text(result))
    _emit(f"\nDemo experiment: {path}\nWrote {', '.join(written)} to {out}/")
    return 0


def _demo_report(result: AnalysisResult, out: Path, lang: Lang) -> list[str]:
    try:
        from rekrut.report import write_report
    except ImportError:  # pragma: no cover - the report extra is not installed
        return []
    stem = "rapport" if lang == "da" else "report"
    write_report(result, out / f"{stem}.html", lang=lang)
    write_report(result, out / f"{stem}.md", lang=lang)
    return [f"{stem}.html", f"{stem}.md"]


class _Parser(argparse.ArgumentParser):
    """Argument errors as one line on standard error and exit code 2, like every bad input."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="rekrut",
        description="Recruitment experiments for Danish municipalities: analyse job-ad variants "
        "and channels with honest uncertainty.",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def add(
        name: str, handler: Callable[[argparse.Namespace], int], help_: str
    ) -> argparse.ArgumentParser:
        cmd = sub.add_parser(name, help=help_, description=help_)
        cmd.set_defaults(handler=handler)
        return cmd

    demo = add("demo", _cmd_demo, "Analyse the bundled demo experiment and write its results.")
    demo.add_argument("--out", default="rekrut-demo", help="output folder (default: rekrut-demo)")
    demo.add_argument("--lang", choices=("da", "en"), default="da")

    init = add(
        "init",
        _cmd_init,
        "Propose a commented experiment file from a posting file (CSV or Excel).",
    )
    init.add_argument("data", help="posting file: CSV, Excel (.xlsx) or OpenDocument (.ods)")
    init.add_argument("--out", required=True, help="experiment file to write (never overwritten)")
    init.add_argument("--sheet", help="the spreadsheet's sheet (default: the first)")

    validate = add("validate", _cmd_validate, "Check an experiment file and its data.")
    validate.add_argument("experiment", help="experiment file (TOML)")
    validate.add_argument("--data", help="data file (default: the file the experiment names)")

    analyze_ = add("analyze", _cmd_analyze, "Compare every arm with the control.")
    analyze_.add_argument("experiment", help="experiment file (TOML)")
    analyze_.add_argument("--data", help="data file (default: the file the experiment names)")
    analyze_.add_argument(
        "--method",
        choices=("frequentist", "bayesian", "sequential", "randomization"),
        default="frequentist",
    )
    analyze_.add_argument("--by", action="append", help="grouping column (repeatable)")
    analyze_.add_argument("--ratio-interval", choices=("delta", "bootstrap"), default="delta")
    analyze_.add_argument("--seed", type=int, default=None, help="seed for resampling")
    analyze_.add_argument("--format", choices=("text", "json"), default="text")
    analyze_.add_argument("--quiet", action="store_true", help="no progress bar")

    check = add(
        "check",
        _cmd_check,
        "A/A calibration: re-randomise the arms of your postings and show each method's "
        "false-positive rate and interval coverage.",
    )
    check.add_argument("experiment", help="experiment file (TOML)")
    check.add_argument("--data", help="data file (default: the file the experiment names)")
    check.add_argument("--replications", type=int, default=200, help="re-randomisations (200)")
    check.add_argument(
        "--method",
        choices=("frequentist", "bayesian", "sequential", "randomization"),
        default="frequentist",
    )
    check.add_argument("--by", action="append", help="grouping column (repeatable)")
    check.add_argument("--metric", action="append", help="metric to check (repeatable)")
    check.add_argument("--seed", type=int, default=None)
    check.add_argument("--format", choices=("text", "json"), default="text")
    check.add_argument("--quiet", action="store_true", help="no progress bar")

    power = add(
        "power",
        _cmd_power,
        "Postings needed, power or minimum detectable lift: analytic with --baseline, "
        "else by simulating the planned experiment.",
    )
    power.add_argument("experiment", nargs="?", help="experiment file (for power by simulation)")
    power.add_argument("--metric", help="metric (default: the primary metric)")
    power.add_argument("--baseline", type=float, help="control value: analytic mode")
    power.add_argument("--lift", type=float, help="relative effect, e.g. 0.2")
    power.add_argument("--diff", type=float, help="absolute effect (analytic mode)")
    power.add_argument("--power", type=float, default=0.8)
    power.add_argument("--alpha", type=float, default=0.05)
    power.add_argument("--treatments", type=int, default=1, help="treatment arms (Bonferroni)")
    power.add_argument(
        "--postings-per-arm", type=int, help="gives power (or the MDE without --lift)"
    )
    power.add_argument("--per-week", type=float, help="postings per week, to report weeks")
    power.add_argument("--looks", type=int, help="also plan a group-sequential design with K looks")
    power.add_argument("--spending", choices=("obf", "pocock"), default="obf")
    power.add_argument("--postings", type=int, help="simulation: total postings per experiment")
    power.add_argument("--replicates", type=int, default=1000)
    power.add_argument("--quiet", action="store_true", help="no progress bar")
    power.add_argument("--seed", type=int, default=None)
    power.add_argument("--format", choices=("text", "json"), default="text")

    monitor_ = add(
        "monitor", _cmd_monitor, "Replay the experiment week by week with always-valid inference."
    )
    monitor_.add_argument("experiment", help="experiment file (TOML)")
    monitor_.add_argument("--data", help="data file (default: the file the experiment names)")
    monitor_.add_argument("--metric", action="append", help="metric to follow (repeatable)")
    monitor_.add_argument("--every", choices=("week", "month"), default="week")
    monitor_.add_argument("--spending", choices=("obf", "pocock"), default="obf")
    monitor_.add_argument("--format", choices=("text", "json"), default="text")

    peers_ = add("peers", _cmd_peers, "Find comparable municipalities and compare KPIs with them.")
    peers_.add_argument("municipality", help="kommunekode, e.g. 0159 or 159")
    peers_.add_argument("--k", type=int, default=10, help="number of peers")
    peers_.add_argument(
        "--kpis", help="KPI table (CSV/Parquet), or 'example' for the synthetic one"
    )
    peers_.add_argument("--job-category", help="job category to compare")
    peers_.add_argument("--period", help="period to compare")
    peers_.add_argument(
        "--by", help="compare within each value of these KPI columns, e.g. job_category"
    )
    peers_.add_argument("--format", choices=("text", "json"), default="text")

    evaluate = add(
        "evaluate",
        _cmd_evaluate,
        "Judge a municipality-wide initiative against comparable municipalities (synthetic "
        "control or difference-in-differences, placebo p-value and interval).",
    )
    evaluate.add_argument("panel", help="KPI panel (CSV/Parquet), or 'example' (synthetic)")
    evaluate.add_argument("--municipality", required=True, help="kommunekode, e.g. 0751")
    evaluate.add_argument("--start", required=True, help="first period of the initiative")
    evaluate.add_argument("--metric", default="fill_rate", help="KPI (default: fill_rate)")
    evaluate.add_argument(
        "--method", choices=("synthetic_control", "did"), default="synthetic_control"
    )
    evaluate.add_argument("--job-category", help="one job category (default: all summed)")
    evaluate.add_argument(
        "--exclude", action="append", help="donor to leave out, e.g. one with its own initiative"
    )
    evaluate.add_argument("--confidence-level", type=float, default=0.95)
    evaluate.add_argument("--out", help="also write a report, .html or .md")
    evaluate.add_argument("--lang", choices=("da", "en"), default="da")
    evaluate.add_argument("--format", choices=("text", "json"), default="text")

    report = add("report", _cmd_report, "Write a report (HTML or Markdown) a director can read.")
    report.add_argument("experiment", nargs="?", help="experiment file (TOML)")
    report.add_argument(
        "--portfolio",
        nargs="+",
        metavar="EXPERIMENT",
        help="annual overview: every experiment file listed, in one document",
    )
    report.add_argument("--data", help="data file (default: the file the experiment names)")
    report.add_argument("--out", required=True, help="report file, .html or .md")
    report.add_argument("--lang", choices=("da", "en"), default="da")
    report.add_argument("--method", choices=("frequentist", "bayesian"), default="frequentist")
    report.add_argument("--seed", type=int, default=None, help="seed for Monte Carlo draws")
    report.add_argument("--kpis", help="KPI table for a peer comparison ('example': synthetic)")
    report.add_argument(
        "--hires",
        help="hire table (hire_id, arm, start_date, end_date, as_of): retention curves per arm",
    )

    words_ = add(
        "words",
        _cmd_words,
        "Which words and phrases of past job ads go with more applicants (associations to "
        "test); --suggest writes an experiment that tests one.",
    )
    words_.add_argument("data", help="posting table (CSV/Parquet) with the ad texts")
    words_.add_argument("--text", required=True, help="the column with each posting's ad text")
    words_.add_argument(
        "--metric",
        default="applications_per_posting",
        choices=("applications_per_posting", "qualified_per_posting", "qualified_share",
                 "fill_rate", "repost_rate"),
    )  # fmt: skip
    words_.add_argument("--control", action="append", help="column to adjust for (repeatable)")
    words_.add_argument("--language", choices=("da", "en"), default="da")
    words_.add_argument("--min-postings", type=int, default=20, help="postings a term needs")
    words_.add_argument("--max-ngram", type=int, default=3, choices=(1, 2, 3))
    words_.add_argument("--top", type=int, default=25, help="terms to show (25)")
    words_.add_argument("--suggest", help="a term of the table to test in a new experiment")
    words_.add_argument("--out", help="the experiment file --suggest writes (TOML)")
    words_.add_argument("--lift", type=float, help="effect to plan for (default: from the data)")
    words_.add_argument("--channel", default="standard", help="channel of the suggested test")
    words_.add_argument("--format", choices=("text", "json"), default="text")

    retention_ = add(
        "retention",
        _cmd_retention,
        "Kaplan-Meier retention of new hires per arm or group, from a hire-level table.",
    )
    retention_.add_argument("hires", help="hire table: hire_id, arm, start_date, end_date")
    retention_.add_argument("--by", default="arm", help="group column (default: arm)")
    retention_.add_argument("--as-of", help="date the table was taken (else its as_of column)")
    retention_.add_argument("--plot", help="write the curves to this .svg file")
    retention_.add_argument("--lang", choices=("da", "en"), default="da")
    retention_.add_argument("--format", choices=("text", "json"), default="text")

    simulate_ = add("simulate", _cmd_simulate, "Draw a synthetic posting table for an experiment.")
    simulate_.add_argument("experiment", help="experiment file (TOML)")
    simulate_.add_argument(
        "--postings", type=int, help="number of postings (default: [simulation])"
    )
    simulate_.add_argument("--seed", type=int, default=None)
    simulate_.add_argument("--out", help="CSV file to write (default: standard output)")
    for command in (validate, analyze_, check, power, monitor_, report, simulate_):
        command.add_argument(
            "--allow-outside",
            action="store_true",
            help="read a data file outside the experiment file's folder",
        )
    return parser


def _one_line_warning(
    message: Warning | str,
    category: type[Warning],
    filename: str,
    lineno: int,
    file: Any = None,
    line: str | None = None,
) -> None:
    """A warning from the library as one line on standard error, like an error."""
    text = " ".join(str(message).split())
    sys.stderr.write(f"rekrut: warning: {text}\n")


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit code."""
    import warnings

    args = _parser().parse_args(argv)
    shown = warnings.showwarning
    warnings.showwarning = _one_line_warning
    try:
        with _terminate_cleanly():
            code: int = args.handler(args)
    except InputError as exc:
        sys.stderr.write(f"rekrut: error: {exc}\n")
        return 2
    finally:
        warnings.showwarning = shown
    return code


@contextlib.contextmanager
def _terminate_cleanly() -> Iterator[None]:
    """Turn SIGTERM into SystemExit while a command runs, so that a file being written is
    removed (as for Ctrl-C) rather than left half-written beside its target."""

    def stop(signum: int, frame: Any) -> None:
        raise SystemExit(128 + signum)

    try:
        previous = signal.signal(signal.SIGTERM, stop)
    except ValueError:  # not the main thread: signals are not ours to handle
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())

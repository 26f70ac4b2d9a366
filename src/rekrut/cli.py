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
from typing import TYPE_CHECKING, Any

from rekrut._escape import terminal_text
from rekrut.errors import InputError
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
    shown = frame.copy()
    for column in shown.select_dtypes(exclude=["number", "bool", "datetime"]).columns:
        shown[column] = shown[column].map(terminal_text, na_action="ignore")
    return str(shown.to_string(index=False))


def _experiment_and_data(args: argparse.Namespace) -> tuple[Experiment, Any]:
    from rekrut.model import load_experiment

    experiment = load_experiment(args.experiment)
    return experiment, args.data


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
    return 0


def _cmd_analyze(args: argparse.Namespace) -> int:
    from rekrut.analysis import analyze

    experiment, data = _experiment_and_data(args)
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


def _cmd_check(args: argparse.Namespace) -> int:
    from rekrut.calibration import check_calibration

    experiment, data = _experiment_and_data(args)
    result = check_calibration(
        experiment,
        data,
        replications=args.replications,
        method=args.method,
        by=args.by or None,
        metrics=args.metric or None,
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
    from rekrut.model import load_experiment

    experiment = load_experiment(args.experiment)
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

    metric = args.metric or "applications_per_posting"
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
    from rekrut.model import load_experiment

    experiment = load_experiment(args.experiment)
    metric = args.metric or experiment.primary_metric
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

    experiment, data = _experiment_and_data(args)
    if Path(args.out).suffix.lower() not in (".html", ".htm", ".md", ".markdown"):
        raise InputError("the report file must end in .html or .md", file=args.out)
    result = analyze(experiment, data, method=args.method, rng=args.seed)
    path = write_report(
        result, args.out, lang=args.lang, peers=_report_peers(experiment, args.kpis)
    )
    _emit(f"wrote {path}")
    return 0


def _cmd_monitor(args: argparse.Namespace) -> int:
    from rekrut.sequential import monitor

    experiment, data = _experiment_and_data(args)
    result = monitor(
        experiment, data, metrics=args.metric or None, every=args.every, spending=args.spending
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


def _cmd_demo(args: argparse.Namespace) -> int:
    from rekrut.analysis import analyze
    from rekrut.io import write_text_atomic

    path = demo_experiment_path()
    result = analyze(path)
    out = Path(args.out)
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


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
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

    report = add("report", _cmd_report, "Write a report (HTML or Markdown) a director can read.")
    report.add_argument("experiment", help="experiment file (TOML)")
    report.add_argument("--data", help="data file (default: the file the experiment names)")
    report.add_argument("--out", required=True, help="report file, .html or .md")
    report.add_argument("--lang", choices=("da", "en"), default="da")
    report.add_argument("--method", choices=("frequentist", "bayesian"), default="frequentist")
    report.add_argument("--seed", type=int, default=None, help="seed for Monte Carlo draws")
    report.add_argument("--kpis", help="KPI table for a peer comparison ('example': synthetic)")

    simulate_ = add("simulate", _cmd_simulate, "Draw a synthetic posting table for an experiment.")
    simulate_.add_argument("experiment", help="experiment file (TOML)")
    simulate_.add_argument(
        "--postings", type=int, help="number of postings (default: [simulation])"
    )
    simulate_.add_argument("--seed", type=int, default=None)
    simulate_.add_argument("--out", help="CSV file to write (default: standard output)")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit code."""
    args = _parser().parse_args(argv)
    try:
        with _terminate_cleanly():
            code: int = args.handler(args)
    except InputError as exc:
        sys.stderr.write(f"rekrut: error: {exc}\n")
        return 2
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

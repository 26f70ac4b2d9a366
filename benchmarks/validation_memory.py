"""Time and peak memory of validating a large pandas posting table (not part of ``make bench``).

Each case runs in a fresh subprocess: the input frame is built, the peak-RSS mark is reset
(``/proc/self/clear_refs``), and the peak above the RSS after building is reported next to the
frame's own size. Run from the repository root::

    PYTHONPATH=src .venv/bin/python benchmarks/validation_memory.py 800000 10000000

``--only=validate`` (or ``groupby_sum``, ``analyze``; repeatable) runs only those cases.
"""

from __future__ import annotations

import gc
import json
import resource
import subprocess
import sys
import time

CASES = ("validate", "groupby_sum", "analyze")
COLUMNS = ["applications", "qualified", "hires", "cost_dkk", "days_to_hire"]


def _frame(rows: int) -> object:
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(1)
    applications = rng.poisson(8, rows)
    qualified = rng.binomial(applications, 0.4)
    hires = rng.binomial(qualified, 0.3)
    days = np.where(hires > 0, rng.gamma(4.0, 10.0, rows).round(), np.nan)
    return pd.DataFrame(
        {
            "posting_id": pd.Series(np.arange(rows)).map("p{:08d}".format).astype("str"),
            "arm": np.array(["A", "B", "C"])[rng.integers(0, 3, rows)],
            "job_category": np.array(["sosu", "paedagog", "laerer", "leder"])[
                rng.integers(0, 4, rows)
            ],
            "published": pd.Timestamp("2025-01-01")
            + pd.to_timedelta(rng.integers(0, 365, rows), unit="D"),
            "applications": applications,
            "qualified": qualified,
            "hires": hires,
            "cost_dkk": rng.gamma(2.0, 500.0, rows).round(2),
            "days_to_hire": days,
        }
    )


def _rss_kib() -> int:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def _run(case: str, rows: int) -> dict[str, float]:
    import rekrut as rk

    experiment = rk.Experiment.model_validate(
        {
            "id": "bench",
            "control": "A",
            "metrics": ["applications_per_posting", "qualified_share", "cost_per_hire"],
            "arms": [
                {"id": "A", "channel": "jobnet"},
                {"id": "B", "channel": "facebook"},
                {"id": "C", "channel": "linkedin"},
            ],
        }
    )
    frame = _frame(rows)
    size = frame.memory_usage(deep=True).sum()  # type: ignore[attr-defined]
    gc.collect()
    with open("/proc/self/clear_refs", "w") as refs:
        refs.write("5")  # reset the peak-RSS mark to the current RSS
    before = _rss_kib()
    start = time.perf_counter()
    if case == "validate":
        result: object = rk.validate_postings(frame, experiment)  # type: ignore[arg-type]
    elif case == "groupby_sum":
        result = frame.groupby(["job_category", "arm"])[COLUMNS].sum()  # type: ignore[attr-defined]
    else:
        result = rk.analyze(experiment, frame, by=["job_category"])
    seconds = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    del result
    return {
        "rows": rows,
        "seconds": seconds,
        "peak_above_input_mib": (peak - before) / 1024,
        "frame_mib": size / 2**20,
    }


def main() -> None:
    if sys.argv[1] == "--case":
        print(json.dumps(_run(sys.argv[2], int(sys.argv[3]))))
        return
    cases = [a.removeprefix("--only=") for a in sys.argv[1:] if a.startswith("--only=")]
    for rows in (int(arg) for arg in sys.argv[1:] if not arg.startswith("--")):
        for case in cases or CASES:
            out = subprocess.run(
                [sys.executable, __file__, "--case", case, str(rows)],
                capture_output=True,
                text=True,
                check=True,
            ).stdout
            figures = json.loads(out.strip().splitlines()[-1])
            print(
                f"{rows:>10,} rows  {case:<12} {figures['seconds']:7.2f} s   "
                f"peak above input {figures['peak_above_input_mib']:7.0f} MiB   "
                f"(frame {figures['frame_mib']:.0f} MiB)",
                flush=True,
            )


if __name__ == "__main__":
    main()

"""Peak memory and time of a bootstrap analysis of millions of postings (not part of ``make bench``).

Writes a synthetic posting table of ``ROWS`` postings (three arms) as Parquet and CSV into a
temporary folder, then runs ``rekrut analyze --ratio-interval bootstrap`` on each in a fresh
process and reports that process's peak resident memory and wall time. Run from the repository
root::

    PYTHONPATH=src .venv/bin/python benchmarks/bootstrap_memory.py 2000000
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

EXPERIMENT = """id = "bootstrap-bench"
control = "A"
metrics = ["applications_per_posting", "qualified_share", "cost_per_hire"]
[[arms]]
id = "A"
channel = "jobnet"
[[arms]]
id = "B"
channel = "facebook"
[[arms]]
id = "C"
channel = "linkedin"
"""


def _write(rows: int, folder: Path) -> list[Path]:
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(1)
    applications = rng.poisson(8, rows)
    qualified = rng.binomial(applications, 0.4)
    frame = pd.DataFrame(
        {
            "posting_id": np.arange(rows),
            "arm": np.array(["A", "B", "C"])[rng.integers(0, 3, rows)],
            "applications": applications,
            "qualified": qualified,
            "hires": rng.binomial(qualified, 0.3),
            "cost_dkk": rng.lognormal(7.5, 1.0, rows).round(2),
        }
    )
    parquet, csv = folder / "postings.parquet", folder / "postings.csv"
    frame.to_parquet(parquet)
    frame.to_csv(csv, index=False)
    return [parquet, csv]


def _measure(experiment: Path, data: Path) -> dict[str, float]:
    start = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "rekrut.cli", "analyze", str(experiment), "--data", str(data),
         "--ratio-interval", "bootstrap", "--format", "json", "--quiet"],
        capture_output=True, text=True, check=False, env={**os.environ},
    )  # fmt: skip
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(done.stderr)
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024  # the largest child
    notes = [n["code"] for n in json.loads(done.stdout)["notes"]]
    return {"seconds": round(seconds, 1), "peak_mib_so_far": round(peak), "notes": notes}  # type: ignore[dict-item]


def main(rows: int) -> None:
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        experiment = folder / "bench.toml"
        experiment.write_text(EXPERIMENT, encoding="utf-8")
        for data in _write(rows, folder):
            size = data.stat().st_size / 2**20
            print(data.suffix, f"{rows} rows, {size:.0f} MiB file:", _measure(experiment, data))


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 2_000_000)

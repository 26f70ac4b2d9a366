"""Power, sample size and minimum detectable effect, in postings.

Analytic for the metrics whose unit is the posting — a proportion over postings (fill rate,
repost rate) or a count per posting (applications, qualified applicants) — and by simulation
(:func:`simulate_power`) for any metric the simulator can move.
"""

from __future__ import annotations

from rekrut._power_analytic import (
    DEFAULT_DISPERSION,
    PowerResult,
    SequentialPlan,
    minimum_detectable_lift,
    postings_needed,
    power_at,
    sequential_plan,
)
from rekrut._power_sim import SimulatedPower, simulate_power

__all__ = [
    "DEFAULT_DISPERSION",
    "PowerResult",
    "SequentialPlan",
    "SimulatedPower",
    "minimum_detectable_lift",
    "postings_needed",
    "power_at",
    "sequential_plan",
    "simulate_power",
]

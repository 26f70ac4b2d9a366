"""rekrut: honest experiments for recruitment in Danish municipalities.

Model job-ad variants and channels as experiments, analyse applicant yield, fill rate and cost
per hire with honest uncertainty, and benchmark a municipality against comparable ones.

>>> import rekrut as rk
>>> sorted(rk.METRICS)[:3]
['applications_per_posting', 'apply_rate', 'click_through_rate']
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from rekrut.errors import DataError, ExperimentError, InputError, OutputError, RekrutWarning
from rekrut.metrics import METRICS, Metric, get_metric

if TYPE_CHECKING:
    from rekrut import disclosure, meta, peers, power, profiles, report, sequential, stats
    from rekrut._ad_history import simulate_ad_history
    from rekrut._adjustment import AdjustedEffects, FactorialEffects, adjust, factorial
    from rekrut._allocation import Allocation, allocate
    from rekrut._hours import PartTime, part_time
    from rekrut._observational import ObservationalResult, observe
    from rekrut._retention import RetentionResult, retention
    from rekrut._simulation import simulate
    from rekrut._words import WordsResult, words
    from rekrut.analysis import AnalysisResult, analyze
    from rekrut.calibration import CalibrationResult, check_calibration
    from rekrut.data import PostingData, Summary, summarize, validate_postings
    from rekrut.meta import prior_from_meta
    from rekrut.model import (
        AdVariant,
        Arm,
        BayesPlan,
        Channel,
        CostModel,
        DataSource,
        Experiment,
        Look,
        load_experiment,
    )

from rekrut._version import __version__ as __version__

__all__ = [
    "METRICS",
    "AdVariant",
    "AdjustedEffects",
    "Allocation",
    "AnalysisResult",
    "Arm",
    "BayesPlan",
    "CalibrationResult",
    "Channel",
    "CostModel",
    "DataError",
    "DataSource",
    "Experiment",
    "ExperimentError",
    "FactorialEffects",
    "InputError",
    "Look",
    "Metric",
    "ObservationalResult",
    "OutputError",
    "PartTime",
    "PostingData",
    "RekrutWarning",
    "RetentionResult",
    "Summary",
    "WordsResult",
    "adjust",
    "allocate",
    "analyze",
    "check_calibration",
    "disclosure",
    "factorial",
    "get_metric",
    "load_experiment",
    "meta",
    "observe",
    "part_time",
    "peers",
    "power",
    "prior_from_meta",
    "profiles",
    "report",
    "retention",
    "sequential",
    "simulate",
    "simulate_ad_history",
    "stats",
    "summarize",
    "validate_postings",
    "words",
]

_LAZY_MODULES = frozenset(
    {
        "analysis",
        "data",
        "disclosure",
        "meta",
        "model",
        "peers",
        "power",
        "report",
        "profiles",
        "sequential",
        "stats",
    }
)
_LAZY_NAMES = {
    "AnalysisResult": "rekrut.analysis",
    "analyze": "rekrut.analysis",
    "PostingData": "rekrut.data",
    "Summary": "rekrut.data",
    "summarize": "rekrut.data",
    "validate_postings": "rekrut.data",
    "AdVariant": "rekrut.model",
    "Arm": "rekrut.model",
    "BayesPlan": "rekrut.model",
    "Channel": "rekrut.model",
    "CostModel": "rekrut.model",
    "DataSource": "rekrut.model",
    "Experiment": "rekrut.model",
    "Look": "rekrut.model",
    "load_experiment": "rekrut.model",
    "simulate": "rekrut._simulation",
    "allocate": "rekrut._allocation",
    "Allocation": "rekrut._allocation",
    "adjust": "rekrut._adjustment",
    "factorial": "rekrut._adjustment",
    "AdjustedEffects": "rekrut._adjustment",
    "FactorialEffects": "rekrut._adjustment",
    "check_calibration": "rekrut.calibration",
    "CalibrationResult": "rekrut.calibration",
    "prior_from_meta": "rekrut.meta",
    "words": "rekrut._words",
    "WordsResult": "rekrut._words",
    "simulate_ad_history": "rekrut._ad_history",
    "retention": "rekrut._retention",
    "observe": "rekrut._observational",
    "part_time": "rekrut._hours",
    "PartTime": "rekrut._hours",
    "ObservationalResult": "rekrut._observational",
    "RetentionResult": "rekrut._retention",
}


def __getattr__(name: str) -> Any:
    # Everything that needs pandas, pydantic, scipy, statsmodels or matplotlib loads on first
    # use, so `import rekrut` (and `rekrut --help`) stays fast.
    if name in _LAZY_MODULES:
        return importlib.import_module(f"rekrut.{name}")
    if name in _LAZY_NAMES:
        return getattr(importlib.import_module(_LAZY_NAMES[name]), name)
    raise AttributeError(f"module 'rekrut' has no attribute {name!r}")

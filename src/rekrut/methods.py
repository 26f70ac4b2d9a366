"""The method catalogue: every statistical method a result can name, as data.

Results carry a short code in their ``method`` field (``rekrut.stats.MethodCode``, plus the
analysis-layer codes ``poisson_exact_cost_fixed`` and ``msprt``); reports look the label up here
in the reader's language. Adding a method means adding one row.

>>> method_label("welch_delta", "da")
'deltametoden, Welch t-test'
>>> method_label("welch_delta", "en")
'delta method, Welch t'
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

__all__ = ["METHODS", "Method", "method_label"]


@dataclass(frozen=True, slots=True)
class Method:
    """One method of the catalogue.

    Attributes
    ----------
    code
        Stable identifier found in results' ``method`` field and in result tables.
    label_da, label_en
        Labels for Danish and English reports.
    """

    code: str
    label_da: str
    label_en: str

    def label(self, lang: Literal["da", "en"]) -> str:
        """Return the label in ``lang``."""
        return self.label_da if lang == "da" else self.label_en


_ROWS: tuple[Method, ...] = (
    # proportions: the test named; the interval for the difference is always Newcombe's
    Method("z_test", "z-test for to andele; Newcombe-interval", "two-proportion z-test; Newcombe interval"),
    Method("fisher_exact", "Fishers eksakte test; Newcombe-interval", "Fisher's exact test; Newcombe interval"),
    Method(
        "z_or_fisher",
        "z-test (Fishers eksakte test, hvor et forventet antal < 5); Newcombe-interval",
        "z-test (Fisher's exact test where an expected count < 5); Newcombe interval",
    ),
    # counts, ratios and time to hire
    Method("welch", "Welch t-test på opslag (robust over for overspredning)", "Welch t on postings (robust to overdispersion)"),
    Method("welch_delta", "deltametoden, Welch t-test", "delta method, Welch t"),
    Method("welch_paired", "parret deltametode over opslag, t-test", "paired delta method over postings, t"),
    Method(
        "poisson_exact",
        "eksakt betinget Poisson-test (ser bort fra overspredning)",
        "exact conditional Poisson test (ignores overdispersion)",
    ),
    Method(
        "poisson_exact_cost_fixed",
        "eksakt betinget Poisson-test på antal udfald (prisen regnet som fast)",
        "exact conditional Poisson test on the outcome count (cost fixed)",
    ),
    Method(
        "bootstrap_percentile",
        "percentil-bootstrap med opslag trukket om",
        "percentile bootstrap, resampling postings",
    ),
    Method(
        "randomization",
        "randomiseringstest (opslag fordelt om); interval ved testinversion",
        "randomisation test (postings re-assigned); interval by test inversion",
    ),
    Method("log_rank", "log-rank-test; Kaplan–Meier-medianer", "log-rank test; Kaplan–Meier medians"),
    Method("mann_whitney", "Mann–Whitney U-test (ingen åbne opslag)", "Mann–Whitney U (nothing censored)"),
    Method("no_data", "ingen opslag", "no postings"),
    # sequential
    Method(
        "msprt",
        "mixture-SPRT (altid gyldig) med konfidenssekvenser",
        "mixture SPRT (always valid) with confidence sequences",
    ),
    # Bayesian
    Method("beta_binomial", "beta-binomial-model", "beta-binomial model"),
    Method("gamma_poisson", "gamma-Poisson-model", "gamma-Poisson model"),
    Method(
        "gamma_poisson_quasi",
        "gamma-Poisson med quasi-Poisson-spredning",
        "gamma-Poisson with quasi-Poisson dispersion",
    ),
    Method("gamma_posterior", "gamma-fordelte posteriorer", "gamma posteriors"),
    Method(
        "cost_per_outcome",
        "pris pr. udfald, kendt pris og gamma-fordelt rate for udfaldet",
        "cost per outcome, known cost and a gamma outcome rate",
    ),
    Method("eb_beta_binomial", "empirisk Bayes, beta-binomial", "empirical Bayes beta-binomial"),
    Method("eb_gamma_poisson", "empirisk Bayes, gamma-Poisson", "empirical Bayes gamma-Poisson"),
    # initiatives against peers
    Method(
        "synthetic_control",
        "syntetisk kontrol; placebo-p-værdi og -interval over sammenligningskommunerne",
        "synthetic control; placebo p-value and interval over the donor municipalities",
    ),
    Method(
        "did",
        "forskel-i-forskelle; placebo-p-værdi og -interval over sammenligningskommunerne",
        "difference-in-differences; placebo p-value and interval over the donor municipalities",
    ),
    Method(
        "meta_prior",
        "lånt prior for løftet fra en metaanalyse (normalfordelt på log-skala)",
        "prior on the lift borrowed from a meta-analysis (normal on the log scale)",
    ),
)  # fmt: skip

METHODS: dict[str, Method] = {m.code: m for m in _ROWS}
"""Every method by code."""


def method_label(code: str, lang: Literal["da", "en"]) -> str:
    """The label of method ``code`` in ``lang``.

    Raises
    ------
    ValueError
        If ``code`` is not in the catalogue, or ``lang`` is neither ``"da"`` nor ``"en"``.

    Examples
    --------
    >>> method_label("fisher_exact", "en")
    "Fisher's exact test; Newcombe interval"
    """
    if lang not in ("da", "en"):
        msg = f"lang must be 'da' or 'en', got {lang!r}"
        raise ValueError(msg)
    method = METHODS.get(code)
    if method is None:
        msg = f"unknown method code {code!r}; known codes: {', '.join(sorted(METHODS))}"
        raise ValueError(msg)
    return method.label(lang)

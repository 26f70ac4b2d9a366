"""A synthetic history of Danish job ads with known word associations, for tests and tutorials.

Each ad names its job, then carries some of a set of everyday phrases, some filler words drawn
from a made-up vocabulary (so that thousands of terms that do nothing can be tested), and, each
with its own probability, the *planted* phrases whose true ratio on applicants is known. One
phrase is a confounder: it is common in one job category, which draws fewer applicants for
reasons of its own, and does nothing itself.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import numpy.typing as npt
import pandas as pd

__all__ = ["CONFOUNDER", "PLANTED", "simulate_ad_history"]

PLANTED: dict[str, float] = {
    "fleksible arbejdstider": 1.30,
    "mulighed for fuldtid": 1.25,
    "hjemmearbejde": 1.20,
    "weekendvagter": 0.80,
}
"""The planted phrases and their true ratio on applicants per posting (all else equal)."""

CONFOUNDER = ("akutte patienter", "sygeplejerske")
"""A phrase with no effect of its own, common in ads for one job category (the second item)."""

_CATEGORIES: dict[str, float] = {
    "sosu-assistent": 6.0,
    "sygeplejerske": 4.0,
    "pædagog": 12.0,
    "lærer": 10.0,
    "socialrådgiver": 8.0,
}
_PHRASES = (
    "godt arbejdsmiljø", "engagerede kolleger", "spændende opgaver", "faglig udvikling",
    "tværfagligt samarbejde", "uformel tone", "stærkt fællesskab", "gode kolleger",
    "grundig introduktion", "løbende efteruddannelse", "ansvar og indflydelse",
    "borgeren i centrum", "kort ledelsesvej", "nyrenoverede lokaler", "god struktur",
    "stort engagement", "høj faglighed", "plads til humor", "ordnede forhold",
    "erfaring fra lignende stilling", "kørekort til bil", "gode samarbejdsevner",
    "selvstændig arbejdsform", "lyst til udvikling", "ansættelse efter overenskomst",
    "børneattest indhentes", "straffeattest indhentes", "samtaler afholdes løbende",
    "tiltrædelse hurtigst muligt", "løn efter kvalifikationer",
)  # fmt: skip
_SYLLABLES = ("ba", "ke", "lo", "mi", "nu", "ra", "se", "ti", "vo", "gu", "fa", "de", "po", "hy")


def _filler_vocabulary(size: int, rng: np.random.Generator) -> npt.NDArray[np.str_]:
    """``size`` distinct made-up words of three or four syllables."""
    words: set[str] = set()
    while len(words) < size:
        count = int(rng.integers(3, 5))
        words.add("".join(rng.choice(_SYLLABLES, size=count)) + "k")
    return np.asarray(sorted(words))


def simulate_ad_history(
    postings: int = 3000,
    *,
    planted: Mapping[str, float] | None = None,
    filler_words: int = 400,
    filler_per_ad: int = 12,
    planted_share: float = 0.3,
    qualified_ratios: Mapping[str, float] | None = None,
    dispersion: float = 1 / 1.5,
    rng: int | np.random.Generator | None = None,
) -> pd.DataFrame:
    """Draw a history of job ads and their applicants.

    Parameters
    ----------
    postings
        Number of postings.
    planted
        Phrase -> true ratio on applicants (default :data:`PLANTED`); each phrase is its own
        sentence, in a share ``planted_share`` of the ads.
    filler_words, filler_per_ad
        Size of the made-up vocabulary (Zipf-distributed), and words from it in each ad.
    qualified_ratios
        Planted phrase -> true ratio on the qualified share (default: none; the share is 45 %
        everywhere). The phrase must be one of ``planted``.
    dispersion
        Negative-binomial alpha of applicants (variance = mean + alpha mean²).
    rng
        Seed or generator.

    Returns
    -------
    pandas.DataFrame
        ``posting_id, job_category, published, hours_per_week, ad_text, applications,
        qualified, hires``. The confounder phrase (:data:`CONFOUNDER`) is in 70 % of the
        ads of its category and 3 % of the others.

    Examples
    --------
    >>> ads = simulate_ad_history(200, rng=1)
    >>> list(ads.columns)[:4]
    ['posting_id', 'job_category', 'published', 'hours_per_week']
    """
    gen = np.random.default_rng(rng)
    effects = dict(PLANTED if planted is None else planted)
    categories = np.asarray(list(_CATEGORIES))
    category = gen.choice(categories, size=postings)
    published = pd.Timestamp("2023-01-02") + pd.to_timedelta(gen.integers(0, 730, postings), "D")
    has = {phrase: gen.random(postings) < planted_share for phrase in effects}
    confounded = gen.random(postings) < np.where(category == CONFOUNDER[1], 0.7, 0.03)
    hours = np.where(
        gen.random(postings) < 0.6, 37.0, gen.choice([25.0, 28.0, 30.0, 32.0], postings)
    )
    texts = _texts(category, has, confounded, filler_words, filler_per_ad, gen)
    season = 1.0 + 0.15 * np.cos(2 * np.pi * (published.month.to_numpy() - 1) / 12)
    mean = np.array([_CATEGORIES[c] for c in category]) * season
    for phrase, ratio in effects.items():
        mean = mean * np.where(has[phrase], ratio, 1.0)
    k = 1.0 / dispersion
    applications = gen.negative_binomial(k, k / (k + mean))
    share = np.full(postings, 0.45)
    for phrase, ratio in (qualified_ratios or {}).items():
        share = share * np.where(has[phrase], ratio, 1.0)
    qualified = gen.binomial(applications, share)
    hires = np.minimum(gen.binomial(np.minimum(qualified, 3), 0.5), 1)
    return pd.DataFrame(
        {
            "posting_id": np.arange(1, postings + 1),
            "job_category": category,
            "published": published,
            "hours_per_week": hours,
            "ad_text": texts,
            "applications": applications,
            "qualified": qualified,
            "hires": hires,
        }
    )


def _texts(
    category: npt.NDArray[np.str_],
    has: dict[str, npt.NDArray[np.bool_]],
    confounded: npt.NDArray[np.bool_],
    filler_words: int,
    filler_per_ad: int,
    gen: np.random.Generator,
) -> list[str]:
    vocabulary = _filler_vocabulary(filler_words, gen)
    zipf = 1.0 / np.arange(1, filler_words + 1)
    filler = gen.choice(vocabulary, size=(len(category), filler_per_ad), p=zipf / zipf.sum())
    phrases = gen.choice(np.asarray(_PHRASES), size=(len(category), 5))
    out = []
    for i, job in enumerate(category):
        parts = [f"Vi søger en {job} til vores team.", *(f"{p.capitalize()}." for p in phrases[i])]
        parts += [f"{phrase.capitalize()}." for phrase, mask in has.items() if mask[i]]
        if confounded[i]:
            parts.append(f"{CONFOUNDER[0].capitalize()}.")
        parts.append(" ".join(filler[i]) + ".")
        order = gen.permutation(len(parts) - 1) + 1
        out.append(" ".join([parts[0], *(parts[j] for j in order)]))
    return out

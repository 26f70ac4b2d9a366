"""The report's message catalogue: every sentence in Danish and English, in one place."""

from __future__ import annotations

from typing import Any

from rekrut.methods import method_label
from rekrut.notes import Lang

__all__ = ["TEXT", "t"]

TEXT: dict[str, dict[Lang, str]] = {
    "report": {"da": "Rapport", "en": "Report"},
    "experiment": {"da": "Forsøget", "en": "The experiment"},
    "hypothesis": {"da": "Hypotese", "en": "Hypothesis"},
    "arms": {"da": "Grupper", "en": "Arms"},
    "arm": {"da": "Gruppe", "en": "Arm"},
    "channel": {"da": "Kanal", "en": "Channel"},
    "variant": {"da": "Annonce", "en": "Ad"},
    "weight": {"da": "Planlagt andel", "en": "Planned share"},
    "control": {"da": "kontrol", "en": "control"},
    "period": {"da": "Periode", "en": "Period"},
    "municipality": {"da": "Kommune", "en": "Municipality"},
    "job_category": {"da": "Faggruppe", "en": "Job category"},
    "primary_metric": {"da": "Primært mål", "en": "Primary metric"},
    "metrics": {"da": "Mål", "en": "Metrics"},
    "synthetic": {
        "da": "Data er syntetiske: trukket af rekrut simulate med kendte effekter. Ikke rigtige rekrutteringsdata.",
        "en": "The data are synthetic: drawn by rekrut simulate with known effects. Not real recruitment data.",
    },
    "data_quality": {"da": "Datakvalitet", "en": "Data quality"},
    "srm_ok": {
        "da": "Fordelingen af opslag på grupper svarer til planen (p = {p}).",
        "en": "Postings per arm match the planned allocation (p = {p}).",
    },
    "srm_bad": {
        "da": "Advarsel: fordelingen af opslag på grupper afviger fra planen (p = {p}).",
        "en": "Warning: postings per arm differ from the planned allocation (p = {p}).",
    },
    "no_notes": {"da": "Ingen bemærkninger.", "en": "No remarks."},
    "recommendation": {"da": "Konklusion", "en": "Conclusion"},
    "better": {"da": "bedre", "en": "better"},
    "worse": {"da": "dårligere", "en": "worse"},
    "rec_sure": {
        "da": "{arm} gav {lift} {metric} end {control} ({level}-konfidensinterval: {low} til {high}). Det er {judgement}.",
        "en": "{arm} gave {lift} {metric} compared with {control} ({level} confidence interval: {low} to {high}). That is {judgement}.",
    },
    "rec_unsure": {
        "da": "Ingen sikker forskel mellem {arm} og {control} på {metric}: forskellen var {lift} ({level}-konfidensinterval: {low} til {high}).",
        "en": "No clear difference between {arm} and {control} on {metric}: the difference was {lift} ({level} confidence interval: {low} to {high}).",
    },
    "rec_bayes": {
        "da": "{arm} gav {lift} {metric} end {control}; vi er {prob} sikre på, at {arm} er bedre. Anbefaling: {decision}.",
        "en": "{arm} gave {lift} {metric} compared with {control}; we are {prob} sure that {arm} is better. Recommendation: {decision}.",
    },
    "choose_treatment": {"da": "vælg {arm}", "en": "choose {arm}"},
    "keep_control": {"da": "behold {control}", "en": "keep {control}"},
    "continue": {"da": "indsaml flere data", "en": "collect more data"},
    "no_data": {"da": "ingen data at sammenligne", "en": "no data to compare"},
    "corrected_note": {
        "da": "Sekundære mål er korrigeret for mange sammenligninger ({method}); kun det primære mål er afgjort på forhånd.",
        "en": "Secondary metrics are corrected for multiple comparisons ({method}); only the primary metric was decided in advance.",
    },
    "results": {"da": "Resultater", "en": "Results"},
    "forest": {
        "da": "Relativ forskel til kontrol med {level}-interval",
        "en": "Relative difference to control with {level} interval",
    },
    "value_control": {"da": "Kontrol", "en": "Control"},
    "value_treatment": {"da": "Gruppens værdi", "en": "Arm value"},
    "lift": {"da": "Forskel", "en": "Difference"},
    "interval": {"da": "Interval", "en": "Interval"},
    "p_value": {"da": "p-værdi", "en": "p-value"},
    "p_adjusted": {"da": "justeret p", "en": "adjusted p"},
    "prob_better": {"da": "Sandsynlighed for bedre", "en": "Probability better"},
    "decision": {"da": "Beslutning", "en": "Decision"},
    "funnel": {"da": "Tragten pr. gruppe", "en": "The funnel by arm"},
    "postings": {"da": "Opslag", "en": "Postings"},
    "applications": {"da": "Ansøgninger", "en": "Applications"},
    "qualified": {"da": "Kvalificerede", "en": "Qualified"},
    "filled": {"da": "Besatte opslag", "en": "Filled postings"},
    "cost": {"da": "Udgift", "en": "Cost"},
    "cost_per_hire": {"da": "Pris pr. ansættelse", "en": "Cost per hire"},
    "peers": {
        "da": "Sammenligning med sammenlignelige kommuner",
        "en": "Comparison with comparable municipalities",
    },
    "methods": {"da": "Metoder", "en": "Methods"},
    "methods_intro": {
        "da": "Intervaller er {level}-{kind}intervaller. Metode pr. mål:",
        "en": "Intervals are {level} {kind} intervals. Method per metric:",
    },
    "confidence": {"da": "konfidens", "en": "confidence"},
    "credible": {"da": "troværdigheds", "en": "credible"},
    "assumptions": {
        "da": "Opslag antages uafhængige og tilfældigt fordelt på grupperne. Antal ansøgere pr. opslag varierer langt mere end en Poisson-fordeling, så usikkerheden beregnes ud fra variationen mellem opslag. Andele af ansøgere beregnes pr. opslag (ansøgere til samme opslag ligner hinanden). Tid til ansættelse tager højde for opslag, der stadig er åbne.",
        "en": "Postings are assumed independent and randomly assigned to arms. Applicants per posting vary far more than a Poisson distribution, so uncertainty comes from the variation between postings. Shares of applicants are computed per posting (applicants to one posting are alike). Time to hire accounts for postings still open.",
    },
    "generated": {
        "da": "Lavet med rekrut {version}. Tilfældige træk: seed {seed}.",
        "en": "Made with rekrut {version}. Random draws: seed {seed}.",
    },
}


def t(key: str, lang: Lang, **params: Any) -> str:
    """Return message ``key`` in ``lang`` with ``params`` filled in.

    >>> t("keep_control", "da", control="Jobnet")
    'behold Jobnet'
    """
    return TEXT[key][lang].format(**params)


def method_name(method: str, lang: Lang) -> str:
    """The name of a statistical method in ``lang``, from the method catalogue.

    Examples
    --------
    >>> method_name("welch_delta", "da")
    'deltametoden, Welch t-test'
    >>> method_name("welch_delta", "en")
    'delta method, Welch t'
    """
    return method_label(method, lang)

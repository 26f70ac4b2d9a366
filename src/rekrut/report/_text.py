"""The report's message catalogue: every sentence in Danish and English, in one place."""

from __future__ import annotations

from typing import Any

from rekrut.analysis._decision import multiplicity_name
from rekrut.methods import method_label
from rekrut.notes import Lang

__all__ = ["JOB_CATEGORIES", "TEXT", "job_category_label", "multiplicity_name", "t"]

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
    "observational": {
        "da": "Ikke randomiseret: opslagene blev ikke fordelt tilfældigt på grupperne. Forskellene er sammenhænge i tidligere opslag, ikke beviser på, hvad kanal eller annonce gør.",
        "en": "Not randomised: the postings were not assigned to the arms at random. The differences are associations in past postings, not proof of what channel or ad does.",
    },
    "associations": {"da": "Justerede sammenhænge", "en": "Adjusted associations"},
    "retention": {"da": "Fastholdelse af nyansatte", "en": "Retention of new hires"},
    "retention_intro": {
        "da": "Andelen af de nyansatte, der stadig er ansat så mange måneder efter start "
        "(Kaplan–Meier; nyansatte, der stadig er ansat, følges til datoen for udtrækket). "
        "Intervallerne er {level}-intervaller.",
        "en": "The share of new hires still employed that many months after starting "
        "(Kaplan–Meier; hires still employed are followed up to the date of the extract). "
        "The intervals are {level} intervals.",
    },
    "retention_log_rank": {
        "da": "Log-rank-test af, om fastholdelsen er ens i grupperne: p = {p}.",
        "en": "Log-rank test of equal retention in the arms: p = {p}.",
    },
    "months_after": {"da": "Måneder efter start", "en": "Months after starting"},
    "hires_followed": {"da": "Nyansatte", "en": "Hires"},
    "still_employed": {"da": "Stadig ansat", "en": "Still employed"},
    "associations_intro": {
        "da": "Sammenhængen mellem gruppe og mål, justeret for {covariates} med en model for "
        "hvert mål. Et forhold over 1 betyder mere end hos {control} i opslag, der ligner "
        "hinanden i de justerede forhold. E-værdien er, hvor stærkt en ukendt faktor skulle "
        "hænge sammen med både gruppe og mål for at forklare sammenhængen væk.",
        "en": "The association of arm and metric, adjusted for {covariates} with a model for each "
        "metric. A ratio above 1 means more than with {control} in postings alike in what was "
        "adjusted for. The E-value is how strongly an unknown factor would have to be associated "
        "with both arm and metric to explain the association away.",
    },
    "no_covariates": {"da": "ingenting", "en": "nothing"},
    "col_ratio": {"da": "Forhold", "en": "Ratio"},
    "col_e_value": {"da": "E-værdi", "en": "E-value"},
    "rate_ratio": {"da": "rateforhold", "en": "rate ratio"},
    "odds_ratio": {"da": "oddsforhold", "en": "odds ratio"},
    "imbalanced": {
        "da": "Grupperne er forskellige med hensyn til: {covariates}.",
        "en": "The arms differ in: {covariates}.",
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
    "recommendation": {"da": "Beslutning", "en": "Decision"},
    "col_result": {"da": "Resultat", "en": "Result"},
    "col_cost": {"da": "Pris", "en": "Cost"},
    "col_next": {"da": "Næste skridt", "en": "Next step"},
    "not_reached": {"da": "ikke nået", "en": "not reached"},
    "range": {"da": "{low} til {high}", "en": "{low} to {high}"},
    "at_least": {"da": "mindst {low}", "en": "at least {low}"},
    "at_most": {"da": "højst {high}", "en": "at most {high}"},
    "undetermined": {"da": "kan ikke beregnes", "en": "cannot be computed"},
    "open_note": {
        "da": "Et interval med »mindst«, »højst« eller »kan ikke beregnes« er åbent: dataene "
        "sætter ingen grænse i den ene side, typisk fordi en gruppe har for få udfald — for "
        "dage til ansættelse, når færre end halvdelen af opslagene er besat, så medianen ikke "
        "er nået (»ikke nået«).",
        "en": "An interval reading 'at least', 'at most' or 'cannot be computed' is open: the "
        "data set no limit on one side, usually because an arm has too few outcomes — for days "
        "to hire, when fewer than half of the postings were filled, so the median is not "
        "reached ('not reached').",
    },
    "cost_picture": {
        "da": "Kvalificerede ansøgere pr. opslag mod pris pr. kvalificeret ansøger, med {level}-intervaller",
        "en": "Qualified applicants per posting against cost per qualified applicant, with {level} intervals",
    },
    "choose_treatment": {"da": "vælg {arm}", "en": "choose {arm}"},
    "keep_control": {"da": "behold {control}", "en": "keep {control}"},
    "continue": {"da": "ikke afgjort endnu", "en": "not decided yet"},
    "no_data": {"da": "ingen data at sammenligne", "en": "no data to compare"},
    "corrected_note": {
        "da": "De sekundære mål er korrigeret for mange sammenligninger ({method}); kun det primære mål blev valgt på forhånd.",
        "en": "Secondary metrics are corrected for multiple comparisons ({method}); only the primary metric was decided in advance.",
    },
    "results": {"da": "Resultater", "en": "Results"},
    "forest": {
        "da": "Forskel fra {control} med {level}-interval; mål uden relativ forskel (en gratis {control}) vises i deres egen enhed",
        "en": "Difference from {control} with {level} interval; metrics without a relative difference (a free {control}) are shown in their own unit",
    },
    "value_control": {"da": "{control}", "en": "{control}"},
    "value_treatment": {"da": "Værdi", "en": "Value"},
    "lift": {"da": "Forskel", "en": "Difference"},
    "interval": {"da": "Interval", "en": "Interval"},
    "p_value": {"da": "p-værdi", "en": "p-value"},
    "p_adjusted": {"da": "justeret p", "en": "adjusted p"},
    "prob_better": {"da": "Sandsynlighed for at være bedre", "en": "Probability of being better"},
    "decision": {"da": "Beslutning", "en": "Decision"},
    "funnel": {"da": "Fra opslag til ansættelse", "en": "From posting to hire"},
    "postings": {"da": "Opslag", "en": "Postings"},
    "applications": {"da": "Ansøgere", "en": "Applications"},
    "qualified": {"da": "Kvalificerede ansøgere", "en": "Qualified applicants"},
    "hires": {"da": "Ansættelser", "en": "Hires"},
    "filled": {"da": "Besatte opslag", "en": "Filled postings"},
    "cost": {"da": "Udgift i alt", "en": "Total cost"},
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
    "portfolio_title": {
        "da": "Årsoversigt over rekrutteringsforsøg",
        "en": "Annual overview of recruitment experiments",
    },
    "portfolio_intro": {
        "da": "Alle forsøg i ét dokument: hvad der blev afprøvet, for hvem, hvad vi lærte, hvad det kostede, og hvad der blev besluttet.",
        "en": "Every experiment in one document: what was tested, for whom, what was learned, what it cost and what was decided.",
    },
    "tested": {"da": "Afprøvet", "en": "Tested"},
    "target": {"da": "Målgruppe", "en": "Target group"},
    "learned": {"da": "Det lærte vi", "en": "Learned"},
    "decided": {"da": "Besluttet", "en": "Decided"},
    "spent": {"da": "Udgift i alt", "en": "Total cost"},
    "against": {
        "da": "sammenlignet med {control} på {primary}",
        "en": "against {control} on {primary}",
    },
    "kpi_trend": {
        "da": "Udviklingen mod sammenlignelige kommuner",
        "en": "The trend against comparable municipalities",
    },
    "kpi_missing": {
        "da": "Nøgletalstabellen har ingen rækker for denne kommune og faggruppe.",
        "en": "The KPI table has no rows for this municipality and job category.",
    },
    "kpi": {"da": "Nøgletal", "en": "KPI"},
    "own_value": {"da": "Kommunen", "en": "Municipality"},
    "peer_median": {"da": "Median for sammenlignelige", "en": "Median of comparable"},
    "verdict": {"da": "Vurdering", "en": "Verdict"},
    "verdict_above": {"da": "over niveauet", "en": "above the level"},
    "verdict_in_line": {"da": "på niveau", "en": "in line"},
    "verdict_below": {"da": "under niveauet", "en": "below the level"},
    "generated": {"da": "Lavet med rekrut {version}.", "en": "Made with rekrut {version}."},
    "seed_line": {
        "da": "Tilfældige træk: seed {seed}.",
        "en": "Random draws: seed {seed}.",
    },
}


JOB_CATEGORIES: dict[str, tuple[str, str]] = {
    "sosu_assistent": ("Social- og sundhedsassistenter", "Social and health care assistants"),
    "sosu_hjaelper": ("Social- og sundhedshjælpere", "Social and health care helpers"),
    "sygeplejerske": ("Sygeplejersker", "Nurses"),
    "paedagog": ("Pædagoger", "Pedagogues (early childhood educators)"),
    "laerer": ("Lærere", "Teachers"),
    "socialraadgiver": ("Socialrådgivere", "Social workers"),
    "administration": ("Administrative medarbejdere", "Administrative staff"),
    "leder": ("Ledere", "Managers"),
}
"""Labels of the job categories rekrut knows (the ids of :data:`rekrut.profiles.JOB_PROFILES`)."""


def job_category_label(category: str | None, lang: Lang) -> str:
    """The job category's label in ``lang``; an unknown category is shown as written.

    >>> job_category_label("sosu_assistent", "da"), job_category_label("pilot", "en")
    ('Social- og sundhedsassistenter', 'pilot')
    """
    if category is None:
        return "–"
    labels = JOB_CATEGORIES.get(category)
    return category if labels is None else labels[0 if lang == "da" else 1]


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

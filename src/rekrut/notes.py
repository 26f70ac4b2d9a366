"""Notes that travel with results, in Danish and English, as data.

A note has a code and parameters; the text is looked up here, so the analysis layer stays free of
wording and the report can show every note in the reader's language.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

__all__ = ["NOTES", "Lang", "Note"]

Lang = Literal["da", "en"]

# The count a denominator column holds, in words (Danish, English).
_COUNT_WORDS: dict[str, tuple[str, str]] = {
    "postings": ("opslag", "postings"),
    "impressions": ("visninger", "impressions"),
    "clicks": ("klik", "clicks"),
    "applications": ("ansøgninger", "applications"),
    "qualified": ("kvalificerede ansøgere", "qualified applicants"),
    "hires": ("ansættelser", "hires"),
    "retained_12m": ("fastholdte ansættelser", "retained hires"),
}

NOTES: dict[str, dict[Lang, str]] = {
    "source_paired": {
        "en": "{metric}: each posting was published in every channel, so the channels are "
        "compared within postings (paired); postings missing from a channel are left out.",
        "da": "{metric}: hvert opslag blev slået op i alle kanaler, så kanalerne er sammenlignet "
        "inden for opslag (parret); opslag, der mangler i en kanal, er udeladt.",
    },
    "source_unpaired": {
        "en": "{metric}: the channels of one posting are analysed as if independent (this "
        "method does not pair them); read the result with care.",
        "da": "{metric}: kanalerne for samme opslag er analyseret, som om de var uafhængige "
        "(metoden parrer dem ikke); læs resultatet med forsigtighed.",
    },
    "poisson_totals": {
        "en": "{metric}: only arm totals were given, so a Poisson test was used; it cannot check "
        "overdispersion between postings and its interval may be too narrow.",
        "da": "{metric}: der var kun totaler pr. gruppe, så der er brugt en Poisson-test; den kan ikke "
        "tage højde for forskelle mellem opslag, og intervallet kan være for smalt.",
    },
    "poisson_totals_bayes": {
        "en": "{metric}: only arm totals were given, so the Gamma–Poisson model treats the "
        "applicants as independent; it cannot check overdispersion between postings, and its "
        "credible intervals and probabilities may be far too confident.",
        "da": "{metric}: der var kun totaler pr. gruppe, så Gamma–Poisson-modellen behandler "
        "ansøgerne som uafhængige; den kan ikke tage højde for forskelle mellem opslag, og "
        "intervallerne og sandsynlighederne kan være alt for sikre.",
    },
    "clustered_few_postings": {
        "en": "{metric}: {count} comparisons have an arm with fewer than two postings; the "
        "applicants of one posting are alike, and the variation between postings cannot be "
        "estimated from one posting, so they are left blank (collect more data).",
        "da": "{metric}: {count} sammenligninger har en gruppe med færre end to opslag; "
        "ansøgerne til samme opslag ligner hinanden, og variationen mellem opslag kan ikke "
        "vurderes ud fra ét opslag, så de er tomme (indsaml flere data).",
    },
    "fisher_interval": {
        "en": "{metric}: in {count} comparisons with small counts the p-value is Fisher's exact "
        "test, which is more cautious than the interval (the interval inverts the z-test), and "
        "the two disagree on whether the difference is clear; read the p-value there.",
        "da": "{metric}: i {count} sammenligninger med små tal er p-værdien fra Fishers eksakte "
        "test, som er mere forsigtig end intervallet (intervallet hører til z-testen), og de to "
        "er uenige om, hvorvidt forskellen er sikker; læs p-værdien dér.",
    },
    "binomial_totals": {
        "en": "{metric}: only arm totals were given, so applicants are treated as independent; "
        "when postings were randomised the interval may be too narrow.",
        "da": "{metric}: der var kun totaler pr. gruppe, så ansøgerne behandles som uafhængige; når "
        "opslag er fordelt tilfældigt, kan intervallet være for smalt.",
    },
    "ratio_totals": {
        "en": "{metric}: only arm totals were given; the interval treats the cost as fixed and the "
        "count as Poisson, and ignores variation between postings.",
        "da": "{metric}: der var kun totaler pr. gruppe; intervallet regner prisen som fast og antallet "
        "som Poisson-fordelt og ser bort fra forskelle mellem opslag.",
    },
    "duration_totals": {
        "en": "{metric}: needs one row per posting; it is left out for arm totals.",
        "da": "{metric}: kræver én række pr. opslag og er udeladt for totaler pr. gruppe.",
    },
    "duration_bayes": {
        "en": "{metric}: the Bayesian analysis does not model time to hire; see the frequentist "
        "analysis (Kaplan–Meier medians, log-rank test).",
        "da": "{metric}: den bayesianske analyse modellerer ikke tid til ansættelse; se den "
        "frekventistiske analyse (Kaplan–Meier-medianer, log-rank-test).",
    },
    "duration_sequential": {
        "en": "{metric}: always-valid inference is not available for time to hire; it is left "
        "out of the sequential analysis.",
        "da": "{metric}: tid til ansættelse kan ikke overvåges sekventielt og er udeladt af den "
        "sekventielle analyse.",
    },
    "few_effective_postings": {
        "en": "{metric}: in at least one arm the applicants come from few postings (as few as "
        "{effective} postings' worth), so the interval and p-value may be too narrow; compare "
        "with method='randomization' or check the method on your postings with rekrut check.",
        "da": "{metric}: i mindst én gruppe kommer ansøgerne fra få opslag (ned til, hvad der "
        "svarer til {effective} opslag), så intervallet og p-værdien kan være for snævre; "
        "sammenlign med method='randomization', eller afprøv metoden på jeres opslag med "
        "rekrut check.",
    },
    "zero_denominator": {
        "en": "{metric}: arm {arm} has no {denominator}, so its value is undefined and its "
        "interval open-ended.",
        "da": "{metric}: gruppe {arm} har ingen {denominator}, så værdien er udefineret og intervallet "
        "åbent.",
    },
    "srm": {
        "en": "Sample-ratio mismatch: the postings per arm ({observed}) differ from the planned "
        "allocation (p = {p_value}). Check how postings were assigned before trusting the results.",
        "da": "Skæv fordeling: antallet af opslag pr. gruppe ({observed}) afviger fra den planlagte "
        "fordeling (p = {p_value}). Undersøg fordelingen af opslag, før resultaterne bruges.",
    },
    "bootstrap_normal_sums": {
        "en": "{metric}: an arm has more than 20,000 postings, so its bootstrap resamples the "
        "sums from their normal limit (the same interval, in bounded memory and time).",
        "da": "{metric}: en gruppe har over 20.000 opslag, så bootstrap trækker summerne fra "
        "deres normalfordelte grænse (samme interval, med begrænset hukommelse og tid).",
    },
    "bootstrap_zero": {
        "en": "{metric}: {share} of bootstrap resamples had no {denominator} in an arm and were "
        "left out.",
        "da": "{metric}: {share} af bootstrap-gentagelserne havde ingen {denominator} i en gruppe og er "
        "udeladt.",
    },
    "randomization_totals": {
        "en": "{metric}: only arm totals were given, so postings cannot be re-randomised; the "
        "frequentist method is used instead.",
        "da": "{metric}: der var kun totaler pr. gruppe, så opslagene kan ikke fordeles om; den "
        "frekventistiske metode er brugt i stedet.",
    },
    "randomization_unit": {
        "en": "{metric}: the posting is not the randomised unit in this experiment, so postings "
        "cannot be re-randomised; the frequentist method is used instead.",
        "da": "{metric}: opslaget er ikke den enhed, der er fordelt tilfældigt i dette forsøg, så "
        "opslagene kan ikke fordeles om; den frekventistiske metode er brugt i stedet.",
    },
    "randomization_monte_carlo": {
        "en": "{metric}: too many re-assignments to enumerate in {count} comparisons, so "
        "{n_resamples} random ones were drawn; the p-values' Monte Carlo standard error is at "
        "most {mcse}.",
        "da": "{metric}: for mange omfordelinger til at gennemgå alle i {count} sammenligninger, så "
        "der er trukket {n_resamples} tilfældige; p-værdiernes Monte Carlo-standardfejl er højst "
        "{mcse}.",
    },
    "randomization_duration": {
        "en": "{metric}: time to hire is censored for open postings, so it is compared by the "
        "frequentist method (Kaplan–Meier, log-rank test), not re-randomised.",
        "da": "{metric}: tid til ansættelse er ukendt for åbne opslag, så den er sammenlignet med "
        "den frekventistiske metode (Kaplan–Meier, log-rank-test) og ikke ved omfordeling.",
    },
    "no_data": {
        "en": "{metric}: comparisons where an arm has no data: {count} (first: {where}); they are "
        "left blank, not filled with the prior.",
        "da": "{metric}: sammenligninger, hvor en gruppe ikke har data: {count} (første: {where}); "
        "de er tomme og ikke udfyldt med prior-fordelingen.",
    },
    "calibration_too_many": {
        "en": "{metric}, {arm}: in the A/A check the method found a difference in {rate} of the "
        "re-randomisations, above the band around the nominal {nominal}; its p-values and "
        "intervals are too optimistic on these postings.",
        "da": "{metric}, {arm}: i A/A-kontrollen fandt metoden en forskel i {rate} af "
        "gentrækningerne, over båndet omkring det nominelle {nominal}; dens p-værdier og "
        "intervaller er for optimistiske på disse opslag.",
    },
    "calibration_no_result": {
        "en": "{metric}, {arm}: {count} re-randomisations gave no result (no data in an arm); "
        "the rate counts only the others.",
        "da": "{metric}, {arm}: {count} gentrækninger gav intet resultat (ingen data i en gruppe); "
        "andelen tæller kun de øvrige.",
    },
    "retention_unknown": {
        "en": "{metric}: {count} postings have hires whose 12-month retention is not known yet; "
        "they are left out of this metric.",
        "da": "{metric}: {count} opslag har ansættelser, hvor fastholdelsen efter 12 måneder endnu "
        "ikke kendes; de indgår ikke i dette mål.",
    },
}


@dataclass(frozen=True, slots=True)
class Note:
    """A caveat attached to a result: a code from :data:`NOTES` and its parameters.

    Examples
    --------
    >>> note = Note("zero_denominator", {"metric": "cost_per_hire", "arm": "B",
    ...                                  "denominator": "hires"})
    >>> note.text("da")
    'Pris pr. ansættelse: gruppe B har ingen ansættelser, så værdien er udefineret og intervallet åbent.'
    >>> note.to_dict()["params"]["metric"]  # data keep the id
    'cost_per_hire'
    """

    code: str
    params: dict[str, Any] = field(default_factory=dict)

    def text(self, lang: Lang = "en") -> str:
        """Return the note in ``lang``: metrics by their label, counts in words."""
        from rekrut.metrics import METRICS

        params = dict(self.params)
        metric = METRICS.get(str(params.get("metric")))
        if metric is not None:
            params["metric"] = metric.label_da if lang == "da" else metric.label_en
        words = _COUNT_WORDS.get(str(params.get("denominator")))
        if words is not None:
            params["denominator"] = words[0] if lang == "da" else words[1]
        return NOTES[self.code][lang].format(**params)

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-safe record with the English text."""
        return {"code": self.code, "params": dict(self.params), "text": self.text("en")}

"""Notes that travel with results, in Danish and English, as data.

A note has a code and parameters; the text is looked up here, so the analysis layer stays free of
wording and the report can show every note in the reader's language.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

__all__ = ["NOTES", "Lang", "Note", "Notes"]

Lang = Literal["da", "en"]

# The count a denominator column holds, in words (Danish, English).
_COUNT_WORDS: dict[str, tuple[str, str]] = {
    "postings": ("opslag", "postings"),
    "impressions": ("visninger", "impressions"),
    "clicks": ("klik", "clicks"),
    "applications": ("ansøgere", "applications"),
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
    "small_sample_randomization": {
        "en": "{metric}: in {count} comparisons an arm rests on fewer than {threshold} effective "
        "postings (a few postings bring most of its applicants, hires or costs), where the delta "
        "method and Welch's test do not hold their level; they were tested by re-randomising "
        "the postings instead (exact when the postings were assigned at random).",
        "da": "{metric}: i {count} sammenligninger hviler en gruppe på færre end {threshold} "
        "effektive opslag (få opslag står for de fleste ansøgere, ansættelser eller "
        "omkostninger), hvor delta-metoden og Welchs test ikke holder niveauet; de er i stedet "
        "testet ved at fordele opslagene om (eksakt, når opslagene blev fordelt tilfældigt).",
    },
    "bayes_few_effective_postings": {
        "en": "{metric}: in {count} comparisons an arm rests on fewer than {threshold} effective "
        "postings (a few postings bring most of its applicants). The Bayesian models cannot "
        "carry that uncertainty: their probabilities and intervals would be far too sure, so "
        "they are left blank and no decision is taken (continue); the posterior means stand. "
        "Read the frequentist analysis, which re-randomises these comparisons.",
        "da": "{metric}: i {count} sammenligninger hviler en gruppe på færre end {threshold} "
        "effektive opslag (få opslag står for de fleste ansøgere). De bayesianske modeller kan "
        "ikke bære den usikkerhed: deres sandsynligheder og intervaller ville være alt for "
        "sikre, så de er udeladt, og der træffes ingen beslutning (fortsæt); de gennemsnitlige "
        "værdier står. Læs den frekventistiske analyse, som fordeler opslagene om i disse "
        "sammenligninger.",
    },
    "randomization_too_few": {
        "en": "{metric}: {count} comparisons have so few postings that no re-assignment can "
        "reach a p-value below {alpha}: they cannot show a difference, whatever the data; add "
        "postings before reading them.",
        "da": "{metric}: {count} sammenligninger har så få opslag, at ingen omfordeling kan give "
        "en p-værdi under {alpha}: de kan ikke vise en forskel, uanset data; tilføj opslag, før "
        "de læses.",
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
    "observational": {
        "en": "Not randomised: the postings were not assigned to the arms at random, so each "
        "ratio is an association, adjusted for {covariates}, not proof of cause. Postings that "
        "differ in ways these covariates do not record (the job, the employer, the timing) "
        "can explain it; the E-value says how strong such a difference would have to be.",
        "da": "Ikke randomiseret: opslagene blev ikke fordelt tilfældigt på grupperne, så hvert "
        "forhold er en sammenhæng, justeret for {covariates}, ikke et bevis på årsag. Forskelle "
        "mellem opslagene, som disse forhold ikke fanger (stillingen, arbejdsstedet, "
        "tidspunktet), kan forklare den; E-værdien siger, hvor stærk en sådan forskel skulle "
        "være.",
    },
    "observational_imbalance": {
        "en": "The arms' postings differ in {covariates} (standardised difference above 0.1); "
        "the adjustment leans on the model there.",
        "da": "Gruppernes opslag er forskellige med hensyn til {covariates} (standardiseret "
        "forskel over 0,1); justeringen hviler dér på modellen.",
    },
    "observational_overlap": {
        "en": "In {groups} covariate groups only one of the two arms has postings ({postings} "
        "postings); nothing in the data compares the arms there.",
        "da": "I {groups} grupper af forhold har kun den ene af to grupper opslag ({postings} "
        "opslag); intet i data sammenligner grupperne dér.",
    },
    "observational_analyze": {
        "en": "Not randomised (design = observational): the differences below are associations "
        "in past postings, not proof of cause. rekrut.observe adjusts them for the covariates and shows "
        "balance, overlap and E-values.",
        "da": "Ikke randomiseret (design = observational): forskellene nedenfor er sammenhænge i "
        "tidligere opslag, ikke beviser på årsag. rekrut.observe justerer dem for baggrundsforhold og "
        "viser balance, overlap og E-værdier.",
    },
    "words_association": {
        "en": "{metric}: each ratio compares past postings with and without the term, adjusted "
        "for {controls} and the other terms in the table. It is an association, not proof that the term draws applicants: "
        "whatever made some ads use the term and also drew applicants is mixed in. Test a "
        "promising term in a randomised experiment (suggest).",
        "da": "{metric}: hvert forhold sammenligner tidligere opslag med og uden ordet, justeret "
        "for {controls} og de øvrige ord i tabellen. Det er en sammenhæng, ikke et bevis på, at ordet giver ansøgere: det, "
        "der fik nogle opslag til at bruge ordet og samtidig gav ansøgere, indgår i tallet. "
        "Afprøv et lovende ord i et randomiseret forsøg (suggest).",
    },
    "words_no_terms": {
        "en": "{metric}: no word or phrase occurs in enough postings (and is missing from "
        "enough) to be compared; lower min_postings or add postings.",
        "da": "{metric}: intet ord eller udtryk forekommer i nok opslag (og mangler i nok) til at "
        "kunne sammenlignes; sænk min_postings eller tilføj opslag.",
    },
    "retention_unknown": {
        "en": "{metric}: {count} postings have hires whose 12-month retention is not known yet; "
        "they are left out of this metric.",
        "da": "{metric}: {count} opslag har ansættelser, hvor fastholdelsen efter 12 måneder endnu "
        "ikke kendes; de indgår ikke i dette mål.",
    },
    "poor_pre_fit": {
        "en": "{metric}: the counterfactual does not follow municipality {municipality} well "
        "before the initiative (its pre-period error is {ratio} times the donors' typical one), "
        "so the estimate may be biased; read it with care or choose comparable donors.",
        "da": "{metric}: sammenligningsgrundlaget følger ikke kommune {municipality} godt før "
        "indsatsen (fejlen før er {ratio} gange donorernes typiske), så estimatet kan være skævt; "
        "læs det med forsigtighed, eller vælg sammenlignelige kommuner.",
    },
    "few_donors": {
        "en": "{metric}: with {count} donor municipalities the placebo test cannot reach this "
        "confidence level (it needs at least {needed}), so the interval is unbounded.",
        "da": "{metric}: med {count} sammenligningskommuner kan placebotesten ikke nå dette "
        "konfidensniveau (den kræver mindst {needed}), så intervallet er ubegrænset.",
    },
    "few_pre_periods": {
        "en": "{metric}: the synthetic control is fitted on only {count} periods before the "
        "initiative; with many donors it can follow their noise exactly, so its fit says little. "
        "Use quarters or months, or compare with difference-in-differences.",
        "da": "{metric}: den syntetiske kontrol er tilpasset på kun {count} perioder før "
        "indsatsen; med mange sammenligningskommuner kan den følge tilfældig støj præcist, så "
        "tilpasningen siger ikke meget. Brug kvartaler eller måneder, eller sammenlign med "
        "forskel-i-forskelle.",
    },
    "donors_incomplete": {
        "en": "{metric}: {count} donor municipalities lack a value in some period and are left "
        "out ({codes}).",
        "da": "{metric}: {count} sammenligningskommuner mangler en værdi i en periode og er "
        "udeladt ({codes}).",
    },
    "did_clustered_se": {
        "en": "{metric}: with one municipality taking the initiative, clustered standard errors "
        "of the difference-in-differences are too small; the interval shown is the placebo "
        "interval over the donor municipalities.",
        "da": "{metric}: når kun én kommune har indsatsen, er de klyngerobuste standardfejl for "
        "forskel-i-forskelle for små; det viste interval er placebointervallet over "
        "sammenligningskommunerne.",
    },
    "pretrend": {
        "en": "{metric}: before the initiative the municipality's difference to the donors "
        "drifted (trend test p = {p_value}); parallel trends are doubtful, so "
        "difference-in-differences may be biased; compare with the synthetic control.",
        "da": "{metric}: før indsatsen ændrede kommunens forskel til sammenligningskommunerne "
        "sig (trendtest p = {p_value}); parallelle trends er tvivlsomme, så "
        "forskel-i-forskelle kan være skæv; sammenlign med den syntetiske kontrol.",
    },
    "borrowed_prior": {
        "en": "{metric}: the lift's prior is borrowed from {studies} earlier studies (a "
        "meta-analysis's prediction: lift {low} to {high}). It assumes this experiment is like "
        "them; if it is not, the result is pulled towards effects that do not apply. Compare "
        "with the analysis without the prior.",
        "da": "{metric}: prior-fordelingen for løftet er lånt fra {studies} tidligere studier "
        "(en metaanalyses forudsigelse: løft {low} til {high}). Den forudsætter, at dette "
        "forsøg ligner dem; gør det ikke, trækkes resultatet mod effekter, der ikke gælder. "
        "Sammenlign med analysen uden prior.",
    },
    "borrowed_prior_given": {
        "en": "{metric}: the lift has a given prior (lift {low} to {high}), not one learnt from "
        "this experiment. It assumes the effect is known that well beforehand; if not, the "
        "result is pulled towards it. Compare with the analysis without the prior.",
        "da": "{metric}: løftet har en givet prior-fordeling (løft {low} til {high}), som ikke "
        "er lært af dette forsøg. Den forudsætter, at effekten var så godt kendt på forhånd; "
        "er den ikke, trækkes resultatet mod den. Sammenlign med analysen uden prior.",
    },
    "outside_period": {
        "en": "{count} postings are dated outside the experiment's period {start} – {end} "
        "(first: {date}, row {row}); they are included in the analysis — check the dates, or "
        "the period in the experiment file.",
        "da": "{count} opslag er dateret uden for forsøgets periode {start} – {end} "
        "(første: {date}, række {row}); de indgår i analysen — kontrollér datoerne eller "
        "perioden i forsøgsfilen.",
    },
    "after_export": {
        "en": "{count} postings are dated after the data were exported ({exported}) (first: "
        "{date}, row {row}); such dates cannot be right — check the date column and its format.",
        "da": "{count} opslag er dateret efter, at data blev trukket ({exported}) (første: "
        "{date}, række {row}); de datoer kan ikke passe — kontrollér datokolonnen og dens format.",
    },
    "posting_in_two_arms": {
        "en": "{count} postings appear in more than one arm (first: {posting}); with postings "
        "randomised, a posting belongs to one arm, and its applicants are counted twice here.",
        "da": "{count} opslag optræder i mere end én gruppe (første: {posting}); når opslag er "
        "fordelt tilfældigt, hører et opslag til én gruppe, og dets ansøgere tælles her to gange.",
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

    def text(self, lang: Lang = "da") -> str:
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


class Notes(tuple[Note, ...]):
    """The notes of a result: a tuple of :class:`Note` that prints as sentences in its language.

    Examples
    --------
    >>> notes = Notes([Note("duration_totals", {"metric": "time_to_hire_days"})], lang="en")
    >>> notes
    - Days to hire: needs one row per posting; it is left out for arm totals.
    >>> notes[0].code
    'duration_totals'
    """

    lang: Lang

    def __new__(cls, notes: Any = (), *, lang: Lang = "da") -> Notes:
        made = super().__new__(cls, notes)
        made.lang = lang
        return made

    def __repr__(self) -> str:
        return "\n".join(f"- {note.text(self.lang)}" for note in self) or "(no notes)"

    __str__ = __repr__

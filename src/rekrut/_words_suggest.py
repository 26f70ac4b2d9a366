"""From a term of past ads to a randomised experiment that tests it (an experiment file)."""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rekrut.io import write_text_atomic
from rekrut.model import experiment_from_mapping

__all__ = ["Finding", "planned_lift", "write_suggestion"]


@dataclass(frozen=True, slots=True)
class Finding:
    """One term of a words table and what the suggestion needs to know about its analysis."""

    term: str
    ratio: float
    ci_low: float
    ci_high: float
    metric: str
    baseline: float
    dispersion: float | None
    postings: int
    controls: tuple[str, ...]


def planned_lift(ratio: float, ci_low: float, ci_high: float) -> float:
    """The interval's end nearest to no effect, as a lift; a ValueError if it includes none.

    Examples
    --------
    >>> round(planned_lift(1.3, 1.1, 1.5), 3), round(planned_lift(0.8, 0.7, 0.9), 3)
    (0.1, -0.1)
    """
    if ci_low > 1:
        return ci_low - 1
    if ci_high < 1:
        return ci_high - 1
    msg = (
        f"the interval {ci_low:.2f}-{ci_high:.2f} includes no difference, so the past postings "
        "give no effect to plan for; give lift= (the smallest effect worth finding)"
    )
    raise ValueError(msg)


def _plan(result: Finding, lift: float, power: float, alpha: float) -> int | None:
    """Postings per arm from rekrut.power, or None for a metric it cannot plan analytically."""
    import rekrut.power as power_module

    if result.metric == "qualified_share":
        return None
    dispersion = result.dispersion if result.dispersion else power_module.DEFAULT_DISPERSION
    needed = power_module.postings_needed(
        result.metric,
        result.baseline,
        lift=lift,
        power=power,
        alpha=alpha,
        dispersion=dispersion,
    )
    return needed.postings_per_arm


def _slug(term: str) -> str:
    return re.sub(r"[^a-z0-9æøå]+", "-", term.lower()).strip("-") or "term"


def write_suggestion(
    result: Finding,
    path: str | Path,
    *,
    lift: float | None,
    channel: str,
    power: float,
    alpha: float,
) -> Path:
    """Write the experiment file of :meth:`WordsResult.suggest` and return its path."""
    term = result.term
    if lift is None:
        lift = planned_lift(result.ratio, result.ci_low, result.ci_high)
    if not (math.isfinite(lift) and lift > -1 and lift != 0):
        raise ValueError(f"lift must be a non-zero number above -1, got {lift!r}")
    per_arm = _plan(result, lift, power, alpha)
    plan: dict[str, Any] = {
        "id": f"ord-{_slug(term)}",
        "title": f"Opslag med og uden »{term}«",
        "design": "randomised",
        "control": "uden",
        "metrics": [result.metric],
        "alpha": alpha,
        "hypothesis": (
            f"Opslag med »{term}« giver {lift:+.0%} på {result.metric} (planlagt effekt). "
            f"I tidligere opslag var forholdet {result.ratio:.2f} "
            f"({result.ci_low:.2f}-{result.ci_high:.2f}) — en sammenhæng, ikke en effekt."
        ),
        "arms": [
            {"id": "uden", "variant": "uden", "channel": channel},
            {"id": "med", "variant": "med", "channel": channel},
        ],
        "variants": [
            {"id": "uden", "title": "Sædvanligt opslag", "text": f"Det sædvanlige opslag uden »{term}«."},
            {"id": "med", "title": f"Med »{term}«", "text": f"Det sædvanlige opslag med »{term}« tilføjet."},
        ],
    }  # fmt: skip
    if per_arm is not None:
        plan["planned_postings"] = per_arm
    experiment_from_mapping(plan)  # the file must load before it is written
    return write_text_atomic(path, _header(result, lift, per_arm) + _toml(plan))


def _header(result: Finding, lift: float, per_arm: int | None) -> str:
    term = result.term
    controls = ", ".join(result.controls) or "nothing"
    lines = [
        f"Suggested by rekrut words: a randomised test of the ad with and without '{term}'.",
        f"In {result.postings} past postings, those with the term had {result.ratio:.2f} times "
        f"the {result.metric} ({result.ci_low:.2f}-{result.ci_high:.2f}), adjusted for "
        f"{controls}.",
        "That is an association in ads that were not randomised: the jobs, employers and "
        "seasons that used the term may differ in ways the controls miss. Randomising which",
        "postings get the term is what turns the association into an effect one can act on.",
    ]
    if per_arm is None:
        lines.append(
            f"Plan the number of postings by simulation: rekrut power FILE --lift {lift:.3f}"
        )
    else:
        lines.append(
            f"planned_postings: per arm, for power to detect a lift of {lift:+.1%} "
            "(rekrut.power.postings_needed)."
        )
    return "".join(f"# {line}\n" for line in lines) + "\n"


def _value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, list):
        return "[" + ", ".join(_value(v) for v in value) + "]"
    # a JSON string is a valid TOML basic string
    return json.dumps(str(value), ensure_ascii=False)


def _toml(plan: dict[str, Any]) -> str:
    lines = [f"{k} = {_value(v)}" for k, v in plan.items() if not _is_tables(v)]
    for key, tables in plan.items():
        if _is_tables(tables):
            for table in tables:
                lines += ["", f"[[{key}]]", *(f"{k} = {_value(v)}" for k, v in table.items())]
    return "\n".join(lines) + "\n"


def _is_tables(value: Any) -> bool:
    return isinstance(value, list) and bool(value) and isinstance(value[0], dict)

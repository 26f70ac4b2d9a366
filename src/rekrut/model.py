"""The experiment model: channels, ad variants, arms and the experiment plan.

All models are immutable pydantic models. An experiment is read from a TOML file with
:func:`load_experiment` or built from a dict with ``Experiment.model_validate``.
"""

from __future__ import annotations

import datetime as dt
import difflib
import math
import tomllib
import typing
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

from pydantic import (
    AliasChoices,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from rekrut.errors import ExperimentError
from rekrut.io import read_text
from rekrut.metrics import METRICS

__all__ = [
    "AdVariant",
    "Arm",
    "BayesPlan",
    "Channel",
    "CostModel",
    "DataSource",
    "Experiment",
    "Look",
    "SimulationSpec",
    "as_experiment",
    "load_experiment",
    "normalize_kommunekode",
]

ChannelKind = Literal["job_board", "social", "print", "own_site", "referral", "event", "education"]
Unit = Literal["posting", "impression", "source"]
Design = Literal["randomised", "observational"]


class _Frozen(BaseModel):
    # allow_inf_nan=False: a weight, price or prior of inf or nan is an error, not a silent NaN
    model_config = ConfigDict(
        frozen=True, extra="forbid", str_strip_whitespace=True, allow_inf_nan=False
    )


class CostModel(_Frozen):
    """How a channel charges, in DKK; all parts are optional and add up.

    ``per_posting_dkk`` is a fee per published posting, ``per_click_dkk`` a price per click,
    ``per_1000_impressions_dkk`` a price per thousand impressions (CPM) and ``campaign_dkk`` a
    fixed campaign cost per posting. A channel with no cost model is free.
    """

    per_posting_dkk: float = Field(0.0, ge=0)
    per_click_dkk: float = Field(0.0, ge=0)
    per_1000_impressions_dkk: float = Field(0.0, ge=0)
    campaign_dkk: float = Field(0.0, ge=0)

    @property
    def is_free(self) -> bool:
        """True when every part of the cost model is zero."""
        return not any(
            (
                self.per_posting_dkk,
                self.per_click_dkk,
                self.per_1000_impressions_dkk,
                self.campaign_dkk,
            )
        )


class Channel(_Frozen):
    """Where a job ad is published (Jobnet, Jobindex, Facebook, a local paper …)."""

    id: str = Field(min_length=1)
    name: str = ""
    name_en: str = ""
    kind: ChannelKind | None = None
    cost: CostModel = CostModel()

    @model_validator(mode="after")
    def _default_name(self) -> Channel:
        if not self.name:
            object.__setattr__(self, "name", self.id)
        return self


class AdVariant(_Frozen):
    """One wording of a job ad, with the features it declares."""

    id: str = Field(min_length=1)
    title: str = ""
    title_en: str = ""
    text: str = ""
    mentions_fulltime: bool | None = None
    mentions_remote_work: bool | None = None
    mentions_flexible_hours: bool | None = None
    salary_shown: bool | None = None

    @model_validator(mode="after")
    def _default_title(self) -> AdVariant:
        if not self.title:
            object.__setattr__(self, "title", self.id)
        return self


class Arm(_Frozen):
    """One arm of the experiment: an ad variant in a channel, with its planned allocation.

    ``name`` and ``name_en`` name the arm in Danish and English reports; without them the arm is
    named by its channel (or by its ad variant when the arms differ in wording).
    """

    id: str = Field(min_length=1)
    name: str = ""
    name_en: str = ""
    variant: str = "standard"
    channel: str = Field(min_length=1)
    weight: float = Field(1.0, gt=0)


COUNT_COLUMNS = (
    "postings",
    "impressions",
    "clicks",
    "applications",
    "qualified",
    "interviews",
    "hires",
    "retained_12m",
    "filled",
    "reposted",
)
"""Columns that hold non-negative whole numbers (``filled`` is derived from ``hires``)."""

AMOUNT_COLUMNS = ("cost_dkk", "days_to_hire", "days_open")
"""Columns that hold non-negative amounts (DKK, days)."""

POSTING_COLUMNS = (
    *("posting_id", "arm", "variant", "channel", "job_category", "published"),
    *(column for column in COUNT_COLUMNS if column != "filled"),
    *AMOUNT_COLUMNS,
)
"""The columns of the posting-table contract (see the data-contracts reference)."""


class DataSource(_Frozen):
    """Where the data are and how the file writes them (the ``[data]`` table).

    ``path`` is the file (CSV, Excel, OpenDocument or Parquet), relative to the experiment file;
    ``sheet`` a spreadsheet's sheet (name, or 0-based number; default the first);
    ``date_format`` the format of non-ISO dates (``"DD-MM-YYYY"`` or ``"%d-%m-%Y"``);
    ``decimal`` the decimal mark of numbers written as text (``","`` Danish, ``"."``);
    ``exported`` the day the data were exported (postings dated later are flagged; default:
    the day of the analysis); ``columns`` maps rekrut's column names to the file's headers
    (``applications = "Antal ansøgere"``).

    Examples
    --------
    >>> DataSource.model_validate({"path": "opslag.xlsx", "columns": {"arm": "Kanal"}}).columns
    {'arm': 'Kanal'}
    """

    path: str = Field(min_length=1)
    sheet: str | int | None = None
    date_format: str | None = None
    decimal: Literal[",", "."] | None = None
    exported: dt.date | None = None
    columns: dict[str, str] = Field(default_factory=dict)

    @field_validator("columns")
    @classmethod
    def _known_columns(cls, value: dict[str, str]) -> dict[str, str]:
        for name, header in value.items():
            if name not in POSTING_COLUMNS:
                close = difflib.get_close_matches(name, POSTING_COLUMNS, n=1, cutoff=0.75)
                if close:
                    raise ValueError(f"unknown column {name!r}; did you mean {close[0]!r}?")
            if not header.strip():
                raise ValueError(f"the header for {name!r} is blank")
        headers = list(value.values())
        repeated = sorted({h for h in headers if headers.count(h) > 1})
        if repeated:
            raise ValueError(f"the header {repeated[0]!r} is mapped to two columns")
        return value


class Look(_Frozen):
    """A planned interim look, by date or by the number of postings per arm reached."""

    date: dt.date | None = None
    postings: int | None = Field(None, gt=0)


class BayesPlan(_Frozen):
    """Priors and the decision rule for Bayesian analysis (the ``[bayes]`` table).

    Each prior setting governs one model, by the metric's kind:

    * ``prior_alpha``, ``prior_beta`` — the Beta prior of every proportion (fill rate, repost
      rate, qualified share, retention, click-through and apply rates); default Beta(1, 1).
    * ``prior_shape``, ``prior_rate`` — the Gamma prior of every count rate per posting
      (applications and qualified applicants per posting); default Gamma(0.5, 0.0001), about
      Jeffreys'.
    * ``cost_prior`` — ``[shape, rate]`` of the Gamma prior on outcomes per posting (hires,
      applications, qualified or retained hires per posting) in every cost per outcome; default
      Gamma(2, 2), worth two postings with one hire each. Its shape must exceed 1 (the mean cost
      per outcome exists only then) and its rate must be positive, so ``prior_shape`` and
      ``prior_rate`` (whose default shape is 0.5) do not serve costs.
    * ``prior_from`` — a table of earlier estimates (CSV or Parquet with ``study``,
      ``estimate``, ``se``: log ratios, ``log(1 + lift)``, of the primary metric), relative to
      the experiment file. Its random-effects meta-analysis gives the primary metric's lift a
      prior: the prediction distribution of a new study (:func:`rekrut.prior_from_meta`).
      A borrowed prior assumes this experiment is like the earlier ones.
    * ``rope`` (the region of practical equivalence on the relative lift, e.g.
      ``[-0.05, 0.05]``) and ``decision_probability`` (the posterior probability a decision
      needs) — every decision.

    Time to hire has no Bayesian model. ``analyze(..., pool=True)`` replaces the prior of each
    metric's model by one fitted to all groups (empirical Bayes).

    Examples
    --------
    >>> BayesPlan.model_validate({"cost_prior": [3, 1.5]}).cost_prior
    (3.0, 1.5)
    """

    prior_alpha: float = Field(1.0, gt=0)
    prior_beta: float = Field(1.0, gt=0)
    prior_shape: float = Field(0.5, gt=0)
    prior_rate: float = Field(0.0001, gt=0)
    rope: tuple[float, float] = (-0.05, 0.05)
    decision_probability: float = Field(0.95, gt=0.5, lt=1)
    cost_prior: tuple[float, float] | None = None
    prior_from: str | None = None

    @field_validator("cost_prior")
    @classmethod
    def _cost_prior(cls, value: tuple[float, float] | None) -> tuple[float, float] | None:
        if value is None:
            return value
        shape, rate = value
        if not (math.isfinite(shape) and shape > 1.0):
            msg = (
                "the shape (first number) must exceed 1 so the mean cost per outcome exists, "
                f"got {shape!r}"
            )
            raise ValueError(msg)
        if not (math.isfinite(rate) and rate > 0.0):
            raise ValueError(f"the rate (second number) must be positive, got {rate!r}")
        return value


class SimulationSpec(_Frozen):
    """How a synthetic data file was generated (see :func:`rekrut.simulate`).

    An experiment file whose data are synthetic records the generating parameters here, so that
    ``rekrut simulate`` can reproduce the file and readers know the true effects.
    """

    postings: int = Field(gt=0)
    seed: int = 0
    job_category: str | None = None
    effects: dict[str, dict[str, float]] = Field(default_factory=dict)
    as_of: dt.date | None = None
    note: str = "Synthetic data drawn by rekrut.simulate; not real recruitment data."


def normalize_kommunekode(value: str | int) -> str:
    """Return a municipality code as its canonical three-digit string.

    Examples
    --------
    >>> normalize_kommunekode("0167"), normalize_kommunekode(167), normalize_kommunekode("101")
    ('167', '167', '101')
    """
    text = str(value).strip()
    if not text.isdigit() or not 1 <= len(text) <= 4 or not 100 <= int(text) <= 999:
        msg = f"municipality code must be a 3-digit kommunekode such as 167 or 0167, got {value!r}"
        raise ValueError(msg)
    return str(int(text))


class Experiment(_Frozen):
    """A recruitment experiment: arms, the metrics to compare and the plan.

    Examples
    --------
    >>> exp = Experiment.model_validate({
    ...     "id": "demo", "title": "Kanaltest", "control": "A",
    ...     "metrics": ["applications_per_posting", "qualified_share"],
    ...     "arms": [{"id": "A", "channel": "jobnet"}, {"id": "B", "channel": "facebook"}],
    ... })
    >>> exp.primary_metric, [arm.id for arm in exp.treatments]
    ('applications_per_posting', ['B'])
    """

    id: str = Field(min_length=1)
    title: str = ""
    municipality: str | None = None
    job_category: str | None = None
    unit: Unit = Field(
        "posting", validation_alias=AliasChoices("unit", "randomisation_unit", "randomization_unit")
    )
    design: Design = "randomised"
    adjust_for: tuple[str, ...] = ()
    control: str
    metrics: tuple[str, ...] = ("applications_per_posting",)
    primary_metric: str = ""
    alpha: float = Field(0.05, gt=0, lt=0.5)
    confidence_level: float = Field(0.95, gt=0, lt=1)
    multiplicity: Literal["holm", "bh", "none"] = "holm"
    start: dt.date | None = None
    end: dt.date | None = None
    planned_postings: int | None = Field(None, gt=0)
    hypothesis: str = ""
    data: DataSource | None = None
    arms: tuple[Arm, ...] = Field(min_length=2)
    channels: tuple[Channel, ...] = ()
    variants: tuple[AdVariant, ...] = ()
    looks: tuple[Look, ...] = ()
    bayes: BayesPlan = BayesPlan()
    simulation: SimulationSpec | None = None
    source: Path | None = Field(None, exclude=True)

    @field_validator("data", mode="before")
    @classmethod
    def _data_path(cls, value: Any) -> Any:
        return {"path": value} if isinstance(value, str | Path) else value

    @field_validator("municipality", mode="before")
    @classmethod
    def _kommunekode(cls, value: Any) -> Any:
        return None if value is None else normalize_kommunekode(value)

    @field_validator("metrics")
    @classmethod
    def _known_metrics(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        unknown = [m for m in value if m not in METRICS]
        if unknown:
            msg = f"unknown metric {unknown[0]!r}; known metrics: {', '.join(METRICS)}"
            raise ValueError(msg)
        if len(set(value)) != len(value):
            raise ValueError("a metric is listed twice")
        if not value:
            raise ValueError("at least one metric is needed")
        return value

    @model_validator(mode="after")
    def _check_plan(self) -> Experiment:
        ids = [arm.id for arm in self.arms]
        duplicates = sorted({i for i in ids if ids.count(i) > 1})
        if duplicates:
            raise ValueError(f"[arms] duplicate arm id {duplicates[0]!r}")
        if self.control not in ids:
            raise ValueError(f"[control] control arm {self.control!r} is not one of the arms {ids}")
        if not self.primary_metric:
            object.__setattr__(self, "primary_metric", self.metrics[0])
        elif self.primary_metric not in self.metrics:
            object.__setattr__(self, "metrics", (self.primary_metric, *self.metrics))
        if self.primary_metric not in METRICS:
            raise ValueError(f"[primary_metric] unknown metric {self.primary_metric!r}")
        if self.adjust_for and self.design == "randomised":
            raise ValueError(
                '[adjust_for] applies to observational designs (design = "observational"); '
                "to adjust a randomised experiment use rekrut.adjust(covariates=...)"
            )
        if self.start and self.end and self.end < self.start:
            raise ValueError(f"[end] end {self.end} is before start {self.start}")
        object.__setattr__(self, "channels", _complete(self.channels, self.arms, "channel"))
        object.__setattr__(self, "variants", _complete(self.variants, self.arms, "variant"))
        return self

    @property
    def arm_ids(self) -> tuple[str, ...]:
        """The arm ids in file order."""
        return tuple(arm.id for arm in self.arms)

    @property
    def treatments(self) -> tuple[Arm, ...]:
        """The arms other than the control."""
        return tuple(arm for arm in self.arms if arm.id != self.control)

    def arm(self, arm_id: str) -> Arm:
        """Return the arm ``arm_id``."""
        return next(arm for arm in self.arms if arm.id == arm_id)

    def channel(self, channel_id: str) -> Channel:
        """Return the channel ``channel_id``."""
        return next(ch for ch in self.channels if ch.id == channel_id)

    def variant(self, variant_id: str) -> AdVariant:
        """Return the ad variant ``variant_id``."""
        return next(v for v in self.variants if v.id == variant_id)

    def arm_name(self, arm_id: str, lang: Literal["da", "en"] = "da") -> str:
        """The name readers see for an arm: its own name, else its variant's title when the arms
        differ in wording, else its channel's name; English names (``name_en``, ``title_en``)
        where given and ``lang="en"``.

        Examples
        --------
        >>> exp = Experiment.model_validate({"id": "x", "control": "a",
        ...     "channels": [{"id": "lokal", "name": "Lokalavisen", "name_en": "Local paper"}],
        ...     "arms": [{"id": "a", "channel": "jobnet"}, {"id": "b", "channel": "lokal"}]})
        >>> exp.arm_name("b"), exp.arm_name("b", "en"), exp.arm_name("a", "en")
        ('Lokalavisen', 'Local paper', 'jobnet')
        """
        arm = self.arm(arm_id)
        if arm.name:
            return arm.name_en if lang == "en" and arm.name_en else arm.name
        if len({a.variant for a in self.arms}) > 1:
            variant = self.variant(arm.variant)
            return variant.title_en if lang == "en" and variant.title_en else variant.title
        channel = self.channel(arm.channel)
        return channel.name_en if lang == "en" and channel.name_en else channel.name

    @property
    def data_source(self) -> DataSource | None:
        """The ``data`` entry (a plain ``data = "file.csv"`` becomes a :class:`DataSource`)."""
        return self.data

    @property
    def data_path(self) -> Path | None:
        """The data file named in the experiment, resolved against the experiment file."""
        source = self.data_source
        return None if source is None else self._resolve(source.path)

    @property
    def prior_path(self) -> Path | None:
        """The ``[bayes] prior_from`` table, resolved against the experiment file."""
        return None if self.bayes.prior_from is None else self._resolve(self.bayes.prior_from)

    def _resolve(self, name: str) -> Path:
        path = Path(name)
        if not path.is_absolute() and self.source is not None:
            path = self.source.parent / path
        return path

    def check_data_inside(self) -> None:
        """Refuse a data file outside the experiment file's folder (symlinks resolved).

        An experiment file names its data; one shared by e-mail or kept in a common folder
        should not be able to make rekrut read ``../../etc/passwd``. Pass
        ``allow_outside=True`` to :func:`load_experiment` (``--allow-outside``) to allow it.
        """
        path = self.data_path
        if path is None or self.source is None:
            return
        folder = self.source.parent.resolve()
        if not path.resolve().is_relative_to(folder):
            raise ExperimentError(
                f"the data file {str(path)!r} is outside the experiment's folder {str(folder)!r}; "
                "move it there or allow it with --allow-outside (allow_outside=True)",
                file=str(self.source),
                column="data",
            )


def _complete(
    defined: tuple[Any, ...], arms: tuple[Arm, ...], attribute: Literal["channel", "variant"]
) -> tuple[Any, ...]:
    """Add a plain definition for every channel or variant that arms name but the file omits."""
    known = {item.id for item in defined}
    factory = Channel if attribute == "channel" else AdVariant
    extra: list[Any] = []
    for arm in arms:
        ref = getattr(arm, attribute)
        if ref not in known:
            known.add(ref)
            extra.append(factory(id=ref))
    return (*defined, *extra)


def _key_path(loc: tuple[int | str, ...]) -> str:
    parts: list[str] = []
    for item in loc:
        if isinstance(item, int):
            parts.append(f"[{item + 1}]")
        else:
            parts.append(("." if parts else "") + item)
    return "".join(parts)


def experiment_from_mapping(data: Mapping[str, Any], *, source: Path | None = None) -> Experiment:
    """Validate ``data`` as an experiment, turning pydantic errors into one ExperimentError.

    An unknown key is reported before anything else (a misspelt ``kontrol`` would otherwise show
    as a missing ``control``), with the closest known key and the list of valid ones.
    """
    try:
        return Experiment.model_validate({**data, "source": source})
    except ValidationError as exc:
        errors = exc.errors()
        first = next((e for e in errors if e["type"] == "extra_forbidden"), errors[0])
        message = first["msg"].removeprefix("Value error, ")
        loc = tuple(first["loc"])
        if first["type"] == "extra_forbidden":
            message = _unknown_key_message(loc)
        key = _key_path(loc) or None
        if key is None and message.startswith("["):
            key, _, message = message[1:].partition("] ")
        raise ExperimentError(message, file=str(source) if source else None, column=key) from None


def _unknown_key_message(loc: tuple[int | str, ...]) -> str:
    """``unknown key 'kontrol'; did you mean 'control'? Valid keys: …`` for a key at ``loc``."""
    known = _known_keys(loc[:-1])
    name = str(loc[-1])
    close = difflib.get_close_matches(name, known, n=1, cutoff=0.6)
    hint = f"; did you mean {close[0]!r}?" if close else ""
    return f"unknown key {name!r}{hint} Valid keys here: {', '.join(known)}"


def _known_keys(loc: tuple[int | str, ...]) -> list[str]:
    """The keys the model at ``loc`` (a path of keys and list positions) accepts."""
    model: type[BaseModel] = Experiment
    for part in loc:
        if isinstance(part, int):
            continue
        field = model.model_fields.get(part)
        inner = _model_in(field.annotation) if field is not None else None
        if inner is None:
            break
        model = inner
    return [name for name in model.model_fields if name != "source"]


def _model_in(annotation: Any) -> type[BaseModel] | None:
    """The pydantic model inside an annotation such as ``tuple[Arm, ...]`` or ``X | None``."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in typing.get_args(annotation):
        found = _model_in(arg)
        if found is not None:
            return found
    return None


MAX_NESTING = 16
"""How deep tables and arrays may nest in an experiment file (real files use three levels)."""


def _nesting(value: Any) -> int:
    """How deep ``value`` nests: a scalar 0, a table or array one more than its deepest item.

    Counted level by level (no recursion), and only up to one past the limit.
    """
    depth, level = 0, [value]
    while depth <= MAX_NESTING:
        containers = [node for node in level if isinstance(node, dict | list)]
        if not containers:
            break
        depth += 1
        level = [
            item
            for node in containers
            for item in (node.values() if isinstance(node, dict) else node)
        ]
    return depth


def as_experiment(experiment: Experiment | str | Path) -> Experiment:
    """An :class:`Experiment` as it is, or the one an experiment file describes.

    Every public function that takes an experiment takes either, through this.
    """
    if isinstance(experiment, Experiment):
        return experiment
    if isinstance(experiment, str | Path):
        return load_experiment(experiment)
    raise ExperimentError(
        f"expected an Experiment or the path of an experiment file, got a "
        f"{type(experiment).__name__}"
    )


def load_experiment(path: str | Path, *, allow_outside: bool = False) -> Experiment:
    """Read an experiment from a TOML file.

    Parameters
    ----------
    path
        The experiment file (UTF-8, with or without a byte-order mark). A ``data`` path (or
        ``[data]`` table) in it is resolved relative to the file.
    allow_outside
        Allow the data file to lie outside the experiment file's folder. By default a data path
        that leads out of it (``../``, an absolute path, a symbolic link) is an error.

    Raises
    ------
    ExperimentError
        If the file is missing, is not valid TOML, nests tables deeper than 16 levels or does
        not describe a valid experiment; the message names the file and the key at fault.

    Examples
    --------
    >>> from rekrut.cli import demo_experiment_path
    >>> exp = load_experiment(demo_experiment_path())
    >>> exp.control, exp.primary_metric
    ('jobnet', 'applications_per_posting')
    """
    path = Path(path)
    try:
        raw = tomllib.loads(read_text(path))
    except (FileNotFoundError, IsADirectoryError):
        raise ExperimentError("file not found", file=str(path)) from None
    except tomllib.TOMLDecodeError as exc:
        raise ExperimentError(f"not valid TOML ({exc})", file=str(path)) from None
    except UnicodeDecodeError:
        raise ExperimentError("not a UTF-8 text file", file=str(path)) from None
    except RecursionError:
        raise ExperimentError(_TOO_DEEP, file=str(path)) from None
    if _nesting(raw) > MAX_NESTING:
        raise ExperimentError(_TOO_DEEP, file=str(path))
    experiment = experiment_from_mapping(raw, source=path)
    if not allow_outside:
        experiment.check_data_inside()
    return experiment


_TOO_DEEP = f"tables or arrays nest more than {MAX_NESTING} levels deep; this is no experiment file"

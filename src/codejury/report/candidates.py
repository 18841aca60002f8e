"""The models a decision compares, each figure marked with where it came from.

A :class:`Candidate` gathers what is known about one model: quality (pass@1, percent), human
rating, blended price, monthly cost, p95 latency, open weights, context window, release date
and three scores that are rarely measured (privacy, customisation, operational effort). Every
figure is a :class:`Figure` carrying a :class:`Mark`: ``measured`` (the user's own run),
``public`` (someone else's published figure, with its source and date), ``user`` (stated by
the user, e.g. a contract price) or ``derived`` (computed by codejury from other figures by a
rule the mark's note spells out). A report must never show a public figure as if it were the
user's own measurement.

Default rules for the scores (1–5, seed 003's star scale; see :meth:`Candidate.with_derived`):

=====================  ==================================================================
deployment             ``api`` when a public per-token price exists; else ``self-hosted``
                       when the weights are open; else unknown
privacy (higher        5 self-hosted (prompts and code stay on your machines); 3 used through
better)                an API but the weights are open (could be moved in-house); 1 other
                       API use
customisation          5 open weights (full fine-tuning or retraining); 2 closed weights (only
(higher better)        the vendor's fine-tuning service, where one exists)
operational effort     1 API (the provider runs it); self-hosted: 4 up to 15 B parameters, 5
(lower better)         above (multi-GPU serving), 4 when the size is unknown
=====================  ==================================================================

Any figure the user sets explicitly is kept as is; the rules only fill gaps.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, replace
from typing import Any, Generic, Literal, TypeVar

from codejury.catalog import Catalog, Fact
from codejury.cost import Price, Workload, api_monthly_cost, blended_price
from codejury.errors import DataError
from codejury.scoring.metrics import Estimate

Origin = Literal["measured", "public", "derived", "user"]
V = TypeVar("V", float, bool, str)

TASK_COUNTS = {"humaneval": 164, "humaneval+": 164, "mbpp+": 378}
"""Tasks per benchmark, for the interval of a published greedy pass@1 (one sample per task).
MBPP (base) is left out: EvalPlus's page and MBPP+ v0.2.0 disagree on its task count."""
SMALL_MODEL_MAX_B = 15.0
"""Largest self-hosted model (billions of parameters) counted as one-GPU serving."""
DEFAULT_RULE = "codejury default rule (codejury.report.candidates)"
Z95 = 1.959963984540054


@dataclass(frozen=True)
class Mark:
    """Where one figure comes from.

    Attributes:
        origin: ``measured`` (the user's own run), ``public`` (published by others),
            ``user`` (stated by the user) or ``derived`` (computed by a codejury rule).
        source: The run, publication, file or rule.
        as_of: ISO date of the figure, when known.
        note: How it was derived or what it covers.
    """

    origin: Origin
    source: str
    as_of: str | None = None
    note: str | None = None

    def as_dict(self) -> dict[str, Any]:
        """Return a JSON-ready dict (``as_of`` and ``note`` only when set)."""
        data: dict[str, Any] = {"origin": self.origin, "source": self.source}
        if self.as_of is not None:
            data["as_of"] = self.as_of
        if self.note is not None:
            data["note"] = self.note
        return data


@dataclass(frozen=True)
class Figure(Generic[V]):
    """One value with its provenance and, for numbers, an optional 95 % interval.

    Attributes:
        value: The figure.
        mark: Where it comes from.
        low: Lower end of the 95 % interval, when known.
        high: Upper end of the 95 % interval, when known.
    """

    value: V
    mark: Mark
    low: float | None = None
    high: float | None = None

    @property
    def has_interval(self) -> bool:
        """True when both ends of the interval are known."""
        return self.low is not None and self.high is not None

    def as_dict(self) -> dict[str, Any]:
        """Return a JSON-ready dict."""
        data: dict[str, Any] = {"value": self.value, "mark": self.mark.as_dict()}
        if self.has_interval:
            data["low"], data["high"] = self.low, self.high
        return data


@dataclass(frozen=True)
class Candidate:
    """Everything a decision knows about one model; absent figures are ``None``.

    Attributes:
        key: Canonical model key (the catalog's).
        name: Display name.
        quality: pass@1 in percent (0–100), with its interval when known.
        human: Human preference rating (Arena / Elo scale), with its interval.
        price: Blended USD per 1M tokens (see :func:`codejury.cost.blended_price`).
        monthly_cost: USD per month for the user's workload.
        p95_latency_s: 95th-percentile latency of one request, seconds.
        open_weights: Whether the weights can be downloaded.
        deployment: ``api`` or ``self-hosted``.
        context_window: Context length in tokens.
        parameters_b: Parameters in billions.
        release_date: ISO release date.
        organization: Who made it.
        privacy: 1–5, higher is better.
        customisation: 1–5, higher is better.
        operational_effort: 1–5, lower is better.
    """

    key: str
    name: str
    quality: Figure[float] | None = None
    human: Figure[float] | None = None
    price: Figure[float] | None = None
    monthly_cost: Figure[float] | None = None
    p95_latency_s: Figure[float] | None = None
    open_weights: Figure[bool] | None = None
    deployment: Figure[str] | None = None
    context_window: Figure[float] | None = None
    parameters_b: Figure[float] | None = None
    release_date: Figure[str] | None = None
    organization: Figure[str] | None = None
    privacy: Figure[float] | None = None
    customisation: Figure[float] | None = None
    operational_effort: Figure[float] | None = None

    def with_derived(self) -> Candidate:
        """Return this candidate with the default rules (module docstring) filling gaps."""
        deployment = self.deployment or _derive_deployment(self)
        c = replace(self, deployment=deployment)
        return replace(
            c,
            privacy=c.privacy or _derive_privacy(c),
            customisation=c.customisation or _derive_customisation(c),
            operational_effort=c.operational_effort or _derive_effort(c),
        )

    def as_dict(self) -> dict[str, Any]:
        """Return a JSON-ready dict; absent figures are left out."""
        data: dict[str, Any] = {"key": self.key, "name": self.name}
        for name in FIGURE_NAMES:
            figure = getattr(self, name)
            if figure is not None:
                data[name] = figure.as_dict()
        return data


FIGURE_NAMES = (
    "quality",
    "human",
    "price",
    "monthly_cost",
    "p95_latency_s",
    "open_weights",
    "deployment",
    "context_window",
    "parameters_b",
    "release_date",
    "organization",
    "privacy",
    "customisation",
    "operational_effort",
)


@dataclass(frozen=True)
class CatalogOptions:
    """How :func:`candidates_from_catalog` reads the catalog.

    Attributes:
        benchmark: Whose pass@1 is the quality figure (``<benchmark>.pass@1``).
        rating: The Arena category of the human rating (``arena.<rating>.rating``).
        workload: When given, API models get a monthly cost (price × workload) and the
            blended price is weighted by its token mix.
    """

    benchmark: str = "humaneval+"
    rating: str = "coding"
    workload: Workload | None = None


def wilson_interval(rate: float, n: int, z: float = Z95) -> tuple[float, float]:
    """Wilson score interval of a binomial proportion.

    Args:
        rate: Observed proportion in [0, 1].
        n: Number of trials (> 0).
        z: Normal quantile (1.96 for 95 %).

    Returns:
        ``(low, high)`` in [0, 1].
    """
    if n <= 0 or not 0.0 <= rate <= 1.0:
        raise ValueError(f"need n > 0 and a rate in [0, 1], got n={n}, rate={rate}")
    centre = (rate + z * z / (2 * n)) / (1 + z * z / n)
    half = z / (1 + z * z / n) * math.sqrt(rate * (1 - rate) / n + z * z / (4 * n * n))
    return max(0.0, centre - half), min(1.0, centre + half)


def figure_from_estimate(
    estimate: Estimate, source: str, as_of: str | None = None
) -> Figure[float]:
    """A ``measured`` quality figure (percent) from the user's pass@1 estimate (a fraction).

    Args:
        estimate: From :func:`codejury.scoring.metrics.pass_at_k_summary`.
        source: The run it comes from (e.g. a run id).
        as_of: The run's date.
    """
    note = f"pass@1 over {estimate.n_tasks} tasks; bootstrap 95 % interval over tasks"
    return Figure(
        100.0 * estimate.value,
        Mark("measured", source, as_of, note),
        100.0 * estimate.low,
        100.0 * estimate.high,
    )


def candidate_from_catalog(
    catalog: Catalog, key: str, options: CatalogOptions | None = None
) -> Candidate:
    """Build a candidate from the catalog's public facts about one model, then derive gaps.

    Raises:
        DataError: If the catalog has no model under ``key``.
    """
    opts = options or CatalogOptions()
    entry = catalog.model(key)
    if entry is None:
        raise DataError(
            f"the catalog has no model {key!r}", hint="use a canonical key from Catalog.models()"
        )
    price, price_figure = _price(catalog, key, opts.workload)
    monthly = None
    if price is not None and price_figure is not None and opts.workload is not None:
        w = opts.workload
        monthly = Figure(
            api_monthly_cost(w, price),
            Mark(
                "derived",
                price_figure.mark.source,
                price_figure.mark.as_of,
                f"public price × workload ({w.requests_per_day:g} requests/day, "
                f"{w.input_tokens:g} in + {w.output_tokens:g} out tokens, "
                f"{w.days_per_month:g} days)",
            ),
        )
    candidate = Candidate(
        key=key,
        name=entry.display_name,
        quality=_quality(catalog, key, opts.benchmark),
        human=_rating(catalog, key, opts.rating),
        price=price_figure,
        monthly_cost=monthly,
        open_weights=_fact_figure(catalog.get(key, "open_weights"), bool),
        parameters_b=_fact_figure(
            catalog.get(key, "parameters_b") or catalog.get(key, "active_parameters_b"), float
        ),
        release_date=_fact_figure(catalog.get(key, "release_date"), str),
        organization=_fact_figure(catalog.get(key, "organization"), str),
    )
    return candidate.with_derived()


def candidates_from_catalog(
    catalog: Catalog, keys: Iterable[str] | None = None, options: CatalogOptions | None = None
) -> list[Candidate]:
    """Build candidates for ``keys``, or for every model with a quality figure or a rating.

    Args:
        catalog: E.g. ``Catalog.builtin()``.
        keys: Canonical keys; None for all models that have the benchmark's pass@1 or the
            rating category's rating.
        options: Benchmark, rating category and workload.
    """
    opts = options or CatalogOptions()
    if keys is None:
        quality_field, rating_field = f"{opts.benchmark}.pass@1", f"arena.{opts.rating}.rating"
        keys = [
            entry.key
            for entry in catalog.models()
            if catalog.get(entry.key, quality_field) or catalog.get(entry.key, rating_field)
        ]
    return [candidate_from_catalog(catalog, key, opts) for key in keys]


# --- catalog readers ---------------------------------------------------------------------------


def _mark(fact: Fact, note: str | None = None) -> Mark:
    joined = "; ".join(part for part in (fact.note, note) if part) or None
    return Mark(
        "measured" if fact.kind == "measured" else "public", fact.source, fact.as_of, joined
    )


def _fact_figure(fact: Fact | None, kind: type[V]) -> Figure[V] | None:
    if fact is None or not isinstance(fact.value, kind):
        return None
    return Figure(fact.value, _mark(fact))


def _quality(catalog: Catalog, key: str, benchmark: str) -> Figure[float] | None:
    fact = catalog.get(key, f"{benchmark}.pass@1")
    if fact is None or not isinstance(fact.value, float):
        return None
    n = TASK_COUNTS.get(benchmark)
    if n is None:
        return Figure(fact.value, _mark(fact))
    # A published greedy pass@1 is one sample per task: the task draw is the uncertainty.
    low, high = wilson_interval(fact.value / 100.0, n)
    note = f"interval derived: Wilson 95 % over {n} tasks, one greedy sample per task"
    return Figure(fact.value, _mark(fact, note), 100.0 * low, 100.0 * high)


def _rating(catalog: Catalog, key: str, category: str) -> Figure[float] | None:
    fact = catalog.get(key, f"arena.{category}.rating")
    if fact is None or not isinstance(fact.value, float):
        return None
    low = catalog.value(key, f"arena.{category}.q025")
    high = catalog.value(key, f"arena.{category}.q975")
    if isinstance(low, float) and isinstance(high, float):
        return Figure(fact.value, _mark(fact), low, high)
    return Figure(fact.value, _mark(fact))


def _price(
    catalog: Catalog, key: str, workload: Workload | None
) -> tuple[Price | None, Figure[float] | None]:
    fin, fout = catalog.get(key, "price.input_per_m"), catalog.get(key, "price.output_per_m")
    if fin is None or fout is None:
        return None, None
    if not isinstance(fin.value, float) or not isinstance(fout.value, float):
        return None, None
    price = Price(fin.value, fout.value, as_of=fin.as_of, source=fin.source)
    mix = "the workload's token mix" if workload is not None else "3 input : 1 output tokens"
    note = f"blended USD/1M ({mix}) of input {fin.value:g} and output {fout.value:g}"
    return price, Figure(blended_price(price, workload), _mark(fin, note))


# --- default rules -----------------------------------------------------------------------------


def _rule(value: V, note: str) -> Figure[V]:
    return Figure(value, Mark("derived", DEFAULT_RULE, None, note))


def _derive_deployment(c: Candidate) -> Figure[str] | None:
    if c.price is not None:
        return _rule("api", "a public per-token price exists, so it is used through an API")
    if c.open_weights is not None and c.open_weights.value:
        return _rule("self-hosted", "open weights and no API price: run on your own machines")
    return None


def _derive_privacy(c: Candidate) -> Figure[float] | None:
    if c.deployment is None:
        return None
    if c.deployment.value == "self-hosted":
        return _rule(5.0, "self-hosted: prompts and code stay on your machines")
    if c.open_weights is not None and c.open_weights.value:
        return _rule(3.0, "used through an API, but open weights allow moving it in-house")
    return _rule(1.0, "used through a third-party API: prompts leave your machines")


def _derive_customisation(c: Candidate) -> Figure[float] | None:
    if c.open_weights is None:
        return None
    if c.open_weights.value:
        return _rule(5.0, "open weights: full fine-tuning or retraining is possible")
    return _rule(2.0, "closed weights: only the vendor's fine-tuning service, where offered")


def _derive_effort(c: Candidate) -> Figure[float] | None:
    if c.deployment is None:
        return None
    if c.deployment.value != "self-hosted":
        return _rule(1.0, "API: the provider runs and scales it")
    if c.parameters_b is None:
        return _rule(4.0, "self-hosted, size unknown: counted as one-GPU serving")
    size = c.parameters_b.value
    if size <= SMALL_MODEL_MAX_B:
        return _rule(4.0, f"self-hosted, {size:g} B parameters: one-GPU serving")
    return _rule(5.0, f"self-hosted, {size:g} B parameters: multi-GPU serving")

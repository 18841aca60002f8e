"""The user's own runs as candidates, and the paired test between the top two of them.

A measured run's model reference (``local/smollm2``, ``openai/gpt-4o-mini``) stays its own
candidate, never merged with a public entry of a similar name: its pass@1 is ``measured`` on
the user's benchmark run, with the run id and date as source. Around it:

* price: the price the run was charged at. ``public`` when it came from codejury's built-in
  price list (which names its source), ``user`` when codejury.toml set it, ``derived`` (zero)
  for the bundled local model, which runs on the user's machine;
* monthly cost: price × the workload for API models (``derived``); for a local model what
  the user states (``--self-hosted-cost``) or the latest ``codejury cost`` run projected for
  its hardware, else nothing (the hardware is not known);
* p95 latency: ``measured`` over the run's timed requests;
* open weights, parameters, release date, organisation, context window: from the model's
  ``metadata`` in codejury.toml (``user``); a local model has open weights and is
  self-hosted by construction (``derived``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from codejury.catalog.fields import check_date
from codejury.cost import LOCAL_SOURCE, Price, Workload, api_monthly_cost, blended_price
from codejury.report.candidates import Candidate, Figure, Mark, Origin, figure_from_estimate
from codejury.report.runs import MeasuredRun
from codejury.scoring.metrics import PairedComparison, paired_compare

LOCAL_PROVIDERS = frozenset({"local"})
"""Providers that run the model in-process on the user's machine."""
CONFIG_SOURCE = "codejury.toml model metadata"


def measured_candidate(
    run: MeasuredRun, workload: Workload, self_hosted: Figure[float] | None = None
) -> Candidate:
    """The candidate for one measured run (see the module docstring for each figure).

    Args:
        run: The run.
        workload: The load monthly costs are projected for.
        self_hosted: The monthly cost of running a local model, when stated or projected.
    """
    source = f"your run {run.run_id[:12]} ({run.benchmark}, {run.test_set} tests)"
    quality = figure_from_estimate(run.pass_at_1, source, run.date)
    if run.dry_run:
        note = "DRY RUN: the mock answered with the reference solutions; not a model's score"
        quality = replace(quality, mark=replace(quality.mark, note=note))
    local = run.provider in LOCAL_PROVIDERS
    price_figure, monthly = _cost_figures(run, workload, local, self_hosted)
    meta = run.metadata
    candidate = Candidate(
        key=run.model,
        name=run.model,
        quality=quality,
        price=price_figure,
        monthly_cost=monthly,
        p95_latency_s=_latency(run, source),
        open_weights=_meta(meta, "open_weights", bool)
        or (_rule(True, "a local model runs from weights on your machine") if local else None),
        deployment=_rule("self-hosted", "runs in-process on your machine") if local else None,
        context_window=_meta(meta, "context_window", float),
        parameters_b=_meta(meta, "parameters", float),
        release_date=_meta(meta, "release_date", str),
        organization=_meta(meta, "organization", str),
    )
    return candidate.with_derived()


@dataclass(frozen=True)
class PairedResult:
    """The paired test between the two best measured models on their shared tasks.

    Attributes:
        a: The better measured model (by pass@1).
        b: The runner-up.
        comparison: ``a`` minus ``b``.
        test_set: The tests counted.
    """

    a: str
    b: str
    comparison: PairedComparison
    test_set: str

    def as_dict(self) -> dict[str, Any]:
        """Return a JSON-ready dict."""
        c = self.comparison
        return {
            "a": self.a,
            "b": self.b,
            "test_set": self.test_set,
            "diff": c.diff,
            "low": c.low,
            "high": c.high,
            "p_value": c.p_value,
            "n_tasks": c.n_tasks,
            "a_only": c.a_only,
            "b_only": c.b_only,
            "method": c.method,
        }


def paired_top_two(
    runs: Sequence[MeasuredRun],
    passes: Mapping[str, Mapping[str, list[bool]]],
    keep: set[str] | None = None,
    seed: int = 0,
) -> tuple[PairedResult | None, str | None]:
    """Compare the two measured models with the highest pass@1 task by task.

    Args:
        runs: The measured runs.
        passes: Per model, pass/fail of every sample by task.
        keep: Only these models (the report's ``--models``); all when None.
        seed: Seed of the bootstrap and permutation test.

    Returns:
        The comparison, or None with the reason it could not be made.
    """
    ranked = sorted(
        (r for r in runs if keep is None or r.model in keep),
        key=lambda r: (-r.pass_at_1.value, r.model),
    )
    if len(ranked) < 2:
        return None, f"a paired test needs two measured models, found {len(ranked)}"
    a, b = ranked[0], ranked[1]
    pa, pb = passes.get(a.model, {}), passes.get(b.model, {})
    shared = sorted(t for t in set(pa) & set(pb) if pa[t] and pb[t])
    if not shared:
        return None, f"{a.model} and {b.model} were run on no task in common"
    if a.test_set != b.test_set:
        return None, f"{a.model} and {b.model} were scored on different tests"
    comparison = paired_compare({t: pa[t] for t in shared}, {t: pb[t] for t in shared}, seed=seed)
    return PairedResult(a.model, b.model, comparison, a.test_set), None


# --- figures -----------------------------------------------------------------------------------


def _cost_figures(
    run: MeasuredRun, workload: Workload, local: bool, self_hosted: Figure[float] | None
) -> tuple[Figure[float] | None, Figure[float] | None]:
    raw = run.price
    if local:
        return Figure(0.0, Mark("derived", LOCAL_SOURCE, None, "no per-token price")), self_hosted
    if (
        raw is None
        or not _is_number(raw.get("input_per_m"))
        or not _is_number(raw.get("output_per_m"))
    ):
        return None, None
    price = Price(float(raw["input_per_m"]), float(raw["output_per_m"]))
    origin: Origin = "public" if raw.get("via") else "user"
    fallback = "codejury price list" if origin == "public" else "codejury.toml"
    source = str(raw.get("source") or fallback)
    as_of = raw.get("as_of") if isinstance(raw.get("as_of"), str) else None
    note = (
        f"blended USD/1M (the workload's token mix) of input {price.input_per_m:g} and "
        f"output {price.output_per_m:g}, the price your run used"
    )
    price_figure = Figure(blended_price(price, workload), Mark(origin, source, as_of, note))
    monthly = Figure(
        api_monthly_cost(workload, price),
        Mark(
            "derived",
            source,
            as_of,
            f"the run's price × workload ({workload.requests_per_day:g} requests/day, "
            f"{workload.input_tokens:g} in + {workload.output_tokens:g} out tokens, "
            f"{workload.days_per_month:g} days)",
        ),
    )
    return price_figure, monthly


def _latency(run: MeasuredRun, source: str) -> Figure[float] | None:
    p95 = run.latency("p95")
    if p95 is None:
        return None
    dist = run.generation.get("latency_s") or {}
    n = dist.get("n") if isinstance(dist, Mapping) else None
    note = f"p95 over {n} timed requests of the run" if n else "p95 over the run's timed requests"
    return Figure(p95, Mark("measured", source, run.date, note))


def _meta(meta: Mapping[str, Any], key: str, kind: type[Any]) -> Figure[Any] | None:
    value = meta.get(key)
    if value is None:
        return None
    if kind is float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            return None
        value = float(value)
    elif kind is str:
        value = str(value)  # TOML dates arrive as date objects in some paths; keep ISO text
        if key == "release_date":
            try:
                value = check_date(value)
            except ValueError:
                return None  # a malformed date would break the evolution chart; leave it out
    elif not isinstance(value, kind):
        return None
    return Figure(value, Mark("user", CONFIG_SOURCE))


def _rule(value: Any, note: str) -> Figure[Any]:
    return Figure(value, Mark("derived", "codejury rule for local models", None, note))


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)

"""The funnel's cost and latency stages.

**Cost.** A model is costed through its API (price × ``[workload]``) when it has a per-token
price that is not a local model's zero, unless ``[self_hosted] models`` lists it; otherwise,
when ``[self_hosted]`` is given, as rented GPUs around the clock (``gpu_hourly_usd × gpus ×
730 h``). A model with neither has no monthly cost, and a cost limit cannot be checked on it.

**Latency.** With ``[latency]``, each model gets a closed-loop load test (:mod:`codejury.perf`:
the raw provider, no retries, no cache) and its p95 is read at ``at_concurrency`` (default:
the highest level). Without it, the p95 of the model's benchmark answers stands in (requests
answered from the cache are not timed), and the stage says so.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from typing import Any

from codejury.cost import (
    HOURS_PER_MONTH,
    LOCAL_SOURCE,
    Price,
    PriceCatalog,
    api_monthly_cost,
    blended_price,
    price_for,
    self_hosted_monthly_cost,
)
from codejury.datasets import load_benchmark
from codejury.perf import PerfSpec, measure_model, synthetic_requests
from codejury.prompts import PromptSpec, build_request
from codejury.providers.base import GenerationRequest
from codejury.providers.registry import ModelConfig
from codejury.report.candidates import Candidate
from codejury.report.constraints import Constraints
from codejury.select.figures import figure, from_json
from codejury.select.stages import Context, StageResult, screen

SYNTHETIC_PROMPTS = 32
"""Distinct prompts of the workload-shaped load test."""


# --- cost ----------------------------------------------------------------------------------------


def cost_stage(ctx: Context, entering: Sequence[str]) -> StageResult:
    """Blended price and monthly cost of each model; ``max_monthly_cost`` eliminates."""
    workload = ctx.config.workload
    hosted = ctx.config.self_hosted
    catalog = PriceCatalog.builtin()
    result = StageResult("done", list(entering))
    if workload is None:
        result.notes.append("no [workload]: models used through an API get no monthly cost")
    made = []
    for ref in entering:
        config = ctx.model(ref)
        price = price_for(config, ctx.settings.prices, catalog)
        figs: dict[str, Any] = {}
        api_price = price is not None and price.source != LOCAL_SOURCE
        if price is not None and api_price:
            mix = "the workload's token mix" if workload else "3 input : 1 output tokens"
            figs["price"] = figure(
                blended_price(price, workload),
                _origin(ctx, config),
                price.source,
                f"blended USD/1M ({mix}) of input {price.input_per_m:g} and output "
                f"{price.output_per_m:g}",
            )
        if hosted is not None and (ref in hosted.models or not api_price):
            monthly = self_hosted_monthly_cost(hosted.gpu_hourly_usd, hosted.gpus)
            figs["deployment"] = figure("self-hosted", "user", ctx.config.where("self_hosted"))
            figs["monthly_cost"] = figure(
                monthly,
                "derived",
                ctx.config.where("self_hosted"),
                f"{hosted.gpus} GPU × ${hosted.gpu_hourly_usd:g}/h × {HOURS_PER_MONTH} h; "
                "capacity for the workload not checked",
            )
        elif price is not None and api_price and workload is not None:
            figs["deployment"] = figure("api", "derived", "per-token price")
            figs["monthly_cost"] = figure(
                api_monthly_cost(workload, price),
                "derived",
                price.source,
                f"price × workload ({workload.requests_per_day:g} requests/day, "
                f"{workload.input_tokens:g} in + {workload.output_tokens:g} out tokens, "
                f"{workload.days_per_month:g} days)",
            )
        elif price is None:
            result.notes.append(f"{ref}: no price known (set prices in codejury.toml)")
        result.figures[ref] = figs
        monthly_fig = figs.get("monthly_cost")
        made.append(
            Candidate(
                ref, ref, monthly_cost=None if monthly_fig is None else from_json(monthly_fig)
            )
        )
    t = ctx.config.thresholds
    limits = Constraints(max_monthly_cost=t.max_monthly_cost, strict=t.strict)
    result.kept, result.eliminated, result.unchecked = screen(entering, made, limits)
    return result


def _origin(ctx: Context, config: ModelConfig) -> Any:
    served = f"{config.provider}/{config.model}"
    stated = bool(config.prices) or config.name in ctx.settings.prices
    return "user" if stated or served in ctx.settings.prices else "public"


def price_of(ctx: Context, ref: str) -> Price | None:
    """The model's price as the cost stage finds it (for stage input keys)."""
    return price_for(ctx.model(ref), ctx.settings.prices, PriceCatalog.builtin())


# --- latency -------------------------------------------------------------------------------------


def latency_stage(ctx: Context, entering: Sequence[str]) -> StageResult:
    """p95 latency of each model; ``max_p95_latency_s`` eliminates."""
    section = ctx.config.latency
    result = StageResult("done", list(entering))
    if section is None:
        _from_benchmarks(ctx, entering, result)
    else:
        spec_for = _spec_builder(ctx)
        for ref in entering:
            if ref not in ctx.partial:
                spec = spec_for(ctx.model(ref))
                measured = asyncio.run(measure_model(ref, ctx.settings.models, spec))
                ctx.checkpoint(ref, measured.as_dict())
            levels = ctx.partial[ref]["levels"]
            wanted = section.at_concurrency or levels[-1]["concurrency"]
            level = next((lv for lv in levels if lv["concurrency"] == wanted), levels[-1])
            summary = level["latency"]
            result.figures[ref] = {"perf": _levels(levels)}
            if summary is None:
                kinds = ", ".join(f"{k} × {n}" for k, n in level["error_kinds"].items())
                result.eliminated[ref] = [
                    f"no request succeeded at concurrency {level['concurrency']} ({kinds})"
                ]
                continue
            result.figures[ref]["p95_latency_s"] = figure(
                summary["p95_s"],
                "measured",
                "load test (codejury.perf)",
                f"p95 of {summary['count']} requests at concurrency {level['concurrency']}",
            )
    made = [
        Candidate(ref, ref, p95_latency_s=_p95(result.figures.get(ref, {})))
        for ref in entering
        if ref not in result.eliminated
    ]
    t = ctx.config.thresholds
    limits = Constraints(max_p95_latency_s=t.max_p95_latency_s, strict=t.strict)
    alive = [m for m in entering if m not in result.eliminated]
    kept, eliminated, result.unchecked = screen(alive, made, limits)
    result.eliminated |= eliminated
    result.kept = kept
    return result


def _p95(figs: Mapping[str, Any]) -> Any:
    stored = figs.get("p95_latency_s")
    return None if stored is None else from_json(stored)


def _levels(levels: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    out = []
    for lv in levels:
        lat = lv["latency"] or {}
        out.append(
            {
                "concurrency": lv["concurrency"],
                "requests_per_s": lv["requests_per_s"],
                "p50_s": lat.get("p50_s"),
                "p95_s": lat.get("p95_s"),
                "errors": lv["errors"],
                "requests": lv["requests"],
            }
        )
    return out


def _from_benchmarks(ctx: Context, entering: Sequence[str], result: StageResult) -> None:
    figures = ctx.earlier.get("benchmarks", {}).get("figures", {})
    found = False
    for ref in entering:
        runs = figures.get(ref, {}).get("benchmark_runs", {})
        timed = [r for r in runs.values() if r.get("latency_p95_s") is not None]
        if not timed:
            continue
        record = timed[0]
        found = True
        result.figures[ref] = {
            "p95_latency_s": figure(
                record["latency_p95_s"],
                "measured",
                f"eval run {record['run_id'][:12]}",
                f"p95 of {record['latency_n']} benchmark answers at the model's eval "
                "concurrency; no [latency] load test",
            )
        }
    if not found:
        result.status = "skipped"
        result.notes.append("no [latency] section and no timed benchmark answers")
    else:
        result.notes.append("no [latency] section: p95 of the benchmark answers stands in")


def _spec_builder(ctx: Context) -> Any:
    section = ctx.config.latency
    assert section is not None
    workload = ctx.config.workload
    use_workload = section.prompts == "workload" and workload is not None
    bench_id = ctx.config.benchmarks.ids[0] if ctx.config.benchmarks else "humaneval+"

    def spec_for(config: ModelConfig) -> PerfSpec:
        completion = config.style == "completion"
        requests: tuple[GenerationRequest, ...]
        if use_workload and workload is not None:
            out_tokens = section.max_tokens or max(1, round(workload.output_tokens))
            requests = synthetic_requests(
                [max(1, round(workload.input_tokens))] * SYNTHETIC_PROMPTS,
                out_tokens,
                style="completion" if completion else "chat",
            )
        else:
            bench = load_benchmark(bench_id, ctx.settings.data_dir)
            style = PromptSpec(style="completion" if completion else "instruct")
            problems = list(bench.problems.values())[:SYNTHETIC_PROMPTS]
            requests = tuple(
                build_request(
                    p, bench.family, style, max_tokens=section.max_tokens or 512, temperature=0.0
                )
                for p in problems
            )
        return PerfSpec(
            requests=requests,
            concurrency=section.concurrency,
            duration_s=section.duration_s,
            requests_per_level=section.requests_per_level,
            warmup_s=section.warmup_s,
            p95_target_s=section.p95_target_s,
            max_tokens=section.max_tokens,
        )

    return spec_for

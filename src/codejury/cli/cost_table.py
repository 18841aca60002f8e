"""The figures of ``codejury cost``: per model, API and self-hosted; break-even between them.

Pure: the inputs (workload, prices, measured runs) are gathered by :mod:`codejury.cli.cost`
and :mod:`codejury.cli.cost_inputs`; everything here is arithmetic on them with the functions
of :mod:`codejury.cost`, and every figure says where its inputs came from.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from typing import Any

from codejury.cli.cost_inputs import Measured, Solved, WorkloadInput
from codejury.cost import (
    BLEND_INPUT_WEIGHT,
    BLEND_OUTPUT_WEIGHT,
    TOKENS_PER_PRICE_UNIT,
    Price,
    Workload,
    api_monthly_cost,
    blended_price,
    break_even_requests_per_day,
    self_hosted_cost_per_m_tokens,
    self_hosted_monthly_cost,
    token_cost,
)

SECONDS_PER_DAY = 86_400
BLEND_NOTE = (
    f"no token sizes given or measured: a {BLEND_INPUT_WEIGHT}:{BLEND_OUTPUT_WEIGHT} "
    "input:output blend is used (fallback); give --input-tokens/--output-tokens, or run "
    "`codejury eval` with this model to measure them"
)


@dataclass(frozen=True)
class TokenSizes:
    """Average tokens per request for one model, and where they come from.

    Attributes:
        input_tokens: Prompt tokens, None when unknown.
        output_tokens: Generated tokens, None when unknown.
        source: Where both come from, in words.
        notes: Caveats a reader must see (fallbacks).
    """

    input_tokens: float | None
    output_tokens: float | None
    source: str
    notes: tuple[str, ...] = ()

    @property
    def known(self) -> bool:
        """Both sizes are known."""
        return self.input_tokens is not None and self.output_tokens is not None


def token_sizes(workload: WorkloadInput, measured: Measured | None) -> TokenSizes:
    """Token sizes: the workload's, else measured from the user's runs, else a 3:1 split.

    A workload side given alone is completed from the measured run, else at 3:1; a
    ``tokens_per_request`` total is split by the measured ratio, else at 3:1.
    """
    given_in, given_out = workload.input_tokens, workload.output_tokens
    origins = workload.origins
    if given_in is not None and given_out is not None:
        where = ", ".join(dict.fromkeys(origins[k] for k in ("input_tokens", "output_tokens")))
        return TokenSizes(given_in, given_out, f"workload ({where})")
    ratio = BLEND_INPUT_WEIGHT / BLEND_OUTPUT_WEIGHT
    if measured is not None and measured.output_tokens > 0:
        ratio = measured.input_tokens / measured.output_tokens
    split = "the measured ratio" if measured is not None else "the 3:1 fallback blend"
    total = workload.tokens_per_request
    if total is not None:
        out = total / (1 + ratio)
        source = f"workload total ({origins['tokens_per_request']}) split by {split}"
        return TokenSizes(total - out, out, source, _blend_notes(measured))
    if given_in is not None or given_out is not None:
        side = "input_tokens" if given_in is not None else "output_tokens"
        if measured is not None:
            fill = measured.output_tokens if given_in is not None else measured.input_tokens
        else:
            fill = given_in / ratio if given_in is not None else (given_out or 0.0) * ratio
        sizes = (given_in, fill) if given_in is not None else (fill, given_out)
        source = f"{side} from the workload ({origins[side]}), the other side from "
        source += measured.describe() if measured is not None else split
        return TokenSizes(*sizes, source, _blend_notes(measured))
    if measured is not None:
        return TokenSizes(
            measured.input_tokens, measured.output_tokens, f"measured: {measured.describe()}"
        )
    return TokenSizes(None, None, "unknown", (BLEND_NOTE,))


def _blend_notes(measured: Measured | None) -> tuple[str, ...]:
    return () if measured is not None else (BLEND_NOTE,)


@dataclass(frozen=True)
class Throughput:
    """What one deployment sustains, and where the figure comes from.

    Attributes:
        output_tokens_per_s: Generated tokens per second, None when the server reported none.
        requests_per_s: Requests per second at the same level, None when given as tokens/s.
        source: A perf run and level, or the flag.
    """

    output_tokens_per_s: float | None
    requests_per_s: float | None
    source: str


@dataclass(frozen=True)
class ModelInputs:
    """Everything known about one model before any arithmetic.

    Attributes:
        name: The model reference as given.
        local: Runs in-process (no API to pay).
        price: API price, None when unknown.
        tokens: Average tokens per request.
        throughput: Self-hosted throughput, None when not measured or given.
        solved: The newest benchmark eval run, for cost per solved task.
        notes: Caveats gathered so far.
    """

    name: str
    local: bool
    price: Price | None
    tokens: TokenSizes
    throughput: Throughput | None
    solved: Solved | None
    notes: tuple[str, ...] = ()


def price_dict(price: Price) -> dict[str, Any]:
    """A price with its source and date, JSON-ready."""
    return dataclasses.asdict(price)


def model_row(m: ModelInputs, workload: WorkloadInput) -> dict[str, Any]:
    """API and self-hosted figures for one model (JSON-ready)."""
    notes = list(m.tokens.notes) + list(m.notes)
    tokens = {
        "input": m.tokens.input_tokens,
        "output": m.tokens.output_tokens,
        "source": m.tokens.source,
    }
    api = None if m.local or m.price is None else _api(m.price, m.tokens, workload)
    if m.price is None and not m.local:
        notes.append(
            f'no price known for {m.name}: add [prices."{m.name}"] with input, output and '
            "source to codejury.toml"
        )
    hosted, hosted_notes = _self_hosted(m, workload)
    return {
        "model": m.name,
        "own_hardware": m.local,
        "tokens": tokens,
        "price": None if m.price is None else price_dict(m.price),
        "api": api,
        "self_hosted": hosted,
        "cost_per_solved": _per_solved(m, api, hosted),
        "notes": notes + hosted_notes,
    }


def _api(price: Price, tokens: TokenSizes, workload: WorkloadInput) -> dict[str, Any]:
    shape = _shape(tokens, workload)
    result: dict[str, Any] = {
        "blended_per_m_usd": blended_price(price, shape),
        "blend": "workload" if shape is not None else "3:1",
        "per_request_usd": None,
        "input_usd_per_month": None,
        "output_usd_per_month": None,
        "usd_per_month": None,
    }
    if shape is None:
        return result
    one_request = dataclasses.replace(shape, requests_per_day=1, days_per_month=1)
    result["per_request_usd"] = api_monthly_cost(one_request, price)
    if workload.requests_per_day is not None:
        full = dataclasses.replace(shape, requests_per_day=workload.requests_per_day)
        only_in = dataclasses.replace(full, output_tokens=0)
        only_out = dataclasses.replace(full, input_tokens=0)
        result["input_usd_per_month"] = api_monthly_cost(only_in, price)
        result["output_usd_per_month"] = api_monthly_cost(only_out, price)
        result["usd_per_month"] = api_monthly_cost(full, price)
    return result


def _shape(tokens: TokenSizes, workload: WorkloadInput) -> Workload | None:
    if not tokens.known:
        return None
    assert tokens.input_tokens is not None and tokens.output_tokens is not None
    return Workload(0, tokens.input_tokens, tokens.output_tokens, workload.days_per_month)


def _self_hosted(
    m: ModelInputs, workload: WorkloadInput
) -> tuple[dict[str, Any] | None, list[str]]:
    if m.throughput is None:
        return None, []
    t = m.throughput
    hosted: dict[str, Any] = {
        "output_tokens_per_s": t.output_tokens_per_s,
        "requests_per_s": t.requests_per_s,
        "throughput_source": t.source,
        "usd_per_month": None,
        "per_m_output_tokens_usd": None,
        "capacity_requests_per_day": _capacity(t, m.tokens),
        "deployments_needed": None,
        "workload_usd_per_month": None,
    }
    notes: list[str] = []
    if t.output_tokens_per_s is None:
        notes.append(
            "the perf run's server reported no token counts: $/1M tokens is unknown and the "
            "capacity assumes the perf prompts' answer lengths"
        )
    if workload.gpu_hourly_usd is None:
        notes.append("no GPU price: give --gpu-hourly (or [self_hosted] gpu_hourly_usd)")
        return hosted, notes
    monthly = self_hosted_monthly_cost(
        workload.gpu_hourly_usd, workload.gpus, workload.hours_per_month
    )
    hosted["usd_per_month"] = monthly
    if t.output_tokens_per_s:
        hosted["per_m_output_tokens_usd"] = self_hosted_cost_per_m_tokens(
            workload.gpu_hourly_usd, workload.gpus, t.output_tokens_per_s
        )
    capacity = hosted["capacity_requests_per_day"]
    if capacity and workload.requests_per_day is not None:
        needed = max(1, math.ceil(workload.requests_per_day / capacity))
        hosted["deployments_needed"] = needed
        hosted["workload_usd_per_month"] = needed * monthly
        if needed > 1:
            notes.append(
                f"{workload.requests_per_day:,.0f} requests/day exceed one deployment's "
                f"capacity of {capacity:,.0f}: {needed} deployments are needed"
            )
    return hosted, notes


def _capacity(t: Throughput, tokens: TokenSizes) -> float | None:
    """Requests per day one deployment serves at the measured throughput (full utilisation)."""
    if t.output_tokens_per_s is not None and tokens.output_tokens:
        return t.output_tokens_per_s * SECONDS_PER_DAY / tokens.output_tokens
    if t.requests_per_s is not None:
        return t.requests_per_s * SECONDS_PER_DAY
    return None


def _per_solved(
    m: ModelInputs, api: dict[str, Any] | None, hosted: dict[str, Any] | None
) -> dict[str, Any] | None:
    s = m.solved
    if s is None:
        return None
    api_usd = None
    if api is not None and m.price is not None:
        api_usd = token_cost(m.price, s.input_tokens, s.output_tokens)
    hosted_per_m = None if hosted is None else hosted["per_m_output_tokens_usd"]
    hosted_usd = (
        None if hosted_per_m is None else hosted_per_m * s.output_tokens / TOKENS_PER_PRICE_UNIT
    )
    return {
        "run_id": s.run.id,
        "benchmark": s.run.benchmark,
        "tasks": s.tasks,
        "solved": s.solved,
        "api_run_usd": api_usd,
        "api_usd": None if api_usd is None or s.solved <= 0 else api_usd / s.solved,
        "self_hosted_run_usd": hosted_usd,
        "self_hosted_usd": None if hosted_usd is None or s.solved <= 0 else hosted_usd / s.solved,
    }


def break_even(
    rows: list[dict[str, Any]], models: list[ModelInputs], workload: WorkloadInput
) -> list[dict[str, Any]]:
    """Requests/day at which each API option costs what each self-hosted deployment does."""
    pairs: list[dict[str, Any]] = []
    for api_row, api_model in zip(rows, models, strict=True):
        if api_row["api"] is None or api_model.price is None:
            continue
        shape = _shape(api_model.tokens, workload)
        for hosted_row in rows:
            hosted = hosted_row["self_hosted"]
            if hosted is None or hosted["usd_per_month"] is None:
                continue
            pair: dict[str, Any] = {
                "api_model": api_row["model"],
                "self_hosted_model": hosted_row["model"],
                "self_hosted_usd_per_month": hosted["usd_per_month"],
                "requests_per_day": None,
                "m_tokens_per_day": None,
                "within_capacity": None,
            }
            if shape is not None:
                per_day = break_even_requests_per_day(
                    api_model.price, shape, hosted["usd_per_month"]
                )
                pair["requests_per_day"] = per_day
                capacity = hosted["capacity_requests_per_day"]
                tokens_per_s = hosted["output_tokens_per_s"]
                if capacity is None and tokens_per_s and shape.output_tokens:
                    # The deployment's own answer lengths are unknown: serve the API's.
                    capacity = tokens_per_s * SECONDS_PER_DAY / shape.output_tokens
                if per_day is not None and capacity is not None:
                    pair["within_capacity"] = per_day <= capacity
            else:
                # No token sizes: say it in tokens, at the blended price.
                blended = api_row["api"]["blended_per_m_usd"]
                if blended > 0:
                    pair["m_tokens_per_day"] = hosted["usd_per_month"] / (
                        workload.days_per_month * blended
                    )
            pairs.append(pair)
    return pairs

"""The sections of ``selection.toml`` after ``[candidates]``: one dataclass and one parser each.

Each parser takes the section's table (None when the section is absent) and returns the
checked dataclass, or raises a ConfigError naming the file and line (see
:class:`codejury.select.reader.Reader`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any, Literal

from codejury.cost import Workload
from codejury.datasets import BENCHMARK_IDS
from codejury.select.reader import Reader

HumanMode = Literal["wait", "import", "skip"]


@dataclass(frozen=True)
class Benchmarks:
    """``[benchmarks]``: which public benchmarks every candidate runs, and how."""

    ids: tuple[str, ...]
    n: int = 1
    limit: int | None = None
    max_tokens: int | None = None
    temperature: float | None = None
    seed: int | None = None


@dataclass(frozen=True)
class Thresholds:
    """``[thresholds]``: hard limits; None (or False) means no limit.

    ``min_pass_at_1`` and ``min_task_accuracy`` are percentages; ``min_pass_at_1`` maps a
    benchmark id to its minimum.
    """

    min_pass_at_1: Mapping[str, float] = field(default_factory=dict)
    min_task_accuracy: float | None = None
    max_p95_latency_s: float | None = None
    max_monthly_cost: float | None = None
    open_weights: bool = False
    min_context_window: float | None = None
    strict: bool = False


@dataclass(frozen=True)
class Tasks:
    """``[tasks]``: the team's own task file (see docs/taskeval.md)."""

    file: Path
    limit: int | None = None
    n: int = 1
    max_tokens: int | None = None
    temperature: float | None = None
    judge: str | None = None


@dataclass(frozen=True)
class SelfHosted:
    """``[self_hosted]``: rented GPUs; ``models`` are costed this way (default: unpriced ones)."""

    gpu_hourly_usd: float
    gpus: int = 1
    models: tuple[str, ...] = ()


@dataclass(frozen=True)
class Latency:
    """``[latency]``: a closed-loop load test per candidate (``codejury.perf``)."""

    concurrency: tuple[int, ...] = (1, 4)
    duration_s: float = 10.0
    requests_per_level: int | None = None
    warmup_s: float = 2.0
    p95_target_s: float | None = None
    at_concurrency: int | None = None
    prompts: str = "workload"
    max_tokens: int | None = None


@dataclass(frozen=True)
class Human:
    """``[human]``: blind arena battles between the finalists."""

    finalists: int = 2
    votes_needed: int = 10
    mode: HumanMode = "wait"
    votes_file: Path | None = None


# --- parsers ------------------------------------------------------------------------------------


def parse_benchmarks(r: Reader, table: Mapping[str, Any] | None) -> Benchmarks | None:
    """``[benchmarks]``, or None when absent."""
    if table is None:
        return None
    s = "benchmarks"
    ids = r.strings(table, (s, "ids"))
    if not ids:
        raise r.fail((s, "ids"), "must list at least one benchmark", hint='ids = ["humaneval+"]')
    for bench in ids:
        if bench not in BENCHMARK_IDS:
            raise r.fail(
                (s, "ids"),
                f"names an unknown benchmark {bench!r}",
                hint=f"known: {', '.join(BENCHMARK_IDS)}",
            )
    temperature = r.number(table, (s, "temperature"), example="0.2")
    seed = r.integer(table, (s, "seed"), minimum=0, example="0")
    return Benchmarks(
        ids=ids,
        n=r.integer(table, (s, "n"), example="1") or 1,
        limit=r.integer(table, (s, "limit"), example="20"),
        max_tokens=r.integer(table, (s, "max_tokens"), example="1024"),
        temperature=None if temperature is None else float(temperature),
        seed=seed,
    )


def parse_thresholds(
    r: Reader, table: Mapping[str, Any], benchmarks: Benchmarks | None
) -> Thresholds:
    """``[thresholds]`` (a plain ``min_pass_at_1`` applies to every benchmark run)."""
    s = "thresholds"
    minimum: dict[str, float] = {}
    raw = table.get("min_pass_at_1")
    ids = benchmarks.ids if benchmarks is not None else ()
    if raw is not None and not ids:
        raise r.fail((s, "min_pass_at_1"), "needs a benchmarks section to apply to")
    if isinstance(raw, dict):
        for bench in raw:
            if bench not in ids:
                raise r.fail(
                    (s, "min_pass_at_1", bench),
                    f"names {bench!r}, which benchmarks.ids does not list",
                    hint=f"benchmarks run: {', '.join(ids)}",
                )
            minimum[bench] = float(_percent(r, raw, (s, "min_pass_at_1", bench)))
    elif raw is not None:
        value = _percent(r, table, (s, "min_pass_at_1"))
        minimum = dict.fromkeys(ids, float(value))
    task_min = (
        _percent(r, table, (s, "min_task_accuracy")) if "min_task_accuracy" in table else None
    )
    latency = r.number(table, (s, "max_p95_latency_s"), above=True, example="5")
    cost = r.number(table, (s, "max_monthly_cost"), example="500")
    context = r.integer(table, (s, "min_context_window"), example="32000")
    return Thresholds(
        min_pass_at_1=MappingProxyType(minimum),
        min_task_accuracy=task_min,
        max_p95_latency_s=latency,
        max_monthly_cost=cost,
        open_weights=bool(r.boolean(table, (s, "open_weights"))),
        min_context_window=context,
        strict=bool(r.boolean(table, (s, "strict"))),
    )


def _percent(r: Reader, table: Mapping[str, Any], path: tuple[str, ...]) -> float:
    value = r.number(table, path, maximum=100, example="60  # percent")
    assert value is not None  # callers check the key is there
    return float(value)


def parse_tasks(r: Reader, table: Mapping[str, Any] | None) -> Tasks | None:
    """``[tasks]``, or None when absent; the file must exist."""
    if table is None:
        return None
    s = "tasks"
    file = r.path(table, (s, "file"), must_exist=True)
    if file is None:
        raise r.fail((s,), "needs file = <your task file>", hint='e.g. file = "tasks.jsonl"')
    temperature = r.number(table, (s, "temperature"), example="0.2")
    return Tasks(
        file=file,
        limit=r.integer(table, (s, "limit"), example="50"),
        n=r.integer(table, (s, "n"), example="1") or 1,
        max_tokens=r.integer(table, (s, "max_tokens"), example="1024"),
        temperature=None if temperature is None else float(temperature),
        judge=r.text(table, (s, "judge")),
    )


def parse_workload(r: Reader, table: Mapping[str, Any] | None) -> Workload | None:
    """``[workload]`` as a :class:`~codejury.cost.Workload`, or None when absent."""
    if table is None:
        return None
    s = "workload"
    values: dict[str, float] = {}
    for key, example in (
        ("requests_per_day", "10000"),
        ("input_tokens", "500"),
        ("output_tokens", "200"),
    ):
        value = r.number(table, (s, key), example=example)
        if value is None:
            raise r.fail((s,), f"needs {key}", hint=f"e.g. {key} = {example}")
        values[key] = float(value)
    days = r.number(table, (s, "days_per_month"), above=True, example="30")
    return Workload(**values, days_per_month=30.0 if days is None else float(days))


def parse_self_hosted(
    r: Reader, table: Mapping[str, Any] | None, models: tuple[str, ...]
) -> SelfHosted | None:
    """``[self_hosted]``, or None; its ``models`` must be candidates."""
    if table is None:
        return None
    s = "self_hosted"
    hourly = r.number(table, (s, "gpu_hourly_usd"), example="1.2")
    if hourly is None:
        raise r.fail((s,), "needs gpu_hourly_usd", hint="e.g. gpu_hourly_usd = 1.2 (USD per GPU)")
    listed = r.strings(table, (s, "models")) or ()
    for model in listed:
        if model not in models:
            raise r.fail((s, "models"), f"names {model!r}, which is not a candidate")
    return SelfHosted(float(hourly), r.integer(table, (s, "gpus"), example="2") or 1, listed)


def parse_latency(r: Reader, table: Mapping[str, Any] | None) -> Latency | None:
    """``[latency]``, or None when absent (p95 then comes from the benchmarks)."""
    if table is None:
        return None
    s = "latency"
    base = Latency()
    levels = r.integers(table, (s, "concurrency")) or base.concurrency
    at = r.integer(table, (s, "at_concurrency"), example=str(levels[-1]))
    if at is not None and at not in levels:
        raise r.fail((s, "at_concurrency"), f"must be one of the levels {list(levels)}, got {at}")
    duration = r.number(table, (s, "duration_s"), above=True, example="10")
    warmup = r.number(table, (s, "warmup_s"), example="2")
    target = r.number(table, (s, "p95_target_s"), above=True, example="5")
    return Latency(
        concurrency=levels,
        duration_s=base.duration_s if duration is None else float(duration),
        requests_per_level=r.integer(table, (s, "requests_per_level"), example="50"),
        warmup_s=base.warmup_s if warmup is None else float(warmup),
        p95_target_s=None if target is None else float(target),
        at_concurrency=at,
        prompts=r.text(table, (s, "prompts"), ("workload", "benchmark")) or base.prompts,
        max_tokens=r.integer(table, (s, "max_tokens"), example="256"),
    )


def parse_human(
    r: Reader, table: Mapping[str, Any] | None, benchmarks: Benchmarks | None
) -> Human | None:
    """``[human]``, or None; ``wait`` needs benchmarks, ``import`` a votes file."""
    if table is None:
        return None
    s = "human"
    mode = r.text(table, (s, "mode"), ("wait", "import", "skip")) or "wait"
    votes_file = r.path(table, (s, "votes_file"), must_exist=mode == "import")
    if mode == "import" and votes_file is None:
        raise r.fail((s, "mode"), 'is "import" but no votes_file is given', hint=_VOTES_HINT)
    if mode == "wait" and benchmarks is None:
        raise r.fail(
            (s, "mode"),
            'is "wait", which needs the benchmarks section: battles show the finalists\' '
            "benchmark answers",
            hint='add a benchmarks section, or use mode = "import" with a votes file',
        )
    finalists = r.integer(table, (s, "finalists"), minimum=2, example="2") or 2
    needed = r.integer(table, (s, "votes_needed"), example="20")
    human_mode: HumanMode = "wait" if mode == "wait" else "import" if mode == "import" else "skip"
    return Human(finalists, 10 if needed is None else needed, human_mode, votes_file)


_VOTES_HINT = 'e.g. votes_file = "votes.json" (FastChat clean-battle JSON)'


def parse_weights(r: Reader, table: Mapping[str, Any]) -> dict[str, float]:
    """``[weights]`` by criterion (empty when absent: the defaults apply)."""
    weights: dict[str, float] = {}
    for name in table:
        value = r.number(table, ("weights", name), example="0.3")
        assert value is not None
        weights[name] = float(value)
    if weights and sum(weights.values()) <= 0:
        raise r.fail(("weights",), "needs at least one positive weight")
    return weights

"""Seeding a store with eval runs, arena votes and catalog imports for the report tests.

Runs go through the real Store API with summaries computed by the real code (pass@k from the
verdicts, the generation summary from generation records), so the report reads exactly what
``codejury eval`` would have written for those verdicts and completions.
"""

from __future__ import annotations

import csv
from collections.abc import Mapping
from dataclasses import asdict
from pathlib import Path
from typing import Any

from codejury.arena.votes import to_imported
from codejury.cost import LOCAL_SOURCE, Price, token_cost
from codejury.runsummary import cost_per_solved, generation_summary
from codejury.scoring.metrics import pass_at_k_summary
from codejury.store import GenerationRecord, Store, VerdictRecord

TASKS = [f"HumanEval/{i}" for i in range(40)]
HOSTILE = '<script>window.__pwned=1</script><img src="http://evil.example/x.png">|**x**'
"""A model name built to break out of HTML, Markdown tables and emphasis."""


def seed_eval(
    store: Store,
    model: str,
    passed: Mapping[str, bool],
    *,
    price: Price | None = None,
    latencies: tuple[float, ...] = (0.8, 1.0, 1.2, 2.5),
    metadata: Mapping[str, Any] | None = None,
    dry_run: bool = False,
    benchmark: str = "humaneval+",
) -> str:
    """A finished eval run of ``model`` with one greedy sample per task.

    Args:
        store: The store.
        model: The model reference.
        passed: Task id -> whether the sample passed base and plus tests.
        price: The price the run was charged at (None: unknown).
        latencies: Request latencies, cycled over the tasks.
        metadata: codejury.toml metadata of the model.
        dry_run: Mark it as a ``--dry-run`` run.
        benchmark: Benchmark id.

    Returns:
        The run id.
    """
    spec = {
        "model": model,
        "model_metadata": dict(metadata or {}),
        "benchmark": benchmark,
        "tasks": len(passed),
        "task_ids": list(passed),
        "n": 1,
        "temperature": 0.0,
        "dry_run": dry_run,
        "price": None if price is None else asdict(price),
    }
    run_id = store.create_run(
        kind="eval", benchmark=benchmark, dataset_hash="test-hash", spec=spec, environment={}
    )
    verdicts = [
        VerdictRecord(task, 0, part, "pass" if ok else "fail", {})
        for task, ok in passed.items()
        for part in ("base", "plus")
    ]
    store.record_verdicts(run_id, verdicts)
    records = [
        GenerationRecord(
            task_id=task,
            index=0,
            cache_key=f"{model}-{task}",
            raw_text="```python\npass\n```",
            reasoning=None,
            code="pass",
            sanitize_rule="fenced",
            finish_reason="stop",
            truncated=False,
            input_tokens=400,
            output_tokens=150,
            ttft_s=0.1,
            latency_s=latencies[i % len(latencies)],
            cost_usd=None if price is None else token_cost(price, 400, 150),
        )
        for i, task in enumerate(passed)
    ]
    per_task = {task: [ok] for task, ok in passed.items()}
    est = pass_at_k_summary(per_task, [1])[1]
    estimate = {"pass@1": {"value": est.value, "low": est.low, "high": est.high}}
    gen = generation_summary(records)
    summary = {
        "benchmark": benchmark,
        "samples": len(passed),
        "tasks": len(passed),
        "pass_at_k": {"base": estimate, "plus": estimate},
        "generation": gen,
        "cost_per_solved_usd": cost_per_solved(gen["cost_usd"], est.value * len(passed)),
    }
    store.finish_run(run_id, status="finished", summary=summary)
    return run_id


def passes(n_pass: int, tasks: list[str] = TASKS) -> dict[str, bool]:
    """The first ``n_pass`` tasks pass, the rest fail."""
    return {task: i < n_pass for i, task in enumerate(tasks)}


def seed_two_models(store: Store) -> tuple[str, str]:
    """The bundled local model (free, 30 %) and an API model (priced, 75 %) on 40 tasks."""
    local = seed_eval(
        store,
        "local/smollm2",
        passes(12),
        price=Price(0.0, 0.0, source=LOCAL_SOURCE),
        latencies=(2.0, 3.0, 4.0),
    )
    api = seed_eval(
        store,
        "openai/gpt-4o-mini",
        passes(30),
        price=Price(
            0.15,
            0.6,
            as_of="2025-12-17",
            source="https://openai.com/api/pricing/",
            via="codejury price list",
        ),
        latencies=(0.6, 0.9, 1.4),
        metadata={"open_weights": False, "release_date": "2024-07-18", "organization": "OpenAI"},
    )
    return local, api


def seed_votes(store: Store, models: tuple[str, str, str]) -> int:
    """Imported arena votes among three models: the first wins most often."""
    a, b, c = models
    records = (
        [{"model_a": a, "model_b": b, "winner": "model_a"}] * 7
        + [{"model_a": a, "model_b": b, "winner": "model_b"}] * 3
        + [{"model_a": b, "model_b": c, "winner": "model_a"}] * 6
        + [{"model_a": b, "model_b": c, "winner": "model_b"}] * 4
        + [{"model_a": a, "model_b": c, "winner": "model_a"}] * 8
        + [{"model_a": a, "model_b": c, "winner": "tie"}] * 2
    )
    return store.arena.add_imported(to_imported(records, "test votes", "test-votes"))


def facts_csv(path: Path, rows: list[tuple[str, str, str]], source: str, as_of: str) -> Path:
    """A codejury facts CSV with ``(model, field, value)`` rows."""
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["model", "field", "value", "source", "as_of", "note"])
        writer.writerows([m, f, v, source, as_of, ""] for m, f, v in rows)
    return path


def seed_perf(store: Store, model: str) -> str:
    """A finished perf run stored as ``codejury perf`` stores it (``PerfResult.as_dict``)."""
    from codejury.perf import PerfResult, PerfSpec
    from codejury.perf_stats import Sample, level_stats
    from codejury.providers.base import GenerationRequest

    levels = []
    for concurrency, seconds in ((1, 0.5), (2, 0.6), (4, 0.9), (8, 1.8)):
        # `concurrency` requests in flight, each taking `seconds`, for a 10 s window.
        samples = [
            Sample(start=k * seconds, end=(k + 1) * seconds, ttft_s=0.05, output_tokens=100)
            for _ in range(concurrency)
            for k in range(int(10 / seconds))
        ]
        levels.append(level_stats(concurrency, samples, 0.0, 10.0))
    spec = PerfSpec(requests=(GenerationRequest(prompt="x"),), concurrency=(1, 2, 4, 8))
    result = PerfResult(model.split("/")[0], model, "test", spec, tuple(levels), None, "2025-01-01")
    run_id = store.create_run(
        kind="perf", benchmark=None, dataset_hash=None, spec={"model": model}, environment={}
    )
    store.finish_run(run_id, status="finished", summary=result.as_dict())
    return run_id


def seed_cost(store: Store, model: str, self_hosted_usd: float) -> str:
    """A finished cost run in ``codejury cost``'s document shape, pricing ``model`` self-hosted."""
    row = {
        "model": model,
        "own_hardware": True,
        "tokens": {"input": 400, "output": 150, "source": "test"},
        "price": None,
        "api": None,
        "self_hosted": {"usd_per_month": self_hosted_usd, "workload_usd_per_month": None},
        "cost_per_solved": None,
        "notes": ["served on your own hardware: no API bill (see self-hosted)"],
    }
    document = {"workload": {"requests_per_day": None}, "models": [row], "break_even": []}
    run_id = store.create_run(
        kind="cost", benchmark=None, dataset_hash=None, spec={"models": [model]}, environment={}
    )
    store.finish_run(run_id, status="finished", summary=document)
    return run_id

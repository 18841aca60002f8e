"""The user's stored runs as the report reads them: eval, taskeval, perf, cost and arena votes.

Plain frozen records with ``as_dict`` for the JSON report; :mod:`codejury.report.inputs`
builds them from the store.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from codejury.scoring.metrics import Estimate


@dataclass(frozen=True)
class MeasuredRun:
    """The headline figures of one finished ``eval`` run.

    Attributes:
        run_id: The run.
        model: The model reference (``local/smollm2``, ``openai/gpt-4o-mini``...).
        provider: The provider part of the reference (``local``, ``openai``...).
        benchmark: Benchmark id.
        finished_at: When it finished (ISO 8601 UTC).
        test_set: The tests pass@1 counts (``plus``: base and plus; ``base``; ``check``).
        pass_at_1: pass@1 as a fraction, with its interval over tasks.
        dry_run: Answered by the mock with the reference solutions.
        generation: The run's generation summary (tokens, cost, latency...).
        cost_per_solved_usd: Cost per expected solved task, when the price is known.
        price: The price the run was charged at (``input_per_m``, ``output_per_m``,
            ``source``...), or None.
        metadata: Facts from codejury.toml about the model (open weights, release date...).
    """

    run_id: str
    model: str
    provider: str
    benchmark: str
    finished_at: str
    test_set: str
    pass_at_1: Estimate
    dry_run: bool
    generation: Mapping[str, Any]
    cost_per_solved_usd: float | None
    price: Mapping[str, Any] | None
    metadata: Mapping[str, Any]

    @property
    def date(self) -> str:
        """The day it finished (ISO)."""
        return self.finished_at[:10]

    def latency(self, which: str = "p95") -> float | None:
        """A latency percentile of its fresh requests, seconds (None when none was timed)."""
        dist = self.generation.get("latency_s")
        value = dist.get(which) if isinstance(dist, Mapping) else None
        return float(value) if isinstance(value, int | float) else None

    def as_dict(self) -> dict[str, Any]:
        """Return a JSON-ready dict."""
        e = self.pass_at_1
        return {
            "run_id": self.run_id,
            "model": self.model,
            "provider": self.provider,
            "benchmark": self.benchmark,
            "finished_at": self.finished_at,
            "test_set": self.test_set,
            "pass_at_1": {"value": e.value, "low": e.low, "high": e.high, "n_tasks": e.n_tasks},
            "dry_run": self.dry_run,
            "generation": dict(self.generation),
            "cost_per_solved_usd": self.cost_per_solved_usd,
            "price": None if self.price is None else dict(self.price),
            "metadata": dict(self.metadata),
        }


@dataclass(frozen=True)
class TaskRun:
    """The latest ``taskeval`` run of one model on one task file."""

    run_id: str
    model: str
    task_file: str
    finished_at: str
    accuracy: Mapping[str, float] | None
    tasks: int
    cost_usd: float | None
    p95_latency_s: float | None

    def as_dict(self) -> dict[str, Any]:
        """Return a JSON-ready dict."""
        return {
            "run_id": self.run_id,
            "model": self.model,
            "task_file": self.task_file,
            "finished_at": self.finished_at,
            "accuracy": None if self.accuracy is None else dict(self.accuracy),
            "tasks": self.tasks,
            "cost_usd": self.cost_usd,
            "p95_latency_s": self.p95_latency_s,
        }


@dataclass(frozen=True)
class PerfLevel:
    """One concurrency level of a perf run."""

    concurrency: int
    requests_per_s: float
    p95_s: float | None
    error_rate: float | None


@dataclass(frozen=True)
class PerfRun:
    """A ``perf`` run: throughput and p95 latency per concurrency level."""

    run_id: str
    model: str
    finished_at: str
    levels: tuple[PerfLevel, ...]
    saturation: str | None

    def as_dict(self) -> dict[str, Any]:
        """Return a JSON-ready dict."""
        return {
            "run_id": self.run_id,
            "model": self.model,
            "finished_at": self.finished_at,
            "levels": [lv.__dict__ for lv in self.levels],
            "saturation": self.saturation,
        }


@dataclass(frozen=True)
class CostRow:
    """One model's projection in a ``codejury cost`` run (USD).

    Attributes:
        model: The model reference.
        api_usd_per_month: The API bill for the run's workload.
        self_hosted_usd_per_month: The self-hosted deployments for that workload (or one
            deployment's monthly cost when no volume was given).
        per_request_usd: One request through the API.
        per_solved_usd: Cost per solved benchmark task (API, else self-hosted).
        notes: The run's caveats for this model.
    """

    model: str
    api_usd_per_month: float | None
    self_hosted_usd_per_month: float | None
    per_request_usd: float | None
    per_solved_usd: float | None
    notes: tuple[str, ...]


@dataclass(frozen=True)
class CostRun:
    """The latest ``cost`` run: its workload, one row per model, and break-even points."""

    run_id: str
    finished_at: str
    workload: Mapping[str, Any]
    rows: tuple[CostRow, ...]
    break_even: tuple[str, ...]

    def row(self, model: str) -> CostRow | None:
        """The projection for ``model``, if the run priced it."""
        return next((r for r in self.rows if r.model == model), None)

    def as_dict(self) -> dict[str, Any]:
        """Return a JSON-ready dict."""
        return {
            "run_id": self.run_id,
            "finished_at": self.finished_at,
            "workload": dict(self.workload),
            "rows": [{**r.__dict__, "notes": list(r.notes)} for r in self.rows],
            "break_even": list(self.break_even),
        }


@dataclass(frozen=True)
class ArenaRatings:
    """Ratings fitted on the arena's votes, and the win matrix they predict."""

    votes: int
    sources: tuple[str, ...]
    ratings: tuple[tuple[str, float, float, float], ...]
    """``(model, rating, low, high)``, best first."""
    matrix: tuple[tuple[float, ...], ...]
    notes: tuple[str, ...]

    @property
    def models(self) -> tuple[str, ...]:
        """Models, best first (the matrix's order)."""
        return tuple(r[0] for r in self.ratings)

    def as_dict(self) -> dict[str, Any]:
        """Return a JSON-ready dict."""
        return {
            "votes": self.votes,
            "sources": list(self.sources),
            "ratings": [
                {"model": m, "rating": r, "low": lo, "high": hi} for m, r, lo, hi in self.ratings
            ],
            "matrix": [list(row) for row in self.matrix],
            "notes": list(self.notes),
        }

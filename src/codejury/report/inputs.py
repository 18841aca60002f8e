"""What the report reads from the store: the user's own runs, arena votes and their figures.

* ``eval`` runs: the latest finished run per model on the chosen benchmark gives that model's
  **measured** pass@1 (with its task-bootstrap interval), cost, tokens and latency;
  ``--dry-run`` runs (answered with the reference solutions) are left out unless asked for.
* ``taskeval`` runs: the latest finished run per (model, task file), shown as a table.
* ``perf`` runs (throughput and p95 latency per concurrency level) and the latest ``cost`` run
  (API and self-hosted monthly projections, break-even), read when present; their summaries
  are parsed defensively and anything unexpected is skipped.
* arena votes (every source): Bradley–Terry ratings and the predicted win matrix.

Nothing here writes to the store.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from codejury.errors import CodejuryError
from codejury.report.runs import (
    ArenaRatings,
    CostRow,
    CostRun,
    MeasuredRun,
    PerfLevel,
    PerfRun,
    TaskRun,
)
from codejury.scoring.metrics import Estimate
from codejury.store import RunRecord, Store

_ALL = 1_000_000


@dataclass(frozen=True)
class StoreInputs:
    """Everything the report takes from the store."""

    location: str = ""
    measured: tuple[MeasuredRun, ...] = ()
    task_runs: tuple[TaskRun, ...] = ()
    perf: tuple[PerfRun, ...] = ()
    cost: CostRun | None = None
    arena: ArenaRatings | None = None
    passes: Mapping[str, Mapping[str, list[bool]]] = field(default_factory=dict)
    """Per measured model: pass/fail of every sample by task id (for paired tests)."""
    skipped: tuple[str, ...] = ()
    """Runs left out, with the reason."""


def read_store(store: Store, benchmark: str, *, include_dry_runs: bool = False) -> StoreInputs:
    """Read the runs and votes a report uses.

    Args:
        store: The store.
        benchmark: Only ``eval`` runs of this benchmark give measured pass@1.
        include_dry_runs: Also use ``--dry-run`` runs (the mock answers with reference
            solutions, so their pass@1 says nothing about a model).
    """
    skipped: list[str] = []
    runs = store.list_runs(kind="eval", limit=_ALL)
    measured = _latest_evals(runs, benchmark, include_dry_runs, skipped)
    passes = {m.model: task_passes(store, m.run_id, m.test_set) for m in measured}
    return StoreInputs(
        location=store.location,
        measured=tuple(measured),
        task_runs=tuple(_task_runs(store.list_runs(kind="taskeval", limit=_ALL))),
        perf=tuple(_perf_runs(store.list_runs(kind="perf", limit=_ALL))),
        cost=_latest_cost(store.list_runs(kind="cost", limit=_ALL)),
        arena=_arena_or_note(store, skipped),
        passes=passes,
        skipped=tuple(skipped),
    )


def task_passes(store: Store, run_id: str, test_set: str) -> dict[str, list[bool]]:
    """Pass/fail of every sample of a run by task, on ``plus`` (base and plus), ``base``
    or ``check`` tests, from its stored verdicts."""
    parts: dict[tuple[str, int], dict[str, str]] = {}
    for v in store.run_verdicts(run_id):
        parts.setdefault((v.task_id, v.index), {})[v.part] = v.status
    out: dict[str, list[bool]] = {}
    for (task, _index), status in sorted(parts.items()):
        if test_set == "plus":
            ok = status.get("base") == "pass" and status.get("plus") == "pass"
        else:
            ok = status.get(test_set) == "pass"
        out.setdefault(task, []).append(ok)
    return out


def read_arena(store: Store) -> ArenaRatings | None:
    """Ratings from every vote in the store's arena; None when there are no votes."""
    # Imported here: the arena pulls in its judge and scipy's sparse graph tools.
    from codejury.arena.ratings import fit_ratings
    from codejury.arena.ratings_input import VoteTable
    from codejury.arena.ratings_tables import predicted_win_matrix
    from codejury.arena.votes import collect

    battles = collect(store)
    if not battles:
        return None
    votes = VoteTable.from_battles(battles, origin="arena votes")
    if len(votes.models) < 2:
        return None
    fit = fit_ratings(votes, label="all")
    return ArenaRatings(
        votes=fit.votes,
        sources=tuple(votes.sources),
        ratings=tuple((r.model, r.rating, r.low, r.high) for r in fit.ratings),
        matrix=predicted_win_matrix(fit),
        notes=fit.notes,
    )


def _arena_or_note(store: Store, skipped: list[str]) -> ArenaRatings | None:
    try:
        return read_arena(store)
    except CodejuryError as exc:
        # Votes that cannot be fitted must not cost the user the rest of the report.
        skipped.append(f"arena votes not shown: {exc.message}")
        return None


# --- run readers -------------------------------------------------------------------------------


def _latest_evals(
    runs: Iterable[RunRecord], benchmark: str, include_dry_runs: bool, skipped: list[str]
) -> list[MeasuredRun]:
    chosen: dict[str, MeasuredRun] = {}
    passed_over: dict[str, str] = {}
    for run in runs:  # newest first: the first usable run of a model is its latest
        model = str(run.spec.get("model", ""))
        if run.benchmark != benchmark or not model or model in chosen:
            continue
        if run.status != "finished":
            passed_over.setdefault(model, f"run {run.id[:12]} is {run.status}")
            continue
        if run.spec.get("dry_run") and not include_dry_runs:
            passed_over.setdefault(
                model, f"run {run.id[:12]} is a dry run (shown with --include-dry-runs)"
            )
            continue
        measured = _measured(run, model)
        if measured is None:
            passed_over.setdefault(model, f"run {run.id[:12]} has no pass@1 in its summary")
            continue
        chosen[model] = measured
    # Only say why a model is missing; an unfinished newer run beside a finished one is normal.
    skipped += [
        f"{model} is not in the report: its latest {benchmark} {why}"
        for model, why in sorted(passed_over.items())
        if model not in chosen
    ]
    return sorted(chosen.values(), key=lambda m: m.model)


def _measured(run: RunRecord, model: str) -> MeasuredRun | None:
    summary = run.summary or {}
    metrics = summary.get("pass_at_k") or {}
    test_set = "plus" if "plus" in metrics else next(iter(metrics), None)
    est = metrics.get(test_set, {}).get("pass@1") if test_set else None
    if not isinstance(est, Mapping) or not _numbers(est, "value", "low", "high"):
        return None
    price = run.spec.get("price")
    cost_per_solved = summary.get("cost_per_solved_usd")
    return MeasuredRun(
        run_id=run.id,
        model=model,
        provider=model.partition("/")[0] if "/" in model else "",
        benchmark=str(run.benchmark),
        finished_at=run.finished_at or run.created_at,
        test_set=str(test_set),
        pass_at_1=Estimate(
            float(est["value"]), float(est["low"]), float(est["high"]), int(summary.get("tasks", 0))
        ),
        dry_run=bool(run.spec.get("dry_run", False)),
        generation=dict(summary.get("generation") or {}),
        cost_per_solved_usd=_number(cost_per_solved),
        price=dict(price) if isinstance(price, Mapping) else None,
        metadata=dict(run.spec.get("model_metadata") or {}),
    )


def _task_runs(runs: Iterable[RunRecord]) -> list[TaskRun]:
    chosen: dict[tuple[str, str], TaskRun] = {}
    for run in runs:
        summary = run.summary or {}
        model, task_file = str(run.spec.get("model", "")), str(summary.get("task_file", ""))
        if run.status != "finished" or not model or (model, task_file) in chosen:
            continue
        acc = summary.get("accuracy")
        gen = summary.get("generation") or {}
        latency = gen.get("latency_s") if isinstance(gen, Mapping) else None
        chosen[(model, task_file)] = TaskRun(
            run_id=run.id,
            model=model,
            task_file=task_file or str(run.benchmark or ""),
            finished_at=run.finished_at or run.created_at,
            accuracy=dict(acc) if isinstance(acc, Mapping) and _numbers(acc, "value") else None,
            tasks=int(summary.get("tasks", 0) or 0),
            cost_usd=_number(gen.get("cost_usd")) if isinstance(gen, Mapping) else None,
            p95_latency_s=_number(latency.get("p95")) if isinstance(latency, Mapping) else None,
        )
    return sorted(chosen.values(), key=lambda t: (t.task_file, t.model))


def _perf_runs(runs: Iterable[RunRecord]) -> list[PerfRun]:
    out: list[PerfRun] = []
    for run in runs:
        summary = run.summary or {}
        nested = summary.get("result")
        body: Mapping[str, Any] = nested if isinstance(nested, Mapping) else summary
        raw_levels = body.get("levels")
        if run.status != "finished" or not isinstance(raw_levels, list):
            continue
        levels = [lv for lv in (_perf_level(raw) for raw in raw_levels) if lv is not None]
        if not levels:
            continue
        saturation = body.get("saturation")
        reason = saturation.get("reason") if isinstance(saturation, Mapping) else None
        model = run.spec.get("model") or body.get("model") or "?"
        out.append(
            PerfRun(
                run.id,
                str(model),
                run.finished_at or run.created_at,
                tuple(levels),
                None if reason is None else str(reason),
            )
        )
    return out


def _perf_level(raw: Any) -> PerfLevel | None:
    if not isinstance(raw, Mapping) or not _numbers(raw, "concurrency", "requests_per_s"):
        return None
    latency = raw.get("latency")
    p95 = _number(latency.get("p95_s")) if isinstance(latency, Mapping) else None
    return PerfLevel(
        int(raw["concurrency"]), float(raw["requests_per_s"]), p95, _number(raw.get("error_rate"))
    )


def _latest_cost(runs: Iterable[RunRecord]) -> CostRun | None:
    for run in runs:  # newest first
        summary = run.summary or {}
        models = summary.get("models")
        if run.status != "finished" or not isinstance(models, list):
            continue
        rows = tuple(row for row in (_cost_row(m) for m in models) if row is not None)
        if not rows:
            continue
        workload = summary.get("workload")
        pairs = summary.get("break_even")
        return CostRun(
            run.id,
            run.finished_at or run.created_at,
            dict(workload) if isinstance(workload, Mapping) else {},
            rows,
            tuple(_break_even(p) for p in pairs if isinstance(p, Mapping))
            if isinstance(pairs, list)
            else (),
        )
    return None


def _cost_row(raw: Any) -> CostRow | None:
    if not isinstance(raw, Mapping) or not isinstance(raw.get("model"), str):
        return None
    api, hosted, solved = (_table(raw, k) for k in ("api", "self_hosted", "cost_per_solved"))
    notes = raw.get("notes")
    return CostRow(
        model=raw["model"],
        api_usd_per_month=_number(api.get("usd_per_month")),
        self_hosted_usd_per_month=_number(hosted.get("workload_usd_per_month"))
        or _number(hosted.get("usd_per_month")),
        per_request_usd=_number(api.get("per_request_usd")),
        per_solved_usd=_number(solved.get("api_usd")) or _number(solved.get("self_hosted_usd")),
        notes=tuple(str(n) for n in notes) if isinstance(notes, list) else (),
    )


def _break_even(pair: Mapping[str, Any]) -> str:
    api, hosted = pair.get("api_model", "?"), pair.get("self_hosted_model", "?")
    per_day = _number(pair.get("requests_per_day"))
    if per_day is None:
        return f"{api} vs {hosted}: no break-even point"
    within = pair.get("within_capacity")
    capacity = (
        "capacity unknown"
        if not isinstance(within, bool)
        else ("within" if within else "beyond") + " one deployment's capacity"
    )
    return (
        f"{api} vs {hosted}: the API bill equals the self-hosted cost at {per_day:,.0f} "
        f"requests/day ({capacity})"
    )


def _table(raw: Mapping[str, Any], key: str) -> Mapping[str, Any]:
    value = raw.get(key)
    return value if isinstance(value, Mapping) else {}


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        return None
    return float(value)


def _numbers(data: Mapping[str, Any], *keys: str) -> bool:
    return all(_number(data.get(k)) is not None for k in keys)

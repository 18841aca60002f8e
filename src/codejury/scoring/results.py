"""Turning a scoring run into EvalPlus-compatible results and a summary."""

from __future__ import annotations

import json
import os
import tempfile
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from codejury import __version__
from codejury.datasets import serialize_inputs
from codejury.scoring.evaluate import ScoreResult, parts_of
from codejury.scoring.metrics import Estimate, default_ks, pass_at_k_summary
from codejury.scoring.verdicts import STATUSES, PartVerdict, evalplus_status


def per_task(result: ScoreResult, test_set: str) -> dict[str, list[bool]]:
    """Pass/fail per task for ``base``, ``plus`` (= base and plus, EvalPlus's rule) or ``check``."""
    out: dict[str, list[bool]] = {}
    for v in result.verdicts:
        if test_set == "plus":
            ok = v.status("base") == "pass" and v.status("plus") == "pass"
        else:
            ok = v.status(test_set) == "pass"
        out.setdefault(v.sample.task_id, []).append(ok)
    return out


def summary(result: ScoreResult, missing_tasks: list[str]) -> dict[str, Any]:
    """Metrics (pass@k with 95% intervals), status counts and run facts, JSON-ready."""
    sets = (
        ["base", "plus"]
        if "plus" in parts_of(result.benchmark)
        else [parts_of(result.benchmark)[0]]
    )
    metrics: dict[str, dict[str, Any]] = {}
    for name in sets:
        tasks = per_task(result, name)
        est = pass_at_k_summary(tasks, reported_ks(tasks)) if result.verdicts else {}
        metrics[name] = {f"pass@{k}": _estimate(e) for k, e in est.items()}
    counts = {
        part: {s: c for s, c in Counter(v.status(part) for v in result.verdicts).items() if s}
        for part in parts_of(result.benchmark)
    }
    for part in counts:
        counts[part] = {s: counts[part].get(s, 0) for s in STATUSES}
    return {
        "benchmark": result.benchmark.id,
        "samples": len(result.verdicts),
        "tasks": len({v.sample.task_id for v in result.verdicts}),
        "missing_tasks": len(missing_tasks),
        "pass_at_k": metrics,
        "status_counts": counts,
        "cached": result.cached,
        "retried_timeouts": result.retried,
        "wall_seconds": round(result.wall_seconds, 3),
        "reference_seconds": round(result.reference_seconds, 3),
        "sandbox": result.isolation.as_dict(),
    }


def reported_ks(per_task_results: dict[str, list[bool]]) -> list[int]:
    """Every k up to the smallest n (n ≤ 10), else 1, 2, 5, 10, 20, 50, ... and n itself."""
    n = min((len(v) for v in per_task_results.values()), default=1)
    if n <= 10:
        return list(range(1, n + 1))
    return sorted({*default_ks(n), n})


def _estimate(e: Estimate) -> dict[str, float]:
    return {"value": e.value, "low": e.low, "high": e.high}


def _fail_tests(result: ScoreResult, task_id: str, part: str, verdict: PartVerdict) -> list[Any]:
    # EvalPlus lists the input that failed (default fast_check), or every failing input with
    # --test-details, serialised its way.
    if verdict.status == "pass" or part == "check":
        return []
    if verdict.failures is not None:
        indices = verdict.failures
    else:
        indices = [] if verdict.failed_index is None else [verdict.failed_index]
    problem = result.benchmark.problems[task_id]
    inputs = problem.base_inputs if part == "base" else problem.plus_inputs
    chosen = [list(inputs[i]) for i in indices if 0 <= i < len(inputs)]
    return serialize_inputs(task_id, chosen) if chosen else []


def evalplus_results(
    result: ScoreResult, missing_tasks: list[str], spec: dict[str, Any]
) -> dict[str, Any]:
    """The results document: EvalPlus's ``eval_results.json`` keys plus codejury's own.

    EvalPlus readers see ``date``, ``hash`` and ``eval`` exactly as EvalPlus writes them
    (statuses mapped to its pass/fail/timeout); codejury's finer statuses and reasons are in
    each entry's ``codejury`` key and the top-level ``codejury`` key.
    """
    bench = result.benchmark
    evals: dict[str, list[dict[str, Any]]] = {}
    for v in result.verdicts:
        base_part = "check" if bench.mode == "check" else "base"
        base = v.parts[base_part]
        plus = v.parts.get("plus")
        evals.setdefault(v.sample.task_id, []).append(
            {
                "task_id": v.sample.task_id,
                "solution": v.sample.solution,
                "base_status": evalplus_status(base.status),
                "plus_status": evalplus_status(plus.status) if plus else None,
                "base_fail_tests": _fail_tests(result, v.sample.task_id, base_part, base),
                "plus_fail_tests": _fail_tests(result, v.sample.task_id, "plus", plus)
                if plus
                else [],
                "codejury": {p: pv.as_dict() for p, pv in v.parts.items()} | {"cached": v.cached},
            }
        )
    summ = summary(result, missing_tasks)
    return {
        "date": datetime.now().strftime("%Y-%m-%d %H:%M"),
        "hash": bench.content_hash,
        "eval": evals,
        "pass_at_k": {
            name: {k: e["value"] for k, e in est.items()} for name, est in summ["pass_at_k"].items()
        },
        "codejury": {
            "version": __version__,
            "benchmark": bench.id,
            "benchmark_version": bench.version,
            "created": datetime.now(UTC).isoformat(timespec="seconds"),
            "spec": spec,
            "limits": result.limits.__dict__ | {"key": result.limits.key()},
            "missing_tasks": missing_tasks,
            "summary": summ,
        },
    }


def write_json(path: Path, document: dict[str, Any]) -> None:
    """Write atomically, so an interrupted write never leaves a truncated results file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump(document, f)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise

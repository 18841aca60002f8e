"""Figures of a task-file run: accuracy with 95% intervals, per check kind, confusion
matrices, judge scores, and the paired comparison of two models on the same tasks.

Intervals resample *tasks* (each task keeps all of its answers), as the benchmark metrics do
(:mod:`codejury.scoring.metrics`): a task file is a sample of the tasks the team cares about.
Answers the judge could not score (``unscored``) are left out of every accuracy and counted.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from codejury.runsummary import cost_per_solved, generation_summary
from codejury.scoring.metrics import paired_compare, pass_at_k_summary
from codejury.store.db import Store
from codejury.store.records import GenerationRecord
from codejury.taskeval.checks import CHECK_STATUSES, NO_LABEL, CheckResult
from codejury.taskeval.checkspec import CHECK_KINDS
from codejury.taskeval.grading import (
    CHECK_PART,
    TASK_PART,
    VERDICT_META,
    SampleResult,
    label_sets,
)
from codejury.taskeval.models import TaskFile

CONFIDENCE = 0.95
_ROUNDS = 2000


def accuracy(per_task: Mapping[str, Sequence[bool]]) -> dict[str, float] | None:
    """Mean per-task pass rate with its 95% task-bootstrap interval (None without data)."""
    kept = {task: list(v) for task, v in per_task.items() if v}
    if not kept:
        return None
    est = pass_at_k_summary(kept, [1], confidence=CONFIDENCE, rounds=_ROUNDS)[1]
    return {"value": est.value, "low": est.low, "high": est.high, "n_tasks": est.n_tasks}


def mean_interval(
    per_task: Mapping[str, Sequence[float]], seed: int = 0
) -> dict[str, float] | None:
    """Mean over tasks of each task's mean value, with a 95% percentile task-bootstrap interval.

    For judge scores (1–5), which pass/fail metrics cannot take.
    """
    means = np.array([float(np.mean(v)) for v in per_task.values() if len(v)], dtype=np.float64)
    if means.size == 0:
        return None
    rng = np.random.default_rng(seed)
    draws = rng.integers(0, means.size, size=(_ROUNDS, means.size))
    boot = means[draws].mean(axis=1)
    alpha = 1.0 - CONFIDENCE
    low, high = np.quantile(boot, [alpha / 2, 1 - alpha / 2])
    return {
        "value": float(means.mean()),
        "low": float(low),
        "high": float(high),
        "n_tasks": int(means.size),
    }


def task_passes(samples: Sequence[SampleResult]) -> dict[str, list[bool]]:
    """Pass/fail of every scored answer, by task (unscored answers left out)."""
    out: dict[str, list[bool]] = {}
    for s in samples:
        out.setdefault(s.task_id, [])
        if s.status != "unscored":
            out[s.task_id].append(s.status == "pass")
    return out


def _by_kind(samples: Sequence[SampleResult]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for kind in CHECK_KINDS:
        per_task: dict[str, list[bool]] = {}
        counts: Counter[str] = Counter()
        checks = 0
        for s in samples:
            for name, result in s.checks.items():
                if s.kinds.get(name) != kind:
                    continue
                checks += 1
                counts[result.status] += 1
                if result.status != "unscored":
                    per_task.setdefault(s.task_id, []).append(result.passed)
        if checks:
            out[kind] = {
                "checked": checks,
                "accuracy": accuracy(per_task),
                "status_counts": {st: counts[st] for st in CHECK_STATUSES if counts[st]},
            }
    return out


def confusion(
    samples: Sequence[SampleResult], labels: Mapping[str, Sequence[str]]
) -> dict[str, Any]:
    """One confusion matrix per label check name: rows expected, columns predicted.

    Each matrix also gives per-label precision and recall; an answer that names no label
    (or several) is counted in the ``(none)`` column.
    """
    out: dict[str, Any] = {}
    for name, label_set in labels.items():
        columns = [*label_set, NO_LABEL]
        matrix = {row: dict.fromkeys(columns, 0) for row in label_set}
        for s in samples:
            result = s.checks.get(name)
            if result is None or s.kinds.get(name) != "label" or "expected" not in result.detail:
                continue
            expected, predicted = result.detail["expected"], result.detail["predicted"]
            row = matrix.setdefault(expected, dict.fromkeys(columns, 0))
            row[predicted] = row.get(predicted, 0) + 1
        per_label: dict[str, dict[str, float | None]] = {}
        for label in label_set:
            hits = matrix.get(label, {}).get(label, 0)
            truth = sum(matrix.get(label, {}).values())
            said = sum(r.get(label, 0) for r in matrix.values())
            per_label[label] = {
                "precision": hits / said if said else None,
                "recall": hits / truth if truth else None,
                "support": truth,
            }
        total = sum(sum(r.values()) for r in matrix.values())
        right = sum(matrix[label].get(label, 0) for label in matrix)
        out[name] = {
            "labels": columns,
            "matrix": matrix,
            "per_label": per_label,
            "accuracy": right / total if total else None,
        }
    return out


def _judge(
    samples: Sequence[SampleResult], rows: Sequence[GenerationRecord], judge: str | None
) -> dict[str, Any] | None:
    results = [
        (s.task_id, r) for s in samples for n, r in s.checks.items() if s.kinds.get(n) == "judge"
    ]
    if not results:
        return None
    scores: dict[str, list[float]] = {}
    for task_id, r in results:
        if isinstance(r.detail.get("score"), int):
            scores.setdefault(task_id, []).append(float(r.detail["score"]))
    counts = Counter(int(v) for vs in scores.values() for v in vs)
    gen = generation_summary(rows)
    return {
        "model": judge,
        "checks": len(results),
        "scored": sum(counts.values()),
        "unscored": sum(r.status == "unscored" for _, r in results),
        "mean_score": mean_interval(scores),
        "score_counts": {str(k): counts.get(k, 0) for k in range(1, 6)},
        # The judge's own tokens and cost, never added to the model's.
        "generation": {k: gen[k] for k in _JUDGE_GEN_KEYS},
    }


_JUDGE_GEN_KEYS = (
    "completions",
    "requested",
    "cached",
    "failed_requests",
    "input_tokens",
    "output_tokens",
    "cost_usd",
    "cost_spent_usd",
    "latency_s",
)


def summarize(
    tasks: TaskFile,
    samples: Sequence[SampleResult],
    answers: Sequence[GenerationRecord],
    judge_rows: Sequence[GenerationRecord] = (),
    judge: str | None = None,
) -> dict[str, Any]:
    """The run summary (JSON-ready) stored with the run and printed by the command."""
    passes = task_passes(samples)
    acc = accuracy(passes)
    gen = generation_summary(answers)
    code_tasks = {t.id for t in tasks.tasks.values() if t.needs_code}
    gen["no_code"] = sum(r.code == "" for r in answers if r.task_id in code_tasks)
    solved = (acc["value"] * acc["n_tasks"]) if acc else 0.0
    statuses = Counter(s.status for s in samples)
    return {
        "task_file": tasks.label,
        "task_file_hash": tasks.content_hash,
        "tasks": len({s.task_id for s in samples}),
        "samples": len(samples),
        "accuracy": acc,
        "status_counts": {k: statuses.get(k, 0) for k in ("pass", "fail", "unscored")},
        "unscored": statuses.get("unscored", 0),
        "by_kind": _by_kind(samples),
        "confusion": confusion(samples, label_sets(tasks)),
        "judge": _judge(samples, judge_rows, judge),
        "generation": gen,
        "cost_per_solved_usd": cost_per_solved(gen["cost_usd"], solved),
        "per_task": {
            task: {"passed": sum(v), "scored": len(v)} for task, v in sorted(passes.items())
        },
    }


def compare(a: Sequence[SampleResult], b: Sequence[SampleResult]) -> dict[str, Any] | None:
    """Paired comparison of two models' accuracy on the tasks both answered (A minus B).

    The difference of per-task pass rates with a 95% paired-bootstrap interval, and the
    p-value of exact McNemar (one answer per task) or a sign-flip permutation test.
    """
    pa = {t: v for t, v in task_passes(a).items() if v}
    pb = {t: v for t, v in task_passes(b).items() if v}
    if not set(pa) & set(pb):
        return None
    c = paired_compare(pa, pb, confidence=CONFIDENCE)
    return {
        "diff": c.diff,
        "low": c.low,
        "high": c.high,
        "p_value": c.p_value,
        "method": c.method,
        "n_tasks": c.n_tasks,
        "a_better": c.a_only,
        "b_better": c.b_only,
    }


def samples_of_run(store: Store, run_id: str) -> list[SampleResult]:
    """Every answer's outcome as stored in a run's verdicts (for reports and comparisons)."""
    by_sample: dict[tuple[str, int], SampleResult] = {}
    checks: list[tuple[str, int, str, CheckResult, str]] = []
    for v in store.run_verdicts(run_id):
        if v.part == TASK_PART:
            by_sample[(v.task_id, v.index)] = SampleResult(v.task_id, v.index, v.status)
        elif v.part.startswith(CHECK_PART):
            extra = {k: x for k, x in v.detail.items() if k not in VERDICT_META}
            result = CheckResult(v.status, str(v.detail.get("reason", "")), extra)
            checks.append(
                (v.task_id, v.index, v.part[len(CHECK_PART) :], result, str(v.detail.get("kind")))
            )
    for task_id, index, name, result, kind in checks:
        sample = by_sample.get((task_id, index))
        if sample is not None:
            sample.checks[name] = result
            sample.kinds[name] = kind
    return [by_sample[k] for k in sorted(by_sample)]

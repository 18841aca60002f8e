"""The report's tables as template rows: your runs, costs, paired test, decision, own tasks."""

from __future__ import annotations

from typing import Any

from markupsafe import Markup

from codejury.report.charts_grid import perf_chart
from codejury.report.data import ReportData
from codejury.report.recommend import format_value
from codejury.report.runs import PerfRun, TaskRun
from codejury.report.selection import CRITERIA, Scored
from codejury.report.view_format import (
    as_float,
    figure_text,
    money,
    p_text,
    provenance_text,
    seconds,
)

MATRIX_ROWS = 15
"""Rows of the decision matrix shown."""
LISTED = 40
"""Eliminated / unchecked models named one by one."""


def measured_row(data: ReportData, key: str) -> dict[str, Any]:
    """One of your eval runs: pass@1, cost, latency, tokens."""
    run = next(m for m in data.inputs.measured if m.model == key)
    c = data.candidate(key)
    gen = run.generation
    est = run.pass_at_1
    return {
        "model": key,
        "run": run.run_id[:12],
        "date": run.date,
        "tasks": est.n_tasks,
        "pass_at_1": f"{100 * est.value:.1f} % [{100 * est.low:.1f}, {100 * est.high:.1f}]",
        "dry_run": run.dry_run,
        "run_cost": money(as_float(gen.get("cost_usd"))),
        "per_solved": money(run.cost_per_solved_usd),
        "p50": seconds(run.latency("p50")),
        "p95": seconds(run.latency("p95")),
        "tokens": f"{int(gen.get('input_tokens', 0)):,} in / {int(gen.get('output_tokens', 0)):,} out",
        "monthly": figure_text(None if c is None else c.monthly_cost, "cost"),
    }


def perf(run: PerfRun) -> dict[str, Any]:
    """A perf run's chart and saturation note."""
    levels = [(lv.concurrency, lv.requests_per_s, lv.p95_s) for lv in run.levels]
    title = f"{run.model}: throughput and p95 latency (perf run {run.run_id[:12]})"
    return {
        "model": run.model,
        "saturation": run.saturation,
        "chart": Markup(perf_chart(levels, title, run.model)),
    }


def cost(data: ReportData) -> dict[str, Any]:
    """Monthly projections (your models and the top ten) and the latest cost run."""
    ranking = data.decision.ranking
    top = [] if ranking is None else [r.key for r in ranking.rows[:10]]
    keys = list(dict.fromkeys([m.model for m in data.inputs.measured] + top))
    projection = []
    for key in keys:
        c = data.candidate(key)
        if c is None:
            continue
        projection.append(
            {
                "name": c.name,
                "price": figure_text(c.price, "price"),
                "monthly": figure_text(c.monthly_cost, "cost"),
                "latency": figure_text(c.p95_latency_s, "latency"),
                "source": provenance_text(c.monthly_cost or c.price),
            }
        )
    run = data.inputs.cost
    return {
        "projection": projection,
        "run": None
        if run is None
        else {
            "id": run.run_id[:12],
            "date": run.finished_at[:10],
            "rows": [
                {
                    "model": r.model,
                    "api": money(r.api_usd_per_month),
                    "hosted": money(r.self_hosted_usd_per_month),
                    "request": money(r.per_request_usd),
                    "solved": money(r.per_solved_usd),
                    "notes": "; ".join(r.notes),
                }
                for r in run.rows
            ],
            "break_even": list(run.break_even),
        },
    }


def paired(data: ReportData) -> dict[str, Any] | None:
    """The paired test between the two best measured models, in words."""
    p = data.paired
    if p is None:
        return None
    c = p.comparison
    verdict = (
        f"{p.a} is better than {p.b}"
        if c.p_value < 0.05 and c.diff > 0
        else "no significant difference"
    )
    return {
        "a": p.a,
        "b": p.b,
        "tasks": c.n_tasks,
        "diff": f"{100 * c.diff:+.1f} points [{100 * c.low:+.1f}, {100 * c.high:+.1f}]",
        "p_value": p_text(c.p_value),
        "method": c.method,
        "a_only": c.a_only,
        "b_only": c.b_only,
        "verdict": verdict,
        "test_set": p.test_set,
    }


def decision(data: ReportData) -> dict[str, Any]:
    """Constraints, eliminated models, the matrix, sensitivity and probability best."""
    d = data.decision
    s = d.screening
    k = s.constraints
    limits = [
        f"pass@1 ≥ {k.min_pass_at_1:g} %" if k.min_pass_at_1 is not None else "",
        f"p95 latency ≤ {k.max_p95_latency_s:g} s" if k.max_p95_latency_s is not None else "",
        f"monthly cost ≤ ${k.max_monthly_cost:,.0f}" if k.max_monthly_cost is not None else "",
        "open weights" if k.require_open_weights else "",
        f"context ≥ {k.min_context_window:,.0f} tokens" if k.min_context_window is not None else "",
    ]
    out: dict[str, Any] = {
        "constraints": [x for x in limits if x] or ["none"],
        "strict": k.strict,
        "kept": len(s.kept),
        "eliminated": [
            {"name": n.name, "reasons": "; ".join(n.reasons)} for n in s.eliminated[:LISTED]
        ],
        "eliminated_total": len(s.eliminated),
        "unchecked": [
            {"name": n.name, "reasons": "; ".join(n.reasons)} for n in s.unchecked[:LISTED]
        ],
        "unchecked_total": len(s.unchecked),
        "columns": [],
        "rows": [],
        "sensitivity": [],
        "odds": [],
    }
    if d.ranking is not None:
        out["columns"] = [
            {
                "name": col.name,
                "label": CRITERIA[col.name].label,
                "weight": f"{col.weight:.2f}",
                "better": col.better,
            }
            for col in d.ranking.columns
        ]
        out["rows"] = [matrix_row(data, r) for r in d.ranking.rows[:MATRIX_ROWS]]
        out["notes"] = list(d.ranking.notes)
    if d.sensitivity is not None:
        out["sensitivity"] = [
            {
                "criterion": CRITERIA[i.criterion].label,
                "weight": f"{i.weight:.2f}",
                "up": "–" if i.up is None else f"{i.up.weight:.2f} → {data.name(i.up.new_winner)}",
                "down": "–"
                if i.down is None
                else f"{i.down.weight:.2f} → {data.name(i.down.new_winner)}",
            }
            for i in d.sensitivity.items
        ]
    if d.odds is not None:
        out["odds"] = [
            {"name": data.name(key), "share": f"{p:.1%}"}
            for key, p in list(d.odds.probabilities.items())[:8]
            if p > 0
        ]
        out["draws"] = f"{d.odds.draws:,}"
        out["sampled"] = ", ".join(CRITERIA[c].label for c in d.odds.sampled) or "none"
    out["total"] = 0 if d.ranking is None else len(d.ranking.rows)
    return out


def matrix_row(data: ReportData, row: Scored) -> dict[str, Any]:
    """One row of the decision matrix: raw figure and normalised score per criterion."""
    c = data.candidate(row.key)
    origin = "" if c is None or c.quality is None else c.quality.mark.origin
    cells = []
    for name, raw in row.raw.items():
        shown = "–" if raw is None else format_value(name, raw)
        cells.append(f"{shown} ({row.normalised[name]:.2f})")
    return {
        "rank": row.rank,
        "name": row.name,
        "score": f"{row.score:.3f}",
        "cells": cells,
        "origin": origin,
    }


def task_row(t: TaskRun) -> dict[str, Any]:
    """One taskeval run: accuracy on your own tasks, cost, latency."""
    acc = t.accuracy
    text = (
        "–"
        if acc is None
        else (
            f"{100 * acc['value']:.1f} % [{100 * acc.get('low', acc['value']):.1f}, "
            f"{100 * acc.get('high', acc['value']):.1f}]"
        )
    )
    return {
        "model": t.model,
        "file": t.task_file,
        "tasks": t.tasks,
        "accuracy": text,
        "cost": money(t.cost_usd),
        "p95": seconds(t.p95_latency_s),
        "run": t.run_id[:12],
    }

"""ReportData → what the templates show: formatted rows and the charts.

Both the HTML and the Markdown template render this one context, so they show the same
figures with the same wording. Values are plain strings (escaped by the templates); the
charts are SVG strings whose text :mod:`codejury.report.svg` has already escaped, marked safe
(``Markup``) here and nowhere else.
"""

from __future__ import annotations

from typing import Any

from markupsafe import Markup

from codejury.report.analysis import LeaderboardRow
from codejury.report.candidates import Candidate, Figure
from codejury.report.charts import (
    BELOW_COLOUR,
    ChartPoint,
    mismatch_chart,
    pareto_chart,
    periods_chart,
    rank_difference_chart,
)
from codejury.report.charts_grid import DatedPoint, evolution_chart, heatmap_chart
from codejury.report.data import Frontier, ReportData
from codejury.report.svg import FLAG_COLOUR
from codejury.report.view_format import (
    figure_text,
    number_text,
    p_text,
    provenance_text,
    source_text,
    workload_text,
)
from codejury.report.view_tables import (
    cost,
    decision,
    measured_row,
    paired,
    perf,
    task_row,
)

HUMAN_ROWS = 40
"""Rows of the human-rating leaderboard shown (the JSON report has all)."""


def context(data: ReportData) -> dict[str, Any]:
    """The template context for one report (see the module docstring)."""
    d, meta = data.decision, data.meta
    return {
        "meta": meta,
        "workload": workload_text(meta["workload"]),
        "sources": [source_text(s) for s in meta["catalog_sources"]],
        "recommendation": list(d.recommendation.sentences),
        "winner": None if d.recommendation.winner is None else data.name(d.recommendation.winner),
        "leaderboard": [_board_row(r, "quality") for r in data.leaderboard_quality],
        "human_board": [_board_row(r, "human") for r in data.leaderboard_human[:HUMAN_ROWS]],
        "human_total": len(data.leaderboard_human),
        "pareto": [_pareto(data, f) for f in (data.pareto_quality, data.pareto_human) if f],
        "mismatch": _mismatch(data),
        "win": _win(data),
        "arena": _arena(data),
        "evolution": _evolution(data),
        "measured": [measured_row(data, m.model) for m in data.inputs.measured],
        "perf": [perf(p) for p in data.inputs.perf],
        "cost": cost(data),
        "paired": paired(data),
        "decision": decision(data),
        "tasks": [task_row(t) for t in data.inputs.task_runs],
        "provenance": [s.as_dict() for s in data.provenance],
        "notes": list(data.notes),
        "selection": data.selection,
    }


# --- formatting --------------------------------------------------------------------------------


def _tip(c: Candidate, figure: Figure[float], criterion: str) -> str:
    price = "" if c.price is None else f"; {figure_text(c.price, 'price')} per 1M tokens"
    return (
        f"{c.name} ({figure.mark.origin}): {figure_text(figure, criterion)}{price} — "
        f"{provenance_text(figure)}"
    )


# --- sections ----------------------------------------------------------------------------------


def _board_row(row: LeaderboardRow, criterion: str) -> dict[str, Any]:
    c, f = row.candidate, row.figure
    return {
        "rank": row.rank,
        "key": c.key,
        "name": c.name,
        "origin": f.mark.origin,
        "value": figure_text(f, criterion),
        "tied": row.overlaps_leader,
        "price": figure_text(c.price, "price"),
        "source": provenance_text(f),
        "note": f.mark.note or "",
    }


def _pareto(data: ReportData, frontier: Frontier) -> dict[str, Any]:
    criterion = frontier.measure
    label = "pass@1 (%)" if criterion == "quality" else f"Arena {data.meta['rating']} rating"
    on = set(frontier.frontier)
    points = [_point(data, key, criterion, key in on) for key in frontier.points]
    what = f"{data.meta['benchmark']} pass@1" if criterion == "quality" else label
    title = f"{what} against blended price: {len(on)} on the Pareto frontier"
    rows = []
    for key in frontier.frontier:
        c = data.candidate(key)
        assert c is not None
        figure = getattr(c, criterion)
        rows.append(
            {
                "name": c.name,
                "origin": figure.mark.origin,
                "value": figure_text(figure, criterion),
                "price": figure_text(c.price, "price"),
                "source": provenance_text(figure),
            }
        )
    return {
        "title": title,
        "chart": Markup(pareto_chart(points, title, label)),
        "rows": rows,
        "points": len(points),
    }


def _point(data: ReportData, key: str, criterion: str, highlight: bool = False) -> ChartPoint:
    """A model at (blended price, figure) with its interval and a tooltip."""
    c = data.candidate(key)
    assert c is not None and c.price is not None
    figure: Figure[float] | None = getattr(c, criterion)
    assert figure is not None
    return ChartPoint(
        key,
        c.name,
        c.price.value,
        figure.value,
        figure.low,
        figure.high,
        measured=figure.mark.origin == "measured",
        highlight=highlight,
        tip=_tip(c, figure, criterion),
    )


def _mismatch(data: ReportData) -> dict[str, Any] | None:
    m = data.mismatch
    if m is None:
        return None
    n = len(m.rows)
    points = [
        ChartPoint(
            r.key,
            data.name(r.key),
            r.benchmark_rank,
            r.human_rank,
            highlight=bool(r.flag),
            colour=FLAG_COLOUR if r.flag == "benchmark-above-human" else BELOW_COLOUR,
            tip=f"{data.name(r.key)}: benchmark rank {r.benchmark_rank:g}, human rank "
            f"{r.human_rank:g}, expected {r.expected_human_rank:.1f}",
        )
        for r in m.rows
    ]
    bars = sorted(m.rows, key=lambda r: (-r.rank_difference_share, r.key))
    title = f"Benchmark rank against human rank ({n} models)"

    def listed(flag: str) -> list[dict[str, Any]]:
        keys = m.flagged(flag)  # type: ignore[arg-type]
        rows = {r.key: r for r in m.rows}
        return [
            {
                "name": data.name(k),
                "benchmark_rank": rows[k].benchmark_rank,
                "human_rank": rows[k].human_rank,
                "share": f"{rows[k].rank_difference_share:+.0%}",
            }
            for k in keys
        ]

    return {
        "n": n,
        "tau": number_text(m.tau, 3),
        "tau_low": number_text(m.tau_low, 3),
        "tau_high": number_text(m.tau_high, 3),
        "p_value": p_text(m.p_value),
        "threshold": m.threshold,
        "robust_sd": f"{m.robust_sd:.1f}",
        "above": listed("benchmark-above-human"),
        "below": listed("human-above-benchmark"),
        "chart": Markup(mismatch_chart(points, n, m.slope, m.intercept, title)),
        "bars": Markup(
            rank_difference_chart(
                [(r.key, data.name(r.key), r.rank_difference_share, r.flag) for r in bars],
                "Rank difference as a share of the field (human rank − benchmark rank)",
            )
        ),
    }


def _win(data: ReportData) -> dict[str, Any] | None:
    w = data.win
    if w is None:
        return None
    names = [data.name(k) for k in w.keys]
    title = f"Win probability from Arena {data.meta['rating']} ratings (public)"
    return {
        "basis": data.meta["win_basis"],
        "chart": Markup(heatmap_chart(w.keys, names, w.matrix, title)),
    }


def _arena(data: ReportData) -> dict[str, Any] | None:
    a = data.inputs.arena
    if a is None:
        return None
    title = f"Win probability from your arena's {a.votes} votes (measured)"
    return {
        "votes": a.votes,
        "sources": ", ".join(a.sources),
        "ratings": [
            {"model": m, "rating": f"{r:.0f}", "interval": f"{lo:.0f} – {hi:.0f}"}
            for m, r, lo, hi in a.ratings
        ],
        "notes": list(a.notes),
        "chart": Markup(heatmap_chart(a.models, a.models, a.matrix, title)),
    }


def _evolution(data: ReportData) -> dict[str, Any] | None:
    e = data.evolution
    if e is None:
        return None
    criterion = data.evolution_measure or "quality"
    label = "pass@1 (%)" if criterion == "quality" else f"Arena {data.meta['rating']} rating"
    points = []
    for p in e.points:
        c = data.candidate(p.key)
        figure = None if c is None else getattr(c, criterion)
        measured = figure is not None and figure.mark.origin == "measured"
        points.append(
            DatedPoint(p.key, data.name(p.key), p.date, p.value, p.best_so_far, p.record, measured)
        )
    title = f"{label} over release date ({len(points)} models), best so far"
    periods = None
    if data.periods:
        keys = {k for members, _ in data.periods.values() for k in members}
        scatter = [_point(data, k, criterion) for k in sorted(keys)]
        groups = [(label_, m, f) for label_, (m, f) in data.periods.items()]
        periods = Markup(
            periods_chart(
                scatter, groups, f"{label} against price, one frontier per half-year", label
            )
        )
    return {
        "periods": periods,
        "chart": Markup(evolution_chart(points, title, label)),
        "records": [data.name(k) for k in e.records],
    }

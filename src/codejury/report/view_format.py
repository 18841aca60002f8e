"""Formatting figures for the report's tables: one wording for HTML and Markdown alike."""

from __future__ import annotations

import math
from typing import Any

from codejury.report.candidates import Figure
from codejury.report.recommend import format_value


def figure_text(figure: Figure[Any] | None, criterion: str | None = None) -> str:
    """A figure with its interval, e.g. ``87.2 % [81.3, 91.6]``; ``–`` when absent."""
    if figure is None:
        return "–"
    value = figure.value
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, str):
        return value
    if criterion == "price":
        return f"${value:,.2f}" if value < 100 else f"${value:,.0f}"
    text = format_value(criterion, value) if criterion else f"{value:g}"
    if figure.low is None or figure.high is None:
        return text
    if criterion == "quality":
        return f"{text} [{figure.low:.1f}, {figure.high:.1f}]"
    if criterion == "human":
        return f"{text} [{figure.low:.0f}, {figure.high:.0f}]"
    lo, hi = (
        format_value(criterion, v) if criterion else f"{v:g}" for v in (figure.low, figure.high)
    )
    return f"{text} [{lo}, {hi}]"


def provenance_text(figure: Figure[Any] | None) -> str:
    """``source, date`` of a figure."""
    if figure is None:
        return ""
    m = figure.mark
    return m.source + (f", {m.as_of}" if m.as_of else "")


def money(value: float | None) -> str:
    """USD, with cents (or two significant digits below a dollar); ``–`` when unknown."""
    if value is None:
        return "–"
    if 0 < value < 1:
        return f"${value:.2g}"  # a run's cost is often a fraction of a cent
    return f"${value:,.2f}" if value < 100 else f"${value:,.0f}"


def workload_text(w: dict[str, float]) -> str:
    """A workload in one phrase."""
    return (
        f"{w['requests_per_day']:,.0f} requests/day of {w['input_tokens']:,.0f} input + "
        f"{w['output_tokens']:,.0f} output tokens, {w['days_per_month']:g} days/month"
    )


def source_text(s: dict[str, Any]) -> str:
    """One part of the catalog (built-in or an import) in one line."""
    if s.get("part") == "builtin":
        return f"{s['source']}: {s['facts']:,} facts"
    return (
        f"imported {s['path']} ({s['kind']}, sha256 {s['sha256'][:12]}) on "
        f"{s['created_at'][:10]}: {s['facts']:,} facts, {len(s['unmatched'])} unmatched names"
    )


def seconds(value: float | None) -> str:
    """Seconds with two decimals; ``–`` when unknown."""
    return "–" if value is None else f"{value:.2f} s"


def as_float(value: Any) -> float | None:
    """A JSON number as a float, else None (booleans are not numbers here)."""
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def number_text(value: float, digits: int) -> str:
    """A number with ``digits`` decimals; ``n/a`` for NaN."""
    return "n/a" if math.isnan(value) else f"{value:.{digits}f}"


def p_text(value: float) -> str:
    """A p-value: three decimals, scientific below 0.001."""
    if math.isnan(value):
        return "n/a"
    return f"{value:.3f}" if value >= 0.001 else f"{value:.1e}"

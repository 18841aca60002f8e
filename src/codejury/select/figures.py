"""Figures as the stages store them (plain JSON), and the decision's candidates built from them.

Each stage records, per model, named figures in the shape of
:meth:`codejury.report.Figure.as_dict` (``value``, ``mark``, optional ``low``/``high``). Names
that are :class:`~codejury.report.Candidate` attributes (``monthly_cost``, ``p95_latency_s``,
``open_weights``...) go straight into the candidate; quality is chosen by the pipeline (the
team's own tasks when that stage ran, else the first benchmark).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any, cast

from codejury.report.candidates import FIGURE_NAMES, Candidate, Figure, Mark, Origin

TASK_ACCURACY = "task_accuracy"
"""Figure name of the accuracy on the team's own tasks (percent)."""


def pass_at_1_name(benchmark: str) -> str:
    """Figure name of a benchmark's pass@1 (percent), e.g. ``pass_at_1:humaneval+``."""
    return f"pass_at_1:{benchmark}"


def figure(
    value: float | bool | str,
    origin: Origin,
    source: str,
    note: str | None = None,
    interval: tuple[float, float] | None = None,
) -> dict[str, Any]:
    """One figure as stored: today's date for measured figures, the interval when given."""
    as_of = datetime.now(UTC).date().isoformat() if origin == "measured" else None
    low, high = interval if interval is not None else (None, None)
    made: Figure[Any] = Figure(value, Mark(origin, source, as_of, note), low, high)
    return made.as_dict()


def from_json(data: Mapping[str, Any]) -> Figure[Any]:
    """The :class:`Figure` a stored figure stands for."""
    mark = data["mark"]
    return Figure(
        data["value"],
        Mark(mark["origin"], mark["source"], mark.get("as_of"), mark.get("note")),
        data.get("low"),
        data.get("high"),
    )


def merged(stages: Iterable[Mapping[str, Any]]) -> dict[str, dict[str, Any]]:
    """Every model's figures over the given stage outputs; a later stage's figure wins."""
    out: dict[str, dict[str, Any]] = {}
    for stage in stages:
        for model, figures in (stage.get("figures") or {}).items():
            out.setdefault(model, {}).update(figures)
    return out


def candidate(model: str, figures: Mapping[str, Any], quality: str | None) -> Candidate:
    """The decision's view of one model, gaps filled by the report's default rules.

    Args:
        model: The reference (the candidate's key and name).
        figures: Its stored figures (see :func:`merged`).
        quality: Which figure is its quality (``task_accuracy`` or a pass@1 name), or None.
    """
    fields = {
        name: from_json(figures[name])
        for name in FIGURE_NAMES
        if name != "quality" and name in figures
    }
    if quality is not None and quality in figures:
        fields["quality"] = from_json(figures[quality])
    made = Candidate(key=model, name=model, **cast(dict[str, Any], fields))
    return made.with_derived()


def candidates(
    models: Iterable[str], figures: Mapping[str, Mapping[str, Any]], quality: str | None
) -> list[Candidate]:
    """:func:`candidate` for each model, in order."""
    return [candidate(m, figures.get(m, {}), quality) for m in models]

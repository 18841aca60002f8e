"""The report's scatter charts as inline SVG (seed 000, figures 3–6).

* :func:`pareto_chart`: quality (or Arena rating) against blended price on a log axis; the
  Pareto frontier drawn and labelled, the user's measured models as diamonds (always
  labelled), public figures as dots. A price of zero (a model run on your own machine) cannot
  sit on a log axis: such points go in a separate "free" band at the left.
* :func:`mismatch_chart`: benchmark rank against human rank with the Theil–Sen trend; flagged
  models labelled.
* :func:`rank_difference_chart`: each model's rank difference as a share of the field.

The win-probability heatmap, evolution and perf charts are in :mod:`codejury.report.charts_grid`.
Every chart returns an ``<svg>`` string whose text is escaped (:mod:`codejury.report.svg`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from codejury.report.svg import (
    FLAG_COLOUR,
    FRONTIER_COLOUR,
    GRID,
    MEASURED_COLOUR,
    MUTED,
    PUBLIC_COLOUR,
    Canvas,
    Labels,
    Linear,
    Log,
    esc,
    number,
    padded,
    short,
)

WIDTH, HEIGHT = 760, 470
LEFT, RIGHT, TOP, BOTTOM = 64, 24, 52, 56
BELOW_COLOUR = "#7048e8"
"""Models people rank above what the benchmark predicts."""
FREE_BAND = 40
"""Pixels at the left of a log price axis for zero-price points."""


@dataclass(frozen=True)
class ChartPoint:
    """One model in a scatter chart.

    Attributes:
        key: Model key (``data-key`` of its marker).
        label: Display name.
        x: Horizontal value.
        y: Vertical value.
        low: Lower end of the y interval, if any.
        high: Upper end of the y interval, if any.
        measured: The user's own measurement (drawn as a diamond and labelled).
        highlight: On the frontier, or flagged: labelled.
        tip: Tooltip text (value, interval, source, date).
        colour: The colour of a highlighted point (default: the chart's).
    """

    key: str
    label: str
    x: float
    y: float
    low: float | None = None
    high: float | None = None
    measured: bool = False
    highlight: bool = False
    tip: str = ""
    colour: str | None = None


def pareto_chart(
    points: Sequence[ChartPoint], title: str, y_label: str, x_label: str = "blended price"
) -> str:
    """Quality against price with the labelled Pareto frontier (``highlight`` points)."""
    canvas = Canvas(WIDTH, HEIGHT, title, "chart-pareto")
    _frame(canvas, title)
    plot_r, plot_b = WIDTH - RIGHT, HEIGHT - BOTTOM
    paid = [p.x for p in points if p.x > 0]
    free = any(p.x <= 0 for p in points)
    x0 = LEFT + (FREE_BAND if free else 0)
    lo, hi = (min(paid), max(paid)) if paid else (0.1, 10.0)
    xs = Log(lo / 1.4, hi * 1.4, x0 + 8, plot_r - 8)
    ys_values = [v for p in points for v in (p.y, p.low, p.high) if v is not None]
    ys = Linear(*padded(ys_values or [0.0, 1.0]), plot_b, TOP)

    def x_of(p: ChartPoint) -> float:
        return LEFT + FREE_BAND / 2 if p.x <= 0 else xs(p.x)

    for tick in ys.ticks():
        canvas.line(LEFT, ys(tick), plot_r, ys(tick), stroke=GRID)
        canvas.text(LEFT - 6, ys(tick) + 4, number(tick), anchor="end", fill=MUTED)
    for tick in xs.ticks():
        canvas.line(xs(tick), TOP, xs(tick), plot_b, stroke=GRID)
        canvas.text(xs(tick), plot_b + 16, f"${number(tick)}", anchor="middle", fill=MUTED)
    if free:
        canvas.rect(LEFT, TOP, FREE_BAND, plot_b - TOP, fill="#f8f9fa")
        canvas.text(LEFT + FREE_BAND / 2, plot_b + 16, "$0", anchor="middle", fill=MUTED)
    canvas.rect(LEFT, TOP, plot_r - LEFT, plot_b - TOP, fill="none", stroke="#adb5bd")
    canvas.text(
        (LEFT + plot_r) / 2,
        HEIGHT - 14,
        f"{x_label} (USD per 1M tokens, log scale)",
        anchor="middle",
    )
    _y_label(canvas, y_label)

    frontier = sorted((p for p in points if p.highlight), key=lambda p: (p.x, -p.y))
    canvas.polyline(
        [(x_of(p), ys(p.y)) for p in frontier],
        stroke=FRONTIER_COLOUR,
        stroke_width="2",
        class_="frontier-line",
    )
    _points(canvas, points, x_of, ys)
    labels = Labels()
    for p in sorted(points, key=lambda p: (not p.measured, p.x)):
        if p.highlight or p.measured:
            colour = MEASURED_COLOUR if p.measured else FRONTIER_COLOUR
            labels.place(canvas, x_of(p), ys(p.y), short(p.label), colour)
    items = [(PUBLIC_COLOUR, "public figure"), (FRONTIER_COLOUR, "Pareto frontier")]
    if any(p.measured for p in points):
        items.insert(1, (MEASURED_COLOUR, "your run"))
    _legend(canvas, items)
    return canvas.render()


PERIOD_COLOURS = ("#adb5bd", "#74c0fc", "#1c7ed6", "#7048e8", "#d9480f", "#2b8a3e")
"""Oldest period first: greys and light blues fade the past, warm colours are recent."""


def periods_chart(
    points: Sequence[ChartPoint],
    groups: Sequence[tuple[str, Sequence[str], Sequence[str]]],
    title: str,
    y_label: str,
) -> str:
    """Quality against price with one Pareto frontier per release period (seed 000, fig. 7).

    Args:
        points: Every model (``x`` = price, ``y`` = figure).
        groups: ``(period label, member keys, frontier keys)``, oldest first.
        title: Chart title.
        y_label: The figure's axis label.
    """
    canvas = Canvas(WIDTH, HEIGHT, title, "chart-periods")
    _frame(canvas, title)
    plot_r, plot_b = WIDTH - RIGHT, HEIGHT - BOTTOM
    paid = [p.x for p in points if p.x > 0] or [0.1, 10.0]
    xs = Log(min(paid) / 1.4, max(paid) * 1.4, LEFT + 8, plot_r - 8)
    ys = Linear(*padded([p.y for p in points] or [0.0, 1.0]), plot_b, TOP)
    for tick in ys.ticks():
        canvas.line(LEFT, ys(tick), plot_r, ys(tick), stroke=GRID)
        canvas.text(LEFT - 6, ys(tick) + 4, number(tick), anchor="end", fill=MUTED)
    for tick in xs.ticks():
        canvas.line(xs(tick), TOP, xs(tick), plot_b, stroke=GRID)
        canvas.text(xs(tick), plot_b + 16, f"${number(tick)}", anchor="middle", fill=MUTED)
    canvas.rect(LEFT, TOP, plot_r - LEFT, plot_b - TOP, fill="none", stroke="#adb5bd")
    canvas.text(
        (LEFT + plot_r) / 2,
        HEIGHT - 14,
        "blended price (USD per 1M tokens, log scale)",
        anchor="middle",
    )
    _y_label(canvas, y_label)
    by_key = {p.key: p for p in points}
    labels = Labels()
    legend = []
    for i, (period, members, frontier) in enumerate(groups):
        # Spread the periods over the palette: the oldest grey, the newest green.
        step = (len(PERIOD_COLOURS) - 1) / max(len(groups) - 1, 1)
        colour = PERIOD_COLOURS[min(round(i * step), len(PERIOD_COLOURS) - 1)]
        legend.append((colour, period))
        line = sorted((by_key[k] for k in frontier if k in by_key), key=lambda p: p.x)
        canvas.polyline(
            [(xs(p.x), ys(p.y)) for p in line],
            stroke=colour,
            stroke_width="2",
            class_="frontier-line",
        )
        for key in members:
            p = by_key.get(key)
            if p is None or p.x <= 0:
                continue
            shape = "diamond" if p.measured else "dot"
            kind = f"period {'frontier' if key in frontier else ''}".strip()
            canvas.point(
                xs(p.x),
                ys(p.y),
                key=p.key,
                tip=f"{period}: {p.tip or p.label}",
                shape=shape,
                colour=colour,
                classes=kind,
            )
        for p in line:
            labels.place(canvas, xs(p.x), ys(p.y), short(p.label), colour)
    _legend(canvas, legend)
    return canvas.render()


def mismatch_chart(
    points: Sequence[ChartPoint], n: int, slope: float, intercept: float, title: str
) -> str:
    """Benchmark rank (x, best at the right) against human rank (y, best at the top).

    Args:
        points: ``x`` = benchmark rank, ``y`` = human rank (1 = best); ``highlight`` = flagged.
        n: Models compared.
        slope: Theil–Sen slope of human rank on benchmark rank.
        intercept: Its intercept.
        title: Chart title.
    """
    canvas = Canvas(WIDTH, HEIGHT, title, "chart-mismatch")
    _frame(canvas, title)
    plot_r, plot_b = WIDTH - RIGHT, HEIGHT - BOTTOM
    xs = Linear(n + 0.5, 0.5, LEFT, plot_r)
    ys = Linear(n + 0.5, 0.5, plot_b, TOP)
    for tick in Linear(1, n, 0, 0).ticks(6):
        canvas.line(xs(tick), TOP, xs(tick), plot_b, stroke=GRID)
        canvas.text(xs(tick), plot_b + 16, number(tick), anchor="middle", fill=MUTED)
        canvas.line(LEFT, ys(tick), plot_r, ys(tick), stroke=GRID)
        canvas.text(LEFT - 6, ys(tick) + 4, number(tick), anchor="end", fill=MUTED)
    canvas.rect(LEFT, TOP, plot_r - LEFT, plot_b - TOP, fill="none", stroke="#adb5bd")
    canvas.line(xs(1), ys(1), xs(n), ys(n), stroke=GRID, stroke_dasharray="2 3")
    canvas.line(
        xs(1),
        ys(intercept + slope),
        xs(n),
        ys(intercept + slope * n),
        stroke=MUTED,
        stroke_width="1.5",
        class_="trend-line",
    )
    canvas.text(
        (LEFT + plot_r) / 2, HEIGHT - 14, "benchmark rank (best at the right)", anchor="middle"
    )
    _y_label(canvas, "human rank (best at the top)")
    _points(canvas, points, lambda p: xs(p.x), ys, flag=True)
    labels = Labels()
    for p in points:
        if p.highlight:
            labels.place(canvas, xs(p.x), ys(p.y), short(p.label), FLAG_COLOUR)
    _legend(
        canvas,
        [(PUBLIC_COLOUR, "model"), (FLAG_COLOUR, "far from the trend"), (MUTED, "Theil–Sen trend")],
    )
    return canvas.render()


def rank_difference_chart(rows: Sequence[tuple[str, str, float, str]], title: str) -> str:
    """One bar per model: ``(key, label, share, flag)``, share in [−1, 1], sorted as given.

    Positive: the benchmark ranks the model higher than people do. ``flag`` is the
    mismatch flag (``benchmark-above-human``, ``human-above-benchmark`` or empty).
    """
    bar, left, right = 14, 210, 40
    height = TOP + bar * len(rows) + 50
    canvas = Canvas(WIDTH, height, title, "chart-rank-difference")
    _frame(canvas, title)
    xs = Linear(-1.0, 1.0, left, WIDTH - right)
    for tick in (-1.0, -0.5, 0.0, 0.5, 1.0):
        canvas.line(xs(tick), TOP, xs(tick), height - 40, stroke=GRID)
        canvas.text(xs(tick), height - 26, f"{tick:+.0%}", anchor="middle", fill=MUTED)
    canvas.text(
        xs(0),
        height - 8,
        "← people rank it higher · the benchmark ranks it higher →",
        anchor="middle",
        fill=MUTED,
    )
    for i, (key, label, share, flag) in enumerate(rows):
        y = TOP + i * bar
        colour = {"benchmark-above-human": FLAG_COLOUR, "human-above-benchmark": BELOW_COLOUR}.get(
            flag, PUBLIC_COLOUR
        )
        x_a, x_b = sorted((xs(0), xs(share)))
        canvas.text(left - 6, y + bar - 4, short(label, 32), anchor="end", size=10)
        canvas.add(
            f'<g class="point bar" data-key="{esc(key)}"><title>{esc(label)}: '
            f"{share:+.1%} of the field</title>"
            f'<rect x="{x_a:.1f}" y="{y + 2:.1f}" width="{max(x_b - x_a, 1):.1f}" '
            f'height="{bar - 4}" fill="{colour}"/></g>'
        )
    return canvas.render()


# --- pieces ------------------------------------------------------------------------------------


def _frame(canvas: Canvas, title: str) -> None:
    canvas.rect(0, 0, canvas.width, canvas.height, fill="#fff")
    canvas.text(LEFT, 22, title, size=13, font_weight="600")


def _y_label(canvas: Canvas, text: str) -> None:
    mid = (TOP + HEIGHT - BOTTOM) / 2
    canvas.text(16, mid, text, anchor="middle", transform=f"rotate(-90 16 {mid:.1f})")


def _points(
    canvas: Canvas,
    points: Sequence[ChartPoint],
    x_of: Callable[[ChartPoint], float],
    ys: Linear,
    *,
    flag: bool = False,
) -> None:
    # Public dots first, measured diamonds on top, so the user's own runs are never hidden.
    for p in sorted(points, key=lambda p: p.measured):
        x = x_of(p)
        if p.low is not None and p.high is not None:
            canvas.line(x, ys(p.low), x, ys(p.high), stroke="#ced4da", class_="interval")
        if p.measured:
            colour, shape, kind = MEASURED_COLOUR, "diamond", "measured"
        else:
            colour, shape, kind = PUBLIC_COLOUR, "dot", "public"
        if p.highlight:
            colour = p.colour or (
                FLAG_COLOUR if flag else colour if p.measured else FRONTIER_COLOUR
            )
            kind += " flagged" if flag else " frontier"
        canvas.point(
            x, ys(p.y), key=p.key, tip=p.tip or p.label, shape=shape, colour=colour, classes=kind
        )


def _legend(canvas: Canvas, items: Sequence[tuple[str, str]]) -> None:
    # On its own line under the title, so a long title never runs into it.
    x = float(LEFT)
    for colour, text in items:
        canvas.rect(x, 31, 9, 9, fill=colour)
        canvas.text(x + 13, 39, text, size=10, fill=MUTED)
        x += 5.6 * len(text) + 30

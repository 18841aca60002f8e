"""The report's other charts as inline SVG: win-probability heatmap, evolution, perf.

* :func:`heatmap_chart`: the chance each row model beats each column model (seed 000,
  figure 2), a diverging scale from blue (loses) through white (even) to red (wins).
* :func:`evolution_chart`: a figure over release date with the best-so-far line (figure 7).
* :func:`perf_chart`: throughput and p95 latency against concurrency, as
  :mod:`codejury.perf_plot` draws for one run, here from a stored run's levels.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from codejury.perf_plot import nice_ticks as zero_based_ticks
from codejury.report.svg import (
    FRONTIER_COLOUR,
    GRID,
    MEASURED_COLOUR,
    MUTED,
    PUBLIC_COLOUR,
    Canvas,
    Labels,
    Linear,
    esc,
    number,
    padded,
    short,
)

TOP = 40


def heatmap_chart(
    keys: Sequence[str], labels: Sequence[str], matrix: Sequence[Sequence[float]], title: str
) -> str:
    """``matrix[i][j]``: probability that row ``i`` beats column ``j``, shown in each cell."""
    n = len(keys)
    cell, left, top = 46, 200, 150
    # Room on the right for the last column's label, which is written at 45°.
    width, height = left + cell * n + 110, top + cell * n + 20
    canvas = Canvas(max(width, 420), height, title, "chart-heatmap")
    canvas.rect(0, 0, canvas.width, height, fill="#fff")
    canvas.text(12, 22, title, size=13, font_weight="600")
    canvas.text(12, 40, "row beats column", size=10, fill=MUTED)
    for j, label in enumerate(labels):
        x = left + j * cell + cell / 2
        canvas.text(
            x, top - 8, short(label, 24), size=10, transform=f"rotate(-45 {x:.1f} {top - 8})"
        )
    for i, label in enumerate(labels):
        y = top + i * cell
        canvas.text(left - 8, y + cell / 2 + 4, short(label, 30), anchor="end", size=10)
        for j in range(n):
            p = float(matrix[i][j])
            x = left + j * cell
            ink = "#fff" if abs(p - 0.5) > 0.3 else "#212529"
            canvas.add(
                f'<g class="point cell" data-key="{esc(keys[i])}" data-vs="{esc(keys[j])}">'
                f"<title>{esc(labels[i])} beats {esc(labels[j])}: {p:.1%}</title>"
                f'<rect x="{x:.1f}" y="{y:.1f}" width="{cell - 2}" height="{cell - 2}" '
                f'fill="{_diverging(p)}"/>'
                f'<text x="{x + cell / 2 - 1:.1f}" y="{y + cell / 2 + 3:.1f}" font-size="11" '
                f'text-anchor="middle" fill="{ink}">{p:.0%}</text></g>'
            )
    return canvas.render()


@dataclass(frozen=True)
class DatedPoint:
    """One model on the time axis: ``record`` when it set a new best."""

    key: str
    label: str
    date: str
    value: float
    best_so_far: float
    record: bool
    measured: bool = False


def evolution_chart(points: Sequence[DatedPoint], title: str, y_label: str) -> str:
    """The figure over release date, with the best-so-far step line; records labelled."""
    width, height, left, right, bottom = 760, 420, 64, 24, 56
    canvas = Canvas(width, height, title, "chart-evolution")
    canvas.rect(0, 0, width, height, fill="#fff")
    canvas.text(left, 22, title, size=13, font_weight="600")
    days = [_day(p.date) for p in points]
    xs = Linear(*padded(days, 0.04), left, width - right)
    ys = Linear(*padded([p.value for p in points]), height - bottom, TOP)
    for tick in ys.ticks():
        canvas.line(left, ys(tick), width - right, ys(tick), stroke=GRID)
        canvas.text(left - 6, ys(tick) + 4, number(tick), anchor="end", fill=MUTED)
    for year in range(
        dt.date.fromordinal(int(xs.lo)).year, dt.date.fromordinal(int(xs.hi)).year + 1
    ):
        for month in (1, 7):
            first = float(dt.date(year, month, 1).toordinal())
            if xs.lo <= first <= xs.hi:
                canvas.line(xs(first), TOP, xs(first), height - bottom, stroke=GRID)
                label = str(year) if month == 1 else f"{year}-07"
                canvas.text(xs(first), height - bottom + 16, label, anchor="middle", fill=MUTED)
    canvas.rect(
        left, TOP, width - left - right, height - bottom - TOP, fill="none", stroke="#adb5bd"
    )
    canvas.text(width / 2, height - 14, "release date", anchor="middle")
    mid = (TOP + height - bottom) / 2
    canvas.text(16, mid, y_label, anchor="middle", transform=f"rotate(-90 16 {mid:.1f})")
    steps: list[tuple[float, float]] = []
    for p, day in zip(points, days, strict=True):
        if steps:
            steps.append((xs(day), steps[-1][1]))
        steps.append((xs(day), ys(p.best_so_far)))
    canvas.polyline(steps, stroke=FRONTIER_COLOUR, stroke_width="2", class_="best-line")
    labels = Labels()
    for p, day in zip(points, days, strict=True):
        colour = MEASURED_COLOUR if p.measured else PUBLIC_COLOUR
        tip = f"{p.label}: {number(p.value)} (released {p.date})"
        kind = ("measured" if p.measured else "public") + (" record" if p.record else "")
        shape = "diamond" if p.measured else "dot"
        canvas.point(
            xs(day), ys(p.value), key=p.key, tip=tip, shape=shape, colour=colour, classes=kind
        )
        if p.record or p.measured:
            labels.place(canvas, xs(day), ys(p.value), short(p.label), FRONTIER_COLOUR)
    return canvas.render()


def perf_chart(levels: Sequence[tuple[int, float, float | None]], title: str, key: str) -> str:
    """Throughput (left axis) and p95 latency (right axis) per concurrency level.

    Args:
        levels: ``(concurrency, requests per second, p95 seconds or None)``, in order.
        title: Chart title.
        key: The model (``data-key`` of the points).
    """
    width, height, left, right, bottom = 640, 340, 64, 64, 50
    canvas = Canvas(width, height, title, "chart-perf")
    canvas.rect(0, 0, width, height, fill="#fff")
    canvas.text(left, 22, title, size=13, font_weight="600")
    plot_w, plot_b = width - left - right, height - bottom
    rps_ticks = zero_based_ticks(max(lv[1] for lv in levels))
    p95 = [lv[2] * 1000 for lv in levels if lv[2] is not None]
    ms_ticks = zero_based_ticks(max(p95) if p95 else 1.0)
    y_rps = Linear(0, rps_ticks[-1], plot_b, TOP)
    y_ms = Linear(0, ms_ticks[-1], plot_b, TOP)

    def x(i: int) -> float:
        return left + plot_w * (i + 0.5) / len(levels)

    for tick in rps_ticks:
        canvas.line(left, y_rps(tick), left + plot_w, y_rps(tick), stroke=GRID)
        canvas.text(left - 6, y_rps(tick) + 4, number(tick), anchor="end", fill=PUBLIC_COLOUR)
    for tick in ms_ticks:
        canvas.text(left + plot_w + 6, y_ms(tick) + 4, number(tick), fill=MEASURED_COLOUR)
    canvas.rect(left, TOP, plot_w, plot_b - TOP, fill="none", stroke="#adb5bd")
    for i, lv in enumerate(levels):
        canvas.text(x(i), plot_b + 16, str(lv[0]), anchor="middle", fill=MUTED)
    canvas.text(left + plot_w / 2, height - 12, "concurrency (requests in flight)", anchor="middle")
    mid = (TOP + plot_b) / 2
    canvas.text(
        16,
        mid,
        "requests/s",
        anchor="middle",
        fill=PUBLIC_COLOUR,
        transform=f"rotate(-90 16 {mid:.1f})",
    )
    rx = width - 14
    canvas.text(
        rx,
        mid,
        "p95 latency (ms)",
        anchor="middle",
        fill=MEASURED_COLOUR,
        transform=f"rotate(90 {rx} {mid:.1f})",
    )
    rps_points = [(x(i), y_rps(lv[1])) for i, lv in enumerate(levels)]
    canvas.polyline(rps_points, stroke=PUBLIC_COLOUR, stroke_width="2")
    ms_points = [(x(i), y_ms(lv[2] * 1000)) for i, lv in enumerate(levels) if lv[2] is not None]
    canvas.polyline(ms_points, stroke=MEASURED_COLOUR, stroke_width="2")
    for i, lv in enumerate(levels):
        tip = f"concurrency {lv[0]}: {lv[1]:.2f} requests/s"
        canvas.point(
            *rps_points[i],
            key=key,
            tip=tip,
            shape="dot",
            colour=PUBLIC_COLOUR,
            classes="throughput",
        )
        if lv[2] is not None:
            tip = f"concurrency {lv[0]}: p95 {lv[2] * 1000:.0f} ms"
            canvas.point(
                x(i),
                y_ms(lv[2] * 1000),
                key=key,
                tip=tip,
                shape="diamond",
                colour=MEASURED_COLOUR,
                classes="latency",
            )
    return canvas.render()


def _day(date: str) -> float:
    # A coarser date counts as its first day, as the catalog orders dates.
    year = int(date[:4])
    month = int(date[5:7]) if len(date) >= 7 else 1
    day = int(date[8:10]) if len(date) >= 10 else 1
    return float(dt.date(year, month, day).toordinal())


def _diverging(p: float) -> str:
    # 0 → blue, 0.5 → white, 1 → red, linear in each half.
    p = min(max(p, 0.0), 1.0)
    low, mid, high = (28, 126, 214), (255, 255, 255), (201, 42, 42)
    a, b, t = (low, mid, p / 0.5) if p < 0.5 else (mid, high, (p - 0.5) / 0.5)
    r, g, bl = (round(a[k] + (b[k] - a[k]) * t) for k in range(3))
    return f"#{r:02x}{g:02x}{bl:02x}"

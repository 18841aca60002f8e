"""One self-contained SVG: throughput and p95 latency against concurrency, on two axes.

Plain string building, no plotting library: the chart must render offline, in a report, in a
browser or on GitHub, and codejury should not pull in matplotlib for two lines. Levels are
spaced evenly along the x axis (they are usually 1, 2, 4, ...), labelled by concurrency.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING
from xml.sax.saxutils import escape

if TYPE_CHECKING:
    from codejury.perf import PerfResult

WIDTH, HEIGHT = 720, 420
LEFT, RIGHT, TOP, BOTTOM = 80, 80, 70, 60
THROUGHPUT_COLOUR = "#1f77b4"
LATENCY_COLOUR = "#d62728"
_FONT = 'font-family="sans-serif"'


def nice_ticks(top: float, count: int = 5) -> list[float]:
    """Round tick values from 0 to at least ``top`` (steps of 1, 2 or 5 times a power of ten)."""
    if not top > 0 or not math.isfinite(top):
        return [0.0, 1.0]
    raw = top / count
    power = 10 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 5, 10) if m * power >= raw)
    return [i * step for i in range(math.ceil(top / step - 1e-9) + 1)]


def render_plot(result: PerfResult) -> str:
    """The chart for ``result`` as an SVG document (a string)."""
    levels = result.levels
    title = f"{result.provider}/{result.model}: throughput and p95 latency vs concurrency"
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}" '
        f'viewBox="0 0 {WIDTH} {HEIGHT}" role="img">',
        f"<title>{escape(title)}</title>",
        f'<rect width="{WIDTH}" height="{HEIGHT}" fill="white"/>',
        _text(WIDTH / 2, 24, title, 'text-anchor="middle" font-weight="bold"', size=14),
    ]
    if not levels:
        parts.append(_text(WIDTH / 2, HEIGHT / 2, "no levels measured", 'text-anchor="middle"'))
        return "\n".join([*parts, "</svg>"])
    throughput = [level.requests_per_s for level in levels]
    p95_ms = [None if lv.latency is None else lv.latency.p95 * 1000 for lv in levels]
    target_ms = None if result.spec.p95_target_s is None else result.spec.p95_target_s * 1000
    left_ticks = nice_ticks(max(throughput))
    right_ticks = nice_ticks(max([v for v in p95_ms if v is not None] + [target_ms or 0.0]))
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM

    def x(index: int) -> float:
        return LEFT + plot_w * (index + 0.5) / len(levels)

    def y(value: float, ticks: Sequence[float]) -> float:
        return TOP + plot_h * (1 - value / ticks[-1])

    parts += _axes(left_ticks, right_ticks, plot_w, plot_h)
    for index, level in enumerate(levels):
        parts.append(
            _text(x(index), TOP + plot_h + 18, str(level.concurrency), 'text-anchor="middle"')
        )
    parts.append(
        _text(
            LEFT + plot_w / 2,
            HEIGHT - 14,
            "concurrency (requests in flight)",
            'text-anchor="middle"',
        )
    )
    if target_ms is not None:
        ty = y(target_ms, right_ticks)
        parts.append(
            f'<line x1="{LEFT}" y1="{ty:.1f}" x2="{LEFT + plot_w}" y2="{ty:.1f}" '
            f'stroke="{LATENCY_COLOUR}" stroke-dasharray="2 4"/>'
        )
        parts.append(
            _text(
                LEFT + plot_w - 4,
                ty - 4,
                f"p95 target {target_ms:g} ms",
                f'text-anchor="end" fill="{LATENCY_COLOUR}"',
            )
        )
    if result.saturation is not None:
        where = next(
            i for i, lv in enumerate(levels) if lv.concurrency == result.saturation.concurrency
        )
        sx = x(where)
        parts.append(
            f'<line x1="{sx:.1f}" y1="{TOP}" x2="{sx:.1f}" y2="{TOP + plot_h}" '
            'stroke="#555" stroke-dasharray="6 4"/>'
        )
        label = "saturated: " + ", ".join(result.saturation.rules)
        # Written on whichever side of the line has room for it.
        right_half = sx > LEFT + plot_w / 2
        anchor = 'text-anchor="end" fill="#555"' if right_half else 'fill="#555"'
        parts.append(_text(sx - 4 if right_half else sx + 4, TOP + 12, label, anchor))
    points = [(x(i), y(v, left_ticks)) for i, v in enumerate(throughput)]
    parts += _series(points, THROUGHPUT_COLOUR, "circle")
    latency_points = [(x(i), y(v, right_ticks)) for i, v in enumerate(p95_ms) if v is not None]
    parts += _series(latency_points, LATENCY_COLOUR, "square")
    parts += _legend()
    return "\n".join([*parts, "</svg>"])


def _axes(left: Sequence[float], right: Sequence[float], plot_w: float, plot_h: float) -> list[str]:
    out = [
        f'<rect x="{LEFT}" y="{TOP}" width="{plot_w}" height="{plot_h}" fill="none" stroke="#333"/>'
    ]
    for tick in left:
        ty = TOP + plot_h * (1 - tick / left[-1])
        out.append(
            f'<line x1="{LEFT}" y1="{ty:.1f}" x2="{LEFT + plot_w}" y2="{ty:.1f}" stroke="#eee"/>'
        )
        out.append(
            _text(LEFT - 6, ty + 4, _number(tick), f'text-anchor="end" fill="{THROUGHPUT_COLOUR}"')
        )
    for tick in right:
        ty = TOP + plot_h * (1 - tick / right[-1])
        out.append(_text(LEFT + plot_w + 6, ty + 4, _number(tick), f'fill="{LATENCY_COLOUR}"'))
    mid = TOP + plot_h / 2
    out.append(
        _text(
            18,
            mid,
            "throughput (requests/s)",
            f'text-anchor="middle" fill="{THROUGHPUT_COLOUR}" transform="rotate(-90 18 {mid:.1f})"',
        )
    )
    rx = WIDTH - 18
    out.append(
        _text(
            rx,
            mid,
            "p95 latency (ms)",
            f'text-anchor="middle" fill="{LATENCY_COLOUR}" transform="rotate(90 {rx} {mid:.1f})"',
        )
    )
    return out


def _series(points: Sequence[tuple[float, float]], colour: str, marker: str) -> list[str]:
    if not points:
        return []
    path = " ".join(f"{px:.1f},{py:.1f}" for px, py in points)
    out = [f'<polyline points="{path}" fill="none" stroke="{colour}" stroke-width="2"/>']
    for px, py in points:
        if marker == "circle":
            out.append(f'<circle cx="{px:.1f}" cy="{py:.1f}" r="4" fill="{colour}"/>')
        else:
            out.append(
                f'<rect x="{px - 4:.1f}" y="{py - 4:.1f}" width="8" height="8" fill="{colour}"/>'
            )
    return out


def _legend() -> list[str]:
    y0 = 46
    return [
        f'<circle cx="{LEFT + 8}" cy="{y0 - 4}" r="4" fill="{THROUGHPUT_COLOUR}"/>',
        _text(LEFT + 18, y0, "throughput (requests/s, left)", ""),
        f'<rect x="{LEFT + 240}" y="{y0 - 8}" width="8" height="8" fill="{LATENCY_COLOUR}"/>',
        _text(LEFT + 254, y0, "p95 latency (ms, right)", ""),
    ]


def _text(x: float, y: float, text: str, attributes: str, size: int = 12) -> str:
    extra = f" {attributes}" if attributes else ""
    return f'<text x="{x:.1f}" y="{y:.1f}" {_FONT} font-size="{size}"{extra}>{escape(text)}</text>'


def _number(value: float) -> str:
    return f"{value:,.0f}" if value >= 10 or value == 0 else f"{value:g}"

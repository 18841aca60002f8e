"""Hand-written SVG: scales, ticks and a canvas that escapes every piece of text.

The report must open offline with no script and no request, so its charts are plain inline SVG
built as strings: no plotting library, no JavaScript, no web font. Model names are hostile
input (anyone can name a model ``<script>``): every text and attribute value goes through
:func:`esc` here, and nothing else writes markup, so a chart is safe to inline as is.
"""

from __future__ import annotations

import html
import math
from collections.abc import Sequence
from dataclasses import dataclass, field

FONT = "system-ui, -apple-system, 'Segoe UI', sans-serif"
MEASURED_COLOUR = "#d9480f"
PUBLIC_COLOUR = "#1c7ed6"
FRONTIER_COLOUR = "#2b8a3e"
FLAG_COLOUR = "#c92a2a"
MUTED = "#868e96"
GRID = "#e9ecef"


def esc(text: object) -> str:
    """Text safe inside an SVG/HTML element or a quoted attribute."""
    return html.escape(str(text), quote=True)


def short(text: str, limit: int = 28) -> str:
    """``text`` cut to ``limit`` characters with an ellipsis."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


@dataclass(frozen=True)
class Linear:
    """Map ``[lo, hi]`` onto pixels ``[a, b]`` (``b < a`` for a y axis)."""

    lo: float
    hi: float
    a: float
    b: float

    def __call__(self, value: float) -> float:
        span = self.hi - self.lo
        t = 0.5 if span == 0 else (value - self.lo) / span
        return self.a + t * (self.b - self.a)

    def ticks(self, count: int = 5) -> list[float]:
        """Round values inside ``[lo, hi]``, about ``count`` of them."""
        return nice_ticks(self.lo, self.hi, count)


@dataclass(frozen=True)
class Log:
    """Map positive ``[lo, hi]`` onto pixels ``[a, b]`` on a log10 scale."""

    lo: float
    hi: float
    a: float
    b: float

    def __call__(self, value: float) -> float:
        lo, hi = math.log10(self.lo), math.log10(self.hi)
        t = 0.5 if hi == lo else (math.log10(max(value, self.lo)) - lo) / (hi - lo)
        return self.a + t * (self.b - self.a)

    def ticks(self) -> list[float]:
        """1, 2 and 5 times each power of ten inside the domain (decades only when crowded)."""
        first, last = math.floor(math.log10(self.lo)), math.ceil(math.log10(self.hi))
        steps = (1.0,) if last - first > 4 else (1.0, 2.0, 5.0)
        values = [m * 10.0**p for p in range(first, last + 1) for m in steps]
        return [v for v in values if self.lo * 0.999 <= v <= self.hi * 1.001]


def nice_ticks(lo: float, hi: float, count: int = 5) -> list[float]:
    """Round tick values (steps of 1, 2 or 5 times a power of ten) covering ``[lo, hi]``."""
    if not (math.isfinite(lo) and math.isfinite(hi)) or hi <= lo:
        return [lo] if math.isfinite(lo) else [0.0]
    raw = (hi - lo) / max(count, 1)
    power = 10 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 5, 10) if m * power >= raw)
    start = math.ceil(lo / step - 1e-9) * step
    out = []
    value = start
    while value <= hi + step * 1e-9:
        out.append(round(value, 10))
        value += step
    return out


def padded(values: Sequence[float], share: float = 0.05) -> tuple[float, float]:
    """``(min, max)`` of ``values`` widened by ``share`` of the span on each side."""
    lo, hi = min(values), max(values)
    pad = (hi - lo) * share or max(abs(hi) * share, 1.0)
    return lo - pad, hi + pad


def number(value: float) -> str:
    """A tick label: thousands separated, small values with their digits."""
    if value == 0:
        return "0"
    if abs(value) >= 100:
        return f"{value:,.0f}"
    if abs(value) >= 1:
        return f"{value:g}"
    return f"{value:.3g}"


@dataclass
class Canvas:
    """An SVG document under construction.

    Attributes:
        width: Pixels.
        height: Pixels.
        title: Accessible title (also shown as a tooltip).
        kind: A class naming the chart (``chart-pareto``...), for styling and tests.
    """

    width: int
    height: int
    title: str
    kind: str
    parts: list[str] = field(default_factory=list)

    def add(self, markup: str) -> None:
        """Append markup built by this class's helpers (never raw user text)."""
        self.parts.append(markup)

    def text(
        self, x: float, y: float, text: str, *, anchor: str = "start", size: int = 11, **attrs: str
    ) -> None:
        """A text element; ``attrs`` become attributes (``fill``, ``transform``, ``class_``)."""
        self.add(
            f'<text x="{x:.1f}" y="{y:.1f}" font-size="{size}" text-anchor="{anchor}"'
            f"{_attrs(attrs)}>{esc(text)}</text>"
        )

    def line(self, x1: float, y1: float, x2: float, y2: float, **attrs: str) -> None:
        """A line; ``stroke`` defaults to grey."""
        attrs.setdefault("stroke", MUTED)
        self.add(f'<line x1="{x1:.1f}" y1="{y1:.1f}" x2="{x2:.1f}" y2="{y2:.1f}"{_attrs(attrs)}/>')

    def rect(self, x: float, y: float, w: float, h: float, **attrs: str) -> None:
        """A rectangle."""
        self.add(
            f'<rect x="{x:.1f}" y="{y:.1f}" width="{max(w, 0):.1f}" height="{max(h, 0):.1f}"'
            f"{_attrs(attrs)}/>"
        )

    def polyline(self, points: Sequence[tuple[float, float]], **attrs: str) -> None:
        """An open line through ``points``."""
        if len(points) < 2:
            return
        path = " ".join(f"{x:.1f},{y:.1f}" for x, y in points)
        attrs.setdefault("fill", "none")
        self.add(f'<polyline points="{path}"{_attrs(attrs)}/>')

    def point(
        self, x: float, y: float, *, key: str, tip: str, shape: str, colour: str, classes: str
    ) -> None:
        """One data point: a group with a marker and a tooltip, ``data-key`` set to ``key``."""
        if shape == "diamond":
            marker = (
                f'<path d="M{x:.1f},{y - 6:.1f} L{x + 6:.1f},{y:.1f} L{x:.1f},{y + 6:.1f} '
                f'L{x - 6:.1f},{y:.1f} Z" fill="{colour}" stroke="#fff" stroke-width="1"/>'
            )
        else:
            marker = (
                f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3.6" fill="{colour}" '
                'fill-opacity="0.75" stroke="#fff" stroke-width="0.6"/>'
            )
        self.add(
            f'<g class="point {esc(classes)}" data-key="{esc(key)}"><title>{esc(tip)}</title>'
            f"{marker}</g>"
        )

    def render(self) -> str:
        """The ``<svg>`` element."""
        head = (
            f'<svg xmlns="http://www.w3.org/2000/svg" class="chart {esc(self.kind)}" '
            f'viewBox="0 0 {self.width} {self.height}" width="{self.width}" '
            f'height="{self.height}" role="img" aria-label="{esc(self.title)}" '
            f'font-family="{esc(FONT)}"><title>{esc(self.title)}</title>'
        )
        return head + "".join(self.parts) + "</svg>"


def _attrs(attrs: dict[str, str]) -> str:
    # ``class_`` → ``class``; other underscores → hyphens (stroke_width → stroke-width).
    out = []
    for name, value in attrs.items():
        attr = "class" if name == "class_" else name.replace("_", "-")
        out.append(f' {attr}="{esc(value)}"')
    return "".join(out)


@dataclass
class Labels:
    """Places short labels beside points without overlapping earlier ones (when it can)."""

    placed: list[tuple[float, float, float, float]] = field(default_factory=list)

    def place(self, canvas: Canvas, x: float, y: float, text: str, colour: str) -> None:
        """Write ``text`` near ``(x, y)`` at the first free spot of four, else the first."""
        width, height = 6.2 * len(text), 12.0
        options = ((7, -5, "start"), (7, 13, "start"), (-7, -5, "end"), (-7, 13, "end"))
        chosen = options[0]
        for dx, dy, anchor in options:
            box = _box(x + dx, y + dy, width, height, anchor)
            if (
                box[0] >= 0
                and box[2] <= canvas.width
                and not any(_hit(box, b) for b in self.placed)
            ):
                chosen = (dx, dy, anchor)
                break
        dx, dy, anchor = chosen
        self.placed.append(_box(x + dx, y + dy, width, height, anchor))
        canvas.text(x + dx, y + dy, text, anchor=anchor, fill=colour, class_="label")


def _box(x: float, y: float, w: float, h: float, anchor: str) -> tuple[float, float, float, float]:
    left = x - w if anchor == "end" else x
    return (left, y - h + 2, left + w, y + 2)


def _hit(a: tuple[float, float, float, float], b: tuple[float, float, float, float]) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]

"""The SVG chart: well-formed, self-contained, and drawn from the numbers it is given."""

from __future__ import annotations

import asyncio
import xml.etree.ElementTree as ET

import pytest

from codejury.perf import PerfResult, PerfSpec, render_plot, run_perf
from codejury.perf_plot import nice_ticks
from codejury.perf_stats import LevelStats, Saturation, Summary
from codejury.providers.base import GenerationRequest
from codejury.providers.mock import MockProvider

SVG = "{http://www.w3.org/2000/svg}"
REQUEST = GenerationRequest(prompt="x")


def level(concurrency: int, rps: float, p95: float | None) -> LevelStats:
    latency = None if p95 is None else Summary(10, p95, p95, p95, p95, p95, p95)
    return LevelStats(concurrency, 10.0, 10, 10, 0, 0.0, {}, 0, rps, None, latency, latency)


def result(levels: list[LevelStats], saturation: Saturation | None = None) -> PerfResult:
    spec = PerfSpec(
        (REQUEST,), concurrency=tuple(lv.concurrency for lv in levels), p95_target_s=0.5
    )
    return PerfResult(
        "llamacpp", "qwen<7b>&co", "LeanOpenAIClient", spec, tuple(levels), saturation, "t"
    )


def points(polyline: ET.Element) -> list[tuple[float, float]]:
    pairs = [p.split(",") for p in polyline.attrib["points"].split()]
    return [(float(x), float(y)) for x, y in pairs]


def test_two_series_on_two_axes() -> None:
    levels = [level(1, 10, 0.1), level(2, 20, 0.15), level(4, 35, 0.3), level(8, 36, None)]
    saturation = Saturation(8, 4, ("throughput",), "flat")
    svg = render_plot(result(levels, saturation))
    root = ET.fromstring(svg)  # well-formed XML, nothing external to load
    assert root.tag == f"{SVG}svg"
    assert "href" not in svg and "<script" not in svg
    throughput, latency = root.findall(f"{SVG}polyline")
    rps = points(throughput)
    assert len(rps) == 4
    assert [x for x, _ in rps] == sorted(x for x, _ in rps)
    # Higher throughput is drawn higher (smaller y), on a linear scale.
    ys = [y for _, y in rps]
    assert ys[0] > ys[1] > ys[2] > ys[3]
    assert (ys[0] - ys[1]) / (ys[1] - ys[2]) == pytest.approx((20 - 10) / (35 - 20), rel=0.01)
    assert len(points(latency)) == 3  # the level without successes has no p95 point
    texts = [t.text or "" for t in root.iter(f"{SVG}text")]
    assert "llamacpp/qwen<7b>&co: throughput and p95 latency vs concurrency" in texts
    assert [t for t in texts if t in {"1", "2", "4", "8"}][-4:] == ["1", "2", "4", "8"]
    assert "saturated: throughput" in texts
    assert "p95 target 500 ms" in texts


def test_latency_axis_scaled_to_its_own_data() -> None:
    svg = render_plot(result([level(1, 1000, 0.02), level(2, 2000, 0.04)]))
    root = ET.fromstring(svg)
    _, latency = root.findall(f"{SVG}polyline")
    (_, y1), (_, y2) = points(latency)
    assert y2 < y1  # 40 ms above 20 ms on the right axis, whatever the throughput scale


def test_plot_of_a_real_run() -> None:
    spec = PerfSpec((REQUEST,), concurrency=(1, 2), requests_per_level=10, warmup_s=0.0)
    measured = asyncio.run(run_perf(MockProvider(latency_s=0.002), spec))
    root = ET.fromstring(render_plot(measured))
    assert len(root.findall(f"{SVG}polyline")) == 2


def test_empty_result_still_renders() -> None:
    spec = PerfSpec((REQUEST,))
    svg = render_plot(PerfResult("mock", "m", "MockProvider", spec, (), None, "t"))
    assert "no levels measured" in svg
    ET.fromstring(svg)


@pytest.mark.parametrize(
    ("top", "expected"),
    [
        (36, [0, 10, 20, 30, 40]),
        (1280, [0, 500, 1000, 1500]),
        (0.3, [0, 0.1, 0.2, 0.3]),
        (0, [0, 1]),
    ],
)
def test_nice_ticks(top: float, expected: list[float]) -> None:
    assert nice_ticks(top) == pytest.approx(expected)

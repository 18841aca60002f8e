"""Per-level figures and the saturation rule, on samples with hand-computed answers."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from codejury.errors import ConfigError
from codejury.perf import PerfSpec, synthetic_requests
from codejury.perf_stats import (
    LATENCY_RULE,
    THROUGHPUT_RULE,
    LevelStats,
    Sample,
    SaturationRule,
    Summary,
    detect_saturation,
    error_kind,
    level_stats,
    percentile,
)
from codejury.providers.base import GenerationRequest, ProviderBadResponseError


@given(
    st.lists(st.floats(0, 1e4, allow_nan=False), min_size=1, max_size=60),
    st.floats(0, 100),
)
def test_percentile_matches_numpy_linear(values: list[float], q: float) -> None:
    expected = float(np.percentile(values, q, method="linear"))
    assert percentile(sorted(values), q) == pytest.approx(expected, rel=1e-9, abs=1e-9)


def test_percentile_rejects_nonsense() -> None:
    with pytest.raises(ValueError):
        percentile([], 50)
    with pytest.raises(ValueError):
        percentile([1.0], 101)


def test_summary_of_known_latencies() -> None:
    # 1..100 ms: mean 50.5, p50 50.5, p95 95.05, p99 99.01 (rank (n-1)q/100).
    summary = Summary.of([i / 1000 for i in range(100, 0, -1)])
    assert summary is not None
    assert summary.count == 100
    assert summary.mean == pytest.approx(0.0505)
    assert summary.p50 == pytest.approx(0.0505)
    assert summary.p95 == pytest.approx(0.09505)
    assert summary.p99 == pytest.approx(0.09901)
    assert (summary.min, summary.max) == (0.001, 0.1)
    assert Summary.of([]) is None


def test_level_stats_counts_the_right_requests() -> None:
    # Window 10..20 s. Latency/TTFT/errors: requests *started* in the window. Throughput:
    # successes *finished* in it.
    samples = [
        Sample(9.0, 10.5, 0.2, 100),  # warm-up start: excluded from latency, counted in rps
        Sample(9.5, 9.9, 0.1, 100),  # warm-up, finished before the window: nowhere
        Sample(10.0, 11.0, 0.25, 50),  # measured: latency 1.0
        Sample(12.0, 14.0, 0.5, 70),  # measured: latency 2.0
        Sample(15.0, 15.1, error="ProviderBadResponseError (HTTP 500)"),
        Sample(16.0, 16.2, error="ProviderCallTimeoutError"),
        Sample(17.0, 20.0, None, None),  # measured; finishes on the edge; no ttft/tokens
        Sample(19.0, 23.0, 0.5, 90),  # started in the window, finished after: latency only
    ]
    stats = level_stats(8, samples, 10.0, 20.0)
    assert stats.concurrency == 8
    assert stats.window_s == 10.0
    assert stats.warmup_excluded == 2
    assert (stats.requests, stats.succeeded, stats.errors) == (6, 4, 2)
    assert stats.error_rate == pytest.approx(2 / 6)
    assert stats.error_kinds == {
        "ProviderBadResponseError (HTTP 500)": 1,
        "ProviderCallTimeoutError": 1,
    }
    # Finished in [10, 20] successfully: the 10.5, 11.0, 14.0 and 20.0 ones.
    assert stats.requests_per_s == pytest.approx(0.4)
    assert stats.output_tokens_per_s == pytest.approx((100 + 50 + 70) / 10)
    assert stats.latency is not None and stats.ttft is not None
    assert stats.latency.count == 4
    assert stats.latency.mean == pytest.approx((1.0 + 2.0 + 3.0 + 4.0) / 4)
    assert stats.latency.max == pytest.approx(4.0)
    assert stats.ttft.count == 3
    assert stats.ttft.mean == pytest.approx((0.25 + 0.5 + 0.5) / 3)
    json.dumps(stats.as_dict())  # JSON-ready


def test_level_stats_without_successes_or_token_counts() -> None:
    samples = [Sample(1.0, 1.1, error="X"), Sample(1.2, 1.3, error="X")]
    stats = level_stats(1, samples, 0.0, 2.0)
    assert stats.latency is None and stats.ttft is None
    assert stats.error_rate == 1.0
    assert stats.requests_per_s == 0.0
    assert stats.output_tokens_per_s is None
    with pytest.raises(ValueError):
        level_stats(1, samples, 2.0, 2.0)


def level(concurrency: int, rps: float, p95: float | None) -> LevelStats:
    latency = None if p95 is None else Summary(10, p95 / 2, p95 / 2, p95, p95, 0.0, p95)
    return LevelStats(concurrency, 10.0, 10, 10, 0, 0.0, {}, 0, rps, None, latency, latency)


def test_saturation_throughput_rule_compares_with_the_previous_level() -> None:
    levels = [level(1, 10, 0.1), level(2, 19, 0.1), level(4, 20.8, 0.1), level(8, 30, 0.1)]
    found = detect_saturation(levels, SaturationRule())
    assert found is not None
    assert (found.concurrency, found.last_good, found.rules) == (4, 2, (THROUGHPUT_RULE,))
    assert "+9.5 %" in found.reason
    # Exactly +10 % is growth enough; a looser rule lets the same levels pass.
    assert detect_saturation([level(1, 10, 0.1), level(2, 11, 0.1)], SaturationRule()) is None
    assert detect_saturation(levels, SaturationRule(min_growth=0.05)) is None


def test_saturation_latency_rule_and_both_rules() -> None:
    levels = [level(1, 10, 0.1), level(2, 20, 0.2), level(4, 21, 0.4)]
    found = detect_saturation(levels, SaturationRule(p95_target_s=0.15))
    assert found is not None
    assert (found.concurrency, found.last_good, found.rules) == (2, 1, (LATENCY_RULE,))
    assert "p95 200.0 ms > target 150.0 ms" in found.reason
    both = detect_saturation(levels, SaturationRule(p95_target_s=0.3))
    assert both is not None
    assert (both.concurrency, both.rules) == (4, (LATENCY_RULE, THROUGHPUT_RULE))
    first = detect_saturation(levels, SaturationRule(p95_target_s=0.05))
    assert first is not None and (first.concurrency, first.last_good) == (1, None)


def test_saturation_level_without_successes() -> None:
    levels = [level(1, 10, 0.1), level(2, 0, None)]
    found = detect_saturation(levels, SaturationRule(p95_target_s=1.0))
    assert found is not None
    assert found.rules == (LATENCY_RULE, THROUGHPUT_RULE)
    assert "no request succeeded" in found.reason
    assert detect_saturation([level(1, 0, None), level(2, 0, None)], SaturationRule()) is not None


def test_no_saturation_while_throughput_grows() -> None:
    levels = [level(c, 10.0 * c, 0.1) for c in (1, 2, 4, 8)]
    assert detect_saturation(levels, SaturationRule(p95_target_s=0.5)) is None


def test_error_kind_names_class_and_status() -> None:
    assert error_kind(ProviderBadResponseError("x", status=503)) == (
        "ProviderBadResponseError (HTTP 503)"
    )
    assert error_kind(TimeoutError()) == "TimeoutError"


REQUEST = GenerationRequest(prompt="x")


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"requests": ()}, "at least one prompt"),
        ({"concurrency": (1, 4, 2)}, "strictly increasing"),
        ({"concurrency": (0, 1)}, "positive"),
        ({"duration_s": None}, "duration"),
        ({"duration_s": -1.0}, "duration must be positive"),
        ({"requests_per_level": 0}, "at least 1"),
        ({"warmup_s": math.inf}, "warm-up"),
        ({"p95_target_s": 0.0}, "target"),
        ({"max_tokens": 0}, "max_tokens"),
    ],
)
def test_spec_rejects_bad_settings(changes: dict[str, object], message: str) -> None:
    settings: dict[str, object] = {"requests": (REQUEST,), **changes}
    with pytest.raises(ConfigError, match=message):
        PerfSpec(**settings)  # type: ignore[arg-type]


def test_spec_as_dict_is_json_ready() -> None:
    spec = PerfSpec((REQUEST, REQUEST), concurrency=(1, 2), requests_per_level=5)
    data = json.loads(json.dumps(spec.as_dict()))
    assert data["prompts"] == 2 and data["concurrency"] == [1, 2]
    assert data["requests_per_level"] == 5 and "requests" not in data


def test_synthetic_requests_follow_the_length_profile() -> None:
    made = synthetic_requests([10, 200, 50], max_tokens=32, seed=3)
    assert [len(r.text.split()) for r in made] == [10, 200, 50]
    assert all(r.max_tokens == 32 and r.messages is not None for r in made)
    assert len({r.text for r in made}) == 3
    assert made == synthetic_requests([10, 200, 50], max_tokens=32, seed=3)
    plain = synthetic_requests([20], style="completion")
    assert plain[0].prompt is not None
    with pytest.raises(ConfigError):
        synthetic_requests([0])

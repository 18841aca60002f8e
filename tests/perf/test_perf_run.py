"""The closed-loop load generator end to end, against real local HTTP servers.

Servers pace their answers with real sleeps (see ``fake_llm_server.py``), so the expected
figures follow from their :class:`Speed`; tolerances leave room for a busy 2-core machine.
"""

from __future__ import annotations

import asyncio
import json

import pytest
from fake_llm_server import FAIL_MARKER, FakeLLMServer, Serve

from codejury.errors import AuthError
from codejury.perf import PerfProgress, PerfResult, PerfSpec, measure_model, run_perf
from codejury.perf_client import LeanOpenAIClient, WireSettings
from codejury.perf_stats import LATENCY_RULE, THROUGHPUT_RULE
from codejury.providers.base import GenerationRequest, Message, ProviderAuthError
from codejury.providers.mock import MockProvider
from codejury.providers.retry import RetryingProvider, RetryPolicy

HELLO = GenerationRequest(messages=(Message("user", "hello"),), max_tokens=8)
FAILING = GenerationRequest(messages=(Message("user", f"{FAIL_MARKER} hello"),), max_tokens=8)


def lean(server: FakeLLMServer) -> LeanOpenAIClient:
    return LeanOpenAIClient(WireSettings(server.url, "fake", name="fake"))


def measure(server: FakeLLMServer, spec: PerfSpec) -> PerfResult:
    async def go() -> PerfResult:
        client = lean(server)
        try:
            return await run_perf(client, spec)
        finally:
            await client.aclose()

    return asyncio.run(go())


def sent(result: PerfResult) -> int:
    return sum(level.requests + level.warmup_excluded for level in result.levels)


def test_keeps_exactly_c_requests_in_flight_and_measures_latency(serve: Serve) -> None:
    server = serve(ttft_s=0.04, token_gap_s=0.01, tokens=4)
    spec = PerfSpec((HELLO,), concurrency=(6,), duration_s=1.0, warmup_s=0.2)
    result = measure(server, spec)
    stats = result.levels[0]
    assert server.max_in_service == 6
    assert stats.errors == 0 and stats.succeeded > 0
    assert stats.latency is not None and stats.ttft is not None
    # First token after 40 ms, the last of 4 tokens 30 ms later. (Upper bounds are loose: a
    # shared machine can stall this process for a few hundred ms.)
    assert 0.040 <= stats.ttft.p50 < 0.070
    assert 0.070 <= stats.latency.p50 < 0.110
    assert 0.028 <= stats.latency.p50 - stats.ttft.p50 < 0.050
    # Closed loop, Little's law: throughput = requests in flight / mean latency.
    assert stats.requests_per_s <= 6 / 0.070
    assert stats.requests_per_s == pytest.approx(6 / stats.latency.mean, rel=0.2)
    assert stats.output_tokens_per_s == pytest.approx(4 * stats.requests_per_s)
    # Every request reached the server: nothing served from a cache, nothing lost.
    assert server.requests == sent(result) == server.answered


def test_saturation_detected_on_a_server_that_serves_two_at_a_time(serve: Serve) -> None:
    # A deliberately slow server: 50 ms per answer, at most 2 at once, the rest queue. Its
    # throughput tops out at 2 / 0.05 = 40 requests/s, reached at concurrency 2. The growth
    # threshold is 25 % rather than 10 % so that a stall of this process on a busy machine
    # cannot pass for growth: 1 -> 2 doubles, 2 -> 8 stays flat.
    server = serve(ttft_s=0.05, capacity=2)
    spec = PerfSpec(
        (HELLO,),
        concurrency=(1, 2, 8),
        duration_s=1.5,
        warmup_s=0.3,
        p95_target_s=0.12,
        min_growth=0.25,
    )
    result = measure(server, spec)
    one, two, eight = result.levels
    assert one.requests_per_s == pytest.approx(20, rel=0.2)
    assert two.requests_per_s == pytest.approx(40, rel=0.2)
    assert eight.requests_per_s == pytest.approx(40, rel=0.1)
    assert eight.latency is not None and eight.latency.p50 > 0.15  # queued behind 6 others
    assert server.max_in_service == 2
    saturation = result.saturation
    assert saturation is not None
    assert (saturation.concurrency, saturation.last_good) == (8, 2)
    assert saturation.rules == (LATENCY_RULE, THROUGHPUT_RULE)
    data = json.loads(json.dumps(result.as_dict()))
    assert data["saturation"]["rules"] == ["p95_latency", "throughput"]
    assert [lv["concurrency"] for lv in data["levels"]] == [1, 2, 8]


def test_stop_at_saturation_skips_higher_levels(serve: Serve) -> None:
    server = serve(ttft_s=0.03, capacity=1)
    spec = PerfSpec(
        (HELLO,),
        concurrency=(1, 2, 4, 8),
        duration_s=0.8,
        warmup_s=0.1,
        min_growth=0.4,  # serialised: 1 -> 2 gains nothing; the margin absorbs stalls
        stop_at_saturation=True,
    )
    result = measure(server, spec)
    assert [lv.concurrency for lv in result.levels] == [1, 2]
    assert result.saturation is not None and result.saturation.rules == (THROUGHPUT_RULE,)


def test_errors_counted_by_kind_and_never_retried(serve: Serve) -> None:
    server = serve(ttft_s=0.01)
    spec = PerfSpec((HELLO, FAILING), concurrency=(1, 2), requests_per_level=30, warmup_s=0.0)

    async def go() -> PerfResult:
        # Wrapped as open_model() wraps it: perf must bypass the retry loop.
        wrapped = RetryingProvider(lean(server), policy=RetryPolicy(attempts=5))
        try:
            return await run_perf(wrapped, spec)
        finally:
            await wrapped.aclose()

    result = asyncio.run(go())
    for stats in result.levels:
        assert stats.requests >= 30
        assert stats.errors + stats.succeeded == stats.requests
        assert stats.error_rate == pytest.approx(0.5, abs=0.1)
        assert stats.error_kinds == {"ProviderBadResponseError (HTTP 500)": stats.errors}
        assert stats.latency is not None and stats.latency.count == stats.succeeded
    assert server.failed == sum(lv.errors for lv in result.levels)
    assert server.requests == sent(result)  # one attempt per request: no retries
    assert result.client == "LeanOpenAIClient"
    assert any("retry loop" in note for note in result.notes)


def test_warmup_requests_are_left_out(serve: Serve) -> None:
    # The first request takes 1 s longer (a model loading): only warm-up hides it.
    spec_cold = PerfSpec((HELLO,), concurrency=(2,), duration_s=1.0, warmup_s=0.0)
    cold = measure(serve(ttft_s=0.02, cold_start_s=1.0), spec_cold).levels[0]
    spec_warm = PerfSpec((HELLO,), concurrency=(2,), duration_s=0.6, warmup_s=1.2)
    warm = measure(serve(ttft_s=0.02, cold_start_s=1.0), spec_warm).levels[0]
    assert cold.warmup_excluded == 0
    assert cold.latency is not None and cold.latency.max >= 1.0
    assert warm.warmup_excluded >= 10
    assert warm.latency is not None and warm.latency.max < 0.6
    assert warm.latency.p50 < 0.05


def test_request_count_closes_the_window(serve: Serve) -> None:
    server = serve(ttft_s=0.01)
    spec = PerfSpec((HELLO,), concurrency=(4,), duration_s=30.0, requests_per_level=40)
    stats = measure(server, spec).levels[0]
    assert 40 <= stats.requests < 40 + 4  # those in flight at the close still count
    assert stats.window_s < 2.0


def test_max_tokens_override_reaches_the_server(serve: Serve) -> None:
    server = serve(ttft_s=0.005, tokens=6)
    spec = PerfSpec((HELLO,), concurrency=(1,), requests_per_level=5, warmup_s=0, max_tokens=2)
    stats = measure(server, spec).levels[0]
    assert stats.output_tokens_per_s == pytest.approx(2 * stats.requests_per_s)


def test_auth_failure_stops_the_run() -> None:
    provider = MockProvider(fail_first=10**6, error=lambda: ProviderAuthError("key refused"))
    spec = PerfSpec((HELLO,), concurrency=(4,), duration_s=5.0, warmup_s=0.0)
    with pytest.raises(AuthError, match="key refused"):
        asyncio.run(run_perf(provider, spec))
    assert len(provider.calls) == 4  # the first failure cancelled the other workers


def test_progress_reports_each_level() -> None:
    events: list[PerfProgress] = []
    spec = PerfSpec((HELLO,), concurrency=(1, 3), requests_per_level=20, warmup_s=0.05)
    asyncio.run(run_perf(MockProvider(latency_s=0.005), spec, events.append))
    done = [e for e in events if e.phase == "done"]
    assert [e.concurrency for e in done] == [1, 3]
    assert all(e.stats is not None and e.stats.concurrency == e.concurrency for e in done)
    assert events[0].phase == "warmup"


@pytest.mark.parametrize("use_lean", [True, False])
def test_measure_model_from_codejury_toml(serve: Serve, use_lean: bool) -> None:
    server = serve(ttft_s=0.02)
    models: dict[str, dict[str, object]] = {
        "fast": {"provider": "llamacpp", "model": "fake", "base_url": server.url}
    }
    spec = PerfSpec((HELLO,), concurrency=(2,), requests_per_level=20, warmup_s=0.1)
    result = asyncio.run(measure_model("fast", models, spec, lean=use_lean))
    assert result.client == ("LeanOpenAIClient" if use_lean else "OpenAICompatProvider")
    assert (result.provider, result.model) == ("llamacpp", "fake")
    stats = result.levels[0]
    assert stats.errors == 0 and stats.latency is not None
    assert 0.02 <= stats.latency.p50 < 0.08
    assert server.requests == sent(result)

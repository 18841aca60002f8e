"""The retry loop and the limiter, without a network: fake clocks, recorded sleeps, the mock."""

from __future__ import annotations

import asyncio
import random
from datetime import UTC, datetime

import pytest
from provider_fakes import RecordingSleep

from codejury.errors import AuthError, ConfigError, ProviderTimeoutError, RateLimitError
from codejury.providers.base import (
    GenerationRequest,
    ProviderAuthError,
    ProviderBadResponseError,
    ProviderCallError,
    ProviderRateLimitError,
    is_retryable,
)
from codejury.providers.classify import parse_retry_after
from codejury.providers.mock import MockProvider
from codejury.providers.retry import (
    Limiter,
    RetryingProvider,
    RetryPolicy,
    call_with_retries,
    equal_jitter,
    no_jitter,
)

REQUEST = GenerationRequest(prompt="def f():")


class FakeClock:
    """A monotonic clock that only moves when something sleeps on it."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.now += seconds


class Flaky:
    """Fails with the given errors in turn, then returns "ok"; counts calls."""

    def __init__(self, *errors: Exception) -> None:
        self.errors = list(errors)
        self.calls = 0

    async def __call__(self) -> str:
        self.calls += 1
        if self.errors:
            raise self.errors.pop(0)
        return "ok"


def retry(fn: Flaky, sleep: RecordingSleep, **kwargs: object) -> str:
    return asyncio.run(call_with_retries(fn, jitter=no_jitter, sleep=sleep, **kwargs))  # type: ignore[arg-type]


# --- call_with_retries -------------------------------------------------------------------------


def test_transient_errors_back_off_exponentially(sleep: RecordingSleep) -> None:
    fn = Flaky(*[ProviderBadResponseError("5xx") for _ in range(4)])
    assert retry(fn, sleep) == "ok"
    assert sleep.delays == [0.5, 1.0, 2.0, 4.0]
    assert fn.calls == 5


def test_backoff_is_capped_by_max_delay(sleep: RecordingSleep) -> None:
    fn = Flaky(*[ProviderBadResponseError("5xx") for _ in range(5)])
    retry(fn, sleep, base_delay=1.0, max_delay=3.0)
    assert sleep.delays == [1.0, 2.0, 3.0, 3.0, 3.0]


def test_retry_after_is_a_floor_on_the_wait(sleep: RecordingSleep) -> None:
    fn = Flaky(
        ProviderRateLimitError("429", retry_after=10.0),
        ProviderRateLimitError("429", retry_after=0.1),
    )
    retry(fn, sleep)
    assert sleep.delays == [10.0, 1.0]  # the server's 10 s; then the backoff, which is longer


def test_retry_after_beyond_max_delay_fails_at_once(sleep: RecordingSleep) -> None:
    fn = Flaky(ProviderRateLimitError("daily quota", retry_after=3600.0))
    with pytest.raises(RateLimitError, match="asked to wait 3600 s"):
        retry(fn, sleep)
    assert fn.calls == 1 and sleep.delays == []


@pytest.mark.parametrize(
    "error",
    [
        ProviderAuthError("401", status=401),
        ProviderCallError("400", status=400),
        ProviderRateLimitError("quota", retryable=False),
        AuthError("plain auth error"),
        ConfigError("bad setting"),
        ValueError("a bug"),
    ],
)
def test_permanent_errors_are_raised_unchanged_at_once(
    error: Exception, sleep: RecordingSleep
) -> None:
    fn = Flaky(error)
    with pytest.raises(type(error)) as caught:
        retry(fn, sleep)
    assert caught.value is error and fn.calls == 1 and sleep.delays == []


def test_plain_classified_errors_default_by_type() -> None:
    assert is_retryable(RateLimitError("x")) and is_retryable(ProviderTimeoutError("x"))
    assert not is_retryable(AuthError("x")) and not is_retryable(RuntimeError("x"))


def test_giving_up_keeps_the_type_and_says_how_often(sleep: RecordingSleep) -> None:
    fn = Flaky(*[ProviderBadResponseError("still broken") for _ in range(9)])
    with pytest.raises(
        ProviderBadResponseError, match=r"still broken \(gave up after 3 attempts\)"
    ):
        retry(fn, sleep, attempts=3)
    assert fn.calls == 3


def test_attempts_must_be_positive() -> None:
    with pytest.raises(ValueError):
        asyncio.run(call_with_retries(Flaky(), attempts=0))


def test_equal_jitter_stays_within_half_to_full_delay() -> None:
    random.seed(1)
    draws = [equal_jitter(8.0) for _ in range(200)]
    assert all(4.0 <= d <= 8.0 for d in draws)
    assert max(draws) - min(draws) > 2.0  # it does spread clients out


def test_on_retry_sees_every_failure() -> None:
    seen: list[tuple[int, str, float]] = []
    fn = Flaky(ProviderBadResponseError("a"), ProviderBadResponseError("b"))
    asyncio.run(
        call_with_retries(
            fn,
            jitter=no_jitter,
            sleep=RecordingSleep(),
            on_retry=lambda e: seen.append((e.attempt, str(e.error), e.delay)),
        )
    )
    assert seen == [(1, "a", 0.5), (2, "b", 1.0)]


# --- Retry-After parsing ------------------------------------------------------------------------


def test_parse_retry_after_forms() -> None:
    now = datetime(2025, 1, 1, 12, 0, 0, tzinfo=UTC).timestamp()
    assert parse_retry_after({"retry-after": "5"}) == 5.0
    assert parse_retry_after({"retry-after": "1.5"}) == 1.5
    assert parse_retry_after({"retry-after-ms": "250", "retry-after": "9"}) == 0.25
    date = {"retry-after": "Wed, 01 Jan 2025 12:00:30 GMT"}
    assert parse_retry_after(date, now=lambda: now) == 30.0
    past = {"retry-after": "Wed, 01 Jan 2025 11:00:00 GMT"}
    assert parse_retry_after(past, now=lambda: now) == 0.0
    assert parse_retry_after({"retry-after": "soon"}) is None
    assert parse_retry_after({}) is None


# --- Limiter ------------------------------------------------------------------------------------


def test_concurrency_is_never_exceeded() -> None:
    async def go() -> MockProvider:
        mock = MockProvider(latency_s=0.01)
        wrapped = RetryingProvider(mock, limiter=Limiter(3))
        await asyncio.gather(*(wrapped.generate(REQUEST) for _ in range(20)))
        return mock

    mock = asyncio.run(go())
    assert len(mock.calls) == 20
    assert mock.max_in_flight == 3


def test_rpm_spaces_request_starts_evenly() -> None:
    clock = FakeClock()
    starts: list[float] = []

    async def go() -> None:
        limiter = Limiter(10, requests_per_minute=30, clock=clock, sleep=clock.sleep)

        async def one() -> None:
            async with limiter:
                starts.append(clock())

        await asyncio.gather(*(one() for _ in range(5)))

    asyncio.run(go())
    assert starts == pytest.approx([0.0, 2.0, 4.0, 6.0, 8.0])  # 30 per minute: one per 2 s


def test_rpm_burst_allows_that_many_at_once_then_the_rate() -> None:
    clock = FakeClock()
    starts: list[float] = []

    async def go() -> None:
        limiter = Limiter(10, requests_per_minute=60, burst=3, clock=clock, sleep=clock.sleep)
        for _ in range(5):
            async with limiter:
                starts.append(clock())

    asyncio.run(go())
    assert starts == pytest.approx([0.0, 0.0, 0.0, 1.0, 2.0])


def test_idle_time_refills_the_bucket_up_to_its_size() -> None:
    clock = FakeClock()
    starts: list[float] = []

    async def go() -> None:
        limiter = Limiter(10, requests_per_minute=60, burst=2, clock=clock, sleep=clock.sleep)
        clock.now = 100.0  # long idle: the bucket is full, but holds no more than 2
        for _ in range(3):
            async with limiter:
                starts.append(clock())

    asyncio.run(go())
    assert starts == pytest.approx([100.0, 100.0, 101.0])


def test_a_rate_limit_holds_off_the_requests_queued_behind_it() -> None:
    clock = FakeClock()

    async def go() -> list[float]:
        limiter = Limiter(1, clock=clock, sleep=clock.sleep)
        fn = Flaky(ProviderRateLimitError("429", retry_after=5.0))
        # The retry loop's own wait is only recorded, so the clock shows the limiter's: no
        # request (the retry included) starts before the server's 5 s are over.
        recorded = RecordingSleep()
        await call_with_retries(fn, jitter=no_jitter, sleep=recorded, limiter=limiter)
        async with limiter:
            return [clock(), *recorded.delays]

    assert asyncio.run(go()) == [5.0, 5.0]


def test_a_cancelled_waiter_gives_its_slot_back() -> None:
    async def go() -> int:
        limiter = Limiter(1, requests_per_minute=60)
        async with limiter:
            pass  # spend the only token: the next waiter must wait ~1 s
        waiter = asyncio.create_task(limiter.__aenter__())
        await asyncio.sleep(0.01)
        waiter.cancel()
        with pytest.raises(asyncio.CancelledError):
            await waiter
        return limiter._semaphore._value  # the invariant itself: no leaked slot

    assert asyncio.run(go()) == 1


@pytest.mark.parametrize(("concurrency", "rpm", "burst"), [(0, None, 1), (1, 0.0, 1), (1, 5.0, 0)])
def test_limiter_rejects_nonsense_settings(concurrency: int, rpm: float | None, burst: int) -> None:
    with pytest.raises(ConfigError):
        Limiter(concurrency, rpm, burst=burst)


def test_retrying_provider_retries_a_flaky_mock(sleep: RecordingSleep) -> None:
    async def go() -> tuple[str, int]:
        mock = MockProvider(fail_first=2)
        wrapped = RetryingProvider(mock, policy=RetryPolicy(jitter=no_jitter, sleep=sleep))
        result = await wrapped.generate(REQUEST)
        await wrapped.aclose()
        assert mock.closed
        return result.text, len(mock.calls)

    text, calls = asyncio.run(go())
    assert "```python" in text and calls == 3
    assert sleep.delays == [0.5, 1.0]

"""The one retry and rate-limit loop. Every provider call in codejury goes through here.

Providers classify failures (see :mod:`codejury.providers.base`); this module decides: retry
transient failures (429, 5xx, timeouts, dropped connections, malformed answers) with
exponential backoff and jitter, wait at least as long as the server's ``Retry-After`` says,
and re-raise everything else at once. The SDKs' own retry loops are switched off so that a
request is never retried by two loops on top of each other.

Clocks and sleeps are injectable so tests can check every delay without waiting for it.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from types import TracebackType
from typing import TypeVar

from codejury.errors import CodejuryError, ConfigError, RateLimitError
from codejury.providers.base import (
    Generation,
    GenerationRequest,
    Provider,
    is_retryable,
    retry_after_of,
)

T = TypeVar("T")
Sleep = Callable[[float], Awaitable[None]]
Clock = Callable[[], float]


def equal_jitter(delay: float) -> float:
    """A delay drawn uniformly from ``[delay / 2, delay]``.

    Half fixed, half random: clients that failed together spread out, yet the backoff still
    grows with every attempt (pure "full jitter" can retry almost at once).
    """
    return delay * (0.5 + random.random() / 2)


def no_jitter(delay: float) -> float:
    """The delay unchanged, for reproducible tests and benchmarks."""
    return delay


@dataclass(frozen=True)
class RetryEvent:
    """Reported to ``on_retry`` before each wait.

    Attributes:
        attempt: The 1-based attempt that just failed.
        error: What it failed with.
        delay: Seconds the loop will now wait before the next attempt.
    """

    attempt: int
    error: BaseException
    delay: float


class Limiter:
    """Per-model admission control: at most ``concurrency`` requests in flight and, optionally,
    at most ``requests_per_minute`` started per minute (a token bucket).

    Use as ``async with limiter: ...`` around one attempt. Holding a concurrency slot while
    waiting for a token is deliberate: it keeps the number of requests that are *about* to be
    sent bounded too.

    Args:
        concurrency: Most requests in flight at once.
        requests_per_minute: Sustained start rate, or ``None`` for no rate limit.
        burst: Tokens the bucket holds; the default of 1 spaces requests evenly, which is
            what providers that enforce per-second sub-limits of a per-minute quota expect.
        clock: Monotonic clock in seconds (injectable for tests).
        sleep: Async sleep (injectable for tests).
    """

    def __init__(
        self,
        concurrency: int,
        requests_per_minute: float | None = None,
        *,
        burst: int = 1,
        clock: Clock = time.monotonic,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        if concurrency < 1:
            raise ConfigError(f"concurrency must be at least 1, got {concurrency}")
        if requests_per_minute is not None and requests_per_minute <= 0:
            raise ConfigError(f"rpm must be positive, got {requests_per_minute}")
        if burst < 1:
            raise ConfigError(f"burst must be at least 1, got {burst}")
        self.concurrency = concurrency
        self.requests_per_minute = requests_per_minute
        self._semaphore = asyncio.Semaphore(concurrency)
        self._lock = asyncio.Lock()  # FIFO: waiters for tokens are served in arrival order
        self._clock = clock
        self._sleep = sleep
        self._capacity = float(burst)
        self._tokens = float(burst)
        self._refilled_at = clock()
        self._resume_at = float("-inf")
        self.in_flight = 0

    def hold_off(self, seconds: float) -> None:
        """Start no new request for ``seconds`` (the server said it is overloaded)."""
        self._resume_at = max(self._resume_at, self._clock() + seconds)

    async def __aenter__(self) -> None:
        await self._semaphore.acquire()
        try:
            await self._admit()
        except BaseException:
            self._semaphore.release()  # cancelled while queued: give the slot back
            raise
        self.in_flight += 1

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.in_flight -= 1
        self._semaphore.release()

    async def _admit(self) -> None:
        async with self._lock:
            while (wait := self._resume_at - self._clock()) > 0:
                await self._sleep(wait)
            if self.requests_per_minute is None:
                return
            rate = self.requests_per_minute / 60.0
            while True:
                now = self._clock()
                elapsed = max(0.0, now - self._refilled_at)
                self._tokens = min(self._capacity, self._tokens + elapsed * rate)
                self._refilled_at = now
                if self._tokens >= 1.0:
                    self._tokens -= 1.0
                    return
                await self._sleep((1.0 - self._tokens) / rate)


async def call_with_retries(
    fn: Callable[[], Awaitable[T]],
    *,
    attempts: int = 6,
    base_delay: float = 0.5,
    max_delay: float = 60.0,
    jitter: Callable[[float], float] = equal_jitter,
    sleep: Sleep = asyncio.sleep,
    on_retry: Callable[[RetryEvent], None] | None = None,
    limiter: Limiter | None = None,
) -> T:
    """Await ``fn()`` until it succeeds, a failure is not retryable, or attempts run out.

    The n-th retry waits ``jitter(min(max_delay, base_delay * 2**(n-1)))`` seconds, or the
    server's ``retry_after`` when that is longer. A ``retry_after`` beyond ``max_delay`` (a
    daily quota saying "come back tomorrow") fails at once rather than stalling the run.

    Args:
        fn: Makes one attempt; called afresh each time.
        attempts: Most attempts in total (1 disables retrying).
        base_delay: Backoff before the first retry, in seconds.
        max_delay: Cap on the backoff, and on the ``retry_after`` the loop will honour.
        jitter: Maps the computed backoff to the one used.
        sleep: Async sleep, injectable so tests can record delays instead of waiting.
        on_retry: Called before each wait, for logs and progress displays.
        limiter: When given, every attempt runs inside it.

    Returns:
        What ``fn`` returned.

    Raises:
        The last failure, unchanged in type; its message says how many attempts were made.
    """
    if attempts < 1:
        raise ValueError(f"attempts must be at least 1, got {attempts}")
    for attempt in range(1, attempts + 1):
        try:
            if limiter is None:
                return await fn()
            async with limiter:
                return await fn()
        except Exception as exc:
            if not is_retryable(exc):
                raise
            retry_after = retry_after_of(exc)
            if attempt == attempts:
                _note_gave_up(exc, f"gave up after {attempts} attempts")
                raise
            if retry_after is not None and retry_after > max_delay:
                _note_gave_up(exc, f"the server asked to wait {retry_after:.0f} s")
                raise
            delay = jitter(min(max_delay, base_delay * 2 ** (attempt - 1)))
            if retry_after is not None:
                delay = max(delay, retry_after)
                if limiter is not None and isinstance(exc, RateLimitError):
                    # Stop the requests queued behind us too, not just this one.
                    limiter.hold_off(delay)
            if on_retry is not None:
                on_retry(RetryEvent(attempt=attempt, error=exc, delay=delay))
            await sleep(delay)
    raise AssertionError("unreachable: the loop returns or raises")  # pragma: no cover


def _note_gave_up(exc: Exception, why: str) -> None:
    # The CLI prints CodejuryError.message, so the note goes there rather than in add_note().
    if isinstance(exc, CodejuryError):
        exc.message = f"{exc.message} ({why})"
        exc.args = (exc.message,)
    else:  # pragma: no cover - only classified errors are retryable
        exc.add_note(why)


@dataclass(frozen=True)
class RetryPolicy:
    """The knobs of :func:`call_with_retries`, grouped so they travel together."""

    attempts: int = 6
    base_delay: float = 0.5
    max_delay: float = 60.0
    jitter: Callable[[float], float] = equal_jitter
    sleep: Sleep = field(default=asyncio.sleep)


class RetryingProvider:
    """A :class:`Provider` whose every call goes through a limiter and the retry loop.

    This is what the runner talks to; the wrapped provider stays a thin SDK adapter.

    Args:
        inner: The provider to call.
        limiter: Per-model concurrency and rate limit (``None``: unlimited).
        policy: Retry settings.
        on_retry: Called before each retry wait.
    """

    def __init__(
        self,
        inner: Provider,
        *,
        limiter: Limiter | None = None,
        policy: RetryPolicy | None = None,
        on_retry: Callable[[RetryEvent], None] | None = None,
    ) -> None:
        self.inner = inner
        self.name = inner.name
        self.model = inner.model
        self.limiter = limiter
        self.policy = policy or RetryPolicy()
        self.on_retry = on_retry

    async def generate(self, request: GenerationRequest) -> Generation:
        """Generate with retries; see :func:`call_with_retries`."""
        policy = self.policy
        return await call_with_retries(
            lambda: self.inner.generate(request),
            attempts=policy.attempts,
            base_delay=policy.base_delay,
            max_delay=policy.max_delay,
            jitter=policy.jitter,
            sleep=policy.sleep,
            on_retry=self.on_retry,
            limiter=self.limiter,
        )

    async def aclose(self) -> None:
        """Close the wrapped provider."""
        await self.inner.aclose()

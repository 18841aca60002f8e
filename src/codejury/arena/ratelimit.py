"""Per-voter rate limits: a token bucket per key, in memory.

Each key (a voter id, or a client address for logins) has a bucket of ``burst`` tokens that
refills at ``per_minute / 60`` tokens a second; an action takes one token or is refused with
the seconds until one is back. The buckets live in the server process, so a restart forgets
them (a fresh burst for everyone) and several server processes would each allow the full rate:
``codejury arena serve`` runs one process for that reason.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from codejury.errors import ConfigError

_MAX_KEYS = 100_000


@dataclass(frozen=True)
class RateLimit:
    """How fast one key may act.

    Attributes:
        per_minute: Sustained actions per minute; 0 turns the limit off.
        burst: Actions allowed at once after a quiet spell.
    """

    per_minute: float = 30.0
    burst: int = 10

    def __post_init__(self) -> None:
        if not (math.isfinite(self.per_minute) and self.per_minute >= 0):
            raise ConfigError(f"rate limit must be >= 0 per minute, got {self.per_minute}")
        if self.burst < 1:
            raise ConfigError(f"rate limit burst must be at least 1, got {self.burst}")


class TokenBuckets:
    """Token buckets by key; safe to share between threads.

    Args:
        limit: The rate and burst of every key.
        clock: Monotonic seconds (injectable for tests).
    """

    def __init__(self, limit: RateLimit, clock: Callable[[], float] = time.monotonic) -> None:
        self.limit = limit
        self._clock = clock
        self._lock = threading.Lock()
        self._buckets: dict[str, tuple[float, float]] = {}

    def take(self, key: str) -> float:
        """Take one token for ``key``.

        Returns:
            0.0 when the action may go ahead, else the seconds until a token is back.
        """
        return self._take(key, consume=True)

    def wait(self, key: str) -> float:
        """Seconds until ``key`` has a token (0.0: it has one now); takes nothing."""
        return self._take(key, consume=False)

    def _take(self, key: str, *, consume: bool) -> float:
        if self.limit.per_minute == 0:
            return 0.0
        rate = self.limit.per_minute / 60.0
        burst = float(self.limit.burst)
        now = self._clock()
        with self._lock:
            tokens, then = self._buckets.get(key, (burst, now))
            tokens = min(burst, tokens + (now - then) * rate)
            allowed = tokens >= 1.0
            if consume or key in self._buckets:
                self._buckets[key] = (tokens - 1.0 if allowed and consume else tokens, now)
            if len(self._buckets) > _MAX_KEYS:
                self._forget_full(now, rate, burst)
        return 0.0 if allowed else (1.0 - tokens) / rate

    def _forget_full(self, now: float, rate: float, burst: float) -> None:
        # A bucket that has refilled is the same as no bucket: drop those to bound memory
        # when many distinct keys (client addresses) come and go.
        full = [k for k, (t, then) in self._buckets.items() if t + (now - then) * rate >= burst]
        for key in full:
            del self._buckets[key]

"""Latency and throughput of a model endpoint under concurrency: a closed-loop load generator.

For each concurrency level ``C`` exactly ``C`` requests are kept in flight: each of ``C``
workers sends a request, waits for the whole streamed answer, records it and sends the next,
for the level's duration (or until it has enough requests). Requests that start during the
warm-up are left out of the figures; :mod:`codejury.perf_stats` says exactly who counts where.

What is measured, deliberately:

- **The raw provider, no retry loop, no limiter.** A retried request would hide its first
  attempt's latency and the limiter would cap concurrency below the level being measured, so a
  :class:`~codejury.providers.retry.RetryingProvider` is unwrapped and every failure is
  counted as an error of its level (by kind) instead of being retried.
- **Never the cache.** Every request goes to the server, identical prompts included; nothing
  is read from or written to the store.
- **The server, not codejury.** For OpenAI-compatible endpoints :func:`measure_model` swaps
  the SDK adapter for :class:`~codejury.perf_client.LeanOpenAIClient`, which sends the same
  requests at a small fraction of the SDK's CPU cost per request (see that module).
- Times come from :func:`time.perf_counter`; TTFT is the provider's own measurement.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import itertools
import math
import random
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, fields, replace
from typing import Any, Literal

from codejury.errors import AuthError, ConfigError, ProviderError
from codejury.perf_plot import render_plot
from codejury.perf_stats import (
    LevelStats,
    Sample,
    Saturation,
    SaturationRule,
    detect_saturation,
    error_kind,
    level_stats,
)
from codejury.providers.base import GenerationRequest, Message, Provider
from codejury.providers.retry import RetryingProvider

Phase = Literal["warmup", "measuring", "draining", "done"]
_PROGRESS_EVERY_S = 0.25  # progress callbacks are throttled: they run on the load loop


@dataclass(frozen=True)
class PerfSpec:
    """What to measure.

    A level's window closes after ``duration_s`` or once ``requests_per_level`` requests that
    started after warm-up have finished, whichever comes first; at least one must be set.

    Attributes:
        requests: The prompts, sent in order and cycled (the caller builds them from a
            benchmark, the user's tasks, or :func:`synthetic_requests`). Each level starts
            from the first, so levels see the same mix.
        concurrency: Levels, strictly increasing.
        duration_s: Measurement time per level, after warm-up.
        requests_per_level: Finished requests that close a level's window early.
        warmup_s: Time per level whose requests are not measured (connections, caches, the
            server's batch filling up).
        p95_target_s: A level whose p95 latency exceeds this is saturated (``None``: off).
        max_tokens: Overrides every request's ``max_tokens`` when set.
        min_growth: A level whose throughput grew by less than this fraction over the
            previous one is saturated.
        stop_at_saturation: Skip the levels above the first saturated one.
    """

    requests: tuple[GenerationRequest, ...]
    concurrency: tuple[int, ...] = (1, 2, 4, 8, 16, 32)
    duration_s: float | None = 20.0
    requests_per_level: int | None = None
    warmup_s: float = 3.0
    p95_target_s: float | None = None
    max_tokens: int | None = None
    min_growth: float = 0.10
    stop_at_saturation: bool = False

    def __post_init__(self) -> None:
        if not self.requests:
            raise ConfigError("perf needs at least one prompt")
        levels = self.concurrency
        if not levels or any(c < 1 for c in levels):
            raise ConfigError(f"concurrency levels must be positive integers, got {levels}")
        if any(b <= a for a, b in itertools.pairwise(levels)):
            raise ConfigError(f"concurrency levels must be strictly increasing, got {levels}")
        if self.duration_s is None and self.requests_per_level is None:
            raise ConfigError("perf needs a duration per level, a request count, or both")
        if self.duration_s is not None and not self.duration_s > 0:
            raise ConfigError(f"duration must be positive, got {self.duration_s} s")
        if self.requests_per_level is not None and self.requests_per_level < 1:
            raise ConfigError(
                f"requests per level must be at least 1, got {self.requests_per_level}"
            )
        if not (self.warmup_s >= 0 and math.isfinite(self.warmup_s)):
            raise ConfigError(f"warm-up must be zero or more seconds, got {self.warmup_s}")
        if self.p95_target_s is not None and not self.p95_target_s > 0:
            raise ConfigError(f"p95 latency target must be positive, got {self.p95_target_s} s")
        if self.max_tokens is not None and self.max_tokens < 1:
            raise ConfigError(f"max_tokens must be at least 1, got {self.max_tokens}")
        if not self.min_growth >= 0:
            raise ConfigError(f"minimum throughput growth must be >= 0, got {self.min_growth}")

    @property
    def rule(self) -> SaturationRule:
        """The saturation rule this spec asks for."""
        return SaturationRule(p95_target_s=self.p95_target_s, min_growth=self.min_growth)

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready settings (the prompts by count, not text)."""
        settings = {f.name: getattr(self, f.name) for f in fields(self) if f.name != "requests"}
        return {"prompts": len(self.requests), **settings, "concurrency": list(self.concurrency)}


@dataclass(frozen=True)
class PerfProgress:
    """Reported while a level runs (throttled) and when it ends.

    Attributes:
        concurrency: The level.
        phase: ``warmup``, ``measuring``, ``draining`` (waiting for the last answers) or
            ``done``.
        elapsed_s: Seconds since the level started.
        finished: Requests finished so far in this level, warm-up included.
        errors: Of those, failures.
        stats: The level's figures, with ``phase == "done"`` only.
    """

    concurrency: int
    phase: Phase
    elapsed_s: float
    finished: int
    errors: int
    stats: LevelStats | None = None


Progress = Callable[[PerfProgress], None]


@dataclass(frozen=True)
class PerfResult:
    """A whole perf run, ready for JSON (:meth:`as_dict`) and a plot (:mod:`codejury.perf_plot`).

    Attributes:
        provider: Provider name.
        model: Model name.
        client: What sent the requests (the provider class), so numbers can be compared.
        spec: The settings.
        levels: One entry per level run, in order.
        saturation: Where the server stopped keeping up, or ``None`` if it never did.
        started_at: UTC start time (ISO 8601).
        notes: Facts a reader needs to interpret the numbers.
    """

    provider: str
    model: str
    client: str
    spec: PerfSpec
    levels: tuple[LevelStats, ...]
    saturation: Saturation | None
    started_at: str
    notes: tuple[str, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        """Plain JSON-ready values (durations in seconds)."""
        return {
            "provider": self.provider,
            "model": self.model,
            "client": self.client,
            "started_at": self.started_at,
            "spec": self.spec.as_dict(),
            "levels": [level.as_dict() for level in self.levels],
            "saturation": None if self.saturation is None else self.saturation.as_dict(),
            "notes": list(self.notes),
        }


async def run_perf(
    provider: Provider, spec: PerfSpec, progress: Progress | None = None
) -> PerfResult:
    """Measure ``provider`` at every level of ``spec``.

    Args:
        provider: The model; a :class:`RetryingProvider` is unwrapped (module docstring).
            It is not closed here.
        spec: What to measure.
        progress: Called from the load loop; keep it quick.

    Returns:
        The figures per level and the saturation point.

    Raises:
        AuthError: The server refused the key (every request would fail the same way).
    """
    notes: list[str] = []
    if isinstance(provider, RetryingProvider):
        provider = provider.inner
        notes.append("retry loop and limiter bypassed: failures are counted, not retried")
    requests = spec.requests
    if spec.max_tokens is not None:
        requests = tuple(replace(r, max_tokens=spec.max_tokens) for r in requests)
    started_at = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    levels: list[LevelStats] = []
    for concurrency in spec.concurrency:
        level = _Level(provider, requests, concurrency, spec, progress)
        levels.append(await level.run())
        if spec.stop_at_saturation and detect_saturation(levels, spec.rule) is not None:
            break
    return PerfResult(
        provider=provider.name,
        model=provider.model,
        client=type(provider).__name__,
        spec=spec,
        levels=tuple(levels),
        saturation=detect_saturation(levels, spec.rule),
        started_at=started_at,
        notes=tuple(notes),
    )


class _Level:
    """One concurrency level: ``concurrency`` workers in a closed loop over one window."""

    def __init__(
        self,
        provider: Provider,
        requests: Sequence[GenerationRequest],
        concurrency: int,
        spec: PerfSpec,
        progress: Progress | None,
    ) -> None:
        self.provider = provider
        self.requests = requests
        self.concurrency = concurrency
        self.spec = spec
        self.progress = progress
        self.samples: list[Sample] = []
        self.errors = 0
        self.sent = 0
        self.measured_finished = 0
        self.started = 0.0
        self.window_start = 0.0
        self.window_end = math.inf
        self.reported = 0.0

    async def run(self) -> LevelStats:
        self.started = time.perf_counter()
        self.window_start = self.started + self.spec.warmup_s
        if self.spec.duration_s is not None:
            self.window_end = self.window_start + self.spec.duration_s
        self._report("warmup" if self.spec.warmup_s else "measuring")
        workers = [asyncio.create_task(self._worker()) for _ in range(self.concurrency)]
        try:
            await asyncio.gather(*workers)
        finally:  # a failure in one worker (an auth error) stops the others
            for worker in workers:
                worker.cancel()
            await asyncio.gather(*workers, return_exceptions=True)
        stats = level_stats(self.concurrency, self.samples, self.window_start, self.window_end)
        self._report("done", stats)
        return stats

    async def _worker(self) -> None:
        clock = time.perf_counter
        count = len(self.requests)
        while clock() < self.window_end:
            request = self.requests[self.sent % count]
            self.sent += 1
            start = clock()
            try:
                generation = await self.provider.generate(request)
            except AuthError:
                raise
            except ProviderError as exc:
                end = clock()
                self.errors += 1
                sample = Sample(start, end, error=error_kind(exc))
            else:
                end = clock()
                sample = Sample(start, end, generation.ttft_s, generation.output_tokens)
            self.samples.append(sample)
            if start >= self.window_start:
                self.measured_finished += 1
                enough = self.spec.requests_per_level
                if enough is not None and self.measured_finished == enough:
                    self.window_end = min(self.window_end, end)  # close: stop sending
            if end - self.reported >= _PROGRESS_EVERY_S:
                self._report(self._phase(end))

    def _phase(self, now: float) -> Phase:
        if now < self.window_start:
            return "warmup"
        return "measuring" if now < self.window_end else "draining"

    def _report(self, phase: Phase, stats: LevelStats | None = None) -> None:
        now = time.perf_counter()
        self.reported = now
        if self.progress is not None:
            event = PerfProgress(
                self.concurrency, phase, now - self.started, len(self.samples), self.errors, stats
            )
            self.progress(event)


# --- what the CLI calls ---------------------------------------------------------------------


async def measure_model(
    ref: str,
    models: Mapping[str, Mapping[str, object]] | None,
    spec: PerfSpec,
    *,
    progress: Progress | None = None,
    lean: bool = True,
) -> PerfResult:
    """Resolve a model reference, build its raw provider and measure it (``codejury perf``).

    Args:
        ref: ``provider/model`` or a name from codejury.toml.
        models: The ``[models]`` tables of codejury.toml.
        spec: What to measure.
        progress: See :func:`run_perf`.
        lean: For OpenAI-compatible endpoints, send requests with
            :class:`~codejury.perf_client.LeanOpenAIClient` rather than the SDK (unless an
            HTTP proxy is configured for the endpoint, which only the SDK can use).

    Raises:
        ConfigError: Unknown model or bad settings.
        AuthError: No key, or the key was refused.
    """
    from codejury.perf_client import lean_client_for
    from codejury.providers.registry import ProviderRegistry, resolve

    config = resolve(ref, models)
    provider = ProviderRegistry().create(config)
    if lean:
        provider, note = await lean_client_for(provider, config.provider, config.options)
    else:
        note = f"requests sent by {type(provider).__name__}"
    try:
        result = await run_perf(provider, spec, progress)
    finally:
        await provider.aclose()
    return replace(result, notes=(note, *result.notes))


_FILLER = (
    *("function", "value", "return", "list", "index", "string", "number", "loop", "test"),
    *("input", "output", "result", "error", "sort", "filter", "map", "count", "total"),
    *("average", "maximum", "minimum", "parse", "format", "check", "update", "merge"),
)


def synthetic_requests(
    prompt_tokens: Sequence[int],
    max_tokens: int = 256,
    *,
    style: Literal["chat", "completion"] = "chat",
    seed: int = 0,
) -> tuple[GenerationRequest, ...]:
    """Prompts of given lengths, for a synthetic length profile.

    Each prompt is an instruction followed by filler words, about one token each in common
    tokenizers (lengths are approximate: tokenizers differ). Prompts start with their index,
    so no two share a prefix that a server-side prompt cache could reuse.

    Args:
        prompt_tokens: One approximate prompt length per request.
        max_tokens: Output limit of every request.
        style: Chat messages or a raw completion prompt.
        seed: Seed for the filler words.

    Raises:
        ConfigError: A length below 1.
    """
    rng = random.Random(seed)
    made: list[GenerationRequest] = []
    for index, length in enumerate(prompt_tokens):
        if length < 1:
            raise ConfigError(f"synthetic prompt lengths must be positive, got {length}")
        header = f"Request {index}: repeat these words back."
        filler = rng.choices(_FILLER, k=max(0, length - len(header.split())))
        text = " ".join([header, *filler])
        if style == "chat":
            made.append(GenerationRequest(messages=(Message("user", text),), max_tokens=max_tokens))
        else:
            made.append(GenerationRequest(prompt=text, max_tokens=max_tokens))
    return tuple(made)


__all__ = [
    "PerfProgress",
    "PerfResult",
    "PerfSpec",
    "measure_model",
    "render_plot",
    "run_perf",
    "synthetic_requests",
]

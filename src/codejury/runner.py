"""Generation runs: spec → requests → completions in the store, resumable at any point.

A run is defined by a frozen :class:`EvalSpec`. Its completions are requested concurrently
(the model's limiter bounds what is in flight), sanitized, and each one is committed to the
store the moment it arrives, so a killed process loses only the requests in flight. On a
re-run of the same spec, completions already in the run are kept; the content-addressed
completion cache answers any request made before (in any run) without calling the model,
and such answers are marked ``cached`` so they never count in latency figures.

Failures: an authentication failure, or a request that still fails after the retry loop
gave up (server down, rate limit exhausted), stops the run — nothing more is sent, the
finished completions stay, and the same command resumes later. A request the server
rejects for its own content (HTTP 400, e.g. a prompt over the context length) is saved
with its error and an empty answer, scored as ``no_code``, and requested again on resume.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from codejury.datasets.models import Benchmark, Problem
from codejury.errors import AuthError, CodejuryError
from codejury.prompts import PromptSpec, build_request, program_text
from codejury.providers.base import Generation, GenerationRequest, Provider, is_retryable
from codejury.providers.registry import ModelConfig
from codejury.sanitize import Sanitized, sanitize
from codejury.store.db import Store
from codejury.store.records import GenerationRecord

# Settings that never change what a model answers, and secrets, stay out of cache keys.
_NON_IDENTITY_OPTIONS = frozenset({"api_key", "api_key_env", "headers"})

CostFn = Callable[[int | None, int | None], float | None]
"""``cost(input_tokens, output_tokens)`` in USD, or None when the price is unknown."""


@dataclass(frozen=True)
class EvalSpec:
    """Everything that defines a generation run; two runs with equal specs are the same run.

    Attributes:
        model: The resolved model.
        benchmark: The loaded benchmark.
        task_ids: The tasks to run, in order (all of the benchmark's by default).
        n: Completions per task.
        temperature: Sampling temperature.
        max_tokens: Most tokens per completion.
        seed: Sampling seed (completion ``i`` gets ``seed + i``) or None.
        timeout_s: Deadline of one request attempt.
        prompt: How problems become requests.
    """

    model: ModelConfig
    benchmark: Benchmark
    task_ids: tuple[str, ...]
    n: int = 1
    temperature: float = 0.0
    max_tokens: int = 1024
    seed: int | None = None
    timeout_s: float = 120.0
    prompt: PromptSpec = field(default_factory=PromptSpec)

    def model_identity(self) -> dict[str, Any]:
        """What determines the model's answers: provider, model name and answer-relevant options."""
        options = {
            k: v for k, v in sorted(self.model.options.items()) if k not in _NON_IDENTITY_OPTIONS
        }
        return {"provider": self.model.provider, "model": self.model.model, "options": options}

    def request(self, problem: Problem, index: int) -> GenerationRequest:
        """The request for completion ``index`` of ``problem``."""
        return build_request(
            problem,
            self.benchmark.family,
            self.prompt,
            max_tokens=self.max_tokens,
            temperature=self.temperature,
            seed=None if self.seed is None else self.seed + index,
            timeout_s=self.timeout_s,
        )

    def key(self) -> str:
        """Hash of the spec: a re-run with the same key resumes the unfinished run."""
        blob = {
            "model": self.model_identity(),
            "benchmark": self.benchmark.id,
            "dataset": self.benchmark.content_hash,
            "tasks": list(self.task_ids),
            "n": self.n,
            "temperature": self.temperature,
            "max_tokens": self.max_tokens,
            "seed": self.seed,
            "prompt": self.prompt.as_dict(),
        }
        return _digest(blob)

    def document(self) -> dict[str, Any]:
        """The spec as recorded in the run (JSON object)."""
        return {
            "spec_key": self.key(),
            "model": self.model.name,
            "model_identity": self.model_identity(),
            "model_metadata": dict(self.model.metadata),
            "benchmark": self.benchmark.id,
            "benchmark_version": self.benchmark.version,
            "dataset_hash": self.benchmark.content_hash,
            "tasks": len(self.task_ids),
            "task_ids": list(self.task_ids),
            "n": self.n,
            "temperature": self.temperature,
            "max_tokens": self.max_tokens,
            "seed": self.seed,
            "timeout_s": self.timeout_s,
            "prompt": self.prompt.as_dict(),
            "concurrency": self.model.concurrency,
            "rpm": self.model.rpm,
        }


def request_key(identity: Mapping[str, Any], request: GenerationRequest, index: int) -> str:
    """Content address of one completion: model, every request parameter, prompt and index."""
    blob = {
        "model": identity,
        "messages": [[m.role, m.content] for m in request.messages or ()],
        "prompt": request.prompt,
        "max_tokens": request.max_tokens,
        "temperature": request.temperature,
        "top_p": request.top_p,
        "seed": request.seed,
        "stop": list(request.stop),
        "index": index,
    }
    return _digest(blob)


def _digest(blob: object) -> str:
    text = json.dumps(blob, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@dataclass
class GenerationProgress:
    """Counts for a live display."""

    total: int
    done: int = 0
    cached: int = 0
    failed: int = 0
    retries: int = 0


@dataclass
class GenerationOutcome:
    """What the generation phase produced."""

    records: list[GenerationRecord]
    requested: int
    wall_seconds: float
    stopped_by: CodejuryError | None = None


class RunStopped(CodejuryError):
    """The generation phase stopped early; what was finished is in the store."""


class RequestPlanner(Protocol):
    """Builds a run's requests and reads its answers when they are not a benchmark's prompts.

    Own task files and LLM judges ask their own questions; everything else about a run
    (concurrency, the cache, durable writes, resume, the failure policy) stays the Generator's.
    """

    def request(self, problem: Problem, index: int) -> GenerationRequest:
        """The request for completion ``index`` of ``problem``."""
        ...

    def extract(self, problem: Problem, generation: Generation) -> Sanitized:
        """The code (if any) to keep from an answer to ``problem``."""
        ...


class Generator:
    """Requests every missing completion of a run and commits each one as it arrives.

    Args:
        spec: The run's spec.
        provider: The model (normally a RetryingProvider with the model's limiter).
        store: Where completions go.
        run_id: The run they belong to.
        cost: Token cost function for the model's price.
        use_cache: Answer repeated requests from the completion cache.
        on_progress: Called after every completion.
        planner: Builds the requests and extracts the code instead of the spec's prompt
            style and the sanitizer (None: the benchmark's own prompts).
    """

    def __init__(
        self,
        spec: EvalSpec,
        provider: Provider,
        store: Store,
        run_id: str,
        *,
        cost: CostFn,
        use_cache: bool = True,
        on_progress: Callable[[GenerationProgress], None] | None = None,
        planner: RequestPlanner | None = None,
    ) -> None:
        self.spec = spec
        self.provider = provider
        self.store = store
        self.run_id = run_id
        self.cost = cost
        self.use_cache = use_cache
        self.on_progress = on_progress or (lambda _p: None)
        self.planner = planner
        self._identity = spec.model_identity()

    async def run(self) -> GenerationOutcome:
        """Generate what is missing; returns every completion of the run.

        Cancellation (Ctrl-C) propagates after the finished completions are committed (each
        is committed within one event-loop turn of arriving; what is queued is flushed).
        """
        started = time.monotonic()
        spec = self.spec
        have = {
            (r.task_id, r.index): r
            for r in self.store.generations.of_run(self.run_id)
            if r.error is None
        }
        todo: list[tuple[Problem, int, GenerationRequest, str]] = []
        for task_id in spec.task_ids:
            problem = spec.benchmark.problems[task_id]
            for index in range(spec.n):
                if (task_id, index) in have:
                    continue
                request = (
                    spec.request(problem, index)
                    if self.planner is None
                    else self.planner.request(problem, index)
                )
                todo.append((problem, index, request, request_key(self._identity, request, index)))
        progress = GenerationProgress(total=len(spec.task_ids) * spec.n, done=len(have))
        self.on_progress(progress)
        cached = self.store.generations.cached([t[3] for t in todo]) if self.use_cache else {}
        fresh: list[tuple[Problem, int, GenerationRequest, str]] = []
        from_cache: list[GenerationRecord] = []
        for problem, index, request, key in todo:
            hit = cached.get(key)
            if hit is None:
                fresh.append((problem, index, request, key))
                continue
            from_cache.append(self._record(problem, index, key, _from_cache(hit), cached=True))
        if from_cache:
            # One transaction for every cache hit: nothing was requested, nothing can be lost.
            self.store.generations.add_many(self.run_id, from_cache, {})
            progress.done += len(from_cache)
            progress.cached += len(from_cache)
            self.on_progress(progress)
        stopped = await self._request_all(fresh, progress)
        records = self.store.generations.of_run(self.run_id)
        return GenerationOutcome(records, len(fresh), time.monotonic() - started, stopped)

    async def _request_all(
        self, jobs: list[tuple[Problem, int, GenerationRequest, str]], progress: GenerationProgress
    ) -> CodejuryError | None:
        # One task per request; the provider's limiter decides how many are in flight. The
        # first run-stopping failure cancels the rest (their slots are freed at once).
        stop: list[CodejuryError] = []
        answered: list[bool] = []
        committer = _Committer(self.store, self.run_id)

        async def one(problem: Problem, index: int, request: GenerationRequest, key: str) -> None:
            try:
                generation = await self.provider.generate(request)
            except CodejuryError as exc:
                # A rejection before any answer came back is most likely the settings (an
                # unsupported parameter), which every other request would hit as well.
                if _stops_run(exc) or not answered:
                    stop.append(exc)
                    # Cancel the others now, in this same step: a request queued behind the
                    # limiter must not start in the moment before the main loop wakes.
                    for other in tasks:
                        if other is not asyncio.current_task():
                            other.cancel()
                    raise
                committer.put(self._failed(problem, index, key, exc), None)
                progress.failed += 1
            else:
                answered.append(True)
                record = self._record(problem, index, key, generation, cached=False)
                committer.put(record, _to_cache(generation))
            progress.done += 1
            self.on_progress(progress)

        tasks = [asyncio.create_task(one(*job)) for job in jobs]
        writer = asyncio.create_task(committer.run())
        try:
            for future in asyncio.as_completed(tasks):
                try:
                    await future
                except CodejuryError:  # a failed store raises here too, through put()
                    break
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            writer.cancel()
            await asyncio.gather(writer, return_exceptions=True)
            if committer.error is None:
                # What arrived since the writer's last commit; a Ctrl-C still saves it.
                committer.flush()
        if committer.error is not None:
            return committer.error
        return stop[0] if stop else None

    def _record(
        self, problem: Problem, index: int, key: str, g: Generation, *, cached: bool
    ) -> GenerationRecord:
        if self.planner is not None:
            clean = self.planner.extract(problem, g)
        else:
            family = self.spec.benchmark.family
            text = program_text(problem, self.spec.prompt.style, g.text, family)
            clean = sanitize(text, problem.entry_point, reasoning=g.reasoning)
        return GenerationRecord(
            task_id=problem.task_id,
            index=index,
            cache_key=key,
            raw_text=g.text,
            reasoning=g.reasoning,
            code=clean.code,
            sanitize_rule=clean.rule,
            finish_reason=g.finish_reason,
            truncated=g.truncated,
            input_tokens=g.input_tokens,
            output_tokens=g.output_tokens,
            ttft_s=None if cached else g.ttft_s,
            latency_s=None if cached else g.latency_s,
            cost_usd=self.cost(g.input_tokens, g.output_tokens),
            response_id=g.response_id,
            model_id=g.model_id,
            system_fingerprint=g.system_fingerprint,
            cached=cached,
        )

    def _failed(
        self, problem: Problem, index: int, key: str, exc: CodejuryError
    ) -> GenerationRecord:
        return GenerationRecord(
            task_id=problem.task_id,
            index=index,
            cache_key=key,
            raw_text="",
            reasoning=None,
            code="",
            sanitize_rule="no_code",
            finish_reason=None,
            truncated=False,
            input_tokens=None,
            output_tokens=None,
            ttft_s=None,
            latency_s=None,
            cost_usd=None,
            error=exc.message,
        )


class _Committer:
    """Commits completions as they arrive, in groups: one transaction per event-loop turn.

    Committing each completion in its own transaction costs about as much CPU as the HTTP
    request that produced it, and it runs on the event loop. Here :meth:`put` only queues,
    and a writer task commits everything queued since its last commit, so a completion
    reaches the database within one loop turn of arriving (what a killed process can lose
    is what it could lose anyway: the answers being read at that moment).
    """

    def __init__(self, store: Store, run_id: str) -> None:
        self._store = store
        self._run_id = run_id
        self._records: list[GenerationRecord] = []
        self._cache: dict[str, dict[str, Any]] = {}
        self._wake = asyncio.Event()
        self.error: CodejuryError | None = None

    def put(self, record: GenerationRecord, cached: dict[str, Any] | None) -> None:
        """Queue one completion (and its cache entry) for the next commit."""
        if self.error is not None:
            raise self.error  # the store failed: stop this request's task too
        self._records.append(record)
        if cached is not None:
            self._cache[record.cache_key] = cached
        self._wake.set()

    async def run(self) -> None:
        """Commit whatever is queued each time something arrives, until cancelled."""
        try:
            while True:
                await self._wake.wait()
                self._wake.clear()
                self.flush()
        except CodejuryError as exc:
            self.error = exc
            raise

    def flush(self) -> None:
        """Commit everything queued now, in one transaction."""
        records, cache = self._records, self._cache
        self._records, self._cache = [], {}
        if records:
            self._store.generations.add_many(self._run_id, records, cache)


def _stops_run(exc: CodejuryError) -> bool:
    # Auth problems affect every request; a retryable failure that survived the retry loop
    # means the service is unwell. Either way, more requests would only fail the same way.
    return isinstance(exc, AuthError) or is_retryable(exc) or not _is_request_specific(exc)


def _is_request_specific(exc: CodejuryError) -> bool:
    status = getattr(exc, "status", None)
    return isinstance(status, int) and 400 <= status < 500 and status not in (401, 403, 404, 429)


_CACHED_FIELDS = (
    "text",
    "reasoning",
    "finish_reason",
    "truncated",
    "input_tokens",
    "output_tokens",
    "response_id",
    "model_id",
    "system_fingerprint",
)


def _to_cache(g: Generation) -> dict[str, Any]:
    return {name: getattr(g, name) for name in _CACHED_FIELDS}


def _from_cache(value: Mapping[str, Any]) -> Generation:
    return Generation(
        text=str(value.get("text") or ""),
        reasoning=value.get("reasoning"),
        finish_reason=value.get("finish_reason"),
        truncated=bool(value.get("truncated")),
        input_tokens=value.get("input_tokens"),
        output_tokens=value.get("output_tokens"),
        ttft_s=None,
        latency_s=0.0,
        response_id=value.get("response_id"),
        model_id=value.get("model_id"),
        system_fingerprint=value.get("system_fingerprint"),
    )

"""Samples × tests → verdicts: scheduling, caching, resume and timeout retries.

Each (sample, test set) pair is one job on a sandbox worker. Finished verdicts are written to
the store's verdict cache as they arrive, so Ctrl-C loses only the jobs in flight and the
next run with the same file picks up where this one stopped.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from typing import Any

from codejury.datasets.models import Benchmark
from codejury.sandbox.jail import Isolation, Pool, SandboxConfig
from codejury.sandbox.limits import Limits
from codejury.scoring.execute import run_check, run_io
from codejury.scoring.oracle import TaskOracle, prepare
from codejury.scoring.samples import MAX_SOLUTION_BYTES, Sample, SampleSet
from codejury.scoring.verdicts import PartVerdict
from codejury.store.db import Store

_FLUSH_EVERY_S = 0.5
# A timeout is re-run alone when the sample spent at least this share of the timed-out
# input's run waiting for a CPU: the machine's load, not the sample, may have caused it. On an
# idle machine a re-run would only repeat the same timeout (an infinite loop stays one).
RETRY_BUSY_SHARE = 0.1
# Bump when a change to the sandbox or the comparison can change a verdict: old cached
# verdicts then stop matching instead of being served.
ENGINE_VERSION = "2"


@dataclass(frozen=True)
class ScoreOptions:
    """How to score.

    Attributes:
        workers: Sandbox workers (one zygote each) — about one per core.
        test_details: Run every input instead of stopping at the first failure.
        retry_timeouts: Re-run a timed-out test set once, alone, after the others, when the
            machine was busy during the timeout (see :data:`RETRY_BUSY_SHARE`).
        use_cache: Reuse cached verdicts of identical (solution, task, dataset, limits).
        limits: Resource and time limits.
        sandbox: How the sandbox is built.
    """

    workers: int = 2
    test_details: bool = False
    retry_timeouts: bool = True
    use_cache: bool = True
    limits: Limits = field(default_factory=Limits)
    sandbox: SandboxConfig = field(default_factory=SandboxConfig)


@dataclass
class SampleVerdict:
    """Both verdicts of one sample."""

    sample: Sample
    parts: dict[str, PartVerdict]
    cached: bool = False

    def status(self, part: str) -> str | None:
        """Status of ``part`` or None when the benchmark has no such test set."""
        v = self.parts.get(part)
        return v.status if v else None


@dataclass
class ScoreResult:
    """What a scoring run produced."""

    benchmark: Benchmark
    verdicts: list[SampleVerdict]
    isolation: Isolation
    limits: Limits
    wall_seconds: float
    reference_seconds: float
    cached: int
    retried: int
    interrupted: bool = False


Progress = Callable[[str, int, int], None]


def parts_of(benchmark: Benchmark) -> tuple[str, ...]:
    """The test sets a sample of ``benchmark`` is scored on."""
    if benchmark.mode == "check":
        return ("check",)
    return ("base", "plus") if benchmark.has_plus else ("base",)


def verdict_key(sample: Sample, benchmark: Benchmark, limits: Limits, test_details: bool) -> str:
    """Cache key: the same solution on the same task, data and limits gets the same verdict."""
    blob = "\0".join(
        [
            sample.solution_hash,
            sample.task_id,
            benchmark.id,
            benchmark.content_hash,
            limits.key(),
            str(test_details),
        ]
    )
    return hashlib.sha256(blob.encode()).hexdigest()


class Scorer:
    """Scores sample sets of one benchmark on a pool of sandbox workers."""

    def __init__(
        self,
        benchmark: Benchmark,
        options: ScoreOptions,
        store: Store | None = None,
        progress: Progress | None = None,
    ) -> None:
        self.benchmark = benchmark
        self.options = options
        self.store = store
        self.progress = progress or (lambda _stage, _done, _total: None)

    def _job(self, pool: Pool, oracle: TaskOracle, sample: Sample, part: str) -> PartVerdict:
        opts = self.options
        if len(sample.solution.encode("utf-8")) > MAX_SOLUTION_BYTES:
            return PartVerdict("error", "solution larger than 1 MiB")
        worker = pool.acquire()
        try:
            if part == "check":
                assert oracle.check_cpu is not None
                budget = opts.limits.input_limit(oracle.check_cpu)
                verdict, _cpu = run_check(
                    worker, sample.solution, oracle.problem, budget, opts.limits
                )
                return verdict
            tests = oracle.base if part == "base" else oracle.plus
            assert tests is not None
            return run_io(
                worker,
                sample.solution,
                oracle.problem,
                self.benchmark.family,
                tests,
                opts.limits,
                test_details=opts.test_details,
            )
        finally:
            pool.release(worker)

    def score(self, samples: SampleSet, run_id: str | None = None) -> ScoreResult:
        """Score every sample; each verdict is cached and recorded under ``run_id`` as it lands.

        Raises:
            ScoreInterrupted: On Ctrl-C, carrying everything finished (already saved).
        """
        started = time.monotonic()
        opts = self.options
        parts = parts_of(self.benchmark)
        state = _State(self, run_id)
        for s in samples.samples:
            state.keys[(s.task_id, s.index)] = verdict_key(
                s, self.benchmark, opts.limits, opts.test_details
            )
        cached: dict[str, dict[str, Any]] = {}
        if self.store is not None and opts.use_cache:
            cached = self.store.cached_verdicts(list(state.keys.values()))
        jobs: list[tuple[Sample, str]] = []
        n_cached = 0
        for s in samples.samples:
            hit = cached.get(state.keys[(s.task_id, s.index)], {})
            known = {p: PartVerdict.from_dict(hit[p]) for p in parts if p in hit}
            verdict = state.results[(s.task_id, s.index)] = SampleVerdict(
                s, known, cached=len(known) == len(parts)
            )
            n_cached += verdict.cached
            if run_id is not None:
                state.pending.extend((verdict, p) for p in known)
            jobs.extend((s, p) for p in parts if p not in known)
        reference_seconds = 0.0
        retried = 0
        interrupted = False
        with Pool(opts.workers, opts.sandbox, opts.limits) as pool:
            assert pool.isolation is not None
            isolation = pool.isolation
            try:
                if jobs:
                    t0 = time.monotonic()
                    oracles = prepare(
                        self.benchmark,
                        [s.task_id for s, _ in jobs],
                        pool,
                        on_progress=lambda d, t: self.progress("reference", d, t),
                    )
                    reference_seconds = time.monotonic() - t0
                    self._run_jobs(pool, self._plan(jobs, oracles), oracles, state)
                    if opts.retry_timeouts:
                        retried = self._retry_timeouts(pool, oracles, state, parts)
            except KeyboardInterrupt:
                interrupted = True
            finally:
                state.flush()
        verdicts = [
            v
            for s in samples.samples
            if len((v := state.results[(s.task_id, s.index)]).parts) == len(parts)
        ]
        result = ScoreResult(
            self.benchmark,
            verdicts,
            isolation,
            opts.limits,
            time.monotonic() - started,
            reference_seconds,
            n_cached,
            retried,
            interrupted,
        )
        if interrupted:
            raise _Interrupted(result)
        return result

    def _plan(
        self, jobs: list[tuple[Sample, str]], oracles: dict[str, TaskOracle]
    ) -> list[tuple[Sample, str]]:
        # Longest jobs first, so two workers do not end with one straggler each.
        def cost(job: tuple[Sample, str]) -> float:
            oracle = oracles[job[0].task_id]
            tests = oracle.base if job[1] == "base" else oracle.plus
            if tests is None:
                return oracle.check_cpu or 0.0
            return sum(tests.reference_cpu) + 0.0002 * len(tests.inputs)

        return sorted(jobs, key=cost, reverse=True)

    def _run_jobs(
        self,
        pool: Pool,
        jobs: list[tuple[Sample, str]],
        oracles: dict[str, TaskOracle],
        state: _State,
    ) -> None:
        last_flush = time.monotonic()
        with ThreadPoolExecutor(max_workers=self.options.workers) as executor:
            futures: dict[Future[PartVerdict], tuple[Sample, str]] = {
                executor.submit(self._job, pool, oracles[s.task_id], s, p): (s, p) for s, p in jobs
            }
            not_done = set(futures)
            try:
                while not_done:
                    finished, not_done = wait(
                        not_done, timeout=_FLUSH_EVERY_S, return_when=FIRST_COMPLETED
                    )
                    for future in finished:
                        sample, part = futures[future]
                        state.land(sample, part, future.result())
                    self.progress("score", len(futures) - len(not_done), len(futures))
                    if time.monotonic() - last_flush >= _FLUSH_EVERY_S:
                        state.flush()
                        last_flush = time.monotonic()
            except KeyboardInterrupt:
                for future in not_done:
                    future.cancel()
                raise

    def _retry_timeouts(
        self, pool: Pool, oracles: dict[str, TaskOracle], state: _State, parts: tuple[str, ...]
    ) -> int:
        # A timeout can be the machine's fault (a burst of load), so one that happened while
        # the sample waited for a CPU is run again alone — no other sample running — before it
        # counts. Only the second verdict is kept.
        retry = [
            (v.sample, p)
            for v in state.results.values()
            if not v.cached
            for p in parts
            if v.status(p) == "timeout"
            and not v.parts[p].retried
            and v.parts[p].busy >= RETRY_BUSY_SHARE
        ]
        for i, (sample, part) in enumerate(retry):
            again = self._job(pool, oracles[sample.task_id], sample, part)
            again.retried = True
            state.land(sample, part, again)
            self.progress("retry", i + 1, len(retry))
        return len(retry)


class _State:
    """Verdicts of one scoring run, and what of them still has to reach the store."""

    def __init__(self, scorer: Scorer, run_id: str | None) -> None:
        self.store = scorer.store
        self.run_id = run_id
        self.keys: dict[tuple[str, int], str] = {}
        self.results: dict[tuple[str, int], SampleVerdict] = {}
        self.pending: list[tuple[SampleVerdict, str]] = []

    def land(self, sample: Sample, part: str, verdict: PartVerdict) -> None:
        """Record a finished part; it is saved at the next flush (each part on its own)."""
        sv = self.results[(sample.task_id, sample.index)]
        sv.parts[part] = verdict
        self.pending.append((sv, part))

    def flush(self) -> None:
        """Write pending verdicts: to the verdict cache and, with a run id, to the run."""
        if self.store is None or not self.pending:
            self.pending.clear()
            return
        from codejury.store.records import SampleRecord, VerdictRecord

        touched = {id(sv): sv for sv, _ in self.pending if not sv.cached}
        if touched:
            self.store.cache_verdicts(
                {
                    self.keys[(sv.sample.task_id, sv.sample.index)]: {
                        p: pv.as_dict() for p, pv in sv.parts.items()
                    }
                    for sv in touched.values()
                }
            )
        if self.run_id is not None:
            samples = {id(sv): sv.sample for sv, _ in self.pending}
            self.store.add_samples(
                self.run_id,
                [
                    SampleRecord(s.task_id, s.index, s.solution, s.solution_hash)
                    for s in samples.values()
                ],
            )
            self.store.record_verdicts(
                self.run_id,
                [
                    VerdictRecord(
                        sv.sample.task_id,
                        sv.sample.index,
                        p,
                        sv.parts[p].status,
                        sv.parts[p].as_dict(),
                    )
                    for sv, p in self.pending
                ],
            )
        self.pending.clear()


class _Interrupted(KeyboardInterrupt):
    """Ctrl-C during scoring; carries what was finished (already saved)."""

    def __init__(self, result: ScoreResult) -> None:
        super().__init__("interrupted")
        self.result = result


ScoreInterrupted = _Interrupted

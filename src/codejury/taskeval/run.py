"""One model on a task file, end to end: answers → checks → verdicts → summary, as a stored run.

A run (kind ``taskeval``) is defined by a frozen :class:`TaskEvalSpec`: the model, the task
file's content hash, n, sampling settings and the judge. Its answers are requested through
the shared generation loop (:class:`codejury.runner.Generator`, fed by a
:class:`~codejury.taskeval.planning.TaskPlanner`), so each answer is committed as it arrives
and the content-addressed cache answers repeated requests; checks are committed as they are
decided (:mod:`codejury.taskeval.grading`). Re-running the same spec resumes the unfinished
run: nothing finished is requested, tested or judged again.
"""

from __future__ import annotations

import asyncio
import dataclasses
import hashlib
import json
import platform
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from codejury import __version__
from codejury.errors import CodejuryError
from codejury.providers.base import Provider
from codejury.providers.registry import ModelConfig
from codejury.runner import CostFn, EvalSpec, GenerationOutcome, GenerationProgress, Generator
from codejury.sandbox.jail import SandboxConfig
from codejury.sandbox.limits import Limits
from codejury.store.db import Store
from codejury.store.records import GenerationRecord
from codejury.taskeval.codetests import CodeTester
from codejury.taskeval.grading import Grader, SampleResult
from codejury.taskeval.judge import JudgeJob, JudgePlanner, is_judge_id, judge_job_id
from codejury.taskeval.models import TaskFile
from codejury.taskeval.planning import TaskPlanner, answer_sha, planned_benchmark
from codejury.taskeval.results import compare, summarize

KIND = "taskeval"
"""The ``kind`` of the runs this module stores."""

Progress = Callable[[str, int, int], None]
"""``progress(stage, done, total)``; stages: ``generating``, ``testing``, ``judging``."""


@dataclass(frozen=True)
class TaskEvalSpec:
    """Everything that defines a task-file run; equal specs are the same (resumable) run.

    Attributes:
        model: The model answering.
        tasks: The loaded task file.
        task_ids: The tasks to run, in order.
        n: Answers per task.
        temperature: Sampling temperature.
        max_tokens: Most tokens per answer.
        seed: Sampling seed (answer ``i`` gets ``seed + i``) or None.
        timeout_s: Deadline of one request attempt (the judge's too).
        judge: The judge model of ``judge`` checks, or None.
        judge_max_tokens: Most tokens per judge answer.
    """

    model: ModelConfig
    tasks: TaskFile
    task_ids: tuple[str, ...]
    n: int = 1
    temperature: float = 0.0
    max_tokens: int = 1024
    seed: int | None = None
    timeout_s: float = 120.0
    judge: ModelConfig | None = None
    judge_max_tokens: int = 1024

    def generation_spec(self) -> EvalSpec:
        """The spec the generation loop runs: the task file as a benchmark of the team's own."""
        prompts = {t: self.tasks.tasks[t].prompt for t in self.task_ids}
        bench = planned_benchmark(f"tasks:{self.tasks.path.name}", self.tasks.content_hash, prompts)
        return EvalSpec(
            model=self.model,
            benchmark=bench,
            task_ids=self.task_ids,
            n=self.n,
            temperature=self.temperature,
            max_tokens=self.max_tokens,
            seed=self.seed,
            timeout_s=self.timeout_s,
        )

    def planner(self) -> TaskPlanner:
        """Builds this spec's requests."""
        return TaskPlanner(
            self.tasks,
            completion=self.model.style == "completion",
            max_tokens=self.max_tokens,
            temperature=self.temperature,
            seed=self.seed,
            timeout_s=self.timeout_s,
        )

    def judge_identity(self) -> dict[str, Any] | None:
        """What determines the judge's answers, or None without a judge."""
        if self.judge is None:
            return None
        return dataclasses.replace(self.generation_spec(), model=self.judge).model_identity()

    def key(self) -> str:
        """Hash of the spec: a re-run with the same key resumes the unfinished run."""
        blob = {
            "model": self.generation_spec().model_identity(),
            "style": self.model.style,
            "tasks": self.tasks.content_hash,
            "task_ids": list(self.task_ids),
            "n": self.n,
            "temperature": self.temperature,
            "max_tokens": self.max_tokens,
            "seed": self.seed,
            "judge": self.judge_identity(),
            "judge_max_tokens": self.judge_max_tokens,
        }
        text = json.dumps(blob, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
        return hashlib.sha256(text.encode("utf-8")).hexdigest()

    def document(self) -> dict[str, Any]:
        """The spec as recorded in the run (JSON object)."""
        return {
            "spec_key": self.key(),
            "model": self.model.name,
            "model_identity": self.generation_spec().model_identity(),
            "model_metadata": dict(self.model.metadata),
            "task_file": self.tasks.label,
            "task_file_format": self.tasks.format,
            "task_file_hash": self.tasks.content_hash,
            "tasks": len(self.task_ids),
            "task_ids": list(self.task_ids),
            "check_kinds": self.tasks.kinds(),
            "n": self.n,
            "temperature": self.temperature,
            "max_tokens": self.max_tokens,
            "seed": self.seed,
            "timeout_s": self.timeout_s,
            "judge": None if self.judge is None else self.judge.name,
            "judge_identity": self.judge_identity(),
            "judge_max_tokens": self.judge_max_tokens,
            "concurrency": self.model.concurrency,
            "rpm": self.model.rpm,
        }


@dataclass(frozen=True)
class Endpoint:
    """A model ready to be called: its config, its provider (limiter and retries included)
    and the cost of its tokens."""

    config: ModelConfig
    provider: Provider
    cost: CostFn


@dataclass(frozen=True)
class RunOptions:
    """How to run (none of it changes results, so none of it is in the spec key).

    Attributes:
        use_cache: Answer repeated requests from the completion cache.
        resume: Continue an unfinished run of the same spec instead of starting anew.
        workers: Sandbox workers for unit-test checks.
        sandbox: How the sandbox is built.
        limits: Resource limits of each sandboxed test run.
        extra: Facts to record in the run's spec (e.g. the price), JSON-ready.
    """

    use_cache: bool = True
    resume: bool = True
    workers: int = 2
    sandbox: SandboxConfig = field(default_factory=SandboxConfig)
    limits: Limits = field(default_factory=Limits)
    extra: Mapping[str, Any] = field(default_factory=dict)


@dataclass
class TaskEvalResult:
    """A finished run: its id, outcome per answer and summary (also in the store)."""

    run_id: str
    spec: TaskEvalSpec
    resumed: bool
    samples: list[SampleResult]
    summary: dict[str, Any]


async def run_taskeval(
    spec: TaskEvalSpec,
    store: Store,
    model: Endpoint,
    judge: Endpoint | None,
    options: RunOptions,
    progress: Progress | None = None,
) -> TaskEvalResult:
    """Run one model on a task file and store everything as one run.

    Raises:
        CodejuryError: The model or the judge failed for good (what finished is saved; the
            same call resumes), or the sandbox cannot run.
    """
    show = progress or (lambda _s, _d, _t: None)
    started = time.monotonic()
    run_id, resumed = _open_run(store, spec, options)
    status = "failed"
    summary: dict[str, Any] | None = None
    try:
        have = _existing(store, run_id, lambda r: not is_judge_id(r.task_id))
        outcome = await Generator(
            spec.generation_spec(),
            model.provider,
            store,
            run_id,
            cost=model.cost,
            use_cache=options.use_cache,
            on_progress=_bridge("generating", len(spec.task_ids) * spec.n, have, show),
            planner=spec.planner(),
        ).run()
        answers = [r for r in outcome.records if not is_judge_id(r.task_id)]
        if outcome.stopped_by is not None:
            summary = {"stopped": outcome.stopped_by.message}
            raise _resumable(outcome.stopped_by, f"{len(answers)} answers are saved", run_id)
        grader = Grader(
            spec.tasks,
            store,
            run_id,
            CodeTester(options.workers, options.sandbox, options.limits),
            _judge_runner(spec, store, run_id, judge, options, show),
            "" if spec.judge is None else spec.judge.name,
            show,
        )
        try:
            samples = await grader.grade(answers)
        except CodejuryError as exc:
            raise _resumable(exc, "the answers and the verdicts so far are saved", run_id) from None
        judge_rows = _judge_rows(store, run_id, spec, answers)
        summary = summarize(spec.tasks, samples, answers, judge_rows, spec.document()["judge"])
        levels = {
            str(r.detail["sandbox"])
            for s in samples
            for r in s.checks.values()
            if "sandbox" in r.detail
        }
        summary["sandbox"] = ", ".join(sorted(levels)) or None
        summary["wall_seconds"] = round(time.monotonic() - started, 3)
        summary["resumed"] = resumed
        status = "finished"
    except (KeyboardInterrupt, asyncio.CancelledError):
        status = "interrupted"
        raise
    finally:
        store.finish_run(run_id, status=status, summary=summary)
    return TaskEvalResult(run_id, spec, resumed, samples, summary)


def _open_run(store: Store, spec: TaskEvalSpec, options: RunOptions) -> tuple[str, bool]:
    document = spec.document() | dict(options.extra)
    if options.resume:
        previous = store.generations.resumable_run(KIND, document["spec_key"])
        if previous is not None:
            store.reopen_run(previous.id)
            return previous.id, True
    environment = {
        "codejury": __version__,
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "limits": dataclasses.asdict(options.limits),
    }
    run_id = store.create_run(
        kind=KIND,
        benchmark=f"tasks:{spec.tasks.path.name}",
        dataset_hash=spec.tasks.content_hash,
        spec=document,
        environment=environment,
    )
    return run_id, False


def _existing(store: Store, run_id: str, wanted: Callable[[GenerationRecord], bool]) -> int:
    return sum(1 for r in store.generations.of_run(run_id) if r.error is None and wanted(r))


def _bridge(
    stage: str, total: int, already: int, show: Progress
) -> Callable[[GenerationProgress], None]:
    # The loop's own count includes every answer of the run (the judge's too), so count the
    # events instead: the first reports the start, each later one a new answer.
    events = [-1]

    def on_progress(_p: GenerationProgress) -> None:
        events[0] += 1
        show(stage, min(already + events[0], total), total)

    return on_progress


def _judge_runner(
    spec: TaskEvalSpec,
    store: Store,
    run_id: str,
    judge: Endpoint | None,
    options: RunOptions,
    show: Progress,
) -> Callable[[Mapping[str, JudgeJob]], Any] | None:
    if judge is None:
        return None

    async def run(jobs: Mapping[str, JudgeJob]) -> GenerationOutcome:
        bench = planned_benchmark("judge", spec.tasks.content_hash, dict.fromkeys(jobs, ""))
        judge_spec = EvalSpec(
            model=judge.config,
            benchmark=bench,
            task_ids=tuple(jobs),
            temperature=0.0,
            max_tokens=spec.judge_max_tokens,
            timeout_s=spec.timeout_s,
        )
        planner = JudgePlanner(jobs, max_tokens=spec.judge_max_tokens, timeout_s=spec.timeout_s)
        have = _existing(store, run_id, lambda r: r.task_id in jobs)
        return await Generator(
            judge_spec,
            judge.provider,
            store,
            run_id,
            cost=judge.cost,
            use_cache=options.use_cache,
            on_progress=_bridge("judging", len(jobs), have, show),
            planner=planner,
        ).run()

    return run


def _judge_rows(
    store: Store, run_id: str, spec: TaskEvalSpec, answers: Sequence[GenerationRecord]
) -> list[GenerationRecord]:
    # Only the judge answers about the current answers (a re-requested answer makes the
    # judge's verdict on the old one obsolete).
    current = {
        judge_job_id(a.task_id, a.index, c.name, answer_sha(a.raw_text))
        for a in answers
        for c in spec.tasks.tasks[a.task_id].checks
        if c.kind == "judge"
    }
    return [r for r in store.generations.of_run(run_id) if r.task_id in current]


def _resumable(error: CodejuryError, saved: str, run_id: str) -> CodejuryError:
    note = f"{saved} in run {run_id[:12]}; run the same command to resume"
    error.hint = f"{error.hint}; {note}" if error.hint else note
    return error


def attach_comparisons(store: Store, results: Sequence[TaskEvalResult]) -> list[dict[str, Any]]:
    """Compare every pair of runs on their common tasks; add each comparison to both runs'
    stored summaries (as seen from each side) and return them, first model as A."""
    pairs: list[dict[str, Any]] = []
    for i, a in enumerate(results):
        for b in results[i + 1 :]:
            c = compare(a.samples, b.samples)
            if c is None:
                continue
            pair = {"a": a.spec.model.name, "b": b.spec.model.name, "run_a": a.run_id}
            pair |= {"run_b": b.run_id} | c
            pairs.append(pair)
            mirrored = c | {
                "diff": -c["diff"],
                "low": -c["high"],
                "high": -c["low"],
                "a_better": c["b_better"],
                "b_better": c["a_better"],
            }
            a.summary.setdefault("comparisons", []).append(
                {"other": b.spec.model.name, "other_run": b.run_id} | c
            )
            b.summary.setdefault("comparisons", []).append(
                {"other": a.spec.model.name, "other_run": a.run_id} | mirrored
            )
    for r in results:
        if "comparisons" in r.summary:
            store.finish_run(r.run_id, status="finished", summary=r.summary)
    return pairs

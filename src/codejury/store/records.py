"""The records codejury keeps: one schema for the database, exports and the web API.

Records are frozen dataclasses of plain values (JSON-compatible dicts, strings, ints), so
``dataclasses.asdict`` turns any of them into the document an export or the web API sends.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

RUN_STATUSES = ("running", "finished", "interrupted", "failed")
"""Every status a run can have; a run starts as ``running``."""

FINAL_RUN_STATUSES = ("finished", "interrupted", "failed")
"""The statuses :meth:`codejury.store.Store.finish_run` may set."""

VERDICT_PARTS = ("base", "plus", "check")
"""Test sets a verdict can be about: EvalPlus base/plus inputs, or a published ``check``."""


@dataclass(frozen=True, slots=True)
class RunRecord:
    """One run: an evaluation, a generation pass or any later kind of job.

    Attributes:
        id: Unique id (uuid4 hex unless the caller chose one).
        kind: What the run does, e.g. ``score`` or ``generate``.
        benchmark: Benchmark id (``humaneval+``...), or None when the run has none.
        dataset_hash: Content hash of the dataset the run used, or None.
        created_at: When the run was created, ISO 8601 in UTC.
        finished_at: When it ended (ISO 8601 UTC), or None while running.
        status: One of :data:`RUN_STATUSES`.
        spec: The frozen spec that defines the run (JSON object).
        environment: Where it ran: versions, platform, sandbox layers (JSON object).
        summary: Headline results once finished (JSON object), else None.
    """

    id: str
    kind: str
    benchmark: str | None
    dataset_hash: str | None
    created_at: str
    finished_at: str | None
    status: str
    spec: dict[str, Any]
    environment: dict[str, Any]
    summary: dict[str, Any] | None


@dataclass(frozen=True, slots=True)
class SampleRecord:
    """One solution to one task, as scored.

    Attributes:
        task_id: The task id as published, e.g. ``HumanEval/0``.
        index: Position of this sample among the task's samples (0-based).
        solution: The runnable code.
        solution_hash: Hash of ``solution``, used to share verdicts across runs.
    """

    task_id: str
    index: int
    solution: str
    solution_hash: str


@dataclass(frozen=True, slots=True)
class VerdictRecord:
    """The outcome of running one sample against one test set.

    Attributes:
        task_id: The task id as published.
        index: The sample's index within the task.
        part: Which test set, one of :data:`VERDICT_PARTS`.
        status: ``pass``, ``fail``, ``error``, ``timeout``, ``memory``, ``crash`` or ``no_code``.
        detail: Anything else worth keeping (failing inputs, timings...), a JSON object.
    """

    task_id: str
    index: int
    part: str
    status: str
    detail: dict[str, Any]


@dataclass(frozen=True, slots=True)
class GenerationRecord:
    """One model completion for one task, as received, with what it cost.

    Attributes:
        task_id: The task id as published.
        index: The completion's index within the task (0-based).
        cache_key: Content address of the request (model, parameters, prompt, index).
        raw_text: The model's answer exactly as received.
        reasoning: Reasoning text the server sent separately, if any.
        code: What the sanitizer kept (empty when there was no code).
        sanitize_rule: The sanitizer rule that chose the code (``no_code`` when none).
        finish_reason: The provider's stop reason, verbatim.
        truncated: True when the answer hit ``max_tokens``.
        input_tokens: Prompt tokens reported by the provider.
        output_tokens: Generated tokens reported by the provider.
        ttft_s: Seconds to the first token (None when served from the cache).
        latency_s: Seconds to the whole answer (None when served from the cache).
        cost_usd: Token cost at the run's price (what the answer costs, cached or not).
        response_id: The provider's response id.
        model_id: The model the provider says answered.
        system_fingerprint: The backend fingerprint, where reported.
        cached: True when served from the completion cache (no request was made).
        error: Why the request failed for good (the answer is then empty), else None.
    """

    task_id: str
    index: int
    cache_key: str
    raw_text: str
    reasoning: str | None
    code: str
    sanitize_rule: str
    finish_reason: str | None
    truncated: bool
    input_tokens: int | None
    output_tokens: int | None
    ttft_s: float | None
    latency_s: float | None
    cost_usd: float | None
    response_id: str | None = None
    model_id: str | None = None
    system_fingerprint: str | None = None
    cached: bool = False
    error: str | None = None

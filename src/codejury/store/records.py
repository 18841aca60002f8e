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

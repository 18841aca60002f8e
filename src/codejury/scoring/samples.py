"""Reading a samples file (EvalPlus JSONL) with errors that name the file and the line."""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

from codejury.datasets.models import Benchmark
from codejury.errors import DataError

MAX_SOLUTION_BYTES = 1 << 20  # a larger solution is scored as an error, not executed
_MAX_REPORTED = 10


@dataclass(frozen=True)
class Sample:
    """One solution to score.

    Attributes:
        task_id: Published task id.
        index: Completion index within its task, in file order (EvalPlus's completion_id).
        solution: The full program (a ``completion`` is prefixed with the task's prompt).
        line: 1-based line in the samples file.
    """

    task_id: str
    index: int
    solution: str
    line: int

    @property
    def solution_hash(self) -> str:
        """sha256 of the solution text."""
        return hashlib.sha256(self.solution.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class SampleSet:
    """The samples of a file, validated against a benchmark."""

    path: Path
    samples: list[Sample]
    missing_tasks: list[str]
    warnings: list[str]

    def by_task(self) -> dict[str, list[Sample]]:
        """Samples grouped by task, in index order."""
        out: dict[str, list[Sample]] = defaultdict(list)
        for s in self.samples:
            out[s.task_id].append(s)
        return dict(out)


def read_samples(path: Path, benchmark: Benchmark) -> SampleSet:
    """Read and validate a samples JSONL file.

    Every line must be a JSON object with ``task_id`` and a string ``solution`` (the whole
    program) or ``completion`` (appended to the task's prompt). Problems are collected for
    the whole file and reported together, each with its line number; nothing is scored from
    a file with errors, so nothing is half-done.

    Raises:
        DataError: Unreadable file, non-UTF-8 bytes, malformed JSON, missing fields, unknown
            task ids.
    """
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise DataError(f"cannot read samples file {path}: {exc.strerror or exc}") from exc
    errors: list[str] = []
    warnings: list[str] = []
    samples: list[Sample] = []
    counts: dict[str, int] = defaultdict(int)
    seen: dict[tuple[str, str], int] = {}
    for lineno, line_bytes in enumerate(raw.splitlines(), start=1):
        if not line_bytes.strip():
            continue
        where = f"{path}:{lineno}"
        try:
            line = line_bytes.decode("utf-8")
        except UnicodeDecodeError as exc:
            errors.append(f"{where}: not UTF-8 (byte {exc.start}); re-encode the file as UTF-8")
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as exc:
            errors.append(f"{where}:{exc.colno}: malformed JSON: {exc.msg}")
            continue
        if not isinstance(obj, dict):
            errors.append(f"{where}: expected a JSON object, got {type(obj).__name__}")
            continue
        task_id = obj.get("task_id")
        if not isinstance(task_id, str):
            errors.append(f'{where}: missing or non-string "task_id"')
            continue
        problem = benchmark.problems.get(task_id)
        if problem is None:
            errors.append(f"{where}: task {task_id!r} is not in {benchmark.id}")
            continue
        if isinstance(obj.get("solution"), str):
            solution = obj["solution"]
        elif isinstance(obj.get("completion"), str):
            solution = problem.prompt + obj["completion"]
        else:
            errors.append(f'{where}: needs a string "solution" (whole program) or "completion"')
            continue
        try:
            size = len(solution.encode("utf-8"))
        except UnicodeEncodeError as exc:
            errors.append(
                f"{where}: the solution holds an unpaired surrogate (\\u{ord(solution[exc.start]):04x}), "
                "which is not valid Unicode; fix the text that produced it"
            )
            continue
        if size > MAX_SOLUTION_BYTES:
            warnings.append(
                f"{where}: solution of {size:,} bytes exceeds {MAX_SOLUTION_BYTES:,}; scored as an error"
            )
        key = (task_id, solution)
        if key in seen:
            warnings.append(
                f"{where}: same solution as line {seen[key]} for {task_id}; kept as a separate sample (as EvalPlus does)"
            )
        else:
            seen[key] = lineno
        samples.append(Sample(task_id, counts[task_id], solution, lineno))
        counts[task_id] += 1
    if errors:
        shown = errors[:_MAX_REPORTED]
        more = f"\n  ... and {len(errors) - len(shown)} more" if len(errors) > len(shown) else ""
        hint = None
        if any("is not in" in e for e in errors):
            hint = f"check --benchmark (known task ids look like {next(iter(benchmark.problems))})"
        raise DataError(
            f"{len(errors)} problem(s) in samples file {path}; nothing was scored:\n  "
            + "\n  ".join(shown)
            + more,
            hint=hint,
        )
    if not samples:
        raise DataError(
            f"samples file {path} has no samples",
            hint='each line: {"task_id": ..., "solution": ...}',
        )
    missing = [t for t in benchmark.problems if t not in counts]
    ns = set(counts.values())
    if len(ns) > 1:
        warnings.append(
            f"tasks have different numbers of samples ({min(ns)}..{max(ns)}); pass@k uses each task's own n"
        )
    return SampleSet(path, samples, missing, warnings)

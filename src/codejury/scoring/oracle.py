"""Expected outputs: the canonical solutions run in the sandbox once per dataset version.

The reference program never runs in the codejury process. Its outputs and per-input CPU
times are cached under the user cache, keyed by benchmark, content hash and the sandbox
interpreter's version (outputs and timings belong to that interpreter).
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import platformdirs

from codejury.datasets.models import Benchmark, Problem
from codejury.sandbox import wire
from codejury.sandbox.jail import Pool
from codejury.scoring.compare import MBPP_OUTPUT_NOT_NONE
from codejury.scoring.execute import TestSet, run_check, run_reference

_FORMAT = 1


@dataclass(frozen=True)
class TaskOracle:
    """Everything the judge needs for one task."""

    problem: Problem
    base: TestSet | None
    plus: TestSet | None
    check_cpu: float | None


def cache_root() -> Path:
    """codejury's cache directory ($CODEJURY_CACHE_DIR or the platform's user cache)."""
    env = os.environ.get("CODEJURY_CACHE_DIR")
    return Path(env) if env else Path(platformdirs.user_cache_dir("codejury"))


def _cache_file(benchmark: Benchmark, python: str) -> Path:
    return (
        cache_root() / "expected" / f"{benchmark.id}-{benchmark.content_hash[:16]}-py{python}.json"
    )


def _load(path: Path) -> dict[str, list[Any]]:
    try:
        data = wire.loads(path.read_bytes())
    except (OSError, wire.WireError):
        return {}  # a missing or damaged cache is recomputed, never trusted
    if (
        not isinstance(data, list)
        or len(data) != 2
        or data[0] != _FORMAT
        or not isinstance(data[1], dict)
    ):
        return {}
    return data[1]


def _save(path: Path, tasks: dict[str, list[Any]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".expected-")
    with os.fdopen(fd, "wb") as f:
        f.write(wire.dumps(wire.to_plain([_FORMAT, tasks])))
    os.replace(tmp, path)  # atomic: a crash never leaves half a cache


def _compute(pool: Pool, benchmark: Benchmark, problem: Problem) -> list[Any]:
    worker = pool.acquire()
    try:
        if benchmark.mode == "check":
            _verdict, cpu = run_check(
                worker, problem.reference_program, problem, 600.0, pool.limits
            )
            if not _verdict.passed:
                from codejury.errors import SandboxError

                raise SandboxError(
                    f"the reference solution of {problem.task_id} fails its own check in the "
                    f"sandbox ({_verdict.status}: {_verdict.reason})"
                )
            return [[], [], [], [], cpu]
        base, base_cpu = run_reference(worker, problem, problem.base_inputs, pool.limits)
        plus, plus_cpu = run_reference(worker, problem, problem.plus_inputs, pool.limits)
    finally:
        pool.release(worker)
    if benchmark.family == "mbpp" and problem.entry_point in MBPP_OUTPUT_NOT_NONE:
        # EvalPlus keeps only whether the reference returned something for these tasks.
        base = [v is not None for v in base]
        plus = [v is not None for v in plus]
    return [base, base_cpu, plus, plus_cpu, None]


def prepare(
    benchmark: Benchmark,
    task_ids: Iterable[str],
    pool: Pool,
    *,
    on_progress: Callable[[int, int], None] | None = None,
) -> dict[str, TaskOracle]:
    """Expected outputs (computing and caching the missing ones) for ``task_ids``."""
    assert pool.isolation is not None
    path = _cache_file(benchmark, pool.isolation.python)
    cached = _load(path)
    wanted = [t for t in dict.fromkeys(task_ids) if t in benchmark.problems]
    missing = [t for t in wanted if t not in cached]
    if missing:
        done = 0
        with ThreadPoolExecutor(max_workers=pool.size) as executor:
            futures = {
                t: executor.submit(_compute, pool, benchmark, benchmark.problems[t])
                for t in missing
            }
            for task_id, future in futures.items():
                cached[task_id] = future.result()
                done += 1
                if on_progress:
                    on_progress(done, len(missing))
        _save(path, cached)
    out: dict[str, TaskOracle] = {}
    for task_id in wanted:
        problem = benchmark.problems[task_id]
        base, base_cpu, plus, plus_cpu, check_cpu = cached[task_id]
        if benchmark.mode == "check":
            out[task_id] = TaskOracle(problem, None, None, float(check_cpu))
            continue
        out[task_id] = TaskOracle(
            problem,
            TestSet.build(problem, problem.base_inputs, base, base_cpu),
            TestSet.build(problem, problem.plus_inputs, plus, plus_cpu)
            if benchmark.has_plus
            else None,
            None,
        )
    return out

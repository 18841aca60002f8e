"""Expected outputs: the canonical solutions run in the sandbox once per dataset version.

The reference program never runs in the codejury process. Its outputs and per-input CPU
times are cached under the user cache, keyed by benchmark, content hash and the sandbox
interpreter's version (outputs and timings belong to that interpreter).
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import platformdirs

from codejury.datasets.models import Benchmark, Problem
from codejury.errors import SandboxError
from codejury.sandbox import wire
from codejury.sandbox.jail import Pool, encode_inputs
from codejury.scoring.compare import MBPP_OUTPUT_NOT_NONE, has_special_oracle
from codejury.scoring.execute import Reference, run_check, run_reference
from codejury.scoring.testset import ABSENT, BigValue, TestSet

_FORMAT = 3


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


def _cache_dir(benchmark: Benchmark, python: str) -> Path:
    return cache_root() / "expected" / f"{benchmark.id}-{benchmark.content_hash[:16]}-py{python}"


def _read(path: Path) -> Any:
    try:
        return wire.loads(path.read_bytes())
    except (OSError, wire.WireError):
        return None  # a missing or damaged cache is recomputed, never trusted


def _write(path: Path, value: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
    with os.fdopen(fd, "wb") as f:
        f.write(wire.dumps(wire.to_plain(value)))
    os.replace(tmp, path)  # atomic: a crash never leaves half a cache


def _big_file(root: Path, task_id: str, part: str) -> Path:
    return root / "big" / f"{task_id.replace('/', '_')}-{part}.json"


def _index_entry(root: Path, task_id: str, part: str, ref: Reference, not_none: bool) -> list[Any]:
    # The index keeps small values inline and only facts about large ones; large values go
    # to a file of their own, read only when a digest does not settle a comparison.
    values = ref.values
    if not_none:
        # EvalPlus keeps only whether the reference returned something for these tasks.
        return [[v is not None for v in values], ref.cpu, {}]
    small = [None if i in ref.big else v for i, v in enumerate(values)]
    kept = {i: values[i] for i in ref.big if values[i] is not ABSENT}
    if kept:
        _write(_big_file(root, task_id, part), kept)
    return [small, ref.cpu, {i: [*facts, i in kept] for i, facts in ref.big.items()}]


def _compute(pool: Pool, benchmark: Benchmark, problem: Problem, root: Path) -> list[Any]:
    worker = pool.acquire()
    try:
        if benchmark.mode == "check":
            verdict, cpu = run_check(worker, problem.reference_program, problem, 600.0, pool.limits)
            if not verdict.passed:
                raise SandboxError(
                    f"the reference solution of {problem.task_id} fails its own check in the "
                    f"sandbox ({verdict.status}: {verdict.reason})"
                )
            return [None, None, cpu]
        base = run_reference(worker, problem, problem.base_inputs)
        plus = run_reference(worker, problem, problem.plus_inputs)
    finally:
        pool.release(worker)
    not_none = benchmark.family == "mbpp" and problem.entry_point in MBPP_OUTPUT_NOT_NONE
    return [
        _index_entry(root, problem.task_id, "base", base, not_none),
        _index_entry(root, problem.task_id, "plus", plus, not_none),
        None,
    ]


def _test_set(
    benchmark: Benchmark, problem: Problem, part: str, entry: list[Any], root: Path
) -> TestSet:
    small, cpu, big = entry
    inputs = problem.base_inputs if part == "base" else problem.plus_inputs
    expected = [ABSENT if i in big else v for i, v in enumerate(small)]
    path = _big_file(root, problem.task_id, part)

    kept = {i for i, facts in big.items() if facts[3]}

    def load_big() -> dict[int, Any]:
        if not kept:
            return {}
        data = _read(path)
        if not isinstance(data, dict) or set(data) != kept:
            raise SandboxError(
                f"the expected-output cache {path} is damaged",
                hint=f"delete {root} and run again to recompute it",
            )
        return data

    return TestSet(
        problem.entry_point,
        inputs,
        encode_inputs(inputs),
        expected,
        {i: BigValue(d, bool(f), bool(nan)) for i, (d, f, nan, _kept) in big.items()},
        cpu,
        digests_allowed=not has_special_oracle(benchmark.family, problem.entry_point),
        load_big=load_big if big else None,
    )


def prepare(
    benchmark: Benchmark,
    task_ids: Iterable[str],
    pool: Pool,
    *,
    on_progress: Callable[[int, int], None] | None = None,
) -> dict[str, TaskOracle]:
    """Expected outputs (computing and caching the missing ones) for ``task_ids``."""
    assert pool.isolation is not None
    root = _cache_dir(benchmark, pool.isolation.python)
    index_path = root / "index.json"
    index = _read(index_path)
    if not isinstance(index, list) or len(index) != 2 or index[0] != _FORMAT:
        index = [_FORMAT, {}]
    cached: dict[str, list[Any]] = index[1]
    wanted = [t for t in dict.fromkeys(task_ids) if t in benchmark.problems]
    missing = [t for t in wanted if t not in cached]
    if missing:
        executor = ThreadPoolExecutor(max_workers=pool.size)
        futures = {
            executor.submit(_compute, pool, benchmark, benchmark.problems[t], root): t
            for t in missing
        }
        try:
            for done, future in enumerate(as_completed(futures), start=1):
                cached[futures[future]] = future.result()
                if on_progress:
                    on_progress(done, len(missing))
        finally:
            # Ctrl-C: drop what has not started, keep everything that finished.
            executor.shutdown(wait=True, cancel_futures=True)
            for future, task_id in futures.items():
                if future.done() and not future.cancelled() and future.exception() is None:
                    cached[task_id] = future.result()
            _write(index_path, index)
    out: dict[str, TaskOracle] = {}
    for task_id in wanted:
        problem = benchmark.problems[task_id]
        base, plus, check_cpu = cached[task_id]
        if benchmark.mode == "check":
            out[task_id] = TaskOracle(problem, None, None, float(check_cpu))
            continue
        out[task_id] = TaskOracle(
            problem,
            _test_set(benchmark, problem, "base", base, root),
            _test_set(benchmark, problem, "plus", plus, root) if benchmark.has_plus else None,
            None,
        )
    return out

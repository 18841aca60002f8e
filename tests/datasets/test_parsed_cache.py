"""The parsed-dataset cache: same problems, same exact types, and damage means a fresh parse."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import codejury.datasets.parsedcache as parsedcache
from codejury.datasets import Benchmark, clear_cache, load_benchmark


@pytest.fixture(autouse=True)
def cache_root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    root = tmp_path / "cache-root"
    monkeypatch.setenv("CODEJURY_CACHE_DIR", str(root))
    monkeypatch.delenv("CODEJURY_DATA_DIR", raising=False)
    clear_cache()
    yield root
    clear_cache()


def _same(a: Any, b: Any) -> bool:
    """Equal values of exactly the same types, all the way down (NaN equal to NaN)."""
    if type(a) is not type(b):
        return False
    if type(a) in (float, complex):
        return repr(a) == repr(b)
    if type(a) in (list, tuple):
        return len(a) == len(b) and all(map(_same, a, b))
    if type(a) is dict:
        return list(a) == list(b) and all(_same(a[k], b[k]) for k in a)
    if type(a) in (set, frozenset):
        return a == b and sorted(map(repr, a)) == sorted(map(repr, b))
    return bool(a == b)


def _same_benchmark(a: Benchmark, b: Benchmark) -> bool:
    if list(a.problems) != list(b.problems) or a.content_hash != b.content_hash:
        return False
    for task_id, p in a.problems.items():
        q = b.problems[task_id]
        fields = ("prompt", "entry_point", "canonical_solution", "atol", "test")
        if any(not _same(getattr(p, f), getattr(q, f)) for f in fields):
            return False
        if not (_same(p.base_inputs, q.base_inputs) and _same(p.plus_inputs, q.plus_inputs)):
            return False
    return True


def _parsed_files(root: Path) -> list[Path]:
    return sorted((root / "parsed").glob("*.marshal"))


@pytest.mark.parametrize("benchmark_id", ["mbpp+", "humaneval"])
def test_cached_parse_is_identical_to_a_fresh_one(
    benchmark_id: str, cache_root: Path, shared_data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fresh = load_benchmark(benchmark_id, shared_data_dir)
    (path,) = _parsed_files(cache_root)
    clear_cache()
    calls: list[str] = []
    real = parsedcache.load_parsed

    def spy(bench_id: str, md5: str) -> Any:
        found = real(bench_id, md5)
        calls.append("hit" if found is not None else "miss")
        return found

    monkeypatch.setattr("codejury.datasets.load_parsed", spy)
    cached = load_benchmark(benchmark_id, shared_data_dir)
    assert calls == ["hit"]
    assert cached is not fresh and _same_benchmark(cached, fresh)
    if benchmark_id == "mbpp+":
        # The restored MBPP+ types survive the cache (tuples, nested tuples, complex).
        assert type(cached.problems["Mbpp/2"].base_inputs[0][0]) is tuple
        assert type(cached.problems["Mbpp/124"].base_inputs[0][1]) is complex
        assert type(cached.problems["Mbpp/580"].base_inputs[0][0][2][2]) is tuple
        person = next(iter(cached.problems["Mbpp/722"].base_inputs[0][0].values()))
        assert type(person) is tuple
    # A damaged cache file is not used: the file is parsed again and the cache rewritten.
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))
    clear_cache()
    again = load_benchmark(benchmark_id, shared_data_dir)
    assert calls == ["hit", "miss"] and _same_benchmark(again, fresh)
    clear_cache()
    load_benchmark(benchmark_id, shared_data_dir)
    assert calls == ["hit", "miss", "hit"]


def test_cache_is_keyed_by_the_parser_code(
    cache_root: Path, shared_data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fresh = load_benchmark("humaneval+-mini", shared_data_dir)
    clear_cache()
    # Another parser version (e.g. changed MBPP+ rules) must not be served the old parse.
    monkeypatch.setattr(parsedcache, "_parser_version", lambda: "another-parser")
    assert parsedcache.load_parsed(fresh.id, fresh.content_hash) is None
    assert _same_benchmark(load_benchmark("humaneval+-mini", shared_data_dir), fresh)
    assert len(_parsed_files(cache_root)) == 1  # same name, rewritten under the new key

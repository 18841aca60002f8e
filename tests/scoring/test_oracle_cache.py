"""The expected-output cache's fast paths: sealed files, the marshal index, cached inputs.

A damaged or missing cache file must be recomputed, never trusted, and the verdicts must be
the same whether the caches are cold, warm, damaged or in the previous (JSON) format.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pytest

from codejury.datasets import Benchmark, load_benchmark
from codejury.datasets.sealed import dump_plain, load_plain, read_sealed, write_sealed
from codejury.sandbox import wire
from codejury.sandbox.jail import Pool, encode_inputs
from codejury.scoring import oracle
from codejury.scoring.evaluate import ScoreOptions, Scorer
from codejury.scoring.samples import read_samples

TASKS = ["HumanEval/0", "HumanEval/2", "HumanEval/15", "HumanEval/53"]


@pytest.fixture(scope="module")
def mini(shared_data_dir: Path) -> Benchmark:
    return load_benchmark("humaneval+-mini", shared_data_dir)


@pytest.fixture()
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = tmp_path / "cache"
    monkeypatch.setenv("CODEJURY_CACHE_DIR", str(root))
    return root


# -- sealed files --------------------------------------------------------------------------


def test_sealed_file_round_trips_and_rejects_damage(tmp_path: Path) -> None:
    path = tmp_path / "x.bin"
    write_sealed(path, b"payload bytes", b"key-1")
    assert read_sealed(path, b"key-1") == b"payload bytes"
    assert read_sealed(path, b"key-2") is None  # another kind/version/task: not this file
    data = bytearray(path.read_bytes())
    data[-1] ^= 1
    path.write_bytes(bytes(data))
    assert read_sealed(path, b"key-1") is None  # one flipped bit
    path.write_bytes(path.read_bytes()[:20])
    assert read_sealed(path, b"key-1") is None  # truncated
    assert read_sealed(tmp_path / "missing.bin", b"key-1") is None
    assert [p.name for p in tmp_path.iterdir()] == ["x.bin"]  # no temp files left


def _same(a: Any, b: Any) -> bool:
    """Equal values of exactly the same types, all the way down (NaN equal to NaN)."""
    if type(a) is not type(b):
        return False
    if type(a) is float:
        return repr(a) == repr(b)
    if type(a) in (list, tuple):
        return len(a) == len(b) and all(map(_same, a, b))
    if type(a) is dict:
        return list(a) == list(b) and all(_same(a[k], b[k]) for k in a)
    return bool(a == b)


def test_marshal_form_keeps_exact_types_or_refuses() -> None:
    value = [
        (1, 2.5, -0.0, math.nan, math.inf, 10**40, True, None),
        {"k": {1, 2}, 3: frozenset({"a"})},
        [1 + 2j, b"raw", "s\udc80"],
    ]
    payload = dump_plain(value)
    assert payload is not None
    assert _same(load_plain(payload), value)
    # marshal turns a bytearray into bytes and cannot hold other objects: refused.
    assert dump_plain([1, bytearray(b"x")]) is None
    assert dump_plain({"o": wire.Opaque("Foo")}) is None
    assert dump_plain([True, 1]) is not None


# -- encoded inputs ------------------------------------------------------------------------


def test_encoded_inputs_come_from_a_sealed_file_and_damage_is_recomputed(
    tmp_path: Path, mini: Benchmark
) -> None:
    problem = mini.problems["HumanEval/0"]
    expected = encode_inputs(problem.plus_inputs)
    load = oracle._inputs_loader(tmp_path, problem.task_id, "plus", problem.plus_inputs)
    assert load() == expected
    (path,) = (tmp_path / "inputs").iterdir()
    assert read_sealed(path, b"wrong key") is None
    # A damaged file that would still decode as inputs is not used: it is recomputed...
    forged = path.read_bytes().replace(b"1.0", b"2.0", 1)
    assert forged != path.read_bytes()
    path.write_bytes(forged)
    assert load() == expected
    # ...and written again, so the next run reads a good copy.
    assert path.read_bytes() != forged and load() == expected
    path.unlink()
    assert load() == expected and path.exists()


# -- the index -----------------------------------------------------------------------------


def _prepare(mini: Benchmark, events: list[int]) -> dict[str, oracle.TaskOracle]:
    with Pool(1) as pool:
        return oracle.prepare(mini, TASKS, pool, on_progress=lambda d, t: events.append(t))


def _snapshot(oracles: dict[str, oracle.TaskOracle]) -> list[Any]:
    out = []
    for task_id in TASKS:
        for tests in (oracles[task_id].base, oracles[task_id].plus):
            assert tests is not None
            n = len(tests.inputs)
            out.append(
                (
                    [tests.value(i) for i in range(n)],
                    {i: (b.digest, b.floats, b.nan) for i, b in tests.big.items()},
                    len(tests.reference_cpu),
                    tests.encoded_inputs,
                )
            )
    return out


def _index_dir(cache: Path) -> Path:
    (root,) = (cache / "expected").iterdir()
    return root


def test_index_damage_means_recompute_and_old_json_index_is_migrated(
    cache: Path, mini: Benchmark
) -> None:
    computed: list[int] = []
    first = _snapshot(_prepare(mini, computed))
    assert computed and computed[-1] == len(TASKS)
    root = _index_dir(cache)
    index = root / "index.marshal"
    assert index.exists() and not (root / "index.json").exists()

    warm: list[int] = []
    assert _same(_snapshot(_prepare(mini, warm)), first)
    assert warm == []  # nothing recomputed

    # A damaged index is not trusted: every task is computed again, with the same result.
    data = bytearray(index.read_bytes())
    data[len(data) // 2] ^= 0x55
    index.write_bytes(bytes(data))
    again: list[int] = []
    assert _same(_snapshot(_prepare(mini, again)), first)
    assert again and again[-1] == len(TASKS)

    # An index written by the previous version (format 3, wire JSON) is migrated, not
    # recomputed, and the JSON copy goes away.
    entries = load_plain(read_sealed(index, oracle._index_key(root)) or b"")[1]
    legacy = wire.dumps(wire.to_plain([3, entries]))
    index.unlink()
    (root / "index.json").write_bytes(legacy)
    migrated: list[int] = []
    assert _same(_snapshot(_prepare(mini, migrated)), first)
    assert migrated == []
    assert index.exists() and not (root / "index.json").exists()


def test_an_entry_that_does_not_fit_its_task_is_recomputed(cache: Path, mini: Benchmark) -> None:
    first = _snapshot(_prepare(mini, []))
    root = _index_dir(cache)
    index = root / "index.marshal"
    fmt, entries = load_plain(read_sealed(index, oracle._index_key(root)) or b"")
    entries["HumanEval/2"][1][0].pop()  # one expected output fewer than the task's inputs
    payload = dump_plain([fmt, entries])
    assert payload is not None
    write_sealed(index, payload, oracle._index_key(root))
    events: list[int] = []
    assert _same(_snapshot(_prepare(mini, events)), first)
    assert events == [1]  # only that task


def test_verdicts_are_identical_with_cold_warm_and_damaged_caches(
    cache: Path, tmp_path: Path, mini: Benchmark
) -> None:
    rows = []
    for task_id in TASKS:
        problem = mini.problems[task_id]
        rows.append({"task_id": task_id, "solution": problem.reference_program})
        rows.append({"task_id": task_id, "solution": problem.prompt + "    return None\n"})
    rows.append({"task_id": "HumanEval/53", "solution": "def add(x, y):\n    return x - y\n"})
    path = tmp_path / "samples.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    samples = read_samples(path, mini)
    options = ScoreOptions(workers=2, use_cache=False)

    def verdicts() -> list[Any]:
        result = Scorer(mini, options).score(samples)
        return [
            (v.sample.index, p, pv.status, pv.reason, pv.failed_index)
            for v in result.verdicts
            for p, pv in sorted(v.parts.items())
        ]

    cold = verdicts()
    assert {s for _i, _p, s, _r, _f in cold} == {"pass", "fail"}
    assert verdicts() == cold  # warm: index and inputs read from their files
    root = _index_dir(cache)
    for file in (root / "inputs").iterdir():
        file.write_bytes(file.read_bytes()[:-3] + b"]]]")
    (root / "index.marshal").write_bytes(b"garbage")
    assert verdicts() == cold  # damaged: recomputed, same verdicts

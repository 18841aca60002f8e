"""Samples × tests → verdicts, through the real sandbox, on subsets of the pinned datasets.

What is checked: reference solutions pass everything (so expected outputs, input types and the
comparison agree end to end); broken solutions get the right status and reason; pass@k is
computed from the verdicts; verdicts are cached and a re-run does no work; an interrupted run
keeps what finished; and verdicts do not change when the machine is busy.

Expected outputs are cached in one directory shared by every module of the session (computing
them is the expensive part), and only the tasks a samples file names are computed.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

import codejury.scoring.evaluate as evaluate_module
from codejury.datasets import Benchmark, load_benchmark
from codejury.sandbox.limits import Limits
from codejury.scoring.evaluate import (
    RETRY_BUSY_SHARE,
    ScoreInterrupted,
    ScoreOptions,
    Scorer,
    ScoreResult,
    verdict_key,
)
from codejury.scoring.results import evalplus_results, summary
from codejury.scoring.samples import SampleSet, read_samples
from codejury.store import Store

pytestmark = pytest.mark.timeout(300)

# MBPP+ tasks judged by a special oracle or a tolerance, and a few whose inputs need their
# types restored (tuples, sets, dicts): if any of those were off, a reference would fail.
MBPP_SUBSET = [
    "Mbpp/2", "Mbpp/7", "Mbpp/111", "Mbpp/140", "Mbpp/232", "Mbpp/558", "Mbpp/579",
    "Mbpp/581", "Mbpp/737", "Mbpp/769", "Mbpp/787", "Mbpp/794",  # special oracles
    "Mbpp/82", "Mbpp/124", "Mbpp/293", "Mbpp/742",  # atol tasks
    "Mbpp/63", "Mbpp/75", "Mbpp/106", "Mbpp/252", "Mbpp/278", "Mbpp/580", "Mbpp/615",
    "Mbpp/722", "Mbpp/791", "Mbpp/793", "Mbpp/259",  # restored input types
    "Mbpp/3", "Mbpp/4", "Mbpp/6", "Mbpp/8", "Mbpp/404", "Mbpp/418",
]  # fmt: skip


@dataclass(frozen=True)
class Env:
    cache: Path
    db: Path


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Env]:
    # One expected-output cache for the whole session (every module computes into the same
    # directory), a store of this module's own, and never the user's real directories.
    cache = tmp_path_factory.getbasetemp() / "codejury-cache"
    cache.mkdir(exist_ok=True)
    db = tmp_path_factory.mktemp("evaluate-store") / "codejury.db"
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("CODEJURY_CACHE_DIR", str(cache))
        mp.setenv("CODEJURY_DB", str(db))
        yield Env(cache, db)


@pytest.fixture(scope="module")
def mini(shared_data_dir: Path) -> Benchmark:
    return load_benchmark("humaneval+-mini", shared_data_dir)


@pytest.fixture(scope="module")
def mbpp(shared_data_dir: Path) -> Benchmark:
    return load_benchmark("mbpp+", shared_data_dir)


def write_samples(path: Path, rows: Sequence[dict[str, Any]]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


def canonical_rows(bench: Benchmark, task_ids: Sequence[str] | None = None) -> list[dict[str, Any]]:
    ids = list(dict.fromkeys(task_ids)) if task_ids is not None else list(bench.problems)
    return [{"task_id": t, "solution": bench.problems[t].reference_program} for t in ids]


@dataclass
class Scored:
    result: ScoreResult
    samples: SampleSet
    run_id: str
    events: list[tuple[str, int, int]]

    def status(self, index: int, part: str) -> str | None:
        return self.result.verdicts[index].status(part)


def score(
    bench: Benchmark,
    samples_path: Path,
    *,
    options: ScoreOptions | None = None,
    progress: Any = None,
) -> Scored:
    """Score a samples file as `codejury score` does: a run in the store, verdicts cached."""
    sample_set = read_samples(samples_path, bench)
    events: list[tuple[str, int, int]] = []

    def report(stage: str, done: int, total: int) -> None:
        events.append((stage, done, total))
        if progress is not None:
            progress(stage, done, total)

    with Store.open() as store:
        run_id = store.create_run(
            kind="score",
            benchmark=bench.id,
            dataset_hash=bench.content_hash,
            spec={},
            environment={},
        )
        result = Scorer(bench, options or ScoreOptions(workers=2), store, report).score(
            sample_set, run_id
        )
        store.finish_run(
            run_id, status="finished", summary=summary(result, sample_set.missing_tasks)
        )
    return Scored(result, sample_set, run_id, events)


# ---------------------------------------------------------------------------------------------
# Reference solutions pass everything


def test_canonical_humaneval_plus_mini_passes_everything(
    env: Env, mini: Benchmark, tmp_path: Path
) -> None:
    scored = score(mini, write_samples(tmp_path / "s.jsonl", canonical_rows(mini)))
    result = scored.result
    assert len(result.verdicts) == 164
    bad = [
        (v.sample.task_id, p, pv.status, pv.reason)
        for v in result.verdicts
        for p, pv in v.parts.items()
        if pv.status != "pass"
    ]
    assert bad == []
    # Every input of both sets really ran (no silently empty test set).
    for v in result.verdicts:
        problem = mini.problems[v.sample.task_id]
        assert v.parts["base"].n_inputs == len(problem.base_inputs)
        assert v.parts["plus"].n_inputs == len(problem.plus_inputs)
    summ = summary(result, scored.samples.missing_tasks)
    assert summ["pass_at_k"]["base"]["pass@1"]["value"] == 1.0
    assert summ["pass_at_k"]["plus"]["pass@1"]["value"] == 1.0
    assert summ["missing_tasks"] == 0
    assert summ["retried_timeouts"] == 0


def test_canonical_mbpp_plus_subset_passes_everything(
    env: Env, mbpp: Benchmark, tmp_path: Path
) -> None:
    scored = score(mbpp, write_samples(tmp_path / "s.jsonl", canonical_rows(mbpp, MBPP_SUBSET)))
    result = scored.result
    assert {v.sample.task_id for v in result.verdicts} == set(MBPP_SUBSET)
    bad = [
        (v.sample.task_id, p, pv.status, pv.reason)
        for v in result.verdicts
        for p, pv in v.parts.items()
        if pv.status != "pass"
    ]
    assert bad == []
    summ = summary(result, scored.samples.missing_tasks)
    assert summ["missing_tasks"] == len(mbpp.problems) - len(set(MBPP_SUBSET))


def test_completion_field_is_appended_to_the_prompt(
    env: Env, mini: Benchmark, tmp_path: Path
) -> None:
    # EvalPlus's other samples format: only the function body, the prompt is prepended.
    p = mini.problems["HumanEval/22"]
    path = write_samples(
        tmp_path / "s.jsonl", [{"task_id": p.task_id, "completion": p.canonical_solution}]
    )
    scored = score(mini, path)
    assert scored.status(0, "base") == scored.status(0, "plus") == "pass"
    assert scored.result.verdicts[0].sample.solution == p.prompt + p.canonical_solution


# (task, solution, base and plus status): answers a special oracle accepts though they are
# not equal to the reference's, and near misses it must not accept.
MBPP_ORACLE_CASES = [
    # set-equality task: another order and type (a sorted list instead of a tuple)
    (
        "Mbpp/2",
        "def similar_elements(a, b):\n    return sorted(set(a) & set(b), reverse=True)\n",
        "pass",
    ),
    ("Mbpp/2", "def similar_elements(a, b):\n    return sorted(set(a) | set(b))\n", "fail"),
    # not-None task: the reference returns a re.Match or None; a bool or any other non-None
    # value is judged by truth, as EvalPlus does
    (
        "Mbpp/737",
        "import re\ndef check_str(s):\n    return bool(re.match(r'^[aeiouAEIOU][A-Za-z0-9_]*', s))\n",
        "pass",
    ),
    (
        "Mbpp/737",
        "import re\ndef check_str(s):\n    return 'yes' if re.match(r'^[aeiouAEIOU]', s) else None\n",
        "pass",
    ),
    ("Mbpp/737", "def check_str(s):\n    return 'yes'\n", "fail"),
    # digit distance with zero padding (the reference truncates to the shorter number)
    (
        "Mbpp/558",
        "def digit_distance_nums(a, b):\n    x, y = str(a), str(b)\n    w = max(len(x), len(y))\n"
        "    return sum(abs(int(p) - int(q)) for p, q in zip(x.zfill(w), y.zfill(w)))\n",
        "pass",
    ),
    # pyramid surface with "height" as the perpendicular height
    (
        "Mbpp/581",
        "import math\ndef surface_Area(b, s):\n    return round(b * b + 2 * b * math.sqrt((b / 2) ** 2 + s * s))\n",
        "pass",
    ),
    ("Mbpp/581", "def surface_Area(b, s):\n    return b * b\n", "fail"),
]


def test_mbpp_special_oracles_end_to_end(
    env: Env, mbpp: Benchmark, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CODEJURY_DB", str(tmp_path / "db.sqlite"))
    rows = [{"task_id": t, "solution": sol} for t, sol, _ in MBPP_ORACLE_CASES]
    scored = score(mbpp, write_samples(tmp_path / "s.jsonl", rows))
    got = [(v.sample.task_id, v.status("base"), v.status("plus")) for v in scored.result.verdicts]
    want = [(t, st, st) for t, _sol, st in MBPP_ORACLE_CASES]
    assert got == want


@pytest.mark.slow
def test_canonical_mbpp_255_with_huge_outputs_passes(
    env: Env, mbpp: Benchmark, tmp_path: Path
) -> None:
    # One plus input, (['Dog', 'Cat', 'CatBird', 'Bird', 'Fish'], 77), returns C(81, 4) =
    # 1.6 million 77-tuples: far over one frame, so it only works through the digest path.
    # (~40 s: the reference and the sample each build and hash the huge list.)
    scored = score(mbpp, write_samples(tmp_path / "s.jsonl", canonical_rows(mbpp, ["Mbpp/255"])))
    assert scored.status(0, "base") == scored.status(0, "plus") == "pass"


# ---------------------------------------------------------------------------------------------
# Large outputs: digests decide equality, a digest mismatch falls back to real values


TRI = "HumanEval/130"  # plus input 1000001 returns a ~9 MB list


def _tri(first: str, drop_last_when_big: bool = False) -> str:
    tail = "    if n > 1000:\n        return ans[:-1]\n" if drop_last_when_big else ""
    return (
        "def tri(n):\n"
        "    if n == 0: return [1]\n"
        f"    if n == 1: return {first}\n"
        f"    ans = {first}\n"
        "    for i in range(2, n + 1):\n"
        "        if i % 2 == 0:\n"
        "            ans.append(1 + i / 2)\n"
        "        else:\n"
        "            ans.append(ans[-1] + ans[-2] + 1 + (i + 1) / 2)\n" + tail + "    return ans\n"
    )


def test_large_outputs_are_judged_like_small_ones(
    env: Env, mini: Benchmark, tmp_path: Path
) -> None:
    rows = [
        {"task_id": TRI, "solution": _tri("[1, 3]")},  # same values, same types: digest equal
        # [1.0, 3.0, ...] == [1, 3, ...] in Python, but the encodings (and digests) differ:
        # the judge must fall back to comparing real values, and pass it.
        {"task_id": TRI, "solution": _tri("[1.0, 3.0]")},
        # wrong only on the large input: the digest differs and so do the values
        {"task_id": TRI, "solution": _tri("[1, 3]", drop_last_when_big=True)},
    ]
    scored = score(mini, write_samples(tmp_path / "s.jsonl", rows))
    assert [scored.status(i, "base") for i in range(3)] == ["pass", "pass", "pass"]
    assert [scored.status(i, "plus") for i in range(3)] == ["pass", "pass", "fail"]
    plus = scored.result.verdicts[2].parts["plus"]
    big = [i for i, a in enumerate(mini.problems[TRI].plus_inputs) if a == [1000001]]
    assert plus.failed_index == big[0]


# ---------------------------------------------------------------------------------------------
# Broken solutions get the right status


SIG = "from typing import List\n\n\ndef has_close_elements(numbers: List[float], threshold: float) -> bool:\n"

# name → (solution, expected status, expected reason)
BROKEN: dict[str, tuple[str, str, str]] = {
    "wrong-answer": (SIG + "    return 42\n", "fail", "wrong output"),
    "raises": (SIG + "    raise ValueError('secret-token-123')\n", "error", "ValueError"),
    "custom-exception": (
        "class Leak(Exception):\n    pass\n\n" + SIG + "    raise Leak('secret-token-123')\n",
        "error",
        "Leak",
    ),
    "recursion": (
        SIG + "    return has_close_elements(numbers, threshold)\n",
        "error",
        "RecursionError",
    ),
    "cpu-loop": (SIG + "    while True:\n        pass\n", "timeout", "time limit"),
    "sleeps": ("import time\n\n" + SIG + "    time.sleep(1000)\n", "timeout", "time limit"),
    "memory": (SIG + "    return len(bytearray(8 << 30)) > 0\n", "memory", "MemoryError"),
    "segfault": (
        "import ctypes\n\n" + SIG + "    return ctypes.string_at(0)\n",
        "crash",
        "SIGSEGV",
    ),
    "abort": ("import os\n\n" + SIG + "    os.abort()\n", "crash", "SIGABRT"),
    "exits": ("import os\n\n" + SIG + "    os._exit(3)\n", "crash", "exited with code 3"),
    "empty": ("", "no_code", "empty solution"),
    "whitespace-only": ("  \n\n\t\n", "no_code", "empty solution"),
    "syntax-error": ("def has_close_elements(:\n", "error", "SyntaxError"),
    "no-entry-point": ("def something_else():\n    return 1\n", "error", "entry point not defined"),
    "module-raises": ("raise RuntimeError('at import')\n", "error", "RuntimeError"),
    # Annotations are evaluated as in a plain `python file.py` (EvalPlus's behaviour): the
    # sandbox's own `from __future__ import annotations` must not leak into the sample.
    "unimported-annotation": (
        SIG.replace("from typing import List\n\n\n", "") + "    return False\n",
        "error",
        "NameError",
    ),
    "lying-eq": (
        "class Yes:\n    def __eq__(self, other):\n        return True\n\n"
        + SIG
        + "    return Yes()\n",
        "fail",
        "wrong output",
    ),
    "lying-int": (
        "class Yes(int):\n    def __eq__(self, other):\n        return True\n\n"
        + SIG
        + "    return Yes(7)\n",
        "fail",
        "wrong output",
    ),
    "huge": (
        SIG + "    return True\n" + "#" * (1 << 20) + "\n",
        "error",
        "solution larger than 1 MiB",
    ),
}


@pytest.fixture(scope="module")
def broken(
    env: Env, mini: Benchmark, tmp_path_factory: pytest.TempPathFactory
) -> tuple[Scored, list[str]]:
    names = list(BROKEN)
    rows = [{"task_id": "HumanEval/0", "solution": BROKEN[n][0]} for n in names]
    rows.append(
        {"task_id": "HumanEval/0", "solution": mini.problems["HumanEval/0"].reference_program}
    )
    path = write_samples(tmp_path_factory.mktemp("broken") / "broken.jsonl", rows)
    return score(mini, path), [*names, "canonical"]


@pytest.mark.parametrize("name", list(BROKEN))
def test_broken_solution_gets_its_status(broken: tuple[Scored, list[str]], name: str) -> None:
    scored, names = broken
    verdict = scored.result.verdicts[names.index(name)]
    _code, status, reason = BROKEN[name]
    for part in ("base", "plus"):
        assert (verdict.parts[part].status, verdict.parts[part].reason) == (status, reason), part


def test_canonical_next_to_broken_ones_passes(broken: tuple[Scored, list[str]]) -> None:
    scored, names = broken
    i = names.index("canonical")
    assert scored.status(i, "base") == scored.status(i, "plus") == "pass"


def test_failing_input_is_recorded(broken: tuple[Scored, list[str]], mini: Benchmark) -> None:
    scored, names = broken
    wrong = scored.result.verdicts[names.index("wrong-answer")].parts["base"]
    # 42 != True/False on the very first input; EvalPlus lists that input as the failed test.
    assert wrong.failed_index == 0
    document = evalplus_results(scored.result, scored.samples.missing_tasks, {})
    entry = document["eval"]["HumanEval/0"][names.index("wrong-answer")]
    assert entry["base_fail_tests"] == [mini.problems["HumanEval/0"].base_inputs[0]]
    assert entry["plus_fail_tests"] == [mini.problems["HumanEval/0"].plus_inputs[0]]
    empty = document["eval"]["HumanEval/0"][names.index("empty")]
    assert empty["base_fail_tests"] == [] and empty["base_status"] == "fail"


def test_a_timeout_is_retried_alone_exactly_when_the_machine_was_busy(
    broken: tuple[Scored, list[str]],
) -> None:
    scored, names = broken
    timeouts = [
        pv
        for name in ("cpu-loop", "sleeps")
        for pv in scored.result.verdicts[names.index(name)].parts.values()
    ]
    assert timeouts and all(pv.status == "timeout" for pv in timeouts)
    # A retried verdict is the second one: its own busy share may be anything. A timeout that
    # was not retried must have happened on a quiet machine.
    assert all(pv.retried or pv.busy < RETRY_BUSY_SHARE for pv in timeouts)
    assert scored.result.retried == sum(pv.retried for pv in timeouts)
    others = [
        pv
        for n, v in zip(names, scored.result.verdicts, strict=True)
        if n not in ("cpu-loop", "sleeps")
        for pv in v.parts.values()
    ]
    assert not any(pv.retried for pv in others)


def test_every_timeout_is_retried_alone_when_the_threshold_is_zero(
    env: Env, mini: Benchmark, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(evaluate_module, "RETRY_BUSY_SHARE", 0.0)
    rows = [{"task_id": "HumanEval/0", "solution": BROKEN[n][0]} for n in ("cpu-loop", "sleeps")]
    # No cache: the shared fixtures scored these very solutions already.
    options = ScoreOptions(workers=2, use_cache=False)
    scored = score(mini, write_samples(tmp_path / "t.jsonl", rows), options=options)
    parts = [pv for v in scored.result.verdicts for pv in v.parts.values()]
    assert all(pv.status == "timeout" and pv.retried for pv in parts)
    assert scored.result.retried == len(parts) == 4
    assert any(stage == "retry" for stage, _d, _t in scored.events)


def test_exception_messages_never_reach_the_verdicts(broken: tuple[Scored, list[str]]) -> None:
    scored, _names = broken
    blob = json.dumps(
        [{p: pv.as_dict() for p, pv in v.parts.items()} for v in scored.result.verdicts]
    )
    assert "secret-token-123" not in blob
    assert "at import" not in blob


def test_huge_solution_is_warned_about_with_file_and_line(broken: tuple[Scored, list[str]]) -> None:
    scored, names = broken
    line = names.index("huge") + 1
    assert any(
        f"{scored.samples.path}:{line}:" in w and "1,048,576" in w for w in scored.samples.warnings
    )


def test_status_counts_add_up(broken: tuple[Scored, list[str]]) -> None:
    scored, names = broken
    counts = summary(scored.result, scored.samples.missing_tasks)["status_counts"]
    for part in ("base", "plus"):
        assert sum(counts[part].values()) == len(names)
        assert counts[part]["timeout"] == 2
        assert counts[part]["crash"] == 3
        assert counts[part]["no_code"] == 2
        assert counts[part]["memory"] == 1
        assert counts[part]["pass"] == 1


# ---------------------------------------------------------------------------------------------
# pass@k from verdicts


@pytest.fixture(scope="module")
def three_each(env: Env, mini: Benchmark, tmp_path_factory: pytest.TempPathFactory) -> Scored:
    """Two tasks with n = 3 samples each."""
    fi = mini.problems["HumanEval/22"]
    body = (
        "from typing import List, Any\n\n\ndef filter_integers(values: List[Any]) -> List[int]:\n"
    )
    rows = [
        {"task_id": "HumanEval/22", "solution": fi.reference_program},
        # isinstance() also keeps bools: right on base (no bools there), wrong on plus
        {
            "task_id": "HumanEval/22",
            "solution": body + "    return [x for x in values if isinstance(x, int)]\n",
        },
        {"task_id": "HumanEval/22", "solution": body + "    return []\n"},
        {"task_id": "HumanEval/34", "solution": "def unique(l):\n    return l\n"},
        # unique but in first-seen order, not sorted
        {
            "task_id": "HumanEval/34",
            "solution": "def unique(l):\n    return list(dict.fromkeys(l))\n",
        },
        {"task_id": "HumanEval/34", "solution": "def unique(l):\n    return None\n"},
    ]
    return score(mini, write_samples(tmp_path_factory.mktemp("three") / "s.jsonl", rows))


def test_pass_at_k_for_several_samples_per_task(three_each: Scored) -> None:
    scored = three_each
    base = [scored.status(i, "base") for i in range(6)]
    plus = [scored.status(i, "plus") for i in range(6)]
    assert base == ["pass", "pass", "fail", "fail", "fail", "fail"]
    assert plus == ["pass", "fail", "fail", "fail", "fail", "fail"]
    summ = summary(scored.result, scored.samples.missing_tasks)
    est = summ["pass_at_k"]
    # base: task 22 has c=2 of n=3, task 34 c=0. pass@1 = (2/3 + 0) / 2; pass@2 = (1 + 0) / 2.
    assert est["base"]["pass@1"]["value"] == pytest.approx(1 / 3)
    assert est["base"]["pass@2"]["value"] == pytest.approx(0.5)
    # plus (= base and plus): c=1 of 3 for task 22. pass@2 = 1 - C(2,2)/C(3,2) = 2/3.
    assert est["plus"]["pass@1"]["value"] == pytest.approx(1 / 6)
    assert est["plus"]["pass@2"]["value"] == pytest.approx(1 / 3)
    for name in ("base", "plus"):
        assert all(int(k.split("@")[1]) <= 3 for k in est[name])
        for e in est[name].values():
            assert 0.0 <= e["low"] <= e["value"] <= e["high"] <= 1.0
    assert summ["tasks"] == 2 and summ["samples"] == 6
    assert summ["missing_tasks"] == 162


def test_pass_at_k_for_every_k_up_to_n(three_each: Scored) -> None:
    est = summary(three_each.result, three_each.samples.missing_tasks)["pass_at_k"]
    assert set(est["base"]) == {"pass@1", "pass@2", "pass@3"}
    # base, n = 3: task 22 c = 2 → pass@3 = 1; task 34 c = 0 → 0.
    assert est["base"]["pass@3"]["value"] == pytest.approx(0.5)


# ---------------------------------------------------------------------------------------------
# Cache and resume


def test_rescoring_an_unchanged_file_is_all_cached(
    env: Env, mini: Benchmark, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A store of its own: other tests scored these canonical solutions into the module's.
    monkeypatch.setenv("CODEJURY_DB", str(tmp_path / "db.sqlite"))
    ids = ["HumanEval/2", "HumanEval/4", "HumanEval/22", "HumanEval/34"]
    rows = [
        *canonical_rows(mini, ids),
        {"task_id": "HumanEval/2", "solution": "def truncate_number(x):\n    return 0.0\n"},
    ]
    path = write_samples(tmp_path / "s.jsonl", rows)
    first = score(mini, path)
    assert first.result.cached == 0
    second = score(mini, path)
    assert second.result.cached == len(rows)
    assert summary(second.result, second.samples.missing_tasks)["cached"] == len(rows)
    # No scoring job ran, and no expected output was (re)computed.
    assert not [e for e in second.events if e[0] in ("score", "reference", "retry")]
    assert second.result.reference_seconds == 0.0
    assert all(v.cached for v in second.result.verdicts)
    statuses = [[v.status(p) for p in ("base", "plus")] for v in first.result.verdicts]
    assert [[v.status(p) for p in ("base", "plus")] for v in second.result.verdicts] == statuses
    # The cached run still records its samples and verdicts in the store.
    with Store.open() as store:
        assert len(store.run_verdicts(second.run_id)) == 2 * len(rows)
        assert len(store.run_samples(second.run_id)) == len(rows)


def test_cache_misses_when_solution_or_limits_change(
    env: Env, mini: Benchmark, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CODEJURY_DB", str(tmp_path / "db.sqlite"))
    p = mini.problems["HumanEval/4"]
    path = write_samples(tmp_path / "a.jsonl", canonical_rows(mini, [p.task_id]))
    assert score(mini, path).result.cached == 0
    assert score(mini, path).result.cached == 1
    # Different limits: a verdict under other limits is not this verdict.
    other_limits = ScoreOptions(workers=2, limits=Limits(min_time_limit=1.5))
    assert score(mini, path, options=other_limits).result.cached == 0
    # --no-cache: recomputed even though cached.
    assert score(mini, path, options=ScoreOptions(workers=2, use_cache=False)).result.cached == 0
    # One character of difference in the solution: a different sample.
    changed = write_samples(
        tmp_path / "b.jsonl", [{"task_id": p.task_id, "solution": p.reference_program + "\n"}]
    )
    assert score(mini, changed).result.cached == 0


def test_only_the_named_tasks_get_expected_outputs(
    mini: Benchmark, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A private cache and store: the shared cache holds other tests' tasks too.
    monkeypatch.setenv("CODEJURY_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("CODEJURY_DB", str(tmp_path / "db.sqlite"))

    def reference_totals(scored: Scored) -> set[int]:
        return {total for stage, _done, total in scored.events if stage == "reference"}

    first = score(
        mini,
        write_samples(tmp_path / "a.jsonl", canonical_rows(mini, ["HumanEval/22", "HumanEval/34"])),
    )
    assert reference_totals(first) == {2}  # two tasks named, two computed (not all 164)
    assert first.result.reference_seconds > 0
    # A later file with one more task computes only that one; the others come from the cache.
    rows = canonical_rows(mini, ["HumanEval/22", "HumanEval/34", "HumanEval/160"])
    rows[0]["solution"] += "# changed, so this sample is not a cached verdict\n"
    second = score(mini, write_samples(tmp_path / "b.jsonl", rows))
    assert reference_totals(second) == {1}
    assert [v.status("plus") for v in second.result.verdicts] == ["pass"] * 3


def _slow_rows(mini: Benchmark, n: int) -> list[dict[str, Any]]:
    # Distinct texts (so none is another's cached verdict), each ~50 ms per input.
    p = mini.problems["HumanEval/22"]
    slow = p.reference_program.replace("    return list(", "    time.sleep(0.05)\n    return list(")
    assert slow != p.reference_program
    return [
        {"task_id": p.task_id, "solution": f"import time\n# variant {i}\n{slow}"} for i in range(n)
    ]


def _interrupt_after(jobs: int, seen: list[int]) -> Any:
    def progress(stage: str, done: int, _total: int) -> None:
        if stage == "score" and done >= jobs:
            seen.append(done)
            raise KeyboardInterrupt  # what SIGINT raises in the main thread

    return progress


def test_interrupted_run_keeps_finished_verdicts_and_resumes(
    env: Env, mini: Benchmark, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CODEJURY_DB", str(tmp_path / "db.sqlite"))
    rows = _slow_rows(mini, 8)
    path = write_samples(tmp_path / "s.jsonl", rows)
    # 16 jobs (8 samples × base/plus); after 10 have finished, at least 2 samples are complete.
    with pytest.raises(ScoreInterrupted) as info:
        score(mini, path, progress=_interrupt_after(10, []))
    finished = info.value.result.verdicts
    assert info.value.result.interrupted
    assert 2 <= len(finished) < len(rows)
    assert all(v.status("base") == v.status("plus") == "pass" for v in finished)
    # What finished was saved: the next run takes it from the cache and scores the rest.
    resumed = score(mini, path)
    assert resumed.result.cached >= len(finished)
    assert resumed.result.cached < len(rows)
    cached_ids = {v.sample.index for v in resumed.result.verdicts if v.cached}
    assert {v.sample.index for v in finished} <= cached_ids
    assert [v.status("base") for v in resumed.result.verdicts] == ["pass"] * len(rows)
    assert [v.status("plus") for v in resumed.result.verdicts] == ["pass"] * len(rows)


def test_interrupt_loses_only_jobs_in_flight(
    env: Env, mini: Benchmark, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CODEJURY_DB", str(tmp_path / "db.sqlite"))
    rows = _slow_rows(mini, 8)
    path = write_samples(tmp_path / "s.jsonl", rows)
    seen: list[int] = []
    with pytest.raises(ScoreInterrupted):
        score(mini, path, progress=_interrupt_after(8, seen))
    done_at_interrupt = seen[0]
    resumed = score(mini, path)
    rerun = max(total for stage, _d, total in resumed.events if stage == "score")
    # DESIGN.md: "a crash or Ctrl-C loses at most the requests in flight".
    assert rerun <= 2 * len(rows) - done_at_interrupt


def test_cache_keys_separate_tasks_and_test_details(mini: Benchmark, tmp_path: Path) -> None:
    rows = canonical_rows(mini, ["HumanEval/22"])
    sample = read_samples(write_samples(tmp_path / "s.jsonl", rows), mini).samples[0]
    limits = Limits()
    key = verdict_key(sample, mini, limits, False)
    assert key == verdict_key(sample, mini, limits, False)
    assert key != verdict_key(sample, mini, limits, True)
    assert key != verdict_key(sample, mini, Limits(time_limit_factor=2.0), False)


# ---------------------------------------------------------------------------------------------
# Time limits: max(floor, factor × reference CPU time)


def test_input_limit_is_the_reference_time_scaled_with_a_floor() -> None:
    limits = Limits()  # EvalPlus defaults: 1 s floor, 4× the reference
    assert limits.input_limit(0.0) == 1.0
    assert limits.input_limit(0.2) == 1.0
    assert limits.input_limit(0.5) == 2.0
    assert Limits(min_time_limit=0.25, time_limit_factor=2.0).input_limit(0.1) == 0.25
    assert Limits(min_time_limit=0.25, time_limit_factor=2.0).input_limit(1.0) == 2.0


def test_the_floor_decides_for_fast_references(
    env: Env, mini: Benchmark, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # HumanEval/22's reference takes microseconds, so each input may take exactly the floor.
    # A solution that sleeps 0.5 s on one input passes under a 1 s floor, times out under 0.3 s.
    monkeypatch.setenv("CODEJURY_DB", str(tmp_path / "db.sqlite"))
    sol = (
        "import time\n"
        "def filter_integers(values):\n"
        "    if values == []:\n        time.sleep(0.5)\n"
        "    return [v for v in values if type(v) == int]\n"
    )
    path = write_samples(tmp_path / "s.jsonl", [{"task_id": "HumanEval/22", "solution": sol}])
    assert [] in [a[0] for a in mini.problems["HumanEval/22"].base_inputs]
    roomy = score(mini, path, options=ScoreOptions(workers=2, limits=Limits(min_time_limit=1.0)))
    tight = score(mini, path, options=ScoreOptions(workers=2, limits=Limits(min_time_limit=0.3)))
    assert roomy.status(0, "base") == "pass"
    assert tight.status(0, "base") == "timeout"
    assert tight.result.verdicts[0].parts["base"].failed_index == 0  # the [] input
    assert roomy.status(0, "plus") == tight.status(0, "plus") == "pass"  # no [] in plus


# ---------------------------------------------------------------------------------------------
# Load stability


# Seconds of CPU per call, as a share of the 1 s floor every input of this task gets. 40% is
# the ordinary slow solution; 60% is one a wall-clock judge would time out once two burners
# halve its CPU share (0.6 s of CPU then takes ~1.2 s), which makes the test discriminating.
BURNS = {"slow 40%": 0.4, "slow 60%": 0.6}

SLOW_FILTER = (
    "import time\nfrom typing import List, Any\n\n\n"
    "def filter_integers(values: List[Any]) -> List[int]:\n"
    "    # {tag}\n"
    "    t = time.process_time()\n"
    "    while time.process_time() - t < {burn}:\n"
    "        pass\n"
    "    return list(filter(lambda x: type(x) == int, values))\n"
)


def _cpu_seconds(pid: int) -> float:
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _burners(n: int) -> list[subprocess.Popen[bytes]]:
    return [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(n)]


@pytest.mark.slow  # ~25-30 s: two full runs, one at half speed, with timeouts re-run
def test_verdicts_do_not_change_when_the_machine_is_busy(
    env: Env, mini: Benchmark, tmp_path: Path
) -> None:
    task = "HumanEval/22"  # 3 base + 2 plus inputs, reference time ~µs: every limit is 1 s
    p = mini.problems[task]
    rows = [
        {"task_id": task, "solution": p.reference_program},
        *(
            {"task_id": task, "solution": SLOW_FILTER.format(tag=t, burn=b)}
            for t, b in BURNS.items()
        ),
        {
            "task_id": task,
            "solution": "def filter_integers(values):\n    while True:\n        pass\n",
        },
        {
            "task_id": task,
            "solution": "import time\ndef filter_integers(values):\n    time.sleep(1000)\n",
        },
        {"task_id": task, "solution": "def filter_integers(values):\n    return values\n"},
    ]
    want = ["pass", "pass", "pass", "timeout", "timeout", "fail"]
    path = write_samples(tmp_path / "s.jsonl", rows)
    options = ScoreOptions(workers=2, use_cache=False, limits=Limits(min_time_limit=1.0))
    assert options.limits.input_limit(0.0) == 1.0

    quiet = score(mini, path, options=options)
    burners = _burners(2)
    try:
        time.sleep(0.2)
        burned_before = sum(_cpu_seconds(b.pid) for b in burners)
        busy = score(mini, path, options=options)
        burned = sum(_cpu_seconds(b.pid) for b in burners) - burned_before
        assert all(b.poll() is None for b in burners), "the load went away during the run"
    finally:
        for b in burners:
            b.kill()
            b.wait()

    for run in (quiet, busy):
        assert [run.status(i, "base") for i in range(len(rows))] == want
        assert [run.status(i, "plus") for i in range(len(rows))] == want
        # The slow ones really burned their share on every input (the test is not vacuous).
        for i, burn in enumerate(BURNS.values(), start=1):
            for part, n in (("base", 3), ("plus", 2)):
                assert run.result.verdicts[i].parts[part].cpu >= 0.9 * burn * n
    # The burners really competed for the CPUs during the busy run (else it tested nothing).
    # On an otherwise idle 2-core machine they get about one core between them; the bound is
    # loose because other work on the machine takes its share from them too.
    assert burned >= 0.2 * busy.result.wall_seconds, (burned, busy.result.wall_seconds)

"""`codejury score` end to end: real datasets (subsets), real sandbox, real store.

Most tests call ``codejury.cli.main([...])`` in-process and read stdout/stderr with capsys;
the Ctrl-C tests run the command as a subprocess and send it a real SIGINT.
"""

from __future__ import annotations

import json
import os
import re
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from codejury.cli import main
from codejury.datasets import Benchmark, load_benchmark
from codejury.errors import ConfigError, DataError
from codejury.scoring.resultsfile import load_results
from codejury.store import Store

pytestmark = pytest.mark.timeout(300)

MINI_MD5 = "401e75ad986361dccc7afecb4121e295"  # EvalPlus's "hash" of HumanEval+ Mini v0.1.10
MBPP_MD5 = "ee43ecabebf20deef4bb776a405ac5b1"
EVALPLUS_KEYS = {
    "task_id",
    "solution",
    "base_status",
    "plus_status",
    "base_fail_tests",
    "plus_fail_tests",
}
MBPP_SUBSET = [
    "Mbpp/2", "Mbpp/7", "Mbpp/82", "Mbpp/111", "Mbpp/124", "Mbpp/140", "Mbpp/232", "Mbpp/558",
    "Mbpp/579", "Mbpp/581", "Mbpp/580", "Mbpp/722", "Mbpp/737", "Mbpp/769", "Mbpp/787",
    "Mbpp/794", "Mbpp/252", "Mbpp/3", "Mbpp/4", "Mbpp/6",
]  # fmt: skip


@dataclass(frozen=True)
class Env:
    cache: Path
    db: Path
    data: Path


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory, shared_data_dir: Path) -> Iterator[Env]:
    # Expected outputs are shared with every other module of the session; the store is ours.
    cache = tmp_path_factory.getbasetemp() / "codejury-cache"
    cache.mkdir(exist_ok=True)
    db = tmp_path_factory.mktemp("cli-store") / "codejury.db"
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("CODEJURY_CACHE_DIR", str(cache))
        mp.setenv("CODEJURY_DB", str(db))
        # Wide enough that rich never wraps a file:line message in the middle.
        mp.setenv("COLUMNS", "1000")
        yield Env(cache, db, shared_data_dir)


@pytest.fixture(scope="module")
def mini(shared_data_dir: Path) -> Benchmark:
    return load_benchmark("humaneval+-mini", shared_data_dir)


@pytest.fixture(scope="module")
def mbpp(shared_data_dir: Path) -> Benchmark:
    return load_benchmark("mbpp+", shared_data_dir)


def write_samples(path: Path, rows: Sequence[dict[str, Any]]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


def canonical_rows(bench: Benchmark, task_ids: Sequence[str]) -> list[dict[str, Any]]:
    return [{"task_id": t, "solution": bench.problems[t].reference_program} for t in task_ids]


@dataclass
class Ran:
    code: int
    out: str
    err: str

    @property
    def summary(self) -> dict[str, Any]:
        return json.loads(self.out.strip().splitlines()[-1])


def run_cli(capsys: pytest.CaptureFixture[str], *args: str | Path) -> Ran:
    capsys.readouterr()  # drop anything earlier
    code = main([str(a) for a in args])
    captured = capsys.readouterr()
    return Ran(code, captured.out, captured.err)


def score_args(
    env: Env, benchmark: str, samples: Path | None, *extra: str | Path
) -> list[str | Path]:
    args: list[str | Path] = ["score", "--benchmark", benchmark, "--data-dir", env.data]
    if samples is not None:
        args += ["--samples", samples]
    return [*args, *extra]


def assert_clean_error(ran: Ran, exit_code: int, *needles: str) -> None:
    assert ran.code == exit_code, ran.err
    assert "Traceback" not in ran.err and "Traceback" not in ran.out
    assert ran.err.startswith("error:"), ran.err
    for needle in needles:
        assert needle in ran.err, f"{needle!r} not in {ran.err!r}"


# ---------------------------------------------------------------------------------------------
# Canonical solutions score 100%, and the summary says what the issue asks for


def test_canonical_mini_scores_100_percent_with_a_full_summary(
    env: Env, capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))  # where --canonical writes its file
    out = tmp_path / "mini.json"
    ran = run_cli(
        capsys,
        *score_args(env, "humaneval+-mini", None, "--canonical", "-o", out, "--workers", "2"),
    )
    assert ran.code == 0, ran.err
    text = ran.out
    assert "humaneval+-mini v0.1.10 · 164 samples on 164 tasks" in text
    # pass@1 for base and base+plus with a 95% interval, all at 100%
    table = text[text.index("pass@k") : text.index("statuses")]
    rows = re.findall(
        r"│\s*(base|base \+ plus)\s*│\s*(\d+)\s*│\s*([\d.]+)%\s*│\s*([\d.]+) – ([\d.]+)", table
    )
    assert ("base", "1", "100.0", "100.0", "100.0") in rows
    assert ("base + plus", "1", "100.0", "100.0", "100.0") in rows
    assert "95%" in text
    # every status is a column, with the counts
    for status in ("pass", "fail", "error", "timeout", "memory", "crash", "no_code"):
        assert status in text
    assert re.search(r"│\s*base\s*│\s*164\s*│(\s*0\s*│){6}", text)
    assert re.search(r"│\s*plus\s*│\s*164\s*│(\s*0\s*│){6}", text)
    assert re.search(r"wall time \d+\.\d s", text)
    assert re.search(r"sandbox: L[0-4]-", text)
    assert f"results: {out}" in text
    doc = json.loads(out.read_text())
    assert doc["hash"] == MINI_MD5
    assert len(doc["eval"]) == 164
    assert all(
        e["base_status"] == e["plus_status"] == "pass" for es in doc["eval"].values() for e in es
    )


def test_canonical_leaves_no_temporary_file(
    env: Env, capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    ran = run_cli(
        capsys,
        *score_args(
            env, "humaneval+-mini", None, "--canonical", "-o", tmp_path / "r.json", "--json"
        ),
    )
    assert ran.code == 0, ran.err
    assert list(scratch.glob("codejury-*canonical*")) == []


def test_mbpp_subset_canonical_scores_100_percent(
    env: Env, mbpp: Benchmark, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    samples = write_samples(tmp_path / "mbpp.jsonl", canonical_rows(mbpp, MBPP_SUBSET))
    ran = run_cli(capsys, *score_args(env, "mbpp+", samples, "--json"))
    assert ran.code == 0, ran.err
    s = ran.summary
    assert s["pass_at_k"]["base"]["pass@1"] == {"value": 1.0, "low": 1.0, "high": 1.0}
    assert s["pass_at_k"]["plus"]["pass@1"] == {"value": 1.0, "low": 1.0, "high": 1.0}
    assert (
        s["status_counts"]["base"]["pass"] == s["status_counts"]["plus"]["pass"] == len(MBPP_SUBSET)
    )
    # A subset is allowed; the tasks it leaves out are counted, not silently ignored.
    assert s["missing_tasks"] == len(mbpp.problems) - len(MBPP_SUBSET)
    # The default output sits next to the samples file, named as EvalPlus names it.
    assert Path(s["output"]) == tmp_path / "mbpp_eval_results.json"
    doc = json.loads(Path(s["output"]).read_text())
    assert doc["hash"] == MBPP_MD5
    assert len(doc["codejury"]["missing_tasks"]) == s["missing_tasks"]
    assert "Mbpp/2" not in doc["codejury"]["missing_tasks"]


# ---------------------------------------------------------------------------------------------
# A mixed run: results file, store rows, pass@k for k <= n


@dataclass
class Mixed:
    samples: Path
    output: Path
    ran: Ran
    rows: list[dict[str, Any]]
    want: list[tuple[str, str]]  # (base, plus) codejury statuses per line


@pytest.fixture(scope="module")
def mixed(env: Env, mini: Benchmark, tmp_path_factory: pytest.TempPathFactory) -> Mixed:
    d = tmp_path_factory.mktemp("mixed")
    fi = "from typing import List, Any\n\n\ndef filter_integers(values: List[Any]) -> List[int]:\n"
    rows = [
        {"task_id": "HumanEval/22", "solution": mini.problems["HumanEval/22"].reference_program},
        {
            "task_id": "HumanEval/22",
            "solution": fi + "    return [x for x in values if isinstance(x, int)]\n",
        },
        {"task_id": "HumanEval/34", "solution": "def unique(l):\n    return sorted(set(l))\n"},
        {"task_id": "HumanEval/34", "solution": "def unique(l):\n    raise ValueError('nope')\n"},
        {"task_id": "HumanEval/4", "solution": mini.problems["HumanEval/4"].reference_program},
        {"task_id": "HumanEval/4", "solution": ""},
    ]
    want = [
        ("pass", "pass"),
        ("pass", "fail"),  # bools are ints to isinstance(): only plus has bools
        ("pass", "pass"),
        ("error", "error"),
        ("pass", "pass"),
        ("no_code", "no_code"),
    ]
    samples = write_samples(d / "mixed.jsonl", rows)
    output = d / "out" / "results.json"  # a directory that does not exist yet
    code = main(
        [
            str(a)
            for a in score_args(env, "humaneval+-mini", samples, "-o", output, "--json", "-j", "2")
        ]
    )
    assert code == 0
    return Mixed(samples, output, Ran(code, "", ""), rows, want)


def test_results_file_has_evalplus_schema(mixed: Mixed) -> None:
    doc = json.loads(mixed.output.read_text())
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}", doc["date"])
    assert doc["hash"] == MINI_MD5
    assert list(doc["eval"]) == ["HumanEval/22", "HumanEval/34", "HumanEval/4"]
    by_line = [e for es in doc["eval"].values() for e in es]
    assert len(by_line) == len(mixed.rows)
    for entry, row, (base, plus) in zip(by_line, mixed.rows, mixed.want, strict=True):
        assert set(entry) >= EVALPLUS_KEYS
        assert entry["task_id"] == row["task_id"]
        assert entry["solution"] == row["solution"]  # verbatim, for EvalPlus tooling
        # EvalPlus's three statuses; codejury's seven are kept in the extra key
        assert entry["base_status"] == ("pass" if base == "pass" else "fail")
        assert entry["plus_status"] == ("pass" if plus == "pass" else "fail")
        assert (entry["codejury"]["base"]["status"], entry["codejury"]["plus"]["status"]) == (
            base,
            plus,
        )
        assert isinstance(entry["base_fail_tests"], list) and isinstance(
            entry["plus_fail_tests"], list
        )
        if entry["base_status"] == "pass":
            assert entry["base_fail_tests"] == []
    # the failing plus input of the isinstance() variant is the one with bools in it
    (failed,) = by_line[1]["plus_fail_tests"]
    assert any(v is True or v is False for v in failed[0])
    extra = doc["codejury"]
    assert extra["benchmark"] == "humaneval+-mini" and extra["benchmark_version"] == "v0.1.10"
    assert extra["summary"]["samples"] == 6 and extra["summary"]["tasks"] == 3
    assert extra["summary"]["missing_tasks"] == 161 == len(extra["missing_tasks"])
    assert extra["spec"]["workers"] == 2
    assert extra["limits"]["min_time_limit"] == 1.0 and extra["limits"]["time_limit_factor"] == 4.0
    assert extra["summary"]["sandbox"]["seccomp"] is True


def test_results_file_is_read_back_by_the_evalplus_reader(mixed: Mixed) -> None:
    # The same reader `codejury compare` uses on EvalPlus's own files accepts ours.
    results = load_results(mixed.output)
    assert results.dataset_hash == MINI_MD5
    assert results.benchmark == "humaneval+-mini"
    assert results.base == {
        "HumanEval/22": [True, True],
        "HumanEval/34": [True, False],
        "HumanEval/4": [True, False],
    }
    assert results.plus == {
        "HumanEval/22": [True, False],
        "HumanEval/34": [True, False],
        "HumanEval/4": [True, False],
    }


def test_pass_at_k_is_given_for_k_up_to_n(mixed: Mixed) -> None:
    doc = json.loads(mixed.output.read_text())
    est = doc["codejury"]["summary"]["pass_at_k"]
    # n = 2 per task. base: c = 2, 1, 1 → pass@1 = (1 + .5 + .5) / 3, pass@2 = 1.
    assert set(est["base"]) == {"pass@1", "pass@2"}
    assert est["base"]["pass@1"]["value"] == pytest.approx(2 / 3)
    assert est["base"]["pass@2"]["value"] == pytest.approx(1.0)
    # plus: c = 1, 1, 1 → pass@1 = .5, pass@2 = 1.
    assert est["plus"]["pass@1"]["value"] == pytest.approx(0.5)
    assert est["plus"]["pass@2"]["value"] == pytest.approx(1.0)
    for e in [*est["base"].values(), *est["plus"].values()]:
        assert e["low"] <= e["value"] <= e["high"]
    assert doc["pass_at_k"]["base"]["pass@1"] == pytest.approx(2 / 3)


def test_verdicts_are_in_the_store(env: Env, mixed: Mixed) -> None:
    doc = json.loads(mixed.output.read_text())
    run_id = doc["codejury"]["spec"]["run_id"]
    with Store.open(env.db) as store:
        run = store.get_run(run_id)
        assert run.kind == "score" and run.status == "finished" and run.finished_at is not None
        assert run.benchmark == "humaneval+-mini" and run.dataset_hash == MINI_MD5
        assert run.summary == doc["codejury"]["summary"]
        samples = store.run_samples(run_id)
        verdicts = store.run_verdicts(run_id)
    assert len(samples) == 6
    assert {(s.task_id, s.index) for s in samples} == {
        (t, i) for t in doc["eval"] for i in range(2)
    }
    by_key = {(v.task_id, v.index, v.part): v.status for v in verdicts}
    assert len(by_key) == 12
    for task_id, entries in doc["eval"].items():
        for i, entry in enumerate(entries):
            for part in ("base", "plus"):
                assert by_key[(task_id, i, part)] == entry["codejury"][part]["status"]


def test_rescoring_the_same_file_is_all_cached(
    env: Env, mixed: Mixed, capsys: pytest.CaptureFixture[str]
) -> None:
    first = json.loads(mixed.output.read_text())
    again = mixed.output.with_name("again.json")
    ran = run_cli(capsys, *score_args(env, "humaneval+-mini", mixed.samples, "-o", again, "--json"))
    assert ran.code == 0, ran.err
    assert ran.summary["cached"] == len(mixed.rows)
    assert ran.summary["reference_seconds"] == 0.0  # no expected output had to be computed
    second = json.loads(again.read_text())
    strip = [
        [(e["base_status"], e["plus_status"], e["codejury"]["base"]["status"]) for e in es]
        for es in first["eval"].values()
    ]
    assert [
        [(e["base_status"], e["plus_status"], e["codejury"]["base"]["status"]) for e in es]
        for es in second["eval"].values()
    ] == strip
    assert all(e["codejury"]["cached"] for es in second["eval"].values() for e in es)
    # --no-cache scores again (and says so)
    ran = run_cli(
        capsys,
        *score_args(env, "humaneval+-mini", mixed.samples, "-o", again, "--json", "--no-cache"),
    )
    assert ran.code == 0 and ran.summary["cached"] == 0


def test_human_summary_lists_every_k(
    env: Env, mixed: Mixed, capsys: pytest.CaptureFixture[str]
) -> None:
    ran = run_cli(
        capsys,
        *score_args(env, "humaneval+-mini", mixed.samples, "-o", mixed.output.with_name("h.json")),
    )
    assert ran.code == 0, ran.err
    table = ran.out[ran.out.index("pass@k") : ran.out.index("statuses")]  # not the counts table
    ks = {
        (m.group(1), m.group(2))
        for m in re.finditer(r"│\s*(base|base \+ plus)\s*│\s*(\d+)\s*│", table)
    }
    assert ks == {("base", "1"), ("base", "2"), ("base + plus", "1"), ("base + plus", "2")}
    assert "161 tasks missing" in ran.out
    assert re.search(r"6 cached", ran.out)


# ---------------------------------------------------------------------------------------------
# Statuses through the CLI


def test_timeouts_memory_and_crashes_through_the_cli(
    env: Env, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    sig = "def unique(l: list):\n"
    rows = [
        {"task_id": "HumanEval/34", "solution": sig + "    while True:\n        pass\n"},
        {"task_id": "HumanEval/34", "solution": sig + "    return len(bytearray(8 << 30))\n"},
        {
            "task_id": "HumanEval/34",
            "solution": "import ctypes\n" + sig + "    return ctypes.string_at(0)\n",
        },
    ]
    out = tmp_path / "r.json"
    ran = run_cli(
        capsys,
        *score_args(
            env, "humaneval+-mini", write_samples(tmp_path / "s.jsonl", rows), "-o", out, "--json"
        ),
    )
    assert ran.code == 0, ran.err
    s = ran.summary
    for part in ("base", "plus"):
        c = s["status_counts"][part]
        assert (c["timeout"], c["memory"], c["crash"], c["pass"]) == (1, 1, 1, 0)
    entries = json.loads(out.read_text())["eval"]["HumanEval/34"]
    assert [e["base_status"] for e in entries] == ["timeout", "fail", "fail"]
    # Re-run alone only when the machine was busy during the timeout.
    loop = [entries[0]["codejury"][p] for p in ("base", "plus")]
    assert s["retried_timeouts"] == sum(v["retried"] for v in loop)
    assert all(v["retried"] or v["busy"] < 0.1 for v in loop)
    assert entries[2]["codejury"]["plus"]["reason"] == "SIGSEGV"


def test_mbpp_failures_serialise_inputs_as_evalplus_does(
    env: Env, mbpp: Benchmark, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    # Failed inputs go into the results file the way EvalPlus writes them: complex numbers
    # as their str (Mbpp/124, Mbpp/252), tuples as JSON arrays (Mbpp/580).
    rows = [
        {"task_id": "Mbpp/124", "solution": "def angle_complex(a, b):\n    return 0.0\n"},
        {"task_id": "Mbpp/252", "solution": "def convert(numbers):\n    return None\n"},
        {"task_id": "Mbpp/580", "solution": "def extract_even(t):\n    return t\n"},
    ]
    out = tmp_path / "r.json"
    ran = run_cli(
        capsys,
        *score_args(env, "mbpp+", write_samples(tmp_path / "s.jsonl", rows), "-o", out, "--json"),
    )
    assert ran.code == 0, ran.err
    doc = json.loads(out.read_text())
    first = {t: es[0]["base_fail_tests"] for t, es in doc["eval"].items()}
    assert first["Mbpp/124"] == [["0.0", "1j"]]
    assert first["Mbpp/252"] == [["(1+0j)"]]
    assert first["Mbpp/580"] == [[[4, 5, [7, 6, [2, 4]], 6, 8]]]
    assert all(es[0]["base_status"] == "fail" for es in doc["eval"].values())


# ---------------------------------------------------------------------------------------------
# Bad input: clear messages with file:line, exit codes from codejury.errors, no traceback


def _no_run_recorded(env: Env, before: int) -> bool:
    with Store.open(env.db) as store:
        return len(store.list_runs(kind="score", limit=10_000)) == before


def _runs(env: Env) -> int:
    with Store.open(env.db) as store:
        return len(store.list_runs(kind="score", limit=10_000))


def test_malformed_jsonl_names_file_line_and_problem(
    env: Env, capsys: pytest.CaptureFixture[str], tmp_path: Path, mini: Benchmark
) -> None:
    good = json.dumps(
        {"task_id": "HumanEval/22", "solution": mini.problems["HumanEval/22"].reference_program}
    )
    path = tmp_path / "s.jsonl"
    path.write_text(
        good
        + "\n"
        + '{"task_id": "HumanEval/22", "solution": "x"\n'  # line 2: unterminated object
        + good
        + "\n"
        + "[1, 2]\n"  # line 4: not an object
        + '{"task_id": "HumanEval/22"}\n'  # line 5: no solution
        + '{"task_id": 22, "solution": "x"}\n',  # line 6: task_id not a string
        encoding="utf-8",
    )
    before = _runs(env)
    out = tmp_path / "r.json"
    ran = run_cli(capsys, *score_args(env, "humaneval+-mini", path, "-o", out))
    # Every problem is reported at once, each with its file:line; nothing is scored.
    assert_clean_error(
        ran,
        DataError.exit_code,
        f"{path}:2:",
        "malformed JSON",
        f"{path}:4: expected a JSON object",
        f"{path}:5:",
        '"solution"',
        f"{path}:6:",
        '"task_id"',
        "nothing was scored",
    )
    assert f"{path}:1" not in ran.err and f"{path}:3" not in ran.err
    assert not out.exists()
    assert _no_run_recorded(env, before)


def test_unknown_task_id(env: Env, capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    path = write_samples(
        tmp_path / "s.jsonl",
        [
            {"task_id": "HumanEval/22", "solution": "x=1"},
            {"task_id": "HumanEval/999", "solution": "x = 1"},
        ],
    )
    ran = run_cli(capsys, *score_args(env, "humaneval+-mini", path))
    assert_clean_error(
        ran, DataError.exit_code, f"{path}:2:", "HumanEval/999", "humaneval+-mini", "hint:"
    )


def test_mbpp_ids_against_humaneval_get_a_hint(
    env: Env, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    path = write_samples(tmp_path / "s.jsonl", [{"task_id": "Mbpp/2", "solution": "x = 1"}])
    ran = run_cli(capsys, *score_args(env, "humaneval+-mini", path))
    assert_clean_error(ran, DataError.exit_code, f"{path}:1:", "Mbpp/2", "--benchmark")


def test_non_utf8_samples_file(
    env: Env, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    path = tmp_path / "s.jsonl"
    path.write_bytes(
        b'{"task_id": "HumanEval/22", "solution": "x = 1"}\n{"task_id": "HumanEval/22", "solution": "\xff\xfe"}\n'
    )
    ran = run_cli(capsys, *score_args(env, "humaneval+-mini", path))
    assert_clean_error(ran, DataError.exit_code, f"{path}:2:", "UTF-8")


def test_empty_samples_file(env: Env, capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    path = tmp_path / "s.jsonl"
    path.write_text("\n\n", encoding="utf-8")
    ran = run_cli(capsys, *score_args(env, "humaneval+-mini", path))
    assert_clean_error(ran, DataError.exit_code, str(path), "no samples")


def test_missing_samples_file(env: Env, capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    path = tmp_path / "nope.jsonl"
    ran = run_cli(capsys, *score_args(env, "humaneval+-mini", path))
    assert_clean_error(ran, DataError.exit_code, str(path), "cannot read samples file")


def test_missing_samples_option(env: Env, capsys: pytest.CaptureFixture[str]) -> None:
    ran = run_cli(capsys, *score_args(env, "humaneval+-mini", None))
    assert_clean_error(ran, ConfigError.exit_code, "--samples", "--canonical")


def test_unknown_benchmark(env: Env, capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    path = write_samples(tmp_path / "s.jsonl", [{"task_id": "HumanEval/22", "solution": "x = 1"}])
    ran = run_cli(capsys, *score_args(env, "humaneval++", path))
    assert_clean_error(
        ran, ConfigError.exit_code, "unknown benchmark 'humaneval++'", "humaneval+-mini", "mbpp+"
    )


def test_unknown_option_is_a_usage_error(env: Env, capsys: pytest.CaptureFixture[str]) -> None:
    ran = run_cli(capsys, "score", "--no-such-flag")
    assert ran.code == 2
    assert "Traceback" not in ran.err and "No such option" in ran.err


def test_empty_and_oversized_solutions_are_scored_with_warnings(
    env: Env, mini: Benchmark, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    ref = mini.problems["HumanEval/22"].reference_program
    huge = ref + "#" + "x" * (1 << 20) + "\n"
    rows = [
        {"task_id": "HumanEval/22", "solution": ""},
        {"task_id": "HumanEval/22", "solution": huge},
        {"task_id": "HumanEval/22", "solution": ref},
        {"task_id": "HumanEval/22", "solution": ref},  # duplicate of line 3
    ]
    path = write_samples(tmp_path / "s.jsonl", rows)
    out = tmp_path / "r.json"
    ran = run_cli(capsys, *score_args(env, "humaneval+-mini", path, "-o", out, "--json"))
    assert ran.code == 0, ran.err
    assert "Traceback" not in ran.err
    # Warnings name the file and line; both duplicates are kept (as EvalPlus does).
    assert re.search(rf"warning:.*{re.escape(str(path))}:2:.*1,048,576", ran.err)
    assert re.search(rf"warning:.*{re.escape(str(path))}:4:.*line 3", ran.err)
    entries = json.loads(out.read_text())["eval"]["HumanEval/22"]
    assert len(entries) == 4  # nothing lost
    assert [e["codejury"]["base"]["status"] for e in entries] == [
        "no_code",
        "error",
        "pass",
        "pass",
    ]
    assert entries[1]["codejury"]["base"]["reason"] == "solution larger than 1 MiB"
    assert entries[1]["solution"] == huge  # kept verbatim even though not executed


def test_samples_and_canonical_together_is_a_usage_error(
    env: Env, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    path = write_samples(tmp_path / "s.jsonl", [{"task_id": "HumanEval/22", "solution": "x = 1"}])
    ran = run_cli(capsys, *score_args(env, "humaneval+-mini", path, "--canonical"))
    assert_clean_error(ran, ConfigError.exit_code, "--samples", "--canonical")


def test_solution_with_a_lone_surrogate_is_handled_cleanly(
    env: Env, capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CODEJURY_DB", str(tmp_path / "db.sqlite"))
    sol = "def filter_integers(values):\n    # \ud800\n    return [v for v in values if type(v) == int]\n"
    path = write_samples(tmp_path / "s.jsonl", [{"task_id": "HumanEval/22", "solution": sol}])
    assert "\\ud800" in path.read_text()  # JSON-escaped: the file itself is valid UTF-8
    try:
        ran = run_cli(
            capsys, *score_args(env, "humaneval+-mini", path, "-o", tmp_path / "r.json", "--json")
        )
    except Exception as exc:  # escaping main() is exactly the failure
        pytest.fail(f"main() raised {type(exc).__name__}: {exc}")
    assert "Traceback" not in ran.err
    # Either scored (EvalPlus scores it: exec raises, so it fails) or rejected with file:line.
    if ran.code == 0:
        assert ran.summary["status_counts"]["base"]["pass"] == 0
    else:
        assert_clean_error(ran, DataError.exit_code, f"{path}:1:")


def test_output_that_is_a_directory_is_a_clean_error(
    env: Env,
    mini: Benchmark,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    db = tmp_path / "db.sqlite"
    monkeypatch.setenv("CODEJURY_DB", str(db))
    path = write_samples(tmp_path / "s.jsonl", canonical_rows(mini, ["HumanEval/22"]))
    target = tmp_path / "adir"
    target.mkdir()
    try:
        ran = run_cli(capsys, *score_args(env, "humaneval+-mini", path, "-o", target))
    except Exception as exc:
        pytest.fail(f"main() raised {type(exc).__name__}: {exc}")
    finally:
        with Store.open(db) as store:
            stuck = [r.id for r in store.list_runs() if r.status == "running"]
    assert stuck == [], "a run was left 'running'"
    assert ran.code != 0
    assert "Traceback" not in ran.err and str(target) in ran.err
    assert not any(p.name.startswith(".adir.") for p in tmp_path.iterdir()), "temp file left behind"


def test_test_details_lists_every_failing_input(
    env: Env, mini: Benchmark, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    # `return l` for unique(): wrong on three of the five plus inputs (duplicates or unsorted),
    # right on [] and [-1, 1].
    path = write_samples(
        tmp_path / "s.jsonl",
        [{"task_id": "HumanEval/34", "solution": "def unique(l):\n    return l\n"}],
    )
    out = tmp_path / "r.json"
    ran = run_cli(
        capsys, *score_args(env, "humaneval+-mini", path, "-o", out, "--json", "--test-details")
    )
    assert ran.code == 0, ran.err
    (entry,) = json.loads(out.read_text())["eval"]["HumanEval/34"]
    plus_inputs = mini.problems["HumanEval/34"].plus_inputs
    wrong = [a for a in plus_inputs if a[0] != sorted(set(a[0]))]
    assert len(wrong) == 3
    assert entry["plus_fail_tests"] == wrong


# ---------------------------------------------------------------------------------------------
# Ctrl-C keeps finished verdicts; the next run resumes


def _stored_samples(db: Path) -> dict[tuple[str, int], int]:
    """(task, idx) → number of part verdicts stored, read as another process would."""
    try:
        con = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5)
    except sqlite3.OperationalError:
        return {}
    try:
        rows = con.execute(
            "SELECT task_id, idx, COUNT(*) FROM verdicts GROUP BY task_id, idx"
        ).fetchall()
    except sqlite3.OperationalError:  # the store is not created yet
        return {}
    finally:
        con.close()
    return {(t, i): n for t, i, n in rows}


@dataclass
class Interrupted:
    returncode: int
    err: str
    samples: Path
    db: Path
    rows: list[dict[str, Any]]


def _default_sigint() -> None:
    # A shell that starts the test run in the background (no job control) makes SIGINT
    # ignored, and children inherit that: Python then never raises KeyboardInterrupt. A user
    # at a terminal has the default disposition; give the child that.
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def _interrupt_a_run(env: Env, mini: Benchmark, tmp_path: Path) -> Interrupted:
    """Run `codejury score` as a subprocess and SIGINT it once two samples are stored."""
    p = mini.problems["HumanEval/22"]
    slow = p.reference_program.replace("    return list(", "    time.sleep(0.1)\n    return list(")
    wrong = "import time\ndef filter_integers(values):\n    time.sleep(0.1)\n    return values\n"
    # 16 samples × 5 inputs × 0.1 s on 2 workers: ~4 s of scoring, interrupted well before.
    rows = [
        {
            "task_id": p.task_id,
            "solution": f"import time\n# variant {i}\n" + (wrong if i % 3 == 2 else slow),
        }
        for i in range(16)
    ]
    samples = write_samples(tmp_path / "s.jsonl", rows)
    db = tmp_path / "sigint.db"
    cmd = [
        sys.executable, "-c", "import sys; from codejury.cli import main; sys.exit(main())",
        *map(str, score_args(env, "humaneval+-mini", samples, "-o", tmp_path / "interrupted.json", "-j", "2")),
    ]  # fmt: skip
    proc = subprocess.Popen(
        cmd,
        env=dict(os.environ, CODEJURY_DB=str(db)),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=_default_sigint,
    )
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and proc.poll() is None:
            if sum(n == 2 for n in _stored_samples(db).values()) >= 2:
                break
            time.sleep(0.02)
        assert proc.poll() is None, "the run finished before it could be interrupted"
        proc.send_signal(signal.SIGINT)
        _out, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    return Interrupted(proc.returncode, err, samples, db, rows)


def test_sigint_keeps_finished_verdicts_and_the_next_run_resumes(
    env: Env, mini: Benchmark, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    run = _interrupt_a_run(env, mini, tmp_path)
    assert "Traceback" not in run.err
    assert not (tmp_path / "interrupted.json").exists()  # no results file for a partial run
    finished = {k for k, n in _stored_samples(run.db).items() if n == 2}
    assert 2 <= len(finished) < len(run.rows)
    with Store.open(run.db) as store:
        (record,) = store.list_runs(kind="score")
        assert record.status == "interrupted"
        assert record.summary is not None and record.summary["samples"] == len(finished)

    # The next run (same file, same store) takes every finished sample from the cache.
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("CODEJURY_DB", str(run.db))
        ran = run_cli(
            capsys,
            *score_args(
                env, "humaneval+-mini", run.samples, "-o", tmp_path / "resumed.json", "--json"
            ),
        )
        assert ran.code == 0, ran.err
        assert ran.summary["cached"] == len(finished)
        # And an uninterrupted run from scratch gives the same verdicts.
        full = run_cli(
            capsys,
            *score_args(
                env,
                "humaneval+-mini",
                run.samples,
                "-o",
                tmp_path / "full.json",
                "--json",
                "--no-cache",
            ),
        )
        assert full.code == 0 and full.summary["cached"] == 0

    def verdicts(path: Path) -> list[tuple[str, str, str, str]]:
        entries = json.loads(path.read_text())["eval"]["HumanEval/22"]
        return [
            (
                e["base_status"],
                e["plus_status"],
                e["codejury"]["base"]["status"],
                e["codejury"]["plus"]["status"],
            )
            for e in entries
        ]

    resumed, uninterrupted = verdicts(tmp_path / "resumed.json"), verdicts(tmp_path / "full.json")
    assert resumed == uninterrupted
    assert [v[0] for v in uninterrupted] == [
        "fail" if i % 3 == 2 else "pass" for i in range(len(run.rows))
    ]


def test_sigint_exits_130_and_says_so(env: Env, mini: Benchmark, tmp_path: Path) -> None:
    run = _interrupt_a_run(env, mini, tmp_path)
    assert "Traceback" not in run.err
    assert run.returncode == 130
    assert "interrupted" in run.err and "resume" in run.err


def _zygotes_of(pid: int) -> int:
    out = subprocess.run(
        ["ps", "-eo", "ppid=,args="], capture_output=True, text=True, check=True
    ).stdout
    return sum(
        1
        for line in out.splitlines()
        if line.split(None, 1)[0] == str(pid) and "sandbox/worker.py" in line
    )


def test_sigint_while_computing_expected_outputs_stops_promptly(env: Env, tmp_path: Path) -> None:
    # A cache of its own, so HumanEval+'s 164 reference runs (~15 s) really have to happen.
    child_env = dict(
        os.environ,
        CODEJURY_DB=str(tmp_path / "db.sqlite"),
        CODEJURY_CACHE_DIR=str(tmp_path / "cache"),
        TMPDIR=str(tmp_path),  # where --canonical writes its samples file
    )
    cmd = [
        sys.executable, "-c", "import sys; from codejury.cli import main; sys.exit(main())",
        "score", "-b", "humaneval+", "--canonical", "--data-dir", str(env.data),
        "-o", str(tmp_path / "r.json"), "-j", "2",
    ]  # fmt: skip
    proc = subprocess.Popen(
        cmd,
        env=child_env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=_default_sigint,
    )
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and proc.poll() is None and _zygotes_of(proc.pid) < 2:
            time.sleep(0.05)
        time.sleep(1.0)  # the pool is up: expected outputs are being computed now
        assert proc.poll() is None
        proc.send_signal(signal.SIGINT)
        interrupted_at = time.monotonic()
        _out, err = proc.communicate(timeout=120)
        stopped_after = time.monotonic() - interrupted_at
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert "Traceback" not in err
    # Generous: what is in flight is at most one reference run per worker.
    assert stopped_after < 6.0, f"took {stopped_after:.1f} s to stop after Ctrl-C"

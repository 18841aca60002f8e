"""Verdict parity and speed of ``codejury score`` against EvalPlus 0.3.1, in one run.

Usage::

    python benchmarks/score_vs_evalplus.py [--benchmarks humaneval+,mbpp+]
        [--sets canonical,mutants] [--samples FILE ...] [--quick | --tasks ID,ID]
        [--evalplus-python PATH] [--workers N] [--report PATH]

For each benchmark and sample set, both scorers run the same samples file through their CLI,
one after the other on the same machine with the same number of workers, and the script
prints per-sample agreement of the (base, plus) pass/not-pass verdicts, every differing
sample with both verdicts and codejury's reason, both wall times and their ratio.

Sample sets:
    canonical  the reference solutions (a greedy-sized set: one sample per task);
    mutants    deterministic broken variants of them (see ``mutants.py``), some still correct;
    FILE       any extra EvalPlus-format samples file given with ``--samples`` (e.g. real
               model output), split by task-id prefix into HumanEval+ and MBPP+ parts.

Timing:
    cold  the first run of the canonical set, with both expected-output caches empty: EvalPlus
          computes its ground-truth pickle, codejury its expected outputs in the sandbox;
    warm  every set again with those caches filled (and codejury's verdict cache empty: a
          fresh store per run plus ``--no-cache``, so no verdict is reused).
    EvalPlus's time is taken when its results file is written: its CLI then waits up to 20 s
    more for a non-daemon "stuck checker" thread to wake up and exit, which is not scoring
    work. codejury's time is the whole process. Both include interpreter start and imports.

Isolation: everything lives under ``--work-dir`` (default: a directory in the system temp
dir): the EvalPlus venv (the only download, from PyPI, when ``--evalplus-python`` is not
given), decompressed dataset copies for EvalPlus's ``*_OVERRIDE_PATH``, and per-run
``XDG_CACHE_HOME`` / ``CODEJURY_CACHE_DIR`` / ``CODEJURY_DB``. Nothing touches ~/.cache or
the repository, and codejury reads the datasets from ``--data-dir``, never the network.

Explaining differences (skipped with ``--no-recheck``): every differing sample is re-run on
both scorers alone (one worker, only those samples); a difference that disappears then was
load-dependent (EvalPlus's per-input limits are wall-clock time). One that stays, where
EvalPlus is the stricter side, is run by EvalPlus once more with its memory limit off
(``EVALPLUS_MAX_MEMORY_BYTES=-1``), which identifies MemoryErrors caused by the address space
EvalPlus's own workers carry. Known defects of EvalPlus 0.3.1 are named by task. Anything
else is printed as UNEXPLAINED.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from evalplus_harness import (
    BENCHES,
    EVALPLUS_VERSION,
    TASK_PREFIX,
    Dataset,
    Run,
    decompressed,
    derive_groundtruth,
    evalplus_python,
    run_checked,
    run_codejury,
    run_evalplus,
)
from mutants import mutants_for_task

ROOT = Path(__file__).resolve().parent.parent
QUICK_TASKS = 12


@dataclass(frozen=True)
class Options:
    """Resolved command-line options."""

    benchmarks: list[str]
    sets: list[str]
    extra: list[Path]
    quick: bool
    tasks: list[str]
    work_dir: Path
    data_dir: Path
    evalplus_python: Path | None
    workers: int
    evalplus_parallel: int
    mutants_per_task: int
    recheck: bool
    report: Path | None


# --------------------------------------------------------------------------------------------
# sample sets


@dataclass
class SampleSet:
    """One samples file: what each sample is (for the difference list)."""

    name: str
    path: Path
    kinds: list[tuple[str, int, str]]  # (task_id, index within task, kind), in file order

    @property
    def tasks(self) -> list[str]:
        """Task ids in first-seen order."""
        return list(dict.fromkeys(t for t, _i, _k in self.kinds))


def write_set(name: str, directory: Path, rows: list[tuple[dict[str, Any], str]]) -> SampleSet:
    """Write ``rows`` (sample object, kind) as JSONL into ``directory/samples.jsonl``."""
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / "samples.jsonl"
    counts: dict[str, int] = {}
    kinds: list[tuple[str, int, str]] = []
    with path.open("w", encoding="utf-8") as f:
        for obj, kind in rows:
            task_id = obj["task_id"]
            kinds.append((task_id, counts.get(task_id, 0), kind))
            counts[task_id] = counts.get(task_id, 0) + 1
            f.write(json.dumps(obj) + "\n")
    return SampleSet(name, path, kinds)


def canonical_rows(ds: Dataset) -> list[tuple[dict[str, Any], str]]:
    """The reference programs, built as EvalPlus builds them (prompt + canonical solution)."""
    return [
        (
            {
                "task_id": t,
                "solution": ds.records[t]["prompt"] + ds.records[t]["canonical_solution"],
            },
            "canonical",
        )
        for t in ds.tasks
    ]


def mutant_rows(ds: Dataset, per_task: int) -> list[tuple[dict[str, Any], str]]:
    """``per_task`` mutants of each selected task; the position is the published one, so a
    ``--quick`` run gets the same mutants for its tasks as a full run."""
    position = {t: i for i, t in enumerate(ds.lines)}
    rows: list[tuple[dict[str, Any], str]] = []
    for t in ds.tasks:
        r = ds.records[t]
        for m in mutants_for_task(
            position[t], t, r["prompt"], r["canonical_solution"], r["entry_point"], per_task
        ):
            rows.append(({"task_id": t, "solution": m.solution}, m.kind))
    return rows


def extra_rows(path: Path, ds: Dataset, bench: str) -> list[tuple[dict[str, Any], str]]:
    """This benchmark's samples of an extra file, restricted to the selected tasks."""
    wanted = set(ds.tasks)
    rows: list[tuple[dict[str, Any], str]] = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        obj = json.loads(line)
        task_id = obj.get("task_id", "")
        if task_id.startswith(TASK_PREFIX[bench]) and task_id in wanted:
            keep = {k: obj[k] for k in ("task_id", "solution", "completion") if k in obj}
            rows.append((keep, "model"))
    return rows


# --------------------------------------------------------------------------------------------
# comparing verdicts


def _passes(entry: dict[str, Any]) -> tuple[bool, bool]:
    return entry["base_status"] == "pass", entry["plus_status"] == "pass"


def _ep_passes(view: dict[str, Any]) -> tuple[bool, bool]:
    return view["base"] == "pass", view["plus"] == "pass"


def _cj_passes(view: dict[str, Any]) -> tuple[bool, bool]:
    return view["base"]["status"] == "pass", view["plus"]["status"] == "pass"


@dataclass
class Difference:
    """One sample on which the two scorers disagree."""

    task_id: str
    index: int
    kind: str
    evalplus: dict[str, Any]
    codejury: dict[str, Any]
    recheck: dict[str, Any] | None = None
    explanation: str = ""


@dataclass
class Comparison:
    """Agreement of two runs of the same samples file."""

    n: int
    agree: int
    base_agree: int
    plus_agree: int
    evalplus_pass: tuple[int, int]  # samples passing (base, plus)
    codejury_pass: tuple[int, int]
    differences: list[Difference]

    @property
    def agreement(self) -> float:
        """Fraction of samples whose (base, plus) verdicts are both equal."""
        return self.agree / self.n if self.n else 1.0


def _ep_view(entry: dict[str, Any]) -> dict[str, Any]:
    return {
        "base": entry["base_status"],
        "plus": entry["plus_status"],
        "base_fail_tests": repr(entry["base_fail_tests"])[:200],
        "plus_fail_tests": repr(entry["plus_fail_tests"])[:200],
    }


def _cj_view(entry: dict[str, Any]) -> dict[str, Any]:
    own = entry.get("codejury", {})
    return {
        part: {k: own.get(part, {}).get(k) for k in ("status", "reason", "failed_index", "retried")}
        for part in ("base", "plus")
    }


def compare(samples: SampleSet, ep: Run, cj: Run) -> Comparison:
    """Per-sample pass/not-pass agreement on base and plus."""
    agree = base_agree = plus_agree = 0
    ep_pass = [0, 0]
    cj_pass = [0, 0]
    diffs: list[Difference] = []
    for task_id, index, kind in samples.kinds:
        e = ep.eval[task_id][index]
        c = cj.eval[task_id][index]
        if e["solution"] != c["solution"]:  # both must have read the same file the same way
            raise SystemExit(f"{task_id}#{index}: the two results hold different solutions")
        pe, pc = _passes(e), _passes(c)
        base_agree += pe[0] == pc[0]
        plus_agree += pe[1] == pc[1]
        for i in (0, 1):
            ep_pass[i] += pe[i]
            cj_pass[i] += pc[i]
        if pe == pc:
            agree += 1
        else:
            diffs.append(Difference(task_id, index, kind, _ep_view(e), _cj_view(c)))
    return Comparison(
        len(samples.kinds),
        agree,
        base_agree,
        plus_agree,
        (ep_pass[0], ep_pass[1]),
        (cj_pass[0], cj_pass[1]),
        diffs,
    )


# Defects of EvalPlus 0.3.1 itself, found by reading evalplus/eval/__init__.py; each makes it
# reject samples that are correct by its own oracle, whatever the machine.
KNOWN_EVALPLUS_DEFECTS = {
    "HumanEval/32": (
        "EvalPlus 0.3.1 defect: its find_zero special oracle checks the root and then "
        "`continue`s before recording the input as passed (details[i], progress), so the "
        "`len(details) != len(inputs)` check turns every HumanEval/32 run into a fail — "
        "the reference solution included"
    ),
}
_MEMORY = (
    "EvalPlus memory limit: it passes with EVALPLUS_MAX_MEMORY_BYTES=-1. Its 4 GiB "
    "RLIMIT_AS is applied in a child forked from a pool worker whose address space already "
    "holds expected outputs it was sent (Mbpp/255's are ~1 GB of tuples, a 790 MB pickle), so "
    "the sample's own allocation raises MemoryError — also for later samples of the same "
    "worker, which makes it depend on the order of the samples"
)


def explain(diff: Difference) -> str:
    """Why the two scorers disagree on ``diff``, as far as the re-runs and known defects tell."""
    ep = _ep_passes(diff.evalplus)
    cj = _cj_passes(diff.codejury)
    recheck = diff.recheck or {}
    if "evalplus" in recheck and _ep_passes(recheck["evalplus"]) == _cj_passes(recheck["codejury"]):
        moved = "EvalPlus" if _ep_passes(recheck["evalplus"]) != ep else "codejury"
        return (
            f"not reproducible: the two agree when re-run alone ({moved} changed its verdict); "
            + (
                "EvalPlus's per-input limit is wall-clock time (SIGALRM), so a busy machine "
                "turns a pass into a fail"
                if moved == "EvalPlus"
                else "codejury's verdict depended on the run"
            )
        )
    if diff.task_id in KNOWN_EVALPLUS_DEFECTS:
        return KNOWN_EVALPLUS_DEFECTS[diff.task_id]
    no_mem = recheck.get("evalplus_no_memory_limit")
    if no_mem is not None and _ep_passes(no_mem) == cj:
        return _MEMORY
    if diff.recheck is None:
        return "NOT RE-CHECKED (run without --no-recheck to classify)"
    if any(e and not c for e, c in zip(ep, cj, strict=True)):
        return "UNEXPLAINED — EvalPlus passes, codejury does not: " + ", ".join(
            f"{p} {diff.codejury[p]['status']} ({diff.codejury[p]['reason']})"
            for p in ("base", "plus")
            if diff.codejury[p]["status"] != "pass"
        )
    return "UNEXPLAINED — codejury passes, EvalPlus does not"


# --------------------------------------------------------------------------------------------
# one benchmark, end to end


@dataclass
class Row:
    """One line of the table: a benchmark × sample set (× cold/warm)."""

    benchmark: str
    set_name: str
    phase: str  # "cold" or "warm"
    comparison: Comparison | None
    evalplus_seconds: float | None
    codejury_seconds: float | None
    note: str = ""
    details: dict[str, Any] = field(default_factory=dict)
    samples: SampleSet | None = None

    @property
    def ratio(self) -> float | None:
        """How many times faster codejury was."""
        if not self.evalplus_seconds or not self.codejury_seconds:
            return None
        return self.evalplus_seconds / self.codejury_seconds


class BenchRun:
    """Runs every sample set of one benchmark on both scorers."""

    def __init__(self, opts: Options, python: Path, ds: Dataset) -> None:
        self.opts = opts
        self.python = python
        self.ds = ds
        self.bench = ds.spec.codejury_id
        self.dir = opts.work_dir / "run" / self.bench.replace("+", "plus")
        shutil.rmtree(self.dir, ignore_errors=True)  # cold must mean cold: fresh caches
        self.xdg = self.dir / "evalplus-xdg-cache"
        self.cj_cache = self.dir / "codejury-cache"
        self.main_file = ds.file_for(ds.tasks, self.dir / "datasets")

    def _evalplus(
        self, samples: SampleSet, parallel: int, env_extra: dict[str, str] | None = None
    ) -> Run:
        dataset = self.ds.file_for(samples.tasks, self.dir / "datasets")
        if self.xdg.exists():
            derive_groundtruth(self.python, self.xdg, self.main_file, dataset)
        return run_evalplus(
            self.python, self.ds.spec, samples.path, dataset, self.xdg, parallel, env_extra
        )

    def _both(self, samples: SampleSet, workers: int, parallel: int) -> tuple[Run, Run]:
        # One after the other, never at the same time: each gets the whole machine.
        ep = self._evalplus(samples, parallel)
        cj = run_codejury(
            self.bench,
            samples.path,
            self.opts.data_dir,
            self.cj_cache,
            workers,
            samples.path.parent,
        )
        return ep, cj

    def _row(self, samples: SampleSet, phase: str) -> Row:
        print(
            f"  {self.bench} {samples.name} ({phase}): {len(samples.kinds)} samples ...", flush=True
        )
        ep, cj = self._both(samples, self.opts.workers, self.opts.evalplus_parallel)
        cmp_ = compare(samples, ep, cj)
        row = Row(
            self.bench,
            samples.name,
            phase,
            cmp_,
            ep.seconds,
            cj.seconds,
            details={
                "evalplus_process_seconds": round(ep.process_seconds, 3),
                "codejury": cj.extra,
            },
            samples=samples,
        )
        print(
            f"    agreement {100 * cmp_.agreement:.2f}% · EvalPlus {ep.seconds:.1f} s · "
            f"codejury {cj.seconds:.1f} s",
            flush=True,
        )
        return row

    def run(self) -> list[Row]:
        """Cold canonical run (which warms both caches), then each set warm."""
        base = self.dir / "sets"
        sets: list[SampleSet] = []
        notes: list[Row] = []
        if "canonical" in self.opts.sets:
            sets.append(write_set("canonical", base / "canonical", canonical_rows(self.ds)))
        if "mutants" in self.opts.sets:
            rows_m = mutant_rows(self.ds, self.opts.mutants_per_task)
            sets.append(write_set("mutants", base / "mutants", rows_m))
        for extra in self.opts.extra:
            found = extra_rows(extra, self.ds, self.bench)
            name = f"model:{extra.stem}"
            if found:
                sets.append(write_set(name, base / f"model-{extra.stem}", found))
            else:
                notes.append(Row(self.bench, name, "-", None, None, None,
                                 note=f"no {self.bench} samples in {extra}"))  # fmt: skip
        if not self.opts.extra:
            notes.append(Row(self.bench, "model output", "-", None, None, None,
                             note="not available yet (pass --samples FILE)"))  # fmt: skip
        # The cold run is always the canonical set of the selected tasks: EvalPlus computes
        # ground truth for its whole dataset file whatever the samples, so this is the set on
        # which both tools compute the same expected outputs.
        cold = write_set("canonical", base / "canonical-cold", canonical_rows(self.ds))
        rows = [self._row(cold, "cold")] + [self._row(s, "warm") for s in sets]
        if self.opts.recheck:
            self._recheck(rows)
        for row in rows:
            if row.comparison:
                for d in row.comparison.differences:
                    d.explanation = explain(d)
        return rows + notes

    def _recheck(self, rows: list[Row]) -> None:
        # Every differing sample once more, one worker each, nothing else running.
        todo: list[tuple[Difference, dict[str, Any]]] = []
        for row in rows:
            if not row.comparison or not row.comparison.differences or row.samples is None:
                continue
            lines = row.samples.path.read_text(encoding="utf-8").splitlines()
            where = {k[:2]: i for i, k in enumerate(row.samples.kinds)}
            for d in row.comparison.differences:
                todo.append((d, json.loads(lines[where[(d.task_id, d.index)]])))
        if not todo:
            return
        print(f"  {self.bench}: re-running {len(todo)} differing samples alone ...", flush=True)
        recheck = write_set(
            "recheck", self.dir / "sets" / "recheck", [(obj, d.kind) for d, obj in todo]
        )
        ep, cj = self._both(recheck, 1, 1)
        for (d, _obj), (task_id, index, _kind) in zip(todo, recheck.kinds, strict=True):
            d.recheck = {
                "evalplus": _ep_view(ep.eval[task_id][index]),
                "codejury": _cj_view(cj.eval[task_id][index]),
            }
        # Still different, EvalPlus the stricter one, and no known defect: try EvalPlus once
        # more without its memory limit, which catches MemoryErrors that come from the
        # address space its worker inherited rather than from the sample.
        again = [
            (d, obj)
            for d, obj in todo
            if d.recheck is not None
            and d.task_id not in KNOWN_EVALPLUS_DEFECTS
            and _ep_passes(d.recheck["evalplus"]) != _cj_passes(d.recheck["codejury"])
            and not any(
                e and not c
                for e, c in zip(
                    _ep_passes(d.recheck["evalplus"]),
                    _cj_passes(d.recheck["codejury"]),
                    strict=True,
                )
            )
        ]
        if not again:
            return
        print(f"  {self.bench}: {len(again)} again, EvalPlus without memory limit ...", flush=True)
        nomem = write_set(
            "recheck-nomem", self.dir / "sets" / "recheck-nomem", [(o, d.kind) for d, o in again]
        )
        ep = self._evalplus(nomem, 1, {"EVALPLUS_MAX_MEMORY_BYTES": "-1"})
        for (d, _obj), (task_id, index, _kind) in zip(again, nomem.kinds, strict=True):
            assert d.recheck is not None
            d.recheck["evalplus_no_memory_limit"] = _ep_view(ep.eval[task_id][index])


# --------------------------------------------------------------------------------------------
# output


def _fmt_s(value: float | None) -> str:
    return f"{value:.1f}" if value is not None else "-"


def print_table(rows: list[Row]) -> None:
    """The summary table, then every difference."""
    header = (
        f"{'benchmark':<11} {'set':<20} {'phase':<5} {'n':>5} {'agree':>8} {'base':>8} "
        f"{'plus':>8} {'EP pass b/p':>12} {'CJ pass b/p':>12} {'EvalPlus s':>10} "
        f"{'codejury s':>10} {'ratio':>6}"
    )
    print()
    print(header)
    print("-" * len(header))
    for r in rows:
        c = r.comparison
        if c is None:
            print(f"{r.benchmark:<11} {r.set_name:<20} {r.phase:<5} {r.note}")
            continue
        ratio = f"{r.ratio:.1f}x" if r.ratio else "-"
        print(
            f"{r.benchmark:<11} {r.set_name:<20} {r.phase:<5} {c.n:>5} "
            f"{100 * c.agreement:>7.2f}% {100 * c.base_agree / c.n:>7.2f}% "
            f"{100 * c.plus_agree / c.n:>7.2f}% "
            f"{f'{c.evalplus_pass[0]}/{c.evalplus_pass[1]}':>12} "
            f"{f'{c.codejury_pass[0]}/{c.codejury_pass[1]}':>12} "
            f"{_fmt_s(r.evalplus_seconds):>10} {_fmt_s(r.codejury_seconds):>10} {ratio:>6}"
        )
    total = [r.comparison for r in rows if r.comparison and r.phase == "warm"]
    if total:
        n = sum(c.n for c in total)
        agree = sum(c.agree for c in total)
        print(
            f"\nall warm sets: {agree}/{n} samples agree on (base, plus) = {100 * agree / n:.2f}%"
        )
    causes: dict[str, int] = {}
    for r in rows:
        for d in r.comparison.differences if r.comparison else []:
            key = d.explanation.split(":")[0]
            causes[key] = causes.get(key, 0) + 1
    if causes:
        print("differences by cause (all rows, cold included):")
        for cause, count in sorted(causes.items(), key=lambda kv: -kv[1]):
            print(f"  {count:>4}  {cause}")
    for r in rows:
        if not r.comparison or not r.comparison.differences:
            continue
        print(f"\ndifferences: {r.benchmark} {r.set_name} ({r.phase})")
        for d in r.comparison.differences:
            cj = ", ".join(
                f"{p} {d.codejury[p]['status']}"
                + (f" ({d.codejury[p]['reason']})" if d.codejury[p]["reason"] else "")
                for p in ("base", "plus")
            )
            print(
                f"  {d.task_id}#{d.index} [{d.kind}] EvalPlus base {d.evalplus['base']}, "
                f"plus {d.evalplus['plus']} | codejury {cj}"
            )
            if d.recheck:
                re_ep, re_cj = d.recheck["evalplus"], d.recheck["codejury"]
                no_mem = d.recheck.get("evalplus_no_memory_limit")
                print(
                    f"      re-run alone: EvalPlus {re_ep['base']}/{re_ep['plus']}, codejury "
                    f"{re_cj['base']['status']}/{re_cj['plus']['status']}"
                    + (
                        f"; EvalPlus without memory limit {no_mem['base']}/{no_mem['plus']}"
                        if no_mem
                        else ""
                    )
                )
            print(f"      -> {d.explanation}")


def _git_state() -> dict[str, Any]:
    def git(*args: str) -> str:
        done = subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True)
        return done.stdout.strip()

    diff = git("diff", "HEAD", "--", "src")
    return {
        "commit": git("rev-parse", "HEAD"),
        "src_dirty": bool(diff),
        "src_diff_sha256": hashlib.sha256(diff.encode()).hexdigest() if diff else None,
    }


def write_report(
    path: Path, opts: Options, rows: list[Row], python: Path, git: dict[str, Any]
) -> None:
    """The whole run as JSON: options, environment, every row and difference."""
    ep_version = run_checked([str(python), "-c", "import sys; print(sys.version)"]).stdout
    doc = {
        "options": {k: str(v) if isinstance(v, Path) else v for k, v in asdict(opts).items()}
        | {"extra": [str(p) for p in opts.extra]},
        "machine": {"cpus": os.cpu_count(), "platform": sys.platform},
        "codejury": git | {"python": sys.version},
        "evalplus": {"version": EVALPLUS_VERSION, "python": ep_version.strip()},
        "timing_note": __doc__.split("Timing:")[1].split("Isolation:")[0].strip(),
        "rows": [
            {
                "benchmark": r.benchmark,
                "set": r.set_name,
                "phase": r.phase,
                "note": r.note,
                "evalplus_seconds": r.evalplus_seconds,
                "codejury_seconds": r.codejury_seconds,
                "ratio": r.ratio,
                "details": r.details,
                "comparison": None
                if r.comparison is None
                else asdict(r.comparison) | {"agreement": r.comparison.agreement},
            }
            for r in rows
        ],
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(doc, indent=1))


# --------------------------------------------------------------------------------------------


def parse_args(argv: Sequence[str] | None = None) -> Options:
    """Command-line options."""
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--benchmarks", default="humaneval+,mbpp+")
    p.add_argument("--sets", default="canonical,mutants", help="canonical and/or mutants")
    p.add_argument(
        "--samples", action="append", type=Path, default=[], help="extra samples file (repeatable)"
    )
    p.add_argument("--quick", action="store_true", help=f"{QUICK_TASKS} tasks per benchmark")
    p.add_argument("--tasks", default="", help="only these task ids (comma-separated)")
    p.add_argument(
        "--work-dir", type=Path, default=Path(tempfile.gettempdir()) / "codejury-bench-evalplus"
    )
    p.add_argument("--data-dir", type=Path, default=ROOT.parent / "shared" / "data")
    p.add_argument("--evalplus-python", type=Path, default=None)
    p.add_argument("--workers", type=int, default=os.cpu_count() or 1, help="codejury's workers")
    p.add_argument(
        "--evalplus-parallel",
        type=int,
        default=0,
        help="EvalPlus's --parallel (default: the same as --workers; EvalPlus's own default "
        "is half the CPUs, which would make it slower than a same-resources comparison)",
    )
    p.add_argument("--mutants-per-task", type=int, default=4)
    p.add_argument("--no-recheck", action="store_true", help="do not re-run differences alone")
    p.add_argument("--report", type=Path, default=None, help="write a JSON report here")
    a = p.parse_args(argv)
    benches = [b.strip() for b in a.benchmarks.split(",") if b.strip()]
    sets = [s.strip() for s in a.sets.split(",") if s.strip()]
    for b in benches:
        if b not in BENCHES:
            p.error(f"unknown benchmark {b!r} (known: {', '.join(BENCHES)})")
    for s in sets:
        if s not in ("canonical", "mutants"):
            p.error(f"unknown set {s!r} (known: canonical, mutants; use --samples for files)")
    return Options(
        benches,
        sets,
        list(a.samples),
        a.quick,
        [t.strip() for t in a.tasks.split(",") if t.strip()],
        a.work_dir.resolve(),
        a.data_dir.resolve(),
        a.evalplus_python,
        a.workers,
        a.evalplus_parallel or a.workers,
        a.mutants_per_task,
        not a.no_recheck,
        a.report,
    )


def main(argv: Sequence[str] | None = None) -> int:
    """Run the comparison; returns 0 (the numbers are the result, not a pass/fail)."""
    opts = parse_args(argv)
    # Taken before running: the src tree may change while the benchmark runs.
    git = _git_state()
    opts.work_dir.mkdir(parents=True, exist_ok=True)
    python = evalplus_python(opts.evalplus_python, opts.work_dir)
    print(
        f"EvalPlus {EVALPLUS_VERSION} ({python}, --parallel {opts.evalplus_parallel}) vs "
        f"codejury {git['commit'][:12]}{' + uncommitted src changes' if git['src_dirty'] else ''} "
        f"({opts.workers} workers); work dir {opts.work_dir}",
        flush=True,
    )
    rows: list[Row] = []
    for bench in opts.benchmarks:
        spec = BENCHES[bench]
        ds = Dataset.load(
            spec,
            decompressed(opts.work_dir, opts.data_dir, spec),
            QUICK_TASKS if opts.quick else 0,
            opts.tasks,
        )
        if not ds.tasks:
            print(f"{bench}: none of --tasks is in this benchmark; skipped")
            continue
        rows.extend(BenchRun(opts, python, ds).run())
    print_table(rows)
    if opts.report:
        write_report(opts.report, opts, rows, python, git)
        print(f"\nreport: {opts.report}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

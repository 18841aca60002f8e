"""Running EvalPlus 0.3.1 and ``codejury score`` side by side, each fully isolated.

EvalPlus lives in its own throwaway venv (it pins numpy, transformers, openai... and must not
touch codejury's environment) and reads the datasets from decompressed copies through its
``HUMANEVAL_OVERRIDE_PATH`` / ``MBPP_OVERRIDE_PATH`` variables, with ``XDG_CACHE_HOME``
pointing at a private directory so its ground-truth pickles never land in ~/.cache.
codejury runs with its own ``CODEJURY_CACHE_DIR`` and a fresh ``CODEJURY_DB`` per run.
Both run through their command line in a subprocess, as a user would run them.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

EVALPLUS_VERSION = "0.3.1"


@dataclass(frozen=True)
class BenchSpec:
    """One benchmark as both tools name it."""

    codejury_id: str
    evalplus_dataset: str  # EvalPlus's --dataset
    override_env: str  # the variable EvalPlus reads the dataset path from
    file_name: str  # as published in ../shared/data
    md5: str  # of the decompressed file: EvalPlus's dataset "hash"


BENCHES: dict[str, BenchSpec] = {
    "humaneval+": BenchSpec(
        "humaneval+",
        "humaneval",
        "HUMANEVAL_OVERRIDE_PATH",
        "HumanEvalPlus-v0.1.10.jsonl.gz",
        "fe585eb4df8c88d844eeb463ea4d0302",
    ),
    "mbpp+": BenchSpec(
        "mbpp+",
        "mbpp",
        "MBPP_OVERRIDE_PATH",
        "MbppPlus-v0.2.0.jsonl.gz",
        "ee43ecabebf20deef4bb776a405ac5b1",
    ),
}
TASK_PREFIX = {"humaneval+": "HumanEval/", "mbpp+": "Mbpp/"}


def run_checked(cmd: Sequence[str], **kwargs: Any) -> subprocess.CompletedProcess[str]:
    """Run ``cmd``; stop the benchmark with its stderr if it fails."""
    done = subprocess.run(cmd, capture_output=True, text=True, check=False, **kwargs)
    if done.returncode != 0:
        raise SystemExit(
            f"command failed ({done.returncode}): {' '.join(map(str, cmd))}\n{done.stderr[-3000:]}"
        )
    return done


def evalplus_python(given: Path | None, work_dir: Path) -> Path:
    """The interpreter that has evalplus 0.3.1: ``given``, or a throwaway venv in ``work_dir``
    (created, with the only download this benchmark makes, when missing)."""
    probe = "import evalplus; print(evalplus.__version__)"
    if given is not None:
        version = run_checked([str(given), "-c", probe]).stdout.strip()
        if version != EVALPLUS_VERSION:
            print(f"warning: {given} has evalplus {version}, not {EVALPLUS_VERSION}")
        return given
    venv = work_dir / f"evalplus-{EVALPLUS_VERSION}-venv"
    python = venv / "bin" / "python"
    if python.exists():
        done = subprocess.run([str(python), "-c", probe], capture_output=True, text=True)
        if done.returncode == 0 and done.stdout.strip() == EVALPLUS_VERSION:
            return python
    # A separate venv: evalplus pins its own numpy/transformers/openai and must not touch the
    # environment codejury runs in. This is the script's only download (PyPI, via pip).
    print(f"creating {venv} and installing evalplus=={EVALPLUS_VERSION} from PyPI ...", flush=True)
    run_checked([sys.executable, "-m", "venv", "--clear", str(venv)])
    # pip's own cache goes into the work dir too, so ~/.cache stays untouched.
    run_checked(
        [str(python), "-m", "pip", "install", "-q", f"evalplus=={EVALPLUS_VERSION}"],
        env=os.environ | {"PIP_CACHE_DIR": str(work_dir / "pip-cache")},
    )
    return python


def decompressed(work_dir: Path, data_dir: Path, spec: BenchSpec) -> Path:
    """A verified decompressed copy of the published file (EvalPlus's override path)."""
    out = work_dir / "data" / spec.file_name.removesuffix(".gz")
    if out.exists() and hashlib.md5(out.read_bytes()).hexdigest() == spec.md5:
        return out
    raw = gzip.decompress((data_dir / spec.file_name).read_bytes())
    if hashlib.md5(raw).hexdigest() != spec.md5:
        raise SystemExit(f"{data_dir / spec.file_name} is not the published release")
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(raw)
    return out


@dataclass
class Dataset:
    """A benchmark's tasks and the raw JSONL lines EvalPlus reads them from."""

    spec: BenchSpec
    lines: dict[str, bytes]  # task_id -> the published line, byte for byte
    records: dict[str, dict[str, Any]]
    tasks: list[str]  # the selected tasks (all, --quick or --tasks)
    full_file: Path

    @classmethod
    def load(cls, spec: BenchSpec, path: Path, quick: int, only: Sequence[str] = ()) -> Dataset:
        """Parse the decompressed release; ``quick`` > 0 keeps that many evenly spread tasks,
        ``only`` (task ids of any benchmark) keeps those of this one, in published order."""
        lines: dict[str, bytes] = {}
        records: dict[str, dict[str, Any]] = {}
        for line in path.read_bytes().splitlines(keepends=True):
            if line.strip():
                record = json.loads(line)
                lines[record["task_id"]] = line
                records[record["task_id"]] = record
        tasks = list(lines)
        if only:
            tasks = [t for t in tasks if t in set(only)]
        elif quick:
            tasks = tasks[:: max(1, len(tasks) // quick)][:quick]
        return cls(spec, lines, records, tasks, path)

    def file_for(self, tasks: Sequence[str], directory: Path) -> Path:
        """An EvalPlus dataset file with exactly ``tasks`` (EvalPlus insists on samples for
        every task of its dataset, so a partial samples file needs a partial dataset)."""
        if list(tasks) == list(self.lines):
            return self.full_file
        data = b"".join(self.lines[t] for t in self.lines if t in set(tasks))
        out = directory / f"{hashlib.md5(data).hexdigest()}.jsonl"
        if not out.exists():
            directory.mkdir(parents=True, exist_ok=True)
            out.write_bytes(data)
        return out


@dataclass
class Run:
    """One scorer's run of one samples file."""

    tool: str
    seconds: float  # the time compared (see "Timing" in score_vs_evalplus.py)
    process_seconds: float
    eval: dict[str, list[dict[str, Any]]]
    extra: dict[str, Any] = field(default_factory=dict)


def run_evalplus(
    python: Path,
    spec: BenchSpec,
    samples: Path,
    dataset: Path,
    xdg: Path,
    parallel: int,
    env_extra: dict[str, str] | None = None,
) -> Run:
    """``python -m evalplus.evaluate`` on ``samples`` against ``dataset``."""
    result = samples.with_name(samples.name.removesuffix(".jsonl") + "_eval_results.json")
    # With --i-just-wanna-run and an existing results file, EvalPlus asks on stdin whether to
    # overwrite; remove it first (and give it no stdin) so it can never wait for an answer.
    result.unlink(missing_ok=True)
    env = os.environ | {"XDG_CACHE_HOME": str(xdg), spec.override_env: str(dataset)}
    env |= env_extra or {}
    cmd = [
        str(python), "-m", "evalplus.evaluate",
        "--dataset", spec.evalplus_dataset,
        "--samples", str(samples),
        "--parallel", str(parallel),
        "--i-just-wanna-run",
    ]  # fmt: skip
    log = samples.with_name(samples.name.removesuffix(".jsonl") + "_evalplus.log")
    started = time.time()
    with log.open("w") as out:
        code = subprocess.call(cmd, env=env, stdin=subprocess.DEVNULL, stdout=out, stderr=out)
    process = time.time() - started
    if code != 0 or not result.exists():
        tail = log.read_text(errors="replace")[-3000:]
        raise SystemExit(f"EvalPlus failed ({code}) on {samples}; log {log}:\n{tail}")
    written = result.stat().st_mtime - started
    doc = json.loads(result.read_text())
    return Run("evalplus", min(process, written), process, doc["eval"])


def run_codejury(
    bench: str, samples: Path, data_dir: Path, cache: Path, workers: int, out_dir: Path
) -> Run:
    """``codejury score`` on ``samples`` with its own cache dir and a fresh store."""
    output = out_dir / "codejury_results.json"
    db = out_dir / "codejury.db"
    db.unlink(missing_ok=True)
    env = os.environ | {"CODEJURY_CACHE_DIR": str(cache), "CODEJURY_DB": str(db)}
    cmd = [
        sys.executable, "-c", "import sys; from codejury.cli import main; sys.exit(main())",
        "score",
        "--benchmark", bench,
        "--samples", str(samples),
        "--output", str(output),
        "--data-dir", str(data_dir),
        "--workers", str(workers),
        "--no-cache",
        "--json",
    ]  # fmt: skip
    started = time.time()
    done = subprocess.run(cmd, env=env, stdin=subprocess.DEVNULL, capture_output=True, text=True)
    process = time.time() - started
    (out_dir / "codejury.log").write_text(done.stdout + done.stderr)
    if done.returncode != 0:
        raise SystemExit(
            f"codejury failed ({done.returncode}) on {samples}:\n{done.stderr[-3000:]}"
        )
    summary = json.loads(done.stdout.strip().splitlines()[-1])
    doc = json.loads(output.read_text())
    keep = ("wall_seconds", "reference_seconds", "retried_timeouts", "status_counts", "sandbox")
    return Run("codejury", process, process, doc["eval"], {k: summary.get(k) for k in keep})


def derive_groundtruth(python: Path, xdg: Path, full: Path, subset: Path) -> None:
    """Give ``subset`` (a dataset file of some of ``full``'s tasks) a warm ground truth."""
    # EvalPlus keys its ground truth by the md5 of the dataset file. A subset file's ground
    # truth is a slice of the full one's, so copy that slice instead of recomputing it: the
    # timed run then starts warm, as the full-dataset runs do.
    cache = xdg / "evalplus"
    src = cache / f"{hashlib.md5(full.read_bytes()).hexdigest()}.pkl"
    dst = cache / f"{hashlib.md5(subset.read_bytes()).hexdigest()}.pkl"
    if dst.exists() or full == subset:
        return
    tasks = [json.loads(line)["task_id"] for line in subset.read_text().splitlines() if line]
    code = (
        "import pickle, sys\n"
        "d = pickle.load(open(sys.argv[1], 'rb'))\n"
        "pickle.dump({t: d[t] for t in sys.argv[3:]}, open(sys.argv[2], 'wb'))\n"
    )
    run_checked([str(python), "-c", code, str(src), str(dst), *tasks])

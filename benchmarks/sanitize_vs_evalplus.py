"""codejury's sanitizer against EvalPlus 0.3.1's, in one run: corpus correctness and time.

Usage::

    python benchmarks/sanitize_vs_evalplus.py [--lines 100,200,400,800] [--work-dir DIR]

Prints:

1. every case of ``tests/sanitize/corpus.py`` where either sanitizer is wrong, and how many
   cases each gets right. A case is right when the status, ``must_contain`` and
   ``must_not_contain`` expectations hold and its ``check`` runs against the code (in a child
   process). EvalPlus has no status: empty code counts as ``no_code``. Both get the same text;
   codejury also gets the case's separate reasoning channel, which EvalPlus cannot take.
2. time against output length, 100, 200, 400, 800 lines, for two shapes: DeepSeek-R1-style
   (a ``<think>`` with drafts, then the final answer) and a chat answer that is almost all
   code (one long fence: EvalPlus's worst case, cubic). Each sanitizer is timed around its
   ``sanitize`` call only (no process start); printed with the ratio and whether each
   returned the right code (the final answer; every helper the entry point calls).

EvalPlus's sanitizer runs as published: its ``sanitize.py`` and ``syncheck.py`` are taken
unchanged from the ``evalplus==0.3.1`` wheel (``pip download --no-deps``, the only download
besides the packages below) and run in a throwaway venv that has what they import
(``tree-sitter``, ``tree-sitter-python``, ``tqdm``, ``termcolor``). ``evalplus.data`` is
replaced by a stub: it only loads datasets (pulling in ``datasets``, ``wget``, ...) for the
module's command-line ``script``, which ``sanitize()`` never calls. Everything lives under
``--work-dir`` (default: a directory in the system temp dir) and is reused by later runs.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import statistics
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path
from types import ModuleType
from typing import Any

from codejury.sanitize import sanitize

EVALPLUS_VERSION = "0.3.1"
VENV_PACKAGES = ["tree-sitter>=0.22.0", "tree-sitter-python>=0.21.0", "tqdm", "termcolor"]
REPO = Path(__file__).resolve().parents[1]

_DATA_STUB = '''"""Stub: the real module loads datasets for sanitize.script(), never for sanitize()."""


def _unused(*args, **kwargs):
    raise NotImplementedError("dataset loading is not part of this benchmark")


get_human_eval_plus = get_mbpp_plus = load_solutions = write_directory = write_jsonl = _unused
'''

# Runs in the EvalPlus venv: reads [[text, entry_point], ...], writes [[code, seconds], ...].
_WORKER = r"""
import json, sys, time
from evalplus.sanitize import sanitize
jobs = json.loads(sys.stdin.read())
out = []
for text, entry in jobs:
    start = time.perf_counter()
    code = sanitize(text, entry)
    out.append([code, time.perf_counter() - start])
sys.stdout.write(json.dumps(out))
"""


def _run(cmd: list[str], **kwargs: Any) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(cmd, capture_output=True, text=True, check=False, **kwargs)
    if done.returncode != 0:
        raise SystemExit(f"command failed: {' '.join(cmd)}\n{done.stderr[-3000:]}")
    return done


def evalplus_env(work: Path) -> tuple[Path, Path]:
    """(python of the throwaway venv, directory to put on its PYTHONPATH), made once."""
    shim = work / f"evalplus-{EVALPLUS_VERSION}-shim"
    if not (shim / "evalplus" / "sanitize.py").exists():
        wheels = work / "wheel"
        wheel = next(wheels.glob(f"evalplus-{EVALPLUS_VERSION}-*.whl"), None)
        if wheel is None:
            print(f"downloading evalplus=={EVALPLUS_VERSION} (no dependencies) ...", flush=True)
            pip = [sys.executable, "-m", "pip", "download", "-q", "--no-deps", "-d", str(wheels)]
            _run([*pip, f"evalplus=={EVALPLUS_VERSION}"])
            wheel = next(wheels.glob(f"evalplus-{EVALPLUS_VERSION}-*.whl"))
        (shim / "evalplus" / "data").mkdir(parents=True, exist_ok=True)
        with zipfile.ZipFile(wheel) as zf:
            for name in ("sanitize.py", "syncheck.py"):
                (shim / "evalplus" / name).write_bytes(zf.read(f"evalplus/{name}"))
        (shim / "evalplus" / "__init__.py").write_text("")
        (shim / "evalplus" / "data" / "__init__.py").write_text(_DATA_STUB)
    venv = work / "venv"
    python = venv / "bin" / "python"
    probe = "import tree_sitter, tree_sitter_python, tqdm, termcolor"
    if not python.exists() or subprocess.run([python, "-c", probe], capture_output=True).returncode:
        print(f"creating {venv} with {', '.join(VENV_PACKAGES)} ...", flush=True)
        _run([sys.executable, "-m", "venv", "--clear", str(venv)])
        _run([str(python), "-m", "pip", "install", "-q", *VENV_PACKAGES])
    return python, shim


def evalplus_sanitize(
    env: tuple[Path, Path], jobs: list[tuple[str, str | None]]
) -> list[tuple[str, float]]:
    """EvalPlus's sanitize() on each (text, entry point) in one child: (code, seconds)."""
    python, shim = env
    done = _run(
        [str(python), "-c", _WORKER],
        input=json.dumps(jobs),
        env={"PYTHONPATH": str(shim), "PATH": "/usr/bin:/bin"},
        timeout=3600,
    )
    return [(code, secs) for code, secs in json.loads(done.stdout)]


def load_corpus() -> ModuleType:
    """``tests/sanitize/corpus.py``, by path (the module name ``corpus`` is taken)."""
    spec = importlib.util.spec_from_file_location(
        "sanitize_corpus", REPO / "tests" / "sanitize" / "corpus.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["sanitize_corpus"] = module
    spec.loader.exec_module(module)
    return module


def score(corpus: ModuleType, results: list[tuple[str, str]]) -> list[list[str]]:
    """Problems per case for one sanitizer's (code, status) answers."""
    pairs = list(zip(corpus.CASES, results, strict=True))
    problems = [corpus.judge(c, code, st) for c, (code, st) in pairs]
    todo = [k for k, (c, (_, st)) in enumerate(pairs) if c.check and st == "ok"]
    errors = corpus.run_checks([(results[k][0], corpus.CASES[k].check) for k in todo])
    for k, err in zip(todo, errors, strict=True):
        if err:
            problems[k].append(f"check: {err}")
    return problems


def corpus_table(corpus: ModuleType, env: tuple[Path, Path]) -> None:
    cases = corpus.CASES
    ours = [sanitize(c.text, c.entry_point, reasoning=c.reasoning) for c in cases]
    print(f"running EvalPlus {EVALPLUS_VERSION} on {len(cases)} corpus cases ...", flush=True)
    theirs = evalplus_sanitize(env, [(c.text, c.entry_point) for c in cases])
    ours_p = score(corpus, [(r.code, r.status) for r in ours])
    theirs_p = score(corpus, [(code, "ok" if code.strip() else "no_code") for code, _ in theirs])
    print(f"\n## Corpus ({len(cases)} cases): cases where either sanitizer is wrong\n")
    print(f"{'case':44s} {'codejury':9s} {'EvalPlus':9s} first problem (codejury | EvalPlus)")
    for case, mine, other in zip(cases, ours_p, theirs_p, strict=True):
        if mine or other:
            why = f"{(mine or ['-'])[0]} | {(other or ['-'])[0]}"
            mark = ["ok" if not p else "WRONG" for p in (mine, other)]
            print(f"{case.name:44s} {mark[0]:9s} {mark[1]:9s} {why[:110]}")
    good = [sum(not p for p in ps) for ps in (ours_p, theirs_p)]
    print(f"\ncorrect: codejury {good[0]}/{len(cases)}, EvalPlus {good[1]}/{len(cases)}")


def long_code_output(lines: int) -> str:
    """A chat answer of about ``lines`` lines that is almost all code (one long fence).

    EvalPlus's search over every (start, end) line pair is at its slowest here: most ranges
    parse far before failing, so its time grows with the cube of the length.
    """
    out = ["Here is the complete solution with helpers:", "", "```python", "import math", ""]
    i = 0
    while len(out) < lines - 8:
        out += [f"def helper_{i}(values):", f"    # scale every value by {i}", "    total = 0"]
        out += ["    for v in values:", f"        total += math.floor(v * {i})", "    return total"]
        out += ["", ""]
        i += 1
    calls = " + ".join(f"helper_{k}(values)" for k in range(i))
    out += ["def solve(values):", f"    return {calls}", "```", "", "Each helper is O(n)."]
    return "\n".join(out)


def timing_table(corpus: ModuleType, env: tuple[Path, Path], sizes: list[int]) -> None:
    shapes = [
        ("R1-style: drafts in <think>, then the final answer", corpus.long_reasoning_output,
         "second_largest", "set(nums)"),
        ("chat answer that is almost all code: one long fence", long_code_output,
         "solve", "def solve"),
    ]  # fmt: skip
    print(f"\ntiming EvalPlus on {sizes} lines, two shapes (this takes minutes) ...", flush=True)
    for title, make, entry, marker in shapes:
        texts = [make(n) for n in sizes]
        theirs = evalplus_sanitize(env, [(t, entry) for t in texts])
        print(f"\n## Time vs output length ({title})\n")
        head = f"{'lines':>6} {'chars':>7} {'codejury ms':>12} {'EvalPlus ms':>12} {'ratio':>9}"
        print(f"{head}  right code (codejury / EvalPlus)")
        for text, (their_code, their_s) in zip(texts, theirs, strict=True):
            runs = []
            for _ in range(7):
                start = time.perf_counter()
                mine = sanitize(text, entry)
                runs.append(time.perf_counter() - start)
            ours_s = statistics.median(runs)
            last_helper = f"def helper_{text.count('def helper_') - 1}("
            right = [
                marker in code and (entry != "solve" or last_helper in code)
                for code in (mine.code, their_code)
            ]
            print(
                f"{text.count(chr(10)) + 1:>6} {len(text):>7} {ours_s * 1e3:>12.2f} "
                f"{their_s * 1e3:>12.1f} {their_s / ours_s:>8.0f}x  "
                + " / ".join("yes" if r else "no" for r in right)
            )
    print("\ncodejury: median of 7 runs; EvalPlus: one run each (it is the slow one).")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--lines", default="100,200,400,800", help="output lengths to time")
    p.add_argument(
        "--work-dir", type=Path, default=Path(tempfile.gettempdir()) / "codejury-bench-sanitize"
    )
    args = p.parse_args()
    args.work_dir.mkdir(parents=True, exist_ok=True)
    env = evalplus_env(args.work_dir.resolve())
    corpus = load_corpus()
    corpus_table(corpus, env)
    timing_table(corpus, env, [int(n) for n in args.lines.split(",")])


if __name__ == "__main__":
    main()

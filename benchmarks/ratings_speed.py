"""codejury's Bradley–Terry ratings against FastChat's, in one run: parity and speed.

Usage::

    python benchmarks/ratings_speed.py [--votes 100000] [--models 50] [--rounds 1000]
        [--ref-budget 900] [--work-dir DIR] [--ref-python PY] [--no-lbfgs]

1. Generates a seeded vote set in FastChat's clean-battle format: ``--models`` models with
   strengths evenly spread over 600 rating points (shuffled), pairs drawn uniformly, ties with
   probability ``--tie-rate`` and otherwise a Bradley–Terry draw. Extra FastChat keys
   (``anony``, ``tstamp``, ``judge``) ride along and are ignored by both sides.
2. Runs the reference, ``benchmarks/fastchat_reference.py`` (FastChat's published
   ``compute_mle_elo`` + ``get_bootstrap_result``, reimplemented; scikit-learn logistic
   regression, one refit per resampled battle set), in a throwaway venv with pandas and
   scikit-learn (made in ``--work-dir`` from PyPI unless ``--ref-python`` is given). Its
   bootstrap runs until ``--rounds`` rounds or ``--ref-budget`` seconds; if it stops early,
   the time for ``--rounds`` is extrapolated linearly and the output says so and from how many.
   Unless ``--no-lbfgs``, FastChat's later L-BFGS path is timed as well (single process).
3. Times codejury's ``fit_ratings`` with ``--rounds`` bootstrap rounds (median of 3 runs; each
   run includes the aggregation, the fit, the sandwich covariance and the bootstrap).
4. Prints both times, the ratio, and the largest rating difference between the two fits after
   shifting both to mean 1000 (FastChat anchors mixtral-8x7b-instruct-v0.1 at 1114 when that
   model is present; it is not here, and the shift removes any anchor). Targets: ratio >= 10
   and difference <= 1 point; the exit status is 1 if either is missed.

Parsing the JSON is not timed for either side (codejury's parse time is printed separately).
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

from codejury.arena.ratings import FitOptions, fit_ratings
from codejury.arena.ratings_input import VoteTable

HERE = Path(__file__).resolve().parent
VENV_PACKAGES = ["numpy", "scipy", "pandas", "scikit-learn"]


def make_votes(n_votes: int, n_models: int, tie_rate: float, seed: int) -> list[dict[str, Any]]:
    """Seeded FastChat-format battles drawn from known strengths."""
    rng = np.random.default_rng(seed)
    elo = np.linspace(-300.0, 300.0, n_models)
    rng.shuffle(elo)
    theta = elo * np.log(10.0) / 400.0
    a = rng.integers(0, n_models, n_votes)
    b = (a + rng.integers(1, n_models, n_votes)) % n_models
    p_a = 1.0 / (1.0 + np.exp(theta[b] - theta[a]))
    tie = rng.random(n_votes) < tie_rate
    a_wins = rng.random(n_votes) < p_a
    winner = np.where(tie, "tie", np.where(a_wins, "model_a", "model_b")).astype("<U13")
    # A quarter of the ties are FastChat's "both bad" ties; both count as ties.
    winner[tie & (rng.random(n_votes) < 0.25)] = "tie (bothbad)"
    return [
        {"model_a": f"model-{i:02d}", "model_b": f"model-{j:02d}", "winner": str(w),
         "anony": True, "tstamp": 1.7e9 + k, "judge": f"user-{k % 997}"}
        for k, (i, j, w) in enumerate(zip(a.tolist(), b.tolist(), winner.tolist(), strict=True))
    ]  # fmt: skip


def _run(cmd: list[str]) -> str:
    done = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"command failed: {' '.join(cmd)}\n{done.stderr[-3000:]}")
    return done.stdout


def reference_python(work: Path, given: str | None) -> str:
    """The interpreter with pandas and scikit-learn: ``given``, or a venv made in ``work``."""
    if given:
        return given
    python = work / "venv" / "bin" / "python"
    probe = "import pandas, sklearn, scipy"
    if not python.exists() or subprocess.run([python, "-c", probe], capture_output=True).returncode:
        print(f"creating {python.parent.parent} with {', '.join(VENV_PACKAGES)} ...", flush=True)
        _run([sys.executable, "-m", "venv", "--clear", str(work / "venv")])
        _run([str(python), "-m", "pip", "install", "-q", *VENV_PACKAGES])
    return str(python)


def run_reference(python: str, battles: Path, args: argparse.Namespace, variant: str) -> Any:
    """One reference run: its ratings, fit time, bootstrap rounds and time."""
    cmd = [python, str(HERE / "fastchat_reference.py"), "--battles", str(battles),
           "--rounds", str(args.rounds), "--budget", str(args.ref_budget), "--variant", variant]  # fmt: skip
    return json.loads(_run(cmd))


def centred(ratings: dict[str, float]) -> dict[str, float]:
    """Ratings shifted to mean 1000."""
    mean = statistics.fmean(ratings.values())
    return {m: r - mean + 1000.0 for m, r in ratings.items()}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--votes", type=int, default=100_000)
    parser.add_argument("--models", type=int, default=50)
    parser.add_argument("--rounds", type=int, default=1000)
    parser.add_argument("--tie-rate", type=float, default=0.2)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--ref-budget", type=float, default=900.0,
                        help="seconds the reference bootstrap may run before extrapolating")  # fmt: skip
    parser.add_argument(
        "--work-dir", type=Path, default=Path(tempfile.gettempdir()) / "ratings-ref"
    )
    parser.add_argument("--ref-python", help="python with pandas and scikit-learn")
    parser.add_argument("--no-lbfgs", action="store_true", help="skip FastChat's L-BFGS path")
    args = parser.parse_args(argv)
    args.work_dir.mkdir(parents=True, exist_ok=True)

    records = make_votes(args.votes, args.models, args.tie_rate, args.seed)
    battles = args.work_dir / f"battles-{args.votes}-{args.models}-{args.seed}.json"
    battles.write_text(json.dumps(records))
    ties = sum(r["winner"].startswith("tie") for r in records)
    print(f"{args.votes:,} votes among {args.models} models ({ties:,} ties), seed {args.seed}")

    python = reference_python(args.work_dir, args.ref_python)
    refs = [run_reference(python, battles, args, "sklearn")]
    if not args.no_lbfgs:
        refs.append(run_reference(python, battles, args, "lbfgs"))

    loaded = json.loads(battles.read_text())
    start = time.perf_counter()
    votes = VoteTable.from_records(loaded, origin=str(battles))
    parse_s = time.perf_counter() - start
    options = FitOptions(interval="bootstrap", rounds=args.rounds, seed=args.seed)
    runs = []
    for _ in range(3):
        start = time.perf_counter()
        fit = fit_ratings(votes, options)
        runs.append(time.perf_counter() - start)
    ours_s = statistics.median(runs)
    start = time.perf_counter()
    fit_ratings(votes)
    ours_fit_s = time.perf_counter() - start
    ours = {r.model: r.rating for r in fit.ratings}

    print(
        f"\ncodejury: parse {parse_s:.3f} s (not compared); fit + sandwich alone {ours_fit_s:.3f} s"
    )
    print(f"codejury: fit + {args.rounds} bootstrap rounds: {ours_s:.3f} s "
          f"(median of 3: {', '.join(f'{t:.3f}' for t in runs)})")  # fmt: skip
    ok = True
    for ref in refs:
        name = {"sklearn": "FastChat compute_mle_elo (sklearn)",
                "lbfgs": "FastChat L-BFGS path (1 process)"}[ref["variant"]]  # fmt: skip
        done, boot_s = ref["bootstrap_rounds"], ref["bootstrap_s"]
        per_round = boot_s / max(done, 1)
        total = ref["fit_s"] + per_round * args.rounds
        how = (f"measured, {done} rounds" if done >= args.rounds else
               f"EXTRAPOLATED linearly from {done} rounds ({boot_s:.1f} s)")  # fmt: skip
        diff = max(abs(ours[m] - r) for m, r in centred(ref["ratings"]).items())
        ratio = total / ours_s
        widths_ref = [hi - lo for lo, hi in ref["intervals"].values()]
        widths_ours = [r.high - r.low for r in fit.ratings]
        print(f"\n{name}:")
        print(f"  fit alone {ref['fit_s']:.3f} s; {per_round * 1000:.1f} ms per bootstrap round")
        print(f"  fit + {args.rounds} bootstrap rounds: {total:.1f} s ({how})")
        print(f"  speed-up of codejury: {ratio:.1f}x")
        print(f"  max |rating difference| (both at mean 1000): {diff:.4f} points")
        print(f"  median 95% interval width: reference {statistics.median(widths_ref):.2f}, "
              f"codejury {statistics.median(widths_ours):.2f} points")  # fmt: skip
        if ref["variant"] == "sklearn":
            ok = ratio >= 10.0 and diff <= 1.0
            print(f"  targets (>= 10x, <= 1 point): {'met' if ok else 'MISSED'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())

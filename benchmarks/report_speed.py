"""Time the decision report over the whole built-in catalog; target < 2 s.

Usage::

    python benchmarks/report_speed.py [--repeat 5] [--draws 10000] [--rounds 2000]

Two timings, each the median of ``--repeat`` runs:

* **full report**: what ``codejury report --out report.html`` does after its imports. A
  fresh store in a temporary directory holds two finished eval runs (40 tasks each, with
  verdicts); one timed run opens it, reads the runs and their verdicts (paired test), loads
  the built-in catalog, builds every candidate and analysis and the decision
  (:func:`codejury.report.build.build_from_store`), and renders the self-contained HTML page
  with its inline SVG charts.
* **analysis only**, as below, from the loaded catalog to JSON-ready results.

The analysis-only build:

1. candidates for every catalog model with a HumanEval+ pass@1 or an Arena coding rating,
   with seed 003's example workload (10,000 requests a day, 500 + 200 tokens) for monthly
   costs;
2. the leaderboards (pass@1 and human rating), both quality–price Pareto frontiers
   (pass@1 and Arena rating against blended price), per-half-year frontiers and the evolution
   over release dates (where dates are known), the win-probability matrix of every rated
   model, the benchmark-vs-human rank mismatch (Kendall τ with a bootstrap interval over
   ``--rounds`` resamples, Theil–Sen trend, flags);
3. the decision twice: over every candidate with no constraints (the heaviest case: every
   model is ranked and sampled) and with ``min_pass_at_1 = 80``; each runs the decision
   matrix, the weight sensitivity, ``probability_best`` with ``--draws`` draws and the
   recommendation;
4. ``as_dict()`` of every result, serialised with ``json.dumps``.

Prints the median and worst of ``--repeat`` builds, the one-off costs outside them (importing
``codejury.report`` with scipy, loading the catalog), and the ratio target / median. Exits 1
when the median misses the target.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

TARGET_S = 2.0


def build(catalog: Any, draws: int, rounds: int) -> dict[str, Any]:
    """Every analysis and decision the report needs, as JSON-ready dicts."""
    from codejury.cost import Workload
    from codejury.report import (
        CatalogOptions,
        Constraints,
        candidates_from_catalog,
        dates,
        decide,
        evolution,
        leaderboard,
        numbers,
        pareto_frontier,
        period_frontiers,
        rank_mismatch,
        win_probabilities,
    )

    options = CatalogOptions(workload=Workload(10_000, 500, 200))
    candidates = candidates_from_catalog(catalog, options=options)
    quality, human = numbers(candidates, "quality"), numbers(candidates, "human")
    price, released = numbers(candidates, "price"), dates(candidates)

    def frontier(measure: dict[str, float]) -> tuple[str, ...]:
        return pareto_frontier({k: (measure[k], price[k]) for k in measure.keys() & price.keys()})

    ratings = dict(sorted(human.items(), key=lambda kv: -kv[1]))
    return {
        "candidates": [c.as_dict() for c in candidates],
        "leaderboard_quality": [r.as_dict() for r in leaderboard(candidates, "quality")],
        "leaderboard_human": [r.as_dict() for r in leaderboard(candidates, "human")],
        "pareto_quality": frontier(quality),
        "pareto_human": frontier(human),
        "periods": period_frontiers(
            {
                k: (released[k], quality[k], price[k])
                for k in released.keys() & quality.keys() & price.keys()
            }
        ),
        "evolution": evolution(
            {k: (released[k], human[k]) for k in released.keys() & human.keys()}
        ).as_dict(),
        "win_probabilities": win_probabilities(ratings).as_dict(),
        "mismatch": rank_mismatch(quality, human, rounds=rounds).as_dict(),
        "decision_all": decide(candidates, draws=draws).as_dict(),
        "decision_80": decide(candidates, Constraints(min_pass_at_1=80), draws=draws).as_dict(),
    }


def seed_store(path: Path) -> None:
    """Two finished eval runs on 40 tasks (a local model and a priced API model)."""
    from codejury.scoring.metrics import pass_at_k_summary
    from codejury.store import Store, VerdictRecord

    tasks = [f"HumanEval/{i}" for i in range(40)]
    runs = (
        ("local/smollm2", 12, None),
        ("openai/gpt-4o-mini", 30, {"input_per_m": 0.15, "output_per_m": 0.6, "source": "x"}),
    )
    with Store.open(path) as store:
        for model, solved, price in runs:
            spec = {"model": model, "price": price, "model_metadata": {}, "dry_run": False}
            run_id = store.create_run(
                kind="eval", benchmark="humaneval+", dataset_hash="h", spec=spec, environment={}
            )
            passed = {t: [i < solved] for i, t in enumerate(tasks)}
            store.record_verdicts(
                run_id,
                [
                    VerdictRecord(t, 0, part, "pass" if ok[0] else "fail", {})
                    for t, ok in passed.items()
                    for part in ("base", "plus")
                ],
            )
            e = pass_at_k_summary(passed, [1])[1]
            estimate = {"pass@1": {"value": e.value, "low": e.low, "high": e.high}}
            summary = {
                "tasks": len(tasks),
                "pass_at_k": {"base": estimate, "plus": estimate},
                "generation": {"latency_s": {"p50": 1.0, "p95": 2.0, "n": 40}},
            }
            store.finish_run(run_id, status="finished", summary=summary)


def full_report(path: Path, draws: int, rounds: int) -> tuple[str, Any]:
    """Store and catalog to the HTML page, as ``codejury report`` does."""
    from codejury.report.build import ReportOptions, build_from_store
    from codejury.report.render import render_html
    from codejury.store import Store

    with Store.open(path) as store:
        data = build_from_store(store, ReportOptions(draws=draws, rounds=rounds))
    return render_html(data), data


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--draws", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=2000)
    args = parser.parse_args(argv)

    start = time.perf_counter()
    import codejury.report  # noqa: F401  (timed: pulls in numpy and scipy.stats)

    imported = time.perf_counter() - start
    from codejury.catalog import Catalog

    start = time.perf_counter()
    catalog = Catalog.builtin()
    loaded = time.perf_counter() - start

    with tempfile.TemporaryDirectory(prefix="codejury-report-speed-") as tmp:
        store_path = Path(tmp) / "runs.db"
        seed_store(store_path)
        full_report(store_path, args.draws, args.rounds)  # warm: imports, template compile
        full_times, html, data = [], "", None
        for _ in range(args.repeat):
            start = time.perf_counter()
            html, data = full_report(store_path, args.draws, args.rounds)
            full_times.append(time.perf_counter() - start)
    full_median = statistics.median(full_times)

    times, size, result = [], 0, {}
    for _ in range(args.repeat):
        start = time.perf_counter()
        result = build(catalog, args.draws, args.rounds)
        size = len(json.dumps(result))
        times.append(time.perf_counter() - start)
    median = statistics.median(times)

    n = len(result["candidates"])
    with_quality = len(result["leaderboard_quality"])
    with_human = len(result["leaderboard_human"])
    mismatch = result["mismatch"]
    rec = result["decision_all"]["recommendation"]
    print(
        f"catalog: {n} candidates ({with_quality} with HumanEval+ pass@1, "
        f"{with_human} with an Arena coding rating)"
    )
    print(
        f"pareto: {len(result['pareto_quality'])} on pass@1 vs price, "
        f"{len(result['pareto_human'])} on rating vs price; rank mismatch over "
        f"{len(mismatch['rows'])} models: tau {mismatch['tau']:.3f} "
        f"[{mismatch['tau_low']:.3f}, {mismatch['tau_high']:.3f}]"
    )
    print(f"decision (all {n}): {rec['winner']}; JSON {size / 1e6:.2f} MB")
    print(
        f"one-off: import codejury.report {imported:.2f} s, Catalog.builtin() {loaded:.3f} s "
        "(not in the build times)"
    )
    print(
        f"build: median {median:.3f} s, worst {max(times):.3f} s over {args.repeat} runs "
        f"({args.draws:,} draws, {args.rounds:,} bootstrap rounds)"
    )
    print(f"target {TARGET_S:.1f} s / median = {TARGET_S / median:.1f}x")
    counts = data.meta["counts"]
    print(
        f"full report (store with 2 eval runs + built-in catalog -> HTML): {counts['candidates']} "
        f"models ({counts['measured']} measured, {counts['with_quality']} with pass@1, "
        f"{counts['with_human']} with a rating), HTML {len(html) / 1e3:.0f} kB with "
        f"{html.count('<svg')} charts"
    )
    print(
        f"full report: median {full_median:.3f} s, worst {max(full_times):.3f} s over "
        f"{args.repeat} runs; target {TARGET_S:.1f} s / median = {TARGET_S / full_median:.1f}x"
    )
    return 0 if median < TARGET_S and full_median < TARGET_S else 1


if __name__ == "__main__":
    sys.exit(main())

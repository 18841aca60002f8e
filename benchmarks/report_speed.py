"""Time the decision report's analysis over the whole built-in catalog; target < 2 s.

Usage::

    python benchmarks/report_speed.py [--repeat 5] [--draws 10000] [--rounds 2000]

One timed build, from the loaded catalog to JSON-ready results (the HTML render is added
later and is not timed here):

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
import time
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
    return 0 if median < TARGET_S else 1


if __name__ == "__main__":
    sys.exit(main())

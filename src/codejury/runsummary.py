"""Headline figures of a generation run: tokens, cost, latency, truncation, failures.

Latency figures use only completions requested in this run: cached answers (no request was
made) and failed requests are left out, and the summary says how many were.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import Any

import numpy as np

from codejury.store.records import GenerationRecord


def _distribution(values: Sequence[float]) -> dict[str, float] | None:
    if not values:
        return None
    array = np.asarray(values, dtype=float)
    p50, p95, p99 = np.percentile(array, [50, 95, 99])
    return {
        "mean": round(float(array.mean()), 4),
        "p50": round(float(p50), 4),
        "p95": round(float(p95), 4),
        "p99": round(float(p99), 4),
        "n": len(values),
    }


def generation_summary(records: Sequence[GenerationRecord]) -> dict[str, Any]:
    """Tokens, cost, latency and failure counts of a run's completions (JSON-ready)."""
    fresh = [r for r in records if not r.cached and r.error is None]
    costs = [r.cost_usd for r in records if r.cost_usd is not None]
    answered = [r for r in records if r.error is None]
    return {
        "completions": len(records),
        "requested": len(fresh),
        "cached": sum(r.cached for r in records),
        "failed_requests": sum(r.error is not None for r in records),
        "errors": dict(Counter(r.error for r in records if r.error).most_common(5)),
        "empty": sum(r.error is None and not r.raw_text.strip() for r in records),
        "truncated": sum(r.truncated for r in records),
        "no_code": sum(r.code == "" for r in records),
        "sanitize_rules": dict(Counter(r.sanitize_rule for r in records)),
        "finish_reasons": dict(Counter(str(r.finish_reason) for r in answered)),
        "input_tokens": sum(r.input_tokens or 0 for r in records),
        "output_tokens": sum(r.output_tokens or 0 for r in records),
        # Cost of every answer at the model's price, cached or not: what the run would cost
        # from scratch, which is what comparing models needs. None when the price is unknown.
        "cost_usd": round(sum(costs), 6) if costs and len(costs) == len(answered) else None,
        "cost_spent_usd": round(sum(r.cost_usd or 0.0 for r in fresh), 6) if costs else None,
        "ttft_s": _distribution([r.ttft_s for r in fresh if r.ttft_s is not None]),
        "latency_s": _distribution([r.latency_s for r in fresh if r.latency_s is not None]),
        "model_ids": sorted({r.model_id for r in records if r.model_id}),
        "system_fingerprints": sorted(
            {r.system_fingerprint for r in records if r.system_fingerprint}
        ),
    }


def cost_per_solved(cost_usd: float | None, solved: float) -> float | None:
    """Cost divided by the expected number of solved tasks (pass@1 × tasks)."""
    if cost_usd is None or solved <= 0:
        return None
    return cost_usd / solved

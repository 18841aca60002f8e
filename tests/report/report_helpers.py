"""Building candidates by hand for the report tests, and seed 003's worked example."""

from __future__ import annotations

from codejury.report import Candidate, Figure, Mark

MEASURED = Mark("measured", "run test-1", "2025-01-01")
PUBLIC = Mark("public", "a published leaderboard", "2024-12-26")
USER = Mark("user", "stated in the test")


def fig(value: float, mark: Mark = MEASURED, half: float | None = None) -> Figure[float]:
    """A numeric figure, with a symmetric 95 % interval of ``±half`` when given."""
    if half is None:
        return Figure(value, mark)
    return Figure(value, mark, value - half, value + half)


def make(key: str, **figures: float | bool | str | Figure[float] | None) -> Candidate:
    """A candidate named like its key; plain numbers become ``user`` figures.

    ``open_weights`` / ``deployment`` / ``release_date`` accept plain values too. Gaps are
    filled by the default rules.
    """
    fields: dict[str, object] = {}
    for name, value in figures.items():
        if value is None or isinstance(value, Figure):
            fields[name] = value
        else:
            fields[name] = Figure(value, USER)
    return Candidate(key, key.upper(), **fields).with_derived()  # type: ignore[arg-type]


def seed003() -> list[Candidate]:
    """Seed 003's decision matrix: a 7B and a 70B open model fine-tuned and self-hosted,
    GPT-4o and GPT-4o mini through the API, with stated numbers in place of its stars.

    * quality: HumanEval pass@1. Qwen2.5-7B-Instruct 57.3 and Qwen2.5-72B-Instruct 71.2
      (seed 003's comparison table); GPT-4o (2024-08-06) 92.7 and GPT-4o mini 88.4 (the
      built-in catalog's EvalPlus figures).
    * monthly cost, seed 003's cost table: self-hosted 7B on an A10G $720, 70B on two A100s
      $4,320; the APIs at seed 003's example load (10,000 requests a day, 500 input and 200
      output tokens, 30 days) and its prices: GPT-4o 2.5/10 → $975, mini 0.15/0.60 → $58.50.
    * p95 latency: the seed has only stars (4, 2, 3, 4); these seconds are stated for the
      test in the same order: 0.8, 2.4, 1.6, 0.9.
    * privacy, customisation, operational effort: the default rules from open weights,
      deployment and size.
    """
    return [
        make(
            "open-7b",
            quality=57.3,
            monthly_cost=720.0,
            p95_latency_s=0.8,
            open_weights=True,
            deployment="self-hosted",
            parameters_b=7.0,
        ),
        make(
            "open-70b",
            quality=71.2,
            monthly_cost=4320.0,
            p95_latency_s=2.4,
            open_weights=True,
            deployment="self-hosted",
            parameters_b=72.0,
        ),
        make(
            "gpt-4o",
            quality=92.7,
            monthly_cost=975.0,
            p95_latency_s=1.6,
            open_weights=False,
            deployment="api",
        ),
        make(
            "gpt-4o-mini",
            quality=88.4,
            monthly_cost=58.5,
            p95_latency_s=0.9,
            open_weights=False,
            deployment="api",
        ),
    ]

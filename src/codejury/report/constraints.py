"""Hard constraints: the first stage of seed 003's funnel.

Candidates that fail a hard limit (minimum pass@1, maximum p95 latency, maximum monthly cost,
open weights for privacy, minimum context window) are eliminated with every reason stated, not
only the first.

**Missing data.** A limit on a figure a candidate lacks eliminates it only when
``Constraints.strict`` is set; otherwise the candidate is kept and
:attr:`Screening.unchecked` lists what was not checked, so a report can say so beside it.
Limits compare the point estimate (e.g. pass@1), not its interval.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from codejury.errors import ConfigError
from codejury.report.candidates import Candidate


@dataclass(frozen=True)
class Constraints:
    """Hard limits; ``None`` (or False) means no limit.

    Attributes:
        min_pass_at_1: Minimum quality, pass@1 in percent (the point estimate).
        max_p95_latency_s: Maximum p95 latency, seconds.
        max_monthly_cost: Maximum monthly cost, USD.
        require_open_weights: Only models whose weights are open (self-hostable, for privacy).
        min_context_window: Minimum context length, tokens.
        strict: A missing figure eliminates the candidate instead of being listed unchecked.
    """

    min_pass_at_1: float | None = None
    max_p95_latency_s: float | None = None
    max_monthly_cost: float | None = None
    require_open_weights: bool = False
    min_context_window: float | None = None
    strict: bool = False

    def __post_init__(self) -> None:
        limits = {
            "min_pass_at_1": self.min_pass_at_1,
            "max_p95_latency_s": self.max_p95_latency_s,
            "max_monthly_cost": self.max_monthly_cost,
            "min_context_window": self.min_context_window,
        }
        for name, value in limits.items():
            if value is not None and not (math.isfinite(value) and value >= 0):
                raise ConfigError(
                    f"constraint {name} must be a non-negative number, got {value!r}",
                    hint="leave it unset for no limit",
                )
        if self.min_pass_at_1 is not None and self.min_pass_at_1 > 100:
            raise ConfigError(
                f"min_pass_at_1 is a percentage, got {self.min_pass_at_1:g}",
                hint="e.g. 60 for 60 %",
            )

    def as_dict(self) -> dict[str, Any]:
        """Return a JSON-ready dict."""
        return {
            "min_pass_at_1": self.min_pass_at_1,
            "max_p95_latency_s": self.max_p95_latency_s,
            "max_monthly_cost": self.max_monthly_cost,
            "require_open_weights": self.require_open_weights,
            "min_context_window": self.min_context_window,
            "strict": self.strict,
        }


@dataclass(frozen=True)
class ModelNote:
    """Reasons attached to one model: why it was eliminated, or what was not checked."""

    key: str
    name: str
    reasons: tuple[str, ...]

    def as_dict(self) -> dict[str, Any]:
        """Return a JSON-ready dict."""
        return {"key": self.key, "name": self.name, "reasons": list(self.reasons)}


@dataclass(frozen=True)
class Screening:
    """The outcome of :func:`apply_constraints`.

    Attributes:
        kept: Candidates that passed, in input order.
        eliminated: Every eliminated model with all the reasons.
        unchecked: Kept models with a limit not checked for lack of data (non-strict mode).
        constraints: The limits applied.
    """

    kept: tuple[Candidate, ...]
    eliminated: tuple[ModelNote, ...]
    unchecked: tuple[ModelNote, ...]
    constraints: Constraints

    def as_dict(self) -> dict[str, Any]:
        """Return a JSON-ready dict (kept models by key)."""
        return {
            "kept": [c.key for c in self.kept],
            "eliminated": [n.as_dict() for n in self.eliminated],
            "unchecked": [n.as_dict() for n in self.unchecked],
            "constraints": self.constraints.as_dict(),
        }


def apply_constraints(candidates: Iterable[Candidate], constraints: Constraints) -> Screening:
    """Split candidates into kept and eliminated, with a reason for every failed limit.

    Args:
        candidates: The models to screen.
        constraints: The limits (see the module docstring for missing data).
    """
    kept: list[Candidate] = []
    eliminated: list[ModelNote] = []
    unchecked: list[ModelNote] = []
    for c in candidates:
        failures, missing = _check(c, constraints)
        if constraints.strict:
            failures += [f"{gap} (strict: missing data eliminates)" for gap in missing]
            missing = []
        if failures:
            eliminated.append(ModelNote(c.key, c.name, tuple(failures)))
            continue
        kept.append(c)
        if missing:
            unchecked.append(ModelNote(c.key, c.name, tuple(missing)))
    return Screening(tuple(kept), tuple(eliminated), tuple(unchecked), constraints)


def _check(c: Candidate, k: Constraints) -> tuple[list[str], list[str]]:
    failures: list[str] = []
    missing: list[str] = []
    limits = (
        (c.quality, k.min_pass_at_1, True, "pass@1", "{:.1f} %"),
        (c.p95_latency_s, k.max_p95_latency_s, False, "p95 latency", "{:.2f} s"),
        (c.monthly_cost, k.max_monthly_cost, False, "monthly cost", "${:,.0f}"),
        (c.context_window, k.min_context_window, True, "context window", "{:,.0f} tokens"),
    )
    for figure, bound, is_min, what, fmt in limits:
        if bound is None:
            continue
        side = "minimum" if is_min else "maximum"
        if figure is None:
            missing.append(f"no {what} figure: the {side} {fmt.format(bound)} was not checked")
        elif (figure.value < bound) if is_min else (figure.value > bound):
            relation = "below" if is_min else "above"
            failures.append(
                f"{what} {fmt.format(figure.value)} is {relation} the {side} {fmt.format(bound)}"
            )
    if k.require_open_weights:
        if c.open_weights is None:
            missing.append("not known whether the weights are open: open weights not checked")
        elif not c.open_weights.value:
            failures.append("weights are not open, so it cannot be self-hosted for privacy")
    return failures, missing

"""Bradley–Terry ratings of models from votes, with intervals and ranks, per source and combined.

Ratings are the Bradley–Terry maximum likelihood strengths (ties count half a win each way),
shown on the Elo scale ``1000 + 400·θ/ln 10`` with mean 1000: a 400-point gap means 10:1 odds.
This is the quantity LMArena / FastChat publish; their anchoring at one model (mixtral at 1114
in some versions) is only a shift, and here the mean is fixed at 1000 instead.

Intervals, both available (``FitOptions.interval`` picks the one used for ranks):

* ``"sandwich"``: the robust covariance ``H⁻¹ (Σ s sᵀ) H⁻¹`` from the per-battle scores,
  normal intervals ``rating ± z·se``. Deterministic and nearly free.
* ``"bootstrap"``: refits on resampled battles; percentile intervals.

Rank with ties, LMArena's rule: ``1 + the number of models whose lower bound is above this
model's upper bound``, so models whose intervals overlap share a rank.

When the plain maximum likelihood estimate does not exist (a model never lost or never won, or
groups of models never met), every model gets ``prior_ties`` virtual ties against a virtual
1000-rated opponent: ratings stay finite, and the fit's ``notes`` say which models it concerns.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
from scipy import sparse
from scipy.sparse.csgraph import connected_components
from scipy.stats import norm

from codejury.arena import bradley_terry as bt
from codejury.arena.ratings_input import FloatArray, VoteTable
from codejury.errors import ConfigError

ELO_MEAN = 1000.0
ELO_PER_NAT = 400.0 / math.log(10.0)
"""Rating points per unit of θ (natural log-odds)."""

IntervalMethod = Literal["sandwich", "bootstrap"]


@dataclass(frozen=True)
class FitOptions:
    """How to fit and which intervals to report.

    Attributes:
        interval: ``"sandwich"`` or ``"bootstrap"``: the intervals used for ranks,
            ``low``/``high`` and the covariance. The sandwich one is always computed too.
        rounds: Bootstrap resamples (used when ``interval == "bootstrap"``).
        seed: Seed of the bootstrap.
        confidence: Interval coverage, in (0, 1).
        prior_ties: Virtual ties per model against a 1000-rated opponent, used only when the
            plain MLE does not exist. 0.1 keeps an undefeated model with ``n`` wins about
            ``ln(10·n)·174`` points above its opponents instead of at infinity.
        max_iter: Most Newton iterations per fit.
    """

    interval: IntervalMethod = "sandwich"
    rounds: int = 1000
    seed: int = 0
    confidence: float = 0.95
    prior_ties: float = 0.1
    max_iter: int = 100

    def __post_init__(self) -> None:
        if self.interval not in ("sandwich", "bootstrap"):
            raise ConfigError(
                f"unknown interval method {self.interval!r}", hint="use sandwich or bootstrap"
            )
        if self.interval == "bootstrap" and self.rounds < 2:
            raise ConfigError(f"bootstrap needs at least 2 rounds, got {self.rounds}")
        if not 0.0 < self.confidence < 1.0:
            raise ConfigError(f"confidence must be in (0, 1), got {self.confidence}")
        if not (math.isfinite(self.prior_ties) and self.prior_ties > 0):
            raise ConfigError(f"prior_ties must be positive, got {self.prior_ties}")
        if self.max_iter < 1:
            raise ConfigError(f"max_iter must be at least 1, got {self.max_iter}")


@dataclass(frozen=True)
class Interval:
    """A confidence interval in rating points."""

    low: float
    high: float


@dataclass(frozen=True)
class ModelRating:
    """One model's rating.

    Attributes:
        model: Model name.
        rating: Bradley–Terry rating on the Elo scale (mean of all models 1000).
        low: Lower end of the interval of the fit's chosen method.
        high: Upper end of that interval.
        rank: 1 + number of models whose lower end is above this model's ``high``.
        votes: Battles this model took part in.
        sandwich: The sandwich interval.
        bootstrap: The bootstrap percentile interval, when bootstrapped.
    """

    model: str
    rating: float
    low: float
    high: float
    rank: int
    votes: int
    sandwich: Interval
    bootstrap: Interval | None

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form; intervals as ``[low, high]``."""
        boot = None if self.bootstrap is None else [self.bootstrap.low, self.bootstrap.high]
        return {
            "model": self.model, "rating": self.rating, "low": self.low, "high": self.high,
            "rank": self.rank, "votes": self.votes,
            "sandwich": [self.sandwich.low, self.sandwich.high], "bootstrap": boot,
        }  # fmt: skip


@dataclass(frozen=True)
class RatingFit:
    """Ratings of every model in one vote set.

    Attributes:
        label: What was fitted: a source label, or ``"combined"``/``"all"``.
        ratings: Per model, best rating first.
        interval: Method of ``low``/``high``/ranks/``covariance``.
        confidence: Interval coverage.
        rounds: Bootstrap rounds (0 for sandwich-only fits).
        votes: Battles fitted.
        prior_ties: Prior used (0.0 when the plain MLE exists).
        components: Groups of models connected by battles (more than one means some ratings
            are not comparable).
        notes: Plain-language caveats (prior used, disconnected groups, no convergence).
        covariance: Covariance of the ratings in points², rows in ``ratings`` order.
        iterations: Newton iterations of the full-data fit.
        log_likelihood: Weighted log-likelihood at the fit.
    """

    label: str
    ratings: tuple[ModelRating, ...]
    interval: IntervalMethod
    confidence: float
    rounds: int
    votes: int
    prior_ties: float
    components: tuple[tuple[str, ...], ...]
    notes: tuple[str, ...]
    covariance: tuple[tuple[float, ...], ...] = field(repr=False)
    iterations: int
    log_likelihood: float

    @property
    def models(self) -> tuple[str, ...]:
        """Model names, best rating first."""
        return tuple(r.model for r in self.ratings)

    def rating(self, model: str) -> ModelRating:
        """The rating of ``model``.

        Raises:
            KeyError: If the model has no votes in this fit.
        """
        for r in self.ratings:
            if r.model == model:
                return r
        raise KeyError(model)

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form (plain dicts, lists, numbers and strings)."""
        return {
            "label": self.label,
            "interval": self.interval,
            "confidence": self.confidence,
            "rounds": self.rounds,
            "votes": self.votes,
            "prior_ties": self.prior_ties,
            "components": [list(c) for c in self.components],
            "notes": list(self.notes),
            "iterations": self.iterations,
            "log_likelihood": self.log_likelihood,
            "ratings": [r.as_dict() for r in self.ratings],
            "covariance": [list(row) for row in self.covariance],
        }


def fit_ratings(
    votes: VoteTable, options: FitOptions | None = None, label: str = "all"
) -> RatingFit:
    """Fit Bradley–Terry ratings with intervals and ranks.

    Args:
        votes: The battles (weights respected; sources pooled).
        options: Fit and interval settings; defaults to :class:`FitOptions` ().
        label: Name of this fit in results.

    Returns:
        The ratings, best first.
    """
    opts = options or FitOptions()
    m = len(votes.models)
    cells = bt.make_cells(votes.first, votes.second, votes.result, votes.weight, m)
    result = bt.fit(cells, opts.prior_ties, opts.max_iter)
    theta = result.theta
    points = ELO_MEAN + ELO_PER_NAT * theta
    notes = _notes(votes, result, opts)
    z = float(norm.ppf(0.5 + opts.confidence / 2.0))
    cov = bt.sandwich_covariance(cells, result) * ELO_PER_NAT**2
    se = np.sqrt(np.clip(np.diag(cov), 0.0, None))
    sandwich = np.stack([points - z * se, points + z * se])
    boot_iv: FloatArray | None = None
    if opts.interval == "bootstrap":
        thetas, failed = bt.bootstrap(cells, result, opts.prior_ties, opts.rounds, opts.seed)
        samples = ELO_MEAN + ELO_PER_NAT * thetas
        tail = (1.0 - opts.confidence) / 2.0 * 100.0
        boot_iv = np.percentile(samples, [tail, 100.0 - tail], axis=0)
        cov = np.cov(samples, rowvar=False).reshape(m, m)
        if failed:
            notes.append(f"{failed} of {opts.rounds} bootstrap fits did not converge")
    chosen = sandwich if boot_iv is None else boot_iv
    ranks = 1 + (chosen[0][None, :] > chosen[1][:, None]).sum(axis=1)
    counts = np.bincount(votes.first, minlength=m) + np.bincount(votes.second, minlength=m)
    order = sorted(range(m), key=lambda i: (-points[i], votes.models[i]))
    ratings = tuple(
        ModelRating(
            model=votes.models[i],
            rating=float(points[i]),
            low=float(chosen[0][i]),
            high=float(chosen[1][i]),
            rank=int(ranks[i]),
            votes=int(counts[i]),
            sandwich=Interval(float(sandwich[0][i]), float(sandwich[1][i])),
            bootstrap=None
            if boot_iv is None
            else Interval(float(boot_iv[0][i]), float(boot_iv[1][i])),
        )
        for i in order
    )
    return RatingFit(
        label=label,
        ratings=ratings,
        interval=opts.interval,
        confidence=opts.confidence,
        rounds=opts.rounds if boot_iv is not None else 0,
        votes=len(votes),
        prior_ties=result.prior,
        components=_components(votes),
        notes=tuple(notes),
        covariance=tuple(tuple(float(cov[i, j]) for j in order) for i in order),
        iterations=result.iterations,
        log_likelihood=result.log_likelihood,
    )


def _components(votes: VoteTable) -> tuple[tuple[str, ...], ...]:
    """Groups of models linked by battles, largest first."""
    m = len(votes.models)
    graph = sparse.coo_matrix((np.ones(len(votes)), (votes.first, votes.second)), shape=(m, m))
    _, label = connected_components(graph, directed=False)
    groups: dict[int, list[str]] = {}
    for i, lab in enumerate(label):
        groups.setdefault(int(lab), []).append(votes.models[i])
    return tuple(sorted((tuple(sorted(g)) for g in groups.values()), key=lambda g: -len(g)))


def _notes(votes: VoteTable, result: bt.FitResult, opts: FitOptions) -> list[str]:
    notes: list[str] = []
    if result.prior > 0:
        m = len(votes.models)
        w, r = votes.weight, votes.result
        earned = np.bincount(votes.first, w * r, m) + np.bincount(votes.second, w * (1 - r), m)
        conceded = np.bincount(votes.first, w * (1 - r), m) + np.bincount(votes.second, w * r, m)
        undefeated = [votes.models[i] for i in range(m) if conceded[i] == 0]
        winless = [votes.models[i] for i in range(m) if earned[i] == 0]
        named = [
            f"never lost: {', '.join(undefeated)}" if undefeated else "",
            f"never won or tied: {', '.join(winless)}" if winless else "",
        ]
        detail = "; ".join(x for x in named if x) or (
            "a group of models only won, or only lost, against the rest"
        )
        notes.append(
            "plain maximum likelihood has no finite solution for these votes "
            f"({detail}); every model got {result.prior:g} virtual ties against a 1000-rated "
            "opponent to keep ratings finite, so those ratings reflect that prior"
        )
    groups = _components(votes)
    if len(groups) > 1:
        notes.append(
            f"the models fall into {len(groups)} groups that never met, directly or through "
            "others; ratings are comparable only within a group"
        )
    if not result.converged:
        notes.append(f"the fit did not converge in {opts.max_iter} iterations")
    return notes


@dataclass(frozen=True)
class SourceFits:
    """Ratings per vote source and from all sources together.

    Attributes:
        by_source: One fit per source label, in the votes' source order.
        combined: The fit on every source's votes, weighted by ``source_weights``.
        source_weights: Weight of each source in the combined fit.
    """

    by_source: tuple[RatingFit, ...]
    combined: RatingFit
    source_weights: tuple[tuple[str, float], ...]

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "source_weights": dict(self.source_weights),
            "by_source": {f.label: f.as_dict() for f in self.by_source},
            "combined": self.combined.as_dict(),
        }


def fit_by_source(
    votes: VoteTable,
    options: FitOptions | None = None,
    source_weights: Mapping[str, float] | None = None,
) -> SourceFits:
    """Fit each source (human votes, judge verdicts, execution battles, ...) and all together.

    Args:
        votes: Battles of every source.
        options: Fit and interval settings, shared by all fits.
        source_weights: Multiplier of each source's battle weights in the combined fit
            (default 1; 0 leaves a source out of it). Per-source fits ignore it: scaling all
            weights of one fit scales its information, not its ratings.

    Returns:
        The per-source fits and the combined one.

    Raises:
        ConfigError: If a weight names an unknown source or is negative.
    """
    weights = dict(source_weights or {})
    combined_votes = votes.reweighted(weights)
    per = tuple(
        fit_ratings(votes.select(votes.source == k), options, label=name)
        for k, name in enumerate(votes.sources)
    )
    used = tuple((name, float(weights.get(name, 1.0))) for name in votes.sources)
    return SourceFits(per, fit_ratings(combined_votes, options, label="combined"), used)

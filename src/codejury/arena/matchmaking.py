"""Which battle a voter sees next: pairs of models whose rating gap is least certain.

Each pair of models that answered a common prompt gets a weight: the variance of their rating
difference, ``var(r_i − r_j) = C_ii + C_jj − 2 C_ij`` from the covariance of the current
Bradley–Terry fit of the human votes. A pair that never met directly or through others (or a
model without votes) gets the largest weight. The pair is then *sampled* in proportion to its
weight rather than taken greedily: a hundred voters asking at once would otherwise all be sent
to the same pair until the next refit. Within the pair a prompt and answers the voter has not
voted on are drawn at random, and the sides are randomised when the battle is made.

The fit is refreshed at most every ``refresh_s`` seconds (a fit of 100,000 votes takes
milliseconds, but there is no reason to make one per request).
"""

from __future__ import annotations

import itertools
import random
import threading
import time
from collections import defaultdict
from dataclasses import dataclass

from codejury.arena.ratings import RatingFit, fit_ratings
from codejury.arena.ratings_input import Battle as RatedBattle
from codejury.arena.ratings_input import VoteTable
from codejury.errors import CodejuryError
from codejury.store import Store
from codejury.store.arena_battles import pair_key

UNKNOWN_VARIANCE = 400.0**2
"""Weight (rating points²) of a pair the votes say nothing about: a ±400-point uncertainty."""

Pair = tuple[str, str]


@dataclass(frozen=True)
class _Pool:
    """Usable answers by model and prompt, and the model pairs with a common prompt."""

    answers: dict[str, dict[str, list[str]]]
    pairs: dict[Pair, list[str]]


def _build_pool(store: Store) -> _Pool:
    answers: dict[str, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    for c in store.arena.pool.candidates():
        answers[c.model][c.prompt_id].append(c.answer_id)
    pairs: dict[Pair, list[str]] = {}
    for m1, m2 in itertools.combinations(sorted(answers), 2):
        common = sorted(set(answers[m1]) & set(answers[m2]))
        if common:
            pairs[(m1, m2)] = common
    return _Pool({m: dict(p) for m, p in answers.items()}, pairs)


def pair_variances(fit: RatingFit | None, pairs: list[Pair]) -> dict[Pair, float]:
    """Variance of the rating difference of each pair (rating points²).

    Pairs involving a model the fit does not know, or models in groups that never met, get
    :data:`UNKNOWN_VARIANCE` or the largest variance seen, whichever is larger.
    """
    known: dict[Pair, float] = {}
    if fit is not None:
        index = {m: i for i, m in enumerate(fit.models)}
        group = {m: k for k, members in enumerate(fit.components) for m in members}
        cov = fit.covariance
        for m1, m2 in pairs:
            i, j = index.get(m1), index.get(m2)
            if i is None or j is None or group.get(m1) != group.get(m2):
                continue
            known[(m1, m2)] = max(cov[i][i] + cov[j][j] - 2.0 * cov[i][j], 0.0)
    ceiling = max([UNKNOWN_VARIANCE, *known.values()])
    return {pair: known.get(pair, ceiling) for pair in pairs}


class Matchmaker:
    """Picks and makes the next battle for a voter; safe to share between threads.

    Args:
        store: The store with the pool and the votes.
        refresh_s: Most seconds a fit or a pool snapshot is reused.
        rng: Randomness for pairs, prompts and sides (a system RNG by default).
    """

    def __init__(
        self, store: Store, refresh_s: float = 10.0, rng: random.Random | None = None
    ) -> None:
        self._store = store
        self._refresh_s = refresh_s
        self._rng = rng or random.SystemRandom()
        self._lock = threading.Lock()
        self._pool: _Pool | None = None
        self._weights: dict[Pair, float] = {}
        self._fitted_at = -float("inf")

    def invalidate(self) -> None:
        """Forget the pool and the fit (after an admin changed models or prompts)."""
        with self._lock:
            self._pool = None
            self._fitted_at = -float("inf")

    def weights(self) -> dict[Pair, float]:
        """The current weight of every pair (refreshing the fit when it is stale)."""
        with self._lock:
            now = time.monotonic()
            if self._pool is None or now - self._fitted_at > self._refresh_s:
                self._pool = _build_pool(self._store)
                self._weights = pair_variances(self._fit(), list(self._pool.pairs))
                self._fitted_at = now
            return dict(self._weights)

    def _fit(self) -> RatingFit | None:
        outcomes = self._store.arena.battles.outcomes()
        battles = [RatedBattle(a, b, winner) for a, b, winner in outcomes]
        if not battles:
            return None
        try:
            return fit_ratings(VoteTable.from_battles(battles, origin="arena votes"))
        except CodejuryError:
            return None

    def next_battle(self, voter_id: str) -> str | None:
        """Make (or reuse) a battle the voter has not voted on; None when none is left.

        Args:
            voter_id: The voter.

        Returns:
            The battle id, or None when the voter has voted on every possible battle.
        """
        weights = self.weights()
        with self._lock:
            pool = self._pool
        if pool is None or not weights:
            return None
        voted = self._store.arena.battles.voted_pairs(voter_id)
        while weights:
            pairs = list(weights)
            pair = self._rng.choices(pairs, weights=[weights[p] + 1e-9 for p in pairs])[0]
            chosen = self._unvoted(pool, pair, voted)
            if chosen is None:
                del weights[pair]
                continue
            first, second = chosen if self._rng.random() < 0.5 else chosen[::-1]
            return self._store.arena.battles.get_or_create(first, second)
        return None

    def _unvoted(self, pool: _Pool, pair: Pair, voted: set[str]) -> tuple[str, str] | None:
        prompts = list(pool.pairs[pair])
        self._rng.shuffle(prompts)
        m1, m2 = pair
        for prompt in prompts:
            combos = list(itertools.product(pool.answers[m1][prompt], pool.answers[m2][prompt]))
            self._rng.shuffle(combos)
            for x, y in combos:
                if pair_key(x, y) not in voted:
                    return x, y
        return None

"""FastChat's Bradley–Terry ratings, reimplemented from its published algorithm: a reference.

For parity and speed comparison only (``benchmarks/ratings_speed.py``); not part of codejury.
It needs pandas and scikit-learn, which codejury does not depend on, so it runs in its own
venv (``ratings_speed.py`` makes one) as a script::

    python fastchat_reference.py --battles FILE.json --rounds 1000 --budget 600 --out OUT.json

What it does, following ``compute_mle_elo`` / ``get_bootstrap_result`` of
``fastchat/serve/monitor/elo_analysis.py`` (lm-sys/FastChat), written anew:

1. Pivot the battles into "row beat column" tables: wins as model_a, wins as model_b
   (transposed), ties (``tie`` and ``tie (bothbad)``) in both directions. A win counts twice
   and a tie once each way, i.e. a tie is half a win each way.
2. One logistic-regression row per ordered pair, features ``+ln(10)`` for the row model and
   ``−ln(10)`` for the column model, label 1 with weight = row's points and label 0 with
   weight = column's points; scikit-learn ``LogisticRegression(fit_intercept=False,
   penalty=None, tol=1e-6)``.
3. Rating = ``400·coef + 1000``; FastChat then shifts so that ``mixtral-8x7b-instruct-v0.1``
   sits at 1114 when present. Callers compare after shifting to mean 1000.
4. Bootstrap: resample the battles with replacement (``DataFrame.sample(frac=1,
   replace=True)``) and refit, once per round.

One deliberate difference: the design matrix is built with numpy, not FastChat's Python
double loop over ``.loc`` lookups. That only makes this reference faster (fairer to it).

``--variant lbfgs`` times FastChat's later path instead (``compute_elo_mle_with_tie``:
unique (pair, outcome) counts, scipy L-BFGS-B on the tie-half likelihood, multinomial
bootstrap), in a single process.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
import warnings
from typing import Any

import numpy as np
import pandas as pd
from scipy.optimize import minimize
from scipy.special import expit
from sklearn.linear_model import LogisticRegression

SCALE, BASE, INIT_RATING = 400.0, 10.0, 1000.0
ANCHOR_MODEL, ANCHOR_RATING = "mixtral-8x7b-instruct-v0.1", 1114.0
TIES = ("tie", "tie (bothbad)")


def _pivot(df: pd.DataFrame) -> pd.DataFrame:
    return df.pivot_table(index="model_a", columns="model_b", aggfunc="size", fill_value=0)


def mle_ratings(battles: pd.DataFrame) -> pd.Series:
    """Bradley–Terry ratings by weighted logistic regression on the pivoted battles."""
    a_win = _pivot(battles[battles["winner"] == "model_a"])
    b_win = _pivot(battles[battles["winner"] == "model_b"])
    tie_rows = battles[battles["winner"].isin(TIES)]
    if len(tie_rows):
        tie = _pivot(tie_rows)
        tie = tie + tie.T
    else:
        tie = pd.DataFrame(0, index=a_win.index, columns=a_win.columns)
    # As published: no fill on the additions, so a pair absent from one table becomes NaN
    # and is skipped below.
    points = a_win * 2 + b_win.T * 2 + tie
    names = list(points.index)
    col = {m: k for k, m in enumerate(names)}
    p = len(names)
    table = points.reindex(index=names, columns=names).to_numpy(dtype=np.float64)
    rows, cols = np.nonzero(~np.eye(p, dtype=bool))
    keep = ~(np.isnan(table[rows, cols]) | np.isnan(table[cols, rows]))
    rows, cols = rows[keep], cols[keep]
    n = len(rows)
    x = np.zeros((2 * n, p))
    x[np.arange(2 * n), np.r_[rows, rows]] = math.log(BASE)
    x[np.arange(2 * n), np.r_[cols, cols]] = -math.log(BASE)
    # FastChat interleaves the two rows of a pair; their order does not change the fit.
    y = np.r_[np.ones(n), np.zeros(n)]
    weights = np.r_[table[rows, cols], table[cols, rows]]
    lr = LogisticRegression(fit_intercept=False, penalty=None, tol=1e-6)
    with warnings.catch_warnings():
        # scikit-learn >= 1.8 deprecates penalty=None (in favour of C=inf); kept as published.
        warnings.simplefilter("ignore", FutureWarning)
        lr.fit(x, y, sample_weight=weights)
    scores = SCALE * lr.coef_[0] + INIT_RATING
    if ANCHOR_MODEL in col:
        scores += ANCHOR_RATING - scores[col[ANCHOR_MODEL]]
    return pd.Series(scores, index=names)


def bootstrap_mle(battles: pd.DataFrame, rounds: int, budget: float, seed: int) -> Any:
    """Refit on resampled battles until ``rounds`` or ``budget`` seconds.

    Returns:
        (rounds done, seconds, {model: [2.5%, 97.5%] quantiles}).
    """
    rng = np.random.RandomState(seed)
    start = time.perf_counter()
    rows = []
    while len(rows) < rounds and time.perf_counter() - start < budget:
        rows.append(mle_ratings(battles.sample(frac=1.0, replace=True, random_state=rng)))
    table = pd.DataFrame(rows)
    table = table - table.mean(axis=1).to_numpy()[:, None] + INIT_RATING
    seconds = time.perf_counter() - start
    bounds = table.quantile([0.025, 0.975])
    return len(rows), seconds, {m: bounds[m].tolist() for m in table.columns}


# ---- FastChat's later path (L-BFGS on unique outcomes, multinomial bootstrap) ---------------


def _unique_outcomes(battles: pd.DataFrame) -> tuple[Any, Any, Any, list[str]]:
    names = pd.unique(battles[["model_a", "model_b"]].to_numpy().ravel()).tolist()
    idx = {m: k for k, m in enumerate(names)}
    sched = np.empty((len(battles), 3), dtype=np.int32)
    sched[:, 0] = battles["model_a"].map(idx).to_numpy()
    sched[:, 1] = battles["model_b"].map(idx).to_numpy()
    sched[:, 2] = np.select(
        [battles["winner"] == "model_a", battles["winner"] == "model_b"], [2, 0], 1
    )
    uniq, counts = np.unique(sched, return_counts=True, axis=0)
    return uniq[:, :2], uniq[:, 2].astype(np.float64) / 2.0, counts.astype(np.float64), names


def _loss_grad(r: Any, pairs: Any, y: Any, w: Any, alpha: float) -> tuple[float, Any]:
    d = alpha * (r[pairs[:, 0]] - r[pairs[:, 1]])
    prob = expit(d)
    loss = -((np.log(prob) * y + np.log(1.0 - prob) * (1.0 - y)) * w).sum()
    g = -alpha * (y - prob) * w
    grad = np.zeros_like(r)
    np.add.at(grad, pairs[:, 0], g)
    np.add.at(grad, pairs[:, 1], -g)
    return float(loss), grad


def _lbfgs(pairs: Any, y: Any, w: Any, n: int) -> Any:
    res = minimize(_loss_grad, np.zeros(n), args=(pairs, y, w, math.log(BASE)), jac=True,
                   method="L-BFGS-B", options={"maxiter": 100, "gtol": 1e-6})  # fmt: skip
    return res.x


def lbfgs_ratings(battles: pd.DataFrame) -> pd.Series:
    """FastChat's later fit: L-BFGS-B on unique (pair, outcome) counts."""
    pairs, y, w, names = _unique_outcomes(battles)
    return pd.Series(SCALE * _lbfgs(pairs, y, w, len(names)) + INIT_RATING, index=names)


def bootstrap_lbfgs(battles: pd.DataFrame, rounds: int, budget: float, seed: int) -> Any:
    """Multinomial bootstrap over unique outcomes, one L-BFGS fit per round (as above)."""
    rng = np.random.RandomState(seed)
    start = time.perf_counter()
    pairs, y, w, names = _unique_outcomes(battles)
    draws = rng.multinomial(len(battles), w / w.sum(), size=rounds) / len(battles)
    rows = []
    while len(rows) < rounds and time.perf_counter() - start < budget:
        rows.append(SCALE * _lbfgs(pairs, y, draws[len(rows)], len(names)) + INIT_RATING)
    table = np.array(rows)
    table = table - table.mean(axis=1, keepdims=True) + INIT_RATING
    seconds = time.perf_counter() - start
    bounds = np.percentile(table, [2.5, 97.5], axis=0)
    return len(rows), seconds, {m: bounds[:, k].tolist() for k, m in enumerate(names)}


def main(argv: list[str] | None = None) -> None:
    """Time the fit and the bootstrap on a clean-battle file; print one JSON object."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--battles", required=True, help="FastChat clean-battle JSON list")
    parser.add_argument("--rounds", type=int, default=1000)
    parser.add_argument("--budget", type=float, default=600.0, help="seconds for the bootstrap")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--variant", choices=["sklearn", "lbfgs"], default="sklearn")
    args = parser.parse_args(argv)
    with open(args.battles, encoding="utf-8") as fh:
        battles = pd.DataFrame(json.load(fh))[["model_a", "model_b", "winner"]]
    fit, boot = (
        (mle_ratings, bootstrap_mle)
        if args.variant == "sklearn"
        else (lbfgs_ratings, bootstrap_lbfgs)
    )
    start = time.perf_counter()
    ratings = fit(battles)
    fit_s = time.perf_counter() - start
    done, boot_s, bounds = boot(battles, args.rounds, args.budget, args.seed)
    json.dump(
        {"variant": args.variant, "ratings": ratings.to_dict(), "fit_s": fit_s,
         "bootstrap_rounds": done, "bootstrap_s": boot_s, "intervals": bounds},
        sys.stdout,
    )  # fmt: skip


if __name__ == "__main__":
    main()

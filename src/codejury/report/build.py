"""Gather the user's runs and the catalog into candidates, run every analysis and the decision.

:func:`build_report` is pure (catalog and store inputs in, :class:`ReportData` out);
:func:`build_from_store` reads the store first. The result is JSON-ready (``as_dict``) and is
what every format renders, so the HTML, Markdown and JSON reports cannot disagree.

Which models: every measured model (latest finished ``eval`` run per model on the benchmark)
and every catalog model with the benchmark's pass@1 or the Arena rating of the chosen
category, or only those named in ``ReportOptions.models``. A measured model and a public
entry never merge (see :mod:`codejury.report.measured`).
"""

from __future__ import annotations

import difflib
import time
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

from codejury import __version__
from codejury.catalog import Catalog
from codejury.errors import ConfigError, DataError
from codejury.report.analysis import (
    Evolution,
    WinProbabilities,
    dates,
    evolution,
    leaderboard,
    numbers,
    pareto_frontier,
    win_probabilities,
)
from codejury.report.candidates import (
    FIGURE_NAMES,
    Candidate,
    CatalogOptions,
    Figure,
    Mark,
    candidate_from_catalog,
    candidates_from_catalog,
)
from codejury.report.data import Frontier, Periods, ReportData, SourceRow
from codejury.report.inputs import StoreInputs, read_store
from codejury.report.measured import measured_candidate, paired_top_two
from codejury.report.mismatch import RankMismatch, rank_mismatch
from codejury.report.recommend import decide
from codejury.report.selectionfile import Selection
from codejury.store import Store

BUILTIN_SOURCE = "codejury built-in catalog (codejury/data/catalog/facts.json)"
MAX_WIN_MODELS = 10
"""Models in the win-probability matrix (seed 000, figure 2: each organisation's best)."""


@dataclass(frozen=True)
class ReportOptions:
    """What one report covers.

    Attributes:
        benchmark: Whose pass@1 is the quality figure (runs and catalog).
        rating: The Arena category of the human rating.
        models: Only these model keys (measured references or catalog keys); None for all.
        selection: Constraints, weights and workload.
        self_hosted_monthly_usd: Monthly cost of running a local model, when the user states it.
        draws: Draws of the probability each model is best.
        rounds: Bootstrap rounds of the Kendall τ interval.
        seed: Seed of every resampling.
    """

    benchmark: str = "humaneval+"
    rating: str = "coding"
    models: tuple[str, ...] | None = None
    selection: Selection = field(default_factory=Selection)
    self_hosted_monthly_usd: float | None = None
    draws: int = 10_000
    rounds: int = 2000
    seed: int = 0


def build_report(
    catalog: Catalog,
    inputs: StoreInputs,
    options: ReportOptions | None = None,
    catalog_sources: Sequence[dict[str, Any]] = (),
) -> ReportData:
    """Candidates, analyses and the decision for one report.

    Args:
        catalog: Public facts (e.g. the built-in catalog with the user's imports).
        inputs: The user's runs (:func:`codejury.report.inputs.read_store`).
        options: Benchmark, models, constraints, weights, workload.
        catalog_sources: Descriptions of the catalog's parts, for the report's header.

    Raises:
        ConfigError: A model in ``options.models`` is neither measured nor in the catalog.
        DataError: As the analyses (malformed figures).
    """
    started = time.perf_counter()
    opts = options or ReportOptions()
    workload = opts.selection.workload
    notes: list[str] = list(inputs.skipped)
    measured = [
        measured_candidate(m, workload, _self_hosted(m.model, opts, inputs))
        for m in inputs.measured
    ]
    public_options = CatalogOptions(opts.benchmark, opts.rating, workload)
    candidates = _select(catalog, measured, public_options, opts.models)
    keys = {c.key for c in candidates}

    quality, human = numbers(candidates, "quality"), numbers(candidates, "human")
    price = numbers(candidates, "price")
    pareto_q = _frontier("quality", quality, price)
    pareto_h = _frontier("human", human, price)
    mismatch = _mismatch(quality, human, opts, notes)
    win, win_basis = _win(candidates, notes)
    evo, evo_measure = _evolution(candidates, notes)
    periods = None if evo_measure is None else _periods(candidates, evo_measure)
    paired, why = paired_top_two(inputs.measured, inputs.passes, keys, opts.seed)
    if why:
        notes.append(f"No paired significance test: {why}.")
    pair = {(paired.a, paired.b): paired.comparison} if paired else None
    decision = decide(
        candidates,
        opts.selection.constraints,
        opts.selection.matrix,
        paired=pair,
        draws=opts.draws,
        seed=opts.seed,
    )
    meta = {
        "generated_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "codejury": __version__,
        "benchmark": opts.benchmark,
        "rating": opts.rating,
        "models": None if opts.models is None else list(opts.models),
        "workload": workload.__dict__,
        "constraints": opts.selection.constraints.as_dict(),
        "weights": dict(opts.selection.matrix.weights),
        "draws": opts.draws,
        "rounds": opts.rounds,
        "seed": opts.seed,
        "store": inputs.location,
        "win_basis": win_basis,
        "catalog_sources": list(catalog_sources),
        "counts": {
            "candidates": len(candidates),
            "measured": len(measured),
            "public": len(candidates) - len(measured),
            "with_quality": len(quality),
            "with_human": len(human),
        },
        "build_seconds": round(time.perf_counter() - started, 3),
    }
    return ReportData(
        meta=meta,
        candidates=tuple(candidates),
        inputs=inputs,
        leaderboard_quality=leaderboard(candidates, "quality"),
        leaderboard_human=leaderboard(candidates, "human"),
        pareto_quality=pareto_q,
        pareto_human=pareto_h,
        mismatch=mismatch,
        win=win,
        evolution=evo,
        evolution_measure=evo_measure,
        periods=periods,
        paired=paired,
        decision=decision,
        provenance=provenance(candidates),
        notes=tuple(notes),
    )


def build_from_store(
    store: Store, options: ReportOptions | None = None, *, include_dry_runs: bool = False
) -> ReportData:
    """Read the store (runs, votes, imported catalogs) and build the report.

    The catalog is the built-in one with the user's imports (``codejury catalog import``)
    added on top.
    """
    from codejury.catalog.stored import combined_catalog, stored_imports

    opts = options or ReportOptions()
    inputs = read_store(store, opts.benchmark, include_dry_runs=include_dry_runs)
    catalog = combined_catalog(store)
    sources: list[dict[str, Any]] = [
        {"part": "builtin", "source": BUILTIN_SOURCE, "facts": len(Catalog.builtin())}
    ]
    sources += [{"part": "import", **s.as_dict()} for s in stored_imports(store)]
    data = build_report(catalog, inputs, opts, sources)
    return replace(data, selection=latest_selection(store))


def latest_selection(store: Store) -> dict[str, Any] | None:
    """The newest ``codejury select`` run as id, status and funnel rows, or None."""
    from codejury.select.pipeline import funnel

    runs = store.list_runs(kind="select", limit=1)
    summary = runs[0].summary if runs else None
    if not summary:
        return None
    return {"run": runs[0].id[:12], "status": runs[0].status, "funnel": funnel(summary)}


def provenance(candidates: Sequence[Candidate]) -> tuple[SourceRow, ...]:
    """Every source of every figure, grouped by (origin, source, date), largest first."""
    groups: dict[tuple[str, str, str | None], tuple[int, set[str], set[str]]] = {}
    for c in candidates:
        for name in FIGURE_NAMES:
            figure = getattr(c, name)
            if figure is None:
                continue
            m = figure.mark
            count, models, fields = groups.get((m.origin, m.source, m.as_of), (0, set(), set()))
            models.add(c.key)
            fields.add(name)
            groups[(m.origin, m.source, m.as_of)] = (count + 1, models, fields)
    order = {"measured": 0, "user": 1, "public": 2, "derived": 3}
    rows = [
        SourceRow(origin, source, as_of, count, len(models), tuple(sorted(fields)))
        for (origin, source, as_of), (count, models, fields) in groups.items()
    ]
    rows.sort(key=lambda r: (order.get(r.origin, 9), -r.figures, r.source))
    return tuple(rows)


# --- steps -------------------------------------------------------------------------------------


def _select(
    catalog: Catalog,
    measured: list[Candidate],
    options: CatalogOptions,
    wanted: Sequence[str] | None,
) -> list[Candidate]:
    taken = {c.key for c in measured}
    if wanted is None:
        public = candidates_from_catalog(catalog, options=options)
        return measured + [_unclash(c, taken) for c in public]
    chosen = [c for c in measured if c.key in wanted]
    unknown = []
    for key in dict.fromkeys(wanted):
        if key in taken:
            continue
        if catalog.model(key) is None:
            unknown.append(key)
            continue
        chosen.append(_unclash(candidate_from_catalog(catalog, key, options), taken))
    if unknown:
        known = sorted(taken | {entry.key for entry in catalog.models()})
        close = difflib.get_close_matches(unknown[0], known, n=3)
        raise ConfigError(
            f"--models: {', '.join(unknown)} is neither a measured model nor in the catalog",
            hint=(f"did you mean {', '.join(close)}? " if close else "")
            + "see `codejury catalog show` and `codejury runs list`",
        )
    return chosen


def _self_hosted(model: str, opts: ReportOptions, inputs: StoreInputs) -> Figure[float] | None:
    if opts.self_hosted_monthly_usd is not None:
        note = "your stated monthly cost of the hardware a local model runs on"
        return Figure(opts.self_hosted_monthly_usd, Mark("user", "--self-hosted-cost", None, note))
    row = None if inputs.cost is None else inputs.cost.row(model)
    if inputs.cost is None or row is None or row.self_hosted_usd_per_month is None:
        return None
    note = "self-hosted deployments for the cost run's workload and GPU price"
    source = f"cost run {inputs.cost.run_id[:12]}"
    return Figure(
        row.self_hosted_usd_per_month, Mark("derived", source, inputs.cost.finished_at[:10], note)
    )


def _unclash(c: Candidate, taken: set[str]) -> Candidate:
    # A codejury.toml name may equal a catalog key; the measured model keeps the plain key.
    return replace(c, key=f"{c.key} (public)") if c.key in taken else c


def _frontier(measure: str, values: dict[str, float], price: dict[str, float]) -> Frontier | None:
    points = {k: (values[k], price[k]) for k in values if k in price}
    if not points:
        return None
    return Frontier(measure, points, pareto_frontier({k: (v, p) for k, (v, p) in points.items()}))


def _mismatch(
    quality: dict[str, float], human: dict[str, float], opts: ReportOptions, notes: list[str]
) -> RankMismatch | None:
    both = set(quality) & set(human)
    if len(both) < 3:
        notes.append(
            f"No benchmark-vs-human rank comparison: {len(both)} model(s) have both a "
            f"{opts.benchmark} pass@1 and an Arena {opts.rating} rating; it needs 3."
        )
        return None
    return rank_mismatch(quality, human, rounds=opts.rounds, seed=opts.seed)


def _win(candidates: Sequence[Candidate], notes: list[str]) -> tuple[WinProbabilities | None, str]:
    rated = [c for c in candidates if c.human is not None]
    if len(rated) < 2:
        notes.append("No win-probability matrix: fewer than two models have a human rating.")
        return None, ""
    rated.sort(key=lambda c: (-_human(c), c.key))
    chosen, basis = rated[:MAX_WIN_MODELS], "every rated model"
    if len(rated) > MAX_WIN_MODELS:
        basis = f"the {MAX_WIN_MODELS} highest-rated models"
        best: dict[str, Candidate] = {}
        for c in rated:
            org = c.organization.value if c.organization is not None else None
            if org is not None and org not in best:
                best[org] = c
        if len(best) >= 2:
            chosen = list(best.values())[:MAX_WIN_MODELS]
            basis = (
                f"the best-rated model of each of the {len(chosen)} highest-rated "
                "organisations (seed 000, figure 2)"
            )
    return win_probabilities({c.key: _human(c) for c in chosen}), basis


def _human(c: Candidate) -> float:
    return 0.0 if c.human is None else float(c.human.value)


def _periods(candidates: Sequence[Candidate], measure: str) -> Periods | None:
    """One Pareto frontier per half-year of release, when two or more half-years have models."""
    released, values = dates(candidates), numbers(candidates, measure)
    price = numbers(candidates, "price")
    groups: dict[str, dict[str, tuple[float, float]]] = {}
    for key in released.keys() & values.keys() & price.keys():
        date = released[key]
        # A date of year precision counts as January, as the catalog orders dates.
        half = 1 if len(date) < 7 or int(date[5:7]) <= 6 else 2
        groups.setdefault(f"{date[:4]}-H{half}", {})[key] = (values[key], price[key])
    if len(groups) < 2:
        return None
    return {
        label: (tuple(sorted(groups[label])), pareto_frontier(groups[label]))
        for label in sorted(groups)
    }


def _evolution(
    candidates: Sequence[Candidate], notes: list[str]
) -> tuple[Evolution | None, str | None]:
    released = dates(candidates)
    counts: dict[str, int] = {}
    for measure in ("human", "quality"):
        values = numbers(candidates, measure)
        points = {k: (released[k], values[k]) for k in released.keys() & values.keys()}
        counts[measure] = len(points)
        if len(points) >= 2:
            try:
                return evolution(points), measure
            except DataError as exc:
                notes.append(f"No evolution chart: {exc.message}")
                return None, None
    notes.append(
        f"No evolution over release dates: release dates are known for {counts['quality']} "
        f"model(s) with a pass@1 and {counts['human']} with a human rating; the chart needs 2 "
        "with the same figure (add release_date facts with `codejury catalog import` or "
        "model metadata in codejury.toml)."
    )
    return None, None

"""The funnel's first stages: candidates, benchmarks, thresholds and the team's own tasks.

Every stage is a function ``(context, entering models) -> StageResult``: who continues, who
was eliminated and why, the figures it measured or looked up, and the runs it made. Stages
that call models save each finished model through :meth:`Context.checkpoint`, so an
interrupted stage resumes at the next model. Cost and latency are in
:mod:`codejury.select.measure`, the human check in :mod:`codejury.select.human`, the choice in
:mod:`codejury.select.choice`.
"""

from __future__ import annotations

import asyncio
import dataclasses
import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from codejury.catalog import Catalog
from codejury.config import Settings
from codejury.cost import PriceCatalog, cost_function, price_for
from codejury.providers.registry import ModelConfig, ProviderRegistry, guarded
from codejury.providers.retry import RetryPolicy
from codejury.report.candidates import Candidate, Figure, Mark, candidate_from_catalog
from codejury.report.constraints import Constraints, apply_constraints
from codejury.sandbox.jail import SandboxConfig
from codejury.select.config import SelectionConfig
from codejury.select.figures import TASK_ACCURACY, figure, from_json, pass_at_1_name
from codejury.store import Store
from codejury.taskeval import compare, load_tasks, samples_of_run
from codejury.taskeval.run import Endpoint, RunOptions, TaskEvalSpec, run_taskeval

Status = Literal["done", "skipped", "pending"]


@dataclass
class StageResult:
    """What one stage decided.

    Attributes:
        status: ``done``, ``skipped`` (its section is absent: everyone continues) or
            ``pending`` (waiting for something outside codejury, e.g. votes).
        kept: Models that continue, in order.
        eliminated: Model → every reason it was eliminated here.
        unchecked: Kept model → limits not checked for lack of a figure.
        figures: Model → figure name → figure (see :mod:`codejury.select.figures`).
        runs: Ids of the runs this stage made or used.
        notes: Plain sentences about the stage as a whole.
        extra: Anything else the stage reports (e.g. the human check's command).
    """

    status: Status
    kept: list[str]
    eliminated: dict[str, list[str]] = field(default_factory=dict)
    unchecked: dict[str, list[str]] = field(default_factory=dict)
    figures: dict[str, dict[str, Any]] = field(default_factory=dict)
    runs: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready (the shape stored in the select run's summary)."""
        return dataclasses.asdict(self)


@dataclass
class Context:
    """What every stage may use.

    Attributes:
        config: The selection file.
        settings: codejury settings (models, prices, data dir, store).
        store: The open store.
        earlier: Outputs of the stages before this one, by name (as stored).
        partial: What an interrupted attempt of this stage saved (see :meth:`checkpoint`).
        save: Persists ``partial`` (set by the pipeline).
        quiet: No progress bars.
        retries: Retries of a failed model request.
    """

    config: SelectionConfig
    settings: Settings
    store: Store
    earlier: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    partial: dict[str, Any] = field(default_factory=dict)
    save: Callable[[dict[str, Any]], None] = lambda _partial: None
    quiet: bool = False
    retries: int = 5

    def checkpoint(self, key: str, value: Any) -> None:
        """Record one finished unit of work (one model's run) before going on."""
        self.partial[key] = value
        self.save(self.partial)

    def model(self, ref: str) -> ModelConfig:
        """The resolved candidate."""
        return self.settings.resolve_model(ref)


def screen(
    entering: Sequence[str], made: Sequence[Candidate], limits: Constraints, prefix: str = ""
) -> tuple[list[str], dict[str, list[str]], dict[str, list[str]]]:
    """Kept models, eliminated ones with reasons, unchecked ones: the report's screening."""
    result = apply_constraints(made, limits)
    eliminated = {n.key: [prefix + r for r in n.reasons] for n in result.eliminated}
    unchecked = {n.key: [prefix + r for r in n.reasons] for n in result.unchecked}
    return [m for m in entering if m not in eliminated], eliminated, unchecked


# --- candidates ----------------------------------------------------------------------------------


def candidates_stage(ctx: Context, entering: Sequence[str]) -> StageResult:
    """Look up each model's facts and drop those failing open-weights or context limits.

    Facts come from the model's codejury.toml table (``open_weights``, ``context_window``,
    ``parameters``, ``organization``, ``release_date``: marked ``user``), else from the
    public catalog entry linked in ``[candidates] catalog`` (marked ``public``).
    """
    linked = ctx.config.catalog
    catalog = Catalog.builtin() if linked else None
    figures: dict[str, dict[str, Any]] = {}
    made: list[Candidate] = []
    for ref in entering:
        facts: dict[str, Figure[Any]] = {}
        if catalog is not None and ref in linked:
            public = candidate_from_catalog(catalog, linked[ref])
            for name in ("open_weights", "parameters_b", "organization", "release_date"):
                value = getattr(public, name)
                if value is not None:
                    facts[name] = value
        facts |= _user_facts(ctx, ref)
        figures[ref] = {name: f.as_dict() for name, f in facts.items()}
        made.append(Candidate(key=ref, name=ref, **facts))
    t = ctx.config.thresholds
    limits = Constraints(
        require_open_weights=t.open_weights,
        min_context_window=t.min_context_window,
        strict=t.strict,
    )
    kept, eliminated, unchecked = screen(entering, made, limits)
    return StageResult("done", kept, eliminated, unchecked, figures)


_USER_FACTS: Mapping[str, tuple[str, type]] = {
    "open_weights": ("open_weights", bool),
    "context_window": ("context_window", float),
    "parameters": ("parameters_b", float),
    "organization": ("organization", str),
    "release_date": ("release_date", str),
}


def _user_facts(ctx: Context, ref: str) -> dict[str, Figure[Any]]:
    config = ctx.model(ref)
    source = f"{ctx.settings.where('models', ref)} (models.{ref})"
    found: dict[str, Figure[Any]] = {}
    for key, (name, kind) in _USER_FACTS.items():
        value = config.metadata.get(key)
        if kind is float and isinstance(value, int | float) and not isinstance(value, bool):
            found[name] = Figure(float(value), Mark("user", source))
        elif kind is not float and isinstance(value, kind):
            found[name] = Figure(value, Mark("user", source))
    return found


# --- benchmarks ----------------------------------------------------------------------------------


def benchmarks_stage(ctx: Context, entering: Sequence[str]) -> StageResult:
    """Run every model on every benchmark (``codejury eval``, in-process); eliminates no one."""
    from codejury.cli.evalcmd import EvalFlags, run_eval

    section = ctx.config.benchmarks
    if section is None:
        return StageResult("skipped", list(entering), notes=["no [benchmarks] section"])
    settings = ctx.settings.with_flags(
        n=section.n, max_tokens=section.max_tokens, temperature=section.temperature
    )
    flags = EvalFlags(limit=section.limit, seed=section.seed, quiet=ctx.quiet, retries=ctx.retries)
    result = StageResult("done", list(entering))
    for ref in entering:
        for bench in section.ids:
            key = f"{ref} {bench}"
            if key not in ctx.partial:
                outcome = run_eval(settings, ref, bench, flags)
                ctx.checkpoint(key, _eval_record(outcome.run_id, outcome.summary))
            record = ctx.partial[key]
            result.runs.append(record["run_id"])
            est = record["pass_at_1"]
            note = (
                f"pass@1 ({record['part']} tests) over {record['tasks']} tasks, n={section.n}; "
                "bootstrap 95 % interval over tasks"
            )
            named = result.figures.setdefault(ref, {})
            named[pass_at_1_name(bench)] = figure(
                100 * est["value"],
                "measured",
                f"eval run {record['run_id'][:12]}",
                note,
                (100 * est["low"], 100 * est["high"]),
            )
            named.setdefault("benchmark_runs", {})[bench] = record
    return result


def _eval_record(run_id: str, summ: Mapping[str, Any]) -> dict[str, Any]:
    part = "plus" if "plus" in summ["pass_at_k"] else next(iter(summ["pass_at_k"]))
    gen = summ["generation"]
    latency = gen.get("latency_s") or {}
    return {
        "run_id": run_id,
        "part": part,
        "tasks": summ["tasks"],
        "pass_at_1": summ["pass_at_k"][part]["pass@1"],
        "cost_usd": gen.get("cost_usd"),
        "latency_p95_s": latency.get("p95"),
        "latency_n": latency.get("n", 0),
    }


# --- thresholds ----------------------------------------------------------------------------------


def thresholds_stage(ctx: Context, entering: Sequence[str]) -> StageResult:
    """Drop models whose pass@1 is below a benchmark's minimum (``min_pass_at_1``)."""
    minimum = ctx.config.thresholds.min_pass_at_1
    if not minimum:
        return StageResult("skipped", list(entering), notes=["no min_pass_at_1 in [thresholds]"])
    figures = ctx.earlier.get("benchmarks", {}).get("figures", {})
    result = StageResult("done", list(entering))
    for bench, bound in minimum.items():
        made = [
            _with_quality(ref, figures.get(ref, {}).get(pass_at_1_name(bench))) for ref in entering
        ]
        limits = Constraints(min_pass_at_1=bound, strict=ctx.config.thresholds.strict)
        _, eliminated, unchecked = screen(entering, made, limits, prefix=f"{bench}: ")
        for table, found in ((result.eliminated, eliminated), (result.unchecked, unchecked)):
            for ref, reasons in found.items():
                table.setdefault(ref, []).extend(reasons)
    result.kept = [m for m in entering if m not in result.eliminated]
    return result


def _with_quality(ref: str, stored: Mapping[str, Any] | None) -> Candidate:
    return Candidate(key=ref, name=ref, quality=None if stored is None else from_json(stored))


# --- the team's own tasks ------------------------------------------------------------------------


def tasks_stage(ctx: Context, entering: Sequence[str]) -> StageResult:
    """Run every model on the team's task file (``codejury taskeval``); ``min_task_accuracy``."""
    section = ctx.config.tasks
    if section is None:
        return StageResult("skipped", list(entering), notes=["no [tasks] section"])
    task_file = load_tasks(section.file)
    ids = tuple(list(task_file.tasks)[: section.limit] if section.limit else task_file.tasks)
    settings = ctx.settings
    judge = ctx.model(section.judge) if section.judge else None
    result = StageResult("done", list(entering))
    for ref in entering:
        if ref not in ctx.partial:
            spec = TaskEvalSpec(
                model=ctx.model(ref),
                tasks=task_file,
                task_ids=ids,
                n=section.n,
                temperature=settings.temperature
                if section.temperature is None
                else section.temperature,
                max_tokens=section.max_tokens or settings.max_tokens,
                timeout_s=settings.timeout_s,
                judge=judge,
            )
            run_id, summ = asyncio.run(_taskeval(ctx, spec))
            ctx.checkpoint(ref, {"run_id": run_id, "accuracy": summ["accuracy"]})
        record = ctx.partial[ref]
        result.runs.append(record["run_id"])
        acc = record["accuracy"]
        if acc:
            result.figures[ref] = {
                TASK_ACCURACY: figure(
                    100 * acc["value"],
                    "measured",
                    f"taskeval run {record['run_id'][:12]}",
                    f"accuracy on {acc['n_tasks']} of your tasks ({task_file.label}); 95 % interval",
                    (100 * acc["low"], 100 * acc["high"]),
                )
            }
    result.extra["paired"] = _paired(ctx.store, entering, ctx.partial)
    bound = ctx.config.thresholds.min_task_accuracy
    if bound is not None:
        made = [
            _with_quality(ref, result.figures.get(ref, {}).get(TASK_ACCURACY)) for ref in entering
        ]
        limits = Constraints(min_pass_at_1=bound, strict=ctx.config.thresholds.strict)
        kept, eliminated, unchecked = screen(entering, made, limits, prefix="own tasks: ")
        result.kept, result.eliminated, result.unchecked = kept, eliminated, unchecked
    return result


async def _taskeval(ctx: Context, spec: TaskEvalSpec) -> tuple[str, dict[str, Any]]:
    endpoints = [_endpoint(ctx, spec.model)]
    if spec.judge is not None:
        endpoints.append(_endpoint(ctx, spec.judge))
    options = RunOptions(
        workers=ctx.settings.workers or min(2, os.cpu_count() or 1), sandbox=SandboxConfig()
    )
    try:
        judge = endpoints[1] if len(endpoints) > 1 else None
        run = await run_taskeval(spec, ctx.store, endpoints[0], judge, options)
    finally:
        for e in endpoints:
            await e.provider.aclose()
    return run.run_id, run.summary


def _endpoint(ctx: Context, config: ModelConfig) -> Endpoint:
    price = price_for(config, ctx.settings.prices, PriceCatalog.builtin())
    provider = guarded(
        config, ProviderRegistry().create(config), policy=RetryPolicy(attempts=ctx.retries + 1)
    )
    return Endpoint(config, provider, cost_function(price))


def _paired(
    store: Store, models: Sequence[str], partial: Mapping[str, Any]
) -> list[dict[str, Any]]:
    samples = {m: samples_of_run(store, partial[m]["run_id"]) for m in models}
    pairs = []
    for i, a in enumerate(models):
        for b in models[i + 1 :]:
            found = compare(samples[a], samples[b])
            if found is not None:
                pairs.append({"a": a, "b": b} | found)
    return pairs

"""``codejury taskeval``: the team's own prompts and checks, on one or more models, compared."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from codejury.cli import app
from codejury.cli.common import progress_bar, select_ids
from codejury.cli.evalcmd import DEFAULT_MODEL
from codejury.cli.evalview import print_generation
from codejury.config import load_settings
from codejury.cost import Price, PriceCatalog, cost_function, price_for
from codejury.errors import ConfigError
from codejury.providers.registry import ModelConfig, ProviderRegistry, guarded, resolve
from codejury.providers.retry import RetryPolicy
from codejury.sandbox.jail import SandboxConfig
from codejury.store import Store
from codejury.taskeval.models import load_tasks
from codejury.taskeval.run import (
    Endpoint,
    RunOptions,
    TaskEvalResult,
    TaskEvalSpec,
    attach_comparisons,
    run_taskeval,
)

_SHOWN_FAILURES = 10


@app.command("taskeval")
def taskeval_command(
    tasks: Annotated[
        Path, typer.Option("--tasks", "-t", help="Task file: .jsonl, .csv or .yaml (see docs).")
    ],
    model: Annotated[
        list[str] | None,
        typer.Option("--model", "-m", help="provider/model or a codejury.toml name; repeat."),
    ] = None,
    judge: Annotated[
        str | None, typer.Option(help="Model that grades 'judge' checks (kept out of costs).")
    ] = None,
    n: Annotated[int | None, typer.Option("-n", min=1, help="Answers per task.")] = None,
    temperature: Annotated[
        float | None, typer.Option(min=0.0, help="Sampling temperature.")
    ] = None,
    max_tokens: Annotated[int | None, typer.Option(min=1, help="Most tokens per answer.")] = None,
    judge_max_tokens: Annotated[
        int, typer.Option(min=1, help="Most tokens per judge answer.")
    ] = 1024,
    concurrency: Annotated[
        int | None, typer.Option(min=1, help="Requests in flight per model (default: its own).")
    ] = None,
    seed: Annotated[int | None, typer.Option(help="Sampling seed, where supported.")] = None,
    timeout: Annotated[
        float | None, typer.Option("--timeout", min=0.001, help="Seconds per request attempt.")
    ] = None,
    only: Annotated[str | None, typer.Option(help="Only these task ids, comma-separated.")] = None,
    limit: Annotated[int | None, typer.Option(min=1, help="Only the first N tasks.")] = None,
    workers: Annotated[
        int | None, typer.Option("--workers", "-j", min=1, help="Sandbox workers (unit tests).")
    ] = None,
    db: Annotated[str | None, typer.Option(help="Store path or URL.")] = None,
    config: Annotated[Path | None, typer.Option(help="codejury.toml to read.")] = None,
    retries: Annotated[
        int, typer.Option(min=0, help="Retries of a failed request (429, 5xx, timeouts).")
    ] = 5,
    no_cache: Annotated[
        bool, typer.Option("--no-cache", help="Request every answer again (cache still written).")
    ] = False,
    no_resume: Annotated[
        bool, typer.Option("--no-resume", help="Start new runs even if some are unfinished.")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the results as JSON.")] = False,
) -> None:
    """Run models on your own task file; accuracy with 95% intervals and paired comparisons."""
    settings = load_settings(config).with_flags(
        n=n,
        temperature=temperature,
        max_tokens=max_tokens,
        timeout_s=timeout,
        workers=workers,
        db=db,
    )
    task_file = load_tasks(tasks)
    refs = list(dict.fromkeys(model or [settings.model or DEFAULT_MODEL]))
    configs = [resolve(ref, settings.models) for ref in refs]
    if concurrency is not None:
        configs = [dataclasses.replace(c, concurrency=concurrency) for c in configs]
    task_ids = select_ids(list(task_file.tasks), only, limit, flag="--only", where=task_file.label)
    judge_config = resolve(judge, settings.models) if judge else None
    judged = [c.line for t in task_ids for c in task_file.tasks[t].checks if c.kind == "judge"]
    if judged and judge_config is None:
        raise ConfigError(
            f"{task_file.label}:{min(judged)}: the task file has judge checks, but no judge "
            "model was given",
            hint="pass --judge MODEL (ideally not one of the models compared)",
        )
    warn = Console(stderr=True)
    if judged and judge in refs:
        warn.print(f"[yellow]warning:[/] {judge} judges its own answers (self-preference bias)")
    if settings.n > 1 and settings.temperature == 0:
        warn.print(
            "[yellow]warning:[/] n > 1 at temperature 0 asks for the same greedy answer n times"
        )
    specs = [
        TaskEvalSpec(
            model=c,
            tasks=task_file,
            task_ids=task_ids,
            n=settings.n,
            temperature=settings.temperature,
            max_tokens=settings.max_tokens,
            seed=seed,
            timeout_s=settings.timeout_s,
            judge=judge_config,
            judge_max_tokens=judge_max_tokens,
        )
        for c in configs
    ]
    prices = {c.name: price_for(c, settings.prices, PriceCatalog.builtin()) for c in configs}
    judge_price = (
        None
        if judge_config is None
        else price_for(judge_config, settings.prices, PriceCatalog.builtin())
    )
    options = RunOptions(
        use_cache=not no_cache,
        resume=not no_resume,
        workers=settings.workers or min(2, os.cpu_count() or 1),
        sandbox=SandboxConfig(),
    )
    with Store.open(settings.db) as store:
        results = asyncio.run(
            _run_all(specs, store, options, prices, judge_price, _Flags(retries, as_json))
        )
        pairs = attach_comparisons(store, results)
    if as_json:
        runs = [{"model": r.spec.model.name, "run_id": r.run_id} | r.summary for r in results]
        typer.echo(json.dumps({"runs": runs, "comparisons": pairs}))
        return
    console = Console()
    for result in results:
        _print_run(console, result, prices[result.spec.model.name])
    if pairs:
        _print_pairs(console, pairs)


@dataclasses.dataclass(frozen=True)
class _Flags:
    retries: int
    quiet: bool


def _endpoint(config: ModelConfig, price: Price | None, retries: int) -> Endpoint:
    provider = guarded(
        config, ProviderRegistry().create(config), policy=RetryPolicy(attempts=retries + 1)
    )
    return Endpoint(config, provider, cost_function(price))


async def _run_all(
    specs: Sequence[TaskEvalSpec],
    store: Store,
    options: RunOptions,
    prices: dict[str, Price | None],
    judge_price: Price | None,
    flags: _Flags,
) -> list[TaskEvalResult]:
    # One event loop for every model: the judge's provider (and its HTTP client) is shared.
    judge_config = specs[0].judge
    judge = None if judge_config is None else _endpoint(judge_config, judge_price, flags.retries)
    results: list[TaskEvalResult] = []
    try:
        for spec in specs:
            price = prices[spec.model.name]
            model = _endpoint(spec.model, price, flags.retries)
            extra = {"price": None if price is None else dataclasses.asdict(price)}
            extra["judge_price"] = None if judge_price is None else dataclasses.asdict(judge_price)
            run_options = dataclasses.replace(options, extra=extra)
            try:
                with _Bars(flags.quiet, spec.model.name) as show:
                    results.append(await run_taskeval(spec, store, model, judge, run_options, show))
            finally:
                await model.provider.aclose()
    finally:
        if judge is not None:
            await judge.provider.aclose()
    return results


class _Bars:
    """A transient progress bar on stderr, one line per stage."""

    def __init__(self, quiet: bool, name: str) -> None:
        self._bar = progress_bar(quiet)
        self._name = name
        self._tasks: dict[str, Any] = {}

    def __enter__(self) -> _Bars:
        self._bar.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        self._bar.__exit__(None, None, None)

    def __call__(self, stage: str, done: int, total: int) -> None:
        if stage not in self._tasks:
            self._tasks[stage] = self._bar.add_task(f"{stage} ({self._name})", total=total)
        self._bar.update(self._tasks[stage], completed=done, total=total)


def _pct(est: dict[str, Any] | None) -> tuple[str, str]:
    if not est:
        return "–", "–"
    return f"{100 * est['value']:.1f}%", f"{100 * est['low']:.1f} – {100 * est['high']:.1f}"


def _print_run(console: Console, result: TaskEvalResult, price: Price | None) -> None:
    spec, summ = result.spec, result.summary
    value, interval = _pct(summ["accuracy"])
    counts = summ["status_counts"]
    console.print(
        f"[bold]{spec.model.name}[/] on [bold]{spec.tasks.label}[/] · {summ['tasks']} tasks × "
        f"n={spec.n} · temperature {spec.temperature:g} · max_tokens {spec.max_tokens}"
    )
    console.print(
        f"accuracy [bold]{value}[/] (95% CI {interval}) · {counts['pass']} passed · "
        f"{counts['fail']} failed · {counts['unscored']} unscored by the judge"
    )
    table = Table(title="by check kind")
    for column in ("kind", "checked", "accuracy", "95% CI", "statuses"):
        table.add_column(column, justify="left" if column in ("kind", "statuses") else "right")
    for kind, row in summ["by_kind"].items():
        acc, ci = _pct(row["accuracy"])
        statuses = ", ".join(f"{s} {c}" for s, c in row["status_counts"].items())
        table.add_row(kind, str(row["checked"]), acc, ci, statuses)
    console.print(table)
    for name, matrix in summ["confusion"].items():
        _print_confusion(console, name, matrix)
    if summ.get("judge"):
        _print_judge(console, summ["judge"])
    print_generation(console, summ["generation"])
    _print_failures(console, result)
    if summ.get("sandbox"):
        console.print(f"sandbox (unit tests): {summ['sandbox']}")
    note = " · resumed an unfinished run" if summ.get("resumed") else ""
    priced = "" if price is not None else " · unknown price"
    console.print(
        f"run {result.run_id[:12]} (codejury runs show {result.run_id[:12]}){note}{priced}"
    )
    console.print()


def _print_confusion(console: Console, name: str, data: dict[str, Any]) -> None:
    table = Table(title=f"confusion matrix: {name} (rows expected, columns predicted)")
    table.add_column("expected \\ predicted")
    for label in data["labels"]:
        table.add_column(label, justify="right")
    table.add_column("recall", justify="right")
    for row, counts in data["matrix"].items():
        recall = data["per_label"].get(row, {}).get("recall")
        shown = "–" if recall is None else f"{100 * recall:.0f}%"
        table.add_row(row, *[str(counts.get(c, 0)) for c in data["labels"]], shown)
    console.print(table)


def _print_judge(console: Console, judge: dict[str, Any]) -> None:
    mean = judge["mean_score"]
    shown = "–" if mean is None else f"{mean['value']:.2f} ({mean['low']:.2f} – {mean['high']:.2f})"
    scores = " ".join(f"{k}:{v}" for k, v in judge["score_counts"].items())
    gen = judge["generation"]
    cost = "unknown" if gen["cost_usd"] is None else f"${gen['cost_usd']:.4f}"
    console.print(
        f"judge {judge['model']}: mean score {shown} · scores {scores} · "
        f"{judge['unscored']} unscored · judge tokens {gen['input_tokens']:,} in / "
        f"{gen['output_tokens']:,} out, cost {cost} (not in the model's cost)"
    )


def _print_failures(console: Console, result: TaskEvalResult) -> None:
    failed = [s for s in result.samples if s.status != "pass"]
    for s in failed[:_SHOWN_FAILURES]:
        check, why = next(((n, r) for n, r in s.checks.items() if not r.passed), ("", None))
        reason = why.reason if why is not None else ""
        console.print(
            f"  [red]{s.status}[/] {s.task_id}#{s.index} {check}: {reason}", highlight=False
        )
    if len(failed) > _SHOWN_FAILURES:
        console.print(f"  ... and {len(failed) - _SHOWN_FAILURES} more (--json for all)")


def _print_pairs(console: Console, pairs: Sequence[dict[str, Any]]) -> None:
    table = Table(title="paired comparison on the same tasks (A − B, 95% CI)")
    for column in ("A", "B", "A − B", "95% CI", "p", "test", "tasks", "A better", "B better"):
        table.add_column(column, justify="left" if column in ("A", "B", "test") else "right")
    for p in pairs:
        table.add_row(
            p["a"],
            p["b"],
            f"{100 * p['diff']:+.1f} pts",
            f"{100 * p['low']:+.1f} – {100 * p['high']:+.1f}",
            f"{p['p_value']:.3g}",
            p["method"],
            str(p["n_tasks"]),
            str(p["a_better"]),
            str(p["b_better"]),
        )
    console.print(table)

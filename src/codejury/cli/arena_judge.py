"""``codejury arena ratings`` and ``codejury arena judge``."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Annotated, Any, cast

import typer
from rich.console import Console
from rich.table import Table

from codejury.arena.judge import JudgeOptions, judge_battles
from codejury.arena.ratings import (
    FitOptions,
    IntervalMethod,
    RatingFit,
    fit_by_source,
    fit_ratings,
)
from codejury.arena.ratings_input import VoteTable
from codejury.arena.votes import collect
from codejury.cli.arena import ConfigOption, DbOption, arena_app, settings_for
from codejury.cost import price_for
from codejury.errors import DataError
from codejury.providers.registry import open_model
from codejury.store import Store


def _print_fit(console: Console, fit: RatingFit) -> None:
    level = round(fit.confidence * 100)
    table = Table(title=f"{fit.label}: {fit.votes} votes ({fit.interval} {level}% intervals)")
    for column in ("rank", "model", "rating", f"{level}% interval", "votes"):
        table.add_column(column, justify="left" if column == "model" else "right")
    for r in fit.ratings:
        table.add_row(
            str(r.rank), r.model, f"{r.rating:.0f}", f"{r.low:.0f} – {r.high:.0f}", str(r.votes)
        )
    console.print(table)
    for note in fit.notes:
        console.print(f"  [yellow]note:[/] {note}", highlight=False)


@arena_app.command("ratings")
def ratings(
    source: Annotated[
        list[str] | None,
        typer.Option(
            help="Only these sources: human, judge, judge:M, execution (tests passed vs failed on the same task), an import label."
        ),
    ] = None,
    interval: Annotated[str, typer.Option(help="sandwich or bootstrap.")] = "sandwich",
    rounds: Annotated[int, typer.Option(min=2, help="Bootstrap rounds.")] = 1000,
    db: DbOption = None,
    config: ConfigOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Bradley–Terry ratings with intervals from the votes so far, per source and combined."""
    options = FitOptions(interval=cast(IntervalMethod, interval), rounds=rounds)
    settings = settings_for(config, db)
    with Store.open(settings.db) as store:
        battles = collect(store, source)
    if not battles:
        raise DataError(
            "no votes yet" + (f" from {', '.join(source)}" if source else ""),
            hint="vote in `codejury arena serve`, run `codejury arena judge`, or import votes",
        )
    votes = VoteTable.from_battles(battles, origin="arena votes")
    result: Any
    if len(votes.sources) > 1:
        result = fit_by_source(votes, options)
        fits = [*result.by_source, result.combined]
    else:
        result = fit_ratings(votes, options, label=votes.sources[0])
        fits = [result]
    if as_json:
        typer.echo(json.dumps(result.as_dict()))
        return
    console = Console()
    for fit in fits:
        _print_fit(console, fit)


@arena_app.command("judge")
def judge(
    judge_model: Annotated[
        str, typer.Option("--judge-model", "-m", help="provider/model or a codejury.toml name.")
    ],
    all_battles: Annotated[
        bool, typer.Option("--all", help="Judge every battle, not only those with human votes.")
    ] = False,
    limit: Annotated[int | None, typer.Option(min=1, help="At most this many battles.")] = None,
    concurrency: Annotated[int, typer.Option(min=1, help="Judge calls in flight.")] = 8,
    max_tokens: Annotated[int, typer.Option(min=1, help="Most tokens per judge answer.")] = 1024,
    timeout: Annotated[float, typer.Option(min=0.001, help="Seconds per call attempt.")] = 120.0,
    db: DbOption = None,
    config: Annotated[Path | None, typer.Option(help="codejury.toml to read.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
) -> None:
    """Judge the arena's battles with an LLM, each in both orders (disagreement = tie)."""
    settings = settings_for(config, db)
    model_config, provider = open_model(judge_model, settings.models)
    price = price_for(model_config, settings.prices)
    options = JudgeOptions(max_tokens=max_tokens, timeout_s=timeout, concurrency=concurrency)
    with Store.open(settings.db) as store:
        battle_ids = store.arena.battles.ids(voted_only=not all_battles)[:limit]

        async def run() -> Any:
            try:
                return await judge_battles(
                    store, battle_ids, provider, model_config.name, price, options
                )
            finally:
                await provider.aclose()

        report = asyncio.run(run())
    if as_json:
        typer.echo(json.dumps(report.__dict__))
        return
    console = Console()
    cost = "unknown price" if report.cost_usd is None else f"${report.cost_usd:.4f}"
    agreement = "–" if report.agreement is None else f"{100 * report.agreement:.0f}%"
    console.print(
        f"judge {report.judge_model}: {report.battles} battles, {report.calls} calls now "
        f"({cost}), {report.failed} failed, {report.unparsed} without a verdict; "
        f"{report.verdicts} verdicts, both orders agreed on {agreement}",
        highlight=False,
    )
    for error in report.errors:
        console.print(f"  [red]failed:[/] {error}", highlight=False)

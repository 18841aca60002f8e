"""``codejury select --config selection.toml``: the whole selection funnel, resumable."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from codejury.cli import app
from codejury.config import load_settings
from codejury.report.recommend import format_value
from codejury.scoring.evaluate import ScoreInterrupted
from codejury.select.config import load_selection
from codejury.select.pipeline import SelectOptions, SelectOutcome, funnel, run_selection

_HOW = {
    "new": "new run",
    "resumed": "resumed an unfinished run",
    "finished": "this configuration finished earlier; shown as stored (--fresh to redo)",
}
_COLUMNS = ("quality", "human", "cost", "latency", "privacy", "operational_effort")


@app.command("select")
def select_command(
    config: Annotated[
        Path, typer.Option("--config", "-c", help="The selection file (see docs/select.md).")
    ],
    db: Annotated[str | None, typer.Option(help="Store path or URL (overrides the file).")] = None,
    data_dir: Annotated[
        Path | None, typer.Option(help="Directory with the dataset files (overrides the file).")
    ] = None,
    fresh: Annotated[
        bool,
        typer.Option("--fresh", help="Start a new run and redo every stage (answers cached)."),
    ] = False,
    retries: Annotated[
        int, typer.Option(min=0, help="Retries of a failed request (429, 5xx, timeouts).")
    ] = 5,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the whole summary as JSON.")
    ] = False,
) -> None:
    """Candidates → benchmarks → thresholds → own tasks → cost → latency → human check → choice."""
    selection = load_selection(config)
    settings = load_settings(selection.codejury_config).with_flags(
        data_dir=data_dir or selection.data_dir, db=db or selection.db
    )
    err = Console(stderr=True)

    def report(stage: str, text: str) -> None:
        err.print(f"[bold]{stage}[/]: {escape(text)}", highlight=False)

    options = SelectOptions(
        fresh=fresh, quiet=as_json, retries=retries, report=None if as_json else report
    )
    try:
        outcome = run_selection(selection, settings, options)
    except ScoreInterrupted:
        raise typer.Exit(130) from None
    if as_json:
        typer.echo(json.dumps(outcome.summary | {"run_id": outcome.run_id, "how": outcome.resumed}))
        return
    _print(Console(), outcome, config)


def _print(console: Console, outcome: SelectOutcome, config: Path) -> None:
    summ = outcome.summary
    console.print(
        f"[bold]selection {escape(str(summ.get('name', '')))}[/] · run {outcome.run_id[:12]} · "
        f"{_HOW[outcome.resumed]}",
        highlight=False,
    )
    console.print(_funnel_table(funnel(summ)))
    if summ.get("state") == "waiting":
        human = summ["stages"]["human"]["extra"]
        console.print(
            f"[yellow]human check pending:[/] {escape(str(summ.get('message')))}", highlight=False
        )
        if human.get("command"):
            console.print(
                f"  open the arena for your voters:  {escape(human['command'])}", highlight=False
            )
            console.print("  (invite voters with: codejury arena voters add NAME)", highlight=False)
        console.print(
            f"  then run again to continue:  codejury select --config {escape(str(config))}",
            highlight=False,
        )
        return
    choice = summ.get("stages", {}).get("choice", {}).get("extra", {})
    ranking = (choice.get("decision") or {}).get("ranking")
    if ranking:
        console.print(_ranking_table(ranking))
    if choice.get("reference"):
        console.print(_reference_table(choice["reference"]))
    if summ.get("recommendation"):
        console.print(f"[bold]recommendation:[/] {escape(summ['recommendation'])}", highlight=False)


def _funnel_table(rows: Sequence[Mapping[str, Any]]) -> Table:
    table = Table(title="the funnel: who was eliminated where, and why")
    for column in ("stage", "status", "in", "kept", "eliminated (reasons)"):
        table.add_column(column, justify="right" if column == "in" else "left")
    for row in rows:
        lines = [f"{m}: {'; '.join(r)}" for m, r in row["eliminated"].items()]
        lines += [f"{m} (unchecked): {'; '.join(r)}" for m, r in row["unchecked"].items()]
        status = row["status"] + (
            f" (reused {row['reused_from'][:12]})" if row["reused_from"] else ""
        )
        kept = ", ".join(row["kept"]) or "–"
        notes = [f"note: {n}" for n in row["notes"]]
        reasons = escape("\n".join(lines + notes)) or "–"
        table.add_row(row["stage"], status, str(len(row["entered"])), escape(kept), reasons)
    return table


def _ranking_table(ranking: Mapping[str, Any]) -> Table:
    weights = {c["name"]: c["weight"] for c in ranking["columns"]}
    shown = [c for c in _COLUMNS if c in weights]
    table = Table(title="decision matrix (raw figures; weights in the header)")
    table.add_column("rank", justify="right")
    table.add_column("model")
    table.add_column("score", justify="right")
    for name in shown:
        table.add_column(f"{name} ({weights[name]:.2f})", justify="right")
    for row in ranking["rows"]:
        cells = []
        for name in shown:
            value = row["raw"].get(name)
            cells.append("–" if value is None else format_value(name, value))
        table.add_row(str(row["rank"]), escape(row["name"]), f"{row['score']:.2f}", *cells)
    return table


def _reference_table(reference: Sequence[Mapping[str, Any]]) -> Table:
    table = Table(title="for reference: public figures, not measured here")
    for column in ("model", "quality", "human", "price", "monthly cost"):
        table.add_column(column, justify="left" if column == "model" else "right")
    for ref in reference:

        def cell(name: str, criterion: str, data: Mapping[str, Any] = ref) -> str:
            figure = data.get(name)
            return "–" if figure is None else format_value(criterion, figure["value"])

        table.add_row(
            escape(ref["name"]),
            cell("quality", "quality"),
            cell("human", "human"),
            cell("price", "price"),
            cell("monthly_cost", "cost"),
        )
    return table

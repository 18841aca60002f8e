"""``codejury report``: the decision report (HTML, Markdown or JSON) from the store and catalog."""

from __future__ import annotations

import sys
from dataclasses import replace
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from codejury.cli import app
from codejury.config import load_settings
from codejury.cost import Workload
from codejury.errors import ConfigError
from codejury.report.selection import DecisionMatrix
from codejury.report.selectionfile import Selection, load_selection
from codejury.store import Store

FORMATS = ("html", "md", "json")
_SUFFIXES = {".html": "html", ".htm": "html", ".md": "md", ".markdown": "md", ".json": "json"}


@app.command("report")
def report(
    models: Annotated[
        str | None,
        typer.Option(
            help="Only these models, comma-separated (measured references or catalog keys)."
        ),
    ] = None,
    fmt: Annotated[
        str | None,
        typer.Option(
            "--format", "-f", help="html, md or json (default: from the --out suffix, else html)."
        ),
    ] = None,
    out: Annotated[
        Path | None, typer.Option("--out", "-o", help="File to write (default: stdout).")
    ] = None,
    benchmark: Annotated[
        str | None, typer.Option("--benchmark", "-b", help="Whose pass@1 is the quality figure.")
    ] = None,
    rating: Annotated[str, typer.Option(help="Arena category of the human rating.")] = "coding",
    constraints: Annotated[
        Path | None,
        typer.Option(help="Selection file (TOML: [constraints], [weights], [workload])."),
    ] = None,
    min_pass_at_1: Annotated[
        float | None, typer.Option(help="Hard limit: minimum pass@1, percent.")
    ] = None,
    max_monthly_cost: Annotated[
        float | None, typer.Option(help="Hard limit: USD per month.")
    ] = None,
    max_p95_latency: Annotated[
        float | None, typer.Option(help="Hard limit: p95 latency, seconds.")
    ] = None,
    open_weights: Annotated[
        bool, typer.Option("--open-weights", help="Hard limit: only models with open weights.")
    ] = False,
    min_context: Annotated[
        float | None, typer.Option(help="Hard limit: context window, tokens.")
    ] = None,
    strict: Annotated[
        bool,
        typer.Option("--strict", help="A missing figure eliminates instead of passing unchecked."),
    ] = False,
    weight: Annotated[
        list[str] | None,
        typer.Option(
            help="A decision weight, e.g. --weight quality=0.5 (repeatable; replaces the defaults)."
        ),
    ] = None,
    requests_per_day: Annotated[
        float | None, typer.Option(min=0, help="Workload: requests per day.")
    ] = None,
    input_tokens: Annotated[
        float | None, typer.Option(min=0, help="Workload: input tokens per request.")
    ] = None,
    output_tokens: Annotated[
        float | None, typer.Option(min=0, help="Workload: output tokens per request.")
    ] = None,
    self_hosted_cost: Annotated[
        float | None,
        typer.Option(min=0, help="USD per month of the hardware a local model runs on."),
    ] = None,
    include_dry_runs: Annotated[
        bool,
        typer.Option(
            "--include-dry-runs", help="Also use --dry-run eval runs (reference answers)."
        ),
    ] = False,
    draws: Annotated[
        int, typer.Option(min=1, help="Draws of the probability each model is best.")
    ] = 10_000,
    seed: Annotated[int, typer.Option(help="Seed of every resampling.")] = 0,
    db: Annotated[
        str | None, typer.Option(help="Store path or URL (default: $CODEJURY_DB).")
    ] = None,
    config: Annotated[Path | None, typer.Option(help="codejury.toml to read.")] = None,
) -> None:
    """Leaderboard, Pareto frontier, benchmark-vs-human mismatch, costs and the decision."""
    from codejury.report.build import ReportOptions, build_from_store
    from codejury.report.render import render

    chosen = _format(fmt, out)
    selection = load_selection(constraints) if constraints is not None else Selection()
    selection = selection.with_constraints(
        min_pass_at_1=min_pass_at_1,
        max_monthly_cost=max_monthly_cost,
        max_p95_latency_s=max_p95_latency,
        require_open_weights=open_weights or None,
        min_context_window=min_context,
        strict=strict or None,
    )
    if weight:
        selection = replace(selection, matrix=DecisionMatrix(_weights(weight)))
    selection = replace(
        selection,
        workload=_workload(selection.workload, requests_per_day, input_tokens, output_tokens),
    )
    settings = load_settings(config).with_flags(db=db)
    options = ReportOptions(
        benchmark=benchmark or settings.benchmark,
        rating=rating,
        models=_models(models),
        selection=selection,
        self_hosted_monthly_usd=self_hosted_cost,
        draws=draws,
        seed=seed,
    )
    with Store.open(settings.db) as store:
        data = build_from_store(store, options, include_dry_runs=include_dry_runs)
    text = render(data, chosen)
    if out is None:
        sys.stdout.write(text)
        return
    _write(out, text)
    winner = data.decision.recommendation.winner
    counts = data.meta["counts"]
    Console(stderr=True).print(
        f"wrote {out} ({chosen}): {counts['candidates']} models, {counts['measured']} measured "
        f"by you; recommendation: {data.name(winner) if winner else 'none meets the constraints'}",
        highlight=False,
        soft_wrap=True,
    )


def _format(fmt: str | None, out: Path | None) -> str:
    if fmt is not None:
        if fmt not in FORMATS:
            raise ConfigError(f"--format must be one of {', '.join(FORMATS)}, not {fmt!r}")
        return fmt
    if out is not None:
        return _SUFFIXES.get(out.suffix.lower(), "html")
    return "html"


def _models(text: str | None) -> tuple[str, ...] | None:
    if text is None:
        return None
    keys = tuple(k.strip() for k in text.split(",") if k.strip())
    if not keys:
        raise ConfigError(
            "--models is empty", hint="e.g. --models local/smollm2,gpt-4o-mini-2024-07-18"
        )
    return keys


def _weights(items: list[str]) -> dict[str, float]:
    weights: dict[str, float] = {}
    for item in items:
        name, sep, value = item.partition("=")
        try:
            number = float(value)
        except ValueError:
            number = float("nan")
        if not sep or not name.strip() or number != number:
            raise ConfigError(
                f"--weight {item!r} is not NAME=NUMBER",
                hint="e.g. --weight quality=0.5 --weight cost=0.3",
            )
        weights[name.strip()] = number
    return weights


def _workload(
    base: Workload, per_day: float | None, tokens_in: float | None, tokens_out: float | None
) -> Workload:
    return Workload(
        base.requests_per_day if per_day is None else per_day,
        base.input_tokens if tokens_in is None else tokens_in,
        base.output_tokens if tokens_out is None else tokens_out,
        base.days_per_month,
    )


def _write(path: Path, text: str) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"--out: cannot write {path}: {exc.strerror or exc}") from exc

"""``codejury perf``: latency and throughput of one model under increasing concurrency.

Runs :func:`codejury.perf.measure_model` (closed-loop load, raw provider, never the cache),
prints one row per level and the saturation verdict, writes the SVG plot, and stores the whole
result as a run of kind ``perf`` so ``codejury cost`` and reports can use it.
"""

from __future__ import annotations

import asyncio
import json
import platform
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import Progress, SpinnerColumn, TextColumn
from rich.table import Table

from codejury import __version__
from codejury.cli import app
from codejury.cli.cost_inputs import best_level
from codejury.cli.perf_inputs import (
    PROMPT_SOURCES,
    PromptSet,
    RequestShape,
    load_prompts,
    parse_duration,
    parse_levels,
)
from codejury.config import Settings, load_settings
from codejury.errors import CodejuryError, ConfigError
from codejury.perf import PerfProgress, PerfResult, PerfSpec, measure_model
from codejury.perf_plot import render_plot
from codejury.providers.registry import resolve
from codejury.store import Store

KIND = "perf"
DEFAULT_MODEL = "local/smollm2"


@app.command("perf")
def perf_command(
    model: Annotated[
        str | None, typer.Option("--model", "-m", help="provider/model or a codejury.toml name.")
    ] = None,
    concurrency: Annotated[
        str, typer.Option(help="Concurrency levels, strictly increasing, comma-separated.")
    ] = "1,2,4,8,16,32",
    duration: Annotated[
        str, typer.Option(help="Measurement time per level: 60s, 2m, 500ms or seconds.")
    ] = "60s",
    warmup: Annotated[str, typer.Option(help="Unmeasured time at the start of each level.")] = "5s",
    requests_per_level: Annotated[
        int | None, typer.Option(min=1, help="Close a level's window after N requests.")
    ] = None,
    prompts: Annotated[
        str | None, typer.Option(help=f"Prompt source: {PROMPT_SOURCES} (default: humaneval+).")
    ] = None,
    max_tokens: Annotated[
        int | None, typer.Option(min=1, help="Output limit of every request.")
    ] = None,
    p95_target: Annotated[
        str | None, typer.Option(help="Saturated once p95 latency exceeds this (e.g. 2s).")
    ] = None,
    min_growth: Annotated[
        float, typer.Option(min=0.0, help="Saturated once throughput grows less than this.")
    ] = 0.10,
    stop_at_saturation: Annotated[
        bool, typer.Option("--stop-at-saturation", help="Skip the levels above saturation.")
    ] = False,
    plot: Annotated[
        Path | None, typer.Option(help="Write the throughput / p95 chart here (SVG).")
    ] = None,
    timeout: Annotated[
        float | None, typer.Option("--timeout", min=0.001, help="Seconds per request.")
    ] = None,
    data_dir: Annotated[Path | None, typer.Option(help="Directory with the dataset files.")] = None,
    db: Annotated[str | None, typer.Option(help="Store path or URL.")] = None,
    config: Annotated[Path | None, typer.Option(help="codejury.toml to read.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the result as JSON.")] = False,
) -> None:
    """Latency and throughput under load: one row per concurrency level, and where it saturates."""
    settings = load_settings(config).with_flags(
        model=model, timeout_s=timeout, data_dir=data_dir, db=db
    )
    ref = settings.model or DEFAULT_MODEL
    model_config = resolve(ref, settings.models)
    shape = RequestShape(
        max_tokens=settings.max_tokens,
        temperature=settings.temperature,
        timeout_s=settings.timeout_s,
        data_dir=settings.data_dir,
    )
    prompt_set = load_prompts(prompts or settings.benchmark, model_config, shape)
    spec = PerfSpec(
        prompt_set.requests,
        concurrency=parse_levels(concurrency),
        duration_s=parse_duration(duration, "--duration"),
        requests_per_level=requests_per_level,
        warmup_s=parse_duration(warmup, "--warmup", allow_zero=True),
        p95_target_s=None if p95_target is None else parse_duration(p95_target, "--p95-target"),
        max_tokens=max_tokens,
        min_growth=min_growth,
        stop_at_saturation=stop_at_saturation,
    )
    result, run_id, svg = _measure_and_store(ref, settings, spec, prompt_set, quiet=as_json)
    if plot is not None:
        _write_plot(plot, svg)
    if as_json:
        plot_path = None if plot is None else str(plot)
        typer.echo(json.dumps({"run_id": run_id, "plot": plot_path} | result.as_dict()))
        return
    print_perf(Console(), result, run_id, plot, prompt_set.label)


def _measure_and_store(
    ref: str, settings: Settings, spec: PerfSpec, prompt_set: PromptSet, *, quiet: bool
) -> tuple[PerfResult, str, str]:
    name = resolve(ref, settings.models).name
    document = {"model": name, "prompt_source": prompt_set.label} | spec.as_dict()
    environment = {
        "codejury": __version__,
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "config_file": str(settings.source) if settings.source else None,
    }
    with Store.open(settings.db) as store:
        run_id = store.create_run(
            kind=KIND,
            benchmark=prompt_set.benchmark,
            dataset_hash=prompt_set.dataset_hash,
            spec=document,
            environment=environment,
        )
        status, summary = "failed", None
        try:
            with _LevelProgress(ref, quiet) as show:
                result = asyncio.run(measure_model(ref, settings.models, spec, progress=show))
            svg = render_plot(result)
            summary = result.as_dict() | {"plot_svg": svg}
            status = "finished"
        except KeyboardInterrupt:
            status = "interrupted"
            raise
        except CodejuryError as exc:
            summary = {"error": exc.message}
            raise
        finally:
            store.finish_run(run_id, status=status, summary=summary)
    return result, run_id, svg


def _write_plot(path: Path, svg: str) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(svg, encoding="utf-8")
    except OSError as exc:
        raise ConfigError(
            f"--plot: cannot write {path}: {exc.strerror or exc}",
            hint="choose a writable path; the chart is also stored with the run",
        ) from exc


class _LevelProgress:
    """A one-line live status on stderr while levels run (silent with ``--json``)."""

    def __init__(self, ref: str, quiet: bool) -> None:
        self.ref = ref
        self.bar = Progress(
            SpinnerColumn(),
            TextColumn("{task.description}"),
            console=Console(stderr=True),
            transient=True,
            disable=quiet,
        )
        self.task = self.bar.add_task(f"perf {ref}: starting")

    def __enter__(self) -> _LevelProgress:
        self.bar.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        self.bar.__exit__(None, None, None)

    def __call__(self, event: PerfProgress) -> None:
        errors = f", {event.errors} errors" if event.errors else ""
        text = (
            f"perf {self.ref}: concurrency {event.concurrency} · {event.phase} · "
            f"{event.finished} done{errors} · {event.elapsed_s:.0f} s"
        )
        self.bar.update(self.task, description=text)


def _ms(summary: dict[str, Any] | None) -> str:
    if not summary:
        return "–"
    keys = ("mean_s", "p50_s", "p95_s", "p99_s")
    return " / ".join(f"{summary[k] * 1000:.0f}" for k in keys)


def print_perf(
    console: Console, result: PerfResult, run_id: str, plot: Path | None, prompts: str
) -> None:
    """The table per level, the saturation verdict, notes, and where things were written."""
    data = result.as_dict()
    spec = data["spec"]
    console.print(
        f"[bold]{result.provider}/{result.model}[/] · prompts {prompts} · "
        f"{spec['prompts']} distinct · client {result.client} · started {result.started_at}",
        highlight=False,
    )
    saturated_at = None if result.saturation is None else result.saturation.concurrency
    table = Table(title="latency and throughput per concurrency level (cache never used)")
    headers = (
        "concurrency",
        "requests",
        "errors",
        "req/s",
        "out tok/s",
        "TTFT ms mean / p50 / p95 / p99",
        "latency ms mean / p50 / p95 / p99",
    )
    for name in headers:
        table.add_column(name, justify="right")
    for level in data["levels"]:
        tokens = level["output_tokens_per_s"]
        style = "red" if saturated_at is not None and level["concurrency"] >= saturated_at else None
        table.add_row(
            str(level["concurrency"]),
            str(level["requests"]),
            f"{level['errors']} ({level['error_rate'] * 100:.1f}%)",
            f"{level['requests_per_s']:.2f}",
            "–" if tokens is None else f"{tokens:.1f}",
            _ms(level["ttft"]),
            _ms(level["latency"]),
            style=style,
        )
    console.print(table)
    for level in data["levels"]:
        if level["error_kinds"]:
            kinds = ", ".join(f"{k}: {v}" for k, v in level["error_kinds"].items())
            console.print(f"  concurrency {level['concurrency']} errors: {kinds}", highlight=False)
    if result.saturation is None:
        console.print(
            f"[green]no saturation[/] up to concurrency {result.levels[-1].concurrency}: "
            + _rules_text(spec),
            highlight=False,
        )
    else:
        last = result.saturation.last_good
        console.print(f"[bold red]{result.saturation.reason}[/]", highlight=False)
        console.print(
            "  highest concurrency worth running: "
            + ("none (the first level already saturates)" if last is None else str(last)),
            highlight=False,
        )
    target = spec["p95_target_s"]
    if target is not None:
        _, why = best_level(data["levels"], target, data["saturation"])
        console.print(f"  at the p95 target: {why}", highlight=False)
    for note in result.notes:
        console.print(f"  note: {note}", highlight=False)
    if any(level["output_tokens_per_s"] is None for level in data["levels"]):
        console.print(
            "  note: the server reported no token counts, so output tokens/s is unknown",
            highlight=False,
        )
    if plot is not None:
        console.print(f"plot: {plot}", highlight=False)
    console.print(f"run {run_id} (stored; `codejury runs show {run_id[:12]}`)", highlight=False)


def _rules_text(spec: dict[str, Any]) -> str:
    growth = f"throughput grew by at least {spec['min_growth'] * 100:.0f} % at every level"
    if spec["p95_target_s"] is None:
        return growth + " (no p95 target given)"
    return f"{growth} and p95 latency stayed within {spec['p95_target_s'] * 1000:.0f} ms"

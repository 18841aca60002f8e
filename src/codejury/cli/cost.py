"""``codejury cost``: monthly cost of a workload through an API and self-hosted, per model.

Inputs, each with its source shown: the workload (``--workload`` file and flags), token sizes
(the workload's, else measured from the model's newest eval/taskeval run, else a 3:1 blend),
prices (codejury.toml overrides, else the shipped catalog; with source and date), and the
self-hosted throughput (``--tokens-per-second``, ``--throughput-from RUN``, else the model's
newest perf run, read at the p95 target). The whole table is stored as a run of kind ``cost``.
"""

from __future__ import annotations

import json
import math
import platform
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console

from codejury import __version__
from codejury.cli import app
from codejury.cli.cost_inputs import (
    WorkloadInput,
    best_level,
    latest_solved,
    load_workload,
    measured_tokens,
    perf_run,
)
from codejury.cli.cost_table import ModelInputs, Throughput, break_even, model_row, token_sizes
from codejury.cli.cost_view import print_cost
from codejury.cli.perf_inputs import parse_duration
from codejury.config import Settings, load_settings
from codejury.cost import LOCAL_SOURCE, PriceCatalog, price_for
from codejury.errors import ConfigError
from codejury.providers.registry import KNOWN_HOSTS, ModelConfig, resolve
from codejury.store import RunRecord, Store

KIND = "cost"


@app.command("cost")
def cost_command(
    model: Annotated[
        list[str] | None,
        typer.Option("--model", "-m", help="provider/model or a codejury.toml name; repeat."),
    ] = None,
    workload: Annotated[
        Path | None, typer.Option(help="Workload file (TOML, see docs/cost.md).")
    ] = None,
    requests_per_day: Annotated[
        float | None, typer.Option(min=0.0, help="Requests per day.")
    ] = None,
    input_tokens: Annotated[
        float | None, typer.Option(min=0.0, help="Prompt tokens per request.")
    ] = None,
    output_tokens: Annotated[
        float | None, typer.Option(min=0.0, help="Generated tokens per request.")
    ] = None,
    days_per_month: Annotated[
        float | None, typer.Option(min=0.001, help="Billing days per month (default 30).")
    ] = None,
    gpu_hourly: Annotated[
        float | None, typer.Option(min=0.0, help="Self-hosted: USD per GPU-hour.")
    ] = None,
    gpus: Annotated[int | None, typer.Option(min=1, help="Self-hosted: GPUs (default 1).")] = None,
    hours_per_month: Annotated[
        float | None, typer.Option(min=0.001, help="Self-hosted: hours billed (default 730).")
    ] = None,
    p95_target: Annotated[
        str | None, typer.Option(help="Latency target the throughput is read at (e.g. 2s).")
    ] = None,
    throughput_from: Annotated[
        list[str] | None,
        typer.Option(help="Perf run to read the throughput from (default: the newest); repeat."),
    ] = None,
    tokens_per_second: Annotated[
        list[str] | None,
        typer.Option(help="Self-hosted output tokens/s: MODEL=X for one model, X for all; repeat."),
    ] = None,
    db: Annotated[str | None, typer.Option(help="Store path or URL.")] = None,
    config: Annotated[Path | None, typer.Option(help="codejury.toml to read.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the table as JSON.")] = False,
) -> None:
    """Monthly cost, API vs self-hosted: $/month, $/1M tokens, break-even, cost per solved task."""
    settings = load_settings(config).with_flags(db=db)
    refs = list(dict.fromkeys(model or ([settings.model] if settings.model else [])))
    if not refs:
        raise ConfigError("no model given", hint="pass --model M (repeat it to compare)")
    configs = [resolve(ref, settings.models) for ref in refs]
    loaded = WorkloadInput() if workload is None else load_workload(workload)
    load = loaded.with_flags(
        requests_per_day=requests_per_day,
        input_tokens=input_tokens,
        output_tokens=output_tokens,
        days_per_month=days_per_month,
        gpu_hourly_usd=gpu_hourly,
        gpus=gpus,
        hours_per_month=hours_per_month,
        p95_target_s=None if p95_target is None else parse_duration(p95_target, "--p95-target"),
    )
    with Store.open(settings.db) as store:
        chosen = _chosen_perf_runs(store, configs, throughput_from or [])
        given = _given_rates(tokens_per_second or [], configs)
        models = [
            _gather(store, c, settings, load, chosen.get(c.name), given.get(c.name, given.get("")))
            for c in configs
        ]
        rows = [model_row(m, load) for m in models]
        document: dict[str, Any] = _rounded(
            {
                "workload": load.as_dict() | _volume(load),
                "models": rows,
                "break_even": break_even(rows, models, load),
            }
        )
        run_id = _store(store, settings, document, refs)
    if as_json:
        typer.echo(json.dumps({"run_id": run_id} | document))
        return
    print_cost(Console(), document, run_id)


def _rounded(value: Any) -> Any:
    """Floats to 10 decimals: $22.5, not the 22.499999999999996 float arithmetic gives."""
    if isinstance(value, float):
        return round(value, 10)
    if isinstance(value, dict):
        return {k: _rounded(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_rounded(v) for v in value]
    return value


def _volume(load: WorkloadInput) -> dict[str, Any]:
    per_day = load.requests_per_day
    return {"requests_per_month": None if per_day is None else per_day * load.days_per_month}


def _chosen_perf_runs(
    store: Store, configs: list[ModelConfig], run_ids: list[str]
) -> dict[str, RunRecord]:
    names = [c.name for c in configs]
    chosen: dict[str, RunRecord] = {}
    for run_id in run_ids:
        run = perf_run(store, "", run_id)
        assert run is not None  # perf_run raises for an id that is not a perf run
        measured = str(run.spec.get("model"))
        if measured not in names:
            raise ConfigError(
                f"--throughput-from: perf run {run.id[:12]} measured {measured}, which is not "
                f"among the models given ({', '.join(names)})",
                hint=f"add --model {measured}",
            )
        chosen[measured] = run
    return chosen


def _given_rates(values: list[str], configs: list[ModelConfig]) -> dict[str, float]:
    """``--tokens-per-second`` values by model name; ``""`` holds the one for every model."""
    names = [c.name for c in configs]
    rates: dict[str, float] = {}
    for value in values:
        name, _, number = value.rpartition("=")
        try:
            rate = float(number)
        except ValueError:
            rate = math.nan
        if not (math.isfinite(rate) and rate > 0):
            raise ConfigError(
                f"--tokens-per-second: {value!r} is not a positive number of tokens/s",
                hint="e.g. --tokens-per-second 1000, or MODEL=1000 for one model",
            )
        if name and name not in names:
            raise ConfigError(
                f"--tokens-per-second: {name!r} is not among the models given ({', '.join(names)})",
                hint=f"add --model {name}",
            )
        rates[name] = rate
    return rates


def _gather(
    store: Store,
    config: ModelConfig,
    settings: Settings,
    load: WorkloadInput,
    run: RunRecord | None,
    tokens_per_second: float | None,
) -> ModelInputs:
    notes: list[str] = []
    throughput = None
    if tokens_per_second is not None:
        throughput = Throughput(tokens_per_second, None, "given: --tokens-per-second")
    else:
        run = run or perf_run(store, config.name)
        if run is not None:
            throughput, note = _throughput(run, load.p95_target_s)
            notes += [note] if note else []
    price = price_for(config, settings.prices, PriceCatalog.builtin())
    return ModelInputs(
        name=config.name,
        local=_own_hardware(config) if price is None else price.source == LOCAL_SOURCE,
        price=price,
        tokens=token_sizes(load, measured_tokens(store, config.name)),
        throughput=throughput,
        solved=latest_solved(store, config.name),
        notes=tuple(notes),
    )


def _own_hardware(config: ModelConfig) -> bool:
    """Served by the user's own server (vLLM, llama.cpp...): no API bill unless priced."""
    host = KNOWN_HOSTS.get(config.provider)
    return config.provider == "local" or (host is not None and host.api_key_env is None)


def _throughput(run: RunRecord, target_s: float | None) -> tuple[Throughput | None, str | None]:
    summary = run.summary or {}
    levels = summary.get("levels") or []
    target = target_s if target_s is not None else run.spec.get("p95_target_s")
    chosen, why = best_level(levels, target, summary.get("saturation"))
    where = f"perf run {run.id[:12]} ({run.spec.get('prompt_source', '?')})"
    if chosen is None:
        return None, f"{where}: {why}; no self-hosted figure"
    tokens = chosen["output_tokens_per_s"]
    return Throughput(tokens, chosen["requests_per_s"], f"{where}, {why}"), None


def _store(store: Store, settings: Settings, document: dict[str, Any], refs: list[str]) -> str:
    environment = {
        "codejury": __version__,
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "config_file": str(settings.source) if settings.source else None,
    }
    spec = {"models": refs, "workload": document["workload"]}
    run_id = store.create_run(
        kind=KIND, benchmark=None, dataset_hash=None, spec=spec, environment=environment
    )
    store.finish_run(run_id, status="finished", summary=document)
    return run_id

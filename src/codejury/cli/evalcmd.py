"""``codejury eval``: generate → sanitize → score → store → summary, for any model."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import os
import platform
import sys
import time
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console

from codejury import __version__
from codejury.cli import app
from codejury.cli.common import progress_bar, select_ids
from codejury.cli.evalview import print_eval_summary
from codejury.cli.score import _score_with_progress
from codejury.config import Settings, load_settings
from codejury.cost import Price, PriceCatalog, cost_function, price_for
from codejury.datasets import BENCHMARK_IDS, load_benchmark
from codejury.errors import CodejuryError, ConfigError
from codejury.prompts import STYLES, PromptSpec, PromptStyle
from codejury.providers.base import Provider
from codejury.providers.mock import MockProvider
from codejury.providers.registry import ModelConfig, ProviderRegistry, guarded, resolve
from codejury.providers.retry import RetryEvent, RetryPolicy
from codejury.runner import EvalSpec, GenerationOutcome, GenerationProgress, Generator
from codejury.runsummary import cost_per_solved, generation_summary
from codejury.sandbox.jail import SandboxConfig
from codejury.sandbox.limits import Limits
from codejury.scoring.evaluate import ScoreInterrupted, ScoreOptions
from codejury.scoring.results import evalplus_results, summary, write_json
from codejury.scoring.samples import Sample, SampleSet
from codejury.store import Store

DEFAULT_MODEL = "local/smollm2"
"""The embedded default: the bundled local model, which needs no key and no network."""


@app.command("eval")
def eval_command(
    model: Annotated[
        str | None,
        typer.Option("--model", "-m", help="provider/model or a codejury.toml name."),
    ] = None,
    benchmark: Annotated[
        str | None, typer.Option("--benchmark", "-b", help=f"One of: {', '.join(BENCHMARK_IDS)}.")
    ] = None,
    n: Annotated[int | None, typer.Option("-n", min=1, help="Completions per task.")] = None,
    temperature: Annotated[
        float | None, typer.Option(min=0.0, help="Sampling temperature.")
    ] = None,
    max_tokens: Annotated[int | None, typer.Option(min=1, help="Most tokens per answer.")] = None,
    concurrency: Annotated[
        int | None, typer.Option(min=1, help="Requests in flight (default: the model's).")
    ] = None,
    seed: Annotated[int | None, typer.Option(help="Sampling seed, where supported.")] = None,
    timeout: Annotated[
        float | None, typer.Option("--timeout", min=0.001, help="Seconds per request attempt.")
    ] = None,
    style: Annotated[
        str | None,
        typer.Option(help="Prompt style: instruct (chat) or completion (base models)."),
    ] = None,
    tasks: Annotated[str | None, typer.Option(help="Only these task ids, comma-separated.")] = None,
    limit: Annotated[int | None, typer.Option(min=1, help="Only the first N tasks.")] = None,
    workers: Annotated[
        int | None, typer.Option("--workers", "-j", min=1, help="Sandbox workers.")
    ] = None,
    data_dir: Annotated[Path | None, typer.Option(help="Directory with the dataset files.")] = None,
    db: Annotated[str | None, typer.Option(help="Store path or URL.")] = None,
    config: Annotated[Path | None, typer.Option(help="codejury.toml to read.")] = None,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Also write EvalPlus results JSON here.")
    ] = None,
    retries: Annotated[
        int, typer.Option(min=0, help="Retries of a failed request (429, 5xx, timeouts).")
    ] = 5,
    no_cache: Annotated[
        bool, typer.Option("--no-cache", help="Request every answer again (cache still written).")
    ] = False,
    no_resume: Annotated[
        bool, typer.Option("--no-resume", help="Start a new run even if one is unfinished.")
    ] = False,
    dry_run: Annotated[
        bool,
        typer.Option(
            "--dry-run",
            help="Answer with the mock model (it returns the reference solutions): checks data, "
            "sandbox and store without calling the model.",
        ),
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the summary as JSON.")] = False,
) -> None:
    """Run a model on a benchmark and score it (default: the bundled local model on humaneval+)."""
    settings = load_settings(config).with_flags(
        model=model,
        benchmark=benchmark,
        n=n,
        temperature=temperature,
        max_tokens=max_tokens,
        timeout_s=timeout,
        workers=workers,
        data_dir=data_dir,
        db=db,
    )
    flags = EvalFlags(
        tasks=tasks,
        limit=limit,
        concurrency=concurrency,
        seed=seed,
        style=style,
        retries=retries,
        no_cache=no_cache,
        no_resume=no_resume,
        dry_run=dry_run,
        quiet=as_json,
        output=output,
    )
    try:
        outcome = run_eval(settings, settings.model or DEFAULT_MODEL, settings.benchmark, flags)
    except ScoreInterrupted:
        raise typer.Exit(130) from None
    if as_json:
        typer.echo(json.dumps(outcome.summary | {"run_id": outcome.run_id}))
    else:
        print_eval_summary(
            Console(), outcome.spec, outcome.summary, outcome.run_id, outcome.price, output
        )


@dataclasses.dataclass(frozen=True)
class EvalFlags:
    """How one eval runs, beyond the settings (see the ``codejury eval`` flags of the same names).

    Attributes:
        tasks: Only these task ids, comma-separated.
        limit: Only the first N tasks.
        concurrency: Requests in flight (default: the model's).
        seed: Sampling seed, where supported.
        style: Prompt style (``instruct`` or ``completion``); default from the model.
        retries: Retries of a failed request.
        no_cache: Request every answer again.
        no_resume: Start a new run even if one is unfinished.
        dry_run: Answer with the reference solutions instead of calling the model.
        quiet: No progress bars.
        output: Also write EvalPlus results JSON here.
    """

    tasks: str | None = None
    limit: int | None = None
    concurrency: int | None = None
    seed: int | None = None
    style: str | None = None
    retries: int = 5
    no_cache: bool = False
    no_resume: bool = False
    dry_run: bool = False
    quiet: bool = False
    output: Path | None = None


@dataclasses.dataclass(frozen=True)
class EvalOutcome:
    """A finished eval: its run id, spec, summary (as stored) and the price used."""

    run_id: str
    spec: EvalSpec
    summary: dict[str, Any]
    price: Price | None


def run_eval(settings: Settings, model_ref: str, benchmark: str, flags: EvalFlags) -> EvalOutcome:
    """Generate, score and store one model on one benchmark: what ``codejury eval`` does.

    An unfinished run of the same spec is resumed (unless ``flags.no_resume``), and answers
    come from the completion cache when they can.

    Args:
        settings: Resolved settings (n, temperature, max tokens, data dir, store...).
        model_ref: ``provider/model`` or a codejury.toml name.
        benchmark: Benchmark id.
        flags: The rest of the eval's options.

    Returns:
        The run's id, spec, summary and price.

    Raises:
        CodejuryError: Bad options, data, model failures (what finished is saved).
        ScoreInterrupted: Scoring was interrupted (the run is marked interrupted).
    """
    bench = load_benchmark(benchmark, settings.data_dir)
    model_config = resolve(model_ref, settings.models)
    if flags.concurrency is not None:
        model_config = dataclasses.replace(model_config, concurrency=flags.concurrency)
    spec = EvalSpec(
        model=model_config,
        benchmark=bench,
        task_ids=select_ids(
            list(bench.problems), flags.tasks, flags.limit, flag="--tasks", where=bench.id
        ),
        n=settings.n,
        temperature=settings.temperature,
        max_tokens=settings.max_tokens,
        seed=flags.seed,
        timeout_s=settings.timeout_s,
        prompt=PromptSpec(style=_style(flags.style, model_config)),
    )
    if spec.n > 1 and spec.temperature == 0:
        Console(stderr=True).print(
            "[yellow]warning:[/] n > 1 at temperature 0 asks for the same greedy answer n times"
        )
    dry_run = flags.dry_run
    price = None if dry_run else price_for(model_config, settings.prices, PriceCatalog.builtin())
    started = time.monotonic()
    with Store.open(settings.db) as store:
        run_id, resumed = _open_run(store, spec, settings, price, dry_run, flags.no_resume)
        status: str = "failed"
        summ: dict[str, Any] | None = None
        try:
            outcome = _generate(
                spec,
                store,
                run_id,
                price,
                _Flags(dry_run, flags.no_cache, flags.quiet, flags.retries),
            )
            gen = generation_summary(outcome.records)
            summ = {"generation": gen, "generation_seconds": round(outcome.wall_seconds, 3)}
            if outcome.stopped_by is not None:
                raise _stopped(outcome, run_id)
            samples = SampleSet(
                Path(f"run-{run_id[:12]}"),
                [Sample(r.task_id, r.index, r.code, 0) for r in outcome.records],
                [],
                [],
            )
            options = ScoreOptions(
                workers=settings.workers or (os.cpu_count() or 1),
                sandbox=SandboxConfig(),
            )
            result = _score_with_progress(bench, options, store, samples, run_id, flags.quiet)
            summ |= summary(result, [])
            headline = "plus" if bench.has_plus else next(iter(summ["pass_at_k"]))
            solved = summ["pass_at_k"][headline]["pass@1"]["value"] * summ["tasks"]
            summ["cost_per_solved_usd"] = cost_per_solved(gen["cost_usd"], solved)
            summ["wall_seconds"] = round(time.monotonic() - started, 3)
            summ["resumed"] = resumed
            if flags.output is not None:
                document = evalplus_results(result, [], spec.document() | {"run_id": run_id})
                write_json(flags.output, document)
            status = "finished"
        except (ScoreInterrupted, KeyboardInterrupt):
            status = "interrupted"
            raise
        finally:
            store.finish_run(run_id, status=status, summary=summ)
    assert summ is not None
    return EvalOutcome(run_id, spec, summ, price)


def _style(flag: str | None, model: ModelConfig) -> PromptStyle:
    chosen = flag or ("completion" if model.style == "completion" else "instruct")
    if chosen not in STYLES:
        raise ConfigError(f"--style must be one of: {', '.join(STYLES)}, not {chosen!r}")
    return "completion" if chosen == "completion" else "instruct"


def _open_run(
    store: Store,
    spec: EvalSpec,
    settings: Settings,
    price: Any,
    dry_run: bool,
    no_resume: bool,
) -> tuple[str, bool]:
    document = spec.document() | {"dry_run": dry_run}
    if dry_run:
        document["spec_key"] = "dry-run:" + document["spec_key"]
    if not no_resume:
        previous = store.generations.resumable_run("eval", document["spec_key"])
        if previous is not None:
            store.reopen_run(previous.id)
            return previous.id, True
    document["price"] = None if price is None else dataclasses.asdict(price)
    document["limits"] = dataclasses.asdict(Limits())
    environment = {
        "codejury": __version__,
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "config_file": str(settings.source) if settings.source else None,
    }
    run_id = store.create_run(
        kind="eval",
        benchmark=spec.benchmark.id,
        dataset_hash=spec.benchmark.content_hash,
        spec=document,
        environment=environment,
    )
    return run_id, False


@dataclasses.dataclass(frozen=True)
class _Flags:
    dry_run: bool
    no_cache: bool
    quiet: bool
    retries: int


def _provider(spec: EvalSpec, flags: _Flags, progress: GenerationProgress) -> Provider:
    if flags.dry_run:
        # Each request gets its problem's reference solution, in the form the style expects.
        completion = spec.prompt.style == "completion"
        answers = {
            spec.request(p, 0).text: p.canonical_solution
            if completion
            else f"```python\n{p.reference_program}\n```"
            for p in spec.benchmark.problems.values()
        }
        inner: Provider = MockProvider(f"dry-run/{spec.model.name}", answers)
    else:
        inner = ProviderRegistry().create(spec.model)

    def count(_event: RetryEvent) -> None:
        progress.retries += 1

    policy = RetryPolicy(attempts=flags.retries + 1)
    return guarded(spec.model, inner, policy=policy, on_retry=count)


def _generate(
    spec: EvalSpec,
    store: Store,
    run_id: str,
    price: Any,
    flags: _Flags,
) -> GenerationOutcome:
    counts = GenerationProgress(total=len(spec.task_ids) * spec.n)
    provider = _provider(spec, flags, counts)

    with progress_bar(flags.quiet) as bar:
        task = bar.add_task(f"generating ({spec.model.name})", total=counts.total)

        def show(p: GenerationProgress) -> None:
            extra = [f"{p.cached} cached"] if p.cached else []
            extra += [f"{p.failed} failed"] if p.failed else []
            extra += [f"{p.retries} retries"] if p.retries else []
            label = f"generating ({spec.model.name})" + (f" · {', '.join(extra)}" if extra else "")
            bar.update(task, completed=p.done, description=label)

        generator = Generator(
            spec,
            provider,
            store,
            run_id,
            cost=cost_function(price),
            use_cache=not (flags.no_cache or flags.dry_run),
            on_progress=lambda p: show(_merge(p, counts)),
        )
        return asyncio.run(_run_and_close(generator, provider))


def _merge(p: GenerationProgress, counts: GenerationProgress) -> GenerationProgress:
    p.retries = counts.retries
    return p


async def _run_and_close(generator: Generator, provider: Provider) -> GenerationOutcome:
    try:
        return await generator.run()
    finally:
        await provider.aclose()


def _stopped(outcome: GenerationOutcome, run_id: str) -> CodejuryError:
    error = outcome.stopped_by
    assert error is not None
    saved = sum(r.error is None for r in outcome.records)
    note = f"{saved} answers are saved in run {run_id[:12]}; run the same command to resume"
    error.hint = f"{error.hint}; {note}" if error.hint else note
    return error

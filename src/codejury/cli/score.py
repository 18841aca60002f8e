"""``codejury score``: sandboxed, EvalPlus-compatible scoring of a samples file."""

from __future__ import annotations

import dataclasses
import json
import os
import tempfile
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console

from codejury.cli import app, err_console
from codejury.cli.common import progress_bar
from codejury.cli.evalview import print_pass_at_k, print_statuses
from codejury.datasets import BENCHMARK_IDS, Benchmark, load_benchmark
from codejury.errors import ConfigError
from codejury.sandbox.jail import SandboxConfig
from codejury.sandbox.limits import Limits
from codejury.scoring.evaluate import ScoreInterrupted, ScoreOptions, Scorer, ScoreResult
from codejury.scoring.results import evalplus_results, summary, write_json
from codejury.scoring.samples import SampleSet, read_samples
from codejury.store import Store

_STAGES = {
    "reference": "expected outputs",
    "score": "scoring",
    "retry": "re-running timeouts alone",
}


@app.command("score")
def score(
    benchmark: Annotated[
        str, typer.Option("--benchmark", "-b", help=f"One of: {', '.join(BENCHMARK_IDS)}.")
    ] = "humaneval+",
    samples: Annotated[
        Path | None,
        typer.Option(
            "--samples", "-s", help="EvalPlus JSONL: {task_id, solution|completion} per line."
        ),
    ] = None,
    canonical: Annotated[
        bool, typer.Option("--canonical", help="Score the benchmark's own reference solutions.")
    ] = False,
    output: Annotated[
        Path | None,
        typer.Option(
            "--output",
            "-o",
            help="Results JSON (EvalPlus format). Default: SAMPLES_eval_results.json.",
        ),
    ] = None,
    workers: Annotated[
        int, typer.Option("--workers", "-j", min=0, help="Sandbox workers (default 0 = CPU count).")
    ] = 0,
    data_dir: Annotated[
        Path | None,
        typer.Option(
            "--data-dir",
            help="Directory holding the dataset files (else $CODEJURY_DATA_DIR, cache, download).",
        ),
    ] = None,
    db: Annotated[
        str | None,
        typer.Option(
            "--db", help="Store path or URL (default: $CODEJURY_DB or the user data dir)."
        ),
    ] = None,
    test_details: Annotated[
        bool,
        typer.Option(
            "--test-details", help="Run every input instead of stopping at the first failure."
        ),
    ] = False,
    no_cache: Annotated[
        bool, typer.Option("--no-cache", help="Ignore cached verdicts (they are still written).")
    ] = False,
    min_time_limit: Annotated[
        float, typer.Option(help="Floor of each input's time limit, seconds.")
    ] = 1.0,
    gt_time_limit_factor: Annotated[
        float, typer.Option(help="Time limit as a multiple of the reference's time.")
    ] = 4.0,
    unsafe_sandbox: Annotated[
        bool,
        typer.Option(
            "--unsafe-sandbox", help="Run even without seccomp (verdicts and host NOT protected)."
        ),
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the summary as JSON.")] = False,
) -> None:
    """Score code samples in the sandbox; print pass@k with 95% intervals and status counts."""
    if (samples is None) == (not canonical):
        raise ConfigError("give exactly one of --samples FILE or --canonical")
    bench = load_benchmark(benchmark, data_dir)
    if canonical:
        samples = _canonical_file(bench)
    assert samples is not None
    try:
        sample_set = read_samples(samples, bench)
    finally:
        if canonical:
            samples.unlink(missing_ok=True)
    out_path = output or _default_output(samples, canonical, bench.id)
    _check_writable(out_path)
    options = ScoreOptions(
        workers=workers or (os.cpu_count() or 1),
        test_details=test_details,
        use_cache=not no_cache,
        limits=Limits(min_time_limit=min_time_limit, time_limit_factor=gt_time_limit_factor),
        sandbox=SandboxConfig(allow_degraded=unsafe_sandbox),
    )
    spec: dict[str, Any] = {
        "samples": "(canonical solutions)" if canonical else str(samples),
        "benchmark": bench.id,
        "workers": options.workers,
        "test_details": test_details,
        "canonical": canonical,
        "limits": dataclasses.asdict(options.limits),
    }
    for w in sample_set.warnings[:20]:
        err_console.print(f"[yellow]warning:[/] {w}", highlight=False)
    if len(sample_set.warnings) > 20:
        err_console.print(f"[yellow]warning:[/] ... and {len(sample_set.warnings) - 20} more")
    with Store.open(db) as store:
        run_id = store.create_run(
            kind="score",
            benchmark=bench.id,
            dataset_hash=bench.content_hash,
            spec=spec,
            environment={"sandbox_python": options.sandbox.interpreter},
        )
        status, summ = "failed", None
        try:
            result = _score_with_progress(bench, options, store, sample_set, run_id, as_json)
            summ = summary(result, sample_set.missing_tasks)
            document = evalplus_results(result, sample_set.missing_tasks, spec | {"run_id": run_id})
            try:
                write_json(out_path, document)
            except OSError as exc:
                raise ConfigError(
                    f"cannot write results to {out_path}: {exc.strerror or exc}",
                    hint=f"the verdicts are saved in the store (run {run_id[:12]}); rerun with another --output",
                ) from exc
            status = "finished"
        except ScoreInterrupted as stop:
            status, summ = "interrupted", summary(stop.result, sample_set.missing_tasks)
            raise typer.Exit(130) from None
        finally:
            store.finish_run(run_id, status=status, summary=summ)
    if as_json:
        typer.echo(json.dumps(summ | {"run_id": run_id, "output": str(out_path)}))
    else:
        _print_summary(Console(), result, summ, out_path, run_id)


def _score_with_progress(
    bench: Benchmark,
    options: ScoreOptions,
    store: Store,
    sample_set: SampleSet,
    run_id: str,
    quiet: bool,
) -> ScoreResult:
    with progress_bar(quiet) as progress:
        bars: dict[str, Any] = {}

        def report(stage: str, done: int, total: int) -> None:
            if stage not in bars:
                bars[stage] = progress.add_task(_STAGES.get(stage, stage), total=total)
            progress.update(bars[stage], completed=done, total=total)

        return Scorer(bench, options, store, report).score(sample_set, run_id)


def _check_writable(path: Path) -> None:
    # Fail before scoring, not after minutes of work.
    if path.is_dir():
        raise ConfigError(
            f"--output {path} is a directory", hint="give a file name, e.g. results.json"
        )
    parent = path.parent if str(path.parent) else Path(".")
    try:
        parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ConfigError(
            f"--output {path}: cannot create {parent}: {exc.strerror or exc}"
        ) from exc
    if not os.access(parent, os.W_OK):
        raise ConfigError(f"--output {path}: directory {parent} is not writable")


def _canonical_file(bench: Any) -> Path:
    # The reference solutions as a samples file, so they go through exactly the same path.
    fd, name = tempfile.mkstemp(
        prefix=f"codejury-{bench.id.replace('+', 'plus')}-canonical-", suffix=".jsonl"
    )
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        for p in bench.problems.values():
            f.write(json.dumps({"task_id": p.task_id, "solution": p.reference_program}) + "\n")
    return Path(name)


def _default_output(samples: Path, canonical: bool, bench_id: str) -> Path:
    if canonical:
        return Path(f"{bench_id.replace('+', 'plus')}-canonical_eval_results.json")
    name = samples.name[: -len(".jsonl")] if samples.name.endswith(".jsonl") else samples.name
    return samples.with_name(name + "_eval_results.json")


def _print_summary(
    console: Console,
    result: ScoreResult,
    summ: dict[str, Any],
    out_path: Path,
    run_id: str,
) -> None:
    iso = result.isolation
    console.print(
        f"[bold]{result.benchmark.id}[/] {result.benchmark.version} · {summ['samples']} samples on "
        f"{summ['tasks']} tasks"
        + (f" · [yellow]{summ['missing_tasks']} tasks missing[/]" if summ["missing_tasks"] else "")
    )
    print_pass_at_k(console, summ)
    print_statuses(console, summ)
    console.print(
        f"wall time {result.wall_seconds:.1f} s (expected outputs {result.reference_seconds:.1f} s) · "
        f"{result.cached} cached · {result.retried} timeouts re-run alone"
    )
    style = (
        "green"
        if iso.level.startswith(("L4", "L3"))
        else "yellow"
        if iso.level.startswith(("L2", "L1"))
        else "red"
    )
    console.print(f"sandbox: [{style}]{iso.describe()}[/]")
    for w in iso.warnings:
        console.print(f"  [yellow]warning:[/] {w}")
    console.print(f"results: {out_path} · run {run_id[:12]} (in the store)")

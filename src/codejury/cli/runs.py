"""``codejury runs list | show | export``: what is in the store, and EvalPlus-format exports."""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from codejury.cli import app
from codejury.cli.evalview import print_generation, print_pass_at_k, print_statuses
from codejury.datasets import load_benchmark
from codejury.errors import ConfigError, DataError
from codejury.sandbox.jail import Isolation
from codejury.sandbox.limits import Limits
from codejury.scoring.evaluate import SampleVerdict, ScoreResult
from codejury.scoring.results import evalplus_results, write_json
from codejury.scoring.samples import Sample
from codejury.scoring.verdicts import PartVerdict
from codejury.store import RunRecord, Store

runs_app = typer.Typer(help="List, inspect and export stored runs.", no_args_is_help=True)
app.add_typer(runs_app, name="runs")

DbOption = Annotated[str | None, typer.Option(help="Store path or URL (default: $CODEJURY_DB).")]


def _headline(run: RunRecord) -> str:
    summ = run.summary or {}
    est = summ.get("pass_at_k", {})
    name = "plus" if "plus" in est else next(iter(est), None)
    if name is None or "pass@1" not in est[name]:
        return ""
    label = {"plus": "plus", "base": "base", "check": "check"}[name]
    return f"{100 * est[name]['pass@1']['value']:.1f}% ({label})"


@runs_app.command("list")
def list_runs(
    kind: Annotated[str | None, typer.Option(help="Only runs of this kind (eval, score).")] = None,
    limit: Annotated[int, typer.Option(min=1, help="At most this many runs.")] = 20,
    db: DbOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """The newest runs first."""
    with Store.open(db) as store:
        runs = store.list_runs(kind=kind, limit=limit)
    if as_json:
        typer.echo(json.dumps([asdict(r) for r in runs]))
        return
    table = Table()
    for column in (
        "run",
        "kind",
        "status",
        "created (UTC)",
        "model / samples",
        "benchmark",
        "pass@1",
    ):
        table.add_column(column)
    for r in runs:
        what = r.spec.get("model") or Path(str(r.spec.get("samples", ""))).name
        table.add_row(
            r.id[:12],
            r.kind,
            r.status,
            r.created_at[:19].replace("T", " "),
            str(what),
            r.benchmark or "",
            _headline(r),
        )
    Console().print(table)


@runs_app.command("show")
def show_run(
    run: Annotated[str, typer.Argument(help="Run id or a unique prefix (4+ characters).")],
    db: DbOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Spec, environment and results of one run."""
    with Store.open(db) as store:
        record = store.get_run(run)
    if as_json:
        typer.echo(json.dumps(asdict(record)))
        return
    console = Console()
    spec = record.spec
    console.print(
        f"[bold]run {record.id}[/] · {record.kind} · {record.status} · "
        f"created {record.created_at} · finished {record.finished_at or '–'}"
    )
    shown = {k: v for k, v in spec.items() if k not in ("task_ids", "prompt", "model_metadata")}
    for key, value in shown.items():
        console.print(f"  {key}: {value}", highlight=False)
    if "prompt" in spec:
        console.print(f"  prompt style: {spec['prompt'].get('style')}")
    console.print(f"  environment: {record.environment}", highlight=False)
    summ = record.summary or {}
    if summ.get("pass_at_k"):
        print_pass_at_k(console, summ)
        print_statuses(console, summ)
    if summ.get("generation"):
        print_generation(console, summ["generation"])
    if not summ:
        console.print("[yellow]no results yet[/] (the run did not finish)")


@runs_app.command("export")
def export_run(
    run: Annotated[str, typer.Argument(help="Run id or a unique prefix.")],
    fmt: Annotated[str, typer.Option("--format", help="Export format: evalplus.")] = "evalplus",
    out: Annotated[
        Path | None, typer.Option("--out", "-o", help="Directory to write (default: ./RUN).")
    ] = None,
    data_dir: Annotated[Path | None, typer.Option(help="Directory with the dataset files.")] = None,
    db: DbOption = None,
) -> None:
    """Write the run's samples and results as EvalPlus files (samples.jsonl, eval_results.json)."""
    if fmt != "evalplus":
        raise ConfigError(f"unknown export format {fmt!r}", hint="use --format evalplus")
    with Store.open(db) as store:
        record = store.get_run(run)
        generations = store.generations.of_run(record.id)
        samples = store.run_samples(record.id)
        verdicts = store.run_verdicts(record.id)
    target = out or Path(record.id[:12])
    target.mkdir(parents=True, exist_ok=True)
    lines: list[dict[str, Any]] = []
    if generations:
        # EvalPlus's codegen writes the sanitized program as "solution"; the raw answer and
        # the sanitizer's rule ride along for anyone who wants to re-check the extraction.
        lines = [
            {
                "task_id": g.task_id,
                "solution": g.code,
                "raw_solution": g.raw_text,
                "sanitize_rule": g.sanitize_rule,
            }
            for g in generations
        ]
    else:
        lines = [{"task_id": s.task_id, "solution": s.solution} for s in samples]
    samples_path = target / "samples.jsonl"
    samples_path.write_text("".join(json.dumps(line) + "\n" for line in lines), encoding="utf-8")
    written = [samples_path]
    if verdicts and record.benchmark:
        document = _results_document(record, samples, verdicts, data_dir)
        results_path = target / "eval_results.json"
        write_json(results_path, document)
        written.append(results_path)
    for path in written:
        typer.echo(str(path))


def _results_document(
    record: RunRecord, samples: list[Any], verdicts: list[Any], data_dir: Path | None
) -> dict[str, Any]:
    assert record.benchmark is not None
    bench = load_benchmark(record.benchmark, data_dir)
    if record.dataset_hash and bench.content_hash != record.dataset_hash:
        raise DataError(
            f"run {record.id[:12]} used {record.benchmark} with hash {record.dataset_hash}, "
            f"but the dataset found now has {bench.content_hash}",
            hint="point --data-dir at the dataset version the run used",
        )
    parts: dict[tuple[str, int], dict[str, PartVerdict]] = {}
    for v in verdicts:
        parts.setdefault((v.task_id, v.index), {})[v.part] = PartVerdict.from_dict(v.detail)
    scored = [
        SampleVerdict(Sample(s.task_id, s.index, s.solution, 0), parts[(s.task_id, s.index)])
        for s in samples
        if (s.task_id, s.index) in parts
    ]
    summ = record.summary or {}
    sandbox = summ.get("sandbox") or {}
    isolation = Isolation(
        level=str(sandbox.get("level", "unknown")),
        namespaces=tuple(sandbox.get("namespaces", ())),
        landlock_abi=int(sandbox.get("landlock_abi", 0)),
        seccomp=bool(sandbox.get("seccomp", False)),
        setuid=bool(sandbox.get("setuid", False)),
        python=str(sandbox.get("python", "")),
        warnings=tuple(sandbox.get("warnings", ())),
    )
    limits = Limits(**record.spec.get("limits", {}))
    result = ScoreResult(
        bench,
        scored,
        isolation,
        limits,
        float(summ.get("wall_seconds", 0.0)),
        float(summ.get("reference_seconds", 0.0)),
        int(summ.get("cached", 0)),
        int(summ.get("retried_timeouts", 0)),
    )
    return evalplus_results(result, [], record.spec | {"run_id": record.id})

"""How an eval run's summary looks in a terminal (shared by ``eval`` and ``runs show``)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich.console import Console
from rich.table import Table

if TYPE_CHECKING:
    from codejury.runner import EvalSpec


def _money(value: float | None) -> str:
    if value is None:
        return "unknown price"
    return f"${value:.4f}" if value < 1 else f"${value:,.2f}"


def _seconds(d: dict[str, float] | None, key: str) -> str:
    return "–" if not d else f"{d[key]:.2f} s"


def print_pass_at_k(console: Console, summ: dict[str, Any]) -> None:
    """The pass@k table with intervals."""
    table = Table(title="pass@k (95% bootstrap interval over tasks)")
    for name in ("test set", "k", "pass@k", "95% CI"):
        table.add_column(name, justify="left" if name == "test set" else "right")
    for name, est in summ.get("pass_at_k", {}).items():
        label = {"plus": "base + plus", "check": "check()"}.get(name, name)
        for k, e in est.items():
            table.add_row(
                label,
                k.split("@")[1],
                f"{100 * e['value']:.1f}%",
                f"{100 * e['low']:.1f} – {100 * e['high']:.1f}",
            )
    console.print(table)


def print_statuses(console: Console, summ: dict[str, Any]) -> None:
    """Status counts per test set."""
    counts = summ.get("status_counts") or {}
    if not counts:
        return
    table = Table(title="statuses")
    table.add_column("test set")
    statuses = list(next(iter(counts.values())))
    for s in statuses:
        table.add_column(s, justify="right")
    for part, c in counts.items():
        table.add_row(part, *[str(c[s]) for s in statuses])
    console.print(table)


def print_generation(console: Console, gen: dict[str, Any]) -> None:
    """Tokens, cost, latency and failures of the generation phase."""
    table = Table(title="generation", show_header=True)
    table.add_column("")
    table.add_column("mean", justify="right")
    table.add_column("p50", justify="right")
    table.add_column("p95", justify="right")
    for name, key in (("time to first token", "ttft_s"), ("latency", "latency_s")):
        d = gen.get(key)
        table.add_row(name, _seconds(d, "mean"), _seconds(d, "p50"), _seconds(d, "p95"))
    console.print(table)
    requested = gen["requested"]
    console.print(
        f"answers {gen['completions']} ({requested} requested now, {gen['cached']} from the "
        f"cache; latency from the {requested} requested)"
        f" · tokens in {gen['input_tokens']:,} / out {gen['output_tokens']:,}"
        f" · cost {_money(gen['cost_usd'])}"
    )
    problems = [
        f"{gen[k]} {label}"
        for k, label in (
            ("truncated", "truncated at max_tokens"),
            ("empty", "empty"),
            ("no_code", "without code"),
            ("failed_requests", "failed requests"),
        )
        if gen.get(k)
    ]
    if problems:
        console.print("[yellow]" + " · ".join(problems) + "[/]")
    for message, count in (gen.get("errors") or {}).items():
        console.print(f"  [yellow]{count}×[/] {message}", highlight=False)


def print_eval_summary(
    console: Console,
    spec: EvalSpec,
    summ: dict[str, Any],
    run_id: str,
    price: Any,
    output: Path | None,
) -> None:
    """The whole summary of a finished eval run."""
    console.print(
        f"[bold]{spec.model.name}[/] on [bold]{spec.benchmark.id}[/] {spec.benchmark.version}"
        f" · {summ['tasks']} tasks × n={spec.n} · {spec.prompt.style} prompts"
        f" · temperature {spec.temperature:g} · max_tokens {spec.max_tokens}"
    )
    print_pass_at_k(console, summ)
    print_statuses(console, summ)
    print_generation(console, summ["generation"])
    if price is not None:
        console.print(
            f"price: ${price.input_per_m:g} in / ${price.output_per_m:g} out per 1M tokens "
            f"({price.source}" + (f", {price.as_of})" if price.as_of else ")"),
            highlight=False,
        )
    per_solved = summ.get("cost_per_solved_usd")
    if per_solved is not None:
        console.print(f"cost per solved task: {_money(per_solved)}")
    console.print(
        f"wall time {summ['wall_seconds']:.1f} s (generation {summ['generation_seconds']:.1f} s,"
        f" scoring {summ['wall_seconds'] - summ['generation_seconds']:.1f} s)"
        + (" · resumed an unfinished run" if summ.get("resumed") else "")
    )
    sandbox = summ.get("sandbox", {})
    if sandbox:
        console.print(f"sandbox: {sandbox.get('level', '?')}")
    if output is not None:
        console.print(f"results: {output}")
    console.print(f"run {run_id[:12]} (in the store: codejury runs show {run_id[:12]})")

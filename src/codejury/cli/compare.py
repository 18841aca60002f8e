"""``codejury compare A B``: is model A better than model B on the same benchmark?"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from codejury.cli import app, err_console
from codejury.errors import DataError
from codejury.scoring.metrics import Estimate, PairedComparison, paired_compare, pass_at_k_summary
from codejury.scoring.resultsfile import ResultsFile, load_results

# The verdict, the intervals and the p-value all use one level so they cannot disagree in
# wording; 95% is what readers of benchmark tables expect.
ALPHA = 0.05
CONFIDENCE = 0.95


@dataclass(frozen=True)
class _Outcome:
    test_set: str
    only_in_a: int
    only_in_b: int
    a: Estimate
    b: Estimate
    comparison: PairedComparison
    verdict: str
    warnings: list[str]


@app.command("compare")
def compare(
    a: Annotated[Path, typer.Argument(metavar="A", help="Results file of model A.")],
    b: Annotated[Path, typer.Argument(metavar="B", help="Results file of model B.")],
    plus: Annotated[
        bool | None,
        typer.Option(
            "--plus/--base",
            help="Score on base+plus tests or base tests only. [default: plus if both have it]",
            show_default=False,
        ),
    ] = None,
    json_output: Annotated[
        bool, typer.Option("--json", help="Print machine-readable JSON instead of a table.")
    ] = False,
    seed: Annotated[int, typer.Option(help="Seed of the bootstrap and permutation test.")] = 0,
) -> None:
    """Compare two eval_results.json files task by task (pass@1, intervals, paired test)."""
    res_a, res_b = load_results(a), load_results(b)
    outcome = _compare(res_a, res_b, plus, seed)
    for warning in outcome.warnings:
        err_console.print(f"[yellow]warning:[/] {warning}", highlight=False)
    if json_output:
        sys.stdout.write(json.dumps(_as_json(res_a, res_b, outcome), indent=2) + "\n")
    else:
        _print_table(res_a, res_b, outcome)


def _compare(a: ResultsFile, b: ResultsFile, plus: bool | None, seed: int) -> _Outcome:
    warnings: list[str] = []
    if plus is None:
        plus = a.plus is not None and b.plus is not None
        if not plus and (a.plus is not None or b.plus is not None):
            lacking = a.path if a.plus is None else b.path
            warnings.append(f"{lacking} has no plus results; comparing on base tests only")
    elif plus:
        for res in (a, b):
            if res.plus is None:
                raise DataError(f"{res.path} has no plus results", hint="use --base")
    per_a = a.plus if plus and a.plus is not None else a.base
    per_b = b.plus if plus and b.plus is not None else b.base

    if a.dataset_hash and b.dataset_hash and a.dataset_hash != b.dataset_hash:
        warnings.append(
            f"dataset hashes differ ({a.dataset_hash} vs {b.dataset_hash}): the two runs used "
            "different benchmark versions, so the same task ids may not mean the same tasks"
        )
    if a.benchmark and b.benchmark and a.benchmark != b.benchmark:
        warnings.append(f"benchmarks differ ({a.benchmark} vs {b.benchmark})")
    common = sorted(set(per_a) & set(per_b))
    only_a, only_b = len(per_a) - len(common), len(per_b) - len(common)
    if not common:
        raise DataError(
            f"{a.path} and {b.path} have no task id in common", hint="compare runs of one benchmark"
        )
    if only_a or only_b:
        warnings.append(
            f"task sets differ: comparing the {len(common)} tasks in both "
            f"({only_a} only in A, {only_b} only in B)"
        )

    # Both scores use the shared tasks only, so that their difference is the paired diff.
    sub_a = {t: per_a[t] for t in common}
    sub_b = {t: per_b[t] for t in common}
    est_a = pass_at_k_summary(sub_a, [1], confidence=CONFIDENCE, seed=seed)[1]
    est_b = pass_at_k_summary(sub_b, [1], confidence=CONFIDENCE, seed=seed)[1]
    comparison = paired_compare(sub_a, sub_b, confidence=CONFIDENCE, seed=seed)
    return _Outcome(
        test_set="plus" if plus else "base",
        only_in_a=only_a,
        only_in_b=only_b,
        a=est_a,
        b=est_b,
        comparison=comparison,
        verdict=_verdict(comparison),
        warnings=warnings,
    )


def _verdict(c: PairedComparison) -> str:
    p = _format_p(c.p_value)
    if c.p_value < ALPHA and c.diff != 0:
        better, worse = ("A", "B") if c.diff > 0 else ("B", "A")
        return f"{better} is better than {worse} ({p})"
    return f"no significant difference at the {ALPHA:.0%} level ({p})"


def _format_p(p: float) -> str:
    # Three decimals read well down to 0.001; below that, a fixed-point "0.000" would look
    # like an impossible zero, so switch to scientific notation.
    return f"p={p:.3f}" if p >= 0.001 else f"p={p:.1e}"


def _pct(e: Estimate) -> str:
    return f"{e.value:.1%} [{e.low:.1%}, {e.high:.1%}]"


def _print_table(a: ResultsFile, b: ResultsFile, o: _Outcome) -> None:
    c = o.comparison
    console = Console()
    level = f"{CONFIDENCE:.0%}"
    table = Table(title=f"pass@1 on {o.test_set} tests, {c.n_tasks} tasks ({level} intervals)")
    table.add_column("")
    table.add_column("results file", overflow="fold")
    table.add_column(f"pass@1 [{level} CI]", justify="right")
    table.add_column("tasks won", justify="right")
    table.add_row("A", str(a.path), _pct(o.a), str(c.a_only))
    table.add_row("B", str(b.path), _pct(o.b), str(c.b_only))
    diff = f"{c.diff * 100:+.1f} pts [{c.low * 100:+.1f}, {c.high * 100:+.1f}]"
    table.add_row("A − B", "", diff, "", end_section=True)
    table.add_row("p-value", c.method, _format_p(c.p_value).removeprefix("p="), "")
    console.print(table)
    console.print(f"[bold]{o.verdict}[/]", highlight=False)


def _estimate_json(e: Estimate) -> dict[str, float]:
    return {"value": e.value, "low": e.low, "high": e.high}


def _as_json(a: ResultsFile, b: ResultsFile, o: _Outcome) -> dict[str, Any]:
    c = o.comparison
    return {
        "test_set": o.test_set,
        "confidence": CONFIDENCE,
        "n_tasks": c.n_tasks,
        "only_in_a": o.only_in_a,
        "only_in_b": o.only_in_b,
        "a": {
            "path": str(a.path),
            "dataset_hash": a.dataset_hash,
            "pass_at_1": _estimate_json(o.a),
        },
        "b": {
            "path": str(b.path),
            "dataset_hash": b.dataset_hash,
            "pass_at_1": _estimate_json(o.b),
        },
        "difference": {
            "value": c.diff,
            "low": c.low,
            "high": c.high,
            "p_value": c.p_value,
            "method": c.method,
            "a_only": c.a_only,
            "b_only": c.b_only,
        },
        "verdict": o.verdict,
        "warnings": o.warnings,
    }

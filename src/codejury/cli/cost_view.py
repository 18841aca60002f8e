"""How ``codejury cost`` looks in a terminal: one column per model, then break-even and prices.

Every figure comes from the JSON document ``codejury cost --json`` prints, so the two never
disagree. Text that may hold brackets (notes, sources) is printed without Rich markup.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from rich.console import Console
from rich.table import Table

Row = dict[str, Any]


def money(value: float | None) -> str:
    """``$1,825.00``, ``$58.50``, ``$0.6944``, ``$0.0001950``; ``–`` when unknown."""
    if value is None:
        return "–"
    if value >= 1 or value == 0:
        return f"${value:,.2f}"
    # Four significant digits, never in exponent form: $0.6944, $0.00002455.
    decimals = max(2, 3 - math.floor(math.log10(value)))
    return f"${value:.{decimals}f}"


def price_text(value: float) -> str:
    """A list price as published: ``$0.15``, ``$0.60``, ``$0.075``, ``$2.50``."""
    return f"${value:.2f}" if round(value, 2) == value else f"${value:g}"


def _plain(console: Console, text: str) -> None:
    console.print(text, markup=False, highlight=False)


def print_cost(console: Console, document: dict[str, Any], run_id: str) -> None:
    """The comparison table, break-even, prices with source and date, and notes."""
    load = document["workload"]
    rows: list[Row] = document["models"]
    per_day = load["requests_per_day"]
    if per_day is not None:
        _plain(
            console,
            f"workload: {per_day:,.0f} requests/day × {load['days_per_month']:g} days = "
            f"{load['requests_per_month']:,.0f} requests/month",
        )
    else:
        _plain(console, "workload: no volume given (--requests-per-day): per-request figures only")
    if load["gpu_hourly_usd"] is not None:
        gpus = load["gpus"]
        _plain(
            console,
            f"self-hosted deployment: {gpus} GPU{'s' if gpus > 1 else ''} × "
            f"{price_text(load['gpu_hourly_usd'])}/h × {load['hours_per_month']:g} h/month",
        )
    table = Table(title="cost per model")
    table.add_column("")
    for row in rows:
        table.add_column(row["model"], justify="right")
    for label, cell in _LINES:
        cells = [cell(row) for row in rows]
        if any(c != "–" for c in cells):  # a line no model has a figure for says nothing
            table.add_row(label, *cells)
    console.print(table)
    if document["break_even"]:
        _print_break_even(console, document["break_even"])
    _plain(console, "prices (USD per 1M tokens), with source and date:")
    for row in rows:
        _plain(console, f"  {row['model']}: {_price_line(row)}")
    for row in rows:
        for note in row["notes"]:
            _plain(console, f"  note ({row['model']}): {note}")
    _plain(console, f"run {run_id} (stored; `codejury runs show {run_id[:12]}`)")


def _price_line(row: Row) -> str:
    price = row["price"]
    if row["own_hardware"]:
        return "no API price: served on your own hardware (self-hosted figures apply)"
    if price is None:
        return "no price known"
    via = f", read from {price['via']}" if price.get("via") else ""
    return (
        f"input {price_text(price['input_per_m'])}, output {price_text(price['output_per_m'])}"
        f" — source: {price['source']}, as of {price['as_of'] or 'date not given'}{via}"
    )


def _print_break_even(console: Console, pairs: list[Row]) -> None:
    table = Table(title="break-even: monthly API bill = one self-hosted deployment")
    for name in ("API", "self-hosted", "deployment $/month", "break-even", "verdict"):
        table.add_column(
            name, justify="left" if name in ("API", "self-hosted", "verdict") else "right"
        )
    for pair in pairs:
        if pair["requests_per_day"] is not None:
            even = f"{pair['requests_per_day']:,.0f} requests/day"
        elif pair["m_tokens_per_day"] is not None:
            even = f"{pair['m_tokens_per_day']:,.2f} M tokens/day (3:1 blend)"
        else:
            even = "–"
        verdict = {
            True: "self-hosting is cheaper above it",
            False: "never: the API is cheaper per request even at full load",
            None: "capacity unknown",
        }[pair["within_capacity"]]
        if pair["requests_per_day"] is None and pair["m_tokens_per_day"] is None:
            verdict = "the API costs nothing"
        table.add_row(
            pair["api_model"],
            pair["self_hosted_model"],
            money(pair["self_hosted_usd_per_month"]),
            even,
            verdict,
        )
    console.print(table)


def _tokens(row: Row) -> str:
    t = row["tokens"]
    if t["input"] is None:
        return "unknown"
    return f"{t['input']:,.0f} in + {t['output']:,.0f} out"


def _api(key: str) -> Callable[[Row], str]:
    return lambda row: "–" if row["api"] is None else money(row["api"][key])


def _hosted(key: str) -> Callable[[Row], str]:
    return lambda row: "–" if row["self_hosted"] is None else money(row["self_hosted"][key])


def _solved(key: str) -> Callable[[Row], str]:
    def cell(row: Row) -> str:
        solved = row["cost_per_solved"]
        return "–" if solved is None else money(solved[key])

    return cell


def _capacity(row: Row) -> str:
    hosted = row["self_hosted"]
    value = None if hosted is None else hosted["capacity_requests_per_day"]
    return "–" if value is None else f"{value:,.0f} req/day"


def _deployments(row: Row) -> str:
    hosted = row["self_hosted"]
    if hosted is None or hosted["workload_usd_per_month"] is None:
        return "–"
    return f"{money(hosted['workload_usd_per_month'])} ({hosted['deployments_needed']}×)"


def _throughput(row: Row) -> str:
    hosted = row["self_hosted"]
    if hosted is None:
        return "–"
    if hosted["output_tokens_per_s"] is not None:
        return f"{hosted['output_tokens_per_s']:,.1f} out tok/s"
    return f"{hosted['requests_per_s']:,.2f} req/s"


def _throughput_source(row: Row) -> str:
    return "–" if row["self_hosted"] is None else str(row["self_hosted"]["throughput_source"])


def _solved_of(row: Row) -> str:
    solved = row["cost_per_solved"]
    if solved is None:
        return "–"
    return f"{solved['solved']:.1f} of {solved['tasks']} ({solved['benchmark']})"


def _solved_run(row: Row) -> str:
    solved = row["cost_per_solved"]
    return "–" if solved is None else f"eval run {solved['run_id'][:12]}"


_LINES: list[tuple[str, Callable[[Row], str]]] = [
    ("tokens / request", _tokens),
    ("  from", lambda row: str(row["tokens"]["source"])),
    ("API input $/month", _api("input_usd_per_month")),
    ("API output $/month", _api("output_usd_per_month")),
    ("API total $/month", _api("usd_per_month")),
    ("API $/request", _api("per_request_usd")),
    ("API $/1M tokens (blended)", _api("blended_per_m_usd")),
    ("self-hosted throughput", _throughput),
    ("  from", _throughput_source),
    ("self-hosted $/month, one deployment", _hosted("usd_per_month")),
    ("self-hosted $/1M output tokens", _hosted("per_m_output_tokens_usd")),
    ("one deployment serves", _capacity),
    ("self-hosted $/month for the workload", _deployments),
    ("solved (newest eval run)", _solved_of),
    ("  from", _solved_run),
    ("API $/solved task", _solved("api_usd")),
    ("self-hosted $/solved task", _solved("self_hosted_usd")),
]

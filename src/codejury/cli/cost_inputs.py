"""What ``codejury cost`` reads: the workload file, and the user's own runs in the store.

The workload file (every key optional; flags override it)::

    requests_per_day = 10000     # requests per day
    input_tokens = 500           # average prompt tokens per request
    output_tokens = 200          # average generated tokens per request
    # tokens_per_request = 700   # instead of the two above: split by the measured ratio, else 3:1
    days_per_month = 30          # billing days per month

    [self_hosted]
    gpu_hourly_usd = 2.50        # USD per GPU-hour
    gpus = 1                     # GPUs per deployment
    hours_per_month = 730        # hours billed per month (8,760 / 12)
    p95_target_s = 2.0           # latency target the throughput is read at (seconds)

Every error names the file and line.
"""

from __future__ import annotations

import difflib
import math
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from types import MappingProxyType
from typing import Any

from codejury.cost import HOURS_PER_MONTH
from codejury.errors import ConfigError
from codejury.store import RunRecord, Store
from codejury.taskeval.judge import is_judge_id
from codejury.tomllines import key_lines, line_of, syntax_error_at

_TOP = ("requests_per_day", "input_tokens", "output_tokens", "tokens_per_request", "days_per_month")
_SELF_HOSTED = ("gpu_hourly_usd", "gpus", "hours_per_month", "p95_target_s")
_POSITIVE = frozenset({"days_per_month", "hours_per_month", "p95_target_s", "gpus"})
_EXAMPLES = {
    "requests_per_day": "10000",
    "input_tokens": "500",
    "output_tokens": "200",
    "tokens_per_request": "700",
    "days_per_month": "30",
    "gpu_hourly_usd": "2.50",
    "gpus": "1",
    "hours_per_month": "730",
    "p95_target_s": "2.0",
}
_RUNS_SCANNED = 500  # newest runs of a kind looked at when searching the store


@dataclass(frozen=True)
class WorkloadInput:
    """The workload and the self-hosted setup, from a file and flags.

    Attributes:
        requests_per_day: Requests per day, None when not given.
        input_tokens: Average prompt tokens per request, None when not given.
        output_tokens: Average generated tokens per request, None when not given.
        tokens_per_request: Both together, when only the total is known.
        days_per_month: Billing days per month.
        gpu_hourly_usd: USD per GPU-hour, None when not given (no self-hosted cost).
        gpus: GPUs per deployment.
        hours_per_month: Hours billed per month.
        p95_target_s: Latency target for the self-hosted throughput, None when not given.
        origins: Where each given value came from (``"workload.toml:3"``, ``"--gpus"``).
    """

    requests_per_day: float | None = None
    input_tokens: float | None = None
    output_tokens: float | None = None
    tokens_per_request: float | None = None
    days_per_month: float = 30.0
    gpu_hourly_usd: float | None = None
    gpus: int = 1
    hours_per_month: float = float(HOURS_PER_MONTH)
    p95_target_s: float | None = None
    origins: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))

    def with_flags(self, **flags: float | int | None) -> WorkloadInput:
        """Flags on top of the file; None means the flag was not given.

        Raises:
            ConfigError: A flag clashes with the token sizes given elsewhere.
        """
        given: dict[str, Any] = {k: v for k, v in flags.items() if v is not None}
        origins = dict(self.origins) | {k: "--" + k.replace("_", "-") for k in given}
        if {"input_tokens", "output_tokens"} & given.keys() and "tokens_per_request" in origins:
            # A flag for one side replaces the file's total rather than clashing with it.
            origins.pop("tokens_per_request")
            given["tokens_per_request"] = None
        return replace(self, **given, origins=MappingProxyType(origins))

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready values and their origins."""
        values = {k: getattr(self, k) for k in (*_TOP, *_SELF_HOSTED)}
        return values | {"origins": dict(self.origins)}


def load_workload(path: Path) -> WorkloadInput:
    """Read a workload file (schema in the module docstring).

    Raises:
        ConfigError: Missing file, bad TOML, unknown key or bad value, with file and line.
    """
    label = str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(
            f"--workload: file {label} not found", hint="check the path (format: docs/cost.md)"
        ) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{label}: cannot read the workload file: {exc}") from exc
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(
            syntax_error_at(label, text, exc), hint="see the workload format in docs/cost.md"
        ) from exc
    lines = key_lines(text)

    def at(*path: str) -> str:
        return f"{label}:{line_of(lines, path)}"

    values: dict[str, Any] = {}
    origins: dict[str, str] = {}
    for key, value in doc.items():
        if key == "self_hosted":
            if not isinstance(value, dict):
                raise ConfigError(
                    f"{at(key)}: self_hosted must be a table",
                    hint="write it as a [self_hosted] section",
                )
            for sub, sub_value in value.items():
                values[sub] = _number(sub, sub_value, _SELF_HOSTED, at("self_hosted", sub))
                origins[sub] = at("self_hosted", sub)
            continue
        values[key] = _number(key, value, _TOP, at(key))
        origins[key] = at(key)
    if "tokens_per_request" in values and {"input_tokens", "output_tokens"} & values.keys():
        raise ConfigError(
            f"{origins['tokens_per_request']}: give tokens_per_request or input_tokens and "
            "output_tokens, not both",
            hint="tokens_per_request is only for when the split is unknown",
        )
    if "gpus" in values:
        values["gpus"] = int(values["gpus"])
    return WorkloadInput(**values, origins=MappingProxyType(origins))


def _number(key: str, value: object, known: Sequence[str], where: str) -> float:
    if key not in known:
        close = difflib.get_close_matches(key, [*_TOP, *_SELF_HOSTED, "self_hosted"], n=1)
        section = "[self_hosted]" if known is _SELF_HOSTED else "the top level"
        raise ConfigError(
            f"{where}: unknown key {key!r} in {section} of the workload file",
            hint=(f"did you mean {close[0]!r}? " if close else "")
            + f"keys here: {', '.join(known)}",
        )
    whole = key == "gpus"
    ok_type = isinstance(value, int) if whole else isinstance(value, int | float)
    if isinstance(value, bool) or not ok_type:
        noun = "a whole number" if whole else "a number"
        raise ConfigError(
            f"{where}: {key} must be {noun}, got {value!r}", hint=f"e.g. {key} = {_EXAMPLES[key]}"
        )
    number = float(value)  # type: ignore[arg-type]
    low_ok = number > 0 if key in _POSITIVE else number >= 0
    if not (math.isfinite(number) and low_ok):
        bound = "positive" if key in _POSITIVE else "zero or more"
        raise ConfigError(
            f"{where}: {key} must be {bound}, got {value!r}", hint=f"e.g. {key} = {_EXAMPLES[key]}"
        )
    return number


# --- the user's runs ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Measured:
    """Average tokens per request of a model's answers in one stored run.

    Attributes:
        run: The run they come from (an ``eval`` or ``taskeval`` run).
        input_tokens: Mean prompt tokens per answer.
        output_tokens: Mean generated tokens per answer.
        answers: Answers averaged (failed requests and judge answers left out).
    """

    run: RunRecord
    input_tokens: float
    output_tokens: float
    answers: int

    def describe(self) -> str:
        """``"eval run 1a2b3c4d5e6f (humaneval+, 164 answers)"``."""
        what = self.run.benchmark or "?"
        return f"{self.run.kind} run {self.run.id[:12]} ({what}, {self.answers} answers)"


def _model_runs(store: Store, kinds: Sequence[str], model: str) -> list[RunRecord]:
    """Finished runs of ``model``, newest first; dry runs are left out (mock answers)."""
    runs = [r for kind in kinds for r in store.list_runs(kind=kind, limit=_RUNS_SCANNED)]
    runs.sort(key=lambda r: (r.created_at, r.id), reverse=True)
    return [
        r
        for r in runs
        if r.status == "finished" and r.spec.get("model") == model and not r.spec.get("dry_run")
    ]


def measured_tokens(store: Store, model: str) -> Measured | None:
    """Tokens per request from the model's newest finished eval or taskeval run that has them.

    Only answers whose provider reported both token counts are averaged; a run with none
    (a server that reports no usage) is skipped for the next one.
    """
    for run in _model_runs(store, ("eval", "taskeval"), model):
        answered = [
            g
            for g in store.generations.of_run(run.id)
            if g.error is None
            and not is_judge_id(g.task_id)
            and g.input_tokens is not None
            and g.output_tokens is not None
        ]
        if answered:
            count = len(answered)
            return Measured(
                run,
                math.fsum(g.input_tokens or 0 for g in answered) / count,
                math.fsum(g.output_tokens or 0 for g in answered) / count,
                count,
            )
    return None


@dataclass(frozen=True)
class Solved:
    """What a benchmark eval run solved and the tokens it used.

    Attributes:
        run: The ``eval`` run.
        tasks: Tasks in the run.
        solved: Expected solved tasks: pass@1 (base + plus where there is plus) × tasks.
        input_tokens: Prompt tokens of the whole run.
        output_tokens: Generated tokens of the whole run.
    """

    run: RunRecord
    tasks: int
    solved: float
    input_tokens: int
    output_tokens: int


def latest_solved(store: Store, model: str) -> Solved | None:
    """The model's newest finished benchmark eval run with pass@1 and token totals."""
    for run in _model_runs(store, ("eval",), model):
        summary = run.summary or {}
        estimates = summary.get("pass_at_k") or {}
        generation = summary.get("generation") or {}
        headline = "plus" if "plus" in estimates else next(iter(estimates), None)
        if headline is None or "pass@1" not in estimates[headline] or not generation:
            continue
        tasks = int(summary.get("tasks", 0))
        return Solved(
            run,
            tasks,
            float(estimates[headline]["pass@1"]["value"]) * tasks,
            int(generation.get("input_tokens", 0)),
            int(generation.get("output_tokens", 0)),
        )
    return None


def perf_run(store: Store, model: str, run_id: str | None = None) -> RunRecord | None:
    """``run_id`` (must be a finished perf run), else the model's newest finished perf run.

    Raises:
        ConfigError: ``run_id`` names a run that is not a finished perf run.
        StoreError: ``run_id`` matches no run.
    """
    if run_id is not None:
        run = store.get_run(run_id)
        if run.kind != "perf" or run.status != "finished":
            raise ConfigError(
                f"--throughput-from: run {run.id[:12]} is a {run.status} {run.kind} run, "
                "not a finished perf run",
                hint="list them with `codejury runs list --kind perf`",
            )
        return run
    found = _model_runs(store, ("perf",), model)
    return found[0] if found else None


def best_level(
    levels: Sequence[Mapping[str, Any]],
    target_s: float | None,
    saturation: Mapping[str, Any] | None,
) -> tuple[Mapping[str, Any] | None, str]:
    """The level whose throughput a deployment can sell, and a sentence saying why.

    With a p95 target: the level of highest throughput among those whose p95 latency is
    within it (in a closed loop that is the highest such level, unless a level past
    saturation lost throughput). Without one: the best level before saturation.

    Args:
        levels: ``PerfResult.as_dict()["levels"]``.
        target_s: The p95 latency target in seconds, or None.
        saturation: ``PerfResult.as_dict()["saturation"]``.
    """
    if target_s is not None:
        eligible = [
            lv
            for lv in levels
            if lv["succeeded"] > 0 and lv["latency"] and lv["latency"]["p95_s"] <= target_s
        ]
        if not eligible:
            shown = [lv["latency"]["p95_s"] for lv in levels if lv["latency"]]
            lowest = f"; the lowest p95 was {min(shown) * 1000:.0f} ms" if shown else ""
            return None, f"no level kept p95 latency within {target_s * 1000:.0f} ms{lowest}"
        rule = f"p95 {{p95:.0f}} ms ≤ target {target_s * 1000:.0f} ms"
    else:
        limit = None if saturation is None else saturation["concurrency"]
        eligible = [
            lv
            for lv in levels
            if lv["succeeded"] > 0 and (limit is None or lv["concurrency"] < limit)
        ]
        if not eligible:
            return None, "no level before saturation had a successful request"
        rule = "p95 {p95:.0f} ms; no p95 target given, best level before saturation"
    chosen = max(eligible, key=lambda lv: (_rate(lv), -lv["concurrency"]))
    tokens = chosen["output_tokens_per_s"]
    rate = "output tokens/s unknown" if tokens is None else f"{tokens:,.1f} output tokens/s"
    p95 = chosen["latency"]["p95_s"] * 1000 if chosen["latency"] else math.nan
    why = (
        f"concurrency {chosen['concurrency']}: {rate}, {chosen['requests_per_s']:.2f} req/s, "
        + rule.format(p95=p95)
    )
    return chosen, why


def _rate(level: Mapping[str, Any]) -> float:
    tokens = level["output_tokens_per_s"]
    return float(level["requests_per_s"] if tokens is None else tokens)

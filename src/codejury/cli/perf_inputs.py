"""What ``codejury perf`` (and ``codejury cost``) read from flags: durations, levels, prompts.

Kept apart from the command so ``cost`` can parse durations without importing the load
generator, and so each parser can be checked on its own.
"""

from __future__ import annotations

import itertools
import math
import re
from dataclasses import dataclass, replace
from pathlib import Path

from codejury.datasets import BENCHMARK_IDS, load_benchmark
from codejury.errors import ConfigError
from codejury.perf import synthetic_requests
from codejury.prompts import PromptSpec, build_request
from codejury.providers.base import GenerationRequest
from codejury.providers.registry import ModelConfig
from codejury.taskeval import load_tasks
from codejury.taskeval.planning import completion_prompt

_DURATION = re.compile(r"(?P<value>\d+(?:\.\d*)?|\.\d+)\s*(?P<unit>ms|s|m|h)?")
_UNIT_SECONDS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, None: 1.0}
SYNTHETIC_PROMPTS = 64
"""Distinct prompts of a synthetic profile (each starts with its index: no shared prefix)."""
PROMPT_SOURCES = f"{', '.join(BENCHMARK_IDS)}, tasks:FILE or synthetic:IN/OUT"


def parse_duration(text: str, flag: str, *, allow_zero: bool = False) -> float:
    """Seconds from ``"60s"``, ``"2m"``, ``"500ms"``, ``"1h"`` or plain seconds (``"1.5"``).

    Args:
        text: The flag's value.
        flag: The flag's name, for the message.
        allow_zero: Accept a zero duration (a warm-up can be skipped; a window cannot).

    Raises:
        ConfigError: Not a duration, or not positive; the message names ``flag``.
    """
    found = _DURATION.fullmatch(text.strip().lower())
    seconds = float(found["value"]) * _UNIT_SECONDS[found["unit"]] if found else math.nan
    if not (math.isfinite(seconds) and (seconds > 0 or (allow_zero and seconds == 0))):
        raise ConfigError(
            f"{flag}: {text!r} is not a {'' if allow_zero else 'positive '}duration",
            hint=f"e.g. {flag} 60s, 2m, 500ms or 90 (seconds)",
        )
    return seconds


def parse_levels(text: str) -> tuple[int, ...]:
    """Concurrency levels from ``"1,2,4,8"``: positive integers, strictly increasing.

    Raises:
        ConfigError: Naming ``--concurrency``.
    """
    parts = [p.strip() for p in text.split(",")]
    if not all(p.isdigit() and int(p) > 0 for p in parts):
        raise ConfigError(
            f"--concurrency: {text!r} is not a list of positive integers",
            hint="e.g. --concurrency 1,2,4,8,16,32",
        )
    levels = tuple(int(p) for p in parts)
    if any(b <= a for a, b in itertools.pairwise(levels)):
        raise ConfigError(
            f"--concurrency: levels must be strictly increasing, got {text!r}",
            hint="e.g. --concurrency 1,2,4,8 (each level is compared with the one before)",
        )
    return levels


@dataclass(frozen=True)
class PromptSet:
    """The prompts a perf run sends, and where they come from.

    Attributes:
        requests: The requests, sent in order and cycled.
        label: The ``--prompts`` value, for the run spec and the output.
        benchmark: Benchmark id (or ``tasks:<file name>``), None for a synthetic profile.
        dataset_hash: Content hash of the benchmark or task file, None for synthetic.
    """

    requests: tuple[GenerationRequest, ...]
    label: str
    benchmark: str | None
    dataset_hash: str | None


@dataclass(frozen=True)
class RequestShape:
    """Request settings shared by every prompt source.

    Attributes:
        max_tokens: Output limit of each request (``--max-tokens`` overrides it later).
        temperature: Sampling temperature.
        timeout_s: Deadline of one request.
        data_dir: Where benchmark files are.
    """

    max_tokens: int
    temperature: float
    timeout_s: float
    data_dir: Path | None


def load_prompts(source: str, model: ModelConfig, shape: RequestShape) -> PromptSet:
    """The requests for ``--prompts`` (a benchmark, the team's tasks, or a length profile).

    Benchmark prompts are built exactly as ``codejury eval`` builds them, in the model's
    prompt style; task prompts are the task file's messages.

    Raises:
        ConfigError: An unknown source or a malformed synthetic profile.
        DataError: The benchmark or task file cannot be read.
    """
    completion = model.style == "completion"
    if source in BENCHMARK_IDS:
        bench = load_benchmark(source, shape.data_dir)
        spec = PromptSpec(style="completion" if completion else "instruct")
        requests = tuple(
            build_request(
                problem,
                bench.family,
                spec,
                max_tokens=shape.max_tokens,
                temperature=shape.temperature,
                timeout_s=shape.timeout_s,
            )
            for problem in bench.problems.values()
        )
        return PromptSet(requests, source, bench.id, bench.content_hash)
    kind, _, rest = source.partition(":")
    if kind == "tasks" and rest:
        tasks = load_tasks(Path(rest).expanduser())
        requests = tuple(
            GenerationRequest(
                prompt=completion_prompt(task.messages) if completion else None,
                messages=None if completion else task.messages,
                max_tokens=shape.max_tokens,
                temperature=shape.temperature,
                timeout_s=shape.timeout_s,
            )
            for task in tasks.tasks.values()
        )
        return PromptSet(requests, source, f"tasks:{tasks.path.name}", tasks.content_hash)
    if kind == "synthetic":
        return PromptSet(_synthetic(rest, completion, shape), source, None, None)
    raise ConfigError(
        f"--prompts: unknown prompt source {source!r}", hint=f"use one of {PROMPT_SOURCES}"
    )


def _synthetic(
    profile: str, completion: bool, shape: RequestShape
) -> tuple[GenerationRequest, ...]:
    found = re.fullmatch(r"(\d+)/(\d+)", profile.strip())
    if not found or int(found[1]) < 1 or int(found[2]) < 1:
        raise ConfigError(
            f"--prompts: synthetic profile {profile!r} must be IN/OUT, two positive integers",
            hint="e.g. --prompts synthetic:500/200 (about 500 prompt tokens, 200 output tokens)",
        )
    made = synthetic_requests(
        [int(found[1])] * SYNTHETIC_PROMPTS,
        int(found[2]),
        style="completion" if completion else "chat",
    )
    # synthetic_requests sets no temperature or deadline; give them the run's.
    return tuple(replace(r, temperature=shape.temperature, timeout_s=shape.timeout_s) for r in made)

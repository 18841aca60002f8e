"""``selection.toml``: what ``codejury select`` runs, stage by stage (full reference: docs/select.md).

Schema (only ``[candidates]`` is required; a missing section turns its stage off)::

    [selection]                  # name, where models, data and the store are
    name = "coding assistant Q3"
    codejury_config = "codejury.toml"   # [models] definitions; relative to this file
    data_dir = "data"            # benchmark files
    db = "runs.db"               # the store (path or SQLAlchemy URL)

    [candidates]
    models = ["my-vllm", "openai/gpt-4o-mini"]      # references or codejury.toml names
    catalog = { my-vllm = "qwen2.5-coder-7b-instruct" }   # public facts for a candidate
    reference = ["gpt-4o-2024-08-06"]               # public catalog models shown beside

    [benchmarks]   ids = ["humaneval+"], n = 1, limit = 20, max_tokens = 1024, temperature, seed
    [thresholds]   min_pass_at_1 = 60 (or { "humaneval+" = 60 }), min_task_accuracy = 70,
                   max_p95_latency_s = 5, max_monthly_cost = 500, open_weights = true,
                   min_context_window = 32000, strict = false
    [tasks]        file = "tasks.jsonl", limit, n, max_tokens, temperature, judge
    [workload]     requests_per_day = 10000, input_tokens = 500, output_tokens = 200,
                   days_per_month = 30
    [self_hosted]  gpu_hourly_usd = 1.2, gpus = 1, models = ["my-vllm"]
    [latency]      concurrency = [1, 4], duration_s = 10, requests_per_level, warmup_s = 2,
                   p95_target_s, at_concurrency, prompts = "workload" | "benchmark", max_tokens
    [human]        finalists = 2, votes_needed = 10, mode = "wait" | "import" | "skip",
                   votes_file = "votes.json"
    [weights]      quality = 0.35, cost = 0.25, latency = 0.15, privacy = 0.10,
                   customisation = 0.05, operational_effort = 0.10, human = 0.3

Every error names the file and line and says what to write instead.
"""

from __future__ import annotations

import hashlib
import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

from codejury.catalog import Catalog
from codejury.config import Settings
from codejury.cost import Workload
from codejury.errors import ConfigError
from codejury.report.selection import CRITERIA
from codejury.select.reader import Reader
from codejury.select.sections import (
    Benchmarks,
    Human,
    Latency,
    SelfHosted,
    Tasks,
    Thresholds,
    parse_benchmarks,
    parse_human,
    parse_latency,
    parse_self_hosted,
    parse_tasks,
    parse_thresholds,
    parse_weights,
    parse_workload,
)
from codejury.tomllines import key_lines, syntax_error_at

__all__ = [
    "SECTIONS",
    "Benchmarks",
    "Human",
    "Latency",
    "SelectionConfig",
    "SelfHosted",
    "Tasks",
    "Thresholds",
    "file_digest",
    "load_selection",
]
SECTIONS = (
    "selection",
    "candidates",
    "benchmarks",
    "thresholds",
    "tasks",
    "workload",
    "self_hosted",
    "latency",
    "human",
    "weights",
)
_KEYS: Mapping[str, tuple[str, ...]] = {
    "selection": ("name", "codejury_config", "data_dir", "db"),
    "candidates": ("models", "catalog", "reference"),
    "benchmarks": ("ids", "n", "limit", "max_tokens", "temperature", "seed"),
    "thresholds": (
        "min_pass_at_1",
        "min_task_accuracy",
        "max_p95_latency_s",
        "max_monthly_cost",
        "open_weights",
        "min_context_window",
        "strict",
    ),
    "tasks": ("file", "limit", "n", "max_tokens", "temperature", "judge"),
    "workload": ("requests_per_day", "input_tokens", "output_tokens", "days_per_month"),
    "self_hosted": ("gpu_hourly_usd", "gpus", "models"),
    "latency": (
        "concurrency",
        "duration_s",
        "requests_per_level",
        "warmup_s",
        "p95_target_s",
        "at_concurrency",
        "prompts",
        "max_tokens",
    ),
    "human": ("finalists", "votes_needed", "mode", "votes_file"),
    "weights": tuple(CRITERIA),
}


@dataclass(frozen=True)
class SelectionConfig:
    """One parsed, checked ``selection.toml``.

    Attributes:
        path: The file.
        label: How messages name it.
        name: A name for reports.
        codejury_config: codejury.toml with the [models] definitions, or None (the usual lookup).
        data_dir: Benchmark files, or None (settings decide).
        db: The store, or None (settings decide).
        models: The candidates, in the order given.
        catalog: Candidate → public catalog key for facts (open weights, context, size).
        reference: Catalog keys shown for reference, never run.
        benchmarks: None turns the benchmark stage off.
        thresholds: Hard limits.
        tasks: None turns the own-task stage off.
        workload: None turns the monthly cost off.
        self_hosted: GPU costing, or None.
        latency: None: p95 latency comes from the benchmark answers.
        human: None (or mode ``skip``) turns the human check off.
        weights: Decision weights as written (empty: the defaults).
        lines: Key path → line, for later errors.
    """

    path: Path
    label: str
    name: str
    codejury_config: Path | None
    data_dir: Path | None
    db: str | None
    models: tuple[str, ...]
    catalog: Mapping[str, str]
    reference: tuple[str, ...]
    benchmarks: Benchmarks | None
    thresholds: Thresholds
    tasks: Tasks | None
    workload: Workload | None
    self_hosted: SelfHosted | None
    latency: Latency | None
    human: Human | None
    weights: Mapping[str, float]
    document: Mapping[str, Any] = field(repr=False)
    lines: Mapping[tuple[str, ...], int] = field(repr=False)

    def where(self, *path: str) -> str:
        """``"<file>:<line>"`` of a key (its section's line when the key is absent)."""
        return Reader(self.label, self.lines, self.path.parent, {}).where(*path)

    def check_models(self, settings: Settings) -> None:
        """Every candidate (and the judge) must resolve with these settings.

        Raises:
            ConfigError: At the line of ``models`` (or ``judge``), naming the reference.
        """
        refs = [(r, ("candidates", "models")) for r in self.models]
        if self.tasks is not None and self.tasks.judge:
            refs.append((self.tasks.judge, ("tasks", "judge")))
        for ref, path in refs:
            try:
                settings.resolve_model(ref)
            except ConfigError as exc:
                raise ConfigError(f"{self.where(*path)}: {exc.message}", hint=exc.hint) from exc


def load_selection(path: Path, cwd: Path | None = None) -> SelectionConfig:
    """Read and check a selection file.

    Args:
        path: The file (relative to ``cwd``).
        cwd: Working directory; defaults to the process's.

    Raises:
        ConfigError: Missing file, bad TOML, unknown section or key, bad value; the message
            names the file and line.
    """
    cwd = Path.cwd() if cwd is None else cwd
    file = cwd / path
    label = _label(file, cwd)
    try:
        text = file.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(
            f"selection file {label} not found", hint="see docs/select.md for an example"
        ) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{label}: cannot read: {exc}", hint="it must be UTF-8 TOML") from exc
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(
            syntax_error_at(label, text, exc), hint='strings need quotes: models = ["a", "b"]'
        ) from exc
    r = Reader(label, key_lines(text), file.parent, doc)
    r.sections(SECTIONS)
    tables = {name: r.table(name, _KEYS[name]) for name in SECTIONS}
    general = tables["selection"] or {}
    candidates = tables["candidates"]
    if candidates is None:
        raise ConfigError(
            f"{label}:1: no candidates section",
            hint='add a candidates section with models = ["provider/model", ...]',
        )
    models = r.strings(candidates, ("candidates", "models"))
    if not models:
        raise r.fail(
            ("candidates", "models"),
            "must list at least one model",
            hint='e.g. models = ["openai/gpt-4o-mini", "my-vllm"]',
        )
    benchmarks = parse_benchmarks(r, tables["benchmarks"])
    human = parse_human(r, tables["human"], benchmarks)
    return SelectionConfig(
        path=file,
        label=label,
        name=r.text(general, ("selection", "name")) or file.stem,
        codejury_config=r.path(general, ("selection", "codejury_config"), must_exist=True),
        data_dir=_directory(r, general),
        db=r.store(general, ("selection", "db")),
        models=models,
        catalog=MappingProxyType(_catalog(r, candidates, models)),
        reference=_reference(r, candidates),
        benchmarks=benchmarks,
        thresholds=parse_thresholds(r, tables["thresholds"] or {}, benchmarks),
        tasks=parse_tasks(r, tables["tasks"]),
        workload=parse_workload(r, tables["workload"]),
        self_hosted=parse_self_hosted(r, tables["self_hosted"], models),
        latency=parse_latency(r, tables["latency"]),
        human=human,
        weights=MappingProxyType(parse_weights(r, tables["weights"] or {})),
        document=MappingProxyType(doc),
        lines=MappingProxyType(r.lines),
    )


def file_digest(path: Path | None) -> str | None:
    """sha256 of a file's bytes (None for no file): a changed input file means new work."""
    if path is None:
        return None
    return hashlib.sha256(path.read_bytes()).hexdigest()


# --- sections -----------------------------------------------------------------------------------


def _directory(r: Reader, table: Mapping[str, Any]) -> Path | None:
    value = r.text(table, ("selection", "data_dir"))
    if value is None:
        return None
    path = Path(value).expanduser()
    return path if path.is_absolute() else r.root / path


def _catalog(r: Reader, table: Mapping[str, Any], models: tuple[str, ...]) -> dict[str, str]:
    links = table.get("catalog", {})
    where = ("candidates", "catalog")
    if not isinstance(links, dict) or not all(isinstance(v, str) for v in links.values()):
        raise r.fail(where, "must be a table of model → catalog key", hint=_CATALOG_HINT)
    known = Catalog.builtin() if links else None
    for model, key in links.items():
        if model not in models:
            raise r.fail((*where, model), "links a model that is not a candidate")
        if known is not None and known.model(key) is None:
            raise r.fail((*where, model), f"names {key!r}, which the catalog does not have")
    return dict(links)


_CATALOG_HINT = 'e.g. catalog = { my-vllm = "qwen2.5-coder-7b-instruct" }'


def _reference(r: Reader, table: Mapping[str, Any]) -> tuple[str, ...]:
    keys = r.strings(table, ("candidates", "reference")) or ()
    catalog = Catalog.builtin() if keys else None
    for key in keys:
        if catalog is not None and catalog.model(key) is None:
            raise r.fail(
                ("candidates", "reference"),
                f"names {key!r}, which the catalog does not have",
                hint="use a canonical key (codejury catalog lists them)",
            )
    return keys


def _label(path: Path, cwd: Path) -> str:
    shown = Path(os.path.normpath(path))
    try:
        return str(shown.relative_to(os.path.normpath(cwd)))
    except ValueError:
        return str(shown)

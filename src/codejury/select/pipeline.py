"""The resumable driver of ``codejury select``: one stored run of kind ``select`` per config.

The run's spec key hashes the selection file, the candidates as resolved from codejury.toml
and the contents of the task and votes files: running the same configuration again resumes
its unfinished run (or shows the finished one). The run's summary holds every stage's output
and is written as each stage finishes (and as each model inside a stage finishes), so a crash
or Ctrl-C resumes at the first unfinished stage.

Each stage also has an *input key*: a hash of what it reads (its config sections, the models
entering it, their settings, and the earlier stages' figures where it uses them). A stage
whose input key matches a finished stage, of this run or of an earlier select run, is not
redone: its output is copied (``reused_from`` names the run). ``fresh`` turns that off.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import math
import platform
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from codejury import __version__
from codejury.config import Settings
from codejury.select.choice import choice_stage
from codejury.select.config import SelectionConfig, file_digest
from codejury.select.human import human_stage
from codejury.select.measure import cost_stage, latency_stage, price_of
from codejury.select.stages import (
    Context,
    StageResult,
    benchmarks_stage,
    candidates_stage,
    tasks_stage,
    thresholds_stage,
)
from codejury.store import Store

KIND = "select"
"""The ``kind`` of the runs this module stores."""
REUSE_SEARCH = 50
"""How many earlier select runs are searched for a stage to reuse."""

StageFn = Callable[[Context, Sequence[str]], StageResult]


@dataclass(frozen=True)
class Stage:
    """One step of the funnel.

    Attributes:
        name: Its name in the summary.
        run: The stage function.
        sections: Config sections it reads (part of its input key).
        figures: Whether it reads earlier stages' figures (part of its input key then).
        calls_models: Whether the model settings (temperature, limits) matter to it.
    """

    name: str
    run: StageFn
    sections: tuple[str, ...]
    figures: bool = False
    calls_models: bool = False


STAGES: tuple[Stage, ...] = (
    Stage("candidates", candidates_stage, ("candidates", "thresholds")),
    Stage("benchmarks", benchmarks_stage, ("benchmarks",), calls_models=True),
    Stage("thresholds", thresholds_stage, ("thresholds",), figures=True),
    Stage("tasks", tasks_stage, ("tasks", "thresholds"), calls_models=True),
    Stage("cost", cost_stage, ("workload", "self_hosted", "thresholds")),
    Stage("latency", latency_stage, ("latency", "workload", "thresholds"), figures=True),
    Stage("human", human_stage, ("human", "weights"), figures=True),
    Stage("choice", choice_stage, ("candidates", "thresholds", "weights", "workload"), True),
)
STAGE_NAMES = tuple(s.name for s in STAGES)
_SETTLED = ("done", "skipped")


@dataclass(frozen=True)
class SelectOptions:
    """How to run (none of it changes what is decided).

    Attributes:
        fresh: Start a new run and redo every stage (model answers still come from the cache).
        quiet: No progress bars.
        retries: Retries of a failed model request.
        report: Called with ``(stage, what happens)`` as stages start, end or are reused.
    """

    fresh: bool = False
    quiet: bool = False
    retries: int = 5
    report: Callable[[str, str], None] | None = None


@dataclass(frozen=True)
class SelectOutcome:
    """Where a ``codejury select`` invocation ended.

    Attributes:
        run_id: The select run.
        summary: Its summary (``state``: ``finished`` or ``waiting``).
        resumed: ``new``, ``resumed`` (an unfinished run continued) or ``finished`` (the
            same configuration had finished before; nothing was run).
    """

    run_id: str
    summary: dict[str, Any]
    resumed: str


def run_selection(
    config: SelectionConfig,
    settings: Settings,
    options: SelectOptions,
    stages: Sequence[Stage] = STAGES,
) -> SelectOutcome:
    """Run (or resume) the funnel for one selection file.

    Args:
        config: The selection file.
        settings: codejury settings (models, prices, data dir, store).
        options: Fresh start, progress, retries.
        stages: The stages, in order (the default funnel unless a caller composes its own).

    Raises:
        CodejuryError: A stage failed (what finished is saved; the same command resumes).
    """
    config.check_models(settings)
    key = selection_key(config, settings)
    with Store.open(settings.db) as store:
        run_id, summary, how = _open(store, config, settings, key, options.fresh)
        if how == "finished":
            return SelectOutcome(run_id, summary, how)
        driver = _Driver(store, config, settings, options, run_id, summary)
        try:
            driver.run(stages)
        except BaseException:
            summary["state"] = "stopped"
            status = "interrupted" if _is_interrupt(sys.exc_info()[1]) else "failed"
            store.finish_run(run_id, status=status, summary=_plain(summary))
            raise
        waiting = summary["state"] == "waiting"
        status = "interrupted" if waiting else "finished"
        store.finish_run(run_id, status=status, summary=_plain(summary))
    return SelectOutcome(run_id, summary, how)


def funnel(summary: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Per stage: status, how many entered, who was kept, who was eliminated and why."""
    rows = []
    for name in STAGE_NAMES:
        stage = summary.get("stages", {}).get(name)
        if stage is None:
            continue
        rows.append(
            {
                "stage": name,
                "status": stage["status"],
                "entered": list(stage.get("entered", [])),
                "kept": list(stage.get("kept", [])),
                "eliminated": dict(stage.get("eliminated", {})),
                "unchecked": dict(stage.get("unchecked", {})),
                "notes": list(stage.get("notes", [])),
                "reused_from": stage.get("reused_from"),
            }
        )
    return rows


def selection_key(config: SelectionConfig, settings: Settings) -> str:
    """Hash of everything that defines a selection (see the module docstring)."""
    files = {
        "tasks": file_digest(config.tasks.file if config.tasks else None),
        "votes": file_digest(config.human.votes_file if config.human else None),
    }
    blob = {
        "selection": _plain(dict(config.document)),
        "models": {ref: _identity(settings, ref) for ref in config.models},
        "files": files,
        "settings": _model_settings(settings),
    }
    return _digest(blob)


class _Driver:
    def __init__(
        self,
        store: Store,
        config: SelectionConfig,
        settings: Settings,
        options: SelectOptions,
        run_id: str,
        summary: dict[str, Any],
    ) -> None:
        self.store = store
        self.config = config
        self.settings = settings
        self.options = options
        self.run_id = run_id
        self.summary = summary

    def _report(self, stage: str, text: str) -> None:
        if self.options.report is not None:
            self.options.report(stage, text)

    def save(self) -> None:
        self.store.update_summary(self.run_id, _plain(self.summary))

    def run(self, stages: Sequence[Stage]) -> None:
        stored: dict[str, Any] = self.summary.setdefault("stages", {})
        entering = list(self.config.models)
        for index, stage in enumerate(stages):
            before = [s.name for s in stages[:index]]
            earlier = {n: stored[n] for n in before if n in stored}
            ctx = Context(self.config, self.settings, self.store, earlier, quiet=self.options.quiet,
                          retries=self.options.retries)  # fmt: skip
            input_key = self._input_key(stage, ctx, entering)
            entry = stored.get(stage.name)
            # Only finished stages stand: a pending one (votes) or a crashed one runs again.
            if not (entry and entry["status"] in _SETTLED and entry["input_key"] == input_key):
                entry = None if self.options.fresh else self._reusable(stage.name, input_key)
                if entry is None:
                    self._report(stage.name, f"{len(entering)} in: {', '.join(entering)}")
                    entry = self._execute(stage, ctx, entering, input_key)
                    gone = len(entering) - len(entry["kept"])
                    self._report(stage.name, f"{entry['status']}; {gone} eliminated")
                else:
                    self._report(stage.name, f"reused from run {entry['reused_from'][:12]}")
                stored[stage.name] = entry
                # What later stages stored was decided on the old output of this one.
                for later in stages[index + 1 :]:
                    stored.pop(later.name, None)
            self.summary["funnel"] = funnel(self.summary)
            self.save()
            if entry["status"] == "pending":
                self.summary["state"] = "waiting"
                self.summary["message"] = entry["extra"].get("message")
                return
            entering = list(entry["kept"])
        choice = stored.get("choice", {}).get("extra", {})
        self.summary |= {"state": "finished", "message": None, "winner": choice.get("winner"),
                         "recommendation": choice.get("recommendation")}  # fmt: skip

    def _execute(
        self, stage: Stage, ctx: Context, entering: Sequence[str], input_key: str
    ) -> dict[str, Any]:
        stored = self.summary["stages"]
        previous = stored.get(stage.name) or {}
        # Work an interrupted attempt saved (finished models) counts only for the same inputs.
        partial = previous.get("partial", {}) if previous.get("input_key") == input_key else {}
        entry = {"status": "running", "input_key": input_key, "entered": list(entering),
                 "started_at": _now(), "partial": partial}  # fmt: skip
        stored[stage.name] = entry
        self.save()

        def save_partial(value: dict[str, Any]) -> None:
            entry["partial"] = value
            self.save()

        ctx.partial, ctx.save = dict(partial), save_partial
        result = stage.run(ctx, entering)
        return result.as_dict() | {"input_key": input_key, "entered": list(entering),
                                   "started_at": entry["started_at"], "finished_at": _now()}  # fmt: skip

    def _reusable(self, name: str, input_key: str) -> dict[str, Any] | None:
        for run in self.store.list_runs(kind=KIND, limit=REUSE_SEARCH):
            if run.id == self.run_id:
                continue
            stage = ((run.summary or {}).get("stages") or {}).get(name)
            if stage and stage["status"] in _SETTLED and stage["input_key"] == input_key:
                return dict(stage) | {"reused_from": run.id}
        return None

    def _input_key(self, stage: Stage, ctx: Context, entering: Sequence[str]) -> str:
        config, settings = self.config, self.settings
        blob: dict[str, Any] = {
            "stage": stage.name,
            "entering": list(entering),
            "models": {ref: _identity(settings, ref) for ref in entering},
            "sections": {s: _plain(config.document.get(s)) for s in stage.sections},
        }
        if stage.calls_models:
            blob["settings"] = _model_settings(settings)
        if stage.name == "tasks":
            blob["file"] = file_digest(config.tasks.file if config.tasks else None)
        if stage.name == "human":
            blob["file"] = file_digest(config.human.votes_file if config.human else None)
        if stage.name == "cost":
            prices = {ref: price_of(ctx, ref) for ref in entering}
            blob["prices"] = {r: p and dataclasses.asdict(p) for r, p in prices.items()}
        if stage.figures:
            blob["earlier"] = {
                n: {"status": s["status"], "figures": s.get("figures"), "extra": s.get("extra")}
                for n, s in ctx.earlier.items()
            }
        return _digest(blob)


def _open(
    store: Store, config: SelectionConfig, settings: Settings, key: str, fresh: bool
) -> tuple[str, dict[str, Any], str]:
    if not fresh:
        previous = store.generations.resumable_run(KIND, key)
        if previous is not None:
            store.reopen_run(previous.id)
            summary = previous.summary or _skeleton(config, key)
            return previous.id, summary | {"state": "running"}, "resumed"
        for run in store.list_runs(kind=KIND, limit=REUSE_SEARCH):
            if run.status == "finished" and run.spec.get("spec_key") == key:
                return run.id, run.summary or {}, "finished"
    spec = {
        "spec_key": key,
        "config_file": str(config.path),
        "selection": _plain(dict(config.document)),
        "models": {ref: _identity(settings, ref) for ref in config.models},
    }
    environment = {
        "codejury": __version__,
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "config_file": str(settings.source) if settings.source else None,
    }
    run_id = store.create_run(
        kind=KIND, benchmark=None, dataset_hash=None, spec=spec, environment=environment
    )
    return run_id, _skeleton(config, key), "new"


def _skeleton(config: SelectionConfig, key: str) -> dict[str, Any]:
    return {"name": config.name, "config_file": config.label, "spec_key": key,
            "candidates": list(config.models), "state": "running", "stages": {}, "funnel": [],
            "message": None, "winner": None, "recommendation": None}  # fmt: skip


def _identity(settings: Settings, ref: str) -> dict[str, Any]:
    config = settings.resolve_model(ref)
    options = {k: v for k, v in config.options.items() if k not in ("api_key", "headers")}
    override = settings.prices.get(ref)
    identity: dict[str, Any] = _plain({"provider": config.provider, "model": config.model, "options": options,
                   "metadata": dict(config.metadata), "prices": dict(config.prices),
                   "price_override": override and dataclasses.asdict(override)})  # fmt: skip
    return identity


def _model_settings(settings: Settings) -> dict[str, Any]:
    return {"n": settings.n, "temperature": settings.temperature,
            "max_tokens": settings.max_tokens, "timeout_s": settings.timeout_s}  # fmt: skip


def _is_interrupt(exc: BaseException | None) -> bool:
    from codejury.scoring.evaluate import ScoreInterrupted

    return isinstance(exc, KeyboardInterrupt | ScoreInterrupted)


def _plain(value: Any) -> Any:
    """JSON-safe: dates as ISO text, non-finite floats as None, tuples as lists."""
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if value is None or isinstance(value, str | int | float | bool):
        return value
    return str(value)


def _digest(blob: Any) -> str:
    text = json.dumps(_plain(blob), sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")

"""From stored eval runs to the arena's pool of answers.

Each generation of a run becomes an :class:`~codejury.store.arena_records.Answer` of the run's
model to the task's prompt, with the run's test statuses attached. Failed requests and empty
answers are skipped; answers that name a model are stored but flagged, which keeps them out of
battles (see :mod:`codejury.arena.identity`).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from codejury.arena.identity import names_a_model
from codejury.datasets import load_benchmark
from codejury.errors import ConfigError, DataError
from codejury.store import RunRecord, Store
from codejury.store.arena_pool import answer_id
from codejury.store.arena_records import Answer, Prompt


@dataclass
class PoolReport:
    """What adding runs to the pool did.

    Attributes:
        runs: Run ids added, in order.
        models: Model of each run, in the same order.
        added: Answers new to the pool.
        flagged: Of the answers read, how many name a model (kept out of battles).
        skipped: Generations not added because the request failed or the answer was empty.
    """

    runs: list[str] = field(default_factory=list)
    models: list[str] = field(default_factory=list)
    added: int = 0
    flagged: int = 0
    skipped: int = 0


def prompt_id(benchmark: str, task_id: str) -> str:
    """The pool's id of a benchmark task, e.g. ``humaneval+/HumanEval/0``."""
    return f"{benchmark}/{task_id}"


def _shown_text(raw: str, problem_prompt: str, style: str) -> str:
    # A completion-style answer is a function body: show it after its signature and
    # docstring, as a program, the way an instruct answer shows its fenced code.
    if style == "completion":
        return f"```python\n{problem_prompt}{raw}\n```"
    return raw


def answers_of_run(
    store: Store, run: RunRecord, prompts: Mapping[str, str]
) -> tuple[list[Prompt], list[Answer], int]:
    """The prompts and answers one run offers the pool, and how many generations it skipped.

    Args:
        store: The store holding the run.
        run: The run (it must record its model name and benchmark).
        prompts: The prompt text of each task id. Benchmarks supply theirs (see
            :func:`add_runs`); any other source of tasks can supply its own.

    Raises:
        ConfigError: The run records no model name or no benchmark.
        DataError: A task of the run has no prompt text.
    """
    model = run.spec.get("model")
    if not isinstance(model, str) or not model or not run.benchmark:
        raise ConfigError(
            f"run {run.id[:12]} records no model name or benchmark, so its answers cannot battle",
            hint="add runs made by `codejury eval`",
        )
    style = str((run.spec.get("prompt") or {}).get("style", "instruct"))
    tests: dict[tuple[str, int], dict[str, str]] = defaultdict(dict)
    for verdict in store.run_verdicts(run.id):
        tests[(verdict.task_id, verdict.index)][verdict.part] = verdict.status
    found: dict[str, Prompt] = {}
    answers: list[Answer] = []
    skipped = 0
    for gen in store.generations.of_run(run.id):
        if gen.error is not None or not gen.raw_text.strip():
            skipped += 1
            continue
        text = prompts.get(gen.task_id)
        if text is None:
            raise DataError(
                f"run {run.id[:12]} answers task {gen.task_id}, which has no prompt in "
                f"{run.benchmark}",
                hint="point --data-dir at the dataset release the run used",
            )
        pid = prompt_id(run.benchmark, gen.task_id)
        found.setdefault(pid, Prompt(pid, run.benchmark, gen.task_id, text))
        shown = _shown_text(gen.raw_text, text, style)
        answers.append(
            Answer(
                id=answer_id(run.id, gen.task_id, gen.index),
                prompt_id=pid,
                model=model,
                run_id=run.id,
                task_id=gen.task_id,
                index=gen.index,
                text=shown,
                tests=tests.get((gen.task_id, gen.index), {}),
                flag=names_a_model(shown, model),
            )
        )
    return list(found.values()), answers, skipped


def add_runs(
    store: Store, run_ids: Sequence[str], data_dir: Path | str | None = None
) -> PoolReport:
    """Add the answers of eval runs to the arena's pool.

    Args:
        store: The store holding the runs; the pool is written there too.
        run_ids: Run ids or unique prefixes.
        data_dir: Where the runs' benchmark files are (for the prompt texts).

    Returns:
        What was added.

    Raises:
        StoreError: A run id is unknown or ambiguous.
        ConfigError: A run has no benchmark or no model name.
        DataError: A benchmark cannot be loaded, or a task is missing from it.
    """
    report = PoolReport()
    for ref in run_ids:
        run = store.get_run(ref)
        if not run.benchmark:
            raise ConfigError(
                f"run {run.id[:12]} has no benchmark, so its prompts are unknown",
                hint="add runs made by `codejury eval`",
            )
        benchmark = load_benchmark(run.benchmark, data_dir)
        texts = {task_id: p.prompt for task_id, p in benchmark.problems.items()}
        prompts, answers, skipped = answers_of_run(store, run, texts)
        report.added += store.arena.pool.add(prompts, answers)
        report.flagged += sum(1 for a in answers if a.flag)
        report.skipped += skipped
        report.runs.append(run.id)
        report.models.append(str(run.spec.get("model")))
    return report


def eval_runs(store: Store, limit: int = 200) -> list[RunRecord]:
    """Eval runs that could join the pool (they have a model and a benchmark), newest first."""
    return [
        run
        for run in store.list_runs(kind="eval", limit=limit)
        if run.benchmark and isinstance(run.spec.get("model"), str)
    ]

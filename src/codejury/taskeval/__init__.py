"""Own tasks: the team's prompts and checks, run on any models and compared.

Typical use::

    tasks = load_tasks("my_tasks.jsonl")          # DataError with file:line on any problem
    spec = TaskEvalSpec(model=config, tasks=tasks, task_ids=tuple(tasks.tasks))
    result = asyncio.run(run_taskeval(spec, store, Endpoint(config, provider, cost), None,
                                      RunOptions()))
    result.summary["accuracy"]                     # {"value", "low", "high", "n_tasks"}

Results land in the store as runs of kind ``taskeval`` (see ``docs/taskeval.md``).
"""

from __future__ import annotations

from codejury.taskeval.checks import CHECK_STATUSES, CheckResult, evaluate
from codejury.taskeval.checkspec import CHECK_KINDS
from codejury.taskeval.grading import SampleResult
from codejury.taskeval.judge import parse_score
from codejury.taskeval.models import Task, TaskFile, load_tasks
from codejury.taskeval.results import compare, samples_of_run, summarize
from codejury.taskeval.run import (
    KIND,
    Endpoint,
    RunOptions,
    TaskEvalResult,
    TaskEvalSpec,
    attach_comparisons,
    run_taskeval,
)

__all__ = [
    "CHECK_KINDS",
    "CHECK_STATUSES",
    "KIND",
    "CheckResult",
    "Endpoint",
    "RunOptions",
    "SampleResult",
    "Task",
    "TaskEvalResult",
    "TaskEvalSpec",
    "TaskFile",
    "attach_comparisons",
    "compare",
    "evaluate",
    "load_tasks",
    "parse_score",
    "run_taskeval",
    "samples_of_run",
    "summarize",
]

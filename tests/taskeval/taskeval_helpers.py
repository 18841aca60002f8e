"""Helpers of the own-task tests: models behind the retry loop, and one run as the command does."""

from __future__ import annotations

import asyncio

from codejury.providers.base import Provider
from codejury.providers.registry import resolve
from codejury.providers.retry import Limiter, RetryingProvider, RetryPolicy
from codejury.sandbox.jail import SandboxConfig
from codejury.store import Store
from codejury.taskeval.models import TaskFile
from codejury.taskeval.run import (
    Endpoint,
    RunOptions,
    TaskEvalResult,
    TaskEvalSpec,
    run_taskeval,
)


def endpoint(
    ref: str, provider: Provider, price_in: float | None = 1.0, retries: int = 0
) -> Endpoint:
    """A model behind the same limiter and retry loop the command uses (no waiting)."""
    config = resolve(ref)

    async def no_sleep(_s: float) -> None:
        return None

    wrapped = RetryingProvider(
        provider,
        limiter=Limiter(config.concurrency, config.rpm),
        policy=RetryPolicy(attempts=retries + 1, sleep=no_sleep),
    )

    def cost(tokens_in: int | None, tokens_out: int | None) -> float | None:
        if price_in is None:
            return None
        return price_in * ((tokens_in or 0) + 2 * (tokens_out or 0)) / 1e6

    return Endpoint(config, wrapped, cost)


def run_once(
    tasks: TaskFile,
    store: Store,
    model: Endpoint,
    judge: Endpoint | None = None,
    **spec: object,
) -> TaskEvalResult:
    """Run one model on a task file, as the command does."""
    full = TaskEvalSpec(
        model=model.config,
        tasks=tasks,
        task_ids=tuple(tasks.tasks),
        judge=None if judge is None else judge.config,
        **spec,  # type: ignore[arg-type]
    )
    options = RunOptions(workers=1, sandbox=SandboxConfig())
    return asyncio.run(run_taskeval(full, store, model, judge, options))

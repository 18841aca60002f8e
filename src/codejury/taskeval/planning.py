"""Own tasks as requests for the shared generation loop (:class:`codejury.runner.Generator`).

The Generator runs benchmarks; a task file is handed to it as a benchmark of the team's own
whose requests a :class:`TaskPlanner` builds (the task's own messages, not a benchmark
prompt), so concurrency, the completion cache, durable writes, resume and the failure policy
are the very same as ``codejury eval``'s.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping

from codejury.datasets.models import Benchmark, Problem
from codejury.providers.base import Generation, GenerationRequest, Message
from codejury.sanitize import Sanitized, sanitize
from codejury.taskeval.models import TaskFile

TEXT_RULE = "text"
"""The sanitize rule recorded for answers of tasks that run no code (nothing is extracted)."""


def planned_benchmark(ident: str, content_hash: str, prompts: Mapping[str, str]) -> Benchmark:
    """A benchmark whose problems are only ids and prompts, for a planner to turn into requests.

    ``family`` and ``mode`` matter only to benchmark prompts and scoring, which the planner and
    the task checks replace.
    """
    problems = {
        task_id: Problem(task_id=task_id, prompt=prompt, entry_point="", canonical_solution="")
        for task_id, prompt in prompts.items()
    }
    return Benchmark(
        id=ident,
        version=content_hash[:12],
        family="humaneval",
        mode="check",
        has_plus=False,
        content_hash=content_hash,
        source=ident,
        problems=problems,
    )


def answer_sha(text: str) -> str:
    """Short hash of an answer: a check's stored verdict is reused only for the same answer."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def completion_prompt(messages: tuple[Message, ...]) -> str:
    """A chat as one text, for models served as plain completion (``style = "completion"``)."""
    return "\n\n".join(m.content for m in messages).rstrip() + "\n"


class TaskPlanner:
    """Builds each task's request and extracts code only where a check runs it.

    Args:
        tasks: The task file.
        completion: Send one text prompt instead of chat messages.
        max_tokens: Most tokens per answer.
        temperature: Sampling temperature.
        seed: Sampling seed (answer ``i`` gets ``seed + i``) or None.
        timeout_s: Deadline of one request attempt.
    """

    def __init__(
        self,
        tasks: TaskFile,
        *,
        completion: bool,
        max_tokens: int,
        temperature: float,
        seed: int | None,
        timeout_s: float,
    ) -> None:
        self.tasks = tasks
        self.completion = completion
        self.max_tokens = max_tokens
        self.temperature = temperature
        self.seed = seed
        self.timeout_s = timeout_s

    def request(self, problem: Problem, index: int) -> GenerationRequest:
        """The request for answer ``index`` of the task ``problem`` stands for."""
        task = self.tasks.tasks[problem.task_id]
        seed = None if self.seed is None else self.seed + index
        if self.completion:
            return GenerationRequest(
                prompt=completion_prompt(task.messages),
                max_tokens=self.max_tokens,
                temperature=self.temperature,
                seed=seed,
                timeout_s=self.timeout_s,
            )
        return GenerationRequest(
            messages=task.messages,
            max_tokens=self.max_tokens,
            temperature=self.temperature,
            seed=seed,
            timeout_s=self.timeout_s,
        )

    def extract(self, problem: Problem, generation: Generation) -> Sanitized:
        """The answer's code for tasks with unit tests; nothing for the others."""
        task = self.tasks.tasks[problem.task_id]
        if not task.needs_code:
            return Sanitized("", TEXT_RULE, "no_code")
        return sanitize(generation.text, task.entry_point, reasoning=generation.reasoning)

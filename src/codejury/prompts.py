"""Prompt styles: how a benchmark problem becomes a model request, EvalPlus-compatible by default.

Two styles, as in EvalPlus's ``codegen``:

- ``instruct`` (chat models): a system message and one user message asking for a
  self-contained script in a markdown code block, with the problem's prompt inside a fence.
  The wording is EvalPlus's, so scores are comparable with its leaderboard's "prompted" rows.
- ``completion`` (base models): the raw problem prompt, continued until one of EvalPlus's
  stop sequences; the program is then ``prompt + completion``.

The style and every string sent are recorded in the run spec, so a run can be reproduced
and two runs with different prompts are never silently compared.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Literal

from codejury.datasets.models import OracleFamily, Problem
from codejury.errors import ConfigError
from codejury.providers.base import GenerationRequest, Message

PromptStyle = Literal["instruct", "completion"]
STYLES: tuple[PromptStyle, ...] = ("instruct", "completion")

# EvalPlus 0.3.1, evalplus/codegen.py and evalplus/provider/openai.py.
INSTRUCTION_PREFIX = (
    "Please provide a self-contained Python script that solves the following problem in a "
    "markdown code block:"
)
SYSTEM_PROMPT = "You are a helpful assistant good at coding."
# EvalPlus's end-of-sequence strings for base models; the per-dataset extras stop a
# completion at the next top-level statement, which would start a second answer.
_BASE_STOPS = ("<|endoftext|>", "<|endofmask|>", "</s>", "\nif __name__", "\ndef main(", "\nprint(")
_FAMILY_STOPS: dict[str, tuple[str, ...]] = {
    "humaneval": ("\ndef ", "\nclass ", "\nimport ", "\nfrom ", "\nassert "),
    "mbpp": ('\n"""', "\nassert"),
}


@dataclass(frozen=True)
class PromptSpec:
    """How requests are built; recorded in the run spec.

    Attributes:
        style: ``instruct`` or ``completion``.
        system: System message for ``instruct`` (empty string: none).
        instruction: Text put before the fenced problem for ``instruct``.
    """

    style: PromptStyle = "instruct"
    system: str = SYSTEM_PROMPT
    instruction: str = INSTRUCTION_PREFIX

    def __post_init__(self) -> None:
        if self.style not in STYLES:
            raise ConfigError(
                f"unknown prompt style {self.style!r}", hint=f"use one of: {', '.join(STYLES)}"
            )

    def as_dict(self) -> dict[str, str]:
        """JSON-ready form for the run spec."""
        return {"style": self.style, "system": self.system, "instruction": self.instruction}

    def digest(self) -> str:
        """Short hash of the prompt settings, part of every generation's cache key."""
        blob = json.dumps(self.as_dict(), sort_keys=True).encode()
        return hashlib.sha256(blob).hexdigest()[:16]


def stop_sequences(style: PromptStyle, family: OracleFamily) -> tuple[str, ...]:
    """Stop sequences EvalPlus uses for ``style`` on a benchmark family (none for chat)."""
    if style == "instruct":
        return ()
    return _BASE_STOPS + _FAMILY_STOPS.get(family, ())


def build_request(
    problem: Problem,
    family: OracleFamily,
    spec: PromptSpec,
    *,
    max_tokens: int,
    temperature: float,
    seed: int | None = None,
    timeout_s: float = 120.0,
) -> GenerationRequest:
    """The request for one problem in the given style."""
    stops = stop_sequences(spec.style, family)
    if spec.style == "completion":
        return GenerationRequest(
            prompt=problem.prompt,
            max_tokens=max_tokens,
            temperature=temperature,
            seed=seed,
            stop=stops,
            timeout_s=timeout_s,
        )
    user = f"{spec.instruction}\n```python\n{problem.prompt.strip()}\n```"
    messages = ((Message("system", spec.system),) if spec.system else ()) + (Message("user", user),)
    return GenerationRequest(
        messages=messages,
        max_tokens=max_tokens,
        temperature=temperature,
        seed=seed,
        timeout_s=timeout_s,
    )


def cut_at_stop(text: str, stops: tuple[str, ...]) -> str:
    """``text`` up to the earliest stop sequence.

    Servers differ in how many stop strings they accept (OpenAI takes four), so the cut is
    also made here: a completion never runs into a second answer whatever the server did.
    """
    end = len(text)
    for stop in stops:
        at = text.find(stop)
        if 0 <= at < end:
            end = at
    return text[:end]


def program_text(problem: Problem, style: PromptStyle, answer: str, family: OracleFamily) -> str:
    """The text handed to the sanitizer: the answer, or prompt + answer for completions."""
    if style == "completion":
        return problem.prompt + cut_at_stop(answer, stop_sequences(style, family))
    return answer

"""Files for ``codejury select`` tests: mock models that really solve some HumanEval+ tasks.

Each mock model answers the reference program of the tasks it "knows" (matched by the
function name in the prompt) and the mock's default non-solution otherwise, so its pass@1 on
the first five tasks is known in advance and is then measured for real in the sandbox.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from codejury.datasets import Benchmark

FIRST_FIVE = 5


@dataclass(frozen=True)
class Mock:
    """One mock model of codejury.toml.

    Attributes:
        name: Its codejury.toml name.
        solves: How many of the first five HumanEval+ tasks it answers correctly.
        price: (input, output) USD per 1M tokens.
        latency_s: Simulated time per request.
        open_weights: The fact stated in codejury.toml.
        answers: Extra answers: text in the prompt → answer (for the task file).
    """

    name: str
    solves: int
    price: tuple[float, float] = (1.0, 2.0)
    latency_s: float = 0.0
    open_weights: bool = True
    answers: Mapping[str, str] = field(default_factory=dict)


def _toml_string(text: str) -> str:
    return json.dumps(text)  # a JSON string is a valid TOML basic string


def write_models(where: Path, bench: Benchmark, mocks: Sequence[Mock]) -> Path:
    """codejury.toml with one ``[models.<name>]`` table per mock."""
    problems = list(bench.problems.values())[:FIRST_FIVE]
    parts = []
    for m in mocks:
        parts.append(
            f'[models.{m.name}]\nprovider = "mock"\nmodel = "{m.name}"\n'
            f"prices = {{ input = {m.price[0]}, output = {m.price[1]} }}\n"
            f"open_weights = {'true' if m.open_weights else 'false'}\n"
            f"context_window = 32000\nlatency_s = {m.latency_s}\n"
        )
        lines = [f"[models.{m.name}.responses]"]
        for p in problems[: m.solves]:
            answer = f"```python\n{p.reference_program}\n```"
            lines.append(f"{_toml_string('def ' + p.entry_point + '(')} = {_toml_string(answer)}")
        lines += [f"{_toml_string(k)} = {_toml_string(v)}" for k, v in m.answers.items()]
        parts.append("\n".join(lines) + "\n")
    path = where / "codejury.toml"
    path.write_text("\n".join(parts), encoding="utf-8")
    return path


TASKS = [
    {
        "id": "capital",
        "prompt": "What is the capital of France? One word.",
        "checks": [{"kind": "contains", "expected": "Paris"}],
    },
    {
        "id": "colour",
        "prompt": "What colour is a clear daytime sky? One word.",
        "checks": [{"kind": "contains", "expected": "blue", "ignore_case": True}],
    },
]
KNOWS_BOTH = {"capital of France": "Paris.", "daytime sky": "Blue."}


def write_tasks(where: Path) -> Path:
    """A two-task file: ``KNOWS_BOTH`` answers pass both checks."""
    path = where / "tasks.jsonl"
    path.write_text("".join(json.dumps(t) + "\n" for t in TASKS), encoding="utf-8")
    return path


def write_votes(path: Path, wins: Mapping[tuple[str, str], int]) -> Path:
    """A FastChat clean-battle file: ``wins[(winner, loser)]`` votes each, alternating sides."""
    records: list[dict[str, Any]] = []
    for (winner, loser), count in wins.items():
        for i in range(count):
            a, b = (winner, loser) if i % 2 == 0 else (loser, winner)
            records.append(
                {
                    "model_a": a,
                    "model_b": b,
                    "winner": "model_a" if a == winner else "model_b",
                    "judge": f"voter_{i}",
                    "question_id": f"q{i}",
                    "turn": 1,
                    "anony": True,
                    "tstamp": 1_700_000_000 + i,
                }
            )
    path.write_text(json.dumps(records, indent=1), encoding="utf-8")
    return path


def selection(where: Path, data_dir: Path, body: str, name: str = "selection.toml") -> Path:
    """A selection file: ``[selection]`` pointing at the data and the models, then ``body``."""
    path = where / name
    head = (
        f'[selection]\nname = "test"\ncodejury_config = "codejury.toml"\n'
        f"data_dir = {_toml_string(str(data_dir))}\n\n"
    )
    path.write_text(head + body, encoding="utf-8")
    return path

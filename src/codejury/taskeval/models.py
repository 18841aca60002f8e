"""The task file schema: tasks, their checks, and the loader that validates them.

A task file holds the team's own prompts, each with one or more checks (see
``docs/taskeval.md`` for the schema with examples). :func:`load_tasks` reads JSONL, CSV or
YAML and checks everything a run would trip over later — unknown keys and check kinds,
regexes that do not compile, schemas that are not JSON Schemas, unit tests that do not parse
— and reports every problem with its ``file:line``, what was wrong and what to write instead.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from codejury.providers.base import Message
from codejury.taskeval.checkspec import (
    CHECK_KINDS,
    Check,
    ContainsCheck,
    ExactCheck,
    JsonSchemaCheck,
    JudgeCheck,
    LabelCheck,
    RegexCheck,
    UnitTestsCheck,
    parse_check,
)
from codejury.taskeval.formats import Located, line_in, read_entries
from codejury.taskeval.problems import Problems, suggest

__all__ = [
    "CHECK_KINDS",
    "Check",
    "ContainsCheck",
    "ExactCheck",
    "JsonSchemaCheck",
    "JudgeCheck",
    "LabelCheck",
    "RegexCheck",
    "Task",
    "TaskFile",
    "UnitTestsCheck",
    "load_tasks",
]

RESERVED_PREFIX = "judge/"
"""Task ids may not start with this: the run stores its judge's answers under such ids."""

_TASK_KEYS = ("id", "prompt", "messages", "system", "checks", "meta")
_ROLES = ("system", "user", "assistant")


@dataclass(frozen=True)
class Task:
    """One of the team's prompts and the checks its answer must pass.

    Attributes:
        id: Unique id within the file (``line-N`` when the file gives none).
        messages: The conversation sent to the model (system prompt first, if any).
        checks: The checks, each with a name unique within the task.
        line: Where the task starts in its file.
        meta: Free-form facts from the file (tags, source...), kept with the results.
    """

    id: str
    messages: tuple[Message, ...]
    checks: tuple[Check, ...]
    line: int = 0
    meta: Mapping[str, Any] = field(default_factory=dict)

    @property
    def prompt(self) -> str:
        """The last user message: what a reader would call the question."""
        users = [m.content for m in self.messages if m.role == "user"]
        return users[-1] if users else self.messages[-1].content

    @property
    def entry_point(self) -> str | None:
        """The function a unit-test check names, which steers the code extraction."""
        for check in self.checks:
            if isinstance(check, UnitTestsCheck) and check.entry_point:
                return check.entry_point
        return None

    @property
    def needs_code(self) -> bool:
        """Whether some check runs the answer's code."""
        return any(isinstance(c, UnitTestsCheck) for c in self.checks)

    def document(self) -> dict[str, Any]:
        """JSON-ready form (what the content hash covers)."""
        return {
            "id": self.id,
            "messages": [[m.role, m.content] for m in self.messages],
            "checks": [c.document() for c in self.checks],
            "meta": dict(self.meta),
        }


@dataclass(frozen=True)
class TaskFile:
    """A loaded, validated task file.

    Attributes:
        path: The file.
        label: How messages name it.
        format: ``jsonl``, ``csv`` or ``yaml``.
        tasks: Tasks by id, in file order.
        content_hash: sha256 of every task as validated (prompts, checks, and the unit tests
            and schemas read from other files), so editing any of them starts a new run.
    """

    path: Path
    label: str
    format: str
    tasks: dict[str, Task]
    content_hash: str

    def kinds(self) -> list[str]:
        """The check kinds the file uses, in the order of :data:`CHECK_KINDS`."""
        used = {c.kind for t in self.tasks.values() for c in t.checks}
        return [k for k in CHECK_KINDS if k in used]

    def has_judge(self) -> bool:
        """Whether some task is graded by an LLM judge."""
        return "judge" in self.kinds()


def load_tasks(path: Path | str, label: str | None = None) -> TaskFile:
    """Read and validate a task file.

    Args:
        path: A ``.jsonl``, ``.csv`` or ``.yaml``/``.yml`` file.
        label: How messages name the file (default: the path as given).

    Returns:
        The validated tasks.

    Raises:
        DataError: Any problem in the file; the message lists each one as ``file:line: ...``.
    """
    path = Path(path)
    label = label or str(path)
    fmt, entries = read_entries(path, label)
    problems = Problems(label)
    tasks: dict[str, Task] = {}
    first_line: dict[str, int] = {}
    for entry in entries:
        task_id = _task_id(entry, problems)
        if task_id in first_line:
            problems.add(
                entry.line_of("id"),
                f"task id {task_id!r} is already used on line {first_line[task_id]}",
                "give every task its own id",
            )
            continue
        first_line[task_id] = entry.line
        task = _task(entry, task_id, path.parent, problems)
        if task is not None:
            tasks[task.id] = task
    if not entries:
        problems.add(1, "the file has no tasks", "add one task per line (JSONL), row (CSV) or item")
    problems.raise_if_any()
    _check_labels(tasks, problems)
    problems.raise_if_any()
    blob = json.dumps([t.document() for t in tasks.values()], sort_keys=True, ensure_ascii=False)
    digest = hashlib.sha256(blob.encode("utf-8")).hexdigest()
    return TaskFile(path, label, fmt, tasks, digest)


def _task_id(entry: Located, problems: Problems) -> str:
    task_id = entry.get("id", f"line-{entry.line}")
    if isinstance(task_id, int) and not isinstance(task_id, bool):
        task_id = str(task_id)
    if not isinstance(task_id, str) or not task_id.strip():
        problems.add(entry.line_of("id"), "id must be a non-empty string", 'e.g. "id": "refund-1"')
        return f"line-{entry.line}"
    if task_id.startswith(RESERVED_PREFIX):
        problems.add(
            entry.line_of("id"), f"task ids may not start with {RESERVED_PREFIX!r}", "rename it"
        )
    return task_id.strip()


def _task(entry: Located, task_id: str, base: Path, problems: Problems) -> Task | None:
    errors = len(problems)
    for key in entry:
        if key not in _TASK_KEYS:
            problems.add(entry.line_of(key), f"unknown task key {key!r}", suggest(key, _TASK_KEYS))
    messages = _messages(entry, problems)
    raw_checks = entry.get("checks")
    checks: list[Check] = []
    if not isinstance(raw_checks, list) or not raw_checks:
        problems.add(
            entry.line_of("checks"),
            "a task needs a non-empty list of checks",
            f'e.g. "checks": [{{"kind": "contains", "expected": "42"}}]; kinds: '
            f"{', '.join(CHECK_KINDS)}",
        )
    else:
        kinds = [raw.get("kind") if isinstance(raw, dict) else None for raw in raw_checks]
        for position, raw in enumerate(raw_checks):
            kind = str(kinds[position])
            nth = kinds[: position + 1].count(kinds[position])
            default = kind if kinds.count(kinds[position]) == 1 else f"{kind}-{nth}"
            line = line_in(raw, None, entry.line)
            check = parse_check(raw, position, line, base, problems, default)
            if check is not None:
                checks.append(check)
    names = [c.name for c in checks]
    for name in sorted({n for n in names if names.count(n) > 1}):
        problems.add(entry.line_of("checks"), f"two checks are named {name!r}", "rename one")
    meta = entry.get("meta", {})
    if not isinstance(meta, dict):
        problems.add(entry.line_of("meta"), "meta must be a mapping", 'e.g. "meta": {"tag": "x"}')
    if len(problems) > errors or messages is None:
        return None
    return Task(task_id, messages, tuple(checks), entry.line, dict(meta))


def _messages(entry: Located, problems: Problems) -> tuple[Message, ...] | None:
    system = entry.get("system")
    if system is not None and not isinstance(system, str):
        problems.add(entry.line_of("system"), "system must be a string", None)
        system = None
    head = (Message("system", system),) if system else ()
    if ("prompt" in entry) == ("messages" in entry):
        problems.add(
            entry.line,
            "a task needs exactly one of 'prompt' (text) or 'messages' (a chat)",
            '"prompt": "..." or "messages": [{"role": "user", "content": "..."}]',
        )
        return None
    if "prompt" in entry:
        prompt = entry["prompt"]
        if not isinstance(prompt, str) or not prompt.strip():
            problems.add(entry.line_of("prompt"), "prompt must be a non-empty string", None)
            return None
        return (*head, Message("user", prompt))
    raw = entry["messages"]
    line = entry.line_of("messages")
    if not isinstance(raw, list) or not raw:
        problems.add(line, "messages must be a non-empty list", '[{"role": "user", ...}]')
        return None
    out: list[Message] = list(head)
    for position, item in enumerate(raw, start=1):
        where = line_in(item, None, line)
        if not isinstance(item, dict) or set(item) != {"role", "content"}:
            problems.add(where, f"message {position} needs exactly 'role' and 'content'", None)
            return None
        role, content = item["role"], item["content"]
        if role not in _ROLES or not isinstance(content, str):
            problems.add(
                where,
                f"message {position}: role must be one of {', '.join(_ROLES)} and content a string",
                suggest(str(role), _ROLES),
            )
            return None
        out.append(Message(role, content))
    if out[-1].role != "user":
        problems.add(line, "the last message must be the user's", "end the chat with a question")
        return None
    return tuple(out)


def _check_labels(tasks: Mapping[str, Task], problems: Problems) -> None:
    # Label checks of one name form one classification: their label sets must agree, or the
    # confusion matrix would mix incomparable rows.
    sets: dict[str, tuple[tuple[str, ...], int]] = {}
    for task in tasks.values():
        for check in task.checks:
            if not isinstance(check, LabelCheck) or not check.labels:
                continue
            seen = sets.setdefault(check.name, (check.labels, check.line))
            if set(seen[0]) != set(check.labels):
                problems.add(
                    check.line,
                    f"label check {check.name!r} lists labels {list(check.labels)}, but line "
                    f"{seen[1]} lists {list(seen[0])}",
                    "use the same labels for every task of one classification, or name the "
                    "checks differently",
                )

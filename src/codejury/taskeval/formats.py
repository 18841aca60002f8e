"""Reading task files (JSONL, CSV, YAML) into mappings that remember their line numbers.

Every reader returns :class:`Located` dicts: plain dicts that also know the line they start
on and the line of each key, so the schema check in :mod:`codejury.taskeval.models` can say
``my_tasks.yaml:14: ...`` whatever the format. Syntax errors become a :class:`DataError`
naming the file and line here already.
"""

from __future__ import annotations

import csv
import difflib
import io
import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import yaml  # type: ignore[import-untyped]

from codejury.errors import DataError

FORMATS = {".jsonl": "jsonl", ".ndjson": "jsonl", ".csv": "csv", ".yaml": "yaml", ".yml": "yaml"}
"""File extensions codejury reads task files from, and the format each one means."""

CSV_COLUMNS = (
    "id",
    "prompt",
    "system",
    "checks",
    "label",
    "labels",
    "exact",
    "contains",
    "regex",
    "judge",
)
"""Columns of a CSV task file; ``checks`` holds a JSON list for anything the others cannot say."""


class Located(dict[str, Any]):
    """A mapping read from a task file, with the line it starts on and each key's line."""

    def __init__(self, items: Any = (), *, line: int, key_lines: dict[str, int] | None = None):
        super().__init__(items)
        self.line = line
        self.key_lines = key_lines or {}

    def line_of(self, key: str) -> int:
        """The line of ``key`` (or of the mapping when the key is absent or not tracked)."""
        return self.key_lines.get(key, self.line)


def line_in(value: object, key: str | None, default: int) -> int:
    """Line of ``key`` in ``value`` when it is a :class:`Located` mapping, else ``default``."""
    if isinstance(value, Located):
        return value.line_of(key) if key is not None else value.line
    return default


def read_entries(path: Path, label: str) -> tuple[str, list[Located]]:
    """Read a task file into one :class:`Located` mapping per task.

    Args:
        path: The file.
        label: How messages name it (usually the path as the user wrote it).

    Returns:
        The format name and the raw tasks, in file order.

    Raises:
        DataError: Unknown extension, unreadable file, or a syntax error (with its line).
    """
    fmt = FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise DataError(
            f"{label}: cannot tell the task file's format from its extension {path.suffix!r}",
            hint="name it .jsonl (one JSON object per line), .csv or .yaml",
        )
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError as exc:
        raise DataError(f"task file not found: {label}", hint="check the --tasks path") from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise DataError(
            f"cannot read the task file {label}: {exc}", hint="save it as UTF-8 text"
        ) from exc
    readers: dict[str, Callable[[str, str], list[Located]]] = {
        "jsonl": _read_jsonl,
        "csv": _read_csv,
        "yaml": _read_yaml,
    }
    return fmt, readers[fmt](text, label)


# --- JSONL -----------------------------------------------------------------------------------


def _read_jsonl(text: str, label: str) -> list[Located]:
    entries: list[Located] = []
    for number, raw in enumerate(text.splitlines(), start=1):
        if not raw.strip():
            continue

        def hook(pairs: list[tuple[str, Any]], line: int = number) -> Located:
            return _unique(pairs, line, {}, label)

        try:
            value = json.loads(raw, object_pairs_hook=hook)
        except json.JSONDecodeError as exc:
            raise DataError(
                f"{label}:{number}: not valid JSON ({exc.msg}, column {exc.colno})",
                hint="each line of a .jsonl file holds one complete JSON object",
            ) from exc
        if not isinstance(value, Located):
            raise DataError(
                f"{label}:{number}: expected a JSON object (a task), got {_kind(value)}",
                hint='e.g. {"id": "t1", "prompt": "...", "checks": [...]}',
            )
        entries.append(value)
    return entries


def _unique(
    pairs: list[tuple[str, Any]], line: int, key_lines: dict[str, int], label: str
) -> Located:
    seen: set[str] = set()
    for key, _ in pairs:
        if key in seen:
            raise DataError(
                f"{label}:{key_lines.get(key, line)}: key {key!r} appears twice in one object",
                hint="keep one of them",
            )
        seen.add(key)
    return Located(pairs, line=line, key_lines=key_lines)


# --- CSV -------------------------------------------------------------------------------------


def _read_csv(text: str, label: str) -> list[Located]:
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        header = next(reader, None)
    except csv.Error as exc:
        raise DataError(f"{label}:1: cannot parse the CSV header: {exc}") from exc
    if header is None:
        return []
    columns = [c.strip() for c in header]
    for name in columns:
        if name not in CSV_COLUMNS:
            close = difflib.get_close_matches(name, CSV_COLUMNS, n=1)
            guess = f"did you mean {close[0]!r}? " if close else ""
            raise DataError(
                f"{label}:1: unknown column {name!r}",
                hint=f"{guess}columns: {', '.join(CSV_COLUMNS)}",
            )
    if "prompt" not in columns:
        raise DataError(f"{label}:1: the header has no 'prompt' column", hint=_CSV_HINT)
    entries: list[Located] = []
    start = reader.line_num + 1
    for row in _rows(reader, label):
        if any(cell.strip() for cell in row):
            entries.append(_csv_task(columns, row, start, label))
        start = reader.line_num + 1
    return entries


_CSV_HINT = "first line: id,prompt,label (or exact, contains, regex, judge, checks ...)"


def _rows(reader: Any, label: str) -> Iterator[list[str]]:
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            raise DataError(
                f"{label}:{reader.line_num}: cannot parse this CSV row: {exc}",
                hint="a cell with commas, quotes or line breaks must be in double quotes, "
                'with inner quotes doubled ("")',
            ) from exc
        yield row


def _csv_task(columns: list[str], row: list[str], line: int, label: str) -> Located:
    if len(row) != len(columns):
        raise DataError(
            f"{label}:{line}: {len(row)} cells, but the header has {len(columns)} columns",
            hint="quote cells that contain commas",
        )
    cells = {name: value for name, value in zip(columns, row, strict=True) if value.strip()}
    task = Located(line=line)
    for key in ("id", "prompt", "system"):
        if key in cells:
            task[key] = cells[key]
    checks: list[Any] = []
    if "label" in cells:
        check = Located({"kind": "label", "expected": cells["label"].strip()}, line=line)
        if "labels" in cells:
            check["labels"] = [x.strip() for x in cells["labels"].split("|") if x.strip()]
        checks.append(check)
    elif "labels" in cells:
        raise DataError(f"{label}:{line}: 'labels' without 'label'", hint="fill the label column")
    for kind in ("exact", "contains"):
        if kind in cells:
            checks.append(Located({"kind": kind, "expected": cells[kind]}, line=line))
    if "regex" in cells:
        checks.append(Located({"kind": "regex", "pattern": cells["regex"]}, line=line))
    if "judge" in cells:
        checks.append(Located({"kind": "judge", "rubric": cells["judge"]}, line=line))
    if "checks" in cells:
        try:
            extra = json.loads(
                cells["checks"], object_pairs_hook=lambda p: _unique(p, line, {}, label)
            )
        except json.JSONDecodeError as exc:
            raise DataError(
                f"{label}:{line}: the 'checks' cell is not valid JSON ({exc.msg})",
                hint='write a JSON list, e.g. [{"kind": "contains", "expected": "x"}]',
            ) from exc
        checks.extend(extra if isinstance(extra, list) else [extra])
    task["checks"] = checks
    return task


# --- YAML ------------------------------------------------------------------------------------


class _Loader(yaml.SafeLoader):  # type: ignore[misc]
    """Safe YAML whose mappings are :class:`Located` and whose duplicate keys are errors."""

    label = ""


def _construct_mapping(loader: _Loader, node: yaml.MappingNode) -> Located:
    loader.flatten_mapping(node)
    key_lines: dict[str, int] = {}
    pairs: list[tuple[str, Any]] = []
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        if not isinstance(key, str):
            key = str(key)
        key_lines.setdefault(key, key_node.start_mark.line + 1)
        if key in dict(pairs):
            raise DataError(
                f"{loader.label}:{key_node.start_mark.line + 1}: key {key!r} appears twice "
                "in one mapping",
                hint="keep one of them",
            )
        pairs.append((key, loader.construct_object(value_node, deep=True)))
    return Located(pairs, line=node.start_mark.line + 1, key_lines=key_lines)


_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def _read_yaml(text: str, label: str) -> list[Located]:
    loader = _Loader(text)
    loader.label = label
    try:
        document = loader.get_single_data()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = f":{mark.line + 1}" if mark is not None else ""
        raise DataError(
            f"{label}{line}: not valid YAML ({exc.problem or exc.context})",
            hint="check the indentation; quote strings that contain ': ' or start with a symbol",
        ) from exc
    except yaml.YAMLError as exc:
        raise DataError(f"{label}: not valid YAML ({exc})") from exc
    finally:
        loader.dispose()
    if document is None:
        return []
    if isinstance(document, Located) and "tasks" in document:
        for key in document:
            if key != "tasks":
                raise DataError(
                    f"{label}:{document.line_of(key)}: unknown top-level key {key!r}",
                    hint="the file holds a list of tasks, or that list under 'tasks:'",
                )
        document = document["tasks"]
    if not isinstance(document, list):
        raise DataError(
            f"{label}:1: expected a list of tasks, got {_kind(document)}",
            hint="start each task with '- id: ...' (or put the list under 'tasks:')",
        )
    for position, item in enumerate(document, start=1):
        if not isinstance(item, Located):
            raise DataError(
                f"{label}: task {position} is {_kind(item)}, not a mapping",
                hint="each list item needs keys such as prompt: and checks:",
            )
    return document


def _kind(value: object) -> str:
    names = {list: "a list", str: "a string", bool: "a boolean", int: "a number"}
    names |= {float: "a number", type(None): "nothing (null)"}
    return names.get(type(value), "a mapping" if isinstance(value, dict) else type(value).__name__)

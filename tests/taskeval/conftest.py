"""Fixtures of the own-task tests: a store and task files."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from codejury.store import Store
from codejury.taskeval.models import TaskFile, load_tasks


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    with Store.open(tmp_path / "runs.db") as s:
        yield s


@pytest.fixture
def write_tasks(tmp_path: Path) -> Callable[..., TaskFile]:
    """Write tasks (dicts) as a JSONL file and load it."""

    def write(*tasks: dict[str, object], name: str = "tasks.jsonl") -> TaskFile:
        path = tmp_path / name
        path.write_text("".join(json.dumps(t) + "\n" for t in tasks), encoding="utf-8")
        return load_tasks(path)

    return write

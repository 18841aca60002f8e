"""The examples in docs/taskeval.md are valid task files."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from codejury.taskeval.models import load_tasks

DOC = Path(__file__).resolve().parents[2] / "docs" / "taskeval.md"


def blocks(language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", DOC.read_text(encoding="utf-8"), re.DOTALL)


@pytest.mark.parametrize(
    ("language", "suffix"), [("jsonl", ".jsonl"), ("yaml", ".yaml"), ("csv", ".csv")]
)
def test_documented_examples_load(tmp_path: Path, language: str, suffix: str) -> None:
    (example,) = blocks(language)
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "test_add.py").write_text("def test_add():\n    assert add(1, 2) == 3\n")
    path = tmp_path / f"example{suffix}"
    path.write_text(example, encoding="utf-8")
    tasks = load_tasks(path)
    assert len(tasks.tasks) >= 2


def test_the_jsonl_example_uses_every_kind_but_exact(tmp_path: Path) -> None:
    (example,) = blocks("jsonl")
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "test_add.py").write_text("def test_add():\n    assert add(1, 2) == 3\n")
    path = tmp_path / "e.jsonl"
    path.write_text(example, encoding="utf-8")
    assert load_tasks(path).kinds() == [
        "contains",
        "regex",
        "label",
        "json_schema",
        "unit_tests",
        "judge",
    ]

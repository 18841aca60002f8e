"""Task files: JSONL, CSV and YAML read into the same tasks; every problem named by file:line."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from codejury.errors import DataError
from codejury.taskeval.checkspec import (
    ContainsCheck,
    JsonSchemaCheck,
    JudgeCheck,
    LabelCheck,
    RegexCheck,
    UnitTestsCheck,
)
from codejury.taskeval.models import load_tasks

TESTS = "def test_add():\n    assert add(1, 2) == 3\n"


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def jsonl(tmp_path: Path, *tasks: object, name: str = "tasks.jsonl") -> Path:
    lines = [t if isinstance(t, str) else json.dumps(t) for t in tasks]
    return write(tmp_path, name, "\n".join(lines) + "\n")


def error_of(path: Path) -> DataError:
    with pytest.raises(DataError) as caught:
        load_tasks(path)
    return caught.value


def test_jsonl_reads_prompts_chats_and_every_check_kind(tmp_path: Path) -> None:
    write(tmp_path, "schema.json", '{"type": "object", "required": ["a"]}')
    write(tmp_path, "test_add.py", TESTS)
    path = jsonl(
        tmp_path,
        {
            "id": "t1",
            "system": "Be brief.",
            "prompt": "2+2?",
            "meta": {"tag": "math"},
            "checks": [
                {"kind": "exact", "expected": ["4", "four"], "ignore_case": True},
                {"kind": "contains", "expected": "4"},
                {"kind": "regex", "pattern": "^\\d+$", "flags": "m", "full": True},
            ],
        },
        "",  # blank lines are allowed
        {
            "id": "t2",
            "messages": [
                {"role": "system", "content": "You classify."},
                {"role": "user", "content": "great!"},
                {"role": "assistant", "content": "positive"},
                {"role": "user", "content": "awful"},
            ],
            "checks": [
                {"kind": "label", "expected": "negative", "labels": ["positive", "negative"]}
            ],
        },
        {
            "id": 3,
            "prompt": "json please",
            "checks": [
                {"kind": "json_schema", "schema_file": "schema.json"},
                {"kind": "judge", "rubric": "Is it JSON?", "pass_score": 3},
                {"kind": "unit_tests", "tests_file": "test_add.py", "entry_point": "add"},
            ],
        },
    )
    tf = load_tasks(path)
    assert tf.format == "jsonl" and list(tf.tasks) == ["t1", "t2", "3"]
    t1, t2, t3 = tf.tasks.values()
    assert [m.role for m in t1.messages] == ["system", "user"] and t1.prompt == "2+2?"
    assert t1.meta == {"tag": "math"} and t1.line == 1
    assert [c.name for c in t1.checks] == ["exact", "contains", "regex"]
    assert isinstance(t1.checks[2], RegexCheck) and t1.checks[2].full
    assert [m.role for m in t2.messages] == ["system", "user", "assistant", "user"]
    assert t2.prompt == "awful" and t2.line == 3
    label = t2.checks[0]
    assert isinstance(label, LabelCheck) and label.labels == ("positive", "negative")
    schema, judge, tests = t3.checks
    assert isinstance(schema, JsonSchemaCheck) and schema.schema["required"] == ["a"]
    assert isinstance(judge, JudgeCheck) and judge.pass_score == 3
    assert isinstance(tests, UnitTestsCheck) and tests.test_names == ("test_add",)
    assert t3.needs_code and t3.entry_point == "add" and not t1.needs_code
    assert tf.kinds() == [
        "exact",
        "contains",
        "regex",
        "label",
        "json_schema",
        "unit_tests",
        "judge",
    ]
    assert tf.has_judge()


def test_the_hash_covers_referenced_files(tmp_path: Path) -> None:
    tests = write(tmp_path, "test_add.py", TESTS)
    path = jsonl(
        tmp_path,
        {"prompt": "add", "checks": [{"kind": "unit_tests", "tests_file": "test_add.py"}]},
    )
    first = load_tasks(path).content_hash
    assert load_tasks(path).content_hash == first
    tests.write_text(TESTS + "\ndef test_more():\n    assert add(0, 0) == 0\n")
    assert load_tasks(path).content_hash != first


def test_ids_default_to_the_line_and_repeated_kinds_get_numbered_names(tmp_path: Path) -> None:
    path = jsonl(
        tmp_path,
        {"prompt": "a", "checks": [{"kind": "contains", "expected": "x"}]},
        {
            "prompt": "b",
            "checks": [
                {"kind": "contains", "expected": "x"},
                {"kind": "contains", "expected": "y"},
                {"kind": "regex", "pattern": "z", "name": "zed"},
            ],
        },
    )
    tf = load_tasks(path)
    assert list(tf.tasks) == ["line-1", "line-2"]
    assert [c.name for c in tf.tasks["line-2"].checks] == ["contains-1", "contains-2", "zed"]


def test_csv_columns_become_checks(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "tasks.csv",
        "id,prompt,system,label,labels,contains,regex,judge,checks\n"
        's1,"Sentiment: ""great""",Be brief.,positive,positive|negative,,,,\n'
        's2,"multi\nline prompt",,,,Paris,^P,Is it right?,"[{""kind"": ""exact"", ""expected"": ""Paris""}]"\n',
    )
    tf = load_tasks(path)
    assert tf.format == "csv" and list(tf.tasks) == ["s1", "s2"]
    s1, s2 = tf.tasks.values()
    assert s1.prompt == 'Sentiment: "great"' and s1.messages[0].content == "Be brief."
    (label,) = s1.checks
    assert isinstance(label, LabelCheck) and label.labels == ("positive", "negative")
    assert [c.kind for c in s2.checks] == ["contains", "regex", "judge", "exact"]
    assert s2.prompt == "multi\nline prompt" and s2.line == 3


def test_yaml_block_scalars_and_a_tasks_key(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "tasks.yaml",
        """\
tasks:
  - id: add
    prompt: Write add(a, b).
    checks:
      - kind: unit_tests
        entry_point: add
        tests: |
          def test_add():
              assert add(2, 2) == 4
      - kind: regex
        pattern: 'def \\w+'
  - id: capital
    prompt: Capital of France?
    checks: [{kind: contains, expected: Paris, ignore_case: true}]
""",
    )
    tf = load_tasks(path)
    assert tf.format == "yaml" and list(tf.tasks) == ["add", "capital"]
    tests, regex = tf.tasks["add"].checks
    assert isinstance(tests, UnitTestsCheck) and "add(2, 2)" in tests.tests
    assert isinstance(regex, RegexCheck) and regex.compiled().search("def f(): ...")
    contains = tf.tasks["capital"].checks[0]
    assert isinstance(contains, ContainsCheck) and contains.ignore_case
    assert tf.tasks["capital"].line == 12 and tests.line == 5


@pytest.mark.parametrize(
    ("lines", "where", "words"),
    [
        (
            ['{"prompt": "a", "checks": [{"kind": "contains", "expected": "x"}]}', "{oops"],
            ":2:",
            "not valid JSON",
        ),
        (['["a list"]'], ":1:", "expected a JSON object"),
        (
            ['{"prompt": "a", "checks": [{"kind": "contain", "expected": "x"}]}'],
            ":1:",
            "did you mean 'contains'",
        ),
        (
            ['{"prompt": "a", "checks": [{"kind": "pytest", "tests": "x"}]}'],
            ":1:",
            "did you mean 'unit_tests'",
        ),
        (
            ['{"prompt": "a", "checks": [{"kind": "regex", "pattern": "(unclosed"}]}'],
            ":1:",
            "does not compile: missing ), unterminated subpattern at position 0",
        ),
        (
            ['{"prompt": "a", "checks": [{"kind": "json_schema", "schema": {"type": "strin"}}]}'],
            ":1:",
            "not a valid JSON Schema at type",
        ),
        (
            ['{"prompt": "a", "checks": [{"kind": "json_schema", "schema": {"minLength": -1}}]}'],
            ":1:",
            "not a valid JSON Schema at minLength",
        ),
        (['{"prompt": "a", "checks": []}'], ":1:", "non-empty list of checks"),
        (
            ['{"prompt": "a", "promt": "b", "checks": [{"kind": "contains", "expected": "x"}]}'],
            ":1:",
            "did you mean 'prompt'",
        ),
        (
            ['{"prompt": "a", "checks": [{"kind": "contains", "expectd": "x"}]}'],
            ":1:",
            "unknown key 'expectd'",
        ),
        (['{"prompt": "a", "prompt": "b", "checks": []}'], ":1:", "appears twice"),
        (['{"checks": [{"kind": "contains", "expected": "x"}]}'], ":1:", "exactly one of 'prompt'"),
        (
            ['{"prompt": "a", "checks": [{"kind": "judge", "rubric": "r", "pass_score": 6}]}'],
            ":1:",
            "pass_score must be an integer from 1 to 5",
        ),
        (
            [
                '{"prompt": "a", "checks": [{"kind": "unit_tests", "tests": "def helper():\\n    pass\\n"}]}'
            ],
            ":1:",
            "no tests found",
        ),
        (
            ['{"prompt": "a", "checks": [{"kind": "unit_tests", "tests": "def test_x(:\\n"}]}'],
            ":1:",
            "do not parse",
        ),
        (
            ['{"prompt": "a", "checks": [{"kind": "unit_tests", "tests_file": "nope.py"}]}'],
            ":1:",
            "cannot read nope.py",
        ),
        (
            ['{"prompt": "a", "checks": [{"kind": "label", "expected": "x", "labels": ["y"]}]}'],
            ":1:",
            "not in labels",
        ),
        (
            ['{"id": "judge/x", "prompt": "a", "checks": [{"kind": "contains", "expected": "x"}]}'],
            ":1:",
            "may not start with",
        ),
        (
            ['{"prompt": "a", "messages": [], "checks": [{"kind": "contains", "expected": "x"}]}'],
            ":1:",
            "exactly one of",
        ),
        (
            [
                '{"messages": [{"role": "robot", "content": "x"}], "checks": [{"kind": "contains", "expected": "x"}]}'
            ],
            ":1:",
            "role must be one of",
        ),
    ],
)
def test_jsonl_problems_name_the_line(
    tmp_path: Path, lines: list[str], where: str, words: str
) -> None:
    error = error_of(write(tmp_path, "my_tasks.jsonl", "\n".join(lines) + "\n"))
    text = str(error)
    assert f"my_tasks.jsonl{where}" in text, text
    assert words in text, text
    assert error.exit_code == 3


def test_every_problem_is_listed_at_once(tmp_path: Path) -> None:
    path = jsonl(
        tmp_path,
        {"id": "a", "prompt": "x", "checks": [{"kind": "regex", "pattern": "["}]},
        {"id": "b", "prompt": "x", "checks": [{"kind": "contains", "expected": "ok"}]},
        {"id": "a", "prompt": "x", "checks": [{"kind": "nope"}]},
        {"id": "a", "prompt": "y", "checks": [{"kind": "exact", "expected": "x"}]},
    )
    error = error_of(path)
    assert error.message.startswith("3 problems in the task file")
    lines = error.message.splitlines()[1:]
    assert [re.search(r":(\d+):", line).group(1) for line in lines] == ["1", "3", "4"]  # type: ignore[union-attr]
    assert "already used on line 1" in lines[2]


def test_label_sets_of_one_classification_must_agree(tmp_path: Path) -> None:
    path = jsonl(
        tmp_path,
        {"prompt": "a", "checks": [{"kind": "label", "expected": "x", "labels": ["x", "y"]}]},
        {"prompt": "b", "checks": [{"kind": "label", "expected": "x", "labels": ["x", "z"]}]},
    )
    error = error_of(path)
    assert "tasks.jsonl:2:" in error.message and "line 1 lists ['x', 'y']" in error.message


def test_yaml_problems_name_the_line_of_the_key(tmp_path: Path) -> None:
    bad_regex = "- prompt: a\n  checks:\n    - kind: contains\n      expected: x\n    - kind: regex\n      pattern: '(('\n"
    error = error_of(write(tmp_path, "t.yaml", bad_regex))
    assert "t.yaml:6:" in error.message and "does not compile" in error.message

    syntax = "- prompt: a\n  checks: [\n    - kind: x\n"
    error = error_of(write(tmp_path, "s.yaml", syntax))
    assert re.search(r"s\.yaml:\d+: not valid YAML", error.message)

    duplicate = "- prompt: a\n  prompt: b\n  checks: []\n"
    error = error_of(write(tmp_path, "d.yml", duplicate))
    assert "d.yml:2:" in error.message and "appears twice" in error.message

    extra = (
        "tasks:\n  - prompt: a\n    checks: [{kind: contains, expected: a}]\ndefaults:\n  n: 2\n"
    )
    error = error_of(write(tmp_path, "e.yaml", extra))
    assert "e.yaml:4:" in error.message and "unknown top-level key 'defaults'" in error.message

    scalar = "just a string\n"
    error = error_of(write(tmp_path, "x.yaml", scalar))
    assert "x.yaml:1:" in error.message and "expected a list of tasks" in error.message

    unknown_kind = "- id: q\n  prompt: a\n  checks:\n    - kind: contians\n      expected: b\n"
    error = error_of(write(tmp_path, "k.yaml", unknown_kind))
    assert "k.yaml:4:" in error.message and "did you mean 'contains'" in str(error)


def test_csv_problems_name_the_line(tmp_path: Path) -> None:
    error = error_of(write(tmp_path, "c.csv", "id,prompt,expected\n"))
    assert "c.csv:1:" in error.message and "unknown column 'expected'" in error.message
    assert error.hint is not None and "exact" in error.hint

    error = error_of(write(tmp_path, "n.csv", "id,label\nx,y\n"))
    assert "n.csv:1:" in error.message and "no 'prompt' column" in error.message

    rows = 'id,prompt,regex\nok,"fine",^a\n"two\nlines","p",(\n'
    error = error_of(write(tmp_path, "r.csv", rows))
    assert "r.csv:3:" in error.message and "does not compile" in error.message

    error = error_of(write(tmp_path, "j.csv", "id,prompt,checks\nx,p,[{oops\n"))
    assert "j.csv:2:" in error.message and "'checks' cell is not valid JSON" in error.message

    error = error_of(write(tmp_path, "w.csv", "id,prompt,contains\nx,p,a,b\n"))
    assert "w.csv:2:" in error.message and "4 cells" in error.message


def test_other_file_problems(tmp_path: Path) -> None:
    assert "not found" in error_of(tmp_path / "missing.jsonl").message
    error = error_of(write(tmp_path, "tasks.json", "[]"))
    assert "extension '.json'" in error.message and error.hint and ".jsonl" in error.hint
    assert "no tasks" in error_of(write(tmp_path, "empty.jsonl", "\n\n")).message

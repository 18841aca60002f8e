"""`codejury taskeval` end to end: a real OpenAI-compatible HTTP server, the official SDK, the
real sandbox and store; and once with the bundled in-process local model."""

from __future__ import annotations

import importlib
import json
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from codejury.cli import main
from codejury.store import Store

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "providers"))
from provider_fakes import Events, FakeServer, Recorded, Status, openai_events, serving

pytestmark = pytest.mark.timeout(300)

TESTS = (
    "def test_add():\n    assert add(2, 3) == 5\n\n\ndef test_zero():\n    assert add(0, 0) == 0\n"
)
TASKS = [
    {
        "id": "sentiment-1",
        "system": "Answer with one word.",
        "prompt": "Sentiment of: 'I love this phone'",
        "checks": [
            {
                "kind": "label",
                "name": "sentiment",
                "expected": "positive",
                "labels": ["positive", "negative"],
            }
        ],
    },
    {
        "id": "sentiment-2",
        "system": "Answer with one word.",
        "prompt": "Sentiment of: 'It broke in a day'",
        "checks": [
            {
                "kind": "label",
                "name": "sentiment",
                "expected": "negative",
                "labels": ["positive", "negative"],
            }
        ],
    },
    {
        "id": "capital",
        "prompt": "What is the capital of France?",
        "checks": [
            {"kind": "contains", "expected": "Paris"},
            {"kind": "regex", "pattern": "^[A-Z]"},
        ],
    },
    {
        "id": "person",
        "prompt": "Give a JSON object with name and age.",
        "checks": [
            {
                "kind": "json_schema",
                "schema": {
                    "type": "object",
                    "required": ["name", "age"],
                    "properties": {"age": {"type": "integer"}},
                },
            }
        ],
    },
    {
        "id": "add",
        "prompt": "Write a Python function add(a, b).",
        "checks": [
            {"kind": "unit_tests", "entry_point": "add", "tests_file": "test_add.py"},
            {"kind": "judge", "rubric": "The code is idiomatic Python."},
        ],
    },
]

# What each model says, by a word of the question.
ANSWERS = {
    "fake-a": {
        "love": "Positive",
        "broke": "negative",
        "capital": "Paris.",
        "JSON": '```json\n{"name": "Ada", "age": 36}\n```',
        "add(a, b)": "```python\ndef add(a, b):\n    return a + b\n```",
    },
    "fake-b": {
        "love": "positive",
        "broke": "positive",
        "capital": "the capital is Lyon",
        "JSON": '{"name": "Ada", "age": "old"}',
        "add(a, b)": "```python\ndef add(a, b):\n    return a * b\n```",
    },
}


@dataclass
class Ran:
    code: int
    out: str
    err: str

    @property
    def document(self) -> dict[str, Any]:
        return json.loads(self.out.strip().splitlines()[-1])


def run(capsys: pytest.CaptureFixture[str], *args: str) -> Ran:
    code = main(list(args))
    captured = capsys.readouterr()
    return Ran(code, captured.out, captured.err)


def responder(recorded: Recorded) -> Events:
    model = recorded.body["model"]
    asked = recorded.body["messages"][-1]["content"]
    if model == "fake-judge":
        score = 4 if "return a + b" in asked else 2
        text = f"Reasonable.\nScore: {score}"
    else:
        text = next(a for word, a in ANSWERS[model].items() if word in asked)
    return Events(openai_events(recorded, pieces=(text,), usage=(20, 10)))


@pytest.fixture
def server() -> Iterator[FakeServer]:
    yield from serving(responder)


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("CODEJURY_DB", str(tmp_path / "runs.db"))
    monkeypatch.setenv("COLUMNS", "200")
    monkeypatch.delenv("CODEJURY_CONFIG", raising=False)
    monkeypatch.chdir(tmp_path)
    (tmp_path / "test_add.py").write_text(TESTS)
    (tmp_path / "my_tasks.jsonl").write_text("".join(json.dumps(t) + "\n" for t in TASKS))
    return tmp_path


def configure(where: Path, url: str) -> None:
    tables = [
        f'[models.{name}]\nprovider = "vllm"\nmodel = "fake-{name}"\nbase_url = "{url}/v1"\n'
        f"concurrency = 2\nprices = {{ input = {price}, output = {price} }}\n"
        for name, price in (("a", 1.0), ("b", 2.0), ("judge", 10.0))
    ]
    (where / "codejury.toml").write_text("\n".join(tables))


def test_two_models_are_run_checked_judged_stored_and_compared(
    env: Path, server: FakeServer, capsys: pytest.CaptureFixture[str]
) -> None:
    configure(env, server.url)
    args = ["taskeval", "-m", "a", "-m", "b", "--tasks", "my_tasks.jsonl", "--judge", "judge"]
    ran = run(capsys, *args, "--json")
    assert ran.code == 0, ran.err
    doc = ran.document
    a, b = doc["runs"]
    assert a["model"] == "a" and b["model"] == "b"
    assert a["accuracy"]["value"] == 1.0 and a["status_counts"] == {
        "pass": 5,
        "fail": 0,
        "unscored": 0,
    }
    assert b["accuracy"]["value"] == pytest.approx(0.2)  # only "sentiment-1" passes
    assert b["by_kind"]["unit_tests"]["status_counts"] == {"fail": 1}
    assert b["by_kind"]["judge"]["status_counts"] == {"fail": 1}
    assert a["confusion"]["sentiment"]["matrix"]["negative"]["negative"] == 1
    assert b["confusion"]["sentiment"]["matrix"]["negative"]["positive"] == 1
    assert a["sandbox"].startswith("L")
    # Model and judge costs apart: 5 answers of 20 + 10 tokens at $1/M; the judge's at $10/M.
    assert a["generation"]["completions"] == 5
    assert a["generation"]["cost_usd"] == pytest.approx(5 * 30 / 1e6)
    assert a["judge"]["generation"]["cost_usd"] == pytest.approx(30 * 10 / 1e6)
    assert a["judge"]["mean_score"]["value"] == 4 and b["judge"]["mean_score"]["value"] == 2
    (pair,) = doc["comparisons"]
    assert (pair["a"], pair["b"]) == ("a", "b") and pair["diff"] == pytest.approx(0.8)
    assert pair["a_better"] == 4 and pair["b_better"] == 0 and pair["method"] == "exact McNemar"
    assert pair["p_value"] == pytest.approx(0.125)
    # Each model was asked each task once, the judge once per model.
    models = [r.body["model"] for r in server.requests]
    assert models.count("fake-a") == 5 and models.count("fake-b") == 5
    assert models.count("fake-judge") == 2
    first = next(r for r in server.requests if "love" in r.body["messages"][-1]["content"])
    assert first.body["messages"][0] == {"role": "system", "content": "Answer with one word."}
    # Stored like benchmark runs.
    with Store.open() as store:
        runs = {r.id: r for r in store.list_runs(kind="taskeval")}
        assert set(runs) == {a["run_id"], b["run_id"]}
        assert all(r.status == "finished" for r in runs.values())
        stored = runs[a["run_id"]].summary
        assert stored is not None and stored["comparisons"][0]["other"] == "b"
        assert len(store.run_verdicts(a["run_id"])) == 5 + 7
    listed = run(capsys, "runs", "list", "--json")
    assert {r["kind"] for r in json.loads(listed.out)} == {"taskeval"}
    shown = run(capsys, "runs", "show", a["run_id"][:8])
    assert shown.code == 0 and "my_tasks.jsonl" in shown.out

    # The same command again: new runs, every answer from the cache, nothing requested.
    again = run(capsys, *args, "--json")
    assert again.code == 0 and server.count == 12
    assert again.document["runs"][0]["generation"]["cached"] == 5
    # The human summary.
    shown_text = run(capsys, *args)
    assert shown_text.code == 0, shown_text.err
    for words in ("accuracy", "confusion matrix: sentiment", "paired comparison", "judge judge"):
        assert words in shown_text.out
    assert "capital#0 contains: answer lacks 'Paris'" in shown_text.out


def test_csv_tasks_and_a_resume_after_the_server_died(
    env: Path, server: FakeServer, capsys: pytest.CaptureFixture[str]
) -> None:
    configure(env, server.url)
    (env / "tasks.csv").write_text(
        "id,prompt,label,labels,contains\n"
        "s1,Sentiment of: 'I love this phone',positive,positive|negative,\n"
        "s2,Sentiment of: 'It broke in a day',negative,positive|negative,\n"
        "c1,What is the capital of France?,,,Paris\n"
    )
    server.queue(responder)
    server.default = lambda _r: Status(503, {"error": {"message": "down"}})
    args = ["taskeval", "-m", "a", "--tasks", "tasks.csv", "--json", "--concurrency", "1"]
    ran = run(capsys, *args, "--retries", "1")
    assert ran.code == 4, ran.err
    assert "503" in ran.err and "1 answers are saved" in ran.err
    assert "run the same command to resume" in ran.err and "Traceback" not in ran.err
    before = server.count
    server.default = responder
    resumed = run(capsys, *args)
    assert resumed.code == 0, resumed.err
    (doc,) = resumed.document["runs"]
    assert doc["resumed"] is True and doc["accuracy"]["value"] == 1.0
    assert server.count == before + 2, "only the two missing answers are asked"
    with Store.open() as store:
        (stored,) = store.list_runs()
    assert stored.id == doc["run_id"] and stored.status == "finished"


def test_bad_files_and_flags_get_clear_messages(
    env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (env / "bad.yaml").write_text(
        "- id: a\n  prompt: hi\n  checks:\n    - kind: regx\n      pattern: x\n"
        "- id: b\n  prompt: hi\n  checks:\n    - kind: regex\n      pattern: '(x'\n"
    )
    ran = run(capsys, "taskeval", "-m", "mock/x", "--tasks", "bad.yaml")
    assert ran.code == 3 and "Traceback" not in ran.err
    assert "bad.yaml:4: check 1: unknown check kind 'regx'" in ran.err
    assert "did you mean 'regex'" in ran.err
    assert "bad.yaml:10: check 1 (regex): regex '(x' does not compile" in ran.err

    (env / "judged.jsonl").write_text(
        '{"prompt": "a", "checks": [{"kind": "contains", "expected": "a"}]}\n'
        '{"prompt": "b", "checks": [{"kind": "judge", "rubric": "good"}]}\n'
    )
    ran = run(capsys, "taskeval", "-m", "mock/x", "--tasks", "judged.jsonl")
    assert ran.code == 2 and "judged.jsonl:2" in ran.err and "--judge" in ran.err

    ran = run(
        capsys,
        "taskeval",
        "-m",
        "mock/x",
        "--tasks",
        "judged.jsonl",
        "--judge",
        "mock/j",
        "--only",
        "nope",
    )
    assert ran.code == 2 and "--only: nope" in ran.err

    ran = run(capsys, "taskeval", "-m", "mock/x", "--tasks", "missing.jsonl")
    assert ran.code == 3 and "task file not found: missing.jsonl" in ran.err


def test_mock_models_by_name_need_no_server(env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (env / "t.jsonl").write_text(
        '{"id": "x", "prompt": "anything", "checks": [{"kind": "regex", "pattern": "def \\\\w+"}]}\n'
    )
    # The shipped mock answers with a fenced function whatever it is asked.
    ran = run(
        capsys, "taskeval", "-m", "mock/one", "-m", "mock/two", "--tasks", "t.jsonl", "--json"
    )
    assert ran.code == 0, ran.err
    doc = ran.document
    assert [r["accuracy"]["value"] for r in doc["runs"]] == [1.0, 1.0]
    assert doc["comparisons"][0]["diff"] == 0 and doc["comparisons"][0]["p_value"] == 1.0


def _importable(module: str) -> bool:
    try:
        importlib.import_module(module)
    except Exception:
        return False
    return True


@pytest.mark.skipif(not _importable("llama_cpp"), reason="llama_cpp is not importable")
def test_the_bundled_local_model_runs_in_process(
    env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (env / "local.jsonl").write_text(
        json.dumps(
            {
                "id": "hello",
                "prompt": "Write a Python function hello() that returns the string 'hi'.",
                "checks": [
                    {"kind": "regex", "pattern": "def "},
                    {
                        "kind": "unit_tests",
                        "entry_point": "hello",
                        "tests": "def test_hi():\n    assert hello() == 'hi'\n",
                    },
                ],
            }
        )
        + "\n"
        + json.dumps(
            {
                "id": "colour",
                "prompt": "What colour is the sky? One word.",
                "checks": [{"kind": "contains", "expected": "blue", "ignore_case": True}],
            }
        )
        + "\n"
    )
    ran = run(
        capsys,
        *["taskeval", "-m", "local/smollm2", "--tasks", "local.jsonl", "--max-tokens", "64"],
        "--json",
    )
    assert ran.code == 0, ran.err
    (doc,) = ran.document["runs"]
    assert doc["tasks"] == 2 and doc["samples"] == 2
    assert doc["generation"]["completions"] == 2 and doc["generation"]["output_tokens"] > 0
    assert doc["generation"]["cost_usd"] == 0.0  # a local model costs no tokens
    with Store.open() as store:
        verdicts = store.run_verdicts(doc["run_id"])
        answers = store.generations.of_run(doc["run_id"])
    assert all(a.raw_text.strip() for a in answers)
    statuses = {(v.task_id, v.part): v.status for v in verdicts}
    assert set(statuses) == {
        ("hello", "task"),
        ("hello", "check:regex"),
        ("hello", "check:unit_tests"),
        ("colour", "task"),
        ("colour", "check:contains"),
    }
    assert statuses[("hello", "check:unit_tests")] in (
        "pass",
        "fail",
        "error",
        "no_code",
        "timeout",
    )
    assert all(s in ("pass", "fail") for (_t, p), s in statuses.items() if p == "task")


@pytest.mark.skipif(
    not _importable("llama_cpp.server.app"), reason="llama-cpp-python[server] missing"
)
def test_the_real_llama_server_gives_the_in_process_answers(
    env: Path,
    llama_models_toml: str,
    capsys: pytest.CaptureFixture[str],
) -> None:
    # The same task file through a real OpenAI-compatible llama.cpp server and through the
    # in-process model, both greedy: the answers, and so every check, must agree.
    (env / "codejury.toml").write_text(llama_models_toml)
    (env / "tasks.jsonl").write_text(
        json.dumps(
            {
                "id": "sky",
                "prompt": "What colour is the sky? One word.",
                "checks": [{"kind": "contains", "expected": "blue", "ignore_case": True}],
            }
        )
        + "\n"
        + json.dumps(
            {
                "id": "add",
                "prompt": "Write a Python function add(a, b) that returns a + b.",
                "checks": [
                    {
                        "kind": "unit_tests",
                        "entry_point": "add",
                        "tests": "def test_add():\n    assert add(2, 3) == 5\n",
                    }
                ],
            }
        )
        + "\n"
    )
    ran = run(
        capsys,
        *["taskeval", "-m", "served", "-m", "inproc", "--tasks", "tasks.jsonl"],
        *["--max-tokens", "96", "--json"],
    )
    assert ran.code == 0, ran.err
    served, inproc = ran.document["runs"]
    with Store.open() as store:
        texts = [
            [g.raw_text for g in store.generations.of_run(doc["run_id"])]
            for doc in (served, inproc)
        ]
        verdicts = [
            sorted((v.task_id, v.part, v.status) for v in store.run_verdicts(doc["run_id"]))
            for doc in (served, inproc)
        ]
    assert texts[0] == texts[1] and all(t.strip() for t in texts[0])
    assert verdicts[0] == verdicts[1]

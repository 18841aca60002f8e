"""`codejury eval` and `codejury runs` end to end: a real HTTP server, the official SDK, the
real sandbox and store; faults injected at the HTTP level."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from codejury.cli import main
from codejury.datasets import Benchmark, load_benchmark
from codejury.store import Store

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "providers"))
from provider_fakes import (
    Events,
    FakeServer,
    Recorded,
    Stall,
    Status,
    openai_events,
    serving,
    sse,
)

pytestmark = pytest.mark.timeout(300)
TASKS = "HumanEval/0,HumanEval/2,HumanEval/4,HumanEval/7,HumanEval/12"


@dataclass
class Ran:
    code: int
    out: str
    err: str

    @property
    def summary(self) -> dict[str, Any]:
        return json.loads(self.out.strip().splitlines()[-1])


@pytest.fixture(scope="module")
def bench(shared_data_dir: Path) -> Benchmark:
    return load_benchmark("humaneval+", shared_data_dir)


@pytest.fixture
def env(
    tmp_path: Path, tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> Path:
    cache = tmp_path_factory.getbasetemp() / "codejury-cache"
    cache.mkdir(exist_ok=True)
    monkeypatch.setenv("CODEJURY_CACHE_DIR", str(cache))
    monkeypatch.setenv("CODEJURY_DB", str(tmp_path / "runs.db"))
    monkeypatch.setenv("COLUMNS", "1000")
    monkeypatch.delenv("CODEJURY_CONFIG", raising=False)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def run(capsys: pytest.CaptureFixture[str], *args: str) -> Ran:
    code = main(list(args))
    captured = capsys.readouterr()
    return Ran(code, captured.out, captured.err)


def solver(bench: Benchmark) -> Any:
    """A server-side answer: the reference solution of whichever problem was asked."""

    def answer(recorded: Recorded) -> Events:
        asked = recorded.body["messages"][-1]["content"]
        problem = next(p for p in bench.problems.values() if p.prompt.strip() in asked)
        text = f"Here you go:\n```python\n{problem.reference_program}\n```\n"
        return Events(openai_events(recorded, pieces=(text,), usage=(100, 50)))

    return answer


@pytest.fixture
def server(bench: Benchmark) -> Iterator[FakeServer]:
    yield from serving(solver(bench))


def write_config(where: Path, url: str, concurrency: int = 4) -> Path:
    path = where / "codejury.toml"
    path.write_text(
        f"""
[models.fake]
provider = "vllm"
model = "fake-coder"
base_url = "{url}/v1"
concurrency = {concurrency}
prices = {{ input = 1.0, output = 2.0 }}
""",
        encoding="utf-8",
    )
    return path


def eval_args(shared: Path, *extra: str) -> list[str]:
    return ["eval", "-m", "fake", "--tasks", TASKS, "--data-dir", str(shared), "--json", *extra]


def test_eval_through_a_real_server_scores_stores_and_exports(
    env: Path, server: FakeServer, shared_data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write_config(env, server.url)
    ran = run(capsys, *eval_args(shared_data_dir))
    assert ran.code == 0, ran.err
    summ = ran.summary
    assert summ["pass_at_k"]["plus"]["pass@1"]["value"] == 1.0
    gen = summ["generation"]
    assert gen["requested"] == 5 and gen["cached"] == 0 and server.count == 5
    assert gen["input_tokens"] == 500 and gen["output_tokens"] == 250
    assert gen["cost_usd"] == pytest.approx(5 * (100 * 1.0 + 50 * 2.0) / 1e6)
    assert gen["latency_s"]["n"] == 5 and gen["ttft_s"]["p50"] <= gen["latency_s"]["p50"]
    assert summ["cost_per_solved_usd"] == pytest.approx(gen["cost_usd"] / 5)
    # The request is EvalPlus's instruct prompt.
    body = server.requests[0].body
    assert body["messages"][0] == {
        "role": "system",
        "content": "You are a helpful assistant good at coding.",
    }
    assert body["messages"][1]["content"].startswith("Please provide a self-contained Python")
    assert body["temperature"] == 0 and body["max_tokens"] == 1024

    with Store.open() as store:
        record = store.get_run(summ["run_id"])
        rows = store.generations.of_run(record.id)
    assert record.status == "finished" and record.kind == "eval"
    assert record.spec["prompt"]["style"] == "instruct"
    assert record.spec["model_identity"]["options"]["base_url"] == f"{server.url}/v1"
    assert record.spec["price"]["input_per_m"] == 1.0
    assert {r.system_fingerprint for r in rows} == {"fp_fake"}
    assert all(r.response_id == "resp-123" and r.finish_reason == "stop" for r in rows)

    listed = run(capsys, "runs", "list", "--json")
    assert [r["id"] for r in json.loads(listed.out)] == [record.id]
    shown = run(capsys, "runs", "show", record.id[:8])
    assert shown.code == 0 and "fake" in shown.out and "base + plus" in shown.out
    out = env / "export"
    exported = run(
        capsys,
        *["runs", "export", record.id[:8], "--format", "evalplus", "-o", str(out)],
        *["--data-dir", str(shared_data_dir)],
    )
    assert exported.code == 0, exported.err
    samples = [json.loads(line) for line in (out / "samples.jsonl").read_text().splitlines()]
    assert [s["task_id"] for s in samples] == sorted(TASKS.split(","))
    assert all(s["solution"] and "```" in s["raw_solution"] for s in samples)
    results = json.loads((out / "eval_results.json").read_text())
    assert results["hash"] == "fe585eb4df8c88d844eeb463ea4d0302"
    assert {e[0]["plus_status"] for e in results["eval"].values()} == {"pass"}

    # The same spec again: answered from the cache, nothing requested, no latency counted.
    again = run(capsys, *eval_args(shared_data_dir))
    assert again.code == 0 and server.count == 5
    assert again.summary["generation"]["cached"] == 5
    assert again.summary["generation"]["latency_s"] is None


def test_faults_are_retried_and_nothing_is_lost_or_duplicated(
    env: Path,
    bench: Benchmark,
    server: FakeServer,
    shared_data_dir: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    write_config(env, server.url, concurrency=1)
    answer = solver(bench)
    server.queue(
        Status(429, {"error": {"message": "slow down"}}, {"Retry-After": "1"}),
        Status(500, {"error": {"message": "boom"}}),
        Events([sse("{not json")]),
        lambda r: Events(answer(r).events[:1], cut=True),
        Stall(3),
    )
    ran = run(capsys, *eval_args(shared_data_dir, "--timeout", "1"))
    assert ran.code == 0, ran.err
    gen = ran.summary["generation"]
    assert gen["completions"] == 5 and gen["failed_requests"] == 0
    # Five faults, each answered by one retry of the same request; then four clean tasks.
    assert server.count == 5 + 5
    assert ran.summary["pass_at_k"]["plus"]["pass@1"]["value"] == 1.0
    with Store.open() as store:
        rows = store.generations.of_run(ran.summary["run_id"])
    assert len({(r.task_id, r.index) for r in rows}) == len(rows) == 5


def test_a_dead_server_stops_the_run_and_the_rerun_resumes(
    env: Path,
    bench: Benchmark,
    server: FakeServer,
    shared_data_dir: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    write_config(env, server.url, concurrency=1)
    answer = solver(bench)
    # Two answers, then the server is down for good.
    server.queue(answer, answer)
    server.default = lambda _r: Status(503, {"error": {"message": "down"}})
    ran = run(capsys, *eval_args(shared_data_dir, "--retries", "2"))
    assert ran.code == 4  # ProviderError's exit code
    assert "503" in ran.err and "2 answers are saved" in ran.err
    assert "run the same command to resume" in ran.err and "Traceback" not in ran.err
    # The first failing request gave up after 3 attempts; the others queued behind the
    # concurrency limit were cancelled, or gave up too, but none was answered.
    failed_attempts = server.count - 2
    assert 3 <= failed_attempts <= 9
    server.default = answer
    with Store.open() as store:
        (stopped,) = store.list_runs()
    assert stopped.status == "failed"

    resumed = run(capsys, *eval_args(shared_data_dir, "--no-cache"))
    assert resumed.code == 0, resumed.err
    assert resumed.summary["run_id"] == stopped.id and resumed.summary["resumed"]
    assert server.count == 2 + failed_attempts + 3, "only the 3 missing answers may be asked"
    assert resumed.summary["generation"]["completions"] == 5


@pytest.mark.parametrize(
    ("status", "words"),
    [(401, "refused the API key"), (404, "no model 'fake-coder'")],
)
def test_errors_that_every_request_would_hit_stop_at_once(
    env: Path,
    server: FakeServer,
    shared_data_dir: Path,
    capsys: pytest.CaptureFixture[str],
    status: int,
    words: str,
) -> None:
    write_config(env, server.url, concurrency=1)
    server.queue(*[Status(status, {"error": {"message": "no"}})] * 10)
    ran = run(capsys, *eval_args(shared_data_dir))
    assert ran.code != 0 and words in ran.err and "Traceback" not in ran.err
    assert server.count == 1


def test_bad_input_gets_a_clear_message(
    env: Path, shared_data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = ["--data-dir", str(shared_data_dir)]
    ran = run(capsys, "eval", "-m", "nosuch/model", *data)
    assert ran.code == 2 and "unknown provider 'nosuch'" in ran.err

    ran = run(capsys, "eval", "-m", "justaname", *data)
    assert ran.code == 2 and "expected provider/model" in ran.err

    (env / "codejury.toml").write_text("[defaults]\nn = 1\ntemprature = 0.2\n")
    ran = run(capsys, "eval", "-m", "mock/x", *data)
    assert ran.code == 2 and "codejury.toml:3" in ran.err and "temperature" in ran.err
    (env / "codejury.toml").unlink()

    ran = run(capsys, "eval", "-m", "mock/x", "--tasks", "HumanEval/999", *data)
    assert ran.code == 2 and "HumanEval/999" in ran.err

    # A closed port: the connection error is retried, then reported without a traceback.
    (env / "codejury.toml").write_text(
        '[models.gone]\nprovider = "vllm"\nmodel = "m"\nbase_url = "http://127.0.0.1:9/v1"\n'
    )
    ran = run(capsys, "eval", "-m", "gone", "--limit", "2", "--retries", "0", *data)
    assert ran.code == 4 and "127.0.0.1:9" in ran.err and "Traceback" not in ran.err
    with Store.open() as store:
        assert store.list_runs()[0].status == "failed"


def test_missing_api_key_is_named(
    env: Path,
    shared_data_dir: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    ran = run(capsys, "eval", "-m", "openai/gpt-4o-mini", "--data-dir", str(shared_data_dir))
    assert ran.code != 0 and "OPENAI_API_KEY" in ran.err and "Traceback" not in ran.err


def test_dry_run_checks_the_pipeline_with_reference_answers(
    env: Path, shared_data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ran = run(
        capsys,
        *["eval", "-m", "openai/gpt-4o-mini", "--dry-run", "--limit", "3"],
        *["--data-dir", str(shared_data_dir), "--json"],
    )
    assert ran.code == 0, ran.err
    assert ran.summary["pass_at_k"]["plus"]["pass@1"]["value"] == 1.0
    with Store.open() as store:
        record = store.get_run(ran.summary["run_id"])
    assert record.spec["dry_run"] is True


def test_square_brackets_in_messages_are_printed(
    env: Path, shared_data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (env / "codejury.toml").write_text("[modles.x]\nprovider = 'mock'\n")
    ran = run(capsys, "eval", "-m", "mock/x", "--data-dir", str(shared_data_dir))
    assert ran.code == 2 and "codejury.toml:1" in ran.err
    assert "[modles" in ran.err or "modles" in ran.err
    assert "[models" in ran.err, "a hint naming [models] must not lose its brackets"

"""`codejury select` resumes: a failure in a middle stage, or inside a stage between models,
costs only the work not yet saved; the human check waits for arena votes and continues."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from select_helpers import KNOWS_BOTH, Mock, selection, write_models, write_tasks

import codejury.cli.evalcmd as evalcmd
import codejury.select.measure as measure
import codejury.select.stages as stages
from codejury.datasets import Benchmark
from codejury.errors import DataError
from codejury.store import Store

pytestmark = pytest.mark.timeout(300)

THREE = [Mock("good", 3, answers=KNOWS_BOTH), Mock("fair", 2), Mock("weak", 1)]
MIDDLE = """
[candidates]
models = ["good", "fair", "weak"]

[benchmarks]
ids = ["humaneval+"]
limit = 3

[thresholds]
min_pass_at_1 = 50

[tasks]
file = "tasks.jsonl"

[workload]
requests_per_day = 100
input_tokens = 400
output_tokens = 100
"""


# The real functions (monkeypatch.undo would also undo the env fixture's store and cwd).
REAL = {"run_eval": evalcmd.run_eval, "api_monthly_cost": measure.api_monthly_cost}


class Counting:
    """Wraps a function and counts its calls (optionally failing on one of them)."""

    def __init__(
        self, inner: Any, fail_on: int | None = None, error: BaseException | None = None
    ) -> None:
        self.inner = inner
        self.calls = 0
        self.fail_on = fail_on
        self.error = error

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        self.calls += 1
        if self.calls == self.fail_on and self.error is not None:
            raise self.error
        return self.inner(*args, **kwargs)


def _eval_runs() -> list[str]:
    with Store.open() as store:
        return [r.id for r in store.list_runs(kind="eval", limit=500)]


def test_a_failure_in_a_middle_stage_resumes_there(
    env: Path,
    bench: Benchmark,
    shared_data_dir: Path,
    cli: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    write_models(env, bench, THREE)
    write_tasks(env)
    config = str(selection(env, shared_data_dir, MIDDLE))
    broken = Counting(None, fail_on=1, error=DataError("injected: the price feed is down"))
    monkeypatch.setattr(measure, "api_monthly_cost", broken)

    failed = cli("select", "--config", config, "--json")
    assert failed.code == DataError.exit_code
    assert "injected: the price feed is down" in failed.err
    with Store.open() as store:
        [run] = store.list_runs(kind="select")
        assert run.status == "failed"
        assert run.summary is not None
        saved = run.summary["stages"]
    assert [saved[n]["status"] for n in ("candidates", "benchmarks", "thresholds", "tasks")] == [
        "done"
    ] * 4
    assert saved["cost"]["status"] == "running" and "choice" not in saved
    assert saved["thresholds"]["eliminated"] == {
        "weak": ["humaneval+: pass@1 33.3 % is below the minimum 50.0 %"]
    }
    evals_before = _eval_runs()

    monkeypatch.setattr(measure, "api_monthly_cost", REAL["api_monthly_cost"])
    evals = Counting(REAL["run_eval"])
    taskevals = Counting(stages.run_taskeval)
    monkeypatch.setattr(evalcmd, "run_eval", evals)
    monkeypatch.setattr(stages, "run_taskeval", taskevals)
    resumed = cli("select", "--config", config, "--json")
    assert resumed.code == 0, resumed.err
    summ = resumed.summary
    assert summ["run_id"] == run.id and summ["how"] == "resumed"
    assert evals.calls == 0 and taskevals.calls == 0
    assert _eval_runs() == evals_before
    for name in ("benchmarks", "tasks"):
        assert summ["stages"][name]["started_at"] == saved[name]["started_at"]
    assert summ["stages"]["cost"]["status"] == "done"
    assert summ["stages"]["cost"]["figures"]["good"]["monthly_cost"]["value"] == pytest.approx(
        100 * 30 * (400 * 1.0 + 100 * 2.0) / 1e6
    )
    assert summ["state"] == "finished" and summ["winner"] == "good"


def test_an_interrupted_stage_keeps_the_models_it_finished(
    env: Path,
    bench: Benchmark,
    shared_data_dir: Path,
    cli: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    write_models(env, bench, THREE)
    write_tasks(env)
    config = str(selection(env, shared_data_dir, MIDDLE))
    # Ctrl-C while the second model's benchmark starts.
    monkeypatch.setattr(evalcmd, "run_eval", Counting(REAL["run_eval"], 2, KeyboardInterrupt()))
    stopped = cli("select", "--config", config)
    assert stopped.code == 130
    with Store.open() as store:
        [run] = store.list_runs(kind="select")
        assert run.status == "interrupted"
        assert run.summary is not None
        partial = run.summary["stages"]["benchmarks"]["partial"]
    assert list(partial) == ["good humaneval+"]

    evals = Counting(REAL["run_eval"])
    monkeypatch.setattr(evalcmd, "run_eval", evals)
    resumed = cli("select", "--config", config, "--json")
    assert resumed.code == 0, resumed.err
    assert evals.calls == 2  # fair and weak; good's finished eval was kept
    bench_stage = resumed.summary["stages"]["benchmarks"]
    assert bench_stage["runs"][0] == partial["good humaneval+"]["run_id"]
    assert "partial" not in bench_stage


WAIT = """
[candidates]
models = ["good", "fair"]

[benchmarks]
ids = ["humaneval+"]
limit = 3

[human]
votes_needed = 4

[weights]
quality = 0.3
human = 0.7
"""


def test_wait_mode_opens_battles_stops_and_continues_once_votes_exist(
    env: Path, bench: Benchmark, shared_data_dir: Path, cli: Any
) -> None:
    write_models(env, bench, [Mock("good", 3), Mock("fair", 3)])
    config = str(selection(env, shared_data_dir, WAIT))

    waiting = cli("select", "--config", config)
    assert waiting.code == 0, waiting.err
    assert "waiting for 4 more votes between the finalists (0 of the 4 needed)" in waiting.out
    serve = re.search(r"codejury arena serve --db (\S+)", waiting.out)
    assert serve is not None and Path(serve.group(1)) == env / "runs.db"
    assert f"codejury select --config {config}" in waiting.out
    with Store.open() as store:
        [run] = store.list_runs(kind="select")
        assert run.status == "interrupted"
        assert run.summary is not None and run.summary["state"] == "waiting"
        battles = store.arena.battles.ids(voted_only=False)
        assert len(battles) == 3  # one per common prompt of the two finalists
        # Voters use the arena: three of four votes so far, all for "fair".
        voters = [store.arena.voters.add(name)[0] for name in ("ann", "bob")]
        for battle_id in battles:
            _vote_for(store, battle_id, voters[0].id, "fair")

    still = cli("select", "--config", config, "--json")
    assert still.code == 0 and still.summary["state"] == "waiting"
    assert still.summary["how"] == "resumed" and still.summary["run_id"] == run.id
    assert still.summary["stages"]["human"]["extra"]["missing"] == 1
    assert "choice" not in still.summary["stages"]

    with Store.open() as store:
        _vote_for(store, battles[0], voters[1].id, "fair")
    done = cli("select", "--config", config, "--json")
    assert done.code == 0, done.err
    summ = done.summary
    assert summ["run_id"] == run.id and summ["state"] == "finished"
    human = summ["stages"]["human"]
    assert human["status"] == "done" and human["extra"]["votes"] == {
        "counted": 4,
        "needed": 4,
        "sources": {"human": 4},
    }
    assert summ["winner"] == "fair"
    assert summ["stages"]["choice"]["eliminated"]["good"][0].startswith("ranked 2 of 2")


def _vote_for(store: Store, battle_id: str, voter_id: str, model: str) -> None:
    battle = store.arena.battles.get(battle_id)
    assert battle is not None
    side = "a" if battle.answer_a.model == model else "b"
    _vote, created = store.arena.battles.cast(battle_id, voter_id, side)
    assert created

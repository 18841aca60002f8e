"""`codejury select` end to end: mock models through the real eval, sandbox, taskeval, perf,
arena and decision code, each elimination with its reason, and FastChat votes deciding."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from select_helpers import KNOWS_BOTH, Mock, selection, write_models, write_tasks, write_votes

from codejury.datasets import Benchmark
from codejury.store import Store

pytestmark = pytest.mark.timeout(300)

MOCKS = [
    Mock("good", 5, answers=KNOWS_BOTH),
    Mock("fair", 5, price=(0.5, 1.0), answers=KNOWS_BOTH),
    Mock("meh", 3, price=(0.2, 0.4)),
    Mock("weak", 1),
    Mock("pricey", 5, price=(100.0, 300.0)),
    Mock("slow", 5, latency_s=0.6),
    Mock("closed", 5, open_weights=False),
]
FUNNEL = """
[candidates]
models = ["good", "fair", "meh", "weak", "pricey", "slow", "closed"]
reference = ["gpt-4o-2024-08-06"]

[benchmarks]
ids = ["humaneval+"]
limit = 5
max_tokens = 512

[thresholds]
min_pass_at_1 = 50
max_monthly_cost = 500
max_p95_latency_s = 0.4
open_weights = true

[tasks]
file = "tasks.jsonl"

[workload]
requests_per_day = 1000
input_tokens = 500
output_tokens = 200

[latency]
concurrency = [1]
duration_s = 1.0
warmup_s = 0
requests_per_level = 5

[human]
finalists = 2
votes_needed = 5
mode = "import"
votes_file = "votes.json"

[weights]
quality = 0.5
cost = 0.1
human = 0.4
"""


def _value(stage: dict[str, Any], model: str, name: str) -> float:
    return float(stage["figures"][model][name]["value"])


def test_the_funnel_eliminates_with_reasons_and_votes_decide(
    env: Path, bench: Benchmark, shared_data_dir: Path, cli: Any
) -> None:
    write_models(env, bench, MOCKS)
    write_tasks(env)
    votes = write_votes(env / "votes.json", {("good", "fair"): 6, ("fair", "good"): 2})
    config = selection(env, shared_data_dir, FUNNEL)

    ran = cli("select", "--config", str(config), "--json")
    assert ran.code == 0, ran.err
    summ = ran.summary
    assert summ["state"] == "finished" and summ["how"] == "new"
    stages = summ["stages"]
    expected = {
        "candidates": {"closed": "weights are not open"},
        "benchmarks": {},
        "thresholds": {"weak": "humaneval+: pass@1 20.0 % is below the minimum 50.0 %"},
        "tasks": {},
        "cost": {"pricey": "monthly cost $3,300 is above the maximum $500"},
        "latency": {"slow": "is above the maximum 0.40 s"},
        "human": {"meh": "not among the 2 finalists: ranked 3 of 3"},
        "choice": {"fair": "ranked 2 of 2 on the decision matrix"},
    }
    for name, gone in expected.items():
        assert stages[name]["status"] == "done", name
        assert set(stages[name]["eliminated"]) == set(gone), name
        for model, reason in gone.items():
            assert any(reason in r for r in stages[name]["eliminated"][model]), (name, model)
    assert re.search(r"p95 latency 0\.6\d s", stages["latency"]["eliminated"]["slow"][0])
    # Figures are measured, not assumed: the sandbox scored each mock's real answers.
    bench_stage = stages["benchmarks"]
    assert _value(bench_stage, "good", "pass_at_1:humaneval+") == 100.0
    assert _value(bench_stage, "meh", "pass_at_1:humaneval+") == 60.0
    assert _value(bench_stage, "weak", "pass_at_1:humaneval+") == 20.0
    assert _value(stages["tasks"], "good", "task_accuracy") == 100.0
    assert _value(stages["tasks"], "meh", "task_accuracy") == 0.0
    assert _value(stages["cost"], "good", "monthly_cost") == pytest.approx(27.0)
    assert _value(stages["latency"], "good", "p95_latency_s") < 0.1
    # The votes decide between the finalists.
    ratings = {r["model"]: r["rating"] for r in stages["human"]["extra"]["ratings"]}
    assert ratings["good"] > ratings["fair"]
    assert stages["human"]["extra"]["votes"]["counted"] == 8
    assert summ["winner"] == "good" and summ["recommendation"].startswith("Choose good")
    assert stages["choice"]["extra"]["reference"][0]["key"] == "gpt-4o-2024-08-06"
    assert [row["stage"] for row in summ["funnel"]][-1] == "choice"
    with Store.open() as store:
        run = store.get_run(summ["run_id"])
        assert run.kind == "select" and run.status == "finished"
        for run_id in bench_stage["runs"] + stages["tasks"]["runs"]:
            assert store.get_run(run_id).status == "finished"
    first = summ["run_id"]

    # Same configuration again: the finished run is shown, nothing runs.
    again = cli("select", "--config", str(config), "--json")
    assert again.code == 0 and again.summary["how"] == "finished"
    assert again.summary["run_id"] == first

    # New votes: a new run; every stage before the human check is reused, not redone.
    write_votes(votes, {("fair", "good"): 7, ("good", "fair"): 1})
    flipped = cli("select", "--config", str(config), "--json")
    assert flipped.code == 0, flipped.err
    fs = flipped.summary
    assert fs["run_id"] != first and fs["winner"] == "fair"
    for name in ("candidates", "benchmarks", "thresholds", "tasks", "cost", "latency"):
        assert fs["stages"][name]["reused_from"] == first, name
    assert "reused_from" not in fs["stages"]["human"]
    assert fs["stages"]["human"]["extra"]["votes"]["counted"] == 8


def test_the_table_and_recommendation_are_printed(
    env: Path, bench: Benchmark, shared_data_dir: Path, cli: Any
) -> None:
    write_models(env, bench, [Mock("good", 3), Mock("weak", 1)])
    body = """
[candidates]
models = ["good", "weak"]

[benchmarks]
ids = ["humaneval+"]
limit = 3

[thresholds]
min_pass_at_1 = { "humaneval+" = 50 }
"""
    ran = cli("select", "--config", str(selection(env, shared_data_dir, body)))
    assert ran.code == 0, ran.err
    assert "the funnel" in ran.out
    assert "weak: humaneval+: pass@1 33.3 % is below the minimum 50.0 %" in ran.out
    assert "Choose good: it is the only model that meets the constraints." in ran.out
    assert re.search(r"│ human\s+│ skipped", ran.out)
    # The decision report shows the same funnel: who was eliminated where, and why.
    report = cli("report", "--format", "md")
    assert report.code == 0, report.err
    assert "## Selection funnel" in report.out
    funnel = report.out.split("## Selection funnel", 1)[1].split("## ", 1)[0]
    assert "weak" in funnel and "below the minimum 50.0 %" in funnel, funnel

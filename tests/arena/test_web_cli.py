"""``codejury arena`` commands end to end on a seeded store: voters, add, ratings, judge,
import and export."""

from __future__ import annotations

import json
import random
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from arena_seed import (
    TASKS,
    Seeded,
    add_eval_run,
    alpha_answer,
    free_port,
    seed,
    start_server,
)

from codejury.arena.judge import TEMPLATE, parse_verdict
from codejury.arena.matchmaking import Matchmaker
from codejury.cli import main
from codejury.datasets import Benchmark, load_benchmark
from codejury.store import Store

JUDGES = """\
[models.fair-judge]
provider = "mock"
model = "fair"
prices = { input = 1.0, output = 2.0 }

[models.fair-judge.responses]
"[Answer A]\\nSure:" = "Answer A is the correct one. [[A]]"
"[Answer B]\\nSure:" = "Answer B is the correct one. [[B]]"

[models.biased-judge]
provider = "mock"
model = "biased"

[models.biased-judge.responses]
"[Task]" = "I always like the first answer. [[A]]"
"""


@dataclass
class Ran:
    code: int
    out: str
    err: str

    def json(self) -> Any:
        return json.loads(self.out)


@pytest.fixture(scope="module")
def bench(shared_data_dir: Path) -> Benchmark:
    return load_benchmark("humaneval+", shared_data_dir)


@pytest.fixture
def seeded(
    tmp_path: Path, bench: Benchmark, shared_data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> Seeded:
    monkeypatch.setenv("CODEJURY_DB", str(tmp_path / "arena.db"))
    monkeypatch.setenv("COLUMNS", "200")
    monkeypatch.delenv("CODEJURY_CONFIG", raising=False)
    monkeypatch.chdir(tmp_path)
    return seed(tmp_path / "arena.db", bench, shared_data_dir)


def run(capsys: pytest.CaptureFixture[str], *args: str) -> Ran:
    code = main(list(args))
    captured = capsys.readouterr()
    return Ran(code, captured.out, captured.err)


def vote_everything(path: Path, alpha_wins: float, seed_: int = 0) -> int:
    """Every voter votes on every battle; alpha wins with the given probability."""
    rng = random.Random(seed_)
    cast = 0
    with Store.open(path) as store:
        maker = Matchmaker(store, rng=rng)
        for voter in store.arena.voters.all():
            while (battle_id := maker.next_battle(voter.id)) is not None:
                battle = store.arena.battles.get(battle_id)
                assert battle is not None
                alpha_side = "a" if battle.model_a == "mock/alpha" else "b"
                beta_side = "b" if alpha_side == "a" else "a"
                store.arena.battles.cast(
                    battle_id, voter.id, alpha_side if rng.random() < alpha_wins else beta_side
                )
                cast += 1
    return cast


def test_voters_add_and_list(seeded: Seeded, capsys: pytest.CaptureFixture[str]) -> None:
    added = run(capsys, "arena", "voters", "add", "zoe", "--admin", "--url", "http://h:9/")
    assert added.code == 0
    token = added.out.split("shown once): ")[1].split()[0]
    assert f"http://h:9/login?token={token}" in added.out
    listed = run(capsys, "arena", "voters", "list", "--json")
    rows = {r["name"]: r for r in listed.json()}
    assert rows["zoe"]["role"] == "admin" and rows["ann"]["votes"] == 0
    again = run(capsys, "arena", "voters", "add", "zoe")
    assert again.code == 6 and "already exists" in again.err


def test_add_runs_to_the_pool(
    seeded: Seeded, bench: Benchmark, shared_data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with Store.open(seeded.path) as store:
        run_id = add_eval_run(
            store, bench, "mock/gamma", {t: alpha_answer(bench, t) for t in TASKS}, True
        )
    added = run(capsys, "arena", "add", run_id[:8], "--data-dir", str(shared_data_dir))
    assert added.code == 0, added.err
    assert f"added {len(TASKS)} answers" in added.out and "mock/gamma" in added.out
    again = run(capsys, "arena", "add", run_id, "--data-dir", str(shared_data_dir))
    assert "added 0 answers" in again.out
    missing = run(capsys, "arena", "add", "ffffffff")
    assert missing.code == 6 and "no run" in missing.err


def test_ratings_from_votes(seeded: Seeded, capsys: pytest.CaptureFixture[str]) -> None:
    empty = run(capsys, "arena", "ratings")
    assert empty.code == 3 and "no votes yet" in empty.err
    for k in range(10):
        with Store.open(seeded.path) as store:
            store.arena.voters.add(f"extra{k}")
    cast = vote_everything(seeded.path, alpha_wins=0.8)
    result = run(capsys, "arena", "ratings", "--json")
    assert result.code == 0, result.err
    fit = result.json()
    assert fit["votes"] == cast and fit["label"] == "human"
    best, worst = fit["ratings"]
    assert best["model"] == "mock/alpha" and worst["model"] == "mock/beta"
    assert best["low"] < best["rating"] < best["high"]
    table = run(capsys, "arena", "ratings")
    assert "mock/alpha" in table.out and "95% interval" in table.out
    # Execution battles (alpha passed every task, beta failed them) as a source of their own,
    # shown separately and combined with the human votes.
    both = run(capsys, "arena", "ratings", "--source", "human", "--source", "execution", "--json")
    assert both.code == 0, both.err
    fits = both.json()
    by_label = fits["by_source"]
    assert set(by_label) == {"human", "execution"}
    execution = by_label["execution"]
    assert execution["votes"] > 0
    assert execution["ratings"][0]["model"] == "mock/alpha"
    assert fits["combined"]["votes"] == cast + execution["votes"]


def test_export_import_round_trip(
    seeded: Seeded, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    vote_everything(seeded.path, alpha_wins=0.7, seed_=1)
    out = tmp_path / "votes.json"
    exported = run(capsys, "arena", "export", "-o", str(out))
    assert exported.code == 0, exported.err
    records = json.loads(out.read_text())
    assert {r["source"] for r in records} == {"human"}
    assert all(r["winner"] in ("model_a", "model_b") for r in records)
    assert all(r["conversation_a"][0]["role"] == "user" for r in records)
    other = tmp_path / "other.db"
    imported = run(capsys, "arena", "import", str(out), "--source", "team", "--db", str(other))
    assert imported.code == 0 and f"imported {len(records)} of {len(records)}" in imported.out
    twice = run(capsys, "arena", "import", str(out), "--source", "team", "--db", str(other))
    assert f"imported 0 of {len(records)}" in twice.out
    here = run(capsys, "arena", "ratings", "--json").json()
    there = run(capsys, "arena", "ratings", "--json", "--db", str(other)).json()
    assert there["label"] == "team" and there["votes"] == here["votes"]
    assert [r["rating"] for r in there["ratings"]] == pytest.approx(
        [r["rating"] for r in here["ratings"]]
    )
    stdout = run(capsys, "arena", "export", "--source", "team", "--db", str(other))
    assert len(json.loads(stdout.out)) == len(records)


def test_import_errors_name_the_record(
    seeded: Seeded, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text(
        json.dumps([{"model_a": "x", "model_b": "y", "winner": "model_a"}, {"model_a": "x"}])
    )
    failed = run(capsys, "arena", "import", str(bad))
    assert failed.code == 3 and "bad.json: record 1: missing key" in failed.err
    broken = tmp_path / "broken.jsonl"
    broken.write_text('{"model_a": "x", "model_b": "y", "winner": "tie"}\n{oops\n')
    failed = run(capsys, "arena", "import", str(broken))
    assert failed.code == 3 and "broken.jsonl:2" in failed.err
    reserved = run(capsys, "arena", "import", str(bad), "--source", "human")
    assert reserved.code == 2
    with Store.open(seeded.path) as store:
        assert store.arena.imported() == []


def test_judge_both_orders_agreement_and_cost(
    seeded: Seeded, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "judges.toml").write_text(JUDGES)
    vote_everything(seeded.path, alpha_wins=0.5, seed_=2)
    config = ("--config", str(tmp_path / "judges.toml"))
    fair = run(capsys, "arena", "judge", "--judge-model", "fair-judge", *config, "--json")
    assert fair.code == 0, fair.err
    report = fair.json()
    battles = len(TASKS) - 1
    assert report["battles"] == battles and report["calls"] == 2 * battles
    assert report["agreement"] == 1.0 and report["unparsed"] == 0
    assert report["cost_usd"] > 0
    with Store.open(seeded.path) as store:
        judgements = store.arena.judgements("fair-judge")
        assert {j.side_order for j in judgements} == {"ab", "ba"}
        for j in judgements:
            battle = store.arena.battles.get(j.battle_id)
            assert battle is not None
            assert j.template == TEMPLATE and j.cost_usd is not None and j.cost_usd > 0
            first = battle.answer_a if j.side_order == "ab" else battle.answer_b
            assert first.text in j.prompt[1]["content"]
            alpha_side = "a" if battle.model_a == "mock/alpha" else "b"
            assert j.choice == alpha_side
    resumed = run(capsys, "arena", "judge", "--judge-model", "fair-judge", *config, "--json")
    assert resumed.json()["calls"] == 0
    ratings = run(capsys, "arena", "ratings", "--json", "--source", "judge:fair-judge").json()
    assert ratings["ratings"][0]["model"] == "mock/alpha"

    biased = run(capsys, "arena", "judge", "-m", "biased-judge", *config, "--json").json()
    assert biased["agreement"] == 0.0 and biased["cost_usd"] is None
    exported = run(capsys, "arena", "export", "--source", "judge:biased-judge").json()
    assert len(exported) == battles and {r["winner"] for r in exported} == {"tie"}
    assert {r["judge"] for r in exported} == {"biased-judge"}
    combined = run(capsys, "arena", "ratings", "--json").json()
    assert set(combined["by_source"]) == {"human", "judge:fair-judge", "judge:biased-judge"}


@pytest.mark.parametrize(
    ("text", "order", "choice"),
    [
        ("reasoning... [[A]]", "ab", "a"),
        ("reasoning... [[A]]", "ba", "b"),
        ("[[A]] or [[B]]? Finally: [[B]]", "ab", "b"),
        ("[[tie]]", "ba", "tie"),
        ("[[BOTH_BAD]]", "ba", "bothbad"),
        ("[[both bad]]", "ab", "bothbad"),
        ("no tag here", "ab", None),
    ],
)
def test_parse_verdict(text: str, order: str, choice: str | None) -> None:
    assert parse_verdict(text, order) == choice


def test_serve_creates_the_first_admin(tmp_path: Path) -> None:
    log = tmp_path / "server.log"
    port = free_port()
    process = start_server(tmp_path / "fresh.db", port, log=log)
    try:
        token = re.search(r"login\?token=(\S+)", log.read_text())
        assert token, log.read_text()
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", follow_redirects=False) as client:
            page = client.get("/login", params={"token": token.group(1)}).text
            nonce = re.search(r'name="nonce" value="([^"]+)"', page)
            assert nonce and f'value="{token.group(1)}"' in page
            login = client.post("/login", data={"nonce": nonce.group(1), "token": token.group(1)})
            assert login.status_code == 303
            assert client.get("/admin").status_code == 200
    finally:
        process.terminate()
        process.wait(timeout=30)
    with Store.open(tmp_path / "fresh.db") as store:
        (admin,) = store.arena.voters.all()
        assert admin.is_admin and admin.name == "admin"

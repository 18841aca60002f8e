"""The arena's storage and domain logic: schema, votes, sessions, pool, matchmaking, limits,
answer rendering. Each test has its own database under tmp_path."""

from __future__ import annotations

import random
import sqlite3
import threading
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from arena_seed import SELF_NAMING_TASK, TASKS, XSS, add_eval_run, alpha_answer, seed

from codejury.arena.identity import names_a_model
from codejury.arena.matchmaking import UNKNOWN_VARIANCE, Matchmaker, pair_variances
from codejury.arena.pool import add_runs
from codejury.arena.ratelimit import RateLimit, TokenBuckets
from codejury.arena.ratings import fit_ratings
from codejury.arena.ratings_input import Battle as RatedBattle
from codejury.arena.ratings_input import VoteTable
from codejury.arena.web.render import MAX_SHOWN_CHARS, segments
from codejury.datasets import Benchmark, load_benchmark
from codejury.errors import ConfigError, StoreError
from codejury.store import Store
from codejury.store.arena_records import metadata as arena_metadata


@pytest.fixture(scope="module")
def bench(shared_data_dir: Path) -> Benchmark:
    return load_benchmark("humaneval+", shared_data_dir)


@pytest.fixture
def store(tmp_path: Path, bench: Benchmark, shared_data_dir: Path) -> Iterator[Store]:
    seed(tmp_path / "arena.db", bench, shared_data_dir)
    with Store.open(tmp_path / "arena.db") as opened:
        yield opened


def voter_id(store: Store, name: str) -> str:
    voter = store.arena.voters.by_name(name)
    assert voter is not None
    return voter.id


def test_migrated_schema_matches_query_tables(store: Store, tmp_path: Path) -> None:
    inspector = sa.inspect(sa.create_engine(f"sqlite:///{tmp_path / 'arena.db'}"))
    for table in arena_metadata.sorted_tables:
        columns = {c["name"] for c in inspector.get_columns(table.name)}
        assert columns == {c.name for c in table.columns}, table.name


def test_tokens_are_stored_only_as_hashes(store: Store, tmp_path: Path) -> None:
    voter, token = store.arena.voters.add("carol")
    opened = store.arena.voters.login(token)
    assert opened is not None
    session_token, session = opened
    assert session.voter == voter
    raw = (tmp_path / "arena.db").read_bytes()
    for path in tmp_path.glob("arena.db*"):
        raw += path.read_bytes()
    assert token.encode() not in raw
    assert session_token.encode() not in raw


def test_sessions_end_with_logout_expiry_and_disabling(store: Store) -> None:
    voter, token = store.arena.voters.add("carol")
    assert store.arena.voters.login("not-a-token") is None
    opened = store.arena.voters.login(token)
    assert opened is not None
    assert store.arena.voters.session(opened[0]) is not None
    store.arena.voters.logout(opened[0])
    assert store.arena.voters.session(opened[0]) is None
    expired = store.arena.voters.login(token, days=-1)
    assert expired is not None and store.arena.voters.session(expired[0]) is None
    live = store.arena.voters.login(token)
    assert live is not None
    store.arena.voters.set_active(voter.id, False)
    assert store.arena.voters.session(live[0]) is None
    assert store.arena.voters.login(token) is None


def test_voter_names_are_unique_and_checked(store: Store) -> None:
    with pytest.raises(StoreError, match="already exists"):
        store.arena.voters.add("ann")
    with pytest.raises(ConfigError):
        store.arena.voters.add("bad\nname")
    with pytest.raises(ConfigError, match="role"):
        store.arena.voters.add("dave", "root")


def test_self_naming_answers_are_flagged_and_kept_out(store: Store) -> None:
    flagged = store.arena.pool.flagged()
    assert [(a.model, a.task_id) for a in flagged] == [("mock/beta", SELF_NAMING_TASK)]
    assert "ChatGPT" in (flagged[0].flag or "")
    candidates = store.arena.pool.candidates()
    assert flagged[0].id not in {c.answer_id for c in candidates}
    assert len(candidates) == 2 * len(TASKS) - 1


def test_adding_runs_again_adds_nothing(store: Store, shared_data_dir: Path) -> None:
    runs = sorted(store.arena.pool.run_ids())
    report = add_runs(store, runs, shared_data_dir)
    assert report.added == 0
    assert sorted(report.models) == ["mock/alpha", "mock/beta"]


def test_answers_keep_test_statuses(store: Store) -> None:
    battle_id = Matchmaker(store, rng=random.Random(1)).next_battle(voter_id(store, "ann"))
    assert battle_id is not None
    battle = store.arena.battles.get(battle_id)
    assert battle is not None
    by_model = {battle.answer_a.model: battle.answer_a, battle.answer_b.model: battle.answer_b}
    assert by_model["mock/alpha"].tests == {"base": "pass", "plus": "pass"}
    assert by_model["mock/beta"].tests == {"base": "fail", "plus": "fail"}
    assert XSS in by_model["mock/beta"].text


def test_one_battle_per_answer_pair_and_sane_pairs(store: Store) -> None:
    by_key = {(c.model, c.prompt_id): c.answer_id for c in store.arena.pool.candidates()}
    prompt = f"humaneval+/{TASKS[0]}"
    alpha, beta = by_key[("mock/alpha", prompt)], by_key[("mock/beta", prompt)]
    first = store.arena.battles.get_or_create(alpha, beta)
    assert store.arena.battles.get_or_create(beta, alpha) == first
    battle = store.arena.battles.get(first)
    assert battle is not None and (battle.model_a, battle.model_b) == ("mock/alpha", "mock/beta")
    other = by_key[("mock/beta", f"humaneval+/{TASKS[1]}")]
    with pytest.raises(StoreError, match="same prompt"):
        store.arena.battles.get_or_create(alpha, other)
    with pytest.raises(StoreError, match="unknown"):
        store.arena.battles.get_or_create(alpha, "nope")


def test_a_vote_counts_once_even_when_raced(store: Store) -> None:
    ann = voter_id(store, "ann")
    battle_id = Matchmaker(store).next_battle(ann)
    assert battle_id is not None
    results: list[bool] = []
    barrier = threading.Barrier(8)

    def vote(choice: str) -> None:
        barrier.wait()
        results.append(store.arena.battles.cast(battle_id, ann, choice)[1])

    threads = [threading.Thread(target=vote, args=("ab"[k % 2],)) for k in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results.count(True) == 1
    rows = [r for r in store.arena.battles.votes() if r.vote.voter_id == ann]
    assert len(rows) == 1
    stored, created = store.arena.battles.cast(battle_id, ann, "tie")
    assert not created and stored == rows[0].vote


def test_the_unique_constraint_holds_without_the_code(store: Store, tmp_path: Path) -> None:
    ann = voter_id(store, "ann")
    battle_id = Matchmaker(store).next_battle(ann)
    store.arena.battles.cast(str(battle_id), ann, "a")
    conn = sqlite3.connect(tmp_path / "arena.db")
    with pytest.raises(sqlite3.IntegrityError, match="UNIQUE"):
        conn.execute(
            "INSERT INTO arena_votes VALUES ('x', ?, ?, 'b', '2030-01-01')", (battle_id, ann)
        )
    conn.close()


def test_vote_on_unknown_battle_is_refused(store: Store) -> None:
    with pytest.raises(StoreError, match="no battle"):
        store.arena.battles.cast("nope", voter_id(store, "ann"), "a")
    with pytest.raises(ValueError):
        store.arena.battles.cast("nope", voter_id(store, "ann"), "c")


def test_matchmaking_never_repeats_a_battle_and_ends(store: Store) -> None:
    maker = Matchmaker(store, rng=random.Random(3))
    ann = voter_id(store, "ann")
    seen = []
    while (battle_id := maker.next_battle(ann)) is not None:
        assert battle_id not in seen
        seen.append(battle_id)
        store.arena.battles.cast(battle_id, ann, "a")
    # Five tasks, one of them without a usable beta answer: four battles.
    assert len(seen) == len(TASKS) - 1
    assert maker.next_battle(voter_id(store, "bob")) in seen


def test_disabled_models_and_prompts_leave_the_draw(store: Store) -> None:
    maker = Matchmaker(store, rng=random.Random(0))
    ann = voter_id(store, "ann")
    store.arena.pool.set_prompt_active(f"humaneval+/{TASKS[0]}", False)
    maker.invalidate()
    drawn = set()
    while (battle_id := maker.next_battle(ann)) is not None:
        battle = store.arena.battles.get(battle_id)
        assert battle is not None
        drawn.add(battle.prompt.task_id)
        store.arena.battles.cast(battle_id, ann, "b")
    assert TASKS[0] not in drawn and len(drawn) == len(TASKS) - 2
    store.arena.pool.set_model_active("mock/beta", False)
    maker.invalidate()
    assert maker.next_battle(voter_id(store, "bob")) is None
    with pytest.raises(StoreError, match="no arena model"):
        store.arena.pool.set_model_active("mock/gamma", True)


def test_uncertain_pairs_are_drawn_more_often(
    tmp_path: Path, bench: Benchmark, shared_data_dir: Path
) -> None:
    with Store.open(tmp_path / "three.db") as store:
        runs = [
            add_eval_run(
                store, bench, f"mock/{name}", {t: alpha_answer(bench, t) for t in TASKS}, True
            )
            for name in ("a1", "a2", "a3")
        ]
        add_runs(store, runs, shared_data_dir)
        voters = [store.arena.voters.add(f"v{k}")[0].id for k in range(40)]
        prompts = [f"humaneval+/{t}" for t in TASKS]
        by_key = {(c.model, c.prompt_id): c.answer_id for c in store.arena.pool.candidates()}
        # Many votes between a1 and a2, none with a3: pairs with a3 are the uncertain ones.
        rng = random.Random(5)
        for voter in voters:
            for prompt in prompts:
                battle = store.arena.battles.get_or_create(
                    by_key[("mock/a1", prompt)], by_key[("mock/a2", prompt)]
                )
                store.arena.battles.cast(battle, voter, "a" if rng.random() < 0.6 else "b")
        maker = Matchmaker(store, rng=random.Random(7))
        weights = maker.weights()
        known = weights[("mock/a1", "mock/a2")]
        assert known < UNKNOWN_VARIANCE / 10
        assert weights[("mock/a1", "mock/a3")] >= UNKNOWN_VARIANCE
        drawn = Counter()
        fresh = store.arena.voters.add("fresh")[0].id
        for _ in range(200):
            battle_id = maker.next_battle(fresh)
            battle = store.arena.battles.get(str(battle_id))
            assert battle is not None
            drawn[tuple(sorted((battle.model_a, battle.model_b)))] += 1
        assert drawn[("mock/a1", "mock/a2")] < 0.1 * sum(drawn.values())


def test_pair_variances_follow_the_fit_covariance() -> None:
    battles = [RatedBattle("x", "y", "model_a")] * 30 + [RatedBattle("x", "y", "model_b")] * 20
    battles += [RatedBattle("y", "z", "model_a")] * 2 + [RatedBattle("y", "z", "model_b")] * 2
    fit = fit_ratings(VoteTable.from_battles(battles))
    variances = pair_variances(fit, [("x", "y"), ("y", "z"), ("x", "z"), ("x", "w")])
    assert variances[("x", "y")] < variances[("y", "z")] < variances[("x", "z")]
    assert variances[("x", "w")] >= max(UNKNOWN_VARIANCE, variances[("x", "z")])
    assert set(pair_variances(None, [("x", "y")]).values()) == {UNKNOWN_VARIANCE}


def test_token_bucket_allows_a_burst_then_the_rate() -> None:
    now = [0.0]
    buckets = TokenBuckets(RateLimit(per_minute=60, burst=3), clock=lambda: now[0])
    assert [buckets.take("ann") for _ in range(3)] == [0.0, 0.0, 0.0]
    assert buckets.take("ann") == pytest.approx(1.0)
    assert buckets.take("bob") == 0.0
    now[0] = 0.5
    assert buckets.take("ann") == pytest.approx(0.5)
    now[0] = 1.0
    assert buckets.take("ann") == 0.0
    unlimited = TokenBuckets(RateLimit(per_minute=0, burst=1))
    assert all(unlimited.take("x") == 0.0 for _ in range(100))
    with pytest.raises(ConfigError):
        RateLimit(per_minute=-1)


@pytest.mark.parametrize(
    ("text", "model", "flagged"),
    [
        ("As ChatGPT, here is the code", "mock/alpha", "ChatGPT"),
        ("I am Claude 3, made by Anthropic.", "x/y", "Claude 3"),
        ("# written by my-coder-7b\nx = 1", "vllm/my-coder-7b", "my-coder-7b"),
        ("alpha = 0.5\nphi = 1.618", "mock/alpha", None),
        ("def llama_count(x): pass", "mock/alpha", None),
        ("Using Qwen2.5 style", "mock/alpha", "Qwen2.5"),
        ("return sorted(numbers)", "openai/gpt-4o-mini", None),
    ],
)
def test_names_a_model(text: str, model: str, flagged: str | None) -> None:
    reason = names_a_model(text, model)
    if flagged is None:
        assert reason is None
    else:
        assert reason is not None and flagged in reason


def test_segments_escape_and_split() -> None:
    parts = segments("Intro <b>x</b>\n```python\nx = '</pre><script>1</script>'\n```\nBye")
    assert [p.is_code for p in parts] == [False, True, False]
    assert parts[0].text == "Intro <b>x</b>"
    html = str(parts[1].html)
    assert "<script>" not in html and "&lt;script&gt;" in html and "&lt;/pre&gt;" in html
    unclosed = segments("```\ndef f():\n    return 1\n")
    assert len(unclosed) == 1 and unclosed[0].is_code
    assert segments("def f():\n    return 1")[0].is_code
    assert not segments("Just words, no code here.")[0].is_code
    long = segments("x" * (MAX_SHOWN_CHARS + 10))
    assert "cut" in long[-1].text and sum(len(p.text) for p in long[:-1]) <= MAX_SHOWN_CHARS


def test_waiting_for_a_token_takes_none() -> None:
    now = [0.0]
    buckets = TokenBuckets(RateLimit(per_minute=60, burst=1), clock=lambda: now[0])
    assert buckets.wait("ann") == 0.0
    assert buckets.wait("ann") == 0.0
    assert buckets.take("ann") == 0.0
    assert buckets.wait("ann") == pytest.approx(1.0)
    now[0] = 1.0
    assert buckets.wait("ann") == 0.0

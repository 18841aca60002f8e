"""The voting app over HTTP (in-process ASGI client): login, CSRF, blind pages, votes, 409s,
rate limits, escaping, admin rights and export."""

from __future__ import annotations

import json
import random
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from arena_seed import TASKS, XSS, Seeded, seed
from fastapi.testclient import TestClient

from codejury.arena.ratelimit import RateLimit
from codejury.arena.web import ArenaConfig, create_app
from codejury.datasets import Benchmark, load_benchmark
from codejury.store import Store

BASE = "http://testserver"


@pytest.fixture(scope="module")
def bench(shared_data_dir: Path) -> Benchmark:
    return load_benchmark("humaneval+", shared_data_dir)


@pytest.fixture
def seeded(tmp_path: Path, bench: Benchmark, shared_data_dir: Path) -> Seeded:
    return seed(tmp_path / "arena.db", bench, shared_data_dir)


@pytest.fixture
def store(seeded: Seeded) -> Iterator[Store]:
    with Store.open(seeded.path) as opened:
        yield opened


def make_client(store: Store, config: ArenaConfig | None = None, base: str = BASE) -> TestClient:
    config = config or ArenaConfig(rng=random.Random(0))
    return TestClient(create_app(store, config), base_url=base, follow_redirects=False)


def field(html: str, name: str) -> str:
    found = re.search(rf'name="{name}" value="([^"]*)"', html)
    assert found, f"no {name} field"
    return found.group(1)


def log_in(client: TestClient, token: str) -> str:
    """Log in through the form; returns the session's CSRF token."""
    nonce = field(client.get("/login").text, "nonce")
    response = client.post("/login", data={"nonce": nonce, "token": token})
    assert response.status_code == 303, response.text
    return field(client.get("/").text, "csrf")


def next_battle(client: TestClient) -> str:
    response = client.get("/next")
    assert response.status_code == 303
    location = response.headers["location"]
    assert location.startswith("/battle/")
    return location


def test_pages_need_a_login(store: Store) -> None:
    client = make_client(store)
    for path in ("/", "/next", "/battle/abc", "/admin"):
        response = client.get(path)
        assert response.status_code == 303 and response.headers["location"] == "/login"
    assert client.post("/battle/abc/vote", data={"choice": "a"}).status_code == 401


def test_login_checks_nonce_and_token_and_sets_strict_cookies(store: Store, seeded: Seeded) -> None:
    client = make_client(store)
    nonce = field(client.get("/login").text, "nonce")
    stolen = client.post("/login", data={"nonce": "forged", "token": seeded.tokens["ann"]})
    assert stolen.status_code == 403
    wrong = client.post("/login", data={"nonce": nonce, "token": "guess"})
    assert wrong.status_code == 401 and "Unknown or disabled" in wrong.text
    good = client.post("/login", data={"nonce": nonce, "token": seeded.tokens["ann"]})
    assert good.status_code == 303
    cookie = next(c for c in good.headers.get_list("set-cookie") if c.startswith("cj_session="))
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie and "Secure" not in cookie
    assert "ann" in client.get("/").text


def test_session_cookie_is_secure_over_https(store: Store, seeded: Seeded) -> None:
    client = make_client(store, base="https://testserver")
    nonce = field(client.get("/login").text, "nonce")
    good = client.post("/login", data={"nonce": nonce, "token": seeded.tokens["ann"]})
    cookie = next(c for c in good.headers.get_list("set-cookie") if c.startswith("cj_session="))
    assert "Secure" in cookie


def test_names_appear_only_after_the_vote(store: Store, seeded: Seeded) -> None:
    client = make_client(store)
    csrf = log_in(client, seeded.tokens["ann"])
    battle = next_battle(client)
    before = client.get(battle).text
    for secret in (
        "mock/alpha",
        "mock/beta",
        "alpha",
        *seeded.runs,
        *(r[:12] for r in seeded.runs),
    ):
        assert secret not in before
    assert "Model A" in before and "Model B" in before
    response = client.post(f"{battle}/vote", data={"csrf": csrf, "choice": "b"})
    assert response.status_code == 303 and response.headers["location"] == battle
    after = client.get(battle).text
    names = re.findall(r'id="model-([ab])">([^<]+)<', after)
    assert sorted(n for _, n in names) == ["mock/alpha", "mock/beta"]
    assert "B is better" in after and 'name="choice"' not in after


def test_model_text_is_escaped_and_scripts_are_forbidden(store: Store, seeded: Seeded) -> None:
    client = make_client(store)
    log_in(client, seeded.tokens["ann"])
    response = client.get(next_battle(client))
    html = response.text
    assert "<script" not in html and "<img" not in html and 'onerror="' not in html
    assert "&lt;script&gt;window.__pwned=1&lt;/script&gt;" in html
    assert "&lt;/code&gt;&lt;/pre&gt;&lt;script&gt;" in html
    assert "&lt;b&gt;helps&lt;/b&gt;" in html
    policy = response.headers["content-security-policy"]
    assert "default-src 'none'" in policy and "script" not in policy
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["cache-control"] == "no-store"
    assert XSS not in html


def test_votes_need_the_sessions_csrf_token(store: Store, seeded: Seeded) -> None:
    ann, bob = make_client(store), make_client(store)
    log_in(ann, seeded.tokens["ann"])
    bob_csrf = log_in(bob, seeded.tokens["bob"])
    battle = next_battle(ann)
    for data in ({"choice": "a"}, {"choice": "a", "csrf": "x"}, {"choice": "a", "csrf": bob_csrf}):
        assert ann.post(f"{battle}/vote", data=data).status_code == 403
    assert store.arena.battles.counts()["votes"] == 0
    json_body = ann.post(f"{battle}/vote", json={"choice": "a"})
    assert json_body.status_code == 415
    huge = ann.post(f"{battle}/vote", data={"choice": "a", "pad": "x" * 20_000})
    assert huge.status_code == 413


def test_second_vote_is_refused_and_the_first_stands(store: Store, seeded: Seeded) -> None:
    client = make_client(store)
    csrf = log_in(client, seeded.tokens["ann"])
    battle = next_battle(client)
    assert client.post(f"{battle}/vote", data={"csrf": csrf, "choice": "a"}).status_code == 303
    again = client.post(f"{battle}/vote", data={"csrf": csrf, "choice": "b"})
    assert again.status_code == 409 and "already voted" in again.text
    (row,) = store.arena.battles.votes()
    assert row.vote.choice == "a"


def test_bad_choice_and_unknown_battle(store: Store, seeded: Seeded) -> None:
    client = make_client(store)
    csrf = log_in(client, seeded.tokens["ann"])
    battle = next_battle(client)
    assert client.post(f"{battle}/vote", data={"csrf": csrf, "choice": "c"}).status_code == 400
    assert client.post("/battle/nope/vote", data={"csrf": csrf, "choice": "a"}).status_code == 404
    assert client.get("/battle/nope").status_code == 404


def test_votes_are_rate_limited_per_voter(store: Store, seeded: Seeded) -> None:
    config = ArenaConfig(vote_limit=RateLimit(per_minute=1, burst=2), rng=random.Random(1))
    ann = make_client(store, config)
    csrf = log_in(ann, seeded.tokens["ann"])
    replies = []
    for _ in range(3):
        battle = next_battle(ann)
        replies.append(ann.post(f"{battle}/vote", data={"csrf": csrf, "choice": "a"}))
    assert [r.status_code for r in replies] == [303, 303, 429]
    assert int(replies[2].headers["retry-after"]) >= 1
    assert store.arena.battles.counts()["votes"] == 2
    # Another voter of the same server has a bucket of their own.
    bob = TestClient(ann.app, base_url=BASE, follow_redirects=False)
    bob_csrf = log_in(bob, seeded.tokens["bob"])
    vote = bob.post(f"{next_battle(bob)}/vote", data={"csrf": bob_csrf, "choice": "b"})
    assert vote.status_code == 303


def test_a_voter_runs_out_of_battles(store: Store, seeded: Seeded) -> None:
    client = make_client(store)
    csrf = log_in(client, seeded.tokens["ann"])
    seen = set()
    for _ in range(len(TASKS) - 1):
        battle = next_battle(client)
        seen.add(battle)
        assert (
            client.post(f"{battle}/vote", data={"csrf": csrf, "choice": "tie"}).status_code == 303
        )
    assert len(seen) == len(TASKS) - 1
    done = client.get("/next")
    assert done.status_code == 200 and "voted on every battle" in done.text
    assert "4 times" in client.get("/").text


def test_tests_are_shown_only_when_asked(store: Store, seeded: Seeded) -> None:
    hidden = make_client(store)
    log_in(hidden, seeded.tokens["ann"])
    assert "tests:" not in hidden.get(next_battle(hidden)).text
    shown = make_client(store, ArenaConfig(show_tests=True))
    log_in(shown, seeded.tokens["bob"])
    page = shown.get(next_battle(shown)).text
    assert "base tests: pass" in page and "base tests: fail" in page


def test_logout_needs_csrf_and_ends_the_session(store: Store, seeded: Seeded) -> None:
    client = make_client(store)
    csrf = log_in(client, seeded.tokens["ann"])
    assert client.post("/logout", data={"csrf": "nope"}).status_code == 403
    assert client.get("/").status_code == 200
    assert client.post("/logout", data={"csrf": csrf}).status_code == 303
    assert client.get("/").status_code == 303


def test_admin_pages_are_for_admins(store: Store, seeded: Seeded) -> None:
    voter = make_client(store)
    csrf = log_in(voter, seeded.tokens["ann"])
    assert voter.get("/admin").status_code == 403
    assert voter.get("/admin/export.json").status_code == 403
    refused = voter.post("/admin/voters", data={"csrf": csrf, "name": "eve", "role": "admin"})
    assert refused.status_code == 403
    assert store.arena.voters.by_name("eve") is None


def test_admin_invites_disables_and_exports(store: Store, seeded: Seeded) -> None:
    admin = make_client(store)
    csrf = log_in(admin, seeded.tokens["admin"])
    overview = admin.get("/admin").text
    assert "mock/alpha" in overview and "names a model" in overview
    invited = admin.post("/admin/voters", data={"csrf": csrf, "name": "dora", "role": "voter"})
    assert invited.status_code == 200
    token = re.search(r'id="token">([^<]+)<', invited.text)
    assert token
    dora = TestClient(admin.app, base_url=BASE, follow_redirects=False)
    dora_csrf = log_in(dora, token.group(1))
    battle = next_battle(dora)
    assert dora.post(f"{battle}/vote", data={"csrf": dora_csrf, "choice": "a"}).status_code == 303
    voter = store.arena.voters.by_name("dora")
    assert voter is not None
    off = admin.post(
        "/admin/voters/active", data={"csrf": csrf, "voter_id": voter.id, "active": "0"}
    )
    assert off.status_code == 303
    assert dora.get("/").status_code == 303
    exported = admin.get("/admin/export.json")
    assert exported.status_code == 200
    (record,) = json.loads(exported.text)
    battle_row = store.arena.battles.get(battle.rsplit("/", 1)[1])
    assert battle_row is not None
    assert record["model_a"] == battle_row.model_a and record["winner"] == "model_a"
    assert record["judge"] == f"arena_user_{voter.id}" and "dora" not in exported.text
    assert record["conversation_b"][1]["content"] == battle_row.answer_b.text


def test_admin_keeps_a_model_out(store: Store, seeded: Seeded) -> None:
    admin = make_client(store)
    csrf = log_in(admin, seeded.tokens["admin"])
    response = admin.post(
        "/admin/models/active", data={"csrf": csrf, "name": "mock/beta", "active": "0"}
    )
    assert response.status_code == 303
    voter = make_client(store)
    log_in(voter, seeded.tokens["ann"])
    assert "voted on every battle" in voter.get("/next").text
    missing = admin.post(
        "/admin/prompts/active", data={"csrf": csrf, "prompt_id": "x", "active": "0"}
    )
    assert missing.status_code == 400


def test_failed_logins_are_rate_limited_per_address(store: Store, seeded: Seeded) -> None:
    client = make_client(store, ArenaConfig(login_limit=RateLimit(per_minute=1, burst=3)))
    nonce = field(client.get("/login").text, "nonce")
    # Good logins do not use up the address's budget...
    for _ in range(5):
        ok = client.post("/login", data={"nonce": nonce, "token": seeded.tokens["ann"]})
        assert ok.status_code == 303
        nonce = field(client.get("/login").text, "nonce")
    # ...failed ones do, and then even the right token has to wait.
    codes = [
        client.post("/login", data={"nonce": nonce, "token": f"guess{k}"}).status_code
        for k in range(4)
    ]
    assert codes == [401, 401, 401, 429]
    late = client.post("/login", data={"nonce": nonce, "token": seeded.tokens["ann"]})
    assert late.status_code == 429 and "retry-after" in late.headers


def test_sessions_ended_elsewhere_end_here_within_the_cache_time(
    store: Store, seeded: Seeded
) -> None:
    cached = make_client(store, ArenaConfig(session_cache_s=3600))
    uncached = make_client(store, ArenaConfig(session_cache_s=0))
    log_in(cached, seeded.tokens["ann"])
    log_in(uncached, seeded.tokens["ann"])
    voter = store.arena.voters.by_name("ann")
    assert voter is not None
    store.arena.voters.set_active(voter.id, False)  # as `codejury` in another process would
    assert uncached.get("/").status_code == 303
    assert cached.get("/").status_code == 200

"""Votes survive a server killed with SIGKILL in the middle of a stream of votes.

Voters vote as fast as they can against a real ``codejury arena serve``; the server is killed
without warning while requests are in flight and started again on the same store. Every vote
that was acknowledged must be there with its choice; a vote whose request was cut off is either
there or not, and re-sending it after the restart settles it (303: stored now, 409: it had been
stored before the kill) without ever counting it twice.
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import sqlite3
import subprocess
import threading
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest
from arena_seed import free_port, seed, start_server

from codejury.datasets import load_benchmark
from codejury.store import Store

pytestmark = pytest.mark.timeout(240)
VOTERS = 12
KILL_AFTER = 120


@dataclass
class Voter:
    name: str
    client: httpx.Client
    csrf: str = ""
    acked: dict[str, str] = field(default_factory=dict)
    cut_off: list[tuple[str, str]] = field(default_factory=list)
    unexpected: list[str] = field(default_factory=list)


def log_in(client: httpx.Client, token: str) -> str:
    page = client.get("/login").text
    nonce = re.search(r'name="nonce" value="([^"]+)"', page)
    assert nonce
    response = client.post("/login", data={"nonce": nonce.group(1), "token": token})
    assert response.status_code == 303
    csrf = re.search(r'name="csrf" value="([^"]+)"', client.get("/").text)
    assert csrf
    return csrf.group(1)


def vote_until_killed(voter: Voter, acked_total: list[int], enough: threading.Event) -> None:
    """Vote until the server dies (or the voter runs out of battles, which fails the test)."""
    choices = ("a", "b", "tie", "bothbad")
    k = 0
    while True:
        try:
            battle = voter.client.get("/next").headers.get("location", "")
        except httpx.TransportError:
            return
        if not battle.startswith("/battle/"):
            voter.unexpected.append("ran out of battles")
            return
        choice = choices[k % 4]
        k += 1
        try:
            response = voter.client.post(
                f"{battle}/vote", data={"csrf": voter.csrf, "choice": choice}
            )
        except httpx.TransportError:
            # The server died with this request in flight: stored or not, we cannot tell yet.
            voter.cut_off.append((battle, choice))
            return
        if response.status_code != 303:
            voter.unexpected.append(f"{response.status_code}: {response.text[:200]}")
            return
        voter.acked[battle.rsplit("/", 1)[1]] = choice
        acked_total.append(1)
        if len(acked_total) >= KILL_AFTER:
            enough.set()


@pytest.fixture
def servers() -> Iterator[list[subprocess.Popen[bytes]]]:
    """Server processes started by the test; whatever is still running is killed after it."""
    started: list[subprocess.Popen[bytes]] = []
    yield started
    for process in started:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=30)


def test_acknowledged_votes_survive_sigkill(
    tmp_path: Path, shared_data_dir: Path, servers: list[subprocess.Popen[bytes]]
) -> None:
    bench = load_benchmark("humaneval+", shared_data_dir)
    tasks = tuple(list(bench.problems)[:30])
    seeded = seed(
        tmp_path / "arena.db", bench, shared_data_dir, voters=VOTERS, tasks=tasks, extra_models=1
    )
    log = tmp_path / "server.log"
    port = free_port()
    servers.append(start_server(seeded.path, port, "--votes-per-minute", "0", log=log))
    voters = []
    with contextlib.ExitStack() as clients:
        for k in range(VOTERS):
            client = clients.enter_context(
                httpx.Client(
                    base_url=f"http://127.0.0.1:{port}", follow_redirects=False, timeout=30
                )
            )
            voter = Voter(f"v{k:03d}", client)
            voter.csrf = log_in(client, seeded.tokens[voter.name])
            voters.append(voter)
        acked_total: list[int] = []
        enough = threading.Event()
        threads = [
            threading.Thread(target=vote_until_killed, args=(v, acked_total, enough))
            for v in voters
        ]
        for t in threads:
            t.start()
        enough.wait(120)
        os.kill(servers[0].pid, signal.SIGKILL)
        servers[0].wait(timeout=30)
        for t in threads:
            t.join(timeout=60)
        assert [u for v in voters for u in v.unexpected] == []
        acked = {(v.name, b): c for v in voters for b, c in v.acked.items()}
        assert len(acked) >= KILL_AFTER

        # Nothing acknowledged is lost; at most the requests in flight were stored unseen.
        conn = sqlite3.connect(seeded.path)
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        conn.close()
        with Store.open(seeded.path) as store:
            names = {v.id: v.name for v in store.arena.voters.all()}
            rows = store.arena.battles.votes()
        stored = {(names[r.vote.voter_id], r.vote.battle_id): r.vote.choice for r in rows}
        assert len(stored) == len(rows)  # no (voter, battle) twice
        assert all(acked[key] == stored.get(key) for key in acked)
        cut_off = [(v, b, c) for v in voters for b, c in v.cut_off]
        assert len(stored) - len(acked) <= len(cut_off)

        # After a restart the same sessions work, and re-sending a cut-off vote settles it.
        port = free_port()
        servers.append(start_server(seeded.path, port, "--votes-per-minute", "0", log=log))
        for voter in voters:
            voter.client.base_url = httpx.URL(f"http://127.0.0.1:{port}")
        for voter, battle, choice in cut_off:
            resent = voter.client.post(
                f"{battle}/vote", data={"csrf": voter.csrf, "choice": choice}
            )
            was_stored = (voter.name, battle.rsplit("/", 1)[1]) in stored
            assert resent.status_code == (409 if was_stored else 303), resent.text
        first = voters[0]
        battle = first.client.get("/next").headers["location"]
        vote = first.client.post(f"{battle}/vote", data={"csrf": first.csrf, "choice": "a"})
        assert vote.status_code == 303
        with Store.open(seeded.path) as store:
            final = Counter(
                (r.vote.voter_id, r.vote.battle_id) for r in store.arena.battles.votes()
            )
        assert set(final.values()) == {1}
        assert sum(final.values()) == len(acked) + len(cut_off) + 1
    print(f"acknowledged {len(acked)}, cut off by the kill {len(cut_off)}")

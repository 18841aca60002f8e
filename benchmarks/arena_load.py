"""Load test of the arena: many concurrent voters against a real local server.

Usage::

    python benchmarks/arena_load.py [--voters 100] [--votes 10000] [--data-dir ../shared/data]
        [--work-dir DIR] [--votes-per-minute 100000] [--think-ms 0]

What it does:

1. Builds a fresh store in the work dir: three eval runs of mock models (``mock/m0``..``m2``)
   answering every HumanEval+ task, added to the arena's pool (492 possible battles per
   voter), and ``--voters`` invited voters.
2. Starts ``codejury arena serve`` on 127.0.0.1 (one process, as in production) with the
   per-voter rate limit raised to ``--votes-per-minute`` (the default 30/min would make this a
   test of the limiter; it stays switched on so its cost is measured).
3. Runs ``--voters`` concurrent clients (one ``httpx.AsyncClient`` each, in one asyncio loop):
   each logs in through the form, then repeats GET /next → GET the battle page → POST the vote
   until ``--votes`` votes are acknowledged in all. A vote counts as acknowledged when the
   server answers 303; a 429 is waited out and retried. By default there is no pause at all
   (the server is saturated, so latencies are mostly queueing); ``--think-ms`` adds a pause
   before each vote, like a voter reading the answers.
4. Reads the store: every acknowledged vote must be there with its choice ("lost" otherwise),
   and no (battle, voter) may hold two votes ("duplicated"); votes stored without an
   acknowledgement are counted too (none are expected: nothing is killed here).

Prints throughput and vote latency percentiles (p50, p90, p99, max) as seen by the clients,
and exits with status 1 if any vote was lost or duplicated.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import numpy as np

from codejury.arena.pool import add_runs
from codejury.datasets import load_benchmark
from codejury.store import GenerationRecord, Store

MODELS = ("mock/m0", "mock/m1", "mock/m2")
_FIELD = re.compile(r'name="(csrf|nonce)" value="([^"]+)"')


def build_store(path: Path, data_dir: Path, voters: int) -> dict[str, str]:
    """A store with three mock models on all of HumanEval+ in the pool; tokens by voter."""
    bench = load_benchmark("humaneval+", data_dir)
    with Store.open(path) as store:
        runs = []
        for k, model in enumerate(MODELS):
            run_id = store.create_run(
                kind="eval",
                benchmark=bench.id,
                dataset_hash=bench.content_hash,
                spec={"model": model, "prompt": {"style": "instruct"}},
                environment={},
            )
            for task_id, problem in bench.problems.items():
                text = f"Answer {k}:\n```python\n{problem.reference_program}\n```\n"
                store.generations.add(
                    run_id,
                    GenerationRecord(
                        task_id, 0, f"{model}:{task_id}", text, None, text, "fence", "stop",
                        False, 100, 50, 0.1, 0.5, 0.0,
                    ),
                )  # fmt: skip
            store.finish_run(run_id, status="finished", summary=None)
            runs.append(run_id)
        add_runs(store, runs, data_dir)
        return {f"v{k:03d}": store.arena.voters.add(f"v{k:03d}")[1] for k in range(voters)}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_server(
    db: Path, port: int, votes_per_minute: float, log: Path
) -> subprocess.Popen[bytes]:
    command = [
        sys.executable, "-c", "import sys; from codejury.cli import main; sys.exit(main())",
        "arena", "serve", "--host", "127.0.0.1", "--port", str(port), "--db", str(db),
        "--votes-per-minute", str(votes_per_minute), "--burst", "1000",
    ]  # fmt: skip
    process = subprocess.Popen(command, stdout=log.open("ab"), stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"the server exited with {process.returncode}; see {log}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                return process
        except httpx.TransportError:
            time.sleep(0.1)
    process.kill()
    raise SystemExit(f"the server did not start; see {log}")


@dataclass
class Tally:
    """What the clients saw."""

    target: int
    think_s: float = 0.0
    acked: dict[tuple[str, str], str] = field(default_factory=dict)
    vote_s: list[float] = field(default_factory=list)
    next_s: list[float] = field(default_factory=list)
    page_s: list[float] = field(default_factory=list)
    statuses: Counter[int] = field(default_factory=Counter)
    errors: list[str] = field(default_factory=list)
    started: int = 0


async def voter(name: str, token: str, base: str, tally: Tally) -> None:
    choices = ("a", "b", "tie", "bothbad")
    async with httpx.AsyncClient(base_url=base, timeout=120, follow_redirects=False) as client:
        nonce = dict(_FIELD.findall((await client.get("/login")).text))["nonce"]
        login = await client.post("/login", data={"nonce": nonce, "token": token})
        if login.status_code != 303:
            tally.errors.append(f"{name}: login answered {login.status_code}")
            return
        csrf = dict(_FIELD.findall((await client.get("/")).text))["csrf"]
        k = 0
        while tally.started < tally.target:
            tally.started += 1
            t0 = time.perf_counter()
            battle = (await client.get("/next")).headers.get("location", "")
            tally.next_s.append(time.perf_counter() - t0)
            if not battle.startswith("/battle/"):
                tally.errors.append(f"{name}: no battle left")
                return
            t0 = time.perf_counter()
            page = await client.get(battle)
            tally.page_s.append(time.perf_counter() - t0)
            if page.status_code != 200:
                tally.errors.append(f"{name}: battle page answered {page.status_code}")
            choice = choices[k % 4]
            k += 1
            if tally.think_s:
                await asyncio.sleep(tally.think_s)  # a voter reading the two answers
            while True:
                t0 = time.perf_counter()
                response = await client.post(
                    f"{battle}/vote", data={"csrf": csrf, "choice": choice}
                )
                tally.vote_s.append(time.perf_counter() - t0)
                tally.statuses[response.status_code] += 1
                if response.status_code != 429:
                    break
                await asyncio.sleep(float(response.headers.get("retry-after", "1")))
            if response.status_code == 303:
                tally.acked[(name, battle.rsplit("/", 1)[1])] = choice
            else:
                tally.errors.append(f"{name}: vote answered {response.status_code}")


def cpu_seconds(pid: int) -> float | None:
    """CPU time (user + system) a process has used so far, on Linux; else None."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def percentiles(values: list[float]) -> str:
    ms = np.asarray(values) * 1000
    p50, p90, p99 = np.percentile(ms, [50, 90, 99])
    return f"p50 {p50:7.1f} ms  p90 {p90:7.1f} ms  p99 {p99:7.1f} ms  max {ms.max():7.1f} ms"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--voters", type=int, default=100)
    parser.add_argument("--votes", type=int, default=10_000)
    parser.add_argument("--votes-per-minute", type=float, default=100_000)
    parser.add_argument(
        "--think-ms", type=float, default=0.0, help="Pause between seeing a page and voting."
    )
    default_data = Path(__file__).resolve().parents[2] / "shared" / "data"
    parser.add_argument("--data-dir", type=Path, default=default_data)
    parser.add_argument("--work-dir", type=Path, default=None)
    args = parser.parse_args()
    work = args.work_dir or Path(tempfile.mkdtemp(prefix="arena-load-"))
    work.mkdir(parents=True, exist_ok=True)
    db = work / "arena.db"
    if db.exists():
        raise SystemExit(f"{db} exists: give an empty --work-dir")
    t0 = time.perf_counter()
    tokens = build_store(db, args.data_dir, args.voters)
    print(f"store with {args.voters} voters built in {time.perf_counter() - t0:.1f} s: {db}")
    port = free_port()
    server = start_server(db, port, args.votes_per_minute, work / "server.log")
    base = f"http://127.0.0.1:{port}"
    tally = Tally(target=args.votes, think_s=args.think_ms / 1000)
    try:

        async def everyone() -> float:
            started = time.perf_counter()
            await asyncio.gather(*(voter(n, t, base, tally) for n, t in tokens.items()))
            return time.perf_counter() - started

        wall = asyncio.run(everyone())
        server_cpu = cpu_seconds(server.pid)
    finally:
        server.terminate()
        server.wait(timeout=60)
    with Store.open(db) as store:
        names = {v.id: v.name for v in store.arena.voters.all()}
        rows = store.arena.battles.votes()
    stored = Counter((names[r.vote.voter_id], r.vote.battle_id) for r in rows)
    choice_of = {(names[r.vote.voter_id], r.vote.battle_id): r.vote.choice for r in rows}
    lost = sum(1 for key, choice in tally.acked.items() if choice_of.get(key) != choice)
    duplicated = sum(n - 1 for n in stored.values() if n > 1)
    unacked = sum(1 for key in stored if key not in tally.acked)
    print(f"{args.voters} concurrent voters, {len(tally.acked)} votes acknowledged in {wall:.1f} s "
          f"({len(tally.acked) / wall:.0f} votes/s; each vote also fetched /next and the page)")  # fmt: skip
    print(
        f"stored {len(rows)}; lost {lost}; duplicated {duplicated}; stored unacknowledged {unacked}"
    )
    print(f"responses to votes: {dict(sorted(tally.statuses.items()))}")
    print(f"vote (POST)   {percentiles(tally.vote_s)}")
    print(f"next battle   {percentiles(tally.next_s)}")
    print(f"battle page   {percentiles(tally.page_s)}")
    if server_cpu is not None:
        print(f"server CPU {server_cpu:.1f} s: {1000 * server_cpu / max(len(tally.acked), 1):.1f} ms "
              f"per vote with its /next and page ({server_cpu / wall:.0%} of one core)")  # fmt: skip
    print(f"p99 vote latency: {np.percentile(np.asarray(tally.vote_s) * 1000, 99):.1f} ms")
    for error in tally.errors[:10]:
        print(f"error: {error}")
    ok = lost == 0 and duplicated == 0 and len(tally.acked) == args.votes and not tally.errors
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())

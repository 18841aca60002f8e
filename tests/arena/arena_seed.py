"""A store seeded for the arena's web tests: two eval runs of mock models on HumanEval+ tasks.

``mock/alpha`` answers with the reference solution in a fenced block. ``mock/beta`` answers
with hostile markup around wrong code: a ``<script>``, an ``<img onerror>`` and a closing
``</code></pre>`` that tries to break out of the code block; on one task it says it is
ChatGPT, which must keep that answer out of battles.
"""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from codejury.arena.pool import add_runs
from codejury.datasets import Benchmark
from codejury.store import GenerationRecord, Store, VerdictRecord

TASKS = ("HumanEval/0", "HumanEval/2", "HumanEval/4", "HumanEval/7", "HumanEval/12")
SELF_NAMING_TASK = "HumanEval/7"
XSS = '<script>window.__pwned=1</script><img src=x onerror="window.__pwned=2">'
BREAKOUT = "</code></pre><script>window.__pwned=3</script>"


def beta_answer(task_id: str) -> str:
    if task_id == SELF_NAMING_TASK:
        return "As ChatGPT, I would write:\n```python\ndef f():\n    return 1\n```\n"
    return (
        f"Here is my answer {XSS}\n"
        "```python\n"
        f"def solution():\n    s = '{BREAKOUT}'\n    return None\n"
        "```\n"
        "Hope this <b>helps</b>.\n"
    )


def alpha_answer(bench: Benchmark, task_id: str) -> str:
    return f"Sure:\n```python\n{bench.problems[task_id].reference_program}\n```\n"


def add_eval_run(
    store: Store, bench: Benchmark, model: str, answers: dict[str, str], passes: bool
) -> str:
    """Store an eval run of ``model`` with one generation per task and its test statuses."""
    run_id = store.create_run(
        kind="eval",
        benchmark=bench.id,
        dataset_hash=bench.content_hash,
        spec={"model": model, "prompt": {"style": "instruct"}, "tasks": len(answers)},
        environment={},
    )
    for task_id, text in answers.items():
        store.generations.add(
            run_id,
            GenerationRecord(
                task_id=task_id,
                index=0,
                cache_key=f"{model}:{task_id}",
                raw_text=text,
                reasoning=None,
                code=text,
                sanitize_rule="fence",
                finish_reason="stop",
                truncated=False,
                input_tokens=100,
                output_tokens=50,
                ttft_s=0.1,
                latency_s=0.5,
                cost_usd=0.0,
            ),
        )
    status = "pass" if passes else "fail"
    store.record_verdicts(
        run_id,
        [VerdictRecord(t, 0, part, status, {}) for t in answers for part in ("base", "plus")],
    )
    store.finish_run(run_id, status="finished", summary=None)
    return run_id


@dataclass
class Seeded:
    """What a seeded store holds."""

    path: Path
    runs: list[str]
    tokens: dict[str, str] = field(default_factory=dict)
    """Invitation token by voter name: ``admin`` (admin), ``ann`` and ``bob`` (voters)."""


def seed(
    path: Path,
    bench: Benchmark,
    data_dir: Path,
    *,
    voters: int = 0,
    tasks: tuple[str, ...] = TASKS,
    extra_models: int = 0,
) -> Seeded:
    """Create the store at ``path`` with the runs in the pool, an admin and two voters.

    Args:
        path: Database file.
        bench: HumanEval+.
        data_dir: Where HumanEval+ is, for the prompt texts.
        voters: Extra voters ``v000``, ``v001``... besides ``ann`` and ``bob``.
        tasks: The tasks every model answered.
        extra_models: More models (``mock/m0``...) answering with the reference solution in
            their own words, for stores that need many battles.
    """
    with Store.open(path) as store:
        alpha = add_eval_run(
            store, bench, "mock/alpha", {t: alpha_answer(bench, t) for t in tasks}, True
        )
        beta = add_eval_run(store, bench, "mock/beta", {t: beta_answer(t) for t in tasks}, False)
        runs = [alpha, beta]
        for k in range(extra_models):
            answers = {
                t: f"Answer {k}:\n```python\n{bench.problems[t].reference_program}\n```\n"
                for t in tasks
            }
            runs.append(add_eval_run(store, bench, f"mock/m{k}", answers, True))
        add_runs(store, runs, data_dir)
        seeded = Seeded(path, runs)
        for name, role in [("admin", "admin"), ("ann", "voter"), ("bob", "voter")]:
            seeded.tokens[name] = store.arena.voters.add(name, role)[1]
        for k in range(voters):
            seeded.tokens[f"v{k:03d}"] = store.arena.voters.add(f"v{k:03d}")[1]
    return seeded


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_server(
    db: Path, port: int, *extra: str, log: Path | None = None
) -> subprocess.Popen[bytes]:
    """Start ``codejury arena serve`` on 127.0.0.1:port and wait until it answers."""
    command = [
        sys.executable,
        "-c",
        "import sys; from codejury.cli import main; sys.exit(main())",
        "arena",
        "serve",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--db",
        str(db),
        *extra,
    ]
    out = open(log, "ab") if log else subprocess.DEVNULL  # noqa: SIM115
    process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"arena server exited with {process.returncode}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                return process
        except httpx.TransportError:
            time.sleep(0.1)
    process.kill()
    raise RuntimeError("arena server did not start in 60 s")

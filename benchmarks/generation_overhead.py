"""codejury's generation pipeline against a bare asyncio + httpx loop, and against EvalPlus.

Usage::

    python benchmarks/generation_overhead.py [--n 10] [--concurrency 64] [--rounds 5]
        [--delay-ms 50] [--evalplus-python PATH] [--skip-evalplus] [--work-dir DIR]

Both parts talk to ``instant_server.py``, an OpenAI-compatible server in its own process
that answers at once, so what is measured is the client: request building, HTTP, stream
parsing and, for codejury, sanitizing and committing every completion to the store.

1. Request rate. The same requests (HumanEval+'s 164 tasks × ``--n`` samples, temperature
   0.8 with one seed per sample, so every request body is distinct) are sent by

   A. a bare loop: ``--concurrency`` asyncio workers on one ``AsyncClient`` posting the
      JSON body codejury's provider sends (streamed) and reading the whole response. It runs
      twice: with ``httpx`` (the package the issue names) and, where installed, with
      ``httpx2``, the fork the openai SDK itself runs on. They differ a lot at high
      concurrency: httpcore 1.0's pool does O(connections²) work per request, httpcore2's
      does not, so httpx2 is the floor for any client built on the SDK;
   B. codejury's pipeline: :class:`codejury.runner.Generator` with the real OpenAI-compatible
      provider (official SDK, streaming) behind ``RetryingProvider`` + ``Limiter``, a fresh
      SQLite store per round and ``use_cache=False``, so every completion is requested,
      sanitized and committed.

   The sides alternate for ``--rounds`` rounds in this one process; best-of and median
   rates are printed with the ratio of B to each bare loop (target: at least 0.90). Each
   row also shows client CPU milliseconds per request (less sensitive than rates to other
   load on the machine) and the CPU the client and the server used per second of wall time:
   a server far below 100 % is not what limits either side.

2. Wall time for one greedy sample of every HumanEval+ task (164 requests): EvalPlus 0.3.1's
   ``codegen`` (``--backend openai --greedy``: one request at a time) against codejury's
   Generator at ``--concurrency`` and at 1, each in its own process. "process" is the whole
   command including interpreter start and imports, "generation" the call that does the
   work (EvalPlus's ``run_codegen``, codejury's ``Generator.run``). With an instant server
   this compares fixed costs only, so it runs again with the server holding each answer
   ``--delay-ms`` (a stand-in for model latency), where sequential and concurrent differ.

EvalPlus runs from its own venv (see ``evalplus_harness.py``), reading a decompressed copy of
the published HumanEval+ file through ``HUMANEVAL_OVERRIDE_PATH`` with a private
``XDG_CACHE_HOME``; nothing is downloaded except, once, EvalPlus itself from PyPI when no
``--evalplus-python`` is given and the work dir has no venv yet (the default work dir is
the one ``score_vs_evalplus.py`` uses, so its venv is shared).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from codejury.datasets import Benchmark, load_benchmark
from codejury.providers.base import GenerationRequest
from codejury.providers.registry import ProviderRegistry, resolve
from codejury.providers.retry import Limiter, RetryingProvider
from codejury.runner import EvalSpec, Generator
from codejury.store import Store
from evalplus_harness import BENCHES, decompressed, evalplus_python
from instant_server import serve_in_subprocess

ROOT = Path(__file__).resolve().parent.parent
TARGET = 0.90
MODEL_REF = "llamacpp/bench"
CODEJURY_SIDE = "B codejury + Generator, store"


@dataclass(frozen=True)
class Options:
    """Resolved command-line options."""

    n: int
    concurrency: int
    rounds: int
    temperature: float
    max_tokens: int
    data_dir: Path
    work_dir: Path
    evalplus_python: Path | None
    skip_evalplus: bool
    delay_ms: float


@dataclass(frozen=True)
class Row:
    """One tool's run in part 2."""

    tool: str
    delay_ms: float  # the server's wait per answer
    process_s: float
    generation_s: float
    samples: int


@dataclass
class Timing:
    """One side's run: requests answered, wall seconds, CPU seconds of client and server."""

    requests: int
    seconds: float
    client_cpu: float
    server_cpu: float

    @property
    def rate(self) -> float:
        """Requests per second."""
        return self.requests / self.seconds


def _scratch(opts: Options) -> Path:
    """This benchmark's own files inside the (shared) work dir."""
    path = opts.work_dir / "generation"
    path.mkdir(parents=True, exist_ok=True)
    return path


def _cpu_of(pid: int) -> float:
    """User + system CPU seconds of process ``pid`` (Linux ``/proc``; 0 elsewhere)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _spec(bench: Benchmark, base_url: str, opts: Options, n: int, temperature: float) -> EvalSpec:
    models = {MODEL_REF: {"base_url": base_url, "concurrency": opts.concurrency}}
    return EvalSpec(
        model=resolve(MODEL_REF, models),
        benchmark=bench,
        task_ids=tuple(bench.problems),
        n=n,
        temperature=temperature,
        max_tokens=opts.max_tokens,
        seed=0 if temperature > 0 else None,
    )


def _wire_body(model: str, request: GenerationRequest) -> dict[str, Any]:
    """The JSON body codejury's OpenAI-compatible provider sends for ``request``."""
    assert request.messages is not None
    body: dict[str, Any] = {
        "model": model,
        "stream": True,
        "messages": [{"role": m.role, "content": m.content} for m in request.messages],
    }
    if request.seed is not None:
        body["seed"] = request.seed
    body["stream_options"] = {"include_usage": True}
    body["temperature"] = request.temperature
    body["max_tokens"] = request.max_tokens
    return body


def _bodies(spec: EvalSpec) -> list[dict[str, Any]]:
    problems = spec.benchmark.problems
    return [
        _wire_body(spec.model.model, spec.request(problems[task_id], index))
        for task_id in spec.task_ids
        for index in range(spec.n)
    ]


async def bare_loop(
    client_module: Any, base_url: str, bodies: list[dict[str, Any]], concurrency: int
) -> int:
    """Side A: ``concurrency`` workers posting ``bodies``; returns how many were answered.

    ``client_module`` is ``httpx`` or ``httpx2`` (same API): the second is the transport the
    openai SDK itself runs on, so it is the floor for what codejury's provider can reach.
    """
    todo = iter(bodies)
    answered = 0
    # The same pool limits the openai SDK sets, so neither side reconnects more than the other.
    limits = client_module.Limits(max_connections=1000, max_keepalive_connections=100)
    headers = {"authorization": "Bearer none"}
    client = client_module.AsyncClient(base_url=base_url, limits=limits, timeout=120.0)
    async with client:

        async def worker() -> None:
            nonlocal answered
            for body in todo:
                response = await client.post("/chat/completions", json=body, headers=headers)
                response.raise_for_status()
                answered += response.content.endswith(b"data: [DONE]\n\n")

        await asyncio.gather(*(worker() for _ in range(concurrency)))
    return answered


async def codejury_pipeline(spec: EvalSpec, store: Store, run_id: str) -> int:
    """Side B: codejury's Generator; returns how many completions it committed."""
    provider = ProviderRegistry().create(spec.model)
    wrapped = RetryingProvider(provider, limiter=Limiter(spec.model.concurrency))
    generator = Generator(spec, wrapped, store, run_id, cost=lambda _i, _o: None, use_cache=False)
    try:
        outcome = await generator.run()
    finally:
        await wrapped.aclose()
    if outcome.stopped_by is not None:
        raise SystemExit(f"codejury's run stopped: {outcome.stopped_by.message}")
    return sum(1 for r in outcome.records if r.error is None and r.sanitize_rule != "no_code")


def _new_store(path: Path, spec: EvalSpec) -> tuple[Store, str]:
    path.unlink(missing_ok=True)
    store = Store.open(path)
    run_id = store.create_run(
        kind="eval",
        benchmark=spec.benchmark.id,
        dataset_hash=spec.benchmark.content_hash,
        spec=spec.document(),
        environment={},
    )
    return store, run_id


def _timed(server_pid: int, run: Any) -> Timing:
    wall, cpu, server = time.perf_counter(), time.process_time(), _cpu_of(server_pid)
    requests = asyncio.run(run)
    return Timing(
        requests,
        time.perf_counter() - wall,
        time.process_time() - cpu,
        _cpu_of(server_pid) - server,
    )


def _clients() -> list[tuple[str, Any]]:
    """The bare loop's HTTP clients: httpx, and httpx2 where installed (the openai SDK's)."""
    found = [(f"httpx {httpx.__version__}", httpx)]
    try:
        import httpx2
    except ImportError:
        return found
    return [*found, (f"httpx2 {httpx2.__version__}", httpx2)]


def rate_rounds(bench: Benchmark, opts: Options) -> dict[str, list[Timing]]:
    """Part 1: every bare loop, then codejury's pipeline, ``opts.rounds`` times over."""
    sides: dict[str, list[Timing]] = {}
    with serve_in_subprocess() as (base_url, pid):
        spec = _spec(bench, base_url, opts, opts.n, opts.temperature)
        bodies = _bodies(spec)
        total = len(bodies)
        print(f"server {base_url}; {total} requests per side per round", flush=True)
        for round_no in range(1, opts.rounds + 1):
            done: dict[str, Timing] = {}
            for name, module in _clients():
                run = bare_loop(module, base_url, bodies, opts.concurrency)
                done[f"A bare asyncio + {name}"] = _timed(pid, run)
            store, run_id = _new_store(_scratch(opts) / "rate.db", spec)
            try:
                done[CODEJURY_SIDE] = _timed(pid, codejury_pipeline(spec, store, run_id))
            finally:
                store.close()
            for side, t in done.items():
                if t.requests != total:
                    raise SystemExit(f"{side}: {t.requests} good answers of {total}")
                sides.setdefault(side, []).append(t)
            rates = "   ".join(f"{side.split(' + ')[-1]} {t.rate:5.0f}" for side, t in done.items())
            print(f"  round {round_no} (req/s): {rates}", flush=True)
    return sides


# --- part 2: one greedy sample per task, EvalPlus codegen against codejury ---------------------

_EVALPLUS_DRIVER = """
import json, sys, time
t0 = time.perf_counter()
from evalplus.codegen import run_codegen
t1 = time.perf_counter()
path = run_codegen(model="bench", dataset="humaneval", backend="openai", base_url=sys.argv[1],
                   greedy=True, root=sys.argv[2])
t2 = time.perf_counter()
print(json.dumps({"import_s": t1 - t0, "generation_s": t2 - t1, "path": path}))
"""


def _child_run(base_url: str, opts: Options) -> None:
    """In a child process: codejury's Generator, n=1 greedy, on every HumanEval+ task."""
    bench = load_benchmark("humaneval+", opts.data_dir)
    spec = _spec(bench, base_url, opts, 1, 0.0)
    store, run_id = _new_store(_scratch(opts) / f"codejury-c{opts.concurrency}.db", spec)
    started = time.perf_counter()
    try:
        done = asyncio.run(codejury_pipeline(spec, store, run_id))
    finally:
        store.close()
    print(json.dumps({"generation_s": time.perf_counter() - started, "samples": done}))


def _process(cmd: Sequence[str], env: dict[str, str]) -> tuple[float, dict[str, Any]]:
    started = time.perf_counter()
    done = subprocess.run(cmd, env=env, stdin=subprocess.DEVNULL, capture_output=True, text=True)
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"failed ({done.returncode}): {' '.join(cmd)}\n{done.stderr[-3000:]}")
    return seconds, json.loads(done.stdout.strip().splitlines()[-1])


def sequential_vs_concurrent(opts: Options, delay_ms: float) -> list[Row]:
    """Part 2 against a server that waits ``delay_ms`` per answer: one row per tool."""
    rows: list[Row] = []
    with serve_in_subprocess(delay_ms=delay_ms) as (base_url, _pid):
        if not opts.skip_evalplus:
            python = evalplus_python(opts.evalplus_python, opts.work_dir)
            spec = BENCHES["humaneval+"]
            dataset = decompressed(opts.work_dir, opts.data_dir, spec)
            # A fresh output root: codegen resumes (skips every task) when its file exists.
            root = Path(tempfile.mkdtemp(prefix="evalplus-codegen-", dir=_scratch(opts)))
            env = os.environ | {
                spec.override_env: str(dataset),
                "XDG_CACHE_HOME": str(_scratch(opts) / "xdg"),
                "OPENAI_API_KEY": "none",
            }
            process, doc = _process([str(python), "-c", _EVALPLUS_DRIVER, base_url, str(root)], env)
            written = len(Path(doc["path"]).read_text().splitlines())
            shutil.rmtree(root)
            rows.append(
                Row(
                    "EvalPlus codegen (sequential)", delay_ms, process, doc["generation_s"], written
                )
            )
        for concurrency in (opts.concurrency, 1):
            cmd = [sys.executable, __file__, "--child-run", base_url, "--concurrency"]
            cmd += [str(concurrency), "--data-dir", str(opts.data_dir)]
            cmd += ["--work-dir", str(opts.work_dir), "--max-tokens", str(opts.max_tokens)]
            process, doc = _process(cmd, dict(os.environ))
            label = f"codejury Generator (c={concurrency})"
            rows.append(Row(label, delay_ms, process, doc["generation_s"], doc["samples"]))
    return rows


def print_table(opts: Options, sides: dict[str, list[Timing]], rows: list[Row]) -> None:
    """Everything measured, in one table."""
    b = sides[CODEJURY_SIDE]
    total = b[0].requests
    print(
        f"\n1. request rate: HumanEval+ {total // opts.n} tasks x n={opts.n} = {total} requests"
        f" per side, concurrency {opts.concurrency}, {opts.rounds} rounds (sides alternate)"
    )
    header = (
        f"{'side':<36} {'best req/s':>10} {'median req/s':>12} {'CPU ms/req':>10}"
        f" {'client CPU':>10} {'server CPU':>10}"
    )
    print(header)
    print("-" * len(header))
    for label, side in sides.items():
        rates = [t.rate for t in side]
        per_request = statistics.median(t.client_cpu / t.requests * 1e3 for t in side)
        seconds = sum(t.seconds for t in side)
        print(
            f"{label:<36} {max(rates):>10.0f} {statistics.median(rates):>12.0f}"
            f" {per_request:>10.2f} {sum(t.client_cpu for t in side) / seconds:>10.0%}"
            f" {sum(t.server_cpu for t in side) / seconds:>10.0%}"
        )
    for label, a in sides.items():
        if label == CODEJURY_SIDE:
            continue
        best = max(t.rate for t in b) / max(t.rate for t in a)
        median = statistics.median(t.rate for t in b) / statistics.median(t.rate for t in a)
        verdict = "meets" if best >= TARGET else "MISSES"
        print(
            f"ratio B / {label.split(' + ')[-1]}: best-of {best:.3f}, median {median:.3f}"
            f" ({verdict} the {TARGET:.0%} target)"
        )
    if not rows:
        return
    print("\n2. one greedy sample per HumanEval+ task (164 requests), same server")
    header = (
        f"{'tool':<36} {'server delay':>12} {'process s':>10} {'generation s':>12} {'samples':>8}"
    )
    print(header)
    print("-" * len(header))
    for r in rows:
        print(
            f"{r.tool:<36} {r.delay_ms:>9.0f} ms {r.process_s:>10.2f} {r.generation_s:>12.2f}"
            f" {r.samples:>8}"
        )
    for ep in (r for r in rows if r.tool.startswith("EvalPlus")):
        for r in rows:
            if r.delay_ms == ep.delay_ms and r is not ep:
                print(
                    f"delay {ep.delay_ms:.0f} ms, EvalPlus / {r.tool}:"
                    f" process {ep.process_s / r.process_s:.2f}x,"
                    f" generation {ep.generation_s / r.generation_s:.2f}x"
                )


def parse_args(argv: Sequence[str] | None = None) -> tuple[Options, str | None]:
    """Options, and the server URL when this is a ``--child-run`` process."""
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--n", type=int, default=10, help="samples per task in part 1 (default 10)")
    p.add_argument("--concurrency", type=int, default=64, help="requests in flight (64)")
    p.add_argument("--rounds", type=int, default=5, help="A/B rounds in part 1 (default 5)")
    p.add_argument("--temperature", type=float, default=0.8, help="part 1 temperature (0.8)")
    p.add_argument("--max-tokens", type=int, default=512, help="max_tokens sent (512)")
    p.add_argument("--data-dir", type=Path, default=ROOT.parent / "shared" / "data")
    p.add_argument(
        "--work-dir",
        type=Path,
        default=Path(tempfile.gettempdir()) / "codejury-bench-evalplus",
        help="EvalPlus venv, dataset copy and stores (shared with score_vs_evalplus.py)",
    )
    p.add_argument("--evalplus-python", type=Path, default=None)
    p.add_argument("--skip-evalplus", action="store_true", help="skip EvalPlus in part 2")
    p.add_argument(
        "--delay-ms",
        type=float,
        default=50.0,
        help="part 2 again with the server waiting this long per answer (0: skip; default 50)",
    )
    p.add_argument("--child-run", default=None, help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.temperature <= 0:
        p.error("--temperature must be positive: every sample must be a distinct request")
    work: Path = args.work_dir
    work.mkdir(parents=True, exist_ok=True)
    opts = Options(
        n=args.n,
        concurrency=args.concurrency,
        rounds=args.rounds,
        temperature=args.temperature,
        max_tokens=args.max_tokens,
        data_dir=args.data_dir,
        work_dir=work,
        evalplus_python=args.evalplus_python,
        skip_evalplus=args.skip_evalplus,
        delay_ms=args.delay_ms,
    )
    return opts, args.child_run


def main(argv: Sequence[str] | None = None) -> int:
    """Run both parts and print the table."""
    opts, child = parse_args(argv)
    if child is not None:
        _child_run(child, opts)
        return 0
    bench = load_benchmark("humaneval+", opts.data_dir)
    print(f"work dir {opts.work_dir}; python {sys.version.split()[0]}", flush=True)
    sides = rate_rounds(bench, opts)
    rows = sequential_vs_concurrent(opts, 0.0)
    if opts.delay_ms > 0:
        rows += sequential_vs_concurrent(opts, opts.delay_ms)
    print_table(opts, sides, rows)
    return 0


if __name__ == "__main__":
    sys.exit(main())

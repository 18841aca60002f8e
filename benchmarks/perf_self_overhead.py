"""How much of a perf measurement is codejury itself? Against a server with a fixed 50 ms.

Usage::

    python benchmarks/perf_self_overhead.py [--duration 5] [--warmup 1] [--sdk] [--json FILE]

A local OpenAI-compatible server (``tests/perf/fake_llm_server.py``) answers every streamed
request after exactly 50 ms (an ``asyncio.sleep``), whatever the load. A perfect client would
therefore measure a p50 latency of 50 ms and, at concurrency 64, 64 / 0.05 = 1280 requests/s.
codejury's perf (:func:`codejury.perf.measure_model`, the path ``codejury perf`` takes, with a
``llamacpp`` model whose ``base_url`` points at the server) runs at concurrency 1 and 64 in
one run; the script prints the measured p50 against 50 ms and the throughput at 64 against
1280 as ratios, with the targets (p50 within 5 %, throughput within 10 %), and codejury's CPU
time per request.

The server runs in its **own process** (started here, killed at the end), so it has its own
interpreter, event loop and GIL: its work neither delays the client's event loop nor shows
up in the client's CPU time (``time.process_time`` of this process). Neither process is
pinned to a core, since on a shared machine a pinned core may be the busy one. ``--sdk``
measures through the OpenAI SDK adapter instead of codejury's lean client, for comparison.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import time
from pathlib import Path

from codejury.perf import PerfProgress, PerfResult, PerfSpec, measure_model, synthetic_requests
from codejury.providers import registry  # imported up front: its import is not a request's cost

REPO = Path(__file__).resolve().parents[1]
SERVER = REPO / "tests" / "perf" / "fake_llm_server.py"
DELAY_S = 0.050
HIGH = 64
IDEAL_RPS = HIGH / DELAY_S
P50_TOLERANCE = 0.05
THROUGHPUT_TOLERANCE = 0.10


def start_server() -> tuple[subprocess.Popen[str], str]:
    """The fixed-latency server in a child process, and its API root."""
    command = [sys.executable, str(SERVER), "--ttft", str(DELAY_S), "--tokens", "4"]
    child = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    assert child.stdout is not None
    line = child.stdout.readline().split()
    if len(line) != 2 or line[0] != "PORT":
        child.kill()
        raise SystemExit(f"the server did not start: {line}")
    return child, f"http://127.0.0.1:{line[1]}/v1"


def cpu_seconds(pid: int) -> float | None:
    """User + system CPU seconds of a process, from /proc (Linux); ``None`` elsewhere."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return None


async def measure(url: str, level: int, opts: argparse.Namespace) -> tuple[PerfResult, float]:
    """One level through codejury's perf; returns the result and client CPU s per request."""
    models: dict[str, dict[str, object]] = {
        "fixed50": {"provider": "llamacpp", "model": "fake", "base_url": url}
    }
    spec = PerfSpec(
        requests=synthetic_requests([64] * 16, max_tokens=16),
        concurrency=(level,),
        duration_s=opts.duration,
        warmup_s=opts.warmup,
    )
    marks: list[float] = []

    def mark(event: PerfProgress) -> None:
        # CPU from the level's first event to its last: the requests, not the client's set-up.
        if not marks or event.phase == "done":
            marks.append(time.process_time())

    result = await measure_model("fixed50", models, spec, progress=mark, lean=not opts.sdk)
    stats = result.levels[0]
    sent = stats.requests + stats.warmup_excluded
    return result, (marks[-1] - marks[0]) / max(1, sent)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=float, default=5.0, help="seconds per level")
    parser.add_argument("--warmup", type=float, default=1.0, help="warm-up seconds per level")
    parser.add_argument("--sdk", action="store_true", help="use the OpenAI SDK adapter")
    parser.add_argument("--json", type=Path, help="also write both results here")
    opts = parser.parse_args()
    registry.builtin_factories()
    server, url = start_server()
    try:
        low, low_cpu = asyncio.run(measure(url, 1, opts))
        high, high_cpu = asyncio.run(measure(url, HIGH, opts))
        server_cpu = cpu_seconds(server.pid)
    finally:
        server.kill()
        server.wait()
    one, many = low.levels[0], high.levels[0]
    if one.latency is None or many.latency is None or one.errors or many.errors:
        print(f"requests failed: {one.error_kinds} {many.error_kinds}")
        return 1
    p50_ratio = one.latency.p50 / DELAY_S
    rps_ratio = many.requests_per_s / IDEAL_RPS
    p50_ok = abs(p50_ratio - 1) <= P50_TOLERANCE
    rps_ok = abs(rps_ratio - 1) <= THROUGHPUT_TOLERANCE
    print(f"client: {high.client}: {high.notes[0]}")
    print(
        f"server: separate process (pid {server.pid}), every answer after {DELAY_S * 1000:.0f} ms"
    )
    print(
        f"p50 latency at concurrency 1: {one.latency.p50 * 1000:.2f} ms vs {DELAY_S * 1000:.0f} ms"
        f" = {p50_ratio:.3f}  (target within {P50_TOLERANCE:.0%})  {'PASS' if p50_ok else 'FAIL'}"
    )
    print(
        f"throughput at concurrency {HIGH}: {many.requests_per_s:.0f} req/s vs ideal "
        f"{IDEAL_RPS:.0f} = {rps_ratio:.3f}  (target within {THROUGHPUT_TOLERANCE:.0%})  "
        f"{'PASS' if rps_ok else 'FAIL'}"
    )
    print(
        f"also: p50 at concurrency {HIGH} {many.latency.p50 * 1000:.2f} ms "
        f"(p99 {many.latency.p99 * 1000:.2f} ms); client CPU per request "
        f"{low_cpu * 1e6:.0f} us at 1, {high_cpu * 1e6:.0f} us at {HIGH} "
        f"(one core's budget at {IDEAL_RPS:.0f} req/s: {1e6 / IDEAL_RPS:.0f} us)"
    )
    if server_cpu is not None:
        sent = sum(lv.requests + lv.warmup_excluded for lv in (one, many))
        print(f"server CPU per request: {server_cpu / sent * 1e6:.0f} us (its own process)")
    if opts.json:
        opts.json.write_text(json.dumps([low.as_dict(), high.as_dict()], indent=2))
    return 0 if p50_ok and rps_ok else 1


if __name__ == "__main__":
    raise SystemExit(main())

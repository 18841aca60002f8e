"""`codejury perf` end to end: fake servers with a scripted speed (a fast one and a deliberately
slow one that serves two requests at a time), the real llama.cpp server on the bundled model,
and the in-process model. Every run is checked in the store, and the plot as XML."""

from __future__ import annotations

import json
import sys
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from codejury.cli import main
from codejury.store import Store

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "perf"))
from fake_llm_server import FakeLLMServer, Speed

pytestmark = pytest.mark.timeout(300)
SVG = "{http://www.w3.org/2000/svg}"


@dataclass
class Ran:
    code: int
    out: str
    err: str

    @property
    def json(self) -> dict[str, Any]:
        return dict(json.loads(self.out.strip().splitlines()[-1]))


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("CODEJURY_DB", str(tmp_path / "runs.db"))
    monkeypatch.setenv("COLUMNS", "1000")
    monkeypatch.delenv("CODEJURY_CONFIG", raising=False)
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.fixture
def serve() -> Iterator[Callable[..., FakeLLMServer]]:
    started: list[FakeLLMServer] = []

    def start(**speed: Any) -> FakeLLMServer:
        server = FakeLLMServer(Speed(**speed)).start_in_thread()
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()


def run(capsys: pytest.CaptureFixture[str], *args: str) -> Ran:
    code = main(list(args))
    captured = capsys.readouterr()
    return Ran(code, captured.out, captured.err)


def configure(where: Path, url: str, name: str = "served") -> None:
    (where / "codejury.toml").write_text(
        f'[models.{name}]\nprovider = "llamacpp"\nmodel = "smollm2"\nbase_url = "{url}"\n',
        encoding="utf-8",
    )


def stored(run_id: str) -> Any:
    with Store.open() as store:
        return store.get_run(run_id)


def sent(levels: list[dict[str, Any]]) -> int:
    return sum(level["requests"] + level["warmup_excluded"] for level in levels)


def test_fast_server_no_saturation_json_stored_run_and_plot(
    env: Path, serve: Callable[..., FakeLLMServer], capsys: pytest.CaptureFixture[str]
) -> None:
    server = serve(ttft_s=0.1, tokens=4)  # no capacity limit: throughput doubles with load
    configure(env, server.url, "fast")
    ran = run(
        capsys,
        *("perf", "--model", "fast", "--concurrency", "1,2,4", "--duration", "20s"),
        *("--requests-per-level", "24", "--warmup", "100ms", "--prompts", "synthetic:30/4"),
        *("--min-growth", "0.25", "--plot", "charts/perf.svg", "--json"),
    )
    assert ran.code == 0, ran.err
    result = ran.json
    levels = result["levels"]
    assert [lv["concurrency"] for lv in levels] == [1, 2, 4]
    assert all(lv["errors"] == 0 and lv["requests"] >= 24 for lv in levels)
    rates = [lv["requests_per_s"] for lv in levels]
    assert rates[0] == pytest.approx(10, rel=0.25)  # one request per 100 ms
    assert rates[1] > 1.5 * rates[0] and rates[2] > 1.5 * rates[1]
    assert all(
        lv["output_tokens_per_s"] == pytest.approx(4 * lv["requests_per_s"]) for lv in levels
    )
    assert result["saturation"] is None
    assert result["client"] == "LeanOpenAIClient"
    assert server.requests == sent(levels)  # every request reached the server: no cache
    assert result["spec"]["prompts"] == 64 and result["spec"]["warmup_s"] == pytest.approx(0.1)
    # The run is in the store with the same figures and the chart.
    record = stored(result["run_id"])
    assert (record.kind, record.status) == ("perf", "finished")
    assert record.spec["model"] == "fast" and record.spec["prompt_source"] == "synthetic:30/4"
    assert record.summary["levels"] == levels
    svg = (env / "charts" / "perf.svg").read_text(encoding="utf-8")
    assert record.summary["plot_svg"] == svg
    root = ET.fromstring(svg)
    assert root.tag == f"{SVG}svg"
    labels = [t.text for t in root.iter(f"{SVG}text")]
    assert {"1", "2", "4"} <= set(labels)
    assert not any("saturated" in (text or "") for text in labels)


def test_slow_server_saturation_detected_reported_and_plotted(
    env: Path, serve: Callable[..., FakeLLMServer], capsys: pytest.CaptureFixture[str]
) -> None:
    # Deliberately slow: 50 ms per answer and at most 2 answers at once, the rest queue. Its
    # throughput tops out at 40 requests/s at concurrency 2; at 8 it stays flat while queued
    # requests wait ~200 ms, past the 120 ms p95 target. (25 % growth threshold: a stall of
    # this process on a busy machine cannot pass for growth.)
    server = serve(ttft_s=0.05, capacity=2)
    configure(env, server.url, "slow")
    ran = run(
        capsys,
        *("perf", "-m", "slow", "--concurrency", "1,2,8", "--duration", "1.5s"),
        *("--warmup", "0.3", "--prompts", "synthetic:30/4", "--p95-target", "120ms"),
        *("--min-growth", "0.25", "--plot", "slow.svg"),
    )
    assert ran.code == 0, ran.err
    assert server.max_in_service == 2
    out = ran.out
    assert "saturated at concurrency 8" in out
    assert "> target 120.0 ms" in out and "throughput" in out
    assert "highest concurrency worth running: 2" in out
    assert "at the p95 target: concurrency 2" in out
    run_id = out.strip().splitlines()[-1].split()[1]
    record = stored(run_id)
    assert record.status == "finished"
    saturation = record.summary["saturation"]
    assert (saturation["concurrency"], saturation["last_good"]) == (8, 2)
    assert saturation["rules"] == ["p95_latency", "throughput"]
    eight = record.summary["levels"][2]
    assert eight["latency"]["p50_s"] > 0.15  # queued behind six others
    root = ET.fromstring((env / "slow.svg").read_text(encoding="utf-8"))
    texts = " ".join(t.text or "" for t in root.iter(f"{SVG}text"))
    assert "saturated: p95_latency, throughput" in texts and "p95 target 120 ms" in texts


def test_stop_at_saturation_skips_higher_levels(
    env: Path, serve: Callable[..., FakeLLMServer], capsys: pytest.CaptureFixture[str]
) -> None:
    server = serve(ttft_s=0.03, capacity=1)  # serialised: more concurrency gains nothing
    configure(env, server.url, "serial")
    ran = run(
        capsys,
        *("perf", "-m", "serial", "--concurrency", "1,2,4,8", "--duration", "0.8s"),
        *("--warmup", "0.1s", "--prompts", "synthetic:10/2", "--min-growth", "0.4"),
        *("--stop-at-saturation", "--json"),
    )
    assert ran.code == 0, ran.err
    result = ran.json
    assert [lv["concurrency"] for lv in result["levels"]] == [1, 2]
    assert result["saturation"]["rules"] == ["throughput"]
    assert server.requests == sent(result["levels"])


@pytest.mark.parametrize(
    ("flags", "named"),
    [
        (("--duration", "soon"), "--duration"),
        (("--duration", "0s"), "--duration"),
        (("--warmup", "1 minute"), "--warmup"),
        (("--p95-target", "2 weeks"), "--p95-target"),
        (("--concurrency", "4,2"), "--concurrency"),
        (("--concurrency", "1,two"), "--concurrency"),
        (("--prompts", "synthetic:big/4"), "--prompts"),
        (("--prompts", "gsm8k"), "--prompts"),
    ],
)
def test_bad_flags_are_config_errors_naming_the_flag(
    env: Path, capsys: pytest.CaptureFixture[str], flags: tuple[str, str], named: str
) -> None:
    base = ["perf", "-m", "mock/x", "--prompts", "synthetic:10/2", "--requests-per-level", "1"]
    ran = run(capsys, *base, *flags)
    assert ran.code == 2
    assert f"error: {named}:" in ran.err
    with Store.open() as store:
        assert store.list_runs(kind="perf") == []  # nothing measured, nothing stored


def test_real_llama_cpp_server(
    env: Path, llama_server: str, shared_data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    configure(env, llama_server)
    ran = run(
        capsys,
        *("perf", "-m", "served", "--concurrency", "1,2", "--requests-per-level", "3"),
        *("--duration", "120s", "--warmup", "0", "--max-tokens", "16"),
        *("--prompts", "humaneval+", "--data-dir", str(shared_data_dir), "--json"),
    )
    assert ran.code == 0, ran.err
    result = ran.json
    assert result["client"] == "LeanOpenAIClient"
    assert result["spec"]["prompts"] == 164 and result["spec"]["max_tokens"] == 16
    for level in result["levels"]:
        # The server queues concurrent requests instead of cutting answers short.
        assert level["requests"] >= 3 and level["errors"] == 0
        assert level["ttft"]["p50_s"] <= level["latency"]["p50_s"]
        assert level["requests_per_s"] > 0
    record = stored(result["run_id"])
    assert record.kind == "perf" and record.benchmark == "humaneval+"
    assert record.summary["levels"] == result["levels"]


def test_in_process_local_model(env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    pytest.importorskip("llama_cpp", reason="llama-cpp-python is not installed")
    ran = run(
        capsys,
        *("perf", "-m", "local/smollm2", "--concurrency", "1,2", "--requests-per-level", "3"),
        *("--duration", "120s", "--warmup", "0", "--max-tokens", "16"),
        *("--prompts", "synthetic:64/200", "--json"),
    )
    assert ran.code == 0, ran.err
    result = ran.json
    assert (result["provider"], result["client"]) == ("local", "LlamaCppProvider")
    for level in result["levels"]:
        assert level["requests"] >= 3 and level["errors"] == 0
        tokens = level["output_tokens_per_s"]
        assert tokens is not None and tokens > 0
        # --max-tokens 16 overrides the profile's 200: no answer is longer.
        assert 0 < tokens / level["requests_per_s"] <= 16
    assert stored(result["run_id"]).status == "finished"

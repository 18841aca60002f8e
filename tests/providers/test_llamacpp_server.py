"""The in-process model and ``python -m llama_cpp.server`` give the same answers.

A real llama-cpp-python server is started on the bundled GGUF with the in-process provider's
load settings, and both answer EvalPlus instruct prompts greedily. They share llama.cpp and
the chat template, so any difference would be a setting one of them applies and the other
does not; the one found is the server's default ``repeat_penalty`` of 1.1 (the in-process
provider samples without penalties, like hosted APIs), so the server is sent 1.0, as any
codejury.toml pointing at such a server should.
"""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from pathlib import Path

import httpx
import pytest

pytest.importorskip("llama_cpp.server.app", reason="llama-cpp-python[server] is not installed")

from codejury.cli import main
from codejury.providers.llamacpp import bundled_model_path, default_threads
from codejury.store import Store

TASKS = ("HumanEval/0", "HumanEval/2", "HumanEval/4", "HumanEval/7", "HumanEval/12")
# The load settings both sides use.
SETTINGS: Mapping[str, int] = {
    "n_ctx": 4096,
    "n_threads": default_threads(),
    "n_batch": 512,
    "seed": 1234,
}
STARTUP_TIMEOUT_S = 120.0


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="session")
def llama_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A running ``llama_cpp.server`` on the bundled model; yields its API root."""
    port = _free_port()
    log_path = tmp_path_factory.mktemp("llama-server") / "server.log"
    threads = str(SETTINGS["n_threads"])
    command = [
        sys.executable, "-m", "llama_cpp.server",
        "--model", str(bundled_model_path("smollm2")),
        "--host", "127.0.0.1", "--port", str(port),
        "--n_ctx", str(SETTINGS["n_ctx"]),
        "--n_threads", threads, "--n_threads_batch", threads,
        "--n_batch", str(SETTINGS["n_batch"]), "--n_ubatch", str(SETTINGS["n_batch"]),
        "--seed", str(SETTINGS["seed"]),
    ]  # fmt: skip
    # A file, not a pipe: a verbose server would block once a pipe nobody reads fills up.
    with log_path.open("wb") as log:
        server = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_until_up(server, url, log_path)
        yield f"{url}/v1"
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


def _wait_until_up(server: subprocess.Popen[bytes], url: str, log_path: Path) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    while time.monotonic() < deadline:
        if server.poll() is not None:
            pytest.fail(f"llama_cpp.server exited with {server.returncode}:\n{_tail(log_path)}")
        try:
            if httpx.get(f"{url}/v1/models", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    pytest.fail(f"llama_cpp.server not up after {STARTUP_TIMEOUT_S:g} s:\n{_tail(log_path)}")


def _tail(path: Path, limit: int = 4000) -> str:
    return path.read_text(errors="replace")[-limit:]


def _eval(capsys: pytest.CaptureFixture[str], model: str, data: Path) -> dict[str, object]:
    args = ["-m", model, "--tasks", ",".join(TASKS), "--max-tokens", "256"]
    code = main(["eval", *args, "--data-dir", str(data), "--json"])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    return dict(json.loads(captured.out.strip().splitlines()[-1]))


def test_eval_through_the_server_gives_the_in_process_answers(
    llama_server: str,
    shared_data_dir: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    # One config, two models: the OpenAI-compatible provider against the real server, and
    # the in-process provider with the same load settings.
    (tmp_path / "codejury.toml").write_text(
        f"""
[models.served]
provider = "llamacpp"
model = "smollm2"
base_url = "{llama_server}"
params = {{ repeat_penalty = 1.0 }}
# llama-cpp-python's server interrupts a streaming answer when the next request arrives.
concurrency = 1

[models.inproc]
provider = "local"
model = "smollm2"
n_ctx = {SETTINGS["n_ctx"]}
n_threads = {SETTINGS["n_threads"]}
n_batch = {SETTINGS["n_batch"]}
seed = {SETTINGS["seed"]}
""",
        encoding="utf-8",
    )
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("CODEJURY_CONFIG", raising=False)
    monkeypatch.setenv("CODEJURY_DB", str(tmp_path / "runs.db"))
    monkeypatch.setenv("CODEJURY_CACHE_DIR", str(tmp_path / "cache"))
    remote = _eval(capsys, "served", shared_data_dir)
    local = _eval(capsys, "inproc", shared_data_dir)
    with Store.open() as store:
        served = store.generations.of_run(str(remote["run_id"]))
        inproc = store.generations.of_run(str(local["run_id"]))
        remote_verdicts = [
            (v.task_id, v.part, v.status) for v in store.run_verdicts(str(remote["run_id"]))
        ]
        local_verdicts = [
            (v.task_id, v.part, v.status) for v in store.run_verdicts(str(local["run_id"]))
        ]
    assert [g.task_id for g in served] == [g.task_id for g in inproc] == sorted(TASKS)
    assert [g.raw_text for g in inproc] == [g.raw_text for g in served]
    assert [g.finish_reason for g in inproc] == [g.finish_reason for g in served]
    assert all(g.raw_text.strip() for g in inproc)
    assert local_verdicts == remote_verdicts
    assert local["pass_at_k"] == remote["pass_at_k"]

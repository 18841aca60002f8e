"""Fixtures shared by the whole test suite."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from pathlib import Path

import httpx
import pytest

from codejury.providers.llamacpp import bundled_model_path, default_threads

LLAMA_SERVER_SETTINGS: Mapping[str, int] = {
    "n_ctx": 4096,
    "n_threads": default_threads(),
    "n_batch": 512,
    "seed": 1234,
}
"""How the ``llama_server`` fixture loads the bundled model (an in-process model given the
same settings answers the same)."""
LLAMA_SERVER_STARTUP_S = 120.0


@pytest.fixture(scope="session")
def shared_data_dir() -> Path:
    """The read-only benchmark files in ``shared/data`` beside the repository root.

    Tests read them in place and never copy them into the repository.
    """
    path = Path(__file__).resolve().parents[1].parent / "shared" / "data"
    if not path.is_dir():
        pytest.skip(f"shared benchmark data not found at {path}")
    return path


@pytest.fixture(scope="session")
def llama_models_toml(llama_server: str) -> str:
    """codejury.toml text defining ``served`` (the real server) and ``inproc`` (in-process).

    Both run the bundled model with the server's load settings, so at temperature 0 they
    must give the same answers.
    """
    s = LLAMA_SERVER_SETTINGS
    return f"""
[models.served]
provider = "llamacpp"
model = "smollm2"
base_url = "{llama_server}"
# The server's default repeat_penalty of 1.1 changes greedy answers; in-process applies none.
params = {{ repeat_penalty = 1.0 }}
# llama-cpp-python's server interrupts a streaming answer when the next request arrives.
concurrency = 1

[models.inproc]
provider = "local"
model = "smollm2"
n_ctx = {s["n_ctx"]}
n_threads = {s["n_threads"]}
n_batch = {s["n_batch"]}
seed = {s["seed"]}
"""


@pytest.fixture(scope="session")
def llama_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real ``python -m llama_cpp.server`` on the bundled model; yields its API root (``/v1``).

    Started once per session, on a free port, with :data:`LLAMA_SERVER_SETTINGS`. Requests
    are queued, not interrupted (``--interrupt_requests False``): by default that server cuts
    a streaming answer short when the next request arrives, which would make every concurrent
    request but the last fail. Skips the test when llama-cpp-python[server] is missing.
    """
    pytest.importorskip("llama_cpp.server.app", reason="llama-cpp-python[server] is not installed")
    port = _free_port()
    log_path = tmp_path_factory.mktemp("llama-server") / "server.log"
    threads = str(LLAMA_SERVER_SETTINGS["n_threads"])
    batch = str(LLAMA_SERVER_SETTINGS["n_batch"])
    command = [
        sys.executable, "-m", "llama_cpp.server",
        "--model", str(bundled_model_path("smollm2")),
        "--host", "127.0.0.1", "--port", str(port),
        "--n_ctx", str(LLAMA_SERVER_SETTINGS["n_ctx"]),
        "--n_threads", threads, "--n_threads_batch", threads,
        "--n_batch", batch, "--n_ubatch", batch,
        "--seed", str(LLAMA_SERVER_SETTINGS["seed"]),
        "--interrupt_requests", "False",
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


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _wait_until_up(server: subprocess.Popen[bytes], url: str, log_path: Path) -> None:
    deadline = time.monotonic() + LLAMA_SERVER_STARTUP_S
    while time.monotonic() < deadline:
        if server.poll() is not None:
            pytest.fail(f"llama_cpp.server exited with {server.returncode}:\n{_tail(log_path)}")
        try:
            if httpx.get(f"{url}/v1/models", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    pytest.fail(f"llama_cpp.server not up after {LLAMA_SERVER_STARTUP_S:g} s:\n{_tail(log_path)}")


def _tail(path: Path, limit: int = 4000) -> str:
    return path.read_text(errors="replace")[-limit:]

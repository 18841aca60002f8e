"""Fixtures for the perf tests: fast fake LLM servers on 127.0.0.1, started and stopped here."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fake_llm_server import FakeLLMServer, Serve, Speed


@pytest.fixture
def serve() -> Iterator[Serve]:
    """``serve(ttft_s=..., capacity=...)`` starts a server with that :class:`Speed`."""
    started: list[FakeLLMServer] = []

    def start(**speed: float | int | None) -> FakeLLMServer:
        server = FakeLLMServer(Speed(**speed), record=True).start_in_thread()  # type: ignore[arg-type]
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()

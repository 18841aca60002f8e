"""Fixtures for the provider tests: a fake HTTP server, a recording sleep, a clean environment."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from provider_fakes import FakeServer, RecordingSleep, serving

KEY_VARIABLES = (
    "OPENAI_API_KEY",
    "ANTHROPIC_API_KEY",
    "DEEPSEEK_API_KEY",
    "GROQ_API_KEY",
    "TOGETHER_API_KEY",
    "OPENROUTER_API_KEY",
    "FIREWORKS_API_KEY",
    "MISTRAL_API_KEY",
)


@pytest.fixture(autouse=True)
def _no_real_keys(monkeypatch: pytest.MonkeyPatch) -> None:
    # A developer's real keys must never reach a test, nor change its outcome.
    for name in KEY_VARIABLES:
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def server() -> Iterator[FakeServer]:
    yield from serving()


@pytest.fixture
def sleep() -> RecordingSleep:
    return RecordingSleep()

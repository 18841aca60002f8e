"""The Anthropic provider against a local server speaking the streaming Messages API."""

from __future__ import annotations

import asyncio

import pytest
from provider_fakes import Events, FakeServer, RecordingSleep, Stall, Status, anthropic_events, sse

from codejury.errors import AuthError, BadResponseError, ConfigError, ProviderTimeoutError
from codejury.providers.anthropic import AnthropicProvider
from codejury.providers.base import Generation, GenerationRequest, Message, is_retryable
from codejury.providers.retry import RetryingProvider, RetryPolicy, no_jitter

CHAT = GenerationRequest(
    messages=(
        Message("system", "You write Python."),
        Message("user", "add two numbers"),
        Message("assistant", "Sure."),
        Message("system", "No prose."),
        Message("user", "go"),
    ),
    max_tokens=256,
    stop=("\nclass",),
)
OVERLOADED = {"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}}


def generate(
    server: FakeServer,
    request: GenerationRequest = CHAT,
    sleep: RecordingSleep | None = None,
    **kwargs: object,
) -> Generation:
    async def go() -> Generation:
        inner = AnthropicProvider("claude-test", base_url=server.url, **kwargs)  # type: ignore[arg-type]
        policy = RetryPolicy(attempts=4, jitter=no_jitter, sleep=sleep or RecordingSleep())
        provider = RetryingProvider(inner, policy=policy) if sleep else inner
        try:
            return await provider.generate(request)
        finally:
            await provider.aclose()

    return asyncio.run(go())


def test_stream_records_text_thinking_usage_and_ids(
    server: FakeServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-test")
    server.queue(Events(anthropic_events(thinking=("Add ", "them."))))
    result = generate(server)

    assert result.text == "def add(a, b):\n    return a + b\n"
    assert result.reasoning == "Add them."
    assert (result.finish_reason, result.truncated) == ("end_turn", False)
    assert (result.input_tokens, result.output_tokens) == (21, 9)
    assert (result.response_id, result.model_id) == ("msg_fake", "claude-fake-20250101")
    assert result.ttft_s is not None and 0 < result.ttft_s <= result.latency_s

    [sent] = server.requests
    assert sent.path == "/v1/messages"
    assert "sk-ant-test" in (
        sent.headers.get("x-api-key", "") + sent.headers.get("authorization", "")
    )
    # System messages become Anthropic's top-level system prompt, joined in order.
    assert sent.body["system"] == "You write Python.\n\nNo prose."
    assert [m["role"] for m in sent.body["messages"]] == ["user", "assistant", "user"]
    assert sent.body["stream"] is True
    assert (sent.body["max_tokens"], sent.body["stop_sequences"]) == (256, ["\nclass"])
    assert sent.body["temperature"] == 0.0 and "top_p" not in sent.body


def test_max_tokens_stop_is_flagged_as_truncated(server: FakeServer) -> None:
    server.queue(Events(anthropic_events(stop_reason="max_tokens")))
    result = generate(server, api_key="k")
    assert (result.finish_reason, result.truncated) == ("max_tokens", True)


def test_529_overloaded_is_retried_with_backoff(server: FakeServer) -> None:
    server.queue(Status(529, OVERLOADED), Status(529, OVERLOADED, {"retry-after": "3"}))
    sleep = RecordingSleep()
    result = generate(server, sleep=sleep, api_key="k")
    assert result.text.startswith("def add")
    assert sleep.delays == [0.5, 3.0]
    assert server.count == 3


def test_overload_event_inside_a_200_stream_is_retryable(server: FakeServer) -> None:
    events = anthropic_events()
    server.queue(Events([*events[:3], sse(OVERLOADED, "error")]))
    with pytest.raises(BadResponseError, match=r"HTTP 529.*Overloaded") as caught:
        generate(server, api_key="k")
    assert is_retryable(caught.value)

    server.queue(Events([*events[:3], sse(OVERLOADED, "error")]))
    sleep = RecordingSleep()
    assert generate(server, sleep=sleep, api_key="k").text == "def add(a, b):\n    return a + b\n"
    assert len(sleep.delays) == 1


def test_401_fails_fast(server: FakeServer) -> None:
    error = {
        "type": "error",
        "error": {"type": "authentication_error", "message": "invalid x-api-key"},
    }
    server.queue(Status(401, error))
    with pytest.raises(AuthError, match="invalid x-api-key") as caught:
        generate(server, sleep=RecordingSleep(), api_key="k", api_key_env="ANTHROPIC_API_KEY")
    assert server.count == 1
    assert "ANTHROPIC_API_KEY" in str(caught.value)


def test_cut_off_stream_is_a_retryable_bad_response(server: FakeServer) -> None:
    server.queue(Events(anthropic_events()[:4], cut=True))
    with pytest.raises(BadResponseError, match="cut off mid-answer") as caught:
        generate(server, api_key="k")
    assert is_retryable(caught.value)


def test_stream_without_message_stop_is_incomplete(server: FakeServer) -> None:
    server.queue(Events(anthropic_events(stop=False)))
    with pytest.raises(BadResponseError, match="ended before the answer"):
        generate(server, api_key="k")


def test_stall_is_a_timeout(server: FakeServer) -> None:
    server.queue(Stall(5.0))
    request = GenerationRequest(messages=(Message("user", "hi"),), timeout_s=0.3)
    with pytest.raises(ProviderTimeoutError):
        generate(server, request, api_key="k")


def test_missing_key_fails_before_any_request() -> None:
    with pytest.raises(AuthError, match="ANTHROPIC_API_KEY"):
        AnthropicProvider("claude-3-5-haiku-latest")


def test_completion_prompt_is_refused_with_advice(server: FakeServer) -> None:
    with pytest.raises(ConfigError, match="no completion endpoint"):
        generate(server, GenerationRequest(prompt="def f():"), api_key="k")
    assert server.count == 0

"""The lean HTTP client against the SDK adapter: same requests, same answers, same errors."""

from __future__ import annotations

import asyncio
import socket
import time
from collections.abc import Awaitable, Callable
from typing import TypeVar

import pytest
from fake_llm_server import FAIL_MARKER, FakeLLMServer, Serve

from codejury.errors import BadResponseError, ProviderError, ProviderTimeoutError
from codejury.perf_client import LeanOpenAIClient, WireSettings, lean_client_for, proxy_for
from codejury.providers.base import (
    Generation,
    GenerationRequest,
    Message,
    Provider,
    ProviderCallError,
    is_retryable,
)
from codejury.providers.openai_compat import OpenAICompatProvider
from codejury.providers.registry import ProviderRegistry, resolve

T = TypeVar("T")
CHAT = GenerationRequest(
    messages=(Message("system", "Be terse."), Message("user", "add")),
    max_tokens=16,
    temperature=0.2,
    top_p=0.9,
    seed=7,
    stop=("\n\n",),
)
COMPLETION = GenerationRequest(prompt="def add(a, b):", max_tokens=2)


def run(provider: Provider, action: Callable[[Provider], Awaitable[T]]) -> T:
    async def go() -> T:
        try:
            return await action(provider)
        finally:
            await provider.aclose()

    return asyncio.run(go())


def generate(provider: Provider, request: GenerationRequest) -> Generation:
    return run(provider, lambda p: p.generate(request))


def pair(server: FakeLLMServer, **options: object) -> tuple[Provider, Provider]:
    """The SDK adapter the registry builds for a llamacpp model, and its lean replacement."""
    models = {"m": {"provider": "llamacpp", "model": "fake", "base_url": server.url, **options}}

    async def build() -> tuple[Provider, Provider]:
        config = resolve("m", models)
        registry = ProviderRegistry()
        sdk = registry.create(config)
        lean, note = await lean_client_for(registry.create(config), "llamacpp", config.options)
        assert "lean" in note
        return sdk, lean

    return asyncio.run(build())


@pytest.mark.parametrize("request_", [CHAT, COMPLETION], ids=["chat", "completion"])
def test_same_request_and_same_generation_as_the_sdk(
    serve: Serve, request_: GenerationRequest
) -> None:
    server = serve(ttft_s=0.01, tokens=3)
    options = {
        "api_key": "sk-local",
        "headers": {"X-Team": "perf"},
        "params": {"top_k": 20},
        "max_tokens_param": "max_completion_tokens",
    }
    sdk, lean = pair(server, **options)
    from_sdk = generate(sdk, request_)
    from_lean = generate(lean, request_)
    (sdk_path, sdk_headers, sdk_body), (lean_path, lean_headers, lean_body) = server.seen
    assert lean_path == sdk_path
    assert lean_body == sdk_body  # model, messages/prompt, limits, sampling, params, usage
    assert sdk_body["top_k"] == 20 and sdk_body["stream"] is True
    for header in ("authorization", "x-team", "content-type"):
        assert lean_headers[header] == sdk_headers[header]
    assert lean_headers["authorization"] == "Bearer sk-local"
    for name in ("text", "reasoning", "finish_reason", "truncated", "input_tokens"):
        assert getattr(from_lean, name) == getattr(from_sdk, name), name
    for name in ("output_tokens", "response_id", "model_id"):
        assert getattr(from_lean, name) == getattr(from_sdk, name), name
    assert from_lean.ttft_s is not None and 0.01 <= from_lean.ttft_s <= from_lean.latency_s


def test_truncation_and_streamed_tokens(serve: Serve) -> None:
    server = serve(ttft_s=0.02, token_gap_s=0.02, tokens=5)
    client = LeanOpenAIClient(WireSettings(server.url, "fake"))
    full = generate(client, CHAT)
    assert full.text == "tok0 tok1 tok2 tok3 tok4 "
    assert (full.finish_reason, full.truncated, full.output_tokens) == ("stop", False, 5)
    assert full.ttft_s is not None
    # TTFT is taken at the first token (20 ms), not at the end (4 gaps of 20 ms later).
    assert full.ttft_s >= 0.02
    assert full.latency_s - full.ttft_s >= 0.075
    client = LeanOpenAIClient(WireSettings(server.url, "fake"))
    cut = generate(client, COMPLETION)
    assert (cut.text, cut.finish_reason, cut.truncated) == ("tok0 tok1 ", "length", True)


def test_server_error_classified_like_the_sdk(serve: Serve) -> None:
    server = serve(ttft_s=0.0)
    failing = GenerationRequest(messages=(Message("user", FAIL_MARKER),))
    errors = []
    for provider in pair(server):
        with pytest.raises(BadResponseError) as caught:
            generate(provider, failing)
        errors.append(caught.value)
    sdk_error, lean_error = errors
    assert type(lean_error) is type(sdk_error)
    assert isinstance(lean_error, ProviderCallError) and isinstance(sdk_error, ProviderCallError)
    assert lean_error.status == sdk_error.status == 500
    assert "scripted failure" in lean_error.message
    assert is_retryable(lean_error)


def test_unreachable_server_is_a_retryable_error() -> None:
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    client = LeanOpenAIClient(WireSettings(f"http://127.0.0.1:{port}/v1", "fake"))
    with pytest.raises(ProviderError, match="could not reach") as caught:
        generate(client, CHAT)
    assert is_retryable(caught.value)


def test_timeout_bounds_the_whole_request(serve: Serve) -> None:
    server = serve(ttft_s=2.0)
    client = LeanOpenAIClient(WireSettings(server.url, "fake"))
    quick = GenerationRequest(messages=(Message("user", "hi"),), timeout_s=0.2)
    started = time.perf_counter()
    with pytest.raises(ProviderTimeoutError, match=r"within 0\.2 s"):
        generate(client, quick)
    assert time.perf_counter() - started < 1.0


def test_reuses_connections_and_recovers_when_the_server_closed_one(serve: Serve) -> None:
    server = serve(ttft_s=0.0)
    client = LeanOpenAIClient(WireSettings(server.url, "fake"))

    async def three(provider: Provider) -> list[Generation]:
        first = await provider.generate(CHAT)
        second = await provider.generate(CHAT)
        server.drop_connections()  # as a server closes idle keep-alive connections
        await asyncio.sleep(0.05)
        return [first, second, await provider.generate(CHAT)]

    answers = run(client, three)
    assert all(a.finish_reason == "stop" for a in answers)
    assert server.requests == 3  # the stale connection was noticed before a request was lost


def test_proxy_sends_perf_through_the_sdk(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HTTP_PROXY", "http://proxy.invalid:3128")
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    url = "http://models.invalid/v1"
    assert proxy_for(url) == "http://proxy.invalid:3128"
    sdk = OpenAICompatProvider("fake", base_url=url, api_key_env=None)

    async def choose() -> tuple[Provider, str]:
        return await lean_client_for(sdk, "vllm", {})

    chosen, note = asyncio.run(choose())
    assert chosen is sdk and "proxy" in note
    monkeypatch.setenv("NO_PROXY", "models.invalid")
    assert proxy_for(url) is None


def test_rejects_a_non_http_url() -> None:
    with pytest.raises(ValueError, match="http"):
        LeanOpenAIClient(WireSettings("unix:///tmp/socket", "fake"))

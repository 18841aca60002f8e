"""The OpenAI-compatible provider against a real local HTTP server, through the real SDK."""

from __future__ import annotations

import asyncio

import pytest
from provider_fakes import (
    Events,
    FakeServer,
    Json,
    Recorded,
    RecordingSleep,
    Stall,
    Status,
    openai_events,
    sse,
)

from codejury.errors import AuthError, BadResponseError, ProviderError, ProviderTimeoutError
from codejury.providers.base import (
    Generation,
    GenerationRequest,
    Message,
    ProviderCallError,
    is_retryable,
)
from codejury.providers.openai_compat import OpenAICompatProvider
from codejury.providers.retry import RetryEvent, RetryingProvider, RetryPolicy, no_jitter

CHAT = GenerationRequest(messages=(Message("system", "Be terse."), Message("user", "add")))


def provider(server: FakeServer, **kwargs: object) -> OpenAICompatProvider:
    return OpenAICompatProvider("fake-model", base_url=f"{server.url}/v1", **kwargs)  # type: ignore[arg-type]


def generate(server: FakeServer, request: GenerationRequest = CHAT, **kwargs: object) -> Generation:
    async def go() -> Generation:
        p = provider(server, **kwargs)
        try:
            return await p.generate(request)
        finally:
            await p.aclose()

    return asyncio.run(go())


def generate_with_retries(
    server: FakeServer,
    sleep: RecordingSleep,
    request: GenerationRequest = CHAT,
    attempts: int = 6,
    events: list[RetryEvent] | None = None,
) -> Generation:
    async def go() -> Generation:
        policy = RetryPolicy(attempts=attempts, jitter=no_jitter, sleep=sleep)
        wrapped = RetryingProvider(
            provider(server), policy=policy, on_retry=None if events is None else events.append
        )
        try:
            return await wrapped.generate(request)
        finally:
            await wrapped.aclose()

    return asyncio.run(go())


def error_body(message: str, code: str | None = None) -> dict[str, object]:
    return {"error": {"message": message, "type": "invalid_request_error", "code": code}}


# --- what a successful answer records ---------------------------------------------------------


def test_chat_stream_records_text_usage_timing_and_ids(
    server: FakeServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
    request = GenerationRequest(
        messages=CHAT.messages, max_tokens=64, temperature=0.2, top_p=0.9, seed=7, stop=("\nclass",)
    )
    result = generate(server, request)

    assert result.text == "def add(a, b):\n    return a + b\n"
    assert result.reasoning is None
    assert (result.finish_reason, result.truncated) == ("stop", False)
    assert (result.input_tokens, result.output_tokens) == (12, 7)
    assert result.ttft_s is not None and 0 < result.ttft_s <= result.latency_s
    assert (result.response_id, result.model_id) == ("resp-123", "fake-model-0613")
    assert result.system_fingerprint == "fp_fake"

    [sent] = server.requests
    assert sent.path == "/v1/chat/completions"
    assert sent.headers["authorization"] == "Bearer sk-test"
    assert sent.body["stream"] is True
    assert sent.body["stream_options"] == {"include_usage": True}
    assert sent.body["messages"] == [
        {"role": "system", "content": "Be terse."},
        {"role": "user", "content": "add"},
    ]
    expected = {"max_tokens": 64, "temperature": 0.2, "top_p": 0.9, "seed": 7, "stop": ["\nclass"]}
    assert {k: sent.body[k] for k in expected} == expected
    assert sent.headers["x-stainless-retry-count"] == "0"  # the SDK's own retries are off


def test_length_finish_is_flagged_as_truncated(server: FakeServer) -> None:
    server.queue(lambda r: Events(openai_events(r, finish="length")))
    result = generate(server, api_key="k")
    assert (result.finish_reason, result.truncated) == ("length", True)


def test_reasoning_content_is_kept_apart_from_the_answer(server: FakeServer) -> None:
    server.queue(lambda r: Events(openai_events(r, reasoning=("Think", "ing."), pieces=("42",))))
    result = generate(server, api_key="k")
    assert (result.text, result.reasoning) == ("42", "Thinking.")
    assert result.ttft_s is not None  # the first reasoning token counts as the first token


def test_completion_request_uses_the_completions_endpoint(server: FakeServer) -> None:
    result = generate(
        server, GenerationRequest(prompt="def add(a, b):\n", max_tokens=9), api_key="k"
    )
    [sent] = server.requests
    assert sent.path == "/v1/completions"
    assert (sent.body["prompt"], sent.body["max_tokens"]) == ("def add(a, b):\n", 9)
    assert result.text.endswith("return a + b\n")


def test_custom_headers_params_and_token_parameter_are_sent(server: FakeServer) -> None:
    generate(
        server,
        api_key="k",
        extra_headers={"HTTP-Referer": "https://example.org"},
        extra_params={"top_k": 20},
        max_tokens_param="max_completion_tokens",
    )
    [sent] = server.requests
    assert sent.headers["http-referer"] == "https://example.org"
    assert sent.body["top_k"] == 20
    assert sent.body["max_completion_tokens"] == 1024 and "max_tokens" not in sent.body


def test_server_that_ignores_stream_options_gives_no_token_counts(server: FakeServer) -> None:
    server.queue(lambda r: Events(openai_events(r, usage=None)))
    result = generate(server, api_key="k")
    assert (result.input_tokens, result.output_tokens) == (None, None)
    assert result.finish_reason == "stop"


def test_server_that_rejects_stream_options_is_asked_again_without(server: FakeServer) -> None:
    def picky(recorded: Recorded) -> Status | Events:
        if "stream_options" in recorded.body:
            return Status(400, error_body("Unrecognized request argument: stream_options"))
        return Events(openai_events(recorded))

    server.default = picky

    async def go() -> None:
        p = provider(server, api_key="k")
        try:
            assert (await p.generate(CHAT)).text
            assert (await p.generate(CHAT)).text
        finally:
            await p.aclose()

    asyncio.run(go())
    assert ["stream_options" in r.body for r in server.requests] == [True, False, False]


# --- retries, through the one retry loop ------------------------------------------------------


def test_429_waits_as_long_as_retry_after_says(server: FakeServer, sleep: RecordingSleep) -> None:
    server.queue(Status(429, error_body("Rate limit reached"), {"Retry-After": "7"}))
    events: list[RetryEvent] = []
    result = generate_with_retries(server, sleep, events=events)
    assert result.text
    assert sleep.delays == [7.0]
    assert server.count == 2
    assert [(e.attempt, e.delay) for e in events] == [(1, 7.0)]
    assert "Rate limit reached" in str(events[0].error)


def test_retry_after_ms_is_understood(server: FakeServer, sleep: RecordingSleep) -> None:
    server.queue(Status(429, error_body("slow down"), {"retry-after-ms": "1500"}))
    generate_with_retries(server, sleep)
    assert sleep.delays == [1.5]


def test_5xx_backs_off_exponentially_then_succeeds(
    server: FakeServer, sleep: RecordingSleep
) -> None:
    server.queue(
        Status(500, error_body("internal")),
        Status(502, {"error": "bad gateway"}),
        Status(503, error_body("unavailable"), {"Retry-After": "0"}),
    )
    result = generate_with_retries(server, sleep)
    assert result.text == "def add(a, b):\n    return a + b\n"  # one answer, not a concatenation
    assert sleep.delays == [0.5, 1.0, 2.0]
    assert server.count == 4


def test_persistent_5xx_gives_up_after_the_attempt_budget(
    server: FakeServer, sleep: RecordingSleep
) -> None:
    server.default = lambda r: Status(503, error_body("overloaded"))
    with pytest.raises(BadResponseError, match=r"overloaded \(gave up after 3 attempts\)"):
        generate_with_retries(server, sleep, attempts=3)
    assert server.count == 3
    assert sleep.delays == [0.5, 1.0]


@pytest.mark.parametrize(
    ("status", "error_type", "words"),
    [
        (401, AuthError, "refused the API key"),
        (403, AuthError, "denied access to model 'fake-model'"),
        (400, ProviderCallError, "rejected the request"),
        (404, ProviderCallError, "has no model 'fake-model'"),
        (422, ProviderCallError, "rejected the request"),
    ],
)
def test_client_errors_fail_fast_with_a_clear_message(
    server: FakeServer, sleep: RecordingSleep, status: int, error_type: type, words: str
) -> None:
    server.default = lambda r: Status(status, error_body(f"server says {status}"))
    with pytest.raises(error_type) as caught:
        generate_with_retries(server, sleep)
    error = caught.value
    assert isinstance(error, ProviderCallError)
    assert server.count == 1 and sleep.delays == []
    assert words in str(error) and f"server says {status}" in str(error)
    assert error.status == status and not is_retryable(error)
    assert error.hint


def test_401_hint_names_the_key_variable(
    server: FakeServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-wrong")
    server.queue(Status(401, error_body("Incorrect API key provided")))
    with pytest.raises(AuthError) as caught:
        generate(server)
    assert "OPENAI_API_KEY" in str(caught.value)


def test_exhausted_quota_is_not_retried(server: FakeServer, sleep: RecordingSleep) -> None:
    server.queue(Status(429, error_body("You exceeded your current quota", "insufficient_quota")))
    with pytest.raises(ProviderError, match="quota or credit exhausted"):
        generate_with_retries(server, sleep)
    assert server.count == 1


# --- malformed answers, stalls and dropped connections ----------------------------------------


def test_stall_past_the_timeout_is_a_retryable_timeout(
    server: FakeServer, sleep: RecordingSleep
) -> None:
    server.queue(Stall(5.0))
    quick = GenerationRequest(messages=CHAT.messages, timeout_s=0.3)
    result = generate_with_retries(server, sleep, quick)
    assert result.text and server.count == 2 and sleep.delays == [0.5]

    server.queue(Stall(5.0))
    with pytest.raises(ProviderTimeoutError, match=r"within 0\.3 s") as caught:
        generate(server, quick, api_key="k")
    assert is_retryable(caught.value)


def test_slow_trickle_is_cut_off_by_the_whole_request_deadline(server: FakeServer) -> None:
    # Each chunk arrives well within the timeout, but the whole answer does not.
    server.queue(lambda r: Events(openai_events(r, pieces=("x",) * 10), delay_s=0.1))
    with pytest.raises(ProviderTimeoutError):
        generate(server, GenerationRequest(prompt="p", timeout_s=0.35), api_key="k")


def test_malformed_json_is_a_retryable_bad_response(
    server: FakeServer, sleep: RecordingSleep
) -> None:
    server.queue(Events([sse("{this is not json")]))
    with pytest.raises(BadResponseError, match="malformed JSON") as caught:
        generate(server, api_key="k")
    assert is_retryable(caught.value)

    server.queue(Events([sse("{this is not json")]))
    assert generate_with_retries(server, sleep).text
    assert server.count == 3


def test_stream_cut_mid_answer_is_retried_without_duplicating_text(
    server: FakeServer, sleep: RecordingSleep
) -> None:
    partial = ("def add(a, b):\n",)
    server.queue(
        lambda r: Events(openai_events(r, pieces=partial, finish=None, done=False), cut=True)
    )
    result = generate_with_retries(server, sleep)
    assert result.text == "def add(a, b):\n    return a + b\n"
    assert server.count == 2 and len(sleep.delays) == 1


@pytest.mark.parametrize("cut", ["dropped", "clean_eof"])
def test_stream_cut_mid_answer_is_classified(server: FakeServer, cut: str) -> None:
    def unfinished(recorded: Recorded) -> Events:
        events = openai_events(recorded, finish=None, done=False)
        return Events(events, cut=cut == "dropped", close_delimited=cut == "clean_eof")

    server.queue(unfinished)
    with pytest.raises(
        BadResponseError, match=r"cut off mid-answer|ended before the answer"
    ) as caught:
        generate(server, api_key="k")
    assert is_retryable(caught.value)


def test_error_event_inside_the_stream_is_a_bad_response(server: FakeServer) -> None:
    server.queue(Events([sse({"error": {"message": "engine crashed", "type": "server_error"}})]))
    with pytest.raises(BadResponseError, match="engine crashed"):
        generate(server, api_key="k")


def test_non_streaming_answer_is_reported_not_misread(server: FakeServer) -> None:
    server.queue(Json({"id": "x", "object": "chat.completion", "choices": []}))
    with pytest.raises(BadResponseError):
        generate(server, api_key="k")


def test_unreachable_server_is_retryable_and_says_where(sleep: RecordingSleep) -> None:
    async def go() -> None:
        p = OpenAICompatProvider("m", base_url="http://127.0.0.1:9/v1")
        try:
            await p.generate(CHAT)
        finally:
            await p.aclose()

    with pytest.raises(
        ProviderCallError, match=r"could not reach openai at http://127\.0\.0\.1:9/v1"
    ) as caught:
        asyncio.run(go())
    assert is_retryable(caught.value)


# --- keys --------------------------------------------------------------------------------------


def test_missing_key_fails_before_any_request() -> None:
    with pytest.raises(AuthError, match="OPENAI_API_KEY") as caught:
        OpenAICompatProvider("gpt-4o-mini")
    assert "api_key_env" in str(caught.value)


def test_other_key_variable_is_read(server: FakeServer, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MY_KEY", "secret-1")
    generate(server, api_key_env="MY_KEY")
    assert server.requests[0].headers["authorization"] == "Bearer secret-1"


def test_local_server_needs_no_key(server: FakeServer) -> None:
    assert generate(server).text  # OPENAI_API_KEY is unset, but the server is on 127.0.0.1

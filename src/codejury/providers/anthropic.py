"""Claude models through the official ``anthropic`` SDK's streaming Messages API.

Differences from the OpenAI wire format that matter here: system prompts are a top-level
``system`` field rather than messages; there is no completion endpoint; thinking arrives as
separate ``thinking`` content blocks (recorded as ``reasoning``); the stop reason is
``max_tokens`` when truncated; and overload (HTTP 529, or an ``overloaded_error`` event in
the middle of a stream that began with 200) is a retryable server error. The SDK's own
retries are off; :mod:`codejury.providers.retry` is the only retry loop.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Mapping
from typing import Any

import anthropic
from anthropic.types import (
    MessageParam,
    RawContentBlockDeltaEvent,
    RawMessageDeltaEvent,
    RawMessageStartEvent,
    RawMessageStreamEvent,
)

from codejury.errors import ConfigError
from codejury.providers.base import (
    Generation,
    GenerationRequest,
    Message,
    ProviderBadResponseError,
    ProviderCallError,
)
from codejury.providers.classify import (
    classify_status,
    resolve_api_key,
    timeout_error,
    transport_failure,
    unreachable_error,
)

# In-stream error events arrive on a 200 response; their type says what status they stand for.
_ERROR_TYPE_STATUS = {
    "invalid_request_error": 400,
    "authentication_error": 401,
    "permission_error": 403,
    "not_found_error": 404,
    "request_too_large": 413,
    "rate_limit_error": 429,
    "api_error": 500,
    "overloaded_error": 529,
}
_DETAIL_LIMIT = 300


class AnthropicProvider:
    """A Claude model.

    Args:
        model: Model name, e.g. ``"claude-3-5-haiku-latest"``.
        base_url: API root; ``None`` means Anthropic's (a gateway or test server otherwise).
        api_key_env: Environment variable with the key.
        api_key: A key given directly, overriding the environment.
        extra_headers: Sent with every request (e.g. ``anthropic-beta`` flags).
        extra_params: Merged into every request body (e.g. ``{"thinking": {...}}``).
        name: Provider name used in messages and records.

    Raises:
        ProviderAuthError: No key is available for a non-local server.
    """

    def __init__(
        self,
        model: str,
        *,
        base_url: str | None = None,
        api_key_env: str | None = "ANTHROPIC_API_KEY",
        api_key: str | None = None,
        extra_headers: Mapping[str, str] | None = None,
        extra_params: Mapping[str, Any] | None = None,
        name: str = "anthropic",
    ) -> None:
        self.name = name
        self.model = model
        self.style = "chat"
        self.base_url = base_url
        self.api_key_env = api_key_env
        self._extra_params = dict(extra_params or {})
        key = resolve_api_key(
            api_key=api_key, api_key_env=api_key_env, base_url=base_url, label=name
        )
        self._client = anthropic.AsyncAnthropic(
            api_key=key,
            base_url=base_url,
            max_retries=0,
            default_headers=dict(extra_headers or {}),
        )

    async def generate(self, request: GenerationRequest) -> Generation:
        """Stream one message; see :class:`~codejury.providers.base.Provider`."""
        if request.messages is None:
            raise ConfigError(
                f"{self.name} has no completion endpoint, but {self.model!r} got a raw prompt",
                hint='use a chat prompt style for this model (style = "chat")',
            )
        started = time.perf_counter()
        try:
            # The whole attempt is bounded, not just each network wait (see openai_compat).
            async with asyncio.timeout(request.timeout_s):
                return await self._attempt(request, started)
        except TimeoutError as exc:
            raise timeout_error(self.name, self.model, request.timeout_s) from exc

    async def aclose(self) -> None:
        """Close the SDK client's connection pool."""
        await self._client.close()

    async def _attempt(self, request: GenerationRequest, started: float) -> Generation:
        state = _State(started)
        where = self.base_url or "the Anthropic API"
        try:
            return await self._stream(request, state)
        except anthropic.APITimeoutError as exc:
            raise timeout_error(self.name, self.model, request.timeout_s) from exc
        except anthropic.APIConnectionError as exc:
            raise unreachable_error(self.name, where, exc, mid_stream=state.opened) from exc
        except anthropic.APIStatusError as exc:
            raise self._from_status(exc) from exc
        except anthropic.APIError as exc:
            raise ProviderBadResponseError(
                f"{self.name} sent an unusable answer: {exc.message[:_DETAIL_LIMIT]}"
            ) from exc
        except json.JSONDecodeError as exc:
            raise ProviderBadResponseError(
                f"{self.name} sent malformed JSON in its stream: {exc.msg}"
            ) from exc
        except Exception as exc:
            kind = transport_failure(exc)
            if kind == "timeout":
                raise timeout_error(self.name, self.model, request.timeout_s) from exc
            if kind == "connection":
                raise unreachable_error(self.name, where, exc, mid_stream=state.opened) from exc
            raise

    async def _stream(self, request: GenerationRequest, state: _State) -> Generation:
        assert request.messages is not None  # checked in generate()
        system = [m.content for m in request.messages if m.role == "system"]
        messages = [_message(m) for m in request.messages if m.role != "system"]
        # Sampling settings go in the body rather than as SDK arguments: SDK releases differ
        # in which of them they accept as keywords, while the API takes them all.
        body: dict[str, Any] = {"temperature": request.temperature}
        if request.top_p is not None:
            body["top_p"] = request.top_p
        if system:
            # Anthropic takes one system prompt; several system messages are joined in order.
            body["system"] = "\n\n".join(system)
        if request.stop:
            body["stop_sequences"] = list(request.stop)
        body.update(self._extra_params)  # seed: the API has none, so it is not sent
        stream = await self._client.messages.create(
            model=self.model,
            max_tokens=request.max_tokens,
            messages=messages,
            stream=True,
            timeout=request.timeout_s,
            extra_body=body,
        )
        state.opened = True
        try:
            async for event in stream:
                state.add(event)
        finally:
            await stream.close()
        return state.result(self.name)

    def _from_status(self, exc: anthropic.APIStatusError) -> ProviderCallError:
        error_type, detail = _error_of(exc)
        status = exc.status_code
        if status < 400:  # an error event inside a stream that started fine
            status = _ERROR_TYPE_STATUS.get(error_type or "", 500)
        return classify_status(
            status,
            detail,
            label=self.name,
            model=self.model,
            headers=exc.response.headers,
            key_env=self.api_key_env,
        )


class _State:
    """Accumulates stream events into one :class:`Generation`."""

    def __init__(self, started: float) -> None:
        self.started = started
        self.text: list[str] = []
        self.thinking: list[str] = []
        self.first_token_at: float | None = None
        self.opened = False
        self.stop_reason: str | None = None
        self.stopped = False
        self.message_id: str | None = None
        self.model_id: str | None = None
        self.input_tokens: int | None = None
        self.output_tokens: int | None = None

    def add(self, event: RawMessageStreamEvent) -> None:
        if isinstance(event, RawMessageStartEvent):
            self.message_id = event.message.id
            self.model_id = event.message.model
            self.input_tokens = event.message.usage.input_tokens
            self.output_tokens = event.message.usage.output_tokens
        elif isinstance(event, RawContentBlockDeltaEvent):
            # Read deltas by their type name: older SDKs lack the thinking classes.
            kind = getattr(event.delta, "type", None)
            piece = getattr(event.delta, "text" if kind == "text_delta" else "thinking", None)
            if kind not in ("text_delta", "thinking_delta") or not isinstance(piece, str):
                return
            if piece and self.first_token_at is None:
                self.first_token_at = time.perf_counter()
            (self.text if kind == "text_delta" else self.thinking).append(piece)
        elif isinstance(event, RawMessageDeltaEvent):
            self.stop_reason = event.delta.stop_reason or self.stop_reason
            # message_delta carries cumulative output tokens (and, lately, input tokens).
            self.output_tokens = event.usage.output_tokens
            later_input = getattr(event.usage, "input_tokens", None)
            if isinstance(later_input, int):
                self.input_tokens = later_input
        elif getattr(event, "type", None) == "message_stop":
            self.stopped = True

    def result(self, label: str) -> Generation:
        if self.message_id is None or not self.stopped:
            # Without message_stop the connection was dropped mid-answer.
            raise ProviderBadResponseError(f"the stream from {label} ended before the answer did")
        ended = time.perf_counter()
        return Generation(
            text="".join(self.text),
            reasoning="".join(self.thinking) or None,
            finish_reason=self.stop_reason,
            truncated=self.stop_reason == "max_tokens",
            input_tokens=self.input_tokens,
            output_tokens=self.output_tokens,
            ttft_s=None if self.first_token_at is None else self.first_token_at - self.started,
            latency_s=ended - self.started,
            response_id=self.message_id,
            model_id=self.model_id,
            system_fingerprint=None,
        )


def _message(message: Message) -> MessageParam:
    # One literal per role, because the SDK types each role's message as its own TypedDict.
    if message.role == "assistant":
        return {"role": "assistant", "content": message.content}
    return {"role": "user", "content": message.content}


def _error_of(exc: anthropic.APIStatusError) -> tuple[str | None, str]:
    """The Anthropic error ``type`` and message from an error body (HTTP or in-stream)."""
    body = exc.body
    inner = body.get("error", body) if isinstance(body, dict) else None
    if isinstance(inner, dict):
        kind, message = inner.get("type"), inner.get("message")
        text = str(message) if message else exc.message
        return (kind if isinstance(kind, str) else None), text[:_DETAIL_LIMIT]
    return None, exc.message[:_DETAIL_LIMIT]

"""Any server that speaks the OpenAI chat/completions API, through the official ``openai`` SDK.

One adapter covers OpenAI itself and every compatible host or server (DeepSeek, Groq,
Together, OpenRouter, vLLM, SGLang, Ollama, llama.cpp's server, LM Studio): only
``base_url`` and the key variable differ, and :mod:`codejury.providers.registry` knows them.

Requests are always streamed, for two reasons: time-to-first-token can only be measured on a
stream, and a long generation that streams is not cut off by proxies that drop idle
connections. The SDK's own retries are off (``max_retries=0``); the loop in
:mod:`codejury.providers.retry` is the only one.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator, Mapping
from typing import Any, Literal

import openai
from openai.types import Completion
from openai.types.chat import ChatCompletionChunk, ChatCompletionMessageParam

from codejury.providers.base import (
    Generation,
    GenerationRequest,
    Message,
    ProviderBadResponseError,
    ProviderCallError,
    ProviderCallTimeoutError,
)
from codejury.providers.classify import (
    classify_status,
    resolve_api_key,
    timeout_error,
    transport_failure,
    unreachable_error,
)
from codejury.providers.stream import StreamCollector

Style = Literal["chat", "completion"]
# Finish reasons that mean "hit max_tokens": OpenAI and most servers say "length"; a few
# (and Anthropic-style gateways) say "max_tokens".
_DETAIL_LIMIT = 300  # keep quoted server messages readable in a terminal


class OpenAICompatProvider:
    """A model behind an OpenAI-compatible endpoint.

    A request with ``messages`` goes to ``/chat/completions``, one with ``prompt`` to
    ``/completions``; ``style`` records which of the two this model is meant to be prompted
    with, for the prompt builder to read.

    Args:
        model: Model name as the server knows it.
        base_url: API root (``.../v1``); ``None`` means OpenAI's.
        api_key_env: Environment variable with the key; ``None`` when the server needs none.
        api_key: A key given directly, overriding the environment.
        style: ``"chat"`` or ``"completion"``.
        extra_headers: Sent with every request (e.g. OpenRouter's ``HTTP-Referer``).
        extra_params: Merged into every request body (e.g. ``{"top_k": 20}`` for vLLM).
        name: Provider name used in messages and records (``"deepseek"``, ``"ollama"``...).
        max_tokens_param: Body key for the token limit; OpenAI's reasoning models accept only
            ``"max_completion_tokens"``, most other servers only ``"max_tokens"``.

    Raises:
        ProviderAuthError: No key is available for a non-local server.
    """

    def __init__(
        self,
        model: str,
        *,
        base_url: str | None = None,
        api_key_env: str | None = "OPENAI_API_KEY",
        api_key: str | None = None,
        style: Style = "chat",
        extra_headers: Mapping[str, str] | None = None,
        extra_params: Mapping[str, Any] | None = None,
        name: str = "openai",
        max_tokens_param: str = "max_tokens",
    ) -> None:
        self.name = name
        self.model = model
        self.style: Style = style
        self.base_url = base_url
        self.api_key_env = api_key_env
        self._extra_params = dict(extra_params or {})
        self._max_tokens_param = max_tokens_param
        # Servers that reject stream_options make us drop it once and remember.
        self._include_usage = True
        key = resolve_api_key(
            api_key=api_key, api_key_env=api_key_env, base_url=base_url, label=name
        )
        self._client = openai.AsyncOpenAI(
            api_key=key,
            base_url=base_url,
            max_retries=0,
            default_headers=dict(extra_headers or {}),
        )

    async def generate(self, request: GenerationRequest) -> Generation:
        """Stream one completion; see :class:`~codejury.providers.base.Provider`."""
        started = time.perf_counter()
        try:
            # The SDK's timeout bounds each network wait; this bounds the whole attempt, so a
            # server that trickles tokens forever is also cut off.
            async with asyncio.timeout(request.timeout_s):
                return await self._attempt(request, started)
        except TimeoutError as exc:
            raise self._timeout(request) from exc

    async def aclose(self) -> None:
        """Close the SDK client's connection pool."""
        await self._client.close()

    async def _attempt(self, request: GenerationRequest, started: float) -> Generation:
        collector = _Collector(started)
        try:
            try:
                return await self._stream(request, collector)
            except openai.BadRequestError as exc:
                if not (self._include_usage and "stream_options" in str(exc)):
                    raise
                self._include_usage = False
                return await self._stream(request, collector)
        except openai.APITimeoutError as exc:
            raise self._timeout(request) from exc
        except openai.APIConnectionError as exc:
            raise self._unreachable(exc, collector.opened) from exc
        except openai.APIStatusError as exc:
            raise self._from_status(exc) from exc
        except openai.APIError as exc:
            # Error events inside a stream, and bodies the SDK could not validate.
            raise ProviderBadResponseError(
                f"{self.name} sent an error instead of an answer: {_detail(exc)}"
            ) from exc
        except json.JSONDecodeError as exc:
            raise ProviderBadResponseError(
                f"{self.name} sent malformed JSON in its stream: {exc.msg} in {exc.doc[:80]!r}"
            ) from exc
        except Exception as exc:
            kind = transport_failure(exc)
            if kind == "timeout":
                raise self._timeout(request) from exc
            if kind == "connection":
                raise self._unreachable(exc, collector.opened) from exc
            raise

    async def _stream(self, request: GenerationRequest, collector: _Collector) -> Generation:
        body: dict[str, Any] = dict(self._extra_params)
        # The legacy /completions endpoint only knows "max_tokens", whatever chat wants.
        limit_key = "max_tokens" if request.messages is None else self._max_tokens_param
        body[limit_key] = request.max_tokens
        options: dict[str, Any] = {
            "model": self.model,
            "temperature": request.temperature,
            "timeout": request.timeout_s,
            "extra_body": body,
        }
        if request.top_p is not None:
            options["top_p"] = request.top_p
        if request.seed is not None:
            options["seed"] = request.seed
        if request.stop:
            options["stop"] = list(request.stop)
        if self._include_usage:
            options["stream_options"] = {"include_usage": True}
        if request.messages is not None:
            messages = [_chat_message(m) for m in request.messages]
            chat = await self._client.chat.completions.create(
                messages=messages, stream=True, **options
            )
            collector.opened = True
            try:
                await collector.read_chat(chat)
            finally:
                await chat.close()
        else:
            plain = await self._client.completions.create(
                prompt=request.prompt, stream=True, **options
            )
            collector.opened = True
            try:
                await collector.read_completion(plain)
            finally:
                await plain.close()
        return collector.result(self.name)

    def _from_status(self, exc: openai.APIStatusError) -> ProviderCallError:
        return classify_status(
            exc.status_code,
            _detail(exc),
            label=self.name,
            model=self.model,
            headers=exc.response.headers,
            key_env=self.api_key_env,
            quota_exhausted=getattr(exc, "code", None) == "insufficient_quota",
        )

    def _timeout(self, request: GenerationRequest) -> ProviderCallTimeoutError:
        return timeout_error(self.name, self.model, request.timeout_s)

    def _unreachable(self, exc: Exception, mid_stream: bool) -> ProviderCallError:
        where = self.base_url or "the OpenAI API"
        return unreachable_error(self.name, where, exc, mid_stream=mid_stream)


class _Collector(StreamCollector):
    """Reads the SDK's chunk objects into the shared :class:`StreamCollector`."""

    async def read_chat(self, stream: AsyncIterator[ChatCompletionChunk]) -> None:
        async for chunk in stream:
            self.meta(chunk.id, chunk.model, chunk.system_fingerprint, _usage(chunk.usage))
            # Servers build chunks loosely (the SDK does not validate them): be defensive.
            for choice in chunk.choices or ():
                delta = getattr(choice, "delta", None)
                if choice.index != 0 or delta is None:
                    continue
                self.piece(delta.content, _reasoning_of(delta), choice.finish_reason)

    async def read_completion(self, stream: AsyncIterator[Completion]) -> None:
        async for chunk in stream:
            self.meta(chunk.id, chunk.model, chunk.system_fingerprint, _usage(chunk.usage))
            for choice in chunk.choices or ():
                if choice.index == 0:
                    self.piece(choice.text, None, choice.finish_reason)


def _usage(usage: Any) -> tuple[int | None, int | None] | None:
    if usage is None:
        return None
    return getattr(usage, "prompt_tokens", None), getattr(usage, "completion_tokens", None)


def _chat_message(message: Message) -> ChatCompletionMessageParam:
    # Spelled out per role because the SDK types each role's message as its own TypedDict.
    if message.role == "system":
        return {"role": "system", "content": message.content}
    if message.role == "assistant":
        return {"role": "assistant", "content": message.content}
    return {"role": "user", "content": message.content}


def _reasoning_of(delta: object) -> str | None:
    # DeepSeek, vLLM, SGLang and llama.cpp stream thinking as `reasoning_content`; OpenRouter
    # and newer vLLM as `reasoning`. Neither is in the SDK's types, so read the extras.
    for attribute in ("reasoning_content", "reasoning"):
        value = getattr(delta, attribute, None)
        if isinstance(value, str) and value:
            return value
    return None


def _detail(exc: openai.APIError) -> str:
    """The server's own error message, without the SDK's "Error code: ..." wrapping."""
    body = exc.body
    message: object = None
    if isinstance(body, dict):
        inner = body.get("error", body)
        message = inner.get("message") if isinstance(inner, dict) else inner
    text = str(message) if message else exc.message
    return text if len(text) <= _DETAIL_LIMIT else text[:_DETAIL_LIMIT] + "..."

"""A lean client for OpenAI-compatible streaming endpoints, so perf measures the server.

Why it exists: through the ``openai`` SDK one streamed request costs about 2.5 ms of client
CPU (request-parameter transformation, the httpx connection pool, a pydantic model per
chunk), which caps one core at roughly 350 requests/s and adds milliseconds to every latency.
A perf run against a fast local server would then measure codejury, not the server. This
client speaks the same protocol as :class:`~codejury.providers.openai_compat.OpenAICompatProvider`
(same body, same ``stream_options``, same time-to-first-token rule, same error
classification through :mod:`codejury.providers.classify`) over plain asyncio streams with a
keep-alive pool, at a few hundredths of that cost.

It is deliberately small: HTTP/1.1 only, ``http`` and ``https`` (TLS from :mod:`ssl`), no
proxies (:func:`proxy_for` lets the caller fall back to the SDK when one is configured), no
retries beyond re-sending once on a pooled connection the server had already closed.
"""

from __future__ import annotations

import asyncio
import codecs
import json
import ssl
import time
import urllib.request
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from codejury.errors import ConfigError
from codejury.providers.base import (
    Generation,
    GenerationRequest,
    Provider,
    ProviderBadResponseError,
    ProviderCallError,
)
from codejury.providers.classify import (
    classify_status,
    resolve_api_key,
    timeout_error,
    unreachable_error,
)
from codejury.providers.stream import StreamCollector

_ERROR_BODY_LIMIT = 65_536  # an error page is quoted, never streamed whole into memory
_DETAIL_LIMIT = 300


@dataclass(frozen=True)
class WireSettings:
    """Everything needed to send one model's requests.

    Attributes:
        base_url: API root, e.g. ``http://127.0.0.1:8080/v1``.
        model: Model name as the server knows it.
        name: Provider name for messages (``"llamacpp"``, ``"openai"``...).
        api_key: Sent as ``Authorization: Bearer``; ``None`` sends no such header.
        api_key_env: Where the key came from, named in the hint of a 401.
        headers: Extra headers for every request.
        params: Merged into every request body (e.g. ``{"top_k": 20}``).
        max_tokens_param: Body key for the token limit on chat requests.
    """

    base_url: str
    model: str
    name: str = "openai"
    api_key: str | None = None
    api_key_env: str | None = None
    headers: Mapping[str, str] = field(default_factory=dict)
    params: Mapping[str, Any] = field(default_factory=dict)
    max_tokens_param: str = "max_tokens"


def proxy_for(base_url: str) -> str | None:
    """The proxy the environment routes ``base_url`` through, if any (this client has none)."""
    parts = urlsplit(base_url)
    proxies = urllib.request.getproxies()
    proxy = proxies.get(parts.scheme) or proxies.get("all")
    if not proxy or urllib.request.proxy_bypass(parts.hostname or ""):
        return None
    return proxy


class _Stale(Exception):
    """A pooled connection turned out to be closed before the server sent a byte."""


class _Conn:
    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader = reader
        self.writer = writer
        self.reused = False

    def close(self) -> None:
        self.writer.close()


class LeanOpenAIClient:
    """A :class:`~codejury.providers.base.Provider` for ``/chat/completions`` and ``/completions``.

    Args:
        settings: Where and how to send requests.
        ssl_context: TLS settings for ``https``; the system defaults when ``None``.

    Raises:
        ValueError: ``base_url`` is not an http(s) URL.
    """

    def __init__(
        self, settings: WireSettings, *, ssl_context: ssl.SSLContext | None = None
    ) -> None:
        parts = urlsplit(settings.base_url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"base_url must be an http(s) URL, got {settings.base_url!r}")
        self.settings = settings
        self.name = settings.name
        self.model = settings.model
        self._host = parts.hostname
        self._port = parts.port or (443 if parts.scheme == "https" else 80)
        self._ssl = (
            (ssl_context or ssl.create_default_context()) if parts.scheme == "https" else None
        )
        self._prefix = parts.path.rstrip("/")
        host_header = parts.netloc.rpartition("@")[2]
        lines = [f"Host: {host_header}", "Content-Type: application/json"]
        lines += ["Accept: text/event-stream", "User-Agent: codejury-perf"]
        if settings.api_key:
            lines.append(f"Authorization: Bearer {settings.api_key}")
        lines += [f"{k}: {v}" for k, v in settings.headers.items()]
        self._head = "".join(f"{line}\r\n" for line in lines).encode("latin-1")
        self._idle: list[_Conn] = []
        self._open: set[_Conn] = set()
        # Servers that reject stream_options make us drop it once and remember (as the SDK
        # adapter does), so both clients send the same body.
        self._include_usage = True

    async def generate(self, request: GenerationRequest) -> Generation:
        """Stream one completion; see :class:`~codejury.providers.base.Provider`."""
        started = time.perf_counter()
        try:
            async with asyncio.timeout(request.timeout_s):
                try:
                    return await self._attempt(request, started)
                except ProviderCallError as exc:
                    if not (self._include_usage and exc.status == 400):
                        raise
                    if "stream_options" not in exc.message:
                        raise
                    self._include_usage = False
                    return await self._attempt(request, started)
        except TimeoutError as exc:
            raise timeout_error(self.name, self.model, request.timeout_s) from exc

    async def aclose(self) -> None:
        """Close every pooled and open connection."""
        for conn in list(self._open):
            conn.close()
        self._open.clear()
        self._idle.clear()

    async def _attempt(self, request: GenerationRequest, started: float) -> Generation:
        path, payload = self._body(request)
        message = (
            f"POST {self._prefix}{path} HTTP/1.1\r\n".encode("latin-1")
            + self._head
            + b"Content-Length: %d\r\n\r\n" % len(payload)
            + payload
        )
        collector = _Collector(started)
        for _ in range(2):
            conn: _Conn | None = None
            keep = False
            try:
                conn = await self._connect()
                keep = await self._exchange(conn, message, collector)
            except _Stale:
                continue  # the server closed an idle connection: send again on a new one
            except (OSError, EOFError, asyncio.IncompleteReadError) as exc:
                where = self.settings.base_url
                raise unreachable_error(self.name, where, exc, mid_stream=collector.opened) from exc
            except (ValueError, asyncio.LimitOverrunError) as exc:
                raise ProviderBadResponseError(
                    f"{self.name} sent a malformed HTTP response: {exc}"
                ) from exc
            finally:
                if conn is not None and keep:
                    self._idle.append(conn)
                elif conn is not None:
                    self._open.discard(conn)
                    conn.close()
            return collector.result(self.name)
        raise ProviderCallError(  # pragma: no cover - needs two stale connections in a row
            f"{self.name} at {self.settings.base_url} closed the connection twice before answering",
            retryable=True,
        )

    def _body(self, request: GenerationRequest) -> tuple[str, bytes]:
        body: dict[str, Any] = dict(self.settings.params)
        body["model"] = self.model
        body["stream"] = True
        body["temperature"] = request.temperature
        if request.messages is not None:
            path = "/chat/completions"
            body["messages"] = [{"role": m.role, "content": m.content} for m in request.messages]
            body[self.settings.max_tokens_param] = request.max_tokens
        else:
            path = "/completions"
            body["prompt"] = request.prompt
            body["max_tokens"] = request.max_tokens
        if request.top_p is not None:
            body["top_p"] = request.top_p
        if request.seed is not None:
            body["seed"] = request.seed
        if request.stop:
            body["stop"] = list(request.stop)
        if self._include_usage:
            body["stream_options"] = {"include_usage": True}
        return path, json.dumps(body).encode()

    async def _connect(self) -> _Conn:
        while self._idle:
            conn = self._idle.pop()
            if not conn.reader.at_eof():
                conn.reused = True
                return conn
            self._open.discard(conn)
            conn.close()
        reader, writer = await asyncio.open_connection(
            self._host, self._port, ssl=self._ssl, limit=1 << 20
        )
        conn = _Conn(reader, writer)
        self._open.add(conn)
        return conn

    async def _exchange(self, conn: _Conn, message: bytes, collector: _Collector) -> bool:
        """Send, read the whole answer into ``collector``; True if the connection is reusable."""
        try:
            conn.writer.write(message)
            head = await conn.reader.readuntil(b"\r\n\r\n")
        except (ConnectionError, asyncio.IncompleteReadError) as exc:
            partial = getattr(exc, "partial", b"")
            if conn.reused and not partial:
                raise _Stale from exc
            raise
        status, headers = _parse_head(head)
        chunked = "chunked" in headers.get("transfer-encoding", "").lower()
        length = None if chunked else headers.get("content-length")
        body = _body_pieces(conn.reader, chunked, None if length is None else int(length))
        if status >= 400:
            raw = b""
            async for piece in body:
                raw += piece[: _ERROR_BODY_LIMIT - len(raw)]
            raise self._status_error(status, raw, headers)
        collector.opened = True
        decoder = codecs.getincrementaldecoder("utf-8")("replace")
        buffer = ""
        async for piece in body:
            # Re-normalising the (short) unfinished tail also mends a CRLF split across pieces.
            buffer = (buffer + decoder.decode(piece)).replace("\r\n", "\n")
            *events, buffer = buffer.split("\n\n")
            for event in events:
                collector.event(event, self.name)
        collector.event(buffer + decoder.decode(b"", final=True), self.name)
        closing = headers.get("connection", "").lower() == "close"
        return not closing and (chunked or length is not None)

    def _status_error(
        self, status: int, raw: bytes, headers: Mapping[str, str]
    ) -> ProviderCallError:
        detail = raw.decode("utf-8", "replace").strip() or f"HTTP {status}"
        code = None
        try:
            parsed = json.loads(raw)
        except ValueError:
            parsed = None
        if isinstance(parsed, dict):
            inner = parsed.get("error", parsed)
            message = inner.get("message") if isinstance(inner, dict) else inner
            code = inner.get("code") if isinstance(inner, dict) else None
            detail = str(message) if message else detail
        if len(detail) > _DETAIL_LIMIT:
            detail = detail[:_DETAIL_LIMIT] + "..."
        return classify_status(
            status,
            detail,
            label=self.name,
            model=self.model,
            headers=headers,
            key_env=self.settings.api_key_env,
            quota_exhausted=code == "insufficient_quota",
        )


def _parse_head(head: bytes) -> tuple[int, dict[str, str]]:
    lines = head.decode("latin-1").split("\r\n")
    version, _, rest = lines[0].partition(" ")
    if not version.startswith("HTTP/"):
        raise ValueError(f"not an HTTP status line: {lines[0][:80]!r}")
    status = int(rest.split(" ", 1)[0])
    headers: dict[str, str] = {}
    for line in lines[1:]:
        name, sep, value = line.partition(":")
        if sep:
            headers[name.strip().lower()] = value.strip()
    return status, headers


async def _body_pieces(
    reader: asyncio.StreamReader, chunked: bool, length: int | None
) -> AsyncIterator[bytes]:
    """The response body as it arrives: chunked, fixed-length, or until the server closes."""
    if chunked:
        while True:
            size = int((await reader.readuntil(b"\r\n")).split(b";", 1)[0], 16)
            if size == 0:
                while await reader.readuntil(b"\r\n") != b"\r\n":
                    pass  # trailers: none that we use
                return
            data = await reader.readexactly(size + 2)
            yield data[:-2]
    elif length is not None:
        if length:
            yield await reader.readexactly(length)
    else:
        while data := await reader.read(65_536):
            yield data


class _Collector(StreamCollector):
    """Parses raw SSE events into the shared :class:`StreamCollector` (the SDK adapter's rules)."""

    def event(self, event: str, label: str) -> None:
        data = [line[5:].lstrip(" ") for line in event.split("\n") if line.startswith("data:")]
        if not data:
            return
        payload = "\n".join(data)
        if payload == "[DONE]":
            return
        try:
            chunk = json.loads(payload)
        except ValueError as exc:
            raise ProviderBadResponseError(
                f"{label} sent malformed JSON in its stream: {payload[:80]!r}"
            ) from exc
        if not isinstance(chunk, dict):
            raise ProviderBadResponseError(f"{label} sent a stream event that is not an object")
        if "error" in chunk:
            error = chunk["error"]
            message = error.get("message") if isinstance(error, dict) else error
            raise ProviderBadResponseError(
                f"{label} sent an error instead of an answer: {str(message)[:_DETAIL_LIMIT]}"
            )
        usage = chunk.get("usage")
        self.meta(
            _text(chunk.get("id")),
            _text(chunk.get("model")),
            _text(chunk.get("system_fingerprint")),
            (usage.get("prompt_tokens"), usage.get("completion_tokens"))
            if isinstance(usage, dict)
            else None,
        )
        for choice in chunk.get("choices") or ():
            if not isinstance(choice, dict) or choice.get("index", 0) != 0:
                continue
            delta = choice.get("delta")
            finish = _text(choice.get("finish_reason"))
            if isinstance(delta, dict):
                thinking = delta.get("reasoning_content") or delta.get("reasoning")
                self.piece(_text(delta.get("content")), _text(thinking), finish)
            else:
                self.piece(_text(choice.get("text")), None, finish)


def _text(value: object) -> str | None:
    # JSON from a server may put anything anywhere: only strings count.
    return value if isinstance(value, str) else None


async def lean_client_for(
    provider: Provider, host: str, options: Mapping[str, object]
) -> tuple[Provider, str]:
    """A lean client in place of an OpenAI-compatible SDK adapter, when one can serve.

    Args:
        provider: The provider the registry built for the model.
        host: Its registry name (``openai``, ``llamacpp``...), for the token-limit key.
        options: The model's provider options from codejury.toml.

    Returns:
        The provider to measure (the lean client, after closing the unused SDK adapter; or
        ``provider`` itself) and a note saying which it is and why.
    """
    from codejury.providers.openai_compat import OpenAICompatProvider
    from codejury.providers.registry import KNOWN_HOSTS

    if not isinstance(provider, OpenAICompatProvider):
        return provider, f"requests sent by {type(provider).__name__}"
    base_url = provider.base_url or "https://api.openai.com/v1"
    proxy = proxy_for(base_url)
    if proxy is not None:
        return provider, f"requests sent by the OpenAI SDK: proxy {proxy} is configured"
    # The registry has validated these options (types included) while building the provider.
    api_key = options.get("api_key")
    default = KNOWN_HOSTS[host].max_tokens_param if host in KNOWN_HOSTS else "max_tokens"
    settings = WireSettings(
        base_url=base_url,
        model=provider.model,
        name=provider.name,
        api_key=resolve_api_key(
            api_key=api_key if isinstance(api_key, str) else None,
            api_key_env=provider.api_key_env,
            base_url=base_url,
            label=provider.name,
        ),
        api_key_env=provider.api_key_env,
        headers={k: str(v) for k, v in _table(options, "headers").items()},
        params=_table(options, "params"),
        max_tokens_param=str(options.get("max_tokens_param") or default),
    )
    await provider.aclose()  # replaced before it sent anything
    note = "requests sent by codejury's lean HTTP client (the SDK adapter's requests, less CPU)"
    return LeanOpenAIClient(settings), note


def _table(options: Mapping[str, object], key: str) -> dict[str, object]:
    value = options.get(key) or {}
    if not isinstance(value, Mapping):
        raise ConfigError(f"{key} must be a table")
    return {str(k): v for k, v in value.items()}

"""A small, fast OpenAI-compatible streaming server with a scripted speed, for perf tests.

It answers ``POST .../chat/completions`` and ``POST .../completions`` with a Server-Sent
Events stream shaped like OpenAI's: the first token after ``ttft_s``, each further token
``token_gap_s`` later, then a finish chunk, a usage chunk and ``[DONE]``. Two knobs make it a
"deliberately slow" server: ``capacity`` lets at most that many requests be served at once
(the rest queue, as on a GPU with a fixed batch size), and a request whose body contains
:data:`FAIL_MARKER` gets an HTTP 500 instead of an answer.

It is written on :class:`asyncio.Protocol` (no framework; nothing to install) so that one core
can serve well over a thousand requests per second: the self-overhead benchmark must measure
the client, not this server. It runs either in a thread of the test process
(:meth:`FakeLLMServer.start_in_thread`) or as its own process::

    python tests/perf/fake_llm_server.py --ttft 0.05 [--capacity N] [--tokens N]

which prints ``PORT <n>`` on its first line once it listens, and serves until killed.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

FAIL_MARKER = "PLEASE-FAIL"
"""A request whose body contains this text is answered with HTTP 500."""


@dataclass(frozen=True)
class Speed:
    """How the server paces its answers.

    Attributes:
        ttft_s: Seconds from reading a request to sending its first token.
        token_gap_s: Seconds between later tokens.
        tokens: Tokens per answer (fewer when the request's ``max_tokens`` is lower).
        capacity: Most requests served at once; ``None`` for no limit. Queued requests wait
            before their clock starts, so latency grows with load beyond this.
        cold_start_s: Extra delay for the very first request (a model being loaded).
    """

    ttft_s: float = 0.05
    token_gap_s: float = 0.0
    tokens: int = 4
    capacity: int | None = None
    cold_start_s: float = 0.0


class FakeLLMServer:
    """The server; counts every request it reads (``requests``) and answers (``answered``).

    With ``record=True`` it also keeps each request's path, headers and JSON body in ``seen``.
    """

    def __init__(self, speed: Speed, *, record: bool = False) -> None:
        self.speed = speed
        self.record = record
        self.seen: list[tuple[str, dict[str, str], dict[str, Any]]] = []
        self.requests = 0
        self.answered = 0
        self.failed = 0
        self.max_in_service = 0
        self._in_service = 0
        self._gate: asyncio.Semaphore | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self._connections: set[_Connection] = set()
        self._bodies: dict[tuple[bool, bool, int], list[bytes]] = {}
        self._server: asyncio.Server | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self.port = 0

    @property
    def url(self) -> str:
        """The API root to give a client (``http://127.0.0.1:<port>/v1``)."""
        return f"http://127.0.0.1:{self.port}/v1"

    async def listen(self, port: int = 0) -> None:
        """Start listening on 127.0.0.1 (an ephemeral port by default)."""
        self._loop = asyncio.get_running_loop()
        if self.speed.capacity is not None:
            self._gate = asyncio.Semaphore(self.speed.capacity)
        self._server = await self._loop.create_server(
            lambda: _Connection(self), "127.0.0.1", port, backlog=1024
        )
        self.port = self._server.sockets[0].getsockname()[1]

    def start_in_thread(self) -> FakeLLMServer:
        """Serve from a daemon thread with its own event loop; returns once listening."""
        ready = threading.Event()

        def serve() -> None:
            loop = asyncio.new_event_loop()
            loop.run_until_complete(self.listen())
            ready.set()
            loop.run_forever()
            loop.close()

        self._thread = threading.Thread(target=serve, daemon=True)
        self._thread.start()
        if not ready.wait(10):
            raise RuntimeError("the fake LLM server did not start within 10 s")
        return self

    def drop_connections(self) -> None:
        """Close every open connection, as a server does with idle keep-alive ones."""
        loop = self._loop
        if loop is None:
            return
        done = threading.Event()

        def drop() -> None:
            for connection in list(self._connections):
                if connection.transport is not None:
                    connection.transport.close()
            done.set()

        loop.call_soon_threadsafe(drop)
        done.wait(10)

    def stop(self) -> None:
        """Stop a server started with :meth:`start_in_thread`."""
        loop, server = self._loop, self._server
        if loop is None or server is None or self._thread is None:
            return

        def shut() -> None:
            server.close()
            loop.stop()

        loop.call_soon_threadsafe(shut)
        self._thread.join(10)

    def receive(
        self, connection: _Connection, path: str, headers: dict[str, str], body: bytes
    ) -> None:
        """Take one request off ``connection``; it is answered later, as :class:`Speed` says."""
        self.requests += 1
        if self.record:
            self.seen.append((path, headers, json.loads(body or b"{}")))
        loop = asyncio.get_running_loop()
        delay = self.speed.ttft_s + (self.speed.cold_start_s if self.requests == 1 else 0.0)
        if self._gate is None and not self.speed.token_gap_s:
            # The common case without a task: one timer, then the whole answer in one write
            # (one packet), so that the self-overhead benchmark measures the client.
            self._enter()
            loop.call_later(delay, self._finish, connection, self._whole(path, body))
        else:
            task = loop.create_task(self._paced(connection, path, body, delay))
            self._tasks.add(task)  # held until done: the loop keeps only weak references
            task.add_done_callback(self._tasks.discard)

    def _enter(self) -> None:
        self._in_service += 1
        self.max_in_service = max(self.max_in_service, self._in_service)

    def _finish(self, connection: _Connection, reply: bytes | None) -> None:
        self._in_service -= 1
        if reply is None:
            self.failed += 1
            connection.send_json(500, {"error": {"message": "scripted failure"}})
        else:
            self.answered += 1
            connection.send(reply)

    def _whole(self, path: str, body: bytes) -> bytes | None:
        """The complete HTTP answer, or ``None`` for a scripted failure."""
        if FAIL_MARKER.encode() in body:
            return None
        chunks = self._chunks(path, json.loads(body or b"{}"))
        return _HEAD + b"".join(map(_chunked, chunks)) + _chunked(b"")

    async def _paced(self, connection: _Connection, path: str, body: bytes, delay: float) -> None:
        """Serve with a capacity limit and/or a gap between tokens."""
        if self._gate is None:
            await self._stream(connection, path, body, delay)
            return
        async with self._gate:  # queued requests wait here, before their clock starts
            await self._stream(connection, path, body, delay)

    async def _stream(self, connection: _Connection, path: str, body: bytes, delay: float) -> None:
        self._enter()
        await asyncio.sleep(delay)
        if FAIL_MARKER.encode() in body:
            self._finish(connection, None)
            return
        chunks = self._chunks(path, json.loads(body or b"{}"))
        connection.send(_HEAD + _chunked(chunks[0]))
        for chunk in chunks[1:-1]:
            await asyncio.sleep(self.speed.token_gap_s)
            connection.send(_chunked(chunk))
        self._finish(connection, _chunked(chunks[-1]) + _chunked(b""))  # finish with the last

    def _chunks(self, path: str, request: dict[str, Any]) -> list[bytes]:
        """The SSE events, one list item per token plus one for the tail (built once, kept)."""
        chat = path.endswith("/chat/completions")
        usage = bool((request.get("stream_options") or {}).get("include_usage"))
        limit = request.get("max_tokens") or request.get("max_completion_tokens")
        tokens = min(self.speed.tokens, int(limit)) if limit else self.speed.tokens
        key = (chat, usage, tokens)
        if key not in self._bodies:
            self._bodies[key] = _events(chat, usage, tokens, truncated=tokens < self.speed.tokens)
        return self._bodies[key]


Serve = Callable[..., FakeLLMServer]
"""The ``serve`` fixture: ``serve(ttft_s=..., capacity=...)`` -> a started server."""


def _events(chat: bool, usage: bool, tokens: int, *, truncated: bool) -> list[bytes]:
    base = {
        "id": "perf-1",
        "object": "chat.completion.chunk" if chat else "text_completion",
        "created": 1_700_000_000,
        "model": "fake-perf",
    }

    def choice(text: str, finish: str | None) -> dict[str, Any]:
        if chat:
            return {"index": 0, "delta": {"content": text}, "finish_reason": finish}
        return {"index": 0, "text": text, "finish_reason": finish}

    def sse(payload: dict[str, Any] | str) -> str:
        return f"data: {payload if isinstance(payload, str) else json.dumps(payload)}\n\n"

    pieces = [sse({**base, "choices": [choice(f"tok{i} ", None)]}) for i in range(tokens)]
    tail = sse({**base, "choices": [choice("", "length" if truncated else "stop")]})
    if usage:
        counts = {"prompt_tokens": 10, "completion_tokens": tokens, "total_tokens": 10 + tokens}
        tail += sse({**base, "choices": [], "usage": counts})
    tail += sse("[DONE]")
    return [p.encode() for p in pieces] + [tail.encode()]


_HEAD = b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ntransfer-encoding: chunked\r\n\r\n"


def _chunked(data: bytes) -> bytes:
    return b"%x\r\n%s\r\n" % (len(data), data)


class _Connection(asyncio.Protocol):
    """One keep-alive HTTP/1.1 connection: parses requests, writes chunked answers."""

    def __init__(self, server: FakeLLMServer) -> None:
        self.server = server
        self.buffer = b""
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        self.server._connections.add(self)

    def connection_lost(self, exc: Exception | None) -> None:
        self.transport = None
        self.server._connections.discard(self)

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        while (end := self.buffer.find(b"\r\n\r\n")) >= 0:
            head = self.buffer[:end].decode("latin-1").split("\r\n")
            headers = {}
            for line in head[1:]:
                name, _, value = line.partition(":")
                headers[name.strip().lower()] = value.strip()
            length = int(headers.get("content-length", 0))
            if len(self.buffer) < end + 4 + length:
                return  # the body has not all arrived yet
            body = self.buffer[end + 4 : end + 4 + length]
            self.buffer = self.buffer[end + 4 + length :]
            path = head[0].split(" ")[1]
            self.server.receive(self, path, headers, body)

    def send_json(self, status: int, payload: dict[str, Any]) -> None:
        data = json.dumps(payload).encode()
        head = (
            f"HTTP/1.1 {status} Error\r\ncontent-type: application/json\r\n"
            f"content-length: {len(data)}\r\n\r\n"
        )
        self.send(head.encode() + data)

    def send(self, data: bytes) -> None:
        """Write raw bytes, unless the client has hung up (it gave up: a timeout)."""
        if self.transport is not None:
            self.transport.write(data)


def main() -> None:
    """Run as a process: print ``PORT <n>`` once listening, then serve until killed."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--ttft", type=float, default=0.05, help="seconds to the first token")
    parser.add_argument("--token-gap", type=float, default=0.0, help="seconds between tokens")
    parser.add_argument("--tokens", type=int, default=4, help="tokens per answer")
    parser.add_argument("--capacity", type=int, default=None, help="requests served at once")
    args = parser.parse_args()
    speed = Speed(args.ttft, args.token_gap, args.tokens, args.capacity)

    async def serve() -> None:
        server = FakeLLMServer(speed)
        await server.listen(args.port)
        print(f"PORT {server.port}", flush=True)
        await asyncio.Event().wait()

    try:
        asyncio.run(serve())
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()

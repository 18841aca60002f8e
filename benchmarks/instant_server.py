"""An OpenAI-compatible server that answers at once, for measuring client-side overhead.

Usage::

    python benchmarks/instant_server.py [--host 127.0.0.1] [--port 0] [--delay-ms 0]

It prints one line, ``listening http://HOST:PORT/v1``, then serves until killed. From Python,
:func:`serve_in_subprocess` starts it in its own process (so it never competes with the
client for one event loop) and yields the base URL.

Endpoints:
    POST /v1/chat/completions  streamed (SSE: role, content, finish_reason, a usage chunk when
                               ``stream_options.include_usage``, then ``[DONE]``) or not
                               (one JSON object with ``n`` choices, as EvalPlus asks);
    POST /v1/completions       the same for the legacy endpoint;
    GET  /v1/models            one model, ``bench``;
    GET  /stats                requests answered, by endpoint (not part of the OpenAI API).

The answer is a short fenced Python function named after the last ``def`` in the prompt (the
problem's entry point), so a sanitizer finds code. A raw asyncio HTTP/1.1 server with
keep-alive: no framework, every response written in one ``write`` with a Content-Length, so
a request costs a few tens of microseconds here and the client is what gets measured.
``--delay-ms`` holds every answer back that long (without blocking other connections), a
stand-in for model latency when comparing sequential and concurrent clients.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import re
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from typing import Any

MODEL = "bench"
_DEF = re.compile(r"def\s+([A-Za-z_]\w*)\s*\(")
_REASONS = {200: "OK", 400: "Bad Request", 404: "Not Found", 405: "Method Not Allowed"}


def _entry_point(text: str) -> str:
    names = _DEF.findall(text)
    return names[-1] if names else "solution"


def _prompt_text(body: dict[str, Any]) -> str:
    if "messages" in body:
        return "\n".join(str(m.get("content", "")) for m in body["messages"])
    prompt = body.get("prompt", "")
    return prompt if isinstance(prompt, str) else "\n".join(map(str, prompt))


def _answer(body: dict[str, Any], chat: bool) -> str:
    name = _entry_point(_prompt_text(body))
    if chat:
        return f"Here it is:\n```python\ndef {name}(*args, **kwargs):\n    return None\n```\n"
    return "    return None\n"  # a completion continues the prompt's function body


def _usage(body: dict[str, Any], answer: str) -> dict[str, int]:
    # Rough token counts (4 characters a token): clients only record them.
    prompt_tokens = len(_prompt_text(body)) // 4 + 1
    completion_tokens = len(answer) // 4 + 1
    return {
        "prompt_tokens": prompt_tokens,
        "completion_tokens": completion_tokens,
        "total_tokens": prompt_tokens + completion_tokens,
    }


def _dumps(value: object) -> bytes:
    return json.dumps(value, separators=(",", ":")).encode()


class _Answers:
    """Builds response bodies; counts what it answered."""

    def __init__(self) -> None:
        self.counts: Counter[str] = Counter()
        self._next_id = 0

    def respond(self, method: str, path: str, raw: bytes) -> tuple[int, str, bytes]:
        """(status, content type, body) for one request."""
        path = path.split("?", 1)[0]
        self.counts[f"{method} {path}"] += 1
        if method == "GET" and path in ("/v1/models", "/models"):
            data = [{"id": MODEL, "object": "model", "created": 0, "owned_by": "bench"}]
            return 200, "application/json", _dumps({"object": "list", "data": data})
        if method == "GET" and path == "/stats":
            return 200, "application/json", _dumps(dict(self.counts))
        chat = path in ("/v1/chat/completions", "/chat/completions")
        if not chat and path not in ("/v1/completions", "/completions"):
            return 404, "application/json", _error(f"no route {path}")
        if method != "POST":
            return 405, "application/json", _error(f"{method} not allowed on {path}")
        try:
            body = json.loads(raw)
        except ValueError as exc:
            return 400, "application/json", _error(f"body is not JSON: {exc}")
        if not isinstance(body, dict):
            return 400, "application/json", _error("body must be a JSON object")
        self._next_id += 1
        rid = f"{'chatcmpl' if chat else 'cmpl'}-{self._next_id}"
        answer = _answer(body, chat)
        if body.get("stream"):
            return 200, "text/event-stream", self._stream(body, rid, answer, chat)
        return 200, "application/json", self._whole(body, rid, answer, chat)

    def _whole(self, body: dict[str, Any], rid: str, answer: str, chat: bool) -> bytes:
        n = body.get("n") or 1
        if chat:
            message = {"role": "assistant", "content": answer}
            choices: list[dict[str, Any]] = [
                {"index": i, "message": message, "finish_reason": "stop", "logprobs": None}
                for i in range(n)
            ]
        else:
            choices = [
                {"index": i, "text": answer, "finish_reason": "stop", "logprobs": None}
                for i in range(n)
            ]
        kind = "chat.completion" if chat else "text_completion"
        doc = {"id": rid, "object": kind, "created": int(time.time()), "model": MODEL}
        return _dumps(doc | {"choices": choices, "usage": _usage(body, answer)})

    def _stream(self, body: dict[str, Any], rid: str, answer: str, chat: bool) -> bytes:
        kind = "chat.completion.chunk" if chat else "text_completion"
        head = {"id": rid, "object": kind, "created": int(time.time()), "model": MODEL}

        def choice(text: str | None, finish: str | None, role: bool = False) -> dict[str, Any]:
            if not chat:
                return {"index": 0, "text": text or "", "finish_reason": finish, "logprobs": None}
            delta: dict[str, Any] = {"role": "assistant"} if role else {}
            if text is not None:
                delta["content"] = text
            return {"index": 0, "delta": delta, "finish_reason": finish, "logprobs": None}

        events = [head | {"choices": [choice("", None, role=True)]}] if chat else []
        events.append(head | {"choices": [choice(answer, None)]})
        events.append(head | {"choices": [choice(None if chat else "", "stop")]})
        options = body.get("stream_options")
        if isinstance(options, dict) and options.get("include_usage"):
            events.append(head | {"choices": [], "usage": _usage(body, answer)})
        parts = [b"data: " + _dumps(event) + b"\n\n" for event in events]
        return b"".join(parts) + b"data: [DONE]\n\n"


def _error(message: str) -> bytes:
    return _dumps({"error": {"message": message, "type": "invalid_request_error"}})


class _Connection(asyncio.Protocol):
    """One keep-alive HTTP/1.1 connection; requests may arrive pipelined."""

    def __init__(self, answers: _Answers, delay_s: float) -> None:
        self._answers = answers
        self._delay_s = delay_s
        self._buffer = b""
        self._transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self._transport = transport

    def data_received(self, data: bytes) -> None:
        self._buffer += data
        while self._transport is not None and self._handle_one():
            pass

    def _handle_one(self) -> bool:
        end = self._buffer.find(b"\r\n\r\n")
        if end < 0:
            return False
        head = self._buffer[:end].decode("latin-1").split("\r\n")
        method, path, _version = [*head[0].split(" "), "", ""][:3]
        headers = {}
        for line in head[1:]:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        if "chunked" in headers.get("transfer-encoding", "").lower():
            # No client of this benchmark sends chunked bodies; refuse rather than misparse.
            self._reply(400, "application/json", _error("chunked request bodies unsupported"), True)
            return False
        length = int(headers.get("content-length", "0") or "0")
        if len(self._buffer) < end + 4 + length:
            return False
        raw = self._buffer[end + 4 : end + 4 + length]
        self._buffer = self._buffer[end + 4 + length :]
        status, content_type, body = self._answers.respond(method, path, raw)
        closing = headers.get("connection", "").lower() == "close"
        if self._delay_s > 0 and method == "POST":
            # A stand-in for model latency: the reply is sent later, the loop stays free.
            loop = asyncio.get_running_loop()
            loop.call_later(self._delay_s, self._reply, status, content_type, body, closing)
            return not closing
        self._reply(status, content_type, body, closing)
        return not closing

    def _reply(self, status: int, content_type: str, body: bytes, closing: bool = False) -> None:
        if self._transport is None:  # the client went away meanwhile
            return
        head = (
            f"HTTP/1.1 {status} {_REASONS.get(status, 'Error')}\r\n"
            f"content-type: {content_type}\r\n"
            f"content-length: {len(body)}\r\n"
            "connection: keep-alive\r\n\r\n"
        )
        self._transport.write(head.encode("latin-1") + body)
        if closing:
            self._close()

    def _close(self) -> None:
        if self._transport is not None:
            self._transport.close()
            self._transport = None

    def connection_lost(self, exc: Exception | None) -> None:
        self._transport = None


async def serve(host: str, port: int, delay_s: float = 0.0) -> None:
    """Serve until cancelled; prints ``listening <base url>`` once bound.

    Args:
        host: Interface to bind.
        port: Port to bind (0: any free one).
        delay_s: Seconds each POST waits before its answer (0: none).
    """
    answers = _Answers()
    loop = asyncio.get_running_loop()
    server = await loop.create_server(
        lambda: _Connection(answers, delay_s), host, port, backlog=1024
    )
    bound = server.sockets[0].getsockname()[1]
    print(f"listening http://{host}:{bound}/v1", flush=True)
    async with server:
        await server.serve_forever()


@contextlib.contextmanager
def serve_in_subprocess(
    host: str = "127.0.0.1", delay_ms: float = 0.0
) -> Iterator[tuple[str, int]]:
    """Run the server in a child process; yields (base URL ending in ``/v1``, child pid)."""
    cmd = [sys.executable, __file__, "--host", host, "--port", "0", "--delay-ms", str(delay_ms)]
    child = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True)
    try:
        assert child.stdout is not None
        line = child.stdout.readline().strip()
        if not line.startswith("listening "):
            raise SystemExit(f"instant server did not start (said {line!r})")
        yield line.removeprefix("listening "), child.pid
    finally:
        child.terminate()
        child.wait(timeout=10)


def main() -> None:
    """Command line: serve on ``--host``/``--port`` (0: any free port)."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--delay-ms", type=float, default=0.0, help="wait before each answer")
    args = parser.parse_args()
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(serve(args.host, args.port, args.delay_ms / 1000))


if __name__ == "__main__":
    main()

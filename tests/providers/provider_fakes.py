"""A real HTTP server that speaks just enough OpenAI and Anthropic to drive the official SDKs.

Tests queue *actions* (a JSON error, a stall, an SSE stream, possibly cut off); each request
takes the next one, or the server's default reply when the queue is empty. The server counts
and records every request, so tests can prove nothing was sent twice.
"""

from __future__ import annotations

import json
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Recorded:
    """One request as the server saw it."""

    path: str
    headers: dict[str, str]
    body: dict[str, Any]


@dataclass
class Status:
    """Reply with an HTTP error and a JSON body."""

    status: int
    body: dict[str, Any]
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class Stall:
    """Say nothing for ``seconds`` (longer than the client's timeout), then give up."""

    seconds: float


@dataclass
class Events:
    """Reply 200 with these Server-Sent Events.

    ``cut`` drops the connection after the events without ending the chunked body;
    ``close_delimited`` sends no length or chunking and ends the body by closing (a clean
    EOF, as a crashing HTTP/1.0-style server would).
    """

    events: list[str]
    cut: bool = False
    close_delimited: bool = False
    delay_s: float = 0.0


@dataclass
class Json:
    """Reply 200 with a plain JSON body (a non-streaming answer)."""

    body: dict[str, Any]


Action = Status | Stall | Events | Json
Responder = Callable[[Recorded], Action]


class RecordingSleep:
    """An async sleep that records the delays it was asked for and returns at once."""

    def __init__(self) -> None:
        self.delays: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.delays.append(seconds)


def sse(data: dict[str, Any] | str, event: str | None = None) -> str:
    """One SSE event; ``data`` is JSON-encoded unless it is already a string."""
    payload = data if isinstance(data, str) else json.dumps(data)
    return (f"event: {event}\n" if event else "") + f"data: {payload}\n\n"


def openai_events(
    recorded: Recorded,
    *,
    pieces: tuple[str, ...] = ("def add(a, b):\n", "    return a + b\n"),
    reasoning: tuple[str, ...] = (),
    finish: str | None = "stop",
    usage: tuple[int, int] | None = (12, 7),
    model: str = "fake-model-0613",
    done: bool = True,
) -> list[str]:
    """The events an OpenAI-compatible server streams for ``recorded`` (chat or completion)."""
    chat = recorded.path.endswith("/chat/completions")
    base = {
        "id": "resp-123",
        "object": "chat.completion.chunk" if chat else "text_completion",
        "created": 1_700_000_000,
        "model": model,
        "system_fingerprint": "fp_fake",
    }

    def choice(text: str | None, thinking: str | None, reason: str | None) -> dict[str, Any]:
        if not chat:
            return {"index": 0, "text": text or "", "finish_reason": reason, "logprobs": None}
        delta: dict[str, Any] = {"role": "assistant"}
        if text is not None:
            delta["content"] = text
        if thinking is not None:
            delta["reasoning_content"] = thinking
        return {"index": 0, "delta": delta, "finish_reason": reason}

    events = [sse({**base, "choices": [choice(None, r, None)]}) for r in reasoning]
    events += [sse({**base, "choices": [choice(p, None, None)]}) for p in pieces]
    if finish is not None:
        events.append(sse({**base, "choices": [choice("", None, finish)]}))
    wants_usage = (recorded.body.get("stream_options") or {}).get("include_usage")
    if usage is not None and wants_usage:
        counts = {"prompt_tokens": usage[0], "completion_tokens": usage[1]}
        counts["total_tokens"] = sum(counts.values())
        events.append(sse({**base, "choices": [], "usage": counts}))
    if done:
        events.append(sse("[DONE]"))
    return events


def anthropic_events(
    *,
    pieces: tuple[str, ...] = ("def add(a, b):\n", "    return a + b\n"),
    thinking: tuple[str, ...] = (),
    stop_reason: str = "end_turn",
    usage: tuple[int, int] = (21, 9),
    stop: bool = True,
) -> list[str]:
    """The events of Anthropic's streaming Messages API for one answer."""
    message: dict[str, Any] = {
        "id": "msg_fake",
        "type": "message",
        "role": "assistant",
        "model": "claude-fake-20250101",
        "content": [],
        "stop_reason": None,
        "stop_sequence": None,
        "usage": {"input_tokens": usage[0], "output_tokens": 1},
    }
    events = [sse({"type": "message_start", "message": message}, "message_start")]
    blocks = [
        ("thinking", "thinking_delta", "thinking", thinking),
        ("text", "text_delta", "text", pieces),
    ]
    index = 0
    for kind, delta_type, key, parts in blocks:
        if not parts:
            continue
        start = {
            "type": "content_block_start",
            "index": index,
            "content_block": {"type": kind, key: ""},
        }
        events.append(sse(start, "content_block_start"))
        events.append(sse({"type": "ping"}, "ping"))
        for part in parts:
            delta = {
                "type": "content_block_delta",
                "index": index,
                "delta": {"type": delta_type, key: part},
            }
            events.append(sse(delta, "content_block_delta"))
        events.append(sse({"type": "content_block_stop", "index": index}, "content_block_stop"))
        index += 1
    final = {
        "type": "message_delta",
        "delta": {"stop_reason": stop_reason, "stop_sequence": None},
        "usage": {"output_tokens": usage[1]},
    }
    events.append(sse(final, "message_delta"))
    if stop:
        events.append(sse({"type": "message_stop"}, "message_stop"))
    return events


def default_responder(recorded: Recorded) -> Action:
    """A normal successful answer for whichever API the path belongs to."""
    if recorded.path.endswith("/messages"):
        return Events(anthropic_events())
    if not recorded.body.get("stream"):
        return Json({"id": "resp-plain", "object": "chat.completion", "choices": []})
    return Events(openai_events(recorded))


class FakeServer:
    """A threaded HTTP server on 127.0.0.1 with an ephemeral port and scripted replies."""

    def __init__(self, default: Responder = default_responder) -> None:
        self.default = default
        self.requests: list[Recorded] = []
        self._script: deque[Action | Responder] = deque()
        self._lock = threading.Lock()
        self._closing = threading.Event()
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        self._httpd.daemon_threads = True
        # A short poll interval keeps shutdown (and so each test's teardown) quick.
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )

    @property
    def url(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host!s}:{port}"

    @property
    def count(self) -> int:
        with self._lock:
            return len(self.requests)

    def queue(self, *actions: Action | Responder) -> None:
        """Serve these (in order) to the next requests."""
        with self._lock:
            self._script.extend(actions)

    def start(self) -> FakeServer:
        self._thread.start()
        return self

    def close(self) -> None:
        self._closing.set()
        self._httpd.shutdown()
        self._httpd.server_close()

    def _next(self, recorded: Recorded) -> Action:
        with self._lock:
            self.requests.append(recorded)
            step = self._script.popleft() if self._script else self.default
        return step(recorded) if callable(step) else step


def serving(default: Responder = default_responder) -> Iterator[FakeServer]:
    """Generator for fixtures: a started server, closed afterwards."""
    server = FakeServer(default).start()
    try:
        yield server
    finally:
        server.close()


def _handler_for(server: FakeServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        disable_nagle_algorithm = True  # SSE events are tiny: send each at once

        def log_message(self, format: str, *args: Any) -> None:  # keep pytest output clean
            pass

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b"{}"
            headers = {k.lower(): v for k, v in self.headers.items()}
            action = server._next(Recorded(self.path, headers, json.loads(raw or b"{}")))
            try:
                self._perform(action)
            except (BrokenPipeError, ConnectionResetError):
                self.close_connection = True  # the client gave up first (timeouts)

        def _perform(self, action: Action) -> None:
            if isinstance(action, Stall):
                server._closing.wait(action.seconds)
                self.close_connection = True
                return
            if isinstance(action, Status | Json):
                status = action.status if isinstance(action, Status) else 200
                payload = json.dumps(action.body).encode()
                self.send_response(status)
                extra = action.headers if isinstance(action, Status) else {}
                for key, value in {"Content-Type": "application/json", **extra}.items():
                    self.send_header(key, value)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)
                return
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream")
            if action.close_delimited:
                self.send_header("Connection", "close")
            else:
                self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            for event in action.events:
                data = event.encode()
                self.wfile.write(
                    data if action.close_delimited else b"%x\r\n%s\r\n" % (len(data), data)
                )
                self.wfile.flush()
                if action.delay_s:
                    time.sleep(action.delay_s)
            if action.cut or action.close_delimited:
                self.close_connection = True  # body left unfinished / ended by EOF
                return
            self.wfile.write(b"0\r\n\r\n")

    return Handler

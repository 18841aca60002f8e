"""A deterministic provider shipped with codejury, for ``--dry-run`` and for tests.

It goes through exactly the same code paths as a real provider (limiter, retry loop, store),
so a dry run exercises everything except the network. It never reads the clock to decide what
to answer, so the same requests always give the same generations.
"""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Awaitable, Callable, Mapping

from codejury.providers.base import (
    Generation,
    GenerationRequest,
    ProviderBadResponseError,
    ProviderCallError,
)

DEFAULT_RESPONSE = """\
Here is a solution.

```python
def solution(*args, **kwargs):
    return None
```
"""
"""What the mock answers when no response is configured: a fenced Python block, so the code
extraction and sandbox stages have something real to chew on."""

Responses = Mapping[str, str] | Callable[[GenerationRequest], str]
_TOKEN = re.compile(r"\S+")


class MockProvider:
    """A model that answers from a table or a function, with optional latency and failures.

    Args:
        model: Reported model name (``mock/<anything>`` resolves here).
        responses: A mapping from prompt text to answer, or a function of the request. Mapping
            lookups use the request's :attr:`~GenerationRequest.text`: an exact key first,
            then the first key (in mapping order) contained in it, else the default answer.
        latency_s: Simulated time per call.
        fail_first: The first this-many calls raise ``error`` instead of answering.
        error: Factory for the injected failure; by default a retryable HTTP 503.
        name: Provider name in records.
        sleep: Async sleep used for ``latency_s`` (injectable for tests).

    Attributes:
        calls: Every request received, in order, including failed ones.
        in_flight: Calls currently running.
        max_in_flight: Highest ``in_flight`` seen, to check concurrency limits.
    """

    def __init__(
        self,
        model: str = "mock",
        responses: Responses | None = None,
        *,
        latency_s: float = 0.0,
        fail_first: int = 0,
        error: Callable[[], ProviderCallError] | None = None,
        name: str = "mock",
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.name = name
        self.model = model
        self.style = "chat"
        self._responses = responses
        self._latency_s = latency_s
        self._fail_first = fail_first
        self._error = error or _default_error
        self._sleep = sleep
        self.calls: list[GenerationRequest] = []
        self.in_flight = 0
        self.max_in_flight = 0
        self.closed = False

    async def generate(self, request: GenerationRequest) -> Generation:
        """Answer ``request`` deterministically; see the class docstring."""
        started = time.perf_counter()
        self.calls.append(request)
        self.in_flight += 1
        self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            if self._latency_s > 0:
                await self._sleep(self._latency_s)
            if len(self.calls) <= self._fail_first:
                raise self._error()
            answer = self._answer(request)
        finally:
            self.in_flight -= 1
        text, finish_reason, output_tokens = _apply_limits(answer, request)
        latency = time.perf_counter() - started
        return Generation(
            text=text,
            reasoning=None,
            finish_reason=finish_reason,
            truncated=finish_reason == "length",
            input_tokens=_count_tokens(_prompt_text(request)),
            output_tokens=output_tokens,
            ttft_s=latency,
            latency_s=latency,
            response_id=f"mock-{len(self.calls)}",
            model_id=self.model,
            system_fingerprint=None,
        )

    async def aclose(self) -> None:
        """Nothing to release; records that it was called."""
        self.closed = True

    def _answer(self, request: GenerationRequest) -> str:
        if self._responses is None:
            return DEFAULT_RESPONSE
        if callable(self._responses):
            return self._responses(request)
        key = request.text
        if key in self._responses:
            return self._responses[key]
        for candidate, answer in self._responses.items():
            if candidate in key:
                return answer
        return DEFAULT_RESPONSE


def _default_error() -> ProviderCallError:
    return ProviderBadResponseError("mock provider: injected failure", status=503)


def _prompt_text(request: GenerationRequest) -> str:
    if request.prompt is not None:
        return request.prompt
    assert request.messages is not None  # GenerationRequest guarantees one of the two
    return "\n".join(m.content for m in request.messages)


def _count_tokens(text: str) -> int:
    # Whitespace-separated words stand in for tokens: deterministic and tokenizer-free.
    return sum(1 for _ in _TOKEN.finditer(text))


def _apply_limits(answer: str, request: GenerationRequest) -> tuple[str, str, int]:
    """Cut ``answer`` at the first stop sequence or at ``max_tokens`` words, like a server."""
    finish = "stop"
    cut = min((i for s in request.stop if s and (i := answer.find(s)) >= 0), default=None)
    if cut is not None:
        answer = answer[:cut]
    words = list(_TOKEN.finditer(answer))
    if len(words) > request.max_tokens:
        answer = answer[: words[request.max_tokens - 1].end()]
        finish = "length"
        words = words[: request.max_tokens]
    return answer, finish, len(words)

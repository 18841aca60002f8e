"""Turning an OpenAI-style stream into one :class:`Generation`, whoever reads the bytes.

The SDK adapter (:mod:`codejury.providers.openai_compat`) and the lean measurement client
(:mod:`codejury.perf_client`) parse chunks differently but must agree on what a chunk means:
when the first token came, which finish reasons are truncation, which usage report counts and
when a stream is incomplete. Both feed this collector. It imports no SDK, so the lean client
stays free of the openai import.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from codejury.providers.base import Generation, ProviderBadResponseError

TRUNCATION_REASONS = frozenset({"length", "max_tokens"})
"""Finish reasons that mean the answer hit ``max_tokens``."""


@dataclass
class StreamCollector:
    """Accumulates streamed chunks into one :class:`Generation`.

    Attributes:
        started: ``time.perf_counter()`` when the request was sent.
        opened: Set by readers once the response headers arrived.
    """

    started: float
    opened: bool = False
    text: list[str] = field(default_factory=list)
    reasoning: list[str] = field(default_factory=list)
    first_token_at: float | None = None
    finish_reason: str | None = None
    chunks: int = 0
    response_id: str | None = None
    model_id: str | None = None
    fingerprint: str | None = None
    input_tokens: int | None = None
    output_tokens: int | None = None

    def meta(
        self,
        rid: str | None,
        model: str | None,
        fp: str | None,
        usage: tuple[int | None, int | None] | None,
    ) -> None:
        """Record one chunk's envelope: ids, fingerprint and (prompt, completion) usage."""
        self.chunks += 1
        self.response_id = self.response_id or rid or None
        self.model_id = self.model_id or model or None
        self.fingerprint = fp or self.fingerprint
        if usage is not None:  # the last report wins: some servers send running totals
            self.input_tokens, self.output_tokens = usage

    def piece(self, text: str | None, reasoning: str | None, finish: str | None) -> None:
        """Record one choice delta: answer text, reasoning text and finish reason."""
        if (text or reasoning) and self.first_token_at is None:
            self.first_token_at = time.perf_counter()
        if text:
            self.text.append(text)
        if reasoning:
            self.reasoning.append(reasoning)
        if finish:
            self.finish_reason = finish

    def result(self, label: str) -> Generation:
        """The whole answer.

        Raises:
            ProviderBadResponseError: No events at all, or a stream that ended without a
                finish reason (the connection dropped mid-answer; the text is incomplete).
        """
        if self.chunks == 0:
            raise ProviderBadResponseError(
                f"{label} answered without any stream events",
                hint="the server may not support stream=true on this endpoint",
            )
        if self.finish_reason is None:
            raise ProviderBadResponseError(f"the stream from {label} ended before the answer did")
        ended = time.perf_counter()
        return Generation(
            text="".join(self.text),
            reasoning="".join(self.reasoning) or None,
            finish_reason=self.finish_reason,
            truncated=self.finish_reason in TRUNCATION_REASONS,
            input_tokens=self.input_tokens,
            output_tokens=self.output_tokens,
            ttft_s=None if self.first_token_at is None else self.first_token_at - self.started,
            latency_s=ended - self.started,
            response_id=self.response_id,
            model_id=self.model_id,
            system_fingerprint=self.fingerprint,
        )

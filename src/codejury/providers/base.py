"""The provider contract: one request type, one result type, one async protocol, one error map.

Every model backend (hosted API, local server, bundled model, the shipped mock) implements
:class:`Provider`. Providers only *classify* failures into the exception types here; the
single retry loop in :mod:`codejury.providers.retry` decides what to do about them.

The error classes below extend the generic ones in :mod:`codejury.errors` with the facts the
retry loop needs (``retryable``, ``status``, ``retry_after``), so callers may keep catching
``AuthError``, ``RateLimitError`` and friends.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Literal, Protocol, runtime_checkable

from codejury.errors import (
    AuthError,
    BadResponseError,
    ConfigError,
    ProviderError,
    ProviderTimeoutError,
    RateLimitError,
)

Role = Literal["system", "user", "assistant"]


@dataclass(frozen=True)
class Message:
    """One chat message."""

    role: Role
    content: str


@dataclass(frozen=True)
class GenerationRequest:
    """One request for one completion; chat style (``messages``) or completion style (``prompt``).

    Attributes:
        messages: The conversation, for chat endpoints. Exactly one of ``messages``/``prompt``.
        prompt: The raw text to continue, for completion endpoints.
        max_tokens: Most tokens the model may generate.
        temperature: Sampling temperature.
        top_p: Nucleus sampling mass, or ``None`` to leave the server's default.
        seed: Sampling seed where the server supports one (ignored where it does not).
        stop: Stop sequences.
        timeout_s: Deadline for one attempt, from sending the request to the last token.
    """

    messages: tuple[Message, ...] | None = None
    prompt: str | None = None
    max_tokens: int = 1024
    temperature: float = 0.0
    top_p: float | None = None
    seed: int | None = None
    stop: tuple[str, ...] = ()
    timeout_s: float = 120.0

    def __post_init__(self) -> None:
        if (self.messages is None) == (self.prompt is None):
            raise ValueError("GenerationRequest needs exactly one of messages= or prompt=")
        if self.messages is not None and not self.messages:
            raise ValueError("GenerationRequest.messages must not be empty")
        # These come straight from user settings, so they get a user-facing error.
        if self.max_tokens < 1:
            raise ConfigError(f"max_tokens must be at least 1, got {self.max_tokens}")
        if self.timeout_s <= 0:
            raise ConfigError(f"timeout must be positive, got {self.timeout_s} s")

    @property
    def text(self) -> str:
        """The prompt, or the last user message: what a human would call "the question"."""
        if self.prompt is not None:
            return self.prompt
        assert self.messages is not None  # guaranteed by __post_init__
        users = [m.content for m in self.messages if m.role == "user"]
        return users[-1] if users else self.messages[-1].content


@dataclass(frozen=True)
class Generation:
    """What a provider produced for one request, with the facts a report needs.

    Attributes:
        text: The answer (without any reasoning/thinking text).
        reasoning: Reasoning text the server streamed separately, if any.
        finish_reason: The provider's own word for why it stopped (``"stop"``, ``"length"``,
            ``"end_turn"``, ``"max_tokens"``...), recorded verbatim.
        truncated: True when the model stopped because it hit ``max_tokens``.
        input_tokens: Prompt tokens as reported by the provider.
        output_tokens: Generated tokens as reported by the provider.
        ttft_s: Seconds from sending the request to the first generated text.
        latency_s: Seconds from sending the request to the end of the answer.
        response_id: The provider's id for the response, for support tickets and audits.
        model_id: The model the provider says answered (may differ from the requested alias).
        system_fingerprint: The backend configuration fingerprint, where reported.
    """

    text: str
    reasoning: str | None
    finish_reason: str | None
    truncated: bool
    input_tokens: int | None
    output_tokens: int | None
    ttft_s: float | None
    latency_s: float
    response_id: str | None = None
    model_id: str | None = None
    system_fingerprint: str | None = None


@runtime_checkable
class Provider(Protocol):
    """A model behind one async call. Implementations must be safe to call concurrently."""

    name: str
    model: str

    async def generate(self, request: GenerationRequest) -> Generation:
        """Produce one completion, or raise a :class:`~codejury.errors.ProviderError`."""
        ...

    async def aclose(self) -> None:
        """Release connections; the provider is not used afterwards."""
        ...


ProviderFactory = Callable[[str, Mapping[str, object]], Provider]
"""What a plugin entry point returns: ``factory(model, options) -> Provider``."""


# --- classified errors ---------------------------------------------------------------------


class ProviderCallError(ProviderError):
    """A failed provider call, classified for the retry loop.

    Attributes:
        retryable: Whether the same request may succeed if sent again later.
        status: The HTTP status, when the failure came with one.
        retry_after: Seconds the server asked us to wait, when it said.
    """

    default_retryable = False

    def __init__(
        self,
        message: str,
        *,
        hint: str | None = None,
        retryable: bool | None = None,
        status: int | None = None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message, hint=hint)
        self.retryable = self.default_retryable if retryable is None else retryable
        self.status = status
        self.retry_after = retry_after


class ProviderAuthError(ProviderCallError, AuthError):
    """Key missing, refused, or not allowed to use this model. Never retried."""


class ProviderRateLimitError(ProviderCallError, RateLimitError):
    """HTTP 429 and friends. Retried after ``retry_after`` unless the quota is exhausted."""

    default_retryable = True


class ProviderCallTimeoutError(ProviderCallError, ProviderTimeoutError):
    """No complete answer within the request's ``timeout_s``. Retried."""

    default_retryable = True


class ProviderBadResponseError(ProviderCallError, BadResponseError):
    """Malformed body, cut-off stream or a server-side 5xx. Retried."""

    default_retryable = True


def is_retryable(exc: BaseException) -> bool:
    """Whether the retry loop may send the request again after ``exc``.

    Errors that are not :class:`ProviderCallError` fall back to their type: a plain
    ``RateLimitError``, ``ProviderTimeoutError`` or ``BadResponseError`` is transient, anything
    else (auth, config, programming errors) is not.
    """
    if isinstance(exc, ProviderCallError):
        return exc.retryable
    return isinstance(exc, RateLimitError | ProviderTimeoutError | BadResponseError)


def retry_after_of(exc: BaseException) -> float | None:
    """The server-requested delay carried by ``exc``, if any."""
    value = getattr(exc, "retry_after", None)
    return float(value) if isinstance(value, int | float) and value >= 0 else None

"""Helpers the HTTP providers share: keys, ``Retry-After``, and turning failures into errors.

Both SDK adapters see the same kinds of failure (an HTTP status, a timeout, a dropped
connection) and must classify them the same way, so the rules live here once: which statuses
are worth retrying, what the message says, and which hint tells the user what to do.
"""

from __future__ import annotations

import ipaddress
import os
import time
from collections.abc import Callable, Mapping
from datetime import UTC
from email.utils import parsedate_to_datetime
from typing import Literal
from urllib.parse import urlsplit

from codejury.providers.base import (
    ProviderAuthError,
    ProviderBadResponseError,
    ProviderCallError,
    ProviderCallTimeoutError,
    ProviderRateLimitError,
)

DUMMY_API_KEY = "codejury-no-key"
"""Sent to servers that need no key: the SDKs refuse to start without *some* key."""


def parse_retry_after(
    headers: Mapping[str, str], *, now: Callable[[], float] = time.time
) -> float | None:
    """Seconds to wait from ``retry-after-ms`` / ``retry-after`` (seconds or an HTTP-date).

    Args:
        headers: Response headers; lookups are tried in lower case, as HTTP headers are
            case-insensitive and both SDKs' header types normalise that way.
        now: Wall clock in epoch seconds, injectable for tests of the HTTP-date form.

    Returns:
        A non-negative delay, or ``None`` when no header is present or it cannot be parsed.
    """
    millis = headers.get("retry-after-ms")
    if millis is not None:
        try:
            return max(0.0, float(millis) / 1000)
        except ValueError:
            pass  # fall through to the standard header
    value = headers.get("retry-after")
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:  # RFC 9110 dates are GMT; be lenient about a missing zone
        when = when.replace(tzinfo=UTC)
    return max(0.0, when.timestamp() - now())


def is_local_url(url: str | None) -> bool:
    """True for loopback servers (Ollama, llama.cpp, vLLM on this machine) that need no key."""
    if not url:
        return False
    host = (urlsplit(url).hostname or "").lower()
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    return address.is_loopback or address.is_unspecified


def resolve_api_key(
    *, api_key: str | None, api_key_env: str | None, base_url: str | None, label: str
) -> str:
    """The key to send, or a :class:`ProviderAuthError` raised before any request is made.

    Args:
        api_key: A key given directly (wins over the environment).
        api_key_env: Environment variable holding the key; ``None`` means the server needs none.
        base_url: Where requests go; loopback servers get a dummy key when none is set.
        label: Provider name for the message.
    """
    if api_key:
        return api_key
    if api_key_env:
        from_env = os.environ.get(api_key_env, "").strip()
        if from_env:
            return from_env
    if api_key_env is None or is_local_url(base_url):
        return DUMMY_API_KEY
    raise ProviderAuthError(
        f"no API key for {label}: environment variable {api_key_env} is not set",
        hint=f"set {api_key_env}, or set api_key_env for this model in codejury.toml",
    )


def transport_failure(exc: BaseException) -> Literal["timeout", "connection"] | None:
    """Recognise httpx/httpcore transport errors that escape the SDKs unwrapped.

    Some SDK versions let network errors raised while *iterating* a stream escape as raw
    ``httpx`` (or ``httpx2``) exceptions, and which of the two packages an SDK uses depends on
    its version, so match by class name within those packages rather than import one of them.
    """
    for cls in type(exc).__mro__:
        if not cls.__module__.split(".")[0].startswith(("httpx", "httpcore")):
            continue
        if cls.__name__ == "TimeoutException" or cls.__name__.endswith("Timeout"):
            return "timeout"
        if cls.__name__ in {"TransportError", "NetworkError", "ProtocolError"}:
            return "connection"
    return None


def classify_status(
    status: int,
    detail: str,
    *,
    label: str,
    model: str,
    headers: Mapping[str, str] | None = None,
    key_env: str | None = None,
    quota_exhausted: bool = False,
) -> ProviderCallError:
    """Turn an HTTP error status into the classified error the retry loop understands.

    Args:
        status: The HTTP status (or the status an in-stream error event stands for).
        detail: The server's own message, quoted in ours because it often names the fix.
        label: Provider name for the message.
        model: The requested model, for the message.
        headers: Response headers, read for ``Retry-After``.
        key_env: The environment variable the key came from, for the 401 hint.
        quota_exhausted: The 429 means "out of credit", not "slow down": do not retry.
    """
    retry_after = parse_retry_after(headers) if headers is not None else None
    where = f"{label} (HTTP {status})"
    if status == 401:
        hint = f"check that {key_env} holds a valid key" if key_env else "check the server's key"
        return ProviderAuthError(f"{where} refused the API key: {detail}", hint=hint, status=status)
    if status == 403:
        return ProviderAuthError(
            f"{where} denied access to model {model!r}: {detail}",
            hint="check that your account and key may use this model",
            status=status,
        )
    if status == 429:
        if quota_exhausted:
            return ProviderRateLimitError(
                f"{where}: quota or credit exhausted: {detail}",
                hint="add credit or raise the quota; retrying will not help",
                retryable=False,
                status=status,
            )
        return ProviderRateLimitError(
            f"{where} rate-limited the request: {detail}",
            hint="lower concurrency or rpm for this model in codejury.toml",
            status=status,
            retry_after=retry_after,
        )
    if status == 404:
        return ProviderCallError(
            f"{where} has no model {model!r} or no such endpoint: {detail}",
            hint="check the model name and base_url (completion-style prompts need /completions)",
            status=status,
        )
    if status == 408:
        return ProviderCallTimeoutError(
            f"{where} timed out the request: {detail}", status=status, retry_after=retry_after
        )
    if status == 409 or status >= 500:
        # 409 is a transient lock conflict on OpenAI; 5xx (and Anthropic's 529 "overloaded")
        # are server trouble that usually passes.
        return ProviderBadResponseError(
            f"{where} failed on its side: {detail}", status=status, retry_after=retry_after
        )
    return ProviderCallError(
        f"{where} rejected the request: {detail}",
        hint=(
            "a setting may be unsupported by this model (temperature, top_p, seed, stop, "
            "max_tokens); change it or the model's params in codejury.toml"
        ),
        status=status,
    )


def timeout_error(label: str, model: str, timeout_s: float) -> ProviderCallTimeoutError:
    """The error for an attempt that outlived its ``timeout_s``."""
    return ProviderCallTimeoutError(
        f"{label} did not finish answering {model!r} within {timeout_s:g} s",
        hint="raise timeout_s, lower max_tokens, or lower concurrency for a slow server",
    )


def unreachable_error(
    label: str, where: str, exc: BaseException, *, mid_stream: bool = False
) -> ProviderCallError:
    """The (retryable) error for a connection that could not be made, or that dropped.

    Args:
        label: Provider name for the message.
        where: The base URL, for the message.
        exc: The transport error.
        mid_stream: The answer had started streaming: the server was reachable but the
            stream was cut off, which is a bad response rather than a network outage.
    """
    cause = exc.__cause__ or exc
    if mid_stream:
        return ProviderBadResponseError(f"the stream from {label} was cut off mid-answer: {cause}")
    return ProviderCallError(
        f"could not reach {label} at {where}: {cause}",
        hint="check that the server is running and that base_url is right",
        retryable=True,
    )

"""Model providers behind one async protocol; see :mod:`codejury.providers.base`.

The SDK adapters (``openai_compat``, ``anthropic``) and the registry are not imported here:
the SDKs take a noticeable time to import, and commands that never call a model should not
pay for them. Import :mod:`codejury.providers.registry` to build providers.
"""

from __future__ import annotations

from codejury.providers.base import (
    Generation,
    GenerationRequest,
    Message,
    Provider,
    ProviderAuthError,
    ProviderBadResponseError,
    ProviderCallError,
    ProviderCallTimeoutError,
    ProviderFactory,
    ProviderRateLimitError,
)
from codejury.providers.mock import MockProvider
from codejury.providers.retry import (
    Limiter,
    RetryEvent,
    RetryingProvider,
    RetryPolicy,
    call_with_retries,
)

__all__ = [
    "Generation",
    "GenerationRequest",
    "Limiter",
    "Message",
    "MockProvider",
    "Provider",
    "ProviderAuthError",
    "ProviderBadResponseError",
    "ProviderCallError",
    "ProviderCallTimeoutError",
    "ProviderFactory",
    "ProviderRateLimitError",
    "RetryEvent",
    "RetryPolicy",
    "RetryingProvider",
    "call_with_retries",
]

"""The one exception tree.

Every error a user can cause or fix derives from :class:`CodejuryError`; the CLI root is the
only place that turns one into a message and an exit code. Messages say what was wrong, where
(file and line when there is one) and what to do about it.
"""

from __future__ import annotations


class CodejuryError(Exception):
    """Base of every error codejury reports to a user (never a bug)."""

    exit_code = 1

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return f"{self.message}\n  hint: {self.hint}" if self.hint else self.message


class ConfigError(CodejuryError):
    """Settings, flags or a config file are wrong."""

    exit_code = 2


class DataError(CodejuryError):
    """A dataset, samples file or results file is missing, corrupt or malformed."""

    exit_code = 3


class ProviderError(CodejuryError):
    """A model provider failed."""

    exit_code = 4


class AuthError(ProviderError):
    """Credentials missing or refused."""


class RateLimitError(ProviderError):
    """The provider asked us to slow down."""


class ProviderTimeoutError(ProviderError):
    """The provider did not answer in time."""


class BadResponseError(ProviderError):
    """The provider answered with something we cannot use."""


class SandboxError(CodejuryError):
    """The sandbox cannot run (missing layers, broken worker) — never a sample's fault."""

    exit_code = 5


class StoreError(CodejuryError):
    """The local store cannot be opened, migrated or written."""

    exit_code = 6

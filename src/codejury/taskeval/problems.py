"""Collecting every problem of a task file, so one run of the command lists them all."""

from __future__ import annotations

import difflib
from collections.abc import Iterable

from codejury.errors import DataError

MAX_SHOWN = 12
"""Problems listed in one error message; the rest are counted."""


class Problems:
    """The problems found in one file, each with its line, what is wrong and what to do.

    Args:
        label: How messages name the file.
    """

    def __init__(self, label: str) -> None:
        self.label = label
        self._items: list[tuple[int, str, str | None]] = []

    def __len__(self) -> int:
        return len(self._items)

    def add(self, line: int, message: str, hint: str | None) -> None:
        """Record a problem at ``line`` (1-based)."""
        self._items.append((line, message, hint))

    def raise_if_any(self) -> None:
        """Raise one :class:`DataError` listing every problem found so far.

        Raises:
            DataError: At least one problem was recorded.
        """
        if not self._items:
            return
        items = sorted(self._items, key=lambda item: item[0])
        if len(items) == 1:
            line, message, hint = items[0]
            raise DataError(f"{self.label}:{line}: {message}", hint=hint)
        shown = [
            f"{self.label}:{line}: {message}" + (f" ({hint})" if hint else "")
            for line, message, hint in items[:MAX_SHOWN]
        ]
        more = len(items) - MAX_SHOWN
        if more > 0:
            shown.append(f"... and {more} more")
        raise DataError(
            f"{len(items)} problems in the task file:\n  " + "\n  ".join(shown),
            hint="fix them and run the same command again",
        )


def suggest(word: str, known: Iterable[str]) -> str:
    """``did you mean 'x'?`` (when one is close) followed by the known words."""
    options = list(known)
    close = difflib.get_close_matches(word, options, n=1)
    listing = f"known: {', '.join(options)}"
    return f"did you mean {close[0]!r}? {listing}" if close else listing

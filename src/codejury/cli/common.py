"""Small pieces every command shares: task selection flags and the live progress bar."""

from __future__ import annotations

from collections.abc import Sequence

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from codejury.errors import ConfigError


def select_ids(
    known: Sequence[str], wanted: str | None, limit: int | None, *, flag: str, where: str
) -> tuple[str, ...]:
    """The ids a ``--tasks``-style flag (comma-separated) and ``--limit`` pick from ``known``.

    Raises:
        ConfigError: An id that ``known`` does not have, named with the flag.
    """
    ids = list(known)
    if wanted:
        chosen = [t.strip() for t in wanted.split(",") if t.strip()]
        unknown = [t for t in chosen if t not in set(known)]
        if unknown:
            raise ConfigError(
                f"{flag}: {', '.join(unknown[:5])} not in {where}",
                hint=f"task ids look like {ids[0]!r}" if ids else None,
            )
        ids = chosen
    return tuple(ids[:limit] if limit else ids)


def progress_bar(quiet: bool) -> Progress:
    """A transient bar on stderr (so ``--json`` output on stdout stays clean)."""
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=Console(stderr=True),
        transient=True,
        disable=quiet,
    )

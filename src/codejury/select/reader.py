"""Checked access to one parsed TOML document, with ``file:line`` in every error.

:mod:`codejury.select.config` describes ``selection.toml``; this module only knows how to read
a typed value out of a table and say exactly where and why it is wrong.
"""

from __future__ import annotations

import difflib
import itertools
import math
import os
from collections.abc import Collection, Mapping
from pathlib import Path
from typing import Any

from codejury.errors import ConfigError
from codejury.tomllines import KeyPath, line_of


class Reader:
    """Reads typed values from the tables of one TOML file.

    Args:
        label: How the file is named in messages (relative to the working directory).
        lines: Key path → line, from :func:`codejury.tomllines.key_lines`.
        root: Directory relative paths are anchored to (the file's).
        doc: The parsed document.
    """

    def __init__(
        self, label: str, lines: Mapping[KeyPath, int], root: Path, doc: Mapping[str, Any]
    ) -> None:
        self.label = label
        self.lines = lines
        self.root = root
        self.doc = doc

    def where(self, *path: str) -> str:
        """``"<file>:<line>"`` of a key, or of its nearest enclosing table."""
        return f"{self.label}:{line_of(self.lines, path)}"

    def fail(self, path: KeyPath, message: str, hint: str | None = None) -> ConfigError:
        """A ConfigError located at ``path``: ``<file>:<line>: section.key <message>``."""
        # Dotted names, not "[section] key": terminals that render markup eat "[section]".
        return ConfigError(f"{self.where(*path)}: {'.'.join(path)} {message}", hint=hint)

    # --- structure ----------------------------------------------------------------------------

    def sections(self, known: Collection[str]) -> None:
        """Every top-level key must be a known section, and a table."""
        for name, value in self.doc.items():
            if name not in known:
                raise ConfigError(
                    f"{self.where(name)}: unknown section {name!r}",
                    hint=suggest(name, known, "sections"),
                )
            if not isinstance(value, dict):
                raise ConfigError(
                    f"{self.where(name)}: {name} must be a table (a section), got {value!r}",
                    hint=f"write {name} between square brackets on a line of its own",
                )

    def table(self, section: str, known: Collection[str]) -> dict[str, Any] | None:
        """The section's table (None when absent), after checking it has only known keys."""
        value = self.doc.get(section)
        if value is None:
            return None
        for key in value:
            if key not in known:
                raise ConfigError(
                    f"{self.where(section, key)}: unknown key {section}.{key}",
                    hint=suggest(key, known, "keys"),
                )
        return dict(value)

    # --- values -------------------------------------------------------------------------------

    def number(
        self,
        table: Mapping[str, Any],
        path: KeyPath,
        *,
        minimum: float = 0.0,
        above: bool = False,
        maximum: float | None = None,
        integer: bool = False,
        example: str = "1",
    ) -> float | None:
        """A number (an integer when ``integer``) within bounds, or None when the key is absent."""
        key = path[-1]
        if key not in table:
            return None
        value = table[key]
        noun = "an integer" if integer else "a number"
        bound = f"{'>' if above else '>='} {minimum:g}"
        if maximum is not None:
            bound += f" and <= {maximum:g}"
        wrong = isinstance(value, bool) or not isinstance(value, int | float)
        wrong = wrong or (integer and not isinstance(value, int))
        if not wrong:
            wrong = not math.isfinite(value) or value < minimum or (above and value == minimum)
            wrong = wrong or (maximum is not None and value > maximum)
        if wrong:
            raise self.fail(
                path, f"must be {noun} {bound}, got {value!r}", hint=f"e.g. {key} = {example}"
            )
        return float(value) if not integer else int(value)

    def integer(
        self, table: Mapping[str, Any], path: KeyPath, *, minimum: int = 1, example: str = "1"
    ) -> int | None:
        """An integer >= ``minimum``, or None when absent."""
        value = self.number(table, path, minimum=minimum, integer=True, example=example)
        return None if value is None else int(value)

    def boolean(self, table: Mapping[str, Any], path: KeyPath) -> bool | None:
        """``true`` or ``false``, or None when absent."""
        value = table.get(path[-1])
        if value is None:
            return None
        if not isinstance(value, bool):
            raise self.fail(
                path, f"must be true or false, got {value!r}", hint=f"e.g. {path[-1]} = true"
            )
        return value

    def text(
        self, table: Mapping[str, Any], path: KeyPath, choices: Collection[str] = ()
    ) -> str | None:
        """A non-empty string (one of ``choices`` when given), or None when absent."""
        value = table.get(path[-1])
        if value is None:
            return None
        if not isinstance(value, str) or not value.strip():
            raise self.fail(path, f"must be a non-empty string, got {value!r}")
        if choices and value not in choices:
            listed = ", ".join(f'"{c}"' for c in choices)
            raise self.fail(path, f"must be one of {listed}, got {value!r}")
        return value

    def strings(self, table: Mapping[str, Any], path: KeyPath) -> tuple[str, ...] | None:
        """A list of distinct non-empty strings, or None when absent."""
        value = table.get(path[-1])
        if value is None:
            return None
        if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
            raise self.fail(
                path,
                f"must be a list of non-empty strings, got {value!r}",
                hint=f'e.g. {path[-1]} = ["a", "b"]',
            )
        repeated = sorted({v for v in value if value.count(v) > 1})
        if repeated:
            raise self.fail(path, f"lists {', '.join(repeated)} more than once")
        return tuple(value)

    def integers(self, table: Mapping[str, Any], path: KeyPath) -> tuple[int, ...] | None:
        """A non-empty, strictly increasing list of positive integers, or None when absent."""
        value = table.get(path[-1])
        if value is None:
            return None
        ok = isinstance(value, list) and bool(value)
        ok = ok and all(isinstance(v, int) and not isinstance(v, bool) and v > 0 for v in value)
        if not ok or any(b <= a for a, b in itertools.pairwise(value)):
            raise self.fail(
                path,
                f"must be a list of strictly increasing positive integers, got {value!r}",
                hint=f"e.g. {path[-1]} = [1, 4, 16]",
            )
        return tuple(value)

    def path(self, table: Mapping[str, Any], path: KeyPath, *, must_exist: bool) -> Path | None:
        """A file path relative to the file's directory, or None when absent."""
        value = self.text(table, path)
        if value is None:
            return None
        resolved = Path(value).expanduser()
        resolved = resolved if resolved.is_absolute() else self.root / resolved
        if must_exist and not resolved.is_file():
            raise self.fail(
                path,
                f"names {value!r}, which is not a file ({resolved})",
                hint="paths are relative to the directory of this file",
            )
        return resolved

    def store(self, table: Mapping[str, Any], path: KeyPath) -> str | None:
        """A store path (anchored like :meth:`path`) or an SQLAlchemy URL, or None."""
        value = self.text(table, path)
        if value is None or "://" in value:
            return value
        resolved = Path(value).expanduser()
        return os.fspath(resolved if resolved.is_absolute() else self.root / resolved)


def suggest(word: str, known: Collection[str], what: str) -> str:
    """``did you mean 'x'? known <what>: a, b, c`` (without the question when nothing is close)."""
    close = difflib.get_close_matches(word, list(known), n=1)
    listing = f"known {what}: {', '.join(known)}"
    return f"did you mean {close[0]!r}? {listing}" if close else listing

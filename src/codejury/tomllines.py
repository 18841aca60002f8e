"""Line numbers of the keys in a TOML document, for error messages.

``tomllib`` reports positions only for syntax errors; a document that parses gives plain
dicts with no trace of where each key was written. To say ``codejury.toml:12: concurrency
must be a positive integer`` we scan the text once more and note the line of every table
header and key. The scanner understands just enough TOML to do that reliably: ``[a.b]`` and
``[[a.b]]`` headers, bare, ``"basic"`` and ``'literal'`` keys, dotted keys, inline tables,
arrays spanning lines, all four string forms, and comments.

It is only ever run on text that ``tomllib`` has already accepted, so it never reports
errors: if it meets something it does not expect it stops and returns what it has, and
:func:`line_of` falls back to the enclosing table.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping

KeyPath = tuple[str, ...]

_BARE = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-")
_ESCAPES = {"b": "\b", "t": "\t", "n": "\n", "f": "\f", "r": "\r", '"': '"', "\\": "\\"}
_SCALAR_END = frozenset(",]}\n\r#")


def syntax_error_at(label: str, text: str, exc: tomllib.TOMLDecodeError) -> str:
    """``"<label>:<line>:<column>: invalid TOML: <what>"`` for a tomllib syntax error.

    tomllib puts the position at the end of its message; messages read better with it in
    front, where editors and terminals recognise it.
    """
    message = str(exc)
    found = re.search(r"\s*\(at line (\d+), column (\d+)\)$", message)
    if found:
        return (
            f"{label}:{found.group(1)}:{found.group(2)}: invalid TOML: {message[: found.start()]}"
        )
    message = re.sub(r"\s*\(at end of document\)$", " at the end of the file", message)
    return f"{label}:{text.count(chr(10)) + 1}: invalid TOML: {message}"


class _Stop(Exception):
    """The scanner met something it does not understand; keep what was found."""


def key_lines(text: str) -> dict[KeyPath, int]:
    """Map every table header and key of a TOML document to its 1-based line.

    Args:
        text: A document that ``tomllib`` parses.

    Returns:
        Full key paths, e.g. ``("models", "my-vllm", "concurrency")``, to the line where
        each is first written. Keys inside inline tables are included; keys inside arrays
        are not (they have no stable path).
    """
    scanner = _Scanner(text)
    try:
        scanner.document()
    except (_Stop, IndexError):
        pass
    return scanner.found


def line_of(lines: Mapping[KeyPath, int], path: KeyPath) -> int:
    """The line of ``path``, else of its nearest enclosing table that appears in the text.

    A table that was never written as a header (``[models.x]`` implies ``models``) falls back
    to the first line of anything inside it. Returns 1 when nothing matches.
    """
    for size in range(len(path), 0, -1):
        prefix = path[:size]
        if prefix in lines:
            return lines[prefix]
        inside = [line for key, line in lines.items() if key[:size] == prefix]
        if inside:
            return min(inside)
    return 1


class _Scanner:
    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0
        self.line = 1
        self.found: dict[KeyPath, int] = {}

    # --- low level --------------------------------------------------------------------------

    def _peek(self, size: int = 1) -> str:
        return self.text[self.pos : self.pos + size]

    def _goto(self, pos: int) -> None:
        self.line += self.text.count("\n", self.pos, pos)
        self.pos = pos

    def _skip_blank(self, *, newlines: bool) -> None:
        """Skip spaces and comments, and line breaks too when ``newlines``."""
        while self.pos < len(self.text):
            char = self.text[self.pos]
            if char in " \t" or (newlines and char in "\r\n"):
                self._goto(self.pos + 1)
            elif char == "#":
                end = self.text.find("\n", self.pos)
                self._goto(len(self.text) if end < 0 else end)
            else:
                return

    def _record(self, path: KeyPath, line: int) -> None:
        self.found.setdefault(path, line)

    # --- grammar ----------------------------------------------------------------------------

    def document(self) -> None:
        table: KeyPath = ()
        while True:
            self._skip_blank(newlines=True)
            if self.pos >= len(self.text):
                return
            if self._peek() == "[":
                table = self._header()
            else:
                line = self.line
                key = self._key()
                self._expect("=")
                self._record(table + key, line)
                self._value(table + key)

    def _header(self) -> KeyPath:
        double = self._peek(2) == "[["
        line = self.line
        self._goto(self.pos + (2 if double else 1))
        path = self._key()
        self._expect("]]" if double else "]")
        self._record(path, line)
        return path

    def _expect(self, token: str) -> None:
        self._skip_blank(newlines=False)
        if self._peek(len(token)) != token:
            raise _Stop
        self._goto(self.pos + len(token))
        self._skip_blank(newlines=False)

    def _key(self) -> KeyPath:
        parts: list[str] = []
        while True:
            self._skip_blank(newlines=False)
            char = self._peek()
            if char == '"':
                parts.append(self._basic_string())
            elif char == "'":
                end = self.text.index("'", self.pos + 1)
                parts.append(self.text[self.pos + 1 : end])
                self._goto(end + 1)
            else:
                start = self.pos
                while self.pos < len(self.text) and self.text[self.pos] in _BARE:
                    self.pos += 1
                if self.pos == start:
                    raise _Stop
                parts.append(self.text[start : self.pos])
            self._skip_blank(newlines=False)
            if self._peek() != ".":
                return tuple(parts)
            self._goto(self.pos + 1)

    def _basic_string(self) -> str:
        """Read a one-line ``"..."`` string at ``pos`` and return its value."""
        out: list[str] = []
        pos = self.pos + 1
        while self.text[pos] != '"':
            char = self.text[pos]
            if char != "\\":
                out.append(char)
                pos += 1
                continue
            code = self.text[pos + 1]
            if code in "uU":
                width = 4 if code == "u" else 8
                out.append(chr(int(self.text[pos + 2 : pos + 2 + width], 16)))
                pos += 2 + width
            else:
                out.append(_ESCAPES.get(code, code))
                pos += 2
        self._goto(pos + 1)
        return "".join(out)

    def _value(self, path: KeyPath | None) -> None:
        """Skip one value; record the keys of inline tables under ``path`` (None: don't)."""
        self._skip_blank(newlines=False)
        head = self._peek(3)
        if head in ('"""', "'''"):
            self._multiline_string(head)
        elif head[:1] == '"':
            self._basic_string()
        elif head[:1] == "'":
            self._goto(self.text.index("'", self.pos + 1) + 1)
        elif head[:1] == "[":
            self._array()
        elif head[:1] == "{":
            self._inline_table(path)
        else:
            start = self.pos
            while self.pos < len(self.text) and self.text[self.pos] not in _SCALAR_END:
                self.pos += 1
            if self.pos == start:
                raise _Stop

    def _multiline_string(self, quote: str) -> None:
        pos = self.pos + 3
        while not self.text.startswith(quote, pos):
            pos += 2 if quote == '"""' and self.text[pos] == "\\" else 1
        pos += 3
        # A closing delimiter may be preceded by up to two quotes that belong to the string.
        for _ in range(2):
            if self.text[pos : pos + 1] == quote[0]:
                pos += 1
        self._goto(pos)

    def _array(self) -> None:
        self._goto(self.pos + 1)
        while True:
            self._skip_blank(newlines=True)
            if self._peek() == "]":
                self._goto(self.pos + 1)
                return
            self._value(None)
            self._skip_blank(newlines=True)
            if self._peek() == ",":
                self._goto(self.pos + 1)

    def _inline_table(self, path: KeyPath | None) -> None:
        self._goto(self.pos + 1)
        while True:
            self._skip_blank(newlines=False)
            if self._peek() == "}":
                self._goto(self.pos + 1)
                return
            line = self.line
            key = self._key()
            self._expect("=")
            inner = None if path is None else path + key
            if inner is not None:
                self._record(inner, line)
            self._value(inner)
            self._skip_blank(newlines=False)
            if self._peek() == ",":
                self._goto(self.pos + 1)

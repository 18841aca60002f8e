"""Pages: Jinja2 templates (always autoescaped) and model answers as escaped, highlighted HTML.

Model text is hostile input. Templates escape every value; the only markup that reaches a page
unescaped is Pygments' highlighter output, whose every token is HTML-escaped by Pygments
itself (``&``, ``<``, ``>``, quotes), and which is produced here from plain text. Answers are
split into prose and fenced code blocks; prose is shown as escaped text (no Markdown, so no
links or images a model could plant), code is highlighted on the server, so the browser needs
no JavaScript at all.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from functools import cache, lru_cache
from importlib import resources

from jinja2 import Environment, PackageLoader, StrictUndefined
from markupsafe import Markup
from pygments import highlight  # type: ignore[import-untyped]
from pygments.formatters import HtmlFormatter  # type: ignore[import-untyped]
from pygments.lexer import Lexer  # type: ignore[import-untyped]
from pygments.lexers import (  # type: ignore[import-untyped]
    PythonLexer,
    TextLexer,
    get_lexer_by_name,
)
from pygments.util import ClassNotFound  # type: ignore[import-untyped]

MAX_SHOWN_CHARS = 100_000
"""Longer answers are cut (with a note): a page must stay small whatever a model wrote."""

_FENCE = re.compile(
    r"^[ \t]*```[ \t]*([\w+#.-]*)[^\n]*\n(.*?)(?:^[ \t]*```[ \t]*$|\Z)", re.M | re.S
)
_FORMATTER = HtmlFormatter(nowrap=True)


@dataclass(frozen=True)
class Segment:
    """A piece of an answer: prose (``html`` is None) or highlighted code."""

    text: str
    html: Markup | None = None

    @property
    def is_code(self) -> bool:
        """Whether this piece is code."""
        return self.html is not None


def _lexer(language: str) -> Lexer:
    if not language:
        return PythonLexer()
    try:
        found: Lexer = get_lexer_by_name(language.lower())
    except ClassNotFound:
        return TextLexer()
    return found


@lru_cache(maxsize=4096)
def highlight_code(code: str, language: str = "python") -> Markup:
    """Code as highlighted HTML spans; every character of ``code`` is escaped."""
    # Pygments escapes each token's text; the result holds only its own <span> tags.
    return Markup(highlight(code, _lexer(language), _FORMATTER))


def _is_python(text: str) -> bool:
    try:
        ast.parse(text)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return False
    return True


@lru_cache(maxsize=4096)
def segments(answer: str) -> tuple[Segment, ...]:
    """Split an answer into prose and highlighted code blocks, in order.

    Fenced blocks (```` ```lang ````) are code; an unclosed fence runs to the end. An answer
    with no fence at all is shown as code when it parses as Python (completion-style
    answers), else as prose.
    """
    note = ""
    if len(answer) > MAX_SHOWN_CHARS:
        answer = answer[:MAX_SHOWN_CHARS]
        note = f"[answer cut at {MAX_SHOWN_CHARS:,} characters]"
    parts: list[Segment] = []
    last = 0
    for match in _FENCE.finditer(answer):
        before = answer[last : match.start()]
        if before.strip():
            parts.append(Segment(before.strip("\n")))
        code = match.group(2).rstrip("\n")
        parts.append(Segment(code, highlight_code(code, match.group(1))))
        last = match.end()
    rest = answer[last:]
    if rest.strip():
        if not parts and _is_python(rest):
            parts.append(Segment(rest.strip("\n"), highlight_code(rest.strip("\n"))))
        else:
            parts.append(Segment(rest.strip("\n")))
    if note:
        parts.append(Segment(note))
    # Cached: highlighting is the costliest part of a page, and battles share answers.
    return tuple(parts)


@cache
def stylesheet() -> str:
    """The arena's CSS, with the highlighter's colours for ``.hl`` blocks."""
    own = resources.files("codejury.arena.web").joinpath("static/arena.css").read_text("utf-8")
    colours: str = HtmlFormatter(style="default").get_style_defs(".hl")
    return own + "\n" + colours


@cache
def environment() -> Environment:
    """The Jinja2 environment: autoescape on for every template, undefined names an error."""
    env = Environment(
        loader=PackageLoader("codejury.arena.web", "templates"),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.globals["segments"] = segments
    env.globals["highlight_code"] = highlight_code
    return env


def render(template: str, **context: object) -> str:
    """Render a page template with ``context``."""
    return environment().get_template(template).render(**context)

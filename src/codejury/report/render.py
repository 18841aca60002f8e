"""Render a report as one self-contained HTML file, Markdown or JSON.

* HTML: Jinja2 with autoescape on; inline CSS and inline SVG charts; no script, no external
  URL at all, and a Content-Security-Policy that forbids loading anything, so opening the file
  makes no request even if a model name looked like a URL.
* Markdown: the same sections as tables; every value goes through :func:`md_escape` (the
  environment's ``finalize``), so a model name cannot add markup, links or table cells.
* JSON: :meth:`ReportData.as_dict`, with NaN written as ``null``.
"""

from __future__ import annotations

import functools
import json
import math
import re
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined

from codejury.report.data import ReportData
from codejury.report.view import context

FORMATS = ("html", "md", "json")
_MD_SPECIAL = re.compile(r"([\\`*_\[\]|~])")
_MD_BLOCK_START = re.compile(r"^(\d*)([#+.)-])(?=\s|$)")


def render(data: ReportData, fmt: str) -> str:
    """The report in ``fmt`` (one of :data:`FORMATS`).

    Raises:
        ValueError: Unknown format (the CLI checks it first).
    """
    if fmt == "html":
        return render_html(data)
    if fmt == "md":
        return render_markdown(data)
    if fmt == "json":
        return render_json(data)
    raise ValueError(f"unknown report format {fmt!r}; use one of {FORMATS}")


def render_html(data: ReportData) -> str:
    """One self-contained HTML page."""
    return _html_env().get_template("report.html").render(**context(data))


def render_markdown(data: ReportData) -> str:
    """GitHub-flavoured Markdown (tables; the charts are only in the HTML report)."""
    text = _md_env().get_template("report.md").render(**context(data))
    return re.sub(r"\n{3,}", "\n\n", text).strip() + "\n"


def render_json(data: ReportData) -> str:
    """The JSON report (``codejury-report/1``)."""
    return json.dumps(_finite(data.as_dict()), indent=1, ensure_ascii=False, allow_nan=False) + "\n"


def md_escape(value: Any) -> str:
    """Text safe in a Markdown paragraph or table cell.

    HTML is escaped (``<``, ``>``, ``&``); the characters that make emphasis, code, links
    and table cells get a backslash, as does a leading heading or list marker; line breaks
    become spaces so a value cannot end a table row.
    """
    if value is None:
        return ""
    text = str(value).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    text = " ".join(_MD_SPECIAL.sub(r"\\\1", text).split())
    # "1. x" → "1\. x", "- x" → "\- x": a value never starts a list or a heading.
    return _MD_BLOCK_START.sub(r"\1\\\2", text)


@functools.cache
def _html_env() -> Environment:
    return Environment(
        loader=PackageLoader("codejury.report", "templates"),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=False,
        lstrip_blocks=False,
    )


@functools.cache
def _md_env() -> Environment:
    return Environment(
        loader=PackageLoader("codejury.report", "templates"),
        autoescape=False,
        undefined=StrictUndefined,
        finalize=md_escape,
        keep_trailing_newline=True,
    )


def _finite(value: Any) -> Any:
    # JSON has no NaN: an undefined figure (e.g. τ when every rank ties) is written as null.
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_finite(v) for v in value]
    return value

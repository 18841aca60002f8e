"""Hostile model names — from the user's runs and from an imported catalog file — stay text in
every format: no markup, no link, no broken table, no request."""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from markupsafe import escape
from report_store import HOSTILE, facts_csv, passes, seed_eval, seed_two_models

from codejury.catalog import import_file
from codejury.catalog.stored import file_sha256, save_import
from codejury.report.build import ReportOptions, build_from_store
from codejury.report.render import md_escape, render_html, render_json, render_markdown
from codejury.report.svg import esc
from codejury.store import Store


class Tags(HTMLParser):
    """Every element and attribute name in a document."""

    def __init__(self) -> None:
        super().__init__()
        self.names: set[str] = set()
        self.attributes: set[str] = set()
        self.hrefs: list[str] = []
        self.bold: list[str] = []
        self._in_bold = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.names.add(tag)
        self.attributes.update(name for name, _ in attrs)
        self.hrefs += [value or "" for name, value in attrs if name == "href"]
        self._in_bold = tag == "b"

    def handle_data(self, data: str) -> None:
        if self._in_bold:
            self.bold.append(data)
            self._in_bold = False


CATALOG_NAME = 'evil"><svg onload=alert(1)>`code` [link](http://evil.example)'


@pytest.fixture
def hostile_store(tmp_path: Path) -> Store:
    store = Store.open(tmp_path / "runs.db")
    seed_two_models(store)
    seed_eval(store, HOSTILE, passes(20))
    csv_path = facts_csv(
        tmp_path / "facts.csv",
        [
            (CATALOG_NAME, "humaneval+.pass@1", "81.5"),
            (CATALOG_NAME, "price.input_per_m", "0.2"),
            (CATALOG_NAME, "price.output_per_m", "0.8"),
            (CATALOG_NAME, "organization", "<b>Evil Corp</b>"),
        ],
        source="<script>alert('source')</script>",
        as_of="2025-06-01",
    )
    result = import_file(csv_path)
    save_import(store, result, file_sha256(csv_path), {})
    return store


def test_html_escapes_run_and_catalog_names(hostile_store: Store) -> None:
    data = build_from_store(hostile_store, ReportOptions(draws=1000, rounds=200))
    keys = {c.key for c in data.candidates}
    assert HOSTILE in keys
    imported = next(k for k in keys if CATALOG_NAME in k)
    html = render_html(data)
    hostile_store.close()
    tags = Tags()
    tags.feed(html)
    # Parsed as a browser would: no element or attribute came from a model name.
    assert not {"script", "img", "iframe", "object", "embed", "link"} & tags.names
    assert not [a for a in tags.attributes if a.startswith("on") or a == "src"]
    assert tags.hrefs and all(href.startswith("#") for href in tags.hrefs)  # the contents only
    assert "Evil Corp" not in tags.bold  # the template's <b> never wraps a catalog value
    assert tags.names >= {"svg", "table", "circle", "text"}
    # The names are shown, escaped, in the tables (Jinja) and the charts (codejury.report.svg).
    assert f'data-key="{escape(HOSTILE)}"' in html
    assert f'data-key="{escape(imported)}"' in html
    chart = html[html.index('class="chart chart-pareto"') :]
    assert f'data-key="{esc(imported)}"' in chart[: chart.index("</svg>")]
    assert "&lt;script&gt;alert(&#x27;source&#x27;)&lt;/script&gt;" in html


def test_markdown_escapes_and_keeps_tables_whole(hostile_store: Store) -> None:
    data = build_from_store(hostile_store, ReportOptions(draws=1000, rounds=200))
    md = render_markdown(data)
    hostile_store.close()
    assert "<script" not in md and "<img" not in md and "<svg" not in md
    assert not re.search(r"(?<!\\)\]\(", md)  # no Markdown link survives
    assert md_escape(HOSTILE) in md
    row = next(line for line in md.splitlines() if line.startswith("|") and "pwned" in line)
    header = next(
        line for line in md.splitlines() if line.startswith("| model | run | date | tasks")
    )
    assert len(re.findall(r"(?<!\\)\|", row)) == len(re.findall(r"(?<!\\)\|", header))


def test_json_keeps_the_names_as_data(hostile_store: Store) -> None:
    data = build_from_store(hostile_store, ReportOptions(draws=1000, rounds=200))
    doc = json.loads(render_json(data))
    hostile_store.close()
    names = {c["name"] for c in doc["candidates"]}
    assert HOSTILE in names
    assert any(CATALOG_NAME in name for name in names)


def test_md_escape_rules() -> None:
    assert md_escape("a|b") == "a\\|b"
    assert md_escape("<i>x</i>") == "&lt;i&gt;x&lt;/i&gt;"
    assert md_escape("[x](http://e)") == "\\[x\\](http://e)"
    assert md_escape("line\nbreak") == "line break"
    assert md_escape("- item") == "\\- item"
    assert md_escape("1. item") == "1\\. item"
    assert md_escape("87.2 % [1, 2]") == "87.2 % \\[1, 2\\]"
    assert md_escape("+3.1 points") == "+3.1 points"

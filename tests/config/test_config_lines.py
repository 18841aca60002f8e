"""The key locator: every key tomllib sees is found on the line it is written on."""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterator, Mapping
from pathlib import Path

import pytest

from codejury.tomllines import KeyPath, key_lines, line_of

REPO = Path(__file__).resolve().parents[2]

TRICKY = '''\
# [not.a.table] = 1
title = "a # not a comment"   # a comment with [brackets] and key = 1
"quoted key" = 1
'literal.key' = 2
"esc\\u00e9\\"q" = 3
dotted.inner.leaf = 4         # defines tables dotted and dotted.inner

[models.my-vllm]
provider = "vllm"
prices = { input = 0.2, output = 0.6, tiers = { bulk = 0.1 } }
notes = """
fake = "line"
[fake.header]
"""
literal = \'\'\'
also = "fake"\'\'\'
list = [
  { name = "x" },   # a comment inside an array
  "]",
  [1, 2],
]
after_list = true

  [ models . "dots.in.name" ]   # spaced header, quoted part with dots
  concurrency = 32
  site."google.com".x = 1

[[runs]]
name = "first"

[[runs]]
name = "second"
tail = 'single # quoted'
'''


def walk(table: Mapping[str, object], prefix: KeyPath = ()) -> Iterator[KeyPath]:
    for key, value in table.items():
        yield (*prefix, key)
        if isinstance(value, dict):
            yield from walk(value, (*prefix, key))


def names_key(line: str, key: str) -> bool:
    """Whether ``line`` writes ``key`` as a key (bare or quoted), not merely mentions it."""
    spelled = f"(?:{re.escape(key)}|\"{re.escape(key)}\"|'{re.escape(key)}')"
    return re.search(rf"(?:^|[\s.{{\[,]){spelled}\s*(?:=|\]|\.)", line) is not None


def test_the_tricky_document_is_valid_toml() -> None:
    tomllib.loads(TRICKY)


@pytest.mark.parametrize(
    ("path", "line"),
    [
        (("title",), 2),
        (("quoted key",), 3),
        (("literal.key",), 4),
        (('esc\u00e9"q',), 5),
        (("dotted", "inner", "leaf"), 6),
        (("models", "my-vllm"), 8),
        (("models", "my-vllm", "provider"), 9),
        (("models", "my-vllm", "prices"), 10),
        (("models", "my-vllm", "prices", "output"), 10),
        (("models", "my-vllm", "prices", "tiers", "bulk"), 10),
        (("models", "my-vllm", "notes"), 11),
        (("models", "my-vllm", "literal"), 15),
        (("models", "my-vllm", "list"), 17),
        (("models", "my-vllm", "after_list"), 22),
        (("models", "dots.in.name"), 24),
        (("models", "dots.in.name", "concurrency"), 25),
        (("models", "dots.in.name", "site", "google.com", "x"), 26),
        (("runs",), 28),
        (("runs", "tail"), 33),
    ],
)
def test_tricky_keys_are_found_on_their_line(path: KeyPath, line: int) -> None:
    assert key_lines(TRICKY)[path] == line


def test_text_inside_strings_and_comments_is_never_taken_for_keys() -> None:
    found = key_lines(TRICKY)
    in_strings = [p for p in found if p[0] in ("not", "fake") or p[-1] in ("fake", "also")]
    in_arrays = [p for p in found if p[:3] == ("models", "my-vllm", "list") and len(p) > 3]
    assert in_strings == [] and in_arrays == []


def test_every_key_of_the_documented_example_is_located() -> None:
    docs = (REPO / "docs" / "config.md").read_text(encoding="utf-8")
    example = re.findall(r"```toml\n(.*?)```", docs, flags=re.S)[0]
    text_lines = example.splitlines()
    doc = tomllib.loads(example)
    found = key_lines(example)
    implicit = {("models",), ("prices",)}  # never written as headers in the example
    for path in walk(doc):
        if path in implicit:
            assert path not in found
            continue
        line = found[path]
        assert names_key(text_lines[line - 1], path[-1]), (path, line)
    # Independent of the above: keys of one table appear in the order tomllib read them.
    for path in [(), *walk(doc)]:
        table = doc
        for part in path:
            table = table[part]
        if isinstance(table, dict) and path not in implicit:
            lines = [found[(*path, key)] for key in table if (*path, key) not in implicit]
            assert lines == sorted(lines), path


def test_line_of_falls_back_to_the_enclosing_table() -> None:
    found = key_lines(TRICKY)
    assert line_of(found, ("models", "my-vllm", "rpm")) == 8
    assert line_of(found, ("models", "my-vllm", "prices", "cached_input")) == 10
    # "models" was never written as a header: the first thing inside it
    assert line_of(found, ("models",)) == 8
    assert line_of(found, ("dotted", "inner")) == 6
    assert line_of(found, ("nothing", "here")) == 1


def test_the_first_occurrence_wins_for_arrays_of_tables() -> None:
    assert key_lines(TRICKY)[("runs", "name")] == 29


def test_an_unexpected_document_returns_what_was_found_without_raising() -> None:
    # Not valid TOML: the locator is never given such text, but must not crash on it.
    found = key_lines("a = 1\n= oops\nb = 2\n")
    assert found == {("a",): 1}

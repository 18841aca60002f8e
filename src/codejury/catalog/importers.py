"""Read published leaderboards and the facts CSV into facts about *source* model names.

Each parser takes the already-decoded file (JSON value or CSV text), checks its shape, and
returns a :class:`ParsedFile` whose facts still use the names the source wrote; linking those
names to canonical keys is ``codejury.catalog.matching``'s job. Every problem is a
:class:`~codejury.errors.DataError` naming the file and the record (model name, list index or
CSV line) and saying what to do.

Formats:

* ``evalplus``: EvalPlus's leaderboard ``results.json``: ``{model: {link, open-data, pass@1:
  {humaneval, humaneval+, mbpp, mbpp+}, prompted, size}}``; ``size`` is the activated
  parameters in billions and null for API models.
* ``lmarena``: LMArena's ``leaderboard-text.json``: ``{category: {model: {rating, rating_q025,
  rating_q975}}}``.
* ``lmarena-prices``: LMArena's ``scatterplot-data.json``: a list of ``{name, model_api_name,
  input_token_price, output_token_price, organization, license, price_source}``, prices in USD
  per 1M tokens, except for text-to-image models (per image), which are skipped.
* ``lmsys-table``: the Chatbot Arena space's ``leaderboard_table_YYYYMMDD.csv``
  (organization, license, knowledge cutoff, link).
* ``csv``: codejury's own format, one fact per row (see ``docs/catalog.md``).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from codejury.catalog.fields import FactValue, check_date, coerce, known_fields_hint
from codejury.errors import DataError

CSV_COLUMNS = ("model", "field", "value", "source", "as_of")
"""Required columns of the facts CSV, in this order; ``note`` may follow."""

IMAGE_MODELS = frozenset(
    {
        "dall-e-3",
        "flux-1-dev-fp8",
        "flux-1.1-pro",
        "ideogram-v2",
        "imagen-3.0-generate-002",
        "photon",
        "recraft-v3",
        "stable-diffusion-v35-large",
    }
)
"""``model_api_name``s in LMArena's price file that are text-to-image models, priced per image.

The file itself does not say which entries are image models; lmarena/arena-catalog tells them
apart by listing them in ``leaderboard-image.json``. These are the ones listed there at commit
c9558b6 (2025-12-17). Extend this list when a newer price file adds image models.
"""

_LMSYS_COLUMNS = ("key", "Model", "Organization", "License", "Knowledge cutoff date", "Link")


@dataclass(frozen=True)
class SourceInfo:
    """Provenance given to every fact of a file that has no per-record source.

    Attributes:
        source: The file or publication, e.g. ``evalplus/evalplus.github.io@8741845 results.json``.
        as_of: ISO date of the data.
    """

    source: str
    as_of: str


@dataclass(frozen=True)
class RawFact:
    """A fact about a model as the source names it, before matching."""

    name: str
    field: str
    value: FactValue
    source: str
    as_of: str
    note: str | None = None


@dataclass
class ParsedFile:
    """What a parser read from one file.

    Attributes:
        kind: The format, e.g. ``evalplus``.
        namespace: The mapping section its names belong to.
        records: Records read (models, entries, category-model pairs or CSV rows).
        facts: The facts, by source name.
        display_names: Source name -> the human name the source gives, where it gives one.
        skipped: Records left out on purpose, each with the reason.
        warnings: Things a reviewer should know that did not stop the import.
    """

    kind: str
    namespace: str
    records: int = 0
    facts: list[RawFact] = field(default_factory=list)
    display_names: dict[str, str] = field(default_factory=dict)
    skipped: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def parse_evalplus(data: Any, origin: str, info: SourceInfo) -> ParsedFile:
    """Parse EvalPlus's leaderboard ``results.json``.

    Scores become ``<benchmark>.pass@1`` (percent); ``size`` becomes ``active_parameters_b``
    and, by the leaderboard's own rule that only API models lack a size, ``open_weights``.

    Raises:
        DataError: If the layout is not EvalPlus's or a value does not fit its field.
    """
    models = _expect(data, dict, origin, "the top level", "an object of model name -> result")
    parsed = ParsedFile("evalplus", "evalplus", records=len(models))
    for name, raw in models.items():
        where = f"{origin}: record {name!r}"
        entry = _expect(raw, dict, where, "the record", "an object with pass@1, size, link...")
        scores = _expect(entry.get("pass@1"), dict, where, "'pass@1'", "an object of scores")
        add = _adder(parsed, name, info, where)
        for benchmark, score in scores.items():
            if score is not None:
                add(f"{benchmark}.pass@1", score)
        size = entry.get("size")
        if size is not None:
            add("active_parameters_b", size)
        add(
            "open_weights",
            size is not None,
            "derived: EvalPlus gives a size (activated parameters) only for open-weight "
            "models; it is null for API models",
        )
        for key, fact_field in (
            ("prompted", "evalplus.prompted"),
            ("open-data", "evalplus.open_data"),
            ("link", "link"),
        ):
            if entry.get(key) not in (None, ""):
                add(fact_field, entry[key])
        parsed.display_names[name] = name
    return parsed


def parse_lmarena(
    data: Any, origin: str, info: SourceInfo, categories: Iterable[str] | None = None
) -> ParsedFile:
    """Parse an LMArena leaderboard file (``leaderboard-text.json`` and alike).

    Args:
        data: The decoded JSON.
        origin: The file, for messages.
        info: Source and date for every fact.
        categories: Categories to keep (e.g. ``coding``, ``full``); None keeps all.

    Raises:
        DataError: If the layout is wrong, a rating is not a number, or a requested category
            is not in the file.
    """
    board = _expect(data, dict, origin, "the top level", "an object of category -> models")
    wanted = list(board) if categories is None else list(categories)
    missing = [c for c in wanted if c not in board]
    if missing:
        raise DataError(
            f"{origin}: no category {', '.join(map(repr, missing))} in this leaderboard",
            hint=f"the file has: {', '.join(sorted(board))}",
        )
    parsed = ParsedFile("lmarena", "lmarena")
    for category in wanted:
        ratings = _expect(board[category], dict, origin, f"category {category!r}", "an object")
        for name, raw in ratings.items():
            where = f"{origin}: {category} record {name!r}"
            entry = _expect(raw, dict, where, "the record", "an object with rating, q025, q975")
            add = _adder(parsed, name, info, where)
            for key, suffix in (
                ("rating", "rating"),
                ("rating_q025", "q025"),
                ("rating_q975", "q975"),
            ):
                if key not in entry:
                    raise DataError(f"{where}: no {key!r}", hint="is this an LMArena leaderboard?")
                add(f"arena.{category}.{suffix}", entry[key])
            parsed.records += 1
    return parsed


def parse_lmarena_prices(data: Any, origin: str, info: SourceInfo) -> ParsedFile:
    """Parse LMArena's ``scatterplot-data.json`` (prices, organization, license).

    Text-to-image models (:data:`IMAGE_MODELS`) are skipped: their prices are per image. An
    empty price means the file has none; no fact is made for it.

    Raises:
        DataError: If the layout is wrong or a price is not a number.
    """
    entries = _expect(data, list, origin, "the top level", "a list of model entries")
    parsed = ParsedFile("lmarena-prices", "lmarena", records=len(entries))
    for i, raw in enumerate(entries):
        where = f"{origin}: entry {i}"
        entry = _expect(raw, dict, where, "the entry", "an object with model_api_name...")
        name = entry.get("model_api_name")
        if not isinstance(name, str) or not name.strip():
            raise DataError(f"{where}: 'model_api_name' is missing or empty")
        where = f"{where} ({name})"
        if name in IMAGE_MODELS:
            parsed.skipped.append(f"{name}: text-to-image model, priced per image")
            continue
        add = _adder(parsed, name, info, where)
        url = str(entry.get("price_source") or "").strip()
        note = f"price source: {url}" if url and url.lower() != "n/a" else None
        for key, fact_field in (
            ("input_token_price", "price.input_per_m"),
            ("output_token_price", "price.output_per_m"),
        ):
            if entry.get(key) not in (None, ""):
                add(fact_field, entry[key], note)
        if entry.get("input_token_price") in (None, ""):
            parsed.warnings.append(f"{name}: no price in the file")
        for key in ("organization", "license"):
            if entry.get(key) not in (None, ""):
                add(key, entry[key])
        if isinstance(entry.get("name"), str) and entry["name"].strip():
            parsed.display_names[name] = entry["name"].strip()
    return parsed


def parse_lmsys_table(text: str, origin: str, info: SourceInfo) -> ParsedFile:
    """Parse the Chatbot Arena space's ``leaderboard_table_YYYYMMDD.csv``.

    Keeps organization, license, knowledge cutoff and link; a ``-`` means "not stated".

    Raises:
        DataError: If a column is missing or a row is short.
    """
    rows = csv.reader(io.StringIO(text))
    header = next(rows, [])
    missing = [c for c in _LMSYS_COLUMNS if c not in header]
    if missing:
        raise DataError(f"{origin}: line 1: missing column(s) {', '.join(missing)}")
    col = {name: header.index(name) for name in _LMSYS_COLUMNS}
    parsed = ParsedFile("lmsys-table", "lmarena")
    for row in rows:
        if not any(cell.strip() for cell in row):
            continue
        where = f"{origin}: line {rows.line_num}"
        if len(row) != len(header):
            raise DataError(f"{where}: {len(row)} cells, the header has {len(header)}")
        name = row[col["key"]].strip()
        add = _adder(parsed, name, info, where)
        for column, fact_field in (
            ("Organization", "organization"),
            ("License", "license"),
            ("Knowledge cutoff date", "knowledge_cutoff"),
            ("Link", "link"),
        ):
            cell = row[col[column]].strip()
            if cell and cell != "-":
                add(fact_field, cell)
        if row[col["Model"]].strip():
            parsed.display_names[name] = row[col["Model"]].strip()
        parsed.records += 1
    return parsed


def parse_facts_csv(text: str, origin: str) -> ParsedFile:
    """Parse codejury's facts CSV: ``model,field,value,source,as_of[,note]``, one fact a row.

    Blank lines and lines whose first cell starts with ``#`` are ignored.

    Raises:
        DataError: With the line number, for a wrong header, an empty cell, an unknown field,
            a value that does not fit its field, or a date that is not ``YYYY[-MM[-DD]]``.
    """
    rows = csv.reader(io.StringIO(text))
    header = [cell.strip() for cell in next(_content_rows(rows), [])]
    if tuple(header[:5]) != CSV_COLUMNS or header[5:] not in ([], ["note"]):
        raise DataError(
            f"{origin}: line {rows.line_num}: the header is {','.join(header)!r}",
            hint="the first line must be model,field,value,source,as_of (optionally ,note)",
        )
    parsed = ParsedFile("csv", "csv")
    for row in _content_rows(rows):
        where = f"{origin}: line {rows.line_num}"
        if len(row) != len(header):
            raise DataError(
                f"{where}: {len(row)} cells, expected {len(header)}",
                hint="quote values that contain commas",
            )
        cells = dict(zip(header, (cell.strip() for cell in row), strict=True))
        empty = [c for c in CSV_COLUMNS if not cells[c]]
        if empty:
            raise DataError(f"{where}: empty {', '.join(empty)}", hint="every column is required")
        try:
            check_date(cells["as_of"])
        except ValueError as exc:
            raise DataError(f"{where}: as_of: {exc}") from None
        info = SourceInfo(cells["source"], cells["as_of"])
        _adder(parsed, cells["model"], info, where)(
            cells["field"], cells["value"], cells.get("note") or None
        )
        parsed.records += 1
    return parsed


def _content_rows(rows: Iterable[list[str]]) -> Iterator[list[str]]:
    for row in rows:
        if any(cell.strip() for cell in row) and not row[0].lstrip().startswith("#"):
            yield row


def _adder(parsed: ParsedFile, name: str, info: SourceInfo, where: str) -> _Add:
    if not name.strip():
        raise DataError(f"{where}: the model name is empty")
    return _Add(parsed, name, info, where)


@dataclass(frozen=True)
class _Add:
    """Checks one value against its field and appends the fact (a bound helper, not API)."""

    parsed: ParsedFile
    name: str
    info: SourceInfo
    where: str

    def __call__(self, fact_field: str, raw: object, note: str | None = None) -> None:
        try:
            value = coerce(fact_field, raw)
        except ValueError as exc:
            hint = known_fields_hint() if "unknown field" in str(exc) else "fix the value"
            raise DataError(f"{self.where}: {exc}", hint=hint) from None
        self.parsed.facts.append(
            RawFact(self.name, fact_field, value, self.info.source, self.info.as_of, note)
        )


def _expect(value: Any, kind: type, where: str, what: str, expected: str) -> Any:
    if not isinstance(value, kind):
        raise DataError(
            f"{where}: {what} is {type(value).__name__}, expected {expected}",
            hint="check that the file is the format you named (or let codejury detect it)",
        )
    return value


def json_kind(data: Any) -> str | None:
    """Tell a decoded JSON file's format from its shape, or None when it is none of ours."""
    if isinstance(data, list) and data and isinstance(data[0], Mapping):
        return "lmarena-prices" if "model_api_name" in data[0] else None
    if isinstance(data, dict) and data:
        first = next(iter(data.values()))
        if isinstance(first, Mapping) and "pass@1" in first:
            return "evalplus"
        if isinstance(first, Mapping) and first:
            inner = next(iter(first.values()))
            if isinstance(inner, Mapping) and "rating" in inner:
                return "lmarena"
    return None


def csv_kind(text: str) -> str | None:
    """Tell a CSV file's format from its header, or None when it is none of ours."""
    header = [cell.strip() for cell in next(_content_rows(csv.reader(io.StringIO(text))), [])]
    if tuple(header[:5]) == CSV_COLUMNS:
        return "csv"
    if header[:1] == ["key"] and all(c in header for c in _LMSYS_COLUMNS):
        return "lmsys-table"
    return None

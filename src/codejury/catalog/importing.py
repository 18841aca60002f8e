"""Import one file into catalog facts: detect its format, parse it, link its model names.

This is what ``codejury catalog import FILE`` calls. The result says, for every model name in
the file, which canonical key it was linked to and by which rule, lists the names that matched
nothing (their facts are kept under a key of their own) with suggestions that are never applied,
and carries the facts ready to add to a catalog.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from codejury.catalog import importers
from codejury.catalog.builtin import builtin_mapping
from codejury.catalog.fields import check_date
from codejury.catalog.importers import ParsedFile, SourceInfo
from codejury.catalog.matching import Matcher, NameMapping, Resolution, mapping_line
from codejury.catalog.models import Catalog, Fact, ModelEntry
from codejury.errors import DataError

KINDS = ("evalplus", "lmarena", "lmarena-prices", "lmsys-table", "csv")
"""The formats :func:`import_file` reads (see ``codejury.catalog.importers``)."""

_TABLE_DATE = re.compile(r"(\d{4})(\d{2})(\d{2})")


@dataclass
class ImportResult:
    """What one import read and how its names were linked.

    Attributes:
        path: The file.
        kind: Its format.
        namespace: The mapping section its names belong to (for the lines users add).
        source: The source recorded on its facts (CSV rows carry their own).
        records: Records read (models, entries, category-model pairs or CSV rows).
        facts: The facts, under canonical keys.
        models: One entry per key the file touched, with the file's names as aliases.
        resolutions: Every source name -> key and the rule that linked it.
        unmatched: Names linked to no known model (kept under their own key).
        suggestions: Unmatched name -> up to three close keys; shown, never applied.
        skipped: Records left out on purpose, with the reason.
        warnings: Things to review that did not stop the import.
    """

    path: Path
    kind: str
    namespace: str
    source: str
    records: int
    facts: list[Fact] = field(default_factory=list)
    models: list[ModelEntry] = field(default_factory=list)
    resolutions: dict[str, Resolution] = field(default_factory=dict)
    unmatched: list[str] = field(default_factory=list)
    suggestions: dict[str, list[str]] = field(default_factory=dict)
    skipped: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def to_catalog(self) -> Catalog:
        """Return the imported models and facts as a catalog (add it with ``update``)."""
        return Catalog(self.facts, self.models)

    def accept_line(self, name: str, key: str) -> str:
        """Return the mapping-file lines a user adds to link ``name`` to ``key``."""
        return mapping_line(self.namespace, name, key)

    def as_dict(self) -> dict[str, Any]:
        """Return a JSON-ready summary (facts included)."""
        return {
            "path": str(self.path),
            "kind": self.kind,
            "namespace": self.namespace,
            "source": self.source,
            "records": self.records,
            "facts": [fact.as_dict() for fact in self.facts],
            "models": [entry.as_dict() for entry in self.models],
            "resolutions": [res.as_dict() for res in self.resolutions.values()],
            "unmatched": list(self.unmatched),
            "suggestions": {name: list(keys) for name, keys in self.suggestions.items()},
            "skipped": list(self.skipped),
            "warnings": list(self.warnings),
        }


def import_file(
    path: Path,
    kind: str | None = None,
    *,
    mapping: NameMapping | None = None,
    reference: Catalog | None = None,
    source: str | None = None,
    as_of: str | None = None,
    categories: Sequence[str] | None = None,
) -> ImportResult:
    """Read a leaderboard or facts file and link its model names to canonical keys.

    Args:
        path: The file.
        kind: One of :data:`KINDS`; None detects it from the content.
        mapping: Extra mapping lines (a user's file), layered over the built-in ones.
        reference: The catalog whose models names are linked to; None: the built-in catalog.
        source: What to record as every fact's source (not for CSV, whose rows say it);
            default: the file name and the start of its sha256.
        as_of: The data's date (not for CSV); default: the date in an LMSYS table's file
            name, else the file's modification date (with a warning).
        categories: LMArena categories to keep; None keeps all.

    Returns:
        An :class:`ImportResult`; nothing is added to any catalog yet.

    Raises:
        DataError: If the file cannot be read, its format is unknown, or a record is wrong.
    """
    if kind is not None and kind not in KINDS:
        raise DataError(f"unknown catalog file kind {kind!r}", hint=f"use one of {KINDS}")
    raw = _read(path)
    text = _text(path, raw)
    data = _decode(path, text, kind)
    kind = kind or _detect(path, text, data)
    warnings: list[str] = []
    if kind == "csv":
        if source is not None or as_of is not None:
            warnings.append("source/as_of were ignored: every CSV row names its own")
        parsed = importers.parse_facts_csv(text, str(path))
        source = f"{path.name} (each row names its source)"
    else:
        info = SourceInfo(
            source or f"{path.name} (sha256:{hashlib.sha256(raw).hexdigest()[:12]})",
            _as_of(path, kind, as_of, warnings),
        )
        parsed = _parse(kind, data, text, str(path), info, categories)
        source = info.source
    base = builtin_mapping()
    matcher = Matcher(
        mapping.over(base) if mapping is not None else base,
        reference if reference is not None else Catalog.builtin(),
    )
    return link(path, parsed, matcher, source, warnings)


def detect_kind(path: Path) -> str:
    """Return the format of a file from its content.

    Raises:
        DataError: If it cannot be read or is none of :data:`KINDS`.
    """
    text = _text(path, _read(path))
    return _detect(path, text, _decode(path, text, None))


def link(
    path: Path,
    parsed: ParsedFile,
    matcher: Matcher,
    source: str,
    warnings: Sequence[str] = (),
) -> ImportResult:
    """Link a parsed file's names with ``matcher`` and build the :class:`ImportResult`.

    :func:`import_file` uses it; so does the built-in catalog's generator, which parses
    files and seed tables itself.
    """
    report = matcher.resolve(parsed.namespace, (raw.name for raw in parsed.facts))
    result = ImportResult(
        path=path,
        kind=parsed.kind,
        namespace=parsed.namespace,
        source=source,
        records=parsed.records,
        resolutions=report.resolutions,
        unmatched=report.unmatched,
        suggestions=report.suggestions,
        skipped=parsed.skipped,
        warnings=[*warnings, *parsed.warnings, *report.warnings],
    )
    for raw in parsed.facts:
        key = report.resolutions[raw.name].key
        result.facts.append(Fact(key, raw.field, raw.value, raw.source, raw.as_of, note=raw.note))
    for name, res in report.resolutions.items():
        aliases = {} if name == res.key else {parsed.namespace: (name,)}
        display = parsed.display_names.get(name, name)
        result.models.append(ModelEntry(res.key, display, aliases))
    return result


def _parse(
    kind: str,
    data: Any,
    text: str,
    origin: str,
    info: SourceInfo,
    categories: Sequence[str] | None,
) -> ParsedFile:
    # The CSV format is parsed by the caller: its rows carry their own source and date.
    if kind == "evalplus":
        return importers.parse_evalplus(data, origin, info)
    if kind == "lmarena":
        return importers.parse_lmarena(data, origin, info, categories)
    if kind == "lmarena-prices":
        return importers.parse_lmarena_prices(data, origin, info)
    return importers.parse_lmsys_table(text, origin, info)


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise DataError(f"{path}: cannot read: {exc.strerror or exc}") from None


def _text(path: Path, raw: bytes) -> str:
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise DataError(
            f"{path}: byte {exc.start}: not UTF-8 text",
            hint="save the file as UTF-8 (CSV exports often default to another encoding)",
        ) from None


def _decode(path: Path, text: str, kind: str | None) -> Any:
    """Decode JSON when the kind is a JSON one or the text looks like JSON; else None."""
    looks_json = text.lstrip()[:1] in ("{", "[")
    if kind in ("csv", "lmsys-table") or (kind is None and not looks_json):
        return None
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise DataError(
            f"{path}: line {exc.lineno}, column {exc.colno}: not valid JSON: {exc.msg}",
            hint="the file may be truncated; download it again",
        ) from None


def _detect(path: Path, text: str, data: Any) -> str:
    kind = importers.json_kind(data) if data is not None else importers.csv_kind(text)
    if kind is None:
        raise DataError(
            f"{path}: cannot tell what kind of catalog file this is",
            hint=f"name the kind explicitly, one of: {', '.join(KINDS)}",
        )
    return kind


def _as_of(path: Path, kind: str, given: str | None, warnings: list[str]) -> str:
    if given is not None:
        try:
            return check_date(given)
        except ValueError as exc:
            raise DataError(f"as_of: {exc}") from None
    if kind == "lmsys-table":
        match = _TABLE_DATE.search(path.name)
        if match:
            try:
                return check_date("-".join(match.groups()))
            except ValueError:
                pass
    day = dt.date.fromtimestamp(path.stat().st_mtime).isoformat()
    warnings.append(
        f"the file has no date; used its modification date {day} as the facts' as_of "
        "(give the date of the data explicitly)"
    )
    return day

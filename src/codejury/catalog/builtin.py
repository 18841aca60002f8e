"""The catalog shipped with codejury, so a report works offline out of the box.

Two package files under ``codejury/data/catalog``:

* ``mapping.toml``: the reviewed name mapping (hand-written; see ``codejury.catalog.matching``).
* ``facts.json``: every built-in fact, each with its source and date. It is *generated* by
  ``scripts/build_catalog.py`` from the pinned files in ``../shared/data/leaderboards`` and
  the dated tables of ``../shared/seeds``; do not edit it by hand, run the script.

``facts.json`` groups facts by (source, date) and writes one fact per line, so a regenerated
file diffs line by line. Loading it takes about 15 ms (see tests/catalog/test_builtin.py).
"""

from __future__ import annotations

import functools
import importlib.resources
import json
from collections.abc import Iterable, Mapping
from importlib.resources.abc import Traversable
from typing import Any

from codejury.catalog.fields import check_date, coerce
from codejury.catalog.matching import NameMapping
from codejury.catalog.models import Catalog, Fact, ModelEntry
from codejury.errors import DataError

FORMAT = "codejury-catalog/1"
FACTS_FILE = "facts.json"
MAPPING_FILE = "mapping.toml"


def data_file(name: str) -> Traversable:
    """Return a file of the built-in catalog inside the installed package."""
    return importlib.resources.files("codejury").joinpath("data", "catalog", name)


@functools.cache
def builtin_mapping() -> NameMapping:
    """Return the built-in name mapping (parsed once per process)."""
    return NameMapping.parse(data_file(MAPPING_FILE).read_text("utf-8"), MAPPING_FILE)


def load_builtin() -> Catalog:
    """Return a fresh catalog of the built-in facts (the file is parsed once per process)."""
    facts, models = _builtin_parts()
    return Catalog(facts, models)


@functools.cache
def _builtin_parts() -> tuple[tuple[Fact, ...], tuple[ModelEntry, ...]]:
    facts, models, _ = loads_catalog(data_file(FACTS_FILE).read_text("utf-8"), FACTS_FILE)
    return tuple(facts), tuple(models)


def dumps_catalog(catalog: Catalog, header: Mapping[str, Any]) -> str:
    """Serialise a catalog in the built-in file's layout (deterministic for equal input).

    Args:
        catalog: The catalog; its facts keep their order within each (source, date) group and
            groups come in the order their first fact was added.
        header: Extra top-level keys (``generated_by``, ``inputs``...), written first.

    Returns:
        JSON text, one model and one fact per line.
    """
    groups: dict[tuple[str, str, str], list[Fact]] = {}
    for fact in catalog.facts():
        groups.setdefault((fact.source, fact.as_of, fact.kind), []).append(fact)
    parts = ["{", f'"format": {_j(FORMAT)},']
    parts += [f"{_j(key)}: {_j(value)}," for key, value in header.items()]
    parts.append('"models": [')
    parts.append(",\n".join(_j(entry.as_dict()) for entry in catalog.models()))
    parts.append("],")
    parts.append('"groups": [')
    blocks = []
    for (source, as_of, kind), facts in groups.items():
        head = f'{{"source": {_j(source)}, "as_of": {_j(as_of)}, "kind": {_j(kind)}, "facts": ['
        rows = ",\n".join(_j(_row(fact)) for fact in facts)
        blocks.append(f"{head}\n{rows}\n]}}")
    parts.append(",\n".join(blocks))
    parts.append("]")
    parts.append("}")
    return "\n".join(parts) + "\n"


def loads_catalog(text: str, origin: str) -> tuple[list[Fact], list[ModelEntry], dict[str, Any]]:
    """Parse the built-in file's layout.

    Args:
        text: The file's text.
        origin: Its name, for error messages.

    Returns:
        The facts (in file order), the model entries, and the other top-level keys.

    Raises:
        DataError: If the format tag is wrong or any record is malformed; the message names
            the group and row.
    """
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise DataError(
            f"{origin}: line {exc.lineno}: not valid JSON: {exc.msg}",
            hint="regenerate it with scripts/build_catalog.py",
        ) from None
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise DataError(f"{origin}: not a {FORMAT} file", hint="regenerate it")
    models = [
        ModelEntry.from_dict(raw, f"{origin}: models[{i}]")
        for i, raw in enumerate(_list(data, "models", origin))
    ]
    facts: list[Fact] = []
    for g, group in enumerate(_list(data, "groups", origin)):
        facts.extend(_group_facts(group, f"{origin}: groups[{g}]"))
    header = {k: v for k, v in data.items() if k not in ("format", "models", "groups")}
    return facts, models, header


def _group_facts(group: Any, where: str) -> Iterable[Fact]:
    if not isinstance(group, dict):
        raise DataError(f"{where}: not an object")
    source, as_of, kind = group.get("source"), group.get("as_of"), group.get("kind")
    if not isinstance(source, str) or not source or not isinstance(as_of, str):
        raise DataError(f"{where}: every group needs a source and an as_of date")
    if kind not in ("public", "measured"):
        raise DataError(f"{where}: kind must be public or measured, got {kind!r}")
    try:
        check_date(as_of)
    except ValueError as exc:
        raise DataError(f"{where}: {exc}") from None
    rows = group.get("facts")
    if not isinstance(rows, list):
        raise DataError(f"{where}: 'facts' must be a list")
    for r, row in enumerate(rows):
        if not isinstance(row, list) or len(row) not in (3, 4):
            raise DataError(f"{where}.facts[{r}]: expected [model, field, value(, note)]")
        model, field, value = row[:3]
        note = row[3] if len(row) == 4 else None
        if not isinstance(model, str) or not isinstance(field, str):
            raise DataError(f"{where}.facts[{r}]: model and field must be text")
        try:
            checked = coerce(field, value)
        except ValueError as exc:
            raise DataError(f"{where}.facts[{r}] ({model}): {exc}") from None
        yield Fact(model, field, checked, source, as_of, kind, note)


def _row(fact: Fact) -> list[Any]:
    row: list[Any] = [fact.model, fact.field, fact.value]
    return row if fact.note is None else [*row, fact.note]


def _list(data: Mapping[str, Any], key: str, origin: str) -> list[Any]:
    value = data.get(key)
    if not isinstance(value, list):
        raise DataError(f"{origin}: {key!r} must be a list")
    return value


def _j(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)

"""The catalog of public evidence: facts about models, each with its source and date.

A :class:`Fact` is one figure or statement a source published about one model, e.g. EvalPlus's
HumanEval+ pass@1 for ``gpt-4o-2024-08-06``. The :class:`Catalog` keeps every fact it is given:
two sources that disagree are both kept and nothing is ever averaged; a query returns the newest
fact together with where it came from, and :meth:`Catalog.conflicts` shows the disagreement.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from codejury.catalog.fields import FactValue, check_date, coerce
from codejury.errors import DataError

FactKind = Literal["public", "measured"]
"""``public``: published by someone else (this package); ``measured``: codejury's own runs."""


@dataclass(frozen=True, slots=True)
class Fact:
    """One published figure or statement about one model.

    Attributes:
        model: The canonical model key the fact is about, e.g. ``gpt-4o-2024-08-06``.
        field: What it states, e.g. ``humaneval+.pass@1`` (see ``codejury.catalog.fields``).
        value: The figure or text, in the field's unit (pass@k in percent, prices in USD per
            1M tokens).
        source: Where it was published or read: a file with its repository and commit, or a
            publication with its author, title and address.
        as_of: The date the source states or was taken at, ISO ``YYYY[-MM[-DD]]``.
        kind: ``public`` for facts published by others.
        note: A caveat that belongs with the figure (how it was derived, what it covers).
    """

    model: str
    field: str
    value: FactValue
    source: str
    as_of: str
    kind: FactKind = "public"
    note: str | None = None

    def as_dict(self) -> dict[str, Any]:
        """Return a JSON-ready dict; ``note`` is left out when there is none."""
        data: dict[str, Any] = {
            "model": self.model,
            "field": self.field,
            "value": self.value,
            "source": self.source,
            "as_of": self.as_of,
            "kind": self.kind,
        }
        if self.note is not None:
            data["note"] = self.note
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], where: str = "fact") -> Fact:
        """Build a fact from :meth:`as_dict` output, checking every part.

        Args:
            data: The dict.
            where: Where it was read, for the error message (file and record).

        Raises:
            DataError: If a key is missing or a value does not fit its field.
        """
        try:
            kind = data.get("kind", "public")
            if kind not in ("public", "measured"):
                raise ValueError(f"kind must be 'public' or 'measured', got {kind!r}")
            note = data.get("note")
            if note is not None and not isinstance(note, str):
                raise ValueError(f"note must be text, got {note!r}")
            return cls(
                model=_text(data, "model"),
                field=_text(data, "field"),
                value=coerce(_text(data, "field"), data.get("value")),
                source=_text(data, "source"),
                as_of=check_date(_text(data, "as_of")),
                kind=kind,
                note=note,
            )
        except ValueError as exc:
            raise DataError(f"{where}: {exc}", hint="fix or remove this fact") from None


@dataclass(frozen=True)
class ModelEntry:
    """A model the catalog knows, under one canonical key.

    Attributes:
        key: The canonical key every fact about this model uses.
        display_name: How to show it, e.g. ``GPT-4o mini``.
        aliases: For each source namespace (``evalplus``, ``lmarena``, ``csv``...), the names
            that source uses for this model. They record which mapping line linked them.
    """

    key: str
    display_name: str
    aliases: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    def merged(self, other: ModelEntry) -> ModelEntry:
        """Return this entry with ``other``'s aliases added; this display name is kept."""
        aliases = {ns: list(names) for ns, names in self.aliases.items()}
        for ns, names in other.aliases.items():
            bucket = aliases.setdefault(ns, [])
            bucket.extend(name for name in names if name not in bucket)
        return ModelEntry(
            self.key,
            self.display_name or other.display_name,
            {ns: tuple(names) for ns, names in sorted(aliases.items())},
        )

    def as_dict(self) -> dict[str, Any]:
        """Return a JSON-ready dict."""
        return {
            "key": self.key,
            "display_name": self.display_name,
            "aliases": {ns: list(names) for ns, names in self.aliases.items()},
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], where: str = "model") -> ModelEntry:
        """Build an entry from :meth:`as_dict` output.

        Raises:
            DataError: If the key is missing or the aliases are not lists of names.
        """
        try:
            raw_aliases = data.get("aliases", {})
            if not isinstance(raw_aliases, dict) or not all(
                isinstance(names, list) and all(isinstance(n, str) for n in names)
                for names in raw_aliases.values()
            ):
                raise ValueError("aliases must map a namespace to a list of names")
            display = data.get("display_name") or data.get("key")
            return cls(
                _text(data, "key"),
                str(display),
                {str(ns): tuple(names) for ns, names in raw_aliases.items()},
            )
        except ValueError as exc:
            raise DataError(f"{where}: {exc}", hint="fix or remove this model entry") from None


class Catalog:
    """Facts and model entries, indexed by model and field.

    Adding the same fact twice is a no-op, so importing a file again changes nothing. Among
    facts for one model and field, the newest ``as_of`` wins a query; on equal dates the fact
    added last wins, so a user's import outranks the built-in catalog on the same day.
    """

    def __init__(self, facts: Iterable[Fact] = (), models: Iterable[ModelEntry] = ()) -> None:
        """Create a catalog holding ``facts`` and ``models`` (entries with equal keys merge)."""
        self._models: dict[str, ModelEntry] = {}
        self._index: dict[tuple[str, str], list[Fact]] = {}
        self._seen: set[Fact] = set()
        self._order: list[Fact] = []
        for entry in models:
            self.add_model(entry)
        for fact in facts:
            self.add(fact)

    @classmethod
    def builtin(cls) -> Catalog:
        """Return a fresh copy of the catalog shipped with codejury (no network).

        See ``codejury.catalog.builtin`` for what it holds and how it is generated.
        """
        from codejury.catalog.builtin import load_builtin  # the data module imports this one

        return load_builtin()

    def add(self, fact: Fact) -> bool:
        """Add a fact; return False when an identical fact was already there.

        A fact about a model with no entry creates a bare entry named by its key.
        """
        if fact in self._seen:
            return False
        self._seen.add(fact)
        self._order.append(fact)
        self._index.setdefault((fact.model, fact.field), []).append(fact)
        if fact.model not in self._models:
            self._models[fact.model] = ModelEntry(fact.model, fact.model)
        return True

    def add_model(self, entry: ModelEntry) -> None:
        """Add a model entry, or merge its aliases into the entry with the same key."""
        current = self._models.get(entry.key)
        if current is None:
            self._models[entry.key] = entry
        elif current.display_name == current.key:
            # add() makes a bare entry named by its key; a real display name replaces it.
            renamed = ModelEntry(entry.key, entry.display_name, current.aliases)
            self._models[entry.key] = renamed.merged(entry)
        else:
            self._models[entry.key] = current.merged(entry)

    def update(self, other: Catalog) -> int:
        """Add every model and fact of ``other``; return how many facts were new."""
        for entry in other.models():
            self.add_model(entry)
        return sum(self.add(fact) for fact in other.facts())

    def __len__(self) -> int:
        return len(self._order)

    def __iter__(self) -> Iterator[Fact]:
        return iter(self._order)

    def model(self, key: str) -> ModelEntry | None:
        """Return the entry for a canonical key, or None."""
        return self._models.get(key)

    def models(self) -> list[ModelEntry]:
        """Return every model entry, sorted by key."""
        return [self._models[key] for key in sorted(self._models)]

    def facts(self, model: str | None = None, field: str | None = None) -> list[Fact]:
        """Return facts, newest first, optionally only one model's and/or one field's.

        With neither filter the facts come in the order they were added.
        """
        if model is not None and field is not None:
            return _newest_first(self._index.get((model, field), []))
        if model is None and field is None:
            return list(self._order)
        return _newest_first(
            [
                fact
                for fact in self._order
                if (model is None or fact.model == model) and (field is None or fact.field == field)
            ]
        )

    def get(self, model: str, field: str) -> Fact | None:
        """Return the newest fact for a model and field, with its source, or None."""
        facts = self._index.get((model, field))
        return _newest_first(facts)[0] if facts else None

    def value(self, model: str, field: str) -> FactValue | None:
        """Return the newest value for a model and field, or None when there is no fact."""
        fact = self.get(model, field)
        return None if fact is None else fact.value

    def conflicts(self, model: str, field: str) -> list[Fact]:
        """Return all facts for a model and field when they disagree on the value, else [].

        The newest comes first; the report shows the others beside it instead of hiding them.
        """
        facts = self.facts(model, field)
        return facts if len({_comparable(fact.value) for fact in facts}) > 1 else []

    def fields(self, model: str) -> list[str]:
        """Return the sorted field names that have at least one fact for a model."""
        return sorted({f for (m, f) in self._index if m == model})

    def as_dict(self) -> dict[str, Any]:
        """Return a JSON-ready dict: ``{"models": [...], "facts": [...]}``."""
        return {
            "models": [entry.as_dict() for entry in self.models()],
            "facts": [fact.as_dict() for fact in self._order],
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], origin: str = "catalog") -> Catalog:
        """Rebuild a catalog from :meth:`as_dict` output.

        Args:
            data: The dict.
            origin: Where it was read (a file name), for error messages.

        Raises:
            DataError: If the layout or any fact is wrong; the message names the record.
        """
        models, facts = data.get("models", []), data.get("facts", [])
        if not isinstance(models, list) or not isinstance(facts, list):
            raise DataError(f"{origin}: 'models' and 'facts' must be lists")
        catalog = cls()
        for i, raw in enumerate(models):
            if not isinstance(raw, dict):
                raise DataError(f"{origin}: models[{i}] is not an object")
            catalog.add_model(ModelEntry.from_dict(raw, f"{origin}: models[{i}]"))
        for i, raw in enumerate(facts):
            if not isinstance(raw, dict):
                raise DataError(f"{origin}: facts[{i}] is not an object")
            catalog.add(Fact.from_dict(raw, f"{origin}: facts[{i}]"))
        return catalog


def _newest_first(facts: list[Fact]) -> list[Fact]:
    # Sorting (as_of, position) descending keeps "added last wins" on equal dates; ISO dates of
    # equal precision compare correctly as text, and a coarser date ("2024-12") sorts before
    # any day in that month, i.e. it counts as the earliest date it could mean.
    ranked = sorted(enumerate(facts), key=lambda pair: (pair[1].as_of, pair[0]), reverse=True)
    return [fact for _, fact in ranked]


def _comparable(value: FactValue) -> tuple[str, str]:
    # 1 and 1.0 are the same figure; True and 1.0 are not.
    return (type(value).__name__, repr(value))


def _text(data: Mapping[str, Any], key: str) -> str:
    value = data.get(key)
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"{key!r} must be non-empty text, got {value!r}")
    return value

"""Link each source's model names to canonical keys: explicit, reviewable, never fuzzy.

Sources name the same model differently (EvalPlus ``GPT 4o (Aug 2024)``, LMArena
``gpt-4o-2024-08-06``). A name is linked to a canonical key by the first of these rules that
applies, and the rule is recorded with the link so a reviewer can see why:

1. ``mapping``: the name has a line in the mapping file's section for its source (the user's
   file first, then the built-in one).
2. ``mapping-normalised``: its normalised form (see :func:`normalise`) equals the normalised
   form of exactly one target of such lines.
3. ``canonical``: the source is LMArena, whose model keys *are* the canonical keys.
4. ``key`` / ``alias``: the name is exactly a known model's key, or a name this source was
   already linked to (an alias recorded in the catalog).
5. ``key-normalised``: its normalised form equals exactly one known key or alias.

Otherwise the name is *unmatched*: its facts are kept under a new key of their own
(``<source>:<name>``, or the name itself for LMArena) and merged with nothing. Close names are
listed as suggestions (difflib, top 3) that are shown but never applied: to accept one, add the
printed line to your mapping file and import again. Two names of one import that reach the same
key through a normalised rule are not merged either; both are reported.
"""

from __future__ import annotations

import difflib
import json
import re
import tomllib
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from codejury.catalog.models import Catalog
from codejury.errors import ConfigError

CANONICAL_NAMESPACE = "lmarena"
"""LMArena's model keys are stable, lower-case API identifiers and cover the most models, so
they serve as canonical keys as written; other sources are mapped onto them."""

Rule = Literal[
    "mapping", "mapping-normalised", "canonical", "key", "alias", "key-normalised", "new"
]
_NORMALISED_RULES = ("mapping-normalised", "key-normalised")
_SPACES = re.compile(r"\s+")


def normalise(name: str) -> str:
    """Return the form names are compared in when no exact rule links them.

    The only rules, all exact: Unicode NFKC; drop everything up to the last ``/`` (an
    organisation or provider prefix, as in ``meta-llama/Llama-3.1-8B-Instruct`` or
    ``openai/gpt-4o``); trim; runs of white space become one space; case-fold.
    """
    text = unicodedata.normalize("NFKC", name)
    text = text.rsplit("/", 1)[-1]
    return _SPACES.sub(" ", text.strip()).casefold()


@dataclass(frozen=True)
class Resolution:
    """How one source name was linked.

    Attributes:
        name: The name as the source writes it.
        key: The canonical key its facts are stored under.
        rule: The rule that linked it (see the module docstring); ``new`` when unmatched.
    """

    name: str
    key: str
    rule: Rule

    @property
    def matched(self) -> bool:
        """Whether the name was linked to a model (False: it got a key of its own)."""
        return self.rule != "new"

    def as_dict(self) -> dict[str, str]:
        """Return a JSON-ready dict."""
        return {"name": self.name, "key": self.key, "rule": self.rule}


@dataclass(frozen=True)
class NameMapping:
    """Explicit ``source name -> canonical key`` lines, per source namespace.

    The file is TOML with one table per source (``[evalplus]``, ``[lmarena]``, ``[csv]``,
    ``[seeds]``...) and one quoted line per name::

        [evalplus]
        "GPT 4o (Aug 2024)" = "gpt-4o-2024-08-06"

    Attributes:
        sections: namespace -> source name -> canonical key.
        origins: The files the lines were read from, first one wins.
    """

    sections: dict[str, dict[str, str]] = field(default_factory=dict)
    origins: tuple[str, ...] = ()

    @classmethod
    def parse(cls, text: str, origin: str) -> NameMapping:
        """Parse mapping TOML.

        Args:
            text: The file's text.
            origin: Its path or name, for error messages.

        Raises:
            ConfigError: With the file, the section and the name at fault.
        """
        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(
                f"{origin}: not valid TOML: {exc}",
                hint='write one line per name: "Source Name" = "canonical-key"',
            ) from None
        sections: dict[str, dict[str, str]] = {}
        for namespace, table in data.items():
            if not isinstance(table, dict):
                raise ConfigError(
                    f"{origin}: {namespace!r} must be a [section] named after a source",
                    hint="put each line under [evalplus], [lmarena], [csv]...",
                )
            sections[namespace] = {
                name: _check_target(origin, namespace, name, key) for name, key in table.items()
            }
        return cls(sections, (origin,))

    @classmethod
    def load(cls, path: Path) -> NameMapping:
        """Read a mapping file.

        Raises:
            ConfigError: If it cannot be read or is malformed.
        """
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise ConfigError(f"{path}: cannot read the mapping file: {exc}") from None
        return cls.parse(text, str(path))

    def over(self, base: NameMapping) -> NameMapping:
        """Return these lines layered over ``base``: on the same name, these win."""
        sections = {ns: dict(table) for ns, table in base.sections.items()}
        for ns, table in self.sections.items():
            sections.setdefault(ns, {}).update(table)
        return NameMapping(sections, self.origins + base.origins)

    def __len__(self) -> int:
        return sum(len(table) for table in self.sections.values())


def mapping_line(namespace: str, name: str, key: str) -> str:
    """Return the TOML lines that link ``name`` to ``key``, ready to paste into a mapping file."""
    # JSON string syntax is valid TOML basic-string syntax for any text.
    return f"[{namespace}]\n{json.dumps(name, ensure_ascii=False)} = {json.dumps(key)}"


@dataclass
class MatchReport:
    """The outcome of linking every name of one import.

    Attributes:
        resolutions: Every name, matched or not, with its key and rule.
        unmatched: Names linked to no known model, in the order first seen.
        suggestions: For each unmatched name, up to three close canonical keys (never applied).
        warnings: Names refused by the no-merge rule, and why.
    """

    resolutions: dict[str, Resolution] = field(default_factory=dict)
    unmatched: list[str] = field(default_factory=list)
    suggestions: dict[str, list[str]] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)


class Matcher:
    """Links the names of one source to the models of a reference catalog."""

    def __init__(self, mapping: NameMapping, known: Catalog) -> None:
        """Prepare lookups over ``mapping`` and the models (keys and aliases) of ``known``."""
        self._mapping = mapping
        self._keys = {entry.key for entry in known.models()}
        self._aliases: dict[str, dict[str, str]] = {}
        self._normal: dict[str, set[str]] = {}
        candidates: dict[str, set[str]] = {}
        for entry in known.models():
            self._add_normal(self._normal, entry.key, entry.key)
            self._add_normal(candidates, entry.display_name, entry.key)
            for ns, names in entry.aliases.items():
                for name in names:
                    self._aliases.setdefault(ns, {})[name] = entry.key
                    self._add_normal(candidates, name, entry.key)
        for table in mapping.sections.values():
            for name, key in table.items():
                self._keys.add(key)
                self._add_normal(candidates, name, key)
                self._add_normal(candidates, key, key)
        for norm, keys in self._normal.items():
            candidates.setdefault(norm, set()).update(keys)
        self._candidates = candidates

    def resolve(self, namespace: str, names: Iterable[str]) -> MatchReport:
        """Link every name of one source (duplicates count once).

        Args:
            namespace: The source's mapping section, e.g. ``evalplus``.
            names: The names as the source writes them.

        Returns:
            A :class:`MatchReport`.
        """
        report = MatchReport()
        for name in dict.fromkeys(names):
            report.resolutions[name] = self._resolve_one(namespace, name)
        by_key: dict[str, list[Resolution]] = {}
        for res in report.resolutions.values():
            by_key.setdefault(res.key, []).append(res)
        for key, group in by_key.items():
            if len(group) < 2:
                continue
            for res in group:
                if res.rule in _NORMALISED_RULES:
                    others = ", ".join(repr(o.name) for o in group if o is not res)
                    report.warnings.append(
                        f"{res.name!r} was not linked to {key!r}: {others} in the same file "
                        "reaches it too, and names are only merged by explicit mapping lines"
                    )
                    report.resolutions[res.name] = Resolution(
                        res.name, _new_key(namespace, res.name), "new"
                    )
        for res in report.resolutions.values():
            if not res.matched:
                report.unmatched.append(res.name)
                report.suggestions[res.name] = self.suggest(res.name)
        return report

    def suggest(self, name: str, limit: int = 3) -> list[str]:
        """Return up to ``limit`` canonical keys whose names look like ``name`` (not applied)."""
        close = difflib.get_close_matches(normalise(name), self._candidates, n=12, cutoff=0.6)
        keys: list[str] = []
        for norm in close:
            for key in sorted(self._candidates[norm]):
                if key not in keys:
                    keys.append(key)
        return keys[:limit]

    def _resolve_one(self, namespace: str, name: str) -> Resolution:
        table = self._mapping.sections.get(namespace, {})
        if name in table:
            return Resolution(name, table[name], "mapping")
        norm = normalise(name)
        targets = {key for source, key in table.items() if normalise(source) == norm}
        if len(targets) == 1:
            return Resolution(name, targets.pop(), "mapping-normalised")
        if namespace == CANONICAL_NAMESPACE:
            return Resolution(name, name, "canonical" if name in self._keys else "new")
        if name in self._keys:
            return Resolution(name, name, "key")
        alias = self._aliases.get(namespace, {}).get(name)
        if alias is not None:
            return Resolution(name, alias, "alias")
        keys = set(self._normal.get(norm, set()))
        keys.update(k for n, k in self._aliases.get(namespace, {}).items() if normalise(n) == norm)
        if len(keys) == 1:
            return Resolution(name, keys.pop(), "key-normalised")
        return Resolution(name, _new_key(namespace, name), "new")

    @staticmethod
    def _add_normal(index: dict[str, set[str]], name: str, key: str) -> None:
        index.setdefault(normalise(name), set()).add(key)


def _new_key(namespace: str, name: str) -> str:
    # A source-scoped key cannot collide with a canonical one, so an unmatched model never
    # silently joins another; LMArena names are canonical keys already.
    return name if namespace == CANONICAL_NAMESPACE else f"{namespace}:{name}"


def _check_target(origin: str, namespace: str, name: str, key: Any) -> str:
    if isinstance(key, dict):
        raise ConfigError(
            f"{origin}: [{namespace}] {name!r} became a table: a name with dots must be quoted",
            hint='quote the whole name, e.g. "gpt-4.1" = "gpt-4.1-2025-04-14"',
        )
    if not isinstance(key, str) or not key.strip() or key != key.strip() or "\n" in key:
        raise ConfigError(
            f"{origin}: [{namespace}] {name!r} = {key!r}: the target must be a canonical key "
            "(non-empty text without surrounding spaces)",
            hint='e.g. "GPT 4o (Aug 2024)" = "gpt-4o-2024-08-06"',
        )
    return key

"""Votes as the ratings read them: battles in FastChat's vocabulary, stored as columns.

A battle is ``(model_a, model_b, winner)`` with ``winner`` one of FastChat's values
(``"model_a"``, ``"model_b"``, ``"tie"``, ``"tie (bothbad)"``), plus an optional weight and a
source label (``"human"``, ``"judge"``, ``"execution"``, ...). :class:`VoteTable` keeps them as
numpy columns in input order, because a fit aggregates 100,000 votes at a time and online Elo
needs the order. FastChat's "clean battle" JSON loads with :func:`load_fastchat_battles`.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from codejury.errors import ConfigError, DataError

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]

WINNERS = ("model_a", "model_b", "tie", "tie (bothbad)")
"""FastChat's ``winner`` values; both ties count as a tie."""

# Result for model_a of each winner value: a win, a loss, or half a point for either tie.
_RESULT = {"model_a": 1.0, "model_b": 0.0, "tie": 0.5, "tie (bothbad)": 0.5}


@dataclass(frozen=True)
class Battle:
    """One vote or verdict between two models.

    Attributes:
        model_a: The model shown first.
        model_b: The model shown second.
        winner: ``"model_a"``, ``"model_b"``, ``"tie"`` or ``"tie (bothbad)"``.
        weight: How much the vote counts (positive; 1.0 for a plain vote).
        source: Where the vote came from, e.g. ``"human"``, ``"judge"``, ``"execution"``.
    """

    model_a: str
    model_b: str
    winner: str
    weight: float = 1.0
    source: str = "human"


@dataclass(frozen=True, eq=False)
class VoteTable:
    """Battles as columns, in input order.

    Attributes:
        models: Model names; ``first``/``second`` index into it.
        sources: Source labels; ``source`` indexes into it.
        first: Index of each battle's ``model_a``.
        second: Index of each battle's ``model_b``.
        result: Result for ``model_a``: 1.0 win, 0.5 tie, 0.0 loss.
        weight: Weight of each battle.
        source: Index of each battle's source label.
    """

    models: tuple[str, ...]
    sources: tuple[str, ...]
    first: IntArray
    second: IntArray
    result: FloatArray
    weight: FloatArray
    source: IntArray

    def __len__(self) -> int:
        return len(self.first)

    @classmethod
    def from_battles(cls, battles: Iterable[Battle], origin: str = "battles") -> VoteTable:
        """Validate and store battles.

        Args:
            battles: The battles, in the order they happened.
            origin: What to call the input in error messages.

        Returns:
            The table.

        Raises:
            DataError: If a battle is invalid; the message names its index.
        """
        return cls.from_records(
            (
                {
                    "model_a": b.model_a,
                    "model_b": b.model_b,
                    "winner": b.winner,
                    "weight": b.weight,
                    "source": b.source,
                }
                for b in battles
            ),
            origin=origin,
            item="battle",
        )

    @classmethod
    def from_records(
        cls,
        records: Iterable[Any],
        origin: str = "records",
        default_source: str = "human",
        item: str = "record",
    ) -> VoteTable:
        """Validate and store FastChat-style records (dicts with model_a, model_b, winner).

        Other keys are ignored, except the optional ``weight`` (positive number) and
        ``source`` (string) that codejury adds.

        Args:
            records: The records, in the order they happened.
            origin: What to call the input in error messages (a file path, say).
            default_source: Source label of records without a ``source`` key.
            item: What to call one record in error messages.

        Returns:
            The table.

        Raises:
            DataError: If a record is invalid or there are none; the message names the
                record's index (0-based) and what was wrong.
        """
        model_ids: dict[str, int] = {}
        source_ids: dict[str, int] = {}
        cols: tuple[list[int], list[int], list[float], list[float], list[int]] = (
            [],
            [],
            [],
            [],
            [],
        )
        for k, rec in enumerate(records):
            a, b, res, w, src = _parse(rec, default_source, f"{origin}: {item} {k}")
            cols[0].append(model_ids.setdefault(a, len(model_ids)))
            cols[1].append(model_ids.setdefault(b, len(model_ids)))
            cols[2].append(res)
            cols[3].append(w)
            cols[4].append(source_ids.setdefault(src, len(source_ids)))
        if not cols[0]:
            raise DataError(f"{origin}: no votes", hint="a rating needs at least one battle")
        return cls(
            models=tuple(model_ids),
            sources=tuple(source_ids),
            first=np.asarray(cols[0], dtype=np.int64),
            second=np.asarray(cols[1], dtype=np.int64),
            result=np.asarray(cols[2], dtype=np.float64),
            weight=np.asarray(cols[3], dtype=np.float64),
            source=np.asarray(cols[4], dtype=np.int64),
        )

    def select(self, mask: npt.NDArray[np.bool_]) -> VoteTable:
        """The battles where ``mask`` is true, with models and sources renumbered.

        Raises:
            DataError: If no battle is selected.
        """
        if not mask.any():
            raise DataError("no votes selected", hint="check the source names and weights")
        used_models, inverse = np.unique(
            np.r_[self.first[mask], self.second[mask]], return_inverse=True
        )
        n = int(mask.sum())
        used_sources, src = np.unique(self.source[mask], return_inverse=True)
        return VoteTable(
            models=tuple(self.models[i] for i in used_models),
            sources=tuple(self.sources[i] for i in used_sources),
            first=inverse[:n].astype(np.int64),
            second=inverse[n:].astype(np.int64),
            result=self.result[mask],
            weight=self.weight[mask],
            source=src.astype(np.int64),
        )

    def reweighted(self, source_weights: Mapping[str, float]) -> VoteTable:
        """Multiply each battle's weight by its source's weight; weight 0 drops a source.

        Args:
            source_weights: Weight per source label; sources not named keep weight 1.

        Raises:
            ConfigError: If a label is unknown or a weight is negative or not finite.
            DataError: If every battle is dropped.
        """
        factor = np.ones(len(self.sources))
        for name, value in source_weights.items():
            if name not in self.sources:
                known = ", ".join(self.sources)
                raise ConfigError(f"unknown vote source {name!r}", hint=f"known: {known}")
            if not (math.isfinite(value) and value >= 0):
                raise ConfigError(f"weight of source {name!r} must be >= 0, got {value}")
            factor[self.sources.index(name)] = value
        scaled = self.weight * factor[self.source]
        kept = self.select(scaled > 0)
        return VoteTable(
            kept.models,
            kept.sources,
            kept.first,
            kept.second,
            kept.result,
            scaled[scaled > 0],
            kept.source,
        )


def _parse(rec: Any, default_source: str, where: str) -> tuple[str, str, float, float, str]:
    """(model_a, model_b, result, weight, source) of one record, or a DataError at ``where``."""
    if not isinstance(rec, Mapping):
        raise DataError(f"{where}: expected an object, got {type(rec).__name__}")
    for key in ("model_a", "model_b", "winner"):
        if key not in rec:
            raise DataError(
                f"{where}: missing key {key!r}",
                hint="FastChat battles have model_a, model_b and winner",
            )
    a, b, winner = rec["model_a"], rec["model_b"], rec["winner"]
    if not (isinstance(a, str) and a and isinstance(b, str) and b):
        raise DataError(f"{where}: model_a and model_b must be non-empty strings")
    if a == b:
        raise DataError(
            f"{where}: model {a!r} plays itself", hint="drop self-battles before rating"
        )
    if winner not in _RESULT:
        raise DataError(
            f"{where}: unknown winner {winner!r}", hint=f"expected one of {', '.join(WINNERS)}"
        )
    weight = rec.get("weight", 1.0)
    if (
        isinstance(weight, bool)
        or not isinstance(weight, int | float)
        or not (math.isfinite(weight) and weight > 0)
    ):
        raise DataError(f"{where}: weight must be a positive number, got {weight!r}")
    source = rec.get("source", default_source)
    if not isinstance(source, str) or not source:
        raise DataError(f"{where}: source must be a non-empty string, got {source!r}")
    return a, b, _RESULT[winner], float(weight), source


def load_fastchat_battles(path: str | Path, source: str = "human") -> VoteTable:
    """Read a FastChat "clean battle" file: a JSON list of battle objects (or JSON Lines).

    Keys other than model_a, model_b, winner (and codejury's optional weight and source) are
    ignored; FastChat's own filters (``anony``, language, ...) should be applied first.

    Args:
        path: The file.
        source: Source label of records without a ``source`` key.

    Returns:
        The votes.

    Raises:
        DataError: If the file is missing, is not JSON, or holds an invalid record (the
            message names the file and the record index, or the line for JSON Lines).
    """
    file = Path(path)
    try:
        text = file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise DataError(f"{file}: cannot read: {exc}") from exc
    if text.lstrip().startswith("["):
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise DataError(f"{file}:{exc.lineno}:{exc.colno}: not valid JSON: {exc.msg}") from exc
        return VoteTable.from_records(data, origin=str(file), default_source=source)
    return VoteTable.from_records(
        _json_lines(file, text.splitlines()), origin=str(file), default_source=source
    )


def _json_lines(file: Path, lines: Sequence[str]) -> Iterable[Any]:
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            yield json.loads(line)
        except json.JSONDecodeError as exc:
            raise DataError(
                f"{file}:{number}: not valid JSON: {exc.msg}",
                hint="a clean-battle file is a JSON list, or one JSON object per line",
            ) from exc

"""Completions in the store: one row per (run, task, index), and the completion cache.

Each completion is committed on its own as it arrives, so a killed process loses only the
requests in flight. The cache is content-addressed (model, parameters, prompt, index): a
repeated request is answered from it without calling the model, and the answer is marked
``cached`` so its (old) latency never reaches latency figures.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from codejury.store.records import GenerationRecord, RunRecord

if TYPE_CHECKING:
    from codejury.store.db import Store

_metadata = sa.MetaData()
generations_table = sa.Table(
    "generations",
    _metadata,
    sa.Column("run_id", sa.Text, primary_key=True),
    sa.Column("task_id", sa.Text, primary_key=True),
    sa.Column("idx", sa.Integer, primary_key=True),
    sa.Column("cache_key", sa.Text, nullable=False),
    sa.Column("raw_text", sa.Text, nullable=False),
    sa.Column("reasoning", sa.Text),
    sa.Column("code", sa.Text, nullable=False),
    sa.Column("sanitize_rule", sa.Text, nullable=False),
    sa.Column("finish_reason", sa.Text),
    sa.Column("truncated", sa.Integer, nullable=False),
    sa.Column("input_tokens", sa.Integer),
    sa.Column("output_tokens", sa.Integer),
    sa.Column("ttft_s", sa.Float),
    sa.Column("latency_s", sa.Float),
    sa.Column("cost_usd", sa.Float),
    sa.Column("response_id", sa.Text),
    sa.Column("model_id", sa.Text),
    sa.Column("system_fingerprint", sa.Text),
    sa.Column("cached", sa.Integer, nullable=False),
    sa.Column("error", sa.Text),
    sa.Column("created_at", sa.Text, nullable=False),
)
generation_cache_table = sa.Table(
    "generation_cache",
    _metadata,
    sa.Column("key", sa.Text, primary_key=True),
    sa.Column("value_json", sa.Text, nullable=False),
    sa.Column("created_at", sa.Text, nullable=False),
)

_FIELDS = [f for f in GenerationRecord.__slots__ if f not in ("index",)]


def _row(run_id: str, record: GenerationRecord, created_at: str) -> dict[str, Any]:
    values = asdict(record)
    values["idx"] = values.pop("index")
    values["truncated"] = int(record.truncated)
    values["cached"] = int(record.cached)
    return values | {"run_id": run_id, "created_at": created_at}


def _record(row: sa.Row[Any]) -> GenerationRecord:
    values = {name: getattr(row, name) for name in _FIELDS}
    values["truncated"] = bool(values["truncated"])
    values["cached"] = bool(values["cached"])
    return GenerationRecord(index=row.idx, **values)


class Generations:
    """Completion rows and the completion cache of one :class:`~codejury.store.Store`."""

    def __init__(self, store: Store) -> None:
        self._store = store

    def add(self, run_id: str, record: GenerationRecord) -> None:
        """Commit one completion (replacing a failed attempt at the same task and index).

        Raises:
            StoreError: No such run, or the database failed.
        """
        from codejury.store.db import _now

        self._store._upsert(
            generations_table,
            [_row(run_id, record, _now())],
            update=_UPDATE,
            action=f"save a completion of run {run_id}",
        )

    def add_many(
        self,
        run_id: str,
        records: Sequence[GenerationRecord],
        cache: Mapping[str, dict[str, Any]],
    ) -> None:
        """Commit completions and completion-cache entries together, in one transaction.

        Raises:
            StoreError: No such run, a cache value is not JSON, or the database failed.
        """
        from codejury.store.db import _dumps, _now

        created_at = _now()
        cache_rows = [
            {
                "key": key,
                "value_json": _dumps(value, "a cached completion"),
                "created_at": created_at,
            }
            for key, value in cache.items()
        ]
        rows = [_row(run_id, record, created_at) for record in records]
        self._store._upsert_many(
            [
                (generation_cache_table, cache_rows, ("value_json", "created_at")),
                (generations_table, rows, _UPDATE),
            ],
            action=f"save completions of run {run_id}",
        )

    def of_run(self, run_id: str) -> list[GenerationRecord]:
        """Every completion of a run, ordered by task id then index (empty for unknown ids)."""
        query = (
            sa.select(generations_table)
            .where(generations_table.c.run_id == run_id)
            .order_by(generations_table.c.task_id, generations_table.c.idx)
        )
        store = self._store
        with store._guard(f"read completions of run {run_id}"), store._engine.connect() as conn:
            return [_record(row) for row in conn.execute(query)]

    def cached(self, keys: Sequence[str]) -> dict[str, dict[str, Any]]:
        """Cached completions (JSON objects) by key; missing keys are absent."""
        from codejury.store.db import _IN_CHUNK, _loads

        wanted = list(dict.fromkeys(keys))
        found: dict[str, dict[str, Any]] = {}
        store = self._store
        table = generation_cache_table
        with store._guard("read the completion cache"), store._engine.connect() as conn:
            for start in range(0, len(wanted), _IN_CHUNK):
                query = sa.select(table.c.key, table.c.value_json).where(
                    table.c.key.in_(wanted[start : start + _IN_CHUNK])
                )
                found.update((row.key, _loads(row.value_json)) for row in conn.execute(query))
        return found

    def cache(self, key: str, value: dict[str, Any]) -> None:
        """Store (or replace) one cached completion."""
        from codejury.store.db import _dumps, _now

        row = {"key": key, "value_json": _dumps(value, "a cached completion"), "created_at": _now()}
        self._store._upsert(
            generation_cache_table,
            [row],
            update=("value_json", "created_at"),
            action="write the completion cache",
        )

    def resumable_run(self, kind: str, spec_key: str) -> RunRecord | None:
        """The newest run of ``kind`` with this spec key that did not finish, if any."""
        from codejury.store.db import runs_table

        store = self._store
        query = (
            sa.select(runs_table.c.id)
            .where(runs_table.c.kind == kind, runs_table.c.status != "finished")
            .order_by(runs_table.c.created_at.desc())
        )
        with store._guard("look for a run to resume"), store._engine.connect() as conn:
            ids = [row.id for row in conn.execute(query)]
        for run_id in ids:
            run = store.get_run(run_id)
            if run.spec.get("spec_key") == spec_key:
                return run
        return None


_KEY = ("run_id", "task_id", "idx")
_UPDATE = tuple(c.name for c in generations_table.columns if c.name not in _KEY)

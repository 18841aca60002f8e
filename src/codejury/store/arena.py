"""The arena's part of the store: ``store.arena.voters``, ``.pool``, ``.battles``, verdicts.

Typical use::

    with Store.open() as store:
        voter, token = store.arena.voters.add("alice")
        battle_id = store.arena.battles.get_or_create(answer_x, answer_y)
        vote, created = store.arena.battles.cast(battle_id, voter.id, "a")
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from codejury.store.arena_battles import Battles
from codejury.store.arena_people import Voters
from codejury.store.arena_pool import Pool
from codejury.store.arena_records import (
    ImportedBattle,
    Judgement,
    battles_table,
    imported_table,
    insert_ignore,
    judgements_table,
)

if TYPE_CHECKING:
    from codejury.store.db import Store


def _judgement(row: Any) -> Judgement:
    return Judgement(
        battle_id=row.battle_id,
        judge_model=row.judge_model,
        side_order=row.side_order,
        template=row.template,
        prompt=json.loads(row.prompt_json),
        response=row.response,
        choice=row.choice,
        input_tokens=row.input_tokens,
        output_tokens=row.output_tokens,
        cost_usd=row.cost_usd,
        latency_s=row.latency_s,
        created_at=row.created_at,
    )


class Arena:
    """Everything the arena keeps in one :class:`~codejury.store.Store`."""

    def __init__(self, store: Store) -> None:
        self._store = store
        self.voters = Voters(store)
        """Voters and their sessions."""
        self.pool = Pool(store)
        """Prompts, models and answers battles are drawn from."""
        self.battles = Battles(store)
        """Battles and votes."""

    # -- LLM judge -------------------------------------------------------------------------

    def add_judgement(self, judgement: Judgement) -> None:
        """Commit one judge verdict, replacing an earlier one for the same battle and order.

        Raises:
            StoreError: No such battle, the prompt is not JSON, or the database failed.
        """
        from codejury.store.db import _dumps, _now

        row = {
            "battle_id": judgement.battle_id,
            "judge_model": judgement.judge_model,
            "side_order": judgement.side_order,
            "template": judgement.template,
            "prompt_json": _dumps(judgement.prompt, "the judge prompt"),
            "response": judgement.response,
            "choice": judgement.choice,
            "input_tokens": judgement.input_tokens,
            "output_tokens": judgement.output_tokens,
            "cost_usd": judgement.cost_usd,
            "latency_s": judgement.latency_s,
            "created_at": _now(),
        }
        key = ("battle_id", "judge_model", "side_order")
        self._store._upsert(
            judgements_table,
            [row],
            update=[name for name in row if name not in key],
            action=f"record a judge verdict on battle {judgement.battle_id}",
        )

    def judgements(self, judge_model: str | None = None) -> list[Judgement]:
        """Stored judge verdicts (of one judge model when given), by battle and order."""
        j = judgements_table
        query = (
            sa.select(j)
            .join(battles_table, battles_table.c.id == j.c.battle_id)
            .order_by(battles_table.c.created_at, j.c.battle_id, j.c.judge_model, j.c.side_order)
        )
        if judge_model is not None:
            query = query.where(j.c.judge_model == judge_model)
        with self._store._guard("read judge verdicts"), self._store._engine.connect() as conn:
            return [_judgement(row) for row in conn.execute(query)]

    def battle_models(self, battle_ids: Sequence[str]) -> dict[str, dict[str, str]]:
        """Models and prompt of battles by id: ``{"model_a", "model_b", "prompt_id"}``."""
        from codejury.store.db import _IN_CHUNK

        found: dict[str, dict[str, str]] = {}
        wanted = list(dict.fromkeys(battle_ids))
        b = battles_table
        with self._store._guard("read battles"), self._store._engine.connect() as conn:
            for start in range(0, len(wanted), _IN_CHUNK):
                query = sa.select(b.c.id, b.c.model_a, b.c.model_b, b.c.prompt_id).where(
                    b.c.id.in_(wanted[start : start + _IN_CHUNK])
                )
                found.update(
                    (
                        row.id,
                        {
                            "model_a": row.model_a,
                            "model_b": row.model_b,
                            "prompt_id": row.prompt_id,
                        },
                    )
                    for row in conn.execute(query)
                )
        return found

    # -- imported battles ------------------------------------------------------------------

    def add_imported(self, battles: Sequence[ImportedBattle]) -> int:
        """Store imported battles in one transaction; ones already imported are skipped.

        Returns:
            How many were new.

        Raises:
            StoreError: A record is not JSON, or the database failed.
        """
        from codejury.store.db import _dumps, _now

        now = _now()
        rows = [
            {
                "key": b.key,
                "model_a": b.model_a,
                "model_b": b.model_b,
                "winner": b.winner,
                "source": b.source,
                "seq": seq,
                "record_json": _dumps(b.record, "an imported battle"),
                "imported_at": now,
            }
            for seq, b in enumerate(battles)
        ]
        store = self._store
        with store._guard("import battles"), store._writer.begin() as conn:
            return insert_ignore(conn, imported_table, rows, ["key"])

    def imported(self) -> list[ImportedBattle]:
        """Every imported battle, in import order (file order within one import)."""
        t = imported_table
        query = sa.select(t).order_by(t.c.imported_at, t.c.seq, t.c.key)
        with self._store._guard("read imported battles"), self._store._engine.connect() as conn:
            return [
                ImportedBattle(
                    row.key,
                    row.model_a,
                    row.model_b,
                    row.winner,
                    row.source,
                    json.loads(row.record_json),
                )
                for row in conn.execute(query)
            ]

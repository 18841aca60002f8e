"""Arena battles and votes.

A battle is two answers to one prompt in a fixed order; many voters may vote on it, each once.
Every vote is committed in its own transaction before the caller replies, and the
``UNIQUE (battle_id, voter_id)`` constraint, not the web layer, is what makes a vote count
once: two racing requests of the same voter insert one row between them.
"""

from __future__ import annotations

import secrets
import uuid
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from codejury.errors import StoreError
from codejury.store.arena_pool import answer_from_row
from codejury.store.arena_records import (
    CHOICES,
    WINNER_OF_CHOICE,
    Battle,
    Prompt,
    Vote,
    VoteRow,
    answers_table,
    battles_table,
    insert_ignore,
    prompts_table,
    votes_table,
)

if TYPE_CHECKING:
    from codejury.store.db import Store


class UnknownBattleError(StoreError):
    """A vote for a battle that does not exist."""


def pair_key(answer_x: str, answer_y: str) -> str:
    """The same for both orders of two answers: one battle per pair of answers."""
    low, high = sorted((answer_x, answer_y))
    return f"{low}:{high}"


def _vote(row: Any) -> Vote:
    return Vote(row.id, row.battle_id, row.voter_id, row.choice, row.created_at)


def _labelled(table: sa.FromClause, prefix: str) -> list[sa.Label[Any]]:
    return [column.label(prefix + column.name) for column in table.c]


class Battles:
    """Battles and votes of one store's arena."""

    def __init__(self, store: Store) -> None:
        self._store = store

    def get_or_create(self, first: str, second: str) -> str:
        """The battle of two answers, made with ``first`` shown as A if it does not exist yet.

        The caller randomises which answer comes first; an existing battle keeps its order.

        Args:
            first: Answer id shown as "Model A" when the battle is new.
            second: Answer id shown as "Model B" when the battle is new.

        Returns:
            The battle's id.

        Raises:
            StoreError: An answer is unknown, the two answer different prompts, or come from
                the same model; or the database failed.
        """
        from codejury.store.db import _now

        store = self._store
        key = pair_key(first, second)
        lookup = sa.select(battles_table.c.id).where(battles_table.c.pair_key == key)
        # Most requests find the battle made: a plain read, without taking the write lock.
        with store._guard("look up a battle"), store._engine.connect() as conn:
            existing = conn.execute(lookup).first()
        if existing is not None:
            return str(existing.id)
        with store._guard("create a battle"), store._writer.begin() as conn:
            found = conn.execute(
                sa.select(battles_table.c.id).where(battles_table.c.pair_key == key)
            ).first()
            if found is not None:
                return str(found.id)
            rows = {
                row.id: row
                for row in conn.execute(
                    sa.select(answers_table).where(answers_table.c.id.in_([first, second]))
                )
            }
            if len(rows) != 2:
                raise StoreError(f"cannot make a battle of answers {first} and {second}: unknown")
            a, b = rows[first], rows[second]
            if a.prompt_id != b.prompt_id or a.model == b.model:
                raise StoreError(
                    f"answers {first} and {second} cannot battle: a battle needs two models "
                    "answering the same prompt"
                )
            row = {
                # Random, not sequential: the id in the URL must not hint at the models.
                "id": secrets.token_hex(12),
                "prompt_id": a.prompt_id,
                "answer_a": first,
                "answer_b": second,
                "model_a": a.model,
                "model_b": b.model,
                "pair_key": key,
                "created_at": _now(),
            }
            insert_ignore(conn, battles_table, [row], ["pair_key"])
            # Another process may have made the same battle between our select and insert.
            made = conn.execute(
                sa.select(battles_table.c.id).where(battles_table.c.pair_key == key)
            ).one()
            return str(made.id)

    def get(self, battle_id: str) -> Battle | None:
        """The battle with its prompt and both answers, or None."""
        a = answers_table.alias("a")
        b = answers_table.alias("b")
        query = (
            sa.select(
                battles_table.c.id,
                battles_table.c.created_at,
                *_labelled(prompts_table, "p_"),
                *_labelled(a, "a_"),
                *_labelled(b, "b_"),
            )
            .join(prompts_table, prompts_table.c.id == battles_table.c.prompt_id)
            .join(a, a.c.id == battles_table.c.answer_a)
            .join(b, b.c.id == battles_table.c.answer_b)
            .where(battles_table.c.id == battle_id)
        )
        with self._store._guard("read a battle"), self._store._engine.connect() as conn:
            row = conn.execute(query).first()
        if row is None:
            return None
        prompt = Prompt(row.p_id, row.p_benchmark, row.p_task_id, row.p_text, bool(row.p_active))
        return Battle(
            row.id, prompt, answer_from_row(row, "a_"), answer_from_row(row, "b_"), row.created_at
        )

    def ids(self, *, voted_only: bool) -> list[str]:
        """Ids of every battle (or of those with at least one vote), oldest first."""
        query = sa.select(battles_table.c.id).order_by(
            battles_table.c.created_at, battles_table.c.id
        )
        if voted_only:
            query = query.where(sa.exists().where(votes_table.c.battle_id == battles_table.c.id))
        with self._store._guard("list battles"), self._store._engine.connect() as conn:
            return [row.id for row in conn.execute(query)]

    def voted_pairs(self, voter_id: str) -> set[str]:
        """Pair keys of every battle the voter has voted on."""
        query = (
            sa.select(battles_table.c.pair_key)
            .join(votes_table, votes_table.c.battle_id == battles_table.c.id)
            .where(votes_table.c.voter_id == voter_id)
        )
        with self._store._guard("read a voter's battles"), self._store._engine.connect() as conn:
            return {row.pair_key for row in conn.execute(query)}

    def cast(self, battle_id: str, voter_id: str, choice: str) -> tuple[Vote, bool]:
        """Record a vote, committed before this returns.

        Args:
            battle_id: The battle.
            voter_id: The voter.
            choice: One of :data:`~codejury.store.arena_records.CHOICES`.

        Returns:
            The stored vote and whether this call stored it (False: the voter had already
            voted on this battle, and the earlier vote is returned unchanged).

        Raises:
            ValueError: ``choice`` is not a valid choice (a bug in the caller).
            UnknownBattleError: No such battle.
            StoreError: The database failed.
        """
        from codejury.store.db import _now

        if choice not in CHOICES:
            raise ValueError(f"choice must be one of {CHOICES}, got {choice!r}")
        row = {
            "id": uuid.uuid4().hex,
            "battle_id": battle_id,
            "voter_id": voter_id,
            "choice": choice,
            "created_at": _now(),
        }
        store = self._store
        with store._guard("record a vote"), store._writer.begin() as conn:
            exists = conn.execute(
                sa.select(battles_table.c.id).where(battles_table.c.id == battle_id)
            ).first()
            if exists is None:
                raise UnknownBattleError(f"no battle {battle_id!r} in {store.location}")
            created = insert_ignore(conn, votes_table, [row], ["battle_id", "voter_id"]) == 1
            if created:
                return Vote(**row), True
            earlier = conn.execute(
                sa.select(votes_table).where(
                    votes_table.c.battle_id == battle_id, votes_table.c.voter_id == voter_id
                )
            ).one()
            return _vote(earlier), False

    def vote_of(self, battle_id: str, voter_id: str) -> Vote | None:
        """The voter's vote on the battle, if any."""
        query = sa.select(votes_table).where(
            votes_table.c.battle_id == battle_id, votes_table.c.voter_id == voter_id
        )
        with self._store._guard("read a vote"), self._store._engine.connect() as conn:
            row = conn.execute(query).first()
        return None if row is None else _vote(row)

    def votes(self) -> list[VoteRow]:
        """Every vote with its battle's models, in the order they were committed."""
        query = (
            sa.select(
                votes_table,
                battles_table.c.model_a,
                battles_table.c.model_b,
                battles_table.c.prompt_id,
            )
            .join(battles_table, battles_table.c.id == votes_table.c.battle_id)
            .order_by(votes_table.c.created_at, votes_table.c.id)
        )
        with self._store._guard("read votes"), self._store._engine.connect() as conn:
            return [
                VoteRow(_vote(row), row.model_a, row.model_b, row.prompt_id)
                for row in conn.execute(query)
            ]

    def outcomes(self) -> list[tuple[str, str, str]]:
        """``(model_a, model_b, winner)`` of every vote in commit order: what a fit needs."""
        query = (
            sa.select(battles_table.c.model_a, battles_table.c.model_b, votes_table.c.choice)
            .join(battles_table, battles_table.c.id == votes_table.c.battle_id)
            .order_by(votes_table.c.created_at, votes_table.c.id)
        )
        with self._store._guard("read votes"), self._store._engine.connect() as conn:
            return [(a, b, WINNER_OF_CHOICE[c]) for a, b, c in conn.execute(query)]

    def counts(self, voter_id: str | None = None) -> dict[str, int]:
        """How many battles and votes there are (votes of one voter when ``voter_id`` is set)."""
        votes = sa.select(sa.func.count()).select_from(votes_table)
        if voter_id is not None:
            votes = votes.where(votes_table.c.voter_id == voter_id)
        battles = sa.select(sa.func.count()).select_from(battles_table)
        with self._store._guard("count votes"), self._store._engine.connect() as conn:
            return {
                "battles": int(conn.execute(battles).scalar_one()),
                "votes": int(conn.execute(votes).scalar_one()),
            }

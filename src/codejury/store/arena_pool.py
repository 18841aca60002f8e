"""The arena's pool: prompts, models and the stored answers battles are drawn from.

Answers are copied out of eval runs when they join the pool (text, test statuses, the prompt),
so a battle shows exactly what was there when it was made, even if a run is later deleted.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from codejury.errors import StoreError
from codejury.store.arena_records import (
    Answer,
    ModelEntry,
    Prompt,
    answers_table,
    insert_ignore,
    models_table,
    prompts_table,
)

if TYPE_CHECKING:
    from codejury.store.db import Store


def answer_id(run_id: str, task_id: str, index: int) -> str:
    """The id of the answer a run gave at (task, index): stable, so re-adding is a no-op."""
    return hashlib.sha256(f"{run_id}\0{task_id}\0{index}".encode()).hexdigest()[:24]


def answer_from_row(row: Any, prefix: str = "") -> Answer:
    """Build an :class:`Answer` from a row whose answer columns carry ``prefix``."""

    def col(name: str) -> Any:
        return getattr(row, prefix + name)

    return Answer(
        id=col("id"),
        prompt_id=col("prompt_id"),
        model=col("model"),
        run_id=col("run_id"),
        task_id=col("task_id"),
        index=col("idx"),
        text=col("text"),
        tests=json.loads(col("tests_json")),
        flag=col("flag"),
    )


@dataclass(frozen=True, slots=True)
class Candidate:
    """An answer battles may use: unflagged, of an active model and an active prompt."""

    answer_id: str
    model: str
    prompt_id: str


@dataclass(frozen=True, slots=True)
class PromptEntry:
    """A prompt of the pool with how many usable answers it has, for the admin pages."""

    prompt: Prompt
    answers: int
    models: int


class Pool:
    """Prompts, models and answers of one store's arena."""

    def __init__(self, store: Store) -> None:
        self._store = store

    def add(self, prompts: Sequence[Prompt], answers: Sequence[Answer]) -> int:
        """Add prompts, models and answers in one transaction; rows already there are kept.

        Args:
            prompts: Every prompt the answers refer to.
            answers: The answers.

        Returns:
            How many answers were new.

        Raises:
            StoreError: An answer refers to a prompt not given nor stored, or the database
                failed.
        """
        from codejury.store.db import _dumps, _now

        now = _now()
        prompt_rows = [
            {
                "id": p.id,
                "benchmark": p.benchmark,
                "task_id": p.task_id,
                "text": p.text,
                "active": int(p.active),
                "created_at": now,
            }
            for p in prompts
        ]
        model_rows = [
            {"name": name, "active": 1, "created_at": now}
            for name in dict.fromkeys(a.model for a in answers)
        ]
        answer_rows = [
            {
                "id": a.id,
                "prompt_id": a.prompt_id,
                "model": a.model,
                "run_id": a.run_id,
                "task_id": a.task_id,
                "idx": a.index,
                "text": a.text,
                "tests_json": _dumps(a.tests, f"the test statuses of {a.task_id}"),
                "flag": a.flag,
                "created_at": now,
            }
            for a in answers
        ]
        store = self._store
        with store._guard("add answers to the arena"), store._writer.begin() as conn:
            insert_ignore(conn, prompts_table, prompt_rows, ["id"])
            insert_ignore(conn, models_table, model_rows, ["name"])
            known = {row.id for row in conn.execute(sa.select(prompts_table.c.id))}
            missing = sorted({a.prompt_id for a in answers} - known)
            if missing:
                raise StoreError(f"answers refer to unknown prompts: {', '.join(missing[:5])}")
            return insert_ignore(conn, answers_table, answer_rows, ["id"])

    def models(self) -> list[ModelEntry]:
        """Every model of the pool with its answer counts, by name."""
        a = answers_table
        flagged = sa.func.sum(sa.case((a.c.flag.is_not(None), 1), else_=0))
        query = (
            sa.select(
                models_table.c.name,
                models_table.c.active,
                sa.func.count(a.c.id).label("answers"),
                flagged.label("flagged"),
            )
            .select_from(models_table.outerjoin(a, a.c.model == models_table.c.name))
            .group_by(models_table.c.name, models_table.c.active)
            .order_by(models_table.c.name)
        )
        with self._store._guard("list arena models"), self._store._engine.connect() as conn:
            return [
                ModelEntry(row.name, bool(row.active), row.answers, int(row.flagged or 0))
                for row in conn.execute(query)
            ]

    def prompts(self) -> list[PromptEntry]:
        """Every prompt with its usable answer and model counts, in id order."""
        a = answers_table
        query = (
            sa.select(
                prompts_table,
                sa.func.count(a.c.id).label("answers"),
                sa.func.count(sa.distinct(a.c.model)).label("models"),
            )
            .select_from(
                prompts_table.outerjoin(
                    a, sa.and_(a.c.prompt_id == prompts_table.c.id, a.c.flag.is_(None))
                )
            )
            .group_by(*prompts_table.c)
            .order_by(prompts_table.c.id)
        )
        with self._store._guard("list arena prompts"), self._store._engine.connect() as conn:
            return [
                PromptEntry(
                    Prompt(row.id, row.benchmark, row.task_id, row.text, bool(row.active)),
                    row.answers,
                    row.models,
                )
                for row in conn.execute(query)
            ]

    def set_model_active(self, name: str, active: bool) -> None:
        """Let a model into new battles, or keep it out (its votes stay).

        Raises:
            StoreError: No such model, or the database failed.
        """
        self._set_active(models_table, models_table.c.name, name, active, "model")

    def set_prompt_active(self, prompt_id: str, active: bool) -> None:
        """Let a prompt into new battles, or keep it out (its votes stay).

        Raises:
            StoreError: No such prompt, or the database failed.
        """
        self._set_active(prompts_table, prompts_table.c.id, prompt_id, active, "prompt")

    def _set_active(
        self, table: sa.Table, key: sa.Column[Any], value: str, active: bool, what: str
    ) -> None:
        store = self._store
        statement = table.update().where(key == value).values(active=int(active))
        with store._guard(f"change arena {what} {value}"), store._writer.begin() as conn:
            if not conn.execute(statement).rowcount:
                raise StoreError(
                    f"no arena {what} {value!r} in {store.location}",
                    hint=f"list the arena's {what}s to find its name",
                )

    def candidates(self) -> list[Candidate]:
        """Every answer new battles may use, ordered by model, prompt and id."""
        a = answers_table
        query = (
            sa.select(a.c.id, a.c.model, a.c.prompt_id)
            .join(models_table, models_table.c.name == a.c.model)
            .join(prompts_table, prompts_table.c.id == a.c.prompt_id)
            .where(a.c.flag.is_(None), models_table.c.active == 1, prompts_table.c.active == 1)
            .order_by(a.c.model, a.c.prompt_id, a.c.id)
        )
        with self._store._guard("read the arena pool"), self._store._engine.connect() as conn:
            return [Candidate(row.id, row.model, row.prompt_id) for row in conn.execute(query)]

    def run_ids(self) -> set[str]:
        """Ids of the runs whose answers are in the pool."""
        query = sa.select(answers_table.c.run_id).distinct()
        with self._store._guard("read the arena pool"), self._store._engine.connect() as conn:
            return {row[0] for row in conn.execute(query)}

    def flagged(self) -> list[Answer]:
        """Answers kept out of battles because they name a model, by model and task."""
        a = answers_table
        query = sa.select(a).where(a.c.flag.is_not(None)).order_by(a.c.model, a.c.task_id)
        with self._store._guard("list flagged answers"), self._store._engine.connect() as conn:
            return [answer_from_row(row) for row in conn.execute(query)]

"""The arena's tables (query-side view of migration ``m003_arena``) and its records.

Records are frozen dataclasses of plain values, like :mod:`codejury.store.records`, so an
export or the web layer can turn any of them into JSON with ``dataclasses.asdict``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection

ROLES = ("voter", "admin")
"""What a voter may do: ``voter`` votes; ``admin`` also manages voters, pool and exports."""

CHOICES = ("a", "b", "tie", "bothbad")
"""A vote: answer A is better, answer B is better, a tie, or both are bad."""

WINNER_OF_CHOICE = {"a": "model_a", "b": "model_b", "tie": "tie", "bothbad": "tie (bothbad)"}
"""FastChat's ``winner`` value of each choice."""

Choice = Literal["a", "b", "tie", "bothbad"]

metadata = sa.MetaData()
prompts_table = sa.Table(
    "arena_prompts",
    metadata,
    sa.Column("id", sa.Text, primary_key=True),
    sa.Column("benchmark", sa.Text, nullable=False),
    sa.Column("task_id", sa.Text, nullable=False),
    sa.Column("text", sa.Text, nullable=False),
    sa.Column("active", sa.Integer, nullable=False),
    sa.Column("created_at", sa.Text, nullable=False),
)
models_table = sa.Table(
    "arena_models",
    metadata,
    sa.Column("name", sa.Text, primary_key=True),
    sa.Column("active", sa.Integer, nullable=False),
    sa.Column("created_at", sa.Text, nullable=False),
)
answers_table = sa.Table(
    "arena_answers",
    metadata,
    sa.Column("id", sa.Text, primary_key=True),
    sa.Column("prompt_id", sa.Text, nullable=False),
    sa.Column("model", sa.Text, nullable=False),
    sa.Column("run_id", sa.Text, nullable=False),
    sa.Column("task_id", sa.Text, nullable=False),
    sa.Column("idx", sa.Integer, nullable=False),
    sa.Column("text", sa.Text, nullable=False),
    sa.Column("tests_json", sa.Text, nullable=False),
    sa.Column("flag", sa.Text),
    sa.Column("created_at", sa.Text, nullable=False),
)
battles_table = sa.Table(
    "arena_battles",
    metadata,
    sa.Column("id", sa.Text, primary_key=True),
    sa.Column("prompt_id", sa.Text, nullable=False),
    sa.Column("answer_a", sa.Text, nullable=False),
    sa.Column("answer_b", sa.Text, nullable=False),
    sa.Column("model_a", sa.Text, nullable=False),
    sa.Column("model_b", sa.Text, nullable=False),
    sa.Column("pair_key", sa.Text, nullable=False, unique=True),
    sa.Column("created_at", sa.Text, nullable=False),
)
voters_table = sa.Table(
    "arena_voters",
    metadata,
    sa.Column("id", sa.Text, primary_key=True),
    sa.Column("name", sa.Text, nullable=False, unique=True),
    sa.Column("role", sa.Text, nullable=False),
    sa.Column("token_hash", sa.Text, nullable=False, unique=True),
    sa.Column("active", sa.Integer, nullable=False),
    sa.Column("created_at", sa.Text, nullable=False),
)
sessions_table = sa.Table(
    "arena_sessions",
    metadata,
    sa.Column("token_hash", sa.Text, primary_key=True),
    sa.Column("voter_id", sa.Text, nullable=False),
    sa.Column("csrf", sa.Text, nullable=False),
    sa.Column("created_at", sa.Text, nullable=False),
    sa.Column("expires_at", sa.Text, nullable=False),
)
votes_table = sa.Table(
    "arena_votes",
    metadata,
    sa.Column("id", sa.Text, primary_key=True),
    sa.Column("battle_id", sa.Text, nullable=False),
    sa.Column("voter_id", sa.Text, nullable=False),
    sa.Column("choice", sa.Text, nullable=False),
    sa.Column("created_at", sa.Text, nullable=False),
    sa.UniqueConstraint("battle_id", "voter_id"),
)
judgements_table = sa.Table(
    "arena_judgements",
    metadata,
    sa.Column("battle_id", sa.Text, primary_key=True),
    sa.Column("judge_model", sa.Text, primary_key=True),
    sa.Column("side_order", sa.Text, primary_key=True),
    sa.Column("template", sa.Text, nullable=False),
    sa.Column("prompt_json", sa.Text, nullable=False),
    sa.Column("response", sa.Text, nullable=False),
    sa.Column("choice", sa.Text),
    sa.Column("input_tokens", sa.Integer),
    sa.Column("output_tokens", sa.Integer),
    sa.Column("cost_usd", sa.Float),
    sa.Column("latency_s", sa.Float),
    sa.Column("created_at", sa.Text, nullable=False),
)
imported_table = sa.Table(
    "arena_imported",
    metadata,
    sa.Column("key", sa.Text, primary_key=True),
    sa.Column("model_a", sa.Text, nullable=False),
    sa.Column("model_b", sa.Text, nullable=False),
    sa.Column("winner", sa.Text, nullable=False),
    sa.Column("source", sa.Text, nullable=False),
    sa.Column("seq", sa.Integer, nullable=False),
    sa.Column("record_json", sa.Text, nullable=False),
    sa.Column("imported_at", sa.Text, nullable=False),
)


def insert_ignore(
    conn: Connection, table: sa.Table, rows: Sequence[dict[str, Any]], key: Sequence[str]
) -> int:
    """Insert ``rows``, skipping any that clash on ``key``; returns how many were inserted."""
    if not rows:
        return 0
    insert: Callable[[sa.Table], Any] = (
        postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert
    )
    statement = insert(table).on_conflict_do_nothing(index_elements=list(key))
    # One statement per row: executemany does not report how many rows it skipped.
    return sum(max(conn.execute(statement, row).rowcount, 0) for row in rows)


@dataclass(frozen=True, slots=True)
class Voter:
    """Someone who may vote.

    Attributes:
        id: Opaque id (hex), used in exports instead of the name.
        name: Unique display name.
        role: One of :data:`ROLES`.
        active: Whether the voter may still log in.
        created_at: ISO 8601 UTC.
    """

    id: str
    name: str
    role: str
    active: bool
    created_at: str

    @property
    def is_admin(self) -> bool:
        """Whether the voter may manage the arena."""
        return self.role == "admin"


@dataclass(frozen=True, slots=True)
class Session:
    """A logged-in voter and the CSRF token of the session."""

    voter: Voter
    csrf: str


@dataclass(frozen=True, slots=True)
class Prompt:
    """A coding prompt of the pool: a benchmark task.

    Attributes:
        id: ``<benchmark>/<task_id>``, e.g. ``humaneval+/HumanEval/0``.
        benchmark: Benchmark id.
        task_id: Task id as published.
        text: What the models were asked (the benchmark prompt).
        active: Whether new battles may use it.
    """

    id: str
    benchmark: str
    task_id: str
    text: str
    active: bool = True


@dataclass(frozen=True, slots=True)
class Answer:
    """One stored generation offered to the arena.

    Attributes:
        id: Content-independent id derived from (run, task, index).
        prompt_id: The :class:`Prompt` it answers.
        model: The model's name (the run spec's ``model``).
        run_id: The eval run it comes from.
        task_id: Task id.
        index: Completion index within the task.
        text: The answer as the model wrote it (shown escaped, never trusted).
        tests: Test status per test set (``{"base": "pass", "plus": "fail"}``), maybe empty.
        flag: Why the answer is excluded (it names a model), or None.
    """

    id: str
    prompt_id: str
    model: str
    run_id: str
    task_id: str
    index: int
    text: str
    tests: dict[str, str] = field(default_factory=dict)
    flag: str | None = None


@dataclass(frozen=True, slots=True)
class Battle:
    """Two answers to one prompt, in the order they are shown (A left, B right).

    Attributes:
        id: Opaque random id (hex); it reveals nothing about the models.
        prompt: The prompt.
        answer_a: Shown as "Model A".
        answer_b: Shown as "Model B".
        created_at: ISO 8601 UTC.
    """

    id: str
    prompt: Prompt
    answer_a: Answer
    answer_b: Answer
    created_at: str

    @property
    def model_a(self) -> str:
        """The model behind answer A."""
        return self.answer_a.model

    @property
    def model_b(self) -> str:
        """The model behind answer B."""
        return self.answer_b.model


@dataclass(frozen=True, slots=True)
class Vote:
    """One voter's verdict on one battle.

    Attributes:
        id: Opaque id (hex).
        battle_id: The battle.
        voter_id: The voter.
        choice: One of :data:`CHOICES`.
        created_at: ISO 8601 UTC, when it was committed.
    """

    id: str
    battle_id: str
    voter_id: str
    choice: str
    created_at: str


@dataclass(frozen=True, slots=True)
class VoteRow:
    """A vote with the battle facts exports and ratings need.

    Attributes:
        vote: The vote.
        model_a: The model shown as A.
        model_b: The model shown as B.
        prompt_id: The prompt's id.
    """

    vote: Vote
    model_a: str
    model_b: str
    prompt_id: str

    @property
    def winner(self) -> str:
        """FastChat's ``winner`` value."""
        return WINNER_OF_CHOICE[self.vote.choice]


@dataclass(frozen=True, slots=True)
class Judgement:
    """One LLM-judge verdict on one battle, in one presentation order.

    Attributes:
        battle_id: The battle.
        judge_model: The judge's model reference.
        side_order: ``"ab"`` (answers as shown to voters) or ``"ba"`` (swapped).
        template: Name of the judge prompt template.
        prompt: The messages sent, as ``[{"role": ..., "content": ...}]``.
        response: The judge's answer, verbatim.
        choice: The verdict mapped back to the battle's A/B (one of :data:`CHOICES`), or
            None when the answer held no verdict.
        input_tokens: Prompt tokens reported.
        output_tokens: Generated tokens reported.
        cost_usd: What the call cost, or None when the judge's price is unknown.
        latency_s: Seconds the call took.
        created_at: When it was stored (ISO 8601 UTC); None before it is.
    """

    battle_id: str
    judge_model: str
    side_order: str
    template: str
    prompt: list[dict[str, str]]
    response: str
    choice: str | None
    input_tokens: int | None
    output_tokens: int | None
    cost_usd: float | None
    latency_s: float | None
    created_at: str | None = None


@dataclass(frozen=True, slots=True)
class ModelEntry:
    """A model of the pool, for the admin pages."""

    name: str
    active: bool
    answers: int
    flagged: int


@dataclass(frozen=True, slots=True)
class ImportedBattle:
    """A battle read from a FastChat "clean battle" file.

    Attributes:
        key: Content key that makes re-importing the same file a no-op.
        model_a: Model shown first.
        model_b: Model shown second.
        winner: FastChat's winner value.
        source: Source label (``imported`` unless the record or the import said otherwise).
        record: The record as read.
    """

    key: str
    model_a: str
    model_b: str
    winner: str
    source: str
    record: dict[str, Any]

"""Plain ordered schema migrations.

Each migration is a small function that runs DDL on a connection. They are applied in the order
they are defined, at most once per database; the ``_migrations`` table records which ran. Never
edit or reorder a migration that has shipped: add a new one at the end, so every existing
database reaches the same schema by the same steps.

The DDL is written as plain SQL that SQLite and PostgreSQL both accept, because a migration is
history: it must keep producing the same schema even after the query-side table definitions in
:mod:`codejury.store.db` move on.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from sqlalchemy import Connection, Engine, text

from codejury.errors import StoreError

Migration = Callable[[Connection], None]

MIGRATIONS: list[Migration] = []
"""Every migration, in the order it must be applied."""


def migration(function: Migration) -> Migration:
    """Register ``function`` as the next migration; its ``__name__`` is its recorded name."""
    MIGRATIONS.append(function)
    return function


def _run(conn: Connection, *statements: str) -> None:
    for statement in statements:
        conn.execute(text(statement))


@migration
def m001_initial(conn: Connection) -> None:
    """Create runs, their samples and verdicts, and the cross-run verdict cache."""
    # IF NOT EXISTS lets this step be re-run after a partial failure on a driver that cannot
    # roll DDL back.
    _run(
        conn,
        """
        CREATE TABLE IF NOT EXISTS runs (
            id TEXT PRIMARY KEY,
            kind TEXT NOT NULL,
            benchmark TEXT,
            dataset_hash TEXT,
            created_at TEXT NOT NULL,
            finished_at TEXT,
            status TEXT NOT NULL,
            spec_json TEXT NOT NULL,
            environment_json TEXT NOT NULL,
            summary_json TEXT
        )
        """,
        # list_runs filters by kind and sorts newest first.
        "CREATE INDEX IF NOT EXISTS ix_runs_created_at ON runs (created_at)",
        "CREATE INDEX IF NOT EXISTS ix_runs_kind_created_at ON runs (kind, created_at)",
        """
        CREATE TABLE IF NOT EXISTS samples (
            run_id TEXT NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
            task_id TEXT NOT NULL,
            idx INTEGER NOT NULL,
            solution TEXT NOT NULL,
            solution_hash TEXT NOT NULL,
            PRIMARY KEY (run_id, task_id, idx)
        )
        """,
        # Comparing models on the same solutions, and dedup across runs, look up by hash.
        "CREATE INDEX IF NOT EXISTS ix_samples_solution_hash ON samples (solution_hash)",
        """
        CREATE TABLE IF NOT EXISTS verdicts (
            run_id TEXT NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
            task_id TEXT NOT NULL,
            idx INTEGER NOT NULL,
            part TEXT NOT NULL,
            status TEXT NOT NULL,
            detail_json TEXT NOT NULL,
            PRIMARY KEY (run_id, task_id, idx, part)
        )
        """,
        """
        CREATE TABLE IF NOT EXISTS verdict_cache (
            key TEXT PRIMARY KEY,
            value_json TEXT NOT NULL,
            created_at TEXT NOT NULL
        )
        """,
    )
    # The primary keys of samples and verdicts start with run_id, so they already serve the
    # per-run reads; no separate run_id index is needed.


@migration
def m002_generations(conn: Connection) -> None:
    """Model completions of generation runs, and the content-addressed completion cache."""
    _run(
        conn,
        """
        CREATE TABLE IF NOT EXISTS generations (
            run_id TEXT NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
            task_id TEXT NOT NULL,
            idx INTEGER NOT NULL,
            cache_key TEXT NOT NULL,
            raw_text TEXT NOT NULL,
            reasoning TEXT,
            code TEXT NOT NULL,
            sanitize_rule TEXT NOT NULL,
            finish_reason TEXT,
            truncated INTEGER NOT NULL,
            input_tokens INTEGER,
            output_tokens INTEGER,
            ttft_s REAL,
            latency_s REAL,
            cost_usd REAL,
            response_id TEXT,
            model_id TEXT,
            system_fingerprint TEXT,
            cached INTEGER NOT NULL,
            error TEXT,
            created_at TEXT NOT NULL,
            PRIMARY KEY (run_id, task_id, idx)
        )
        """,
        """
        CREATE TABLE IF NOT EXISTS generation_cache (
            key TEXT PRIMARY KEY,
            value_json TEXT NOT NULL,
            created_at TEXT NOT NULL
        )
        """,
        # Resuming looks for an unfinished run with the same spec key.
        "CREATE INDEX IF NOT EXISTS ix_runs_kind_status ON runs (kind, status)",
    )


@migration
def m003_arena(conn: Connection) -> None:
    """The blind arena: prompts, models, answers, battles, voters, sessions, votes, verdicts."""
    _run(
        conn,
        """
        CREATE TABLE IF NOT EXISTS arena_prompts (
            id TEXT PRIMARY KEY,
            benchmark TEXT NOT NULL,
            task_id TEXT NOT NULL,
            text TEXT NOT NULL,
            active INTEGER NOT NULL,
            created_at TEXT NOT NULL
        )
        """,
        """
        CREATE TABLE IF NOT EXISTS arena_models (
            name TEXT PRIMARY KEY,
            active INTEGER NOT NULL,
            created_at TEXT NOT NULL
        )
        """,
        # No foreign key to runs: deleting a run must never take votes with it.
        """
        CREATE TABLE IF NOT EXISTS arena_answers (
            id TEXT PRIMARY KEY,
            prompt_id TEXT NOT NULL REFERENCES arena_prompts (id),
            model TEXT NOT NULL REFERENCES arena_models (name),
            run_id TEXT NOT NULL,
            task_id TEXT NOT NULL,
            idx INTEGER NOT NULL,
            text TEXT NOT NULL,
            tests_json TEXT NOT NULL,
            flag TEXT,
            created_at TEXT NOT NULL,
            UNIQUE (run_id, task_id, idx)
        )
        """,
        "CREATE INDEX IF NOT EXISTS ix_arena_answers_model ON arena_answers (model)",
        """
        CREATE TABLE IF NOT EXISTS arena_battles (
            id TEXT PRIMARY KEY,
            prompt_id TEXT NOT NULL REFERENCES arena_prompts (id),
            answer_a TEXT NOT NULL REFERENCES arena_answers (id),
            answer_b TEXT NOT NULL REFERENCES arena_answers (id),
            model_a TEXT NOT NULL,
            model_b TEXT NOT NULL,
            pair_key TEXT NOT NULL UNIQUE,
            created_at TEXT NOT NULL
        )
        """,
        """
        CREATE TABLE IF NOT EXISTS arena_voters (
            id TEXT PRIMARY KEY,
            name TEXT NOT NULL UNIQUE,
            role TEXT NOT NULL,
            token_hash TEXT NOT NULL UNIQUE,
            active INTEGER NOT NULL,
            created_at TEXT NOT NULL
        )
        """,
        """
        CREATE TABLE IF NOT EXISTS arena_sessions (
            token_hash TEXT PRIMARY KEY,
            voter_id TEXT NOT NULL REFERENCES arena_voters (id),
            csrf TEXT NOT NULL,
            created_at TEXT NOT NULL,
            expires_at TEXT NOT NULL
        )
        """,
        # The UNIQUE constraint is what makes a vote count once, whatever the web layer does.
        """
        CREATE TABLE IF NOT EXISTS arena_votes (
            id TEXT PRIMARY KEY,
            battle_id TEXT NOT NULL REFERENCES arena_battles (id),
            voter_id TEXT NOT NULL REFERENCES arena_voters (id),
            choice TEXT NOT NULL,
            created_at TEXT NOT NULL,
            UNIQUE (battle_id, voter_id)
        )
        """,
        "CREATE INDEX IF NOT EXISTS ix_arena_votes_voter ON arena_votes (voter_id)",
        "CREATE INDEX IF NOT EXISTS ix_arena_votes_created_at ON arena_votes (created_at)",
        """
        CREATE TABLE IF NOT EXISTS arena_judgements (
            battle_id TEXT NOT NULL REFERENCES arena_battles (id),
            judge_model TEXT NOT NULL,
            side_order TEXT NOT NULL,
            template TEXT NOT NULL,
            prompt_json TEXT NOT NULL,
            response TEXT NOT NULL,
            choice TEXT,
            input_tokens INTEGER,
            output_tokens INTEGER,
            cost_usd REAL,
            latency_s REAL,
            created_at TEXT NOT NULL,
            PRIMARY KEY (battle_id, judge_model, side_order)
        )
        """,
        """
        CREATE TABLE IF NOT EXISTS arena_imported (
            key TEXT PRIMARY KEY,
            model_a TEXT NOT NULL,
            model_b TEXT NOT NULL,
            winner TEXT NOT NULL,
            source TEXT NOT NULL,
            seq INTEGER NOT NULL,
            record_json TEXT NOT NULL,
            imported_at TEXT NOT NULL
        )
        """,
    )


def _ensure_ledger(conn: Connection) -> None:
    conn.execute(
        text(
            "CREATE TABLE IF NOT EXISTS _migrations ("
            " name TEXT PRIMARY KEY,"
            " applied_at TEXT NOT NULL)"
        )
    )


def applied_migrations(conn: Connection) -> list[str]:
    """Names of the migrations already applied to the database, in the order they ran."""
    _ensure_ledger(conn)
    rows = conn.execute(text("SELECT name FROM _migrations ORDER BY applied_at, name"))
    return [row[0] for row in rows]


def migrate(engine: Engine) -> list[str]:
    """Apply every migration the database has not had yet, in one transaction.

    Safe to call on every start: an up-to-date database costs one small query. When two
    processes migrate the same SQLite file at once, the engine made by
    :class:`codejury.store.Store` takes the write lock at ``BEGIN``, so the second waits and then
    finds nothing left to do.

    Args:
        engine: The engine of the database to migrate.

    Returns:
        The names of the migrations applied by this call (empty when up to date).

    Raises:
        StoreError: The database was migrated by a newer codejury than this one.
    """
    known = [step.__name__ for step in MIGRATIONS]
    applied_now: list[str] = []
    with engine.begin() as conn:
        done = set(applied_migrations(conn))
        unknown = sorted(done - set(known))
        if unknown:
            # Running old code on a newer schema could silently drop or misread data.
            raise StoreError(
                f"the store was upgraded by a newer codejury (unknown migrations: "
                f"{', '.join(unknown)})",
                hint="upgrade codejury, or point CODEJURY_DB at another database",
            )
        for step in MIGRATIONS:
            if step.__name__ in done:
                continue
            step(conn)
            conn.execute(
                text("INSERT INTO _migrations (name, applied_at) VALUES (:name, :at)"),
                {"name": step.__name__, "at": datetime.now(UTC).isoformat()},
            )
            applied_now.append(step.__name__)
    return applied_now

"""The local store: runs, samples, verdicts and the verdict cache, in SQLite by default.

SQLAlchemy Core, not the ORM: the records are plain frozen dataclasses and every query here is
a handful of lines. The SQL stays dialect-neutral where that is cheap (upserts go through the
SQLite or PostgreSQL ``INSERT ... ON CONFLICT`` construct), but only SQLite is tested.
"""

from __future__ import annotations

import json
import os
import sqlite3
import time
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import Any, Self

import platformdirs
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import URL, Connection, Engine
from sqlalchemy.pool import ConnectionPoolEntry

from codejury.errors import StoreError
from codejury.store.arena import Arena
from codejury.store.generations import Generations
from codejury.store.migrations import migrate
from codejury.store.records import (
    FINAL_RUN_STATUSES,
    RunRecord,
    SampleRecord,
    VerdictRecord,
)

ENV_VAR = "CODEJURY_DB"
BUSY_TIMEOUT_S: float = 30
"""How long a write waits for another process's write transaction before failing."""
MIN_PREFIX = 4
"""Shortest run id prefix :meth:`Store.get_run` accepts, like git's short hashes."""

# SQLite builds before 3.32 allow only 999 bound variables per statement; stay well below.
_IN_CHUNK = 500
_SUPPORTED_DIALECTS = ("sqlite", "postgresql")

# Query-side view of the schema that the migrations build. A test checks the two agree.
_metadata = sa.MetaData()
runs_table = sa.Table(
    "runs",
    _metadata,
    sa.Column("id", sa.Text, primary_key=True),
    sa.Column("kind", sa.Text, nullable=False),
    sa.Column("benchmark", sa.Text),
    sa.Column("dataset_hash", sa.Text),
    sa.Column("created_at", sa.Text, nullable=False),
    sa.Column("finished_at", sa.Text),
    sa.Column("status", sa.Text, nullable=False),
    sa.Column("spec_json", sa.Text, nullable=False),
    sa.Column("environment_json", sa.Text, nullable=False),
    sa.Column("summary_json", sa.Text),
)
samples_table = sa.Table(
    "samples",
    _metadata,
    sa.Column("run_id", sa.Text, primary_key=True),
    sa.Column("task_id", sa.Text, primary_key=True),
    sa.Column("idx", sa.Integer, primary_key=True),
    sa.Column("solution", sa.Text, nullable=False),
    sa.Column("solution_hash", sa.Text, nullable=False),
)
verdicts_table = sa.Table(
    "verdicts",
    _metadata,
    sa.Column("run_id", sa.Text, primary_key=True),
    sa.Column("task_id", sa.Text, primary_key=True),
    sa.Column("idx", sa.Integer, primary_key=True),
    sa.Column("part", sa.Text, primary_key=True),
    sa.Column("status", sa.Text, nullable=False),
    sa.Column("detail_json", sa.Text, nullable=False),
)
cache_table = sa.Table(
    "verdict_cache",
    _metadata,
    sa.Column("key", sa.Text, primary_key=True),
    sa.Column("value_json", sa.Text, nullable=False),
    sa.Column("created_at", sa.Text, nullable=False),
)


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="microseconds")


def database_url(target: str | os.PathLike[str] | None = None) -> URL:
    """Resolve where the store lives.

    Precedence: ``target`` > the ``CODEJURY_DB`` environment variable >
    ``<user data dir>/codejury/codejury.db``. Either may be a file path or an SQLAlchemy URL
    (anything containing ``://``).

    Args:
        target: A path or URL, or None to use the environment or the default.

    Returns:
        The SQLAlchemy URL to connect to.

    Raises:
        StoreError: The URL cannot be parsed.
    """
    chosen: str | os.PathLike[str] | None = target
    if chosen is None or str(chosen) == "":
        chosen = os.environ.get(ENV_VAR) or None
    if chosen is None:
        chosen = Path(platformdirs.user_data_dir("codejury")) / "codejury.db"
    if isinstance(chosen, str) and "://" in chosen:
        try:
            return sa.make_url(chosen)
        except sa.exc.ArgumentError as exc:
            raise StoreError(
                f"cannot parse the database URL {chosen!r}: {exc}",
                hint=f"give a file path or an SQLAlchemy URL (e.g. sqlite:///path/to.db) "
                f"in {ENV_VAR} or --db",
            ) from exc
    path = Path(chosen).expanduser().absolute()
    return URL.create("sqlite", database=str(path))


def _sqlite_file(url: URL) -> Path | None:
    """The database file of a file-backed SQLite URL, else None (memory or another server)."""
    if url.get_backend_name() != "sqlite":
        return None
    database = url.database or ""
    if database in ("", ":memory:") or database.startswith("file:"):
        return None
    return Path(database)


def _on_sqlite_connect(dbapi_conn: Any, _record: ConnectionPoolEntry) -> None:
    # Let the "begin" listener issue BEGIN itself: Python's sqlite3 module otherwise opens
    # transactions only before DML, which leaves migrations' DDL outside the transaction and
    # makes writers take the lock late (a deferred read-then-write can fail with SQLITE_BUSY
    # at once, without waiting for the busy timeout).
    dbapi_conn.isolation_level = None
    cursor = dbapi_conn.cursor()
    try:
        cursor.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT_S * 1000)}")
        cursor.execute("PRAGMA foreign_keys = ON")
        _use_wal(cursor)
        # With WAL, NORMAL keeps every committed transaction across a killed process (only
        # an OS crash or power loss can lose the last ones) and drops the fsync per commit,
        # which is what lets each completion be committed on its own as it arrives.
        cursor.execute("PRAGMA synchronous = NORMAL")
    finally:
        cursor.close()


def _use_wal(cursor: Any) -> None:
    """Switch the file to write-ahead logging, which lets readers and one writer overlap."""
    # The mode is stored in the file, so this is usually a cheap read.
    if cursor.execute("PRAGMA journal_mode").fetchone()[0] == "wal":
        return
    # Switching needs an exclusive lock and SQLite does not apply the busy timeout to it: when
    # two processes create the store at once, the loser gets "database is locked" at once.
    # Retry until the busy timeout, as any other write would wait.
    deadline = time.monotonic() + BUSY_TIMEOUT_S
    while True:
        try:
            cursor.execute("PRAGMA journal_mode = WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() >= deadline:
                raise
            time.sleep(0.02)


def _on_sqlite_begin(conn: Connection) -> None:
    # Writers ask for IMMEDIATE so the write lock is taken (and waited for) at BEGIN.
    mode = conn.get_execution_options().get("sqlite_begin", "DEFERRED")
    conn.exec_driver_sql(f"BEGIN {mode}")


def _dumps(value: Any, what: str) -> str:
    try:
        return json.dumps(value, allow_nan=False, ensure_ascii=False)
    except (TypeError, ValueError) as exc:
        raise StoreError(
            f"cannot store {what}: it is not plain JSON ({exc})",
            hint="use only dicts, lists, strings, finite numbers, booleans and None",
        ) from exc


def _loads(value: str | None) -> Any:
    return None if value is None else json.loads(value)


def _run_from_row(row: sa.Row[Any]) -> RunRecord:
    return RunRecord(
        id=row.id,
        kind=row.kind,
        benchmark=row.benchmark,
        dataset_hash=row.dataset_hash,
        created_at=row.created_at,
        finished_at=row.finished_at,
        status=row.status,
        spec=_loads(row.spec_json),
        environment=_loads(row.environment_json),
        summary=_loads(row.summary_json),
    )


class Store:
    """A handle on the local store.

    Open one with :meth:`Store.open`; use it as a context manager or call :meth:`close`. A store
    may be used from any thread of one process; several processes may write the same SQLite
    file at once (each waits up to 30 s for the others' write transactions). Do not carry an
    open store across ``fork``: open a new one in the child.
    """

    def __init__(self, engine: Engine, location: str) -> None:
        """Wrap an engine whose database is already migrated; prefer :meth:`Store.open`."""
        self._engine = engine
        # For SQLite, a view of the same engine whose transactions start with BEGIN IMMEDIATE.
        self._writer = engine.execution_options(sqlite_begin="IMMEDIATE")
        self._statements: dict[tuple[str, tuple[str, ...]], Any] = {}
        self.location = location
        """Where the store lives, for messages: the file path, or the URL without password."""

    # -- lifecycle -------------------------------------------------------------------------

    @classmethod
    def open(cls, target: str | os.PathLike[str] | None = None) -> Self:
        """Open (creating if needed) and migrate the store.

        Args:
            target: Database file path or SQLAlchemy URL; None means ``CODEJURY_DB`` or the
                default under the user data directory.

        Returns:
            An open, up-to-date store.

        Raises:
            StoreError: The location cannot be created or opened, is not a database, is locked
                for longer than the busy timeout, or was upgraded by a newer codejury.
        """
        url = database_url(target)
        file = _sqlite_file(url)
        location = str(file) if file else url.render_as_string(hide_password=True)
        if url.get_backend_name() not in _SUPPORTED_DIALECTS:
            raise StoreError(
                f"unsupported database {location}: codejury stores runs in SQLite (or PostgreSQL)",
                hint=f"set {ENV_VAR} to a file path",
            )
        if file is not None:
            try:
                file.parent.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise StoreError(
                    f"cannot create the directory for the store {file}: {exc.strerror}",
                    hint=f"set {ENV_VAR} to a path in a writable directory",
                ) from exc
        try:
            engine = sa.create_engine(url)
        except (sa.exc.SQLAlchemyError, ImportError) as exc:
            # Typically a server database whose driver is not installed.
            raise StoreError(
                f"cannot use the database {location}: {exc}",
                hint="install its driver, or set CODEJURY_DB to a file path",
            ) from exc
        if url.get_backend_name() == "sqlite":
            sa.event.listen(engine, "connect", _on_sqlite_connect)
            sa.event.listen(engine, "begin", _on_sqlite_begin)
        store = cls(engine, location)
        try:
            with store._guard("open the store"):
                migrate(store._writer)
        except StoreError as exc:
            engine.dispose()
            if location in exc.message:
                raise
            raise StoreError(f"{location}: {exc.message}", hint=exc.hint) from exc
        except BaseException:
            engine.dispose()
            raise
        return store

    def close(self) -> None:
        """Release every connection; the store must not be used afterwards."""
        self._engine.dispose()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    # -- runs ------------------------------------------------------------------------------

    def create_run(
        self,
        *,
        kind: str,
        benchmark: str | None,
        dataset_hash: str | None,
        spec: dict[str, Any],
        environment: dict[str, Any],
        run_id: str | None = None,
    ) -> str:
        """Record a new run with status ``running``.

        Args:
            kind: What the run does, e.g. ``score``.
            benchmark: Benchmark id, or None.
            dataset_hash: Content hash of the dataset, or None.
            spec: The run's frozen spec (JSON object).
            environment: Versions, platform and sandbox layers (JSON object).
            run_id: The id to use; a new uuid4 hex when None.

        Returns:
            The run's id.

        Raises:
            StoreError: The id is taken, a value is not JSON, or the database failed.
        """
        run_id = run_id or uuid.uuid4().hex
        values = {
            "id": run_id,
            "kind": kind,
            "benchmark": benchmark,
            "dataset_hash": dataset_hash,
            "created_at": _now(),
            "finished_at": None,
            "status": "running",
            "spec_json": _dumps(spec, "the run spec"),
            "environment_json": _dumps(environment, "the run environment"),
            "summary_json": None,
        }
        with self._guard(f"create run {run_id}"), self._writer.begin() as conn:
            exists = conn.execute(sa.select(runs_table.c.id).where(runs_table.c.id == run_id))
            if exists.first() is not None:
                raise StoreError(
                    f"a run with id {run_id} already exists in {self.location}",
                    hint="choose another id, or leave it out to get a fresh one",
                )
            conn.execute(runs_table.insert().values(values))
        return run_id

    def finish_run(self, run_id: str, *, status: str, summary: dict[str, Any] | None) -> None:
        """Mark a run as ended and store its summary.

        Args:
            run_id: The run's full id.
            status: ``finished``, ``interrupted`` or ``failed``.
            summary: Headline results (JSON object), or None.

        Raises:
            ValueError: ``status`` is not a final status (a bug in the caller).
            StoreError: No such run, the summary is not JSON, or the database failed.
        """
        if status not in FINAL_RUN_STATUSES:
            raise ValueError(f"finish_run status must be one of {FINAL_RUN_STATUSES}: {status!r}")
        summary_json = None if summary is None else _dumps(summary, "the run summary")
        statement = (
            runs_table.update()
            .where(runs_table.c.id == run_id)
            .values(status=status, finished_at=_now(), summary_json=summary_json)
        )
        with self._guard(f"finish run {run_id}"), self._writer.begin() as conn:
            if conn.execute(statement).rowcount == 0:
                raise self._no_run(run_id)

    def update_summary(self, run_id: str, summary: dict[str, Any]) -> None:
        """Replace a run's summary without changing its status (saves work in progress).

        A long multi-stage run (``codejury select``) records each stage as it finishes, so
        a crash loses at most the stage in progress.

        Raises:
            StoreError: No such run, the summary is not JSON, or the database failed.
        """
        statement = (
            runs_table.update()
            .where(runs_table.c.id == run_id)
            .values(summary_json=_dumps(summary, "the run summary"))
        )
        with self._guard(f"update run {run_id}"), self._writer.begin() as conn:
            if conn.execute(statement).rowcount == 0:
                raise self._no_run(run_id)

    def reopen_run(self, run_id: str) -> None:
        """Set an unfinished run back to ``running`` to resume it.

        Raises:
            StoreError: No such run, or it already finished.
        """
        statement = (
            runs_table.update()
            .where(runs_table.c.id == run_id, runs_table.c.status != "finished")
            .values(status="running", finished_at=None)
        )
        with self._guard(f"resume run {run_id}"), self._writer.begin() as conn:
            if conn.execute(statement).rowcount == 0:
                raise StoreError(
                    f"run {run_id} in {self.location} does not exist or has already finished",
                    hint="start a new run instead",
                )

    @property
    def generations(self) -> Generations:
        """Model completions and the completion cache."""
        return Generations(self)

    @property
    def arena(self) -> Arena:
        """Arena voters, pool, battles, votes and judge verdicts."""
        return Arena(self)

    def list_runs(self, *, kind: str | None = None, limit: int = 50) -> list[RunRecord]:
        """The most recent runs, newest first.

        Args:
            kind: Only runs of this kind; all kinds when None.
            limit: At most this many runs.

        Returns:
            The runs, newest first.
        """
        query = sa.select(runs_table).order_by(
            runs_table.c.created_at.desc(), runs_table.c.id.desc()
        )
        if kind is not None:
            query = query.where(runs_table.c.kind == kind)
        with self._guard("list runs"), self._engine.connect() as conn:
            return [_run_from_row(row) for row in conn.execute(query.limit(limit))]

    def get_run(self, run_id: str) -> RunRecord:
        """Look a run up by its id or a unique prefix of at least 4 characters.

        Args:
            run_id: The full id, or an unambiguous prefix of it.

        Returns:
            The run.

        Raises:
            StoreError: No run matches, or the prefix matches several.
        """
        with self._guard(f"look up run {run_id}"), self._engine.connect() as conn:
            row = conn.execute(sa.select(runs_table).where(runs_table.c.id == run_id)).first()
            if row is not None:
                return _run_from_row(row)
            if len(run_id) < MIN_PREFIX:
                raise self._no_run(run_id)
            prefix_query = (
                sa.select(runs_table)
                .where(runs_table.c.id.startswith(run_id, autoescape=True))
                .order_by(runs_table.c.created_at.desc())
                .limit(6)
            )
            matches = conn.execute(prefix_query).all()
        if not matches:
            raise self._no_run(run_id)
        if len(matches) > 1:
            shown = ", ".join(row.id for row in matches[:5])
            more = ", ..." if len(matches) > 5 else ""
            raise StoreError(
                f"run id prefix {run_id!r} matches several runs in {self.location}: {shown}{more}",
                hint="give more characters of the id",
            )
        return _run_from_row(matches[0])

    def _no_run(self, run_id: str) -> StoreError:
        short = len(run_id) < MIN_PREFIX
        hint = (
            f"give at least {MIN_PREFIX} characters of the id"
            if short
            else "list the stored runs to find its id"
        )
        return StoreError(f"no run with id {run_id!r} in {self.location}", hint=hint)

    # -- samples and verdicts --------------------------------------------------------------

    def add_samples(self, run_id: str, samples: Sequence[SampleRecord]) -> None:
        """Add samples to a run, in one transaction.

        Samples are append-only: one already stored under the same (task_id, index) is kept
        and the new one ignored, so re-adding after a resume is harmless.

        Args:
            run_id: The run's full id.
            samples: The samples to add.

        Raises:
            StoreError: No such run, or the database failed.
        """
        rows = [
            {
                "run_id": run_id,
                "task_id": sample.task_id,
                "idx": sample.index,
                "solution": sample.solution,
                "solution_hash": sample.solution_hash,
            }
            for sample in samples
        ]
        self._upsert(samples_table, rows, update=(), action=f"add samples to run {run_id}")

    def record_verdicts(self, run_id: str, verdicts: Sequence[VerdictRecord]) -> None:
        """Store verdicts of a run in one transaction, replacing earlier ones for the same part.

        Args:
            run_id: The run's full id.
            verdicts: The verdicts to store.

        Raises:
            StoreError: No such run, a detail is not JSON, or the database failed.
        """
        rows = [
            {
                "run_id": run_id,
                "task_id": verdict.task_id,
                "idx": verdict.index,
                "part": verdict.part,
                "status": verdict.status,
                "detail_json": _dumps(verdict.detail, f"the verdict detail of {verdict.task_id}"),
            }
            for verdict in verdicts
        ]
        self._upsert(
            verdicts_table,
            rows,
            update=("status", "detail_json"),
            action=f"record verdicts of run {run_id}",
        )

    def run_samples(self, run_id: str) -> list[SampleRecord]:
        """Every sample of a run (empty for an unknown id), ordered by task id then index."""
        query = (
            sa.select(samples_table)
            .where(samples_table.c.run_id == run_id)
            .order_by(samples_table.c.task_id, samples_table.c.idx)
        )
        with self._guard(f"read samples of run {run_id}"), self._engine.connect() as conn:
            return [
                SampleRecord(row.task_id, row.idx, row.solution, row.solution_hash)
                for row in conn.execute(query)
            ]

    def run_verdicts(self, run_id: str) -> list[VerdictRecord]:
        """Every verdict of a run (empty for an unknown id), ordered by task, index and part."""
        query = (
            sa.select(verdicts_table)
            .where(verdicts_table.c.run_id == run_id)
            .order_by(verdicts_table.c.task_id, verdicts_table.c.idx, verdicts_table.c.part)
        )
        with self._guard(f"read verdicts of run {run_id}"), self._engine.connect() as conn:
            return [
                VerdictRecord(row.task_id, row.idx, row.part, row.status, _loads(row.detail_json))
                for row in conn.execute(query)
            ]

    # -- verdict cache ---------------------------------------------------------------------

    def cached_verdicts(self, keys: Sequence[str]) -> dict[str, dict[str, Any]]:
        """Look up cached verdicts.

        Args:
            keys: Cache keys (built by the scorer: :func:`codejury.scoring.evaluate.verdict_key`).

        Returns:
            The cached value of every key found; missing keys are absent.
        """
        wanted = list(dict.fromkeys(keys))
        found: dict[str, dict[str, Any]] = {}
        with self._guard("read the verdict cache"), self._engine.connect() as conn:
            for start in range(0, len(wanted), _IN_CHUNK):
                chunk = wanted[start : start + _IN_CHUNK]
                query = sa.select(cache_table.c.key, cache_table.c.value_json).where(
                    cache_table.c.key.in_(chunk)
                )
                found.update((row.key, _loads(row.value_json)) for row in conn.execute(query))
        return found

    def cache_verdicts(self, items: Mapping[str, dict[str, Any]]) -> None:
        """Store (or replace) cached verdicts in one transaction.

        Args:
            items: Value to cache under each key.

        Raises:
            StoreError: A value is not JSON, or the database failed.
        """
        created_at = _now()
        rows = [
            {"key": key, "value_json": _dumps(value, "a cached verdict"), "created_at": created_at}
            for key, value in items.items()
        ]
        self._upsert(
            cache_table, rows, update=("value_json", "created_at"), action="write the verdict cache"
        )

    # -- plumbing --------------------------------------------------------------------------

    def _upsert(
        self,
        table: sa.Table,
        rows: list[dict[str, Any]],
        *,
        update: Sequence[str],
        action: str,
    ) -> None:
        """Insert ``rows``; on a key clash update the ``update`` columns, or keep the old row."""
        self._upsert_many([(table, rows, tuple(update))], action=action)

    def _upsert_many(
        self,
        batches: Sequence[tuple[sa.Table, list[dict[str, Any]], tuple[str, ...]]],
        *,
        action: str,
    ) -> None:
        """Several :meth:`_upsert` batches ``(table, rows, update)`` in one transaction."""
        if not any(rows for _table, rows, _update in batches):
            return
        # A list of parameter sets runs as one executemany: fast for 10k rows.
        with self._guard(action), self._writer.begin() as conn:
            for table, rows, update in batches:
                if rows:
                    conn.execute(self._upsert_statement(table, update), rows)

    def _upsert_statement(self, table: sa.Table, update: tuple[str, ...]) -> Any:
        # Building an ON CONFLICT statement costs more than running it for one row (SQLAlchemy
        # makes a fresh `excluded` alias each time); statements are immutable, so build once.
        statement = self._statements.get((table.name, update))
        if statement is not None:
            return statement
        insert: Callable[[sa.Table], Any] = (
            postgresql.insert if self._engine.dialect.name == "postgresql" else sqlite.insert
        )
        statement = insert(table)
        key = [column.name for column in table.primary_key.columns]
        if update:
            statement = statement.on_conflict_do_update(
                index_elements=key,
                set_={name: statement.excluded[name] for name in update},
            )
        else:
            statement = statement.on_conflict_do_nothing(index_elements=key)
        self._statements[(table.name, update)] = statement
        return statement

    @contextmanager
    def _guard(self, action: str) -> Iterator[None]:
        """Turn database failures into a StoreError naming the store and what to do."""
        try:
            yield
        except sa.exc.IntegrityError as exc:
            reason = str(exc.orig)
            if "FOREIGN KEY" in reason.upper():
                raise StoreError(
                    f"cannot {action}: the run does not exist in {self.location}",
                    hint="create the run first (create_run)",
                ) from exc
            raise StoreError(f"cannot {action} in {self.location}: {reason}") from exc
        except sa.exc.SQLAlchemyError as exc:
            raise _classify(exc, action, self.location) from exc


def _classify(exc: sa.exc.SQLAlchemyError, action: str, location: str) -> StoreError:
    """A StoreError that says what went wrong with the database and how to recover."""
    reason = str(getattr(exc, "orig", None) or exc)
    lowered = reason.lower()
    if "locked" in lowered or "busy" in lowered:
        return StoreError(
            f"cannot {action}: the store {location} is locked by another process "
            f"(waited up to {BUSY_TIMEOUT_S:g} s)",
            hint="another codejury process is writing to it; wait for it to finish and retry, "
            f"or point {ENV_VAR} at another file",
        )
    if "not a database" in lowered or "malformed" in lowered or "corrupt" in lowered:
        return StoreError(
            f"cannot {action}: {location} is not a codejury store, or it is corrupt ({reason})",
            hint=f"move the file aside (a fresh store is then created there), or point "
            f"{ENV_VAR} at another file",
        )
    if "unable to open" in lowered or "readonly" in lowered or "read-only" in lowered:
        return StoreError(
            f"cannot {action}: cannot open or write {location} ({reason})",
            hint=f"check the file and its directory are writable, or point {ENV_VAR} "
            "at another file",
        )
    if "disk" in lowered and "full" in lowered:
        return StoreError(
            f"cannot {action}: the disk holding {location} is full",
            hint="free some space and run the same command again to resume",
        )
    return StoreError(f"cannot {action} in {location}: {reason}")

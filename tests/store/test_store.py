"""Tests of the local store, each on its own database under tmp_path."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import threading
from collections.abc import Iterator
from itertools import count
from pathlib import Path
from typing import Any

import platformdirs
import pytest
import sqlalchemy as sa

from codejury.errors import StoreError
from codejury.store import (
    MIGRATIONS,
    RunRecord,
    SampleRecord,
    Store,
    VerdictRecord,
    database_url,
    migrate,
)
from codejury.store import db as store_db
from codejury.store import migrations as store_migrations


@pytest.fixture(autouse=True)
def _isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Whatever a test forgets to pass, it must never reach the real user data directory.
    monkeypatch.setenv("CODEJURY_DB", str(tmp_path / "env" / "codejury.db"))
    monkeypatch.setattr(platformdirs, "user_data_dir", lambda *_a, **_k: str(tmp_path / "userdata"))


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "store.db"


@pytest.fixture
def store(db_path: Path) -> Iterator[Store]:
    with Store.open(db_path) as opened:
        yield opened


def _new_run(
    store: Store,
    *,
    kind: str = "score",
    benchmark: str | None = "humaneval+",
    dataset_hash: str | None = "abc123",
    spec: dict[str, Any] | None = None,
    run_id: str | None = None,
) -> str:
    return store.create_run(
        kind=kind,
        benchmark=benchmark,
        dataset_hash=dataset_hash,
        spec={"model": "mock/echo", "n": 1} if spec is None else spec,
        environment={"python": "3.11"},
        run_id=run_id,
    )


# -- where the store lives --------------------------------------------------------------------


def test_explicit_target_beats_env_and_default(tmp_path: Path) -> None:
    assert database_url(tmp_path / "a.db").database == str(tmp_path / "a.db")
    assert database_url(str(tmp_path / "b.db")).database == str(tmp_path / "b.db")


def test_env_beats_default(tmp_path: Path) -> None:
    assert database_url().database == str(tmp_path / "env" / "codejury.db")


def test_default_is_user_data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CODEJURY_DB")
    assert database_url().database == str(tmp_path / "userdata" / "codejury.db")


def test_env_may_be_a_url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "from-url" / "x.db"
    monkeypatch.setenv("CODEJURY_DB", f"sqlite:///{target}")
    with Store.open() as store:
        assert store.location == str(target)
    assert target.is_file()


def test_open_creates_parent_directories(tmp_path: Path) -> None:
    with Store.open() as store:
        _new_run(store)
    assert (tmp_path / "env" / "codejury.db").is_file()


def test_sqlite_settings_are_applied(store: Store, db_path: Path) -> None:
    with store._engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 30_000


def test_unsupported_backend_is_refused() -> None:
    with pytest.raises(StoreError, match="unsupported database") as caught:
        Store.open("mysql://user:secret@localhost/codejury")
    assert "secret" not in str(caught.value), "passwords must not reach messages"


# -- migrations -------------------------------------------------------------------------------


def _applied(db_path: Path) -> list[str]:
    with sqlite3.connect(db_path) as conn:
        return [row[0] for row in conn.execute("SELECT name FROM _migrations ORDER BY name")]


def test_migrations_are_recorded_and_idempotent(db_path: Path) -> None:
    names = [step.__name__ for step in MIGRATIONS]
    assert names == sorted(names), "migrations must be named in the order they run"
    assert len(set(names)) == len(names)

    Store.open(db_path).close()
    assert _applied(db_path) == names
    with Store.open(db_path) as store:
        assert migrate(store._writer) == []
    assert _applied(db_path) == names


def test_migrated_schema_matches_query_tables(store: Store) -> None:
    inspector = sa.inspect(store._engine)
    for table in store_db._metadata.sorted_tables:
        migrated = {column["name"] for column in inspector.get_columns(table.name)}
        assert migrated == {column.name for column in table.columns}, table.name
        primary_key = inspector.get_pk_constraint(table.name)["constrained_columns"]
        assert primary_key == [column.name for column in table.primary_key.columns]


def test_failed_migration_leaves_no_trace(db_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def m999_broken(conn: sa.Connection) -> None:
        conn.exec_driver_sql("CREATE TABLE half_done (x INTEGER)")
        raise RuntimeError("boom")

    monkeypatch.setattr(store_migrations, "MIGRATIONS", [*MIGRATIONS, m999_broken])
    with pytest.raises(RuntimeError, match="boom"):
        Store.open(db_path)
    # The whole migration ran in one transaction: even the first step was rolled back.
    with sqlite3.connect(db_path) as conn:
        tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master")}
    assert "half_done" not in tables
    assert "runs" not in tables


def test_newer_schema_is_refused(db_path: Path) -> None:
    Store.open(db_path).close()
    with sqlite3.connect(db_path) as conn:
        conn.execute("INSERT INTO _migrations VALUES ('m999_from_the_future', '2099-01-01')")
    with pytest.raises(StoreError, match="newer codejury") as caught:
        Store.open(db_path)
    assert str(db_path) in caught.value.message


# -- runs -------------------------------------------------------------------------------------


def test_run_round_trip(store: Store) -> None:
    run_id = _new_run(store, spec={"model": "mock/echo", "nested": {"k": [1, 2.5, None]}})
    assert len(run_id) == 32
    run = store.get_run(run_id)
    assert run == RunRecord(
        id=run_id,
        kind="score",
        benchmark="humaneval+",
        dataset_hash="abc123",
        created_at=run.created_at,
        finished_at=None,
        status="running",
        spec={"model": "mock/echo", "nested": {"k": [1, 2.5, None]}},
        environment={"python": "3.11"},
        summary=None,
    )
    assert run.created_at.endswith("+00:00")

    store.finish_run(run_id, status="finished", summary={"pass@1": 0.5})
    finished = store.get_run(run_id)
    assert finished.status == "finished"
    assert finished.summary == {"pass@1": 0.5}
    assert finished.finished_at is not None
    assert finished.finished_at >= finished.created_at


def test_run_without_benchmark_or_summary(store: Store) -> None:
    run_id = _new_run(store, kind="arena", benchmark=None, dataset_hash=None, run_id="custom-id")
    assert run_id == "custom-id"
    store.finish_run(run_id, status="interrupted", summary=None)
    run = store.get_run(run_id)
    assert (run.benchmark, run.dataset_hash, run.status, run.summary) == (
        None,
        None,
        "interrupted",
        None,
    )


def test_run_errors(store: Store) -> None:
    run_id = _new_run(store)
    with pytest.raises(StoreError, match="already exists"):
        _new_run(store, run_id=run_id)
    with pytest.raises(StoreError, match="no run"):
        store.finish_run("0" * 32, status="failed", summary=None)
    with pytest.raises(ValueError, match="status"):
        store.finish_run(run_id, status="running", summary=None)
    with pytest.raises(StoreError, match="not plain JSON"):
        _new_run(store, spec={"bad": object()})
    with pytest.raises(StoreError, match="not plain JSON"):
        store.finish_run(run_id, status="finished", summary={"x": float("nan")})
    assert store.get_run(run_id).status == "running", "a failed finish must not half-apply"


def test_get_run_by_prefix(store: Store) -> None:
    first = _new_run(store, run_id="abcd1111")
    second = _new_run(store, run_id="abcd2222")
    _new_run(store, run_id="ab_d3333")

    assert store.get_run("abcd1").id == first
    assert store.get_run("abcd2222").id == second
    with pytest.raises(StoreError, match="matches several runs") as ambiguous:
        store.get_run("abcd")
    assert "abcd1111" in ambiguous.value.message and "abcd2222" in ambiguous.value.message
    with pytest.raises(StoreError, match="at least 4") as short:
        store.get_run("abc")
    assert "no run" in short.value.message
    with pytest.raises(StoreError, match="no run"):
        store.get_run("ffff")
    # LIKE wildcards in the prefix are literal characters, not patterns.
    assert store.get_run("ab_d").id == "ab_d3333"
    with pytest.raises(StoreError, match="no run"):
        store.get_run("a%")


def test_list_runs_newest_first(store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    ticks = count()
    monkeypatch.setattr(
        store_db, "_now", lambda: f"2024-01-01T00:00:{next(ticks):02d}.000000+00:00"
    )
    ids = [_new_run(store, kind="score" if i % 2 else "generate") for i in range(6)]

    assert [run.id for run in store.list_runs()] == ids[::-1]
    assert [run.id for run in store.list_runs(limit=2)] == ids[:3:-1]
    assert [run.id for run in store.list_runs(kind="score")] == [ids[5], ids[3], ids[1]]
    assert store.list_runs(kind="nothing") == []


# -- samples and verdicts ---------------------------------------------------------------------


def test_samples_round_trip_and_ignore_duplicates(store: Store) -> None:
    run_id = _new_run(store)
    samples = [
        SampleRecord(f"HumanEval/{task}", index, f"def f():\n    return {task}", f"h{task}-{index}")
        for task in range(100)
        for index in range(100)
    ]
    store.add_samples(run_id, samples)
    # Re-adding (a resume) keeps the first version of every sample.
    store.add_samples(run_id, [SampleRecord("HumanEval/0", 0, "changed", "other")])
    stored = store.run_samples(run_id)
    assert len(stored) == 10_000
    assert sorted(stored, key=lambda s: (s.task_id, s.index)) == stored
    assert set(stored) == set(samples)
    assert store.run_samples("unknown") == []


def test_samples_need_an_existing_run(store: Store) -> None:
    with pytest.raises(StoreError, match="does not exist"):
        store.add_samples("missing", [SampleRecord("HumanEval/0", 0, "x", "h")])


def test_verdicts_round_trip_and_upsert(store: Store) -> None:
    run_id = _new_run(store)
    verdicts = [
        VerdictRecord("Mbpp/2", 0, "base", "pass", {}),
        VerdictRecord("Mbpp/2", 0, "plus", "fail", {"fail_tests": [[1, "a"]], "ms": 3.5}),
        VerdictRecord("HumanEval/0", 1, "check", "timeout", {"limit_s": 4.0}),
    ]
    store.record_verdicts(run_id, verdicts)
    store.record_verdicts(run_id, [VerdictRecord("Mbpp/2", 0, "plus", "pass", {"rerun": True})])
    assert store.run_verdicts(run_id) == [
        VerdictRecord("HumanEval/0", 1, "check", "timeout", {"limit_s": 4.0}),
        VerdictRecord("Mbpp/2", 0, "base", "pass", {}),
        VerdictRecord("Mbpp/2", 0, "plus", "pass", {"rerun": True}),
    ]
    store.record_verdicts(run_id, [])
    assert len(store.run_verdicts(run_id)) == 3


def test_a_bad_verdict_writes_nothing(store: Store) -> None:
    run_id = _new_run(store)
    batch = [
        VerdictRecord("T/0", 0, "base", "pass", {}),
        VerdictRecord("T/1", 0, "base", "pass", {"x": {1, 2}}),
    ]
    with pytest.raises(StoreError, match="T/1"):
        store.record_verdicts(run_id, batch)
    assert store.run_verdicts(run_id) == []


def test_store_can_be_used_from_another_thread(store: Store) -> None:
    run_id = _new_run(store)
    errors: list[BaseException] = []

    def write() -> None:
        try:
            store.record_verdicts(run_id, [VerdictRecord("T/0", 0, "base", "pass", {})])
        except BaseException as exc:  # surfaced below, in the test's thread
            errors.append(exc)

    worker = threading.Thread(target=write)
    worker.start()
    worker.join()
    assert errors == []
    assert len(store.run_verdicts(run_id)) == 1


# -- verdict cache ----------------------------------------------------------------------------


def test_cache_hits_and_misses_across_chunks(store: Store) -> None:
    stored = {f"key-{i}": {"base": "pass", "i": i} for i in range(1500)}
    store.cache_verdicts(stored)
    wanted = [f"key-{i}" for i in range(2500)] + ["key-7"]  # 1000 misses and a repeat
    assert store.cached_verdicts(wanted) == stored
    assert store.cached_verdicts([]) == {}

    store.cache_verdicts({"key-7": {"base": "fail"}})
    assert store.cached_verdicts(["key-7", "key-9999"]) == {"key-7": {"base": "fail"}}


def test_cache_is_shared_across_store_handles(db_path: Path) -> None:
    with Store.open(db_path) as writer:
        writer.cache_verdicts({"k": {"plus": "pass"}})
    with Store.open(db_path) as reader:
        assert reader.cached_verdicts(["k"]) == {"k": {"plus": "pass"}}


def test_not_a_database_names_the_file(tmp_path: Path) -> None:
    bogus = tmp_path / "notes.db"
    bogus.write_text("these are my notes, not a database\n" * 50)
    with pytest.raises(StoreError) as caught:
        Store.open(bogus)
    assert str(bogus) in caught.value.message
    assert "not a codejury store" in caught.value.message
    assert caught.value.hint is not None and "move the file aside" in caught.value.hint
    assert bogus.read_text().startswith("these are my notes"), "the file must be left alone"


def test_directory_that_cannot_be_created(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    with pytest.raises(StoreError, match="cannot create the directory"):
        Store.open(blocker / "sub" / "store.db")


def test_lock_held_past_the_timeout(db_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # The same code path as the real 30 s wait, without spending 30 s.
    monkeypatch.setattr(store_db, "BUSY_TIMEOUT_S", 0.2)
    with Store.open(db_path) as store:
        run_id = _new_run(store)
        verdict = VerdictRecord("T/0", 0, "base", "pass", {})
        holder = sqlite3.connect(db_path, isolation_level=None)
        holder.execute("BEGIN IMMEDIATE")
        try:
            with pytest.raises(
                StoreError, match=r"locked by another process \(waited up to 0.2 s\)"
            ) as caught:
                store.record_verdicts(run_id, [verdict])
            assert str(db_path) in caught.value.message
        finally:
            holder.rollback()
            holder.close()
        store.record_verdicts(run_id, [verdict])
        assert store.run_verdicts(run_id) == [verdict]


_WRITER = """
import sys
from codejury.store import Store, VerdictRecord

path, name = sys.argv[1], sys.argv[2]
with Store.open(path) as store:
    run_id = store.create_run(
        kind="score", benchmark=None, dataset_hash=None, spec={"writer": name},
        environment={}, run_id=name,
    )
    verdicts = [VerdictRecord(f"T/{i}", 0, "base", "pass", {"i": i}) for i in range(1000)]
    # Many small transactions, so the two writers interleave and contend for the lock.
    for start in range(0, 1000, 20):
        store.record_verdicts(run_id, verdicts[start : start + 20])
        store.cache_verdicts({f"shared-{i}": {"by": name} for i in range(start, start + 20)})
    store.finish_run(run_id, status="finished", summary={"verdicts": 1000})
"""


def test_two_processes_write_at_once(tmp_path: Path) -> None:
    # A fresh file, so the two processes also race to create and migrate it.
    path = tmp_path / "shared" / "store.db"
    writers = [
        subprocess.Popen(
            [sys.executable, "-c", _WRITER, str(path), name],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for name in ("writer-a", "writer-b")
    ]
    for writer in writers:
        _, stderr = writer.communicate(timeout=120)
        assert writer.returncode == 0, stderr

    with Store.open(path) as store:
        for name in ("writer-a", "writer-b"):
            assert store.get_run(name).status == "finished"
            assert len(store.run_verdicts(name)) == 1000
        cached = store.cached_verdicts([f"shared-{i}" for i in range(1000)])
        assert len(cached) == 1000
        assert {value["by"] for value in cached.values()} <= {"writer-a", "writer-b"}
    assert _applied(path) == [step.__name__ for step in MIGRATIONS]

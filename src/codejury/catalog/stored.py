"""Catalog files a user imported, kept in the store as runs of kind ``catalog``.

``codejury catalog import FILE`` links a leaderboard's names (:func:`import_file`) and saves the
result here, so that ``codejury report`` and ``codejury catalog show`` see it beside the
built-in catalog, from the same store as the user's own runs (``--db`` / ``CODEJURY_DB``).

One run per import: the spec records the file (path, sha256, kind) and the options, the summary
holds the facts and model entries (:meth:`Catalog.as_dict`) and what did not match. Importing
the same content of the same kind again (e.g. after adding mapping lines, or with a corrected
``--as-of``) **replaces** the earlier import, so a name first kept apart as
``evalplus:Some-Model`` and then mapped does not linger under both keys.

This module imports the store (SQLAlchemy); the rest of ``codejury.catalog`` stays pure.
"""

from __future__ import annotations

import hashlib
import platform
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from codejury import __version__
from codejury.catalog.importing import ImportResult
from codejury.catalog.models import Catalog, Fact, ModelEntry
from codejury.errors import DataError
from codejury.store import RunRecord, Store

KIND = "catalog"
"""The run kind of a saved import."""
_ALL = 1_000_000


@dataclass(frozen=True)
class StoredImport:
    """One saved import, as listed by ``catalog show`` and the report's provenance.

    Attributes:
        run_id: The store run holding it.
        created_at: When it was imported (ISO 8601 UTC).
        path: The file as given on the command line.
        kind: Its format (``evalplus``, ``lmarena``...).
        sha256: Hash of the file's bytes.
        source: The source recorded on its facts.
        facts: Facts it holds.
        models: Model entries it holds.
        unmatched: Names linked to no known model.
    """

    run_id: str
    created_at: str
    path: str
    kind: str
    sha256: str
    source: str
    facts: int
    models: int
    unmatched: tuple[str, ...]

    def as_dict(self) -> dict[str, Any]:
        """Return a JSON-ready dict."""
        return {
            "run_id": self.run_id,
            "created_at": self.created_at,
            "path": self.path,
            "kind": self.kind,
            "sha256": self.sha256,
            "source": self.source,
            "facts": self.facts,
            "models": self.models,
            "unmatched": list(self.unmatched),
        }


def file_sha256(path: Path) -> str:
    """The sha256 of a file's bytes (hex).

    Raises:
        DataError: If it cannot be read.
    """
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError as exc:
        raise DataError(f"{path}: cannot read: {exc.strerror or exc}") from None


def save_import(
    store: Store, result: ImportResult, sha256: str, options: dict[str, Any]
) -> tuple[StoredImport, list[StoredImport]]:
    """Save an import as a finished ``catalog`` run.

    Args:
        store: The store.
        result: From :func:`codejury.catalog.import_file`.
        sha256: The file's hash (:func:`file_sha256`).
        options: The import options as given (``as_of``, ``mapping``, ``categories``...),
            recorded in the run's spec.

    Returns:
        The saved import, and the earlier imports of the same content and kind it replaces.
    """
    replaced = [s for s in stored_imports(store) if (s.sha256, s.kind) == (sha256, result.kind)]
    spec = {
        "path": str(result.path),
        "file_kind": result.kind,
        "sha256": sha256,
        "source": result.source,
        "namespace": result.namespace,
        "options": options,
    }
    environment = {
        "codejury": __version__,
        "python": sys.version.split()[0],
        "platform": platform.platform(),
    }
    run_id = store.create_run(
        kind=KIND, benchmark=None, dataset_hash=sha256, spec=spec, environment=environment
    )
    summary = {
        "records": result.records,
        "facts": len(result.facts),
        "models": len(result.models),
        "unmatched": list(result.unmatched),
        "suggestions": {name: list(keys) for name, keys in result.suggestions.items()},
        "skipped": list(result.skipped),
        "warnings": list(result.warnings),
        "replaces": [s.run_id for s in replaced],
        "catalog": result.to_catalog().as_dict(),
    }
    store.finish_run(run_id, status="finished", summary=summary)
    return _stored(store.get_run(run_id)), replaced


def stored_imports(store: Store) -> list[StoredImport]:
    """The imports in effect, oldest first (a newer import of the same content replaces)."""
    return [_stored(run) for run in _active_runs(store)]


def user_catalog(store: Store, *, excluding: tuple[str, str] | None = None) -> Catalog:
    """Every fact of the imports in effect, added oldest import first.

    Args:
        store: The store.
        excluding: ``(sha256, kind)`` of an import to leave out (the one a re-import is
            about to replace: its names must be linked afresh, not to its own earlier keys).

    Raises:
        DataError: If a saved import is malformed (the message names its run).
    """
    catalog = Catalog()
    _add_imports(catalog, store, excluding)
    return catalog


def combined_catalog(
    store: Store, builtin: bool = True, *, excluding: tuple[str, str] | None = None
) -> Catalog:
    """The built-in catalog (unless ``builtin`` is False) with the user's imports added.

    Facts of an import outrank built-in facts of the same date (see :class:`Catalog`).
    ``excluding`` is passed to :func:`user_catalog`.
    """
    catalog = Catalog.builtin() if builtin else Catalog()
    _add_imports(catalog, store, excluding)
    return catalog


def _add_imports(catalog: Catalog, store: Store, excluding: tuple[str, str] | None) -> None:
    # Facts go straight into the target catalog: a large import (LMArena's 22,000 facts) is
    # then checked and indexed once, not once into its own catalog and again on merging.
    for run in _active_runs(store):
        if excluding is not None and _identity(run) == excluding:
            continue
        origin = f"catalog import run {run.id[:12]}"
        data = (run.summary or {}).get("catalog")
        models = data.get("models") if isinstance(data, dict) else None
        facts = data.get("facts") if isinstance(data, dict) else None
        if not isinstance(models, list) or not isinstance(facts, list):
            raise DataError(
                f"{origin} in {store.location} holds no catalog", hint="import the file again"
            )
        for i, raw in enumerate(models):
            if not isinstance(raw, dict):
                raise DataError(f"{origin}: models[{i}] is not an object")
            catalog.add_model(ModelEntry.from_dict(raw, f"{origin}: models[{i}]"))
        for i, raw in enumerate(facts):
            if not isinstance(raw, dict):
                raise DataError(f"{origin}: facts[{i}] is not an object")
            catalog.add(Fact.from_dict(raw, f"{origin}: facts[{i}]"))


def _active_runs(store: Store) -> list[RunRecord]:
    seen: set[tuple[str, str]] = set()
    active: list[RunRecord] = []
    # Newest first, so the first run of each (content, kind) is the one in effect.
    for run in store.list_runs(kind=KIND, limit=_ALL):
        if run.status != "finished" or not run.summary:
            continue
        identity = _identity(run)
        if identity in seen:
            continue
        seen.add(identity)
        active.append(run)
    return active[::-1]


def _identity(run: RunRecord) -> tuple[str, str]:
    return str(run.spec.get("sha256", run.id)), str(run.spec.get("file_kind", ""))


def _stored(run: RunRecord) -> StoredImport:
    summary = run.summary or {}
    return StoredImport(
        run_id=run.id,
        created_at=run.created_at,
        path=str(run.spec.get("path", "")),
        kind=str(run.spec.get("file_kind", "")),
        sha256=str(run.spec.get("sha256", "")),
        source=str(run.spec.get("source", "")),
        facts=int(summary.get("facts", 0)),
        models=int(summary.get("models", 0)),
        unmatched=tuple(str(n) for n in summary.get("unmatched", ())),
    )

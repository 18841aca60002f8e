"""The local store: every run, sample, verdict and cached verdict, in one database.

Typical use::

    with Store.open() as store:  # CODEJURY_DB, or the user data directory
        run_id = store.create_run(kind="score", benchmark="humaneval+", dataset_hash=h,
                                  spec=spec, environment=env)
        store.add_samples(run_id, samples)
        store.record_verdicts(run_id, verdicts)
        store.finish_run(run_id, status="finished", summary={"pass@1": 0.8})
"""

from __future__ import annotations

from codejury.store.db import ENV_VAR, MIN_PREFIX, Store, database_url
from codejury.store.migrations import MIGRATIONS, migrate
from codejury.store.records import (
    FINAL_RUN_STATUSES,
    RUN_STATUSES,
    VERDICT_PARTS,
    GenerationRecord,
    RunRecord,
    SampleRecord,
    VerdictRecord,
)

__all__ = [
    "ENV_VAR",
    "FINAL_RUN_STATUSES",
    "MIGRATIONS",
    "MIN_PREFIX",
    "RUN_STATUSES",
    "VERDICT_PARTS",
    "GenerationRecord",
    "RunRecord",
    "SampleRecord",
    "Store",
    "VerdictRecord",
    "database_url",
    "migrate",
]

"""Parsed benchmarks kept in the user cache, so a run does not parse the JSON Lines again.

The file is keyed by the benchmark id, the decompressed file's md5 (the caller has verified
the file itself), the Python version and the parsing code's own bytes: a change to the
parser (e.g. to the MBPP+ type restoration) makes the old parse unused instead of serving
stale types. The file is sealed (see :mod:`codejury.datasets.sealed`); a missing, damaged or
unreadable one means "parse again", never an error.
"""

from __future__ import annotations

import functools
import hashlib
import sys
from pathlib import Path
from typing import Any

from codejury.datasets import evalplus, humaneval, models
from codejury.datasets.fetch import cache_dir
from codejury.datasets.models import Problem
from codejury.datasets.sealed import dump_plain, load_plain, read_sealed, write_sealed

_FIELDS = 8  # the fields of Problem, in order


@functools.cache
def _parser_version() -> str:
    code = b"".join(Path(m.__file__ or "").read_bytes() for m in (evalplus, humaneval, models))
    return hashlib.blake2b(code, digest_size=12).hexdigest()


def _location(benchmark_id: str, md5: str) -> tuple[Path, bytes]:
    py = f"{sys.version_info[0]}.{sys.version_info[1]}"
    key = f"codejury-parsed/{benchmark_id}/{md5}/{_parser_version()}/py{py}".encode()
    name = f"{benchmark_id.replace('+', 'plus')}-{md5[:16]}-py{py}.marshal"
    # Beside the downloaded releases, not among them: that folder holds release files only.
    return cache_dir().parent / "parsed" / name, key


def load_parsed(benchmark_id: str, md5: str) -> dict[str, Problem] | None:
    """The problems cached for this benchmark file, or None when there is no valid copy."""
    path, key = _location(benchmark_id, md5)
    payload = read_sealed(path, key)
    if payload is None:
        return None
    try:
        rows = load_plain(payload)
    except ValueError:
        return None
    if type(rows) is not list or not rows or not all(map(_row_ok, rows)):
        return None
    return {row[0]: Problem(*row) for row in rows}


def _row_ok(row: Any) -> bool:
    return (
        type(row) is tuple
        and len(row) == _FIELDS
        and all(type(v) is str for v in row[:4])
        and type(row[4]) is list
        and type(row[5]) is list
        and type(row[6]) is float
        and (row[7] is None or type(row[7]) is str)
    )


def save_parsed(benchmark_id: str, md5: str, problems: dict[str, Problem]) -> None:
    """Cache ``problems``; a cache that cannot be written only costs a parse next time."""
    rows = [
        (
            p.task_id,
            p.prompt,
            p.entry_point,
            p.canonical_solution,
            p.base_inputs,
            p.plus_inputs,
            p.atol,
            p.test,
        )
        for p in problems.values()
    ]
    payload = dump_plain(rows)
    if payload is None:  # a value marshal cannot give back exactly: keep parsing instead
        return
    path, key = _location(benchmark_id, md5)
    try:
        write_sealed(path, payload, key)
    except OSError:
        pass

"""Reading EvalPlus-format ``eval_results.json`` files (ours or EvalPlus's own).

The schema is EvalPlus's, unchanged::

    {"date": ..., "hash": <dataset md5>, "eval": {task_id: [
        {"task_id", "solution", "base_status", "plus_status", "base_fail_tests",
         "plus_fail_tests"}, ...]},
     "pass_at_k": {...},            # optional, ignored: we recompute from "eval"
     "codejury": {"benchmark": ...}} # optional, codejury's own keys

Only what metrics need is read. Anything malformed becomes a :class:`DataError` that names
the file and what is wrong, so the CLI can print it instead of a traceback.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from codejury.errors import DataError

PASS = "pass"


@dataclass(frozen=True)
class ResultsFile:
    """Per-sample outcomes read from one results file.

    Attributes:
        path: The file it was read from.
        dataset_hash: The ``"hash"`` EvalPlus writes (md5 of the dataset), or None if absent.
        base: For each task, one bool per sample: passed the base tests.
        plus: For each task, one bool per sample: passed base *and* plus tests (EvalPlus's
            definition of the plus score); None when the file has no plus results.
        benchmark: codejury's benchmark id (``codejury.benchmark``), None for EvalPlus files.
    """

    path: Path
    dataset_hash: str | None
    base: dict[str, list[bool]]
    plus: dict[str, list[bool]] | None
    benchmark: str | None


def load_results(path: str | Path) -> ResultsFile:
    """Read and validate an ``eval_results.json``.

    Args:
        path: The file.

    Returns:
        The per-sample outcomes.

    Raises:
        DataError: If the file cannot be read, is not JSON, or does not follow the schema.
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise DataError(f"{path}: no such results file") from None
    except IsADirectoryError:
        raise DataError(
            f"{path}: is a directory, not a results file",
            hint="pass the eval_results.json inside it",
        ) from None
    except UnicodeDecodeError as exc:
        raise DataError(f"{path}: not UTF-8 text (byte {exc.start})") from None
    except OSError as exc:
        raise DataError(f"{path}: cannot read: {exc.strerror or exc}") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise DataError(
            f"{path}: not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})"
        ) from None
    return _parse(path, data)


def _parse(path: Path, data: Any) -> ResultsFile:
    def fail(what: str) -> DataError:
        return _schema_error(path, what)

    if not isinstance(data, dict):
        raise fail(f"top level is {_kind(data)}, expected an object")
    if "eval" not in data:
        raise fail('missing the "eval" key')
    evals = data["eval"]
    if not isinstance(evals, dict):
        raise fail(f'"eval" is {_kind(evals)}, expected an object of task id → samples')
    if not evals:
        raise fail('"eval" has no tasks')

    dataset_hash = data.get("hash")
    if dataset_hash is not None and not isinstance(dataset_hash, str):
        raise fail(f'"hash" is {_kind(dataset_hash)}, expected a string')

    base: dict[str, list[bool]] = {}
    plus: dict[str, list[bool]] = {}
    any_plus = False
    for task_id, samples in evals.items():
        where = f'"eval"["{task_id}"]'
        if not isinstance(samples, list):
            raise fail(f"{where} is {_kind(samples)}, expected a list of samples")
        if not samples:
            raise fail(f"{where} has no samples")
        task_base: list[bool] = []
        task_plus: list[bool] = []
        for i, sample in enumerate(samples):
            at = f"{where}[{i}]"
            if not isinstance(sample, dict):
                raise fail(f"{at} is {_kind(sample)}, expected an object")
            if sample.get("task_id", task_id) != task_id:
                raise fail(f"{at} has task_id {sample['task_id']!r}, listed under {task_id!r}")
            if "base_status" not in sample:
                raise fail(f'{at} has no "base_status"')
            base_status = sample["base_status"]
            plus_status = sample.get("plus_status")
            if not isinstance(base_status, str):
                raise fail(f'{at}: "base_status" is {_kind(base_status)}, expected a string')
            if plus_status is not None and not isinstance(plus_status, str):
                raise fail(f'{at}: "plus_status" is {_kind(plus_status)}, expected a string')
            any_plus = any_plus or plus_status is not None
            base_ok = base_status == PASS
            task_base.append(base_ok)
            # EvalPlus scores plus as "passed base AND plus"; a null plus_status is not a pass.
            task_plus.append(base_ok and plus_status == PASS)
        base[task_id] = task_base
        plus[task_id] = task_plus

    return ResultsFile(
        path=path,
        dataset_hash=dataset_hash,
        base=base,
        plus=plus if any_plus else None,
        benchmark=_benchmark(path, data),
    )


def _benchmark(path: Path, data: dict[str, Any]) -> str | None:
    extra = data.get("codejury")
    if extra is None:
        return None
    if not isinstance(extra, dict):
        raise _schema_error(path, f'"codejury" is {_kind(extra)}, expected an object')
    benchmark = extra.get("benchmark")
    if benchmark is not None and not isinstance(benchmark, str):
        raise _schema_error(
            path, f'"codejury"."benchmark" is {_kind(benchmark)}, expected a string'
        )
    return benchmark


def _schema_error(path: Path, what: str) -> DataError:
    return DataError(f"{path}: {what}", hint="expected an EvalPlus eval_results.json")


def _kind(value: Any) -> str:
    # JSON vocabulary, since the user wrote (or a tool wrote) JSON, not Python.
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    return "an object"

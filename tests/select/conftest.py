"""Fixtures of the ``codejury select`` tests: a private store and cache, the benchmark."""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from codejury.cli import main
from codejury.datasets import Benchmark, load_benchmark

sys.path.insert(0, str(Path(__file__).resolve().parent))


@dataclass
class Ran:
    """One CLI invocation's exit code and output."""

    code: int
    out: str
    err: str

    @property
    def summary(self) -> dict[str, Any]:
        """The ``--json`` document (the last line of stdout)."""
        data: dict[str, Any] = json.loads(self.out.strip().splitlines()[-1])
        return data


@pytest.fixture(scope="module")
def bench(shared_data_dir: Path) -> Benchmark:
    return load_benchmark("humaneval+", shared_data_dir)


@pytest.fixture
def env(
    tmp_path: Path, tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> Path:
    cache = tmp_path_factory.getbasetemp() / "codejury-cache"
    cache.mkdir(exist_ok=True)
    monkeypatch.setenv("CODEJURY_CACHE_DIR", str(cache))
    monkeypatch.setenv("CODEJURY_DB", str(tmp_path / "runs.db"))
    monkeypatch.setenv("COLUMNS", "1000")
    monkeypatch.delenv("CODEJURY_CONFIG", raising=False)
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str]) -> Any:
    def run(*args: str) -> Ran:
        code = main(list(args))
        captured = capsys.readouterr()
        return Ran(code, captured.out, captured.err)

    return run

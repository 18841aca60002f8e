"""`codejury report` end to end: real `codejury eval` runs (the shipped mock model) in a store,
the built-in catalog, every format and the decision flags."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from codejury.cli import main

pytestmark = pytest.mark.timeout(300)


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("CODEJURY_DB", str(tmp_path / "runs.db"))
    monkeypatch.setenv("CODEJURY_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("COLUMNS", "200")
    monkeypatch.delenv("CODEJURY_CONFIG", raising=False)
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.fixture
def two_runs(env: Path, shared_data_dir: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    """mock/a answers with the reference solutions (--dry-run); mock/b with a stub that fails."""
    data = str(shared_data_dir)
    assert (
        main(["eval", "-m", "mock/a", "--dry-run", "--limit", "3", "--data-dir", data, "--json"])
        == 0
    )
    assert main(["eval", "-m", "mock/b", "--limit", "3", "--data-dir", data, "--json"]) == 0
    capsys.readouterr()
    return env


def report_json(capsys: pytest.CaptureFixture[str], *args: str) -> dict[str, Any]:
    assert main(["report", "--format", "json", "--draws", "1000", *args]) == 0
    return json.loads(capsys.readouterr().out)


def test_json_report_over_real_eval_runs(
    two_runs: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    doc = report_json(capsys, "--include-dry-runs")
    runs = {m["model"]: m for m in doc["measured_runs"]}
    assert set(runs) == {"mock/a", "mock/b"}
    assert runs["mock/a"]["pass_at_1"]["value"] == 1.0 and runs["mock/a"]["dry_run"]
    assert runs["mock/b"]["pass_at_1"]["value"] == 0.0 and not runs["mock/b"]["dry_run"]
    assert runs["mock/a"]["pass_at_1"]["n_tasks"] == 3
    # The paired test runs on the three shared tasks, read back from the stored verdicts.
    paired = doc["paired"]
    assert (paired["a"], paired["b"], paired["n_tasks"], paired["a_only"]) == (
        "mock/a",
        "mock/b",
        3,
        3,
    )
    assert doc["meta"]["counts"]["public"] >= 125
    quality = {c["key"]: c.get("quality") for c in doc["candidates"]}
    assert quality["mock/a"]["mark"]["origin"] == "measured"
    assert "DRY RUN" in quality["mock/a"]["mark"]["note"]


def test_dry_runs_are_excluded_by_default(
    two_runs: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    doc = report_json(capsys)
    assert [m["model"] for m in doc["measured_runs"]] == ["mock/b"]
    assert doc["paired"] is None
    assert any("dry run" in note for note in doc["notes"])


def test_formats_follow_the_out_suffix(two_runs: Path, capsys: pytest.CaptureFixture[str]) -> None:
    for name, start in (
        ("r.html", "<!doctype html>"),
        ("r.md", "# Which model"),
        ("r.json", '{\n "format": "codejury-report/1"'),
    ):
        out = two_runs / "out" / name
        assert main(["report", "--draws", "500", "--out", str(out), "--include-dry-runs"]) == 0
        assert out.read_text(encoding="utf-8").startswith(start)
        err = capsys.readouterr().err
        assert f"wrote {out}" in err and "2 measured by you" in err


def test_decision_flags(two_runs: Path, capsys: pytest.CaptureFixture[str]) -> None:
    doc = report_json(
        capsys,
        "--include-dry-runs",
        "--models",
        "mock/a,mock/b,gpt-4o-2024-08-06,deepseek-v3",
        "--min-pass-at-1",
        "50",
        "--weight",
        "quality=1",
        "--requests-per-day",
        "100",
    )
    assert {c["key"] for c in doc["candidates"]} == {
        "mock/a",
        "mock/b",
        "gpt-4o-2024-08-06",
        "deepseek-v3",
    }
    eliminated = {e["key"]: e["reasons"] for e in doc["decision"]["screening"]["eliminated"]}
    assert list(eliminated) == ["mock/b"]
    assert "pass@1 0.0 % is below the minimum 50.0 %" in eliminated["mock/b"][0]
    assert doc["meta"]["weights"] == {"quality": 1.0}
    assert doc["meta"]["workload"]["requests_per_day"] == 100
    assert doc["recommendation"]["winner"] == "mock/a"  # 100 % on its three tasks


def test_selection_file_and_flag_override(
    two_runs: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    selection = two_runs / "selection.toml"
    selection.write_text("[constraints]\nmin_pass_at_1 = 95\n[weights]\nquality = 1\n")
    doc = report_json(
        capsys, "--include-dry-runs", "--constraints", str(selection), "--min-pass-at-1", "20"
    )
    assert doc["meta"]["constraints"]["min_pass_at_1"] == 20.0
    assert doc["meta"]["weights"] == {"quality": 1.0}


@pytest.mark.parametrize(
    ("args", "code", "words"),
    [
        (["--models", "gpt-4o-2024-08-07"], 2, "did you mean gpt-4o-2024-08-06"),
        (["--format", "pdf"], 2, "--format must be one of"),
        (["--weight", "quality"], 2, "NAME=NUMBER"),
        (["--weight", "qualty=1"], 2, "did you mean 'quality'"),
        (["--min-pass-at-1", "150"], 2, "percentage"),
    ],
)
def test_user_errors(
    env: Path, capsys: pytest.CaptureFixture[str], args: list[str], code: int, words: str
) -> None:
    assert main(["report", *args]) == code
    err = capsys.readouterr().err
    assert "error:" in err and words in " ".join(err.split())

"""Reading results files and the `codejury compare` command, on small files in tmp_path."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pytest
import typer
import typer.core
import typer.main
from typer.testing import CliRunner, Result

import codejury.cli.compare  # noqa: F401  (registers the command on the app)
from codejury.cli import app
from codejury.errors import DataError
from codejury.scoring.metrics import METHOD_MCNEMAR, mcnemar_exact
from codejury.scoring.resultsfile import load_results

HASH = "fe585eb4df8c88d844eeb463ea4d0302"


def sample(task_id: str, base: str, plus: str | None) -> dict[str, Any]:
    return {
        "task_id": task_id,
        "solution": "def f():\n    return 1\n",
        "base_status": base,
        "plus_status": plus,
        "base_fail_tests": [] if base == "pass" else [[1]],
        "plus_fail_tests": [] if plus in ("pass", None) else [[2]],
    }


def write_results(
    path: Path,
    statuses: Mapping[str, Sequence[tuple[str, str | None]]],
    *,
    dataset_hash: str = HASH,
    extra: dict[str, Any] | None = None,
) -> Path:
    data: dict[str, Any] = {
        "date": "2024-08-01 12:00",
        "hash": dataset_hash,
        "eval": {t: [sample(t, b, p) for b, p in runs] for t, runs in statuses.items()},
        "pass_at_k": {"base": {"pass@1": 0.0}},
    }
    data.update(extra or {})
    path.write_text(json.dumps(data, indent=2), encoding="utf-8")
    return path


def one_sample_each(passes: dict[str, tuple[bool, bool]]) -> dict[str, list[tuple[str, str]]]:
    """{task: (base passed, plus passed)} → one sample per task."""
    return {
        t: [("pass" if base else "fail", "pass" if plus else "fail")]
        for t, (base, plus) in passes.items()
    }


def unwrap(text: str) -> str:
    """Undo rich's wrapping at the test console's width."""
    return " ".join(text.split())


# --- load_results ------------------------------------------------------------------------


def test_load_results_base_and_plus(tmp_path: Path) -> None:
    path = write_results(
        tmp_path / "r.json",
        {
            "HumanEval/0": [("pass", "pass"), ("pass", "fail"), ("fail", "pass")],
            "HumanEval/1": [("timeout", None)],
        },
        extra={"codejury": {"benchmark": "humaneval+"}},
    )
    res = load_results(path)
    assert res.path == path
    assert res.dataset_hash == HASH
    assert res.benchmark == "humaneval+"
    assert res.base == {"HumanEval/0": [True, True, False], "HumanEval/1": [False]}
    # Plus counts only samples that pass base AND plus; a null plus status is no pass.
    assert res.plus == {"HumanEval/0": [True, False, False], "HumanEval/1": [False]}


def test_load_results_base_only_file_has_no_plus(tmp_path: Path) -> None:
    path = write_results(tmp_path / "r.json", {"Mbpp/2": [("pass", None), ("fail", None)]})
    res = load_results(path)
    assert res.plus is None
    assert res.benchmark is None
    assert res.base == {"Mbpp/2": [True, False]}


def test_load_results_bad_json_names_line_and_column(tmp_path: Path) -> None:
    path = tmp_path / "broken.json"
    path.write_text('{\n  "hash": "x",\n  "eval": {,\n}\n', encoding="utf-8")
    with pytest.raises(DataError) as info:
        load_results(path)
    message = info.value.message
    assert str(path) in message
    assert "not valid JSON" in message
    assert "line 3" in message and "column" in message


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ({"hash": "x"}, 'missing the "eval" key'),
        ([], "top level is an array"),
        ({"eval": []}, '"eval" is an array'),
        ({"eval": {}}, "no tasks"),
        ({"eval": {"T/0": {}}}, '"eval"["T/0"] is an object, expected a list'),
        ({"eval": {"T/0": []}}, "has no samples"),
        ({"eval": {"T/0": [3]}}, '"eval"["T/0"][0] is a number'),
        ({"eval": {"T/0": [{"plus_status": None}]}}, 'no "base_status"'),
        ({"eval": {"T/0": [{"base_status": True}]}}, '"base_status" is a boolean'),
        ({"eval": {"T/0": [{"base_status": "pass", "plus_status": 1}]}}, '"plus_status"'),
        ({"eval": {"T/0": [{"task_id": "T/1", "base_status": "pass"}]}}, "listed under"),
        ({"hash": 5, "eval": {"T/0": [{"base_status": "pass"}]}}, '"hash" is a number'),
        ({"codejury": [], "eval": {"T/0": [{"base_status": "pass"}]}}, '"codejury" is an array'),
    ],
)
def test_load_results_schema_errors(tmp_path: Path, content: Any, expected: str) -> None:
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(content), encoding="utf-8")
    with pytest.raises(DataError) as info:
        load_results(path)
    assert str(path) in info.value.message
    assert expected in info.value.message


def test_load_results_missing_file_and_directory(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="no such results file"):
        load_results(tmp_path / "absent.json")
    with pytest.raises(DataError, match="is a directory"):
        load_results(tmp_path)


def test_load_results_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "latin1.json"
    path.write_bytes(b'{"eval": "\xff"}')
    with pytest.raises(DataError, match="not UTF-8"):
        load_results(path)


# --- codejury compare --------------------------------------------------------------------

# A solves 10 more tasks than B on plus (all one way), and 4 more on base.
PASSES_A = {f"HumanEval/{i}": (i < 16, i < 14) for i in range(20)}
PASSES_B = {f"HumanEval/{i}": (i < 12, i < 4) for i in range(20)}


class Runner:
    """Invokes `codejury compare ARGS`, whatever else is registered on the app.

    Typer runs a lone command directly and only builds a group once a second command
    (e.g. `score`) is registered, so the "compare" word is added only in the group case.
    """

    def __init__(self) -> None:
        self._runner = CliRunner()

    def invoke(self, app_: typer.Typer, args: list[str]) -> Result:
        assert args[0] == "compare"
        if not isinstance(typer.main.get_command(app_), typer.core.TyperGroup):
            args = args[1:]
        return self._runner.invoke(app_, args)


@pytest.fixture
def runner() -> Runner:
    return Runner()


@pytest.fixture
def pair(tmp_path: Path) -> tuple[Path, Path]:
    return (
        write_results(tmp_path / "a.json", one_sample_each(PASSES_A)),
        write_results(tmp_path / "b.json", one_sample_each(PASSES_B)),
    )


def test_compare_json_plus_by_default(runner: Runner, pair: tuple[Path, Path]) -> None:
    a, b = pair
    result = runner.invoke(app, ["compare", str(a), str(b), "--json"])
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    assert out["test_set"] == "plus"
    assert out["n_tasks"] == 20
    assert (out["only_in_a"], out["only_in_b"]) == (0, 0)
    assert out["a"]["path"] == str(a)
    assert out["a"]["pass_at_1"]["value"] == pytest.approx(14 / 20)
    assert out["b"]["pass_at_1"]["value"] == pytest.approx(4 / 20)
    for side in ("a", "b"):
        est = out[side]["pass_at_1"]
        assert est["low"] <= est["value"] <= est["high"]
    diff = out["difference"]
    assert diff["value"] == pytest.approx(0.5)
    assert diff["low"] <= diff["value"] <= diff["high"]
    assert diff["method"] == METHOD_MCNEMAR
    assert diff["p_value"] == pytest.approx(2 * 0.5**10)
    assert (diff["a_only"], diff["b_only"]) == (10, 0)
    assert out["verdict"] == "A is better than B (p=0.002)"
    assert out["warnings"] == []
    assert result.stderr == ""


def test_compare_base_option(runner: Runner, pair: tuple[Path, Path]) -> None:
    a, b = pair
    result = runner.invoke(app, ["compare", str(a), str(b), "--base", "--json"])
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    assert out["test_set"] == "base"
    assert out["difference"]["value"] == pytest.approx(4 / 20)
    assert out["difference"]["p_value"] == pytest.approx(mcnemar_exact(4, 0))
    assert out["verdict"].startswith("no significant difference at the 5% level")


def test_compare_table_output(runner: Runner, pair: tuple[Path, Path]) -> None:
    a, b = pair
    result = runner.invoke(app, ["compare", str(a), str(b)])
    assert result.exit_code == 0, result.output
    text = result.stdout
    assert "70.0%" in text and "20.0%" in text
    assert "+50.0 pts" in text
    assert METHOD_MCNEMAR in text
    assert "A is better than B (p=0.002)" in text


def test_compare_b_better_verdict(runner: Runner, pair: tuple[Path, Path]) -> None:
    a, b = pair
    result = runner.invoke(app, ["compare", str(b), str(a), "--json"])
    assert json.loads(result.stdout)["verdict"] == "B is better than A (p=0.002)"


def test_compare_warns_on_hash_and_task_mismatch(runner: Runner, tmp_path: Path) -> None:
    a = write_results(tmp_path / "a.json", one_sample_each(PASSES_A))
    b_passes = {t: v for t, v in PASSES_B.items() if t != "HumanEval/0"}
    b_passes["HumanEval/99"] = (True, True)
    b = write_results(tmp_path / "b.json", one_sample_each(b_passes), dataset_hash="0" * 32)
    result = runner.invoke(app, ["compare", str(a), str(b), "--json"])
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    assert out["n_tasks"] == 19
    assert (out["only_in_a"], out["only_in_b"]) == (1, 1)
    # Warnings go to stderr, so stdout stays parseable JSON.
    stderr = unwrap(result.stderr)
    assert "dataset hashes differ" in stderr
    assert "comparing the 19 tasks in both (1 only in A, 1 only in B)" in stderr
    assert len(out["warnings"]) == 2


def test_compare_falls_back_to_base_when_one_file_lacks_plus(
    runner: Runner, tmp_path: Path
) -> None:
    a = write_results(tmp_path / "a.json", one_sample_each(PASSES_A))
    base_only = {t: [("pass" if base else "fail", None)] for t, (base, _) in PASSES_B.items()}
    b = write_results(tmp_path / "b.json", base_only)
    result = runner.invoke(app, ["compare", str(a), str(b), "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["test_set"] == "base"
    assert "has no plus results" in unwrap(result.stderr)

    forced = runner.invoke(app, ["compare", str(a), str(b), "--plus"])
    assert isinstance(forced.exception, DataError)
    assert forced.exception.hint == "use --base"


def test_compare_multi_sample_uses_permutation_and_seed(runner: Runner, tmp_path: Path) -> None:
    a = write_results(
        tmp_path / "a.json", {f"T/{i}": [("pass", "pass"), ("pass", "fail")] for i in range(30)}
    )
    b = write_results(
        tmp_path / "b.json", {f"T/{i}": [("fail", None), ("pass", "fail")] for i in range(30)}
    )
    args = ["compare", str(a), str(b), "--json", "--seed", "4"]
    first = json.loads(runner.invoke(app, args).stdout)
    assert first["difference"]["method"] == "sign-flip permutation"
    assert first["difference"]["value"] == pytest.approx(0.5)
    assert json.loads(runner.invoke(app, args).stdout) == first


def test_compare_bad_file_raises_data_error(runner: Runner, tmp_path: Path) -> None:
    good = write_results(tmp_path / "a.json", one_sample_each(PASSES_A))
    bad = tmp_path / "bad.json"
    bad.write_text("{", encoding="utf-8")
    result = runner.invoke(app, ["compare", str(good), str(bad)])
    # The CLI root (codejury.cli.main) turns this into a message; here it surfaces as is.
    assert isinstance(result.exception, DataError)
    assert "line 1" in result.exception.message


def test_compare_no_common_tasks(runner: Runner, tmp_path: Path) -> None:
    a = write_results(tmp_path / "a.json", {"A/0": [("pass", "pass")]})
    b = write_results(tmp_path / "b.json", {"B/0": [("pass", "pass")]})
    result = runner.invoke(app, ["compare", str(a), str(b)])
    assert isinstance(result.exception, DataError)
    assert "no task id in common" in result.exception.message

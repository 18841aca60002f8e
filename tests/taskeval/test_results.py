"""Accuracy intervals, confusion matrices and the paired comparison of two models."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from taskeval_helpers import endpoint, run_once

from codejury.providers.mock import MockProvider
from codejury.scoring.metrics import mcnemar_exact, paired_compare
from codejury.store import Store
from codejury.taskeval.models import TaskFile
from codejury.taskeval.results import accuracy, mean_interval, samples_of_run
from codejury.taskeval.run import attach_comparisons


def test_accuracy_is_the_mean_task_pass_rate_with_a_task_bootstrap_interval() -> None:
    per_task = {f"t{i}": [i % 3 != 0, True] for i in range(30)}
    est = accuracy(per_task)
    assert est is not None
    # Tasks 0, 3, ..., 27 pass half of their answers: 10 tasks at 0.5, 20 at 1.0.
    assert est["value"] == pytest.approx((10 * 0.5 + 20 * 1.0) / 30)
    assert est["low"] < est["value"] < est["high"] <= 1.0
    assert est["n_tasks"] == 30
    assert accuracy(per_task) == est, "the interval is reproducible"
    # More tasks with the same rates give a narrower interval.
    wide = accuracy({t: v for t, v in list(per_task.items())[:9]})
    assert wide is not None and wide["high"] - wide["low"] > est["high"] - est["low"]
    assert accuracy({"t": []}) is None and accuracy({}) is None


def test_mean_interval() -> None:
    est = mean_interval({"a": [5, 3], "b": [2], "c": [4], "d": [1]})
    assert est is not None
    assert est["value"] == pytest.approx((4 + 2 + 4 + 1) / 4)
    assert 1 <= est["low"] < est["value"] < est["high"] <= 5
    assert mean_interval({}) is None


LABELS = ["positive", "negative", "neutral"]


def test_confusion_matrix_from_a_run(write_tasks: Callable[..., TaskFile], store: Store) -> None:
    # (expected, what the model says) per review.
    cases = [
        ("positive", "positive"),
        ("positive", "Positive."),
        ("positive", "negative"),
        ("negative", "negative"),
        ("negative", "I am not sure"),
        ("neutral", "positive"),
        ("neutral", "neutral"),
    ]
    tasks = write_tasks(
        *[
            {
                "id": f"r{i}",
                "prompt": f"Review {i}: sentiment?",
                "checks": [
                    {"kind": "label", "name": "sentiment", "expected": exp, "labels": LABELS}
                ],
            }
            for i, (exp, _said) in enumerate(cases)
        ]
    )
    model = MockProvider("m", {f"Review {i}:": said for i, (_e, said) in enumerate(cases)})
    result = run_once(tasks, store, endpoint("mock/m", model))
    conf = result.summary["confusion"]["sentiment"]
    assert conf["labels"] == [*LABELS, "(none)"]
    assert conf["matrix"] == {
        "positive": {"positive": 2, "negative": 1, "neutral": 0, "(none)": 0},
        "negative": {"positive": 0, "negative": 1, "neutral": 0, "(none)": 1},
        "neutral": {"positive": 1, "negative": 0, "neutral": 1, "(none)": 0},
    }
    assert conf["accuracy"] == pytest.approx(4 / 7)
    per = conf["per_label"]
    assert per["positive"] == {
        "precision": pytest.approx(2 / 3),
        "recall": pytest.approx(2 / 3),
        "support": 3,
    }
    assert per["negative"]["precision"] == pytest.approx(1 / 2) and per["negative"]["recall"] == 0.5
    assert per["neutral"] == {"precision": 1.0, "recall": 0.5, "support": 2}
    label = result.summary["by_kind"]["label"]
    assert label["checked"] == 7 and label["accuracy"]["value"] == pytest.approx(4 / 7)
    assert result.summary["accuracy"]["value"] == pytest.approx(4 / 7)


def test_label_sets_are_inferred_when_the_file_gives_none(
    write_tasks: Callable[..., TaskFile], store: Store
) -> None:
    tasks = write_tasks(
        {"id": "a", "prompt": "A?", "checks": [{"kind": "label", "expected": "spam"}]},
        {"id": "b", "prompt": "B?", "checks": [{"kind": "label", "expected": "ham"}]},
    )
    result = run_once(
        tasks, store, endpoint("mock/m", MockProvider("m", {"A?": "ham", "B?": "ham"}))
    )
    conf = result.summary["confusion"]["label"]
    assert conf["labels"] == ["spam", "ham", "(none)"]
    assert conf["matrix"]["spam"]["ham"] == 1 and conf["matrix"]["ham"]["ham"] == 1


def test_paired_comparison_of_two_mock_models(
    write_tasks: Callable[..., TaskFile], store: Store
) -> None:
    tasks = write_tasks(
        *[
            {
                "id": f"q{i}",
                "prompt": f"Question {i}?",
                "checks": [{"kind": "exact", "expected": str(i)}],
            }
            for i in range(10)
        ]
    )
    # A is right on 0-8; B on 0-2 and 9.
    strong = MockProvider("a", {f"Question {i}?": str(i) if i < 9 else "?" for i in range(10)})
    weak = MockProvider(
        "b", {f"Question {i}?": str(i) if i < 3 or i == 9 else "?" for i in range(10)}
    )
    a = run_once(tasks, store, endpoint("mock/a", strong))
    b = run_once(tasks, store, endpoint("mock/b", weak))
    assert a.summary["accuracy"]["value"] == pytest.approx(0.9)
    assert b.summary["accuracy"]["value"] == pytest.approx(0.4)
    (pair,) = attach_comparisons(store, [a, b])
    assert pair["a"] == "mock/a" and pair["b"] == "mock/b"
    assert pair["diff"] == pytest.approx(0.5)
    assert pair["a_better"] == 6 and pair["b_better"] == 1 and pair["n_tasks"] == 10
    assert pair["method"] == "exact McNemar"
    assert pair["p_value"] == pytest.approx(mcnemar_exact(6, 1)) and pair[
        "p_value"
    ] == pytest.approx(0.125)
    assert pair["low"] <= pair["diff"] <= pair["high"]
    # The same as the metrics module computes from the stored verdicts.
    from_store = paired_compare(
        {s.task_id: [s.status == "pass"] for s in samples_of_run(store, a.run_id)},
        {s.task_id: [s.status == "pass"] for s in samples_of_run(store, b.run_id)},
    )
    assert from_store.diff == pytest.approx(pair["diff"]) and from_store.low == pytest.approx(
        pair["low"]
    )
    # Both runs keep the comparison, each from its own side.
    stored_a = store.get_run(a.run_id).summary
    stored_b = store.get_run(b.run_id).summary
    assert stored_a is not None and stored_b is not None
    (seen_a,) = stored_a["comparisons"]
    (seen_b,) = stored_b["comparisons"]
    assert seen_a["other"] == "mock/b" and seen_a["diff"] == pytest.approx(0.5)
    assert seen_b["other"] == "mock/a" and seen_b["diff"] == pytest.approx(-0.5)
    assert seen_b["low"] == pytest.approx(-pair["high"]) and seen_b["a_better"] == 1


def test_comparison_with_several_answers_per_task_uses_the_permutation_test(
    write_tasks: Callable[..., TaskFile], store: Store
) -> None:
    tasks = write_tasks(
        *[
            {"id": f"q{i}", "prompt": f"Q{i}.", "checks": [{"kind": "contains", "expected": "yes"}]}
            for i in range(6)
        ]
    )
    a = run_once(
        tasks, store, endpoint("mock/a", MockProvider("a", {"Q": "yes"})), n=2, temperature=0.5
    )
    b = run_once(
        tasks, store, endpoint("mock/b", MockProvider("b", {"Q": "no"})), n=2, temperature=0.5
    )
    assert a.summary["samples"] == 12
    (pair,) = attach_comparisons(store, [a, b])
    assert pair["method"] == "sign-flip permutation" and pair["diff"] == 1.0
    assert pair["p_value"] < 0.05


def test_samples_of_run_reads_back_what_was_stored(
    write_tasks: Callable[..., TaskFile], store: Store
) -> None:
    tasks = write_tasks(
        {
            "id": "x",
            "prompt": "X?",
            "checks": [{"kind": "contains", "expected": "1"}, {"kind": "regex", "pattern": "^2"}],
        },
        {
            "id": "y",
            "prompt": "Y?",
            "checks": [{"kind": "label", "expected": "a", "labels": ["a", "b"]}],
        },
    )
    result = run_once(tasks, store, endpoint("mock/m", MockProvider("m", {"X?": "1 2", "Y?": "a"})))
    stored = samples_of_run(store, result.run_id)
    assert [(s.task_id, s.index, s.status) for s in stored] == [("x", 0, "fail"), ("y", 0, "pass")]
    assert stored[0].kinds == {"contains": "contains", "regex": "regex"}
    assert stored[0].checks["regex"].status == "fail" and stored[0].checks["contains"].passed
    assert stored[1].checks["label"].detail == {"expected": "a", "predicted": "a"}

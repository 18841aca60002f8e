"""The LLM-judge check: score parsing, a mock judge in a real run, and its separate cost."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from taskeval_helpers import endpoint, run_once

from codejury.providers.base import GenerationRequest
from codejury.providers.mock import MockProvider
from codejury.store import Store
from codejury.taskeval.judge import parse_score
from codejury.taskeval.models import TaskFile


@pytest.mark.parametrize(
    ("text", "score"),
    [
        ("The answer is right.\nScore: 4", 4),
        ("**Score:** 5", 5),
        ("Score = 3/5", 3),
        ("Final score - 2 out of 5.", 2),
        ("score: 1\n", 1),
        ("Early on I thought Score: 2, but on reflection...\nScore: 5", 5),
        ("<think>Score: 1</think>Fine work. Score: 4", 4),
        ("It looks good to me.", None),
        ("Score: 7", None),
        ("Score: 0", None),
        ("Score: 4.5", None),
        ("Score: 45", None),
        ("Score: five", None),
        ("", None),
    ],
)
def test_parse_score(text: str, score: int | None) -> None:
    assert parse_score(text) == score


def judging(scores: dict[str, str]) -> Callable[[GenerationRequest], str]:
    """A judge answering per rubric marker found in its request."""

    def answer(request: GenerationRequest) -> str:
        asked = request.text
        assert "## Rubric" in asked and "<answer>" in asked and "Score: N" in asked
        return next(reply for marker, reply in scores.items() if marker in asked)

    return answer


def test_a_mock_judge_scores_answers_and_its_cost_is_kept_apart(
    write_tasks: Callable[..., TaskFile], store: Store
) -> None:
    tasks = write_tasks(
        {"id": "good", "prompt": "Explain A", "checks": [{"kind": "judge", "rubric": "R-GOOD"}]},
        {"id": "weak", "prompt": "Explain B", "checks": [{"kind": "judge", "rubric": "R-WEAK"}]},
        {"id": "odd", "prompt": "Explain C", "checks": [{"kind": "judge", "rubric": "R-ODD"}]},
        {
            "id": "both",
            "prompt": "Explain D",
            "checks": [
                {"kind": "contains", "expected": "D"},
                {"kind": "judge", "rubric": "R-LENIENT", "pass_score": 2},
            ],
        },
        {"id": "silent", "prompt": "Explain E", "checks": [{"kind": "judge", "rubric": "R-GOOD"}]},
    )
    model = MockProvider(
        "m",
        {
            "Explain A": "A is a.",
            "Explain B": "B?",
            "Explain C": "C.",
            "Explain D": "D!",
            "Explain E": "",
        },
    )
    judge = MockProvider(
        "j",
        judging(
            {
                "R-GOOD": "Clear and right.\nScore: 4",
                "R-WEAK": "Vague.\nScore: 2",
                "R-ODD": "I would rather not grade this.",
                "R-LENIENT": "Score: 2",
            }
        ),
    )
    result = run_once(tasks, store, endpoint("mock/m", model), endpoint("mock/j", judge, 10.0))
    by_task = {s.task_id: s for s in result.samples}
    assert by_task["good"].status == "pass"
    good = by_task["good"].checks["judge"]
    assert good.detail["score"] == 4 and good.detail["judge_model"] == "mock/j"
    assert good.detail["explanation"].startswith("Clear and right.")
    weak = by_task["weak"].checks["judge"]
    assert weak.status == "fail" and weak.reason == "judge scored 2/5 (pass: 4)"
    # A judge answer without a score is the judge's failure: unscored, not a model failure.
    odd = by_task["odd"].checks["judge"]
    assert odd.status == "unscored" and by_task["odd"].status == "unscored"
    assert by_task["both"].status == "pass"
    # An empty answer fails without asking the judge.
    assert by_task["silent"].checks["judge"].reason.startswith("empty answer")
    assert len(judge.calls) == 4
    # The judge saw the task, the answer and the rubric.
    (asked,) = [c.text for c in judge.calls if "Explain A" in c.text]
    assert "A is a." in asked and "R-GOOD" in asked

    summ = result.summary
    # Accuracy leaves the unscored answer out: 2 of the 4 scored tasks passed.
    assert summ["accuracy"]["value"] == pytest.approx(0.5) and summ["accuracy"]["n_tasks"] == 4
    assert summ["unscored"] == 1 and summ["status_counts"] == {"pass": 2, "fail": 2, "unscored": 1}
    j = summ["judge"]
    assert j["model"] == "mock/j" and j["checks"] == 5 and j["scored"] == 3 and j["unscored"] == 1
    assert j["score_counts"] == {"1": 0, "2": 2, "3": 0, "4": 1, "5": 0}
    assert j["mean_score"]["value"] == pytest.approx((4 + 2 + 2) / 3)
    # The judge's tokens and cost are its own; the model's figures hold only the model's.
    judge_in = sum(
        c.detail.get("input_tokens") or 0
        for s in result.samples
        for n, c in s.checks.items()
        if n == "judge"
    )
    assert j["generation"]["input_tokens"] == judge_in > 0
    assert j["generation"]["completions"] == 4
    assert j["generation"]["cost_usd"] == pytest.approx(
        sum(
            c.detail["cost_usd"]
            for s in result.samples
            for n, c in s.checks.items()
            if "cost_usd" in c.detail
        )
    )
    gen = summ["generation"]
    assert gen["completions"] == 5 and gen["input_tokens"] < judge_in


def test_the_judge_is_asked_once_per_answer_even_across_runs(
    write_tasks: Callable[..., TaskFile], store: Store
) -> None:
    tasks = write_tasks(
        {"id": "t", "prompt": "Explain", "checks": [{"kind": "judge", "rubric": "R"}]}
    )
    judge = MockProvider("j", {"R": "Score: 5"})
    for _ in range(2):
        result = run_once(
            tasks,
            store,
            endpoint("mock/m", MockProvider("m", {"Explain": "x"})),
            endpoint("mock/j", judge),
        )
        assert result.samples[0].status == "pass"
    # Two runs, one judge call: the second answer was the same, so the cache answered.
    assert len(judge.calls) == 1
    assert result.summary["judge"]["generation"]["cached"] == 1

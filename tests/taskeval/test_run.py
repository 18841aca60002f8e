"""A task-file run in the store: its layout, and resuming after the model or the judge failed."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from taskeval_helpers import endpoint, run_once

from codejury.errors import ProviderError
from codejury.providers.base import GenerationRequest, ProviderBadResponseError
from codejury.providers.mock import MockProvider
from codejury.store import Store
from codejury.taskeval import grading
from codejury.taskeval.models import TaskFile
from codejury.taskeval.planning import answer_sha

pytestmark = pytest.mark.timeout(300)

ADD_TESTS = "def test_add():\n    assert add(2, 3) == 5\n"
GOOD_ADD = "Here:\n```python\ndef add(a, b):\n    return a + b\n```"


def mixed(write_tasks: Callable[..., TaskFile]) -> TaskFile:
    return write_tasks(
        {
            "id": "cap",
            "system": "Be brief.",
            "prompt": "Capital of France?",
            "checks": [{"kind": "contains", "expected": "Paris"}],
        },
        {
            "id": "add",
            "prompt": "Write add(a, b).",
            "checks": [{"kind": "unit_tests", "entry_point": "add", "tests": ADD_TESTS}],
        },
        {
            "id": "json",
            "prompt": "A JSON object with a.",
            "checks": [{"kind": "json_schema", "schema": {"required": ["a"]}}],
        },
        {
            "id": "sum",
            "prompt": "Summarize X.",
            "checks": [{"kind": "judge", "rubric": "Mentions X."}],
        },
    )


ANSWERS = {
    "Capital of France?": "Paris.",
    "Write add(a, b).": GOOD_ADD,
    "A JSON object with a.": '{"a": 1}',
    "Summarize X.": "X is about x.",
}


def test_a_run_is_stored_like_a_benchmark_run(
    write_tasks: Callable[..., TaskFile], store: Store
) -> None:
    tasks = mixed(write_tasks)
    model = MockProvider("m", ANSWERS)
    judge = MockProvider("j", {"Mentions X": "Score: 5"})
    result = run_once(tasks, store, endpoint("mock/m", model), endpoint("mock/j", judge), seed=7)
    assert [s.status for s in result.samples] == ["pass"] * 4
    assert result.summary["accuracy"]["value"] == 1.0 and result.summary["sandbox"].startswith("L")
    run = store.get_run(result.run_id)
    assert run.kind == "taskeval" and run.status == "finished"
    assert run.benchmark == "tasks:tasks.jsonl" and run.dataset_hash == tasks.content_hash
    assert run.spec["model"] == "mock/m" and run.spec["judge"] == "mock/j"
    assert run.spec["task_ids"] == ["cap", "add", "json", "sum"] and run.spec["seed"] == 7
    assert run.summary == result.summary
    # The request is the task's own conversation.
    cap = next(c for c in model.calls if c.text == "Capital of France?")
    assert [(m.role, m.content) for m in cap.messages or ()] == [
        ("system", "Be brief."),
        ("user", "Capital of France?"),
    ]
    assert cap.seed == 7
    # Answers (and the judge's, under judge/ ids) are generations of the run.
    rows = store.generations.of_run(result.run_id)
    answers = [r for r in rows if not r.task_id.startswith("judge/")]
    assert sorted(r.task_id for r in answers) == ["add", "cap", "json", "sum"]
    add = next(r for r in answers if r.task_id == "add")
    assert add.code.startswith("def add(a, b):") and add.sanitize_rule != "text"
    assert next(r for r in answers if r.task_id == "cap").sanitize_rule == "text"
    assert [r.raw_text for r in rows if r.task_id.startswith("judge/")] == ["Score: 5"]
    # One verdict per check and one per answer.
    verdicts = {(v.task_id, v.part): v for v in store.run_verdicts(result.run_id)}
    assert set(verdicts) == {
        *((t, "task") for t in ("cap", "add", "json", "sum")),
        ("cap", "check:contains"),
        ("add", "check:unit_tests"),
        ("json", "check:json_schema"),
        ("sum", "check:judge"),
    }
    unit = verdicts[("add", "check:unit_tests")]
    assert unit.status == "pass" and unit.detail["kind"] == "unit_tests"
    assert unit.detail["answer_sha"] == answer_sha(GOOD_ADD) and unit.detail["tests"] == {
        "test_add": "pass"
    }
    assert verdicts[("sum", "task")].detail["checks"] == {"judge": "pass"}


def test_several_answers_per_task_are_seeded_apart(
    write_tasks: Callable[..., TaskFile], store: Store
) -> None:
    tasks = write_tasks(
        {"id": "t", "prompt": "Hi", "checks": [{"kind": "contains", "expected": "hi"}]}
    )
    model = MockProvider("m", {"Hi": "hi"})
    result = run_once(tasks, store, endpoint("mock/m", model), n=3, temperature=0.7, seed=10)
    assert sorted(c.seed for c in model.calls) == [10, 11, 12]
    assert [(s.task_id, s.index) for s in result.samples] == [("t", 0), ("t", 1), ("t", 2)]
    assert result.summary["per_task"] == {"t": {"passed": 3, "scored": 3}}


def test_a_dead_model_stops_the_run_and_the_rerun_resumes(
    write_tasks: Callable[..., TaskFile], store: Store
) -> None:
    tasks = mixed(write_tasks)
    judge = MockProvider("j", {"Mentions X": "Score: 4"})
    served = 0

    def dies(request: GenerationRequest) -> str:
        nonlocal served
        served += 1
        if served > 2:
            raise ProviderBadResponseError("HTTP 503: down", status=503)
        return next(a for q, a in ANSWERS.items() if q in request.text)

    with pytest.raises(ProviderError) as stopped:
        run_once(
            tasks, store, endpoint("mock/m", MockProvider("m", dies)), endpoint("mock/j", judge)
        )
    assert "503" in stopped.value.message and "run the same command to resume" in str(
        stopped.value.hint
    )
    (failed,) = store.list_runs()
    assert failed.status == "failed" and len(store.generations.of_run(failed.id)) == 2
    assert judge.calls == []

    healthy = MockProvider("m", ANSWERS)
    result = run_once(tasks, store, endpoint("mock/m", healthy), endpoint("mock/j", judge))
    assert result.run_id == failed.id and result.resumed and result.summary["resumed"]
    assert len(healthy.calls) == 2, "only the two missing answers are requested"
    assert [s.status for s in result.samples] == ["pass"] * 4
    assert store.get_run(failed.id).status == "finished"


def test_a_dead_judge_stops_the_run_and_the_rerun_asks_only_the_judge(
    write_tasks: Callable[..., TaskFile], store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    tasks = write_tasks(
        *[
            {
                "id": f"s{i}",
                "prompt": f"Summarize {i}.",
                "checks": [{"kind": "judge", "rubric": f"R{i}"}],
            }
            for i in range(4)
        ],
        {
            "id": "add",
            "prompt": "Write add(a, b).",
            "checks": [{"kind": "unit_tests", "entry_point": "add", "tests": ADD_TESTS}],
        },
    )
    answers = {f"Summarize {i}.": f"summary {i}" for i in range(4)} | {"Write add(a, b).": GOOD_ADD}
    sandbox_runs: list[int] = []
    real_run = grading.CodeTester.run

    def counting(self: grading.CodeTester, jobs, on_result):  # type: ignore[no-untyped-def]
        sandbox_runs.append(len(jobs))
        return real_run(self, jobs, on_result)

    monkeypatch.setattr(grading.CodeTester, "run", counting)
    judged = 0

    def flaky(_request: GenerationRequest) -> str:
        nonlocal judged
        judged += 1
        if judged > 1:
            raise ProviderBadResponseError("HTTP 502: judge down", status=502)
        return "Score: 5"

    model = MockProvider("m", answers)
    with pytest.raises(ProviderError) as stopped:
        run_once(
            tasks, store, endpoint("mock/m", model), endpoint("mock/j", MockProvider("j", flaky))
        )
    assert "judge down" in stopped.value.message and "resume" in str(stopped.value.hint)
    (failed,) = store.list_runs()
    assert failed.status == "failed"
    parts = {(v.task_id, v.part): v.status for v in store.run_verdicts(failed.id)}
    assert parts[("add", "check:unit_tests")] == "pass" and sandbox_runs == [1]
    assert sum(p == "check:judge" for _t, p in parts) == 1, "only the answered judge call counts"

    model_again = MockProvider("m", answers)
    judge_again = MockProvider("j", {"R": "Score: 5"})
    result = run_once(
        tasks, store, endpoint("mock/m", model_again), endpoint("mock/j", judge_again)
    )
    assert result.run_id == failed.id
    assert model_again.calls == [] and sandbox_runs == [1], "answers and unit tests are kept"
    assert len(judge_again.calls) == 3, "only the three unjudged answers go to the judge"
    assert [s.status for s in result.samples] == ["pass"] * 5
    assert result.summary["sandbox"].startswith("L")  # from the verdicts of the first attempt


def test_an_answer_requested_again_is_checked_again(
    write_tasks: Callable[..., TaskFile], store: Store
) -> None:
    tasks = write_tasks(
        *[
            {"id": f"q{i}", "prompt": f"Q{i}?", "checks": [{"kind": "contains", "expected": "yes"}]}
            for i in range(3)
        ],
        {"id": "s", "prompt": "Summarize.", "checks": [{"kind": "judge", "rubric": "R"}]},
    )

    def rejects_q1(request: GenerationRequest) -> str:
        if request.text == "Q1?":
            raise ProviderBadResponseError("HTTP 400: prompt too long", status=400, retryable=False)
        return "yes"

    def down(_request: GenerationRequest) -> str:
        raise ProviderBadResponseError("HTTP 503: judge down", status=503)

    # q1's request is rejected (saved with its error, checked as an error); then the judge
    # is down, which stops the run after the other checks were recorded.
    with pytest.raises(ProviderError):
        run_once(
            tasks,
            store,
            endpoint("mock/m", MockProvider("m", rejects_q1)),
            endpoint("mock/j", MockProvider("j", down)),
        )
    (stopped,) = store.list_runs()
    before = {(v.task_id, v.part): v for v in store.run_verdicts(stopped.id)}
    assert before[("q1", "check:contains")].status == "error"
    assert "prompt too long" in before[("q1", "check:contains")].detail["reason"]

    model = MockProvider("m", {"Q": "yes", "Summarize": "ok"})
    resumed = run_once(
        tasks,
        store,
        endpoint("mock/m", model),
        endpoint("mock/j", MockProvider("j", {"R": "Score: 5"})),
    )
    assert resumed.run_id == stopped.id and [c.text for c in model.calls] == ["Q1?"]
    q1 = next(x for x in resumed.samples if x.task_id == "q1")
    assert q1.status == "pass", "the new answer is checked, not the old verdict reused"
    after = {(v.task_id, v.part): v for v in store.run_verdicts(stopped.id)}
    assert after[("q1", "check:contains")].detail["answer_sha"] == answer_sha("yes")
    assert resumed.summary["generation"]["failed_requests"] == 0


def test_a_request_rejected_mid_run_is_asked_again_and_rechecked_on_resume(
    write_tasks: Callable[..., TaskFile], store: Store
) -> None:
    tasks = write_tasks(
        *[
            {"id": f"q{i}", "prompt": f"Q{i}?", "checks": [{"kind": "contains", "expected": "yes"}]}
            for i in range(3)
        ],
    )

    def answer(request: GenerationRequest) -> str:
        # q1: rejected for its content (saved with its error); q2: the server is down.
        if request.text == "Q1?":
            raise ProviderBadResponseError("HTTP 400: bad", status=400, retryable=False)
        if request.text == "Q2?":
            raise ProviderBadResponseError("HTTP 503: down", status=503)
        return "yes"

    with pytest.raises(ProviderError):
        run_once(tasks, store, endpoint("mock/m", MockProvider("m", answer)))
    (stopped,) = store.list_runs()
    errors = {r.task_id: r.error for r in store.generations.of_run(stopped.id)}
    assert errors == {"q0": None, "q1": "HTTP 400: bad"}
    model = MockProvider("m", {"Q": "yes"})
    resumed = run_once(tasks, store, endpoint("mock/m", model))
    assert resumed.run_id == stopped.id
    assert sorted(c.text for c in model.calls) == ["Q1?", "Q2?"]
    assert [s.status for s in resumed.samples] == ["pass"] * 3
    stored = {(v.task_id, v.part): v for v in store.run_verdicts(stopped.id)}
    assert stored[("q1", "check:contains")].detail["answer_sha"] == answer_sha("yes")


def test_ctrl_c_leaves_an_interrupted_run_that_resumes(
    write_tasks: Callable[..., TaskFile], store: Store
) -> None:
    tasks = write_tasks(
        *[
            {"id": f"q{i}", "prompt": f"Q{i}?", "checks": [{"kind": "contains", "expected": "yes"}]}
            for i in range(4)
        ],
    )
    served = 0

    def interrupted(_request: GenerationRequest) -> str:
        nonlocal served
        served += 1
        if served == 3:
            raise KeyboardInterrupt
        return "yes"

    with pytest.raises(KeyboardInterrupt):
        run_once(tasks, store, endpoint("mock/m", MockProvider("m", interrupted)))
    (run,) = store.list_runs()
    assert run.status == "interrupted" and len(store.generations.of_run(run.id)) == 2
    model = MockProvider("m", {"Q": "yes"})
    resumed = run_once(tasks, store, endpoint("mock/m", model))
    assert resumed.run_id == run.id and len(model.calls) == 2
    assert [s.status for s in resumed.samples] == ["pass"] * 4

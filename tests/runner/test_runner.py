"""The generation phase: durable per-completion writes, resume, cache, failure policy."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from codejury.datasets import Benchmark, load_benchmark
from codejury.errors import CodejuryError
from codejury.prompts import PromptSpec
from codejury.providers.base import (
    GenerationRequest,
    ProviderAuthError,
    ProviderBadResponseError,
    ProviderCallError,
)
from codejury.providers.mock import MockProvider
from codejury.providers.registry import resolve
from codejury.runner import EvalSpec, Generator, request_key
from codejury.runsummary import generation_summary
from codejury.store import Store

TASKS = ("HumanEval/0", "HumanEval/1", "HumanEval/2", "HumanEval/3", "HumanEval/4")


@pytest.fixture(scope="module")
def bench(shared_data_dir: Path) -> Benchmark:
    return load_benchmark("humaneval+", shared_data_dir)


@pytest.fixture
def store(tmp_path: Path) -> Store:
    s = Store.open(tmp_path / "runs.db")
    yield s
    s.close()


def _spec(bench: Benchmark, n: int = 1, **kw: object) -> EvalSpec:
    return EvalSpec(model=resolve("mock/m"), benchmark=bench, task_ids=TASKS, n=n, **kw)  # type: ignore[arg-type]


def _answer(request: GenerationRequest) -> str:
    # The reference solution of the problem whose prompt is in the request.
    return (
        f"Sure!\n```python\n{request.text.split('```python')[1].split('```')[0]}    return 0\n```"
    )


def _run(spec: EvalSpec, provider: MockProvider, store: Store, run_id: str, **kw: object):  # type: ignore[no-untyped-def]
    gen = Generator(spec, provider, store, run_id, cost=lambda i, o: 1e-6 * (i or 0), **kw)  # type: ignore[arg-type]
    return asyncio.run(gen.run())


def _new_run(store: Store, spec: EvalSpec) -> str:
    return store.create_run(
        kind="eval", benchmark="humaneval+", dataset_hash="h", spec=spec.document(), environment={}
    )


def test_every_completion_is_saved_sanitized_and_timed(bench: Benchmark, store: Store) -> None:
    spec = _spec(bench, n=2, temperature=0.8)
    run_id = _new_run(store, spec)
    provider = MockProvider("m", _answer, latency_s=0.01)
    outcome = _run(spec, provider, store, run_id)
    assert outcome.stopped_by is None
    assert len(provider.calls) == 10 and outcome.requested == 10
    rows = store.generations.of_run(run_id)
    assert [(r.task_id, r.index) for r in rows] == sorted((t, i) for t in TASKS for i in (0, 1))
    for r in rows:
        assert r.raw_text.startswith("Sure!") and "```" not in r.code
        problem = bench.problems[r.task_id]
        assert f"def {problem.entry_point}(" in r.code
        assert r.sanitize_rule != "no_code"
        assert not r.cached and r.latency_s is not None and r.latency_s >= 0.01
        assert r.cost_usd is not None and r.cost_usd > 0
    # Completion i of a task gets its own cache key, so n samples are n requests.
    assert len({r.cache_key for r in rows}) == 10


def test_a_second_run_is_served_from_the_cache_without_latency(
    bench: Benchmark, store: Store
) -> None:
    spec = _spec(bench)
    first = _new_run(store, spec)
    _run(spec, MockProvider("m", _answer), store, first)
    second = _new_run(store, spec)
    provider = MockProvider("m", _answer)
    outcome = _run(spec, provider, store, second)
    assert provider.calls == [] and outcome.requested == 0
    rows = store.generations.of_run(second)
    assert len(rows) == 5 and all(r.cached and r.latency_s is None for r in rows)
    summary = generation_summary(rows)
    assert summary["cached"] == 5 and summary["requested"] == 0
    assert summary["latency_s"] is None, "cached answers must not count in latency"
    assert summary["cost_usd"] is not None and summary["cost_spent_usd"] == 0
    # --no-cache asks again.
    third = _new_run(store, spec)
    again = MockProvider("m", _answer)
    _run(spec, again, store, third, use_cache=False)
    assert len(again.calls) == 5


def test_resume_requests_only_what_is_missing(bench: Benchmark, store: Store) -> None:
    spec = _spec(bench)
    run_id = _new_run(store, spec)
    # Two answers, then the server goes down for good: the run stops with both saved.
    calls = 0

    def flaky(request: GenerationRequest) -> str:
        nonlocal calls
        calls += 1
        if calls > 2:
            raise ProviderBadResponseError("HTTP 503: down", status=503)
        return _answer(request)

    down = MockProvider("m", flaky)
    outcome = _run(spec, down, store, run_id, use_cache=False)
    assert isinstance(outcome.stopped_by, CodejuryError)
    saved = store.generations.of_run(run_id)
    assert len(saved) == 2 and all(r.error is None for r in saved)
    back = MockProvider("m", _answer)
    outcome = _run(spec, back, store, run_id, use_cache=False)
    assert outcome.stopped_by is None and len(back.calls) == 3
    asked = {c.text for c in back.calls}
    done_before = {r.task_id for r in saved}
    for task_id in done_before:
        assert bench.problems[task_id].prompt.strip() not in "".join(asked)
    rows = store.generations.of_run(run_id)
    assert len(rows) == 5 and len({(r.task_id, r.index) for r in rows}) == 5


def test_auth_failure_stops_the_run_at_once(bench: Benchmark, store: Store) -> None:
    spec = _spec(bench)
    run_id = _new_run(store, spec)

    def refuse(_request: GenerationRequest) -> str:
        raise ProviderAuthError("HTTP 401: bad key", status=401)

    provider = MockProvider("m", refuse)
    outcome = _run(spec, provider, store, run_id)
    assert isinstance(outcome.stopped_by, ProviderAuthError)
    assert store.generations.of_run(run_id) == []


def test_a_rejected_prompt_is_saved_as_an_error_and_retried_on_resume(
    bench: Benchmark, store: Store
) -> None:
    spec = _spec(bench)
    run_id = _new_run(store, spec)
    bad_prompt = bench.problems["HumanEval/3"].prompt.strip()

    def reject_one(request: GenerationRequest) -> str:
        if bad_prompt in request.text:
            raise ProviderCallError("HTTP 400: context length exceeded", status=400)
        return _answer(request)

    # Concurrency 1 so an answer has landed before the rejection (a first-request rejection
    # stops the run: it is most likely a setting every request would trip over).
    outcome = _run(spec, MockProvider("m", reject_one), store, run_id)
    assert outcome.stopped_by is None
    rows = {r.task_id: r for r in store.generations.of_run(run_id)}
    assert rows["HumanEval/3"].error is not None and rows["HumanEval/3"].code == ""
    assert sum(r.error is not None for r in rows.values()) == 1
    assert generation_summary(list(rows.values()))["failed_requests"] == 1
    retry = MockProvider("m", _answer)
    _run(spec, retry, store, run_id)
    assert len(retry.calls) == 1 and bad_prompt in retry.calls[0].text
    assert store.generations.of_run(run_id)[3].error is None


def test_a_rejection_before_any_answer_stops_the_run(bench: Benchmark, store: Store) -> None:
    spec = _spec(bench)
    run_id = _new_run(store, spec)

    def reject(_request: GenerationRequest) -> str:
        raise ProviderCallError("HTTP 400: temperature is not supported", status=400)

    outcome = _run(spec, MockProvider("m", reject), store, run_id)
    assert outcome.stopped_by is not None and "temperature" in outcome.stopped_by.message


def test_spec_key_and_request_key_depend_on_what_changes_answers(bench: Benchmark) -> None:
    base = _spec(bench)
    assert base.key() == _spec(bench).key()
    assert base.key() != _spec(bench, temperature=0.5).key()
    assert base.key() != _spec(bench, max_tokens=10).key()
    assert base.key() != _spec(bench, prompt=PromptSpec(style="completion")).key()
    keyed = EvalSpec(
        model=resolve("m", {"m": {"provider": "mock", "api_key": "secret-1"}}),
        benchmark=bench,
        task_ids=TASKS,
    )
    other_key = EvalSpec(
        model=resolve("m", {"m": {"provider": "mock", "api_key": "secret-2"}}),
        benchmark=bench,
        task_ids=TASKS,
    )
    assert keyed.key() == other_key.key(), "secrets must not enter keys"
    assert "secret" not in str(keyed.document())
    request = base.request(bench.problems["HumanEval/0"], 0)
    ident = base.model_identity()
    assert request_key(ident, request, 0) != request_key(ident, request, 1)


def test_completion_style_scores_prompt_plus_answer(bench: Benchmark, store: Store) -> None:
    spec = _spec(bench, prompt=PromptSpec(style="completion"))
    run_id = _new_run(store, spec)
    body = "    return 0\n\ndef extra():\n    pass\n"
    provider = MockProvider("m", lambda _r: body)
    _run(spec, provider, store, run_id)
    assert provider.calls[0].prompt == bench.problems["HumanEval/0"].prompt
    assert "\ndef " in provider.calls[0].stop
    row = store.generations.of_run(run_id)[0]
    # The answer is cut at the next top-level def, as EvalPlus's stop sequences do.
    assert "extra" not in row.code and "return 0" in row.code


def test_a_failing_store_stops_the_run_and_says_so(
    bench: Benchmark, store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    from codejury.errors import StoreError
    from codejury.store.generations import Generations

    spec = _spec(bench)
    run_id = _new_run(store, spec)

    def add_many(self: Generations, *args: object, **kwargs: object) -> None:
        raise StoreError("disk full")

    monkeypatch.setattr(Generations, "add_many", add_many)
    outcome = _run(spec, MockProvider("m", _answer, latency_s=0.01), store, run_id)
    assert isinstance(outcome.stopped_by, StoreError), "a lost write must never look finished"
    monkeypatch.undo()
    assert store.generations.of_run(run_id) == []

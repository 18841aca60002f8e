"""The shipped mock provider: deterministic answers, limits like a server, injected failures."""

from __future__ import annotations

import asyncio

import pytest
from provider_fakes import RecordingSleep

from codejury.errors import ConfigError
from codejury.providers.base import (
    Generation,
    GenerationRequest,
    Message,
    Provider,
    ProviderAuthError,
)
from codejury.providers.mock import DEFAULT_RESPONSE, MockProvider


def answer(mock: MockProvider, request: GenerationRequest) -> Generation:
    return asyncio.run(mock.generate(request))


def test_default_answer_is_a_python_block_and_is_deterministic() -> None:
    mock = MockProvider()
    request = GenerationRequest(messages=(Message("user", "write add"),))
    first, second = answer(mock, request), answer(mock, request)
    assert first.text == second.text == DEFAULT_RESPONSE
    assert "```python\ndef " in first.text
    assert (first.finish_reason, first.truncated, first.model_id) == ("stop", False, "mock")
    assert first.input_tokens == 2 and first.output_tokens == len(DEFAULT_RESPONSE.split())
    assert [first.response_id, second.response_id] == ["mock-1", "mock-2"]
    assert mock.calls == [request, request]
    assert isinstance(mock, Provider)


def test_mapping_answers_by_exact_text_then_by_substring() -> None:
    mock = MockProvider(responses={"HumanEval/0": "zero", "exact prompt": "exact", "prompt": "sub"})
    assert answer(mock, GenerationRequest(prompt="exact prompt")).text == "exact"
    assert answer(mock, GenerationRequest(prompt="# HumanEval/0\ndef f")).text == "zero"
    assert answer(mock, GenerationRequest(prompt="another prompt")).text == "sub"
    assert answer(mock, GenerationRequest(prompt="unmatched")).text == DEFAULT_RESPONSE


def test_function_answers_see_the_whole_request() -> None:
    mock = MockProvider(responses=lambda r: f"{len(r.messages or ())} messages, T={r.temperature}")
    request = GenerationRequest(
        messages=(Message("system", "s"), Message("user", "u")), temperature=0.8
    )
    assert answer(mock, request).text == "2 messages, T=0.8"


def test_max_tokens_truncates_like_a_server() -> None:
    mock = MockProvider(responses=lambda r: "one two  three\nfour five")
    result = answer(mock, GenerationRequest(prompt="p", max_tokens=3))
    assert result.text == "one two  three"  # spacing kept, cut after the third word
    assert (result.finish_reason, result.truncated, result.output_tokens) == ("length", True, 3)


def test_stop_sequences_cut_the_answer() -> None:
    mock = MockProvider(responses=lambda r: "def f():\n    pass\nclass X: pass\nprint(1)")
    result = answer(mock, GenerationRequest(prompt="p", stop=("\nprint", "\nclass")))
    assert result.text == "def f():\n    pass"
    assert (result.finish_reason, result.truncated) == ("stop", False)


def test_injected_failures_then_answers() -> None:
    mock = MockProvider(fail_first=1, error=lambda: ProviderAuthError("nope"))
    with pytest.raises(ProviderAuthError):
        answer(mock, GenerationRequest(prompt="p"))
    assert answer(mock, GenerationRequest(prompt="p")).text == DEFAULT_RESPONSE
    assert len(mock.calls) == 2


def test_latency_uses_the_injected_sleep() -> None:
    sleep = RecordingSleep()
    answer(MockProvider(latency_s=2.5, sleep=sleep), GenerationRequest(prompt="p"))
    assert sleep.delays == [2.5]


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [
        ({}, ValueError),
        ({"prompt": "p", "messages": (Message("user", "u"),)}, ValueError),
        ({"messages": ()}, ValueError),
        ({"prompt": "p", "max_tokens": 0}, ConfigError),
        ({"prompt": "p", "timeout_s": 0}, ConfigError),
    ],
)
def test_requests_need_exactly_one_form_and_sane_limits(
    kwargs: dict[str, object], error: type[Exception]
) -> None:
    with pytest.raises(error):
        GenerationRequest(**kwargs)  # type: ignore[arg-type]

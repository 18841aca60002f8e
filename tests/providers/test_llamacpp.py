"""The bundled local model (``local/smollm2``), run for real by llama.cpp in this process."""

from __future__ import annotations

import asyncio
import re
import sys
import time
from collections.abc import Mapping
from pathlib import Path

import pytest

pytest.importorskip("llama_cpp", reason="llama-cpp-python is not installed")

from codejury.datasets import load_benchmark
from codejury.datasets.models import Benchmark
from codejury.errors import ConfigError
from codejury.prompts import PromptSpec, build_request
from codejury.providers.base import (
    Generation,
    GenerationRequest,
    ProviderBadResponseError,
    ProviderCallTimeoutError,
    is_retryable,
)
from codejury.providers.llamacpp import LlamaCppProvider, bundled_model_path
from codejury.providers.registry import ProviderRegistry, resolve

# A prompt this model keeps continuing for thousands of tokens: long generations to cancel.
COUNTING = "1, 2, 3, 4, 5,"


def local(ref: str = "local/smollm2", **options: object) -> LlamaCppProvider:
    models: Mapping[str, Mapping[str, object]] = {ref: options} if options else {}
    provider = ProviderRegistry().create(resolve(ref, models))
    assert isinstance(provider, LlamaCppProvider)
    return provider


def generate(provider: LlamaCppProvider, request: GenerationRequest) -> Generation:
    return asyncio.run(provider.generate(request))


@pytest.fixture(scope="module")
def smollm2() -> LlamaCppProvider:
    provider = local()
    asyncio.run(provider.load())
    return provider


@pytest.fixture(scope="module")
def humaneval(shared_data_dir: Path) -> Benchmark:
    return load_benchmark("humaneval+", shared_data_dir)


@pytest.fixture(scope="module")
def answer_0(smollm2: LlamaCppProvider, humaneval: Benchmark) -> Generation:
    """The model's answer to HumanEval/0, shared by the tests that only read it."""
    return generate(smollm2, instruct(humaneval, "HumanEval/0"))


def instruct(benchmark: Benchmark, task_id: str, max_tokens: int = 256) -> GenerationRequest:
    problem = benchmark.problems[task_id]
    return build_request(
        problem, benchmark.family, PromptSpec(), max_tokens=max_tokens, temperature=0.0
    )


# --- generation ----------------------------------------------------------------------------------


def test_answers_a_humaneval_prompt_with_code(answer_0: Generation) -> None:
    answer = answer_0
    assert "```python" in answer.text
    assert "def has_close_elements(" in answer.text
    assert (answer.finish_reason, answer.truncated) == ("stop", False)
    assert answer.input_tokens is not None and answer.input_tokens > 100  # the whole prompt
    assert answer.output_tokens is not None and 10 < answer.output_tokens < 256
    assert answer.ttft_s is not None and 0 < answer.ttft_s <= answer.latency_s
    assert (answer.model_id, answer.reasoning) == ("smollm2", None)
    assert answer.response_id


def test_temperature_zero_is_deterministic_whatever_ran_before(
    smollm2: LlamaCppProvider, humaneval: Benchmark
) -> None:
    request = instruct(humaneval, "HumanEval/2", max_tokens=96)
    first = generate(smollm2, request)
    generate(smollm2, GenerationRequest(prompt=COUNTING, max_tokens=4))  # a different cache
    second = generate(smollm2, request)
    assert first.text == second.text and first.text.strip()
    assert first.output_tokens == second.output_tokens


def test_max_tokens_truncates_and_says_so(smollm2: LlamaCppProvider, humaneval: Benchmark) -> None:
    answer = generate(smollm2, instruct(humaneval, "HumanEval/0", max_tokens=8))
    assert (answer.finish_reason, answer.truncated, answer.output_tokens) == ("length", True, 8)
    assert answer.text


def test_completion_prompts_stop_at_a_stop_sequence(smollm2: LlamaCppProvider) -> None:
    full = generate(smollm2, GenerationRequest(prompt=COUNTING, max_tokens=40))
    assert " 9," in full.text  # the model counts on
    cut = generate(smollm2, GenerationRequest(prompt=COUNTING, max_tokens=40, stop=(" 9,",)))
    assert cut.text == full.text[: full.text.index(" 9,")]
    assert (cut.finish_reason, cut.truncated) == ("stop", False)
    assert cut.output_tokens is not None and cut.output_tokens < 40


def test_chat_answers_stop_at_a_stop_sequence(
    smollm2: LlamaCppProvider, humaneval: Benchmark, answer_0: Generation
) -> None:
    assert "return" in answer_0.text
    request = instruct(humaneval, "HumanEval/0")
    stopped = generate(smollm2, GenerationRequest(messages=request.messages, stop=("return",)))
    assert stopped.text == answer_0.text[: answer_0.text.index("return")]
    assert stopped.finish_reason == "stop"


def test_prompt_longer_than_the_context_is_a_clear_permanent_error() -> None:
    tiny = local(n_ctx=100)  # llama.cpp makes it 256
    long_prompt = ", ".join(str(i) for i in range(300))  # about 600 tokens
    with pytest.raises(ProviderBadResponseError, match="does not fit") as caught:
        generate(tiny, GenerationRequest(prompt=long_prompt, max_tokens=8))
    assert not is_retryable(caught.value)
    assert caught.value.hint is not None and "n_ctx (now 256)" in caught.value.hint


def test_a_context_size_llama_cpp_rounds_up_still_fills_to_the_end() -> None:
    # Asked for 100, given 256: a prompt and answer past 100 tokens must not crash.
    tiny = local(n_ctx=100)
    prompt = ", ".join(str(i) for i in range(60))  # about 120 tokens
    answer = generate(tiny, GenerationRequest(prompt=prompt, max_tokens=500))
    assert answer.input_tokens is not None and answer.input_tokens > 100
    assert answer.finish_reason == "length"
    assert answer.input_tokens + answer.output_tokens == 256


# --- concurrency, cancellation, timeouts ---------------------------------------------------------


def test_concurrent_requests_share_one_model_and_match_sequential_answers() -> None:
    requests = [
        GenerationRequest(prompt=prompt, max_tokens=24)
        for prompt in ("def fibonacci(n):", "The capital of France is")
    ]
    first, second = local(), local()  # two providers, one loaded model

    async def together() -> list[Generation]:
        return list(
            await asyncio.gather(
                *(p.generate(r) for p, r in zip((first, second), requests, strict=True))
            )
        )

    parallel = asyncio.run(together())
    alone = [generate(first, r) for r in requests]
    assert [g.text for g in parallel] == [g.text for g in alone]


def test_cancel_stops_generation_promptly_and_frees_the_model(smollm2: LlamaCppProvider) -> None:
    async def scenario() -> tuple[float, Generation]:
        task = asyncio.create_task(
            smollm2.generate(GenerationRequest(prompt=COUNTING, max_tokens=3000))
        )
        await asyncio.sleep(1.0)  # well into the generation (about a minute's work)
        cancelled_at = time.perf_counter()
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        stop_s = time.perf_counter() - cancelled_at
        follow_up = GenerationRequest(prompt=COUNTING, max_tokens=4, timeout_s=30)
        return stop_s, await asyncio.wait_for(smollm2.generate(follow_up), 60)

    stop_s, after = asyncio.run(scenario())
    assert stop_s < 2.0
    assert (after.finish_reason, after.output_tokens) == ("length", 4)


def test_cancelling_a_queued_request_leaves_the_running_one_alone(
    smollm2: LlamaCppProvider,
) -> None:
    async def scenario() -> tuple[float, Generation]:
        running = asyncio.create_task(
            smollm2.generate(GenerationRequest(prompt=COUNTING, max_tokens=60))
        )
        queued = asyncio.create_task(
            smollm2.generate(GenerationRequest(prompt=COUNTING, max_tokens=3000))
        )
        await asyncio.sleep(0.3)
        cancelled_at = time.perf_counter()
        queued.cancel()
        with pytest.raises(asyncio.CancelledError):
            await queued
        return time.perf_counter() - cancelled_at, await running

    stop_s, finished = asyncio.run(scenario())
    assert stop_s < 1.0
    assert (finished.finish_reason, finished.output_tokens) == ("length", 60)


def test_timeout_stops_generation_and_is_retryable(smollm2: LlamaCppProvider) -> None:
    started = time.perf_counter()
    with pytest.raises(ProviderCallTimeoutError, match=r"within 0\.5 s") as caught:
        generate(smollm2, GenerationRequest(prompt=COUNTING, max_tokens=3000, timeout_s=0.5))
    assert time.perf_counter() - started < 5.0
    assert is_retryable(caught.value)
    assert generate(smollm2, GenerationRequest(prompt=COUNTING, max_tokens=2)).output_tokens == 2


# --- configuration -------------------------------------------------------------------------------


def test_local_models_run_one_request_at_a_time_by_default() -> None:
    assert resolve("local/smollm2").concurrency == 1
    assert resolve("local/smollm2", {"local/smollm2": {"concurrency": 3}}).concurrency == 3
    assert resolve("ollama/qwen2.5-coder").concurrency > 1
    assert "local" in ProviderRegistry().names()


def test_settings_reach_the_provider() -> None:
    provider = local(style="completion", n_ctx=2048, n_threads=1, n_batch=64, seed=7)
    assert (provider.name, provider.model, provider.style) == ("local", "smollm2", "completion")
    settings = provider.settings
    assert (settings.n_ctx, settings.n_threads, settings.n_batch) == (2048, 1, 64)
    assert settings.model_path == bundled_model_path("smollm2")


def test_a_gguf_path_as_the_model_name_runs_that_file(smollm2: LlamaCppProvider) -> None:
    path = bundled_model_path("smollm2")
    provider = local(f"local/{path}")
    assert provider.settings.model_path == path
    assert generate(provider, GenerationRequest(prompt=COUNTING, max_tokens=3)).output_tokens == 3


def test_missing_model_file_names_the_path(tmp_path: Path) -> None:
    missing = tmp_path / "nope.gguf"
    with pytest.raises(ConfigError, match=re.escape(str(missing))):
        local("local/mine", model_path=str(missing))
    with pytest.raises(ConfigError, match=re.escape(str(missing))):
        local(f"local/{missing}")


def test_a_file_llama_cpp_cannot_load_is_a_config_error(tmp_path: Path) -> None:
    broken = tmp_path / "broken.gguf"
    broken.write_bytes(b"GGUF but not really a model")
    provider = local("local/broken", model_path=str(broken))
    with pytest.raises(ConfigError, match=re.escape(str(broken))):
        generate(provider, GenerationRequest(prompt=COUNTING, max_tokens=2))


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"temperature": 0.2}, "unknown setting"),
        ({"n_ctx": 0}, "n_ctx"),
        ({"n_threads": "2"}, "n_threads"),
        ({"n_batch": True}, "n_batch"),
        ({"seed": -1}, "seed"),
        ({"style": "fim"}, "style"),
    ],
)
def test_bad_settings_are_config_errors(options: dict[str, object], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        local("local/smollm2", **options)


def test_unknown_bundled_model_lists_the_known_ones() -> None:
    with pytest.raises(ConfigError, match="smollm2"):
        local("local/gpt-5")


def test_missing_llama_cpp_is_a_config_error_with_an_install_hint(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(sys.modules, "llama_cpp", None)  # what a failed install looks like
    with pytest.raises(ConfigError, match="llama-cpp-python") as caught:
        local()
    assert caught.value.hint is not None and "pip install" in caught.value.hint

"""Model references, codejury.toml model tables, built-in providers and entry-point plugins."""

from __future__ import annotations

import asyncio
import importlib.metadata
from collections.abc import Mapping
from typing import Any

import pytest

from codejury.errors import AuthError, ConfigError
from codejury.providers.anthropic import AnthropicProvider
from codejury.providers.base import Generation, GenerationRequest, Provider
from codejury.providers.classify import is_local_url
from codejury.providers.mock import MockProvider
from codejury.providers.openai_compat import OpenAICompatProvider
from codejury.providers.registry import (
    KNOWN_HOSTS,
    ModelConfig,
    ProviderRegistry,
    open_model,
    resolve,
)
from codejury.providers.retry import RetryingProvider


def create(ref: str, models: Mapping[str, Mapping[str, object]] | None = None) -> Any:
    return ProviderRegistry().create(resolve(ref, models))


# --- provider/model references -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("ref", "key_env", "base_url", "model"),
    [
        ("openai/gpt-4o-mini", "OPENAI_API_KEY", None, "gpt-4o-mini"),
        ("deepseek/deepseek-chat", "DEEPSEEK_API_KEY", "https://api.deepseek.com", "deepseek-chat"),
        ("groq/llama-3.1-8b-instant", "GROQ_API_KEY", "https://api.groq.com/openai/v1", None),
        (
            "together/Qwen/Qwen2.5-Coder-32B-Instruct",
            "TOGETHER_API_KEY",
            None,
            "Qwen/Qwen2.5-Coder-32B-Instruct",
        ),
        ("openrouter/meta-llama/llama-3.1-70b-instruct", "OPENROUTER_API_KEY", None, None),
    ],
)
def test_hosted_openai_compatible_references(
    monkeypatch: pytest.MonkeyPatch, ref: str, key_env: str, base_url: str | None, model: str | None
) -> None:
    with pytest.raises(AuthError, match=key_env):
        create(ref)  # no key yet: refused before any request
    monkeypatch.setenv(key_env, "secret")
    provider = create(ref)
    assert isinstance(provider, OpenAICompatProvider)
    host, _, rest = ref.partition("/")
    assert (provider.name, provider.model, provider.api_key_env) == (host, model or rest, key_env)
    assert provider.base_url == (base_url or KNOWN_HOSTS[host].base_url)


def test_openai_uses_the_token_parameter_reasoning_models_require(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "secret")
    assert create("openai/o3-mini")._max_tokens_param == "max_completion_tokens"
    monkeypatch.setenv("DEEPSEEK_API_KEY", "secret")
    assert create("deepseek/deepseek-chat")._max_tokens_param == "max_tokens"


@pytest.mark.parametrize(
    ("ref", "base_url"),
    [
        ("ollama/qwen2.5-coder", "http://127.0.0.1:11434/v1"),
        ("vllm/Qwen/Qwen2.5-Coder-7B-Instruct", "http://127.0.0.1:8000/v1"),
        ("llamacpp/any", "http://127.0.0.1:8080/v1"),
        ("lmstudio/any", "http://127.0.0.1:1234/v1"),
    ],
)
def test_local_servers_need_no_key(ref: str, base_url: str) -> None:
    provider = create(ref)
    assert provider.base_url == base_url and provider.api_key_env is None


def test_anthropic_and_mock_references(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ANTHROPIC_API_KEY", "secret")
    claude = create("anthropic/claude-3-5-haiku-latest")
    assert isinstance(claude, AnthropicProvider) and claude.model == "claude-3-5-haiku-latest"
    mock = create("mock/anything-at-all")
    assert isinstance(mock, MockProvider) and mock.model == "anything-at-all"


def test_local_is_the_bundled_model_with_one_request_at_a_time() -> None:
    config = resolve("local/smollm2")
    assert config.concurrency == 1
    assert ProviderRegistry().create(config).name == "local"


def test_local_works_once_the_bundled_model_registers() -> None:
    registry = ProviderRegistry()
    registry.register("local", lambda model, options: MockProvider(model, name="local"))
    provider = registry.create(resolve("local/smollm2"))
    assert (provider.name, provider.model) == ("local", "smollm2")


def test_unknown_provider_lists_the_known_ones() -> None:
    with pytest.raises(ConfigError, match="unknown provider 'nope'") as caught:
        create("nope/model")
    for name in ("openai", "anthropic", "ollama", "mock"):
        assert name in str(caught.value)


@pytest.mark.parametrize("ref", ["gpt-4o", "openai/", "/gpt-4o"])
def test_malformed_reference_says_what_is_expected(ref: str) -> None:
    with pytest.raises(ConfigError, match="expected provider/model"):
        resolve(ref, {"mine": {"provider": "mock"}})


# --- custom models (codejury.toml) -------------------------------------------------------------


def test_custom_model_table() -> None:
    models = {
        "team-coder": {
            "provider": "vllm",
            "model": "Qwen/Qwen2.5-Coder-32B-Instruct",
            "base_url": "http://gpu-box.local:8000/v1",
            "api_key_env": "",
            "style": "completion",
            "concurrency": 32,
            "rpm": 600,
            "prices": {"input": 0.0, "output": 0},
            "open_weights": True,
            "organization": "Alibaba",
            "params": {"top_k": 20},
            "headers": {"X-Team": "qa"},
        }
    }
    config = resolve("team-coder", models)
    assert (config.provider, config.model, config.style) == (
        "vllm",
        "Qwen/Qwen2.5-Coder-32B-Instruct",
        "completion",
    )
    assert (config.concurrency, config.rpm) == (32, 600.0)
    assert config.prices == {"input": 0.0, "output": 0.0}
    assert config.metadata == {"open_weights": True, "organization": "Alibaba"}
    provider = ProviderRegistry().create(config)
    assert isinstance(provider, OpenAICompatProvider)
    assert (provider.base_url, provider.style, provider.api_key_env) == (
        "http://gpu-box.local:8000/v1",
        "completion",
        None,
    )


def test_table_named_like_a_reference_only_overrides_settings(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    config = resolve("openai/gpt-4o-mini", {"openai/gpt-4o-mini": {"rpm": 500, "concurrency": 4}})
    assert (config.provider, config.model, config.rpm, config.concurrency) == (
        "openai",
        "gpt-4o-mini",
        500.0,
        4,
    )


def test_key_of_one_service_is_never_sent_to_another_host(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-real")
    models = {
        "proxy": {"provider": "openai", "model": "m", "base_url": "https://proxy.example.com/v1"}
    }
    with pytest.raises(ConfigError, match="needs api_key_env"):
        create("proxy", models)
    monkeypatch.setenv("PROXY_KEY", "p")
    provider = create("proxy", {"proxy": {**models["proxy"], "api_key_env": "PROXY_KEY"}})
    assert provider.api_key_env == "PROXY_KEY"
    local = create(
        "lan", {"lan": {"provider": "openai", "model": "m", "base_url": "http://localhost:9000/v1"}}
    )
    assert local.api_key_env is None


@pytest.mark.parametrize(
    ("table", "words"),
    [
        ({"model": "x"}, "needs provider"),
        ({"provider": "mock", "concurrency": 0}, "concurrency must be a positive integer"),
        ({"provider": "mock", "concurrency": True}, "concurrency must be a positive integer"),
        ({"provider": "mock", "rpm": "fast"}, "rpm must be a positive number"),
        ({"provider": "mock", "prices": {"input": "cheap"}}, "prices must be a table of numbers"),
        ({"provider": "mock", "metadata": 3}, "metadata must be a table"),
    ],
)
def test_bad_model_tables_are_config_errors(table: dict[str, object], words: str) -> None:
    with pytest.raises(ConfigError, match=words):
        resolve("mine", {"mine": table})


@pytest.mark.parametrize(
    ("table", "words"),
    [
        ({"provider": "ollama", "base_ulr": "http://x"}, "unknown setting.*base_ulr"),
        ({"provider": "ollama", "style": "fancy"}, 'must be "chat" or "completion"'),
        ({"provider": "ollama", "headers": "x"}, "headers .* must be a table"),
        ({"provider": "ollama", "base_url": 3}, "base_url .* must be a string"),
        ({"provider": "anthropic", "api_key": "k", "style": "completion"}, "only style"),
    ],
)
def test_bad_provider_settings_are_config_errors(table: dict[str, object], words: str) -> None:
    with pytest.raises(ConfigError, match=words):
        create("mine", {"mine": table})


def test_open_model_wraps_the_provider_in_limits_and_retries() -> None:
    models = {
        "dry": {"provider": "mock", "model": "echo", "concurrency": 2, "rpm": 120, "latency_s": 0}
    }
    config, provider = open_model("dry", models)
    assert isinstance(provider, RetryingProvider) and isinstance(provider.inner, MockProvider)
    assert provider.limiter is not None
    assert (provider.limiter.concurrency, provider.limiter.requests_per_minute) == (2, 120.0)
    result = asyncio.run(provider.generate(GenerationRequest(prompt="x")))
    assert result.model_id == "echo" and config.name == "dry"


# --- entry-point plugins -----------------------------------------------------------------------


class EchoProvider:
    def __init__(self, model: str, options: Mapping[str, object]) -> None:
        self.name = "echo"
        self.model = model
        self.options = dict(options)

    async def generate(self, request: GenerationRequest) -> Generation:
        return Generation(request.text, None, "stop", False, None, None, None, 0.0)

    async def aclose(self) -> None:
        pass


def _broken_factory(model: str, options: Mapping[str, object]) -> Provider:
    raise RuntimeError("plugin bug")


def _wrong_factory(model: str, options: Mapping[str, object]) -> Any:
    return {"model": model}


@pytest.fixture
def plugins(monkeypatch: pytest.MonkeyPatch) -> None:
    group = "codejury.providers"
    here = __name__
    entries = [
        importlib.metadata.EntryPoint("echo", f"{here}:EchoProvider", group),
        importlib.metadata.EntryPoint("broken", f"{here}:_broken_factory", group),
        importlib.metadata.EntryPoint("missing", "no_such_package_xyz:factory", group),
        importlib.metadata.EntryPoint("not_a_provider", f"{here}:_wrong_factory", group),
    ]
    loaded: list[str] = []

    def fake_entry_points(**params: Any) -> list[importlib.metadata.EntryPoint]:
        assert params == {"group": group}
        loaded.append(group)
        return entries

    monkeypatch.setattr(importlib.metadata, "entry_points", fake_entry_points)


@pytest.mark.usefixtures("plugins")
def test_plugin_provider_is_found_and_given_model_and_options() -> None:
    registry = ProviderRegistry()
    assert {"echo", "broken", "openai", "mock"} <= set(registry.names())
    config = resolve("mine", {"mine": {"provider": "echo", "model": "m1", "temperature_hack": 1}})
    provider = registry.create(config)
    assert isinstance(provider, EchoProvider)
    assert provider.model == "m1" and provider.options == {"temperature_hack": 1}
    assert asyncio.run(provider.generate(GenerationRequest(prompt="hi"))).text == "hi"


@pytest.mark.usefixtures("plugins")
@pytest.mark.parametrize(
    ("ref", "words"),
    [
        ("missing/m", "plugin 'missing' .* failed to load"),
        ("broken/m", "could not set up model 'm': plugin bug"),
        ("not_a_provider/m", "returned dict, which lacks"),
    ],
)
def test_broken_plugins_are_reported_only_when_used(ref: str, words: str) -> None:
    registry = ProviderRegistry()
    assert registry.create(resolve("mock/x")).name == "mock"  # unrelated models still work
    with pytest.raises(ConfigError, match=words):
        registry.create(resolve(ref))


def test_model_config_defaults() -> None:
    config = ModelConfig(name="mock/x", provider="mock", model="x")
    assert (config.style, config.concurrency, config.rpm) == ("chat", 8, None)


@pytest.mark.parametrize(
    ("url", "local"),
    [
        ("http://127.0.0.1:11434/v1", True),
        ("http://localhost:8080/v1", True),
        ("http://[::1]:8000/v1", True),
        ("http://0.0.0.0:8000", True),
        ("https://api.openai.com/v1", False),
        ("http://10.0.0.5:8000/v1", False),  # a LAN server may still want a key
        (None, False),
    ],
)
def test_only_loopback_servers_count_as_local(url: str | None, local: bool) -> None:
    assert is_local_url(url) is local

"""From a model reference (``openai/gpt-4o-mini``, or a name in codejury.toml) to a provider.

Every provider, built-in or not, is a factory ``(model, options) -> Provider``. Built-ins are
registered here; third-party packages add theirs through the ``codejury.providers`` entry
point group, whose entries are loaded only when a model asks for them, so one broken plugin
cannot break unrelated runs. ``local`` is the bundled model run in-process by llama.cpp.
"""

from __future__ import annotations

import importlib.metadata
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import partial
from typing import TypeGuard

from codejury.errors import CodejuryError, ConfigError
from codejury.providers.base import Provider, ProviderFactory
from codejury.providers.classify import is_local_url
from codejury.providers.mock import MockProvider
from codejury.providers.retry import Limiter, RetryEvent, RetryingProvider, RetryPolicy

ENTRY_POINT_GROUP = "codejury.providers"
DEFAULT_CONCURRENCY = 8
# A model run in this process generates one answer at a time; more requests in flight would
# only queue behind its lock while their timeouts run.
PROVIDER_CONCURRENCY: Mapping[str, int] = {"local": 1}


def default_concurrency(provider: str) -> int:
    """Requests in flight for a model of ``provider`` unless codejury.toml says otherwise."""
    return PROVIDER_CONCURRENCY.get(provider, DEFAULT_CONCURRENCY)


@dataclass(frozen=True)
class Host:
    """An OpenAI-compatible service: where it lives and which variable holds its key.

    Attributes:
        base_url: API root; ``None`` is the SDK's default (OpenAI).
        api_key_env: Environment variable with the key; ``None`` when none is needed.
        max_tokens_param: Body key for the token limit on chat requests.
    """

    base_url: str | None
    api_key_env: str | None
    max_tokens_param: str = "max_tokens"


KNOWN_HOSTS: Mapping[str, Host] = {
    # OpenAI's reasoning models reject "max_tokens" on chat; every chat model takes this one.
    "openai": Host(None, "OPENAI_API_KEY", "max_completion_tokens"),
    "deepseek": Host("https://api.deepseek.com", "DEEPSEEK_API_KEY"),
    "groq": Host("https://api.groq.com/openai/v1", "GROQ_API_KEY"),
    "together": Host("https://api.together.xyz/v1", "TOGETHER_API_KEY"),
    "openrouter": Host("https://openrouter.ai/api/v1", "OPENROUTER_API_KEY"),
    "fireworks": Host("https://api.fireworks.ai/inference/v1", "FIREWORKS_API_KEY"),
    "mistral": Host("https://api.mistral.ai/v1", "MISTRAL_API_KEY"),
    # Local servers, at their default ports; base_url in codejury.toml overrides.
    "ollama": Host("http://127.0.0.1:11434/v1", None),
    "vllm": Host("http://127.0.0.1:8000/v1", None),
    "sglang": Host("http://127.0.0.1:30000/v1", None),
    "llamacpp": Host("http://127.0.0.1:8080/v1", None),
    "lmstudio": Host("http://127.0.0.1:1234/v1", None),
}

RESERVED: Mapping[str, str] = {}

# Model-table keys the registry itself understands; everything else is a provider option.
_METADATA_KEYS = frozenset(
    {"open_weights", "parameters", "release_date", "organization", "license", "context_window"}
)
_GENERIC_KEYS = frozenset({"provider", "model", "concurrency", "rpm", "prices", "metadata"})


@dataclass(frozen=True)
class ModelConfig:
    """One model as codejury will run it.

    Attributes:
        name: The reference the user wrote (``openai/gpt-4o-mini`` or a codejury.toml name).
        provider: Registry name of the provider.
        model: The model name sent to the provider.
        concurrency: Most requests in flight for this model.
        rpm: Most requests started per minute, or ``None``.
        prices: Price table (e.g. ``input``/``output`` in USD per million tokens).
        metadata: Facts for reports (open weights, parameters, release date, organization).
        options: Provider settings (``base_url``, ``api_key_env``, ``style``, ``headers``,
            ``params``...), handed to the provider factory as they are.
    """

    name: str
    provider: str
    model: str
    concurrency: int = DEFAULT_CONCURRENCY
    rpm: float | None = None
    prices: Mapping[str, float] = field(default_factory=dict)
    metadata: Mapping[str, object] = field(default_factory=dict)
    options: Mapping[str, object] = field(default_factory=dict)

    @property
    def style(self) -> str:
        """Prompt style the model expects: ``"chat"`` (default) or ``"completion"``."""
        return str(self.options.get("style", "chat"))

    @classmethod
    def from_table(cls, name: str, table: Mapping[str, object]) -> ModelConfig:
        """Build from one ``[models.<name>]`` table of codejury.toml.

        A name shaped like ``provider/model`` supplies defaults for both keys, so a table
        such as ``[models."openai/gpt-4o-mini"]`` only needs the settings it changes.

        Raises:
            ConfigError: A required key is missing or a value has the wrong type.
        """
        where = f"model {name!r} in codejury.toml"
        prefix, _, rest = name.partition("/")
        provider = table.get("provider", prefix if rest else None)
        model = table.get("model", rest or name)
        if not isinstance(provider, str) or not provider:
            raise ConfigError(f'{where} needs provider = "..."', hint=_known_hint())
        if not isinstance(model, str) or not model:
            raise ConfigError(f"{where}: model must be a non-empty string")
        concurrency = table.get("concurrency", default_concurrency(provider))
        if not isinstance(concurrency, int) or isinstance(concurrency, bool) or concurrency < 1:
            raise ConfigError(f"{where}: concurrency must be a positive integer")
        rpm = table.get("rpm")
        if rpm is not None and (not _is_number(rpm) or rpm <= 0):
            raise ConfigError(f"{where}: rpm must be a positive number")
        prices = table.get("prices", {})
        if not isinstance(prices, Mapping) or not all(_is_number(v) for v in prices.values()):
            raise ConfigError(f"{where}: prices must be a table of numbers")
        extra = table.get("metadata", {})
        if not isinstance(extra, Mapping):
            raise ConfigError(f"{where}: metadata must be a table")
        metadata = {str(k): v for k, v in extra.items()}
        metadata.update({k: v for k, v in table.items() if k in _METADATA_KEYS})
        options = {k: v for k, v in table.items() if k not in _GENERIC_KEYS | _METADATA_KEYS}
        return cls(
            name=name,
            provider=provider,
            model=model,
            concurrency=concurrency,
            rpm=None if rpm is None else float(rpm),
            prices={str(k): float(v) for k, v in prices.items()},
            metadata=metadata,
            options=options,
        )


def resolve(ref: str, models: Mapping[str, Mapping[str, object]] | None = None) -> ModelConfig:
    """Turn a model reference into a :class:`ModelConfig`.

    Args:
        ref: A name from ``models`` or ``provider/model``.
        models: The ``[models]`` tables of codejury.toml, by name.

    Raises:
        ConfigError: The reference is neither a configured name nor ``provider/model``.
    """
    if models and ref in models:
        return ModelConfig.from_table(ref, models[ref])
    provider, _, model = ref.partition("/")
    if not provider or not model:
        configured = ", ".join(sorted(models)) if models else "none"
        raise ConfigError(
            f"unknown model {ref!r}: expected provider/model or a name from codejury.toml",
            hint=f"e.g. openai/gpt-4o-mini or ollama/qwen2.5-coder; configured names: {configured}",
        )
    return ModelConfig(
        name=ref, provider=provider, model=model, concurrency=default_concurrency(provider)
    )


class ProviderRegistry:
    """Provider factories by name: built-ins first, then entry-point plugins.

    Args:
        factories: Built-in factories; defaults to codejury's own.
        group: Entry point group searched for plugins.
    """

    def __init__(
        self,
        factories: Mapping[str, ProviderFactory] | None = None,
        *,
        group: str = ENTRY_POINT_GROUP,
    ) -> None:
        self._factories: dict[str, ProviderFactory] = dict(
            builtin_factories() if factories is None else factories
        )
        self._group = group

    def register(self, name: str, factory: ProviderFactory) -> None:
        """Add or replace a factory (the bundled local model registers itself this way)."""
        self._factories[name] = factory

    def names(self) -> list[str]:
        """Every provider name available, built-in and plugin, sorted."""
        plugins = {ep.name for ep in importlib.metadata.entry_points(group=self._group)}
        return sorted(set(self._factories) | plugins)

    def factory(self, name: str) -> ProviderFactory:
        """The factory for ``name``, loading its plugin if needed.

        Raises:
            ConfigError: Unknown or reserved name, or a plugin that cannot be loaded.
        """
        if name in self._factories:
            return self._factories[name]
        for entry in importlib.metadata.entry_points(group=self._group):
            if entry.name == name:
                try:
                    loaded = entry.load()
                except Exception as exc:
                    raise ConfigError(
                        f"provider plugin {name!r} ({entry.value}) failed to load: {exc}",
                        hint="reinstall or uninstall the package that provides it",
                    ) from exc
                if not callable(loaded):
                    raise ConfigError(f"provider plugin {name!r} ({entry.value}) is not callable")
                self._factories[name] = loaded
                return self._factories[name]
        if name in RESERVED:
            raise ConfigError(
                f"provider {name!r}: {RESERVED[name]}",
                hint="serve a model with Ollama or llama.cpp and use ollama/<model> or "
                "llamacpp/<model> meanwhile",
            )
        raise ConfigError(
            f"unknown provider {name!r}; known providers: {', '.join(self.names())}",
            hint=f"install a plugin that provides it (entry point group {self._group!r})",
        )

    def create(self, config: ModelConfig) -> Provider:
        """Build the provider for ``config``.

        Raises:
            ConfigError: See :meth:`factory`; also a plugin that crashes or returns something
                that is not a :class:`Provider`.
        """
        factory = self.factory(config.provider)
        try:
            provider = factory(config.model, dict(config.options))
        except CodejuryError:
            raise
        except Exception as exc:
            raise ConfigError(
                f"provider {config.provider!r} could not set up model {config.model!r}: {exc}"
            ) from exc
        if not isinstance(provider, Provider):
            raise ConfigError(
                f"provider {config.provider!r} returned {type(provider).__name__}, "
                "which lacks name, model, generate() or aclose()"
            )
        return provider


def open_model(
    ref: str,
    models: Mapping[str, Mapping[str, object]] | None = None,
    *,
    registry: ProviderRegistry | None = None,
    policy: RetryPolicy | None = None,
    on_retry: Callable[[RetryEvent], None] | None = None,
) -> tuple[ModelConfig, RetryingProvider]:
    """Resolve ``ref`` and build its provider behind the model's limiter and the retry loop.

    Returns:
        The resolved config and a provider ready for concurrent ``generate`` calls.
    """
    config = resolve(ref, models)
    provider = (registry or ProviderRegistry()).create(config)
    return config, guarded(config, provider, policy=policy, on_retry=on_retry)


def guarded(
    config: ModelConfig,
    provider: Provider,
    *,
    policy: RetryPolicy | None = None,
    on_retry: Callable[[RetryEvent], None] | None = None,
) -> RetryingProvider:
    """``provider`` behind ``config``'s concurrency and rate limit and the one retry loop."""
    limiter = Limiter(config.concurrency, config.rpm)
    return RetryingProvider(provider, limiter=limiter, policy=policy, on_retry=on_retry)


# --- built-in factories -----------------------------------------------------------------------


def builtin_factories() -> dict[str, ProviderFactory]:
    """codejury's own providers, by name."""
    factories: dict[str, ProviderFactory] = {
        host: partial(_openai_compatible, host) for host in KNOWN_HOSTS
    }
    factories["anthropic"] = _anthropic
    factories["local"] = _local
    factories["mock"] = _mock
    return factories


class _Options:
    """Typed, checked access to a provider's options; unknown keys are an error."""

    def __init__(self, provider: str, options: Mapping[str, object], known: set[str]) -> None:
        unknown = sorted(set(options) - known)
        if unknown:
            raise ConfigError(
                f"unknown setting(s) {', '.join(unknown)} for provider {provider!r}",
                hint=f"known settings: {', '.join(sorted(known))}",
            )
        self.provider = provider
        self.options = options

    def text(self, key: str) -> str | None:
        value = self.options.get(key)
        if value is not None and not isinstance(value, str):
            raise ConfigError(f"{key} for provider {self.provider!r} must be a string")
        return value

    def integer(self, key: str, *, minimum: int = 1) -> int | None:
        value = self.options.get(key)
        if value is not None and (
            not isinstance(value, int) or isinstance(value, bool) or value < minimum
        ):
            raise ConfigError(
                f"{key} for provider {self.provider!r} must be an integer of at least {minimum}, "
                f"got {value!r}"
            )
        return value

    def table(self, key: str) -> dict[str, object]:
        value = self.options.get(key, {})
        if not isinstance(value, Mapping):
            raise ConfigError(f"{key} for provider {self.provider!r} must be a table")
        return {str(k): v for k, v in value.items()}


_HTTP_KEYS = {"base_url", "api_key_env", "api_key", "headers", "params", "style"}


def _key_env(name: str, opts: _Options, default: Host) -> str | None:
    base_url = opts.text("base_url")
    if "api_key_env" in opts.options:
        return opts.text("api_key_env") or None  # "" means: this server needs no key
    if base_url and base_url != default.base_url and default.api_key_env:
        if is_local_url(base_url):
            return None
        # Never send one service's key to another host just because base_url changed.
        raise ConfigError(
            f"provider {name!r} with base_url {base_url} needs api_key_env",
            hint=f'set api_key_env = "..." (or "" for none); {default.api_key_env} is not sent '
            "to other hosts",
        )
    return default.api_key_env


def _openai_compatible(host: str, model: str, options: Mapping[str, object]) -> Provider:
    # SDKs are imported on first use: importing both costs most of a second at start-up.
    from codejury.providers.openai_compat import OpenAICompatProvider

    opts = _Options(host, options, _HTTP_KEYS | {"max_tokens_param"})
    default = KNOWN_HOSTS[host]
    style = opts.text("style") or "chat"
    if style not in ("chat", "completion"):
        raise ConfigError(f'style for {host}/{model} must be "chat" or "completion"')
    headers = {k: str(v) for k, v in opts.table("headers").items()}
    return OpenAICompatProvider(
        model,
        base_url=opts.text("base_url") or default.base_url,
        api_key_env=_key_env(host, opts, default),
        api_key=opts.text("api_key"),
        style="chat" if style == "chat" else "completion",
        extra_headers=headers,
        extra_params=opts.table("params"),
        name=host,
        max_tokens_param=opts.text("max_tokens_param") or default.max_tokens_param,
    )


def _anthropic(model: str, options: Mapping[str, object]) -> Provider:
    from codejury.providers.anthropic import AnthropicProvider

    opts = _Options("anthropic", options, _HTTP_KEYS)
    if (opts.text("style") or "chat") != "chat":
        raise ConfigError("provider 'anthropic' supports only style = \"chat\"")
    default = Host(None, "ANTHROPIC_API_KEY")
    return AnthropicProvider(
        model,
        base_url=opts.text("base_url"),
        api_key_env=_key_env("anthropic", opts, default),
        api_key=opts.text("api_key"),
        extra_headers={k: str(v) for k, v in opts.table("headers").items()},
        extra_params=opts.table("params"),
    )


def _mock(model: str, options: Mapping[str, object]) -> Provider:
    opts = _Options("mock", options, {"style", "latency_s", "responses"})
    latency = options.get("latency_s", 0.0)
    if not _is_number(latency):
        raise ConfigError("latency_s for provider 'mock' must be a number")
    responses = {k: str(v) for k, v in opts.table("responses").items()} or None
    return MockProvider(model, responses, latency_s=float(latency))


_LOCAL_KEYS = {"style", "model_path", "n_ctx", "n_threads", "n_batch", "seed"}


def _local(model: str, options: Mapping[str, object]) -> Provider:
    # Imported when a local model is asked for: llama_cpp costs a noticeable start-up time.
    from codejury.providers import llamacpp

    opts = _Options("local", options, _LOCAL_KEYS)
    style = opts.text("style") or "chat"
    if style not in ("chat", "completion"):
        raise ConfigError(f'style for local/{model} must be "chat" or "completion"')
    n_ctx = opts.integer("n_ctx", minimum=16) or llamacpp.DEFAULT_N_CTX
    n_threads = opts.integer("n_threads") or llamacpp.default_threads()
    n_batch = opts.integer("n_batch") or llamacpp.DEFAULT_N_BATCH
    seed = opts.integer("seed", minimum=0)
    llamacpp.require_llama_cpp()
    settings = llamacpp.LlamaSettings(
        model_path=llamacpp.model_file(model, opts.text("model_path")),
        n_ctx=n_ctx,
        n_threads=n_threads,
        n_batch=n_batch,
    )
    return llamacpp.LlamaCppProvider(
        model, settings, style="chat" if style == "chat" else "completion", seed=seed
    )


def _is_number(value: object) -> TypeGuard[int | float]:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _known_hint() -> str:
    return f"built-in providers: {', '.join(sorted(builtin_factories()))}"

"""Settings: built-in defaults < codejury.toml < ``CODEJURY_*`` environment < CLI flags.

The result is one frozen :class:`Settings`. Which file is read: the path given (``--config``),
else ``$CODEJURY_CONFIG``, else ``./codejury.toml`` if it exists, else none (all defaults).
A named file that does not exist is an error; an empty file is all defaults.

Schema (every section and key optional; full example in ``docs/config.md``)::

    [defaults]                  # eval defaults
    model = "local/smollm2"     # model reference: "provider/model" or a [models] name
    benchmark = "humaneval+"    # humaneval, humaneval+, humaneval+-mini, mbpp+
    n = 1                       # samples per task (integer >= 1)
    temperature = 0.0           # number >= 0
    max_tokens = 1024           # integer >= 1
    timeout_s = 120             # seconds per model request, number > 0
    workers = 2                 # sandbox workers, integer >= 0 (0: one per CPU core)
    data_dir = "data"           # relative paths are relative to this file's directory
    db = "runs.db"              # store path (same rule) or SQLAlchemy URL

    [models.my-vllm]            # one table per model reference: a free name or provider/model
    provider = "vllm"           # validated by codejury.providers.registry.ModelConfig
    model = "Qwen/Qwen2.5-Coder-7B-Instruct"
    base_url = "http://gpu-box:8000/v1"
    api_key_env = "VLLM_KEY"
    concurrency = 32
    rpm = 600
    prices = { input = 0.20, output = 0.60 }  # USD per 1M tokens (cached_input optional)
    open_weights = true
    parameters = 7.6
    organization = "Alibaba"

    [prices."openai/gpt-4o-mini"]  # price overrides for references not in [models]
    input = 0.15                   # USD per 1M tokens; cached_input optional
    output = 0.60
    source = "our enterprise contract"
    as_of = "2026-10-01"

Environment variables ``CODEJURY_MODEL``, ``CODEJURY_BENCHMARK``, ``CODEJURY_N``,
``CODEJURY_TEMPERATURE``, ``CODEJURY_MAX_TOKENS``, ``CODEJURY_TIMEOUT_S``,
``CODEJURY_WORKERS``, ``CODEJURY_DATA_DIR`` and ``CODEJURY_DB`` override the file's
``[defaults]``; an empty variable counts as unset, and relative paths in them are relative to
the working directory. Every error names the file and line (or the variable, or the flag)
and says what to write instead.
"""

from __future__ import annotations

import copy
import difflib
import math
import os
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from types import MappingProxyType
from typing import Any, Literal

from codejury.cost import Price, parse_price_table
from codejury.errors import ConfigError
from codejury.providers.registry import ModelConfig, resolve
from codejury.tomllines import KeyPath, key_lines, line_of, syntax_error_at

CONFIG_ENV = "CODEJURY_CONFIG"
CONFIG_FILE = "codejury.toml"
ENV_PREFIX = "CODEJURY_"
SECTIONS = ("defaults", "models", "prices")
MODEL_PRICE_KEYS = ("input", "output", "cached_input")

_Kind = Literal["text", "int", "float", "path", "db"]


@dataclass(frozen=True)
class _Rule:
    """How one ``[defaults]`` key is checked, and an example for hints."""

    kind: _Kind
    example: str
    minimum: float | None = None
    strict: bool = False  # True: the value must exceed ``minimum``

    @property
    def plain_example(self) -> str:
        """The example as typed on a command line or in a variable (no TOML quotes)."""
        return self.example.strip('"')

    def describe(self) -> str:
        if self.kind in ("int", "float"):
            noun = "an integer" if self.kind == "int" else "a number"
            return f"{noun} {'>' if self.strict else '>='} {self.minimum:g}"
        return "a path" if self.kind == "path" else "a non-empty string"


_RULES: Mapping[str, _Rule] = {
    "model": _Rule("text", '"openai/gpt-4o-mini"'),
    "benchmark": _Rule("text", '"humaneval+"'),
    "n": _Rule("int", "5", minimum=1),
    "temperature": _Rule("float", "0.2", minimum=0),
    "max_tokens": _Rule("int", "1024", minimum=1),
    "timeout_s": _Rule("float", "120", minimum=0, strict=True),
    "workers": _Rule("int", "4", minimum=0),
    "data_dir": _Rule("path", '"data"'),
    "db": _Rule("db", '"runs.db"'),
}


_MODEL_HINT = "see the [models.<name>] section of docs/config.md"
_MODEL_HINTS = {
    "model": 'e.g. model = "Qwen/Qwen2.5-Coder-7B-Instruct"',
    "concurrency": "e.g. concurrency = 8 (requests in flight)",
    "rpm": "e.g. rpm = 600 (requests per minute), or leave it out for no limit",
    "prices": "e.g. prices = { input = 0.20, output = 0.60 } (USD per 1M tokens)",
    "metadata": 'e.g. metadata = { license = "Apache-2.0" }',
}


class _Invalid(ValueError):
    """A value broke its rule; the caller adds where it came from."""


@dataclass(frozen=True)
class Settings:
    """The resolved settings of one codejury invocation.

    Attributes:
        model: Default model reference, or None when none is configured.
        benchmark: Default benchmark id.
        n: Samples per task.
        temperature: Sampling temperature.
        max_tokens: Token limit per generation.
        timeout_s: Seconds per model request.
        workers: Sandbox workers; 0 means one per CPU core.
        data_dir: Directory with benchmark files, or None (the dataset loader's default).
        db: Store file path or SQLAlchemy URL, or None (the store's default).
        models: The ``[models.<name>]`` tables as written, for ``registry.resolve``.
        prices: ``[prices."<ref>"]`` overrides, by reference.
        source: The file read, or None when none was.
        origins: Where each of the fields above ``models`` came from: ``"default"``,
            ``"<file>:<line>"``, ``"$CODEJURY_..."`` or ``"--flag"``.
    """

    model: str | None = None
    benchmark: str = "humaneval+"
    n: int = 1
    temperature: float = 0.0
    max_tokens: int = 1024
    timeout_s: float = 120.0
    workers: int = 0
    data_dir: Path | None = None
    db: str | None = None
    models: Mapping[str, Mapping[str, object]] = field(default_factory=lambda: MappingProxyType({}))
    prices: Mapping[str, Price] = field(default_factory=lambda: MappingProxyType({}))
    source: Path | None = None
    origins: Mapping[str, str] = field(
        default_factory=lambda: MappingProxyType(dict.fromkeys(_RULES, "default"))
    )
    _lines: Mapping[KeyPath, int] = field(
        default_factory=lambda: MappingProxyType({}), repr=False, compare=False
    )
    _label: str = field(default="", repr=False, compare=False)

    def where(self, *key_path: str) -> str:
        """``"<file>:<line>"`` of a key, e.g. ``where("models", "my-vllm", "rpm")``.

        Falls back to the nearest enclosing table, then to line 1; ``"(no config file)"``
        when no file was read.
        """
        if self.source is None:
            return "(no config file)"
        return f"{self._label}:{line_of(self._lines, key_path)}"

    def with_flags(self, **flags: object) -> Settings:
        """Apply command-line flags on top; a value of None means the flag was not given.

        Args:
            **flags: Any of model, benchmark, n, temperature, max_tokens, timeout_s, workers,
                data_dir, db. Paths stay as given (relative to the working directory).

        Raises:
            TypeError: A name that is not a setting (a programming error).
            ConfigError: A value breaks its rule; the message names the flag.
        """
        updates: dict[str, Any] = {}
        origins = dict(self.origins)
        for name, value in flags.items():
            if name not in _RULES:
                raise TypeError(f"with_flags() got an unknown setting {name!r}")
            if value is None:
                continue
            flag = "--" + name.replace("_", "-")
            try:
                updates[name] = _check(_RULES[name], value)
            except _Invalid as exc:
                raise ConfigError(
                    f"{flag}: {exc}", hint=f"e.g. {flag} {_RULES[name].plain_example}"
                ) from exc
            origins[name] = flag
        return replace(self, **updates, origins=MappingProxyType(origins))

    def resolve_model(self, ref: str | None = None) -> ModelConfig:
        """The :class:`ModelConfig` for ``ref``, or for :attr:`model` when ``ref`` is None.

        Raises:
            ConfigError: No model given or configured, or an unknown reference.
        """
        chosen = ref or self.model
        if not chosen:
            raise ConfigError(
                "no model given",
                hint='pass --model provider/model, or set model = "..." under [defaults] '
                f"in {CONFIG_FILE}",
            )
        return resolve(chosen, self.models)


def load_settings(
    path: Path | None = None,
    *,
    env: Mapping[str, str] | None = None,
    cwd: Path | None = None,
) -> Settings:
    """Resolve defaults < config file < environment (flags come later: :meth:`with_flags`).

    Args:
        path: An explicit config file (``--config``); relative to ``cwd``.
        env: Environment variables; defaults to ``os.environ``.
        cwd: Working directory, where ``codejury.toml`` is looked for; defaults to the
            process's.

    Raises:
        ConfigError: A named file is missing or unreadable, or a file or variable holds a
            bad value. The message names the file and line, or the variable.
    """
    env = os.environ if env is None else env
    cwd = Path.cwd() if cwd is None else cwd
    settings = Settings()
    chosen = _choose_file(path, env, cwd)
    if chosen is not None:
        settings = _from_file(chosen, cwd)
    return _apply_env(settings, env, cwd)


# --- the file ---------------------------------------------------------------------------------


def _choose_file(path: Path | None, env: Mapping[str, str], cwd: Path) -> Path | None:
    if path is not None:
        origin, chosen = "--config", cwd / Path(path).expanduser()
    elif env.get(CONFIG_ENV):
        origin, chosen = f"${CONFIG_ENV}", cwd / Path(env[CONFIG_ENV]).expanduser()
    else:
        default = cwd / CONFIG_FILE
        return default if default.is_file() else None
    if not chosen.is_file():
        raise ConfigError(
            f"{origin}: config file {chosen} not found",
            hint="check the path, or create it (format: docs/config.md)"
            + (f"; or unset {CONFIG_ENV}" if origin.startswith("$") else ""),
        )
    return chosen


def _from_file(path: Path, cwd: Path) -> Settings:
    label = _label(path, cwd)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(
            f"{label}: cannot read the config file: {exc}", hint="it must be UTF-8 TOML"
        ) from exc
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise _syntax_error(label, text, exc) from exc
    base = Settings(source=path, _lines=MappingProxyType(key_lines(text)), _label=label)
    for key in doc:
        if key not in SECTIONS:
            raise ConfigError(
                f"{base.where(key)}: unknown section [{key}]",
                hint=_suggest(key, SECTIONS, "known sections")
                + '; models go in [models.<name>], price overrides in [prices."<ref>"]',
            )
    values, origins = _defaults(base, _section(base, doc, "defaults"), path.parent)
    models = _models(base, _section(base, doc, "models"))
    prices = _prices(base, _section(base, doc, "prices"), models)
    return replace(
        base,
        **values,
        models=MappingProxyType(models),
        prices=MappingProxyType(prices),
        origins=MappingProxyType({**base.origins, **origins}),
    )


def _syntax_error(label: str, text: str, exc: tomllib.TOMLDecodeError) -> ConfigError:
    return ConfigError(
        syntax_error_at(label, text, exc),
        hint='strings need quotes (model = "openai/gpt-4o-mini"), each key once per table, '
        "headers like [models.name]; see docs/config.md",
    )


def _section(base: Settings, doc: Mapping[str, Any], name: str) -> dict[str, Any]:
    value = doc.get(name, {})
    if not isinstance(value, dict):
        raise ConfigError(
            f"{base.where(name)}: {name} must be a table, got {value!r}",
            hint=f"write it as a [{name}] section"
            if name == "defaults"
            else f"use [{name}.<name>]",
        )
    return value


def _defaults(
    base: Settings, table: Mapping[str, Any], root: Path
) -> tuple[dict[str, Any], dict[str, str]]:
    values: dict[str, Any] = {}
    origins: dict[str, str] = {}
    for key, raw in table.items():
        where = base.where("defaults", key)
        if key not in _RULES:
            raise ConfigError(
                f"{where}: unknown key {key!r} in [defaults]",
                hint=_suggest(key, _RULES, "known keys"),
            )
        rule = _RULES[key]
        try:
            value = _check(rule, raw)
        except _Invalid as exc:
            raise ConfigError(
                f"{where}: [defaults] {key} {exc}", hint=f"e.g. {key} = {rule.example}"
            ) from exc
        values[key] = _anchor(key, value, root)
        origins[key] = where
    return values, origins


def _models(base: Settings, section: Mapping[str, Any]) -> dict[str, Mapping[str, object]]:
    models: dict[str, Mapping[str, object]] = {}
    for name, table in section.items():
        where = base.where("models", name)
        if not isinstance(table, dict):
            raise ConfigError(
                f"{where}: models.{name} must be a table, got {table!r}",
                hint=f'write it as [models.{_toml_key(name)}] with provider = "..." and '
                'model = "..."',
            )
        try:
            ModelConfig.from_table(name, table)
        except ConfigError as exc:
            blamed = _blamed_key(exc.message, table)
            place = base.where("models", name, *blamed)
            # The registry says "in codejury.toml"; the place names the real file.
            message = exc.message.replace(f" in {CONFIG_FILE}", "", 1)
            hint = exc.hint or _MODEL_HINTS.get(blamed[0] if blamed else "", _MODEL_HINT)
            raise ConfigError(f"{place}: {message}", hint=hint) from exc
        prices = table.get("prices")
        if isinstance(prices, dict):
            _check_model_prices(base, name, prices)
        models[name] = _frozen(table)
    return models


def _check_model_prices(base: Settings, name: str, prices: Mapping[str, Any]) -> None:
    for key in prices:
        if key not in MODEL_PRICE_KEYS:
            raise ConfigError(
                f"{base.where('models', name, 'prices', key)}: unknown price key {key!r}",
                hint=_suggest(key, MODEL_PRICE_KEYS, "price keys"),
            )
    for key in ("input", "output"):
        if key not in prices:
            raise ConfigError(
                f"{base.where('models', name, 'prices')}: prices of model {name!r} needs {key}",
                hint="e.g. prices = { input = 0.20, output = 0.60 } (USD per 1M tokens)",
            )
    for key, value in prices.items():
        if not (math.isfinite(value) and value >= 0):
            raise ConfigError(
                f"{base.where('models', name, 'prices', key)}: price {key} must be >= 0",
                hint="prices are USD per 1M tokens",
            )


def _prices(
    base: Settings, section: Mapping[str, Any], models: Mapping[str, Mapping[str, object]]
) -> dict[str, Price]:
    prices: dict[str, Price] = {}
    for ref, table in section.items():
        if not isinstance(table, dict):
            raise ConfigError(
                f"{base.where('prices', ref)}: prices.{ref} must be a table, got {table!r}",
                hint=f"write it as [prices.{_toml_key(ref)}] with input = ... and output = ...",
            )
        if "prices" in models.get(ref, {}):
            raise ConfigError(
                f"{base.where('prices', ref)}: {ref!r} is priced twice, here and in its "
                "[models] table",
                hint="keep one of the two",
            )
        prices[ref] = parse_price_table(
            table,
            default_source=f"{base.source.name if base.source else CONFIG_FILE}: prices.{ref}",
            at=base.where,
            path=("prices", ref),
        )
    return prices


def _blamed_key(message: str, table: Mapping[str, object]) -> tuple[str, ...]:
    """The key of ``table`` a ModelConfig error is about, from its message ("" if none)."""
    # Its messages start "model '<name>' in codejury.toml"; look only after that part,
    # where the offending key is named.
    detail = message.split(CONFIG_FILE, 1)[-1]
    hits = []
    for key in table:
        found = re.search(rf"(?<![\w-]){re.escape(key)}(?![\w-])", detail)
        if found:
            hits.append((found.start(), key))
    return (min(hits)[1],) if hits else ()


# --- environment and values -------------------------------------------------------------------


def _apply_env(settings: Settings, env: Mapping[str, str], cwd: Path) -> Settings:
    updates: dict[str, Any] = {}
    origins = dict(settings.origins)
    for name, rule in _RULES.items():
        var = ENV_PREFIX + name.upper()
        text = env.get(var, "")
        if not text.strip():
            continue
        try:
            value = _check(rule, _parse_text(rule, text.strip()))
        except _Invalid as exc:
            raise ConfigError(
                f"${var}: {exc}",
                hint=f"set {var} to e.g. {rule.plain_example}, or unset it",
            ) from exc
        updates[name] = _anchor(name, value, cwd)
        origins[name] = f"${var}"
    return replace(settings, **updates, origins=MappingProxyType(origins))


def _parse_text(rule: _Rule, text: str) -> object:
    try:
        if rule.kind == "int":
            return int(text)
        if rule.kind == "float":
            return float(text)
    except ValueError:
        raise _Invalid(f"must be {rule.describe()}, got {text!r}") from None
    return text


def _check(rule: _Rule, value: object) -> object:
    """The value, normalised (float, Path, str), or :class:`_Invalid`."""
    if rule.kind in ("int", "float"):
        wrong_type = isinstance(value, bool) or (rule.kind == "int" and isinstance(value, float))
        if wrong_type or not isinstance(value, int | float):
            raise _Invalid(f"must be {rule.describe()}, got {value!r}")
        low = rule.minimum or 0
        if not math.isfinite(value) or value < low or (rule.strict and value == low):
            raise _Invalid(f"must be {rule.describe()}, got {value!r}")
        return float(value) if rule.kind == "float" else value
    if rule.kind == "path" and isinstance(value, str | os.PathLike) and str(value).strip():
        return Path(value).expanduser()
    if isinstance(value, str | os.PathLike) and rule.kind == "db" and str(value).strip():
        return os.fspath(value)
    if isinstance(value, str) and value.strip():
        return value
    raise _Invalid(f"must be {rule.describe()}, got {value!r}")


def _anchor(name: str, value: object, root: Path) -> object:
    """``data_dir``, and a ``db`` that is a path rather than a URL, made relative to ``root``."""
    if name == "data_dir" and isinstance(value, Path) and not value.is_absolute():
        return root / value
    if name == "db" and isinstance(value, str) and "://" not in value:
        path = Path(value).expanduser()
        return str(path if path.is_absolute() else root / path)
    return value


def _frozen(table: Mapping[str, Any]) -> Mapping[str, object]:
    """A read-only view of a model table over a private deep copy of its values.

    Values nested inside (``headers``, ``params``...) stay plain dicts and lists: providers
    send some of them as JSON, which read-only mapping views are not.
    """
    return MappingProxyType(copy.deepcopy(dict(table)))


def _label(path: Path, cwd: Path) -> str:
    """How a file is named in messages: relative to the working directory when inside it."""
    shown = Path(os.path.normpath(path))
    try:
        return str(shown.relative_to(os.path.normpath(cwd)))
    except ValueError:
        return str(shown)


def _suggest(word: str, known: Mapping[str, object] | tuple[str, ...], what: str) -> str:
    close = difflib.get_close_matches(word, list(known), n=1)
    listing = f"{what}: {', '.join(known)}"
    return f"did you mean {close[0]!r}? {listing}" if close else listing


def _toml_key(name: str) -> str:
    return name if re.fullmatch(r"[A-Za-z0-9_-]+", name) else f'"{name}"'

"""Prices, token cost, and API versus self-hosted projections.

Every price carries where it came from (``source``, a URL or a description) and when it was
true (``as_of``), because prices change and a report that quotes one must say whose figure it
is. Prices are USD per million tokens throughout.

Where a model's price comes from, first match wins (:func:`price_for`):

1. the ``prices`` of its ``[models.<name>]`` table in codejury.toml;
2. a ``[prices."<reference>"]`` table in codejury.toml;
3. ``local/*`` models: zero, they run on your machine;
4. the catalog shipped with codejury (``codejury/data/prices.toml``, rebuilt from public
   data by ``scripts/build_price_catalog.py``), by exact reference or a documented alias.

No guessing: an unknown model has no price (``None``), never a fuzzy match's.
"""

from __future__ import annotations

import datetime as dt
import difflib
import json
import math
import re
import tomllib
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, replace
from functools import cache
from importlib import resources
from typing import TypeGuard

from codejury.errors import CodejuryError, ConfigError, DataError
from codejury.providers.registry import ModelConfig
from codejury.tomllines import key_lines, line_of, syntax_error_at

TOKENS_PER_PRICE_UNIT = 1_000_000
HOURS_PER_MONTH = 730
"""8,760 hours a year over 12 months: the convention cloud GPU price lists bill by."""
BLEND_INPUT_WEIGHT, BLEND_OUTPUT_WEIGHT = 3, 1
"""Fallback mix for a single blended price when the workload is not known: 3 input tokens per
output token, the convention public price comparisons (e.g. Artificial Analysis) use."""
LOCAL_SOURCE = "runs on your machine"

_PRICE_KEYS = frozenset({"input", "output", "cached_input", "source", "as_of"})


@dataclass(frozen=True)
class Price:
    """What one model costs, in USD per million tokens.

    Attributes:
        input_per_m: Prompt tokens.
        output_per_m: Generated tokens.
        cached_input_per_m: Prompt tokens served from the provider's cache; ``None`` when
            no separate figure is known (they are then charged as ``input_per_m``).
        as_of: ISO date (``YYYY-MM-DD``) the figure was recorded; ``None`` when not given.
        source: A URL or a description of where the figure comes from.
        via: Where codejury read it, when that differs from ``source`` (e.g. a data commit).
    """

    input_per_m: float
    output_per_m: float
    cached_input_per_m: float | None = None
    as_of: str | None = None
    source: str = ""
    via: str | None = None

    def __post_init__(self) -> None:
        figures = (self.input_per_m, self.output_per_m, self.cached_input_per_m)
        if any(f is not None and not (math.isfinite(f) and f >= 0) for f in figures):
            raise ValueError(f"prices must be finite and non-negative: {self}")


def token_cost(
    price: Price, input_tokens: int, output_tokens: int, *, cached_input_tokens: int = 0
) -> float:
    """USD for one request (or a sum of requests) at ``price``.

    Args:
        price: The model's price.
        input_tokens: Prompt tokens, cached ones included (as providers report them).
        output_tokens: Generated tokens.
        cached_input_tokens: How many of ``input_tokens`` were cache hits.

    Raises:
        ValueError: A negative count, or more cached tokens than input tokens.
    """
    if min(input_tokens, output_tokens, cached_input_tokens) < 0:
        raise ValueError("token counts must be non-negative")
    if cached_input_tokens > input_tokens:
        raise ValueError("cached_input_tokens cannot exceed input_tokens")
    cached_rate = (
        price.input_per_m if price.cached_input_per_m is None else price.cached_input_per_m
    )
    total = (
        (input_tokens - cached_input_tokens) * price.input_per_m
        + cached_input_tokens * cached_rate
        + output_tokens * price.output_per_m
    )
    return total / TOKENS_PER_PRICE_UNIT


def cost_function(price: Price | None) -> Callable[[int | None, int | None], float | None]:
    """``cost(input_tokens, output_tokens)`` in USD at ``price``; None when the price is unknown.

    Missing token counts (a provider that reports none) count as zero.
    """

    def cost(input_tokens: int | None, output_tokens: int | None) -> float | None:
        return None if price is None else token_cost(price, input_tokens or 0, output_tokens or 0)

    return cost


def parse_price_table(
    table: Mapping[str, object],
    *,
    at: Callable[..., str],
    path: tuple[str, ...],
    default_source: str,
    error: type[CodejuryError] = ConfigError,
    extra_keys: Collection[str] = (),
) -> Price:
    """Build a :class:`Price` from a TOML table (``[prices."<ref>"]`` or a catalog entry).

    Keys: ``input`` and ``output`` (required), ``cached_input``, ``source``, ``as_of``
    (``"YYYY-MM-DD"`` or a TOML date).

    Args:
        table: The parsed table.
        at: Maps a key path of the file to ``"file:line"`` (e.g. ``Settings.where``).
        path: The table's key path, e.g. ``("prices", "openai/gpt-4o-mini")``.
        default_source: ``source`` when the table gives none.
        error: The exception class to raise (ConfigError for user files).
        extra_keys: Further keys the caller handles itself; they are ignored here.

    Raises:
        CodejuryError: ``error``, naming the file and line, for a missing key, an unknown
            key, or a value of the wrong type.
    """
    header = "[" + ".".join(_toml_key(part) for part in path) + "]"
    known = _PRICE_KEYS | set(extra_keys)
    for key in table:
        if key not in known:
            close = difflib.get_close_matches(key, sorted(known), n=1)
            raise error(
                f"{at(*path, key)}: unknown key {key!r} in {header}",
                hint=(f"did you mean {close[0]!r}? " if close else "")
                + f"price tables take {', '.join(sorted(_PRICE_KEYS))}",
            )
    figures: dict[str, float] = {}
    for key in ("input", "output", "cached_input"):
        value = table.get(key)
        if value is None:
            if key == "cached_input":
                continue
            raise error(
                f"{at(*path)}: {header} needs {key} = <USD per 1M tokens>",
                hint="e.g. input = 0.15 and output = 0.60",
            )
        if not (_is_number(value) and math.isfinite(value) and value >= 0):
            raise error(
                f"{at(*path, key)}: {header} {key} must be a non-negative number "
                f"(USD per 1M tokens), got {value!r}",
                hint=f"e.g. {key} = 0.15",
            )
        figures[key] = float(value)
    source = table.get("source", default_source)
    if "source" not in table and not default_source:
        raise error(
            f"{at(*path)}: {header} needs source = <a URL or a note>",
            hint="every price must say where it comes from",
        )
    if not isinstance(source, str) or not source.strip():
        raise error(
            f"{at(*path, 'source')}: {header} source must be a non-empty string",
            hint='say where the figure comes from: a URL, or e.g. "our contract"',
        )
    as_of = table.get("as_of")
    if as_of is not None:
        as_of = _iso_date(as_of)
        if as_of is None:
            raise error(
                f"{at(*path, 'as_of')}: {header} as_of must be a date, got {table['as_of']!r}",
                hint='e.g. as_of = "2026-10-01"',
            )
    return Price(
        input_per_m=figures["input"],
        output_per_m=figures["output"],
        cached_input_per_m=figures.get("cached_input"),
        as_of=as_of,
        source=source,
    )


class PriceCatalog:
    """Prices by model reference, with documented aliases; exact matches only.

    Args:
        prices: Price by reference (``openai/gpt-4o-mini-2024-07-18``).
        aliases: Alias reference to the reference it stands for
            (``openai/gpt-4o-mini`` → ``openai/gpt-4o-mini-2024-07-18``).
    """

    def __init__(
        self, prices: Mapping[str, Price], aliases: Mapping[str, str] | None = None
    ) -> None:
        self._prices = dict(prices)
        self._aliases = dict(aliases or {})

    @classmethod
    def builtin(cls) -> PriceCatalog:
        """The catalog shipped in ``codejury/data/prices.toml`` (loaded once)."""
        return _builtin_catalog()

    @classmethod
    def from_toml(cls, text: str, origin: str) -> PriceCatalog:
        """Parse a catalog file: ``[prices."<ref>"]`` tables and an ``[aliases]`` table.

        Each alias is ``"<alias>" = { target = "<ref>", source = "<where it is documented>" }``.

        Raises:
            DataError: The file is malformed, names the file and line.
        """
        try:
            doc = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            raise DataError(syntax_error_at(origin, text, exc)) from exc
        lines = key_lines(text)

        def at(*path: str) -> str:
            return f"{origin}:{line_of(lines, path)}"

        prices: dict[str, Price] = {}
        for ref, table in _tables(doc.get("prices", {}), at, "prices").items():
            price = parse_price_table(
                table,
                at=at,
                path=("prices", ref),
                default_source="",
                error=DataError,
                extra_keys=("via", "name"),
            )
            via = table.get("via")
            prices[ref] = replace(price, via=via if isinstance(via, str) else None)
        aliases: dict[str, str] = {}
        for alias, entry in _tables(doc.get("aliases", {}), at, "aliases").items():
            target = entry.get("target")
            if not isinstance(target, str) or target not in prices or alias in prices:
                raise DataError(f"{at('aliases', alias)}: alias {alias!r} must name a priced model")
            aliases[alias] = target
        return cls(prices, aliases)

    def lookup(self, ref: str) -> Price | None:
        """The price of ``ref`` (exact reference or documented alias), else None."""
        if ref in self._prices:
            return self._prices[ref]
        return self._prices.get(self.canonical(ref))

    def canonical(self, ref: str) -> str:
        """The reference an alias stands for; ``ref`` itself when it is not an alias."""
        return self._aliases.get(ref, ref)

    def with_overrides(self, overrides: Mapping[str, Price]) -> PriceCatalog:
        """A new catalog where ``overrides`` replace or add entries.

        An override of a reference also applies through its aliases; an override keyed by
        an alias applies to that alias only.
        """
        return PriceCatalog({**self._prices, **overrides}, self._aliases)

    def references(self) -> list[str]:
        """Every priced reference, sorted (aliases not included)."""
        return sorted(self._prices)

    def aliases(self) -> dict[str, str]:
        """Alias to reference."""
        return dict(self._aliases)

    def __len__(self) -> int:
        return len(self._prices)

    def __contains__(self, ref: object) -> bool:
        return isinstance(ref, str) and self.lookup(ref) is not None


def price_for(
    config: ModelConfig,
    settings_prices: Mapping[str, Price] | None = None,
    catalog: PriceCatalog | None = None,
) -> Price | None:
    """The price of a resolved model, first match wins (see the module docstring).

    Args:
        config: The model, from ``codejury.providers.registry.resolve``.
        settings_prices: ``[prices]`` overrides from codejury.toml (``Settings.prices``).
        catalog: Defaults to :meth:`PriceCatalog.builtin`.

    Returns:
        The price, or None when codejury has no figure for this model.

    Raises:
        ConfigError: The model's own ``prices`` table lacks ``input`` or ``output``.
    """
    if config.prices:
        return _model_table_price(config)
    served = f"{config.provider}/{config.model}"
    overrides = settings_prices or {}
    catalog = catalog or PriceCatalog.builtin()
    for ref in dict.fromkeys((config.name, served)):
        # An override of a dated reference also covers the aliases that stand for it.
        for key in (ref, catalog.canonical(ref)):
            if key in overrides:
                return overrides[key]
    if config.provider == "local":
        return Price(0.0, 0.0, source=LOCAL_SOURCE)
    # The catalog prices what is actually served: a table may point a name at another model.
    return catalog.lookup(served)


# --- projections ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Workload:
    """A steady request load.

    Attributes:
        requests_per_day: Requests per day.
        input_tokens: Average prompt tokens per request.
        output_tokens: Average generated tokens per request.
        days_per_month: Billing days per month.
    """

    requests_per_day: float
    input_tokens: float
    output_tokens: float
    days_per_month: float = 30

    def __post_init__(self) -> None:
        values = (self.requests_per_day, self.input_tokens, self.output_tokens)
        if min(values) < 0 or self.days_per_month <= 0:
            raise ValueError(f"workload figures must be non-negative: {self}")


def api_monthly_cost(workload: Workload, price: Price) -> float:
    """USD per month to serve ``workload`` through an API at ``price``."""
    requests = workload.requests_per_day * workload.days_per_month
    return requests * _per_request(workload, price)


def self_hosted_monthly_cost(
    gpu_hourly_usd: float, gpus: int, hours_per_month: float = HOURS_PER_MONTH
) -> float:
    """USD per month for ``gpus`` GPUs rented around the clock at ``gpu_hourly_usd`` each."""
    if gpu_hourly_usd < 0 or gpus < 0 or hours_per_month < 0:
        raise ValueError("GPU price, count and hours must be non-negative")
    return gpu_hourly_usd * gpus * hours_per_month


def self_hosted_cost_per_m_tokens(
    gpu_hourly_usd: float, gpus: int, tokens_per_second: float
) -> float:
    """USD per million generated tokens when the deployment is kept busy.

    Args:
        gpu_hourly_usd: Price of one GPU-hour.
        gpus: GPUs in the deployment.
        tokens_per_second: The whole deployment's sustained throughput (all requests in
            flight together, not one stream). Idle time is not counted: at partial load the
            real cost per token is higher by the inverse of the utilisation.
    """
    if tokens_per_second <= 0:
        raise ValueError("tokens_per_second must be positive")
    hourly = self_hosted_monthly_cost(gpu_hourly_usd, gpus, hours_per_month=1)
    return hourly / (tokens_per_second * 3600) * TOKENS_PER_PRICE_UNIT


def break_even_requests_per_day(
    price: Price, workload_shape: Workload, monthly_fixed_usd: float
) -> float | None:
    """Requests per day at which the API bill equals a fixed monthly cost (e.g. rented GPUs).

    Below it the API is cheaper; above it the fixed cost is, provided the hardware can
    serve that many requests (capacity is not checked here).

    Args:
        price: The API's price.
        workload_shape: Tokens per request and days per month; its ``requests_per_day``
            is ignored.
        monthly_fixed_usd: The self-hosted monthly cost.

    Returns:
        Requests per day, or None when a request costs nothing through the API.
    """
    per_request = _per_request(workload_shape, price)
    if per_request <= 0:
        return None
    return monthly_fixed_usd / (workload_shape.days_per_month * per_request)


def blended_price(price: Price, workload: Workload | None = None) -> float:
    """One USD-per-1M-tokens figure mixing input and output prices.

    Weighted by the workload's input and output tokens when given, else 3:1 input:output
    (:data:`BLEND_INPUT_WEIGHT`, :data:`BLEND_OUTPUT_WEIGHT`).
    """
    w_in, w_out = float(BLEND_INPUT_WEIGHT), float(BLEND_OUTPUT_WEIGHT)
    if workload is not None and workload.input_tokens + workload.output_tokens > 0:
        w_in, w_out = workload.input_tokens, workload.output_tokens
    return (w_in * price.input_per_m + w_out * price.output_per_m) / (w_in + w_out)


# --- helpers ----------------------------------------------------------------------------------


def _per_request(workload: Workload, price: Price) -> float:
    return (
        workload.input_tokens * price.input_per_m + workload.output_tokens * price.output_per_m
    ) / TOKENS_PER_PRICE_UNIT


def _model_table_price(config: ModelConfig) -> Price:
    prices = config.prices
    missing = [key for key in ("input", "output") if key not in prices]
    unknown = sorted(set(prices) - {"input", "output", "cached_input"})
    if missing or unknown:
        raise ConfigError(
            f"model {config.name!r}: prices needs input and output (USD per 1M tokens)"
            + (f"; unknown key(s) {', '.join(unknown)}" if unknown else ""),
            hint="e.g. prices = { input = 0.20, output = 0.60 }",
        )
    return Price(
        input_per_m=prices["input"],
        output_per_m=prices["output"],
        cached_input_per_m=prices.get("cached_input"),
        source=f"codejury.toml: models.{config.name}",
    )


def _iso_date(value: object) -> str | None:
    """``YYYY-MM-DD`` from a TOML date or an ISO date string; None if it is neither."""
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return value.isoformat()
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value).isoformat()
        except ValueError:
            return None
    return None


def _toml_key(part: str) -> str:
    return part if re.fullmatch(r"[A-Za-z0-9_-]+", part) else json.dumps(part)


def _tables(section: object, at: Callable[..., str], name: str) -> dict[str, Mapping[str, object]]:
    if not isinstance(section, dict) or not all(isinstance(v, dict) for v in section.values()):
        raise DataError(f"{at(name)}: [{name}] must hold one table per entry")
    return section


def _is_number(value: object) -> TypeGuard[int | float]:
    return isinstance(value, int | float) and not isinstance(value, bool)


@cache
def _builtin_catalog() -> PriceCatalog:
    resource = resources.files("codejury").joinpath("data", "prices.toml")
    return PriceCatalog.from_toml(resource.read_text(encoding="utf-8"), "codejury/data/prices.toml")

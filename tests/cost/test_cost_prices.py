"""Price, token cost, price resolution order, and catalog parsing."""

from __future__ import annotations

import math

import pytest

from codejury.cost import LOCAL_SOURCE, Price, PriceCatalog, price_for, token_cost
from codejury.errors import ConfigError, DataError
from codejury.providers.registry import ModelConfig, resolve


def test_token_cost_is_per_million_tokens() -> None:
    price = Price(input_per_m=2.0, output_per_m=8.0)
    assert token_cost(price, 1_000_000, 0) == pytest.approx(2.0)
    assert token_cost(price, 0, 1_000_000) == pytest.approx(8.0)
    assert token_cost(price, 1500, 250) == pytest.approx((1500 * 2.0 + 250 * 8.0) / 1e6)


def test_cached_tokens_use_the_cached_price_or_else_the_input_price() -> None:
    cached = Price(input_per_m=1.0, output_per_m=4.0, cached_input_per_m=0.1)
    plain = Price(input_per_m=1.0, output_per_m=4.0)
    # 1,000 input tokens of which 600 cached, 100 output tokens
    assert token_cost(cached, 1000, 100, cached_input_tokens=600) == pytest.approx(
        (400 * 1.0 + 600 * 0.1 + 100 * 4.0) / 1e6
    )
    assert token_cost(plain, 1000, 100, cached_input_tokens=600) == pytest.approx(
        token_cost(plain, 1000, 100)
    )


@pytest.mark.parametrize(
    ("args", "kwargs"),
    [((-1, 0), {}), ((0, -1), {}), ((10, 0), {"cached_input_tokens": 11})],
)
def test_token_cost_rejects_impossible_counts(
    args: tuple[int, int], kwargs: dict[str, int]
) -> None:
    with pytest.raises(ValueError):
        token_cost(Price(1.0, 1.0), *args, **kwargs)


@pytest.mark.parametrize("bad", [-0.01, math.inf, math.nan])
def test_a_price_must_be_finite_and_non_negative(bad: float) -> None:
    with pytest.raises(ValueError):
        Price(input_per_m=bad, output_per_m=1.0)
    with pytest.raises(ValueError):
        Price(input_per_m=1.0, output_per_m=1.0, cached_input_per_m=bad)


CATALOG = PriceCatalog(
    {
        "openai/gpt-4o-mini-2024-07-18": Price(0.15, 0.6, as_of="2025-12-17", source="catalog"),
        "openai/gpt-4o-2024-08-06": Price(2.5, 10.0, source="catalog"),
        "vllm/Qwen/Qwen2.5-Coder-7B-Instruct": Price(0.01, 0.02, source="catalog"),
    },
    aliases={"openai/gpt-4o-mini": "openai/gpt-4o-mini-2024-07-18"},
)
OVERRIDE = Price(0.1, 0.4, source="contract")


def test_lookup_is_exact_or_through_a_listed_alias() -> None:
    assert CATALOG.lookup("openai/gpt-4o-mini-2024-07-18") == Price(
        0.15, 0.6, as_of="2025-12-17", source="catalog"
    )
    assert CATALOG.lookup("openai/gpt-4o-mini") is CATALOG.lookup("openai/gpt-4o-mini-2024-07-18")
    for near_miss in (
        "openai/gpt-4o-mini-2024",
        "OpenAI/gpt-4o-mini",
        "gpt-4o-mini",
        "openai/gpt-4o",
    ):
        assert CATALOG.lookup(near_miss) is None
    assert "openai/gpt-4o-mini" in CATALOG and "openai/gpt-4o" not in CATALOG
    assert CATALOG.canonical("openai/gpt-4o-mini") == "openai/gpt-4o-mini-2024-07-18"
    assert CATALOG.canonical("x/y") == "x/y"


def test_overrides_of_a_reference_reach_its_aliases_but_not_the_reverse() -> None:
    by_ref = CATALOG.with_overrides({"openai/gpt-4o-mini-2024-07-18": OVERRIDE})
    assert by_ref.lookup("openai/gpt-4o-mini") == OVERRIDE
    by_alias = CATALOG.with_overrides({"openai/gpt-4o-mini": OVERRIDE})
    assert by_alias.lookup("openai/gpt-4o-mini") == OVERRIDE
    assert by_alias.lookup("openai/gpt-4o-mini-2024-07-18") == CATALOG.lookup(
        "openai/gpt-4o-mini-2024-07-18"
    )
    # the original is untouched
    assert CATALOG.lookup("openai/gpt-4o-mini") != OVERRIDE


def model(name: str, table: dict[str, object] | None = None) -> ModelConfig:
    return resolve(name, {name: table} if table is not None else None)


def test_the_model_table_price_wins_over_everything() -> None:
    config = model("openai/gpt-4o-mini", {"prices": {"input": 0.2, "output": 0.6}})
    price = price_for(config, {"openai/gpt-4o-mini": OVERRIDE}, CATALOG)
    assert price == Price(0.2, 0.6, source="codejury.toml: models.openai/gpt-4o-mini")


def test_a_price_override_wins_over_the_catalog_and_covers_aliases() -> None:
    assert (
        price_for(model("openai/gpt-4o-mini"), {"openai/gpt-4o-mini": OVERRIDE}, CATALOG)
        == OVERRIDE
    )
    by_ref = {"openai/gpt-4o-mini-2024-07-18": OVERRIDE}
    assert price_for(model("openai/gpt-4o-mini"), by_ref, CATALOG) == OVERRIDE


def test_an_override_may_name_the_configured_name_or_the_model_it_serves() -> None:
    config = model("fast", {"provider": "openai", "model": "gpt-4o"})
    assert price_for(config, {"fast": OVERRIDE}, CATALOG) == OVERRIDE
    assert price_for(config, {"openai/gpt-4o": OVERRIDE}, CATALOG) == OVERRIDE


def test_the_catalog_prices_the_model_actually_served() -> None:
    # a table named like a catalog model that serves another model gets that model's price
    config = model("openai/gpt-4o-mini", {"model": "gpt-4o-2024-08-06"})
    assert price_for(config, {}, CATALOG) == CATALOG.lookup("openai/gpt-4o-2024-08-06")
    served = model("mine", {"provider": "vllm", "model": "Qwen/Qwen2.5-Coder-7B-Instruct"})
    assert price_for(served, None, CATALOG) == Price(0.01, 0.02, source="catalog")


def test_local_models_cost_nothing_unless_priced_explicitly() -> None:
    assert price_for(model("local/smollm2"), {}, CATALOG) == Price(0.0, 0.0, source=LOCAL_SOURCE)
    assert price_for(model("local/smollm2"), {"local/smollm2": OVERRIDE}, CATALOG) == OVERRIDE


def test_an_unknown_model_has_no_price() -> None:
    assert price_for(model("openai/gpt-9"), {}, CATALOG) is None
    assert price_for(model("ollama/qwen2.5-coder"), {}, CATALOG) is None


def test_an_incomplete_model_price_table_is_a_config_error() -> None:
    config = ModelConfig(name="m", provider="mock", model="m", prices={"input": 1.0})
    with pytest.raises(ConfigError, match="prices needs input and output"):
        price_for(config, {}, CATALOG)


def test_the_builtin_catalog_is_the_default() -> None:
    assert price_for(model("openai/gpt-4o-mini")) == PriceCatalog.builtin().lookup(
        "openai/gpt-4o-mini-2024-07-18"
    )


GOOD = """\
[prices."a/b"]
input = 1
output = 2
source = "https://example.com/pricing"
as_of = 2025-01-02
via = "somewhere"

[aliases]
"a/short" = { target = "a/b", source = "docs" }
"""


def test_a_catalog_file_parses_with_its_provenance() -> None:
    catalog = PriceCatalog.from_toml(GOOD, "test.toml")
    assert catalog.lookup("a/short") == Price(
        1.0, 2.0, as_of="2025-01-02", source="https://example.com/pricing", via="somewhere"
    )
    assert catalog.references() == ["a/b"] and catalog.aliases() == {"a/short": "a/b"}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            GOOD.replace('source = "https://example.com/pricing"\n', ""),
            'test.toml:1: [prices."a/b"] needs source',
        ),
        (GOOD.replace('target = "a/b"', 'target = "a/c"'), "test.toml:9: alias 'a/short'"),
        (GOOD.replace("output = 2", "outptu = 2"), "test.toml:3: unknown key 'outptu'"),
        (GOOD.replace("input = 1", "input = -1"), "test.toml:2: "),
        (GOOD.replace("[prices.", "[prices .").replace('"]', '"'), "test.toml:1:15: invalid TOML"),
    ],
)
def test_a_broken_catalog_file_is_a_data_error_with_a_line(text: str, message: str) -> None:
    with pytest.raises(DataError) as info:
        PriceCatalog.from_toml(text, "test.toml")
    assert info.value.message.startswith(message)

"""API versus self-hosted projections, including the worked example of seed 003."""

from __future__ import annotations

import pytest

from codejury.cost import (
    HOURS_PER_MONTH,
    Price,
    Workload,
    api_monthly_cost,
    blended_price,
    break_even_requests_per_day,
    self_hosted_cost_per_m_tokens,
    self_hosted_monthly_cost,
)

GPT_4O_MINI = Price(input_per_m=0.15, output_per_m=0.60, source="seed 003")


def test_the_seed_worked_example() -> None:
    # Seed 003 (shared/seeds/003_*.txt, "成本分析"): 10,000 requests a day, 500 input and 200
    # output tokens each, $0.15 / $0.60 per 1M, 30 days a month. Its calculate_api_cost gives
    # 300,000 requests, input $22.50, output $36.00, total $58.50 a month.
    workload = Workload(requests_per_day=10_000, input_tokens=500, output_tokens=200)
    assert api_monthly_cost(workload, GPT_4O_MINI) == pytest.approx(58.50)
    input_only = Price(input_per_m=0.15, output_per_m=0.0)
    output_only = Price(input_per_m=0.0, output_per_m=0.60)
    assert api_monthly_cost(workload, input_only) == pytest.approx(22.50)
    assert api_monthly_cost(workload, output_only) == pytest.approx(36.00)


def test_monthly_cost_scales_with_days_and_requests() -> None:
    base = Workload(1000, 500, 200)
    assert api_monthly_cost(Workload(1000, 500, 200, days_per_month=31), GPT_4O_MINI) == (
        pytest.approx(api_monthly_cost(base, GPT_4O_MINI) * 31 / 30)
    )
    assert api_monthly_cost(Workload(2000, 500, 200), GPT_4O_MINI) == pytest.approx(
        2 * api_monthly_cost(base, GPT_4O_MINI)
    )


def test_self_hosted_monthly_cost() -> None:
    # Seed 003's table bills 720 hours (24 x 30): A10G at $1.0/h -> $720, T4 at $0.5/h -> $360.
    assert self_hosted_monthly_cost(1.0, 1, hours_per_month=720) == pytest.approx(720)
    assert self_hosted_monthly_cost(0.5, 1, hours_per_month=720) == pytest.approx(360)
    # Our default is the 730-hour month cloud price lists use.
    assert HOURS_PER_MONTH == 730
    assert self_hosted_monthly_cost(2.0, 4) == pytest.approx(2.0 * 4 * 730)
    with pytest.raises(ValueError):
        self_hosted_monthly_cost(-1.0, 1)


def test_self_hosted_cost_per_million_tokens() -> None:
    # $2/h per GPU, 2 GPUs, 1,000 tokens/s: $4 buys 3.6M tokens -> $1.111 per 1M
    assert self_hosted_cost_per_m_tokens(2.0, 2, 1000) == pytest.approx(4 / 3.6)
    assert self_hosted_cost_per_m_tokens(2.0, 2, 2000) == pytest.approx(4 / 7.2)
    with pytest.raises(ValueError):
        self_hosted_cost_per_m_tokens(2.0, 1, 0)


def test_break_even_is_where_the_api_bill_equals_the_fixed_cost() -> None:
    shape = Workload(requests_per_day=0, input_tokens=500, output_tokens=200)
    fixed = self_hosted_monthly_cost(1.0, 1, hours_per_month=720)
    rate = break_even_requests_per_day(GPT_4O_MINI, shape, fixed)
    assert rate is not None
    # 720 / (30 days x $0.000195 per request)
    assert rate == pytest.approx(720 / (30 * 0.000195))
    at_rate = Workload(rate, 500, 200)
    assert api_monthly_cost(at_rate, GPT_4O_MINI) == pytest.approx(fixed)
    assert api_monthly_cost(Workload(rate * 1.1, 500, 200), GPT_4O_MINI) > fixed


def test_a_free_api_never_breaks_even() -> None:
    assert break_even_requests_per_day(Price(0.0, 0.0), Workload(0, 500, 200), 720.0) is None


def test_blended_price_defaults_to_three_to_one() -> None:
    assert blended_price(GPT_4O_MINI) == pytest.approx((3 * 0.15 + 0.60) / 4)
    weighted = blended_price(GPT_4O_MINI, Workload(1, 500, 200))
    assert weighted == pytest.approx((500 * 0.15 + 200 * 0.60) / 700)
    assert blended_price(GPT_4O_MINI, Workload(1, 0, 0)) == blended_price(GPT_4O_MINI)


def test_a_workload_cannot_be_negative() -> None:
    with pytest.raises(ValueError):
        Workload(-1, 500, 200)
    with pytest.raises(ValueError):
        Workload(1, 500, 200, days_per_month=0)

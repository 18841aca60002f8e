"""Candidates: figures marked with their origin, catalog reading, derived scores."""

from __future__ import annotations

import json

import pytest
from report_helpers import make

from codejury.catalog import Catalog, Fact
from codejury.cost import Price, Workload, api_monthly_cost, blended_price
from codejury.errors import DataError
from codejury.report import (
    CatalogOptions,
    candidate_from_catalog,
    candidates_from_catalog,
    figure_from_estimate,
    wilson_interval,
)
from codejury.scoring.metrics import Estimate


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return Catalog.builtin()


def test_wilson_interval_matches_published_values() -> None:
    # 50 of 100: the textbook Wilson 95 % interval is 0.4038 to 0.5962.
    low, high = wilson_interval(0.5, 100)
    assert (round(low, 4), round(high, 4)) == (0.4038, 0.5962)
    # 0 of 164 and 164 of 164 stay inside [0, 1] and touch the end.
    assert wilson_interval(0.0, 164)[0] == pytest.approx(0.0, abs=1e-12)
    assert wilson_interval(1.0, 164)[1] == pytest.approx(1.0)
    assert wilson_interval(1.0, 164)[0] < 1.0
    with pytest.raises(ValueError):
        wilson_interval(0.5, 0)


def test_catalog_candidate_marks_every_figure_public_with_source_and_date(
    catalog: Catalog,
) -> None:
    c = candidate_from_catalog(catalog, "gpt-4o-2024-08-06")
    assert c.quality is not None and c.quality.value == 87.2
    assert c.quality.mark.origin == "public"
    assert c.quality.mark.source.startswith("evalplus/evalplus.github.io")
    assert c.quality.mark.as_of == "2024-12-26"
    # The published pass@1 has no interval of its own; the derived one says how it was made.
    assert c.quality.low is not None and c.quality.high is not None
    assert c.quality.low < 87.2 < c.quality.high
    assert "Wilson 95 % over 164 tasks" in (c.quality.mark.note or "")
    assert c.human is not None and c.human.low is not None and c.human.high is not None
    assert c.human.low < c.human.value < c.human.high
    assert c.human.mark.source.startswith("lmarena/")
    # Blended price: 3 input tokens per output token (2.5 and 10 USD per 1M).
    assert c.price is not None and c.price.value == pytest.approx((3 * 2.5 + 10.0) / 4)
    assert c.open_weights is not None and c.open_weights.value is False


def test_derived_scores_say_how_they_were_derived(catalog: Catalog) -> None:
    api = candidate_from_catalog(catalog, "gpt-4o-2024-08-06")
    assert api.deployment is not None and api.deployment.value == "api"
    assert api.privacy is not None and api.privacy.value == 1.0
    assert api.customisation is not None and api.customisation.value == 2.0
    assert api.operational_effort is not None and api.operational_effort.value == 1.0
    for figure in (api.deployment, api.privacy, api.customisation, api.operational_effort):
        assert figure.mark.origin == "derived" and figure.mark.note

    small = make("small", open_weights=True, parameters_b=7.0)
    big = make("big", open_weights=True, parameters_b=70.0)
    unknown = make("unknown", open_weights=True)
    for c, effort in ((small, 4.0), (big, 5.0), (unknown, 4.0)):
        assert c.deployment is not None and c.deployment.value == "self-hosted"
        assert c.privacy is not None and c.privacy.value == 5.0
        assert c.customisation is not None and c.customisation.value == 5.0
        assert c.operational_effort is not None and c.operational_effort.value == effort
    open_api = make("open-api", open_weights=True, price=0.5)
    assert open_api.privacy is not None and open_api.privacy.value == 3.0
    bare = make("bare", quality=50.0)
    assert bare.deployment is None and bare.privacy is None and bare.customisation is None


def test_explicit_figures_win_over_the_default_rules() -> None:
    c = make("mine", open_weights=True, customisation=3.0, operational_effort=2.0)
    assert c.customisation is not None and c.customisation.value == 3.0
    assert c.customisation.mark.origin == "user"
    assert c.operational_effort is not None and c.operational_effort.value == 2.0


def test_workload_gives_monthly_cost_and_weights_the_blend(catalog: Catalog) -> None:
    workload = Workload(requests_per_day=10_000, input_tokens=500, output_tokens=200)
    c = candidate_from_catalog(catalog, "gpt-4o-mini-2024-07-18", CatalogOptions(workload=workload))
    price = Price(0.15, 0.60)
    assert c.monthly_cost is not None
    assert c.monthly_cost.value == pytest.approx(api_monthly_cost(workload, price)) == 58.5
    assert c.monthly_cost.mark.origin == "derived"
    assert c.price is not None and c.price.value == pytest.approx(blended_price(price, workload))


def test_measured_quality_from_an_estimate_is_in_percent() -> None:
    figure = figure_from_estimate(Estimate(0.75, 0.70, 0.80, 164), "run 3f2a", "2025-06-01")
    assert (figure.value, figure.low, figure.high) == pytest.approx((75.0, 70.0, 80.0))
    assert figure.mark.origin == "measured" and figure.mark.source == "run 3f2a"


def test_measured_fact_in_the_catalog_keeps_its_origin() -> None:
    catalog = Catalog(
        [Fact("m", "humaneval+.pass@1", 61.0, "my run", "2025-05-01", kind="measured")]
    )
    c = candidate_from_catalog(catalog, "m")
    assert c.quality is not None and c.quality.mark.origin == "measured"


def test_all_catalog_candidates_are_json_ready(catalog: Catalog) -> None:
    candidates = candidates_from_catalog(catalog)
    assert len(candidates) >= 300  # every model with HumanEval+ or an Arena coding rating
    assert sum(c.quality is not None for c in candidates) >= 125
    text = json.dumps([c.as_dict() for c in candidates])
    assert '"origin": "public"' in text and '"origin": "derived"' in text


def test_unknown_model_is_a_data_error(catalog: Catalog) -> None:
    with pytest.raises(DataError, match="no model 'no-such-model'"):
        candidate_from_catalog(catalog, "no-such-model")

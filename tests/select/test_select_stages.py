"""Single stages on their own: how cost is decided, what strict does, the store's saves."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from codejury.config import load_settings
from codejury.errors import StoreError
from codejury.select.config import load_selection
from codejury.select.measure import cost_stage, latency_stage
from codejury.select.pipeline import funnel
from codejury.select.stages import Context, candidates_stage
from codejury.store import Store

MODELS = """
[models.api-coder]
provider = "mock"
model = "api"
prices = { input = 1.0, output = 3.0 }
open_weights = false

[models.own-coder]
provider = "vllm"
model = "Qwen/Qwen2.5-Coder-7B-Instruct"
open_weights = true
context_window = 32768
parameters = 7.6

[models.mystery-coder]
provider = "mock"
model = "mystery"
"""


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    with Store.open(tmp_path / "runs.db") as opened:
        yield opened


def _context(where: Path, body: str, store: Store) -> Context:
    (where / "codejury.toml").write_text(MODELS, encoding="utf-8")
    path = where / "selection.toml"
    path.write_text(
        '[selection]\ncodejury_config = "codejury.toml"\n\n[candidates]\n'
        'models = ["api-coder", "own-coder", "mystery-coder"]\n\n' + body,
        encoding="utf-8",
    )
    config = load_selection(path, cwd=where)
    settings = load_settings(config.codejury_config, env={}, cwd=where)
    return Context(config, settings, store)


MODELS_ALL = ["api-coder", "own-coder", "mystery-coder"]


def test_api_models_pay_per_token_and_unpriced_ones_rent_gpus(tmp_path: Path, store: Store) -> None:
    body = """
[workload]
requests_per_day = 1000
input_tokens = 1000
output_tokens = 100

[self_hosted]
gpu_hourly_usd = 2.0
gpus = 2

[thresholds]
max_monthly_cost = 1000
"""
    result = cost_stage(_context(tmp_path, body, store), MODELS_ALL)
    api = result.figures["api-coder"]
    assert api["deployment"]["value"] == "api"
    # 30 000 requests × (1000 × $1 + 100 × $3) / 1M
    assert api["monthly_cost"]["value"] == pytest.approx(39.0)
    assert api["price"]["mark"]["origin"] == "user"
    own = result.figures["own-coder"]
    assert own["deployment"]["value"] == "self-hosted" and "price" not in own
    assert own["monthly_cost"]["value"] == pytest.approx(2.0 * 2 * 730)
    # The mock has no price anywhere: costed on the GPUs too, over the limit.
    assert result.kept == ["api-coder"]
    assert result.eliminated == {
        "own-coder": ["monthly cost $2,920 is above the maximum $1,000"],
        "mystery-coder": ["monthly cost $2,920 is above the maximum $1,000"],
    }


def test_a_missing_figure_passes_unchecked_unless_strict(tmp_path: Path, store: Store) -> None:
    body = "[workload]\nrequests_per_day = 10\ninput_tokens = 10\noutput_tokens = 10\n"
    loose = cost_stage(
        _context(tmp_path, body + "[thresholds]\nmax_monthly_cost = 5\n", store), MODELS_ALL
    )
    assert loose.kept == ["api-coder", "own-coder", "mystery-coder"]
    assert set(loose.unchecked) == {"own-coder", "mystery-coder"}
    assert "no monthly cost figure" in loose.unchecked["own-coder"][0]
    strict = cost_stage(
        _context(tmp_path, body + "[thresholds]\nmax_monthly_cost = 5\nstrict = true\n", store),
        MODELS_ALL,
    )
    assert strict.kept == ["api-coder"] and set(strict.eliminated) == {"own-coder", "mystery-coder"}
    assert any("strict" in r for r in strict.eliminated["own-coder"])


def test_candidate_facts_come_from_the_models_tables(tmp_path: Path, store: Store) -> None:
    ctx = _context(
        tmp_path, "[thresholds]\nopen_weights = true\nmin_context_window = 16000\n", store
    )
    result = candidates_stage(ctx, MODELS_ALL)
    assert result.kept == ["own-coder", "mystery-coder"]
    assert result.eliminated == {
        "api-coder": ["weights are not open, so it cannot be self-hosted for privacy"]
    }
    own = result.figures["own-coder"]
    assert own["context_window"]["value"] == 32768 and own["parameters_b"]["value"] == 7.6
    assert own["open_weights"]["mark"]["origin"] == "user"
    assert "codejury.toml:" in own["open_weights"]["mark"]["source"]
    assert set(result.unchecked["mystery-coder"]) == {
        "not known whether the weights are open: open weights not checked",
        "no context window figure: the minimum 16,000 tokens was not checked",
    }


def test_without_a_load_test_latency_comes_from_timed_benchmark_answers(
    tmp_path: Path, store: Store
) -> None:
    ctx = _context(tmp_path, "[thresholds]\nmax_p95_latency_s = 1.0\n", store)
    runs = {
        "api-coder": {"run_id": "a" * 32, "latency_p95_s": 0.4, "latency_n": 20},
        "own-coder": {"run_id": "b" * 32, "latency_p95_s": 2.5, "latency_n": 20},
        "mystery-coder": {"run_id": "c" * 32, "latency_p95_s": None, "latency_n": 0},
    }
    ctx.earlier = {
        "benchmarks": {
            "status": "done",
            "figures": {m: {"benchmark_runs": {"humaneval+": r}} for m, r in runs.items()},
        }
    }
    result = latency_stage(ctx, MODELS_ALL)
    assert result.figures["api-coder"]["p95_latency_s"]["value"] == 0.4
    assert result.eliminated == {"own-coder": ["p95 latency 2.50 s is above the maximum 1.00 s"]}
    assert result.kept == ["api-coder", "mystery-coder"]
    assert "mystery-coder" in result.unchecked
    assert "stands in" in result.notes[0]


def test_update_summary_saves_without_finishing(store: Store) -> None:
    run_id = store.create_run(kind="select", benchmark=None, dataset_hash=None, spec={},
                              environment={})  # fmt: skip
    store.update_summary(run_id, {"stages": {"candidates": {"status": "done"}}})
    run = store.get_run(run_id)
    assert run.status == "running" and run.finished_at is None
    assert run.summary == {"stages": {"candidates": {"status": "done"}}}
    with pytest.raises(StoreError, match="no run with id"):
        store.update_summary("f" * 32, {})
    with pytest.raises(StoreError, match="not plain JSON"):
        store.update_summary(run_id, {"x": float("nan")})


def test_the_funnel_lists_stages_in_order_with_reasons() -> None:
    summary = {
        "stages": {
            "thresholds": {"status": "done", "entered": ["a", "b"], "kept": ["a"],
                           "eliminated": {"b": ["too weak"]}},
            "candidates": {"status": "done", "entered": ["a", "b"], "kept": ["a", "b"],
                           "reused_from": "r1"},
        }
    }  # fmt: skip
    rows = funnel(summary)
    assert [r["stage"] for r in rows] == ["candidates", "thresholds"]
    assert rows[1]["eliminated"] == {"b": ["too weak"]} and rows[0]["reused_from"] == "r1"

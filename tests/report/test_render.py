"""The decision report built from a real store (two measured models, votes, perf and cost runs)
and the built-in catalog, rendered as JSON, Markdown and HTML."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from report_store import (
    TASKS,
    facts_csv,
    passes,
    seed_cost,
    seed_eval,
    seed_perf,
    seed_two_models,
    seed_votes,
)

from codejury.catalog import Catalog, import_file
from codejury.catalog.stored import file_sha256, save_import
from codejury.cost import Price, Workload, api_monthly_cost, blended_price
from codejury.report.build import ReportOptions, build_from_store, build_report
from codejury.report.data import ReportData
from codejury.report.inputs import StoreInputs
from codejury.report.render import render, render_html, render_json, render_markdown
from codejury.report.selection import Constraints
from codejury.report.selectionfile import Selection
from codejury.scoring.metrics import mcnemar_exact
from codejury.store import Store

FAST = {"draws": 2000, "rounds": 300}
GPT_MINI = Price(0.15, 0.6, as_of="2025-12-17", source="https://openai.com/api/pricing/")


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    with Store.open(tmp_path / "runs.db") as opened:
        yield opened


@pytest.fixture
def seeded(store: Store) -> Store:
    seed_two_models(store)
    return store


def build(store: Store, **options: Any) -> ReportData:
    return build_from_store(store, ReportOptions(**(FAST | options)))


def test_json_marks_measured_and_public_figures(seeded: Store) -> None:
    data = build(seeded)
    doc = json.loads(render_json(data))
    assert doc["format"] == "codejury-report/1"
    by_key = {c["key"]: c for c in doc["candidates"]}
    local, mini = by_key["local/smollm2"], by_key["openai/gpt-4o-mini"]
    # The user's own runs: measured pass@1 with the run as source, 12/40 and 30/40 passed.
    assert local["quality"]["value"] == pytest.approx(30.0)
    assert mini["quality"]["value"] == pytest.approx(75.0)
    for c in (local, mini):
        assert c["quality"]["mark"]["origin"] == "measured"
        assert c["quality"]["mark"]["source"].startswith("your run ")
        assert c["quality"]["low"] < c["quality"]["value"] < c["quality"]["high"]
    # Public figures keep their source and date; nothing public is marked measured.
    public = [c for k, c in by_key.items() if k not in ("local/smollm2", "openai/gpt-4o-mini")]
    assert len(public) >= 125
    for c in public:
        if "quality" in c:
            assert c["quality"]["mark"]["origin"] == "public"
            assert c["quality"]["mark"]["as_of"]
    gpt4o = by_key["gpt-4o-2024-08-06"]["quality"]
    assert gpt4o["value"] == 87.2 and "evalplus" in gpt4o["mark"]["source"]
    # Price and monthly cost of the API model come from the price the run used.
    workload = Workload(10_000, 500, 200)
    assert mini["price"]["value"] == pytest.approx(blended_price(GPT_MINI, workload))
    assert mini["monthly_cost"]["value"] == pytest.approx(api_monthly_cost(workload, GPT_MINI))
    assert mini["monthly_cost"]["mark"]["origin"] == "derived"
    # The local model: free per token, self-hosted, open weights by construction.
    assert local["price"]["value"] == 0.0
    assert local["deployment"]["value"] == "self-hosted"
    assert "monthly_cost" not in local  # its hardware cost is not known
    assert local["p95_latency_s"]["mark"]["origin"] == "measured"


def test_paired_test_and_leaderboard_order(seeded: Store) -> None:
    doc = json.loads(render_json(build(seeded)))
    paired = doc["paired"]
    assert (paired["a"], paired["b"]) == ("openai/gpt-4o-mini", "local/smollm2")
    assert paired["n_tasks"] == len(TASKS)
    # Tasks 0–11 pass for both, 12–29 only for gpt-4o-mini, the rest for neither.
    assert (paired["a_only"], paired["b_only"]) == (18, 0)
    assert paired["p_value"] == pytest.approx(mcnemar_exact(18, 0))
    assert paired["method"] == "exact McNemar"
    board = doc["leaderboard"]["quality"]
    values = [row["figure"]["value"] for row in board]
    assert values == sorted(values, reverse=True)
    ranks = {row["key"]: row["rank"] for row in board}
    assert ranks["openai/gpt-4o-mini"] < ranks["local/smollm2"]
    # Price 0 is the cheapest point: the local model is on the pass@1-vs-price frontier.
    assert "local/smollm2" in doc["pareto"]["quality"]["frontier"]


def test_analyses_over_the_public_catalog(seeded: Store) -> None:
    doc = json.loads(render_json(build(seeded)))
    mismatch = doc["rank_mismatch"]
    assert len(mismatch["rows"]) >= 30
    assert -1 <= mismatch["tau_low"] <= mismatch["tau"] <= mismatch["tau_high"] <= 1
    win = doc["win_probabilities"]
    n = len(win["keys"])
    assert 2 <= n <= 10
    for i in range(n):
        assert win["matrix"][i][i] == pytest.approx(0.5)
        for j in range(n):
            assert win["matrix"][i][j] + win["matrix"][j][i] == pytest.approx(1.0)
    assert doc["recommendation"]["winner"] in {c["key"] for c in doc["candidates"]}
    assert doc["recommendation"]["sentences"]
    kinds = {(p["origin"], p["source"]) for p in doc["provenance"]}
    assert any(origin == "measured" for origin, _ in kinds)
    assert any("lmarena" in source for origin, source in kinds if origin == "public")


def test_constraints_eliminate_with_reasons(seeded: Store) -> None:
    selection = Selection(constraints=Constraints(min_pass_at_1=70, require_open_weights=True))
    data = build(seeded, selection=selection, models=("local/smollm2", "openai/gpt-4o-mini"))
    notes = {n.key: n.reasons for n in data.decision.screening.eliminated}
    assert set(notes) == {"local/smollm2", "openai/gpt-4o-mini"}
    assert any("pass@1 30.0 % is below the minimum 70.0 %" in r for r in notes["local/smollm2"])
    assert any("not open" in r for r in notes["openai/gpt-4o-mini"])
    assert data.decision.recommendation.winner is None
    html = render_html(data)
    assert "No model meets the constraints." in html
    assert "pass@1 30.0 % is below the minimum 70.0 %" in html


def test_models_filter_and_unknown_model(seeded: Store) -> None:
    data = build(seeded, models=("local/smollm2", "gpt-4o-2024-08-06"))
    assert {c.key for c in data.candidates} == {"local/smollm2", "gpt-4o-2024-08-06"}
    from codejury.errors import ConfigError

    with pytest.raises(ConfigError, match="gpt-4o-2024-08-07") as info:
        build(seeded, models=("gpt-4o-2024-08-07",))
    assert "gpt-4o-2024-08-06" in (info.value.hint or "")


def test_measured_name_equal_to_a_catalog_key_stays_apart(store: Store) -> None:
    seed_eval(store, "deepseek-v3", passes(8))  # a codejury.toml name like a catalog key
    data = build(store)
    mine, public = data.candidate("deepseek-v3"), data.candidate("deepseek-v3 (public)")
    assert mine is not None and public is not None
    assert mine.quality is not None and mine.quality.mark.origin == "measured"
    assert mine.quality.value == 20.0
    assert public.quality is not None and public.quality.mark.origin == "public"
    assert public.quality.value == 86.6


def test_dry_runs_are_left_out_unless_asked(store: Store) -> None:
    seed_eval(store, "mock/a", passes(40), dry_run=True)
    assert build(store).meta["counts"]["measured"] == 0
    data = build_from_store(store, ReportOptions(**FAST), include_dry_runs=True)
    assert data.meta["counts"]["measured"] == 1
    assert "DRY RUN" in (data.candidate("mock/a").quality.mark.note or "")  # type: ignore[union-attr]
    assert "dry run (reference answers)" in render_html(data)


def test_latest_usable_run_per_model(store: Store) -> None:
    older = seed_eval(store, "acme/a", passes(10))
    seed_eval(store, "acme/a", passes(40), dry_run=True)  # newer, but a dry run
    store.create_run(  # newest, still running
        kind="eval",
        benchmark="humaneval+",
        dataset_hash="h",
        spec={"model": "acme/a"},
        environment={},
    )
    seed_eval(store, "acme/b", passes(5), benchmark="mbpp+")  # another benchmark
    data = build(store)
    (run,) = data.inputs.measured
    assert (run.model, run.run_id, run.pass_at_1.value) == ("acme/a", older, 0.25)
    assert not any("acme/a" in note for note in data.notes)
    assert build(store, benchmark="mbpp+").inputs.measured[0].model == "acme/b"


def test_arena_perf_and_cost_runs_appear(seeded: Store) -> None:
    seed_votes(seeded, ("local/smollm2", "openai/gpt-4o-mini", "mock/c"))
    seed_perf(seeded, "local/smollm2")
    seed_cost(seeded, "local/smollm2", 140.0)
    data = build(seeded)
    arena = data.inputs.arena
    assert arena is not None and arena.votes == 30
    assert arena.models[0] == "local/smollm2"  # it won most of its votes
    local = data.candidate("local/smollm2")
    assert local is not None and local.monthly_cost is not None
    assert local.monthly_cost.value == 140.0 and local.monthly_cost.mark.source.startswith(
        "cost run"
    )
    html = render_html(data)
    assert html.count('class="chart chart-perf"') == 1
    assert "your arena" in html.lower() and 'data-vs="mock/c"' in html
    doc = json.loads(render_json(data))
    assert [lv["concurrency"] for lv in doc["perf_runs"][0]["levels"]] == [1, 2, 4, 8]


def test_evolution_appears_when_dates_are_known(store: Store) -> None:
    seed_eval(store, "acme/a", passes(10), metadata={"release_date": "2024-01-15"})
    seed_eval(store, "acme/b", passes(25), metadata={"release_date": "2024-09"})
    seed_eval(store, "acme/c", passes(20), metadata={"release_date": "2025-02-01"})
    data = build(store, models=("acme/a", "acme/b", "acme/c"))
    assert data.evolution is not None
    assert data.evolution.records == ("acme/a", "acme/b")
    assert 'class="chart chart-evolution"' in render_html(data)


def test_imported_release_dates_give_evolution_and_period_frontiers(
    store: Store, tmp_path: Path
) -> None:
    released = {
        "gpt-4o-2024-08-06": "2024-08-06",
        "gpt-4o-mini-2024-07-18": "2024-07-18",
        "claude-3-5-sonnet-20241022": "2024-10-22",
        "gemini-1.5-flash-002": "2024-09-24",
        "deepseek-v3": "2024-12-26",
        "deepseek-r1": "2025-01-20",
        "deepseek-v3-0324": "2025-03-24",
    }
    path = facts_csv(
        tmp_path / "dates.csv",
        [(k, "release_date", v) for k, v in released.items()],
        source="vendor announcements (test)",
        as_of="2025-06-01",
    )
    save_import(store, import_file(path), file_sha256(path), {})
    data = build(store, models=tuple(released))
    assert data.evolution is not None and data.evolution_measure == "human"
    assert [p.date for p in data.evolution.points] == sorted(released.values())
    assert data.periods is not None and list(data.periods) == ["2024-H2", "2025-H1"]
    members, frontier = data.periods["2025-H1"]
    assert set(members) == {"deepseek-r1", "deepseek-v3-0324"} and frontier
    html = render_html(data)
    assert html.count('class="chart chart-evolution"') == 1
    assert html.count('class="chart chart-periods"') == 1
    doc = json.loads(render_json(data))
    assert set(doc["evolution"]["periods"]) == {"2024-H2", "2025-H1"}


def test_markdown_has_every_section_and_sound_tables(seeded: Store) -> None:
    md = render_markdown(build(seeded))
    for heading in (
        "## Recommendation",
        "## Leaderboard: humaneval+ pass@1",
        "## Quality against price: the Pareto frontier",
        "## Benchmark rank against human rank",
        "## Cost and latency",
        "## Decision",
        "## Provenance",
    ):
        assert heading in md
    assert "| openai/gpt-4o-mini | measured | 75.0 % \\[" in md
    # Every row of a table has as many (unescaped) cell separators as its header.
    for table in re.findall(r"(?:^\|.*\|$\n?)+", md, flags=re.M):
        rows = table.strip().splitlines()
        widths = {len(re.findall(r"(?<!\\)\|", row)) for row in rows}
        assert len(widths) == 1, rows[:3]


def test_html_is_self_contained(seeded: Store) -> None:
    data = build(seeded)
    html = render_html(data)
    assert html.startswith("<!doctype html>")
    assert "Content-Security-Policy" in html and "default-src 'none'" in html
    assert "<script" not in html.lower()
    for pattern in (r"\ssrc=", r"<link\b", r"url\(", r"@import", r"\shref=\"http"):
        assert not re.search(pattern, html, flags=re.I), pattern
    assert html.count("<svg") >= 5
    # The frontier models are labelled in the chart.
    frontier = data.pareto_quality.frontier  # type: ignore[union-attr]
    chart = html[html.index('class="chart chart-pareto"') :]
    chart = chart[: chart.index("</svg>")]
    for key in frontier:
        name = data.name(key)
        assert f'data-key="{key}"' in chart
        assert f">{name[:27]}" in chart


def test_empty_store_still_reports_the_public_catalog(store: Store) -> None:
    data = build(store)
    assert data.meta["counts"]["measured"] == 0
    assert data.meta["counts"]["candidates"] >= 125
    assert any("paired" in n for n in data.notes)
    for fmt in ("html", "md", "json"):
        assert render(data, fmt)


def test_report_from_catalog_alone_is_deterministic() -> None:
    options = ReportOptions(**FAST)
    a = build_report(Catalog.builtin(), StoreInputs(), options).as_dict()
    b = build_report(Catalog.builtin(), StoreInputs(), options).as_dict()
    for doc in (a, b):
        doc["meta"].pop("generated_at")
        doc["meta"].pop("build_seconds")
    assert a == b

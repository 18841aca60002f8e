"""The packaged price catalog: sourced figures only, equal to the public data it is built from."""

from __future__ import annotations

import csv
import datetime as dt
import json
import subprocess
import sys
from pathlib import Path

import pytest

from codejury.cost import Price, PriceCatalog

REPO = Path(__file__).resolve().parents[2]
SCRIPT = REPO / "scripts" / "build_price_catalog.py"


@pytest.fixture(scope="module")
def leaderboards(shared_data_dir: Path) -> Path:
    return shared_data_dir / "leaderboards"


def test_every_entry_is_sourced_and_dated() -> None:
    catalog = PriceCatalog.builtin()
    assert len(catalog) >= 100
    for ref in catalog.references():
        price = catalog.lookup(ref)
        assert price is not None
        provider, _, name = ref.partition("/")
        assert provider and name and provider == provider.lower(), ref
        assert price.source.strip() and price.source.lower() != "n/a", ref
        assert price.as_of is not None and dt.date.fromisoformat(price.as_of), ref
        assert price.via and price.via.startswith("lmarena/arena-catalog@"), ref


def test_documented_aliases_point_at_priced_dated_models() -> None:
    catalog = PriceCatalog.builtin()
    aliases = catalog.aliases()
    assert aliases["openai/gpt-4o-mini"] == "openai/gpt-4o-mini-2024-07-18"
    assert aliases["anthropic/claude-3-5-haiku-latest"] == "anthropic/claude-3-5-haiku-20241022"
    for alias, target in aliases.items():
        assert alias not in catalog.references()
        assert catalog.lookup(alias) is catalog.lookup(target)


def test_the_seed_example_prices_are_in_the_catalog() -> None:
    # The seed's cost table lists GPT-4o 2.5/10, GPT-4o-mini 0.15/0.60, DeepSeek-V3 0.27/1.10.
    catalog = PriceCatalog.builtin()
    expected = {
        "openai/gpt-4o-mini": (0.15, 0.60),
        "openai/gpt-4o": (2.5, 10.0),
        "deepseek/deepseek-v3": (0.27, 1.10),
    }
    for ref, figures in expected.items():
        price = catalog.lookup(ref)
        assert price is not None, ref
        assert (price.input_per_m, price.output_per_m) == pytest.approx(figures)


def test_no_image_model_and_no_unsourced_price_got_in(leaderboards: Path) -> None:
    catalog = PriceCatalog.builtin()
    names = {ref.partition("/")[2] for ref in catalog.references()}
    assert not names & {"dall-e-3", "flux-1.1-pro", "imagen-3.0-generate-002", "recraft-v3"}
    rows = json.loads((leaderboards / "lmarena_scatterplot-data.json").read_text())
    unsourced = {r["model_api_name"] for r in rows if r["price_source"] in ("", "n/a")}
    assert unsourced and not names & unsourced


def test_each_price_equals_the_arena_catalog_figure(leaderboards: Path) -> None:
    rows = json.loads((leaderboards / "lmarena_scatterplot-data.json").read_text())
    by_name = {r["model_api_name"]: r for r in rows}
    catalog = PriceCatalog.builtin()
    checked = 0
    for ref in catalog.references():
        price = catalog.lookup(ref)
        assert price is not None
        row = by_name.get(ref.partition("/")[2])
        if row is None:
            continue
        assert price.input_per_m == float(row["input_token_price"]), ref
        assert price.output_per_m == float(row["output_token_price"]), ref
        assert price.source == row["price_source"].strip(), ref
        assert ref.partition("/")[0] in row["organization"].lower().replace(".", "").replace(
            " ", "-"
        )
        checked += 1
    assert checked == len(catalog) - 1  # one model comes only from the selection table


def test_the_selection_table_prices_agree_and_the_older_one_is_included(leaderboards: Path) -> None:
    with (leaderboards / "model_selection_table.csv").open(newline="") as handle:
        rows = [r for r in csv.DictReader(handle) if r["price_record"]]
    assert len(rows) == 10
    catalog = PriceCatalog.builtin()
    for row in rows:
        matches = [ref for ref in catalog.references() if ref.endswith("/" + row["arena_key"])]
        assert len(matches) == 1, row["arena_key"]
        price = catalog.lookup(matches[0])
        assert price is not None
        assert price.input_per_m == float(row["price_input_usd_per_1m"])
        assert price.output_per_m == float(row["price_output_usd_per_1m"])
        commit = row["price_record"].split("@")[1].split()[0]
        assert price.via is not None and f"@{commit} " in price.via
    older = catalog.lookup("openai/gpt-4o-2024-08-06")
    assert older == Price(
        2.5,
        10.0,
        as_of="2025-02-05",
        source="https://openai.com/api/pricing/",
        via="lmarena/arena-catalog@d69a57f data/scatterplot-data.json "
        "(via shared/data/leaderboards/model_selection_table.csv)",
    )


def test_the_committed_catalog_is_what_the_script_builds(leaderboards: Path) -> None:
    result = subprocess.run(
        [sys.executable, str(SCRIPT), "--check", "--data", str(leaderboards)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "up to date" in result.stdout


def test_the_script_detects_a_stale_catalog(leaderboards: Path, tmp_path: Path) -> None:
    stale = tmp_path / "prices.toml"
    text = (REPO / "src" / "codejury" / "data" / "prices.toml").read_text(encoding="utf-8")
    stale.write_text(text.replace("input = 0.15\n", "input = 0.16\n", 1), encoding="utf-8")
    result = subprocess.run(
        [
            sys.executable,
            str(SCRIPT),
            "--check",
            "--data",
            str(leaderboards),
            "--output",
            str(stale),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 1 and "OUT OF DATE" in result.stdout

"""Importers on the real shared leaderboard files, and their errors on bad input."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest
from catalog_helpers import ARENA, EVALPLUS, LMSYS, PRICES, evalplus_record, write_json

from codejury.catalog import Catalog, detect_kind, import_file
from codejury.catalog.importers import IMAGE_MODELS
from codejury.errors import DataError

AS_OF = "2025-01-31"


def models_with(catalog: Catalog, field: str) -> set[str]:
    return {fact.model for fact in catalog.facts(field=field)}


def test_detects_every_shared_file_kind(boards: Path) -> None:
    assert detect_kind(boards / EVALPLUS) == "evalplus"
    assert detect_kind(boards / ARENA) == "lmarena"
    assert detect_kind(boards / PRICES) == "lmarena-prices"
    assert detect_kind(boards / LMSYS) == "lmsys-table"


def test_evalplus_results_json(boards: Path) -> None:
    result = import_file(boards / EVALPLUS, as_of=AS_OF)
    catalog = result.to_catalog()
    raw = json.loads((boards / EVALPLUS).read_text())
    assert result.kind == "evalplus" and result.records == 125
    assert len(result.resolutions) == 125 and result.unmatched == []
    assert len(models_with(catalog, "humaneval+.pass@1")) == 125
    # MBPP is missing for some models in the file; no fact is invented for them.
    with_mbpp = sum(1 for r in raw.values() if r["pass@1"]["mbpp+"] is not None)
    assert len(models_with(catalog, "mbpp+.pass@1")) == with_mbpp < 125
    gpt4o = catalog.get("gpt-4o-2024-08-06", "humaneval+.pass@1")
    assert gpt4o is not None and gpt4o.value == 87.2 and gpt4o.as_of == AS_OF
    assert catalog.value("gpt-4o-2024-08-06", "open_weights") is False
    assert catalog.value("gpt-4o-2024-08-06", "active_parameters_b") is None
    assert catalog.value("evalplus:Code-13B", "active_parameters_b") == 13.0
    assert catalog.value("evalplus:Code-13B", "open_weights") is True
    assert catalog.value("evalplus:Code-13B", "evalplus.open_data") == "Partial"
    sizes = sum(1 for r in raw.values() if r["size"] is not None)
    open_flags = Counter(f.value for f in catalog.facts(field="open_weights"))
    assert open_flags[True] == sizes and open_flags[False] == 125 - sizes


def test_lmarena_leaderboard_all_and_selected_categories(boards: Path) -> None:
    result = import_file(boards / ARENA, as_of=AS_OF)
    catalog = result.to_catalog()
    assert len(models_with(catalog, "arena.coding.rating")) == 278
    assert len(models_with(catalog, "arena.full.rating")) == 282
    assert len({f.field.split(".")[1] for f in catalog.facts()}) == 29
    fact = catalog.get("gpt-4o-2024-08-06", "arena.coding.rating")
    assert fact is not None and round(float(fact.value), 1) == 1283.1
    low = catalog.value("gpt-4o-2024-08-06", "arena.coding.q025")
    high = catalog.value("gpt-4o-2024-08-06", "arena.coding.q975")
    assert isinstance(low, float) and isinstance(high, float) and low < fact.value < high

    some = import_file(boards / ARENA, as_of=AS_OF, categories=["coding", "full"])
    assert {f.field.split(".")[1] for f in some.facts} == {"coding", "full"}
    assert some.records == 278 + 282


def test_lmarena_prices_skip_image_models(boards: Path) -> None:
    result = import_file(boards / PRICES, as_of=AS_OF)
    catalog = result.to_catalog()
    assert result.records == 141
    assert len(result.skipped) == len(IMAGE_MODELS) == 8
    assert all("per image" in line for line in result.skipped)
    assert not {f.model for f in result.facts} & IMAGE_MODELS
    assert len(result.resolutions) == 133
    priced = models_with(catalog, "price.input_per_m")
    assert len(priced) == 130  # three entries have empty prices
    assert sum("no price" in w for w in result.warnings) == 3
    price = catalog.get("gpt-4o-mini-2024-07-18", "price.output_per_m")
    assert price is not None and price.value == 0.6
    assert price.note == "price source: https://openai.com/api/pricing/"
    assert catalog.value("claude-3-5-haiku-20241022", "organization") == "Anthropic"
    assert catalog.model("gpt-4o-mini-2024-07-18").display_name == "GPT-4o mini"  # type: ignore[union-attr]


def test_lmsys_table_takes_its_date_from_the_file_name(boards: Path) -> None:
    result = import_file(boards / LMSYS)
    assert result.records == 293
    assert {f.as_of for f in result.facts} == {"2025-05-11"}
    catalog = result.to_catalog()
    assert catalog.value("claude-3-haiku-20240307", "knowledge_cutoff") == "2023/8"
    # "-" means "not stated": no fact.
    assert catalog.value("qwen2.5-coder-32b-instruct", "knowledge_cutoff") is None


def test_missing_date_falls_back_to_mtime_with_a_warning(tmp_path: Path) -> None:
    path = write_json(tmp_path / "results.json", {"Some-Model": evalplus_record()})
    result = import_file(path)
    assert any("modification date" in w for w in result.warnings)
    assert result.source.startswith("results.json (sha256:")
    given = import_file(path, source="my copy", as_of="2024-12")
    assert {(f.source, f.as_of) for f in given.facts} == {("my copy", "2024-12")}
    with pytest.raises(DataError, match="not a real date"):
        import_file(path, as_of="2024-02-30")


def test_bad_json_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "results.json"
    path.write_text('{\n  "A": {"pass@1": {"humaneval": 1.0},\n}\n')
    with pytest.raises(DataError, match=r"results\.json: line 3, column 1: not valid JSON"):
        import_file(path, kind="evalplus", as_of=AS_OF)


def test_bad_evalplus_record_names_the_model_and_the_value(tmp_path: Path) -> None:
    bad = evalplus_record()
    bad["pass@1"]["humaneval"] = "high"
    path = write_json(tmp_path / "r.json", {"Good": evalplus_record(), "Broken-7B": bad})
    with pytest.raises(DataError) as info:
        import_file(path, as_of=AS_OF)
    assert "r.json: record 'Broken-7B'" in str(info.value)
    assert "expected a number, got 'high'" in str(info.value)

    over = write_json(tmp_path / "o.json", {"Over": evalplus_record(humaneval=120.0)})
    with pytest.raises(DataError, match="percentage from 0 to 100, got 120"):
        import_file(over, as_of=AS_OF)

    no_scores = write_json(tmp_path / "n.json", {"X": {"size": 7}})
    with pytest.raises(DataError, match=r"record 'X': 'pass@1' is NoneType, expected"):
        import_file(no_scores, kind="evalplus", as_of=AS_OF)


def test_bad_lmarena_files(tmp_path: Path) -> None:
    path = write_json(tmp_path / "lb.json", {"coding": {"m": {"rating": 1000, "rating_q025": 990}}})
    with pytest.raises(DataError, match=r"coding record 'm': no 'rating_q975'"):
        import_file(path, as_of=AS_OF)
    good = write_json(
        tmp_path / "ok.json",
        {"full": {"m": {"rating": 1000, "rating_q025": 990, "rating_q975": 1010}}},
    )
    with pytest.raises(DataError, match="no category 'coding'") as info:
        import_file(good, as_of=AS_OF, categories=["coding"])
    assert info.value.hint == "the file has: full"


def test_bad_price_entry_names_the_index(tmp_path: Path) -> None:
    entry = {"name": "X", "model_api_name": "x-1", "input_token_price": "cheap"}
    path = write_json(tmp_path / "prices.json", [{"model_api_name": "ok"}, entry])
    with pytest.raises(DataError, match=r"prices\.json: entry 1 \(x-1\): expected a number"):
        import_file(path, as_of=AS_OF)
    nameless = write_json(tmp_path / "p2.json", [{"model_api_name": " "}])
    with pytest.raises(DataError, match="entry 0: 'model_api_name' is missing"):
        import_file(nameless, kind="lmarena-prices", as_of=AS_OF)


def test_unknown_content_and_wrong_kind(tmp_path: Path) -> None:
    odd = write_json(tmp_path / "odd.json", {"a": 1})
    with pytest.raises(DataError, match="cannot tell what kind") as info:
        import_file(odd)
    assert info.value.hint is not None and "evalplus" in info.value.hint
    lb = write_json(tmp_path / "lb.json", {"coding": {}})
    with pytest.raises(DataError, match="unknown catalog file kind 'elo'"):
        import_file(lb, kind="elo", as_of=AS_OF)
    prices = write_json(tmp_path / "p.json", [{"model_api_name": "m"}])
    with pytest.raises(DataError, match="the top level is list, expected"):
        import_file(prices, kind="evalplus", as_of=AS_OF)
    with pytest.raises(DataError, match="cannot read"):
        import_file(tmp_path / "missing.json")
    latin = tmp_path / "latin1.csv"
    latin.write_bytes(
        "model,field,value,source,as_of\nm,organization,Zürich AG,s,2025\n".encode("latin-1")
    )
    with pytest.raises(DataError, match=r"latin1\.csv: byte \d+: not UTF-8 text"):
        import_file(latin)


def test_result_summary_is_json_ready(boards: Path) -> None:
    result = import_file(boards / PRICES, as_of=AS_OF)
    data = json.loads(json.dumps(result.as_dict()))
    assert data["kind"] == "lmarena-prices" and data["records"] == 141
    assert len(data["facts"]) == len(result.facts) and len(data["skipped"]) == 8
    assert {"name": "o3-mini", "key": "o3-mini", "rule": "canonical"} in data["resolutions"]

"""The catalog: conflicting facts are kept, the newest answers, and nothing is averaged."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from catalog_helpers import write_json

from codejury.catalog import Catalog, Fact, ModelEntry, import_file, spec_for
from codejury.catalog.fields import coerce
from codejury.errors import DataError

KEY = "qwen2.5-coder-32b-instruct"


def test_conflicting_sources_are_both_kept_and_the_newest_answers() -> None:
    old = Fact(KEY, "humaneval.pass@1", 92.1, "EvalPlus leaderboard", "2024-12-26")
    new = Fact(KEY, "humaneval.pass@1", 90.2, "a blog, Together AI", "2025-04-11")
    catalog = Catalog([new, old])  # insertion order must not matter across dates
    assert catalog.get(KEY, "humaneval.pass@1") == new
    assert catalog.value(KEY, "humaneval.pass@1") == 90.2  # not 91.15: never averaged
    assert catalog.conflicts(KEY, "humaneval.pass@1") == [new, old]
    assert catalog.facts(KEY, "humaneval.pass@1") == [new, old]


def test_equal_dates_go_to_the_fact_added_last_and_agreement_is_no_conflict() -> None:
    first = Fact(KEY, "price.input_per_m", 0.8, "builtin", "2025-01-01")
    mine = Fact(KEY, "price.input_per_m", 0.7, "my import", "2025-01-01")
    catalog = Catalog([first])
    catalog.add(mine)
    assert catalog.get(KEY, "price.input_per_m") == mine
    same = Fact(KEY, "organization", "Alibaba", "a", "2025-01-01")
    catalog.add(same)
    catalog.add(Fact(KEY, "organization", "Alibaba", "b", "2024-01-01"))
    assert catalog.conflicts(KEY, "organization") == []
    # A month-precision date counts as the earliest day of that month.
    catalog.add(Fact(KEY, "organization", "Qwen team", "c", "2025-01"))
    assert catalog.value(KEY, "organization") == "Alibaba"


def test_adding_the_same_fact_twice_is_a_no_op() -> None:
    fact = Fact(KEY, "open_weights", True, "s", "2025-01-01")
    catalog = Catalog()
    assert catalog.add(fact) is True
    assert catalog.add(Fact(KEY, "open_weights", True, "s", "2025-01-01")) is False
    assert len(catalog) == 1
    other = Catalog([fact, Fact(KEY, "open_weights", False, "t", "2025-02-01")])
    assert catalog.update(other) == 1 and len(catalog) == 2


def test_model_entries_merge_aliases_and_keep_a_real_display_name() -> None:
    catalog = Catalog([Fact("m", "open_weights", True, "s", "2025")])
    assert catalog.model("m") == ModelEntry("m", "m")  # bare entry made by the fact
    catalog.add_model(ModelEntry("m", "Model M", {"evalplus": ("M (Jan)",)}))
    catalog.add_model(ModelEntry("m", "Another name", {"evalplus": ("M-1",), "csv": ("m1",)}))
    entry = catalog.model("m")
    assert entry is not None and entry.display_name == "Model M"
    assert entry.aliases == {"csv": ("m1",), "evalplus": ("M (Jan)", "M-1")}


def test_as_dict_round_trips_through_json() -> None:
    catalog = Catalog(
        [
            Fact(KEY, "humaneval+.pass@1", 87.2, "EvalPlus", "2024-12-26", note="greedy"),
            Fact(KEY, "open_weights", True, "EvalPlus", "2024-12-26"),
            Fact(KEY, "release_date", "2024-11-12", "blog", "2024-11-12"),
        ],
        [ModelEntry(KEY, "Qwen2.5-Coder-32B-Instruct", {"evalplus": ("Qwen2.5-Coder-32B",)})],
    )
    data = json.loads(json.dumps(catalog.as_dict()))
    again = Catalog.from_dict(data)
    assert list(again) == list(catalog) and again.models() == catalog.models()
    assert data["facts"][0] == {
        "model": KEY,
        "field": "humaneval+.pass@1",
        "value": 87.2,
        "source": "EvalPlus",
        "as_of": "2024-12-26",
        "kind": "public",
        "note": "greedy",
    }


def test_from_dict_rejects_facts_without_source_or_date() -> None:
    fact = {"model": "m", "field": "open_weights", "value": True, "source": "s", "as_of": "2025"}
    for key, bad in (("source", ""), ("as_of", "last week"), ("value", "maybe"), ("field", "x")):
        with pytest.raises(DataError, match=r"c\.json: facts\[0\]"):
            Catalog.from_dict({"facts": [{**fact, key: bad}]}, "c.json")


def test_field_specs_and_coercion() -> None:
    assert spec_for("humaneval+.pass@1") is not None
    assert spec_for("livecodebench.pass@10") is not None
    assert spec_for("arena.hard_6.q975") is not None
    assert spec_for("arena.coding.elo") is None and spec_for("HumanEval.pass@1") is None
    assert coerce("open_weights", "Yes") is True and coerce("open_weights", "0") is False
    assert coerce("price.input_per_m", "0.15") == 0.15
    for field, raw in (
        ("price.output_per_m", "-1"),
        ("humaneval.pass@1", "nan"),
        ("parameters_b", True),
        ("release_date", "2024-13-01"),
        ("organization", "  "),
    ):
        with pytest.raises(ValueError):
            coerce(field, raw)


def test_csv_format_and_its_errors(tmp_path: Path) -> None:
    path = tmp_path / "facts.csv"
    path.write_text(
        "model,field,value,source,as_of,note\n"
        "# a comment, with commas\n"
        "\n"
        'acme-7b,humaneval+.pass@1,71.3,"data sheet, v2",2025-05-02,vendor run\n'
        "gpt-4o-2024-08-06,price.input_per_m,2.5,https://openai.com/api/pricing/,2025-06,\n",
        encoding="utf-8",
    )
    result = import_file(path)
    assert result.kind == "csv" and result.records == 2
    assert result.unmatched == ["acme-7b"]
    assert result.resolutions["gpt-4o-2024-08-06"].rule == "key"
    first = result.facts[0]
    assert (first.model, first.value, first.source, first.note) == (
        "csv:acme-7b",
        71.3,
        "data sheet, v2",
        "vendor run",
    )
    assert result.facts[1].note is None and result.facts[1].as_of == "2025-06"

    cases = {
        "model,field,value,source\n": "line 1: the header is",
        "model,field,value,source,as_of\nm,humaneval.pass@1,,s,2025\n": "line 2: empty value",
        "model,field,value,source,as_of\n\nm,speed,3,s,2025\n": "line 3: unknown field 'speed'",
        "model,field,value,source,as_of\nm,open_weights,yes,s,May 2025\n": "line 2: as_of:",
        "model,field,value,source,as_of\nm,parameters_b,7,s,2025,extra\n": "line 2: 6 cells",
    }
    for text, message in cases.items():
        path.write_text(text, encoding="utf-8")
        with pytest.raises(DataError, match=message):
            import_file(path, kind="csv")


def test_csv_ignores_source_and_as_of_arguments_with_a_warning(tmp_path: Path) -> None:
    path = tmp_path / "f.csv"
    path.write_text("model,field,value,source,as_of\nm,open_weights,true,s,2025-01-01\n")
    result = import_file(path, source="x", as_of="2020-01-01")
    assert result.facts[0].source == "s" and result.facts[0].as_of == "2025-01-01"
    assert any("ignored" in w for w in result.warnings)


def test_reimporting_the_same_file_adds_nothing(tmp_path: Path) -> None:
    path = write_json(
        tmp_path / "lb.json", {"coding": {"m": {"rating": 1, "rating_q025": 0, "rating_q975": 2}}}
    )
    catalog = Catalog()
    assert catalog.update(import_file(path, as_of="2025-01-01").to_catalog()) == 3
    assert catalog.update(import_file(path, as_of="2025-01-01").to_catalog()) == 0

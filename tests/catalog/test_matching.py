"""Name matching: explicit lines and exact rules only; unmatched names are listed, not merged."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from catalog_helpers import evalplus_record, write_json

from codejury.catalog import Catalog, Fact, ModelEntry, NameMapping, import_file, normalise
from codejury.catalog.builtin import builtin_mapping
from codejury.catalog.matching import Matcher, mapping_line
from codejury.errors import ConfigError

AS_OF = "2025-02-01"


def reference() -> Catalog:
    """A small catalog: two GPT-4o snapshots and one EvalPlus-only model."""
    return Catalog(
        [
            Fact("gpt-4o-2024-08-06", "humaneval.pass@1", 92.7, "s", "2024-12-26"),
            Fact("gpt-4o-2024-05-13", "humaneval.pass@1", 90.2, "s", "2024-06-01"),
        ],
        [
            ModelEntry(
                "gpt-4o-2024-08-06", "GPT-4o (Aug 2024)", {"evalplus": ("GPT 4o (Aug 2024)",)}
            ),
            ModelEntry("gpt-4o-2024-05-13", "GPT-4o (May 2024)"),
            ModelEntry("evalplus:Code-13B", "Code-13B", {"evalplus": ("Code-13B",)}),
        ],
    )


def test_normalise_applies_only_the_documented_exact_rules() -> None:
    assert normalise("  Meta-Llama/Llama-3.1-8B-Instruct ") == "llama-3.1-8b-instruct"
    assert normalise("openai/GPT   4o\tMini") == "gpt 4o mini"
    assert normalise("ＧＰＴ-4") == "gpt-4"  # NFKC folds full-width letters
    # No fuzzy rule: punctuation, versions and word order stay significant.
    assert normalise("gpt-4o") != normalise("gpt 4o")
    assert normalise("GPT-4o-mini") != normalise("GPT-4o")


def test_unmatched_names_are_listed_with_suggestions_but_never_merged(tmp_path: Path) -> None:
    path = write_json(
        tmp_path / "results.json",
        {"GPT 4o (May 2025)": evalplus_record(93.0, None), "Code-13B": evalplus_record(56.0)},
    )
    result = import_file(path, as_of=AS_OF, reference=reference())
    assert result.unmatched == ["GPT 4o (May 2025)"]
    suggestions = result.suggestions["GPT 4o (May 2025)"]
    assert {"gpt-4o-2024-05-13", "gpt-4o-2024-08-06"} <= set(suggestions)
    assert len(suggestions) == 3  # the third is a built-in mapping target: GPT-4 (May 2023)
    unmatched = result.resolutions["GPT 4o (May 2025)"]
    assert (unmatched.key, unmatched.rule, unmatched.matched) == (
        "evalplus:GPT 4o (May 2025)",
        "new",
        False,
    )
    # Its facts live under their own key: nothing was added to the suggested model.
    keys = {fact.model for fact in result.facts if fact.value == 93.0}
    assert keys == {"evalplus:GPT 4o (May 2025)"}
    merged = reference()
    merged.update(result.to_catalog())
    assert [f.value for f in merged.facts("gpt-4o-2024-08-06", "humaneval.pass@1")] == [92.7]
    assert merged.value("evalplus:GPT 4o (May 2025)", "humaneval.pass@1") == 93.0
    assert result.resolutions["Code-13B"].rule == "mapping"  # a built-in line


def test_a_user_mapping_line_accepts_a_suggestion(tmp_path: Path) -> None:
    path = write_json(tmp_path / "results.json", {"GPT 4o (May 2025)": evalplus_record(93.0)})
    first = import_file(path, as_of=AS_OF, reference=reference())
    assert "gpt-4o-2024-08-06" in first.suggestions["GPT 4o (May 2025)"]
    line = first.accept_line("GPT 4o (May 2025)", "gpt-4o-2024-08-06")
    assert line == '[evalplus]\n"GPT 4o (May 2025)" = "gpt-4o-2024-08-06"'
    mapping_file = tmp_path / "mine.toml"
    mapping_file.write_text(line + "\n", encoding="utf-8")
    again = import_file(
        path, as_of=AS_OF, reference=reference(), mapping=NameMapping.load(mapping_file)
    )
    assert again.unmatched == []
    assert again.resolutions["GPT 4o (May 2025)"].rule == "mapping"
    assert {fact.model for fact in again.facts} == {"gpt-4o-2024-08-06"}


def test_user_lines_win_over_builtin_lines() -> None:
    mine = NameMapping.parse('[evalplus]\n"Code-13B" = "ajibawa/code-13b"\n', "mine.toml")
    layered = mine.over(builtin_mapping())
    assert layered.sections["evalplus"]["Code-13B"] == "ajibawa/code-13b"
    assert layered.sections["evalplus"]["GPT 4o (Aug 2024)"] == "gpt-4o-2024-08-06"
    assert layered.origins[0] == "mine.toml"


def test_exact_rules_in_order() -> None:
    mapping = NameMapping.parse('[csv]\n"House GPT" = "gpt-4o-2024-08-06"\n', "m.toml")
    matcher = Matcher(mapping, reference())
    names = [
        "House GPT",  # explicit line
        "house  gpt",  # the same line after normalising
        "gpt-4o-2024-05-13",  # exactly a known key
        "openai/GPT-4o-2024-05-13",  # a known key after normalising ... but see below
        "Code-13B",  # an alias of the evalplus source only: not this source's
    ]
    report = matcher.resolve("csv", names)
    rules = {name: (res.key, res.rule) for name, res in report.resolutions.items()}
    assert rules["gpt-4o-2024-05-13"] == ("gpt-4o-2024-05-13", "key")
    assert rules["Code-13B"] == ("csv:Code-13B", "new")
    # "House GPT" is an explicit line, so it keeps the key; "house  gpt" reached the same key
    # only through normalising, in the same file, so it is refused rather than merged. The
    # same holds for the prefixed spelling of a key another name of this file already uses.
    assert rules["House GPT"] == ("gpt-4o-2024-08-06", "mapping")
    assert rules["house  gpt"] == ("csv:house  gpt", "new")
    assert rules["openai/GPT-4o-2024-05-13"] == ("csv:openai/GPT-4o-2024-05-13", "new")
    assert len(report.warnings) == 2 and all("explicit mapping" in w for w in report.warnings)

    alone = matcher.resolve("csv", ["house  gpt", "openai/GPT-4o-2024-05-13"])
    assert alone.resolutions["house  gpt"].rule == "mapping-normalised"
    assert alone.resolutions["openai/GPT-4o-2024-05-13"].rule == "key-normalised"
    assert alone.resolutions["openai/GPT-4o-2024-05-13"].key == "gpt-4o-2024-05-13"
    assert matcher.resolve("evalplus", ["code-13b"]).resolutions["code-13b"].rule == (
        "key-normalised"
    )


def test_ambiguous_normalised_names_stay_unmatched() -> None:
    known = Catalog(models=[ModelEntry("Model-X", "X"), ModelEntry("model-x", "x")])
    report = Matcher(NameMapping(), known).resolve("csv", ["MODEL-X"])
    assert report.unmatched == ["MODEL-X"]
    assert set(report.suggestions["MODEL-X"]) == {"Model-X", "model-x"}


def test_lmarena_names_are_canonical_keys() -> None:
    report = Matcher(builtin_mapping(), reference()).resolve(
        "lmarena", ["gpt-4o-2024-08-06", "gpt-9-preview"]
    )
    assert report.resolutions["gpt-4o-2024-08-06"].rule == "canonical"
    assert report.resolutions["gpt-9-preview"].key == "gpt-9-preview"
    assert report.unmatched == ["gpt-9-preview"]


def test_builtin_mapping_follows_the_hand_made_table(boards: Path) -> None:
    """Certain rows of model_selection_table.csv are linked; those with a note are not."""
    lines = builtin_mapping().sections["evalplus"]
    with (boards / "model_selection_table.csv").open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert len(lines) == len(rows) == 125  # every EvalPlus name has a reviewed line
    certain = {
        r["model"]: r["arena_key"] for r in rows if r["arena_key"] and not r["arena_match_note"]
    }
    noted = [r["model"] for r in rows if r["arena_match_note"]]
    assert len(certain) == 34 and len(noted) == 5
    assert all(lines[name] == key for name, key in certain.items())
    assert all(lines[name] == f"evalplus:{name}" for name in noted)
    linked = {name for name, key in lines.items() if not key.startswith("evalplus:")}
    assert linked - set(certain) == {"CodeLlama-70B-Instruct"}


def test_mapping_file_errors_name_the_file_and_line() -> None:
    with pytest.raises(ConfigError, match=r"m\.toml: not valid TOML") as info:
        NameMapping.parse('[evalplus]\n"A" = \n', "m.toml")
    assert info.value.hint is not None and '"Source Name" = "canonical-key"' in info.value.hint
    with pytest.raises(ConfigError, match=r"\[evalplus\] 'gpt-4' became a table"):
        NameMapping.parse('[evalplus]\ngpt-4.1 = "gpt-4.1-2025-04-14"\n', "m.toml")
    with pytest.raises(ConfigError, match="the target must be a canonical key"):
        NameMapping.parse('[csv]\n"A" = " padded "\n', "m.toml")
    with pytest.raises(ConfigError, match="must be a \\[section\\]"):
        NameMapping.parse('"A" = "a"\n', "m.toml")


def test_mapping_line_quotes_any_name() -> None:
    line = mapping_line("csv", 'odd "name"\\ 名', "k")
    assert NameMapping.parse(line, "x").sections == {"csv": {'odd "name"\\ 名': "k"}}

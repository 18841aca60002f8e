"""The built-in catalog: offline, fast, every fact sourced and dated, reproducible from shared."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest
from catalog_helpers import ARENA, EVALPLUS, PRICES

from codejury.catalog import Catalog, import_file
from codejury.catalog.builtin import FACTS_FILE, _builtin_parts, data_file, loads_catalog
from codejury.catalog.fields import check_date, coerce
from codejury.errors import DataError

REPO = Path(__file__).resolve().parents[2]
SCRIPT = REPO / "scripts" / "build_catalog.py"
EVALPLUS_SOURCE = "evalplus/evalplus.github.io@87418456 results.json"
ARENA_SOURCE = "lmarena/arena-catalog@c9558b60 data/leaderboard-text.json"


@pytest.fixture(scope="module")
def builtin() -> Catalog:
    return Catalog.builtin()


def test_loads_offline_in_well_under_a_second() -> None:
    _builtin_parts.cache_clear()  # measure the cold path: read, parse, check every fact
    start = time.perf_counter()
    catalog = Catalog.builtin()
    cold = time.perf_counter() - start
    start = time.perf_counter()
    Catalog.builtin()
    warm = time.perf_counter() - start
    assert len(catalog) > 4000 and len(catalog.models()) > 390
    # Measured about 0.015 s cold and 0.003 s warm; the bound leaves room for a busy machine.
    assert cold < 0.5, f"cold load took {cold:.3f} s"
    assert warm < 0.25, f"warm load took {warm:.3f} s"


def test_every_fact_has_a_source_and_a_date(builtin: Catalog) -> None:
    for fact in builtin:
        assert fact.source.strip() and fact.kind == "public"
        assert check_date(fact.as_of) == fact.as_of
        assert coerce(fact.field, fact.value) == fact.value
    assert all(builtin.model(fact.model) is not None for fact in builtin)


def test_builtin_holds_the_shared_leaderboards(builtin: Catalog) -> None:
    def models(field: str, source: str) -> set[str]:
        return {f.model for f in builtin.facts(field=field) if f.source == source}

    assert len(models("humaneval.pass@1", EVALPLUS_SOURCE)) == 125
    assert len(models("humaneval+.pass@1", EVALPLUS_SOURCE)) == 125
    assert len(models("arena.coding.rating", ARENA_SOURCE)) == 278
    assert len(models("arena.full.rating", ARENA_SOURCE)) == 282
    assert {f.field.split(".")[1] for f in builtin.facts() if f.field.startswith("arena.")} == {
        "coding",
        "full",
    }
    assert len({f.model for f in builtin.facts(field="price.input_per_m")}) == 131
    gpt4o = builtin.get("gpt-4o-2024-08-06", "price.input_per_m")
    assert gpt4o is not None and gpt4o.value == 2.5 and "d69a57f" in gpt4o.source
    mbpp = builtin.get("gpt-4o-2024-08-06", "mbpp+.pass@1")
    assert mbpp is not None and mbpp.note is not None and "378" in mbpp.note


def test_seed_figures_carry_the_articles(builtin: Catalog) -> None:
    scores = builtin.facts("qwen2.5-coder-32b-instruct", "humaneval.pass@1")
    by_source = Counter(fact.source.split(",")[0] for fact in scores)
    assert by_source == {"Tinge": 2, "evalplus/evalplus.github.io@87418456 results.json": 1}
    assert sorted(f.value for f in scores) == [90.2, 92.1, 92.7]
    assert {f.note for f in scores if f.source.startswith("Tinge")} == {
        "measured by the author with EvalPlus (greedy) through the Groq API",
        "measured by the author with EvalPlus (greedy) through the Together AI API",
    }
    assert builtin.value("deepseek-r1", "parameters_b") == 671.0
    assert builtin.value("deepseek-r1", "active_parameters_b") == 37.0
    maverick = builtin.get("llama-4-maverick-17b-128e-instruct", "parameters_b")
    assert maverick is not None and maverick.value == 400.0 and "约" in (maverick.note or "")
    release = builtin.get("gpt-4o-2024-05-13", "release_date")
    assert release is not None and release.value == "2024-05-13"
    assert release.as_of == "2024-12-04" and "Broekx" in release.source
    # Undated seed tables are not evidence; nothing comes from them.
    assert not [f for f in builtin if re.search(r"seeds/00[123]_", f.source)]
    # "DeepSeek-Chat (V3)" may be V3 or V3-0324 on that date: kept apart from both.
    assert builtin.value("seeds:DeepSeek-Chat", "humaneval.pass@1") == 93.9
    for key in ("deepseek-v3", "deepseek-v3-0324"):
        assert all(f.source == EVALPLUS_SOURCE for f in builtin.facts(key, "humaneval.pass@1"))


def test_shared_files_import_against_builtin_without_unmatched_names(boards: Path) -> None:
    for name, rule in ((EVALPLUS, "mapping"), (ARENA, "canonical"), (PRICES, "canonical")):
        result = import_file(boards / name, as_of="2025-12-31")
        assert result.unmatched == [], name
        assert {res.rule for res in result.resolutions.values()} == {rule}, name


def test_generator_reproduces_the_committed_file(shared_root: Path, tmp_path: Path) -> None:
    out = tmp_path / "facts.json"
    run = subprocess.run(
        [sys.executable, str(SCRIPT), "--shared", str(shared_root), "--out", str(out)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert run.returncode == 0, run.stderr
    assert out.read_bytes() == Path(str(data_file(FACTS_FILE))).read_bytes()
    check = subprocess.run(
        [sys.executable, str(SCRIPT), "--shared", str(shared_root), "--check"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert check.returncode == 0, check.stderr


def test_generator_refuses_inputs_that_are_not_the_pinned_ones(
    shared_root: Path, tmp_path: Path
) -> None:
    copy = tmp_path / "shared"
    shutil.copytree(shared_root / "data" / "leaderboards", copy / "data" / "leaderboards")
    shutil.copytree(shared_root / "seeds", copy / "seeds")
    evalplus = copy / "data" / "leaderboards" / EVALPLUS
    evalplus.chmod(0o644)
    evalplus.write_text(evalplus.read_text().replace("81.7", "99.9", 1))
    run = subprocess.run(
        [sys.executable, str(SCRIPT), "--shared", str(copy), "--out", str(tmp_path / "f.json")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert run.returncode == 2
    assert "is not the pinned" in run.stderr and not (tmp_path / "f.json").exists()


def test_a_damaged_builtin_file_is_reported_with_its_record() -> None:
    text = data_file(FACTS_FILE).read_text("utf-8")
    row = '["gpt-4o-2024-08-06", "humaneval+.pass@1", 87.2,'
    damaged = text.replace(row, row.replace("87.2", '"87%"'), 1)
    assert damaged != text
    with pytest.raises(
        DataError, match=r"facts\.json: groups\[\d+\]\.facts\[\d+\] \(gpt-4o-2024-08-06\): expected"
    ):
        loads_catalog(damaged, FACTS_FILE)
    with pytest.raises(DataError, match="not a codejury-catalog/1 file"):
        loads_catalog("{}", FACTS_FILE)


def test_the_documented_csv_example_imports(tmp_path: Path) -> None:
    doc = (REPO / "docs" / "catalog.md").read_text(encoding="utf-8")
    example = re.search(r"```csv\n(.*?)```", doc, re.DOTALL)
    assert example is not None
    path = tmp_path / "example.csv"
    path.write_text(example.group(1), encoding="utf-8")
    result = import_file(path)
    assert result.records == 4 and result.unmatched == ["acme-coder-7b"]

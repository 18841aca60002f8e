#!/usr/bin/env python3
"""Generate the built-in catalog, ``src/codejury/data/catalog/facts.json``, from ../shared.

Usage::

    python scripts/build_catalog.py [--shared ../shared] [--out FILE] [--check]

Inputs (each pinned by sha256; a changed file stops the script so nobody ships facts under the
wrong source and date):

* ``data/leaderboards/evalplus_leaderboard_results.json``: HumanEval(+)/MBPP(+) pass@1,
  activated size (-> open weights), prompted, open-data, link.
* ``data/leaderboards/lmarena_leaderboard-text.json``: Arena ``coding`` and ``full`` ratings.
* ``data/leaderboards/lmarena_scatterplot-data.json``: prices, organization, license.
* ``data/leaderboards/lmsys_leaderboard_table_20250511.csv``: organization, license,
  knowledge cutoff, link, kept only for models the other files name.
* ``data/leaderboards/model_selection_table.csv``: only the prices it took from an older
  commit of the price file (its ``price_record`` column), e.g. GPT-4o 2024-08-06.
* ``seeds/004_*.txt`` (Tinge, 2025-04-11): the HumanEval/HumanEval+ results table and the
  parameter counts in the model sections. ``seeds/000_*.txt`` (Broekx, 2024-12-04): GPT-4o's
  release date. The other seeds give no date or no source for their figures (see
  ``EXCLUDED_SEEDS``), so nothing is taken from them.

Names are linked only through ``src/codejury/data/catalog/mapping.toml``: every EvalPlus and
seed name must have a line there, or the script stops and lists the missing ones.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import json
import re
import sys
from dataclasses import replace
from decimal import Decimal
from pathlib import Path

from codejury.catalog import importers
from codejury.catalog.builtin import FACTS_FILE, builtin_mapping, data_file, dumps_catalog
from codejury.catalog.importers import ParsedFile, RawFact, SourceInfo
from codejury.catalog.importing import ImportResult, link
from codejury.catalog.matching import CANONICAL_NAMESPACE, Matcher
from codejury.catalog.models import Catalog

ROOT = Path(__file__).resolve().parents[1]
BOARDS = "data/leaderboards"
EVALPLUS = f"{BOARDS}/evalplus_leaderboard_results.json"
ARENA = f"{BOARDS}/lmarena_leaderboard-text.json"
PRICES = f"{BOARDS}/lmarena_scatterplot-data.json"
LMSYS = f"{BOARDS}/lmsys_leaderboard_table_20250511.csv"
SELECTION = f"{BOARDS}/model_selection_table.csv"
SEED_TINGE = "seeds/004_67177c8f3e971388.txt"
SEED_BROEKX = "seeds/000_1dda99d19b989465.txt"

# path -> (sha256, source recorded on the facts, as_of). Commits and dates are those in
# ../shared/data/README.md; arena-catalog's dates were checked in its git history.
INPUTS: dict[str, tuple[str, str, str]] = {
    EVALPLUS: (
        "e6837dc3b94f32cb1da0ced012e52edc4a722007b684df5b63da029bbd3b46d2",
        "evalplus/evalplus.github.io@87418456 results.json",
        "2024-12-26",
    ),
    ARENA: (
        "4cb32421ec8c03f991f0fbd006f31685b9cda47c25fc64e38e98966348dd9f3a",
        "lmarena/arena-catalog@c9558b60 data/leaderboard-text.json",
        "2025-12-11",
    ),
    PRICES: (
        "f701c65e781e2c6062a05a6a908bfcc889488999f9230e320de83dd241668a8c",
        "lmarena/arena-catalog@c9558b60 data/scatterplot-data.json",
        "2025-12-17",
    ),
    LMSYS: (
        "680c3afc0e2ffc521f1702a8b82e885c23df9ff0f75f4aea1989f3005f580e25",
        "utterstep/chatbot-arena-leaderbord-vis@a21b3241 leaderboard_table_20250511.csv "
        "(copy of the Hugging Face space lmarena-ai/chatbot-arena-leaderboard)",
        "2025-05-11",
    ),
    SELECTION: (
        "a76d0effd184744bc97b80178d56647dc91d83c3456c878eecf1db3305359406",
        "derived table (see shared/data/README.md); used only for the prices it took from "
        "older commits of the price file, whose facts name that commit",
        "see each fact",
    ),
    SEED_TINGE: (
        "6c6c2ef0268e48b4d1a0f26d87bd6b7bfe8af2f8bfb007a5690ebaffcc537173",
        "Tinge, “LLM 代码生成评估第一部分：HumanEval 基准测试”, 2025-04-11 "
        "(shared/seeds/004_67177c8f3e971388.txt)",
        "2025-04-11",
    ),
    SEED_BROEKX: (
        "614fa917ade33d50759f0f50291b0ebde09bd6276aca8feb843a4ad3321b219a",
        "Ruben Broekx, “LLMs for Coding in 2024: Performance, Pricing, and the Battle for the "
        "Best”, Towards Data Science, 2024-12-04, https://towardsdatascience.com/"
        "llms-for-coding-in-2024-performance-pricing-and-the-battle-for-the-best-fba9a38597b6 "
        "(Chinese translation: shared/seeds/000_1dda99d19b989465.txt)",
        "2024-12-04",
    ),
}

EXCLUDED_SEEDS = {
    "seeds/001_9f29e46b6ba725f1.txt": "wiki table with no date and no source per figure; "
    "it has evident errors (Mistral Large HumanEval 4.1) and a parameter column in mixed units",
    "seeds/002_e1e5f803062918d2.txt": "no figures, only a decision framework",
    "seeds/003_2542b2cdf0768121.txt": "undated tutorial; its comparison and cost tables are "
    "illustrations without a source",
}

ARENA_CATEGORIES = ("coding", "full")
# Older arena-catalog commits named in model_selection_table.csv's price_record -> commit date.
PRICE_COMMITS = {"d69a57f": "2025-02-05"}
EVALPLUS_NOTES = {
    "humaneval": "EvalPlus leaderboard: pass@1, greedy decoding",
    "humaneval+": "EvalPlus leaderboard: pass@1, greedy decoding, HumanEval+ v0.1.10",
    "mbpp": "EvalPlus leaderboard: pass@1, greedy decoding; the page says 399 MBPP tasks, "
    "MBPP+ v0.2.0 has 378",
    "mbpp+": "EvalPlus leaderboard: pass@1, greedy decoding, MBPP+ v0.2.0 (378 tasks; "
    "the page says 399)",
}
SIZE_CAVEATS = {"gemma-1.1-2b-it": "as EvalPlus publishes it; the model's name says 2B"}
# Seed 004's model sections (#### headings) -> the name its results table uses for that model.
TINGE_SECTIONS = {
    "DeepSeek-Chat (V3)": "DeepSeek-Chat",
    "DeepSeek-Reasoner (R1)": "DeepSeek-Reasoner",
    "Llama 4-Maverick": "llama4-maverick",
    "Llama 4-Scout": "llama4-scout",
    "Qwen2.5-coder-32B-Instruct": "Qwen-2.5-Coder-32B-Instruct",
}
BROEKX_RELEASE = ("GPT-4o 自 5 月 13 日发布以来", "GPT-4o", "2024-05-13")


class BuildError(Exception):
    """The inputs are not the pinned ones, or a name has no mapping line."""


def build(shared: Path) -> str:
    """Return the text of facts.json built from the files under ``shared``."""
    files = {rel: _read_pinned(shared, rel) for rel in INPUTS}
    info = {rel: SourceInfo(src, day) for rel, (_, src, day) in INPUTS.items() if rel != SELECTION}
    prices = importers.parse_lmarena_prices(json.loads(files[PRICES]), PRICES, info[PRICES])
    arena = importers.parse_lmarena(json.loads(files[ARENA]), ARENA, info[ARENA], ARENA_CATEGORIES)
    evalplus = _with_evalplus_notes(
        importers.parse_evalplus(json.loads(files[EVALPLUS]), EVALPLUS, info[EVALPLUS])
    )
    lmsys = importers.parse_lmsys_table(files[LMSYS], LMSYS, info[LMSYS])
    results = {
        name: _link(parsed)
        for name, parsed in (
            ("prices", prices),
            ("arena", arena),
            ("evalplus", evalplus),
            ("older prices", _older_prices(files[SELECTION])),
            ("seeds", _seed_facts(files[SEED_TINGE], files[SEED_BROEKX], info)),
            ("lmsys", lmsys),
        )
    }
    named = {fact.model for name, res in results.items() if name != "lmsys" for fact in res.facts}
    lmsys_result = results["lmsys"]
    lmsys_result.facts = [fact for fact in lmsys_result.facts if fact.model in named]
    lmsys_result.models = [entry for entry in lmsys_result.models if entry.key in named]
    catalog = Catalog()
    # The first real display name a model gets is kept: LMArena's price file names models
    # best ("GPT-4o mini"), then the LMSYS table, then EvalPlus.
    for name in ("prices", "lmsys", "arena", "evalplus", "older prices", "seeds"):
        catalog.update(results[name].to_catalog())
    header = {
        "generated_by": "scripts/build_catalog.py",
        "inputs": {
            rel: {"sha256": sha, "source": src, "as_of": day}
            for rel, (sha, src, day) in INPUTS.items()
        },
        "excluded_seeds": EXCLUDED_SEEDS,
    }
    return dumps_catalog(catalog, header)


def _read_pinned(shared: Path, rel: str) -> str:
    raw = (shared / rel).read_bytes()
    digest = hashlib.sha256(raw).hexdigest()
    if digest != INPUTS[rel][0]:
        raise BuildError(
            f"{shared / rel}: sha256 {digest} is not the pinned {INPUTS[rel][0]}; "
            "update INPUTS (source and date too) only after checking the new file"
        )
    return raw.decode("utf-8")


def _link(parsed: ParsedFile) -> ImportResult:
    result = link(Path(parsed.kind), parsed, Matcher(builtin_mapping(), Catalog()), parsed.kind)
    if parsed.namespace != CANONICAL_NAMESPACE:
        loose = [n for n, res in result.resolutions.items() if res.rule != "mapping"]
        if loose:
            raise BuildError(f"[{parsed.namespace}] names without a line in mapping.toml: {loose}")
    return result


def _with_evalplus_notes(parsed: ParsedFile) -> ParsedFile:
    facts = []
    for raw in parsed.facts:
        benchmark = raw.field.removesuffix(".pass@1")
        if raw.field.endswith(".pass@1") and benchmark in EVALPLUS_NOTES:
            raw = replace(raw, note=EVALPLUS_NOTES[benchmark])
        elif raw.field == "active_parameters_b" and raw.name in SIZE_CAVEATS:
            raw = replace(raw, note=SIZE_CAVEATS[raw.name])
        facts.append(raw)
    parsed.facts = facts
    return parsed


def _older_prices(text: str) -> ParsedFile:
    parsed = ParsedFile("older prices", "evalplus")
    for row in csv.DictReader(text.splitlines()):
        record = row["price_record"]
        if not record or record.startswith("arena-catalog@c9558b6"):
            continue  # current prices come from the price file itself
        match = re.fullmatch(r"arena-catalog@([0-9a-f]{7}) (data/scatterplot-data\.json)", record)
        if match is None or match.group(1) not in PRICE_COMMITS:
            raise BuildError(f"{SELECTION}: unknown price_record {record!r}; add its date")
        source = f"lmarena/arena-catalog@{match.group(1)} {match.group(2)} (the commit named "
        source += "by model_selection_table.csv's price_record)"
        note = f"price source: {row['price_source']}"
        for column, fact_field in (
            ("price_input_usd_per_1m", "price.input_per_m"),
            ("price_output_usd_per_1m", "price.output_per_m"),
        ):
            value = float(row[column])
            day = PRICE_COMMITS[match.group(1)]
            parsed.facts.append(RawFact(row["model"], fact_field, value, source, day, note))
        parsed.records += 1
    return parsed


def _seed_facts(tinge: str, broekx: str, info: dict[str, SourceInfo]) -> ParsedFile:
    parsed = ParsedFile("seeds", "seeds")
    parsed.facts += _tinge_scores(tinge, info[SEED_TINGE])
    parsed.facts += _tinge_parameters(tinge, info[SEED_TINGE])
    quote, name, release = BROEKX_RELEASE
    if quote not in broekx:
        raise BuildError(f"{SEED_BROEKX}: the quoted sentence {quote!r} is gone")
    note = f"the article (2024-12-04) says “{quote}” (released on May 13)"
    b_info = info[SEED_BROEKX]
    parsed.facts.append(RawFact(name, "release_date", release, b_info.source, b_info.as_of, note))
    parsed.records = len({raw.name for raw in parsed.facts})
    return parsed


def _tinge_scores(text: str, info: SourceInfo) -> list[RawFact]:
    facts = []
    for name, server, scores in _tinge_table(text):
        note = f"measured by the author with EvalPlus (greedy) through the {server} API"
        for fact_field, cell in zip(("humaneval.pass@1", "humaneval+.pass@1"), scores, strict=True):
            if not re.fullmatch(r"0?\.\d+|1(\.0+)?", cell):
                print(f"  skipped seed 004 row {name!r}: {fact_field} is {cell!r}", file=sys.stderr)
                continue
            value = float(Decimal(cell) * 100)  # the table gives fractions; the field is percent
            facts.append(RawFact(name, fact_field, value, info.source, info.as_of, note))
    return facts


def _tinge_parameters(text: str, info: SourceInfo) -> list[RawFact]:
    facts = []
    for heading, body in _sections(text):
        if heading not in TINGE_SECTIONS:
            continue  # DeepCoder: its results row has no figures, so it is left out entirely
        name = TINGE_SECTIONS[heading]
        total = re.search(r"总参数量\*\*：(约 )?(\d+(?:\.\d+)?)B", body)
        active = re.search(r"活跃参数\*\*：(\d+(?:\.\d+)?)B", body)
        if total is None:
            raise BuildError(f"{SEED_TINGE}: no total parameter count under {heading!r}")
        note = "approximate: the article says 约 (about)" if total.group(1) else None
        value = float(total.group(2))
        facts.append(RawFact(name, "parameters_b", value, info.source, info.as_of, note))
        if active is not None:
            value = float(active.group(1))
            facts.append(RawFact(name, "active_parameters_b", value, info.source, info.as_of))
    return facts


def _tinge_table(text: str) -> list[tuple[str, str, tuple[str, str]]]:
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("| 模型 | API 服务器 |"))
    rows = []
    for line in lines[start + 2 :]:
        if not line.startswith("|"):
            break
        cells = [cell.strip() for cell in line.strip("|").split("|")]
        name = re.sub(r"\(\*\)$", "", cells[0]).strip()
        rows.append((name, cells[1], (cells[2], cells[3])))
    return rows


def _sections(text: str) -> list[tuple[str, str]]:
    parts = re.split(r"^#### (?:[a-z]\. )?\*\*(.+?)\*\*\s*$", text, flags=re.MULTILINE)
    return [(parts[i], parts[i + 1]) for i in range(1, len(parts) - 1, 2)]


def main(argv: list[str] | None = None) -> int:
    """Build facts.json; with --check, only compare with the committed file."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shared", type=Path, default=ROOT.parent / "shared")
    parser.add_argument("--out", type=Path, default=Path(str(data_file(FACTS_FILE))))
    parser.add_argument("--check", action="store_true", help="fail if --out is out of date")
    args = parser.parse_args(argv)
    try:
        text = build(args.shared)
    except (BuildError, OSError) as exc:
        print(f"build_catalog: {exc}", file=sys.stderr)
        return 2
    if args.check:
        current = args.out.read_text("utf-8") if args.out.exists() else ""
        if current != text:
            print(f"build_catalog: {args.out} is out of date; run the script", file=sys.stderr)
            return 1
        print(f"{args.out} is up to date")
        return 0
    args.out.write_text(text, "utf-8")
    catalog_size = text.count("\n")
    print(f"wrote {args.out} ({len(text.encode()):,} bytes, {catalog_size:,} lines)")
    return 0


if __name__ == "__main__":
    sys.exit(main())

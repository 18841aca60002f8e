#!/usr/bin/env python3
"""Rebuild ``src/codejury/data/prices.toml`` from the public data in ``../shared/data``.

Only sourced figures go in: every price is copied from a file whose origin is recorded in
``shared/data/README.md``, and keeps the ``price_source`` that file gives for it.

Inputs:
- ``leaderboards/lmarena_scatterplot-data.json``: lmarena/arena-catalog at commit c9558b6,
  ``data/scatterplot-data.json``; prices in USD per 1M tokens, each with ``price_source``.
  Text-to-image models (priced per image, not per token) and entries without a price or
  without a source are left out.
- ``leaderboards/model_selection_table.csv``: prices for 10 models, each naming the
  arena-catalog commit it was read from (``price_record``). Figures that disagree with the
  newer file stop the build; a model only found in an older commit is added with that
  commit's date.

References are ``<organization prefix>/<model_api_name>``; aliases are the short names the
providers document for a dated model (e.g. ``gpt-4o-mini`` for ``gpt-4o-mini-2024-07-18``).

Usage:
    python3 scripts/build_price_catalog.py            # write the catalog
    python3 scripts/build_price_catalog.py --check    # exit 1 if the committed file differs
"""

from __future__ import annotations

import argparse
import csv
import json
import re
import sys
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DEFAULT_DATA = REPO.parent / "shared" / "data" / "leaderboards"
DEFAULT_OUTPUT = REPO / "src" / "codejury" / "data" / "prices.toml"

# Dates of the arena-catalog commits the prices were read from. c9558b6 is the snapshot in
# shared/data; its data/scatterplot-data.json was last changed on 2025-12-17 (a7ae862), so
# that is the day these figures were last confirmed. d69a57f (2025-02-05) is where
# model_selection_table.csv found gpt-4o-2024-08-06, which the newer file no longer lists.
# Both dates: `git log -1 --format=%ad <commit> -- data/scatterplot-data.json`.
COMMIT_DATES = {"c9558b6": "2025-12-17", "d69a57f": "2025-02-05"}
SNAPSHOT = "c9558b6"

PREFIXES = {
    "01 AI": "01-ai",
    "AI2": "ai2",
    "Alibaba": "alibaba",
    "Amazon": "amazon",
    "Anthropic": "anthropic",
    "Baidu": "baidu",
    "Cohere": "cohere",
    "DeepSeek": "deepseek",
    "Google": "google",
    "Mai AI": "mai",
    "Meituan": "meituan",
    "Meta": "meta",
    "Microsoft": "microsoft",
    "Mistral": "mistral",
    "Moonshot": "moonshot",
    "NexusFlow": "nexusflow",
    "OpenAI": "openai",
    "StepFun": "stepfun",
    "Tencent": "tencent",
    "xAI": "xai",
    "Z.ai": "zai",
}

# Text-to-image models: their "token" prices are USD per image (shared/data/README.md).
IMAGE_MODELS = frozenset(
    {
        "dall-e-3",
        "flux-1-dev-fp8",
        "flux-1.1-pro",
        "ideogram-v2",
        "imagen-3.0-generate-002",
        "photon",
        "recraft-v3",
        "stable-diffusion-v35-large",
    }
)

_OPENAI_MODELS = "https://platform.openai.com/docs/models/"
_ANTHROPIC_MODELS = "https://docs.anthropic.com/en/docs/about-claude/models/overview"
# Short names the providers' model pages list as pointing at a dated snapshot. Only
# aliases that pointed at the same snapshot throughout the catalog's dates are listed;
# moving aliases (chatgpt-4o-latest, deepseek-chat) are left out on purpose.
ALIASES = {
    "openai/gpt-4o-mini": ("openai/gpt-4o-mini-2024-07-18", _OPENAI_MODELS + "gpt-4o-mini"),
    "openai/gpt-4o": ("openai/gpt-4o-2024-08-06", _OPENAI_MODELS + "gpt-4o"),
    "openai/o1": ("openai/o1-2024-12-17", _OPENAI_MODELS + "o1"),
    "openai/o3": ("openai/o3-2025-04-16", _OPENAI_MODELS + "o3"),
    "openai/o4-mini": ("openai/o4-mini-2025-04-16", _OPENAI_MODELS + "o4-mini"),
    "openai/gpt-4.1": ("openai/gpt-4.1-2025-04-14", _OPENAI_MODELS + "gpt-4.1"),
    "openai/gpt-4.1-mini": ("openai/gpt-4.1-mini-2025-04-14", _OPENAI_MODELS + "gpt-4.1-mini"),
    "openai/gpt-4.1-nano": ("openai/gpt-4.1-nano-2025-04-14", _OPENAI_MODELS + "gpt-4.1-nano"),
    "anthropic/claude-3-5-haiku-latest": ("anthropic/claude-3-5-haiku-20241022", _ANTHROPIC_MODELS),
    "anthropic/claude-3-5-sonnet-latest": (
        "anthropic/claude-3-5-sonnet-20241022",
        _ANTHROPIC_MODELS,
    ),
    "anthropic/claude-3-7-sonnet-latest": (
        "anthropic/claude-3-7-sonnet-20250219",
        _ANTHROPIC_MODELS,
    ),
    "anthropic/claude-3-opus-latest": ("anthropic/claude-3-opus-20240229", _ANTHROPIC_MODELS),
    "anthropic/claude-sonnet-4-5": ("anthropic/claude-sonnet-4-5-20250929", _ANTHROPIC_MODELS),
    "anthropic/claude-haiku-4-5": ("anthropic/claude-haiku-4-5-20251001", _ANTHROPIC_MODELS),
    "anthropic/claude-opus-4-1": ("anthropic/claude-opus-4-1-20250805", _ANTHROPIC_MODELS),
    "anthropic/claude-opus-4-5": ("anthropic/claude-opus-4-5-20251101", _ANTHROPIC_MODELS),
}


@dataclass(frozen=True)
class Entry:
    """One catalog row before it is written."""

    ref: str
    name: str
    input: float
    output: float
    source: str
    as_of: str
    via: str


def reference(organization: str, model_api_name: str) -> str:
    """``<prefix>/<model_api_name>``; an organization missing from PREFIXES stops the build."""
    if organization not in PREFIXES:
        raise SystemExit(f"no reference prefix for organization {organization!r}: add it")
    return f"{PREFIXES[organization]}/{model_api_name}"


def _price(value: object) -> float | None:
    text = str(value).strip()
    return float(text) if text else None


def _sourced(source: object) -> bool:
    return isinstance(source, str) and source.strip().lower() not in ("", "n/a", "none")


def from_scatterplot(path: Path) -> tuple[dict[str, Entry], list[str]]:
    """Priced, sourced text models of the arena-catalog file; also the names left out, why."""
    entries: dict[str, Entry] = {}
    skipped: list[str] = []
    for row in json.loads(path.read_text(encoding="utf-8")):
        api_name = row["model_api_name"]
        price_in, price_out = _price(row["input_token_price"]), _price(row["output_token_price"])
        if api_name in IMAGE_MODELS:
            skipped.append(f"{api_name}: text-to-image, priced per image")
        elif price_in is None or price_out is None:
            skipped.append(f"{api_name}: no price")
        elif not _sourced(row.get("price_source")):
            skipped.append(f"{api_name}: price has no source ({row.get('price_source')!r})")
        else:
            ref = reference(row["organization"], api_name)
            if ref in entries:
                raise SystemExit(f"{path}: {ref} listed twice")
            entries[ref] = Entry(
                ref=ref,
                name=row["name"],
                input=price_in,
                output=price_out,
                source=row["price_source"].strip(),
                as_of=COMMIT_DATES[SNAPSHOT],
                via=f"lmarena/arena-catalog@{SNAPSHOT} data/scatterplot-data.json",
            )
    unused = IMAGE_MODELS - {row["model_api_name"] for row in json.loads(path.read_text())}
    if unused:
        raise SystemExit(f"IMAGE_MODELS names models the data no longer has: {sorted(unused)}")
    return entries, skipped


def merge_selection_table(path: Path, entries: dict[str, Entry]) -> list[str]:
    """Check model_selection_table.csv against ``entries`` and add what only it has."""
    added: list[str] = []
    with path.open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            if not row["price_record"]:
                continue
            match = re.fullmatch(
                r"arena-catalog@(\w+) data/scatterplot-data\.json", row["price_record"]
            )
            if not match or match.group(1) not in COMMIT_DATES:
                raise SystemExit(f"{path}: unknown price_record {row['price_record']!r}")
            commit = match.group(1)
            ref = reference(row["arena_organization"], row["arena_key"])
            price_in = _price(row["price_input_usd_per_1m"])
            price_out = _price(row["price_output_usd_per_1m"])
            if price_in is None or price_out is None or not _sourced(row["price_source"]):
                raise SystemExit(f"{path}: {ref} has a price_record but no sourced price")
            if ref in entries:
                known = entries[ref]
                if (known.input, known.output) != (price_in, price_out):
                    raise SystemExit(f"{path}: {ref} disagrees with the arena-catalog file")
                continue
            entries[ref] = Entry(
                ref=ref,
                name=row["model"],
                input=price_in,
                output=price_out,
                source=row["price_source"].strip(),
                as_of=COMMIT_DATES[commit],
                via=f"lmarena/arena-catalog@{commit} data/scatterplot-data.json "
                "(via shared/data/leaderboards/model_selection_table.csv)",
            )
            added.append(ref)
    return added


def _quote(text: str) -> str:
    # JSON string escapes (ASCII only) are valid TOML basic-string escapes.
    return json.dumps(text, ensure_ascii=True)


def render(entries: dict[str, Entry]) -> str:
    """The catalog file's text, entries sorted by reference."""
    for alias, (target, _) in ALIASES.items():
        if target not in entries or alias in entries:
            raise SystemExit(f"alias {alias} -> {target}: target unpriced or alias is a model")
    out = [
        "# Model prices, USD per 1M tokens. GENERATED by scripts/build_price_catalog.py from",
        "# ../shared/data/leaderboards (see its README.md); edit the script, not this file.",
        "# Each entry: input/output price, where the figure comes from (source), the date it was",
        "# last confirmed there (as_of) and the data file codejury read it from (via).",
        '# Override or add prices in codejury.toml: [prices."<reference>"] or [models.<name>].',
        "",
    ]
    for ref in sorted(entries):
        entry = entries[ref]
        out += [
            f"[prices.{_quote(ref)}]",
            f"name = {_quote(entry.name)}",
            f"input = {entry.input!r}",
            f"output = {entry.output!r}",
            f"as_of = {_quote(entry.as_of)}",
            f"source = {_quote(entry.source)}",
            f"via = {_quote(entry.via)}",
            "",
        ]
    out += ["# Short names the providers document for a dated model.", "[aliases]"]
    for alias in sorted(ALIASES):
        target, source = ALIASES[alias]
        out.append(f"{_quote(alias)} = {{ target = {_quote(target)}, source = {_quote(source)} }}")
    return "\n".join(out) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="shared/data/leaderboards")
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT)
    parser.add_argument("--check", action="store_true", help="compare instead of writing")
    args = parser.parse_args(argv)
    entries, skipped = from_scatterplot(args.data / "lmarena_scatterplot-data.json")
    added = merge_selection_table(args.data / "model_selection_table.csv", entries)
    text = render(entries)
    if args.check:
        same = args.output.is_file() and args.output.read_text(encoding="utf-8") == text
        print(f"{args.output}: {'up to date' if same else 'OUT OF DATE'}")
        return 0 if same else 1
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(text, encoding="utf-8")
    print(f"wrote {args.output}: {len(entries)} models, {len(ALIASES)} aliases")
    print(f"from model_selection_table.csv only: {', '.join(added) or 'none'}")
    for line in skipped:
        print(f"  left out {line}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

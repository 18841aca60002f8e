"""``codejury catalog import FILE`` and ``codejury catalog show [MODEL]``: public evidence.

Imports are kept in the store (runs of kind ``catalog``, see :mod:`codejury.catalog.stored`)
beside the user's own runs, so ``codejury report`` uses them with the built-in catalog.
"""

from __future__ import annotations

import difflib
import json
from collections import Counter
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from codejury.catalog import KINDS, Catalog, ImportResult, NameMapping, detect_kind, import_file
from codejury.catalog.stored import (
    combined_catalog,
    file_sha256,
    save_import,
    stored_imports,
)
from codejury.cli import app
from codejury.config import load_settings
from codejury.errors import DataError
from codejury.store import Store

catalog_app = typer.Typer(
    help="Public evidence: import leaderboards and price lists, show what is known.",
    no_args_is_help=True,
)
app.add_typer(catalog_app, name="catalog")

DbOption = Annotated[str | None, typer.Option(help="Store path or URL (default: $CODEJURY_DB).")]
ConfigOption = Annotated[Path | None, typer.Option(help="codejury.toml to read.")]
JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON.")]
MAX_SUGGESTED = 50
"""Unmatched names printed with their suggestions (the JSON output has all)."""


@catalog_app.command("import")
def import_command(
    file: Annotated[
        Path,
        typer.Argument(help="EvalPlus results.json, LMArena JSON, an LMSYS table or a facts CSV."),
    ],
    kind: Annotated[
        str | None,
        typer.Option(help=f"One of: {', '.join(KINDS)} (default: detected from the content)."),
    ] = None,
    as_of: Annotated[
        str | None, typer.Option("--as-of", help="Date of the data (YYYY[-MM[-DD]]).")
    ] = None,
    mapping: Annotated[
        Path | None,
        typer.Option(help="Your mapping file (TOML) linking source names to catalog keys."),
    ] = None,
    source: Annotated[
        str | None, typer.Option(help="Source recorded on the facts (default: file name and hash).")
    ] = None,
    category: Annotated[
        list[str] | None,
        typer.Option(help="LMArena categories to keep (repeatable; default: all)."),
    ] = None,
    db: DbOption = None,
    config: ConfigOption = None,
    as_json: JsonOption = False,
) -> None:
    """Import a public leaderboard or price list into the catalog the report uses."""
    settings = load_settings(config).with_flags(db=db)
    user_mapping = NameMapping.load(mapping) if mapping is not None else None
    sha256 = file_sha256(file)
    with Store.open(settings.db) as store:
        detected = kind or detect_kind(file)
        # Names are linked against everything known except the import this one replaces.
        reference = combined_catalog(store, excluding=(sha256, detected))
        result = import_file(
            file,
            detected,
            mapping=user_mapping,
            reference=reference,
            source=source,
            as_of=as_of,
            categories=category,
        )
        options = {
            "as_of": as_of,
            "source": source,
            "mapping": None if mapping is None else str(mapping),
            "categories": category,
        }
        saved, replaced = save_import(store, result, sha256, options)
    if as_json:
        typer.echo(
            json.dumps(
                {"run_id": saved.run_id, "replaces": [r.run_id for r in replaced]}
                | _summary(result)
            )
        )
        return
    _print_import(Console(), result, saved.run_id, [r.run_id for r in replaced], mapping)


@catalog_app.command("show")
def show_command(
    model: Annotated[
        str | None, typer.Argument(help="A catalog key; omit for the catalog's sources.")
    ] = None,
    db: DbOption = None,
    config: ConfigOption = None,
    as_json: JsonOption = False,
) -> None:
    """What the catalog knows: its sources, or every fact about one model."""
    settings = load_settings(config).with_flags(db=db)
    with Store.open(settings.db) as store:
        catalog = combined_catalog(store)
        imports = stored_imports(store)
    if model is None:
        _show_sources(catalog, imports, as_json)
        return
    entry = catalog.model(model)
    if entry is None:
        keys = [e.key for e in catalog.models()]
        close = difflib.get_close_matches(model, keys, n=5, cutoff=0.5)
        raise DataError(
            f"the catalog has no model {model!r}",
            hint=(f"close keys: {', '.join(close)}" if close else "run `codejury catalog show`")
            + "; keys are LMArena's model keys",
        )
    facts = catalog.facts(model=model)
    if as_json:
        typer.echo(json.dumps({"model": entry.as_dict(), "facts": [f.as_dict() for f in facts]}))
        return
    console = Console()
    console.print(f"[bold]{entry.display_name}[/] ({entry.key})", highlight=False)
    for ns, names in entry.aliases.items():
        console.print(f"  known in {ns} as: {', '.join(names)}", highlight=False)
    table = Table()
    for column in ("field", "value", "source", "as of", "note"):
        table.add_column(column, overflow="fold")
    for field in catalog.fields(model):
        conflicting = catalog.conflicts(model, field)
        for i, fact in enumerate(catalog.facts(model, field)):
            mark = "" if i == 0 else ("(older, disagrees)" if conflicting else "(older)")
            table.add_row(
                field if i == 0 else "",
                f"{fact.value} {mark}".strip(),
                fact.source,
                fact.as_of,
                fact.note or "",
            )
    console.print(table)


# --- output ------------------------------------------------------------------------------------


def _summary(result: ImportResult) -> dict[str, Any]:
    data = result.as_dict()
    data.pop("facts")
    data.pop("models")
    data["facts"] = len(result.facts)
    data["models"] = len(result.models)
    data["mapping_lines"] = {
        name: [result.accept_line(name, key) for key in keys]
        for name, keys in result.suggestions.items()
    }
    return data


def _print_import(
    console: Console,
    result: ImportResult,
    run_id: str,
    replaced: list[str],
    mapping: Path | None,
) -> None:
    def say(text: str) -> None:
        console.print(text, highlight=False, markup=False, soft_wrap=True)

    say(
        f"imported {result.path} ({result.kind}): {result.records:,} records -> "
        f"{len(result.facts):,} facts on {len(result.models):,} models (run {run_id[:12]})"
    )
    rules = Counter(res.rule for res in result.resolutions.values())
    say(
        "linked: "
        + ", ".join(
            f"{n} unmatched (kept under keys of their own)" if rule == "new" else f"{n} by {rule}"
            for rule, n in rules.most_common()
        )
    )
    if replaced:
        say(
            f"replaces the earlier import of the same file: run {', '.join(r[:12] for r in replaced)}"
        )
    for warning in result.warnings:
        say(f"warning: {warning}")
    if result.skipped:
        say(f"skipped {len(result.skipped)} records on purpose (e.g. {result.skipped[0]})")
    if not result.unmatched:
        say("every name was linked to a known model")
        return
    target = str(mapping) if mapping is not None else "a mapping file (e.g. my-mapping.toml)"
    n = len(result.unmatched)
    say(
        f"{n} {'name' if n == 1 else 'names'} matched no known model; their facts are kept under "
        f"keys of their own ('{result.namespace}:<name>'). Suggestions are never applied: to "
        f"link a name, add its line to {target} and import again with --mapping."
    )
    for name in result.unmatched[:MAX_SUGGESTED]:
        keys = result.suggestions.get(name, [])
        if not keys:
            say(f"  {name!r}: no close key")
            continue
        say(f"  {name!r}: maybe {', '.join(keys)}; to accept the first, add:")
        for line in result.accept_line(name, keys[0]).splitlines():
            say(f"      {line}")
    if len(result.unmatched) > MAX_SUGGESTED:
        say(f"  ... and {len(result.unmatched) - MAX_SUGGESTED} more (see --json)")


def _show_sources(catalog: Catalog, imports: list[Any], as_json: bool) -> None:
    groups: Counter[tuple[str, str]] = Counter((f.source, f.as_of) for f in catalog.facts())
    if as_json:
        typer.echo(
            json.dumps(
                {
                    "models": len(catalog.models()),
                    "facts": len(catalog),
                    "sources": [
                        {"source": s, "as_of": d, "facts": n} for (s, d), n in groups.most_common()
                    ],
                    "imports": [i.as_dict() for i in imports],
                }
            )
        )
        return
    console = Console()
    console.print(f"{len(catalog):,} facts on {len(catalog.models()):,} models", highlight=False)
    table = Table(title="sources")
    for column in ("source", "as of", "facts"):
        table.add_column(column, overflow="fold")
    for (source, as_of), n in groups.most_common():
        table.add_row(source, as_of, f"{n:,}")
    console.print(table)
    if imports:
        table = Table(title="your imports (codejury catalog import)")
        for column in ("run", "imported", "file", "kind", "facts", "unmatched"):
            table.add_column(column, overflow="fold")
        for i in imports:
            table.add_row(
                i.run_id[:12],
                i.created_at[:10],
                i.path,
                i.kind,
                f"{i.facts:,}",
                str(len(i.unmatched)),
            )
        console.print(table)

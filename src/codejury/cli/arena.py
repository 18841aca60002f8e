"""``codejury arena serve | add | voters | import | export`` (and ``ratings``, ``judge``).

The web app itself lives in :mod:`codejury.arena.web`; this module only wires settings, the
store and uvicorn together, and the offline commands around the same store.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from codejury.arena.pool import add_runs
from codejury.arena.ratelimit import RateLimit
from codejury.arena.votes import IMPORTED, export_records, read_records, to_imported
from codejury.cli import app
from codejury.config import Settings, load_settings
from codejury.errors import ConfigError
from codejury.store import Store

arena_app = typer.Typer(
    help="The blind side-by-side arena: voting app, ratings, LLM judge, FastChat import/export.",
    no_args_is_help=True,
)
app.add_typer(arena_app, name="arena")
voters_app = typer.Typer(help="Invite and list arena voters.", no_args_is_help=True)
arena_app.add_typer(voters_app, name="voters")

DbOption = Annotated[str | None, typer.Option(help="Store path or URL (default: $CODEJURY_DB).")]
ConfigOption = Annotated[Path | None, typer.Option(help="codejury.toml to read.")]
DataDirOption = Annotated[
    Path | None, typer.Option(help="Directory with the dataset files (prompt texts).")
]


def settings_for(config: Path | None, db: str | None, data_dir: Path | None = None) -> Settings:
    """Settings from codejury.toml and the environment, with the command's flags on top."""
    return load_settings(config).with_flags(db=db, data_dir=data_dir)


@arena_app.command("serve")
def serve(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=0, max=65535, help="Port to listen on.")] = 8000,
    votes_per_minute: Annotated[
        float, typer.Option(min=0.0, help="Sustained votes per voter per minute (0: no limit).")
    ] = 30.0,
    burst: Annotated[int, typer.Option(min=1, help="Votes a voter may cast at once.")] = 10,
    show_tests: Annotated[
        bool, typer.Option("--show-tests/--hide-tests", help="Show each answer's test results.")
    ] = False,
    refresh: Annotated[
        float, typer.Option(min=0.0, help="Seconds between refits that choose the pairs.")
    ] = 10.0,
    data_dir: DataDirOption = None,
    db: DbOption = None,
    config: ConfigOption = None,
) -> None:
    """Run the voting web app (one process; stop it with Ctrl-C)."""
    import uvicorn

    from codejury.arena.web import ArenaConfig, create_app

    settings = settings_for(config, db, data_dir)
    store = Store.open(settings.db)
    try:
        err = Console(stderr=True)
        if not store.arena.voters.has_admin():
            name = "admin"
            while store.arena.voters.by_name(name) is not None:
                name += "_"
            _voter, token = store.arena.voters.add(name, "admin")
            err.print(
                f"No admin yet: created voter [bold]{name}[/] (admin). Invitation token, shown "
                f"once:\n  {token}\n  http://{host}:{port}/login?token={token}",
                highlight=False,
            )
        arena_config = ArenaConfig(
            vote_limit=RateLimit(votes_per_minute, burst),
            show_tests=show_tests,
            refresh_s=refresh,
            data_dir=settings.data_dir,
        )
        web = create_app(store, arena_config)
        err.print(f"codejury arena on http://{host}:{port}/ (store: {store.location})")
        uvicorn.run(web, host=host, port=port, log_level="warning", workers=1)
    finally:
        store.close()


@arena_app.command("add")
def add(
    runs: Annotated[list[str], typer.Argument(help="Eval run ids (or unique prefixes).")],
    data_dir: DataDirOption = None,
    db: DbOption = None,
    config: ConfigOption = None,
) -> None:
    """Add the answers of eval runs to the arena's pool."""
    settings = settings_for(config, db, data_dir)
    with Store.open(settings.db) as store:
        report = add_runs(store, runs, settings.data_dir)
    pairs = ", ".join(f"{r[:12]} ({m})" for r, m in zip(report.runs, report.models, strict=True))
    typer.echo(
        f"added {report.added} answers from {pairs}; {report.flagged} name a model and are "
        f"kept out of battles; {report.skipped} failed or empty generations skipped"
    )


@voters_app.command("add")
def voters_add(
    name: Annotated[str, typer.Argument(help="The voter's display name.")],
    admin: Annotated[bool, typer.Option("--admin", help="May manage the arena.")] = False,
    url: Annotated[
        str, typer.Option(help="Where the arena is served, for the invitation link.")
    ] = "http://127.0.0.1:8000",
    db: DbOption = None,
    config: ConfigOption = None,
) -> None:
    """Invite a voter; prints their invitation token (shown only once)."""
    settings = settings_for(config, db)
    with Store.open(settings.db) as store:
        voter, token = store.arena.voters.add(name, "admin" if admin else "voter")
    typer.echo(f"voter {voter.name} ({voter.role}) invited; token (shown once): {token}")
    typer.echo(f"{url.rstrip('/')}/login?token={token}")


@voters_app.command("list")
def voters_list(
    db: DbOption = None,
    config: ConfigOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Every voter with their role and vote count."""
    settings = settings_for(config, db)
    with Store.open(settings.db) as store:
        voters = store.arena.voters.all()
        counts = {v.id: store.arena.battles.counts(v.id)["votes"] for v in voters}
    if as_json:
        rows = [
            {"id": v.id, "name": v.name, "role": v.role, "active": v.active, "votes": counts[v.id]}
            for v in voters
        ]
        typer.echo(json.dumps(rows))
        return
    table = Table()
    for column in ("name", "role", "status", "votes", "id"):
        table.add_column(column)
    for v in voters:
        status = "active" if v.active else "disabled"
        table.add_row(v.name, v.role, status, str(counts[v.id]), v.id[:12])
    Console().print(table)


@arena_app.command("import")
def import_votes(
    file: Annotated[Path, typer.Argument(help="FastChat clean-battle JSON (list or lines).")],
    source: Annotated[str, typer.Option(help="Source label of these votes.")] = IMPORTED,
    db: DbOption = None,
    config: ConfigOption = None,
) -> None:
    """Import FastChat "clean battle" votes (importing the same file twice adds nothing)."""
    if not source or source == "human" or source.startswith("judge"):
        raise ConfigError(
            f"--source {source!r} is reserved",
            hint="use a label of your own, e.g. --source lmarena",
        )
    records = read_records(file)
    battles = to_imported(records, str(file), source)
    settings = settings_for(config, db)
    with Store.open(settings.db) as store:
        added = store.arena.add_imported(battles)
    typer.echo(f"imported {added} of {len(battles)} battles from {file} as source {source!r}")


@arena_app.command("export")
def export(
    out: Annotated[
        Path | None, typer.Option("--out", "-o", help="File to write (default: stdout).")
    ] = None,
    source: Annotated[
        list[str] | None,
        typer.Option(help="Sources to export: human (default), judge, judge:M, a label, all."),
    ] = None,
    conversations: Annotated[
        bool,
        typer.Option("--conversations/--no-conversations", help="Include prompt and answers."),
    ] = True,
    db: DbOption = None,
    config: ConfigOption = None,
) -> None:
    """Write votes as FastChat "clean battle" JSON."""
    from codejury.arena.votes import sources_of

    settings = settings_for(config, db)
    with Store.open(settings.db) as store:
        chosen = source or ["human"]
        if "all" in chosen:
            chosen = sources_of(store)
        records = export_records(store, chosen, conversations=conversations)
    text = json.dumps(records, ensure_ascii=False, indent=1)
    if out is None:
        sys.stdout.write(text + "\n")
        return
    out.write_text(text + "\n", encoding="utf-8")
    Console(stderr=True).print(f"wrote {len(records)} battles to {out}", highlight=False)


from codejury.cli import arena_judge as _arena_judge  # noqa: E402,F401  (registers ratings, judge)

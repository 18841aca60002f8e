"""Command-line root: the one place that turns a CodejuryError into a message and exit code."""

from __future__ import annotations

import importlib
import sys

import typer
from rich.console import Console
from rich.markup import escape

from codejury.errors import CodejuryError

app = typer.Typer(
    name="codejury",
    help="Choose the LLM your team writes code with.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
err_console = Console(stderr=True)


def _show_version(value: bool) -> None:
    if value:
        from codejury import __version__

        typer.echo(f"codejury {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(
        False, "--version", callback=_show_version, is_eager=True, help="Print the version."
    ),
) -> None:
    """Choose the LLM your team writes code with."""
    # A root callback also keeps `app` a command group when only one command module is
    # imported (Typer would otherwise run that lone command without its name).


# Command name → the module that defines it (each module adds itself to `app` on import).
COMMAND_MODULES: dict[str, str] = {
    "score": "score",
    "compare": "compare",
    "eval": "evalcmd",
    "runs": "runs",
    "taskeval": "taskeval",
    "arena": "arena",
    "perf": "perf",
    "cost": "cost",
    "select": "select",
    "report": "report",
    "catalog": "catalog",
}


def _register_commands(argv: list[str] | None = None) -> None:
    # Only the invoked command's module is imported: some pull in scipy, SQLAlchemy or the
    # SDKs, and `codejury score` should not pay a second for the arena's imports. Help and
    # unknown commands import them all, so the listing is complete.
    args = sys.argv[1:] if argv is None else argv
    first = next((a for a in args if not a.startswith("-")), None)
    names = [COMMAND_MODULES[first]] if first in COMMAND_MODULES else COMMAND_MODULES.values()
    for name in dict.fromkeys(names):
        importlib.import_module(f"codejury.cli.{name}")


def main(argv: list[str] | None = None) -> int:
    """Run the CLI; user errors become a message on stderr and a non-zero exit code."""
    _register_commands(argv)
    try:
        rv = app(args=argv, standalone_mode=False)
    except CodejuryError as exc:
        # Messages quote files and keys such as [models.x]: not rich markup.
        err_console.print(f"[bold red]error:[/] {escape(exc.message)}", highlight=False)
        if exc.hint:
            err_console.print(f"  [yellow]hint:[/] {escape(exc.hint)}", highlight=False)
        return exc.exit_code
    except KeyboardInterrupt:
        err_console.print("interrupted: finished work was saved; run the same command to resume.")
        return 130
    except typer.Exit as exc:
        return int(exc.exit_code or 0)
    except typer.Abort:
        return 1
    except Exception as exc:
        # Usage errors arrive here in non-standalone mode. Typer may bundle its own click, so
        # recognise them by shape rather than by one click's class.
        show = getattr(exc, "show", None)
        code = getattr(exc, "exit_code", None)
        if callable(show) and isinstance(code, int):
            show()
            return code
        raise
    if rv == 130:  # typer turns Ctrl-C into exit code 130 in non-standalone mode
        err_console.print("interrupted: finished work was saved; run the same command to resume.")
    return rv if isinstance(rv, int) else 0


if __name__ == "__main__":
    sys.exit(main())

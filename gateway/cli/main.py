"""The `gateway` command: serve, check, demo, accounts, residents, secret.

The config file comes from --config PATH, else GATEWAY_CONFIG, else
./config.ini. Every expected failure is one line on stderr and a non-zero
exit code, never a traceback.
"""

from __future__ import annotations

import json
import secrets
import sys
from datetime import date
from pathlib import Path

import click

from .common import EXIT_USAGE, Context, clean_errors, fail


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--config", "config", metavar="PATH", envvar=None,
              help="Plik konfiguracji (domyślnie $GATEWAY_CONFIG lub ./config.ini).")
@click.pass_context
def main(ctx: click.Context, config: str | None) -> None:
    """Portal Obsługi Mieszkańców: administracja i obsługa."""
    if not isinstance(ctx.obj, Context):  # a caller (the tests) may hand in a ready one
        ctx.obj = Context(config)


@main.command()
def secret() -> None:
    """Print a new random secret key for portal.secret_key."""
    click.echo(secrets.token_urlsafe(48))


@main.command()
@click.option("--resident", help="Numer mieszkańca do próby (domyślnie pierwszy z danymi).")
@click.option("--dialect", type=click.Choice(["mssql"]),
              help="Tylko sprawdź pliki zapytań jako T-SQL (SQL Server), bez łączenia z bazą.")
@click.option("--queries", "folder", type=click.Path(file_okay=False, path_type=Path),
              help="Folder z zapytaniami do sprawdzenia (domyślnie portal.queries_dir).")
@click.pass_obj
@clean_errors
def check(obj: Context, resident: str | None, dialect: str | None,
          folder: Path | None) -> None:
    """Run every query in queries/ and validate its columns against its header."""
    from ..ops import run_checks

    if dialect == "mssql":
        from ..billing import check_folder

        folder = folder or obj.app().config["PORTAL_QUERIES_DIR"]
        problems = check_folder(folder)
        for problem in problems:
            click.echo(str(problem))
        click.echo(f"{'FAIL' if problems else 'ok  '} T-SQL: {len(problems)} problem(s) "
                   f"in {folder}")
        sys.exit(1 if problems else 0)
    with obj.app().app_context():
        ok = run_checks(resident, click.echo)
    sys.exit(0 if ok else 1)


@main.command()
@click.pass_obj
@clean_errors
def serve(obj: Context) -> None:
    """Serve the portal with waitress, as configured in [server]."""
    from ..ops import serve as run_server

    run_server(obj.app())


@main.group()
def demo() -> None:
    """The demo billing database."""


@demo.command("build")
@click.option("--premises", default=300, show_default=True, type=click.IntRange(10, 100_000))
@click.option("--years", default=5, show_default=True, type=click.IntRange(1, 30))
@click.option("--seed", default=1, show_default=True, type=int)
@click.option("--until", "until", metavar="YYYY-MM", default=None,
              help="Ostatni miesiąc z danymi (domyślnie poprzedni miesiąc).")
@click.option("--target", metavar="CONNECTION", default=None,
              help="sqlite:PATH lub łańcuch ODBC (domyślnie billing.connection z konfiguracji).")
@click.pass_obj
@clean_errors
def demo_build(obj: Context, premises: int, years: int, seed: int, until: str | None,
               target: str | None) -> None:
    """Generate the demo billing database (deterministic for the same options)."""
    from ..demo.generate import build

    if target is None:
        target = obj.app().config["BILLING_CONNECTION"]
    last = None
    if until:
        try:
            year, month = (int(part) for part in until.split("-"))
            last = date(year, month, 1)
        except ValueError:
            fail("--until: podaj miesiąc jako RRRR-MM", EXIT_USAGE)
    summary = build(target, premises=premises, years=years, seed=seed, until=last,
                    progress=lambda msg: click.echo(msg, err=True))
    click.echo(json.dumps(summary, ensure_ascii=False, default=str, indent=2))


@demo.command("setup")
@click.option("--premises", default=300, show_default=True, type=click.IntRange(10, 100_000))
@click.option("--years", default=5, show_default=True, type=click.IntRange(1, 30))
@click.pass_obj
@clean_errors
def demo_setup(obj: Context, premises: int, years: int) -> None:
    """Make ./config.ini, the demo database and a demo login, ready to serve."""
    from .demo_setup import setup

    setup(obj, premises, years, click.echo)


def _register_subcommands() -> None:
    from .accounts import accounts, residents
    from .demo_tsql import demo_tsql

    main.add_command(accounts)
    main.add_command(residents)
    demo.add_command(demo_tsql)


_register_subcommands()

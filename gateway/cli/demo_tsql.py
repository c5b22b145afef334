"""`gateway demo tsql`: the demo billing database as a script for SQL Server."""

from __future__ import annotations

import os
import secrets
import tempfile
from pathlib import Path

import click

from .common import clean_errors


def _sql_name(ctx: click.Context, param: click.Parameter, value: str) -> str:
    from ..demo.tsql import NAME

    if not NAME.match(value):
        raise click.BadParameter("tylko litery, cyfry i _, do 64 znaków, zaczynając od litery")
    return value


@click.command("tsql")
@click.option("--out", "out", metavar="PLIK", required=True,
              type=click.Path(dir_okay=False, writable=True, path_type=Path),
              help="Plik skryptu T-SQL do zapisania (np. demo-sqlserver.sql).")
@click.option("--premises", default=300, show_default=True, type=click.IntRange(10, 100_000),
              help="Liczba lokali demo.")
@click.option("--years", default=5, show_default=True, type=click.IntRange(1, 30),
              help="Liczba lat danych.")
@click.option("--seed", default=1, show_default=True, type=int)
@click.option("--database", default="SM_DEMO", show_default=True, callback=_sql_name,
              help="Nazwa bazy na SQL Server.")
@click.option("--login", default="portal_ro", show_default=True, callback=_sql_name,
              help="Login portalu (tylko do odczytu).")
@clean_errors
def demo_tsql(out: Path, premises: int, years: int, seed: int, database: str,
              login: str) -> None:
    """Zapisz demo bazy rozliczeniowej jako skrypt T-SQL dla SQL Server (sqlcmd, SSMS)."""
    from ..demo.generate import build
    from ..demo.tsql import write_script

    password = secrets.token_urlsafe(18) + "aA1!"  # meets SQL Server's CHECK_POLICY
    with tempfile.TemporaryDirectory() as folder:
        demo = Path(folder) / "demo.sqlite3"
        build(f"sqlite:{demo}", premises=premises, years=years, seed=seed,
              progress=lambda msg: None)
        # The script holds the login's password: readable by its owner only.
        handle = os.open(out, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with open(handle, "w", encoding="utf-8-sig", newline="\r\n") as script:
            counts = write_script(demo, script, database=database, login=login,
                                  password=password)
    click.echo(f"Zapisano {out}: {sum(counts.values())} wierszy w {len(counts)} tabelach.",
               err=True)
    click.echo(f"Hasło loginu {login} (wpisz je w config.ini): {password}", err=True)
    click.echo("billing.connection = DRIVER={ODBC Driver 18 for SQL Server};"
               f"SERVER=.\\SQLEXPRESS;DATABASE={database};UID={login};PWD={password};"
               "Encrypt=yes;TrustServerCertificate=yes;ApplicationIntent=ReadOnly")

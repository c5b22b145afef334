"""`gateway demo tsql` (issue 21.2): the demo billing database as a T-SQL script that
sqlglot's T-SQL parser reads completely, holding every table and every row."""

from __future__ import annotations

import re
import sqlite3
import stat
from decimal import Decimal
from pathlib import Path

import pytest
import sqlglot
from click.testing import CliRunner
from sqlglot import exp

from gateway.cli import main
from gateway.demo.generate import build
from gateway.demo.tsql import write_script

# What sqlglot reads only as an opaque command: the login's security statements.
SECURITY = (r"CREATE LOGIN \[portal_ro\] WITH PASSWORD = N'Tajne-haslo-1!', CHECK_POLICY = ON",
            r"CREATE USER \[portal_ro\] FOR LOGIN \[portal_ro\]$",
            r"ALTER ROLE db_datareader ADD MEMBER \[portal_ro\]$")


@pytest.fixture(scope="module")
def small_demo(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("tsql") / "demo.sqlite3"
    build(f"sqlite:{path}", premises=12, years=2, seed=3, progress=lambda _: None)
    return path


def statements(script: str) -> list[exp.Expression]:
    batches = [b for b in re.split(r"(?m)^GO\r?$", script) if b.strip()]
    parsed = []
    for batch in batches:  # raises on anything the T-SQL parser cannot read
        parsed += [s for s in sqlglot.parse(batch, read="tsql",
                                            error_level=sqlglot.ErrorLevel.RAISE) if s]
    return parsed


def value(node: exp.Expression) -> str | None:
    if isinstance(node, exp.Null):
        return None
    if isinstance(node, exp.Neg):
        return "-" + str(value(node.this))
    return str(node.this)


def expected(v) -> str | None:
    if v is None:
        return None
    return str(Decimal(repr(v))) if isinstance(v, float) else str(v)


def test_the_script_parses_and_holds_every_table_and_row(small_demo, tmp_path):
    out = tmp_path / "demo.sql"
    with out.open("w", encoding="utf-8") as handle:
        counts = write_script(small_demo, handle, password="Tajne-haslo-1!")
    parsed = statements(out.read_text(encoding="utf-8"))
    source = sqlite3.connect(small_demo)
    tables = [r[0] for r in source.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")]
    created = {s.this.this.name for s in parsed
               if isinstance(s, exp.Create) and s.kind == "TABLE"}
    assert created == set(tables)
    got: dict[str, list[tuple]] = {t: [] for t in tables}
    for s in parsed:
        if isinstance(s, exp.Insert):
            got[s.this.this.name] += [tuple(value(v) for v in row.expressions)
                                      for row in s.expression.expressions]
    for table in tables:
        columns = [c.name for c in next(s for s in parsed if isinstance(s, exp.Create)
                                        and s.this.this.name == table).this.expressions
                   if isinstance(c, exp.ColumnDef)]
        rows = [tuple(expected(v) for v in row) for row in source.execute(
            f"SELECT {', '.join(columns)} FROM {table} ORDER BY rowid")]  # noqa: S608
        assert got[table] == rows, table
        assert counts[table] == len(rows)
    assert sum(map(len, got.values())) > 500
    # Polish text in NVARCHAR, written as N'…'
    osoby = next(s for s in parsed if isinstance(s, exp.Create) and s.this.this.name == "OSOBY")
    assert "NVARCHAR" in osoby.sql("tsql")
    opaque = [c.sql("tsql") for s in parsed for c in s.find_all(exp.Command)]
    assert len(opaque) == len(SECURITY)
    for pattern, text in zip(SECURITY, opaque, strict=True):
        assert re.search(pattern, " ".join(text.split())), text


def test_the_command_writes_a_private_script_and_prints_the_connection(tmp_path):
    out = tmp_path / "demo-sqlserver.sql"
    result = CliRunner().invoke(main, ["demo", "tsql", "--out", str(out), "--premises", "10",
                                       "--years", "1"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    password = re.search(r"Hasło loginu portal_ro \(wpisz je w config.ini\): (\S+)",
                         result.stderr).group(1)
    assert f"PWD={password};" in result.stdout and "ApplicationIntent=ReadOnly" in result.stdout
    text = out.read_text(encoding="utf-8-sig")
    assert f"PASSWORD = N'{password}'" in text
    assert stat.S_IMODE(out.stat().st_mode) == 0o600  # it holds the password
    assert "\r\n" in out.read_bytes().decode("utf-8-sig")  # Notepad and SSMS line ends


@pytest.mark.parametrize("bad", ["SM DEMO", "x];DROP DATABASE y;--", ""])
def test_a_database_name_that_could_break_the_script_is_refused(bad, tmp_path):
    result = CliRunner().invoke(main, ["demo", "tsql", "--out", str(tmp_path / "x.sql"),
                                       "--premises", "10", "--years", "1", "--database", bad])
    assert result.exit_code != 0
    assert "Traceback" not in result.output and "database" in result.output

"""The demo billing database as a T-SQL script, for the admin's own SQL Server.

An admin tries the portal on SQL Server Express before touching the real billing
database: this writes the schema (schema.sql with `NVARCHAR` for Polish text,
`DECIMAL` as it is), every row of a built demo file, the indexes, and a login that
may only read (`db_datareader`), in batches separated by `GO` that SSMS and
`sqlcmd -i` run as they are.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Iterable
from decimal import Decimal
from pathlib import Path
from typing import Any, TextIO

from .loader import read_schema

ROWS_PER_INSERT = 1000  # SQL Server's limit for one VALUES list
NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,63}$")


def _column_types(schema_sql: str) -> str:
    """schema.sql's types as SQL Server wants them for Polish text."""
    out = re.sub(r"\bVARCHAR\(", "NVARCHAR(", schema_sql)
    return re.sub(r"\bINTEGER\b", "INT", out)


def literal(value: Any) -> str:
    """One value as a T-SQL literal (dates are ISO text, read unambiguously by DATE)."""
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return str(Decimal(repr(value)))
    if isinstance(value, Decimal):
        return str(value)
    return "N'" + str(value).replace("'", "''") + "'"


def _batches(rows: Iterable[tuple], size: int) -> Iterable[list[tuple]]:
    batch: list[tuple] = []
    for row in rows:
        batch.append(row)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def write_script(demo_file: Path, out: TextIO, *, database: str = "SM_DEMO",
                 login: str = "portal_ro", password: str) -> dict[str, int]:
    """Write the script for the demo file; returns the rows written per table."""
    for what, name in (("database", database), ("login", login)):
        if not NAME.match(name):
            raise ValueError(f"{what}: tylko litery, cyfry i _, do 64 znaków")
    schema = read_schema()
    quoted_password = password.replace("'", "''")
    out.write(f"""-- The portal's demo billing database for SQL Server (2016 or newer).
-- Run:  sqlcmd -S .\\SQLEXPRESS -E -i demo-sqlserver.sql   (or open it in SSMS, F5)
-- It creates the database {database}, its tables and rows, and the login {login}
-- that may only read it. Change the password below before you run it if you like.
SET NOCOUNT ON;
GO
IF DB_ID(N'{database}') IS NULL CREATE DATABASE [{database}];
GO
USE [{database}];
GO
""")
    counts: dict[str, int] = {}
    source = sqlite3.connect(f"file:{demo_file}?mode=ro", uri=True)
    try:
        for statement in schema.tables:
            table = statement.split()[2].split("(")[0]
            out.write(f"DROP TABLE IF EXISTS {table};\n{_column_types(statement)};\nGO\n")
        for table, columns in schema.columns.items():
            names = ", ".join(columns)
            # table and column names come from schema.sql, not from input
            cursor = source.execute(f"SELECT {names} FROM {table} ORDER BY rowid")  # noqa: S608  # nosec B608
            counts[table] = 0
            for batch in _batches(cursor, ROWS_PER_INSERT):
                values = ",\n".join("(" + ", ".join(literal(v) for v in row) + ")"
                                    for row in batch)
                # values escaped by literal(), names from schema.sql: a script, not a query
                out.write(f"INSERT INTO {table} ({names}) VALUES\n{values};\nGO\n")  # nosec B608
                counts[table] += len(batch)
    finally:
        source.close()
    for statement in schema.indexes:
        out.write(f"{statement};\n")
    # names checked against NAME above, the password's quotes doubled: a script, not a query
    out.write(f"""GO
-- The portal's login: it may read every table of {database} and change nothing.
USE [master];
GO
IF NOT EXISTS (SELECT 1 FROM sys.server_principals WHERE name = N'{login}')
    CREATE LOGIN [{login}] WITH PASSWORD = N'{quoted_password}', CHECK_POLICY = ON,
        DEFAULT_DATABASE = [{database}];
GO
USE [{database}];
GO
IF NOT EXISTS (SELECT 1 FROM sys.database_principals WHERE name = N'{login}')
    CREATE USER [{login}] FOR LOGIN [{login}];
ALTER ROLE db_datareader ADD MEMBER [{login}];
GO
""")  # noqa: S608  # nosec B608
    return counts

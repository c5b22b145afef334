"""Loads generated rows into SQLite or, through ODBC, PostgreSQL / MariaDB.

The connection comes from `gateway.billing.writable()` (the one module that
touches drivers). Tables are created from schema.sql, filled, and only then
indexed. SQLite: one transaction of `executemany`, journal and fsync off.
ODBC: multi-row parameterised `INSERT ... VALUES (?,..),(?,..)` (at most
30000 parameters a statement), committed per batch; pyodbc's
`fast_executemany` measured 20x slower with psqlODBC and ran out of memory
with MariaDB Connector/ODBC, so it is not used.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

SCHEMA_FILE = Path(__file__).with_name("schema.sql")
MAX_PARAMS = 30000
MAX_ROWS_PER_STATEMENT = 1000


@dataclass
class Schema:
    columns: dict[str, list[str]] = field(default_factory=dict)
    tables: list[str] = field(default_factory=list)       # CREATE TABLE statements
    indexes: list[str] = field(default_factory=list)      # CREATE INDEX statements
    index_names: list[str] = field(default_factory=list)


def read_schema(text: str | None = None) -> Schema:
    """Statements end with ';' at the end of a line; '--' starts a comment."""
    if text is None:
        text = SCHEMA_FILE.read_text(encoding="utf-8")
    schema = Schema()
    current: list[str] = []
    for line in text.splitlines():
        line = line.split("--", 1)[0].rstrip()
        if not line.strip():
            continue
        current.append(line)
        if line.endswith(";"):
            statement = "\n".join(current).rstrip(";").strip()
            current = []
            head = statement.split(None, 3)
            if head[:2] == ["CREATE", "TABLE"]:
                name = head[2].split("(")[0]
                body = statement[statement.index("(") + 1:statement.rindex(")")]
                cols = []
                for part in body.splitlines():
                    match = re.match(r"\s*([A-Z_][A-Z0-9_]*)\s", part + " ")
                    if match and match.group(1) not in ("PRIMARY", "CONSTRAINT", "UNIQUE",
                                                        "FOREIGN", "CHECK"):
                        cols.append(match.group(1))
                schema.columns[name] = cols
                schema.tables.append(statement)
            elif head[0] == "CREATE" and "INDEX" in head[1:3]:
                schema.indexes.append(statement)
                schema.index_names.append(statement.split()[2 if head[1] == "INDEX" else 3])
            else:
                raise ValueError(f"unexpected statement in schema.sql: {statement[:60]}")
    return schema


class Loader:
    def __init__(self, conn: Any, schema: Schema, columns: dict[str, tuple[str, ...]]):
        self.conn = conn
        self.schema = schema
        self.columns = columns
        for table, cols in columns.items():
            missing = set(cols) - set(schema.columns.get(table, ()))
            if missing:
                raise ValueError(f"schema.sql lacks {table}.{', '.join(sorted(missing))}")

    def _insert_sql(self, table: str, rows: int) -> str:
        cols = self.columns[table]
        values = "(" + ",".join("?" * len(cols)) + ")"
        # table and column names come from COLUMNS, checked against schema.sql
        head = f"INSERT INTO {table} ({', '.join(cols)}) VALUES "  # noqa: S608  # nosec B608
        return head + ",".join([values] * rows)


class SqliteLoader(Loader):
    def prepare(self) -> None:
        conn = self.conn
        for pragma in ("journal_mode=OFF", "synchronous=OFF", "cache_size=-262144",
                       "locking_mode=EXCLUSIVE"):
            conn.execute(f"PRAGMA {pragma}").fetchall()
        for statement in self.schema.tables:
            conn.execute(statement)
        conn.execute("BEGIN")
        self.sql = {t: self._insert_sql(t, 1) for t in self.columns}

    def insert(self, table: str, rows: list) -> None:
        self.conn.executemany(self.sql[table], rows)

    def finish(self, progress: Callable[[str], None]) -> None:
        self.conn.execute("COMMIT")
        progress("creating indexes")
        for statement in self.schema.indexes:
            self.conn.execute(statement)
        progress("analyzing")
        self.conn.execute("ANALYZE")


class OdbcLoader(Loader):
    def __init__(self, conn: Any, schema: Schema, columns: dict[str, tuple[str, ...]],
                 dialect: str):
        super().__init__(conn, schema, columns)
        self.dialect = dialect

    def _run(self, sql: str, params: list | None = None) -> None:
        cursor = self.conn.cursor()
        if params is None:
            cursor.execute(sql)
        else:
            cursor.execute(sql, params)
        with contextlib.suppress(Exception):  # statements without a result set
            cursor.fetchall()
        cursor.close()

    def prepare(self) -> None:
        if self.dialect == "mariadb":
            cursor = self.conn.cursor()
            charset = str(cursor.execute("SELECT @@character_set_database").fetchone()[0])
            cursor.close()
            if not charset.startswith("utf8"):
                raise ValueError(f"the MariaDB database uses {charset}: create it with "
                                 "CHARACTER SET utf8mb4 for Polish text")
        if self.dialect == "postgresql":
            self._run("SET synchronous_commit TO OFF")
            self._run("SET maintenance_work_mem TO '256MB'")
            self._run("SET client_min_messages TO WARNING")
        for table in reversed(list(self.schema.columns)):
            self._run(f"DROP TABLE IF EXISTS {table}")
        for statement in self.schema.tables:
            self._run(statement)
        self.conn.autocommit = False
        self.per_statement = {t: max(1, min(MAX_ROWS_PER_STATEMENT, MAX_PARAMS // len(c)))
                              for t, c in self.columns.items()}
        self.sql = {t: self._insert_sql(t, self.per_statement[t]) for t in self.columns}
        self.cursor = self.conn.cursor()

    def insert(self, table: str, rows: list) -> None:
        per = self.per_statement[table]
        full = len(rows) - len(rows) % per
        cursor = self.cursor
        for start in range(0, full, per):
            cursor.execute(self.sql[table], [v for row in rows[start:start + per] for v in row])
        rest = rows[full:]
        if rest:
            cursor.execute(self._insert_sql(table, len(rest)), [v for row in rest for v in row])
        self.conn.commit()

    def finish(self, progress: Callable[[str], None]) -> None:
        self.conn.commit()
        self.cursor.close()
        self.conn.autocommit = True
        progress("creating indexes")
        for statement in self.schema.indexes:
            self._run(statement)
        if self.dialect in ("postgresql", "mariadb"):
            progress("analyzing")
            for table in self.columns:
                self._run(f"ANALYZE {table}" if self.dialect == "postgresql"
                          else f"ANALYZE TABLE {table}")

    def abort(self) -> None:
        with contextlib.suppress(Exception):  # the connection may already be gone
            self.conn.rollback()

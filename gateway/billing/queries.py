"""Named SQL: load `queries/*.sql`, check each file, bind `:name` parameters.

A query file holds one SELECT (or WITH … SELECT) and a header:

    -- rent_components: what one premises was charged in one month.
    -- params: resident, premises, date_from, date_to
    -- columns: component text, quantity decimal:3, amount decimal:2

The loader rewrites `:name` to `?` (positional, as pyodbc and sqlite3 want),
refuses anything that is not a read, and refuses a resident-facing query
that is not scoped by `:resident`. Staff queries live in `queries/staff/` and
are a separate QuerySet that only the CLI loads.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

COLUMN_TYPES = {"text", "int", "date", "decimal:0", "decimal:2", "decimal:3", "decimal:4"}
WRITE_WORDS = {
    "INSERT", "UPDATE", "DELETE", "MERGE", "DROP", "ALTER", "CREATE", "GRANT", "REVOKE",
    "TRUNCATE", "EXEC", "EXECUTE", "CALL", "ATTACH", "DETACH", "PRAGMA", "COPY",
    "SET", "LOCK", "VACUUM", "INTO",
}
DIALECTS = {"sqlite", "postgresql", "mariadb", "mssql", "firebird", "other"}
NAME_RE = re.compile(r"^[a-z][a-z0-9_]*$")


class QueryError(Exception):
    """A query file is malformed, or a call passes the wrong parameters."""


@dataclass(frozen=True)
class Query:
    name: str
    description: str
    sql: str  # with `?` placeholders
    source: str  # as written, with `:name` placeholders
    param_order: tuple[str, ...]  # parameter name for each `?`
    params: frozenset[str]
    columns: tuple[tuple[str, str], ...]  # (name, type)
    path: Path

    def bind(self, values: dict[str, Any]) -> list[Any]:
        """Positional values for `sql`; refuses missing and unknown names."""
        missing = self.params - values.keys()
        unknown = values.keys() - self.params
        if missing:
            raise QueryError(f"{self.name}: missing parameter(s): {', '.join(sorted(missing))}")
        if unknown:
            raise QueryError(f"{self.name}: unknown parameter(s): {', '.join(sorted(unknown))}")
        return [values[name] for name in self.param_order]


def _scan(sql: str) -> tuple[str, list[str], list[str]]:
    """Rewrite `:name` to `?` outside literals and comments.

    Returns (rewritten sql, parameter names in order, bare words in code).
    """
    out: list[str] = []
    names: list[str] = []
    words: list[str] = []
    i, n = 0, len(sql)
    while i < n:
        ch = sql[i]
        if ch in "'\"`":  # string literal or quoted identifier
            j = i + 1
            while j < n:
                if sql[j] == ch:
                    if j + 1 < n and sql[j + 1] == ch:  # doubled quote escapes
                        j += 2
                        continue
                    break
                j += 1
            if j >= n:
                raise QueryError("unterminated quoted text")
            out.append(sql[i:j + 1])
            i = j + 1
        elif sql.startswith("--", i):
            j = sql.find("\n", i)
            j = n if j < 0 else j
            i = j  # comments are not sent to the server
        elif sql.startswith("/*", i):
            j = sql.find("*/", i + 2)
            if j < 0:
                raise QueryError("unterminated comment")
            out.append(" ")
            i = j + 2
        elif sql.startswith("::", i):  # PostgreSQL cast, not a parameter
            out.append("::")
            i += 2
        elif ch == ":" and i + 1 < n and (sql[i + 1].isalpha() or sql[i + 1] == "_"):
            m = re.match(r"[A-Za-z_][A-Za-z0-9_]*", sql[i + 1:])
            assert m is not None
            names.append(m.group(0))
            out.append("?")
            i += 1 + len(m.group(0))
        elif ch == "?":
            raise QueryError("use :name parameters, not '?'")
        elif ch.isalpha() or ch == "_":
            m = re.match(r"[A-Za-z_][A-Za-z0-9_$]*", sql[i:])
            assert m is not None
            words.append(m.group(0).upper())
            out.append(m.group(0))
            i += len(m.group(0))
        else:
            if ch == ";" and sql[i + 1:].strip():
                raise QueryError("only one statement per file")
            out.append(ch)
            i += 1
    text = "\n".join(line.rstrip() for line in "".join(out).splitlines() if line.strip())
    return text.rstrip(";").rstrip(), names, words


# Rows are dicts and templates read `row.column` key-first (gateway/templating.py).
RESERVED_COLUMNS = frozenset(name for name in dir(dict) if not name.startswith("_"))


def parse_query(name: str, text: str, path: Path, need_resident: bool) -> Query:
    """Check one query file and build its Query."""
    if not NAME_RE.match(name):
        raise QueryError(f"{path.name}: file name must be lower_case_with_underscores.sql")
    header: dict[str, str] = {}
    description = ""
    for line in text.splitlines():
        stripped = line.strip()
        if not stripped:
            continue
        if not stripped.startswith("--"):
            break
        body = stripped[2:].strip()
        key, sep, rest = body.partition(":")
        if sep and key.strip().lower() in {"params", "columns"}:
            header[key.strip().lower()] = rest.strip()
        elif sep and key.strip() == name and not description:
            description = rest.strip()
        elif not description and body:
            description = body
    try:
        sql, order, words = _scan(text)
    except QueryError as exc:
        raise QueryError(f"{name}: {exc}") from None
    if not words or words[0] not in {"SELECT", "WITH"}:
        raise QueryError(f"{name}: only SELECT (or WITH … SELECT) is allowed")
    writes = WRITE_WORDS.intersection(words)
    if writes:
        raise QueryError(f"{name}: write or session statements are refused: "
                         f"{', '.join(sorted(writes))}")
    if "columns" not in header or "params" not in header:
        raise QueryError(f"{name}: header must have '-- params:' and '-- columns:' lines")
    declared = {p.strip() for p in header["params"].split(",") if p.strip()}
    declared.discard("none")
    used = set(order)
    if declared != used:
        raise QueryError(f"{name}: header params {sorted(declared)} differ from the "
                         f"parameters used in the SQL {sorted(used)}")
    if need_resident and "resident" not in used:
        raise QueryError(f"{name}: a resident query must be scoped by :resident")
    columns = []
    for item in header["columns"].split(","):
        parts = item.split()
        if len(parts) != 2 or parts[1] not in COLUMN_TYPES:
            raise QueryError(f"{name}: bad column spec {item.strip()!r} "
                             f"(want 'name type', type one of {sorted(COLUMN_TYPES)})")
        column = parts[0].lower()
        if column in RESERVED_COLUMNS:
            raise QueryError(f"{name}: column name {column!r} would hide the dict method of "
                             "that name in templates: choose another")
        columns.append((column, parts[1]))
    return Query(name=name, description=description, sql=sql, source=text,
                 param_order=tuple(order), params=frozenset(used), columns=tuple(columns),
                 path=path)


class QuerySet:
    """The queries of one folder, with per-dialect overrides from a subfolder.

    `queries/postgresql/name.sql` replaces `queries/name.sql` when the billing
    database is PostgreSQL; the override must keep the same params and columns.
    """

    def __init__(self, folder: Path, dialect: str = "other", need_resident: bool = True):
        self.folder = folder
        self.dialect = dialect
        self.need_resident = need_resident
        self.queries: dict[str, Query] = {}
        if not folder.is_dir():
            raise QueryError(f"queries folder not found: {folder}")
        for path in sorted(folder.glob("*.sql")):
            self.queries[path.stem] = self._load(path)
        override_dir = folder / dialect
        if dialect in DIALECTS and override_dir.is_dir():
            for path in sorted(override_dir.glob("*.sql")):
                base = self.queries.get(path.stem)
                if base is None:
                    raise QueryError(f"{dialect}/{path.name}: overrides no query of that name")
                query = self._load(path)
                if query.params != base.params or query.columns != base.columns:
                    raise QueryError(f"{dialect}/{path.name}: must keep the params and "
                                     f"columns of {path.name}")
                self.queries[path.stem] = query

    def _load(self, path: Path) -> Query:
        try:
            text = path.read_text(encoding="utf-8-sig")
        except (OSError, UnicodeDecodeError) as exc:
            raise QueryError(f"{path.name}: cannot be read: {exc}") from None
        return parse_query(path.stem, text, path, self.need_resident)

    def __getitem__(self, name: str) -> Query:
        try:
            return self.queries[name]
        except KeyError:
            raise QueryError(f"no query named {name!r} in {self.folder}") from None

    def __contains__(self, name: str) -> bool:
        return name in self.queries

    def __iter__(self):
        return iter(self.queries.values())

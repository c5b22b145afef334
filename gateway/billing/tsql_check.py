"""Query files checked as T-SQL before a SQL Server ever runs them (issue 21).

No SQL Server runs where the portal is built, so every query that SQL Server would
refuse or read differently is caught here: the file's tokens (sqlglot's tokenizer,
so comments and strings are never mistaken for code) against the constructs T-SQL
lacks, then the `:name` → `?` form parsed with sqlglot's T-SQL dialect. One line
per problem: the file, the line, what is wrong, what to write instead.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import sqlglot
from sqlglot.errors import ParseError, TokenError
from sqlglot.tokens import Token, Tokenizer, TokenType

from .queries import QueryError, QuerySet

# Functions of SQLite, PostgreSQL or MariaDB that T-SQL lacks (or has only from
# SQL Server 2022, which the cooperative's server may not be): what to write instead.
FUNCTIONS = {
    "SUBSTR": "SUBSTRING(x, start, length)",
    "IFNULL": "COALESCE(a, b)",
    "NVL": "COALESCE(a, b)",
    "NOW": "GETDATE()",
    "LENGTH": "LEN(x)",
    "CHAR_LENGTH": "LEN(x)",
    "EXTRACT": "YEAR(x), MONTH(x), DAY(x) or DATEPART(part, x)",
    "DATE_TRUNC": "DATEFROMPARTS(YEAR(x), MONTH(x), 1)",
    "STRFTIME": "CONVERT(char(10), x, 23) or FORMAT(x, 'yyyy-MM-dd')",
    "TO_CHAR": "CONVERT(...) or FORMAT(...)",
    "TO_DATE": "CAST(x AS DATE)",
    "JULIANDAY": "DATEDIFF(day, a, b)",
    "DATEDIFF_DAYS": "DATEDIFF(day, a, b)",
    "GROUP_CONCAT": "STRING_AGG(x, ',')",
    "GREATEST": "CASE WHEN a >= b THEN a ELSE b END (GREATEST needs SQL Server 2022)",
    "LEAST": "CASE WHEN a <= b THEN a ELSE b END (LEAST needs SQL Server 2022)",
    "TRUNC": "ROUND(x, 0, 1) or CAST(x AS DATE)",
    "RANDOM": "NEWID() or RAND()",
}


@dataclass(frozen=True)
class Problem:
    path: Path
    line: int
    what: str
    instead: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.what} — write instead: {self.instead}"


def check_text(path: Path, text: str) -> list[Problem]:
    """The problems of one query file's text (as written, with `:name` parameters)."""
    try:
        tokens = Tokenizer().tokenize(text)
    except TokenError as exc:
        return [Problem(path, 1, f"cannot be read as SQL ({exc})", "valid SQL")]
    found = [p for i, token in enumerate(tokens) if (p := _token_problem(path, tokens, i))]
    if not found:
        found += _parse_problems(path, text)
    return found


def _token_problem(path: Path, tokens: list[Token], i: int) -> Problem | None:
    token, kind = tokens[i], tokens[i].token_type
    after = tokens[i + 1].token_type if i + 1 < len(tokens) else None
    before = tokens[i - 1].token_type if i else None

    def problem(what: str, instead: str) -> Problem:
        return Problem(path, token.line, what, instead)

    if kind == TokenType.DPIPE:
        return problem("'||' joins strings only in standard SQL (T-SQL reads it as an error)",
                       "CONCAT(a, b)")
    if kind == TokenType.LIMIT:
        return problem("LIMIT does not exist in T-SQL",
                       "SELECT TOP (n) ..., or ORDER BY ... OFFSET 0 ROWS FETCH NEXT n ROWS ONLY")
    if kind in (TokenType.TRUE, TokenType.FALSE):
        value = "1" if kind == TokenType.TRUE else "0"
        if before == TokenType.IS:
            return problem(f"IS {token.text.upper()} does not exist in T-SQL", f"= {value}")
        return problem(f"the boolean literal {token.text.upper()} does not exist in T-SQL",
                       f"{value} (a BIT value)")
    if kind in (TokenType.DATE, TokenType.TIMESTAMP, TokenType.DATETIME) \
            and after == TokenType.STRING:
        return problem(f"a {token.text.upper()} '...' literal is not T-SQL",
                       f"CAST('{tokens[i + 1].text}' AS {token.text.upper()})")
    if kind == TokenType.DATE and after == TokenType.L_PAREN:
        return problem("DATE(x) is not a T-SQL function", "CAST(x AS DATE)")
    if kind == TokenType.CURRENT_DATE:
        return problem("CURRENT_DATE does not exist in T-SQL", "CAST(GETDATE() AS DATE)")
    if kind == TokenType.DCOLON:
        return problem("'::' casts only in PostgreSQL", "CAST(x AS type)")
    if kind == TokenType.ILIKE:
        return problem("ILIKE does not exist in T-SQL", "LIKE (the column's collation "
                       "decides about letter case)")
    if kind == TokenType.VAR and after == TokenType.L_PAREN \
            and token.text.upper() in FUNCTIONS and before != TokenType.DOT:
        return problem(f"{token.text.upper()}() is not a T-SQL function",
                       FUNCTIONS[token.text.upper()])
    return None


def _parse_problems(path: Path, text: str) -> list[Problem]:
    """What sqlglot's T-SQL parser refuses (after `:name` → `?`, as the driver sends it)."""
    from .queries import _scan

    sql, _params, _ = _scan(text)
    try:
        sqlglot.parse(sql, read="tsql")
    except ParseError as exc:
        first = exc.errors[0] if exc.errors else {}
        return [Problem(path, int(first.get("line") or 1),
                        f"T-SQL cannot parse it: {first.get('description') or exc}",
                        "SQL that SQL Server accepts (see docs/ADMIN.md, SQL Server)")]
    return []


def check_folder(folder: Path) -> list[Problem]:
    """Every query SQL Server would run: each file of `folder` (and of folder/staff), the
    `mssql/` override taking the place of the portable file where there is one."""
    problems: list[Problem] = []
    for sub, need_resident in ((folder, True), (folder / "staff", False)):
        if not sub.is_dir():
            continue
        try:
            loaded = QuerySet(sub, "mssql", need_resident=need_resident)
        except QueryError as exc:
            problems.append(Problem(sub, 1, str(exc), "a query file the portal can load"))
            continue
        for query in loaded:
            problems += check_text(query.path, query.path.read_text(encoding="utf-8-sig"))
    return problems

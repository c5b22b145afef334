"""Query files checked as T-SQL without a SQL Server (issue 21.1, 21.4): every shipped
query passes; each construct SQL Server lacks, planted in a copy, is reported with the
file, the line and what to write instead."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from gateway.billing import check_folder
from gateway.config import PROJECT_DIR

QUERIES = PROJECT_DIR / "queries"


def test_every_shipped_query_passes_as_t_sql():
    assert [str(p) for p in check_folder(QUERIES)] == []


PLANTED = [
    # (what is planted in place of "SELECT", the word expected in the report, the fix)
    ("SELECT 'a' || 'b' AS x,", "'||'", "CONCAT(a, b)"),
    ("SELECT TRUE AS x,", "TRUE", "1 (a BIT value)"),
    ("SELECT CAST(NULL AS DATE) AS y, DATE '2024-01-01' AS x,", "DATE '...'",
     "CAST('2024-01-01' AS DATE)"),
    ("SELECT SUBSTR('abc', 1, 2) AS x,", "SUBSTR()", "SUBSTRING(x, start, length)"),
    ("SELECT IFNULL(NULL, 1) AS x,", "IFNULL()", "COALESCE(a, b)"),
    ("SELECT CURRENT_DATE AS x,", "CURRENT_DATE", "CAST(GETDATE() AS DATE)"),
    ("SELECT GREATEST(1, 2) AS x,", "GREATEST()", "CASE WHEN"),
    ("SELECT EXTRACT(YEAR FROM CAST(NULL AS DATE)) AS x,", "EXTRACT()", "YEAR(x)"),
]


def planted_copy(tmp_path: Path, name: str, old: str, new: str) -> tuple[Path, int]:
    folder = tmp_path / "queries"
    shutil.copytree(QUERIES, folder)
    path = folder / f"{name}.sql"
    text = path.read_text(encoding="utf-8")
    assert old in text
    text = text.replace(old, new, 1)
    path.write_text(text, encoding="utf-8")
    line = text[:text.index(new)].count("\n") + 1  # where the planted text begins
    return folder, line


@pytest.mark.parametrize(("planted", "word", "fix"), PLANTED,
                         ids=[p[1] for p in PLANTED])
def test_each_construct_sql_server_lacks_is_reported_with_file_and_line(
        tmp_path, planted, word, fix):
    folder, line = planted_copy(tmp_path, "resident_profile", "SELECT o.ID_OS",
                                f"{planted}\n       o.ID_OS")
    problems = check_folder(folder)
    assert len(problems) == 1, [str(p) for p in problems]
    problem = problems[0]
    assert problem.path.name == "resident_profile.sql" and problem.line == line
    text = str(problem)
    assert text.startswith(f"{folder / 'resident_profile.sql'}:{problem.line}: ")
    assert word in text and fix in text


def test_limit_and_is_true_are_reported(tmp_path):
    folder, _ = planted_copy(tmp_path, "resident_profile", "WHERE o.ID_OS = :resident",
                             "WHERE o.ID_OS = :resident AND (1 = 1) IS TRUE\nLIMIT 1")
    text = "\n".join(str(p) for p in check_folder(folder))
    assert "IS TRUE does not exist in T-SQL — write instead: = 1" in text
    assert "LIMIT does not exist in T-SQL" in text and "TOP (n)" in text


def test_an_mssql_override_is_what_is_checked(tmp_path):
    folder = tmp_path / "queries"
    shutil.copytree(QUERIES, folder)
    (folder / "mssql").mkdir()
    text = (folder / "resident_profile.sql").read_text(encoding="utf-8")
    (folder / "mssql" / "resident_profile.sql").write_text(
        text.replace("SELECT o.ID_OS", "SELECT 'x' || 'y' AS z,\n       o.ID_OS", 1),
        encoding="utf-8")
    problems = check_folder(folder)
    assert [p.path.parent.name for p in problems] == ["mssql"]


def test_gateway_check_dialect_mssql_prints_one_line_per_problem(settings, tmp_path):
    from click.testing import CliRunner

    from gateway import create_app
    from gateway.cli import Context, main

    folder, _ = planted_copy(tmp_path, "ledger_summary", "SELECT ", "SELECT TRUE AS flag, ")
    obj = Context(None)
    obj._app = create_app(test_config=settings)
    ok = CliRunner().invoke(main, ["check", "--dialect", "mssql"], obj=obj)
    assert ok.exit_code == 0 and ok.output.startswith("ok   T-SQL: 0 problem(s)"), ok.output
    bad = CliRunner().invoke(main, ["check", "--dialect", "mssql", "--queries", str(folder)],
                             obj=obj)
    assert bad.exit_code == 1
    lines = bad.output.splitlines()
    assert len(lines) == 2 and "ledger_summary.sql:" in lines[0] and "TRUE" in lines[0]
    assert lines[1].startswith("FAIL T-SQL: 1 problem(s)")

"""The query loader: parameter rewriting and the refusals that keep SQL safe."""

from __future__ import annotations

from pathlib import Path

import pytest

from gateway.billing.queries import QueryError, QuerySet, parse_query
from gateway.config import PROJECT_DIR

HEADER = "-- q: test\n-- params: {params}\n-- columns: a int\n"


def q(sql: str, params: str = "resident", need_resident: bool = True):
    return parse_query("q", HEADER.format(params=params) + sql, Path("q.sql"), need_resident)


def test_named_parameters_become_positional_in_order():
    query = q("SELECT a FROM t WHERE r = :resident AND d >= :date_from AND d <= :date_to "
              "AND r2 = :resident", "resident, date_from, date_to")
    assert query.sql.count("?") == 4
    assert ":" not in query.sql
    assert query.param_order == ("resident", "date_from", "date_to", "resident")
    assert query.bind({"resident": 7, "date_from": 1, "date_to": 2}) == [7, 1, 2, 7]


def test_colons_inside_literals_comments_and_casts_are_not_parameters():
    query = q("SELECT a FROM t WHERE r = :resident AND s = 'x:y' /* :nope */ "
              "AND c = CAST(b AS INT) AND d::text = 'z' -- :never\n")
    assert query.param_order == ("resident",)
    assert "'x:y'" in query.sql and "d::text" in query.sql


def test_missing_and_unknown_parameters_are_refused_at_call_time():
    query = q("SELECT a FROM t WHERE r = :resident AND p = :premises", "resident, premises")
    with pytest.raises(QueryError, match="missing parameter.*premises"):
        query.bind({"resident": 1})
    with pytest.raises(QueryError, match="unknown parameter.*bogus"):
        query.bind({"resident": 1, "premises": 2, "bogus": 3})


@pytest.mark.parametrize("sql", [
    "DELETE FROM t WHERE r = :resident",
    "UPDATE t SET a = 1 WHERE r = :resident",
    "INSERT INTO t SELECT a FROM u WHERE r = :resident",
    "WITH x AS (DELETE FROM t WHERE r = :resident RETURNING a) SELECT a FROM x",
    "SELECT a INTO new_table FROM t WHERE r = :resident",
    "DROP TABLE t",
])
def test_statements_that_write_are_refused(sql):
    with pytest.raises(QueryError):
        q(sql)


def test_two_statements_are_refused():
    with pytest.raises(QueryError, match="one statement"):
        q("SELECT a FROM t WHERE r = :resident; SELECT 1")


def test_a_resident_query_without_resident_is_refused_at_load_time():
    with pytest.raises(QueryError, match=":resident"):
        q("SELECT a FROM t WHERE p = :premises", "premises")


def test_staff_queries_need_no_resident():
    assert q("SELECT a FROM t WHERE p = :premises", "premises", need_resident=False)


def test_header_params_must_match_the_sql():
    with pytest.raises(QueryError, match="header params"):
        q("SELECT a FROM t WHERE r = :resident", "resident, premises")


def test_question_mark_placeholders_are_refused():
    with pytest.raises(QueryError, match=":name"):
        q("SELECT a FROM t WHERE r = ? AND s = :resident")


@pytest.mark.parametrize("column", ["items", "keys", "values", "get", "Update"])
def test_column_names_that_hide_dict_methods_in_templates_are_refused(column):
    with pytest.raises(QueryError, match="would hide the dict method"):
        parse_query("q", f"-- params: resident\n-- columns: {column} int\n"
                    "SELECT a FROM t WHERE b = :resident", Path("q.sql"), need_resident=True)


def test_templates_read_row_columns_and_still_reach_other_attributes(app):
    with app.app_context():
        env = app.jinja_env
        row = {"amount": 5, "note": None}
        assert env.from_string("{{ r.amount }} {{ r.note }} {{ r.missing }}").render(r=row) \
            == "5 None "
        assert env.from_string("{% for k, v in r.items() %}{{ k }}{% endfor %}").render(r=row) \
            == "amountnote"


def test_bad_column_types_are_refused():
    with pytest.raises(QueryError, match="bad column spec"):
        parse_query("q", "-- params: resident\n-- columns: a money\nSELECT a FROM t WHERE "
                    "r = :resident", Path("q.sql"), True)


def test_shipped_queries_all_load_and_are_scoped():
    resident = QuerySet(PROJECT_DIR / "queries")
    assert len(list(resident)) >= 12
    assert all("resident" in query.params for query in resident)
    staff = QuerySet(PROJECT_DIR / "queries" / "staff", need_resident=False)
    assert "residents_directory" in staff
    # Staff queries are not reachable through the resident set the views use.
    assert "residents_directory" not in resident


def test_dialect_override_replaces_the_portable_query(tmp_path):
    (tmp_path / "postgresql").mkdir()
    body = "-- x: y\n-- params: resident\n-- columns: a int\nSELECT {} AS a FROM t " \
           "WHERE r = :resident\n"
    (tmp_path / "x.sql").write_text(body.format("1"), encoding="utf-8")
    (tmp_path / "postgresql" / "x.sql").write_text(body.format("2"), encoding="utf-8")
    assert "SELECT 1" in QuerySet(tmp_path, "sqlite")["x"].sql
    assert "SELECT 2" in QuerySet(tmp_path, "postgresql")["x"].sql
    # An override that changes the contract is refused.
    (tmp_path / "postgresql" / "x.sql").write_text(body.replace("a int", "b int"),
                                                   encoding="utf-8")
    with pytest.raises(QueryError, match="must keep"):
        QuerySet(tmp_path, "postgresql")

"""The billing access module: typed rows, read-only, timeouts, one error type, recovery."""

from __future__ import annotations

import sqlite3
import threading
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from gateway.billing.driver import (
    BillingDB,
    BillingUnavailable,
    detect_dialect,
    effective_connection,
)
from gateway.billing.queries import parse_query


def make_db(path: Path) -> None:
    conn = sqlite3.connect(path)
    conn.executescript("""
        CREATE TABLE T (ID INTEGER, NAZWA VARCHAR(40), KWOTA DECIMAL(12,2), ILOSC NUMERIC(10,3),
                        DATA DATE, UWAGI VARCHAR(40));
        INSERT INTO T VALUES (1, 'Żółć „Łąka”', '1234.50', 0.1, '2024-03-05', NULL);
        INSERT INTO T VALUES (2, 'x', 0.3, 12.345, '2024-12-31', 'koniec');
    """)
    conn.commit()
    conn.close()


def query(sql: str, columns: str, params: str = "resident"):
    text = f"-- q: test\n-- params: {params}\n-- columns: {columns}\n{sql}"
    return parse_query("q", text, Path("q.sql"), need_resident=False)


ROWS = query("SELECT ID AS id, NAZWA AS name, KWOTA AS amount, ILOSC AS qty, DATA AS day, "
             "UWAGI AS note FROM T WHERE ID >= :resident ORDER BY ID",
             "id int, name text, amount decimal:2, qty decimal:3, day date, note text")


@pytest.fixture
def db(tmp_path):
    path = tmp_path / "billing.sqlite3"
    make_db(path)
    return BillingDB(f"sqlite:{path}", query_timeout=2)


def test_rows_are_plain_dicts_with_decimal_money_dates_and_polish_text(db):
    rows = db.run(ROWS, {"resident": 1})
    assert rows[0] == {"id": 1, "name": "Żółć „Łąka”", "amount": Decimal("1234.50"),
                       "qty": Decimal("0.100"), "day": date(2024, 3, 5), "note": None}
    # A REAL 0.3 comes back as exactly 0.30, never 0.299999…
    assert rows[1]["amount"] == Decimal("0.30") and isinstance(rows[1]["amount"], Decimal)
    assert rows[1]["day"] == date(2024, 12, 31)


def test_embedded_database_is_opened_read_only(db):
    db.run(ROWS, {"resident": 1})
    held = db._held()
    with pytest.raises(sqlite3.OperationalError, match="readonly"):
        held.conn.execute("DELETE FROM T")


def test_missing_database_file_is_unavailable(tmp_path):
    db = BillingDB(f"sqlite:{tmp_path / 'nope.sqlite3'}")
    with pytest.raises(BillingUnavailable) as info:
        db.run(ROWS, {"resident": 1})
    assert info.value.kind == "unavailable"
    assert not (tmp_path / "nope.sqlite3").exists()  # never created by a reader


def test_sql_errors_become_the_one_exception_type(db):
    broken = query("SELECT NO_SUCH AS id FROM T WHERE ID = :resident", "id int")
    with pytest.raises(BillingUnavailable):
        db.run(broken, {"resident": 1})
    # The connection was discarded; the next query works.
    assert db._held() is None
    assert db.run(ROWS, {"resident": 2})[0]["id"] == 2


def test_missing_promised_column_is_an_error(db):
    wrong = query("SELECT ID AS id FROM T WHERE ID = :resident", "id int, name text")
    with pytest.raises(BillingUnavailable, match="columns missing"):
        db.run(wrong, {"resident": 1})


def test_slow_query_is_cut_off_at_the_query_timeout(tmp_path):
    path = tmp_path / "b.sqlite3"
    make_db(path)
    db = BillingDB(f"sqlite:{path}", query_timeout=1)
    slow = query("WITH RECURSIVE c(x) AS (SELECT :resident UNION ALL SELECT x + 1 FROM c "
                 "WHERE x < 1000000000) SELECT COUNT(*) AS n FROM c", "n int")
    with pytest.raises(BillingUnavailable) as info:
        db.run(slow, {"resident": 1})
    assert info.value.kind == "timeout"
    assert db.run(ROWS, {"resident": 1})  # and the next query works


def test_row_cap_refuses_runaway_results(tmp_path):
    path = tmp_path / "b.sqlite3"
    make_db(path)
    db = BillingDB(f"sqlite:{path}", max_rows=1)
    with pytest.raises(BillingUnavailable, match="row cap"):
        db.run(ROWS, {"resident": 1})


def test_each_thread_has_its_own_connection(db):
    seen = []
    barrier = threading.Barrier(3)

    def work():
        db.run(ROWS, {"resident": 1})
        seen.append(db._held().conn)  # kept alive, so identities cannot be reused
        barrier.wait()

    threads = [threading.Thread(target=work) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    db.run(ROWS, {"resident": 1})
    seen.append(db._held().conn)
    assert len({id(conn) for conn in seen}) == 4


def test_database_replaced_while_connected_recovers_on_next_request(tmp_path):
    path = tmp_path / "b.sqlite3"
    make_db(path)
    db = BillingDB(f"sqlite:{path}")
    db.run(ROWS, {"resident": 1})
    path.unlink()
    with pytest.raises(BillingUnavailable):
        BillingDB(f"sqlite:{path}").run(ROWS, {"resident": 1})
    make_db(path)
    assert db.run(ROWS, {"resident": 1})[0]["id"] == 1


@pytest.mark.parametrize(("connection", "dialect"), [
    ("sqlite:x.db", "sqlite"),
    ("DRIVER={PostgreSQL Unicode};SERVER=h", "postgresql"),
    ("DRIVER={MariaDB Unicode};SERVER=h", "mariadb"),
    ("DRIVER={ODBC Driver 18 for SQL Server};SERVER=h", "mssql"),
    ("DRIVER={FreeTDS};SERVER=h", "mssql"),
    ("DSN=czynsze", "other"),
])
def test_dialect_is_detected_from_the_driver(connection, dialect):
    assert detect_dialect(connection) == dialect


def test_postgresql_connections_bind_parameters_in_the_driver_unless_told_otherwise():
    pg = "DRIVER={PostgreSQL Unicode};SERVER=db;UID=portal;PWD=x;"
    assert effective_connection(pg, "postgresql") == pg.rstrip(";") + ";UseServerSidePrepare=0"
    own = "DRIVER={PostgreSQL Unicode};SERVER=db;useserversideprepare=1"
    assert effective_connection(own, "postgresql") == own  # the admin's choice stands
    maria = "DRIVER={MariaDB Unicode};SERVER=db"
    assert effective_connection(maria, "mariadb") == maria
    assert effective_connection("sqlite:demo.sqlite3", "sqlite") == "sqlite:demo.sqlite3"


def test_only_the_access_module_imports_the_odbc_driver():
    """DESIGN invariant 1: views never see a driver; one module opens connections."""
    import re

    from gateway.config import PROJECT_DIR

    importers = sorted(str(path.relative_to(PROJECT_DIR))
                       for path in (PROJECT_DIR / "gateway").rglob("*.py")
                       if re.search(r"^\s*(import|from)\s+pyodbc\b",
                                    path.read_text(encoding="utf-8"), re.M))
    assert importers == ["gateway/billing/driver.py"]

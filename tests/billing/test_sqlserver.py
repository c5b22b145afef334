"""SQL Server without a SQL Server (issue 21.3): the connection-string forms an admin
writes for Microsoft's ODBC Driver 17/18 and for FreeTDS, and the real FreeTDS driver
(Debian's tdsodbc, installed by scripts/test.sh) against a server that is not there."""

from __future__ import annotations

import socket
import time

import pyodbc
import pytest

from gateway.billing import BillingDB, BillingUnavailable
from gateway.billing.driver import detect_dialect, effective_connection

MS18 = ("DRIVER={ODBC Driver 18 for SQL Server};SERVER=tcp:sql01,1433;DATABASE=czynsze;"
        "UID=portal_ro;PWD=tajne;Encrypt=yes;TrustServerCertificate=no")
MS17 = "Driver={ODBC Driver 17 for SQL Server};Server=sql01\\SQLEXPRESS;Database=czynsze;" \
       "Trusted_Connection=yes"
TDS = "DRIVER={FreeTDS};SERVER=sql01;PORT=1433;DATABASE=czynsze;UID=portal_ro;PWD=tajne;" \
      "TDS_Version=7.4"
TDS_PATH = "DRIVER=/usr/lib/x86_64-linux-gnu/odbc/libtdsodbc.so;SERVER=sql01;PORT=1433"


@pytest.mark.parametrize("connection", [MS18, MS17, TDS, TDS_PATH])
def test_every_sql_server_form_is_read_as_t_sql(connection):
    assert detect_dialect(connection) == "mssql"


def test_microsofts_driver_is_told_the_portal_only_reads():
    assert effective_connection(MS18, "mssql") == MS18 + ";ApplicationIntent=ReadOnly"
    assert effective_connection(MS17 + ";", "mssql").endswith(
        "Trusted_Connection=yes;ApplicationIntent=ReadOnly")
    own = MS18 + ";applicationintent=ReadWrite"
    assert effective_connection(own, "mssql") == own  # the admin's choice stands
    assert effective_connection(TDS, "mssql") == TDS  # FreeTDS has no such keyword


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_freetds_loads_and_a_server_that_is_not_there_is_one_clear_error():
    assert "FreeTDS" in pyodbc.drivers(), "tdsodbc is installed by scripts/test.sh"
    db = BillingDB(f"DRIVER={{FreeTDS}};SERVER=127.0.0.1;PORT={closed_port()};DATABASE=x;"
                   "UID=portal_ro;PWD=tajne-haslo;TDS_Version=7.4", connect_timeout=2)
    assert db.dialect == "mssql"
    started = time.monotonic()
    with pytest.raises(BillingUnavailable) as failed:
        db.ping()
    assert failed.value.kind == "unavailable"
    assert time.monotonic() - started < 30  # the login timeout, not a hang


def test_gateway_check_against_an_absent_sql_server_says_one_line(settings, tmp_path):
    from click.testing import CliRunner

    from gateway import create_app
    from gateway.cli import Context, main

    settings["billing.connection"] = (
        f"DRIVER={{FreeTDS}};SERVER=127.0.0.1;PORT={closed_port()};DATABASE=czynsze;"
        "UID=portal_ro;PWD=tajne-haslo;TDS_Version=7.4")
    settings["billing.connect_timeout"] = "2"
    obj = Context(None)
    obj._app = create_app(test_config=settings)
    result = CliRunner().invoke(main, ["check"], obj=obj, catch_exceptions=False)
    assert result.exit_code == 1
    lines = result.output.strip().splitlines()
    assert lines[0].startswith("FAIL connection:"), result.output
    assert "tajne-haslo" not in result.output and "Traceback" not in result.output

"""Faults on real database servers, through ODBC: the portal answers 503 and recovers.

* The server kills the portal's connections (pg_terminate_backend, KILL CONNECTION):
  the next request reconnects (the one retry on a reused connection) and works.
* A query slower than billing.query_timeout (it waits for a table another
  session has locked) is cut off: 503 within seconds; pages that do not touch
  that table keep working; after the lock the page works again.
* PostgreSQL stopped mid-run: resident pages answer 503 with Retry-After at
  once; the public page, the login form and /healthz stay 200; started again,
  the next request works in the same app (no restart). The server is always
  started again (finally), and this test is the last one in the file.
"""

from __future__ import annotations

import contextlib
import time
from pathlib import Path
from typing import Any

import pytest
from conftest import Auth, base_settings

from gateway import create_app
from gateway.billing.driver import BillingDB, BillingUnavailable
from gateway.billing.queries import QuerySet

ROOT = Path(__file__).resolve().parent.parent
QUERY_TIMEOUT = 1
SERVERS = [pytest.param(name, marks=pytest.mark.backend(name), id=name)
           for name in ("postgresql", "mariadb")]


@pytest.fixture
def server(request: pytest.FixtureRequest):
    return request.getfixturevalue(f"{request.param}_backend")


def make_app(tmp_path: Path, connection: str):
    settings = base_settings(tmp_path, connection)
    settings["billing.query_timeout"] = str(QUERY_TIMEOUT)
    return create_app(test_config=settings)


@pytest.fixture
def portal(tmp_path: Path, server) -> tuple[Any, Any]:
    """The app on `server`, resident 1 logged in; returns (app, client)."""
    app = make_app(tmp_path, server.connection)
    client = app.test_client()
    Auth(app, client).resident(1)
    return app, client


def timed_get(client, url: str) -> tuple[Any, float]:
    started = time.monotonic()
    response = client.get(url)
    return response, time.monotonic() - started


def portal_sessions(server) -> list[int]:
    """Server-side ids of the portal login's connections."""
    with contextlib.closing(server.admin_connect()) as admin:
        if server.dialect == "postgresql":
            sql = "SELECT pid FROM pg_stat_activity WHERE usename = ?"
        else:
            sql = "SELECT ID FROM information_schema.PROCESSLIST WHERE USER = ?"
        return [int(r[0]) for r in admin.execute(sql, server.login).fetchall()]


def kill_portal_sessions(server) -> int:
    """Kill every connection of the portal's login, as a DBA or a failover would."""
    ids = portal_sessions(server)
    with contextlib.closing(server.admin_connect()) as admin:
        for pid in ids:
            if server.dialect == "postgresql":
                admin.execute("SELECT pg_terminate_backend(?)", pid).fetchall()
            else:
                with contextlib.suppress(Exception):  # it may have gone meanwhile
                    admin.execute(f"KILL CONNECTION {pid}")
    deadline = time.monotonic() + 5
    while set(portal_sessions(server)) & set(ids) and time.monotonic() < deadline:
        time.sleep(0.05)
    return len(ids)


@pytest.mark.parametrize("server", SERVERS, indirect=True)
def test_killed_connections_are_replaced_on_the_next_request(server, portal):
    _app, client = portal
    assert client.get("/czynsz").status_code == 200
    for url in ("/czynsz", "/ksiegowosc/szczegoly", "/media/odczyty"):
        assert kill_portal_sessions(server) >= 1  # the portal kept its connection: reused
        response, seconds = timed_get(client, url)
        # The dead connection is noticed on use, discarded, and one new one is opened.
        assert response.status_code == 200, response.get_data(as_text=True)[:300]
        assert seconds < 3
        assert client.get("/dane-osobowe").status_code == 200


LOCKS = {"postgresql": ("LOCK TABLE NALICZENIA IN ACCESS EXCLUSIVE MODE", None),
         "mariadb": ("LOCK TABLES NALICZENIA WRITE", "UNLOCK TABLES")}


@pytest.mark.parametrize("server", SERVERS, indirect=True)
def test_query_slower_than_the_timeout_is_cut_off_with_503(server, portal):
    _app, client = portal
    assert client.get("/czynsz").status_code == 200
    lock, unlock = LOCKS[server.dialect]
    holder = server.admin_connect(autocommit=False)
    try:
        holder.execute(lock)  # rent queries read NALICZENIA: they now wait
        response, seconds = timed_get(client, "/czynsz")
        assert response.status_code == 503
        assert response.headers["Retry-After"]
        assert "Dane chwilowo niedostępne" in response.get_data(as_text=True)
        assert QUERY_TIMEOUT * 0.8 <= seconds < QUERY_TIMEOUT + 3
        # Pages that do not read the locked table are not held up.
        response, seconds = timed_get(client, "/wirtualne-rachunki")
        assert response.status_code == 200 and seconds < 1
        # It was the query timeout (not some other error) that ended the wait.
        db = BillingDB(server.connection, query_timeout=QUERY_TIMEOUT)
        try:
            with pytest.raises(BillingUnavailable) as info:
                db.run(QuerySet(ROOT / "queries", db.dialect)["rent_periods"],
                       {"resident": 1})
            assert info.value.kind == "timeout"
        finally:
            db.discard()
    finally:
        if unlock:
            holder.execute(unlock)
        holder.rollback()
        holder.close()
    response, seconds = timed_get(client, "/czynsz")
    assert response.status_code == 200 and seconds < 2


@pytest.mark.backend("postgresql")
def test_postgresql_stopped_then_started_without_restarting_the_portal(
        tmp_path, postgresql_backend, pg_cluster):
    app = make_app(tmp_path, postgresql_backend.connection)
    client = app.test_client()
    Auth(app, client).resident(1)
    assert client.get("/czynsz").status_code == 200
    try:
        pg_cluster.stop()
        for url in ("/czynsz", "/ksiegowosc/szczegoly", "/dane-osobowe", "/czynsz"):
            response, seconds = timed_get(client, url)
            assert response.status_code == 503, url
            assert response.headers["Retry-After"]
            assert "Dane chwilowo niedostępne" in response.get_data(as_text=True)
            assert seconds < 3, (url, seconds)
        # What does not need the billing database keeps working.
        assert client.get("/healthz").status_code == 200
        assert client.get("/").status_code == 200
        assert app.test_client().get("/logowanie").status_code == 200
        assert client.get("/readyz").status_code == 503
    finally:
        pg_cluster.start()
        pg_cluster.wait_ready(postgresql_backend.admin)
    # The same app, no restart: the next request works.
    response, seconds = timed_get(client, "/czynsz")
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    assert client.get("/ksiegowosc/szczegoly").status_code == 200
    assert client.get("/readyz").status_code == 200

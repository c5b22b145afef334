"""A resident back from a pause waits for no select list (issue 20.4): a list older
than cache.ttl_seconds is answered at once and read again on a thread of its own,
so that view makes only its own data queries and the next view has the new list."""

from __future__ import annotations

import contextlib
import sqlite3
import threading
import time
from datetime import date

import pytest
from pagehtml import module_settings

TTL = 1
SHORT_TTL = pytest.mark.parametrize("settings", [{"cache.ttl_seconds": str(TTL)}],
                                    indirect=True, ids=["ttl-1s"])


@pytest.fixture
def settings(settings, request):
    return module_settings(settings, request)


def view(app, client, url: str) -> int:
    """Billing queries the view ran on its own thread (what the resident waited for)."""
    db = app.extensions["billing"]
    mine = threading.get_ident()
    ran = []
    original = db.run

    def counted(query, params):
        if threading.get_ident() == mine:
            ran.append(query.name)
        return original(query, params)

    db.run = counted  # this app's instance only
    try:
        response = client.get(url)
    finally:
        del db.run
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    return len(ran)


def wait_for_queries(app, at_least: int, seconds: float = 10) -> None:
    db = app.extensions["billing"]
    pending = app.extensions["resident_cache_pending"]  # lists being read again
    deadline = time.monotonic() + seconds
    while (db.queries_run < at_least or pending) and time.monotonic() < deadline:
        time.sleep(0.02)
    assert db.queries_run >= at_least, "the stale list was not read again"
    assert not pending


@SHORT_TTL
def test_a_stale_list_is_answered_at_once_and_read_again_after_the_view(app, auth, client):
    auth.resident(1)
    view(app, client, "/czynsz")  # the months list read (or warmed at login)
    time.sleep(TTL + 0.2)
    db = app.extensions["billing"]
    before = db.queries_run
    assert view(app, client, "/czynsz") == 1  # only the month's rent components
    wait_for_queries(app, before + 2)  # + the months list, read on its own thread
    assert view(app, client, "/czynsz") == 1


@SHORT_TTL
def test_after_the_refresh_a_new_month_is_offered(billing_copy, app, auth, client,
                                                  demo_path):
    auth.resident(1)
    with contextlib.closing(sqlite3.connect(demo_path)) as demo:
        newest = date.fromisoformat(demo.execute(
            "SELECT MAX(OKRES) FROM NALICZENIA WHERE ID_LOK = 1").fetchone()[0][:10])
    client.get("/czynsz?lokal=1")
    added = date(newest.year + (newest.month == 12), newest.month % 12 + 1, 1)
    billing_copy("INSERT INTO NALICZENIA (ID_NAL, ID_LOK, OKRES, KOD_SKL, ILOSC, STAWKA, KWOTA, "
                 "KWOTA_VAT) SELECT ID_NAL + 1000000, ID_LOK, ?, KOD_SKL, ILOSC, STAWKA, KWOTA, "
                 "KWOTA_VAT FROM NALICZENIA WHERE ID_LOK = 1 AND OKRES = ?",
                 (added.isoformat(), newest.isoformat()))
    time.sleep(TTL + 0.2)
    db = app.extensions["billing"]
    before = db.queries_run
    client.get("/czynsz?lokal=1")  # answered from the stale list; the refresh starts
    wait_for_queries(app, before + 2)
    url = f"/czynsz?lokal=1&rok={added.year}&miesiac={added.month}"
    page = client.get(url)
    assert page.status_code == 200
    assert f'value="{added.month}" selected' in page.get_data(as_text=True)


@SHORT_TTL
def test_the_lists_are_kept_up_to_the_idle_timeout(app):
    # Kept beyond cache.ttl_seconds (read again when older), never beyond the idle
    # timeout: a session paused longer has ended and the next login reads them fresh.
    cache = app.extensions["resident_cache"]
    assert cache.ttl == max(int(app.config["CACHE_TTL_SECONDS"]),
                            app.config["SECURITY_IDLE_TIMEOUT_MINUTES"] * 60)

"""billing.max_concurrent: however many residents arrive at once, no more than that many
portal queries run on the billing server (counted on the server, in pg_stat_activity);
a request that finds no free slot within query_timeout gets the page's 503, not a hang."""

from __future__ import annotations

import contextlib
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from gateway.billing.driver import BillingDB, BillingUnavailable
from gateway.billing.queries import parse_query

pytestmark = [pytest.mark.odbc, pytest.mark.backend("postgresql")]

SLEEP = parse_query("nap", "-- nap: holds a connection busy on the server.\n"
                           "-- params: seconds\n-- columns: slept text\n"
                           "SELECT CAST(pg_sleep(:seconds) AS text) AS slept\n",
                    Path("nap.sql"), need_resident=False)


def running_on_server(backend) -> int:
    with contextlib.closing(backend.admin_connect()) as admin:
        return admin.execute("SELECT count(*) FROM pg_stat_activity WHERE usename = ? "
                             "AND state = 'active'", backend.login).fetchone()[0]


def peak_while(backend, work) -> tuple[int, list]:
    """Run `work()` while sampling the portal login's running queries; (peak, results)."""
    peak, done = 0, threading.Event()

    def sample() -> None:
        nonlocal peak
        while not done.is_set():
            peak = max(peak, running_on_server(backend))
            time.sleep(0.02)

    sampler = threading.Thread(target=sample)
    sampler.start()
    try:
        results = work()
    finally:
        done.set()
        sampler.join()
    return peak, results


def burst(db: BillingDB, count: int, seconds: float) -> list:
    def one(_: int):
        try:
            return db.run(SLEEP, {"seconds": seconds})
        except BillingUnavailable as exc:
            return exc
    with ThreadPoolExecutor(count) as pool:
        return list(pool.map(one, range(count)))


def test_cap_holds_for_a_burst_of_requests(postgresql_backend):
    db = BillingDB(postgresql_backend.connection, max_concurrent=2, query_timeout=10)
    peak, results = peak_while(postgresql_backend, lambda: burst(db, 8, 0.3))
    assert all(isinstance(r, list) for r in results), results  # everyone served, in turn
    assert 1 <= peak <= 2


def test_without_the_cap_the_burst_reaches_the_server_at_once(postgresql_backend):
    # The yardstick for the test above: the sampler does see more than two at once.
    db = BillingDB(postgresql_backend.connection, max_concurrent=0, query_timeout=10)
    peak, results = peak_while(postgresql_backend, lambda: burst(db, 8, 0.6))
    assert all(isinstance(r, list) for r in results)
    assert peak > 2


def test_no_free_slot_within_the_query_timeout_is_a_timeout(postgresql_backend):
    db = BillingDB(postgresql_backend.connection, max_concurrent=1, query_timeout=1)
    results = burst(db, 4, 0.9)
    refused = [r for r in results if isinstance(r, BillingUnavailable)]
    assert any(isinstance(r, list) for r in results)
    assert len(refused) >= 2
    assert all(r.kind == "timeout" and "slot" in str(r) for r in refused)
    assert db.recently_down()  # the pages then answer 503 with Retry-After


def test_the_driver_counts_the_most_queries_in_flight(postgresql_backend):
    # The benchmark reads peak_running to show the cap holding at 128 connections.
    db = BillingDB(postgresql_backend.connection, max_concurrent=3, query_timeout=10)
    burst(db, 9, 0.2)
    assert db.peak_running == 3

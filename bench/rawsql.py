"""Baseline (a): the pages' own SQL run straight through the driver: the database's limit.

    python bench/rawsql.py SPEC.json

SPEC: {"connection": billing connection, "connections": C, "seconds": S,
       "items": [{"page": endpoint, "queries": [[query name, {param: value}], ...]}]}

C worker threads, each with its own connection (pyodbc for ODBC, sqlite3 for
the embedded file, as the portal uses them), take the items in turn from a
shared position; one item is one page view's data queries, executed with
bound parameters and fully fetched. Dates in params are ISO strings. The
result (stdout, one JSON line): views/s, latency percentiles, errors, per page.
"""

from __future__ import annotations

import itertools
import json
import sqlite3
import sys
import threading
import time
from datetime import date
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
DATE_PARAMS = {"date_from", "date_to", "today"}


def percentiles(values: list[float], points=(50, 90, 95, 99)) -> dict[str, float]:
    if not values:
        return {f"p{p}": 0.0 for p in points} | {"mean": 0.0, "max": 0.0}
    ordered = sorted(values)
    out = {}
    for p in points:
        index = min(len(ordered) - 1, max(0, round(p / 100 * len(ordered) + 0.5) - 1))
        out[f"p{p}"] = round(ordered[index] * 1000, 2)
    out["mean"] = round(sum(ordered) / len(ordered) * 1000, 2)
    out["max"] = round(ordered[-1] * 1000, 2)
    return out


def prepare(spec: dict[str, Any]):
    from gateway.billing.driver import detect_dialect
    from gateway.billing.queries import QuerySet

    connection = spec["connection"]
    dialect = detect_dialect(connection)
    queries = QuerySet(ROOT / "queries", dialect, need_resident=True)
    embedded = connection.startswith("sqlite:")
    items = []
    for item in spec["items"]:
        statements = []
        for name, params in item["queries"]:
            query = queries[name]
            values = []
            for param in query.param_order:
                value = params[param]
                if param in DATE_PARAMS and not embedded:
                    value = date.fromisoformat(value)
                values.append(value)
            statements.append((query.sql, values))
        items.append((item["page"], statements))
    return connection, embedded, dialect, items


def connect(connection: str, embedded: bool, dialect: str):
    if embedded:
        path = Path(connection[len("sqlite:"):]).resolve()
        return sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True, isolation_level=None,
                               check_same_thread=False)
    import pyodbc

    from gateway.billing.driver import effective_connection

    # The driver options the portal uses, so both measure the same driver work.
    conn = pyodbc.connect(effective_connection(connection, dialect), timeout=5,
                          autocommit=True)
    if dialect == "postgresql":  # what the portal's session set-up does
        cursor = conn.cursor()
        cursor.execute("SET statement_timeout = 10000")
        cursor.execute("SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY")
        cursor.close()
    return conn


def main() -> int:
    spec = json.loads(Path(sys.argv[1]).read_text(encoding="utf-8"))
    connection, embedded, dialect, items = prepare(spec)
    workers = int(spec["connections"])
    seconds = float(spec["seconds"])
    position = itertools.count()
    lock = threading.Lock()
    results: dict[str, list[float]] = {}
    errors: dict[str, int] = {}
    error_text: list[str] = []
    connect_failures = [0]
    start_gate = threading.Barrier(workers + 1)
    stop_at = [0.0]

    def worker(number: int) -> None:
        latencies: dict[str, list[float]] = {}
        failures: dict[str, int] = {}
        try:
            conn = connect(connection, embedded, dialect)
        except Exception as exc:  # noqa: BLE001
            with lock:
                error_text.append(f"connect: {exc}"[:200])
                connect_failures[0] += 1
            start_gate.wait()
            return
        start_gate.wait()
        while time.perf_counter() < stop_at[0]:
            page, statements = items[next(position) % len(items)]
            started = time.perf_counter()
            try:
                for sql, values in statements:
                    cursor = conn.cursor() if not embedded else conn
                    result = cursor.execute(sql, values)
                    result.fetchall()
                    if not embedded:
                        cursor.close()
            except Exception as exc:  # noqa: BLE001
                failures[page] = failures.get(page, 0) + 1
                if len(error_text) < 5:
                    error_text.append(str(exc)[:200])
                continue
            latencies.setdefault(page, []).append(time.perf_counter() - started)
        conn.close()
        with lock:
            for page, values in latencies.items():
                results.setdefault(page, []).extend(values)
            for page, n in failures.items():
                errors[page] = errors.get(page, 0) + n

    threads = [threading.Thread(target=worker, args=(i,), daemon=True) for i in range(workers)]
    for thread in threads:
        thread.start()
    stop_at[0] = time.perf_counter() + 3600  # set for real once everyone is connected
    start_gate.wait()
    began = time.perf_counter()
    stop_at[0] = began + seconds
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - began
    every = [v for values in results.values() for v in values]
    out = {
        "connections": workers,
        "seconds": round(elapsed, 2),
        "requests": len(every),
        "rps": round(len(every) / elapsed, 1),
        "latency_ms": percentiles(every),
        "errors": sum(errors.values()) + connect_failures[0],
        "error_text": error_text,
        "pages": {page: {"requests": len(values), "rps": round(len(values) / elapsed, 1),
                         "latency_ms": percentiles(values), "errors": errors.get(page, 0)}
                  for page, values in sorted(results.items())},
    }
    print("RAWJSON " + json.dumps(out), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())

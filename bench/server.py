"""The portal (or a Flask "hello world") under waitress, for the benchmark.

    python bench/server.py portal --billing CONN --store PATH --log-dir DIR --port P
    python bench/server.py hello --port P

`portal` is the real app from `gateway.create_app` with production settings
(the config.example.ini defaults: argon2 t=3 m=64 MiB p=2, cache ttl 300 s,
reuse_connections, 8 threads); only the billing connection, the store, the
log folder, the secret key and the port are set. Benchmark-only endpoints are
added here, never in the app:

  GET /_bench/stats    per page: views, statuses, billing queries per view
                       (counted per request), in-app time; and BillingDB.queries_run
  GET /_bench/reset    zero those counters
  GET /_bench/options  (logged in) the resident's valid premises/accounts/periods
                       for each page, so the load mix asks only for real data

`bare` serves "Księgowość – szczegóły" without the portal around it (bare_app).
`hello` serves a one-route Flask app with the same waitress options and set-up
(channel, interpreter switch interval) as the
portal (threads, connection limit, ...): the framework's limit.

The server prints `LISTENING <port>` once it accepts connections.
"""

from __future__ import annotations

import argparse
import logging
import sys
import threading
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
SECRET = "bench-" + "s" * 40


def portal_settings(billing: str, store: str, log_dir: str) -> dict[str, Any]:
    """Production settings: every other key keeps its config.example.ini default.

    (The port is given to waitress directly: 0 lets the system pick a free one.)
    """
    return {
        "billing.connection": billing,
        "store.path": store,
        "logging.dir": log_dir,
        "portal.secret_key": SECRET,
    }


class Stats:
    """Per endpoint: views, statuses, billing queries per view, in-app seconds."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.reset()

    def reset(self) -> None:
        with self.lock:
            self.pages: dict[str, dict[str, Any]] = defaultdict(
                lambda: {"views": 0, "status": defaultdict(int), "queries": 0,
                         "queries_max": 0, "queries_hist": defaultdict(int), "seconds": 0.0})
            self.started = time.monotonic()

    def add(self, endpoint: str, status: int, queries: int, seconds: float) -> None:
        with self.lock:
            page = self.pages[endpoint]
            page["views"] += 1
            page["status"][str(status)] += 1
            page["queries"] += queries
            page["queries_max"] = max(page["queries_max"], queries)
            page["queries_hist"][str(queries)] += 1
            page["seconds"] += seconds

    def snapshot(self) -> dict[str, Any]:
        with self.lock:
            return {"pages": {k: dict(v, status=dict(v["status"]),
                                      queries_hist=dict(v["queries_hist"]))
                              for k, v in self.pages.items()},
                    "seconds": time.monotonic() - self.started}


def instrument(app) -> None:
    from flask import Blueprint, g, jsonify, request
    from flask_login import current_user, login_required

    from gateway.billing import reads as data
    from gateway.web import builders as resident
    from gateway.web.security import csrf

    db = app.extensions["billing"]
    stats = Stats()
    counter = threading.local()
    original_run = db.run

    def counted_run(query, params):
        counter.n = getattr(counter, "n", 0) + 1
        return original_run(query, params)

    db.run = counted_run  # this instance only: the app itself is unchanged

    @app.before_request
    def _bench_start() -> None:
        counter.n = 0
        g.bench_started = time.perf_counter()

    @app.after_request
    def _bench_count(response):
        endpoint = request.endpoint or "?"
        if not endpoint.startswith("bench."):
            stats.add(endpoint, response.status_code, getattr(counter, "n", 0),
                      time.perf_counter() - g.get("bench_started", time.perf_counter()))
        return response

    bp = Blueprint("bench", __name__, url_prefix="/_bench")

    @bp.get("/stats")
    def bench_stats():
        return jsonify(stats.snapshot() | {"queries_run": db.queries_run,
                                            "peak_running": db.peak_running})

    @bp.get("/reset")
    def bench_reset():
        stats.reset()
        db.peak_running = 0
        return jsonify(ok=True)

    @bp.get("/options")
    @login_required
    def bench_options():
        rent: dict[int, list[str]] = defaultdict(list)
        for row in data.cached_rows("rent_periods"):
            rent[row["premises"]].append(row["period"].isoformat())
        ledger = [{"premises": a["premises"], "account": a["account"],
                   "years": sorted(a["years"])}
                  for a in resident._account_windows().values()]
        readings: dict[tuple[int, str], set[int]] = defaultdict(set)
        for row in data.cached_rows("reading_dates"):
            readings[(row["premises"], row["medium"])].add(row["reading_date"].year)
        settlements: dict[tuple[int, int], set[int]] = defaultdict(set)
        for row in data.cached_rows("settlement_dates"):
            settlements[(row["premises"], row["account"])].add(row["settled_on"].year)
        return jsonify(
            resident=current_user.resident,
            rent={str(k): sorted(v) for k, v in rent.items()},
            ledger=ledger,
            readings=[{"premises": p, "medium": m, "years": sorted(y)}
                      for (p, m), y in readings.items()],
            settlements=[{"premises": p, "account": a, "years": sorted(y)}
                         for (p, a), y in settlements.items()])

    csrf.exempt(bp)
    app.register_blueprint(bp)


def hello_app():
    from flask import Flask

    app = Flask("hello")

    @app.get("/")
    def hello():
        return "Hello, World!"

    return app


BARE_PAGE = """<!doctype html>
<html lang="pl"><head><meta charset="utf-8"><title>Księgowość – szczegóły</title></head>
<body><h1>Konto {{ account }}, {{ date_from }} – {{ date_to }}</h1>
<p>Saldo początkowe: {{ opening }}</p>
<table><thead><tr><th>Data</th><th>Numer</th><th>Rodzaj</th><th>Opis</th><th>Wn</th>
<th>Ma</th><th>Saldo</th></tr></thead><tbody>
{% for d in documents %}<tr><td>{{ d.doc_date }}</td><td>{{ d.doc_no }}</td>
<td>{{ d.kind_name }}</td><td>{{ d.description }}</td><td>{{ d.debit }}</td>
<td>{{ d.credit }}</td><td>{{ d.balance }}</td></tr>
{% endfor %}</tbody></table></body></html>"""


def bare_app(billing: str):
    """The floor under "Księgowość – szczegóły": the same two queries through the same
    driver (one connection per thread), the same rows with their running balance in a
    plain Jinja table; no login, session, CSRF, security headers or layout. The
    resident comes from the URL (benchmark only, never the portal's way)."""
    from datetime import date
    from decimal import Decimal

    from flask import Flask, request

    from gateway.billing import BillingDB, QuerySet

    db = BillingDB(billing)
    named = QuerySet(ROOT / "queries", db.dialect, need_resident=True)
    app = Flask("bare")
    page = app.jinja_env.from_string(BARE_PAGE)  # compiled once, as a template file would be

    @app.get("/bare")
    def bare():
        bound = {"resident": int(request.args["resident"]),
                 "account": int(request.args["account"]),
                 "date_from": date.fromisoformat(request.args["date_from"]),
                 "date_to": date.fromisoformat(request.args["date_to"])}
        summary = db.run(named["ledger_summary"], bound)
        opening = (summary[0]["opening"] if summary else None) or Decimal(0)
        balance, documents = opening, []
        for doc in db.run(named["ledger_documents"], bound):
            balance += (doc["debit"] or 0) - (doc["credit"] or 0)
            documents.append(dict(doc, balance=balance))
        return page.render(documents=documents, opening=opening, **bound)

    return app


def main() -> int:
    parser = argparse.ArgumentParser(description="bench server")
    parser.add_argument("mode", choices=("portal", "hello", "bare"))
    parser.add_argument("--billing", default="sqlite:var/demo-billing.sqlite3")
    parser.add_argument("--store", default=str(ROOT / "var" / "bench" / "store.sqlite3"))
    parser.add_argument("--log-dir", default=str(ROOT / "var" / "bench" / "log"))
    parser.add_argument("--port", type=int, default=8089)
    parser.add_argument("--set", action="append", default=[], metavar="SECTION.KEY=VALUE",
                        help="override a setting (experiments: bench/compare.py --b-set)")
    args = parser.parse_args()

    from gateway import create_app
    from gateway.ops.server import make_server, preflight

    settings = portal_settings(args.billing, args.store, args.log_dir)
    settings.update(item.split("=", 1) for item in args.set)
    portal = create_app(test_config=settings)
    if args.mode == "portal":
        preflight(portal)
        instrument(portal)
        app = portal
    elif args.mode == "bare":
        app = bare_app(args.billing)
    else:
        app = hello_app()
    server = make_server(portal, port=args.port) if app is portal else None
    if server is None:  # hello, bare: the portal's waitress options and set-up
        from gateway.ops.server import create_waitress, waitress_options

        server = create_waitress(app, {**waitress_options(portal), "port": args.port})
    logging.getLogger("waitress.queue").setLevel(logging.ERROR)
    print(f"LISTENING {server.effective_port}", flush=True)
    try:
        server.run()
    finally:
        server.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())

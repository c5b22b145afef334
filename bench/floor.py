"""The portal's "Księgowość – szczegóły" beside the same page without the portal around it.

    bench/run-floor OUTDIR [--backend sqlite|pg] [--premises 12000] [--rounds 3]

The yardstick of issue 20: a bare Flask + Jinja page (bench/server.py `bare`) runs
the same two queries through the same driver and renders the same rows in a plain
table, with no login, session, CSRF, security headers or layout, served by waitress
with the portal's settings. Both servers run at once on the same cached benchmark
database; rounds alternate portal, bare, bare, portal... so that whatever else loads
the machine hits both alike. Reported per round and as medians: requests/s, p99 and
the server's CPU per request (from its process counters over the run); then the CPU
per view inside the app alone (no server, one thread) for both. Writes
OUTDIR/floor.json and OUTDIR/floor.md.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from datetime import date
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import databases  # noqa: E402
import loadgen  # noqa: E402
import portal  # noqa: E402

DETAILS = "pages.ledger_details"


def bare_requests(items: list[dict[str, Any]]) -> list[tuple[str, str]]:
    """The bare page's URL for each planned szczegóły view: the same bound values."""
    out = []
    for item in items:
        bound = dict(item["queries"][-1][1])
        out.append(("/bare?" + urlencode(bound), "x=1"))
    return out


def served(args: argparse.Namespace, target: databases.Target, out: Path) -> dict[str, Any]:
    store = portal.ROOT / "var" / "bench" / "store-floor.sqlite3"
    residents = portal.pick_residents(target, args.accounts)
    made = portal.create_accounts(store, target.connection, residents, out / "logs" / "acc")
    app = portal.Server("portal", out, "portal-floor", target.connection, store)
    bare = None
    try:
        portal.say(f"logging {len(made)} residents in")
        cookies, _ = portal.log_in_all(app, made)
        items = [i for i in portal.plan_requests(portal.fetch_options(app, cookies), cookies,
                                                 40) if i["page"] == DETAILS]
        mine, theirs = portal.wrk_list(items), bare_requests(items)
        bare = portal.Server("bare", out, "bare", target.connection)
        for server, requests in ((app, mine), (bare, theirs)):
            loadgen.run(server.url + "/", requests, 8, 2)
        rounds = []
        for number in range(args.rounds):
            order = [("portal", app, mine), ("bare", bare, theirs)]
            if number % 2:
                order.reverse()
            got = {}
            for name, server, requests in order:
                got[name] = r = portal.measure(server, requests, args.connections,
                                               args.seconds)
                portal.say(f"round {number + 1} {name}: {r['rps']} req/s, p99 "
                           f"{r['latency_ms']['p99']} ms, CPU {r['cpu_ms_per_request']} ms"
                           f"/request, errors {r['errors']}")
            rounds.append(got)
        return {"views": len(items), "rounds": rounds,
                "queries_per_view": rounds[-1]["portal"]["server"]["queries_per_view"]}
    finally:
        app.stop()
        if bare is not None:
            bare.stop()


def in_app(target: databases.Target, rounds: int) -> dict[str, float]:
    """Least CPU per view of one resident's newest szczegóły, portal vs bare, in-process."""
    import inapp
    from server import bare_app

    from gateway.billing import BillingDB, QuerySet

    resident = portal.pick_residents(target, 1)[0]
    db = BillingDB(target.connection)
    named = QuerySet(portal.ROOT / "queries", db.dialect)
    accounts = [a for a in db.run(named["ledger_accounts"], {"resident": resident})
                if a["first_entry"] is not None]
    account = accounts[0]
    year = min(d for d in (account["closed"], account["assigned_to"], date.today()) if d).year
    bound = {"resident": resident, "account": account["account"],
             "date_from": f"{year}-01-01", "date_to": f"{year}-12-31"}
    mine = "/ksiegowosc/szczegoly?" + urlencode(
        {"lokal": account["premises"], "konto": account["account"], "rok": year})
    with tempfile.TemporaryDirectory(prefix="bench-floor-") as tmp:
        app, cookie = inapp.logged_in_app(target.connection, str(resident), Path(tmp))
        ours = inapp.least_cpu_us(inapp.caller(app, cookie), [mine], rounds)[mine]
    theirs_path = "/bare?" + urlencode(bound)
    theirs = inapp.least_cpu_us(inapp.caller(bare_app(target.connection), None),
                                [theirs_path], rounds)[theirs_path]
    return {"portal_us": round(ours), "bare_us": round(theirs),
            "ratio": round(ours / theirs, 2)}


def median(rounds: list[dict[str, Any]], name: str, pick) -> float:
    return statistics.median(pick(r[name]) for r in rounds)


def markdown(result: dict[str, Any]) -> str:
    rounds = result["served"]["rounds"]
    lines = [f"### The page against its floor ({result['label']}, "
             f"{result['connections']} connections, {result['seconds']:g} s × "
             f"{len(rounds)} rounds, {result['started']})", "",
             "| Round | Portal req/s | Bare req/s | Ratio | Portal p99 ms | Bare p99 ms | "
             "Portal CPU ms/req | Bare CPU ms/req |", "|---|---|---|---|---|---|---|---|"]
    for number, r in enumerate(rounds, 1):
        p, b = r["portal"], r["bare"]
        lines.append(f"| {number} | {p['rps']} | {b['rps']} | {p['rps'] / b['rps']:.0%} | "
                     f"{p['latency_ms']['p99']} | {b['latency_ms']['p99']} | "
                     f"{p['cpu_ms_per_request']} | {b['cpu_ms_per_request']} |")
    m = result["medians"]
    lines += [f"| **median** | **{m['portal_rps']}** | **{m['bare_rps']}** | "
              f"**{m['ratio']:.0%}** | {m['portal_p99']} | {m['bare_p99']} | "
              f"{m['portal_cpu']} | {m['bare_cpu']} |", "",
              f"Errors: portal {m['portal_errors']:g}, bare {m['bare_errors']:g}. Billing "
              f"queries per portal view: {result['served']['queries_per_view']}.", ""]
    if "in_app" in result:
        a = result["in_app"]
        lines += [f"Inside the app alone (one thread, no server, least of "
                  f"{result['in_app_rounds']} rounds of 40): portal {a['portal_us']} µs, bare "
                  f"{a['bare_us']} µs per view: **{a['ratio']}×**.", ""]
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--backend", choices=("sqlite", "pg"), default="sqlite")
    parser.add_argument("--pg", default=databases.DEFAULT_PG)
    parser.add_argument("--premises", type=int, default=12000)
    parser.add_argument("--years", type=int, default=10)
    parser.add_argument("--accounts", type=int, default=16)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--seconds", type=float, default=8)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--in-app-rounds", type=int, default=7)
    args = parser.parse_args()
    target = databases.Target(args.backend, args.premises, args.years, args.pg)
    if databases.cached(target) is None:
        raise SystemExit(f"{target.label} is not built: run bench/run (or "
                         f"bench/databases.py {args.backend} {args.premises} {args.years})")
    out = args.out.resolve()
    out.mkdir(parents=True, exist_ok=True)
    result: dict[str, Any] = {"label": target.label, "connections": args.connections,
                              "seconds": args.seconds,
                              "started": time.strftime("%Y-%m-%d %H:%M"),
                              "served": served(args, target, out)}
    rounds = result["served"]["rounds"]
    result["medians"] = m = {
        f"{who}_{what}": round(median(rounds, who, pick), 3)
        for who in ("portal", "bare")
        for what, pick in (("rps", lambda r: r["rps"]),
                           ("p99", lambda r: r["latency_ms"]["p99"]),
                           ("cpu", lambda r: r["cpu_ms_per_request"]),
                           ("errors", lambda r: r["errors"]))}
    m["ratio"] = statistics.median(r["portal"]["rps"] / r["bare"]["rps"] for r in rounds)
    if args.in_app_rounds:
        result["in_app_rounds"] = args.in_app_rounds
        result["in_app"] = in_app(target, args.in_app_rounds)
    (out / "floor.json").write_text(json.dumps(result, indent=1, default=str))
    (out / "floor.md").write_text(markdown(result), encoding="utf-8")
    print(markdown(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())

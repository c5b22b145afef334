"""Before/after: two checkouts of the portal side by side, measured in alternation.

    .venv/bin/python bench/compare.py --b /tmp/patched-copy [--a .] [--backend sqlite]
        [--premises 12000] [--connections 32] [--seconds 5] [--repeats 3] [--pages]

`--b-set server.threads=4` (repeatable) changes a setting for B only.
Both portals run at once on the same cached benchmark database and the same
accounts store (so the same session cookies work on both); runs alternate
A, B, A, B... so that whatever else loads the machine hits both alike. A
checkout is a folder holding gateway/, queries/ and templates/; it is put
first on PYTHONPATH of its server. Prints requests/s and latency for each,
and B/A; `--pages` adds each page alone at 1 connection. Run under
bench/run's environment (ODBCSYSINI) for PostgreSQL, e.g.
`ODBCSYSINI=var/bench/odbc .venv/bin/python bench/compare.py ...`.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import databases  # noqa: E402
import loadgen  # noqa: E402
import portal  # noqa: E402


def median(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[len(ordered) // 2]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--a", type=Path, default=portal.ROOT, help="checkout A (default: this)")
    parser.add_argument("--b", type=Path, required=True, help="checkout B")
    parser.add_argument("--backend", choices=("sqlite", "pg"), default="sqlite")
    parser.add_argument("--pg", default=databases.DEFAULT_PG)
    parser.add_argument("--premises", type=int, default=12000)
    parser.add_argument("--years", type=int, default=10)
    parser.add_argument("--accounts", type=int, default=12)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--seconds", type=float, default=5)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--pages", action="store_true", help="also each page at 1 connection")
    parser.add_argument("--b-set", action="append", default=[], metavar="SECTION.KEY=VALUE",
                        help="a setting for B only (e.g. server.threads=4); repeatable")
    parser.add_argument("--out", type=Path, default=portal.ROOT / "bench" / "out" / "compare")
    args = parser.parse_args()
    target = databases.Target(args.backend, args.premises, args.years, args.pg)
    if databases.cached(target) is None:
        raise SystemExit(f"{target.label} is not built: run bench/run first")
    out = args.out.resolve()
    out.mkdir(parents=True, exist_ok=True)
    store = portal.ROOT / "var" / "bench" / "store-compare.sqlite3"
    made = portal.create_accounts(store, target.connection,
                                 portal.pick_residents(target, args.accounts),
                                 out / "logs" / "accounts")
    servers = {}
    for name, root in (("A", args.a.resolve()), ("B", args.b.resolve())):
        env = dict(os.environ, PYTHONPATH=str(root))
        servers[name] = portal.Server("portal", out, f"compare-{name}", target.connection,
                                     store, env=env,
                                     settings=args.b_set if name == "B" else None)
    try:
        cookies, _ = portal.log_in_all(servers["A"], made)
        items = portal.plan_requests(portal.fetch_options(servers["A"], cookies), cookies, 30)
        mix = portal.wrk_list(items)
        for server in servers.values():
            loadgen.run(server.url + "/", mix, 8, 3)
        runs: dict[str, dict[str, list]] = {}
        cases = [("mix", mix, args.connections)]
        if args.pages:
            cases += [(page, portal.wrk_list([i for i in items if i["page"] == page]), 1)
                      for page in portal.PAGES]
        for _ in range(args.repeats):
            for case, requests, c in cases:
                for name, server in servers.items():
                    r = portal.measure(server, requests, c, args.seconds)
                    runs.setdefault(case, {}).setdefault(name, []).append(r)
    finally:
        for server in servers.values():
            server.stop()
    summary = {}
    print(f"{target.label}; A = {args.a}, B = {args.b}; medians of {args.repeats} runs")
    for case, by in runs.items():
        row = {}
        for name, results in by.items():
            row[name] = {"rps": median([r["rps"] for r in results]),
                         "p50": median([r["latency_ms"]["p50"] for r in results]),
                         "p99": median([r["latency_ms"]["p99"] for r in results]),
                         "errors": sum(r["errors"] for r in results),
                         "peak_rss_mb": max(r["peak_rss_mb"] for r in results)}
        a, b = row["A"], row["B"]
        row["B/A rps"] = round(b["rps"] / a["rps"], 3) if a["rps"] else None
        summary[case] = row
        c = args.connections if case == "mix" else 1
        print(f"{case:24s} c={c:<3d} A {a['rps']:8.1f} req/s p50 {a['p50']:7.2f} p99 "
              f"{a['p99']:7.2f} ms err {a['errors']} | B {b['rps']:8.1f} req/s p50 "
              f"{b['p50']:7.2f} p99 {b['p99']:7.2f} ms err {b['errors']} | B/A "
              f"{row['B/A rps']}")
    (out / "compare.json").write_text(json.dumps({"runs": runs, "summary": summary},
                                                 indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())

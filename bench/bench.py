"""Benchmark: what a portal page costs, against the limits of its parts.

Run through `bench/run OUTDIR [--quick]` (see bench/README.md). One run:

 1. builds (once, cached) the demo billing databases: large and small scale,
    on PostgreSQL through ODBC and on the embedded SQLite;
 2. measures the cost of one login (argon2id with the production parameters);
 3. for each backend at the large scale: starts the portal under waitress with
    production settings (bench/server.py), creates N accounts and logs them
    in through the real forms, then drives a mix of logged-in page views
    (all pages, varied residents and periods) with wrk at each concurrency
    level, then each page alone; the server counts billing queries per view;
 4. measures the baselines in the same run: (a) the same pages' SQL straight
    through the driver at the same concurrency, (b) a Flask hello world on
    the same waitress settings;
 5. repeats the per-page runs at the small scale (latency growth);
 6. writes report.json and report.md into OUTDIR.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

import databases  # noqa: E402
import loadgen  # noqa: E402
import report  # noqa: E402
from baselines import (  # noqa: E402
    index_check,
    loadavg,
    login_cost,
    machine,
    pg_start_time,
    pg_version,
    profile_run,
    run_raw,
)
from portal import (  # noqa: E402
    COOKIE,
    HELLO,
    PAGES,
    T0,
    Server,
    cold_pass,
    create_accounts,
    fetch_options,
    log_in_again,
    log_in_all,
    measure,
    pick_residents,
    plan_requests,
    say,
    wrk_list,
)

# ---- the server process ------------------------------------------------------------


# ---- HTTP as a resident ---------------------------------------------------------------


# ---- accounts and the request mix -------------------------------------------------------


# ---- measuring ---------------------------------------------------------------------


# ---- the run -------------------------------------------------------------------------

def settings_for(args: argparse.Namespace) -> dict[str, Any]:
    if args.quick:
        return {"large": args.premises or 2000, "small": args.small or 300, "years": args.years
                or 4, "levels": args.levels or [1, 32, 128], "seconds": args.seconds or 2,
                "page_seconds": 0, "single_seconds": 1, "repeats": 1,
                "accounts": args.accounts or 8, "small_accounts": 4, "per_account": 30,
                "cold": 3}
    return {"large": args.premises or 12000, "small": args.small or 1000,
            "years": args.years or 10, "levels": args.levels or [1, 8, 32, 128],
            "seconds": args.seconds or 10, "page_seconds": 5, "single_seconds": 3,
            "repeats": 2, "accounts": args.accounts or 60, "small_accounts": 24,
            "per_account": 30, "cold": 5}


def build_all(cfg: dict[str, Any], backends: list[str], pg: str, rebuild: bool
              ) -> dict[str, Any]:
    """Both scales on every backend; the two backends of a scale build in parallel."""
    summaries = {}
    current = databases.generator_fingerprint()
    for premises in (cfg["large"], cfg["small"]):
        targets = [databases.Target(kind, premises, cfg["years"], pg) for kind in backends]
        missing = [t for t in targets if rebuild or databases.cached(t) is None]
        procs = [subprocess.Popen([sys.executable, str(HERE / "databases.py"), t.kind,
                                   str(t.premises), str(t.years), "--pg", pg]
                                  + (["--force"] if rebuild else []), cwd=ROOT)
                 for t in missing]
        for proc in procs:
            if proc.wait() != 0:
                raise SystemExit("building a benchmark database failed (see above)")
        for t in targets:
            summary = databases.cached(t)
            if summary is None:
                raise SystemExit(f"{t.label}: not built")
            summaries[f"{t.kind}-{t.premises}"] = summary | {
                "built_now": t in missing, "label": t.label,
                "current_generator": summary.get("generator") == current}
            if t not in missing:
                say(f"{t.label}: cached (built earlier in {summary['seconds']} s)")
    return summaries


def start_with_logins(name: str, target: databases.Target, store: Path, out: Path,
                      made: list[tuple[int, str, str]], entry: dict[str, Any]
                      ) -> tuple[Server, dict[int, str]]:
    """Log every account in on a first server, then start a fresh one (empty cache,
    memory not inflated by the hashing); the sessions live in the store."""
    server = Server("portal", out, name, target.connection, store)
    try:
        say(f"logging {len(made)} residents in (login + forced password change)")
        server.mark()
        cookies, login_seconds = log_in_all(server, made)
    except BaseException:
        server.stop()
        raise
    logins_peak = server.peak_mb()
    # A burst: 8 logins at once (a morning when the rent notices arrive); each
    # holds a 64 MiB argon2 buffer while it hashes (at most cores / parallelism at once).
    burst = made[:8]
    server.mark()
    try:
        with ThreadPoolExecutor(len(burst)) as pool:
            started = time.perf_counter()
            list(pool.map(lambda m: log_in_again(server.port, m[1]), burst))
            burst_seconds = time.perf_counter() - started
    except BaseException:
        server.stop()
        raise
    login_seconds.sort()
    entry["login_burst"] = {"logins": len(burst), "seconds": round(burst_seconds, 2),
                            "ms_per_login": round(burst_seconds / len(burst) * 1000, 1),
                            "peak_rss_mb": server.peak_mb()}
    entry["logins"] = {"count": len(login_seconds),
                       "login_post_ms_p50": round(login_seconds[len(login_seconds) // 2]
                                                  * 1000, 1),
                       "login_post_ms_max": round(login_seconds[-1] * 1000, 1),
                       "peak_rss_mb": logins_peak, "hwm_rss_mb": server.stop()}
    return Server("portal", out, name, target.connection, store), cookies


def prepare_mix(server: Server, cookies: dict[int, str], cfg: dict[str, Any], out: Path
                ) -> list[dict[str, Any]]:
    """The planned views for this server's residents (saved, without cookies)."""
    items = plan_requests(fetch_options(server, cookies), cookies, cfg["per_account"])
    (out / "mix").mkdir(exist_ok=True)
    (out / "mix" / f"{server.name}.json").write_text(json.dumps(
        [{k: v for k, v in i.items() if k != "cookie"} for i in items], indent=0))
    return items


def accounts_for(premises: int, count: int, cfg: dict[str, Any], kind: str, pg: str,
                 out: Path) -> tuple[Path, list[tuple[int, str, str]]]:
    """`count` residents of this scale get accounts (in the scale's own store)."""
    target = databases.Target(kind, premises, cfg["years"], pg)
    store = ROOT / "var" / "bench" / f"store-{premises}.sqlite3"
    residents = pick_residents(target, count)
    say(f"{premises} premises: creating {len(residents)} accounts (argon2id, production cost)")
    return store, create_accounts(store, target.connection, residents, out / "logs" / "accounts")


def large_session(cfg: dict[str, Any], backends: list[str], pg: str, out: Path,
                  profile: bool) -> tuple[dict[str, Any], dict[str, Any]]:
    """The large scale, each backend: the portal at every level, each page, then the
    raw-SQL baseline. Returns (results, {kind: (items, store)}) for the growth step."""
    premises = cfg["large"]
    results: dict[str, Any] = {"premises": premises, "backends": {}}
    store, made = accounts_for(premises, cfg["accounts"], cfg, backends[0], pg, out)
    cookies: dict[int, str] = {}
    kept: dict[str, Any] = {}
    say("hello world on the same waitress settings (measured next to each portal run)")
    hello = Server("hello", out, "hello")
    try:
        loadgen.run(hello.url + "/", HELLO, 8, 1)
        for kind in backends:
            results["backends"][kind] = entry = {}
            kept[kind] = backend_session(cfg, kind, pg, out, profile, store, made, cookies,
                                         hello, entry, kind == backends[0])
            cookies = cookies or kept[kind][2]
    finally:
        results["hello_hwm_rss_mb"] = hello.stop()
    return results, kept


def backend_session(cfg: dict[str, Any], kind: str, pg: str, out: Path, profile: bool,
                    store: Path, made: list[tuple[int, str, str]], cookies: dict[int, str],
                    hello: Server, entry: dict[str, Any], first: bool
                    ) -> tuple[list, Path, dict]:
    """One backend at the large scale; at each level the portal, the hello world and
    the raw SQL run back to back, so that the ratios compare like with like."""
    premises = cfg["large"]
    target = databases.Target(kind, premises, cfg["years"], pg)
    name = f"portal-{kind}-{premises}"
    say(f"{target.label}: starting the portal")
    entry.update(label=target.label, connection=target.connection)
    if cookies:
        server = Server("portal", out, name, target.connection, store)
    else:
        server, cookies = start_with_logins(name, target, store, out, made, entry)
    entry["start_rss_mb"] = server.rss_mb()
    try:
        entry["cold"] = cold_pass(server, cookies, cfg["cold"])
        items = prepare_mix(server, cookies, cfg, out)
        mix = wrk_list(items)
        entry["mix"] = {page: sum(1 for i in items if i["page"] == page) for page in PAGES}
        say(f"{name}: warm-up")
        loadgen.run(server.url + "/", mix, 8, max(2.0, cfg["seconds"] / 2))
        entry["levels"] = {}
        entry["hello"] = {}
        entry["raw"] = {}
        # The portal's own plumbing, without a billing query or a template: /healthz
        # with a resident's session (session and account from the store, access log,
        # security headers). Measured on the first backend only (it touches no billing DB).
        plumbing = [("/healthz", f"{COOKIE}={c}") for c in cookies.values()] \
            if first else []
        for c in cfg["levels"]:
            entry["levels"][str(c)] = r = measure(server, mix, c, cfg["seconds"])
            say(f"{name}: mix c={c}: {r['rps']} req/s p99 {r['latency_ms']['p99']} ms "
                f"errors {r['errors']} q/view {r['server']['queries_per_view']} "
                f"peak {r['peak_rss_mb']} MB")
            entry["hello"][str(c)] = r = measure(hello, HELLO, c, cfg["seconds"])
            say(f"hello c={c}: {r['rps']} req/s p99 {r['latency_ms']['p99']} ms "
                f"errors {r['errors']}")
            if plumbing:
                entry.setdefault("plumbing", {})[str(c)] = r = measure(
                    server, plumbing, c, cfg["seconds"])
                say(f"plumbing (/healthz with a session) c={c}: {r['rps']} req/s p99 "
                    f"{r['latency_ms']['p99']} ms errors {r['errors']}")
            workers = min(c, 64) if kind == "pg" else c
            entry["raw"][str(c)] = r = run_raw(target, items, workers, cfg["seconds"], out)
            say(f"raw SQL c={c} ({workers} connections): {r['rps']} views/s "
                f"p99 {r['latency_ms']['p99']} ms errors {r['errors']}")
        entry["pages_c1"] = {}
        entry["pages_c32"] = {}
        for page in PAGES:
            only = wrk_list([i for i in items if i["page"] == page])
            entry["pages_c1"][page] = measure(server, only, 1, cfg["single_seconds"])
            if cfg["page_seconds"]:
                entry["pages_c32"][page] = measure(server, only, 32, cfg["page_seconds"])
        say(f"{name}: per page (c=1 p50 / c=32 req/s): " + ", ".join(
            f"{p.split('.')[1]} {entry['pages_c1'][p]['latency_ms']['p50']} ms / "
            f"{entry['pages_c32'].get(p, {}).get('rps', '-')}" for p in PAGES))
        if profile:
            say(f"{name}: profiling a 32-connection mix run with py-spy")
            entry["profile"] = profile_run(server, mix, cfg["seconds"], out)
    finally:
        entry["hwm_rss_mb"] = server.stop()
    entry["raw_c1_pages"] = run_raw(target, items, 1, cfg["single_seconds"] * 2,
                                    out)["pages"]
    entry["index_check"] = index_check(target, items)
    return items, store, cookies


def growth_session(cfg: dict[str, Any], backends: list[str], pg: str, out: Path,
                   kept: dict[str, Any]) -> dict[str, Any]:
    """Latency growth: the small-scale and the large-scale portal side by side, each
    page at 1 connection, alternating small/large runs (so machine noise hits both)."""
    premises = cfg["small"]
    results: dict[str, Any] = {"premises": premises, "large_premises": cfg["large"],
                               "repeats": cfg["repeats"], "backends": {}}
    store, made = accounts_for(premises, cfg["small_accounts"], cfg, backends[0], pg, out)
    cookies: dict[int, str] = {}
    for kind in backends:
        small_target = databases.Target(kind, premises, cfg["years"], pg)
        large_target = databases.Target(kind, cfg["large"], cfg["years"], pg)
        entry: dict[str, Any] = {"small": small_target.label, "large": large_target.label}
        name = f"portal-{kind}-{premises}"
        say(f"{small_target.label} next to {large_target.label}: latency growth")
        if cookies:
            small = Server("portal", out, name, small_target.connection, store)
        else:
            small, cookies = start_with_logins(name, small_target, store, out, made, entry)
        large_items, large_store, _ = kept[kind]
        try:
            large = Server("portal", out, f"portal-{kind}-{cfg['large']}-growth",
                           large_target.connection, large_store)
        except BaseException:
            small.stop()
            raise
        try:
            small_items = prepare_mix(small, cookies, cfg, out)
            for server, items in ((small, small_items), (large, large_items)):
                loadgen.run(server.url + "/", wrk_list(items), 8, max(2.0, cfg["seconds"] / 2))
            runs: dict[str, dict[str, list]] = {}
            for _ in range(cfg["repeats"]):
                for page in [*PAGES, "mix"]:
                    for size, server, items in (("small", small, small_items),
                                                ("large", large, large_items)):
                        chosen = items if page == "mix" else [i for i in items
                                                              if i["page"] == page]
                        r = measure(server, wrk_list(chosen), 1, cfg["single_seconds"])
                        runs.setdefault(page, {}).setdefault(size, []).append(r)
            entry["runs"] = runs
            say(f"{kind}: p50 small → large: " + ", ".join(
                f"{p.split('.')[-1]} {runs[p]['small'][-1]['latency_ms']['p50']}→"
                f"{runs[p]['large'][-1]['latency_ms']['p50']} ms" for p in runs))
        finally:
            small.stop()
            large.stop()
        results["backends"][kind] = entry
    return results


def main() -> int:
    parser = argparse.ArgumentParser(prog="bench/run", description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path, help="folder for report.md, report.json, raw output")
    parser.add_argument("--quick", action="store_true",
                        help="smoke run: small databases, short runs (~2 min)")
    parser.add_argument("--backends", default="pg,sqlite",
                        help="comma-separated: pg, sqlite (default both; the first is the "
                        "headline)")
    parser.add_argument("--pg", default=databases.DEFAULT_PG,
                        help="ODBC connection string of the PostgreSQL server, without DATABASE")
    parser.add_argument("--premises", type=int, help="large scale (default 12000)")
    parser.add_argument("--small", type=int, help="small scale (default 1000)")
    parser.add_argument("--years", type=int, help="years of history (default 10)")
    parser.add_argument("--accounts", type=int, help="residents logged in (default 60)")
    parser.add_argument("--seconds", type=float, help="seconds per mixed run (default 10)")
    parser.add_argument("--levels", type=lambda s: [int(x) for x in s.split(",")],
                        help="concurrency levels (default 1,8,32,128)")
    parser.add_argument("--rebuild", action="store_true",
                        help="rebuild the benchmark databases even when cached (e.g. after a "
                        "change to the demo generator)")
    parser.add_argument("--profile", action="store_true",
                        help="also profile the portal with py-spy (one extra 32-connection run)")
    args = parser.parse_args()
    cfg = settings_for(args)
    backends = [b.strip() for b in args.backends.split(",") if b.strip()]
    if not set(backends) <= {"pg", "sqlite"} or not backends:
        parser.error("--backends takes pg and/or sqlite")
    out: Path = args.out.resolve()
    out.mkdir(parents=True, exist_ok=True)
    loadgen.wrk_path()
    command = "bench/run " + " ".join(sys.argv[1:])
    started = datetime.now().astimezone()
    say(f"benchmark: {command} -> {out}")
    result: dict[str, Any] = {"command": command, "started": started.isoformat(
        timespec="seconds"), "settings": cfg, "backends": backends, "machine": machine()}
    if "pg" in backends:
        result["machine"]["postgresql"] = pg_version(args.pg)
    pg_started = pg_start_time(args.pg) if "pg" in backends else None
    result["databases"] = build_all(cfg, backends, args.pg, args.rebuild)
    loadavg_before = loadavg()
    say("login cost (argon2id, production parameters)")
    result["login"] = login_cost()
    result["large"], kept = large_session(cfg, backends, args.pg, out, args.profile)
    result["growth"] = growth_session(cfg, backends, args.pg, out, kept)
    result["seconds"] = round(time.monotonic() - T0, 1)
    result["noise"] = {"loadavg_before": loadavg_before, "loadavg_after": loadavg(),
                       "pg_restarted": pg_started is not None
                       and pg_start_time(args.pg) != pg_started}
    report.analyse(result)
    (out / "report.json").write_text(json.dumps(result, indent=1, default=str),
                                     encoding="utf-8")
    (out / "report.md").write_text(report.markdown(result), encoding="utf-8")
    say(f"done in {result['seconds']:.0f} s: {out / 'report.md'}")
    print()
    print(report.headline(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""The portal against a billing database on the LAN: threads, and the cap on queries.

    bench/run lan OUTDIR [--delay-ms 1] [--threads 4,8,16,32] [--levels 32,128]

PostgreSQL behind bench/delayproxy.py (each chunk delayed --delay-ms each way, a
round trip of one query then costs what it costs across an office switch). For
each `server.threads` the portal runs the page mix at each level with
`billing.max_concurrent` = threads (so the threads alone are measured), then once
more at the highest level with the default cap, while a sampler counts the portal's
queries running on the server (pg_stat_activity, every 10 ms): the cap must hold
however many residents arrive. Writes OUTDIR/lan.json and OUTDIR/lan.md.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import re
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import databases  # noqa: E402
import loadgen  # noqa: E402
import portal  # noqa: E402


class Proxy:
    def __init__(self, delay_ms: float, to: str = "127.0.0.1:5432"):
        self.proc = subprocess.Popen([sys.executable, str(HERE / "delayproxy.py"), "--to", to,
                                      "--delay-ms", str(delay_ms)], stdout=subprocess.PIPE,
                                     text=True)
        line = self.proc.stdout.readline()
        if not line.startswith("LISTENING "):
            self.proc.kill()
            raise RuntimeError("delay proxy did not start")
        self.port = int(line.split()[1])

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(timeout=10)


class Running:
    """Samples how many of the benchmark database's queries are running on the server."""

    def __init__(self, pg: str, database: str):
        import pyodbc

        self.conn = pyodbc.connect(f"{pg};DATABASE=postgres", autocommit=True)
        self.database = database
        self.peak = 0
        self.samples: list[int] = []
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        cursor = self.conn.cursor()
        while not self._done.is_set():
            n = cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = ? "
                               "AND state = 'active' AND pid <> pg_backend_pid()",
                               self.database).fetchone()[0]
            self.samples.append(n)
            self.peak = max(self.peak, n)
            time.sleep(0.01)

    def __enter__(self) -> Running:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._done.set()
        self._thread.join()
        self.conn.close()


def through(connection: str, port: int) -> str:
    return re.sub(r"PORT=\d+", f"PORT={port}", connection)


def run(args: argparse.Namespace, out: Path) -> dict[str, Any]:
    target = databases.Target("pg", args.premises, args.years, args.pg)
    if databases.cached(target) is None:
        raise SystemExit(f"{target.label} is not built: bench/databases.py pg {args.premises} "
                         f"{args.years}")
    proxy = Proxy(args.delay_ms)
    result: dict[str, Any] = {"label": target.label, "delay_ms": args.delay_ms,
                              "seconds": args.seconds, "threads": {},
                              "started": time.strftime("%Y-%m-%d %H:%M")}
    try:
        billing = through(target.connection, proxy.port)
        store = portal.ROOT / "var" / "bench" / "store-lan.sqlite3"
        made = portal.create_accounts(store, billing, portal.pick_residents(target,
                                                                            args.accounts),
                                      out / "logs" / "acc")
        cookies: dict[int, str] = {}
        items: list[dict[str, Any]] = []
        for threads in args.threads:
            server = portal.Server("portal", out, f"lan-{threads}", billing, store, settings=[
                f"server.threads={threads}", f"billing.max_concurrent={threads}"])
            try:
                if not cookies:
                    cookies, _ = portal.log_in_all(server, made)
                    items = portal.plan_requests(portal.fetch_options(server, cookies),
                                                 cookies, 30)
                mix = portal.wrk_list(items)
                loadgen.run(server.url + "/", mix, 8, 2)
                result["threads"][str(threads)] = levels = {}
                for c in args.levels:
                    with Running(args.pg, target.name) as running:
                        r = portal.measure(server, mix, c, args.seconds)
                    r["running_peak"] = running.peak
                    levels[str(c)] = r
                    portal.say(f"threads {threads} c={c}: {r['rps']} req/s, p99 "
                               f"{r['latency_ms']['p99']} ms, errors {r['errors']}, at most "
                               f"{r['server']['peak_running']} queries at once (portal), "
                               f"{running.peak} seen active on the server")
            finally:
                server.stop()
        result["rtt_ms"] = round_trip(billing, args.pg)
        result["cap"] = cap_run(args, out, billing, store, items)
    finally:
        proxy.stop()
    return result


def cap_run(args: argparse.Namespace, out: Path, billing: str, store: Path,
            items: list[dict[str, Any]]) -> dict[str, Any]:
    """The most threads and connections, with the shipped cap (billing.max_concurrent)."""
    from gateway.config import SETTINGS

    cap = int(next(s.default for s in SETTINGS
                   if (s.section, s.key) == ("billing", "max_concurrent")))
    threads, c = max(args.threads), max(args.levels)
    server = portal.Server("portal", out, f"lan-cap-{threads}", billing, store,
                           settings=[f"server.threads={threads}"])
    try:
        mix = portal.wrk_list(items)
        loadgen.run(server.url + "/", mix, 8, 2)
        with Running(args.pg, databases.Target("pg", args.premises, args.years).name) as running:
            r = portal.measure(server, mix, c, args.seconds)
    finally:
        server.stop()
    r.update(cap=cap, threads=threads, running_peak=running.peak)
    portal.say(f"cap {cap}, threads {threads}, c={c}: {r['rps']} req/s, p99 "
               f"{r['latency_ms']['p99']} ms, errors {r['errors']}, at most "
               f"{r['server']['peak_running']} queries at once (portal), {running.peak} seen "
               "active on the server")
    return r


def round_trip(billing: str, pg: str) -> dict[str, float]:
    """One `SELECT 1` through the proxy and straight, median of 50 (ms)."""
    import pyodbc

    def median_ms(connection: str) -> float:
        with contextlib.closing(pyodbc.connect(connection, autocommit=True)) as conn:
            cursor = conn.cursor()
            times = []
            for _ in range(50):
                started = time.perf_counter()
                cursor.execute("SELECT 1").fetchall()
                times.append((time.perf_counter() - started) * 1000)
        return round(sorted(times)[25], 2)

    return {"proxy": median_ms(billing), "direct": median_ms(f"{pg};DATABASE=postgres")}


def markdown(result: dict[str, Any]) -> str:
    levels = list(next(iter(result["threads"].values())))
    head = " | ".join(f"c={c} req/s | p99 ms | at once" for c in levels)
    lines = [f"### Billing database on the LAN ({result['label']}, delay proxy "
             f"{result['delay_ms']:g} ms each way: one query round trip "
             f"{result['rtt_ms']['proxy']} ms, {result['rtt_ms']['direct']} ms direct; "
             f"{result['seconds']:g} s per run, {result['started']})", "",
             f"| server.threads | {head} |", "|---" * (1 + 3 * len(levels)) + "|"]
    for threads, by_level in result["threads"].items():
        cells = " | ".join(f"{r['rps']} | {r['latency_ms']['p99']} | "
                           f"{r['server']['peak_running']}" for r in by_level.values())
        lines.append(f"| {threads} | {cells} |")
    cap = result["cap"]
    lines += ["", "`at once`: the most portal queries in flight at one time, counted by the "
              "portal's driver (billing.max_concurrent = threads here).", "",
              f"With the shipped cap (billing.max_concurrent = {cap['cap']}), "
              f"{cap['threads']} threads and {cap['connections']} connections: "
              f"{cap['rps']} req/s, p99 {cap['latency_ms']['p99']} ms, {cap['errors']} errors; "
              f"**at most {cap['server']['peak_running']} queries in flight** (counted by the "
              f"driver), at most {cap['running_peak']} seen executing on the server "
              "(pg_stat_activity every 10 ms).", ""]
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--pg", default=databases.DEFAULT_PG)
    parser.add_argument("--premises", type=int, default=12000)
    parser.add_argument("--years", type=int, default=10)
    parser.add_argument("--accounts", type=int, default=24)
    parser.add_argument("--delay-ms", type=float, default=1.0)
    parser.add_argument("--seconds", type=float, default=8)
    parser.add_argument("--threads", type=lambda s: [int(x) for x in s.split(",")],
                        default=[4, 8, 16, 32])
    parser.add_argument("--levels", type=lambda s: [int(x) for x in s.split(",")],
                        default=[32, 128])
    args = parser.parse_args()
    out = args.out.resolve()
    out.mkdir(parents=True, exist_ok=True)
    result = run(args, out)
    (out / "lan.json").write_text(json.dumps(result, indent=1, default=str))
    (out / "lan.md").write_text(markdown(result), encoding="utf-8")
    print(markdown(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())

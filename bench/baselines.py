"""What the portal is measured against, and what the report says about the machine.

(a) the pages' SQL straight through the driver (`run_raw`, bench/rawsql.py in its
own process), (c) the cost of one login (`login_cost`), the index check of every
page query (`index_check`), the py-spy profile, and the machine's description.
"""

from __future__ import annotations

import json
import os
import platform
import re
import shutil
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

import databases  # noqa: E402
import loadgen  # noqa: E402
import report  # noqa: E402
from portal import PASSPHRASE, Server, say  # noqa: E402

BIG_TABLES = {"NALICZENIA", "DOKUMENTY", "ODCZYTY", "ROZL_MED", "PRZYDZIALY", "KONTA",
              "LICZNIKI", "SALDA_BO", "RACH_WIRT", "LOKALE", "OSOBY"}

ALIAS_RE = re.compile(r"\b(?:FROM|JOIN)\s+([A-Za-z_][A-Za-z0-9_]*)\s+(?:AS\s+)?"
                      r"([A-Za-z_][A-Za-z0-9_]*)", re.I)
SQL_WORDS = {"WHERE", "ON", "JOIN", "LEFT", "RIGHT", "INNER", "OUTER", "CROSS", "GROUP",
             "ORDER", "USING", "AS"}



def run_raw(target: databases.Target, items: list[dict[str, Any]], connections: int,
            seconds: float, out: Path) -> dict[str, Any]:
    """Baseline (a) in its own process."""
    spec = {"connection": target.connection, "connections": connections, "seconds": seconds,
            "items": [{"page": i["page"], "queries": i["queries"]} for i in items]}
    path = out / "raw" / f"spec-{target.kind}-{target.premises}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(spec), encoding="utf-8")
    done = subprocess.run([sys.executable, str(HERE / "rawsql.py"), str(path)],
                          capture_output=True, text=True, timeout=seconds + 120, cwd=ROOT,
                          check=False)
    match = re.search(r"^RAWJSON (\{.*\})$", done.stdout, re.M)
    if not match:
        raise RuntimeError(f"raw SQL baseline failed: {done.stdout[-500:]} {done.stderr[-1500:]}")
    return json.loads(match.group(1))


def login_cost() -> dict[str, Any]:
    """Baseline (c): one argon2id hash/verify with the production parameters."""
    from gateway.store.passwords import make_hasher

    hasher = make_hasher(3, 65536, 2)
    stored = hasher.hash(PASSPHRASE)
    verify = []
    for _ in range(5):
        started = time.perf_counter()
        hasher.verify(stored, PASSPHRASE)
        verify.append(time.perf_counter() - started)
    hashing = []
    for _ in range(3):
        started = time.perf_counter()
        hasher.hash(PASSPHRASE)
        hashing.append(time.perf_counter() - started)
    # Two logins at once (2 cores): what the machine can verify per second.
    with ThreadPoolExecutor(2) as pool:
        started = time.perf_counter()
        list(pool.map(lambda _: hasher.verify(stored, PASSPHRASE), range(8)))
        parallel = 8 / (time.perf_counter() - started)
    verify.sort()
    hashing.sort()
    return {"params": "argon2id t=3 m=65536 KiB p=2",
            "verify_ms": round(verify[len(verify) // 2] * 1000, 1),
            "hash_ms": round(hashing[len(hashing) // 2] * 1000, 1),
            "verifies_per_s_2_threads": round(parallel, 1),
            "memory_per_hash_mb": 64}


def index_check(target: databases.Target, items: list[dict[str, Any]]) -> dict[str, Any]:
    """EXPLAIN each page query (sample parameters): full scans of big tables, if any."""
    import rawsql

    from gateway.billing.queries import QuerySet

    dialect = "sqlite" if target.kind == "sqlite" else "postgresql"
    queries = QuerySet(ROOT / "queries", dialect, need_resident=True)
    samples: dict[str, dict] = {}
    for item in items:
        for name, params in item["queries"]:
            samples.setdefault(name, params)
    # The option-list queries (cached per resident) run with the resident only.
    resident = items[0]["resident"]
    for name in ("resident_premises", "rent_periods", "ledger_accounts", "reading_dates",
                 "settlement_dates", "resident_profile"):
        samples.setdefault(name, {"resident": resident})
    conn = rawsql.connect(target.connection, target.kind == "sqlite", dialect)
    found: dict[str, Any] = {}
    try:
        for name, params in sorted(samples.items()):
            query = queries[name]
            values = []
            for p in query.param_order:
                value = params[p]
                if p in rawsql.DATE_PARAMS and target.kind != "sqlite":
                    value = date.fromisoformat(value)
                values.append(value)
            cursor = conn.cursor()
            if target.kind == "sqlite":
                cursor.execute("EXPLAIN QUERY PLAN " + query.sql, values)
                plan = [str(r[-1]) for r in cursor.fetchall()]
                # EXPLAIN QUERY PLAN names the alias ("SCAN w"): map it to the table.
                aliases = {a.lower(): t.upper() for t, a in ALIAS_RE.findall(query.sql)
                           if a.upper() not in SQL_WORDS}
                scans = [line for line in plan if line.startswith("SCAN ")
                         and "INDEX" not in line
                         and aliases.get(line.split()[1].lower(), line.split()[1].upper())
                         in BIG_TABLES]
            else:
                cursor.execute("EXPLAIN " + query.sql, values)
                plan = [str(r[0]) for r in cursor.fetchall()]
                scans = [line.strip() for line in plan if "Seq Scan on" in line
                         and line.split("Seq Scan on")[1].split()[0].upper() in BIG_TABLES]
            cursor.close()
            found[name] = {"full_scans": scans, "plan": plan}
    finally:
        conn.close()
    return found


def profile_run(server: Server, requests: list[tuple[str, str]], seconds: float,
                out: Path) -> dict[str, Any] | None:
    """py-spy on the server during a 32-connection mix run: what holds the GIL (the
    server is a Python process on 2 cores: GIL time is what limits it); top functions."""
    spy = shutil.which("py-spy") or str(Path(sys.executable).with_name("py-spy"))
    if not Path(spy).exists():
        say("py-spy not installed (pip install py-spy): no profile")
        return None
    raw = out / f"profile-{server.name}.txt"
    spy_proc = subprocess.Popen([spy, "record", "-p", str(server.proc.pid), "-d",
                                 str(int(seconds) + 2), "-r", "200", "--gil", "-f", "raw", "-o",
                                 str(raw), "--nonblocking"],
                                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    time.sleep(1)
    result = loadgen.run(server.url + "/", requests, 32, seconds)
    spy_proc.wait(timeout=120)
    if not raw.is_file():
        say(f"py-spy wrote nothing: {spy_proc.stderr.read()[-300:]}")
        return None
    return {"run": result, "file": raw.name} | report.summarize_profile(raw)


def machine() -> dict[str, Any]:
    cpu = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    versions = {}
    for module in ("flask", "waitress", "pyodbc", "argon2", "werkzeug", "jinja2"):
        try:
            from importlib.metadata import version

            dist = {"argon2": "argon2-cffi"}.get(module, module)
            versions[module] = version(dist)
        except Exception:  # noqa: BLE001
            versions[module] = "?"
    wrk = subprocess.run([loadgen.wrk_path(), "-v"], capture_output=True, text=True,
                         check=False)
    return {"cpus": os.cpu_count(), "cpu": cpu, "python": platform.python_version(),
            "system": platform.platform(), "packages": versions,
            "wrk": (wrk.stdout or wrk.stderr).splitlines()[0] if (wrk.stdout or wrk.stderr)
            else "?"}


def pg_version(pg: str) -> str:
    try:
        conn = databases.pg_connect(pg, "postgres")
        cursor = conn.cursor()
        cursor.execute("SELECT version()")
        text = cursor.fetchone()[0]
        conn.close()
        return text.split(" on ")[0]
    except Exception as exc:  # noqa: BLE001
        return f"unreachable: {exc}"


def loadavg() -> str:
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "?"


def pg_start_time(pg: str) -> str | None:
    """When the PostgreSQL server started (a change means someone restarted it)."""
    try:
        conn = databases.pg_connect(pg, "postgres")
        cursor = conn.cursor()
        cursor.execute("SELECT pg_postmaster_start_time()")
        value = str(cursor.fetchone()[0])
        conn.close()
        return value
    except Exception:  # noqa: BLE001
        return None


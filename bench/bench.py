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
import http.client
import json
import os
import platform
import random
import re
import shutil
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import date, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

import databases  # noqa: E402
import loadgen  # noqa: E402
import report  # noqa: E402

PASSPHRASE = "zielona łąka nad Wartą o świcie"
CSRF_RE = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"|'
                     r'name="csrf_token" value="([^"]+)"')
COOKIE = "portal_session"

# Page endpoint -> (path, weight in the mix). Weights: a day when rent notices
# go out (rent and balances first, then the rest).
PAGES = {
    "pages.personal": ("/dane-osobowe", 12),
    "pages.rent": ("/czynsz", 26),
    "pages.ledger": ("/ksiegowosc", 18),
    "pages.ledger_details": ("/ksiegowosc/szczegoly", 10),
    "pages.virtual_accounts": ("/wirtualne-rachunki", 10),
    "pages.readings": ("/media/odczyty", 12),
    "pages.settlements": ("/media/rozliczenia", 12),
}
BIG_TABLES = {"NALICZENIA", "DOKUMENTY", "ODCZYTY", "ROZL_MED", "PRZYDZIALY", "KONTA",
              "LICZNIKI", "SALDA_BO", "RACH_WIRT", "LOKALE", "OSOBY"}

ALIAS_RE = re.compile(r"\b(?:FROM|JOIN)\s+([A-Za-z_][A-Za-z0-9_]*)\s+(?:AS\s+)?"
                      r"([A-Za-z_][A-Za-z0-9_]*)", re.I)
SQL_WORDS = {"WHERE", "ON", "JOIN", "LEFT", "RIGHT", "INNER", "OUTER", "CROSS", "GROUP",
             "ORDER", "USING", "AS"}

HELLO = [("/", "x=1")]  # wrk sends the (ignored) cookie header too

T0 = time.monotonic()


def say(message: str) -> None:
    print(f"[{time.monotonic() - T0:6.0f}s] {message}", flush=True)


# ---- the server process ------------------------------------------------------------

class Server:
    """bench/server.py in its own process; samples its memory while it runs."""

    def __init__(self, mode: str, out: Path, name: str, billing: str = "",
                 store: Path | None = None, env: dict[str, str] | None = None,
                 settings: list[str] | None = None):
        self.name = name
        log_dir = out / "logs" / name
        log_dir.mkdir(parents=True, exist_ok=True)
        command = [sys.executable, str(HERE / "server.py"), mode, "--port", "0",
                   "--log-dir", str(log_dir)]
        if billing:
            command += ["--billing", billing]
        if store:
            command += ["--store", str(store)]
        for item in settings or ():
            command += ["--set", item]
        self.stderr = open(log_dir / "server.stderr", "w")  # noqa: SIM115 - closed in stop()
        self.proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=self.stderr,
                                     text=True, cwd=ROOT, env=env)
        deadline = time.monotonic() + 60
        line = ""
        while time.monotonic() < deadline:
            line = self.proc.stdout.readline()
            if line.startswith("LISTENING ") or not line:
                break
        if not line.startswith("LISTENING "):
            self.proc.kill()
            self.stderr.close()
            raise RuntimeError(f"{name}: server did not start; see {log_dir}/server.stderr:\n"
                               + (log_dir / "server.stderr").read_text()[-2000:])
        self.port = int(line.split()[1])
        self.url = f"http://127.0.0.1:{self.port}"
        self._peak = 0
        self._stop = threading.Event()
        self._sampler = threading.Thread(target=self._sample, daemon=True)
        self._sampler.start()

    def _status(self, field: str) -> int:
        try:
            text = Path(f"/proc/{self.proc.pid}/status").read_text()
        except OSError:
            return 0
        match = re.search(rf"^{field}:\s+(\d+) kB", text, re.M)
        return int(match.group(1)) if match else 0

    def _sample(self) -> None:
        while not self._stop.is_set():
            self._peak = max(self._peak, self._status("VmRSS"))
            time.sleep(0.05)

    def mark(self) -> None:
        """Start a new peak-memory window."""
        self._peak = self._status("VmRSS")

    def peak_mb(self) -> float:
        return round(self._peak / 1024, 1)

    def rss_mb(self) -> float:
        return round(self._status("VmRSS") / 1024, 1)

    def hwm_mb(self) -> float:
        return round(self._status("VmHWM") / 1024, 1)

    def get_json(self, path: str, cookie: str | None = None) -> Any:
        status, _, body = http_get(self.port, path, cookie)
        if status != 200:
            raise RuntimeError(f"{path}: HTTP {status}")
        return json.loads(body)

    def stop(self) -> float:
        """Ends the process; returns its lifetime peak RSS (VmHWM) in MB."""
        hwm = self.hwm_mb()
        self._stop.set()
        self.proc.terminate()
        try:
            self.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.stderr.close()
        return hwm


# ---- HTTP as a resident ---------------------------------------------------------------

def http_get(port: int, path: str, cookie: str | None = None,
             form: dict[str, str] | None = None) -> tuple[int, dict[str, str], str]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    headers = {"Cookie": f"{COOKIE}={cookie}"} if cookie else {}
    try:
        if form is None:
            conn.request("GET", path, headers=headers)
        else:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
            conn.request("POST", path, body=urlencode(form).encode(), headers=headers)
        response = conn.getresponse()
        body = response.read().decode("utf-8", "replace")
        found = {}
        for name, value in response.getheaders():
            if name.lower() == "set-cookie" and value.startswith(COOKIE + "="):
                found["cookie"] = value.split(";", 1)[0].split("=", 1)[1]
            elif name.lower() == "location":
                found["location"] = value
        return response.status, found, body
    finally:
        conn.close()


def csrf(html: str) -> str:
    match = CSRF_RE.search(html)
    if not match:
        raise RuntimeError("no CSRF token in the page")
    return match.group(1) or match.group(2)


def log_in(port: int, login: str, start_password: str) -> tuple[str, float]:
    """Login with the start password, then the forced change; returns (cookie, login s)."""
    status, got, body = http_get(port, "/logowanie")
    cookie = got.get("cookie")
    started = time.perf_counter()
    status, got, body = http_get(port, "/logowanie", cookie, {
        "login": login, "password": start_password, "csrf_token": csrf(body)})
    login_seconds = time.perf_counter() - started
    if status != 302:
        raise RuntimeError(f"login {login}: HTTP {status}")
    cookie = got.get("cookie", cookie)
    status, got, body = http_get(port, "/haslo", cookie)
    cookie = got.get("cookie", cookie)
    status, got, body = http_get(port, "/haslo", cookie, {
        "current_password": start_password, "new_password": PASSPHRASE,
        "new_password_confirm": PASSPHRASE, "csrf_token": csrf(body)})
    if status != 302:
        raise RuntimeError(f"password change {login}: HTTP {status}")
    return got.get("cookie", cookie), login_seconds


def log_in_again(port: int, login: str) -> None:
    """A plain login with the resident's own passphrase (a new session)."""
    status, got, body = http_get(port, "/logowanie")
    status, got, body = http_get(port, "/logowanie", got.get("cookie"), {
        "login": login, "password": PASSPHRASE, "csrf_token": csrf(body)})
    if status != 302:
        raise RuntimeError(f"login {login}: HTTP {status}")


# ---- accounts and the request mix -------------------------------------------------------

def pick_residents(target: databases.Target, count: int) -> list[int]:
    """Residents with an active assignment, spread evenly over the whole database."""
    import rawsql

    conn = rawsql.connect(target.connection, target.kind == "sqlite",
                          "sqlite" if target.kind == "sqlite" else "postgresql")
    try:
        cursor = conn.cursor()
        cursor.execute("SELECT DISTINCT ID_OS FROM PRZYDZIALY WHERE DATA_DO IS NULL "
                       "ORDER BY ID_OS")
        ids = [int(r[0]) for r in cursor.fetchall()]
    finally:
        conn.close()
    fixed = [i for i in (1, 2, 4, 5) if i in ids][:max(0, count // 10)]
    rest = [i for i in ids if i not in fixed]
    step = len(rest) / max(1, count - len(fixed))
    return fixed + [rest[int(k * step)] for k in range(count - len(fixed))]


def create_accounts(store: Path, billing: str, residents: list[int], log_dir: Path
                    ) -> list[tuple[int, str, str]]:
    """Accounts created the way the office does it; [(resident, login, start password)]."""
    from server import portal_settings

    from gateway import accounts, create_app

    store.unlink(missing_ok=True)
    for suffix in ("-wal", "-shm"):
        Path(str(store) + suffix).unlink(missing_ok=True)
    app = create_app(test_config=portal_settings(billing, str(store), str(log_dir)))
    made = []
    with app.app_context():
        for resident in residents:
            account, start = accounts.create(str(resident))
            made.append((resident, account.login, start))
    return made


def log_in_all(server: Server, made: list[tuple[int, str, str]]) -> tuple[dict, list[float]]:
    """Every account logged in (2 at a time: 2 cores); {resident: cookie}, login times."""
    def one(item):
        resident, login, start = item
        cookie, seconds = log_in(server.port, login, start)
        return resident, cookie, seconds

    with ThreadPoolExecutor(2) as pool:
        done = list(pool.map(one, made))
    return {r: c for r, c, _ in done}, [s for _, _, s in done]


def fetch_options(server: Server, cookies: dict[int, str]) -> dict[int, dict]:
    with ThreadPoolExecutor(4) as pool:
        got = pool.map(lambda rc: (rc[0], server.get_json("/_bench/options", rc[1])),
                       cookies.items())
        return dict(got)


def plan_requests(options: dict[int, dict], cookies: dict[int, str], per_account: int,
                  seed: int = 7) -> list[dict[str, Any]]:
    """The mix: for each resident, `per_account` page views by weight, varied periods.

    Each item: page, path (with parameters), cookie, and `queries`: the data
    queries the page shows ([name, params]) for the raw-SQL baseline.
    """
    from gateway.params import month_range, year_range

    rng = random.Random(seed)
    names = list(PAGES)
    weights = [PAGES[n][1] for n in names]
    today = date.today().isoformat()
    items = []

    def period(y: int, m: int | None = None) -> dict[str, str]:
        start, end = month_range(y, m) if m else year_range(y)
        return {"date_from": start.isoformat(), "date_to": end.isoformat()}

    for resident, opts in sorted(options.items()):
        cookie = f"{COOKIE}={cookies[resident]}"
        for page in rng.choices(names, weights, k=per_account):
            base = PAGES[page][0]
            params: dict[str, Any] = {}
            queries: list[list[Any]] = []
            who = {"resident": resident}
            if page == "pages.personal":
                queries = [["resident_profile", who], ["resident_premises", who]]
            elif page == "pages.virtual_accounts":
                queries = [["virtual_accounts", who | {"today": today}]]
            elif page == "pages.rent" and opts["rent"]:
                lokal = rng.choice(sorted(opts["rent"]))
                months = opts["rent"][lokal]
                # Half look at the newest notice, half browse back.
                chosen = months[-1] if rng.random() < 0.5 else rng.choice(months)
                y, m = int(chosen[:4]), int(chosen[5:7])
                params = {"lokal": lokal, "rok": y, "miesiac": m}
                queries = [["rent_components", who | {"premises": int(lokal)} | period(y, m)]]
            elif page in ("pages.ledger", "pages.ledger_details") and opts["ledger"]:
                account = rng.choice(opts["ledger"])
                y = account["years"][-1] if rng.random() < 0.5 else rng.choice(account["years"])
                params = {"lokal": account["premises"], "konto": account["account"], "rok": y}
                bound = who | {"account": account["account"]} | period(y)
                queries = [["ledger_summary", bound]]
                if page == "pages.ledger_details":
                    queries.append(["ledger_documents", bound])
            elif page == "pages.readings" and opts["readings"]:
                choice = rng.choice(opts["readings"])
                y = rng.choice(choice["years"])
                params = {"lokal": choice["premises"], "medium": choice["medium"], "rok": y}
                queries = [["meter_readings", who | {"premises": choice["premises"],
                                                     "medium": choice["medium"]} | period(y)]]
            elif page == "pages.settlements" and opts["settlements"]:
                choice = rng.choice(opts["settlements"])
                y = rng.choice(choice["years"])
                params = {"lokal": choice["premises"], "konto": choice["account"], "rok": y}
                queries = [["settlements", who | {"account": choice["account"]} | period(y)]]
            path = base + ("?" + urlencode(params) if params else "")
            items.append({"page": page, "path": path, "cookie": cookie, "queries": queries,
                          "resident": resident})
    rng.shuffle(items)
    return items


def wrk_list(items: list[dict[str, Any]]) -> list[tuple[str, str]]:
    return [(i["path"], i["cookie"]) for i in items]


# ---- measuring ---------------------------------------------------------------------

def server_summary(stats: dict[str, Any]) -> dict[str, Any]:
    pages = {}
    views = queries = bad = 0
    for page, s in sorted(stats["pages"].items()):
        non200 = sum(n for code, n in s["status"].items() if code != "200")
        pages[page] = {"views": s["views"], "non200": non200,
                       "queries_per_view": round(s["queries"] / s["views"], 3),
                       "queries_max": s["queries_max"], "queries_hist": s["queries_hist"],
                       "app_ms_mean": round(s["seconds"] / s["views"] * 1000, 2)}
        views += s["views"]
        queries += s["queries"]
        bad += non200
    return {"pages": pages, "views": views, "non200": bad,
            "queries_per_view": round(queries / views, 3) if views else 0.0,
            "queries_max": max((p["queries_max"] for p in pages.values()), default=0)}


def measure(server: Server, requests: list[tuple[str, str]], connections: int,
            seconds: float) -> dict[str, Any]:
    if server.name != "hello":
        server.get_json("/_bench/reset")
    server.mark()
    result = loadgen.run(server.url + "/", requests, connections, seconds)
    result["peak_rss_mb"] = server.peak_mb()
    if server.name != "hello":
        result["server"] = server_summary(server.get_json("/_bench/stats"))
    return result


def cold_pass(server: Server, cookies: dict[int, str], count: int) -> dict[str, Any]:
    """First views after a start (empty cache): each page once, without parameters."""
    server.get_json("/_bench/reset")
    statuses = []
    for cookie in list(cookies.values())[:count]:
        for path, _weight in PAGES.values():
            status, _got, _body = http_get(server.port, path, cookie)
            statuses.append(status)
    summary = server_summary(server.get_json("/_bench/stats"))
    summary["statuses"] = sorted(set(statuses))
    return summary


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
    from gateway.passwords import make_hasher

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

    from gateway.querylib import QuerySet

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
    # holds a 64 MiB argon2 buffer while it hashes (at most as many as cores at once).
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


def large_session(cfg: dict[str, Any], backends: list[str], pg: str, out: Path,
                  profile: bool) -> tuple[dict[str, Any], dict[str, Any]]:
    """The large scale, each backend: the portal at every level, each page, then the
    raw-SQL baseline. Returns (results, {kind: (items, store)}) for the growth step."""
    premises = cfg["large"]
    results: dict[str, Any] = {"premises": premises, "backends": {}}
    first = databases.Target(backends[0], premises, cfg["years"], pg)
    store = ROOT / "var" / "bench" / f"store-{premises}.sqlite3"
    residents = pick_residents(first, cfg["accounts"])
    say(f"{premises} premises: creating {len(residents)} accounts (argon2id, production cost)")
    made = create_accounts(store, first.connection, residents, out / "logs" / "accounts")
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
    first = databases.Target(backends[0], premises, cfg["years"], pg)
    store = ROOT / "var" / "bench" / f"store-{premises}.sqlite3"
    residents = pick_residents(first, cfg["small_accounts"])
    say(f"{premises} premises: creating {len(residents)} accounts (argon2id, production cost)")
    made = create_accounts(store, first.connection, residents, out / "logs" / "accounts")
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

"""The portal under test: its server process, accounts, logins and the planned mix.

Used by bench.py and compare.py: `Server` runs bench/server.py in its own
process; residents get accounts the office way and log in through the real
forms; `plan_requests` draws the mix of page views from each resident's own
options; `measure` drives one wrk run and reads the server's own counters.
"""

from __future__ import annotations

import http.client
import json
import os
import random
import re
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

import databases  # noqa: E402
import loadgen  # noqa: E402

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
HELLO = [("/", "x=1")]  # wrk sends the (ignored) cookie header too

T0 = time.monotonic()


def say(message: str) -> None:
    print(f"[{time.monotonic() - T0:6.0f}s] {message}", flush=True)


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

    def cpu_seconds(self) -> float:
        """User + system CPU the server process has used so far (all its threads)."""
        try:
            fields = Path(f"/proc/{self.proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            return 0.0
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

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

    from gateway import create_app
    from gateway.store import accounts

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
    from gateway.web.params import month_range, year_range

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
                # The month's table and the chart's 24 months: one query (issue 16).
                months_24 = period(y, m) | {"date_from": date(y - 2 + (m == 12), m % 12 + 1,
                                                               1).isoformat()}
                queries = [["rent_components", who | {"premises": int(lokal)} | months_24]]
            elif page in ("pages.ledger", "pages.ledger_details") and opts["ledger"]:
                account = rng.choice(opts["ledger"])
                y = account["years"][-1] if rng.random() < 0.5 else rng.choice(account["years"])
                params = {"lokal": account["premises"], "konto": account["account"], "rok": y}
                bound = who | {"account": account["account"]} | period(y)
                # The documents draw the month-end balances on both views (issue 16).
                queries = [["ledger_summary", bound], ["ledger_documents", bound]]
            elif page == "pages.readings" and opts["readings"]:
                choice = rng.choice(opts["readings"])
                y = rng.choice(choice["years"])
                params = {"lokal": choice["premises"], "medium": choice["medium"], "rok": y}
                # The year before comes along for the chart (issue 16).
                queries = [["meter_readings", who | {"premises": choice["premises"],
                                                     "medium": choice["medium"]} | period(y)
                            | {"date_from": f"{y - 1}-01-01"}]]
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
            "peak_running": stats.get("peak_running"),
            "queries_per_view": round(queries / views, 3) if views else 0.0,
            "queries_max": max((p["queries_max"] for p in pages.values()), default=0)}


def measure(server: Server, requests: list[tuple[str, str]], connections: int,
            seconds: float) -> dict[str, Any]:
    if server.name not in ("hello", "bare"):
        server.get_json("/_bench/reset")
    server.mark()
    cpu = server.cpu_seconds()
    result = loadgen.run(server.url + "/", requests, connections, seconds)
    # Server CPU per answered request: the steadiest figure on a shared machine.
    result["cpu_ms_per_request"] = round((server.cpu_seconds() - cpu) * 1000
                                         / max(1, result["requests"]), 3)
    result["peak_rss_mb"] = server.peak_mb()
    if server.name not in ("hello", "bare"):
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


"""The CPU one page view costs inside the app alone: no server, one thread, no contention.

    .venv/bin/python bench/inapp.py [--billing CONN] [--resident ID] [--rounds 7]

Calls the WSGI app directly for each page of one logged-in resident (and a
one-route Flask "hello world" the same way), 40 views a round, and reports the
least CPU time per view over the rounds: the floor under what the served
portal can reach, since waitress, the network and the interpreter lock only
add to it. Default: the embedded demo database, built into var/bench/ if
missing. For PostgreSQL run under bench/run's ODBCSYSINI, e.g.
`ODBCSYSINI=var/bench/odbc .venv/bin/python bench/inapp.py --billing
"DRIVER={PostgreSQL Unicode};SERVER=127.0.0.1;UID=postgres;DATABASE=bench_12000_10"`.
"""

from __future__ import annotations

import argparse
import re
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from werkzeug.test import EnvironBuilder  # noqa: E402

PAGES = ["/healthz", "/dane-osobowe", "/czynsz", "/ksiegowosc", "/ksiegowosc/szczegoly",
         "/wirtualne-rachunki", "/media/odczyty", "/media/rozliczenia"]
PASSPHRASE = "zielona łąka nad Wartą o świcie"
TOKEN_RE = re.compile(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"')


def logged_in_app(billing: str, resident: str, folder: Path):
    """The portal with production settings but cheap hashing, and one resident's cookie."""
    from gateway import create_app
    from gateway.store import accounts

    app = create_app(test_config={
        "billing.connection": billing, "store.path": str(folder / "store.sqlite3"),
        "logging.dir": str(folder / "log"), "portal.secret_key": "inapp-" + "k" * 40,
        "security.argon2_time_cost": "1", "security.argon2_memory_kib": "8192",
        "security.argon2_parallelism": "1"})
    with app.app_context():
        account, start = accounts.create(resident, None)
    client = app.test_client()

    def post(path: str, fields: dict) -> None:
        token = TOKEN_RE.search(client.get(path).get_data(as_text=True)).group(1)
        response = client.post(path, data={**fields, "csrf_token": token})
        assert response.status_code == 302, response.get_data(as_text=True)[:300]

    post("/logowanie", {"login": account.login, "password": start})
    post("/haslo", {"current_password": start, "new_password": PASSPHRASE,
                    "new_password_confirm": PASSPHRASE})
    return app, client.get_cookie("portal_session").value


def caller(app, cookie: str | None) -> Callable[[str], None]:
    headers = {"Cookie": f"portal_session={cookie}"} if cookie else {}

    def call(path: str) -> None:
        environ = EnvironBuilder(path=path, headers=headers).get_environ()
        body = app(environ, lambda status, headers, exc_info=None: None)
        b"".join(body)
        getattr(body, "close", lambda: None)()

    return call


def least_cpu_us(call: Callable[[str], None], paths: list[str], rounds: int) -> dict[str, float]:
    best = {path: float("inf") for path in paths}
    for path in paths:
        for _ in range(20):
            call(path)
    for _ in range(rounds):
        for path in paths:
            started = time.thread_time()
            for _ in range(40):
                call(path)
            best[path] = min(best[path], (time.thread_time() - started) / 40 * 1e6)
    return best


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--billing", help="billing connection (default: the demo database)")
    parser.add_argument("--resident", default="1")
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args()
    billing = args.billing
    if billing is None:
        demo = ROOT / "var" / "bench" / "inapp-demo.sqlite3"
        if not demo.exists():
            from gateway.demo.generate import build

            demo.parent.mkdir(parents=True, exist_ok=True)
            build(f"sqlite:{demo}")
        billing = f"sqlite:{demo}"
    from flask import Flask

    hello = Flask("hello")
    hello.get("/")(lambda: "Hello, World!")
    with tempfile.TemporaryDirectory(prefix="bench-inapp-") as tmp:
        app, cookie = logged_in_app(billing, args.resident, Path(tmp))
        pages = least_cpu_us(caller(app, cookie), PAGES, args.rounds)
        floor = least_cpu_us(caller(hello, None), ["/"], args.rounds)["/"]
    print(f"CPU per view inside the app (least of {args.rounds} rounds of 40), µs:")
    print(f"  {'Flask hello world':28} {floor:7.0f}")
    for path, us in pages.items():
        print(f"  {path:28} {us:7.0f}")
    views = [pages[p] for p in PAGES[1:]]
    print(f"  {'mean of the seven pages':28} {sum(views) / len(views):7.0f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""SECURITY 23: hundreds of concurrent connections → no 5xx but 503, memory bounded.

The portal runs as its own process (`gateway serve`, production settings)
on 127.0.0.1; an asyncio client in the test holds 200 keep-alive
connections, logged in as several residents, for a bounded time. Nothing is
timed: the test asserts what residents get (no 5xx but 503 from the database
path), that memory stays bounded, and that the service answers afterwards.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import subprocess
import sys
import threading
import time
import urllib.parse
import urllib.request
from http.cookiejar import CookieJar
from pathlib import Path

import pytest
from conftest import STRONG_PASSWORD

CONNECTIONS = 200
SECONDS = 15
PAGES = ["/dane-osobowe", "/czynsz", "/ksiegowosc", "/ksiegowosc/szczegoly",
         "/wirtualne-rachunki", "/media/odczyty", "/media/rozliczenia", "/", "/healthz"]


def gateway(config: Path, *args: str) -> subprocess.CompletedProcess:
    exe = Path(sys.executable).with_name("gateway")
    return subprocess.run([str(exe), "--config", str(config), *args], capture_output=True,
                          text=True, timeout=120, check=False)


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def login(base: str, account: dict) -> str:
    """Log in through the forms and set an own password; returns the session cookie."""
    jar = CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))

    def post(path: str, fields: dict) -> None:
        page = opener.open(base + path).read().decode()
        token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
        data = urllib.parse.urlencode({**fields, "csrf_token": token}).encode()
        try:
            opener.open(urllib.request.Request(base + path, data=data,
                                               headers={"Referer": base + path}))
        except urllib.error.HTTPError as exc:
            body = exc.read().decode()
            raise AssertionError(re.findall(r'class="error"[^>]*>([^<]*)<', body)) from None

    post("/logowanie", {"login": account["login"], "password": account["start_password"]})
    post("/haslo", {"current_password": account["start_password"],
                    "new_password": STRONG_PASSWORD, "new_password_confirm": STRONG_PASSWORD})
    cookie = next(c for c in jar if c.name == "portal_session")
    assert opener.open(base + "/dane-osobowe").status == 200
    return cookie.value


async def one_connection(port: int, cookie: str, until: float, statuses: dict,
                         offset: int) -> None:
    try:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
    except OSError:
        statuses["connect_error"] = statuses.get("connect_error", 0) + 1
        return
    n = offset
    try:
        while time.monotonic() < until:
            path = PAGES[n % len(PAGES)]
            n += 1
            writer.write(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                         f"Cookie: portal_session={cookie}\r\n\r\n".encode())
            await writer.drain()
            head = await reader.readuntil(b"\r\n\r\n")
            status = int(head.split(b" ", 2)[1])
            length = int(re.search(rb"(?i)content-length: *(\d+)", head).group(1))
            await reader.readexactly(length)
            statuses[status] = statuses.get(status, 0) + 1
            if b"connection: close" in head.lower():
                break
    except (OSError, asyncio.IncompleteReadError):
        statuses["dropped"] = statuses.get("dropped", 0) + 1
    finally:
        writer.close()


def peak_rss_mb(pid: int) -> float:
    text = Path(f"/proc/{pid}/status").read_text(encoding="ascii")
    return int(re.search(r"VmHWM:\s+(\d+) kB", text).group(1)) / 1024


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc for memory")
def test_hundreds_of_connections_get_no_5xx_and_memory_stays_bounded(tmp_path, demo_path):
    port = free_port()
    config = tmp_path / "config.ini"
    config.write_text("\n".join([
        "[portal]", "secret_key = " + "s" * 48,
        "[billing]", f"connection = sqlite:{demo_path}", "query_timeout = 5",
        "[store]", f"path = {tmp_path / 'store.sqlite3'}",
        "[server]", f"port = {port}", "threads = 8", "connection_limit = 250",
        "[logging]", f"dir = {tmp_path / 'log'}",
        # Cheaper hashing: the logins are set-up, not what is measured.
        "[security]", "argon2_time_cost = 1", "argon2_memory_kib = 8192",
    ]) + "\n", encoding="utf-8")
    accounts = []
    for resident in (1, 2, 4, 5):
        created = gateway(config, "accounts", "create", str(resident), "--json")
        assert created.returncode == 0, created.stderr
        accounts.append(json.loads(created.stdout))
    exe = Path(sys.executable).with_name("gateway")
    server = subprocess.Popen([str(exe), "--config", str(config), "serve"],
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                              env={**os.environ, "PYTHONUNBUFFERED": "1"})
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(base + "/healthz", timeout=1)
                break
            except OSError:
                time.sleep(0.1)
        cookies = [login(base, account) for account in accounts]
        statuses: dict = {}

        async def load() -> None:
            until = time.monotonic() + SECONDS
            await asyncio.gather(*(one_connection(port, cookies[i % len(cookies)], until,
                                                  statuses, i)
                                   for i in range(CONNECTIONS)))

        # Its own thread: a browser test earlier in the session may leave an event
        # loop running in this one.
        worker = threading.Thread(target=lambda: asyncio.run(load()))
        worker.start()
        worker.join(SECONDS + 60)
        print(f"load: {statuses}, server peak RSS {peak_rss_mb(server.pid):.0f} MB")
        served = sum(v for k, v in statuses.items() if isinstance(k, int))
        assert served > CONNECTIONS, statuses  # the load really happened
        server_errors = {k: v for k, v in statuses.items()
                         if isinstance(k, int) and k >= 500 and k != 503}
        assert not server_errors, statuses
        assert set(statuses) <= {200, 503}, statuses
        assert peak_rss_mb(server.pid) < 300, f"peak RSS {peak_rss_mb(server.pid):.0f} MB"
        # Afterwards the service answers normally.
        assert urllib.request.urlopen(base + "/healthz", timeout=5).status == 200
        opener = urllib.request.build_opener()
        opener.addheaders = [("Cookie", f"portal_session={cookies[0]}")]
        assert opener.open(base + "/czynsz", timeout=10).status == 200
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()

"""Shared fixtures: the demo billing database, the app, clients, a login helper.

The demo billing database is built once per test session with the real
generator (small scale). Each test gets a fresh accounts store.
"""

from __future__ import annotations

import html
import os
import re
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from gateway import create_app

ROOT = Path(__file__).resolve().parent.parent
STRONG_PASSWORD = "srebrny tramwaj pod kasztanem w marcu"
DEMO = {"premises": 120, "years": 3, "seed": 7}
pytest_plugins = ["backends"]  # billing backends: SQLite, SQLite/PostgreSQL/MariaDB via ODBC


def pytest_configure(config: pytest.Config) -> None:
    # A private odbcinst.ini without psqlODBC's CommLog, when scripts/test.sh made one.
    private = ROOT / "var" / "odbc"
    if (private / "odbcinst.ini").is_file():
        os.environ.setdefault("ODBCSYSINI", str(private))


def sqlite_rows(uri: str, sql: str, params: tuple | dict = ()) -> list[sqlite3.Row]:
    """Run one statement on an SQLite file (autocommit) and return its rows."""
    conn = sqlite3.connect(uri, uri=True, isolation_level=None)
    conn.row_factory = sqlite3.Row
    try:
        return conn.execute(sql, params).fetchall()
    finally:
        conn.close()


@pytest.fixture(scope="session")
def demo_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The embedded demo billing database (built once, read-only for tests)."""
    from gateway.demo.generate import build

    path = tmp_path_factory.mktemp("billing") / "demo.sqlite3"
    build(f"sqlite:{path}", **DEMO)
    return path


@pytest.fixture(scope="session")
def demo_sql(demo_path: Path):
    """Run the test's own SQL against the demo database (expected values)."""

    def query(sql: str, params: tuple | dict = ()) -> list[sqlite3.Row]:
        return sqlite_rows(f"file:{demo_path}?mode=ro", sql, params)

    return query


def base_settings(tmp_path: Path, connection: str) -> dict[str, Any]:
    return {
        "billing.connection": connection,
        "billing.connect_timeout": "3",
        "billing.query_timeout": "5",
        "store.path": str(tmp_path / "store.sqlite3"),
        "logging.dir": str(tmp_path / "log"),
        "portal.secret_key": "test-" + "k" * 40,
        "cache.ttl_seconds": "0",
        # Cheap hashing keeps the suite fast; production parameters are in the benchmark.
        "security.argon2_time_cost": "1",
        "security.argon2_memory_kib": "8192",
        "security.argon2_parallelism": "1",
        "TESTING": True,
    }


@pytest.fixture
def settings(tmp_path: Path, demo_path: Path, request: pytest.FixtureRequest) -> dict[str, Any]:
    """Test settings, with what `@pytest.mark.settings({...})` on the test (or its
    module or class) adds: known before any fixture builds an app from them."""
    values = base_settings(tmp_path, f"sqlite:{demo_path}")
    for marker in reversed(list(request.node.iter_markers("settings"))):
        values.update(*marker.args, **marker.kwargs)
    return values


@pytest.fixture
def app(settings: dict[str, Any]):
    return create_app(test_config=settings)


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    """Click runner for `gateway` commands against this app's settings."""
    from click.testing import CliRunner

    from gateway.cli import Context, main

    class Runner:
        def invoke(self, args: list[str], **kwargs: Any):
            obj = Context(None)
            obj._app = app
            return CliRunner().invoke(main, args, obj=obj, catch_exceptions=False, **kwargs)

    return Runner()


CSRF_RE = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"|'
                     r'name="csrf_token" value="([^"]+)"')


def text(response) -> str:
    """A response's page as text, entities decoded."""
    return html.unescape(response.get_data(as_text=True))


def path_of(response) -> str:
    """Where a redirect goes (path only)."""
    return urlsplit(response.location).path


def csrf_token(page: str) -> str:
    match = CSRF_RE.search(page)
    assert match, "no CSRF token in the page"
    return match.group(1) or match.group(2)


class Auth:
    """Logs residents in through the real forms (CSRF included)."""

    def __init__(self, app, client):
        self.app = app
        self.client = client

    def create(self, resident: str | int, login: str | None = None) -> tuple[str, str]:
        from gateway.store import accounts

        with self.app.app_context():
            account, start = accounts.create(str(resident), login)
        return account.login, start

    def login(self, login: str, password: str, next_url: str | None = None, client=None):
        client = client or self.client
        page = client.get("/logowanie")
        url = "/logowanie" + (f"?next={next_url}" if next_url else "")
        return client.post(url, data={"login": login, "password": password,
                                      "csrf_token": csrf_token(page.get_data(as_text=True))})

    def change_password(self, current: str, new: str, confirm: str | None = None, client=None):
        client = client or self.client
        page = client.get("/haslo")
        return client.post("/haslo", data={
            "current_password": current, "new_password": new,
            "new_password_confirm": new if confirm is None else confirm,
            "csrf_token": csrf_token(page.get_data(as_text=True))})

    def logout(self, client=None):
        client = client or self.client
        page = client.get("/dane-osobowe")
        return client.post("/wyloguj",
                           data={"csrf_token": csrf_token(page.get_data(as_text=True))})

    def resident(self, resident: str | int, client=None) -> str:
        """Account created, logged in, own password set: ready to browse. Returns login."""
        login, start = self.create(resident)
        response = self.login(login, start, client=client)
        assert response.status_code == 302, response.get_data(as_text=True)
        response = self.change_password(start, STRONG_PASSWORD, client=client)
        assert response.status_code == 302, response.get_data(as_text=True)
        return login


@pytest.fixture
def billing_copy(demo_path: Path, tmp_path: Path):
    """A writable copy of the demo database; a module's `settings` points the app at it
    (pagehtml.module_settings)."""
    from pagehtml import BillingCopy

    return BillingCopy(demo_path, tmp_path / "billing")


@pytest.fixture
def auth(app, client) -> Auth:
    return Auth(app, client)


@pytest.fixture
def audit_rows(app):
    def rows(event: str | None = None) -> list[dict[str, Any]]:
        conn = sqlite3.connect(app.config["STORE_PATH"])
        conn.row_factory = sqlite3.Row
        try:
            sql = "SELECT * FROM audit" + (" WHERE event = ?" if event else "") + " ORDER BY id"
            return [dict(r) for r in conn.execute(sql, (event,) if event else ())]
        finally:
            conn.close()

    return rows


@pytest.fixture
def store_sql(app):
    """Direct access to the accounts store (to age sessions, inspect hashes)."""

    def run(sql: str, params: tuple = ()) -> list[sqlite3.Row]:
        return sqlite_rows(Path(app.config["STORE_PATH"]).as_uri(), sql, params)

    return run


@pytest.fixture
def logged_in(auth) -> Iterator[Auth]:
    """Resident 1 (Jan Kowalski, a flat and a garage) logged in with an own password."""
    auth.resident(1)
    yield auth

"""The billing-database backends the integration tests run on (a pytest plugin).

    sqlite       the embedded demo file, through the standard library
    sqlite-odbc  the same file through unixODBC and the SQLite3 driver
    postgresql   a database of its own on the PostgreSQL server, through psqlODBC
    mariadb      a database of its own on the MariaDB server, through Connector/ODBC

For each server the session creates a uniquely named database
(`portal_test_<pid>_<token>`), loads the demo billing data into it with the
same generator parameters as the embedded file (conftest.DEMO), creates a
login that may only SELECT, and hands the tests the portal's connection
string for that login. Everything is dropped at the end of the session.

`billing_backend` is a session fixture parametrized over the four ids; a test
that asks for it runs once per backend. A backend that cannot be used (no
pyodbc, no driver, server down) is a skip with the reason, or a failure when
CI=true. At the end a table reports passed/failed/skipped per backend.

Servers are reached as postgres / root over TCP without a password (the CI
machines' set-up); where a server refuses that, scripts/test.sh makes a test
admin account and writes its connection string to var/test-servers.env.
GATEWAY_TEST_POSTGRESQL and GATEWAY_TEST_MARIADB (an ODBC string without
DATABASE=) override both. The ODBC tests are marked `odbc`: `-m "not odbc"`
runs the rest without servers or drivers.
"""

from __future__ import annotations

import contextlib
import os
import re
import secrets
import shutil
import sqlite3
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NoReturn

import pytest

BACKENDS = ("sqlite", "sqlite-odbc", "postgresql", "mariadb")
DRIVERS = {"sqlite-odbc": "SQLite3", "postgresql": "PostgreSQL Unicode",
           "mariadb": "MariaDB Unicode"}
DEBIAN_PACKAGES = {"sqlite-odbc": "libsqliteodbc", "postgresql": "odbc-postgresql postgresql",
                   "mariadb": "odbc-mariadb mariadb-server"}
ROOT = Path(__file__).resolve().parent.parent
# Written by scripts/test.sh where a fresh server refuses postgres/root without a password.
ACCESS_FILE = ROOT / "var" / "test-servers.env"


def _admin_setting(name: str, default: str) -> str:
    if os.environ.get(name):
        return os.environ[name]
    with contextlib.suppress(OSError):
        for line in ACCESS_FILE.read_text(encoding="utf-8").splitlines():
            key, sep, value = line.partition("=")
            if sep and key.strip() == name and value.strip():
                return value.strip()
    return default


PG_ADMIN = _admin_setting(
    "GATEWAY_TEST_POSTGRESQL",
    "DRIVER={PostgreSQL Unicode};SERVER=127.0.0.1;PORT=5432;UID=postgres")
MARIADB_ADMIN = _admin_setting(
    "GATEWAY_TEST_MARIADB",
    "DRIVER={MariaDB Unicode};SERVER=127.0.0.1;PORT=3306;UID=root;CHARSET=utf8mb4")
IN_CI = os.environ.get("CI", "").strip().lower() in {"1", "true", "yes"}

# What each backend was in this run (for the summary), and why one was not usable.
_INFO: dict[str, str] = {}
_BACKEND_OF: dict[str, str] = {}


@dataclass
class Backend:
    """One billing database the portal is pointed at in a test."""

    id: str
    connection: str  # the portal's connection string (the read-only login)
    dialect: str
    admin: str | None = None  # a writable connection to the same database (servers only)
    database: str | None = None
    login: str | None = None  # the read-only login's name
    extra: dict[str, Any] = field(default_factory=dict)

    def admin_connect(self, autocommit: bool = True) -> Any:
        """A writable connection to the test database (for fault injection)."""
        import pyodbc

        assert self.admin, f"{self.id} has no admin connection"
        return pyodbc.connect(self.admin, autocommit=autocommit, timeout=5)

    def __repr__(self) -> str:  # no password in test reports
        return f"Backend({self.id!r}, database={self.database!r}, login={self.login!r})"


def unavailable(backend: str, reason: str) -> NoReturn:
    """A backend that cannot be used: skip locally, fail under CI=true."""
    _INFO.setdefault(backend, f"unavailable: {reason}")
    message = f"{backend} backend unavailable: {reason}"
    if IN_CI:
        pytest.fail(f"{message} (CI=true: every backend must run)", pytrace=False)
    pytest.skip(f"{message} (`bash scripts/test.sh` installs and starts it)")


def odbc_module(backend: str) -> Any:
    """pyodbc, with the backend's driver registered in unixODBC."""
    try:
        import pyodbc
    except ImportError as exc:
        unavailable(backend, f"pyodbc cannot be imported ({exc}); "
                             "install unixodbc (apt-get install unixodbc)")
    driver = DRIVERS[backend]
    if driver not in pyodbc.drivers():
        unavailable(backend, f"ODBC driver {{{driver}}} is not registered with unixODBC "
                             f"(apt-get install {DEBIAN_PACKAGES[backend]})")
    return pyodbc


def _driver_message(exc: BaseException) -> str:
    text = str(exc.args[-1]) if exc.args else str(exc)
    return " ".join(text.split())[:200]


def _admin_connect(backend: str, connection: str) -> Any:
    pyodbc = odbc_module(backend)
    try:
        return pyodbc.connect(connection, autocommit=True, timeout=5)
    except pyodbc.Error as exc:
        shown = ";".join(p for p in connection.split(";") if not p.upper().startswith("PWD="))
        unavailable(backend, f"cannot connect to the server ({shown}): {_driver_message(exc)}")


def _unique() -> str:
    return f"{os.getpid()}_{secrets.token_hex(2)}"


def _build_demo(target: str) -> None:
    from conftest import DEMO

    from gateway.demo.generate import build

    build(target, **DEMO)


# ---- the backends ----------------------------------------------------------------

@pytest.fixture(scope="session")
def sqlite_backend(demo_path: Path) -> Backend:
    _INFO["sqlite"] = f"embedded file, Python sqlite3 (SQLite {sqlite3.sqlite_version})"
    return Backend("sqlite", f"sqlite:{demo_path}", "sqlite")


@pytest.fixture(scope="session")
def sqlite_odbc_backend(demo_path: Path) -> Backend:
    """The embedded demo file through the SQLite3 ODBC driver, opened read-only."""
    odbc_module("sqlite-odbc")
    connection = f"DRIVER={{SQLite3}};Database=file:{demo_path}?mode=ro;Timeout=5000"
    _INFO["sqlite-odbc"] = "DRIVER={SQLite3}, the demo file (mode=ro)"
    return Backend("sqlite-odbc", connection, "sqlite")


@pytest.fixture(scope="session")
def postgresql_backend() -> Iterator[Backend]:
    """A database of its own on the PostgreSQL server and a role that may only SELECT."""
    name = f"portal_test_{_unique()}"
    role = f"portal_ro_{name.removeprefix('portal_test_')}"
    password = secrets.token_urlsafe(18)
    admin = _admin_connect("postgresql", f"{PG_ADMIN};DATABASE=postgres")
    version = admin.execute("SHOW server_version").fetchone()[0]
    admin_db = f"{PG_ADMIN};DATABASE={name}"
    try:
        admin.execute(f"CREATE DATABASE {name} ENCODING 'UTF8' TEMPLATE template0")
        admin.execute(f"REVOKE ALL ON DATABASE {name} FROM PUBLIC")  # no CONNECT/TEMP for all
        admin.execute(f"CREATE ROLE {role} LOGIN PASSWORD '{password}' NOSUPERUSER "
                      "NOCREATEDB NOCREATEROLE NOINHERIT")
        admin.execute(f"GRANT CONNECT ON DATABASE {name} TO {role}")
        _build_demo(admin_db)
        import pyodbc

        with contextlib.closing(pyodbc.connect(admin_db, autocommit=True, timeout=5)) as db:
            db.execute("REVOKE CREATE ON SCHEMA public FROM PUBLIC")
            db.execute(f"GRANT USAGE ON SCHEMA public TO {role}")
            db.execute(f"GRANT SELECT ON ALL TABLES IN SCHEMA public TO {role}")
        admin.close()
        _INFO["postgresql"] = f"PostgreSQL {version}, database {name}, role {role} (SELECT only)"
        connection = (f"DRIVER={{PostgreSQL Unicode}};{_server_part(PG_ADMIN)}"
                      f"DATABASE={name};UID={role};PWD={password}")
        yield Backend("postgresql", connection, "postgresql", admin=admin_db, database=name,
                      login=role)
    finally:
        with contextlib.suppress(Exception):
            admin.close()  # (closed already, unless the set-up failed)
        with contextlib.suppress(Exception), \
                contextlib.closing(_reconnect(f"{PG_ADMIN};DATABASE=postgres")) as admin:
            admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
            admin.execute(f"DROP ROLE IF EXISTS {role}")


@pytest.fixture(scope="session")
def mariadb_backend() -> Iterator[Backend]:
    """A database of its own on the MariaDB server and a user that may only SELECT."""
    name = f"portal_test_{_unique()}"
    user = f"portal_ro_{name.removeprefix('portal_test_')}"
    password = secrets.token_urlsafe(18)
    admin = _admin_connect("mariadb", MARIADB_ADMIN)
    version = admin.execute("SELECT VERSION()").fetchone()[0]
    admin_db = f"{MARIADB_ADMIN};DATABASE={name}"
    hosts = ("%", "localhost")
    try:
        admin.execute(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4")
        for host in hosts:
            admin.execute(f"CREATE USER '{user}'@'{host}' IDENTIFIED BY '{password}'")
            admin.execute(f"GRANT SELECT ON `{name}`.* TO '{user}'@'{host}'")
        admin.close()
        _build_demo(admin_db)
        _INFO["mariadb"] = f"MariaDB {version}, database {name}, user {user} (SELECT only)"
        connection = (f"DRIVER={{MariaDB Unicode}};{_server_part(MARIADB_ADMIN)}"
                      f"DATABASE={name};UID={user};PWD={password};CHARSET=utf8mb4")
        yield Backend("mariadb", connection, "mariadb", admin=admin_db, database=name,
                      login=user)
    finally:
        with contextlib.suppress(Exception):
            admin.close()  # (closed already, unless the set-up failed)
        with contextlib.suppress(Exception), \
                contextlib.closing(_reconnect(MARIADB_ADMIN)) as admin:
            admin.execute(f"DROP DATABASE IF EXISTS `{name}`")
            for host in hosts:
                admin.execute(f"DROP USER IF EXISTS '{user}'@'{host}'")


def _server_part(admin: str) -> str:
    """SERVER=…;PORT=…; of an admin connection string (the portal reaches the same server)."""
    keep = [p for p in admin.split(";") if p.split("=", 1)[0].strip().upper()
            in {"SERVER", "PORT", "HOST"}]
    return "".join(f"{p};" for p in keep)


def _reconnect(connection: str, seconds: float = 30.0) -> Any:
    """Connect, waiting for a server that a fault test has just restarted."""
    import pyodbc

    deadline = time.monotonic() + seconds
    while True:
        try:
            return pyodbc.connect(connection, autocommit=True, timeout=5)
        except pyodbc.Error:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.5)


@pytest.fixture(scope="session", params=BACKENDS)
def billing_backend(request: pytest.FixtureRequest) -> Backend:
    """Each billing backend in turn (tests asking for it run once per backend)."""
    return request.getfixturevalue(f"{request.param.replace('-', '_')}_backend")


# ---- controlling the PostgreSQL server (fault tests) -------------------------------

@dataclass
class PgCluster:
    version: str
    name: str
    port: int

    def _ctl(self, action: str, *extra: str) -> None:
        sudo = [] if os.geteuid() == 0 else ["sudo", "-n"]
        subprocess.run([*sudo, "pg_ctlcluster", "--skip-systemctl-redirect", self.version,
                        self.name, action, *extra], check=True, timeout=60,
                       capture_output=True)

    def stop(self) -> None:
        self._ctl("stop", "-m", "fast")

    def start(self) -> None:
        # Already running (after a failed stop) is fine: wait_ready() tells.
        with contextlib.suppress(subprocess.CalledProcessError):
            self._ctl("start")

    def wait_ready(self, connection: str, seconds: float = 30.0) -> None:
        _reconnect(connection, seconds).close()


@pytest.fixture(scope="session")
def pg_cluster(postgresql_backend: Backend) -> PgCluster:
    """The Debian cluster serving the test database (pg_ctlcluster, as root or sudo -n)."""
    if not shutil.which("pg_lsclusters") or not shutil.which("pg_ctlcluster"):
        unavailable("postgresql", "pg_lsclusters/pg_ctlcluster not found: cannot stop and "
                                  "start the server for the fault test")
    if os.geteuid() != 0 and subprocess.run(["sudo", "-n", "true"],
                                            capture_output=True).returncode != 0:
        unavailable("postgresql", "stopping the server needs root or passwordless sudo")
    port = 5432
    for part in PG_ADMIN.split(";"):
        key, _, value = part.partition("=")
        if key.strip().upper() == "PORT" and value.strip().isdigit():
            port = int(value)
    listing = subprocess.run(["pg_lsclusters", "--no-header"], capture_output=True,
                             text=True, check=True).stdout
    for line in listing.splitlines():
        fields = line.split()
        if len(fields) >= 4 and fields[2] == str(port) and fields[3].startswith("online"):
            return PgCluster(fields[0], fields[1], port)
    unavailable("postgresql", f"no online Debian cluster on port {port} in pg_lsclusters")


# ---- per-backend summary -----------------------------------------------------------

def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "backend(name): the test runs on that billing backend")
    _private_odbcinst()


def _private_odbcinst() -> None:
    """Debian's odbcinst.ini turns on psqlODBC's CommLog: one log file per process in
    /tmp. A private copy without it (as scripts/test.sh makes) is used instead."""
    if os.environ.get("ODBCSYSINI"):
        return
    system = Path("/etc/odbcinst.ini")
    private = ROOT / "var" / "odbc" / "odbcinst.ini"
    if system.is_file() and (not private.is_file()
                             or private.stat().st_mtime < system.stat().st_mtime):
        with contextlib.suppress(OSError):
            private.parent.mkdir(parents=True, exist_ok=True)
            text = re.sub(r"(?im)^(\s*CommLog\s*=\s*)1\s*$", r"\g<1>0",
                          system.read_text(encoding="utf-8"))
            temp = private.with_name(f".odbcinst.ini.{os.getpid()}")
            temp.write_text(text, encoding="utf-8")
            os.replace(temp, private)
    if private.is_file():
        os.environ["ODBCSYSINI"] = str(private.parent)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        backend = None
        callspec = getattr(item, "callspec", None)
        if callspec is not None and "billing_backend" in callspec.params:
            backend = callspec.params["billing_backend"]
        elif (marker := item.get_closest_marker("backend")) is not None:
            backend = marker.args[0]
        else:
            names = getattr(item, "fixturenames", ())
            backend = next((b for b in BACKENDS if f"{b.replace('-', '_')}_backend" in names),
                           None)
        if backend:
            _BACKEND_OF[item.nodeid] = backend
            if backend != "sqlite":
                item.add_marker(pytest.mark.odbc)


_RANK = {"passed": 0, "skipped": 1, "failed": 2, "error": 2}


def pytest_terminal_summary(terminalreporter: Any) -> None:
    outcome: dict[str, str] = {}
    reasons: dict[str, str] = {}
    for reports in terminalreporter.stats.values():
        for rep in reports:
            backend = _BACKEND_OF.get(getattr(rep, "nodeid", None))
            if backend is None or not hasattr(rep, "outcome"):
                continue
            result = rep.outcome
            if result == "failed" and rep.when != "call":
                result = "error"
            if result == "passed" and rep.when != "call":
                continue
            if result == "skipped" and isinstance(rep.longrepr, tuple):
                reasons.setdefault(backend, str(rep.longrepr[2]).removeprefix("Skipped: "))
            current = outcome.get(rep.nodeid)
            if current is None or _RANK[result] >= _RANK[current]:
                outcome[rep.nodeid] = result
    if not outcome:
        return
    counts = {b: {"passed": 0, "failed": 0, "skipped": 0} for b in BACKENDS}
    for nodeid, result in outcome.items():
        counts[_BACKEND_OF[nodeid]]["failed" if result == "error" else result] += 1
    write = terminalreporter.write_line
    terminalreporter.section("billing backends", sep="-")
    write(f"{'backend':<12} {'passed':>6} {'failed':>6} {'skipped':>7}  what")
    for backend in BACKENDS:
        c = counts[backend]
        if not any(c.values()):
            continue
        note = reasons.get(backend) if c["skipped"] and not c["passed"] else None
        write(f"{backend:<12} {c['passed']:>6} {c['failed']:>6} {c['skipped']:>7}  "
              f"{note or _INFO.get(backend, '')}")

"""The one module that touches the billing database driver.

`sqlite:PATH` opens an embedded SQLite file read-only through the standard
library; anything else is an ODBC connection string for pyodbc, imported only
then. Each worker thread keeps at most one connection (never shared between
threads); any driver error discards it, and a reused connection that turns
out dead is replaced once, so the first request after a database restart
works. Every driver error becomes BillingUnavailable. Rows come back as plain
dicts typed by the query's header: Decimal for money, date for dates.
"""

from __future__ import annotations

import contextlib
import copy
import itertools
import logging
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .queries import Query
from .values import bind_value, converter

log = logging.getLogger(__name__)

# SQLSTATEs (and message fragments) that mean the connection is gone.
DEAD_STATES = ("08", "57P01", "57P02", "57P03")
DEAD_WORDS = ("gone away", "lost connection", "server closed the connection",
              "no connection to the server", "communication link failure",
              "terminating connection", "connection is closed", "not connected")
TIMEOUT_STATES = ("57014", "HYT00", "HYT01", "HY008", "HY018", "70100")


class BillingUnavailable(Exception):
    """The billing database could not answer (down, slow, or refused).

    `kind` is 'unavailable', 'timeout' or 'error'; the message is for logs
    only: it may hold driver text and is never shown to a resident.
    """

    def __init__(self, message: str, kind: str = "error"):
        super().__init__(message)
        self.kind = kind


def detect_dialect(connection: str) -> str:
    if connection.startswith("sqlite:"):
        return "sqlite"
    lowered = connection.lower()
    for needle, dialect in (("postgres", "postgresql"), ("mariadb", "mariadb"),
                            ("mysql", "mariadb"), ("sql server", "mssql"),
                            ("freetds", "mssql"), ("tdsodbc", "mssql"), ("sqlite", "sqlite"),
                            ("firebird", "firebird")):
        if needle in lowered:
            return dialect
    return "other"


# Driver options the portal adds unless the connection string sets them itself.
# psqlODBC: with server-side prepare every query costs a Parse/Describe round trip
# more; binding parameters in the driver makes a query cheaper on both ends
# (measured in bench/RESULTS.md). The driver
# quotes every bound value as a literal, and the portal binds only numbers,
# dates and keys it validated itself.
# Microsoft's ODBC Driver 17/18 for SQL Server: the portal only reads, so say so
# (an Always On listener then routes it to a readable secondary, sparing the
# primary the billing program works on). FreeTDS has no such keyword.
DRIVER_DEFAULTS = {"postgresql": (("UseServerSidePrepare", "0"),),
                   "mssql-microsoft": (("ApplicationIntent", "ReadOnly"),)}


def _defaults_key(connection: str, dialect: str) -> str:
    if dialect == "mssql" and "odbc driver" in connection.lower():
        return "mssql-microsoft"
    return dialect


def effective_connection(connection: str, dialect: str) -> str:
    """`connection` plus the portal's driver defaults that it does not set itself."""
    keys = {part.split("=", 1)[0].strip().lower() for part in connection.split(";") if "=" in part}
    extra = [f"{key}={value}" for key, value in
             DRIVER_DEFAULTS.get(_defaults_key(connection, dialect), ())
             if key.lower() not in keys]
    if not extra:
        return connection
    return ";".join([connection.rstrip().rstrip(";"), *extra])


def _sqlstate(exc: BaseException) -> str:
    args = getattr(exc, "args", ())
    if args and isinstance(args[0], str) and len(args[0]) == 5:
        return args[0]
    return ""


def _is_dead(exc: BaseException) -> bool:
    state = _sqlstate(exc)
    text = str(exc).lower()
    return state.startswith(DEAD_STATES) or any(w in text for w in DEAD_WORDS)


def _is_timeout(exc: BaseException) -> bool:
    return _sqlstate(exc) in TIMEOUT_STATES or "interrupted" in str(exc).lower() \
        or "timeout" in str(exc).lower() or "canceling statement" in str(exc).lower()


# ---- connections ------------------------------------------------------------

class _Watchdog:
    """Cancels overdue ODBC statements: one thread for all queries, started on first use.

    (A threading.Timer per query started a thread per query: measurable under load.)
    Deadlines are checked every TICK seconds, so a statement is cancelled at most
    TICK late; this is only the backstop behind the servers' own statement limits.
    """

    TICK = 0.25

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._pending: dict[int, tuple[float, Any]] = {}
        self._tokens = itertools.count()
        self._thread: threading.Thread | None = None

    def arm(self, seconds: float, cancel: Any) -> int:
        token = next(self._tokens)
        with self._lock:
            self._pending[token] = (time.monotonic() + seconds, cancel)
            if self._thread is None:
                self._thread = threading.Thread(target=self._watch, daemon=True,
                                                name="billing-watchdog")
                self._thread.start()
        return token

    def disarm(self, token: int) -> None:
        with self._lock:
            self._pending.pop(token, None)

    def _watch(self) -> None:
        while True:
            time.sleep(self.TICK)
            now = time.monotonic()
            with self._lock:
                due = [t for t, (deadline, _) in self._pending.items() if deadline <= now]
                cancels = [self._pending.pop(t)[1] for t in due]
            for cancel in cancels:
                with contextlib.suppress(Exception):  # the statement may just have ended
                    cancel()


@dataclass
class _Held:
    conn: Any
    opened: float
    uses: int = 0


class BillingDB:
    """Runs named queries against the billing database, one connection per thread."""

    def __init__(self, connection: str, *, connect_timeout: int = 5, query_timeout: int = 10,
                 dialect: str = "auto", max_rows: int = 5000, reuse: bool = True,
                 max_age: float = 300.0, max_concurrent: int = 0):
        self.connection = connection
        self.connect_timeout = connect_timeout
        self.query_timeout = query_timeout
        self.dialect = detect_dialect(connection) if dialect == "auto" else dialect
        self.embedded = connection.startswith("sqlite:")
        self.max_rows = max_rows
        self.reuse = reuse
        self.max_age = max_age
        self.queries_run = 0  # counted per process, read by the benchmark
        self.last_outage: float | None = None  # monotonic time of the last unavailable/timeout
        self._local = threading.local()
        self._watchdog = _Watchdog()
        # Cap on queries running at once (0 = none): spares the billing program's server.
        self._slots = threading.BoundedSemaphore(max_concurrent) if max_concurrent else None
        self._count_lock = threading.Lock()
        self._running = 0
        self.peak_running = 0  # most queries at once on the server (read by the benchmark)

    # opening ---------------------------------------------------------------
    def _open(self) -> Any:
        if self.embedded:
            return self._open_sqlite()
        return self._open_odbc()

    def _open_sqlite(self) -> sqlite3.Connection:
        path = Path(self.connection[len("sqlite:"):]).resolve()
        if not path.is_file():
            raise BillingUnavailable(f"embedded billing database not found: {path}",
                                     "unavailable")
        try:
            conn = sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True,
                                   timeout=self.connect_timeout, isolation_level=None)
        except sqlite3.Error as exc:
            raise BillingUnavailable(f"cannot open {path}: {exc}", "unavailable") from None
        return conn

    def _open_odbc(self) -> Any:
        try:
            import pyodbc  # only here: the embedded demo needs no unixODBC
        except ImportError as exc:
            raise BillingUnavailable(f"pyodbc cannot be imported: {exc}", "unavailable") \
                from None
        try:
            conn = pyodbc.connect(effective_connection(self.connection, self.dialect),
                                  timeout=self.connect_timeout, autocommit=True)
        except pyodbc.Error as exc:
            raise BillingUnavailable(f"cannot connect: {exc}", "unavailable") from None
        try:
            self._session_setup(conn)
        except pyodbc.Error as exc:
            conn.close()
            raise BillingUnavailable(f"session setup failed: {exc}", "unavailable") from None
        return conn

    def _session_setup(self, conn: Any) -> None:
        """Read-only and a server-side statement time limit, as each server allows."""
        seconds = self.query_timeout
        cursor = conn.cursor()
        if self.dialect == "postgresql":
            cursor.execute(f"SET statement_timeout = {int(seconds * 1000)}")  # noqa: S608
            cursor.execute("SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY")
        elif self.dialect == "mariadb":
            cursor.execute(f"SET SESSION max_statement_time = {int(seconds)}")  # noqa: S608
            cursor.execute("SET SESSION TRANSACTION READ ONLY")
        else:
            if self.dialect == "sqlite":  # SQLite through ODBC: this connection never writes
                cursor.execute("PRAGMA query_only = ON")
            try:  # SQL_ATTR_QUERY_TIMEOUT: SQL Server and others honour it
                conn.timeout = int(seconds)
            except Exception:  # noqa: BLE001 - unsupported attribute: the watchdog covers it
                log.debug("driver has no query timeout attribute; relying on cancel()")
        cursor.close()

    def _held(self) -> _Held | None:
        return getattr(self._local, "held", None)

    def _acquire(self) -> tuple[_Held, bool]:
        held = self._held()
        if held is not None and (time.monotonic() - held.opened) > self.max_age:
            self.discard()
            held = None
        if held is not None:
            return held, True
        held = _Held(self._open(), time.monotonic())
        self._local.held = held
        return held, False

    def discard(self) -> None:
        """Close and forget this thread's connection (after errors, or at teardown)."""
        held = self._held()
        self._local.held = None
        if held is not None:
            with contextlib.suppress(Exception):  # it is being thrown away anyway
                held.conn.close()

    def release(self) -> None:
        """End of a request: keep the connection for the next one, or close it."""
        if not self.reuse:
            self.discard()

    # running ---------------------------------------------------------------
    def run(self, query: Query, params: dict[str, Any]) -> list[dict[str, Any]]:
        """Execute `query` with bound `params`; plain typed dicts back."""
        try:
            return self._run(query, params)
        except BillingUnavailable as exc:
            if exc.kind in ("unavailable", "timeout"):
                self.last_outage = time.monotonic()
            raise

    @contextmanager
    def _slot(self, name: str) -> Iterator[None]:
        """One of billing.max_concurrent places on the server, for connecting and
        executing (shaping the rows needs no place); waits up to query_timeout."""
        if self._slots is None:
            yield
            return
        if not self._slots.acquire(timeout=self.query_timeout):
            raise BillingUnavailable(f"{name}: no free billing slot in "
                                     f"{self.query_timeout} s", "timeout")
        with self._count_lock:
            self._running += 1
            self.peak_running = max(self.peak_running, self._running)
        try:
            yield
        finally:
            with self._count_lock:
                self._running -= 1
            self._slots.release()

    def recently_down(self, seconds: float = 60.0) -> bool:
        """Was the database unreachable or too slow within the last `seconds`?"""
        return self.last_outage is not None and time.monotonic() - self.last_outage < seconds

    def _run(self, query: Query, params: dict[str, Any]) -> list[dict[str, Any]]:
        values = [bind_value(v, self.embedded) for v in query.bind(params)]
        with self._slot(query.name):
            rows, names = self._fetch(query, values)
        return self._shape(query, names, rows)

    def _fetch(self, query: Query, values: list[Any]) -> tuple[list, list[str]]:
        for attempt in (1, 2):
            held, reused = self._acquire()
            try:
                rows, names = self._execute(held.conn, query.sql, values)
            except BillingUnavailable:
                self.discard()
                raise
            except Exception as exc:  # noqa: BLE001 - every driver error ends here
                self.discard()
                if reused and attempt == 1 and _is_dead(exc):
                    log.info("billing connection was dead, reconnecting: %s", exc)
                    continue
                kind = "timeout" if _is_timeout(exc) else \
                    "unavailable" if _is_dead(exc) else "error"
                raise BillingUnavailable(f"{query.name}: {exc}", kind) from None
            held.uses += 1
            self.queries_run += 1
            return rows, names
        raise AssertionError("unreachable")

    def _execute(self, conn: Any, sql: str, values: list[Any]) -> tuple[list, list[str]]:
        if self.embedded:
            deadline = time.monotonic() + self.query_timeout
            conn.set_progress_handler(lambda: int(time.monotonic() > deadline), 10_000)
            try:
                cursor = conn.execute(sql, values)
                rows = cursor.fetchmany(self.max_rows + 1)
            finally:
                conn.set_progress_handler(None, 0)
        else:
            cursor = conn.cursor()
            # Backstop for drivers without a server-side limit: cancel when overdue.
            token = self._watchdog.arm(self.query_timeout + 0.5, cursor.cancel)
            try:
                cursor.execute(sql, values)
                rows = cursor.fetchmany(self.max_rows + 1)
            finally:
                self._watchdog.disarm(token)
        names = [d[0].lower() for d in cursor.description or ()]
        cursor.close()
        if len(rows) > self.max_rows:
            raise BillingUnavailable(f"row cap of {self.max_rows} exceeded", "error")
        return rows, names

    @staticmethod
    def _shape(query: Query, names: list[str], rows: list) -> list[dict[str, Any]]:
        wanted = [c for c, _ in query.columns]
        if set(wanted) - set(names):
            missing = ", ".join(sorted(set(wanted) - set(names)))
            raise BillingUnavailable(f"{query.name}: columns missing from result: {missing}",
                                     "error")
        index = {name: i for i, name in enumerate(names)}
        plan = [(col, index[col], converter(kind)) for col, kind in query.columns]
        shaped = []
        try:
            for row in rows:
                shaped.append({col: conv(row[i]) for col, i, conv in plan})
        except (ValueError, TypeError) as exc:
            raise BillingUnavailable(f"{query.name}: bad value: {exc}", "error") from None
        return shaped

    def ping(self) -> None:
        """A trivial round trip (readiness); raises BillingUnavailable."""
        held, _ = self._acquire()
        try:
            if self.embedded:  # reads the schema page: a non-database file fails here
                held.conn.execute("SELECT count(*) FROM sqlite_master").fetchall()
            else:
                cursor = held.conn.cursor()
                cursor.execute("SELECT 1" if self.dialect != "firebird"
                               else "SELECT 1 FROM RDB$DATABASE")
                cursor.fetchall()
                cursor.close()
        except Exception as exc:  # noqa: BLE001
            self.discard()
            raise BillingUnavailable(f"ping: {exc}", "unavailable") from None

    def probe(self, timeout: float = 3.0) -> None:
        """Readiness (/readyz): ping on a new connection with short timeouts.

        This thread's own connection is left alone; the probe's is closed.
        """
        probe = copy.copy(self)
        probe._local = threading.local()
        probe.connect_timeout = max(1, min(int(timeout), self.connect_timeout))
        probe.query_timeout = max(1, min(int(timeout), self.query_timeout))
        try:
            probe.ping()
        finally:
            probe.discard()


@contextmanager
def writable(connection: str) -> Iterator[Any]:
    """A writable DB-API connection for `gateway demo build` only (never the app).

    The portal itself never writes to the billing database; the demo loader is
    the one exception, by design. Driver errors (target unreachable, load
    failing half-way) become BillingUnavailable, so the CLI says one line.
    """
    if connection.startswith("sqlite:"):
        driver_error: type[Exception] = sqlite3.Error
        try:
            path = Path(connection[len("sqlite:"):])
            path.parent.mkdir(parents=True, exist_ok=True)
            conn = sqlite3.connect(str(path), isolation_level=None)
        except (OSError, sqlite3.Error) as exc:
            raise BillingUnavailable(f"cannot open {connection}: {exc}", "unavailable") \
                from None
    else:
        try:
            import pyodbc
        except ImportError as exc:
            raise BillingUnavailable(f"pyodbc cannot be imported: {exc}", "unavailable") \
                from None
        driver_error = pyodbc.Error
        try:
            conn = pyodbc.connect(connection, timeout=30, autocommit=True)
        except pyodbc.Error as exc:
            raise BillingUnavailable(f"cannot connect: {exc}", "unavailable") from None
    try:
        yield conn
    except driver_error as exc:
        raise BillingUnavailable(f"demo load failed: {exc}", "error") from None
    finally:
        conn.close()

"""The portal's own store: accounts, sessions, audit log, throttle counters.

An embedded SQLite file (WAL, busy timeout), separate from the billing
database and the only thing the portal writes. One connection per request on
`g`, closed in teardown. The schema is versioned (PRAGMA user_version = the
number of MIGRATIONS applied): pending migrations run at start, in one
transaction, after a copy of the old file is kept beside it
(`<store>.v<N>.bak`), so an upgrade needs no manual step. A store newer than
the program is refused, never downgraded.

Never add to or edit a released migration: append a new one.
"""

from __future__ import annotations

import os
import sqlite3
import threading
from datetime import UTC, datetime
from pathlib import Path

from flask import Flask, current_app, g

from ..config import ConfigError

MIGRATIONS: tuple[str, ...] = (
    # 1: accounts, sessions, audit, address throttle
    """
    CREATE TABLE accounts (
        id              INTEGER PRIMARY KEY,
        login           TEXT NOT NULL UNIQUE,
        resident        TEXT NOT NULL,
        password_hash   TEXT NOT NULL,
        must_change     INTEGER NOT NULL DEFAULT 1,
        start_expires   TEXT,
        failures        INTEGER NOT NULL DEFAULT 0,
        first_failure   TEXT,
        locked_until    TEXT,
        locked_by_staff INTEGER NOT NULL DEFAULT 0,
        created         TEXT NOT NULL,
        changed         TEXT,
        last_login      TEXT
    );
    CREATE INDEX ix_accounts_resident ON accounts (resident);
    CREATE TABLE sessions (
        id_hash     TEXT PRIMARY KEY,
        account_id  INTEGER REFERENCES accounts (id) ON DELETE CASCADE,
        created     REAL NOT NULL,
        last_seen   REAL NOT NULL,
        data        TEXT NOT NULL
    );
    CREATE INDEX ix_sessions_account ON sessions (account_id);
    CREATE INDEX ix_sessions_last_seen ON sessions (last_seen);
    CREATE TABLE audit (
        id          INTEGER PRIMARY KEY,
        at          TEXT NOT NULL,
        event       TEXT NOT NULL,
        login       TEXT,
        actor       TEXT,
        address     TEXT,
        detail      TEXT
    );
    CREATE INDEX ix_audit_at ON audit (at);
    CREATE TABLE address_failures (
        address     TEXT NOT NULL,
        at          REAL NOT NULL
    );
    CREATE INDEX ix_address_failures ON address_failures (address, at);
    """,
    # 2: the optional second factor, its recovery codes; where a session and an
    # audit event came from (the resident's list of sessions and logins)
    """
    CREATE TABLE second_factors (
        account_id  INTEGER PRIMARY KEY REFERENCES accounts (id) ON DELETE CASCADE,
        secret      TEXT NOT NULL,
        enabled     INTEGER NOT NULL DEFAULT 0,
        last_step   INTEGER,
        created     TEXT NOT NULL
    );
    CREATE TABLE recovery_codes (
        account_id  INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
        code_hash   TEXT NOT NULL,
        used        TEXT,
        PRIMARY KEY (account_id, code_hash)
    );
    ALTER TABLE sessions ADD COLUMN address TEXT;
    ALTER TABLE sessions ADD COLUMN agent TEXT;
    ALTER TABLE audit ADD COLUMN agent TEXT;
    CREATE INDEX ix_audit_login ON audit (login, at);
    """,
    # 3: failed logins per login (as typed, normalised) and address: the growing waits
    # and the hourly ceiling of gateway/store/lockout.py (accounts.failures,
    # first_failure and locked_until are no longer used)
    """
    CREATE TABLE login_failures (
        login       TEXT NOT NULL,
        address     TEXT NOT NULL,
        at          REAL NOT NULL
    );
    CREATE INDEX ix_login_failures ON login_failures (login, address, at);
    CREATE INDEX ix_login_failures_at ON login_failures (at);
    """,
)


def utcnow() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


class StoreError(ConfigError):
    """The store cannot be opened, migrated, copied or restored; names store.path."""


def connect(path: Path) -> sqlite3.Connection:
    """Open the store (creating folder and file) in WAL mode."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(str(path), timeout=15, isolation_level=None,
                               check_same_thread=False)
        conn.row_factory = sqlite3.Row
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=NORMAL")
        conn.execute("PRAGMA foreign_keys=ON")
    except (OSError, sqlite3.Error) as exc:
        raise StoreError(f"store.path: cannot open {path}: {_reason(exc)}") from None
    return conn


def _reason(exc: BaseException) -> str:
    return (getattr(exc, "strerror", None) or str(exc) or type(exc).__name__).splitlines()[0]


def schema_version(conn: sqlite3.Connection) -> int:
    return conn.execute("PRAGMA user_version").fetchone()[0]


def _statements(script: str) -> list[str]:
    """Split a migration script into statements (sqlite3.complete_statement)."""
    out, buf = [], ""
    for line in script.splitlines(keepends=True):
        buf += line
        if sqlite3.complete_statement(buf):
            out.append(buf.strip())
            buf = ""
    if buf.strip():
        out.append(buf.strip())  # incomplete: executing it reports the error
    return out


def _too_new(path: Path, version: int) -> StoreError:
    return StoreError(f"store.path: {path} has schema version {version}, newer than this "
                      f"program knows ({len(MIGRATIONS)}): install the newer portal again "
                      "or restore a backup made by this version")


def migrate(path: Path) -> int:
    """Apply pending migrations; returns the resulting schema version.

    Safe when two processes start at once (the service and a staff command):
    the version is read again under the write lock.
    """
    target = len(MIGRATIONS)
    conn = connect(path)
    try:
        version = schema_version(conn)
        if version > target:
            raise _too_new(path, version)
        if version == target:
            return version
        if version > 0:
            keep = path.with_name(f"{path.name}.v{version}.bak")
            if not keep.exists():
                backup(path, keep)
        try:
            conn.execute("BEGIN IMMEDIATE")
            version = schema_version(conn)
            if version > target:
                raise _too_new(path, version)
            for number in range(version + 1, target + 1):
                for statement in _statements(MIGRATIONS[number - 1]):
                    conn.execute(statement)
                conn.execute(f"PRAGMA user_version = {int(number)}")
            conn.execute("COMMIT")
        except sqlite3.Error as exc:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise StoreError(f"store.path: upgrading {path} to schema version {target} "
                             f"failed (nothing was changed): {_reason(exc)}") from None
        return schema_version(conn)
    finally:
        conn.close()


def get_store() -> sqlite3.Connection:
    """The store connection of this request (or CLI command).

    Each worker thread keeps its own connection between requests: opening one
    (file, WAL and pragmas) cost more than the session and account lookups.
    """
    if "store" not in g:
        local = current_app.extensions["store_connections"]
        conn = getattr(local, "conn", None)
        if conn is None:
            conn = local.conn = connect(current_app.config["STORE_PATH"])
        g.store = conn
    return g.store


def close_store(_exc: BaseException | None = None) -> None:
    """End of request: never leave a transaction open on the kept connection."""
    conn = g.pop("store", None)
    if conn is not None and conn.in_transaction:
        conn.rollback()


def _check_copy(path: Path) -> dict[str, int]:
    """Integrity and contents of a store file (a backup): version and accounts."""
    conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
    try:
        verdict = conn.execute("PRAGMA quick_check").fetchone()[0]
        if verdict != "ok":
            raise StoreError(f"store.path: {path} is damaged: {verdict}")
        version = schema_version(conn)
        accounts = conn.execute("SELECT count(*) FROM accounts").fetchone()[0] \
            if version else 0
        return {"version": version, "accounts": accounts}
    except sqlite3.Error as exc:
        raise StoreError(f"store.path: {path} is not a portal store: {_reason(exc)}") \
            from None
    finally:
        conn.close()


def backup(source: Path, target: Path) -> dict[str, int]:
    """Consistent online copy of the store, safe while the portal serves.

    SQLite's backup API copies one snapshot (committed data only, even while
    another connection is in the middle of a write). The copy is written to a
    temporary file beside `target`, checked, switched to a single-file journal
    mode, then renamed over `target`: a failed backup never spoils an older
    one. Returns {"version": ..., "accounts": ...} of the copy.
    """
    if not source.is_file():
        raise StoreError(f"store.path: {source} does not exist (nothing to back up)")
    if target.exists() and target.resolve() == source.resolve():
        raise StoreError("the backup must not be the store itself")
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise StoreError(f"cannot create {target.parent}: {_reason(exc)}") from None
    partial = target.with_name(f"{target.name}.partial")
    partial.unlink(missing_ok=True)
    src = connect(source)
    try:
        dst = sqlite3.connect(str(partial), isolation_level=None)
        try:
            src.backup(dst)  # one step: one consistent snapshot
            dst.execute("PRAGMA journal_mode=DELETE")  # one self-contained file
        finally:
            dst.close()
    except sqlite3.Error as exc:
        partial.unlink(missing_ok=True)
        raise StoreError(f"backup to {target} failed: {_reason(exc)}") from None
    finally:
        src.close()
    try:
        summary = _check_copy(partial)
        os.replace(partial, target)
    except (OSError, StoreError) as exc:
        partial.unlink(missing_ok=True)
        if isinstance(exc, StoreError):
            raise
        raise StoreError(f"backup to {target} failed: {_reason(exc)}") from None
    return summary


def restore(source: Path, target: Path) -> dict[str, int]:
    """Put the backup `source` back as the store `target`, then migrate it.

    Stop the portal first (sessions in the backup are old; residents simply
    log in again). Written through SQLite, so a WAL file left beside the
    store cannot mix old and new pages. Returns the backup's summary.
    """
    if not source.is_file():
        raise StoreError(f"backup {source} does not exist")
    summary = _check_copy(source)
    if summary["version"] > len(MIGRATIONS):
        raise _too_new(source, summary["version"])
    src = sqlite3.connect(f"{source.resolve().as_uri()}?mode=ro", uri=True)
    dst = connect(target)
    try:
        src.backup(dst)
    except sqlite3.Error as exc:
        raise StoreError(f"restore from {source} failed: {_reason(exc)}") from None
    finally:
        dst.close()
        src.close()
    migrate(target)
    return summary


def ping(path: Path, timeout: float = 3.0) -> None:
    """Readiness: the store opens (never created here) and its accounts table answers."""
    conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=rw", uri=True, timeout=timeout)
    try:
        version = schema_version(conn)
        if version != len(MIGRATIONS):
            raise StoreError(f"store.path: schema version {version}, expected "
                             f"{len(MIGRATIONS)}")
        conn.execute("SELECT 1 FROM accounts LIMIT 1").fetchall()
    finally:
        conn.close()


def init_app(app: Flask) -> None:
    migrate(app.config["STORE_PATH"])
    app.extensions["store_connections"] = threading.local()
    app.teardown_appcontext(close_store)

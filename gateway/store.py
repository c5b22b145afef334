"""The portal's own store: accounts, sessions, audit log, throttle counters.

An embedded SQLite file (WAL, busy timeout), separate from the billing
database and the only thing the portal writes. One connection per request on
`g`, closed in teardown. The schema is versioned: MIGRATIONS run in order at
start, each once, so an upgrade needs no manual step.
"""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime
from pathlib import Path

from flask import Flask, current_app, g

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
)


def utcnow() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


def connect(path: Path) -> sqlite3.Connection:
    """Open the store (creating folder and file) and bring its schema up to date."""
    path.parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(str(path), timeout=15, isolation_level=None,
                           check_same_thread=False)
    conn.row_factory = sqlite3.Row
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    conn.execute("PRAGMA foreign_keys=ON")
    return conn


def schema_version(conn: sqlite3.Connection) -> int:
    return conn.execute("PRAGMA user_version").fetchone()[0]


def migrate(path: Path) -> int:
    """Apply pending migrations; returns the resulting schema version."""
    conn = connect(path)
    try:
        version = schema_version(conn)
        if version > len(MIGRATIONS):
            raise RuntimeError(f"store {path} has schema version {version}, newer than this "
                               f"program ({len(MIGRATIONS)}): upgrade the portal")
        for number, script in enumerate(MIGRATIONS[version:], start=version + 1):
            # executescript commits; user_version moves with the same script.
            conn.executescript(f"BEGIN;\n{script}\nPRAGMA user_version = {number};\nCOMMIT;")
        return schema_version(conn)
    finally:
        conn.close()


def get_store() -> sqlite3.Connection:
    """The store connection of this request (or CLI command)."""
    if "store" not in g:
        g.store = connect(current_app.config["STORE_PATH"])
    return g.store


def close_store(_exc: BaseException | None = None) -> None:
    conn = g.pop("store", None)
    if conn is not None:
        conn.close()


def backup(source: Path, target: Path) -> None:
    """Consistent online copy of the store (SQLite backup API), safe while serving."""
    target.parent.mkdir(parents=True, exist_ok=True)
    src = connect(source)
    dst = sqlite3.connect(str(target))
    try:
        src.backup(dst)
    finally:
        dst.close()
        src.close()


def init_app(app: Flask) -> None:
    migrate(app.config["STORE_PATH"])
    app.teardown_appcontext(close_store)

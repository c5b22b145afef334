"""The benchmark's demo billing databases: built once, cached, rebuilt only if missing.

SQLite files live in var/bench/ (gitignored); PostgreSQL databases are named
bench_<premises>_<years> on the server given by --pg. A JSON marker next to
the SQLite files records each finished build (rows, seconds); a database
without its marker, or whose LOKALE count differs, is rebuilt.

Run as a script to build one database (used by bench.py to build several at
once in separate processes):

    python bench/databases.py sqlite 12000 10
    python bench/databases.py pg 12000 10 --pg "DRIVER={PostgreSQL Unicode};..."
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sqlite3
import sys
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CACHE = ROOT / "var" / "bench"
SEED = 1
DEFAULT_PG = "DRIVER={PostgreSQL Unicode};SERVER=127.0.0.1;PORT=5432;UID=postgres"


@dataclass(frozen=True)
class Target:
    kind: str  # "sqlite" or "pg"
    premises: int
    years: int
    pg_base: str = DEFAULT_PG

    @property
    def name(self) -> str:
        return f"bench_{self.premises}_{self.years}"

    @property
    def label(self) -> str:
        backend = "PostgreSQL (ODBC)" if self.kind == "pg" else "SQLite (embedded)"
        return f"{backend}, {self.premises:_} premises × {self.years} years".replace("_", " ")

    @property
    def sqlite_path(self) -> Path:
        return CACHE / f"{self.name}.sqlite3"

    @property
    def connection(self) -> str:
        """The billing.connection setting for the portal."""
        if self.kind == "sqlite":
            return f"sqlite:{self.sqlite_path}"
        return f"{self.pg_base.rstrip(';')};DATABASE={self.name}"

    @property
    def marker(self) -> Path:
        return CACHE / f"{self.name}.{self.kind}.json"


def generator_fingerprint() -> str:
    """Short hash of the generator's code and schema: which version built a database."""
    demo = ROOT / "gateway" / "demo"
    digest = hashlib.sha256()
    for path in sorted([*demo.glob("*.py"), demo / "schema.sql"]):
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:12]


def pg_connect(base: str, database: str):
    import pyodbc

    return pyodbc.connect(f"{base.rstrip(';')};DATABASE={database}", timeout=5,
                          autocommit=True)


def premises_count(target: Target) -> int | None:
    """LOKALE rows in the cached database, None when it is missing or unreadable."""
    try:
        if target.kind == "sqlite":
            if not target.sqlite_path.is_file():
                return None
            conn = sqlite3.connect(f"{target.sqlite_path.as_uri()}?mode=ro", uri=True)
            try:
                return conn.execute("SELECT COUNT(*) FROM LOKALE").fetchone()[0]
            finally:
                conn.close()
        conn = pg_connect(target.pg_base, target.name)
        try:
            cursor = conn.cursor()
            cursor.execute("SELECT COUNT(*) FROM LOKALE")
            return int(cursor.fetchone()[0])
        finally:
            conn.close()
    except Exception:  # noqa: BLE001 - any failure means "build it"
        return None


def cached(target: Target) -> dict | None:
    """The build summary when the cached database is complete, else None."""
    if not target.marker.is_file():
        return None
    summary = json.loads(target.marker.read_text())
    if premises_count(target) != target.premises:
        return None
    return summary


def build(target: Target, log=print, force: bool = False) -> dict:
    """Build `target` unless cached (or `force`); returns the build summary."""
    summary = None if force else cached(target)
    if summary is not None:
        log(f"{target.label}: cached (built in {summary['seconds']} s)")
        return summary
    from gateway.demo.generate import build as generate

    CACHE.mkdir(parents=True, exist_ok=True)
    target.marker.unlink(missing_ok=True)
    if target.kind == "pg":
        conn = pg_connect(target.pg_base, "postgres")
        try:
            cursor = conn.cursor()
            cursor.execute("SELECT 1 FROM pg_database WHERE datname = ?", target.name)
            if cursor.fetchone() is None:
                cursor.execute(f'CREATE DATABASE "{target.name}"')
        finally:
            conn.close()
    log(f"{target.label}: building (once; cached afterwards)")
    started = time.monotonic()
    last = [0.0]

    def progress(message: str) -> None:
        if time.monotonic() - last[0] > 30 or not message.startswith("premises"):
            last[0] = time.monotonic()
            log(f"  [{target.kind} {target.premises}] {message}")

    fingerprint = generator_fingerprint()
    summary = generate(target.connection, premises=target.premises, years=target.years,
                       seed=SEED, progress=progress)
    summary["wall_seconds"] = round(time.monotonic() - started, 1)
    summary["generator"] = fingerprint
    target.marker.write_text(json.dumps(summary, indent=1))
    return summary


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("kind", choices=("sqlite", "pg"))
    parser.add_argument("premises", type=int)
    parser.add_argument("years", type=int)
    parser.add_argument("--pg", default=DEFAULT_PG)
    parser.add_argument("--force", action="store_true", help="rebuild even when cached")
    args = parser.parse_args()
    target = Target(args.kind, args.premises, args.years, args.pg)
    for attempt in range(1, 7):
        try:
            build(target, log=lambda m: print(m, flush=True), force=args.force)
            return 0
        except Exception as exc:  # noqa: BLE001 - e.g. the server restarted under us
            print(f"{target.label}: build attempt {attempt} failed: "
                  f"{str(exc).splitlines()[0][:200]}", flush=True)
            if attempt == 6:
                raise
            time.sleep(20)
    return 1


if __name__ == "__main__":
    sys.exit(main())

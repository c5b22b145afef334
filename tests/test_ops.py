"""Operations: health endpoints, log files, the accounts store's schema and backups.

These tests use a tiny billing database of their own (one table), not the
demo one: health, logs and the store do not depend on billing data.
"""

from __future__ import annotations

import contextlib
import logging
import re
import shutil
import sqlite3
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from conftest import STRONG_PASSWORD, base_settings

from gateway import create_app
from gateway.billing.driver import BillingDB
from gateway.config import ConfigError
from gateway.ops import logs
from gateway.store import db as store

PASSWORD_MARK = "Tajne-Haslo-Ktorego-Nie-Ma-W-Logu-123"


def tiny_billing(path: Path) -> Path:
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE T_LOKALE (ID INTEGER PRIMARY KEY, NR TEXT)")
    conn.execute("INSERT INTO T_LOKALE VALUES (1, '12')")
    conn.commit()
    conn.close()
    return path


@pytest.fixture(autouse=True)
def _close_log_files():
    yield
    logs.close_files()


@pytest.fixture
def settings(tmp_path: Path) -> dict[str, Any]:
    """Overrides conftest's: a tiny billing file instead of the demo database."""
    return base_settings(tmp_path, f"sqlite:{tiny_billing(tmp_path / 'billing.sqlite3')}")


@pytest.fixture
def logged_app(settings):
    """An app that writes its log files (no TESTING) into tmp_path/log."""
    settings = {k: v for k, v in settings.items() if k != "TESTING"}
    return create_app(test_config=settings)


def read_log(app, name: str) -> str:
    for handler in logging.getLogger("gateway").handlers + logs.ACCESS.handlers:
        handler.flush()
    path = app.config["LOGGING_DIR"] / name
    return path.read_text(encoding="utf-8") if path.exists() else ""


# ---- /healthz and /readyz -------------------------------------------------------

def test_healthz_and_readyz_with_everything_up(client):
    assert client.get("/healthz").get_json() == {"status": "ok"}
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "checks": {"billing": "ok", "store": "ok"}}


def test_billing_database_down_then_back(settings, tmp_path):
    billing = Path(settings["billing.connection"][len("sqlite:"):])
    app = create_app(test_config=settings)
    client = app.test_client()
    moved = billing.with_suffix(".away")
    billing.rename(moved)
    assert client.get("/healthz").status_code == 200  # the process is fine
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "30"
    assert response.get_json()["checks"] == {"billing": "unavailable", "store": "ok"}
    assert "sqlite" not in response.get_data(as_text=True)  # no driver text leaks
    moved.rename(billing)
    assert client.get("/readyz").status_code == 200  # no restart needed


def test_billing_file_that_is_not_a_database_is_not_ready(settings, tmp_path):
    garbage = tmp_path / "garbage.db"
    garbage.write_bytes(b"this is not an SQLite database at all" * 100)
    settings["billing.connection"] = f"sqlite:{garbage}"
    response = create_app(test_config=settings).test_client().get("/readyz")
    assert response.status_code == 503
    assert response.get_json()["checks"]["billing"] == "unavailable"


def test_store_down_is_not_ready(app, client):
    path: Path = app.config["STORE_PATH"]
    assert client.get("/readyz").status_code == 200
    path.rename(path.with_suffix(".away"))
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.get_json()["checks"] == {"billing": "ok", "store": "unavailable"}


def test_store_check_never_creates_a_store(tmp_path):
    missing = tmp_path / "missing.sqlite3"
    with pytest.raises(sqlite3.Error):
        store.ping(missing, 1)
    assert not missing.exists()


def test_readyz_answers_in_time_when_the_database_hangs(app, client, monkeypatch):
    release = threading.Event()
    calls = []

    def hanging_probe(self, timeout=3.0):
        calls.append(timeout)
        release.wait(30)

    monkeypatch.setattr(BillingDB, "probe", hanging_probe)
    app.config["READY_TIMEOUT"] = 0.5
    try:
        started = time.monotonic()
        response = client.get("/readyz")
        elapsed = time.monotonic() - started
        assert response.status_code == 503
        assert response.get_json()["checks"] == {"billing": "timeout", "store": "ok"}
        assert elapsed < 2.5
        # The hung probe is still running: the next check does not start another one.
        started = time.monotonic()
        assert client.get("/readyz").get_json()["checks"]["billing"] == "timeout"
        assert time.monotonic() - started < 1.0
        assert len(calls) == 1
        assert calls[0] == 0.5
    finally:
        release.set()
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:  # the released probe returns; ready again
        if client.get("/readyz").status_code == 200:
            break
        time.sleep(0.05)
    else:
        pytest.fail("readyz did not recover")


def test_probe_uses_short_timeouts_and_its_own_connection(tmp_path):
    db = BillingDB(f"sqlite:{tiny_billing(tmp_path / 'b.sqlite3')}", connect_timeout=30,
                   query_timeout=60)
    db.ping()
    held = db._held()
    db.probe(2)
    assert db._held() is held  # this thread's connection untouched
    assert (db.connect_timeout, db.query_timeout) == (30, 60)


def test_readyz_state_changes_are_logged_once(logged_app, settings):
    billing = Path(settings["billing.connection"][len("sqlite:"):])
    client = logged_app.test_client()
    billing.rename(billing.with_suffix(".away"))
    for _ in range(3):
        assert client.get("/readyz").status_code == 503
    billing.with_suffix(".away").rename(billing)
    assert client.get("/readyz").status_code == 200
    text = read_log(logged_app, "portal.log")
    assert text.count("readiness: billing unavailable") == 1
    assert text.count("readiness: billing is back") == 1


# ---- log files ----------------------------------------------------------------

def test_access_log_has_one_line_per_request_without_secrets(logged_app):
    from conftest import Auth

    client = logged_app.test_client()
    auth = Auth(logged_app, client)
    login, start = auth.create(1)
    assert auth.login(login, start).status_code == 302
    client.get("/czynsz?rok=2024&miesiac=3&lokal=12&haslo=" + PASSWORD_MARK)
    client.get("/?szukaj=Kowalski+Jan")
    response = auth.change_password(start, PASSWORD_MARK)
    assert response.status_code in (200, 302)

    access = read_log(logged_app, "access.log")
    lines = access.splitlines()
    assert len(lines) == 6, access  # GET+POST /logowanie, /czynsz, /, GET+POST /haslo
    line = {re.split(r"\s+", x)[5] + " " + re.split(r"\s+", x)[6]: x for x in lines}
    assert re.search(rf"POST /logowanie 302 \d+\.\dms {re.escape(login)}$",
                     line["POST /logowanie"])
    assert re.search(rf"GET /czynsz 302 \d+\.\dms {re.escape(login)}$", line["GET /czynsz"])
    assert re.search(rf"GET / 200 \d+\.\dms {re.escape(login)}$", line["GET /"])
    assert re.search(r"GET /logowanie 200 \d+\.\dms -$", line["GET /logowanie"])
    stamp = r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} INFO gateway\.access "
    assert all(re.match(stamp + r"\S+ (GET|POST) /", x) for x in lines), access
    everything = access + read_log(logged_app, "portal.log")
    for secret in (start, PASSWORD_MARK, "rok=", "lokal=", "Kowalski", "?",
                   logged_app.config["SECRET_KEY"]):
        assert secret not in everything, secret


def test_unhandled_error_shows_incident_id_that_is_in_the_log(logged_app):
    def broken():
        raise RuntimeError("kaboom in a view")

    logged_app.view_functions["pages.public"] = broken
    response = logged_app.test_client().get("/?a=1")
    assert response.status_code == 500
    page = response.get_data(as_text=True)
    assert "Błąd portalu" in page and "Numer zgłoszenia" in page
    assert "kaboom" not in page and "Traceback" not in page
    incident = re.search(r"Numer zgłoszenia: <strong>([0-9a-f]{10})</strong>", page).group(1)
    portal = read_log(logged_app, "portal.log")
    assert f"[incident {incident}]" in portal
    after = portal[portal.index(incident):]
    assert "Traceback (most recent call last)" in after and "kaboom in a view" in after
    assert re.search(rf"GET / 500 \d+\.\dms - incident={incident}$",
                     read_log(logged_app, "access.log"), re.M)


def test_billing_outage_page_has_incident_id_in_log(logged_app, settings):
    from conftest import Auth

    client = logged_app.test_client()
    login = Auth(logged_app, client).resident(1)
    Path(settings["billing.connection"][len("sqlite:"):]).unlink()
    response = client.get("/dane-osobowe")
    assert response.status_code == 503
    page = response.get_data(as_text=True)
    incident = re.search(r"Numer zgłoszenia: <strong>([0-9a-f]{10})</strong>", page).group(1)
    assert "sqlite" not in page.lower()
    assert re.search(rf"billing database unavailable \[incident {incident}\]",
                     read_log(logged_app, "portal.log"))
    assert re.search(rf"GET /dane-osobowe 503 \d+\.\dms {re.escape(login)} "
                     rf"incident={incident}$", read_log(logged_app, "access.log"), re.M)
    assert STRONG_PASSWORD not in read_log(logged_app, "access.log")


def test_connection_string_password_in_a_path_is_masked_in_the_access_log(logged_app):
    logged_app.test_client().get("/x;PWD=tajne123;")
    access = read_log(logged_app, "access.log")
    assert "GET /x;PWD=***" in access and "tajne123" not in access


def test_path_cannot_forge_log_lines(logged_app):
    logged_app.test_client().get("/nie-ma%0A2026-01-01 INFO gateway.access fake 200")
    access = read_log(logged_app, "access.log").splitlines()
    assert len(access) == 1
    assert "%0A" in access[0] and " 404 " in access[0]


def test_connection_string_passwords_are_masked(logged_app):
    logging.getLogger("gateway.test").warning(
        "cannot connect: DRIVER={ODBC Driver 18 for SQL Server};UID=portal_ro;PWD=S3cr3t!x;")
    logging.getLogger("gateway.test").warning("other: Password = {a;b}; next")
    portal = read_log(logged_app, "portal.log")
    assert "S3cr3t" not in portal and "{a;b}" not in portal
    assert "PWD=***" in portal and "UID=portal_ro" in portal


def test_log_level_and_folder_come_from_config(settings, tmp_path):
    settings = {k: v for k, v in settings.items() if k != "TESTING"}
    settings.update({"logging.dir": str(tmp_path / "inne logi"), "logging.level": "warning"})
    app = create_app(test_config=settings)
    logging.getLogger("gateway.test").info("quiet")
    logging.getLogger("gateway.test").warning("loud ąęł")
    app.test_client().get("/healthz")
    portal = read_log(app, "portal.log")
    assert "loud ąęł" in portal and "quiet" not in portal
    assert "GET /healthz 200" in read_log(app, "access.log")


@contextlib.contextmanager
def file_logger(path: Path, max_bytes: int, backups: int):
    """A logger writing through the portal's file handler only; (logger, handler)."""
    handler = logs._handler(path, {"LOGGING_MAX_BYTES": max_bytes, "LOGGING_BACKUPS": backups})
    logger = logging.getLogger(f"gateway.test-{path.name}-{max_bytes}")
    logger.addHandler(handler)
    logger.propagate = False
    try:
        yield logger, handler
    finally:
        logger.removeHandler(handler)
        handler.close()


def test_rotation_survives_a_file_held_open_elsewhere(tmp_path, monkeypatch):
    with file_logger(tmp_path / "portal.log", 200, 2) as (logger, handler):
        def refuse(*_args):
            raise PermissionError(32, "The process cannot access the file")

        monkeypatch.setattr(handler, "rotate", refuse)
        for n in range(20):
            logger.warning("line %d %s", n, "x" * 40)
        handler.flush()
        text = (tmp_path / "portal.log").read_text(encoding="utf-8")
        assert "line 0 " in text and "line 19 " in text  # nothing lost, no crash
        monkeypatch.undo()
        logger.warning("after")
        handler.flush()
        assert (tmp_path / "portal.log.1").exists()  # rotates once it can


def test_logs_rotate_by_size_and_keep_the_configured_backups(tmp_path):
    with file_logger(tmp_path / "access.log", 10_000, 2) as (logger, _handler):
        for n in range(600):  # ≈ 60 kB: several rollovers
            logger.warning("line %04d %s", n, "x" * 60)
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names == ["access.log", "access.log.1", "access.log.2"]
    sizes = [(tmp_path / name).stat().st_size for name in names]
    assert all(0 < size <= 10_000 for size in sizes), sizes
    newest = (tmp_path / "access.log").read_text(encoding="utf-8")
    assert "line 0599 " in newest
    kept = "".join((tmp_path / name).read_text(encoding="utf-8") for name in reversed(names))
    numbers = [int(line.split("line ")[1][:4]) for line in kept.splitlines()]
    assert numbers == list(range(numbers[0], 600))  # the newest lines, none missing


def test_logging_to_a_non_regular_file_never_rotates(tmp_path):
    handler = logs._handler(Path("/dev/null"), {"LOGGING_MAX_BYTES": 10_000,
                                                "LOGGING_BACKUPS": 1})
    record = logging.LogRecord("gateway", logging.WARNING, __file__, 1, "x" * 20_000, None, None)
    try:
        assert not handler.shouldRollover(record)
        handler.emit(record)
    finally:
        handler.close()


def test_second_app_moves_the_log_files(settings, tmp_path):
    settings = {k: v for k, v in settings.items() if k != "TESTING"}
    create_app(test_config=settings)
    settings["logging.dir"] = str(tmp_path / "log2")
    app2 = create_app(test_config=settings)
    files = [h for h in logging.getLogger("gateway").handlers + logs.ACCESS.handlers
             if isinstance(h, logs.PortalFileHandler)]
    assert len(files) == 2
    assert all(str(tmp_path / "log2") in h.baseFilename for h in files)
    app2.test_client().get("/healthz")
    assert read_log(app2, "access.log").count("/healthz") == 1


# ---- the accounts store: schema versions ---------------------------------------

OLD_MIGRATIONS = store.MIGRATIONS
EXTRA = "ALTER TABLE accounts ADD COLUMN note TEXT;\nCREATE TABLE extra (x INTEGER);"


def test_fresh_and_empty_stores_get_the_current_schema(tmp_path):
    empty = tmp_path / "empty.sqlite3"
    empty.touch()  # version 0, no tables
    assert store.migrate(empty) == len(store.MIGRATIONS)
    assert store.migrate(tmp_path / "new" / "store.sqlite3") == len(store.MIGRATIONS)
    assert store.migrate(empty) == len(store.MIGRATIONS)  # idempotent


def test_older_store_is_migrated_on_start_and_kept(settings, monkeypatch, tmp_path):
    app = create_app(test_config=settings)
    from gateway.store import accounts

    with app.app_context():
        account, _ = accounts.create("7", "stary-login")
    path: Path = app.config["STORE_PATH"]
    version = len(OLD_MIGRATIONS)

    monkeypatch.setattr(store, "MIGRATIONS", OLD_MIGRATIONS + (EXTRA,))
    app2 = create_app(test_config=settings)  # start of the upgraded program
    conn = sqlite3.connect(path)
    try:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == version + 1
        assert conn.execute("SELECT login, note FROM accounts").fetchall() == \
            [("stary-login", None)]
        conn.execute("SELECT x FROM extra")
    finally:
        conn.close()
    kept = path.with_name(f"{path.name}.v{version}.bak")
    assert kept.is_file()  # the pre-upgrade copy
    assert store._check_copy(kept) == {"version": version, "accounts": 1}
    with app2.app_context():
        assert accounts.by_resident("7").login == "stary-login"


def test_failed_migration_changes_nothing(tmp_path, monkeypatch):
    path = tmp_path / "store.sqlite3"
    store.migrate(path)
    monkeypatch.setattr(store, "MIGRATIONS",
                        OLD_MIGRATIONS + ("CREATE TABLE ok1 (x);\nTHIS IS NOT SQL;",))
    with pytest.raises(ConfigError, match=r"^store\.path: upgrading .* failed"):
        store.migrate(path)
    conn = sqlite3.connect(path)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == len(OLD_MIGRATIONS)
    assert not conn.execute("SELECT 1 FROM sqlite_master WHERE name='ok1'").fetchall()
    conn.close()


def test_store_newer_than_the_program_is_refused(settings):
    app = create_app(test_config=settings)
    path: Path = app.config["STORE_PATH"]
    conn = sqlite3.connect(path)
    conn.execute(f"PRAGMA user_version = {len(store.MIGRATIONS) + 5}")
    conn.close()
    with pytest.raises(ConfigError) as info:
        create_app(test_config=settings)
    message = str(info.value)
    assert message.startswith("store.path:") and "newer than this program" in message
    assert "\n" not in message


def test_store_that_is_not_a_database_is_a_clear_error(settings, tmp_path):
    path = tmp_path / "store.sqlite3"
    path.write_bytes(b"garbage" * 1000)
    with pytest.raises(ConfigError, match=r"^store\.path: cannot open"):
        create_app(test_config=settings)


# ---- the accounts store: backup and restore ------------------------------------

def _logins(path: Path) -> list[str]:
    conn = sqlite3.connect(path)
    try:
        return [r[0] for r in conn.execute("SELECT login FROM accounts ORDER BY login")]
    finally:
        conn.close()


def test_backup_while_a_write_is_open_and_restore(app, settings, tmp_path):
    from gateway.store import accounts

    with app.app_context():
        accounts.create("1", "anna-k")
        accounts.create("2", "jan-n")
    path: Path = app.config["STORE_PATH"]
    writer = sqlite3.connect(path, isolation_level=None)
    writer.execute("BEGIN IMMEDIATE")
    writer.execute("INSERT INTO accounts (login, resident, password_hash, created) "
                   "VALUES ('w-trakcie', '3', 'x', '2026-01-01')")
    try:
        started = time.monotonic()
        summary = store.backup(path, tmp_path / "kopie" / "store-2026-01-01.sqlite3")
        assert time.monotonic() - started < 5  # did not wait for the writer
    finally:
        writer.execute("COMMIT")
        writer.close()
    copy = tmp_path / "kopie" / "store-2026-01-01.sqlite3"
    assert summary == {"version": len(store.MIGRATIONS), "accounts": 2}
    assert _logins(copy) == ["anna-k", "jan-n"]  # committed data only, consistent
    assert not list(copy.parent.glob("*.partial")) and not list(copy.parent.glob("*-wal"))
    conn = sqlite3.connect(copy)
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "delete"  # one file
    conn.close()

    # Disaster: the accounts are gone. Restore through SQLite...
    with app.app_context():
        store.get_store().execute("DELETE FROM accounts")
    assert _logins(path) == []
    assert store.restore(copy, path)["accounts"] == 2
    assert _logins(path) == ["anna-k", "jan-n"]
    with app.app_context():
        assert accounts.by_resident("2").login == "jan-n"

    # ...or by copying the file back while the portal is stopped.
    path.unlink()
    for extra in path.parent.glob(path.name + "-*"):
        extra.unlink()
    shutil.copyfile(copy, path)
    app2 = create_app(test_config=settings)
    with app2.app_context():
        assert accounts.by_resident("1").login == "anna-k"


def test_backup_replaces_an_older_backup_atomically(app, tmp_path):
    path: Path = app.config["STORE_PATH"]
    target = tmp_path / "latest.sqlite3"
    target.write_bytes(b"older backup")
    store.backup(path, target)
    assert store._check_copy(target)["version"] == len(store.MIGRATIONS)


def test_backup_errors_are_clear(app, tmp_path):
    path: Path = app.config["STORE_PATH"]
    with pytest.raises(ConfigError, match="does not exist"):
        store.backup(tmp_path / "missing.sqlite3", tmp_path / "b.sqlite3")
    with pytest.raises(ConfigError, match="must not be the store itself"):
        store.backup(path, path)
    junk = tmp_path / "junk.sqlite3"
    junk.write_bytes(b"junk" * 2000)
    with pytest.raises(ConfigError, match="not a portal store|damaged"):
        store.restore(junk, path)
    assert _logins(path) == []  # the live store is untouched


def test_restore_refuses_a_backup_from_a_newer_program(app, tmp_path):
    path: Path = app.config["STORE_PATH"]
    newer = tmp_path / "newer.sqlite3"
    store.backup(path, newer)
    conn = sqlite3.connect(newer)
    conn.execute(f"PRAGMA user_version = {len(store.MIGRATIONS) + 1}")
    conn.close()
    with pytest.raises(ConfigError, match="newer than this program"):
        store.restore(newer, path)


def test_backup_command(runner, app, auth, tmp_path):
    auth.create(1, "kowalski-j")
    target = tmp_path / "kopia zapasowa" / "store.sqlite3"
    result = runner.invoke(["accounts", "backup", str(target)])
    assert result.exit_code == 0, result.output
    assert str(target) in result.output
    assert _logins(target) == ["kowalski-j"]


def test_backup_command_works_while_someone_logs_in(app, auth, tmp_path):
    """A resident logging in (a write) during the backup does not spoil it."""
    login, start = auth.create(1)
    done = threading.Event()

    def busy():
        while not done.is_set():
            auth.login(login, "zle haslo " + STRONG_PASSWORD)

    worker = threading.Thread(target=busy)
    worker.start()
    try:
        for n in range(5):
            summary = store.backup(app.config["STORE_PATH"], tmp_path / f"b{n}.sqlite3")
            assert summary["accounts"] == 1
    finally:
        done.set()
        worker.join(10)

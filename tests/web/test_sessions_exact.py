"""13.5: the idle timeout is exact; 13.6: anonymous visitors write nothing to the store."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from types import SimpleNamespace

from conftest import Auth, path_of, text

from gateway import create_app
from gateway.store import sessions

TABLES = ("accounts", "sessions", "audit", "address_failures", "login_failures",
          "second_factors", "recovery_codes")


def test_session_used_every_few_seconds_never_idles_out(settings, monkeypatch):
    settings["security.idle_timeout_minutes"] = "1"
    app = create_app(test_config=settings)
    auth = Auth(app, app.test_client())
    auth.resident(1)
    import time as real

    clock = SimpleNamespace(now=real.time())
    monkeypatch.setattr(sessions, "time", SimpleNamespace(time=lambda: clock.now))
    for _ in range(60):  # ten minutes, a page every 10 seconds
        clock.now += 10
        assert auth.client.get("/dane-osobowe").status_code == 200
    clock.now += 59  # a minute's pause less a second: still in
    assert auth.client.get("/dane-osobowe").status_code == 200
    clock.now += 62  # past the idle timeout (at most a second late)
    response = auth.client.get("/dane-osobowe")
    assert response.status_code == 302 and path_of(response) == "/logowanie"


def _counts(path: Path) -> dict[str, int]:
    conn = sqlite3.connect(path)
    try:
        return {t: conn.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0] for t in TABLES}
    finally:
        conn.close()


def _size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.parent.glob(path.name + "*"))


def test_thousands_of_anonymous_requests_leave_the_store_unchanged(app, auth):
    auth.create(1)  # a store with something in it
    path = Path(app.config["STORE_PATH"])
    before, size = _counts(path), _size(path)
    kept = app.test_client()
    for n in range(500):
        fresh = app.test_client()  # a script without cookies
        assert fresh.get("/logowanie").status_code == 200
        assert kept.get("/logowanie").status_code == 200  # a browser with its cookie
        assert fresh.get("/").status_code == 200
        assert kept.get("/czynsz" if n % 2 else "/dane-osobowe").status_code == 302
    assert _counts(path) == before
    assert _size(path) == size


def test_the_login_form_still_works_from_the_signed_cookie(app, auth):
    login = auth.resident(1)
    client = app.test_client()
    assert client.get("/logowanie").status_code == 200
    assert client.get_cookie("portal_anon") is not None
    assert client.get_cookie("portal_session") is None
    assert path_of(auth.login(login, "srebrny tramwaj pod kasztanem w marcu",
                              client=client)) == "/pulpit"
    assert client.get_cookie("portal_session") is not None


def test_a_forged_anonymous_cookie_is_worthless(app, auth):
    client = app.test_client()
    client.set_cookie("portal_anon", "eyJfdXNlcl9pZCI6IjEifQ.forged.sig")
    response = client.get("/dane-osobowe")
    assert response.status_code == 302
    assert "Zaloguj się" in text(client.get("/logowanie"))

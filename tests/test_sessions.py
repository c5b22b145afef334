"""Server-side sessions: cookie flags, rotation, revocation, timeouts, logout.

SECURITY.md 8–12: a copied cookie dies at logout, password change, staff
reset and lock; idle and absolute timeouts end a session; a cookie the store
does not know is anonymous; logout is a POST with CSRF.
"""

from __future__ import annotations

import hashlib
import html
import secrets
from urllib.parse import urlsplit

import pytest
from conftest import STRONG_PASSWORD, Auth, csrf_token

from gateway import create_app

COOKIE = "portal_session"
NEW_PASSWORD = "żółty kot śpi pod starą gruszą"


def text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def is_login_page_redirect(response) -> bool:
    return response.status_code == 302 and urlsplit(response.location).path == "/logowanie"


def set_cookie_header(response, name: str) -> str:
    found = [h for h in response.headers.getlist("Set-Cookie") if h.startswith(name + "=")]
    assert len(found) == 1, response.headers.getlist("Set-Cookie")
    return found[0]


def sid(client, name: str = COOKIE) -> str:
    cookie = client.get_cookie(name)
    assert cookie is not None
    return cookie.value


def copy_of(app, client, name: str = COOKIE):
    """A second browser holding the same cookie (e.g. stolen, or a copy from before)."""
    other = app.test_client()
    other.set_cookie(name, sid(client, name))
    return other


def assert_logged_in(client) -> None:
    response = client.get("/dane-osobowe")
    assert response.status_code == 200, response.status_code


def assert_anonymous(client) -> None:
    response = client.get("/dane-osobowe")
    assert is_login_page_redirect(response)
    assert "Zaloguj" in text(client.get("/logowanie"))


# ---- cookie ----------------------------------------------------------------------

def test_cookie_flags_over_http(auth, client):
    login, start = auth.create(1)
    response = auth.login(login, start)
    header = set_cookie_header(response, COOKIE)
    attributes = [part.strip().lower() for part in header.split(";")[1:]]
    assert "httponly" in attributes
    assert "samesite=lax" in attributes
    assert "path=/" in attributes
    assert not any(a.startswith("domain") for a in attributes)
    assert "secure" not in attributes
    assert "Strict-Transport-Security" not in response.headers


@pytest.mark.settings({"portal.https": "true"})
def test_cookie_flags_over_https(auth):
    client = auth.client
    # Over HTTPS the CSRF check also wants a same-origin Referer, as browsers send it.
    client.environ_base["HTTP_REFERER"] = "https://localhost/logowanie"
    login, start = auth.create(1)
    response = auth.login(login, start)
    header = set_cookie_header(response, "__Host-portal")
    attributes = [part.strip().lower() for part in header.split(";")[1:]]
    assert "secure" in attributes and "httponly" in attributes
    assert "samesite=lax" in attributes and "path=/" in attributes
    assert not any(a.startswith("domain") for a in attributes)
    assert not [h for h in response.headers.getlist("Set-Cookie") if h.startswith(COOKIE)]
    assert "max-age=" in response.headers["Strict-Transport-Security"]
    assert "max-age=" in client.get("/").headers["Strict-Transport-Security"]
    auth.change_password(start, NEW_PASSWORD)
    assert client.get("/dane-osobowe").status_code == 200


@pytest.mark.settings({"portal.https": "true"})
def test_https_post_from_another_origin_is_refused(auth):
    login, start = auth.create(1)
    auth.client.environ_base["HTTP_REFERER"] = "https://zly.example/logowanie"
    response = auth.login(login, start)
    assert response.status_code == 400
    assert "Formularz wygasł" in text(response)


def test_store_keeps_only_a_hash_of_the_session_id(auth, client, store_sql):
    auth.resident(1)
    value = sid(client)
    stored = [r["id_hash"] for r in store_sql("SELECT id_hash FROM sessions")]
    assert value not in stored
    assert hashlib.sha256(value.encode()).hexdigest() in stored


# ---- rotation --------------------------------------------------------------------

def test_session_id_changes_at_login(app, auth, client):
    login = auth.resident(1)
    auth.logout()
    client.get("/logowanie")
    # Before a login the visitor's session is a signed cookie (no store row, 13.6).
    before = sid(client, "portal_anon")
    planted = copy_of(app, client, "portal_anon")  # session fixation: the attacker knows it
    response = auth.login(login, STRONG_PASSWORD)
    assert response.status_code == 302
    assert sid(client) != before and client.get_cookie("portal_anon") is None
    assert_logged_in(client)
    assert_anonymous(planted)


def test_session_id_changes_at_password_change(app, auth, client):
    login, start = auth.create(1)
    auth.login(login, start)
    before = sid(client)
    copied = copy_of(app, client)
    assert auth.change_password(start, NEW_PASSWORD).status_code == 302
    assert sid(client) != before
    assert_logged_in(client)
    assert_anonymous(copied)


# ---- revocation ------------------------------------------------------------------

def test_logout_kills_the_cookie(app, auth, client, audit_rows):
    login = auth.resident(1)
    copied = copy_of(app, client)
    response = auth.logout()
    assert is_login_page_redirect(response)
    assert "Wylogowano" in text(client.get("/logowanie"))
    assert_anonymous(client)
    # Replaying the old cookie (back button, a copy) gets the login page, no data.
    replay = copied.get("/dane-osobowe")
    assert is_login_page_redirect(replay)
    page = copied.get(replay.location)
    assert page.status_code == 200 and "Logowanie" in text(page)
    assert "Jan Kowalski" not in text(page)
    assert [r["login"] for r in audit_rows("logout")] == [login]


def test_password_change_logs_out_the_other_browser(app, auth, client):
    login = auth.resident(1)
    second = app.test_client()
    assert auth.login(login, STRONG_PASSWORD, client=second).status_code == 302
    assert_logged_in(second)
    assert auth.change_password(STRONG_PASSWORD, NEW_PASSWORD).status_code == 302
    assert_anonymous(second)
    assert_logged_in(client)  # the browser that changed it stays in


@pytest.mark.parametrize("action", ["reset", "lock"])
def test_staff_reset_and_lock_log_the_resident_out(app, auth, client, runner, action):
    login = auth.resident(1)
    second = app.test_client()
    auth.login(login, STRONG_PASSWORD, client=second)
    copied = copy_of(app, client)
    result = runner.invoke(["accounts", action, login])
    assert result.exit_code == 0, result.output
    for browser in (client, second, copied):
        assert_anonymous(browser)


def test_staff_action_on_another_account_keeps_session(app, auth, client, runner):
    auth.resident(1)
    other, _ = auth.create(2)
    assert runner.invoke(["accounts", "lock", other]).exit_code == 0
    assert runner.invoke(["accounts", "reset", other]).exit_code == 0
    assert_logged_in(client)


# ---- timeouts --------------------------------------------------------------------

def test_idle_timeout(auth, client, store_sql):
    auth.resident(1)
    store_sql("UPDATE sessions SET last_seen = last_seen - ?", (29 * 60,))
    assert_logged_in(client)  # 29 minutes idle: still in
    store_sql("UPDATE sessions SET last_seen = last_seen - ?", (31 * 60,))
    response = client.get("/dane-osobowe")
    assert is_login_page_redirect(response)
    page = client.get(response.location)
    assert "Sesja wygasła" in text(page)
    assert_anonymous(client)


@pytest.mark.settings({"security.idle_timeout_minutes": "5"})
def test_idle_timeout_follows_configuration(auth, store_sql):
    auth.resident(1)
    store_sql("UPDATE sessions SET last_seen = last_seen - ?", (6 * 60,))
    assert_anonymous(auth.client)


def test_absolute_timeout_even_when_active(auth, client, store_sql):
    auth.resident(1)
    store_sql("UPDATE sessions SET created = created - ?", (11 * 3600,))
    assert_logged_in(client)  # 11 hours old, active: still in
    store_sql("UPDATE sessions SET created = created - ?", (1 * 3600 + 60,))
    assert is_login_page_redirect(client.get("/dane-osobowe"))
    assert_anonymous(client)


def test_expired_session_row_is_gone(auth, client, store_sql):
    auth.resident(1)
    value = sid(client)
    store_sql("UPDATE sessions SET last_seen = last_seen - ?", (31 * 60,))
    client.get("/dane-osobowe")
    digest = hashlib.sha256(value.encode()).hexdigest()
    assert store_sql("SELECT COUNT(*) FROM sessions WHERE id_hash = ?", (digest,))[0][0] == 0


# ---- foreign cookies -------------------------------------------------------------

def test_tampered_cookie_is_anonymous(app, auth, client):
    auth.resident(1)
    value = sid(client)
    tampered = app.test_client()
    tampered.set_cookie(COOKIE, value[:-1] + ("A" if value[-1] != "A" else "B"))
    assert_anonymous(tampered)
    random = app.test_client()
    random.set_cookie(COOKIE, secrets.token_urlsafe(32))
    assert_anonymous(random)
    huge = app.test_client()
    huge.set_cookie(COOKIE, "x" * 4000)
    assert_anonymous(huge)
    assert_logged_in(client)


def test_cookie_from_another_installation_is_anonymous(settings, tmp_path, auth, client):
    other_app = create_app(test_config={**settings,
                                        "store.path": str(tmp_path / "other-store.sqlite3"),
                                        "portal.secret_key": "other-" + "z" * 40})
    other = Auth(other_app, other_app.test_client())
    other.resident(1)
    stranger = copy_of(other_app, other.client)
    assert_logged_in(other.client)
    # The same cookie presented to this installation.
    intruder = auth.app.test_client()
    intruder.set_cookie(COOKIE, sid(stranger))
    assert_anonymous(intruder)


# ---- logout is a POST with CSRF ---------------------------------------------------

def test_get_logout_does_not_log_out(auth, client):
    auth.resident(1)
    response = client.get("/wyloguj")
    assert response.status_code == 405
    assert "Niedozwolona operacja" in text(response)
    assert_logged_in(client)


def test_logout_without_csrf_is_400_and_stays_logged_in(app, auth, client):
    auth.resident(1)
    response = client.post("/wyloguj")
    assert response.status_code == 400
    assert "Formularz wygasł" in text(response)
    assert_logged_in(client)
    foreign = csrf_token(text(app.test_client().get("/logowanie")))
    response = client.post("/wyloguj", data={"csrf_token": foreign})
    assert response.status_code == 400
    assert_logged_in(client)


def test_logout_form_of_an_earlier_page_still_logs_out(app, auth, client):
    """The token on a page stays usable while the resident browses on (a reused token)."""
    auth.resident(1)
    first = csrf_token(text(client.get("/czynsz")))
    for page in ("/ksiegowosc", "/dane-osobowe", "/media/odczyty"):
        assert client.get(page).status_code == 200
    response = client.post("/wyloguj", data={"csrf_token": first})
    assert response.status_code == 302
    assert_anonymous(client)


def test_a_residents_page_token_does_not_work_in_another_session(app, auth, client):
    login = auth.resident(1)
    other = app.test_client()
    auth.resident(2, client=other)
    theirs = csrf_token(text(other.get("/czynsz")))
    mine = csrf_token(text(client.get("/czynsz")))
    assert theirs != mine
    response = client.post("/wyloguj", data={"csrf_token": theirs})
    assert response.status_code == 400
    assert_logged_in(client)
    # After logging out and in again, the old session's token is refused too.
    assert client.post("/wyloguj", data={"csrf_token": mine}).status_code == 302
    assert auth.login(login, STRONG_PASSWORD).status_code == 302
    assert client.post("/wyloguj", data={"csrf_token": mine}).status_code == 400
    assert_logged_in(client)


# ---- caching ---------------------------------------------------------------------

@pytest.mark.parametrize("page", ["/dane-osobowe", "/czynsz", "/ksiegowosc", "/haslo"])
def test_resident_pages_are_not_cached(auth, client, page):
    auth.resident(1)
    response = client.get(page)
    assert response.status_code == 200
    assert "no-store" in response.headers["Cache-Control"]
    assert "Cookie" in response.headers.get("Vary", "")


def test_login_page_is_not_cached(client):
    assert "no-store" in client.get("/logowanie").headers["Cache-Control"]

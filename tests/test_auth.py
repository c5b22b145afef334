"""Login, the forced password change, brute-force limits, CSRF on login, `next`, audit.

SECURITY.md 1–5, 7, 13–15 through the real forms of the test client.
"""

from __future__ import annotations

import getpass
import re
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from conftest import STRONG_PASSWORD, csrf_token, path_of, text

import gateway.store.passwords

DATA_PAGES = ["/pulpit", "/dane-osobowe", "/czynsz", "/ksiegowosc", "/ksiegowosc/szczegoly",
              "/wirtualne-rachunki", "/media/odczyty", "/media/rozliczenia"]
FAILED = "Nieprawidłowy login lub hasło"
BLOCKED = "logowanie na ten login jest czasowo zablokowane"
NEW_PASSWORD = "żółty kot śpi pod starą gruszą"
TOKEN_RE = re.compile(r'(name="csrf_token"[^>]*value=")[^"]+(")')



def is_login_page_redirect(response) -> bool:
    return response.status_code == 302 and path_of(response) == "/logowanie"


def post_login(client, login: str, password: str, query: str = "", **kwargs):
    page = client.get("/logowanie")
    return client.post("/logowanie" + query, data={
        "login": login, "password": password, "csrf_token": csrf_token(text(page))}, **kwargs)


def logout_from(client, page: str = "/haslo"):
    token = csrf_token(text(client.get(page)))
    return client.post("/wyloguj", data={"csrf_token": token})


# ---- anonymous -------------------------------------------------------------------

@pytest.mark.parametrize("page", DATA_PAGES + ["/haslo"])
def test_anonymous_gets_login_page(client, page):
    response = client.get(page)
    assert is_login_page_redirect(response)
    assert parse_qs(urlsplit(response.location).query)["next"] == [page]
    assert "Zaloguj się" in text(client.get(response.location))


@pytest.mark.parametrize("page", ["/", "/logowanie", "/healthz"])
def test_public_pages_need_no_login(client, page):
    assert client.get(page).status_code == 200


# ---- forced password change ------------------------------------------------------

def test_start_password_opens_only_the_change_form(auth, client):
    login, start = auth.create(1)
    response = auth.login(login, start)
    assert response.status_code == 302 and path_of(response) == "/haslo"
    for page in DATA_PAGES:
        response = client.get(page)
        assert response.status_code == 302, page
        assert path_of(response) == "/haslo", page
        assert parse_qs(urlsplit(response.location).query)["next"] == [page]
    form = client.get("/haslo")
    assert form.status_code == 200
    assert "Ustal swoje hasło" in text(form)
    assert 'href="/czynsz"' not in text(form)  # no tabs before the change

    response = auth.change_password(start, NEW_PASSWORD)
    assert response.status_code == 302 and path_of(response) == "/pulpit"
    assert "Hasło zostało zmienione" in text(client.get("/pulpit"))
    for page in DATA_PAGES:
        response = client.get(page)
        assert response.status_code == 200, (page, response.status_code)


def test_forced_change_keeps_the_page_asked_for(auth, client):
    login, start = auth.create(1)
    auth.login(login, start)
    response = client.get("/czynsz?rok=2024")
    assert path_of(response) == "/haslo"
    form = client.get(response.location)
    response = client.post(response.location, data={
        "current_password": start, "new_password": NEW_PASSWORD,
        "new_password_confirm": NEW_PASSWORD, "csrf_token": csrf_token(text(form))})
    assert response.status_code == 302
    assert response.location == "/czynsz?rok=2024"


def test_forced_change_next_is_local_only(auth, client):
    login, start = auth.create(1)
    auth.login(login, start)
    form = client.get("/haslo")
    response = client.post("/haslo?next=//zly.example/", data={
        "current_password": start, "new_password": NEW_PASSWORD,
        "new_password_confirm": NEW_PASSWORD, "csrf_token": csrf_token(text(form))})
    assert response.status_code == 302
    parts = urlsplit(response.location)
    assert not parts.netloc and parts.path == "/pulpit"


def test_logout_works_with_start_password(auth, client, audit_rows):
    login, start = auth.create(1)
    auth.login(login, start)
    response = logout_from(client, "/haslo")
    assert is_login_page_redirect(response)
    assert is_login_page_redirect(client.get("/haslo"))
    assert [r["login"] for r in audit_rows("logout")] == [login]


# ---- same answer for unknown login and wrong password -------------------------------

def _normalised(response, typed_login: str) -> str:
    body = TOKEN_RE.sub(r"\1TOKEN\2", response.get_data(as_text=True))
    return body.replace(typed_login, "LOGIN")


def test_unknown_login_and_wrong_password_answer_the_same(app, auth):
    login = auth.resident(1)
    auth.logout()
    wrong = post_login(app.test_client(), login, "to nie jest moje hasło")
    unknown = post_login(app.test_client(), "nikt-taki-x", "to nie jest moje hasło")
    assert wrong.status_code == unknown.status_code == 200
    assert FAILED in text(wrong)
    assert _normalised(wrong, login) == _normalised(unknown, "nikt-taki-x")


def test_unknown_login_verifies_a_dummy_hash(app, auth, monkeypatch, store_sql):
    login = auth.resident(1)
    auth.logout()
    real = gateway.store.passwords.verify
    calls: list[str] = []

    def counting(hasher, stored, password):
        calls.append(stored)
        return real(hasher, stored, password)

    monkeypatch.setattr(gateway.store.passwords, "verify", counting)
    account_hashes = {r[0] for r in store_sql("SELECT password_hash FROM accounts")}

    post_login(app.test_client(), "nikt-taki-x", "to nie jest moje hasło")
    assert len(calls) == 1
    assert calls[0].startswith("$argon2id$") and calls[0] not in account_hashes

    calls.clear()
    post_login(app.test_client(), login, "to nie jest moje hasło")
    assert calls == list(account_hashes)  # one verification, against the account's hash


# ---- lockout and throttle --------------------------------------------------------

@pytest.mark.settings({"security.max_failures": "3"})
def test_lockout_after_failures_and_staff_unlock(auth, runner, audit_rows):
    client = auth.client
    login = auth.resident(1)
    auth.logout()
    for _ in range(2):
        response = auth.login(login, "zle haslo zle haslo")
        assert response.status_code == 200 and FAILED in text(response)
    response = auth.login(login, "zle haslo zle haslo")
    assert response.status_code == 429 and BLOCKED in text(response)
    assert [r["login"] for r in audit_rows("lockout")] == [login]

    response = auth.login(login, STRONG_PASSWORD)
    assert response.status_code == 429 and BLOCKED in text(response)
    assert is_login_page_redirect(client.get("/dane-osobowe"))

    result = runner.invoke(["accounts", "unlock", login])
    assert result.exit_code == 0, result.output
    assert login in result.stdout
    response = auth.login(login, STRONG_PASSWORD)
    assert response.status_code == 302 and path_of(response) == "/pulpit"
    assert client.get("/dane-osobowe").status_code == 200
    assert audit_rows("staff_unlock")[0]["actor"] == getpass.getuser()


@pytest.mark.settings({"security.max_failures": "3"})
def test_failures_below_limit_do_not_lock(auth):
    login = auth.resident(1)
    auth.logout()
    for _ in range(2):
        auth.login(login, "zle haslo zle haslo")
    assert path_of(auth.login(login, STRONG_PASSWORD)) == "/pulpit"
    auth.logout()
    # The success reset the counter: two more failures still do not lock.
    for _ in range(2):
        auth.login(login, "zle haslo zle haslo")
    assert path_of(auth.login(login, STRONG_PASSWORD)) == "/pulpit"


@pytest.mark.settings({"security.max_failures": "3"})
def test_lockout_is_persisted_in_the_store(settings, auth):
    login = auth.resident(1)
    auth.logout()
    for _ in range(3):
        auth.login(login, "zle haslo zle haslo")
    # A restart (new app on the same store) keeps the lock.
    from conftest import Auth

    from gateway import create_app

    again = create_app(test_config=settings)
    response = Auth(again, again.test_client()).login(login, STRONG_PASSWORD)
    assert response.status_code == 429 and BLOCKED in text(response)


@pytest.mark.settings({"security.address_max_failures": "5"})
def test_address_throttle_answers_429(auth, audit_rows):
    client = auth.client
    login = auth.resident(1)
    auth.logout()
    for number in range(5):
        response = auth.login(f"nieznany-{number}", "cokolwiek tu wpiszę")
        assert response.status_code == 200
    response = auth.login(login, STRONG_PASSWORD)
    assert response.status_code == 429
    assert "Zbyt wiele nieudanych prób z tego adresu" in text(response)
    assert is_login_page_redirect(client.get("/dane-osobowe"))
    assert any(r["detail"] == "address throttled" for r in audit_rows("login_failed"))

    # Another address is not affected.
    other = auth.app.test_client()
    response = post_login(other, login, STRONG_PASSWORD,
                          environ_base={"REMOTE_ADDR": "192.0.2.77"})
    assert response.status_code == 302 and path_of(response) == "/pulpit"


# ---- CSRF on the login form ------------------------------------------------------

def _assert_nobody_logged_in(client, audit_rows) -> None:
    assert is_login_page_redirect(client.get("/dane-osobowe"))
    assert audit_rows("login_ok") == []


def test_login_without_csrf_token_is_400(auth, client, audit_rows):
    login, start = auth.create(1)
    client.get("/logowanie")
    response = client.post("/logowanie", data={"login": login, "password": start})
    assert response.status_code == 400
    assert "Formularz wygasł" in text(response)
    _assert_nobody_logged_in(client, audit_rows)


def test_login_with_another_sessions_token_is_400(app, auth, client, audit_rows):
    login, start = auth.create(1)
    foreign = csrf_token(text(app.test_client().get("/logowanie")))
    own = csrf_token(text(client.get("/logowanie")))
    assert foreign != own
    response = client.post("/logowanie",
                           data={"login": login, "password": start, "csrf_token": foreign})
    assert response.status_code == 400
    assert "Formularz wygasł" in text(response)
    _assert_nobody_logged_in(client, audit_rows)


def test_login_with_expired_token_is_400(auth, client, audit_rows, monkeypatch):
    import itsdangerous.timed

    login, start = auth.create(1)
    real = itsdangerous.timed.TimestampSigner.get_timestamp
    monkeypatch.setattr(itsdangerous.timed.TimestampSigner, "get_timestamp",
                        lambda self: real(self) - 2 * 3600)
    old = csrf_token(text(client.get("/logowanie")))  # minted two hours ago
    monkeypatch.undo()
    response = client.post("/logowanie",
                           data={"login": login, "password": start, "csrf_token": old})
    assert response.status_code == 400
    assert "Formularz wygasł" in text(response)
    _assert_nobody_logged_in(client, audit_rows)


# ---- next ------------------------------------------------------------------------

@pytest.mark.parametrize("target", ["//x", "/\\x", "\\\\x", "https://x", "javascript:alert(1)",
                                    "http:/x", "///x", "/\tx", "czynsz"])
def test_next_never_leaves_the_site(auth, client, target):
    login = auth.resident(1)
    auth.logout()
    response = post_login(client, login, STRONG_PASSWORD, "?" + urlencode({"next": target}))
    assert response.status_code == 302
    parts = urlsplit(response.location)
    assert not parts.scheme and not parts.netloc
    assert parts.path == "/pulpit"
    # Already logged in, /logowanie?next= also stays local.
    again = client.get("/logowanie?" + urlencode({"next": target}))
    assert again.status_code == 302 and again.location == "/pulpit"


def test_next_local_path_with_query_survives(auth, client):
    login = auth.resident(1)
    auth.logout()
    query = "?" + urlencode({"next": "/czynsz?rok=2024"})
    response = post_login(client, login, STRONG_PASSWORD, query)
    assert response.status_code == 302
    assert response.location == "/czynsz?rok=2024"


def test_next_from_login_redirect_brings_resident_back(auth, client):
    login = auth.resident(1)
    auth.logout()
    response = client.get("/media/odczyty")
    assert is_login_page_redirect(response)
    page = client.get(response.location)
    response = client.post(response.location, data={
        "login": login, "password": STRONG_PASSWORD, "csrf_token": csrf_token(text(page))})
    assert response.location == "/media/odczyty"


# ---- audit -----------------------------------------------------------------------

def _all_text(rows) -> str:
    return "\n".join(str(value) for row in rows for value in row.values())


@pytest.mark.settings({"security.max_failures": "3"})
def test_audit_records_every_event_without_secrets(settings, demo_sql, auth, runner, audit_rows):
    client = auth.client
    secrets_used = [STRONG_PASSWORD, NEW_PASSWORD, "zle haslo numer jeden"]

    result = runner.invoke(["accounts", "create", "1", "--json"])
    assert result.exit_code == 0, result.output
    import json

    slip = json.loads(result.stdout)
    login, start = slip["login"], slip["start_password"]
    secrets_used.append(start)
    auth.login(login, "zle haslo numer jeden")                    # login_failed
    auth.login(login, start)                                      # login_ok
    auth.change_password(start, "qwerty123456")                   # password_rejected
    auth.change_password(start, STRONG_PASSWORD)                  # password_changed
    mine = {r[0] for r in demo_sql("SELECT ID_LOK FROM PRZYDZIALY WHERE ID_OS = 1")}
    other = next(r[0] for r in demo_sql("SELECT ID_LOK FROM LOKALE ORDER BY ID_LOK")
                 if r[0] not in mine)
    refused = client.get(f"/czynsz?lokal={other}")                # access_refused
    assert refused.status_code == 404
    auth.logout()                                                 # logout
    auth.login(login, STRONG_PASSWORD)
    auth.change_password(STRONG_PASSWORD, NEW_PASSWORD)
    auth.logout()

    result = runner.invoke(["accounts", "reset", login, "--json"])  # staff_reset
    secrets_used.append(json.loads(result.stdout)["start_password"])
    runner.invoke(["accounts", "lock", login])                    # staff_lock
    runner.invoke(["accounts", "unlock", login])                  # staff_unlock
    for _ in range(3):                                            # lockout
        auth.login(login, "zle haslo numer jeden")

    rows = audit_rows()
    events = {r["event"] for r in rows}
    for event in ("login_ok", "login_failed", "lockout", "logout", "password_changed",
                  "password_rejected", "staff_create", "staff_reset", "staff_lock",
                  "staff_unlock", "access_refused"):
        assert event in events, event
    for row in rows:
        assert row["at"], row
        if row["event"] != "staff_issue":
            assert row["login"] == login, row
        if row["event"].startswith("staff_"):
            assert row["actor"] == getpass.getuser(), row
        else:
            assert row["address"] == "127.0.0.1", row
    refused_row = audit_rows("access_refused")[0]
    assert f"lokal={other}" in refused_row["detail"]

    everything = _all_text(rows)
    for secret in secrets_used:
        assert secret not in everything
    # The log files do not hold them either.
    for path in Path(settings["logging.dir"]).glob("**/*"):
        if path.is_file():
            content = path.read_text("utf-8", errors="replace")
            for secret in secrets_used:
                assert secret not in content, path

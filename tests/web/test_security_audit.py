"""13.7: CSRF failures, refused accesses and second-factor failures are audited with
address and time, never the token."""

from __future__ import annotations

import pyotp
from conftest import csrf_token, text


def test_csrf_failure_is_audited_without_the_token(app, auth, audit_rows):
    auth.resident(1)
    page = text(auth.client.get("/dane-osobowe"))
    token = csrf_token(page)
    response = auth.client.post("/wyloguj", data={"csrf_token": token[:-4] + "xxxx"},
                                environ_base={"REMOTE_ADDR": "198.51.100.3"})
    assert response.status_code == 400
    rows = audit_rows("csrf_failed")
    assert len(rows) == 1
    row = rows[0]
    assert row["address"] == "198.51.100.3" and row["at"] and row["login"]
    assert "/wyloguj" in row["detail"]
    assert token not in str(row) and token[:20] not in str(row)


def test_anonymous_csrf_failures_are_audited_but_bounded(app, client, audit_rows):
    for _ in range(50):
        assert client.post("/logowanie", data={"login": "x", "password": "y"}).status_code == 400
    rows = audit_rows("csrf_failed")
    assert 1 <= len(rows) <= 20
    assert rows[0]["address"] == "127.0.0.1" and rows[0]["login"] is None


def test_refused_access_to_another_residents_data_is_audited(logged_in, demo_sql,
                                                              audit_rows):
    mine = {r[0] for r in demo_sql("SELECT ID_LOK FROM PRZYDZIALY WHERE ID_OS = 1")}
    other = next(r[0] for r in demo_sql("SELECT ID_LOK FROM LOKALE ORDER BY ID_LOK")
                 if r[0] not in mine)
    assert logged_in.client.get(f"/czynsz?lokal={other}").status_code == 404
    row = audit_rows("access_refused")[-1]
    assert row["address"] and row["at"]


def test_second_factor_failure_is_audited(app, auth, audit_rows, store_sql):
    login = auth.resident(1)
    with app.app_context():
        from gateway.store import accounts, second_factor

        account = accounts.by_login(login)
        secret = second_factor.begin_enrolment(account.id)
        import time

        assert second_factor.confirm_enrolment(account.id, login,
                                               pyotp.TOTP(secret).at(time.time()))
    auth.logout()
    auth.login(login, "srebrny tramwaj pod kasztanem w marcu")
    page = text(auth.client.get("/logowanie/kod"))
    auth.client.post("/logowanie/kod", data={"code": "000000", "csrf_token": csrf_token(page)})
    rows = audit_rows("second_factor_failed")
    assert rows and rows[-1]["address"] == "127.0.0.1" and "000000" not in str(rows[-1])

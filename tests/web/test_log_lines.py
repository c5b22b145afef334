"""13.1: one event is one line in portal.log and one clean row in the audit table,
whatever a client puts in the login field, its User-Agent or the path."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import csrf_token, text

from gateway.ops import logs

FORGED = "m1-abcd\r\n2026-01-05 10:00:00,000 INFO gateway.audit audit login_ok login=m1-abcd"


@pytest.fixture
def portal_log(tmp_path: Path) -> Iterator[Path]:
    """portal.log written exactly as in production (the test app opens no files)."""
    path = tmp_path / "portal-test.log"
    handler = logs._handler(path, {"LOGGING_MAX_BYTES": 10_000_000, "LOGGING_BACKUPS": 1})
    logs.APP.addHandler(handler)
    old = logs.APP.level
    logs.APP.setLevel(logging.INFO)
    try:
        yield path
    finally:
        logs.APP.removeHandler(handler)
        logs.APP.setLevel(old)
        handler.close()


def _lines(path: Path) -> list[str]:
    for handler in logs.APP.handlers:
        handler.flush()
    return path.read_text(encoding="utf-8").splitlines()


def test_login_field_refuses_control_characters(client, audit_rows):
    page = client.get("/logowanie")
    response = client.post("/logowanie", data={
        "login": FORGED, "password": "cokolwiek cokolwiek",
        "csrf_token": csrf_token(text(page))})
    assert response.status_code == 200
    assert "Login zawiera niedozwolony znak" in text(response)
    assert audit_rows() == []  # nothing reached the audit


@pytest.mark.parametrize("bad", ["\n", "\r", "\x00", "\x1b[2J", "\u2028", "\u0085", "\u202e"])
def test_every_control_character_is_refused(client, bad):
    page = client.get("/logowanie")
    response = client.post("/logowanie", data={
        "login": f"m1{bad}abcd", "password": "cokolwiek cokolwiek",
        "csrf_token": csrf_token(text(page))})
    assert "Login zawiera niedozwolony znak" in text(response)


def test_user_agent_with_line_breaks_is_one_line_and_one_row(app, client, portal_log,
                                                               audit_rows):
    agent = "Mozilla/5.0\r\n2026-01-05 10:00:00,000 INFO gateway.audit audit login_ok x"
    page = client.get("/logowanie", environ_base={"HTTP_USER_AGENT": agent})
    client.post("/logowanie", data={"login": "nikt-taki", "password": "zle haslo zle haslo",
                                    "csrf_token": csrf_token(text(page))},
                environ_base={"HTTP_USER_AGENT": agent})
    rows = audit_rows("login_failed")
    assert len(rows) == 1
    assert "\n" not in rows[0]["agent"] and "\r" not in rows[0]["agent"]
    assert "\\x0d\\x0a" in rows[0]["agent"]
    lines = _lines(portal_log)
    assert [line for line in lines if "login_ok" in line] == []
    assert len([line for line in lines if "audit login_failed" in line]) == 1


def test_audit_values_from_any_caller_are_escaped(app, portal_log, audit_rows):
    """The staff CLI and any future caller: login and detail are escaped too."""
    from gateway.store import audit

    with app.test_request_context("/", headers={"User-Agent": "a\u2028b"}):
        audit.record("access_refused", "m1\nforged", detail="/czynsz\r\naudit login_ok")
    row = audit_rows("access_refused")[0]
    assert row["login"] == "m1\\x0aforged"
    assert row["detail"] == "/czynsz\\x0d\\x0aaudit login_ok"
    assert row["agent"] == "a\\u2028b"
    lines = _lines(portal_log)
    assert len(lines) == 1 and "audit access_refused" in lines[0]


def test_any_log_message_is_one_line(portal_log):
    logs.APP.warning("value %s", "one\ntwo\rthree")
    assert _lines(portal_log)[-1].endswith("value one\\x0atwo\\x0dthree")


def test_access_line_of_a_hostile_path_is_one_line(app, client, monkeypatch):
    seen: list[str] = []
    monkeypatch.setattr(logs.ACCESS, "info", lambda _fmt, line: seen.append(line))
    client.get("/x%0d%0a2026-01-05%20INFO%20forged")
    assert len(seen) == 1 and "\n" not in seen[0] and "\r" not in seen[0]


def test_staff_cannot_create_a_login_with_control_characters(app):
    from gateway.store import AccountError, accounts

    with app.app_context(), pytest.raises(AccountError, match="znaków sterujących"):
        accounts.create("1", "m1\x0bx")

"""13.4: any failure anywhere answers the portal's Polish 500 page with an incident id
and every security header, over a real waitress; waitress's own 413/431 too."""

from __future__ import annotations

import http.client
import re
import socket
import threading

import pytest

from gateway.ops import make_server

HEADERS = ("Content-Security-Policy", "X-Content-Type-Options", "Referrer-Policy",
           "X-Frame-Options", "Cross-Origin-Opener-Policy", "Permissions-Policy",
           "Cache-Control")


@pytest.fixture
def served(app):
    server = make_server(app, host="127.0.0.1", port=0, threads=2,
                         max_request_header_size=16_384, max_request_body_size=200_000)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    yield server.effective_port
    server.close()
    thread.join(timeout=5)


def _get(port: int, path: str, headers: dict | None = None, method: str = "GET",
         body: bytes | None = None):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    conn.request(method, path, body=body, headers=headers or {})
    response = conn.getresponse()
    data = response.read().decode("utf-8", "replace")
    conn.close()
    return response, data


def _assert_portal_500(response, body: str) -> None:
    assert response.status == 500
    assert "Błąd portalu" in body and "Internal Server Error" not in body
    assert re.search(r"Numer zgłoszenia: <strong>[0-9a-f]{10}</strong>", body)
    for name in HEADERS:
        assert response.getheader(name), name
    assert response.getheader("Cache-Control") == "no-store"


def _login_cookie(app, auth) -> str:
    auth.resident(1)
    return f"portal_session={auth.client.get_cookie('portal_session').value}"


def test_broken_account_row_gives_the_portal_500(app, auth, store_sql, served):
    cookie = _login_cookie(app, auth)
    store_sql("UPDATE accounts SET created = 'kaputt'")
    response, body = _get(served, "/dane-osobowe", {"Cookie": cookie})
    _assert_portal_500(response, body)


def test_broken_session_row_gives_the_portal_500(app, auth, store_sql, served):
    cookie = _login_cookie(app, auth)
    store_sql("UPDATE sessions SET last_seen = 'kaputt'")
    response, body = _get(served, "/dane-osobowe", {"Cookie": cookie})
    _assert_portal_500(response, body)


def test_unreadable_store_gives_the_portal_500(app, auth, served, monkeypatch):
    cookie = _login_cookie(app, auth)
    import sqlite3

    from gateway.store import db

    def broken(*_args, **_kwargs):
        raise sqlite3.DatabaseError("file is not a database")

    monkeypatch.setattr(db, "get_store", broken)
    monkeypatch.setattr("gateway.store.sessions.get_store", broken)
    response, body = _get(served, "/dane-osobowe", {"Cookie": cookie})
    _assert_portal_500(response, body)


def test_waitress_own_431_carries_the_headers(served):
    raw = (b"GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 40_000 + b"\r\n\r\n")
    with socket.create_connection(("127.0.0.1", served), timeout=10) as sock:
        sock.sendall(raw)
        answer = b""
        try:
            while chunk := sock.recv(65536):
                answer += chunk
        except ConnectionResetError:
            pass  # waitress closes with the rest of the request unread
    head = answer.split(b"\r\n\r\n", 1)[0].decode()
    assert re.match(r"HTTP/1\.[01] 431 ", head)
    for name in HEADERS:
        assert f"\r\n{name}: " in head, name


def test_waitress_own_413_carries_the_headers(served):
    response, body = _get(served, "/logowanie", {"Content-Length": "300000"}, "POST",
                          b"x" * 300_000)
    assert response.status == 413
    for name in HEADERS:
        assert response.getheader(name), name
    assert "za duże" in body

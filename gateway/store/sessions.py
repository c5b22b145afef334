"""Server-side sessions kept in the store.

The cookie carries only a random id; the store keeps a hash of it, so a
stolen store file holds no usable cookie. Sessions are rotated at login and
password change, expire after the idle and absolute timeouts, and are
deleted by logout, password change, staff reset and lock, so a copied cookie
dies at once. Nothing is written to the store before a login: a visitor's
session (the login form's CSRF token, a message to show, the pending second
step) lives in a signed cookie of its own, so a script fetching the login form
a million times leaves the store as it was (13.6).
"""

from __future__ import annotations

import hashlib
import json
import secrets
import time
from typing import Any

from flask import Flask, Request, Response, request
from flask.json.tag import TaggedJSONSerializer
from flask.sessions import SessionInterface, SessionMixin
from itsdangerous import BadSignature, URLSafeTimedSerializer
from werkzeug.datastructures import CallbackDict

from .db import get_store

# last_seen is written when it is this much behind (one small UPDATE at most once a
# second per session), and the idle check allows the same: a session is never
# ended early and at most a second late (13.5: the check used to run before a write
# that came once a minute, so a resident active every few seconds was logged out).
TOUCH_EVERY = 1.0
PURGE_EVERY = 300.0


def _hash(sid: str) -> str:
    return hashlib.sha256(sid.encode("ascii")).hexdigest()


class StoreSession(CallbackDict, SessionMixin):
    def __init__(self, initial: dict | None = None, sid: str | None = None,
                 created: float | None = None, last_seen: float | None = None,
                 expired: bool = False):
        def on_update(this: StoreSession) -> None:
            this.modified = True

        super().__init__(initial or {}, on_update)
        self.sid = sid
        self.created = created or time.time()
        self.last_seen = last_seen or self.created
        self.modified = False
        self.rotate = False
        self.expired = expired  # the request came with a session that had timed out
        self.account_row: Any = None  # its account, read with it (see open_session)
        self.stale_cookie = False  # a store cookie whose session is gone: delete it


def rotate(session: Any) -> None:
    """Give this session a new id at the end of the request (login, password change)."""
    session.rotate = True
    session.modified = True


def revoke_account_sessions(account_id: int) -> int:
    """Delete every session of an account; returns how many."""
    cur = get_store().execute("DELETE FROM sessions WHERE account_id = ?", (account_id,))
    return cur.rowcount


def handle(session_sid: str) -> str:
    """How the resident's list names a session: a prefix of the hash of its id
    (never the cookie itself)."""
    return _hash(session_sid)[:16]


def account_sessions(account_id: int, idle_seconds: float) -> list[dict[str, Any]]:
    """The account's live sessions, the most recently used first."""
    rows = get_store().execute(
        "SELECT substr(id_hash, 1, 16) AS handle, created, last_seen, address, agent"
        " FROM sessions WHERE account_id = ? AND last_seen >= ? ORDER BY last_seen DESC",
        (account_id, time.time() - idle_seconds)).fetchall()
    return [dict(r) for r in rows]


def end_session(account_id: int, session_handle: str) -> bool:
    """End one session of this account (a handle of another account's ends nothing)."""
    if len(session_handle) != 16 or not all(c in "0123456789abcdef" for c in session_handle):
        return False
    return get_store().execute(
        "DELETE FROM sessions WHERE account_id = ? AND substr(id_hash, 1, 16) = ?",
        (account_id, session_handle)).rowcount > 0


def end_other_sessions(account_id: int, keep_sid: str | None) -> int:
    """Log the account out everywhere but in the session `keep_sid`."""
    return get_store().execute(
        "DELETE FROM sessions WHERE account_id = ? AND id_hash != ?",
        (account_id, _hash(keep_sid) if keep_sid else "")).rowcount


class StoreSessionInterface(SessionInterface):
    def __init__(self) -> None:
        self._last_purge = 0.0

    def cookie_name(self, app: Flask) -> str:
        # __Host- pins the cookie to this host, path / and HTTPS.
        return "__Host-portal" if app.config["PORTAL_HTTPS"] else "portal_session"

    def anonymous_cookie_name(self, app: Flask) -> str:
        return "__Host-portal-anon" if app.config["PORTAL_HTTPS"] else "portal_anon"

    def _signer(self, app: Flask) -> URLSafeTimedSerializer:
        return URLSafeTimedSerializer(app.secret_key, salt="portal-anonymous-session",
                                      serializer=TaggedJSONSerializer())

    def _anonymous(self, app: Flask, request: Request, expired: bool = False) -> StoreSession:
        """A visitor's session from its signed cookie (never from the store)."""
        raw = request.cookies.get(self.anonymous_cookie_name(app), "")
        data: dict = {}
        if raw and len(raw) <= 4000:
            try:
                loaded = self._signer(app).loads(
                    raw, max_age=app.config["SECURITY_ABSOLUTE_TIMEOUT_HOURS"] * 3600)
                data = loaded if isinstance(loaded, dict) else {}
            except BadSignature:
                data = {}
        data.pop("_user_id", None)  # a login is only ever a store session
        session = StoreSession(data, expired=expired)
        session.stale_cookie = expired
        return session

    def _timeouts(self, app: Flask) -> tuple[float, float]:
        return (app.config["SECURITY_IDLE_TIMEOUT_MINUTES"] * 60.0,
                app.config["SECURITY_ABSOLUTE_TIMEOUT_HOURS"] * 3600.0)

    def open_session(self, app: Flask, request: Request) -> StoreSession:
        sid = request.cookies.get(self.cookie_name(app), "")
        if not sid or len(sid) > 100:
            return self._anonymous(app, request)
        # The account comes in the same query: the login manager takes it from
        # here instead of asking the store again (accounts.for_session).
        row = get_store().execute(
            "SELECT s.created AS session_created, s.last_seen, s.data, a.*"
            " FROM sessions s LEFT JOIN accounts a ON a.id = s.account_id"
            " WHERE s.id_hash = ?", (_hash(sid),)
        ).fetchone()
        if row is None:
            return self._anonymous(app, request, expired=True)
        idle, absolute = self._timeouts(app)
        now = time.time()
        if now - row["last_seen"] > idle + TOUCH_EVERY or now - row["session_created"] > absolute:
            get_store().execute("DELETE FROM sessions WHERE id_hash = ?", (_hash(sid),))
            return self._anonymous(app, request, expired=True)
        try:
            data = json.loads(row["data"])
        except ValueError:
            data = {}
        session = StoreSession(data, sid=sid, created=row["session_created"],
                               last_seen=row["last_seen"])
        session.account_row = row if row["id"] is not None else None
        return session

    def _save_anonymous(self, app: Flask, session: StoreSession, response: Response) -> None:
        """No login in this session: the store is left alone (a logout ends the row)."""
        secure = app.config["PORTAL_HTTPS"]
        if session.sid:
            get_store().execute("DELETE FROM sessions WHERE id_hash = ?", (_hash(session.sid),))
        if session.sid or session.stale_cookie:
            response.delete_cookie(self.cookie_name(app), path="/", secure=secure,
                                   httponly=True, samesite="Lax")
        name = self.anonymous_cookie_name(app)
        if session and (session.modified or session.sid or name not in request.cookies):
            response.set_cookie(name, self._signer(app).dumps(dict(session)), path="/",
                                httponly=True, samesite="Lax", secure=secure)
        elif not session and name in request.cookies:
            response.delete_cookie(name, path="/", secure=secure, httponly=True, samesite="Lax")
        _vary_on_cookie(response)

    def save_session(self, app: Flask, session: StoreSession, response: Response) -> None:
        if session is None:
            return  # opening it failed: the error page is answered without one
        if session.get("_user_id") is None:
            self._save_anonymous(app, session, response)
            return
        store = get_store()
        name = self.cookie_name(app)
        now = time.time()
        self._purge(app, now)
        new_cookie = False
        if session.rotate or session.sid is None:
            if session.sid:
                store.execute("DELETE FROM sessions WHERE id_hash = ?", (_hash(session.sid),))
            session.sid = secrets.token_urlsafe(32)
            session.created = now
            new_cookie = True
        account_id = session.get("_user_id")
        if session.modified or new_cookie:
            store.execute(
                "INSERT OR REPLACE INTO sessions (id_hash, account_id, created, last_seen, data,"
                " address, agent) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (_hash(session.sid), int(account_id) if account_id else None, session.created,
                 now, json.dumps(dict(session)), request.remote_addr,
                 request.user_agent.string[:300] or None),
            )
        elif now - session.last_seen > TOUCH_EVERY:
            store.execute("UPDATE sessions SET last_seen = ? WHERE id_hash = ?",
                          (now, _hash(session.sid)))
        if new_cookie:
            response.set_cookie(name, session.sid, path="/", httponly=True, samesite="Lax",
                                secure=app.config["PORTAL_HTTPS"])
            anonymous = self.anonymous_cookie_name(app)
            if anonymous in request.cookies:  # the visitor's cookie has served its purpose
                response.delete_cookie(anonymous, path="/", secure=app.config["PORTAL_HTTPS"],
                                       httponly=True, samesite="Lax")
        _vary_on_cookie(response)

    def _purge(self, app: Flask, now: float) -> None:
        if now - self._last_purge < PURGE_EVERY:
            return
        self._last_purge = now
        idle, absolute = self._timeouts(app)
        get_store().execute("DELETE FROM sessions WHERE last_seen < ? OR created < ?",
                            (now - idle, now - absolute))


def _vary_on_cookie(response: Response) -> None:
    """`Vary: Cookie` (what response.vary.add does, without parsing the header into a set)."""
    vary = ", ".join(response.headers.getlist("Vary"))  # no exception when absent
    if not vary:
        response.headers.add("Vary", "Cookie")
    elif "cookie" not in vary.lower():
        response.headers["Vary"] = f"{vary}, Cookie"


def init_app(app: Flask) -> None:
    app.session_interface = StoreSessionInterface()

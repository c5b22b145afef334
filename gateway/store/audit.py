"""Audit log in the store: who did what, when, from where. Never a secret."""

from __future__ import annotations

import getpass
import logging

from flask import has_request_context, request

from ..oneline import one_line
from .db import get_store, utcnow

log = logging.getLogger("gateway.audit")

EVENTS = {
    "login_ok", "login_failed", "login_locked", "login_expired", "logout",
    "password_changed", "password_rejected", "session_revoked",
    "staff_create", "staff_reset", "staff_lock", "staff_unlock", "staff_issue",
    "access_refused", "lockout",
    "second_factor_on", "second_factor_off", "second_factor_failed", "staff_reset_2fa",
    "sessions_ended", "login_password_ok", "csrf_failed",
}



def client_address() -> str | None:
    return request.remote_addr if has_request_context() else None


def client_agent() -> str | None:
    """The browser's User-Agent, shortened (shown to the resident in words)."""
    return request.user_agent.string[:300] or None if has_request_context() else None


def operator() -> str:
    """The OS user running a staff command (the audit names who did it)."""
    try:
        return getpass.getuser()
    except Exception:  # noqa: BLE001 - no user name on some service accounts
        return "unknown"


def record(event: str, login: str | None = None, detail: str | None = None,
           actor: str | None = None) -> None:
    """Append one audit row. `detail` must never hold a password."""
    if event not in EVENTS:
        raise ValueError(f"unknown audit event {event!r}")
    if actor is None and not has_request_context():
        actor = operator()
    # Each value one line (gateway/oneline.py): a CR or LF typed into the login
    # field or sent as the User-Agent cannot forge another event.
    login, actor, detail = (_safe(v) for v in (login, actor, detail))
    get_store().execute(
        "INSERT INTO audit (at, event, login, actor, address, agent, detail)"
        " VALUES (?, ?, ?, ?, ?, ?, ?)",
        (utcnow().isoformat(), event, login, actor, _safe(client_address()),
         _safe(client_agent()), detail),
    )
    log.info("audit %s login=%s actor=%s detail=%s", event, login, actor, detail)


def _safe(value: str | None) -> str | None:
    return None if value is None else one_line(value)


def recent_logins(login: str, limit: int = 20) -> list[dict]:
    """The account's last login attempts, newest first (time, address, browser, outcome)."""
    rows = get_store().execute(
        "SELECT at, event, address, agent FROM audit WHERE login = ?"
        " AND event IN ('login_ok', 'login_failed', 'login_locked', 'login_expired',"
        " 'second_factor_failed') ORDER BY id DESC LIMIT ?", (login, limit)).fetchall()
    return [dict(r) for r in rows]

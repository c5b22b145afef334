"""Audit log in the store: who did what, when, from where. Never a secret."""

from __future__ import annotations

import getpass
import logging

from flask import has_request_context, request

from .db import get_store, utcnow

log = logging.getLogger("gateway.audit")

EVENTS = {
    "login_ok", "login_failed", "login_locked", "login_expired", "logout",
    "password_changed", "password_rejected", "session_revoked",
    "staff_create", "staff_reset", "staff_lock", "staff_unlock", "staff_issue",
    "access_refused", "lockout",
}


def client_address() -> str | None:
    return request.remote_addr if has_request_context() else None


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
    get_store().execute(
        "INSERT INTO audit (at, event, login, actor, address, detail) VALUES (?, ?, ?, ?, ?, ?)",
        (utcnow().isoformat(), event, login, actor, client_address(), detail),
    )
    log.info("audit %s login=%s actor=%s detail=%s", event, login, actor, detail)

"""Response headers, CSRF, and the `next` guard against open redirects."""

from __future__ import annotations

import threading
import time
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from cachetools import TTLCache
from flask import Flask, Response, current_app, g, request, session
from flask_wtf.csrf import CSRFProtect, generate_csrf

csrf = CSRFProtect()
# A signed CSRF token is reused for this long within one session (it stays valid
# for WTF_CSRF_TIME_LIMIT, an hour): signing one costs as much as a small page's SQL.
CSRF_TOKEN_REUSE_SECONDS = 300

CSP = ("default-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; "
       "form-action 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'")
PUBLIC_ENDPOINTS = {"pages.public", "auth.login", "ops.healthz", "ops.readyz", "static",
                    "pages.cookie_consent"}


LOGIN_AT = "login_at"
PREVIOUS_VISIT = "previous_visit"


def mark_login(session_: Any, previous_visit: datetime | None = None) -> None:
    """Remember when this session's login verified the password (the forced change
    then does not ask for the start password again: auth.LOGIN_FRESH_SECONDS), and
    the account's login before this one (the summary counts what came since)."""
    session_[LOGIN_AT] = time.time()
    session_[PREVIOUS_VISIT] = previous_visit.isoformat() if previous_visit else None


def safe_next(target: str | None, default: str = "/") -> str:
    """A local path to go to after login; anything else becomes `default`.

    Refuses scheme or host (`https://x`, `//x`), backslashes (`/\\x`, which
    browsers treat as `//x`), control characters and non-absolute paths.
    """
    if not target or len(target) > 2000:
        return default
    if "\\" in target or any(ord(ch) < 32 or ord(ch) == 127 for ch in target):
        return default
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return default
    return target


# No view sets any of these itself, so they are appended as they are: looking a
# missing header up first costs werkzeug an exception each. (waitress sends no
# Server header: server.py sets ident="".)
FIXED_HEADERS = (
    ("Content-Security-Policy", CSP),
    ("X-Content-Type-Options", "nosniff"),
    ("Referrer-Policy", "same-origin"),
    ("X-Frame-Options", "DENY"),
    ("Cross-Origin-Opener-Policy", "same-origin"),
    ("Permissions-Policy", "camera=(), microphone=(), geolocation=()"),
)
# Resident data must not stay in any cache: the back button shows nothing.
NOT_STORED = FIXED_HEADERS + (("Cache-Control", "no-store"), ("Pragma", "no-cache"))
# One year (ASVS 3.4.4 / 14.4.5), subdomains included unless portal.hsts_include_subdomains
# is false (an admin whose other hosts under the same name still serve plain HTTP).
HSTS_MAX_AGE = 31536000


def hsts_header(include_subdomains: bool) -> tuple[str, str]:
    value = f"max-age={HSTS_MAX_AGE}" + ("; includeSubDomains" if include_subdomains else "")
    return ("Strict-Transport-Security", value)
CACHEABLE_ENDPOINTS = {"static", "pages.public"}


def _headers(response: Response) -> Response:
    h = response.headers
    h.extend(FIXED_HEADERS if request.endpoint in CACHEABLE_ENDPOINTS else NOT_STORED)
    hsts = current_app.extensions["portal_hsts"]
    if hsts:
        h.add(*hsts)
    return response


def csrf_token() -> str:
    """flask-wtf's `generate_csrf`, reusing one signed token per session for a while.

    Every page carries a token (the logout form) and signing a fresh one each
    time is a measurable part of a page. Relies on flask-wtf's internals: see
    gateway/internals.py (4). The token is checked exactly as before (flask-wtf).
    """
    field = current_app.config["WTF_CSRF_FIELD_NAME"]
    if field in g:
        return g.get(field)
    raw = session.get(field)
    if raw is None:
        return generate_csrf()  # stores a new raw token in the session
    cache, lock = current_app.extensions["portal_csrf"]
    if cache is None:
        return generate_csrf()
    with lock:
        token = cache.get(raw)
    if token is None:
        token = generate_csrf()
        with lock:
            cache[raw] = token
    else:
        setattr(g, field, token)  # forms rendered in this request use the same token
    return token


def init_app(app: Flask) -> None:
    csrf.init_app(app)
    app.extensions["portal_hsts"] = hsts_header(
        app.config["PORTAL_HSTS_INCLUDE_SUBDOMAINS"]) if app.config["PORTAL_HTTPS"] else None
    # Every answer that does not pass through Flask (the last-resort page, waitress's own).
    app.extensions["portal_error_headers"] = NOT_STORED + (
        (app.extensions["portal_hsts"],) if app.extensions["portal_hsts"] else ())
    limit = app.config.get("WTF_CSRF_TIME_LIMIT")
    reuse = CSRF_TOKEN_REUSE_SECONDS if limit is None else min(CSRF_TOKEN_REUSE_SECONDS,
                                                                limit / 10)
    # Reused only while the token has at least 90 % of its validity left.
    app.extensions["portal_csrf"] = (
        TTLCache(maxsize=20_000, ttl=reuse) if reuse >= 1 else None, threading.Lock())
    # flask-wtf offers its own csrf_token() both ways; these take precedence.
    app.jinja_env.globals["csrf_token"] = csrf_token
    app.context_processor(lambda: {"csrf_token": csrf_token})
    app.after_request(_headers)

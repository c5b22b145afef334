"""Response headers, CSRF, and the `next` guard against open redirects."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Flask, Response, request
from flask_wtf.csrf import CSRFProtect

csrf = CSRFProtect()

CSP = ("default-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; "
       "form-action 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'")
PUBLIC_ENDPOINTS = {"pages.public", "auth.login", "ops.healthz", "ops.readyz", "static",
                    "pages.cookie_consent"}


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


def _headers(response: Response) -> Response:
    from flask import current_app

    h = response.headers
    h.setdefault("Content-Security-Policy", CSP)
    h["X-Content-Type-Options"] = "nosniff"
    h["Referrer-Policy"] = "same-origin"
    h["X-Frame-Options"] = "DENY"
    h["Cross-Origin-Opener-Policy"] = "same-origin"
    h["Permissions-Policy"] = "camera=(), microphone=(), geolocation=()"
    if current_app.config["PORTAL_HTTPS"]:
        h["Strict-Transport-Security"] = "max-age=31536000"
    if request.endpoint not in {"static", "pages.public"}:
        # Resident data must not stay in any cache: the back button shows nothing.
        h["Cache-Control"] = "no-store"
        h["Pragma"] = "no-cache"
    h.pop("Server", None)
    return response


def init_app(app: Flask) -> None:
    csrf.init_app(app)
    app.after_request(_headers)

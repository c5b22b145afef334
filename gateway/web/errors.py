"""Error pages: one renderer, Polish text, an incident id, never a traceback."""

from __future__ import annotations

import logging
import sys
import threading

from cachetools import TTLCache
from flask import Flask, current_app, g, render_template, request
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from ..billing import BillingUnavailable
from ..ops import incident_id
from ..store import audit

log = logging.getLogger("gateway.errors")

MESSAGES = {
    400: ("Nieprawidłowe żądanie",
          "Formularz wygasł lub był niekompletny. Wróć, odśwież stronę i spróbuj ponownie."),
    403: ("Brak dostępu", "Nie masz dostępu do tej strony."),
    404: ("Nie znaleziono",
          "Nie ma takiej strony albo danych dla wybranych parametrów. "
          "Wybierz zakładkę w menu i dane z listy."),
    405: ("Niedozwolona operacja", "Tej strony nie można otworzyć w ten sposób."),
    413: ("Za dużo danych", "Przesłano zbyt dużo danych. Skróć wpis i spróbuj ponownie."),
    429: ("Zbyt wiele prób", "Zbyt wiele prób w krótkim czasie. Odczekaj kilka minut."),
    500: ("Błąd portalu",
          "Wystąpił nieoczekiwany błąd. Spróbuj ponownie za chwilę. Jeśli błąd się powtarza, "
          "zgłoś w spółdzielni numer zgłoszenia podany niżej."),
    503: ("Dane chwilowo niedostępne",
          "Nie udało się pobrać danych z programu rozliczeniowego spółdzielni. "
          "Spróbuj ponownie za kilka minut."),
}
ANONYMOUS_404 = ("Nie ma takiej strony. Sprawdź adres albo przejdź do strony głównej; "
                 "dane lokali są widoczne po zalogowaniu.")
RETRY_AFTER = "30"
# Security events of visitors who are not logged in are audited too, but at most this
# many per address in a quarter of an hour (a script must not grow the store: 13.6).
ANONYMOUS_EVENTS_PER_ADDRESS = 20


def audit_security_event(event: str, detail: str) -> None:
    """Audit a refused request (address and time come with it; never a token)."""
    try:
        login = current_user.login if current_user.is_authenticated else None
    except Exception:  # noqa: BLE001 - the account itself may be what failed
        login = None
    if login is None:
        key = request.remote_addr or ""
        counts, lock = current_app.extensions["portal_anonymous_events"]
        with lock:
            seen = counts.get(key, 0)
            counts[key] = seen + 1
        if seen >= ANONYMOUS_EVENTS_PER_ADDRESS:
            log.warning("%s from %s not audited (more than %d in 15 minutes)", event, key,
                        ANONYMOUS_EVENTS_PER_ADDRESS)
            return
    audit.record(event, login, detail=detail[:200])


FALLBACK = """<!doctype html>
<html lang="pl"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Błąd portalu</title></head>
<body><main><h1>Błąd portalu</h1>
<p>Wystąpił nieoczekiwany błąd. Spróbuj ponownie za chwilę. Jeśli błąd się powtarza,
zgłoś w spółdzielni numer zgłoszenia podany niżej.</p>
<p>Numer zgłoszenia: <strong>{incident}</strong></p>
<p><a href="/">Przejdź do strony głównej</a></p></main></body></html>
"""


def fallback_page(incident: str) -> str:
    """The last-resort 500 page: no template, no store, no session (13.4)."""
    return FALLBACK.format(incident=incident)


def _signed_in() -> bool:
    from flask_login import current_user

    try:
        return bool(current_user.is_authenticated and not current_user.must_change)
    except Exception:  # no request user (the store is down): the plain message
        return False


def render_error(status: int, detail: str | None = None, incident: str | None = None):
    """Render `errors/<status>.html`, else `errors/error.html`; the static page when
    rendering fails itself (a broken store row, a missing template)."""
    title, message = MESSAGES.get(status, MESSAGES[500])
    if status == 404 and not _signed_in():
        message = ANONYMOUS_404  # no menu for a reader who is not logged in
    if status >= 500:
        g.server_error = True  # the layout then leaves the billing database alone
    headers = {"Retry-After": RETRY_AFTER} if status == 503 else {}
    try:
        body = render_template([f"errors/{status}.html", "errors/error.html"], status=status,
                               title=title, message=detail or message, incident=incident)
    except Exception:  # noqa: BLE001 - the error page must never fail
        incident = incident or incident_id()
        log.exception("error page %s could not be rendered [incident %s]", status, incident)
        return fallback_page(incident), 500, headers
    return body, status, headers


class LastResort:
    """WSGI wrapper: whatever escapes Flask's own handling (an error while opening
    the session, inside an error handler) still answers the Polish 500 page with an
    incident id and every security header, never waitress's plain text."""

    def __init__(self, app: Flask, wsgi_app):
        self.app = app
        self.wsgi_app = wsgi_app

    def __call__(self, environ, start_response):
        try:
            return self.wsgi_app(environ, start_response)
        except Exception as exc:  # noqa: BLE001
            incident = incident_id()
            log.error("unhandled error outside the app [incident %s]", incident, exc_info=exc)
            body = fallback_page(incident).encode()
            headers = [("Content-Type", "text/html; charset=utf-8"),
                       ("Content-Length", str(len(body))),
                       *self.app.extensions["portal_error_headers"]]
            start_response("500 INTERNAL SERVER ERROR", headers, sys.exc_info())
            return [body]


def init_app(app: Flask) -> None:
    app.extensions["portal_anonymous_events"] = (TTLCache(maxsize=10_000, ttl=15 * 60),
                                                 threading.Lock())
    app.wsgi_app = LastResort(app, app.wsgi_app)  # type: ignore[method-assign]

    @app.errorhandler(CSRFError)
    def _csrf(exc: CSRFError):
        # flask-wtf's reason ("The CSRF token is missing.") names no token value.
        audit_security_event("csrf_failed", f"{request.method} {request.path} "
                                            f"{exc.description}")
        return render_error(400, "Formularz wygasł (lub otwarto go w innej karcie). "
                                 "Odśwież stronę i wyślij go ponownie.")

    @app.errorhandler(BillingUnavailable)
    def _billing(exc: BillingUnavailable):
        incident = incident_id()
        log.warning("billing database %s [incident %s]: %s", exc.kind, incident, exc)
        return render_error(503, incident=incident)

    @app.errorhandler(HTTPException)
    def _http(exc: HTTPException):
        status = exc.code or 500
        if status >= 500:
            return _unexpected(exc)
        if status == 403:
            audit_security_event("access_refused", f"{request.method} {request.path} 403")
        return render_error(status if status in MESSAGES else 400)

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception):
        incident = incident_id()
        log.error("unhandled error [incident %s]", incident, exc_info=exc)
        return render_error(500, incident=incident)

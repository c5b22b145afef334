"""Error pages: one renderer, Polish text, an incident id, never a traceback."""

from __future__ import annotations

import logging

from flask import Flask, g, render_template
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from ..billing import BillingUnavailable
from ..ops import incident_id

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


def _signed_in() -> bool:
    from flask_login import current_user

    try:
        return bool(current_user.is_authenticated and not current_user.must_change)
    except Exception:  # no request user (the store is down): the plain message
        return False


def render_error(status: int, detail: str | None = None, incident: str | None = None):
    """Render `errors/<status>.html`, else `errors/error.html`."""
    title, message = MESSAGES.get(status, MESSAGES[500])
    if status == 404 and not _signed_in():
        message = ANONYMOUS_404  # no menu for a reader who is not logged in
    if status >= 500:
        g.server_error = True  # the layout then leaves the billing database alone
    body = render_template([f"errors/{status}.html", "errors/error.html"], status=status,
                           title=title, message=detail or message, incident=incident)
    headers = {"Retry-After": RETRY_AFTER} if status == 503 else {}
    return body, status, headers


def init_app(app: Flask) -> None:
    @app.errorhandler(CSRFError)
    def _csrf(_exc: CSRFError):
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
        return render_error(status if status in MESSAGES else 400)

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception):
        incident = incident_id()
        log.error("unhandled error [incident %s]", incident, exc_info=exc)
        return render_error(500, incident=incident)

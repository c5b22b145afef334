"""The public page and the six resident pages. Each view: call one function, render."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import (
    Blueprint,
    current_app,
    g,
    make_response,
    redirect,
    render_template,
    request,
)
from flask_login import login_required
from markupsafe import Markup

from . import builders as resident
from .choices import NoData
from .params import ParamError
from .security import safe_next

bp = Blueprint("pages", __name__)
CONSENT_COOKIE = "zgoda_cookies"
TABS = (
    ("summary.overview", "Pulpit"),
    ("pages.personal", "Dane osobowe"),
    ("pages.rent", "Czynsz (opłata eksploatacyjna)"),
    ("pages.ledger", "Księgowość"),
    ("pages.virtual_accounts", "Wirtualne rachunki"),
    ("pages.readings", "Media odczyty"),
    ("pages.settlements", "Media rozliczenia"),
)


def _render(template: str, build: Callable[[], dict[str, Any]]):
    """Run a page builder and render its template.

    A malformed parameter shows only the form error (400); no data for the chosen
    parameters shows the form and says so (404). The builder's context is the
    template's: this wrapper knows no page's variables.
    """
    try:
        return render_template(template, **build())
    except ParamError as exc:
        return render_template(template, form_error=str(exc), invalid=True), 400
    except NoData as exc:
        return render_template(template, **exc.context), 404


@bp.get("/")
def public():
    return render_template("public.html")


@bp.get("/zgoda-cookies")
def cookie_consent():
    """Remember that the cookie notice was read (works without JavaScript)."""
    response = make_response(redirect(safe_next(request.args.get("next"), "/")))
    response.set_cookie(CONSENT_COOKIE, "1", max_age=365 * 24 * 3600, httponly=True,
                        samesite="Lax", secure=request.is_secure)
    return response


@bp.get("/dane-osobowe")
@login_required
def personal():
    return _render("pages/personal.html", resident.personal_page)


@bp.get("/czynsz")
@login_required
def rent():
    return _render("pages/rent.html", resident.rent_page)


@bp.get("/ksiegowosc")
@login_required
def ledger():
    return _render("pages/ledger.html", resident.ledger_page)


@bp.get("/ksiegowosc/szczegoly")
@login_required
def ledger_details():
    return _render("pages/ledger.html", lambda: resident.ledger_page(details=True))


@bp.get("/wirtualne-rachunki")
@login_required
def virtual_accounts():
    return _render("pages/virtual_accounts.html", resident.virtual_accounts_page)


@bp.get("/media/odczyty")
@login_required
def readings():
    return _render("pages/readings.html", resident.readings_page)


@bp.get("/media/rozliczenia")
@login_required
def settlements():
    return _render("pages/settlements.html", resident.settlements_page)


def nav_menu() -> Markup:
    """The tabs with the current one marked: the same HTML for every resident, so it
    is rendered once per application root and tab and then reused."""
    current = request.endpoint
    if current == "pages.ledger_details":
        current = "pages.ledger"
    cache: dict = current_app.extensions.setdefault("portal_nav", {})
    key = (request.script_root, current)
    html = cache.get(key)
    if html is None:
        if len(cache) > 256:  # endpoints × roots; more means a misconfigured proxy
            cache.clear()
        template = current_app.jinja_env.get_template("_nav.html")
        # Safe: an .html template, autoescaped like every page.
        html = cache[key] = Markup(template.render(tabs=TABS, current=current))  # noqa: S704  # nosec B704
    return html


@bp.app_context_processor
def _layout() -> dict[str, Any]:
    def resident_name() -> str | None:
        from flask_login import current_user

        from ..billing import BillingUnavailable

        if not current_user.is_authenticated or current_user.must_change:
            return None
        if g.get("server_error"):
            # A 5xx page never asks the billing database again: it may be the very
            # thing that is down or slow (a second wait), or the cause of the error.
            return current_user.login
        try:
            return resident.display_name() or current_user.login
        except BillingUnavailable:
            return current_user.login

    return {"nav_menu": nav_menu, "resident_name": resident_name,
            "cookies_accepted": request.cookies.get(CONSENT_COOKIE) == "1"}

"""The login's second step and the "Bezpieczeństwo" page: the optional second
factor (TOTP), recovery codes, the account's sessions and its last logins.

The second step is bound to the first: a correct password leaves only a pending
mark in a new session (no login), which the code must complete within a few
minutes; the session id changes again when it does.
"""

from __future__ import annotations

import time
from typing import Any

import pyotp
import segno
from flask import (
    Blueprint,
    Flask,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_login import current_user, login_required, login_user, logout_user
from flask_wtf import FlaskForm
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired, Length

from .. import billing
from ..store import (
    account_sessions,
    accounts,
    audit,
    end_other_sessions,
    end_session,
    handle,
    passwords,
    rotate,
    second_factor,
)
from .refusals import staff_locked, waiting
from .security import PUBLIC_ENDPOINTS, mark_login, safe_next
from .useragent import browser_in_words

bp = Blueprint("security", __name__)

PENDING = "pending_second_step"
PENDING_SECONDS = 300  # the code must follow the password within 5 minutes
ISSUER = "Portal mieszkańca"
BAD_CODE = ("Nieprawidłowy lub już użyty kod. Wpisz 6 cyfr, które aplikacja pokazuje "
            "teraz, albo jeden z kodów awaryjnych.")
# While enrolment is compulsory and not done, these are the only places to go.
ENROL_ENDPOINTS = {"security.overview", "security.enrol", "security.confirm",
                   "auth.logout", "auth.change_password"} | PUBLIC_ENDPOINTS


class CodeForm(FlaskForm):
    code = StringField("Kod z aplikacji lub kod awaryjny", validators=[
        DataRequired("Podaj kod."), Length(max=32, message="Kod jest za długi.")])


class ConfirmForm(FlaskForm):
    code = StringField("Kod z aplikacji", validators=[
        DataRequired("Podaj kod z aplikacji."), Length(max=32, message="Kod jest za długi.")])


class DisableForm(FlaskForm):
    password = PasswordField("Hasło", validators=[DataRequired("Podaj hasło."),
                                                  Length(max=1024)])
    code = StringField("Kod z aplikacji lub kod awaryjny", validators=[
        DataRequired("Podaj kod."), Length(max=32, message="Kod jest za długi.")])


class ActionForm(FlaskForm):
    """Buttons that only need the CSRF token."""


def begin(account: accounts.Account, target: str):
    """After a correct password on an account with a second factor: ask for the code."""
    session.clear()
    rotate(session)
    session[PENDING] = {"account": account.id, "at": time.time(), "next": target}
    return redirect(url_for("security.second_step"))


def _pending_account() -> accounts.Account | None:
    pending = session.get(PENDING)
    if not isinstance(pending, dict) or time.time() - pending.get("at", 0) > PENDING_SECONDS:
        return None
    return accounts.by_id(pending.get("account"))


@bp.route("/logowanie/kod", methods=["GET", "POST"])
def second_step():
    account = _pending_account()
    if account is None:
        session.pop(PENDING, None)
        flash("Zaloguj się ponownie: po haśle kod trzeba podać w ciągu 5 minut.", "message")
        return redirect(url_for("auth.login"))
    form = CodeForm()
    problems: list[str] = []
    status = 200
    if form.validate_on_submit():
        outcome = accounts.second_step(account, form.code.data, request.remote_addr)
        if outcome == "ok":
            target = safe_next(session[PENDING].get("next"), "/")
            session.clear()
            rotate(session)
            login_user(account)
            mark_login(session, account.last_login)  # read before this login
            billing.warm_lists()
            if account.must_change:
                return redirect(url_for("auth.change_password", next=target))
            return redirect(target)
        if outcome in ("locked", "delayed"):
            session.clear()  # the password step again, after the wait
            problems = [staff_locked() if outcome == "locked" else
                        waiting(accounts.wait_until(account.login, request.remote_addr))]
            status = 403 if outcome == "locked" else 429
        else:
            problems = [BAD_CODE]
            status = 422
    elif request.method == "POST":
        status = 400 if form.csrf_token.errors else 422
    return render_template("auth/second_step.html", form=form, problems=problems), status


def _overview(**extra: Any) -> dict[str, Any]:
    account = current_user
    idle = current_app.config["SECURITY_IDLE_TIMEOUT_MINUTES"] * 60
    mine = handle(session.sid) if getattr(session, "sid", None) else None
    sessions = [dict(s, current=s["handle"] == mine, browser=browser_in_words(s["agent"]))
                for s in account_sessions(account.id, idle)]
    logins = [dict(r, browser=browser_in_words(r["agent"]))
              for r in audit.recent_logins(account.login)]
    return {"enabled": second_factor.enabled(account.id),
            "codes_left": second_factor.recovery_codes_left(account.id),
            "required": current_app.config["SECURITY_REQUIRE_SECOND_FACTOR"],
            "sessions": sessions, "logins": logins, "action": ActionForm(),
            "disable": DisableForm(), **extra}


@bp.get("/bezpieczenstwo")
@login_required
def overview():
    return render_template("pages/security.html", **_overview())


def _qr_svg(uri: str) -> str:
    # segno writes presentation attributes only (no style attribute, no script): CSP-clean.
    return segno.make(uri, error="m").svg_inline(
        scale=4, omitsize=True, title="Kod QR do zeskanowania aplikacją uwierzytelniającą")


@bp.post("/bezpieczenstwo/wlacz")
@login_required
def enrol():
    if not ActionForm().validate_on_submit():
        abort(400)
    if second_factor.enabled(current_user.id):
        return redirect(url_for("security.overview"))
    secret = second_factor.begin_enrolment(current_user.id)
    return _enrol_page(secret, ConfirmForm(formdata=None), [])


def _enrol_page(secret: str, form: ConfirmForm, problems: list[str], status: int = 200):
    uri = second_factor_uri(secret, current_user.login)
    grouped = " ".join(secret[i:i + 4] for i in range(0, len(secret), 4))
    return render_template("pages/security_enrol.html", qr=_qr_svg(uri), secret=grouped,
                           form=form, problems=problems), status


def second_factor_uri(secret: str, login: str) -> str:
    """otpauth:// URI an authenticator app reads from the QR code."""
    return pyotp.TOTP(secret).provisioning_uri(name=login, issuer_name=ISSUER)


@bp.post("/bezpieczenstwo/potwierdz")
@login_required
def confirm():
    form = ConfirmForm()
    found = second_factor.factor(current_user.id)
    if found is None or found.enabled:
        return redirect(url_for("security.overview"))
    if not form.validate_on_submit():
        return _enrol_page(found.secret, form, [], 400 if form.csrf_token.errors else 422)
    codes = second_factor.confirm_enrolment(current_user.id, current_user.login, form.code.data)
    if codes is None:
        return _enrol_page(found.secret, form, [
            "Kod się nie zgadza. Sprawdź, czy zegar telefonu jest ustawiony automatycznie, "
            "i wpisz kod, który aplikacja pokazuje teraz."], 422)
    rotate(session)
    return render_template("pages/security_codes.html", codes=codes)


@bp.post("/bezpieczenstwo/wylacz")
@login_required
def disable():
    form = DisableForm()
    if form.validate_on_submit():
        good = passwords.verify(accounts.hasher(), current_user.password_hash,
                                form.password.data)
        if good and accounts.second_step(current_user, form.code.data,
                                         request.remote_addr) == "ok":
            second_factor.remove(current_user.id)
            audit.record("second_factor_off", current_user.login)
            flash("Drugi składnik został wyłączony. Logujesz się teraz samym hasłem.", "ok")
            return redirect(url_for("security.overview"))
        if not good:
            audit.record("password_rejected", current_user.login, detail="second factor off")
        problems = ["Hasło lub kod są nieprawidłowe. Drugi składnik pozostaje włączony."]
    else:
        problems = ["Podaj hasło i kod, aby wyłączyć drugi składnik."]
    return render_template("pages/security.html",
                           **_overview(disable=form, problems=problems)), 422


@bp.post("/bezpieczenstwo/wyloguj-pozostale")
@login_required
def end_others():
    if not ActionForm().validate_on_submit():
        abort(400)
    ended = end_other_sessions(current_user.id, getattr(session, "sid", None))
    audit.record("sessions_ended", current_user.login, detail=f"others={ended}")
    flash(f"Wylogowano pozostałe sesje: {ended}.", "ok")
    return redirect(url_for("security.overview"))


@bp.post("/bezpieczenstwo/sesje/<handle_>/wyloguj")
@login_required
def end_one(handle_: str):
    if not ActionForm().validate_on_submit():
        abort(400)
    if getattr(session, "sid", None) and handle(session.sid) == handle_:
        # "Wyloguj tę" on the session in use: an ordinary logout.
        audit.record("logout", current_user.login)
        billing.forget_resident(current_user.resident)
        logout_user()
        session.clear()
        flash("Wylogowano. Do zobaczenia!", "ok")
        return redirect(url_for("auth.login"))
    if not end_session(current_user.id, handle_):
        abort(404)  # not a live session of this account: reveals nothing
    audit.record("sessions_ended", current_user.login, detail="one")
    flash("Sesja została zakończona.", "ok")
    return redirect(url_for("security.overview"))


def _require_enrolment():
    """security.require_second_factor: enrolment before anything else (after the
    forced password change)."""
    if not current_app.config["SECURITY_REQUIRE_SECOND_FACTOR"]:
        return None
    if not current_user.is_authenticated or current_user.must_change:
        return None
    if request.endpoint in ENROL_ENDPOINTS or second_factor.enabled(current_user.id):
        return None
    flash("Spółdzielnia wymaga drugiego składnika logowania. Włącz go, aby przejść dalej.",
          "message")
    return redirect(url_for("security.overview"))


def init_app(app: Flask) -> None:
    app.before_request(_require_enrolment)
    app.register_blueprint(bp)

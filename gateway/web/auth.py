"""Login, forced password change, logout."""

from __future__ import annotations

import time

from flask import (
    Blueprint,
    Flask,
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
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from .. import billing
from ..billing import BillingUnavailable
from ..internals import PortalLoginManager
from ..oneline import has_control
from ..store import accounts, audit, passwords, rotate
from .refusals import FAILED, staff_locked, waiting
from .security import LOGIN_AT, PUBLIC_ENDPOINTS, mark_login, safe_next

bp = Blueprint("auth", __name__)


login_manager = PortalLoginManager()
login_manager.login_view = "auth.login"
login_manager.login_message = "Zaloguj się, aby zobaczyć swoje dane."
login_manager.session_protection = None  # server-side sessions are revoked explicitly

HOME = "/pulpit"  # the summary: how much is due and how to pay
# The start password verified at login counts for the forced change this long: the
# resident is not asked to type it again (nor after a refused new password).
LOGIN_FRESH_SECONDS = 10 * 60
# Where a resident who still has the start password may go.
START_PASSWORD_ENDPOINTS = {"auth.change_password", "auth.logout"} | PUBLIC_ENDPOINTS


def _no_control_characters(_form: FlaskForm, field: StringField) -> None:
    """A login is typed from a paper slip: a line break or another control character
    in it is never a resident's (and must not reach a log)."""
    if field.data and has_control(field.data):
        raise ValidationError("Login zawiera niedozwolony znak (np. znak nowej linii). "
                              "Wpisz login tak, jak jest na kartce ze spółdzielni.")


class LoginForm(FlaskForm):
    login = StringField("Login", validators=[DataRequired("Podaj login."), Length(max=64),
                                             _no_control_characters])
    password = PasswordField("Hasło", validators=[DataRequired("Podaj hasło."),
                                                  Length(max=1024)])


class PasswordChangeForm(FlaskForm):
    # Not asked in the forced change right after a login with the start password.
    current_password = PasswordField("Obecne hasło (lub hasło startowe)", validators=[
        Optional(), Length(max=1024)])
    new_password = PasswordField("Nowe hasło", validators=[
        DataRequired("Podaj nowe hasło."), Length(max=1024)])
    new_password_confirm = PasswordField("Powtórz nowe hasło", validators=[
        DataRequired("Powtórz nowe hasło."), Length(max=1024)])


@login_manager.unauthorized_handler
def _unauthorized():
    """To the login form; say so when the session timed out or was ended elsewhere."""
    expired = getattr(session, "expired", False)
    flash("Sesja wygasła lub została zakończona. Zaloguj się ponownie." if expired
          else login_manager.login_message, "message")
    return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))


@login_manager.user_loader
def _load_account(account_id: str):
    account = accounts.for_session(account_id, getattr(session, "account_row", None))
    if account is None or account.locked:
        return None
    return account


@bp.route("/logowanie", methods=["GET", "POST"])
def login():
    target = safe_next(request.values.get("next"), HOME)
    if current_user.is_authenticated:
        return redirect(target)
    form = LoginForm()
    status = 200
    if form.validate_on_submit():
        known = accounts.by_login(form.login.data)  # its last login, before this one
        account, outcome = accounts.authenticate(form.login.data, form.password.data,
                                                 request.remote_addr)
        if outcome == "second_step" and account is not None:
            from .second_factor import begin

            return begin(account, target)
        if outcome == "ok" and account is not None:
            session.clear()
            rotate(session)
            login_user(account)
            mark_login(session, known.last_login if known else None)
            billing.warm_lists()
            if account.must_change:
                return redirect(url_for("auth.change_password", next=target))
            return redirect(target)
        if outcome == "expired":
            form.form_errors.append(
                "Hasło startowe wygasło. Zgłoś się po nowe do spółdzielni: "
                f"{current_app.config['PORTAL_OFFICE']}.")
        elif outcome == "delayed":
            form.form_errors.append(waiting(accounts.wait_until(form.login.data,
                                                                request.remote_addr)))
            status = 429
        elif outcome == "locked":
            form.form_errors.append(staff_locked())
            status = 403
        elif outcome == "throttled":
            form.form_errors.append("Zbyt wiele nieudanych prób z tego adresu. "
                                    "Odczekaj kilka minut i spróbuj ponownie.")
            status = 429
        else:
            form.form_errors.append(FAILED)
    elif request.method == "POST":
        status = 400 if form.csrf_token.errors else 200
    expired = getattr(session, "expired", False) and request.method == "GET"
    return render_template("auth/login.html", form=form, next=target, expired=expired), status


def _start_password_just_verified() -> bool:
    at = session.get(LOGIN_AT)
    return bool(current_user.must_change and isinstance(at, (int, float))
                and 0 <= time.time() - at <= LOGIN_FRESH_SECONDS)


def _context() -> tuple[list[str], list[str]]:
    """Words (login, names, streets, the cooperative) and numbers (house, flat) a new
    password must not be made of."""
    cfg = current_app.config
    texts = [current_user.login, cfg["PORTAL_COOPERATIVE_NAME"], cfg["PORTAL_CONTEXT_WORDS"],
             cfg["PORTAL_COOPERATIVE_ADDRESS"], "spółdzielnia mieszkaniowa portal"]
    numbers: list[str] = []
    try:
        for row in billing.cached_rows("resident_profile"):
            texts += [row["first_name"], row["last_name"], row["company"]]
        for row in billing.cached_rows("resident_premises"):
            texts += [row["street"], row["city"]]
            numbers += [str(row[k]) for k in ("house_no", "premises_no") if row[k]]
    except BillingUnavailable:
        pass  # the policy still checks login, cooperative, common passwords and zxcvbn
    return passwords.context_words(*texts), numbers


@bp.route("/haslo", methods=["GET", "POST"])
@login_required
def change_password():
    form = PasswordChangeForm()
    problems: list[str] = []
    ask_current = not _start_password_just_verified()
    if form.validate_on_submit():
        current = form.current_password.data if ask_current else None
        if form.new_password.data != form.new_password_confirm.data:
            problems = ["Nowe hasło i jego powtórzenie różnią się."]
        elif ask_current and not current:
            problems = ["Podaj obecne hasło."]
        else:
            words, numbers = _context()
            problems = accounts.change_password(current_user, current, form.new_password.data,
                                                words, numbers)
        if not problems:
            rotate(session)  # every other session of this account was revoked
            flash("Hasło zostało zmienione. Od teraz logujesz się nowym hasłem.", "ok")
            return redirect(safe_next(request.args.get("next"), HOME))
    return render_template("auth/password.html", form=form, problems=problems,
                           ask_current=ask_current, example=passwords.EXAMPLE_PHRASE,
                           min_length=passwords.MIN_LENGTH, max_length=passwords.MAX_LENGTH
                           ), 200 if not problems else 422


@bp.route("/wyloguj", methods=["POST"])
def logout():
    if current_user.is_authenticated:
        audit.record("logout", current_user.login)
        billing.forget_resident(current_user.resident)
    logout_user()
    session.clear()
    flash("Wylogowano. Do zobaczenia!", "ok")
    return redirect(url_for("auth.login"))


def _force_password_change():
    """With a start password, every page but the change form and logout redirects there."""
    if not current_user.is_authenticated or not current_user.must_change:
        return None
    if request.endpoint in START_PASSWORD_ENDPOINTS:
        return None
    return redirect(url_for("auth.change_password", next=request.full_path.rstrip("?")))


def init_app(app: Flask) -> None:
    login_manager.init_app(app)
    app.before_request(_force_password_change)
    app.register_blueprint(bp)

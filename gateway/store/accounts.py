"""Resident accounts in the store: create, reset, lock, authenticate, change password.

Used by the login views and by the staff CLI, so both share one set of rules.
"""

from __future__ import annotations

import secrets
import sqlite3
import time
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from flask_login import UserMixin

from ..oneline import has_control
from . import audit, passwords, second_factor
from .db import get_store, utcnow
from .sessions import revoke_account_sessions


class AccountError(Exception):
    """A staff operation cannot be done (unknown login, duplicate, ...)."""


@dataclass
class Account(UserMixin):
    id: int
    login: str
    resident: str
    password_hash: str
    must_change: bool
    start_expires: datetime | None
    failures: int
    first_failure: datetime | None
    locked_until: datetime | None
    locked_by_staff: bool
    created: datetime
    changed: datetime | None
    last_login: datetime | None

    def get_id(self) -> str:
        return str(self.id)

    @property
    def start_expired(self) -> bool:
        return bool(self.must_change and self.start_expires and self.start_expires < utcnow())

    @property
    def locked(self) -> bool:
        return self.locked_by_staff or bool(self.locked_until and self.locked_until > utcnow())


def _dt(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def _account(row: sqlite3.Row | None) -> Account | None:
    if row is None:
        return None
    return Account(
        id=row["id"], login=row["login"], resident=row["resident"],
        password_hash=row["password_hash"], must_change=bool(row["must_change"]),
        start_expires=_dt(row["start_expires"]), failures=row["failures"],
        first_failure=_dt(row["first_failure"]), locked_until=_dt(row["locked_until"]),
        locked_by_staff=bool(row["locked_by_staff"]), created=_dt(row["created"]),
        changed=_dt(row["changed"]), last_login=_dt(row["last_login"]),
    )


def hasher():
    cfg = current_app.config
    key = "_portal_hasher"
    if key not in current_app.extensions:
        current_app.extensions[key] = passwords.make_hasher(
            cfg["SECURITY_ARGON2_TIME_COST"], cfg["SECURITY_ARGON2_MEMORY_KIB"],
            cfg["SECURITY_ARGON2_PARALLELISM"])
        # Verified for unknown logins so they take as long as a wrong password.
        current_app.extensions["_portal_dummy_hash"] = current_app.extensions[key].hash(
            secrets.token_urlsafe(16))
    return current_app.extensions[key]


def by_id(account_id: int | str) -> Account | None:
    try:
        number = int(account_id)
    except (TypeError, ValueError):
        return None
    return _account(get_store().execute("SELECT * FROM accounts WHERE id = ?",
                                        (number,)).fetchone())


def for_session(account_id: str, session_row: sqlite3.Row | None) -> Account | None:
    """The session's account: from the row read with the session, else from the store."""
    if session_row is not None and str(session_row["id"]) == account_id:
        return _account(session_row)
    return by_id(account_id)


def by_login(login: str) -> Account | None:
    return _account(get_store().execute("SELECT * FROM accounts WHERE login = ?",
                                        (login.strip().lower(),)).fetchone())


def by_resident(resident: str) -> Account | None:
    return _account(get_store().execute("SELECT * FROM accounts WHERE resident = ?",
                                        (resident,)).fetchone())


def require(login: str) -> Account:
    account = by_login(login)
    if account is None:
        raise AccountError(f"nie ma konta o loginie {login!r}")
    return account


def _start_expiry() -> datetime:
    return utcnow() + timedelta(days=current_app.config["SECURITY_START_PASSWORD_DAYS"])


def new_login(resident: str) -> str:
    """Readable and not guessable from the resident number alone."""
    suffix = "".join(secrets.choice(passwords.START_ALPHABET) for _ in range(4))
    return f"m{resident}-{suffix}".lower()


def create(resident: str, login: str | None = None) -> tuple[Account, str]:
    """New account with a start password (returned once, stored only as a hash)."""
    resident = str(resident).strip()
    if by_resident(resident) is not None:
        raise AccountError(f"mieszkaniec {resident} ma już konto: użyj 'accounts reset'")
    login = (login or new_login(resident)).strip().lower()
    if not login or len(login) > 64 or any(ch.isspace() for ch in login) or has_control(login):
        raise AccountError("login musi mieć 1–64 znaki, bez spacji i znaków sterujących")
    start = passwords.start_password()
    try:
        get_store().execute(
            "INSERT INTO accounts (login, resident, password_hash, must_change, start_expires,"
            " created) VALUES (?, ?, ?, 1, ?, ?)",
            (login, resident, hasher().hash(start), _start_expiry().isoformat(),
             utcnow().isoformat()))
    except sqlite3.IntegrityError:
        raise AccountError(f"login {login!r} jest już zajęty") from None
    audit.record("staff_create", login, detail=f"resident={resident}")
    account = by_login(login)
    assert account is not None
    return account, start


def reset(login: str, also_second_factor: bool = False) -> tuple[Account, str]:
    """New start password; old password and every session die; failures cleared.
    The second factor stays unless staff say so (a forgotten password is not a lost phone)."""
    account = require(login)
    if also_second_factor:
        reset_second_factor(login)
    start = passwords.start_password()
    get_store().execute(
        "UPDATE accounts SET password_hash = ?, must_change = 1, start_expires = ?,"
        " failures = 0, first_failure = NULL, locked_until = NULL, changed = ? WHERE id = ?",
        (hasher().hash(start), _start_expiry().isoformat(), utcnow().isoformat(), account.id))
    revoked = revoke_account_sessions(account.id)
    audit.record("staff_reset", account.login, detail=f"sessions_revoked={revoked}")
    return require(login), start


def reset_second_factor(login: str) -> bool:
    """Staff, after checking the resident's identity: remove the second factor and end
    every session; the resident logs in with the password alone and may enrol again."""
    account = require(login)
    removed = second_factor.remove(account.id)
    revoked = revoke_account_sessions(account.id)
    audit.record("staff_reset_2fa", account.login,
                 detail=f"removed={int(removed)} sessions_revoked={revoked}")
    return removed


def lock(login: str) -> Account:
    account = require(login)
    get_store().execute("UPDATE accounts SET locked_by_staff = 1 WHERE id = ?", (account.id,))
    revoked = revoke_account_sessions(account.id)
    audit.record("staff_lock", account.login, detail=f"sessions_revoked={revoked}")
    return require(login)


def unlock(login: str) -> Account:
    account = require(login)
    get_store().execute(
        "UPDATE accounts SET locked_by_staff = 0, locked_until = NULL, failures = 0,"
        " first_failure = NULL WHERE id = ?", (account.id,))
    audit.record("staff_unlock", account.login)
    return require(login)


def listing(locked: bool = False, never_logged_in: bool = False) -> list[Account]:
    rows = get_store().execute("SELECT * FROM accounts ORDER BY login").fetchall()
    accounts = [a for a in (_account(r) for r in rows) if a is not None]
    if locked:
        accounts = [a for a in accounts if a.locked]
    if never_logged_in:
        accounts = [a for a in accounts if a.last_login is None]
    return accounts


# ---- login -------------------------------------------------------------------

def _address_blocked(address: str | None) -> bool:
    cfg = current_app.config
    since = time.time() - cfg["SECURITY_ADDRESS_WINDOW_MINUTES"] * 60
    store = get_store()
    store.execute("DELETE FROM address_failures WHERE at < ?", (since,))
    count = store.execute("SELECT COUNT(*) FROM address_failures WHERE address = ? AND at >= ?",
                          (address or "", since)).fetchone()[0]
    return count >= cfg["SECURITY_ADDRESS_MAX_FAILURES"]


def _note_address_failure(address: str | None) -> None:
    get_store().execute("INSERT INTO address_failures (address, at) VALUES (?, ?)",
                        (address or "", time.time()))


def _note_account_failure(account: Account) -> None:
    cfg = current_app.config
    now = utcnow()
    window = timedelta(minutes=cfg["SECURITY_FAILURE_WINDOW_MINUTES"])
    fresh = account.first_failure is None or now - account.first_failure > window
    failures = 1 if fresh else account.failures + 1
    first = now if fresh else account.first_failure
    locked_until = None
    if failures >= cfg["SECURITY_MAX_FAILURES"]:
        locked_until = now + timedelta(minutes=cfg["SECURITY_LOCKOUT_MINUTES"])
        failures = 0  # the lockout itself now holds the attacker back
        first = None
    get_store().execute(
        "UPDATE accounts SET failures = ?, first_failure = ?,"
        " locked_until = COALESCE(?, locked_until) WHERE id = ?",
        (failures, first.isoformat() if first else None,
         locked_until.isoformat() if locked_until else None, account.id))
    if locked_until:
        audit.record("lockout", account.login,
                     detail=f"until={locked_until.isoformat()}")


def authenticate(login: str, password: str, address: str | None) -> tuple[Account | None, str]:
    """Check a login attempt. Returns (account, outcome).

    outcome: 'ok', 'second_step' (password right, the second factor's code
    next: `second_step`), 'invalid' (unknown login or wrong password: the
    caller answers both the same), 'locked', 'throttled', 'expired'.
    """
    ph = hasher()
    login = (login or "").strip().lower()
    if _address_blocked(address):
        passwords.verify(ph, current_app.extensions["_portal_dummy_hash"], password)
        audit.record("login_failed", login[:64], detail="address throttled")
        return None, "throttled"
    account = by_login(login) if login else None
    if account is None:
        passwords.verify(ph, current_app.extensions["_portal_dummy_hash"], password)
        _note_address_failure(address)
        audit.record("login_failed", login[:64], detail="unknown login")
        return None, "invalid"
    good = passwords.verify(ph, account.password_hash, password)
    if account.locked:
        audit.record("login_locked", account.login, detail=f"password_ok={good}")
        if not good:
            _note_address_failure(address)
        return None, "locked"
    if not good:
        _note_address_failure(address)
        _note_account_failure(account)
        audit.record("login_failed", account.login, detail="wrong password")
        return None, "invalid"
    if account.start_expired:
        audit.record("login_expired", account.login)
        return None, "expired"
    if ph.check_needs_rehash(account.password_hash):  # parameters raised since it was made
        get_store().execute("UPDATE accounts SET password_hash = ? WHERE id = ?",
                            (ph.hash(password), account.id))
    if second_factor.enabled(account.id):
        # The failure count stays until the code is right too: knowing the password
        # must not reset the lockout of the codes.
        audit.record("login_password_ok", account.login, detail="second step pending")
        return by_id(account.id), "second_step"
    _logged_in(account)
    return by_id(account.id), "ok"


def _logged_in(account: Account, detail: str | None = None) -> None:
    get_store().execute(
        "UPDATE accounts SET failures = 0, first_failure = NULL, locked_until = NULL,"
        " last_login = ? WHERE id = ?", (utcnow().isoformat(), account.id))
    audit.record("login_ok", account.login, detail=detail)


def second_step(account: Account, code: str, address: str | None) -> str:
    """The login's second step: 'ok', 'invalid' (counted like a wrong password,
    towards the same lockout) or 'locked'."""
    fresh = by_id(account.id)
    if fresh is None or fresh.locked:
        audit.record("login_locked", account.login, detail="second step")
        return "locked"
    if second_factor.verify(account.id, code):
        _logged_in(fresh, "second factor")
        return "ok"
    _note_address_failure(address)
    _note_account_failure(fresh)
    audit.record("second_factor_failed", account.login, detail="login code")
    return "locked" if by_id(account.id).locked else "invalid"


def change_password(account: Account, current: str, new: str, context: list[str]) -> list[str]:
    """Set the resident's own password; returns reasons for refusal (Polish)."""
    ph = hasher()
    if not passwords.verify(ph, account.password_hash, current):
        audit.record("password_rejected", account.login, detail="wrong current password")
        return ["Obecne hasło jest nieprawidłowe."]
    if account.start_expired:
        return ["Hasło startowe wygasło. Zgłoś się po nowe do spółdzielni."]
    problems = passwords.policy_problems(
        new, context=context,
        start_password_hash=account.password_hash if account.must_change else None, hasher=ph)
    if not problems and not account.must_change and passwords.verify(
            ph, account.password_hash, new):
        problems = ["Nowe hasło musi różnić się od obecnego."]
    if problems:
        audit.record("password_rejected", account.login, detail="policy")
        return problems
    get_store().execute(
        "UPDATE accounts SET password_hash = ?, must_change = 0, start_expires = NULL,"
        " changed = ? WHERE id = ?", (ph.hash(new), utcnow().isoformat(), account.id))
    revoke_account_sessions(account.id)
    audit.record("password_changed", account.login)
    return []

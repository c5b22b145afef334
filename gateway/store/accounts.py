"""Resident accounts in the store: create, reset, lock, authenticate, change password.

Used by the login views and by the staff CLI, so both share one set of rules.
"""

from __future__ import annotations

import secrets
import sqlite3
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from flask import current_app
from flask_login import UserMixin

from ..oneline import has_control
from . import audit, lockout, passwords, second_factor
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
        """Locked by staff (waits after failed logins are per address: lockout.py)."""
        return self.locked_by_staff


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


def login_key(login: str) -> str:
    """A login as typed from paper: case, spaces and dashes do not matter."""
    return "".join(ch for ch in login.lower() if ch not in " -\u00a0\t\u2010\u2011\u2013")


def by_login(login: str) -> Account | None:
    store = get_store()
    exact = store.execute("SELECT * FROM accounts WHERE login = ?",
                          (login.strip().lower(),)).fetchone()
    if exact is not None:
        return _account(exact)
    key = login_key(login)
    if not key:
        return None
    # 'M1 K7WQ' or 'm1k7wq' for 'm1-k7wq': logins are unique in this form (create).
    return _account(store.execute(
        "SELECT * FROM accounts WHERE replace(replace(login, '-', ''), ' ', '') = ?",
        (key,)).fetchone())


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
    if by_login(login) is not None:
        raise AccountError(f"login {login!r} jest już zajęty (także bez kresek i spacji)")
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
    lockout.clear(_key(account, account.login))
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
    lockout.clear(_key(account, account.login))
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
# Waits, ceiling and address throttle: lockout.py. An Account's failures,
# first_failure and locked_until columns are left from schema 1 and unused.

def _key(account: Account | None, typed: str) -> str:
    """What the waits are counted by: the account's login, else the login as typed."""
    return login_key(account.login if account else typed)[:64]


def wait_until(login: str, address: str | None) -> float | None:
    """When this address may try this login again (None: now)."""
    return lockout.blocked_until(_key(by_login(login) if login else None, login), address)


def _failed(account: Account | None, typed: str, address: str | None, detail: str,
            event: str = "login_failed") -> str:
    lockout.note_address_failure(address)
    until = lockout.note_failure(_key(account, typed), address)
    audit.record(event, account.login if account else typed[:64], detail=detail)
    if until is not None:
        audit.record("lockout", account.login if account else typed[:64],
                     detail=f"until={datetime.fromtimestamp(until, UTC).isoformat()}")
        return "delayed"
    return "invalid"


def authenticate(login: str, password: str, address: str | None) -> tuple[Account | None, str]:
    """Check a login attempt. Returns (account, outcome).

    outcome: 'ok', 'second_step' (password right, the second factor's code
    next: `second_step`), 'invalid' (unknown login or wrong password: the
    caller answers both the same), 'delayed' (this address waits before its next
    try on this login: `wait_until`; known and unknown logins alike), 'locked'
    (staff locked it: said only with the right password), 'throttled', 'expired'.
    """
    ph = hasher()
    login = (login or "").strip().lower()
    dummy = current_app.extensions["_portal_dummy_hash"]
    if lockout.address_blocked(address):
        passwords.verify(ph, dummy, password)
        audit.record("login_failed", login[:64], detail="address throttled")
        return None, "throttled"
    account = by_login(login) if login else None
    if lockout.blocked_until(_key(account, login), address) is not None:
        # No password is checked while the wait lasts: nothing to learn from it.
        audit.record("login_locked", account.login if account else login[:64],
                     detail="waiting")
        return None, "delayed"
    if account is None:
        passwords.verify(ph, dummy, password)
        return None, _failed(None, login, address, "unknown login")
    typed = _as_issued(account, password)
    good = passwords.verify(ph, account.password_hash, typed)
    if not good:
        return None, _failed(account, login, address, "wrong password")
    if account.locked_by_staff:
        audit.record("login_locked", account.login, detail="locked by staff")
        return None, "locked"
    if account.start_expired:
        audit.record("login_expired", account.login)
        return None, "expired"
    if ph.check_needs_rehash(account.password_hash):  # parameters raised since it was made
        get_store().execute("UPDATE accounts SET password_hash = ? WHERE id = ?",
                            (ph.hash(typed), account.id))
    if second_factor.enabled(account.id):
        # The failures stay counted until the code is right too: knowing the password
        # must not clear the waits of the codes.
        audit.record("login_password_ok", account.login, detail="second step pending")
        return by_id(account.id), "second_step"
    _logged_in(account, address)
    return by_id(account.id), "ok"


def _logged_in(account: Account, address: str | None, detail: str | None = None) -> None:
    lockout.clear(_key(account, account.login), address or "")
    get_store().execute("UPDATE accounts SET last_login = ? WHERE id = ?",
                        (utcnow().isoformat(), account.id))
    audit.record("login_ok", account.login, detail=detail)


def second_step(account: Account, code: str, address: str | None) -> str:
    """The login's second step: 'ok', 'invalid' (counted like a wrong password,
    towards the same waits), 'delayed' (wait_until) or 'locked' (by staff)."""
    fresh = by_id(account.id)
    if fresh is None or fresh.locked_by_staff:
        audit.record("login_locked", account.login, detail="second step")
        return "locked"
    if lockout.blocked_until(_key(fresh, fresh.login), address) is not None:
        audit.record("login_locked", account.login, detail="second step waiting")
        return "delayed"
    if second_factor.verify(account.id, code):
        _logged_in(fresh, address, "second factor")
        return "ok"
    return _failed(fresh, fresh.login, address, "login code", event="second_factor_failed")


def change_password(account: Account, current: str | None, new: str, context: list[str],
                    numbers: list[str] | None = None) -> list[str]:
    """Set the resident's own password; returns reasons for refusal (Polish).

    `current` None: only for a start password that this session's login verified a
    few minutes ago (the forced change asks for the new password alone)."""
    ph = hasher()
    if current is None:
        if not account.must_change:
            return ["Podaj obecne hasło."]
    elif not passwords.verify(ph, account.password_hash, _as_issued(account, current)):
        audit.record("password_rejected", account.login, detail="wrong current password")
        return ["Obecne hasło jest nieprawidłowe."]
    if account.start_expired:
        return ["Hasło startowe wygasło. Zgłoś się po nowe do spółdzielni."]
    problems = passwords.policy_problems(
        new, context=context, login=account.login, numbers=numbers,
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


def _as_issued(account: Account, typed: str) -> str:
    """A start password as the office issued it, however it was typed from the slip."""
    if account.must_change:
        return passwords.canonical_start(typed) or typed
    return typed

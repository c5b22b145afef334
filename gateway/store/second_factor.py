"""The optional second factor: a TOTP secret (RFC 6238) and ten recovery codes.

A code is accepted once: the time step it belongs to is stored and a code of that
step or an earlier one is refused (a replay), with one step of clock drift either
way. Recovery codes are random, shown once and stored as hashes; each works once.
The secret itself must stay readable to check codes, so it lies in the store as
the password hashes do: the store file is the portal's secret (docs/SECURITY.md).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from dataclasses import dataclass

import pyotp

from . import audit
from .db import get_store, utcnow

STEP = 30  # seconds (RFC 6238's default, what every authenticator app uses)
DIGITS = 6
DRIFT = 1  # steps accepted either side of now
RECOVERY_CODES = 10
RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i


@dataclass
class Factor:
    secret: str
    enabled: bool
    last_step: int | None


def code_at(secret: str, for_time: float, digits: int = DIGITS, digest: str = "sha1") -> str:
    """The code of `secret` (base32) for a moment: RFC 6238 with SHA-1, 30-second steps."""
    return pyotp.TOTP(secret, digits=digits, digest=getattr(hashlib, digest),
                      interval=STEP).at(int(for_time))


def matching_step(secret: str, code: str, now: float, last_step: int | None) -> int | None:
    """The time step whose code `code` is, within ±DRIFT of now and after `last_step`;
    None when no step matches (wrong, expired, malformed or replayed)."""
    code = normalise_code(code)
    if len(code) != DIGITS or not all(ch in "0123456789" for ch in code):
        return None  # str.isdigit would let other scripts' digits through
    current = int(now) // STEP
    for step in range(current - DRIFT, current + DRIFT + 1):
        if last_step is not None and step <= last_step:
            continue
        if hmac.compare_digest(code_at(secret, step * STEP), code):
            return step
    return None


def normalise_code(code: str | None) -> str:
    """Codes as people type them: spaces and dashes ignored."""
    return "".join(ch for ch in (code or "") if ch not in " -\u00a0\t").lower()


def factor(account_id: int) -> Factor | None:
    row = get_store().execute("SELECT secret, enabled, last_step FROM second_factors"
                              " WHERE account_id = ?", (account_id,)).fetchone()
    if row is None:
        return None
    return Factor(row["secret"], bool(row["enabled"]), row["last_step"])


def enabled(account_id: int) -> bool:
    found = factor(account_id)
    return bool(found and found.enabled)


def begin_enrolment(account_id: int) -> str:
    """A new secret, not yet in force: the resident confirms it with a code."""
    secret = pyotp.random_base32(32)
    get_store().execute(
        "INSERT OR REPLACE INTO second_factors (account_id, secret, enabled, last_step, created)"
        " VALUES (?, ?, 0, NULL, ?)", (account_id, secret, utcnow().isoformat()))
    return secret


def confirm_enrolment(account_id: int, login: str, code: str,
                      now: float | None = None) -> list[str] | None:
    """Turn the factor on when `code` matches the pending secret; returns the recovery
    codes (shown once), or None when the code does not match."""
    found = factor(account_id)
    if found is None or found.enabled:
        return None
    step = matching_step(found.secret, code, time.time() if now is None else now, None)
    if step is None:
        audit.record("second_factor_failed", login, detail="enrolment code")
        return None
    codes = _new_recovery_codes(account_id)
    get_store().execute("UPDATE second_factors SET enabled = 1, last_step = ? WHERE account_id = ?",
                        (step, account_id))
    audit.record("second_factor_on", login)
    return codes


def verify(account_id: int, code: str, now: float | None = None) -> bool:
    """A login's second step: a fresh TOTP code or an unused recovery code."""
    found = factor(account_id)
    if found is None or not found.enabled:
        return False
    step = matching_step(found.secret, code, time.time() if now is None else now,
                         found.last_step)
    if step is not None:
        # Only a later step may be stored: two requests with one code cannot both win.
        cur = get_store().execute(
            "UPDATE second_factors SET last_step = ? WHERE account_id = ?"
            " AND (last_step IS NULL OR last_step < ?)", (step, account_id, step))
        return cur.rowcount == 1
    return _use_recovery_code(account_id, code)


def recovery_codes_left(account_id: int) -> int:
    return get_store().execute("SELECT COUNT(*) FROM recovery_codes WHERE account_id = ?"
                               " AND used IS NULL", (account_id,)).fetchone()[0]


def remove(account_id: int) -> bool:
    """Turn the factor off (the resident with password and code, or staff)."""
    store = get_store()
    store.execute("DELETE FROM recovery_codes WHERE account_id = ?", (account_id,))
    return store.execute("DELETE FROM second_factors WHERE account_id = ?",
                         (account_id,)).rowcount > 0


def _hash(code: str) -> str:
    return hashlib.sha256(normalise_code(code).encode()).hexdigest()


def _new_recovery_codes(account_id: int) -> list[str]:
    codes = ["".join(secrets.choice(RECOVERY_ALPHABET) for _ in range(10))
             for _ in range(RECOVERY_CODES)]
    store = get_store()
    store.execute("DELETE FROM recovery_codes WHERE account_id = ?", (account_id,))
    store.executemany("INSERT INTO recovery_codes (account_id, code_hash) VALUES (?, ?)",
                      [(account_id, _hash(c)) for c in codes])
    return [f"{c[:5]}-{c[5:]}" for c in codes]


def _use_recovery_code(account_id: int, code: str) -> bool:
    if len(normalise_code(code)) != 10:
        return False
    cur = get_store().execute(
        "UPDATE recovery_codes SET used = ? WHERE account_id = ? AND code_hash = ?"
        " AND used IS NULL", (utcnow().isoformat(), account_id, _hash(code)))
    return cur.rowcount == 1
